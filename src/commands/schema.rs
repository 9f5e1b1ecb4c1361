//! `shopflow schema`: prints the JSON Schema of the flows shopflow accepts, for YAML editors.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::commands::builtin_functions;

/// Prints the schema, pretty, on stdout; 0 unless stdout cannot be written.
pub fn run() -> ExitCode {
    let functions = builtin_functions();
    let functions: Vec<(&str, &str)> = functions.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    let schema = shopflow_dsl::schema::json_schema(&functions);
    let text = match serde_json::to_string_pretty(&schema) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot render the schema: {e}");
            return ExitCode::from(1);
        }
    };
    match writeln!(io::stdout().lock(), "{text}") {
        Ok(()) => ExitCode::SUCCESS,
        // `shopflow schema | head` closing the pipe early is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the schema: {e}");
            ExitCode::from(1)
        }
    }
}
