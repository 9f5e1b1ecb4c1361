//! One block's browser: the WebDriver session, the Chromium profile it runs in (a named,
//! persistent one or a temporary one) and the block's working folder (downloads, uploads),
//! removed when the block ends however it ends.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Client;
use tempfile::TempDir;

use crate::config::BrowserConfig;
use crate::cookies;
use crate::error::Error;
use crate::pool::Guards;

/// Files Chromium leaves in a profile to say a browser uses it. Only one block at a time uses
/// a named profile (the pool's name lock), so any such file is left over from a browser that
/// was killed and would make the next one refuse the profile.
const PROFILE_LOCKS: [&str; 3] = ["SingletonLock", "SingletonSocket", "SingletonCookie"];

/// Where a block's browser keeps its state.
pub(crate) struct Profile {
    /// The block's working folder: `downloads/`, `uploads/`, and `profile/` when temporary.
    work: TempDir,
    /// Chromium's `--user-data-dir`.
    user_data_dir: PathBuf,
    /// Whether the profile belongs to a named session (and outlives the block).
    named: bool,
}

impl Profile {
    /// A fresh profile inside the block's working folder, removed with it.
    pub(crate) fn temporary(config: &BrowserConfig) -> Result<Self, Error> {
        let work = work_dir(config)?;
        let user_data_dir = work.path().join("profile");
        make_dir(&user_data_dir)?;
        Ok(Self {
            work,
            user_data_dir,
            named: false,
        })
    }

    /// The persistent profile of session `name` (`DATA/profiles/NAME`), created when new.
    pub(crate) fn named(config: &BrowserConfig, name: &str) -> Result<Self, Error> {
        let work = work_dir(config)?;
        let user_data_dir = config.profiles_dir().join(name);
        make_dir(&user_data_dir)?;
        for lock in PROFILE_LOCKS {
            let _ = std::fs::remove_file(user_data_dir.join(lock));
        }
        Ok(Self {
            work,
            user_data_dir,
            named: true,
        })
    }

    /// Chromium's profile directory.
    pub(crate) fn user_data_dir(&self) -> &Path {
        &self.user_data_dir
    }

    /// Where Chromium saves downloads.
    pub(crate) fn downloads(&self) -> PathBuf {
        self.work.path().join("downloads")
    }

    /// Where files to upload are written.
    pub(crate) fn uploads(&self) -> PathBuf {
        self.work.path().join("uploads")
    }
}

fn work_dir(config: &BrowserConfig) -> Result<TempDir, Error> {
    let tmp = config.tmp_dir();
    make_dir(&tmp)?;
    let work = tempfile::Builder::new()
        .prefix("block-")
        .tempdir_in(&tmp)
        .map_err(|e| storage(&tmp, e))?;
    for sub in ["downloads", "uploads"] {
        make_dir(&work.path().join(sub))?;
    }
    Ok(work)
}

/// Creates a directory readable by this user only: profiles hold login cookies.
fn make_dir(path: &Path) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| storage(path, e))
}

fn storage(path: &Path, e: std::io::Error) -> Error {
    Error::Storage(format!("cannot create `{}`: {e}", path.display()))
}

/// A running browser for one block.
pub(crate) struct Session {
    /// The browser, its profile and its share of the pool, until closed or dropped.
    live: Option<Live>,
    /// Whether closing saves the session cookies: only once they were restored, so that a
    /// browser that failed at the start does not overwrite them with nothing.
    save_cookies: bool,
}

struct Live {
    client: Client,
    profile: Profile,
    guards: Guards,
}

impl Session {
    pub(crate) fn new(client: Client, profile: Profile, guards: Guards) -> Self {
        Self {
            live: Some(Live {
                client,
                profile,
                guards,
            }),
            save_cookies: false,
        }
    }

    /// Puts a named session's saved session cookies back into the browser.
    pub(crate) async fn restore_cookies(&mut self) -> Result<(), Error> {
        if let Some((client, profile)) = self.parts()
            && profile.named
        {
            cookies::restore(client, profile.user_data_dir()).await?;
            self.save_cookies = true;
        }
        Ok(())
    }

    /// The WebDriver client and the profile; `None` only once the session is closed.
    pub(crate) fn parts(&self) -> Option<(&Client, &Profile)> {
        self.live.as_ref().map(|l| (&l.client, &l.profile))
    }

    /// Quits Chromium (saving a named session's session cookies first), removes the working
    /// folder (and a temporary profile), and frees the browser for the next block.
    pub(crate) async fn close(mut self) {
        let Some(live) = self.live.take() else {
            return;
        };
        if self.save_cookies
            && let Err(e) = cookies::save(&live.client, &live.profile.user_data_dir).await
        {
            tracing::warn!(error = %e, "the named session's cookies were not saved");
        }
        shut(live).await;
    }
}

impl Drop for Session {
    /// A block abandoned half-way (its call was cancelled) still quits its browser and removes
    /// its files, in the background.
    fn drop(&mut self) {
        if let Some(live) = self.live.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(shut(live));
        }
    }
}

async fn shut(live: Live) {
    let Live {
        client,
        profile,
        guards,
    } = live;
    match tokio::time::timeout(Duration::from_secs(10), client.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "closing the browser session failed"),
        Err(_) => tracing::warn!("closing the browser session took over 10 s"),
    }
    remove_work_dir(profile.work).await;
    drop(guards);
}

/// Removes the working folder. Chromium's helper processes can outlive the session by a
/// moment and still write into a temporary profile, so removal is tried a few times.
async fn remove_work_dir(work: TempDir) {
    let path = work.keep();
    let mut last = None;
    for _ in 0..10 {
        let p = path.clone();
        let removed = tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await;
        match removed {
            Ok(Ok(())) if !path.exists() => return,
            Ok(Err(e)) => last = Some(e.to_string()),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tracing::warn!(
        path = %path.display(),
        error = last.as_deref().unwrap_or("it keeps reappearing"),
        "could not remove a browser block's working folder"
    );
}
