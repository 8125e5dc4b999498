use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use tagscope::cli::{
    Cli, Command, CoordArgs, EvaluateArgs, GraphArgs, InputArgs, ScoreArgs, SimulateArgs,
};
use tagscope::ingest::{self, IngestOptions, csv_readers, text};
use tagscope::{coordination, evaluate, export, features, graph, score, simulate};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("tagscope: error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ingest(args) => {
            let options = ingest_options(&args.input)?;
            let ingested = ingest_inputs(&args.input, &options, cli.quiet)?;
            let mut posts = ingested.posts;
            let mut accounts = ingested.accounts;
            export::write_parquet(&mut posts, &args.out.join("posts.parquet"))?;
            export::write_parquet(&mut accounts, &args.out.join("accounts.parquet"))?;
            export::write_json(&ingested.report, &args.out.join("ingest_report.json"))?;
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
        Command::Score(args) => run_score(&args, cli.quiet),
        Command::Coord(args) => run_coord(&args, cli.quiet),
        Command::Graph(args) => run_graph(&args, cli.quiet),
        Command::Simulate(args) => run_simulate(&args, cli.quiet),
        Command::Evaluate(args) => run_evaluate(&args),
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
    let mut all = score::table(&scored)?;
    export::write_parquet(&mut all, &args.out.join("features.parquet"))?;
    let kept: Vec<score::ScoredAccount> = scored
        .into_iter()
        .filter(|s| s.features.posts >= args.options.min_posts)
        .take(args.options.top.unwrap_or(usize::MAX))
        .collect();
    let mut suspicious = score::table(&kept)?;
    export::write_csv(&mut suspicious, &args.out.join("suspicious_accounts.csv"))?;
    export::write_json(&score::method(&weights), &args.out.join("signals.json"))?;
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

fn run_graph(args: &GraphArgs, quiet: bool) -> Result<()> {
    let posts = export::read_parquet(&args.tables.join("posts.parquet"))?;
    let accounts = export::read_parquet(&args.tables.join("accounts.parquet"))?;
    let began = std::time::Instant::now();
    let options = args.options.to_options();
    let network = graph::build(&posts, &accounts, &options)?;
    let dir = args.out.join("graph");
    export::write_graph(&network, None, &options, &dir)?;
    let summary = graph::summary(&network, 20);
    export::write_json(&summary, &dir.join("summary.json"))?;
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
    let mut found = coordination::detect(&posts, &args.options.to_options())?;
    let dir = args.out.join("coordination");
    export::write_csv(&mut found.edges, &dir.join("edges.csv"))?;
    export::write_csv(&mut found.clusters, &dir.join("clusters.csv"))?;
    export::write_json(&found.summary, &dir.join("summary.json"))?;
    if !quiet {
        eprintln!(
            "{} clusters ({} accounts, largest {}) from {} edges in {:.1} s -> {}",
            found.summary.clusters,
            found.summary.accounts_in_clusters,
            found.summary.largest_cluster,
            found.edges.height(),
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
        ..defaults
    };
    let began = std::time::Instant::now();
    let summary = simulate::simulate(&config, &args.out)?;
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
    let report = evaluate::evaluate(&args.truth, &args.scores, args.k)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

fn parse_time_flag(flag: &str, value: &Option<String>) -> Result<Option<i64>> {
    let Some(value) = value else { return Ok(None) };
    let with_time = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.clone()
    };
    match text::parse_iso_time(&with_time).or_else(|| text::parse_any_time(value)) {
        Some(ms) => Ok(Some(ms)),
        None => bail!("--{flag} {value}: not a date or ISO 8601 time"),
    }
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
        since_ms: parse_time_flag("since", &input.since)?,
        until_ms: parse_time_flag("until", &input.until)?,
        strict: input.strict,
        column_map,
        board: input.board.clone(),
    })
}

fn ingest_inputs(
    input: &InputArgs,
    options: &IngestOptions,
    quiet: bool,
) -> Result<ingest::Ingested> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} ingest {pos}/{len} files {elapsed}")
                .context("progress style")?,
        );
        bar
    };
    let progress = |index: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(index as u64);
    };
    let result = ingest::ingest_with_progress(&input.inputs, options, &progress);
    bar.finish_and_clear();
    Ok(result?)
}
