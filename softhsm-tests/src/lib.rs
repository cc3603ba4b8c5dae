//! Test support: start a real `kmsd` (quick-start directory, real TLS, real SQLite file), find
//! the built module, load any PKCS#11 module (ours or SoftHSM2) with the `cryptoki` crate, and
//! run real client programs.
//!
//! The binaries come from the workspace's release build (`cargo build --release --workspace`),
//! next to the test executable's directory (`target/release/`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

pub mod softhsm;

/// User PIN of quick-start tokens made by [`Kmsd`].
pub const USER_PIN: &str = "12345678";
/// SO PIN of quick-start tokens made by [`Kmsd`].
pub const SO_PIN: &str = "87654321";
/// Label of the quick-start token.
pub const TOKEN: &str = "kms-test";

/// `target/release` (or `target/debug`), where the workspace's binaries are.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    // Tests live in target/<profile>/deps/, programs (the benchmark) in target/<profile>/.
    let dir = exe.parent().expect("executable directory");
    if dir.ends_with("deps") {
        dir.parent().expect("target dir").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

fn built(name: &str) -> PathBuf {
    let p = target_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --release --workspace` first",
        p.display()
    );
    p
}

/// The `kmsd` binary.
pub fn kmsd_bin() -> PathBuf {
    built("kmsd")
}

/// The module, `libkms_pkcs11.so`.
pub fn module_path() -> PathBuf {
    built("libkms_pkcs11.so")
}

/// Daemons started by this process, killed when it exits: fixtures held in statics are never
/// dropped, and a daemon outliving its test would keep the test's output pipes open.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

extern "C" fn kill_children() {
    if let Ok(children) = CHILDREN.lock() {
        for pid in children.iter() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

fn track(pid: u32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registers a plain extern "C" function with the C library's exit handlers;
        // the test harness ends with `std::process::exit`, which runs them.
        #[allow(unsafe_code)]
        unsafe {
            libc::atexit(kill_children);
        }
    });
    CHILDREN.lock().expect("children").push(pid);
}

fn untrack(pid: u32) {
    CHILDREN.lock().expect("children").retain(|p| *p != pid);
}

/// The variable naming a PostgreSQL server for kmsd's store in tests (a URL whose role may
/// create databases), as in kms-daemon's tests; without it kmsd uses quick start's SQLite file.
pub const PG_ENV: &str = "KMS_TEST_PG";

/// With [`PG_ENV`] set, a fresh database on that server for one kmsd (with `psql`; left behind
/// when the test ends, like kms-daemon's end-to-end databases): its URL.
fn pg_store() -> Option<String> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty())?;
    let name = format!(
        "kms_e2e_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let out = Command::new("psql")
        .arg(&admin)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{PG_ENV}: CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (server, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{server}/{name}"))
}

/// Whether kmsd's store is in PostgreSQL in this run ([`PG_ENV`]).
pub fn on_postgres() -> bool {
    std::env::var_os(PG_ENV).is_some_and(|v| !v.is_empty())
}

/// A running `kmsd quickstart` on a temporary directory and a free loopback port.
pub struct Kmsd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// `https://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Kmsd {
    /// Creates a quick-start directory (CA, certificates, master key, store, token
    /// [`TOKEN`] with [`USER_PIN`]/[`SO_PIN`]) and serves it.
    pub fn start() -> Kmsd {
        let dir = tempfile::Builder::new()
            .prefix("kmsd-test-")
            .tempdir()
            .expect("temp dir");
        let mut k = Kmsd {
            dir,
            child: None,
            endpoint: String::new(),
        };
        k.spawn(None);
        k
    }

    fn spawn(&mut self, listen: Option<&str>) {
        let listen = listen.unwrap_or("127.0.0.1:0");
        let mut cmd = Command::new(kmsd_bin());
        cmd.args(["quickstart", "--dir"]).arg(self.dir.path());
        // A new directory's store: in PostgreSQL when the run asks for it.
        if !self.config().exists() {
            if let Some(url) = pg_store() {
                cmd.args(["--store", &url]);
            }
        }
        let mut child = cmd
            .args([
                "--listen",
                listen,
                "--token",
                TOKEN,
                "--user-pin",
                USER_PIN,
                "--so-pin",
                SO_PIN,
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kmsd");
        let stdout = child.stdout.take().expect("kmsd stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("kmsd listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        self.endpoint = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("kmsd did not report its address in 60 s");
        track(child.id());
        self.child = Some(child);
    }

    /// kmsd's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The quick-start directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The module configuration written by quick start.
    pub fn module_config(&self) -> PathBuf {
        self.dir().join("pkcs11.toml")
    }

    /// kmsd's own configuration.
    pub fn config(&self) -> PathBuf {
        self.dir().join("kmsd.toml")
    }

    /// The port kmsd listens on.
    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in endpoint")
    }

    /// Kills kmsd (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            untrack(c.id());
        }
    }

    /// Stops kmsd with SIGTERM (graceful) and waits for it.
    pub fn stop(&mut self) {
        if let Some(c) = self.child.take() {
            terminate(c);
        }
    }

    /// Sets `key = value` (a TOML value) in kmsd's configuration, where quick start wrote that
    /// key (it must appear once), and restarts kmsd on the same port.
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

    /// Starts kmsd again on the same directory and the same port.
    pub fn restart(&mut self) {
        self.stop();
        let listen = format!("127.0.0.1:{}", self.port());
        self.spawn(Some(&listen));
    }

    /// Runs a `kmsd` subcommand with `--config` on this directory; returns (success, output).
    pub fn admin(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new(kmsd_bin())
            .args(args)
            .arg("--config")
            .arg(self.config())
            .output()
            .expect("run kmsd");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
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
            std::slice::from_ref(&self.endpoint),
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
        path
    }

    /// Another kmsd replica on this daemon's configuration and store (`kmsd serve --listen`),
    /// on a free loopback port.
    pub fn replica(&self) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut r = Replica {
            config: self.config(),
            port,
            child: None,
        };
        r.start();
        r
    }
}

/// A `kmsd serve` replica sharing a [`Kmsd`]'s store; killed when dropped.
pub struct Replica {
    config: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Replica {
    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, on the same port) and waits until it accepts connections.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "replica already running");
        let mut child = Command::new(kmsd_bin())
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kmsd serve");
        track(child.id());
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("kmsd serve on port {} exited: {status}", self.port);
            }
            assert!(
                Instant::now() < deadline,
                "kmsd serve did not listen in 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = Some(child);
    }

    /// Stops it with SIGTERM (graceful drain) and waits for it.
    pub fn stop(&mut self) {
        if let Some(c) = self.child.take() {
            terminate(c);
        }
    }

    /// Kills it with SIGKILL (no drain, no clean close) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            untrack(c.id());
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends SIGTERM (kmsd drains: in-flight requests are answered, then it exits) and waits for
/// the exit; SIGKILL after 15 s.
fn terminate(mut c: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(c.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = c.try_wait() {
            untrack(c.id());
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = c.kill();
    let _ = c.wait();
    untrack(c.id());
}

impl Drop for Kmsd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a program and returns its output; panics with the output when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    run_in(Path::new("."), program, args)
}

/// Runs a program in a directory and returns its output; panics with the output when it fails.
pub fn run_in(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

/// Whether a program is installed. In CI (`CI` set) a missing program is a failure.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is not installed; .ci/run installs it"
        );
        eprintln!("skipping: {program} is not installed");
    }
    found
}

/// Whether a file a test needs is installed (from `package`). In CI a missing one is a failure.
pub fn have_file(path: &str, package: &str) -> bool {
    let found = Path::new(path).exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{path} is missing; .ci/run installs {package}"
        );
        eprintln!("skipping: {path} is missing (install {package})");
    }
    found
}
