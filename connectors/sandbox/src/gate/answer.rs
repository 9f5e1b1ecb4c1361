//! A gateway's answer as bytes: what is sent, and what is stored for an idempotency key so a
//! repeat gets exactly the same bytes.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::store::StoredAnswer;

/// Status, headers and body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// A JSON answer.
    pub(crate) fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=UTF-8".into(),
            )],
            body: value.to_string().into_bytes(),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// What a load balancer in front of a failing gateway answers.
    pub(crate) fn bad_gateway() -> Self {
        Self {
            status: 502,
            headers: vec![("content-type".into(), "text/html".into())],
            body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        }
    }

    /// The sandbox itself failed (its database); not a simulated platform answer.
    pub(crate) fn internal(detail: &str) -> Self {
        Self::json(500, &serde_json::json!({ "sandbox_error": detail }))
    }

    /// As stored for an idempotency key.
    pub(crate) fn to_stored(&self) -> StoredAnswer {
        StoredAnswer {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}

impl From<StoredAnswer> for Answer {
    fn from(s: StoredAnswer) -> Self {
        Self {
            status: s.status,
            headers: s.headers,
            body: s.body,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(axum::body::Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(n, v);
            }
        }
        response
    }
}
