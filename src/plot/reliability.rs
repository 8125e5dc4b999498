//! `reliability.png`: a reliability diagram of calibrated probabilities — per bin of
//! predicted probability, the mean prediction against the observed share of bots, with the
//! number of accounts in each bin written beside its point. Points on the diagonal are
//! well calibrated; a bin of a handful of accounts says little, hence the counts.

use anyhow::Result;
use plotters::prelude::*;

use super::{
    AXIS, BLUE, FigureSpec, FigureStyle, Frame, HPos, LegendEntry, Swatch, TEXT_MUTED, VPos,
    ValueAxis, group_int, no_data, plot_err, put_text, render,
};
use crate::calibrate::ReliabilityBin;

/// Draws the diagram of `bins` (empty bins are skipped). `line` is the subtitle.
pub fn reliability_png(
    title: &str,
    bins: &[ReliabilityBin],
    line: &str,
    style: &FigureStyle,
) -> Result<Vec<u8>> {
    let points: Vec<(f64, f64, usize)> = bins
        .iter()
        .filter_map(|b| Some((b.mean_predicted?, b.observed_bot_rate?, b.accounts)))
        .collect();
    let spec = FigureSpec {
        title,
        heading: None,
        subtitle: vec![
            line.to_string(),
            "each point: one bin of predicted probability, labelled with its number of accounts"
                .to_string(),
        ],
        legend: vec![
            LegendEntry {
                label: "observed share of bots".into(),
                swatch: Swatch::Line(BLUE),
            },
            LegendEntry {
                label: "perfect calibration".into(),
                swatch: Swatch::Line(AXIS),
            },
        ],
        y_desc: "observed share of bots",
        y2_desc: None,
    };
    render(style, |root, ctx| {
        let mut frame = Frame::new(root, ctx, &spec)?;
        let y = ValueAxis::fixed(0.0, 1.0, 0.1);
        frame.fit_y(root, ctx, &y, None)?;
        let mut chart = frame.chart(
            root,
            ctx,
            ValueAxis::fixed(0.0, 1.0, 0.1),
            y,
            &spec,
            Some("predicted probability of being a bot (mean of the bin)"),
        )?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                AXIS.stroke_width(ctx.px(1.5) as u32),
            )))
            .map_err(plot_err)?;
        let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                line.clone(),
                BLUE.stroke_width(ctx.line_w()),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(
                line.iter()
                    .map(|&p| Circle::new(p, ctx.px(6.0), BLUE.filled())),
            )
            .map_err(plot_err)?;
        let font = ctx.tick_font().color(&TEXT_MUTED);
        for &(x, y, n) in &points {
            let (px, py) = chart.backend_coord(&(x, y));
            // Below and right of the point (the curve rises to the right), left of it
            // near the right edge; below it unless at the bottom.
            let (dx, h) = if x > 0.85 {
                (-ctx.px(12.0), HPos::Right)
            } else {
                (ctx.px(12.0), HPos::Left)
            };
            let (dy, v) = if y < 0.08 {
                (-ctx.px(8.0), VPos::Bottom)
            } else {
                (ctx.px(8.0), VPos::Top)
            };
            put_text(
                root,
                &format!("n={}", group_int(n as u64)),
                &font,
                (px + dx, py + dy),
                (h, v),
                false,
            )?;
        }
        if points.is_empty() {
            no_data(root, ctx, chart.plotting_area().get_pixel_range())?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins() -> Vec<ReliabilityBin> {
        (0..10)
            .map(|b| ReliabilityBin {
                lower: b as f64 / 10.0,
                upper: (b + 1) as f64 / 10.0,
                accounts: if b == 4 { 0 } else { 100 - 9 * b },
                bots: b * 8,
                mean_predicted: (b != 4).then(|| b as f64 / 10.0 + 0.05),
                observed_bot_rate: (b != 4).then(|| b as f64 * 8.0 / (100.0 - 9.0 * b as f64)),
            })
            .collect()
    }

    #[test]
    fn renders_deterministically_and_without_data() {
        let style = FigureStyle::default();
        let a = reliability_png(
            "Reliability of the calibrated probability",
            &bins(),
            "line",
            &style,
        )
        .unwrap();
        let b = reliability_png(
            "Reliability of the calibrated probability",
            &bins(),
            "line",
            &style,
        )
        .unwrap();
        assert_eq!(a, b);
        super::super::tests::check(&a, 1600, 900);
        let empty = reliability_png(
            "Reliability of the calibrated probability",
            &[],
            "line",
            &style,
        )
        .unwrap();
        super::super::tests::check(&empty, 1600, 900);
        assert_ne!(a, empty);
    }
}
