//! One test's world: the back office, a data directory, an artifact store, a browser pool and
//! a registry with `browser` in it; at the end, proof that nothing was left behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shopflow_browser::{Browser, BrowserConfig, SecretResolver};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry, WorkflowError};
use tempfile::TempDir;

use crate::backoffice::{BackOffice, PASSWORD};

pub struct Env {
    pub office: BackOffice,
    pub store: ArtifactStore,
    pub browser: Arc<Browser>,
    registry: FunctionRegistry,
    data: TempDir,
}

impl Env {
    pub async fn start() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(change: impl FnOnce(&mut BrowserConfig)) -> Self {
        let office = BackOffice::start().await;
        let data = tempfile::tempdir().expect("data dir");
        let store = ArtifactStore::open(data.path().join("artifacts")).expect("store");
        let mut config = BrowserConfig::from_env(data.path().join("browser"));
        // Generous step limits: the machine running the tests may be busy. Tests that wait
        // for something that never comes set short limits themselves.
        config.step_timeout = Duration::from_secs(15);
        config.block_timeout = Duration::from_secs(60);
        change(&mut config);
        let browser = Arc::new(Browser::new(config));
        let secrets: SecretResolver =
            Arc::new(|name: &str| (name == "SHOP_PASSWORD").then(|| PASSWORD.to_owned()));
        let mut registry = FunctionRegistry::default();
        shopflow_browser::register(&mut registry, Arc::clone(&browser), store.clone(), secrets);
        Self {
            office,
            store,
            browser,
            registry,
            data,
        }
    }

    /// Runs a block as a flow's `call: browser` would.
    pub async fn call(&self, args: Value) -> Result<Value, WorkflowError> {
        let ctx = CallContext {
            run_id: "run-1".to_owned(),
            idempotency_key: "key-1".to_owned(),
            instance: "/do/0/backOffice".to_owned(),
        };
        self.registry.call("browser", ctx, args).await
    }

    /// The content of an artifact the block stored.
    pub fn artifact(&self, reference: &Value) -> Vec<u8> {
        let reference = reference
            .as_str()
            .or_else(|| reference["artifact"].as_str())
            .expect("an artifact reference");
        self.store
            .get(reference)
            .expect("store readable")
            .expect("artifact stored")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("browser")
    }

    /// Stops the pool and checks that no chromedriver or Chromium of this test still runs and
    /// that no temporary folder is left.
    pub async fn finish(self) {
        let pid = self.browser.driver_pid().await;
        self.browser.shutdown().await;
        let dir = self.data_dir();
        wait_until_gone(&dir, pid).await;
        let tmp = dir.join("tmp");
        if tmp.exists() {
            let left: Vec<_> = std::fs::read_dir(&tmp)
                .expect("tmp readable")
                .map(|e| e.expect("entry").file_name())
                .collect();
            assert!(left.is_empty(), "temporary folders left behind: {left:?}");
        }
    }
}

/// Waits (at most 10 s) until no process mentions `dir` on its command line (Chromium's
/// `--user-data-dir`) and `pid` (chromedriver) is gone.
pub async fn wait_until_gone(dir: &Path, pid: Option<u32>) {
    let needle = dir.display().to_string();
    let mut left = Vec::new();
    for _ in 0..100 {
        left = processes_mentioning(&needle);
        if let Some(pid) = pid.filter(|p| is_running(*p)) {
            left.push(format!("chromedriver {pid}"));
        }
        if left.is_empty() {
            return;
        }
        left = left
            .into_iter()
            .map(|p| p.chars().take(160).collect())
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("processes left behind: {left:?}");
}

/// The live processes whose command line mentions `needle`: `PID: command line`.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && !is_zombie(&name) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

pub fn is_running(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(&pid.to_string())
}

fn is_zombie(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
        })
        .unwrap_or(true)
}
