//! Cross-site request forgery: a change made with the session cookie must carry the
//! session's CSRF token, as the form field `csrf` (URL-encoded or multipart forms) or the
//! `X-CSRF-Token` header (`fetch`). Bearer-token requests are exempt: another site cannot make
//! a browser send them. SameSite=Strict cookies are the first line; this is the second.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shopflow_embedded::Engine;

use super::current::{AuthVia, CurrentUser, authenticate, client_address};
use super::secret::same_secret;
use super::wall_clock_ms;
use crate::problem::Problem;

/// The header scripts send the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field pages send the token in.
pub const CSRF_FIELD: &str = "csrf";
/// The largest form body the check reads to find the field (bigger ones: send the header).
const MAX_FORM_BYTES: usize = 8 * 1024 * 1024;

/// Whether `submitted` is `user`'s CSRF token; bearer-token users need none. The refusal is
/// a 403 problem.
///
/// `submitted` is an `Option<&str>` or a plain `&str`.
pub fn verify_csrf<'a>(
    user: &CurrentUser,
    submitted: impl Into<Option<&'a str>>,
) -> Result<(), Problem> {
    if user.via == AuthVia::Token {
        return Ok(());
    }
    match submitted.into() {
        Some(token) if same_secret(token.trim(), &user.csrf_token) => Ok(()),
        Some(_) => Err(refusal("the CSRF token does not belong to this session")),
        None => Err(refusal("the request carries no CSRF token")),
    }
}

fn refusal(why: &str) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "CSRF check failed",
        format!(
            "{why}; reload the page and try again (forms send the `{CSRF_FIELD}` field, \
             scripts the `X-CSRF-Token` header)"
        ),
    )
}

/// Whether `method` changes nothing (and so needs no CSRF token).
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware for pages and APIs used with the session cookie: a request that changes
/// something and is signed in by its cookie (not by a bearer token) must carry the session's
/// CSRF token, else 403. Requests that are not signed in pass (the handler decides; a login
/// form has no session yet). The signed-in user is left in the request's extensions, where
/// the [`CurrentUser`] extractor finds it.
///
/// Use with `axum::middleware::from_fn_with_state(engine, require_csrf)`.
pub async fn require_csrf(State(engine): State<Engine>, request: Request, next: Next) -> Response {
    if is_safe(request.method()) || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let client = client_address(&parts);
    let Ok(user) = authenticate(
        engine.store().journal(),
        &parts.headers,
        &client,
        wall_clock_ms(),
    ) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let (submitted, body) = match header_token(&parts.headers) {
        Some(token) => (Some(token), body),
        None => match form_kind(&parts.headers) {
            Some(kind) => {
                let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
                    Ok(bytes) => bytes,
                    Err(_) => {
                        return Problem::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "Request too large",
                            "the form is too large to check; send the CSRF token in the \
                             `X-CSRF-Token` header",
                        )
                        .into_response();
                    }
                };
                let token = form_token(kind, &bytes);
                (token, Body::from(bytes))
            }
            None => (None, body),
        },
    };
    if let Err(problem) = verify_csrf(&user, submitted.as_deref()) {
        tracing::warn!(user = %user.name, client = %user.client, "CSRF check failed");
        return problem.into_response();
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}

/// The token in the `X-CSRF-Token` header.
pub fn header_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A form body's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FormKind {
    UrlEncoded,
    Multipart { boundary: String },
}

fn form_kind(headers: &HeaderMap) -> Option<FormKind> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = value.split(';').map(str::trim);
    let mime = parts.next()?.to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => Some(FormKind::UrlEncoded),
        "multipart/form-data" => parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
            .map(|(_, b)| FormKind::Multipart {
                boundary: b.trim().trim_matches('"').to_owned(),
            }),
        _ => None,
    }
}

/// The `csrf` field of a form body.
fn form_token(kind: FormKind, body: &Bytes) -> Option<String> {
    match kind {
        FormKind::UrlEncoded => url_encoded_field(body, CSRF_FIELD),
        FormKind::Multipart { boundary } => multipart_field(body, &boundary, CSRF_FIELD),
    }
}

fn url_encoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The value of the plain part named `name` of a multipart body.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let wanted = format!("name=\"{name}\"");
    text.split(delimiter.as_str()).find_map(|part| {
        let (head, value) = part
            .split_once("\r\n\r\n")
            .or_else(|| part.split_once("\n\n"))?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let is_field = disposition.split(';').any(|p| p.trim() == wanted);
        is_field.then(|| value.trim_end_matches(['\r', '\n']).trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn user(via: AuthVia) -> CurrentUser {
        CurrentUser {
            name: "chen".into(),
            role: super::super::Role::Finance,
            csrf_token: "a".repeat(64),
            via,
            credential_hash: "h".into(),
            client: "127.0.0.1".into(),
        }
    }

    #[test]
    fn cookie_requests_need_the_sessions_token() {
        let u = user(AuthVia::Session);
        let good = "a".repeat(64);
        assert!(verify_csrf(&u, Some(good.as_str())).is_ok());
        assert!(verify_csrf(&u, good.as_str()).is_ok());
        assert!(verify_csrf(&u, "b".repeat(64).as_str()).is_err());
        assert!(verify_csrf(&u, "").is_err());
        assert!(verify_csrf(&u, None::<&str>).is_err());
        assert!(verify_csrf(&user(AuthVia::Token), None::<&str>).is_ok());
    }

    #[test]
    fn finds_the_token_in_headers_and_forms() {
        let mut h = HeaderMap::new();
        h.insert(CSRF_HEADER, HeaderValue::from_static(" t0k "));
        assert_eq!(header_token(&h).as_deref(), Some("t0k"));

        let form = Bytes::from_static(b"reason=%E7%A8%8E%E5%8F%B7&csrf=abc123&x=1");
        assert_eq!(
            form_token(FormKind::UrlEncoded, &form).as_deref(),
            Some("abc123")
        );

        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=----XyZ"),
        );
        let kind = form_kind(&h).unwrap();
        let body = Bytes::from_static(
            b"------XyZ\r\nContent-Disposition: form-data; name=\"flow\"; filename=\"f.yaml\"\r\n\
              Content-Type: application/yaml\r\n\r\ndocument: {}\r\n\
              ------XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nm-tok\r\n\
              ------XyZ--\r\n",
        );
        assert_eq!(form_token(kind, &body).as_deref(), Some("m-tok"));
        assert_eq!(
            form_token(FormKind::UrlEncoded, &Bytes::from_static(b"a=1")),
            None
        );
    }
}
