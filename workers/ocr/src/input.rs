//! Turning bytes into grey page images: format sniffing, size limits checked before decoding
//! (image headers, `pdfinfo`), image decoding and PDF rasterisation with poppler's `pdftoppm`
//! in a temporary directory that is removed on every path.

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::{GrayImage, ImageFormat, ImageReader};

use crate::error::Error;

/// Resolution PDF pages are rasterised at.
pub const PDF_DPI: u32 = 300;

/// What a call may ask of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Pixels per page (default 50 million: A4 at 600 dpi is 35 million). Checked from the
    /// image header, or from the PDF page size at 300 dpi, before anything is decoded.
    pub max_pixels: u64,
    /// Pages per PDF (default 20), checked with `pdfinfo` before rasterising.
    pub max_pages: u32,
    /// Bytes per document (default 100 MB).
    pub max_bytes: u64,
    /// Wall-clock limit of each `pdfinfo` / `pdftoppm` run (default 120 s).
    pub tool_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: 50_000_000,
            max_pages: 20,
            max_bytes: 100_000_000,
            tool_timeout: Duration::from_secs(120),
        }
    }
}

/// The document types OCR reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/tiff` (the first page of a multi-page TIFF).
    Tiff,
    /// `application/pdf`.
    Pdf,
}

impl MediaType {
    /// The type of `bytes` from their first bytes, whatever a caller claims.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            Some(MediaType::Tiff)
        } else if bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
        {
            Some(MediaType::Pdf)
        } else {
            None
        }
    }

    /// The type a media type string names, if OCR reads it.
    pub fn from_media_type(media_type: &str) -> Option<MediaType> {
        match media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "image/png" => Some(MediaType::Png),
            "image/jpeg" | "image/jpg" => Some(MediaType::Jpeg),
            "image/tiff" => Some(MediaType::Tiff),
            "application/pdf" => Some(MediaType::Pdf),
            _ => None,
        }
    }

    /// Its media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Tiff => "image/tiff",
            MediaType::Pdf => "application/pdf",
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            MediaType::Png => Some(ImageFormat::Png),
            MediaType::Jpeg => Some(ImageFormat::Jpeg),
            MediaType::Tiff => Some(ImageFormat::Tiff),
            MediaType::Pdf => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            MediaType::Png => "PNG image",
            MediaType::Jpeg => "JPEG image",
            MediaType::Tiff => "TIFF image",
            MediaType::Pdf => "PDF",
        }
    }
}

/// One page to read.
#[derive(Debug, Clone)]
pub struct Page {
    /// Page number, from 1.
    pub number: u32,
    /// The page in grey.
    pub image: GrayImage,
    /// Its resolution when known (PDF pages: 300).
    pub dpi: Option<u32>,
}

/// The document's type, checked against what the caller claimed (`claimed` is only used to
/// reject what OCR cannot read; the bytes decide).
pub fn detect(bytes: &[u8], claimed: Option<&str>) -> Result<MediaType, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    if let Some(t) = MediaType::sniff(bytes) {
        return Ok(t);
    }
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| {
            if b.is_ascii_graphic() {
                char::from(*b)
            } else {
                '.'
            }
        })
        .collect();
    Err(Error::Unsupported {
        found: match claimed {
            Some(m) => format!("claimed `{m}`, content starts with `{head}`"),
            None => format!("content starts with `{head}`"),
        },
    })
}

/// Decodes the pages of a document, at most `max_pages` of them (PDF), refusing what is over
/// the limits before decoding it.
///
/// PDFs are rasterised in a `shopflow-ocr-*` directory made inside `scratch` (the system's
/// temporary directory when `None`) and removed before this returns, whatever the outcome.
pub fn load_pages(
    bytes: &[u8],
    media: MediaType,
    max_pages: Option<u32>,
    limits: &Limits,
    scratch: Option<&Path>,
) -> Result<Vec<Page>, Error> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Error::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    match media.image_format() {
        Some(format) => Ok(vec![Page {
            number: 1,
            image: decode_image(bytes, format, media, limits)?,
            dpi: None,
        }]),
        None => rasterise_pdf(bytes, max_pages, limits, scratch),
    }
}

fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    media: MediaType,
    limits: &Limits,
) -> Result<GrayImage, Error> {
    let corrupt = |e: image::ImageError| Error::Corrupt {
        format: media.describe().to_owned(),
        reason: e.to_string(),
    };
    // The header alone: a 200-megapixel image is refused before a byte of it is decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(corrupt)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Error::TooManyPixels {
            page: 1,
            width: width.into(),
            height: height.into(),
            limit: limits.max_pixels,
        });
    }
    if pixels == 0 {
        return Err(Error::Corrupt {
            format: media.describe().to_owned(),
            reason: format!("it is {width}×{height} pixels"),
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(width);
    decoder_limits.max_image_height = Some(height);
    // RGBA16 of the allowed size, the most a decoder needs.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(1 << 26));
    reader.limits(decoder_limits);
    Ok(reader.decode().map_err(corrupt)?.into_luma8())
}

fn rasterise_pdf(
    bytes: &[u8],
    max_pages: Option<u32>,
    limits: &Limits,
    scratch: Option<&Path>,
) -> Result<Vec<Page>, Error> {
    let io = |context: &str| {
        let context = context.to_owned();
        move |source| Error::Io { context, source }
    };
    // Dropped (and removed) on every return and on unwinding.
    let mut builder = tempfile::Builder::new();
    builder.prefix("shopflow-ocr-");
    let dir = match scratch {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(io("creating a temporary directory"))?;
    let pdf = dir.path().join("input.pdf");
    std::fs::write(&pdf, bytes).map_err(io("writing the PDF to a temporary file"))?;

    // The page sizes of every page that may be read (`-f`/`-l`), not only the first: a small
    // first page must not let a poster-sized second one through to `pdftoppm`.
    let last = max_pages
        .unwrap_or(limits.max_pages)
        .clamp(1, limits.max_pages.max(1));
    let info = run_tool(
        Command::new("pdfinfo")
            .args(["-f", "1", "-l", &last.to_string()])
            .arg(&pdf),
        "pdfinfo",
        limits.tool_timeout,
    )?;
    let info = match info {
        Ok(stdout) => stdout,
        Err(stderr) => {
            return Err(Error::Corrupt {
                format: "PDF".into(),
                reason: first_line(&stderr),
            });
        }
    };
    let pages: u32 = field(&info, "Pages:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::Corrupt {
            format: "PDF".into(),
            reason: "pdfinfo found no page count".into(),
        })?;
    if pages == 0 {
        return Err(Error::Corrupt {
            format: "PDF".into(),
            reason: "it has no pages".into(),
        });
    }
    let wanted = max_pages.map_or(pages, |n| n.clamp(1, pages));
    if wanted > limits.max_pages {
        return Err(Error::TooManyPages {
            pages,
            limit: limits.max_pages,
        });
    }
    for (page, (w, h)) in page_sizes(&info).filter(|(page, _)| *page <= wanted) {
        let (width, height) = (points_to_pixels(w), points_to_pixels(h));
        if width.saturating_mul(height) > limits.max_pixels {
            return Err(Error::TooManyPixels {
                page,
                width,
                height,
                limit: limits.max_pixels,
            });
        }
    }

    let prefix = dir.path().join("page");
    let out = run_tool(
        Command::new("pdftoppm")
            .args(["-r", &PDF_DPI.to_string(), "-gray", "-f", "1", "-l"])
            .arg(wanted.to_string())
            .arg(&pdf)
            .arg(&prefix),
        "pdftoppm",
        limits.tool_timeout,
    )?;
    if let Err(stderr) = out {
        return Err(Error::Corrupt {
            format: "PDF".into(),
            reason: first_line(&stderr),
        });
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .map_err(io("listing the rasterised pages"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    // pdftoppm numbers pages with as many digits as the last page needs, so names sort.
    files.sort();
    if files.is_empty() {
        return Err(Error::Corrupt {
            format: "PDF".into(),
            reason: "pdftoppm rendered no pages".into(),
        });
    }
    let mut result = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let number = i as u32 + 1;
        let bytes = std::fs::read(file).map_err(io("reading a rasterised page"))?;
        let image = decode_image(&bytes, ImageFormat::Pnm, MediaType::Pdf, limits).map_err(
            |e| match e {
                Error::TooManyPixels {
                    width,
                    height,
                    limit,
                    ..
                } => Error::TooManyPixels {
                    page: number,
                    width,
                    height,
                    limit,
                },
                other => other,
            },
        )?;
        result.push(Page {
            number,
            image,
            dpi: Some(PDF_DPI),
        });
    }
    Ok(result)
}

/// The sizes `pdfinfo -f … -l …` lists: `Page    2 size:  595 x 842 pts (A4)` → `(2, (595, 842))`;
/// a lone `Page size:` line (one page asked for) is page 1.
fn page_sizes(info: &str) -> impl Iterator<Item = (u32, (f64, f64))> + '_ {
    info.lines().filter_map(|line| {
        let rest = line.strip_prefix("Page")?;
        let (head, value) = rest.split_once("size:")?;
        let head = head.trim();
        let page = if head.is_empty() {
            1
        } else {
            head.parse().ok()?
        };
        Some((page, page_size_points(value.trim())?))
    })
}

fn points_to_pixels(points: f64) -> u64 {
    (points / 72.0 * f64::from(PDF_DPI)).round().max(0.0) as u64
}

/// `595.276 x 841.89 pts (A4)` → `(595.276, 841.89)`.
fn page_size_points(value: &str) -> Option<(f64, f64)> {
    let mut parts = value.split_whitespace();
    let w = parts.next()?.parse().ok()?;
    (parts.next()? == "x").then_some(())?;
    let h = parts.next()?.parse().ok()?;
    Some((w, h))
}

fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no error message")
        .trim()
        .to_owned()
}

/// Runs a poppler tool: `Ok(Ok(stdout))` on success, `Ok(Err(stderr))` when it refused the
/// input, `Err` when it is missing or ran too long (then it is killed).
fn run_tool(
    command: &mut Command,
    tool: &str,
    timeout: Duration,
) -> Result<Result<String, String>, Error> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingTool {
                tool: tool.to_owned(),
                package: "poppler-utils".into(),
            },
            _ => Error::Io {
                context: format!("starting {tool}"),
                source: e,
            },
        })?;
    let started = Instant::now();
    // Output is read after exit; poppler writes little to the pipes (pages go to files), far
    // below a pipe's buffer, so waiting first cannot dead-lock.
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout {
                    tool: tool.to_owned(),
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Error::Io {
                    context: format!("waiting for {tool}"),
                    source: e,
                });
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| Error::Io {
        context: format!("reading {tool}'s output"),
        source: e,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Ok(if output.status.success() {
        Ok(stdout)
    } else {
        Err(stderr)
    })
}

/// Reads a file, refusing one over the byte limit before reading it.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        context: format!("reading {}", path.display()),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_bytes {
        return Err(Error::FileTooLarge {
            bytes: len,
            limit: limits.max_bytes,
        });
    }
    std::fs::read(path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_and_page_sizes() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(b"II*\0rest"), Some(MediaType::Tiff));
        assert_eq!(MediaType::sniff(b"<html>"), None);
        assert!(matches!(detect(b"", None), Err(Error::Empty)));
        assert_eq!(
            page_size_points("595.276 x 841.89 pts (A4)"),
            Some((595.276, 841.89))
        );
        assert_eq!(points_to_pixels(595.276), 2480);
        let info = "Pages:           2\nPage    1 size:  595 x 842 pts (A4)\nPage    1 rot:   0\n\
                    Page    2 size:  7200 x 7200 pts\nPage size:       612 x 792 pts (letter)\n";
        assert_eq!(
            page_sizes(info).collect::<Vec<_>>(),
            [
                (1, (595.0, 842.0)),
                (2, (7200.0, 7200.0)),
                (1, (612.0, 792.0))
            ]
        );
    }
}
