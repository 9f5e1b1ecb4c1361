//! The pool's settings: where chromedriver and Chromium are, how many browsers may run at once,
//! where named profiles live, and the default time limits of steps and blocks.

use std::path::PathBuf;
use std::time::Duration;

/// Environment variable naming the Chromium binary.
pub const ENV_CHROMIUM: &str = "SHOPFLOW_CHROMIUM";
/// Environment variable naming the chromedriver binary.
pub const ENV_CHROMEDRIVER: &str = "SHOPFLOW_CHROMEDRIVER";
/// Environment variable capping the number of browsers running at once.
pub const ENV_MAX_SESSIONS: &str = "SHOPFLOW_BROWSER_SESSIONS";

/// The flags every Chromium gets. Without the background-networking ones Chromium keeps
/// trying to reach Google services, which on a machine without Internet access means a stream
/// of failed connections and slow starts.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1920,1080",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

/// Settings of a [`Browser`](crate::Browser) pool.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// The Chromium binary (default `/usr/bin/chromium`, or `SHOPFLOW_CHROMIUM`).
    pub chromium: PathBuf,
    /// The chromedriver binary (default `/usr/bin/chromedriver`, or `SHOPFLOW_CHROMEDRIVER`).
    pub chromedriver: PathBuf,
    /// How many blocks may drive a browser at the same time; the others wait (default 2, or
    /// `SHOPFLOW_BROWSER_SESSIONS`). Each running block is one Chromium (~150 MB).
    pub max_sessions: usize,
    /// Where the profiles of named sessions are kept (`DIR/profiles/NAME`) and where the
    /// temporary profiles and download folders of a block are made (`DIR/tmp`).
    pub data_dir: PathBuf,
    /// A step's time limit when it does not set `timeout` (default 10 s).
    pub step_timeout: Duration,
    /// A block's time limit when it does not set `timeout`, waiting for a free browser
    /// included (default 120 s).
    pub block_timeout: Duration,
    /// How long chromedriver may take to start listening (default 10 s).
    pub startup_timeout: Duration,
    /// Flags passed to Chromium besides [`CHROMIUM_FLAGS`] and the profile directory.
    pub extra_flags: Vec<String>,
}

impl BrowserConfig {
    /// The defaults, with named profiles and temporary files under `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            chromium: PathBuf::from("/usr/bin/chromium"),
            chromedriver: PathBuf::from("/usr/bin/chromedriver"),
            max_sessions: 2,
            data_dir: data_dir.into(),
            step_timeout: Duration::from_secs(10),
            block_timeout: Duration::from_secs(120),
            startup_timeout: Duration::from_secs(10),
            extra_flags: Vec::new(),
        }
    }

    /// The defaults, overridden by `SHOPFLOW_CHROMIUM`, `SHOPFLOW_CHROMEDRIVER` and
    /// `SHOPFLOW_BROWSER_SESSIONS` when they are set (an unparsable session count is ignored
    /// with a warning).
    pub fn from_env(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::new(data_dir);
        if let Some(path) = std::env::var_os(ENV_CHROMIUM).filter(|p| !p.is_empty()) {
            config.chromium = PathBuf::from(path);
        }
        if let Some(path) = std::env::var_os(ENV_CHROMEDRIVER).filter(|p| !p.is_empty()) {
            config.chromedriver = PathBuf::from(path);
        }
        if let Ok(n) = std::env::var(ENV_MAX_SESSIONS) {
            match n.trim().parse::<usize>() {
                Ok(n) if n > 0 => config.max_sessions = n,
                _ => tracing::warn!(
                    value = %n,
                    "{ENV_MAX_SESSIONS} is not a positive whole number; using {}",
                    config.max_sessions
                ),
            }
        }
        config
    }

    /// Where named profiles are kept.
    pub(crate) fn profiles_dir(&self) -> PathBuf {
        self.data_dir.join("profiles")
    }

    /// Where temporary profiles, download and upload folders are made.
    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }
}
