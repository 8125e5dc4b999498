//! The report's figures from the spread tables and scores, as PNG bytes (written by
//! [`crate::export`]). Rendering is in [`crate::plot`].

use anyhow::Result;
use polars::prelude::*;

use plotters::style::RGBColor;

use crate::plot::{self, FigureStyle, PlatformSeries, TimeSeries, Zoom};
use crate::spread::{Spread, duration_text};

/// Display names of platforms in figures.
fn platform_label(platform: &str) -> String {
    match platform {
        "twitter" => "Twitter".into(),
        "4chan" => "4chan".into(),
        "telegram" => "Telegram".into(),
        "bluesky" => "Bluesky".into(),
        "mastodon" => "Mastodon".into(),
        "reddit" => "Reddit".into(),
        other => other.into(),
    }
}

/// One colour per platform in every figure (Okabe–Ito), whatever the order platforms
/// come in; unknown platforms take the remaining colours in order.
pub fn platform_color(platform: &str, index: usize) -> RGBColor {
    let p = &plot::PALETTE;
    match platform {
        "twitter" => p[0],
        "4chan" => p[3],
        "bluesky" => p[1],
        "reddit" => p[2],
        "mastodon" => p[4],
        "telegram" => p[5],
        _ => p[6 + index % 2],
    }
}

/// Most steps a time figure draws; finer spread bins are summed into a wider display
/// bin (spread.csv keeps the bins asked for). About one step per 3 px of a 1600 px
/// figure: beyond it a step line reads as noise.
pub const MAX_FIGURE_BINS: i64 = 500;

/// Display bins tried, in order, when the spread bins are too many to draw.
const DISPLAY_BINS_MS: &[i64] = &[
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    1_209_600_000,
    2_419_200_000,
    7_862_400_000,
    31_449_600_000,
];

/// The bin a figure draws: the spread bin, or the first wider multiple of it from
/// [`DISPLAY_BINS_MS`] that keeps the figure within [`MAX_FIGURE_BINS`] steps.
pub fn display_bin_ms(bin_ms: i64, span_ms: i64) -> i64 {
    let bin_ms = bin_ms.max(1);
    if span_ms / bin_ms < MAX_FIGURE_BINS {
        return bin_ms;
    }
    DISPLAY_BINS_MS
        .iter()
        .copied()
        .find(|&w| w > bin_ms && w % bin_ms == 0 && span_ms / w < MAX_FIGURE_BINS)
        .unwrap_or_else(|| bin_ms * (span_ms / bin_ms / MAX_FIGURE_BINS + 1))
}

/// Sums (bin start, value) points into bins of `width` (a multiple of the original bin).
fn rebin(points: &[(i64, f64)], width: i64) -> Vec<(i64, f64)> {
    let mut out: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for &(t, v) in points {
        *out.entry(t.div_euclid(width) * width).or_default() += if v.is_finite() { v } else { 0.0 };
    }
    out.into_iter().collect()
}

fn series(spread: &Spread, value: &str) -> Result<Vec<TimeSeries>> {
    let bins = &spread.bins;
    let starts = crate::columns::times_ms(bins, "bin_start")?;
    let platforms = bins.column("platform")?.str()?;
    let values = bins.column(value)?.cast(&DataType::Float64)?;
    let values = values.f64()?;
    let mut out: Vec<TimeSeries> = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let (Some(p), Some(t)) = (platforms.get(i), start) else {
            continue;
        };
        let name = platform_label(p);
        let point = (t, values.get(i).unwrap_or(f64::NAN));
        match out.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push(point),
            None => out.push(TimeSeries {
                name,
                points: vec![point],
            }),
        }
    }
    Ok(out)
}

fn bin_label(seconds: f64) -> String {
    if seconds >= 86_400.0 && seconds % 86_400.0 == 0.0 {
        format!("{} d bins", seconds / 86_400.0)
    } else if seconds >= 3_600.0 && seconds % 3_600.0 == 0.0 {
        format!("{} h bins", seconds / 3_600.0)
    } else if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        format!("{} min bins", seconds / 60.0)
    } else {
        format!("{seconds} s bins")
    }
}

/// The bin the time figures draw for this spread: its bin, or a wider one (see
/// [`display_bin_ms`]).
pub fn figure_bin_ms(spread: &Spread) -> Result<i64> {
    let bin_ms = (spread.summary.bin_s * 1000.0).round() as i64;
    let starts = crate::columns::times_ms(&spread.bins, "bin_start")?;
    let (lo, hi) = (
        starts.iter().flatten().min().copied(),
        starts.iter().flatten().max().copied(),
    );
    let span = match (lo, hi) {
        (Some(lo), Some(hi)) => hi - lo + bin_ms,
        _ => 0,
    };
    Ok(display_bin_ms(bin_ms, span))
}

/// `timeline.png`, `spread.png`, and with scores `bot_share.png` and
/// `score_distribution.png`, as (file name, PNG bytes).
pub fn render(
    spread: &Spread,
    scores: Option<&[f64]>,
    subject: &str,
    style: &FigureStyle,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let summary = &spread.summary;
    let posts = series(spread, "posts")?;
    let shown_ms = figure_bin_ms(spread)?;
    let label = bin_label(shown_ms as f64 / 1000.0);

    // Platforms in the order they first posted (the leader first).
    let mut names: Vec<&str> = summary
        .first_posts
        .iter()
        .map(|f| f.platform.as_str())
        .collect();
    for s in &summary.platforms {
        if !names.contains(&s.platform.as_str()) {
            names.push(&s.platform);
        }
    }
    let platforms: Vec<PlatformSeries> = names
        .iter()
        .enumerate()
        .map(|(i, &name)| PlatformSeries {
            name: platform_label(name),
            color: platform_color(name, i),
            posts: posts
                .iter()
                .find(|s| s.name == platform_label(name))
                .map(|s| rebin(&s.points, shown_ms))
                .unwrap_or_default(),
            first_post_ms: summary
                .first_posts
                .iter()
                .find(|f| f.platform == name)
                .map(|f| f.at_ms),
        })
        .collect();
    let timeline = plot::timeline_png(
        &format!("{subject}: posts by platform"),
        &label,
        shown_ms,
        &platforms,
        style,
    )?;
    let mut figures = vec![("timeline.png", timeline.png)];

    // Two platforms: who led whom; more: the order of first posts, each after the first.
    let lead_text = match summary.first_posts.as_slice() {
        [first, second, third, rest @ ..] => {
            let after: Vec<String> = [second, third]
                .into_iter()
                .chain(rest)
                .map(|f| {
                    format!(
                        "{} +{}",
                        platform_label(&f.platform),
                        duration_text(((f.at_ms - first.at_ms) as f64 / 1000.0).abs(), 0)
                    )
                })
                .collect();
            Some(format!(
                "First posts: {} first, then {}",
                platform_label(&first.platform),
                after.join(", ")
            ))
        }
        _ => summary.lead_lag.first().map(|l| {
            format!(
                "{} led {} by {} (first posts)",
                platform_label(&l.leader),
                platform_label(&l.follower),
                duration_text(l.first_post_lead_s.abs(), 0)
            )
        }),
    };
    let zoom = spread.early.as_ref().map(|e| Zoom {
        start_ms: e.start_ms,
        end_ms: e.end_ms,
        step_ms: e.step_ms,
        cumulative: names
            .iter()
            .map(|name| {
                e.cumulative
                    .iter()
                    .find(|(p, _)| p == name)
                    .map(|(_, c)| c.iter().map(|n| *n as f64).collect())
                    .unwrap_or_default()
            })
            .collect(),
    });
    let spread_png = plot::spread_png(
        &format!("{subject}: how the posts spread across platforms"),
        lead_text.as_deref(),
        shown_ms,
        &platforms,
        zoom.as_ref(),
        style,
    )?;
    figures.push(("spread.png", spread_png.png));
    if let (Some(scores), Some(threshold)) = (scores, summary.suspicion_threshold) {
        // All platforms together: (posts, suspicious posts) per display bin.
        let mut totals: std::collections::BTreeMap<i64, (f64, f64)> =
            std::collections::BTreeMap::new();
        for platform in &posts {
            for (t, n) in rebin(&platform.points, shown_ms) {
                totals.entry(t).or_default().0 += n;
            }
        }
        for platform in series(spread, "suspicious_posts")? {
            for (t, n) in rebin(&platform.points, shown_ms) {
                totals.entry(t).or_default().1 += n;
            }
        }
        let share = TimeSeries {
            name: "share of posts from suspected accounts".into(),
            points: totals
                .iter()
                .map(|(&t, &(n, s))| (t, if n > 0.0 { s / n } else { f64::NAN }))
                .collect(),
        };
        let volume = TimeSeries {
            name: format!("all posts per {}", label.trim_end_matches(" bins")),
            points: totals.iter().map(|(&t, &(n, _))| (t, n)).collect(),
        };
        figures.push((
            "bot_share.png",
            plot::bot_share_png(
                &format!("{subject}: share of posts from suspected automated accounts"),
                &share,
                Some(&volume),
                &format!("score ≥ {threshold:.2}"),
                style,
            )?,
        ));
        figures.push((
            "score_distribution.png",
            plot::score_distribution_png(
                &format!("{subject}: account scores"),
                scores,
                Some(threshold),
                style,
            )?,
        ));
    }
    Ok(figures)
}

/// `languages.png` from the language stage's series, with each majority switch of all
/// platforms together (or of the only platform) marked.
pub fn languages(
    summary: &crate::languages::LanguageSummary,
    subject: &str,
    style: &FigureStyle,
) -> Result<Vec<u8>> {
    use crate::languages::{UND, language_name};
    let series = &summary.series;
    let bands: Vec<plot::LanguageBand> = series
        .languages
        .iter()
        .zip(&series.share)
        .map(|(code, share)| plot::LanguageBand {
            label: match code.as_str() {
                "other" => "other languages".into(),
                UND => "undetermined".into(),
                _ => format!("{} ({code})", language_name(code)),
            },
            kind: match code.as_str() {
                "other" => plot::BandKind::Other,
                UND => plot::BandKind::Undetermined,
                _ => plot::BandKind::Language,
            },
            share: share.clone(),
        })
        .collect();
    let shown = match summary.majority_switches.as_slice() {
        [only] => vec![only],
        many => many.iter().filter(|s| s.platform == "all").collect(),
    };
    let markers: Vec<plot::Marker> = shown
        .iter()
        .map(|s| plot::Marker {
            time_ms: s.at_ms,
            label: format!("majority {} → {}", s.from, s.to),
        })
        .collect();
    let bin_ms = (series.bin_s * 1000.0).round() as i64;
    plot::languages_png(
        &format!("{subject}: languages of the posts over time"),
        bin_label(series.bin_s).trim_end_matches(" bins"),
        &series.bin_start_ms,
        bin_ms.max(1),
        &bands,
        &markers,
        style,
    )
}
