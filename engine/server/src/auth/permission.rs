//! What a request may ask for: one [`Permission`] per kind of action, and the desk queue a
//! task decision belongs to.

use std::fmt;

/// A desk queue whose tasks people decide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Queue {
    /// `finance`: invoice reviews.
    Finance,
    /// `returns`: return reviews.
    Returns,
    /// Any other queue a flow opens tasks in (only admins decide those).
    Other(String),
}

impl Queue {
    /// The queue named `name` (as flows write it in `task.open`).
    pub fn parse(name: &str) -> Queue {
        match name {
            "finance" => Queue::Finance,
            "returns" => Queue::Returns,
            other => Queue::Other(other.to_owned()),
        }
    }

    /// The queue's name.
    pub fn as_str(&self) -> &str {
        match self {
            Queue::Finance => "finance",
            Queue::Returns => "returns",
            Queue::Other(name) => name,
        }
    }
}

impl From<&str> for Queue {
    fn from(name: &str) -> Queue {
        Queue::parse(name)
    }
}

/// One kind of action, as [`Role::allows`](super::Role::allows) judges it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See flows, runs, tickets, tasks and the KPIs.
    ReadRuns,
    /// Start runs and steer them: cancel, suspend, resume, retry.
    SteerRuns,
    /// Deploy new flow versions.
    DeployFlows,
    /// Switch flow schedules on and off.
    ToggleSchedules,
    /// Publish CloudEvents into the engine.
    SendEvents,
    /// Decide (approve, correct, reject) tasks of this desk queue.
    DecideTask(Queue),
    /// See phone numbers, addresses, names and tax ids unmasked.
    SeePersonalData,
    /// Create users and tokens, change roles, read the audit log.
    ManageUsers,
    /// Resolve service-desk tickets.
    ResolveTickets,
}

impl Permission {
    /// The permission's name in error answers and docs (`deploy-flows`,
    /// `decide-task:finance`).
    pub fn name(&self) -> String {
        match self {
            Permission::ReadRuns => "read-runs".to_owned(),
            Permission::SteerRuns => "steer-runs".to_owned(),
            Permission::DeployFlows => "deploy-flows".to_owned(),
            Permission::ToggleSchedules => "toggle-schedules".to_owned(),
            Permission::SendEvents => "send-events".to_owned(),
            Permission::DecideTask(queue) => format!("decide-task:{}", queue.as_str()),
            Permission::SeePersonalData => "see-personal-data".to_owned(),
            Permission::ManageUsers => "manage-users".to_owned(),
            Permission::ResolveTickets => "resolve-tickets".to_owned(),
        }
    }

    /// What it allows, in words, for error details (`deploy flows`).
    pub fn describe(&self) -> String {
        match self {
            Permission::ReadRuns => "read runs, flows and desk work".to_owned(),
            Permission::SteerRuns => "start, cancel, suspend or resume runs".to_owned(),
            Permission::DeployFlows => "deploy flows".to_owned(),
            Permission::ToggleSchedules => "switch schedules on or off".to_owned(),
            Permission::SendEvents => "send events".to_owned(),
            Permission::DecideTask(queue) => {
                format!("decide tasks of the `{}` queue", queue.as_str())
            }
            Permission::SeePersonalData => "see personal data unmasked".to_owned(),
            Permission::ManageUsers => "manage users and tokens or read the audit log".to_owned(),
            Permission::ResolveTickets => "resolve tickets".to_owned(),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
