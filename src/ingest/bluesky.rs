//! Bluesky: Jetstream v1 JSON lines and API responses.
//!
//! Jetstream (`{did, time_us, kind, commit{operation, collection, rkey, record}}`):
//! - `app.bsky.feed.post` creates are posts (`at://DID/app.bsky.feed.post/RKEY`);
//! - `app.bsky.feed.repost` creates are reposts (kind `retweet`) of `subject.uri`, whose
//!   author is the DID inside the URI;
//! - deletes, updates, other collections (likes, follows, blocks...), identity and account
//!   events are counted and skipped.
//!
//! `created_at` is `time_us`, when Jetstream saw the event: `createdAt` is set by the
//! client and can be backdated, so it does not decide who was first. It is kept in
//! `client_created_at` (posts and reposts) for backdating checks.
//!
//! API responses (`getAuthorFeed`, `getTimeline`, `getFeed`: `feed[]` of
//! `{post, reply, reason}`; `searchPosts`, `getPosts`: `posts[]`; `getPostThread`:
//! `thread{post, parent, replies}`), as documents or one response a line. A post's time is
//! its `indexedAt` (when the AppView saw it), else `createdAt`; the record's `createdAt` is
//! `client_created_at`. A feed item with a `reasonRepost` is a repost by `reason.by` at
//! `reason.indexedAt`, whose parent is the post; the post itself is not a row (only
//! reposted, as with Twitter retweets). The feed carries no repost record, so such a
//! repost's `client_created_at` is null.
//!
//! Tags, links and mentions come from facets (tag names and link URIs from the features;
//! mention handles from the text at the facet's UTF-8 byte range, else the DID) and the
//! record's `tags`; a record embed (`app.bsky.embed.record`, `recordWithMedia`) of a post
//! makes a quote; an external embed's URI is a URL of the post.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{
    JsonDocument, JsonStr, LineCounter, MAX_NESTING, NESTING_TOO_DEEP, from_record,
    items_before_break, nesting_exceeds, skip_json_error,
};
use super::record::{AccountOffers, AccountRecord, BLUESKY, Collector, PostKind, PostRecord};
use super::text::{normalise_hashtag, parse_iso_time};

type Text<'a> = Option<JsonStr<'a>>;

/// One line: a Jetstream event, an API response page, or one feed item / post view.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    did: Text<'a>,
    time_us: Option<i64>,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
    #[serde(borrow)]
    feed: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    posts: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    thread: Option<&'a RawValue>,
    #[serde(borrow)]
    post: Option<&'a RawValue>,
    #[serde(borrow)]
    uri: Text<'a>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    operation: Text<'a>,
    #[serde(borrow)]
    collection: Text<'a>,
    #[serde(borrow)]
    rkey: Text<'a>,
    /// Read only for posts and reposts: other collections' records have other shapes.
    #[serde(borrow)]
    record: Option<&'a RawValue>,
}

/// An `app.bsky.feed.post` (or `app.bsky.feed.repost`) record.
#[derive(Deserialize, Default)]
struct Record<'a> {
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow, rename = "createdAt")]
    created_at: Text<'a>,
    #[serde(borrow)]
    langs: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    facets: Option<Vec<Facet<'a>>>,
    #[serde(borrow)]
    tags: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    reply: Option<ReplyRef<'a>>,
    #[serde(borrow)]
    embed: Option<Embed<'a>>,
    #[serde(borrow)]
    subject: Option<StrongRef<'a>>,
}

#[derive(Deserialize)]
struct StrongRef<'a> {
    #[serde(borrow)]
    uri: Text<'a>,
}

#[derive(Deserialize)]
struct ReplyRef<'a> {
    #[serde(borrow)]
    parent: Option<StrongRef<'a>>,
}

#[derive(Deserialize)]
struct Facet<'a> {
    index: Option<ByteSlice>,
    #[serde(borrow)]
    features: Option<Vec<Feature<'a>>>,
}

#[derive(Deserialize)]
struct ByteSlice {
    #[serde(rename = "byteStart")]
    byte_start: Option<u64>,
    #[serde(rename = "byteEnd")]
    byte_end: Option<u64>,
}

#[derive(Deserialize)]
struct Feature<'a> {
    #[serde(borrow, rename = "$type")]
    kind: Text<'a>,
    #[serde(borrow)]
    tag: Text<'a>,
    #[serde(borrow)]
    uri: Text<'a>,
    #[serde(borrow)]
    did: Text<'a>,
}

/// A record's embed: `app.bsky.embed.record` (`record` is a strong ref),
/// `recordWithMedia` (`record.record` is), `external` (a link card).
#[derive(Deserialize)]
struct Embed<'a> {
    #[serde(borrow)]
    record: Option<EmbedRecord<'a>>,
    #[serde(borrow)]
    external: Option<StrongRef<'a>>,
    #[serde(borrow)]
    media: Option<Media<'a>>,
}

#[derive(Deserialize)]
struct EmbedRecord<'a> {
    #[serde(borrow)]
    uri: Text<'a>,
    #[serde(borrow)]
    record: Option<StrongRef<'a>>,
}

#[derive(Deserialize)]
struct Media<'a> {
    #[serde(borrow)]
    external: Option<StrongRef<'a>>,
}

/// `app.bsky.feed.defs#postView`.
#[derive(Deserialize)]
struct PostView<'a> {
    #[serde(borrow)]
    uri: Text<'a>,
    #[serde(borrow)]
    author: Option<Profile<'a>>,
    #[serde(borrow)]
    record: Option<Record<'a>>,
    #[serde(borrow, rename = "indexedAt")]
    indexed_at: Text<'a>,
    #[serde(borrow)]
    embed: Option<EmbedView<'a>>,
    #[serde(rename = "repostCount")]
    repost_count: Option<i64>,
    #[serde(rename = "likeCount")]
    like_count: Option<i64>,
}

#[derive(Deserialize)]
struct Profile<'a> {
    #[serde(borrow)]
    did: Text<'a>,
    #[serde(borrow)]
    handle: Text<'a>,
    #[serde(borrow, rename = "displayName")]
    display_name: Text<'a>,
    #[serde(borrow, rename = "createdAt")]
    created_at: Text<'a>,
    #[serde(borrow)]
    description: Text<'a>,
    #[serde(rename = "followersCount")]
    followers_count: Option<i64>,
    #[serde(rename = "followsCount")]
    follows_count: Option<i64>,
    #[serde(rename = "postsCount")]
    posts_count: Option<i64>,
}

/// `app.bsky.embed.record#view` (`record` a `viewRecord`) or `recordWithMedia#view`
/// (`record.record` one).
#[derive(Deserialize)]
struct EmbedView<'a> {
    #[serde(borrow)]
    record: Option<ViewRecord<'a>>,
}

#[derive(Deserialize)]
struct ViewRecord<'a> {
    #[serde(borrow)]
    author: Option<Profile<'a>>,
    #[serde(borrow, rename = "indexedAt")]
    indexed_at: Text<'a>,
    #[serde(borrow)]
    record: Option<ViewRecordInner<'a>>,
}

#[derive(Deserialize)]
struct ViewRecordInner<'a> {
    #[serde(borrow)]
    author: Option<Profile<'a>>,
    #[serde(borrow, rename = "indexedAt")]
    indexed_at: Text<'a>,
}

/// `app.bsky.feed.defs#feedViewPost`.
#[derive(Deserialize)]
struct FeedItem<'a> {
    #[serde(borrow)]
    post: Option<PostView<'a>>,
    #[serde(borrow)]
    reply: Option<ReplyView<'a>>,
    #[serde(borrow)]
    reason: Option<Reason<'a>>,
    // A post view on its own (searchPosts) has these at the top.
    #[serde(borrow)]
    uri: Text<'a>,
    // Pages inside pages are not read.
    feed: Option<serde::de::IgnoredAny>,
    posts: Option<serde::de::IgnoredAny>,
    thread: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ReplyView<'a> {
    #[serde(borrow)]
    parent: Option<PostView<'a>>,
    #[serde(borrow)]
    root: Option<PostView<'a>>,
}

#[derive(Deserialize)]
struct Reason<'a> {
    #[serde(borrow, rename = "$type")]
    kind: Text<'a>,
    #[serde(borrow)]
    by: Option<Profile<'a>>,
    #[serde(borrow, rename = "indexedAt")]
    indexed_at: Text<'a>,
    #[serde(borrow)]
    uri: Text<'a>,
}

fn owned(text: &Text<'_>) -> Option<String> {
    text.as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The repository (author DID) of an `at://DID/collection/rkey` URI.
pub fn did_of_uri(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("at://")?;
    let did = rest.split('/').next()?;
    (!did.is_empty()).then_some(did)
}

fn is_post_uri(uri: &str) -> bool {
    uri.starts_with("at://") && uri.contains("/app.bsky.feed.post/")
}

/// Text, hashtags, URLs, mentions and language of a post record.
fn fill_from_record(post: &mut PostRecord, record: &Record<'_>) {
    let text = record.text.as_deref().unwrap_or("");
    for facet in record.facets.iter().flatten() {
        for feature in facet.features.iter().flatten() {
            let kind = feature.kind.as_deref().unwrap_or("");
            if kind.ends_with("#tag") {
                if let Some(tag) = feature.tag.as_deref() {
                    let tag = normalise_hashtag(tag);
                    if !tag.is_empty() {
                        post.hashtags.push(tag);
                    }
                }
            } else if kind.ends_with("#link") {
                post.urls.extend(owned(&feature.uri));
            } else if kind.ends_with("#mention") {
                // The handle as written, at the facet's UTF-8 byte range.
                let written = facet.index.as_ref().and_then(|i| {
                    let start = usize::try_from(i.byte_start?).ok()?;
                    let end = usize::try_from(i.byte_end?).ok()?;
                    let bytes = text.as_bytes().get(start..end)?;
                    std::str::from_utf8(bytes).ok()
                });
                let handle = written
                    .map(|w| w.trim().trim_start_matches('@').to_lowercase())
                    .filter(|h| !h.is_empty())
                    .or_else(|| owned(&feature.did));
                post.mentions.extend(handle);
            }
        }
    }
    for tag in record.tags.iter().flatten() {
        let tag = normalise_hashtag(tag);
        if !tag.is_empty() && !post.hashtags.contains(&tag) {
            post.hashtags.push(tag);
        }
    }
    if let Some(embed) = &record.embed {
        let external = embed
            .external
            .as_ref()
            .or(embed.media.as_ref().and_then(|m| m.external.as_ref()));
        if let Some(uri) = external.and_then(|e| owned(&e.uri))
            && !post.urls.contains(&uri)
        {
            post.urls.push(uri);
        }
    }
    post.lang = record
        .langs
        .as_ref()
        .and_then(|l| l.first())
        .map(|l| l.to_string())
        .filter(|l| !l.is_empty());
    post.text = Some(text.to_string()).filter(|t| !t.is_empty());
}

/// The post a record quotes, if its embed is a post.
fn quoted_uri(record: &Record<'_>) -> Option<String> {
    let embedded = record.embed.as_ref()?.record.as_ref()?;
    let uri = embedded
        .record
        .as_ref()
        .and_then(|r| owned(&r.uri))
        .or_else(|| owned(&embedded.uri))?;
    is_post_uri(&uri).then_some(uri)
}

/// Kind and parent of a post record: a quote (its embed is a post), else a reply, else an
/// original. The parent's author is the DID in its URI.
fn set_kind(post: &mut PostRecord, record: &Record<'_>) {
    if let Some(quoted) = quoted_uri(record) {
        post.kind = PostKind::Quote;
        post.parent_author_id = did_of_uri(&quoted).map(str::to_string);
        post.parent_post_id = Some(quoted);
    } else if let Some(parent) = record
        .reply
        .as_ref()
        .and_then(|r| r.parent.as_ref())
        .and_then(|p| owned(&p.uri))
    {
        post.kind = PostKind::Reply;
        post.parent_author_id = did_of_uri(&parent).map(str::to_string);
        post.parent_post_id = Some(parent);
    }
}

// ---------------------------------------------------------------------------------------
// Jetstream

fn handle_event(event: Line<'_>, line: u64, collector: &mut Collector<'_>) {
    let kind = event.kind.as_deref().unwrap_or("");
    if kind == "identity" || kind == "account" {
        return collector.skip(line, "identity or account event", None);
    }
    let Some(commit) = event.commit else {
        return collector.skip(line, "not a Bluesky record", Some("no commit"));
    };
    let collection = commit.collection.as_deref().unwrap_or("");
    let is_post = collection == "app.bsky.feed.post";
    let is_repost = collection == "app.bsky.feed.repost";
    match commit.operation.as_deref() {
        Some("create") => {}
        Some("delete") => return collector.skip(line, "delete event", Some(collection)),
        Some("update") if !is_post && !is_repost => {
            return collector.skip(line, "other collection", Some(collection));
        }
        Some("update") => return collector.skip(line, "update event", Some(collection)),
        other => {
            let detail = format!("operation {other:?}");
            return collector.skip(line, "not a Bluesky record", Some(&detail));
        }
    }
    if !is_post && !is_repost {
        return collector.skip(line, "other collection", Some(collection));
    }
    let (Some(did), Some(rkey)) = (owned(&event.did), owned(&commit.rkey)) else {
        return collector.skip(line, "not a Bluesky record", Some("no did or rkey"));
    };
    let record: Record = match commit.record.map(|r| from_record(r.get().as_bytes())) {
        Some(Ok(record)) => record,
        Some(Err(error)) => {
            let bytes = commit.record.map_or(&[][..], |r| r.get().as_bytes());
            return skip_json_error(bytes, line, &error, collector);
        }
        None => Record::default(),
    };
    let time = event
        .time_us
        .and_then(|us| (us.unsigned_abs() < 8_000_000_000_000_000).then_some(us / 1000))
        .or_else(|| record.created_at.as_deref().and_then(parse_iso_time));
    let Some(created_at_ms) = time else {
        return collector.skip(line, "bad or missing created_at", None);
    };
    let mut post = PostRecord::new(
        BLUESKY,
        format!("at://{did}/{collection}/{rkey}"),
        created_at_ms,
        PostKind::Original,
    );
    post.author_id = Some(did.clone());
    post.client_created_at_ms = record.created_at.as_deref().and_then(parse_iso_time);
    if is_repost {
        let Some(subject) = record.subject.as_ref().and_then(|s| owned(&s.uri)) else {
            return collector.skip(line, "not a Bluesky record", Some("repost without subject"));
        };
        post.kind = PostKind::Retweet;
        post.parent_author_id = did_of_uri(&subject).map(str::to_string);
        post.parent_post_id = Some(subject);
    } else {
        fill_from_record(&mut post, &record);
        set_kind(&mut post, &record);
    }
    let parent_author = post.parent_author_id.clone();
    collector.post_with(post, line, |offers| {
        offers.offer_id_only(BLUESKY, &did);
        if let Some(parent) = &parent_author {
            offers.offer_id_only(BLUESKY, parent);
        }
    });
}

// ---------------------------------------------------------------------------------------
// API views

impl Profile<'_> {
    fn offer(&self, offers: &mut AccountOffers<'_>) {
        let Some(did) = self.did.as_deref().filter(|d| !d.is_empty()) else {
            return;
        };
        offers.offer(BLUESKY, did, false, || AccountRecord {
            platform: BLUESKY,
            account_id: did.to_string(),
            handle: owned(&self.handle),
            display_name: owned(&self.display_name),
            account_created_at_ms: self.created_at.as_deref().and_then(parse_iso_time),
            followers: self.followers_count,
            friends: self.follows_count,
            statuses_count: self.posts_count,
            description: owned(&self.description),
            ..AccountRecord::default()
        });
    }
}

fn view_time(view: &PostView<'_>) -> Option<i64> {
    view.indexed_at
        .as_deref()
        .and_then(parse_iso_time)
        .or_else(|| {
            view.record
                .as_ref()
                .and_then(|r| r.created_at.as_deref())
                .and_then(parse_iso_time)
        })
}

/// The quoted post's view inside a post view's embed.
fn quoted_view<'v>(view: &'v PostView<'_>) -> Option<(Option<&'v Profile<'v>>, Option<i64>)> {
    let record = view.embed.as_ref()?.record.as_ref()?;
    Some(match &record.record {
        Some(inner) => (
            inner.author.as_ref(),
            inner.indexed_at.as_deref().and_then(parse_iso_time),
        ),
        None => (
            record.author.as_ref(),
            record.indexed_at.as_deref().and_then(parse_iso_time),
        ),
    })
}

/// One feed item or post view (a record of its own).
fn handle_item(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    let item: FeedItem = match from_record(bytes) {
        Ok(item) => item,
        Err(error) => return skip_json_error(bytes, line, &error, collector),
    };
    if item.feed.is_some() || item.posts.is_some() || item.thread.is_some() {
        return collector.skip(
            line,
            NESTING_TOO_DEEP,
            Some("a response page inside a response page"),
        );
    }
    if item.post.is_none() && item.uri.is_some() {
        // A post view on its own (searchPosts, getPosts).
        let view: PostView = match from_record(bytes) {
            Ok(view) => view,
            Err(error) => return skip_json_error(bytes, line, &error, collector),
        };
        return handle_view(&view, None, line, collector);
    }
    let Some(view) = &item.post else {
        return collector.skip(line, "not a Bluesky post", Some("no post or uri"));
    };
    match &item.reason {
        Some(reason)
            if reason
                .kind
                .as_deref()
                .is_some_and(|k| k.ends_with("#reasonRepost")) =>
        {
            handle_repost(view, reason, line, collector)
        }
        _ => handle_view(view, item.reply.as_ref(), line, collector),
    }
}

fn handle_view(
    view: &PostView<'_>,
    reply: Option<&ReplyView<'_>>,
    line: u64,
    collector: &mut Collector<'_>,
) {
    let Some(uri) = owned(&view.uri) else {
        return collector.skip(line, "not a Bluesky post", Some("no uri"));
    };
    let Some(created_at_ms) = view_time(view) else {
        return collector.skip(line, "bad or missing created_at", None);
    };
    let mut post = PostRecord::new(BLUESKY, uri, created_at_ms, PostKind::Original);
    let author = view.author.as_ref();
    post.author_id = author
        .and_then(|a| owned(&a.did))
        .or_else(|| did_of_uri(&post.post_id).map(str::to_string));
    post.author_handle = author.and_then(|a| owned(&a.handle));
    post.retweet_count = view.repost_count;
    post.like_count = view.like_count;
    let empty = Record::default();
    let record = view.record.as_ref().unwrap_or(&empty);
    post.client_created_at_ms = record.created_at.as_deref().and_then(parse_iso_time);
    fill_from_record(&mut post, record);
    set_kind(&mut post, record);
    let quoted = quoted_view(view);
    let mut parent_profile = None;
    match post.kind {
        PostKind::Quote => {
            if let Some((profile, time)) = quoted {
                post.parent_created_at_ms = time;
                parent_profile = profile;
            }
        }
        PostKind::Reply => {
            if let Some(parent) = reply.and_then(|r| r.parent.as_ref())
                && parent.uri.as_deref() == post.parent_post_id.as_deref()
            {
                post.parent_created_at_ms = view_time(parent);
            }
        }
        _ => {}
    }
    let parent_author = post.parent_author_id.clone();
    collector.post_with(post, line, |offers| {
        if let Some(author) = author {
            author.offer(offers);
        }
        for view in reply
            .into_iter()
            .flat_map(|r| [r.parent.as_ref(), r.root.as_ref()])
        {
            if let Some(profile) = view.and_then(|v| v.author.as_ref()) {
                profile.offer(offers);
            }
        }
        if let Some(profile) = parent_profile {
            profile.offer(offers);
        }
        if let Some(parent) = &parent_author {
            offers.offer_id_only(BLUESKY, parent);
        }
    });
}

fn handle_repost(
    view: &PostView<'_>,
    reason: &Reason<'_>,
    line: u64,
    collector: &mut Collector<'_>,
) {
    let Some(original) = owned(&view.uri) else {
        return collector.skip(line, "not a Bluesky post", Some("no uri"));
    };
    let by = reason.by.as_ref();
    let Some(reposter) = by.and_then(|b| owned(&b.did)) else {
        return collector.skip(line, "not a Bluesky post", Some("repost without `by`"));
    };
    let Some(created_at_ms) = reason.indexed_at.as_deref().and_then(parse_iso_time) else {
        return collector.skip(
            line,
            "bad or missing created_at",
            Some("repost without indexedAt"),
        );
    };
    // The repost record's own URI where the API gives it; else a key naming the reposter
    // and the post (one repost per account and post).
    let post_id = owned(&reason.uri).unwrap_or_else(|| format!("repost:{reposter}:{original}"));
    let mut post = PostRecord::new(BLUESKY, post_id, created_at_ms, PostKind::Retweet);
    post.author_id = Some(reposter);
    post.author_handle = by.and_then(|b| owned(&b.handle));
    if let Some(record) = &view.record {
        fill_from_record(&mut post, record);
    }
    post.parent_author_id = view
        .author
        .as_ref()
        .and_then(|a| owned(&a.did))
        .or_else(|| did_of_uri(&original).map(str::to_string));
    post.parent_created_at_ms = view_time(view);
    post.parent_post_id = Some(original);
    collector.post_with(post, line, |offers| {
        if let Some(by) = by {
            by.offer(offers);
        }
        if let Some(author) = &view.author {
            author.offer(offers);
        }
    });
}

/// The `"post": {...}` objects of a `getPostThread` thread, at any depth (the parents
/// above and the replies below), in document order: byte ranges into `bytes`. One pass of
/// an iterative scanner (no recursion on input, and linear: a node's subtree is never
/// scanned again for each level above it). A post's own content is skipped over, so keys
/// inside it are not taken for thread nodes.
pub fn thread_posts(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut posts = Vec::new();
    let mut i = 0;
    let mut key: Option<std::ops::Range<usize>> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                key = Some(start..i.min(bytes.len()));
                i += 1;
            }
            b':' => {
                let is_post = key.take().is_some_and(|k| &bytes[k] == b"post");
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if is_post && bytes.get(i) == Some(&b'{') {
                    let end = value_end(bytes, i);
                    posts.push(i..end);
                    i = end;
                }
            }
            _ => {
                if !bytes[i].is_ascii_whitespace() {
                    key = None;
                }
                i += 1;
            }
        }
    }
    posts
}

/// The end (exclusive) of the object or array starting at `start`, counting brackets
/// outside strings; the end of `bytes` if it never closes.
fn value_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// A `getPostThread` thread: every post in it. `line_of` gives each post's line.
fn handle_thread(
    thread: &RawValue,
    line_of: &mut dyn FnMut(&str) -> u64,
    collector: &mut Collector<'_>,
) {
    let text = thread.get();
    for range in thread_posts(text.as_bytes()) {
        // Ranges start at `{` and end after `}` (ASCII): always on char boundaries.
        let post = &text[range];
        let line = line_of(post);
        handle_item(post.as_bytes(), line, collector);
    }
}

/// One line of a line-delimited file: a Jetstream event, a response page (its items are
/// the records), or one feed item or post view.
pub fn parse_line(bytes: &[u8], line: u64, collector: &mut Collector<'_>) {
    let parsed: Line = match from_record(bytes) {
        Ok(parsed) => parsed,
        Err(error) => {
            // A page cut short keeps its complete items.
            if !nesting_exceeds(bytes, MAX_NESTING) {
                for item in items_before_break(bytes, &["feed", "posts"]) {
                    handle_item(item.get().as_bytes(), line, collector);
                }
            }
            return skip_json_error(bytes, line, &error, collector);
        }
    };
    if parsed.time_us.is_some() || parsed.commit.is_some() || parsed.kind.is_some() {
        return handle_event(parsed, line, collector);
    }
    if let Some(items) = parsed.feed.as_ref().or(parsed.posts.as_ref()) {
        for item in items {
            handle_item(item.get().as_bytes(), line, collector);
        }
        return;
    }
    if let Some(thread) = parsed.thread {
        return handle_thread(thread, &mut |_| line, collector);
    }
    if parsed.post.is_some() || parsed.uri.is_some() {
        return handle_item(bytes, line, collector);
    }
    collector.skip(line, "not a Bluesky record", None);
}

/// A response document (or an array of feed items / post views).
pub fn parse_document(document: &JsonDocument, collector: &mut Collector<'_>) {
    let (items, error) = document.items(&["feed", "posts"]);
    let mut lines = LineCounter::new(&document.bytes);
    for (item, line) in items {
        #[derive(Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            thread: Option<&'a RawValue>,
            time_us: Option<serde::de::IgnoredAny>,
            commit: Option<serde::de::IgnoredAny>,
        }
        match from_record::<Page>(item.get().as_bytes()) {
            Ok(Page {
                thread: Some(thread),
                ..
            }) => handle_thread(thread, &mut |v| lines.line_of(v), collector),
            Ok(Page {
                time_us, commit, ..
            }) if time_us.is_some() || commit.is_some() => {
                parse_line(item.get().as_bytes(), line, collector)
            }
            _ => handle_item(item.get().as_bytes(), line, collector),
        }
    }
    if let Some(error) = error {
        skip_json_error(&document.bytes, error.line() as u64, &error, collector);
    }
}

#[cfg(test)]
mod tests;
