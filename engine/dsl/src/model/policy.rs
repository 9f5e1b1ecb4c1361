//! Errors, retries and timeouts: the policies tasks and `use` share.

use std::time::Duration;

use crate::model::data::{Expression, Template};

/// A duration that is either fixed in the definition or computed at run time.
#[derive(Debug, Clone)]
pub enum DurationValue {
    /// A fixed duration.
    Fixed(Duration),
    /// An expression that yields an ISO 8601 string, a duration object or milliseconds.
    Expr(Expression),
}

/// `timeout`: how long a task or workflow may take.
#[derive(Debug, Clone)]
pub struct Timeout {
    /// The limit.
    pub after: DurationValue,
}

/// A timeout given inline or by name from `use.timeouts`.
#[derive(Debug, Clone)]
pub enum TimeoutRef {
    /// Named in `use.timeouts` (checked to exist).
    Named(String),
    /// Written in place.
    Inline(Timeout),
}

/// An error definition (RFC 7807 problem), fields may be expressions.
#[derive(Debug, Clone)]
pub struct ErrorDef {
    /// The error type URI.
    pub type_: Template,
    /// The status code.
    pub status: Template,
    /// A short title.
    pub title: Option<Template>,
    /// Details of this occurrence.
    pub detail: Option<Template>,
    /// Instance pointer; the runtime sets it when absent.
    pub instance: Option<Template>,
}

/// An error given inline or by name from `use.errors`.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per flow at load and shared behind an Arc; boxing would only add indirection"
)]
pub enum ErrorRef {
    /// Named in `use.errors` (checked to exist).
    Named(String),
    /// Written in place.
    Inline(ErrorDef),
}

/// `catch.errors.with`: which errors a catch applies to; unset fields match anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorFilter {
    /// Error type URI.
    pub type_: Option<String>,
    /// Status code.
    pub status: Option<i64>,
    /// Instance pointer.
    pub instance: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Details.
    pub detail: Option<String>,
}

/// A retry policy.
#[derive(Debug, Clone, Default)]
pub struct RetryPolicy {
    /// Retry only when this holds.
    pub when: Option<Expression>,
    /// Do not retry when this holds.
    pub except_when: Option<Expression>,
    /// Base delay between attempts.
    pub delay: Option<Duration>,
    /// How the delay grows.
    pub backoff: Backoff,
    /// Limits on attempts and time.
    pub limit: RetryLimit,
    /// Random spread added to each delay.
    pub jitter: Option<Jitter>,
}

/// How a retry delay grows with attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backoff {
    /// The same delay every time.
    #[default]
    Constant,
    /// delay × attempt.
    Linear,
    /// delay × 2^(attempt-1).
    Exponential,
}

/// Retry limits.
#[derive(Debug, Clone, Default)]
pub struct RetryLimit {
    /// Most retry attempts.
    pub attempt_count: Option<u32>,
    /// Longest one attempt may take.
    pub attempt_duration: Option<Duration>,
    /// Longest all attempts together may take.
    pub duration: Option<Duration>,
}

/// A random extra delay between `from` and `to`.
#[derive(Debug, Clone, Copy)]
pub struct Jitter {
    /// Least extra delay.
    pub from: Duration,
    /// Most extra delay.
    pub to: Duration,
}

/// A retry policy given inline or by name from `use.retries`.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per flow at load and shared behind an Arc; boxing would only add indirection"
)]
pub enum RetryRef {
    /// Named in `use.retries` (checked to exist).
    Named(String),
    /// Written in place.
    Inline(RetryPolicy),
}
