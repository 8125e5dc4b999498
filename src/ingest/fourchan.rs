//! 4chan: API thread JSON `{"posts": [...]}` (also inside a scraper's wrapper keys) and
//! /pol/ NDJSON dumps, one thread a line (Papasavva et al., ICWSM 2020 layout).
//!
//! Time comes from `time` (Unix UTC); `now` is US Eastern local time and is ignored.
//! Comment HTML is turned into text; `>>123` quotelinks become reply parents; a reply
//! without one replies to the thread opener. Posters are anonymous: the author key is
//! `board/trip/TRIPCODE` where a tripcode exists (it identifies a poster across threads),
//! else `board/THREAD/POSTER-ID` (the poster id is per thread), else the post itself.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{JsonDocument, JsonStr, from_record, skip_json_error};
use super::record::{AccountRecord, Collector, FOURCHAN, PostKind, PostRecord};
use super::text::{hashtags_in_text, html_to_text, urls_in_text};

type Text<'a> = Option<JsonStr<'a>>;

/// Board codes of 4chan, to recognise a board in a file's path when the content does not
/// name it (the API's thread JSON does not).
const BOARDS: &[&str] = &[
    "3", "a", "aco", "adv", "an", "b", "bant", "biz", "c", "cgl", "ck", "cm", "co", "d", "diy",
    "e", "f", "fa", "fit", "g", "gd", "gif", "h", "hc", "his", "hm", "hr", "i", "ic", "int", "jp",
    "k", "lgbt", "lit", "m", "mlp", "mu", "n", "news", "o", "out", "p", "po", "pol", "pw", "qa",
    "qst", "r", "r9k", "s", "s4s", "sci", "soc", "sp", "t", "tg", "toy", "trash", "trv", "tv", "u",
    "v", "vg", "vip", "vm", "vmg", "vp", "vr", "vrpg", "vst", "vt", "w", "wg", "wsg", "wsr", "x",
    "xs", "y",
];

/// The board a file holds, read from its path: a folder named after a board
/// (`pol/thread/123.json`, as the API's URLs) or a file name starting `board_`.
pub fn board_from_path(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().to_string();
    for part in stem.split(['_', '-', '.']) {
        if BOARDS.contains(&part) && part.len() > 1 {
            return Some(part.to_string());
        }
    }
    path.parent()?
        .components()
        .rev()
        .take(3)
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .find(|name| BOARDS.contains(&name.as_str()))
}

#[derive(Deserialize)]
struct Thread<'a> {
    #[serde(borrow, default)]
    posts: Vec<&'a RawValue>,
    #[serde(borrow)]
    board: Text<'a>,
    #[serde(borrow)]
    board_code: Text<'a>,
}

#[derive(Deserialize)]
struct Wrapper<'a> {
    #[serde(borrow)]
    board: Text<'a>,
    #[serde(borrow)]
    board_code: Text<'a>,
}

#[derive(Deserialize)]
struct Post<'a> {
    no: Option<u64>,
    resto: Option<u64>,
    time: Option<i64>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    trip: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    extracted_poster_id: Text<'a>,
    #[serde(borrow)]
    country: Text<'a>,
    #[serde(borrow)]
    country_name: Text<'a>,
    #[serde(borrow)]
    sub: Text<'a>,
    #[serde(borrow)]
    com: Text<'a>,
    #[serde(borrow)]
    board: Text<'a>,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Post numbers quoted with `>>123` (not `>>>/board/123`, which points elsewhere).
pub fn quotelinks(text: &str) -> Vec<u64> {
    let bytes = text.as_bytes();
    let mut links = Vec::new();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b'>' && bytes[i + 1] == b'>' && (i == 0 || bytes[i - 1] != b'>') {
            let digits_start = i + 2;
            let mut end = digits_start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end > digits_start
                && let Ok(number) = text[digits_start..end].parse()
            {
                links.push(number);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    links
}

/// One post (an item of a large array of posts streamed item by item).
pub fn parse_post(bytes: &[u8], line: u64, board: &str, collector: &mut Collector<'_>) {
    handle_post(bytes, line, board, collector);
}

fn handle_post(bytes: &[u8], line: u64, board: &str, collector: &mut Collector<'_>) {
    let post: Post = match from_record(bytes) {
        Ok(post) => post,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    let Some(no) = post.no else {
        return collector.skip(line, "not a 4chan post", Some("no `no`"));
    };
    let Some(time) = post.time else {
        return collector.skip(line, "bad or missing created_at", Some("no `time`"));
    };
    // Unix seconds to ms; a time beyond the range of ms since 1970 is not a time.
    let Some(time_ms) = time.checked_mul(1000) else {
        let detail = format!("`time` {time} out of range");
        return collector.skip(line, "bad or missing created_at", Some(&detail));
    };
    let board = post.board.as_deref().unwrap_or(board);
    let resto = post.resto.unwrap_or(0);
    let thread_no = if resto == 0 { no } else { resto };
    let kind = if resto == 0 {
        PostKind::Thread
    } else {
        PostKind::Reply
    };
    let mut post_record = PostRecord::new(FOURCHAN, format!("{board}/{no}"), time_ms, kind);

    let comment = post.com.as_deref().map(html_to_text).unwrap_or_default();
    let text = match post
        .sub
        .as_deref()
        .map(html_to_text)
        .filter(|s| !s.is_empty())
    {
        Some(subject) if comment.is_empty() => subject,
        Some(subject) => format!("{subject}\n{comment}"),
        None => comment,
    };
    let poster_id = owned(&post.id).or_else(|| owned(&post.extracted_poster_id));
    let trip = owned(&post.trip);
    let author_id = match (&trip, &poster_id) {
        (Some(trip), _) => format!("{board}/trip/{trip}"),
        (None, Some(poster)) => format!("{board}/{thread_no}/{poster}"),
        (None, None) => format!("{board}/{no}"),
    };
    if kind == PostKind::Reply {
        let parent = quotelinks(&text)
            .into_iter()
            .find(|&n| n != no)
            .unwrap_or(thread_no);
        post_record.parent_post_id = Some(format!("{board}/{parent}"));
    }
    post_record.author_id = Some(author_id.clone());
    post_record.author_handle = trip
        .clone()
        .or(poster_id.clone())
        .or_else(|| owned(&post.name));
    post_record.hashtags = hashtags_in_text(&text);
    post_record.urls = urls_in_text(&text);
    post_record.thread_id = Some(format!("{board}/{thread_no}"));
    post_record.board = Some(board.to_string());
    post_record.country = owned(&post.country);
    post_record.text = Some(text);
    let account = AccountRecord {
        platform: FOURCHAN,
        account_id: author_id,
        handle: post_record.author_handle.clone(),
        display_name: owned(&post.name),
        location: owned(&post.country_name),
        ..AccountRecord::default()
    };
    collector.post(post_record, line, vec![account]);
}

fn thread_board(board: &Text<'_>, board_code: &Text<'_>, fallback: &str) -> String {
    owned(board)
        .or_else(|| owned(board_code))
        .unwrap_or_else(|| fallback.to_string())
}

/// One line of an NDJSON dump: a whole thread. Each post is a record.
pub fn parse_thread_line(
    bytes: &[u8],
    line: u64,
    default_board: &str,
    collector: &mut Collector<'_>,
) {
    let thread: Thread = match from_record(bytes) {
        Ok(thread) => thread,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    if thread.posts.is_empty() {
        return collector.skip(line, "not a 4chan thread", Some("no posts"));
    }
    let board = thread_board(&thread.board, &thread.board_code, default_board);
    for post in thread.posts {
        handle_post(post.get().as_bytes(), line, &board, collector);
    }
}

/// A thread file (pretty-printed API JSON): every post with the line it starts on.
pub fn parse_document(document: &JsonDocument, default_board: &str, collector: &mut Collector<'_>) {
    // A broken thread file names no board we can read: its posts before the break still
    // count, under the default board.
    let board = match serde_json::from_slice::<Wrapper>(&document.bytes) {
        Ok(wrapper) => thread_board(&wrapper.board, &wrapper.board_code, default_board),
        // Valid JSON of the wrong shape: not a thread.
        Err(error) if error.classify() == serde_json::error::Category::Data => {
            return skip_json_error(&document.bytes, error.line() as u64, &error, collector);
        }
        Err(_) => default_board.to_string(),
    };
    let (items, error) = document.items(&["posts"]);
    for (item, line) in items {
        handle_post(item.get().as_bytes(), line, &board, collector);
    }
    if let Some(error) = error {
        skip_json_error(&document.bytes, error.line() as u64, &error, collector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotelinks_found() {
        assert_eq!(
            quotelinks(">>123\nyes >>456 and >>>/pol/789"),
            vec![123, 456]
        );
        assert!(quotelinks(">implying").is_empty());
    }

    #[test]
    fn board_from_paths() {
        use std::path::Path;
        assert_eq!(
            board_from_path(Path::new("data/pol/thread/123.json")).as_deref(),
            Some("pol")
        );
        assert_eq!(
            board_from_path(Path::new("x/pol_123.json")).as_deref(),
            Some("pol")
        );
        assert_eq!(
            board_from_path(Path::new("fixtures/thread_c_4356869.json")).as_deref(),
            None
        );
        assert_eq!(board_from_path(Path::new("dump/threads.ndjson")), None);
    }
}
