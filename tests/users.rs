//! The command-line contract of `shopflow user add|list` and `shopflow token create|revoke`
//! (DESIGN.md): the password comes from stdin, names are not silently overwritten, role
//! changes are audited, a token is printed once and only its hash is stored, and a database
//! held by a running server is refused with its file named.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use shopflow_embedded::journal::{AuditFilter, AuditKind, Journal, Options};
use shopflow_server::auth::token_hash;

fn shopflow(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shopflow");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait for shopflow")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn add(db: &Path, name: &str, role: &str, password: &str, extra: &[&str]) -> Output {
    let db = db.to_str().unwrap_or_default();
    let mut args = vec![
        "user",
        "add",
        name,
        "--role",
        role,
        "--password-stdin",
        "--db",
        db,
    ];
    args.extend_from_slice(extra);
    shopflow(&args, password)
}

#[test]
fn users_are_added_listed_updated_and_given_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shopflow.db");
    let db_arg = db.to_str().unwrap_or_default();

    let out = add(&db, "Chen.Jing", "finance", "correct horse battery\n", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "created user chen.jing (finance)\n");

    // Too short, and an existing name without --update: refused, exit 1.
    let out = add(&db, "wang", "ops", "short\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at least 10 characters"),
        "{}",
        text(&out.stderr)
    );
    let out = add(&db, "chen.jing", "ops", "another long password", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("exists already"),
        "{}",
        text(&out.stderr)
    );
    // No password on stdin for a new user.
    let out = shopflow(
        &["user", "add", "wang", "--role", "ops", "--db", db_arg],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--password-stdin"),
        "{}",
        text(&out.stderr)
    );
    // A usage error is clap's exit 2.
    let out = shopflow(&["user", "add", "wang", "--role", "root"], "");
    assert_eq!(out.status.code(), Some(2));

    // --update changes the role without a password.
    let out = shopflow(
        &[
            "user",
            "add",
            "chen.jing",
            "--role",
            "ops",
            "--update",
            "--db",
            db_arg,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("role now ops"),
        "{}",
        text(&out.stdout)
    );

    let out = add(&db, "zhao", "viewer", "a viewer's long password", &[]);
    assert_eq!(out.status.code(), Some(0));
    let out = shopflow(&["user", "list", "--db", db_arg], "");
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    let rows: Vec<&str> = listing.lines().collect();
    assert!(rows[0].starts_with("NAME"), "{listing}");
    assert!(
        rows[1].starts_with("chen.jing") && rows[1].contains("ops"),
        "{listing}"
    );
    assert!(
        rows[2].starts_with("zhao") && rows[2].contains("viewer"),
        "{listing}"
    );
    let out = shopflow(&["user", "list", "--json", "--db", db_arg], "");
    let first: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap_or_default())
            .expect("a JSON line");
    assert_eq!(first["name"], "chen.jing");

    let out = shopflow(&["token", "create", "--user", "zhao", "--db", db_arg], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    assert!(token.starts_with("sf_") && token.len() == 67, "{token}");
    assert!(text(&out.stderr).contains("shown only now"));
    let out = shopflow(&["token", "create", "--user", "ghost", "--db", db_arg], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no user `ghost`"),
        "{}",
        text(&out.stderr)
    );

    let journal = Journal::open(&db, Options::default()).expect("open");
    let grant = journal
        .token_grant(&token_hash(&token))
        .expect("read")
        .expect("the token's hash is stored");
    assert_eq!(
        (grant.name.as_str(), grant.role.as_str()),
        ("zhao", "viewer")
    );
    let raw = std::fs::read(&db).expect("read the file");
    assert!(
        !raw.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is not in the database"
    );
    drop(journal);

    // Revoking: by label, then everything; the hash is gone and the revocation audited.
    let out = shopflow(
        &[
            "token", "revoke", "--user", "zhao", "--label", "nope", "--db", db_arg,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("nothing revoked"),
        "{}",
        text(&out.stdout)
    );
    let out = shopflow(&["token", "revoke", "--user", "zhao", "--db", db_arg], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("revoked 1 token(s) of zhao"),
        "{}",
        text(&out.stdout)
    );
    let out = shopflow(&["token", "revoke", "--user", "ghost", "--db", db_arg], "");
    assert_eq!(out.status.code(), Some(1));
    let journal = Journal::open(&db, Options::default()).expect("open");
    assert!(
        journal
            .token_grant(&token_hash(&token))
            .expect("read")
            .is_none(),
        "a revoked token is gone"
    );
    let revoked = journal
        .audit(&AuditFilter {
            kind: Some(AuditKind::TokenRevoked),
            limit: 10,
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].detail["revoked"], 1);
    let changes = journal
        .audit(&AuditFilter {
            kind: Some(AuditKind::RoleChanged),
            limit: 10,
            ..AuditFilter::default()
        })
        .expect("audit");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].detail["from"], "finance");
    assert_eq!(changes[0].detail["to"], "ops");
    assert_eq!(changes[0].actor.as_deref(), Some("cli"));
}

#[test]
fn a_database_in_use_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("busy.db");
    // What a running `shopflow serve` holds.
    let held = Journal::open(&db, Options::default()).expect("open");
    let out = add(&db, "wang", "ops", "a long enough password", &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&db.display().to_string()) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(stderr.contains("shopflow serve"), "{stderr}");
    drop(held);
    let out = add(&db, "wang", "ops", "a long enough password", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Listing a file that does not exist does not create one.
    let missing = dir.path().join("missing.db");
    let out = shopflow(
        &["user", "list", "--db", missing.to_str().unwrap_or_default()],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!missing.exists());
}
