//! The kmsd launcher: `kmsd quickstart` on a quick-start directory, `kmsd serve` replicas on
//! its store, and `kmsd` subcommands on its configuration.

use crate::children::{track, untrack};
use crate::{kmsd_bin, store_location, SO_PIN, TOKEN, USER_PIN};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long kmsd may take to listen, or to exit once asked.
const PATIENCE: Duration = Duration::from_secs(60);

/// How to start kmsd.
#[derive(Clone, Debug)]
pub struct Options {
    /// `RUST_LOG` for kmsd (`None`: unset, so its `[log] level` applies). Default `warn`.
    pub rust_log: Option<&'static str>,
    /// Collect stderr in [`Kmsd::stderr_lines`] instead of passing it through. Default off.
    pub capture_stderr: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rust_log: Some("warn"),
            capture_stderr: false,
        }
    }
}

/// Where a [`Kmsd`]'s quick-start directory comes from.
#[derive(Debug)]
enum Dir {
    /// A temporary directory of its own, removed with it.
    Own(tempfile::TempDir),
    /// The caller's (a test's temporary directory, or a replica's primary's).
    Given(PathBuf),
}

/// What a [`Kmsd`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// `kmsd quickstart --dir DIR`: makes the directory when it is new, then serves it.
    Quickstart,
    /// `kmsd serve --config DIR/kmsd.toml`: another replica on the directory's store.
    Replica,
}

/// A running kmsd on a quick-start directory and a loopback port; killed when dropped.
///
/// [`Kmsd::start`] and [`Kmsd::start_in`] run `kmsd quickstart`: a new directory gets a CA, the
/// server, `client` and `admin` (SO) certificates, a master key, a store ([`store_location`]:
/// SQLite, or a PostgreSQL database of its own) and the token [`TOKEN`] with [`USER_PIN`] and
/// [`SO_PIN`]; an existing one is served again. [`Kmsd::replica`] runs `kmsd serve` on the
/// same configuration and store.
#[derive(Debug)]
pub struct Kmsd {
    dir: Dir,
    role: Role,
    options: Options,
    child: Option<Child>,
    /// The API listener, `127.0.0.1:PORT` (the same across [`Kmsd::restart`]).
    pub addr: String,
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`), `127.0.0.1:PORT`; empty for
    /// a replica.
    pub metrics_addr: String,
    /// `127.0.0.1:PORT` of the KMIP listener, when quick start's configuration has one.
    pub kmip_addr: String,
    /// The lines quick start printed up to its module line (empty for a replica).
    pub stdout_lines: Vec<String>,
    /// kmsd's stderr lines so far, when started with [`Options::capture_stderr`].
    pub stderr_lines: Arc<Mutex<Vec<String>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Kmsd {
    /// Quick start on a new temporary directory of its own, on a free port.
    pub fn start() -> Kmsd {
        let dir = tempfile::Builder::new()
            .prefix("kmsd-test-")
            .tempdir()
            .expect("temp dir");
        Kmsd::launch(Dir::Own(dir), Role::Quickstart, Options::default(), None)
    }

    /// Quick start on `dir` (new or existing: the same store again), on a free port.
    pub fn start_in(dir: &Path) -> Kmsd {
        Kmsd::start_with(dir, &Options::default())
    }

    /// Quick start on `dir` as `options` say, on a free port.
    pub fn start_with(dir: &Path, options: &Options) -> Kmsd {
        let dir = Dir::Given(dir.to_path_buf());
        Kmsd::launch(dir, Role::Quickstart, options.clone(), None)
    }

    /// Another replica on this daemon's configuration and store (`kmsd serve --config
    /// DIR/kmsd.toml`), on a free port; returns once it accepts connections.
    pub fn replica(&self) -> Kmsd {
        let dir = Dir::Given(self.dir().to_path_buf());
        Kmsd::launch(dir, Role::Replica, self.options.clone(), None)
    }

    fn launch(dir: Dir, role: Role, options: Options, port: Option<u16>) -> Kmsd {
        let mut k = Kmsd {
            dir,
            role,
            options,
            child: None,
            addr: String::new(),
            metrics_addr: String::new(),
            kmip_addr: String::new(),
            stdout_lines: Vec::new(),
            stderr_lines: Arc::new(Mutex::new(Vec::new())),
            stderr_reader: None,
        };
        k.spawn(port);
        k
    }

    /// Starts kmsd on `port` (`None`: a free one) and waits until it listens.
    fn spawn(&mut self, port: Option<u16>) {
        let mut cmd = Command::new(kmsd_bin());
        match self.options.rust_log {
            Some(filter) => cmd.env("RUST_LOG", filter),
            None => cmd.env_remove("RUST_LOG"),
        };
        cmd.stderr(match self.options.capture_stderr {
            true => Stdio::piped(),
            false => Stdio::inherit(),
        });
        match self.role {
            Role::Quickstart => {
                cmd.arg("quickstart").arg("--dir").arg(self.dir());
                // A new directory's store: a SQLite file, or a database of its own.
                if !self.config().exists() {
                    cmd.arg("--store").arg(store_location(self.dir()));
                }
                let listen = format!("127.0.0.1:{}", port.unwrap_or(0));
                // The PINs from the environment: never on the command line (`ps`).
                cmd.args(["--listen", &listen, "--token", TOKEN])
                    .env("KMS_TESTKIT_USER_PIN", USER_PIN)
                    .env("KMS_TESTKIT_SO_PIN", SO_PIN)
                    .args(["--user-pin-from", "env:KMS_TESTKIT_USER_PIN"])
                    .args(["--so-pin-from", "env:KMS_TESTKIT_SO_PIN"])
                    .stdout(Stdio::piped());
            }
            Role::Replica => {
                let port = port.unwrap_or_else(free_port);
                self.addr = format!("127.0.0.1:{port}");
                cmd.arg("serve")
                    .arg("--config")
                    .arg(self.config())
                    .args(["--listen", &self.addr])
                    .stdout(Stdio::null());
            }
        }
        let mut child = cmd.spawn().expect("start kmsd");
        track(child.id());
        self.stderr_lines = Arc::new(Mutex::new(Vec::new()));
        self.stderr_reader = child.stderr.take().map(|err| {
            let sink = self.stderr_lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    sink.lock().expect("stderr lines").push(line);
                }
            })
        });
        let stdout = child.stdout.take();
        self.child = Some(child);
        match stdout {
            Some(stdout) => self.read_addresses(stdout),
            None => self.wait_until_listening(),
        }
    }

    /// Reads quick start's block (the address lines, the export line and, last, the module
    /// line); the rest of its stdout is read and dropped, so kmsd never writes to a closed pipe.
    fn read_addresses(&mut self, stdout: std::process::ChildStdout) {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        loop {
            let line = rx
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("kmsd did not print its addresses: {lines:?}"));
            if let Some(url) = line.strip_prefix("kmsd listening on https://") {
                self.addr = url.trim().to_owned();
            }
            if let Some(rest) = line.strip_prefix("kmsd kmip on ") {
                self.kmip_addr = rest.split_whitespace().next().unwrap_or("").to_owned();
            }
            if let Some(url) = line.strip_prefix("kmsd metrics on http://") {
                self.metrics_addr = url.trim().trim_end_matches("/metrics").to_owned();
            }
            let last = line.starts_with("module: ");
            lines.push(line);
            if last {
                break;
            }
        }
        assert!(!self.addr.is_empty(), "no listening line in {lines:?}");
        self.stdout_lines = lines;
    }

    /// Waits until a replica accepts connections.
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(&self.addr).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("kmsd serve on {} exited: {status}", self.addr);
            }
            assert!(
                Instant::now() < deadline,
                "kmsd serve did not listen on {} in 60 s",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The PyKMIP client configuration quick start writes for its KMIP listener.
    pub fn pykmip_config(&self) -> PathBuf {
        self.dir().join("pykmip.conf")
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The port of the API listener.
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in address")
    }

    /// kmsd's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The quick-start directory.
    pub fn dir(&self) -> &Path {
        match &self.dir {
            Dir::Own(d) => d.path(),
            Dir::Given(d) => d,
        }
    }

    /// kmsd's own configuration, `DIR/kmsd.toml`.
    pub fn config(&self) -> PathBuf {
        self.dir().join("kmsd.toml")
    }

    /// Sends `signal` (`HUP`, `TERM` …) to kmsd.
    pub fn signal(&self, signal: &str) {
        let pid = self.pid().expect("kmsd running");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Waits (at most 60 s) for kmsd to exit on its own; its exit status.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("kmsd running");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().expect("wait for kmsd") {
                untrack(child.id());
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                untrack(child.id());
                panic!("kmsd did not stop within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM (kmsd drains: requests in flight are answered, then it exits), waits for
    /// the exit and asserts it was clean. Nothing when it is not running.
    pub fn stop(&mut self) {
        if self.child.is_some() {
            self.signal("TERM");
            let status = self.wait_for_exit();
            assert!(status.success(), "kmsd exited with {status}");
        }
    }

    /// [`Kmsd::stop`], then every line kmsd wrote to stderr (with
    /// [`Options::capture_stderr`]).
    pub fn stop_and_collect_stderr(&mut self) -> Vec<String> {
        self.stop();
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().expect("stderr reader");
        }
        self.stderr_lines.lock().expect("stderr lines").clone()
    }

    /// Kills kmsd (SIGKILL: no drain, no clean close) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            untrack(c.id());
        }
    }

    /// Stops kmsd ([`Kmsd::stop`]) if it runs and starts it again on the same directory, store
    /// and port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(Some(self.port()));
    }

    /// Sets `key = value` (a TOML value) in kmsd's configuration, where quick start wrote that
    /// key (it must appear once), and restarts kmsd.
    pub fn set_option(&mut self, key: &str, value: &str) {
        let cfg = std::fs::read_to_string(self.config()).expect("read kmsd.toml");
        let prefix = format!("{key} = ");
        assert_eq!(
            cfg.lines().filter(|l| l.starts_with(&prefix)).count(),
            1,
            "{key} once in kmsd.toml"
        );
        let cfg: Vec<String> = cfg
            .lines()
            .map(|l| match l.starts_with(&prefix) {
                true => format!("{prefix}{value}"),
                false => l.to_owned(),
            })
            .collect();
        std::fs::write(self.config(), cfg.join("\n") + "\n").expect("write kmsd.toml");
        self.restart();
    }

    /// Runs `kmsd ARGS --config DIR/kmsd.toml`; (success, stdout and stderr).
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        self.admin_with(args, &[], "")
    }

    /// [`Kmsd::admin`] with the environment variables `env` and `stdin` as standard input.
    pub fn admin_with(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> (bool, String) {
        let out = kmsd_with_env(self.dir(), args, env, stdin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// The module configuration quick start wrote, `DIR/pkcs11.toml`.
    pub fn module_config(&self) -> PathBuf {
        self.dir().join("pkcs11.toml")
    }

    /// A module configuration with one slot per token label, on this daemon, as the client.
    pub fn module_config_for(&self, tokens: &[&str]) -> PathBuf {
        let slots: Vec<(&str, &str)> = tokens.iter().map(|t| (*t, "client")).collect();
        self.module_config_with(&slots)
    }

    /// A module configuration with one slot per (token label, certificate) pair: the
    /// certificate is `client` (the quick-start client) or `admin` (its SO identity).
    pub fn module_config_with(&self, slots: &[(&str, &str)]) -> PathBuf {
        let name: Vec<String> = slots.iter().map(|(t, c)| format!("{t}.{c}")).collect();
        self.write_module_config(
            &format!("pkcs11-{}.toml", name.join("-")),
            slots,
            &[self.endpoint()],
        )
    }

    /// A module configuration with one slot for [`TOKEN`], as the client, listing `endpoints`
    /// (replicas over this daemon's store, see [`Kmsd::replica`]).
    pub fn module_config_endpoints(&self, endpoints: &[String]) -> PathBuf {
        self.write_module_config("pkcs11-replicas.toml", &[(TOKEN, "client")], endpoints)
    }

    fn write_module_config(
        &self,
        file: &str,
        slots: &[(&str, &str)],
        endpoints: &[String],
    ) -> PathBuf {
        let d = self.dir().display();
        let list: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
        let list = list.join(", ");
        let mut text = String::new();
        for (token, cert) in slots {
            text.push_str(&format!(
                "[[slots]]\ntoken = \"{token}\"\nendpoints = [{list}]\nca_file = \"{d}/ca.pem\"\ncert_file = \"{d}/{cert}.pem\"\nkey_file = \"{d}/{cert}.key\"\n\n"
            ));
        }
        text.push_str("[timeouts]\nconnect_ms = 2000\nrequest_ms = 5000\n");
        let path = self.dir().join(file);
        std::fs::write(&path, text).expect("write module config");
        // Writable by its owner only, or the module refuses it.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod module config");
        path
    }
}

impl Drop for Kmsd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port (free when asked; kmsd binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Runs `kmsd ARGS --config DIR/kmsd.toml` with `stdin` as its standard input (which kmsd may
/// not read when it refuses early); its output.
pub fn kmsd_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    kmsd_with_env(dir, args, &[], stdin)
}

/// [`kmsd_with_stdin`] with the environment variables `env` set too.
pub fn kmsd_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(kmsd_bin())
        .args(args)
        .arg("--config")
        .arg(dir.join("kmsd.toml"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kmsd");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("kmsd output")
}
