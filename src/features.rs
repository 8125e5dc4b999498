//! Stage 2: per-account signals of automation (timing, amplification, profile), computed
//! from the canonical tables. Every signal is a named value with the minimum number of
//! events it needs; below that minimum, or when the export lacks the field (Twitter v2 has
//! no default-profile flags), the value is null — "insufficient data" or "unavailable" —
//! never zero. How values become suspicions is in [`crate::score`].
//!
//! Posts are sorted by (platform, author, time) once; each account's posts are then a
//! contiguous slice, processed in parallel with rayon.

use std::collections::HashMap;

use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;

use crate::account_index::AccountIndex;
use crate::columns::{strs, times_ms};
use crate::ingest::record::RETWEET;

mod signals;
pub(crate) mod stats;
mod values;

pub use signals::*;
use stats::{mean_sd, median, memory_coefficient, normalised_entropy, uniformity_p};
pub use values::SignalValues;

/// Adds the coordination signals from [`crate::coordination::detect`]; accounts with fewer
/// than two posts keep them null.
pub fn apply_coordination(
    features: &mut [AccountFeatures],
    coordination: &HashMap<
        crate::account_index::AccountKey,
        crate::coordination::AccountCoordination,
    >,
) {
    let degree = Signal::CoordinationDegree as usize;
    let size = Signal::CoordinationClusterSize as usize;
    let found_by_key = crate::coordination::borrowed_keys(coordination);
    for account in features.iter_mut().filter(|a| a.posts >= 2) {
        let found = found_by_key.get(&(account.platform.as_str(), account.account_id.as_str()));
        let degree_value = found.map_or(0.0, |c| f64::from(c.degree));
        let size_value = found.and_then(|c| c.cluster_size).map_or(1.0, f64::from);
        account.values.set(degree, Some(degree_value));
        account.values.set(size, Some(size_value));
    }
}

/// One account's signals.
#[derive(Debug, Clone)]
pub struct AccountFeatures {
    /// The account's platform (`twitter`, `4chan`, ...).
    pub platform: String,
    /// The account's id on the platform.
    pub account_id: String,
    /// Its handle: from its profile in `accounts`, else the latest one on its posts.
    pub handle: Option<String>,
    /// Its posts in the data (all kinds), a count.
    pub posts: u32,
    /// Its reposts (`kind` = `retweet`) in the data, a count.
    pub retweets: u32,
    /// Time of its first post in the data, in ms since the Unix epoch.
    pub first_post_ms: i64,
    /// Time of its last post in the data, in ms since the Unix epoch.
    pub last_post_ms: i64,
    /// One value per [`SIGNALS`] entry; `None` = insufficient data or unavailable.
    pub values: SignalValues,
}

/// Profile fields needed from `accounts`, of one account.
#[derive(Debug, Clone, Copy, Default)]
struct Profile<'a> {
    handle: Option<&'a str>,
    created_ms: Option<i64>,
    observed_ms: Option<i64>,
    followers: Option<i64>,
    friends: Option<i64>,
    statuses: Option<i64>,
    default_profile: Option<bool>,
    default_profile_image: Option<bool>,
}

/// The profile columns of `accounts` and, per [`AccountIndex`] rank, the row of its
/// account: found by merging the two (platform, account_id) orders, with no string hashed
/// or copied (a hash map of every account's strings was built and probed before: two
/// string copies per account at 10M posts).
struct Profiles<'a> {
    row_of_rank: Vec<Option<u32>>,
    handle: Vec<Option<&'a str>>,
    created: Vec<Option<i64>>,
    observed: Vec<Option<i64>>,
    followers: Vec<Option<i64>>,
    friends: Vec<Option<i64>>,
    statuses: Vec<Option<i64>>,
    default_profile: Vec<Option<bool>>,
    default_image: Vec<Option<bool>>,
}

impl<'a> Profiles<'a> {
    fn read(accounts: &'a DataFrame, index: &AccountIndex) -> Result<Self> {
        let int = |name: &str| -> Result<Vec<Option<i64>>> {
            Ok(accounts.column(name)?.i64()?.iter().collect())
        };
        let boolean = |name: &str| -> Result<Vec<Option<bool>>> {
            Ok(accounts.column(name)?.bool()?.iter().collect())
        };
        Ok(Profiles {
            row_of_rank: rows_by_rank(
                &strs(accounts, "platform")?,
                &strs(accounts, "account_id")?,
                &index.keys,
            ),
            handle: strs(accounts, "handle")?,
            created: times_ms(accounts, "account_created_at")?,
            observed: times_ms(accounts, "profile_observed_at")?,
            followers: int("followers")?,
            friends: int("friends")?,
            statuses: int("statuses_count")?,
            default_profile: boolean("default_profile")?,
            default_image: boolean("default_profile_image")?,
        })
    }

    /// The profile of the account of rank `rank`, if `accounts` has it.
    fn get(&self, rank: u32) -> Option<Profile<'a>> {
        let i = self.row_of_rank[rank as usize]? as usize;
        Some(Profile {
            handle: self.handle[i],
            created_ms: self.created[i],
            observed_ms: self.observed[i],
            followers: self.followers[i],
            friends: self.friends[i],
            statuses: self.statuses[i],
            default_profile: self.default_profile[i],
            default_profile_image: self.default_image[i],
        })
    }
}

/// For each of `keys` (sorted, distinct), the row of `platform`/`account_id` with that key;
/// of several such rows, the last. Rows without a platform or id match none. The accounts
/// table is written sorted by key, so it is merged as it is; any other order is sorted
/// first (stably, so that the last duplicate stays last).
fn rows_by_rank(
    platform: &[Option<&str>],
    account_id: &[Option<&str>],
    keys: &[(&str, &str)],
) -> Vec<Option<u32>> {
    let mut rows: Vec<(&str, &str, u32)> = platform
        .iter()
        .zip(account_id)
        .enumerate()
        .filter_map(|(i, (p, a))| Some(((*p)?, (*a)?, i as u32)))
        .collect();
    if !rows
        .windows(2)
        .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1))
    {
        rows.par_sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    }
    let mut found = vec![None; keys.len()];
    let mut next = 0;
    for (rank, key) in keys.iter().enumerate() {
        while next < rows.len() && (rows[next].0, rows[next].1) < *key {
            next += 1;
        }
        while next < rows.len() && (rows[next].0, rows[next].1) == *key {
            found[rank] = Some(rows[next].2);
            next += 1;
        }
    }
    found
}

/// Per-post columns the signals need, sorted by (platform, author, time).
struct SortedPosts<'a> {
    /// The author's rank in the [`AccountIndex`]: equal ranks are one account.
    account: Vec<u32>,
    /// (platform, author_id) by rank ([`AccountIndex::keys`]).
    keys: &'a [(&'a str, &'a str)],
    /// The post's row in the posts table: handles and parents' authors are read from their
    /// columns through it (4 bytes a post where a gathered copy of each took 16).
    row: Vec<u32>,
    handle_of_row: &'a StringChunked,
    parent_author_of_row: &'a StringChunked,
    time_ms: Vec<i64>,
    is_retweet: Vec<bool>,
    /// Seconds from the original to this retweet, NaN for posts that are not retweets with
    /// a known original time (8 bytes a post, not an `Option`'s 16).
    latency_s: Vec<f64>,
    /// Whether a retweet is among the first of a large cascade; `None` for posts that are
    /// not retweets of a large cascade.
    early_retweet: Vec<Option<bool>>,
}

impl<'a> SortedPosts<'a> {
    /// (platform, author_id) of the post at sorted position `i`.
    fn key(&self, i: usize) -> (&'a str, &'a str) {
        self.keys[self.account[i] as usize]
    }

    /// The handle on the post at sorted position `i`.
    fn handle(&self, i: usize) -> Option<&'a str> {
        self.handle_of_row.get(self.row[i] as usize)
    }

    /// The author of the post that the post at sorted position `i` answers or shares.
    fn parent_author(&self, i: usize) -> Option<&'a str> {
        self.parent_author_of_row.get(self.row[i] as usize)
    }
}

/// A retweet's place in its cascade: (platform, original's id, time, post id, row).
type CascadeRow<'a> = (Option<&'a str>, &'a str, Option<i64>, Option<&'a str>, u32);

/// Marks retweets that are among the first [`EARLY_RETWEET_RANK`] retweets of their
/// original in the data (by time, ties by post id), for cascades of at least
/// [`EARLY_RETWEET_MIN_CASCADE`] retweets. `kind`, `time_ms` and the id columns are the
/// posts table's rows.
fn early_retweet_flags(
    platform: &[Option<&str>],
    post_id: &[Option<&str>],
    parent_post_id: &[Option<&str>],
    time_ms: &[Option<i64>],
    is_retweet: &[bool],
) -> Vec<Option<bool>> {
    early_retweet_flags_in_table_order(platform, post_id, parent_post_id, time_ms, is_retweet)
        .unwrap_or_else(|| {
            early_retweet_flags_sorted(platform, post_id, parent_post_id, time_ms, is_retweet)
        })
}

/// [`early_retweet_flags`] when the table already lists each cascade in its order (time,
/// then post id, then row), as ingest writes it (sorted by time and id): one pass counts the
/// cascades, a second ranks their retweets, with no sort of string keys (which took most of
/// the features stage's sort at 10M posts). `None` as soon as a cascade is out of order.
fn early_retweet_flags_in_table_order(
    platform: &[Option<&str>],
    post_id: &[Option<&str>],
    parent_post_id: &[Option<&str>],
    time_ms: &[Option<i64>],
    is_retweet: &[bool],
) -> Option<Vec<Option<bool>>> {
    const NONE: u32 = u32::MAX;
    let mut cascade_of: foldhash::HashMap<(Option<&str>, &str), u32> = Default::default();
    // Per cascade: its size and its last retweet's (time, post id).
    let mut size: Vec<u32> = Vec::new();
    let mut last: Vec<(Option<i64>, Option<&str>)> = Vec::new();
    let mut cascade_of_row = vec![NONE; platform.len()];
    for i in 0..platform.len() {
        let Some(parent) = parent_post_id[i].filter(|_| is_retweet[i]) else {
            continue;
        };
        let next = size.len() as u32;
        let cascade = *cascade_of.entry((platform[i], parent)).or_insert(next);
        let place = (time_ms[i], post_id[i]);
        if cascade == next {
            size.push(0);
            last.push(place);
        } else if place < last[cascade as usize] {
            return None;
        }
        size[cascade as usize] += 1;
        last[cascade as usize] = place;
        cascade_of_row[i] = cascade;
    }
    drop(cascade_of);
    let mut seen = vec![0u32; size.len()];
    Some(
        cascade_of_row
            .into_iter()
            .map(|cascade| {
                let cascade = cascade as usize;
                if cascade == NONE as usize || size[cascade] < EARLY_RETWEET_MIN_CASCADE {
                    return None;
                }
                seen[cascade] += 1;
                Some(seen[cascade] <= EARLY_RETWEET_RANK)
            })
            .collect(),
    )
}

/// [`early_retweet_flags`] by sorting every retweet on (platform, original, time, post id,
/// row): for tables in any order.
fn early_retweet_flags_sorted(
    platform: &[Option<&str>],
    post_id: &[Option<&str>],
    parent_post_id: &[Option<&str>],
    time_ms: &[Option<i64>],
    is_retweet: &[bool],
) -> Vec<Option<bool>> {
    // (platform, original, time, post id, row): unique on (platform, post id) after
    // deduplication, so an unstable sort gives one order; nulls first, as polars sorts.
    let mut order: Vec<CascadeRow> = (0..platform.len())
        .filter(|&i| is_retweet[i])
        .filter_map(|i| {
            parent_post_id[i].map(|parent| (platform[i], parent, time_ms[i], post_id[i], i as u32))
        })
        .collect();
    order.par_sort_unstable();
    let mut flags = vec![None; platform.len()];
    let mut start = 0;
    for i in 1..=order.len() {
        if i < order.len() && order[i].0 == order[start].0 && order[i].1 == order[start].1 {
            continue;
        }
        if (i - start) as u32 >= EARLY_RETWEET_MIN_CASCADE {
            for (rank, row) in order[start..i].iter().enumerate() {
                flags[row.4 as usize] = Some(rank < EARLY_RETWEET_RANK as usize);
            }
        }
        start = i;
    }
    flags
}

/// The columns the signals need, their rows ordered by (platform, author, time, row): an
/// integer sort on each account's rank among the distinct (platform, author) pairs, so no
/// string is compared more than once per account. Posts without an author are left out.
fn sorted_view<'a>(posts: &'a DataFrame, index: &'a AccountIndex<'a>) -> Result<SortedPosts<'a>> {
    let phase = |name: &str, since| crate::measure::stage_timing("features", name, since);
    let began = std::time::Instant::now();
    let time = times_ms(posts, "created_at")?;
    let is_retweet: Vec<bool> = posts
        .column("kind")?
        .str()?
        .iter()
        .map(|k| k == Some(RETWEET))
        .collect();
    let early = early_retweet_flags(
        &strs(posts, "platform")?,
        &strs(posts, "post_id")?,
        &strs(posts, "parent_post_id")?,
        &time,
        &is_retweet,
    );
    phase("sort: early retweets", began);
    let began = std::time::Instant::now();
    // Null times sort first, as in polars.
    let mut order: Vec<(u32, i64, u32)> = index
        .rank_of_row
        .iter()
        .enumerate()
        .filter_map(|(i, rank)| Some(((*rank)?, time[i].unwrap_or(i64::MIN), i as u32)))
        .collect();
    order.par_sort_unstable();
    phase("sort: order", began);
    let began = std::time::Instant::now();
    let parent_ms = times_ms(posts, "parent_created_at")?;
    let rows = || order.iter().map(|&(_, _, row)| row as usize);
    let time_ms: Vec<i64> = rows().map(|i| time[i].unwrap_or(0)).collect();
    drop(time);
    let latency_s = rows()
        .zip(&time_ms)
        .map(|(i, &t)| match (is_retweet[i], parent_ms[i]) {
            (true, Some(p)) => ((t - p) as f64 / 1000.0).max(0.0),
            _ => f64::NAN,
        })
        .collect();
    drop(parent_ms);
    let sorted = SortedPosts {
        account: order.iter().map(|&(rank, _, _)| rank).collect(),
        keys: &index.keys,
        row: order.iter().map(|&(_, _, row)| row).collect(),
        handle_of_row: posts.column("author_handle")?.str()?,
        parent_author_of_row: posts.column("parent_author_id")?.str()?,
        time_ms,
        is_retweet: rows().map(|i| is_retweet[i]).collect(),
        latency_s,
        early_retweet: rows().map(|i| early[i]).collect(),
    };
    phase("sort: gather", began);
    Ok(sorted)
}

const DAY_MS: f64 = 86_400_000.0;
/// An account younger than this has no dormant past to wake from.
const MIN_AWAKENING_AGE_DAYS: f64 = 90.0;
/// Half-width (days) of the window whose creation rate is the cohort's background.
const COHORT_BACKGROUND_DAYS: i64 = 60;
/// Fewest accounts created within a day of each other to call them a cohort.
const MIN_COHORT: usize = 5;

/// `creation_cohort_ratio` of every account with a known creation time: accounts of the
/// data created within ±1 day, over the number expected in those 3 days from the creation
/// rate of the surrounding ±60 days (those 3 days excluded; expectation floored at 1).
fn creation_cohorts(created_days: &[Option<i64>]) -> Vec<Option<f64>> {
    let mut days: Vec<i64> = created_days.iter().flatten().copied().collect();
    days.sort_unstable();
    let within =
        |lo: i64, hi: i64| days.partition_point(|&d| d <= hi) - days.partition_point(|&d| d < lo);
    created_days
        .iter()
        .map(|day| {
            let day = (*day)?;
            let cohort = within(day - 1, day + 1);
            if cohort < MIN_COHORT {
                return Some(0.0);
            }
            let around =
                within(day - COHORT_BACKGROUND_DAYS, day + COHORT_BACKGROUND_DAYS) - cohort;
            let rate = around as f64 / (2 * COHORT_BACKGROUND_DAYS - 2) as f64;
            Some(cohort as f64 / (3.0 * rate).max(1.0))
        })
        .collect()
}

fn account_signals(
    sorted: &SortedPosts,
    range: std::ops::Range<usize>,
    profile: Option<Profile<'_>>,
    received: u32,
) -> AccountFeatures {
    let times = &sorted.time_ms[range.clone()];
    let posts = times.len() as u32;
    let retweet_rows: Vec<usize> = range.clone().filter(|&i| sorted.is_retweet[i]).collect();
    let retweets = retweet_rows.len() as u32;
    let first = times[0];
    let last = *times.last().unwrap_or(&first);
    let mut values = SignalValues::absent(SIGNALS.len());
    let mut set = |signal: Signal, value: Option<f64>| values.set(signal as usize, value);

    let span_days = ((last - first) as f64 / DAY_MS).max(1.0);
    set(
        Signal::PostsPerDay,
        (posts >= MIN_POSTS).then(|| posts as f64 / span_days),
    );

    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1000.0)
        .collect();
    if gaps.len() as u32 >= MIN_GAPS {
        let (mean, sd) = mean_sd(&gaps);
        if mean > 0.0 {
            set(Signal::IntervalCv, Some(sd / mean));
        }
        if sd + mean > 0.0 {
            set(Signal::Burstiness, Some((sd - mean) / (sd + mean)));
        }
        set(Signal::MemoryCoefficient, memory_coefficient(&gaps));
        // Gaps binned by powers of two seconds: 0–1 s, 1–2 s, 2–4 s, ... up to ~12 days.
        let mut bins = [0u32; 21];
        for &gap in &gaps {
            let bin = if gap < 1.0 {
                0
            } else {
                (gap.log2().floor() as usize + 1).min(20)
            };
            bins[bin] += 1;
        }
        set(
            Signal::GapEntropy,
            Some(normalised_entropy(&bins, bins.len())),
        );
    }
    if posts >= MIN_CLOCK_POSTS {
        let mut seconds = [0u32; 60];
        let mut minutes = [0u32; 60];
        for &t in times {
            let second_of_day = t.div_euclid(1000).rem_euclid(86_400);
            seconds[(second_of_day % 60) as usize] += 1;
            minutes[((second_of_day / 60) % 60) as usize] += 1;
        }
        set(Signal::SecondOfMinuteP, uniformity_p(&seconds));
        set(Signal::MinuteOfHourP, uniformity_p(&minutes));
    }
    set(
        Signal::SecondOfMinuteRayleighP,
        crate::schedule::clock_rayleigh_p(times, 60_000, MIN_RAYLEIGH_POSTS as usize),
    );
    set(
        Signal::MinuteOfHourRayleighP,
        crate::schedule::clock_rayleigh_p(times, 3_600_000, MIN_RAYLEIGH_POSTS as usize),
    );
    if let Some(found) = crate::schedule::periodicity(times, MIN_GAPS as usize) {
        set(Signal::SchedulePeriodP, Some(found.p));
        set(
            Signal::SchedulePeriodS,
            (found.hits > 0).then_some(found.period_s),
        );
    }
    if posts >= 48 && (last - first) as f64 >= DAY_MS {
        let mut hours = [0u32; 24];
        for &t in times {
            hours[(t.div_euclid(3_600_000).rem_euclid(24)) as usize] += 1;
        }
        set(
            Signal::HourOfDayEntropy,
            Some(normalised_entropy(&hours, 24)),
        );
    }

    let mut latencies: Vec<f64> = retweet_rows
        .iter()
        .map(|&i| sorted.latency_s[i])
        .filter(|l| !l.is_nan())
        .collect();
    if latencies.len() as u32 >= MIN_RETWEETS {
        let within =
            latencies.iter().filter(|&&l| l <= 60.0).count() as f64 / latencies.len() as f64;
        set(Signal::RetweetsWithin60sShare, Some(within));
        set(Signal::RetweetLatencyMedianS, Some(median(&mut latencies)));
        set(Signal::RetweetLatencyMinS, latencies.first().copied());
    }
    set(
        Signal::RetweetShare,
        (posts >= MIN_POSTS).then(|| retweets as f64 / posts as f64),
    );
    let in_large_cascades: Vec<bool> = retweet_rows
        .iter()
        .filter_map(|&i| sorted.early_retweet[i])
        .collect();
    if in_large_cascades.len() as u32 >= MIN_RETWEETS {
        let early = in_large_cascades.iter().filter(|&&e| e).count();
        set(
            Signal::EarlyRetweetShare,
            Some(early as f64 / in_large_cascades.len() as f64),
        );
    }
    if retweets >= 5 {
        let mut sources: HashMap<&str, u32> = HashMap::new();
        for &i in &retweet_rows {
            if let Some(source) = sorted.parent_author(i) {
                *sources.entry(source).or_default() += 1;
            }
        }
        let known: u32 = sources.values().sum();
        if known >= 5 {
            let top = sources.values().copied().max().unwrap_or(0);
            set(Signal::TopSourceShare, Some(top as f64 / known as f64));
        }
    }

    let handle = profile
        .as_ref()
        .and_then(|p| p.handle)
        .or_else(|| range.clone().rev().find_map(|i| sorted.handle(i)))
        .map(str::to_string);
    if let Some(profile) = profile {
        let age_at_snapshot = match (profile.created_ms, profile.observed_ms) {
            (Some(created), Some(observed)) => {
                Some(((observed - created) as f64 / DAY_MS).max(1.0))
            }
            _ => None,
        };
        if let (Some(statuses), Some(age)) = (profile.statuses, age_at_snapshot) {
            set(Signal::LifetimePostsPerDay, Some(statuses as f64 / age));
            if posts >= 2 && age >= MIN_AWAKENING_AGE_DAYS {
                let in_data = posts as f64 / ((last - first) as f64 / DAY_MS).max(1.0);
                let lifetime = (statuses.max(1) as f64) / age;
                set(Signal::AwakeningRatio, Some(in_data / lifetime));
            }
        }
        if let (Some(followers), Some(age)) = (profile.followers, age_at_snapshot) {
            set(Signal::FollowersGrowthPerDay, Some(followers as f64 / age));
        }
        if let Some(created) = profile.created_ms {
            set(
                Signal::AccountAgeDays,
                Some(((first - created) as f64 / DAY_MS).max(0.0)),
            );
        }
        if let (Some(followers), Some(friends)) = (profile.followers, profile.friends) {
            set(
                Signal::FollowersFriendsRatio,
                Some(followers as f64 / (friends as f64 + 1.0)),
            );
        }
        set(
            Signal::DefaultProfile,
            profile.default_profile.map(|b| f64::from(u8::from(b))),
        );
        set(
            Signal::DefaultProfileImage,
            profile
                .default_profile_image
                .map(|b| f64::from(u8::from(b))),
        );
        if received > 0
            && let Some(followers) = profile.followers
        {
            set(
                Signal::RetweetsReceivedPerFollower,
                Some(received as f64 / (followers as f64 + 1.0)),
            );
        }
    }
    let (platform, account_id) = sorted.key(range.start);
    if platform == crate::ingest::record::TWITTER
        && let Some(handle) = &handle
    {
        set(
            Signal::HandleDigits,
            Some(handle.chars().filter(char::is_ascii_digit).count() as f64),
        );
    }
    AccountFeatures {
        platform: platform.to_string(),
        account_id: account_id.to_string(),
        handle,
        posts,
        retweets,
        first_post_ms: first,
        last_post_ms: last,
        values,
    }
}

/// Signals for every account that posted in the data, sorted by (platform, account_id).
pub fn compute(posts: &DataFrame, accounts: &DataFrame) -> Result<Vec<AccountFeatures>> {
    compute_indexed(posts, accounts, &AccountIndex::build(posts)?)
}

/// [`compute`] with the posts' [`AccountIndex`] already built.
pub fn compute_indexed(
    posts: &DataFrame,
    accounts: &DataFrame,
    index: &AccountIndex,
) -> Result<Vec<AccountFeatures>> {
    let began = std::time::Instant::now();
    let phase = |name: &str, since| crate::measure::stage_timing("features", name, since);
    let profiles = Profiles::read(accounts, index).context("reading account profiles")?;
    phase("sort: profiles", began);
    let sorted = sorted_view(posts, index).context("sorting posts by author and time")?;
    phase("sort", began);
    let began = std::time::Instant::now();
    let mut received: foldhash::HashMap<(&str, &str), u32> = Default::default();
    for i in 0..sorted.account.len() {
        if let (true, Some(parent)) = (sorted.is_retweet[i], sorted.parent_author(i)) {
            *received.entry((sorted.key(i).0, parent)).or_default() += 1;
        }
    }
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.account.len() {
        if i == sorted.account.len() || sorted.account[i] != sorted.account[start] {
            if i > start {
                groups.push(start..i);
            }
            start = i;
        }
    }
    let (mut features, created_days): (Vec<AccountFeatures>, Vec<Option<i64>>) = groups
        .into_par_iter()
        .map(|range| {
            let key = sorted.key(range.start);
            let got = received.get(&key).copied().unwrap_or(0);
            let profile = profiles.get(sorted.account[range.start]);
            let created_day = profile
                .and_then(|p| p.created_ms)
                .map(|ms| ms.div_euclid(DAY_MS as i64));
            (account_signals(&sorted, range, profile, got), created_day)
        })
        .unzip();
    let cohort = Signal::CreationCohortRatio as usize;
    for (account, ratio) in features.iter_mut().zip(creation_cohorts(&created_days)) {
        account.values.set(cohort, ratio);
    }
    phase("per-account signals", began);
    Ok(features)
}

#[cfg(test)]
mod tests;
