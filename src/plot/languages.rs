//! `languages.png`: the share of posts per language over time, as stacked bands that fill
//! 0–100 % in each bin (empty bins left blank), with the majority-language switch marked.

use anyhow::Result;
use plotters::prelude::*;

use super::{
    FigureSpec, FigureStyle, Frame, LegendEntry, PALETTE, Swatch, TEXT, TimeAxis, ValueAxis,
    fmt_time, frac, no_data, render, time_desc, time_range,
};

/// Grey for the "other languages" band and a lighter one for undetermined posts.
const OTHER: RGBColor = RGBColor(0x99, 0x99, 0x99);
const UNDETERMINED: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);

/// One band: a language (or "other", "undetermined") and its share per bin.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageBand {
    /// Legend text, e.g. "English (en)".
    pub label: String,
    /// `Some(code)` for a named language; `None` for the grouped bands.
    pub kind: BandKind,
    /// Share of the bin's posts, per bin (`None` for an empty bin).
    pub share: Vec<Option<f64>>,
}

/// How a band is coloured: named languages take the palette in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BandKind {
    /// A named language: the next palette colour.
    Language,
    /// The other languages grouped together: grey.
    Other,
    /// Posts of undetermined language: light grey.
    Undetermined,
}

/// A dated marker, e.g. the majority switch.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where the marker stands on the time axis, in Unix ms UTC.
    pub time_ms: i64,
    /// Text drawn with it, followed by its time.
    pub label: String,
}

/// Stacked language shares per bin. `bin_starts` are the bins' starts (Unix ms UTC),
/// `bin_ms` their width, `bin_label` names it ("10 min").
pub fn languages_png(
    title: &str,
    bin_label: &str,
    bin_starts: &[i64],
    bin_ms: i64,
    bands: &[LanguageBand],
    markers: &[Marker],
    style: &FigureStyle,
) -> Result<Vec<u8>> {
    let colors: Vec<RGBColor> = {
        let mut next = 0;
        bands
            .iter()
            .map(|b| match b.kind {
                BandKind::Language => {
                    let c = PALETTE[next % PALETTE.len()];
                    next += 1;
                    c
                }
                BandKind::Other => OTHER,
                BandKind::Undetermined => UNDETERMINED,
            })
            .collect()
    };
    let legend = bands
        .iter()
        .zip(&colors)
        .map(|(b, c)| LegendEntry {
            label: b.label.clone(),
            swatch: Swatch::Solid(*c),
        })
        .collect();
    let t_lo = bin_starts.first().copied();
    let t_hi = bin_starts.last().map(|t| t + bin_ms);
    let spec = FigureSpec {
        title,
        heading: None,
        subtitle: vec![format!(
            "share of posts per {bin_label}, all platforms; language as tagged in the export, else identified from the text"
        )],
        legend,
        y_desc: "% of posts",
        y2_desc: None,
    };
    render(style, |root, ctx| {
        let mut frame = Frame::new(root, ctx, &spec)?;
        let y = ValueAxis::fixed(0.0, 100.0, 20.0);
        frame.fit_y(root, ctx, &y, None)?;
        let xr = time_range(t_lo, t_hi, 0.0);
        if let Some(xr) = &xr {
            let items = markers
                .iter()
                .map(|m| {
                    (
                        frac(m.time_ms, xr),
                        format!(
                            "{} ({})",
                            m.label,
                            fmt_time(style.tz, m.time_ms, "%d %b %H:%M")
                        ),
                        None,
                    )
                })
                .collect();
            frame.place_markers(root, ctx, items)?;
        }
        let x = TimeAxis::new(root, ctx, xr, frame.plot_width())?;
        let x_desc = time_desc(style.tz, t_lo, t_hi.map(|t| t - 1));
        let mut chart = frame.chart(root, ctx, x, y, &spec, Some(&x_desc))?;
        // Bands stacked bottom-up in legend order, opaque, so touching edges cannot mix
        // into new colours.
        for (b, &start) in bin_starts.iter().enumerate() {
            let mut lower = 0.0;
            for (band, color) in bands.iter().zip(&colors) {
                let Some(share) = band.share.get(b).copied().flatten() else {
                    continue;
                };
                let upper = lower + share * 100.0;
                if upper > lower {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(start, lower), (start + bin_ms, upper)],
                        color.filled(),
                    )))?;
                }
                lower = upper;
            }
        }
        let plot = chart.plotting_area().get_pixel_range();
        frame.draw_markers(root, ctx, plot.clone(), TEXT)?;
        if bin_starts.is_empty() {
            no_data(root, ctx, plot)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    #[test]
    fn language_bands_render_deterministically() {
        let t0 = 1_494_009_300_000;
        let bins: Vec<i64> = (0..288).map(|i| t0 + i * 600_000).collect();
        let en: Vec<Option<f64>> = (0..288)
            .map(|i| {
                if i == 7 {
                    None
                } else {
                    Some(if i < 100 { 0.8 } else { 0.2 })
                }
            })
            .collect();
        let fr: Vec<Option<f64>> = en.iter().map(|s| s.map(|x| 0.9 - x)).collect();
        let und: Vec<Option<f64>> = en.iter().map(|s| s.map(|_| 0.1)).collect();
        let bands = vec![
            LanguageBand {
                label: "English (en)".into(),
                kind: BandKind::Language,
                share: en,
            },
            LanguageBand {
                label: "French (fr)".into(),
                kind: BandKind::Language,
                share: fr,
            },
            LanguageBand {
                label: "undetermined".into(),
                kind: BandKind::Undetermined,
                share: und,
            },
        ];
        let markers = [Marker {
            time_ms: t0 + 100 * 600_000,
            label: "majority en → fr".into(),
        }];
        let style = FigureStyle::default();
        let a = languages_png(
            "Languages",
            "10 min",
            &bins,
            600_000,
            &bands,
            &markers,
            &style,
        )
        .unwrap();
        let b = languages_png(
            "Languages",
            "10 min",
            &bins,
            600_000,
            &bands,
            &markers,
            &style,
        )
        .unwrap();
        check(&a, 1600, 900);
        assert_eq!(a, b);
        check(
            &languages_png("Languages, empty", "10 min", &[], 600_000, &[], &[], &style).unwrap(),
            1600,
            900,
        );
    }
}
