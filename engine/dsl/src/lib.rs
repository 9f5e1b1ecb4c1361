//! The Serverless Workflow DSL 1.0.3 as shopflow reads it: YAML with positions, a typed model,
//! a validator that reports every problem at once, and jq runtime expressions.
//!
//! ```
//! let yaml = b"document: {dsl: '1.0.3', namespace: demo, name: hello, version: '1.0.0'}\ndo:\n  - greet:\n      set: { message: hello }\n";
//! let loaded = shopflow_dsl::load(yaml, &["noop"]).expect("valid");
//! assert_eq!(loaded.workflow.document.name, "hello");
//! ```

pub mod diagnostic;
pub mod expr;
pub mod model;
mod parse;
pub mod render;
pub mod schema;
pub mod yaml;

use std::collections::BTreeSet;

pub use diagnostic::{Code, Diagnostic, Pos, Severity};
pub use model::Workflow;
pub use parse::{parse_cron, parse_iso8601};

/// A flow that loaded and validated, with any warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated flow.
    pub workflow: Workflow,
    /// Problems that do not stop the flow from running.
    pub warnings: Vec<Diagnostic>,
}

/// Loads and validates a flow from its bytes. `builtins` names the functions `call:` may use
/// besides `http` and `use.functions`.
///
/// On failure every problem found is returned, sorted by position (errors and warnings).
pub fn load(bytes: &[u8], builtins: &[&str]) -> Result<Loaded, Vec<Diagnostic>> {
    let root = yaml::load_bytes(bytes).map_err(|d| vec![d])?;
    let mut ctx = parse::Ctx::new(
        builtins
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>(),
    );
    let workflow = parse::parse_workflow(&mut ctx, &root);
    parse::finish_jumps(&mut ctx);
    let mut diags = ctx.diags;
    diags.sort_by(|a, b| a.pos.cmp(&b.pos).then(a.code.cmp(&b.code)));
    diags.dedup();
    match workflow {
        Some(workflow) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded {
            workflow,
            warnings: diags,
        }),
        _ => {
            if !diags.iter().any(Diagnostic::is_error) {
                // Every failed parse reports why; this guards the invariant without panicking.
                diags.push(Diagnostic::new(
                    Code::YamlSyntax,
                    root.pos,
                    "",
                    "the flow could not be read",
                ));
            }
            Err(diags)
        }
    }
}
