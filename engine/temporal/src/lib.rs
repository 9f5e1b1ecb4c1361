//! shopflow on Temporal: the core interpreter as one Temporal workflow type, functions as
//! activities.
//!
//! One registered workflow type (`shopflow`, [`ShopflowWorkflow`]) runs the same interpreter
//! as the embedded engine. The interpreter talks to a [`Durable`](shopflow_core::Durable)
//! context that is `Send` (`context::TemporalContext`); the Temporal workflow context is
//! not (it is built on `Rc`), so a driver inside the workflow (`driver`) turns the
//! interpreter's requests into Temporal commands — an activity per `call` named after the
//! function, a timer per `sleep`, a child workflow per `run.workflow` — and hands the
//! results back. Events reach a run as one envelope signal ([`EVENT_SIGNAL`]).
//!
//! [`Worker`] runs the workflow type and every function of a [`FunctionRegistry`] as
//! activities; [`Cluster`] starts runs, sends events and reads results and histories;
//! [`replay`] checks recorded histories against this build.
//!
//! [`FunctionRegistry`]: shopflow_core::FunctionRegistry

mod activity;
mod catalog;
mod client;
mod context;
pub mod dev_server;
mod driver;
mod error;
mod failure;
mod inbox;
mod input;
mod journal;
mod patches;
pub mod replay;
mod router;
mod secrets;
pub mod visibility;
mod worker;
mod workflow;

pub use activity::{EventRouter, SecretLookup};
pub use catalog::FlowCatalog;
pub use client::{Cluster, RunEnding};
pub use error::Error;
pub use inbox::EventEnvelope;
pub use input::{FlowSource, RunInput};
pub use router::Broadcast;
pub use visibility::{RunActivity, RunQuery, RunState, RunSummary};
pub use worker::{ActivityPolicy, Worker, WorkerConfig};
pub use workflow::{EVENT_SIGNAL, STATUS_QUERY, ShopflowWorkflow, TASKS_QUERY, WORKFLOW_TYPE};
