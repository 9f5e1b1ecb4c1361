//! `workflows/payment-chase.yaml`: a reminder that converts, a payment before any reminder,
//! the ladder of an order never paid (with the one-per-day limit), quiet hours, and orders
//! that are not chased. A payment before any reminder and an order not chased run on each
//! backend; the rest wait out reminder timers (embedded only).

use serde_json::json;

use crate::world::{HOUR, MINUTE, TUESDAY_10AM, World};

const FLOW: &str = "payment-chase.yaml";

async fn unpaid(w: &World, shop: &str, close_after_minutes: i64) -> String {
    let order = w
        .sandbox_post(
            "/_sandbox/orders",
            json!({"shop": shop, "status": "unpaid", "close_after_minutes": close_after_minutes,
                   "items": [{"title": "机械键盘 青轴", "sku": "KB-BLUE", "price_fen": 34_900, "quantity": 1}]}),
        )
        .await;
    order["order_id"].as_str().expect("order id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_converts_and_the_chase_stops_at_the_payment() {
    let w = World::start(&[FLOW]).await;
    let order = unpaid(&w, "tmall", 240).await;
    let run = w.run_of("payment-chase").await;
    w.parked(&run).await;
    // The first reminder 15 minutes after the order: an SMS on Tmall.
    assert_eq!(w.advance_to_next_timer().await, 15 * MINUTE);
    let sms = w
        .eventually_async("the first reminder goes out", || async {
            let m = w.aliyun_messages().await;
            (!m.is_empty()).then_some(m)
        })
        .await;
    assert_eq!(sms[0]["template_code"], "SMS_300000001");
    assert_eq!(sms[0]["params"]["order_id"], order.as_str());
    w.parked(&run).await;
    w.order_step("tmall", &order, "pay").await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "paid", "{out}");
    assert_eq!(out["converted"], true);
    assert_eq!(out["reminders_sent"], 1);
    assert_eq!(out["recovered"], "349.00");
    assert_eq!(
        w.aliyun_messages().await.len(),
        1,
        "nothing after the payment"
    );
    w.stop().await;
}

crate::on_both_backends! {
async fn paying_before_the_first_reminder_sends_nothing(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    let order = unpaid(&w, "pdd", 240).await;
    let run = w.run_of("payment-chase").await;
    w.parked(&run).await;
    w.order_step("pdd", &order, "pay").await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "paid", "{out}");
    assert_eq!(out["converted"], false);
    assert_eq!(out["reminders_sent"], 0);
    let v = w
        .sandbox_get(&format!("/_sandbox/orders/pdd/{order}"))
        .await;
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(0), "{v}");
    w.stop().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_never_paid_gets_one_reminder_a_day_and_closes() {
    let w = World::start(&[FLOW]).await;
    // Pinduoduo: platform messages. Pinduoduo names no deadline, so the configured 24 hours
    // apply: reminders at +15 min and 90 min before the deadline.
    let order = unpaid(&w, "pdd", 24 * 60).await;
    let run = w.run_of("payment-chase").await;
    w.parked(&run).await;
    assert_eq!(w.advance_to_next_timer().await, 15 * MINUTE);
    w.eventually_async("the platform message goes out", || async {
        let v = w
            .sandbox_get(&format!("/_sandbox/orders/pdd/{order}"))
            .await;
        (v["messages"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    w.parked(&run).await;
    // The second step is within 24 hours of the first contact: not sent.
    assert_eq!(
        w.advance_to_next_timer().await,
        24 * HOUR - 90 * MINUTE - 15 * MINUTE
    );
    w.parked(&run).await;
    w.order_step("pdd", &order, "close").await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "closed", "{out}");
    assert_eq!(out["reminders_sent"], 1);
    assert_eq!(out["attempts"][1]["sent"], false, "{out}");
    assert_eq!(out["attempts"][1]["reason"], "recent_contact", "{out}");
    let v = w
        .sandbox_get(&format!("/_sandbox/orders/pdd/{order}"))
        .await;
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(1));
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_due_in_quiet_hours_goes_out_in_the_morning() {
    // 21:55: the first reminder is due at 22:10, inside the quiet hours (22:00–08:00).
    let w = World::start_at(TUESDAY_10AM + 11 * HOUR + 55 * MINUTE, &[FLOW]).await;
    let order = unpaid(&w, "tmall", 24 * 60).await;
    let run = w.run_of("payment-chase").await;
    w.parked(&run).await;
    assert_eq!(w.advance_to_next_timer().await, 15 * MINUTE);
    w.parked(&run).await;
    assert!(w.aliyun_messages().await.is_empty(), "nothing at night");
    // The run waits for 08:00 and sends then.
    assert_eq!(w.advance_to_next_timer().await, 9 * HOUR + 50 * MINUTE);
    w.eventually_async("the reminder goes out at 08:00", || async {
        (w.aliyun_messages().await.len() == 1).then_some(())
    })
    .await;
    w.parked(&run).await;
    w.order_step("tmall", &order, "pay").await;
    let out = w.output(&run).await;
    assert_eq!(out["converted"], true, "{out}");
    assert_eq!(out["attempts"][0]["reason"], "quiet_hours", "{out}");
    w.stop().await;
}

crate::on_both_backends! {
async fn paid_orders_are_not_chased(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    let order = w
        .order("douyin", "paid", "瑜伽垫 加厚 10mm", "YOGA-10", 8_900)
        .await;
    let order = order["order_id"].as_str().expect("order id").to_owned();
    let started = w
        .api_post(
            "/api/v1/runs",
            json!({"flow": "shopflow/payment-chase", "input": {"shop": "douyin", "order_id": order}}),
        )
        .await;
    let out = w.output(started["id"].as_str().expect("run id")).await;
    assert_eq!(out["outcome"], "not_chased", "{out}");
    assert_eq!(out["reason"], "not_unpaid");
    w.stop().await;
}
}
