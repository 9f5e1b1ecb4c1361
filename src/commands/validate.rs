//! `shopflow validate FILE...`: every problem of every file, compiler style.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands::{LoadFailure, load_file, print_diagnostics};

/// Validates each file; 0 when all are valid, 1 otherwise.
pub fn run(files: &[PathBuf], deny_warnings: bool) -> ExitCode {
    let mut failed = 0usize;
    for path in files {
        match load_file(path) {
            Ok(loaded) => {
                print_diagnostics(path, &loaded.warnings);
                if deny_warnings && !loaded.warnings.is_empty() {
                    failed += 1;
                } else {
                    println!(
                        "{}: ok ({})",
                        path.display(),
                        loaded.workflow.document.reference()
                    );
                }
            }
            Err(LoadFailure::Unreadable(e)) => {
                eprintln!("{}: error: cannot read the file: {e}", path.display());
                failed += 1;
            }
            Err(LoadFailure::Invalid(diags)) => {
                print_diagnostics(path, &diags);
                let errors = diags.iter().filter(|d| d.is_error()).count();
                eprintln!(
                    "{}: {errors} error{}",
                    path.display(),
                    if errors == 1 { "" } else { "s" }
                );
                failed += 1;
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
