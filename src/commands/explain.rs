//! `shopflow explain FILE`: the flow described in plain words on stdout.

use std::path::Path;
use std::process::ExitCode;

use shopflow_dsl::render::explain;

use crate::commands::load_valid;

/// Prints the plain-words description of the flow in `file`.
pub fn run(file: &Path) -> ExitCode {
    let loaded = match load_valid(file) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    print!("{}", explain::explain(&loaded.workflow));
    ExitCode::SUCCESS
}
