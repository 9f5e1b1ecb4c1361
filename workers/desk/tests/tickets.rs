//! Ticket routing on a real `desk.db`: skills and load, caps and queueing, round-robin among
//! equals, VIP and handover first, resolve handing the seat to the next waiting ticket,
//! escalation to supervisors, idempotency by key and by ticket, and state kept across a
//! reopen.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::json;
use shopflow_classify::{Department, Urgency};
use shopflow_desk::{Desk, DeskSettings, TicketFilter, TicketRequest, TicketStatus};

const NOW: i64 = 1_795_478_400_000; // 2026-11-24T00:00:00Z

const DESK: &str = r#"
escalation_queue = "supervisors"
sla_minutes = { high = 15, normal = 60, low = 240 }

[[agent]]
name = "li"
skills = ["logistics", "returns", "zh"]
cap = 2

[[agent]]
name = "wang"
skills = ["logistics", "zh", "en"]
cap = 2

[[agent]]
name = "emma"
skills = ["returns", "en"]
cap = 1

[[agent]]
name = "boss"
role = "supervisor"
skills = ["zh", "en"]
cap = 1

[[vip]]
shop = "tmall-flagship"
buyer = "tb_gold"
tier = "gold"
"#;

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            clock: Arc::new(AtomicI64::new(NOW)),
        }
    }

    fn open_with(&self, settings: &str) -> Desk {
        let settings: DeskSettings = toml::from_str(settings).expect("settings");
        let clock = Arc::clone(&self.clock);
        Desk::open(
            self.dir.path().join("desk.db"),
            settings,
            Arc::new(move || clock.load(Ordering::SeqCst)),
        )
        .expect("open the desk")
    }

    fn open(&self) -> Desk {
        self.open_with(DESK)
    }

    fn tick(&self) {
        self.clock.fetch_add(1_000, Ordering::SeqCst);
    }
}

fn ticket(id: &str, department: Department, language: &str) -> TicketRequest {
    TicketRequest {
        ticket_id: id.into(),
        shop: "tmall-flagship".into(),
        buyer_id: Some(format!("buyer-{id}")),
        department,
        language: language.into(),
        urgency: Urgency::Normal,
        vip: false,
        handover: false,
        summary: None,
    }
}

async fn agent_of(desk: &Desk, id: &str) -> Option<String> {
    desk.ticket(id).expect("read").expect("ticket").0.agent
}

#[tokio::test]
async fn skills_then_load_then_round_robin() {
    let f = Fixture::new();
    let desk = f.open();
    // English logistics: only wang has both skills.
    let a = desk
        .assign(ticket("t1", Department::Logistics, "en"), "k1")
        .await
        .expect("assign");
    assert_eq!(
        (a.agent.as_deref(), a.status, a.queue.as_str()),
        (Some("wang"), TicketStatus::Assigned, "logistics")
    );
    assert_eq!(a.sla_minutes, 60);
    assert_eq!(a.sla_due_at, "2026-11-24T01:00:00.000Z");
    // Chinese logistics: li (0 open) before wang (1 open).
    let b = desk
        .assign(ticket("t2", Department::Logistics, "zh"), "k2")
        .await
        .expect("assign");
    assert_eq!(b.agent.as_deref(), Some("li"));
    // Both have 1: the least recently assigned (wang) gets it, then li.
    let c = desk
        .assign(ticket("t3", Department::Logistics, "zh"), "k3")
        .await
        .expect("assign");
    assert_eq!(c.agent.as_deref(), Some("wang"));
    let d = desk
        .assign(ticket("t4", Department::Logistics, "zh"), "k4")
        .await
        .expect("assign");
    assert_eq!(d.agent.as_deref(), Some("li"));
    // Returns in English: emma only.
    let e = desk
        .assign(ticket("t5", Department::Returns, "en"), "k5")
        .await
        .expect("assign");
    assert_eq!(e.agent.as_deref(), Some("emma"));
    // The supervisor never takes new tickets.
    let listed = desk
        .tickets(&TicketFilter {
            agent: Some("boss".into()),
            limit: 100,
            ..TicketFilter::default()
        })
        .expect("list");
    assert!(listed.is_empty());
}

#[tokio::test]
async fn full_caps_queue_and_resolve_hands_over_the_next_by_priority() {
    let f = Fixture::new();
    let desk = f.open();
    for (i, key) in ["a", "b", "c", "d"].iter().enumerate() {
        let out = desk
            .assign(
                ticket(&format!("full-{i}"), Department::Logistics, "zh"),
                key,
            )
            .await
            .expect("assign");
        assert_eq!(out.status, TicketStatus::Assigned);
    }
    f.tick();
    let plain = desk
        .assign(ticket("plain", Department::Logistics, "zh"), "q1")
        .await
        .expect("assign");
    assert_eq!(
        (plain.status, plain.agent.as_deref()),
        (TicketStatus::Queued, None)
    );
    f.tick();
    let mut urgent = ticket("urgent", Department::Logistics, "zh");
    urgent.urgency = Urgency::High;
    let urgent = desk.assign(urgent, "q2").await.expect("assign");
    f.tick();
    // The VIP list makes this buyer a VIP even though the flow did not say so.
    let mut vip = ticket("vip", Department::Logistics, "zh");
    vip.buyer_id = Some("tb_gold".into());
    let vip = desk.assign(vip, "q3").await.expect("assign");
    f.tick();
    let mut handover = ticket("handover", Department::Logistics, "zh");
    handover.handover = true;
    handover.urgency = Urgency::Low;
    let handover = desk.assign(handover, "q4").await.expect("assign");
    assert!(handover.priority > vip.priority);
    assert!(vip.priority > urgent.priority);
    assert!(urgent.priority > plain.priority);
    let queued = desk
        .tickets(&TicketFilter {
            status: Some(TicketStatus::Queued),
            limit: 100,
            ..TicketFilter::default()
        })
        .expect("list");
    assert_eq!(queued.len(), 4);

    // Each resolve frees one seat, which takes the highest-priority waiting ticket.
    let order = ["handover", "vip", "urgent", "plain"];
    for (i, expected) in order.iter().enumerate() {
        let holder = agent_of(&desk, &format!("full-{i}")).await.expect("held");
        let done = desk
            .resolve(&format!("full-{i}"), "supervisor-zhao")
            .await
            .expect("resolve");
        assert_eq!(done.ticket.status, TicketStatus::Resolved);
        assert_eq!(done.assigned.len(), 1, "one seat freed, one ticket taken");
        assert_eq!(done.assigned[0].id, *expected);
        assert_eq!(done.assigned[0].agent.as_deref(), Some(holder.as_str()));
        assert_eq!(done.assigned[0].status, TicketStatus::Assigned);
    }
    // Resolved once: a second resolve is a conflict; unknown tickets are not found.
    let again = desk.resolve("full-0", "x").await.expect_err("conflict");
    assert!(
        matches!(again, shopflow_desk::Error::Conflict(_)),
        "{again}"
    );
    let unknown = desk.resolve("nope", "x").await.expect_err("not found");
    assert!(
        matches!(unknown, shopflow_desk::Error::NotFound(_)),
        "{unknown}"
    );

    // The outbox holds one resolved event per resolve and one assigned event per hand-over.
    let events = desk.pending_events().expect("outbox");
    let types: Vec<&str> = events
        .iter()
        .map(|(_, e)| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "shopflow.ticket.resolved")
            .count(),
        4
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "shopflow.ticket.assigned")
            .count(),
        4
    );
    let resolved = &events[0].1;
    assert_eq!(resolved["subject"], "full-0");
    assert_eq!(resolved["source"], "shopflow/desk");
    assert_eq!(resolved["data"]["by"], "supervisor-zhao");
    assert_eq!(resolved["data"]["ticket_id"], "full-0");
    assert!(resolved["data"]["agent"].is_string());
    desk.delivered(events.iter().map(|(s, _)| *s).collect())
        .await
        .expect("delivered");
    assert!(desk.pending_events().expect("outbox").is_empty());
}

#[tokio::test]
async fn escalation_goes_to_a_supervisor_and_frees_the_agent() {
    let f = Fixture::new();
    let desk = f.open();
    desk.assign(ticket("r1", Department::Returns, "en"), "a1")
        .await
        .expect("assign");
    let waiting = desk
        .assign(ticket("r2", Department::Returns, "en"), "a2")
        .await
        .expect("assign");
    assert_eq!(waiting.status, TicketStatus::Queued, "emma's cap is 1");

    let up = desk
        .escalate("r1", "sla_breached", "e1")
        .await
        .expect("escalate");
    assert_eq!(up.assignment.status, TicketStatus::Escalated);
    assert_eq!(up.assignment.queue, "supervisors");
    assert_eq!(up.assignment.agent.as_deref(), Some("boss"));
    assert_eq!(up.previous_agent.as_deref(), Some("emma"));
    // emma's seat went to the waiting ticket.
    assert_eq!(agent_of(&desk, "r2").await.as_deref(), Some("emma"));

    // Escalating again changes nothing, whatever the key.
    let again = desk.escalate("r1", "again", "e2").await.expect("escalate");
    assert_eq!(again, up);

    // The supervisor is at their cap: the next escalation waits in the escalation queue.
    let second = desk
        .escalate("r2", "angry buyer", "e3")
        .await
        .expect("escalate");
    assert_eq!(
        (second.assignment.agent.as_deref(), second.assignment.status),
        (None, TicketStatus::Escalated)
    );
    // Resolving the supervisor's ticket hands them the waiting escalation.
    let done = desk.resolve("r1", "boss").await.expect("resolve");
    assert_eq!(done.assigned.len(), 1);
    assert_eq!(done.assigned[0].id, "r2");
    assert_eq!(done.assigned[0].agent.as_deref(), Some("boss"));
    assert_eq!(done.assigned[0].status, TicketStatus::Escalated);

    let (_, log) = desk.ticket("r2").expect("read").expect("ticket");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["queued", "assigned", "escalated", "assigned"]);
    assert_eq!(
        log[2].after.as_ref().map(|a| a["reason"].clone()),
        Some(json!("angry buyer"))
    );

    let missing = desk.escalate("nope", "x", "e4").await.expect_err("missing");
    assert!(matches!(missing, shopflow_desk::Error::NotFound(_)));
}

#[tokio::test]
async fn idempotent_by_key_and_by_ticket() {
    let f = Fixture::new();
    let desk = f.open();
    let first = desk
        .assign(ticket("same", Department::Logistics, "zh"), "key-1")
        .await
        .expect("assign");
    // The same step again: the first answer, no second ticket or load.
    let retry = desk
        .assign(ticket("same", Department::Logistics, "zh"), "key-1")
        .await
        .expect("assign");
    assert_eq!(retry, first);
    // Another step for the same ticket id: where the ticket is, nothing changed.
    let other = desk
        .assign(ticket("same", Department::Logistics, "zh"), "key-2")
        .await
        .expect("assign");
    assert_eq!(other, first);
    let all = desk
        .tickets(&TicketFilter {
            limit: 100,
            ..TicketFilter::default()
        })
        .expect("list");
    assert_eq!(all.len(), 1);
    // The load counted once: the next ticket goes to the other agent.
    let next = desk
        .assign(ticket("next", Department::Logistics, "zh"), "key-3")
        .await
        .expect("assign");
    assert_ne!(next.agent, first.agent);
    // A key stays bound to its first answer even after the ticket moved on.
    desk.resolve("same", "li").await.expect("resolve");
    let replay = desk
        .assign(ticket("same", Department::Logistics, "zh"), "key-1")
        .await
        .expect("assign");
    assert_eq!(replay, first);
}

#[tokio::test]
async fn reopening_keeps_loads_queues_and_round_robin() {
    let f = Fixture::new();
    {
        let desk = f.open();
        for (i, key) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            desk.assign(ticket(&format!("p{i}"), Department::Logistics, "zh"), key)
                .await
                .expect("assign");
        }
    }
    let desk = f.open();
    // Both agents are still at their cap of 2; p4 still waits.
    let waiting = desk
        .assign(ticket("p5", Department::Logistics, "zh"), "f")
        .await
        .expect("assign");
    assert_eq!(waiting.status, TicketStatus::Queued);
    let (p4, _) = desk.ticket("p4").expect("read").expect("ticket");
    assert_eq!(p4.status, TicketStatus::Queued);
    // The same key answers the same after the reopen.
    let replay = desk
        .assign(ticket("p0", Department::Logistics, "zh"), "a")
        .await
        .expect("assign");
    assert_eq!(replay.status, TicketStatus::Assigned);
    // The queue order survived: resolving hands over p4 (arrived first), then p5.
    let holder = agent_of(&desk, "p0").await.expect("held");
    let done = desk.resolve("p0", "li").await.expect("resolve");
    assert_eq!(done.assigned[0].id, "p4");
    assert_eq!(done.assigned[0].agent, Some(holder));
    drop(desk);

    // A larger cap at the next start hands waiting tickets over at once.
    let bigger = DESK.replacen("cap = 2", "cap = 3", 1);
    let desk = f.open_with(&bigger);
    let (p5, _) = desk.ticket("p5").expect("read").expect("ticket");
    assert_eq!(p5.status, TicketStatus::Assigned);
    assert_eq!(p5.agent.as_deref(), Some("li"));
    let types: Vec<String> = desk
        .pending_events()
        .expect("outbox")
        .iter()
        .map(|(_, e)| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        types.contains(&"desk:ticket.assigned:p5:logistics".to_owned()),
        "{types:?}"
    );
}

#[tokio::test]
async fn summaries_are_cut_and_masked() {
    let f = Fixture::new();
    let desk = f.open();
    let mut t = ticket("s1", Department::Logistics, "zh");
    t.summary = Some("快递三天没动，电话13812345678".into());
    desk.assign(t, "s").await.expect("assign");
    let (stored, _) = desk.ticket("s1").expect("read").expect("ticket");
    assert_eq!(
        stored.summary.as_deref(),
        Some("快递三天没动，电话138****5678")
    );
}

#[tokio::test]
async fn config_section_builds_the_desk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "[desk]\n{}",
        DESK.replace("[[agent]]", "[[desk.agent]]")
            .replace("[[vip]]", "[[desk.vip]]")
    );
    let config =
        shopflow_connectors::Config::parse(&text, std::path::Path::new("shopflow.toml"), &|_| None)
            .expect("config");
    let desk = Desk::from_config(&config, dir.path(), Arc::new(|| NOW)).expect("desk");
    assert_eq!(desk.settings().agents.len(), 4);
    assert_eq!(desk.vip_tier("tmall-flagship", "tb_gold"), Some("gold"));
    assert!(dir.path().join("desk.db").exists());

    let typo = shopflow_connectors::Config::parse(
        "[desk]\n[[desk.agent]]\nname = \"li\"\nskills = [\"logistic\"]\n",
        std::path::Path::new("shopflow.toml"),
        &|_| None,
    )
    .expect("config");
    let err = Desk::from_config(&typo, dir.path(), Arc::new(|| NOW))
        .err()
        .expect("refused");
    let message = err.to_string();
    assert!(message.contains("shopflow.toml"), "{message}");
    assert!(message.contains("unknown skill `logistic`"), "{message}");

    let unknown_key = shopflow_connectors::Config::parse(
        "[desk]\nescalation = \"x\"\n",
        std::path::Path::new("shopflow.toml"),
        &|_| None,
    )
    .expect("config");
    let err = Desk::from_config(&unknown_key, dir.path(), Arc::new(|| NOW))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("escalation"), "{err}");
}
