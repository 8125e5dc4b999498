//! Structure-aware fuzzing of every ingest reader, on stable Rust.
//!
//! Real records (the samples in `../shared/fixtures/real` and the hand-made ones in
//! `tests/fixtures`) are mutated by a seeded generator: truncation, byte flips, invalid
//! UTF-8, NUL bytes, type swaps of every field, nesting (up to 20,000 levels), duplicated
//! and reordered keys, huge numbers and ids, hostile strings and times, BOMs and CRLF, CSV
//! cells with broken quoting; files are plain, gzip or zstd, sometimes cut short, sometimes
//! read with a tiny `--max-record-bytes`. Each batch of mutated records is one file read by
//! `tagscope::ingest::ingest`, the function behind `tagscope ingest` and `run`, and checked:
//! no panic (caught per batch), no abort (each worker is a child process watched by the
//! supervisor, which notes the batch and restarts after it), no hang (60 s without
//! progress), the record balance `records_read = posts + duplicates + filtered_out +
//! skipped` (and per file), every skip example naming the file, and every error one line
//! naming the file. A failing batch is narrowed to the one record that fails, which is then
//! shrunk (in child processes) and written to the output folder, ready for tests/fixtures.
//!
//! ```sh
//! cargo run --release --example fuzz_readers -- --reader v1 --inputs 10000000
//! cargo run --release --example fuzz_readers -- --reader all --inputs 10000000 --jobs 2
//! ```
//!
//! Same `--seed`, same inputs. `tests/ingest_hostile.rs` runs a short slice of it.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use tagscope::ingest::source::Format;
use tagscope::ingest::{self, IngestOptions};

/// The readers fuzzed, by name.
pub const READERS: &[&str] = &[
    "v1",
    "v2-pages",
    "v2-flat",
    "twarc-csv",
    "fourchan-thread",
    "fourchan-ndjson",
    "generic-csv",
    "telegram",
    "bluesky-jetstream",
    "bluesky-api",
    "mastodon",
    "reddit",
];

const GENERIC_MAP: &str = "id=message_id,author=user_id,handle=username,time=timestamp,retweet_of=repost_id,parent=reply_id,text=message";

/// Mutated records per file.
pub const BATCH: usize = 250;

/// One seed record and, for JSON, the spans of its members (key start, value start, value
/// end, parent object).
#[derive(Clone)]
pub struct Seed {
    bytes: Vec<u8>,
    members: Vec<Member>,
    values: Vec<(usize, usize)>,
}

#[derive(Clone, Copy)]
struct Member {
    key: usize,
    value: (usize, usize),
    parent: usize,
}

/// What a reader is fed: seed records, how records become a file, and how it is read.
pub struct Corpus {
    pub reader: &'static str,
    seeds: Vec<Seed>,
    /// CSV: the header line (with its newline).
    header: Vec<u8>,
    csv: bool,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e} (the fuzz corpus needs it)", path.display()))
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect()
}

fn json_items(bytes: &[u8], key: Option<&str>) -> Result<Vec<Vec<u8>>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let items = match key {
        Some(key) => value[key].as_array().cloned().unwrap_or_default(),
        None => value.as_array().cloned().unwrap_or_default(),
    };
    Ok(items
        .iter()
        .map(|v| serde_json::to_vec(v).expect("serialise"))
        .collect())
}

/// Spans of every object member and every value of a valid JSON record (seeds only,
/// which are shallow: recursion is fine here).
fn spans(bytes: &[u8]) -> (Vec<Member>, Vec<(usize, usize)>) {
    struct P<'a> {
        b: &'a [u8],
        i: usize,
        members: Vec<Member>,
        values: Vec<(usize, usize)>,
        objects: usize,
    }
    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn string(&mut self) {
            self.i += 1;
            while self.i < self.b.len() {
                match self.b[self.i] {
                    b'\\' => self.i += 2,
                    b'"' => {
                        self.i += 1;
                        return;
                    }
                    _ => self.i += 1,
                }
            }
        }
        fn value(&mut self) -> Option<()> {
            self.ws();
            let start = self.i;
            match *self.b.get(self.i)? {
                b'{' => {
                    self.objects += 1;
                    let id = self.objects;
                    self.i += 1;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            b',' => self.i += 1,
                            b'"' => {
                                let key = self.i;
                                self.string();
                                self.ws();
                                self.i += 1; // ':'
                                self.ws();
                                let value_start = self.i;
                                self.value()?;
                                self.members.push(Member {
                                    key,
                                    value: (value_start, self.i),
                                    parent: id,
                                });
                            }
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            b',' => self.i += 1,
                            _ => self.value()?,
                        }
                    }
                }
                b'"' => self.string(),
                _ => {
                    while self.i < self.b.len() && !b",]}".contains(&self.b[self.i]) {
                        self.i += 1;
                    }
                }
            }
            self.values.push((start, self.i));
            Some(())
        }
    }
    let mut p = P {
        b: bytes,
        i: 0,
        members: Vec::new(),
        values: Vec::new(),
        objects: 0,
    };
    if p.value().is_none() {
        return (Vec::new(), Vec::new());
    }
    (p.members, p.values)
}

fn json_seeds(records: Vec<Vec<u8>>) -> Vec<Seed> {
    records
        .into_iter()
        .map(|bytes| {
            let (members, values) = spans(&bytes);
            Seed {
                bytes,
                members,
                values,
            }
        })
        .collect()
}

/// twarc2 pages of one to three tweets with the users and tweets they reference.
fn mini_pages(pages: &[Vec<u8>], rng: &mut ChaCha8Rng, count: usize) -> Vec<Vec<u8>> {
    let mut data = Vec::new();
    let mut users = BTreeMap::new();
    let mut tweets = BTreeMap::new();
    for page in pages {
        let Ok(page) = serde_json::from_slice::<Value>(page) else {
            continue;
        };
        match &page["data"] {
            Value::Array(items) => data.extend(items.iter().cloned()),
            item @ Value::Object(_) => data.push(item.clone()),
            _ => {}
        }
        for user in page["includes"]["users"].as_array().into_iter().flatten() {
            users.insert(user["id"].as_str().unwrap_or("").to_string(), user.clone());
        }
        for tweet in page["includes"]["tweets"].as_array().into_iter().flatten() {
            tweets.insert(
                tweet["id"].as_str().unwrap_or("").to_string(),
                tweet.clone(),
            );
        }
    }
    (0..count)
        .map(|_| {
            let k = rng.random_range(1..=3);
            let chosen: Vec<Value> = data.choose_multiple(rng, k).cloned().collect();
            let mut inc_users = Vec::new();
            let mut inc_tweets = Vec::new();
            for tweet in &chosen {
                if let Some(user) = tweet["author_id"].as_str().and_then(|id| users.get(id)) {
                    inc_users.push(user.clone());
                }
                for reference in tweet["referenced_tweets"].as_array().into_iter().flatten() {
                    if let Some(t) = reference["id"].as_str().and_then(|id| tweets.get(id)) {
                        inc_tweets.push(t.clone());
                        if let Some(u) = t["author_id"].as_str().and_then(|id| users.get(id)) {
                            inc_users.push(u.clone());
                        }
                    }
                }
            }
            let page = serde_json::json!({
                "data": chosen,
                "includes": {"users": inc_users, "tweets": inc_tweets},
                "meta": {"result_count": k},
                "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.0.0"}
            });
            serde_json::to_vec(&page).expect("serialise")
        })
        .collect()
}

fn csv_seeds(bytes: &[u8]) -> Result<(Vec<u8>, Vec<Seed>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for row in reader.records() {
        rows.push(row.map_err(|e| e.to_string())?);
    }
    let write = |row: &csv::StringRecord| {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(row).expect("csv");
        writer.into_inner().expect("csv")
    };
    let header = write(&rows[0]);
    let seeds = rows[1..]
        .iter()
        .map(|row| Seed {
            bytes: write(row),
            members: Vec::new(),
            values: Vec::new(),
        })
        .collect();
    Ok((header, seeds))
}

impl Corpus {
    /// The seeds of one reader, from the real samples and the project's fixtures.
    pub fn load(reader: &str, root: &Path) -> Result<Corpus, String> {
        let real = root.join("../shared/fixtures/real");
        let fixtures = root.join("tests/fixtures");
        if !real.is_dir() {
            return Err(format!(
                "{}: missing (the real export samples beside the checkout)",
                real.display()
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (name, records, header, csv): (&'static str, Vec<Vec<u8>>, Vec<u8>, bool) = match reader
        {
            "v1" => {
                let v1 = real.join("twitter_v1");
                let mut records = lines(&read(&v1.join("streaming_lines.jsonl"))?);
                records.extend(json_items(
                    &read(&v1.join("search_response.json"))?,
                    Some("statuses"),
                )?);
                records.extend(json_items(
                    &read(&v1.join("user_timeline_array.json"))?,
                    None,
                )?);
                records.extend(json_items(&read(&v1.join("retweets_array.json"))?, None)?);
                records.extend(lines(&read(&fixtures.join("v1_hostile.jsonl"))?));
                ("v1", records, Vec::new(), false)
            }
            "v2-pages" => {
                let v2 = real.join("twitter_v2");
                let mut pages = Vec::new();
                for file in [
                    "2sets.jsonl",
                    "brexit.jsonl",
                    "noflat.jsonl",
                    "two_tweets.jsonl",
                    "many_urls.jsonl",
                    "mentions_tweet.jsonl",
                    "quoted_edit.jsonl",
                    "blm_network.jsonl",
                ] {
                    pages.extend(lines(&read(&v2.join(file))?));
                }
                let mut records = mini_pages(&pages, &mut rng, 3000);
                records.extend(lines(&read(&v2.join("streaming_output_with_error.jsonl"))?));
                ("v2-pages", records, Vec::new(), false)
            }
            "v2-flat" => {
                let records = lines(&read(&real.join("twitter_v2/flat.jsonl"))?);
                ("v2-flat", records, Vec::new(), false)
            }
            "fourchan-thread" | "fourchan-ndjson" => {
                let mut posts = json_items(
                    &read(&real.join("fourchan/thread_c_4356869.json"))?,
                    Some("posts"),
                )?;
                posts.extend(json_items(
                    &read(&fixtures.join("pol_thread_124205675.json"))?,
                    Some("posts"),
                )?);
                let dump = lines(&read(&fixtures.join("pol_dump.ndjson"))?);
                for thread in &dump {
                    posts.extend(json_items(thread, Some("posts")).unwrap_or_default());
                }
                if reader == "fourchan-thread" {
                    ("fourchan-thread", posts, Vec::new(), false)
                } else {
                    let mut threads = dump;
                    for _ in 0..500 {
                        let k = rng.random_range(1..=4);
                        let chosen: Vec<Value> = posts
                            .choose_multiple(&mut rng, k)
                            .map(|p| serde_json::from_slice(p).expect("post"))
                            .collect();
                        let board = ["pol", "b", "int"].choose(&mut rng).copied();
                        let thread = serde_json::json!({"posts": chosen, "board": board});
                        threads.push(serde_json::to_vec(&thread).expect("serialise"));
                    }
                    ("fourchan-ndjson", threads, Vec::new(), false)
                }
            }
            "twarc-csv" => {
                let (header, seeds) = csv_seeds(&read(&fixtures.join("twarc.csv"))?)?;
                return Ok(Corpus {
                    reader: "twarc-csv",
                    seeds,
                    header,
                    csv: true,
                });
            }
            "generic-csv" => {
                let (header, seeds) = csv_seeds(&read(&fixtures.join("qut_style.csv"))?)?;
                return Ok(Corpus {
                    reader: "generic-csv",
                    seeds,
                    header,
                    csv: true,
                });
            }
            "telegram" => {
                let telegram = real.join("telegram");
                let platforms = fixtures.join("platforms");
                let mut records = json_items(
                    &read(&telegram.join("channel_export_2021.json"))?,
                    Some("messages"),
                )?;
                records.extend(json_items(
                    &read(&telegram.join("channel_export_2020_int_ids.json"))?,
                    Some("messages"),
                )?);
                records.extend(json_items(
                    &read(&platforms.join("telegram_modern.json"))?,
                    Some("messages"),
                )?);
                let full: Value =
                    serde_json::from_slice(&read(&platforms.join("telegram_full_export.json"))?)
                        .map_err(|e| e.to_string())?;
                for chat in full["chats"]["list"].as_array().into_iter().flatten() {
                    for message in chat["messages"].as_array().into_iter().flatten() {
                        records.push(serde_json::to_vec(message).expect("serialise"));
                    }
                }
                ("telegram", records, Vec::new(), false)
            }
            "bluesky-jetstream" => {
                let records = lines(&read(&real.join("bluesky/jetstream_v1.jsonl"))?);
                ("bluesky-jetstream", records, Vec::new(), false)
            }
            "bluesky-api" => {
                let items = json_items(
                    &read(&real.join("bluesky/get_author_feed.json"))?,
                    Some("feed"),
                )?;
                // Items alone, post views alone, and pages of one to three items.
                let mut records = items.clone();
                for item in &items {
                    let value: Value = serde_json::from_slice(item).expect("item");
                    records.push(serde_json::to_vec(&value["post"]).expect("serialise"));
                }
                for _ in 0..300 {
                    let k = rng.random_range(1..=3);
                    let chosen: Vec<Value> = items
                        .choose_multiple(&mut rng, k)
                        .map(|i| serde_json::from_slice(i).expect("item"))
                        .collect();
                    let page = if rng.random_bool(0.5) {
                        serde_json::json!({"feed": chosen, "cursor": "2025-05-19T00:00:00Z"})
                    } else {
                        let posts: Vec<Value> = chosen.iter().map(|i| i["post"].clone()).collect();
                        serde_json::json!({"posts": posts, "hitsTotal": k})
                    };
                    records.push(serde_json::to_vec(&page).expect("serialise"));
                }
                ("bluesky-api", records, Vec::new(), false)
            }
            "mastodon" => {
                let mastodon = real.join("mastodon");
                let mut records =
                    json_items(&read(&mastodon.join("tag_timeline_2017.json"))?, None)?;
                records.extend(json_items(
                    &read(&mastodon.join("home_timeline_v4.json"))?,
                    None,
                )?);
                for single in ["status_reblog_v4.json", "status_reply_v4.json"] {
                    let value: Value = serde_json::from_slice(&read(&mastodon.join(single))?)
                        .map_err(|e| e.to_string())?;
                    records.push(serde_json::to_vec(&value).expect("serialise"));
                }
                ("mastodon", records, Vec::new(), false)
            }
            "reddit" => {
                let platforms = fixtures.join("platforms");
                let mut records = lines(&read(&platforms.join("RS_2017-05.ndjson"))?);
                records.extend(lines(&read(&platforms.join("RC_2017-05.ndjson"))?));
                ("reddit", records, Vec::new(), false)
            }
            other => return Err(format!("unknown reader {other}; one of {READERS:?}")),
        };
        Ok(Corpus {
            reader: name,
            seeds: json_seeds(records),
            header,
            csv,
        })
    }

    fn format(&self) -> Format {
        match self.reader {
            "v1" => Format::TwitterV1,
            "v2-pages" | "v2-flat" => Format::TwitterV2,
            "twarc-csv" => Format::TwarcCsv,
            "generic-csv" => Format::GenericCsv,
            "telegram" => Format::Telegram,
            "bluesky-jetstream" | "bluesky-api" => Format::Bluesky,
            "mastodon" => Format::Mastodon,
            "reddit" => Format::Reddit,
            _ => Format::Fourchan,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mutations

const HOSTILE_VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    "-0",
    "1e400",
    "-1e400",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "9223372036854775807",
    "-9223372036854775809",
    "99999999999999999999999999999999999999",
    "\"\"",
    "\" \"",
    "\"x\"",
    "\"18446744073709551616\"",
    "\"-1\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\"\\\\\"",
    "\"\\\"\"",
    "\"<a href=\\\"x\\\">y</a>\"",
    "\"&#999999999;&#x110000;&#0;&amp\"",
    "\">>99999999999999999999999 >>1 >>>/pol/1\"",
    "\"#\\uff03\\u0000 #a#b ## #\"",
    "\"https:// http://\\u0000 www.\"",
    "\"Fri May 05 19:00:00 +0000 99999\"",
    "\"Fri May 32 25:61:61 +9999 2017\"",
    "\"Mon Jan 01 00:00:00 -2400 -262144\"",
    "\"2017-13-45T99:99:99Z\"",
    "\"+275760-09-13T00:00:00.000Z\"",
    "\"-271821-04-20T00:00:00Z\"",
    "\"2017-05-05T19:00:00.000Z\"",
    "\"0000-00-00 00:00:00\"",
    "[]",
    "{}",
    "[null]",
    "[1,\"a\",{}]",
    "{\"a\":1}",
    "[{\"text\":1}]",
    "[{\"type\":\"retweeted\"}]",
    "[{\"type\":\"retweeted\",\"id\":\"1\"},{\"type\":\"quoted\",\"id\":\"1\"}]",
    "{\"id_str\":\"1\",\"created_at\":\"Fri May 05 19:00:00 +0000 2017\"}",
    "\"2020-11-12T12:54:07\"",
    "\"2021-03-28T02:30:00\"",
    "\"99999999999999999999\"",
    "\"user\"",
    "\"channel-1\"",
    "\"at://\"",
    "\"at://did:plc:x/app.bsky.feed.post/1\"",
    "{\"$type\":\"app.bsky.feed.defs#reasonRepost\"}",
    "{\"byteStart\":4294967295,\"byteEnd\":1}",
    "[{\"index\":{\"byteStart\":3,\"byteEnd\":999},\"features\":[{\"$type\":\"app.bsky.richtext.facet#mention\"}]}]",
    "[{\"type\":\"hashtag\",\"text\":\"#\"},\"x\",{\"type\":\"text_link\"}]",
    "\"[deleted]\"",
    "\"t1_\"",
    "1e308",
];

const NESTING_DEPTHS: &[usize] = &[
    1, 2, 10, 64, 100, 126, 127, 128, 129, 200, 1000, 5000, 20000,
];

const INVALID_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xc3",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\x80\x80",
];

fn nested(rng: &mut ChaCha8Rng, inner: &[u8]) -> Vec<u8> {
    let depth = *NESTING_DEPTHS.choose(rng).expect("depths");
    let (open, close): (&[u8], &[u8]) = match rng.random_range(0..6) {
        0 => (b"[", b"]"),
        1 => (b"{\"a\":", b"}"),
        2 => (b"{\"retweeted_status\":", b"}"),
        // Mastodon reblogs of reblogs; Bluesky thread parents of parents; Telegram chats.
        3 => (b"{\"reblog\":", b"}"),
        4 => (b"{\"thread\":{\"parent\":", b"}}"),
        _ => (b"{\"chats\":{\"list\":[", b"]}}"),
    };
    let mut out = Vec::with_capacity(inner.len() + depth * (open.len() + 1));
    for _ in 0..depth {
        out.extend_from_slice(open);
    }
    out.extend_from_slice(inner);
    if rng.random_bool(0.9) {
        for _ in 0..depth {
            out.extend_from_slice(close);
        }
    }
    out
}

fn splice(bytes: &[u8], range: (usize, usize), with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + with.len());
    out.extend_from_slice(&bytes[..range.0]);
    out.extend_from_slice(with);
    out.extend_from_slice(&bytes[range.1..]);
    out
}

fn hostile_value(rng: &mut ChaCha8Rng) -> Vec<u8> {
    match rng.random_range(0..10) {
        0 => {
            let digits = rng.random_range(20..2000);
            let mut v = vec![b'"'];
            v.extend(std::iter::repeat_n(b'9', digits));
            v.push(b'"');
            v
        }
        1 => nested(rng, b"1"),
        2 => {
            let mut v = b"\"".to_vec();
            v.extend(std::iter::repeat_n(b'x', rng.random_range(1000..100_000)));
            v.push(b'"');
            v
        }
        _ => HOSTILE_VALUES
            .choose(rng)
            .expect("values")
            .as_bytes()
            .to_vec(),
    }
}

/// One structural change to a JSON record, using the seed's spans.
fn mutate_json_structure(seed: &Seed, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let bytes = &seed.bytes;
    if seed.members.is_empty() || rng.random_bool(0.03) {
        return match rng.random_range(0..4) {
            0 => nested(rng, bytes),
            1 => nested(rng, b""),
            2 => HOSTILE_VALUES
                .choose(rng)
                .expect("values")
                .as_bytes()
                .to_vec(),
            _ => bytes.clone(),
        };
    }
    let member = *seed.members.choose(rng).expect("members");
    match rng.random_range(0..8) {
        // Type swap or hostile value of a field.
        0..=2 => splice(bytes, member.value, &hostile_value(rng)),
        // Nesting around a field's value.
        3 => {
            let value = bytes[member.value.0..member.value.1].to_vec();
            splice(bytes, member.value, &nested(rng, &value))
        }
        // Duplicated key: the same member again (with another value, or as it is).
        4 => {
            let key_end = bytes[member.key + 1..]
                .iter()
                .position(|&b| b == b'"')
                .map_or(member.key + 1, |p| member.key + p + 2);
            let mut copy = bytes[member.key..key_end].to_vec();
            copy.push(b':');
            if rng.random_bool(0.5) {
                copy.extend_from_slice(&hostile_value(rng));
            } else {
                copy.extend_from_slice(&bytes[member.value.0..member.value.1]);
            }
            copy.push(b',');
            splice(bytes, (member.key, member.key), &copy)
        }
        // Two members of one object swapped.
        5 => {
            let siblings: Vec<&Member> = seed
                .members
                .iter()
                .filter(|m| m.parent == member.parent && m.key != member.key)
                .collect();
            let Some(other) = siblings.choose(rng) else {
                return bytes.clone();
            };
            let (a, b) = if member.key < other.key {
                (member, **other)
            } else {
                (**other, member)
            };
            if a.value.1 > b.key {
                return bytes.clone();
            }
            let mut out = bytes[..a.key].to_vec();
            out.extend_from_slice(&bytes[b.key..b.value.1]);
            out.extend_from_slice(&bytes[a.value.1..b.key]);
            out.extend_from_slice(&bytes[a.key..a.value.1]);
            out.extend_from_slice(&bytes[b.value.1..]);
            out
        }
        // A member removed.
        6 => splice(bytes, (member.key, member.value.1), b""),
        // Any value (array items too) replaced.
        _ => match seed.values.choose(rng) {
            Some(&span) => splice(bytes, span, &hostile_value(rng)),
            None => bytes.clone(),
        },
    }
}

/// A CSV row with hostile cells.
fn mutate_csv_structure(seed: &Seed, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&seed.bytes[..]);
    let mut row: Vec<String> = reader
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default();
    if row.is_empty() {
        return seed.bytes.clone();
    }
    for _ in 0..rng.random_range(1..=3) {
        let i = rng.random_range(0..row.len());
        row[i] = match rng.random_range(0..10) {
            0 => String::from_utf8_lossy(&nested(rng, b"\"#a\"")).into_owned(),
            1 => "[\"#a\",{\"tag\":1},{\"username\":[]},null,{\"expanded_url\":\"x\"}]".into(),
            2 => "a\nb\r\nc\"d\"".into(),
            3 => "\\n\\\\n\\".into(),
            4 => String::new(),
            5 => "1e400".into(),
            6 => "x".repeat(rng.random_range(100..20_000)),
            7 => [
                "-1",
                "18446744073709551616",
                "9999999999999",
                "NaN",
                "inf",
                "1.5e300",
                "-0",
            ]
            .choose(rng)
            .expect("numbers")
            .to_string(),
            _ => String::from_utf8_lossy(&hostile_value(rng)).into_owned(),
        };
    }
    match rng.random_range(0..6) {
        0 => {
            row.pop();
        }
        1 => row.push("extra".into()),
        _ => {}
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&row).expect("csv");
    let mut out = writer.into_inner().expect("csv");
    if rng.random_bool(0.05) {
        // Broken quoting.
        let at = rng.random_range(0..out.len());
        out.insert(at, b'"');
    }
    out
}

/// Byte-level damage anywhere.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut ChaCha8Rng) {
    if bytes.is_empty() {
        bytes.push(rng.random());
        return;
    }
    let at = rng.random_range(0..bytes.len());
    match rng.random_range(0..9) {
        0 => bytes.truncate(at),
        1 => {
            for _ in 0..rng.random_range(1..=4) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
        }
        2 => {
            let seq = INVALID_UTF8.choose(rng).expect("utf8");
            bytes.splice(at..at, seq.iter().copied());
        }
        3 => {
            bytes.splice(at..at, std::iter::repeat_n(0u8, rng.random_range(1..4)));
        }
        4 => {
            let end = (at + rng.random_range(1..64)).min(bytes.len());
            bytes.drain(at..end);
        }
        5 => {
            let end = (at + rng.random_range(1..256)).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            let to = rng.random_range(0..bytes.len());
            bytes.splice(to..to, copy);
        }
        6 => {
            let c = *b"\"\\{}[],:".choose(rng).expect("chars");
            bytes.insert(at, c);
        }
        7 => bytes.insert(at, b'\n'),
        _ => {
            let i = rng.random_range(0..bytes.len());
            bytes[i] ^= 1 << rng.random_range(0..8);
        }
    }
}

/// How a batch is laid out and read.
#[derive(Debug, Clone)]
pub struct Batch {
    pub records: Vec<Vec<u8>>,
    layout: u8,
    bom: bool,
    crlf: bool,
    container: u8,
    cut: Option<f64>,
    forced: bool,
    max_record_bytes: usize,
    tag: bool,
}

/// Batch `index` of a reader: deterministic in (seed, reader, index).
pub fn generate(corpus: &Corpus, seed: u64, index: u64, size: usize) -> Batch {
    let reader_number = READERS
        .iter()
        .position(|r| *r == corpus.reader)
        .unwrap_or(0) as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed ^ (reader_number << 56) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let mut records = Vec::with_capacity(size);
    for _ in 0..size {
        let seed_record = corpus.seeds.choose(&mut rng).expect("seeds");
        let mut bytes = if rng.random_bool(0.1) {
            seed_record.bytes.clone()
        } else if corpus.csv {
            mutate_csv_structure(seed_record, &mut rng)
        } else {
            mutate_json_structure(seed_record, &mut rng)
        };
        let damage = match rng.random_range(0..10) {
            0..=4 => 0,
            5..=7 => 1,
            _ => rng.random_range(2..=4),
        };
        for _ in 0..damage {
            mutate_bytes(&mut bytes, &mut rng);
        }
        records.push(bytes);
    }
    Batch {
        records,
        layout: rng.random_range(0..4),
        bom: rng.random_bool(0.05),
        crlf: rng.random_bool(0.1),
        container: match rng.random_range(0..10) {
            0 => 1,
            1 => 2,
            _ => 0,
        },
        cut: rng.random_bool(0.05).then(|| rng.random_range(0.0..1.0)),
        forced: rng.random_bool(0.85),
        max_record_bytes: if rng.random_bool(0.15) {
            rng.random_range(1..=8192)
        } else {
            ingest::DEFAULT_MAX_RECORD_BYTES
        },
        tag: rng.random_bool(0.1),
    }
}

impl Batch {
    /// The batch with only record `k`.
    pub fn single(&self, k: usize) -> Batch {
        Batch {
            records: vec![self.records[k].clone()],
            ..self.clone()
        }
    }

    /// The files of the batch (name, bytes): one file of records a line (or CSV rows), or
    /// for documents (4chan threads, arrays) a folder of small documents, so that one
    /// broken document does not hide the records of the others.
    pub fn files(&self, corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
        let newline: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let wrapped_reader = matches!(corpus.reader, "fourchan-thread" | "telegram");
        let document = !corpus.csv && (wrapped_reader || self.layout == 3);
        let mut files = Vec::new();
        if corpus.csv {
            let mut out = Vec::new();
            out.extend_from_slice(&corpus.header);
            for record in &self.records {
                out.extend_from_slice(record);
                if !record.ends_with(b"\n") {
                    out.extend_from_slice(newline);
                }
            }
            files.push(out);
        } else if document {
            // Documents: threads `{"posts": [...]}` (maybe inside wrapper keys) or arrays,
            // one record a line.
            let wrapped = wrapped_reader && self.layout != 3;
            let per_file = 1 + (self.layout as usize) * 2;
            // Telegram: a chat export, or (layout 1) a full-account export of one chat.
            let closing: &[u8] = match (corpus.reader, self.layout) {
                ("telegram", 1) => b"]}]}}",
                (_, _) if wrapped => b"]}",
                _ => b"]",
            };
            for group in self.records.chunks(per_file) {
                let mut out = Vec::new();
                if wrapped && corpus.reader == "telegram" {
                    if self.layout == 1 {
                        out.extend_from_slice(
                            b"{\"about\": \"x\", \"chats\": {\"about\": \"y\", \"list\": [{\"name\": \"c\", \"type\": \"public_channel\", \"id\": 777, \"messages\": [",
                        );
                    } else {
                        out.extend_from_slice(
                            b"{\"name\": \"c\", \"type\": \"private_supergroup\", \"id\": 1500000001, \"messages\": [",
                        );
                    }
                } else if wrapped {
                    if self.layout == 1 {
                        out.extend_from_slice(b"{\"board_code\": \"pol\", \"posts\": [");
                    } else {
                        out.extend_from_slice(b"{\"posts\": [");
                    }
                } else {
                    out.push(b'[');
                }
                out.extend_from_slice(newline);
                for (i, record) in group.iter().enumerate() {
                    out.extend_from_slice(record);
                    if i + 1 < group.len() {
                        out.push(b',');
                    }
                    out.extend_from_slice(newline);
                }
                out.extend_from_slice(closing);
                out.extend_from_slice(newline);
                files.push(out);
            }
        } else {
            let mut out = Vec::new();
            for (i, record) in self.records.iter().enumerate() {
                out.extend_from_slice(record);
                if i + 1 < self.records.len() || self.layout != 1 {
                    out.extend_from_slice(newline);
                }
                if self.layout == 2 && i % 7 == 0 {
                    out.extend_from_slice(b"  ");
                    out.extend_from_slice(newline);
                }
            }
            files.push(out);
        }
        files
            .into_iter()
            .enumerate()
            .map(|(i, mut out)| {
                if self.bom {
                    out.splice(0..0, *b"\xef\xbb\xbf");
                }
                let suffix = match self.container {
                    1 => {
                        let mut gz =
                            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                        gz.write_all(&out).expect("gzip");
                        out = gz.finish().expect("gzip");
                        ".gz"
                    }
                    2 => {
                        out = zstd::encode_all(&out[..], 1).expect("zstd");
                        ".zst"
                    }
                    _ => "",
                };
                if let Some(cut) = self.cut {
                    out.truncate((out.len() as f64 * cut) as usize);
                }
                (format!("input{i:04}{suffix}"), out)
            })
            .collect()
    }

    fn options(&self, corpus: &Corpus) -> IngestOptions {
        IngestOptions {
            format: self.forced.then(|| corpus.format()),
            tags: if self.tag {
                vec!["MacronLeaks".into(), "#ＢＬＭ".into()]
            } else {
                Vec::new()
            },
            since_ms: self.tag.then_some(1_400_000_000_000),
            column_map: (corpus.reader == "generic-csv").then(|| {
                tagscope::ingest::csv_readers::parse_column_map(GENERIC_MAP).expect("map")
            }),
            max_record_bytes: self.max_record_bytes,
            ..IngestOptions::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// Checks

/// What one file did: its skip reasons, or the problem found.
pub struct Checked {
    pub reasons: BTreeMap<String, u64>,
    pub records: u64,
    pub error: bool,
}

/// Writes the batch to `dir` and ingests it as the CLI does; `Err` names a problem (a
/// panic, a broken balance, an error that is not one line naming the file).
pub fn check(corpus: &Corpus, batch: &Batch, dir: &Path) -> Result<Checked, String> {
    let files = batch.files(corpus);
    let folder = dir.join("batch");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    for (name, bytes) in &files {
        let path = folder.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    // One file is named as the CLI would name it; several go in as their folder.
    let input = if files.len() == 1 {
        folder.join(&files[0].0)
    } else {
        folder.clone()
    };
    let options = batch.options(corpus);
    let label = input.display().to_string();
    let result =
        std::panic::catch_unwind(|| ingest::ingest(std::slice::from_ref(&input), &options));
    let _ = std::fs::remove_dir_all(&folder);
    let ingested = match result {
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(format!("panic: {message}"));
        }
        Ok(Err(error)) => {
            let text = format!("{:#}", anyhow::Error::from(error));
            if !text.contains(&label) || text.contains('\n') {
                return Err(format!("error not one line naming the file: {text:?}"));
            }
            return Ok(Checked {
                reasons: BTreeMap::new(),
                records: 0,
                error: true,
            });
        }
        Ok(Ok(ingested)) => ingested,
    };
    let r = &ingested.report;
    let balance = r.posts + r.duplicates + r.filtered_out + r.skipped;
    if r.records_read != balance {
        return Err(format!(
            "balance: records_read {} != posts {} + duplicates {} + filtered_out {} + skipped {}",
            r.records_read, r.posts, r.duplicates, r.filtered_out, r.skipped
        ));
    }
    if r.skipped != r.skipped_by_reason.values().sum::<u64>() {
        return Err("skipped != sum of skipped_by_reason".into());
    }
    let files: u64 = r.files.iter().map(|f| f.records).sum();
    let file_parts: u64 = r
        .files
        .iter()
        .map(|f| f.kept + f.filtered_out + f.skipped)
        .sum();
    if files != r.records_read || file_parts != files {
        return Err(format!(
            "per-file counts {files} / {file_parts} != records_read {}",
            r.records_read
        ));
    }
    if r.posts as usize != ingested.posts.height() || r.duplicates > r.records_read {
        return Err("posts or duplicates out of range".into());
    }
    if let Some(example) = r.skip_examples.iter().find(|e| !e.file.starts_with(&label)) {
        return Err(format!("skip example names {} not the file", example.file));
    }
    Ok(Checked {
        reasons: r.skipped_by_reason.clone(),
        records: r.records_read,
        error: false,
    })
}

// ---------------------------------------------------------------------------------------
// Worker (child process) and supervisor

struct Args {
    readers: Vec<String>,
    inputs: u64,
    seed: u64,
    jobs: u64,
    batch: usize,
    out: PathBuf,
    worker: Option<(u64, u64, u64)>,
    single: Option<(u64, usize)>,
    file: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        readers: vec!["v1".into()],
        inputs: 100_000,
        seed: 1,
        jobs: 2,
        batch: BATCH,
        out: PathBuf::from("target/fuzz-crashes"),
        worker: None,
        single: None,
        file: None,
    };
    let mut it = std::env::args().skip(1);
    let number = |v: Option<String>, flag: &str| -> Result<u64, String> {
        v.and_then(|v| v.replace('_', "").parse().ok())
            .ok_or(format!("{flag} needs a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--reader" => {
                let r = it.next().ok_or("--reader needs a name")?;
                args.readers = if r == "all" {
                    READERS.iter().map(|s| s.to_string()).collect()
                } else {
                    r.split(',').map(str::to_string).collect()
                };
            }
            "--inputs" => args.inputs = number(it.next(), "--inputs")?,
            "--seed" => args.seed = number(it.next(), "--seed")?,
            "--jobs" => args.jobs = number(it.next(), "--jobs")?.max(1),
            "--batch" => args.batch = number(it.next(), "--batch")?.max(1) as usize,
            "--out" => args.out = PathBuf::from(it.next().ok_or("--out needs a folder")?),
            // Internal: run batches first, first + step, ... below end.
            "--worker" => {
                let first = number(it.next(), "--worker")?;
                let step = number(it.next(), "--worker")?;
                let end = number(it.next(), "--worker")?;
                args.worker = Some((first, step, end));
            }
            // Internal: record k of batch b alone, or a file as it is.
            "--single" => {
                let b = number(it.next(), "--single")?;
                let k = number(it.next(), "--single")? as usize;
                args.single = Some((b, k));
            }
            "--file" => args.file = Some(PathBuf::from(it.next().ok_or("--file")?)),
            "-h" | "--help" => {
                return Err(format!(
                    "fuzz_readers [--reader NAME|all] [--inputs N] [--seed S] [--jobs J] [--batch B] [--out DIR]\nreaders: {}",
                    READERS.join(", ")
                ));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn scratch_dir() -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("tagscope-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Child: runs batches, one line per batch on stdout (`ok B RECORDS ERRORS` or
/// `problem B TEXT`), then `reasons JSON`.
fn worker(args: &Args, corpus: &Corpus, (first, step, end): (u64, u64, u64)) {
    let dir = scratch_dir();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let stdout = std::io::stdout();
    let mut index = first;
    // Self-test of the supervisor: abort on this batch, as a stack overflow would.
    let abort_at: Option<u64> = std::env::var("FUZZ_SELFTEST_ABORT_BATCH")
        .ok()
        .and_then(|v| v.parse().ok());
    while index < end {
        if abort_at == Some(index) {
            std::process::abort();
        }
        let batch = generate(corpus, args.seed, index, args.batch);
        let line = match check(corpus, &batch, &dir) {
            Ok(checked) => {
                for (reason, n) in checked.reasons {
                    *reasons.entry(reason).or_default() += n;
                }
                format!("ok {index} {} {}", checked.records, u8::from(checked.error))
            }
            Err(problem) => format!("problem {index} {}", problem.replace('\n', " ")),
        };
        let mut out = stdout.lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        index += step;
    }
    let _ = writeln!(
        stdout.lock(),
        "reasons {}",
        serde_json::to_string(&reasons).expect("json")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Child: one record of one batch, or one file; exit 0 when fine, 3 on a problem (an abort
/// ends the process otherwise).
fn single(args: &Args, corpus: &Corpus) -> i32 {
    let dir = scratch_dir();
    let batch = match (&args.file, args.single) {
        (Some(file), Some((b, _))) => {
            let mut batch = generate(corpus, args.seed, b, args.batch).single(0);
            batch.records = vec![std::fs::read(file).expect("record file")];
            batch
        }
        (None, Some((b, k))) => generate(corpus, args.seed, b, args.batch).single(k),
        _ => return 2,
    };
    let code = match check(corpus, &batch, &dir) {
        Ok(_) => 0,
        Err(problem) => {
            eprintln!("{problem}");
            3
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    code
}

fn child(args: &Args, reader: &str, extra: &[String]) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("exe"));
    command
        .args(["--reader", reader, "--seed", &args.seed.to_string()])
        .args(["--batch", &args.batch.to_string()])
        .args(extra)
        .env("RAYON_NUM_THREADS", "1");
    command
}

/// Whether record `record` (a file of its bytes) fails in a child process.
fn fails(args: &Args, reader: &str, batch: u64, record: &Path) -> bool {
    let status = child(
        args,
        reader,
        &[
            "--single".into(),
            batch.to_string(),
            "0".into(),
            "--file".into(),
            record.display().to_string(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status();
    !matches!(status, Ok(s) if s.success())
}

/// Narrows a failing batch to its failing records, shrinks each, and writes them to `out`.
fn minimise(args: &Args, corpus: &Corpus, batch_index: u64, what: &str) -> Vec<String> {
    let batch = generate(corpus, args.seed, batch_index, args.batch);
    let mut found = Vec::new();
    let _ = std::fs::create_dir_all(&args.out);
    let scratch = scratch_dir();
    for k in 0..batch.records.len() {
        let candidate = scratch.join("candidate");
        std::fs::write(&candidate, &batch.records[k]).expect("write");
        if !fails(args, corpus.reader, batch_index, &candidate) {
            continue;
        }
        // Delta debugging on bytes: drop chunks while it still fails.
        let mut bytes = batch.records[k].clone();
        let mut chunk = (bytes.len() / 2).max(1);
        let mut tries = 0;
        while chunk >= 1 && tries < 400 {
            let mut start = 0;
            let mut shrunk = false;
            while start < bytes.len() && tries < 400 {
                let end = (start + chunk).min(bytes.len());
                let mut smaller = bytes.clone();
                smaller.drain(start..end);
                std::fs::write(&candidate, &smaller).expect("write");
                tries += 1;
                if fails(args, corpus.reader, batch_index, &candidate) {
                    bytes = smaller;
                    shrunk = true;
                } else {
                    start = end;
                }
            }
            if !shrunk {
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
        }
        let name = format!(
            "{}-seed{}-batch{batch_index}-record{k}.min",
            corpus.reader, args.seed
        );
        let path = args.out.join(&name);
        std::fs::write(&path, &bytes).expect("write");
        found.push(format!(
            "{what}: {} ({} bytes; options: {:?})",
            path.display(),
            bytes.len(),
            Batch {
                records: Vec::new(),
                ..batch.clone()
            }
        ));
        if found.len() >= 3 {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if found.is_empty() {
        found.push(format!(
            "{what} in batch {batch_index}, not reproduced by any single record"
        ));
    }
    found
}

struct Tally {
    inputs: u64,
    records: u64,
    errors: u64,
    aborts: u64,
    panics: u64,
    violations: u64,
    hangs: u64,
    reasons: BTreeMap<String, u64>,
    findings: Vec<String>,
}

/// Runs one worker over its stride, restarting it after a batch that killed it.
fn supervise(args: &Args, corpus: &Corpus, first: u64, step: u64, end: u64) -> Tally {
    let mut tally = Tally {
        inputs: 0,
        records: 0,
        errors: 0,
        aborts: 0,
        panics: 0,
        violations: 0,
        hangs: 0,
        reasons: BTreeMap::new(),
        findings: Vec::new(),
    };
    let mut next = first;
    while next < end {
        let mut process = child(
            args,
            corpus.reader,
            &[
                "--worker".into(),
                next.to_string(),
                step.to_string(),
                end.to_string(),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn worker");
        let stdout = process.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut finished = false;
        let mut hung = false;
        loop {
            match receiver.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let mut parts = line.splitn(3, ' ');
                    let kind = parts.next().unwrap_or("");
                    let second = parts.next().unwrap_or("");
                    let rest = parts.next().unwrap_or("");
                    match kind {
                        "ok" => {
                            let b: u64 = second.parse().unwrap_or(next);
                            let mut rest = rest.split(' ');
                            tally.records += rest.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                            tally.errors += rest.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                            tally.inputs += args.batch as u64;
                            next = b + step;
                        }
                        "problem" => {
                            let b: u64 = second.parse().unwrap_or(next);
                            tally.inputs += args.batch as u64;
                            if rest.starts_with("panic") {
                                tally.panics += 1;
                            } else {
                                tally.violations += 1;
                            }
                            tally.findings.extend(minimise(args, corpus, b, rest));
                            next = b + step;
                        }
                        "reasons" => {
                            let json = line.strip_prefix("reasons ").unwrap_or("{}");
                            let reasons: BTreeMap<String, u64> =
                                serde_json::from_str(json).unwrap_or_default();
                            for (reason, n) in reasons {
                                *tally.reasons.entry(reason).or_default() += n;
                            }
                            finished = true;
                        }
                        _ => {}
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    tally.hangs += 1;
                    hung = true;
                    let _ = process.kill();
                    tally
                        .findings
                        .push(format!("hang: batch {next} (no progress for 60 s)"));
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = process.wait().expect("wait");
        if finished && status.success() {
            break;
        }
        if next < end && !finished {
            if hung {
                tally.inputs += args.batch as u64;
            } else if !status.success() {
                tally.aborts += 1;
                tally.inputs += args.batch as u64;
                let what = format!("abort ({status})");
                tally.findings.extend(minimise(args, corpus, next, &what));
            }
            next += step;
        }
    }
    tally
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // Panics are caught and reported per batch; their default message would flood stderr.
    std::panic::set_hook(Box::new(|_| {}));
    if args.worker.is_some() || args.single.is_some() {
        let corpus = match Corpus::load(&args.readers[0], &root()) {
            Ok(corpus) => corpus,
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(2);
            }
        };
        if let Some(range) = args.worker {
            worker(&args, &corpus, range);
            return;
        }
        std::process::exit(single(&args, &corpus));
    }
    let mut failed = false;
    for reader in &args.readers {
        let corpus = match Corpus::load(reader, &root()) {
            Ok(corpus) => corpus,
            Err(message) => {
                eprintln!("{message}");
                std::process::exit(2);
            }
        };
        let batches = args.inputs.div_ceil(args.batch as u64);
        let started = Instant::now();
        let tallies: Vec<Tally> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..args.jobs)
                .map(|job| {
                    let (args, corpus) = (&args, &corpus);
                    scope.spawn(move || supervise(args, corpus, job, args.jobs, batches))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("supervisor"))
                .collect()
        });
        let seconds = started.elapsed().as_secs_f64();
        let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
        let inputs = sum(|t| t.inputs);
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for tally in &tallies {
            for (reason, n) in &tally.reasons {
                *reasons.entry(reason.clone()).or_default() += n;
            }
        }
        let (aborts, panics, violations, hangs) = (
            sum(|t| t.aborts),
            sum(|t| t.panics),
            sum(|t| t.violations),
            sum(|t| t.hangs),
        );
        println!(
            "{reader}: {inputs} inputs in {} files, {seconds:.0} s, {:.0} inputs/s; records read {}, files refused with an error {}; aborts {aborts}, panics {panics}, balance/check violations {violations}, hangs {hangs}",
            batches,
            inputs as f64 / seconds.max(1e-9),
            sum(|t| t.records),
            sum(|t| t.errors),
        );
        println!(
            "  skipped by reason: {}",
            serde_json::to_string(&reasons).expect("json")
        );
        for finding in tallies.iter().flat_map(|t| &t.findings) {
            println!("  found: {finding}");
        }
        failed |= aborts + panics + violations + hangs > 0;
    }
    if failed {
        std::process::exit(1);
    }
}
