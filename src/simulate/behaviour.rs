//! Behaviour parameters of one simulated world: how fast and how regularly each kind of
//! account posts and reacts, and how many of each kind there are.
//!
//! [`Behaviour::default`] is the original fixed world (its constants reproduce earlier
//! datasets byte for byte). [`Behaviour::randomised`] draws every parameter from a broad
//! range with the world's seed, so that detection defaults can be chosen on one set of
//! worlds and reported on another instead of being fitted to one generator's constants
//! (issue 14: "a knot moved to fit one simulator seed is a regression").

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How a scheduled account's clock works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStyle {
    /// Every N whole minutes (N from 5, 10, 15, 20, 30) at second :00 plus up to the jitter.
    WholeMinutes,
    /// A fixed period in seconds (any value, not a whole minute), ± the jitter: news feeds.
    Period,
    /// A fixed second of the minute at random minutes (a Poisson number per hour).
    FixedSecond,
    /// A fixed-period schedule for part of the posts, the rest human sessions.
    Mixture,
}

const STYLES: [ScheduleStyle; 4] = [
    ScheduleStyle::WholeMinutes,
    ScheduleStyle::Period,
    ScheduleStyle::FixedSecond,
    ScheduleStyle::Mixture,
];

/// Account shares (fractions of all Twitter accounts) drawn for a randomised world.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shares {
    /// Share (0–1) of amplifier bots (high-rate retweeters on a jittered clock).
    pub amplifier: f64,
    /// Share (0–1) of accounts in coordinated groups.
    pub coordinated: f64,
    /// Mean accounts per coordinated group.
    pub coordinated_group_size: usize,
    /// Share (0–1) of scheduled bots (posting on a clock).
    pub scheduled: f64,
    /// Share (0–1) of low-volume bots (a handful of fast retweets each).
    pub low_volume: f64,
    /// Share (0–1) of hyperactive humans.
    pub hyperactive: f64,
    /// Share (0–1) of ordinary humans that are dormant (created 2016, few statuses).
    pub dormant: f64,
}

/// Rates, clocks and latencies of every account kind. Latencies are medians of lognormal
/// delays unless said otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct Behaviour {
    /// Range of amplifier retweets per day (one rate per account).
    pub amplifier_rate: (f64, f64),
    /// Amplifier clock jitter, as a fraction of its period (uniform ±).
    pub amplifier_jitter: f64,
    /// Range of hyperactive humans' posts per day.
    pub hyperactive_rate: (f64, f64),
    /// Mean extra posts per session and median gap inside a session (ms): ordinary humans.
    pub human_session_mean: f64,
    /// Median gap between posts inside an ordinary human's session (ms).
    pub human_gap_median_ms: f64,
    /// The same for hyperactive humans.
    pub hyper_session_mean: f64,
    /// Median gap between posts inside a hyperactive human's session (ms).
    pub hyper_gap_median_ms: f64,
    /// Reaction delay of ordinary and hyperactive humans (ms).
    pub human_latency_median_ms: f64,
    /// Median reaction delay of hyperactive humans (ms).
    pub hyper_latency_median_ms: f64,
    /// Amplifier (and coordinated non-burst) reaction delay beyond 2 s (ms).
    pub bot_latency_median_ms: f64,
    /// Low-volume accounts' reaction delay beyond 3 s (ms).
    pub low_volume_latency_median_ms: f64,
    /// Posts of a low-volume account (inclusive range).
    pub low_volume_posts: (u32, u32),
    /// Share of low-volume accounts that are dormant (created 2016, few statuses).
    pub low_volume_dormant_share: f64,
    /// Share of low-volume accounts registered in batches (about 20 accounts created on
    /// the same day).
    pub low_volume_cohort_share: f64,
    /// Mean delay of a coordinated member after the burst lead (ms, exponential).
    pub coordinated_latency_mean_ms: f64,
    /// Bursts per coordinated group per day.
    pub bursts_per_group_per_day: f64,
    /// Relative frequency of each [`ScheduleStyle`] (whole minutes, period, fixed second,
    /// mixture).
    pub schedule_style_weights: [f64; 4],
    /// Scheduled posts' jitter (ms): uniform 0..jitter for whole minutes, ± for the others.
    pub schedule_jitter_ms: f64,
    /// Share of schedule slots left out (missed runs).
    pub schedule_missed_share: f64,
    /// Range of the period of `Period` and `Mixture` schedules (seconds).
    pub schedule_period_s: (f64, f64),
    /// Range of posts per hour of `FixedSecond` schedules.
    pub fixed_second_per_hour: (f64, f64),
    /// Share of a `Mixture` account's posts that are human sessions.
    pub mixture_human_share: f64,
    /// Account shares drawn for this world (`None`: the configuration's).
    pub shares: Option<Shares>,
    /// Whether the parameters were drawn (`--randomise`).
    pub randomised: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            amplifier_rate: (100.0, 350.0),
            amplifier_jitter: 0.1,
            hyperactive_rate: (80.0, 180.0),
            human_session_mean: 2.0,
            human_gap_median_ms: 120_000.0,
            hyper_session_mean: 5.0,
            hyper_gap_median_ms: 60_000.0,
            human_latency_median_ms: 20.0 * 60_000.0,
            hyper_latency_median_ms: 6.0 * 60_000.0,
            bot_latency_median_ms: 6000.0,
            low_volume_latency_median_ms: 12_000.0,
            low_volume_posts: (2, 8),
            low_volume_dormant_share: 0.4,
            low_volume_cohort_share: 0.0,
            coordinated_latency_mean_ms: 8000.0,
            bursts_per_group_per_day: 25.0,
            schedule_style_weights: [1.0, 0.0, 0.0, 0.0],
            schedule_jitter_ms: 900.0,
            schedule_missed_share: 0.0,
            schedule_period_s: (300.0, 1800.0),
            fixed_second_per_hour: (2.0, 6.0),
            mixture_human_share: 0.5,
            shares: None,
            randomised: false,
        }
    }
}

/// Uniform on a log scale between `lo` and `hi`: for parameters spanning an order of
/// magnitude (latencies, rates), so each decade is as likely as the next.
fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (rng.random_range(lo.ln()..hi.ln())).exp()
}

impl Behaviour {
    /// Every parameter drawn from a broad range, from its own random stream of `seed` (so
    /// the rest of the world is drawn as usual). The ranges bracket what the bot and
    /// campaign literature reports (amplifiers at tens to hundreds of posts a day, bot
    /// reactions within seconds to a minute, news feeds on fixed periods with a second or
    /// two of jitter) and go past the fixed world's values on both sides.
    pub fn randomised(seed: u64) -> Behaviour {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6265_6861_7669_6f75);
        let rng = &mut rng;
        let amp_low = log_uniform(rng, 30.0, 150.0);
        let hyper_low = log_uniform(rng, 40.0, 120.0);
        let low_volume_max = rng.random_range(5..=10);
        let period_low = log_uniform(rng, 120.0, 900.0);
        let fixed_low = rng.random_range(1.0..4.0);
        Behaviour {
            amplifier_rate: (amp_low, amp_low * rng.random_range(1.5..4.0)),
            amplifier_jitter: rng.random_range(0.02..0.6),
            hyperactive_rate: (hyper_low, hyper_low * rng.random_range(1.5..3.0)),
            human_session_mean: rng.random_range(1.2..4.0),
            human_gap_median_ms: log_uniform(rng, 30_000.0, 300_000.0),
            hyper_session_mean: rng.random_range(2.0..8.0),
            hyper_gap_median_ms: log_uniform(rng, 20_000.0, 180_000.0),
            human_latency_median_ms: log_uniform(rng, 2.0 * 60_000.0, 60.0 * 60_000.0),
            hyper_latency_median_ms: log_uniform(rng, 60_000.0, 15.0 * 60_000.0),
            bot_latency_median_ms: log_uniform(rng, 2000.0, 30_000.0),
            low_volume_latency_median_ms: log_uniform(rng, 3000.0, 40_000.0),
            low_volume_posts: (2, low_volume_max),
            low_volume_dormant_share: rng.random_range(0.2..0.7),
            low_volume_cohort_share: rng.random_range(0.0..0.6),
            coordinated_latency_mean_ms: log_uniform(rng, 3000.0, 20_000.0),
            bursts_per_group_per_day: rng.random_range(10.0..40.0),
            schedule_style_weights: [
                rng.random_range(0.1..1.0),
                rng.random_range(0.1..1.0),
                rng.random_range(0.1..1.0),
                rng.random_range(0.1..1.0),
            ],
            schedule_jitter_ms: rng.random_range(0.0..2000.0),
            schedule_missed_share: rng.random_range(0.0..0.3),
            schedule_period_s: (period_low, period_low * rng.random_range(1.5..4.0)),
            fixed_second_per_hour: (fixed_low, fixed_low * rng.random_range(1.5..3.0)),
            mixture_human_share: rng.random_range(0.3..0.7),
            shares: Some(Shares {
                amplifier: log_uniform(rng, 0.002, 0.008),
                coordinated: log_uniform(rng, 0.002, 0.01),
                coordinated_group_size: rng.random_range(8..=50),
                scheduled: log_uniform(rng, 0.001, 0.005),
                low_volume: log_uniform(rng, 0.01, 0.05),
                hyperactive: log_uniform(rng, 0.001, 0.006),
                dormant: log_uniform(rng, 0.01, 0.06),
            }),
            randomised: true,
        }
    }

    /// The clock of one scheduled account. The fixed world has one style and draws
    /// nothing (so its datasets stay as they were).
    pub fn schedule_style(&self, rng: &mut impl Rng) -> ScheduleStyle {
        if !self.randomised {
            return ScheduleStyle::WholeMinutes;
        }
        STYLES[super::weighted(rng, &self.schedule_style_weights)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomised_worlds_differ_and_repeat() {
        let a = Behaviour::randomised(1);
        let b = Behaviour::randomised(2);
        assert_ne!(a.amplifier_rate, b.amplifier_rate);
        let again = Behaviour::randomised(1);
        assert_eq!(a.amplifier_rate, again.amplifier_rate);
        assert_eq!(a.schedule_style_weights, again.schedule_style_weights);
        for seed in 0..50 {
            let w = Behaviour::randomised(seed);
            assert!(w.amplifier_rate.0 < w.amplifier_rate.1);
            assert!(w.low_volume_posts.0 >= 2 && w.low_volume_posts.1 <= 10);
            assert!((0.0..0.3).contains(&w.schedule_missed_share));
            let shares = w.shares.unwrap();
            assert!(shares.low_volume >= 0.01 && shares.low_volume <= 0.05);
        }
    }

    #[test]
    fn the_fixed_world_draws_no_schedule_style() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let before = rng.clone().random::<u64>();
        assert_eq!(
            Behaviour::default().schedule_style(&mut rng),
            ScheduleStyle::WholeMinutes
        );
        assert_eq!(rng.random::<u64>(), before);
    }
}
