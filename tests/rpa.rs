//! The RPA workers through a real `shopflow serve` process: a flow issues a return voucher,
//! the link in its output opens the voucher's page and PDF without a login, an altered link
//! is refused, and the artifact sits content-addressed in the data directory.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "rpa-admin-token";

struct Serve {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_serve(dir: &Path) -> Serve {
    let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let log = dir.join("serve.log");
    let child = Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .arg("serve")
        .arg("--db")
        .arg(dir.join("shop.db"))
        .args(["--listen", &addr.to_string()])
        .env("SHOPFLOW_ADMIN_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start shopflow serve");
    Serve {
        child,
        base: format!("http://{addr}"),
        log,
    }
}

async fn wait_for<F, Fut, T>(serve: &Serve, what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = std::fs::read_to_string(&serve.log).unwrap_or_default();
    panic!("timed out waiting for {what}; serve log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_issues_a_voucher_whose_link_works_without_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = start_serve(dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    wait_for(&serve, "serve to be healthy", || async {
        let r = http
            .get(format!("{}/healthz", serve.base))
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    let r = http
        .post(format!("{}/api/v1/flows", serve.base))
        .bearer_auth(TOKEN)
        .body(std::fs::read_to_string("tests/data/rpa/voucher.yaml").expect("flow"))
        .send()
        .await
        .expect("deploy");
    assert!(r.status().is_success(), "deploy: {}", r.status());
    let input = json!({
        "order_id": "4102938475610293",
        "refund_id": "RF77881",
        "items": [{"name": "明前龙井 250g 礼盒装", "quantity": 2}],
        "address": {"contact": "售后部 王磊", "phone": "0571-88886666",
                    "address": "浙江省 杭州市 余杭区 仓前街道 文一西路 1001 号"}
    });
    let started: Value = http
        .post(format!("{}/api/v1/runs", serve.base))
        .bearer_auth(TOKEN)
        .json(&json!({"flow": "tests/voucher", "input": input}))
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("run id");
    let id = started["id"].as_str().expect("id").to_owned();
    let run: Value = wait_for(&serve, "the run to complete", || async {
        let run: Value = http
            .get(format!("{}/api/v1/runs/{id}", serve.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (run["status"] != "running" && run["status"] != "pending").then_some(run)
    })
    .await;
    assert_eq!(run["status"], "completed", "{run}");
    let out = &run["output"];
    let url = out["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/v/v1.", serve.base)), "{url}");

    // The page: the public record only.
    let page = http.get(url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.expect("html");
    let rma = out["rma"].as_str().expect("rma");
    assert!(html.contains(rma) && html.contains("4102938475610293") && html.contains("明前龙井"));
    for private in ["王磊", "88886666", "文一西路"] {
        assert!(!html.contains(private), "{private} on the public page");
    }
    // The PDF, and the same bytes in the data directory under their digest.
    let pdf = http
        .get(out["pdf_url"].as_str().expect("pdf url"))
        .send()
        .await
        .expect("pdf");
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.expect("pdf bytes");
    let digest = out["pdf"]["artifact"]
        .as_str()
        .expect("artifact")
        .trim_start_matches("sha256:");
    let stored = dir
        .path()
        .join("shop-data/artifacts/sha256")
        .join(&digest[..2])
        .join(digest);
    assert_eq!(std::fs::read(&stored).expect("artifact file"), pdf.as_ref());

    // Altered or unknown links: 404 with an explanation, for the page and the PDF.
    let forged = url.replacen("/v/v1.", "/v/v1.A", 1);
    for bad in [
        forged.clone(),
        format!("{forged}/voucher.pdf"),
        format!("{}/v/nonsense", serve.base),
    ] {
        let r = http.get(&bad).send().await.expect("forged");
        assert_eq!(r.status(), 404, "{bad}");
        assert!(r.text().await.expect("body").contains("Invalid voucher"));
    }
}
