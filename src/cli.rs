//! Command-line interface definitions (clap). `main.rs` only dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ingest::source::Format;

#[derive(Parser, Debug)]
#[command(
    name = "tagscope",
    version,
    about = "How a hashtag campaign spread across Twitter and 4chan exports, and who pushed it.",
    long_about = None
)]
pub struct Cli {
    /// No progress output on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read exports into the canonical posts.parquet, accounts.parquet and ingest_report.json.
    #[command(
        after_help = "Example:\n  tagscope ingest data/demo --tag MacronLeaks -o out/ingest\n  \
        tagscope ingest qut.csv --map id=message_id,author=user_id,time=timestamp,retweet_of=repost_id,text=message -o out"
    )]
    Ingest(IngestArgs),
}

/// Options shared by every command that reads exports.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Export files or folders (read recursively); gzip and zstd are decompressed.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Force a format instead of recognising each file from its content.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Keep posts carrying this hashtag (any case or width; a retweet counts if the original
    /// carries it; a 4chan post if its text contains it). Repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Keep posts at or after this time (ISO 8601, e.g. 2017-05-05T00:00:00Z, or a date).
    #[arg(long)]
    pub since: Option<String>,
    /// Keep posts before this time (ISO 8601 or a date).
    #[arg(long)]
    pub until: Option<String>,
    /// Fail if any input record is skipped or any file in a folder is not recognised.
    #[arg(long)]
    pub strict: bool,
    /// Column mapping for a generic CSV: FIELD=COLUMN pairs, comma-separated. Fields: id,
    /// time (required), author, handle, text, parent, retweet_of, quote_of, parent_author,
    /// kind, hashtags, urls, mentions, lang, thread, platform.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub map: Option<String>,
    /// 4chan board for thread files that do not name it (else taken from the path).
    #[arg(long)]
    pub board: Option<String>,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
}
