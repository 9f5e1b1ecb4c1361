//! The REST API's gate: every `/api/v1` request is signed in (bearer token or session
//! cookie, else 401), carries the CSRF token when signed in by cookie and changing something,
//! and needs the [`Permission`] its route asks for (else 403 naming it). Answers to roles
//! that may not see personal data have it masked.

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_embedded::Engine;

use super::csrf::{header_token, is_safe, verify_csrf};
use super::current::{
    AuthVia, CurrentUser, Unauthenticated, authenticate, client_address, unauthorized,
};
use super::mask::mask_personal;
use super::permission::Permission;
use super::role::Role;
use super::wall_clock_ms;
use crate::problem::Problem;

/// The largest JSON answer masked for a viewer (larger ones are refused rather than leaked).
const MAX_MASKED_BYTES: usize = 64 * 1024 * 1024;

/// What a route needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Required {
    /// This permission.
    Permission(Permission),
    /// Deciding a desk task: the handler checks the task's queue; the gate only lets roles
    /// through that decide some queue.
    TaskDecision,
}

/// What `method` on the API path `path` (`/api/v1/…`, or the part after it) needs. Anything
/// not listed that changes something is for admins only.
pub fn required(method: &Method, path: &str) -> Required {
    let rest = path.strip_prefix("/api/v1").unwrap_or(path);
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let need = Required::Permission;
    if matches!(segments.first(), Some(&("users" | "audit"))) {
        return need(Permission::ManageUsers);
    }
    if is_safe(method) {
        return need(Permission::ReadRuns);
    }
    if method != Method::POST || segments.iter().skip(1).any(|s| s.is_empty()) {
        return need(Permission::ManageUsers);
    }
    match segments.as_slice() {
        ["flows"] => need(Permission::DeployFlows),
        ["flows", _, _, "schedule"] => need(Permission::ToggleSchedules),
        ["runs"] | ["runs", _, _] => need(Permission::SteerRuns),
        ["events"] => need(Permission::SendEvents),
        ["tickets", _, "resolve"] => need(Permission::ResolveTickets),
        ["tasks", _, "decision"] => Required::TaskDecision,
        _ => need(Permission::ManageUsers),
    }
}

/// The 403 answer for `role` lacking `permission` (the problem names both).
pub fn forbidden(role: Role, permission: &Permission) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "role `{role}` may not {} (permission `{}`)",
            permission.describe(),
            permission.name()
        ),
    )
    .with("permission", json!(permission.name()))
    .with("role", json!(role.as_str()))
}

/// Middleware over `/api/v1`: 401 without a valid token or session, 403 without the CSRF
/// token (cookie sessions changing something) or the route's permission; leaves the
/// [`CurrentUser`] in the request's extensions; masks personal data in JSON answers for roles
/// without [`Permission::SeePersonalData`].
pub async fn require_token(State(engine): State<Engine>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    // Nested routers see their path with the prefix stripped; routes are judged by the full
    // path.
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
    let user = match parts.extensions.get::<CurrentUser>() {
        Some(user) => user.clone(),
        None => {
            let client = client_address(&parts);
            match authenticate(
                engine.store().journal(),
                &parts.headers,
                &client,
                wall_clock_ms(),
            ) {
                Ok(user) => user,
                Err(Unauthenticated(detail)) => return unauthorized(&detail),
            }
        }
    };
    if user.via == AuthVia::Session
        && !is_safe(&parts.method)
        && let Err(problem) = verify_csrf(&user, header_token(&parts.headers).as_deref())
    {
        return problem.into_response();
    }
    match required(&parts.method, &path) {
        Required::Permission(permission) => {
            if !user.role.allows(permission.clone()) {
                return forbidden(user.role, &permission).into_response();
            }
        }
        Required::TaskDecision => {
            if !user.role.decides_some_queue() {
                return Problem::new(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!("role `{}` may not decide desk tasks", user.role),
                )
                .with("permission", json!("decide-task"))
                .with("role", json!(user.role.as_str()))
                .into_response();
            }
        }
    }
    let masks = !user.role.allows(Permission::SeePersonalData);
    parts.extensions.insert(user);
    let response = next.run(Request::from_parts(parts, body)).await;
    if masks {
        mask_response(response).await
    } else {
        response
    }
}

/// A JSON answer with its personal data masked (other answers as they are).
pub async fn mask_response(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let masked = to_bytes(body, MAX_MASKED_BYTES)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .map(|mut value| {
            mask_personal(&mut value);
            value.to_string()
        });
    let Some(masked) = masked else {
        // Fail closed: an answer that cannot be masked is not sent.
        return Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Masking failed",
            "the answer could not be read to mask personal data; ask an admin to check the logs",
        )
        .into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(masked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_map_to_permissions() {
        let p = |m: Method, path: &str| required(&m, path);
        use Permission as P;
        assert_eq!(
            p(Method::GET, "/api/v1/runs"),
            Required::Permission(P::ReadRuns)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/flows"),
            Required::Permission(P::DeployFlows)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/flows/shop/returns/schedule"),
            Required::Permission(P::ToggleSchedules)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/runs"),
            Required::Permission(P::SteerRuns)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/runs/r1/cancel"),
            Required::Permission(P::SteerRuns)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/events"),
            Required::Permission(P::SendEvents)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/tickets/TK-1/resolve"),
            Required::Permission(P::ResolveTickets)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/tasks/T-1/decision"),
            Required::TaskDecision
        );
        assert_eq!(
            p(Method::POST, "/api/v1/tasks//decision"),
            Required::Permission(P::ManageUsers)
        );
        assert_eq!(
            p(Method::GET, "/api/v1/audit"),
            Required::Permission(P::ManageUsers)
        );
        assert_eq!(
            p(Method::GET, "/api/v1/users"),
            Required::Permission(P::ManageUsers)
        );
        assert_eq!(
            p(Method::PUT, "/api/v1/runs/r1"),
            Required::Permission(P::ManageUsers)
        );
        assert_eq!(
            p(Method::POST, "/api/v1/unknown"),
            Required::Permission(P::ManageUsers)
        );
    }
}
