//! `call: chase.plan` — reads an order (the `platform.order.get` shape) from `with:` and
//! returns the [`ChasePlan`](crate::ChasePlan). No effects.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, Function, WorkflowError};

use crate::Policies;
use crate::args::{invalid, object, opt_str, opt_time, str};
use crate::chase::{UnpaidOrder, plan};

/// The function.
pub struct ChasePlanFunction {
    policies: Arc<Policies>,
}

impl ChasePlanFunction {
    /// `chase.plan` over these policies.
    pub fn new(policies: Arc<Policies>) -> Self {
        Self { policies }
    }
}

impl Function for ChasePlanFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let result = run(&self.policies, &ctx.instance, &args);
        Box::pin(async move { result })
    }

    fn summary(&self) -> &'static str {
        "Lays out the payment reminders of an unpaid order (times before its auto-close deadline, channels)."
    }

    fn has_effects(&self) -> bool {
        false
    }
}

fn run(policies: &Policies, instance: &str, args: &Value) -> Result<Value, WorkflowError> {
    let shop = str(args, "/shop", instance)?;
    object(args, "/order", instance)?;
    let now = opt_time(args, "/now", instance)?.ok_or_else(|| {
        invalid(
            instance,
            "/now",
            "is missing; pass `${ $task.startedAt.epoch.milliseconds }` or an RFC 3339 time",
        )
    })?;
    let created = opt_time(args, "/order/created_at", instance)?
        .ok_or_else(|| invalid(instance, "/order/created_at", "is missing"))?;
    let presale = match args.pointer("/order/presale") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid(instance, "/order/presale", "is not a boolean")),
    };
    let order = UnpaidOrder {
        status: opt_str(args, "/order/status", instance)?
            .unwrap_or("unpaid")
            .to_owned(),
        presale,
        created_ms: created,
        auto_close_ms: opt_time(args, "/order/auto_close_at", instance)?,
    };
    let plan = plan(&order, policies.chase.for_shop(shop), now);
    serde_json::to_value(plan).map_err(|e| invalid(instance, "", e.to_string()))
}
