//! The decision itself: a request and its order in, `agree` / `human` / `skip` out, with every
//! reason that applies (a person sees all of them, not just the first).

use serde::Serialize;

use crate::local_time::{local_day_start_after, to_rfc3339};
use crate::returns::{Category, ShopReturns};

/// What the buyer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Money back, goods kept or never shipped (仅退款).
    Refund,
    /// Goods back, then money back (退货退款).
    Return,
}

/// Where the order is (the `platform.order.get` statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Not paid.
    Unpaid,
    /// Paid, not shipped.
    Paid,
    /// On its way.
    Shipped,
    /// Signed for / finished.
    Completed,
    /// Closed.
    Closed,
}

/// One line of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestItem {
    /// The product's title.
    pub title: String,
    /// The seller's SKU code (empty when unknown).
    pub sku: String,
}

/// A request as `returns.check` reads it from `platform.refund.get` and `platform.order.get`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnRequest {
    /// Refund only or return.
    pub kind: RequestKind,
    /// The refund's status as `platform.refund.get` gives it (`waiting_seller`, …).
    pub status: String,
    /// The amount asked, fen.
    pub amount_fen: i64,
    /// The buyer's reason.
    pub reason: String,
    /// When the buyer asked (unix ms).
    pub requested_ms: Option<i64>,
    /// The order's state.
    pub order_state: OrderState,
    /// The order's total, fen.
    pub order_total_fen: Option<i64>,
    /// When the buyer signed for the goods (unix ms).
    pub received_ms: Option<i64>,
    /// The order's lines.
    pub items: Vec<RequestItem>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Agree without a person.
    Agree,
    /// A person decides (the reasons say why).
    Human,
    /// Nothing to decide: the request is no longer waiting for the seller.
    Skip,
}

/// Why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code (`outside_window`, `excluded_by_law`, …); see docs/functions/returns.check.md.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// `returns.check`'s output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnDecision {
    /// Agree, a person, or nothing to do.
    pub decision: Decision,
    /// What agreeing means: `refund` (money only) or `return` (goods back first).
    pub action: RequestKind,
    /// Whether the 7-day no-reason rule covers the request (false when excluded, late or
    /// unclear; a quality claim is outside the rule but may still be agreed by a person).
    pub eligible: bool,
    /// Every reason that applies; informational ones too when agreeing.
    pub reasons: Vec<Reason>,
    /// When the no-reason window closes (RFC 3339, shop local time), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ends_at: Option<String>,
    /// The categories found among the order's items.
    pub categories: Vec<ItemCategory>,
}

/// An item with a special return rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemCategory {
    /// The product's title.
    pub title: String,
    /// Its category.
    pub category: Category,
    /// Whether it excludes the no-reason return for this shop.
    pub excludes: bool,
}

/// Decides `request` under `policy`.
pub fn decide(request: &ReturnRequest, policy: &ShopReturns) -> ReturnDecision {
    let mut out = ReturnDecision {
        decision: Decision::Agree,
        action: request.kind,
        eligible: true,
        reasons: Vec::new(),
        window_ends_at: None,
        categories: Vec::new(),
    };
    let human = |out: &mut ReturnDecision, code: &'static str, message: String| {
        out.decision = Decision::Human;
        out.reasons.push(Reason { code, message });
    };
    if request.status != "waiting_seller" {
        out.decision = Decision::Skip;
        out.eligible = false;
        out.reasons.push(Reason {
            code: "already_handled",
            message: format!(
                "the request is `{}`, no longer waiting for the seller; nothing to decide",
                request.status
            ),
        });
        return out;
    }
    if matches!(request.order_state, OrderState::Unpaid | OrderState::Closed) {
        out.eligible = false;
        human(
            &mut out,
            "order_state",
            "the order is not paid or already closed; check the order before refunding".into(),
        );
    }
    if let Some(total) = request.order_total_fen
        && request.amount_fen > total
    {
        out.eligible = false;
        human(
            &mut out,
            "amount_exceeds_order",
            format!(
                "the request asks {} but the order totals {}",
                yuan(request.amount_fen),
                yuan(total)
            ),
        );
    }
    if let Some(max) = policy.auto_agree_max_fen
        && request.amount_fen > max
    {
        human(
            &mut out,
            "over_limit",
            format!(
                "{} is above the shop's automatic limit of {}",
                yuan(request.amount_fen),
                yuan(max)
            ),
        );
    }
    let reason = request.reason.to_lowercase();
    if let Some(word) = policy
        .quality_words
        .iter()
        .find(|w| !w.is_empty() && reason.contains(&w.to_lowercase()))
    {
        human(
            &mut out,
            "quality_claim",
            format!(
                "the buyer reports a problem with the goods (\"{word}\"): not a no-reason return; the seller pays the return shipping whatever the date"
            ),
        );
    }
    match request.kind {
        RequestKind::Refund => refund_only(request, &mut out),
        RequestKind::Return => {
            categories(request, policy, &mut out);
            window(request, policy, &mut out);
        }
    }
    out
}

fn refund_only(request: &ReturnRequest, out: &mut ReturnDecision) {
    match request.order_state {
        OrderState::Paid => out.reasons.push(Reason {
            code: "not_shipped",
            message: "not shipped yet: refunding before shipment".into(),
        }),
        OrderState::Shipped | OrderState::Completed => {
            out.decision = Decision::Human;
            out.eligible = false;
            out.reasons.push(Reason {
                code: "refund_without_return",
                message: "money back without the goods back after shipment: a person decides"
                    .into(),
            });
        }
        OrderState::Unpaid | OrderState::Closed => {}
    }
}

fn categories(request: &ReturnRequest, policy: &ShopReturns, out: &mut ReturnDecision) {
    for item in &request.items {
        let Some(rule) = policy
            .rules
            .iter()
            .find(|r| r.matches(&item.sku, &item.title))
        else {
            continue;
        };
        let c = rule.category;
        let excludes = c.excluded_by_law() || policy.confirmed_at_purchase.contains(&c);
        out.categories.push(ItemCategory {
            title: item.title.clone(),
            category: c,
            excludes,
        });
        if c.excluded_by_law() {
            out.eligible = false;
            out.decision = Decision::Human;
            out.reasons.push(Reason {
                code: "excluded_by_law",
                message: format!(
                    "「{}」 is {}: the law excludes it from no-reason returns",
                    item.title,
                    c.describe()
                ),
            });
        } else if excludes {
            out.eligible = false;
            out.decision = Decision::Human;
            out.reasons.push(Reason {
                code: "excluded_confirmed",
                message: format!(
                    "「{}」 is {} and the buyer confirmed at purchase that it cannot be returned without reason; check whether it was unsealed or used",
                    item.title,
                    c.describe()
                ),
            });
        } else {
            out.reasons.push(Reason {
                code: "conditional_not_confirmed",
                message: format!(
                    "「{}」 is {}, but the shop does not have buyers confirm that at purchase, so the return cannot be refused for it",
                    item.title,
                    c.describe()
                ),
            });
        }
    }
}

fn window(request: &ReturnRequest, policy: &ShopReturns, out: &mut ReturnDecision) {
    match request.order_state {
        OrderState::Shipped => out.reasons.push(Reason {
            code: "not_received",
            message: "the goods are on their way: the window starts when the buyer signs for them"
                .into(),
        }),
        OrderState::Paid => out.reasons.push(Reason {
            code: "not_shipped",
            message: "not shipped yet: nothing to send back".into(),
        }),
        OrderState::Completed => {
            let Some(received) = request.received_ms else {
                out.eligible = false;
                out.decision = Decision::Human;
                out.reasons.push(Reason {
                    code: "receipt_unknown",
                    message: "the platform does not say when the buyer signed for the goods, so the 7-day window cannot be counted".into(),
                });
                return;
            };
            let offset = policy.utc_offset.0;
            // Day 1 is the day after the signing; the window ends when day N+1 begins.
            let Some(ends) = local_day_start_after(received, 1 + policy.window_days, offset) else {
                return;
            };
            out.window_ends_at = Some(to_rfc3339(ends, offset));
            match request.requested_ms {
                None => {
                    out.eligible = false;
                    out.decision = Decision::Human;
                    out.reasons.push(Reason {
                        code: "request_time_unknown",
                        message: "the platform does not say when the buyer asked".into(),
                    });
                }
                Some(asked) if asked >= ends => {
                    out.eligible = false;
                    out.decision = Decision::Human;
                    out.reasons.push(Reason {
                        code: "outside_window",
                        message: format!(
                            "asked {} after the {}-day window closed ({})",
                            to_rfc3339(asked, offset),
                            policy.window_days,
                            to_rfc3339(ends, offset)
                        ),
                    });
                }
                Some(_) => out.reasons.push(Reason {
                    code: "within_window",
                    message: format!(
                        "asked within the {}-day window (until {})",
                        policy.window_days,
                        to_rfc3339(ends, offset)
                    ),
                }),
            }
        }
        OrderState::Unpaid | OrderState::Closed => {}
    }
}

fn yuan(fen: i64) -> String {
    format!("¥{}", shopflow_connectors::money::format_fen(fen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local_time::parse_rfc3339;
    use crate::returns::settings::ProductRule;

    fn request() -> ReturnRequest {
        ReturnRequest {
            kind: RequestKind::Return,
            status: "waiting_seller".into(),
            amount_fen: 19_900,
            reason: "不喜欢".into(),
            requested_ms: parse_rfc3339("2026-11-27T10:00:00+08:00"),
            order_state: OrderState::Completed,
            order_total_fen: Some(19_900),
            received_ms: parse_rfc3339("2026-11-24T21:00:00+08:00"),
            items: vec![RequestItem {
                title: "羊毛围巾".into(),
                sku: "SCARF-01".into(),
            }],
        }
    }

    fn codes(d: &ReturnDecision) -> Vec<&str> {
        d.reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn a_plain_return_within_seven_days_is_agreed() {
        let d = decide(&request(), &ShopReturns::default());
        assert_eq!(d.decision, Decision::Agree);
        assert!(d.eligible);
        assert_eq!(codes(&d), ["within_window"]);
        // Signed on the 24th: days 1–7 are the 25th to 1 December; the window closes at the
        // start of 2 December.
        assert_eq!(
            d.window_ends_at.as_deref(),
            Some("2026-12-02T00:00:00+08:00")
        );
    }

    #[test]
    fn the_last_minute_of_day_seven_counts_and_the_next_does_not() {
        let mut r = request();
        r.requested_ms = parse_rfc3339("2026-12-01T23:59:59+08:00");
        assert_eq!(
            decide(&r, &ShopReturns::default()).decision,
            Decision::Agree
        );
        r.requested_ms = parse_rfc3339("2026-12-02T00:00:00+08:00");
        let d = decide(&r, &ShopReturns::default());
        assert_eq!(d.decision, Decision::Human);
        assert_eq!(codes(&d), ["outside_window"]);
    }

    #[test]
    fn excluded_goods_and_confirmed_exclusions_go_to_a_person() {
        let mut policy = ShopReturns {
            rules: vec![
                ProductRule {
                    category: Category::Perishable,
                    sku_prefix: vec!["FRESH-".into()],
                    title_contains: vec![],
                },
                ProductRule {
                    category: Category::Hygiene,
                    sku_prefix: vec![],
                    title_contains: vec!["内衣".into()],
                },
            ],
            ..ShopReturns::default()
        };
        let mut r = request();
        r.items = vec![
            RequestItem {
                title: "阳澄湖大闸蟹".into(),
                sku: "FRESH-CRAB".into(),
            },
            RequestItem {
                title: "纯棉内衣".into(),
                sku: "U-1".into(),
            },
        ];
        let d = decide(&r, &policy);
        assert_eq!(d.decision, Decision::Human);
        assert_eq!(
            codes(&d),
            [
                "excluded_by_law",
                "conditional_not_confirmed",
                "within_window"
            ]
        );
        policy.confirmed_at_purchase = vec![Category::Hygiene];
        let d = decide(&r, &policy);
        assert_eq!(
            codes(&d),
            ["excluded_by_law", "excluded_confirmed", "within_window"]
        );
    }

    #[test]
    fn quality_claims_limits_and_refunds_after_shipping_need_a_person() {
        let mut r = request();
        r.reason = "收到商品破损".into();
        r.amount_fen = 80_000;
        r.order_total_fen = Some(80_000);
        let d = decide(&r, &ShopReturns::default());
        assert_eq!(codes(&d), ["over_limit", "quality_claim", "within_window"]);
        let mut r = request();
        r.kind = RequestKind::Refund;
        let d = decide(&r, &ShopReturns::default());
        assert_eq!(d.decision, Decision::Human);
        assert_eq!(codes(&d), ["refund_without_return"]);
        r.order_state = OrderState::Paid;
        assert_eq!(
            decide(&r, &ShopReturns::default()).decision,
            Decision::Agree
        );
    }

    #[test]
    fn handled_requests_are_skipped_and_unknown_receipts_are_unclear() {
        let mut r = request();
        r.status = "refunded".into();
        assert_eq!(decide(&r, &ShopReturns::default()).decision, Decision::Skip);
        let mut r = request();
        r.received_ms = None;
        let d = decide(&r, &ShopReturns::default());
        assert_eq!(
            (d.decision, codes(&d)),
            (Decision::Human, vec!["receipt_unknown"])
        );
    }
}
