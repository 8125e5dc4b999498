//! The per-platform figures: `timeline.png` (one panel per platform, each on its own
//! scale) and `spread.png` (cumulative share of each platform's own posts, and a zoomed
//! panel of the first hours with the first post of every platform marked).
//!
//! Both are built for the cross-platform question — who posted first — when platforms
//! differ in size by a thousandfold (a few hundred /pol/ posts against a million tweets):
//! on one linear count axis the small platform is a flat line on the x axis, and first
//! posts minutes apart collapse into one line on an axis of days.

use anyhow::Result;
use plotters::prelude::*;

use super::{
    Area, Ctx, FigureSpec, FigureStyle, Frame, LegendEntry, MINUTE_MS, Swatch, TEXT, TimeAxis,
    ValueAxis, bin_steps, fmt_time, frac, group_int, hold_steps, no_data, render, time_desc,
    time_range,
};

/// One platform's posts per bin, with its colour and first post.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformSeries {
    /// Display name ("Twitter", "4chan").
    pub name: String,
    /// Colour of the platform's curve and first-post marker.
    pub color: RGBColor,
    /// (bin start in Unix ms UTC, posts in the bin); need not be sorted.
    pub posts: Vec<(i64, f64)>,
    /// Time of the platform's first post (Unix ms UTC), marked on the figures; `None`
    /// draws no marker.
    pub first_post_ms: Option<i64>,
}

/// Cumulative posts per platform over the window around the first posts (see
/// `spread::EarlyWindow`): `cumulative[i][k]` counts platform `i`'s posts before
/// `start_ms + (k + 1) * step_ms`, platforms in the order of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Zoom {
    /// Start of the window, in Unix ms UTC.
    pub start_ms: i64,
    /// End of the window, in Unix ms UTC.
    pub end_ms: i64,
    /// Width of a step, in ms.
    pub step_ms: i64,
    /// `cumulative[i][k]`: platform `i`'s posts before the end of step `k`.
    pub cumulative: Vec<Vec<f64>>,
}

/// A rendered figure and the x tick labels drawn on it (of its lowest time axis), so
/// that tests can check what a reader sees without reading pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The figure as PNG bytes.
    pub png: Vec<u8>,
    /// Labels of the x ticks of its lowest time axis, as drawn.
    pub x_tick_labels: Vec<String>,
}

/// Bins beyond which volume is drawn as a filled area with a thin outline: a step
/// outline of hundreds of bins reads as noise with doubled strokes.
const AREA_FROM_BINS: usize = 150;

/// Stacks panels of relative `heights` under a header (title, subtitle, legend) drawn
/// on `root`. Each panel gets its own drawing area and a context of its size at the
/// figure's scale.
fn panels<'a>(
    root: &Area<'a>,
    ctx: &Ctx,
    header: &FigureSpec<'_>,
    heights: &[f64],
) -> Result<Vec<(Area<'a>, Ctx)>> {
    let head = Frame::new(root, ctx, header)?;
    let top = head.chart_top - ctx.px(10.0);
    let (_, mut body) = root.split_vertically(top.max(0));
    let total: f64 = heights.iter().sum();
    let mut left_px = f64::from(body.dim_in_pixel().1);
    let mut out = Vec::new();
    for (i, h) in heights.iter().enumerate() {
        let (area, rest) = if i + 1 == heights.len() {
            (body.clone(), body.clone())
        } else {
            let px = (f64::from(ctx.height as i32 - top) * h / total).round();
            left_px -= px;
            body.split_vertically(px as i32)
        };
        let (w, hh) = area.dim_in_pixel();
        out.push((
            area,
            Ctx {
                scale: ctx.scale,
                width: w,
                height: hh,
                tz: ctx.tz,
            },
        ));
        body = rest;
    }
    debug_assert!(left_px >= 0.0);
    Ok(out)
}

/// Gives stacked frames one y label width, so their x axes line up.
fn align(frames: &mut [Frame], ctxs: &[&Ctx]) {
    let y_area = frames.iter().map(|f| f.y_area).max().unwrap_or(0);
    for (frame, ctx) in frames.iter_mut().zip(ctxs) {
        frame.y_area = y_area;
        frame.plot_left = ctx.margin() + y_area;
        frame.plot_right = ctx.width as i32 - frame.margin_right - frame.y2_area;
    }
}

fn sorted(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut p: Vec<(i64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
    p.sort_by_key(|p| p.0);
    p
}

fn total(points: &[(i64, f64)]) -> f64 {
    points.iter().map(|p| p.1).sum()
}

/// "1 post", "1,059 posts": the count a panel heading or legend entry names.
fn posts_phrase(count: f64) -> String {
    let n = count as u64;
    format!("{} {}", group_int(n), if n == 1 { "post" } else { "posts" })
}

/// Label of a first-post marker: "first 4chan post (05 May 20:35)", with the year when
/// the axis crosses one.
fn first_post_label(
    name: &str,
    t: i64,
    style: &FigureStyle,
    range: &std::ops::Range<i64>,
) -> String {
    let year = |ms| fmt_time(style.tz, ms, "%Y");
    let fmt = if year(range.start) == year(range.end) {
        "%d %b %H:%M"
    } else {
        "%d %b %Y %H:%M"
    };
    format!("first {name} post ({})", fmt_time(style.tz, t, fmt))
}

/// Timeline panels that fit the figure's own height; more make it taller.
const PANELS_IN_DEFAULT_HEIGHT: usize = 4;

/// Posts per bin, one panel per platform stacked on a shared time axis, each with its
/// own y axis and its first post marked, so a platform with 0.1 % of the posts reads as
/// clearly as the largest. Long spans (more than [`AREA_FROM_BINS`] bins) are drawn as
/// areas.
pub fn timeline_png(
    title: &str,
    bin_label: &str,
    bin_ms: i64,
    platforms: &[PlatformSeries],
    style: &FigureStyle,
) -> Result<Figure> {
    let series: Vec<Vec<(i64, f64)>> = platforms.iter().map(|p| sorted(&p.posts)).collect();
    let bin = bin_ms.max(1);
    let t_lo = series.iter().flatten().map(|p| p.0).min();
    let t_hi = series
        .iter()
        .flatten()
        .map(|p| p.0.saturating_add(bin))
        .max();
    let subtitle = vec![format!(
        "posts per {}{}; each platform on its own scale",
        bin_label.trim_end_matches(" bins"),
        if style.log_y { " (log scale)" } else { "" }
    )];
    let header = FigureSpec {
        title,
        heading: None,
        subtitle,
        legend: Vec::new(),
        y_desc: "",
        y2_desc: None,
    };
    let y_desc = if style.log_y { "posts (log)" } else { "posts" };
    let mut x_tick_labels = Vec::new();
    // Beyond four platforms the figure grows taller (text keeps its size: it scales with
    // the smaller of the two ratios) so that each panel keeps room for its labels.
    let taller;
    let style = if platforms.len() > PANELS_IN_DEFAULT_HEIGHT {
        taller = FigureStyle {
            height: (style.height as usize * platforms.len() / PANELS_IN_DEFAULT_HEIGHT) as u32,
            ..style.clone()
        };
        &taller
    } else {
        style
    };
    let png = render(style, |root, ctx| {
        let n = platforms.len().max(1);
        // The last panel also holds the time axis (tick labels and title, about 0.6 of a
        // panel at the height a taller figure gives each): weighted so that its plot is not
        // squeezed below the others'.
        let mut weights = vec![1.0; n];
        if n > PANELS_IN_DEFAULT_HEIGHT {
            weights[n - 1] = 1.6;
        }
        let areas = panels(root, ctx, &header, &weights)?;
        let xr = time_range(t_lo, t_hi, 0.0);
        let specs: Vec<FigureSpec> = (0..n)
            .map(|i| FigureSpec {
                title: "",
                heading: platforms.get(i).map(|p| {
                    (
                        format!("{}: {}", p.name, posts_phrase(total(&series[i]))),
                        p.color,
                    )
                }),
                subtitle: Vec::new(),
                legend: Vec::new(),
                y_desc,
                y2_desc: None,
            })
            .collect();
        let mut frames = Vec::new();
        let mut axes = Vec::new();
        for (i, (area, pctx)) in areas.iter().enumerate() {
            let mut frame = Frame::new(area, pctx, &specs[i])?;
            if i + 1 < n {
                frame.x_area = pctx.px(6.0);
                frame.margin_bottom = pctx.px(4.0);
            }
            let values: Vec<f64> = series
                .get(i)
                .map_or(Vec::new(), |s| s.iter().map(|p| p.1).collect());
            let y = if values.is_empty() {
                ValueAxis::empty()
            } else {
                ValueAxis::for_counts(&values, style.log_y, frame.y_tick_target(pctx).min(4))
            };
            frame.fit_y(area, pctx, &y, None)?;
            axes.push(y);
            frames.push(frame);
        }
        let ctxs: Vec<&Ctx> = areas.iter().map(|a| &a.1).collect();
        align(&mut frames, &ctxs);
        for (i, (area, pctx)) in areas.iter().enumerate() {
            let frame = &mut frames[i];
            if let (Some(p), Some(xr)) = (platforms.get(i), &xr)
                && let Some(t) = p.first_post_ms
            {
                let label = first_post_label(&p.name, t, style, xr);
                frame.place_markers(area, pctx, vec![(frac(t, xr), label, Some(p.color))])?;
            }
            let x = TimeAxis::new(area, pctx, xr.clone(), frame.plot_width())?;
            let last = i + 1 == n;
            if last {
                x_tick_labels = x.labels();
            }
            let x_desc = time_desc(style.tz, t_lo, t_hi.map(|t| t - 1));
            let mut chart = frame.chart(
                area,
                pctx,
                x,
                axes[i].clone(),
                &specs[i],
                last.then_some(x_desc.as_str()),
            )?;
            let floor = chart.y_range().start;
            if let Some(p) = platforms.get(i) {
                let pts = &series[i];
                let area_mode = pts.len() > AREA_FROM_BINS;
                for seg in bin_steps(pts, bin, floor) {
                    let tint = p.color.mix(if area_mode { 0.45 } else { 0.15 }).filled();
                    chart.draw_series(std::iter::once(Polygon::new(seg.clone(), tint)))?;
                    let w = if area_mode {
                        (pctx.line_w() / 2).max(1)
                    } else {
                        pctx.line_w()
                    };
                    chart.draw_series(std::iter::once(PathElement::new(
                        seg,
                        p.color.stroke_width(w),
                    )))?;
                }
            }
            let plot = chart.plotting_area().get_pixel_range();
            frame.draw_markers(area, pctx, plot.clone(), TEXT)?;
            if series.get(i).is_none_or(|s| s.is_empty()) {
                no_data(area, pctx, plot)?;
            }
        }
        Ok(())
    })?;
    Ok(Figure { png, x_tick_labels })
}

/// Two panels. Above, the cumulative share of each platform's own posts (0–100 %) over
/// the whole span, so platforms of any size share an axis and the order in which they
/// took off is visible. Below, the first hours around the first posts (`zoom`) as
/// cumulative posts on a log axis, with each platform's first post marked and dated;
/// `lead_text` (e.g. "4chan led Twitter by 14 min") goes under the title.
pub fn spread_png(
    title: &str,
    lead_text: Option<&str>,
    bin_ms: i64,
    platforms: &[PlatformSeries],
    zoom: Option<&Zoom>,
    style: &FigureStyle,
) -> Result<Figure> {
    let bin = bin_ms.max(1);
    let series: Vec<Vec<(i64, f64)>> = platforms.iter().map(|p| sorted(&p.posts)).collect();
    let t_lo = series.iter().flatten().map(|p| p.0).min();
    let t_hi = series
        .iter()
        .flatten()
        .map(|p| p.0.saturating_add(bin))
        .max();
    // Cumulative share at the end of each bin, from 0 at the platform's first bin.
    let shares: Vec<Vec<(i64, f64)>> = series
        .iter()
        .map(|pts| {
            let all = total(pts);
            let mut acc = 0.0;
            let mut out = Vec::with_capacity(pts.len() + 1);
            if let Some(first) = pts.iter().find(|p| p.1 > 0.0) {
                out.push((first.0, 0.0));
            }
            for &(t, n) in pts {
                if n <= 0.0 && acc == 0.0 {
                    continue;
                }
                acc += n;
                out.push((t.saturating_add(bin), 100.0 * acc / all));
            }
            out
        })
        .collect();
    let legend = platforms
        .iter()
        .zip(&series)
        .map(|(p, pts)| LegendEntry {
            label: format!("{} ({})", p.name, posts_phrase(total(pts))),
            swatch: Swatch::Line(p.color),
        })
        .collect();
    let header = FigureSpec {
        title,
        heading: None,
        subtitle: lead_text
            .filter(|s| !s.trim().is_empty())
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        legend,
        y_desc: "",
        y2_desc: None,
    };
    let share_spec = FigureSpec {
        title: "",
        heading: Some(("Cumulative share of each platform's own posts".into(), TEXT)),
        subtitle: Vec::new(),
        legend: Vec::new(),
        y_desc: "% of platform",
        y2_desc: None,
    };
    // "First hours" only where the window is hours: when the first posts are days or years
    // apart (an archive), the window spans them all.
    let within_two_days = zoom.is_none_or(|z| z.end_ms - z.start_ms <= 48 * 60 * MINUTE_MS);
    let zoom_heading = if within_two_days {
        "First hours: cumulative posts (log scale), first post of each platform marked"
    } else {
        "From the first posts: cumulative posts (log scale), first post of each platform marked"
    };
    let zoom_spec = FigureSpec {
        title: "",
        heading: Some((zoom_heading.into(), TEXT)),
        subtitle: Vec::new(),
        legend: Vec::new(),
        y_desc: "posts",
        y2_desc: None,
    };
    let mut x_tick_labels = Vec::new();
    let png = render(style, |root, ctx| {
        // Beyond two platforms the first-post labels stack in rows above the lower panel:
        // it grows with them so its plot keeps its height.
        let extra = platforms.len().saturating_sub(2) as f64;
        let areas = panels(root, ctx, &header, &[1.0, 1.0 + 0.15 * extra])?;
        let (a_area, a_ctx) = &areas[0];
        let (b_area, b_ctx) = &areas[1];
        let mut a = Frame::new(a_area, a_ctx, &share_spec)?;
        let ya = ValueAxis::fixed(0.0, 100.0, 25.0);
        a.fit_y(a_area, a_ctx, &ya, None)?;
        let mut b = Frame::new(b_area, b_ctx, &zoom_spec)?;
        let zoom_values: Vec<f64> = zoom
            .map(|z| z.cumulative.iter().flatten().copied().collect())
            .unwrap_or_default();
        let yb = if zoom_values.iter().any(|v| *v > 0.0) {
            ValueAxis::for_counts(&zoom_values, true, b.y_tick_target(b_ctx))
        } else {
            ValueAxis::empty()
        };
        b.fit_y(b_area, b_ctx, &yb, None)?;
        let mut frames = [a, b];
        align(&mut frames, &[a_ctx, b_ctx]);
        let [a, mut b] = frames;

        // Panel A: whole span.
        let xa = time_range(t_lo, t_hi, 0.0);
        let x = TimeAxis::new(a_area, a_ctx, xa.clone(), a.plot_width())?;
        let x_desc = time_desc(style.tz, t_lo, t_hi.map(|t| t - 1));
        let mut chart = a.chart(a_area, a_ctx, x, ya, &share_spec, Some(&x_desc))?;
        let end = t_hi.unwrap_or(0);
        for (p, pts) in platforms.iter().zip(&shares) {
            let path = hold_steps(pts, end, 0.0);
            if path.len() > 1 {
                chart.draw_series(std::iter::once(PathElement::new(
                    path,
                    p.color.stroke_width(a_ctx.line_w()),
                )))?;
            }
        }
        let plot = chart.plotting_area().get_pixel_range();
        a.draw_markers(a_area, a_ctx, plot.clone(), TEXT)?;
        if t_lo.is_none() {
            no_data(a_area, a_ctx, plot)?;
        }

        // Panel B: the first hours.
        let xb = zoom.map(|z| z.start_ms..z.end_ms.max(z.start_ms + MINUTE_MS));
        if let Some(xr) = &xb {
            let items = platforms
                .iter()
                .filter_map(|p| {
                    p.first_post_ms.map(|t| {
                        (
                            frac(t, xr),
                            first_post_label(&p.name, t, style, xr),
                            Some(p.color),
                        )
                    })
                })
                .collect();
            b.place_markers(b_area, b_ctx, items)?;
        }
        let x = TimeAxis::new(b_area, b_ctx, xb.clone(), b.plot_width())?;
        x_tick_labels = x.labels();
        let x_desc = time_desc(
            style.tz,
            xb.as_ref().map(|r| r.start),
            xb.as_ref().map(|r| r.end - 1),
        );
        let mut chart = b.chart(b_area, b_ctx, x, yb, &zoom_spec, Some(&x_desc))?;
        let floor = chart.y_range().start;
        if let Some(z) = zoom {
            for (p, cum) in platforms.iter().zip(&z.cumulative) {
                let mut path = vec![(z.start_ms, floor)];
                for (k, v) in cum.iter().enumerate() {
                    path.push((z.start_ms + (k as i64 + 1) * z.step_ms, v.max(floor)));
                }
                chart.draw_series(std::iter::once(PathElement::new(
                    path,
                    p.color.stroke_width(b_ctx.line_w()),
                )))?;
            }
        }
        let plot = chart.plotting_area().get_pixel_range();
        b.draw_markers(b_area, b_ctx, plot.clone(), TEXT)?;
        if zoom_values.iter().all(|v| *v <= 0.0) {
            no_data(b_area, b_ctx, plot)?;
        }
        Ok(())
    })?;
    Ok(Figure { png, x_tick_labels })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, series};
    use super::*;

    const T0: i64 = 1_494_009_300_000; // 2017-05-05 18:35 UTC
    const MIN: i64 = 60_000;
    const DAY: i64 = 1_440 * MIN;

    fn platform(
        name: &str,
        color: RGBColor,
        start: i64,
        bin: i64,
        n: i64,
        scale: f64,
    ) -> PlatformSeries {
        PlatformSeries {
            name: name.into(),
            color,
            posts: series(name, start, bin, n, |i| ((i * 37) % 11) as f64 * scale).points,
            first_post_ms: Some(start),
        }
    }

    fn campaign(bin: i64, n: i64) -> Vec<PlatformSeries> {
        vec![
            platform("4chan", RGBColor(0xD5, 0x5E, 0x00), T0, bin, n, 1.0),
            platform(
                "Twitter",
                RGBColor(0x00, 0x72, 0xB2),
                T0 + 2 * bin,
                bin,
                n,
                1000.0,
            ),
        ]
    }

    fn zoom(platforms: &[PlatformSeries]) -> Zoom {
        Zoom {
            start_ms: T0 - 5 * MIN,
            end_ms: T0 + 3 * 60 * MIN,
            step_ms: MIN,
            cumulative: platforms
                .iter()
                .map(|p| {
                    let first = p.first_post_ms.unwrap();
                    (0..185)
                        .map(|k| {
                            let t = T0 - 5 * MIN + (k + 1) * MIN;
                            if t > first {
                                ((t - first) / MIN) as f64
                            } else {
                                0.0
                            }
                        })
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn figures_render_deterministically_at_any_size() {
        let style = FigureStyle {
            tz: chrono_tz::Europe::Paris,
            ..FigureStyle::default()
        };
        let p = campaign(10 * MIN, 288);
        let z = zoom(&p);
        let a = timeline_png("Timeline", "10 min bins", 10 * MIN, &p, &style).unwrap();
        let b = timeline_png("Timeline", "10 min bins", 10 * MIN, &p, &style).unwrap();
        check(&a.png, 1600, 900);
        assert_eq!(a, b);
        let s1 = spread_png(
            "Spread",
            Some("4chan led Twitter by 14 min"),
            10 * MIN,
            &p,
            Some(&z),
            &style,
        )
        .unwrap();
        let s2 = spread_png(
            "Spread",
            Some("4chan led Twitter by 14 min"),
            10 * MIN,
            &p,
            Some(&z),
            &style,
        )
        .unwrap();
        check(&s1.png, 1600, 900);
        assert_eq!(s1, s2);
        // The zoomed panel's axis is in minutes of the first hours, not days.
        assert!(
            s1.x_tick_labels.iter().any(|l| l == "21:00"),
            "{:?}",
            s1.x_tick_labels
        );
        let small = FigureStyle {
            width: 800,
            height: 450,
            log_y: true,
            ..style.clone()
        };
        check(
            &timeline_png("Timeline, small", "10 min bins", 10 * MIN, &p, &small)
                .unwrap()
                .png,
            800,
            450,
        );
        check(
            &spread_png("Spread, small", None, 10 * MIN, &p, Some(&z), &small)
                .unwrap()
                .png,
            800,
            450,
        );
        // Five platforms stay readable (one panel each; the figure grows by a quarter of its
        // height per panel beyond four).
        let five: Vec<PlatformSeries> = (0..5)
            .map(|i| {
                platform(
                    &format!("p{i}"),
                    super::super::PALETTE[i],
                    T0 + i as i64 * MIN,
                    10 * MIN,
                    288,
                    10f64.powi(i as i32),
                )
            })
            .collect();
        check(
            &timeline_png("Five", "10 min bins", 10 * MIN, &five, &style)
                .unwrap()
                .png,
            1600,
            900 * 5 / 4,
        );
    }

    #[test]
    fn tick_labels_carry_the_year_over_years_and_not_over_a_weekend() {
        let style = FigureStyle::default();
        // Six years of weekly bins (2012-2018, as the IRA archive).
        let start = 1_328_140_800_000; // 2012-02-02
        let six_years = vec![platform(
            "Twitter",
            RGBColor(0, 0x72, 0xB2),
            start,
            7 * DAY,
            6 * 52,
            5.0,
        )];
        let fig = timeline_png("Years", "7 d bins", 7 * DAY, &six_years, &style).unwrap();
        check(&fig.png, 1600, 900);
        assert!(fig.x_tick_labels.len() >= 4, "{:?}", fig.x_tick_labels);
        for year in ["2013", "2015", "2017"] {
            assert!(
                fig.x_tick_labels.iter().any(|l| l.contains(year)),
                "{year} missing: {:?}",
                fig.x_tick_labels
            );
        }
        assert!(
            fig.x_tick_labels
                .iter()
                .all(|l| l.len() >= 4 && l.chars().filter(char::is_ascii_digit).count() >= 4)
        );
        // A year and a half: months with their year.
        let months = vec![platform(
            "Twitter",
            RGBColor(0, 0x72, 0xB2),
            start,
            DAY,
            540,
            5.0,
        )];
        let fig = timeline_png("Months", "1 d bins", DAY, &months, &style).unwrap();
        assert!(
            fig.x_tick_labels.iter().any(|l| l.contains("2012"))
                && fig.x_tick_labels.iter().any(|l| l.contains("2013")),
            "{:?}",
            fig.x_tick_labels
        );
        // A weekend: no year in the ticks (it is in the axis title).
        let weekend = campaign(10 * MIN, 288);
        let fig = timeline_png("Weekend", "10 min bins", 10 * MIN, &weekend, &style).unwrap();
        assert!(
            fig.x_tick_labels.iter().all(|l| !l.contains("2017")),
            "{:?}",
            fig.x_tick_labels
        );
        // A few hours: clock times.
        let hours = campaign(MIN, 180);
        let fig = timeline_png("Hours", "1 min bins", MIN, &hours, &style).unwrap();
        assert!(
            fig.x_tick_labels
                .iter()
                .all(|l| l.len() == 5 && l.contains(':')),
            "{:?}",
            fig.x_tick_labels
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let style = FigureStyle::default();
        let empty = PlatformSeries {
            name: "x".into(),
            color: RGBColor(0, 0, 0),
            posts: Vec::new(),
            first_post_ms: None,
        };
        let nan = PlatformSeries {
            posts: vec![(T0, f64::NAN), (T0 + MIN, 1.0)],
            first_post_ms: Some(T0),
            ..empty.clone()
        };
        let one = PlatformSeries {
            posts: vec![(T0, 3.0)],
            first_post_ms: Some(T0),
            ..empty.clone()
        };
        for list in [
            vec![],
            vec![empty.clone()],
            vec![nan.clone()],
            vec![one.clone(), empty.clone()],
        ] {
            check(
                &timeline_png("Degenerate", "", MIN, &list, &style)
                    .unwrap()
                    .png,
                1600,
                900,
            );
            check(
                &spread_png("Degenerate", Some(""), MIN, &list, None, &style)
                    .unwrap()
                    .png,
                1600,
                900,
            );
            let z = Zoom {
                start_ms: T0,
                end_ms: T0,
                step_ms: MIN,
                cumulative: vec![vec![]; list.len()],
            };
            check(
                &spread_png("Degenerate", None, 0, &list, Some(&z), &style)
                    .unwrap()
                    .png,
                1600,
                900,
            );
        }
    }
}
