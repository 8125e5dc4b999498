//! Twitter API v2 as twarc2 writes it: response pages `{"data", "includes", "__twarc"}`
//! (referenced tweets and authors resolved through `includes`), filtered-stream lines with
//! one tweet in `data`, and twarc2's flattened lines (one tweet with `author` and the
//! referenced tweets inlined).

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::json::{JsonDocument, JsonStr, from_record, skip_json_error};
use super::record::{AccountOffers, AccountRecord, Collector, PostKind, PostRecord, TWITTER};
use super::text::{normalise_hashtag, parse_iso_time};

type Text<'a> = Option<JsonStr<'a>>;

#[derive(Deserialize)]
pub(super) struct Tweet<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    created_at: Text<'a>,
    #[serde(borrow)]
    author_id: Text<'a>,
    #[serde(borrow)]
    conversation_id: Text<'a>,
    #[serde(borrow)]
    in_reply_to_user_id: Text<'a>,
    #[serde(borrow)]
    lang: Text<'a>,
    #[serde(borrow)]
    source: Text<'a>,
    /// Set on the entries of `referenced_tweets`: retweeted, quoted or replied_to.
    #[serde(borrow, rename = "type")]
    reference_type: Text<'a>,
    public_metrics: Option<TweetMetrics>,
    #[serde(borrow)]
    entities: Option<Entities<'a>>,
    #[serde(borrow)]
    referenced_tweets: Option<Vec<Tweet<'a>>>,
    /// Inlined by twarc2's flattening.
    #[serde(borrow)]
    author: Option<User<'a>>,
}

#[derive(Deserialize)]
struct TweetMetrics {
    retweet_count: Option<i64>,
    like_count: Option<i64>,
}

#[derive(Deserialize)]
struct Entities<'a> {
    #[serde(borrow)]
    hashtags: Option<Vec<Tag<'a>>>,
    #[serde(borrow)]
    urls: Option<Vec<Url<'a>>>,
    #[serde(borrow)]
    mentions: Option<Vec<Mention<'a>>>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    tag: Text<'a>,
}

#[derive(Deserialize)]
struct Url<'a> {
    #[serde(borrow)]
    unwound_url: Text<'a>,
    #[serde(borrow)]
    expanded_url: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
}

#[derive(Deserialize)]
struct Mention<'a> {
    #[serde(borrow)]
    username: Text<'a>,
}

#[derive(Deserialize)]
pub(super) struct User<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    username: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    created_at: Text<'a>,
    #[serde(borrow)]
    description: Text<'a>,
    #[serde(borrow)]
    location: Text<'a>,
    verified: Option<bool>,
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize)]
struct UserMetrics {
    followers_count: Option<i64>,
    following_count: Option<i64>,
    tweet_count: Option<i64>,
    listed_count: Option<i64>,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    includes: Option<Includes<'a>>,
    errors: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct Includes<'a> {
    #[serde(borrow, default)]
    users: Vec<User<'a>>,
    #[serde(borrow, default)]
    tweets: Vec<Tweet<'a>>,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl User<'_> {
    /// v2 has no favourites count and no default-profile flags: they stay null
    /// (unavailable), never zero.
    fn offer(&self, offers: &mut AccountOffers<'_>) {
        if let Some(id) = self.id.as_deref().filter(|id| !id.is_empty()) {
            offers.offer(TWITTER, id, false, || self.to_account(id.to_string()));
        }
    }

    fn to_account(&self, account_id: String) -> AccountRecord {
        let metrics = self.public_metrics.as_ref();
        AccountRecord {
            platform: TWITTER,
            account_id,
            handle: owned(&self.username),
            display_name: owned(&self.name),
            account_created_at_ms: self.created_at.as_deref().and_then(parse_iso_time),
            followers: metrics.and_then(|m| m.followers_count),
            friends: metrics.and_then(|m| m.following_count),
            statuses_count: metrics.and_then(|m| m.tweet_count),
            listed_count: metrics.and_then(|m| m.listed_count),
            verified: self.verified,
            description: owned(&self.description),
            location: owned(&self.location),
            ..AccountRecord::default()
        }
    }
}

/// Where referenced tweets and users are looked up: a page's `includes`, or nothing for
/// flattened lines, whose tweets carry them inline.
#[derive(Default)]
struct Lookup<'p, 'a> {
    tweets: HashMap<&'p str, &'p Tweet<'a>>,
    users: HashMap<&'p str, &'p User<'a>>,
}

impl<'p, 'a> Lookup<'p, 'a> {
    fn from_includes(includes: &'p Includes<'a>) -> Self {
        Lookup {
            tweets: includes
                .tweets
                .iter()
                .filter_map(|t| Some((t.id.as_deref()?, t)))
                .collect(),
            users: includes
                .users
                .iter()
                .filter_map(|u| Some((u.id.as_deref()?, u)))
                .collect(),
        }
    }

    /// A referenced tweet with its content: inline (flattened) or from `includes`.
    fn resolve<'t>(&self, reference: &'t Tweet<'a>) -> &'t Tweet<'a>
    where
        'p: 't,
    {
        if reference.created_at.is_some() || reference.text.is_some() {
            return reference;
        }
        reference
            .id
            .as_deref()
            .and_then(|id| self.tweets.get(id).copied())
            .unwrap_or(reference)
    }

    fn author<'t>(&self, tweet: &'t Tweet<'a>) -> Option<&'t User<'a>>
    where
        'p: 't,
    {
        tweet.author.as_ref().or_else(|| {
            tweet
                .author_id
                .as_deref()
                .and_then(|id| self.users.get(id).copied())
        })
    }
}

fn fill_entities(post: &mut PostRecord, entities: Option<&Entities<'_>>) {
    let Some(entities) = entities else { return };
    if let Some(tags) = &entities.hashtags {
        post.hashtags = tags
            .iter()
            .filter_map(|t| t.tag.as_deref())
            .map(normalise_hashtag)
            .collect();
    }
    if let Some(urls) = &entities.urls {
        post.urls = urls
            .iter()
            .filter_map(|u| {
                u.unwound_url
                    .as_deref()
                    .or(u.expanded_url.as_deref())
                    .or(u.url.as_deref())
            })
            .map(str::to_string)
            .collect();
    }
    if let Some(mentions) = &entities.mentions {
        post.mentions = mentions
            .iter()
            .filter_map(|m| m.username.as_deref())
            .map(str::to_lowercase)
            .collect();
    }
}

fn handle_tweet(
    tweet: &Tweet<'_>,
    lookup: &Lookup<'_, '_>,
    line: u64,
    collector: &mut Collector<'_>,
) {
    let Some(post_id) = owned(&tweet.id) else {
        return collector.skip(line, "not a tweet", Some("no id"));
    };
    let Some(created_at_ms) = tweet.created_at.as_deref().and_then(parse_iso_time) else {
        return collector.skip(
            line,
            "bad or missing created_at",
            tweet.created_at.as_deref(),
        );
    };
    let mut post = PostRecord::new(TWITTER, post_id, created_at_ms, PostKind::Original);
    let author = lookup.author(tweet);
    post.author_id = owned(&tweet.author_id).or_else(|| author.and_then(|a| owned(&a.id)));
    post.author_handle = author.and_then(|a| owned(&a.username));
    post.lang = owned(&tweet.lang);
    post.source_app = owned(&tweet.source);
    post.thread_id = owned(&tweet.conversation_id);

    let references = tweet.referenced_tweets.as_deref().unwrap_or_default();
    let find = |kind: &str| {
        references
            .iter()
            .find(|r| r.reference_type.as_deref() == Some(kind))
    };
    let (kind, reference) = if let Some(r) = find("retweeted") {
        (PostKind::Retweet, Some(r))
    } else if let Some(r) = find("quoted") {
        (PostKind::Quote, Some(r))
    } else if let Some(r) = find("replied_to") {
        (PostKind::Reply, Some(r))
    } else {
        (PostKind::Original, None)
    };
    post.kind = kind;
    let parent = reference.map(|r| lookup.resolve(r));
    let parent_author = parent.and_then(|p| lookup.author(p));
    if let (Some(reference), Some(parent)) = (reference, parent) {
        post.parent_post_id = owned(&reference.id);
        post.parent_author_id =
            owned(&parent.author_id).or_else(|| parent_author.and_then(|a| owned(&a.id)));
        post.parent_created_at_ms = parent.created_at.as_deref().and_then(parse_iso_time);
        if kind == PostKind::Retweet && parent.text.is_some() {
            // The retweet's own text is truncated: rebuild it from the original, whose
            // entities and metrics are the original's, not the retweet's.
            let handle = parent_author
                .and_then(|a| a.username.as_deref())
                .unwrap_or("?");
            post.text = Some(format!(
                "RT @{handle}: {}",
                parent.text.as_deref().unwrap_or_default()
            ));
            fill_entities(&mut post, parent.entities.as_ref());
        }
    }
    if kind == PostKind::Reply && post.parent_author_id.is_none() {
        post.parent_author_id = owned(&tweet.in_reply_to_user_id);
    }
    if post.text.is_none() {
        post.text = owned(&tweet.text);
        fill_entities(&mut post, tweet.entities.as_ref());
    }
    if kind != PostKind::Retweet {
        let metrics = tweet.public_metrics.as_ref();
        post.retweet_count = metrics.and_then(|m| m.retweet_count);
        post.like_count = metrics.and_then(|m| m.like_count);
    }
    collector.post_with(post, line, |offers| {
        for user in author.into_iter().chain(parent_author) {
            user.offer(offers);
        }
    });
}

/// One line of a twarc2 file: a response page, a stream message, or a flattened tweet.
pub fn parse_line(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &bytes[start..bytes.len().min(start + 24)];
    let is_page = head.starts_with(b"{\"data\"")
        || head.starts_with(b"{ \"data\"")
        || head.starts_with(b"{\"errors\"");
    if is_page {
        parse_page(bytes, line, collector);
    } else {
        match from_record::<Tweet>(bytes) {
            Ok(tweet) if tweet.id.is_some() || tweet.text.is_some() => {
                handle_tweet(&tweet, &Lookup::default(), line, collector)
            }
            // Not a tweet at the top level: perhaps a page whose keys come in another order.
            Ok(_) => parse_page(bytes, line, collector),
            Err(error) => skip_json_error(bytes, line, &error, collector),
        }
    }
}

fn parse_page(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    let page: Page = match from_record(bytes) {
        Ok(page) => page,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    let Some(data) = page.data else {
        let reason = if page.errors.is_some() {
            "API error message"
        } else {
            "not a tweet"
        };
        return collector.skip(line, reason, None);
    };
    let includes = page.includes.unwrap_or_default();
    let lookup = Lookup::from_includes(&includes);
    let items: Vec<&RawValue> = if data.get().trim_start().starts_with('[') {
        match serde_json::from_str(data.get()) {
            Ok(items) => items,
            Err(error) => return skip_json_error(bytes, line, &error, collector),
        }
    } else {
        vec![data]
    };
    // Each tweet of a page is a record: one malformed tweet loses only itself.
    for item in items {
        match serde_json::from_str::<Tweet>(item.get()) {
            Ok(tweet) => handle_tweet(&tweet, &lookup, line, collector),
            Err(error) => skip_json_error(item.get().as_bytes(), line, &error, collector),
        }
    }
}

/// A pretty-printed page or a JSON array of tweets held as one document.
pub fn parse_document(document: &JsonDocument, collector: &mut Collector<'_>) {
    let text = String::from_utf8_lossy(&document.bytes);
    if text.trim_start().starts_with('[') {
        document.for_each_item(&[], collector, parse_line);
    } else {
        let line = 1;
        parse_page(&document.bytes, line, collector);
    }
}
