//! The signal catalogue: every signal's name, family, unit, data minimum, suspicion knots,
//! default weight and published source, with the typed [`Signal`] that indexes it.

/// Signal families, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// When an account posts: rates, gap regularity, clock and schedule tests, retweet
    /// latency, awakening (`timing`).
    Timing,
    /// How much it reposts and whom: retweet share, early retweets, top source, retweets
    /// received per follower (`amplification`).
    Amplification,
    /// What its profile says: age, creation cohort, handle digits, default profile and
    /// image, followers/friends ratio, follower growth (`profile`).
    Profile,
    /// Co-actions with other accounts: coordination degree and cluster size
    /// (`coordination`).
    Coordination,
}

/// One signal: what it measures, how much data it needs, and where its threshold comes from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignalSpec {
    /// The signal's name: its column in the scored accounts table and its key in weights
    /// files.
    pub name: &'static str,
    /// The family it belongs to.
    pub family: Family,
    /// The unit of its value (`posts/day`, `s`, `days`, `p` for p-values, ...; empty for
    /// shares and other unitless values).
    pub unit: &'static str,
    /// What the value is, and the data it needs, in one line.
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
    /// Where the signal and its knots come from: published work, or a tagscope heuristic.
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
    ($($(#[$meta:meta])* $variant:ident => $spec:expr),* $(,)?) => {
        /// A signal by type rather than by string (`Signal::PostsPerDay as usize` indexes
        /// [`SIGNALS`]); names from users (weights files) go through [`signal_index`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Signal {
            $($(#[$meta])* $variant),*
        }

        impl Signal {
            /// Every variant, in [`SIGNALS`] order.
            pub const ALL: &[Signal] = &[$(Signal::$variant),*];

            /// The variant's identifier as written (for the test that it names its spec).
            #[cfg(test)]
            pub(super) fn identifier(self) -> &'static str {
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
    /// `posts_per_day`: posts in the data per day of the account's active span.
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
    /// `lifetime_posts_per_day`: the profile's statuses count per day of account age.
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
    /// `interval_cv`: coefficient of variation of the gaps between posts.
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
    /// `burstiness`: Goh–Barabási burstiness of the gaps between posts.
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
    /// `memory_coefficient`: correlation of consecutive gaps between posts.
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
    /// `gap_entropy`: normalised entropy of the gaps between posts, binned by log2 seconds.
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
    /// `second_of_minute_p`: chi-square p-value of uniform second-of-minute.
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
    /// `minute_of_hour_p`: chi-square p-value of uniform minute-of-hour.
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
    /// `second_of_minute_rayleigh_p`: Rayleigh p-value of uniform second-of-minute phase.
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
    /// `minute_of_hour_rayleigh_p`: Rayleigh p-value of uniform minute-of-hour phase.
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
    /// `schedule_period_p`: p-value of posting at multiples of a fixed period.
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
    /// `schedule_period_s`: the period found by `schedule_period_p`, in s.
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
    /// `hour_of_day_entropy`: normalised entropy of posts over the 24 hours of the day.
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
    /// `retweet_latency_median_s`: median time from original to retweet, in s.
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
    /// `retweet_latency_min_s`: fastest time from original to retweet, in s.
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
    /// `retweets_within_60s_share`: share (0–1) of retweets made within 60 s of the original.
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
    /// `retweet_share`: share (0–1) of the account's posts that are retweets.
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
    /// `early_retweet_share`: share (0–1) of its retweets of large cascades among the first
    /// of their cascade.
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
    /// `top_source_share`: share (0–1) of its retweets that go to its most-retweeted account.
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
    /// `retweets_received_per_follower`: retweets of its posts in the data per follower.
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
    /// `awakening_ratio`: posting rate in the data over the lifetime rate of its profile.
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
    /// `creation_cohort_ratio`: accounts created within a day of it, over the number
    /// expected.
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
    /// `account_age_days`: days from account creation to its first post in the data.
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
    /// `handle_digits`: digits in the handle.
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
    /// `default_profile`: 1 when the profile was never customised, else 0.
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
    /// `default_profile_image`: 1 when the account keeps the default avatar, else 0.
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
    /// `followers_friends_ratio`: followers / (friends + 1).
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
    /// `followers_growth_per_day`: followers per day of account age.
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
    /// `coordination_degree`: accounts it co-acted with beyond the null model.
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
    /// `coordination_cluster_size`: accounts in its coordination cluster (1 when in none).
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

/// Index of a signal by name.
pub fn signal_index(name: &str) -> Option<usize> {
    SIGNALS.iter().position(|s| s.name == name)
}
