//! The library entry: a file, bytes or an image in, an [`OcrResult`] out. Used by `ocr.text`,
//! `ocr.invoice` (on a blocking thread) and `shopflow ocr`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use image::GrayImage;

use crate::engine::{Engines, Segmentation, Word};
use crate::error::Error;
use crate::extract::money::{Decimal, detect_decimal};
use crate::extract::{Doc, LOW_CONFIDENCE, detect_layout, extract};
use crate::input::{Limits, MediaType, Page, detect, load_pages, read_file};
use crate::layout::{Row, group_rows, is_cjk, round3, rows};
use crate::preprocess::{PrepareOptions, prepare};
use crate::result::{Kind, Layout, OcrResult, PageInfo, Reason};

/// Default languages: simplified Chinese and English.
pub const DEFAULT_LANGUAGES: &str = "chi_sim+eng";

/// How to read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tesseract languages joined by `+` (default `chi_sim+eng`).
    pub languages: String,
    /// Read only the first N pages of a PDF (default: all, up to `limits.max_pages`).
    pub pages: Option<u32>,
    /// Size limits.
    pub limits: Limits,
    /// Tesseract's page segmentation (default one column of variable-size text: rows are
    /// regrouped by position afterwards; automatic layout analysis drops lone digits in table
    /// columns, one uniform block garbles small text beside a large title).
    pub segmentation: Segmentation,
    /// Preprocessing.
    pub prepare: PrepareOptions,
    /// Where PDFs are rasterised: a `shopflow-ocr-*` directory is made inside it for each
    /// document and removed before the call returns, whatever the outcome. Default: the
    /// system's temporary directory (`TMPDIR`, else `/tmp`).
    pub scratch_dir: Option<PathBuf>,
    /// Script routing (default on): read with the Chinese models of `languages` first; a
    /// page without Chinese is read again with the others, a Chinese page has only the figures
    /// of its rows re-read with them. Off: one run with all of `languages`.
    pub route_scripts: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            languages: DEFAULT_LANGUAGES.to_owned(),
            pages: None,
            limits: Limits::default(),
            segmentation: Segmentation::Block,
            prepare: PrepareOptions::default(),
            scratch_dir: None,
            route_scripts: true,
        }
    }
}

/// Reads a PNG, JPEG, TIFF or PDF file.
pub fn recognize_file(path: &Path, kind: Kind, options: &Options) -> Result<OcrResult, Error> {
    let bytes = read_file(path, &options.limits)?;
    recognize_bytes(&bytes, None, kind, options)
}

/// Reads a document given as bytes; `media_type` is what the caller claims (the bytes decide).
pub fn recognize_bytes(
    bytes: &[u8],
    media_type: Option<&str>,
    kind: Kind,
    options: &Options,
) -> Result<OcrResult, Error> {
    guarded(|| {
        let media = detect(bytes, media_type)?;
        if let Some(claimed) = media_type
            && MediaType::from_media_type(claimed).is_none()
            && !claimed.starts_with("application/octet-stream")
        {
            tracing::debug!(claimed, actual = media.as_str(), "media type claim ignored");
        }
        Engines::global().check_languages(&options.languages)?;
        let pages = load_pages(
            bytes,
            media,
            options.pages,
            &options.limits,
            options.scratch_dir.as_deref(),
        )?;
        recognize_pages(pages, kind, options)
    })
}

/// Reads one page image (the benchmark's entry: no decoding, no limits but the pixel count).
pub fn recognize_image(
    image: &GrayImage,
    kind: Kind,
    options: &Options,
) -> Result<OcrResult, Error> {
    guarded(|| {
        let (w, h) = image.dimensions();
        if u64::from(w) * u64::from(h) > options.limits.max_pixels {
            return Err(Error::TooManyPixels {
                page: 1,
                width: w.into(),
                height: h.into(),
                limit: options.limits.max_pixels,
            });
        }
        Engines::global().check_languages(&options.languages)?;
        recognize_pages(
            vec![Page {
                number: 1,
                image: image.clone(),
                dpi: None,
            }],
            kind,
            options,
        )
    })
}

/// Runs `f`, turning a panic into [`Error::Panicked`] so one bad document cannot take a worker
/// thread (or the CLI) down.
fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(Error::Panicked(message))
    })
}

fn recognize_pages(pages: Vec<Page>, kind: Kind, options: &Options) -> Result<OcrResult, Error> {
    let engines = Engines::global();
    let mut all_rows: Vec<Row> = Vec::new();
    let mut infos = Vec::new();
    let mut page_widths = Vec::new();
    let mut page_texts = Vec::new();
    for page in &pages {
        let prepared = prepare(&page.image, &options.prepare);
        let dpi = page.dpi.unwrap_or(300) as f32 * prepared.transform.scale;
        let dpi = dpi.round() as u32;
        // Script routing: a Chinese model reads the digits and Latin letters of a Chinese page
        // well, while a mixed `chi_sim+eng` run is slower and lets `eng` misread short Chinese
        // labels (合计 → "Bi"). So the Chinese models read first; only a page without Chinese
        // is read again with the other languages.
        let (cjk, latin) = if options.route_scripts {
            split_languages(&options.languages)
        } else {
            (None, Some(options.languages.clone()))
        };
        let mut words = match &cjk {
            Some(l) => engines.recognize(&prepared.image, l, options.segmentation, dpi)?,
            None => Vec::new(),
        };
        if let Some(l) = &latin {
            if cjk.is_none() || cjk_share(&words) < 0.05 {
                words = engines.recognize(&prepared.image, l, options.segmentation, dpi)?;
            } else {
                words = reread_figures(engines, &prepared.image, words, l, dpi)?;
            }
        }
        let confidence = if words.is_empty() {
            0.0
        } else {
            words.iter().map(|w| f64::from(w.confidence)).sum::<f64>() / words.len() as f64
        };
        let page_rows = rows(words, &prepared.transform, page.number);
        page_texts.push(
            page_rows
                .iter()
                .map(|r| r.text.replace('\t', "  "))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let (w, h) = page.image.dimensions();
        page_widths.push(w);
        infos.push(PageInfo {
            page: page.number,
            width: w,
            height: h,
            skew_degrees: round3(f64::from(prepared.transform.angle.to_degrees())),
            scale: round3(f64::from(prepared.transform.scale)),
            confidence: round3(confidence),
        });
        all_rows.extend(page_rows);
    }
    let text = page_texts.join("\n\u{c}\n");
    let lines = all_rows.iter().filter_map(Row::to_line).collect();
    let mut result = OcrResult {
        kind,
        layout: None,
        fields: Default::default(),
        line_items: Vec::new(),
        lines,
        text,
        pages: infos,
        needs_review: false,
        reasons: Vec::new(),
    };
    if all_rows.is_empty() {
        result.reasons.push(Reason::document(
            "no_text",
            "no text was recognised (a blank page, a photo, or text too small or blurred)",
        ));
    } else if kind == Kind::Text {
        let low = result.pages.iter().find(|p| p.confidence < LOW_CONFIDENCE);
        if let Some(p) = low {
            result.reasons.push(Reason::document(
                "low_confidence",
                format!(
                    "page {} was read with mean confidence {:.2}",
                    p.page, p.confidence
                ),
            ));
        }
    }
    if kind == Kind::Invoice {
        let layout = detect_layout(&result.text);
        let decimal = match layout {
            Layout::WesternInvoice => detect_decimal(&result.text),
            _ => Decimal::Dot,
        };
        let doc = Doc {
            rows: &all_rows,
            page_widths: &page_widths,
            decimal,
        };
        let extracted = extract(&doc, layout);
        result.layout = Some(layout);
        result.fields = extracted.fields;
        result.line_items = extracted.line_items;
        result.reasons.extend(extracted.reasons);
    }
    result.needs_review = !result.reasons.is_empty();
    Ok(result)
}

/// Re-reads the figures of each row with the Latin models: the Chinese model reads `13%` as
/// `139` and a lone `1` as `工`. A figure replaces what the first pass read under it only when
/// it is read more confidently and what it covers holds no Chinese (or only such a misread
/// digit), so `2025年03月14日` stays whole.
fn reread_figures(
    engines: &Engines,
    image: &GrayImage,
    words: Vec<Word>,
    languages: &str,
    dpi: u32,
) -> Result<Vec<Word>, Error> {
    let mut out = Vec::with_capacity(words.len());
    for band in group_rows(words) {
        // Only the span of the figures (and of 工, a misread 1): the Chinese text around them
        // needs no second reading, and every pixel costs time.
        let digits: Vec<&Word> = band
            .iter()
            .filter(|w| is_figure(&w.text) || w.text == "工")
            .collect();
        if digits.is_empty() {
            out.extend(band);
            continue;
        }
        let pad = 6;
        let x0 = digits
            .iter()
            .map(|w| w.x)
            .min()
            .unwrap_or(0)
            .saturating_sub(pad);
        let x1 = digits.iter().map(|w| w.x + w.w).max().unwrap_or(0) + pad;
        let y0 = band
            .iter()
            .map(|w| w.y)
            .min()
            .unwrap_or(0)
            .saturating_sub(pad);
        let y1 = band.iter().map(|w| w.y + w.h).max().unwrap_or(0) + pad;
        let (x1, y1) = (x1.min(image.width()), y1.min(image.height()));
        if x1 <= x0 + 2 || y1 <= y0 + 2 {
            out.extend(band);
            continue;
        }
        let crop = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
        let figures: Vec<Word> = engines
            .recognize(&crop, languages, Segmentation::Line, dpi)?
            .into_iter()
            .filter(|w| is_figure(&w.text))
            .map(|w| Word {
                x: w.x + x0,
                y: w.y + y0,
                ..w
            })
            .collect();
        let mut kept: Vec<Word> = band;
        for figure in figures {
            let under: Vec<usize> = kept
                .iter()
                .enumerate()
                .filter(|(_, w)| overlap(w, &figure) > 0.5)
                .map(|(i, _)| i)
                .collect();
            // The more confident reading wins: `eng` knows no `¥` and may garble the digits
            // after one, where `chi_sim` read them well.
            let before = under
                .iter()
                .map(|&i| kept[i].confidence)
                .fold(0.0f32, f32::max);
            let replaceable = !under.is_empty()
                && figure.confidence > before
                && under.iter().all(|&i| {
                    let t = &kept[i].text;
                    !t.chars().any(is_cjk) || t == "工"
                });
            if replaceable {
                for i in under.into_iter().rev() {
                    kept.remove(i);
                }
                kept.push(figure);
            }
        }
        out.extend(kept);
    }
    Ok(out)
}

/// `12.07`, `¥166.84`, `13%`, `2`, `1,234.56`.
fn is_figure(text: &str) -> bool {
    let t = text.trim_start_matches(['¥', '$', '€', '£', 'Y']);
    !t.is_empty()
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || ".,%".contains(c))
        && t.matches('%').count() <= 1
        && (!t.contains('%') || t.ends_with('%'))
}

/// How much of `a`'s width `b` covers (0..1), when they share a line.
fn overlap(a: &Word, b: &Word) -> f32 {
    let left = a.x.max(b.x);
    let right = (a.x + a.w).min(b.x + b.w);
    let vertical = a.y < b.y + b.h && b.y < a.y + a.h;
    if right <= left || !vertical || a.w == 0 {
        0.0
    } else {
        (right - left) as f32 / a.w as f32
    }
}

/// Models for Chinese, Japanese and Korean scripts.
fn is_cjk_model(language: &str) -> bool {
    ["chi_sim", "chi_tra", "jpn", "kor"]
        .iter()
        .any(|m| language.starts_with(m))
}

/// `chi_sim+eng` → (`chi_sim`, `eng`); either part may be absent.
fn split_languages(languages: &str) -> (Option<String>, Option<String>) {
    let (cjk, latin): (Vec<&str>, Vec<&str>) = languages.split('+').partition(|l| is_cjk_model(l));
    let join = |v: Vec<&str>| (!v.is_empty()).then(|| v.join("+"));
    (join(cjk), join(latin))
}

/// The share of Chinese characters among the non-space characters read.
fn cjk_share(words: &[Word]) -> f64 {
    let (mut cjk, mut all) = (0usize, 0usize);
    for c in words.iter().flat_map(|w| w.text.chars()) {
        if !c.is_whitespace() {
            all += 1;
            if is_cjk(c) {
                cjk += 1;
            }
        }
    }
    if all == 0 {
        0.0
    } else {
        cjk as f64 / all as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_split_by_script() {
        assert_eq!(
            split_languages("chi_sim+eng"),
            (Some("chi_sim".into()), Some("eng".into()))
        );
        assert_eq!(split_languages("eng+deu"), (None, Some("eng+deu".into())));
        assert_eq!(split_languages("chi_sim"), (Some("chi_sim".into()), None));
    }

    #[test]
    fn a_panic_becomes_an_error() {
        let r: Result<(), Error> = guarded(|| panic!("boom"));
        assert!(matches!(r, Err(Error::Panicked(m)) if m == "boom"));
    }
}
