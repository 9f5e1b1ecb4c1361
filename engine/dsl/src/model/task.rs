//! Tasks: the common properties and each task kind.

use crate::diagnostic::Pos;
use crate::model::call::Call;
use crate::model::data::{Export, Expression, Input, Output, Template};
use crate::model::events::{Emit, Listen};
use crate::model::policy::{DurationValue, ErrorFilter, ErrorRef, RetryRef, TimeoutRef};

/// An ordered list of named tasks (`do`, `try`, `fork.branches`, …).
pub type TaskList = Vec<NamedTask>;

/// A task with its name and its place in the document.
#[derive(Debug, Clone)]
pub struct NamedTask {
    /// The task's name, unique in its list.
    pub name: String,
    /// JSON pointer of the task (`/do/0/getPet`): the StepId base and an error's `instance`.
    pub pointer: String,
    /// Where the task's name is written.
    pub pos: Pos,
    /// The task as written, for `$task.definition`.
    pub definition: std::sync::Arc<serde_json::Value>,
    /// Whether any expression of the task reads `$task` (its descriptor is built only then).
    pub uses_task_descriptor: bool,
    /// The task.
    pub task: Task,
}

/// A task: common properties plus what it does.
#[derive(Debug, Clone)]
pub struct Task {
    /// Run only when this holds.
    pub if_: Option<Expression>,
    /// Input validation and transformation.
    pub input: Option<Input>,
    /// Output transformation and validation.
    pub output: Option<Output>,
    /// Context export.
    pub export: Option<Export>,
    /// Time limit.
    pub timeout: Option<TimeoutRef>,
    /// What runs next.
    pub then: Option<FlowDirective>,
    /// Free-form metadata.
    pub metadata: Option<serde_json::Value>,
    /// What the task does.
    pub kind: TaskKind,
}

/// What a task does.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per flow at load and shared behind an Arc; boxing would only add indirection"
)]
pub enum TaskKind {
    /// Call a function or HTTP endpoint.
    Call(Call),
    /// Run sub-tasks in order.
    Do(TaskList),
    /// Publish an event.
    Emit(Emit),
    /// Iterate.
    For(For),
    /// Run branches concurrently.
    Fork(Fork),
    /// Wait for events.
    Listen(Listen),
    /// Raise an error.
    Raise(Raise),
    /// Run another flow.
    RunWorkflow(RunWorkflow),
    /// Set data: an object template or one expression.
    Set(Template),
    /// Choose the next task.
    Switch(Vec<SwitchCase>),
    /// Handle errors.
    Try(Try),
    /// Pause.
    Wait(DurationValue),
}

impl TaskKind {
    /// The DSL keyword of this kind (`call`, `do`, …).
    pub fn keyword(&self) -> &'static str {
        match self {
            TaskKind::Call(_) => "call",
            TaskKind::Do(_) => "do",
            TaskKind::Emit(_) => "emit",
            TaskKind::For(_) => "for",
            TaskKind::Fork(_) => "fork",
            TaskKind::Listen(_) => "listen",
            TaskKind::Raise(_) => "raise",
            TaskKind::RunWorkflow(_) => "run",
            TaskKind::Set(_) => "set",
            TaskKind::Switch(_) => "switch",
            TaskKind::Try(_) => "try",
            TaskKind::Wait(_) => "wait",
        }
    }
}

/// Where the flow goes after a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowDirective {
    /// The next task in the list.
    Continue,
    /// Leave the current list.
    Exit,
    /// End the workflow.
    End,
    /// The named task in the same list (checked to exist).
    Goto(String),
}

impl FlowDirective {
    /// Parses a `then` value.
    pub fn parse(s: &str) -> Self {
        match s {
            "continue" => FlowDirective::Continue,
            "exit" => FlowDirective::Exit,
            "end" => FlowDirective::End,
            other => FlowDirective::Goto(other.to_owned()),
        }
    }
}

/// `for`.
#[derive(Debug, Clone)]
pub struct For {
    /// Item variable name (default `item`).
    pub each: String,
    /// The collection.
    pub in_: Expression,
    /// Index variable name (default `index`).
    pub at: String,
    /// Keep iterating while this holds.
    pub while_: Option<Expression>,
    /// Tasks per item.
    pub tasks: TaskList,
}

/// `fork`.
#[derive(Debug, Clone)]
pub struct Fork {
    /// The branches, in declaration order.
    pub branches: TaskList,
    /// Whether the first branch to finish wins and the others are cancelled.
    pub compete: bool,
}

/// `raise`.
#[derive(Debug, Clone)]
pub struct Raise {
    /// The error to raise.
    pub error: ErrorRef,
}

/// `run: workflow`.
#[derive(Debug, Clone)]
pub struct RunWorkflow {
    /// Namespace of the flow to run.
    pub namespace: String,
    /// Name of the flow to run.
    pub name: String,
    /// Version (`latest` when unset).
    pub version: String,
    /// Input for the child run.
    pub input: Option<Template>,
    /// Whether to wait for the child (default true).
    pub await_: bool,
}

/// A `switch` case.
#[derive(Debug, Clone)]
pub struct SwitchCase {
    /// The case's name.
    pub name: String,
    /// Condition; unset for the default case.
    pub when: Option<Expression>,
    /// Where to go when it matches.
    pub then: FlowDirective,
    /// Where the case is written.
    pub pos: Pos,
}

/// `try` / `catch`.
#[derive(Debug, Clone)]
pub struct Try {
    /// The tasks to attempt.
    pub tasks: TaskList,
    /// How errors are handled.
    pub catch: Catch,
}

/// `catch`.
#[derive(Debug, Clone)]
pub struct Catch {
    /// Which errors.
    pub errors: ErrorFilter,
    /// Variable name for the error (default `error`).
    pub as_: String,
    /// Catch only when this holds.
    pub when: Option<Expression>,
    /// Do not catch when this holds.
    pub except_when: Option<Expression>,
    /// Retry the tasks instead of (before) handling.
    pub retry: Option<RetryRef>,
    /// Tasks run on a caught error.
    pub tasks: Option<TaskList>,
}
