//! The desk's functions through a `FunctionRegistry`, as flows call them: outputs per the
//! contract, validation errors naming the argument and not retryable, and side effects
//! idempotent by the step's key.

use std::sync::Arc;

use serde_json::{Value, json};
use shopflow_core::{CallContext, ErrorKind, FunctionRegistry};
use shopflow_desk::{Desk, DeskSettings};

const DESK: &str = r#"
[[agent]]
name = "li"
skills = ["logistics", "zh"]
cap = 1

[[vip]]
shop = "tmall-flagship"
buyer = "tb_gold"
tier = "gold"
"#;

fn registry(dir: &tempfile::TempDir) -> FunctionRegistry {
    let settings: DeskSettings = toml::from_str(DESK).expect("settings");
    let desk = Desk::open(
        dir.path().join("desk.db"),
        settings,
        Arc::new(|| 1_795_478_400_000),
    )
    .expect("open");
    let mut registry = FunctionRegistry::default();
    shopflow_desk::register(&mut registry, Arc::new(desk));
    registry
}

fn ctx(key: &str) -> CallContext {
    CallContext {
        run_id: "run-7".into(),
        idempotency_key: key.into(),
        instance: "/do/2/assign".into(),
    }
}

async fn call(r: &FunctionRegistry, name: &str, key: &str, args: Value) -> Value {
    r.call(name, ctx(key), args).await.expect(name)
}

#[tokio::test]
async fn contracts_and_effects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let r = registry(&dir);
    assert!(!r.has_effects("customer.vip"));
    for name in [
        "ticket.assign",
        "ticket.escalate",
        "task.open",
        "task.remind",
    ] {
        assert!(r.has_effects(name), "{name}");
    }

    let vip = call(
        &r,
        "customer.vip",
        "v",
        json!({"shop": "tmall-flagship", "buyer_id": "tb_gold"}),
    )
    .await;
    assert_eq!(vip, json!({"vip": true, "tier": "gold"}));
    let plain = call(
        &r,
        "customer.vip",
        "v",
        json!({"shop": "tmall-flagship", "buyer_id": "tb_x"}),
    )
    .await;
    assert_eq!(plain, json!({"vip": false, "tier": null}));
    let unknown = call(
        &r,
        "customer.vip",
        "v",
        json!({"shop": "tmall-flagship", "buyer_id": null}),
    )
    .await;
    assert_eq!(unknown, json!({"vip": false, "tier": null}));

    let args = json!({
        "ticket_id": "TK-1", "shop": "tmall-flagship", "buyer_id": "tb_x",
        "department": "logistics", "language": "zh", "urgency": "high",
        "vip": false, "handover": true, "text_summary": "快递没到"
    });
    let assigned = call(&r, "ticket.assign", "step-1", args.clone()).await;
    assert_eq!(
        assigned,
        json!({
            "ticket_id": "TK-1", "queue": "logistics", "agent": "li", "status": "assigned",
            "sla_minutes": 15, "sla_due_at": "2026-11-24T00:15:00.000Z", "priority": 23
        })
    );
    let mut second = args.clone();
    second["ticket_id"] = json!("TK-2");
    let queued = call(&r, "ticket.assign", "step-2", second).await;
    assert_eq!(
        (queued["status"].clone(), queued["agent"].clone()),
        (json!("queued"), Value::Null)
    );

    // `other` is the general queue: li (no `other` skill) may take it, once free. No buyer id.
    let general = call(
        &r,
        "ticket.assign",
        "step-2b",
        json!({"ticket_id": "TK-3", "shop": "s", "buyer_id": null, "department": "other",
               "language": "zh", "urgency": "low", "vip": false, "handover": false}),
    )
    .await;
    assert_eq!(general["status"], "queued", "li is at the cap");
    let escalated = call(
        &r,
        "ticket.escalate",
        "step-3",
        json!({"ticket_id": "TK-1", "reason": "sla"}),
    )
    .await;
    assert_eq!(escalated["status"], "escalated");
    assert_eq!(escalated["queue"], "escalations");
    assert_eq!(escalated["agent"], Value::Null, "no supervisor configured");
    assert_eq!(escalated["previous_agent"], "li");

    let task = call(
        &r,
        "task.open",
        "step-4",
        json!({"queue": "returns", "kind": "return_review", "title": "Review return R-1",
               "subject": "R-1", "reasons": ["over_limit"], "data": {"amount": "399.00"}}),
    )
    .await;
    assert_eq!(task, json!({"task_id": "T-000001"}));
    let reminded = call(&r, "task.remind", "step-5", json!({"task_id": "T-000001"})).await;
    assert_eq!(
        reminded,
        json!({"task_id": "T-000001", "queue": "returns", "status": "open", "reminders": 1, "reminded": true})
    );
}

#[tokio::test]
async fn an_in_memory_desk_works_and_keeps_nothing() {
    let settings: DeskSettings = toml::from_str(DESK).expect("settings");
    let desk = Desk::in_memory(settings, Arc::new(|| 1_795_478_400_000)).expect("desk");
    let opened = desk
        .open_task(
            shopflow_desk::NewTask {
                queue: "q".into(),
                kind: "k".into(),
                title: "t".into(),
                subject: "s".into(),
                reasons: json!([]),
                data: json!({}),
                run_id: None,
            },
            "key",
        )
        .await
        .expect("open");
    let (task, _) = desk.task(&opened.task_id).expect("read").expect("task");
    assert_eq!(task.subject, "s");
    let other = Desk::in_memory(DeskSettings::default(), Arc::new(|| 0)).expect("desk");
    assert!(other.task(&opened.task_id).expect("read").is_none());
}

#[tokio::test]
async fn bad_arguments_name_the_field_and_are_not_retried() {
    let dir = tempfile::tempdir().expect("temp dir");
    let r = registry(&dir);
    let base = json!({
        "ticket_id": "TK-1", "shop": "s", "buyer_id": "b",
        "department": "logistics", "language": "zh", "urgency": "normal"
    });
    let cases = [
        (
            "department",
            json!("shipping"),
            "unknown department `shipping`",
        ),
        ("urgency", json!("urgent"), "unknown urgency `urgent`"),
        ("vip", json!("yes"), "`vip`"),
        ("language", json!("Chinese"), "`language`"),
        ("colour", json!("red"), "takes no `colour`"),
    ];
    for (field, value, expected) in cases {
        let mut args = base.clone();
        args[field] = value;
        let err = r
            .call("ticket.assign", ctx("k"), args)
            .await
            .expect_err(field);
        assert!(err.is(ErrorKind::Validation), "{err}");
        assert!(!err.retryable, "{err}");
        assert_eq!(err.instance.as_deref(), Some("/do/2/assign"));
        let detail = err.detail.clone().unwrap_or_default();
        assert!(detail.contains(expected), "{field}: {detail}");
        assert!(detail.contains(&format!("`{field}`")), "{field}: {detail}");
    }
    let mut missing = base.clone();
    missing.as_object_mut().map(|m| m.remove("ticket_id"));
    let err = r
        .call("ticket.assign", ctx("k"), missing)
        .await
        .expect_err("missing");
    assert!(err.detail.unwrap_or_default().contains("`ticket_id`"));

    let err = r
        .call(
            "ticket.escalate",
            ctx("k"),
            json!({"ticket_id": "none", "reason": "x"}),
        )
        .await
        .expect_err("unknown ticket");
    assert_eq!((err.status, err.retryable), (404, false));
    let err = r
        .call(
            "task.open",
            ctx("k"),
            json!({"queue": "q", "kind": "k", "title": "t", "subject": "s", "data": []}),
        )
        .await
        .expect_err("data must be an object");
    assert!(err.detail.unwrap_or_default().contains("`data`"));
}
