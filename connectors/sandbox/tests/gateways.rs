//! Every gateway checks the app, the signature and the timestamp before anything else, with the
//! platform's own error codes; good calls read the platform's shapes.

mod common;

use common::{gmt8, now_ms, start};
use serde_json::json;

#[tokio::test]
async fn taobao_signed_call_succeeds_and_a_wrong_sign_changes_nothing() {
    let h = start().await;
    let (order_id, refund_id) = h.order_with_refund("tmall", "refund").await;

    let trade = h
        .taobao(
            "taobao.trade.fullinfo.get",
            &[("fields", "tid,status"), ("tid", &order_id)],
        )
        .await;
    let t = &trade["trade_fullinfo_get_response"]["trade"];
    assert_eq!(t["status"], "WAIT_SELLER_SEND_GOODS", "{trade}");
    assert_eq!(t["tid"].to_string(), order_id);
    assert_eq!(t["orders"]["order"][0]["price"], "99.00");

    // Signed with another secret: code 25, and the refund stays as it was.
    let infos = format!("{refund_id}|9900|1|onsale");
    let (_, body) = h
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.rp.refunds.agree",
            &[("refund_infos", &infos), ("out_request_id", "k1")],
            &gmt8(now_ms()),
            "wrong",
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_response"]["code"], 25, "{v}");
    let refund = h
        .taobao(
            "taobao.refund.get",
            &[("fields", "status"), ("refund_id", &refund_id)],
        )
        .await;
    assert_eq!(
        refund["refund_get_response"]["refund"]["status"],
        "WAIT_SELLER_AGREE"
    );
    assert!(h.effects("tmall").await.is_empty());
    let calls = h.calls("tmall").await;
    assert!(
        calls
            .iter()
            .any(|c| c["outcome"] == "rejected:sign" && c["method"] == "taobao.rp.refunds.agree"),
        "{calls:?}"
    );
}

#[tokio::test]
async fn stale_timestamps_are_refused_on_every_platform() {
    let h = start().await;
    let stale = now_ms() - 11 * 60_000;
    let (_, body) = h
        .taobao_at(
            "12345678",
            "tb-session",
            "taobao.logistics.address.search",
            &[],
            &gmt8(stale),
            "tbsecret",
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_response"]["code"], 31, "{v}");

    // JD allows 6 minutes only.
    let v = h
        .jd_at(
            "jdkey",
            "jingdong.pop.order.get",
            &json!({"order_id": "1"}),
            &gmt8(now_ms() - 7 * 60_000),
        )
        .await;
    assert_eq!(v["error_response"]["code"], "12", "{v}");
    let v = h
        .jd_at(
            "jdkey",
            "jingdong.pop.order.get",
            &json!({"order_id": "1"}),
            &gmt8(now_ms() - 5 * 60_000),
        )
        .await;
    assert_eq!(
        v["error_response"]["code"], "404",
        "a fresh enough JD call reaches the business: {v}"
    );

    let (_, body) = h
        .pdd_raw(
            "pddclient",
            "pdd-token",
            "pdd.refund.address.list.get",
            &[],
            stale / 1000,
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_response"]["error_code"], 10045, "{v}");

    let v = h
        .douyin_at(
            "dykey",
            "dy-token",
            "address.list",
            &json!({}),
            &gmt8(stale),
        )
        .await;
    assert_eq!(v["code"], 30003, "{v}");
}

#[tokio::test]
async fn unknown_apps_are_refused_with_each_platforms_code() {
    let h = start().await;
    let (_, body) = h
        .taobao_at(
            "999",
            "x",
            "taobao.logistics.address.search",
            &[],
            &gmt8(now_ms()),
            "tbsecret",
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_response"]["code"], 29, "{v}");
    let v = h
        .jd_at(
            "nokey",
            "jingdong.pop.order.get",
            &json!({}),
            &gmt8(now_ms()),
        )
        .await;
    assert_eq!(v["error_response"]["code"], "14", "{v}");
    let (_, body) = h
        .pdd_raw(
            "nobody",
            "x",
            "pdd.refund.address.list.get",
            &[],
            now_ms() / 1000,
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_response"]["error_code"], 10001, "{v}");
    let v = h
        .douyin_at("nokey", "x", "address.list", &json!({}), &gmt8(now_ms()))
        .await;
    assert_eq!(v["code"], 30001, "{v}");
    let r = h
        .http
        .get(format!(
            "{}/shopify/other.myshopify.com/admin/api/2025-01/orders.json",
            h.base
        ))
        .header("x-shopify-access-token", "shpat_token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let calls = h.calls("999").await;
    assert_eq!(calls[0]["outcome"], "rejected:unknown_app", "{calls:?}");
}

#[tokio::test]
async fn reads_use_each_platforms_shapes_and_errors() {
    let h = start().await;
    h.control("/_sandbox/seed", json!({"orders": 4, "seed": 3}))
        .await;
    let (_, order) = h
        .control("/_sandbox/orders", json!({"shop": "pdd", "status": "paid"}))
        .await;
    let sn = order["order_id"].as_str().unwrap();
    assert_eq!(sn.len(), 22, "PDD order numbers are YYMMDD-15 digits: {sn}");
    let v = h
        .pdd("pdd.order.information.get", &[("order_sn", sn)])
        .await;
    assert_eq!(
        v["order_information_get_response"]["order_info"]["order_status"], 1,
        "{v}"
    );
    let v = h.pdd("pdd.order.information.get", &[]).await;
    assert_eq!(v["error_response"]["error_code"], 10000, "{v}");
    assert!(
        v["error_response"]["sub_msg"]
            .as_str()
            .unwrap()
            .contains("order_sn"),
        "{v}"
    );
    let v = h.pdd("pdd.nope", &[]).await;
    assert_eq!(v["error_response"]["error_code"], 10000, "{v}");

    let (_, order) = h
        .control(
            "/_sandbox/orders",
            json!({"shop": "douyin", "status": "unpaid"}),
        )
        .await;
    let id = order["order_id"].as_str().unwrap();
    let v = h
        .douyin(
            "dy-token",
            "order.orderDetail",
            &json!({"shop_order_id": id}),
        )
        .await;
    let detail = &v["data"]["shop_order_detail"];
    assert_eq!(detail["order_status"], 1, "{v}");
    assert!(detail["order_expire_time"].as_i64().unwrap() > now_ms() / 1000);
    assert!(detail["mask_post_tel"].as_str().unwrap().contains("****"));
    let v = h
        .douyin(
            "dy-token",
            "order.searchList",
            &json!({"order_status": 1, "page": 0, "size": 100}),
        )
        .await;
    assert!(v["data"]["total"].as_i64().unwrap() >= 1, "{v}");

    let (_, order) = h
        .control("/_sandbox/orders", json!({"shop": "jd", "status": "paid"}))
        .await;
    let v = h
        .jd_at(
            "jdkey",
            "jingdong.pop.order.get",
            &json!({"order_id": order["order_id"]}),
            &gmt8(now_ms()),
        )
        .await;
    assert_eq!(v["jingdong_pop_order_get_responce"]["code"], "0", "{v}");
    assert_eq!(
        v["jingdong_pop_order_get_responce"]["orderDetailInfo"]["orderInfo"]["orderState"],
        "WAIT_SELLER_STOCK_OUT"
    );

    let (_, order) = h
        .control(
            "/_sandbox/orders",
            json!({"shop": "shopify", "status": "unpaid"}),
        )
        .await;
    let r = h
        .shopify(
            reqwest::Method::GET,
            "orders.json?financial_status=pending&status=open&limit=250",
        )
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(
        v["orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == order["order_id"].as_str().unwrap().parse::<u64>().unwrap()),
        "{v}"
    );
    let r = h
        .shopify(reqwest::Method::GET, "orders/1.json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = h
        .http
        .get(format!(
            "{}/shopify/demo.myshopify.com/admin/api/2025-01/orders.json",
            h.base
        ))
        .header("x-shopify-access-token", "bad")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
