//! Blocks that succeed: logging in with a secret and reading a paginated table, uploading an
//! invoice inside an iframe (and not twice), downloading, alerts, tabs, fallbacks, a button
//! that goes stale, and a named session that stays logged in.

use serde_json::{Value, json};

use crate::backoffice::{CSV, ORDERS, PASSWORD};
use crate::env::Env;

fn login_steps(office: &crate::backoffice::BackOffice) -> Value {
    json!([
        {"goto": office.url("/login")},
        {"fill": {"id": "user"}, "value": "ops"},
        {"fill": "#password", "secret": "SHOP_PASSWORD"},
        {"click": {"text": "Log in"}},
        {"wait_for": {"url": "/orders"}},
    ])
}

#[tokio::test]
async fn logs_in_with_a_secret_and_reads_every_page_of_orders() {
    let env = Env::start().await;
    let mut steps = login_steps(&env.office).as_array().cloned().unwrap();
    steps.extend([
        json!({"extract_text": "#whoami", "as": "whoami"}),
        json!({"extract_table": "table#orders", "as": "orders", "next": {"css": "a.next"}}),
        json!({"extract_text": "#orders tbody td:first-child", "all": true, "as": "last_page_ids"}),
        json!({"screenshot": "page", "as": "orders_page"}),
    ]);
    let out = env
        .call(json!({"steps": steps}))
        .await
        .expect("block succeeds");

    let orders = out["extracted"]["orders"].as_array().expect("rows");
    let expected: Vec<Value> = ORDERS
        .iter()
        .map(|(id, buyer, total)| json!({"Order": id, "Buyer": buyer, "Total": total}))
        .collect();
    assert_eq!(orders, &expected, "all 3 pages, in order");
    assert_eq!(out["extracted"]["last_page_ids"], json!(["A7", "A8"]));
    assert_eq!(
        out["extracted"]["whoami"],
        json!("Logged in as ops (password ***)"),
        "the echoed password is hidden"
    );
    assert!(
        out["url"].as_str().unwrap().ends_with("/orders?page=3"),
        "{out}"
    );
    assert_eq!(out["title"], json!("Orders"));
    let png = env.artifact(&out["extracted"]["orders_page"]);
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    assert_eq!(out["artifacts"].as_array().unwrap().len(), 1);
    assert!(!out.to_string().contains(PASSWORD));
    env.finish().await;
}

#[tokio::test]
async fn uploads_an_invoice_inside_an_iframe_once() {
    let env = Env::start().await;
    let invoice = b"%PDF-1.4\n% fake invoice for order A1\n%%EOF\n";
    let file = env
        .store
        .put(invoice, "application/pdf", "invoice-A1.pdf")
        .expect("stored");
    // The "already done" pattern: the block first looks whether the invoice is there.
    let block = json!({
        "steps": [
            {"goto": env.office.url("/invoice")},
            {"within_frame": "#invoice-frame", "steps": [
                {"wait_for": {"visible": "#status"}},
                {"stop_if": {"text": "Uploaded", "in": "#status"}},
                {"upload": "input[type=file]", "file": file},
                {"click": {"text": "Upload invoice"}},
                {"wait_for": {"text": "Uploaded", "in": "#status"}},
                {"extract_text": "#status", "as": "status"},
            ]},
        ]
    });
    let first = env.call(block.clone()).await.expect("first run uploads");
    assert_eq!(first["extracted"]["status"], json!("Uploaded (1)"));
    assert_eq!(first["stopped"], Value::Null);
    {
        let seen = env.office.seen.lock().unwrap();
        assert_eq!(seen.uploads.len(), 1);
        let body = &seen.uploads[0];
        let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        assert!(has(invoice), "the server got the file's bytes");
        assert!(
            has(b"filename=\"invoice-A1.pdf\""),
            "under the artifact's name"
        );
    }

    // A retry of the same block (say after a crash before its result was journaled) finds
    // the invoice uploaded and stops without uploading again.
    let again = env.call(block).await.expect("second run stops early");
    assert_eq!(
        again["stopped"],
        json!({"step": "steps[1].steps[1]", "condition": "css \"#status\" to show \"Uploaded\""})
    );
    assert_eq!(env.office.seen.lock().unwrap().uploads.len(), 1);
    env.finish().await;
}

#[tokio::test]
async fn downloads_handles_alerts_tabs_selects_and_fallbacks() {
    let env = Env::start().await;
    let out = env
        .call(json!({
            "steps": [
                {"goto": env.office.url("/reports")},
                {"download": {"link": "Download CSV"}, "as": "report"},
                {"goto": env.office.url("/tools")},
                // The first alternative is gone from the page (the button was renamed).
                {"click": {"any_of": [{"css": "button.save"}, {"xpath": "//button[text()='Save']"}]}},
                {"select": "#carrier", "label": "JD Logistics"},
                {"extract_text": "#carrier", "attribute": "value", "as": "carrier"},
                {"click": "#refund"},
                {"alert": "accept", "as": "question"},
                {"wait_for": {"text": "refunded", "in": "#result"}},
                {"click": "#refund"},
                {"alert": "dismiss"},
                {"wait_for": {"text": "kept", "in": "#result"}},
                {"click": {"link": "Help centre"}},
                {"switch_to": {"url": "/help"}},
                {"extract_text": {"id": "title"}, "as": "help_title"},
                {"switch_to": {"tab": 0}},
                {"new_tab": env.office.url("/help")},
                {"switch_to": {"title": "Tools"}},
                {"extract_text": "#result", "as": "result"},
            ]
        }))
        .await
        .expect("block succeeds");
    let report = &out["extracted"]["report"];
    assert_eq!(env.artifact(report), CSV.as_bytes(), "downloaded bytes");
    assert_eq!(report["name"], json!("orders.csv"));
    assert_eq!(report["media_type"], json!("text/csv"));
    assert_eq!(out["extracted"]["carrier"], json!("jd"));
    assert_eq!(out["extracted"]["question"], json!("Refund order A1?"));
    assert_eq!(out["extracted"]["help_title"], json!("Help centre"));
    assert_eq!(out["extracted"]["result"], json!("kept"));
    assert_eq!(out["title"], json!("Tools"));
    env.finish().await;
}

#[tokio::test]
async fn retries_a_click_on_a_stale_and_covered_button() {
    let env = Env::start().await;
    let out = env
        .call(json!({
            "steps": [
                {"goto": env.office.url("/flaky")},
                {"click": "#confirm", "timeout": "PT10S"},
                {"wait_for": {"text": "confirmed", "in": "#done"}, "timeout": "PT5S"},
                {"wait_for": {"gone": "#overlay"}},
                {"wait_for": {"hidden": "#overlay"}},
                {"wait_for": {"present": "#slot button"}},
            ]
        }))
        .await
        .expect("the click lands once the page settles");
    assert_eq!(out["stopped"], Value::Null);
    env.finish().await;
}

#[tokio::test]
async fn a_named_session_keeps_its_cookie_across_blocks() {
    let env = Env::start().await;
    let login = json!({"session": "shop-1", "steps": login_steps(&env.office)});
    env.call(login).await.expect("login");

    let orders = json!({
        "session": "shop-1",
        "steps": [
            {"goto": env.office.url("/orders")},
            {"extract_text": "#orders tbody tr:first-child td", "as": "first"},
        ]
    });
    let out = env.call(orders).await.expect("still logged in");
    assert_eq!(out["extracted"]["first"], json!("A1"));
    assert_eq!(out["session"], json!("shop-1"));
    assert!(env.data_dir().join("profiles/shop-1").is_dir());

    // Without the session, the same page sends the browser to the login form.
    let fresh = env
        .call(json!({"steps": [
            {"goto": env.office.url("/orders")},
            {"wait_for": {"visible": "#password"}},
        ]}))
        .await
        .expect("a fresh profile");
    assert!(
        fresh["url"].as_str().unwrap().ends_with("/login"),
        "{fresh}"
    );
    env.finish().await;
}
