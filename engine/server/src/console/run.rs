//! `GET /console/run?id=`: one run — status, input and output, the flow's graph with where the
//! run is, the timeline of its journaled steps, its artifacts — and `POST /console/run/action`
//! for retry, cancel, suspend and resume.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;
use shopflow_core::RunStatus;
use shopflow_embedded::EngineError;
use shopflow_embedded::engine::{EntryStatus, Timeline, retried_from};

use super::ConsoleState;
use super::graph;
use super::i18n::Lang;
use super::layout::{self, Ctx, PageError, Section};
use super::runs::enc;
use super::session::{self, Permission, User};
use crate::backend::Backend;

/// The run page.
pub async fn show(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let id = query.get("id").cloned().unwrap_or_default();
    let engine = state.engine();
    let view = state
        .backend
        .get(&id)
        .await
        .map_err(|e| PageError::engine(lang, e))?;
    let r = &view.record;
    let ctx = Ctx { lang, user: &user };
    let timeline = match &state.backend {
        Backend::Embedded(engine) => engine.timeline(&id),
        Backend::Temporal(_) => Err(EngineError::Conflict(
            "the timeline is replayed from the embedded journal; a run on Temporal shows its \
             history in Temporal's own UI"
                .to_owned(),
        )),
    };
    let (visited, current) = match &timeline {
        Ok(t) => (t.visited.clone(), t.position.clone()),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let flow_ref = format!("{}:{}", r.flow, r.version);
    let graph = match engine.workflow(&flow_ref) {
        Ok(wf) => {
            let dot = graph::highlighted_dot(&wf, &visited, &current);
            match graph::svg(&dot).await {
                Ok(svg) => Ok(svg),
                Err(e) => Err(format!(
                    "{e}\n\n{}",
                    shopflow_dsl::render::graph::mermaid(&wf)
                )),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let retry_of = retried_from(&id).filter(|base| engine.get(base).is_ok());
    // Retry ids live in the embedded journal only.
    let retries = engine.retries(&id).unwrap_or_default();
    let mut artifacts = Vec::new();
    collect_artifacts(&r.input, &mut artifacts);
    if let Some(o) = &r.output {
        collect_artifacts(o, &mut artifacts);
    }
    if let Ok(t) = &timeline {
        for e in &t.entries {
            if let Some(d) = &e.detail {
                collect_artifacts(d, &mut artifacts);
            }
        }
    }
    let status = r.status;
    let body = html! {
        h1 { (ctx.t("run.title")) " " span.mono { (r.id) } " " (layout::status_badge(lang, status.as_str())) }
        @if let Some(p) = &view.paused {
            p.notice.bad { (ctx.t("run.paused")) " " (p) }
        }
        div.card {
            dl.facts {
                dt { (ctx.t("common.flow")) }
                dd { a href={ "/console/flow?flow=" (enc(&r.flow)) "&version=" (enc(&r.version)) } { (r.flow) " " (r.version) } }
                dt { (ctx.t("common.created")) } dd { (layout::shop_time(r.created_ms)) }
                dt { (ctx.t("common.updated")) } dd { (layout::shop_time(r.updated_ms)) }
                @if let Some(parent) = &r.parent {
                    dt { (ctx.t("run.parent")) }
                    dd.mono { a href={ "/console/run?id=" (enc(parent)) } { (parent) } }
                }
                @if let Some(base) = retry_of {
                    dt { (ctx.t("run.retry_of")) }
                    dd.mono { a href={ "/console/run?id=" (enc(base)) } { (base) } }
                }
                @if !retries.is_empty() {
                    dt { (ctx.t("run.retries")) }
                    dd.mono { @for rid in &retries { a href={ "/console/run?id=" (enc(rid)) } { (rid) } " " } }
                }
            }
        }
        @if session::can(&user, Permission::SteerRuns) {
            (actions(&ctx, &r.id, status, r.parent.is_some()))
        }
        div.cols {
            div {
                h2 { (ctx.t("common.input")) }
                (layout::json_block(lang, &session::masked(&user, &r.input)))
                @if let Some(o) = &r.output {
                    h2 { (ctx.t("common.output")) }
                    (layout::json_block(lang, &session::masked(&user, o)))
                }
                @if let Some(e) = &r.error {
                    h2 { (ctx.t("common.error")) }
                    (layout::json_block(lang, &session::masked(&user, e)))
                }
                @if !artifacts.is_empty() {
                    h2 { (ctx.t("run.artifacts")) }
                    @if session::can(&user, Permission::SeePersonalData) {
                        ul {
                            @for a in &artifacts {
                                li { a href=(artifact_href(a)) target="_blank" { (a.name) } " " span.muted { (a.media_type) " · " (a.size) " B" } }
                            }
                        }
                    } @else {
                        p.muted { (ctx.t("run.artifacts_hidden")) }
                    }
                }
            }
            div {
                h2 { (ctx.t("run.graph")) }
                p.note { (ctx.t("run.graph_legend")) }
                @match &graph {
                    Ok(svg) => div.graph { (layout::trusted(svg.clone())) },
                    Err(text) => div { p.muted { (ctx.t("run.graph_unavailable")) } pre { (text) } },
                }
            }
        }
        h2 { (ctx.t("run.timeline")) }
        p.note { (ctx.t("run.timeline_note")) }
        @match &timeline {
            Ok(t) => (timeline_table(&ctx, &r.id, t)),
            Err(e) => p.notice.bad { (ctx.t("run.timeline_error")) " " (e) },
        }
        p.note { (ctx.t("common.time_note")) }
    };
    Ok(layout::page(
        &ctx,
        Section::Runs,
        &format!("{} {}", ctx.t("run.title"), r.id),
        body,
    ))
}

/// The buttons that apply to a run in `status`.
fn actions(ctx: &Ctx<'_>, id: &str, status: RunStatus, child: bool) -> Markup {
    let mut buttons: Vec<(&str, &'static str, Option<&'static str>, &str)> = Vec::new();
    if matches!(status, RunStatus::Faulted | RunStatus::Cancelled) && !child {
        buttons.push(("retry", "run.retry", Some("run.retry_confirm"), "primary"));
    }
    if matches!(
        status,
        RunStatus::Pending | RunStatus::Running | RunStatus::Waiting
    ) {
        buttons.push(("suspend", "run.suspend", None, ""));
    }
    if status == RunStatus::Suspended {
        buttons.push(("resume", "run.resume", None, "primary"));
    }
    if !status.is_final() {
        buttons.push(("cancel", "run.cancel", Some("run.cancel_confirm"), "danger"));
    }
    html! {
        div.card {
            h2 style="margin-top:0" { (ctx.t("run.actions")) }
            @if buttons.is_empty() {
                p.muted { (ctx.t("run.no_actions")) }
            } @else {
                div.actions {
                    @for (action, label, confirm, class) in &buttons {
                        form method="post" action="/console/run/action" {
                            input type="hidden" name="csrf" value=(ctx.user.csrf_token);
                            input type="hidden" name="id" value=(id);
                            input type="hidden" name="action" value=(action);
                            button type="submit" class=(class) data-confirm=[confirm.map(|c| ctx.t(c))] { (ctx.t(label)) }
                        }
                    }
                }
                @if buttons.iter().any(|b| b.0 == "retry") {
                    p.note { (ctx.t("run.retry_note")) }
                }
            }
        }
    }
}

/// The label key of an operation kind.
fn op_key(kind: &str) -> &'static str {
    match kind {
        "call" => "op.call",
        "run" => "op.run",
        "emit" => "op.emit",
        "listen" => "op.listen",
        "wait" => "op.wait",
        _ => "op.compute",
    }
}

/// The label key of a timeline entry's status.
fn entry_key(status: EntryStatus) -> &'static str {
    match status {
        EntryStatus::Completed => "step.completed",
        EntryStatus::Faulted => "step.faulted",
        EntryStatus::Skipped => "step.skipped",
        EntryStatus::Cancelled => "step.cancelled",
        EntryStatus::InProgress => "step.in_progress",
    }
}

fn timeline_table(ctx: &Ctx<'_>, run_id: &str, t: &Timeline) -> Markup {
    let lang = ctx.lang;
    html! {
        @if t.entries.is_empty() {
            p.muted { (ctx.t("common.empty")) }
        } @else {
            table.timeline {
                thead { tr {
                    th { "#" }
                    th { (ctx.t("run.step")) }
                    th { (ctx.t("run.kind")) }
                    th { (ctx.t("common.status")) }
                    th { (ctx.t("run.arguments")) }
                    th { (ctx.t("run.result")) }
                    th { (ctx.t("run.when")) }
                } }
                tbody {
                    @for (i, e) in t.entries.iter().enumerate() {
                        @let main_op = e.ops.iter().find(|o| o.kind != "wait").or(e.ops.first());
                        tr class={ "s-" (e.status.as_str()) } {
                            td.num { (i + 1) }
                            td.step { strong { (e.name) } br; span.mono.muted { (e.step) } }
                            td {
                                (ctx.t(op_key(main_op.map_or("", |o| o.kind))))
                                @if let Some(target) = main_op.and_then(|o| o.target.as_ref()) {
                                    br; code { (target) }
                                }
                                @if main_op.is_some_and(|o| o.kind == "run" && o.result.is_some()) {
                                    br; a.mono href={ "/console/run?id=" (enc(&format!("{run_id}/{}", e.step))) } { "→" }
                                }
                            }
                            td { span class={ "badge s-" (e.status.as_str()) } { (ctx.t(entry_key(e.status))) } }
                            td {
                                @if let Some(input) = main_op.and_then(|o| o.input.as_ref()) {
                                    (layout::json_block(lang, &session::masked(ctx.user, input)))
                                }
                            }
                            td {
                                @if let Some(d) = &e.detail {
                                    (layout::json_block(lang, &session::masked(ctx.user, d)))
                                }
                            }
                            td {
                                @for o in &e.ops {
                                    @if let Some(at) = o.at_ms {
                                        @if o.kind == "wait" { (ctx.t("run.due")) " " }
                                        (layout::shop_time(at)) br;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A stored file a run refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactRef {
    /// `sha256:…`.
    pub reference: String,
    /// Its media type as recorded.
    pub media_type: String,
    /// A name for people.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// Every artifact object (`{"artifact": "sha256:…", …}`) inside `value`, once each.
pub fn collect_artifacts(value: &Value, out: &mut Vec<ArtifactRef>) {
    match value {
        Value::Object(m) => {
            if let Some(Value::String(reference)) = m.get("artifact")
                && reference.starts_with("sha256:")
            {
                if !out.iter().any(|a| &a.reference == reference) {
                    let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    out.push(ArtifactRef {
                        reference: reference.clone(),
                        media_type: text("media_type"),
                        name: Some(text("name"))
                            .filter(|n| !n.is_empty())
                            .unwrap_or_else(|| reference.chars().take(19).collect()),
                        size: m.get("size").and_then(Value::as_u64).unwrap_or(0),
                    });
                }
                return;
            }
            for v in m.values() {
                collect_artifacts(v, out);
            }
        }
        Value::Array(a) => {
            for v in a {
                collect_artifacts(v, out);
            }
        }
        _ => {}
    }
}

/// The console's link to an artifact.
pub fn artifact_href(a: &ArtifactRef) -> String {
    format!("/console/artifacts/{}?name={}", a.reference, enc(&a.name))
}

/// `POST /console/run/action` `id`, `action` (retry, cancel, suspend, resume), `csrf`.
pub async fn act(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    session::check_csrf(lang, &user, field("csrf"))?;
    session::require(lang, &user, Permission::SteerRuns)?;
    let id = field("id");
    let backend = &state.backend;
    let err = |e| PageError::engine(lang, e);
    let target = match field("action") {
        "retry" => match backend {
            Backend::Embedded(engine) => engine.retry(id).await.map_err(err)?,
            Backend::Temporal(_) => {
                return Err(err(EngineError::Conflict(
                    "retry from the console needs the embedded engine; start a new run with \
                     POST /api/v1/runs"
                        .to_owned(),
                )));
            }
        },
        "cancel" => backend.cancel(id).await.map_err(err)?.record.id,
        "suspend" => backend.suspend(id).await.map_err(err)?.record.id,
        "resume" => backend.resume(id).await.map_err(err)?.record.id,
        _ => return Err(PageError::not_found(lang)),
    };
    tracing::info!(run = %id, action = field("action"), by = %user.name, "run action from the console");
    Ok(Redirect::to(&format!("/console/run?id={}", enc(&target))).into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn artifacts_are_found_anywhere_once() {
        let a = format!("sha256:{}", "a".repeat(64));
        let v = json!({"shot": {"artifact": a, "media_type": "image/png", "size": 10, "name": "s.png"},
                       "list": [{"artifact": a}, {"artifact": "nope"}]});
        let mut out = Vec::new();
        collect_artifacts(&v, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name, "s.png");
        assert!(artifact_href(&out[0]).starts_with("/console/artifacts/sha256:aaaa"));
    }
}
