//! Mastodon API statuses (and Pleroma, Akkoma, GoToSocial... which speak the same API):
//! arrays of statuses (home, public, tag, account timelines), single statuses, search
//! results `{"statuses": [...]}`, or one status (or one page) a line.
//!
//! - Ids are strings (4.x) or integers (1.x), kept as their decimal text. Status and
//!   account ids are those of the instance the data came from: do not mix exports of
//!   different instances expecting them to match.
//! - `content` is HTML: paragraphs and `<br>` become line breaks, tags are stripped,
//!   entities decoded; links are the URLs in the text (Mastodon hides part of a long link
//!   in `invisible` spans, which the text keeps whole) and the preview card's.
//! - `reblog` makes a repost (kind `retweet`) by the reblogger, whose parent columns name
//!   the nested status; its text, tags and mentions are the original's. The original is
//!   not a row of its own.
//! - `quote.quoted_status` (4.4+) makes a quote; `in_reply_to_id` a reply (parent author
//!   `in_reply_to_account_id`).
//! - Hashtags from `tags[].name`, mentions from `mentions[].acct`; `application.name` is
//!   the client.
//! - Accounts: `acct` as the handle, `display_name`, `created_at`, `followers_count`,
//!   `following_count` (as friends), `statuses_count`, `note` (HTML → text) as the
//!   description, and the account's own `bot` flag.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{
    FlexId, JsonDocument, JsonStr, MAX_NESTING, NESTING_TOO_DEEP, from_record, items_before_break,
    nesting_exceeds, skip_json_error,
};
use super::record::{AccountOffers, AccountRecord, Collector, MASTODON, PostKind, PostRecord};
use super::text::{html_to_text, normalise_hashtag, parse_iso_time, urls_in_text};

type Text<'a> = Option<JsonStr<'a>>;

#[derive(Deserialize)]
struct Status<'a> {
    id: Option<FlexId>,
    #[serde(borrow)]
    created_at: Text<'a>,
    in_reply_to_id: Option<FlexId>,
    in_reply_to_account_id: Option<FlexId>,
    #[serde(borrow)]
    language: Text<'a>,
    #[serde(borrow)]
    content: Text<'a>,
    #[serde(borrow)]
    spoiler_text: Text<'a>,
    #[serde(borrow)]
    reblog: Option<Box<Status<'a>>>,
    #[serde(borrow)]
    quote: Option<Quote<'a>>,
    #[serde(borrow)]
    account: Option<Account<'a>>,
    #[serde(borrow)]
    tags: Option<Vec<Tag<'a>>>,
    #[serde(borrow)]
    mentions: Option<Vec<Mention<'a>>>,
    #[serde(borrow)]
    application: Option<Application<'a>>,
    #[serde(borrow)]
    card: Option<Card<'a>>,
    reblogs_count: Option<i64>,
    favourites_count: Option<i64>,
    /// A search result written on one line: its statuses are the records.
    #[serde(borrow)]
    statuses: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Quote<'a> {
    #[serde(borrow)]
    quoted_status: Option<Box<Status<'a>>>,
    quoted_status_id: Option<FlexId>,
}

#[derive(Deserialize)]
struct Account<'a> {
    id: Option<FlexId>,
    #[serde(borrow)]
    acct: Text<'a>,
    #[serde(borrow)]
    username: Text<'a>,
    #[serde(borrow)]
    display_name: Text<'a>,
    #[serde(borrow)]
    created_at: Text<'a>,
    followers_count: Option<i64>,
    following_count: Option<i64>,
    statuses_count: Option<i64>,
    bot: Option<bool>,
    #[serde(borrow)]
    note: Text<'a>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize)]
struct Mention<'a> {
    #[serde(borrow)]
    acct: Text<'a>,
    #[serde(borrow)]
    username: Text<'a>,
}

#[derive(Deserialize)]
struct Application<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize)]
struct Card<'a> {
    #[serde(borrow)]
    url: Text<'a>,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn id_text(id: &Option<FlexId>) -> Option<String> {
    id.as_ref().and_then(FlexId::text).map(str::to_string)
}

/// Plain text of Mastodon's status HTML: paragraphs separated by a blank line.
pub fn status_text(html: &str) -> String {
    let spaced = html.replace("</p><p>", "</p>\n\n<p>");
    html_to_text(&spaced).trim().to_string()
}

impl Account<'_> {
    fn offer(&self, offers: &mut AccountOffers<'_>) {
        let Some(id) = self.id.as_ref().and_then(FlexId::text) else {
            return;
        };
        offers.offer(MASTODON, id, false, || AccountRecord {
            platform: MASTODON,
            account_id: id.to_string(),
            handle: self.handle(),
            display_name: owned(&self.display_name),
            account_created_at_ms: self.created_at.as_deref().and_then(parse_iso_time),
            followers: self.followers_count,
            friends: self.following_count,
            statuses_count: self.statuses_count,
            description: self
                .note
                .as_deref()
                .map(status_text)
                .filter(|s| !s.is_empty()),
            bot: self.bot,
            ..AccountRecord::default()
        });
    }

    fn handle(&self) -> Option<String> {
        owned(&self.acct).or_else(|| owned(&self.username))
    }
}

impl Status<'_> {
    fn author_id(&self) -> Option<String> {
        self.account.as_ref().and_then(|a| id_text(&a.id))
    }

    fn created_at_ms(&self) -> Option<i64> {
        self.created_at.as_deref().and_then(parse_iso_time)
    }
}

/// Text, hashtags, URLs, mentions and language of a status.
fn fill_content(post: &mut PostRecord, status: &Status<'_>) {
    let mut text = status
        .content
        .as_deref()
        .map(status_text)
        .unwrap_or_default();
    if let Some(spoiler) = status.spoiler_text.as_deref().filter(|s| !s.is_empty()) {
        text = if text.is_empty() {
            spoiler.to_string()
        } else {
            format!("{spoiler}\n\n{text}")
        };
    }
    post.hashtags = status
        .tags
        .iter()
        .flatten()
        .filter_map(|t| t.name.as_deref())
        .map(normalise_hashtag)
        .filter(|t| !t.is_empty())
        .collect();
    post.mentions = status
        .mentions
        .iter()
        .flatten()
        .filter_map(|m| m.acct.as_deref().or(m.username.as_deref()))
        .map(str::to_lowercase)
        .collect();
    post.urls = urls_in_text(&text);
    if let Some(card) = status.card.as_ref().and_then(|c| owned(&c.url))
        && !post.urls.contains(&card)
    {
        post.urls.push(card);
    }
    post.lang = owned(&status.language);
    post.text = Some(text).filter(|t| !t.is_empty());
}

/// One status (or a line holding an array of statuses or a search result).
pub fn parse_line(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    parse_in(bytes, line, collector, false);
}

/// `in_page`: the status is an item of an array or search result on one line, whose items
/// are statuses and never pages again (one level only: no recursion on input).
fn parse_in(bytes: &[u8], line: u64, collector: &mut Collector<'_>, in_page: bool) {
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if start == Some(&b'[') {
        if in_page {
            return collector.skip(line, NESTING_TOO_DEEP, Some("an array inside a page"));
        }
        match from_record::<Vec<&RawValue>>(bytes) {
            Ok(items) => {
                for item in items {
                    parse_in(item.get().as_bytes(), line, collector, true);
                }
            }
            Err(error) => {
                if !nesting_exceeds(bytes, MAX_NESTING) {
                    for item in items_before_break(bytes, &[]) {
                        parse_in(item.get().as_bytes(), line, collector, true);
                    }
                }
                skip_json_error(bytes, line, &error, collector);
            }
        }
        return;
    }
    let status: Status = match from_record(bytes) {
        Ok(status) => status,
        Err(error) => {
            if !in_page && !nesting_exceeds(bytes, MAX_NESTING) {
                for item in items_before_break(bytes, &["statuses"]) {
                    parse_in(item.get().as_bytes(), line, collector, true);
                }
            }
            return skip_json_error(bytes, line, &error, collector);
        }
    };
    if let Some(statuses) = &status.statuses {
        if in_page {
            return collector.skip(line, NESTING_TOO_DEEP, Some("a page inside a page"));
        }
        for item in statuses {
            parse_in(item.get().as_bytes(), line, collector, true);
        }
        return;
    }
    handle_status(&status, line, collector);
}

fn handle_status(status: &Status<'_>, line: u64, collector: &mut Collector<'_>) {
    let Some(post_id) = id_text(&status.id) else {
        return collector.skip(line, "not a Mastodon status", Some("no id"));
    };
    let Some(created_at_ms) = status.created_at_ms() else {
        return collector.skip(
            line,
            "bad or missing created_at",
            status.created_at.as_deref(),
        );
    };
    let mut post = PostRecord::new(MASTODON, post_id, created_at_ms, PostKind::Original);
    post.author_id = status.author_id();
    post.author_handle = status.account.as_ref().and_then(Account::handle);
    post.source_app = status.application.as_ref().and_then(|a| owned(&a.name));
    let mut referenced: Option<&Status<'_>> = None;
    if let Some(original) = &status.reblog {
        post.kind = PostKind::Retweet;
        post.parent_post_id = id_text(&original.id);
        post.parent_author_id = original.author_id();
        post.parent_created_at_ms = original.created_at_ms();
        fill_content(&mut post, original);
        referenced = Some(original);
    } else {
        fill_content(&mut post, status);
        post.retweet_count = status.reblogs_count;
        post.like_count = status.favourites_count;
        let quoted = status.quote.as_ref().and_then(|q| {
            q.quoted_status
                .as_ref()
                .and_then(|s| id_text(&s.id))
                .or_else(|| id_text(&q.quoted_status_id))
        });
        if let Some(quoted_id) = quoted {
            post.kind = PostKind::Quote;
            post.parent_post_id = Some(quoted_id);
            if let Some(quoted) = status
                .quote
                .as_ref()
                .and_then(|q| q.quoted_status.as_deref())
            {
                post.parent_author_id = quoted.author_id();
                post.parent_created_at_ms = quoted.created_at_ms();
                referenced = Some(quoted);
            }
        } else if let Some(reply_to) = id_text(&status.in_reply_to_id) {
            post.kind = PostKind::Reply;
            post.parent_post_id = Some(reply_to);
            post.parent_author_id = id_text(&status.in_reply_to_account_id);
        }
    }
    collector.post_with(post, line, |offers| {
        for account in status
            .account
            .iter()
            .chain(referenced.and_then(|r| r.account.as_ref()))
        {
            account.offer(offers);
        }
    });
}

/// A document: an array of statuses, a search result, or one status.
pub fn parse_document(document: &JsonDocument, collector: &mut Collector<'_>) {
    let (items, error) = document.items(&["statuses"]);
    for (item, line) in items {
        parse_in(item.get().as_bytes(), line, collector, true);
    }
    if let Some(error) = error {
        skip_json_error(&document.bytes, error.line() as u64, &error, collector);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_hidden_link_parts() {
        let html = "<p>Hello <a href=\"https://example.com/a/long/path\" rel=\"nofollow\"><span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a/lo</span><span class=\"invisible\">ng/path</span></a></p><p>second &amp; last</p>";
        let text = status_text(html);
        assert_eq!(
            text,
            "Hello https://example.com/a/long/path\n\nsecond & last"
        );
        assert_eq!(urls_in_text(&text), vec!["https://example.com/a/long/path"]);
    }
}
