//! The admin endpoints under `/api/v1` (behind the gate, `manage-users` only): the audit log
//! (`GET /audit`), users (`GET /users`, `POST /users`), new tokens for a user
//! (`POST /users/{name}/tokens`) and revoking them (`DELETE /users/{name}/tokens`), so users
//! can be managed while `shopflow serve` holds the database.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_embedded::Engine;
use shopflow_embedded::engine::millis_to_rfc3339;
use shopflow_embedded::journal::{AuditFilter, AuditKind, PutMode, PutUserOutcome, UserRecord};

use super::current::CurrentUser;
use super::role::Role;
use super::users::{self, UserChange, create_token, put_user};
use super::wall_clock_ms;
use crate::api::object_body;
use crate::problem::Problem;

/// `GET /api/v1/audit?user=&kind=&before=&limit=`: newest first; `next` is the `before` of
/// the next page.
pub async fn audit(
    State(engine): State<Engine>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, Problem> {
    if let Some(unknown) = query
        .keys()
        .find(|k| !["user", "kind", "before", "limit"].contains(&k.as_str()))
    {
        return Err(Problem::bad_body(
            "",
            format!("unknown query parameter `{unknown}`; use user, kind, before and limit"),
        ));
    }
    let kind = query
        .get("kind")
        .map(|k| {
            AuditKind::parse(k).ok_or_else(|| {
                let names: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                Problem::bad_body(
                    "",
                    format!(
                        "kind: unknown audit kind `{k}`; use one of {}",
                        names.join(", ")
                    ),
                )
            })
        })
        .transpose()?;
    let number = |name: &str| {
        query
            .get(name)
            .map(|v| v.parse::<i64>())
            .transpose()
            .map_err(|_| Problem::bad_body("", format!("{name} must be a whole number")))
    };
    let before_seq = number("before")?;
    let limit = match number("limit")? {
        None => 100,
        Some(n @ 1..=1000) => u32::try_from(n).unwrap_or(100),
        Some(_) => return Err(Problem::bad_body("", "limit must be from 1 to 1000")),
    };
    let rows = engine
        .store()
        .journal()
        .audit(&AuditFilter {
            user: query.get("user").map(|u| users::normalize_name(u)),
            kind,
            before_seq,
            limit,
        })
        .map_err(journal_problem)?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "at": millis_to_rfc3339(r.at_ms),
                "kind": r.kind,
                "user": r.user,
                "actor": r.actor,
                "client": r.client,
                "detail": r.detail,
            })
        })
        .collect();
    Ok(Json(json!({ "entries": entries, "next": next })).into_response())
}

/// A user as the API shows one (never the password hash).
pub fn user_json(u: &UserRecord, now_ms: i64) -> Value {
    json!({
        "name": u.name,
        "role": u.role,
        "createdAt": millis_to_rfc3339(u.created_ms),
        "updatedAt": millis_to_rfc3339(u.updated_ms),
        "failedLogins": u.failed_logins,
        "lockedUntil": u.locked_until_ms.filter(|t| *t > now_ms).map(millis_to_rfc3339),
    })
}

/// `GET /api/v1/users`.
pub async fn list_users(State(engine): State<Engine>) -> Result<Response, Problem> {
    let now = wall_clock_ms();
    let users: Vec<Value> = engine
        .store()
        .journal()
        .users()
        .map_err(journal_problem)?
        .iter()
        .map(|u| user_json(u, now))
        .collect();
    Ok(Json(json!({ "users": users })).into_response())
}

/// `POST /api/v1/users {"name", "role", "password", "update"}`: 201 created, 200 updated
/// (`update: true` changes an existing user's role and/or password).
pub async fn put(
    State(engine): State<Engine>,
    admin: CurrentUser,
    body: Bytes,
) -> Result<Response, Problem> {
    let body = object_body(&body, &["name", "role", "password", "update"])?;
    let text = |name: &str| match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Problem::bad_body(
            &format!("/{name}"),
            format!("`{name}` must be a string"),
        )),
    };
    let name = text("name")?.ok_or_else(|| Problem::bad_body("/name", "`name` is missing"))?;
    let role = text("role")?.ok_or_else(|| Problem::bad_body("/role", "`role` is missing"))?;
    let role = Role::parse(&role).ok_or_else(|| {
        Problem::bad_body("/role", "`role` must be admin, ops, finance or viewer")
    })?;
    let password = text("password")?;
    let update = match body.get("update") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Problem::bad_body(
                "/update",
                "`update` must be true or false",
            ));
        }
    };
    let outcome = put_user(
        engine.store().journal(),
        UserChange {
            name: &name,
            role,
            password: password.as_deref(),
            mode: if update {
                PutMode::Update
            } else {
                PutMode::Create
            },
            actor: &admin.name,
            client: Some(&admin.client),
            now_ms: wall_clock_ms(),
        },
    )
    .await
    .map_err(user_problem)?;
    let status = match outcome {
        PutUserOutcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    let stored = engine
        .store()
        .journal()
        .user(&users::normalize_name(&name))
        .map_err(journal_problem)?;
    let body = stored.map_or(Value::Null, |u| user_json(&u, wall_clock_ms()));
    Ok((status, Json(body)).into_response())
}

/// `POST /api/v1/users/{name}/tokens {"label"}` → 201 `{"token"}` (shown once).
pub async fn new_token(
    State(engine): State<Engine>,
    admin: CurrentUser,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let label = if body.is_empty() {
        String::new()
    } else {
        match object_body(&body, &["label"])?.get("label") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(Problem::bad_body("/label", "`label` must be a string")),
        }
    };
    let token = create_token(
        engine.store().journal(),
        &name,
        &label,
        &admin.name,
        Some(&admin.client),
        wall_clock_ms(),
    )
    .await
    .map_err(user_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": users::normalize_name(&name), "token": token })),
    )
        .into_response())
}

/// `DELETE /api/v1/users/{name}/tokens[?label=TEXT]` → 200 `{"user", "revoked"}`: the user's
/// tokens (or only those with that label) stop working at once.
pub async fn revoke_tokens(
    State(engine): State<Engine>,
    admin: CurrentUser,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, Problem> {
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "label") {
        return Err(Problem::bad_body(
            "",
            format!(
                "unknown query parameter `{unknown}`; only `label` narrows which tokens are revoked"
            ),
        ));
    }
    let revoked = users::revoke_tokens(
        engine.store().journal(),
        &name,
        query.get("label").map(String::as_str),
        &admin.name,
        Some(&admin.client),
        wall_clock_ms(),
    )
    .await
    .map_err(user_problem)?;
    Ok(Json(json!({ "user": users::normalize_name(&name), "revoked": revoked })).into_response())
}

fn journal_problem(e: shopflow_embedded::journal::Error) -> Problem {
    Problem::from(shopflow_embedded::EngineError::from(e))
}

fn user_problem(e: users::Error) -> Problem {
    match e {
        users::Error::BadName(_) => Problem::bad_body("/name", e.to_string()),
        users::Error::WeakPassword(_) | users::Error::NoPassword => {
            Problem::bad_body("/password", e.to_string())
        }
        users::Error::Exists(_) => Problem::new(StatusCode::CONFLICT, "Conflict", e.to_string()),
        users::Error::Missing(_) => Problem::new(StatusCode::NOT_FOUND, "Not found", e.to_string()),
        users::Error::Crypto(_) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Credential failure",
            e.to_string(),
        ),
        users::Error::Journal(e) => journal_problem(e),
    }
}
