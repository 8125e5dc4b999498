//! Small statistics on one account's gaps and clock counts.

use statrs::distribution::{ChiSquared, ContinuousCDF};

pub(super) fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Goh–Barabási memory coefficient: Pearson correlation of consecutive gaps.
pub(super) fn memory_coefficient(gaps: &[f64]) -> Option<f64> {
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

/// Normalised Shannon entropy of counts (0 = one bin, 1 = uniform over `bins`). One full bin
/// gives `-1 · ln 1 = -0.0`; `+ 0.0` turns it into +0, which a reason prints as `0`, not `-0`.
pub(super) fn normalised_entropy(counts: &[u32], bins: usize) -> f64 {
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
    h / (bins as f64).ln() + 0.0
}

/// p-value of Pearson's chi-square test that `counts` are uniform.
pub(super) fn uniformity_p(counts: &[u32]) -> Option<f64> {
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

/// Median (mean of the two middle values for an even count); sorts `values`.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
