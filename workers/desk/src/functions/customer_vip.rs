//! `customer.vip`: `with: {shop, buyer_id}` → `{vip, tier}` from the `[desk]` VIP list
//! (see docs/functions/customer.vip.md). No effects.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{CallContext, Function, WorkflowError};

use super::{Args, workflow_error};
use crate::Desk;

const NAME: &str = "customer.vip";

/// The function.
pub struct CustomerVip {
    desk: Arc<Desk>,
}

impl CustomerVip {
    /// Looks buyers up in `desk`'s VIP list.
    pub fn new(desk: Arc<Desk>) -> Self {
        Self { desk }
    }
}

impl Function for CustomerVip {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let answer = (|| {
            let args = Args::new(NAME, &args, &["shop", "buyer_id"])?;
            let shop = args.string("shop")?;
            // A ticket from a helpdesk may not know its buyer: not a VIP then.
            let buyer = args.optional_string("buyer_id")?;
            let tier = buyer.and_then(|b| self.desk.vip_tier(&shop, &b));
            Ok(json!({"vip": tier.is_some(), "tier": tier}))
        })()
        .map_err(|e| workflow_error(&e, NAME, &ctx.instance));
        Box::pin(async move { answer })
    }

    fn summary(&self) -> &'static str {
        "Tells whether a buyer is on the desk's VIP list, and their tier."
    }

    fn has_effects(&self) -> bool {
        false
    }
}
