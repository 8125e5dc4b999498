//! Stage 2: coordinated accounts — accounts acting on the same object within seconds
//! (Keller et al. 2020, "Political astroturfing on Twitter"; Pacheco et al. 2021,
//! "Uncovering coordinated networks on social media"), told apart from coincidence by a
//! null model.
//!
//! Objects: the same retweeted post (co-retweet), the same normalised URL outside retweets
//! (co-link, as CooRnet), the same normalised text outside retweets (co-tweet), and the same
//! ordered hashtag sequence within a day (Pacheco et al.'s hashtag sequences). The windowed
//! sweep and the null model are in [`sweep`]; this module turns posts into actions and the
//! results into tables.

pub mod reduced;
pub mod sweep;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::account_index::AccountIndex;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use reduced::PairSource;
use sweep::{Action, SweepConfig};

use crate::ingest::record::RETWEET;
use crate::ingest::text::{normalise_text, normalise_url};

/// The shared objects accounts can act on together.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// Retweets (reposts) of the same post (`co_retweet`).
    CoRetweet,
    /// Posts, other than retweets, linking the same normalised URL (`co_link`).
    CoLink,
    /// Posts, other than retweets, with the same normalised text of at least
    /// [`MIN_COTWEET_WORDS`] words (`co_tweet`).
    CoTweet,
    /// Posts, other than retweets, with the same ordered sequence of
    /// [`MIN_HASHTAG_SEQUENCE_TAGS`] or more hashtags on the same UTC day
    /// (`hashtag_sequence`).
    HashtagSequence,
}

impl ObjectKind {
    /// Every object kind, in the order sweeps run.
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::CoRetweet,
        ObjectKind::CoLink,
        ObjectKind::CoTweet,
        ObjectKind::HashtagSequence,
    ];

    /// The kind's name in the output tables (`object_kind`) and `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::CoRetweet => "co_retweet",
            ObjectKind::CoLink => "co_link",
            ObjectKind::CoTweet => "co_tweet",
            ObjectKind::HashtagSequence => "hashtag_sequence",
        }
    }
}

/// How the expected co-actions of a pair are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum NullModel {
    /// Each account's timeline shifted by its own random offset ([`sweep::shift_null_model`]).
    TimeShift,
    /// Times permuted among the accounts of each object ([`sweep::null_model`]).
    Permute,
}

/// Window of the hashtag-sequence object: the same sequence within a day (Pacheco et al.).
pub const HASHTAG_SEQUENCE_WINDOW_S: f64 = 86_400.0;
/// An edge is run through the null model when its smallest possible p-value
/// ([`sweep::smallest_p_value`]) is within this factor of the Bonferroni threshold: the
/// factor only guards the skip against rounding in the Poisson tail (the p-value grows with
/// the expected count, so an edge skipped at 2× the threshold is far from passing it).
const UNTESTED_MARGIN: f64 = 2.0;
/// Hashtag sequences need this many hashtags: Pacheco et al. (ICWSM 2021, case study 3;
/// github.com/osome-iu/coordination-detection) draw an edge between accounts that post the
/// same ordered hashtag sequence on the same day "based on the assumption that two
/// independent users are unlikely to post identical sequences of five or more hashtags on
/// the same day". Shorter sequences (a campaign's tag and one other) are shared by thousands
/// of accounts a day by chance: with two tags, 10 M posts gave 20 M candidate edges, none
/// significant, and half the stage's time.
pub const MIN_HASHTAG_SEQUENCE_TAGS: usize = 5;
/// Co-tweets need this many words: short texts ("bump", "so true") coincide by chance.
pub const MIN_COTWEET_WORDS: usize = 5;

/// Settings of the coordination stage (recorded in `summary.json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoordOptions {
    /// Windows in seconds; the first is the one clusters and account signals use. 10 s is
    /// CooRTweet's default; 1 s and 60 s bracket it.
    pub windows_s: Vec<f64>,
    /// The object kinds swept (all by default).
    pub kinds: Vec<ObjectKind>,
    /// Distinct objects a pair must share to be an edge.
    pub min_coactions: u32,
    /// Distinct objects an account must act on to be considered.
    pub min_objects_per_account: u32,
    /// Null-model shuffles.
    pub shuffles: u32,
    /// How expected co-actions are estimated.
    pub null: NullModel,
    /// Seed of the null model's random shuffles (same seed, same result).
    pub seed: u64,
    /// Family-wise error rate: an edge is significant when its Poisson p-value is below
    /// `alpha / candidate pairs` (Bonferroni) and it has `min_coactions`.
    pub alpha: f64,
    /// Memory guard: each action pairs with at most this many earlier actions in a window.
    pub max_accounts_in_window: usize,
}

impl Default for CoordOptions {
    fn default() -> Self {
        CoordOptions {
            windows_s: vec![10.0],
            kinds: ObjectKind::ALL.to_vec(),
            min_coactions: 3,
            min_objects_per_account: 2,
            shuffles: 20,
            null: NullModel::TimeShift,
            seed: 1,
            alpha: 0.05,
            max_accounts_in_window: 500,
        }
    }
}

/// One account's coordination, in the primary window.
#[derive(Debug, Clone, Default)]
pub struct AccountCoordination {
    /// Distinct accounts it shares a significant edge with.
    pub degree: u32,
    /// Its cluster (a connected component of significant edges, numbered from 0 by
    /// decreasing size); null when it is in none.
    pub cluster_id: Option<u32>,
    /// Accounts in its cluster; null when it is in none.
    pub cluster_size: Option<u32>,
}

/// One sweep: one object kind in one window.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepSummary {
    /// The object kind's name (see [`ObjectKind::as_str`]).
    pub object_kind: &'static str,
    /// The window, in s (a day for hashtag sequences).
    pub window_s: f64,
    /// Actions on objects of this kind (before each account's repeats are dropped).
    pub actions: usize,
    /// Distinct objects of this kind acted on.
    pub objects: usize,
    /// Distinct account pairs that co-acted at least once.
    pub candidate_pairs: usize,
    /// Pairs that co-acted on at least `min_coactions` distinct objects.
    pub edges: usize,
    /// Edges run through the null model: those with enough co-actions to pass its
    /// Bonferroni-corrected test if the null never produced one (the others are not tested).
    pub tested_edges: usize,
    /// Edges that pass the null model's Bonferroni-corrected test.
    pub significant_edges: usize,
    /// Actions whose window held more than `max_accounts_in_window` earlier actions, so
    /// paired only with the nearest: non-zero means the counts are lower bounds.
    pub truncated_windows: u64,
}

/// What the coordination stage found, for `summary.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoordSummary {
    /// The settings used.
    pub options: CoordOptions,
    /// One entry per object kind and window swept.
    pub sweeps: Vec<SweepSummary>,
    /// Clusters: connected components of the significant edges in the primary window
    /// (hashtag-sequence edges in their day window).
    pub clusters: usize,
    /// Accounts in any cluster.
    pub accounts_in_clusters: usize,
    /// Accounts in the largest cluster (0 without clusters).
    pub largest_cluster: usize,
}

/// The coordination stage's tables and per-account results.
pub struct Coordination {
    /// The significant edges (every candidate edge goes to the sink of [`detect_streaming`]).
    pub edges: DataFrame,
    /// Candidate edges: pairs with `min_coactions` shared objects, over every sweep.
    pub candidate_edges: usize,
    /// One row per cluster (`clusters.csv`): id, size, object kinds, first and last shared
    /// action, members, handles and example objects.
    pub clusters: DataFrame,
    /// The coordination of every account with a significant edge, keyed by
    /// `(platform, account_id)`; any other author has degree 0 and no cluster. (One entry per
    /// author held 2 M pairs of strings at 10 M posts, from coordination to the graph.)
    pub by_account: HashMap<crate::account_index::AccountKey, AccountCoordination>,
    /// Counts per sweep and of clusters.
    pub summary: CoordSummary,
}

/// [`Coordination::by_account`] keyed by borrowed `(platform, account_id)`, so that the
/// per-account lookups of the score stage make no strings (two per account at 10M posts).
pub fn borrowed_keys(
    by_account: &HashMap<crate::account_index::AccountKey, AccountCoordination>,
) -> foldhash::HashMap<(&str, &str), &AccountCoordination> {
    by_account
        .iter()
        .map(|(key, found)| ((key.platform.as_str(), key.account_id.as_str()), found))
        .collect()
}

/// Accounts numbered in order of first post (from the [`AccountIndex`]: no string hashed
/// here); their strings borrowed from the posts table.
#[derive(Default)]
struct Accounts<'a> {
    keys: Vec<(&'a str, &'a str)>,
    handles: Vec<Option<&'a str>>,
}

impl<'a> Accounts<'a> {
    /// Platform, id and handle columns of the accounts, to gather edge rows from.
    fn columns(&self) -> [Series; 3] {
        [
            Series::new(
                "platform".into(),
                self.keys.iter().map(|k| k.0).collect::<Vec<_>>(),
            ),
            Series::new(
                "account".into(),
                self.keys.iter().map(|k| k.1).collect::<Vec<_>>(),
            ),
            Series::new(
                "handle".into(),
                self.handles
                    .iter()
                    .map(|h| h.as_deref())
                    .collect::<Vec<_>>(),
            ),
        ]
    }
}

/// Actions on one kind of object. Objects are told apart by a 128-bit hash of their label
/// (SipHash-1-3: a collision among 10^7 objects has odds of about 10^-25) and
/// numbered in order of first action; the label itself is not kept (the normalised texts
/// and hashtag sequences were most of the stage's memory) but made again from the post that
/// first acted on the object when a cluster names it ([`Labels::label`]).
#[derive(Default)]
struct ObjectActions {
    actions: Vec<Action>,
    /// Per object, where it was first met: (row, position among that row's labels of
    /// this kind).
    origins: Vec<(u32, u32)>,
    index: foldhash::HashMap<u128, u32>,
}

impl ObjectActions {
    fn push(&mut self, account: u32, label: &str, origin: (u32, u32), time_ms: i64) {
        let next = self.origins.len() as u32;
        let object = *self.index.entry(label_hash(label)).or_insert(next);
        if object == next {
            self.origins.push(origin);
        }
        self.actions.push(Action {
            account,
            object,
            time_ms,
        });
    }
}

fn label_hash(label: &str) -> u128 {
    use siphasher::sip128::{Hasher128, SipHasher13};
    use std::hash::Hasher;
    let mut hasher = SipHasher13::new();
    hasher.write(label.as_bytes());
    hasher.finish128().as_u128()
}

/// A post's text as a co-tweet object: [`normalise_text`] with at least
/// [`MIN_COTWEET_WORDS`] words.
fn cotweet_text(text: &str) -> Option<String> {
    normalise_text(text, MIN_COTWEET_WORDS)
}

/// The posts' columns that object labels are made from.
struct Labels<'a> {
    platform: &'a StringChunked,
    kind: &'a StringChunked,
    parent: &'a StringChunked,
    text: &'a StringChunked,
    urls: crate::columns::StringLists<'a>,
    hashtags: crate::columns::StringLists<'a>,
    times: Vec<Option<i64>>,
}

impl<'a> Labels<'a> {
    fn new(posts: &'a DataFrame) -> Result<Self> {
        Ok(Labels {
            platform: posts.column("platform")?.str()?,
            kind: posts.column("kind")?.str()?,
            parent: posts.column("parent_post_id")?.str()?,
            text: posts.column("text")?.str()?,
            urls: crate::columns::StringLists::new(posts.column("urls")?)?,
            hashtags: crate::columns::StringLists::new(posts.column("hashtags")?)?,
            times: crate::columns::times_ms(posts, "created_at")?,
        })
    }

    /// Row `i`'s objects of `object_kind`, in order, into `out` (cleared first).
    fn of_row(&self, object_kind: ObjectKind, i: usize, out: &mut Vec<String>) {
        out.clear();
        let (Some(p), Some(t)) = (self.platform.get(i), self.times[i]) else {
            return;
        };
        let is_retweet = self.kind.get(i) == Some(RETWEET);
        match object_kind {
            ObjectKind::CoRetweet => {
                if let (true, Some(parent)) = (is_retweet, self.parent.get(i)) {
                    out.push(format!("{p}:{parent}"));
                }
            }
            ObjectKind::CoLink if !is_retweet => {
                let mut seen = BTreeSet::new();
                for url in self.urls.row(i) {
                    let normal = normalise_url(url);
                    if seen.insert(normal.clone()) {
                        out.push(normal);
                    }
                }
            }
            ObjectKind::CoTweet if !is_retweet => {
                if let Some(normal) = self.text.get(i).and_then(cotweet_text) {
                    out.push(normal);
                }
            }
            ObjectKind::HashtagSequence if !is_retweet => {
                let tags = self.hashtags.row(i);
                if tags.len() >= MIN_HASHTAG_SEQUENCE_TAGS {
                    let day = crate::ingest::text::iso_date(t).unwrap_or_default();
                    out.push(format!("{} @{day}", tags.join(" ")));
                }
            }
            _ => {}
        }
    }

    /// The label of an object first met at `origin` (see [`ObjectActions::origins`]).
    fn label(&self, object_kind: ObjectKind, origin: (u32, u32)) -> String {
        let mut labels = Vec::new();
        self.of_row(object_kind, origin.0 as usize, &mut labels);
        // The same function made the origin, so the position exists.
        labels
            .into_iter()
            .nth(origin.1 as usize)
            .unwrap_or_default()
    }
}

fn build_actions<'a>(
    posts: &'a DataFrame,
    labels: &Labels<'a>,
    index: &AccountIndex<'a>,
    kinds: &[ObjectKind],
) -> Result<(Accounts<'a>, BTreeMap<ObjectKind, ObjectActions>)> {
    let handle = posts.column("author_handle")?.str()?;
    let mut accounts = Accounts::default();
    let mut id_of_rank = vec![u32::MAX; index.len()];
    // Each row's acting account (numbered in order of first action), or u32::MAX.
    let mut account_of_row = vec![u32::MAX; labels.times.len()];
    for (i, &time) in labels.times.iter().enumerate() {
        let (Some(_), Some(rank), Some(_)) = (labels.platform.get(i), index.rank_of_row[i], time)
        else {
            continue;
        };
        account_of_row[i] = match id_of_rank[rank as usize] {
            u32::MAX => {
                let id = accounts.keys.len() as u32;
                id_of_rank[rank as usize] = id;
                accounts.keys.push(index.keys[rank as usize]);
                accounts.handles.push(handle.get(i));
                id
            }
            id => id,
        };
    }
    // Each kind's objects and actions on its own thread, rows in order: the same tables
    // as one pass over the rows for every kind (the pass was one core's work, 14 s at 10M).
    let kinds: Vec<ObjectKind> = kinds
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let objects = kinds
        .into_par_iter()
        .map(|object_kind| {
            let mut actions = ObjectActions::default();
            let mut row_labels = Vec::new();
            for (i, (&account, &time)) in account_of_row.iter().zip(&labels.times).enumerate() {
                // Every acting row has a time (the pass above numbered only those).
                let (true, Some(t)) = (account != u32::MAX, time) else {
                    continue;
                };
                labels.of_row(object_kind, i, &mut row_labels);
                for (position, label) in row_labels.iter().enumerate() {
                    actions.push(account, label, (i as u32, position as u32), t);
                }
            }
            (object_kind, actions)
        })
        .collect();
    Ok((accounts, objects))
}

fn rounded(value: f64) -> f64 {
    crate::rounding::rounded(value, crate::rounding::MICRO)
}

/// Candidate edges are handed to the sink in tables of at most this many rows (one Parquet
/// row group: a table of a million rows and its encoding were 400 MB of transient memory).
pub const CANDIDATE_CHUNK_ROWS: usize = 1 << 18;

/// Detects coordination in the posts table; the candidate edges are dropped (see
/// [`detect_streaming`]).
pub fn detect(posts: &DataFrame, options: &CoordOptions) -> Result<Coordination> {
    detect_streaming(
        posts,
        &AccountIndex::build(posts)?,
        options,
        &mut |_| Ok(()),
    )
}

/// An empty candidate-edge table: the columns and types [`detect_streaming`] hands out.
pub fn empty_edges() -> Result<DataFrame> {
    Ok(EdgeRows::default().into_dataframe(&Accounts::default())?)
}

/// Detects coordination in the posts table. Every candidate edge (with its expected count,
/// z and p-value) is handed to `candidates` in tables of at most [`CANDIDATE_CHUNK_ROWS`] rows,
/// in a fixed order, and dropped; only the significant ones are kept
/// ([`Coordination::edges`]): memory follows the answer, not the candidates (5.2 M candidate
/// edges at 3 M posts, nearly all hashtag-sequence pairs of which none is significant).
pub fn detect_streaming(
    posts: &DataFrame,
    index: &AccountIndex,
    options: &CoordOptions,
    candidates: &mut dyn FnMut(DataFrame) -> Result<()>,
) -> Result<Coordination> {
    detect_from(posts, index, options, PairSource::Sweep, candidates)
}

/// [`detect_streaming`] with the candidate pairs of each sweep from `source`: the local
/// sweep, or pairs counted elsewhere (`run --engine`: a Ballista cluster's
/// `coaction_pairs`), which then go through the same null model, significance test,
/// clusters and tables.
pub fn detect_from(
    posts: &DataFrame,
    index: &AccountIndex,
    options: &CoordOptions,
    source: PairSource,
    candidates: &mut dyn FnMut(DataFrame) -> Result<()>,
) -> Result<Coordination> {
    anyhow::ensure!(
        !options.windows_s.is_empty(),
        "at least one window is needed"
    );
    let began = std::time::Instant::now();
    let phase = |name: &str, since| crate::measure::stage_timing("coordination", name, since);
    let labels = Labels::new(posts)?;
    let (accounts, objects) = build_actions(posts, &labels, index, &options.kinds)?;
    phase("actions", began);
    let n_accounts = accounts.keys.len();
    let primary_window_s = options.windows_s[0];
    // Accounts' numbers by name, for pairs counted elsewhere.
    let id_by_key: foldhash::HashMap<(&str, &str), u32> = match source {
        PairSource::Sweep => Default::default(),
        PairSource::Reduced(_) => (0u32..)
            .zip(accounts.keys.iter())
            .map(|(id, &key)| (key, id))
            .collect(),
    };
    let id_of = |platform: &str, account: &str| id_by_key.get(&(platform, account)).copied();

    let mut edge_rows = EdgeRows::default();
    let mut significant_rows = EdgeRows::default();
    let mut candidate_edges = 0;
    let mut sweeps = Vec::new();
    let mut primary_edges: Vec<(ObjectKind, sweep::PairStats)> = Vec::new();
    for (&kind, object_actions) in &objects {
        let windows: Vec<f64> = if kind == ObjectKind::HashtagSequence {
            vec![HASHTAG_SEQUENCE_WINDOW_S]
        } else {
            options.windows_s.clone()
        };
        for window_s in windows {
            let config = SweepConfig {
                window_ms: (window_s * 1000.0).round() as i64,
                min_coactions: options.min_coactions,
                min_objects_per_account: options.min_objects_per_account,
                max_accounts_in_window: options.max_accounts_in_window,
            };
            let began = std::time::Instant::now();
            let report = match source {
                PairSource::Sweep => sweep::sweep(&object_actions.actions, &config)?,
                PairSource::Reduced(reduced) => reduced.report(kind, config.window_ms, &id_of)?,
            };
            phase(&format!("{} {window_s} s sweep", kind.as_str()), began);
            let began = std::time::Instant::now();
            let threshold = options.alpha / report.distinct_pairs.max(1) as f64;
            // Edges whose co-actions are too few to pass the Bonferroni threshold even if
            // the null never produced one are not run through it (at 10 M posts nearly all
            // hashtag-sequence edges): the same edges are significant, and their
            // significance columns are null ("not tested").
            let mut tested = Vec::with_capacity(report.edges.len());
            for edge in &report.edges {
                tested.push(
                    sweep::smallest_p_value(edge.coactions, options.shuffles)?
                        <= UNTESTED_MARGIN * threshold,
                );
            }
            let to_test: Vec<sweep::PairStats> = report
                .edges
                .iter()
                .zip(&tested)
                .filter(|(_, t)| **t)
                .map(|(e, _)| *e)
                .collect();
            let significance = if to_test.is_empty() {
                Vec::new()
            } else {
                let null = match options.null {
                    NullModel::TimeShift => sweep::shift_null_model,
                    NullModel::Permute => sweep::null_model,
                };
                null(
                    &object_actions.actions,
                    &config,
                    &to_test,
                    options.shuffles,
                    options.seed,
                )?
            };
            phase(&format!("{} {window_s} s null model", kind.as_str()), began);
            let began = std::time::Instant::now();
            let mut significance = significance.iter();
            let mut significant = 0;
            for (edge, &tested) in report.edges.iter().zip(&tested) {
                let sig = if tested { significance.next() } else { None };
                let keep = sig.is_some_and(|sig| {
                    edge.coactions >= options.min_coactions && sig.p_value <= threshold
                });
                significant += usize::from(keep);
                edge_rows.push(kind, window_s, edge, sig, keep);
                if keep {
                    significant_rows.push(kind, window_s, edge, sig, keep);
                }
                if edge_rows.coactions.len() >= CANDIDATE_CHUNK_ROWS {
                    candidates(std::mem::take(&mut edge_rows).into_dataframe(&accounts)?)?;
                }
                let is_primary =
                    window_s == primary_window_s || kind == ObjectKind::HashtagSequence;
                if keep && is_primary {
                    primary_edges.push((kind, *edge));
                }
            }
            phase(&format!("{} {window_s} s edge rows", kind.as_str()), began);
            candidate_edges += report.edges.len();
            sweeps.push(SweepSummary {
                object_kind: kind.as_str(),
                window_s,
                actions: object_actions.actions.len(),
                objects: object_actions.origins.len(),
                candidate_pairs: report.distinct_pairs,
                edges: report.edges.len(),
                tested_edges: to_test.len(),
                significant_edges: significant,
                truncated_windows: report.truncated_windows,
            });
        }
    }

    if !edge_rows.coactions.is_empty() {
        candidates(std::mem::take(&mut edge_rows).into_dataframe(&accounts)?)?;
    }
    let began = std::time::Instant::now();
    let pairs: Vec<sweep::PairStats> = primary_edges.iter().map(|(_, e)| *e).collect();
    let clusters = sweep::clusters(n_accounts, &pairs, &vec![true; pairs.len()])?;
    let cluster_of = sweep::cluster_of(n_accounts, &clusters);
    let mut partners: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); n_accounts];
    let mut cluster_kinds: BTreeMap<u32, BTreeSet<&'static str>> = BTreeMap::new();
    for (kind, edge) in &primary_edges {
        partners[edge.a as usize].insert(edge.b);
        partners[edge.b as usize].insert(edge.a);
        if let Some(c) = cluster_of[edge.a as usize] {
            cluster_kinds.entry(c).or_default().insert(kind.as_str());
        }
    }
    let mut by_account = HashMap::new();
    for (i, key) in accounts.keys.iter().enumerate() {
        let cluster_id = cluster_of[i];
        if partners[i].is_empty() && cluster_id.is_none() {
            continue;
        }
        by_account.insert(
            crate::account_index::AccountKey::new(key.0, key.1),
            AccountCoordination {
                degree: partners[i].len() as u32,
                cluster_id,
                cluster_size: cluster_id.map(|c| clusters[c as usize].members.len() as u32),
            },
        );
    }
    let cluster_table = cluster_table(
        &clusters,
        &cluster_of,
        &cluster_kinds,
        &accounts,
        &objects,
        &labels,
    )?;
    let summary = CoordSummary {
        options: options.clone(),
        sweeps,
        clusters: clusters.len(),
        accounts_in_clusters: clusters.iter().map(|c| c.members.len()).sum(),
        largest_cluster: clusters.iter().map(|c| c.members.len()).max().unwrap_or(0),
    };
    phase("clusters", began);
    Ok(Coordination {
        edges: significant_rows.into_dataframe(&accounts)?,
        candidate_edges,
        clusters: cluster_table,
        by_account,
        summary,
    })
}

/// Edge rows with accounts as dense ids; their strings are gathered once, column by column,
/// when the table is built (a `String` per cell was most of the stage's memory at 10 M posts).
#[derive(Default)]
struct EdgeRows {
    window_s: Vec<f64>,
    object_kind: Vec<&'static str>,
    a: Vec<IdxSize>,
    b: Vec<IdxSize>,
    coactions: Vec<u32>,
    a_first: Vec<u32>,
    b_first: Vec<u32>,
    symmetry: Vec<f64>,
    min_dt_s: Vec<f64>,
    median_dt_s: Vec<f64>,
    expected: Vec<Option<f64>>,
    z: Vec<Option<f64>>,
    p_value: Vec<Option<f64>>,
    significant: Vec<bool>,
}

impl EdgeRows {
    fn push(
        &mut self,
        kind: ObjectKind,
        window_s: f64,
        edge: &sweep::PairStats,
        sig: Option<&sweep::EdgeSignificance>,
        keep: bool,
    ) {
        self.window_s.push(window_s);
        self.object_kind.push(kind.as_str());
        self.a.push(edge.a as IdxSize);
        self.b.push(edge.b as IdxSize);
        self.coactions.push(edge.coactions);
        self.a_first.push(edge.a_first);
        self.b_first.push(edge.b_first);
        self.symmetry.push(rounded(edge.symmetry()));
        self.min_dt_s.push(edge.min_dt_ms as f64 / 1000.0);
        self.median_dt_s.push(edge.median_dt_ms as f64 / 1000.0);
        self.expected.push(sig.map(|s| rounded(s.expected)));
        self.z.push(sig.map(|s| rounded(s.z)));
        self.p_value.push(sig.map(|s| s.p_value));
        self.significant.push(keep);
    }

    fn into_dataframe(self, accounts: &Accounts) -> PolarsResult<DataFrame> {
        let height = self.coactions.len();
        let [platform, account, handle] = accounts.columns();
        let (a, b) = (
            IdxCa::from_vec("a".into(), self.a),
            IdxCa::from_vec("b".into(), self.b),
        );
        let gather = |values: &Series, rows: &IdxCa, name: &str| -> PolarsResult<Column> {
            Ok(values.take(rows)?.with_name(name.into()).into())
        };
        DataFrame::new(
            height,
            vec![
                Column::new("window_s".into(), self.window_s),
                Column::new("object_kind".into(), self.object_kind),
                gather(&platform, &a, "platform_a")?,
                gather(&account, &a, "account_a")?,
                gather(&handle, &a, "handle_a")?,
                gather(&platform, &b, "platform_b")?,
                gather(&account, &b, "account_b")?,
                gather(&handle, &b, "handle_b")?,
                Column::new("coactions".into(), self.coactions),
                Column::new("a_first".into(), self.a_first),
                Column::new("b_first".into(), self.b_first),
                Column::new("symmetry".into(), self.symmetry),
                Column::new("min_dt_s".into(), self.min_dt_s),
                Column::new("median_dt_s".into(), self.median_dt_s),
                Column::new("expected".into(), self.expected),
                Column::new("z".into(), self.z),
                Column::new("p_value".into(), self.p_value),
                Column::new("significant".into(), self.significant),
            ],
        )
    }
}

/// (cluster, object kind, object).
type SharedObject = (u32, ObjectKind, u32);
/// Members of a cluster that acted on an object, and the first and last of their actions.
type SharedActivity = (BTreeSet<u32>, i64, i64);

/// One row per cluster: members, object kinds, the time span of the members' actions on
/// objects two or more of them shared, and the objects most members acted on.
fn cluster_table(
    clusters: &[sweep::Cluster],
    cluster_of: &[Option<u32>],
    cluster_kinds: &BTreeMap<u32, BTreeSet<&'static str>>,
    accounts: &Accounts,
    objects: &BTreeMap<ObjectKind, ObjectActions>,
    labels: &Labels,
) -> Result<DataFrame> {
    // (cluster, kind, object) -> (distinct members, first, last)
    let mut shared: BTreeMap<SharedObject, SharedActivity> = BTreeMap::new();
    for (&kind, object_actions) in objects {
        for action in &object_actions.actions {
            if let Some(c) = cluster_of[action.account as usize] {
                let entry = shared
                    .entry((c, kind, action.object))
                    .or_insert_with(|| (BTreeSet::new(), i64::MAX, i64::MIN));
                entry.0.insert(action.account);
                entry.1 = entry.1.min(action.time_ms);
                entry.2 = entry.2.max(action.time_ms);
            }
        }
    }
    let datetime = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let mut first = vec![None; clusters.len()];
    let mut last = vec![None; clusters.len()];
    let mut examples: Vec<Vec<(usize, String)>> = vec![Vec::new(); clusters.len()];
    for ((c, kind, object), (members, start, end)) in &shared {
        if members.len() < 2 {
            continue;
        }
        let c = *c as usize;
        first[c] = Some(first[c].map_or(*start, |f: i64| f.min(*start)));
        last[c] = Some(last[c].map_or(*end, |l: i64| l.max(*end)));
        examples[c].push((
            members.len(),
            format!(
                "{}: {}",
                kind.as_str(),
                labels.label(*kind, objects[kind].origins[*object as usize])
            ),
        ));
    }
    let example_text: Vec<String> = examples
        .into_iter()
        .map(|mut list| {
            list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            list.into_iter()
                .take(3)
                .map(|(n, label)| format!("{label} ({n} members)"))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let member_ids = |c: &sweep::Cluster| {
        c.members
            .iter()
            .map(|&m| {
                format!(
                    "{}:{}",
                    accounts.keys[m as usize].0, accounts.keys[m as usize].1
                )
            })
            .collect::<Vec<_>>()
            .join(";")
    };
    let member_handles = |c: &sweep::Cluster| {
        c.members
            .iter()
            .map(|&m| accounts.handles[m as usize].unwrap_or_default())
            .collect::<Vec<_>>()
            .join(";")
    };
    Ok(DataFrame::new(
        clusters.len(),
        vec![
            Column::new(
                "cluster_id".into(),
                clusters.iter().map(|c| c.id).collect::<Vec<_>>(),
            ),
            Column::new(
                "size".into(),
                clusters
                    .iter()
                    .map(|c| c.members.len() as u32)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "object_kinds".into(),
                clusters
                    .iter()
                    .map(|c| {
                        cluster_kinds
                            .get(&c.id)
                            .map(|k| k.iter().copied().collect::<Vec<_>>().join(";"))
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>(),
            ),
            Column::new("first_action_at".into(), first).cast(&datetime)?,
            Column::new("last_action_at".into(), last).cast(&datetime)?,
            Column::new(
                "members".into(),
                clusters.iter().map(member_ids).collect::<Vec<_>>(),
            ),
            Column::new(
                "handles".into(),
                clusters.iter().map(member_handles).collect::<Vec<_>>(),
            ),
            Column::new("example_objects".into(), example_text),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtag_sequences_need_five_tags_and_are_per_day() {
        let list = |rows: &[&[&str]]| {
            let rows: Vec<Series> = rows
                .iter()
                .map(|tags| Series::new("".into(), tags.to_vec()))
                .collect();
            Column::from(Series::new("hashtags".into(), rows))
        };
        let mut posts = df! {
            "platform" => ["twitter"; 4],
            "kind" => ["tweet", "tweet", "retweet", "tweet"],
            "parent_post_id" => [None::<&str>, None, Some("1"), None],
            "text" => ["a"; 4],
            "created_at" => [0i64, 1_000, 2_000, 86_400_000],
        }
        .unwrap();
        let five: &[&str] = &["a", "b", "c", "d", "e"];
        posts
            .with_column(list(&[five, &["a", "b", "c", "d"], five, five]))
            .unwrap();
        posts
            .with_column(list(&[&[], &[], &[], &[]]).with_name("urls".into()))
            .unwrap();
        let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let times = posts.column("created_at").unwrap().cast(&utc).unwrap();
        posts.with_column(times).unwrap();
        let labels = Labels::new(&posts).unwrap();
        let mut out = Vec::new();
        let mut of_row = |i| {
            labels.of_row(ObjectKind::HashtagSequence, i, &mut out);
            out.clone()
        };
        assert_eq!(of_row(0), ["a b c d e @1970-01-01"]);
        assert!(of_row(1).is_empty(), "four tags are not a sequence");
        assert!(
            of_row(2).is_empty(),
            "a retweet is not the retweeter's sequence"
        );
        assert_eq!(of_row(3), ["a b c d e @1970-01-02"]);
    }

    /// A small world: six accounts retweet, link and post the same things within seconds,
    /// thirty others at random through twenty minutes.
    fn coordinated_world() -> DataFrame {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        /// Author, kind, parent, text, URLs, time (ms).
        type Row = (
            String,
            &'static str,
            Option<String>,
            String,
            Vec<String>,
            i64,
        );
        let mut rows: Vec<Row> = Vec::new();
        for object in 0..12u64 {
            let base = 3_600_000 * object as i64;
            for member in 0..6u64 {
                let t = base + 700 * member as i64 + next(900) as i64;
                rows.push((
                    format!("a{member}"),
                    "retweet",
                    Some(format!("o{object}")),
                    format!("RT o{object}"),
                    vec![],
                    t,
                ));
                if object % 3 == 0 {
                    let text = format!("the leak number {object} is real read it");
                    let url = format!("https://www.Example.org/leak/{object}?utm_source=x");
                    rows.push((
                        format!("a{member}"),
                        "tweet",
                        None,
                        text,
                        vec![url],
                        t + 1_000,
                    ));
                }
            }
        }
        // Crowded enough that chance pairs reach three co-actions without being significant.
        for _ in 0..600 {
            let account = 6 + next(30);
            let t = next(1_200_000) as i64;
            if next(2) == 0 {
                let object = next(12);
                rows.push((
                    format!("a{account}"),
                    "retweet",
                    Some(format!("o{object}")),
                    format!("RT o{object}"),
                    vec![],
                    t,
                ));
            } else {
                let url = format!("https://example.org/leak/{}", next(8));
                rows.push((
                    format!("a{account}"),
                    "tweet",
                    None,
                    format!("my own words {} about it all", next(5)),
                    vec![url],
                    t,
                ));
            }
        }
        rows.sort_by_key(|r| r.5);
        let n = rows.len();
        let urls: Vec<Series> = rows
            .iter()
            .map(|r| Series::new("".into(), r.4.clone()))
            .collect();
        let no_tags: Vec<Series> = (0..n)
            .map(|_| Series::new("".into(), Vec::<String>::new()))
            .collect();
        let mut posts = df! {
            "platform" => vec!["twitter"; n],
            "author_id" => rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            "author_handle" => rows.iter().map(|r| format!("@{}", r.0)).collect::<Vec<_>>(),
            "kind" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "parent_post_id" => rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
            "text" => rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>(),
            "urls" => urls,
            "hashtags" => no_tags,
            "created_at" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        }
        .unwrap();
        let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let times = posts.column("created_at").unwrap().cast(&utc).unwrap();
        posts.with_column(times).unwrap();
        posts
    }

    /// `run --engine` takes the cluster's pairs in place of the sweep: given the sweep's own
    /// candidate edges (each pair turned round, the rows reversed), every table and count
    /// must come out as from the sweep.
    #[test]
    fn pairs_counted_elsewhere_give_the_sweeps_results() {
        use reduced::{ReducedPair, ReducedPairs, ReducedSweep};
        let posts = coordinated_world();
        let index = AccountIndex::build(&posts).unwrap();
        // Two windows (a wide one first, in which chance pairs of the crowd reach three
        // co-actions without being significant, and 10 s), as `run --window 300 --window 10`.
        let options = CoordOptions {
            windows_s: vec![300.0, 10.0],
            ..CoordOptions::default()
        };
        let detect = |source: PairSource| {
            let mut candidates = Vec::new();
            let found = detect_from(&posts, &index, &options, source, &mut |table| {
                candidates.push(table);
                Ok(())
            })
            .unwrap();
            let mut all = empty_edges().unwrap();
            for table in &candidates {
                all.vstack_mut(table).unwrap();
            }
            (found, all)
        };
        let (local, local_candidates) = detect(PairSource::Sweep);
        assert!(local.edges.height() > 0, "the world has significant edges");
        assert!(local_candidates.height() > local.edges.height());

        let kind_of = |name: &str| {
            ObjectKind::ALL
                .into_iter()
                .find(|k| k.as_str() == name)
                .unwrap()
        };
        let ms = |s: f64| (s * 1000.0).round() as i64;
        let mut pairs = ReducedPairs::default();
        for sweep in &local.summary.sweeps {
            pairs.sweeps.insert(
                (kind_of(sweep.object_kind), ms(sweep.window_s)),
                ReducedSweep {
                    pairs: Vec::new(),
                    distinct_pairs: sweep.candidate_pairs,
                    truncated_windows: sweep.truncated_windows,
                },
            );
        }
        let c = &local_candidates;
        let text = |name: &str, i: usize| {
            c.column(name)
                .unwrap()
                .str()
                .unwrap()
                .get(i)
                .unwrap()
                .to_string()
        };
        let int = |name: &str, i: usize| c.column(name).unwrap().u32().unwrap().get(i).unwrap();
        let float = |name: &str, i: usize| c.column(name).unwrap().f64().unwrap().get(i).unwrap();
        for i in 0..c.height() {
            let key = (kind_of(&text("object_kind", i)), ms(float("window_s", i)));
            pairs.sweeps.get_mut(&key).unwrap().pairs.push(ReducedPair {
                platform_a: text("platform_b", i),
                account_a: text("account_b", i),
                platform_b: text("platform_a", i),
                account_b: text("account_a", i),
                coactions: int("coactions", i),
                a_first: int("b_first", i),
                b_first: int("a_first", i),
                min_dt_ms: ms(float("min_dt_s", i)),
                median_dt_ms: ms(float("median_dt_s", i)),
            });
        }
        for sweep in pairs.sweeps.values_mut() {
            sweep.pairs.reverse();
        }
        let (elsewhere, elsewhere_candidates) = detect(PairSource::Reduced(&pairs));
        assert!(local_candidates.equals_missing(&elsewhere_candidates));
        assert!(local.edges.equals_missing(&elsewhere.edges));
        assert!(local.clusters.equals_missing(&elsewhere.clusters));
        assert_eq!(
            serde_json::to_string(&local.summary).unwrap(),
            serde_json::to_string(&elsewhere.summary).unwrap()
        );

        // A pair the cluster never counted changes the result: the test can fail.
        let first = pairs
            .sweeps
            .values_mut()
            .find(|s| !s.pairs.is_empty())
            .unwrap();
        first.pairs.pop();
        let (fewer, _) = detect(PairSource::Reduced(&pairs));
        assert_ne!(
            serde_json::to_string(&local.summary).unwrap(),
            serde_json::to_string(&fewer.summary).unwrap()
        );
    }

    #[test]
    fn short_texts_do_not_count() {
        assert_eq!(cotweet_text("bump"), None);
        assert_eq!(
            cotweet_text("RT this NOW @bob the leak is real https://t.co/x").as_deref(),
            Some("rt this now the leak is real")
        );
    }
}
