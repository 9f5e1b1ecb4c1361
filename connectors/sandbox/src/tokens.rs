//! Issuing new tokens on a refresh: a new access token AND a new refresh token; the old refresh
//! token stops working (Douyin's rule, applied to every platform that refreshes).

use crate::gate::{Ctx, Reject};
use crate::ids;
use crate::store::table;

/// How long an issued access token says it lives, in seconds (the sandbox does not expire it
/// by time; only a `token_expired` fault does).
pub(crate) const EXPIRES_IN_S: i64 = 86_400;
/// How long an issued refresh token says it lives, in seconds.
pub(crate) const REFRESH_EXPIRES_IN_S: i64 = 30 * 86_400;

/// Issues and stores a new token pair for the calling shop: `(access, refresh)`.
pub(crate) fn issue(
    ctx: &Ctx<'_>,
    access_prefix: &str,
    refresh_prefix: &str,
) -> Result<(String, String), Reject> {
    let access = ids::token(access_prefix, ctx.now_ms);
    let refresh = ids::token(refresh_prefix, ctx.now_ms ^ 0x5A5A);
    table::rotate_tokens(ctx.conn, &ctx.shop.name, &access, &refresh, ctx.now_ms)?;
    Ok((access, refresh))
}
