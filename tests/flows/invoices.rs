//! `workflows/invoice-ocr.yaml` (and `invoice-requests-sweep.yaml`): an invoice issued and
//! uploaded with no person and a mistyped tax id corrected by finance (both on each backend),
//! a rejected request, and an invoice from an order screenshot read by OCR.

use serde_json::{Value, json};
use shopflow_connectors::tax_id::is_valid_credit_code;

use crate::world::{MINUTE, World};

const FLOW: &str = "invoice-ocr.yaml";
/// A credit code that passes its check (DOMAIN.md's worked example).
const GOOD_ID: &str = "91350100M000100Y43";
/// The same with its check character mistyped.
const TYPO_ID: &str = "91350100M000100Y44";

async fn invoices(w: &World, shop: &str, order: &str) -> Vec<Value> {
    let v = w
        .sandbox_get(&format!("/_sandbox/orders/{shop}/{order}"))
        .await;
    v["invoices"].as_array().cloned().unwrap_or_default()
}

async fn request(w: &World, shop: &str, order: &str, payer: Value) {
    w.publish(json!({
        "specversion": "1.0", "id": format!("invoice:{shop}:{order}"), "source": "tests",
        "type": "shopflow.invoice.requested", "subject": order,
        "data": {"shop": shop, "order_id": order, "payer": payer},
    }))
    .await;
}

crate::on_both_backends! {
async fn a_pinduoduo_application_is_issued_and_uploaded_without_a_person(on: On) {
    // The sweep's schedule ticks on the world's clock on both backends (the engine keeps
    // schedules); on Temporal its emit comes back through serve and starts invoice-ocr.
    let w = World::start_on(on, &[FLOW, "invoice-requests-sweep.yaml"]).await;
    let order = w
        .order("pdd", "paid", "陶瓷餐具 四件套", "DISH-4", 13_800)
        .await;
    let order = order["order_id"].as_str().expect("order id").to_owned();
    w.sandbox_post(
        "/_sandbox/invoice-requests",
        json!({"shop": "pdd", "order_id": order, "business_type": 1,
               "payer_name": "杭州青禾贸易有限公司", "payer_register_no": GOOD_ID}),
    )
    .await;
    // The sweep runs every 15 minutes and requests the invoice.
    w.advance(15 * MINUTE);
    let run = w.run_of("invoice-ocr").await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "issued", "{out}");
    assert_eq!(out["automatic"], true);
    assert_eq!(out["total"], "138.00");
    // 138.00 tax-inclusive at 13 %: 122.12 + 15.88.
    assert_eq!(out["amount"], "122.12");
    assert_eq!(out["tax"], "15.88");
    let number = out["invoice_number"].as_str().expect("invoice number");
    assert_eq!(number.len(), 20);
    let uploaded = invoices(&w, "pdd", &order).await;
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    assert_eq!(uploaded[0]["invoice_no"], number);
    assert_eq!(uploaded[0]["payer_register_no"], GOOD_ID);
    // The next sweep does not request it again.
    w.advance(15 * MINUTE);
    let second = w.nth_run("invoice-requests-sweep", 2).await;
    w.output(&second).await;
    assert_eq!(w.runs_of("invoice-ocr").await.len(), 1, "{}", w.describe().await);
    w.stop().await;
}
}

crate::on_both_backends! {
async fn a_mistyped_tax_id_is_corrected_by_finance_and_audited(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    let order = w
        .order("tmall", "paid", "空气炸锅 4.5L", "FRYER-45", 45_900)
        .await;
    let order = order["order_id"].as_str().expect("order id").to_owned();
    assert!(!is_valid_credit_code(TYPO_ID));
    request(
        &w,
        "tmall",
        &order,
        json!({"kind": "company", "name": "上海悦家电子商务有限公司", "tax_id": TYPO_ID}),
    )
    .await;
    let run = w.run_of("invoice-ocr").await;
    let tasks = w.tasks("finance", 1).await;
    let task = &tasks[0];
    assert!(
        task["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["field"].as_str().is_some_and(|f| f.contains("tax_id"))),
        "the reason names the tax id: {task}"
    );
    assert_eq!(task["data"]["total"], "459.00");
    let id = task["id"]
        .as_str()
        .or(task["task_id"].as_str())
        .expect("task id")
        .to_owned();
    w.api_post(
        &format!("/api/v1/tasks/{id}/decision"),
        json!({"decision": "approve", "reason": "税号按营业执照更正", "by": "chen.jing",
               "changes": {"payer": {"tax_id": GOOD_ID}}}),
    )
    .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "issued", "{out}");
    assert_eq!(out["automatic"], false);
    assert_eq!(out["reviewed_by"], "chen.jing");
    let uploaded = invoices(&w, "tmall", &order).await;
    assert_eq!(uploaded.len(), 1);
    assert_eq!(
        uploaded[0]["payer_register_no"], GOOD_ID,
        "the corrected id is on the invoice"
    );
    let audited = w.api_get(&format!("/api/v1/tasks/{id}")).await;
    let audit = audited["audit"].as_array().expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a["by"] == "chen.jing" && a["after"].to_string().contains(GOOD_ID)),
        "the decision is in the audit log with the correction: {audited}"
    );
    w.stop().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_request_is_not_issued() {
    let w = World::start(&[FLOW]).await;
    let order = w
        .order("tmall", "paid", "智能手表 运动版", "WATCH-S", 89_900)
        .await;
    let order = order["order_id"].as_str().expect("order id").to_owned();
    request(
        &w,
        "tmall",
        &order,
        json!({"kind": "company", "name": "某某公司", "tax_id": "12345"}),
    )
    .await;
    let run = w.run_of("invoice-ocr").await;
    let tasks = w.tasks("finance", 1).await;
    let id = tasks[0]["id"]
        .as_str()
        .or(tasks[0]["task_id"].as_str())
        .expect("task id")
        .to_owned();
    w.api_post(
        &format!("/api/v1/tasks/{id}/decision"),
        json!({"decision": "reject", "reason": "抬头与税号无法核实", "by": "chen.jing", "changes": {}}),
    )
    .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "rejected", "{out}");
    assert!(invoices(&w, "tmall", &order).await.is_empty());
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_screenshot_is_read_and_invoiced() {
    use shopflow_ocr::samples::{RenderOptions, SampleLayout, render};
    let w = World::start(&[FLOW]).await;
    // A Taobao order-detail screenshot; the order it shows exists on the platform.
    let sample = render(SampleLayout::OrderScreenshot, &RenderOptions::default()).expect("render");
    let truth = &sample.truth;
    let order_id = truth.fields["order_number"].clone();
    let items: Vec<Value> = truth
        .line_items
        .iter()
        .map(|l| {
            let price = shopflow_connectors::money::parse_yuan(&l["unit_price"]).expect("price");
            json!({"title": l["name"], "price_fen": price,
                   "quantity": l["quantity"].parse::<i64>().expect("quantity"), "sku": "SHOT"})
        })
        .collect();
    w.sandbox_post(
        "/_sandbox/orders",
        json!({"shop": "tmall", "status": "paid", "order_id": order_id, "items": items}),
    )
    .await;
    let lines: Vec<Value> = truth
        .line_items
        .iter()
        .map(|l| {
            json!({"name": l["name"], "quantity": l["quantity"].parse::<i64>().expect("quantity"),
                        "unit_price": l["unit_price"], "tax_rate": "13%"})
        })
        .collect();
    let lines_fen: i64 = truth
        .line_items
        .iter()
        .map(|l| shopflow_connectors::money::parse_yuan(&l["amount"]).expect("line amount"))
        .sum();
    let mut png = Vec::new();
    sample
        .image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode the screenshot");
    let shot = w
        .stack()
        .artifacts
        .put(&png, "image/png", "order.png")
        .expect("store the screenshot");
    w.publish(json!({
        "specversion": "1.0", "id": "invoice:screenshot:1", "source": "tests",
        "type": "shopflow.invoice.requested",
        "data": {"shop": "tmall", "screenshot": shot, "payer": {"kind": "person", "name": "王芳"}},
    }))
    .await;
    let run = w.run_of("invoice-ocr").await;
    // OCR may doubt a glyph; then finance looks at it first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let out = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the screenshot run ends in time; runs:\n{}",
            w.describe().await
        );
        let v = w.api_get("/api/v1/tasks?queue=finance&status=open").await;
        if let Some(t) = v["tasks"].as_array().and_then(|t| t.first()).cloned() {
            assert!(
                !t["data"]["ocr_fields"].is_null(),
                "the task shows what OCR read: {t}"
            );

            let id = t["id"]
                .as_str()
                .or(t["task_id"].as_str())
                .expect("task id")
                .to_owned();
            w.api_post(
                &format!("/api/v1/tasks/{id}/decision"),
                // The screenshot's total is after a shop discount; the clerk checks the order on
                // the platform and invoices its lines as they are.
                json!({"decision": "approve", "reason": "按平台订单金额开票", "by": "chen.jing",
                       "changes": {"order_id": order_id, "lines": lines,
                                   "expected_total": shopflow_connectors::money::format_fen(lines_fen)}}),
            )
            .await;
        }
        if w.run(&run).await.status.is_final() {
            break w.output(&run).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(out["outcome"], "issued", "{out}");
    assert_eq!(out["order_id"], order_id.as_str());
    assert_eq!(invoices(&w, "tmall", &order_id).await.len(), 1);
    w.stop().await;
}
