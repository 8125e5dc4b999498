//! Telegram Desktop "Export chat history" JSON: `result.json` of one chat
//! `{name, type, id, messages: [...]}`, or the full-account export whose chats are in
//! `chats.list[]` (and `left_chats.list[]`).
//!
//! - A message is a post; `service` messages (channel created, pinned, joined...) are
//!   counted and skipped.
//! - Post ids are `CHAT/MESSAGE` (message ids are per chat), e.g. `channel1292077344/21`;
//!   `thread_id` is the chat. Chats and authors are keyed `user…`, `chat…` or `channel…`,
//!   as modern exports write `from_id`. Exports before 2021 wrote integers in Telegram
//!   Desktop's peer encoding (channels + 2^33, basic groups + 2^32, users as they are):
//!   they are decoded, so an old and a new export of one channel give the same keys and
//!   deduplicate.
//! - Time: `date_unixtime` when present; else `date`, local time without an offset (the
//!   exporting computer's zone), read as UTC unless `--telegram-tz ZONE` names the zone.
//! - Text: `text` as a string, or a mixed array of strings and entity objects; hashtags,
//!   URLs and mentions from `text_entities` (or the entity objects of the array); a plain
//!   string with no entities at all (very old exports) is searched like 4chan text.
//! - `forwarded_from` makes the message a forward: kind `retweet`, `parent_author_id` the
//!   source's `forwarded_from_id` where the export has it, else the source's name (exports
//!   carry no id of the original message: `parent_post_id` stays null).
//!   `reply_to_message_id` makes it a reply to `CHAT/ID` (its author and time are filled
//!   from the collected messages).
//! - Authors: `from_id` (the channel itself for channel posts), handle and display name
//!   `from` (exports carry no @usernames). A message without `from_id` in a channel is the
//!   channel's.
//!
//! Telethon's `Message.to_dict()` is not read: it is a Python structure, not a file
//! format (datetimes and bytes need the caller's own serialiser, so every scraper's dump
//! differs), unlike the Desktop export researchers share.

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::json::{
    Elements, FlexId, FlexNumber, JsonDocument, JsonStr, LineCounter, from_record, skip_json_error,
};
use super::record::{AccountRecord, Collector, PostKind, PostRecord, TELEGRAM};
use super::text::{hashtags_in_text, normalise_hashtag, urls_in_text};

type Text<'a> = Option<JsonStr<'a>>;

/// Telegram Desktop's old peer encoding (before 2021 exports wrote `from_id` as integers).
const CHAT_SHIFT: u64 = 1 << 32;
const CHANNEL_SHIFT: u64 = 1 << 33;

/// A peer key (`user…`, `chat…`, `channel…`) from a `from_id`-style value: strings as they
/// are, integers decoded from the old peer encoding, Bot-API style negative ids
/// (`-100…` channels, `-…` groups) named likewise.
pub fn peer_key(id: &str) -> Option<String> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    if !id.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return Some(id.to_string());
    }
    if let Some(rest) = id.strip_prefix("-100")
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(format!("channel{rest}"));
    }
    if let Some(rest) = id.strip_prefix('-')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(format!("chat{rest}"));
    }
    match id.parse::<u64>() {
        Ok(n) if (CHANNEL_SHIFT..CHANNEL_SHIFT + CHAT_SHIFT).contains(&n) => {
            Some(format!("channel{}", n - CHANNEL_SHIFT))
        }
        Ok(n) if (CHAT_SHIFT..CHANNEL_SHIFT).contains(&n) => {
            Some(format!("chat{}", n - CHAT_SHIFT))
        }
        Ok(n) => Some(format!("user{n}")),
        Err(_) => Some(id.to_string()),
    }
}

/// The key of a chat from the export's `id` and `type`.
fn chat_key(id: Option<&FlexId>, kind: Option<&str>) -> String {
    let Some(id) = id.and_then(FlexId::text) else {
        return "unknown".to_string();
    };
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return peer_key(id).unwrap_or_else(|| "unknown".into());
    }
    let n: u64 = id.parse().unwrap_or(0);
    match kind.unwrap_or("") {
        "personal_chat" | "bot_chat" | "saved_messages" => format!("user{id}"),
        "private_group" if (CHAT_SHIFT..CHANNEL_SHIFT).contains(&n) => {
            format!("chat{}", n - CHAT_SHIFT)
        }
        "private_group" => format!("chat{id}"),
        _ if (CHANNEL_SHIFT..CHANNEL_SHIFT + CHAT_SHIFT).contains(&n) => {
            format!("channel{}", n - CHANNEL_SHIFT)
        }
        _ => format!("channel{id}"),
    }
}

/// What is read of a chat (or of the whole export) before its messages.
#[derive(Default)]
struct ChatHead<'de> {
    name: Option<String>,
    kind: Option<String>,
    id: Option<FlexId>,
    saw_messages: bool,
    messages: Vec<&'de RawValue>,
    /// Full-account export: the chats of `chats.list` and `left_chats.list`.
    chats: Vec<&'de RawValue>,
    saw_chats: bool,
}

struct HeadVisitor<'h, 'de>(&'h mut ChatHead<'de>);

impl<'de> Visitor<'de> for HeadVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Telegram export (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            match &*key {
                "name" => self.0.name = map.next_value::<Option<String>>()?,
                "type" => self.0.kind = map.next_value::<Option<String>>()?,
                "id" => self.0.id = map.next_value::<Option<FlexId>>()?,
                "messages" => {
                    self.0.saw_messages = true;
                    map.next_value_seed(Elements(&mut self.0.messages))?;
                }
                "chats" | "left_chats" => {
                    self.0.saw_chats = true;
                    map.next_value_seed(ListSeed(&mut self.0.chats))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `{"about": ..., "list": [chat, ...]}`: the chats of a full-account export.
struct ListSeed<'v, 'de>(&'v mut Vec<&'de RawValue>);

impl<'de> DeserializeSeed<'de> for ListSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with a list of chats")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<JsonStr<'de>>()? {
            if &*key == "list" {
                map.next_value_seed(Elements(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Reads the head of a chat (or export) from `bytes`; the messages and chats before a
/// break stay in the head, with the error.
fn read_head(bytes: &[u8]) -> (ChatHead<'_>, Option<serde_json::Error>) {
    let mut head = ChatHead::default();
    let result = match std::str::from_utf8(bytes) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde::Deserializer::deserialize_map(&mut de, HeadVisitor(&mut head))
                .and_then(|()| de.end())
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde::Deserializer::deserialize_map(&mut de, HeadVisitor(&mut head))
                .and_then(|()| de.end())
        }
    };
    (head, result.err())
}

#[derive(Deserialize)]
struct Message<'a> {
    id: Option<FlexId>,
    #[serde(borrow, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow)]
    date: Text<'a>,
    date_unixtime: Option<FlexNumber>,
    #[serde(borrow)]
    from: Text<'a>,
    from_id: Option<FlexId>,
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    text_entities: Option<Vec<Entity<'a>>>,
    #[serde(borrow)]
    forwarded_from: Text<'a>,
    forwarded_from_id: Option<FlexId>,
    reply_to_message_id: Option<FlexId>,
    reply_to_peer_id: Option<FlexId>,
}

#[derive(Deserialize)]
struct Entity<'a> {
    #[serde(borrow, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    href: Text<'a>,
}

/// The chat a message belongs to.
struct Chat {
    key: String,
    is_channel: bool,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A link as written in a message (`example.com/x`) with the scheme Telegram opens it
/// with, so that it matches the same URL from other platforms.
fn link(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.contains("://") {
        Some(text.to_string())
    } else {
        Some(format!("http://{text}"))
    }
}

fn add_entity(post: &mut PostRecord, kind: &str, text: Option<&str>, href: Option<&str>) {
    match (kind, text) {
        ("hashtag", Some(text)) => {
            let tag = normalise_hashtag(text);
            if !tag.is_empty() {
                post.hashtags.push(tag);
            }
        }
        ("link", Some(text)) => post.urls.extend(link(text)),
        ("text_link", _) => post.urls.extend(href.and_then(link)),
        ("mention" | "mention_name", Some(text)) => {
            let name = text.trim().trim_start_matches('@').to_lowercase();
            if !name.is_empty() {
                post.mentions.push(name);
            }
        }
        _ => {}
    }
}

/// Text, hashtags, URLs and mentions of a message.
fn fill_text(post: &mut PostRecord, message: &Message<'_>) {
    let mut text = String::new();
    let mut has_entities = false;
    if let Some(raw) = message.text {
        let body = raw.get().trim_start();
        if body.starts_with('"') {
            if let Ok(s) = serde_json::from_str::<JsonStr>(body) {
                text.push_str(&s);
            }
        } else if body.starts_with('[') {
            has_entities = true;
            let parts: Vec<&RawValue> = serde_json::from_str(body).unwrap_or_default();
            for part in parts {
                let part = part.get();
                if part.starts_with('"') {
                    if let Ok(s) = serde_json::from_str::<JsonStr>(part) {
                        text.push_str(&s);
                    }
                } else if let Ok(entity) = serde_json::from_str::<Entity>(part) {
                    let piece = entity.text.as_deref().unwrap_or("");
                    text.push_str(piece);
                    if message.text_entities.is_none() {
                        add_entity(
                            post,
                            entity.kind.as_deref().unwrap_or(""),
                            entity.text.as_deref(),
                            entity.href.as_deref(),
                        );
                    }
                }
            }
        }
    }
    if let Some(entities) = &message.text_entities {
        has_entities = true;
        for entity in entities {
            add_entity(
                post,
                entity.kind.as_deref().unwrap_or(""),
                entity.text.as_deref(),
                entity.href.as_deref(),
            );
        }
    }
    if !has_entities {
        post.hashtags = hashtags_in_text(&text);
        post.urls = urls_in_text(&text);
    }
    post.text = Some(text).filter(|t| !t.is_empty());
}

/// `date` (local time without offset) in `tz`, or UTC.
fn local_date_ms(date: &str, tz: Option<chrono_tz::Tz>) -> Option<i64> {
    use chrono::TimeZone;
    let naive = super::text::parse_local_seconds(date.trim())?;
    match tz {
        None => Some(naive.and_utc().timestamp_millis()),
        // A time repeated when clocks go back is taken at its first occurrence; one that
        // does not exist (clocks going forward) is not a time the exporter wrote.
        Some(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp_millis()),
    }
}

fn handle_message(
    bytes: &[u8],
    line: u64,
    chat: &Chat,
    tz: Option<chrono_tz::Tz>,
    collector: &mut Collector<'_>,
) {
    let message: Message = match from_record(bytes) {
        Ok(message) => message,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    match message.kind.as_deref() {
        Some("service") => return collector.skip(line, "service message", None),
        Some("message") | None => {}
        Some(other) => {
            return collector.skip(line, "not a Telegram message", Some(other));
        }
    }
    let Some(id) = message.id.as_ref().and_then(FlexId::text) else {
        return collector.skip(line, "not a Telegram message", Some("no id"));
    };
    let time = match message.date_unixtime.and_then(FlexNumber::seconds_to_ms) {
        Some(ms) => Some(ms),
        None => message.date.as_deref().and_then(|d| local_date_ms(d, tz)),
    };
    let Some(created_at_ms) = time else {
        return collector.skip(line, "bad or missing date", message.date.as_deref());
    };
    let mut post = PostRecord::new(
        TELEGRAM,
        format!("{}/{id}", chat.key),
        created_at_ms,
        PostKind::Original,
    );
    post.author_id = message
        .from_id
        .as_ref()
        .and_then(FlexId::text)
        .and_then(peer_key)
        .or_else(|| chat.is_channel.then(|| chat.key.clone()));
    post.author_handle = owned(&message.from);
    post.thread_id = Some(chat.key.clone());
    fill_text(&mut post, &message);
    let forward_source = owned(&message.forwarded_from);
    let forward_id = message
        .forwarded_from_id
        .as_ref()
        .and_then(FlexId::text)
        .and_then(peer_key);
    if forward_source.is_some() || forward_id.is_some() {
        post.kind = PostKind::Retweet;
        post.parent_author_id = forward_id.clone().or(forward_source.clone());
    } else if let Some(reply_to) = message.reply_to_message_id.as_ref().and_then(FlexId::text) {
        post.kind = PostKind::Reply;
        let reply_chat = message
            .reply_to_peer_id
            .as_ref()
            .and_then(FlexId::text)
            .and_then(peer_key)
            .unwrap_or_else(|| chat.key.clone());
        post.parent_post_id = Some(format!("{reply_chat}/{reply_to}"));
    }
    let mut accounts = Vec::with_capacity(2);
    if let Some(author) = &post.author_id {
        accounts.push(AccountRecord {
            platform: TELEGRAM,
            account_id: author.clone(),
            handle: post.author_handle.clone(),
            display_name: post.author_handle.clone(),
            ..AccountRecord::default()
        });
    }
    if let Some(source) = &post.parent_author_id
        && post.kind == PostKind::Retweet
    {
        accounts.push(AccountRecord {
            platform: TELEGRAM,
            account_id: source.clone(),
            handle: forward_source.clone(),
            display_name: forward_source,
            ..AccountRecord::default()
        });
    }
    collector.post(post, line, accounts);
}

/// Messages of one chat: in pieces parsed in parallel (an export is one document, so this
/// is its only parallelism), collected back in order.
fn handle_messages(
    messages: &[&RawValue],
    chat: &Chat,
    line_of: &mut dyn FnMut(&str) -> u64,
    tz: Option<chrono_tz::Tz>,
    collector: &mut Collector<'_>,
) {
    use rayon::prelude::*;
    const PIECE: usize = 8192;
    let lines: Vec<u64> = messages.iter().map(|m| line_of(m.get())).collect();
    if messages.len() <= PIECE {
        for (message, &line) in messages.iter().zip(&lines) {
            handle_message(message.get().as_bytes(), line, chat, tz, collector);
        }
        return;
    }
    let shared: &Collector<'_> = collector;
    let pieces: Vec<Collector<'_>> = messages
        .par_chunks(PIECE)
        .zip(lines.par_chunks(PIECE))
        .map(|(messages, lines)| {
            let mut piece = shared.sibling();
            for (message, &line) in messages.iter().zip(lines) {
                handle_message(message.get().as_bytes(), line, chat, tz, &mut piece);
            }
            piece
        })
        .collect();
    for piece in pieces {
        collector.absorb(piece);
    }
}

fn is_channel(kind: Option<&str>) -> bool {
    kind.is_none_or(|k| k.contains("channel"))
}

/// One chat object (or the whole export): its messages, then the chats of a full-account
/// export. `line_of` gives the line a value borrowed from `bytes` starts on;
/// `error_line` the line of an error in `bytes`.
fn parse_export(
    bytes: &[u8],
    start_line: u64,
    line_of: &mut dyn FnMut(&str) -> u64,
    error_line: &dyn Fn(&serde_json::Error) -> u64,
    tz: Option<chrono_tz::Tz>,
    collector: &mut Collector<'_>,
) {
    let (head, error) = read_head(bytes);
    let chat = Chat {
        key: chat_key(head.id.as_ref(), head.kind.as_deref()),
        is_channel: is_channel(head.kind.as_deref()),
    };
    handle_messages(&head.messages, &chat, line_of, tz, collector);
    // The chats of a full-account export: each a complete value, read one level down (a
    // chat's own `chats` key, if any, is not read again: no recursion on input).
    for chat_value in &head.chats {
        let chat_line = line_of(chat_value.get());
        let (inner, inner_error) = read_head(chat_value.get().as_bytes());
        let chat = Chat {
            key: chat_key(inner.id.as_ref(), inner.kind.as_deref()),
            is_channel: is_channel(inner.kind.as_deref()),
        };
        handle_messages(&inner.messages, &chat, line_of, tz, collector);
        if let Some(inner_error) = inner_error {
            skip_json_error(
                chat_value.get().as_bytes(),
                chat_line,
                &inner_error,
                collector,
            );
        } else if !inner.saw_messages {
            collector.skip(chat_line, "not a Telegram chat", Some("no messages"));
        }
    }
    match error {
        Some(error) => skip_json_error(bytes, error_line(&error), &error, collector),
        None if !head.saw_messages && !head.saw_chats => collector.skip(
            start_line,
            "not a Telegram export",
            Some("no messages and no chats.list"),
        ),
        None => {}
    }
}

/// A `result.json` document (one chat, or the full-account export).
pub fn parse_document(
    document: &JsonDocument,
    tz: Option<chrono_tz::Tz>,
    collector: &mut Collector<'_>,
) {
    let mut lines = LineCounter::new(&document.bytes);
    parse_export(
        &document.bytes,
        1,
        &mut |value| lines.line_of(value),
        &|error| error.line() as u64,
        tz,
        collector,
    );
}

/// One line of a line-delimited file: a chat export written on one line, or a single
/// message (an item of a large array of messages streamed item by item).
pub fn parse_line(
    bytes: &[u8],
    line: u64,
    tz: Option<chrono_tz::Tz>,
    collector: &mut Collector<'_>,
) {
    let is_message = {
        // A message has `date` at its top level; a chat has `messages` or `chats`. Cheap
        // check on a shallow parse of the keys only.
        #[derive(Deserialize)]
        struct Keys {
            date: Option<IgnoredAny>,
            messages: Option<IgnoredAny>,
            chats: Option<IgnoredAny>,
        }
        match from_record::<Keys>(bytes) {
            Ok(keys) => keys.date.is_some() && keys.messages.is_none() && keys.chats.is_none(),
            Err(_) => false,
        }
    };
    if is_message {
        let chat = Chat {
            key: "unknown".into(),
            is_channel: false,
        };
        return handle_message(bytes, line, &chat, tz, collector);
    }
    parse_export(bytes, line, &mut |_| line, &|_| line, tz, collector);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_decode_old_and_new_ids() {
        assert_eq!(
            peer_key("channel1292077344").as_deref(),
            Some("channel1292077344")
        );
        assert_eq!(peer_key("9882011936").as_deref(), Some("channel1292077344"));
        assert_eq!(peer_key("4294967396").as_deref(), Some("chat100"));
        assert_eq!(peer_key("12345").as_deref(), Some("user12345"));
        assert_eq!(
            peer_key("-1001292077344").as_deref(),
            Some("channel1292077344")
        );
        assert_eq!(peer_key("-42").as_deref(), Some("chat42"));
        assert_eq!(peer_key(""), None);
        assert_eq!(
            chat_key(Some(&FlexId("9882011936".into())), Some("private_channel")),
            "channel1292077344"
        );
        assert_eq!(
            chat_key(Some(&FlexId("1292077344".into())), Some("private_channel")),
            "channel1292077344"
        );
        assert_eq!(
            chat_key(Some(&FlexId("5123456789".into())), Some("personal_chat")),
            "user5123456789"
        );
    }

    #[test]
    fn local_dates_in_a_zone() {
        let utc = local_date_ms("2020-11-12T12:54:07", None).unwrap();
        let paris = local_date_ms("2020-11-12T13:54:07", Some(chrono_tz::Europe::Paris)).unwrap();
        assert_eq!(utc, paris);
        assert_eq!(utc, 1_605_185_647_000);
        // 02:30 on the day clocks go forward in Paris does not exist.
        assert!(local_date_ms("2021-03-28T02:30:00", Some(chrono_tz::Europe::Paris)).is_none());
    }

    /// The layouts read once give what chrono's `parse_from_str` gives with either.
    #[test]
    fn local_dates_as_parse_from_str_reads_them() {
        for date in [
            "2020-11-12T12:54:07",
            "2020-11-12 12:54:07",
            "2020-1-2T3:4:5",
            "2020-11-12T12:54",
            "2020-11-12T12:54:07Z",
            "2020-02-30T00:00:00",
            "+12020-11-12T12:54:07",
            "12/11/2020 12:54:07",
            "",
        ] {
            let chrono = chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S"))
                .ok();
            assert_eq!(
                super::super::text::parse_local_seconds(date),
                chrono,
                "{date}"
            );
        }
    }
}
