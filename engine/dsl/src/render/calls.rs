//! Phrases for what a flow calls: functions, HTTP endpoints and subflows.

use crate::model::{Call, HttpCall, RunWorkflow, TaskKind, Template, UriValue, Workflow};
use crate::render::medium::Medium;

/// What a `call` calls: the function's name, `HTTP GET https://…`, or `OpenAPI getPet` (in prose
/// with the document it is described in).
pub(crate) fn target(call: &Call, medium: Medium) -> String {
    match (call, medium) {
        (Call::Function(f), _) => f.name.clone(),
        (Call::Http(h), _) => http(h, medium),
        (Call::OpenApi(o), Medium::Diagram) => format!("OpenAPI {}", o.operation_id),
        (Call::OpenApi(o), Medium::Prose) => {
            format!(
                "OpenAPI operation {} of {}",
                o.operation_id,
                uri(&o.document.uri, medium)
            )
        }
    }
}

/// `HTTP PUT https://…`; the method upper-cased as the runtime sends it.
fn http(h: &HttpCall, medium: Medium) -> String {
    let method = match &h.method {
        Template::Literal(serde_json::Value::String(m)) => m.to_uppercase(),
        other => medium.value(other),
    };
    format!("HTTP {method} {}", uri(&h.endpoint.uri, medium))
}

fn uri(u: &UriValue, medium: Medium) -> String {
    match u {
        UriValue::Template(t) => t.clone(),
        UriValue::Expr(e) => medium.code(e),
    }
}

/// What a function defined under `use.functions` does, when it is a call (`HTTP GET …`).
pub(crate) fn defined_function(name: &str, wf: &Workflow, medium: Medium) -> Option<String> {
    match &wf.uses.functions.get(name)?.kind {
        TaskKind::Call(call) => Some(target(call, medium)),
        other => Some(format!("a {} task", other.keyword())),
    }
}

/// The flow a `run` starts: `namespace/name:version`.
pub(crate) fn subflow(r: &RunWorkflow) -> String {
    format!("{}/{}:{}", r.namespace, r.name, r.version)
}
