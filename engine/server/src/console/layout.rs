//! The frame every console page shares (header, navigation by role, language switch, logout),
//! the error page, and small pieces pages are built from: status badges, shop times, JSON.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::i18n::Lang;
use super::session::{self, Permission, User};

/// The console's sections, for the navigation's highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Runs and run pages.
    Runs,
    /// Flows, versions, deploy.
    Flows,
    /// The KPI board.
    Kpi,
    /// The finance queue and invoice tasks.
    Finance,
    /// The returns queue and return tasks.
    Returns,
    /// The decisions' audit log.
    Decisions,
}

/// What a page is drawn for: the language and the person looking.
pub struct Ctx<'a> {
    /// The page's language.
    pub lang: Lang,
    /// Who is logged in.
    pub user: &'a User,
}

impl Ctx<'_> {
    /// The label for `key`.
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }
}

/// A whole page: the frame around `body`.
pub fn page(ctx: &Ctx<'_>, section: Section, title: &str, body: Markup) -> Response {
    page_with_head(ctx, section, title, html! {}, body)
}

/// A whole page with extra `<head>` content (a refresh).
pub fn page_with_head(
    ctx: &Ctx<'_>,
    section: Section,
    title: &str,
    head: Markup,
    body: Markup,
) -> Response {
    let user = ctx.user;
    let nav: Vec<(Section, &str, &'static str)> = [
        (
            Section::Runs,
            "/console/runs",
            "nav.runs",
            Permission::ReadRuns,
        ),
        (
            Section::Flows,
            "/console/flows",
            "nav.flows",
            Permission::ReadRuns,
        ),
        (
            Section::Kpi,
            "/console/kpi",
            "nav.kpi",
            Permission::ReadRuns,
        ),
        (
            Section::Finance,
            "/console/finance",
            "nav.finance",
            Permission::ReadRuns,
        ),
        (
            Section::Returns,
            "/console/returns",
            "nav.returns",
            Permission::ReadRuns,
        ),
        (
            Section::Decisions,
            "/console/decisions",
            "nav.decisions",
            Permission::ReadRuns,
        ),
    ]
    .into_iter()
    .filter(|(_, _, _, p)| session::can(user, p.clone()))
    .map(|(s, href, key, _)| (s, href, key))
    .collect();
    let (other, other_name) = ctx.lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (ctx.t("app")) }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
                (head)
            }
            body {
                header.top {
                    a.brand href="/console" { (ctx.t("app")) }
                    nav {
                        @for (s, href, key) in &nav {
                            a class=[(*s == section).then_some("active")] href=(href) { (ctx.t(key)) }
                        }
                    }
                    div.who {
                        span { (user.name) " · " (ctx.t(session::role_key(user))) }
                        a href={ "?lang=" (other) } hreflang=(other) { (other_name) }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(user.csrf_token);
                            button type="submit" { (ctx.t("logout")) }
                        }
                    }
                }
                main {
                    @if !session::can(user, Permission::SeePersonalData) {
                        p.notice.warn { (ctx.t("masked.note")) }
                    }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// An error answered as a page.
#[derive(Debug)]
pub struct PageError {
    /// The status.
    pub status: StatusCode,
    /// The label key of the message.
    pub key: &'static str,
    /// More detail (shown after the message), if any.
    pub detail: Option<String>,
    /// The language to write it in.
    pub lang: Lang,
}

impl PageError {
    /// An error with this status and message.
    pub fn new(lang: Lang, status: StatusCode, key: &'static str) -> PageError {
        PageError {
            status,
            key,
            detail: None,
            lang,
        }
    }

    /// 403: the role may not.
    pub fn forbidden(lang: Lang) -> PageError {
        PageError::new(lang, StatusCode::FORBIDDEN, "error.forbidden")
    }

    /// 404.
    pub fn not_found(lang: Lang) -> PageError {
        PageError::new(lang, StatusCode::NOT_FOUND, "error.not_found")
    }

    /// Adds detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> PageError {
        self.detail = Some(detail.into());
        self
    }

    /// The engine's refusal as a page.
    pub fn engine(lang: Lang, e: shopflow_embedded::EngineError) -> PageError {
        let problem = crate::problem::Problem::from(e);
        let status = problem_status(&problem);
        let key = if status == StatusCode::NOT_FOUND {
            "error.not_found"
        } else {
            "error.title"
        };
        PageError::new(lang, status, key).with_detail(problem.detail().to_owned())
    }

    /// The desk's refusal as a page.
    pub fn desk(lang: Lang, e: shopflow_desk::Error) -> PageError {
        let problem = crate::desk::desk_problem(e);
        let status = problem_status(&problem);
        PageError::new(lang, status, "error.title").with_detail(problem.detail().to_owned())
    }
}

fn problem_status(problem: &crate::problem::Problem) -> StatusCode {
    problem.status()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let markup = html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    title { (lang.t("error.title")) " · " (lang.t("app")) }
                    link rel="stylesheet" href="/console/assets/console.css";
                }
                body {
                    main {
                        div.card {
                            h1 { (lang.t("error.title")) " (" (self.status.as_u16()) ")" }
                            p { (lang.t(self.key)) }
                            @if let Some(d) = &self.detail { p.muted { (d) } }
                            p { a href="/console" { (lang.t("error.back")) } }
                        }
                    }
                }
            }
        };
        (self.status, Html(markup.into_string())).into_response()
    }
}

/// A time in milliseconds as shop time (UTC+8), `2026-11-24 10:00:05`.
pub fn shop_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(8 * 3_600_000))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A run status as a coloured badge in the page's language.
pub fn status_badge(lang: Lang, status: &str) -> Markup {
    html! { span class={ "badge " (status) } { (lang.t(status_label(status))) } }
}

/// The label key of a run status (`common.none` for one this build does not know).
pub fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "status.pending",
        "running" => "status.running",
        "waiting" => "status.waiting",
        "suspended" => "status.suspended",
        "cancelled" => "status.cancelled",
        "faulted" => "status.faulted",
        "completed" => "status.completed",
        _ => "common.none",
    }
}

/// A JSON value, pretty-printed; long ones folded.
pub fn json_block(lang: Lang, value: &Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    if text.len() <= 160 {
        html! { pre { (text) } }
    } else {
        html! {
            details {
                summary { (lang.t("common.details")) " · " (short(value)) }
                pre { (text) }
            }
        }
    }
}

/// A JSON value on one line, cut to about 100 characters.
pub fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cut: String = text.chars().take(100).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Text that is already safe HTML (Graphviz's SVG).
pub fn trusted(html: String) -> Markup {
    PreEscaped(html)
}
