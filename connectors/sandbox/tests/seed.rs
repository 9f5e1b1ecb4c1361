//! Seeded data: counts, determinism, and valid credit codes on company invoice applications.

mod common;

use common::{gmt8, start_with};
use serde_json::{Value, json};

async fn trades(h: &common::Harness, now: i64) -> Value {
    let (_, body) = h
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.trades.sold.get",
            &[("fields", "tid"), ("page_size", "100")],
            &gmt8(now),
            "tbsecret",
        )
        .await;
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn seeding_is_deterministic_and_company_codes_are_valid() {
    let now = common::now_ms();
    let a = start_with(None, Some(now)).await;
    let b = start_with(None, Some(now)).await;
    let summary = a.sandbox.seed(60, 7).unwrap();
    assert_eq!(summary, b.sandbox.seed(60, 7).unwrap());
    assert_eq!(summary.shops, 6);
    assert_eq!(summary.orders, 360);
    assert_eq!(summary.return_addresses, 12);
    assert!(
        summary.unpaid > 0 && summary.refunds + summary.returns > 0,
        "{summary:?}"
    );
    let list = |v: Value| v["trades_sold_get_response"]["trades"].clone();
    assert_eq!(list(trades(&a, now).await), list(trades(&b, now).await));
    let t = trades(&a, now).await;
    assert_eq!(t["trades_sold_get_response"]["total_results"], 60, "{t}");

    // Seeding again with the same seed adds nothing.
    let (_, again) = a
        .control("/_sandbox/seed", json!({"orders": 60, "seed": 7}))
        .await;
    assert_eq!(again["orders"], 0, "{again}");

    let mut pdd = Vec::new();
    for page in 1..=3 {
        let p = page.to_string();
        let (_, body) = a
            .pdd_raw(
                "pddclient",
                "pdd-token",
                "pdd.invoice.application.query",
                &[("page", &p), ("page_size", "100"), ("status", "0")],
                now / 1000,
            )
            .await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        let list = v["invoice_application_query_response"]["invoice_application_list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if list.is_empty() {
            break;
        }
        pdd.extend(list);
    }
    assert_eq!(pdd.len(), summary.invoice_applications);
    for app in pdd.iter().filter(|a| a["business_type"] == 1) {
        let code = app["payer_register_no"].as_str().unwrap();
        assert!(
            shopflow_connectors::tax_id::is_valid_credit_code(code),
            "{code}"
        );
    }

    // Chinese details on the Chinese platforms.
    let tid = t["trades_sold_get_response"]["trades"]["trade"][0]["tid"].to_string();
    let (_, body) = a
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.trade.fullinfo.get",
            &[("fields", "tid"), ("tid", &tid)],
            &gmt8(now),
            "tbsecret",
        )
        .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    let trade = &v["trade_fullinfo_get_response"]["trade"];
    let mobile = trade["receiver_mobile"].as_str().unwrap();
    assert_eq!(mobile.len(), 11, "{trade}");
    assert!(
        trade["receiver_state"].as_str().unwrap().ends_with('省')
            || trade["receiver_state"].as_str().unwrap().ends_with('市')
    );
}
