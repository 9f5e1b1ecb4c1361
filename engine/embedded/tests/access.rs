//! The access tables on a real journal file: users, owned and seeded tokens, sessions,
//! failed logins and lockout, and the audit rows each change writes; a version-2 journal with
//! a seeded admin token migrates and keeps it working.

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::Connection;
use serde_json::json;
use shopflow_embedded::journal::{
    AuditFilter, AuditKind, Journal, LoginFailure, NewSession, NewUserToken, Options, PutMode,
    PutUser, PutUserOutcome, TokenRecord,
};
use tempfile::TempDir;

fn open(path: &Path) -> Result<Journal> {
    Ok(Journal::open(path, Options::default())?)
}

fn user(name: &str, role: &str, hash: Option<&str>, mode: PutMode, at_ms: i64) -> PutUser {
    PutUser {
        name: name.to_owned(),
        role: role.to_owned(),
        password_hash: hash.map(str::to_owned),
        mode,
        at_ms,
        actor: "cli".to_owned(),
        client: None,
    }
}

fn kinds(journal: &Journal) -> Result<Vec<String>> {
    let rows = journal.audit(&AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    })?;
    Ok(rows.into_iter().rev().map(|r| r.kind).collect())
}

fn session(hash: &str, user: &str, at_ms: i64) -> NewSession {
    NewSession {
        hash: hash.to_owned(),
        user: user.to_owned(),
        at_ms,
        expires_ms: at_ms + 1_000_000,
        idle_ms: 500_000,
        client: Some("127.0.0.1".to_owned()),
    }
}

#[tokio::test]
async fn users_tokens_and_sessions_with_their_audit_rows() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("access.db");
    let journal = open(&db)?;

    let created = journal
        .put_user(&user("chen", "finance", Some("$h1"), PutMode::Create, 10))
        .await?;
    assert_eq!(created, PutUserOutcome::Created);
    let again = journal
        .put_user(&user("chen", "ops", Some("$h2"), PutMode::Create, 11))
        .await?;
    assert_eq!(again, PutUserOutcome::Exists);
    let missing = journal
        .put_user(&user("nobody", "ops", None, PutMode::Update, 11))
        .await?;
    assert_eq!(missing, PutUserOutcome::Missing);

    // A token acts with its owner's role, also after the role changes.
    let stored = journal
        .add_user_token(&NewUserToken {
            hash: "t1".into(),
            user: "chen".into(),
            label: "ci".into(),
            at_ms: 12,
            actor: "cli".into(),
            client: None,
        })
        .await?;
    assert!(stored);
    let orphan = NewUserToken {
        hash: "t2".into(),
        user: "nobody".into(),
        label: String::new(),
        at_ms: 12,
        actor: "cli".into(),
        client: None,
    };
    assert!(!journal.add_user_token(&orphan).await?);
    assert_eq!(journal.token_grant("t2")?, None);

    journal.login_succeeded(&session("s1", "chen", 20)).await?;
    let grant = journal.session("s1")?.context("the session")?;
    assert_eq!(
        (grant.user.as_str(), grant.role.as_str()),
        ("chen", "finance")
    );

    // A role change ends the sessions; tokens follow the new role.
    let changed = journal
        .put_user(&user("chen", "ops", None, PutMode::Update, 30))
        .await?;
    assert_eq!(
        changed,
        PutUserOutcome::Updated {
            role_changed: true,
            password_changed: false,
            sessions_ended: 1
        }
    );
    assert_eq!(journal.session("s1")?, None);
    let token = journal.token_grant("t1")?.context("the token")?;
    assert_eq!((token.name.as_str(), token.role.as_str()), ("chen", "ops"));
    assert_eq!(token.user.as_deref(), Some("chen"));

    journal.login_succeeded(&session("s2", "chen", 40)).await?;
    journal.touch_session("s2", 45)?.await?;
    assert_eq!(journal.session("s2")?.context("s2")?.last_seen_ms, 45);
    assert!(journal.end_session("s2", 50, Some("127.0.0.1")).await?);
    assert!(!journal.end_session("s2", 51, None).await?);

    assert_eq!(
        kinds(&journal)?,
        [
            "user_created",
            "token_created",
            "login",
            "role_changed",
            "login",
            "logout"
        ]
    );
    let role_change = journal.audit(&AuditFilter {
        kind: Some(AuditKind::RoleChanged),
        limit: 10,
        ..AuditFilter::default()
    })?;
    assert_eq!(role_change[0].detail["from"], "finance");
    assert_eq!(role_change[0].detail["to"], "ops");
    assert_eq!(role_change[0].user.as_deref(), Some("chen"));
    assert_eq!(role_change[0].actor.as_deref(), Some("cli"));

    // Users survive reopening; the hash is never in Debug output.
    drop(journal);
    let journal = open(&db)?;
    let chen = journal.user("chen")?.context("chen")?;
    assert_eq!(chen.role, "ops");
    assert!(!format!("{chen:?}").contains("$h1"));
    assert_eq!(journal.users()?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn five_failures_lock_users_and_unknown_names_alike() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("lockout.db"))?;
    journal
        .put_user(&user("wang", "ops", Some("$h"), PutMode::Create, 0))
        .await?;
    let failure = |name: &str, at_ms| LoginFailure {
        name: name.to_owned(),
        at_ms,
        max_failures: 5,
        lock_ms: 900_000,
        client: Some("10.0.0.9".to_owned()),
    };
    for name in ["wang", "ghost"] {
        for i in 0..4 {
            assert_eq!(journal.login_failed(&failure(name, 1_000 + i)).await?, None);
        }
        assert_eq!(
            journal.login_failed(&failure(name, 2_000)).await?,
            Some(902_000),
            "{name}: the fifth failure locks"
        );
    }
    let wang = journal.user("wang")?.context("wang")?;
    assert_eq!(
        (wang.failed_logins, wang.locked_until_ms),
        (0, Some(902_000))
    );
    let ghost = journal.login_throttle("ghost")?.context("ghost")?;
    assert_eq!(ghost.locked_until_ms, Some(902_000));
    assert_eq!(journal.user("ghost")?, None);

    // A success clears the count; a new password clears a lock.
    journal.login_failed(&failure("wang", 950_000)).await?;
    journal
        .login_succeeded(&session("s", "wang", 960_000))
        .await?;
    assert_eq!(journal.user("wang")?.context("wang")?.failed_logins, 0);
    for i in 0..5 {
        journal.login_failed(&failure("wang", 970_000 + i)).await?;
    }
    assert!(
        journal
            .user("wang")?
            .context("wang")?
            .locked_until_ms
            .is_some()
    );
    journal
        .put_user(&user("wang", "ops", Some("$new"), PutMode::Update, 980_000))
        .await?;
    let wang = journal.user("wang")?.context("wang")?;
    assert_eq!((wang.failed_logins, wang.locked_until_ms), (0, None));

    let lockouts = journal.audit(&AuditFilter {
        kind: Some(AuditKind::Lockout),
        limit: 10,
        ..AuditFilter::default()
    })?;
    assert_eq!(lockouts.len(), 3);
    assert_eq!(lockouts[2].client.as_deref(), Some("10.0.0.9"));
    // Paging: older than the newest row.
    let older = journal.audit(&AuditFilter {
        kind: Some(AuditKind::Lockout),
        before_seq: Some(lockouts[0].seq),
        limit: 10,
        ..AuditFilter::default()
    })?;
    assert_eq!(older.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_seeded_token_is_replaced_by_the_next_seed() -> Result<()> {
    let dir = TempDir::new()?;
    let journal = open(&dir.path().join("seed.db"))?;
    assert!(journal.seed_token("old", 1).await?);
    assert!(!journal.seed_token("old", 2).await?, "the same token again");
    let grant = journal.token_grant("old")?.context("old")?;
    assert_eq!(
        (grant.name.as_str(), grant.role.as_str()),
        ("admin", "admin")
    );
    assert!(journal.seed_token("new", 3).await?);
    assert_eq!(journal.token_grant("old")?, None);
    assert!(journal.token_grant("new")?.is_some());
    // Tokens added the old way (no owner) keep their own name and role.
    journal
        .add_token(&TokenRecord {
            hash: "legacy".into(),
            name: "finance-bot".into(),
            role: "finance".into(),
            created_ms: 4,
        })
        .await?;
    let legacy = journal.token_grant("legacy")?.context("legacy")?;
    assert_eq!(
        (legacy.name.as_str(), legacy.role.as_str(), legacy.user),
        ("finance-bot", "finance", None)
    );
    Ok(())
}

#[tokio::test]
async fn a_version_2_journal_keeps_its_seeded_admin_token() -> Result<()> {
    let dir = TempDir::new()?;
    let db = dir.path().join("v2.db");
    {
        // The version-2 schema as shipped, with a token seeded by that version.
        let conn = Connection::open(&db)?;
        conn.execute_batch(
            "CREATE TABLE tokens (hash TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, \
             role TEXT NOT NULL CHECK (role IN ('admin', 'ops', 'finance', 'viewer')), \
             created_ms INTEGER NOT NULL) WITHOUT ROWID;
             INSERT INTO tokens VALUES ('h', 'admin (SHOPFLOW_ADMIN_TOKEN)', 'admin', 1);",
        )?;
        // Versions 1 and 2 also made these; only what v3 touches matters here.
        conn.pragma_update(None, "application_id", 0x5346_4C57)?;
        conn.pragma_update(None, "user_version", 2)?;
    }
    let journal = open(&db)?;
    let grant = journal.token_grant("h")?.context("the old token")?;
    assert_eq!(
        (grant.name.as_str(), grant.role.as_str()),
        ("admin", "admin")
    );
    // It was marked as seeded, so a new seed replaces it.
    journal.seed_token("h2", 5).await?;
    assert_eq!(journal.token_grant("h")?, None);
    assert_eq!(json!(journal.users()?.len()), json!(0));
    Ok(())
}
