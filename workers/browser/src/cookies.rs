//! A named session's session cookies (those without an expiry date), which Chromium drops
//! when it quits: saved into the profile when a block ends and put back when the next block
//! of the session starts, through chromedriver's DevTools endpoint. Cookies with an expiry
//! date are kept by Chromium itself in the profile.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Map, Value, json};

use crate::error::{Error, describe};

/// The file in a named profile that holds its session cookies (readable by this user only).
const FILE: &str = "shopflow-session-cookies.json";

/// The fields of a cookie `Storage.setCookies` takes back.
const COOKIE_PARAMS: [&str; 10] = [
    "name",
    "value",
    "domain",
    "path",
    "secure",
    "httpOnly",
    "sameSite",
    "priority",
    "sourceScheme",
    "partitionKey",
];

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one DevTools command.
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

fn file(profile: &Path) -> PathBuf {
    profile.join(FILE)
}

/// Saves the browser's session cookies into the profile (replacing what was saved before).
pub(crate) async fn save(client: &Client, profile: &Path) -> Result<(), Error> {
    let answer = client
        .issue_cmd(DevTools {
            cmd: "Storage.getCookies",
            params: json!({}),
        })
        .await
        .map_err(|e| {
            Error::Driver(format!(
                "cannot read the session's cookies: {}",
                describe(&e)
            ))
        })?;
    let cookies: Vec<Value> = answer["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["session"] == json!(true))
        .map(cookie_param)
        .collect();
    let bytes = serde_json::to_vec(&cookies).map_err(|e| Error::Storage(e.to_string()))?;
    let path = file(profile);
    let tmp = path.with_extension("json.tmp");
    let write = {
        let (path, tmp) = (path.clone(), tmp.clone());
        move || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, &bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        }
    };
    tokio::task::spawn_blocking(write)
        .await
        .map_err(|e| Error::Storage(e.to_string()))?
        .map_err(|e| Error::Storage(format!("cannot save cookies to `{}`: {e}", path.display())))
}

/// Puts saved session cookies back into a freshly started browser.
pub(crate) async fn restore(client: &Client, profile: &Path) -> Result<(), Error> {
    let path = file(profile);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Storage(format!(
                "cannot read `{}`: {e}",
                path.display()
            )));
        }
    };
    // A damaged file costs the session its login, nothing more.
    let cookies: Vec<Value> = serde_json::from_slice(&bytes).unwrap_or_default();
    if cookies.is_empty() {
        return Ok(());
    }
    client
        .issue_cmd(DevTools {
            cmd: "Storage.setCookies",
            params: json!({"cookies": cookies}),
        })
        .await
        .map_err(|e| {
            Error::Driver(format!(
                "cannot restore the session's cookies: {}",
                describe(&e)
            ))
        })?;
    Ok(())
}

/// A cookie as `Storage.getCookies` gives it, reduced to what `Storage.setCookies` takes.
fn cookie_param(cookie: &Value) -> Value {
    let mut param = Map::new();
    for key in COOKIE_PARAMS {
        if let Some(v) = cookie.get(key).filter(|v| !v.is_null()) {
            param.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(param)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_keep_only_what_set_cookies_takes() {
        let c = json!({"name": "sid", "value": "1", "domain": "127.0.0.1", "path": "/",
                       "size": 4, "session": true, "expires": -1, "httpOnly": false});
        assert_eq!(
            cookie_param(&c),
            json!({"name": "sid", "value": "1", "domain": "127.0.0.1", "path": "/", "httpOnly": false})
        );
    }
}
