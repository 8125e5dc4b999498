//! What every reader produces: canonical post and account records, collected per chunk
//! into columns, with every input record accounted for (kept, filtered out or skipped).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use polars::prelude::*;

use super::text::normalise_hashtag;

pub use super::accounts::*;

/// Platforms in the canonical tables.
pub const TWITTER: &str = "twitter";
/// The `platform` value of 4chan posts.
pub const FOURCHAN: &str = "4chan";
/// The `platform` value of Telegram messages.
pub const TELEGRAM: &str = "telegram";
/// The `platform` value of Bluesky posts.
pub const BLUESKY: &str = "bluesky";
/// The `platform` value of Mastodon (and compatible servers') statuses.
pub const MASTODON: &str = "mastodon";
/// The `platform` value of Reddit submissions and comments.
pub const REDDIT: &str = "reddit";

/// How many offending `file:line` examples the ingest report keeps.
pub const MAX_SKIP_EXAMPLES: usize = 20;

/// The kind of a post. 4chan posts (and Reddit's) are `thread` (opener) or `reply`.
/// `Retweet` is the one kind of every platform's reposts: Twitter retweets, Bluesky
/// reposts, Mastodon reblogs, Telegram forwards, Reddit crossposts (written `retweet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    /// A post of its own, referencing no other (`original`).
    Original,
    /// A repost of another post on any platform (`retweet`).
    Retweet,
    /// A post that quotes (embeds) another post (`quote`).
    Quote,
    /// A reply to another post (`reply`).
    Reply,
    /// The opening post of a 4chan thread or a Reddit submission (`thread`).
    Thread,
}

impl PostKind {
    /// The kind's value in the `kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            PostKind::Original => "original",
            PostKind::Retweet => "retweet",
            PostKind::Quote => "quote",
            PostKind::Reply => "reply",
            PostKind::Thread => "thread",
        }
    }

    /// The kind named by a `kind` column value.
    pub fn parse(name: &str) -> Option<PostKind> {
        [
            PostKind::Original,
            PostKind::Retweet,
            PostKind::Quote,
            PostKind::Reply,
            PostKind::Thread,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// The `kind` of reposts, forwards, reblogs and crossposts on every platform, for stages
/// that compare the `kind` column.
pub const RETWEET: &str = PostKind::Retweet.as_str();

/// One post in canonical form (a row of `posts`).
#[derive(Debug, Clone)]
pub struct PostRecord {
    /// The platform (one of the constants above, e.g. [`TWITTER`]).
    pub platform: &'static str,
    /// The post's id on its platform (unique together with `platform`).
    pub post_id: String,
    /// The author's account id on the platform; null when unknown (e.g. Reddit's
    /// `[deleted]` authors).
    pub author_id: Option<String>,
    /// The author's handle (screen name, username) as the export gives it.
    pub author_handle: Option<String>,
    /// When the post was made, in ms since the Unix epoch (UTC).
    pub created_at_ms: i64,
    /// What kind of post it is.
    pub kind: PostKind,
    /// The post this one reposts, quotes or replies to; null for an original.
    pub parent_post_id: Option<String>,
    /// The parent post's author id; filled from the collected posts when the export does
    /// not give it.
    pub parent_author_id: Option<String>,
    /// When the parent post was made, in ms since the Unix epoch; filled from the collected
    /// posts when the export does not give it.
    pub parent_created_at_ms: Option<i64>,
    /// The post's text (a Twitter retweet's rebuilt as `RT @user: <original text>`).
    pub text: Option<String>,
    /// Hashtags carried by the post, normalised (NFKC, lower case, without `#`).
    pub hashtags: Vec<String>,
    /// Links in the post, expanded where the export gives the expanded form.
    pub urls: Vec<String>,
    /// Accounts mentioned, by handle as the export gives them (Twitter: lower-case screen
    /// names).
    pub mentions: Vec<String>,
    /// The post's language as the export tags it (e.g. Twitter's `lang`); null when
    /// untagged.
    pub lang: Option<String>,
    /// The client the post was made with (Twitter `source`, Mastodon application name).
    pub source_app: Option<String>,
    /// The conversation the post belongs to: Twitter v2 conversation id, 4chan
    /// `board/thread`, the Telegram chat, the Reddit submission.
    pub thread_id: Option<String>,
    /// The 4chan board or Reddit subreddit; null elsewhere.
    pub board: Option<String>,
    /// The 4chan poster's flag country code; null elsewhere.
    pub country: Option<String>,
    /// The post's own engagement counts at collection time; null for retweets, whose
    /// counts in every export are the original's.
    pub retweet_count: Option<i64>,
    /// Likes (favourites) of the post at collection time; null for retweets and where the
    /// export has none.
    pub like_count: Option<i64>,
    /// When the post's own record says it was made, in ms since the Unix epoch, where the
    /// platform lets the client set that time apart from the server's (Bluesky
    /// `createdAt`): it can be backdated, so `created_at` (the time the network saw the
    /// post) orders posts and this is kept for backdating checks. Null elsewhere.
    pub client_created_at_ms: Option<i64>,
    /// The line of the source file the record starts on (1-based); set by the
    /// [`Collector`] when the post is kept.
    pub source_line: u64,
}

impl PostRecord {
    /// A post with the fields every reader knows; every other field empty (null).
    pub fn new(
        platform: &'static str,
        post_id: String,
        created_at_ms: i64,
        kind: PostKind,
    ) -> Self {
        PostRecord {
            platform,
            post_id,
            author_id: None,
            author_handle: None,
            created_at_ms,
            kind,
            parent_post_id: None,
            parent_author_id: None,
            parent_created_at_ms: None,
            text: None,
            hashtags: Vec::new(),
            urls: Vec::new(),
            mentions: Vec::new(),
            lang: None,
            source_app: None,
            thread_id: None,
            board: None,
            country: None,
            retweet_count: None,
            like_count: None,
            client_created_at_ms: None,
            source_line: 0,
        }
    }
}

/// Filters applied while reading, so filtered posts never reach memory.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Normalised tags; a post is kept when it carries any of them.
    pub tags: Vec<String>,
    /// Keep posts at or after this time (ms since the Unix epoch).
    pub since_ms: Option<i64>,
    /// Keep posts before this time (ms since the Unix epoch).
    pub until_ms: Option<i64>,
}

impl RecordFilter {
    /// A filter on `tags` (any spelling: they are normalised here) and a time range.
    pub fn new(tags: &[String], since_ms: Option<i64>, until_ms: Option<i64>) -> Self {
        RecordFilter {
            tags: tags.iter().map(|t| normalise_hashtag(t)).collect(),
            since_ms,
            until_ms,
        }
    }

    /// Twitter, Bluesky and Mastodon posts match on hashtags (their tag entities, facets
    /// or `tags`; a repost carries its original's). 4chan, Telegram and Reddit have no tag
    /// entities one can rely on and posters often write the tag without `#`, so their posts
    /// also match when the text contains the tag, case-insensitively.
    pub fn keeps(&self, post: &PostRecord) -> bool {
        if self
            .since_ms
            .is_some_and(|since| post.created_at_ms < since)
        {
            return false;
        }
        if self
            .until_ms
            .is_some_and(|until| post.created_at_ms >= until)
        {
            return false;
        }
        if self.tags.is_empty() {
            return true;
        }
        if post.hashtags.iter().any(|h| self.tags.contains(h)) {
            return true;
        }
        if matches!(post.platform, FOURCHAN | TELEGRAM | REDDIT)
            && let Some(text) = &post.text
        {
            let folded = normalise_hashtag(text);
            return self.tags.iter().any(|tag| folded.contains(tag.as_str()));
        }
        false
    }
}

/// A skipped input record, for the report.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct SkipExample {
    /// The file, as found.
    pub file: String,
    /// The line the record starts on (1-based).
    pub line: u64,
    /// The reason, with a detail where there is one (`invalid JSON: ...`).
    pub reason: String,
}

/// Per-chunk accounting of input records.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Input records met (`kept + filtered_out + skipped`).
    pub records: u64,
    /// Records that became posts and passed the filters.
    pub kept: u64,
    /// Posts dropped by the filters.
    pub filtered_out: u64,
    /// Records that gave no post, by reason.
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// The first skipped records by line (at most [`MAX_SKIP_EXAMPLES`]).
    pub skip_examples: Vec<SkipExample>,
}

impl Counts {
    /// Records skipped for any reason.
    pub fn skipped(&self) -> u64 {
        self.skipped_by_reason.values().sum()
    }

    /// Adds `other`'s counts to these, keeping examples up to [`MAX_SKIP_EXAMPLES`].
    pub fn absorb(&mut self, other: Counts) {
        self.records += other.records;
        self.kept += other.kept;
        self.filtered_out += other.filtered_out;
        for (reason, n) in other.skipped_by_reason {
            *self.skipped_by_reason.entry(reason).or_default() += n;
        }
        for example in other.skip_examples {
            if self.skip_examples.len() < MAX_SKIP_EXAMPLES {
                self.skip_examples.push(example);
            }
        }
    }
}

/// Collects the records of one chunk of one file. Readers call [`Collector::post`] for
/// every post they read and [`Collector::skip`] for every record they cannot use, so that
/// read = kept + filtered out + skipped holds for every chunk (duplicates are counted later,
/// across files).
pub struct Collector<'f> {
    /// Values that repeat across records (client names), decoded once per collector.
    decoded: HashMap<String, Option<String>>,
    filter: &'f RecordFilter,
    file_index: u32,
    file_label: &'f str,
    /// The kept posts, as columns.
    pub posts: PostColumns,
    /// The account snapshots carried by the kept posts.
    pub accounts: AccountMap,
    /// How the records met were accounted for.
    pub counts: Counts,
}

impl<'f> Collector<'f> {
    /// An empty collector for the file at `file_index` in the ingest's file list, named
    /// `file_label` in skip examples, applying `filter`.
    pub fn new(filter: &'f RecordFilter, file_index: u32, file_label: &'f str) -> Self {
        Collector {
            decoded: HashMap::new(),
            filter,
            file_index,
            file_label,
            posts: PostColumns::default(),
            accounts: AccountMap::default(),
            counts: Counts::default(),
        }
    }

    /// An empty collector for the same file (a piece of a document parsed in parallel).
    pub fn sibling(&self) -> Collector<'f> {
        Collector::new(self.filter, self.file_index, self.file_label)
    }

    /// Takes over what `other` (a sibling) collected, after what this one holds.
    pub fn absorb(&mut self, other: Collector<'_>) {
        self.posts.append(other.posts);
        self.accounts.absorb(other.accounts);
        self.counts.absorb(other.counts);
    }

    /// `decode()` of a raw value, computed once per collector for each distinct raw value.
    pub fn decoded_once(
        &mut self,
        raw: &str,
        decode: impl FnOnce() -> Option<String>,
    ) -> Option<String> {
        if let Some(value) = self.decoded.get(raw) {
            return value.clone();
        }
        let value = decode();
        self.decoded.insert(raw.to_string(), value.clone());
        value
    }

    /// One post with the account snapshots it carries (its author, the authors of the
    /// posts it references). Accounts are recorded only when the post is kept.
    pub fn post(&mut self, post: PostRecord, line: u64, accounts: Vec<AccountRecord>) {
        self.post_with(post, line, |offers| {
            for account in accounts {
                let id = account.account_id.clone();
                let has_flags = account.has_profile_flags;
                offers.offer(account.platform, &id, has_flags, || account);
            }
        });
    }

    /// As [`Collector::post`], with snapshots offered lazily through `offer_accounts`.
    pub fn post_with(
        &mut self,
        mut post: PostRecord,
        line: u64,
        offer_accounts: impl FnOnce(&mut AccountOffers<'_>),
    ) {
        self.counts.records += 1;
        if !self.filter.keeps(&post) {
            self.counts.filtered_out += 1;
            return;
        }
        self.counts.kept += 1;
        post.source_line = line;
        let mut offers = AccountOffers {
            map: &mut self.accounts,
            observed_at_ms: post.created_at_ms,
            input_order: (self.file_index, line),
        };
        offer_accounts(&mut offers);
        self.posts.push(post, self.file_index);
    }

    /// An input record that yields no post, with a short reason that groups well in the
    /// report (`invalid JSON`, `delete notice`, ...) and a detail for the examples.
    pub fn skip(&mut self, line: u64, reason: &str, detail: Option<&str>) {
        self.counts.records += 1;
        *self
            .counts
            .skipped_by_reason
            .entry(reason.to_string())
            .or_default() += 1;
        // Keep the first examples by line, whatever order lines are processed in.
        let examples = &mut self.counts.skip_examples;
        if examples.len() < MAX_SKIP_EXAMPLES || examples.iter().any(|e| e.line > line) {
            let reason = match detail {
                Some(detail) => format!("{reason}: {detail}"),
                None => reason.to_string(),
            };
            examples.push(SkipExample {
                file: self.file_label.to_string(),
                line,
                reason,
            });
            examples.sort_by_key(|e| e.line);
            examples.truncate(MAX_SKIP_EXAMPLES);
        }
    }
}

/// Column buffers for posts. A chunk's columns become a DataFrame as soon as the chunk is
/// done, so memory follows polars' compact columns rather than one `String` per cell.
#[derive(Debug, Default)]
pub struct PostColumns {
    platform: Vec<&'static str>,
    post_id: Vec<String>,
    author_id: Vec<Option<String>>,
    author_handle: Vec<Option<String>>,
    created_at: Vec<i64>,
    kind: Vec<&'static str>,
    parent_post_id: Vec<Option<String>>,
    parent_author_id: Vec<Option<String>>,
    parent_created_at: Vec<Option<i64>>,
    text: Vec<Option<String>>,
    hashtags: Vec<Vec<String>>,
    urls: Vec<Vec<String>>,
    mentions: Vec<Vec<String>>,
    lang: Vec<Option<String>>,
    source_app: Vec<Option<String>>,
    thread_id: Vec<Option<String>>,
    board: Vec<Option<String>>,
    country: Vec<Option<String>>,
    retweet_count: Vec<Option<i64>>,
    like_count: Vec<Option<i64>>,
    client_created_at: Vec<Option<i64>>,
    source_file: Vec<u32>,
    source_line: Vec<u64>,
}

/// Calls the macro `$m` with every column of [`PostColumns`], so that operations on whole
/// rows name the columns once.
macro_rules! each_post_column {
    ($m:ident) => {
        $m!(
            platform,
            post_id,
            author_id,
            author_handle,
            created_at,
            kind,
            parent_post_id,
            parent_author_id,
            parent_created_at,
            text,
            hashtags,
            urls,
            mentions,
            lang,
            source_app,
            thread_id,
            board,
            country,
            retweet_count,
            like_count,
            client_created_at,
            source_file,
            source_line
        )
    };
}

impl PostColumns {
    /// Number of posts (rows) held.
    pub fn len(&self) -> usize {
        self.post_id.len()
    }

    /// Whether no post is held.
    pub fn is_empty(&self) -> bool {
        self.post_id.is_empty()
    }

    /// Appends `other`'s rows after these.
    pub fn append(&mut self, mut other: PostColumns) {
        macro_rules! app { ($($f:ident),*) => { $( self.$f.append(&mut other.$f); )* }; }
        each_post_column!(app);
    }

    /// Reverses the row order (for pieces parsed last line first).
    pub fn reverse(&mut self) {
        macro_rules! rev { ($($f:ident),*) => { $( self.$f.reverse(); )* }; }
        each_post_column!(rev);
    }

    fn push(&mut self, post: PostRecord, file_index: u32) {
        self.platform.push(post.platform);
        self.post_id.push(post.post_id);
        self.author_id.push(post.author_id);
        self.author_handle.push(post.author_handle);
        self.created_at.push(post.created_at_ms);
        self.kind.push(post.kind.as_str());
        self.parent_post_id.push(post.parent_post_id);
        self.parent_author_id.push(post.parent_author_id);
        self.parent_created_at.push(post.parent_created_at_ms);
        self.text.push(post.text);
        self.hashtags.push(post.hashtags);
        self.urls.push(post.urls);
        self.mentions.push(post.mentions);
        self.lang.push(post.lang);
        self.source_app.push(post.source_app);
        self.thread_id.push(post.thread_id);
        self.board.push(post.board);
        self.country.push(post.country);
        self.retweet_count.push(post.retweet_count);
        self.like_count.push(post.like_count);
        self.client_created_at.push(post.client_created_at_ms);
        self.source_file.push(file_index);
        self.source_line.push(post.source_line);
    }

    /// The canonical posts columns (`source_file` as an index into the ingest's file list;
    /// the orchestrator replaces it with the path).
    pub fn into_dataframe(self) -> PolarsResult<DataFrame> {
        let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let columns = vec![
            Column::new("platform".into(), self.platform),
            Column::new("post_id".into(), self.post_id),
            Column::new("author_id".into(), self.author_id),
            Column::new("author_handle".into(), self.author_handle),
            Column::new("created_at".into(), self.created_at).cast(&datetime)?,
            Column::new("kind".into(), self.kind),
            Column::new("parent_post_id".into(), self.parent_post_id),
            Column::new("parent_author_id".into(), self.parent_author_id),
            Column::new("parent_created_at".into(), self.parent_created_at).cast(&datetime)?,
            Column::new("text".into(), self.text),
            string_list_column("hashtags", &self.hashtags),
            string_list_column("urls", &self.urls),
            string_list_column("mentions", &self.mentions),
            Column::new("lang".into(), self.lang),
            Column::new("source_app".into(), self.source_app),
            Column::new("thread_id".into(), self.thread_id),
            Column::new("board".into(), self.board),
            Column::new("country".into(), self.country),
            Column::new("retweet_count".into(), self.retweet_count),
            Column::new("like_count".into(), self.like_count),
            Column::new("client_created_at".into(), self.client_created_at).cast(&datetime)?,
            Column::new("source_file".into(), self.source_file),
            Column::new("source_line".into(), self.source_line),
        ];
        DataFrame::new_infer_height(columns)
    }
}

fn string_list_column(name: &str, lists: &[Vec<String>]) -> Column {
    let values: usize = lists.iter().map(Vec::len).sum();
    let mut builder = ListStringChunkedBuilder::new(name.into(), lists.len(), values);
    for list in lists {
        builder.append_values_iter(list.iter().map(String::as_str));
    }
    builder.finish().into_series().into()
}

#[cfg(test)]
mod tests;
