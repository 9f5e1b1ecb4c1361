//! Platform push: webhooks verified here (the HTTP side is in `shopflow-server`), the TMC and
//! Pinduoduo WebSocket channels, and the CloudEvents both become.

pub mod channel;
pub mod douyin;
pub mod hook;
pub mod message;
pub mod pdd;
pub mod shopify;
pub mod tmc;

pub use channel::{Sink, run};
pub use hook::HookError;
pub use message::PushMessage;
