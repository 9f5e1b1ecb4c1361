//! `shopflow demo` (what `make run` starts): the whole system on the embedded engine with the
//! sandbox platforms, the four shipped flows deployed, and a realistic day of shop traffic
//! replayed on an accelerated clock, with a progress bar; then a summary per flow, and the
//! server left running for the console and the API until Ctrl-C.

mod catalog;
mod staff;
mod summary;
mod traffic;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use shopflow::app::stack::{Stack, StackOptions};
use shopflow_embedded::journal::RunFilter;
use shopflow_embedded::{AcceleratedClock, Clock};

pub use self::traffic::Mix;
use self::traffic::{Doors, Traffic};

/// The flows the demo deploys.
const FLOWS: [&str; 5] = [
    "ticket-dispatch.yaml",
    "return-voucher.yaml",
    "invoice-ocr.yaml",
    "payment-chase.yaml",
    "invoice-requests-sweep.yaml",
];

/// The flows the summary reports, with the review queue each sends people to.
const REPORTED: [(&str, Option<&str>); 4] = [
    ("shopflow/ticket-dispatch", None),
    ("shopflow/return-voucher", Some("returns")),
    ("shopflow/invoice-ocr", Some("finance")),
    ("shopflow/payment-chase", None),
];

/// What `shopflow demo` was asked to do.
pub struct DemoArgs {
    /// Where shopflow listens (the API and console).
    pub listen: SocketAddr,
    /// Simulated milliseconds per real millisecond.
    pub speed: u32,
    /// Where the demo keeps its files (made fresh each time).
    pub dir: PathBuf,
    /// The traffic's random seed.
    pub seed: u64,
    /// The day's traffic.
    pub mix: Mix,
    /// Stop after the summary instead of serving until Ctrl-C.
    pub exit_after_summary: bool,
}

/// Runs the demo; exit 1 when it cannot start.
pub fn run(args: &DemoArgs) -> ExitCode {
    if let Err(message) = log_to_file(&args.dir) {
        eprintln!("error: {message}");
        return ExitCode::from(1);
    }
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn demo(args: &DemoArgs) -> Result<(), String> {
    // The flows and the sandbox configuration: `workflows/` here, else the source tree's.
    let root = if std::path::Path::new("workflows/sandbox/shopflow.toml").is_file() {
        PathBuf::from(".")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    };
    let workflows = root.join("workflows");
    // The simulated day starts at 08:00 shop time (GMT+8) today.
    let today = chrono::Utc::now().timestamp_millis();
    let day_start = today - (today + 8 * 3_600_000).rem_euclid(86_400_000) + 8 * 3_600_000;
    let clock: Arc<dyn Clock> = Arc::new(AcceleratedClock::new(day_start, args.speed));
    let token = random_token()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let stack = Stack::start(StackOptions {
        dir: args.dir.clone(),
        sandbox_config: workflows.join("sandbox/shopflow.toml"),
        clock: clock.clone(),
        sandbox_listener: tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen for the sandbox: {e}"))?,
        listener,
        admin_token: token.clone(),
        resend: Duration::from_secs(1),
        flows: FLOWS.iter().map(|f| workflows.join(f)).collect(),
        temporal: None,
    })
    .await?;
    println!(
        "shopflow demo — a day of shop traffic at {}× speed",
        args.speed
    );
    println!(
        "  shopflow API  {}  (token in {})",
        stack.api,
        args.dir.join("admin-token").display()
    );
    println!("  sandbox       {}", stack.sandbox);
    println!("  configuration {}", stack.config_path.display());
    println!(
        "  log           {}",
        args.dir.join("shopflow.log").display()
    );
    println!("  flows         {}", FLOWS.join(", "));
    write_private(&args.dir.join("admin-token"), &token)?;
    let logins = console_users(&stack).await?;
    let users_file = args.dir.join("console-users");
    write_private(
        &users_file,
        &logins
            .iter()
            .map(|(name, role, password)| format!("{name}\t{role}\t{password}\n"))
            .collect::<String>(),
    )?;
    println!(
        "  web console   {}/  (logins in {})",
        stack.api,
        users_file.display()
    );
    for (name, role, password) in &logins {
        println!("                {name:<8} {role:<8} {password}");
    }
    let doors = Doors {
        sandbox: stack.sandbox.clone(),
        api: stack.api.clone(),
        token: token.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
    };
    let mut traffic = Traffic::plan(args.mix, args.seed, doors.clone(), clock.clone(), day_start);
    let staff = staff::Staff::new(
        doors.clone(),
        clock.clone(),
        args.seed ^ 0x5eed,
        traffic.truth.clone(),
    );
    let staff = tokio::spawn(staff.work(args.speed));
    let day_end = traffic::day_end(day_start);
    play_day(&mut traffic, &clock, day_start, day_end).await;
    // What the day left waiting keeps going while the summary is read.
    println!();
    let summary = summarise(&stack, &doors).await;
    println!("{summary}");
    let failures = traffic.counters.failures.load(Ordering::Relaxed);
    if failures > 0 {
        println!(
            "({failures} traffic actions were refused by the sandbox or the API; see the log)\n"
        );
    }
    if args.exit_after_summary {
        staff.abort();
        stack.stop().await;
        return Ok(());
    }
    println!(
        "shopflow keeps serving: the web console at {}/ (logins above), the API at {}/api/v1; \
         the day's follow-ups continue on the accelerated clock. Ctrl-C stops.",
        stack.api, stack.api
    );
    let rest = tokio::spawn(async move {
        let until = i64::MAX;
        traffic.play_until(until).await;
    });
    let _ = tokio::signal::ctrl_c().await;
    println!("stopping…");
    rest.abort();
    staff.abort();
    stack.stop().await;
    Ok(())
}

/// Writes `text` to a new file at `path` that only its owner may read (it holds credentials).
fn write_private(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Makes the console's demo logins — one per role but admin (the admin token is printed
/// separately) — with fresh random passwords.
async fn console_users(stack: &Stack) -> Result<Vec<(String, &'static str, String)>, String> {
    use shopflow_embedded::journal::PutMode;
    use shopflow_server::auth::Role;
    use shopflow_server::auth::users::{UserChange, put_user};
    let mut out = Vec::new();
    for (name, role) in [
        ("ops", Role::Ops),
        ("finance", Role::Finance),
        ("viewer", Role::Viewer),
    ] {
        let password = random_token()?[..20].to_owned();
        put_user(
            stack.engine.store().journal(),
            UserChange {
                name,
                role,
                password: Some(&password),
                mode: PutMode::Create,
                actor: "demo",
                client: None,
                now_ms: shopflow_server::auth::wall_clock_ms(),
            },
        )
        .await
        .map_err(|e| format!("cannot create the console user {name}: {e}"))?;
        out.push((name.to_owned(), role.as_str(), password));
    }
    Ok(out)
}

/// Logs go to `DIR/shopflow.log` (warnings and up unless `SHOPFLOW_LOG` says otherwise), so
/// the terminal shows the progress bar and the summary.
fn log_to_file(dir: &std::path::Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let path = dir.join("shopflow.log");
    let file = std::fs::File::create(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let filter = std::env::var("SHOPFLOW_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .try_init();
    Ok(())
}

/// Plays the day in slices of a simulated hour, updating the progress bar.
async fn play_day(traffic: &mut Traffic, clock: &Arc<dyn Clock>, day_start: i64, day_end: i64) {
    let bar = ProgressBar::new(24);
    bar.set_style(
        ProgressStyle::with_template("{bar:40.cyan/blue} {pos:>2}/{len}h  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let c = traffic.counters.clone();
    for hour in 1..=24 {
        let until = day_start + hour * 3_600_000;
        traffic.play_until(until.min(day_end)).await;
        clock.sleep_until(until).await;
        bar.set_position(u64::try_from(hour).unwrap_or(0));
        bar.set_message(format!(
            "{}  orders {} (unpaid {})  tickets {}  returns {}  invoices {}",
            clock_text(clock.now_ms()),
            c.orders.load(Ordering::Relaxed),
            c.unpaid.load(Ordering::Relaxed),
            c.tickets.load(Ordering::Relaxed),
            c.returns.load(Ordering::Relaxed),
            c.invoices.load(Ordering::Relaxed),
        ));
    }
    bar.finish();
}

async fn summarise(stack: &Stack, doors: &Doors) -> String {
    let tasks = match doors
        .http
        .get(format!("{}/api/v1/tasks?limit=1000", doors.api))
        .bearer_auth(&doors.token)
        .send()
        .await
    {
        Ok(answer) => summary::tasks_per_queue(&answer.json().await.unwrap_or_default()),
        Err(_) => Default::default(),
    };
    let mut lines = Vec::new();
    for (flow, queue) in REPORTED {
        let runs: Vec<_> = stack
            .engine
            .list(&RunFilter {
                flow: Some(flow.to_owned()),
                ..RunFilter::default()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.record)
            .collect();
        let handed = queue.and_then(|q| tasks.get(q).copied()).unwrap_or(0);
        lines.push(summary::summarise(flow, &runs, handed));
    }
    summary::render(&lines)
}

fn clock_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// 32 random bytes from the operating system, hex: the demo's admin token.
fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for the token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
