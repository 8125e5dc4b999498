//! Stage 1: every export format into the canonical `posts` and `accounts` DataFrames
//! (DESIGN.md, "Canonical tables"), with an account of every input record.
//!
//! Files are found (folders recursively, sorted), decompressed (gzip, zstd) and their
//! format recognised from content; line-delimited files stream through parallel parsers
//! (see [`chunks`]); documents (arrays, pretty-printed threads) are parsed whole. Posts are
//! deduplicated on `(platform, post_id)` keeping the first seen, parent columns missing in
//! an export are filled from the collected posts, and rows are sorted by time.

pub mod accounts;
pub mod bluesky;
pub mod chunks;
mod compact;
pub mod csv_readers;
mod csv_split;
mod finish;
pub mod fourchan;
mod in_order;
pub mod json;
pub mod mastodon;
pub mod record;
pub mod reddit;
pub mod source;
pub mod telegram;
pub mod text;
pub mod twitter_v1;
pub mod twitter_v2;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use polars::prelude::*;
use serde::Serialize;

use chunks::FileOutput;
use json::JsonDocument;
use record::{AccountMap, Collector, Counts, RecordFilter, SkipExample};
use source::{Compression, Format, Sniffed};

/// Why ingest failed as a whole. Bad records never fail it (they are counted as skipped in
/// the [`IngestReport`]) unless `--strict` asks for it.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file or folder could not be opened or read.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A file is not a recognised export of posts (a named one, or any with `--strict`), or
    /// a CSV's columns do not fit `--map`.
    #[error("{path}: {reason}")]
    Format {
        /// The file's path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Building or combining the tables failed in polars.
    #[error("{0}")]
    Polars(#[from] PolarsError),
    /// `--strict` and at least one input record was skipped.
    #[error("--strict: {skipped} input record(s) skipped, first at {first}")]
    Strict {
        /// How many records were skipped in all.
        skipped: u64,
        /// The first skipped record, as `file:line (reason)`.
        first: String,
    },
    /// The inputs hold no files.
    #[error("no input files found")]
    NoInput,
}

/// The default bound on one record's size (`--max-record-bytes`): 64 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Force one format instead of recognising each file's.
    pub format: Option<Format>,
    /// Keep posts carrying any of these tags (any spelling; see [`text::normalise_hashtag`]).
    pub tags: Vec<String>,
    /// Keep posts at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Keep posts before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// Fail when any input record is skipped, or a file in a folder is not recognised.
    pub strict: bool,
    /// Column mapping for generic CSVs (`--map`).
    pub column_map: Option<BTreeMap<String, String>>,
    /// 4chan board for thread files that do not name theirs.
    pub board: Option<String>,
    /// The longest record read (a JSON line, a JSON document or an item of a large array, a
    /// CSV record); a longer one is skipped as `record too large` and never held whole.
    pub max_record_bytes: usize,
    /// Time zone of Telegram `date` values (local time without offset) in exports without
    /// `date_unixtime`; `None` reads them as UTC.
    pub telegram_tz: Option<chrono_tz::Tz>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: None,
            tags: Vec::new(),
            since_ms: None,
            until_ms: None,
            strict: false,
            column_map: None,
            board: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            telegram_tz: None,
        }
    }
}

/// How one input file went.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file's path as found (named, or below a named folder).
    pub path: String,
    /// The format it was read as (`twitter-v1`, `twarc-csv`, ...; see [`Format::name`]);
    /// null when it was empty or refused.
    pub format: Option<&'static str>,
    /// Compression recognised from its magic bytes.
    pub compression: Compression,
    /// Size of the file as stored (compressed or not), in bytes.
    pub bytes: u64,
    /// `read`, `empty`, or `refused` (a file in a folder that is not posts).
    pub status: &'static str,
    /// Why the file was empty or refused; null when it was read.
    pub note: Option<String>,
    /// Input records met in the file (`kept + filtered_out + skipped`).
    pub records: u64,
    /// Records that became posts and passed the filters (before deduplication across
    /// files).
    pub kept: u64,
    /// Posts dropped by `--tag`, `--since` or `--until`.
    pub filtered_out: u64,
    /// Records that gave no post (bad JSON, delete notices, ...), counted by reason in the
    /// [`IngestReport`].
    pub skipped: u64,
    /// Lines holding only white space: not records, so outside the count above.
    pub blank_lines: u64,
}

/// `ingest_report.json`: every input record accounted for, as
/// `records_read = posts + duplicates + filtered_out + skipped`.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Input records met in all files.
    pub records_read: u64,
    /// Rows of `posts`: unique `(platform, post_id)` pairs kept.
    pub posts: u64,
    /// Kept posts dropped as repeats of a `(platform, post_id)` already seen (the first
    /// seen is kept).
    pub duplicates: u64,
    /// Posts dropped by `--tag`, `--since` or `--until`.
    pub filtered_out: u64,
    /// Records that gave no post, in all.
    pub skipped: u64,
    /// Skipped records by reason (`invalid JSON`, `delete notice`, ...).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// The first skipped records (at most [`record::MAX_SKIP_EXAMPLES`]) with file, line
    /// and reason.
    pub skip_examples: Vec<SkipExample>,
    /// Rows of `accounts`.
    pub accounts: u64,
    /// Rows of `posts` per `platform` value.
    pub posts_by_platform: BTreeMap<String, u64>,
    /// Rows of `posts` per `kind` value (`original`, `retweet`, ...).
    pub posts_by_kind: BTreeMap<String, u64>,
    /// Time of the earliest post, ISO 8601 UTC to the second; null without posts.
    pub first_post_at: Option<String>,
    /// Time of the latest post, ISO 8601 UTC to the second; null without posts.
    pub last_post_at: Option<String>,
    /// The filters applied while reading.
    pub filters: FilterReport,
    /// One report per input file, in reading order.
    pub files: Vec<FileReport>,
}

/// The filters of an ingest, as applied (`filters` in `ingest_report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct FilterReport {
    /// `--tag` values, normalised (NFKC, lower case, without `#`); empty when posts are not
    /// filtered by tag.
    pub tags: Vec<String>,
    /// `--since` as ISO 8601 UTC (posts at or after it kept); null when unset.
    pub since: Option<String>,
    /// `--until` as ISO 8601 UTC (posts before it kept); null when unset.
    pub until: Option<String>,
}

/// The canonical tables and the report.
pub struct Ingested {
    /// The canonical `posts` table: one row per `(platform, post_id)`, sorted by time.
    pub posts: DataFrame,
    /// The canonical `accounts` table: one row per account, its latest profile snapshot.
    pub accounts: DataFrame,
    /// How every input record was accounted for (`ingest_report.json`).
    pub report: IngestReport,
    /// SHA-256 (lower-case hex) of each file read whole, by path as the report names it,
    /// taken as it was read ([`ingest_with_checksums`]; empty otherwise); files refused,
    /// empty or read only in part are not here.
    pub sha256: HashMap<String, String>,
}

/// Reads every input into the canonical tables.
pub fn ingest(inputs: &[PathBuf], options: &IngestOptions) -> Result<Ingested, IngestError> {
    ingest_with_progress(inputs, options, &|_| {})
}

/// Where ingest is, for a progress display: reported as each file starts and every
/// [`PROGRESS_EVERY`] while files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestProgress {
    /// Index of the file being read (0-based), and the number of files.
    pub file: usize,
    /// Number of input files found.
    pub files: usize,
    /// Bytes of the input files as stored (compressed or not) read so far, and in all: a
    /// rate and time left follow from these.
    pub bytes_read: u64,
    /// Size of all input files as stored, in bytes.
    pub bytes_total: u64,
    /// Every file is read; the posts are being deduplicated, joined to their parents and
    /// sorted.
    pub assembling: bool,
}

/// How often progress is reported while a file is read.
pub const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// As [`ingest`], calling `progress` as each file starts, every [`PROGRESS_EVERY`] while
/// they are read (from a helper thread), and once all are read.
pub fn ingest_with_progress(
    inputs: &[PathBuf],
    options: &IngestOptions,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingested, IngestError> {
    ingest_checked(inputs, options, progress, false)
}

/// [`ingest_with_progress`], also taking the SHA-256 of each file as it is read
/// ([`Ingested::sha256`]; the run's manifest).
pub fn ingest_with_checksums(
    inputs: &[PathBuf],
    options: &IngestOptions,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<Ingested, IngestError> {
    ingest_checked(inputs, options, progress, true)
}

fn ingest_checked(
    inputs: &[PathBuf],
    options: &IngestOptions,
    progress: &(dyn Fn(IngestProgress) + Sync),
    checksums: bool,
) -> Result<Ingested, IngestError> {
    let started = std::time::Instant::now();
    let files = source::expand_inputs(inputs)?;
    if files.is_empty() {
        return Err(IngestError::NoInput);
    }
    // Sizes for the progress display only: a file that cannot be opened is reported by
    // `read_file`.
    let sizes: Vec<u64> = files
        .iter()
        .map(|(path, _)| std::fs::metadata(path).map_or(0, |m| m.len()))
        .collect();
    let bytes_total: u64 = sizes.iter().sum();
    let read = Arc::new(AtomicU64::new(0));
    let current_file = AtomicUsize::new(0);
    let now = |assembling: bool| IngestProgress {
        file: current_file.load(Ordering::Acquire),
        files: files.len(),
        bytes_read: read.load(Ordering::Relaxed).min(bytes_total),
        bytes_total,
        assembling,
    };
    let (done_reading, reading_done) = std::sync::mpsc::channel::<()>();
    let now = &now;
    let read_all = std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                reading_done.recv_timeout(PROGRESS_EVERY)
            {
                progress(now(false));
            }
        });
        let result = read_files(
            &files,
            &sizes,
            options,
            checksums,
            &read,
            &current_file,
            &|| progress(now(false)),
        );
        drop(done_reading);
        result
    })?;
    progress(now(true));
    let (frames, accounts, counts, file_reports, sha256) = read_all;
    if options.strict {
        if let Some(refused) = file_reports.iter().find(|f| f.status == "refused") {
            return Err(IngestError::Format {
                path: refused.path.clone(),
                reason: format!(
                    "--strict: not recognised ({})",
                    refused.note.clone().unwrap_or_default()
                ),
            });
        }
        if counts.skipped() > 0 {
            let first = counts
                .skip_examples
                .first()
                .map(|e| format!("{}:{} ({})", e.file, e.line, e.reason))
                .unwrap_or_default();
            return Err(IngestError::Strict {
                skipped: counts.skipped(),
                first,
            });
        }
    }
    let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    timing("read and parse", started);
    let finishing = std::time::Instant::now();
    // One after the other, the accounts table first: its snapshots (about 0.5 KB an
    // account) are freed before the posts are concatenated, deduplicated and sorted.
    // Side by side, both phases' memory was held at once (10 M posts: +0.4 GB, the ingest
    // peak); each is parallel inside.
    let accounts = record::accounts_dataframe(accounts)?;
    let posts = finish::finish_posts(frames, &paths)?;
    timing("dedup, parents, sort; accounts table", finishing);
    let report = build_report(&posts, &accounts, counts, file_reports, options)?;
    Ok(Ingested {
        posts,
        accounts,
        report,
        sha256,
    })
}

/// What the files gave: piece tables, account snapshots, counts, per-file reports, the
/// checksums of the files read whole.
type ReadFiles = (
    Vec<DataFrame>,
    AccountMap,
    Counts,
    Vec<FileReport>,
    HashMap<String, String>,
);

/// Reads the files one after another; `read` counts their stored bytes as they are read.
fn read_files(
    files: &[(PathBuf, bool)],
    sizes: &[u64],
    options: &IngestOptions,
    checksums: bool,
    read: &Arc<AtomicU64>,
    current_file: &AtomicUsize,
    file_started: &dyn Fn(),
) -> Result<ReadFiles, IngestError> {
    let filter = RecordFilter::new(&options.tags, options.since_ms, options.until_ms);
    let mut frames = Vec::new();
    let mut accounts = AccountMap::default();
    let mut counts = Counts::default();
    let mut file_reports = Vec::new();
    let mut sha256 = HashMap::new();
    let mut before = 0u64;
    for (index, (path, explicit)) in files.iter().enumerate() {
        // The count first: whoever sees the new file sees its bytes start (Release/Acquire).
        read.store(before, Ordering::Relaxed);
        current_file.store(index, Ordering::Release);
        file_started();
        let digest = checksums.then(source::StoredDigest::default);
        let (report, output) = read_file(
            index as u32,
            path,
            *explicit,
            options,
            &filter,
            read,
            digest.clone(),
        )?;
        // Every reader of the file is dropped by now, so its digest is in the slot.
        let whole = digest
            .and_then(|slot| {
                slot.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
            })
            .filter(|(hashed, _)| *hashed == report.bytes);
        if let Some((_, digest)) = whole {
            sha256.insert(report.path.clone(), digest);
        }
        file_reports.push(report);
        frames.extend(output.frames);
        accounts.absorb(output.accounts);
        counts.absorb(output.counts);
        before += sizes[index];
    }
    read.store(before, Ordering::Relaxed);
    Ok((frames, accounts, counts, file_reports, sha256))
}

/// With `TAGSCOPE_TIMINGS` set, phase durations go to stderr (for benchmarking).
pub fn timing(phase: &str, since: std::time::Instant) {
    crate::measure::stage_timing("ingest", phase, since);
}

/// Whether a JSON file holds one value per line rather than one pretty-printed document:
/// its first line runs past the sniffed head (a long compact line, e.g. a twarc2 page), or
/// one of its first lines that opens an object is a complete JSON object (a broken first
/// line does not turn a JSONL file into a document). A top-level array is a document.
fn is_line_delimited(head: &[u8]) -> bool {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.trim_ascii())
        .filter(|line| !line.is_empty())
        .peekable();
    let Some(first) = lines.peek() else {
        return false;
    };
    if first.starts_with(b"[") {
        return false;
    }
    let first_line_end = head.iter().position(|&b| b == b'\n');
    if first_line_end.is_none() && head.len() >= source::SNIFF_BYTES {
        return true;
    }
    lines.take(5).any(|line| {
        line.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
    })
}

fn read_file(
    index: u32,
    path: &Path,
    explicit: bool,
    options: &IngestOptions,
    filter: &RecordFilter,
    read: &Arc<AtomicU64>,
    digest: Option<source::StoredDigest>,
) -> Result<(FileReport, FileOutput), IngestError> {
    let label = path.display().to_string();
    let bytes = std::fs::metadata(path)
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let head = source::read_head(path)?;
    let (reader, compression) = source::open_counted(path, Some(read.clone()), digest)?;
    let mut report = FileReport {
        path: label.clone(),
        format: None,
        compression,
        bytes,
        status: "read",
        note: None,
        records: 0,
        kept: 0,
        filtered_out: 0,
        skipped: 0,
        blank_lines: 0,
    };
    // A file that cannot be read as posts: an error when named, reported and passed over
    // when found in a folder.
    let refuse = |mut report: FileReport, reason: String| {
        if explicit {
            return Err(IngestError::Format {
                path: report.path.clone(),
                reason,
            });
        }
        report.status = "refused";
        report.note = Some(reason);
        Ok((report, FileOutput::default()))
    };
    let sniffed = match sniff_or_forced(&head, options.format) {
        Sniffed::Format(format) => format,
        Sniffed::Empty => {
            report.status = "empty";
            report.note = Some("file holds no data".into());
            return Ok((report, FileOutput::default()));
        }
        Sniffed::NotPosts(reason) | Sniffed::Unknown(reason) => {
            let reason =
                format!("not a recognised export of posts: {reason} (use --format to force one)");
            return refuse(report, reason);
        }
    };
    if sniffed == Format::GenericCsv && options.column_map.is_none() {
        let reason = "a CSV that is not twarc-csv output needs --map id=COLUMN,time=COLUMN,... \
                      (see `tagscope ingest --help`)";
        return refuse(report, reason.to_string());
    }
    report.format = Some(sniffed.name());
    let max_record = options.max_record_bytes.max(1);
    let output = match sniffed {
        Format::TwitterV1
        | Format::TwitterV2
        | Format::Fourchan
        | Format::Telegram
        | Format::Bluesky
        | Format::Mastodon
        | Format::Reddit => {
            let tz = options.telegram_tz;
            let board = options
                .board
                .clone()
                .or_else(|| fourchan::board_from_path(path))
                .unwrap_or_else(|| "unknown".to_string());
            if is_line_delimited(&head) {
                match sniffed {
                    Format::TwitterV1 => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        twitter_v1::parse_status,
                    )?,
                    Format::TwitterV2 => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        twitter_v2::parse_line,
                    )?,
                    Format::Telegram => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        |bytes, line, collector| telegram::parse_line(bytes, line, tz, collector),
                    )?,
                    Format::Bluesky => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        bluesky::parse_line,
                    )?,
                    Format::Mastodon => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        mastodon::parse_line,
                    )?,
                    Format::Reddit => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        reddit::parse_line,
                    )?,
                    _ => chunks::read_lines_parallel(
                        reader,
                        filter,
                        index,
                        &label,
                        max_record,
                        |bytes, line, collector| {
                            fourchan::parse_thread_line(bytes, line, &board, collector)
                        },
                    )?,
                }
            } else {
                let mut collector = Collector::new(filter, index, &label);
                // The file's size (compressed: a lower bound) sizes the buffer once; grown
                // by doubling, a 67 MB export was copied and faulted in twice over.
                let size = std::fs::metadata(path).map_or(0, |m| m.len());
                match read_document(reader, max_record, size) {
                    Document::Whole(document, read_error) => {
                        match sniffed {
                            Format::TwitterV1 => {
                                twitter_v1::parse_document(&document, &mut collector)
                            }
                            Format::TwitterV2 => {
                                twitter_v2::parse_document(&document, &mut collector)
                            }
                            Format::Telegram => {
                                telegram::parse_document(&document, tz, &mut collector)
                            }
                            Format::Bluesky => bluesky::parse_document(&document, &mut collector),
                            Format::Mastodon => mastodon::parse_document(&document, &mut collector),
                            Format::Reddit => reddit::parse_document(&document, &mut collector),
                            _ => fourchan::parse_document(&document, &board, &mut collector),
                        }
                        if let Some(error) = read_error {
                            let line = 1 + memchr::memchr_iter(b'\n', &document.bytes).count();
                            let detail = error.to_string();
                            collector.skip(line as u64, "unreadable rest of file", Some(&detail));
                        }
                    }
                    Document::Large(mut reader) => read_large_document(
                        &mut reader,
                        sniffed,
                        &board,
                        tz,
                        max_record,
                        &mut collector,
                    ),
                }
                let mut output = FileOutput::default();
                output.absorb_collector(collector)?;
                output
            }
        }
        Format::TwarcCsv => csv_readers::read_twarc_csv(reader, &label, max_record, filter, index)?,
        Format::GenericCsv => {
            let map = options.column_map.as_ref().expect("checked above");
            csv_readers::read_generic_csv(reader, &label, map, max_record, filter, index)?
        }
    };
    report.records = output.counts.records;
    report.kept = output.counts.kept;
    report.filtered_out = output.counts.filtered_out;
    report.skipped = output.counts.skipped();
    report.blank_lines = output.blank_lines;
    Ok((report, output))
}

fn sniff_or_forced(head: &[u8], forced: Option<Format>) -> Sniffed {
    match (source::sniff(head), forced) {
        (Sniffed::Empty, _) => Sniffed::Empty,
        (_, Some(format)) => Sniffed::Format(format),
        (sniffed, None) => sniffed,
    }
}

/// A JSON document file: whole (with the error that cut reading short, if any), or too
/// large to hold (what was read, then the rest of the file).
enum Document {
    Whole(JsonDocument, Option<std::io::Error>),
    Large(Box<dyn Read + Send>),
}

/// Reads a document of at most `max_record_bytes`, never more: a larger one is handed back
/// as a stream. `size_hint`: the bytes expected (room for them is made at once).
fn read_document(
    reader: Box<dyn Read + Send>,
    max_record_bytes: usize,
    size_hint: u64,
) -> Document {
    let capacity = size_hint.min(max_record_bytes as u64) as usize;
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    let mut reader = reader;
    let read = reader
        .by_ref()
        .take(max_record_bytes as u64 + 1)
        .read_to_end(&mut bytes);
    match read {
        Err(error) => Document::Whole(JsonDocument { bytes }, Some(error)),
        Ok(_) if bytes.len() > max_record_bytes => {
            Document::Large(Box::new(std::io::Cursor::new(bytes).chain(reader)))
        }
        Ok(_) => Document::Whole(JsonDocument { bytes }, None),
    }
}

/// A document larger than the record bound: a top-level array streams item by item (each
/// item bounded); anything else is one skipped record, not read further.
fn read_large_document(
    reader: &mut Box<dyn Read + Send>,
    format: Format,
    board: &str,
    tz: Option<chrono_tz::Tz>,
    max_record_bytes: usize,
    collector: &mut Collector<'_>,
) {
    let mut head = [0u8; 4096];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let start = &head[..filled];
    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
    let is_array = start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !is_array {
        let detail = format!(
            "a JSON document of more than --max-record-bytes {max_record_bytes} bytes that is \
             not an array of records"
        );
        return collector.skip(1, json::RECORD_TOO_LARGE, Some(&detail));
    }
    let mut stream = std::io::Cursor::new(head[..filled].to_vec()).chain(reader);
    let mut parse = |bytes: &[u8], line: u64, collector: &mut Collector<'_>| match format {
        Format::TwitterV1 => twitter_v1::parse_status(bytes, line, collector),
        Format::TwitterV2 => twitter_v2::parse_line(bytes, line, collector),
        Format::Telegram => telegram::parse_line(bytes, line, tz, collector),
        Format::Bluesky => bluesky::parse_line(bytes, line, collector),
        Format::Mastodon => mastodon::parse_line(bytes, line, collector),
        Format::Reddit => reddit::parse_line(bytes, line, collector),
        _ => fourchan::parse_post(bytes, line, board, collector),
    };
    json::stream_array_items(&mut stream, max_record_bytes, collector, &mut parse);
}

fn value_counts(df: &DataFrame, column: &str) -> Result<BTreeMap<String, u64>, IngestError> {
    let mut counts = BTreeMap::new();
    for value in df.column(column)?.str()?.iter().flatten() {
        *counts.entry(value.to_string()).or_insert(0) += 1;
    }
    Ok(counts)
}

fn build_report(
    posts: &DataFrame,
    accounts: &DataFrame,
    counts: Counts,
    files: Vec<FileReport>,
    options: &IngestOptions,
) -> Result<IngestReport, IngestError> {
    let unique = posts.height() as u64;
    let skipped = counts.skipped();
    let created = posts
        .column("created_at")?
        .as_materialized_series()
        .to_physical_repr();
    let created = created.i64()?;
    Ok(IngestReport {
        records_read: counts.records,
        posts: unique,
        duplicates: counts.kept - unique,
        filtered_out: counts.filtered_out,
        skipped,
        skipped_by_reason: counts.skipped_by_reason,
        skip_examples: counts.skip_examples,
        accounts: accounts.height() as u64,
        posts_by_platform: value_counts(posts, "platform")?,
        posts_by_kind: value_counts(posts, "kind")?,
        first_post_at: created.min().and_then(text::iso_seconds),
        last_post_at: created.max().and_then(text::iso_seconds),
        filters: FilterReport {
            tags: RecordFilter::new(&options.tags, None, None).tags,
            since: options.since_ms.and_then(text::iso_seconds),
            until: options.until_ms.and_then(text::iso_seconds),
        },
        files,
    })
}
