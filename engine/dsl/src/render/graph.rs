//! Diagrams of a flow: Mermaid flowcharts and Graphviz `dot`, both drawn from one chart model.
//!
//! Every task becomes a node, or a group when it holds tasks (`do`, `try`, `for` bodies, `fork`).
//! Ids come from the task's JSON pointer, so they stay the same while the task keeps its place.
//! Arrows follow `then` (backward jumps too), `switch` cases (captioned with their condition),
//! loops back to their head, fork branches to their join, and a dashed `catch` arrow captioned
//! with the errors caught and the retry policy. A task with `if` gets a dashed skip arrow.

mod build;
mod chart;
mod dot;
mod labels;
mod mermaid;

use crate::model::Workflow;

pub use build::task_id;

/// The flow as a Mermaid flowchart (`flowchart TD`).
pub fn mermaid(wf: &Workflow) -> String {
    mermaid::write(&build::chart(wf))
}

/// The flow as a Graphviz `digraph`.
pub fn dot(wf: &Workflow) -> String {
    dot::write(&build::chart(wf))
}
