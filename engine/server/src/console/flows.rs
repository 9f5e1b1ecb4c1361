//! `GET /console/flows` (every deployed flow, its versions and schedule), `GET /console/flow`
//! (one flow: its versions, a version's source and graph, the diff between two versions) and
//! `POST /console/flow/schedule` (a schedule on or off).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use shopflow_embedded::FlowInfo;
use similar::{ChangeTag, TextDiff};

use super::ConsoleState;
use super::graph;
use super::i18n::Lang;
use super::layout::{self, Ctx, PageError, Section};
use super::runs::enc;
use super::session::{self, Permission, User};

/// One flow and its versions, newest first.
struct FlowVersions {
    flow: String,
    versions: Vec<FlowInfo>,
}

fn grouped(all: Vec<FlowInfo>) -> Vec<FlowVersions> {
    let mut by: BTreeMap<String, Vec<FlowInfo>> = BTreeMap::new();
    for f in all {
        by.entry(f.flow.clone()).or_default().push(f);
    }
    by.into_iter()
        .map(|(flow, mut versions)| {
            versions.reverse();
            // The latest (the one new runs get) first.
            versions.sort_by_key(|v| !v.latest);
            FlowVersions { flow, versions }
        })
        .collect()
}

/// Whether each flow's schedule is on (a flow with no row is on).
fn schedules(state: &ConsoleState) -> BTreeMap<String, bool> {
    state
        .engine()
        .store()
        .journal()
        .schedules()
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.flow, s.enabled))
        .collect()
}

/// The list page.
pub async fn list(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let flows = grouped(
        state
            .engine()
            .flows()
            .map_err(|e| PageError::engine(lang, e))?,
    );
    let enabled = schedules(&state);
    let ctx = Ctx { lang, user: &user };
    let body = html! {
        h1 { (ctx.t("flows.title")) }
        @if session::can(&user, Permission::DeployFlows) {
            p { a.button href="/console/deploy" { (ctx.t("flows.deploy")) } }
        }
        table {
            thead { tr {
                th { (ctx.t("common.flow")) }
                th { (ctx.t("flows.versions")) }
                th { (ctx.t("flows.deployed")) }
                th { (ctx.t("flows.schedule")) }
                th {}
            } }
            tbody {
                @for f in &flows {
                    @let latest = &f.versions[0];
                    tr {
                        td { a href={ "/console/flow?flow=" (enc(&f.flow)) } { strong { (f.flow) } } }
                        td {
                            @for v in &f.versions {
                                a href={ "/console/flow?flow=" (enc(&f.flow)) "&version=" (enc(&v.version)) } { (v.version) }
                                @if v.latest { " " span.badge.completed { (ctx.t("flows.latest")) } }
                                " "
                            }
                        }
                        td { (layout::shop_time(latest.deployed_ms)) }
                        td { (schedule_cell(&ctx, &f.flow, latest.schedule, enabled.get(&f.flow).copied().unwrap_or(true))) }
                        td { a href={ "/console/runs?flow=" (enc(&f.flow)) } { (ctx.t("flows.runs")) } }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx,
        Section::Flows,
        ctx.t("flows.title"),
        body,
    ))
}

/// A flow's schedule: its kind, on or off, and the switch for roles that may use it.
fn schedule_cell(ctx: &Ctx<'_>, flow: &str, kind: Option<&str>, on: bool) -> Markup {
    let Some(kind) = kind else {
        return html! { span.muted { (ctx.t("common.none")) } };
    };
    html! {
        div.actions {
            code { (kind) }
            @if on { span.badge.completed { (ctx.t("flows.schedule_on")) } }
            @else { span.badge.cancelled { (ctx.t("flows.schedule_off")) } }
            @if session::can(ctx.user, Permission::ToggleSchedules) {
                form method="post" action="/console/flow/schedule" {
                    input type="hidden" name="csrf" value=(ctx.user.csrf_token);
                    input type="hidden" name="flow" value=(flow);
                    input type="hidden" name="enabled" value=(if on { "false" } else { "true" });
                    button type="submit" { (ctx.t(if on { "flows.turn_off" } else { "flows.turn_on" })) }
                }
            }
        }
    }
}

/// One flow's page.
pub async fn show(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    let name = query.get("flow").cloned().unwrap_or_default();
    let engine = state.engine();
    let flows = grouped(engine.flows().map_err(|e| PageError::engine(lang, e))?);
    let f = flows
        .into_iter()
        .find(|f| f.flow == name)
        .ok_or_else(|| PageError::not_found(lang))?;
    let version = query
        .get("version")
        .filter(|v| f.versions.iter().any(|x| &x.version == *v))
        .cloned()
        .unwrap_or_else(|| f.versions[0].version.clone());
    let source_of = |v: &str| engine.flow_source(&format!("{}:{v}", f.flow));
    let source = source_of(&version).map_err(|e| PageError::engine(lang, e))?;
    let svg = match engine.workflow(&format!("{}:{version}", f.flow)) {
        Ok(wf) => graph::svg(&graph::highlighted_dot(&wf, &[], &[])).await,
        Err(e) => Err(e.to_string()),
    };
    let older = f
        .versions
        .iter()
        .map(|v| v.version.clone())
        .find(|v| *v != version)
        .unwrap_or_else(|| version.clone());
    let from = query.get("from").cloned().unwrap_or(older);
    let to = query.get("to").cloned().unwrap_or_else(|| version.clone());
    let diff = if query.contains_key("from") {
        match (source_of(&from), source_of(&to)) {
            (Ok(a), Ok(b)) => Some(diff_view(lang, &a, &b)),
            (Err(e), _) | (_, Err(e)) => return Err(PageError::engine(lang, e)),
        }
    } else {
        None
    };
    let enabled = schedules(&state).get(&f.flow).copied().unwrap_or(true);
    let info = f.versions.iter().find(|v| v.version == version);
    let ctx = Ctx { lang, user: &user };
    let body = html! {
        h1 { (f.flow) " " span.muted { (version) } }
        div.card {
            dl.facts {
                dt { (ctx.t("flows.versions")) }
                dd {
                    @for v in &f.versions {
                        @if v.version == version { strong { (v.version) } } @else {
                            a href={ "/console/flow?flow=" (enc(&f.flow)) "&version=" (enc(&v.version)) } { (v.version) }
                        }
                        @if v.latest { " " span.badge.completed { (ctx.t("flows.latest")) } }
                        " · " span.muted { (layout::shop_time(v.deployed_ms)) } br;
                    }
                }
                dt { (ctx.t("flows.schedule")) }
                dd { (schedule_cell(&ctx, &f.flow, info.and_then(|i| i.schedule), enabled)) }
                dt { (ctx.t("flows.runs")) }
                dd { a href={ "/console/runs?flow=" (enc(&f.flow)) } { (f.flow) } }
            }
        }
        h2 { (ctx.t("flows.diff")) }
        form.filters method="get" action="/console/flow" {
            input type="hidden" name="flow" value=(f.flow);
            input type="hidden" name="version" value=(version);
            label { (ctx.t("flows.diff_from"))
                select name="from" { @for v in &f.versions { option value=(v.version) selected[v.version == from] { (v.version) } } }
            }
            label { (ctx.t("flows.diff_to"))
                select name="to" { @for v in &f.versions { option value=(v.version) selected[v.version == to] { (v.version) } } }
            }
            button type="submit" { (ctx.t("flows.compare")) }
        }
        @if let Some(d) = diff { (d) }
        div.cols {
            div {
                h2 { (ctx.t("flows.source")) }
                (numbered_source(&source, &[]))
            }
            div {
                h2 { (ctx.t("flows.graph")) }
                @match &svg {
                    Ok(svg) => div.graph { (layout::trusted(svg.clone())) },
                    Err(e) => p.muted { (ctx.t("run.graph_unavailable")) " " (e) },
                }
            }
        }
    };
    Ok(layout::page(&ctx, Section::Flows, &f.flow, body))
}

/// A unified diff of two versions' YAML, three lines of context.
fn diff_view(lang: Lang, old: &str, new: &str) -> Markup {
    let diff = TextDiff::from_lines(old, new);
    if diff.ratio() >= 1.0 {
        return html! { p.muted { (lang.t("flows.no_diff")) } };
    }
    html! {
        div.yaml.diff {
            @for group in diff.grouped_ops(3) {
                div.l.hunk { span.n { "…" } span.c {
                    @if let Some(first) = group.first() { "@@ " (first.old_range().start + 1) " → " (first.new_range().start + 1) " @@" }
                } }
                @for op in &group {
                    @for change in diff.iter_changes(op) {
                        @let (class, sign, n) = match change.tag() {
                            ChangeTag::Delete => ("del", "-", change.old_index()),
                            ChangeTag::Insert => ("add", "+", change.new_index()),
                            ChangeTag::Equal => ("ctx", " ", change.new_index()),
                        };
                        div class={ "l " (class) } {
                            span.n { (n.map(|i| (i + 1).to_string()).unwrap_or_default()) }
                            span.c { (sign) " " (change.value().trim_end_matches('\n')) }
                        }
                    }
                }
            }
        }
    }
}

/// YAML with line numbers; `problems` (line, messages) are shown under their lines.
pub fn numbered_source(source: &str, problems: &[(u32, Markup)]) -> Markup {
    html! {
        div.yaml {
            @for (i, line) in source.lines().enumerate() {
                @let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                @let here: Vec<&Markup> = problems.iter().filter(|(l, _)| *l == n).map(|(_, m)| m).collect();
                div class=(if here.is_empty() { "l" } else { "l err" }) id={ "L" (n) } {
                    span.n { (n) }
                    span.c { (line) }
                    @for m in here { div.diag { (m) } }
                }
            }
        }
    }
}

/// `POST /console/flow/schedule` `flow`, `enabled`, `csrf`.
pub async fn schedule(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    session::check_csrf(lang, &user, field("csrf"))?;
    session::require(lang, &user, Permission::ToggleSchedules)?;
    let flow = field("flow");
    let enabled = field("enabled") == "true";
    state
        .engine()
        .set_schedule(flow, enabled)
        .await
        .map_err(|e| PageError::engine(lang, e))?;
    tracing::info!(%flow, enabled, by = %user.name, "schedule switched from the console");
    Ok(Redirect::to(&format!("/console/flow?flow={}", enc(flow))).into_response())
}
