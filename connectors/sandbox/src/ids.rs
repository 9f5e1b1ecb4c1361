//! A small deterministic random source (SplitMix64) and the platforms' id styles.
//!
//! A hand-written generator instead of the `rand` crate: seeded data must stay identical for a
//! given seed across dependency upgrades, which `rand`'s `StdRng` does not promise.

use std::sync::atomic::{AtomicU64, Ordering};

use shopflow_connectors::Platform;

use crate::clock;

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator that differs on every call (control-API ids), from the clock and a counter.
    pub(crate) fn fresh(now_ms: i64) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut r = Self(now_ms.unsigned_abs() ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo).max(0).unsigned_abs() + 1;
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    /// True `percent` times in a hundred.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// `n` decimal digits, the first not zero.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        for i in 0..n {
            let d = if i == 0 {
                1 + self.below(9)
            } else {
                self.below(10)
            };
            s.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
        }
        s
    }
}

/// A new order id in the platform's style.
pub(crate) fn order_id(rng: &mut Rng, platform: Platform, created_ms: i64) -> String {
    match platform {
        // Taobao tids are 18–19 digit numbers.
        Platform::Taobao => format!("2{}", rng.digits(17)),
        Platform::Jd => format!("3{}", rng.digits(11)),
        Platform::Pdd => format!("{}-{}", clock::gmt8_yymmdd(created_ms), rng.digits(15)),
        Platform::Douyin => format!("69{}", rng.digits(17)),
        Platform::Shopify => format!("5{}", rng.digits(12)),
    }
}

/// A new refund / after-sale id in the platform's style (Shopify: the numeric part).
pub(crate) fn refund_id(rng: &mut Rng, platform: Platform) -> String {
    match platform {
        Platform::Taobao => format!("1{}", rng.digits(14)),
        Platform::Jd => format!("5{}", rng.digits(9)),
        Platform::Pdd => format!("8{}", rng.digits(9)),
        Platform::Douyin => format!("7{}", rng.digits(18)),
        Platform::Shopify => format!("9{}", rng.digits(10)),
    }
}

/// A Shopify return's GraphQL id.
pub(crate) fn return_gid(id: &str) -> String {
    format!("gid://shopify/Return/{id}")
}

/// The numeric part of a Shopify return gid (or the id itself).
pub(crate) fn strip_return_gid(id: &str) -> &str {
    id.strip_prefix("gid://shopify/Return/").unwrap_or(id)
}

/// An id as a JSON number where the platform sends numbers (falls back to text).
pub(crate) fn id_value(id: &str) -> serde_json::Value {
    id.parse::<u64>().map_or_else(
        |_| serde_json::Value::String(id.to_owned()),
        serde_json::Value::from,
    )
}

/// A new opaque token (access or refresh) with a platform-looking prefix.
pub(crate) fn token(prefix: &str, now_ms: i64) -> String {
    let mut r = Rng::fresh(now_ms);
    format!("{prefix}{:016x}{:016x}", r.next(), r.next())
}

/// A request id / log id for an answer.
pub(crate) fn request_id(now_ms: i64) -> String {
    let mut r = Rng::fresh(now_ms);
    format!("{:x}{:08x}", now_ms, r.next() & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_id_shapes() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.next(), b.next());
        let pdd = order_id(&mut a, Platform::Pdd, 0);
        assert_eq!(pdd.len(), 22, "{pdd}");
        assert_eq!(order_id(&mut a, Platform::Douyin, 0).len(), 19);
        assert_eq!(a.digits(5).len(), 5);
    }
}
