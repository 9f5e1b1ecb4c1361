//! [`TemporalLauncher`]: how the engine's runs start on Temporal. Each run becomes a `shopflow`
//! workflow on the serve's task queue whose workflow id is the run id, carrying its flow's YAML
//! (and that of the flows it may start), so any worker runs it without a `--flow` of its own.
//! Ids derived from a trigger (an event id, a schedule tick) are started at most once: a
//! repeated event finds the workflow and starts nothing, even after it ended.

use futures::future::BoxFuture;
use shopflow_embedded::EngineError;
use shopflow_embedded::engine::{FlowText, Launch, RunLauncher};
use shopflow_temporal::{Cluster, FlowSource, RunInput};

/// Starts the engine's runs as workflows on one task queue of a cluster.
#[derive(Clone)]
pub struct TemporalLauncher {
    cluster: Cluster,
    task_queue: String,
}

impl TemporalLauncher {
    /// A launcher onto `task_queue` of `cluster`.
    pub fn new(cluster: Cluster, task_queue: &str) -> Self {
        Self {
            cluster,
            task_queue: task_queue.to_owned(),
        }
    }
}

fn source(flow: FlowText) -> FlowSource {
    FlowSource {
        namespace: flow.namespace,
        name: flow.name,
        version: flow.version,
        source: Some(flow.source.as_ref().to_owned()),
    }
}

impl RunLauncher for TemporalLauncher {
    fn launch(&self, launch: Launch) -> BoxFuture<'static, Result<bool, EngineError>> {
        let cluster = self.cluster.clone();
        let task_queue = self.task_queue.clone();
        Box::pin(async move {
            let input = RunInput {
                run_id: launch.id,
                flow: source(launch.flow),
                flows: launch.children.into_iter().map(source).collect(),
                input: launch.input,
                carried: None,
                max_task_executions: None,
            };
            cluster
                .start_once(input, &task_queue)
                .await
                .map_err(|e| EngineError::Unavailable(e.to_string()))
        })
    }
}
