//! Events: `emit`, `listen`, event filters and consumption strategies.

use crate::diagnostic::Pos;
use crate::model::data::{Export, Expression, Output, Template};
use crate::model::task::TaskList;

/// `emit`: publish a CloudEvent.
#[derive(Debug, Clone)]
pub struct Emit {
    /// The event's attributes and data (`emit.event.with`).
    pub event: Template,
}

/// `listen`: wait for events.
#[derive(Debug, Clone)]
pub struct Listen {
    /// Which events, and how many.
    pub to: Consumption,
    /// What of each event becomes data.
    pub read: ReadMode,
    /// Tasks run for each consumed event.
    pub foreach: Option<SubscriptionIterator>,
}

/// How events are consumed.
#[derive(Debug, Clone)]
pub enum Consumption {
    /// Every filter must match one event.
    All(Vec<EventFilter>),
    /// Any matching event; keep consuming until `until` (or stop at the first when unset).
    Any {
        /// The filters; empty means any event.
        filters: Vec<EventFilter>,
        /// When to stop.
        until: Option<Box<Until>>,
    },
    /// Exactly one event matching the filter.
    One(EventFilter),
}

/// When a `listen … any` stops.
#[derive(Debug, Clone)]
pub enum Until {
    /// When this expression over the consumed events holds.
    Expr(Expression),
    /// When these events have been consumed.
    Events(Consumption),
}

/// What of an event a `listen` reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// The event's data.
    #[default]
    Data,
    /// The whole CloudEvent.
    Envelope,
    /// The data, undecoded.
    Raw,
}

/// Matches events by attributes and correlation.
#[derive(Debug, Clone)]
pub struct EventFilter {
    /// Attribute name → what its value must be.
    pub with: Vec<(String, FilterValue)>,
    /// Correlations to hold between events and the run.
    pub correlate: Vec<(String, Correlation)>,
    /// Where the filter is written.
    pub pos: Pos,
}

/// What an event attribute must be.
#[derive(Debug, Clone)]
pub enum FilterValue {
    /// Equal to this value (strings may also match as a whole-string regular expression).
    Value(serde_json::Value),
    /// This expression, run on the attribute's value, must be true.
    Expr(Expression),
}

/// One correlation of a filter.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// Extracts the value from the event.
    pub from: Expression,
    /// What the value must be; unset means "the first value seen".
    pub expect: Option<Template>,
}

/// `foreach` of a `listen`: tasks run for every consumed event.
#[derive(Debug, Clone)]
pub struct SubscriptionIterator {
    /// Variable name of the event (default `item`).
    pub item: String,
    /// Variable name of its index (default `index`).
    pub at: String,
    /// Tasks per event.
    pub tasks: TaskList,
    /// Output of each iteration.
    pub output: Option<Output>,
    /// Export of each iteration.
    pub export: Option<Export>,
}
