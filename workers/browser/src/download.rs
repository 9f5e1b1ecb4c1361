//! Downloads: the files Chromium saves into the block's download folder, waited for until
//! complete (no `.crdownload` left, size steady) and guessed a media type from their name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, human};

/// The names in the download folder now.
pub(crate) async fn snapshot(dir: &Path) -> Result<BTreeSet<String>, Error> {
    Ok(list(dir).await?.into_iter().map(|(name, _)| name).collect())
}

/// Waits for a new, complete file (one not in `before`) and returns its path and name.
pub(crate) async fn wait_new(
    dir: &Path,
    before: &BTreeSet<String>,
    deadline: Instant,
) -> Result<(PathBuf, String), Error> {
    let start = Instant::now();
    // A candidate and its size at the previous look: a file counts as complete once Chromium
    // has renamed it from `.crdownload` and its size held for one poll.
    let mut last: Option<(String, u64)> = None;
    loop {
        let entries = list(dir).await?;
        let in_progress = entries
            .iter()
            .any(|(name, _)| name.ends_with(".crdownload") || name.starts_with('.'));
        let new = entries.iter().find(|(name, _)| {
            !before.contains(name) && !name.ends_with(".crdownload") && !name.starts_with('.')
        });
        match (new, &last) {
            (Some((name, size)), Some((last_name, last_size)))
                if !in_progress && name == last_name && size == last_size =>
            {
                return Ok((dir.join(name), name.clone()));
            }
            (Some((name, size)), _) => last = Some((name.clone(), *size)),
            (None, _) => last = None,
        }
        if Instant::now() + Duration::from_millis(150) > deadline {
            return Err(Error::Timeout(if in_progress {
                format!(
                    "the download did not finish within {}",
                    human(start.elapsed())
                )
            } else {
                format!(
                    "no download started within {} after the click",
                    human(start.elapsed())
                )
            }));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn list(dir: &Path) -> Result<Vec<(String, u64)>, Error> {
    let read = |e: std::io::Error| {
        Error::Storage(format!(
            "cannot read the download folder `{}`: {e}",
            dir.display()
        ))
    };
    let mut entries = tokio::fs::read_dir(dir).await.map_err(read)?;
    let mut out = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(read)? {
        let size = entry.metadata().await.map(|m| m.len()).unwrap_or_default();
        out.push((entry.file_name().to_string_lossy().into_owned(), size));
    }
    Ok(out)
}

/// A media type for a file name, by extension; `application/octet-stream` when unknown.
pub(crate) fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ofd" => "application/ofd",
        _ => "application/octet-stream",
    }
}

/// A file name safe to create in our own folder: the last path segment, with characters
/// outside letters, digits, `.`, `-`, `_` replaced.
pub(crate) fn safe_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert_eq!(media_type("Invoice.PDF"), "application/pdf");
        assert_eq!(media_type("noext"), "application/octet-stream");
        assert_eq!(safe_file_name("../../etc/passwd", "f"), "passwd");
        assert_eq!(safe_file_name("发票 1.pdf", "f"), "发票_1.pdf");
        assert_eq!(safe_file_name("..", "upload.bin"), "upload.bin");
    }
}
