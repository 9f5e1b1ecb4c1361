//! Changes: idempotency keys, state rules, faults around effects, token expiry and refresh,
//! rate limits.

mod common;

use common::{gmt8, now_ms, start};
use serde_json::{Value, json};

#[tokio::test]
async fn a_repeated_key_gets_the_first_answer_and_one_effect() {
    let h = start().await;
    let (_, refund_id) = h.order_with_refund("tmall", "refund").await;
    let infos = format!("{refund_id}|9900|1|onsale");
    let params = [
        ("refund_infos", infos.as_str()),
        ("out_request_id", "step-1"),
    ];
    let ts = gmt8(now_ms());
    let (_, first) = h
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.rp.refunds.agree",
            &params,
            &ts,
            "tbsecret",
        )
        .await;
    let v: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(v["rp_refunds_agree_response"]["is_success"], true, "{v}");
    let (_, second) = h
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.rp.refunds.agree",
            &params,
            &gmt8(now_ms()),
            "tbsecret",
        )
        .await;
    assert_eq!(first, second, "byte for byte");
    let effects = h.effects("tmall").await;
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0]["key"], "step-1");
    assert_eq!(effects[0]["target"], refund_id.as_str());
    assert!(
        effects[0]["summary"].get("session").is_none(),
        "no secrets in summaries"
    );

    // Another key: the platform's "already in that state" refusal.
    let v = h
        .taobao(
            "taobao.rp.refunds.agree",
            &[("refund_infos", &infos), ("out_request_id", "step-2")],
        )
        .await;
    assert_eq!(
        v["error_response"]["sub_code"], "isv.refund-status-invalid",
        "{v}"
    );
    assert_eq!(h.effects("tmall").await.len(), 1);

    // A closed refund: a business refusal, not "already".
    let (_, closed) = h.order_with_refund("tmall", "refund").await;
    let (s, _) = h
        .control(
            &format!("/_sandbox/refunds/tmall/{closed}/close"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let v = h
        .taobao(
            "taobao.rp.refunds.agree",
            &[
                ("refund_infos", &format!("{closed}|9900|1|onsale")),
                ("out_request_id", "step-3"),
            ],
        )
        .await;
    assert_eq!(v["error_response"]["code"], 15);
    assert_eq!(
        v["error_response"]["sub_code"], "isv.refund-operation-not-allowed",
        "{v}"
    );

    // Shopify: the Idempotency-Key header.
    let (_, order) = h.control("/_sandbox/orders", json!({"shop": "shopify", "status": "paid", "items": [{"title": "Tee", "price_fen": 2500}]})).await;
    let path = format!(
        "orders/{}/refunds.json",
        order["order_id"].as_str().unwrap()
    );
    let body = json!({"refund": {"notify": true, "note": "size", "transactions": [{"kind": "refund", "amount": "10.00"}]}});
    let send = || {
        h.shopify(reqwest::Method::POST, &path)
            .header("idempotency-key", "sk-1")
            .json(&body)
            .send()
    };
    let a = send().await.unwrap();
    assert_eq!(a.status().as_u16(), 201);
    let a = a.bytes().await.unwrap();
    let b = send().await.unwrap().bytes().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(h.effects("shopify").await.len(), 1);
}

#[tokio::test]
async fn a_5xx_after_the_effect_then_a_retry_with_the_same_key_makes_one_effect() {
    let h = start().await;
    let (order_sn, refund_id) = h.order_with_refund("pdd", "refund").await;
    let (s, _) = h
        .control(
            "/_sandbox/faults",
            json!({"shop": "pdd", "method": "pdd.refund.agree", "kind": "5xx_after", "count": 1}),
        )
        .await;
    assert_eq!(s, 200);
    let params = [
        ("after_sales_id", refund_id.as_str()),
        ("order_sn", order_sn.as_str()),
        ("operate_desc", "同意"),
        ("request_id", "r-1"),
    ];
    let (status, _) = h
        .pdd_raw(
            "pddclient",
            "pdd-token",
            "pdd.refund.agree",
            &params,
            now_ms() / 1000,
        )
        .await;
    assert_eq!(status, 502);
    let (status, body) = h
        .pdd_raw(
            "pddclient",
            "pdd-token",
            "pdd.refund.agree",
            &params,
            now_ms() / 1000,
        )
        .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["refund_agree_response"]["result"]["succ"], true, "{v}");
    assert_eq!(h.effects("pdd").await.len(), 1);
    let calls = h.calls("pdd").await;
    let outcomes: Vec<&str> = calls
        .iter()
        .filter(|c| c["method"] == "pdd.refund.agree")
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["fault:5xx_after", "ok"]);
    assert_eq!(calls.last().unwrap()["replayed"], true);
    let state = h.read(&format!("/_sandbox/orders/pdd/{order_sn}")).await;
    assert_eq!(state["refunds"][0]["status"], "success", "{state}");

    // A plain 5xx changes nothing.
    let (order_sn, refund_id) = h.order_with_refund("pdd", "refund").await;
    h.control("/_sandbox/faults", json!({"kind": "5xx"})).await;
    let params = [
        ("after_sales_id", refund_id.as_str()),
        ("order_sn", order_sn.as_str()),
        ("operate_desc", "同意"),
        ("request_id", "r-2"),
    ];
    let (status, _) = h
        .pdd_raw(
            "pddclient",
            "pdd-token",
            "pdd.refund.agree",
            &params,
            now_ms() / 1000,
        )
        .await;
    assert_eq!(status, 502);
    assert_eq!(h.effects("pdd").await.len(), 1);
}

#[tokio::test]
async fn a_timeout_fault_applies_the_effect_and_holds_the_answer() {
    let h = start().await;
    let (_, refund_id) = h.order_with_refund("douyin", "refund").await;
    h.control("/_sandbox/faults", json!({"shop": "douyin", "method": "afterSale.operate", "kind": "timeout", "hold_ms": 5000})).await;
    let params =
        json!({"type": 201, "items": [{"aftersale_id": refund_id}], "out_request_id": "t-1"});
    let short = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        h.douyin("dy-token", "afterSale.operate", &params),
    )
    .await;
    assert!(short.is_err(), "the answer is held");
    let v = h.douyin("dy-token", "afterSale.operate", &params).await;
    assert_eq!(
        v["code"], 10000,
        "the retry gets the stored answer at once: {v}"
    );
    assert_eq!(h.effects("douyin").await.len(), 1);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_old_refresh_token_is_refused() {
    let h = start().await;
    h.control(
        "/_sandbox/faults",
        json!({"shop": "douyin", "kind": "token_expired"}),
    )
    .await;
    let v = h.douyin("dy-token", "address.list", &json!({})).await;
    assert_eq!(v["code"], 30005, "{v}");
    let v = h.douyin("dy-token", "address.list", &json!({})).await;
    assert_eq!(v["code"], 30005, "still expired until refreshed: {v}");
    let refresh = json!({"refresh_token": "dy-refresh", "grant_type": "refresh_token"});
    let v = h.douyin("", "token.refresh", &refresh).await;
    assert_eq!(v["code"], 10000, "{v}");
    let access = v["data"]["access_token"].as_str().unwrap().to_owned();
    let new_refresh = v["data"]["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, "dy-refresh");
    let v = h.douyin(&access, "address.list", &json!({})).await;
    assert_eq!(v["code"], 10000, "{v}");
    let v = h.douyin("", "token.refresh", &refresh).await;
    assert_eq!(
        v["code"], 30005,
        "the old refresh token no longer works: {v}"
    );
    assert_eq!(v["sub_code"], "isv.refresh-token-invalid");
    let v = h
        .douyin(
            &access,
            "token.refresh",
            &json!({"refresh_token": new_refresh, "grant_type": "refresh_token"}),
        )
        .await;
    assert_eq!(v["code"], 10000, "{v}");

    // Taobao: the token result is a JSON string.
    h.control(
        "/_sandbox/faults",
        json!({"shop": "tmall", "kind": "token_expired"}),
    )
    .await;
    let v = h.taobao("taobao.logistics.address.search", &[]).await;
    assert_eq!(v["error_response"]["code"], 27, "{v}");
    let v = h
        .taobao(
            "taobao.top.auth.token.refresh",
            &[("refresh_token", "tb-refresh")],
        )
        .await;
    let result: Value = serde_json::from_str(
        v["top_auth_token_refresh_response"]["token_result"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let session = result["access_token"].as_str().unwrap();
    let (_, body) = h
        .taobao_at(
            "12345678",
            session,
            "taobao.logistics.address.search",
            &[],
            &gmt8(now_ms()),
            "tbsecret",
        )
        .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v.get("logistics_address_search_response").is_some(), "{v}");
}

#[tokio::test]
async fn rate_limits_answer_with_the_platforms_error() {
    let h = start().await;
    let mut limited = None;
    for _ in 0..5 {
        let ts = gmt8(now_ms());
        let (_, body) = h
            .taobao_at(
                "87654321",
                "tb-slow-session",
                "taobao.logistics.address.search",
                &[],
                &ts,
                "tbsecret",
            )
            .await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        if v.get("error_response").is_some() {
            limited = Some(v);
            break;
        }
    }
    let v = limited.expect("a 1/s shop is limited within 5 quick calls");
    assert_eq!(v["error_response"]["code"], 7, "{v}");
    assert_eq!(
        v["error_response"]["sub_msg"],
        "This ban will last for 1 more seconds"
    );

    h.control(
        "/_sandbox/faults",
        json!({"shop": "shopify", "method": "orders.json", "kind": "rate_limit"}),
    )
    .await;
    let r = h
        .shopify(reqwest::Method::GET, "orders.json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let r = h
        .shopify(reqwest::Method::GET, "orders.json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn returns_go_through_agree_buyer_return_and_refund() {
    let h = start().await;
    h.control("/_sandbox/seed", json!({"orders": 1, "seed": 1}))
        .await;
    let (_, refund_id) = h.order_with_refund("douyin", "return").await;
    let addresses = h.douyin("dy-token", "address.list", &json!({})).await;
    let address = addresses["data"]["address_list"][0]["address_id"].to_string();
    let agree = json!({"type": 101, "items": [{"aftersale_id": refund_id, "logistics": {"receiver_address_id": address}}], "out_request_id": "a-1"});
    let v = h.douyin("dy-token", "afterSale.operate", &agree).await;
    assert_eq!(v["data"]["items"][0]["status_code"], 0, "{v}");
    let (s, _) = h
        .control(
            &format!("/_sandbox/refunds/douyin/{refund_id}/buyer_return"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let v = h
        .douyin(
            "dy-token",
            "afterSale.Detail",
            &json!({"after_sale_id": refund_id}),
        )
        .await;
    assert_eq!(
        v["data"]["process_info"]["after_sale_info"]["after_sale_status"], 12,
        "{v}"
    );
    let v = h
        .douyin(
            "dy-token",
            "afterSale.operate",
            &json!({"type": 201, "items": [{"aftersale_id": refund_id}], "out_request_id": "a-2"}),
        )
        .await;
    assert_eq!(v["code"], 10000, "{v}");
    let v = h
        .douyin(
            "dy-token",
            "afterSale.operate",
            &json!({"type": 201, "items": [{"aftersale_id": refund_id}], "out_request_id": "a-3"}),
        )
        .await;
    assert_eq!(v["code"], 50002);
    assert_eq!(v["sub_code"], "isv.business-failed:already-in-state", "{v}");

    // Shopify returns through GraphQL.
    let (_, gid) = h.order_with_refund("shopify", "return").await;
    assert!(gid.starts_with("gid://shopify/Return/"), "{gid}");
    let q = json!({"query": "mutation returnApproveRequest($input: ReturnApproveRequestInput!) { returnApproveRequest(input: $input) { return { id status } userErrors { field message } } }", "variables": {"input": {"id": gid}}});
    let v: Value = h
        .shopify(reqwest::Method::POST, "graphql.json")
        .header("idempotency-key", "g-1")
        .json(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["data"]["returnApproveRequest"]["return"]["status"], "OPEN",
        "{v}"
    );
    let v: Value = h
        .shopify(reqwest::Method::POST, "graphql.json")
        .header("idempotency-key", "g-2")
        .json(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v["data"]["returnApproveRequest"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already"),
        "{v}"
    );
}
