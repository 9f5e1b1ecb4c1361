//! What the server's API tests share: an engine on a fresh file with every built-in
//! function, no schedule ticker, and the admin token seeded.

use std::path::Path;

use shopflow_core::FunctionRegistry;
use shopflow_embedded::{Engine, EngineOptions};
use shopflow_server::auth::seed_admin;

/// The seeded admin token.
pub const ADMIN: &str = "admin-token";

/// The engine on `dir/api.db`.
pub async fn engine(dir: &Path) -> Engine {
    let registry = FunctionRegistry::with_builtins();
    let names = registry.names().into_iter().map(str::to_owned).collect();
    let options = EngineOptions {
        schedules: false,
        ..EngineOptions::default()
    };
    let engine =
        Engine::open(dir.join("api.db"), options, registry, names).expect("open the engine");
    seed_admin(&engine, ADMIN, 0).await.expect("seed admin");
    engine
}
