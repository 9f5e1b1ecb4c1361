//! Where a [`SqliteContext`](super::SqliteContext) reads the time and waits for timers: the
//! runtime's clock in production, a hand-moved one in tests (so an hour-long timer and a
//! restart in the middle of it take no real time).

use std::sync::{Mutex, PoisonError};

use futures::future::BoxFuture;
use tokio::sync::Notify;

/// Wall-clock time in milliseconds since the Unix epoch, and waiting until a given time.
pub trait Clock: Send + Sync {
    /// The current time, milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Completes once the clock reads `due_ms` or later.
    fn sleep_until(&self, due_ms: i64) -> BoxFuture<'_, ()>;
}

/// The system's wall clock when made, advanced by the tokio runtime's clock (so it agrees
/// with tokio timers, also under a paused runtime clock).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    epoch_ms: i64,
    started: tokio::time::Instant,
}

impl SystemClock {
    /// A clock reading the system time now.
    pub fn new() -> Self {
        Self {
            epoch_ms: chrono::Utc::now().timestamp_millis(),
            started: tokio::time::Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.epoch_ms.saturating_add(elapsed)
    }

    fn sleep_until(&self, due_ms: i64) -> BoxFuture<'_, ()> {
        let remaining = u64::try_from(due_ms.saturating_sub(self.now_ms())).unwrap_or(0);
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(
            remaining,
        )))
    }
}

/// A clock that runs `factor` times faster than the wall clock from a chosen start: the demo
/// replays a day of shop traffic in minutes with it, and every timer (a reminder due in two
/// hours, a seven-day return window) fires at its accelerated time.
#[derive(Debug, Clone, Copy)]
pub struct AcceleratedClock {
    start_ms: i64,
    started: tokio::time::Instant,
    factor: u32,
}

impl AcceleratedClock {
    /// A clock reading `start_ms` now and advancing `factor` ms per real ms (`factor` ≥ 1).
    pub fn new(start_ms: i64, factor: u32) -> Self {
        Self {
            start_ms,
            started: tokio::time::Instant::now(),
            factor: factor.max(1),
        }
    }

    /// How many clock milliseconds pass per real millisecond.
    pub fn factor(&self) -> u32 {
        self.factor
    }
}

impl Clock for AcceleratedClock {
    fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.start_ms
            .saturating_add(elapsed.saturating_mul(i64::from(self.factor)) / 1000)
    }

    fn sleep_until(&self, due_ms: i64) -> BoxFuture<'_, ()> {
        let remaining_us =
            due_ms.saturating_sub(self.now_ms()).saturating_mul(1000) / i64::from(self.factor);
        let remaining = u64::try_from(remaining_us).unwrap_or(0);
        Box::pin(tokio::time::sleep(std::time::Duration::from_micros(
            remaining,
        )))
    }
}

/// A clock that moves only when told to; for tests of timers.
#[derive(Debug, Default)]
pub struct ManualClock {
    state: Mutex<ManualState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct ManualState {
    now_ms: i64,
    /// Due times of the sleeps waiting now.
    sleepers: Vec<i64>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            state: Mutex::new(ManualState {
                now_ms,
                sleepers: Vec::new(),
            }),
            changed: Notify::new(),
        }
    }

    /// Moves the clock forward by `ms`, waking the sleeps that are due.
    pub fn advance(&self, ms: i64) {
        let mut state = self.lock();
        state.now_ms = state.now_ms.saturating_add(ms);
        drop(state);
        self.changed.notify_waiters();
    }

    /// Waits until some sleep is waiting on this clock, and returns the earliest due time.
    pub async fn sleeping(&self) -> i64 {
        loop {
            let changed = self.changed.notified();
            if let Some(due) = self.lock().sleepers.iter().min().copied() {
                return due;
            }
            changed.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes a sleep's due time from the clock when the sleep ends or is dropped.
struct Sleeper<'a> {
    clock: &'a ManualClock,
    due_ms: i64,
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        let mut state = self.clock.lock();
        if let Some(i) = state.sleepers.iter().position(|d| *d == self.due_ms) {
            state.sleepers.remove(i);
        }
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.lock().now_ms
    }

    fn sleep_until(&self, due_ms: i64) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut sleeper = None;
            loop {
                let changed = self.changed.notified();
                if self.lock().now_ms >= due_ms {
                    return;
                }
                if sleeper.is_none() {
                    self.lock().sleepers.push(due_ms);
                    sleeper = Some(Sleeper {
                        clock: self,
                        due_ms,
                    });
                    self.changed.notify_waiters();
                }
                changed.await;
            }
        })
    }
}
