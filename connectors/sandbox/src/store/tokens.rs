//! Access and refresh tokens: the configured ones until a refresh issues new ones. A refresh
//! replaces both (the old refresh token then stops working, as on Douyin), and a
//! `token_expired` fault marks the current access token invalid until the next refresh.

use rusqlite::{Connection, OptionalExtension, params};

/// What a presented access token is worth for a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    /// The shop's current, valid token.
    Valid,
    /// Not the shop's current valid token (expired, replaced, or another shop's).
    Invalid,
}

/// Makes sure `shop` has a token row; resets it when `shopflow.toml` names a different access
/// token than the one the row started from (the operator re-authorised the shop).
pub(crate) fn ensure_tokens(
    conn: &Connection,
    shop: &str,
    access: &str,
    refresh: Option<&str>,
) -> rusqlite::Result<()> {
    let configured: Option<String> = conn
        .query_row(
            "SELECT configured_access FROM token_state WHERE shop = ?1",
            params![shop],
            |r| r.get(0),
        )
        .optional()?;
    if configured.as_deref() != Some(access) {
        conn.execute(
            "INSERT OR REPLACE INTO token_state \
             (shop, configured_access, access_token, refresh_token, access_valid) \
             VALUES (?1, ?2, ?2, ?3, 1)",
            params![shop, access, refresh],
        )?;
    }
    Ok(())
}

/// Checks `presented` against `shop`'s current access token.
pub(crate) fn check_access(
    conn: &Connection,
    shop: &str,
    presented: &str,
) -> rusqlite::Result<TokenCheck> {
    let row: Option<(String, i64)> = conn
        .query_row(
            "SELECT access_token, access_valid FROM token_state WHERE shop = ?1",
            params![shop],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((token, 1)) if shopflow_connectors::sign::signatures_match(&token, presented) => {
            TokenCheck::Valid
        }
        _ => TokenCheck::Invalid,
    })
}

/// Whether `presented` is or was an access token of `shop` (so a rejection can name the shop).
pub(crate) fn knows_access(
    conn: &Connection,
    shop: &str,
    presented: &str,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM token_state WHERE shop = ?1 AND (access_token = ?2 OR configured_access = ?2) \
         UNION SELECT 1 FROM issued_tokens WHERE shop = ?1 AND access_token = ?2",
        params![shop, presented],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
}

/// Whether `presented` is `shop`'s current refresh token.
pub(crate) fn refresh_matches(
    conn: &Connection,
    shop: &str,
    presented: &str,
) -> rusqlite::Result<bool> {
    let current: Option<Option<String>> = conn
        .query_row(
            "SELECT refresh_token FROM token_state WHERE shop = ?1",
            params![shop],
            |r| r.get(0),
        )
        .optional()?;
    Ok(matches!(current, Some(Some(t)) if !presented.is_empty()
        && shopflow_connectors::sign::signatures_match(&t, presented)))
}

/// Marks `shop`'s current access token invalid (the `token_expired` fault).
pub(crate) fn invalidate_access(conn: &Connection, shop: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE token_state SET access_valid = 0 WHERE shop = ?1",
        params![shop],
    )?;
    Ok(())
}

/// Replaces both of `shop`'s tokens with newly issued ones.
pub(crate) fn rotate_tokens(
    conn: &Connection,
    shop: &str,
    access: &str,
    refresh: &str,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE token_state SET access_token = ?2, refresh_token = ?3, access_valid = 1 WHERE shop = ?1",
        params![shop, access, refresh],
    )?;
    conn.execute(
        "INSERT INTO issued_tokens (shop, access_token, refresh_token, issued_ms) VALUES (?1,?2,?3,?4)",
        params![shop, access, refresh, at_ms],
    )?;
    Ok(())
}
