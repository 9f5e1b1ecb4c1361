//! What a Temporal run starts with: the flow (its YAML source and version), the flows its
//! `run.workflow` tasks may start, the input, and what a continued-as-new run carries over.
//!
//! Everything the interpreter needs reaches the workflow through this input, so a replay on
//! any worker sees the same definition: the source travels with the run, and a worker that is
//! given only a reference looks it up in its own catalog (unknown → a non-retryable error).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopflow_core::CloudEvent;

/// A flow a run uses: who it is and, normally, its YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSource {
    /// `document.namespace`.
    pub namespace: String,
    /// `document.name`.
    pub name: String,
    /// `document.version`.
    pub version: String,
    /// The YAML; `None` asks the worker for the version it has deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl FlowSource {
    /// `namespace/name:version`, as runs and errors name flows.
    pub fn reference(&self) -> String {
        format!("{}/{}:{}", self.namespace, self.name, self.version)
    }
}

/// The input of the `shopflow` workflow type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInput {
    /// The shopflow run id: the Temporal workflow id and the seed of idempotency keys (it
    /// stays the same across continue-as-new).
    pub run_id: String,
    /// The flow to run.
    pub flow: FlowSource,
    /// Flows its `run.workflow` tasks may start (passed on to children).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowSource>,
    /// The workflow input.
    pub input: Value,
    /// State a run that continued as new hands to its next execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<Carried>,
    /// Most task executions in this run (a `then` loop that never ends stops there); `None`:
    /// the interpreter's default, as on the embedded engine. It travels with the run, so every
    /// worker — and every replay — stops the run at the same task; a continued-as-new run
    /// keeps it, a child run has its own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_task_executions: Option<u64>,
}

/// What one execution of a run passes to the next when it continues as new.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Carried {
    /// Every step result so far, by StepId (the interpreter replays them without commands).
    pub journal: BTreeMap<String, Value>,
    /// Events delivered to the run and not consumed yet.
    pub inbox: Vec<CloudEvent>,
    /// How many executions came before this one.
    pub generation: u32,
}
