//! Reddit dumps: Pushshift / Arctic Shift NDJSON of comments (`RC_*`) and submissions
//! (`RS_*`), plain or compressed (`.zst` written with a long window: see
//! [`super::source::open_decompressed`]); also a JSON array of such items.
//!
//! - Post ids are fullnames: `t3_ID` for submissions, `t1_ID` for comments, so that a
//!   comment's `parent_id` (`t3_…` the submission, `t1_…` a comment) names its parent.
//! - Submissions are kind `thread` (as 4chan's openers), comments `reply`; a crosspost
//!   (`crosspost_parent`) is a repost (kind `retweet`) of the crossposted submission.
//! - `subreddit` is the `board`; `thread_id` the submission (`link_id` of a comment).
//! - Authors are usernames (`author`), stable across dumps (`author_fullname` is missing in
//!   older ones). `[deleted]` and `[removed]` authors (and a missing author) are not one
//!   account: such posts have a null `author_id` (the handle says `[deleted]`), so they
//!   count in timelines but never as an account, in scores or in coordination.
//! - Text: a submission's title and self text (`[deleted]`/`[removed]` bodies dropped), a
//!   comment's body, with HTML entities decoded (dumps escape `&`, `<`, `>`). URLs are
//!   links in the text (also inside Markdown `[text](url)`) and a link submission's `url`;
//!   hashtags from the text (as 4chan); mentions are `u/name`.
//! - `created_utc` as an integer, a float or a string of one.

use serde::Deserialize;

use super::json::{FlexId, FlexNumber, JsonDocument, JsonStr, from_record, skip_json_error};
use super::record::{AccountRecord, Collector, PostKind, PostRecord, REDDIT};
use super::text::hashtags_in_text;

type Text<'a> = Option<JsonStr<'a>>;

#[derive(Deserialize)]
struct Item<'a> {
    id: Option<FlexId>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    author: Text<'a>,
    author_created_utc: Option<FlexNumber>,
    created_utc: Option<FlexNumber>,
    #[serde(borrow)]
    subreddit: Text<'a>,
    #[serde(borrow)]
    body: Text<'a>,
    #[serde(borrow)]
    title: Text<'a>,
    #[serde(borrow)]
    selftext: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    is_self: Option<bool>,
    #[serde(borrow)]
    link_id: Text<'a>,
    #[serde(borrow)]
    parent_id: Text<'a>,
    #[serde(borrow)]
    crosspost_parent: Text<'a>,
    #[serde(borrow)]
    lang: Text<'a>,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Whether an author or body is a placeholder for deleted content.
fn is_placeholder(value: &str) -> bool {
    matches!(value.trim(), "[deleted]" | "[removed]" | "")
}

/// URLs in Reddit Markdown: every `http://` or `https://` up to white space or a closing
/// bracket, trailing punctuation removed.
pub fn urls_in_markdown(text: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("http") {
        let candidate = &rest[start..];
        let is_url = candidate.starts_with("http://") || candidate.starts_with("https://");
        let boundary = start == 0 || {
            let before = rest[..start].chars().next_back().unwrap_or(' ');
            !before.is_alphanumeric()
        };
        if !(is_url && boundary) {
            rest = &rest[start + 4..];
            continue;
        }
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '<' | '>' | '"' | '|'))
            .unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*']);
        if url.len() > "https://".len() && !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
        }
        rest = &candidate[end..];
    }
    urls
}

/// `u/name` and `/u/name` mentions, lower case.
fn mentions_in(text: &str) -> Vec<String> {
    let mut mentions = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text[i..].find("u/") {
        let at = i + found;
        let boundary = |pos: usize| {
            pos == 0 || {
                let b = bytes[pos - 1];
                b.is_ascii_whitespace() || matches!(b, b'(' | b'[')
            }
        };
        let starts_word = boundary(at) || (at >= 1 && bytes[at - 1] == b'/' && boundary(at - 1));
        let name_start = at + 2;
        let mut end = name_start;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'_' | b'-'))
        {
            end += 1;
        }
        if starts_word && end - name_start >= 3 {
            let name = text[name_start..end].to_lowercase();
            if !mentions.contains(&name) {
                mentions.push(name);
            }
        }
        i = end.max(at + 2);
    }
    mentions
}

fn decode(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

fn handle_item(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    let item: Item = match from_record(bytes) {
        Ok(item) => item,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    let is_comment = item.body.is_some() || item.parent_id.is_some() || item.link_id.is_some();
    let is_submission = item.title.is_some() && !is_comment;
    if !is_comment && !is_submission {
        return collector.skip(line, "not a Reddit item", Some("neither body nor title"));
    }
    let prefix = if is_comment { "t1_" } else { "t3_" };
    let id = item
        .name
        .as_deref()
        .filter(|n| n.starts_with(prefix) && n.len() > 3)
        .map(str::to_string)
        .or_else(|| {
            item.id
                .as_ref()
                .and_then(FlexId::text)
                .map(|id| format!("{prefix}{}", id.strip_prefix(prefix).unwrap_or(id)))
        });
    let Some(post_id) = id else {
        return collector.skip(line, "not a Reddit item", Some("no id"));
    };
    let Some(created_at_ms) = item.created_utc.and_then(FlexNumber::seconds_to_ms) else {
        return collector.skip(line, "bad or missing created_at", Some("created_utc"));
    };
    let kind = if is_comment {
        PostKind::Reply
    } else {
        PostKind::Thread
    };
    let mut post = PostRecord::new(REDDIT, post_id, created_at_ms, kind);
    let author = item.author.as_deref().filter(|a| !is_placeholder(a));
    post.author_id = author.map(str::to_string);
    post.author_handle = author
        .map(str::to_string)
        .or_else(|| item.author.as_deref().map(|_| "[deleted]".to_string()));
    post.board = owned(&item.subreddit);
    post.lang = owned(&item.lang);
    let text = if is_comment {
        item.body
            .as_deref()
            .filter(|b| !is_placeholder(b))
            .map(decode)
            .unwrap_or_default()
    } else {
        let title = item.title.as_deref().map(decode).unwrap_or_default();
        match item.selftext.as_deref().filter(|b| !is_placeholder(b)) {
            Some(body) => format!("{title}\n{}", decode(body)),
            None => title,
        }
    };
    post.hashtags = hashtags_in_text(&text);
    post.urls = urls_in_markdown(&text);
    post.mentions = mentions_in(&text);
    if is_comment {
        post.thread_id = owned(&item.link_id);
        post.parent_post_id = owned(&item.parent_id).or_else(|| owned(&item.link_id));
    } else {
        post.thread_id = Some(post.post_id.clone());
        if item.is_self != Some(true)
            && let Some(url) = item
                .url
                .as_deref()
                .map(decode)
                .filter(|u| u.starts_with("http"))
            && !post.urls.contains(&url)
        {
            post.urls.insert(0, url);
        }
        if let Some(parent) = owned(&item.crosspost_parent) {
            post.kind = PostKind::Retweet;
            post.parent_post_id = Some(parent);
        }
    }
    post.text = Some(text).filter(|t| !t.is_empty());
    let accounts = match author {
        Some(author) => vec![AccountRecord {
            platform: REDDIT,
            account_id: author.to_string(),
            handle: Some(author.to_string()),
            account_created_at_ms: item.author_created_utc.and_then(FlexNumber::seconds_to_ms),
            ..AccountRecord::default()
        }],
        None => Vec::new(),
    };
    collector.post(post, line, accounts);
}

/// One NDJSON line: a comment or a submission.
pub fn parse_line(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    handle_item(bytes, line, collector);
}

/// A JSON array of comments or submissions (or one of them).
pub fn parse_document(document: &JsonDocument, collector: &mut Collector<'_>) {
    document.for_each_item(&[], collector, parse_line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_links_and_mentions() {
        assert_eq!(
            urls_in_markdown(
                "see [the paste](https://pastebin.com/abc) and https://x.org/a. nohttp://y"
            ),
            vec!["https://pastebin.com/abc", "https://x.org/a"]
        );
        assert_eq!(
            mentions_in("thanks u/Alice_1 and /u/bob-2, not you/there or u/ab"),
            vec!["alice_1", "bob-2"]
        );
    }
}
