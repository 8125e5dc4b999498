//! Text: the embedded DejaVu Sans faces, and text drawn glyph by glyph with the side
//! bearings plotters drops.

use super::*;

// ---------------------------------------------------------------------------
// Text
//
// plotters 0.3.7's ab_glyph renderer places every glyph's ink at the pen
// position, dropping the glyph's left side bearing; "1", "T", "U" then sit
// visibly apart from their neighbours ("T witter", "1 8:49"). We draw text one
// glyph at a time and add the bearing ab_glyph reads from the same face.

/// One embedded face, for the side bearings plotters drops.
pub(super) struct FaceMetrics {
    pub(super) font: ab_glyph::FontRef<'static>,
}

impl FaceMetrics {
    pub(super) fn parse(font: &'static [u8]) -> Option<Self> {
        ab_glyph::FontRef::try_from_slice(font)
            .ok()
            .map(|font| Self { font })
    }

    pub(super) fn glyph_id(&self, c: char) -> Option<ab_glyph::GlyphId> {
        let id = ab_glyph::Font::glyph_id(&self.font, c);
        (id.0 != 0).then_some(id)
    }

    /// Where each character's pen stands, in whole pixels at ab_glyph pixel size `size`,
    /// as plotters measures text (a running f32 sum of advances and kerning, truncated):
    /// the width of the text up to and including the character, less the character's own
    /// width. One pass over the text, with the very numbers plotters' `estimate_layout`
    /// would give for every prefix (measuring every prefix was quadratic).
    pub(super) fn pens_px(&self, text: &str, size: f64) -> Vec<i32> {
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
    pub(super) fn lsb_px(&self, c: char, size: f64) -> f64 {
        use ab_glyph::Font;
        let Some(id) = self.glyph_id(c) else {
            return 0.0;
        };
        f64::from(self.font.h_side_bearing_unscaled(id)) * size
            / f64::from(self.font.height_unscaled())
    }
}

pub(super) fn face_metrics(bold: bool) -> Option<&'static FaceMetrics> {
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
pub(super) fn put_text(
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
    pub(super) const OVER: f64 = 16.0;
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

pub(super) fn font(size: f64, style: FontStyle) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(FontFamily::SansSerif, size, style))
}

/// Registers DejaVu Sans under "sans-serif" once per process: plotters'
/// ab_glyph backend has no fonts of its own and fails with FontUnavailable.
pub(super) fn ensure_fonts() -> Result<()> {
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

pub(super) fn text_w(root: &Area<'_>, text: &str, style: &TextStyle<'_>) -> Result<i32> {
    Ok(root.estimate_text_size(text, style).map_err(plot_err)?.0 as i32)
}
