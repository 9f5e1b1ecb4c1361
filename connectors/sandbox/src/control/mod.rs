//! The control API under `/_sandbox/…` (JSON, no auth, loopback peers only): seed data, drive
//! orders and refunds as a buyer or the platform would, queue faults, and read back calls,
//! effects, pushes, Aliyun messages and state.

mod aliyun;
mod orders;
mod read;
mod refunds;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::sandbox::Inner;
use crate::store::{NewPush, table};

/// A control request that could not be done.
#[derive(Debug)]
pub(crate) struct ControlError(StatusCode, String);

impl ControlError {
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, msg.into())
    }

    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, msg.into())
    }

    pub(crate) fn conflict(msg: impl Into<String>) -> Self {
        Self(StatusCode::CONFLICT, msg.into())
    }
}

impl From<rusqlite::Error> for ControlError {
    fn from(e: rusqlite::Error) -> Self {
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<crate::Error> for ControlError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Invalid(m) => Self::bad(m),
            other => Self(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Stores push messages made by a control action and announces them.
pub(crate) fn publish(sb: &Arc<Inner>, pushes: Vec<NewPush>) -> Result<(), ControlError> {
    let rows = {
        let conn = sb.store.lock();
        let mut rows = Vec::new();
        for p in pushes {
            rows.push(table::insert_push(&conn, p, sb.now())?);
        }
        rows
    };
    sb.announce(rows);
    Ok(())
}

/// Refuses peers that are not on this machine (when the server knows the peer).
async fn loopback_only(request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && !peer.ip().is_loopback()
    {
        return ControlError(
            StatusCode::FORBIDDEN,
            "the control API answers loopback peers only".into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// The control routes.
pub(crate) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/_sandbox/seed", post(read::seed))
        .route(
            "/_sandbox/faults",
            post(read::add_fault).delete(read::clear_faults),
        )
        .route("/_sandbox/effects", get(read::effects))
        .route("/_sandbox/calls", get(read::calls))
        .route("/_sandbox/pushes", get(read::pushes))
        .route("/_sandbox/aliyun/messages", get(aliyun::messages))
        .route("/_sandbox/orders", post(orders::create))
        .route("/_sandbox/orders/{shop}/{order_id}", get(orders::show))
        .route(
            "/_sandbox/orders/{shop}/{order_id}/{action}",
            post(orders::act),
        )
        .route("/_sandbox/refunds", post(refunds::create))
        .route(
            "/_sandbox/refunds/{shop}/{refund_id}/{action}",
            post(refunds::act),
        )
        .route("/_sandbox/invoice-requests", post(refunds::invoice_request))
        .route_layer(middleware::from_fn(loopback_only))
}
