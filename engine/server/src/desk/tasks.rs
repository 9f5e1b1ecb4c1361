//! `GET /api/v1/tasks?queue=&status=&limit=`, `GET /api/v1/tasks/{id}` and
//! `POST /api/v1/tasks/{id}/decision {"decision", "reason", "changes", "by"}`: the decider
//! needs `decide-task:<queue>` for the task's queue, and the decision is recorded under the
//! signed-in user's name (`by` may be left out; another name is refused, except from admins,
//! who may decide on behalf of someone).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_desk::{Decision, TaskFilter, TaskStatus, Verdict};

use super::{DeskState, deliver_after, desk_problem, query_limit, required_string};
use crate::api::object_body;
use crate::auth::{CurrentUser, Permission, Queue, forbidden};
use crate::problem::Problem;

/// The tasks matching the query, oldest first.
pub async fn list(
    State(s): State<DeskState>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, Problem> {
    let limit = query_limit(&query, &["queue", "status", "limit"])?;
    let status = query
        .get("status")
        .map(|v| {
            TaskStatus::parse(v).ok_or_else(|| {
                Problem::bad_body(
                    "",
                    format!(
                        "status: unknown task status `{v}`; use one of {}",
                        TaskStatus::names()
                    ),
                )
            })
        })
        .transpose()?;
    let filter = TaskFilter {
        queue: query.get("queue").cloned(),
        status,
        limit,
    };
    let tasks: Vec<Value> = s
        .desk
        .tasks(&filter)
        .map_err(desk_problem)?
        .iter()
        .map(|t| t.to_json())
        .collect();
    Ok(Json(json!({ "tasks": tasks })).into_response())
}

/// One task with its audit log.
pub async fn show(State(s): State<DeskState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let (task, log) = s.desk.task(&id).map_err(desk_problem)?.ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("no task `{id}` at the desk"),
        )
    })?;
    let mut body = task.to_json();
    body["audit"] = log.iter().map(|e| e.to_json()).collect();
    Ok(Json(body).into_response())
}

/// Reads a decision body made by `user`.
fn decision(body: &Bytes, user: &CurrentUser) -> Result<Decision, Problem> {
    let body = object_body(body, &["decision", "reason", "changes", "by"])?;
    let verdict = required_string(&body, "decision")?;
    let verdict = Verdict::parse(&verdict).ok_or_else(|| {
        Problem::bad_body(
            "/decision",
            format!("`decision` must be one of {}", Verdict::names()),
        )
    })?;
    let reason = match body.get("reason") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Problem::bad_body("/reason", "`reason` must be a string")),
    };
    let changes = match body.get("changes") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Err(Problem::bad_body(
                "/changes",
                "`changes` must be an object of corrected fields",
            ));
        }
    };
    Ok(Decision {
        decision: verdict,
        reason,
        changes,
        by: decider(&body, user)?,
    })
}

/// Who decides: the signed-in user. A `by` naming someone else is refused, so the audit log
/// shows who really decided, except from admins (`manage-users`), who may record a decision
/// on behalf of a person (an integration or the demo acting for staff).
fn decider(body: &serde_json::Map<String, Value>, user: &CurrentUser) -> Result<String, Problem> {
    if body.get("by").is_some_and(|v| !v.is_null()) {
        let by = required_string(body, "by")?;
        if by != user.name && user.role.allows(Permission::ManageUsers) {
            tracing::info!(admin = %user.name, on_behalf_of = %by, "decision recorded on behalf");
            return Ok(by);
        }
        let user = &user.name;
        if by != *user {
            return Err(Problem::bad_body(
                "/by",
                format!(
                    "`by` is `{by}`, but decisions are recorded under the signed-in user \
                     `{user}`; leave `by` out or send `{user}` (each person decides with their \
                     own login or token)"
                ),
            ));
        }
    }
    Ok(user.name.clone())
}

/// Records the decision (with an audit row) and publishes `shopflow.task.decided`; a
/// decided task answers 409.
pub async fn decide(
    State(s): State<DeskState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let (task, _) = s.desk.task(&id).map_err(desk_problem)?.ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("no task `{id}` at the desk"),
        )
    })?;
    let permission = Permission::DecideTask(Queue::parse(&task.queue));
    if !user.role.allows(permission.clone()) {
        return Err(forbidden(user.role, &permission));
    }
    let decision = decision(&body, &user)?;
    let task = record_decision(&s, &id, decision).await?;
    Ok(Json(task.to_json()).into_response())
}

/// Records `decision` on task `id` and has its `shopflow.task.decided` event journaled by the
/// engine before returning: the one path for decisions from the API and the console.
pub async fn record_decision(
    s: &DeskState,
    id: &str,
    decision: Decision,
) -> Result<shopflow_desk::Task, Problem> {
    let task = s.desk.decide(id, decision).await.map_err(desk_problem)?;
    deliver_after(s, &format!("the decision on task `{id}`")).await?;
    Ok(task)
}
