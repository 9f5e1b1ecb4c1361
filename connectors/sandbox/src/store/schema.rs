//! The tables. Amounts are integer fen; times are unix ms.

/// Created on open when absent.
pub(super) const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS orders (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    status TEXT NOT NULL,
    presale INTEGER NOT NULL DEFAULT 0,
    buyer_nick TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    receiver_name TEXT NOT NULL,
    receiver_phone TEXT NOT NULL,
    province TEXT NOT NULL,
    city TEXT NOT NULL,
    district TEXT NOT NULL,
    address TEXT NOT NULL,
    zip TEXT NOT NULL,
    email TEXT NOT NULL,
    items TEXT NOT NULL,
    post_fee_fen INTEGER NOT NULL,
    refunded_fen INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    paid_ms INTEGER,
    shipped_ms INTEGER,
    finished_ms INTEGER,
    closed_ms INTEGER,
    close_deadline_ms INTEGER,
    PRIMARY KEY (shop, order_id)
);
CREATE TABLE IF NOT EXISTS refunds (
    shop TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (shop, refund_id)
);
CREATE INDEX IF NOT EXISTS refunds_by_order ON refunds (shop, order_id);
CREATE TABLE IF NOT EXISTS return_addresses (
    shop TEXT NOT NULL,
    address_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    province TEXT NOT NULL,
    city TEXT NOT NULL,
    district TEXT NOT NULL,
    detail TEXT NOT NULL,
    is_default INTEGER NOT NULL,
    PRIMARY KEY (shop, address_id)
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    content TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    serial_no TEXT NOT NULL,
    invoice_no TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    sum_price_fen INTEGER NOT NULL,
    sum_tax_fen INTEGER NOT NULL,
    business_type INTEGER NOT NULL,
    payer_name TEXT NOT NULL,
    payer_register_no TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_applications (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    business_type INTEGER NOT NULL,
    payer_name TEXT NOT NULL,
    payer_register_no TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    apply_ms INTEGER NOT NULL,
    status INTEGER NOT NULL,
    PRIMARY KEY (shop, order_id)
);
CREATE TABLE IF NOT EXISTS token_state (
    shop TEXT PRIMARY KEY,
    configured_access TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    access_valid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS issued_tokens (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    issued_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS effects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT NOT NULL,
    platform TEXT NOT NULL,
    method TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT,
    at_ms INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shop TEXT,
    app_key TEXT NOT NULL,
    platform TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    replayed INTEGER NOT NULL DEFAULT 0,
    at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    shop TEXT NOT NULL,
    method TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (shop, method, key)
);
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    shop TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS aliyun_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    sender TEXT NOT NULL,
    template_code TEXT NOT NULL,
    params TEXT NOT NULL,
    out_id TEXT,
    message_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS aliyun_messages_by_phone ON aliyun_messages (kind, phone, at_ms);
CREATE TABLE IF NOT EXISTS aliyun_nonces (
    access_key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (access_key_id, nonce)
);
CREATE TABLE IF NOT EXISTS aliyun_answers (
    access_key_id TEXT NOT NULL,
    action TEXT NOT NULL,
    out_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (access_key_id, action, out_id)
);
";
