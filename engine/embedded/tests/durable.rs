//! `SqliteContext` on real SQLite files: calls journaled and replayed after a crash without
//! running again, durable timers that survive a restart, and events emitted by one run and
//! consumed once by another.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{CallContext, Function, FunctionRegistry, WorkflowError};
use shopflow_dsl::Workflow;
use shopflow_embedded::journal::{NewEvent, Options, Synchronous};
use shopflow_embedded::{FlowCatalog, ManualClock, SqliteContext, Store};
use tempfile::TempDir;
use tokio::sync::Notify;

/// Counts its executions, records each call's idempotency key and `n`, and (when `block_at`
/// is set) signals `entered` and never returns on that call's `n`.
#[derive(Default)]
struct Count {
    seen: Arc<Mutex<Vec<(String, i64)>>>,
    block_at: Option<i64>,
    entered: Arc<Notify>,
}

impl Function for Count {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let n = args.get("n").and_then(Value::as_i64).unwrap_or(0);
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((ctx.idempotency_key, n));
        }
        let block = self.block_at == Some(n);
        let entered = Arc::clone(&self.entered);
        Box::pin(async move {
            if block {
                entered.notify_one();
                // Never notified: the call stays in flight until the run is dropped.
                Notify::new().notified().await;
            }
            Ok(json!({ "n": n }))
        })
    }

    fn summary(&self) -> &'static str {
        "test: counts its calls"
    }
}

fn registry(count: Count) -> FunctionRegistry {
    let mut r = FunctionRegistry::with_builtins();
    r.register("count", Arc::new(count));
    r
}

fn flow(text: &str) -> Result<Workflow> {
    Ok(
        shopflow_dsl::load(text.as_bytes(), &["noop", "echo", "count"])
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .workflow,
    )
}

fn calls_flow(n: i64) -> String {
    let mut text = String::from(
        "document: {dsl: '1.0.3', namespace: test, name: calls, version: '1.0.0'}\ndo:\n",
    );
    for i in 1..=n {
        text.push_str(&format!(
            "  - c{i}:\n      call: count\n      with: {{n: {i}}}\n      export: {{as: '${{ $context + {{c{i}: .n}} }}'}}\n"
        ));
    }
    text.push_str("  - out:\n      set: '${ $context }'\n");
    text
}

fn open(dir: &TempDir) -> Result<Arc<Store>> {
    let options = Options {
        synchronous: Synchronous::Normal,
        ..Options::default()
    };
    Ok(Arc::new(Store::open(
        dir.path().join("shopflow.db"),
        options,
    )?))
}

fn context(store: &Arc<Store>, run: &str, count: Count) -> Result<SqliteContext> {
    Ok(SqliteContext::open(
        Arc::clone(store),
        run,
        registry(count),
        FlowCatalog::default(),
    )?)
}

#[tokio::test]
async fn ten_calls_complete_and_are_journaled() -> Result<()> {
    let dir = TempDir::new()?;
    let store = open(&dir)?;
    let wf = flow(&calls_flow(10))?;
    let seen_calls = Arc::new(Mutex::new(Vec::new()));
    let count = Count {
        seen: Arc::clone(&seen_calls),
        ..Count::default()
    };
    let ctx = context(&store, "r1", count)?;
    let out = ctx.run(&wf, json!({}), Value::Null).await?;
    for i in 1..=10 {
        assert_eq!(out[format!("c{i}")], json!(i), "output {out}");
    }
    assert_eq!(seen_calls.lock().map(|s| s.len()).unwrap_or(0), 10);
    let steps = store.journal().load_steps("r1")?;
    assert_eq!(steps.values().filter(|v| v.get("ok").is_some()).count(), 10);
    assert!(
        store.journal().unfinished_runs()?.is_empty(),
        "the run is journaled as completed"
    );
    Ok(())
}

#[tokio::test]
async fn a_crashed_run_replays_journaled_calls_without_running_them() -> Result<()> {
    let dir = TempDir::new()?;
    let wf = flow(&calls_flow(4))?;
    let first = Count {
        block_at: Some(3),
        ..Count::default()
    };
    let first_seen = Arc::clone(&first.seen);
    let entered = Arc::clone(&first.entered);
    {
        let store = open(&dir)?;
        let ctx = context(&store, "r1", first)?;
        tokio::select! {
            result = ctx.run(&wf, json!({}), Value::Null) => {
                anyhow::bail!("the run should block on its third call, got {result:?}");
            }
            () = entered.notified() => {}
        }
        // The run future, the context and the store (journal) are dropped here: a crash.
    }
    let before = first_seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(
        before.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1, 2, 3]
    );

    let store = open(&dir)?;
    let second = Count::default();
    let second_seen = Arc::clone(&second.seen);
    let ctx = context(&store, "r1", second)?;
    let out = ctx.run(&wf, json!({}), Value::Null).await?;
    assert_eq!(out, json!({"c1": 1, "c2": 2, "c3": 3, "c4": 4}));
    let after = second_seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(
        after.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [3, 4],
        "the journaled calls 1 and 2 ran again"
    );
    assert_eq!(
        after[0].0, before[2].0,
        "the call in flight must get the same idempotency key when it runs again"
    );
    // A third run replays everything.
    let third = Count::default();
    let ctx = context(&store, "r1", third)?;
    let again = ctx.run(&wf, json!({}), Value::Null).await?;
    assert_eq!(again, out);
    Ok(())
}

const WAIT: &str = "
document: {dsl: '1.0.3', namespace: test, name: wait, version: '1.0.0'}
do:
  - hold:
      wait: PT1H
  - done:
      set: {waited: true}
";

/// The earliest pending timer once the writer has committed it: a timer row is queued, not
/// awaited, before the run sleeps (nothing outside the run depends on it).
async fn committed_timer(store: &Store) -> Result<Option<i64>> {
    for _ in 0..400 {
        if let Some(due) = store.journal().next_timer_due()? {
            return Ok(Some(due));
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Ok(store.journal().next_timer_due()?)
}

#[tokio::test]
async fn a_durable_timer_waits_only_the_remaining_time_after_a_restart() -> Result<()> {
    let dir = TempDir::new()?;
    let wf = Arc::new(flow(WAIT)?);
    let epoch = 1_700_000_000_000_i64;
    let hour = 3_600_000_i64;

    // A whole run waits the hour, and only the hour.
    {
        let store = open(&dir)?;
        let clock = Arc::new(ManualClock::new(epoch));
        let ctx = context(&store, "whole", Count::default())?.with_clock(clock.clone());
        let wf = Arc::clone(&wf);
        let run = tokio::spawn(async move { ctx.run(&wf, json!({}), Value::Null).await });
        assert_eq!(clock.sleeping().await, epoch + hour);
        assert_eq!(committed_timer(&store).await?, Some(epoch + hour));
        clock.advance(hour - 1);
        assert!(!run.is_finished());
        clock.advance(1);
        assert_eq!(run.await??, json!({"waited": true}));
        assert_eq!(
            store.journal().next_timer_due()?,
            None,
            "fired timer removed"
        );
    }

    // A run stopped while its timer is journaled but not fired: a crash.
    {
        let store = open(&dir)?;
        let clock = Arc::new(ManualClock::new(epoch));
        let ctx = context(&store, "restart", Count::default())?.with_clock(clock.clone());
        let run = {
            let wf = Arc::clone(&wf);
            tokio::spawn(async move { ctx.run(&wf, json!({}), Value::Null).await })
        };
        clock.sleeping().await;
        run.abort();
        assert!(run.await.is_err_and(|e| e.is_cancelled()));
        assert_eq!(committed_timer(&store).await?, Some(epoch + hour));
    }

    // Restarted 40 minutes later: it sleeps until the journaled due time, 20 minutes on.
    let store = open(&dir)?;
    let clock = Arc::new(ManualClock::new(epoch + 40 * 60_000));
    let ctx = context(&store, "restart", Count::default())?.with_clock(clock.clone());
    let run = {
        let wf = Arc::clone(&wf);
        tokio::spawn(async move { ctx.run(&wf, json!({}), Value::Null).await })
    };
    assert_eq!(clock.sleeping().await, epoch + hour);
    clock.advance(20 * 60_000);
    assert_eq!(run.await??, json!({"waited": true}));

    // Restarted after the due time: no wait at all (the clock never moves).
    {
        let clock = Arc::new(ManualClock::new(epoch));
        let ctx = context(&store, "late", Count::default())?.with_clock(clock.clone());
        let run = {
            let wf = Arc::clone(&wf);
            tokio::spawn(async move { ctx.run(&wf, json!({}), Value::Null).await })
        };
        clock.sleeping().await;
        run.abort();
        assert!(run.await.is_err_and(|e| e.is_cancelled()));
        // A restart reopens the journal after its writer drained; here the same store is
        // reused, so wait for the queued due time to be committed first.
        assert_eq!(committed_timer(&store).await?, Some(epoch + hour));
    }
    let clock = Arc::new(ManualClock::new(epoch + 2 * hour));
    let ctx = context(&store, "late", Count::default())?.with_clock(clock);
    assert_eq!(
        ctx.run(&wf, json!({}), Value::Null).await?,
        json!({"waited": true})
    );
    Ok(())
}

const EMIT: &str = "
document: {dsl: '1.0.3', namespace: test, name: emit, version: '1.0.0'}
do:
  - ping:
      emit:
        event:
          with: {type: test.ping, data: {x: 1}}
";

const LISTEN: &str = "
document: {dsl: '1.0.3', namespace: test, name: listen, version: '1.0.0'}
do:
  - wait:
      listen:
        to:
          one:
            with: {type: test.ping}
";

fn event(id: &str) -> NewEvent {
    NewEvent {
        id: id.to_owned(),
        kind: "test.ping".to_owned(),
        subject: None,
        body: json!({ "specversion": "1.0", "id": id, "source": "test", "type": "test.ping",
                      "data": { "x": id } }),
        received_ms: 1,
    }
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn events_emitted_by_one_run_are_consumed_once_by_another() -> Result<()> {
    let dir = TempDir::new()?;
    let store = open(&dir)?;
    let emit = flow(EMIT)?;
    let listen = Arc::new(flow(LISTEN)?);

    // The listener waits first; the emitter's event wakes it.
    let listener = context(&store, "listener", Count::default())?;
    let waiting = {
        let listen = Arc::clone(&listen);
        tokio::spawn(async move { listener.run(&listen, json!({}), Value::Null).await })
    };
    let emitter = context(&store, "emitter", Count::default())?;
    emitter.run(&emit, json!({}), Value::Null).await?;
    let heard = waiting.await??;
    assert_eq!(
        heard,
        json!([{"x": 1}]),
        "the listen's output is the event data"
    );
    assert!(store.unconsumed_events().is_empty());

    // An event published before anyone listens is consumed by one listener only.
    store.publish(&event("early")).await?;
    let first = context(&store, "first", Count::default())?;
    let out = first.run(&listen, json!({}), Value::Null).await?;
    assert!(out.to_string().contains("early"), "first got {out}");
    assert!(store.unconsumed_events().is_empty());

    let second = context(&store, "second", Count::default())?;
    let waiting = {
        let listen = Arc::clone(&listen);
        tokio::spawn(async move { second.run(&listen, json!({}), Value::Null).await })
    };
    store.publish(&event("late")).await?;
    let out = waiting.await??;
    assert!(out.to_string().contains("late"), "second got {out}");
    assert!(!out.to_string().contains("early"), "second got {out}");

    // Replaying the first listener returns its event and consumes nothing new.
    store.publish(&event("spare")).await?;
    let replay = context(&store, "first", Count::default())?;
    let again = replay.run(&listen, json!({}), Value::Null).await?;
    assert!(again.to_string().contains("early"), "replay got {again}");
    assert_eq!(ids(&store.unconsumed_events()), ["spare"]);
    Ok(())
}

const PARENT: &str = "
document: {dsl: '1.0.3', namespace: test, name: parent, version: '1.0.0'}
do:
  - sub:
      run:
        workflow: {namespace: test, name: calls, version: '1.0.0', input: {}}
";

#[tokio::test]
async fn a_child_run_is_journaled_as_its_own_run_and_replayed() -> Result<()> {
    let dir = TempDir::new()?;
    let store = open(&dir)?;
    let parent = flow(PARENT)?;
    let catalog = FlowCatalog::default();
    catalog.add(Arc::new(flow(&calls_flow(2))?));
    let count = Count::default();
    let seen = Arc::clone(&count.seen);
    let ctx = SqliteContext::open(Arc::clone(&store), "p1", registry(count), catalog.clone())?;
    let out = ctx.run(&parent, json!({}), Value::Null).await?;
    assert_eq!(out, json!({"c1": 1, "c2": 2}));
    assert_eq!(seen.lock().map(|s| s.len()).unwrap_or(0), 2);
    let child_runs: Vec<String> = store
        .journal()
        .load_steps("p1")?
        .keys()
        .map(|step| format!("p1/{step}"))
        .collect();
    assert_eq!(
        child_runs.len(),
        1,
        "the parent journals the child's result"
    );
    assert_eq!(store.journal().load_steps(&child_runs[0])?.len(), 2);

    let count = Count::default();
    let again_seen = Arc::clone(&count.seen);
    let replay = SqliteContext::open(Arc::clone(&store), "p1", registry(count), catalog)?;
    assert_eq!(replay.run(&parent, json!({}), Value::Null).await?, out);
    assert_eq!(again_seen.lock().map(|s| s.len()).unwrap_or(0), 0);
    Ok(())
}
