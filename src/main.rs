use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use tagscope::cli::{Cli, Command, InputArgs};
use tagscope::export;
use tagscope::ingest::{self, IngestOptions, csv_readers, text};

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
    }
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
