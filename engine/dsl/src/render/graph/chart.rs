//! A flow as boxes, groups and arrows, before it is written in a diagram language.

/// The whole diagram.
#[derive(Debug, Default)]
pub(crate) struct Chart {
    /// Shown above the diagram: the document's title, if any, and its reference.
    pub title: String,
    /// The flow's `namespace/name:version`.
    pub reference: String,
    /// Top-level nodes and groups, in drawing order.
    pub items: Vec<Item>,
    /// Every arrow; drawn after all items so that each end is already declared.
    pub edges: Vec<Edge>,
}

/// A node or a group of items.
#[derive(Debug)]
pub(crate) enum Item {
    /// One box.
    Node(Node),
    /// A framed group (`do`, `try`, `catch`, a loop body, a fork).
    Group(Group),
}

/// One box.
#[derive(Debug)]
pub(crate) struct Node {
    /// Stable, diagram-safe id (`t_do_0_getPet`).
    pub id: String,
    /// Label lines, unescaped.
    pub lines: Vec<String>,
    /// What kind of box.
    pub shape: Shape,
}

/// A framed group of items.
#[derive(Debug)]
pub(crate) struct Group {
    /// Stable, diagram-safe id.
    pub id: String,
    /// The frame's caption, unescaped.
    pub label: String,
    /// What is inside.
    pub items: Vec<Item>,
}

/// Box shapes, by what the step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// What starts the flow besides requests (a schedule, events).
    Trigger,
    /// Where the flow starts.
    Start,
    /// Where the flow ends.
    End,
    /// Where the flow ends with an uncaught raised error.
    Failed,
    /// A step that computes (`set`).
    Step,
    /// A function or HTTP call.
    Call,
    /// A choice (`switch`).
    Decision,
    /// A pause (`wait`, `listen`).
    Waiting,
    /// The head of a loop (`for`).
    Loop,
    /// Another flow (`run.workflow`).
    Subflow,
    /// An event sent (`emit`).
    Emit,
    /// An error raised.
    Raise,
    /// Errors caught, on the way out of a `try`.
    Catch,
    /// Where fork branches start.
    Split,
    /// Where fork branches meet.
    Join,
}

/// Where an arrow starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tail {
    /// A node.
    Node(String),
    /// The border of a group; `inside` is a node in it, for languages that attach arrows to nodes only.
    Group {
        /// The group's id.
        id: String,
        /// A node inside the group.
        inside: String,
    },
}

/// An arrow.
#[derive(Debug)]
pub(crate) struct Edge {
    /// Where it starts.
    pub from: Tail,
    /// The node it points to.
    pub to: String,
    /// Its caption lines, unescaped; empty for none.
    pub label: Vec<String>,
    /// Solid for the normal path, dashed for skips and error paths.
    pub line: Line,
}

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The normal path.
    Solid,
    /// A path taken only sometimes: a skipped task, a caught error.
    Dashed,
}
