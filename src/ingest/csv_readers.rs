//! CSV inputs: twarc-csv's default columns, and any CSV with a `--map` of its columns
//! (as the QUT coordination-network-toolkit's CSV input).

use std::collections::BTreeMap;

use std::io::Read;

use serde_json::Value;

use super::IngestError;
use super::chunks::FileOutput;
use super::csv_split::{Header, read_rows_parallel};
use super::record::{AccountRecord, FOURCHAN, PostKind, PostRecord, RecordFilter, TWITTER};
use super::text::{
    hashtags_in_text, normalise_hashtag, parse_any_time, parse_iso_time, urls_in_text,
};

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
                columns[position] = header.position(column);
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
            if !constant_platform && header.position(column).is_none() {
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
