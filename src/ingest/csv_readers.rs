//! CSV inputs: twarc-csv's default columns, and any CSV with a `--map` of its columns
//! (as the QUT coordination-network-toolkit's CSV input).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};

use serde_json::Value;

use super::IngestError;
use super::json::RECORD_TOO_LARGE;
use super::record::{AccountRecord, Collector, FOURCHAN, PostKind, PostRecord, TWITTER};
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

/// Reads CSV rows, counting unreadable rows (bad UTF-8) as skipped. Parsed with csv-core
/// (the parser of the `csv` crate, with its defaults) so that a record longer than
/// `max_record_bytes` is discarded as it streams past and counted as `record too large`,
/// never held whole; rows and line numbers are those the `csv` crate gives.
fn for_each_row(
    reader: Box<dyn Read + Send>,
    path_label: &str,
    max_record_bytes: usize,
    collector: &mut Collector<'_>,
    mut handle: impl FnMut(
        &Header,
        &csv::StringRecord,
        u64,
        &mut Collector<'_>,
    ) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    use csv_core::ReadRecordResult;
    let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut core = csv_core::Reader::new();
    let mut fields = vec![0u8; 4096];
    let mut ends = vec![0usize; 64];
    let mut header: Option<Header> = None;
    let header_error = |reason: String| IngestError::Format {
        path: path_label.to_string(),
        reason: format!("unreadable CSV header: {reason}"),
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
                    if header.is_none() {
                        return Err(header_error(error.to_string()));
                    }
                    collector.skip(line, "unreadable rest of file", Some(&error.to_string()));
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
                ReadRecordResult::End => return Ok(()),
            }
        }
        if too_large {
            if header.is_none() {
                return Err(header_error(format!(
                    "longer than --max-record-bytes {max_record_bytes}"
                )));
            }
            let detail =
                format!("{record_bytes} bytes, more than --max-record-bytes {max_record_bytes}");
            collector.skip(line, RECORD_TOO_LARGE, Some(&detail));
            continue;
        }
        let mut bytes_record = csv::ByteRecord::with_capacity(outlen, endlen);
        let mut start = 0;
        for &end in &ends[..endlen] {
            bytes_record.push_field(&fields[start..end]);
            start = end;
        }
        let row = match csv::StringRecord::from_byte_record(bytes_record) {
            Ok(row) => row,
            Err(error) => {
                let detail = format!(
                    "field {}: {}",
                    error.utf8_error().field() + 1,
                    error.utf8_error()
                );
                if header.is_none() {
                    return Err(header_error(format!("invalid UTF-8 in {detail}")));
                }
                collector.skip(line, "invalid UTF-8", Some(&detail));
                continue;
            }
        };
        let Some(header) = &header else {
            header = Some(Header::new(&row));
            continue;
        };
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        handle(header, &row, line, collector)?;
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
    collector: &mut Collector<'_>,
) -> Result<(), IngestError> {
    for_each_row(
        reader,
        path_label,
        max_record_bytes,
        collector,
        |header, row, line, collector| {
            let get = |name: &str| header.get(row, name);
            let Some(post_id) = get("id") else {
                collector.skip(line, "not a tweet", Some("empty id"));
                return Ok(());
            };
            let Some(created_at_ms) = get("created_at").and_then(parse_iso_time) else {
                collector.skip(line, "bad or missing created_at", get("created_at"));
                return Ok(());
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
            Ok(())
        },
    )
}

/// The canonical fields a generic CSV's columns can be mapped to.
pub const MAP_KEYS: &[(&str, &str)] = &[
    ("id", "post id (required)"),
    (
        "time",
        "post time: Unix s or ms, ISO 8601, `YYYY-MM-DD HH:MM:SS` UTC (required)",
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
    collector: &mut Collector<'_>,
) -> Result<(), IngestError> {
    let mut checked = false;
    for_each_row(
        reader,
        path_label,
        max_record_bytes,
        collector,
        |header, row, line, collector| {
            if !checked {
                for (field, column) in map {
                    let constant_platform = field == "platform" && platform_name(column).is_some();
                    if !constant_platform && !header.0.contains_key(column) {
                        return Err(IngestError::Format {
                            path: path_label.to_string(),
                            reason: format!(
                                "--map {field}={column}: the CSV has no column `{column}`"
                            ),
                        });
                    }
                }
                checked = true;
            }
            let get = |field: &str| map.get(field).and_then(|column| header.get(row, column));
            let Some(post_id) = get("id") else {
                collector.skip(line, "not a post", Some("empty id"));
                return Ok(());
            };
            let Some(created_at_ms) = get("time").and_then(parse_any_time) else {
                collector.skip(line, "bad or missing created_at", get("time"));
                return Ok(());
            };
            let platform = match map.get("platform") {
                None => TWITTER,
                Some(column) => match platform_name(column)
                    .or_else(|| get("platform").and_then(platform_name))
                {
                    Some(platform) => platform,
                    None => {
                        collector.skip(line, "unknown platform", get("platform"));
                        return Ok(());
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
                    return Ok(());
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
            Ok(())
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
}
