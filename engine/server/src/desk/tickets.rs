//! `GET /api/v1/tickets?agent=&status=&queue=&limit=`, `GET /api/v1/tickets/{id}` and
//! `POST /api/v1/tickets/{id}/resolve {"by"}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_desk::{TicketFilter, TicketStatus};

use super::{DeskState, deliver_after, desk_problem, query_limit, required_string};
use crate::api::object_body;
use crate::problem::Problem;

/// The tickets matching the query, newest first.
pub async fn list(
    State(s): State<DeskState>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, Problem> {
    let limit = query_limit(&query, &["agent", "status", "queue", "limit"])?;
    let status = query
        .get("status")
        .map(|v| {
            TicketStatus::parse(v).ok_or_else(|| {
                Problem::bad_body(
                    "",
                    format!(
                        "status: unknown ticket status `{v}`; use one of {}",
                        TicketStatus::names()
                    ),
                )
            })
        })
        .transpose()?;
    let filter = TicketFilter {
        agent: query.get("agent").cloned(),
        status,
        queue: query.get("queue").cloned(),
        limit,
    };
    let now = s.desk.now_ms();
    let tickets: Vec<Value> = s
        .desk
        .tickets(&filter)
        .map_err(desk_problem)?
        .iter()
        .map(|t| t.to_json(now))
        .collect();
    Ok(Json(json!({ "tickets": tickets })).into_response())
}

/// One ticket with its audit log.
pub async fn show(State(s): State<DeskState>, Path(id): Path<String>) -> Result<Response, Problem> {
    let (ticket, log) = s
        .desk
        .ticket(&id)
        .map_err(desk_problem)?
        .ok_or_else(|| not_found(&id))?;
    let mut body = ticket.to_json(s.desk.now_ms());
    body["audit"] = log.iter().map(|e| e.to_json()).collect();
    Ok(Json(body).into_response())
}

/// Resolves the ticket: frees its agent, who takes the next waiting ticket, and publishes
/// `shopflow.ticket.resolved`.
pub async fn resolve(
    State(s): State<DeskState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let body = object_body(&body, &["by"])?;
    let by = required_string(&body, "by")?;
    let done = s.desk.resolve(&id, &by).await.map_err(desk_problem)?;
    deliver_after(&s, &format!("the resolve of ticket `{id}`")).await?;
    let assigned: Vec<Value> = done
        .assigned
        .iter()
        .map(|t| json!({"ticket_id": t.id, "agent": t.agent, "queue": t.queue}))
        .collect();
    Ok(Json(json!({
        "ticket": done.ticket.to_json(s.desk.now_ms()),
        "assigned": assigned,
    }))
    .into_response())
}

fn not_found(id: &str) -> Problem {
    Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        format!("no ticket `{id}` at the desk"),
    )
}
