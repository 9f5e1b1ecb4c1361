//! [`Broadcast`]: the default [`EventRouter`] — an emitted event goes to every other open
//! shopflow run on the worker's task queue as the envelope signal; each run keeps it in its
//! inbox until one of its `listen`s takes it (or drops it when its inbox is full).
//!
//! This costs one signal per open run and event, which suits flows that emit rarely; a
//! deployment that emits a lot puts `shopflow serve --backend temporal` (whose intake knows
//! which runs listen for what) in front instead.

use futures::StreamExt;
use futures::future::BoxFuture;
use shopflow_core::CloudEvent;
use temporalio_client::WorkflowListOptions;

use crate::activity::EventRouter;
use crate::client::Cluster;
use crate::workflow::WORKFLOW_TYPE;

/// Signals every other running shopflow workflow on one task queue.
pub struct Broadcast {
    cluster: Cluster,
    task_queue: String,
}

impl Broadcast {
    /// A router to the runs on `task_queue` of `cluster`.
    pub fn new(cluster: Cluster, task_queue: &str) -> Self {
        Self {
            cluster,
            task_queue: task_queue.to_owned(),
        }
    }
}

impl EventRouter for Broadcast {
    fn route(&self, from: &str, event: CloudEvent) -> BoxFuture<'static, Result<(), String>> {
        let cluster = self.cluster.clone();
        let from = from.to_owned();
        // Visibility queries quote with '…'; a task queue name never needs one.
        let query = format!(
            "WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '{}'",
            self.task_queue.replace('\'', "")
        );
        Box::pin(async move {
            let mut runs = cluster
                .client()
                .list_workflows(query, WorkflowListOptions::default());
            let mut targets = Vec::new();
            while let Some(run) = runs.next().await {
                let run = run.map_err(|e| format!("cannot list the open runs: {e}"))?;
                if run.id() != from {
                    targets.push(run.id().to_owned());
                }
            }
            for id in targets {
                // A run that ended since it was listed has no use for the event.
                if let Err(e) = cluster.publish(&id, event.clone()).await {
                    tracing::debug!(run = %id, error = %e, "emitted event not delivered");
                }
            }
            Ok(())
        })
    }
}
