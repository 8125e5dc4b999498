//! Schedule detection that does not depend on one generator: posting on a clock (a fixed
//! second of the minute or minute of the hour, including several evenly spaced ones) and
//! posting on a fixed period with a few seconds of jitter and missed slots, alone or mixed
//! with human activity. Pure functions over post times; [`crate::features`] turns them
//! into signals.
//!
//! * [`clock_rayleigh_p`]: Rayleigh test of uniformity of the phase of each post within a
//!   cycle (60 s or 3600 s), on the first [`HARMONICS`] harmonics (angles multiplied by m,
//!   so that m evenly spaced clock positions — every 15 minutes, say — concentrate too;
//!   Mardia & Jupp, *Directional Statistics*, 2000), Bonferroni over the harmonics, on
//!   posts thinned to one per half cycle. p-values by Zar's approximation
//!   (*Biostatistical Analysis*, 4th ed., eq. 27.4).
//! * [`periodicity`]: for candidate periods taken from the data, the time differences
//!   between each post and its next [`LAGS`] posts are compared, around every multiple of the
//!   period, with the flanks on either side: a schedule puts a sharp peak at k·P (missed
//!   slots are larger k, a few seconds of jitter stay inside the ±[`TOLERANCE_S`] window),
//!   while any smooth distribution of gaps — Poisson, bursty, a strong daily rhythm —
//!   puts about a quarter of the window-plus-flanks count in the window. Binomial test,
//!   Bonferroni over the candidates (nine order statistics of the differences, each also
//!   halved and divided by three). A tagscope heuristic (local-contrast peak test).

use statrs::distribution::{Binomial, DiscreteCDF};

/// Harmonics tried by the clock test: 1 (one position) to 6 (six positions 10 apart).
pub const HARMONICS: u32 = 6;
/// Half-width of the window around each multiple of a period, in seconds (± a few
/// seconds of jitter on each post; whole-second timestamps fall −4 … 4).
pub const TOLERANCE_S: f64 = 4.5;
/// Flanks reach this many tolerances from the multiple: window 9 s against 27 s of flanks,
/// so a smooth density puts ¼ of their joint count in the window.
pub const FLANK_FACTOR: f64 = 4.0;
/// Shortest period tried: below it the flanks of neighbouring multiples overlap (those
/// fast schedules are what `interval_cv` and `gap_entropy` already see).
pub const MIN_PERIOD_S: f64 = 2.0 * FLANK_FACTOR * TOLERANCE_S + 2.0;
/// Longest period tried (a period dividing the hour also shows in the minute-of-hour test).
pub const MAX_PERIOD_S: f64 = 6.0 * 3600.0;
/// Multiples of the period counted (missed slots up to this).
pub const MAX_MULTIPLE: f64 = 12.0;
/// Each post is paired with its next LAGS posts, so a schedule interleaved with other
/// activity still pairs its own posts.
pub const LAGS: usize = 3;
/// Quantiles of the differences used as candidate periods.
const CANDIDATE_QUANTILES: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// Refinements of a candidate period (median of d/k over its hits), each from the last.
const REFINEMENTS: usize = 4;
/// Each candidate is also tried divided by 2 and 3.
const DIVISORS: usize = 3;
/// Window hits needed before a period can be reported.
const MIN_HITS: u64 = 5;

/// Upper-tail p-value of the Rayleigh test for `n` angles with mean resultant length `r`:
/// Zar's approximation exp(√(1 + 4n + 4(n² − R²)) − (1 + 2n)) with R = n·r, accurate from
/// about n = 10 and well behaved for every r (the series in Z diverges for large Z).
pub fn rayleigh_p(n: usize, r: f64) -> f64 {
    let n = n as f64;
    let big_r = n * r;
    let p = ((1.0 + 4.0 * n + 4.0 * (n * n - big_r * big_r))
        .max(0.0)
        .sqrt()
        - (1.0 + 2.0 * n))
        .exp();
    p.clamp(f64::MIN_POSITIVE, 1.0)
}

/// Mean resultant length of the angles 2π·m·x for fractions `x` of a cycle.
fn resultant(fractions: &[f64], m: u32) -> f64 {
    let (mut c, mut s) = (0.0, 0.0);
    for &x in fractions {
        let angle = std::f64::consts::TAU * f64::from(m) * x;
        c += angle.cos();
        s += angle.sin();
    }
    (c * c + s * s).sqrt() / fractions.len() as f64
}

/// Posts kept by thinning: each at least `min_gap_ms` after the last one kept. Bursts
/// (a human's run of retweets within seconds) would otherwise share a phase by chance.
pub fn thinned(times_ms: &[i64], min_gap_ms: i64) -> Vec<i64> {
    let mut kept: Vec<i64> = Vec::with_capacity(times_ms.len());
    for &t in times_ms {
        if kept.last().is_none_or(|&last| t - last >= min_gap_ms) {
            kept.push(t);
        }
    }
    kept
}

/// p-value that post phases within a cycle of `cycle_ms` are uniform, the smallest over
/// harmonics 1..=[`HARMONICS`] times their number (Bonferroni), on the posts kept by
/// [`thinned`] at half a cycle; `None` when fewer than `min_posts` are kept. Times sorted.
pub fn clock_rayleigh_p(times_ms: &[i64], cycle_ms: i64, min_posts: usize) -> Option<f64> {
    let kept = thinned(times_ms, cycle_ms / 2);
    if kept.len() < min_posts.max(2) {
        return None;
    }
    let fractions: Vec<f64> = kept
        .iter()
        .map(|t| t.rem_euclid(cycle_ms) as f64 / cycle_ms as f64)
        .collect();
    let best = (1..=HARMONICS)
        .map(|m| rayleigh_p(fractions.len(), resultant(&fractions, m)))
        .fold(1.0, f64::min);
    Some((best * f64::from(HARMONICS)).min(1.0))
}

/// A detected period and its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periodicity {
    /// The best candidate period, refined on its hits (seconds).
    pub period_s: f64,
    /// Bonferroni-corrected binomial p-value of the window hits against the flanks.
    pub p: f64,
    /// Differences within ±[`TOLERANCE_S`] of a multiple of the period.
    pub hits: u64,
    /// Differences in the flanks.
    pub flanks: u64,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Window and flank counts of the differences around multiples of `period` (and the
/// refined period: median of d/k over the hits). `sorted`: the differences in increasing
/// order, so that each multiple's window and flanks are found by binary search rather than
/// by a pass over every difference (the pass, made five times per candidate period, was a
/// quarter of the features stage). Each difference counts for its nearest multiple only,
/// as a pass rounding d/period would count it: the same counts and period, bit for bit.
fn count(sorted: &[f64], period: f64) -> (u64, u64, f64) {
    use crate::rounding::round_half_away;
    let reach = FLANK_FACTOR * TOLERANCE_S;
    let (mut hits, mut flanks) = (0u64, 0u64);
    let mut ratios = Vec::new();
    let mut k = 1.0;
    while k <= MAX_MULTIPLE {
        let centre = k * period;
        // A little wider than the flanks: the exact test below decides.
        let margin = reach * (1.0 + 1e-9) + centre.abs() * 1e-12;
        let start = sorted.partition_point(|&d| d < centre - margin);
        for &d in &sorted[start..] {
            if d > centre + margin {
                break;
            }
            if round_half_away(d / period) != k {
                continue;
            }
            let off = (d - k * period).abs();
            if off <= TOLERANCE_S {
                hits += 1;
                ratios.push(d / k);
            } else if off <= reach {
                flanks += 1;
            }
        }
        k += 1.0;
    }
    (hits, flanks, refined_period(ratios, period))
}

/// The median of the hits' d/k, or `period` itself when nothing hit.
fn refined_period(mut ratios: Vec<f64>, period: f64) -> f64 {
    ratios.sort_by(f64::total_cmp);
    if ratios.is_empty() {
        period
    } else {
        median(&ratios)
    }
}

/// Evidence of posting on a fixed period; `None` with fewer than `min_gaps` gaps.
/// Times must be sorted (ms).
pub fn periodicity(times_ms: &[i64], min_gaps: usize) -> Option<Periodicity> {
    if times_ms.len() < min_gaps + 1 {
        return None;
    }
    let mut diffs = Vec::with_capacity(times_ms.len() * LAGS);
    for i in 0..times_ms.len() {
        for j in i + 1..(i + 1 + LAGS).min(times_ms.len()) {
            diffs.push((times_ms[j] - times_ms[i]) as f64 / 1000.0);
        }
    }
    let mut sorted = diffs;
    sorted.sort_by(f64::total_cmp);
    // Order statistics (an interpolated quantile falls between two multiples) and their
    // halves and thirds (when most slots are missed, no observed difference is the period).
    let mut candidates: Vec<f64> = CANDIDATE_QUANTILES
        .iter()
        .map(|&q| sorted[(q * (sorted.len() - 1) as f64).round() as usize])
        .flat_map(|d| (1..=DIVISORS).map(move |k| d / k as f64))
        .filter(|p| (MIN_PERIOD_S..=MAX_PERIOD_S).contains(p))
        .collect();
    candidates.sort_by(|a, b| b.total_cmp(a));
    candidates.dedup_by(|a, b| (*a - *b).abs() <= TOLERANCE_S);
    let tests = (CANDIDATE_QUANTILES.len() * DIVISORS) as f64;
    let mut best: Option<Periodicity> = None;
    for candidate in candidates {
        // A candidate a few seconds off drifts out of the window at higher multiples:
        // refine on the hits a few times.
        let mut refined = candidate;
        for _ in 0..REFINEMENTS {
            refined = count(&sorted, refined).2;
        }
        let (hits, flanks, period) = {
            let (h, f, _) = count(&sorted, refined);
            (h, f, refined)
        };
        if hits < MIN_HITS {
            continue;
        }
        // Pairs overlap (each post is in up to 2·LAGS of them): count each post once.
        let scale = LAGS as f64;
        let h = (hits as f64 / scale).ceil() as u64;
        let total = ((hits + flanks) as f64 / scale).ceil() as u64;
        let window = 2.0 * TOLERANCE_S;
        let share = window / (2.0 * FLANK_FACTOR * TOLERANCE_S);
        let p = Binomial::new(share, total)
            .map(|b| if h == 0 { 1.0 } else { b.sf(h - 1) })
            .unwrap_or(1.0);
        let p = (p * tests).clamp(f64::MIN_POSITIVE, 1.0);
        // Candidates in decreasing order: on a tie (a half-period has the same hits) the
        // longer period is kept.
        if best.is_none_or(|b| p < b.p) {
            best = Some(Periodicity {
                period_s: period,
                p,
                hits,
                flanks,
            });
        }
    }
    Some(best.unwrap_or(Periodicity {
        period_s: f64::NAN,
        p: 1.0,
        hits: 0,
        flanks: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp};

    const T0: i64 = 1_494_000_000_000; // 2017-05-05 16:00 UTC

    /// The pass over every difference that `count` replaces: the reference it must equal.
    fn count_by_pass(diffs: &[f64], period: f64) -> (u64, u64, f64) {
        let (mut hits, mut flanks) = (0u64, 0u64);
        let mut ratios = Vec::new();
        for &d in diffs {
            let k = (d / period).round();
            if !(1.0..=MAX_MULTIPLE).contains(&k) {
                continue;
            }
            let off = (d - k * period).abs();
            if off <= TOLERANCE_S {
                hits += 1;
                ratios.push(d / k);
            } else if off <= FLANK_FACTOR * TOLERANCE_S {
                flanks += 1;
            }
        }
        (hits, flanks, refined_period(ratios, period))
    }

    /// Binary-searched windows count what the pass counts, bit for bit: random gaps
    /// (whole and fractional seconds, schedules with jitter) and periods from below the
    /// shortest tried (overlapping flanks) to the longest.
    #[test]
    fn windows_count_as_the_pass_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for case in 0..3_000 {
            let n = rng.random_range(0..200);
            let base: f64 = rng.random_range(20.0..4_000.0);
            let mut diffs: Vec<f64> = (0..n)
                .map(|_| match rng.random_range(0..3) {
                    0 => (base * rng.random_range(1..14) as f64 + rng.random_range(-30..30) as f64)
                        .max(0.0),
                    1 => rng.random_range(0.0..60_000.0),
                    _ => rng.random_range(0..50_000) as f64,
                })
                .collect();
            let period = match case % 3 {
                0 => base,
                1 => rng.random_range(10.0..MAX_PERIOD_S),
                _ => diffs.first().copied().unwrap_or(base).max(1.0),
            };
            let expected = count_by_pass(&diffs, period);
            diffs.sort_by(f64::total_cmp);
            let got = count(&diffs, period);
            assert_eq!(
                (got.0, got.1, got.2.to_bits()),
                (expected.0, expected.1, expected.2.to_bits()),
                "case {case}, period {period}"
            );
        }
    }

    /// A schedule every `period_s` from T0 with uniform jitter of ±`jitter_s` per post
    /// (whole seconds), each slot missed with probability `miss`.
    fn schedule(n: usize, period_s: f64, jitter_s: i64, miss: f64, seed: u64) -> Vec<i64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut times = Vec::new();
        let mut slot = 0.0;
        while times.len() < n {
            slot += 1.0;
            if rng.random::<f64>() < miss {
                continue;
            }
            let jitter = rng.random_range(-jitter_s..=jitter_s);
            let t = T0 + (slot * period_s) as i64 * 1000 + jitter * 1000;
            times.push(t);
        }
        times.sort_unstable();
        times
    }

    /// A human with a strong daily rhythm: Poisson posting while awake (08:00–23:00 UTC),
    /// bursts (a third of posts follow the previous within a minute), none at night;
    /// whole-second timestamps.
    fn human(days: i64, per_day: f64, seed: u64) -> Vec<i64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let awake_s = 15.0 * 3600.0;
        let gap: Exp<f64> = Exp::new(per_day / awake_s).unwrap();
        let burst: Exp<f64> = Exp::new(1.0 / 20.0).unwrap();
        let mut times = Vec::new();
        for day in 0..days {
            let start = T0 - 8 * 3_600_000 + day * 86_400_000; // 08:00 UTC
            let mut t = gap.sample(&mut rng);
            while t < awake_s {
                times.push(start + (t as i64) * 1000);
                if rng.random::<f64>() < 1.0 / 3.0 {
                    let b: f64 = burst.sample(&mut rng);
                    t += b.max(1.0);
                } else {
                    t += gap.sample(&mut rng);
                }
            }
        }
        times.sort_unstable();
        times
    }

    #[test]
    fn rayleigh_matches_known_values() {
        // n = 10, r = 0.5 (Z = 2.5): Zar's table gives 0.05 < p < 0.10, e^−Z = 0.082.
        let p = rayleigh_p(10, 0.5);
        assert!((0.07..0.09).contains(&p), "{p}");
        assert!(rayleigh_p(50, 0.0) > 0.99);
        assert!(rayleigh_p(30, 1.0) < 1e-12);
    }

    #[test]
    fn fixed_second_of_the_minute_at_random_minutes_fires() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // Second 17 of random minutes, ±1 s jitter; 15 posts are enough.
        let mut times: Vec<i64> = (0..15)
            .map(|_| {
                let minute: i64 = rng.random_range(0..5000);
                T0 + minute * 60_000 + (17 + rng.random_range(-1..=1)) * 1000
            })
            .collect();
        times.sort_unstable();
        let p = clock_rayleigh_p(&times, 60_000, 8).unwrap();
        assert!(p < 1e-4, "{p}");
    }

    #[test]
    fn evenly_spaced_clock_positions_fire_through_harmonics() {
        // Every 15 minutes at :00, :15, :30, :45 plus a few seconds: resultant of the
        // first harmonic is ~0, the fourth is ~1.
        let times = schedule(60, 900.0, 3, 0.3, 5);
        let fractions: Vec<f64> = times
            .iter()
            .map(|t| t.rem_euclid(3_600_000) as f64 / 3_600_000.0)
            .collect();
        assert!(resultant(&fractions, 1) < 0.3);
        assert!(resultant(&fractions, 4) > 0.99);
        assert!(clock_rayleigh_p(&times, 3_600_000, 8).unwrap() < 1e-8);
    }

    #[test]
    fn humans_with_daily_rhythm_do_not_fire_the_clock_tests() {
        let mut low = 0;
        for seed in 0..200 {
            let times = human(7, 30.0, seed);
            for cycle in [60_000, 3_600_000] {
                let p = clock_rayleigh_p(&times, cycle, 8).unwrap();
                if p < 1e-3 {
                    low += 1;
                }
                assert!(p > 1e-6, "seed {seed} cycle {cycle}: {p}");
            }
        }
        // 400 tests at a 1e-3 level: a handful at most.
        assert!(low <= 4, "{low}");
    }

    #[test]
    fn jittered_and_gappy_schedules_fire() {
        // A 7-minute period (divides no hour), ±2 s jitter, 40% of slots missed.
        let times = schedule(30, 420.0, 2, 0.4, 11);
        let found = periodicity(&times, 10).unwrap();
        assert!(found.p < 1e-4, "{found:?}");
        assert!((found.period_s - 420.0).abs() < 3.0, "{found:?}");
        // News-like: every 23 minutes with ±1 s, none missed, only 12 posts.
        let times = schedule(12, 1380.0, 1, 0.0, 12);
        let found = periodicity(&times, 10).unwrap();
        assert!(found.p < 1e-3, "{found:?}");
    }

    #[test]
    fn a_schedule_mixed_into_human_activity_fires() {
        // 30 scheduled posts every 10 min 7 s (±2 s, 20% missed) among a human's posts.
        let mut times = schedule(30, 607.0, 2, 0.2, 21);
        let span = times[times.len() - 1] - times[0];
        let mut rng = ChaCha8Rng::seed_from_u64(22);
        times.extend((0..30).map(|_| T0 + rng.random_range(0..span)));
        times.sort_unstable();
        let found = periodicity(&times, 10).unwrap();
        assert!(found.p < 1e-4, "{found:?}");
        assert!((found.period_s - 607.0).abs() < 3.0, "{found:?}");
    }

    #[test]
    fn humans_with_daily_rhythm_and_poisson_do_not_fire_the_period_test() {
        let mut low = 0;
        for seed in 0..200 {
            for times in [human(7, 30.0, seed), human(3, 150.0, seed + 1000)] {
                let p = periodicity(&times, 10).unwrap().p;
                assert!(p > 1e-6, "seed {seed}: {p}");
                if p < 1e-3 {
                    low += 1;
                }
            }
        }
        assert!(low <= 4, "{low}");
        // Too few gaps: no value.
        assert!(periodicity(&[T0, T0 + 1000], 10).is_none());
    }
}
