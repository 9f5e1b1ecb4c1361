//! Writes a [`Chart`] as a Mermaid flowchart.
//!
//! Labels are always double-quoted, so only `"` ends them; the characters Mermaid or the browser
//! would read as markup are written as Mermaid entity codes (`#quot;`, `#lt;`, `#35;`), which
//! Mermaid turns back into the characters when it draws.

use std::fmt::Write as _;

use crate::render::graph::chart::{Chart, Item, Line, Shape, Tail};

/// The Mermaid source of `chart`.
pub(crate) fn write(chart: &Chart) -> String {
    let mut out = String::new();
    // The title goes in front matter as a JSON string, which is also a valid YAML scalar. Mermaid
    // shows it as sanitised HTML without reading entity codes, so a title with markup characters
    // gives way to the flow's reference, which never has any.
    let shown = if chart.title.contains(['<', '>', '&']) {
        &chart.reference
    } else {
        &chart.title
    };
    let title = serde_json::Value::String(shown.clone());
    let _ = writeln!(out, "---\ntitle: {title}\n---\nflowchart TD");
    items(&chart.items, 1, &mut out);
    for e in &chart.edges {
        let from = match &e.from {
            Tail::Node(id) | Tail::Group { id, .. } => id.as_str(),
        };
        let arrow = match e.line {
            Line::Solid => "-->",
            Line::Dashed => "-.->",
        };
        if e.label.is_empty() {
            let _ = writeln!(out, "    {from} {arrow} {}", e.to);
        } else {
            let guard = guard_colons(&[from, &e.to], &e.label);
            let _ = writeln!(
                out,
                "    {from} {arrow}|\"{}\"| {}",
                label(&e.label, guard),
                e.to
            );
        }
    }
    for (shape, class, style) in CLASSES {
        let ids = ids_of(&chart.items, shape);
        if !ids.is_empty() {
            let _ = writeln!(out, "    classDef {class} {style}");
            let _ = writeln!(out, "    class {} {class}", ids.join(","));
        }
    }
    out
}

fn items(list: &[Item], depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    for item in list {
        match item {
            Item::Node(n) => {
                let (open, close) = brackets(n.shape);
                let guard = guard_colons(&[&n.id], &n.lines);
                let _ = writeln!(
                    out,
                    "{indent}{}{open}\"{}\"{close}",
                    n.id,
                    label(&n.lines, guard)
                );
            }
            Item::Group(g) => {
                let lines = [g.label.clone()];
                let guard = guard_colons(&[&g.id], &lines);
                let _ = writeln!(
                    out,
                    "{indent}subgraph {} [\"{}\"]",
                    g.id,
                    label(&lines, guard)
                );
                items(&g.items, depth + 1, out);
                let _ = writeln!(out, "{indent}end");
            }
        }
    }
}

/// Shapes that Mermaid cannot tell apart by outline alone, with the class and style that do.
const CLASSES: [(Shape, &str, &str); 2] = [
    (Shape::Failed, "failed", "stroke:#cc0000,color:#cc0000"),
    (
        Shape::Catch,
        "caught",
        "stroke:#b45309,stroke-dasharray:5 5",
    ),
];

/// Ids of the nodes of `shape`, at any depth.
fn ids_of(list: &[Item], shape: Shape) -> Vec<&str> {
    let mut out = Vec::new();
    for item in list {
        match item {
            Item::Node(n) if n.shape == shape => out.push(n.id.as_str()),
            Item::Node(_) => {}
            Item::Group(g) => out.extend(ids_of(&g.items, shape)),
        }
    }
    out
}

/// Mermaid's opening and closing brackets for a shape.
fn brackets(shape: Shape) -> (&'static str, &'static str) {
    match shape {
        Shape::Trigger => ("[\\", "\\]"),
        Shape::Start => ("((", "))"),
        Shape::End | Shape::Failed => ("(((", ")))"),
        Shape::Step => ("(", ")"),
        Shape::Call => ("[", "]"),
        Shape::Decision => ("{", "}"),
        Shape::Waiting => ("([", "])"),
        Shape::Loop => ("{{", "}}"),
        Shape::Subflow => ("[[", "]]"),
        Shape::Emit => ("[/", "/]"),
        Shape::Raise => (">", "]"),
        Shape::Catch => ("(", ")"),
        Shape::Split => ("[/", "\\]"),
        Shape::Join => ("[\\", "/]"),
    }
}

/// Label lines, escaped, joined with Mermaid's line break.
fn label(lines: &[String], guard_colons: bool) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l, guard_colons)).collect();
    escaped.join("<br/>")
}

/// Mermaid drops the last `;` of any source line matching `style.*:\S*#.*;` or
/// `classDef.*:\S*#.*;` before it reads entity codes, which would break an escaped label on
/// such a line. Writing `:` as `#58;` on lines that mention either word keeps them intact.
fn guard_colons(ids: &[&str], lines: &[String]) -> bool {
    let risky = |s: &str| s.contains("style") || s.contains("classDef");
    ids.iter().any(|s| risky(s)) || lines.iter().any(|s| risky(s))
}

/// Escapes one label line for a double-quoted Mermaid string.
fn escape(text: &str, guard_colons: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            // A label starting with a backtick would be read as a Markdown string.
            '`' => out.push_str("#96;"),
            // Mermaid turns `\n` into a line break even when the backslash is an entity code, so an
            // invisible zero-width space keeps a literal `\n` apart.
            '\\' => out.push_str(if chars.peek() == Some(&'n') {
                "#92;\u{200B}"
            } else {
                "#92;"
            }),
            ':' if guard_colons => out.push_str("#58;"),
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
    fn escape_writes_markup_as_entity_codes() {
        assert_eq!(
            escape(r#"a "b" <c> #1 & `d`"#, false),
            "a #quot;b#quot; #lt;c#gt; #35;1 #amp; #96;d#96;"
        );
        assert_eq!(escape("line\nbreak", false), "line break");
        assert_eq!(escape(r"a\nb \x", false), "a#92;\u{200B}nb #92;x");
        assert_eq!(escape("[x] {y} (z) |w|", false), "[x] {y} (z) |w|");
    }

    #[test]
    fn colons_are_guarded_only_where_mermaid_would_cut() {
        assert_eq!(escape("a: b", true), "a#58; b");
        assert!(guard_colons(&["t_do_0_restyle"], &[]));
        assert!(guard_colons(&["t"], &["classDef x".to_owned()]));
        assert!(!guard_colons(&["t_do_0_x"], &["listen: type=x".to_owned()]));
    }
}
