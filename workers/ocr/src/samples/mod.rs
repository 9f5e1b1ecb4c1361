//! Synthetic documents with known truth, for the tests and the OCR benchmark: a 数电票 fapiao,
//! an English invoice (US and UK), a European invoice (German and French, decimal commas) and a
//! Chinese shop's order-detail screenshot (Taobao, JD and Pinduoduo style), rendered with
//! ab_glyph onto a grey image in a chosen font, optionally rotated, noisy and JPEG-degraded.
//!
//! Everything on these pages is invented: the companies, the people, the goods. The tax ids are
//! made up but carry correct check characters, so a correct reading validates.
//!
//! Documents are A4 (210 × 297 mm) at [`RenderOptions::dpi`] (300 dpi: 2480 × 3508 pixels);
//! the order screenshot is a phone screen 1080 pixels wide, whatever the dpi.

mod canvas;
mod fapiao;
mod order;
mod pdf;
mod western;
mod words;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::PathBuf;

use image::{GrayImage, ImageFormat, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};

use crate::result::Layout;

pub use pdf::image_pdf;
pub use words::yuan_in_words;

use canvas::{FontPair, load_font};

/// Why a sample could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// A font file is missing or unreadable (install `fonts-noto-cjk`, `fonts-dejavu-core`,
    /// `fonts-liberation`).
    #[error(
        "font {path}: {reason} (install fonts-noto-cjk, fonts-dejavu-core and fonts-liberation)"
    )]
    Font {
        /// The font file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Encoding the JPEG round trip failed.
    #[error("JPEG re-encoding failed: {0}")]
    Jpeg(String),
}

/// The typeface a sample is set in. Latin fonts fall back to Noto CJK for Chinese characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleFont {
    /// Noto Sans CJK SC (`fonts-noto-cjk`).
    NotoSansCjk,
    /// Noto Serif CJK SC (`fonts-noto-cjk`).
    NotoSerifCjk,
    /// DejaVu Sans (`fonts-dejavu-core`), Chinese in Noto Sans CJK.
    DejaVuSans,
    /// Liberation Sans (`fonts-liberation`), Chinese in Noto Sans CJK.
    LiberationSans,
    /// Liberation Serif (`fonts-liberation`), Chinese in Noto Serif CJK.
    LiberationSerif,
}

impl SampleFont {
    /// Every font, for loops over the set.
    pub const ALL: [SampleFont; 5] = [
        SampleFont::NotoSansCjk,
        SampleFont::NotoSerifCjk,
        SampleFont::DejaVuSans,
        SampleFont::LiberationSans,
        SampleFont::LiberationSerif,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            SampleFont::NotoSansCjk => "Noto Sans CJK",
            SampleFont::NotoSerifCjk => "Noto Serif CJK",
            SampleFont::DejaVuSans => "DejaVu Sans",
            SampleFont::LiberationSans => "Liberation Sans",
            SampleFont::LiberationSerif => "Liberation Serif",
        }
    }

    fn fonts(self) -> Result<FontPair, SampleError> {
        const NOTO: &str = "/usr/share/fonts/opentype/noto";
        const LIBERATION: &str = "/usr/share/fonts/truetype/liberation";
        // Face 2 of the Noto CJK collections is the simplified-Chinese (SC) one.
        let sans = || load_font(&PathBuf::from(NOTO).join("NotoSansCJK-Regular.ttc"), 2);
        let serif = || load_font(&PathBuf::from(NOTO).join("NotoSerifCJK-Regular.ttc"), 2);
        let file = |dir: &str, name: &str| load_font(&PathBuf::from(dir).join(name), 0);
        Ok(match self {
            SampleFont::NotoSansCjk => FontPair {
                latin: sans()?,
                cjk: sans()?,
            },
            SampleFont::NotoSerifCjk => FontPair {
                latin: serif()?,
                cjk: serif()?,
            },
            SampleFont::DejaVuSans => FontPair {
                latin: file("/usr/share/fonts/truetype/dejavu", "DejaVuSans.ttf")?,
                cjk: sans()?,
            },
            SampleFont::LiberationSans => FontPair {
                latin: file(LIBERATION, "LiberationSans-Regular.ttf")?,
                cjk: sans()?,
            },
            SampleFont::LiberationSerif => FontPair {
                latin: file(LIBERATION, "LiberationSerif-Regular.ttf")?,
                cjk: serif()?,
            },
        })
    }
}

/// How to render a sample.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Resolution of A4 documents (300: 2480 × 3508 pixels). Ignored by screenshots.
    pub dpi: u32,
    /// Typeface.
    pub font: SampleFont,
    /// Which of the layout's data sets (and regional style) to use; any number, taken modulo
    /// the number of sets.
    pub variant: usize,
    /// Rotation in degrees (positive: counter-clockwise), as a skewed scan.
    pub rotation_degrees: f32,
    /// Standard deviation of Gaussian grey-level noise (0: none; 25 is a bad scan).
    pub noise: f32,
    /// Re-encode as JPEG at this quality (1–100) and decode again, for compression artefacts.
    pub jpeg_quality: Option<u8>,
    /// Seed of the noise.
    pub seed: u64,
    /// A deliberate error printed on the document (fapiao only); the truth keeps the correct
    /// values.
    pub tamper: Tamper,
}

/// Errors a forged or mistyped fapiao may carry, for the review tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tamper {
    /// Nothing wrong.
    #[default]
    None,
    /// 价税合计 printed 10.00 higher than amount + tax.
    WrongTotal,
    /// The seller's credit code printed with a wrong check character.
    BadSellerTaxId,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            dpi: 300,
            font: SampleFont::NotoSansCjk,
            variant: 0,
            rotation_degrees: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            seed: 1,
            tamper: Tamper::None,
        }
    }
}

/// What is on a sample: the fields and line items a perfect reading extracts, with the values
/// formatted as `ocr.invoice` formats them (dates ISO 8601, money with two decimals and a dot).
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The layout.
    pub layout: Layout,
    /// Field name → value.
    pub fields: BTreeMap<String, String>,
    /// Line items: `name`, `quantity`, `unit_price`, `amount`, and for fapiao `tax_rate`, `tax`.
    pub line_items: Vec<BTreeMap<String, String>>,
}

/// A rendered sample and what is on it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The page.
    pub image: GrayImage,
    /// What a perfect reading extracts.
    pub truth: Truth,
}

/// Which document to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleLayout {
    /// A 数电票 fully digital fapiao.
    Fapiao,
    /// An English invoice (variant 0: US, USD, 03/14/2025; variant 1: UK, GBP, 14 March 2025).
    EnglishInvoice,
    /// A European invoice (variant 0: German, 14.03.2025, 1.234,56 EUR; variant 1: French,
    /// 14/03/2025, 1 234,56 €).
    EuropeanInvoice,
    /// An order-detail screenshot (variant 0: Taobao, 1: JD, 2: Pinduoduo).
    OrderScreenshot,
}

impl SampleLayout {
    /// Every layout.
    pub const ALL: [SampleLayout; 4] = [
        SampleLayout::Fapiao,
        SampleLayout::EnglishInvoice,
        SampleLayout::EuropeanInvoice,
        SampleLayout::OrderScreenshot,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            SampleLayout::Fapiao => "fapiao",
            SampleLayout::EnglishInvoice => "english_invoice",
            SampleLayout::EuropeanInvoice => "european_invoice",
            SampleLayout::OrderScreenshot => "order_screenshot",
        }
    }

    /// How many data sets the layout has.
    pub fn variants(self) -> usize {
        match self {
            SampleLayout::Fapiao => fapiao::VARIANTS,
            SampleLayout::EnglishInvoice | SampleLayout::EuropeanInvoice => 2,
            SampleLayout::OrderScreenshot => order::VARIANTS,
        }
    }
}

/// Renders `layout` with `options`.
pub fn render(layout: SampleLayout, options: &RenderOptions) -> Result<Sample, SampleError> {
    let fonts = options.font.fonts()?;
    let (image, truth) = match layout {
        SampleLayout::Fapiao => fapiao::render(fonts, options),
        SampleLayout::EnglishInvoice => western::render_english(fonts, options),
        SampleLayout::EuropeanInvoice => western::render_european(fonts, options),
        SampleLayout::OrderScreenshot => order::render(fonts, options),
    };
    Ok(Sample {
        image: degrade(image, options)?,
        truth,
    })
}

/// A 数电票 fapiao with known fields.
pub fn fapiao(options: &RenderOptions) -> Result<Sample, SampleError> {
    render(SampleLayout::Fapiao, options)
}

/// An English invoice with known fields.
pub fn english_invoice(options: &RenderOptions) -> Result<Sample, SampleError> {
    render(SampleLayout::EnglishInvoice, options)
}

/// A European (German or French) invoice with decimal commas and known fields.
pub fn european_invoice(options: &RenderOptions) -> Result<Sample, SampleError> {
    render(SampleLayout::EuropeanInvoice, options)
}

/// An order-detail screenshot with known fields.
pub fn order_screenshot(options: &RenderOptions) -> Result<Sample, SampleError> {
    render(SampleLayout::OrderScreenshot, options)
}

/// The benchmark page: one clean A4 fapiao at 300 dpi (2480 × 3508) in Noto Sans CJK, with its
/// truth. `shopflow bench --workload ocr` times [`crate::recognize_image`] on it.
pub fn benchmark_fapiao_page() -> Result<Sample, SampleError> {
    fapiao(&RenderOptions::default())
}

/// Rotation, noise and JPEG artefacts, in the order a bad scan gets them.
fn degrade(mut image: GrayImage, options: &RenderOptions) -> Result<GrayImage, SampleError> {
    if options.rotation_degrees != 0.0 {
        image = rotate_about_center(
            &image,
            -options.rotation_degrees.to_radians(),
            Interpolation::Bilinear,
            Border::Constant(Luma([255])),
        );
    }
    if options.noise > 0.0 {
        imageproc::noise::gaussian_noise_mut(
            &mut image,
            0.0,
            f64::from(options.noise),
            options.seed,
        );
    }
    if let Some(quality) = options.jpeg_quality {
        let mut bytes = Vec::new();
        let encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality.clamp(1, 100));
        image
            .write_with_encoder(encoder)
            .map_err(|e| SampleError::Jpeg(e.to_string()))?;
        image = image::load(Cursor::new(bytes), ImageFormat::Jpeg)
            .map_err(|e| SampleError::Jpeg(e.to_string()))?
            .into_luma8();
    }
    Ok(image)
}

/// A line item of the truth.
pub(crate) fn item(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Fields of the truth.
pub(crate) fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One field of a truth compared with a reading.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldScore {
    /// The field (`total`), or `line_items.amount` for a line item part.
    pub field: String,
    /// What the sample says.
    pub expected: String,
    /// What was read.
    pub got: Option<String>,
    /// Whether they are equal (names compared without spaces around Chinese characters).
    pub correct: bool,
}

/// Compares every field and line-item part of `truth` with `result`.
pub fn compare(truth: &Truth, result: &crate::OcrResult) -> Vec<FieldScore> {
    let same = |a: &str, b: &str| squeeze(a) == squeeze(b);
    let mut scores: Vec<FieldScore> = truth
        .fields
        .iter()
        .map(|(name, expected)| {
            let got = result.fields.get(name).map(|f| f.value.clone());
            FieldScore {
                field: name.clone(),
                expected: expected.clone(),
                correct: got.as_deref().is_some_and(|g| same(g, expected)),
                got,
            }
        })
        .collect();
    for (i, expected) in truth.line_items.iter().enumerate() {
        let got = result.line_items.get(i);
        for (part, value) in expected {
            let read = got.and_then(|g| match part.as_str() {
                "name" => Some(g.name.clone()),
                "quantity" => g.quantity.clone(),
                "unit_price" => g.unit_price.clone(),
                "amount" => g.amount.clone(),
                "tax_rate" => g.tax_rate.clone(),
                "tax" => g.tax.clone(),
                _ => None,
            });
            scores.push(FieldScore {
                field: format!("line_items.{part}"),
                expected: value.clone(),
                correct: read.as_deref().is_some_and(|r| same(r, value)),
                got: read,
            });
        }
    }
    scores
}

/// Spaces next to a Chinese character do not count.
fn squeeze(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let wide = |c: char| crate::layout::is_cjk(c);
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !(c.is_whitespace()
                && (i
                    .checked_sub(1)
                    .and_then(|j| chars.get(j))
                    .is_some_and(|p| wide(*p))
                    || chars.get(i + 1).is_some_and(|n| wide(*n))))
        })
        .map(|(_, c)| *c)
        .collect()
}
