//! The pool: one chromedriver, started on first use and again after it died, a cap on how many
//! browsers run at once, and one block at a time per named session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::{BrowserConfig, CHROMIUM_FLAGS, ENV_CHROMIUM};
use crate::driver::{Driver, check_binary};
use crate::error::{Error, first_line, human};
use crate::session::{Profile, Session};

/// Headless Chromium through one chromedriver, shared by every `browser` call of a process.
///
/// Nothing starts until the first block runs. Dropping the pool (or [`Browser::shutdown`])
/// stops chromedriver and every Chromium it started.
pub struct Browser {
    config: BrowserConfig,
    driver: Mutex<Option<Driver>>,
    permits: Arc<Semaphore>,
    named: StdMutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// A pool with these settings; no process starts yet.
    pub fn new(config: BrowserConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        Self {
            config,
            driver: Mutex::new(None),
            permits,
            named: StdMutex::new(HashMap::new()),
        }
    }

    /// The settings.
    pub fn config(&self) -> &BrowserConfig {
        &self.config
    }

    /// The process id of the running chromedriver, if one runs (for diagnostics).
    pub async fn driver_pid(&self) -> Option<u32> {
        self.driver.lock().await.as_ref().map(Driver::pid)
    }

    /// Stops chromedriver and its browsers (a later block starts a new one). Blocks that are
    /// running fail with a retryable error.
    pub async fn shutdown(&self) {
        let driver = self.driver.lock().await.take();
        if let Some(driver) = driver {
            driver.stop(Duration::from_secs(3)).await;
        }
    }

    /// Waits for the session's name lock and a free browser, then starts Chromium with the
    /// session's profile. Everything is bounded by `deadline`.
    pub(crate) async fn open(
        &self,
        session: Option<&str>,
        deadline: Instant,
    ) -> Result<Session, Error> {
        check_binary(&self.config.chromium, "Chromium", ENV_CHROMIUM)?;
        let waited = |what: String| {
            Error::Timeout(format!("the block's time ran out while waiting for {what}"))
        };
        let name_guard = match session {
            Some(name) => Some(
                tokio::time::timeout_at(deadline, self.name_lock(name).lock_owned())
                    .await
                    .map_err(|_| waited(format!("session `{name}`, which another block uses")))?,
            ),
            None => None,
        };
        let permit = tokio::time::timeout_at(deadline, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| {
                waited(format!(
                    "a free browser (at most {} run at once)",
                    self.config.max_sessions
                ))
            })?
            .map_err(|_| Error::Driver("the browser pool is closed".to_owned()))?;
        let profile = match session {
            Some(name) => Profile::named(&self.config, name)?,
            None => Profile::temporary(&self.config)?,
        };
        let client = self.connect(&profile, deadline).await?;
        let mut opened = Session::new(
            client,
            profile,
            Guards {
                _permit: permit,
                _name_guard: name_guard,
            },
        );
        if let Err(e) = opened.restore_cookies().await {
            opened.close().await;
            return Err(e);
        }
        Ok(opened)
    }

    /// Creates the WebDriver session, restarting chromedriver once when it is dead or does
    /// not answer.
    async fn connect(&self, profile: &Profile, deadline: Instant) -> Result<Client, Error> {
        let capabilities = self.capabilities(profile);
        let mut restarted = false;
        loop {
            let url = self.driver_url(restarted).await?;
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            let attempt = tokio::time::timeout_at(deadline, builder.connect(&url)).await;
            match attempt {
                Ok(Ok(client)) => return Ok(client),
                Ok(Err(e)) if is_unreachable(&e) && !restarted => {
                    tracing::warn!(error = %e, "chromedriver does not answer; starting a new one");
                    restarted = true;
                }
                Ok(Err(e)) => return Err(session_error(&e, &self.config)),
                Err(_) => {
                    return Err(Error::Timeout(
                        "Chromium did not start before the block's time ran out".to_owned(),
                    ));
                }
            }
        }
    }

    /// The URL of a healthy chromedriver, starting one when there is none, it died, or
    /// `restart` says it does not answer.
    async fn driver_url(&self, restart: bool) -> Result<String, Error> {
        let mut slot = self.driver.lock().await;
        if let Some(driver) = slot.as_mut() {
            if !restart && driver.is_healthy().await {
                return Ok(driver.url());
            }
            tracing::warn!(
                pid = driver.pid(),
                "chromedriver is gone; starting a new one"
            );
            driver.kill();
            *slot = None;
        }
        let driver = Driver::start(&self.config).await?;
        let url = driver.url();
        *slot = Some(driver);
        Ok(url)
    }

    /// After a block lost its browser: when chromedriver is dead (or no longer answers), stops
    /// what is left of it now — the Chromium processes of its group, which would otherwise
    /// keep running and writing into the block's folder until the next block — and clears the
    /// slot, so that the next block starts a new chromedriver.
    pub(crate) async fn reap_dead_driver(&self) {
        let mut slot = self.driver.lock().await;
        if let Some(driver) = slot.as_mut()
            && !driver.is_healthy().await
        {
            tracing::warn!(
                pid = driver.pid(),
                "chromedriver is gone; stopping the browsers it left"
            );
            driver.kill();
            *slot = None;
        }
    }

    fn name_lock(&self, name: &str) -> Arc<Mutex<()>> {
        let mut named = self.named.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(named.entry(name.to_owned()).or_default())
    }

    fn capabilities(&self, profile: &Profile) -> Map<String, Value> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.extend(self.config.extra_flags.iter().cloned());
        args.push(format!(
            "--user-data-dir={}",
            profile.user_data_dir().display()
        ));
        let mut caps = Map::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        // Alerts stay open until an `alert` step handles them, instead of being dismissed by
        // whatever command comes next.
        caps.insert("unhandledPromptBehavior".to_owned(), json!("ignore"));
        caps.insert(
            "timeouts".to_owned(),
            json!({
                "implicit": 0,
                "pageLoad": millis(self.config.step_timeout),
                "script": millis(self.config.step_timeout),
            }),
        );
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": self.config.chromium.display().to_string(),
                "args": args,
                "prefs": {
                    "download.default_directory": profile.downloads().display().to_string(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                    "profile.default_content_setting_values.automatic_downloads": 1,
                    "credentials_enable_service": false,
                    "profile.password_manager_enabled": false,
                },
            }),
        );
        caps
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.get_mut().as_mut() {
            driver.kill();
        }
    }
}

/// What a session holds while it runs: its share of the pool, and its name.
/// Both are held for their drop: it frees a browser for the next block and lets the next block
/// of the same named session run.
pub(crate) struct Guards {
    _permit: OwnedSemaphorePermit,
    _name_guard: Option<OwnedMutexGuard<()>>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whether chromedriver could not be reached at all (dead, or not listening).
fn is_unreachable(e: &NewSessionError) -> bool {
    matches!(
        e,
        NewSessionError::Failed(_) | NewSessionError::FailedC(_) | NewSessionError::Lost(_)
    )
}

fn session_error(e: &NewSessionError, config: &BrowserConfig) -> Error {
    match e {
        NewSessionError::SessionNotCreated(w) => {
            let message = first_line(&w.message);
            if message.contains("binary") || message.contains("no chrome") {
                Error::Setup(format!(
                    "chromedriver cannot start Chromium `{}`: {message}",
                    config.chromium.display()
                ))
            } else {
                Error::Driver(format!("Chromium did not start: {message}"))
            }
        }
        e if is_unreachable(e) => Error::Driver(format!(
            "chromedriver does not answer even after a restart: {e}"
        )),
        other => Error::Driver(format!(
            "chromedriver refused to start a browser: {other} (startup limit {})",
            human(config.startup_timeout)
        )),
    }
}
