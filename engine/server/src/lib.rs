//! shopflow's HTTP side: the REST API (`/api/v1`), `/metrics` and `/healthz` over the
//! embedded [`Engine`] or a Temporal cluster ([`Backend`]), served with axum, and graceful
//! shutdown on SIGTERM or Ctrl-C.
//!
//! **Why axum:** the tokio project's own HTTP framework, built on hyper and tower, so
//! routing, middleware (the token check) and graceful shutdown come from maintained parts.

pub mod api;
pub mod auth;
pub mod backend;
pub mod console;
pub mod desk;
pub mod hooks;
pub mod problem;
pub mod vouchers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use shopflow_embedded::Engine;
use tokio::net::TcpListener;

pub use backend::Backend;
pub use hooks::Intake;

/// The whole HTTP application for `engine`, with no shops configured for webhooks.
pub fn router(engine: Engine) -> Router {
    let intake = Intake {
        config: Arc::new(shopflow_connectors::Config::default()),
        clock: shopflow_connectors::client::system_clock(),
    };
    router_with(engine, intake)
}

/// Parts of the HTTP application that exist only when configured.
#[derive(Clone, Default)]
pub struct Services {
    /// Return vouchers behind `GET /v/{token}` (none: those links answer 404).
    pub vouchers: Option<Arc<shopflow_voucher::Vouchers>>,
    /// The service desk behind `/api/v1/tickets` and `/api/v1/tasks` (none: those answer
    /// 404); [`serve`] also relays its events into the engine.
    pub desk: Option<Arc<shopflow_desk::Desk>>,
    /// Stored files the console shows (screenshots, vouchers, invoice PDFs; none: its artifact
    /// links answer 404).
    pub artifacts: Option<shopflow_core::ArtifactStore>,
}

/// The whole HTTP application for `engine`, taking webhooks for the shops of `intake`.
pub fn router_with(engine: impl Into<Backend>, intake: Intake) -> Router {
    router_full(engine, intake, Services::default())
}

/// The whole HTTP application: the API over `engine`, webhooks for the shops of `intake`, and
/// what `services` configures.
pub fn router_full(engine: impl Into<Backend>, intake: Intake, services: Services) -> Router {
    let engine: Backend = engine.into();
    // Outside the token check: platforms authenticate with their signatures.
    let hooks = Router::new()
        .route("/hooks/{platform}", post(hooks::receive))
        .with_state((engine.clone(), intake));
    let api = Router::new()
        .route("/flows", post(api::deploy).get(api::list_flows))
        .route("/flows/{namespace}/{name}/source", get(api::flow_source))
        .route(
            "/flows/{namespace}/{name}/schedule",
            post(api::set_schedule),
        )
        .route("/runs", post(api::start_run).get(api::list_runs))
        .route("/runs/{id}", get(api::get_run))
        .route("/runs/{id}/{action}", post(api::control_run))
        .route("/events", post(api::publish_event))
        .route("/audit", get(auth::admin::audit))
        .route(
            "/users",
            get(auth::admin::list_users).post(auth::admin::put),
        )
        .route(
            "/users/{name}/tokens",
            post(auth::admin::new_token).delete(auth::admin::revoke_tokens),
        );
    let api = match &services.desk {
        Some(d) => api.merge(desk::routes(engine.clone(), Arc::clone(d))),
        None => api,
    };
    let api = api
        .fallback(api::not_found)
        .route_layer(middleware::from_fn_with_state(
            engine.clone(),
            auth::require_token,
        ));
    // The web console: pages behind the session cookie, forms behind the CSRF check.
    let console = console::routes(console::ConsoleState {
        backend: engine.clone(),
        desk: services.desk.clone(),
        artifacts: services.artifacts.clone(),
    });
    let app = Router::new()
        .nest("/api/v1", api)
        // Flows up to the loader's 4 MiB limit, plus room for JSON around event bodies.
        .layer(axum::extract::DefaultBodyLimit::max(
            4 * 1024 * 1024 + 64 * 1024,
        ))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .fallback(api::not_found)
        .with_state(engine)
        .merge(hooks)
        .merge(console);
    match services.vouchers {
        // Outside the token check: the signed link is the credential.
        Some(v) => app.merge(
            Router::new()
                .route("/v/{token}", get(vouchers::show))
                .route("/v/{token}/voucher.pdf", get(vouchers::pdf))
                .with_state(v),
        ),
        None => app,
    }
}

/// Serves `engine` on `listener` until SIGTERM or Ctrl-C, then stops taking requests, lets
/// calls in flight finish for up to `grace` and parks the rest for the next start.
pub async fn serve(
    engine: impl Into<Backend>,
    intake: Intake,
    services: Services,
    listener: TcpListener,
    grace: Duration,
) -> std::io::Result<()> {
    serve_until(engine, intake, services, listener, grace, shutdown_signal()).await
}

/// Like [`serve`], stopping when `shutdown` completes instead of on a signal (the demo and
/// tests stop it themselves). Starts the platforms' push channels and the desk's event relay,
/// and stops them with the server.
pub async fn serve_until(
    engine: impl Into<Backend>,
    intake: Intake,
    services: Services,
    listener: TcpListener,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let engine: Backend = engine.into();
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "serving");
    let channels = hooks::start_channels(&engine, &intake);
    let relay = services
        .desk
        .as_ref()
        .map(|d| desk::spawn_relay(engine.clone(), Arc::clone(d)));
    let app = router_full(engine.clone(), intake, services);
    let shutdown_engine = engine.clone();
    // Connect info gives the audit log each login's client address.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutdown requested: no new work; finishing calls in flight");
            for channel in &channels {
                channel.abort();
            }
            if let Some(relay) = &relay {
                relay.abort();
            }
            shutdown_engine.shutdown(grace).await;
        })
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
