//! Figure layout: header, legend, annotation band and plot frame, placed so that
//! legends and labels never hide data.

use super::*;

// ---------------------------------------------------------------------------
// Header, legend, annotations, layout

#[derive(Clone, Copy)]
pub(super) enum Swatch {
    Line(RGBColor),
    /// A light tint of the colour (a translucent area drawn over others).
    Fill(RGBColor),
    /// The colour as drawn (opaque bands).
    Solid(RGBColor),
}

pub(super) struct LegendEntry {
    pub(super) label: String,
    pub(super) swatch: Swatch,
}

pub(super) struct FigureSpec<'a> {
    /// Empty for a panel of a multi-panel figure (the figure's header carries the title).
    pub(super) title: &'a str,
    /// A panel's heading, bold in the colour of its series.
    pub(super) heading: Option<(String, RGBColor)>,
    pub(super) subtitle: Vec<String>,
    pub(super) legend: Vec<LegendEntry>,
    pub(super) y_desc: &'a str,
    pub(super) y2_desc: Option<&'a str>,
}

/// Pixel layout worked out before the chart exists, so that the annotation
/// band can be sized from where the markers will fall.
pub(super) struct Frame {
    /// y where the chart (plot plus axis label areas) starts.
    pub(super) chart_top: i32,
    pub(super) y_area: i32,
    pub(super) y2_area: i32,
    pub(super) x_area: i32,
    pub(super) margin_right: i32,
    pub(super) margin_bottom: i32,
    pub(super) plot_left: i32,
    pub(super) plot_right: i32,
    pub(super) annos: Vec<AnnoPlace>,
    pub(super) anno_row_h: i32,
}

pub(super) struct AnnoPlace {
    pub(super) frac: f64,
    pub(super) row: usize,
    pub(super) text: String,
    pub(super) right_of_line: bool,
    /// Line and label colour; `None` takes the colour given to `draw_markers`.
    pub(super) color: Option<RGBColor>,
}

impl Frame {
    /// Draws title, subtitle and legend and reserves provisional room for the
    /// axes (refined by `fit_y`; `place_markers` adds the marker label band).
    pub(super) fn new(root: &Area<'_>, ctx: &Ctx, spec: &FigureSpec<'_>) -> Result<Frame> {
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
    pub(super) fn fit_y<L: AxisLabels<f64>>(
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

    pub(super) fn plot_width(&self) -> i32 {
        (self.plot_right - self.plot_left).max(1)
    }

    /// About one y tick per 80 px of plot height at the reference size.
    pub(super) fn y_tick_target(&self, ctx: &Ctx) -> usize {
        let h = ctx.height as i32 - self.chart_top - self.x_area - self.margin_bottom;
        (h / ctx.px(80.0)).clamp(3, 10) as usize
    }

    /// Greedy row assignment: each label goes right of its line (left if it
    /// would leave the figure) in the first row where it overlaps nothing.
    /// `items` are (position across the plot as a fraction, label text, colour).
    pub(super) fn place_markers(
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
    pub(super) fn chart<'a, 'b, X, Y>(
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
    pub(super) fn draw_markers(
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

/// Position of `t` in `xr` as a fraction, clamped so stray values stay near the plot.
pub(super) fn frac(t: i64, xr: &Range<i64>) -> f64 {
    let span = (xr.end - xr.start).max(1) as f64;
    ((t - xr.start) as f64 / span).clamp(-0.05, 1.05)
}

/// A plot's pixel range (backend coordinates, as plotters reports it) in the coordinates
/// of `root`, which is a panel of the figure or the whole of it.
pub(super) fn local(root: &Area<'_>, plot: (Range<i32>, Range<i32>)) -> (Range<i32>, Range<i32>) {
    let (ox, oy) = root.get_base_pixel();
    let (px, py) = plot;
    (
        (px.start - ox)..(px.end - ox),
        (py.start - oy)..(py.end - oy),
    )
}

pub(super) fn no_data(root: &Area<'_>, ctx: &Ctx, plot: (Range<i32>, Range<i32>)) -> Result<()> {
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
pub(super) fn axis_text<X, Y>(
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
