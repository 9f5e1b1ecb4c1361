//! Aliyun SMS and voice state: the messages and calls accepted (full numbers are kept here
//! only; the control API masks them), the `SignatureNonce`s seen, and the first answer given
//! for each `OutId`.

use rusqlite::{Connection, OptionalExtension, params};

/// One accepted SMS or voice call.
#[derive(Debug, Clone)]
pub(crate) struct AliyunMessage {
    pub seq: i64,
    /// `sms` or `voice`.
    pub kind: String,
    pub access_key_id: String,
    /// The full number (the sandbox's own store only).
    pub phone: String,
    /// `SignName` or `CalledShowNumber`.
    pub sender: String,
    /// `TemplateCode` or `TtsCode`.
    pub template_code: String,
    /// `TemplateParam` / `TtsParam` as sent (JSON text, `{}` when absent).
    pub params: String,
    pub out_id: Option<String>,
    /// `BizId` or `CallId`.
    pub message_id: String,
    pub request_id: String,
    pub at_ms: i64,
}

/// Records `nonce` of `key_id`; false when it was used before. Nonces older than
/// `forget_before` are dropped: their calls' timestamps are outside the window anyway.
pub(crate) fn use_nonce(
    conn: &Connection,
    key_id: &str,
    nonce: &str,
    at_ms: i64,
    forget_before: i64,
) -> rusqlite::Result<bool> {
    conn.execute(
        "DELETE FROM aliyun_nonces WHERE at_ms < ?1",
        params![forget_before],
    )?;
    let n = conn.execute(
        "INSERT OR IGNORE INTO aliyun_nonces (access_key_id, nonce, at_ms) VALUES (?1, ?2, ?3)",
        params![key_id, nonce, at_ms],
    )?;
    Ok(n == 1)
}

/// The first answer given to `out_id` of `action` by `key_id`: status and body.
pub(crate) fn aliyun_answer(
    conn: &Connection,
    key_id: &str,
    action: &str,
    out_id: &str,
) -> rusqlite::Result<Option<(u16, String)>> {
    conn.query_row(
        "SELECT status, body FROM aliyun_answers WHERE access_key_id = ?1 AND action = ?2 \
         AND out_id = ?3",
        params![key_id, action, out_id],
        |r| Ok((r.get::<_, u16>(0)?, r.get(1)?)),
    )
    .optional()
}

/// Keeps the answer given to `out_id`.
pub(crate) fn store_aliyun_answer(
    conn: &Connection,
    key_id: &str,
    action: &str,
    out_id: &str,
    status: u16,
    body: &str,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO aliyun_answers (access_key_id, action, out_id, status, body, at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key_id, action, out_id, status, body, at_ms],
    )?;
    Ok(())
}

/// When `phone` last got a message of `kind`.
pub(crate) fn last_message_to(
    conn: &Connection,
    kind: &str,
    phone: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT max(at_ms) FROM aliyun_messages WHERE kind = ?1 AND phone = ?2",
        params![kind, phone],
        |r| r.get(0),
    )
}

/// Records an accepted message.
pub(crate) fn insert_aliyun_message(conn: &Connection, m: &AliyunMessage) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO aliyun_messages (kind, access_key_id, phone, sender, template_code, params, \
         out_id, message_id, request_id, at_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
        params![
            m.kind,
            m.access_key_id,
            m.phone,
            m.sender,
            m.template_code,
            m.params,
            m.out_id,
            m.message_id,
            m.request_id,
            m.at_ms
        ],
    )?;
    Ok(())
}

/// The accepted messages, oldest first, optionally of one kind.
pub(crate) fn aliyun_messages(
    conn: &Connection,
    kind: Option<&str>,
) -> rusqlite::Result<Vec<AliyunMessage>> {
    let mut stmt = conn.prepare(
        "SELECT seq, kind, access_key_id, phone, sender, template_code, params, out_id, \
         message_id, request_id, at_ms FROM aliyun_messages WHERE ?1 IS NULL OR kind = ?1 \
         ORDER BY seq",
    )?;
    stmt.query_map(params![kind], |r| {
        Ok(AliyunMessage {
            seq: r.get(0)?,
            kind: r.get(1)?,
            access_key_id: r.get(2)?,
            phone: r.get(3)?,
            sender: r.get(4)?,
            template_code: r.get(5)?,
            params: r.get(6)?,
            out_id: r.get(7)?,
            message_id: r.get(8)?,
            request_id: r.get(9)?,
            at_ms: r.get(10)?,
        })
    })?
    .collect()
}
