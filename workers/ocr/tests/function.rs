//! `ocr.text` and `ocr.invoice` as flows call them: artifacts and base64 in, the result as
//! JSON out, errors as RFC 7807 problems with the calling task, several calls at once.

use std::io::Cursor;

use base64::Engine as _;
use image::ImageFormat;
use serde_json::{Value, json};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry, WorkflowError};
use shopflow_ocr::samples::{self, RenderOptions};

mod support;

fn ctx() -> CallContext {
    CallContext {
        run_id: "run-1".into(),
        idempotency_key: "run-1/0".into(),
        instance: "/do/0/readInvoice".into(),
    }
}

fn png(variant: usize) -> (Vec<u8>, samples::Truth) {
    let sample = samples::order_screenshot(&RenderOptions {
        variant,
        ..RenderOptions::default()
    })
    .expect("fonts are installed");
    let mut out = Cursor::new(Vec::new());
    sample.image.write_to(&mut out, ImageFormat::Png).unwrap();
    (out.into_inner(), sample.truth)
}

async fn call(
    registry: &FunctionRegistry,
    name: &str,
    args: Value,
) -> Result<Value, WorkflowError> {
    registry.call(name, ctx(), args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_and_base64_are_read_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_ocr::register(&mut registry, Some(store.clone()));
    assert!(!registry.has_effects("ocr.invoice") && !registry.has_effects("ocr.text"));

    let (bytes0, truth0) = png(0);
    let (bytes1, truth1) = png(1);
    let artifact = store.put(&bytes0, "image/png", "order.png").unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes1);
    let (a, b, t) = tokio::join!(
        call(
            &registry,
            "ocr.invoice",
            json!({"artifact": artifact.artifact})
        ),
        call(
            &registry,
            "ocr.invoice",
            json!({"base64": b64, "media_type": "image/png"})
        ),
        // The artifact object a step returned works as well.
        call(
            &registry,
            "ocr.text",
            json!({"artifact": artifact, "languages": "chi_sim+eng"})
        ),
    );
    let (a, b, t) = (a.unwrap(), b.unwrap(), t.unwrap());
    assert_eq!(a["kind"], "invoice");
    assert_eq!(a["layout"], "order_screenshot");
    assert_eq!(
        a["fields"]["order_number"]["value"],
        truth0.fields["order_number"].as_str()
    );
    assert_eq!(
        b["fields"]["total"]["value"],
        truth1.fields["total"].as_str()
    );
    assert!(a["fields"]["total"]["box"]["page"] == 1);
    let confidence = a["fields"]["total"]["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    assert_eq!(t["kind"], "text");
    assert_eq!(t["fields"], json!({}));
    assert!(
        t["text"].as_str().unwrap().contains("订单"),
        "{}",
        t["text"]
    );
    assert!(t["lines"].as_array().unwrap().len() > 5);
}

#[tokio::test]
async fn bad_calls_are_problems_with_the_task_and_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_ocr::register(&mut registry, Some(store));
    let missing = format!("sha256:{}", "a".repeat(64));
    let html = base64::engine::general_purpose::STANDARD.encode("<html></html>");
    for (args, title, needle) in [
        (json!({}), "Invalid arguments", "no document given"),
        (
            json!({"base64": "!!!"}),
            "Invalid arguments",
            "not valid base64",
        ),
        (
            json!({"artifact": missing}),
            "Artifact not found",
            "not in the artifact store",
        ),
        (json!({"base64": ""}), "Empty document", "empty"),
        (
            json!({"base64": html, "media_type": "text/html"}),
            "Unsupported document type",
            "Convert the document",
        ),
        (
            json!({"base64": "aGk=", "pages": 0}),
            "Invalid arguments",
            "`pages`",
        ),
    ] {
        let err = call(&registry, "ocr.invoice", args.clone())
            .await
            .unwrap_err();
        assert_eq!(err.title.as_deref(), Some(title), "{args}: {err}");
        assert_eq!(err.status, 400, "{args}");
        assert!(!err.retryable, "{args}");
        assert_eq!(err.instance.as_deref(), Some("/do/0/readInvoice"));
        let detail = err.detail.unwrap_or_default();
        assert!(detail.contains(needle), "{args}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_documents_fail_alone_and_the_pool_goes_on() {
    let scratch = tempfile::tempdir().unwrap();
    let mut registry = FunctionRegistry::with_builtins();
    // One document at a time: a failure that kept its permit would block the next call.
    shopflow_ocr::register_with(
        &mut registry,
        None,
        1,
        shopflow_ocr::Options {
            scratch_dir: Some(scratch.path().to_owned()),
            ..shopflow_ocr::Options::default()
        },
    );
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let blank = image::GrayImage::from_pixel(8, 8, image::Luma([255]));
    let long_pdf = samples::image_pdf(&vec![blank; 500], 72).unwrap();
    let mut cut_png = Cursor::new(Vec::new());
    image::GrayImage::from_pixel(64, 64, image::Luma([9]))
        .write_to(&mut cut_png, ImageFormat::Png)
        .unwrap();
    let cut_png = cut_png.into_inner()[..60].to_vec();
    for (bytes, title, needle) in [
        (
            support::png_header_only(20_000, 10_000),
            "Image too large",
            "20000×10000 pixels (200.0 megapixels); the limit is 50 megapixels",
        ),
        (long_pdf, "Too many pages", "500 pages; at most 20"),
        (
            b"%PDF-1.4\nbroken".to_vec(),
            "Corrupt document",
            "the PDF is corrupt",
        ),
        (cut_png, "Corrupt document", "the PNG image is corrupt"),
        (Vec::new(), "Empty document", "empty (0 bytes)"),
    ] {
        let err = call(&registry, "ocr.text", json!({"base64": b64(&bytes)}))
            .await
            .unwrap_err();
        assert_eq!(err.title.as_deref(), Some(title), "{err}");
        assert_eq!(err.status, 400, "{err}");
        assert!(!err.retryable, "{err}");
        assert_eq!(err.instance.as_deref(), Some("/do/0/readInvoice"));
        let detail = err.detail.unwrap_or_default();
        assert!(
            detail.starts_with("`with.base64`: ") && detail.contains(needle),
            "{detail}"
        );
        assert!(
            detail.ends_with("Retrying the same document fails the same way."),
            "{detail}"
        );
    }
    let no_files: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(no_files.is_empty(), "temporary files left: {no_files:?}");

    // The pool still reads a good document.
    let (bytes, truth) = png(2);
    let ok = call(&registry, "ocr.invoice", json!({"base64": b64(&bytes)}))
        .await
        .expect("a good document after the bad ones");
    assert_eq!(
        ok["fields"]["order_number"]["value"],
        truth.fields["order_number"].as_str()
    );
}
