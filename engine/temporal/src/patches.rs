//! Patch ids: how the workflow code changes without breaking runs already in flight.
//!
//! Temporal replays a run's history against the current code, so a change to *which commands*
//! the workflow issues (a new activity, a timer that was not there) would make older histories
//! fail to replay. Such a change goes behind `ctx.patched(ID)`: runs that reach the spot on a
//! new build record a marker and take the new path; runs recorded before the change replay the
//! old path. Once no run older than the change is open, the check becomes
//! `ctx.deprecate_patch(ID)` and later the old path is deleted (see docs/operations.md).
//!
//! Every id is listed here, with the change it guards.

/// An `emit` also hands the event to the worker's event router (the `shopflow.emit`
/// activity), which delivers it to the other open runs. Histories recorded before this
/// delivered an emitted event only to the emitting run's own inbox.
pub(crate) const EMIT_ROUTES_TO_OTHER_RUNS: &str = "shopflow.emit-routes-to-other-runs";

/// A run whose cancellation was requested ends cancelled before the driver polls anything
/// else. Histories recorded before this let the timers the cancellation cancelled resolve
/// first, so a run waiting with a `timeout` went on down its timeout path (and could complete).
pub(crate) const CANCEL_ENDS_THE_RUN_FIRST: &str = "shopflow.cancel-ends-the-run-first";
