//! Diagrams and explanations of the conformance examples, as insta snapshots.

use std::path::PathBuf;

use shopflow_dsl::Workflow;
use shopflow_dsl::render::{explain, graph};

/// Loads `shared/conformance/examples/<name>`, which must be valid.
fn example(name: &str) -> Workflow {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../../shared/conformance/examples", name].iter().collect();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    match shopflow_dsl::load(&bytes, &["noop", "echo"]) {
        Ok(loaded) => loaded.workflow,
        Err(diags) => panic!("{name} does not load: {diags:#?}"),
    }
}

macro_rules! snapshots {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                let wf = example($file);
                insta::assert_snapshot!(concat!(stringify!($test), "_mermaid"), graph::mermaid(&wf));
                insta::assert_snapshot!(concat!(stringify!($test), "_dot"), graph::dot(&wf));
                insta::assert_snapshot!(concat!(stringify!($test), "_explain"), explain::explain(&wf));
            }
        )*
    };
}

snapshots! {
    switch_then_string => "switch-then-string.yaml",
    for_loop => "for.yaml",
    fork_compete => "fork.yaml",
    try_catch_retry_inline => "try-catch-retry-inline.yaml",
    listen_to_any => "listen-to-any.yaml",
    wait_duration_iso8601 => "wait-duration-iso8601.yaml",
    schedule_cron => "schedule-cron.yaml",
}
