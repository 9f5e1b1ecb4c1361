//! `workflows/ticket-dispatch.yaml`: a ticket classified, assigned by skill and resolved in
//! time (on each backend); an angry buyer handed over at once; a VIP; a ticket escalated when
//! its SLA passes (embedded only: the SLA timer runs out).

use serde_json::{Value, json};

use crate::world::World;

const FLOW: &str = "ticket-dispatch.yaml";

async fn ticket(w: &World, id: &str, shop: &str, buyer: &str, text: &str) {
    w.publish(json!({
        "specversion": "1.0", "id": format!("helpdesk:{id}"), "source": "tests/helpdesk",
        "type": "shopflow.ticket.created", "subject": id,
        "data": {"ticket_id": id, "shop": shop, "buyer_id": buyer, "channel": "chat", "text": text},
    }))
    .await;
}

async fn desk_ticket(w: &World, id: &str) -> Value {
    w.eventually_async(&format!("ticket {id} is on the desk"), || async {
        let url = format!("{}/api/v1/tickets/{id}", w.api);
        let answer = w
            .http
            .get(&url)
            .bearer_auth(crate::world::TOKEN)
            .send()
            .await
            .ok()?;
        answer.status().is_success().then_some(())?;
        answer.json::<Value>().await.ok()
    })
    .await
}

crate::on_both_backends! {
async fn a_ticket_is_classified_assigned_by_skill_and_resolved(on: On) {
    let w = World::start_on(on, &[FLOW]).await;
    ticket(
        &w,
        "TK-1",
        "tmall",
        "tb_1001",
        "快递三天了还没到，物流信息一直不更新",
    )
    .await;
    let run = w.run_of("ticket-dispatch").await;
    let t = desk_ticket(&w, "TK-1").await;
    assert_eq!(t["department"], "logistics", "{t}");
    assert_eq!(t["status"], "assigned", "{t}");
    // Logistics and Chinese: li.na or zhang.wei.
    let agent = t["agent"].as_str().expect("an agent").to_owned();
    assert!(["li.na", "zhang.wei"].contains(&agent.as_str()), "{t}");
    w.parked(&run).await;
    w.api_post("/api/v1/tickets/TK-1/resolve", json!({"by": agent}))
        .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "resolved", "{out}");
    assert_eq!(out["assigned_to"], agent.as_str());
    assert_eq!(out["resolved_by"], agent.as_str());
    assert_eq!(out["sla_breached"], false);
    assert_eq!(out["handover"], false);
    w.stop().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_asking_for_a_person_is_handed_over_first() {
    let w = World::start(&[FLOW]).await;
    ticket(
        &w,
        "TK-2",
        "pdd",
        "pdd_77",
        "别跟我扯机器人，马上给我转人工客服！！！",
    )
    .await;
    let run = w.run_of("ticket-dispatch").await;
    let t = desk_ticket(&w, "TK-2").await;
    assert_eq!(t["handover"], true, "{t}");
    assert!(
        t["priority"].as_i64().unwrap_or(0) >= 20,
        "hand-overs jump the queue: {t}"
    );
    assert!(!t["agent"].is_null(), "{t}");
    w.parked(&run).await;
    w.api_post("/api/v1/tickets/TK-2/resolve", json!({"by": t["agent"]}))
        .await;
    let out = w.output(&run).await;
    assert_eq!(out["handover"], true, "{out}");
    assert_eq!(out["handover_reason"], "asks_for_person", "{out}");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_ticket_past_its_sla_is_escalated_to_a_supervisor() {
    let w = World::start(&[FLOW]).await;
    // vip-001 is a gold VIP of tmall in the sandbox configuration.
    ticket(
        &w,
        "TK-3",
        "tmall",
        "vip-001",
        "我想问一下这个围巾是羊毛的吗",
    )
    .await;
    let run = w.run_of("ticket-dispatch").await;
    let t = desk_ticket(&w, "TK-3").await;
    assert_eq!(t["vip"], true, "{t}");
    let sla = t["sla_minutes"].as_i64().expect("sla");
    w.parked(&run).await;
    assert_eq!(w.advance_to_next_timer().await, sla * 60_000);
    let escalated = w
        .eventually_async("the ticket is escalated", || async {
            let t = w.api_get("/api/v1/tickets/TK-3").await;
            (t["status"] == "escalated").then_some(t)
        })
        .await;
    assert_eq!(escalated["agent"], "zhao.min", "{escalated}");
    w.parked(&run).await;
    w.api_post("/api/v1/tickets/TK-3/resolve", json!({"by": "zhao.min"}))
        .await;
    let out = w.output(&run).await;
    assert_eq!(out["sla_breached"], true, "{out}");
    assert_eq!(out["escalated_to"], "zhao.min");
    assert_eq!(out["vip"], true);
    w.stop().await;
}
