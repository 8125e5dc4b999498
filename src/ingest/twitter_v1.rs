//! Twitter API v1.1 status objects: JSONL (twarc 1, streaming output with notices), JSON
//! arrays and search responses. Parsed into borrowed, typed structs that name only the
//! fields tagscope uses; serde skips the rest without building values.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::json::{
    JsonDocument, JsonStr, MAX_NESTING, NESTING_TOO_DEEP, from_record, items_before_break,
    nesting_exceeds, skip_json_error,
};
use super::record::{AccountOffers, AccountRecord, Collector, PostKind, PostRecord, TWITTER};
use super::text::{client_name, normalise_hashtag, parse_twitter_v1_time};

type Text<'a> = Option<JsonStr<'a>>;

#[derive(Deserialize)]
struct Status<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    id_str: Text<'a>,
    #[serde(borrow)]
    created_at: Text<'a>,
    #[serde(borrow)]
    full_text: Text<'a>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    extended_tweet: Option<ExtendedTweet<'a>>,
    #[serde(borrow)]
    user: Option<User<'a>>,
    #[serde(borrow)]
    retweeted_status: Option<Box<Status<'a>>>,
    #[serde(borrow)]
    quoted_status: Option<Box<Status<'a>>>,
    #[serde(borrow)]
    quoted_status_id_str: Text<'a>,
    #[serde(borrow)]
    in_reply_to_status_id_str: Text<'a>,
    in_reply_to_status_id: Option<u64>,
    #[serde(borrow)]
    in_reply_to_user_id_str: Text<'a>,
    in_reply_to_user_id: Option<u64>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
    #[serde(borrow)]
    lang: Text<'a>,
    /// Raw JSON: client names repeat, so they are decoded once per parse piece.
    #[serde(borrow)]
    source: Option<&'a RawValue>,
    retweet_count: Option<i64>,
    favorite_count: Option<i64>,
    /// A search response written on one line: its statuses are the records.
    #[serde(borrow)]
    statuses: Option<Vec<&'a serde_json::value::RawValue>>,
    // Streaming notices carry one of these instead of a status.
    delete: Option<IgnoredAny>,
    limit: Option<IgnoredAny>,
    scrub_geo: Option<IgnoredAny>,
    status_withheld: Option<IgnoredAny>,
    user_withheld: Option<IgnoredAny>,
    disconnect: Option<IgnoredAny>,
    warning: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ExtendedTweet<'a> {
    #[serde(borrow)]
    full_text: Text<'a>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
}

#[derive(Deserialize, Default)]
struct Entities<'a> {
    #[serde(borrow, default)]
    hashtags: Option<Vec<Hashtag<'a>>>,
    #[serde(borrow, default)]
    urls: Option<Vec<Url<'a>>>,
    #[serde(borrow, default)]
    user_mentions: Option<Vec<Mention<'a>>>,
}

#[derive(Deserialize)]
struct Hashtag<'a> {
    #[serde(borrow)]
    text: Text<'a>,
}

#[derive(Deserialize)]
struct Url<'a> {
    #[serde(borrow)]
    expanded_url: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
}

#[derive(Deserialize)]
struct Mention<'a> {
    #[serde(borrow)]
    screen_name: Text<'a>,
}

#[derive(Deserialize)]
struct User<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    id_str: Text<'a>,
    #[serde(borrow)]
    screen_name: Text<'a>,
    /// Name, description and location stay raw JSON until a snapshot is built: most
    /// snapshots are older than one already held and are never built, and these strings
    /// are usually escaped (non-ASCII as \uXXXX), so decoding them would allocate.
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Text<'a>,
    followers_count: Option<i64>,
    friends_count: Option<i64>,
    statuses_count: Option<i64>,
    favourites_count: Option<i64>,
    listed_count: Option<i64>,
    verified: Option<bool>,
    default_profile: Option<bool>,
    default_profile_image: Option<bool>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    location: Option<&'a RawValue>,
}

/// A raw JSON string value decoded; null, empty or not a string: `None`.
fn raw_text(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
        .filter(|s| !s.is_empty())
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Status<'_> {
    fn notice(&self) -> Option<&'static str> {
        if self.delete.is_some() {
            Some("delete notice")
        } else if self.limit.is_some() {
            Some("limit notice")
        } else if self.scrub_geo.is_some()
            || self.status_withheld.is_some()
            || self.user_withheld.is_some()
            || self.disconnect.is_some()
            || self.warning.is_some()
        {
            Some("stream notice")
        } else {
            None
        }
    }

    fn post_id(&self) -> Option<String> {
        owned(&self.id_str).or_else(|| self.id.map(|id| id.to_string()))
    }

    fn created_at_ms(&self) -> Option<i64> {
        self.created_at.as_deref().and_then(parse_twitter_v1_time)
    }

    fn full_text(&self) -> Option<&str> {
        self.extended_tweet
            .as_ref()
            .and_then(|e| e.full_text.as_deref())
            .or(self.full_text.as_deref())
            .or(self.text.as_deref())
    }

    /// The complete entities: a 280-character streaming tweet keeps them in
    /// `extended_tweet`, the top-level ones cover only the truncated text.
    fn entities(&self) -> Option<&Entities<'_>> {
        self.extended_tweet
            .as_ref()
            .and_then(|e| e.entities.as_ref())
            .or(self.entities.as_ref())
    }

    fn author_id(&self) -> Option<String> {
        self.user.as_ref().and_then(User::account_id)
    }

    fn author_handle(&self) -> Option<String> {
        self.user.as_ref().and_then(|u| owned(&u.screen_name))
    }
}

impl User<'_> {
    fn account_id(&self) -> Option<String> {
        owned(&self.id_str).or_else(|| self.id.map(|id| id.to_string()))
    }

    /// Offers this profile as a snapshot of its account.
    fn offer(&self, offers: &mut AccountOffers<'_>) {
        match self.id_str.as_deref() {
            Some(id) if !id.is_empty() => {
                offers.offer(TWITTER, id, true, || self.to_account(id.to_string()))
            }
            _ => {
                if let Some(id) = self.id {
                    let id = id.to_string();
                    offers.offer(TWITTER, &id, true, || self.to_account(id.clone()));
                }
            }
        }
    }

    fn to_account(&self, account_id: String) -> AccountRecord {
        AccountRecord {
            platform: TWITTER,
            account_id,
            handle: owned(&self.screen_name),
            display_name: raw_text(self.name),
            account_created_at_ms: self.created_at.as_deref().and_then(parse_twitter_v1_time),
            followers: self.followers_count,
            friends: self.friends_count,
            statuses_count: self.statuses_count,
            favourites_count: self.favourites_count,
            listed_count: self.listed_count,
            verified: self.verified,
            default_profile: self.default_profile,
            default_profile_image: self.default_profile_image,
            description: raw_text(self.description),
            location: raw_text(self.location),
            ..AccountRecord::default()
        }
    }
}

fn fill_entities(post: &mut PostRecord, entities: Option<&Entities<'_>>) {
    let Some(entities) = entities else { return };
    if let Some(hashtags) = &entities.hashtags {
        post.hashtags = hashtags
            .iter()
            .filter_map(|h| h.text.as_deref())
            .map(normalise_hashtag)
            .collect();
    }
    if let Some(urls) = &entities.urls {
        post.urls = urls
            .iter()
            .filter_map(|u| u.expanded_url.as_deref().or(u.url.as_deref()))
            .map(str::to_string)
            .collect();
    }
    if let Some(mentions) = &entities.user_mentions {
        post.mentions = mentions
            .iter()
            .filter_map(|m| m.screen_name.as_deref())
            .map(str::to_lowercase)
            .collect();
    }
}

/// Parses one status and hands the post and the profiles it carries to the collector.
pub fn parse_status(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    parse_status_in(bytes, line, collector, false);
}

/// `in_response`: the status is an item of a search response (or of an array) on one
/// line, whose items are statuses and never responses again. Items were once read as
/// lines in their own right, so a line of 5,000 nested arrays recursed 5,000 times (each
/// level the items of the one before) and overflowed the stack: one level only now.
fn parse_status_in(bytes: &[u8], line: u64, collector: &mut Collector<'_>, in_response: bool) {
    let status: Status = match from_record(bytes) {
        Ok(status) => status,
        Err(error) => {
            // A search response written on one line and cut short keeps its complete
            // statuses (for a single tweet this finds nothing). Not for a record nested
            // too deep to read: that is one skipped record.
            if !in_response && !nesting_exceeds(bytes, MAX_NESTING) {
                for item in items_before_break(bytes, &["statuses"]) {
                    parse_status_in(item.get().as_bytes(), line, collector, true);
                }
            }
            return skip_json_error(bytes, line, &error, collector);
        }
    };
    handle_status(status, line, collector, in_response);
}

fn handle_status(status: Status<'_>, line: u64, collector: &mut Collector<'_>, in_response: bool) {
    if let Some(statuses) = &status.statuses {
        if in_response {
            return collector.skip(
                line,
                NESTING_TOO_DEEP,
                Some("a search response inside a search response"),
            );
        }
        for item in statuses {
            parse_status_in(item.get().as_bytes(), line, collector, true);
        }
        return;
    }
    if let Some(notice) = status.notice() {
        return collector.skip(line, notice, None);
    }
    let Some(post_id) = status.post_id() else {
        return collector.skip(line, "not a tweet", Some("no id or id_str"));
    };
    let Some(created_at_ms) = status.created_at_ms() else {
        return collector.skip(
            line,
            "bad or missing created_at",
            status.created_at.as_deref(),
        );
    };
    let mut post = PostRecord::new(TWITTER, post_id, created_at_ms, PostKind::Original);
    post.author_id = status.author_id();
    post.author_handle = status.author_handle();
    post.lang = owned(&status.lang);
    post.source_app = status.source.and_then(|raw| {
        collector.decoded_once(raw.get(), || {
            raw_text(Some(raw))
                .map(|html| client_name(&html))
                .filter(|s| !s.is_empty())
        })
    });

    if let Some(original) = &status.retweeted_status {
        // A retweet's own text is truncated ("RT @user: ..."): rebuild it from the original,
        // whose entities (hashtags, URLs, mentions) the retweet carries.
        post.kind = PostKind::Retweet;
        post.parent_post_id = original.post_id();
        post.parent_author_id = original.author_id();
        post.parent_created_at_ms = original.created_at_ms();
        post.text = match (original.author_handle(), original.full_text()) {
            (Some(handle), Some(text)) => Some(format!("RT @{handle}: {text}")),
            _ => status.full_text().map(str::to_string),
        };
        fill_entities(&mut post, original.entities());
    } else {
        post.text = status.full_text().map(str::to_string);
        fill_entities(&mut post, status.entities());
        post.retweet_count = status.retweet_count;
        post.like_count = status.favorite_count;
        let quoted_id = status
            .quoted_status
            .as_ref()
            .and_then(|q| q.post_id())
            .or_else(|| owned(&status.quoted_status_id_str));
        let reply_to = owned(&status.in_reply_to_status_id_str)
            .or_else(|| status.in_reply_to_status_id.map(|id| id.to_string()));
        if let Some(quoted_id) = quoted_id {
            post.kind = PostKind::Quote;
            post.parent_post_id = Some(quoted_id);
            if let Some(quoted) = &status.quoted_status {
                post.parent_author_id = quoted.author_id();
                post.parent_created_at_ms = quoted.created_at_ms();
            }
        } else if let Some(reply_to) = reply_to {
            post.kind = PostKind::Reply;
            post.parent_post_id = Some(reply_to);
            post.parent_author_id = owned(&status.in_reply_to_user_id_str)
                .or_else(|| status.in_reply_to_user_id.map(|id| id.to_string()));
        }
    }
    collector.post_with(post, line, |offers| {
        let referenced = status
            .retweeted_status
            .as_deref()
            .or(status.quoted_status.as_deref());
        for user in status
            .user
            .iter()
            .chain(referenced.and_then(|r| r.user.as_ref()))
        {
            user.offer(offers);
        }
    });
}

/// The whole-document shapes: a JSON array of statuses or a search response.
pub fn parse_document(document: &JsonDocument, collector: &mut Collector<'_>) {
    document.for_each_item(&["statuses"], collector, parse_status);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record::RecordFilter;

    fn collect(lines: &[&str]) -> Collector<'static> {
        let filter: &'static RecordFilter = Box::leak(Box::default());
        let mut collector = Collector::new(filter, 0, "test.jsonl");
        for (i, line) in lines.iter().enumerate() {
            parse_status(line.as_bytes(), i as u64 + 1, &mut collector);
        }
        collector
    }

    #[test]
    fn retweet_text_and_parent_come_from_the_original() {
        let line = r#"{"id_str":"2","created_at":"Fri May 05 19:00:00 +0000 2017","full_text":"RT @orig: short…","user":{"id_str":"20","screen_name":"amp1"},
            "entities":{"hashtags":[]},
            "retweeted_status":{"id_str":"1","created_at":"Fri May 05 18:49:12 +0000 2017","full_text":"Leak #MacronLeaks https:\/\/t.co\/x","user":{"id_str":"10","screen_name":"orig","followers_count":5},
              "entities":{"hashtags":[{"text":"MacronLeaks"}],"urls":[{"url":"https://t.co/x","expanded_url":"https://pastebin.com/abc"}],"user_mentions":[]}}}"#;
        let collector = collect(&[line]);
        assert_eq!(collector.counts.kept, 1);
        let df = collector.posts.into_dataframe().unwrap();
        let get = |c: &str| df.column(c).unwrap().get(0).unwrap().to_string();
        assert_eq!(get("kind"), "\"retweet\"");
        assert_eq!(get("parent_post_id"), "\"1\"");
        assert_eq!(get("parent_author_id"), "\"10\"");
        assert_eq!(
            get("text"),
            "\"RT @orig: Leak #MacronLeaks https://t.co/x\""
        );
        assert!(get("hashtags").contains("macronleaks"));
        assert!(get("urls").contains("pastebin.com/abc"));
        assert_eq!(collector.accounts.len(), 2);
    }

    #[test]
    fn notices_and_bad_lines_are_counted_not_lost() {
        let collector = collect(&[
            r#"{"delete":{"status":{"id":1}}}"#,
            r#"{"limit":{"track":5}}"#,
            r#"{"id_str":"3","created_at":"Fri May 05 19:00:00 +0000 20"#,
            r#"{"id_str":"4","created_at":12}"#,
            r#"{"id_str":"5","created_at":"yesterday"}"#,
            r#"{"id_str":"6","created_at":"Fri May 05 19:00:00 +0000 2017","text":"ok","in_reply_to_status_id_str":"5","in_reply_to_user_id_str":"9","user":{"id_str":"7"}}"#,
        ]);
        let counts = &collector.counts;
        assert_eq!(counts.records, 6);
        assert_eq!(counts.kept, 1);
        assert_eq!(counts.skipped(), 5);
        assert_eq!(counts.skipped_by_reason["delete notice"], 1);
        assert_eq!(counts.skipped_by_reason["limit notice"], 1);
        assert_eq!(counts.skipped_by_reason["truncated JSON"], 1);
        assert_eq!(counts.skipped_by_reason["wrong field type"], 1);
        assert_eq!(counts.skipped_by_reason["bad or missing created_at"], 1);
        assert_eq!(counts.skip_examples[2].line, 3);
    }
}
