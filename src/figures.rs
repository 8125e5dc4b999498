//! The report's figures from the spread tables and scores, as PNG bytes (written by
//! [`crate::export`]). Rendering is in [`crate::plot`].

use anyhow::Result;
use polars::prelude::*;

use crate::plot::{self, Annotation, FigureStyle, TimeSeries};
use crate::spread::Spread;

/// Display names of platforms in figures.
fn platform_label(platform: &str) -> String {
    match platform {
        "twitter" => "Twitter".into(),
        "4chan" => "4chan".into(),
        other => other.into(),
    }
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

/// `timeline.png`, `spread.png`, and with scores `bot_share.png` and
/// `score_distribution.png`, as (file name, PNG bytes).
pub fn render(
    spread: &Spread,
    scores: Option<&[f64]>,
    subject: &str,
    style: &FigureStyle,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let summary = &spread.summary;
    let label = bin_label(summary.bin_s);
    let mut figures = vec![(
        "timeline.png",
        plot::timeline_png(
            &format!("{subject}: posts per {label} by platform").replace(" bins", ""),
            "posts per bin",
            &label,
            &series(spread, "posts")?,
            style,
        )?,
    )];
    let annotations: Vec<Annotation> = summary
        .first_posts
        .iter()
        .map(|f| Annotation {
            time_ms: f.at_ms,
            label: format!("first {} post", platform_label(&f.platform)),
        })
        .collect();
    let lead_text = summary.lead_lag.first().map(|l| {
        let minutes = l.first_post_lead_s / 60.0;
        format!(
            "{} led {} by {:.0} min (first posts)",
            platform_label(&l.leader),
            platform_label(&l.follower),
            minutes
        )
    });
    figures.push((
        "spread.png",
        plot::spread_png(
            &format!("{subject}: cumulative posts by platform"),
            &series(spread, "cumulative_posts")?,
            &annotations,
            lead_text.as_deref(),
            style,
        )?,
    ));
    if let (Some(scores), Some(threshold)) = (scores, summary.suspicion_threshold) {
        // All platforms together: (posts, suspicious posts) per bin.
        let mut totals: std::collections::BTreeMap<i64, (f64, f64)> =
            std::collections::BTreeMap::new();
        for platform in series(spread, "posts")? {
            for (t, n) in platform.points {
                totals.entry(t).or_default().0 += n;
            }
        }
        for platform in series(spread, "suspicious_posts")? {
            for (t, n) in platform.points {
                totals.entry(t).or_default().1 += if n.is_nan() { 0.0 } else { n };
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
            name: "all posts per bin".into(),
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
