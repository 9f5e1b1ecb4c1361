//! Per-shop token buckets: `rate` calls per second from `shopflow.toml`, refilled from the
//! sandbox's clock, holding at most `burst` calls (one second's worth on the Chinese platforms;
//! Shopify's leaky bucket holds 40 calls at 2/s, i.e. 20 seconds' worth).

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last_ms: i64,
}

/// The buckets, by shop name.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Takes one call from `shop`'s bucket, or says how many whole seconds until one is free.
    pub(crate) fn take(&self, shop: &str, rate: f64, burst: f64, now_ms: i64) -> Result<(), u64> {
        let capacity = burst.max(1.0);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(shop.to_owned()).or_insert(Bucket {
            tokens: capacity,
            last_ms: now_ms,
        });
        #[allow(clippy::cast_precision_loss)] // reason: elapsed ms between calls are small
        let elapsed_s = (now_ms - bucket.last_ms).max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed_s * rate).min(capacity);
        bucket.last_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            // reason: small positive
            Err(wait as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_second() {
        let l = Limiter::default();
        assert_eq!(l.take("s", 1.0, 1.0, 0), Ok(()));
        assert_eq!(l.take("s", 1.0, 1.0, 100), Err(1));
        assert_eq!(l.take("s", 1.0, 1.0, 1100), Ok(()));
        assert_eq!(l.take("other", 1.0, 1.0, 100), Ok(()));
    }
}
