//! Turns a flow into a [`Chart`]: a node per simple task, a group per nested list, and arrows that
//! follow `then`, `switch` cases, loops, fork branches, `catch` paths and `if` skips.

mod nested;

use std::collections::BTreeSet;

use crate::model::{FlowDirective, NamedTask, TaskKind, Workflow};
use crate::render::graph::chart::{Chart, Edge, Item, Line, Node, Shape, Tail};
use crate::render::graph::labels;
use crate::render::medium::Medium;

/// Id of the node that shows what starts the flow besides requests (schedule, events).
const TRIGGER: &str = "wf_trigger";
/// Id of the start node.
const START: &str = "wf_start";
/// Id of the end node.
const END: &str = "wf_end";
/// Id of the node for an uncaught raised error.
const FAILED: &str = "wf_failed";

/// Draws `wf`.
pub(crate) fn chart(wf: &Workflow) -> Chart {
    let mut b = Builder {
        wf,
        taken: [TRIGGER, START, END, FAILED].map(str::to_owned).into(),
        edges: Vec::new(),
        failed: false,
    };
    let mut items = Vec::new();
    let triggers = labels::triggers(wf);
    if !triggers.is_empty() {
        items.push(Item::Node(Node {
            id: TRIGGER.to_owned(),
            lines: triggers,
            shape: Shape::Trigger,
        }));
        b.edge(
            Tail::Node(TRIGGER.to_owned()),
            START,
            Vec::new(),
            Line::Solid,
        );
    }
    items.push(Item::Node(Node {
        id: START.to_owned(),
        lines: vec!["start".to_owned()],
        shape: Shape::Start,
    }));
    let span = b.list(&wf.tasks, &mut items, Scope { in_try: false }, "t");
    b.edge(
        Tail::Node(START.to_owned()),
        &span.entry,
        Vec::new(),
        Line::Solid,
    );
    for exit in span.exits {
        b.connect(exit, END);
    }
    // A flow that always fails never reaches its end.
    if b.edges.iter().any(|e| e.to == END) {
        items.push(Item::Node(Node {
            id: END.to_owned(),
            lines: vec!["end".to_owned()],
            shape: Shape::End,
        }));
    }
    if b.failed {
        items.push(Item::Node(Node {
            id: FAILED.to_owned(),
            lines: vec!["failed".to_owned()],
            shape: Shape::Failed,
        }));
    }
    let title = match &wf.document.title {
        Some(t) => format!("{t} ({})", wf.document.reference()),
        None => wf.document.reference(),
    };
    let mut edges = b.edges;
    // Arrows in the order their tails are declared, so the source reads top-down.
    let mut order = Vec::new();
    declaration_order(&items, &mut order);
    edges.sort_by_key(|e| {
        let (Tail::Node(id) | Tail::Group { id, .. }) = &e.from;
        order.iter().position(|o| o == id)
    });
    Chart {
        title,
        reference: wf.document.reference(),
        items,
        edges,
    }
}

/// Ids of nodes and groups as they are declared, each group before what it holds.
fn declaration_order<'a>(items: &'a [Item], out: &mut Vec<&'a str>) {
    for item in items {
        match item {
            Item::Node(n) => out.push(&n.id),
            Item::Group(g) => {
                out.push(&g.id);
                declaration_order(&g.items, out);
            }
        }
    }
}

/// The id of the task at `pointer`: `t` then the pointer with every character that is not an
/// ASCII letter or digit replaced by `_` (`/do/0/getPet` → `t_do_0_getPet`).
pub fn task_id(pointer: &str) -> String {
    std::iter::once('t')
        .chain(
            pointer
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        )
        .collect()
}

/// What holds for every task of a list.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// A raised error is handled by an enclosing `catch`, whose own arrow shows it.
    in_try: bool,
}

/// An arrow that waits for its head: where control goes once a piece is done.
struct Exit {
    from: Tail,
    label: Vec<String>,
    line: Line,
}

impl Exit {
    fn from_node(id: &str, label: Vec<String>) -> Self {
        Exit {
            from: Tail::Node(id.to_owned()),
            label,
            line: Line::Solid,
        }
    }
}

/// A drawn task: where control enters, how it leaves and along which directive, and what an
/// `if` skip arrow starts from.
struct Drawn {
    entry: String,
    exits: Vec<(Exit, FlowDirective)>,
    origin: Tail,
}

/// A drawn task list: where control enters, and the arrows that leave the list.
struct Span {
    entry: String,
    exits: Vec<Exit>,
}

struct Builder<'w> {
    wf: &'w Workflow,
    /// Ids in use; a clash (possible only with odd task names) gets a numeric suffix.
    taken: BTreeSet<String>,
    edges: Vec<Edge>,
    /// Whether some raise is not inside a `try`, so the "failed" node is drawn.
    failed: bool,
}

impl Builder<'_> {
    fn unique(&mut self, base: String) -> String {
        let mut id = base.clone();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        id
    }

    fn edge(&mut self, from: Tail, to: &str, label: Vec<String>, line: Line) {
        self.edges.push(Edge {
            from,
            to: to.to_owned(),
            label,
            line,
        });
    }

    fn connect(&mut self, exit: Exit, to: &str) {
        self.edge(exit.from, to, exit.label, exit.line);
    }

    /// Draws a list into `out`; `owner` names the list for the placeholder of an empty one.
    fn list(
        &mut self,
        tasks: &[NamedTask],
        out: &mut Vec<Item>,
        scope: Scope,
        owner: &str,
    ) -> Span {
        if tasks.is_empty() {
            // The validator rejects empty lists; a hand-built model still draws.
            let id = self.unique(format!("{owner}__empty"));
            out.push(Item::Node(Node {
                id: id.clone(),
                lines: vec!["(no steps)".to_owned()],
                shape: Shape::Step,
            }));
            return Span {
                entry: id.clone(),
                exits: vec![Exit::from_node(&id, Vec::new())],
            };
        }
        let drawn: Vec<Drawn> = tasks.iter().map(|t| self.task(t, out, scope)).collect();
        let entries: Vec<(&str, String)> = tasks
            .iter()
            .zip(&drawn)
            .map(|(t, d)| (t.name.as_str(), d.entry.clone()))
            .collect();
        let mut exits = Vec::new();
        for (i, d) in drawn.into_iter().enumerate() {
            let next = entries.get(i + 1).map(|(_, e)| e.as_str());
            for (exit, directive) in d.exits {
                self.follow(exit, &directive, next, &entries, &mut exits);
            }
        }
        Span {
            entry: entries[0].1.clone(),
            exits,
        }
    }

    /// Points `exit` where `directive` sends it; arrows that leave the list go to `exits`.
    fn follow(
        &mut self,
        exit: Exit,
        directive: &FlowDirective,
        next: Option<&str>,
        siblings: &[(&str, String)],
        exits: &mut Vec<Exit>,
    ) {
        let target = match directive {
            FlowDirective::Continue => next.map(str::to_owned),
            FlowDirective::Exit => None,
            FlowDirective::End => Some(END.to_owned()),
            FlowDirective::Goto(name) => siblings
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, e)| e.clone()),
        };
        match target {
            Some(to) => self.connect(exit, &to),
            None => exits.push(exit),
        }
    }

    fn task(&mut self, t: &NamedTask, out: &mut Vec<Item>, scope: Scope) -> Drawn {
        let id = self.unique(task_id(&t.pointer));
        let then = t.task.then.clone().unwrap_or(FlowDirective::Continue);
        let mut drawn = match &t.task.kind {
            TaskKind::Switch(cases) => self.switch(t, id, cases, then, out),
            TaskKind::Do(tasks) => self.block(t, id, tasks, then, out, scope),
            TaskKind::For(f) => self.for_(t, id, f, then, out, scope),
            TaskKind::Fork(f) => self.fork(t, id, f, then, out, scope),
            TaskKind::Try(tr) => self.try_(t, id, &tr.tasks, &tr.catch, then, out, scope),
            TaskKind::Listen(l) if l.foreach.is_some() => {
                self.listen_each(t, id, l, then, out, scope)
            }
            TaskKind::Raise(_) => {
                out.push(Item::Node(labels::node(t, &id, self.wf)));
                if !scope.in_try {
                    self.failed = true;
                    self.edge(Tail::Node(id.clone()), FAILED, Vec::new(), Line::Solid);
                }
                Drawn {
                    entry: id.clone(),
                    exits: Vec::new(),
                    origin: Tail::Node(id),
                }
            }
            _ => {
                out.push(Item::Node(labels::node(t, &id, self.wf)));
                Drawn {
                    entry: id.clone(),
                    exits: vec![(Exit::from_node(&id, Vec::new()), then)],
                    origin: Tail::Node(id),
                }
            }
        };
        if let Some(cond) = &t.task.if_ {
            let label = vec![format!("skip unless {}", Medium::Diagram.code(cond))];
            drawn.exits.push((
                Exit {
                    from: drawn.origin.clone(),
                    label,
                    line: Line::Dashed,
                },
                FlowDirective::Continue,
            ));
        }
        drawn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every arrow of the flow `tasks` (YAML under `do:`) as `from -> to [label] (dashed)`.
    fn arrows(tasks: &str) -> Vec<String> {
        let yaml = format!(
            "document: {{dsl: '1.0.3', namespace: t, name: t, version: '1.0.0'}}\ndo:\n{tasks}"
        );
        let wf = match crate::load(yaml.as_bytes(), &["noop"]) {
            Ok(loaded) => loaded.workflow,
            Err(diags) => panic!("invalid test flow: {diags:#?}"),
        };
        chart(&wf)
            .edges
            .iter()
            .map(|e| {
                let (Tail::Node(from) | Tail::Group { id: from, .. }) = &e.from;
                let label = if e.label.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", e.label.join("|"))
                };
                let dashed = if e.line == Line::Dashed {
                    " (dashed)"
                } else {
                    ""
                };
                format!("{from} -> {}{label}{dashed}", e.to)
            })
            .collect()
    }

    #[test]
    fn then_jumps_backward_and_exit_leaves_only_the_nested_list() {
        let edges = arrows(concat!(
            "  - a:\n      set: {x: 1}\n",
            "  - inner:\n      do:\n        - b:\n            set: {y: 1}\n            then: exit\n",
            "        - c:\n            set: {z: 1}\n",
            "  - d:\n      set: {w: 1}\n      then: a\n",
        ));
        assert!(
            edges.contains(&"t_do_1_inner_do_0_b -> t_do_2_d".to_owned()),
            "{edges:#?}"
        );
        assert!(
            edges.contains(&"t_do_1_inner_do_1_c -> t_do_2_d".to_owned()),
            "{edges:#?}"
        );
        assert!(
            edges.contains(&"t_do_2_d -> t_do_0_a".to_owned()),
            "{edges:#?}"
        );
        assert!(
            !edges.iter().any(|e| e.ends_with("-> wf_end")),
            "the loop never ends: {edges:#?}"
        );
    }

    #[test]
    fn switch_without_default_falls_through_and_if_skips_dashed() {
        let edges = arrows(concat!(
            "  - pick:\n      switch:\n        - big:\n            when: .n > 5\n            then: end\n",
            "  - maybe:\n      if: .ok\n      call: noop\n",
        ));
        assert_eq!(
            edges,
            [
                "wf_start -> t_do_0_pick",
                "t_do_0_pick -> wf_end [.n > 5]",
                "t_do_0_pick -> t_do_1_maybe [no match]",
                "t_do_1_maybe -> wf_end",
                "t_do_1_maybe -> wf_end [skip unless .ok] (dashed)",
            ]
        );
    }

    #[test]
    fn raise_fails_the_flow_unless_a_try_catches_it() {
        let edges = arrows(concat!(
            "  - guard:\n      try:\n        - boom:\n            raise:\n              error: {type: https://e/x, status: 400}\n",
            "      catch:\n        errors: {with: {status: 400}}\n",
            "  - again:\n      raise:\n        error: {type: https://e/y, status: 500}\n",
        ));
        assert_eq!(
            edges,
            [
                "wf_start -> t_do_0_guard_try_0_boom",
                "t_do_0_guard -> t_do_0_guard__catch (dashed)",
                "t_do_0_guard__catch -> t_do_1_again (dashed)",
                "t_do_1_again -> wf_failed",
            ]
        );
    }

    #[test]
    fn ids_come_from_pointers_and_never_clash() {
        assert_eq!(task_id("/do/0/getPet"), "t_do_0_getPet");
        assert_eq!(task_id("/do/1/a b~1c"), "t_do_1_a_b_1c");
        let yaml = b"document: {dsl: '1.0.3', namespace: t, name: t, version: '1.0.0'}\ndo:\n  - a:\n      wait: PT1S\n";
        let wf = crate::load(yaml, &[]).map(|l| l.workflow).expect("valid");
        let mut b = Builder {
            wf: &wf,
            taken: BTreeSet::new(),
            edges: Vec::new(),
            failed: false,
        };
        assert_eq!(b.unique("x".to_owned()), "x");
        assert_eq!(b.unique("x".to_owned()), "x_2");
        assert_eq!(b.unique("x".to_owned()), "x_3");
    }
}
