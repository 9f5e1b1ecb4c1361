//! What every gateway does the same way, in the real gateways' order: identify the app, verify
//! the signature and the timestamp (platform code, before [`pipeline::run`]), then check the
//! access token, the shop's rate limit and queued faults, replay a repeated idempotency key,
//! and only then run the business method.

mod answer;
mod faults;
mod limiter;
pub(crate) mod params;
mod pipeline;
mod reject;

use serde_json::{Map, Value};

pub(crate) use answer::Answer;
pub(crate) use faults::{FaultKind, FaultSpec, Faults};
pub(crate) use limiter::Limiter;
pub(crate) use pipeline::{Admission, Credential, Ctx, Dialect, Done, Effect, refuse_early, run};
pub(crate) use reject::{Reject, Subject};

/// Parameters never written into an effect's summary: credentials and file contents.
const REDACTED: [&str; 8] = [
    "sign",
    "session",
    "access_token",
    "refresh_token",
    "app_key",
    "client_id",
    "invoice_file_data",
    "invoice_file_content",
];

/// The business parameters of a call as an effect summary: credentials and files left out,
/// long values cut, so the effects table can be shown to anyone.
pub(crate) fn redact(params: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in params {
        if REDACTED.contains(&k.as_str()) {
            continue;
        }
        let v = match v {
            Value::String(s) if s.chars().count() > 200 => {
                Value::String(format!("{}…", s.chars().take(200).collect::<String>()))
            }
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// String parameters as a JSON object (for [`redact`]).
pub(crate) fn string_map<'a>(
    params: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Map<String, Value> {
    params
        .into_iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}
