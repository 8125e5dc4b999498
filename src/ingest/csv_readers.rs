//! CSV inputs: twarc-csv's default columns, and any CSV with a `--map` of its columns
//! (as the QUT coordination-network-toolkit's CSV input).

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::io::{BufRead, Read};

use serde_json::Value;

use super::IngestError;
use super::chunks::FileOutput;
use super::json::RECORD_TOO_LARGE;
use super::record::{
    AccountRecord, Collector, FOURCHAN, PostKind, PostRecord, RecordFilter, TWITTER,
};
use super::text::{
    hashtags_in_text, normalise_hashtag, parse_any_time, parse_iso_time, urls_in_text,
};

/// Column positions by name.
#[derive(Clone)]
struct Header(HashMap<String, usize>);

impl Header {
    fn new(record: &csv::StringRecord) -> Self {
        Header(
            record
                .iter()
                .enumerate()
                .map(|(i, name)| (name.trim().to_string(), i))
                .collect(),
        )
    }

    fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        let value = row.get(*self.0.get(name)?)?.trim();
        (!value.is_empty()).then_some(value)
    }
}

/// A batch of whole records as the splitter hands it on: their raw bytes, cut into parts
/// that are runs of records or skips the splitter found (over the record bound, an
/// unreadable rest of file), in file order, so that every batch's counts come out as one
/// pass would give.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    parts: Vec<Part>,
    /// The first line of the records run not closed yet.
    open_line: Option<u64>,
}

enum Part {
    /// Records from the previous part's end to `end` in `bytes`, the first at `first_line`.
    Records {
        end: usize,
        first_line: u64,
    },
    Skip(u64, &'static str, String),
}

impl Batch {
    fn close_records(&mut self) {
        if let Some(first_line) = self.open_line.take() {
            let end = self.bytes.len();
            self.parts.push(Part::Records { end, first_line });
        }
    }

    fn skip(&mut self, line: u64, reason: &'static str, detail: String) {
        self.close_records();
        self.parts.push(Part::Skip(line, reason, detail));
    }
}

/// Records handed to a worker at once: about this many bytes of input (or a record more).
const BATCH_BYTES: u64 = 4 << 20;
/// Batches waiting for a worker: bounds the raw text held in memory.
const BATCHES_IN_FLIGHT: usize = 4;

/// Reads a CSV file's rows in parallel. One thread finds where records end with csv-core
/// (the parser of the `csv` crate, with its defaults: quoted fields may hold newlines, so
/// records cannot be cut at line ends) and sends their bytes on in batches of about
/// [`BATCH_BYTES`]; rayon workers parse each batch's records again with csv-core into
/// fields and turn them into a piece with its own collector; pieces are put back in file
/// order, so outputs and counts are those of one pass. (The splitter only scans: building
/// every record there held CSV reading to one core's speed.) A record longer than
/// `max_record_bytes` is discarded as it streams past and counted as `record too large`,
/// never held whole; rows with bad UTF-8 are counted as skipped. `on_header` checks the
/// header before any row is read and returns what `handle` reads rows with (e.g. the
/// column of each field, resolved once).
fn read_rows_parallel<C: Send + Sync>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    max_record_bytes: usize,
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError> + Send,
    handle: impl Fn(&C, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    let limits = (max_record_bytes, BATCH_BYTES);
    read_rows_batched(
        reader, path_label, limits, filter, file_index, on_header, handle,
    )
}

/// [`read_rows_parallel`] with the batch size as a parameter (tests cut tiny batches).
fn read_rows_batched<C: Send + Sync>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes): (usize, u64),
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError> + Send,
    handle: impl Fn(&C, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(usize, Batch)>(BATCHES_IN_FLIGHT);
    let columns: std::sync::OnceLock<C> = std::sync::OnceLock::new();
    let (split, pieces) = std::thread::scope(|scope| {
        let columns = &columns;
        let splitter = scope.spawn(move || {
            let limits = (max_record_bytes, batch_bytes);
            split_records(reader, path_label, limits, columns, on_header, sender)
        });
        let pieces: Vec<(usize, Result<FileOutput, IngestError>)> = receiver
            .into_iter()
            .par_bridge()
            .map(|(index, batch)| {
                let columns = columns.get().expect("rows come after the header");
                let mut collector = Collector::new(filter, file_index, path_label);
                let mut rows = RowParser::default();
                let mut start = 0;
                for part in batch.parts {
                    match part {
                        Part::Records { end, first_line } => {
                            let records = &batch.bytes[start..end];
                            rows.parse(records, first_line, &mut |row, line| match row {
                                Ok(row) => handle(columns, row, line, &mut collector),
                                Err(detail) => {
                                    collector.skip(line, "invalid UTF-8", Some(&detail));
                                }
                            });
                            start = end;
                        }
                        Part::Skip(line, reason, detail) => {
                            collector.skip(line, reason, Some(&detail));
                        }
                    }
                }
                let mut piece = FileOutput::default();
                (index, piece.absorb_collector(collector).map(|()| piece))
            })
            .collect();
        let split = splitter.join().unwrap_or_else(|_| {
            Err(IngestError::Format {
                path: path_label.to_string(),
                reason: "the CSV reader thread failed".to_string(),
            })
        });
        (split, pieces)
    });
    split?;
    let mut pieces = pieces;
    pieces.sort_by_key(|(index, _)| *index);
    let mut output = FileOutput::default();
    for (_, piece) in pieces {
        let piece = piece?;
        output.frames.extend(piece.frames);
        output.accounts.absorb(piece.accounts);
        output.counts.absorb(piece.counts);
    }
    Ok(output)
}

/// The reader's buffered bytes, refilled when empty (empty at the end of the input);
/// interrupted reads are retried.
fn fill<R: Read>(input: &mut std::io::BufReader<R>) -> std::io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
            Ok(_) => break,
        }
    }
    // Buffered now: this returns it without reading again.
    input.fill_buf()
}

/// The number of line ends in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// How many bytes at the start of `bytes` are line ends (`\r`, `\n`): empty lines, and the
/// `\n` of a `\r\n` after the record before. csv-core skips them too; cutting them off
/// first gives every record the line its first cell is on.
fn line_ends(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(bytes.len())
}

/// Parses whole records with csv-core into a reused row, reporting each record's line.
#[derive(Default)]
struct RowParser {
    fields: Vec<u8>,
    ends: Vec<usize>,
    row: csv::StringRecord,
}

impl RowParser {
    /// Calls `on_row` with each record of `records` (whole records, the first on
    /// `first_line`) and its line: the row, or why it is not one (bad UTF-8). Rows whose
    /// cells are all blank are not records and are passed over.
    fn parse(
        &mut self,
        mut records: &[u8],
        first_line: u64,
        on_row: &mut dyn FnMut(Result<&csv::StringRecord, String>, u64),
    ) {
        use csv_core::ReadRecordResult;
        if self.fields.is_empty() {
            self.fields = vec![0; 4096];
            self.ends = vec![0; 64];
        }
        let mut core = csv_core::Reader::new();
        let mut line = first_line;
        loop {
            let skipped = line_ends(records);
            line += newlines(&records[..skipped]);
            records = &records[skipped..];
            if records.is_empty() {
                return;
            }
            let (mut outlen, mut endlen) = (0usize, 0usize);
            let record_line = line;
            loop {
                let (result, read, written, ended) = core.read_record(
                    records,
                    &mut self.fields[outlen..],
                    &mut self.ends[endlen..],
                );
                line += newlines(&records[..read]);
                records = &records[read..];
                outlen += written;
                endlen += ended;
                match result {
                    // The end of the input is the end of the last record (a file's last
                    // record may have no line end): an empty input tells csv-core so.
                    ReadRecordResult::InputEmpty => {}
                    ReadRecordResult::OutputFull => {
                        let grown = self.fields.len() * 2;
                        self.fields.resize(grown, 0);
                    }
                    ReadRecordResult::OutputEndsFull => {
                        let grown = self.ends.len() * 2;
                        self.ends.resize(grown, 0);
                    }
                    ReadRecordResult::Record => break,
                    ReadRecordResult::End => return,
                }
            }
            self.row.clear();
            let mut start = 0;
            let mut bad = None;
            for (field, &end) in self.ends[..endlen].iter().enumerate() {
                match std::str::from_utf8(&self.fields[start..end]) {
                    Ok(cell) => self.row.push_field(cell),
                    Err(error) => {
                        bad = Some(format!(
                            "field {}: invalid utf-8: invalid UTF-8 in field {field} near \
                             byte index {}",
                            field + 1,
                            error.valid_up_to()
                        ));
                        break;
                    }
                }
                start = end;
            }
            match bad {
                Some(detail) => on_row(Err(detail), record_line),
                None if self.row.iter().all(|cell| cell.trim().is_empty()) => {}
                None => on_row(Ok(&self.row), record_line),
            }
        }
    }
}

/// The splitter of [`read_rows_parallel`]: the header (checked by `on_header`, whose
/// result goes into `columns`), then every record's bytes, in batches, to `sender`.
fn split_records<C>(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes_limit): (usize, u64),
    columns: &std::sync::OnceLock<C>,
    on_header: impl FnOnce(&Header) -> Result<C, IngestError>,
    sender: std::sync::mpsc::SyncSender<(usize, Batch)>,
) -> Result<(), IngestError> {
    use csv_core::ReadRecordResult;
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut core = csv_core::Reader::new();
    // The splitter keeps no fields: csv-core writes them here and they are overwritten.
    let mut scratch = vec![0u8; 4096];
    let mut scratch_ends = vec![0usize; 64];
    let mut on_header = Some(on_header);
    let header_error = |reason: String| IngestError::Format {
        path: path_label.to_string(),
        reason: format!("unreadable CSV header: {reason}"),
    };
    let mut batch = Batch::default();
    let mut batches = 0usize;
    let mut send = |batch: &mut Batch| {
        batch.close_records();
        if !batch.parts.is_empty() {
            // A closed channel means the workers are gone; the scope reports why.
            let _ = sender.send((batches, std::mem::take(batch)));
            batches += 1;
        } else {
            batch.bytes.clear();
        }
    };
    let mut line = 1u64;
    loop {
        // Line ends before the record are not part of it (see line_ends): they start no
        // run of records.
        let mut read_error = None;
        loop {
            let buffer = match fill(&mut input) {
                Ok(buffer) => buffer,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            let skipped = line_ends(buffer);
            let whole = skipped == buffer.len() && !buffer.is_empty();
            line += newlines(&buffer[..skipped]);
            if batch.open_line.is_some() {
                // Inside a run of records the worker counts these lines itself.
                batch.bytes.extend_from_slice(&buffer[..skipped]);
            }
            input.consume(skipped);
            if !whole {
                break;
            }
        }
        let record_line = line;
        let record_start = batch.bytes.len();
        let mut record_bytes = 0u64;
        let mut too_large = false;
        while read_error.is_none() {
            let buffer = match fill(&mut input) {
                Ok(buffer) => buffer,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            let (result, read, _, _) = core.read_record(buffer, &mut scratch, &mut scratch_ends);
            line += newlines(&buffer[..read]);
            record_bytes += read as u64;
            if record_bytes > max_record_bytes as u64 {
                // Keep scanning to find where the record ends, but keep none of it.
                too_large = true;
                batch.bytes.truncate(record_start);
            } else {
                batch.bytes.extend_from_slice(&buffer[..read]);
            }
            input.consume(read);
            match result {
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => break,
                ReadRecordResult::End => {
                    batch.bytes.truncate(record_start);
                    send(&mut batch);
                    return Ok(());
                }
            }
        }
        if let Some(error) = read_error {
            batch.bytes.truncate(record_start);
            if columns.get().is_none() {
                return Err(header_error(error.to_string()));
            }
            batch.skip(record_line, "unreadable rest of file", error.to_string());
            send(&mut batch);
            return Ok(());
        }
        if too_large {
            if columns.get().is_none() {
                return Err(header_error(format!(
                    "longer than --max-record-bytes {max_record_bytes}"
                )));
            }
            let detail =
                format!("{record_bytes} bytes, more than --max-record-bytes {max_record_bytes}");
            batch.skip(record_line, RECORD_TOO_LARGE, detail);
        } else if columns.get().is_none() {
            let header_bytes = std::mem::take(&mut batch.bytes);
            let mut header = None;
            let mut bad = None;
            RowParser::default().parse(&header_bytes, record_line, &mut |row, _| match row {
                Ok(row) => header = Some(Header::new(row)),
                Err(detail) => bad = Some(detail),
            });
            if let Some(detail) = bad {
                return Err(header_error(format!("invalid UTF-8 in {detail}")));
            }
            // A header of blank cells is a header all the same: no column has a name.
            let header = header.unwrap_or_else(|| Header::new(&csv::StringRecord::new()));
            let check = on_header.take().expect("one header");
            let _ = columns.set(check(&header)?);
        } else if batch.open_line.is_none() {
            batch.open_line = Some(record_line);
        }
        if batch.bytes.len() as u64 >= batch_bytes_limit {
            send(&mut batch);
        }
    }
}

/// A list cell: JSON-encoded (twarc-csv's default `--json-encode-lists`), holding strings
/// (`"#tag"`, `"@user"`, URLs) or objects (`{"tag"}`, `{"username"}`, `{"expanded_url"}`),
/// or plain text separated by spaces, commas or semicolons.
fn list_cell(cell: Option<&str>, object_keys: &[&str]) -> Vec<String> {
    let Some(cell) = cell else { return Vec::new() };
    if cell.starts_with('[')
        && let Ok(Value::Array(items)) = serde_json::from_str::<Value>(cell)
    {
        return items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Object(map) => object_keys
                    .iter()
                    .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_string)),
                _ => None,
            })
            .collect();
    }
    cell.split([' ', ',', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_bool(cell: Option<&str>) -> Option<bool> {
    match cell?.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn parse_int(cell: Option<&str>) -> Option<i64> {
    let cell = cell?;
    cell.parse::<i64>().ok().or_else(|| {
        cell.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
    })
}

/// twarc-csv writes text either JSON-encoded (`--json-encode-text`) or with newlines
/// escaped as a literal `\n`.
fn twarc_text(cell: &str) -> String {
    if cell.len() >= 2
        && cell.starts_with('"')
        && cell.ends_with('"')
        && let Ok(decoded) = serde_json::from_str::<String>(cell)
    {
        return decoded;
    }
    cell.replace("\\n", "\n")
}

/// Reads a twarc-csv file. With twarc-csv's default `--merge-retweets`, a retweet row
/// carries the original's text, entities and metrics: the text becomes `RT @user: ...`
/// and the metrics are left null, so a retweet never counts the original's engagement
/// as its own.
pub fn read_twarc_csv(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    max_record_bytes: usize,
    filter: &RecordFilter,
    file_index: u32,
) -> Result<FileOutput, IngestError> {
    read_rows_parallel(
        reader,
        path_label,
        max_record_bytes,
        filter,
        file_index,
        |header| Ok(header.clone()),
        |header, row, line, collector| {
            let get = |name: &str| header.get(row, name);
            let Some(post_id) = get("id") else {
                collector.skip(line, "not a tweet", Some("empty id"));
                return;
            };
            let Some(created_at_ms) = get("created_at").and_then(parse_iso_time) else {
                collector.skip(line, "bad or missing created_at", get("created_at"));
                return;
            };
            // Older twarc-csv versions wrote a `referenced_tweets` JSON column instead.
            let mut references: BTreeMap<String, String> = BTreeMap::new();
            for (kind, column) in [
                ("retweeted", "referenced_tweets.retweeted.id"),
                ("quoted", "referenced_tweets.quoted.id"),
                ("replied_to", "referenced_tweets.replied_to.id"),
            ] {
                if let Some(id) = get(column) {
                    references.insert(kind.to_string(), id.to_string());
                }
            }
            if let Some(Value::Array(items)) =
                get("referenced_tweets").and_then(|c| serde_json::from_str(c).ok())
            {
                for item in items {
                    if let (Some(kind), Some(id)) = (
                        item.get("type").and_then(Value::as_str),
                        item.get("id").and_then(Value::as_str),
                    ) {
                        references
                            .entry(kind.to_string())
                            .or_insert_with(|| id.to_string());
                    }
                }
            }
            let (kind, parent_id, parent_author) = if let Some(id) = references.get("retweeted") {
                (PostKind::Retweet, Some(id), get("retweeted_user_id"))
            } else if let Some(id) = references.get("quoted") {
                (PostKind::Quote, Some(id), get("quoted_user_id"))
            } else if let Some(id) = references.get("replied_to") {
                (PostKind::Reply, Some(id), get("in_reply_to_user_id"))
            } else {
                (PostKind::Original, None, None)
            };
            let mut post = PostRecord::new(TWITTER, post_id.to_string(), created_at_ms, kind);
            post.author_id = get("author_id").or(get("author.id")).map(str::to_string);
            post.author_handle = get("author.username").map(str::to_string);
            post.parent_post_id = parent_id.cloned();
            post.parent_author_id = parent_author.map(str::to_string);
            let text = get("text").map(twarc_text);
            post.text = match (kind, text) {
                (PostKind::Retweet, Some(text)) if !text.starts_with("RT @") => Some(format!(
                    "RT @{}: {text}",
                    get("retweeted_username").unwrap_or("?")
                )),
                (_, text) => text,
            };
            post.hashtags = list_cell(get("entities.hashtags"), &["tag"])
                .iter()
                .map(|t| normalise_hashtag(t))
                .collect();
            post.mentions = list_cell(get("entities.mentions"), &["username"])
                .iter()
                .map(|m| m.trim_start_matches('@').to_lowercase())
                .collect();
            post.urls = list_cell(
                get("entities.urls"),
                &["unwound_url", "expanded_url", "url"],
            );
            post.lang = get("lang").map(str::to_string);
            post.source_app = get("source").map(str::to_string);
            post.thread_id = get("conversation_id").map(str::to_string);
            if kind != PostKind::Retweet {
                post.retweet_count = parse_int(get("public_metrics.retweet_count"));
                post.like_count = parse_int(get("public_metrics.like_count"));
            }
            let account = post.author_id.clone().map(|account_id| AccountRecord {
                platform: TWITTER,
                account_id,
                handle: post.author_handle.clone(),
                display_name: get("author.name").map(str::to_string),
                account_created_at_ms: get("author.created_at").and_then(parse_iso_time),
                followers: parse_int(get("author.public_metrics.followers_count")),
                friends: parse_int(get("author.public_metrics.following_count")),
                statuses_count: parse_int(get("author.public_metrics.tweet_count")),
                listed_count: parse_int(get("author.public_metrics.listed_count")),
                verified: parse_bool(get("author.verified")),
                description: get("author.description").map(twarc_text),
                location: get("author.location").map(twarc_text),
                ..AccountRecord::default()
            });
            collector.post(post, line, account.into_iter().collect());
        },
    )
}

/// The canonical fields a generic CSV's columns can be mapped to.
pub const MAP_KEYS: &[(&str, &str)] = &[
    ("id", "post id (required)"),
    (
        "time",
        "post time: Unix s or ms, ISO 8601, `YYYY-MM-DD HH:MM:SS` or `M/D/YYYY HH:MM` UTC (required)",
    ),
    ("author", "author id"),
    ("handle", "author handle"),
    ("text", "post text"),
    ("parent", "id of the post replied to"),
    (
        "retweet_of",
        "id of the post reposted (QUT toolkit: repost_id)",
    ),
    ("quote_of", "id of the post quoted"),
    ("parent_author", "author id of the parent post"),
    ("kind", "original / retweet / quote / reply / thread"),
    (
        "hashtags",
        "hashtags (JSON list or separated by spaces/commas); else taken from text",
    ),
    (
        "urls",
        "URLs (JSON list or separated); else taken from text",
    ),
    ("mentions", "mentioned handles"),
    ("lang", "language code"),
    ("thread", "thread or conversation id"),
    (
        "platform",
        "a column holding twitter/4chan, or the constant `twitter` or `4chan`",
    ),
];

/// Parses `id=message_id,author=user_id,...`.
pub fn parse_column_map(spec: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, column) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not FIELD=COLUMN"))?;
        let key = key.trim();
        if !MAP_KEYS.iter().any(|(k, _)| *k == key) {
            let known: Vec<&str> = MAP_KEYS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "unknown field `{key}` (known: {})",
                known.join(", ")
            ));
        }
        map.insert(key.to_string(), column.trim().to_string());
    }
    for required in ["id", "time"] {
        if !map.contains_key(required) {
            return Err(format!("`{required}=COLUMN` is required"));
        }
    }
    Ok(map)
}

/// The fields of `--map`, in the order of [`MAP_KEYS`].
#[derive(Debug, Clone, Copy)]
enum Field {
    Id,
    Time,
    Author,
    Handle,
    Text,
    Parent,
    RetweetOf,
    QuoteOf,
    ParentAuthor,
    Kind,
    Hashtags,
    Urls,
    Mentions,
    Lang,
    Thread,
    Platform,
}

const _: () = assert!(MAP_KEYS.len() == Field::Platform as usize + 1);

/// The column of each mapped field, found once in the header (looking names up in every
/// row was a tenth of CSV reading).
struct MappedColumns {
    columns: [Option<usize>; MAP_KEYS.len()],
    /// `None` without a platform field; else the constant it names, if it names one.
    platform: Option<Option<&'static str>>,
}

impl MappedColumns {
    fn new(map: &BTreeMap<String, String>, header: &Header) -> Self {
        let mut columns = [None; MAP_KEYS.len()];
        for (position, (key, _)) in MAP_KEYS.iter().enumerate() {
            if let Some(column) = map.get(*key) {
                columns[position] = header.0.get(column.as_str()).copied();
            }
        }
        MappedColumns {
            columns,
            platform: map.get("platform").map(|column| platform_name(column)),
        }
    }

    /// Whether the field names a column (every named column exists: the header was
    /// checked).
    fn mapped(&self, field: Field) -> bool {
        self.columns[field as usize].is_some()
    }

    /// The field's cell in `row`, trimmed; `None` when unmapped or blank.
    fn get<'r>(&self, row: &'r csv::StringRecord, field: Field) -> Option<&'r str> {
        let value = row.get(self.columns[field as usize]?)?.trim();
        (!value.is_empty()).then_some(value)
    }
}

fn platform_name(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "twitter" | "x" => Some(TWITTER),
        "4chan" | "fourchan" => Some(FOURCHAN),
        _ => None,
    }
}

/// Reads any CSV through the `--map FIELD=COLUMN` mapping `map`; a mapped column missing
/// from the header is an [`IngestError::Format`], and a row without an id or a readable
/// time is a skipped record.
pub fn read_generic_csv(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    map: &BTreeMap<String, String>,
    max_record_bytes: usize,
    filter: &RecordFilter,
    file_index: u32,
) -> Result<FileOutput, IngestError> {
    let check_header = |header: &Header| {
        for (field, column) in map {
            let constant_platform = field == "platform" && platform_name(column).is_some();
            if !constant_platform && !header.0.contains_key(column) {
                return Err(IngestError::Format {
                    path: path_label.to_string(),
                    reason: format!("--map {field}={column}: the CSV has no column `{column}`"),
                });
            }
        }
        Ok(MappedColumns::new(map, header))
    };
    read_rows_parallel(
        reader,
        path_label,
        max_record_bytes,
        filter,
        file_index,
        check_header,
        |columns, row, line, collector| {
            let get = |field: Field| columns.get(row, field);
            let Some(post_id) = get(Field::Id) else {
                collector.skip(line, "not a post", Some("empty id"));
                return;
            };
            let Some(created_at_ms) = get(Field::Time).and_then(parse_any_time) else {
                collector.skip(line, "bad or missing created_at", get(Field::Time));
                return;
            };
            let platform = match columns.platform {
                None => TWITTER,
                Some(constant) => {
                    match constant.or_else(|| get(Field::Platform).and_then(platform_name)) {
                        Some(platform) => platform,
                        None => {
                            collector.skip(line, "unknown platform", get(Field::Platform));
                            return;
                        }
                    }
                }
            };
            let (kind, parent) = match get(Field::Kind).map(str::to_ascii_lowercase).as_deref() {
                Some("retweet" | "rt" | "repost" | "share") => (
                    PostKind::Retweet,
                    get(Field::RetweetOf).or(get(Field::Parent)),
                ),
                Some("quote") => (PostKind::Quote, get(Field::QuoteOf).or(get(Field::Parent))),
                Some("reply") => (PostKind::Reply, get(Field::Parent)),
                Some("thread") => (PostKind::Thread, None),
                Some("original" | "tweet" | "post") => (PostKind::Original, None),
                Some(other) => {
                    collector.skip(line, "unknown kind", Some(other));
                    return;
                }
                None => {
                    if let Some(id) = get(Field::RetweetOf) {
                        (PostKind::Retweet, Some(id))
                    } else if let Some(id) = get(Field::QuoteOf) {
                        (PostKind::Quote, Some(id))
                    } else if let Some(id) = get(Field::Parent) {
                        (PostKind::Reply, Some(id))
                    } else {
                        (PostKind::Original, None)
                    }
                }
            };
            let mut post = PostRecord::new(platform, post_id.to_string(), created_at_ms, kind);
            post.author_id = get(Field::Author)
                .or(get(Field::Handle))
                .map(str::to_string);
            post.author_handle = get(Field::Handle).map(str::to_string);
            post.parent_post_id = parent.map(str::to_string);
            post.parent_author_id = get(Field::ParentAuthor).map(str::to_string);
            post.text = get(Field::Text).map(str::to_string);
            let text = post.text.as_deref().unwrap_or_default();
            post.hashtags = if columns.mapped(Field::Hashtags) {
                list_cell(get(Field::Hashtags), &["tag", "text"])
                    .iter()
                    .map(|t| normalise_hashtag(t))
                    .collect()
            } else {
                hashtags_in_text(text)
            };
            post.urls = if columns.mapped(Field::Urls) {
                list_cell(get(Field::Urls), &["expanded_url", "url"])
            } else {
                urls_in_text(text)
            };
            post.mentions = list_cell(get(Field::Mentions), &["username", "screen_name"])
                .iter()
                .map(|m| m.trim_start_matches('@').to_lowercase())
                .collect();
            post.lang = get(Field::Lang).map(str::to_string);
            post.thread_id = get(Field::Thread).map(str::to_string);
            let account = post.author_id.clone().map(|account_id| AccountRecord {
                platform,
                account_id,
                handle: post.author_handle.clone(),
                ..AccountRecord::default()
            });
            collector.post(post, line, account.into_iter().collect());
        },
    )
}

#[cfg(test)]
mod tests;
