//! The ladder for one order: the first reminder after creation, the others before the
//! deadline, none in the last minutes, none in the past but one catch-up now.

use serde::Serialize;

use crate::chase::ShopChase;
use crate::local_time::to_rfc3339;

/// What the plan needs of an order (from `platform.order.get` or a push event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpaidOrder {
    /// The order's status (`unpaid` to be chased).
    pub status: String,
    /// A presale deposit order (never chased).
    pub presale: bool,
    /// Created (unix ms).
    pub created_ms: i64,
    /// The platform's auto-close deadline (unix ms), if it gives one.
    pub auto_close_ms: Option<i64>,
}

/// One reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChaseStep {
    /// 1, 2, … in the ladder.
    pub n: usize,
    /// When (RFC 3339, GMT+8).
    pub at: String,
    /// When (unix ms), for the flow's waits.
    pub at_ms: i64,
    /// `platform`, `sms` or `voice`.
    pub channel: String,
    /// The `notify.send` template.
    pub template: String,
}

/// `chase.plan`'s output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChasePlan {
    /// Why the order is not chased (`not_unpaid`, `presale`, `deadline_passed`), if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<&'static str>,
    /// When the order closes by itself (RFC 3339).
    pub deadline_at: String,
    /// The same, unix ms.
    pub deadline_ms: i64,
    /// Whether the deadline is the platform's (`true`) or the configured fallback.
    pub deadline_from_platform: bool,
    /// The reminders, earliest first.
    pub steps: Vec<ChaseStep>,
}

/// Lays out the reminders of `order` at time `now_ms`.
pub fn plan(order: &UnpaidOrder, policy: &ShopChase, now_ms: i64) -> ChasePlan {
    let offset = crate::local_time::china();
    let (deadline, from_platform) = match order.auto_close_ms {
        Some(d) => (d, true),
        None => (
            order.created_ms + policy.close_after_hours * 3_600_000,
            false,
        ),
    };
    let mut out = ChasePlan {
        skip: None,
        deadline_at: to_rfc3339(deadline, offset),
        deadline_ms: deadline,
        deadline_from_platform: from_platform,
        steps: Vec::new(),
    };
    out.skip = if order.status != "unpaid" {
        Some("not_unpaid")
    } else if order.presale {
        Some("presale")
    } else if now_ms >= deadline - policy.min_lead_minutes * 60_000 {
        Some("deadline_passed")
    } else {
        None
    };
    if out.skip.is_some() {
        return out;
    }
    let latest = deadline - policy.min_lead_minutes * 60_000;
    let mut times: Vec<i64> =
        std::iter::once(order.created_ms + policy.first_after_minutes * 60_000)
            .chain(
                policy
                    .before_close_minutes
                    .iter()
                    .map(|m| deadline - m * 60_000),
            )
            .filter(|t| *t <= latest)
            .collect();
    times.sort_unstable();
    times.dedup();
    // Steps already due collapse into one reminder now; the rest keep their times.
    let due = times.iter().filter(|t| **t <= now_ms).count();
    let mut kept: Vec<i64> = times.into_iter().filter(|t| *t > now_ms).collect();
    if due > 0 {
        kept.insert(0, now_ms);
    }
    out.steps = kept
        .into_iter()
        .enumerate()
        .map(|(i, at)| ChaseStep {
            n: i + 1,
            at: to_rfc3339(at, offset),
            at_ms: at,
            channel: policy
                .channels
                .get(i)
                .or(policy.channels.last())
                .cloned()
                .unwrap_or_else(|| "platform".into()),
            template: policy.template.clone(),
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local_time::parse_rfc3339;

    fn order() -> UnpaidOrder {
        UnpaidOrder {
            status: "unpaid".into(),
            presale: false,
            created_ms: parse_rfc3339("2026-11-24T10:00:00+08:00").unwrap(),
            auto_close_ms: parse_rfc3339("2026-11-25T10:00:00+08:00"),
        }
    }

    fn times(p: &ChasePlan) -> Vec<(String, String)> {
        p.steps
            .iter()
            .map(|s| (s.at.clone(), s.channel.clone()))
            .collect()
    }

    #[test]
    fn first_after_the_order_then_before_the_deadline() {
        let policy = ShopChase {
            before_close_minutes: vec![120, 30],
            ..ShopChase::default()
        };
        let p = plan(&order(), &policy, order().created_ms);
        assert_eq!(
            times(&p),
            [
                (
                    "2026-11-24T10:15:00+08:00".to_owned(),
                    "platform".to_owned()
                ),
                ("2026-11-25T08:00:00+08:00".to_owned(), "sms".to_owned()),
                ("2026-11-25T09:30:00+08:00".to_owned(), "voice".to_owned()),
            ]
        );
    }

    #[test]
    fn missed_steps_become_one_reminder_now() {
        let now = parse_rfc3339("2026-11-25T08:30:00+08:00").unwrap();
        let p = plan(&order(), &ShopChase::default(), now);
        assert_eq!(
            times(&p),
            [(
                "2026-11-25T08:30:00+08:00".to_owned(),
                "platform".to_owned()
            )]
        );
    }

    #[test]
    fn presale_paid_and_late_orders_are_not_chased() {
        let mut o = order();
        o.presale = true;
        assert_eq!(
            plan(&o, &ShopChase::default(), o.created_ms).skip,
            Some("presale")
        );
        let mut o = order();
        o.status = "paid".into();
        assert_eq!(
            plan(&o, &ShopChase::default(), o.created_ms).skip,
            Some("not_unpaid")
        );
        let o = order();
        let late = parse_rfc3339("2026-11-25T09:55:00+08:00").unwrap();
        assert_eq!(
            plan(&o, &ShopChase::default(), late).skip,
            Some("deadline_passed")
        );
    }

    #[test]
    fn without_a_platform_deadline_the_fallback_is_used() {
        let mut o = order();
        o.auto_close_ms = None;
        let p = plan(&o, &ShopChase::default(), o.created_ms);
        assert!(!p.deadline_from_platform);
        assert_eq!(p.deadline_at, "2026-11-25T10:00:00+08:00");
        assert_eq!(p.steps.len(), 2);
    }
}
