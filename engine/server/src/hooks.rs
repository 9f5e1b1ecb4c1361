//! Platform push intake: `POST /hooks/{platform}` for the webhook platforms (Shopify, Douyin)
//! and the TMC / Pinduoduo WebSocket channels. A message is verified (signature in constant
//! time, age), journaled as a CloudEvent **before** the 2xx or the ack, de-duplicated by its
//! message id (the event id), and then starts flows (`schedule.on`) or feeds `listen`. Every
//! message is counted in `shopflow_intake_total` with its outcome; every rejection is logged
//! with its reason.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shopflow_connectors::client::Clock;
use shopflow_connectors::push::{self, HookError, PushMessage, Sink};
use shopflow_connectors::{Config, Platform};
use shopflow_embedded::journal::EventInsert;
use tokio::task::JoinHandle;

use crate::backend::Backend;
use crate::problem::Problem;

/// The largest webhook body accepted.
pub const MAX_BODY: usize = 1024 * 1024;

/// What the intake needs besides the engine.
#[derive(Clone)]
pub struct Intake {
    /// Shops and their secrets.
    pub config: Arc<Config>,
    /// Unix milliseconds (tests drive it).
    pub clock: Clock,
}

/// The state of the hook routes.
pub type HookState = (Backend, Intake);

/// `POST /hooks/{platform}`.
pub async fn receive(
    State((engine, intake)): State<HookState>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let source = platform.to_ascii_lowercase();
    let platform = match source.parse::<Platform>() {
        Ok(p @ (Platform::Shopify | Platform::Douyin)) => p,
        Ok(p) => {
            return reject(
                &engine,
                &source,
                "no_webhook",
                Problem::new(
                    StatusCode::NOT_FOUND,
                    "No such hook",
                    if p == Platform::Jd {
                        "shopflow takes no JD pushes; poll JD with a `schedule.cron` flow"
                            .to_owned()
                    } else {
                        format!(
                            "{p} pushes through its WebSocket channel, which shopflow connects to itself; there is no webhook to call"
                        )
                    },
                ),
            );
        }
        Err(e) => {
            return reject(
                &engine,
                "unknown",
                "unknown_platform",
                Problem::new(StatusCode::NOT_FOUND, "No such hook", e),
            );
        }
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return reject(
                &engine,
                &source,
                "too_large",
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Body too large",
                    format!("webhook bodies are limited to {MAX_BODY} bytes"),
                ),
            );
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let now = (intake.clock)();
    let max_age = intake
        .config
        .hook_max_age
        .unwrap_or(shopflow_connectors::config::DEFAULT_HOOK_MAX_AGE);
    let verified = match platform {
        Platform::Shopify => {
            push::shopify::verify(&intake.config, &header, &body, now, max_age).map(|m| vec![m])
        }
        _ => push::douyin::verify(&intake.config, &header, &body),
    };
    let messages = match verified {
        Ok(m) => m,
        Err(e) => return reject(&engine, &source, e.reason(), hook_problem(&e)),
    };
    let mut accepted = 0;
    let mut duplicates = 0;
    for m in messages {
        match store(&engine, &m).await {
            Ok(true) => accepted += 1,
            Ok(false) => duplicates += 1,
            Err(e) => {
                // Not stored: answer 503 so the platform delivers it again (nothing is lost;
                // messages stored before this one are de-duplicated on redelivery).
                return reject(
                    &engine,
                    &source,
                    "not_stored",
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Not stored",
                        format!("the message could not be journaled ({e}); deliver it again"),
                    ),
                );
            }
        }
    }
    let body = match platform {
        Platform::Douyin => push::douyin::success_body(),
        _ => json!({"accepted": accepted, "duplicates": duplicates}),
    };
    (StatusCode::OK, Json(body)).into_response()
}

/// Journals one message as a CloudEvent; `Ok(false)` when it was already stored.
async fn store(engine: &Backend, m: &PushMessage) -> Result<bool, String> {
    let source = m.platform.as_str();
    match engine.publish(m.to_cloud_event()).await {
        Ok(p) => {
            let fresh = matches!(p.inserted, EventInsert::Inserted { .. });
            engine.count_intake(source, if fresh { "accepted" } else { "duplicate" });
            tracing::info!(platform = source, shop = %m.shop, message_id = %m.message_id, r#type = %m.event_type(), started = p.started.len(), duplicate = !fresh, "push message stored");
            Ok(fresh)
        }
        Err(e) => {
            engine.count_intake(source, "not_stored");
            tracing::warn!(platform = source, shop = %m.shop, message_id = %m.message_id, error = %e, "push message not stored");
            Err(e.to_string())
        }
    }
}

fn hook_problem(e: &HookError) -> Problem {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match e {
        HookError::Signature(d) => Problem::new(status, "Invalid signature", d.clone()),
        HookError::Stale(d) => Problem::new(status, "Stale message", d.clone()),
        HookError::UnknownShop(d) => Problem::new(status, "Unknown shop", d.clone()),
        HookError::Malformed { pointer, message } => Problem::bad_body(pointer, message.clone()),
    }
}

fn reject(engine: &Backend, source: &str, reason: &str, problem: Problem) -> Response {
    engine.count_intake(source, reason);
    tracing::warn!(
        platform = source,
        reason,
        "webhook rejected: {}",
        problem.detail()
    );
    problem.into_response()
}

/// Opens the push channel of every Taobao and Pinduoduo shop that has a `push_endpoint`;
/// the tasks run until aborted.
pub fn start_channels(engine: &Backend, intake: &Intake) -> Vec<JoinHandle<()>> {
    let sink: Sink = {
        let engine = engine.clone();
        Arc::new(move |m: PushMessage| {
            let engine = engine.clone();
            Box::pin(async move { store(&engine, &m).await.map(|_| ()) })
        })
    };
    // One channel per app: the platform pushes all of an app's sellers on it.
    let mut apps: std::collections::BTreeMap<
        (Platform, String, String),
        Vec<shopflow_connectors::Shop>,
    > = std::collections::BTreeMap::new();
    for shop in intake.config.shops.values() {
        if let (Platform::Taobao | Platform::Pdd, Some(endpoint)) =
            (shop.platform, &shop.push_endpoint)
        {
            apps.entry((shop.platform, shop.app_key.clone(), endpoint.clone()))
                .or_default()
                .push(shop.clone());
        }
    }
    let mut tasks = Vec::new();
    for ((platform, _, _), shops) in apps {
        let (sink, clock) = (sink.clone(), intake.clock.clone());
        tasks.push(match platform {
            Platform::Taobao => tokio::spawn(push::run(shops, push::tmc::Tmc, sink, clock)),
            _ => tokio::spawn(push::run(shops, push::pdd::PddChannel, sink, clock)),
        });
    }
    tasks
}
