//! The key figures of the shipped flows, read from their runs' outputs: per flow, how many
//! runs, how many finished without a person, how many went to one, how long handling took
//! (p50/p99), SLA breaches, and what payment chasing brought back — for one day or all of
//! them. The console's KPI board ([`super::board`]) and `shopflow demo`'s closing table both
//! use it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use shopflow_core::RunStatus;
use shopflow_embedded::journal::RunRecord;

/// One flow's line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowSummary {
    /// `namespace/name`.
    pub flow: String,
    /// Runs started.
    pub runs: usize,
    /// Completed.
    pub completed: usize,
    /// Still going (waiting for a buyer, a person or a timer).
    pub in_progress: usize,
    /// Faulted.
    pub faulted: usize,
    /// Runs that reached their outcome without a person (or, for tickets, were routed by the
    /// robot to a department).
    pub automated: usize,
    /// Runs that went to a person (a review task, or an immediate hand-over).
    pub to_humans: usize,
    /// Median and 99th percentile of completed runs' handling time, clock milliseconds.
    pub median_ms: Option<i64>,
    /// See `median_ms`.
    pub p99_ms: Option<i64>,
    /// Tickets whose first reply was late (ticket dispatch).
    pub sla_breaches: usize,
    /// Orders chased (payment chase: runs that did not end `not_chased`).
    pub chased: usize,
    /// Chased orders paid after a reminder.
    pub converted: usize,
    /// Reminders sent.
    pub reminders_sent: i64,
    /// Money recovered by paid reminders, in fen.
    pub recovered_fen: i64,
    /// Flow-specific figures (label, value), in English, for the demo's table.
    pub extra: Vec<(String, String)>,
}

/// The shipped flows the figures are about, with the review queue each hands people to.
pub const SHIPPED: [(&str, Option<&str>); 4] = [
    ("shopflow/ticket-dispatch", None),
    ("shopflow/return-voucher", Some("returns")),
    ("shopflow/invoice-ocr", Some("finance")),
    ("shopflow/payment-chase", None),
];

/// One shop day's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// The day in shop time (UTC+8), `YYYY-MM-DD`.
    pub day: String,
    /// Each flow's figures for runs started that day.
    pub flows: Vec<FlowSummary>,
}

/// Shop time is China's: UTC+8, no daylight saving.
const SHOP_OFFSET_MS: i64 = 8 * 3_600_000;

/// The shop day (UTC+8) of a time in milliseconds, `YYYY-MM-DD`.
pub fn shop_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms.saturating_add(SHOP_OFFSET_MS))
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The figures per shop day (newest first) for `flows` (flow, review queue): runs count on
/// the day they started, review tasks (`(queue, created ms)`) on the day they were opened.
pub fn by_day(
    runs: &[RunRecord],
    tasks: &[(String, i64)],
    flows: &[(&str, Option<&str>)],
) -> Vec<Day> {
    let mut days: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        days.entry(shop_day(r.created_ms)).or_default().push(r);
    }
    for (_, at) in tasks {
        days.entry(shop_day(*at)).or_default();
    }
    days.into_iter()
        .rev()
        .map(|(day, day_runs)| {
            let flows = flows
                .iter()
                .map(|(flow, queue)| {
                    let of_flow: Vec<RunRecord> = day_runs
                        .iter()
                        .filter(|r| r.flow == *flow)
                        .map(|r| (*r).clone())
                        .collect();
                    let handed = queue.map_or(0, |q| {
                        tasks
                            .iter()
                            .filter(|(tq, at)| tq == q && shop_day(*at) == day)
                            .count()
                    });
                    summarise(flow, &of_flow, handed)
                })
                .collect();
            Day { day, flows }
        })
        .collect()
}

/// Summarises `runs` of `flow`; `tasks` is how many review tasks the flow's queue received.
pub fn summarise(flow: &str, runs: &[RunRecord], tasks: usize) -> FlowSummary {
    let mut s = FlowSummary {
        flow: flow.to_owned(),
        runs: runs.len(),
        ..FlowSummary::default()
    };
    let mut durations = Vec::new();
    let outputs: Vec<&Value> = runs.iter().filter_map(|r| r.output.as_ref()).collect();
    for r in runs {
        match r.status {
            RunStatus::Completed => {
                s.completed += 1;
                durations.push(r.updated_ms - r.created_ms);
            }
            RunStatus::Faulted => s.faulted += 1,
            RunStatus::Cancelled => {}
            _ => s.in_progress += 1,
        }
    }
    durations.sort_unstable();
    s.median_ms = percentile(&durations, 50);
    s.p99_ms = percentile(&durations, 99);
    let count = |f: &dyn Fn(&Value) -> bool| outputs.iter().filter(|o| f(o)).count();
    let text = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    match flow {
        "shopflow/ticket-dispatch" => {
            s.to_humans = count(&|o| o["handover"] == true);
            s.automated = count(&|o| o["queue"].as_str().is_some_and(|q| q != "other"));
            s.sla_breaches = count(&|o| o["sla_breached"] == true);
            s.extra = vec![
                ("SLA breaches".into(), s.sla_breaches.to_string()),
                (
                    "VIP tickets".into(),
                    count(&|o| o["vip"] == true).to_string(),
                ),
            ];
        }
        "shopflow/return-voucher" => {
            s.to_humans = tasks;
            s.automated = runs.len().saturating_sub(tasks + s.faulted);
            s.extra = vec![
                (
                    "refunded".into(),
                    count(&|o| o["outcome"] == "refunded").to_string(),
                ),
                (
                    "refused".into(),
                    count(&|o| o["outcome"] == "refused").to_string(),
                ),
                (
                    "vouchers issued".into(),
                    count(&|o| !o["rma"].is_null()).to_string(),
                ),
                (
                    "closed, goods never sent".into(),
                    count(&|o| o["outcome"] == "closed_no_goods").to_string(),
                ),
            ];
        }
        "shopflow/invoice-ocr" => {
            s.to_humans = tasks;
            s.automated = count(&|o| o["outcome"] == "issued" && o["automatic"] == true);
            s.extra = vec![
                (
                    "invoices issued".into(),
                    count(&|o| o["outcome"] == "issued").to_string(),
                ),
                (
                    "rejected".into(),
                    count(&|o| o["outcome"] == "rejected").to_string(),
                ),
            ];
        }
        "shopflow/payment-chase" => {
            s.automated = runs.len().saturating_sub(s.faulted);
            let sent: i64 = outputs
                .iter()
                .filter_map(|o| o["reminders_sent"].as_i64())
                .sum();
            let converted = count(&|o| o["converted"] == true);
            let chased = count(&|o| o["outcome"] != "not_chased");
            let recovered_fen: i64 = outputs
                .iter()
                .filter_map(|o| text(o, "recovered"))
                .filter_map(|y| shopflow_connectors::money::parse_yuan(&y))
                .sum();
            s.chased = chased;
            s.converted = converted;
            s.reminders_sent = sent;
            s.recovered_fen = recovered_fen;
            s.extra = vec![
                ("reminders sent".into(), sent.to_string()),
                (
                    "paid after a reminder".into(),
                    format!(
                        "{converted} of {chased} chased ({})",
                        percent(converted, chased)
                    ),
                ),
                (
                    "payments recovered".into(),
                    format!("¥{}", shopflow_connectors::money::format_fen(recovered_fen)),
                ),
                (
                    "paid before any reminder".into(),
                    count(&|o| o["outcome"] == "paid" && o["converted"] == false).to_string(),
                ),
                (
                    "closed unpaid".into(),
                    count(&|o| o["outcome"] == "closed" || o["outcome"] == "expired").to_string(),
                ),
            ];
        }
        _ => {}
    }
    s
}

/// The `p`-th percentile of sorted values by nearest rank.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank.
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// `part` of `whole` as a whole percentage (`33 %`), `–` when `whole` is 0.
pub fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.0} %", part as f64 * 100.0 / whole as f64)
    }
}

/// Clock milliseconds as `2 h 05 min` / `14 min` / `38 s`.
pub fn duration(ms: i64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// The table printed at the end of the day.
pub fn render(lines: &[FlowSummary]) -> String {
    let mut out = String::new();
    for s in lines {
        let finished = s.runs.saturating_sub(s.in_progress);
        let _ = writeln!(out, "{}", s.flow);
        let _ = writeln!(
            out,
            "  runs {:>4}   completed {:>4}   in progress {:>4}   faulted {}",
            s.runs, s.completed, s.in_progress, s.faulted
        );
        let _ = writeln!(
            out,
            "  automated {:>5}   handed to humans {:>5}   (of {} runs)",
            percent(s.automated, s.runs),
            percent(s.to_humans, s.runs),
            s.runs
        );
        let _ = writeln!(
            out,
            "  handling time (completed, simulated clock): median {}   p99 {}   ({} finished)",
            s.median_ms.map_or("–".into(), duration),
            s.p99_ms.map_or("–".into(), duration),
            finished
        );
        for (label, value) in &s.extra {
            let _ = writeln!(out, "  {label}: {value}");
        }
        out.push('\n');
    }
    out
}

/// Review tasks per queue, from `GET /api/v1/tasks`' answer.
pub fn tasks_per_queue(tasks: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for t in tasks
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(q) = t.get("queue").and_then(Value::as_str) {
            *out.entry(q.to_owned()).or_insert(0) += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(status: RunStatus, minutes: i64, output: Option<Value>) -> RunRecord {
        RunRecord {
            id: "r".into(),
            flow: "shopflow/payment-chase".into(),
            version: "1.0.0".into(),
            status,
            input: Value::Null,
            output,
            error: None,
            created_ms: 0,
            updated_ms: minutes * 60_000,
            parent: None,
        }
    }

    #[test]
    fn chasing_counts_conversions_and_money() {
        let runs = vec![
            run(
                RunStatus::Completed,
                90,
                Some(
                    json!({"outcome": "paid", "reminders_sent": 1, "converted": true, "recovered": "59.00"}),
                ),
            ),
            run(
                RunStatus::Completed,
                30,
                Some(
                    json!({"outcome": "paid", "reminders_sent": 0, "converted": false, "recovered": "0.00"}),
                ),
            ),
            run(
                RunStatus::Completed,
                300,
                Some(
                    json!({"outcome": "closed", "reminders_sent": 2, "converted": false, "recovered": "0.00"}),
                ),
            ),
            run(RunStatus::Waiting, 0, None),
        ];
        let s = summarise("shopflow/payment-chase", &runs, 0);
        assert_eq!((s.runs, s.completed, s.in_progress), (4, 3, 1));
        assert_eq!(s.median_ms, Some(90 * 60_000));
        assert_eq!(s.p99_ms, Some(300 * 60_000));
        let extra: BTreeMap<_, _> = s.extra.into_iter().collect();
        assert_eq!(extra["reminders sent"], "3");
        assert_eq!(extra["paid after a reminder"], "1 of 3 chased (33 %)");
        assert_eq!(extra["payments recovered"], "¥59.00");
    }

    #[test]
    fn days_are_shop_days_newest_first() {
        // 2026-11-24 23:30 and 2026-11-25 00:30 in UTC+8.
        let late = 1_795_535_400_000;
        let mut a = run(
            RunStatus::Completed,
            10,
            Some(
                json!({"outcome": "paid", "reminders_sent": 1, "converted": true, "recovered": "1.00"}),
            ),
        );
        a.created_ms = late;
        a.updated_ms = late + 600_000;
        let mut b = a.clone();
        b.created_ms = late + 3_600_000;
        b.updated_ms = b.created_ms + 60_000;
        let days = by_day(&[a, b], &[("finance".into(), late)], &SHIPPED);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].day, "2026-11-25");
        assert_eq!(days[1].day, "2026-11-24");
        let chase = &days[1].flows[3];
        assert_eq!((chase.runs, chase.converted, chase.chased), (1, 1, 1));
        assert_eq!(
            days[1].flows[2].to_humans, 1,
            "the finance task counts on its day"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(38_000), "38 s");
        assert_eq!(duration(14 * 60_000), "14 min");
        assert_eq!(duration(125 * 60_000), "2 h 05 min");
    }
}
