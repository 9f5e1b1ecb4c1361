//! shopflow's core: the one interpreter that runs a validated DSL 1.0.3 flow against a small
//! [`Durable`] context, the function registry workers plug into, and the workflow error type.
//!
//! The interpreter is deterministic: time, randomness, effects and events all come from the
//! context, keyed by [`StepId`], so the embedded SQLite engine and Temporal can both journal and
//! replay it.

pub mod artifacts;
pub mod durable;
pub mod error;
pub mod function;
mod interpreter;
pub mod status;
pub mod step;

pub use artifacts::{Artifact, ArtifactError, ArtifactStore};
pub use durable::{
    CallRequest, CloudEvent, Durable, EventMatcher, FlowRef, TaskEvent, TaskStatus,
    complete_emitted, read_step_outcome, step_outcome,
};
pub use error::{ErrorKind, WorkflowError};
pub use function::{CallContext, Function, FunctionRegistry};
pub use interpreter::{Limits, RunOptions, attribute_matches, event_matches, run_workflow};
pub use status::RunStatus;
pub use step::{StepId, idempotency_key};
