//! Runs driven by another backend. An engine given a [`RunLauncher`] keeps everything but the
//! runs: deployed flow versions, the event journal, schedules and `schedule.on` triggers. Each
//! run it would start — `POST /api/v1/runs`, an event trigger, a schedule tick — is handed to
//! the launcher with the flow's YAML (and that of every flow its `run.workflow` tasks may
//! start), and the other backend drives it. This is how `shopflow serve --backend temporal`
//! runs the same intake on a Temporal cluster.
//!
//! Runs the engine drove itself before it was given a launcher (the same database, served on
//! the embedded engine until then) still finish here, with the events they wait for; every
//! new run goes to the launcher. Once none is left, the engine keeps no events in memory for
//! listeners (from its next start). `schedule.after` starts nothing: the end of the previous
//! run is known only to the other backend.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::FlowRef;
use shopflow_dsl::Workflow;
use shopflow_dsl::model::{Task, TaskKind, TaskList};

use super::EngineError;
use crate::FlowCatalog;
use crate::journal::Journal;

/// One deployed flow version as YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowText {
    /// `document.namespace`.
    pub namespace: String,
    /// `document.name`.
    pub name: String,
    /// `document.version`.
    pub version: String,
    /// The YAML as deployed.
    pub source: Arc<str>,
}

/// A run the engine hands to another backend.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The run id (derived from the trigger for event and schedule starts, so a repeat
    /// starts nothing).
    pub id: String,
    /// The flow version to run.
    pub flow: FlowText,
    /// The flows its `run.workflow` tasks (and theirs) may start.
    pub children: Vec<FlowText>,
    /// The run's input.
    pub input: Value,
}

/// Starts runs on another backend.
pub trait RunLauncher: Send + Sync {
    /// Starts `launch`, unless a run with its id exists there: `Ok(true)` when it started,
    /// `Ok(false)` when the id was taken. An unreachable backend is
    /// [`EngineError::Unavailable`].
    fn launch(&self, launch: Launch) -> BoxFuture<'static, Result<bool, EngineError>>;
}

/// The launcher and the flows' YAML, kept by an engine whose runs live elsewhere.
pub(crate) struct Elsewhere {
    launcher: Arc<dyn RunLauncher>,
    /// YAML by (namespace, name, version), read from the journal on first use.
    sources: Mutex<BTreeMap<(String, String, String), Arc<str>>>,
    /// Whether runs the engine drove itself were unfinished at open (they finish here).
    drains: bool,
}

impl Elsewhere {
    /// The launcher of an engine on `journal`.
    pub(crate) fn new(
        launcher: Arc<dyn RunLauncher>,
        journal: &Journal,
    ) -> Result<Self, EngineError> {
        let left = journal.unfinished_runs()?.len();
        if left > 0 {
            tracing::info!(
                runs = left,
                "unfinished runs of this database finish on the embedded engine; new runs start on the other backend"
            );
        }
        Ok(Self {
            launcher,
            sources: Mutex::new(BTreeMap::new()),
            drains: left > 0,
        })
    }

    /// Whether runs started before the launcher still finish here.
    pub(crate) fn drains_runs_here(&self) -> bool {
        self.drains
    }

    /// Hands run `id` of `wf` to the launcher; `Ok(false)` when the id was taken.
    pub(crate) async fn launch(
        &self,
        journal: &Journal,
        catalog: &FlowCatalog,
        id: &str,
        wf: &Workflow,
        input: Value,
    ) -> Result<bool, EngineError> {
        let flow = self.text(journal, wf)?;
        let mut children = Vec::new();
        let mut seen = vec![(
            flow.namespace.clone(),
            flow.name.clone(),
            flow.version.clone(),
        )];
        let mut pending = child_refs(wf);
        while let Some(child) = pending.pop() {
            // A flow that is not deployed faults the child's start on the other backend, as
            // it would here.
            let Some(child_wf) = catalog.get(&child) else {
                continue;
            };
            let d = &child_wf.document;
            let key = (d.namespace.clone(), d.name.clone(), d.version.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            children.push(self.text(journal, &child_wf)?);
            pending.extend(child_refs(&child_wf));
        }
        let launch = Launch {
            id: id.to_owned(),
            flow,
            children,
            input,
        };
        self.launcher.launch(launch).await
    }

    /// The deployed YAML of `wf`.
    fn text(&self, journal: &Journal, wf: &Workflow) -> Result<FlowText, EngineError> {
        let d = &wf.document;
        let key = (d.namespace.clone(), d.name.clone(), d.version.clone());
        let known = self.lock().get(&key).cloned();
        let source = match known {
            Some(s) => s,
            None => {
                let mut sources = self.lock();
                for row in journal.flows()? {
                    sources
                        .entry((row.namespace, row.name, row.version))
                        .or_insert_with(|| Arc::from(row.source));
                }
                sources.get(&key).cloned().ok_or_else(|| {
                    EngineError::NotFound(format!(
                        "flow {}/{}:{} is not deployed",
                        d.namespace, d.name, d.version
                    ))
                })?
            }
        };
        Ok(FlowText {
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            version: d.version.clone(),
            source,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String, String), Arc<str>>> {
        self.sources.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The flows `wf`'s `run.workflow` tasks name.
fn child_refs(wf: &Workflow) -> Vec<FlowRef> {
    let mut found = Vec::new();
    visit(&wf.tasks, &mut found);
    for task in wf.uses.functions.values() {
        task_kind(task, &mut found);
    }
    found
}

fn visit(tasks: &TaskList, found: &mut Vec<FlowRef>) {
    for t in tasks {
        task_kind(&t.task, found);
    }
}

fn task_kind(task: &Task, found: &mut Vec<FlowRef>) {
    match &task.kind {
        TaskKind::Do(sub) => visit(sub, found),
        TaskKind::For(f) => visit(&f.tasks, found),
        TaskKind::Fork(f) => visit(&f.branches, found),
        TaskKind::Try(t) => {
            visit(&t.tasks, found);
            if let Some(handler) = &t.catch.tasks {
                visit(handler, found);
            }
        }
        TaskKind::Listen(l) => {
            if let Some(each) = &l.foreach {
                visit(&each.tasks, found);
            }
        }
        TaskKind::RunWorkflow(r) => found.push(FlowRef {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            version: r.version.clone(),
            wait: r.await_,
        }),
        TaskKind::Call(_)
        | TaskKind::Emit(_)
        | TaskKind::Raise(_)
        | TaskKind::Set(_)
        | TaskKind::Switch(_)
        | TaskKind::Wait(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_flows_are_found_in_nested_tasks() {
        let yaml = r#"
document: { dsl: '1.0.3', namespace: t, name: parent, version: '1.0.0' }
do:
  - outer:
      try:
        - child:
            run:
              workflow: { namespace: t, name: child, version: '2.0.0' }
      catch:
        do:
          - fallback:
              run:
                workflow: { namespace: t, name: other, version: latest }
"#;
        let wf = shopflow_dsl::load(yaml.as_bytes(), &[])
            .expect("valid flow")
            .workflow;
        let found: Vec<String> = child_refs(&wf)
            .iter()
            .map(|r| format!("{}/{}:{}", r.namespace, r.name, r.version))
            .collect();
        assert_eq!(found, vec!["t/child:2.0.0", "t/other:latest"]);
    }
}
