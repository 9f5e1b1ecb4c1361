//! shopflow's shop-platform connectors: request signing exactly as each gateway checks it,
//! shops and their credentials from `shopflow.toml`, typed clients for what the flows need,
//! platform errors as RFC 7807 problems, per-shop rate limits, access-token refresh, push
//! verification and translation into CloudEvents, and the `platform.*` functions.

pub mod config;
pub mod platform;
pub mod sign;

pub use config::{Config, Secret, Shop, VoucherSettings};
pub use platform::Platform;
pub mod client;
pub mod error;
pub mod model;
pub mod money;
pub mod tax_id;

pub use client::{Connectors, Invoice, Operation, PayerKind, ShopClient};
pub use error::Error;
pub mod functions;
pub mod push;
