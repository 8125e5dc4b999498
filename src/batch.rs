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

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::ingest::csv_readers::parse_column_map;
use crate::ingest::source::Format;
use crate::ingest::text::parse_time_bound;
use crate::pipeline::RunOptions;
use crate::report::Summary;
use crate::score::Weights;
use crate::spread::parse_duration_ms;

/// A job's options, as `[options]` (defaults for every job) or a `[[job]]` table gives
/// them; each is the `tagscope run` flag of the same name (`min_posts` is `--min-posts`,
/// `windows` repeats `--window`), and an option left out takes `run`'s default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobOptions {
    /// Keep posts at or after this time (`--since`: a date or ISO 8601 time).
    pub since: Option<String>,
    /// Keep posts before this time (`--until`).
    pub until: Option<String>,
    /// Timeline bin (`--bin`: `30s`, `10m`, `1h`, `1d`).
    pub bin: Option<String>,
    /// Time zone of the figures' time axis (`--tz`, IANA name).
    pub tz: Option<String>,
    /// Score at or above which an account is suspected (`--threshold`).
    pub threshold: Option<f64>,
    /// Format forced on every input (`--format`, e.g. `twitter-v1`).
    pub format: Option<Format>,
    /// Column mapping of a generic CSV (`--map`).
    pub map: Option<String>,
    /// 4chan board of thread files that do not name it (`--board`).
    pub board: Option<String>,
    /// Signal weights file (`--weights`), relative to the batch file.
    pub weights: Option<PathBuf>,
    /// Co-action windows in seconds (`--window`, the first drives clusters and scores).
    pub windows: Option<Vec<f64>>,
    /// Fewest posts to be listed in `suspicious_accounts.csv` (`--min-posts`).
    pub min_posts: Option<u32>,
    /// Most accounts listed in `suspicious_accounts.csv` (`--top`).
    pub top: Option<usize>,
    /// Fail on any skipped record or unrecognised file (`--strict`).
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
    /// `dataset-tagset`, or the `[[job]]`'s name; also the name of its folder.
    pub name: String,
    /// Input files and folders (relative paths resolved against the batch file's folder).
    pub inputs: Vec<PathBuf>,
    /// Hashtags the job keeps (`--tag`); empty keeps every post.
    pub tags: Vec<String>,
    /// The job's options, `[options]` filled in.
    pub options: JobOptions,
    /// The job's output folder.
    pub out: PathBuf,
}

impl Job {
    /// The job as `tagscope run` options: `run`'s defaults ([`RunOptions::new`]) with the
    /// job's tags and options over them, each checked as `run` checks its flag.
    pub fn run_options(&self, force: bool) -> Result<RunOptions> {
        let o = &self.options;
        let mut run = RunOptions::new(self.inputs.clone());
        run.force = force;
        run.ingest.tags = self.tags.clone();
        let bound = |key: &str, value: &Option<String>| -> Result<Option<i64>> {
            value
                .as_deref()
                .map(|v| {
                    parse_time_bound(v)
                        .ok_or_else(|| anyhow!("{key} = {v:?}: not a date or ISO 8601 time"))
                })
                .transpose()
        };
        run.ingest.since_ms = bound("since", &o.since)?;
        run.ingest.until_ms = bound("until", &o.until)?;
        run.ingest.format = o.format;
        if let Some(map) = &o.map {
            run.ingest.column_map =
                Some(parse_column_map(map).map_err(|e| anyhow!("map = {map:?}: {e}"))?);
        }
        run.ingest.board = o.board.clone();
        run.ingest.strict = o.strict.unwrap_or(false);
        if let Some(bin) = &o.bin {
            run.bin_ms = parse_duration_ms(bin).with_context(|| format!("bin = {bin:?}"))?;
        }
        if let Some(tz) = &o.tz {
            run.style.tz = tz.parse().map_err(|_| {
                anyhow!("tz = {tz:?}: not an IANA time zone name (e.g. Europe/Paris)")
            })?;
        }
        if let Some(threshold) = o.threshold {
            run.threshold = threshold;
        }
        if let Some(path) = &o.weights {
            run.weights = Weights::load(path)?;
            run.weights_file = Some(path.clone());
        }
        if let Some(windows) = &o.windows {
            run.coordination.windows_s = windows.clone();
        }
        if let Some(min_posts) = o.min_posts {
            run.min_posts = min_posts;
        }
        run.top = o.top;
        Ok(run)
    }
}

/// One row of `batch_summary.csv`: the job, how it ended, and its headline figures (empty
/// for a failed job).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchRow {
    /// The job's name.
    pub job: String,
    /// `ok` or `failed`.
    pub status: &'static str,
    /// Why the job failed (the error and its causes), empty if it did not.
    pub error: String,
    /// Posts kept.
    pub posts: Option<u64>,
    /// Accounts scored.
    pub accounts: Option<usize>,
    /// Accounts at or above the threshold.
    pub suspicious_accounts: Option<usize>,
    /// Share of posts by suspected accounts, to 6 decimals.
    pub suspicious_post_share: Option<String>,
    /// The first post: platform and time.
    pub first_post: Option<String>,
    /// Lead of the first platform's first post over the second's, seconds.
    pub lead_lag_s: Option<String>,
    /// Coordination clusters.
    pub clusters: Option<usize>,
    /// Accounts in the largest cluster.
    pub largest_cluster: Option<usize>,
    /// The job's output folder.
    pub folder: String,
}

impl BatchRow {
    /// The row of a job that completed with `summary`.
    pub fn ok(job: &Job, summary: &Summary) -> BatchRow {
        let spread = &summary.spread;
        BatchRow {
            job: job.name.clone(),
            status: "ok",
            error: String::new(),
            posts: Some(summary.dataset.posts),
            accounts: Some(summary.scores.accounts_scored),
            suspicious_accounts: Some(summary.scores.accounts_at_or_above_threshold),
            suspicious_post_share: spread.suspicious_share.map(|x| format!("{x:.6}")),
            first_post: spread
                .first_posts
                .first()
                .map(|f| format!("{} {}", f.platform, f.at)),
            lead_lag_s: spread
                .lead_lag
                .first()
                .map(|l| l.first_post_lead_s.to_string()),
            clusters: Some(summary.coordination.clusters),
            largest_cluster: Some(summary.coordination.largest_cluster),
            folder: job.out.display().to_string(),
        }
    }

    /// The row of a job that failed with `reason`.
    pub fn failed(job: &Job, reason: String) -> BatchRow {
        BatchRow {
            job: job.name.clone(),
            status: "failed",
            error: reason,
            folder: job.out.display().to_string(),
            ..BatchRow::default()
        }
    }
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
