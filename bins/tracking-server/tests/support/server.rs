//! A running `tracking-server` process: started on a free port, killed with SIGKILL or stopped
//! with a signal, and started again on the same directories.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use tempfile::TempDir;

use super::ADMIN;

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A data directory and a log directory, removed when dropped.
#[derive(Debug)]
pub struct Dirs {
    data: TempDir,
    logs: TempDir,
}

impl Dirs {
    pub fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            logs: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> &Path {
        self.data.path()
    }

    pub fn logs(&self) -> &Path {
        self.logs.path()
    }
}

/// A running `tracking-server`; killed when dropped, so a failing test leaves nothing behind.
#[derive(Debug)]
pub struct Server {
    process: Child,
    base: String,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
    command: Command,
}

impl Server {
    /// Starts the binary on `dirs` with the admin token, two workers and `flags`, and returns
    /// once it prints the address it listens on; panics with its stderr if it does not.
    pub fn start(dirs: &Dirs, flags: &[String]) -> Self {
        Self::start_in(dirs.data(), dirs.logs(), flags)
    }

    /// As [`Server::start`], on a data dir and a log dir of the caller's (which other servers
    /// may share).
    pub fn start_in(data: &Path, logs: &Path, flags: &[String]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tracking-server"));
        command
            .args([
                "--bind",
                "127.0.0.1:0",
                "--admin-token",
                ADMIN,
                "--workers",
                "2",
            ])
            .args(flags)
            .arg("--data-dir")
            .arg(data)
            .arg("--log-dir")
            .arg(logs)
            // The address is read from the info-level line "listening on http://…".
            .env("TRACKING_LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> Self {
        let mut process = command.spawn().expect("the binary starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (address, listening) = mpsc::channel();
        let pipe = process.stderr.take().expect("stderr is piped");
        let reader = std::thread::spawn({
            let stderr = Arc::clone(&stderr);
            move || collect_stderr(pipe, &address, &stderr)
        });
        let mut server = Self {
            process,
            base: String::new(),
            stderr,
            reader: Some(reader),
            command,
        };
        match listening.recv_timeout(START_TIMEOUT) {
            Ok(base) => server.base = base,
            Err(_) => {
                let status = server.process.try_wait();
                server.kill();
                panic!(
                    "the server did not start within {START_TIMEOUT:?} (exit status {status:?}); \
                     its stderr:\n{}",
                    server.stderr_tail(40)
                );
            }
        }
        server
    }

    /// Starts the same command again, on the same directories, once this process has ended.
    pub fn restart(&mut self) {
        self.kill();
        let command = std::mem::replace(&mut self.command, Command::new("true"));
        *self = Self::spawn(command);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// SIGKILL, then waits for the process and for the last of its stderr.
    pub fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    /// Sends the signal `name` (`TERM`, `INT`, …) without waiting.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.process.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to end by itself.
    pub fn wait(&mut self) -> ExitStatus {
        self.process.wait().unwrap()
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    pub fn stderr_tail(&self, count: usize) -> String {
        let lines = self.stderr_lines();
        lines[lines.len().saturating_sub(count)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Keeps every stderr line and sends the address of the "listening on" line.
fn collect_stderr(
    pipe: impl std::io::Read,
    address: &mpsc::Sender<String>,
    stderr: &Mutex<Vec<String>>,
) {
    for line in BufReader::new(pipe).lines() {
        let Ok(line) = line else { break };
        if let Some((_, base)) = line.split_once("listening on ") {
            let _ = address.send(base.trim().to_owned());
        }
        stderr.lock().unwrap().push(line);
    }
}
