//! Seeding, faults, and reading back calls, effects and pushes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ControlError;
use crate::gate::FaultSpec;
use crate::sandbox::Inner;
use crate::store::table;

#[derive(Debug, Deserialize)]
pub(super) struct SeedRequest {
    orders: Option<usize>,
    seed: Option<u64>,
}

/// `POST /_sandbox/seed {"orders": N, "seed": S}`.
pub(super) async fn seed(
    State(sb): State<Arc<Inner>>,
    Json(req): Json<SeedRequest>,
) -> Result<Json<Value>, ControlError> {
    let summary = crate::seed::run(&sb, req.orders.unwrap_or(20), req.seed.unwrap_or(7))?;
    Ok(Json(json!(summary)))
}

/// `POST /_sandbox/faults`.
pub(super) async fn add_fault(
    State(sb): State<Arc<Inner>>,
    Json(spec): Json<FaultSpec>,
) -> Result<Json<Value>, ControlError> {
    if let Some(shop) = &spec.shop
        && sb.shop(shop).is_none()
    {
        return Err(ControlError::not_found(format!(
            "no shop `{shop}` in the configuration"
        )));
    }
    sb.faults.push(spec);
    Ok(Json(json!({ "queued": sb.faults.pending() })))
}

/// `DELETE /_sandbox/faults`.
pub(super) async fn clear_faults(State(sb): State<Arc<Inner>>) -> Json<Value> {
    sb.faults.clear();
    Json(json!({ "queued": 0 }))
}

/// `GET /_sandbox/effects?shop=NAME`.
pub(super) async fn effects(
    State(sb): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ControlError> {
    let conn = sb.store.lock();
    let rows = table::effects(&conn, q.get("shop").map(String::as_str))?;
    Ok(Json(json!({ "effects": rows })))
}

/// `GET /_sandbox/calls?shop=NAME` (a shop name or an app key).
pub(super) async fn calls(
    State(sb): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ControlError> {
    let conn = sb.store.lock();
    let rows = table::calls(&conn, q.get("shop").map(String::as_str))?;
    Ok(Json(json!({ "calls": rows })))
}

/// `GET /_sandbox/pushes`.
pub(super) async fn pushes(State(sb): State<Arc<Inner>>) -> Result<Json<Value>, ControlError> {
    let conn = sb.store.lock();
    let rows = table::pushes(&conn)?;
    let list: Vec<Value> = rows
        .iter()
        .map(|p| {
            json!({
                "id": p.msg_id,
                "seq": p.id,
                "platform": p.platform,
                "shop": p.shop,
                "topic": p.topic,
                "state": p.state,
                "attempts": p.attempts,
            })
        })
        .collect();
    Ok(Json(json!({ "pushes": list })))
}
