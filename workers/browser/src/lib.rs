//! shopflow's `browser` function: a block of steps (`goto`, `click`, `fill`, `select`,
//! `upload`, `wait_for`, `extract_text`, `extract_table`, `within_frame`, tabs, alerts,
//! screenshots, downloads) run in headless Chromium through chromedriver, for seller back
//! offices that have no API.
//!
//! One block is one durable step: it runs in one browser from start to end, and a retry runs
//! the whole block again (so a block checks "already done" first, with `stop_if`). The
//! [`Browser`] pool starts chromedriver on first use, starts it again when it died, caps how
//! many Chromiums run at once, keeps named sessions' profiles (cookies) under the data
//! directory and removes everything temporary. Secrets typed with `fill: …, secret: NAME` are
//! resolved inside the worker and hidden in the output, errors, logs and saved HTML. A failed
//! block leaves a screenshot and the page's HTML as run artifacts, named in its error.
//!
//! User documentation: `docs/functions/browser.md`.

mod config;
mod cookies;
mod download;
mod driver;
mod error;
mod extract;
mod failure;
mod find;
mod function;
mod navigate;
mod parse;
mod pool;
mod redact;
mod runner;
mod session;
mod step;
mod table;
mod target;

use std::sync::Arc;

use shopflow_core::{ArtifactStore, FunctionRegistry};

pub use crate::config::{
    BrowserConfig, CHROMIUM_FLAGS, ENV_CHROMEDRIVER, ENV_CHROMIUM, ENV_MAX_SESSIONS,
};
pub use crate::error::Error;
pub use crate::function::{BrowserFunction, SecretResolver};
pub use crate::parse::{InvalidBlock, STEP_KINDS};
pub use crate::pool::Browser;

/// Registers `browser` over the pool `browser`, storing screenshots, page HTML and downloads
/// in `artifacts` and reading the values of `fill: …, secret: NAME` from `secrets`.
pub fn register(
    registry: &mut FunctionRegistry,
    browser: Arc<Browser>,
    artifacts: ArtifactStore,
    secrets: SecretResolver,
) {
    registry.register(
        "browser",
        Arc::new(BrowserFunction::new(browser, artifacts, secrets)),
    );
}
