//! Turns a flow into a [`Chart`]: a node per simple task, a group per nested list, and arrows that
//! follow `then`, `switch` cases, loops, fork branches, `catch` paths and `if` skips.

use std::collections::BTreeSet;

use crate::model::{
    Catch, FlowDirective, For, Fork, Listen, NamedTask, SwitchCase, TaskKind, TaskList, Workflow,
};
use crate::render::graph::chart::{Chart, Edge, Group, Item, Line, Node, Shape, Tail};
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
    let mut b = Builder { wf, taken: [TRIGGER, START, END, FAILED].map(str::to_owned).into(), edges: Vec::new(), failed: false };
    let mut items = Vec::new();
    let triggers = labels::triggers(wf);
    if !triggers.is_empty() {
        items.push(Item::Node(Node { id: TRIGGER.to_owned(), lines: triggers, shape: Shape::Trigger }));
        b.edge(Tail::Node(TRIGGER.to_owned()), START, Vec::new(), Line::Solid);
    }
    items.push(Item::Node(Node { id: START.to_owned(), lines: vec!["start".to_owned()], shape: Shape::Start }));
    let span = b.list(&wf.tasks, &mut items, Scope { in_try: false }, "t");
    b.edge(Tail::Node(START.to_owned()), &span.entry, Vec::new(), Line::Solid);
    for exit in span.exits {
        b.connect(exit, END);
    }
    // A flow that always fails never reaches its end.
    if b.edges.iter().any(|e| e.to == END) {
        items.push(Item::Node(Node { id: END.to_owned(), lines: vec!["end".to_owned()], shape: Shape::End }));
    }
    if b.failed {
        items.push(Item::Node(Node { id: FAILED.to_owned(), lines: vec!["failed".to_owned()], shape: Shape::Failed }));
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
    Chart { title, items, edges }
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
pub(crate) fn task_id(pointer: &str) -> String {
    std::iter::once('t').chain(pointer.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })).collect()
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
        Exit { from: Tail::Node(id.to_owned()), label, line: Line::Solid }
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
        self.edges.push(Edge { from, to: to.to_owned(), label, line });
    }

    fn connect(&mut self, exit: Exit, to: &str) {
        self.edge(exit.from, to, exit.label, exit.line);
    }

    /// Draws a list into `out`; `owner` names the list for the placeholder of an empty one.
    fn list(&mut self, tasks: &[NamedTask], out: &mut Vec<Item>, scope: Scope, owner: &str) -> Span {
        if tasks.is_empty() {
            // The validator rejects empty lists; a hand-built model still draws.
            let id = self.unique(format!("{owner}__empty"));
            out.push(Item::Node(Node { id: id.clone(), lines: vec!["(no steps)".to_owned()], shape: Shape::Step }));
            return Span { entry: id.clone(), exits: vec![Exit::from_node(&id, Vec::new())] };
        }
        let drawn: Vec<Drawn> = tasks.iter().map(|t| self.task(t, out, scope)).collect();
        let entries: Vec<(&str, String)> =
            tasks.iter().zip(&drawn).map(|(t, d)| (t.name.as_str(), d.entry.clone())).collect();
        let mut exits = Vec::new();
        for (i, d) in drawn.into_iter().enumerate() {
            let next = entries.get(i + 1).map(|(_, e)| e.as_str());
            for (exit, directive) in d.exits {
                self.follow(exit, &directive, next, &entries, &mut exits);
            }
        }
        Span { entry: entries[0].1.clone(), exits }
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
            FlowDirective::Goto(name) => siblings.iter().find(|(n, _)| n == name).map(|(_, e)| e.clone()),
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
            TaskKind::Listen(l) if l.foreach.is_some() => self.listen_each(t, id, l, then, out, scope),
            TaskKind::Raise(_) => {
                out.push(Item::Node(labels::node(t, &id, self.wf)));
                if !scope.in_try {
                    self.failed = true;
                    self.edge(Tail::Node(id.clone()), FAILED, Vec::new(), Line::Solid);
                }
                Drawn { entry: id.clone(), exits: Vec::new(), origin: Tail::Node(id) }
            }
            _ => {
                out.push(Item::Node(labels::node(t, &id, self.wf)));
                Drawn { entry: id.clone(), exits: vec![(Exit::from_node(&id, Vec::new()), then)], origin: Tail::Node(id) }
            }
        };
        if let Some(cond) = &t.task.if_ {
            let label = vec![format!("skip unless {}", Medium::Diagram.code(cond))];
            drawn.exits.push((Exit { from: drawn.origin.clone(), label, line: Line::Dashed }, FlowDirective::Continue));
        }
        drawn
    }

    fn switch(&mut self, t: &NamedTask, id: String, cases: &[SwitchCase], then: FlowDirective, out: &mut Vec<Item>) -> Drawn {
        out.push(Item::Node(labels::node(t, &id, self.wf)));
        let mut exits: Vec<(Exit, FlowDirective)> = cases
            .iter()
            .map(|c| {
                let label = c.when.as_ref().map_or_else(|| "default".to_owned(), |w| Medium::Diagram.code(w));
                (Exit::from_node(&id, vec![label]), c.then.clone())
            })
            .collect();
        if cases.iter().all(|c| c.when.is_some()) {
            exits.push((Exit::from_node(&id, vec!["no match".to_owned()]), then));
        }
        Drawn { entry: id.clone(), exits, origin: Tail::Node(id) }
    }

    /// A `do` task: its list in a group captioned with the task's name.
    fn block(
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
        out.push(Item::Group(Group { id: id.clone(), label: labels::group(t, &t.name, self.wf), items: inner }));
        let exits = span.exits.into_iter().map(|e| (e, then.clone())).collect();
        Drawn { origin: Tail::Group { id, inside: span.entry.clone() }, entry: span.entry, exits }
    }

    /// A `for`: a loop node, the body in a group, arrows back to the loop node, and "done".
    fn for_(&mut self, t: &NamedTask, id: String, f: &For, then: FlowDirective, out: &mut Vec<Item>, scope: Scope) -> Drawn {
        out.push(Item::Node(labels::node(t, &id, self.wf)));
        let body = self.unique(format!("{id}__body"));
        let mut inner = Vec::new();
        let span = self.list(&f.tasks, &mut inner, scope, &body);
        out.push(Item::Group(Group { id: body, label: format!("each {}", f.each), items: inner }));
        self.loop_back(&id, span, format!("each {}", f.each));
        let done = Exit::from_node(&id, vec!["done".to_owned()]);
        Drawn { entry: id.clone(), exits: vec![(done, then)], origin: Tail::Node(id) }
    }

    /// A `listen` with `foreach`: like a loop over the events consumed.
    fn listen_each(
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
            out.push(Item::Group(Group { id: body, label: format!("each event as {}", each.item), items: inner }));
            self.loop_back(&id, span, "each event".to_owned());
        }
        let done = Exit::from_node(&id, vec!["done".to_owned()]);
        Drawn { entry: id.clone(), exits: vec![(done, then)], origin: Tail::Node(id) }
    }

    /// Arrows from a loop head into its body and from the body's ends back to the head.
    fn loop_back(&mut self, head: &str, body: Span, into: String) {
        self.edge(Tail::Node(head.to_owned()), &body.entry, vec![into], Line::Solid);
        for mut exit in body.exits {
            if exit.label.is_empty() {
                exit.label.push("next".to_owned());
            }
            self.connect(exit, head);
        }
    }

    /// A `fork`: a group with a split node, one path per branch, and a join node.
    fn fork(&mut self, t: &NamedTask, id: String, f: &Fork, then: FlowDirective, out: &mut Vec<Item>, scope: Scope) -> Drawn {
        let split = self.unique(format!("{id}__split"));
        let join = self.unique(format!("{id}__join"));
        let (split_lines, join_lines) = if f.compete {
            (vec!["fork".to_owned(), "compete".to_owned()], vec!["first to finish wins".to_owned()])
        } else {
            (vec!["fork".to_owned()], vec!["all done".to_owned()])
        };
        let mut inner = vec![Item::Node(Node { id: split.clone(), lines: split_lines, shape: Shape::Split })];
        let drawn: Vec<Drawn> = f.branches.iter().map(|b| self.task(b, &mut inner, scope)).collect();
        let entries: Vec<(&str, String)> =
            f.branches.iter().zip(&drawn).map(|(b, d)| (b.name.as_str(), d.entry.clone())).collect();
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
        inner.push(Item::Node(Node { id: join.clone(), lines: join_lines, shape: Shape::Join }));
        out.push(Item::Group(Group { id, label: labels::group(t, &format!("fork {}", t.name), self.wf), items: inner }));
        Drawn { entry: split.clone(), exits: vec![(Exit::from_node(&join, Vec::new()), then)], origin: Tail::Node(split) }
    }

    /// A `try`: its list in a group, a dashed arrow from the group to a `catch` box that says which
    /// errors are caught and how they are retried, and from there to the `catch` tasks (or on,
    /// when there are none).
    ///
    /// The caption sits in a box rather than on the arrow because Mermaid centres the caption of an
    /// arrow leaving a group on the group's border, where it covers the tasks inside.
    #[allow(clippy::too_many_arguments)] // reason: the shared task arguments plus the two halves of `try`
    fn try_(
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
        out.push(Item::Group(Group { id: id.clone(), label, items: inner }));
        let tail = Tail::Group { id: id.clone(), inside: span.entry.clone() };
        let catch_id = self.unique(format!("{id}__catch"));
        out.push(Item::Node(labels::catch(catch, &catch_id, self.wf)));
        self.edge(tail.clone(), &catch_id, Vec::new(), Line::Dashed);
        let mut exits: Vec<(Exit, FlowDirective)> = span.exits.into_iter().map(|e| (e, then.clone())).collect();
        let caught = Exit { from: Tail::Node(catch_id), label: Vec::new(), line: Line::Dashed };
        match &catch.tasks {
            Some(handler) => {
                let hid = self.unique(format!("{id}__handler"));
                let mut hinner = Vec::new();
                let hspan = self.list(handler, &mut hinner, scope, &hid);
                out.push(Item::Group(Group { id: hid, label: format!("catch {}", t.name), items: hinner }));
                self.connect(caught, &hspan.entry);
                exits.extend(hspan.exits.into_iter().map(|e| (e, then.clone())));
            }
            None => exits.push((caught, then)),
        }
        Drawn { entry: span.entry, exits, origin: tail }
    }
}
