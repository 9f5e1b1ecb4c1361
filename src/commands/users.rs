//! `shopflow user add|list` and `shopflow token create|revoke`: the people who sign in and their API
//! tokens, written straight into the journal file. The journal is single-writer, so these run
//! while `shopflow serve` is stopped (a running server has the same operations under
//! `/api/v1/users`, for admins).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use shopflow_embedded::engine::millis_to_rfc3339;
use shopflow_embedded::journal::{self, Journal, Options, PutMode, PutUserOutcome};
use shopflow_server::auth::users::{self, UserChange};
use shopflow_server::auth::{Role, wall_clock_ms};

/// What `shopflow user` does.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (or with --update change their role and/or password); the password is
    /// read from stdin, at least 10 characters.
    ///
    /// A role or password change ends the user's sessions and is written to the audit log.
    /// Exit 0 done; 1 refused (name taken without --update, weak password, database in use).
    Add {
        /// The login name (letters, digits, `.`, `_`, `-`, `@`; ASCII letters lower-cased).
        name: String,
        /// The role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from the first line of stdin (never pass it as an argument).
        #[arg(long)]
        password_stdin: bool,
        /// Change an existing user instead of refusing the name.
        #[arg(long)]
        update: bool,
        /// The database file `shopflow serve` uses.
        #[arg(long, value_name = "PATH", default_value = "shopflow.db")]
        db: PathBuf,
    },
    /// List the users: name, role, created, and lock state.
    List {
        /// The database file `shopflow serve` uses.
        #[arg(long, value_name = "PATH", default_value = "shopflow.db")]
        db: PathBuf,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// What `shopflow token` does.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user and print it once on stdout (only its hash is stored).
    ///
    /// The token acts with the user's role (also after the role changes). Exit 0 printed;
    /// 1 no such user or the database in use.
    Create {
        /// The user the token belongs to.
        #[arg(long)]
        user: String,
        /// What the token is for (shown in the audit log).
        #[arg(long, default_value = "")]
        label: String,
        /// The database file `shopflow serve` uses.
        #[arg(long, value_name = "PATH", default_value = "shopflow.db")]
        db: PathBuf,
    },
    /// Revoke a user's API tokens: all of them, or those made with one label.
    ///
    /// Written to the audit log (`token_revoked`). Exit 0 done (also when there was none to
    /// revoke: it says so); 1 no such user or the database in use.
    Revoke {
        /// The user whose tokens stop working.
        #[arg(long)]
        user: String,
        /// Only the tokens created with this label.
        #[arg(long)]
        label: Option<String>,
        /// The database file `shopflow serve` uses.
        #[arg(long, value_name = "PATH", default_value = "shopflow.db")]
        db: PathBuf,
    },
}

/// A role on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Everything, including users and the audit log.
    Admin,
    /// Flows, runs, schedules, events, return reviews, tickets.
    Ops,
    /// Invoice reviews, events, reading.
    Finance,
    /// Reading, with personal data masked.
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Ops => Role::Ops,
            RoleArg::Finance => Role::Finance,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// Runs `shopflow user …`.
pub fn run_user(command: UserCommand) -> ExitCode {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
            update,
            db,
        } => finish(add(&name, role.into(), password_stdin, update, &db)),
        UserCommand::List { db, json } => finish(list(&db, json)),
    }
}

/// Runs `shopflow token …`.
pub fn run_token(command: TokenCommand) -> ExitCode {
    match command {
        TokenCommand::Create { user, label, db } => finish(create_token(&user, &label, &db)),
        TokenCommand::Revoke { user, label, db } => {
            finish(revoke_tokens(&user, label.as_deref(), &db))
        }
    }
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn add(
    name: &str,
    role: Role,
    password_stdin: bool,
    update: bool,
    db: &Path,
) -> Result<(), String> {
    let password = if password_stdin {
        Some(read_password()?)
    } else if update {
        None
    } else {
        return Err(
            "a new user needs a password: pipe it in and pass --password-stdin, e.g. \
             `printf '%s' \"$PASSWORD\" | shopflow user add NAME --role ROLE --password-stdin`"
                .to_owned(),
        );
    };
    if let Some(password) = &password {
        shopflow_server::auth::password::check_new_password(password)?;
    }
    let runtime = tokio_runtime()?;
    let journal = open(db, true)?;
    let mode = if update {
        PutMode::CreateOrUpdate
    } else {
        PutMode::Create
    };
    let outcome = runtime
        .block_on(users::put_user(
            &journal,
            UserChange {
                name,
                role,
                password: password.as_deref(),
                mode,
                actor: "cli",
                client: None,
                now_ms: wall_clock_ms(),
            },
        ))
        .map_err(|e| match e {
            users::Error::Exists(_) => format!("{e} (pass --update)"),
            other => other.to_string(),
        })?;
    let name = users::normalize_name(name);
    match outcome {
        PutUserOutcome::Created => println!("created user {name} ({role})"),
        PutUserOutcome::Updated {
            role_changed,
            password_changed,
            sessions_ended,
        } => {
            let mut what = Vec::new();
            if role_changed {
                what.push(format!("role now {role}"));
            }
            if password_changed {
                what.push("new password".to_owned());
            }
            if what.is_empty() {
                println!("user {name} unchanged ({role})");
            } else {
                println!(
                    "updated user {name}: {}; {sessions_ended} session(s) ended",
                    what.join(", ")
                );
            }
        }
        PutUserOutcome::Exists | PutUserOutcome::Missing => {}
    }
    Ok(())
}

fn list(db: &Path, as_json: bool) -> Result<(), String> {
    let journal = open(db, false)?;
    let all = journal.users().map_err(|e| e.to_string())?;
    let now = wall_clock_ms();
    if as_json {
        for u in &all {
            let locked = u
                .locked_until_ms
                .filter(|t| *t > now)
                .map(millis_to_rfc3339);
            let line = json!({
                "name": u.name,
                "role": u.role,
                "createdAt": millis_to_rfc3339(u.created_ms),
                "updatedAt": millis_to_rfc3339(u.updated_ms),
                "lockedUntil": locked,
            });
            println!("{line}");
        }
        return Ok(());
    }
    if all.is_empty() {
        eprintln!(
            "no users yet; add one with `shopflow user add NAME --role ROLE --password-stdin`"
        );
        return Ok(());
    }
    let width = all
        .iter()
        .map(|u| u.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:<8}  {:<24}  LOCKED UNTIL",
        "NAME", "ROLE", "CREATED"
    );
    for u in &all {
        let locked = u
            .locked_until_ms
            .filter(|t| *t > now)
            .map_or_else(|| "-".to_owned(), millis_to_rfc3339);
        println!(
            "{:<width$}  {:<8}  {:<24}  {locked}",
            u.name,
            u.role,
            millis_to_rfc3339(u.created_ms)
        );
    }
    Ok(())
}

/// Runs `act` on the existing database `db`, with the wall clock's time.
fn on_journal<T>(
    db: &Path,
    act: impl AsyncFnOnce(&Journal, i64) -> Result<T, users::Error>,
) -> Result<T, String> {
    let runtime = tokio_runtime()?;
    let journal = open(db, false)?;
    runtime
        .block_on(act(&journal, wall_clock_ms()))
        .map_err(|e| e.to_string())
}

fn revoke_tokens(user: &str, label: Option<&str>, db: &Path) -> Result<(), String> {
    let revoked = on_journal(db, async |journal, now| {
        users::revoke_tokens(journal, user, label, "cli", None, now).await
    })?;
    let name = users::normalize_name(user);
    let which = label.map_or_else(String::new, |l| format!(" labelled `{}`", l.trim()));
    match revoked {
        0 => println!("user {name} has no tokens{which}: nothing revoked"),
        n => println!("revoked {n} token(s) of {name}{which}"),
    }
    Ok(())
}

fn create_token(user: &str, label: &str, db: &Path) -> Result<(), String> {
    let token = on_journal(db, async |journal, now| {
        users::create_token(journal, user, label, "cli", None, now).await
    })?;
    println!("{token}");
    eprintln!(
        "token for {} created; it is shown only now: store it in a secret store",
        users::normalize_name(user)
    );
    Ok(())
}

/// The password on the first line of stdin (without its line ending).
fn read_password() -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let line = input.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err("no password on stdin: pipe it in (one line)".to_owned());
    }
    Ok(line.to_owned())
}

/// Opens the journal like `serve` does; `create` allows a new file (for the first user).
fn open(db: &Path, create: bool) -> Result<Journal, String> {
    if !create && !db.exists() {
        return Err(format!(
            "there is no database at {}; pass --db with the file `shopflow serve` uses",
            db.display()
        ));
    }
    Journal::open(db, Options::default()).map_err(|e| match e {
        journal::Error::InUse { .. } => format!(
            "{e}\n  help: `shopflow serve` keeps {} open; stop it to manage users here, or \
             use the running server's admin API (`POST /api/v1/users`, see docs/operations.md)",
            db.display()
        ),
        other => format!("cannot open {}: {other}", db.display()),
    })
}

fn tokio_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}
