//! Series geometry: binned steps and held values of time series.

use super::*;

// ---------------------------------------------------------------------------
// Series geometry

pub(super) fn sorted_points(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut p = points.to_vec();
    p.sort_by_key(|p| p.0);
    p
}

/// Bin width: the smallest positive spacing of points within any series
/// (one minute when no series has two points).
pub(super) fn infer_bin_ms(series: &[Vec<(i64, f64)>]) -> i64 {
    series
        .iter()
        .flat_map(|s| s.windows(2).map(|w| w[1].0 - w[0].0))
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(MINUTE_MS)
}

/// Closed histogram outline(s) for binned counts: runs of bins rise from and
/// return to `floor`; missing bins read as zero, NaN bins split the outline.
pub(super) fn bin_steps(pts: &[(i64, f64)], bin: i64, floor: f64) -> Vec<Vec<(i64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(i64, f64)> = Vec::new();
    let mut last_end = i64::MIN;
    for &(t, v) in pts {
        if !v.is_finite() {
            if !cur.is_empty() {
                cur.push((last_end, floor));
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let v = v.max(floor);
        if cur.is_empty() {
            cur.push((t, floor));
        } else if t > last_end {
            cur.push((last_end, floor));
            cur.push((t, floor));
        }
        cur.push((t, v));
        last_end = t.saturating_add(bin);
        cur.push((last_end, v));
    }
    if !cur.is_empty() {
        cur.push((last_end, floor));
        out.push(cur);
    }
    out
}

/// Open step lines for a rate (share): missing and NaN bins break the line,
/// because a share of nothing is undefined, not zero.
pub(super) fn bin_steps_open(pts: &[(i64, f64)], bin: i64) -> Vec<Vec<(i64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(i64, f64)> = Vec::new();
    let mut last_end = i64::MIN;
    for &(t, v) in pts {
        if !v.is_finite() || (!cur.is_empty() && t > last_end) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if !v.is_finite() {
                continue;
            }
        }
        cur.push((t, v));
        last_end = t.saturating_add(bin);
        cur.push((last_end, v));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Path through the points of a cumulative series (the count grows within a
/// bin, so joining the dots is fair), held flat up to `end`.
pub(super) fn hold_steps(pts: &[(i64, f64)], end: i64, floor: f64) -> Vec<(i64, f64)> {
    let mut path: Vec<(i64, f64)> = Vec::new();
    for &(t, v) in pts {
        let v = v.max(floor);
        path.push((t, v));
    }
    // (No let-chain: the main crate declares rust-version 1.85.)
    match path.last() {
        Some(&(t, v)) if end > t => path.push((end, v)),
        _ => {}
    }
    path
}
