//! `GET /console/kpi?days=N`: the KPI board — the queues as they are now, then per shop day
//! and shipped flow: runs, automation rate, hand-overs, p50/p99 handling time, SLA breaches and
//! reminder → payment conversion, computed by [`super::kpi`] from the runs' outputs.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use shopflow_desk::{TaskFilter, TaskStatus, TicketFilter, TicketStatus};
use shopflow_embedded::journal::{RunFilter, RunRecord};

use super::ConsoleState;
use super::i18n::Lang;
use super::kpi::{self, Day, FlowSummary, SHIPPED};
use super::layout::{self, Ctx, PageError, Section};
use super::session::{self, Permission, User};

/// The most runs per flow the board reads.
const MAX_RUNS: u32 = 50_000;

/// The queues now: (queue, tasks waiting, open tickets, tickets queued for a seat).
type QueueRow = (String, usize, usize, usize);

/// Review tasks as (queue, opened ms).
type Opened = Vec<(String, i64)>;

/// The board.
pub async fn show(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let days: usize = query
        .get("days")
        .and_then(|d| d.parse().ok())
        .filter(|d| (1..=90).contains(d))
        .unwrap_or(7);
    let mut runs: Vec<RunRecord> = Vec::new();
    for (flow, _) in SHIPPED {
        let filter = RunFilter {
            flow: Some(flow.to_owned()),
            status: None,
            limit: Some(MAX_RUNS),
        };
        let listed = state
            .backend
            .list(&filter)
            .await
            .map_err(|e| PageError::engine(lang, e))?;
        runs.extend(listed.into_iter().map(|v| v.record));
    }
    let (tasks, queues) = match &state.desk {
        Some(desk) => desk_figures(desk).map_err(|e| PageError::desk(lang, e))?,
        None => (Vec::new(), Vec::new()),
    };
    let mut by_day = kpi::by_day(&runs, &tasks, &SHIPPED);
    by_day.truncate(days);
    // The whole period: the runs of the days shown.
    let shown: Vec<String> = by_day.iter().map(|d| d.day.clone()).collect();
    let period_runs: Vec<RunRecord> = runs
        .into_iter()
        .filter(|r| shown.contains(&kpi::shop_day(r.created_ms)))
        .collect();
    let period_tasks: Vec<(String, i64)> = tasks
        .into_iter()
        .filter(|(_, at)| shown.contains(&kpi::shop_day(*at)))
        .collect();
    let total: Vec<FlowSummary> = SHIPPED
        .iter()
        .map(|(flow, queue)| {
            let of: Vec<RunRecord> = period_runs
                .iter()
                .filter(|r| r.flow == *flow)
                .cloned()
                .collect();
            let handed = queue.map_or(0, |q| period_tasks.iter().filter(|(tq, _)| tq == q).count());
            kpi::summarise(flow, &of, handed)
        })
        .collect();
    let ctx = Ctx { lang, user: &user };
    let body = html! {
        h1 { (ctx.t("kpi.title")) }
        form.filters method="get" action="/console/kpi" {
            label { (ctx.t("kpi.days"))
                select name="days" { @for d in [1usize, 7, 14, 30, 90] { option value=(d) selected[d == days] { (d) } } }
            }
            button type="submit" { (ctx.t("common.filter")) }
        }
        (tiles(&ctx, &total))
        h2 { (ctx.t("kpi.queues")) }
        @if queues.is_empty() { p.muted { (ctx.t("common.empty")) } } @else {
            table style="max-width:48rem" {
                thead { tr {
                    th { (ctx.t("kpi.queue")) }
                    th.num { (ctx.t("kpi.open_tasks")) }
                    th.num { (ctx.t("kpi.open_tickets")) }
                    th.num { (ctx.t("kpi.waiting_tickets")) }
                } }
                tbody { @for (q, t, o, w) in &queues { tr {
                    td { (q) } td.num { (t) } td.num { (o) } td.num { (w) }
                } } }
            }
        }
        h2 { (ctx.t("kpi.all_days")) }
        (flow_table(&ctx, &total))
        @for d in &by_day {
            (day_section(&ctx, d))
        }
        p.note { (ctx.t("kpi.note")) " " (ctx.t("common.time_note")) }
    };
    Ok(layout::page(&ctx, Section::Kpi, ctx.t("kpi.title"), body))
}

/// Review tasks as (queue, opened ms), and the queues now.
fn desk_figures(
    desk: &shopflow_desk::Desk,
) -> Result<(Opened, Vec<QueueRow>), shopflow_desk::Error> {
    let all = desk.tasks(&TaskFilter {
        queue: None,
        status: None,
        limit: 1_000_000,
    })?;
    let mut queues: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for t in all.iter().filter(|t| t.status == TaskStatus::Open) {
        queues.entry(t.queue.clone()).or_default().0 += 1;
    }
    for status in [
        TicketStatus::Queued,
        TicketStatus::Assigned,
        TicketStatus::Escalated,
    ] {
        let tickets = desk.tickets(&TicketFilter {
            agent: None,
            status: Some(status),
            queue: None,
            limit: 1_000_000,
        })?;
        for t in tickets {
            let row = queues.entry(t.queue.clone()).or_default();
            row.1 += 1;
            if status == TicketStatus::Queued {
                row.2 += 1;
            }
        }
    }
    let tasks = all.into_iter().map(|t| (t.queue, t.created_ms)).collect();
    let queues = queues
        .into_iter()
        .map(|(q, (t, o, w))| (q, t, o, w))
        .collect();
    Ok((tasks, queues))
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The headline tiles: automation per flow, SLA breaches, conversion.
fn tiles(ctx: &Ctx<'_>, total: &[FlowSummary]) -> Markup {
    let runs: usize = total.iter().map(|s| s.runs).sum();
    let automated: usize = total.iter().map(|s| s.automated).sum();
    let sla: usize = total.iter().map(|s| s.sla_breaches).sum();
    let chased: usize = total.iter().map(|s| s.chased).sum();
    let converted: usize = total.iter().map(|s| s.converted).sum();
    let recovered: i64 = total.iter().map(|s| s.recovered_fen).sum();
    html! {
        div.kpi-tiles {
            div.tile { div.muted { (ctx.t("kpi.runs")) } div.big { (runs) } }
            div.tile { div.muted { (ctx.t("kpi.automation")) } div.big { (kpi::percent(automated, runs)) } }
            div.tile { div.muted { (ctx.t("kpi.sla")) } div.big { (sla) } }
            div.tile { div.muted { (ctx.t("kpi.conversion")) } div.big { (kpi::percent(converted, chased)) } div.muted { (converted) " / " (chased) } }
            div.tile { div.muted { (ctx.t("kpi.recovered")) } div.big { "¥" (shopflow_connectors::money::format_fen(recovered)) } }
        }
    }
}

fn day_section(ctx: &Ctx<'_>, d: &Day) -> Markup {
    html! {
        h2 { (ctx.t("kpi.day")) " " (d.day) }
        (flow_table(ctx, &d.flows))
    }
}

fn flow_table(ctx: &Ctx<'_>, flows: &[FlowSummary]) -> Markup {
    let ms = |v: Option<i64>| v.map_or_else(|| "–".to_owned(), kpi::duration);
    html! {
        table {
            thead { tr {
                th { (ctx.t("common.flow")) }
                th.num { (ctx.t("kpi.runs")) }
                th.num { (ctx.t("kpi.automation")) }
                th.num { (ctx.t("kpi.humans")) }
                th.num { (ctx.t("kpi.in_progress")) }
                th.num { (ctx.t("kpi.faulted")) }
                th.num { (ctx.t("kpi.p50")) }
                th.num { (ctx.t("kpi.p99")) }
                th.num { (ctx.t("kpi.sla")) }
                th.num { (ctx.t("kpi.conversion")) }
            } }
            tbody {
                @for s in flows {
                    tr {
                        td { (s.flow) }
                        td.num { (s.runs) }
                        td.num {
                            (kpi::percent(s.automated, s.runs))
                            span.bar { span style={ "width:" (format!("{:.0}", ratio(s.automated, s.runs))) "%" } {} }
                        }
                        td.num { (kpi::percent(s.to_humans, s.runs)) }
                        td.num { (s.in_progress) }
                        td.num { (s.faulted) }
                        td.num { (ms(s.median_ms)) }
                        td.num { (ms(s.p99_ms)) }
                        td.num { @if s.flow == "shopflow/ticket-dispatch" { (s.sla_breaches) } @else { "–" } }
                        td.num { @if s.flow == "shopflow/payment-chase" { (kpi::percent(s.converted, s.chased)) " (" (s.converted) "/" (s.chased) ")" } @else { "–" } }
                    }
                }
            }
        }
    }
}
