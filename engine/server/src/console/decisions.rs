//! `GET /console/decisions`: every decision people made on review tasks, newest first — who,
//! when, approve or reject, the reason, the corrections, and the task before and after as the
//! desk's audit log recorded them.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use shopflow_desk::{TaskFilter, TaskStatus, Verdict};

use super::ConsoleState;
use super::i18n::Lang;
use super::layout::{self, Ctx, PageError, Section};
use super::runs::enc;
use super::session::{self, Permission, User};
use super::tasks::verdict_key;

/// The most decisions listed.
const LISTED: usize = 300;

/// The page.
pub async fn show(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let desk = state
        .desk
        .as_ref()
        .ok_or_else(|| PageError::new(lang, axum::http::StatusCode::NOT_FOUND, "error.no_desk"))?;
    let mut tasks = desk
        .tasks(&TaskFilter {
            queue: None,
            status: Some(TaskStatus::Decided),
            limit: 1_000_000,
        })
        .map_err(|e| PageError::desk(lang, e))?;
    tasks.sort_by_key(|t| std::cmp::Reverse(t.decided_ms));
    tasks.truncate(LISTED);
    let mut rows = Vec::new();
    for t in tasks {
        let audit = desk
            .task(&t.id)
            .map_err(|e| PageError::desk(lang, e))?
            .map(|(_, log)| log)
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.action == "decided");
        rows.push((t, audit));
    }
    let ctx = Ctx { lang, user: &user };
    let body = html! {
        h1 { (ctx.t("tasks.decisions_title")) }
        @if rows.is_empty() { p.muted { (ctx.t("common.empty")) } } @else {
            table {
                thead { tr {
                    th { (ctx.t("tasks.at")) }
                    th { (ctx.t("tasks.task")) }
                    th { (ctx.t("tasks.by")) }
                    th { (ctx.t("tasks.decision")) }
                    th { (ctx.t("tasks.changes")) }
                    th { (ctx.t("tasks.before")) }
                    th { (ctx.t("tasks.after")) }
                } }
                tbody {
                    @for (t, entry) in &rows {
                        @if let Some(d) = &t.decision {
                            tr {
                                td { (t.decided_ms.map(layout::shop_time).unwrap_or_default()) }
                                td { a.mono href={ "/console/tasks/" (enc(&t.id)) } { (t.id) } br; span.muted { (t.queue) } }
                                td { (d.by) }
                                td {
                                    span class={ "badge " (if d.decision == Verdict::Approve { "completed" } else { "faulted" }) } { (ctx.t(verdict_key(d.decision))) }
                                    @if !d.reason.is_empty() { br; (d.reason) }
                                }
                                td { @if d.changes.as_object().is_some_and(|c| !c.is_empty()) { (layout::json_block(lang, &session::masked(&user, &d.changes))) } }
                                td { @if let Some(b) = entry.as_ref().and_then(|e| e.before.as_ref()) { (layout::json_block(lang, &session::masked(&user, b))) } }
                                td { @if let Some(a) = entry.as_ref().and_then(|e| e.after.as_ref()).filter(|a| !a.is_null()) { (layout::json_block(lang, &session::masked(&user, a))) } }
                            }
                        }
                    }
                }
            }
        }
        p.note { (ctx.t("common.time_note")) }
    };
    Ok(layout::page(
        &ctx,
        Section::Decisions,
        ctx.t("tasks.decisions_title"),
        body,
    ))
}
