//! `invoice.render` for real: the PDF is read back with poppler (`pdftotext`, `pdfinfo`) and
//! with shopflow's own OCR (`ocr.invoice` on the rasterised page), numbers come from the
//! durable sequence in `DATA/invoice.db`, and a step's idempotency key gives the same number
//! and the same PDF however often it runs — also after a restart and after the PDF was lost.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry, WorkflowError};
use shopflow_invoice::{InvoiceSettings, Invoices};
use shopflow_voucher::FontFiles;

/// 2026-11-26 10:00 in China (02:00 UTC).
const NOW_MS: i64 = 1_795_658_400_000;
const BUYER_ID: &str = "91350100M000100Y43";
const SELLER_ID: &str = "91330106MA2H4KD754";

fn settings() -> InvoiceSettings {
    let config = shopflow_connectors::Config::parse(
        &format!(
            "[invoice]\nprovince = \"33\"\nissuer = \"王芳\"\n[invoice.seller]\nname = \"杭州云栖科技有限公司\"\ntax_id = \"{SELLER_ID}\"\n"
        ),
        Path::new("shopflow.toml"),
        &|_| None,
    )
    .expect("config");
    InvoiceSettings::from_config(&config).expect("settings")
}

fn registry(dir: &Path, settings: InvoiceSettings) -> FunctionRegistry {
    let invoices = Invoices::open(
        settings,
        dir,
        ArtifactStore::new(dir.join("artifacts")),
        FontFiles::from_env(),
        Arc::new(|| NOW_MS),
    )
    .expect("open the invoice ledger");
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_invoice::register(&mut registry, Arc::new(invoices));
    shopflow_ocr::register(
        &mut registry,
        Some(ArtifactStore::new(dir.join("artifacts"))),
    );
    registry
}

async fn call(
    registry: &FunctionRegistry,
    name: &str,
    key: &str,
    args: Value,
) -> Result<Value, WorkflowError> {
    let ctx = CallContext {
        run_id: "run-1".into(),
        idempotency_key: key.into(),
        instance: "/do/1/render".into(),
    };
    registry.call(name, ctx, args).await
}

/// `invoice.compute`'s output for a two-line order, and `invoice.render`'s arguments from it.
async fn render_args(registry: &FunctionRegistry) -> Value {
    let computed = call(
        registry,
        "invoice.compute",
        "run-1/0",
        json!({
            "buyer": {"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": BUYER_ID},
            "prices_include_tax": true,
            "lines": [
                {"name": "*茶*明前龙井", "model": "250g", "unit": "盒", "quantity": 2, "unit_price": "52.45", "tax_rate": "13%"},
                {"name": "*现代服务*快递服务费", "unit": "次", "quantity": 1, "amount": "10.00", "tax_rate": "6%"}
            ],
            "expected_total": "114.90"
        }),
    )
    .await
    .expect("compute");
    assert_eq!(computed["confident"], true, "{computed}");
    json!({
        "buyer": {"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": BUYER_ID},
        "lines": computed["lines"],
        "amount": computed["amount"],
        "tax": computed["tax"],
        "total": computed["total"],
        "order_id": "4102938475610293",
        "remarks": "含快递服务费"
    })
}

fn pdf_bytes(dir: &Path, rendered: &Value) -> Vec<u8> {
    let store = ArtifactStore::new(dir.join("artifacts"));
    let reference = rendered["pdf"]["artifact"].as_str().expect("artifact");
    store.get(reference).expect("read").expect("stored")
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by `make setup`): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdf_text(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("check.pdf");
    std::fs::write(&path, pdf).unwrap();
    let text = poppler("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    if let Ok(keep) = std::env::var("SHOPFLOW_KEEP_INVOICE_PDF") {
        std::fs::copy(&path, keep).unwrap();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pdf_says_what_was_computed() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let args = render_args(&registry).await;
    let rendered = call(&registry, "invoice.render", "run-1/1", args)
        .await
        .expect("render");
    // 26 (year of the clock's day) 33 (Zhejiang) 2 (channel) and the first of the sequence.
    assert_eq!(rendered["invoice_number"], "26332000000000000001");
    assert_eq!(rendered["issue_date"], "2026-11-26");
    assert_eq!(rendered["pdf"]["media_type"], "application/pdf");
    assert_eq!(rendered["pdf"]["name"], "invoice-26332000000000000001.pdf");
    assert!(rendered.get("pdf_base64").is_none(), "no blobs in run data");

    let pdf = pdf_bytes(dir.path(), &rendered);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(rendered["pdf"]["size"], pdf.len());
    assert!(pdf.len() < 200_000, "a subset font: {} bytes", pdf.len());
    let text = pdf_text(dir.path(), &pdf);
    for expected in [
        "电子发票（普通发票）",
        "26332000000000000001",
        "2026年11月26日",
        "福州闽江贸易有限公司",
        BUYER_ID,
        "杭州云栖科技有限公司",
        SELLER_ID,
        "*茶*明前龙井",
        "250g",
        "46.415",
        "92.83",
        "12.07",
        "13%",
        "*现代服务*快递服务费",
        "9.43",
        "0.57",
        "6%",
        "¥102.26",
        "¥12.64",
        "壹佰壹拾肆圆玖角",
        "¥114.90",
        "订单号：4102938475610293",
        "含快递服务费",
        "王芳",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` not in the PDF text:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_step_gets_the_same_number_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let args = render_args(&registry).await;
    let first = call(&registry, "invoice.render", "run-1/1", args.clone())
        .await
        .unwrap();
    let again = call(&registry, "invoice.render", "run-1/1", args.clone())
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = call(&registry, "invoice.render", "run-2/1", args.clone())
        .await
        .unwrap();
    assert_eq!(other["invoice_number"], "26332000000000000002");
    assert_ne!(other["pdf"]["artifact"], first["pdf"]["artifact"]);

    // A restart: a new worker on the same data directory.
    drop(registry);
    let registry = self::registry(dir.path(), settings());
    let after_restart = call(&registry, "invoice.render", "run-1/1", args.clone())
        .await
        .unwrap();
    assert_eq!(after_restart, first);

    // The PDF was lost (a data directory restored without its artifacts): the same number is
    // printed again, and the PDF comes out byte for byte the same.
    let store = ArtifactStore::new(dir.path().join("artifacts"));
    let path = store
        .path(first["pdf"]["artifact"].as_str().unwrap())
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let rerendered = call(&registry, "invoice.render", "run-1/1", args.clone())
        .await
        .unwrap();
    assert_eq!(rerendered, first);
    assert!(path.exists());

    // The same step with other arguments is a bug in the flow, not a second invoice.
    let mut changed = args.clone();
    changed["remarks"] = json!("另一张");
    let e = call(&registry, "invoice.render", "run-1/1", changed)
        .await
        .unwrap_err();
    assert_eq!(e.status, 400);
    assert!(!e.retryable);
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("already rendered invoice 26332000000000000001"),
        "{e}"
    );
    let next = call(&registry, "invoice.render", "run-3/1", args)
        .await
        .unwrap();
    assert_eq!(
        next["invoice_number"], "26332000000000000003",
        "no number was spent on the refused call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocr_reads_back_the_number_tax_ids_and_money() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let mut args = render_args(&registry).await;
    args["issue_date"] = json!("2026-11-20");
    let rendered = call(&registry, "invoice.render", "run-1/1", args)
        .await
        .unwrap();
    let read = call(
        &registry,
        "ocr.invoice",
        "run-1/2",
        json!({"artifact": rendered["pdf"]}),
    )
    .await
    .expect("ocr.invoice");
    let field = |name: &str| read["fields"][name]["value"].clone();
    assert_eq!(read["layout"], "fapiao", "{read:#}");
    assert_eq!(field("invoice_number"), rendered["invoice_number"]);
    assert_eq!(field("issue_date"), "2026-11-20");
    assert_eq!(field("buyer_tax_id"), BUYER_ID);
    assert_eq!(field("seller_tax_id"), SELLER_ID);
    assert_eq!(field("amount"), "102.26");
    assert_eq!(field("tax"), "12.64");
    assert_eq!(field("total"), "114.90", "{:#}", read["lines"]);
    let items = read["line_items"].as_array().expect("line items");
    assert_eq!(items.len(), 2, "{read:#}");
    assert_eq!(items[0]["amount"], "92.83");
    assert_eq!(items[0]["tax"], "12.07");
    assert_eq!(items[1]["tax_rate"], "6%");
}

/// Other amounts, a special invoice, a private buyer: what `invoice.compute` made, `ocr.invoice`
/// reads back from the rendered PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocr_round_trip_on_other_invoices() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let cases = [
        (
            "special",
            json!({"name": "北京明辉科技有限公司", "kind": "company", "tax_id": "91110108551385082Q"}),
            json!([
                {"name": "*计算机配套产品*无线鼠标", "model": "M330", "unit": "个", "quantity": 3, "unit_price": "59.00", "tax_rate": "13%"},
                {"name": "*谷物*有机大米", "model": "5kg", "unit": "袋", "quantity": 20, "unit_price": "39.90", "tax_rate": "9%"},
                {"name": "*现代服务*安装服务", "quantity": 1, "amount": "1000.00", "tax_rate": "6%"}
            ]),
        ),
        (
            "normal",
            json!({"name": "张伟", "kind": "person"}),
            json!([
                {"name": "*文具*中性笔", "model": "0.5mm", "unit": "盒", "quantity": 4, "unit_price": "18.50", "tax_rate": "3%"},
                {"name": "*纸制品*笔记本", "model": "A5", "unit": "本", "quantity": 10, "unit_price": "6.60", "tax_rate": "1%"}
            ]),
        ),
    ];
    for (i, (kind, buyer, lines)) in cases.into_iter().enumerate() {
        let computed = call(
            &registry,
            "invoice.compute",
            "k",
            json!({"buyer": buyer, "lines": lines}),
        )
        .await
        .unwrap();
        assert_eq!(computed["confident"], true, "{computed}");
        let rendered = call(
            &registry,
            "invoice.render",
            &format!("run-{i}/1"),
            json!({
                "kind": kind, "issue_date": "2026-03-14", "buyer": buyer,
                "lines": computed["lines"], "amount": computed["amount"],
                "tax": computed["tax"], "total": computed["total"], "order_id": format!("O-{i}")
            }),
        )
        .await
        .unwrap();
        let read = call(
            &registry,
            "ocr.invoice",
            "k",
            json!({"artifact": rendered["pdf"]}),
        )
        .await
        .unwrap();
        let field = |name: &str| read["fields"][name]["value"].clone();
        assert_eq!(
            field("invoice_number"),
            rendered["invoice_number"],
            "{kind}"
        );
        assert_eq!(field("issue_date"), "2026-03-14", "{kind}");
        assert_eq!(field("seller_tax_id"), SELLER_ID, "{kind}");
        if let Some(id) = buyer.get("tax_id") {
            assert_eq!(&field("buyer_tax_id"), id, "{kind}");
        }
        for money in ["amount", "tax", "total"] {
            assert_eq!(
                field(money),
                computed[money],
                "{kind} {money}: {:#}",
                read["lines"]
            );
        }
        let items = read["line_items"].as_array().unwrap();
        assert_eq!(
            items.len(),
            computed["lines"].as_array().unwrap().len(),
            "{kind}"
        );
        for (item, line) in items.iter().zip(computed["lines"].as_array().unwrap()) {
            for key in ["amount", "tax_rate", "tax"] {
                assert_eq!(item[key], line[key], "{kind} {key}: {item}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_lines_continue_on_more_pages() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let lines: Vec<Value> = (1..=60)
        .map(|i| {
            json!({"name": format!("*日用杂品*收纳盒第{i}号（大号，带盖，可叠放，适合衣柜和书架）"), "quantity": 1, "unit_price": format!("{i}.00"), "tax_rate": "13%"})
        })
        .collect();
    let computed = call(
        &registry,
        "invoice.compute",
        "k",
        json!({"buyer": {"name": "张伟", "kind": "person"}, "lines": lines}),
    )
    .await
    .unwrap();
    assert_eq!(computed["total"], "2067.90");
    let rendered = call(
        &registry,
        "invoice.render",
        "run-1/1",
        json!({
            "issue_date": "2026-11-26",
            "buyer": {"name": "张伟", "kind": "person"},
            "lines": computed["lines"], "amount": computed["amount"],
            "tax": computed["tax"], "total": computed["total"],
            "order_id": "O-60"
        }),
    )
    .await
    .unwrap();
    let pdf = pdf_bytes(dir.path(), &rendered);
    let path = dir.path().join("many.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("page count");
    assert!(pages >= 3, "{info}");
    let text = pdf_text(dir.path(), &pdf);
    for i in 1..=60 {
        assert!(text.contains(&format!("收纳盒第{i}号")), "line {i} missing");
    }
    assert_eq!(text.matches("价税合计").count(), 1);
    let squeezed: String = text.split_whitespace().collect();
    assert!(squeezed.contains(&format!("第{pages}页共{pages}页")));
    assert_eq!(text.matches("26332000000000000001").count(), pages);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_steps_get_distinct_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path(), settings());
    let args = render_args(&registry).await;
    let calls = (0..8).map(|i| {
        let (registry, args) = (registry.clone(), args.clone());
        async move {
            call(&registry, "invoice.render", &format!("run-{i}/1"), args)
                .await
                .unwrap()["invoice_number"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    let mut numbers = futures::future::join_all(calls).await;
    numbers.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("26332{n:015}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn a_number_needs_the_province() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.province = None;
    let registry = registry(dir.path(), s);
    let args = render_args(&registry).await;
    let e = call(&registry, "invoice.render", "run-1/1", args.clone())
        .await
        .unwrap_err();
    assert!(e.type_.ends_with("/configuration"), "{e}");
    assert!(!e.retryable);
    assert!(e.detail.unwrap().contains("[invoice] province"));
    // A number the flow already has needs no province.
    let mut given = args;
    given["invoice_number"] = json!("26330000000000000042");
    let ok = call(&registry, "invoice.render", "run-1/2", given.clone())
        .await
        .unwrap();
    assert_eq!(ok["invoice_number"], "26330000000000000042");
    // Without `issue_date` the invoice is dated today (2026): a 2025 number does not fit.
    let mut last_year = given;
    last_year["invoice_number"] = json!("25330000000000000042");
    let e = call(&registry, "invoice.render", "run-1/3", last_year)
        .await
        .unwrap_err();
    assert!(
        e.detail
            .unwrap()
            .contains("starts with year 25 but the invoice is issued on 2026-11-26")
    );
}
