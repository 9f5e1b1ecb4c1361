//! The sandbox: its shared state, the router that serves every platform and the control API,
//! and serving until the process is told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use shopflow_connectors::{Config, Platform, Shop};
use tokio::sync::broadcast;

use crate::error::Error;
use crate::gate::{Faults, Limiter};
use crate::options::SandboxOptions;
use crate::seed::SeedSummary;
use crate::store::{CallRow, PushRow, Store, table};

/// How often a connected push client gets its unconfirmed messages again, unless
/// `SHOPFLOW_SANDBOX_RESEND_MS` or [`Sandbox::set_resend_interval`] says otherwise.
const DEFAULT_RESEND: Duration = Duration::from_secs(30);

/// Everything the handlers share.
pub(crate) struct Inner {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    pub hooks: Option<String>,
    pub limiter: Limiter,
    pub faults: Faults,
    /// The simulated Aliyun account (from `[notify]`).
    pub aliyun: crate::aliyun::Accounts,
    /// Row ids of new push messages, for the connected WebSocket clients.
    pub pushed: broadcast::Sender<i64>,
    pub resend_ms: AtomicU64,
    pub http: reqwest::Client,
}

impl Inner {
    /// The sandbox's clock, unix ms.
    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// How often unconfirmed push messages are sent again on an open connection.
    pub(crate) fn resend_interval(&self) -> Duration {
        Duration::from_millis(self.resend_ms.load(Ordering::Relaxed).max(10))
    }

    /// The shops on `platform` configured with `app_key`.
    pub(crate) fn shops_with_app(&self, platform: Platform, app_key: &str) -> Vec<Shop> {
        self.config
            .on(platform)
            .filter(|s| !app_key.is_empty() && s.app_key == app_key)
            .cloned()
            .collect()
    }

    /// The one shop on `platform` with this app key (Shopify: domain), if exactly one.
    pub(crate) fn only_shop_of_app(&self, platform: Platform, key: &str) -> Option<String> {
        let mut shops = self
            .config
            .on(platform)
            .filter(|s| !key.is_empty() && (s.app_key == key || s.domain.as_deref() == Some(key)));
        match (shops.next(), shops.next()) {
            (Some(shop), None) => Some(shop.name.clone()),
            _ => None,
        }
    }

    /// The shop called `name`.
    pub(crate) fn shop(&self, name: &str) -> Option<&Shop> {
        self.config.shop(name)
    }

    /// Records a received call (failures are logged: the call's answer matters more).
    pub(crate) fn record_call(
        &self,
        platform: Platform,
        app_key: &str,
        shop: Option<&str>,
        method: &str,
        outcome: &str,
        replayed: bool,
    ) {
        let row = CallRow {
            seq: 0,
            shop: shop.map(str::to_owned),
            app_key: app_key.to_owned(),
            platform: platform.as_str().to_owned(),
            method: method.to_owned(),
            outcome: outcome.to_owned(),
            replayed,
            at_ms: self.now(),
        };
        let conn = self.store.lock();
        if let Err(e) = table::insert_call(&conn, &row) {
            tracing::warn!(error = %e, "could not record a call");
        }
    }

    /// Tells connected push clients about new messages and starts webhook deliveries.
    pub(crate) fn announce(self: &Arc<Self>, pushes: Vec<PushRow>) {
        for push in pushes {
            // No receiver is fine: the message waits in SQLite for the next connection.
            let _ = self.pushed.send(push.id);
            if matches!(push.platform.as_str(), "shopify" | "douyin") {
                crate::push::webhook::spawn_delivery(self, push.id);
            }
        }
    }
}

/// A running simulator of the five platforms. Cheap to clone (shared state inside).
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("shops", &self.inner.config.shops.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Opens (or creates) the SQLite file and prepares every configured shop's tokens.
    pub fn open(options: SandboxOptions) -> Result<Sandbox, Error> {
        let aliyun = crate::aliyun::Accounts::from_config(&options.config)?;
        let store = Store::open(&options.db)?;
        {
            let conn = store.lock();
            for shop in options.config.shops.values() {
                table::ensure_tokens(
                    &conn,
                    &shop.name,
                    shop.access_token.expose(),
                    shop.refresh_token.as_ref().map(|t| t.expose()),
                )?;
            }
        }
        let resend_ms = std::env::var("SHOPFLOW_SANDBOX_RESEND_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(u64::try_from(DEFAULT_RESEND.as_millis()).unwrap_or(30_000));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Invalid(format!("cannot build the webhook client: {e}")))?;
        let (pushed, _) = broadcast::channel(1024);
        Ok(Sandbox {
            inner: Arc::new(Inner {
                config: options.config,
                store,
                clock: options.clock,
                hooks: options.hooks.map(|h| h.trim_end_matches('/').to_owned()),
                limiter: Limiter::default(),
                faults: Faults::default(),
                aliyun,
                pushed,
                resend_ms: AtomicU64::new(resend_ms),
                http,
            }),
        })
    }

    /// Changes how often connected TMC / PDD clients get their unconfirmed messages again
    /// (default 30 s, or `SHOPFLOW_SANDBOX_RESEND_MS`).
    pub fn set_resend_interval(&self, interval: Duration) {
        let ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        self.inner.resend_ms.store(ms, Ordering::Relaxed);
    }

    /// Every gateway, push channel, the Aliyun SMS and voice APIs and the control API
    /// (`/_sandbox/…`).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/taobao/router/rest", post(crate::taobao::handle))
            .route("/taobao/tmc", get(crate::push::tmc::connect))
            .route("/jd/routerjson", post(crate::jd::handle))
            .route("/pdd/api/router", post(crate::pdd::handle))
            .route(
                "/pdd/message/{client_id}/{ts_ms}/{sign}",
                get(crate::push::pdd_ws::connect),
            )
            .route("/douyin/{*method_path}", post(crate::douyin::handle))
            .route(
                "/shopify/{domain}/admin/api/{version}/{*rest}",
                get(crate::shopify::handle_get).post(crate::shopify::handle_post),
            )
            .route(
                "/aliyun/sms",
                get(crate::aliyun::sms).post(crate::aliyun::sms),
            )
            .route(
                "/aliyun/voice",
                get(crate::aliyun::voice).post(crate::aliyun::voice),
            )
            .merge(crate::control::routes())
            .with_state(self.inner.clone())
    }

    /// Serves on `listener` until Ctrl-C or SIGTERM, first resuming webhook deliveries left
    /// pending by an earlier run.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let pending = {
            let conn = self.inner.store.lock();
            table::pending_webhooks(&conn).unwrap_or_default()
        };
        for id in pending {
            crate::push::webhook::spawn_delivery(&self.inner, id);
        }
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }

    /// Fills every configured shop with `orders_per_shop` orders (and refunds, return
    /// addresses, invoice applications), the same for the same `seed` and clock.
    pub fn seed(&self, orders_per_shop: usize, seed: u64) -> Result<SeedSummary, Error> {
        crate::seed::run(&self.inner, orders_per_shop, seed)
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
