//! `GET /v/{token}` and `GET /v/{token}/voucher.pdf`: return-voucher links, open without a
//! login. The token is checked (HMAC) before anything is read; a page shows only the
//! voucher's public record. Responses are not cached and send no referrer, so the link does
//! not leak to other sites.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shopflow_voucher::{VoucherError, Vouchers, page};

fn private(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

fn html(status: StatusCode, body: String) -> Response {
    private(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

fn refused(e: &VoucherError, token: &str) -> Response {
    match e {
        VoucherError::Store(message) => {
            tracing::error!(%message, "voucher store unreadable");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                "<!doctype html><meta charset=\"utf-8\"><p>暂时无法读取凭证，请稍后再试。 The voucher cannot be read right now; try again later.</p>".into(),
            )
        }
        _ => {
            // Only a prefix: a full forged token is noise in the log, a prefix finds it.
            let shown: String = token.chars().take(12).collect();
            tracing::info!(token = %shown, reason = %e, "voucher link refused");
            html(StatusCode::NOT_FOUND, page::invalid_page())
        }
    }
}

/// The voucher's page.
pub async fn show(State(vouchers): State<Arc<Vouchers>>, Path(token): Path<String>) -> Response {
    let v = vouchers.clone();
    let t = token.clone();
    match tokio::task::spawn_blocking(move || v.verify(&t)).await {
        Ok(Ok(record)) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            html(
                StatusCode::OK,
                page::voucher_page(&record, now, &format!("{token}/voucher.pdf")),
            )
        }
        Ok(Err(e)) => refused(&e, &token),
        Err(_) => html(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

/// The voucher's PDF.
pub async fn pdf(State(vouchers): State<Arc<Vouchers>>, Path(token): Path<String>) -> Response {
    let v = vouchers.clone();
    let t = token.clone();
    match tokio::task::spawn_blocking(move || v.pdf(&t)).await {
        Ok(Ok(bytes)) => private(
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/pdf"),
                    (
                        header::CONTENT_DISPOSITION,
                        "inline; filename=\"voucher.pdf\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
        ),
        Ok(Err(e)) => refused(&e, &token),
        Err(_) => html(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use serde_json::json;
    use shopflow_core::ArtifactStore;
    use shopflow_voucher::{FontFiles, Record};
    use tower::ServiceExt as _;

    use super::*;

    fn routes(vouchers: Arc<Vouchers>) -> Router {
        Router::new()
            .route("/v/{token}", get(show))
            .route("/v/{token}/voucher.pdf", get(pdf))
            .with_state(vouchers)
    }

    async fn get_path(app: &Router, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("an answer");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        (status, headers, body.to_vec())
    }

    fn issue(dir: &std::path::Path) -> (Arc<Vouchers>, Record, String) {
        let vouchers = Arc::new(Vouchers::new(
            vec![5; 32],
            ArtifactStore::new(dir.join("artifacts")),
            "http://127.0.0.1:8080",
            FontFiles::from_env(),
        ));
        let issued = vouchers
            .issue(
                json!({
                    "shop": "山野茶舍旗舰店",
                    "order_id": "4102938475610293",
                    "items": [{"name": "明前龙井 250g 礼盒装", "quantity": 2}],
                    "return_address": {
                        "contact": "售后部 王磊",
                        "phone": "0571-88886666",
                        "address": "浙江省 杭州市 余杭区 仓前街道 文一西路 1001 号",
                    },
                    "deadline": "2026-12-02",
                }),
                "run-1/step-1",
            )
            .expect("issued");
        let record = vouchers.verify(&issued.token).expect("genuine");
        (vouchers, record, issued.token)
    }

    #[tokio::test]
    async fn the_link_shows_the_public_record_and_the_pdf_privately() {
        let dir = tempfile::tempdir().expect("dir");
        let (vouchers, record, token) = issue(dir.path());
        let app = routes(vouchers);

        let (status, headers, body) = get_path(&app, &format!("/v/{token}")).await;
        assert_eq!(status, StatusCode::OK);
        for (name, value) in [
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("x-robots-tag", "noindex"),
        ] {
            assert_eq!(headers[name], value, "{name}");
        }
        let html = String::from_utf8(body).expect("utf-8");
        for public in [
            record.rma.as_str(),
            "4102938475610293",
            "浙江省 杭州市 余杭区",
        ] {
            assert!(html.contains(public), "{public} missing");
        }
        for personal in ["王磊", "88886666", "文一西路"] {
            assert!(!html.contains(personal), "{personal} on the public page");
        }

        let (status, headers, body) = get_path(&app, &format!("/v/{token}/voucher.pdf")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(body.starts_with(b"%PDF-"));
    }

    #[tokio::test]
    async fn forged_foreign_and_unreadable_links_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (vouchers, _, token) = issue(dir.path());
        let app = routes(Arc::clone(&vouchers));
        let forged = token.replacen("v1.", "v1.A", 1);
        for path in [
            format!("/v/{forged}"),
            format!("/v/{forged}/voucher.pdf"),
            "/v/nonsense".to_owned(),
        ] {
            let (status, headers, body) = get_path(&app, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert!(String::from_utf8_lossy(&body).contains("Invalid voucher"));
        }

        // Genuine, but issued with this key for another data directory.
        let elsewhere = tempfile::tempdir().expect("dir");
        let other = Arc::new(Vouchers::new(
            vec![5; 32],
            ArtifactStore::new(elsewhere.path().join("artifacts")),
            "http://127.0.0.1:8080",
            FontFiles::from_env(),
        ));
        let (status, _, _) = get_path(&routes(other), &format!("/v/{token}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The record cannot be read (here: a directory where its file should be): 503, try
        // again later, not "invalid".
        let digest = token.split('.').nth(1).expect("digest part");
        let hex = base64_url_to_hex(digest);
        let record = dir
            .path()
            .join("artifacts/sha256")
            .join(&hex[..2])
            .join(&hex);
        std::fs::remove_file(&record).expect("the record file");
        std::fs::create_dir(&record).expect("a directory in its place");
        let (status, headers, body) = get_path(&app, &format!("/v/{token}")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(String::from_utf8_lossy(&body).contains("try again later"));
    }

    /// The hex form of a token's base64url (no padding) digest part.
    fn base64_url_to_hex(part: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut count = 0;
        let mut hex = String::new();
        for c in part.bytes() {
            let v = ALPHABET.iter().position(|a| *a == c).expect("base64url");
            bits = (bits << 6) | u32::try_from(v).expect("below 64");
            count += 6;
            if count >= 8 {
                count -= 8;
                let _ = write!(hex, "{:02x}", (bits >> count) & 0xff);
            }
        }
        hex
    }
}
