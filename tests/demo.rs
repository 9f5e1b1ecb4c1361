//! `shopflow demo` (what `make run` starts), shortened: a small day at 3600× speed, every
//! shipped flow deployed, the summary printed, nothing faulted, and the process exits when
//! asked to.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_short_demo_day_runs_every_flow_without_a_fault() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "3600",
            "--orders",
            "60",
            "--tickets",
            "30",
            "--returns",
            "10",
            "--invoices",
            "6",
            "--exit-after-summary",
            "--dir",
        ])
        .arg(dir.path().join("demo"))
        .output()
        .expect("shopflow demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    // A day at 3600× takes 24 s; the bound only catches a hang.
    assert!(started.elapsed() < Duration::from_secs(180), "{stdout}");
    for flow in [
        "shopflow/ticket-dispatch",
        "shopflow/return-voucher",
        "shopflow/invoice-ocr",
        "shopflow/payment-chase",
    ] {
        let block = stdout
            .split("\n\n")
            .find(|b| b.trim_start().starts_with(flow))
            .unwrap_or_else(|| panic!("no summary for {flow}:\n{stdout}"));
        assert!(block.contains("faulted 0"), "{block}");
        assert!(!block.contains("runs    0"), "{flow} ran: {block}");
    }
    assert!(stdout.contains("reminders sent:"), "{stdout}");
    let log = std::fs::read_to_string(dir.path().join("demo/shopflow.log")).unwrap_or_default();
    assert!(!log.contains(" ERROR "), "no error in the log:\n{log}");
}
