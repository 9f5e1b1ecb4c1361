//! What a seller (or, through the control API, a buyer) may do to a refund in each state, and
//! applying it inside a gateway call: the state change, the refunded amount, the effect row and
//! the push message.

use serde_json::Value;

use crate::gate::{Ctx, Done, Effect, Reject, Subject};
use crate::model::{Refund, RefundKind, RefundStatus};
use crate::push::events::{self, Event};
use crate::store::table;

/// A seller's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    AgreeRefund,
    RefuseRefund,
    AgreeReturn,
    RefuseReturn,
}

/// Why an action does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// The refund is already where the action would take it.
    Already,
    /// The state (or kind) does not allow it.
    NotAllowed,
}

/// The state `action` takes a `kind` refund in `status` to.
pub(crate) fn next(
    kind: RefundKind,
    status: RefundStatus,
    action: Action,
) -> Result<RefundStatus, Denied> {
    use RefundStatus as S;
    match (action, kind, status) {
        // A return may also be refunded at once without the goods (the seller's choice).
        (Action::AgreeRefund, _, S::WaitSeller | S::BuyerReturned) => Ok(S::Success),
        (Action::AgreeRefund, _, S::Success) => Err(Denied::Already),
        (Action::RefuseRefund, _, S::WaitSeller | S::BuyerReturned) => Ok(S::Refused),
        (Action::RefuseRefund, _, S::Refused) => Err(Denied::Already),
        (Action::AgreeReturn, RefundKind::Return, S::WaitSeller) => Ok(S::WaitBuyerReturn),
        (Action::AgreeReturn, RefundKind::Return, S::WaitBuyerReturn | S::BuyerReturned) => {
            Err(Denied::Already)
        }
        (Action::RefuseReturn, RefundKind::Return, S::WaitSeller | S::BuyerReturned) => {
            Ok(S::Refused)
        }
        (Action::RefuseReturn, RefundKind::Return, S::Refused) => Err(Denied::Already),
        _ => Err(Denied::NotAllowed),
    }
}

/// Applies `action` to `refund_id` of the calling shop, adding the effect (with `summary`) and
/// any push message to `done`.
pub(crate) fn apply(
    ctx: &Ctx<'_>,
    refund_id: &str,
    action: Action,
    summary: Value,
    done: &mut Done,
) -> Result<Refund, Reject> {
    let shop = &ctx.shop.name;
    let mut refund =
        table::refund(ctx.conn, shop, refund_id)?.ok_or(Reject::NotFound(Subject::Refund))?;
    let status = next(refund.kind, refund.status, action).map_err(|d| {
        let detail = format!("{} {}", refund.kind.as_str(), refund.status.as_str());
        match d {
            Denied::Already => Reject::Already(Subject::Refund, detail),
            Denied::NotAllowed => Reject::Refused(Subject::Refund, detail),
        }
    })?;
    table::set_refund_status(ctx.conn, shop, refund_id, status, ctx.now_ms)?;
    refund.status = status;
    refund.updated_ms = ctx.now_ms;
    if status == RefundStatus::Success {
        table::add_refunded(ctx.conn, shop, &refund.order_id, refund.amount_fen)?;
    }
    done.effects.push(Effect {
        target: refund_id.to_owned(),
        summary,
    });
    if status == RefundStatus::Success
        && let Some(order) = table::order(ctx.conn, shop, &refund.order_id)?
        && let Some(push) = events::push_for(ctx.shop, &order, Some(&refund), Event::RefundSuccess)
    {
        done.pushes.push(push);
    }
    Ok(refund)
}

/// Checks that `id` is one of the calling shop's return addresses (else `param` is invalid).
pub(crate) fn check_address(ctx: &Ctx<'_>, id: &str, param: &str) -> Result<(), Reject> {
    let known = table::addresses(ctx.conn, &ctx.shop.name)?
        .iter()
        .any(|a| a.address_id == id);
    if known {
        Ok(())
    } else {
        Err(Reject::Invalid(param.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreeing_twice_is_already_and_closed_is_not_allowed() {
        use RefundStatus as S;
        let k = RefundKind::Refund;
        assert_eq!(next(k, S::WaitSeller, Action::AgreeRefund), Ok(S::Success));
        assert_eq!(
            next(k, S::Success, Action::AgreeRefund),
            Err(Denied::Already)
        );
        assert_eq!(
            next(k, S::Closed, Action::AgreeRefund),
            Err(Denied::NotAllowed)
        );
        assert_eq!(
            next(k, S::WaitSeller, Action::AgreeReturn),
            Err(Denied::NotAllowed)
        );
        let r = RefundKind::Return;
        assert_eq!(
            next(r, S::WaitSeller, Action::AgreeReturn),
            Ok(S::WaitBuyerReturn)
        );
        assert_eq!(
            next(r, S::WaitBuyerReturn, Action::AgreeReturn),
            Err(Denied::Already)
        );
        assert_eq!(
            next(r, S::WaitBuyerReturn, Action::AgreeRefund),
            Err(Denied::NotAllowed)
        );
        assert_eq!(
            next(r, S::BuyerReturned, Action::AgreeRefund),
            Ok(S::Success)
        );
    }
}
