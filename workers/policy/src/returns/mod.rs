//! `returns.check`: whether a buyer's refund or return request can be agreed without a person.
//!
//! The rules are China's 7-day no-reason return rules (网络购买商品七日无理由退货暂行办法,
//! DOMAIN.md): seven days counted from the day after the buyer signs for the goods; goods
//! excluded by law (custom-made, perishable, unsealed digital goods, periodicals); goods
//! excluded only when the buyer confirmed it at purchase (hygiene, activated, near-expiry).
//! On top, the shop's own limits: an amount above which a person decides. Anything
//! ineligible or unclear goes to a person with every reason that applies; the function never
//! refuses a buyer by itself.

pub mod category;
pub mod decide;
pub mod function;
pub mod settings;

pub use category::Category;
pub use decide::{Decision, Reason, ReturnDecision, ReturnRequest};
pub use settings::{ReturnsSettings, ShopReturns};
