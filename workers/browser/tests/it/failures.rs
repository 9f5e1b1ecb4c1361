//! Blocks that fail: a selector that never appears, a page that does not load (refused, or
//! never answered), a block over its time limit, malformed blocks, missing secrets and
//! binaries, and a chromedriver that died between calls or in the middle of a block. Each
//! error says what, where and whether a retry helps; the pool keeps working afterwards and
//! leaves no process or temporary folder behind.

use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};
use serde_json::json;
use shopflow_core::{ErrorKind, WorkflowError};

use crate::backoffice::PASSWORD;
use shopflow_browser::CHROMIUM_FLAGS;
use tokio::net::TcpListener;

use crate::env::{Env, is_running, processes_mentioning, wait_until_gone};

fn detail(e: &WorkflowError) -> &str {
    e.detail.as_deref().unwrap_or_default()
}

/// `sha256:…` references named in an error detail.
fn references(detail: &str) -> Vec<String> {
    detail
        .split(|c: char| c.is_whitespace() || c == ',' || c == ')')
        .filter(|w| w.starts_with("sha256:"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_selector_that_never_appears_times_out_with_evidence() {
    let env = Env::start().await;
    let started = Instant::now();
    let err = env
        .call(json!({
            "steps": [
                {"goto": env.office.url("/login")},
                {"fill": "#password", "secret": "SHOP_PASSWORD"},
                {"click": "#no-such-button", "timeout": "PT2S"},
            ]
        }))
        .await
        .expect_err("the button never appears");
    assert!(started.elapsed() < Duration::from_secs(30), "bounded");
    assert!(err.is(ErrorKind::Timeout), "{err}");
    assert!(err.retryable);
    assert_eq!(err.instance.as_deref(), Some("/do/0/backOffice"));
    let d = detail(&err);
    assert!(
        d.starts_with("steps[2] (click css \"#no-such-button\"): no element matching css \"#no-such-button\" appeared within"),
        "{d}"
    );
    assert!(d.contains("/login"), "names the page: {d}");
    assert!(
        d.ends_with("Retryable: running the block again can succeed."),
        "{d}"
    );
    let refs = references(d);
    assert_eq!(refs.len(), 2, "a screenshot and the HTML: {d}");
    let png = env.store.get(&refs[0]).unwrap().expect("screenshot stored");
    assert!(png.starts_with(b"\x89PNG"));
    let html = String::from_utf8(env.store.get(&refs[1]).unwrap().expect("HTML stored")).unwrap();
    assert!(html.contains("id=\"password\""), "the page's HTML");
    assert!(!html.contains(PASSWORD) && !d.contains(PASSWORD));
    env.finish().await;
}

#[tokio::test]
async fn a_page_that_does_not_load_is_a_retryable_communication_error() {
    let env = Env::start().await;
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = env
        .call(json!({"steps": [
            {"goto": env.office.url("/login")},
            {"goto": format!("http://127.0.0.1:{closed}/orders")},
        ]}))
        .await
        .expect_err("nothing listens");
    assert!(err.is(ErrorKind::Communication), "{err}");
    assert!(err.retryable);
    let d = detail(&err);
    assert!(
        d.starts_with(&format!(
            "steps[1] (goto http://127.0.0.1:{closed}/orders): could not load http://127.0.0.1:{closed}/orders: ERR_CONNECTION_REFUSED"
        )),
        "{d}"
    );

    // The pool survives: the next block works.
    let out = env
        .call(json!({"steps": [{"goto": env.office.url("/help")}, {"extract_text": "h1", "as": "h"}]}))
        .await
        .expect("the pool still works");
    assert_eq!(out["extracted"]["h"], json!("Help centre"));
    env.finish().await;
}

#[tokio::test]
async fn malformed_blocks_and_missing_secrets_fail_before_a_browser_starts() {
    let env = Env::start().await;
    let cases = [
        (
            json!({"steps": [{"goto": env.office.url("/login")}, {"hover": "#menu"}]}),
            ErrorKind::Validation,
            "with.steps[1]: unknown step kind `hover`",
        ),
        (
            json!({"steps": [{"click": {"css": ""}}]}),
            ErrorKind::Validation,
            "with.steps[0].click: `css` needs a non-empty string",
        ),
        (
            json!({"steps": "click everything"}),
            ErrorKind::Validation,
            "with.steps: expected a list of steps",
        ),
        (
            json!({"steps": [{"fill": "#password", "secret": "NOT_CONFIGURED"}]}),
            ErrorKind::Configuration,
            "steps[0] (fill): the secret `NOT_CONFIGURED` is not configured",
        ),
        (
            json!({"steps": [{"upload": "#file", "file": format!("sha256:{}", "0".repeat(64))}]}),
            ErrorKind::Configuration,
            "steps[0] (upload): the artifact sha256:0000",
        ),
    ];
    for (args, kind, start) in cases {
        let err = env.call(args.clone()).await.expect_err("refused");
        assert!(err.is(kind), "{args}: {err}");
        assert!(!err.retryable, "{args}");
        assert!(detail(&err).starts_with(start), "{args}: {}", detail(&err));
        assert!(
            detail(&err).ends_with("Not retryable: the block or the configuration needs changing.")
        );
    }
    assert_eq!(
        env.browser.driver_pid().await,
        None,
        "no chromedriver was started"
    );
    env.finish().await;
}

#[tokio::test]
async fn missing_binaries_are_configuration_errors() {
    let env = Env::with_config(|c| c.chromedriver = "/nonexistent/chromedriver".into()).await;
    let err = env
        .call(json!({"steps": [{"goto": env.office.url("/login")}]}))
        .await
        .expect_err("no chromedriver");
    assert!(err.is(ErrorKind::Configuration), "{err}");
    assert!(!err.retryable);
    assert!(
        detail(&err).starts_with("chromedriver `/nonexistent/chromedriver` is missing"),
        "{}",
        detail(&err)
    );
    assert!(detail(&err).contains("SHOPFLOW_CHROMEDRIVER"));
    env.finish().await;

    let env = Env::with_config(|c| c.chromium = "/nonexistent/chromium".into()).await;
    let err = env
        .call(json!({"steps": [{"goto": env.office.url("/login")}]}))
        .await
        .expect_err("no chromium");
    assert!(err.is(ErrorKind::Configuration), "{err}");
    assert!(
        detail(&err).contains("SHOPFLOW_CHROMIUM"),
        "{}",
        detail(&err)
    );
    env.finish().await;
}

#[tokio::test]
async fn a_chromedriver_killed_between_calls_is_replaced() {
    let env = Env::start().await;
    let block = json!({"steps": [{"goto": env.office.url("/help")}, {"extract_text": "#title", "as": "t"}]});
    env.call(block.clone()).await.expect("first call");
    let pid = env.browser.driver_pid().await.expect("chromedriver runs");

    // Kill chromedriver alone, as a crash would.
    let raw = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("a pid");
    kill_process(raw, Signal::KILL).expect("kill");
    for _ in 0..50 {
        if !is_running(pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!is_running(pid), "chromedriver {pid} is dead");

    let out = env
        .call(block)
        .await
        .expect("a new chromedriver serves the call");
    assert_eq!(out["extracted"]["t"], json!("Help centre"));
    let new_pid = env.browser.driver_pid().await.expect("a new chromedriver");
    assert_ne!(new_pid, pid);
    env.finish().await;
}

#[tokio::test]
async fn blocks_beyond_the_session_cap_wait_and_time_out() {
    let env = Env::with_config(|c| c.max_sessions = 1).await;
    let slow = env.call(json!({"steps": [
        {"goto": env.office.url("/help")},
        {"wait_for": {"text": "never shown"}, "timeout": "PT4S"},
    ]}));
    let waiting = async {
        // The first block holds the only browser once chromedriver runs.
        let waiting_since = Instant::now();
        while env.browser.driver_pid().await.is_none() {
            assert!(
                waiting_since.elapsed() < Duration::from_secs(20),
                "chromedriver never started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        env.call(json!({"timeout": "PT1S", "steps": [{"goto": env.office.url("/help")}]}))
            .await
    };
    let (slow, waiting) = tokio::join!(slow, waiting);
    let err = waiting.expect_err("no browser free within 1 s");
    assert!(err.is(ErrorKind::Timeout), "{err}");
    assert!(err.retryable);
    assert!(
        detail(&err).starts_with(
            "the block's time ran out while waiting for a free browser (at most 1 run at once)"
        ),
        "{}",
        detail(&err)
    );
    let err = slow.expect_err("the text never shows");
    assert!(
        detail(&err).starts_with("steps[1] (wait_for text): waited"),
        "{}",
        detail(&err)
    );
    env.finish().await;
}

/// A server on loopback that accepts connections and never answers (a hung back office).
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/orders", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_page_that_never_answers_times_out_and_the_pool_goes_on() {
    let env = Env::start().await;
    let (silent, server) = silent_server().await;
    let started = Instant::now();
    let err = env
        .call(json!({"steps": [
            {"goto": env.office.url("/help")},
            {"goto": silent.clone(), "timeout": "PT3S"},
        ]}))
        .await
        .expect_err("the page never loads");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "bounded: {:?}",
        started.elapsed()
    );
    assert!(err.is(ErrorKind::Timeout), "{err}");
    assert!(err.retryable);
    let d = detail(&err);
    assert!(
        d.starts_with(&format!(
            "steps[1] (goto {silent}): {silent} did not finish loading"
        )),
        "{d}"
    );
    assert!(
        d.ends_with("Retryable: running the block again can succeed."),
        "{d}"
    );

    // The pool survives: the next block works.
    let out = env
        .call(json!({"steps": [{"goto": env.office.url("/help")}, {"extract_text": "h1", "as": "h"}]}))
        .await
        .expect("the pool still works");
    assert_eq!(out["extracted"]["h"], json!("Help centre"));
    server.abort();
    env.finish().await;
}

#[tokio::test]
async fn a_block_over_its_own_limit_stops_at_that_limit() {
    let env = Env::start().await;
    let started = Instant::now();
    let err = env
        .call(json!({"timeout": "PT8S", "steps": [
            {"goto": env.office.url("/help"), "timeout": "PT60S"},
            {"wait_for": {"text": "never shown"}, "timeout": "PT60S"},
        ]}))
        .await
        .expect_err("the block runs out of time");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(30),
        "the block's 8 s, not the steps' 60 s: {took:?}"
    );
    assert!(err.is(ErrorKind::Timeout), "{err}");
    assert!(err.retryable);
    let d = detail(&err);
    // Normally the wait runs out; on a machine so busy that Chromium takes 8 s to start,
    // the first step does.
    assert!(
        (d.starts_with("steps[1] (wait_for text): waited") || d.starts_with("steps[0] (goto "))
            && d.contains("; the block's limit of 8 s ran out"),
        "{d}"
    );
    env.finish().await;
}

#[tokio::test]
async fn a_chromedriver_killed_during_a_block_fails_it_retryably_and_is_replaced() {
    let env = Env::start().await;
    let parked = env.office.seen.lock().unwrap().parked.clone();
    let block = env.call(json!({"steps": [
        {"goto": env.office.url("/parked")},
        {"wait_for": {"text": "never shown"}, "timeout": "PT60S"},
    ]}));
    let crash = async {
        tokio::time::timeout(Duration::from_secs(30), parked.notified())
            .await
            .expect("the browser opens /parked");
        // Chromium runs with the flags this machine needs.
        let needle = env.data_dir().display().to_string();
        let chromium: Vec<String> = processes_mentioning(&needle)
            .into_iter()
            .filter(|p| p.contains("--user-data-dir=") && !p.contains("--type="))
            .collect();
        assert_eq!(chromium.len(), 1, "one browser: {chromium:?}");
        for flag in CHROMIUM_FLAGS {
            assert!(
                chromium[0].contains(flag),
                "{flag} missing: {}",
                chromium[0]
            );
        }
        let pid = env.browser.driver_pid().await.expect("chromedriver runs");
        let raw = i32::try_from(pid)
            .ok()
            .and_then(Pid::from_raw)
            .expect("a pid");
        // chromedriver alone, as a crash would: its Chromium is left running.
        kill_process(raw, Signal::KILL).expect("kill");
        (pid, Instant::now())
    };
    let (result, (pid, killed_at)) = tokio::join!(block, crash);
    let err = result.expect_err("the block loses its browser");
    assert!(
        killed_at.elapsed() < Duration::from_secs(20),
        "fails soon after the crash, not at the step's 60 s"
    );
    assert!(err.is(ErrorKind::Communication), "{err}");
    assert!(err.retryable, "{err}");
    let d = detail(&err);
    // The crash lands while the page finishes loading or while the step waits.
    assert!(
        (d.starts_with("steps[0] (goto ") || d.starts_with("steps[1] (wait_for text): "))
            && d.contains("chromedriver"),
        "{d}"
    );
    assert!(
        d.ends_with("Retryable: running the block again can succeed."),
        "{d}"
    );
    // The orphaned Chromium went with the dead chromedriver, and the block's folder too.
    let tmp = env.data_dir().join("tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "the failed block's folder is left: {left:?}"
    );
    // Without the pool stopping them, they would run until the next block (bounded wait:
    // killed processes take a moment to exit).
    wait_until_gone(&env.data_dir(), Some(pid)).await;

    // A retry of the block is served by a new chromedriver.
    let out = env
        .call(json!({"steps": [{"goto": env.office.url("/help")}, {"extract_text": "#title", "as": "t"}]}))
        .await
        .expect("a new chromedriver serves the retry");
    assert_eq!(out["extracted"]["t"], json!("Help centre"));
    assert_ne!(env.browser.driver_pid().await, Some(pid));
    env.finish().await;
}
