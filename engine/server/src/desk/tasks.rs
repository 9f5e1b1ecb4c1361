//! `GET /api/v1/tasks?queue=&status=&limit=`, `GET /api/v1/tasks/{id}` and
//! `POST /api/v1/tasks/{id}/decision {"decision", "reason", "changes", "by"}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_desk::{Decision, TaskFilter, TaskStatus, Verdict};

use super::{DeskState, deliver_after, desk_problem, object_body, query_limit, required_string};
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

/// Reads a decision body.
fn decision(body: &Bytes) -> Result<Decision, Problem> {
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
        by: required_string(&body, "by")?,
    })
}

/// Records the decision (with an audit row) and publishes `shopflow.task.decided`; a
/// decided task answers 409.
pub async fn decide(
    State(s): State<DeskState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let decision = decision(&body)?;
    let task = s.desk.decide(&id, decision).await.map_err(desk_problem)?;
    deliver_after(&s, &format!("the decision on task `{id}`")).await?;
    Ok(Json(task.to_json()).into_response())
}
