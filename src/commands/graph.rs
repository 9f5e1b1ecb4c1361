//! `shopflow graph FILE [--format dot]`: the flow as a Mermaid or Graphviz diagram on stdout.

use std::path::Path;
use std::process::ExitCode;

use shopflow_dsl::render::graph;

use crate::commands::load_valid;

/// Prints the diagram of the flow in `file`: Graphviz when `dot`, Mermaid otherwise.
pub fn run(file: &Path, dot: bool) -> ExitCode {
    let loaded = match load_valid(file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let text = if dot {
        graph::dot(&loaded.workflow)
    } else {
        graph::mermaid(&loaded.workflow)
    };
    print!("{text}");
    ExitCode::SUCCESS
}
