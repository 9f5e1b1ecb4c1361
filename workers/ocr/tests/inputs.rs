//! Input formats and bad input: PNG, JPEG, TIFF and a rasterised PDF are read; empty, corrupt,
//! unsupported, oversized and over-long documents are refused with an error that says what,
//! how to fix it and whether a retry helps; temporary files are gone afterwards.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use shopflow_ocr::samples::{self, RenderOptions};
use shopflow_ocr::{Error, Kind, Limits, Options, recognize_bytes};

fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

fn order_page() -> samples::Sample {
    samples::order_screenshot(&RenderOptions::default()).expect("fonts are installed")
}

fn temp_dirs() -> usize {
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("shopflow-ocr-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn png_jpeg_and_tiff_are_read() {
    let sample = order_page();
    for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Tiff] {
        let bytes = encode(&sample.image, format);
        let result = recognize_bytes(&bytes, None, Kind::Invoice, &Options::default())
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(
            result.fields.get("order_number").map(|f| f.value.as_str()),
            Some(sample.truth.fields["order_number"].as_str()),
            "{format:?}: {}",
            result.text
        );
    }
}

#[test]
fn pdf_pages_are_rasterised_and_limits_hold() {
    let before = temp_dirs();
    let fapiao = samples::fapiao(&RenderOptions::default()).expect("fonts are installed");
    let order = order_page();
    let pdf = samples::image_pdf(&[fapiao.image.clone(), order.image.clone()], 300).unwrap();

    // `pages: 1` reads the fapiao only.
    let options = Options {
        pages: Some(1),
        ..Options::default()
    };
    let result = recognize_bytes(&pdf, Some("application/pdf"), Kind::Invoice, &options).unwrap();
    assert_eq!(result.pages.len(), 1);
    assert_eq!(
        (result.pages[0].width, result.pages[0].height),
        (2480, 3508)
    );
    for field in ["invoice_number", "issue_date", "total"] {
        assert_eq!(
            result.fields.get(field).map(|f| f.value.as_str()),
            Some(fapiao.truth.fields[field].as_str()),
            "{field}: {}",
            result.text
        );
    }

    // 500 pages: refused from `pdfinfo`'s count, nothing rasterised.
    let tiny = GrayImage::from_pixel(8, 8, Luma([255]));
    let long = samples::image_pdf(&vec![tiny.clone(); 500], 72).unwrap();
    let err = recognize_bytes(&long, None, Kind::Text, &Options::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyPages {
                pages: 500,
                limit: 20
            }
        ),
        "{err}"
    );
    assert!(!err.retryable());

    // A page 100 inches square would be 900 megapixels at 300 dpi.
    let poster = samples::image_pdf(&[GrayImage::from_pixel(100, 100, Luma([255]))], 1).unwrap();
    let err = recognize_bytes(&poster, None, Kind::Text, &Options::default()).unwrap_err();
    assert!(matches!(err, Error::TooManyPixels { .. }), "{err}");

    // Not a PDF after all.
    let err = recognize_bytes(
        b"%PDF-1.4\nnot really",
        None,
        Kind::Text,
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");

    assert_eq!(temp_dirs(), before, "temporary directories are removed");
}

/// A PNG whose header claims `width`×`height` and which has no pixel data at all.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // An empty IDAT and IEND: decoders read the header up to the first IDAT.
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn bad_images_are_refused_before_decoding() {
    let options = Options::default();
    let err = recognize_bytes(b"", None, Kind::Text, &options).unwrap_err();
    assert!(matches!(err, Error::Empty), "{err}");

    let err = recognize_bytes(
        b"<html>hello</html>",
        Some("text/html"),
        Kind::Text,
        &options,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("text/html"), "{err}");

    // 200 megapixels: refused from the header alone (decoding it would need 200 MB).
    let err =
        recognize_bytes(&png_header_only(20_000, 10_000), None, Kind::Text, &options).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyPixels {
                width: 20_000,
                height: 10_000,
                ..
            }
        ),
        "{err}"
    );
    let problem = err.to_workflow_error("`with.base64`", "/do/0/read", &Limits::default());
    assert_eq!(problem.status, 400);
    assert!(!problem.retryable);
    let detail = problem.detail.unwrap_or_default();
    assert!(
        detail.contains("200.0 megapixels") && detail.contains("Scale the image down"),
        "{detail}"
    );

    // A truncated PNG: a valid header, then nothing.
    let mut truncated = encode(
        &GrayImage::from_pixel(64, 64, Luma([200])),
        ImageFormat::Png,
    );
    truncated.truncate(60);
    let err = recognize_bytes(&truncated, None, Kind::Text, &options).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");

    // A blank page is not an error: no text, and a reason.
    let blank = encode(
        &GrayImage::from_pixel(600, 800, Luma([255])),
        ImageFormat::Png,
    );
    let result = recognize_bytes(&blank, None, Kind::Invoice, &options).unwrap();
    assert!(result.needs_review);
    assert_eq!(result.reasons[0].code, "no_text");

    // An uninstalled language says which package to install.
    let err = recognize_bytes(
        &blank,
        None,
        Kind::Text,
        &Options {
            languages: "klingon".into(),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("tesseract-ocr-klingon"), "{err}");
}
