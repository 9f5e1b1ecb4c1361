//! The validated model of a DSL 1.0.3 flow: what the loader guarantees to everything downstream.

mod auth;
mod call;
mod data;
mod events;
mod interest;
mod policy;
mod task;

use std::collections::BTreeMap;

pub use auth::{AuthRef, AuthScheme, Authentication, BasicAuth, BearerAuth, Credentials, OAuth2};
pub use call::{Call, Endpoint, FunctionCall, HttpCall, HttpOutput, OpenApiCall, UriValue};
pub use data::{Export, Expression, Input, Output, Schema, Template};
pub use events::{
    Consumption, Correlation, Emit, EventFilter, FilterValue, Listen, ReadMode,
    SubscriptionIterator, Until,
};
pub use interest::{ListenedTypes, listened_types};
pub use policy::{
    Backoff, DurationValue, ErrorDef, ErrorFilter, ErrorRef, Jitter, RetryLimit, RetryPolicy,
    RetryRef, Timeout, TimeoutRef,
};
pub use task::{
    Catch, FlowDirective, For, Fork, NamedTask, Raise, RunWorkflow, SwitchCase, Task, TaskKind,
    TaskList, Try,
};

use crate::diagnostic::Pos;

/// A loaded and validated flow definition.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Who the flow is.
    pub document: Document,
    /// How the flow's input is checked and shaped.
    pub input: Option<Input>,
    /// Reusable components.
    pub uses: Use,
    /// The tasks, in order (`do`).
    pub tasks: TaskList,
    /// The workflow's timeout.
    pub timeout: Option<TimeoutRef>,
    /// How the flow's output is shaped and checked.
    pub output: Option<Output>,
    /// What starts the flow besides explicit requests.
    pub schedule: Option<Schedule>,
    /// How runtime expressions are evaluated.
    pub evaluate: Evaluate,
    /// The definition as written, for `$workflow.definition`.
    pub definition: std::sync::Arc<serde_json::Value>,
    /// Whether any expression reads `$workflow` (its `startedAt` costs a durable clock read).
    pub uses_workflow_descriptor: bool,
}

/// The `document` block.
#[derive(Debug, Clone)]
pub struct Document {
    /// DSL version, `1.0.x`.
    pub dsl: String,
    /// Namespace (a DSL name).
    pub namespace: String,
    /// Name (a DSL name).
    pub name: String,
    /// Semantic version of the flow.
    pub version: String,
    /// Title, if any.
    pub title: Option<String>,
    /// Markdown summary, if any.
    pub summary: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Free-form metadata.
    pub metadata: Option<serde_json::Value>,
}

impl Document {
    /// `namespace/name:version`, how runs and deploys name a flow.
    pub fn reference(&self) -> String {
        format!("{}/{}:{}", self.namespace, self.name, self.version)
    }
}

/// The `use` block: reusable components, by name.
#[derive(Debug, Clone, Default)]
pub struct Use {
    /// Authentication policies.
    pub authentications: BTreeMap<String, Authentication>,
    /// Errors for `raise`.
    pub errors: BTreeMap<String, ErrorDef>,
    /// Custom functions: a task called by name.
    pub functions: BTreeMap<String, Task>,
    /// Retry policies.
    pub retries: BTreeMap<String, RetryPolicy>,
    /// Names of the secrets the flow may read.
    pub secrets: Vec<String>,
    /// Timeouts.
    pub timeouts: BTreeMap<String, Timeout>,
}

/// The `schedule` block.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Start a run at this interval.
    pub every: Option<std::time::Duration>,
    /// Start runs on this cron expression (5 or 6 fields).
    pub cron: Option<String>,
    /// Start a run this long after the previous one completes.
    pub after: Option<std::time::Duration>,
    /// Start a run when these events arrive.
    pub on: Option<Consumption>,
    /// Where the block is.
    pub pos: Pos,
}

/// The `evaluate` block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evaluate {
    /// Strict (only `${ }` strings are expressions) or loose.
    pub mode: EvalMode,
}

/// How strings in values are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EvalMode {
    /// Only strings written `${ … }` are expressions.
    #[default]
    Strict,
    /// Every string is tried as an expression; one that fails stays a string.
    Loose,
}
