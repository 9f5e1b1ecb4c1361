//! `shopflow-sandbox`: a local simulator of the five shop platforms shopflow talks to (Taobao,
//! JD, Pinduoduo, Douyin, Shopify). It serves each platform's gateway exactly as
//! `docs/platform-protocols.md` describes it (signatures, timestamps, tokens, rate limits, error
//! codes, response shapes), keeps the shops' business state in SQLite, pushes messages over
//! the platforms' channels (TMC and PDD WebSockets, Douyin and Shopify webhooks), and offers a
//! JSON control API (`/_sandbox/…`) to seed data, drive orders and refunds, inject faults and
//! read back what was called and what changed. It also simulates Aliyun's SMS and voice APIs
//! (`/aliyun/sms`, `/aliyun/voice`) for the notify worker.

mod aliyun;
mod clock;
mod control;
pub mod credit_code;
mod douyin;
mod error;
mod gate;
mod ids;
mod jd;
mod model;
mod options;
mod pdd;
mod push;
mod sandbox;
mod seed;
mod shopify;
mod store;
mod taobao;
mod tokens;
mod transitions;

pub use error::Error;
pub use options::SandboxOptions;
pub use sandbox::Sandbox;
pub use seed::SeedSummary;
