//! [`Broadcast`]: the default [`EventRouter`] — an emitted event goes to every other open
//! shopflow run on the worker's task queue as the envelope signal; each run keeps it in its
//! inbox until one of its `listen`s takes it (or drops it when its inbox is full).
//!
//! This costs one signal per open run and event, which suits flows that emit rarely; a
//! deployment that emits a lot puts `shopflow serve --backend temporal` (whose intake knows
//! which runs listen for what) in front instead.

use futures::future::BoxFuture;
use shopflow_core::CloudEvent;

use crate::activity::EventRouter;
use crate::client::Cluster;
use crate::visibility::{RunQuery, RunState, RunSummary};

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
        let task_queue = self.task_queue.clone();
        Box::pin(async move {
            cluster
                .signal_open_runs(&task_queue, Some(&from), event, |_| true)
                .await
                .map(drop)
        })
    }
}

impl Cluster {
    /// Signals `event` to every open run on `task_queue` that `wants` accepts, except run
    /// `skip`; returns how many were signalled. One visibility listing, then one signal per
    /// run: the cost grows with the number of open runs.
    pub async fn signal_open_runs(
        &self,
        task_queue: &str,
        skip: Option<&str>,
        event: CloudEvent,
        wants: impl Fn(&RunSummary) -> bool,
    ) -> Result<usize, String> {
        let open = self
            .list(&RunQuery {
                task_queue: Some(task_queue.to_owned()),
                state: Some(RunState::Open),
                limit: None,
            })
            .await
            .map_err(|e| format!("cannot list the open runs: {e}"))?;
        let mut signalled = 0;
        for run in open
            .iter()
            .filter(|r| Some(r.id.as_str()) != skip && wants(r))
        {
            // A run that ended since it was listed has no use for the event.
            match self.publish(&run.id, event.clone()).await {
                Ok(()) => signalled += 1,
                Err(e) => tracing::debug!(run = %run.id, error = %e, "event not delivered"),
            }
        }
        Ok(signalled)
    }
}
