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
