//! `workflows/return-voucher.yaml`: returns agreed, vouchered and refunded; refunds before
//! shipping (both on each backend); excluded goods and quality claims decided by a person;
//! buyers who never send the goods back (embedded only: a day and a week of timers).

use serde_json::{Value, json};

use crate::world::{DAY, World};

const FLOW: &str = "return-voucher.yaml";

async fn ask(w: &World, shop: &str, order_id: &str, kind: &str, reason: &str) -> String {
    let refund = w
        .sandbox_post(
            "/_sandbox/refunds",
            json!({"shop": shop, "order_id": order_id, "kind": kind, "reason": reason}),
        )
        .await;
    refund["refund_id"].as_str().expect("refund id").to_owned()
}

async fn refund_status(w: &World, shop: &str, order_id: &str) -> String {
    let v = w
        .sandbox_get(&format!("/_sandbox/orders/{shop}/{order_id}"))
        .await;
    v["refunds"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

crate::on_both_backends! {
async fn an_eligible_return_is_agreed_vouchered_and_refunded_when_the_goods_come_back(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    let order = w
        .delivered_order("tmall", "羊毛围巾 灰色", "SCARF-GRY", 15_900)
        .await;
    let refund = ask(&w, "tmall", &order, "return", "尺码不合适").await;
    let run = w.run_of("return-voucher").await;
    // Agreed on the platform, a voucher issued and the buyer told by SMS.
    w.eventually_async("the return is agreed", || async {
        (refund_status(&w, "tmall", &order).await == "wait_buyer_return").then_some(())
    })
    .await;
    let sms = w
        .eventually_async("the buyer gets the voucher link", || async {
            let m = w.aliyun_messages().await;
            (!m.is_empty()).then_some(m)
        })
        .await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["template_code"], "SMS_300000003", "{sms:?}");
    let link = sms[0]["params"]["url"]
        .as_str()
        .expect("voucher link")
        .to_owned();
    let page = w.http.get(&link).send().await.expect("voucher page");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("page text");
    assert!(page.contains(&order), "the voucher page names the order");
    w.parked(&run).await;
    // The buyer sends the goods back: the refund follows.
    w.sandbox_post(
        &format!("/_sandbox/refunds/tmall/{refund}/buyer_return"),
        json!({}),
    )
    .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "refunded", "{out}");
    assert_eq!(out["automatic"], true);
    assert_eq!(out["amount"], "159.00");
    assert!(
        out["rma"].as_str().is_some_and(|r| r.starts_with("RMA-")),
        "{out}"
    );
    assert_eq!(refund_status(&w, "tmall", &order).await, "success");
    assert_eq!(
        w.effects_of("tmall", "taobao.rp.returngoods.agree")
            .await
            .len(),
        1
    );
    assert_eq!(
        w.effects_of("tmall", "taobao.rp.refunds.agree").await.len(),
        1
    );
    w.stop().await;
}
}

crate::on_both_backends! {
async fn a_refund_before_shipping_is_paid_at_once(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    let order = w
        .order("pdd", "paid", "不锈钢保温杯 500ml", "CUP-500", 5_900)
        .await;
    let order = order["order_id"].as_str().expect("order id").to_owned();
    ask(&w, "pdd", &order, "refund", "拍错了").await;
    let run = w.run_of("return-voucher").await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "refunded", "{out}");
    assert_eq!(out["automatic"], true);
    assert!(out["rma"].is_null(), "no voucher for a refund: {out}");
    assert_eq!(refund_status(&w, "pdd", &order).await, "success");
    w.stop().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perishable_goods_go_to_a_person_who_is_reminded_and_refuses() {
    let w = World::start(&[FLOW]).await;
    let order = w
        .delivered_order("douyin", "阳澄湖大闸蟹 礼盒 8只", "FRESH-CRAB8", 38_800)
        .await;
    ask(&w, "douyin", &order, "return", "不想要了").await;
    let run = w.run_of("return-voucher").await;
    let tasks = w.tasks("returns", 1).await;
    let task = &tasks[0];
    let codes: Vec<&str> = task["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(codes.contains(&"excluded_by_law"), "{task}");
    assert_eq!(task["data"]["order_id"], order.as_str());
    // Nobody decides for a day: the task is flagged again and the run keeps waiting.
    w.parked(&run).await;
    let moved = w.advance_to_next_timer().await;
    assert_eq!(moved, DAY);
    let id = task["id"]
        .as_str()
        .or(task["task_id"].as_str())
        .expect("task id")
        .to_owned();
    w.eventually_async("the task is flagged again", || async {
        let t = w.api_get(&format!("/api/v1/tasks/{id}")).await;
        (t["reminders"] == 1).then_some(())
    })
    .await;
    w.api_post(
        &format!("/api/v1/tasks/{id}/decision"),
        json!({"decision": "reject", "reason": "生鲜商品不支持七天无理由退货", "by": "wang.lei", "changes": {}}),
    )
    .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "refused", "{out}");
    assert_eq!(out["decided_by"], "wang.lei");
    assert_eq!(refund_status(&w, "douyin", &order).await, "refused");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_quality_claim_is_closed_when_the_goods_never_come_back() {
    let w = World::start(&[FLOW]).await;
    let order = w
        .delivered_order("tmall", "无线蓝牙耳机 降噪版", "EAR-ANC", 29_900)
        .await;
    ask(&w, "tmall", &order, "return", "收到商品破损，左耳没声音").await;
    let run = w.run_of("return-voucher").await;
    let tasks = w.tasks("returns", 1).await;
    assert!(
        tasks[0]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["code"] == "quality_claim"),
        "{}",
        tasks[0]
    );
    let id = tasks[0]["id"]
        .as_str()
        .or(tasks[0]["task_id"].as_str())
        .expect("task id")
        .to_owned();
    w.api_post(
        &format!("/api/v1/tasks/{id}/decision"),
        json!({"decision": "approve", "reason": "质量问题，同意退货", "by": "wang.lei", "changes": {}}),
    )
    .await;
    w.eventually_async("the return is agreed", || async {
        (refund_status(&w, "tmall", &order).await == "wait_buyer_return").then_some(())
    })
    .await;
    w.eventually_async("the voucher link goes out", || async {
        (w.aliyun_messages().await.len() == 1).then_some(())
    })
    .await;
    // Seven days without the goods: one reminder; three more days: closed.
    w.parked(&run).await;
    assert_eq!(w.advance_to_next_timer().await, 7 * DAY);
    let sms = w
        .eventually_async("the buyer is reminded", || async {
            let m = w.aliyun_messages().await;
            (m.len() == 2).then_some(m)
        })
        .await;
    assert_eq!(sms[1]["template_code"], "SMS_300000004", "{sms:?}");
    w.parked(&run).await;
    assert_eq!(w.advance_to_next_timer().await, 3 * DAY);
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "closed_no_goods", "{out}");
    assert!(
        w.effects_of("tmall", "taobao.rp.refunds.agree")
            .await
            .is_empty()
    );
    let _: &Value = &out;
    w.stop().await;
}
