//! The Shopify Admin API: `/shopify/{domain}/admin/api/{version}/…` with
//! `X-Shopify-Access-Token`, REST order reads and refunds, and the GraphQL return mutations;
//! HTTP status codes carry the errors (401, 404, 422, 429 with `Retry-After`).

mod methods;
pub(crate) mod render;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use shopflow_connectors::Platform;

use crate::gate::{Admission, Answer, Credential, Dialect, Reject, refuse_early, run};
use crate::sandbox::Inner;

/// Shopify's answers.
pub(crate) struct Shopify;

const UNAUTHORIZED: &str =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";

/// The GraphQL mutation a call names (`graphql.json:returnApproveRequest`).
fn mutation(method: &str) -> Option<&str> {
    method.strip_prefix("graphql.json:")
}

fn user_error(mutation: &str, message: &str) -> Answer {
    Answer::json(
        200,
        &json!({ "data": { mutation: { "return": null, "userErrors": [
            { "field": ["input", "id"], "message": message }
        ] } } }),
    )
}

impl Dialect for Shopify {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn refreshable(&self) -> bool {
        false
    }

    fn success(&self, method: &str, data: Value, _now_ms: i64) -> Answer {
        let status = if method.ends_with("refunds.json") {
            201
        } else {
            200
        };
        Answer::json(status, &data)
    }

    fn reject(&self, method: &str, reject: &Reject, _now_ms: i64) -> Answer {
        if let Some(m) = mutation(method) {
            match reject {
                Reject::NotFound(_) => return user_error(m, "Return does not exist."),
                Reject::Refused(_, d) => {
                    return user_error(
                        m,
                        &format!("Return is {d} and cannot be changed this way."),
                    );
                }
                Reject::Already(_, d) => return user_error(m, &format!("Return is already {d}.")),
                Reject::Missing(p) | Reject::Invalid(p) => {
                    return Answer::json(
                        200,
                        &json!({ "errors": [{ "message": format!("Variable $input is invalid: {p}") }] }),
                    );
                }
                Reject::UnknownMethod(_) => {
                    return Answer::json(
                        200,
                        &json!({ "errors": [{ "message": "Field is not defined on Mutation (only returnApproveRequest and returnDeclineRequest are simulated)" }] }),
                    );
                }
                _ => {}
            }
        }
        match reject {
            Reject::UnknownApp | Reject::BadSign | Reject::MissingToken | Reject::Token | Reject::BadRefreshToken => {
                Answer::json(401, &json!({ "errors": UNAUTHORIZED }))
            }
            Reject::BadTimestamp => Answer::json(401, &json!({ "errors": UNAUTHORIZED })),
            Reject::RateLimited(secs) => Answer::json(
                429,
                &json!({ "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }),
            )
            .with_header("retry-after", secs.to_string()),
            Reject::Missing(p) => Answer::json(422, &json!({ "errors": { p: ["can't be blank"] } })),
            Reject::Invalid(p) => Answer::json(422, &json!({ "errors": { p: ["is invalid"] } })),
            Reject::UnknownMethod(_) | Reject::NotFound(_) => Answer::json(404, &json!({ "errors": "Not Found" })),
            Reject::Refused(s, d) => Answer::json(422, &json!({ "errors": { "base": [format!("The {} is {d}; it cannot be refunded.", s.word())] } })),
            Reject::Already(s, d) => Answer::json(422, &json!({ "errors": { "base": [format!("The {} is already {d}.", s.word())] } })),
            Reject::Internal(_) => Answer::json(500, &json!({ "errors": "Internal Server Error" })),
        }
    }
}

/// Identifies the shop by domain and takes the token header.
fn admit(
    sb: &Inner,
    domain: &str,
    headers: &HeaderMap,
    method: String,
    scope: String,
    key: Option<String>,
) -> Result<Admission, Reject> {
    let candidates: Vec<_> = sb
        .config
        .on(Platform::Shopify)
        .filter(|s| s.domain.as_deref() == Some(domain))
        .cloned()
        .collect();
    if candidates.is_empty() {
        return Err(Reject::UnknownApp);
    }
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok(Admission {
        app_key: domain.to_owned(),
        candidates,
        credential: Credential::Access(token),
        method,
        scope,
        key,
    })
}

/// `GET /shopify/{domain}/admin/api/{version}/{*rest}`.
pub(crate) async fn handle_get(
    State(sb): State<Arc<Inner>>,
    Path((domain, _version, rest)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let d = &Shopify;
    let adm = match admit(&sb, &domain, &headers, rest.clone(), rest.clone(), None) {
        Ok(adm) => adm,
        Err(r) => return refuse_early(&sb, d, &domain, &rest, &r),
    };
    run(&sb, d, adm, move |ctx| methods::get(ctx, &rest, &q)).await
}

/// `POST /shopify/{domain}/admin/api/{version}/{*rest}`.
pub(crate) async fn handle_post(
    State(sb): State<Arc<Inner>>,
    Path((domain, _version, rest)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let d = &Shopify;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (method, scope) = if rest == "graphql.json" {
        let query = body
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = ["returnApproveRequest", "returnDeclineRequest"]
            .into_iter()
            .find(|m| query.contains(m))
            .unwrap_or("unknown");
        let method = format!("graphql.json:{name}");
        (method.clone(), method)
    } else if rest.ends_with("/refunds.json") {
        (rest.clone(), "refunds.json".to_owned())
    } else {
        (rest.clone(), rest.clone())
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let adm = match admit(&sb, &domain, &headers, method.clone(), scope, key) {
        Ok(adm) => adm,
        Err(r) => return refuse_early(&sb, d, &domain, &method, &r),
    };
    run(&sb, d, adm, move |ctx| methods::post(ctx, &method, &body)).await
}
