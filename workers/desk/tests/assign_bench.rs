//! A micro-benchmark of `ticket.assign` on a real `desk.db` (WAL, `synchronous=FULL`): one
//! at a time (each waits for its own fsync), 10,000 with 64 in flight (group commit), and
//! 2,500 arriving at 500 a second (the dispatch target's rate).
//! Ignored by default; run it with a release build:
//!
//! ```sh
//! cargo test --release -p shopflow-desk --test assign_bench -- --ignored --nocapture
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use shopflow_classify::{Department, Urgency};
use shopflow_desk::{Desk, DeskSettings, TicketRequest};

fn settings() -> DeskSettings {
    let mut text = String::new();
    for i in 0..20 {
        let department = Department::ALL[i % Department::ALL.len()].as_str();
        text.push_str(&format!(
            "[[agent]]\nname = \"agent-{i}\"\nskills = [\"{department}\", \"logistics\", \"zh\", \"en\"]\ncap = 200\n"
        ));
    }
    toml::from_str(&text).expect("settings")
}

fn request(i: usize) -> TicketRequest {
    TicketRequest {
        ticket_id: format!("TK-{i}"),
        shop: "tmall-flagship".into(),
        buyer_id: Some(format!("buyer-{}", i % 997)),
        department: Department::ALL[i % Department::ALL.len()],
        language: if i.is_multiple_of(3) { "en" } else { "zh" }.into(),
        urgency: Urgency::ALL[i % 3],
        vip: i.is_multiple_of(10),
        handover: i.is_multiple_of(17),
        summary: Some("快递三天没动".into()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort();
    let n = lat.len();
    println!(
        "{name}: {n} assigns in {:.2} s = {:.0}/s, {:.1} µs each; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / n as f64,
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat[n - 1].as_secs_f64() * 1e3,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn assign_throughput_and_latency() {
    // `SHOPFLOW_BENCH_DIR=/dev/shm` (tmpfs: fsync costs nothing) shows the CPU cost alone.
    let base = std::env::var("SHOPFLOW_BENCH_DIR")
        .unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_owned());
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    let desk = Arc::new(
        Desk::open(
            dir.path().join("desk.db"),
            settings(),
            Arc::new(|| 1_795_478_400_000),
        )
        .expect("open"),
    );

    let sequential = 500;
    let mut lat = Vec::with_capacity(sequential);
    let start = Instant::now();
    for i in 0..sequential {
        let t = Instant::now();
        desk.assign(request(i), &format!("seq-{i}"))
            .await
            .expect("assign");
        lat.push(t.elapsed());
    }
    report("one at a time", lat, start.elapsed());

    let total = 10_000;
    let in_flight = 64;
    let mut lat = Vec::with_capacity(total);
    let start = Instant::now();
    let mut running = FuturesUnordered::new();
    let mut next = sequential;
    while next < sequential + total || !running.is_empty() {
        while running.len() < in_flight && next < sequential + total {
            let desk = Arc::clone(&desk);
            let i = next;
            next += 1;
            running.push(async move {
                let t = Instant::now();
                desk.assign(request(i), &format!("con-{i}"))
                    .await
                    .expect("assign");
                t.elapsed()
            });
        }
        if let Some(d) = running.next().await {
            lat.push(d);
        }
    }
    report("64 in flight", lat, start.elapsed());

    // The dispatch target's rate: 500 tickets a second arriving evenly, for 5 seconds.
    let paced = 2_500;
    let first = sequential + total;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(paced);
    for i in first..first + paced {
        tick.tick().await;
        let desk = Arc::clone(&desk);
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            desk.assign(request(i), &format!("paced-{i}"))
                .await
                .expect("assign");
            t.elapsed()
        }));
    }
    let mut lat = Vec::with_capacity(paced);
    for h in handles {
        lat.push(h.await.expect("task"));
    }
    report("500/s arriving", lat, start.elapsed());
}
