//! [`Cluster`]: shopflow's client of a Temporal cluster — start runs, send them events, wait
//! for their end, read their task log and history.

use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use shopflow_core::{CloudEvent, WorkflowError};
use temporalio_client::errors::{ClientConnectError, WorkflowGetResultError, WorkflowStartError};
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowCancelOptions,
    WorkflowFetchHistoryOptions, WorkflowGetResultOptions, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};
use temporalio_common::MemoValues;

use crate::error::Error;
use crate::failure;
use crate::inbox::EventEnvelope;
use crate::input::RunInput;
use crate::visibility::{FLOW_MEMO, VERSION_MEMO};
use crate::workflow::ShopflowWorkflow;

/// How long connecting may take before the address counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a run on Temporal ended.
#[derive(Debug, Clone)]
pub enum RunEnding {
    /// It completed with this output.
    Completed(Value),
    /// It faulted with this error.
    Faulted(WorkflowError),
    /// It was cancelled.
    Cancelled,
    /// Temporal ended it another way (terminated, timed out): what it said.
    Ended(String),
}

/// A connection to one namespace of a Temporal cluster.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    address: String,
}

impl Cluster {
    /// Connects to the cluster at `address` (`HOST:PORT`), namespace `namespace`.
    pub async fn connect(address: &str, namespace: &str) -> Result<Self, Error> {
        let url = Url::from_str(&format!("http://{address}")).map_err(|e| Error::BadAddress {
            address: address.to_owned(),
            reason: e.to_string(),
        })?;
        if url.port().is_none() {
            return Err(Error::BadAddress {
                address: address.to_owned(),
                reason: "no port".into(),
            });
        }
        let options = ConnectionOptions::new(url)
            .identity(format!("shopflow@{}", std::process::id()))
            .connect_timeout(CONNECT_TIMEOUT)
            .build();
        let unreachable = |reason: String| Error::Unreachable {
            address: address.to_owned(),
            reason,
        };
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(options))
            .await
            .map_err(|_| unreachable(format!("no answer within {CONNECT_TIMEOUT:?}")))?
            .map_err(|e| unreachable(connect_error(&e)))?;
        let client = Client::new(connection, ClientOptions::new(namespace).build())
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(Self {
            client,
            address: address.to_owned(),
        })
    }

    /// The address connected to.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The SDK client (for workers on this connection).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Starts a run on `task_queue` (its `run_id` becomes the workflow id).
    pub async fn start(&self, input: RunInput, task_queue: &str) -> Result<(), Error> {
        let run_id = input.run_id.clone();
        self.client
            .start_workflow(
                ShopflowWorkflow::run,
                input,
                WorkflowStartOptions::new(task_queue, run_id.clone()).build(),
            )
            .await
            .map(|_| ())
            .map_err(|e| Error::Start {
                run_id,
                reason: e.to_string(),
            })
    }

    /// Starts a run on `task_queue` unless a run with its id exists, open or ended:
    /// `Ok(false)` then. The run's flow and version go into its memo (see
    /// [`crate::visibility`]), so listings can name them.
    pub async fn start_once(&self, input: RunInput, task_queue: &str) -> Result<bool, Error> {
        let run_id = input.run_id.clone();
        let mut memo = MemoValues::new();
        memo.insert(
            FLOW_MEMO,
            format!("{}/{}", input.flow.namespace, input.flow.name),
        );
        memo.insert(VERSION_MEMO, input.flow.version.clone());
        let options = WorkflowStartOptions::new(task_queue, run_id.clone())
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .memo(memo)
            .static_summary(input.flow.reference())
            .build();
        match self
            .client
            .start_workflow(ShopflowWorkflow::run, input, options)
            .await
        {
            Ok(_) => Ok(true),
            Err(WorkflowStartError::AlreadyStarted { .. }) => Ok(false),
            Err(e) => Err(Error::Start {
                run_id,
                reason: e.to_string(),
            }),
        }
    }

    /// Waits for run `run_id` to end (following continue-as-new).
    pub async fn wait(&self, run_id: &str) -> Result<RunEnding, Error> {
        let handle = self.client.get_workflow_handle::<ShopflowWorkflow>(run_id);
        let result = handle
            .get_result(
                WorkflowGetResultOptions::builder()
                    .follow_runs(true)
                    .build(),
            )
            .await;
        match result {
            Ok(output) => Ok(RunEnding::Completed(output)),
            Err(WorkflowGetResultError::Failed(failure)) => Ok(failure::find(failure.failure())
                .map_or_else(|| RunEnding::Ended(failure.to_string()), RunEnding::Faulted)),
            Err(WorkflowGetResultError::Cancelled { .. }) => Ok(RunEnding::Cancelled),
            Err(WorkflowGetResultError::Terminated { .. }) => {
                Ok(RunEnding::Ended("terminated".into()))
            }
            Err(WorkflowGetResultError::TimedOut) => Ok(RunEnding::Ended("timed out".into())),
            Err(e) => Err(Error::Run {
                run_id: run_id.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// Delivers `event` to run `run_id` (the envelope signal).
    pub async fn publish(&self, run_id: &str, event: CloudEvent) -> Result<(), Error> {
        self.client
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .signal(
                ShopflowWorkflow::event,
                EventEnvelope { event },
                WorkflowSignalOptions::default(),
            )
            .await
            .map_err(|e| Error::Run {
                run_id: run_id.to_owned(),
                reason: format!("the event was not delivered: {e}"),
            })
    }

    /// The run's task log so far (the `shopflow.tasks` query; needs a worker).
    pub async fn tasks(&self, run_id: &str) -> Result<Vec<Value>, Error> {
        self.client
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .query(ShopflowWorkflow::tasks, (), WorkflowQueryOptions::default())
            .await
            .map_err(|e| Error::Run {
                run_id: run_id.to_owned(),
                reason: format!("the task log query failed: {e}"),
            })
    }

    /// How many `listen`s of the run wait for an event now (the `shopflow.status` query).
    pub async fn listening(&self, run_id: &str) -> Result<usize, Error> {
        let status = self
            .client
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .query(
                ShopflowWorkflow::status,
                (),
                WorkflowQueryOptions::default(),
            )
            .await
            .map_err(|e| Error::Run {
                run_id: run_id.to_owned(),
                reason: format!("the status query failed: {e}"),
            })?;
        Ok(status["listening"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0))
    }

    /// Asks Temporal to cancel run `run_id`; the run ends as cancelled.
    pub async fn cancel(&self, run_id: &str) -> Result<(), Error> {
        self.client
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .cancel(WorkflowCancelOptions::default())
            .await
            .map_err(|e| Error::Run {
                run_id: run_id.to_owned(),
                reason: format!("the cancellation was not accepted: {e}"),
            })
    }

    /// The history of the run's current execution as Temporal's JSON (what
    /// [`crate::replay`] and `temporal workflow show --output json` read).
    pub async fn history_json(&self, run_id: &str) -> Result<Vec<u8>, Error> {
        self.client
            .get_workflow_handle::<ShopflowWorkflow>(run_id)
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .to_json()
            .await
            .map_err(|e| Error::Run {
                run_id: run_id.to_owned(),
                reason: format!("the history could not be read: {e}"),
            })
    }
}

/// A connection failure in words: the transport's chain of causes rather than its debug form
/// (`transport error: tcp connect error: Connection refused (os error 111)`).
fn connect_error(e: &ClientConnectError) -> String {
    let ClientConnectError::TonicTransportError(transport) = e else {
        return e.to_string();
    };
    let mut parts = vec![transport.to_string()];
    let mut source = std::error::Error::source(transport);
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
