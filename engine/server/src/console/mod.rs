//! The web console: server-rendered pages for ops staff (runs, flows, deploys, schedules, the
//! KPI board) and finance staff (the invoice review queue), behind the logins of [`crate::auth`].
//!
//! Pages are HTML written with `maud` (checked at compile time, escaped by default), in
//! Chinese first with an English switch ([`i18n`]), one stylesheet and a few lines of script
//! embedded in the binary; every page works with JavaScript off. Forms post back with the
//! session's CSRF token; decisions go through the same code as the REST API's.

pub mod artifacts;
pub mod board;
pub mod decisions;
pub mod deploy;
pub mod flows;
pub mod graph;
pub mod i18n;
pub mod invoice;
pub mod kpi;
pub mod layout;
pub mod login;
pub mod returns;
pub mod run;
pub mod runs;
pub mod session;
pub mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use shopflow_core::ArtifactStore;
use shopflow_desk::Desk;
use shopflow_embedded::Engine;

use crate::backend::Backend;

use self::i18n::Lang;
use self::session::{Permission, User};

/// What the console's pages read and change.
#[derive(Clone)]
pub struct ConsoleState {
    /// Where runs run; its engine keeps flows and schedules.
    pub backend: Backend,
    /// Review tasks (none: the review pages say there is no desk).
    pub desk: Option<Arc<Desk>>,
    /// Screenshots, vouchers, invoice PDFs (none: artifacts answer 404).
    pub artifacts: Option<ArtifactStore>,
}

impl FromRef<ConsoleState> for Engine {
    fn from_ref(state: &ConsoleState) -> Engine {
        state.backend.engine().clone()
    }
}

impl ConsoleState {
    /// The embedded engine (flows, schedules, journal; the runs too when embedded).
    pub fn engine(&self) -> &Engine {
        self.backend.engine()
    }
}

/// The stylesheet.
const CSS: &str = include_str!("assets/console.css");
/// The script (confirm dialogs, a chosen file into the deploy box).
const JS: &str = include_str!("assets/console.js");

/// The console's routes: `/`, `/login`, `/logout` and everything under `/console`.
pub fn routes(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/runs", get(runs::list))
        .route("/console/run", get(run::show))
        .route("/console/run/action", post(run::act))
        .route("/console/artifacts/{reference}", get(artifacts::serve))
        .route("/console/flows", get(flows::list))
        .route("/console/flow", get(flows::show))
        .route("/console/flow/schedule", post(flows::schedule))
        .route("/console/deploy", get(deploy::form).post(deploy::submit))
        .route("/console/kpi", get(board::show))
        .route("/console/finance", get(tasks::finance_queue))
        .route("/console/returns", get(tasks::returns_queue))
        .route("/console/tasks/{id}", get(tasks::show))
        .route("/console/tasks/{id}/decision", post(tasks::decide))
        .route("/console/decisions", get(decisions::show))
        .layer(axum::middleware::from_fn(i18n::remember))
        // Every form of a signed-in user carries the session's CSRF token (the handlers check
        // it again: a route can never be left out by mistake).
        .layer(axum::middleware::from_fn_with_state(
            state.engine().clone(),
            crate::auth::require_csrf,
        ))
        // Flows up to the loader's 4 MiB limit, with room for the form around them.
        .layer(axum::extract::DefaultBodyLimit::max(
            4 * 1024 * 1024 + 64 * 1024,
        ))
        .with_state(state)
}

/// `/console`: where each role starts.
async fn home(user: User, _lang: Lang) -> Response {
    let start = if session::can(&user, session::decide("finance"))
        && !session::can(&user, Permission::SteerRuns)
    {
        "/console/finance"
    } else {
        "/console/runs"
    };
    Redirect::to(start).into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        JS,
    )
        .into_response()
}
