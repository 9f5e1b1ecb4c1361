//! One chromedriver process: started on a free local port in its own process group, checked
//! for life, and stopped together with every Chromium it launched.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::config::BrowserConfig;
use crate::error::Error;

/// A running chromedriver.
pub(crate) struct Driver {
    child: Child,
    /// The process id, which is also the id of its process group.
    pid: u32,
    port: u16,
    /// Whether the process group has been signalled to stop already.
    stopped: bool,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it listens. A port taken between
    /// choosing and binding makes chromedriver exit; then another port is tried.
    pub(crate) async fn start(config: &BrowserConfig) -> Result<Self, Error> {
        check_binary(
            &config.chromedriver,
            "chromedriver",
            crate::config::ENV_CHROMEDRIVER,
        )?;
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(config).await {
                Ok(driver) => return Ok(driver),
                Err(StartError::Exited(why)) => last = why,
                Err(StartError::Fatal(e)) => return Err(e),
            }
        }
        Err(Error::Driver(format!(
            "chromedriver ({}) did not start: {last}",
            config.chromedriver.display()
        )))
    }

    async fn start_once(config: &BrowserConfig) -> Result<Self, StartError> {
        let port = free_port().map_err(|e| {
            StartError::Fatal(Error::Driver(format!(
                "no free local port for chromedriver: {e}"
            )))
        })?;
        let child = Command::new(&config.chromedriver)
            .arg(format!("--port={port}"))
            .arg("--log-level=SEVERE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group: stopping the group stops the Chromium processes too, which
            // chromedriver leaves behind when it is killed.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                StartError::Fatal(Error::Setup(format!(
                    "cannot run chromedriver `{}`: {e}",
                    config.chromedriver.display()
                )))
            })?;
        let pid = child.id().unwrap_or_default();
        let mut driver = Driver {
            child,
            pid,
            port,
            stopped: false,
        };
        let deadline = Instant::now() + config.startup_timeout;
        loop {
            if let Some(status) = driver.child.try_wait().ok().flatten() {
                driver.stopped = true;
                return Err(StartError::Exited(format!(
                    "it exited at start ({status}) on port {port}"
                )));
            }
            if driver.answers().await {
                tracing::info!(pid, port, "chromedriver started");
                return Ok(driver);
            }
            if Instant::now() >= deadline {
                driver.kill();
                return Err(StartError::Fatal(Error::Driver(format!(
                    "chromedriver did not listen on port {port} within {}",
                    crate::error::human(config.startup_timeout)
                ))));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WebDriver URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process is alive and answers HTTP.
    pub(crate) async fn is_healthy(&mut self) -> bool {
        match self.child.try_wait() {
            Ok(None) => self.answers().await,
            _ => false,
        }
    }

    /// Whether chromedriver answers `GET /status` within a second. Accepting a connection is
    /// not enough: the Chromium processes it started inherit its listening socket, so for a
    /// moment after chromedriver is killed (before it is reaped) the kernel still accepts
    /// connections on its port that nobody will answer.
    async fn answers(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let ask = async {
            let mut stream = TcpStream::connect(addr).await?;
            // HTTP/1.1 with the port in Host: chromedriver closes HTTP/1.0 requests unanswered.
            let request = format!(
                "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.port
            );
            stream.write_all(request.as_bytes()).await?;
            let mut head = [0u8; 8];
            stream.read_exact(&mut head).await?;
            Ok::<bool, std::io::Error>(head.starts_with(b"HTTP/1."))
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(1), ask).await,
            Ok(Ok(true))
        )
    }

    /// Kills chromedriver and every process of its group at once.
    pub(crate) fn kill(&mut self) {
        if !self.stopped {
            self.stopped = true;
            signal_group(self.pid, Signal::KILL);
        }
        // Reaps the process when it is gone already; otherwise tokio reaps it after the drop.
        let _ = self.child.start_kill();
        let _ = self.child.try_wait();
    }

    /// Asks chromedriver and its browsers to stop, then kills what is left after `grace`.
    pub(crate) async fn stop(mut self, grace: Duration) {
        if !self.stopped {
            signal_group(self.pid, Signal::TERM);
            let exited = tokio::time::timeout(grace, self.child.wait()).await.is_ok();
            tracing::info!(pid = self.pid, exited, "chromedriver stopped");
        }
        // Chromium processes may outlive a terminated chromedriver; the group goes with them.
        self.kill();
        let _ = tokio::time::timeout(grace, self.child.wait()).await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

enum StartError {
    /// chromedriver exited while starting (for instance the port was taken): try again.
    Exited(String),
    /// No point trying again.
    Fatal(Error),
}

fn signal_group(pid: u32, signal: Signal) {
    let Some(pgid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    // ESRCH: the whole group is gone already, which is what we want.
    let _ = kill_process_group(pgid, signal);
}

/// A port nobody listens on right now.
fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Refuses a binary that is missing or not a file, naming the variable that points to it.
pub(crate) fn check_binary(path: &Path, what: &str, env: &str) -> Result<(), Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(Error::Setup(format!(
            "{what} `{}` is not a file; set {env} to the {what} binary",
            path.display()
        ))),
        Err(e) => Err(Error::Setup(format!(
            "{what} `{}` is missing ({e}); install it or set {env} to its path",
            path.display()
        ))),
    }
}
