//! The review queues (`GET /console/finance`, `GET /console/returns`), a task's page
//! (`GET /console/tasks/{id}`: the invoice or return view, the waiting run's progress, the
//! audit log) and the decision (`POST /console/tasks/{id}/decision`), which goes through the
//! REST API's own path ([`crate::desk::tasks::record_decision`]): recorded with an audit row,
//! then `shopflow.task.decided` journaled by the engine, which resumes the waiting run.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Value, json};
use shopflow_desk::{Decision, Desk, Entry, Task, TaskFilter, TaskStatus, Verdict};

use super::ConsoleState;
use super::i18n::Lang;
use super::layout::{self, Ctx, PageError, Section};
use super::runs::enc;
use super::session::{self, Permission, User};
use super::{invoice, returns};
use crate::desk::DeskState;

/// The most tasks a queue page lists.
const LISTED: u32 = 500;

fn desk_of(state: &ConsoleState, lang: Lang) -> Result<&std::sync::Arc<Desk>, PageError> {
    state
        .desk
        .as_ref()
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, "error.no_desk"))
}

/// The finance queue.
pub async fn finance_queue(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    queue_page(&state, &user, lang, "finance", &query)
}

/// The returns queue.
pub async fn returns_queue(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    queue_page(&state, &user, lang, "returns", &query)
}

fn queue_page(
    state: &ConsoleState,
    user: &User,
    lang: Lang,
    queue: &str,
    query: &BTreeMap<String, String>,
) -> Result<Response, PageError> {
    session::require(lang, user, Permission::ReadRuns)?;
    let desk = desk_of(state, lang)?;
    let status = match query.get("status").map(String::as_str) {
        Some("decided") => TaskStatus::Decided,
        _ => TaskStatus::Open,
    };
    let mut tasks = desk
        .tasks(&TaskFilter {
            queue: Some(queue.to_owned()),
            status: Some(status),
            limit: LISTED,
        })
        .map_err(|e| PageError::desk(lang, e))?;
    if status == TaskStatus::Decided {
        tasks.sort_by_key(|t| std::cmp::Reverse(t.decided_ms));
    }
    let (section, title) = if queue == "finance" {
        (Section::Finance, "tasks.finance_title")
    } else {
        (Section::Returns, "tasks.returns_title")
    };
    let ctx = Ctx { lang, user };
    let here = format!("/console/{queue}");
    let body = html! {
        h1 { (ctx.t(title)) }
        div.actions style="margin-bottom:1rem" {
            @for (s, key) in [(TaskStatus::Open, "tasks.open"), (TaskStatus::Decided, "tasks.decided")] {
                @if s == status { strong.button { (ctx.t(key)) } }
                @else { a.button href={ (here) "?status=" (s.as_str()) } { (ctx.t(key)) } }
            }
        }
        @if tasks.is_empty() {
            p.muted { (ctx.t("common.empty")) }
        } @else {
            table {
                thead { tr {
                    th { (ctx.t("tasks.task")) }
                    th { (ctx.t("tasks.subject")) }
                    th { (ctx.t("tasks.reasons")) }
                    th.num { (ctx.t("tasks.reminders")) }
                    th { (ctx.t("tasks.opened")) }
                    th { (ctx.t("common.status")) }
                } }
                tbody {
                    @for t in &tasks {
                        tr {
                            td { a href={ "/console/tasks/" (enc(&t.id)) } { strong.mono { (t.id) } } br; (session::masked_text(user, &t.title)) }
                            td.mono { (session::masked_text(user, &t.subject)) }
                            td { (reason_codes(&t.reasons)) }
                            td.num { (t.reminders) }
                            td { (layout::shop_time(t.created_ms)) }
                            td { (task_status(&ctx, t)) }
                        }
                    }
                }
            }
        }
        p.note { (ctx.t("common.time_note")) }
    };
    Ok(layout::page(&ctx, section, ctx.t(title), body))
}

/// The reasons' codes, one a line.
fn reason_codes(reasons: &Value) -> Markup {
    html! {
        @for r in reasons.as_array().into_iter().flatten() {
            code { (r.get("code").and_then(Value::as_str).unwrap_or("?")) } br;
        }
    }
}

/// A task's state: open, or the decision.
fn task_status(ctx: &Ctx<'_>, t: &Task) -> Markup {
    html! {
        @match &t.decision {
            None => span.badge.open { (ctx.t("tasks.open")) },
            Some(d) => {
                span class={ "badge " (if d.decision == Verdict::Approve { "completed" } else { "faulted" }) } { (ctx.t(verdict_key(d.decision))) }
                " " span.muted { (d.by) }
            },
        }
    }
}

/// The label key of a verdict.
pub fn verdict_key(v: Verdict) -> &'static str {
    match v {
        Verdict::Approve => "verdict.approve",
        Verdict::Reject => "verdict.reject",
    }
}

/// A task's page.
pub async fn show(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let desk = desk_of(&state, lang)?;
    let (task, log) = desk
        .task(&id)
        .map_err(|e| PageError::desk(lang, e))?
        .ok_or_else(|| PageError::not_found(lang))?;
    let ctx = Ctx { lang, user: &user };
    let run = match &task.run_id {
        Some(run_id) => state.backend.get(run_id).await.ok(),
        None => None,
    };
    let may_decide =
        task.status == TaskStatus::Open && session::can(&user, session::decide(&task.queue));
    let view = match task.kind.as_str() {
        "invoice_review" => invoice::view(&ctx, &state, &task, may_decide),
        "return_review" => returns::view(&ctx, &task, may_decide),
        _ => generic_view(&ctx, &task, may_decide),
    };
    let running = run.as_ref().is_some_and(|r| !r.record.status.is_final());
    let refresh = task.status == TaskStatus::Decided && running;
    let section = if task.queue == "finance" {
        Section::Finance
    } else {
        Section::Returns
    };
    let body = html! {
        h1 { span.mono { (task.id) } " " (session::masked_text(&user, &task.title)) " " (task_status(&ctx, &task)) }
        @if let Some(d) = &task.decision {
            div class={ "notice " (if d.decision == Verdict::Approve { "ok" } else { "bad" }) } {
                (ctx.t("tasks.decided_note")) " " strong { (ctx.t(verdict_key(d.decision))) } " · " (d.by)
                " · " (task.decided_ms.map(layout::shop_time).unwrap_or_default())
                @if !d.reason.is_empty() { " · " (ctx.t("tasks.reason")) ": " (d.reason) }
            }
        }
        @if task.status == TaskStatus::Open && !may_decide {
            p.notice.warn { (ctx.t("tasks.cannot_decide")) }
        }
        div.card {
            h2 style="margin-top:0" { (ctx.t("tasks.reasons")) }
            ul {
                @for r in task.reasons.as_array().into_iter().flatten() {
                    li {
                        code { (r.get("code").and_then(Value::as_str).unwrap_or("?")) } " "
                        (session::masked_text(&user, r.get("message").and_then(Value::as_str).unwrap_or("")))
                        @if let Some(f) = r.get("field").and_then(Value::as_str) { " " span.muted.mono { (f) } }
                    }
                }
            }
        }
        (view)
        h2 { (ctx.t("tasks.run_outcome")) }
        @match &run {
            Some(r) => div.card #run-outcome {
                dl.facts {
                    dt { (ctx.t("tasks.run")) }
                    dd.mono { a href={ "/console/run?id=" (enc(&r.record.id)) } { (r.record.id) } }
                    dt { (ctx.t("common.status")) }
                    dd { (layout::status_badge(lang, r.record.status.as_str())) }
                }
                @if refresh { p.note { (ctx.t("tasks.run_refresh")) } }
                @if let Some(o) = &r.record.output {
                    h2 { (ctx.t("common.output")) }
                    (layout::json_block(lang, &session::masked(&user, o)))
                }
                @if let Some(e) = &r.record.error {
                    h2 { (ctx.t("common.error")) }
                    (layout::json_block(lang, &session::masked(&user, e)))
                }
            },
            None => p.muted { (ctx.t("common.none")) },
        }
        h2 { (ctx.t("tasks.audit")) }
        (audit_table(&ctx, &log))
        p.note { (ctx.t("common.time_note")) }
    };
    let head = if refresh {
        html! { meta http-equiv="refresh" content="2"; }
    } else {
        html! {}
    };
    Ok(layout::page_with_head(&ctx, section, &task.id, head, body))
}

/// Every change to a task: who, when, the task before and after.
pub fn audit_table(ctx: &Ctx<'_>, log: &[Entry]) -> Markup {
    html! {
        table.audit {
            thead { tr {
                th { (ctx.t("tasks.at")) }
                th { (ctx.t("tasks.action")) }
                th { (ctx.t("tasks.by")) }
                th { (ctx.t("tasks.before")) }
                th { (ctx.t("tasks.after")) }
            } }
            tbody {
                @for e in log {
                    tr {
                        td { (layout::shop_time(e.at_ms)) }
                        td { (ctx.t(action_key(&e.action))) }
                        td { (e.by) }
                        td { @if let Some(b) = &e.before { (layout::json_block(ctx.lang, &session::masked(ctx.user, b))) } }
                        td { @if let Some(a) = &e.after { (layout::json_block(ctx.lang, &session::masked(ctx.user, a))) } }
                    }
                }
            }
        }
    }
}

fn action_key(action: &str) -> &'static str {
    match action {
        "opened" => "action.opened",
        "reminded" => "action.reminded",
        _ => "action.decided",
    }
}

/// Any other kind of task: its data and the plain decision form.
fn generic_view(ctx: &Ctx<'_>, task: &Task, may_decide: bool) -> Markup {
    html! {
        h2 { (ctx.t("tasks.data")) }
        (layout::json_block(ctx.lang, &session::masked(ctx.user, &task.data)))
        @if may_decide { (decision_form(ctx, task, html! {})) }
    }
}

/// The decision form: `fields` (corrections) above the reason and the two buttons.
pub fn decision_form(ctx: &Ctx<'_>, task: &Task, fields: Markup) -> Markup {
    html! {
        form.card #decide method="post" action={ "/console/tasks/" (enc(&task.id)) "/decision" } {
            h2 style="margin-top:0" { (ctx.t("tasks.decide_title")) }
            input type="hidden" name="csrf" value=(ctx.user.csrf_token);
            (fields)
            div.field-row {
                label for="reason" { (ctx.t("tasks.reason")) }
                input #reason type="text" name="reason" maxlength="500";
            }
            p.note { (ctx.t("tasks.reason_required")) }
            div.actions {
                button.approve #approve type="submit" name="verdict" value="approve" { (ctx.t("tasks.approve")) }
                button.danger #reject type="submit" name="verdict" value="reject" { (ctx.t("tasks.reject")) }
            }
        }
    }
}

/// Records the decision from the form and goes back to the task's page.
pub async fn decide(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Path(id): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    session::check_csrf(lang, &user, &field("csrf"))?;
    let desk = desk_of(&state, lang)?;
    let (task, _) = desk
        .task(&id)
        .map_err(|e| PageError::desk(lang, e))?
        .ok_or_else(|| PageError::not_found(lang))?;
    session::require(lang, &user, session::decide(&task.queue))?;
    let verdict = Verdict::parse(&field("verdict")).ok_or_else(|| {
        PageError::new(lang, StatusCode::BAD_REQUEST, "error.title")
            .with_detail(format!("verdict must be one of {}", Verdict::names()))
    })?;
    let reason = field("reason");
    if verdict == Verdict::Reject && reason.is_empty() {
        return Err(PageError::new(
            lang,
            StatusCode::BAD_REQUEST,
            "tasks.reason_required",
        ));
    }
    let changes = match (task.kind.as_str(), verdict) {
        ("invoice_review", Verdict::Approve) => {
            invoice::changes(&task.data, &form).map_err(|line| {
                PageError::new(lang, StatusCode::BAD_REQUEST, "invoice.bad_line")
                    .with_detail(line.to_string())
            })?
        }
        _ => json!({}),
    };
    let decision = Decision {
        decision: verdict,
        reason,
        changes,
        by: user.name.clone(),
    };
    let desk_state = DeskState {
        engine: state.backend.clone(),
        desk: std::sync::Arc::clone(desk),
    };
    crate::desk::tasks::record_decision(&desk_state, &id, decision)
        .await
        .map_err(|p| {
            PageError::new(lang, p.status(), "error.title").with_detail(p.detail().to_owned())
        })?;
    tracing::info!(task = %id, by = %user.name, verdict = verdict.as_str(), "task decided in the console");
    Ok(Redirect::to(&format!("/console/tasks/{}", enc(&id))).into_response())
}
