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
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::account_index::AccountIndex;
use crate::columns::{strs, times_ms};
use crate::ingest::record::RETWEET;

/// Signal families, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Timing,
    Amplification,
    Profile,
    Coordination,
}

/// One signal: what it measures, how much data it needs, and where its threshold comes from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignalSpec {
    pub name: &'static str,
    pub family: Family,
    pub unit: &'static str,
    pub description: &'static str,
    /// Minimum events (posts, gaps or retweets, as `description` says) for a value.
    pub min_events: u32,
    /// Piecewise-linear map from value to suspicion: (value, suspicion) knots in increasing
    /// value order; flat outside. See [`crate::score::suspicion`].
    pub knots: &'static [(f64, f64)],
    /// Whether the knots apply to log10(value) (p-values).
    pub log10: bool,
    /// Default weight in the combined score.
    pub weight: f64,
    pub source: &'static str,
}

/// Posts an account needs in the data before its rate and shares mean anything.
pub const MIN_POSTS: u32 = 10;
/// Inter-event gaps needed for the regularity statistics.
pub const MIN_GAPS: u32 = 10;
/// Posts needed for the clock chi-square tests (expected ≥ 0.5 per 60 bins; the test is
/// used as a screen for strong clock effects, not as a calibrated test with few posts).
pub const MIN_CLOCK_POSTS: u32 = 30;
/// Posts, after thinning to one per half cycle, needed for the Rayleigh clock tests
/// (the test's p-value approximation holds from about 8–10 angles).
pub const MIN_RAYLEIGH_POSTS: u32 = 8;
/// Retweets with a known original time needed for latency signals: two, so that
/// low-volume amplifiers (a handful of retweets in a campaign) are not invisible.
pub const MIN_RETWEETS: u32 = 2;
/// "First retweets of a cascade": the first N retweets of an original in the data.
pub const EARLY_RETWEET_RANK: u32 = 10;
/// Only cascades with at least this many retweets in the data say who was early: in a
/// small cascade every retweet is among the first ten.
pub const EARLY_RETWEET_MIN_CASCADE: u32 = 3 * EARLY_RETWEET_RANK;

/// Defines [`Signal`] and [`SIGNALS`] together, so that every signal has a typed name whose
/// `as usize` is its index in [`SIGNALS`] and in [`AccountFeatures::values`].
macro_rules! signals {
    ($($variant:ident => $spec:expr),* $(,)?) => {
        /// A signal by type rather than by string (`Signal::PostsPerDay as usize` indexes
        /// [`SIGNALS`]); names from users (weights files) go through [`signal_index`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Signal {
            $($variant),*
        }

        impl Signal {
            /// Every variant, in [`SIGNALS`] order.
            pub const ALL: &[Signal] = &[$(Signal::$variant),*];

            /// The variant's identifier as written (for the test that it names its spec).
            #[cfg(test)]
            fn identifier(self) -> &'static str {
                match self {
                    $(Signal::$variant => stringify!($variant)),*
                }
            }

            /// The signal's specification.
            pub fn spec(self) -> &'static SignalSpec {
                &SIGNALS[self as usize]
            }
        }

        /// Every signal, in output order.
        pub const SIGNALS: &[SignalSpec] = &[$($spec),*];
    };
}

signals! {
    PostsPerDay => SignalSpec {
        name: "posts_per_day",
        family: Family::Timing,
        unit: "posts/day",
        description: "posts in the data per day of the account's active span (span floored at 1 day), ≥ 10 posts",
        min_events: MIN_POSTS,
        knots: &[(50.0, 0.0), (72.0, 0.5), (144.0, 1.0)],
        log10: false,
        weight: 1.0,
        source: "DFRLab #BotSpot (Nimmo 2017): 72/day suspicious, 144/day highly suspicious; Oxford Internet Institute: 50/day",
    },
    LifetimePostsPerDay => SignalSpec {
        name: "lifetime_posts_per_day",
        family: Family::Timing,
        unit: "posts/day",
        description: "profile statuses_count / account age in days at the latest snapshot",
        min_events: 1,
        knots: &[(50.0, 0.0), (72.0, 0.5), (144.0, 1.0)],
        log10: false,
        weight: 0.5,
        source: "DFRLab #BotSpot (Nimmo 2017); Oxford Internet Institute 50/day",
    },
    IntervalCv => SignalSpec {
        name: "interval_cv",
        family: Family::Timing,
        unit: "σ/m",
        description: "coefficient of variation of inter-post gaps, ≥ 10 gaps; 0 = clockwork, 1 = Poisson, > 1 bursty (human)",
        min_events: MIN_GAPS,
        knots: &[(0.3, 1.0), (0.8, 0.0)],
        log10: false,
        weight: 1.0,
        source: "Goh & Barabási, EPL 2008; Chu et al., IEEE TDSC 2012",
    },
    Burstiness => SignalSpec {
        name: "burstiness",
        family: Family::Timing,
        unit: "B",
        description: "Goh–Barabási burstiness (σ−m)/(σ+m) of gaps: −1 periodic, 0 Poisson, → 1 bursty; a transform of interval_cv, so weight 0",
        min_events: MIN_GAPS,
        knots: &[(-0.55, 1.0), (-0.1, 0.0)],
        log10: false,
        weight: 0.0,
        source: "Goh & Barabási, EPL 2008",
    },
    MemoryCoefficient => SignalSpec {
        name: "memory_coefficient",
        family: Family::Timing,
        unit: "M",
        description: "correlation of consecutive gaps (Goh–Barabási memory); descriptive, weight 0",
        min_events: MIN_GAPS,
        knots: &[(0.0, 0.0)],
        log10: false,
        weight: 0.0,
        source: "Goh & Barabási, EPL 2008",
    },
    GapEntropy => SignalSpec {
        name: "gap_entropy",
        family: Family::Timing,
        unit: "",
        description: "normalised entropy of gaps binned by log2(seconds), ≥ 10 gaps; low = the same gap again and again",
        min_events: MIN_GAPS,
        knots: &[(0.25, 1.0), (0.55, 0.0)],
        log10: false,
        weight: 1.0,
        source: "Chu et al., 'Detecting automation of Twitter accounts', IEEE TDSC 2012 (entropy of inter-tweet delays)",
    },
    SecondOfMinuteP => SignalSpec {
        name: "second_of_minute_p",
        family: Family::Timing,
        unit: "p",
        description: "chi-square test of uniform second-of-minute (59 df), ≥ 30 posts; tiny p = posting on a clock",
        min_events: MIN_CLOCK_POSTS,
        knots: &[(-8.0, 1.0), (-4.0, 0.5), (-2.0, 0.0)],
        log10: true,
        weight: 1.0,
        source: "Chu et al., IEEE TDSC 2012 (posting on a clock); χ² test via statrs",
    },
    MinuteOfHourP => SignalSpec {
        name: "minute_of_hour_p",
        family: Family::Timing,
        unit: "p",
        description: "chi-square test of uniform minute-of-hour (59 df), ≥ 30 posts",
        min_events: MIN_CLOCK_POSTS,
        knots: &[(-8.0, 1.0), (-4.0, 0.5), (-2.0, 0.0)],
        log10: true,
        weight: 0.5,
        source: "Chu et al. 2012; statrs χ² distribution",
    },
    SecondOfMinuteRayleighP => SignalSpec {
        name: "second_of_minute_rayleigh_p",
        family: Family::Timing,
        unit: "p",
        description: "Rayleigh test of uniform second-of-minute phase (harmonics 1–6, Bonferroni) on posts ≥ 30 s apart, ≥ 8 such posts; tiny p = posting at a fixed second (or evenly spaced seconds) of the minute",
        min_events: MIN_RAYLEIGH_POSTS,
        knots: &[(-8.0, 1.0), (-4.0, 0.5), (-2.0, 0.0)],
        log10: true,
        weight: 1.0,
        source: "Rayleigh test of circular uniformity (Mardia & Jupp, Directional Statistics, 2000; Zar, Biostatistical Analysis); posting on a clock as automation (Chu et al., IEEE TDSC 2012)",
    },
    MinuteOfHourRayleighP => SignalSpec {
        name: "minute_of_hour_rayleigh_p",
        family: Family::Timing,
        unit: "p",
        description: "Rayleigh test of uniform minute-of-hour phase (harmonics 1–6, Bonferroni) on posts ≥ 30 min apart, ≥ 8 such posts; tiny p = posting at fixed minutes of the hour",
        min_events: MIN_RAYLEIGH_POSTS,
        knots: &[(-8.0, 1.0), (-4.0, 0.5), (-2.0, 0.0)],
        log10: true,
        weight: 0.5,
        source: "Rayleigh test of circular uniformity (Mardia & Jupp, Directional Statistics, 2000; Zar, Biostatistical Analysis); Chu et al., IEEE TDSC 2012",
    },
    SchedulePeriodP => SignalSpec {
        name: "schedule_period_p",
        family: Family::Timing,
        unit: "p",
        description: "peak of time differences (each post to its next 3) within ±4.5 s of multiples of a period (40 s – 6 h; candidates: 9 order statistics of the differences, each also halved and divided by 3) against the flanks beside them; binomial, Bonferroni over the 27 candidates; ≥ 10 gaps. Tolerates jitter, missed slots and human posts mixed in",
        min_events: MIN_GAPS,
        knots: &[(-8.0, 1.0), (-4.0, 0.5), (-2.0, 0.0)],
        log10: true,
        weight: 1.0,
        source: "tagscope heuristic: a fixed schedule puts a sharp peak at multiples of its period that no smooth (Poisson, bursty or circadian) gap distribution has",
    },
    SchedulePeriodS => SignalSpec {
        name: "schedule_period_s",
        family: Family::Timing,
        unit: "s",
        description: "the period found by schedule_period_p (null when none was testable); descriptive, weight 0",
        min_events: MIN_GAPS,
        knots: &[(0.0, 0.0)],
        log10: false,
        weight: 0.0,
        source: "tagscope heuristic (see schedule_period_p)",
    },
    HourOfDayEntropy => SignalSpec {
        name: "hour_of_day_entropy",
        family: Family::Timing,
        unit: "",
        description: "normalised entropy of the 24 hour-of-day counts, ≥ 48 posts over ≥ 24 h; near 1 = no sleep",
        min_events: 48,
        knots: &[(0.9, 0.0), (0.98, 1.0)],
        log10: false,
        weight: 0.5,
        source: "circadian activity as a human marker (Chu et al. 2012; Ferrara et al., CACM 2016)",
    },
    RetweetLatencyMedianS => SignalSpec {
        name: "retweet_latency_median_s",
        family: Family::Timing,
        unit: "s",
        description: "median seconds from original to retweet, ≥ 2 retweets with known original time",
        min_events: MIN_RETWEETS,
        knots: &[(15.0, 1.0), (60.0, 0.6), (600.0, 0.0)],
        log10: false,
        weight: 2.5,
        source: "RTbust (Mazza et al., WebSci 2019): bots retweet within seconds",
    },
    RetweetLatencyMinS => SignalSpec {
        name: "retweet_latency_min_s",
        family: Family::Timing,
        unit: "s",
        description: "fastest retweet in seconds, ≥ 2 retweets; descriptive, weight 0",
        min_events: MIN_RETWEETS,
        knots: &[(2.0, 1.0), (30.0, 0.0)],
        log10: false,
        weight: 0.0,
        source: "RTbust (Mazza et al. 2019)",
    },
    RetweetsWithin60sShare => SignalSpec {
        name: "retweets_within_60s_share",
        family: Family::Timing,
        unit: "",
        description: "share of retweets made within 60 s of the original, ≥ 2 retweets",
        min_events: MIN_RETWEETS,
        knots: &[(0.2, 0.0), (0.8, 1.0)],
        log10: false,
        weight: 1.0,
        source: "RTbust (Mazza et al. 2019)",
    },
    RetweetShare => SignalSpec {
        name: "retweet_share",
        family: Family::Amplification,
        unit: "",
        description: "retweets / posts, ≥ 10 posts",
        min_events: MIN_POSTS,
        knots: &[(0.8, 0.0), (0.975, 1.0)],
        log10: false,
        weight: 1.0,
        source: "DFRLab #BotSpot: 195 of an account's last 200 posts were retweets",
    },
    EarlyRetweetShare => SignalSpec {
        name: "early_retweet_share",
        family: Family::Amplification,
        unit: "",
        description: "share of the account's retweets of cascades with ≥ 30 retweets that are among the first 10 of their cascade, ≥ 2 such retweets",
        min_events: MIN_RETWEETS,
        knots: &[(0.3, 0.0), (0.9, 1.0)],
        log10: false,
        weight: 1.0,
        source: "first-retweeter amplification: RTbust (Mazza et al., WebSci 2019); DFRLab cascade analyses",
    },
    TopSourceShare => SignalSpec {
        name: "top_source_share",
        family: Family::Amplification,
        unit: "",
        description: "share of retweets that go to the single most-retweeted account, ≥ 5 retweets",
        min_events: 5,
        knots: &[(0.5, 0.0), (0.95, 1.0)],
        log10: false,
        weight: 0.5,
        source: "tagscope heuristic: an amplifier retweets one account almost exclusively (cf. DFRLab #BotSpot amplifier networks, Nimmo 2017)",
    },
    RetweetsReceivedPerFollower => SignalSpec {
        name: "retweets_received_per_follower",
        family: Family::Amplification,
        unit: "retweets/follower",
        description: "retweets of the account's posts in the data / (followers + 1); engagement far above the audience",
        min_events: 1,
        knots: &[(1.0, 0.0), (20.0, 1.0)],
        log10: false,
        weight: 0.25,
        source: "tagscope heuristic: engagement far above the audience suggests bought or automated amplification (cf. DFRLab #BotSpot, Nimmo 2017)",
    },
    AwakeningRatio => SignalSpec {
        name: "awakening_ratio",
        family: Family::Timing,
        unit: "×",
        description: "posts per day in the data (span floored at 1 day) / lifetime statuses per day at the snapshot, ≥ 2 posts, account ≥ 90 days old: a dormant account waking up for the campaign",
        min_events: 2,
        knots: &[(20.0, 0.0), (100.0, 1.0)],
        log10: false,
        weight: 0.5,
        source: "Ferrara, 'Disinformation and social bot operations in the run up to the 2017 French presidential election', First Monday 22(8), 2017: bots dormant since the 2016 US election reactivated for #MacronLeaks",
    },
    CreationCohortRatio => SignalSpec {
        name: "creation_cohort_ratio",
        family: Family::Profile,
        unit: "×",
        description: "accounts in the data created within a day of this one / the number expected from the creation rate of the 120 days around it (floored at 1), ≥ 5 such accounts: a batch registered together",
        min_events: 1,
        knots: &[(3.0, 0.0), (10.0, 1.0)],
        log10: false,
        weight: 0.5,
        source: "DFRLab #BotSpot (Nimmo 2017): batches of accounts created on the same day; Pacheco et al., ICWSM 2021 (creation-date clusters)",
    },
    AccountAgeDays => SignalSpec {
        name: "account_age_days",
        family: Family::Profile,
        unit: "days",
        description: "days from account creation to its first post in the data",
        min_events: 1,
        knots: &[(14.0, 1.0), (60.0, 0.5), (365.0, 0.0)],
        log10: false,
        weight: 1.0,
        source: "BotometerLite (Yang et al., AAAI 2020): account age; DFRLab: accounts created days before a campaign",
    },
    HandleDigits => SignalSpec {
        name: "handle_digits",
        family: Family::Profile,
        unit: "digits",
        description: "digits in the handle (auto-generated handles end in 8 digits)",
        min_events: 1,
        knots: &[(2.0, 0.0), (6.0, 1.0)],
        log10: false,
        weight: 0.75,
        source: "BotometerLite (Yang et al., AAAI 2020): screen-name digit count",
    },
    DefaultProfile => SignalSpec {
        name: "default_profile",
        family: Family::Profile,
        unit: "",
        description: "profile never customised (v1.1 only; unavailable in v2)",
        min_events: 1,
        knots: &[(0.0, 0.0), (1.0, 1.0)],
        log10: false,
        weight: 0.25,
        source: "BotometerLite (Yang et al., AAAI 2020)",
    },
    DefaultProfileImage => SignalSpec {
        name: "default_profile_image",
        family: Family::Profile,
        unit: "",
        description: "default avatar (v1.1 only; unavailable in v2)",
        min_events: 1,
        knots: &[(0.0, 0.0), (1.0, 1.0)],
        log10: false,
        weight: 0.5,
        source: "BotometerLite (Yang et al., AAAI 2020)",
    },
    FollowersFriendsRatio => SignalSpec {
        name: "followers_friends_ratio",
        family: Family::Profile,
        unit: "",
        description: "followers / (friends + 1)",
        min_events: 1,
        knots: &[(0.05, 1.0), (0.5, 0.0)],
        log10: false,
        weight: 0.25,
        source: "BotometerLite (Yang et al., AAAI 2020): followers/friends",
    },
    FollowersGrowthPerDay => SignalSpec {
        name: "followers_growth_per_day",
        family: Family::Profile,
        unit: "followers/day",
        description: "followers / account age in days (growth rate); descriptive, weight 0",
        min_events: 1,
        knots: &[(0.0, 0.0)],
        log10: false,
        weight: 0.0,
        source: "BotometerLite (Yang et al., AAAI 2020): growth rates",
    },
    CoordinationDegree => SignalSpec {
        name: "coordination_degree",
        family: Family::Coordination,
        unit: "accounts",
        description: "accounts it co-acted with significantly (same retweet, URL, text or hashtag sequence within the window, beyond the null model), ≥ 2 posts",
        min_events: 2,
        knots: &[(0.0, 0.0), (1.0, 0.6), (5.0, 1.0)],
        log10: false,
        weight: 1.5,
        source: "Pacheco et al., ICWSM 2021; Keller et al., Political Communication 2020",
    },
    CoordinationClusterSize => SignalSpec {
        name: "coordination_cluster_size",
        family: Family::Coordination,
        unit: "accounts",
        description: "size of its coordination cluster (1 = none), ≥ 2 posts",
        min_events: 2,
        knots: &[(1.0, 0.0), (3.0, 0.6), (10.0, 1.0)],
        log10: false,
        weight: 0.5,
        source: "Pacheco et al., ICWSM 2021",
    },
}

/// Adds the coordination signals from [`crate::coordination::detect`]; accounts with fewer
/// than two posts keep them null.
pub fn apply_coordination(
    features: &mut [AccountFeatures],
    coordination: &HashMap<(String, String), crate::coordination::AccountCoordination>,
) {
    let degree = Signal::CoordinationDegree as usize;
    let size = Signal::CoordinationClusterSize as usize;
    for account in features.iter_mut().filter(|a| a.posts >= 2) {
        let found = coordination.get(&(account.platform.clone(), account.account_id.clone()));
        account.values[degree] = Some(found.map_or(0.0, |c| f64::from(c.degree)));
        account.values[size] = Some(found.and_then(|c| c.cluster_size).map_or(1.0, f64::from));
    }
}

/// Index of a signal by name.
pub fn signal_index(name: &str) -> Option<usize> {
    SIGNALS.iter().position(|s| s.name == name)
}

/// One account's signals.
#[derive(Debug, Clone)]
pub struct AccountFeatures {
    pub platform: String,
    pub account_id: String,
    pub handle: Option<String>,
    pub posts: u32,
    pub retweets: u32,
    pub first_post_ms: i64,
    pub last_post_ms: i64,
    /// One value per [`SIGNALS`] entry; `None` = insufficient data or unavailable.
    pub values: Vec<Option<f64>>,
}

/// Profile fields needed from `accounts`.
#[derive(Debug, Clone, Default)]
struct Profile {
    handle: Option<String>,
    created_ms: Option<i64>,
    observed_ms: Option<i64>,
    followers: Option<i64>,
    friends: Option<i64>,
    statuses: Option<i64>,
    default_profile: Option<bool>,
    default_profile_image: Option<bool>,
}

fn profiles(accounts: &DataFrame) -> Result<HashMap<(String, String), Profile>> {
    let platform = strs(accounts, "platform")?;
    let id = strs(accounts, "account_id")?;
    let handle = strs(accounts, "handle")?;
    let created = times_ms(accounts, "account_created_at")?;
    let observed = times_ms(accounts, "profile_observed_at")?;
    let int = |name: &str| -> Result<Vec<Option<i64>>> {
        Ok(accounts.column(name)?.i64()?.iter().collect())
    };
    let boolean = |name: &str| -> Result<Vec<Option<bool>>> {
        Ok(accounts.column(name)?.bool()?.iter().collect())
    };
    let followers = int("followers")?;
    let friends = int("friends")?;
    let statuses = int("statuses_count")?;
    let default_profile = boolean("default_profile")?;
    let default_image = boolean("default_profile_image")?;
    let mut map = HashMap::with_capacity(accounts.height());
    for i in 0..accounts.height() {
        let (Some(p), Some(a)) = (platform[i], id[i]) else {
            continue;
        };
        map.insert(
            (p.to_string(), a.to_string()),
            Profile {
                handle: handle[i].map(str::to_string),
                created_ms: created[i],
                observed_ms: observed[i],
                followers: followers[i],
                friends: friends[i],
                statuses: statuses[i],
                default_profile: default_profile[i],
                default_profile_image: default_image[i],
            },
        );
    }
    Ok(map)
}

/// Per-post columns the signals need, sorted by (platform, author, time).
struct SortedPosts<'a> {
    /// The author's rank in the [`AccountIndex`]: equal ranks are one account.
    account: Vec<u32>,
    /// (platform, author_id) by rank ([`AccountIndex::keys`]).
    keys: &'a [(&'a str, &'a str)],
    handle: Vec<Option<&'a str>>,
    time_ms: Vec<i64>,
    is_retweet: Vec<bool>,
    latency_s: Vec<Option<f64>>,
    parent_author: Vec<Option<&'a str>>,
    /// Whether a retweet is among the first of a large cascade; `None` for posts that are
    /// not retweets of a large cascade.
    early_retweet: Vec<Option<bool>>,
}

impl<'a> SortedPosts<'a> {
    /// (platform, author_id) of the post at sorted position `i`.
    fn key(&self, i: usize) -> (&'a str, &'a str) {
        self.keys[self.account[i] as usize]
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
    // Null times sort first, as in polars.
    let mut order: Vec<(u32, i64, u32)> = index
        .rank_of_row
        .iter()
        .enumerate()
        .filter_map(|(i, rank)| Some(((*rank)?, time[i].unwrap_or(i64::MIN), i as u32)))
        .collect();
    order.par_sort_unstable();
    let parent_ms = times_ms(posts, "parent_created_at")?;
    let handle = strs(posts, "author_handle")?;
    let parent_author = strs(posts, "parent_author_id")?;
    let rows = || order.iter().map(|&(_, _, row)| row as usize);
    let time_ms: Vec<i64> = rows().map(|i| time[i].unwrap_or(0)).collect();
    let latency_s = rows()
        .zip(&time_ms)
        .map(|(i, &t)| match (is_retweet[i], parent_ms[i]) {
            (true, Some(p)) => Some(((t - p) as f64 / 1000.0).max(0.0)),
            _ => None,
        })
        .collect();
    Ok(SortedPosts {
        account: order.iter().map(|&(rank, _, _)| rank).collect(),
        keys: &index.keys,
        handle: rows().map(|i| handle[i]).collect(),
        time_ms,
        is_retweet: rows().map(|i| is_retweet[i]).collect(),
        latency_s,
        parent_author: rows().map(|i| parent_author[i]).collect(),
        early_retweet: rows().map(|i| early[i]).collect(),
    })
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Goh–Barabási memory coefficient: Pearson correlation of consecutive gaps.
fn memory_coefficient(gaps: &[f64]) -> Option<f64> {
    if gaps.len() < 3 {
        return None;
    }
    let (m1, s1) = mean_sd(&gaps[..gaps.len() - 1]);
    let (m2, s2) = mean_sd(&gaps[1..]);
    if s1 == 0.0 || s2 == 0.0 {
        return None;
    }
    let n = (gaps.len() - 1) as f64;
    let sum: f64 = gaps.windows(2).map(|w| (w[0] - m1) * (w[1] - m2)).sum();
    Some(sum / (n * s1 * s2))
}

/// Normalised Shannon entropy of counts (0 = one bin, 1 = uniform over `bins`).
fn normalised_entropy(counts: &[u32], bins: usize) -> f64 {
    let total: u32 = counts.iter().sum();
    if total == 0 || bins < 2 {
        return 0.0;
    }
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.ln()
        })
        .sum();
    h / (bins as f64).ln()
}

/// p-value of Pearson's chi-square test that `counts` are uniform.
fn uniformity_p(counts: &[u32]) -> Option<f64> {
    let total: u32 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let expected = total as f64 / counts.len() as f64;
    let statistic: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    let distribution = ChiSquared::new((counts.len() - 1) as f64).ok()?;
    Some(distribution.sf(statistic).max(f64::MIN_POSITIVE))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
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
    profile: Option<&Profile>,
    received: u32,
) -> AccountFeatures {
    let times = &sorted.time_ms[range.clone()];
    let posts = times.len() as u32;
    let retweet_rows: Vec<usize> = range.clone().filter(|&i| sorted.is_retweet[i]).collect();
    let retweets = retweet_rows.len() as u32;
    let first = times[0];
    let last = *times.last().unwrap_or(&first);
    let mut values = vec![None; SIGNALS.len()];
    let mut set = |signal: Signal, value: Option<f64>| {
        values[signal as usize] = value.filter(|v| v.is_finite());
    };

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
        .filter_map(|&i| sorted.latency_s[i])
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
            if let Some(source) = &sorted.parent_author[i] {
                *sources.entry(*source).or_default() += 1;
            }
        }
        let known: u32 = sources.values().sum();
        if known >= 5 {
            let top = sources.values().copied().max().unwrap_or(0);
            set(Signal::TopSourceShare, Some(top as f64 / known as f64));
        }
    }

    let handle = profile.and_then(|p| p.handle.clone()).or_else(|| {
        sorted.handle[range.clone()]
            .iter()
            .rev()
            .flatten()
            .next()
            .map(|h| h.to_string())
    });
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
    let profiles = profiles(accounts).context("reading account profiles")?;
    let sorted = sorted_view(posts, index).context("sorting posts by author and time")?;
    phase("sort", began);
    let began = std::time::Instant::now();
    let mut received: foldhash::HashMap<(&str, &str), u32> = Default::default();
    for i in 0..sorted.account.len() {
        if let (true, Some(parent)) = (sorted.is_retweet[i], sorted.parent_author[i]) {
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
            let profile = profiles.get(&(key.0.to_string(), key.1.to_string()));
            let created_day = profile
                .and_then(|p| p.created_ms)
                .map(|ms| ms.div_euclid(DAY_MS as i64));
            (account_signals(&sorted, range, profile, got), created_day)
        })
        .unzip();
    let cohort = Signal::CreationCohortRatio as usize;
    for (account, ratio) in features.iter_mut().zip(creation_cohorts(&created_days)) {
        account.values[cohort] = ratio;
    }
    phase("per-account signals", began);
    Ok(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_variant_names_its_spec() {
        assert_eq!(Signal::ALL.len(), SIGNALS.len());
        for (i, &signal) in Signal::ALL.iter().enumerate() {
            assert_eq!(signal as usize, i);
            // CamelCase → snake_case; a run of digits after a letter starts a word.
            let mut snake = String::new();
            let mut previous: Option<char> = None;
            for c in signal.identifier().chars() {
                let starts_word = c.is_ascii_uppercase()
                    || (c.is_ascii_digit() && previous.is_some_and(|p| p.is_ascii_alphabetic()));
                if starts_word && previous.is_some() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
                previous = Some(c);
            }
            assert_eq!(snake, signal.spec().name);
            assert_eq!(signal_index(signal.spec().name), Some(i));
        }
    }

    #[test]
    fn a_batch_created_together_stands_out_from_its_background() {
        // One account created every other day for a year, and a batch of 12 on day 200.
        let mut days: Vec<Option<i64>> = (0..365).step_by(2).map(Some).collect();
        days.extend(std::iter::repeat_n(Some(200), 12));
        days.push(None);
        let ratios = creation_cohorts(&days);
        assert_eq!(ratios[days.len() - 1], None);
        assert_eq!(ratios[0], Some(0.0), "a lone account is no cohort");
        let batch = ratios[days.len() - 2].unwrap();
        // 13 accounts within a day against 1.5 expected from the ±60 days around.
        assert!(batch > 8.0, "{batch}");
    }

    #[test]
    fn burstiness_extremes() {
        // Clockwork gaps: CV 0, B = −1; entropy 0.
        let periodic = vec![60.0; 20];
        let (m, s) = mean_sd(&periodic);
        assert_eq!(s / m, 0.0);
        assert_eq!((s - m) / (s + m), -1.0);
        let mut bins = [0u32; 21];
        bins[6] = 20;
        assert_eq!(normalised_entropy(&bins, 21), 0.0);
        assert!((normalised_entropy(&[5, 5, 5, 5], 4) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn chi_square_uniformity() {
        assert!(uniformity_p(&[10; 60]).unwrap() > 0.99);
        let mut clock = [0u32; 60];
        clock[0] = 60;
        assert!(uniformity_p(&clock).unwrap() < 1e-20);
    }

    #[test]
    fn memory_of_alternating_gaps_is_negative() {
        let gaps: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 1.0 } else { 100.0 })
            .collect();
        assert!(memory_coefficient(&gaps).unwrap() < -0.9);
        assert!(memory_coefficient(&[5.0; 10]).is_none());
    }

    #[test]
    fn every_signal_has_increasing_knots() {
        for spec in SIGNALS {
            assert!(
                spec.knots.windows(2).all(|w| w[0].0 < w[1].0),
                "{}",
                spec.name
            );
            assert!(
                spec.knots.iter().all(|k| (0.0..=1.0).contains(&k.1)),
                "{}",
                spec.name
            );
        }
    }
}
