//! A4 pages drawn with krilla: text in an embedded CJK font (subset, so a voucher stays small),
//! lines, boxes and QR codes. Shared by every document shopflow renders.
//!
//! **Why krilla:** it embeds and subsets OpenType/CFF fonts (Noto Sans CJK is CFF inside a
//! collection), writes the text's Unicode so the PDF stays searchable and copyable, and needs
//! no system libraries; printpdf and genpdf embed whole fonts (megabytes per PDF for CJK).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// A4 in PDF points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Where the CJK fonts come from: Debian's fonts-noto-cjk unless `SHOPFLOW_CJK_FONT` (and
/// optionally `SHOPFLOW_CJK_FONT_BOLD`) name other files (`.ttf`, `.otf` or `.ttc`).
#[derive(Debug, Clone)]
pub struct FontFiles {
    /// The regular face and its index in a collection.
    pub regular: (PathBuf, u32),
    /// The bold face (the regular one when absent).
    pub bold: Option<(PathBuf, u32)>,
}

/// Noto Sans CJK's Simplified Chinese face is the third in Debian's collection.
const NOTO_SC_INDEX: u32 = 2;
const NOTO_REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const NOTO_BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";

impl FontFiles {
    /// `SHOPFLOW_CJK_FONT[_BOLD]` when set, else Noto Sans CJK SC.
    pub fn from_env() -> Self {
        let pick = |var: &str, default: &str| -> (PathBuf, u32) {
            match std::env::var_os(var) {
                Some(p) => (PathBuf::from(p), 0),
                None => (PathBuf::from(default), NOTO_SC_INDEX),
            }
        };
        let regular = pick("SHOPFLOW_CJK_FONT", NOTO_REGULAR);
        let bold = if std::env::var_os("SHOPFLOW_CJK_FONT").is_some()
            && std::env::var_os("SHOPFLOW_CJK_FONT_BOLD").is_none()
        {
            None
        } else {
            Some(pick("SHOPFLOW_CJK_FONT_BOLD", NOTO_BOLD))
        };
        Self { regular, bold }
    }
}

/// The loaded faces (read once; a Noto CJK collection is about 20 MB).
#[derive(Clone)]
pub struct Fonts {
    regular: Font,
    bold: Font,
}

/// Why the fonts could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    /// The file could not be read.
    #[error(
        "cannot read the CJK font {path}: {source}; install Debian's fonts-noto-cjk (`make setup`) or set SHOPFLOW_CJK_FONT to a .ttf/.otf/.ttc file"
    )]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a font krilla can embed.
    #[error(
        "{path} (face {index}) is not an OpenType/TrueType font that can be embedded; set SHOPFLOW_CJK_FONT to another file"
    )]
    Unusable {
        /// The file.
        path: String,
        /// The face index.
        index: u32,
    },
}

impl Fonts {
    /// Reads the faces of `files`.
    pub fn load(files: &FontFiles) -> Result<Self, FontError> {
        let regular = load_face(&files.regular.0, files.regular.1)?;
        let bold = match &files.bold {
            Some((path, index)) if path.exists() => load_face(path, *index)?,
            _ => regular.clone(),
        };
        Ok(Self { regular, bold })
    }
}

fn load_face(path: &Path, index: u32) -> Result<Font, FontError> {
    let bytes = std::fs::read(path).map_err(|source| FontError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Font::new(Arc::new(bytes).into(), index).ok_or_else(|| FontError::Unusable {
        path: path.display().to_string(),
        index,
    })
}

/// Text weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Body text.
    Regular,
    /// Headings and labels.
    Bold,
}

/// One drawing operation, collected first so a page is laid out before krilla draws it.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    Box {
        rect: (f32, f32, f32, f32),
        gray: u8,
    },
}

/// An A4 page being laid out, top-left origin, units in points.
pub struct Sheet {
    ops: Vec<Op>,
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

impl Sheet {
    /// An empty page.
    pub fn new() -> Self {
        Self { ops: Vec::new() }
    }

    /// Text with its baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, text: &str) {
        if !text.is_empty() {
            self.ops.push(Op::Text {
                x,
                y,
                size,
                weight,
                text: text.to_owned(),
            });
        }
    }

    /// Text cut into lines no wider than `width`; returns the baseline after the last line.
    pub fn paragraph(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        size: f32,
        weight: Weight,
        text: &str,
    ) -> f32 {
        let mut y = y;
        for line in wrap(text, width, size) {
            self.text(x, y, size, weight, &line);
            y += size * 1.45;
        }
        y
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        self.ops.push(Op::Line { from, to, width });
    }

    /// A filled rectangle (`gray` 0 = black, 255 = white).
    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: u8) {
        self.ops.push(Op::Box {
            rect: (x, y, w, h),
            gray,
        });
    }

    /// A QR code of `data` (error correction M) in a `size`-point square with its top-left at
    /// (`x`, `y`), quiet zone included.
    pub fn qr(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        data: &[u8],
    ) -> Result<(), qrcode::types::QrError> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)?;
        let width = code.width();
        // Four modules of quiet zone on each side, as the standard asks.
        let module = size / (width + 8) as f32;
        let colors = code.to_colors();
        for (i, color) in colors.iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (cx, cy) = (i % width, i / width);
                // A hair of overlap so anti-aliasing draws no seams between modules.
                self.fill(
                    x + (cx + 4) as f32 * module,
                    y + (cy + 4) as f32 * module,
                    module + 0.05,
                    module + 0.05,
                    0,
                );
            }
        }
        Ok(())
    }

    /// Draws the pages into one PDF.
    pub fn render(pages: &[Sheet], fonts: &Fonts, title: &str) -> Result<Vec<u8>, String> {
        let mut document = Document::new();
        document.set_metadata(
            krilla::metadata::Metadata::new()
                .title(title.to_owned())
                .creator("shopflow".to_owned()),
        );
        for sheet in pages {
            let settings = PageSettings::from_wh(A4.0, A4.1).ok_or("bad page size")?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            for op in &sheet.ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        weight,
                        text,
                    } => {
                        surface.set_fill(Some(Fill::default()));
                        let font = match weight {
                            Weight::Regular => fonts.regular.clone(),
                            Weight::Bold => fonts.bold.clone(),
                        };
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            font,
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Line { from, to, width } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(from.0, from.1);
                        pb.line_to(to.0, to.1);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: *width,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                        }
                    }
                    Op::Box { rect, gray } => {
                        let mut pb = PathBuilder::new();
                        if let Some(r) = Rect::from_xywh(rect.0, rect.1, rect.2, rect.3) {
                            pb.push_rect(r);
                        }
                        if let Some(path) = pb.finish() {
                            surface.set_stroke(None);
                            surface.set_fill(Some(Fill {
                                paint: luma::Color::new(*gray).into(),
                                opacity: NormalizedF32::ONE,
                                rule: Default::default(),
                            }));
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| format!("{e:?}"))
    }
}

/// Estimated advance of `c` in ems: CJK and full-width forms one em, Latin about half.
fn advance(c: char) -> f32 {
    if c.is_ascii() {
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            0.62
        } else {
            0.52
        }
    } else if (c as u32) < 0x2E80 {
        0.6
    } else {
        1.0
    }
}

/// The estimated width of `text` at `size` points.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(advance).sum::<f32>() * size
}

/// Cuts `text` into lines that fit `width` at `size`: at spaces for Latin words, anywhere
/// between CJK characters; a word longer than a line is cut.
pub fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        let mut last_break: Option<usize> = None;
        for c in paragraph.chars() {
            let w = advance(c) * size;
            if line_w + w > width && !line.is_empty() {
                match last_break.filter(|&b| b > 0 && !c.is_whitespace()) {
                    Some(b) => {
                        let rest = line.split_off(b);
                        lines.push(line.trim_end().to_owned());
                        line = rest.trim_start().to_owned();
                    }
                    None => lines.push(std::mem::take(&mut line).trim_end().to_owned()),
                }
                line_w = text_width(&line, size);
                last_break = None;
                if c.is_whitespace() {
                    continue;
                }
            }
            if c.is_whitespace() || !c.is_ascii() {
                // A break is allowed after a space and on either side of a CJK character.
                last_break = Some(line.len() + if c.is_whitespace() { c.len_utf8() } else { 0 });
            }
            line.push(c);
            line_w += w;
            if !c.is_ascii() && !c.is_whitespace() {
                last_break = Some(line.len());
            }
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_latin_at_spaces_and_cjk_anywhere() {
        let lines = wrap("Print this voucher and put it in the parcel", 100.0, 10.0);
        assert!(lines.len() > 1);
        assert!(
            lines.iter().all(|l| text_width(l, 10.0) <= 100.0),
            "{lines:?}"
        );
        assert_eq!(
            lines.join(" "),
            "Print this voucher and put it in the parcel"
        );
        let cjk = wrap(
            "请将本凭证打印后随商品一同寄回并在平台填写运单号",
            60.0,
            10.0,
        );
        assert!(cjk.iter().all(|l| l.chars().count() <= 6), "{cjk:?}");
        assert_eq!(
            cjk.concat(),
            "请将本凭证打印后随商品一同寄回并在平台填写运单号"
        );
    }
}
