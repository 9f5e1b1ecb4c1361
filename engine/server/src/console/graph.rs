//! A flow's graph as SVG, drawn on the server by Graphviz (`dot -Tsvg`) from the DSL crate's
//! DOT, with the tasks a run has passed shaded green and the ones it is at now yellow.
//!
//! **Why Graphviz:** the DSL crate already writes DOT with groups for nested task lists, and
//! `dot` lays out such graphs (clusters, back edges for loops and `then` jumps) far better
//! than a layout of our own would; Debian packages it (`graphviz`, installed by
//! `scripts/setup.sh`). Without it the page shows the Mermaid source instead.

use std::process::Stdio;
use std::time::Duration;

use shopflow_dsl::Workflow;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The longest `dot` may take; a flow that takes longer is shown as Mermaid text.
const DOT_TIMEOUT: Duration = Duration::from_secs(10);

/// The graph's node id of the task at `pointer`, as the DSL crate writes it.
pub use shopflow_dsl::render::graph::task_id as node_id;

/// `dot` with the nodes of `visited` shaded green and those of `current` yellow (statements
/// after the graph's own: Graphviz lets a later statement set a node's attributes).
pub fn highlighted_dot(wf: &Workflow, visited: &[String], current: &[String]) -> String {
    let dot = shopflow_dsl::render::graph::dot(wf);
    // Tasks that hold others are drawn as frames (clusters), not nodes: only nodes are shaded.
    let is_node = |p: &&String| dot.contains(&format!(" {} [label=", node_id(p)));
    let mut extra = String::new();
    for p in visited
        .iter()
        .filter(|p| !current.contains(p))
        .filter(is_node)
    {
        extra.push_str(&format!(
            "    {} [style=\"rounded,filled\", fillcolor=\"#dcfce7\"];\n",
            node_id(p)
        ));
    }
    for p in current.iter().filter(is_node) {
        extra.push_str(&format!(
            "    {} [style=\"rounded,filled,bold\", fillcolor=\"#fde68a\", color=\"#b45309\", penwidth=3];\n",
            node_id(p)
        ));
    }
    match dot.rfind('}') {
        Some(end) => format!("{}{extra}{}", &dot[..end], &dot[end..]),
        None => dot,
    }
}

/// The SVG of `dot` (its `<svg>` element, without the XML prologue), or why there is none.
pub async fn svg(dot: &str) -> Result<String, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run Graphviz `dot` ({e}); install the graphviz package"))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| "dot has no standard input".to_owned())?;
    let input = dot.as_bytes().to_vec();
    let write = async move {
        let _ = stdin.write_all(&input).await;
        drop(stdin);
    };
    let run = async {
        write.await;
        child.wait_with_output().await
    };
    let output = tokio::time::timeout(DOT_TIMEOUT, run)
        .await
        .map_err(|_| "dot took too long".to_owned())?
        .map_err(|e| format!("dot failed: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match text.find("<svg") {
        Some(start) => Ok(text[start..].to_owned()),
        None => Err("dot wrote no SVG".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_follow_the_dsl_crate() {
        assert_eq!(node_id("/do/0/getPet"), "t_do_0_getPet");
        let wf = shopflow_dsl::load(
            b"document: {dsl: '1.0.3', namespace: t, name: f, version: '1.0.0'}\ndo:\n  - a:\n      set: {x: 1}\n  - b:\n      set: {y: 2}\n",
            &[],
        )
        .expect("valid")
        .workflow;
        let dot = highlighted_dot(&wf, &["/do/0/a".into()], &["/do/1/b".into()]);
        assert!(dot.contains("t_do_0_a [label="), "{dot}");
        assert!(
            dot.contains("t_do_1_b [style=\"rounded,filled,bold\""),
            "{dot}"
        );
        assert!(dot.trim_end().ends_with('}'));
    }

    #[tokio::test]
    async fn graphviz_draws_svg_when_installed() {
        match svg("digraph g { a -> b; }").await {
            Ok(svg) => assert!(svg.starts_with("<svg")),
            // scripts/setup.sh installs it; a machine without it shows Mermaid text.
            Err(e) => assert!(e.contains("graphviz") || e.contains("dot"), "{e}"),
        }
    }
}
