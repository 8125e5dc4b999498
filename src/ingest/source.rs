//! Finding input files, opening them through gzip/zstd, and recognising their format from
//! their content (never from their name).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use serde_json::Value;

use super::IngestError;

/// The export formats tagscope reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Twitter API v1.1 status objects: JSONL, a JSON array, a search response
    /// `{"statuses": [...]}`, or streaming output with delete/limit notices.
    TwitterV1,
    /// Twitter API v2 as twarc2 writes it: response pages with `includes`, or flattened
    /// one-tweet-per-line output.
    TwitterV2,
    /// CSV made by twarc-csv from twarc2 output.
    TwarcCsv,
    /// 4chan API thread JSON `{"posts": [...]}`, or a /pol/ NDJSON dump (one thread a line).
    Fourchan,
    /// Any CSV, with columns named by `--map`.
    GenericCsv,
    /// Telegram Desktop "Export chat history" JSON (`result.json` of one chat, or the
    /// full-account export with `chats.list[]`).
    Telegram,
    /// Bluesky: Jetstream v1 JSON lines, or API responses (`getAuthorFeed`, `searchPosts`,
    /// `getPostThread`, ... pages) as documents or one page a line.
    Bluesky,
    /// Mastodon API statuses: arrays (timelines), single statuses, one status or one page a
    /// line.
    Mastodon,
    /// Reddit dumps (Pushshift / Arctic Shift NDJSON): comments `RC_*`, submissions `RS_*`.
    Reddit,
}

impl Format {
    /// The format's name, as `--format` takes it and the ingest report gives it.
    pub fn name(self) -> &'static str {
        match self {
            Format::TwitterV1 => "twitter-v1",
            Format::TwitterV2 => "twitter-v2",
            Format::TwarcCsv => "twarc-csv",
            Format::Fourchan => "fourchan",
            Format::GenericCsv => "generic-csv",
            Format::Telegram => "telegram",
            Format::Bluesky => "bluesky",
            Format::Mastodon => "mastodon",
            Format::Reddit => "reddit",
        }
    }
}

/// Compression detected from magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed (`none`).
    None,
    /// gzip (`gzip`).
    Gzip,
    /// Zstandard (`zstd`).
    Zstd,
}

/// Every file below the inputs, folders walked recursively in sorted order so that the
/// same inputs always give the same order. The flag says whether the file was named
/// explicitly (an unrecognised named file is an error; one found in a folder is reported
/// and passed over).
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, IngestError> {
    let mut files = Vec::new();
    for input in inputs {
        let metadata = std::fs::metadata(input).map_err(|source| IngestError::Io {
            path: input.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            files.extend(found.into_iter().map(|p| (p, false)));
        } else {
            files.push((input.clone(), true));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IngestError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| IngestError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|source| IngestError::Io {
            path: path.clone(),
            source,
        })?;
        if file_type.is_dir() {
            walk(&path, found)?;
        } else if file_type.is_file() || path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

/// Opens a file and undoes gzip or zstd compression, recognised by magic bytes.
pub fn open_decompressed(path: &Path) -> Result<(Box<dyn Read + Send>, Compression), IngestError> {
    open_counted(path, None, None)
}

/// Where a reader leaves the SHA-256 of the stored bytes it read, when it is dropped: the
/// number of bytes and their digest in lower-case hex (the file's checksum when that is the
/// file's size).
pub type StoredDigest = Arc<Mutex<Option<(u64, String)>>>;

/// As [`open_decompressed`], adding the bytes read from the file (as stored) to `read`,
/// and hashing them into `digest`: the run's checksums come from the one read of each
/// file (a second read for them was 14% of the 10M run's ingest samples, and the disk
/// read the 33 GB input twice).
pub fn open_counted(
    path: &Path,
    read: Option<Arc<AtomicU64>>,
    digest: Option<StoredDigest>,
) -> Result<(Box<dyn Read + Send>, Compression), IngestError> {
    let io_error = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = Counted {
        inner: File::open(path).map_err(io_error)?,
        read,
        digest: digest.map(|slot| (Sha256::new(), 0, slot)),
    };
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        let n = file.read(&mut magic[filled..]).map_err(io_error)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let head = std::io::Cursor::new(magic[..filled].to_vec());
    let raw = BufReader::with_capacity(1 << 20, head.chain(file));
    if filled >= 2 && magic[..2] == [0x1f, 0x8b] {
        Ok((
            Box::new(flate2::read::MultiGzDecoder::new(raw)),
            Compression::Gzip,
        ))
    } else if filled >= 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
        let mut decoder = zstd::stream::read::Decoder::with_buffer(raw).map_err(io_error)?;
        // Reddit dumps (Pushshift, Arctic Shift) are written with `--long=31`: a 2 GiB
        // window, which the decoder refuses by default (27). The window is allocated only as
        // large as the frame asks.
        decoder.window_log_max(31).map_err(io_error)?;
        Ok((Box::new(decoder), Compression::Zstd))
    } else {
        Ok((Box::new(raw), Compression::None))
    }
}

/// A reader that adds what it reads to a shared count (progress of ingest) and hashes it.
struct Counted<R> {
    inner: R,
    read: Option<Arc<AtomicU64>>,
    /// The hash so far, the bytes hashed, and where they go when reading ends.
    digest: Option<(Sha256, u64, StoredDigest)>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(read) = &self.read {
            read.fetch_add(n as u64, Ordering::Relaxed);
        }
        if let Some((hasher, hashed, _)) = &mut self.digest {
            hasher.update(&buf[..n]);
            *hashed += n as u64;
        }
        Ok(n)
    }
}

impl<R> Drop for Counted<R> {
    fn drop(&mut self) {
        if let Some((hasher, hashed, slot)) = self.digest.take() {
            let digest = (hashed, format!("{:x}", hasher.finalize()));
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(digest);
        }
    }
}

/// The start of a file's decompressed content, enough to recognise its format.
pub const SNIFF_BYTES: usize = 256 * 1024;

/// The first [`SNIFF_BYTES`] of a file's decompressed content (fewer when the file is
/// shorter, or damaged after what could be read).
pub fn read_head(path: &Path) -> Result<Vec<u8>, IngestError> {
    let (mut reader, _) = open_decompressed(path)?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A damaged stream (truncated gzip): sniff what could be read; the reader
            // reports the damage where it happens.
            Err(_) if filled > 0 => break,
            Err(source) => {
                return Err(IngestError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// What sniffing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// A recognised export of posts.
    Format(Format),
    /// Nothing in the file (zero bytes or only white space).
    Empty,
    /// Recognised, but not posts (twarc2 user objects, tweet counts): the reason says what.
    NotPosts(String),
    /// Not recognised: the reason says what was seen.
    Unknown(String),
}

/// Recognises a format from the first bytes of a file.
pub fn sniff(head: &[u8]) -> Sniffed {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(first) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Sniffed::Empty;
    };
    let body = &head[first..];
    match body[0] {
        b'{' | b'[' => sniff_json(body),
        _ => sniff_csv(body),
    }
}

fn sniff_json(body: &[u8]) -> Sniffed {
    // Line-delimited files: the first complete line is one JSON value.
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    if let Ok(value) = serde_json::from_slice::<Value>(first_line) {
        if let Some(verdict) = classify_value(&value) {
            return verdict;
        }
        // A stream that starts with notices: look at the next lines.
        for line in body.split(|&b| b == b'\n').skip(1).take(200) {
            if let Ok(value) = serde_json::from_slice::<Value>(line)
                && let Some(verdict) = classify_value(&value)
            {
                return verdict;
            }
        }
        return Sniffed::Unknown(format!("JSON object with keys {}", keys_of(&value)));
    }
    // A single (pretty-printed) document: classify from the keys that open it.
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    if let Some(format) = sniff_new_platform_document(&text, body[0] == b'[') {
        return Sniffed::Format(format);
    }
    if body[0] == b'[' {
        if text.contains("\"id_str\"")
            || text.contains("\"retweeted_status\"")
            || text.contains("\"screen_name\"")
        {
            return Sniffed::Format(Format::TwitterV1);
        }
        if text.contains("\"author_id\"") || text.contains("\"edit_history_tweet_ids\"") {
            return Sniffed::Format(Format::TwitterV2);
        }
        if text.contains("\"resto\"") {
            return Sniffed::Format(Format::Fourchan);
        }
        return Sniffed::Unknown("JSON array of unrecognised objects".into());
    }
    if text.contains("\"statuses\"") {
        return Sniffed::Format(Format::TwitterV1);
    }
    if text.contains("\"posts\"") && (text.contains("\"resto\"") || text.contains("\"no\"")) {
        return Sniffed::Format(Format::Fourchan);
    }
    if text.contains("\"data\"") && text.contains("\"author_id\"") {
        return Sniffed::Format(Format::TwitterV2);
    }
    if text.contains("\"id_str\"") && text.contains("\"created_at\"") {
        return Sniffed::Format(Format::TwitterV1);
    }
    Sniffed::Unknown("JSON document not recognised as tweets or 4chan posts".into())
}

/// Telegram, Bluesky, Mastodon and Reddit documents, from keys near their start (checked
/// before the Twitter and 4chan patterns: their keys never occur in those formats).
fn sniff_new_platform_document(text: &str, array: bool) -> Option<Format> {
    let has = |key: &str| text.contains(key);
    if has("\"subreddit\"") && has("\"created_utc\"") {
        return Some(Format::Reddit);
    }
    if has("\"account\"") && has("\"content\"") && (has("\"visibility\"") || has("\"reblog\"")) {
        return Some(Format::Mastodon);
    }
    // A quoted key or value (an `at://` in a tweet's text is escaped, never `"uri": "at://`).
    if has("\"uri\":\"at://")
        || has("\"uri\": \"at://")
        || has("\"$type\":\"app.bsky.")
        || has("\"$type\": \"app.bsky.")
    {
        return Some(Format::Bluesky);
    }
    if !array
        && ((has("\"messages\"") && (has("\"date\"") || has("\"date_unixtime\"")))
            || (has("\"chats\"") && has("\"list\""))
            || has("\"personal_information\""))
    {
        return Some(Format::Telegram);
    }
    None
}

fn keys_of(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(6).map(String::as_str).collect();
            format!("[{}]", keys.join(", "))
        }
        Value::Array(_) => "(an array)".into(),
        _ => "(not an object)".into(),
    }
}

/// Classifies one complete JSON value; `None` for stream notices, which say nothing of the
/// format by themselves.
fn classify_value(value: &Value) -> Option<Sniffed> {
    let object = match value {
        Value::Array(items) => {
            return items
                .first()
                .and_then(classify_value)
                .or(Some(Sniffed::Unknown(
                    "JSON array with nothing recognisable".into(),
                )));
        }
        Value::Object(object) => object,
        _ => return Some(Sniffed::Unknown("JSON value that is not an object".into())),
    };
    if [
        "delete",
        "limit",
        "scrub_geo",
        "status_withheld",
        "user_withheld",
        "disconnect",
        "warning",
    ]
    .iter()
    .any(|k| object.contains_key(*k))
    {
        return None;
    }
    if let Some(format) = classify_new_platform(object) {
        return Some(Sniffed::Format(format));
    }
    if object.contains_key("statuses") {
        return Some(Sniffed::Format(Format::TwitterV1));
    }
    if let Some(Value::Array(posts)) = object.get("posts")
        && posts.first().is_none_or(|p| p.get("no").is_some())
    {
        return Some(Sniffed::Format(Format::Fourchan));
    }
    if let Some(data) = object.get("data") {
        let item = match data {
            Value::Array(items) => items.first(),
            other => Some(other),
        };
        return Some(match item {
            Some(item) if item.get("tweet_count").is_some() && item.get("start").is_some() => {
                Sniffed::NotPosts("twarc2 tweet counts (not tweets)".into())
            }
            Some(item) if item.get("username").is_some() && item.get("text").is_none() => {
                Sniffed::NotPosts("twarc2 user objects (not tweets)".into())
            }
            Some(item) if item.get("text").is_some() || item.get("author_id").is_some() => {
                Sniffed::Format(Format::TwitterV2)
            }
            None if object.contains_key("meta") || object.contains_key("__twarc") => {
                Sniffed::Format(Format::TwitterV2)
            }
            _ => Sniffed::Unknown(format!("JSON object with keys {}", keys_of(value))),
        });
    }
    if object.contains_key("errors") && object.contains_key("__twarc") {
        return None;
    }
    if object.contains_key("id_str") || object.contains_key("user") {
        return Some(Sniffed::Format(Format::TwitterV1));
    }
    if object.contains_key("author_id")
        || object.contains_key("edit_history_tweet_ids")
        || object.contains_key("author")
    {
        return Some(Sniffed::Format(Format::TwitterV2));
    }
    if object.contains_key("username") && !object.contains_key("text") {
        return Some(Sniffed::NotPosts("twarc2 user objects (not tweets)".into()));
    }
    if object.contains_key("no") && object.contains_key("time") {
        return Some(Sniffed::Format(Format::Fourchan));
    }
    None
}

/// Telegram, Bluesky, Mastodon and Reddit records by their keys (none of these keys
/// occurs at the top of a tweet or a 4chan thread).
fn classify_new_platform(object: &serde_json::Map<String, Value>) -> Option<Format> {
    let has = |key: &str| object.contains_key(key);
    // Jetstream events (commits, identity and account events).
    if has("did") && has("time_us") && has("kind") {
        return Some(Format::Bluesky);
    }
    // Bluesky API pages: feed items, post views, threads.
    let bluesky_item = |value: Option<&Value>| match value {
        Some(Value::Array(items)) => items.first().is_some_and(|item| {
            item.get("post").is_some()
                || item
                    .get("uri")
                    .and_then(Value::as_str)
                    .is_some_and(|uri| uri.starts_with("at://"))
        }),
        _ => false,
    };
    if bluesky_item(object.get("feed")) || bluesky_item(object.get("posts")) {
        return Some(Format::Bluesky);
    }
    if object.get("thread").and_then(|t| t.get("post")).is_some()
        || object
            .get("uri")
            .and_then(Value::as_str)
            .is_some_and(|uri| uri.starts_with("at://"))
    {
        return Some(Format::Bluesky);
    }
    if has("subreddit") && (has("created_utc") || has("body") || has("title")) {
        return Some(Format::Reddit);
    }
    if has("account") && has("content") && has("created_at") {
        return Some(Format::Mastodon);
    }
    let telegram_messages = object
        .get("messages")
        .and_then(Value::as_array)
        .is_some_and(|m| {
            m.first()
                .is_none_or(|m| m.get("date").is_some() || m.get("date_unixtime").is_some())
        });
    if telegram_messages || object.get("chats").and_then(|c| c.get("list")).is_some() {
        return Some(Format::Telegram);
    }
    None
}

fn sniff_csv(body: &[u8]) -> Sniffed {
    let header_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line);
    let Some(Ok(header)) = reader.records().next() else {
        return Sniffed::Unknown("neither JSON nor a CSV header".into());
    };
    let columns: Vec<&str> = header.iter().map(str::trim).collect();
    if columns.len() < 2 {
        return Sniffed::Unknown("neither JSON nor a CSV header".into());
    }
    let has = |name: &str| columns.contains(&name);
    if has("id") && has("created_at") && has("text") && (has("author_id") || has("author.id")) {
        return Sniffed::Format(Format::TwarcCsv);
    }
    Sniffed::Format(Format::GenericCsv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader read to its end leaves the stored file's SHA-256 (compressed bytes for a
    /// gzip file); one dropped early leaves fewer bytes than the file's, so the caller
    /// hashes that file again.
    #[test]
    fn readers_leave_the_stored_bytes_digest() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        // Larger than the 1 MB read buffer, so that a short read leaves most of it unread.
        let lines: String = (0..300_000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        std::fs::write(&plain, &lines).unwrap();
        let zipped = dir.path().join("a.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(lines.as_bytes()).unwrap();
        std::fs::write(&zipped, encoder.finish().unwrap()).unwrap();
        for path in [&plain, &zipped] {
            let stored = std::fs::read(path).unwrap();
            let slot = StoredDigest::default();
            let (mut reader, _) = open_counted(path, None, Some(slot.clone())).unwrap();
            let mut text = String::new();
            reader.read_to_string(&mut text).unwrap();
            assert_eq!(text, lines);
            drop(reader);
            let (hashed, digest) = slot.lock().unwrap().take().unwrap();
            assert_eq!(hashed, stored.len() as u64);
            assert_eq!(digest, format!("{:x}", Sha256::digest(&stored)));
        }
        let slot = StoredDigest::default();
        let (mut reader, _) = open_counted(&plain, None, Some(slot.clone())).unwrap();
        reader.read_exact(&mut [0u8; 10]).unwrap();
        drop(reader);
        let (hashed, _) = slot.lock().unwrap().take().unwrap();
        assert!(hashed < lines.len() as u64);
    }

    #[test]
    fn sniffs_formats_from_content() {
        assert_eq!(sniff(b""), Sniffed::Empty);
        assert_eq!(sniff(b"  \n"), Sniffed::Empty);
        assert_eq!(
            sniff(b"{\"delete\":{}}\n{\"id_str\":\"1\",\"user\":{}}\n"),
            Sniffed::Format(Format::TwitterV1)
        );
        assert_eq!(
            sniff(b"{\"statuses\":[]}"),
            Sniffed::Format(Format::TwitterV1)
        );
        assert_eq!(
            sniff(b"{\"data\":[{\"id\":\"1\",\"text\":\"x\"}],\"includes\":{}}\n"),
            Sniffed::Format(Format::TwitterV2)
        );
        assert!(matches!(
            sniff(b"{\"data\":[{\"id\":\"1\",\"username\":\"x\"}]}\n"),
            Sniffed::NotPosts(_)
        ));
        assert!(matches!(
            sniff(b"{\"data\":[{\"start\":\"x\",\"end\":\"y\",\"tweet_count\":3}]}\n"),
            Sniffed::NotPosts(_)
        ));
        assert_eq!(
            sniff(b"{\n  \"posts\": [\n { \"no\": 1, \"resto\": 0"),
            Sniffed::Format(Format::Fourchan)
        );
        assert_eq!(
            sniff(b"{\"posts\":[{\"no\":1,\"resto\":0,\"time\":1}]}\n"),
            Sniffed::Format(Format::Fourchan)
        );
        assert_eq!(
            sniff(b"id,conversation_id,author_id,created_at,text\n1,1,2,x,y\n"),
            Sniffed::Format(Format::TwarcCsv)
        );
        assert_eq!(
            sniff(b"message_id,user_id,timestamp\n1,2,3\n"),
            Sniffed::Format(Format::GenericCsv)
        );
        assert_eq!(
            sniff(b"{\"did\":\"did:plc:x\",\"time_us\":1,\"kind\":\"commit\"}\n"),
            Sniffed::Format(Format::Bluesky)
        );
        assert_eq!(
            sniff(b"{\"feed\":[{\"post\":{\"uri\":\"at://did:plc:x/app.bsky.feed.post/1\"}}]}"),
            Sniffed::Format(Format::Bluesky)
        );
        assert_eq!(
            sniff(b"{\"posts\":[{\"uri\":\"at://did:plc:x/app.bsky.feed.post/1\"}]}\n"),
            Sniffed::Format(Format::Bluesky)
        );
        assert_eq!(
            sniff(b"{\"id\":\"a\",\"author\":\"x\",\"subreddit\":\"y\",\"created_utc\":1}\n"),
            Sniffed::Format(Format::Reddit)
        );
        assert_eq!(
            sniff(b"[{\"id\":\"1\",\"created_at\":\"x\",\"account\":{},\"content\":\"\",\"visibility\":\"public\"}]"),
            Sniffed::Format(Format::Mastodon)
        );
        assert_eq!(
            sniff(b"{\n \"name\": \"c\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": [\n {\"id\": 1, \"date\": \"2020-01-01T00:00:00\""),
            Sniffed::Format(Format::Telegram)
        );
        assert!(matches!(sniff(b"{\"hello\": 1}\n"), Sniffed::Unknown(_)));
        assert!(matches!(sniff(b"just words"), Sniffed::Unknown(_)));
    }
}
