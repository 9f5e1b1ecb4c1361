//! Replays recorded histories against this build's workflow code: a history that no longer
//! replays means a change broke runs in flight (it needs a patch; see `patches.rs` and docs/operations.md).

use std::sync::Arc;

use shopflow_core::FunctionRegistry;
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

use crate::error::Error;
use crate::worker::WorkerConfig;
use crate::workflow::ShopflowWorkflow;

/// Replays one history (Temporal's JSON, as [`crate::Cluster::history_json`] returns it) with
/// the functions of `registry` known to the validator; an error names what diverged.
pub async fn check(history_json: &[u8], registry: FunctionRegistry) -> Result<(), Error> {
    let config = WorkerConfig::new("replay", registry);
    check_with(history_json, &config).await
}

/// [`check`] with a worker's configuration (its deployed flows and secrets).
pub async fn check_with(history_json: &[u8], config: &WorkerConfig) -> Result<(), Error> {
    let nondeterminism = |workflow_id: &str, reason: String| Error::Nondeterminism {
        workflow_id: workflow_id.to_owned(),
        reason,
    };
    let history = WorkflowHistory::from_json(history_json)
        .map_err(|e| nondeterminism("?", format!("not a history: {e}")))?;
    let workflow_id = history.workflow_id().unwrap_or("?").to_owned();
    let setup = config.setup();
    let options = WorkflowReplayerOptions::new()
        .register_workflow_with_factory::<ShopflowWorkflow, _>(move || {
            ShopflowWorkflow::new(Arc::clone(&setup))
        })
        .map_err(|e| nondeterminism(&workflow_id, e.to_string()))?
        .build();
    let replayer =
        WorkflowReplayer::new(options).map_err(|e| nondeterminism(&workflow_id, e.to_string()))?;
    replayer
        .replay_workflow(history)
        .await
        .map_err(|e| nondeterminism(&workflow_id, e.to_string()))
}
