//! Input formats and bad input: PNG, JPEG, TIFF and a rasterised PDF are read; empty, corrupt,
//! unsupported, oversized (bytes, or pixels claimed by a header or a PDF page) and over-long
//! documents are refused before they are decoded, with an error that says what, how to fix
//! it and whether a retry helps; the rasterising directory is gone after every outcome.

use std::io::Cursor;
use std::time::Duration;

use image::{GrayImage, ImageFormat, Luma};
use shopflow_ocr::samples::{self, RenderOptions};
use shopflow_ocr::{Error, Kind, Limits, Options, recognize_bytes, recognize_file};

mod support;

fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

fn order_page() -> samples::Sample {
    samples::order_screenshot(&RenderOptions::default()).expect("fonts are installed")
}

/// Options whose PDFs are rasterised inside `scratch` (a directory of this test's own, so
/// that other processes' temporary files cannot disturb the count).
fn in_scratch(scratch: &tempfile::TempDir) -> Options {
    Options {
        scratch_dir: Some(scratch.path().to_owned()),
        ..Options::default()
    }
}

/// What is left inside `scratch`.
fn left_in(scratch: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_dir(scratch.path())
        .expect("scratch readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
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
    let scratch = tempfile::tempdir().unwrap();
    let options = in_scratch(&scratch);
    let fapiao = samples::fapiao(&RenderOptions::default()).expect("fonts are installed");
    let order = order_page();
    let pdf = samples::image_pdf(&[fapiao.image.clone(), order.image.clone()], 300).unwrap();

    // `pages: 1` reads the fapiao only.
    let first = Options {
        pages: Some(1),
        ..options.clone()
    };
    let result = recognize_bytes(&pdf, Some("application/pdf"), Kind::Invoice, &first).unwrap();
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
    assert_eq!(left_in(&scratch), Vec::<String>::new(), "after a success");

    // 500 pages: refused from `pdfinfo`'s count, nothing rasterised.
    let tiny = GrayImage::from_pixel(8, 8, Luma([255]));
    let long = samples::image_pdf(&vec![tiny.clone(); 500], 72).unwrap();
    let err = recognize_bytes(&long, None, Kind::Text, &options).unwrap_err();
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
    let help = err.help(&Limits::default());
    assert!(help.contains("`pages: N`"), "{help}");
    assert_eq!(
        left_in(&scratch),
        Vec::<String>::new(),
        "after too many pages"
    );

    // The same PDF with `pages: 2`, as the error advises: its first two pages are read.
    let two = Options {
        pages: Some(2),
        ..options.clone()
    };
    let result = recognize_bytes(&long, None, Kind::Text, &two).unwrap();
    assert_eq!(
        result.pages.iter().map(|p| p.page).collect::<Vec<_>>(),
        [1, 2]
    );
    // More pages than the limit, even asked for, are refused.
    let too_many = Options {
        pages: Some(21),
        ..options.clone()
    };
    let err = recognize_bytes(&long, None, Kind::Text, &too_many).unwrap_err();
    assert!(matches!(err, Error::TooManyPages { .. }), "{err}");

    // A page 100 inches square would be 900 megapixels at 300 dpi.
    let poster = samples::image_pdf(&[GrayImage::from_pixel(100, 100, Luma([255]))], 1).unwrap();
    let err = recognize_bytes(&poster, None, Kind::Text, &options).unwrap_err();
    assert!(matches!(err, Error::TooManyPixels { page: 1, .. }), "{err}");
    // …and so is such a page behind a small first page: every page's size is checked before
    // `pdftoppm` runs (rasterising it would take ~5 s and 1.7 GB, so with a 3 s limit on
    // poppler a check after rasterising would end in a timeout instead).
    let checked_first = Options {
        limits: Limits {
            tool_timeout: Duration::from_secs(3),
            ..Limits::default()
        },
        ..options.clone()
    };
    let sneaky = samples::image_pdf(
        &[
            GrayImage::from_pixel(8, 8, Luma([255])),
            GrayImage::from_pixel(100, 100, Luma([255])),
        ],
        1,
    )
    .unwrap();
    let err = recognize_bytes(&sneaky, None, Kind::Text, &checked_first).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyPixels {
                page: 2,
                width: 30_000,
                height: 30_000,
                ..
            }
        ),
        "{err}"
    );
    // Reading only the small first page is fine.
    let result = recognize_bytes(&sneaky, None, Kind::Text, &first).unwrap();
    assert_eq!(result.pages.len(), 1);
    assert_eq!(left_in(&scratch), Vec::<String>::new(), "after a huge page");

    // Not a PDF after all, an empty one, and one cut in half.
    let mut cut = pdf.clone();
    cut.truncate(pdf.len() / 2);
    for broken in [
        &b"%PDF-1.4\nnot really"[..],
        &b"%PDF-1.4\n%%EOF\n"[..],
        &b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"[..],
        &cut[..],
    ] {
        let err = recognize_bytes(broken, None, Kind::Text, &options).unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { ref format, .. } if format == "PDF"),
            "{} bytes: {err}",
            broken.len()
        );
        assert!(!err.retryable());
    }
    assert_eq!(
        left_in(&scratch),
        Vec::<String>::new(),
        "after corrupt PDFs"
    );

    // A poppler run over its time limit is killed, and its directory goes too.
    let hasty = Options {
        limits: Limits {
            tool_timeout: Duration::ZERO,
            ..Limits::default()
        },
        ..options.clone()
    };
    let err = recognize_bytes(&pdf, None, Kind::Text, &hasty).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(left_in(&scratch), Vec::<String>::new(), "after a timeout");
}

/// `jpeg` with the size in its frame header (SOF0) replaced.
fn jpeg_claiming(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("a baseline JPEG has SOF0");
    // FF C0, length (2), precision (1), height (2), width (2).
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// `tiff` (little-endian, as the encoder writes it) with ImageWidth and ImageLength replaced.
fn tiff_claiming(tiff: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = tiff.to_vec();
    assert_eq!(&out[..4], b"II*\0", "a little-endian TIFF");
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let ifd = u32::from_le_bytes([out[4], out[5], out[6], out[7]]) as usize;
    let entries = usize::from(u16_at(&out, ifd));
    let mut patched = 0;
    for n in 0..entries {
        let at = ifd + 2 + 12 * n;
        let value = match u16_at(&out, at) {
            256 => width,
            257 => height,
            _ => continue,
        };
        // Type SHORT (3) holds the value in the first two bytes, LONG (4) in all four.
        match u16_at(&out, at + 2) {
            3 => {
                let v = u16::try_from(value).expect("fits a SHORT");
                out[at + 8..at + 10].copy_from_slice(&v.to_le_bytes());
            }
            _ => out[at + 8..at + 12].copy_from_slice(&value.to_le_bytes()),
        }
        patched += 1;
    }
    assert_eq!(patched, 2, "width and length tags found");
    out
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
    let err = recognize_bytes(
        &support::png_header_only(20_000, 10_000),
        None,
        Kind::Text,
        &options,
    )
    .unwrap_err();
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

    // The same claim in a JPEG's and a TIFF's header (small images whose headers were
    // rewritten): refused before decoding, not read as corrupt.
    let small = GrayImage::from_pixel(16, 16, Luma([128]));
    let huge_jpeg = jpeg_claiming(&encode(&small, ImageFormat::Jpeg), 20_000, 10_000);
    let huge_tiff = tiff_claiming(&encode(&small, ImageFormat::Tiff), 20_000, 10_000);
    for (what, bytes) in [("JPEG", huge_jpeg), ("TIFF", huge_tiff)] {
        let err = recognize_bytes(&bytes, None, Kind::Text, &options).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooManyPixels {
                    width: 20_000,
                    height: 10_000,
                    ..
                }
            ),
            "{what}: {err}"
        );
    }

    // A JPEG whose data after the start marker is noise, and a TIFF cut after its header.
    let mut noise = vec![0xff, 0xd8, 0xff, 0xe0];
    noise.extend((0..400u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let mut cut_tiff = encode(&small, ImageFormat::Tiff);
    cut_tiff.truncate(12);
    for (what, bytes) in [("JPEG", noise), ("TIFF", cut_tiff)] {
        let err = recognize_bytes(&bytes, None, Kind::Text, &options).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{what}: {err}");
        assert!(!err.retryable());
    }

    // A truncated PNG: a valid header, then nothing.
    let mut truncated = encode(
        &GrayImage::from_pixel(64, 64, Luma([200])),
        ImageFormat::Png,
    );
    truncated.truncate(60);
    let err = recognize_bytes(&truncated, None, Kind::Text, &options).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");

    // Over the byte limit, as bytes and as a file (refused from its size).
    let small_limit = Options {
        limits: Limits {
            max_bytes: 100,
            ..Limits::default()
        },
        ..Options::default()
    };
    let page = encode(&GrayImage::from_pixel(64, 64, Luma([7])), ImageFormat::Jpeg);
    assert!(page.len() > 100);
    let err = recognize_bytes(&page, None, Kind::Text, &small_limit).unwrap_err();
    assert!(
        matches!(err, Error::FileTooLarge { limit: 100, .. }),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.jpg");
    std::fs::write(&file, &page).unwrap();
    let err = recognize_file(&file, Kind::Text, &small_limit).unwrap_err();
    assert!(
        matches!(err, Error::FileTooLarge { limit: 100, .. }),
        "{err}"
    );

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
