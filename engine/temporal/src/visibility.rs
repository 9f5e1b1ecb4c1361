//! What the cluster says about runs without asking them: one run's description, runs listed
//! through Temporal's visibility store, and the input a run was started with — the REST API's
//! view of runs when `shopflow serve` runs on Temporal.
//!
//! A run started by `serve` carries its flow and version in its memo ([`FLOW_MEMO`],
//! [`VERSION_MEMO`]); runs started otherwise (`shopflow run --backend temporal`, child runs)
//! have none and list without a flow.

use std::time::{Duration, SystemTime};

use futures::StreamExt;
use serde_json::Value;
use temporalio_client::{
    Memo, WorkflowDescribeOptions, WorkflowExecutionStatus, WorkflowFetchHistoryOptions,
    WorkflowListOptions, WorkflowQueryOptions,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::client::Cluster;
use crate::error::Error;
use crate::input::RunInput;
use crate::workflow::{ShopflowWorkflow, WORKFLOW_TYPE};

/// Memo key of the flow (`namespace/name`) a run runs.
pub const FLOW_MEMO: &str = "shopflow.flow";
/// Memo key of the flow version a run runs.
pub const VERSION_MEMO: &str = "shopflow.version";

/// How long the status query may take before a run counts as busy (no worker answered).
const STATUS_PATIENCE: Duration = Duration::from_secs(3);

/// Where a run is in its life, as Temporal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Open: running, or waiting for a timer or an event.
    Open,
    /// Completed with an output.
    Completed,
    /// Faulted (failed, terminated or timed out on Temporal).
    Faulted,
    /// Cancelled.
    Cancelled,
}

impl RunState {
    /// The state of a Temporal execution status (`None` for a continued-as-new execution,
    /// which the run's next execution stands for).
    fn of(status: WorkflowExecutionStatus) -> Option<RunState> {
        match status {
            WorkflowExecutionStatus::ContinuedAsNew => None,
            WorkflowExecutionStatus::Completed => Some(RunState::Completed),
            WorkflowExecutionStatus::Failed
            | WorkflowExecutionStatus::Terminated
            | WorkflowExecutionStatus::TimedOut => Some(RunState::Faulted),
            WorkflowExecutionStatus::Canceled => Some(RunState::Cancelled),
            _ => Some(RunState::Open),
        }
    }

    /// The visibility query clause for runs in this state.
    fn clause(self) -> &'static str {
        match self {
            RunState::Open => "ExecutionStatus = 'Running'",
            RunState::Completed => "ExecutionStatus = 'Completed'",
            RunState::Faulted => "ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')",
            RunState::Cancelled => "ExecutionStatus = 'Canceled'",
        }
    }
}

/// One run as the cluster describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run id (the workflow id).
    pub id: String,
    /// `namespace/name` from the memo, when the run has one.
    pub flow: Option<String>,
    /// The flow version from the memo, when the run has one.
    pub version: Option<String>,
    /// Where the run is.
    pub state: RunState,
    /// When it started (milliseconds since the Unix epoch).
    pub started_ms: i64,
    /// When it ended, if it did.
    pub closed_ms: Option<i64>,
    /// The parent run of a child run.
    pub parent: Option<String>,
    /// Its task queue.
    pub task_queue: String,
}

/// What a listing asks for.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    /// Only runs on this task queue.
    pub task_queue: Option<String>,
    /// Only runs in this state.
    pub state: Option<RunState>,
    /// At most this many runs (newest first).
    pub limit: Option<usize>,
}

/// What an open run is doing, from the `shopflow.status` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunActivity {
    /// `listen`s waiting for an event.
    pub listening: usize,
    /// Timers running (`wait`, timeouts, retry delays).
    pub sleeping: usize,
}

impl RunActivity {
    /// Whether the run waits for a timer or an event.
    pub fn waiting(&self) -> bool {
        self.listening + self.sleeping > 0
    }
}

fn millis(t: Option<SystemTime>) -> Option<i64> {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn memo_text(memo: &Memo, key: &str) -> Option<String> {
    memo.get::<String>(key).ok().flatten()
}

/// A visibility query's quoted value (`'…'`, quotes removed from the value).
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace(['\'', '"'], ""))
}

impl Cluster {
    /// Run `run_id` as the cluster describes it; `None` when there is no such run.
    pub async fn describe(&self, run_id: &str) -> Result<Option<RunSummary>, Error> {
        let handle = self
            .client()
            .get_workflow_handle::<ShopflowWorkflow>(run_id);
        let d = match handle.describe(WorkflowDescribeOptions::default()).await {
            Ok(d) => d,
            Err(temporalio_client::errors::WorkflowInteractionError::NotFound(_)) => {
                return Ok(None);
            }
            Err(e) => {
                return Err(Error::Run {
                    run_id: run_id.to_owned(),
                    reason: format!("the run could not be described: {e}"),
                });
            }
        };
        if d.workflow_type() != WORKFLOW_TYPE {
            return Ok(None);
        }
        let memo = d.memo();
        Ok(Some(RunSummary {
            id: d.id().to_owned(),
            flow: memo_text(&memo, FLOW_MEMO),
            version: memo_text(&memo, VERSION_MEMO),
            // The latest execution: a continued-as-new one is never the latest.
            state: RunState::of(d.status()).unwrap_or(RunState::Open),
            started_ms: millis(d.start_time()).unwrap_or(0),
            closed_ms: millis(d.close_time()),
            parent: d.parent_id().map(str::to_owned),
            task_queue: d.task_queue().to_owned(),
        }))
    }

    /// Runs matching `query`, newest first, from Temporal's visibility store (which may trail
    /// the runs by a moment).
    pub async fn list(&self, query: &RunQuery) -> Result<Vec<RunSummary>, Error> {
        let mut clauses = vec![format!("WorkflowType = {}", quoted(WORKFLOW_TYPE))];
        if let Some(queue) = &query.task_queue {
            clauses.push(format!("TaskQueue = {}", quoted(queue)));
        }
        match query.state {
            Some(state) => clauses.push(state.clause().to_owned()),
            None => clauses.push("ExecutionStatus != 'ContinuedAsNew'".to_owned()),
        }
        let text = clauses.join(" AND ");
        let options = WorkflowListOptions::builder()
            .maybe_limit(query.limit)
            .build();
        let mut stream = self.client().list_workflows(text, options);
        let mut runs: Vec<RunSummary> = Vec::new();
        while let Some(run) = stream.next().await {
            let run = run.map_err(|e| Error::Run {
                run_id: "*".into(),
                reason: format!("the runs could not be listed: {e}"),
            })?;
            let Some(state) = RunState::of(run.status()) else {
                continue;
            };
            let memo = run.memo();
            runs.push(RunSummary {
                id: run.id().to_owned(),
                flow: memo_text(&memo, FLOW_MEMO),
                version: memo_text(&memo, VERSION_MEMO),
                state,
                started_ms: millis(run.start_time()).unwrap_or(0),
                closed_ms: millis(run.close_time()),
                parent: run.parent_id().map(str::to_owned),
                task_queue: run.task_queue().to_owned(),
            });
        }
        runs.sort_by(|a, b| (b.started_ms, &b.id).cmp(&(a.started_ms, &a.id)));
        runs.dedup_by(|a, b| a.id == b.id);
        Ok(runs)
    }

    /// What open run `run_id` is doing (the `shopflow.status` query; a worker answers it).
    /// A run no worker answers for within a few seconds counts as busy.
    pub async fn activity(&self, run_id: &str) -> RunActivity {
        let options = WorkflowQueryOptions::builder()
            .rpc_options(
                temporalio_client::RpcOptions::builder()
                    .timeout(STATUS_PATIENCE)
                    .build(),
            )
            .build();
        let handle = self
            .client()
            .get_workflow_handle::<ShopflowWorkflow>(run_id);
        let query = handle.query(ShopflowWorkflow::status, (), options);
        let status = match tokio::time::timeout(STATUS_PATIENCE, query).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => {
                tracing::debug!(run = %run_id, error = %e, "status query failed");
                return RunActivity::default();
            }
            Err(_) => return RunActivity::default(),
        };
        let count = |name: &str| {
            status[name]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0)
        };
        RunActivity {
            listening: count("listening"),
            sleeping: count("sleeping"),
        }
    }

    /// The input run `run_id` was started with (from the first event of its history).
    pub async fn input(&self, run_id: &str) -> Result<Option<Value>, Error> {
        let mut history = self
            .client()
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .fetch_history(WorkflowFetchHistoryOptions::default());
        let first = match history.next().await {
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                return Err(Error::Run {
                    run_id: run_id.to_owned(),
                    reason: format!("the history could not be read: {e}"),
                });
            }
            None => return Ok(None),
        };
        let Some(Attributes::WorkflowExecutionStartedEventAttributes(started)) = first.attributes
        else {
            return Ok(None);
        };
        let input = started
            .input
            .and_then(|p| p.payloads.into_iter().next())
            .and_then(|p| serde_json::from_slice::<RunInput>(&p.data).ok())
            .map(|i| i.input);
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporal_statuses_map_to_run_states() {
        assert_eq!(
            RunState::of(WorkflowExecutionStatus::Running),
            Some(RunState::Open)
        );
        for faulted in [
            WorkflowExecutionStatus::Failed,
            WorkflowExecutionStatus::Terminated,
            WorkflowExecutionStatus::TimedOut,
        ] {
            assert_eq!(RunState::of(faulted), Some(RunState::Faulted));
        }
        assert_eq!(
            RunState::of(WorkflowExecutionStatus::Canceled),
            Some(RunState::Cancelled)
        );
        // The next execution of a continued run stands for it.
        assert_eq!(RunState::of(WorkflowExecutionStatus::ContinuedAsNew), None);
    }

    #[test]
    fn query_values_cannot_close_their_quotes() {
        assert_eq!(quoted("shopflow"), "'shopflow'");
        assert_eq!(quoted("a' OR '1'='1"), "'a OR 1=1'");
    }
}
