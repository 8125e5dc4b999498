//! The whole analysis for `tagscope run`: ingest → features, coordination, graph, spread →
//! score → figures, tables, summary, report and manifest, written into a fresh folder that
//! replaces the output folder atomically at the end.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use polars::prelude::DataFrame;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::account_index::AccountIndex;
use crate::coordination::CoordOptions;
use crate::graph::{self, GraphOptions};
use crate::ingest::{self, IngestOptions};
use crate::plot::FigureStyle;
use crate::report::RecordedOptions;
use crate::score::{self, Weights};
use crate::{calibrate, export, features, figures, languages, report, spread};

/// Everything `run` needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Input files and folders.
    pub inputs: Vec<PathBuf>,
    /// Format, filters and limits of the ingest.
    pub ingest: IngestOptions,
    /// Signal weights of the score (defaults, or as loaded from `--weights`).
    pub weights: Weights,
    /// The `--weights` file the weights came from, recorded in the manifest and summary.
    pub weights_file: Option<PathBuf>,
    /// Labels to calibrate the score on (`--calibrate`).
    pub calibrate: Option<PathBuf>,
    /// Options of the coordination sweeps.
    pub coordination: CoordOptions,
    /// Options of the amplification network.
    pub graph: GraphOptions,
    /// Requested width of the timeline bins, in ms (widened for long spans).
    pub bin_ms: i64,
    /// Size, time zone and axis scale of the figures.
    pub style: FigureStyle,
    /// Accounts at or above this score count as suspicious in the spread figures.
    pub threshold: f64,
    /// Fewest posts an account needs to be listed in `suspicious_accounts.csv`.
    pub min_posts: u32,
    /// Most accounts listed in `suspicious_accounts.csv`; `None` lists them all.
    pub top: Option<usize>,
    /// Replace an existing output folder.
    pub force: bool,
    /// Count the co-action pairs on a Ballista cluster instead of this machine (`--engine`).
    pub engine: Option<Engine>,
}

/// A Ballista cluster that counts the co-action pairs of `run` (`--engine df://HOST:PORT`,
/// issue 18; needs `--features distributed`): the cluster reads the run's canonical tables,
/// writes its reduced tables into the run folder's `reduced/`, and the coordination stage
/// takes the pairs from there (null model, significance, clusters and everything after run
/// here, as without the cluster; the outputs are the same).
#[derive(Debug, Clone)]
pub struct Engine {
    /// The scheduler, `df://HOST:PORT`.
    pub url: String,
    /// Partitions of each scan and shuffle.
    pub partitions: usize,
    /// An object store (`s3://BUCKET/PREFIX`) to hand the tables over through, for a cluster
    /// that does not see the output folder; `None`: the executors read the folder itself.
    pub store: Option<String>,
}

/// `--bin` when not given: 10 minutes.
pub const DEFAULT_BIN_MS: i64 = 10 * 60 * 1000;
/// `--threshold` when not given: the score at or above which an account counts as suspected
/// in the bot-share figure and the summary.
pub const DEFAULT_THRESHOLD: f64 = 0.4;

impl RunOptions {
    /// `run` on `inputs` with every option at the default `tagscope run` gives it (a test in
    /// the binary checks the two agree).
    pub fn new(inputs: Vec<PathBuf>) -> RunOptions {
        RunOptions {
            inputs,
            ingest: IngestOptions::default(),
            weights: Weights::defaults(),
            weights_file: None,
            calibrate: None,
            coordination: CoordOptions::default(),
            graph: GraphOptions::default(),
            bin_ms: DEFAULT_BIN_MS,
            style: FigureStyle::default(),
            threshold: DEFAULT_THRESHOLD,
            min_posts: 1,
            top: None,
            force: false,
            engine: None,
        }
    }

    fn recorded(&self) -> RecordedOptions {
        RecordedOptions {
            tags: self.ingest.tags.clone(),
            since_ms: self.ingest.since_ms,
            until_ms: self.ingest.until_ms,
            format: self.ingest.format.map(|f| f.name()),
            strict: self.ingest.strict,
            bin_s: self.bin_ms as f64 / 1000.0,
            time_zone: self.style.tz.name().to_string(),
            threshold: self.threshold,
            min_posts: self.min_posts,
            top: self.top,
            weights_file: self.weights_file.as_ref().map(|p| p.display().to_string()),
            calibrate: self.calibrate.as_ref().map(|p| p.display().to_string()),
            coordination: self.coordination.clone(),
            graph: self.graph.clone(),
        }
    }
}

/// One input file as listed in `manifest.json`.
#[derive(Debug, Serialize)]
pub struct InputFile {
    /// The file's path as found (named, or below a named folder).
    pub path: String,
    /// Size of the file as stored (compressed or not), in bytes.
    pub bytes: u64,
    /// SHA-256 of the stored file's bytes, lower-case hex.
    pub sha256: String,
}

/// Time and memory of one stage of the run, in `manifest.json`.
#[derive(Debug, Serialize)]
pub struct StageTiming {
    /// Stage name (`ingest`, `coordination`, `features and scores`, …).
    pub stage: &'static str,
    /// Wall-clock time of the stage, in s (rounded to ms).
    pub seconds: f64,
    /// Resident memory at the end of the stage (`VmRSS`, MB; Linux only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_mb: Option<f64>,
    /// Highest resident memory of the process so far (`VmHWM`, MB; Linux only): the stage's
    /// peak when it is higher than at the end of the previous stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// Highest resident memory sampled during this stage (every 20 ms, MB; Linux only): the
    /// stage's own peak, even below an earlier stage's (see `measure::PeakSampler`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_peak_rss_mb: Option<f64>,
}

/// `manifest.json`: what produced this folder. The only output that differs between two
/// identical runs, because of `timings`.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// Always `tagscope`.
    pub tool: &'static str,
    /// tagscope's version (from `Cargo.toml`).
    pub version: &'static str,
    /// The options of the run.
    pub options: RecordedOptions,
    /// Every input file, in reading order, with its size and checksum.
    pub inputs: Vec<InputFile>,
    /// Time and memory per stage, in stage order.
    pub timings: Vec<StageTiming>,
    /// The Ballista cluster that counted the co-action pairs (`--engine`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// SHA-256 of every input file, by path as the ingest report names it: `known` holds those
/// taken as ingest read the files whole (`ingest::Ingested::sha256`); the others (refused,
/// empty or partly read files) are read again here.
fn checksum_inputs(
    inputs: &[PathBuf],
    mut known: HashMap<String, String>,
) -> Result<HashMap<String, String>> {
    for (path, _) in ingest::source::expand_inputs(inputs)? {
        let label = path.display().to_string();
        if known.contains_key(&label) {
            continue;
        }
        let mut file =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)
            .with_context(|| format!("reading {}", path.display()))?;
        known.insert(label, format!("{:x}", hasher.finalize()));
    }
    Ok(known)
}

/// The cluster's reductions of the canonical tables in `dir` (the executors read them there
/// and write `dir/reduced/`, so `dir` must be a path every executor sees; or through the
/// engine's object store), and the co-action pairs they hold for the coordination stage.
#[cfg(feature = "distributed")]
fn reduce_on_cluster(
    dir: &Path,
    engine: &Engine,
    options: &RunOptions,
) -> Result<crate::coordination::reduced::ReducedPairs> {
    use crate::distributed;
    let mut reduce = distributed::ReduceOptions::new(options.bin_ms, &options.coordination)?;
    reduce.partitions = engine.partitions;
    let reduced = dir.join("reduced");
    let store = engine
        .store
        .as_deref()
        .map(distributed::Store::parse)
        .transpose()?;
    let mut summary =
        distributed::reduce_blocking(&engine.url, dir, &reduced, store.as_ref(), &reduce)?;
    let pairs = distributed::read_pairs(&reduced, &summary)?;
    // Wall times differ run to run: they go to the timing lines, not to the folder.
    let seconds = std::mem::take(&mut summary.seconds);
    if std::env::var_os("TAGSCOPE_TIMINGS").is_some() {
        for (table, seconds) in seconds {
            eprintln!("coordination: cluster: {table}: {seconds:.2} s");
        }
    }
    export::write_json(&summary, &reduced.join("summary.json"))?;
    Ok(pairs)
}

#[cfg(not(feature = "distributed"))]
fn reduce_on_cluster(
    _: &Path,
    engine: &Engine,
    _: &RunOptions,
) -> Result<crate::coordination::reduced::ReducedPairs> {
    bail!(
        "--engine {}: this tagscope was built without the distributed path \
         (cargo build --release --features distributed)",
        engine.url
    )
}

/// The result of a background thread (a panic becomes an error).
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>, what: &str) -> Result<T> {
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("{what} stopped unexpectedly"))?
}

/// Progress callbacks: stage names as they start.
pub trait Progress: Sync {
    /// A stage begins.
    fn stage(&self, name: &str);
    /// Ingest's files and bytes read so far ([`ingest::IngestProgress`]).
    fn ingest(&self, progress: ingest::IngestProgress);
    /// What the later stages work on, known once ingest is done.
    fn counts(&self, posts: usize, accounts: usize);
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {
    fn stage(&self, _: &str) {}
    fn ingest(&self, _: ingest::IngestProgress) {}
    fn counts(&self, _: usize, _: usize) {}
}

/// The finished run: where it is and its summary.
pub struct RunResult {
    /// The output folder.
    pub out: PathBuf,
    /// The contents of its `summary.json`.
    pub summary: report::Summary,
}

/// Runs every stage into `out`. The folder is built beside `out` and renamed into place
/// at the end; an existing `out` is replaced only with `force`.
pub fn run(out: &Path, options: &RunOptions, progress: &dyn Progress) -> Result<RunResult> {
    if out.exists() && !options.force {
        bail!("{} exists: use --force to replace it", out.display());
    }
    if let Some(engine) = &options.engine {
        anyhow::ensure!(
            options.coordination.windows_s.len() == 1,
            "--engine {}: the cluster counts co-actions in one window; give one --window",
            engine.url
        );
    }
    // Built aside and swapped in whole (crate::staged): a kill, a full disk or an
    // unwritable folder leaves the previous output complete.
    let staged = crate::staged::Staged::begin(out, false)?;
    let summary = write_all(staged.path(), options, progress)?;
    staged.commit()?;
    Ok(RunResult {
        out: out.to_path_buf(),
        summary,
    })
}

fn write_all(dir: &Path, options: &RunOptions, progress: &dyn Progress) -> Result<report::Summary> {
    std::fs::create_dir_all(dir)?;
    std::thread::scope(|background| {
        let (summary, ingest_report, timings, read_whole) =
            run_stages(dir, options, progress, background)?;
        let sums = checksum_inputs(&options.inputs, read_whole)?;
        let inputs = ingest_report
            .files
            .iter()
            .map(|f| {
                Ok(InputFile {
                    path: f.path.clone(),
                    bytes: f.bytes,
                    sha256: sums
                        .get(&f.path)
                        .with_context(|| format!("{} was not checksummed", f.path))?
                        .clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let manifest = Manifest {
            tool: "tagscope",
            version: env!("CARGO_PKG_VERSION"),
            options: options.recorded(),
            inputs,
            timings,
            engine: options.engine.as_ref().map(|e| e.url.clone()),
        };
        export::write_json(&manifest, &dir.join("manifest.json"))?;
        Ok(summary)
    })
}

/// The `posts` columns read by the stages after ingest (coordination: platform, kind,
/// parent, text, hashtags, urls, created_at, author_handle; features: post and parent ids
/// and times, author handle, parent author; graph: mentions, parent author, handles; spread:
/// post ids, text, urls; languages: lang, country, text). The other columns (source app and
/// file, counts, 4chan thread and board, client time) only go to `posts.parquet`: a fifth of
/// the table's memory at 1M simulated posts (104 of 468 MB as Arrow).
const AFTER_INGEST: &[&str] = &[
    "platform",
    "post_id",
    "author_id",
    "author_handle",
    "created_at",
    "kind",
    "parent_post_id",
    "parent_author_id",
    "parent_created_at",
    "text",
    "hashtags",
    "urls",
    "mentions",
    "lang",
    "country",
];
/// Dropped after coordination, which alone reads the hashtags and (with the post
/// languages and the spread's first posts, taken right after it) the text and `lang`.
const ONLY_COORDINATION: &[&str] = &["hashtags", "text", "lang"];
/// Dropped after features, which alone reads the parents' times.
const ONLY_FEATURES: &[&str] = &["parent_created_at"];
/// Dropped after the graph, which alone reads mentions and parents' authors.
const ONLY_GRAPH: &[&str] = &["mentions", "parent_author_id"];

/// Drops the columns `done` of `posts` that are present.
fn drop_columns(posts: &mut DataFrame, done: &[&str]) {
    for name in done {
        let _ = posts.drop_in_place(name);
    }
}

/// What the stages hand back: the summary, the ingest report, the stage timings and the
/// checksums ingest took of the files it read whole.
type StagesDone = (
    report::Summary,
    ingest::IngestReport,
    Vec<StageTiming>,
    HashMap<String, String>,
);

/// The stages in order. The canonical tables are written on a background thread while
/// the account index is built (they are read-only from here; writing them was 1.2 s of one
/// core per million posts).
fn run_stages<'scope>(
    dir: &'scope Path,
    options: &RunOptions,
    progress: &dyn Progress,
    background: &'scope std::thread::Scope<'scope, '_>,
) -> Result<StagesDone> {
    let mut timings = Vec::new();
    let sampler = crate::measure::PeakSampler::start();
    let mut timed = |stage: &'static str, began: Instant| {
        let (rss_mb, peak_rss_mb) = crate::measure::resident_mb();
        timings.push(StageTiming {
            stage,
            seconds: (began.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            rss_mb,
            peak_rss_mb,
            stage_peak_rss_mb: sampler.as_ref().and_then(|s| s.take()),
        })
    };

    progress.stage("ingest");
    let began = Instant::now();
    let read = |now: ingest::IngestProgress| progress.ingest(now);
    let ingested = ingest::ingest_with_checksums(&options.inputs, &options.ingest, &read)?;
    let (mut posts, accounts, ingest_report) = (ingested.posts, ingested.accounts, ingested.report);
    let read_whole = ingested.sha256;
    progress.counts(posts.height(), accounts.height());
    export::write_json(&ingest_report, &dir.join("ingest_report.json"))?;
    // Shallow copies (columns are shared) for the writer thread.
    let (mut posts_out, mut accounts_out) = (posts.clone(), accounts.clone());
    let tables_written = background.spawn(move || {
        export::write_parquet(&mut posts_out, &dir.join("posts.parquet"))?;
        export::write_parquet(&mut accounts_out, &dir.join("accounts.parquet"))
    });
    // From here on only the columns the stages read: the others are freed once the writer
    // thread has written them.
    posts = posts.select(AFTER_INGEST.iter().copied())?;
    timed("ingest", began);

    progress.stage("coordination");
    let began = Instant::now();
    // Dense account ids, computed once for coordination, features, the graph and spread
    // (8 bytes a post and 32 an account; numbering them again cost 3.6 s at 10 M posts),
    // from the two columns they borrow (shared, not copied), so that `posts` can lose
    // columns while it lives.
    let authors = posts.select(["platform", "author_id"])?;
    let index = AccountIndex::build(&authors)?;
    crate::measure::stage_timing("coordination", "account index", began);
    // The sweeps start once the canonical tables are written (the writer ran beside the
    // account index, one core's work): the columns only written are freed first, and the
    // writer's copy of the text goes before features. Writing beside the whole of
    // coordination held the full table into the features stage: +1.2 GB at 10 M posts.
    let since = Instant::now();
    joined(tables_written, "writing the canonical tables")?;
    crate::measure::stage_timing("coordination", "waiting for the canonical tables", since);
    let reduced = match &options.engine {
        Some(engine) => {
            let since = Instant::now();
            let pairs = reduce_on_cluster(dir, engine, options)?;
            crate::measure::stage_timing("coordination", "reductions on the cluster", since);
            Some(pairs)
        }
        None => None,
    };
    let source = match &reduced {
        Some(pairs) => crate::coordination::reduced::PairSource::Reduced(pairs),
        None => crate::coordination::reduced::PairSource::Sweep,
    };
    let mut found = export::write_coordination(
        &posts,
        &index,
        &options.coordination,
        source,
        &dir.join("coordination"),
    )?;
    drop(reduced);
    timed("coordination", began);

    // What the later stages need of the text, taken now so that it can leave memory (it
    // is dropped with the hashtags below).
    progress.stage("post languages");
    let began = Instant::now();
    let post_languages = languages::PostLanguages::identify(&posts)?;
    let first_posts = spread::first_posts(&posts)?;
    drop_columns(&mut posts, ONLY_COORDINATION);
    timed("post languages", began);

    progress.stage("features and scores");
    let began = Instant::now();
    let phase = |name: &str, since: Instant| crate::measure::stage_timing("features", name, since);
    let mut account_features = features::compute_indexed(&posts, &accounts, &index)?;
    phase("signals", began);
    let since = Instant::now();
    features::apply_coordination(&mut account_features, &found.by_account);
    let mut scored = score::score(account_features, &options.weights);
    score::attach_clusters(&mut scored, &found.by_account);
    phase("scores", since);
    let since = Instant::now();
    let calibrated = match &options.calibrate {
        Some(labels) => {
            let calibrated = calibrate::calibrate(&scored, labels)?;
            calibrated.apply(&mut scored);
            calibrated.write(dir, &options.style)?;
            Some(calibrated)
        }
        None => None,
    };
    // The method reads the signal values, which the table then takes from the accounts.
    let method = score::method(&options.weights, &scored);
    let mut all = score::table_releasing_signals(&mut scored)?;
    export::write_parquet(&mut all, &dir.join("features.parquet"))?;
    let mut suspicious = score::listed_table(&all, &scored, options.min_posts, options.top)?;
    drop(all);
    export::write_csv(&mut suspicious, &dir.join("suspicious_accounts.csv"))?;
    drop(suspicious);
    export::write_json(&method, &dir.join("signals.json"))?;
    phase("tables", since);
    // What the later stages need of the scores; the scored accounts (about 1 KB each:
    // strings, signal values, suspicions, reasons) are freed before the graph is built.
    let score_summary = report::score_summary(&scored, options.threshold, &options.weights);
    let scores: Vec<f64> = scored.iter().map(|s| s.score).collect();
    let score_by_account: HashMap<crate::account_index::AccountKey, f64> = scored
        .iter()
        .map(|s| {
            (
                crate::account_index::AccountKey::new(
                    s.features.platform.clone(),
                    s.features.account_id.clone(),
                ),
                s.score,
            )
        })
        .collect();
    drop(scored);
    timed("features and scores", began);
    drop_columns(&mut posts, ONLY_FEATURES);

    progress.stage("graph");
    let began = Instant::now();
    let network = graph::build_indexed(&posts, &accounts, &index, &options.graph)?;
    let cluster_by_account: HashMap<crate::account_index::AccountKey, u32> = found
        .by_account
        .iter()
        .filter_map(|(k, c)| c.cluster_id.map(|id| (k.clone(), id)))
        .collect();
    let extra = graph::ExtraAttributes {
        score: score_by_account,
        cluster: cluster_by_account,
    };
    let since = Instant::now();
    let gephi = export::write_graph(&network, Some(&extra), &options.graph, &dir.join("graph"))?;
    crate::measure::stage_timing("graph", "tables and Gephi files", since);
    let mut graph_summary = graph::summary(&network, 20);
    graph_summary.gephi = Some(gephi);
    drop(network);
    let score_by_account = extra.score;
    found.by_account = HashMap::new();
    timed("graph", began);
    drop_columns(&mut posts, ONLY_GRAPH);

    progress.stage("spread and figures");
    let began = Instant::now();
    let suspicion = spread::Suspicion {
        scores: &score_by_account,
        threshold: options.threshold,
    };
    let mut spread = spread::compute(
        &posts,
        &index,
        options.bin_ms,
        Some(&suspicion),
        first_posts,
    )?;
    export::write_csv(&mut spread.bins, &dir.join("spread.csv"))?;
    crate::measure::stage_timing("spread", "bins", began);
    let since = Instant::now();
    let mut languages = languages::compute(
        &posts,
        &index,
        spread::effective_bin_ms_of(&spread),
        figures::figure_bin_ms(&spread)?,
        Some(&suspicion),
        &languages::LanguageOptions::default(),
        &post_languages,
    )?;
    export::write_csv(&mut languages.bins, &dir.join("languages.csv"))?;
    crate::measure::stage_timing("spread", "languages", since);
    let subject = match options.ingest.tags.as_slice() {
        [] => "All posts".to_string(),
        tags => tags
            .iter()
            .map(|t| format!("#{}", t.trim_start_matches('#')))
            .collect::<Vec<_>>()
            .join(" "),
    };
    for (name, png) in figures::render(&spread, Some(&scores), &subject, &options.style)? {
        export::write_bytes(&png, &dir.join(name))?;
    }
    export::write_bytes(
        &figures::languages(&languages.summary, &subject, &options.style)?,
        &dir.join("languages.png"),
    )?;
    timed("spread and figures", began);

    progress.stage("report");
    let began = Instant::now();
    let summary = report::summarise(report::Parts {
        subject: &subject,
        options: options.recorded(),
        ingest: &ingest_report,
        scores: score_summary,
        coordination: &found.summary,
        clusters: &found.clusters,
        graph: graph_summary,
        spread: spread.summary.clone(),
        languages: languages.summary,
        calibration: calibrated.as_ref().map(|c| &c.report),
    })?;
    export::write_json(&summary, &dir.join("summary.json"))?;
    export::write_text(&report::markdown(&summary), &dir.join("report.md"))?;
    timed("report", began);

    Ok((summary, ingest_report, timings, read_whole))
}
