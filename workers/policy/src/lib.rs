//! shopflow's shop policies as pure functions flows call: `returns.check` decides whether a
//! refund or return request can be agreed without a person (China's 7-day no-reason return
//! rules and the shop's own limits), `chase.plan` lays out the payment-reminder ladder of an
//! unpaid order. Both read their settings from `shopflow.toml` (`[returns]`, `[chase]`), with
//! per-shop overrides, and neither has effects: they only turn their arguments into decisions.

pub mod args;
pub mod chase;
pub mod local_time;
pub mod returns;

use std::sync::Arc;

use shopflow_connectors::Config;
use shopflow_connectors::config::Error as ConfigError;
use shopflow_core::FunctionRegistry;

pub use chase::{ChasePlan, ChaseSettings};
pub use returns::{ReturnDecision, ReturnsSettings};

/// The policies of one shopflow, read from its configuration.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// `[returns]`.
    pub returns: ReturnsSettings,
    /// `[chase]`.
    pub chase: ChaseSettings,
}

impl Policies {
    /// Reads `[returns]` and `[chase]` (defaults where absent); the error names the file, the
    /// section and the key.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            returns: ReturnsSettings::from_config(config)?,
            chase: ChaseSettings::from_config(config)?,
        })
    }
}

/// Registers `returns.check` and `chase.plan` over `policies`.
pub fn register(registry: &mut FunctionRegistry, policies: Policies) {
    let policies = Arc::new(policies);
    registry.register(
        "returns.check",
        Arc::new(returns::function::ReturnsCheck::new(policies.clone())),
    );
    registry.register(
        "chase.plan",
        Arc::new(chase::function::ChasePlanFunction::new(policies)),
    );
}
