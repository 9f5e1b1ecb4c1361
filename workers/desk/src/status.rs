//! The states tickets and tasks go through, and the decisions people make on tasks, with the
//! names the API and the database use.

use serde::{Deserialize, Serialize};

/// Declares a closed set of names with `as_str`/`parse`.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and API name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads a stored or API name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// The names, comma separated, for messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

names! {
    /// Where a ticket is.
    TicketStatus {
        /// Waiting in its department's queue: every qualified agent is at their cap.
        Queued = "queued",
        /// With an agent.
        Assigned = "assigned",
        /// In the escalation queue: with a supervisor (`agent` set) or waiting for one.
        Escalated = "escalated",
        /// Done.
        Resolved = "resolved",
    }
}

names! {
    /// Where a human task is.
    TaskStatus {
        /// Waiting for a decision.
        Open = "open",
        /// Someone approved or rejected it.
        Decided = "decided",
    }
}

names! {
    /// What a person decided on a task.
    Verdict {
        /// Go ahead (with `changes`, if any).
        Approve = "approve",
        /// Do not.
        Reject = "reject",
    }
}
