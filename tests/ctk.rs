//! Runs the Serverless Workflow conformance kit (`../shared/conformance/ctk/features`) and
//! shopflow's own scenarios (`tests/features`) with cucumber, on the embedded in-memory backend,
//! then again on the Temporal backend (a dev server the run starts; see `ctk/temporal.rs`): the
//! whole kit, and our scenarios but those that check the virtual clock.
//! `SHOPFLOW_CTK_TEMPORAL=0` leaves the Temporal pass out.
//!
//! Calls to petstore.swagger.io and httpbin.org go to local stand-ins on 127.0.0.1. A step
//! phrase that matches no step definition fails the run (it is not skipped). The process exits
//! non-zero when any scenario of either suite fails.
//!
//! `cargo test --test ctk` runs both; `cargo test --test ctk -- --name 'Retry'` filters by
//! scenario name (cucumber's options).

#[path = "ctk/arrange_act.rs"]
mod arrange_act;
#[path = "ctk/assertions.rs"]
mod assertions;
#[path = "ctk/functions.rs"]
mod functions;
#[path = "ctk/local_services.rs"]
mod local_services;
#[path = "ctk/probe.rs"]
mod probe;
#[path = "ctk/temporal.rs"]
mod temporal;
#[path = "ctk/values.rs"]
mod values;
#[path = "ctk/world.rs"]
mod world;

use std::process::ExitCode;

use cucumber::World as _;
use cucumber::cli;
use cucumber::writer::summarize::Stats;

use crate::world::{FlowWorld, SERVICES};

/// The kit's features, in the shared folder next to the workspace.
const KIT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/ctk/features"
);
/// Our own scenarios.
const OURS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/features");
/// The step that checks the virtual clock. Time is real on Temporal (the dev server cannot
/// skip it), so a scenario with this step runs on the embedded backend only.
const CLOCK_STEP: &str = "the clock should have advanced";

/// Whether `scenario` can run on Temporal: it checks no virtual time.
fn in_real_time(scenario: &cucumber::gherkin::Scenario) -> bool {
    !scenario
        .steps
        .iter()
        .any(|step| step.value.starts_with(CLOCK_STEP))
}

/// One suite's scenario counts.
struct Tally {
    name: &'static str,
    scenarios: Stats,
    failed: bool,
}

/// Runs the feature files under `path`: all their scenarios, or those `keep` accepts.
async fn suite(
    name: &'static str,
    path: &'static str,
    keep: Option<fn(&cucumber::gherkin::Scenario) -> bool>,
) -> Tally {
    println!("\n=== {name}: {path}\n");
    let writer = FlowWorld::cucumber()
        .max_concurrent_scenarios(8)
        .fail_on_skipped()
        .with_cli(cli_options::<cli::Opts<_, _, _, cli::Empty>>())
        .filter_run(path, move |_, _, scenario| keep.is_none_or(|k| k(scenario)))
        .await;
    let failed = cucumber::writer::Stats::<FlowWorld>::execution_has_failed(&writer);
    Tally {
        name,
        scenarios: *writer.scenarios_stats(),
        failed,
    }
}

/// cucumber's command-line options (`--name`, `--tags`, …). `cargo test FILTER` passes its
/// filter to every test binary; arguments cucumber does not know are ignored, not fatal.
fn cli_options<O: cli::Parser + Default>() -> O {
    match O::try_parse_from(std::env::args()) {
        Ok(options) => options,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!(
                "ignoring the command line (run with --help for cucumber's options): {}",
                e.kind()
            );
            O::default()
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let services = match local_services::start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the local services on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    SERVICES.get_or_init(|| services);
    let mut tallies = vec![
        suite("conformance kit", KIT, None).await,
        suite("shopflow scenarios", OURS, None).await,
    ];
    if std::env::var("SHOPFLOW_CTK_TEMPORAL").as_deref() != Ok("0") {
        // Real time on Temporal: the kit has no waits; our scenarios that check the virtual
        // clock stay on the embedded pass.
        temporal::select(true);
        tallies.push(suite("conformance kit on Temporal", KIT, None).await);
        tallies.push(suite("shopflow scenarios on Temporal", OURS, Some(in_real_time)).await);
        temporal::select(false);
    }
    println!();
    let mut failed = false;
    for t in &tallies {
        let s = &t.scenarios;
        println!(
            "{}: {} scenarios, {} passed, {} failed, {} skipped",
            t.name,
            s.total(),
            s.passed,
            s.failed,
            s.skipped
        );
        failed |= t.failed || s.failed > 0 || s.skipped > 0;
    }
    let passed: usize = tallies.iter().map(|t| t.scenarios.passed).sum();
    let failures: usize = tallies
        .iter()
        .map(|t| t.scenarios.failed + t.scenarios.skipped)
        .sum();
    // The plain closing line CI reads.
    println!("ctk: {passed} passed, {failures} failed");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
