//! [`FlowCatalog`]: the flows a worker knows, as YAML sources, and their parsed form.
//!
//! A run normally carries its flow's source in its input; the catalog turns a source into the
//! validated [`Workflow`] once (parsing is pure, so every replay gets the same definition) and
//! answers for runs started with a reference only. A version the worker does not know is a
//! non-retryable `configuration` error that faults the run, not a stuck one.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use shopflow_core::{ErrorKind, FlowRef, WorkflowError};
use shopflow_dsl::{Diagnostic, Workflow};

use crate::input::FlowSource;

/// Flow sources by namespace, name and version, and their parsed definitions.
/// Cheap to clone: clones share the same flows.
#[derive(Clone, Default)]
pub struct FlowCatalog {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// Function names the validator accepts in `call:` besides `http` and `openapi`.
    builtins: Vec<String>,
    /// Sources by (namespace, name), then version.
    sources: BTreeMap<(String, String), BTreeMap<VersionKey, FlowSource>>,
    /// Parsed definitions by source text.
    parsed: BTreeMap<String, Arc<Workflow>>,
}

/// Orders versions by SemVer precedence; versions that are not SemVer sort after, as text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum VersionKey {
    SemVer(semver::Version),
    Other(String),
}

impl VersionKey {
    fn new(v: &str) -> Self {
        semver::Version::parse(v).map_or_else(|_| VersionKey::Other(v.to_owned()), Self::SemVer)
    }
}

impl FlowCatalog {
    /// An empty catalog whose flows may call `builtins` (the worker's function names).
    pub fn new(builtins: Vec<String>) -> Self {
        Self {
            inner: Arc::new(RwLock::new(Inner {
                builtins,
                ..Inner::default()
            })),
        }
    }

    /// Validates and adds a flow (replacing the same namespace, name and version); returns
    /// its source entry.
    pub fn add(&self, yaml: &str) -> Result<FlowSource, Vec<Diagnostic>> {
        let wf = self.parse_text(yaml)?;
        let d = &wf.document;
        let source = FlowSource {
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            version: d.version.clone(),
            source: Some(yaml.to_owned()),
        };
        let mut inner = self.write();
        inner
            .sources
            .entry((d.namespace.clone(), d.name.clone()))
            .or_default()
            .insert(VersionKey::new(&d.version), source.clone());
        Ok(source)
    }

    /// Every flow's source, each name's versions lowest first.
    pub fn sources(&self) -> Vec<FlowSource> {
        let inner = self.read();
        inner
            .sources
            .values()
            .flat_map(|versions| versions.values().cloned())
            .collect()
    }

    /// The source a reference names (`latest`: the highest version).
    pub fn source(&self, flow: &FlowRef) -> Option<FlowSource> {
        let inner = self.read();
        let versions = inner
            .sources
            .get(&(flow.namespace.clone(), flow.name.clone()))?;
        if flow.version == "latest" {
            return versions.values().next_back().cloned();
        }
        versions.get(&VersionKey::new(&flow.version)).cloned()
    }

    /// The definition a run's flow entry stands for: its own source when it has one, else the
    /// version deployed here. Unknown or invalid flows are non-retryable errors.
    pub fn resolve(&self, flow: &FlowSource) -> Result<Arc<Workflow>, WorkflowError> {
        let text = match &flow.source {
            Some(text) => text.clone(),
            None => {
                let known = self.source(&FlowRef {
                    namespace: flow.namespace.clone(),
                    name: flow.name.clone(),
                    version: flow.version.clone(),
                    wait: true,
                });
                match known.and_then(|s| s.source) {
                    Some(text) => text,
                    None => {
                        return Err(WorkflowError::new(ErrorKind::Configuration, "Unknown flow")
                            .with_detail(format!(
                                "flow {} is not deployed to this worker; deploy it to every worker (shopflow worker --flow FILE) or start the run with its source",
                                flow.reference()
                            ))
                            .retryable(false));
                    }
                }
            }
        };
        self.parse_text(&text).map_err(|diags| {
            let first = diags
                .iter()
                .map(|d| format!("{}:{}: {}", d.pos.line, d.pos.col, d.message))
                .next()
                .unwrap_or_default();
            WorkflowError::new(ErrorKind::Configuration, "Invalid flow")
                .with_detail(format!(
                    "flow {} does not validate on this worker: {first}",
                    flow.reference()
                ))
                .retryable(false)
        })
    }

    fn parse_text(&self, yaml: &str) -> Result<Arc<Workflow>, Vec<Diagnostic>> {
        if let Some(wf) = self.read().parsed.get(yaml) {
            return Ok(Arc::clone(wf));
        }
        let builtins = self.read().builtins.clone();
        let names: Vec<&str> = builtins.iter().map(String::as_str).collect();
        let wf = Arc::new(shopflow_dsl::load(yaml.as_bytes(), &names)?.workflow);
        self.write().parsed.insert(yaml.to_owned(), Arc::clone(&wf));
        Ok(wf)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "document: {dsl: '1.0.3', namespace: demo, name: hello, version: '1.0.0'}\ndo:\n  - greet:\n      set: { message: one }\n";
    const V2: &str = "document: {dsl: '1.0.3', namespace: demo, name: hello, version: '1.10.0'}\ndo:\n  - greet:\n      set: { message: two }\n";

    fn reference(version: &str) -> FlowRef {
        FlowRef {
            namespace: "demo".into(),
            name: "hello".into(),
            version: version.into(),
            wait: true,
        }
    }

    #[test]
    fn latest_is_the_highest_semver() {
        let catalog = FlowCatalog::new(vec![]);
        catalog.add(V2).expect("valid");
        catalog.add(V1).expect("valid");
        let latest = catalog.source(&reference("latest")).expect("known");
        assert_eq!(latest.version, "1.10.0");
        assert_eq!(
            catalog.source(&reference("1.0.0")).map(|s| s.version),
            Some("1.0.0".to_owned())
        );
    }

    #[test]
    fn an_unknown_version_is_a_non_retryable_configuration_error() {
        let catalog = FlowCatalog::new(vec![]);
        catalog.add(V1).expect("valid");
        let err = catalog
            .resolve(&FlowSource {
                namespace: "demo".into(),
                name: "hello".into(),
                version: "9.9.9".into(),
                source: None,
            })
            .expect_err("not deployed");
        assert!(err.is(ErrorKind::Configuration));
        assert!(!err.retryable);
        assert!(
            err.detail
                .as_deref()
                .is_some_and(|d| d.contains("demo/hello:9.9.9"))
        );
    }
}
