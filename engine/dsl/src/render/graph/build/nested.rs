//! Drawing the tasks that hold other tasks or choose among paths: `switch`, `do`, `for`,
//! `listen` with `foreach`, `fork` and `try`.

use crate::model::{Catch, FlowDirective, For, Fork, Listen, NamedTask, SwitchCase, TaskList};
use crate::render::graph::build::{Builder, Drawn, Exit, Scope, Span};
use crate::render::graph::chart::{Group, Item, Line, Node, Shape, Tail};
use crate::render::graph::labels;
use crate::render::medium::Medium;

impl Builder<'_> {
    pub(super) fn switch(
        &mut self,
        t: &NamedTask,
        id: String,
        cases: &[SwitchCase],
        then: FlowDirective,
        out: &mut Vec<Item>,
    ) -> Drawn {
        out.push(Item::Node(labels::node(t, &id, self.wf)));
        let mut exits: Vec<(Exit, FlowDirective)> = cases
            .iter()
            .map(|c| {
                let label = c
                    .when
                    .as_ref()
                    .map_or_else(|| "default".to_owned(), |w| Medium::Diagram.code(w));
                (Exit::from_node(&id, vec![label]), c.then.clone())
            })
            .collect();
        if cases.iter().all(|c| c.when.is_some()) {
            exits.push((Exit::from_node(&id, vec!["no match".to_owned()]), then));
        }
        Drawn {
            entry: id.clone(),
            exits,
            origin: Tail::Node(id),
        }
    }

    /// A `do` task: its list in a group captioned with the task's name.
    pub(super) fn block(
        &mut self,
        t: &NamedTask,
        id: String,
        tasks: &TaskList,
        then: FlowDirective,
        out: &mut Vec<Item>,
        scope: Scope,
    ) -> Drawn {
        let mut inner = Vec::new();
        let span = self.list(tasks, &mut inner, scope, &id);
        out.push(Item::Group(Group {
            id: id.clone(),
            label: labels::group(t, &t.name, self.wf),
            items: inner,
        }));
        let exits = span.exits.into_iter().map(|e| (e, then.clone())).collect();
        Drawn {
            origin: Tail::Group {
                id,
                inside: span.entry.clone(),
            },
            entry: span.entry,
            exits,
        }
    }

    /// A `for`: a loop node, the body in a group, arrows back to the loop node, and "done".
    pub(super) fn for_(
        &mut self,
        t: &NamedTask,
        id: String,
        f: &For,
        then: FlowDirective,
        out: &mut Vec<Item>,
        scope: Scope,
    ) -> Drawn {
        out.push(Item::Node(labels::node(t, &id, self.wf)));
        let body = self.unique(format!("{id}__body"));
        let mut inner = Vec::new();
        let span = self.list(&f.tasks, &mut inner, scope, &body);
        out.push(Item::Group(Group {
            id: body,
            label: format!("body of {}", t.name),
            items: inner,
        }));
        self.loop_back(&id, span, format!("each {}", f.each));
        let done = Exit::from_node(&id, vec!["done".to_owned()]);
        Drawn {
            entry: id.clone(),
            exits: vec![(done, then)],
            origin: Tail::Node(id),
        }
    }

    /// A `listen` with `foreach`: like a loop over the events consumed.
    pub(super) fn listen_each(
        &mut self,
        t: &NamedTask,
        id: String,
        l: &Listen,
        then: FlowDirective,
        out: &mut Vec<Item>,
        scope: Scope,
    ) -> Drawn {
        out.push(Item::Node(labels::node(t, &id, self.wf)));
        if let Some(each) = &l.foreach {
            let body = self.unique(format!("{id}__each"));
            let mut inner = Vec::new();
            let span = self.list(&each.tasks, &mut inner, scope, &body);
            out.push(Item::Group(Group {
                id: body,
                label: format!("for each event of {}", t.name),
                items: inner,
            }));
            self.loop_back(&id, span, "each event".to_owned());
        }
        let done = Exit::from_node(&id, vec!["done".to_owned()]);
        Drawn {
            entry: id.clone(),
            exits: vec![(done, then)],
            origin: Tail::Node(id),
        }
    }

    /// Arrows from a loop head into its body and from the body's ends back to the head.
    fn loop_back(&mut self, head: &str, body: Span, into: String) {
        self.edge(
            Tail::Node(head.to_owned()),
            &body.entry,
            vec![into],
            Line::Solid,
        );
        for mut exit in body.exits {
            if exit.label.is_empty() {
                exit.label.push("next".to_owned());
            }
            self.connect(exit, head);
        }
    }

    /// A `fork`: a group with a split node, one path per branch, and a join node.
    pub(super) fn fork(
        &mut self,
        t: &NamedTask,
        id: String,
        f: &Fork,
        then: FlowDirective,
        out: &mut Vec<Item>,
        scope: Scope,
    ) -> Drawn {
        let split = self.unique(format!("{id}__split"));
        let join = self.unique(format!("{id}__join"));
        let (split_lines, join_lines) = if f.compete {
            (
                vec!["fork".to_owned(), "compete".to_owned()],
                vec!["first to finish wins".to_owned()],
            )
        } else {
            (vec!["fork".to_owned()], vec!["all done".to_owned()])
        };
        let mut inner = vec![Item::Node(Node {
            id: split.clone(),
            lines: split_lines,
            shape: Shape::Split,
        })];
        let drawn: Vec<Drawn> = f
            .branches
            .iter()
            .map(|b| self.task(b, &mut inner, scope))
            .collect();
        let entries: Vec<(&str, String)> = f
            .branches
            .iter()
            .zip(&drawn)
            .map(|(b, d)| (b.name.as_str(), d.entry.clone()))
            .collect();
        let mut ends = Vec::new();
        for d in drawn {
            self.edge(Tail::Node(split.clone()), &d.entry, Vec::new(), Line::Solid);
            for (exit, directive) in d.exits {
                // A branch's `continue` and `exit` both end the branch: there is no next branch to run.
                self.follow(exit, &directive, None, &entries, &mut ends);
            }
        }
        for exit in ends {
            self.connect(exit, &join);
        }
        inner.push(Item::Node(Node {
            id: join.clone(),
            lines: join_lines,
            shape: Shape::Join,
        }));
        out.push(Item::Group(Group {
            id,
            label: labels::group(t, &format!("fork {}", t.name), self.wf),
            items: inner,
        }));
        Drawn {
            entry: split.clone(),
            exits: vec![(Exit::from_node(&join, Vec::new()), then)],
            origin: Tail::Node(split),
        }
    }

    /// A `try`: its list in a group, a dashed arrow from the group to a `catch` box that says which
    /// errors are caught and how they are retried, and from there to the `catch` tasks (or on,
    /// when there are none).
    ///
    /// The caption sits in a box rather than on the arrow because Mermaid centres the caption of an
    /// arrow leaving a group on the group's border, where it covers the tasks inside.
    #[allow(clippy::too_many_arguments)] // reason: the shared task arguments plus the two halves of `try`
    pub(super) fn try_(
        &mut self,
        t: &NamedTask,
        id: String,
        tasks: &TaskList,
        catch: &Catch,
        then: FlowDirective,
        out: &mut Vec<Item>,
        scope: Scope,
    ) -> Drawn {
        let mut inner = Vec::new();
        let span = self.list(tasks, &mut inner, Scope { in_try: true }, &id);
        let label = labels::group(t, &format!("try {}", t.name), self.wf);
        out.push(Item::Group(Group {
            id: id.clone(),
            label,
            items: inner,
        }));
        let tail = Tail::Group {
            id: id.clone(),
            inside: span.entry.clone(),
        };
        let catch_id = self.unique(format!("{id}__catch"));
        out.push(Item::Node(labels::catch(catch, &catch_id, self.wf)));
        self.edge(tail.clone(), &catch_id, Vec::new(), Line::Dashed);
        let mut exits: Vec<(Exit, FlowDirective)> =
            span.exits.into_iter().map(|e| (e, then.clone())).collect();
        let caught = Exit {
            from: Tail::Node(catch_id),
            label: Vec::new(),
            line: Line::Dashed,
        };
        match &catch.tasks {
            Some(handler) => {
                let hid = self.unique(format!("{id}__handler"));
                let mut hinner = Vec::new();
                let hspan = self.list(handler, &mut hinner, scope, &hid);
                out.push(Item::Group(Group {
                    id: hid,
                    label: format!("catch {}", t.name),
                    items: hinner,
                }));
                self.connect(caught, &hspan.entry);
                exits.extend(hspan.exits.into_iter().map(|e| (e, then.clone())));
            }
            None => exits.push((caught, then)),
        }
        Drawn {
            entry: span.entry,
            exits,
            origin: tail,
        }
    }
}
