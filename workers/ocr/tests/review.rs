//! `needs_review` and its reasons on tampered fapiao: a total that is not amount + tax, and a
//! seller credit code with a wrong check character.

use shopflow_ocr::samples::{self, RenderOptions, Tamper};
use shopflow_ocr::{Kind, Options, recognize_image};

fn codes_for(tamper: Tamper) -> Vec<(String, Option<String>)> {
    let sample = samples::fapiao(&RenderOptions {
        tamper,
        ..RenderOptions::default()
    })
    .expect("fonts are installed");
    let result = recognize_image(&sample.image, Kind::Invoice, &Options::default())
        .expect("recognition runs");
    assert_eq!(result.needs_review, !result.reasons.is_empty());
    result
        .reasons
        .into_iter()
        .map(|r| (r.code, r.field))
        .collect()
}

#[test]
fn a_wrong_total_is_flagged() {
    let reasons = codes_for(Tamper::WrongTotal);
    assert!(
        reasons.contains(&("total_mismatch".into(), Some("total".into()))),
        "{reasons:?}"
    );
}

#[test]
fn a_wrong_check_character_is_flagged_not_repaired() {
    let reasons = codes_for(Tamper::BadSellerTaxId);
    assert!(
        reasons.contains(&("tax_id_checksum".into(), Some("seller_tax_id".into()))),
        "{reasons:?}"
    );
    assert!(
        !reasons.iter().any(|(c, _)| c == "total_mismatch"),
        "{reasons:?}"
    );
}
