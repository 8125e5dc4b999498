//! The commands behind the CLI: each reads its inputs, calls the stages and hands the
//! results to [`tagscope::export`]. `main.rs` only parses arguments and reports errors.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{
    BatchArgs, Cli, Command, CoordArgs, EvaluateArgs, GraphArgs, InputArgs, RunArgs, ScoreArgs,
    SimulateArgs, TimelineArgs,
};
use tagscope::ingest::{self, IngestOptions, csv_readers, text};
use tagscope::staged::Staged;
use tagscope::{
    batch, calibrate, coordination, evaluate, export, features, figures, graph, pipeline, report,
    score, simulate, spread,
};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ingest(args) => {
            let options = ingest_options(&args.input)?;
            let ingested = ingest_inputs(&args.input, &options, cli.quiet)?;
            let mut posts = ingested.posts;
            let mut accounts = ingested.accounts;
            let writing = std::time::Instant::now();
            // Built aside and swapped in whole: never a mix of old and new tables.
            let staged = Staged::begin(&args.out, true)?;
            let dir = staged.path();
            let (posts_written, accounts_written) = rayon::join(
                || export::write_parquet(&mut posts, &dir.join("posts.parquet")),
                || export::write_parquet(&mut accounts, &dir.join("accounts.parquet")),
            );
            posts_written?;
            accounts_written?;
            ingest::timing("write tables", writing);
            export::write_json(&ingested.report, &dir.join("ingest_report.json"))?;
            staged.commit()?;
            if !cli.quiet {
                let r = &ingested.report;
                eprintln!(
                    "read {} records: {} posts, {} duplicates, {} filtered out, {} skipped; {} accounts -> {}",
                    r.records_read,
                    r.posts,
                    r.duplicates,
                    r.filtered_out,
                    r.skipped,
                    r.accounts,
                    args.out.display()
                );
            }
            Ok(())
        }
        Command::Run(args) => run_all(&args, cli.quiet).map(|_| ()),
        Command::Batch(args) => run_batch(&args, cli.quiet),
        Command::Timeline(args) => run_timeline(&args, cli.quiet),
        Command::Score(args) => run_score(&args, cli.quiet),
        Command::Coord(args) => run_coord(&args, cli.quiet),
        Command::Graph(args) => run_graph(&args, cli.quiet),
        Command::Simulate(args) => run_simulate(&args, cli.quiet),
        Command::Evaluate(args) => run_evaluate(&args),
        #[cfg(feature = "distributed")]
        Command::Reduce(args) => run_reduce(&args, cli.quiet),
    }
}

fn run_score(args: &ScoreArgs, quiet: bool) -> Result<()> {
    let posts = export::read_parquet(&args.tables.join("posts.parquet"))?;
    let accounts = export::read_parquet(&args.tables.join("accounts.parquet"))?;
    let weights = match &args.options.weights {
        Some(path) => score::Weights::load(path)?,
        None => score::Weights::defaults(),
    };
    let began = std::time::Instant::now();
    let mut features = features::compute(&posts, &accounts)?;
    let coordination = coordination::detect(&posts, &args.coord.to_options())?;
    features::apply_coordination(&mut features, &coordination.by_account);
    let mut scored = score::score(features, &weights);
    score::attach_clusters(&mut scored, &coordination.by_account);
    let calibrated = match &args.options.calibrate {
        Some(labels) => {
            let calibrated = calibrate::calibrate(&scored, labels)?;
            calibrated.apply(&mut scored);
            Some(calibrated)
        }
        None => None,
    };
    let mut all = score::table(&scored)?;
    let method = score::method(&weights, &scored);
    let staged = Staged::begin(&args.out, true)?;
    if let Some(calibrated) = &calibrated {
        calibrated.write(staged.path(), &tagscope::plot::FigureStyle::default())?;
    }
    export::write_parquet(&mut all, &staged.path().join("features.parquet"))?;
    let mut suspicious =
        score::listed_table(&all, &scored, args.options.min_posts, args.options.top)?;
    export::write_csv(
        &mut suspicious,
        &staged.path().join("suspicious_accounts.csv"),
    )?;
    export::write_json(&method, &staged.path().join("signals.json"))?;
    staged.commit()?;
    if !quiet {
        eprintln!(
            "scored {} accounts in {:.1} s; {} in suspicious_accounts.csv -> {}",
            all.height(),
            began.elapsed().as_secs_f64(),
            suspicious.height(),
            args.out.display()
        );
    }
    Ok(())
}

/// Progress on stderr. While ingest reads, a bar of the input bytes read (as stored:
/// compressed files count their compressed bytes) with the rate and the time left; then
/// one spinner line naming the stage and what it works on.
struct Display {
    bar: ProgressBar,
    bytes: ProgressStyle,
    spinner: ProgressStyle,
    reading: std::sync::atomic::AtomicBool,
    counts: std::sync::Mutex<String>,
}

impl Display {
    fn new(quiet: bool) -> Result<Self> {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        let spinner =
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").context("progress style")?;
        let bytes = ProgressStyle::with_template(
            "{spinner} ingest{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} ({elapsed})",
        )
        .context("progress style")?
        .progress_chars("=> ");
        bar.set_style(spinner.clone());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Ok(Display {
            bar,
            bytes,
            spinner,
            reading: false.into(),
            counts: Default::default(),
        })
    }

    fn ingest(&self, now: ingest::IngestProgress) {
        use std::sync::atomic::Ordering;
        if !self.reading.swap(true, Ordering::Relaxed) {
            self.bar.set_style(self.bytes.clone());
        }
        self.bar.set_length(now.bytes_total);
        self.bar.set_position(now.bytes_read);
        self.bar.set_message(if now.assembling {
            ": assembling the posts table".to_string()
        } else if now.files > 1 {
            format!(": file {} of {}", now.file + 1, now.files)
        } else {
            String::new()
        });
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl pipeline::Progress for Display {
    fn stage(&self, name: &str) {
        use std::sync::atomic::Ordering;
        if name == "ingest" {
            self.bar.set_message("ingest");
            return;
        }
        if self.reading.swap(false, Ordering::Relaxed) {
            self.bar.set_style(self.spinner.clone());
        }
        let counts = self.counts.lock().map(|c| c.clone()).unwrap_or_default();
        self.bar.set_message(format!("{name}{counts}"));
    }
    fn ingest(&self, now: ingest::IngestProgress) {
        Display::ingest(self, now);
    }
    fn counts(&self, posts: usize, accounts: usize) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts = format!(
                " ({} posts, {} accounts)",
                indicatif::HumanCount(posts as u64),
                indicatif::HumanCount(accounts as u64)
            );
        }
    }
}

/// `run`'s flags as the pipeline's options.
fn run_options(args: &RunArgs) -> Result<pipeline::RunOptions> {
    let weights = match &args.score.weights {
        Some(path) => score::Weights::load(path)?,
        None => score::Weights::defaults(),
    };
    Ok(pipeline::RunOptions {
        inputs: args.input.inputs.clone(),
        ingest: ingest_options(&args.input)?,
        weights,
        weights_file: args.score.weights.clone(),
        calibrate: args.score.calibrate.clone(),
        coordination: args.coord.to_options(),
        graph: args.graph.to_options(),
        bin_ms: args.figures.bin_ms,
        style: args.figures.style(),
        threshold: args.figures.threshold,
        min_posts: args.score.min_posts,
        top: args.score.top,
        force: args.force,
        engine: engine(args),
    })
}

#[cfg(feature = "distributed")]
fn engine(args: &RunArgs) -> Option<pipeline::Engine> {
    args.engine.as_ref().map(|url| pipeline::Engine {
        url: url.clone(),
        partitions: args.partitions,
        store: args.store.clone(),
    })
}

#[cfg(not(feature = "distributed"))]
fn engine(_: &RunArgs) -> Option<pipeline::Engine> {
    None
}

fn run_all(args: &RunArgs, quiet: bool) -> Result<report::Summary> {
    run_pipeline(&args.out, &run_options(args)?, quiet)
}

/// Runs the pipeline into `out` with a progress display, and prints the outcome unless `quiet`.
fn run_pipeline(
    out: &std::path::Path,
    options: &pipeline::RunOptions,
    quiet: bool,
) -> Result<report::Summary> {
    let display = Display::new(quiet)?;
    let began = std::time::Instant::now();
    let result = pipeline::run(out, options, &display);
    display.finish();
    let result = result?;
    if !quiet {
        let s = &result.summary;
        eprintln!(
            "{} posts, {} accounts ({} at or above {:.2}), {} coordination clusters in {:.1} s -> {}",
            s.dataset.posts,
            s.scores.accounts_scored,
            s.scores.accounts_at_or_above_threshold,
            s.scores.threshold,
            s.coordination.clusters,
            began.elapsed().as_secs_f64(),
            result.out.display()
        );
    }
    Ok(result.summary)
}

fn run_batch(args: &BatchArgs, quiet: bool) -> Result<()> {
    let (out, jobs) = batch::load(&args.file)?;
    // The batch folder is built aside (starting from what it holds) and swapped in whole.
    let staged = Staged::begin(&out, true)?;
    let mut rows: Vec<batch::BatchRow> = Vec::new();
    let mut failed = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        if !quiet {
            eprintln!("[{}/{}] {}", i + 1, jobs.len(), job.name);
        }
        let staged_job = batch::Job {
            out: staged.path().join(&job.name),
            ..job.clone()
        };
        let result = staged_job
            .run_options(args.force)
            .and_then(|options| run_pipeline(&staged_job.out, &options, true));
        let row = match result {
            Ok(summary) => batch::BatchRow::ok(job, &summary),
            Err(error) => {
                let reason: Vec<String> = error.chain().map(ToString::to_string).collect();
                failed.push(job.name.clone());
                if !quiet {
                    eprintln!("  failed: {}", reason.join(": "));
                }
                batch::BatchRow::failed(job, reason.join(": "))
            }
        };
        rows.push(row);
    }
    export::write_atomic(&staged.path().join("batch_summary.csv"), |w| {
        let mut writer = csv::Writer::from_writer(w);
        for row in &rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    })?;
    staged.commit()?;
    if !quiet {
        eprintln!(
            "{} job(s), {} failed -> {}",
            jobs.len(),
            failed.len(),
            out.join("batch_summary.csv").display()
        );
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} job(s) failed: {} (see batch_summary.csv)",
            failed.len(),
            jobs.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

fn run_timeline(args: &TimelineArgs, quiet: bool) -> Result<()> {
    let posts = export::read_parquet(&args.tables.join("posts.parquet"))?;
    let bin_ms = args.figures.bin_ms;
    let style = args.figures.style();
    let scores = args
        .scores
        .as_deref()
        .map(evaluate::read_account_scores)
        .transpose()?;
    let suspicion = scores.as_ref().map(|scores| spread::Suspicion {
        scores,
        threshold: args.figures.threshold,
    });
    let index = tagscope::account_index::AccountIndex::build(&posts)?;
    let first_posts = spread::first_posts(&posts)?;
    let mut result = spread::compute(&posts, &index, bin_ms, suspicion.as_ref(), first_posts)?;
    let staged = Staged::begin(&args.out, true)?;
    export::write_csv(&mut result.bins, &staged.path().join("spread.csv"))?;
    export::write_json(&result.summary, &staged.path().join("spread.json"))?;
    let mut values: Option<Vec<f64>> = scores.as_ref().map(|s| s.values().copied().collect());
    if let Some(values) = values.as_mut() {
        values.sort_by(f64::total_cmp);
    }
    for (name, png) in figures::render(&result, values.as_deref(), &args.title, &style)? {
        export::write_bytes(&png, &staged.path().join(name))?;
    }
    let mut languages = tagscope::languages::compute(
        &posts,
        &index,
        spread::effective_bin_ms_of(&result),
        figures::figure_bin_ms(&result)?,
        suspicion.as_ref(),
        &tagscope::languages::LanguageOptions::default(),
        &tagscope::languages::PostLanguages::identify(&posts)?,
    )?;
    export::write_csv(&mut languages.bins, &staged.path().join("languages.csv"))?;
    export::write_json(&languages.summary, &staged.path().join("languages.json"))?;
    export::write_bytes(
        &figures::languages(&languages.summary, &args.title, &style)?,
        &staged.path().join("languages.png"),
    )?;
    staged.commit()?;
    if !quiet {
        eprintln!("{} bins -> {}", result.bins.height(), args.out.display());
    }
    Ok(())
}

fn run_graph(args: &GraphArgs, quiet: bool) -> Result<()> {
    let posts = export::read_parquet(&args.tables.join("posts.parquet"))?;
    let accounts = export::read_parquet(&args.tables.join("accounts.parquet"))?;
    let began = std::time::Instant::now();
    let options = args.options.to_options();
    let network = graph::build(&posts, &accounts, &options)?;
    let dir = args.out.join("graph");
    let staged = Staged::begin(&dir, true)?;
    let gephi = export::write_graph(&network, None, &options, staged.path())?;
    let mut summary = graph::summary(&network, 20);
    summary.gephi = Some(gephi);
    export::write_json(&summary, &staged.path().join("summary.json"))?;
    staged.commit()?;
    if !quiet {
        eprintln!(
            "{} accounts, {} retweet edges, {} communities in {:.1} s -> {}",
            summary.nodes,
            summary.layers.first().map_or(0, |l| l.edges),
            summary.communities,
            began.elapsed().as_secs_f64(),
            dir.display()
        );
    }
    Ok(())
}

fn run_coord(args: &CoordArgs, quiet: bool) -> Result<()> {
    let posts = export::read_parquet(&args.tables.join("posts.parquet"))?;
    let began = std::time::Instant::now();
    let dir = args.out.join("coordination");
    let staged = Staged::begin(&dir, true)?;
    let index = tagscope::account_index::AccountIndex::build(&posts)?;
    let found = export::write_coordination(
        &posts,
        &index,
        &args.options.to_options(),
        tagscope::coordination::reduced::PairSource::Sweep,
        staged.path(),
    )?;
    export::write_json(&found.summary, &staged.path().join("summary.json"))?;
    staged.commit()?;
    if !quiet {
        eprintln!(
            "{} clusters ({} accounts, largest {}) from {} edges in {:.1} s -> {}",
            found.summary.clusters,
            found.summary.accounts_in_clusters,
            found.summary.largest_cluster,
            found.candidate_edges,
            began.elapsed().as_secs_f64(),
            dir.display()
        );
    }
    Ok(())
}

fn run_simulate(args: &SimulateArgs, quiet: bool) -> Result<()> {
    let start = text::parse_iso_time(&args.start)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .with_context(|| format!("--start {}: not an ISO 8601 time", args.start))?;
    let mut platforms = Vec::new();
    for name in &args.platforms {
        if name.trim().eq_ignore_ascii_case("all") {
            platforms.extend(simulate::SimPlatform::ALL);
            continue;
        }
        platforms.push(simulate::SimPlatform::parse(name).with_context(|| {
            format!("--platforms {name}: not one of telegram, bluesky, mastodon, reddit, all")
        })?);
    }
    let defaults = simulate::SimConfig::default();
    let config = simulate::SimConfig {
        seed: args.seed,
        posts: args.posts,
        accounts: args.accounts,
        tag: args.tag.trim_start_matches('#').to_string(),
        start,
        first_tweet_delay_minutes: args.first_tweet_delay_minutes,
        duration_hours: args.duration_hours,
        gzip: !args.no_gzip,
        amplifier_share: args.amplifier_share.unwrap_or(defaults.amplifier_share),
        coordinated_share: args.coordinated_share.unwrap_or(defaults.coordinated_share),
        coordinated_group_size: args
            .coordinated_group_size
            .unwrap_or(defaults.coordinated_group_size),
        scheduled_share: args.scheduled_share.unwrap_or(defaults.scheduled_share),
        low_volume_share: args.low_volume_share.unwrap_or(defaults.low_volume_share),
        hyperactive_share: args.hyperactive_share.unwrap_or(defaults.hyperactive_share),
        language_switch_hours: args.language_switch_hours,
        randomise: args.randomise,
        platforms,
        ..defaults
    };
    let began = std::time::Instant::now();
    // Built aside and swapped in whole, like every other output: an interrupted run leaves
    // the previous dataset (other files in the folder are kept).
    let staged = Staged::begin(&args.out, true)?;
    let summary = simulate::simulate(&config, staged.path())?;
    staged.commit()?;
    if !quiet {
        let seconds = began.elapsed().as_secs_f64();
        eprintln!(
            "simulated {} tweets ({} accounts, {} bots) and {} 4chan posts in {seconds:.1} s ({:.0} tweets/s) -> {}",
            summary.tweets,
            summary.twitter_accounts,
            summary.twitter_bots,
            summary.fourchan_posts,
            summary.tweets as f64 / seconds.max(1e-9),
            args.out.display()
        );
    }
    Ok(())
}

fn run_evaluate(args: &EvaluateArgs) -> Result<()> {
    let columns = evaluate::ScoreColumns {
        id: args.id_col.clone(),
        score: args.score_col.clone(),
        platform: args.platform_col.clone(),
    };
    let report = evaluate::evaluate(&args.truth, &args.scores, args.k, &columns)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

fn ingest_options(input: &InputArgs) -> Result<IngestOptions> {
    let column_map = match &input.map {
        Some(spec) => {
            Some(csv_readers::parse_column_map(spec).map_err(|e| anyhow::anyhow!("--map: {e}"))?)
        }
        None => None,
    };
    Ok(IngestOptions {
        format: input.format,
        tags: input.tags.clone(),
        since_ms: input.since,
        until_ms: input.until,
        strict: input.strict,
        column_map,
        board: input.board.clone(),
        max_record_bytes: input.max_record_bytes,
        telegram_tz: input.telegram_tz,
    })
}

fn ingest_inputs(
    input: &InputArgs,
    options: &IngestOptions,
    quiet: bool,
) -> Result<ingest::Ingested> {
    let display = Display::new(quiet)?;
    let progress = |now: ingest::IngestProgress| display.ingest(now);
    let result = ingest::ingest_with_progress(&input.inputs, options, &progress);
    display.finish();
    Ok(result?)
}

#[cfg(feature = "distributed")]
fn run_reduce(args: &crate::cli::ReduceArgs, quiet: bool) -> Result<()> {
    use tagscope::distributed;
    let coordination = tagscope::coordination::CoordOptions {
        windows_s: vec![args.window],
        ..Default::default()
    };
    let mut options = distributed::ReduceOptions::new(args.bin_ms, &coordination)?;
    options.partitions = args.partitions;
    // OUT/reduced is built aside and swapped in whole, as every other output folder.
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let staged = Staged::begin(&args.out.join("reduced"), false)?;
    let store = args
        .store
        .as_deref()
        .map(distributed::Store::parse)
        .transpose()?;
    let summary = distributed::reduce_blocking(
        &args.engine,
        &args.tables,
        staged.path(),
        store.as_ref(),
        &options,
    )?;
    if !quiet {
        for (table, rows) in &summary.rows {
            eprintln!(
                "{table}: {rows} rows in {:.2} s",
                summary.seconds.get(table).copied().unwrap_or_default()
            );
        }
    }
    export::write_atomic(&staged.path().join("summary.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &summary)?;
        Ok(())
    })?;
    let mut differ = Vec::new();
    if args.check {
        let checks = distributed::check(staged.path(), &args.tables, &options)?;
        for c in &checks {
            if c.equal() {
                eprintln!(
                    "{}: equal to {} ({} rows)",
                    c.table, c.against, c.local_rows
                );
            } else {
                eprintln!(
                    "{}: DIFFERS from {} ({} rows reduced, {} local)\n  only reduced: {:?}\n  only local: {:?}",
                    c.table,
                    c.against,
                    c.distributed_rows,
                    c.local_rows,
                    c.only_distributed,
                    c.only_local
                );
                differ.push(c.table.clone());
            }
        }
        export::write_atomic(&staged.path().join("check.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &checks)?;
            Ok(())
        })?;
    }
    staged.commit()?;
    if !differ.is_empty() {
        bail!(
            "reduced tables differ from the single-machine run: {}",
            differ.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// Batch jobs start from `RunOptions::new`; `tagscope run` from its flags' defaults. The
    /// two must be the same options, or a batch job would not be the run it names.
    #[test]
    fn run_defaults_are_run_options_new() {
        let cli = Cli::try_parse_from(["tagscope", "run", "in.jsonl", "-o", "out"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        let from_flags = run_options(&args).unwrap();
        let new = pipeline::RunOptions::new(vec!["in.jsonl".into()]);
        assert_eq!(format!("{from_flags:?}"), format!("{new:?}"));
    }

    /// A batch job's options are checked as `run` checks its flags.
    #[test]
    fn batch_job_options_are_checked() {
        let job = |options: batch::JobOptions| batch::Job {
            name: "j".into(),
            inputs: vec!["in.jsonl".into()],
            tags: vec!["MacronLeaks".into()],
            options,
            out: "out/j".into(),
        };
        let cli = Cli::try_parse_from([
            "tagscope",
            "run",
            "in.jsonl",
            "-o",
            "out",
            "--tag",
            "MacronLeaks",
            "--bin",
            "5m",
            "--tz",
            "Europe/Paris",
            "--since",
            "2017-05-05",
            "--window",
            "30",
            "--top",
            "7",
            "--threshold",
            "0.5",
            "--min-posts",
            "3",
            "--strict",
            "--format",
            "twitter-v1",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        let options = batch::JobOptions {
            since: Some("2017-05-05".into()),
            bin: Some("5m".into()),
            tz: Some("Europe/Paris".into()),
            threshold: Some(0.5),
            format: Some(tagscope::ingest::source::Format::TwitterV1),
            windows: Some(vec![30.0]),
            min_posts: Some(3),
            top: Some(7),
            strict: Some(true),
            ..Default::default()
        };
        assert_eq!(
            format!("{:?}", job(options).run_options(false).unwrap()),
            format!("{:?}", run_options(&args).unwrap())
        );
        for (options, says) in [
            (
                batch::JobOptions {
                    bin: Some("5x".into()),
                    ..Default::default()
                },
                "bin = \"5x\"",
            ),
            (
                batch::JobOptions {
                    tz: Some("Mars/Olympus".into()),
                    ..Default::default()
                },
                "tz = \"Mars/Olympus\"",
            ),
            (
                batch::JobOptions {
                    until: Some("yesterday".into()),
                    ..Default::default()
                },
                "until = \"yesterday\"",
            ),
        ] {
            let error = job(options).run_options(false).unwrap_err();
            assert!(format!("{error:#}").contains(says), "{error:#}");
        }
    }
}
