//! Coordinated-action detection: which accounts repeatedly act on the same object within
//! seconds of each other, and is that more than coincidence?
//!
//! An *object* is whatever the caller interned: the retweeted tweet (co-retweet), a normalised
//! URL (co-link), a normalised text (co-tweet) or an ordered hashtag sequence bucketed per day.
//! Two accounts *co-act* when both act on the same object with `|Δt| ≤ window_ms`
//! (Keller et al. 2020, "Political astroturfing on Twitter"; Pacheco et al. 2021, "Uncovering
//! coordinated networks on social media"; Giglietto et al., CooRnet; Righetti & Balluff,
//! CooRTweet, whose default window is 10 s; Graham et al., QUT coordination-network-toolkit).
//!
//! Those tools compare all pairs of actions per object and run out of memory on viral objects
//! (CooRnet failed on 142,000 shares with 256 GB). Here actions are sorted by (object, time) and
//! swept with a window, so only pairs that actually fall inside the window are ever met, and a
//! per-action cap bounds what a viral burst can cost. Pairs are counted one account (one row of
//! the co-action matrix) at a time, so co-action records are never materialised: memory follows
//! the actions and the edges, not the pairs that co-acted once.
//!
//! Rules, chosen to match CooRTweet:
//! * Each account keeps only its **first** action per object (later repeats of the same retweet,
//!   link or text are dropped), so an account pair co-acts at most once per object and
//!   [`PairStats::coactions`] is the number of **distinct objects** they co-acted on.
//! * Accounts acting on fewer than [`SweepConfig::min_objects_per_account`] distinct objects are
//!   dropped before the sweep (one pass, not iterated).
//! * Account ids are expected to be interned (dense); sparse ids are remapped internally, which
//!   costs one extra sort.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use anyhow::{Context, Result, ensure};
use petgraph::unionfind::UnionFind;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{DiscreteCDF, Poisson};

/// One action (retweet, share, post) by an interned account on an interned object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The acting account's dense id.
    pub account: u32,
    /// The object's dense id.
    pub object: u32,
    /// When the account acted, in ms since the Unix epoch.
    pub time_ms: i64,
}

/// Parameters of the windowed sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// Two actions co-act when `|Δt| ≤ window_ms` (inclusive; 0 means identical timestamps).
    pub window_ms: i64,
    /// Minimum distinct objects co-acted on for a pair to become an edge.
    pub min_coactions: u32,
    /// Accounts with fewer distinct objects are dropped before the sweep: they cannot reach
    /// `min_coactions ≥ 2`, and dropping them early saves most of the work on real data.
    pub min_objects_per_account: u32,
    /// Memory/time guard: each action is paired with at most this many *preceding* actions of
    /// the same object inside the window (the nearest ones in time). Bounds the pair records
    /// produced by the sweep to `actions × max_accounts_in_window`.
    pub max_accounts_in_window: usize,
}

impl Default for SweepConfig {
    /// 10 s window as in CooRTweet; edges need two co-actions; 500 accounts per window.
    fn default() -> Self {
        Self {
            window_ms: 10_000,
            min_coactions: 2,
            min_objects_per_account: 2,
            max_accounts_in_window: 500,
        }
    }
}

/// Co-action statistics of one account pair (`a < b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairStats {
    /// The pair's first account (dense id, the smaller of the two).
    pub a: u32,
    /// The pair's second account (dense id, the larger of the two).
    pub b: u32,
    /// Distinct objects on which `a` and `b` acted within the window.
    pub coactions: u32,
    /// Co-actions where `a` acted strictly first.
    pub a_first: u32,
    /// Co-actions where `b` acted strictly first (ties count for neither).
    pub b_first: u32,
    /// Smallest `|Δt|` over the co-actions.
    pub min_dt_ms: i64,
    /// Exact median `|Δt|` over the co-actions (mean of the two middle values, rounded down,
    /// for an even count).
    pub median_dt_ms: i64,
}

impl PairStats {
    /// `min(a_first, b_first) / coactions`: near 0 for leader/follower pairs (one account
    /// always amplifies the other), up to 0.5 for pairs that take turns.
    pub fn symmetry(&self) -> f64 {
        if self.coactions == 0 {
            return 0.0;
        }
        f64::from(self.a_first.min(self.b_first)) / f64::from(self.coactions)
    }
}

/// Result of [`sweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Edges with `coactions ≥ min_coactions`, sorted by `(a, b)`.
    pub edges: Vec<PairStats>,
    /// Objects with at least one action left after deduplication and filtering.
    pub objects: usize,
    /// Actions left after keeping each account's first action per object and dropping
    /// accounts below `min_objects_per_account`.
    pub actions_used: usize,
    /// Actions whose window held more than `max_accounts_in_window` earlier actions and were
    /// therefore paired only with the nearest ones. Non-zero means counts are lower bounds.
    pub truncated_windows: u64,
    /// Co-action records met by the sweep (each unordered pair of co-acting actions once);
    /// none is stored beyond its account's row.
    pub pair_records: usize,
    /// Most co-action records one row held at once (16 bytes each, only those of the row's
    /// edges): the sweep's memory beyond a copy of the input, per-account positions and a
    /// counter per account and thread.
    pub peak_pairs: usize,
    /// Distinct account pairs with at least one co-action, before `min_coactions`.
    pub distinct_pairs: usize,
}

/// Significance of one observed edge against the time-shuffled null model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeSignificance {
    /// Mean co-actions of the pair across shuffles (0 when it never co-acted).
    pub expected: f64,
    /// `(observed − expected) / sqrt(expected + 1)`; the `+1` keeps pairs that never co-act
    /// by chance from getting infinite scores.
    pub z: f64,
    /// Poisson upper tail `P(X ≥ observed)` with mean `max(expected, 0.5 / shuffles)`; can
    /// resolve p-values far below `1 / shuffles`, but assumes Poisson variance.
    pub p_value: f64,
    /// `(1 + #shuffles with co-actions ≥ observed) / (1 + shuffles)`: assumption-free but
    /// never below `1 / (shuffles + 1)`.
    pub p_empirical: f64,
}

/// A connected component of kept edges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// 0 for the largest cluster; ties broken by smallest member.
    pub id: u32,
    /// Sorted account ids.
    pub members: Vec<u32>,
}

// ---------------------------------------------------------------------------------------------
// Preparation: dedup, filter, group by object, sort by time.

/// Actions ready for sweeping: dense account ids, grouped by object, each group sorted by
/// (time, account).
struct Prepared {
    actions: Vec<Action>,
    groups: Vec<Range<usize>>,
    /// Dense id → original id, when the input ids were too sparse to index arrays directly.
    original_ids: Option<Vec<u32>>,
    n_accounts: usize,
}

impl Prepared {
    fn group(&self, range: &Range<usize>) -> &[Action] {
        &self.actions[range.clone()]
    }

    fn original(&self, dense: u32) -> u32 {
        match &self.original_ids {
            Some(ids) => ids[dense as usize],
            None => dense,
        }
    }

    fn dense(&self, original: u32) -> Option<u32> {
        match &self.original_ids {
            Some(ids) => ids.binary_search(&original).ok().map(|i| i as u32),
            None => ((original as usize) < self.n_accounts).then_some(original),
        }
    }
}

fn validate(config: &SweepConfig) -> Result<()> {
    ensure!(
        (0..=MAX_WINDOW_MS).contains(&config.window_ms),
        "window_ms must be between 0 and {MAX_WINDOW_MS}, got {}",
        config.window_ms
    );
    ensure!(
        config.max_accounts_in_window >= 1,
        "max_accounts_in_window must be at least 1"
    );
    Ok(())
}

/// Largest window whose Δt still fits the packed co-action record.
const MAX_WINDOW_MS: i64 = 1 << 60;

fn prepare(input: &[Action], config: &SweepConfig) -> Prepared {
    let max_id = input.par_iter().map(|a| a.account).max().unwrap_or(0) as usize;
    // Dense ids index per-account arrays directly; very sparse ids are remapped monotonically
    // (so `a < b` and edge order are preserved) to keep those arrays small.
    let (mut actions, original_ids, n_accounts) = if max_id < 4 * input.len() + (1 << 20) {
        (
            input.to_vec(),
            None,
            if input.is_empty() { 0 } else { max_id + 1 },
        )
    } else {
        let mut ids: Vec<u32> = input.par_iter().map(|a| a.account).collect();
        ids.par_sort_unstable();
        ids.dedup();
        let actions: Vec<Action> = input
            .par_iter()
            .map(|a| Action {
                account: ids.binary_search(&a.account).expect("id collected above") as u32,
                ..*a
            })
            .collect();
        let n = ids.len();
        (actions, Some(ids), n)
    };

    // First action of each account per object (CooRTweet's rule).
    actions.par_sort_unstable_by_key(|a| (a.object, a.account, a.time_ms));
    actions.dedup_by_key(|a| (a.object, a.account));

    let mut objects_per_account = vec![0u32; n_accounts];
    for a in &actions {
        objects_per_account[a.account as usize] += 1;
    }
    actions.retain(|a| objects_per_account[a.account as usize] >= config.min_objects_per_account);

    actions
        .par_chunk_by_mut(|x, y| x.object == y.object)
        .for_each(|group| group.sort_unstable_by_key(|a| (a.time_ms, a.account)));

    let mut groups = Vec::new();
    let mut start = 0;
    for (i, pair) in actions.windows(2).enumerate() {
        if pair[0].object != pair[1].object {
            groups.push(start..i + 1);
            start = i + 1;
        }
    }
    if !actions.is_empty() {
        groups.push(start..actions.len());
    }
    Prepared {
        actions,
        groups,
        original_ids,
        n_accounts,
    }
}

// ---------------------------------------------------------------------------------------------
// The sweep.

/// Calls `emit(earlier, later)` for every co-acting pair of one object's actions (sorted by
/// time), pairing each action with at most `cap` nearest earlier ones; returns how many actions
/// had their window truncated.
#[inline]
fn for_each_coaction(
    group: &[Action],
    window_ms: u64,
    cap: usize,
    mut emit: impl FnMut(&Action, &Action),
) -> u64 {
    let mut truncated = 0;
    let mut lo = 0;
    for (j, later) in group.iter().enumerate() {
        while later.time_ms.abs_diff(group[lo].time_ms) > window_ms {
            lo += 1;
        }
        let start = if j - lo > cap {
            truncated += 1;
            j - cap
        } else {
            lo
        };
        for earlier in &group[start..j] {
            emit(earlier, later);
        }
    }
    truncated
}

const A_FIRST: u64 = 0;
const TIE: u64 = 1;
const B_FIRST: u64 = 2;

#[inline]
fn pair_key(x: u32, y: u32) -> u64 {
    let (a, b) = if x < y { (x, y) } else { (y, x) };
    (u64::from(a) << 32) | u64::from(b)
}

/// Packs one co-action as `pair key (64 bits) | Δt (62 bits) | who-first (2 bits)`, so a plain
/// sort groups records by pair with Δt ascending: min and median fall out of the sorted run.
#[cfg(test)]
fn encode(earlier: &Action, later: &Action) -> u128 {
    let dt = later.time_ms.abs_diff(earlier.time_ms);
    let who = if dt == 0 {
        TIE
    } else if earlier.account < later.account {
        A_FIRST
    } else {
        B_FIRST
    };
    (u128::from(pair_key(earlier.account, later.account)) << 64) | u128::from((dt << 2) | who)
}

/// Co-action network of the actions, one account at a time: row `a` of the product of the
/// sparse account × (object, time) incidence matrix with its transpose, restricted to the
/// window and to partners `b > a`.
///
/// For each account (blocks of accounts in parallel, rows in id order) the sweep visits the
/// window around each of its actions in that object's time-sorted actions. A dense
/// per-thread counter gives the row's distinct partners (the candidate pairs); only the
/// co-actions of partners that reach `min_coactions` are visited again, packed and sorted
/// into [`PairStats`]. No co-action record outlives its row, so memory is linear in the
/// actions and edges plus, per thread, a counter per account and one row's edge records,
/// however many pairs co-act (the sort-reduce over all records it replaces held 16 bytes per
/// co-action: 14 GB for 10 M posts), and time is linear in the co-action records (each met
/// once from each side).
///
/// Same pairs as the pairwise rules, the cap included: an action pairs with its
/// `max_accounts_in_window` nearest earlier actions of the object inside the window, so from
/// the action at position `j` of its object the partners are the earlier ones in
/// `[max(lo_j, j − cap), j)` and the later ones `k` with `j < k ≤ j + cap` and
/// `t_k − t_j ≤ window`. Deterministic for any thread count (rows are independent and
/// concatenated in account order).
pub fn sweep(actions: &[Action], config: &SweepConfig) -> Result<SweepReport> {
    validate(config)?;
    let prepared = prepare(actions, config);
    let window = config.window_ms as u64;
    let cap = config.max_accounts_in_window;
    let min = config.min_coactions;
    let n = prepared.n_accounts;
    let all = &prepared.actions;

    // Each action's object group, and each account's actions (positions, CSR layout).
    let mut group_of = vec![0u32; all.len()];
    for (g, r) in prepared.groups.iter().enumerate() {
        group_of[r.clone()].fill(g as u32);
    }
    let mut offsets = vec![0usize; n + 1];
    for a in all {
        offsets[a.account as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut positions = vec![0u32; all.len()];
    {
        let mut next = offsets.clone();
        for (p, a) in all.iter().enumerate() {
            let slot = &mut next[a.account as usize];
            positions[*slot] = p as u32;
            *slot += 1;
        }
    }

    // Calls `visit(b, record)` for every co-action of account `a` with a partner `b > a`;
    // returns (co-action records of `a`'s actions as the later one, truncated windows).
    let row = |a: usize, visit: &mut dyn FnMut(u32, u128)| -> (usize, u64) {
        let (mut records, mut truncated) = (0, 0);
        for &p in &positions[offsets[a]..offsets[a + 1]] {
            let p = p as usize;
            let range = &prepared.groups[group_of[p] as usize];
            let group = &all[range.clone()];
            let j = p - range.start;
            let me = group[j];
            let key = u128::from(me.account) << 96;
            // Earlier partners: the nearest `cap` inside the window.
            let from = j.saturating_sub(cap);
            let lo =
                from + group[from..j].partition_point(|x| me.time_ms.abs_diff(x.time_ms) > window);
            if lo == from && from > 0 && me.time_ms.abs_diff(group[from - 1].time_ms) <= window {
                truncated += 1;
            }
            records += j - lo;
            for x in &group[lo..j] {
                if x.account > me.account {
                    let dt = me.time_ms.abs_diff(x.time_ms);
                    let who = if dt == 0 { TIE } else { B_FIRST };
                    let record = key | u128::from(x.account) << 64 | u128::from((dt << 2) | who);
                    visit(x.account, record);
                }
            }
            // Later partners: those whose capped window reaches back to this action.
            let to = (j + cap).min(group.len() - 1);
            let hi = j
                + 1
                + group[j + 1..=to].partition_point(|x| x.time_ms.abs_diff(me.time_ms) <= window);
            for x in &group[j + 1..hi] {
                if x.account > me.account {
                    let dt = x.time_ms.abs_diff(me.time_ms);
                    let who = if dt == 0 { TIE } else { A_FIRST };
                    let record = key | u128::from(x.account) << 64 | u128::from((dt << 2) | who);
                    visit(x.account, record);
                }
            }
        }
        (records, truncated)
    };

    #[derive(Default)]
    struct Part {
        edges: Vec<PairStats>,
        distinct: usize,
        records: usize,
        truncated: u64,
        peak: usize,
    }
    struct Scratch {
        counts: Vec<u32>,
        touched: Vec<u32>,
        records: Vec<u128>,
    }
    const BLOCK: usize = 256;
    let parts: Vec<Part> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .with_min_len(8)
        .map_init(
            || Scratch {
                counts: vec![0; n],
                touched: Vec::new(),
                records: Vec::new(),
            },
            |scratch, block| {
                let mut part = Part::default();
                for a in block * BLOCK..((block + 1) * BLOCK).min(n) {
                    let Scratch {
                        counts,
                        touched,
                        records,
                    } = scratch;
                    let mut reached = false;
                    let (r, t) = row(a, &mut |b, _| {
                        let c = &mut counts[b as usize];
                        if *c == 0 {
                            touched.push(b);
                        }
                        *c += 1;
                        reached |= *c >= min;
                    });
                    part.records += r;
                    part.truncated += t;
                    part.distinct += touched.len();
                    if reached {
                        records.clear();
                        row(a, &mut |b, record| {
                            if counts[b as usize] >= min {
                                records.push(record);
                            }
                        });
                        part.peak = part.peak.max(records.len());
                        records.sort_unstable();
                        for run in records.chunk_by(|x, y| (x >> 64) == (y >> 64)) {
                            let mut edge = pair_stats(run);
                            edge.a = prepared.original(edge.a);
                            edge.b = prepared.original(edge.b);
                            part.edges.push(edge);
                        }
                    }
                    for &b in touched.iter() {
                        counts[b as usize] = 0;
                    }
                    touched.clear();
                }
                part
            },
        )
        .collect();
    let mut edges = Vec::with_capacity(parts.iter().map(|p| p.edges.len()).sum());
    let (mut distinct_pairs, mut pair_records, mut truncated_windows, mut peak_pairs) =
        (0, 0, 0, 0);
    for part in parts {
        edges.extend(part.edges);
        distinct_pairs += part.distinct;
        pair_records += part.records;
        truncated_windows += part.truncated;
        peak_pairs = peak_pairs.max(part.peak);
    }
    Ok(SweepReport {
        edges,
        objects: prepared.groups.len(),
        actions_used: prepared.actions.len(),
        truncated_windows,
        pair_records,
        peak_pairs,
        distinct_pairs,
    })
}

fn pair_stats(run: &[u128]) -> PairStats {
    let key = (run[0] >> 64) as u64;
    let dt = |r: u128| ((r as u64) >> 2) as i64;
    let n = run.len();
    let (mut a_first, mut b_first) = (0, 0);
    for &r in run {
        match (r as u64) & 3 {
            A_FIRST => a_first += 1,
            B_FIRST => b_first += 1,
            _ => {}
        }
    }
    let median = if n % 2 == 1 {
        dt(run[n / 2])
    } else {
        (dt(run[n / 2 - 1]) + dt(run[n / 2])) / 2
    };
    PairStats {
        a: (key >> 32) as u32,
        b: key as u32,
        coactions: n as u32,
        a_first,
        b_first,
        min_dt_ms: dt(run[0]),
        median_dt_ms: median,
    }
}

// ---------------------------------------------------------------------------------------------
// Null model.

/// splitmix64 finaliser: a cheap, well-mixed hash for already-random-ish u64 pair keys.
#[derive(Default)]
struct PairKeyHasher(u64);

impl Hasher for PairKeyHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type PairIndex = HashMap<u64, u32, BuildHasherDefault<PairKeyHasher>>;

/// Seed of the generator that shuffles one object in one shuffle, so each object's shuffle is
/// independent of how rayon splits the work.
fn object_seed(seed: u64, shuffle: u32, object: u32) -> u64 {
    let mut h = PairKeyHasher(seed);
    let a = h.finish();
    h.0 = a ^ (u64::from(shuffle) << 32 | u64::from(object));
    h.finish()
}

/// How often each observed edge arises by chance.
///
/// Null model: within each object, the action times are randomly permuted among the accounts
/// that acted on it (seeded `ChaCha8Rng` per shuffle and object). This keeps every object's
/// activity profile (the same burst of timestamps) and every account's set of objects, and
/// breaks only who acted when — i.e. who acted *with* whom. The sweep (same window, dedup,
/// filter and guard) is re-run per shuffle, counting only the observed pairs, so memory stays
/// `O(observed edges)` per thread. Pairs whose accounts are popular early retweeters of the
/// same bursts get large `expected` and are not flagged; pairs that keep meeting in seconds
/// beyond what the bursts explain are.
///
/// Observed edges are selected *because* they co-acted, and every pair that co-acted once was
/// implicitly tested: on 10 M random retweets most edges with 2 chance co-actions still get
/// `p_value < 0.01`. Combine `p_value` with a minimum `coactions` (e.g. ≥ 3), or apply
/// Bonferroni over the candidate pairs: `p_value × SweepReport::distinct_pairs < α`.
pub fn null_model(
    actions: &[Action],
    config: &SweepConfig,
    observed: &[PairStats],
    shuffles: u32,
    seed: u64,
) -> Result<Vec<EdgeSignificance>> {
    validate(config)?;
    ensure!(shuffles >= 1, "null_model needs at least one shuffle");
    let prepared = prepare(actions, config);
    let window = config.window_ms as u64;
    let cap = config.max_accounts_in_window;

    let mut index = PairIndex::default();
    let mut in_some_edge = vec![false; prepared.n_accounts];
    for (i, e) in observed.iter().enumerate() {
        if let (Some(a), Some(b)) = (prepared.dense(e.a), prepared.dense(e.b)) {
            index.insert(pair_key(a, b), i as u32);
            in_some_edge[a as usize] = true;
            in_some_edge[b as usize] = true;
        }
    }
    // Objects touched by fewer than two edge accounts can never produce an observed pair.
    let relevant: Vec<usize> = (0..prepared.groups.len())
        .into_par_iter()
        .filter(|&g| {
            prepared
                .group(&prepared.groups[g])
                .iter()
                .filter(|a| in_some_edge[a.account as usize])
                .take(2)
                .count()
                == 2
        })
        .collect();

    let mut sum = vec![0u64; observed.len()];
    let mut at_least_observed = vec![0u32; observed.len()];
    for s in 0..shuffles {
        let counts = relevant
            .par_iter()
            .with_min_len(16)
            .fold(
                || (vec![0u32; observed.len()], Vec::new(), Vec::new()),
                |(mut counts, mut shuffled, mut times), &g| {
                    let group = prepared.group(&prepared.groups[g]);
                    times.clear();
                    times.extend(group.iter().map(|a| a.time_ms));
                    let mut rng = ChaCha8Rng::seed_from_u64(object_seed(seed, s, g as u32));
                    times.shuffle(&mut rng);
                    shuffled.clear();
                    shuffled.extend(
                        group
                            .iter()
                            .zip(&times)
                            .map(|(a, &t)| Action { time_ms: t, ..*a }),
                    );
                    shuffled.sort_unstable_by_key(|a: &Action| (a.time_ms, a.account));
                    for_each_coaction(&shuffled, window, cap, |e, l| {
                        if in_some_edge[e.account as usize]
                            && in_some_edge[l.account as usize]
                            && let Some(&i) = index.get(&pair_key(e.account, l.account))
                        {
                            counts[i as usize] += 1;
                        }
                    });
                    (counts, shuffled, times)
                },
            )
            .map(|(counts, _, _)| counts)
            .reduce(
                || vec![0u32; observed.len()],
                |mut x, y| {
                    x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
                    x
                },
            );
        tally(&counts, observed, &mut sum, &mut at_least_observed);
    }

    significance_from_counts(observed, &sum, &at_least_observed, shuffles)
}

/// Adds one null dataset's co-action counts to the running sums.
fn tally(counts: &[u32], observed: &[PairStats], sum: &mut [u64], at_least_observed: &mut [u32]) {
    for (i, &c) in counts.iter().enumerate() {
        sum[i] += u64::from(c);
        at_least_observed[i] += u32::from(c >= observed[i].coactions);
    }
}

/// The smallest Poisson p-value any null model can give an edge with `coactions` co-actions
/// over `shuffles` shuffles: the one at the floor mean `0.5 / shuffles` (the upper tail
/// `P(X ≥ coactions)` only grows with the mean). An edge whose smallest p-value is above a
/// test's threshold cannot pass it, whatever the null model counts, so it need not be run.
pub fn smallest_p_value(coactions: u32, shuffles: u32) -> Result<f64> {
    if coactions == 0 {
        return Ok(1.0);
    }
    Ok(Poisson::new(0.5 / f64::from(shuffles.max(1)))
        .context("Poisson mean")?
        .sf(u64::from(coactions) - 1))
}

/// Expected counts, z and p-values from the co-action counts summed over `shuffles` null
/// datasets (`sum`) and how many null datasets reached the observed count.
fn significance_from_counts(
    observed: &[PairStats],
    sum: &[u64],
    at_least_observed: &[u32],
    shuffles: u32,
) -> Result<Vec<EdgeSignificance>> {
    let floor = 0.5 / f64::from(shuffles);
    observed
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let expected = sum[i] as f64 / f64::from(shuffles);
            let obs = f64::from(e.coactions);
            let p_value = if e.coactions == 0 {
                1.0
            } else {
                Poisson::new(expected.max(floor))
                    .context("Poisson mean")?
                    .sf(u64::from(e.coactions) - 1)
            };
            Ok(EdgeSignificance {
                expected,
                z: (obs - expected) / (expected + 1.0).sqrt(),
                p_value,
                p_empirical: f64::from(at_least_observed[i] + 1) / f64::from(shuffles + 1),
            })
        })
        .collect()
}

/// Time-shift null model: every account's whole timeline is shifted by its own random
/// offset (circularly, within the data's time span), which keeps each account's objects,
/// volume and rhythm and destroys only the alignment between accounts. Expected co-actions
/// of an observed pair are counted on the shifted times, per shuffle.
///
/// Unlike [`null_model`], which permutes times among the accounts of each object, this
/// null also works when a group dominates the objects it acts on (a coordinated group
/// retweeting its own sources), where a within-object permutation keeps the group together.
/// The cost: accounts that both react within seconds to everything they retweet (fast
/// amplifiers) also align beyond this null — they do act in lockstep.
pub fn shift_null_model(
    actions: &[Action],
    config: &SweepConfig,
    observed: &[PairStats],
    shuffles: u32,
    seed: u64,
) -> Result<Vec<EdgeSignificance>> {
    validate(config)?;
    ensure!(shuffles >= 1, "the null model needs at least one shuffle");
    let (Some(start), Some(end)) = (
        actions.iter().map(|a| a.time_ms).min(),
        actions.iter().map(|a| a.time_ms).max(),
    ) else {
        return significance_from_counts(
            observed,
            &vec![0; observed.len()],
            &vec![0; observed.len()],
            shuffles,
        );
    };
    let span = (end - start + 1).max(1);
    // Each account's first action per object, sorted by object (the sweep's rule).
    let n_accounts = actions
        .iter()
        .map(|a| a.account as usize + 1)
        .max()
        .unwrap_or(0);
    let mut per_account: Vec<Vec<(u32, i64)>> = vec![Vec::new(); n_accounts];
    for action in actions {
        per_account[action.account as usize].push((action.object, action.time_ms));
    }
    for list in &mut per_account {
        list.sort_unstable();
        list.dedup_by_key(|(object, _)| *object);
    }
    let window = config.window_ms;
    // Offsets of the accounts in some observed edge, all shuffles of an account side by side;
    // the generator still draws one offset per account and shuffle, in the same order.
    let mut row_of = vec![u32::MAX; n_accounts];
    let mut rows = 0u32;
    for edge in observed {
        for account in [edge.a, edge.b] {
            let slot = &mut row_of[account as usize];
            if *slot == u32::MAX {
                *slot = rows;
                rows += 1;
            }
        }
    }
    let k = shuffles as usize;
    let mut offsets = vec![0i64; rows as usize * k];
    for shuffle in 0..shuffles {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (u64::from(shuffle) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        for &row in &row_of {
            let offset = rng.random_range(0..span);
            if row != u32::MAX {
                offsets[row as usize * k + shuffle as usize] = offset;
            }
        }
    }
    // One merge of the two accounts' objects per edge; every shuffle is counted at each
    // shared object (the shared objects are the same in every shuffle, only times move).
    // `t − start + offset` lies in [0, 2 span): one subtraction is the circular shift.
    let wrap = |x: i64| if x >= span { x - span } else { x };
    let tallies: Vec<(u64, u32)> = observed
        .par_iter()
        .map_init(
            || vec![0u32; k],
            |counts, edge| {
                counts.fill(0);
                let (list_a, list_b) =
                    (&per_account[edge.a as usize], &per_account[edge.b as usize]);
                let row = |account: u32| {
                    let r = row_of[account as usize] as usize * k;
                    &offsets[r..r + k]
                };
                let (offsets_a, offsets_b) = (row(edge.a), row(edge.b));
                let (mut i, mut j) = (0, 0);
                while i < list_a.len() && j < list_b.len() {
                    match list_a[i].0.cmp(&list_b[j].0) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            let (ta, tb) = (list_a[i].1 - start, list_b[j].1 - start);
                            for ((count, &oa), &ob) in
                                counts.iter_mut().zip(offsets_a).zip(offsets_b)
                            {
                                let dt = (wrap(ta + oa) - wrap(tb + ob)).abs();
                                *count += u32::from(dt <= window);
                            }
                            i += 1;
                            j += 1;
                        }
                    }
                }
                let sum = counts.iter().map(|&c| u64::from(c)).sum();
                let at_least = counts.iter().filter(|&&c| c >= edge.coactions).count() as u32;
                (sum, at_least)
            },
        )
        .collect();
    let (sum, at_least_observed): (Vec<u64>, Vec<u32>) = tallies.into_iter().unzip();
    significance_from_counts(observed, &sum, &at_least_observed, shuffles)
}

// ---------------------------------------------------------------------------------------------
// Clusters.

/// Connected components over the kept edges (union–find), numbered by decreasing size then
/// smallest member; singletons are omitted. Typical `keep`: `p_value < 0.01 && coactions ≥ 3`.
pub fn clusters(n_accounts: usize, edges: &[PairStats], keep: &[bool]) -> Result<Vec<Cluster>> {
    ensure!(
        keep.len() == edges.len(),
        "keep has {} flags for {} edges",
        keep.len(),
        edges.len()
    );
    let mut components = UnionFind::<u32>::new(n_accounts);
    for (e, _) in edges.iter().zip(keep).filter(|(_, k)| **k) {
        ensure!(
            (e.a as usize) < n_accounts && (e.b as usize) < n_accounts,
            "edge ({}, {}) outside 0..{n_accounts}",
            e.a,
            e.b
        );
        components.union(e.a, e.b);
    }
    let roots: Vec<u32> = (0..n_accounts as u32)
        .map(|account| components.find_mut(account))
        .collect();
    let mut size = vec![0u32; n_accounts];
    for &root in &roots {
        size[root as usize] += 1;
    }
    let mut members_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for (account, &root) in roots.iter().enumerate() {
        if size[root as usize] >= 2 {
            members_of.entry(root).or_default().push(account as u32);
        }
    }
    let mut groups: Vec<Vec<u32>> = members_of.into_values().collect();
    groups.sort_unstable_by(|x, y| y.len().cmp(&x.len()).then(x[0].cmp(&y[0])));
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(id, members)| Cluster {
            id: id as u32,
            members,
        })
        .collect())
}

/// Cluster id of every account, `None` for accounts outside any cluster.
pub fn cluster_of(n_accounts: usize, clusters: &[Cluster]) -> Vec<Option<u32>> {
    let mut of = vec![None; n_accounts];
    for c in clusters {
        for &m in &c.members {
            if let Some(slot) = of.get_mut(m as usize) {
                *slot = Some(c.id);
            }
        }
    }
    of
}

#[cfg(test)]
mod tests;
