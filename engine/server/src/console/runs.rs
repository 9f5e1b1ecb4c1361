//! `GET /console/runs`: the runs, newest first, filtered by flow, status and shop day, and
//! searched by run id or by an order, refund or ticket id that appears in the run's input.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde_json::Value;
use shopflow_core::RunStatus;
use shopflow_embedded::RunView;
use shopflow_embedded::journal::RunFilter;

use super::ConsoleState;
use super::i18n::Lang;
use super::kpi::shop_day;
use super::layout::{self, Ctx, PageError, Section};
use super::session::{self, Permission, User};

/// How many runs a search looks through, newest first.
const SCAN: u32 = 5000;
/// How many runs the list shows.
const SHOWN: usize = 200;

/// The statuses a filter can pick.
const STATUSES: [&str; 7] = [
    "pending",
    "running",
    "waiting",
    "suspended",
    "cancelled",
    "faulted",
    "completed",
];

/// The filters as the form sends them.
#[derive(Debug, Default)]
struct Filters {
    flow: String,
    status: String,
    from: String,
    to: String,
    q: String,
}

impl Filters {
    fn read(query: &BTreeMap<String, String>) -> Filters {
        let get = |k: &str| {
            query
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        Filters {
            flow: get("flow"),
            status: get("status"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
        }
    }

    /// Whether `run` passes the day and search filters (flow and status go to the journal).
    fn admits(&self, run: &RunView) -> bool {
        let r = &run.record;
        let day = shop_day(r.created_ms);
        if !self.from.is_empty() && day < self.from {
            return false;
        }
        if !self.to.is_empty() && day > self.to {
            return false;
        }
        if self.q.is_empty() {
            return true;
        }
        r.id.contains(&self.q) || mentions(&r.input, &self.q)
    }
}

/// Whether some string or number inside `value` contains `needle`.
fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s.contains(needle),
        Value::Number(n) => n.to_string().contains(needle),
        Value::Array(a) => a.iter().any(|v| mentions(v, needle)),
        Value::Object(m) => m.values().any(|v| mentions(v, needle)),
        _ => false,
    }
}

/// The order, refund or ticket id a run is about, read from its input.
pub fn subject_of(input: &Value) -> Option<String> {
    let data = input.get("data").unwrap_or(input);
    let data = match data {
        Value::Array(a) => a.first().and_then(|e| e.get("data")).unwrap_or(data),
        other => other,
    };
    for key in ["order_id", "refund_id", "ticket_id", "tid", "subject"] {
        if let Some(v) = data.get(key).or_else(|| input.get(key)) {
            match v {
                Value::String(s) if !s.is_empty() => return Some(s.clone()),
                Value::Number(n) => return Some(n.to_string()),
                _ => {}
            }
        }
    }
    None
}

/// The list page.
pub async fn list(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let f = Filters::read(&query);
    let status = f.status.parse::<RunStatus>().ok();
    let filter = RunFilter {
        flow: (!f.flow.is_empty()).then(|| f.flow.clone()),
        // `waiting` is a live refinement of `running`.
        status: status.map(|s| {
            if s == RunStatus::Waiting {
                RunStatus::Running
            } else {
                s
            }
        }),
        limit: Some(SCAN),
    };
    let runs: Vec<RunView> = state
        .backend
        .list(&filter)
        .await
        .map_err(|e| PageError::engine(lang, e))?
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.record.status == s))
        .filter(|r| f.admits(r))
        .take(SHOWN)
        .collect();
    let mut flows: Vec<String> = state
        .engine()
        .flows()
        .map_err(|e| PageError::engine(lang, e))?
        .into_iter()
        .map(|f| f.flow)
        .collect();
    flows.dedup();
    let ctx = Ctx { lang, user: &user };
    let body = html! {
        h1 { (ctx.t("runs.title")) }
        form.filters method="get" action="/console/runs" {
            label { (ctx.t("common.flow"))
                select name="flow" {
                    option value="" { (ctx.t("common.all")) }
                    @for name in &flows {
                        option value=(name) selected[*name == f.flow] { (name) }
                    }
                }
            }
            label { (ctx.t("common.status"))
                select name="status" {
                    option value="" { (ctx.t("common.all")) }
                    @for s in STATUSES {
                        option value=(s) selected[s == f.status] { (lang.t(layout::status_label(s))) }
                    }
                }
            }
            label { (ctx.t("runs.from")) input type="date" name="from" value=(f.from); }
            label { (ctx.t("runs.to")) input type="date" name="to" value=(f.to); }
            label { (ctx.t("runs.search"))
                input.wide type="search" name="q" value=(f.q) placeholder=(ctx.t("runs.search_hint"));
            }
            button.primary type="submit" { (ctx.t("common.filter")) }
            a.button href="/console/runs" { (ctx.t("common.reset")) }
        }
        @if runs.is_empty() {
            p.muted { (ctx.t("common.empty")) }
        } @else {
            table {
                thead { tr {
                    th { (ctx.t("common.id")) }
                    th { (ctx.t("common.flow")) }
                    th { (ctx.t("common.status")) }
                    th { (ctx.t("runs.subject")) }
                    th { (ctx.t("common.created")) }
                    th { (ctx.t("common.updated")) }
                } }
                tbody {
                    @for r in &runs {
                        @let rec = &r.record;
                        tr {
                            td.mono { a href={ "/console/run?id=" (enc(&rec.id)) } { (rec.id) } }
                            td { (rec.flow) " " span.muted { (rec.version) } }
                            td { (layout::status_badge(lang, rec.status.as_str())) }
                            td.mono { (subject_of(&rec.input).map(|s| session::masked_text(&user, &s)).unwrap_or_default()) }
                            td { (layout::shop_time(rec.created_ms)) }
                            td { (layout::shop_time(rec.updated_ms)) }
                        }
                    }
                }
            }
            p.note { (ctx.t("common.shown")) " " (runs.len()) " · " (ctx.t("common.time_note")) }
        }
    };
    Ok(layout::page(&ctx, Section::Runs, ctx.t("runs.title"), body))
}

/// A value for a query string.
pub fn enc(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subjects_and_searches_read_the_input() {
        let event = json!([{"data": {"shop": "tmall", "order_id": "3958201174630021"}}]);
        assert_eq!(subject_of(&event).as_deref(), Some("3958201174630021"));
        assert_eq!(
            subject_of(&json!({"refund_id": "R1"})).as_deref(),
            Some("R1")
        );
        assert!(mentions(&event, "74630"));
        assert!(!mentions(&event, "nothing"));
        assert_eq!(enc("a/b c"), "a%2Fb+c");
    }
}
