//! The validated model of a block: its session, time limits and steps. Built by
//! [`parse`](crate::parse) from `with:`; the runner trusts everything it guarantees.

use std::fmt;
use std::time::Duration;

use shopflow_core::Artifact;

use crate::target::Targets;

/// A validated `call: browser` block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The named session whose profile (cookies, local storage) the block uses; `None`: a
    /// fresh profile, removed afterwards.
    pub session: Option<String>,
    /// The whole block's time limit (waiting for a free browser included).
    pub timeout: Duration,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a block.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where the step is (`steps[2].steps[0]`), for errors.
    pub path: StepPath,
    /// What it does.
    pub action: Action,
    /// Its time limit.
    pub timeout: Duration,
    /// The output name of what it produces (`as:`).
    pub output: Option<String>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Opens a URL in the current tab.
    Goto(String),
    /// Clicks an element.
    Click(Targets),
    /// Types into a field (after clearing it unless `clear: false`).
    Fill {
        /// The field.
        target: Targets,
        /// What to type.
        value: FillValue,
        /// Whether the field is cleared first.
        clear: bool,
    },
    /// Chooses an option of a `<select>`.
    Select {
        /// The `<select>`.
        target: Targets,
        /// Which option.
        option: SelectOption,
    },
    /// Gives a file input a stored artifact.
    Upload {
        /// The `<input type=file>`.
        target: Targets,
        /// The file.
        file: Artifact,
    },
    /// Waits until a condition holds.
    WaitFor(Condition),
    /// Ends the block successfully, skipping the remaining steps, when a condition holds now
    /// (the "already done" check).
    StopIf(Condition),
    /// Reads the text (or an attribute) of the first matching element, or of all of them.
    ExtractText {
        /// The element(s).
        target: Targets,
        /// An attribute to read instead of the visible text.
        attribute: Option<String>,
        /// Every matching element (an array) instead of the first.
        all: bool,
    },
    /// Reads a table's rows, following a "next page" control.
    ExtractTable {
        /// The `<table>`.
        target: Targets,
        /// The control that shows the next page; absent or disabled ends the table.
        next: Option<Targets>,
        /// The most pages read.
        max_pages: usize,
    },
    /// Runs steps inside an iframe.
    WithinFrame {
        /// The `<iframe>`.
        frame: Targets,
        /// The steps run inside it.
        steps: Vec<Step>,
    },
    /// Opens a tab (with a URL or blank) and switches to it.
    NewTab(Option<String>),
    /// Switches to another tab.
    SwitchTo(TabSelector),
    /// Handles a JavaScript alert, confirm or prompt.
    Alert {
        /// Accept, dismiss or only read it.
        action: AlertAction,
        /// Text typed into a prompt before accepting.
        prompt: Option<String>,
    },
    /// Takes a PNG of the page or of an element.
    Screenshot(Option<Targets>),
    /// Clicks an element that starts a download and stores the file.
    Download(Targets),
}

impl Action {
    /// The step kind as written in `with:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Goto(_) => "goto",
            Action::Click(_) => "click",
            Action::Fill { .. } => "fill",
            Action::Select { .. } => "select",
            Action::Upload { .. } => "upload",
            Action::WaitFor(_) => "wait_for",
            Action::StopIf(_) => "stop_if",
            Action::ExtractText { .. } => "extract_text",
            Action::ExtractTable { .. } => "extract_table",
            Action::WithinFrame { .. } => "within_frame",
            Action::NewTab(_) => "new_tab",
            Action::SwitchTo(_) => "switch_to",
            Action::Alert { .. } => "alert",
            Action::Screenshot(_) => "screenshot",
            Action::Download(_) => "download",
        }
    }

    /// The element the step is about, for errors.
    pub fn target(&self) -> Option<&Targets> {
        match self {
            Action::Click(t)
            | Action::Fill { target: t, .. }
            | Action::Select { target: t, .. }
            | Action::Upload { target: t, .. }
            | Action::ExtractText { target: t, .. }
            | Action::ExtractTable { target: t, .. }
            | Action::WithinFrame { frame: t, .. }
            | Action::Download(t) => Some(t),
            Action::Screenshot(t) => t.as_ref(),
            Action::WaitFor(c) | Action::StopIf(c) => c.target(),
            Action::Goto(_) | Action::NewTab(_) | Action::SwitchTo(_) | Action::Alert { .. } => {
                None
            }
        }
    }
}

/// What `fill` types.
#[derive(Debug, Clone)]
pub enum FillValue {
    /// Text from the flow.
    Text(String),
    /// The value of a secret, resolved inside the worker and never shown.
    Secret(String),
}

/// Which `<option>` `select` chooses.
#[derive(Debug, Clone)]
pub enum SelectOption {
    /// By its `value` attribute.
    Value(String),
    /// By its visible label.
    Label(String),
    /// By position, from 0.
    Index(usize),
}

/// A condition of `wait_for` and `stop_if`.
#[derive(Debug, Clone)]
pub enum Condition {
    /// An element is in the page.
    Present(Targets),
    /// An element is in the page and visible.
    Visible(Targets),
    /// No matching element is visible (none at all counts).
    Hidden(Targets),
    /// No matching element is in the page.
    Gone(Targets),
    /// The page's visible text, or the element's, contains this text.
    Text {
        /// The text looked for.
        text: String,
        /// Where; `None`: the whole page.
        within: Option<Targets>,
    },
    /// The current URL contains this text.
    Url(String),
}

impl Condition {
    /// The condition's name as written in `with:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::Present(_) => "present",
            Condition::Visible(_) => "visible",
            Condition::Hidden(_) => "hidden",
            Condition::Gone(_) => "gone",
            Condition::Text { .. } => "text",
            Condition::Url(_) => "url",
        }
    }

    fn target(&self) -> Option<&Targets> {
        match self {
            Condition::Present(t)
            | Condition::Visible(t)
            | Condition::Hidden(t)
            | Condition::Gone(t) => Some(t),
            Condition::Text { within, .. } => within.as_ref(),
            Condition::Url(_) => None,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Present(t) => write!(f, "{t} to be present"),
            Condition::Visible(t) => write!(f, "{t} to be visible"),
            Condition::Hidden(t) => write!(f, "{t} to be hidden"),
            Condition::Gone(t) => write!(f, "{t} to be gone"),
            Condition::Text { text, within: None } => write!(f, "the page to show {text:?}"),
            Condition::Text {
                text,
                within: Some(t),
            } => write!(f, "{t} to show {text:?}"),
            Condition::Url(u) => write!(f, "the URL to contain {u:?}"),
        }
    }
}

/// Which tab `switch_to` selects.
#[derive(Debug, Clone)]
pub enum TabSelector {
    /// By position in opening order; negative counts from the end (`-1`: the newest).
    Index(i64),
    /// The first tab whose URL contains this.
    Url(String),
    /// The first tab whose title contains this.
    Title(String),
}

impl fmt::Display for TabSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TabSelector::Index(i) => write!(f, "tab {i}"),
            TabSelector::Url(u) => write!(f, "the tab whose URL contains {u:?}"),
            TabSelector::Title(t) => write!(f, "the tab whose title contains {t:?}"),
        }
    }
}

/// What `alert` does with the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    /// Presses OK.
    Accept,
    /// Presses Cancel (OK for a plain alert).
    Dismiss,
    /// Only reads the text; the dialog stays open.
    Read,
}

/// Where a step is in the block: `steps[2]`, or `steps[2].steps[0]` inside `within_frame`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepPath(pub Vec<usize>);

impl StepPath {
    /// The path of the `index`th step inside this one.
    pub fn child(&self, index: usize) -> Self {
        let mut v = self.0.clone();
        v.push(index);
        Self(v)
    }
}

impl fmt::Display for StepPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, index) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "steps[{index}]")?;
        }
        Ok(())
    }
}
