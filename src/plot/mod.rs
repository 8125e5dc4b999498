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

mod languages;
mod platforms;
pub mod reliability;
pub use languages::{BandKind, LanguageBand, Marker, languages_png};
pub use platforms::{Figure, PlatformSeries, Zoom, spread_png, timeline_png};

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

fn font(size: f64, style: FontStyle) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(FontFamily::SansSerif, size, style))
}

/// Registers DejaVu Sans under "sans-serif" once per process: plotters'
/// ab_glyph backend has no fonts of its own and fails with FontUnavailable.
fn ensure_fonts() -> Result<()> {
    static FONTS: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let faces: [(FontStyle, &'static [u8]); 4] = [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
                (FontStyle::Italic, dejavu::sans::oblique()),
                (FontStyle::Oblique, dejavu::sans::oblique()),
            ];
            for (style, bytes) in faces {
                register_font("sans-serif", style, bytes).map_err(|_| {
                    format!("cannot load embedded DejaVu Sans ({})", style.as_str())
                })?;
            }
            Ok(())
        })
        .clone()
        .map_err(|e| anyhow!(e))
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

// ---------------------------------------------------------------------------
// Header, legend, annotations, layout

#[derive(Clone, Copy)]
enum Swatch {
    Line(RGBColor),
    /// A light tint of the colour (a translucent area drawn over others).
    Fill(RGBColor),
    /// The colour as drawn (opaque bands).
    Solid(RGBColor),
}

struct LegendEntry {
    label: String,
    swatch: Swatch,
}

struct FigureSpec<'a> {
    /// Empty for a panel of a multi-panel figure (the figure's header carries the title).
    title: &'a str,
    /// A panel's heading, bold in the colour of its series.
    heading: Option<(String, RGBColor)>,
    subtitle: Vec<String>,
    legend: Vec<LegendEntry>,
    y_desc: &'a str,
    y2_desc: Option<&'a str>,
}

/// Pixel layout worked out before the chart exists, so that the annotation
/// band can be sized from where the markers will fall.
struct Frame {
    /// y where the chart (plot plus axis label areas) starts.
    chart_top: i32,
    y_area: i32,
    y2_area: i32,
    x_area: i32,
    margin_right: i32,
    margin_bottom: i32,
    plot_left: i32,
    plot_right: i32,
    annos: Vec<AnnoPlace>,
    anno_row_h: i32,
}

struct AnnoPlace {
    frac: f64,
    row: usize,
    text: String,
    right_of_line: bool,
    /// Line and label colour; `None` takes the colour given to `draw_markers`.
    color: Option<RGBColor>,
}

impl Frame {
    /// Draws title, subtitle and legend and reserves provisional room for the
    /// axes (refined by `fit_y`; `place_markers` adds the marker label band).
    fn new(root: &Area<'_>, ctx: &Ctx, spec: &FigureSpec<'_>) -> Result<Frame> {
        let m = ctx.margin();
        let w = ctx.width as i32;
        let mut y = ctx.px(20.0);

        if spec.title.is_empty() {
            // A panel: its heading only.
            y = ctx.px(6.0);
            if let Some((heading, color)) = &spec.heading {
                let hfont = font(ctx.sub_size(), FontStyle::Bold).color(color);
                put_text(
                    root,
                    heading,
                    &hfont,
                    (m, y),
                    (HPos::Left, VPos::Top),
                    false,
                )?;
                y += (ctx.sub_size() * 1.35).round() as i32;
            }
        } else {
            // Title: bold, shrunk until it fits the width.
            let mut size = ctx.title_size();
            let avail = (w - 2 * m).max(10) as u32;
            let title = if spec.title.trim().is_empty() {
                " "
            } else {
                spec.title
            };
            let mut tfont = font(size, FontStyle::Bold).color(&TEXT);
            while text_w(root, title, &tfont)? > avail as i32 && size > 16.0 * ctx.scale {
                size *= 0.94;
                tfont = font(size, FontStyle::Bold).color(&TEXT);
            }
            put_text(root, title, &tfont, (m, y), (HPos::Left, VPos::Top), false)?;
            y += (size * 1.3).round() as i32;
        }

        let sfont = font(ctx.sub_size(), FontStyle::Normal).color(&TEXT_MUTED);
        for line in &spec.subtitle {
            put_text(root, line, &sfont, (m, y), (HPos::Left, VPos::Top), false)?;
            y += (ctx.sub_size() * 1.35).round() as i32;
        }

        // Legend: swatch + name per entry, in a row, wrapping if it must.
        if !spec.legend.is_empty() {
            y += ctx.px(6.0);
            let lfont = font(ctx.sub_size(), FontStyle::Normal).color(&TEXT);
            let row_h = (ctx.sub_size() * 1.45).round() as i32;
            let sw = ctx.px(44.0);
            let gap = ctx.px(12.0);
            let mut x = m;
            for e in &spec.legend {
                let need = sw + gap + text_w(root, &e.label, &lfont)? + ctx.px(40.0);
                if x > m && x + need > w - m {
                    x = m;
                    y += row_h;
                }
                let cy = y + (ctx.sub_size() * 0.42).round() as i32;
                match e.swatch {
                    Swatch::Line(c) => root.draw(&PathElement::new(
                        vec![(x, cy), (x + sw, cy)],
                        c.stroke_width(ctx.line_w() + 1),
                    )),
                    Swatch::Fill(c) => root.draw(&Rectangle::new(
                        [(x, cy - ctx.px(10.0)), (x + sw, cy + ctx.px(10.0))],
                        c.mix(0.35).filled(),
                    )),
                    Swatch::Solid(c) => root.draw(&Rectangle::new(
                        [(x, cy - ctx.px(10.0)), (x + sw, cy + ctx.px(10.0))],
                        c.filled(),
                    )),
                }
                .map_err(plot_err)?;
                put_text(
                    root,
                    &e.label,
                    &lfont,
                    (x + sw + gap, y),
                    (HPos::Left, VPos::Top),
                    false,
                )?;
                x += need;
            }
            y += row_h;
        }
        y += if spec.title.is_empty() {
            ctx.px(4.0)
        } else {
            ctx.px(14.0)
        };

        let desc_h = ctx.label_size() * 1.3;
        let label_dist = 2 * ctx.tick_mark();
        let x_area = label_dist + (ctx.tick_size() * 1.25 + desc_h).round() as i32 + ctx.px(14.0);
        // Sized for the widest tick label we expect ("10,000,000"), so that
        // figures of one report line up.
        let probe = text_w(root, "10,000,000", &ctx.tick_font())?;
        let y_area = label_dist + probe + ctx.px(16.0) + desc_h.round() as i32;
        let y2_area = if spec.y2_desc.is_some() { y_area } else { 0 };
        // Room for half of the last x tick label ("07 May 18:00").
        let half_label = text_w(root, "07 May 18:00", &ctx.tick_font())? / 2;
        let margin_right = if y2_area > 0 {
            m
        } else {
            m.max(half_label + ctx.px(8.0))
        };
        let frame = Frame {
            chart_top: y,
            y_area,
            y2_area,
            x_area,
            margin_right,
            margin_bottom: ctx.px(16.0),
            plot_left: m + y_area,
            plot_right: w - margin_right - y2_area,
            annos: Vec::new(),
            anno_row_h: (ctx.tick_size() * 1.6).round() as i32,
        };
        Ok(frame)
    }

    /// Sizes the y label areas from the actual tick labels, so that short
    /// labels ("100") do not leave a gap before the axis title.
    fn fit_y<L: AxisLabels<f64>>(
        &mut self,
        root: &Area<'_>,
        ctx: &Ctx,
        y: &L,
        y2: Option<&L>,
    ) -> Result<()> {
        let area = |axis: &L| -> Result<i32> {
            let mut widest = 0;
            for v in axis.tick_values() {
                widest = widest.max(text_w(root, &axis.label(&v), &ctx.tick_font())?);
            }
            let desc_h = (ctx.label_size() / 1.24).round() as i32;
            Ok(2 * ctx.tick_mark() + widest + ctx.px(22.0) + desc_h)
        };
        self.y_area = area(y)?;
        if let Some(y2) = y2 {
            self.y2_area = area(y2)?;
        }
        self.plot_left = ctx.margin() + self.y_area;
        self.plot_right = ctx.width as i32 - self.margin_right - self.y2_area;
        Ok(())
    }

    fn plot_width(&self) -> i32 {
        (self.plot_right - self.plot_left).max(1)
    }

    /// About one y tick per 80 px of plot height at the reference size.
    fn y_tick_target(&self, ctx: &Ctx) -> usize {
        let h = ctx.height as i32 - self.chart_top - self.x_area - self.margin_bottom;
        (h / ctx.px(80.0)).clamp(3, 10) as usize
    }

    /// Greedy row assignment: each label goes right of its line (left if it
    /// would leave the figure) in the first row where it overlaps nothing.
    /// `items` are (position across the plot as a fraction, label text, colour).
    fn place_markers(
        &mut self,
        root: &Area<'_>,
        ctx: &Ctx,
        mut items: Vec<(f64, String, Option<RGBColor>)>,
    ) -> Result<()> {
        const MAX_ROWS: usize = 6;
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        let tfont = ctx.tick_font();
        let pad = ctx.px(6.0);
        let gap = ctx.px(10.0);
        let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
        for (f, text, color) in items {
            let x = self.plot_left + (f * f64::from(self.plot_width())).round() as i32;
            let bw = text_w(root, &text, &tfont)? + 2 * pad;
            let right_of_line = x + pad + bw <= ctx.width as i32 - ctx.px(8.0);
            let (x0, x1) = if right_of_line {
                (x, x + pad + bw)
            } else {
                (x - pad - bw, x)
            };
            let free =
                |r: &Vec<(i32, i32)>| r.iter().all(|&(a0, a1)| x1 + gap < a0 || x0 > a1 + gap);
            let row = match rows.iter().position(free) {
                Some(r) => r,
                None if rows.len() < MAX_ROWS => {
                    rows.push(Vec::new());
                    rows.len() - 1
                }
                None => MAX_ROWS - 1,
            };
            rows[row].push((x0, x1));
            self.annos.push(AnnoPlace {
                frac: f,
                row,
                text,
                right_of_line,
                color,
            });
        }
        self.chart_top += rows.len() as i32 * self.anno_row_h + ctx.px(4.0);
        Ok(())
    }

    /// Builds the chart below the header and draws grid, axes and labels.
    fn chart<'a, 'b, X, Y>(
        &self,
        root: &'a Area<'b>,
        ctx: &Ctx,
        x: X,
        y: Y,
        spec: &FigureSpec<'_>,
        x_desc: Option<&str>,
    ) -> Result<ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, Y>>>
    where
        X: Ranged<FormatOption = DefaultFormatting> + AxisLabels<X::ValueType> + Clone,
        Y: Ranged<FormatOption = DefaultFormatting> + AxisLabels<Y::ValueType> + Clone,
        X::ValueType: Debug + Clone,
        Y::ValueType: Debug + Clone,
    {
        let (xl, yl) = (x.clone(), y.clone());
        let mut chart = ChartBuilder::on(root)
            .margin_top(self.chart_top)
            .margin_left(ctx.margin())
            .margin_right(self.margin_right)
            .margin_bottom(self.margin_bottom)
            .x_label_area_size(self.x_area)
            .y_label_area_size(self.y_area)
            .right_y_label_area_size(self.y2_area)
            .build_cartesian_2d(x, y)
            .map_err(plot_err)?;
        let blank_x = |_: &X::ValueType| String::new();
        let blank_y = |_: &Y::ValueType| String::new();
        chart
            .configure_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .x_label_style(ctx.tick_font())
            .y_label_style(ctx.tick_font())
            .x_label_formatter(&blank_x)
            .y_label_formatter(&blank_y)
            .set_all_tick_mark_size(ctx.tick_mark())
            .set_tick_mark_size(LabelAreaPosition::Right, 0)
            .x_labels(100)
            .y_labels(100)
            .draw()
            .map_err(plot_err)?;
        axis_text(root, ctx, &chart, &xl, &yl, x_desc, spec.y_desc, false)?;
        Ok(chart)
    }

    /// Dashed marker lines through the plot with labels in the band above it.
    /// Lines are drawn first so that label boxes sit on top of them.
    fn draw_markers(
        &self,
        root: &Area<'_>,
        ctx: &Ctx,
        plot: (Range<i32>, Range<i32>),
        color: RGBColor,
    ) -> Result<()> {
        let (px, py) = local(root, plot);
        let to_x = |f: f64| px.start + (f * f64::from(px.end - px.start)).round() as i32;
        let row_y = |row: usize| py.start - (row as i32 + 1) * self.anno_row_h;
        for a in &self.annos {
            let x = to_x(a.frac);
            root.draw(&DashedPathElement::new(
                vec![(x, row_y(a.row) + self.anno_row_h / 2), (x, py.end)],
                ctx.px(10.0),
                ctx.px(6.0),
                a.color.unwrap_or(color).stroke_width(ctx.px(2.0) as u32),
            ))
            .map_err(plot_err)?;
        }
        let pad = ctx.px(6.0);
        for a in &self.annos {
            let line_color = a.color.unwrap_or(color);
            let tfont = ctx.tick_font().color(&line_color);
            let x = to_x(a.frac);
            let y0 = row_y(a.row);
            let tw = text_w(root, &a.text, &tfont)?;
            let (bx0, bx1) = if a.right_of_line {
                (x + ctx.px(3.0), x + ctx.px(3.0) + tw + 2 * pad)
            } else {
                (x - ctx.px(3.0) - tw - 2 * pad, x - ctx.px(3.0))
            };
            root.draw(&Rectangle::new(
                [
                    (bx0, y0 + ctx.px(2.0)),
                    (bx1, y0 + self.anno_row_h - ctx.px(2.0)),
                ],
                WHITE.filled(),
            ))
            .map_err(plot_err)?;
            put_text(
                root,
                &a.text,
                &tfont,
                (bx0 + pad, y0 + self.anno_row_h / 2),
                (HPos::Left, VPos::Center),
                false,
            )?;
        }
        Ok(())
    }
}

fn text_w(root: &Area<'_>, text: &str, style: &TextStyle<'_>) -> Result<i32> {
    Ok(root.estimate_text_size(text, style).map_err(plot_err)?.0 as i32)
}

/// Position of `t` in `xr` as a fraction, clamped so stray values stay near the plot.
fn frac(t: i64, xr: &Range<i64>) -> f64 {
    let span = (xr.end - xr.start).max(1) as f64;
    ((t - xr.start) as f64 / span).clamp(-0.05, 1.05)
}

/// A plot's pixel range (backend coordinates, as plotters reports it) in the coordinates
/// of `root`, which is a panel of the figure or the whole of it.
fn local(root: &Area<'_>, plot: (Range<i32>, Range<i32>)) -> (Range<i32>, Range<i32>) {
    let (ox, oy) = root.get_base_pixel();
    let (px, py) = plot;
    (
        (px.start - ox)..(px.end - ox),
        (py.start - oy)..(py.end - oy),
    )
}

fn no_data(root: &Area<'_>, ctx: &Ctx, plot: (Range<i32>, Range<i32>)) -> Result<()> {
    let (px, py) = local(root, plot);
    let style = font(36.0 * ctx.scale, FontStyle::Normal).color(&TEXT_MUTED);
    put_text(
        root,
        "no data",
        &style,
        ((px.start + px.end) / 2, (py.start + py.end) / 2),
        (HPos::Center, VPos::Center),
        false,
    )
}

/// Tick labels and axis titles, drawn by us rather than by the mesh so that
/// they get bearing-corrected text (see `put_text`). `right` labels the y
/// axis on the right-hand side; `x_desc: None` leaves the x axis alone.
#[allow(clippy::too_many_arguments)]
fn axis_text<X, Y>(
    root: &Area<'_>,
    ctx: &Ctx,
    chart: &ChartContext<'_, BitMapBackend<'_>, Cartesian2d<X, Y>>,
    x: &X,
    y: &Y,
    x_desc: Option<&str>,
    y_desc: &str,
    right: bool,
) -> Result<()>
where
    X: Ranged + AxisLabels<X::ValueType>,
    Y: Ranged + AxisLabels<Y::ValueType>,
    X::ValueType: Clone,
    Y::ValueType: Clone,
{
    let (px, py) = local(root, chart.plotting_area().get_pixel_range());
    let (ox, oy) = root.get_base_pixel();
    let (x0, y0) = (chart.x_range().start, chart.y_range().start);
    let tick = ctx.tick_font();
    let dist = 2 * ctx.tick_mark();
    let desc = ctx.label_font();
    let desc_h = (ctx.label_size() / 1.24).round() as i32;
    if let Some(x_desc) = x_desc {
        for t in x.tick_values() {
            let (tx, _) = chart.backend_coord(&(t.clone(), y0.clone()));
            let tx = tx - ox;
            let label = x.label(&t);
            put_text(
                root,
                &label,
                &tick,
                (tx, py.end + dist),
                (HPos::Center, VPos::Top),
                false,
            )?;
        }
        let bottom = ctx.height as i32 - ctx.px(16.0);
        put_text(
            root,
            x_desc,
            &desc,
            ((px.start + px.end) / 2, bottom - desc_h),
            (HPos::Center, VPos::Top),
            false,
        )?;
    }
    for v in y.tick_values() {
        let (_, ty) = chart.backend_coord(&(x0.clone(), v.clone()));
        let ty = ty - oy;
        let label = y.label(&v);
        if right {
            put_text(
                root,
                &label,
                &tick,
                (px.end + dist, ty),
                (HPos::Left, VPos::Center),
                false,
            )?;
        } else {
            put_text(
                root,
                &label,
                &tick,
                (px.start - dist, ty),
                (HPos::Right, VPos::Center),
                false,
            )?;
        }
    }
    let desc_x = if right {
        ctx.width as i32 - ctx.margin() - desc_h
    } else {
        ctx.margin()
    };
    put_text(
        root,
        y_desc,
        &desc,
        (desc_x, (py.start + py.end) / 2),
        (HPos::Center, VPos::Top),
        true,
    )
}

// ---------------------------------------------------------------------------
// Axes

/// Tick label text for an axis (plotters' default is `Debug`).
trait AxisLabels<V> {
    fn label(&self, v: &V) -> String;
    fn tick_values(&self) -> Vec<V>;
}

/// Time axis in Unix ms with ticks at round wall-clock times of the figure's
/// zone (so DST days still tick at 00:00, 06:00, ...).
#[derive(Clone)]
struct TimeAxis {
    range: Range<i64>,
    ticks: Vec<i64>,
    tz: Tz,
    fmt: &'static str,
}

/// A tick step: minutes of wall-clock time (sub-day steps divide a day; day steps tick
/// at local midnight, weeks on Mondays), or calendar months (ticks on the 1st; twelve or
/// more months tick on 1 January), so that axes from minutes to decades get round ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TickStep {
    Minutes(i64),
    Months(i64),
}

impl TickStep {
    /// Length used to space candidate ticks (a month counted as 30.44 days).
    fn approx_ms(self) -> i64 {
        match self {
            TickStep::Minutes(m) => m * MINUTE_MS,
            TickStep::Months(n) => n * 2_629_746_000,
        }
    }
}

/// Candidate tick steps, finest first: 1 minute to 4 weeks, then months to decades.
const TICK_STEPS: [TickStep; 26] = [
    TickStep::Minutes(1),
    TickStep::Minutes(2),
    TickStep::Minutes(5),
    TickStep::Minutes(10),
    TickStep::Minutes(15),
    TickStep::Minutes(30),
    TickStep::Minutes(60),
    TickStep::Minutes(120),
    TickStep::Minutes(180),
    TickStep::Minutes(360),
    TickStep::Minutes(720),
    TickStep::Minutes(1440),
    TickStep::Minutes(2880),
    TickStep::Minutes(10_080),
    TickStep::Minutes(20_160),
    TickStep::Months(1),
    TickStep::Months(2),
    TickStep::Months(3),
    TickStep::Months(6),
    TickStep::Months(12),
    TickStep::Months(24),
    TickStep::Months(60),
    TickStep::Months(120),
    TickStep::Months(240),
    TickStep::Months(600),
    TickStep::Months(1200),
];

impl TimeAxis {
    /// Picks the smallest step whose labels do not collide at `plot_w` pixels.
    /// `None` (no data) gives an axis without ticks.
    fn new(root: &Area<'_>, ctx: &Ctx, range: Option<Range<i64>>, plot_w: i32) -> Result<Self> {
        let Some(range) = range else {
            return Ok(Self {
                range: 0..MIN_SPAN_MS,
                ticks: Vec::new(),
                tz: ctx.tz,
                fmt: "%H:%M",
            });
        };
        let span = (range.end - range.start).max(1) as f64;
        let font = ctx.tick_font();
        let gap = ctx.px(20.0);
        for step in TICK_STEPS {
            let fmt = time_format(ctx.tz, range.start, range.end, step);
            let spacing = step.approx_ms() as f64 / span * f64::from(plot_w);
            let sample = text_w(root, &fmt_time(ctx.tz, range.start, fmt), &font)?;
            if spacing < f64::from(sample + gap) {
                continue;
            }
            let ticks = time_ticks(ctx.tz, &range, step);
            let mut widest = 0;
            for t in &ticks {
                widest = widest.max(text_w(root, &fmt_time(ctx.tz, *t, fmt), &font)?);
            }
            // Months vary in length: leave them a little more room.
            let need = match step {
                TickStep::Minutes(_) => f64::from(widest + gap),
                TickStep::Months(_) => f64::from(widest + gap) * 1.1,
            };
            if spacing >= need {
                return Ok(Self {
                    range,
                    ticks,
                    tz: ctx.tz,
                    fmt,
                });
            }
        }
        Ok(Self {
            range,
            ticks: Vec::new(),
            tz: ctx.tz,
            fmt: "%Y",
        })
    }

    /// The tick labels as drawn.
    fn labels(&self) -> Vec<String> {
        self.ticks
            .iter()
            .map(|t| fmt_time(self.tz, *t, self.fmt))
            .collect()
    }
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = i64;
    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let f = frac(*value, &self.range);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<i64> {
        // Light (minor) grid lines are not used.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> Range<i64> {
        self.range.clone()
    }
}

impl AxisLabels<i64> for TimeAxis {
    fn label(&self, v: &i64) -> String {
        fmt_time(self.tz, *v, self.fmt)
    }
    fn tick_values(&self) -> Vec<i64> {
        self.ticks.clone()
    }
}

/// Linear or log value axis with "nice" ticks (1, 2, 5 × 10^k).
#[derive(Clone, Debug)]
struct ValueAxis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
    /// Decimals for linear tick labels; log labels pick per value.
    decimals: usize,
}

impl ValueAxis {
    fn empty() -> Self {
        Self {
            lo: 0.0,
            hi: 1.0,
            log: false,
            ticks: Vec::new(),
            decimals: 0,
        }
    }

    fn fixed(lo: f64, hi: f64, step: f64) -> Self {
        let n = ((hi - lo) / step).round() as usize;
        Self {
            lo,
            hi,
            log: false,
            ticks: (0..=n).map(|i| lo + i as f64 * step).collect(),
            decimals: decimals_for(step),
        }
    }

    /// Axis for non-negative counts. Linear starts at 0; log starts just
    /// below the smallest positive value (0.5 when there are zeros, which
    /// are then drawn on the bottom edge).
    fn for_counts(values: &[f64], log: bool, target: usize) -> Self {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let max = finite.clone().fold(f64::NEG_INFINITY, f64::max);
        let min = finite.clone().fold(f64::INFINITY, f64::min);
        if log {
            let min_pos = finite.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
            if !min_pos.is_finite() {
                return Self::log_axis(0.5, 10.0);
            }
            let lo = if min <= 0.0 {
                min_pos.min(1.0) * 0.5
            } else {
                min_pos / 1.5
            };
            let hi = (max * 1.5).max(lo * 10.0);
            let mut axis = Self::log_axis(lo, hi);
            // Counts: no "0.5" tick just because zeros sit on the floor.
            if min_pos >= 1.0 && axis.ticks.iter().filter(|v| **v >= 1.0).count() >= 2 {
                axis.ticks.retain(|v| *v >= 1.0);
            }
            axis
        } else {
            let lo = if min.is_finite() { min.min(0.0) } else { 0.0 };
            let hi = if max.is_finite() && max > lo {
                max
            } else {
                lo + 1.0
            };
            Self::linear_axis(lo, hi, target)
        }
    }

    fn linear_axis(lo: f64, hi: f64, target: usize) -> Self {
        let step = nice_step((hi - lo) / target.max(1) as f64);
        let lo_t = (lo / step).floor() * step;
        let hi_t = (hi * 1.04 / step).ceil() * step;
        let n = ((hi_t - lo_t) / step).round() as usize;
        Self {
            lo: lo_t,
            hi: hi_t.max(lo_t + step),
            log: false,
            ticks: (0..=n).map(|i| lo_t + i as f64 * step).collect(),
            decimals: decimals_for(step),
        }
    }

    fn log_axis(lo: f64, hi: f64) -> Self {
        let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        let mults: &[f64] = if d1 - d0 > 4 {
            &[1.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let mut ticks = Vec::new();
        for d in d0..=d1 {
            for m in mults {
                let v = m * 10f64.powi(d);
                if v >= lo * 0.999 && v <= hi * 1.001 {
                    ticks.push(v);
                }
            }
        }
        Self {
            lo,
            hi,
            log: true,
            ticks,
            decimals: 0,
        }
    }
}

impl Ranged for ValueAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = if self.log {
            let v = value.max(self.lo);
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        let f = if f.is_finite() {
            f.clamp(-0.05, 1.05)
        } else {
            0.0
        };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl AxisLabels<f64> for ValueAxis {
    fn label(&self, v: &f64) -> String {
        let d = if self.log {
            decimals_for(*v)
        } else {
            self.decimals
        };
        fmt_num(*v, d)
    }
    fn tick_values(&self) -> Vec<f64> {
        self.ticks.clone()
    }
}

fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10() - 1e-9).ceil().clamp(0.0, 10.0) as usize
    }
}

/// Fixed decimals with thousands separators ("12,500").
fn fmt_num(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

fn group_int(v: u64) -> String {
    fmt_num(v as f64, 0)
}

fn fmt_score(v: f64) -> String {
    format!("{v:.2}")
}

// ---------------------------------------------------------------------------
// Time helpers

fn fmt_time(tz: Tz, ms: i64, fmt: &str) -> String {
    match tz.timestamp_millis_opt(ms).single() {
        Some(t) => t.format(fmt).to_string(),
        None => String::new(),
    }
}

fn local_date(tz: Tz, ms: i64) -> Option<NaiveDate> {
    tz.timestamp_millis_opt(ms).single().map(|t| t.date_naive())
}

/// Tick label format: the year whenever the axis crosses a year ("%Y" for yearly
/// steps, "%b %Y" for monthly, "%d %b %Y" for days), else "%H:%M" within one local
/// day, "%d %b %H:%M" across days and "%d %b" for steps of a day or more.
fn time_format(tz: Tz, lo: i64, hi: i64, step: TickStep) -> &'static str {
    let year = |ms| local_date(tz, ms).map(|d| d.year());
    let crosses_year = year(lo) != year(hi);
    match step {
        TickStep::Months(n) if n >= 12 => "%Y",
        TickStep::Months(_) => "%b %Y",
        TickStep::Minutes(m) if m >= DAY_MIN => {
            if crosses_year {
                "%d %b %Y"
            } else {
                "%d %b"
            }
        }
        TickStep::Minutes(_) => {
            if local_date(tz, lo) == local_date(tz, hi) {
                "%H:%M"
            } else if crosses_year {
                "%d %b %Y %H:%M"
            } else {
                "%d %b %H:%M"
            }
        }
    }
}

/// Ticks at multiples of the step in local wall-clock time: sub-day steps divide
/// 1440 minutes; day steps fall on local midnights (weeks on Mondays); month steps on
/// the 1st of months whose index (year × 12 + month) is a multiple of the step.
fn time_ticks(tz: Tz, range: &Range<i64>, step: TickStep) -> Vec<i64> {
    let (Some(d0), Some(d1)) = (local_date(tz, range.start), local_date(tz, range.end)) else {
        return Vec::new();
    };
    let to_utc = |n: NaiveDateTime| {
        tz.from_local_datetime(&n)
            .earliest()
            .map(|t| t.timestamp_millis())
    };
    // Some zones skip midnight on DST days; 01:00 then stands in.
    let midnight_utc = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("valid midnight");
        to_utc(midnight).or_else(|| to_utc(midnight + chrono::Duration::hours(1)))
    };
    let mut ticks = Vec::new();
    match step {
        TickStep::Months(n) => {
            let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            let (first, last) = (index(d0), index(d1));
            let mut k = first.div_euclid(n) * n;
            while k <= last {
                let (y, m) = (k.div_euclid(12), k.rem_euclid(12) + 1);
                if let Some(t) = i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, m as u32, 1))
                    .and_then(midnight_utc)
                {
                    ticks.push(t);
                }
                k += n;
            }
        }
        TickStep::Minutes(step_min) => {
            let mut d = d0;
            let mut guard = 0;
            while d <= d1 && guard < 200_000 {
                guard += 1;
                if step_min < DAY_MIN {
                    let midnight = d.and_hms_opt(0, 0, 0).expect("valid midnight");
                    for k in 0..(DAY_MIN / step_min) {
                        if let Some(t) = to_utc(midnight + chrono::Duration::minutes(k * step_min))
                        {
                            ticks.push(t);
                        }
                    }
                } else {
                    let n = step_min / DAY_MIN;
                    if (i64::from(d.num_days_from_ce()) - 1).rem_euclid(n) == 0 {
                        ticks.extend(midnight_utc(d));
                    }
                }
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
    }
    ticks.retain(|t| range.contains(t) || *t == range.end);
    ticks.sort_unstable();
    ticks.dedup();
    ticks
}

/// "time (Europe/Paris, UTC+02:00), 05 May 2017 – 07 May 2017": the zone and
/// the dates, since tick labels omit the year.
fn time_desc(tz: Tz, lo: Option<i64>, hi: Option<i64>) -> String {
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return format!("time ({})", tz.name());
    };
    let offset = |ms: i64| {
        tz.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.offset().fix().local_minus_utc())
            .unwrap_or(0)
    };
    let fmt_off = |s: i32| {
        let sign = if s < 0 { '-' } else { '+' };
        let s = s.abs();
        format!("{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
    };
    let zone = if tz == Tz::UTC {
        "UTC".to_string()
    } else if offset(lo) == offset(hi) {
        format!("{}, UTC{}", tz.name(), fmt_off(offset(lo)))
    } else {
        format!(
            "{}, UTC{}/{}",
            tz.name(),
            fmt_off(offset(lo)),
            fmt_off(offset(hi))
        )
    };
    let (a, b) = (fmt_time(tz, lo, "%d %b %Y"), fmt_time(tz, hi, "%d %b %Y"));
    if a == b {
        format!("time ({zone}), {a}")
    } else {
        format!("time ({zone}), {a} – {b}")
    }
}

/// Padded x range; at least `MIN_SPAN_MS` wide, centred on the data.
fn time_range(lo: Option<i64>, hi: Option<i64>, pad_frac: f64) -> Option<Range<i64>> {
    let (lo, hi) = (lo?, hi?);
    let pad = ((hi - lo) as f64 * pad_frac) as i64;
    let (mut a, mut b) = (lo - pad, hi + pad);
    if b - a < MIN_SPAN_MS {
        let extra = MIN_SPAN_MS - (b - a);
        a -= extra / 2;
        b += extra - extra / 2;
    }
    Some(a..b)
}

// ---------------------------------------------------------------------------
// Series geometry

fn sorted_points(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut p = points.to_vec();
    p.sort_by_key(|p| p.0);
    p
}

/// Bin width: the smallest positive spacing of points within any series
/// (one minute when no series has two points).
fn infer_bin_ms(series: &[Vec<(i64, f64)>]) -> i64 {
    series
        .iter()
        .flat_map(|s| s.windows(2).map(|w| w[1].0 - w[0].0))
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(MINUTE_MS)
}

/// Closed histogram outline(s) for binned counts: runs of bins rise from and
/// return to `floor`; missing bins read as zero, NaN bins split the outline.
fn bin_steps(pts: &[(i64, f64)], bin: i64, floor: f64) -> Vec<Vec<(i64, f64)>> {
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
fn bin_steps_open(pts: &[(i64, f64)], bin: i64) -> Vec<Vec<(i64, f64)>> {
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
fn hold_steps(pts: &[(i64, f64)], end: i64, floor: f64) -> Vec<(i64, f64)> {
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

// ---------------------------------------------------------------------------
// Text
//
// plotters 0.3.7's ab_glyph renderer places every glyph's ink at the pen
// position, dropping the glyph's left side bearing; "1", "T", "U" then sit
// visibly apart from their neighbours ("T witter", "1 8:49"). We draw text one
// glyph at a time and add the bearing ab_glyph reads from the same face.

/// One embedded face, for the side bearings plotters drops.
struct FaceMetrics {
    font: ab_glyph::FontRef<'static>,
}

impl FaceMetrics {
    fn parse(font: &'static [u8]) -> Option<Self> {
        ab_glyph::FontRef::try_from_slice(font)
            .ok()
            .map(|font| Self { font })
    }

    fn glyph_id(&self, c: char) -> Option<ab_glyph::GlyphId> {
        let id = ab_glyph::Font::glyph_id(&self.font, c);
        (id.0 != 0).then_some(id)
    }

    /// Where each character's pen stands, in whole pixels at ab_glyph pixel size `size`,
    /// as plotters measures text (a running f32 sum of advances and kerning, truncated):
    /// the width of the text up to and including the character, less the character's own
    /// width. One pass over the text, with the very numbers plotters' `estimate_layout`
    /// would give for every prefix (measuring every prefix was quadratic).
    fn pens_px(&self, text: &str, size: f64) -> Vec<i32> {
        use ab_glyph::{Font, ScaleFont};
        let scaled = self.font.as_scaled(size as f32);
        let mut width = 0f32;
        let mut previous = None;
        text.chars()
            .map(|c| {
                let id = scaled.glyph_id(c);
                let advance = scaled.h_advance(id);
                width += advance;
                if let Some(previous) = previous {
                    width += scaled.kern(previous, id);
                }
                previous = Some(id);
                width as i32 - advance as i32
            })
            .collect()
    }

    /// Left side bearing in pixels at ab_glyph pixel size `size` (which refers to
    /// ascent − descent).
    fn lsb_px(&self, c: char, size: f64) -> f64 {
        use ab_glyph::Font;
        let Some(id) = self.glyph_id(c) else {
            return 0.0;
        };
        f64::from(self.font.h_side_bearing_unscaled(id)) * size
            / f64::from(self.font.height_unscaled())
    }
}

fn face_metrics(bold: bool) -> Option<&'static FaceMetrics> {
    static REGULAR: OnceLock<Option<FaceMetrics>> = OnceLock::new();
    static BOLD: OnceLock<Option<FaceMetrics>> = OnceLock::new();
    if bold {
        BOLD.get_or_init(|| FaceMetrics::parse(dejavu::sans::bold()))
            .as_ref()
    } else {
        REGULAR
            .get_or_init(|| FaceMetrics::parse(dejavu::sans::regular()))
            .as_ref()
    }
}

/// Draws `text` anchored at `pos` (`h`/`v` as in plotters), horizontally or
/// reading bottom-to-top (`vertical`), with side bearings restored.
fn put_text(
    root: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    pos: (i32, i32),
    (h, v): (HPos, VPos),
    vertical: bool,
) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let bold = style.font.get_style().as_str() == FontStyle::Bold.as_str();
    let metrics = face_metrics(bold);
    let size = style.font.get_size();
    // Measure at 16x size: plotters truncates widths to whole pixels, and
    // summing truncated widths would put glyphs up to a pixel off.
    const OVER: f64 = 16.0;
    let big = TextStyle::from(FontDesc::new(
        FontFamily::SansSerif,
        size * OVER,
        style.font.get_style(),
    ));
    let width = |s: &str| -> Result<f64> { Ok(f64::from(text_w(root, s, &big)?) / OVER) };
    let total = width(text)?;
    let start = match h {
        HPos::Left => 0.0,
        HPos::Center => -total / 2.0,
        HPos::Right => -total,
    };
    let mut glyph_style = style.pos(Pos::new(HPos::Left, v));
    if vertical {
        glyph_style = glyph_style.transform(FontTransform::Rotate270);
    }
    // Pen positions of every character, including kerning with the previous glyph,
    // from the faces plotters draws Normal and Bold with.
    let plain = matches!(style.font.get_style(), FontStyle::Normal | FontStyle::Bold);
    let pens = match metrics {
        Some(metrics) if plain => Some(metrics.pens_px(text, size * OVER)),
        _ => None,
    };
    let mut buf = [0u8; 4];
    for (n, (i, c)) in text.char_indices().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let one: &str = c.encode_utf8(&mut buf);
        let pen = match &pens {
            Some(pens) => f64::from(pens[n]) / OVER,
            None => width(&text[..i + c.len_utf8()])? - width(one)?,
        };
        let lsb = metrics.map_or(0.0, |m| m.lsb_px(c, size));
        let off = (start + pen + lsb).round() as i32;
        let at = if vertical {
            (pos.0, pos.1 - off)
        } else {
            (pos.0 + off, pos.1)
        };
        root.draw_text(one, &glyph_style, at).map_err(plot_err)?;
    }
    Ok(())
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
