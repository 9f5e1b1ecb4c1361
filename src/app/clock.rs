//! One clock for every part: the engine's [`Clock`] handed to the connectors, the workers and
//! the webhook intake as a plain "now in milliseconds" function, so an accelerated demo clock
//! or a test's hand-moved clock is the time everywhere (request signatures, quiet hours,
//! SLAs, timers).

use std::sync::Arc;

use shopflow_embedded::Clock;

/// `clock` as the connectors' and workers' clock type.
pub fn ms_clock(clock: &Arc<dyn Clock>) -> shopflow_connectors::client::Clock {
    let clock = clock.clone();
    Arc::new(move || clock.now_ms())
}
