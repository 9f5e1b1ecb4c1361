//! Error answers as RFC 7807 problem details (`application/problem+json`): a type, a title,
//! the status, a detail saying what to fix, and for request bodies a JSON pointer to the part
//! that is wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shopflow_embedded::EngineError;

/// An error answer (boxed: handlers return it in `Result`s).
#[derive(Debug)]
pub struct Problem(Box<Fields>);

#[derive(Debug)]
struct Fields {
    status: StatusCode,
    title: &'static str,
    detail: String,
    pointer: Option<String>,
    extra: Vec<(&'static str, Value)>,
}

impl Problem {
    /// The detail text (for logs).
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// A problem with this status, title and detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem(Box::new(Fields {
            status,
            title,
            detail: detail.into(),
            pointer: None,
            extra: Vec::new(),
        }))
    }

    /// 400: the request body is wrong at `pointer`.
    pub fn bad_body(pointer: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Malformed request", detail).at(pointer)
    }

    /// Points at the part of the request body that is wrong.
    pub fn at(mut self, pointer: &str) -> Problem {
        self.0.pointer = Some(pointer.to_owned());
        self
    }

    /// Adds a member to the problem object (several calls add several members).
    pub fn with(mut self, name: &'static str, value: Value) -> Problem {
        self.0.extra.push((name, value));
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let this = *self.0;
        let slug = this.title.to_lowercase().replace(' ', "-");
        let mut body = json!({
            "type": format!("https://shopflow.dev/problems/{slug}"),
            "title": this.title,
            "status": this.status.as_u16(),
            "detail": this.detail,
        });
        if let Some(pointer) = this.pointer {
            body["pointer"] = json!(pointer);
        }
        for (name, value) in this.extra {
            body[name] = value;
        }
        let mut response = (this.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<EngineError> for Problem {
    fn from(e: EngineError) -> Problem {
        match e {
            EngineError::Invalid(diags) => {
                let problems: Vec<Value> = diags
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| {
                        json!({
                            "line": d.pos.line,
                            "column": d.pos.col,
                            "code": d.code.as_str(),
                            "pointer": d.pointer,
                            "message": d.message,
                            "help": d.help,
                        })
                    })
                    .collect();
                let first = diags
                    .iter()
                    .find(|d| d.is_error())
                    .map(|d| d.render("flow.yaml"))
                    .unwrap_or_default();
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "Invalid flow",
                    format!("the flow is not valid; first problem: {first}"),
                )
                .with("problems", Value::Array(problems))
            }
            EngineError::BadRequest { pointer, message } => {
                let problem = Problem::new(StatusCode::BAD_REQUEST, "Malformed request", message);
                match pointer {
                    Some(p) => problem.at(&p),
                    None => problem,
                }
            }
            EngineError::NotFound(detail) => {
                Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
            }
            EngineError::Conflict(detail) => Problem::new(StatusCode::CONFLICT, "Conflict", detail),
            e @ EngineError::ShuttingDown => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Shutting down",
                e.to_string(),
            ),
            EngineError::Unavailable(detail) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Run backend unavailable",
                format!("{detail}; retry later (a repeated event or run start is recognised)"),
            ),
            EngineError::Journal(e) if e.is_retryable() => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Journal unavailable",
                format!("{e}; nothing was stored, retry later"),
            ),
            EngineError::Journal(e) => {
                tracing::error!("journal failure answering a request: {e}");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Journal failure",
                    format!("{e}; nothing was stored"),
                )
            }
        }
    }
}
