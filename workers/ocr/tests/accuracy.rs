//! Field accuracy on the synthetic documents: the key fields of every layout on clean renders,
//! and a floor over fonts (Noto CJK sans and serif, DejaVu, Liberation), rotation up to ±3°,
//! noise and JPEG artefacts.

use shopflow_ocr::samples::{self, RenderOptions, SampleFont, SampleLayout};
use shopflow_ocr::{Kind, Layout, OcrResult, Options, recognize_image};

fn read(layout: SampleLayout, options: &RenderOptions) -> (samples::Sample, OcrResult) {
    let sample = samples::render(layout, options).expect("fonts are installed");
    let result = recognize_image(&sample.image, Kind::Invoice, &Options::default())
        .expect("recognition runs");
    (sample, result)
}

fn value<'a>(result: &'a OcrResult, field: &str) -> Option<&'a str> {
    result.fields.get(field).map(|f| f.value.as_str())
}

#[test]
fn clean_fapiao_reads_exactly_and_passes_review() {
    let (sample, result) = read(SampleLayout::Fapiao, &RenderOptions::default());
    assert_eq!(result.layout, Some(Layout::Fapiao));
    for field in [
        "invoice_number",
        "issue_date",
        "total",
        "amount",
        "tax",
        "seller_tax_id",
    ] {
        assert_eq!(
            value(&result, field),
            Some(sample.truth.fields[field].as_str()),
            "{field}: {}",
            result.text
        );
    }
    assert_eq!(result.line_items.len(), sample.truth.line_items.len());
    // The figures agree and the tax ids validate, so nothing but confidence could flag it.
    let codes: Vec<&str> = result.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(
        codes.iter().all(|c| *c == "low_confidence"),
        "{:?}",
        result.reasons
    );
    // The figures confirm each other, so doubts about a glyph in them send nobody to look.
    let money_doubted: Vec<_> = result
        .reasons
        .iter()
        .filter(|r| matches!(r.field.as_deref(), Some("amount" | "tax" | "total")))
        .collect();
    assert!(money_doubted.is_empty(), "{money_doubted:?}");
    // Boxes are on page 1, inside the page.
    let b = result.fields["total"].bbox.expect("the total has a box");
    assert_eq!(b.page, 1);
    assert!(b.x + b.width <= 2480 && b.y + b.height <= 3508, "{b:?}");
}

#[test]
fn clean_renders_of_every_layout_have_their_key_fields() {
    for (layout, variant, number) in [
        (SampleLayout::EnglishInvoice, 0, "invoice_number"),
        (SampleLayout::EnglishInvoice, 1, "invoice_number"),
        (SampleLayout::EuropeanInvoice, 0, "invoice_number"),
        (SampleLayout::OrderScreenshot, 2, "order_number"),
    ] {
        let options = RenderOptions {
            variant,
            ..RenderOptions::default()
        };
        let (sample, result) = read(layout, &options);
        for field in [number, "issue_date", "total", "currency"] {
            assert_eq!(
                value(&result, field),
                Some(sample.truth.fields[field].as_str()),
                "{} v{variant} {field}: {}",
                layout.name(),
                result.text
            );
        }
    }
}

#[test]
fn accuracy_floor_over_fonts_rotation_noise_and_jpeg() {
    let mut cases = Vec::new();
    for (i, font) in SampleFont::ALL.into_iter().enumerate() {
        cases.push((SampleLayout::Fapiao, i, font, 0.0, 0.0, None));
    }
    cases.extend([
        (
            SampleLayout::Fapiao,
            0,
            SampleFont::NotoSansCjk,
            3.0,
            0.0,
            None,
        ),
        (
            SampleLayout::Fapiao,
            1,
            SampleFont::NotoSerifCjk,
            -3.0,
            0.0,
            None,
        ),
        (
            SampleLayout::Fapiao,
            2,
            SampleFont::NotoSansCjk,
            0.0,
            20.0,
            Some(35),
        ),
        (
            SampleLayout::EnglishInvoice,
            1,
            SampleFont::DejaVuSans,
            0.0,
            15.0,
            Some(40),
        ),
        (
            SampleLayout::EuropeanInvoice,
            1,
            SampleFont::LiberationSerif,
            -2.0,
            0.0,
            Some(30),
        ),
        (
            SampleLayout::OrderScreenshot,
            1,
            SampleFont::NotoSansCjk,
            1.5,
            10.0,
            Some(50),
        ),
        (
            SampleLayout::OrderScreenshot,
            0,
            SampleFont::NotoSerifCjk,
            -3.0,
            0.0,
            None,
        ),
    ]);
    let (mut right, mut total) = (0, 0);
    let mut misses = Vec::new();
    for (layout, variant, font, rotation, noise, jpeg) in cases {
        let options = RenderOptions {
            variant,
            font,
            rotation_degrees: rotation,
            noise,
            jpeg_quality: jpeg,
            seed: variant as u64 + 7,
            ..RenderOptions::default()
        };
        let (sample, result) = read(layout, &options);
        for s in samples::compare(&sample.truth, &result) {
            total += 1;
            if s.correct {
                right += 1;
            } else {
                misses.push(format!(
                    "{} v{variant} {} rot {rotation} noise {noise} jpeg {jpeg:?}: {} expected {:?} got {:?}",
                    layout.name(),
                    font.name(),
                    s.field,
                    s.expected,
                    s.got
                ));
            }
        }
    }
    let accuracy = f64::from(right) / f64::from(total);
    eprintln!("{right}/{total} fields exact ({:.1}%)", accuracy * 100.0);
    for m in &misses {
        eprintln!("miss: {m}");
    }
    assert!(accuracy >= 0.90, "{right}/{total}: {misses:#?}");
}
