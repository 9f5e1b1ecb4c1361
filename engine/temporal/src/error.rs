//! The crate's error type: what can go wrong talking to Temporal or setting up a worker.

/// A failure of the Temporal backend (not of a run: a faulted run is a [`RunEnding`]).
///
/// [`RunEnding`]: crate::RunEnding
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address is not `HOST:PORT`.
    #[error(
        "`{address}` is not a Temporal address (give HOST:PORT, e.g. 127.0.0.1:7233): {reason}"
    )]
    BadAddress {
        /// What was given.
        address: String,
        /// Why it does not parse.
        reason: String,
    },
    /// No Temporal server answered at the address.
    #[error(
        "cannot reach Temporal at {address}: {reason} (is the server running? `scripts/temporal-dev.sh start` starts a local one)"
    )]
    Unreachable {
        /// The address tried.
        address: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// The SDK refused the worker's set-up.
    #[error("cannot set up the Temporal worker: {0}")]
    Worker(String),
    /// The worker stopped with an error.
    #[error("the Temporal worker stopped: {0}")]
    WorkerStopped(String),
    /// Starting a run was refused.
    #[error("Temporal refused to start run {run_id}: {reason}")]
    Start {
        /// The run id (the Temporal workflow id).
        run_id: String,
        /// What Temporal said.
        reason: String,
    },
    /// Talking to a run (its result, a signal, its history) failed.
    #[error("run {run_id}: {reason}")]
    Run {
        /// The run id (the Temporal workflow id).
        run_id: String,
        /// What went wrong.
        reason: String,
    },
    /// A recorded history does not replay on this build.
    #[error("the history of {workflow_id} does not replay: {reason}")]
    Nondeterminism {
        /// The workflow whose history was replayed.
        workflow_id: String,
        /// What the replay reported.
        reason: String,
    },
}
