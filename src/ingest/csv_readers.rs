//! CSV inputs: twarc-csv's default columns, and any CSV with a `--map` of its columns
//! (as the QUT coordination-network-toolkit's CSV input).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};

use serde_json::Value;

use super::IngestError;
use super::chunks::FileOutput;
use super::json::RECORD_TOO_LARGE;
use super::record::{
    AccountRecord, Collector, FOURCHAN, PostKind, PostRecord, RecordFilter, TWITTER,
};
use super::text::{
    hashtags_in_text, normalize_hashtag, parse_any_time, parse_iso_time, urls_in_text,
};

/// Column positions by name.
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

/// One record of a CSV file as the splitter hands it on: a row to read, or a skip the
/// splitter found (bad UTF-8, over the record bound, an unreadable rest of file), kept in
/// line order with the rows so that every batch's counts come out as one pass would give.
enum Item {
    Row(u64, csv::StringRecord),
    Skip(u64, &'static str, String),
}

/// Records handed to a worker at once: about this many bytes of input (or a record more).
const BATCH_BYTES: u64 = 4 << 20;
/// Batches waiting for a worker: bounds the raw text held in memory.
const BATCHES_IN_FLIGHT: usize = 4;

/// Reads a CSV file's rows in parallel. One thread splits the input into records with
/// csv-core (the parser of the `csv` crate, with its defaults: quoted fields may hold
/// newlines, so records cannot be cut at line ends) and sends them on in batches of about
/// [`BATCH_BYTES`]; rayon workers turn each batch into a piece with its own collector;
/// pieces are put back in file order, so outputs and counts are those of one pass. A
/// record longer than `max_record_bytes` is discarded as it streams past and counted as
/// `record too large`, never held whole; rows with bad UTF-8 are counted as skipped;
/// `on_header` checks the header before any row is read.
fn read_rows_parallel(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    max_record_bytes: usize,
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<(), IngestError> + Send,
    handle: impl Fn(&Header, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    let limits = (max_record_bytes, BATCH_BYTES);
    read_rows_batched(
        reader, path_label, limits, filter, file_index, on_header, handle,
    )
}

/// [`read_rows_parallel`] with the batch size as a parameter (tests cut tiny batches).
fn read_rows_batched(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes): (usize, u64),
    filter: &RecordFilter,
    file_index: u32,
    on_header: impl FnOnce(&Header) -> Result<(), IngestError> + Send,
    handle: impl Fn(&Header, &csv::StringRecord, u64, &mut Collector<'_>) + Sync,
) -> Result<FileOutput, IngestError> {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(usize, Vec<Item>)>(BATCHES_IN_FLIGHT);
    let header: std::sync::OnceLock<Header> = std::sync::OnceLock::new();
    let (split, pieces) = std::thread::scope(|scope| {
        let header = &header;
        let splitter = scope.spawn(move || {
            let limits = (max_record_bytes, batch_bytes);
            split_records(reader, path_label, limits, header, on_header, sender)
        });
        let pieces: Vec<(usize, Result<FileOutput, IngestError>)> = receiver
            .into_iter()
            .par_bridge()
            .map(|(index, items)| {
                let header = header.get().expect("rows come after the header");
                let mut collector = Collector::new(filter, file_index, path_label);
                for item in items {
                    match item {
                        Item::Row(line, row) => handle(header, &row, line, &mut collector),
                        Item::Skip(line, reason, detail) => {
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

/// The splitter of [`read_rows_parallel`]: the header into `header`, then every record, in
/// batches, to `sender`.
fn split_records(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    (max_record_bytes, batch_bytes_limit): (usize, u64),
    header: &std::sync::OnceLock<Header>,
    on_header: impl FnOnce(&Header) -> Result<(), IngestError>,
    sender: std::sync::mpsc::SyncSender<(usize, Vec<Item>)>,
) -> Result<(), IngestError> {
    use csv_core::ReadRecordResult;
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut core = csv_core::Reader::new();
    let mut fields = vec![0u8; 4096];
    let mut ends = vec![0usize; 64];
    let mut on_header = Some(on_header);
    let header_error = |reason: String| IngestError::Format {
        path: path_label.to_string(),
        reason: format!("unreadable CSV header: {reason}"),
    };
    let mut batch: Vec<Item> = Vec::new();
    let mut batch_bytes = 0u64;
    let mut batches = 0usize;
    let mut send = |batch: &mut Vec<Item>, batch_bytes: &mut u64| {
        if !batch.is_empty() {
            // A closed channel means the workers are gone; the scope reports why.
            let _ = sender.send((batches, std::mem::take(batch)));
            batches += 1;
        }
        *batch_bytes = 0;
    };
    loop {
        let line = core.line();
        let (mut outlen, mut endlen) = (0usize, 0usize);
        let mut record_bytes = 0u64;
        let mut too_large = false;
        loop {
            let buffer = match input.fill_buf() {
                Ok(buffer) => buffer,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    if header.get().is_none() {
                        return Err(header_error(error.to_string()));
                    }
                    batch.push(Item::Skip(
                        line,
                        "unreadable rest of file",
                        error.to_string(),
                    ));
                    send(&mut batch, &mut batch_bytes);
                    return Ok(());
                }
            };
            let (result, read, written, ended) =
                core.read_record(buffer, &mut fields[outlen..], &mut ends[endlen..]);
            input.consume(read);
            record_bytes += read as u64;
            outlen += written;
            endlen += ended;
            if record_bytes > max_record_bytes as u64 {
                // Keep parsing to find where the record ends, but keep none of it.
                too_large = true;
                outlen = 0;
                endlen = 0;
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let grown = (fields.len() * 2).max(4096);
                    fields.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = (ends.len() * 2).max(64);
                    ends.resize(grown, 0);
                }
                ReadRecordResult::Record => break,
                ReadRecordResult::End => {
                    send(&mut batch, &mut batch_bytes);
                    return Ok(());
                }
            }
        }
        batch_bytes += record_bytes;
        if too_large {
            if header.get().is_none() {
                return Err(header_error(format!(
                    "longer than --max-record-bytes {max_record_bytes}"
                )));
            }
            let detail =
                format!("{record_bytes} bytes, more than --max-record-bytes {max_record_bytes}");
            batch.push(Item::Skip(line, RECORD_TOO_LARGE, detail));
        } else {
            let mut bytes_record = csv::ByteRecord::with_capacity(outlen, endlen);
            let mut start = 0;
            for &end in &ends[..endlen] {
                bytes_record.push_field(&fields[start..end]);
                start = end;
            }
            match csv::StringRecord::from_byte_record(bytes_record) {
                Ok(row) => {
                    if header.get().is_none() {
                        let parsed = Header::new(&row);
                        if let Some(check) = on_header.take() {
                            check(&parsed)?;
                        }
                        let _ = header.set(parsed);
                    } else if !row.iter().all(|cell| cell.trim().is_empty()) {
                        batch.push(Item::Row(line, row));
                    }
                }
                Err(error) => {
                    let detail = format!(
                        "field {}: {}",
                        error.utf8_error().field() + 1,
                        error.utf8_error()
                    );
                    if header.get().is_none() {
                        return Err(header_error(format!("invalid UTF-8 in {detail}")));
                    }
                    batch.push(Item::Skip(line, "invalid UTF-8", detail));
                }
            }
        }
        if batch_bytes >= batch_bytes_limit {
            send(&mut batch, &mut batch_bytes);
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
        |_| Ok(()),
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
            for kind in ["retweeted", "quoted", "replied_to"] {
                if let Some(id) = get(&format!("referenced_tweets.{kind}.id")) {
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
                .map(|t| normalize_hashtag(t))
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

fn platform_name(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "twitter" | "x" => Some(TWITTER),
        "4chan" | "fourchan" => Some(FOURCHAN),
        _ => None,
    }
}

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
        Ok(())
    };
    read_rows_parallel(
        reader,
        path_label,
        max_record_bytes,
        filter,
        file_index,
        check_header,
        |header, row, line, collector| {
            let get = |field: &str| map.get(field).and_then(|column| header.get(row, column));
            let Some(post_id) = get("id") else {
                collector.skip(line, "not a post", Some("empty id"));
                return;
            };
            let Some(created_at_ms) = get("time").and_then(parse_any_time) else {
                collector.skip(line, "bad or missing created_at", get("time"));
                return;
            };
            let platform = match map.get("platform") {
                None => TWITTER,
                Some(column) => match platform_name(column)
                    .or_else(|| get("platform").and_then(platform_name))
                {
                    Some(platform) => platform,
                    None => {
                        collector.skip(line, "unknown platform", get("platform"));
                        return;
                    }
                },
            };
            let (kind, parent) = match get("kind").map(str::to_ascii_lowercase).as_deref() {
                Some("retweet" | "rt" | "repost" | "share") => {
                    (PostKind::Retweet, get("retweet_of").or(get("parent")))
                }
                Some("quote") => (PostKind::Quote, get("quote_of").or(get("parent"))),
                Some("reply") => (PostKind::Reply, get("parent")),
                Some("thread") => (PostKind::Thread, None),
                Some("original" | "tweet" | "post") => (PostKind::Original, None),
                Some(other) => {
                    collector.skip(line, "unknown kind", Some(other));
                    return;
                }
                None => {
                    if let Some(id) = get("retweet_of") {
                        (PostKind::Retweet, Some(id))
                    } else if let Some(id) = get("quote_of") {
                        (PostKind::Quote, Some(id))
                    } else if let Some(id) = get("parent") {
                        (PostKind::Reply, Some(id))
                    } else {
                        (PostKind::Original, None)
                    }
                }
            };
            let mut post = PostRecord::new(platform, post_id.to_string(), created_at_ms, kind);
            post.author_id = get("author").or(get("handle")).map(str::to_string);
            post.author_handle = get("handle").map(str::to_string);
            post.parent_post_id = parent.map(str::to_string);
            post.parent_author_id = get("parent_author").map(str::to_string);
            post.text = get("text").map(str::to_string);
            let text = post.text.as_deref().unwrap_or_default();
            post.hashtags = if map.contains_key("hashtags") {
                list_cell(get("hashtags"), &["tag", "text"])
                    .iter()
                    .map(|t| normalize_hashtag(t))
                    .collect()
            } else {
                hashtags_in_text(text)
            };
            post.urls = if map.contains_key("urls") {
                list_cell(get("urls"), &["expanded_url", "url"])
            } else {
                urls_in_text(text)
            };
            post.mentions = list_cell(get("mentions"), &["username", "screen_name"])
                .iter()
                .map(|m| m.trim_start_matches('@').to_lowercase())
                .collect();
            post.lang = get("lang").map(str::to_string);
            post.thread_id = get("thread").map(str::to_string);
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
mod tests {
    use super::*;

    #[test]
    fn list_cells_in_every_encoding() {
        assert_eq!(
            list_cell(Some(r##"["#MacronLeaks", "#France"]"##), &["tag"]),
            vec!["#MacronLeaks", "#France"]
        );
        assert_eq!(
            list_cell(Some(r#"[{"start": 1, "tag": "a"}]"#), &["tag"]),
            vec!["a"]
        );
        assert_eq!(list_cell(Some("a b,c"), &[]), vec!["a", "b", "c"]);
        assert!(list_cell(None, &[]).is_empty());
    }

    #[test]
    fn column_maps_are_checked() {
        let map = parse_column_map("id=message_id, time=timestamp,author=user_id").unwrap();
        assert_eq!(map["author"], "user_id");
        assert!(parse_column_map("id=a").unwrap_err().contains("time"));
        assert!(
            parse_column_map("id=a,time=b,colour=c")
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(parse_column_map("id").is_err());
    }

    #[test]
    fn twarc_text_decodes() {
        assert_eq!(twarc_text("\"a\\nb\""), "a\nb");
        assert_eq!(twarc_text("a\\nb"), "a\nb");
    }

    #[test]
    fn batches_of_any_size_give_one_pass_results() {
        // Quoted newlines, a bad UTF-8 row, an over-long row, blank rows, a bad time.
        let mut csv: Vec<u8> = b"id,time,author,text\n".to_vec();
        for i in 0..300 {
            match i % 50 {
                7 => {
                    csv.extend_from_slice(format!("{i},1494009300,a{i},\"bad ").as_bytes());
                    csv.extend_from_slice(b"\xff\"\n");
                }
                13 => csv.extend_from_slice(
                    format!("{i},1494009300,a{i},\"{}\"\n", "x".repeat(400)).as_bytes(),
                ),
                21 => csv.extend_from_slice(b",,,\n"),
                33 => csv.extend_from_slice(format!("{i},not-a-time,a{i},t\n").as_bytes()),
                _ => csv.extend_from_slice(
                    format!(
                        "{i},{},a{},\"line one\nline two #MacronLeaks\"\n",
                        1494009300 + i,
                        i % 17
                    )
                    .as_bytes(),
                ),
            }
        }
        let map = parse_column_map("id=id,time=time,author=author,text=text").unwrap();
        let filter = RecordFilter::new(&[], None, None);
        let read = |batch: u64, threads: usize| {
            let bytes = csv.clone();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let map = &map;
                read_rows_batched(
                    Box::new(std::io::Cursor::new(bytes)),
                    "t.csv",
                    (200, batch),
                    &filter,
                    0,
                    |_| Ok(()),
                    |header, row, line, collector| {
                        let get = |f: &str| map.get(f).and_then(|c| header.get(row, c));
                        match (get("id"), get("time").and_then(parse_any_time)) {
                            (Some(id), Some(t)) => {
                                let mut post =
                                    PostRecord::new(TWITTER, id.into(), t, PostKind::Original);
                                post.text = get("text").map(str::to_string);
                                collector.post(post, line, Vec::new());
                            }
                            _ => collector.skip(line, "bad or missing created_at", get("time")),
                        }
                    },
                )
                .unwrap()
            })
        };
        let whole = read(u64::MAX, 1);
        let frame = |o: &FileOutput| {
            let mut frames = o.frames.iter();
            let mut df = frames.next().unwrap().clone();
            for f in frames {
                df.vstack_mut(f).unwrap();
            }
            df
        };
        assert_eq!(whole.counts.records, 294, "6 blank rows are not records");
        assert_eq!(
            whole.counts.skipped_by_reason.get("invalid UTF-8"),
            Some(&6)
        );
        assert_eq!(
            whole.counts.skipped_by_reason.get(RECORD_TOO_LARGE),
            Some(&6)
        );
        for (batch, threads) in [(1, 3), (64, 2), (1000, 3), (u64::MAX, 2)] {
            let cut = read(batch, threads);
            assert!(frame(&cut).equals_missing(&frame(&whole)), "batch {batch}");
            assert_eq!(
                format!("{:?}", cut.counts),
                format!("{:?}", whole.counts),
                "batch {batch}"
            );
        }
        let lines: Vec<u64> = whole.counts.skip_examples.iter().map(|e| e.line).collect();
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]) && lines[0] == 16,
            "{lines:?}"
        );
    }
}
