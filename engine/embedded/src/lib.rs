//! shopflow's embedded backend: runs flows inside this process.
//!
//! [`MemoryContext`] keeps a run's journal, timers and events in memory: it is what
//! `shopflow run` uses for dry runs and what the conformance kit runs on.

pub mod durable;
pub mod engine;
pub mod journal;
mod memory;

pub use durable::{AcceleratedClock, Clock, ManualClock, SqliteContext, Store, SystemClock};
pub use engine::{Engine, EngineError, EngineOptions, FlowInfo, Published, RunView};
pub use memory::{FlowCatalog, MemoryContext};
