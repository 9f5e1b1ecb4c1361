//! The REST API of DESIGN.md under `/api/v1`. Request bodies are read as bytes and checked
//! by hand, so a malformed one gets a 400 naming the line and column (bad JSON) or the JSON
//! pointer (a wrong or missing member) instead of a framework message.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use shopflow_core::RunStatus;
use shopflow_embedded::journal::{EventInsert, FlowInsert, RunFilter};
use shopflow_embedded::{Engine, FlowInfo};

use crate::backend::Backend;
use crate::problem::Problem;

type ApiResult = Result<Response, Problem>;

fn flow_json(f: &FlowInfo) -> Value {
    json!({
        "flow": f.flow,
        "version": f.version,
        "deployedAt": shopflow_embedded::engine::millis_to_rfc3339(f.deployed_ms),
        "latest": f.latest,
        "schedule": f.schedule,
    })
}

/// Parses a JSON request body; bad JSON is a 400 with its line and column.
pub(crate) fn json_body(body: &Bytes) -> Result<Value, Problem> {
    if body.is_empty() {
        return Err(Problem::bad_body(
            "",
            "the request has no body; send a JSON object",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Problem::bad_body(
            "",
            format!(
                "the body is not JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// A JSON object body with only the members in `known`.
pub(crate) fn object_body(body: &Bytes, known: &[&str]) -> Result<Map<String, Value>, Problem> {
    let Value::Object(map) = json_body(body)? else {
        return Err(Problem::bad_body(
            "",
            format!("the body must be a JSON object with {}", known.join(", ")),
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Problem::bad_body(
            &format!("/{unknown}"),
            format!("unknown member `{unknown}`; send {}", known.join(", ")),
        ));
    }
    Ok(map)
}

/// `POST /api/v1/flows`: the YAML body becomes a new flow version.
pub async fn deploy(State(engine): State<Engine>, body: Bytes) -> ApiResult {
    let text = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_body("", format!("the flow is not UTF-8 text: {e}")))?;
    if text.trim().is_empty() {
        return Err(Problem::bad_body(
            "",
            "the request has no body; send the flow's YAML",
        ));
    }
    let (info, inserted) = engine.deploy(text).await?;
    let status = match inserted {
        FlowInsert::Inserted => StatusCode::CREATED,
        FlowInsert::Unchanged => StatusCode::OK,
    };
    let mut body = flow_json(&info);
    body["deployed"] = json!(inserted == FlowInsert::Inserted);
    Ok((status, Json(body)).into_response())
}

/// `GET /api/v1/flows`.
pub async fn list_flows(State(engine): State<Engine>) -> ApiResult {
    let flows: Vec<Value> = engine.flows()?.iter().map(flow_json).collect();
    Ok(Json(json!({ "flows": flows })).into_response())
}

/// `GET /api/v1/flows/{namespace}/{name}/source?version=`: the deployed YAML.
pub async fn flow_source(
    State(engine): State<Engine>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<std::collections::BTreeMap<String, String>>,
) -> ApiResult {
    let flow = match query.get("version") {
        Some(v) => format!("{namespace}/{name}:{v}"),
        None => format!("{namespace}/{name}"),
    };
    let source = engine.flow_source(&flow)?;
    Ok(([("content-type", "application/yaml")], source).into_response())
}

/// `POST /api/v1/flows/{namespace}/{name}/schedule` `{"enabled": bool}`.
pub async fn set_schedule(
    State(engine): State<Engine>,
    Path((namespace, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let enabled = body
        .get("enabled")
        .ok_or_else(|| Problem::bad_body("/enabled", "`enabled` is missing; send true or false"))?
        .as_bool()
        .ok_or_else(|| Problem::bad_body("/enabled", "`enabled` must be true or false"))?;
    engine
        .set_schedule(&format!("{namespace}/{name}"), enabled)
        .await?;
    Ok(Json(json!({ "flow": format!("{namespace}/{name}"), "enabled": enabled })).into_response())
}

/// `POST /api/v1/runs` `{"flow": "namespace/name[:version]", "input": {…}}` → 201 `{"id"}`.
pub async fn start_run(State(backend): State<Backend>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let Value::Object(map) = body else {
        return Err(Problem::bad_body(
            "",
            "the body must be a JSON object with `flow` and `input`",
        ));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !["flow", "input"].contains(&k.as_str()))
    {
        return Err(Problem::bad_body(
            &format!("/{unknown}"),
            format!("unknown member `{unknown}`; a run takes `flow` and `input`"),
        ));
    }
    let flow = match map.get("flow") {
        Some(Value::String(f)) => f.clone(),
        Some(_) => {
            return Err(Problem::bad_body(
                "/flow",
                "`flow` must be a string: namespace/name[:version]",
            ));
        }
        None => {
            return Err(Problem::bad_body(
                "/flow",
                "`flow` is missing: name the flow as namespace/name[:version]",
            ));
        }
    };
    let input = map.get("input").cloned().unwrap_or_else(|| json!({}));
    let id = backend.start(&flow, input).await?;
    let location = format!("/api/v1/runs/{id}");
    Ok((
        StatusCode::CREATED,
        [("location", location)],
        Json(json!({ "id": id })),
    )
        .into_response())
}

/// `GET /api/v1/runs?flow=&status=&limit=`.
pub async fn list_runs(
    State(backend): State<Backend>,
    Query(query): Query<std::collections::BTreeMap<String, String>>,
) -> ApiResult {
    if let Some(unknown) = query
        .keys()
        .find(|k| !["flow", "status", "limit"].contains(&k.as_str()))
    {
        return Err(Problem::bad_body(
            "",
            format!("unknown query parameter `{unknown}`; use flow, status and limit"),
        ));
    }
    let status = query
        .get("status")
        .map(|s| s.parse::<RunStatus>())
        .transpose()
        .map_err(|e| Problem::bad_body("", format!("status: {e}")))?;
    let limit = query
        .get("limit")
        .map(|l| l.parse::<u32>())
        .transpose()
        .map_err(|_| Problem::bad_body("", "limit must be a whole number"))?
        .unwrap_or(100);
    let filter = RunFilter {
        flow: query.get("flow").cloned(),
        // `waiting` is a live refinement of `running`; list running ones and filter below.
        status: status.map(|s| {
            if s == RunStatus::Waiting {
                RunStatus::Running
            } else {
                s
            }
        }),
        limit: Some(limit),
    };
    let runs: Vec<Value> = backend
        .list(&filter)
        .await?
        .iter()
        .filter(|r| status.is_none_or(|s| r.record.status == s))
        .map(|r| {
            let mut v = r.to_json();
            if let Value::Object(m) = &mut v {
                m.remove("input");
                m.remove("output");
            }
            v
        })
        .collect();
    Ok(Json(json!({ "runs": runs })).into_response())
}

/// `GET /api/v1/runs/{id}`.
pub async fn get_run(State(backend): State<Backend>, Path(id): Path<String>) -> ApiResult {
    Ok(Json(backend.get(&id).await?.to_json()).into_response())
}

/// `POST /api/v1/runs/{id}/{cancel|suspend|resume}`.
pub async fn control_run(
    State(backend): State<Backend>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult {
    let view = match action.as_str() {
        "cancel" => backend.cancel(&id).await?,
        "suspend" => backend.suspend(&id).await?,
        "resume" => backend.resume(&id).await?,
        other => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "Not found",
                format!("no action `{other}` on runs; use cancel, suspend or resume"),
            ));
        }
    };
    Ok(Json(view.to_json()).into_response())
}

/// `POST /api/v1/events` (a CloudEvent) → 202 once it is durable.
pub async fn publish_event(State(backend): State<Backend>, body: Bytes) -> ApiResult {
    let event = json_body(&body)?;
    let published = backend.publish(event).await?;
    let duplicate = published.inserted == EventInsert::Duplicate;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "duplicate": duplicate, "started": published.started })),
    )
        .into_response())
}

/// `GET /healthz`: 200 while serving, 503 once shutting down.
pub async fn healthz(State(backend): State<Backend>) -> Response {
    let engine = backend.engine();
    let m = engine.store().journal().metrics();
    let mut body = json!({
        "status": if engine.is_accepting() { "ok" } else { "shutting down" },
        "journal": { "batches": m.batches, "rows": m.rows },
        "callsInFlight": engine.store().gate().in_flight(),
    });
    if let Backend::Temporal(runs) = &backend {
        body["backend"] = json!({
            "name": backend.name(),
            "address": runs.cluster().address(),
            "taskQueue": runs.task_queue(),
        });
    }
    let status = if engine.is_accepting() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(State(engine): State<Engine>) -> Response {
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        engine.metrics_text(),
    )
        .into_response()
}

/// Any other path.
pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "no such endpoint; see docs/api.md for the REST API",
    )
}
