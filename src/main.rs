//! The `shopflow` command line: parses arguments and hands each subcommand to its module.

mod commands;

/// **Why mimalloc:** with tens of thousands of parked runs the engine makes many small,
/// long-lived allocations from two threads; mimalloc keeps them denser than glibc's arenas
/// (measured in docs/performance.md) and is a small, maintained crate.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Durable customer-service workflows for online shops (Serverless Workflow DSL 1.0.3).
#[derive(Parser)]
#[command(name = "shopflow", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check flow files; prints each problem as `FILE:LINE:COL: error[CODE]: message`.
    ///
    /// Exit status: 0 when every file is valid (warnings allowed), 1 when any is not.
    Validate {
        /// Flow files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also fail (exit 1) on warnings.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Draw a flow as a Mermaid or Graphviz diagram.
    Graph {
        /// Flow file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Describe a flow in plain words: what starts it, its tasks, calls, events and timers.
    Explain {
        /// Flow file.
        file: PathBuf,
    },
    /// Print the JSON Schema of the flows shopflow accepts (for YAML editors).
    Schema,
    /// Run a flow to the end in this process; prints its output (exit 0) or error (exit 1).
    ///
    /// An invalid definition exits 2. Secrets named in `use.secrets` are read from
    /// `SHOPFLOW_SECRET_<NAME>` environment variables.
    Run {
        /// Flow file.
        file: PathBuf,
        /// Workflow input as JSON.
        #[arg(long, conflicts_with = "input_file")]
        input: Option<String>,
        /// Workflow input from a JSON file.
        #[arg(long, value_name = "PATH")]
        input_file: Option<PathBuf>,
        /// Replace a function's result, e.g. `--mock platform.order.get='{"paid":true}'` (repeatable).
        #[arg(long = "mock", value_name = "NAME=JSON")]
        mocks: Vec<String>,
        /// Another flow that `run.workflow` may start (repeatable).
        #[arg(long = "flow", value_name = "FILE")]
        flows: Vec<PathBuf>,
        /// Run on this database file (kept afterwards) instead of a temporary one.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// `shopflow.toml` with the shops the `platform.*` functions call.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// A ticket model from `shopflow train` for `ticket.classify` (default: the shipped one).
        #[arg(long, value_name = "PATH")]
        ticket_model: Option<PathBuf>,
        /// Where artifacts (vouchers, screenshots, downloads) and the voucher key are kept
        /// (default: `NAME-data` beside the database file `NAME.db`).
        #[arg(long, value_name = "PATH")]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        temporal: commands::worker::TemporalArgs,
    },
    /// Run flows' work for a Temporal cluster (start as many as needed, on any machines).
    ///
    /// Polls --task-queue for workflow and activity tasks until SIGTERM or Ctrl-C. Secrets
    /// come from `SHOPFLOW_SECRET_<NAME>` as for `run`.
    Worker {
        #[command(flatten)]
        temporal: commands::worker::TemporalArgs,
        /// A flow runs may name without its source (repeatable).
        #[arg(long = "flow", value_name = "FILE")]
        flows: Vec<PathBuf>,
        /// `shopflow.toml` with the shops the `platform.*` functions call.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// A ticket model from `shopflow train` for `ticket.classify` (default: the shipped one).
        #[arg(long, value_name = "PATH")]
        ticket_model: Option<PathBuf>,
        /// Where artifacts and the voucher key are kept (default: `shopflow-data`).
        #[arg(long, value_name = "PATH")]
        data_dir: Option<PathBuf>,
    },
    /// The whole system with the sandbox platforms and a day of demo traffic (`make run`).
    ///
    /// Starts the sandbox and the embedded engine with the four shipped flows on an
    /// accelerated clock, replays a realistic day (orders, tickets, returns, invoice
    /// requests), prints a summary per flow and keeps serving until Ctrl-C.
    Demo {
        /// Address shopflow listens on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Simulated seconds per real second (480: a day in three minutes).
        #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u32).range(1..=3600))]
        speed: u32,
        /// Where the demo keeps its databases and configuration (cleared at start).
        #[arg(long, value_name = "DIR", default_value = "target/demo")]
        dir: PathBuf,
        /// Seed of the day's traffic (the same seed gives the same day).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Orders in the day.
        #[arg(long, default_value_t = 500)]
        orders: usize,
        /// Buyer tickets in the day.
        #[arg(long, default_value_t = 300)]
        tickets: usize,
        /// Refund and return requests in the day.
        #[arg(long, default_value_t = 80)]
        returns: usize,
        /// Invoice requests in the day.
        #[arg(long, default_value_t = 60)]
        invoices: usize,
        /// Exit after the summary instead of serving until Ctrl-C.
        #[arg(long)]
        exit_after_summary: bool,
    },
    /// Serve the REST API: flows, runs, events, webhooks, /metrics, /healthz.
    ///
    /// Runs run on the embedded engine, or on a Temporal cluster with `--backend temporal`
    /// (then a worker runs inside serve too unless --no-worker). Unfinished runs resume at start. SIGTERM or Ctrl-C stops taking work, lets calls in
    /// flight finish for up to --grace seconds and parks the rest for the next start.
    /// `SHOPFLOW_ADMIN_TOKEN` seeds an admin API token.
    Serve {
        /// The database file (created if missing).
        #[arg(long, value_name = "PATH", default_value = "shopflow.db")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Seconds calls in flight may take to finish at shutdown.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        grace: u64,
        /// Days to keep ended runs and events (0 keeps them forever).
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        retention_days: u32,
        /// The most megabytes the database may grow to; past it runs pause as on a full
        /// disk until retention frees space (unset: the disk is the limit).
        #[arg(long, value_name = "MB")]
        max_db_mb: Option<u64>,
        /// `shopflow.toml`: shops, their credentials and push channels (webhooks are taken at
        /// `/hooks/{platform}`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// A ticket model from `shopflow train` for `ticket.classify` (default: the shipped one).
        #[arg(long, value_name = "PATH")]
        ticket_model: Option<PathBuf>,
        /// Where artifacts (vouchers, screenshots, downloads) and the voucher key are kept
        /// (default: `NAME-data` beside the database file `NAME.db`).
        #[arg(long, value_name = "PATH")]
        data_dir: Option<PathBuf>,
        /// Runs run on a Temporal cluster (`--backend temporal --temporal-address HOST:PORT`);
        /// the database keeps flows, events, schedules and tokens.
        #[command(flatten)]
        temporal: commands::worker::TemporalArgs,
        /// With --backend temporal: run no worker inside serve (start `shopflow worker`s).
        #[arg(long)]
        no_worker: bool,
    },
    /// Manage the people who sign in to the console and the API (while `serve` is stopped).
    User {
        #[command(subcommand)]
        command: commands::users::UserCommand,
    },
    /// Make and revoke API tokens for users (while `serve` is stopped).
    Token {
        #[command(subcommand)]
        command: commands::users::TokenCommand,
    },
    /// Simulate Taobao, JD, Pinduoduo, Douyin and Shopify on loopback for tests and demos.
    ///
    /// Same paths, signatures, errors and push messages as the real gateways, for the shops of
    /// --config; state in --db; webhooks to --hooks; control API under `/_sandbox/`.
    Sandbox {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        /// `shopflow.toml` with the shops to simulate (the one `shopflow serve` reads).
        #[arg(long, value_name = "PATH", default_value = "shopflow.toml")]
        config: PathBuf,
        /// The sandbox's database file.
        #[arg(long, value_name = "PATH", default_value = "sandbox.db")]
        db: PathBuf,
        /// shopflow's hook base URL, e.g. http://127.0.0.1:8080/hooks.
        #[arg(long, value_name = "URL")]
        hooks: Option<String>,
        /// Orders to create per shop at start (realistic data, fixed seed).
        #[arg(long, value_name = "N", default_value_t = 0)]
        seed: usize,
    },
    /// Label buyer messages: department, sentiment, urgency (Chinese and English).
    ///
    /// One TEXT, or --jsonl FILE with one `{"text": …}` per line (one JSON result per line out).
    Classify {
        /// The message.
        #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
        text: Option<String>,
        /// A JSON-lines file of `{"text"}` objects (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
        /// A model written by `shopflow train` (default: the shipped examples).
        #[arg(long, value_name = "PATH")]
        model: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read a document (PNG, JPEG, TIFF or PDF) with OCR: invoice fields with confidences and
    /// boxes, or plain text. Exit 0; 2 when the document cannot be read.
    Ocr {
        /// The document.
        file: PathBuf,
        /// `invoice`: fapiao, foreign invoices and order screenshots into fields; `text`: lines.
        #[arg(long, value_enum, default_value_t = OcrKind::Invoice)]
        kind: OcrKind,
        /// Read at most this many pages of a PDF.
        #[arg(long, value_name = "N")]
        pages: Option<u32>,
        /// Print the JSON result (what `ocr.invoice` / `ocr.text` return).
        #[arg(long)]
        json: bool,
    },
    /// Train the ticket classifier on the shipped examples plus corrections; prints its
    /// accuracy on the held-out set.
    Train {
        /// Example files (JSON lines of text, department, sentiment, urgency), e.g. agents'
        /// corrections (repeatable).
        #[arg(long = "data", value_name = "FILE")]
        data: Vec<PathBuf>,
        /// Train on --data only, without the shipped examples.
        #[arg(long)]
        no_shipped: bool,
        /// Where to write the model (JSON).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Held-out examples to score (default: workflows/data/tickets/test.jsonl).
        #[arg(long, value_name = "FILE")]
        test: Option<PathBuf>,
    },
    /// Print the signature a platform expects, the algorithm and the signed string (secret
    /// masked), to see why a call or a webhook is rejected.
    ///
    /// Taobao/JD/PDD: pass every request parameter as k=v. Douyin: app_key, method, timestamp
    /// and param_json (or --body) for a request; app_key and --body for a push. Shopify:
    /// --body with the raw webhook body.
    Sign {
        /// The platform.
        #[arg(long)]
        platform: String,
        /// The environment variable holding the app secret (never pass secrets as arguments).
        #[arg(long, value_name = "VAR")]
        secret_env: String,
        /// A file with the raw body (webhooks, Douyin's param_json).
        #[arg(long, value_name = "FILE")]
        body: Option<PathBuf>,
        /// Request parameters.
        #[arg(value_name = "K=V")]
        params: Vec<String>,
    },
    /// Measure the durable engine on a synthetic workload; the last stdout line is JSON.
    ///
    /// Runs go through the real engine path (journal, scheduler, `noop` from the function
    /// registry) with `synchronous=FULL` unless told otherwise; the disk's own single-row
    /// commit rate is printed beside the result.
    Bench {
        /// Workload shape.
        #[arg(long, value_enum)]
        workload: commands::bench::Workload,
        /// Runs to start.
        #[arg(long, default_value_t = 2000)]
        runs: usize,
        /// No-op steps per run.
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Runs in flight at most (closed-loop workloads).
        #[arg(long, default_value_t = 50)]
        concurrency: usize,
        /// Runs started per second (`--workload arrivals`).
        #[arg(long, value_name = "R")]
        rate: Option<f64>,
        /// A fresh database file to journal to (a temporary one unless given).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// SQLite `synchronous` for the journal and the disk probe.
        #[arg(long, value_enum, default_value_t = commands::bench::Durability::Full)]
        synchronous: commands::bench::Durability,
        /// Print the summary as one JSON object on the last stdout line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        temporal: commands::worker::TemporalArgs,
    },
}

/// What `shopflow ocr` reads a document as.
#[derive(Clone, Copy, ValueEnum)]
enum OcrKind {
    /// Invoice fields (`ocr.invoice`).
    Invoice,
    /// Lines of text (`ocr.text`).
    Text,
}

/// Diagram formats.
#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz dot.
    Dot,
}

/// Logs to stderr at `default` level unless `SHOPFLOW_LOG` (or `RUST_LOG`) says otherwise.
pub(crate) fn init_logging(default: &str) {
    let filter = std::env::var("SHOPFLOW_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate {
            files,
            deny_warnings,
        } => commands::validate::run(&files, deny_warnings),
        Command::Graph { file, format } => {
            commands::graph::run(&file, matches!(format, GraphFormat::Dot))
        }
        Command::Explain { file } => commands::explain::run(&file),
        Command::Schema => commands::schema::run(),
        Command::Run {
            file,
            input,
            input_file,
            mocks,
            flows,
            db,
            config,
            ticket_model,
            data_dir,
            temporal,
        } => {
            init_logging("warn");
            commands::run::run(commands::run::RunArgs {
                file,
                input,
                input_file,
                mocks,
                flows,
                db,
                config,
                ticket_model,
                data_dir,
                temporal,
            })
        }
        Command::Worker {
            temporal,
            flows,
            config,
            ticket_model,
            data_dir,
        } => commands::worker::run_worker(&commands::worker::WorkerArgs {
            temporal,
            flows,
            config,
            ticket_model,
            data_dir: commands::worker::worker_data_dir(data_dir.as_deref()),
        }),
        Command::User { command } => commands::users::run_user(command),
        Command::Token { command } => commands::users::run_token(command),
        Command::Serve {
            db,
            listen,
            grace,
            retention_days,
            max_db_mb,
            config,
            ticket_model,
            data_dir,
            temporal,
            no_worker,
        } => commands::serve::run(&commands::serve::ServeArgs {
            db,
            listen,
            grace: std::time::Duration::from_secs(grace),
            retention_days,
            max_db_mb,
            config,
            ticket_model,
            data_dir,
            temporal,
            no_worker,
        }),
        Command::Demo {
            listen,
            speed,
            dir,
            seed,
            orders,
            tickets,
            returns,
            invoices,
            exit_after_summary,
        } => commands::demo::run(&commands::demo::DemoArgs {
            listen,
            speed,
            dir,
            seed,
            mix: commands::demo::Mix {
                orders,
                tickets,
                returns,
                invoices,
            },
            exit_after_summary,
        }),
        Command::Sandbox {
            listen,
            config,
            db,
            hooks,
            seed,
        } => commands::sandbox::run(&commands::sandbox::SandboxArgs {
            listen,
            config,
            db,
            hooks,
            seed,
        }),
        Command::Ocr {
            file,
            kind,
            pages,
            json,
        } => commands::ocr::run(&commands::ocr::OcrArgs {
            file: &file,
            kind: match kind {
                OcrKind::Invoice => shopflow_ocr::Kind::Invoice,
                OcrKind::Text => shopflow_ocr::Kind::Text,
            },
            pages,
            json,
        }),
        Command::Classify {
            text,
            jsonl,
            model,
            json,
        } => commands::classify::run(&commands::classify::ClassifyArgs {
            text: text.as_deref(),
            jsonl: jsonl.as_deref(),
            model: model.as_deref(),
            json,
        }),
        Command::Train {
            data,
            no_shipped,
            out,
            test,
        } => commands::train::run(&commands::train::TrainArgs {
            data,
            no_shipped,
            out,
            test,
        }),
        Command::Sign {
            platform,
            secret_env,
            body,
            params,
        } => commands::sign::run(&platform, &secret_env, body.as_deref(), &params),
        Command::Bench {
            workload,
            runs,
            steps,
            concurrency,
            rate,
            db,
            synchronous,
            json,
            temporal,
        } => commands::bench::run(&commands::bench::BenchArgs {
            workload,
            runs,
            steps,
            concurrency,
            rate,
            db,
            synchronous,
            json,
            temporal,
        }),
    }
}
