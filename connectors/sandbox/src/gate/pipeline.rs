//! The common part of every gateway call after the platform checked the app, the signature and
//! the timestamp: token → rate limit → faults → idempotency replay → business method, with one
//! `calls` row for every call and one `effects` row for every applied change.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::Value;
use shopflow_connectors::{Platform, Shop};

use super::{Answer, FaultKind, Reject};
use crate::sandbox::Inner;
use crate::store::{EffectRow, NewPush, PushRow, TokenCheck, table};

/// How a platform writes its answers.
pub(crate) trait Dialect: Send + Sync {
    /// Which platform.
    fn platform(&self) -> Platform;
    /// A successful answer carrying `data`.
    fn success(&self, method: &str, data: Value, now_ms: i64) -> Answer;
    /// A refusal.
    fn reject(&self, method: &str, reject: &Reject, now_ms: i64) -> Answer;
    /// Whether tokens can be refreshed (then `token_expired` really invalidates the token).
    fn refreshable(&self) -> bool {
        true
    }
}

/// What the call presents to be let in.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// An access token (absent: `None`).
    Access(Option<String>),
    /// A refresh token, for the token refresh methods.
    Refresh(Option<String>),
}

/// A call the platform code has identified and whose signature and timestamp it checked.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    /// The app key / client id / domain it came with.
    pub app_key: String,
    /// The shops configured with that app (one app may serve several shops; the token says
    /// which one).
    pub candidates: Vec<Shop>,
    pub credential: Credential,
    /// The method as called (Shopify: the path after the API version).
    pub method: String,
    /// The method as idempotency keys and effects name it (Shopify: without ids).
    pub scope: String,
    /// The call's idempotency key, for methods that change something.
    pub key: Option<String>,
}

/// What a business method sees.
pub(crate) struct Ctx<'a> {
    pub conn: &'a Connection,
    pub shop: &'a Shop,
    pub now_ms: i64,
}

/// One change a business method made.
#[derive(Debug, Clone)]
pub(crate) struct Effect {
    /// What it changed (order, refund or return id).
    pub target: String,
    /// The call's parameters without secrets.
    pub summary: Value,
}

/// What a business method produced.
#[derive(Default)]
pub(crate) struct Done {
    pub data: Value,
    pub effects: Vec<Effect>,
    pub pushes: Vec<NewPush>,
}

impl Done {
    /// An answer without changes.
    pub(crate) fn read(data: Value) -> Self {
        Self {
            data,
            ..Self::default()
        }
    }
}

/// Refuses a call before it was admitted (unknown app, bad signature or timestamp, missing
/// system parameter), recording it.
pub(crate) fn refuse_early(
    sb: &Inner,
    d: &dyn Dialect,
    app_key: &str,
    method: &str,
    reject: &Reject,
) -> Answer {
    // One app serving one shop names it; with several, only the token could say which.
    let named = sb.only_shop_of_app(d.platform(), app_key);
    sb.record_call(
        d.platform(),
        app_key,
        named.as_deref(),
        method,
        &format!("rejected:{}", reject.reason()),
        false,
    );
    d.reject(method, reject, sb.now())
}

/// Runs an admitted call through the common checks and `business`.
pub(crate) async fn run<F>(sb: &Arc<Inner>, d: &dyn Dialect, adm: Admission, business: F) -> Answer
where
    F: FnOnce(&Ctx<'_>) -> Result<Done, Reject> + Send,
{
    let now = sb.now();
    let shop = match resolve(sb, &adm) {
        Ok(shop) => shop,
        Err((named, reject)) => {
            sb.record_call(
                d.platform(),
                &adm.app_key,
                named.as_deref(),
                &adm.method,
                &format!("rejected:{}", reject.reason()),
                false,
            );
            return d.reject(&adm.method, &reject, now);
        }
    };
    let record = |outcome: &str, replayed: bool| {
        sb.record_call(
            d.platform(),
            &adm.app_key,
            Some(&shop.name),
            &adm.method,
            outcome,
            replayed,
        );
    };
    let burst = if d.platform() == Platform::Shopify {
        shop.rate * 20.0
    } else {
        shop.rate
    };
    if let Err(secs) = sb.limiter.take(&shop.name, shop.rate, burst, now) {
        record("rejected:rate_limit", false);
        return d.reject(&adm.method, &Reject::RateLimited(secs), now);
    }
    let fault = sb.faults.take(&shop.name, &adm.method);
    if let Some(f) = fault {
        let outcome = format!("fault:{}", f.kind.as_str());
        match f.kind {
            FaultKind::BadGateway => {
                record(&outcome, false);
                return Answer::bad_gateway();
            }
            FaultKind::RateLimit => {
                record(&outcome, false);
                return d.reject(&adm.method, &Reject::RateLimited(1), now);
            }
            FaultKind::TokenExpired => {
                if d.refreshable() {
                    let conn = sb.store.lock();
                    if let Err(e) = table::invalidate_access(&conn, &shop.name) {
                        tracing::warn!(error = %e, "could not invalidate the token");
                    }
                }
                record(&outcome, false);
                return d.reject(&adm.method, &Reject::Token, now);
            }
            FaultKind::BadGatewayAfter | FaultKind::Timeout => {}
        }
    }
    let (answer, outcome, replayed, pushes) = match execute(sb, d, &adm, &shop, now, business) {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "sandbox database failed");
            (
                Answer::internal(&e.to_string()),
                "rejected:internal".to_owned(),
                false,
                Vec::new(),
            )
        }
    };
    match fault {
        Some(f) => record(&format!("fault:{}", f.kind.as_str()), replayed),
        None => record(&outcome, replayed),
    }
    sb.announce(pushes);
    match fault.map(|f| (f.kind, f.hold_ms)) {
        Some((FaultKind::BadGatewayAfter, _)) => Answer::bad_gateway(),
        Some((FaultKind::Timeout, hold_ms)) => {
            tokio::time::sleep(Duration::from_millis(hold_ms)).await;
            answer
        }
        _ => answer,
    }
}

/// Finds the shop the credential belongs to, or the refusal (naming the shop when known).
fn resolve(sb: &Inner, adm: &Admission) -> Result<Shop, (Option<String>, Reject)> {
    let conn = sb.store.lock();
    let internal = |e: rusqlite::Error| (None, Reject::Internal(e.to_string()));
    match &adm.credential {
        Credential::Access(None) => Err((None, Reject::MissingToken)),
        Credential::Access(Some(token)) => {
            for shop in &adm.candidates {
                if table::check_access(&conn, &shop.name, token).map_err(internal)?
                    == TokenCheck::Valid
                {
                    return Ok(shop.clone());
                }
            }
            let mut named = None;
            for shop in &adm.candidates {
                if table::knows_access(&conn, &shop.name, token).map_err(internal)? {
                    named = Some(shop.name.clone());
                }
            }
            Err((named, Reject::Token))
        }
        Credential::Refresh(None) => Err((None, Reject::Missing("refresh_token".into()))),
        Credential::Refresh(Some(token)) => {
            for shop in &adm.candidates {
                if table::refresh_matches(&conn, &shop.name, token).map_err(internal)? {
                    return Ok(shop.clone());
                }
            }
            Err((None, Reject::BadRefreshToken))
        }
    }
}

type Executed = (Answer, String, bool, Vec<PushRow>);

/// Replays a repeated key or runs the business method, in one transaction under the store's
/// lock (so two calls with the same key cannot both apply the effect).
fn execute<F>(
    sb: &Inner,
    d: &dyn Dialect,
    adm: &Admission,
    shop: &Shop,
    now: i64,
    business: F,
) -> rusqlite::Result<Executed>
where
    F: FnOnce(&Ctx<'_>) -> Result<Done, Reject>,
{
    let mut conn = sb.store.lock();
    if let Some(key) = &adm.key
        && let Some(stored) = table::stored_answer(&conn, &shop.name, &adm.scope, key)?
    {
        return Ok((stored.into(), "ok".into(), true, Vec::new()));
    }
    let tx = conn.transaction()?;
    let result = business(&Ctx {
        conn: &tx,
        shop,
        now_ms: now,
    });
    let (answer, outcome, storable, pushes) = match result {
        Ok(done) => {
            for effect in &done.effects {
                table::insert_effect(
                    &tx,
                    &EffectRow {
                        seq: 0,
                        shop: shop.name.clone(),
                        platform: d.platform().as_str().to_owned(),
                        method: adm.scope.clone(),
                        target: effect.target.clone(),
                        key: adm.key.clone(),
                        at_ms: now,
                        summary: effect.summary.clone(),
                    },
                )?;
            }
            let mut rows = Vec::new();
            for push in done.pushes {
                rows.push(table::insert_push(&tx, push, now)?);
            }
            let answer = d.success(&adm.method, done.data, now);
            // Kept in the same transaction as the effect: a key never has an effect without its
            // answer, nor an answer without its effect.
            if let Some(key) = &adm.key {
                table::store_answer(&tx, &shop.name, &adm.scope, key, &answer.to_stored(), now)?;
            }
            tx.commit()?;
            (answer, "ok".to_owned(), false, rows)
        }
        Err(Reject::Internal(e)) => {
            drop(tx);
            return Ok((
                Answer::internal(&e),
                "rejected:internal".into(),
                false,
                Vec::new(),
            ));
        }
        Err(reject) => {
            // A refusal changes nothing: whatever the method did before refusing is undone.
            drop(tx);
            let outcome = format!("rejected:{}", reject.reason());
            (
                d.reject(&adm.method, &reject, now),
                outcome,
                reject.storable(),
                Vec::new(),
            )
        }
    };
    if storable && let Some(key) = &adm.key {
        table::store_answer(&conn, &shop.name, &adm.scope, key, &answer.to_stored(), now)?;
    }
    Ok((answer, outcome, false, pushes))
}
