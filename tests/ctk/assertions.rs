//! The kit's Assert steps (how the run ended, its output, the order and fate of tasks), plus
//! ours: how often a task ran, skipped tasks, virtual time, idempotency keys.

use cucumber::gherkin::Step;
use cucumber::then;
use serde_json::Value;
use shopflow_core::{StepId, TaskStatus, idempotency_key};

use crate::values::{at_path, contains, doc_yaml, duration, equal, pretty, quoted_list};
use crate::world::{Ending, FlowWorld, Outcome, describe};

#[then(regex = r"^the workflow should cancel$")]
async fn workflow_cancelled(world: &mut FlowWorld) {
    let outcome = world.outcome().await;
    assert!(
        matches!(outcome.ending, Ending::Cancelled),
        "expected the workflow to be cancelled, but {}",
        describe(&outcome.ending)
    );
}

#[then(regex = r"^the workflow should complete$")]
async fn workflow_completed(world: &mut FlowWorld) {
    world.outcome().await.output();
}

#[then(regex = r"^the workflow should complete with output:$")]
async fn workflow_output(world: &mut FlowWorld, step: &Step) {
    let expected = doc_yaml(step);
    let actual = world.outcome().await.output();
    assert!(
        equal(actual, &expected),
        "expected the output\n{}\nbut got\n{}",
        pretty(&expected),
        pretty(actual)
    );
}

#[then(regex = r"^the workflow should fault$")]
async fn workflow_faulted(world: &mut FlowWorld) {
    let outcome = world.outcome().await;
    assert!(
        matches!(outcome.ending, Ending::Faulted(_)),
        "expected the workflow to fault, but {}",
        describe(&outcome.ending)
    );
}

/// The error has every field the scenario gives, with the same value (it may have more, such
/// as `detail`).
#[then(regex = r"^the workflow should fault with error:$")]
async fn workflow_error(world: &mut FlowWorld, step: &Step) {
    let expected = doc_yaml(step);
    let outcome = world.outcome().await;
    let Ending::Faulted(error) = &outcome.ending else {
        panic!(
            "expected the workflow to fault, but {}",
            describe(&outcome.ending)
        );
    };
    let actual = error.to_json();
    assert!(
        contains(&actual, &expected),
        "expected an error with\n{}\nbut got\n{}",
        pretty(&expected),
        pretty(&actual)
    );
}

#[then(regex = r"^the workflow output should have properties (.+)$")]
async fn output_properties(world: &mut FlowWorld, list: String) {
    let output = world.outcome().await.output();
    for path in quoted_list(&list) {
        assert!(
            at_path(output, &path).is_some(),
            "the output has no `{path}`:\n{}",
            pretty(output)
        );
    }
}

#[then(regex = r"^the workflow output should not have properties (.+)$")]
async fn output_lacks_properties(world: &mut FlowWorld, list: String) {
    let output = world.outcome().await.output();
    for path in quoted_list(&list) {
        assert!(
            at_path(output, &path).is_none(),
            "the output should not have `{path}`:\n{}",
            pretty(output)
        );
    }
}

#[then(regex = r"^the workflow output should have a '([^']+)' property with value:$")]
async fn output_property_value(world: &mut FlowWorld, path: String, step: &Step) {
    let expected = doc_yaml(step);
    let output = world.outcome().await.output();
    let actual = at_path(output, &path)
        .unwrap_or_else(|| panic!("the output has no `{path}`:\n{}", pretty(output)));
    assert!(
        equal(actual, &expected),
        "`{path}` is\n{}\nnot\n{}",
        pretty(actual),
        pretty(&expected)
    );
}

#[then(regex = r"^the workflow output should have a '([^']+)' property containing (\d+) items?$")]
async fn output_property_count(world: &mut FlowWorld, path: String, count: usize) {
    let output = world.outcome().await.output();
    let actual = at_path(output, &path)
        .unwrap_or_else(|| panic!("the output has no `{path}`:\n{}", pretty(output)));
    let len = match actual {
        Value::Array(items) => items.len(),
        Value::Object(fields) => fields.len(),
        other => panic!("`{path}` is {other}, not a collection"),
    };
    assert_eq!(
        len, count,
        "`{path}` has {len} items, not {count}: {actual}"
    );
}

#[then(
    regex = r"^the workflow output should have a '([^']+)' property equal to the idempotency key of step '([^']+)'$"
)]
async fn output_idempotency_key(world: &mut FlowWorld, path: String, pointer: String) {
    let key = idempotency_key(world.run_id(), &StepId::from_raw(pointer.as_str()));
    let output = world.outcome().await.output();
    let actual = at_path(output, &path)
        .unwrap_or_else(|| panic!("the output has no `{path}`:\n{}", pretty(output)));
    assert_eq!(
        actual,
        &Value::String(key),
        "`{path}` is not the idempotency key of `{pointer}`"
    );
}

/// Where a task first started, or a failure that shows what did start.
fn start_index(outcome: &Outcome, task: &str) -> usize {
    outcome
        .started()
        .iter()
        .position(|n| *n == task)
        .unwrap_or_else(|| panic!("`{task}` never started; the log:\n{}", outcome.log_text()))
}

#[then(regex = r"^(\S+) should run first$")]
async fn runs_first(world: &mut FlowWorld, task: String) {
    let outcome = world.outcome().await;
    let started = outcome.started();
    assert_eq!(
        started.first().copied(),
        Some(task.as_str()),
        "tasks started in this order: {started:?}"
    );
}

#[then(regex = r"^(\S+) should run last$")]
async fn runs_last(world: &mut FlowWorld, task: String) {
    let outcome = world.outcome().await;
    let started = outcome.started();
    assert_eq!(
        started.last().copied(),
        Some(task.as_str()),
        "tasks started in this order: {started:?}"
    );
}

#[then(regex = r"^(\S+) should run before (\S+)$")]
async fn runs_before(world: &mut FlowWorld, first: String, second: String) {
    let outcome = world.outcome().await;
    let (a, b) = (start_index(outcome, &first), start_index(outcome, &second));
    assert!(
        a < b,
        "`{first}` started after `{second}`: {:?}",
        outcome.started()
    );
}

#[then(regex = r"^(\S+) should run after (\S+)$")]
async fn runs_after(world: &mut FlowWorld, second: String, first: String) {
    let outcome = world.outcome().await;
    let (a, b) = (start_index(outcome, &first), start_index(outcome, &second));
    assert!(
        a < b,
        "`{second}` started before `{first}`: {:?}",
        outcome.started()
    );
}

#[then(regex = r"^(\S+) should run (\d+) times?$")]
async fn runs_times(world: &mut FlowWorld, task: String, times: usize) {
    let outcome = world.outcome().await;
    let n = outcome
        .of_task(&task)
        .filter(|e| e.status == TaskStatus::Started)
        .count();
    assert_eq!(
        n,
        times,
        "`{task}` started {n} times; the log:\n{}",
        outcome.log_text()
    );
}

/// The details logged for `task` with `status`, or a failure that shows the task's log.
fn details(outcome: &Outcome, task: &str, status: TaskStatus) -> Vec<Value> {
    let found: Vec<Value> = outcome
        .of_task(task)
        .filter(|e| e.status == status)
        .map(|e| e.detail.clone().unwrap_or(Value::Null))
        .collect();
    assert!(
        !found.is_empty(),
        "`{task}` has no {status:?} entry; the log:\n{}",
        outcome.log_text()
    );
    found
}

#[then(regex = r"^(\S+) should cancel$")]
async fn task_cancelled(world: &mut FlowWorld, task: String) {
    details(world.outcome().await, &task, TaskStatus::Cancelled);
}

#[then(regex = r"^(\S+) should complete$")]
async fn task_completed(world: &mut FlowWorld, task: String) {
    details(world.outcome().await, &task, TaskStatus::Completed);
}

#[then(regex = r"^(\S+) should complete with output:$")]
async fn task_output(world: &mut FlowWorld, task: String, step: &Step) {
    let expected = doc_yaml(step);
    let outcome = world.outcome().await;
    let outputs = details(outcome, &task, TaskStatus::Completed);
    assert!(
        outputs.iter().any(|o| equal(o, &expected)),
        "`{task}` completed with {outputs:?}, not\n{}",
        pretty(&expected)
    );
}

#[then(regex = r"^(\S+) should fault$")]
async fn task_faulted(world: &mut FlowWorld, task: String) {
    details(world.outcome().await, &task, TaskStatus::Faulted);
}

#[then(regex = r"^(\S+) should fault with error:$")]
async fn task_error(world: &mut FlowWorld, task: String, step: &Step) {
    let expected = doc_yaml(step);
    let outcome = world.outcome().await;
    let errors = details(outcome, &task, TaskStatus::Faulted);
    assert!(
        errors.iter().any(|e| contains(e, &expected)),
        "`{task}` faulted with {errors:?}, not\n{}",
        pretty(&expected)
    );
}

/// The task started but never completed (a lost race, a cancelled run).
#[then(regex = r"^(\S+) should not complete$")]
async fn task_not_completed(world: &mut FlowWorld, task: String) {
    let outcome = world.outcome().await;
    start_index(outcome, &task);
    let completed = outcome
        .of_task(&task)
        .any(|e| e.status == TaskStatus::Completed);
    assert!(
        !completed,
        "`{task}` completed; the log:\n{}",
        outcome.log_text()
    );
}

/// The task's `if` was false at least once (in a loop it may run in other iterations; pair
/// with `should run N times`).
#[then(regex = r"^(\S+) should be skipped$")]
async fn task_skipped(world: &mut FlowWorld, task: String) {
    details(world.outcome().await, &task, TaskStatus::Skipped);
}

/// Virtual time: only meaningful on a paused clock, where time moves only by timers.
fn virtual_elapsed(outcome: &Outcome) -> std::time::Duration {
    assert!(
        outcome.paused,
        "this run used the real clock (it talks to the local services); time checks need the paused clock"
    );
    outcome.elapsed
}

#[then(regex = r"^the clock should have advanced at least (\S+)$")]
async fn clock_at_least(world: &mut FlowWorld, text: String) {
    let elapsed = virtual_elapsed(world.outcome().await);
    let min = duration(&text);
    assert!(
        elapsed >= min,
        "the run took {elapsed:?} of virtual time, less than {min:?}"
    );
}

#[then(regex = r"^the clock should have advanced less than (\S+)$")]
async fn clock_less_than(world: &mut FlowWorld, text: String) {
    let elapsed = virtual_elapsed(world.outcome().await);
    let max = duration(&text);
    assert!(
        elapsed < max,
        "the run took {elapsed:?} of virtual time, not less than {max:?}"
    );
}
