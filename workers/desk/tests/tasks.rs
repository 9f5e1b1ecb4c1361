//! Human tasks on a real `desk.db`: opened once per key, reminders counted once per key,
//! one decision with its audit row and outbox event, refusals that change nothing, and the
//! lists by queue and status.

use std::sync::Arc;

use serde_json::json;
use shopflow_desk::{
    Decision, Desk, DeskSettings, Error, NewTask, TaskFilter, TaskStatus, Verdict,
};

const NOW: i64 = 1_795_478_400_000;

fn desk(dir: &tempfile::TempDir) -> Desk {
    Desk::open(
        dir.path().join("desk.db"),
        DeskSettings::default(),
        Arc::new(|| NOW),
    )
    .expect("open the desk")
}

fn review(subject: &str) -> NewTask {
    NewTask {
        queue: "finance-review".into(),
        kind: "invoice_review".into(),
        title: format!("Check the invoice of {subject}"),
        subject: subject.into(),
        reasons: json!(["split_required"]),
        data: json!({"total": "1130.00"}),
        run_id: Some("run-1".into()),
    }
}

fn approve(by: &str) -> Decision {
    Decision {
        decision: Verdict::Approve,
        reason: "looks right".into(),
        changes: json!({"total": "1129.99"}),
        by: by.into(),
    }
}

#[tokio::test]
async fn open_remind_decide_with_audit_and_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let desk = desk(&dir);
    let opened = desk.open_task(review("O-1"), "open-1").await.expect("open");
    assert_eq!(opened.task_id, "T-000001");
    let again = desk.open_task(review("O-1"), "open-1").await.expect("open");
    assert_eq!(again, opened, "same key, same task");
    let other = desk.open_task(review("O-2"), "open-2").await.expect("open");
    assert_eq!(other.task_id, "T-000002");

    let r1 = desk.remind("T-000001", "remind-1").await.expect("remind");
    assert_eq!((r1.reminders, r1.reminded), (1, true));
    let r1_again = desk.remind("T-000001", "remind-1").await.expect("remind");
    assert_eq!(r1_again, r1, "same key counts once");
    let r2 = desk.remind("T-000001", "remind-2").await.expect("remind");
    assert_eq!(r2.reminders, 2);

    let decided = desk
        .decide("T-000001", approve("auditor-chen"))
        .await
        .expect("decide");
    assert_eq!(decided.status, TaskStatus::Decided);
    assert_eq!(
        decided.decision.as_ref().map(|d| d.by.as_str()),
        Some("auditor-chen")
    );

    let second = desk
        .decide("T-000001", approve("someone-else"))
        .await
        .expect_err("second decision");
    assert!(matches!(second, Error::Conflict(_)), "{second}");
    assert!(second.to_string().contains("auditor-chen"), "{second}");
    let unknown = desk
        .decide("T-999999", approve("x"))
        .await
        .expect_err("unknown");
    assert!(matches!(unknown, Error::NotFound(_)));
    let nobody = desk
        .decide("T-000002", approve(" "))
        .await
        .expect_err("no by");
    assert!(matches!(nobody, Error::Invalid { ref field, .. } if field == "by"));

    let after = desk.remind("T-000001", "remind-3").await.expect("remind");
    assert_eq!(
        (after.reminders, after.reminded, after.status),
        (2, false, TaskStatus::Decided)
    );

    let (task, log) = desk.task("T-000001").expect("read").expect("task");
    assert_eq!(task.decision, Some(approve("auditor-chen")));
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.by.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("opened", "desk"),
            ("reminded", "desk"),
            ("reminded", "desk"),
            ("decided", "auditor-chen")
        ]
    );
    let decided_row = &log[3];
    assert_eq!(
        decided_row.before.as_ref().map(|b| b["status"].clone()),
        Some(json!("open"))
    );
    assert_eq!(
        decided_row
            .after
            .as_ref()
            .map(|a| a["decision"]["decision"].clone()),
        Some(json!("approve"))
    );

    let events = desk.pending_events().expect("outbox");
    assert_eq!(events.len(), 1, "one decision, one event");
    let event = &events[0].1;
    assert_eq!(event["type"], "shopflow.task.decided");
    assert_eq!(event["id"], "desk:task.decided:T-000001");
    assert_eq!(event["subject"], "T-000001");
    assert_eq!(
        event["data"],
        json!({
            "task_id": "T-000001",
            "decision": "approve",
            "reason": "looks right",
            "changes": {"total": "1129.99"},
            "by": "auditor-chen"
        })
    );

    let open = desk
        .tasks(&TaskFilter {
            queue: Some("finance-review".into()),
            status: Some(TaskStatus::Open),
            limit: 50,
        })
        .expect("list");
    assert_eq!(
        open.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["T-000002"]
    );
    drop(desk);

    // Reopened: the decision, the counter and the outbox are still there.
    let desk = self::desk(&dir);
    let (task, _) = desk.task("T-000001").expect("read").expect("task");
    assert_eq!(task.reminders, 2);
    assert_eq!(desk.pending_events().expect("outbox").len(), 1);
    let third = desk.open_task(review("O-3"), "open-3").await.expect("open");
    assert_eq!(third.task_id, "T-000003");
}
