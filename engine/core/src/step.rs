//! StepId: the deterministic key of every durable operation of a run.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Names one durable operation: the task's JSON pointer, then the scope it runs in
/// (`[i3]` loop iteration, `[v2]` second visit through a `then` jump, `[r1]` retry attempt,
/// `[b0]` fork branch), then the operation (`:timeout`, `:e2` for the third consumed event).
///
/// StepIds are derived from the definition and the journaled results only, so a replay and
/// concurrent fork branches line up by key, never by order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StepId(String);

impl StepId {
    /// A task's step: its pointer plus the scope suffix it runs under.
    pub fn task(pointer: &str, scope: &str) -> Self {
        let mut s = String::with_capacity(pointer.len() + scope.len());
        s.push_str(pointer);
        s.push_str(scope);
        StepId(s)
    }

    /// A step from its text (as stored in a journal).
    pub fn from_raw(raw: impl Into<String>) -> Self {
        StepId(raw.into())
    }

    /// A second operation of the same task (`:timeout`, `:e0`, `:retry1`).
    pub fn op(&self, name: &str) -> Self {
        StepId(format!("{}:{name}", self.0))
    }

    /// The text of the StepId.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The StepId without retry attempts: the same for every attempt of a call, so a retried
    /// side effect reaches the other side under the same idempotency key.
    pub fn idempotency_base(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        let mut rest = self.0.as_str();
        while let Some(i) = rest.find("[r") {
            out.push_str(&rest[..i]);
            match rest[i..].find(']') {
                Some(end) => rest = &rest[i + end + 1..],
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The idempotency key of a side effect: a hash of the run id and the step's idempotency base,
/// as 32 hex digits. Stable across processes and versions (FNV-1a 128, no random seed).
pub fn idempotency_key(run_id: &str, step: &StepId) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash = OFFSET;
    for byte in run_id
        .bytes()
        .chain([0u8])
        .chain(step.idempotency_base().bytes())
    {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_share_the_idempotency_base() {
        let a = StepId::task("/do/0/t/try/0/charge", "[i2][r1]");
        let b = StepId::task("/do/0/t/try/0/charge", "[i2][r3]");
        assert_ne!(a, b);
        assert_eq!(a.idempotency_base(), "/do/0/t/try/0/charge[i2]");
        assert_eq!(idempotency_key("run-1", &a), idempotency_key("run-1", &b));
        assert_ne!(idempotency_key("run-1", &a), idempotency_key("run-2", &a));
        assert_eq!(
            a.op("timeout").as_str(),
            "/do/0/t/try/0/charge[i2][r1]:timeout"
        );
    }
}
