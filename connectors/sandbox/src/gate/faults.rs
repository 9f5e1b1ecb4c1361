//! Faults queued through `POST /_sandbox/faults`, taken one by one by matching calls.

use std::sync::Mutex;

use serde::Deserialize;

/// What a fault does to the call it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum FaultKind {
    /// HTTP 502 before anything happens.
    #[serde(rename = "5xx")]
    BadGateway,
    /// The effect is applied (and its answer stored for the key), then HTTP 502.
    #[serde(rename = "5xx_after")]
    BadGatewayAfter,
    /// The effect is applied, then the answer is held for `hold_ms`.
    #[serde(rename = "timeout")]
    Timeout,
    /// The platform's rate-limit error.
    #[serde(rename = "rate_limit")]
    RateLimit,
    /// The shop's access token stops working until it is refreshed.
    #[serde(rename = "token_expired")]
    TokenExpired,
}

impl FaultKind {
    /// The `<kind>` in a call's `fault:<kind>` outcome.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::BadGateway => "5xx",
            Self::BadGatewayAfter => "5xx_after",
            Self::Timeout => "timeout",
            Self::RateLimit => "rate_limit",
            Self::TokenExpired => "token_expired",
        }
    }
}

/// A fault as posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    /// Only calls of this shop (all shops if absent).
    pub shop: Option<String>,
    /// Only this method (or Shopify path part, e.g. `refunds.json`); all if absent.
    pub method: Option<String>,
    pub kind: FaultKind,
    /// How many calls it hits (default 1).
    pub count: Option<u32>,
    /// How long `timeout` holds the answer (default 15 s).
    pub hold_ms: Option<u64>,
}

/// A fault that hit a call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    pub hold_ms: u64,
}

#[derive(Debug)]
struct Queued {
    spec: FaultSpec,
    remaining: u32,
}

/// The queue.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    queued: Mutex<Vec<Queued>>,
}

impl Faults {
    /// Queues a fault.
    pub(crate) fn push(&self, spec: FaultSpec) {
        let remaining = spec.count.unwrap_or(1);
        self.lock().push(Queued { spec, remaining });
    }

    /// Drops every queued fault.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// How many fault hits are still queued.
    pub(crate) fn pending(&self) -> u32 {
        self.lock().iter().map(|q| q.remaining).sum()
    }

    /// Takes the first fault matching a call of `shop` to `method`.
    pub(crate) fn take(&self, shop: &str, method: &str) -> Option<Fault> {
        let mut queued = self.lock();
        let index = queued.iter().position(|q| {
            q.remaining > 0
                && q.spec.shop.as_deref().is_none_or(|s| s == shop)
                && q.spec.method.as_deref().is_none_or(|m| {
                    // Shopify calls are named by path (`orders/1/refunds.json`,
                    // `graphql.json:returnApproveRequest`), so a suffix or prefix names them.
                    method == m || method.ends_with(m) || method.starts_with(m)
                })
        })?;
        let q = &mut queued[index];
        q.remaining -= 1;
        let fault = Fault {
            kind: q.spec.kind,
            hold_ms: q.spec.hold_ms.unwrap_or(15_000),
        };
        queued.retain(|q| q.remaining > 0);
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
