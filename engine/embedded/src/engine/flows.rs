//! Deployed flows: every version ever deployed, kept in the journal and loaded at start. A
//! deploy validates the YAML and stores it as a new version; a run keeps the version it
//! started on, because runs name their version and old versions are never removed.

use std::sync::Arc;

use shopflow_core::FlowRef;
use shopflow_dsl::Workflow;

use super::EngineError;
use crate::FlowCatalog;
use crate::journal::FlowRecord;

/// One deployed flow version, as listed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowInfo {
    /// `namespace/name`.
    pub flow: String,
    /// `document.version`.
    pub version: String,
    /// When it was deployed, milliseconds since the Unix epoch.
    pub deployed_ms: i64,
    /// Whether this is the version new runs get when none is named.
    pub latest: bool,
    /// The kind of schedule the flow has (`cron`, `every`, `after`, `on`), if any.
    pub schedule: Option<&'static str>,
}

/// Loads and validates flow YAML with this build's built-in function names.
pub(crate) fn parse(source: &str, builtins: &[String]) -> Result<Workflow, EngineError> {
    let names: Vec<&str> = builtins.iter().map(String::as_str).collect();
    shopflow_dsl::load(source.as_bytes(), &names)
        .map(|loaded| loaded.workflow)
        .map_err(EngineError::Invalid)
}

/// Parses `namespace/name[:version]` (no version = the newest).
pub fn parse_flow_ref(text: &str) -> Result<FlowRef, EngineError> {
    let bad = || {
        EngineError::bad_request(
            None,
            format!(
                "`{text}` is not a flow reference; write namespace/name or namespace/name:version"
            ),
        )
    };
    let (path, version) = match text.split_once(':') {
        Some((path, version)) if !version.is_empty() => (path, version),
        Some(_) => return Err(bad()),
        None => (text, "latest"),
    };
    let (namespace, name) = path.split_once('/').ok_or_else(bad)?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(bad());
    }
    Ok(FlowRef {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        version: version.to_owned(),
        wait: true,
    })
}

/// What the schedule block of a flow asks for, as a word.
pub(crate) fn schedule_kind(wf: &Workflow) -> Option<&'static str> {
    let s = wf.schedule.as_ref()?;
    if s.cron.is_some() {
        Some("cron")
    } else if s.every.is_some() {
        Some("every")
    } else if s.after.is_some() {
        Some("after")
    } else if s.on.is_some() {
        Some("on")
    } else {
        None
    }
}

/// The listing of `catalog`, with deployment times from the journal's rows.
pub(crate) fn list(catalog: &FlowCatalog, rows: &[FlowRecord]) -> Vec<FlowInfo> {
    let latest = catalog.latest();
    catalog
        .all()
        .into_iter()
        .map(|wf| {
            let d = &wf.document;
            let deployed_ms = rows
                .iter()
                .find(|r| r.namespace == d.namespace && r.name == d.name && r.version == d.version)
                .map_or(0, |r| r.deployed_ms);
            FlowInfo {
                flow: format!("{}/{}", d.namespace, d.name),
                version: d.version.clone(),
                deployed_ms,
                latest: latest.iter().any(|l| Arc::ptr_eq(l, &wf)),
                schedule: schedule_kind(&wf),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_refs_name_a_version_or_the_latest() {
        let r = parse_flow_ref("shop/returns:1.2.0").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.namespace.as_str(), r.name.as_str()), ("shop", "returns"));
        assert_eq!(r.version, "1.2.0");
        let r = parse_flow_ref("shop/returns").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.version, "latest");
        for bad in ["returns", "shop/", "/returns", "shop/returns:", "a/b/c"] {
            assert!(parse_flow_ref(bad).is_err(), "{bad}");
        }
    }
}
