//! The embedded engine end to end on a real SQLite file: flow versions, events with
//! correlation (also arriving before their listener), `schedule.on` and `every`, cancel /
//! suspend / resume, and runs pausing on a busy database and carrying on when it clears.

use std::time::{Duration, Instant};

use serde_json::json;
use shopflow_core::{FunctionRegistry, RunStatus};
use shopflow_embedded::journal::{FlowInsert, Options, RunFilter};
use shopflow_embedded::{Engine, EngineError, EngineOptions, RunView};
use tempfile::TempDir;

/// Every wait in this file gives up after this.
const DEADLINE: Duration = Duration::from_secs(20);

fn engine(dir: &TempDir, options: EngineOptions) -> Engine {
    let registry = FunctionRegistry::with_builtins();
    let names = registry.names().into_iter().map(str::to_owned).collect();
    Engine::open(dir.path().join("shopflow.db"), options, registry, names)
        .unwrap_or_else(|e| panic!("open the engine: {e}"))
}

fn quiet() -> EngineOptions {
    EngineOptions {
        schedules: false,
        ..EngineOptions::default()
    }
}

fn flow(name: &str, version: &str, body: &str) -> String {
    format!(
        "document: {{dsl: '1.0.3', namespace: test, name: {name}, version: '{version}'}}\n{body}"
    )
}

async fn until(engine: &Engine, id: &str, what: impl Fn(&RunView) -> bool) -> RunView {
    let started = Instant::now();
    loop {
        let view = engine.get(id).unwrap_or_else(|e| panic!("get {id}: {e}"));
        if what(&view) {
            return view;
        }
        assert!(started.elapsed() < DEADLINE, "run {id} stuck: {view:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn status(view: &RunView) -> RunStatus {
    view.record.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_keeps_the_version_it_started_on() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let v1 = flow(
        "versions",
        "1.0.0",
        "do:\n  - hold:\n      listen:\n        to:\n          one:\n            with:\n              type: go\n  - mark:\n      set:\n        version: 1\n",
    );
    let (_, inserted) = engine.deploy(&v1).await.expect("deploy v1");
    assert_eq!(inserted, FlowInsert::Inserted);
    let (_, again) = engine.deploy(&v1).await.expect("deploy v1 again");
    assert_eq!(again, FlowInsert::Unchanged);
    let changed = v1.replace("version: 1\n", "version: 99\n");
    assert!(matches!(
        engine.deploy(&changed).await,
        Err(EngineError::Conflict(_))
    ));

    let old = engine
        .start("test/versions", json!({}))
        .await
        .expect("start on v1");
    until(&engine, &old, |v| status(v) == RunStatus::Waiting).await;
    let v2 = flow(
        "versions",
        "1.1.0",
        "do:\n  - mark:\n      set:\n        version: 2\n",
    );
    engine.deploy(&v2).await.expect("deploy v2");
    let new = engine
        .start("test/versions", json!({}))
        .await
        .expect("start on v2");
    assert_eq!(
        engine.wait(&new).await.expect("wait").record.output,
        Some(json!({"version": 2}))
    );

    engine
        .publish(json!({"id": "e1", "type": "go", "source": "test"}))
        .await
        .expect("publish");
    let done = engine.wait(&old).await.expect("wait");
    assert_eq!(done.record.version, "1.0.0");
    assert_eq!(done.record.output, Some(json!({"version": 1})));

    let invalid = engine.deploy("document: {dsl: '1.0.3'}\ndo: []\n").await;
    assert!(matches!(invalid, Err(EngineError::Invalid(d)) if !d.is_empty()));
    assert!(matches!(
        engine.start("test/missing", json!({})).await,
        Err(EngineError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_correlated_listener_also_when_they_come_first() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let body = "do:\n  - paid:\n      listen:\n        to:\n          one:\n            with:\n              type: shop.paid\n            correlate:\n              order:\n                from: ${ .subject }\n                expect: ${ $workflow.input.order }\n";
    let body = body.replace("${ $workflow.input.order }", "${ .order }");
    engine
        .deploy(&flow("paid", "1.0.0", &body))
        .await
        .expect("deploy");
    // The event for order B arrives before its run starts; A's arrives after.
    engine
        .publish(json!({"id": "b", "type": "shop.paid", "source": "t", "subject": "B", "data": {"paid": "B"}}))
        .await
        .expect("publish B");
    let a = engine
        .start("test/paid", json!({"order": "A"}))
        .await
        .expect("start A");
    let b = engine
        .start("test/paid", json!({"order": "B"}))
        .await
        .expect("start B");
    let b_done = engine.wait(&b).await.expect("wait B");
    assert_eq!(status(&b_done), RunStatus::Completed, "{b_done:?}");
    assert_eq!(
        b_done.record.output.as_ref().map(|o| &o[0]["paid"]),
        Some(&json!("B"))
    );
    until(&engine, &a, |v| status(v) == RunStatus::Waiting).await;
    let dup = engine
        .publish(json!({"id": "b", "type": "shop.paid", "source": "t", "subject": "B", "data": {"paid": "B"}}))
        .await
        .expect("publish B again");
    assert_eq!(
        dup.inserted,
        shopflow_embedded::journal::EventInsert::Duplicate
    );
    assert_eq!(status(&engine.get(&a).expect("get A")), RunStatus::Waiting);
    engine
        .publish(json!({"id": "a", "type": "shop.paid", "source": "t", "subject": "A", "data": {"paid": "A"}}))
        .await
        .expect("publish A");
    let a_done = engine.wait(&a).await.expect("wait A");
    assert_eq!(
        a_done.record.output.as_ref().map(|o| &o[0]["paid"]),
        Some(&json!("A"))
    );

    let bad = engine.publish(json!({"type": "x", "source": "t"})).await;
    assert!(
        matches!(bad, Err(EngineError::BadRequest { pointer, message })
            if message.contains("/id") && pointer.as_deref() == Some("/id"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_on_starts_one_run_per_event_even_when_it_is_delivered_twice() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let body = "schedule:\n  on:\n    one:\n      with:\n        type: shop.order.created\ndo:\n  - take:\n      set:\n        order: ${ .[0].subject }\n";
    engine
        .deploy(&flow("on-order", "1.0.0", body))
        .await
        .expect("deploy");
    let event = json!({"id": "o-1", "type": "shop.order.created", "source": "t", "subject": "O-1"});
    let first = engine.publish(event.clone()).await.expect("publish");
    let second = engine.publish(event).await.expect("publish again");
    assert_eq!(first.started.len(), 1);
    assert_eq!(first.started, second.started);
    let done = engine.wait(&first.started[0]).await.expect("wait");
    assert_eq!(done.record.output, Some(json!({"order": "O-1"})));
    let runs = engine
        .list(&RunFilter {
            flow: Some("test/on-order".into()),
            ..RunFilter::default()
        })
        .expect("list");
    assert_eq!(runs.len(), 1);
    let other = engine
        .publish(json!({"id": "x", "type": "something.else", "source": "t"}))
        .await
        .expect("publish other");
    assert!(other.started.is_empty());
    engine
        .set_schedule("test/on-order", false)
        .await
        .expect("switch off");
    let off = engine
        .publish(json!({"id": "o-2", "type": "shop.order.created", "source": "t"}))
        .await
        .expect("publish while off");
    assert!(off.started.is_empty(), "a switched-off flow was triggered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_every_starts_runs_on_its_interval() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, EngineOptions::default());
    let body = "schedule:\n  every:\n    milliseconds: 300\ndo:\n  - tick:\n      call: noop\n";
    engine
        .deploy(&flow("ticker", "1.0.0", body))
        .await
        .expect("deploy");
    engine.start_background().expect("background");
    let started = Instant::now();
    let filter = RunFilter {
        flow: Some("test/ticker".into()),
        status: Some(RunStatus::Completed),
        limit: None,
    };
    while engine.list(&filter).expect("list").len() < 2 {
        assert!(
            started.elapsed() < DEADLINE,
            "the schedule started too few runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine
        .set_schedule("test/ticker", false)
        .await
        .expect("switch off");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let count = engine.list(&RunFilter {
        flow: filter.flow.clone(),
        ..RunFilter::default()
    });
    let count = count.expect("list").len();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let later = engine.list(&RunFilter {
        flow: filter.flow,
        ..RunFilter::default()
    });
    assert_eq!(
        later.expect("list").len(),
        count,
        "a switched-off schedule started runs"
    );
    engine.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_suspend_and_resume() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let body = "do:\n  - nap:\n      wait:\n        hours: 1\n";
    engine
        .deploy(&flow("nap", "1.0.0", body))
        .await
        .expect("deploy");
    let id = engine.start("test/nap", json!({})).await.expect("start");
    until(&engine, &id, |v| status(v) == RunStatus::Waiting).await;
    assert_eq!(
        status(&engine.suspend(&id).await.expect("suspend")),
        RunStatus::Suspended
    );
    assert!(matches!(
        engine.resume("nope").await,
        Err(EngineError::NotFound(_))
    ));
    engine.resume(&id).await.expect("resume");
    until(&engine, &id, |v| status(v) == RunStatus::Waiting).await;
    assert_eq!(
        status(&engine.cancel(&id).await.expect("cancel")),
        RunStatus::Cancelled
    );
    assert!(matches!(
        engine.cancel(&id).await,
        Err(EngineError::Conflict(_))
    ));
    assert!(matches!(
        engine.resume(&id).await,
        Err(EngineError::Conflict(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_database_pauses_runs_and_they_carry_on_when_it_clears() {
    let dir = TempDir::new().expect("temp dir");
    let options = EngineOptions {
        journal: Options {
            busy_timeout: Duration::from_millis(50),
            ..Options::default()
        },
        schedules: false,
        ..EngineOptions::default()
    };
    let engine = engine(&dir, options);
    let body = "do:\n  - nap:\n      wait:\n        milliseconds: 200\n  - a:\n      call: noop\n  - b:\n      call: echo\n      with:\n        done: true\n";
    engine
        .deploy(&flow("busy", "1.0.0", body))
        .await
        .expect("deploy");
    let id = engine.start("test/busy", json!({})).await.expect("start");

    // Another program holds the write lock while the run wants to write.
    let other = rusqlite::Connection::open(dir.path().join("shopflow.db")).expect("open");
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let paused = until(&engine, &id, |v| v.paused.is_some()).await;
    let reason = paused.paused.unwrap_or_default();
    assert!(
        reason.contains("locked") || reason.contains("busy"),
        "{reason}"
    );
    assert!(engine.metrics_text().contains("shopflow_runs_paused 1"));
    other.execute_batch("ROLLBACK").expect("release the lock");

    let done = engine.wait(&id).await.expect("wait");
    assert_eq!(status(&done), RunStatus::Completed, "{done:?}");
    assert_eq!(done.record.output, Some(json!({"done": true})));
    assert_eq!(done.paused, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_pauses_runs_and_they_carry_on_when_space_is_freed() {
    let dir = TempDir::new().expect("temp dir");
    let options = EngineOptions {
        journal: Options {
            max_bytes: Some(256 * 1024),
            ..Options::default()
        },
        schedules: false,
        ..EngineOptions::default()
    };
    let engine = engine(&dir, options);
    let copy = "do:\n  - copy:\n      set:\n        kept: ${ .blob }\n";
    engine
        .deploy(&flow("fill", "1.0.0", copy))
        .await
        .expect("deploy fill");
    let later = "do:\n  - nap:\n      wait:\n        seconds: 3\n  - copy:\n      set:\n        kept: ${ .blob }\n";
    engine
        .deploy(&flow("later", "1.0.0", later))
        .await
        .expect("deploy later");
    let blob = "x".repeat(16 * 1024);

    // A run that will want to write after the database has filled up.
    let id = engine
        .start("test/later", json!({"blob": blob}))
        .await
        .expect("start");
    // Other runs fill the database until one is refused (its start, or its end pauses).
    let mut full = None;
    for _ in 0..200 {
        match engine.start("test/fill", json!({"blob": blob})).await {
            Ok(fill) => {
                let v = until(&engine, &fill, |v| {
                    status(v) == RunStatus::Completed || v.paused.is_some()
                })
                .await;
                if let Some(reason) = v.paused {
                    full = Some(reason);
                    break;
                }
            }
            Err(e) => {
                assert!(e.is_retryable(), "{e}");
                full = Some(e.to_string());
                break;
            }
        }
    }
    let full = full.expect("the database never filled up");
    assert!(full.contains("full"), "{full}");
    assert_eq!(status(&engine.get(&id).expect("get")), RunStatus::Waiting);

    let paused = until(&engine, &id, |v| v.paused.is_some()).await;
    assert!(paused.paused.unwrap_or_default().contains("full"));
    // Space comes back: retention deletes the ended runs.
    let freed = engine
        .store()
        .journal()
        .purge(i64::MAX)
        .await
        .expect("purge");
    assert!(freed > 0);
    let done = engine.wait(&id).await.expect("wait");
    assert_eq!(status(&done), RunStatus::Completed, "{done:?}");
    let kept = done
        .record
        .output
        .as_ref()
        .and_then(|o| o["kept"].as_str())
        .map(str::len);
    assert_eq!(kept, Some(16 * 1024));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_awaited_and_detached_are_runs_of_their_own() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let child = "do:\n  - double:\n      set:\n        twice: ${ .n * 2 }\n";
    engine
        .deploy(&flow("child", "1.0.0", child))
        .await
        .expect("deploy child");
    let parent = "do:\n  - waited:\n      run:\n        workflow:\n          namespace: test\n          name: child\n          version: '1.0.0'\n          input:\n            n: 21\n  - detached:\n      run:\n        workflow:\n          namespace: test\n          name: child\n          version: '1.0.0'\n          input:\n            n: 1\n        await: false\n";
    engine
        .deploy(&flow("parent", "1.0.0", parent))
        .await
        .expect("deploy parent");
    let id = engine.start("test/parent", json!({})).await.expect("start");
    let done = engine.wait(&id).await.expect("wait");
    assert_eq!(status(&done), RunStatus::Completed, "{done:?}");
    let children = engine
        .list(&RunFilter {
            flow: Some("test/child".into()),
            ..RunFilter::default()
        })
        .expect("list");
    assert_eq!(children.len(), 2);
    let awaited = children
        .iter()
        .find(|c| c.record.parent.is_some())
        .expect("the awaited child names its parent");
    assert_eq!(awaited.record.parent.as_deref(), Some(id.as_str()));
    assert_eq!(awaited.record.output, Some(json!({"twice": 42})));
    let detached = children
        .iter()
        .find(|c| c.record.parent.is_none())
        .expect("the detached child is a run of its own");
    let detached = engine
        .wait(&detached.record.id)
        .await
        .expect("wait detached");
    assert_eq!(detached.record.output, Some(json!({"twice": 2})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_after_starts_the_next_run_once_the_previous_has_ended() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, EngineOptions::default());
    let body = "schedule:\n  after:\n    milliseconds: 200\ndo:\n  - nap:\n      wait:\n        milliseconds: 300\n";
    engine
        .deploy(&flow("again", "1.0.0", body))
        .await
        .expect("deploy");
    engine.start_background().expect("background");
    let started = Instant::now();
    let all = RunFilter {
        flow: Some("test/again".into()),
        ..RunFilter::default()
    };
    while engine.list(&all).expect("list").len() < 3 {
        assert!(started.elapsed() < DEADLINE, "`after` started too few runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let runs = engine.list(&all).expect("list");
    // Never two at once: each run started after the one before it ended.
    let unfinished = runs.iter().filter(|r| !r.record.status.is_final()).count();
    assert!(unfinished <= 1, "{runs:?}");
    let mut by_start: Vec<_> = runs.iter().map(|r| &r.record).collect();
    by_start.sort_by_key(|r| r.created_ms);
    for pair in by_start.windows(2) {
        assert!(
            pair[1].created_ms >= pair[0].updated_ms + 200,
            "a run started less than 200 ms after the previous ended: {pair:?}"
        );
    }
    engine.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_wait_leaves_memory_and_the_run_comes_back_when_its_timer_is_due() {
    let dir = TempDir::new().expect("temp dir");
    let options = EngineOptions {
        evict_after: Some(Duration::from_millis(300)),
        schedules: false,
        ..EngineOptions::default()
    };
    let engine = engine(&dir, options);
    let body = "do:\n  - before:\n      call: echo\n      with:\n        step: 1\n  - nap:\n      wait:\n        milliseconds: 1500\n  - after:\n      set:\n        woke: true\n";
    engine
        .deploy(&flow("long", "1.0.0", body))
        .await
        .expect("deploy");
    let id = engine.start("test/long", json!({})).await.expect("start");
    let started = Instant::now();
    // Out of memory while it waits, and still reported as waiting.
    loop {
        assert!(started.elapsed() < DEADLINE, "the run was never evicted");
        if engine.metrics_text().contains("shopflow_runs_live 0") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status(&engine.get(&id).expect("get")), RunStatus::Waiting);
    let done = engine.wait(&id).await.expect("wait");
    assert_eq!(status(&done), RunStatus::Completed, "{done:?}");
    assert_eq!(done.record.output, Some(json!({"woke": true})));
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "woke too early"
    );

    // A run cancelled while out of memory stays cancelled and is not woken.
    let id = engine.start("test/long", json!({})).await.expect("start");
    until(&engine, &id, |v| status(v) == RunStatus::Waiting).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        status(&engine.cancel(&id).await.expect("cancel")),
        RunStatus::Cancelled
    );
    assert_eq!(
        status(&engine.wait(&id).await.expect("wait")),
        RunStatus::Cancelled
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(status(&engine.get(&id).expect("get")), RunStatus::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_listened_event_types_stay_in_memory_and_a_later_listener_still_gets_earlier_events() {
    let dir = TempDir::new().expect("temp dir");
    let engine = engine(&dir, quiet());
    let listener = flow(
        "waits",
        "1.0.0",
        "do:\n  - hold:\n      listen:\n        to:\n          one:\n            with:\n              type: shop.paid\n",
    );
    engine.deploy(&listener).await.expect("deploy");
    for (id, ty) in [
        ("e1", "shop.paid"),
        ("e2", "shop.viewed"),
        ("e3", "shop.shipped"),
    ] {
        engine
            .publish(json!({"specversion": "1.0", "id": id, "source": "t", "type": ty}))
            .await
            .expect("publish");
    }
    let in_memory: Vec<String> = engine
        .store()
        .unconsumed_events()
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        in_memory,
        ["e1"],
        "events no flow listens for stay in the journal only"
    );
    assert_eq!(
        engine
            .store()
            .journal()
            .unconsumed_events()
            .expect("read")
            .len(),
        3,
        "every event is stored"
    );

    // A flow deployed later that listens for `shop.shipped` still gets the earlier event.
    let later = flow(
        "later",
        "1.0.0",
        "do:\n  - hold:\n      listen:\n        to:\n          one:\n            with:\n              type: shop.shipped\n",
    );
    engine.deploy(&later).await.expect("deploy later");
    let id = engine.start("test/later", json!({})).await.expect("start");
    let view = until(&engine, &id, |v| status(v) == RunStatus::Completed).await;
    assert_eq!(view.record.status, RunStatus::Completed);

    // After a restart the inbox holds only what deployed flows listen for.
    drop(engine);
    let engine = self::engine(&dir, quiet());
    let ids: Vec<String> = engine
        .store()
        .unconsumed_events()
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["e1"]);
}
