//! A page to draw synthetic documents on: text in a Latin font with a CJK fallback, rules and
//! filled boxes, in millimetres and points (documents) or pixels (screenshots).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ab_glyph::{Font, FontArc, FontVec, PxScale, ScaleFont, point};
use image::{GrayImage, Luma};

use super::SampleError;

/// Horizontal alignment of a text run relative to its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// The anchor is the left edge.
    Left,
    /// The anchor is the centre.
    Center,
    /// The anchor is the right edge.
    Right,
}

/// The fonts a page is set in: `latin` for everything it has glyphs for, `cjk` for the rest.
#[derive(Clone)]
pub(crate) struct FontPair {
    pub(crate) latin: FontArc,
    pub(crate) cjk: FontArc,
}

/// A grey page with a unit system.
pub(crate) struct Canvas {
    pub(crate) image: GrayImage,
    /// Pixels per layout unit (mm for documents, 1 for screenshots).
    unit: f32,
    /// Pixels per text size unit (pt for documents, 1 for screenshots).
    text_unit: f32,
    fonts: FontPair,
}

impl Canvas {
    /// A page of `width`×`height` units filled with `background`.
    pub(crate) fn new(
        width: f32,
        height: f32,
        unit: f32,
        text_unit: f32,
        fonts: FontPair,
        background: u8,
    ) -> Self {
        let w = (width * unit).round().max(1.0) as u32;
        let h = (height * unit).round().max(1.0) as u32;
        Self {
            image: GrayImage::from_pixel(w, h, Luma([background])),
            unit,
            text_unit,
            fonts,
        }
    }

    fn font_for(&self, c: char) -> &FontArc {
        if self.fonts.latin.glyph_id(c).0 != 0 {
            &self.fonts.latin
        } else {
            &self.fonts.cjk
        }
    }

    /// The width of `text` at `size`, in layout units.
    pub(crate) fn text_width(&self, size: f32, text: &str) -> f32 {
        let scale = PxScale::from(size * self.text_unit);
        let px: f32 = text
            .chars()
            .map(|c| {
                let font = self.font_for(c).as_scaled(scale);
                font.h_advance(font.glyph_id(c))
            })
            .sum();
        px / self.unit
    }

    /// Draws `text` with its baseline at `y` and its `align` point at `x` (layout units).
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, text: &str, ink: u8, align: Align) {
        let width = self.text_width(size, text);
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        let scale = PxScale::from(size * self.text_unit);
        let mut pen_x = left * self.unit;
        let baseline = y * self.unit;
        for c in text.chars() {
            let font = self.font_for(c).clone();
            let scaled = font.as_scaled(scale);
            let id = scaled.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(pen_x, baseline));
            pen_x += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (w, h) = self.image.dimensions();
            let image = &mut self.image;
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= i64::from(w) || py >= i64::from(h) {
                    return;
                }
                let pixel = image.get_pixel_mut(px as u32, py as u32);
                let bg = f32::from(pixel.0[0]);
                let value = bg + (f32::from(ink) - bg) * coverage.clamp(0.0, 1.0);
                pixel.0[0] = pixel.0[0].min(value.round() as u8);
            });
        }
    }

    /// Fills the rectangle `x, y, w, h` (layout units) with `shade`.
    pub(crate) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, shade: u8) {
        let (iw, ih) = self.image.dimensions();
        let x0 = ((x * self.unit).round().max(0.0) as u32).min(iw);
        let y0 = ((y * self.unit).round().max(0.0) as u32).min(ih);
        let x1 = (((x + w) * self.unit).round().max(0.0) as u32).min(iw);
        let y1 = (((y + h) * self.unit).round().max(0.0) as u32).min(ih);
        for py in y0..y1 {
            for px in x0..x1 {
                self.image.put_pixel(px, py, Luma([shade]));
            }
        }
    }

    /// A horizontal rule from `x0` to `x1` at `y`, `thickness` units thick (at least 1 px).
    pub(crate) fn hline(&mut self, x0: f32, x1: f32, y: f32, thickness: f32, shade: u8) {
        let t = thickness.max(1.0 / self.unit);
        self.fill(x0, y - t / 2.0, x1 - x0, t, shade);
    }

    /// A vertical rule from `y0` to `y1` at `x`.
    pub(crate) fn vline(&mut self, x: f32, y0: f32, y1: f32, thickness: f32, shade: u8) {
        let t = thickness.max(1.0 / self.unit);
        self.fill(x - t / 2.0, y0, t, y1 - y0, shade);
    }
}

/// Loads a font file (a face of a collection) once per process.
pub(crate) fn load_font(path: &Path, index: u32) -> Result<FontArc, SampleError> {
    static CACHE: OnceLock<Mutex<HashMap<(PathBuf, u32), FontArc>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (path.to_path_buf(), index);
    if let Some(font) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(font.clone());
    }
    let bytes = std::fs::read(path).map_err(|e| SampleError::Font {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let font = FontVec::try_from_vec_and_index(bytes, index).map_err(|e| SampleError::Font {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let font = FontArc::new(font);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, font.clone());
    Ok(font)
}
