//! The SQLite journal on real files: durability across reopen, group commit, refusing files
//! that are not ours or are in use, event de-duplication, resumable runs and due timers.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;
use serde_json::{Value, json};
use shopflow_core::{RunStatus, StepId};
use shopflow_embedded::journal::{
    Error, EventInsert, Journal, NewEvent, Options, RunRecord, StatusChange, Synchronous,
    latest_version, lock_path,
};
use tempfile::TempDir;

fn run(id: &str, status: RunStatus, created_ms: i64) -> RunRecord {
    RunRecord {
        id: id.to_owned(),
        flow: "shop/returns".to_owned(),
        version: "1.0.0".to_owned(),
        status,
        input: json!({ "order": id }),
        output: None,
        error: None,
        created_ms,
        updated_ms: created_ms,
        parent: None,
    }
}

fn step(name: &str) -> StepId {
    StepId::from_raw(format!("/do/0/{name}"))
}

fn event(id: &str) -> NewEvent {
    NewEvent {
        id: id.to_owned(),
        kind: "shopflow.taobao.trade.buyerpay".to_owned(),
        subject: Some("order-1".to_owned()),
        body: json!({ "id": id, "specversion": "1.0" }),
        received_ms: 1_000,
    }
}

fn open(path: &Path) -> Result<Journal> {
    Ok(Journal::open(path, Options::default())?)
}

/// Expects `result` to have failed, and returns its error.
fn refused<T>(result: Result<T, Error>) -> Result<Error> {
    match result {
        Ok(_) => bail!("expected the journal to refuse"),
        Err(e) => Ok(e),
    }
}

#[tokio::test]
async fn reopen_keeps_steps() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("shopflow.db");
    let options = Options {
        synchronous: Synchronous::Normal,
        ..Options::default()
    };
    {
        let journal = Journal::open(&db, options.clone())?;
        journal
            .record_run(&run("r1", RunStatus::Running, 1))
            .await?;
        journal.record_step("r1", &step("a"), &json!(1)).await?;
        journal
            .record_step("r1", &step("b"), &json!({ "ok": true }))
            .await?;
    }
    let journal = Journal::open(&db, options)?;
    let steps = journal.load_steps("r1")?;
    let expected = [
        ("/do/0/a".to_owned(), json!(1)),
        ("/do/0/b".to_owned(), json!({ "ok": true })),
    ];
    assert_eq!(steps, expected.into_iter().collect());
    assert!(journal.load_steps("nobody")?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_steps_share_batches() -> Result<()> {
    const TASKS: usize = 50;
    const STEPS: usize = 20;
    let dir = TempDir::new()?;
    let journal = Arc::new(open(&dir.path().join("shopflow.db"))?);
    for t in 0..TASKS {
        let created = i64::try_from(t)?;
        journal
            .record_run(&run(&format!("r{t}"), RunStatus::Running, created))
            .await?;
    }
    let before = journal.metrics();

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let journal = Arc::clone(&journal);
        tasks.push(tokio::spawn(async move {
            for s in 0..STEPS {
                let result = json!({ "task": t, "step": s });
                journal
                    .record_step(&format!("r{t}"), &step(&format!("s{s}")), &result)
                    .await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }

    let after = journal.metrics();
    let rows = TASKS * STEPS;
    let batches = usize::try_from(after.batches - before.batches)?;
    assert_eq!(after.rows - before.rows, u64::try_from(rows)?);
    assert!(
        batches < rows / 2,
        "{rows} rows took {batches} batches: group commit is not batching"
    );
    assert!(after.max_batch_rows > 1);
    for t in 0..TASKS {
        let steps = journal.load_steps(&format!("r{t}"))?;
        assert_eq!(steps.len(), STEPS, "run r{t}");
        for s in 0..STEPS {
            let key = format!("/do/0/s{s}");
            assert_eq!(steps.get(&key), Some(&json!({ "task": t, "step": s })));
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_bad_row_fails_alone() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("shopflow.db"))?;
    journal
        .record_run(&run("r1", RunStatus::Running, 1))
        .await?;
    let (a, one, two) = (step("a"), json!(1), json!(2));
    let (bad, good) = tokio::join!(
        journal.record_step("ghost", &a, &one),
        journal.record_step("r1", &a, &two),
    );
    assert!(matches!(bad, Err(Error::UnknownRun { ref run }) if run == "ghost"));
    good?;
    assert_eq!(journal.load_steps("r1")?.get("/do/0/a"), Some(&json!(2)));

    // The same result again is a retried write; a different one is a determinism bug.
    journal.record_step("r1", &step("a"), &json!(2)).await?;
    let conflict = refused(journal.record_step("r1", &step("a"), &json!(3)).await)?;
    assert!(matches!(conflict, Error::StepConflict { .. }), "{conflict}");
    assert!(!conflict.is_retryable());
    let again = refused(journal.record_run(&run("r1", RunStatus::Pending, 2)).await)?;
    assert!(matches!(again, Error::RunExists { .. }), "{again}");
    let unknown = StatusChange {
        status: RunStatus::Completed,
        output: None,
        error: None,
        at_ms: 3,
    };
    let unknown = refused(journal.set_status("ghost", &unknown).await)?;
    assert!(matches!(unknown, Error::UnknownRun { .. }), "{unknown}");
    Ok(())
}

#[test]
fn foreign_database_is_refused_and_untouched() -> Result<()> {
    let dir = TempDir::new()?;
    for (name, application_id) in [("other.db", 0x1234_5678), ("plain.db", 0)] {
        let db = dir.path().join(name);
        {
            let conn = Connection::open(&db)?;
            conn.pragma_update(None, "application_id", application_id)?;
            conn.execute_batch("CREATE TABLE orders (id TEXT); INSERT INTO orders VALUES ('o1');")?;
        }
        let before = fs::read(&db)?;
        let err = refused(Journal::open(&db, Options::default()))?;
        let message = err.to_string();
        assert!(matches!(err, Error::Foreign { .. }), "{message}");
        assert!(
            message.contains("is not a shopflow database (application_id")
                && message.ends_with("refusing to touch it"),
            "{message}"
        );
        assert!(!err.is_retryable());
        assert_eq!(fs::read(&db)?, before, "{name} was modified");
    }
    // The header check refuses a stamped foreign file before even creating a lock file.
    assert!(!lock_path(&dir.path().join("other.db")).exists());
    Ok(())
}

#[test]
fn garbage_file_is_refused_and_untouched() -> Result<()> {
    let dir = TempDir::new()?;
    let mut fake_sqlite = b"SQLite format 3\0".to_vec();
    fake_sqlite.resize(4096, 0xff);
    let garbage = b"PK\x03\x04 definitely not a database ".repeat(100);
    // A real database whose pages after the header were overwritten.
    let real = dir.path().join("real.db");
    Connection::open(&real)?.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")?;
    let mut damaged = fs::read(&real)?;
    damaged[100..].fill(0xa5);
    let cases = [
        ("garbage.db", garbage),
        ("broken.db", fake_sqlite),
        ("damaged.db", damaged),
    ];
    for (name, bytes) in cases {
        let db = dir.path().join(name);
        fs::write(&db, &bytes)?;
        let err = refused(Journal::open(&db, Options::default()))?;
        assert!(matches!(err, Error::Corrupt { .. }), "{name}: {err}");
        assert!(err.to_string().contains("left untouched"), "{err}");
        assert!(!err.is_retryable());
        assert_eq!(fs::read(&db)?, bytes, "{name} was modified");
    }
    Ok(())
}

#[test]
fn newer_schema_is_refused() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("shopflow.db");
    drop(open(&db)?);
    let newer = latest_version() + 1;
    Connection::open(&db)?.pragma_update(None, "user_version", newer)?;
    let err = refused(Journal::open(&db, Options::default()))?;
    assert!(
        matches!(err, Error::NewerSchema { found, .. } if found == newer),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade shopflow"), "{err}");
    Ok(())
}

#[test]
fn second_open_is_refused_naming_the_holder() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("shopflow.db");
    let first = open(&db)?;
    let err = refused(Journal::open(&db, Options::default()))?;
    let message = err.to_string();
    let expected = format!("is in use by pid {} (started ", std::process::id());
    assert!(message.contains(&expected), "{message}");
    assert!(message.starts_with("database "), "{message}");
    drop(first);
    open(&db).context("reopening after the holder closed")?;
    Ok(())
}

#[tokio::test]
async fn duplicate_event_id_is_reported() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("shopflow.db"))?;
    let EventInsert::Inserted { seq: first } = journal.insert_event(&event("e1")).await? else {
        bail!("the first e1 should be inserted");
    };
    assert_eq!(
        journal.insert_event(&event("e1")).await?,
        EventInsert::Duplicate
    );
    let EventInsert::Inserted { seq: second } = journal.insert_event(&event("e2")).await? else {
        bail!("e2 should be inserted");
    };
    assert!(second > first);
    Ok(())
}

#[tokio::test]
async fn unfinished_runs_are_the_non_final_ones() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("shopflow.db");
    {
        let journal = open(&db)?;
        for (created, status) in (0..).zip(RunStatus::ALL) {
            journal
                .record_run(&run(status.as_str(), status, created))
                .await?;
        }
        journal
            .record_run(&run("paid", RunStatus::Running, 10))
            .await?;
        let done = StatusChange {
            status: RunStatus::Completed,
            output: Some(json!({ "voucher": "V1" })),
            error: None,
            at_ms: 20,
        };
        journal.set_status("paid", &done).await?;
    }
    let journal = open(&db)?;
    let runs = journal.unfinished_runs()?;
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["pending", "running", "waiting", "suspended"]);
    assert!(runs.iter().all(|r| !r.status.is_final()));
    assert_eq!(runs[1].input, json!({ "order": "running" }));
    Ok(())
}

#[tokio::test]
async fn due_timers_come_in_due_order() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("shopflow.db"))?;
    journal.record_run(&run("a", RunStatus::Waiting, 1)).await?;
    journal.record_run(&run("b", RunStatus::Waiting, 2)).await?;
    journal.add_timer("a", &step("wait"), 300).await?;
    journal.add_timer("b", &step("wait"), 100).await?;
    journal.add_timer("a", &step("later"), 900).await?;
    journal.add_timer("b", &step("moved"), 50).await?;
    // Setting a timer again moves it.
    journal.add_timer("b", &step("moved"), 200).await?;

    let due: Vec<(String, i64)> = journal
        .due_timers(300)?
        .into_iter()
        .map(|t| (t.run_id, t.due_ms))
        .collect();
    let expected = [("b", 100), ("b", 200), ("a", 300)].map(|(r, d)| (r.to_owned(), d));
    assert_eq!(due, expected);
    assert_eq!(journal.next_timer_due()?, Some(100));

    journal.remove_timer("b", &step("wait")).await?;
    journal.remove_timer("b", &step("wait")).await?;
    let steps: Vec<String> = journal
        .due_timers(300)?
        .into_iter()
        .map(|t| t.step)
        .collect();
    assert_eq!(steps, ["/do/0/moved", "/do/0/wait"]);
    assert_eq!(journal.next_timer_due()?, Some(200));
    assert!(journal.due_timers(0)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn results_keep_their_json() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("shopflow.db"))?;
    journal.record_run(&run("r", RunStatus::Running, 1)).await?;
    let value: Value = json!({ "z": 1, "a": [null, 1.5, "文字"], "m": { "k": false } });
    journal.record_step("r", &step("x"), &value).await?;
    assert_eq!(journal.load_steps("r")?.get("/do/0/x"), Some(&value));
    Ok(())
}
