//! Retrying a run that ended badly: a new run of the same flow version with the same input.
//! The new run's id is the old one with `-r<n>` appended, so the link between the two is in
//! the ids themselves (durable, nothing else to store), and retrying twice makes `-r2`.

use shopflow_core::RunStatus;

use super::{Engine, EngineError};

/// The most retries of one run (ids `-r1` … `-r99`).
const MAX_RETRIES: u32 = 99;

/// The run a retry was made from, read from the retry's id (`X-r2` → `X`), if it is one.
pub fn retried_from(id: &str) -> Option<&str> {
    let (base, n) = id.rsplit_once("-r")?;
    (!base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(base)
}

impl Engine {
    /// Starts a new run of run `id`'s flow version with its input; only a faulted or
    /// cancelled run can be retried (others are a conflict). Returns the new run's id.
    pub async fn retry(&self, id: &str) -> Result<String, EngineError> {
        let record = self.get(id)?.record;
        if !matches!(record.status, RunStatus::Faulted | RunStatus::Cancelled) {
            return Err(EngineError::Conflict(format!(
                "run {id} is {}; only a faulted or cancelled run can be retried",
                record.status.as_str()
            )));
        }
        if record.parent.is_some() {
            return Err(EngineError::Conflict(format!(
                "run {id} is a child its parent awaits; retry the parent run instead"
            )));
        }
        let wf = self.flow_of(&record)?;
        for n in 1..=MAX_RETRIES {
            let new_id = format!("{id}-r{n}");
            if self.inner.store.journal().run(&new_id)?.is_some() {
                continue;
            }
            if self.start_run(&new_id, wf, record.input).await? {
                tracing::info!(run = %id, retry = %new_id, "run retried");
            }
            return Ok(new_id);
        }
        Err(EngineError::Conflict(format!(
            "run {id} has been retried {MAX_RETRIES} times already"
        )))
    }

    /// The retries of run `id`, oldest first.
    pub fn retries(&self, id: &str) -> Result<Vec<String>, EngineError> {
        let mut out = Vec::new();
        for n in 1..=MAX_RETRIES {
            let retry = format!("{id}-r{n}");
            if self.inner.store.journal().run(&retry)?.is_none() {
                break;
            }
            out.push(retry);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_names_its_run() {
        assert_eq!(retried_from("0190-abc-r1"), Some("0190-abc"));
        assert_eq!(retried_from("0190-abc-r1-r12"), Some("0190-abc-r1"));
        assert_eq!(retried_from("0190-abc"), None);
        assert_eq!(retried_from("x-rz"), None);
    }
}
