//! The kit's Arrange and Act steps (definition, input, execute), plus ours: extra flows for
//! `run.workflow`, secrets, a step limit, events published before or during the run, cancelling.

use cucumber::gherkin::Step;
use cucumber::{given, when};
use serde_json::Value;

use crate::values::{doc_text, doc_yaml, yaml};
use crate::world::FlowWorld;

#[given(regex = r"^a workflow with definition:$")]
fn workflow_definition(world: &mut FlowWorld, step: &Step) {
    world.set_definition(&doc_text(step));
}

// The kit writes `And given the workflow input is:`; the README writes the phrase without `given`.
#[given(regex = r"^(?:given )?the workflow input is:$")]
fn workflow_input(world: &mut FlowWorld, step: &Step) {
    world.set_input(doc_yaml(step));
}

#[given(regex = r"^a subflow with definition:$")]
fn subflow_definition(world: &mut FlowWorld, step: &Step) {
    world.add_subflow(&doc_text(step));
}

#[given(regex = r"^the workflow secrets are:$")]
fn workflow_secrets(world: &mut FlowWorld, step: &Step) {
    world.set_secrets(doc_yaml(step));
}

#[given(regex = r"^the run may execute at most (\d+) tasks$")]
fn step_limit(world: &mut FlowWorld, limit: u64) {
    world.set_step_limit(limit);
}

#[given(regex = r"^the event is published before the workflow starts:$")]
fn event_before_start(world: &mut FlowWorld, step: &Step) {
    world.publish_before_start(doc_yaml(step));
}

#[when(regex = r"^the workflow is executed$")]
async fn execute(world: &mut FlowWorld) {
    world.execute().await;
}

/// Publishes once the run is waiting in a `listen`.
#[when(regex = r"^the event is published:$")]
async fn publish(world: &mut FlowWorld, step: &Step) {
    world.until_listening().await;
    world.publish(doc_yaml(step));
}

/// Publishes a list of events in order, all at once, once the run is waiting in a `listen`:
/// events the run is not waiting for yet arrive before their `listen` starts.
#[when(regex = r"^these events are published in order:$")]
async fn publish_many(world: &mut FlowWorld, step: &Step) {
    world.until_listening().await;
    let Value::Array(events) = doc_yaml(step) else {
        panic!("expected a YAML list of events");
    };
    for event in events {
        world.publish(event);
    }
}

#[when(regex = r"^the workflow is cancelled while it listens$")]
async fn cancel(world: &mut FlowWorld) {
    world.until_listening().await;
    world.cancel();
}

/// For scenarios that want a literal input without a doc string.
#[given(regex = r"^the workflow input is `(.*)`$")]
fn inline_input(world: &mut FlowWorld, text: String) {
    world.set_input(yaml(&text));
}
