//! Bearer tokens: only their SHA-256 is stored; each request's token is hashed and looked up.
//! `SHOPFLOW_ADMIN_TOKEN` seeds an admin token at start.

use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use shopflow_embedded::Engine;
use shopflow_embedded::journal::{Error, TokenRecord};

use crate::problem::Problem;

/// What a role may do through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Deploy flows, start and steer runs, send events.
    Ops,
    /// Read, send events, and decide desk tasks (invoice and return reviews).
    Finance,
    /// Read only.
    Viewer,
}

impl Role {
    /// Parses a stored role name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "admin" => Some(Role::Admin),
            "ops" => Some(Role::Ops),
            "finance" => Some(Role::Finance),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Whether this role may call `method` on `path`.
    pub fn may(self, method: &Method, path: &str) -> bool {
        if method == Method::GET || method == Method::HEAD {
            return true;
        }
        match self {
            Role::Admin => true,
            Role::Ops => true,
            Role::Finance => path == "/api/v1/events" || is_task_decision(path),
            Role::Viewer => false,
        }
    }
}

/// `/api/v1/tasks/{id}/decision`.
fn is_task_decision(path: &str) -> bool {
    path.strip_prefix("/api/v1/tasks/")
        .and_then(|rest| rest.strip_suffix("/decision"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Hex SHA-256 of a token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores `token` as an admin token (kept if already stored).
pub async fn seed_admin(engine: &Engine, token: &str, now_ms: i64) -> Result<(), Error> {
    engine
        .store()
        .journal()
        .add_token(&TokenRecord {
            hash: token_hash(token),
            name: "admin (SHOPFLOW_ADMIN_TOKEN)".to_owned(),
            role: "admin".to_owned(),
            created_ms: now_ms,
        })
        .await
}

/// Middleware: 401 without a valid bearer token, 403 when the token's role may not.
pub async fn require_token(State(engine): State<Engine>, request: Request, next: Next) -> Response {
    // Nested routers see their path with the prefix stripped; roles are written against the
    // full path.
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |u| u.path().to_owned());
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return unauthorized("send `Authorization: Bearer <token>`");
    };
    let record = match engine.store().journal().token(&token_hash(token)) {
        Ok(Some(record)) => record,
        Ok(None) => return unauthorized("the token is not known"),
        Err(e) => return Problem::from(shopflow_embedded::EngineError::from(e)).into_response(),
    };
    let Some(role) = Role::parse(&record.role) else {
        return unauthorized("the token has an unknown role");
    };
    if !role.may(request.method(), &path) {
        return Problem::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "role `{}` may not {} {}",
                record.role,
                request.method(),
                path
            ),
        )
        .into_response();
    }
    next.run(request).await
}

fn unauthorized(detail: &str) -> Response {
    let mut response =
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail.to_owned()).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_least_privilege() {
        let post = Method::POST;
        assert!(Role::Admin.may(&post, "/api/v1/flows"));
        assert!(Role::Ops.may(&post, "/api/v1/runs"));
        assert!(!Role::Finance.may(&post, "/api/v1/flows"));
        assert!(Role::Finance.may(&post, "/api/v1/events"));
        assert!(Role::Finance.may(&post, "/api/v1/tasks/T-000001/decision"));
        assert!(!Role::Finance.may(&post, "/api/v1/tickets/TK-1/resolve"));
        assert!(!Role::Finance.may(&post, "/api/v1/tasks/a/b/decision"));
        assert!(!Role::Viewer.may(&post, "/api/v1/tasks/T-000001/decision"));
        assert!(!Role::Viewer.may(&post, "/api/v1/events"));
        assert!(Role::Viewer.may(&Method::GET, "/api/v1/runs"));
    }

    #[test]
    fn tokens_are_stored_as_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
