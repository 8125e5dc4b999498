//! `tagscope batch batch.toml`: many runs (datasets × tag sets, or explicit jobs) from one
//! file, each into its own folder; a failing job is reported and the others go on;
//! `batch_summary.csv` compares the jobs side by side.
//!
//! ```toml
//! out = "out/batch"                 # relative paths are relative to this file
//! [options]                         # defaults for every job (all optional)
//! bin = "10m"
//! tz = "Europe/Paris"
//! threshold = 0.4
//!
//! [[dataset]]
//! name = "demo"
//! inputs = ["data/demo/twitter_v1", "data/demo/4chan"]
//!
//! [[tagset]]
//! name = "macronleaks"
//! tags = ["MacronLeaks"]
//!
//! [[job]]                           # explicit jobs, in addition to datasets × tagsets
//! name = "demo-may6"
//! inputs = ["data/demo"]
//! tags = ["MacronLeaks"]
//! since = "2017-05-06"
//! until = "2017-05-07"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobOptions {
    pub since: Option<String>,
    pub until: Option<String>,
    pub bin: Option<String>,
    pub tz: Option<String>,
    pub threshold: Option<f64>,
    pub format: Option<String>,
    pub map: Option<String>,
    pub board: Option<String>,
    pub weights: Option<PathBuf>,
    pub windows: Option<Vec<f64>>,
    pub min_posts: Option<u32>,
    pub top: Option<usize>,
    pub strict: Option<bool>,
}

impl JobOptions {
    /// `self` where set, else `defaults`.
    fn or(&self, defaults: &JobOptions) -> JobOptions {
        macro_rules! pick {
            ($($field:ident),*) => { JobOptions { $( $field: self.$field.clone().or_else(|| defaults.$field.clone()), )* } };
        }
        pick!(
            since, until, bin, tz, threshold, format, map, board, weights, windows, min_posts, top,
            strict
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dataset {
    name: String,
    inputs: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagSet {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplicitJob {
    name: String,
    inputs: Vec<PathBuf>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(flatten)]
    options: JobOptions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    out: PathBuf,
    #[serde(default)]
    options: JobOptions,
    #[serde(default, rename = "dataset")]
    datasets: Vec<Dataset>,
    #[serde(default, rename = "tagset")]
    tagsets: Vec<TagSet>,
    #[serde(default, rename = "job")]
    jobs: Vec<ExplicitJob>,
}

/// One run of the batch.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub inputs: Vec<PathBuf>,
    pub tags: Vec<String>,
    pub options: JobOptions,
    pub out: PathBuf,
}

/// Reads a batch file into jobs (paths made relative to the file's folder).
pub fn load(path: &Path) -> Result<(PathBuf, Vec<Job>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: BatchFile = toml::from_str(&text)
        .with_context(|| format!("{}: not a valid batch file", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    let out = resolve(&file.out);
    let mut jobs = Vec::new();
    let tagsets = if file.tagsets.is_empty() && !file.datasets.is_empty() {
        vec![TagSet {
            name: "all".into(),
            tags: Vec::new(),
        }]
    } else {
        file.tagsets
    };
    for dataset in &file.datasets {
        for tagset in &tagsets {
            jobs.push(Job {
                name: format!("{}-{}", dataset.name, tagset.name),
                inputs: dataset.inputs.iter().map(resolve).collect(),
                tags: tagset.tags.clone(),
                options: file.options.clone(),
                out: PathBuf::new(),
            });
        }
    }
    for job in file.jobs {
        jobs.push(Job {
            name: job.name,
            inputs: job.inputs.iter().map(resolve).collect(),
            tags: job.tags,
            options: job.options.or(&file.options),
            out: PathBuf::new(),
        });
    }
    if jobs.is_empty() {
        bail!(
            "{}: no jobs (add [[dataset]] and [[tagset]] tables, or [[job]] tables)",
            path.display()
        );
    }
    let mut seen = BTreeMap::new();
    for job in &mut jobs {
        if job.name.is_empty() || job.name.contains(['/', '\\']) || job.name.starts_with('.') {
            bail!(
                "{}: job name `{}` cannot be a folder name",
                path.display(),
                job.name
            );
        }
        if seen.insert(job.name.clone(), ()).is_some() {
            bail!("{}: two jobs are named `{}`", path.display(), job.name);
        }
        job.out = out.join(&job.name);
        if let Some(weights) = &job.options.weights {
            job.options.weights = Some(resolve(weights));
        }
    }
    Ok((out, jobs))
}
