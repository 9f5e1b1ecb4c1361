//! The tests' Temporal: one dev server per test binary (see `shopflow_temporal::dev_server`).

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the support module"
)]

use std::path::Path;
use std::sync::OnceLock;

use shopflow_temporal::Cluster;

/// The address of this test binary's dev server, started on first use.
pub fn address() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        shopflow_temporal::dev_server::start(&workspace)
            .unwrap_or_else(|e| panic!("no Temporal for the tests: {e}"))
    })
}

/// A client of the dev server's `default` namespace.
pub async fn cluster() -> Cluster {
    Cluster::connect(address(), "default")
        .await
        .expect("the dev server accepts connections")
}

/// A name no other test uses (task queues, run ids).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
