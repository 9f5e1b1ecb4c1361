//! A fake seller back office, served on 127.0.0.1 for the tests: a login form, a paginated
//! order table behind a session cookie, an invoice upload form inside an iframe, a CSV
//! download, a confirm dialog, a link opening a new tab, a button that keeps being replaced
//! and covered (stale and not-interactable elements), and a page that reports its visits.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The back office's password (with HTML-special characters, to check both redacted forms).
pub const PASSWORD: &str = "s3cr3t-Pa55!<x>";
/// The orders, 3 to a page.
pub const ORDERS: [(&str, &str, &str); 8] = [
    ("A1", "Li Lei", "104.90"),
    ("A2", "Han Meimei", "59.00"),
    ("A3", "Zhang San", "12.50"),
    ("A4", "Li Si", "230.00"),
    ("A5", "Wang Wu", "8.80"),
    ("A6", "Zhao Liu", "77.70"),
    ("A7", "Sun Qi", "19.99"),
    ("A8", "Zhou Ba", "300.00"),
];
/// The CSV offered for download.
pub const CSV: &str = "order,total\nA1,104.90\nA2,59.00\n";
const SESSION_COOKIE: &str = "sid=ops-session-1";
const PER_PAGE: usize = 3;

/// What the back office saw.
#[derive(Default)]
pub struct Seen {
    /// Raw multipart bodies of invoice uploads.
    pub uploads: Vec<Vec<u8>>,
    /// Told each time `/parked` is served (a permit is kept when nobody waits yet).
    pub parked: Arc<Notify>,
}

/// A running back office.
pub struct BackOffice {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What it saw.
    pub seen: Arc<Mutex<Seen>>,
    task: JoinHandle<()>,
}

impl BackOffice {
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let app = Router::new()
            .route("/login", get(login_form).post(login))
            .route("/orders", get(orders))
            .route("/invoice", get(invoice_page))
            .route("/invoice/frame", get(invoice_frame))
            .route("/invoice/upload", post(invoice_upload))
            .route("/reports", get(reports))
            .route("/reports/orders.csv", get(csv))
            .route("/tools", get(tools))
            .route("/help", get(help))
            .route("/flaky", get(flaky))
            .route("/parked", get(parked))
            .with_state(Arc::clone(&seen));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self { base, seen, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for BackOffice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type SeenState = State<Arc<Mutex<Seen>>>;

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head>\
         <body>{body}</body></html>"
    ))
}

fn logged_in(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|c| c.trim() == SESSION_COOKIE))
}

async fn login_form() -> Html<String> {
    page(
        "Seller login",
        r#"<form method=post action=/login>
             <label>User <input id=user name=user></label>
             <label>Password <input id=password name=password type=password></label>
             <input type=submit value="Log in">
           </form>"#,
    )
}

#[derive(Deserialize)]
struct Login {
    user: String,
    password: String,
}

async fn login(axum::Form(form): axum::Form<Login>) -> Response {
    if form.user == "ops" && form.password == PASSWORD {
        (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, format!("{SESSION_COOKIE}; Path=/")),
                (header::LOCATION, "/orders".to_owned()),
            ],
        )
            .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            page("Seller login", "<p id=error>Wrong user or password</p>"),
        )
            .into_response()
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn orders(headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    if !logged_in(&headers) {
        return Redirect::to("/login").into_response();
    }
    let pages = ORDERS.len().div_ceil(PER_PAGE);
    let n = q.page.unwrap_or(1).clamp(1, pages);
    let rows: String = ORDERS
        .iter()
        .skip((n - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|(id, buyer, total)| format!("<tr><td>{id}</td><td>{buyer}</td><td>{total}</td></tr>"))
        .collect();
    let next = if n < pages {
        format!(r#"<a class=next href="/orders?page={}">Next</a>"#, n + 1)
    } else {
        r#"<a class="next disabled">Next</a>"#.to_owned()
    };
    // The page echoes the password, the way careless back offices leak things into the
    // page: the worker must hide it in what it extracts and in the HTML it saves.
    let escaped = PASSWORD.replace('<', "&lt;").replace('>', "&gt;");
    page(
        "Orders",
        &format!(
            r#"<div id=whoami>Logged in as ops (password {escaped})</div>
               <table id=orders><thead><tr><th>Order</th><th>Buyer</th><th>Total</th></tr></thead>
               <tbody>{rows}</tbody></table>
               <p>Page {n} of {pages} {next}</p>"#
        ),
    )
    .into_response()
}

async fn invoice_page() -> Html<String> {
    page(
        "Invoices",
        r#"<h1>Invoice for order A1</h1><iframe id=invoice-frame src="/invoice/frame" width=600 height=300></iframe>"#,
    )
}

async fn invoice_frame(State(seen): SeenState) -> Html<String> {
    let uploaded = seen.lock().expect("lock").uploads.len();
    let status = if uploaded > 0 {
        format!("Uploaded ({uploaded})")
    } else {
        "Waiting for invoice".to_owned()
    };
    page(
        "Invoice upload",
        &format!(
            r#"<p>Status: <span id=status>{status}</span></p>
               <form method=post action=/invoice/upload enctype=multipart/form-data>
                 <input type=file name=invoice id=file style="opacity:0;width:1px">
                 <button type=submit>Upload invoice</button>
               </form>"#
        ),
    )
}

async fn invoice_upload(State(seen): SeenState, body: Bytes) -> Redirect {
    seen.lock().expect("lock").uploads.push(body.to_vec());
    Redirect::to("/invoice/frame")
}

async fn reports() -> Html<String> {
    page(
        "Reports",
        r#"<a id=csv href="/reports/orders.csv">Download CSV</a>"#,
    )
}

async fn csv() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders.csv\"",
            ),
        ],
        CSV,
    )
}

async fn tools() -> Html<String> {
    page(
        "Tools",
        r#"<button id=refund onclick="document.getElementById('result').textContent = confirm('Refund order A1?') ? 'refunded' : 'kept'">Refund</button>
           <p id=result>nothing yet</p>
           <select id=carrier><option value=sf>SF Express</option><option value=jd>JD Logistics</option></select>
           <a id=help target=_blank href="/help">Help centre</a>
           <button class=save-v2>Save</button>"#,
    )
}

async fn help() -> Html<String> {
    page("Help", "<h1 id=title>Help centre</h1><p>How to ship</p>")
}

/// A page that tells the test it was served, so the test knows the browser is on it.
async fn parked(State(seen): SeenState) -> Html<String> {
    seen.lock().expect("lock").parked.notify_one();
    page("Parked", "<h1 id=title>Parked</h1>")
}

/// A "Confirm" button that is covered by an overlay for the first 700 ms and replaced by a
/// fresh copy every 40 ms for the first 1200 ms: clicks hit covered or stale elements until
/// the page settles.
async fn flaky() -> Html<String> {
    page(
        "Flaky",
        r#"<div id=overlay style="position:fixed;inset:0;background:#fff8;z-index:10"></div>
           <div id=slot></div><p id=done>not yet</p>
           <script>
             const start = Date.now();
             function render() {
               const b = document.createElement('button');
               b.id = 'confirm'; b.textContent = 'Confirm';
               b.onclick = () => { document.getElementById('done').textContent = 'confirmed'; };
               document.getElementById('slot').replaceChildren(b);
             }
             render();
             const t = setInterval(() => { render(); if (Date.now() - start > 1200) clearInterval(t); }, 40);
             setTimeout(() => document.getElementById('overlay').remove(), 700);
           </script>"#,
    )
}
