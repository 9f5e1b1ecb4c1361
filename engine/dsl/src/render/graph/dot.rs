//! Writes a [`Chart`] as a Graphviz `digraph`.
//!
//! Ids are plain (`[A-Za-z0-9_]`, never a keyword); labels are double-quoted strings, where
//! only `"` and `\` need escaping (`<`, `>`, `{`, `|` matter only in HTML and record labels,
//! which are not used).

use std::fmt::Write as _;

use crate::render::graph::chart::{Chart, Item, Line, Shape, Tail};

/// The Graphviz source of `chart`.
pub(crate) fn write(chart: &Chart) -> String {
    let mut out = String::from("digraph workflow {\n");
    let _ = writeln!(
        out,
        "    graph [label=\"{}\", labelloc=t, fontname=\"Helvetica\", compound=true];",
        escape(&chart.title)
    );
    out.push_str("    node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
    items(&chart.items, 1, &mut out);
    for e in &chart.edges {
        let mut attrs = Vec::new();
        if !e.label.is_empty() {
            attrs.push(format!("label=\"{}\"", label(&e.label)));
        }
        if e.line == Line::Dashed {
            attrs.push("style=dashed".to_owned());
        }
        let from = match &e.from {
            Tail::Node(id) => id,
            Tail::Group { id, inside } => {
                attrs.push(format!("ltail=cluster_{id}"));
                inside
            }
        };
        if attrs.is_empty() {
            let _ = writeln!(out, "    {from} -> {};", e.to);
        } else {
            let _ = writeln!(out, "    {from} -> {} [{}];", e.to, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

fn items(list: &[Item], depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    for item in list {
        match item {
            Item::Node(n) => {
                let _ = writeln!(
                    out,
                    "{indent}{} [label=\"{}\", {}];",
                    n.id,
                    label(&n.lines),
                    shape(n.shape)
                );
            }
            Item::Group(g) => {
                let _ = writeln!(out, "{indent}subgraph cluster_{} {{", g.id);
                let _ = writeln!(out, "{indent}    label=\"{}\";", escape(&g.label));
                let _ = writeln!(out, "{indent}    style=\"rounded,dashed\";");
                items(&g.items, depth + 1, out);
                let _ = writeln!(out, "{indent}}}");
            }
        }
    }
}

/// Graphviz node attributes for a shape.
fn shape(shape: Shape) -> &'static str {
    match shape {
        Shape::Trigger => "shape=cds",
        Shape::Start => "shape=circle",
        Shape::End => "shape=doublecircle",
        Shape::Failed => "shape=doublecircle, color=\"#cc0000\", fontcolor=\"#cc0000\"",
        Shape::Step => "shape=box, style=rounded",
        Shape::Call => "shape=box",
        Shape::Decision => "shape=diamond",
        Shape::Waiting => "shape=box, style=\"rounded,filled\", fillcolor=\"#fff4cc\"",
        Shape::Loop => "shape=hexagon",
        Shape::Subflow => "shape=box, peripheries=2",
        Shape::Emit => "shape=parallelogram",
        Shape::Raise => "shape=octagon",
        Shape::Catch => "shape=box, style=\"rounded,dashed\", color=\"#b45309\"",
        Shape::Split => "shape=trapezium",
        Shape::Join => "shape=invtrapezium",
    }
}

/// Label lines, escaped, joined with Graphviz's centred line break.
fn label(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    escaped.join("\\n")
}

/// Escapes text for a double-quoted Graphviz string.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            // A bare backslash would start an escape (`\n`, `\N`, `\G`, …).
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_quotes_and_backslashes_literal() {
        assert_eq!(escape(r#"say "hi" \n"#), r#"say \"hi\" \\n"#);
        assert_eq!(escape("<a> {b|c}"), "<a> {b|c}");
    }
}
