//! The demo's people: agents who resolve the tickets assigned to them after a while, a
//! returns clerk and a finance clerk who decide the review tasks. They use the same REST API
//! the web console uses (`/api/v1/tickets`, `/api/v1/tasks`), so the flows see real decisions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_embedded::Clock;

use super::traffic::{Doors, TaxIdTruth};

const MINUTE: i64 = 60_000;

/// The simulated staff.
pub struct Staff {
    doors: Doors,
    clock: Arc<dyn Clock>,
    rng: fastrand::Rng,
    /// Ticket or task id → when (clock ms) its person is done with it.
    due: BTreeMap<String, i64>,
    truth: TaxIdTruth,
}

impl Staff {
    /// Staff working through `doors`, deciding with `seed`.
    pub fn new(doors: Doors, clock: Arc<dyn Clock>, seed: u64, truth: TaxIdTruth) -> Self {
        Self {
            doors,
            clock,
            rng: fastrand::Rng::with_seed(seed),
            due: BTreeMap::new(),
            truth,
        }
    }

    /// Works until the task is dropped: every 5 simulated minutes, looks at what is waiting.
    pub async fn work(mut self, speed: u32) {
        let tick = Duration::from_millis(
            u64::try_from(5 * MINUTE).unwrap_or(300_000) / u64::from(speed.max(1)),
        );
        loop {
            if let Err(message) = self.round().await {
                tracing::debug!(%message, "demo staff: a round failed");
            }
            tokio::time::sleep(tick).await;
        }
    }

    async fn round(&mut self) -> Result<(), String> {
        let now = self.clock.now_ms();
        let tickets = self
            .get("/api/v1/tickets?status=assigned&limit=1000")
            .await?;
        for t in list(&tickets, "tickets") {
            let Some(id) = t["ticket_id"].as_str().or(t["id"].as_str()) else {
                continue;
            };
            // Agents mostly answer within the ticket's SLA (hand-overs within minutes); one
            // ticket in fifteen sits until it breaches.
            let sla = t["sla_minutes"].as_i64().unwrap_or(60).max(10);
            let minutes = if t["handover"] == true {
                self.rng.i64(2..8)
            } else if self.rng.u8(0..15) == 0 {
                sla + self.rng.i64(5..30)
            } else {
                self.rng.i64(sla / 5..sla * 4 / 5)
            };
            let due = *self
                .due
                .entry(id.to_owned())
                .or_insert(now + minutes * MINUTE);
            if now >= due {
                let by = t["agent"].as_str().unwrap_or("agent").to_owned();
                self.post(&format!("/api/v1/tickets/{id}/resolve"), &json!({"by": by}))
                    .await?;
                self.due.remove(id);
            }
        }
        let escalated = self
            .get("/api/v1/tickets?status=escalated&limit=1000")
            .await?;
        for t in list(&escalated, "tickets") {
            let Some(id) = t["ticket_id"].as_str().or(t["id"].as_str()) else {
                continue;
            };
            if t["agent"].is_null() {
                continue;
            }
            let due = *self
                .due
                .entry(id.to_owned())
                .or_insert(now + self.rng.i64(5..30) * MINUTE);
            if now >= due {
                let by = t["agent"].as_str().unwrap_or("supervisor").to_owned();
                self.post(&format!("/api/v1/tickets/{id}/resolve"), &json!({"by": by}))
                    .await?;
                self.due.remove(id);
            }
        }
        let tasks = self.get("/api/v1/tasks?status=open&limit=1000").await?;
        for task in list(&tasks, "tasks") {
            let Some(id) = task["task_id"].as_str().or(task["id"].as_str()) else {
                continue;
            };
            let due = *self
                .due
                .entry(id.to_owned())
                .or_insert(now + self.rng.i64(30..240) * MINUTE);
            if now < due {
                continue;
            }
            let decision = match task["queue"].as_str() {
                Some("finance") => self.finance(&task),
                _ => self.returns_clerk(&task),
            };
            self.post(&format!("/api/v1/tasks/{id}/decision"), &decision)
                .await?;
            self.due.remove(id);
        }
        Ok(())
    }

    /// The returns clerk approves most requests, refuses some quality claims without photos.
    fn returns_clerk(&mut self, task: &Value) -> Value {
        let quality = list(task, "reasons")
            .iter()
            .any(|r| r["code"] == "quality_claim");
        let approve = if quality {
            self.rng.u8(0..10) < 8
        } else {
            self.rng.u8(0..10) < 6
        };
        if approve {
            json!({"decision": "approve", "reason": "核实无误，同意", "by": "售后 王磊", "changes": {}})
        } else {
            json!({"decision": "reject", "reason": "商品已拆封使用，不支持无理由退货", "by": "售后 王磊", "changes": {}})
        }
    }

    /// The finance clerk corrects a mistyped tax id when the buyer's right one is known, and
    /// approves; rejects what cannot be fixed.
    fn finance(&mut self, task: &Value) -> Value {
        let order_id = task
            .pointer("/data/order_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let right = self
            .truth
            .lock()
            .ok()
            .and_then(|t| t.get(order_id).cloned());
        match right {
            Some(tax_id) => json!({
                "decision": "approve",
                "reason": "买方税号有误，已按营业执照更正",
                "by": "财务 陈静",
                "changes": {"payer": {"tax_id": tax_id}},
            }),
            None if task.pointer("/data/order_id").is_some_and(|o| !o.is_null()) => json!({
                "decision": "approve", "reason": "核对订单无误", "by": "财务 陈静", "changes": {},
            }),
            None => json!({
                "decision": "reject", "reason": "无法确认订单", "by": "财务 陈静", "changes": {},
            }),
        }
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}{path}", self.doors.api);
        let answer = self
            .doors
            .http
            .get(&url)
            .bearer_auth(&self.doors.token)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        answer.json().await.map_err(|e| format!("GET {url}: {e}"))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(), String> {
        let url = format!("{}{path}", self.doors.api);
        let answer = self
            .doors
            .http
            .post(&url)
            .bearer_auth(&self.doors.token)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        // 409: someone (an earlier round) already did it.
        if answer.status().is_success() || answer.status().as_u16() == 409 {
            Ok(())
        } else {
            Err(format!("POST {url}: {}", answer.status()))
        }
    }
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
