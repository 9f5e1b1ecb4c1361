//! Shows a validated flow to people: as a diagram (Mermaid or Graphviz) and in plain words.

mod calls;
mod duration;
mod events;
pub mod explain;
pub mod graph;
mod medium;
mod policies;
