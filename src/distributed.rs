//! The heavy, data-parallel reductions as DataFusion SQL plans on an Apache DataFusion
//! Ballista cluster (`--features distributed`, issue 18): the canonical Parquet tables are
//! the hand-off, the cluster reads them from a path every executor sees and writes the
//! reduced tables back as Parquet. Nothing here schedules, ships or shuffles data itself:
//! Ballista does.
//!
//! Reduced tables (`OUT/reduced/*.parquet`):
//! - `account_activity`: per account, posts, retweets, first and last post (the per-account
//!   aggregations under the features stage);
//! - `graph_edges`: the amplification layers' edges (retweet, quote, reply, mention)
//!   aggregated per (layer, source, target) with count, first and last time, as
//!   `graph/edges.csv`;
//! - `spread_bins`: posts, distinct accounts and new accounts per platform and time bin, as
//!   the non-empty rows of `spread.csv`;
//! - `coaction_pairs`: co-action candidate edges of every object kind (co-retweet,
//!   co-link, co-tweet, hashtag sequence), as the rows of `coordination/edges.parquet` up to
//!   `median_dt_s`. Pairs come from a self-join on (object, time bucket of the window) with
//!   the next bucket, never from all pairs of an object, with the local sweep's rules: each
//!   account's first action per object, accounts with fewer than `min_objects_per_account`
//!   objects of the kind left out, at most `max_accounts_in_window` partners back in an
//!   object's time order.
//!
//! What stays on one machine (small once reduced): scoring, the null model, clusters, graph
//! metrics, figures and the report. `check` compares every reduced table with the
//! single-machine results of a `tagscope run` folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use ballista::prelude::SessionContextExt;
use ballista_core::object_store::{runtime_env_with_s3_support, session_config_with_s3_support};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use polars::prelude::{
    AnyValue, ChunkApply, Column, CsvReadOptions, DataFrame, DataType, IntoColumn, IntoLazy,
    ParquetReader, SerReader, col, lit,
};

use crate::coordination::reduced::{ReducedPair, ReducedPairs, ReducedSweep};
use crate::coordination::{
    CoordOptions, HASHTAG_SEQUENCE_WINDOW_S, MIN_COTWEET_WORDS, MIN_HASHTAG_SEQUENCE_TAGS,
    ObjectKind,
};
use crate::ingest::text::iso_millis;
use crate::spread::effective_bin_ms;

/// The reduced tables, in the order they are written and checked.
pub const TABLES: [&str; 4] = [
    "account_activity",
    "graph_edges",
    "spread_bins",
    "coaction_pairs",
];

/// What the reductions need to agree with a `tagscope run` of the same options.
#[derive(Debug, Clone)]
pub struct ReduceOptions {
    /// Requested timeline bin in ms (`--bin`); widened for long spans as `run` does.
    pub bin_ms: i64,
    /// Co-retweet window in ms (the first `--window`).
    pub window_ms: i64,
    /// Distinct shared objects a pair needs to be a candidate edge.
    pub min_coactions: u32,
    /// Objects an account needs within a kind to take part.
    pub min_objects_per_account: u32,
    /// Partners looked back at within one object's time order.
    pub max_accounts_in_window: u32,
    /// Partitions DataFusion splits each scan and shuffle into.
    pub partitions: usize,
}

impl ReduceOptions {
    /// The options `run` uses with `bin_ms` and the coordination options `coordination`.
    pub fn new(bin_ms: i64, coordination: &CoordOptions) -> Result<Self> {
        let window_s = coordination
            .windows_s
            .first()
            .copied()
            .context("no co-action window")?;
        Ok(ReduceOptions {
            bin_ms,
            window_ms: (window_s * 1000.0).round() as i64,
            min_coactions: coordination.min_coactions,
            min_objects_per_account: coordination.min_objects_per_account,
            max_accounts_in_window: coordination.max_accounts_in_window as u32,
            partitions: 4,
        })
    }
}

/// What the cluster did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReduceSummary {
    /// The cluster (`df://host:port`).
    pub engine: String,
    /// Rows of each reduced table.
    pub rows: BTreeMap<String, u64>,
    /// The bin the spread counts used, ms.
    pub bin_ms: i64,
    /// Wall time of each reduction, s (left out of `run --engine`'s `reduced/summary.json`,
    /// whose files are the same run to run).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub seconds: BTreeMap<String, f64>,
    /// What each co-action sweep counted besides its candidate edges.
    pub sweeps: Vec<SweepCounts>,
}

/// The counts of one co-action sweep on the cluster that its candidate edges do not hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepCounts {
    /// The object kind.
    pub object_kind: ObjectKind,
    /// The window, ms (a day for hashtag sequences).
    pub window_ms: i64,
    /// Distinct account pairs with at least one co-action (the Bonferroni denominator).
    pub distinct_pairs: u64,
    /// Actions whose window held more than `max_accounts_in_window` earlier actions.
    pub truncated_windows: u64,
}

/// Where the cluster reads the canonical tables or writes reduced ones: an absolute local
/// path every executor sees, or an object-store URL (`s3://bucket/prefix`).
#[derive(Debug, Clone)]
pub struct Place(String);

impl Place {
    /// A local folder (made if missing), as an absolute path.
    fn folder(path: &Path) -> Result<Place> {
        std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        let path = path
            .canonicalize()
            .with_context(|| format!("{}", path.display()))?;
        Ok(Place(path_str(&path)?.to_string()))
    }

    /// `name` inside this place.
    fn join(&self, name: impl AsRef<str>) -> Place {
        Place(format!(
            "{}/{}",
            self.0.trim_end_matches('/'),
            name.as_ref()
        ))
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

/// An object store the client copies the canonical tables to and the reduced tables from,
/// for clusters without a shared file system: `s3://BUCKET[/PREFIX]`, with credentials,
/// region and endpoint from the `AWS_*` variables (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`) of every process:
/// this client, the scheduler and the executors (Ballista's S3 object-store registry).
#[derive(Debug, Clone)]
pub struct Store {
    bucket: String,
    prefix: String,
}

impl Store {
    /// Parses `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Result<Store> {
        let rest = url
            .strip_prefix("s3://")
            .with_context(|| format!("--store {url}: an object store as s3://BUCKET/PREFIX"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        ensure!(!bucket.is_empty(), "--store {url}: no bucket");
        Ok(Store {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// The URL of `name` under the prefix.
    fn place(&self, name: &str) -> Place {
        let key = self.key(name);
        Place(format!("s3://{}/{key}", self.bucket))
    }

    /// The object key of `name` under the prefix.
    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

/// Connects to the Ballista scheduler at `url` (`df://host:port`), with Ballista's S3
/// object-store registry (for [`Store`]; local paths as before).
pub async fn connect(url: &str, partitions: usize) -> Result<SessionContext> {
    ensure!(
        url.starts_with("df://"),
        "--engine {url}: a Ballista scheduler as df://HOST:PORT"
    );
    let config = session_config_with_s3_support().with_target_partitions(partitions.max(1));
    let runtime = runtime_env_with_s3_support(&config)?;
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(url, state)
        .await
        .with_context(|| format!("connecting to the Ballista scheduler at {url}"))
}

/// Registers `posts.parquet` and `accounts.parquet` of `tables`.
async fn register_tables(context: &SessionContext, tables: &Place) -> Result<()> {
    for name in ["posts", "accounts"] {
        let place = tables.join(format!("{name}.parquet"));
        register(context, name, &place)
            .await
            .with_context(|| format!("registering {}", place.as_str()))?;
    }
    Ok(())
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("{}: not a UTF-8 path", path.display()))
}

/// Runs `sql` on the cluster; one executor writes the result as one Parquet file at `out`.
async fn write_table(context: &SessionContext, sql: &str, out: &Place) -> Result<()> {
    context
        .sql(sql)
        .await?
        .write_parquet(out.as_str(), DataFrameWriteOptions::new(), None)
        .await
        .with_context(|| format!("writing {}", out.as_str()))?;
    Ok(())
}

/// First column of the first row, as i64 (null: `None`).
async fn scalar_i64(context: &SessionContext, sql: &str) -> Result<Option<i64>> {
    let batches = context.sql(sql).await?.collect().await?;
    Ok(batches.iter().find(|b| b.num_rows() > 0).and_then(|b| {
        let column = b.column(0).as_primitive::<Int64Type>();
        column.is_valid(0).then(|| column.value(0))
    }))
}

/// Rows with an author, a platform and a time, as the graph and coordination read them;
/// `t` is Unix ms.
const AUTHORED: &str = "SELECT platform, post_id, author_id, author_handle, kind, \
     parent_post_id, parent_author_id, mentions, hashtags, urls, text, created_at, \
     CAST(created_at AS BIGINT) AS t \
     FROM posts WHERE platform IS NOT NULL AND author_id IS NOT NULL AND created_at IS NOT NULL";

/// Per account: posts, retweets, first and last post (a post without a time counts as
/// time 0, as the features stage counts it).
fn account_activity_sql() -> String {
    "SELECT coalesce(platform, '') AS platform, author_id AS account_id, \
       count(*) AS posts, \
       sum(CASE WHEN kind = 'retweet' THEN 1 ELSE 0 END) AS retweets, \
       min(coalesce(CAST(created_at AS BIGINT), 0)) AS first_ms, \
       max(coalesce(CAST(created_at AS BIGINT), 0)) AS last_ms \
     FROM posts WHERE author_id IS NOT NULL \
     GROUP BY coalesce(platform, ''), author_id ORDER BY platform, account_id"
        .to_string()
}

/// The four layers' edges: amplifier → amplified per retweet, quote and reply (the parent's
/// author), and per mention of a post that is not a retweet (the account with that handle
/// on the platform, the last in `accounts` order when several share it, else `@handle`).
fn graph_edges_sql() -> String {
    format!(
        "WITH p AS ({AUTHORED}), \
         hm AS (SELECT platform, lower(handle) AS lh, max(account_id) AS account_id \
                FROM accounts WHERE platform IS NOT NULL AND account_id IS NOT NULL \
                AND handle IS NOT NULL GROUP BY platform, lower(handle)), \
         pi AS (SELECT kind AS layer, platform, author_id AS source, parent_author_id AS target, t \
                FROM p WHERE kind IN ('retweet', 'quote', 'reply') AND parent_author_id IS NOT NULL), \
         m AS (SELECT platform, author_id, t, unnest(mentions) AS handle FROM p \
               WHERE kind IS DISTINCT FROM 'retweet'), \
         mi AS (SELECT 'mention' AS layer, m.platform, m.author_id AS source, \
                coalesce(hm.account_id, '@' || m.handle) AS target, m.t \
                FROM m LEFT JOIN hm ON hm.platform = m.platform AND hm.lh = lower(m.handle) \
                WHERE m.handle IS NOT NULL), \
         i AS (SELECT * FROM pi UNION ALL SELECT * FROM mi) \
         SELECT layer, platform, source, target, count(*) AS count, \
                min(t) AS first_ms, max(t) AS last_ms \
         FROM i WHERE source <> target \
         GROUP BY layer, platform, source, target ORDER BY layer, platform, source, target"
    )
}

/// Posts, distinct authors and authors first seen per platform and bin of `bin_ms`.
fn spread_bins_sql(bin_ms: i64) -> String {
    let b = bin_ms;
    format!(
        "WITH s AS (SELECT platform, author_id, CAST(created_at AS BIGINT) AS t FROM posts \
                    WHERE platform IS NOT NULL AND created_at IS NOT NULL), \
         b AS (SELECT platform, author_id, t - (((t % {b}) + {b}) % {b}) AS bin FROM s), \
         f AS (SELECT platform, min(t) AS first_t FROM s WHERE author_id IS NOT NULL \
               GROUP BY platform, author_id), \
         n AS (SELECT platform, first_t - (((first_t % {b}) + {b}) % {b}) AS bin, \
               count(*) AS new_accounts FROM f \
               GROUP BY platform, first_t - (((first_t % {b}) + {b}) % {b})), \
         c AS (SELECT platform, bin, count(*) AS posts, count(DISTINCT author_id) AS accounts \
               FROM b GROUP BY platform, bin) \
         SELECT c.platform, c.bin AS bin_start_ms, c.posts, c.accounts, \
                coalesce(n.new_accounts, 0) AS new_accounts \
         FROM c LEFT JOIN n ON n.platform = c.platform AND n.bin = c.bin \
         ORDER BY c.platform, c.bin"
    )
}

/// Accounts numbered as the coordination stage numbers them: in order of first post
/// (posts are stored in (time, platform, post id) order), handle of that first post.
fn accounts_sql() -> String {
    format!(
        "WITH p AS ({AUTHORED}) \
         SELECT platform, author_id, handle, \
                CAST(ROW_NUMBER() OVER (ORDER BY first_t, platform, first_post) AS BIGINT) - 1 AS id \
         FROM (SELECT platform, author_id, min(t) AS first_t, \
                      first_value(post_id ORDER BY t, post_id) AS first_post, \
                      first_value(author_handle ORDER BY t, post_id) AS handle \
               FROM p GROUP BY platform, author_id)"
    )
}

/// Object labels of one co-action kind, one row per (post, object), as the coordination
/// stage makes them (`coordination::Labels::of_row`): the retweeted post; each URL,
/// normalised as `ingest::text::normalise_url` does; the text normalised as
/// `ingest::text::normalise_text` does (words starting `http://`, `https://` or `@` removed,
/// lower case, at least five words); the hashtag sequence of a post with
/// [`MIN_HASHTAG_SEQUENCE_TAGS`] tags or more and its UTC day. Only retweets make co-retweet objects, and only other posts the rest.
fn labels_sql(kind: ObjectKind) -> String {
    // Parenthesised: sqlparser binds IS DISTINCT FROM looser than AND.
    const NOT_RETWEET: &str = "(kind IS DISTINCT FROM 'retweet')";
    const ASCII_LOWER: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";
    match kind {
        ObjectKind::CoRetweet => "SELECT platform, author_id, t, \
             platform || ':' || parent_post_id AS label \
             FROM p WHERE kind = 'retweet' AND parent_post_id IS NOT NULL"
            .to_string(),
        ObjectKind::HashtagSequence => format!(
            "SELECT platform, author_id, t, \
             array_to_string(hashtags, ' ') || ' @' || to_char(created_at, '%Y-%m-%d') AS label \
             FROM p WHERE {NOT_RETWEET} AND array_length(hashtags) >= {MIN_HASHTAG_SEQUENCE_TAGS}"
        ),
        ObjectKind::CoTweet => format!(
            // Tokens are set two spaces apart so that each removed token has a space of its
            // own on either side; then white space is collapsed as `split_whitespace` does.
            "SELECT platform, author_id, t, label FROM (\
               SELECT platform, author_id, t, lower(btrim(regexp_replace(regexp_replace(\
                 ' ' || regexp_replace(text, '\\s+', '  ', 'g') || ' ', \
                 ' (https?://|@)\\S*', ' ', 'g'), '\\s+', ' ', 'g'), ' ')) AS label \
               FROM p WHERE {NOT_RETWEET} AND text IS NOT NULL) \
             WHERE label <> '' AND length(label) - length(replace(label, ' ', '')) >= {}",
            MIN_COTWEET_WORDS - 1
        ),
        ObjectKind::CoLink => format!(
            "WITH u0 AS (SELECT platform, author_id, t, unnest(urls) AS u FROM p \
                         WHERE {NOT_RETWEET}), \
             u1 AS (SELECT platform, author_id, t, \
                    split_part(btrim(u, ' \\t\\n\\r'), '#', 1) AS nf FROM u0 WHERE u IS NOT NULL), \
             u2 AS (SELECT *, split_part(nf, '?', 1) AS base, \
                    CASE WHEN strpos(nf, '?') > 0 THEN substr(nf, strpos(nf, '?') + 1) END AS q \
                    FROM u1), \
             u3 AS (SELECT *, strpos(base, '://') AS s FROM u2), \
             u4 AS (SELECT *, CASE WHEN s > 0 THEN substr(base, 1, s - 1) ELSE 'http' END AS scheme, \
                    CASE WHEN s > 0 THEN substr(base, s + 3) ELSE base END AS rest FROM u3), \
             u5 AS (SELECT *, strpos(rest, '/') AS sl FROM u4), \
             u6 AS (SELECT *, \
                    translate(CASE WHEN sl > 0 THEN substr(rest, 1, sl - 1) ELSE rest END, \
                              {ASCII_LOWER}) AS host, \
                    CASE WHEN sl > 0 THEN rtrim(substr(rest, sl), '/') ELSE '' END AS path, \
                    translate(scheme, {ASCII_LOWER}) AS sch, \
                    btrim(regexp_replace(regexp_replace('&' || q, '&utm_[^&]*', '', 'g'), \
                          '&+', '&', 'g'), '&') AS kept FROM u5) \
             SELECT platform, author_id, t, \
               CASE WHEN sch = 'https' THEN 'http' ELSE sch END || '://' \
               || CASE WHEN starts_with(host, 'www.') THEN substr(host, 5) ELSE host END || path \
               || CASE WHEN kept IS NOT NULL AND kept <> '' THEN '?' || kept ELSE '' END AS label \
             FROM u6"
        ),
    }
}

/// Each account's first action on each object of `kind`, accounts with fewer than
/// `min_objects` objects of the kind left out, ranked within the object by (time, account
/// number).
fn actions_sql(kind: ObjectKind, min_objects: u32) -> String {
    format!(
        "WITH p AS ({AUTHORED}), \
         l AS ({labels}), \
         f AS (SELECT label, platform, author_id, min(t) AS t FROM l \
               GROUP BY label, platform, author_id), \
         k AS (SELECT *, count(*) OVER (PARTITION BY platform, author_id) AS objects FROM f) \
         SELECT k.label, a.id AS account, k.t, \
                ROW_NUMBER() OVER (PARTITION BY k.label ORDER BY k.t, a.id) AS r \
         FROM k JOIN coord_accounts a ON a.platform = k.platform AND a.author_id = k.author_id \
         WHERE k.objects >= {min_objects}",
        labels = labels_sql(kind)
    )
}

/// Every pair of accounts with a co-action on one object within `window` ms and `cap`
/// ranks, from a join on (object, bucket) and (object, next bucket) of `window`-wide
/// buckets, aggregated per pair (accounts as numbers, `a < b`): the sweep's distinct pairs,
/// of which those with `min_coactions` are its candidate edges ([`pairs_sql`]).
fn pair_groups_sql(window: i64, cap: u32) -> String {
    let w = window;
    let wb = window.max(1);
    format!(
        "WITH a AS (SELECT label, account, t, r, (t - (((t % {wb}) + {wb}) % {wb})) / {wb} AS bkt \
                    FROM actions), \
         rec AS (SELECT x.account AS ax, y.account AS ay, x.t AS tx, y.t AS ty \
                 FROM a x JOIN a y ON x.label = y.label AND x.bkt = y.bkt \
                 WHERE y.r > x.r AND y.r - x.r <= {cap} AND y.t - x.t <= {w} \
                 UNION ALL \
                 SELECT x.account, y.account, x.t, y.t \
                 FROM a x JOIN a y ON x.label = y.label AND y.bkt = x.bkt + 1 \
                 WHERE y.r - x.r <= {cap} AND y.t - x.t <= {w}), \
         d AS (SELECT least(ax, ay) AS a, greatest(ax, ay) AS b, ty - tx AS dt, \
                      CASE WHEN ty = tx THEN 0 WHEN ax < ay THEN 1 ELSE 2 END AS who FROM rec) \
         SELECT a, b, count(*) AS coactions, \
                sum(CASE WHEN who = 1 THEN 1 ELSE 0 END) AS a_first, \
                sum(CASE WHEN who = 2 THEN 1 ELSE 0 END) AS b_first, \
                min(dt) AS min_dt_ms, median(dt) AS median_dt_ms \
         FROM d GROUP BY a, b"
    )
}

/// The pairs of `pair_groups` with at least `min_coactions` co-actions, named and ordered
/// as the local sweep orders them.
fn pairs_sql(kind: ObjectKind, window: i64, min_coactions: u32) -> String {
    format!(
        "SELECT '{kind_name}' AS object_kind, CAST({window} AS DOUBLE) / 1000.0 AS window_s, \
                pa.platform AS platform_a, pa.author_id AS account_a, \
                pb.platform AS platform_b, pb.author_id AS account_b, \
                e.coactions, e.a_first, e.b_first, e.min_dt_ms, e.median_dt_ms \
         FROM pair_groups e JOIN coord_accounts pa ON pa.id = e.a \
         JOIN coord_accounts pb ON pb.id = e.b \
         WHERE e.coactions >= {min_coactions} \
         ORDER BY e.a, e.b",
        kind_name = kind.as_str()
    )
}

/// Actions whose window (`window` ms back in their object's time order) held more than
/// `cap` earlier actions, so were paired with the `cap` nearest only: the sweep's
/// `truncated_windows` (earlier actions are those of lower rank from the first within the
/// window on).
fn truncated_sql(window: i64, cap: u32) -> String {
    format!(
        "SELECT CAST(count(*) AS BIGINT) FROM (\
           SELECT r, min(r) OVER (PARTITION BY label ORDER BY t \
                                  RANGE BETWEEN {window} PRECEDING AND CURRENT ROW) AS lo \
           FROM actions) \
         WHERE r - lo > {cap}"
    )
}

/// Runs every reduction on the cluster at `url` over the tables in `tables` (a folder
/// every executor reads), writing `reduced/NAME.parquet` for each of [`TABLES`] (and
/// intermediate tables under `reduced/tmp/`, removed by [`reduce_blocking`]); `reduced` must
/// be a folder every executor can write.
pub async fn reduce(
    url: &str,
    tables: &Path,
    reduced: &Path,
    options: &ReduceOptions,
) -> Result<ReduceSummary> {
    let context = connect(url, options.partitions).await?;
    register_tables(&context, &Place::folder(tables)?).await?;
    let dir = Place::folder(reduced)?;
    Place::folder(&reduced.join("tmp"))?;
    reduce_at(&context, url, &dir, options).await
}

/// [`reduce`] through the object store `store`: the client puts the canonical tables of
/// `tables` at `STORE/tables/`, the cluster reads them there and writes the reduced tables
/// to `STORE/reduced/`, and the client fetches those into `reduced` and deletes the
/// intermediate ones. No file system is shared with the cluster.
pub async fn reduce_via_store(
    url: &str,
    tables: &Path,
    reduced: &Path,
    store: &Store,
    options: &ReduceOptions,
) -> Result<ReduceSummary> {
    use datafusion::execution::object_store::ObjectStoreUrl;
    use datafusion::object_store::ObjectStoreExt;
    use datafusion::object_store::path::Path as Key;
    let context = connect(url, options.partitions).await?;
    let bucket = context
        .runtime_env()
        .object_store(ObjectStoreUrl::parse(format!("s3://{}", store.bucket))?)?;
    for name in ["posts.parquet", "accounts.parquet"] {
        let from = tables.join(name);
        let key = Key::from(store.key(&format!("tables/{name}")));
        upload(bucket.as_ref(), &from, &key)
            .await
            .with_context(|| {
                format!(
                    "copying {} to {}",
                    from.display(),
                    store.place(&format!("tables/{name}")).as_str()
                )
            })?;
    }
    register_tables(&context, &store.place("tables")).await?;
    let summary = reduce_at(&context, url, &store.place("reduced"), options).await?;
    std::fs::create_dir_all(reduced).with_context(|| format!("creating {}", reduced.display()))?;
    for name in TABLES {
        let key = Key::from(store.key(&format!("reduced/{name}.parquet")));
        let bytes = bucket
            .get(&key)
            .await
            .with_context(|| format!("fetching {key}"))?
            .bytes()
            .await?;
        let to = reduced.join(format!("{name}.parquet"));
        std::fs::write(&to, &bytes).with_context(|| format!("writing {}", to.display()))?;
    }
    // Whatever the executors left under tmp/, as the store lists it.
    let tmp = Key::from(store.key("reduced/tmp"));
    for object in bucket.list_with_delimiter(Some(&tmp)).await?.objects {
        bucket
            .delete(&object.location)
            .await
            .with_context(|| format!("deleting {}", object.location))?;
    }
    Ok(summary)
}

/// Copies the file `from` to the object `key`, 8 MB at a time (at most 4 parts in flight).
async fn upload(
    store: &dyn datafusion::object_store::ObjectStore,
    from: &Path,
    key: &datafusion::object_store::path::Path,
) -> Result<()> {
    use datafusion::object_store::ObjectStoreExt;
    use std::io::Read;
    let mut file = std::fs::File::open(from)?;
    let mut write = datafusion::object_store::WriteMultipart::new(store.put_multipart(key).await?);
    let mut buffer = vec![0u8; 8 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        write.wait_for_capacity(4).await?;
        write.write(&buffer[..n]);
    }
    write.finish().await?;
    Ok(())
}

/// The reductions over the registered `posts` and `accounts`, written under `dir`.
async fn reduce_at(
    context: &SessionContext,
    url: &str,
    dir: &Place,
    options: &ReduceOptions,
) -> Result<ReduceSummary> {
    let tmp = dir.join("tmp");
    let mut seconds = BTreeMap::new();
    let mut timed = |name: &str, began: std::time::Instant| {
        seconds.insert(name.to_string(), began.elapsed().as_secs_f64());
    };

    let began = std::time::Instant::now();
    write_table(
        context,
        &account_activity_sql(),
        &dir.join("account_activity.parquet"),
    )
    .await?;
    timed("account_activity", began);

    let began = std::time::Instant::now();
    write_table(
        context,
        &graph_edges_sql(),
        &dir.join("graph_edges.parquet"),
    )
    .await?;
    timed("graph_edges", began);

    let began = std::time::Instant::now();
    let span = scalar_i64(
        context,
        "SELECT max(CAST(created_at AS BIGINT)) - min(CAST(created_at AS BIGINT)) FROM posts \
         WHERE platform IS NOT NULL AND created_at IS NOT NULL",
    )
    .await?
    .unwrap_or(0);
    let bin_ms = effective_bin_ms(options.bin_ms, span);
    write_table(
        context,
        &spread_bins_sql(bin_ms),
        &dir.join("spread_bins.parquet"),
    )
    .await?;
    timed("spread_bins", began);

    // Intermediates read twice are materialised: a CTE would be planned (and run) twice.
    let began = std::time::Instant::now();
    let accounts = tmp.join("coord_accounts.parquet");
    write_table(context, &accounts_sql(), &accounts).await?;
    register(context, "coord_accounts", &accounts).await?;
    // One sweep per kind, as `run` with one window does: the window for every kind but
    // hashtag sequences, which always use a day.
    let mut parts = Vec::new();
    let mut sweeps = Vec::new();
    for kind in ObjectKind::ALL {
        let window_ms = if kind == ObjectKind::HashtagSequence {
            (HASHTAG_SEQUENCE_WINDOW_S * 1000.0) as i64
        } else {
            options.window_ms
        };
        let mut counts = SweepCounts {
            object_kind: kind,
            window_ms,
            distinct_pairs: 0,
            truncated_windows: 0,
        };
        // A kind without labelled posts (none with five hashtags, say) is left out: Ballista
        // 55 did not finish writing the empty result of its window functions.
        let labelled = scalar_i64(
            context,
            &format!(
                "WITH p AS ({AUTHORED}) SELECT CAST(count(*) AS BIGINT) FROM ({})",
                labels_sql(kind)
            ),
        )
        .await?
        .unwrap_or(0);
        // (The last kind still runs when every other was empty: the union needs a part.)
        let last = kind == ObjectKind::ALL[ObjectKind::ALL.len() - 1];
        if labelled == 0 && !(parts.is_empty() && last) {
            sweeps.push(counts);
            continue;
        }
        let actions = tmp.join(format!("actions_{}.parquet", kind.as_str()));
        write_table(
            context,
            &actions_sql(kind, options.min_objects_per_account),
            &actions,
        )
        .await?;
        register(context, "actions", &actions).await?;
        let groups = tmp.join(format!("pair_groups_{}.parquet", kind.as_str()));
        write_table(
            context,
            &pair_groups_sql(window_ms, options.max_accounts_in_window),
            &groups,
        )
        .await?;
        register(context, "pair_groups", &groups).await?;
        counts.distinct_pairs = count_rows(context, "pair_groups").await?;
        if count_rows(context, "actions").await? > 0 {
            counts.truncated_windows = scalar_i64(
                context,
                &truncated_sql(window_ms, options.max_accounts_in_window),
            )
            .await?
            .unwrap_or(0) as u64;
        }
        sweeps.push(counts);
        let pairs = tmp.join(format!("pairs_{}.parquet", kind.as_str()));
        write_table(
            context,
            &pairs_sql(kind, window_ms, options.min_coactions),
            &pairs,
        )
        .await?;
        let table = format!("pairs_{}", kind.as_str());
        register(context, &table, &pairs).await?;
        parts.push(format!("SELECT * FROM {table}"));
    }
    write_table(
        context,
        &parts.join(" UNION ALL "),
        &dir.join("coaction_pairs.parquet"),
    )
    .await?;
    timed("coaction_pairs", began);

    let mut rows = BTreeMap::new();
    for name in TABLES {
        let table = format!("reduced_{name}");
        register(context, &table, &dir.join(format!("{name}.parquet"))).await?;
        rows.insert(name.to_string(), count_rows(context, &table).await?);
    }
    Ok(ReduceSummary {
        engine: url.to_string(),
        rows,
        bin_ms,
        seconds,
        sweeps,
    })
}

/// Registers the Parquet file at `place` as table `name`, replacing a table of that name.
async fn register(context: &SessionContext, name: &str, place: &Place) -> Result<()> {
    context.deregister_table(name)?;
    context
        .register_parquet(name, place.as_str(), ParquetReadOptions::default())
        .await?;
    Ok(())
}

/// Rows of the registered table `name`.
async fn count_rows(context: &SessionContext, name: &str) -> Result<u64> {
    Ok(scalar_i64(
        context,
        &format!("SELECT CAST(count(*) AS BIGINT) FROM {name}"),
    )
    .await?
    .unwrap_or(0) as u64)
}

/// [`reduce`] (or [`reduce_via_store`] with a `store`) on a runtime of its own, for callers
/// that are not async (`tagscope reduce`, `run --engine`); the executors' intermediate
/// tables (`reduced/tmp`: per-kind actions and pairs) are removed once done: they are not
/// results.
pub fn reduce_blocking(
    url: &str,
    tables: &Path,
    reduced: &Path,
    store: Option<&Store>,
    options: &ReduceOptions,
) -> Result<ReduceSummary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime.block_on(async {
        match store {
            Some(store) => reduce_via_store(url, tables, reduced, store, options).await,
            None => reduce(url, tables, reduced, options).await,
        }
    })?;
    let tmp = reduced.join("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    Ok(summary)
}

/// The co-action candidate edges of `reduced/coaction_pairs.parquet` with the sweeps'
/// counts of `summary`, for the coordination stage to take in place of its own sweep
/// ([`crate::coordination::detect_from`]).
pub fn read_pairs(reduced: &Path, summary: &ReduceSummary) -> Result<ReducedPairs> {
    let mut pairs = ReducedPairs::default();
    for counts in &summary.sweeps {
        pairs.sweeps.insert(
            (counts.object_kind, counts.window_ms),
            ReducedSweep {
                pairs: Vec::new(),
                distinct_pairs: usize::try_from(counts.distinct_pairs)?,
                truncated_windows: counts.truncated_windows,
            },
        );
    }
    let path = reduced.join("coaction_pairs.parquet");
    let table = read_parquet(&path)?;
    let text = |name: &str| -> Result<Vec<String>> {
        Ok(table
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    let int = |name: &str| -> Result<Vec<i64>> {
        let column = table.column(name)?.cast(&DataType::Int64)?;
        column
            .i64()?
            .iter()
            .map(|v| v.with_context(|| format!("{}: {name} is null", path.display())))
            .collect()
    };
    let count = |name: &str| -> Result<Vec<u32>> {
        int(name)?
            .into_iter()
            .map(|v| u32::try_from(v).with_context(|| format!("{}: {name} {v}", path.display())))
            .collect()
    };
    let (kinds, windows_s) = (
        text("object_kind")?,
        table.column("window_s")?.f64()?.clone(),
    );
    let (mut platform_a, mut account_a) = (text("platform_a")?, text("account_a")?);
    let (mut platform_b, mut account_b) = (text("platform_b")?, text("account_b")?);
    let (coactions, a_first, b_first) = (count("coactions")?, count("a_first")?, count("b_first")?);
    let (min_dt, median_dt) = (int("min_dt_ms")?, int("median_dt_ms")?);
    for i in 0..table.height() {
        let kind = ObjectKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kinds[i])
            .with_context(|| format!("{}: object kind {:?}", path.display(), kinds[i]))?;
        let window_ms = (windows_s.get(i).unwrap_or(f64::NAN) * 1000.0).round() as i64;
        let sweep = pairs
            .sweeps
            .get_mut(&(kind, window_ms))
            .with_context(|| format!("{}: a sweep the summary does not list", path.display()))?;
        sweep.pairs.push(ReducedPair {
            platform_a: std::mem::take(&mut platform_a[i]),
            account_a: std::mem::take(&mut account_a[i]),
            platform_b: std::mem::take(&mut platform_b[i]),
            account_b: std::mem::take(&mut account_b[i]),
            coactions: coactions[i],
            a_first: a_first[i],
            b_first: b_first[i],
            min_dt_ms: min_dt[i],
            median_dt_ms: median_dt[i],
        });
    }
    Ok(pairs)
}

/// One reduced table compared with the single-machine result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableCheck {
    /// The reduced table.
    pub table: String,
    /// The single-machine file it was compared with.
    pub against: String,
    /// Rows of the reduced table.
    pub distributed_rows: usize,
    /// Rows of the single-machine table (after the same selection).
    pub local_rows: usize,
    /// Rows in one but not the other (as text lines), at most five of each.
    pub only_distributed: Vec<String>,
    /// Rows only in the single-machine table, at most five.
    pub only_local: Vec<String>,
}

impl TableCheck {
    /// Whether the two tables hold the same rows.
    pub fn equal(&self) -> bool {
        self.only_distributed.is_empty()
            && self.only_local.is_empty()
            && self.distributed_rows == self.local_rows
    }
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("reading {}", path.display()))
}

fn read_csv(path: &Path) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(PathBuf::from(path)))?
        .finish()
        .with_context(|| format!("reading {}", path.display()))
}

/// Each row of `df` as `a|b|c` text over `columns` (numbers as integers where integral).
fn lines(df: &DataFrame, columns: &[&str]) -> Result<Vec<String>> {
    let mut text = Vec::with_capacity(df.height());
    let cols: Vec<&Column> = columns
        .iter()
        .map(|c| df.column(c).with_context(|| format!("no column {c}")))
        .collect::<Result<_>>()?;
    for i in 0..df.height() {
        let mut line = String::new();
        for (k, column) in cols.iter().enumerate() {
            if k > 0 {
                line.push('|');
            }
            let value = column.get(i)?;
            match value {
                AnyValue::Null => {}
                AnyValue::String(s) => line.push_str(s),
                AnyValue::StringOwned(s) => line.push_str(&s),
                AnyValue::Float64(x) => line.push_str(&format!("{x}")),
                AnyValue::Float32(x) => line.push_str(&format!("{x}")),
                other => line.push_str(&other.to_string()),
            }
        }
        text.push(line);
    }
    text.sort_unstable();
    Ok(text)
}

fn compare(
    table: &str,
    against: &Path,
    distributed: Vec<String>,
    local: Vec<String>,
) -> TableCheck {
    let d: std::collections::BTreeSet<&String> = distributed.iter().collect();
    let l: std::collections::BTreeSet<&String> = local.iter().collect();
    TableCheck {
        table: table.to_string(),
        against: against.display().to_string(),
        distributed_rows: distributed.len(),
        local_rows: local.len(),
        only_distributed: d.difference(&l).take(5).map(|s| s.to_string()).collect(),
        only_local: l.difference(&d).take(5).map(|s| s.to_string()).collect(),
    }
}

/// Compares the reduced tables in `dir` with the single-machine results of the
/// `tagscope run` folder `run` (made with the same options): `features.parquet`,
/// `graph/edges.csv`, `spread.csv`, `coordination/edges.parquet`.
pub fn check(dir: &Path, run: &Path, options: &ReduceOptions) -> Result<Vec<TableCheck>> {
    let mut checks = Vec::new();

    // Account activity against features.parquet (every account with a post).
    let reduced = read_parquet(&dir.join("account_activity.parquet"))?;
    let iso = |ms: &Column| -> Result<Column> {
        let values: Vec<Option<String>> =
            ms.i64()?.iter().map(|v| v.and_then(iso_millis)).collect();
        Ok(Column::new(ms.name().clone(), values))
    };
    let reduced = reduced
        .lazy()
        .with_columns([
            col("posts").cast(DataType::Int64),
            col("retweets").cast(DataType::Int64),
        ])
        .collect()?;
    let path = run.join("features.parquet");
    let local = read_parquet(&path)?
        .lazy()
        .with_columns([
            col("posts").cast(DataType::Int64),
            col("retweets").cast(DataType::Int64),
            col("first_post_at").cast(DataType::Int64).alias("first_ms"),
            col("last_post_at").cast(DataType::Int64).alias("last_ms"),
        ])
        .collect()?;
    let columns = [
        "platform",
        "account_id",
        "posts",
        "retweets",
        "first_ms",
        "last_ms",
    ];
    checks.push(compare(
        "account_activity",
        &path,
        lines(&reduced, &columns)?,
        lines(&local, &columns)?,
    ));

    // Graph edges against graph/edges.csv.
    let reduced = read_parquet(&dir.join("graph_edges.parquet"))?;
    let platform = reduced.column("platform")?.str()?.clone();
    let named = |name: &str| -> Result<Column> {
        let ids = reduced.column(name)?.str()?;
        let values: Vec<Option<String>> = platform
            .iter()
            .zip(ids.iter())
            .map(|(p, id)| {
                Some(format!(
                    "{}:{}",
                    p.unwrap_or_default(),
                    id.unwrap_or_default()
                ))
            })
            .collect();
        Ok(Column::new(name.into(), values))
    };
    let mut shaped = DataFrame::new(
        reduced.height(),
        vec![
            named("source")?,
            named("target")?,
            reduced.column("layer")?.clone(),
            reduced.column("count")?.cast(&DataType::Int64)?,
            iso(reduced.column("first_ms")?)?.with_name("first_time".into()),
            iso(reduced.column("last_ms")?)?.with_name("last_time".into()),
        ],
    )?;
    shaped.rechunk_mut();
    let path = run.join("graph").join("edges.csv");
    let local = read_csv(&path)?;
    let columns = crate::export::gephi::EDGES_CSV_COLUMNS;
    checks.push(compare(
        "graph_edges",
        &path,
        lines(&shaped, &columns)?,
        lines(&local, &columns)?,
    ));

    // Spread bins against the non-empty rows of spread.csv.
    let reduced = read_parquet(&dir.join("spread_bins.parquet"))?;
    let mut shaped = DataFrame::new(
        reduced.height(),
        vec![
            iso(reduced.column("bin_start_ms")?)?.with_name("bin_start".into()),
            reduced.column("platform")?.clone(),
            reduced.column("posts")?.cast(&DataType::Int64)?,
            reduced.column("accounts")?.cast(&DataType::Int64)?,
            reduced.column("new_accounts")?.cast(&DataType::Int64)?,
        ],
    )?;
    shaped.rechunk_mut();
    let path = run.join("spread.csv");
    let local = read_csv(&path)?
        .lazy()
        .filter(col("posts").neq(lit("0")))
        .collect()?;
    let columns = ["bin_start", "platform", "posts", "accounts", "new_accounts"];
    checks.push(compare(
        "spread_bins",
        &path,
        lines(&shaped, &columns)?,
        lines(&local, &columns)?,
    ));

    // Co-action pairs against the candidate edges of the first window (hashtag sequences:
    // their day window).
    let reduced = read_parquet(&dir.join("coaction_pairs.parquet"))?;
    let seconds = |ms: &Column| -> Result<Column> {
        Ok(ms
            .cast(&DataType::Float64)?
            .f64()?
            .apply(|v| v.map(|v| v / 1000.0))
            .into_column())
    };
    let mut shaped = DataFrame::new(
        reduced.height(),
        vec![
            reduced.column("object_kind")?.clone(),
            reduced.column("window_s")?.clone(),
            reduced.column("platform_a")?.clone(),
            reduced.column("account_a")?.clone(),
            reduced.column("platform_b")?.clone(),
            reduced.column("account_b")?.clone(),
            reduced.column("coactions")?.cast(&DataType::Int64)?,
            reduced.column("a_first")?.cast(&DataType::Int64)?,
            reduced.column("b_first")?.cast(&DataType::Int64)?,
            seconds(reduced.column("min_dt_ms")?)?.with_name("min_dt_s".into()),
            seconds(reduced.column("median_dt_ms")?)?.with_name("median_dt_s".into()),
        ],
    )?;
    shaped.rechunk_mut();
    let path = run.join("coordination").join("edges.parquet");
    let window_s = options.window_ms as f64 / 1000.0;
    let local = read_parquet(&path)?
        .lazy()
        .filter(
            col("window_s")
                .eq(lit(window_s))
                .or(col("object_kind").eq(lit(ObjectKind::HashtagSequence.as_str()))),
        )
        .with_columns([
            col("coactions").cast(DataType::Int64),
            col("a_first").cast(DataType::Int64),
            col("b_first").cast(DataType::Int64),
        ])
        .collect()?;
    let columns = [
        "object_kind",
        "window_s",
        "platform_a",
        "account_a",
        "platform_b",
        "account_b",
        "coactions",
        "a_first",
        "b_first",
        "min_dt_s",
        "median_dt_s",
    ];
    checks.push(compare(
        "coaction_pairs",
        &path,
        lines(&shaped, &columns)?,
        lines(&local, &columns)?,
    ));
    Ok(checks)
}
