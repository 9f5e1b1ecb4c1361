//! shopflow's `http` and `openapi` functions: the DSL's HTTP and OpenAPI calls, sent with
//! reqwest.
//!
//! Every request that is not a GET, HEAD or OPTIONS carries the step's idempotency key as an
//! `Idempotency-Key` header, so a step executed again after a crash is recognised by the
//! server. Statuses the call does not accept, unreachable hosts and timeouts become the DSL's
//! RFC 7807 errors, marked retryable when another attempt can help. Credentials (basic,
//! digest, bearer, OAuth2/OIDC tokens) never reach errors or the `response` output.
//!
//! User documentation: `docs/functions/http.md` and `docs/functions/openapi.md`.

mod auth;
mod config;
mod error;
mod http_call;
mod openapi;
mod redact;
mod request;
mod response;
mod sender;
mod transport;

use std::sync::Arc;

use shopflow_core::FunctionRegistry;

pub use crate::config::HttpConfig;
use crate::http_call::HttpFunction;
use crate::openapi::OpenApiFunction;
use crate::sender::Sender;

/// Registers `http` and `openapi`, sharing one client (and one OAuth2 token cache) configured
/// by `config`.
pub fn register(registry: &mut FunctionRegistry, config: HttpConfig) {
    let sender = Arc::new(Sender::new(config));
    registry.register("http", Arc::new(HttpFunction::new(Arc::clone(&sender))));
    registry.register("openapi", Arc::new(OpenApiFunction::new(sender)));
}
