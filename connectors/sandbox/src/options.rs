//! How a sandbox is set up: the shops it simulates, where it keeps its state, where it sends
//! webhooks and which clock it reads.

use std::path::PathBuf;
use std::sync::Arc;

use shopflow_connectors::Config;

/// The settings [`crate::Sandbox::open`] takes.
///
/// The push channels resend unconfirmed messages every 30 s while a client is connected; set
/// `SHOPFLOW_SANDBOX_RESEND_MS` in the environment or call
/// [`crate::Sandbox::set_resend_interval`] to change that (tests use a few hundred ms).
#[derive(Clone)]
pub struct SandboxOptions {
    /// The same `shopflow.toml` the engine reads, so keys, secrets, tokens and shop ids agree.
    pub config: Config,
    /// The SQLite file holding orders, refunds, calls, effects and pushes (created if absent).
    pub db: PathBuf,
    /// Where webhooks go: `{hooks}/shopify` and `{hooks}/douyin` (e.g.
    /// `http://127.0.0.1:8080/hooks`); without it webhook pushes stay pending.
    pub hooks: Option<String>,
    /// The current time in unix milliseconds (timestamps, token buckets, order dates).
    pub clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl SandboxOptions {
    /// Options with no webhook target and the system clock.
    pub fn new(config: Config, db: impl Into<PathBuf>) -> Self {
        Self {
            config,
            db: db.into(),
            hooks: None,
            clock: Arc::new(system_ms),
        }
    }
}

impl std::fmt::Debug for SandboxOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("shops", &self.config.shops.keys().collect::<Vec<_>>())
            .field("db", &self.db)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

/// The system clock in unix milliseconds.
pub(crate) fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
