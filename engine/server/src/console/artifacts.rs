//! `GET /console/artifacts/{sha256:…}`: a stored file (screenshot, voucher, invoice PDF)
//! behind the login, for roles that may see personal data, with its content type read from
//! the bytes themselves. Stored HTML (pages a browser step saved) is sent as a download inside
//! a sandbox, so it can never run as the console's own page.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::ConsoleState;
use super::i18n::Lang;
use super::layout::PageError;
use super::session::{self, Permission, User};

/// What a file is, from its first bytes: (media type, shown in the browser).
pub fn sniff(bytes: &[u8]) -> (&'static str, bool) {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("image/png", true)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", true)
    } else if bytes.starts_with(b"%PDF-") {
        ("application/pdf", true)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("image/gif", true)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        ("image/tiff", false)
    } else if looks_like_html(bytes) {
        ("text/html; charset=utf-8", false)
    } else if std::str::from_utf8(bytes).is_ok() {
        ("text/plain; charset=utf-8", true)
    } else {
        ("application/octet-stream", false)
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
        .trim_start()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// A file name safe inside a quoted `Content-Disposition` value.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .take(80)
        .collect();
    if cleaned.is_empty() {
        "artifact".to_owned()
    } else {
        cleaned
    }
}

/// The file.
pub async fn serve(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Path(reference): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::ReadRuns)?;
    // Screenshots and invoices show names, phone numbers and tax ids, which no mask covers.
    session::require(lang, &user, Permission::SeePersonalData)?;
    let store = state.artifacts.as_ref().ok_or_else(|| {
        PageError::new(
            lang,
            axum::http::StatusCode::NOT_FOUND,
            "error.no_artifacts",
        )
    })?;
    let bytes = match store.get(&reference) {
        Ok(Some(bytes)) => bytes,
        Ok(None) | Err(shopflow_core::ArtifactError::BadReference(_)) => {
            return Err(PageError::not_found(lang));
        }
        Err(e) => {
            return Err(PageError::new(
                lang,
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "error.title",
            )
            .with_detail(e.to_string()));
        }
    };
    let (media_type, inline) = sniff(&bytes);
    let name = safe_name(query.get("name").map_or("artifact", String::as_str));
    let disposition = if inline {
        format!("inline; filename=\"{name}\"")
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !(media_type.starts_with("image/") || media_type == "application/pdf") {
        // Text and saved pages: no script of theirs ever runs (Chromium's PDF viewer does
        // not open under a sandbox, so PDFs and images go without).
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}

/// Width and height of a PNG or JPEG, read from its header.
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 {
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        return Some((w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the segments to the first start-of-frame marker.
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
            if is_sof {
                let h = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let w = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                return Some((w, h));
            }
            i += 2 + len;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7 ...").0, "application/pdf");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").0, "image/png");
        let (html, inline) = sniff(b"  <!DOCTYPE html><script>alert(1)</script>");
        assert!(
            html.starts_with("text/html") && !inline,
            "stored pages are downloads"
        );
        assert_eq!(safe_name("发票 \"x\".pdf"), "x.pdf");
    }

    #[test]
    fn png_sizes_are_read_from_the_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&1200u32.to_be_bytes());
        png.extend_from_slice(&800u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((1200, 800)));
        assert_eq!(image_size(b"nope"), None);
    }
}
