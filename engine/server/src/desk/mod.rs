//! The service desk's REST API (`/api/v1/tickets`, `/api/v1/tasks`, behind the token check)
//! and the relay that publishes the desk's outbox — `shopflow.ticket.resolved`,
//! `shopflow.task.decided`, `shopflow.ticket.assigned` — into the engine. A resolve or a
//! decision answers 2xx only once its event is journaled by the engine.

pub mod tasks;
pub mod tickets;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Map, Value};
use shopflow_desk::Desk;
use shopflow_embedded::EngineError;
use tokio::task::JoinHandle;

use crate::backend::Backend;
use crate::problem::Problem;

/// What the desk's handlers work on.
#[derive(Clone)]
pub struct DeskState {
    /// Where events go.
    pub engine: Backend,
    /// The desk.
    pub desk: Arc<Desk>,
}

/// The signed-in user's extractor reads tokens and sessions from the engine.
impl axum::extract::FromRef<DeskState> for shopflow_embedded::Engine {
    fn from_ref(state: &DeskState) -> shopflow_embedded::Engine {
        state.engine.engine().clone()
    }
}

/// The desk's routes, to nest under `/api/v1` inside the token check.
pub fn routes<S>(engine: Backend, desk: Arc<Desk>) -> Router<S> {
    Router::new()
        .route("/tickets", get(tickets::list))
        .route("/tickets/{id}", get(tickets::show))
        .route("/tickets/{id}/resolve", post(tickets::resolve))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{id}", get(tasks::show))
        .route("/tasks/{id}/decision", post(tasks::decide))
        .with_state(DeskState { engine, desk })
}

/// Publishes every event waiting in the desk's outbox into the engine, oldest first, and
/// forgets those the engine has journaled; returns how many. Publishing twice is harmless:
/// the engine recognises an event id it has stored.
pub async fn deliver(engine: &Backend, desk: &Desk) -> Result<usize, Problem> {
    let pending = desk.pending_events().map_err(desk_problem)?;
    let mut done = Vec::with_capacity(pending.len());
    let mut failure = None;
    for (seq, event) in pending {
        match engine.publish(event).await {
            Ok(_) => done.push(seq),
            Err(EngineError::BadRequest { message, .. }) => {
                // The desk built it; an engine that refuses its shape will refuse it forever.
                tracing::error!(%message, "the engine refused a desk event; dropped");
                done.push(seq);
            }
            Err(e) => {
                failure = Some(Problem::from(e));
                break;
            }
        }
    }
    let n = done.len();
    desk.delivered(done).await.map_err(desk_problem)?;
    match failure {
        Some(p) => Err(p),
        None => Ok(n),
    }
}

/// Keeps delivering the desk's events: whenever a commit queues some (a resolve, a decision,
/// a waiting ticket handed to a freed seat during `ticket.escalate`), and every second while
/// the engine refuses them. Also delivers what a crash left in the outbox, at once.
pub fn spawn_relay(engine: Backend, desk: Arc<Desk>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match deliver(&engine, &desk).await {
                Ok(_) => desk.events_queued().await,
                Err(p) => {
                    tracing::warn!(
                        reason = p.detail(),
                        "desk events not delivered yet; retrying"
                    );
                    tokio::select! {
                        () = desk.events_queued() => {}
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    })
}

/// A desk error as the API answers it.
pub fn desk_problem(e: shopflow_desk::Error) -> Problem {
    match e {
        shopflow_desk::Error::Invalid { field, message } => {
            Problem::bad_body(&format!("/{field}"), format!("`{field}` {message}"))
        }
        shopflow_desk::Error::NotFound(m) => Problem::new(StatusCode::NOT_FOUND, "Not found", m),
        shopflow_desk::Error::Conflict(m) => Problem::new(StatusCode::CONFLICT, "Conflict", m),
        e @ (shopflow_desk::Error::Store { .. } | shopflow_desk::Error::Closed) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Desk unavailable",
            format!("{e}; nothing was changed, retry later"),
        ),
        e @ shopflow_desk::Error::Config(_) => {
            tracing::error!(error = %e, "desk failure answering a request");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Desk failure",
                e.to_string(),
            )
        }
    }
}

/// After a change: its event must be in the engine before the answer.
async fn deliver_after(s: &DeskState, what: &str) -> Result<(), Problem> {
    deliver(&s.engine, &s.desk).await.map(drop).map_err(|p| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Event not delivered",
            format!(
                "{what} is recorded, but its event is not in the engine yet ({}); the desk \
                 delivers it as soon as the engine takes it. Repeating the request answers 409.",
                p.detail()
            ),
        )
    })
}

/// The required non-empty string `name` of `map`.
fn required_string(map: &Map<String, Value>, name: &str) -> Result<String, Problem> {
    match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => Err(Problem::bad_body(
            &format!("/{name}"),
            format!("`{name}` must not be empty"),
        )),
        Some(_) => Err(Problem::bad_body(
            &format!("/{name}"),
            format!("`{name}` must be a string"),
        )),
        None => Err(Problem::bad_body(
            &format!("/{name}"),
            format!("`{name}` is missing"),
        )),
    }
}

/// Checks the query parameters against `known` and reads `limit` (default 100, at most 1000).
fn query_limit(query: &BTreeMap<String, String>, known: &[&str]) -> Result<u32, Problem> {
    if let Some(unknown) = query.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Problem::bad_body(
            "",
            format!(
                "unknown query parameter `{unknown}`; use {}",
                known.join(", ")
            ),
        ));
    }
    match query.get("limit") {
        None => Ok(100),
        Some(l) => match l.parse::<u32>() {
            Ok(n @ 1..=1000) => Ok(n),
            _ => Err(Problem::bad_body(
                "",
                "limit must be a whole number from 1 to 1000",
            )),
        },
    }
}
