//! Diagrams and explanations of conformance examples (and of a flow with awkward names), as
//! insta snapshots.

use std::path::{Path, PathBuf};

use shopflow_dsl::Workflow;
use shopflow_dsl::render::{explain, graph};

/// Loads the valid flow at `path`, relative to this crate.
fn load(path: &Path) -> Workflow {
    let full: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let bytes =
        std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    match shopflow_dsl::load(&bytes, &["noop", "echo"]) {
        Ok(loaded) => loaded.workflow,
        Err(diags) => panic!("{} does not load: {diags:#?}", full.display()),
    }
}

/// Snapshots the Mermaid, dot and explain renderings of `$file` under `$test_*` names.
macro_rules! snapshots {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                let wf = load(Path::new($file));
                insta::assert_snapshot!(concat!(stringify!($test), "_mermaid"), graph::mermaid(&wf));
                insta::assert_snapshot!(concat!(stringify!($test), "_dot"), graph::dot(&wf));
                insta::assert_snapshot!(concat!(stringify!($test), "_explain"), explain::explain(&wf));
            }
        )*
    };
}

snapshots! {
    switch_then_string => "../../../shared/conformance/examples/switch-then-string.yaml",
    for_loop => "../../../shared/conformance/examples/for.yaml",
    fork_compete => "../../../shared/conformance/examples/fork.yaml",
    try_catch_retry_inline => "../../../shared/conformance/examples/try-catch-retry-inline.yaml",
    listen_to_any => "../../../shared/conformance/examples/listen-to-any.yaml",
    wait_duration_iso8601 => "../../../shared/conformance/examples/wait-duration-iso8601.yaml",
    schedule_cron => "../../../shared/conformance/examples/schedule-cron.yaml",
    awkward_names => "tests/data/awkward-names.yaml",
}
