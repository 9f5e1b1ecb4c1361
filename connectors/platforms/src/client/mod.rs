//! One client per configured shop: signs and sends each operation in its platform's dialect,
//! keeps to the shop's rate, refreshes an expired access token once, and tries a failed call
//! again (same idempotency key) while the failure is one that can pass.

pub mod douyin;
pub mod jd;
pub mod operation;
pub mod pdd;
pub mod shape;
pub mod shopify;
pub mod taobao;
pub mod wire;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::Value;

use crate::config::{Config, Secret, Shop};
use crate::error::Error;
use crate::platform::Platform;
pub use operation::{Invoice, Operation, PayerKind};
use wire::{Body, Request, Response};

/// Unix milliseconds; tests give a fixed clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// The longest `Retry-After` a call waits out itself; beyond it the step fails (retryable) and
/// the flow's own retry policy decides.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(30);

/// Clients for every configured shop.
#[derive(Clone)]
pub struct Connectors {
    shops: Arc<BTreeMap<String, Arc<ShopClient>>>,
    config: Arc<Config>,
}

impl Connectors {
    /// Clients for the shops in `config`.
    pub fn new(config: Config, clock: Clock) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let shops = config
            .shops
            .values()
            .map(|s| {
                (
                    s.name.clone(),
                    Arc::new(ShopClient::new(s.clone(), http.clone(), clock.clone())),
                )
            })
            .collect();
        Self {
            shops: Arc::new(shops),
            config: Arc::new(config),
        }
    }

    /// The client for the shop called `name`.
    pub fn shop(&self, name: &str) -> Option<&Arc<ShopClient>> {
        self.shops.get(name)
    }

    /// The configuration the clients were made from.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Every shop's name, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.shops.keys().map(String::as_str).collect()
    }

    /// The unmasked phone number of the receiver of `order_id` in shop `shop` (see
    /// [`ShopClient::receiver_phone`]); `Invalid` when no shop has that name.
    pub async fn receiver_phone(
        &self,
        shop: &str,
        order_id: &str,
    ) -> Result<Option<Secret>, Error> {
        let client = self.shop(shop).ok_or_else(|| Error::Invalid {
            detail: format!("no shop `{shop}` in shopflow.toml"),
        })?;
        client.receiver_phone(order_id).await
    }
}

struct Tokens {
    access: Secret,
    refresh: Option<Secret>,
    generation: u64,
}

/// A client for one shop.
pub struct ShopClient {
    shop: Shop,
    http: reqwest::Client,
    clock: Clock,
    limiter: DefaultDirectRateLimiter,
    tokens: Mutex<Tokens>,
    refreshing: tokio::sync::Mutex<()>,
}

impl ShopClient {
    fn new(shop: Shop, http: reqwest::Client, clock: Clock) -> Self {
        // A bucket of one second's worth of calls, refilled one call at a time.
        let burst = NonZeroU32::new(shop.rate.ceil().max(1.0) as u32).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_secs_f64(1.0 / shop.rate))
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        let tokens = Tokens {
            access: shop.access_token.clone(),
            refresh: shop.refresh_token.clone(),
            generation: 0,
        };
        Self {
            shop,
            http,
            clock,
            limiter: RateLimiter::direct(quota),
            tokens: Mutex::new(tokens),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The shop's settings.
    pub fn shop(&self) -> &Shop {
        &self.shop
    }

    /// Runs `op`, passing `key` in the platform's de-duplication field. Retries (same key)
    /// while the failure is retryable, up to the shop's `retries`; refreshes the access token
    /// once when it expired and the platform can refresh.
    pub async fn call(&self, op: &Operation, key: &str) -> Result<Value, Error> {
        self.call_reading(op, key, parse).await
    }

    /// The unmasked phone number of the order's receiver, for a worker that contacts the buyer
    /// itself (SMS, a voice call). It stays inside that worker: never log it or hand it to a
    /// flow (`platform.order.get` returns it masked). `None` when the platform shows no full
    /// number (Douyin only gives a masked one).
    pub async fn receiver_phone(&self, order_id: &str) -> Result<Option<Secret>, Error> {
        let op = Operation::OrderGet {
            order_id: order_id.to_owned(),
        };
        self.call_reading(&op, "", shape::receiver_phone).await
    }

    /// [`Self::call`] with the answer read by `read`.
    async fn call_reading<T>(
        &self,
        op: &Operation,
        key: &str,
        read: Reader<T>,
    ) -> Result<T, Error> {
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let (token, generation) = self.token();
            let result = self.exchange(op, key, &token, read).await;
            match result {
                Err(Error::TokenExpired { .. }) if !refreshed && self.can_refresh() => {
                    refreshed = true;
                    self.refresh(generation).await?;
                }
                Err(e) if e.retryable() && attempt < self.shop.retries => {
                    attempt += 1;
                    let wait = match &e {
                        Error::RateLimited { retry_after, .. } => *retry_after,
                        _ => Duration::from_millis(200 * (1 << attempt.min(5))),
                    };
                    if wait > MAX_INLINE_WAIT {
                        return Err(e);
                    }
                    tracing::info!(shop = %self.shop.name, op = op.name(), attempt, error = %e, "platform call failed; trying again with the same key");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    fn token(&self) -> (String, u64) {
        let t = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        (t.access.expose().to_owned(), t.generation)
    }

    fn can_refresh(&self) -> bool {
        matches!(
            self.shop.platform,
            Platform::Taobao | Platform::Pdd | Platform::Douyin
        ) && self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refresh
            .is_some()
    }

    /// Exchanges the refresh token for new tokens, unless another call already did since
    /// `seen_generation`. New tokens live in memory (see docs/integrations.md).
    async fn refresh(&self, seen_generation: u64) -> Result<(), Error> {
        let _one_at_a_time = self.refreshing.lock().await;
        let (refresh, generation) = {
            let t = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            (t.refresh.clone(), t.generation)
        };
        if generation != seen_generation {
            return Ok(());
        }
        let Some(refresh) = refresh else {
            return Err(Error::Authentication {
                detail: "the access token expired and no `refresh_token` is configured".into(),
            });
        };
        let op = Operation::RefreshToken {
            refresh_token: refresh.expose().to_owned(),
        };
        let (token, _) = self.token();
        let refreshed = self.exchange(&op, "", &token, parse).await;
        let answer = refreshed.map_err(|e| Error::Authentication {
            detail: format!("the access token expired and refreshing it failed: {e}"),
        })?;
        let access = wire::text(answer.get("access_token"));
        if access.is_empty() {
            return Err(Error::Malformed {
                detail: "the token refresh answer has no `access_token`".into(),
            });
        }
        let mut t = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        t.access = Secret::new(access);
        let new_refresh = wire::text(answer.get("refresh_token"));
        if !new_refresh.is_empty() {
            t.refresh = Some(Secret::new(new_refresh));
        }
        t.generation += 1;
        tracing::info!(shop = %self.shop.name, "access token refreshed");
        Ok(())
    }

    /// One request and its answer read by `read`, after waiting for the shop's rate.
    async fn exchange<T>(
        &self,
        op: &Operation,
        key: &str,
        token: &str,
        read: Reader<T>,
    ) -> Result<T, Error> {
        self.limiter.until_ready().await;
        let now = (self.clock)();
        let request = match self.shop.platform {
            Platform::Taobao => taobao::build(&self.shop, token, op, key, now),
            Platform::Jd => jd::build(&self.shop, token, op, key, now),
            Platform::Pdd => pdd::build(&self.shop, token, op, key, now),
            Platform::Douyin => douyin::build(&self.shop, token, op, key, now),
            Platform::Shopify => shopify::build(&self.shop, token, op, key, now),
        }?;
        let response = self.send(request).await?;
        read(&self.shop, op, &response)
    }

    async fn send(&self, request: Request) -> Result<Response, Error> {
        let mut builder = match request.method {
            "GET" => self.http.get(&request.url),
            _ => self.http.post(&request.url),
        }
        .timeout(self.shop.timeout);
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        builder = match request.body {
            Body::Empty => builder,
            Body::Form(form) => builder.form(&form),
            Body::Json(text) => builder
                .header("Content-Type", "application/json")
                .body(text),
        };
        // `without_url`: Douyin carries the access token in the query string.
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(e.without_url()))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let body = response
            .text()
            .await
            .map_err(|e| transport_error(e.without_url()))?;
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }
}

/// Reads a platform's answer to an operation.
type Reader<T> = fn(&Shop, &Operation, &Response) -> Result<T, Error>;

/// Reads the answer to `op` in the shop's platform dialect (the model flows see).
pub(crate) fn parse(shop: &Shop, op: &Operation, response: &Response) -> Result<Value, Error> {
    match shop.platform {
        Platform::Taobao => taobao::parse(shop, op, response),
        Platform::Jd => jd::parse(shop, op, response),
        Platform::Pdd => pdd::parse(shop, op, response),
        Platform::Douyin => douyin::parse(shop, op, response),
        Platform::Shopify => shopify::parse(shop, op, response),
    }
}

fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            detail: format!("no answer in time ({e})"),
        }
    } else {
        Error::Unavailable {
            detail: format!("the request failed ({e})"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A shop on `platform` with fixed credentials, for the dialects' unit tests.
    pub(crate) fn shop(platform: Platform) -> Shop {
        let text = format!(
            "[[shop]]\nname = 's'\nplatform = '{platform}'\napp_key = 'key'\ndomain = 's.myshopify.com'\n\
             shop_id = '1'\napp_secret = {{ env = 'SECRET' }}\naccess_token = {{ env = 'TOKEN' }}\n"
        );
        let env = |n: &str| match n {
            "SECRET" => Some("helloworld".to_owned()),
            "TOKEN" => Some("token".to_owned()),
            _ => None,
        };
        Config::parse(&text, std::path::Path::new("t.toml"), &env)
            .expect("test config")
            .shops
            .remove("s")
            .expect("the shop")
    }
}
