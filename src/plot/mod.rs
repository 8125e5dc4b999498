//! Report figures (PNG) for tagscope.
//!
//! Every figure is rendered into memory and returned as PNG bytes so that the
//! export code can write files atomically. Rendering is deterministic (same
//! input, same bytes) because reports are reproduced and hashed. Text uses the
//! embedded DejaVu Sans face: the machines this runs on have no system fonts.
//!
//! Layout, top to bottom: title, optional subtitle lines, optional legend row,
//! optional annotation band, then the plot. Legends and annotation labels live
//! outside the plot area so that they can never hide data.

use std::fmt::Debug;
use std::ops::Range;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use plotters::chart::{ChartContext, DualCoordChartContext};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

mod axes;
mod languages;
mod layout;
mod platforms;
pub mod reliability;
mod series;
mod text;

use axes::*;
pub use languages::{BandKind, LanguageBand, Marker, languages_png};
use layout::*;
pub use platforms::{Figure, PlatformSeries, Zoom, spread_png, timeline_png};
use series::*;
use text::*;

/// Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
/// Yellow sits last because it is hard to read on white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // purple
    RGBColor(0x56, 0xB4, 0xE9), // sky
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
const BLUE: RGBColor = PALETTE[0];
const VERMILLION: RGBColor = PALETTE[3];
const TEXT: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
const TEXT_MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
const AXIS: RGBColor = RGBColor(0x70, 0x70, 0x70);
const VOLUME: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);

/// Ratio of the largest to the smallest non-zero count beyond which a count axis
/// becomes logarithmic by itself (the series of platforms of very different size,
/// score histograms): beyond ~20× the small values are flat lines on a linear axis.
pub const AUTO_LOG_RATIO: f64 = 20.0;

/// Smallest x span shown, so a single point still gets a readable time axis.
const MIN_SPAN_MS: i64 = 10 * 60_000;
const MINUTE_MS: i64 = 60_000;
const DAY_MIN: i64 = 1440;

/// Size, time zone and scale of a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureStyle {
    /// Pixels; text scales with `min(width / 1600, height / 900)`.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Zone the time axis is drawn in; named in the axis label.
    pub tz: Tz,
    /// Log count axis (timeline, spread, bot-share volume, score histogram).
    /// Zero counts are drawn on the bottom edge; the axis label says "log scale".
    pub log_y: bool,
}

impl Default for FigureStyle {
    fn default() -> Self {
        Self {
            width: 1600,
            height: 900,
            tz: Tz::UTC,
            log_y: false,
        }
    }
}

/// One named series; points need not be sorted. Non-finite values are skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// Name of the series (e.g. a platform's display name).
    pub name: String,
    /// (bin start in Unix ms UTC, value).
    pub points: Vec<(i64, f64)>,
}

/// Share of posts per bin from accounts above the suspicion threshold, in
/// percent on a fixed 0–100 axis (so figures compare across campaigns). With
/// `volume`, all posts per bin are drawn in grey behind it on a right-hand
/// axis, because a high share of a handful of posts means little.
/// `threshold_label` names the rule, e.g. "bot score ≥ 0.80".
pub fn bot_share_png(
    title: &str,
    share: &TimeSeries,
    volume: Option<&TimeSeries>,
    threshold_label: &str,
    style: &FigureStyle,
) -> Result<Vec<u8>> {
    let share_pts: Vec<(i64, f64)> = sorted_points(&share.points)
        .into_iter()
        .map(|(t, v)| {
            (
                t,
                if v.is_finite() {
                    v.clamp(0.0, 1.0) * 100.0
                } else {
                    v
                },
            )
        })
        .collect();
    let vol_pts: Vec<(i64, f64)> = volume.map(|v| sorted_points(&v.points)).unwrap_or_default();
    let bin = infer_bin_ms(&[share_pts.clone(), vol_pts.clone()]);
    let finite_t = share_pts
        .iter()
        .chain(vol_pts.iter())
        .filter(|p| p.1.is_finite())
        .map(|p| p.0);
    let t_lo = finite_t.clone().min();
    let t_hi = finite_t.max().map(|t| t.saturating_add(bin));
    let has_share = share_pts.iter().any(|p| p.1.is_finite());
    let vol_values: Vec<f64> = vol_pts
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .collect();
    let has_volume = !vol_values.is_empty();

    let mut subtitle = Vec::new();
    if !threshold_label.trim().is_empty() {
        subtitle.push(format!("suspected accounts: {threshold_label}"));
    }
    let mut legend = Vec::new();
    if has_volume {
        legend.push(LegendEntry {
            label: "share of posts from suspected accounts (left axis)".into(),
            swatch: Swatch::Line(VERMILLION),
        });
        legend.push(LegendEntry {
            label: format!(
                "all posts per bin (right axis{})",
                if style.log_y { ", log" } else { "" }
            ),
            swatch: Swatch::Fill(VOLUME),
        });
    }
    let y2_desc = if style.log_y {
        "posts per bin (log scale)"
    } else {
        "posts per bin"
    };
    let spec = FigureSpec {
        title,
        heading: None,
        subtitle,
        legend,
        y_desc: "posts from suspected accounts (%)",
        y2_desc: if has_volume { Some(y2_desc) } else { None },
    };
    render(style, |root, ctx| {
        let mut frame = Frame::new(root, ctx, &spec)?;
        let y = ValueAxis::fixed(0.0, 100.0, 20.0);
        let y2 = has_volume
            .then(|| ValueAxis::for_counts(&vol_values, style.log_y, frame.y_tick_target(ctx)));
        frame.fit_y(root, ctx, &y, y2.as_ref())?;
        let xr = time_range(t_lo, t_hi, 0.0);
        let x = TimeAxis::new(root, ctx, xr, frame.plot_width())?;
        let x_desc = time_desc(style.tz, t_lo, t_hi.map(|t| t - 1));
        let chart = frame.chart(root, ctx, x.clone(), y, &spec, Some(&x_desc))?;
        let share_w = ctx.line_w();
        let draw_share = |chart: &mut ChartContext<
            '_,
            BitMapBackend<'_>,
            Cartesian2d<TimeAxis, ValueAxis>,
        >|
         -> Result<()> {
            for seg in bin_steps_open(&share_pts, bin) {
                chart.draw_series(std::iter::once(PathElement::new(
                    seg,
                    VERMILLION.stroke_width(share_w),
                )))?;
            }
            Ok(())
        };
        if let Some(y2) = y2 {
            let y2_lo = y2.lo;
            let y2_labels = y2.clone();
            let blank = |_: &f64| String::new();
            let mut dual: DualCoordChartContext<'_, _, _, _> =
                chart.set_secondary_coord(x.clone(), y2);
            dual.configure_secondary_axes()
                .axis_style(AXIS.stroke_width(1))
                .label_style(ctx.tick_font())
                .y_label_formatter(&blank)
                .set_all_tick_mark_size(ctx.tick_mark())
                .draw()
                .map_err(plot_err)?;
            axis_text(
                root,
                ctx,
                dual.borrow_secondary(),
                &x,
                &y2_labels,
                None,
                y2_desc,
                true,
            )?;
            let floor = y2_lo;
            for seg in bin_steps(&vol_pts, bin, floor) {
                dual.draw_secondary_series(std::iter::once(Polygon::new(
                    seg,
                    VOLUME.mix(0.35).filled(),
                )))?;
            }
            draw_share(&mut dual)?;
            if !has_share {
                no_data(root, ctx, dual.plotting_area().get_pixel_range())?;
            }
        } else {
            let mut chart = chart;
            draw_share(&mut chart)?;
            if !has_share {
                no_data(root, ctx, chart.plotting_area().get_pixel_range())?;
            }
        }
        Ok(())
    })
}

/// Histogram of account scores on 0–1 (20 bins below 500 accounts, else 50),
/// with the threshold drawn as a dashed line over a shaded "suspected" region
/// and the count above it in the subtitle. Scores outside 0–1 or non-finite
/// are skipped and the number skipped is stated. The count axis is logarithmic
/// when bin counts differ more than [`AUTO_LOG_RATIO`]-fold: the few hundred
/// accounts above a threshold would otherwise be invisible next to tens of
/// thousands in the first bin.
pub fn score_distribution_png(
    title: &str,
    scores: &[f64],
    threshold: Option<f64>,
    style: &FigureStyle,
) -> Result<Vec<u8>> {
    let valid: Vec<f64> = scores
        .iter()
        .copied()
        .filter(|s| s.is_finite() && (0.0..=1.0).contains(s))
        .collect();
    let skipped = scores.len() - valid.len();
    let nbins: usize = if valid.len() < 500 { 20 } else { 50 };
    let mut counts = vec![0u64; nbins];
    for s in &valid {
        let i = ((s * nbins as f64) as usize).min(nbins - 1);
        counts[i] += 1;
    }
    let threshold = threshold
        .filter(|t| t.is_finite())
        .map(|t| t.clamp(0.0, 1.0));

    let mut line = format!("n = {} accounts", group_int(valid.len() as u64));
    if let Some(t) = threshold {
        let above = valid.iter().filter(|s| **s >= t).count();
        let pct = if valid.is_empty() {
            0.0
        } else {
            100.0 * above as f64 / valid.len() as f64
        };
        line.push_str(&format!(
            ", {} ({pct:.1}%) scored at or above the threshold {}",
            group_int(above as u64),
            fmt_score(t)
        ));
    }
    if skipped > 0 {
        line.push_str(&format!(
            "; {} non-finite or out-of-range scores skipped",
            group_int(skipped as u64)
        ));
    }
    let positive = counts.iter().filter(|c| **c > 0);
    let (min_pos, max) = (
        positive.clone().min().copied().unwrap_or(0),
        positive.max().copied().unwrap_or(0),
    );
    let log_y = style.log_y || (min_pos > 0 && max as f64 > AUTO_LOG_RATIO * min_pos as f64);
    let y_desc = format!(
        "accounts per {} bin{}",
        fmt_score(1.0 / nbins as f64),
        if log_y { " (log scale)" } else { "" }
    );
    let spec = FigureSpec {
        title,
        heading: None,
        subtitle: vec![line],
        legend: Vec::new(),
        y_desc: &y_desc,
        y2_desc: None,
    };
    render(style, |root, ctx| {
        let mut frame = Frame::new(root, ctx, &spec)?;
        let x = ValueAxis::fixed(0.0, 1.0, 0.1);
        let values: Vec<f64> = counts.iter().map(|c| *c as f64).collect();
        let y = if valid.is_empty() {
            ValueAxis::empty()
        } else {
            ValueAxis::for_counts(&values, log_y, frame.y_tick_target(ctx))
        };
        frame.fit_y(root, ctx, &y, None)?;
        if let Some(t) = threshold {
            frame.place_markers(
                root,
                ctx,
                vec![(t, format!("threshold {}", fmt_score(t)), None)],
            )?;
        }
        let mut chart = frame.chart(
            root,
            ctx,
            x,
            y,
            &spec,
            Some("account score (0 = human-like, 1 = bot-like)"),
        )?;
        let yr = chart.y_range();
        if let Some(t) = threshold {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(t, yr.start), (1.0, yr.end)],
                VERMILLION.mix(0.08).filled(),
            )))?;
        }
        let w = 1.0 / nbins as f64;
        for (i, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let x0 = i as f64 * w;
            let rect = [(x0, yr.start), (x0 + w, *c as f64)];
            chart.draw_series(std::iter::once(Rectangle::new(rect, BLUE.filled())))?;
            chart.draw_series(std::iter::once(Rectangle::new(rect, WHITE.stroke_width(1))))?;
        }
        frame.draw_markers(
            root,
            ctx,
            chart.plotting_area().get_pixel_range(),
            VERMILLION,
        )?;
        if valid.is_empty() {
            no_data(root, ctx, chart.plotting_area().get_pixel_range())?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Rendering scaffolding

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Pixel sizes derived from the figure size; 1600×900 is the reference.
struct Ctx {
    scale: f64,
    width: u32,
    height: u32,
    tz: Tz,
}

impl Ctx {
    fn px(&self, v: f64) -> i32 {
        (v * self.scale).round().max(1.0) as i32
    }
    fn title_size(&self) -> f64 {
        40.0 * self.scale
    }
    fn label_size(&self) -> f64 {
        28.0 * self.scale
    }
    fn tick_size(&self) -> f64 {
        22.0 * self.scale
    }
    fn sub_size(&self) -> f64 {
        25.0 * self.scale
    }
    fn line_w(&self) -> u32 {
        (3.0 * self.scale).round().max(1.0) as u32
    }
    fn tick_mark(&self) -> i32 {
        self.px(7.0)
    }
    fn margin(&self) -> i32 {
        self.px(28.0)
    }
    fn tick_font(&self) -> TextStyle<'static> {
        font(self.tick_size(), FontStyle::Normal).color(&TEXT)
    }
    fn label_font(&self) -> TextStyle<'static> {
        font(self.label_size(), FontStyle::Normal).color(&TEXT)
    }
}

/// Draws into an RGB buffer and encodes it as PNG. The encoder writes no
/// timestamps or other metadata, so equal pixels give equal bytes.
fn render(
    style: &FigureStyle,
    draw: impl FnOnce(&Area<'_>, &Ctx) -> Result<()>,
) -> Result<Vec<u8>> {
    let (w, h) = (style.width, style.height);
    if !(400..=16_384).contains(&w) || !(300..=16_384).contains(&h) {
        bail!("figure size {w}x{h} out of range (400..=16384 by 300..=16384 pixels)");
    }
    ensure_fonts()?;
    let ctx = Ctx {
        scale: (f64::from(w) / 1600.0)
            .min(f64::from(h) / 900.0)
            .clamp(0.4, 6.0),
        width: w,
        height: h,
        tz: style.tz,
    };
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root, &ctx)?;
        root.present().map_err(plot_err)?;
    }
    let mut out = Vec::with_capacity(buf.len() / 8);
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        ),
        &buf,
        w,
        h,
        image::ColorType::Rgb8,
    )
    .context("encoding figure as PNG")?;
    Ok(out)
}

fn plot_err<E: std::error::Error>(e: E) -> anyhow::Error {
    anyhow!("drawing figure: {e}")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const T0: i64 = 1_494_009_000_000; // 2017-05-05 18:30 UTC
    const MIN: i64 = 60_000;

    pub(super) fn series(
        name: &str,
        start: i64,
        bin: i64,
        n: i64,
        f: impl Fn(i64) -> f64,
    ) -> TimeSeries {
        TimeSeries {
            name: name.into(),
            points: (0..n).map(|i| (start + i * bin, f(i))).collect(),
        }
    }

    /// Decodes, checks size, non-blank plot and dark title pixels.
    pub(super) fn check(png: &[u8], w: u32, h: u32) {
        let img = image::load_from_memory(png).expect("valid PNG").to_rgb8();
        assert_eq!((img.width(), img.height()), (w, h));
        let mut colours = std::collections::HashSet::new();
        let mut non_white = 0usize;
        for p in img.pixels() {
            colours.insert(p.0);
            if p.0 != [255, 255, 255] {
                non_white += 1;
            }
        }
        assert!(colours.len() > 20, "too few colours: {}", colours.len());
        assert!(
            non_white > (w * h / 1000) as usize,
            "mostly blank: {non_white}"
        );
        let title_h = (h as f64 * 0.08) as u32;
        let dark = (0..title_h)
            .flat_map(|y| (0..w / 2).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|c| *c < 80))
            .count();
        assert!(dark > 200, "no title text ({dark} dark pixels)");
    }

    fn paris() -> FigureStyle {
        FigureStyle {
            tz: chrono_tz::Europe::Paris,
            ..FigureStyle::default()
        }
    }

    #[test]
    fn bot_share_renders_and_is_deterministic() {
        let share = series("share", T0, 10 * MIN, 288, |i| {
            0.1 + 0.3 * ((i % 30) as f64 / 30.0)
        });
        let vol = series("volume", T0, 10 * MIN, 288, |i| (i * 13 % 900) as f64);
        let a = bot_share_png("Bots", &share, Some(&vol), "bot score ≥ 0.70", &paris()).unwrap();
        let b = bot_share_png("Bots", &share, Some(&vol), "bot score ≥ 0.70", &paris()).unwrap();
        check(&a, 1600, 900);
        assert_eq!(a, b);
        check(
            &bot_share_png("Bots", &share, None, "", &paris()).unwrap(),
            1600,
            900,
        );
    }

    #[test]
    fn score_distribution_renders_and_is_deterministic() {
        let scores: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
            .collect();
        let a =
            score_distribution_png("Scores", &scores, Some(0.7), &FigureStyle::default()).unwrap();
        let b =
            score_distribution_png("Scores", &scores, Some(0.7), &FigureStyle::default()).unwrap();
        check(&a, 1600, 900);
        assert_eq!(a, b);
        let log = FigureStyle {
            log_y: true,
            ..FigureStyle::default()
        };
        check(
            &score_distribution_png("Scores", &scores, None, &log).unwrap(),
            1600,
            900,
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let st = FigureStyle::default();
        let log = FigureStyle {
            log_y: true,
            ..FigureStyle::default()
        };
        let empty = TimeSeries {
            name: "x".into(),
            points: Vec::new(),
        };
        let one = series("one", T0, MIN, 1, |_| 5.0);
        let zeros = series("zeros", T0, MIN, 30, |_| 0.0);
        let nans = series("nan", T0, MIN, 30, |i| {
            if i % 3 == 0 { f64::NAN } else { i as f64 }
        });
        let all_nan = series("nan", T0, MIN, 5, |_| f64::NAN);
        for style in [&st, &log] {
            for s in [&empty, &one, &zeros, &nans, &all_nan] {
                check(
                    &bot_share_png("Degenerate", s, Some(s), "", style).unwrap(),
                    1600,
                    900,
                );
                check(
                    &bot_share_png("Degenerate", s, None, "", style).unwrap(),
                    1600,
                    900,
                );
            }
            for scores in [
                &[][..],
                &[0.5][..],
                &[f64::NAN, -1.0, 2.0][..],
                &[0.0; 10][..],
            ] {
                check(
                    &score_distribution_png("Degenerate", scores, Some(f64::NAN), style).unwrap(),
                    1600,
                    900,
                );
                check(
                    &score_distribution_png("Degenerate", scores, Some(1.0), style).unwrap(),
                    1600,
                    900,
                );
            }
        }
    }

    #[test]
    fn count_axes_tick_whole_numbers() {
        for (max, target) in [(1.0, 4), (2.0, 5), (3.0, 8), (1.0, 20)] {
            let axis = ValueAxis::for_counts(&[0.0, max], false, target);
            assert!(
                axis.ticks.iter().all(|t| t.fract() == 0.0),
                "max {max}, target {target}: {:?}",
                axis.ticks
            );
            assert!(axis.hi >= max && axis.ticks.len() >= 2);
        }
        // Larger counts keep their usual steps.
        let axis = ValueAxis::for_counts(&[0.0, 600.0], false, 4);
        assert_eq!(axis.ticks, vec![0.0, 200.0, 400.0, 600.0, 800.0]);
    }

    #[test]
    fn ticks_follow_local_wall_clock() {
        let tz = chrono_tz::Europe::Paris;
        let ticks = time_ticks(tz, &(T0..T0 + 6 * 3_600_000), TickStep::Minutes(60));
        assert_eq!(ticks.len(), 6);
        assert!(ticks.iter().all(|t| fmt_time(tz, *t, "%M") == "00"));
        // Weekly ticks fall on Mondays at local midnight.
        let weekly = time_ticks(tz, &(T0..T0 + 30 * 86_400_000), TickStep::Minutes(10_080));
        assert!(!weekly.is_empty());
        assert!(
            weekly
                .iter()
                .all(|t| fmt_time(tz, *t, "%a %H:%M") == "Mon 00:00")
        );
        assert_eq!(
            time_format(tz, T0, T0 + 40 * MIN, TickStep::Minutes(5)),
            "%H:%M"
        );
        assert_eq!(
            time_format(tz, T0, T0 + 48 * 3_600_000, TickStep::Minutes(360)),
            "%d %b %H:%M"
        );
        // Across a year, every format carries the year.
        let year = 365 * 86_400_000;
        assert_eq!(
            time_format(tz, T0, T0 + year, TickStep::Minutes(1440)),
            "%d %b %Y"
        );
        assert_eq!(time_format(tz, T0, T0 + year, TickStep::Months(3)), "%b %Y");
        assert_eq!(
            time_format(tz, T0, T0 + 6 * year, TickStep::Months(12)),
            "%Y"
        );
        // Month and year ticks fall on the 1st at local midnight.
        let quarterly = time_ticks(tz, &(T0..T0 + year), TickStep::Months(3));
        assert_eq!(quarterly.len(), 4);
        assert!(
            quarterly
                .iter()
                .all(|t| fmt_time(tz, *t, "%d %H:%M") == "01 00:00")
        );
        let yearly: Vec<String> = time_ticks(tz, &(T0..T0 + 6 * year), TickStep::Months(12))
            .iter()
            .map(|t| fmt_time(tz, *t, "%Y-%m-%d"))
            .collect();
        assert_eq!(
            yearly,
            [
                "2018-01-01",
                "2019-01-01",
                "2020-01-01",
                "2021-01-01",
                "2022-01-01",
                "2023-01-01"
            ]
        );
        assert_eq!(fmt_num(12_500.0, 0), "12,500");
        assert_eq!(fmt_num(0.25, 2), "0.25");
    }

    #[test]
    fn font_metrics_match_plotters_advances() {
        // The bearing table must come from the same face plotters draws with.
        let m = face_metrics(false).expect("DejaVu parses");
        assert!(m.lsb_px('1', 100.0) > 5.0);
        assert!(m.glyph_id('A').is_some() && m.glyph_id('≥').is_some());
        assert!(face_metrics(true).is_some());
    }
}
