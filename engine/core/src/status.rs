//! The phases a run goes through, as the REST API and the console show them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a run is. `Completed`, `Faulted` and `Cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Accepted, not started yet.
    Pending,
    /// Executing tasks.
    Running,
    /// Waiting for a timer, an event or a child run.
    Waiting,
    /// Paused by an operator; resumes on request.
    Suspended,
    /// Stopped by an operator or a parent.
    Cancelled,
    /// Ended with an error.
    Faulted,
    /// Ended with an output.
    Completed,
}

impl RunStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Waiting,
        RunStatus::Suspended,
        RunStatus::Cancelled,
        RunStatus::Faulted,
        RunStatus::Completed,
    ];

    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Suspended => "suspended",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Faulted => "faulted",
            RunStatus::Completed => "completed",
        }
    }

    /// Whether the run is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Cancelled | RunStatus::Faulted | RunStatus::Completed
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown run status `{s}`; one of: {}",
                    RunStatus::ALL.map(RunStatus::as_str).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_finality() {
        for s in RunStatus::ALL {
            assert_eq!(s.as_str().parse::<RunStatus>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        assert!(RunStatus::Faulted.is_final() && !RunStatus::Waiting.is_final());
        assert!("done".parse::<RunStatus>().is_err());
    }
}
