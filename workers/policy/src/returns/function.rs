//! `call: returns.check` — reads the outputs of `platform.refund.get` and `platform.order.get`
//! from `with:` and returns the [`ReturnDecision`](crate::ReturnDecision). No effects: a replay decides the same.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, Function, WorkflowError};

use crate::Policies;
use crate::args::{invalid, object, opt_money, opt_str, opt_time, str};
use crate::returns::ReturnRequest;
use crate::returns::decide::{OrderState, RequestItem, RequestKind, decide};

/// The function.
pub struct ReturnsCheck {
    policies: Arc<Policies>,
}

impl ReturnsCheck {
    /// `returns.check` over these policies.
    pub fn new(policies: Arc<Policies>) -> Self {
        Self { policies }
    }
}

impl Function for ReturnsCheck {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let result = check(&self.policies, &ctx.instance, &args);
        Box::pin(async move { result })
    }

    fn summary(&self) -> &'static str {
        "Decides whether a refund or return can be agreed automatically (7-day no-reason rules, the shop's limits)."
    }

    fn has_effects(&self) -> bool {
        false
    }
}

fn check(policies: &Policies, instance: &str, args: &Value) -> Result<Value, WorkflowError> {
    let shop = str(args, "/shop", instance)?;
    let request = read_request(args, instance)?;
    let decision = decide(&request, policies.returns.for_shop(shop));
    serde_json::to_value(decision).map_err(|e| invalid(instance, "", e.to_string()))
}

/// Reads the request from `with: {refund, order}`.
pub fn read_request(args: &Value, instance: &str) -> Result<ReturnRequest, WorkflowError> {
    object(args, "/refund", instance)?;
    object(args, "/order", instance)?;
    let kind = match str(args, "/refund/kind", instance)? {
        "refund" => RequestKind::Refund,
        "return" => RequestKind::Return,
        other => {
            return Err(invalid(
                instance,
                "/refund/kind",
                format!("`{other}` is not `refund` or `return`"),
            ));
        }
    };
    let order_state = match str(args, "/order/status", instance)? {
        "unpaid" => OrderState::Unpaid,
        "paid" => OrderState::Paid,
        "shipped" => OrderState::Shipped,
        "completed" => OrderState::Completed,
        "closed" => OrderState::Closed,
        other => {
            return Err(invalid(
                instance,
                "/order/status",
                format!("`{other}` is not unpaid, paid, shipped, completed or closed"),
            ));
        }
    };
    let items = match args.pointer("/order/items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for i in 0..items.len() {
                out.push(RequestItem {
                    title: opt_str(args, &format!("/order/items/{i}/title"), instance)?
                        .unwrap_or_default()
                        .to_owned(),
                    sku: opt_str(args, &format!("/order/items/{i}/sku"), instance)?
                        .unwrap_or_default()
                        .to_owned(),
                });
            }
            out
        }
        Some(_) => return Err(invalid(instance, "/order/items", "is not an array")),
    };
    Ok(ReturnRequest {
        kind,
        status: str(args, "/refund/status", instance)?.to_owned(),
        amount_fen: opt_money(args, "/refund/amount", instance)?
            .ok_or_else(|| invalid(instance, "/refund/amount", "is missing"))?,
        reason: opt_str(args, "/refund/reason", instance)?
            .unwrap_or_default()
            .to_owned(),
        requested_ms: opt_time(args, "/refund/created_at", instance)?,
        order_state,
        order_total_fen: opt_money(args, "/order/total", instance)?,
        received_ms: opt_time(args, "/order/received_at", instance)?,
        items,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_platform_shapes_and_names_bad_fields() {
        let args = json!({
            "shop": "tmall",
            "refund": {"kind": "return", "status": "waiting_seller", "amount": "99.00",
                       "reason": "七天无理由", "created_at": "2026-11-26T10:00:00+08:00"},
            "order": {"status": "completed", "total": "99.00",
                      "received_at": "2026-11-25T09:00:00+08:00",
                      "items": [{"title": "保温杯", "sku": "CUP-1", "quantity": 1, "price": "99.00"}]}
        });
        let out = check(&Policies::default(), "/do/0/check", &args).unwrap();
        assert_eq!(out["decision"], "agree");
        assert_eq!(out["action"], "return");
        let mut bad = args.clone();
        bad["refund"]["amount"] = json!(99.5);
        let e = check(&Policies::default(), "/do/0/check", &bad).unwrap_err();
        assert!(
            e.detail
                .as_deref()
                .unwrap_or("")
                .contains("`with/refund/amount`"),
            "{e:?}"
        );
        let mut bad = args;
        bad["order"]["status"] = json!("lost");
        let e = check(&Policies::default(), "/do/0/check", &bad).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(!e.retryable);
    }
}
