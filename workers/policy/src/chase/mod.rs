//! `chase.plan`: when to remind the buyer of an unpaid order, and through which channel.
//!
//! The ladder follows practice on the big platforms (DOMAIN.md, 催付): a first reminder
//! shortly after the order, later ones relative to the order's own auto-close deadline. Quiet
//! hours and the one-reminder-per-buyer-per-day limit are enforced where the message is sent
//! (`notify.send`), which tells the flow when it may try again; the plan only lays out the steps.

pub mod function;
pub mod plan;
pub mod settings;

pub use plan::{ChasePlan, ChaseStep, UnpaidOrder, plan};
pub use settings::{ChaseSettings, ShopChase};
