//! Population-relative judgement of the timing and amplification signals.
//!
//! A published threshold (DFRLab's 72 posts a day, RTbust's seconds) says what is fast in
//! general; a campaign whose ordinary users are unusually fast or slow would shift every
//! account against it. So each such signal is also judged against the dataset's own
//! accounts: a one-sided robust z-score, (value − median) / (1.4826 · MAD) in the
//! signal's suspicious direction, with the mean absolute deviation (× 1.2533) standing in
//! when more than half the accounts share one value (Iglewicz & Hoaglin, "How to Detect
//! and Handle Outliers", ASQC 1993: the modified z-score and its 3.5 outlier rule).
//! Rates, latencies, ratios and per-follower counts are judged on a log scale (they span orders
//! of magnitude). Tests that already carry a p-value (the clock and period tests) are not:
//! their null distribution is known, and the population adds nothing to it.
//!
//! [`crate::score`] mixes the two suspicions: `(1 − population_share) · published +
//! population_share · population`.

use rayon::prelude::*;

use crate::features::stats::median as median_in_place;
use crate::features::{Family, SIGNALS, SignalSpec, SignalValues};

/// Robust z at which the population suspicion starts, is half and is full: 3.5 is
/// Iglewicz & Hoaglin's outlier cut-off for the modified z-score.
pub const Z_KNOTS: [(f64, f64); 3] = [(2.0, 0.0), (3.5, 0.5), (5.0, 1.0)];
/// Fewest accounts with the signal for the population to be judged at all: below this the
/// median and MAD say little, and only the published threshold applies.
pub const MIN_ACCOUNTS: usize = 30;
/// MAD → standard deviation of a normal distribution.
const MAD_SCALE: f64 = 1.4826;
/// Mean absolute deviation → standard deviation (Iglewicz & Hoaglin's MAD = 0 fallback).
const MEAN_AD_SCALE: f64 = 1.253314;

/// Where and how widely one signal lies among the dataset's accounts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PopulationScale {
    /// Accounts with the signal available.
    pub accounts: usize,
    /// Median of the (log-)values.
    pub median: f64,
    /// Robust standard deviation of the (log-)values.
    pub scale: f64,
    /// Whether values are judged as log10(1 + value).
    pub log: bool,
    /// Whether high values are the suspicious ones.
    pub high_is_suspicious: bool,
}

impl PopulationScale {
    fn transform(&self, value: f64) -> f64 {
        if self.log {
            (1.0 + value.max(0.0)).log10()
        } else {
            value
        }
    }

    /// One-sided robust z: how far the value lies beyond the median in the suspicious
    /// direction, in robust standard deviations (negative on the unsuspicious side).
    pub fn z(&self, value: f64) -> f64 {
        let d = self.transform(value) - self.median;
        let d = if self.high_is_suspicious { d } else { -d };
        d / self.scale
    }

    /// 0–1 suspicion of a value against the population ([`Z_KNOTS`]).
    pub fn suspicion(&self, value: f64) -> f64 {
        let z = self.z(value);
        if z <= Z_KNOTS[0].0 {
            return 0.0;
        }
        for pair in Z_KNOTS.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            if z <= x1 {
                return y0 + (y1 - y0) * (z - x0) / (x1 - x0);
            }
        }
        1.0
    }
}

/// Whether a signal is judged against the population, and on which scale (log or not).
pub fn judged(spec: &SignalSpec) -> Option<bool> {
    let directional =
        spec.knots.len() >= 2 && spec.knots[0].1 != spec.knots[spec.knots.len() - 1].1;
    let family = matches!(spec.family, Family::Timing | Family::Amplification);
    if !directional || !family || spec.log10 {
        return None;
    }
    Some(matches!(
        spec.unit,
        "posts/day" | "s" | "retweets/follower" | "×"
    ))
}

/// The population scale of every signal ([`SIGNALS`] order) over the accounts' signal
/// values; `None` for signals not judged, with fewer than [`MIN_ACCOUNTS`] values, or
/// without spread.
pub fn scales(accounts: &[&SignalValues]) -> Vec<Option<PopulationScale>> {
    // One signal per task: each sorts its own values.
    SIGNALS
        .par_iter()
        .enumerate()
        .map(|(index, spec)| {
            let log = judged(spec)?;
            let high_is_suspicious = spec.knots[spec.knots.len() - 1].1 > spec.knots[0].1;
            let transform = |v: f64| if log { (1.0 + v.max(0.0)).log10() } else { v };
            let mut values: Vec<f64> = accounts
                .iter()
                .filter_map(|a| a.get(index))
                .filter(|v| v.is_finite())
                .map(transform)
                .collect();
            if values.len() < MIN_ACCOUNTS {
                return None;
            }
            let median = median_in_place(&mut values);
            let mut deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
            let mad = median_in_place(&mut deviations);
            let scale = if mad > 0.0 {
                MAD_SCALE * mad
            } else {
                MEAN_AD_SCALE * deviations.iter().sum::<f64>() / deviations.len() as f64
            };
            (scale > 1e-12).then_some(PopulationScale {
                accounts: values.len(),
                median,
                scale,
                log,
                high_is_suspicious,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal_index;

    fn scales_of(signal: &str, values: &[f64]) -> Vec<Option<PopulationScale>> {
        let index = signal_index(signal).unwrap();
        let rows: Vec<SignalValues> = values
            .iter()
            .map(|&v| {
                let mut row = SignalValues::absent(SIGNALS.len());
                row.set(index, Some(v));
                row
            })
            .collect();
        let slices: Vec<&SignalValues> = rows.iter().collect();
        scales(&slices)
    }

    #[test]
    fn a_fast_crowd_moves_the_median_not_the_published_threshold() {
        let latency = signal_index("retweet_latency_median_s").unwrap();
        // Humans retweeting in 20–60 s (fast by RTbust's standard) and two bots at 2 s.
        let mut values: Vec<f64> = (0..100).map(|i| 20.0 + 0.4 * i as f64).collect();
        values.extend([2.0, 2.0]);
        let scales = scales_of("retweet_latency_median_s", &values);
        let scale = scales[latency].expect("judged");
        assert!(scale.log && !scale.high_is_suspicious);
        assert_eq!(
            scale.suspicion(40.0),
            0.0,
            "a typical member is not suspicious"
        );
        assert_eq!(scale.suspicion(2.0), 1.0, "z = {}", scale.z(2.0));
    }

    #[test]
    fn mostly_equal_values_fall_back_to_the_mean_absolute_deviation() {
        let share = signal_index("retweets_within_60s_share").unwrap();
        let mut values = vec![0.0; 95];
        values.extend([1.0; 5]);
        let scale = scales_of("retweets_within_60s_share", &values)[share].unwrap();
        assert_eq!(scale.median, 0.0);
        assert!(scale.scale > 0.0);
        assert_eq!(scale.suspicion(1.0), 1.0);
        assert_eq!(scale.suspicion(0.0), 0.0);
    }

    #[test]
    fn p_values_profiles_and_small_populations_are_not_judged() {
        let p = signal_index("schedule_period_p").unwrap();
        let age = signal_index("account_age_days").unwrap();
        let rate = signal_index("posts_per_day").unwrap();
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        assert!(scales_of("schedule_period_p", &values)[p].is_none());
        assert!(scales_of("account_age_days", &values)[age].is_none());
        assert!(scales_of("posts_per_day", &values[..MIN_ACCOUNTS - 1])[rate].is_none());
        assert!(scales_of("posts_per_day", &values[..MIN_ACCOUNTS])[rate].is_some());
    }
}
