//! The four roles and what each may do, with least privilege: ops run the automation, finance
//! decides invoices, viewers only read (with personal data masked), admins do everything.

use std::fmt;

use axum::http::Method;

use super::guard::{Required, required};
use super::permission::{Permission, Queue};

/// Who someone is to shopflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including users, tokens and the audit log.
    Admin,
    /// Deploy flows, start and steer runs, schedules, events, decide return reviews, resolve
    /// tickets.
    Ops,
    /// Read, send events, decide invoice reviews (the `finance` queue).
    Finance,
    /// Read only, with phone numbers, addresses, names and tax ids masked.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Ops, Role::Finance, Role::Viewer];

    /// Parses a stored role name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "admin" => Some(Role::Admin),
            "ops" => Some(Role::Ops),
            "finance" => Some(Role::Finance),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// The role's name (`admin`, `ops`, `finance`, `viewer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Ops => "ops",
            Role::Finance => "finance",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role has `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Ops => match permission {
                Permission::ReadRuns
                | Permission::SteerRuns
                | Permission::DeployFlows
                | Permission::ToggleSchedules
                | Permission::SendEvents
                | Permission::SeePersonalData
                | Permission::ResolveTickets => true,
                Permission::DecideTask(queue) => queue == Queue::Returns,
                Permission::ManageUsers => false,
            },
            Role::Finance => match permission {
                Permission::ReadRuns | Permission::SendEvents | Permission::SeePersonalData => true,
                Permission::DecideTask(queue) => queue == Queue::Finance,
                Permission::SteerRuns
                | Permission::DeployFlows
                | Permission::ToggleSchedules
                | Permission::ManageUsers
                | Permission::ResolveTickets => false,
            },
            Role::Viewer => permission == Permission::ReadRuns,
        }
    }

    /// Whether this role may decide the tasks of some queue (the API lets such roles reach
    /// the decision endpoint, which then checks the task's queue).
    pub fn decides_some_queue(self) -> bool {
        [Queue::Finance, Queue::Returns]
            .into_iter()
            .any(|q| self.allows(Permission::DecideTask(q)))
    }

    /// Whether this role may call `method` on the REST API path `path` (`/api/v1/…`); a task
    /// decision further depends on the task's queue.
    pub fn may(self, method: &Method, path: &str) -> bool {
        match required(method, path) {
            Required::Permission(p) => self.allows(p),
            Required::TaskDecision => self.decides_some_queue(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every role against every permission: the whole matrix, so a change shows up here.
    #[test]
    fn the_permission_matrix() {
        use Permission as P;
        let perms = [
            P::ReadRuns,
            P::SteerRuns,
            P::DeployFlows,
            P::ToggleSchedules,
            P::SendEvents,
            P::DecideTask(Queue::Finance),
            P::DecideTask(Queue::Returns),
            P::DecideTask(Queue::Other("vip".into())),
            P::SeePersonalData,
            P::ManageUsers,
            P::ResolveTickets,
        ];
        // Rows in the order of `perms`.
        let expected: [(Role, [bool; 11]); 4] = [
            (Role::Admin, [true; 11]),
            (
                Role::Ops,
                [
                    true, true, true, true, true, false, true, false, true, false, true,
                ],
            ),
            (
                Role::Finance,
                [
                    true, false, false, false, true, true, false, false, true, false, false,
                ],
            ),
            (
                Role::Viewer,
                [
                    true, false, false, false, false, false, false, false, false, false, false,
                ],
            ),
        ];
        for (role, row) in expected {
            for (perm, want) in perms.iter().zip(row) {
                assert_eq!(role.allows(perm.clone()), want, "{role} {perm}");
            }
        }
    }

    #[test]
    fn roles_follow_least_privilege_on_paths() {
        let post = Method::POST;
        assert!(Role::Admin.may(&post, "/api/v1/flows"));
        assert!(Role::Ops.may(&post, "/api/v1/runs"));
        assert!(!Role::Finance.may(&post, "/api/v1/flows"));
        assert!(!Role::Finance.may(&post, "/api/v1/runs/r1/cancel"));
        assert!(Role::Finance.may(&post, "/api/v1/events"));
        assert!(Role::Finance.may(&post, "/api/v1/tasks/T-000001/decision"));
        assert!(Role::Ops.may(&post, "/api/v1/tasks/T-000001/decision"));
        assert!(!Role::Finance.may(&post, "/api/v1/tickets/TK-1/resolve"));
        assert!(Role::Ops.may(&post, "/api/v1/tickets/TK-1/resolve"));
        assert!(!Role::Finance.may(&post, "/api/v1/tasks/a/b/decision"));
        assert!(!Role::Viewer.may(&post, "/api/v1/tasks/T-000001/decision"));
        assert!(!Role::Viewer.may(&post, "/api/v1/events"));
        assert!(Role::Viewer.may(&Method::GET, "/api/v1/runs"));
        assert!(!Role::Ops.may(&Method::GET, "/api/v1/audit"));
        assert!(Role::Admin.may(&Method::GET, "/api/v1/audit"));
        assert!(!Role::Ops.may(&Method::DELETE, "/api/v1/runs/r1"));
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
