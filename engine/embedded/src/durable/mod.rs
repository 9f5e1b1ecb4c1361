//! The durable context on the SQLite journal: [`SqliteContext`] runs one flow run against a
//! [`Store`], journaling every call result, clock read, random number, decision, timer and
//! event before the flow sees it, so a run replayed after a restart takes the same path
//! without executing anything again.

mod clock;
mod context;
mod record;
pub mod replay;
mod store;

pub use clock::{AcceleratedClock, Clock, ManualClock, SystemClock};
pub use context::{CallObserver, Driven, Evictor, SecretSource, Spawner, SqliteContext, Triggers};
pub use store::{Admitted, Gate, Store};
