//! The demo's day of shop traffic: orders (some never paid), buyer tickets, refund and return
//! requests, invoice applications and uploaded order screenshots, spread over a simulated day
//! the way a real shop's day looks (quiet at night, busy in the evening), each followed by what
//! the buyer does next (pays after a reminder, sends the goods back, …).
//!
//! Everything goes through the same doors as in production: the sandbox platforms' control API
//! makes the platforms push their messages, and tickets and invoice requests are posted to
//! shopflow's REST API like a helpdesk integration would.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use shopflow_embedded::Clock;

use super::catalog::{self, COMPANIES, PERSONS, PRODUCTS, Product, REFUND_REASONS, RETURN_REASONS};

/// How much of each kind of traffic one day brings.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Orders (about a third start unpaid and are chased).
    pub orders: usize,
    /// Buyer tickets.
    pub tickets: usize,
    /// Refund and return requests.
    pub returns: usize,
    /// Invoice requests.
    pub invoices: usize,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            orders: 500,
            tickets: 300,
            returns: 80,
            invoices: 60,
        }
    }
}

/// What happened so far, for the progress bar and the summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Orders created.
    pub orders: AtomicU64,
    /// Of those, created unpaid.
    pub unpaid: AtomicU64,
    /// Tickets posted.
    pub tickets: AtomicU64,
    /// Refund and return requests made.
    pub returns: AtomicU64,
    /// Invoice requests made.
    pub invoices: AtomicU64,
    /// Actions the sandbox or the API refused (printed at the end).
    pub failures: AtomicU64,
}

/// One thing a buyer, a platform or an integration does.
#[derive(Debug, Clone)]
enum Action {
    /// A new order; unpaid ones close by themselves after `unpaid_for` minutes.
    Order {
        shop: &'static str,
        product: Product,
        quantity: i64,
        unpaid_for: Option<i64>,
        then: Fate,
    },
    /// The buyer or the platform moves an order along.
    Step {
        shop: &'static str,
        order_id: String,
        step: &'static str,
        then: Fate,
    },
    /// A buyer message that opens a ticket.
    Ticket {
        shop: &'static str,
        buyer: String,
        text: String,
    },
    /// The buyer asks for a refund or a return.
    Refund {
        shop: &'static str,
        order_id: String,
        kind: &'static str,
        reason: &'static str,
        ships_back_after_min: Option<i64>,
    },
    /// The buyer sends the goods back.
    ShipBack {
        shop: &'static str,
        refund_id: String,
    },
    /// A Pinduoduo buyer applies for an invoice.
    PddInvoice { order_id: String, payer: Payer },
    /// An invoice request from an integration (Taobao buyers, by order id).
    InvoiceRequest { order_id: String, payer: Payer },
}

/// What happens to an order after the current step.
#[derive(Debug, Clone)]
enum Fate {
    /// Nothing more today.
    Done,
    /// Paid `after` minutes later.
    PaysAfter(i64),
    /// Never paid: closed by the platform at `after` minutes.
    ClosesAfter(i64),
    /// Shipped `after` minutes later, then `then`.
    Ships { after: i64, then: Box<Fate> },
    /// Delivered (signed for) `after` minutes later, then `then`.
    Delivered { after: i64, then: Box<Fate> },
    /// The buyer asks for a refund or return `after` minutes later.
    AsksRefund {
        after: i64,
        kind: &'static str,
        reason: &'static str,
        ships_back_after_min: Option<i64>,
    },
    /// A Pinduoduo invoice application `after` minutes later.
    AppliesForInvoice { after: i64, payer: Payer },
    /// An invoice request through the API `after` minutes later.
    RequestsInvoice { after: i64, payer: Payer },
}

/// Who an invoice is for; `true_tax_id` is what the buyer meant when they mistyped it.
#[derive(Debug, Clone)]
pub struct Payer {
    /// `person` or `company`.
    pub kind: &'static str,
    /// The name on the invoice.
    pub name: String,
    /// The tax id as the buyer typed it.
    pub tax_id: Option<String>,
    /// The correct tax id (differs when mistyped), for the simulated finance clerk.
    pub true_tax_id: Option<String>,
}

/// Where the traffic goes.
#[derive(Clone)]
pub struct Doors {
    /// The sandbox's base URL.
    pub sandbox: String,
    /// shopflow's base URL.
    pub api: String,
    /// An admin token for the API.
    pub token: String,
    /// One HTTP client.
    pub http: reqwest::Client,
}

/// Corrections the simulated finance clerk knows (order id → the right tax id).
pub type TaxIdTruth = Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>;

/// The day, planned and played.
pub struct Traffic {
    rng: fastrand::Rng,
    doors: Doors,
    clock: Arc<dyn Clock>,
    day_start: i64,
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    actions: std::collections::HashMap<u64, Action>,
    seq: u64,
    tickets: Vec<String>,
    /// What happened.
    pub counters: Arc<Counters>,
    /// Mistyped tax ids and their corrections.
    pub truth: TaxIdTruth,
}

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
const CN_SHOPS: [&str; 3] = ["tmall", "pdd", "douyin"];

impl Traffic {
    /// Plans one day of `mix` from `seed`, starting at the clock's `day_start`.
    pub fn plan(mix: Mix, seed: u64, doors: Doors, clock: Arc<dyn Clock>, day_start: i64) -> Self {
        let mut t = Self {
            rng: fastrand::Rng::with_seed(seed),
            doors,
            clock,
            day_start,
            queue: BinaryHeap::new(),
            actions: std::collections::HashMap::new(),
            seq: 0,
            tickets: catalog::ticket_texts(),
            counters: Arc::new(Counters::default()),
            truth: Arc::default(),
        };
        t.plan_orders(mix);
        t.plan_tickets(mix.tickets);
        t
    }

    /// Plays every action due up to `until` (clock ms), waiting for each one's time.
    pub async fn play_until(&mut self, until: i64) {
        while let Some(Reverse((at, seq))) = self.queue.peek().copied() {
            if at > until {
                break;
            }
            self.queue.pop();
            self.clock.sleep_until(at).await;
            if let Some(action) = self.actions.remove(&seq)
                && let Err(message) = self.perform(action).await
            {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%message, "demo traffic: an action failed");
            }
        }
    }

    fn at(&mut self, at: i64, action: Action) {
        self.seq += 1;
        self.actions.insert(self.seq, action);
        self.queue.push(Reverse((at, self.seq)));
    }

    /// A time in the day, denser in the afternoon and evening than at night.
    fn time_of_day(&mut self) -> i64 {
        // Relative weights of the 24 hours from the day's start (08:00).
        const WEIGHTS: [u32; 24] = [
            5, 6, 7, 7, 6, 6, 7, 8, 8, 9, 10, 10, 11, 12, 10, 8, 5, 3, 2, 1, 1, 1, 2, 3,
        ];
        let total: u32 = WEIGHTS.iter().sum();
        let mut pick = self.rng.u32(0..total);
        let mut hour = 0;
        for (h, w) in WEIGHTS.iter().enumerate() {
            if pick < *w {
                hour = h;
                break;
            }
            pick -= w;
        }
        self.day_start
            + i64::try_from(hour).unwrap_or(0) * 60 * MINUTE
            + self.rng.i64(0..60 * MINUTE)
    }

    fn product(&mut self) -> Product {
        PRODUCTS[self.rng.usize(0..PRODUCTS.len())]
    }

    fn payer(&mut self, n: usize) -> Payer {
        if self.rng.bool() {
            let name = PERSONS[self.rng.usize(0..PERSONS.len())].to_owned();
            Payer {
                kind: "person",
                name,
                tax_id: None,
                true_tax_id: None,
            }
        } else {
            let code = catalog::credit_code(self.rng.u64(0..100_000_000));
            // One company in six mistypes its tax id; finance corrects it.
            let typed = if n.is_multiple_of(6) {
                catalog::mistyped(&code)
            } else {
                code.clone()
            };
            Payer {
                kind: "company",
                name: COMPANIES[self.rng.usize(0..COMPANIES.len())].to_owned(),
                tax_id: Some(typed),
                true_tax_id: Some(code),
            }
        }
    }

    fn plan_orders(&mut self, mix: Mix) {
        // Orders bought and delivered in the last days, for today's returns.
        let backlog = mix.returns * 4 / 5;
        for i in 0..backlog {
            let shop = CN_SHOPS[i % 3];
            let product = self.product();
            let at = self.day_start + self.rng.i64(0..20 * MINUTE);
            // Minutes after the delivery (at the day's start) that the buyer asks.
            let asks = (self.time_of_day() - self.day_start) / MINUTE + 30;
            let kind = if i % 4 == 3 { "refund" } else { "return" };
            let reason = RETURN_REASONS[self.rng.usize(0..RETURN_REASONS.len())];
            // Most buyers send the goods back within a day and a half; some never do.
            let ships_back = (i % 7 != 6).then(|| self.rng.i64(4 * 60..36 * 60));
            self.at(
                at,
                Action::Order {
                    shop,
                    product,
                    quantity: 1,
                    unpaid_for: None,
                    then: Fate::Ships {
                        after: 1,
                        then: Box::new(Fate::Delivered {
                            after: 1,
                            then: Box::new(Fate::AsksRefund {
                                after: asks,
                                kind,
                                reason,
                                ships_back_after_min: ships_back,
                            }),
                        }),
                    },
                },
            );
        }
        let refunds_before_shipping = mix.returns - backlog;
        let invoices_pdd = mix.invoices * 2 / 3;
        let invoices_api = mix.invoices - invoices_pdd;
        let chased = mix.orders * 35 / 100;
        let regular = mix
            .orders
            .saturating_sub(backlog + chased + invoices_pdd + invoices_api);
        for i in 0..chased {
            let shop = ["tmall", "pdd", "douyin", "us-store"][i % 4];
            let product = self.product();
            let at = self.time_of_day();
            let close_after = self.rng.i64(180..480);
            let fate = match self.rng.u32(0..100) {
                0..25 => Fate::PaysAfter(self.rng.i64(1..12)),
                25..60 => Fate::PaysAfter(self.rng.i64(20..close_after - 130)),
                60..70 => Fate::PaysAfter(self.rng.i64(close_after - 110..close_after - 15)),
                _ => Fate::ClosesAfter(close_after),
            };
            let quantity = 1 + i64::from(self.rng.u8(0..3) == 0);
            self.at(
                at,
                Action::Order {
                    shop,
                    product,
                    quantity,
                    unpaid_for: Some(close_after),
                    then: fate,
                },
            );
        }
        for i in 0..refunds_before_shipping {
            let shop = CN_SHOPS[i % 3];
            let product = self.product();
            let at = self.time_of_day();
            let after = self.rng.i64(5..90);
            let reason = REFUND_REASONS[self.rng.usize(0..REFUND_REASONS.len())];
            self.at(
                at,
                Action::Order {
                    shop,
                    product,
                    quantity: 1,
                    unpaid_for: None,
                    then: Fate::AsksRefund {
                        after,
                        kind: "refund",
                        reason,
                        ships_back_after_min: None,
                    },
                },
            );
        }
        for i in 0..invoices_pdd {
            let product = self.product();
            let at = self.time_of_day();
            let payer = self.payer(i);
            let quantity = 1 + i64::from(self.rng.u8(0..4) == 0);
            let after = self.rng.i64(10..240);
            self.at(
                at,
                Action::Order {
                    shop: "pdd",
                    product,
                    quantity,
                    unpaid_for: None,
                    then: Fate::AppliesForInvoice { after, payer },
                },
            );
        }
        for i in 0..invoices_api {
            let product = self.product();
            let at = self.time_of_day();
            let payer = self.payer(i + 1);
            let after = self.rng.i64(10..240);
            self.at(
                at,
                Action::Order {
                    shop: "tmall",
                    product,
                    quantity: 1,
                    unpaid_for: None,
                    then: Fate::RequestsInvoice { after, payer },
                },
            );
        }
        for i in 0..regular {
            let shop = ["tmall", "pdd", "douyin", "us-store", "jd"][i % 5];
            let product = self.product();
            let at = self.time_of_day();
            self.at(
                at,
                Action::Order {
                    shop,
                    product,
                    quantity: 1,
                    unpaid_for: None,
                    then: Fate::Done,
                },
            );
        }
    }

    fn plan_tickets(&mut self, count: usize) {
        for i in 0..count {
            const SHOPS: [&str; 5] = ["tmall", "pdd", "douyin", "jd", "us-store"];
            // A few of the shops' VIP buyers write in too: vip-001 … vip-010 are listed in the
            // sandbox configuration's [desk], vip-00N with the shop SHOPS[(N - 1) % 5].
            let (shop, buyer) = if i % 25 == 0 {
                let n = 1 + (i / 25) % 10;
                (SHOPS[(n - 1) % 5], format!("vip-{n:03}"))
            } else {
                (
                    SHOPS[i % 5],
                    format!("buyer-{:05}", self.rng.u32(0..100_000)),
                )
            };
            let text = self.tickets[i % self.tickets.len()].clone();
            let at = self.time_of_day();
            self.at(at, Action::Ticket { shop, buyer, text });
        }
    }

    async fn perform(&mut self, action: Action) -> Result<(), String> {
        let now = self.clock.now_ms();
        match action {
            Action::Order {
                shop,
                product,
                quantity,
                unpaid_for,
                then,
            } => {
                let unpaid = unpaid_for.is_some();
                let mut body = json!({
                    "shop": shop,
                    "status": if unpaid { "unpaid" } else { "paid" },
                    "items": [{"title": product.title, "sku": product.sku,
                               "price_fen": product.price_fen, "quantity": quantity}],
                });
                if let Some(m) = unpaid_for {
                    body["close_after_minutes"] = json!(m);
                }
                let order = self.sandbox_post("/_sandbox/orders", &body).await?;
                let order_id = order["order_id"].as_str().unwrap_or_default().to_owned();
                self.counters.orders.fetch_add(1, Ordering::Relaxed);
                if unpaid {
                    self.counters.unpaid.fetch_add(1, Ordering::Relaxed);
                }
                self.follow(now, shop, order_id, then);
            }
            Action::Step {
                shop,
                order_id,
                step,
                then,
            } => {
                self.sandbox_post(
                    &format!("/_sandbox/orders/{shop}/{order_id}/{step}"),
                    &json!({}),
                )
                .await?;
                self.follow(now, shop, order_id, then);
            }
            Action::Ticket { shop, buyer, text } => {
                self.counters.tickets.fetch_add(1, Ordering::Relaxed);
                let n = self.counters.tickets.load(Ordering::Relaxed);
                let id = format!("TK-{n:05}");
                self.publish(json!({
                    "specversion": "1.0",
                    "id": format!("helpdesk:{id}"),
                    "source": "demo/helpdesk",
                    "type": "shopflow.ticket.created",
                    "subject": id,
                    "data": {"ticket_id": id, "shop": shop, "buyer_id": buyer,
                             "channel": "chat", "text": text},
                }))
                .await?;
            }
            Action::Refund {
                shop,
                order_id,
                kind,
                reason,
                ships_back_after_min,
            } => {
                let refund = self
                    .sandbox_post(
                        "/_sandbox/refunds",
                        &json!({"shop": shop, "order_id": order_id, "kind": kind, "reason": reason}),
                    )
                    .await?;
                self.counters.returns.fetch_add(1, Ordering::Relaxed);
                if let (Some(after), Some(id)) =
                    (ships_back_after_min, refund["refund_id"].as_str())
                {
                    self.at(
                        now + after * MINUTE,
                        Action::ShipBack {
                            shop,
                            refund_id: id.to_owned(),
                        },
                    );
                }
            }
            Action::ShipBack { shop, refund_id } => {
                // Only a return the shop agreed to can be sent back; the sandbox refuses the
                // others (refused, or still with a person), which is what a buyer would see.
                let _refused_is_fine = self
                    .sandbox_post(
                        &format!("/_sandbox/refunds/{shop}/{refund_id}/buyer_return"),
                        &json!({}),
                    )
                    .await;
            }
            Action::PddInvoice { order_id, payer } => {
                self.remember(&order_id, &payer);
                self.sandbox_post(
                    "/_sandbox/invoice-requests",
                    &json!({
                        "shop": "pdd", "order_id": order_id,
                        "business_type": i64::from(payer.kind == "company"),
                        "payer_name": payer.name, "payer_register_no": payer.tax_id,
                    }),
                )
                .await?;
                self.counters.invoices.fetch_add(1, Ordering::Relaxed);
            }
            Action::InvoiceRequest { order_id, payer } => {
                self.remember(&order_id, &payer);
                self.publish(json!({
                    "specversion": "1.0",
                    "id": format!("invoice:tmall:{order_id}"),
                    "source": "demo/invoice-desk",
                    "type": "shopflow.invoice.requested",
                    "subject": order_id,
                    "data": {"shop": "tmall", "order_id": order_id,
                             "payer": {"kind": payer.kind, "name": payer.name, "tax_id": payer.tax_id}},
                }))
                .await?;
                self.counters.invoices.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn remember(&self, order_id: &str, payer: &Payer) {
        if let (Some(typed), Some(right)) = (&payer.tax_id, &payer.true_tax_id)
            && typed != right
            && let Ok(mut truth) = self.truth.lock()
        {
            truth.insert(order_id.to_owned(), right.clone());
        }
    }

    fn follow(&mut self, now: i64, shop: &'static str, order_id: String, fate: Fate) {
        match fate {
            Fate::Done => {}
            Fate::PaysAfter(m) => self.at(
                now + m * MINUTE,
                Action::Step {
                    shop,
                    order_id,
                    step: "pay",
                    then: Fate::Done,
                },
            ),
            Fate::ClosesAfter(m) => self.at(
                now + m * MINUTE,
                Action::Step {
                    shop,
                    order_id,
                    step: "close",
                    then: Fate::Done,
                },
            ),
            Fate::Ships { after, then } => self.at(
                now + after * MINUTE,
                Action::Step {
                    shop,
                    order_id,
                    step: "ship",
                    then: *then,
                },
            ),
            Fate::Delivered { after, then } => self.at(
                now + after * MINUTE,
                Action::Step {
                    shop,
                    order_id,
                    step: "deliver",
                    then: *then,
                },
            ),
            Fate::AsksRefund { .. }
            | Fate::AppliesForInvoice { .. }
            | Fate::RequestsInvoice { .. } => {
                self.ask(now, shop, order_id, fate);
            }
        }
    }

    fn ask(&mut self, now: i64, shop: &'static str, order_id: String, fate: Fate) {
        match fate {
            Fate::AsksRefund {
                after,
                kind,
                reason,
                ships_back_after_min,
            } => self.at(
                now + after * MINUTE,
                Action::Refund {
                    shop,
                    order_id,
                    kind,
                    reason,
                    ships_back_after_min,
                },
            ),
            Fate::AppliesForInvoice { after, payer } => {
                self.at(now + after * MINUTE, Action::PddInvoice { order_id, payer });
            }
            Fate::RequestsInvoice { after, payer } => {
                self.at(
                    now + after * MINUTE,
                    Action::InvoiceRequest { order_id, payer },
                );
            }
            _ => {}
        }
    }

    async fn sandbox_post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.doors.sandbox);
        let answer = self
            .doors
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = answer.status();
        let value: Value = answer.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("POST {url}: {status} {value}"))
        }
    }

    async fn publish(&self, event: Value) -> Result<(), String> {
        let url = format!("{}/api/v1/events", self.doors.api);
        let answer = self
            .doors
            .http
            .post(&url)
            .bearer_auth(&self.doors.token)
            .json(&event)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!(
                "POST {url}: {} {}",
                answer.status(),
                answer.text().await.unwrap_or_default()
            ))
        }
    }
}

/// The end of the day that started at `day_start`.
pub fn day_end(day_start: i64) -> i64 {
    day_start + DAY
}
