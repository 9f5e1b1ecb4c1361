//! Push messages: what each platform pushes for an order or refund event ([`events`]), webhook
//! delivery with retries (Shopify, Douyin: [`webhook`]), and the WebSocket channels apps
//! connect to (Taobao TMC: [`tmc`], Pinduoduo: [`pdd_ws`]).

pub(crate) mod events;
pub(crate) mod pdd_ws;
mod session;
pub(crate) mod tmc;
pub(crate) mod webhook;
