//! `voucher.issue` for real: the PDF is read back with poppler (text and a 200 dpi raster whose
//! QR code is decoded), the link is verified, tampering is refused, personal data stays off
//! the public record.

use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry};
use shopflow_voucher::{FontFiles, Vouchers};

fn args() -> Value {
    json!({
        "shop": "山野茶舍旗舰店",
        "platform": "taobao",
        "order_id": "4102938475610293",
        "refund_id": "RF77881",
        "items": [
            {"name": "明前龙井 250g 礼盒装", "sku": "LJ-250", "quantity": 2},
            {"name": "Glass tea cup with infuser, 350 ml", "quantity": 1}
        ],
        "return_address": {
            "contact": "售后部 王磊",
            "phone": "0571-88886666",
            "address": "浙江省 杭州市 余杭区 仓前街道 文一西路 1001 号 3 号仓",
            "postcode": "311121"
        },
        "deadline": "2026-12-02",
        "instructions": ["请注明退货编号 / Write the RMA number on the parcel."]
    })
}

fn vouchers(dir: &std::path::Path) -> Arc<Vouchers> {
    let store = ArtifactStore::new(dir.join("artifacts"));
    let key = Vouchers::key_file(&dir.join("voucher.key")).unwrap();
    Arc::new(Vouchers::new(
        key,
        store,
        "http://127.0.0.1:8080/",
        FontFiles::from_env(),
    ))
}

fn poppler(tool: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by `make setup`): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn pdf_text_qr_link_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let v = vouchers(dir.path());
    let issued = v.issue(args(), "run-1/step-3").unwrap();
    assert!(
        issued.rma.starts_with("RMA-") && issued.rma.len() == 14,
        "{}",
        issued.rma
    );
    assert_eq!(
        issued.url,
        format!("http://127.0.0.1:8080/v/{}", issued.token)
    );
    assert_eq!(issued.pdf_url, format!("{}/voucher.pdf", issued.url));
    assert_eq!(issued.pdf.media_type, "application/pdf");

    let pdf = std::fs::read(
        ArtifactStore::open(dir.path().join("artifacts"))
            .unwrap()
            .path(&issued.pdf.artifact)
            .unwrap(),
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The CJK font is subset: the whole Noto CJK collection would be ~20 MB.
    assert!(pdf.len() < 300_000, "voucher is {} bytes", pdf.len());
    let pdf_path = dir.path().join("v.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();

    let text = poppler("pdftotext", &["-layout", pdf_path.to_str().unwrap(), "-"]);
    let text = String::from_utf8(text.stdout).unwrap();
    for want in [
        "退货凭证",
        "Return Voucher",
        issued.rma.as_str(),
        "4102938475610293",
        "RF77881",
        "明前龙井 250g 礼盒装",
        "2026-12-02",
        "文一西路 1001 号",
        "0571-88886666",
        "311121",
        "Write the RMA number",
    ] {
        assert!(text.contains(want), "PDF text lacks {want:?}:\n{text}");
    }
    let fonts = poppler("pdffonts", &[pdf_path.to_str().unwrap()]);
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    assert!(fonts.contains("NotoSansCJK"), "{fonts}");
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes ")),
        "fonts not embedded:\n{fonts}"
    );

    // The QR code on the page, decoded from a raster, is the link.
    let png_base = dir.path().join("page");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "200",
            "-gray",
            "-png",
            "-singlefile",
            pdf_path.to_str().unwrap(),
            png_base.to_str().unwrap(),
        ],
    );
    let img = image::open(dir.path().join("page.png")).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the voucher");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, issued.url);

    // The link verifies to the public record: no contact, phone or street.
    let record = v.verify(&issued.token).unwrap();
    assert_eq!(record.rma, issued.rma);
    assert_eq!(record.return_region, "浙江省 杭州市 余杭区");
    let public = serde_json::to_string(&record).unwrap();
    for private in ["王磊", "88886666", "文一西路", "311121"] {
        assert!(
            !public.contains(private),
            "{private} in the public record: {public}"
        );
    }
    assert_eq!(v.pdf(&issued.token).unwrap(), pdf);
}

#[test]
fn same_step_same_voucher_and_tampering_refused() {
    let dir = tempfile::tempdir().unwrap();
    let v = vouchers(dir.path());
    let a = v.issue(args(), "run-1/step-3").unwrap();
    let b = v.issue(args(), "run-1/step-3").unwrap();
    assert_eq!(a.rma, b.rma);
    assert_eq!(a.token, b.token);
    assert_eq!(a.pdf.artifact, b.pdf.artifact, "rendering is deterministic");
    let other = v.issue(args(), "run-2/step-3").unwrap();
    assert_ne!(other.rma, a.rma);

    let mut chars: Vec<char> = a.token.chars().collect();
    let i = 10;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    assert!(v.verify(&forged).is_err());
    assert!(v.pdf(&forged).is_err());
    assert!(v.verify("v1.abc.def").is_err());

    // The key survives a restart (same file), and another data directory's key refuses it.
    let again = vouchers(dir.path());
    assert!(again.verify(&a.token).is_ok());
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(vouchers(elsewhere.path()).verify(&a.token).is_err());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("voucher.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn function_errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_voucher::register(&mut registry, vouchers(dir.path()));
    let ctx = CallContext {
        run_id: "r".into(),
        idempotency_key: "k".into(),
        instance: "/do/0/voucher".into(),
    };
    let ok = registry
        .call("voucher.issue", ctx.clone(), args())
        .await
        .unwrap();
    assert!(
        ok["pdf"]["artifact"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    let cases = [
        (json!({"shop": "s"}), "order_id"),
        (
            {
                let mut a = args();
                a["items"] = json!([]);
                a
            },
            "items",
        ),
        (
            {
                let mut a = args();
                a["deadline"] = json!("next week");
                a
            },
            "deadline",
        ),
        (
            {
                let mut a = args();
                a["rma"] = json!("RMA 1/2");
                a
            },
            "rma",
        ),
        (
            {
                let mut a = args();
                a["items"][0]["quantity"] = json!(0);
                a
            },
            "items[0].quantity",
        ),
        (
            {
                let mut a = args();
                a["colour"] = json!("red");
                a
            },
            "colour",
        ),
        (
            {
                let mut a = args();
                a["shop"] = json!("店".repeat(61));
                a
            },
            "`shop` is longer than 60 characters",
        ),
        (
            {
                let mut a = args();
                a["instructions"] = json!(["ok", "x".repeat(301)]);
                a
            },
            "`instructions[1]` is longer than 300 characters",
        ),
        (
            {
                let mut a = args();
                a["return_address"]["phone"] = json!("1".repeat(201));
                a
            },
            "`return_address.phone` is longer than 200 characters",
        ),
    ];
    for (bad, mentions) in cases {
        let err = registry
            .call("voucher.issue", ctx.clone(), bad)
            .await
            .unwrap_err();
        assert_eq!(err.status, 400, "{err:?}");
        assert!(!err.retryable);
        let detail = err.detail.clone().unwrap_or_default();
        assert!(
            detail.contains(mentions) && detail.contains("retrying will not help"),
            "{detail}"
        );
        assert_eq!(err.instance.as_deref(), Some("/do/0/voucher"));
    }

    // Missing fonts: a configuration error naming the package and the variable.
    let store = ArtifactStore::new(dir.path().join("a2"));
    let v = Vouchers::new(
        vec![1; 32],
        store,
        "http://x",
        FontFiles {
            regular: ("/nonexistent/font.ttc".into(), 0),
            bold: None,
        },
    );
    let err = v.issue(args(), "k").unwrap_err().to_string();
    assert!(
        err.contains("fonts-noto-cjk") && err.contains("SHOPFLOW_CJK_FONT"),
        "{err}"
    );
}

/// The words of a PDF with their boxes, per page: `(page, text, x_max, y_max, page_w, page_h)`.
fn words(pdf_path: &std::path::Path) -> Vec<(usize, String, f32, f32, f32, f32)> {
    let out = poppler("pdftotext", &["-bbox", pdf_path.to_str().unwrap(), "-"]);
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |tag: &str, name: &str| -> f32 {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut found = Vec::new();
    let (mut page, mut size) = (0, (0.0, 0.0));
    for part in html.split('<').skip(1) {
        if part.starts_with("page ") {
            page += 1;
            size = (attr(part, "width"), attr(part, "height"));
        } else if part.starts_with("word ") {
            let text = part.split_once('>').unwrap().1.to_owned();
            found.push((
                page,
                text,
                attr(part, "xMax"),
                attr(part, "yMax"),
                size.0,
                size.1,
            ));
        }
    }
    found
}

#[test]
fn a_full_voucher_flows_onto_more_pages_and_stays_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let v = vouchers(dir.path());
    let mut a = args();
    // The most a voucher takes: 50 items with long names, 10 extra instructions, the longest
    // address and ids.
    a["items"] = (1..=50)
        .map(|i| {
            json!({
                "name": format!("第{i}件 明前龙井 250g 礼盒装 with a long English description number {i}"),
                "sku": format!("SKU-{i}"),
                "quantity": i,
            })
        })
        .collect();
    a["instructions"] = (1..=10)
        .map(|i| {
            json!(format!(
                "附加说明 {i}: keep the receipt of the courier, extra line {i}."
            ))
        })
        .collect();
    a["return_address"]["address"] = json!(format!(
        "浙江省 杭州市 余杭区 {}",
        "文一西路 1001 号 ".repeat(11)
    ));
    a["order_id"] = json!("4".repeat(64));
    let issued = v.issue(a, "run-1/step-9").unwrap();
    let pdf = v.pdf(&issued.token).unwrap();
    let path = dir.path().join("full.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let words = words(&path);
    let pages = words.iter().map(|w| w.0).max().unwrap();
    assert!(pages >= 2, "50 items do not fit one A4 page");
    for (page, text, x_max, y_max, w, h) in &words {
        assert!(
            *x_max <= *w + 0.5 && *y_max <= *h + 0.5,
            "{text:?} on page {page} ends at ({x_max}, {y_max}), outside the {w}×{h} page"
        );
    }
    let text: String = words
        .iter()
        .map(|w| w.1.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "第50件",
        "number 50",
        "文一西路",
        "0571-88886666",
        "extra line 10.",
        &issued.rma,
    ] {
        assert!(text.contains(want), "{want} missing from the voucher");
    }
    // Every page says whose voucher it is and which page it is.
    for page in 1..=pages {
        let on_page: String = words
            .iter()
            .filter(|w| w.0 == page)
            .map(|w| w.1.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(on_page.contains(&issued.rma), "page {page} lacks the RMA");
        assert!(
            on_page.contains(&format!("{page}/{pages}")),
            "page {page} lacks its number: {on_page}"
        );
    }
}
