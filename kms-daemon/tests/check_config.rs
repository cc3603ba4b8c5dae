//! `kmsd check-config` on a valid setup and on one broken setup per problem, each giving its
//! message and fix; and `kmsd serve` refusing with the same message.

use kms_daemon::{pki, store::Store, vault::Vault};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CONFIG: &str =
    "listen = \"127.0.0.1:0\"\nstore = \"kms.db\"\nmaster_key_file = \"master.key\"\n\
[tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
[metrics]\nlisten = \"127.0.0.1:0\"\n";

/// A complete, valid setup in a temp dir: PKI, master key, store, `kmsd.toml`.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        pki::create(dir.path()).unwrap();
        Vault::create_master_key_file(&dir.path().join("master.key")).unwrap();
        Store::create(&dir.path().join("kms.db")).unwrap();
        let s = Setup { dir };
        s.write_config(CONFIG);
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> PathBuf {
        self.path("kmsd.toml")
    }

    fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    /// The config with `from` replaced by `to` (which must be there).
    fn edit_config(&self, from: &str, to: &str) {
        assert!(CONFIG.contains(from), "{from}");
        self.write_config(&CONFIG.replace(from, to));
    }

    fn chmod(&self, name: &str, mode: u32) {
        std::fs::set_permissions(self.path(name), std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn kmsd(&self, subcommand: &str) -> Output {
        Command::new(kms_testkit::kmsd_bin())
            .args([subcommand, "--config"])
            .arg(self.config())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    /// Runs check-config, expects it to fail, and returns its stdout.
    fn problems(&self) -> String {
        let out = self.kmsd("check-config");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("problem(s) found"), "{text}");
        text
    }
}

fn assert_has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "{p:?} not in:\n{text}");
    }
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_valid_setup_has_no_problem() {
    let s = Setup::new();
    let out = s.kmsd("check-config");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.ends_with("no problems found\n"), "{text}");
}

#[test]
fn world_readable_master_key() {
    let s = Setup::new();
    s.chmod("master.key", 0o644);
    let mk = shown(&s.path("master.key"));
    assert_has(
        &s.problems(),
        &[
            &format!("problem: master_key_file: {mk} is accessible by group or others (mode 644)"),
            &format!("fix: chmod 600 {mk}"),
        ],
    );
}

#[test]
fn group_readable_tls_key() {
    let s = Setup::new();
    s.chmod("server.key", 0o640);
    let key = shown(&s.path("server.key"));
    assert_has(
        &s.problems(),
        &[
            &format!("tls.key: {key} is accessible by group or others (mode 640)"),
            &format!("fix: chmod 600 {key}"),
        ],
    );
}

#[test]
fn missing_master_key() {
    let s = Setup::new();
    std::fs::remove_file(s.path("master.key")).unwrap();
    assert_has(
        &s.problems(),
        &[
            "master_key_file: ",
            "does not exist",
            &format!(
                "fix: create it with: kmsd init --config {}",
                shown(&s.config())
            ),
        ],
    );
}

#[test]
fn missing_certificate_file() {
    let s = Setup::new();
    s.edit_config("cert = \"server.pem\"", "cert = \"nowhere.pem\"");
    assert_has(
        &s.problems(),
        &[
            &format!("tls.cert: {} does not exist", shown(&s.path("nowhere.pem"))),
            "fix: create it, or set tls.cert to the right path",
        ],
    );
}

#[test]
fn certificate_that_does_not_match_its_key() {
    let s = Setup::new();
    s.edit_config("cert = \"server.pem\"", "cert = \"client.pem\"");
    assert_has(
        &s.problems(),
        &[
            "does not match the private key tls.key",
            "fix: set tls.cert and tls.key to a certificate and the key it was issued for",
        ],
    );
}

#[test]
fn expired_certificate() {
    let s = Setup::new();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(s.path("old.pem"), cert.pem()).unwrap();
    kms_daemon::secret_file::write_secret_file(&s.path("old.key"), key.serialize_pem().as_bytes())
        .unwrap();
    s.write_config(
        &CONFIG
            .replace("cert = \"server.pem\"", "cert = \"old.pem\"")
            .replace("key = \"server.key\"", "key = \"old.key\""),
    );
    let text = s.problems();
    assert_has(
        &text,
        &[
            &format!("tls.cert: {} (", shown(&s.path("old.pem"))),
            ") expired on ",
            "fix: issue a new certificate into",
        ],
    );
    assert!(!text.contains("does not match"), "{text}");
}

#[test]
fn client_ca_that_is_not_a_ca() {
    let s = Setup::new();
    s.edit_config("client_ca = \"ca.pem\"", "client_ca = \"client.pem\"");
    assert_has(
        &s.problems(),
        &[
            "(CN=kms-client) is not a CA certificate",
            "fix: set tls.client_ca to the certificate of the CA that issues client certificates",
        ],
    );
}

#[test]
fn server_certificate_that_does_not_chain_to_the_client_ca_it_names() {
    // Another development PKI: its CA has the same name as ours, but did not sign our server
    // certificate.
    let s = Setup::new();
    let other = tempfile::tempdir().unwrap();
    pki::create(other.path()).unwrap();
    std::fs::copy(other.path().join("ca.pem"), s.path("ca.pem")).unwrap();
    assert_has(
        &s.problems(),
        &[
            "names CN=kmsd development CA (in tls.client_ca",
            "as its issuer but does not chain to it",
            "fix: issue the server certificate from the CA in tls.client_ca",
        ],
    );
}

#[test]
fn missing_store() {
    let s = Setup::new();
    s.edit_config("store = \"kms.db\"", "store = \"other.db\"");
    assert_has(
        &s.problems(),
        &[
            &format!("store: {} does not exist", shown(&s.path("other.db"))),
            &format!(
                "fix: create it with: kmsd init --config {}",
                shown(&s.config())
            ),
        ],
    );
}

#[test]
fn store_in_a_directory_that_cannot_be_written() {
    let s = Setup::new();
    s.edit_config("store = \"kms.db\"", "store = \"no-such-dir/kms.db\"");
    assert_has(
        &s.problems(),
        &[
            &format!(
                "store: the directory {} is not writable",
                shown(&s.path("no-such-dir"))
            ),
            "fix: create it and let the user kmsd runs as write to it (mkdir -p",
        ],
    );
}

#[test]
fn store_newer_than_this_kmsd() {
    let s = Setup::new();
    let conn = rusqlite::Connection::open(s.path("kms.db")).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version) VALUES (?1)",
        [kms_daemon::store::LATEST_SCHEMA + 1],
    )
    .unwrap();
    drop(conn);
    assert_has(
        &s.problems(),
        &[
            &format!(
                "has schema version {}, newer than this kmsd knows ({})",
                kms_daemon::store::LATEST_SCHEMA + 1,
                kms_daemon::store::LATEST_SCHEMA
            ),
            "fix: run the kmsd version that wrote it",
        ],
    );
}

#[test]
fn listen_address_in_use() {
    let s = Setup::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    s.edit_config(
        "listen = \"127.0.0.1:0\"\nstore",
        &format!("listen = \"{addr}\"\nstore"),
    );
    assert_has(
        &s.problems(),
        &[
            &format!("problem: listen address {addr} is already in use"),
            &format!("(see: ss -ltnp 'sport = :{}')", addr.port()),
        ],
    );
}

#[test]
fn metrics_address_in_use() {
    let s = Setup::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    s.edit_config(
        "[metrics]\nlisten = \"127.0.0.1:0\"",
        &format!("[metrics]\nlisten = \"{addr}\""),
    );
    assert_has(
        &s.problems(),
        &[
            &format!("problem: metrics.listen address {addr} is already in use"),
            "or set metrics.listen to a free address",
        ],
    );
}

#[test]
fn kmip_settings_are_checked() {
    let s = Setup::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    s.write_config(&format!(
        "{CONFIG}[kmip]\nlisten = \"{addr}\"\ntoken = \"\"\nmax_message_bytes = 100\n"
    ));
    assert_has(
        &s.problems(),
        &[
            &format!("problem: kmip.listen address {addr} is already in use"),
            "problem: kmip.token \"\" is not a token label (1 to 32 bytes)",
            "problem: kmip.max_message_bytes is 100: it must be 8192 to 16777216",
        ],
    );
    s.write_config(&format!(
        "{CONFIG}[kmip]\nlisten = \"127.0.0.1:0\"\ntoken = \"kms-default\"\n"
    ));
    let out = s.kmsd("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn invalid_log_level() {
    let s = Setup::new();
    s.write_config(&format!("{CONFIG}[log]\nlevel = \"kms_daemon=loud\"\n"));
    assert_has(
        &s.problems(),
        &[
            "log.level \"kms_daemon=loud\" is not a valid filter",
            "fix: use a level (error, warn, info, debug, trace)",
        ],
    );
}

#[test]
fn unparsable_config() {
    let s = Setup::new();
    s.write_config("listen = \"127.0.0.1:0\"\nstor = \"kms.db\"\n");
    assert_has(
        &s.problems(),
        &[
            "configuration: ",
            "unknown field `stor`",
            &format!("fix: correct {}", shown(&s.config())),
        ],
    );
}

#[test]
fn serve_refuses_with_the_same_message() {
    let s = Setup::new();
    s.chmod("master.key", 0o604);
    let expected = s.problems().lines().take(2).collect::<Vec<_>>().join("\n");
    assert!(expected.contains("chmod 600"), "{expected}");
    let out = s.kmsd("serve");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("1 configuration problem(s); not starting"),
        "{stderr}"
    );
}

#[test]
fn zero_limits() {
    let s = Setup::new();
    s.write_config(&format!(
        "{CONFIG}[limits]\nmax_sessions_per_identity = 0\nmax_inflight_per_identity = 0\n\
         max_connections = 0\n"
    ));
    assert_has(
        &s.problems(),
        &[
            "problem: limits.max_sessions_per_identity is 0: kmsd would refuse every login",
            "problem: limits.max_inflight_per_identity is 0: kmsd would refuse every request",
            "fix: set [limits] max_inflight_per_identity to at least 1",
            "problem: limits.max_connections is 0: kmsd would refuse every connection",
        ],
    );
    s.write_config(&format!(
        "{CONFIG}[limits]\nmax_inflight_per_identity = 8\n"
    ));
    let out = s.kmsd("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn flush_interval_out_of_range() {
    let s = Setup::new();
    for ms in [0, 1001] {
        s.write_config(&format!(
            "{CONFIG}[audit]\nkey_use_durability = \"deferred\"\nflush_interval_ms = {ms}\n"
        ));
        assert_has(
            &s.problems(),
            &[
                &format!("problem: audit.flush_interval_ms is {ms}: it must be 1 to 1000"),
                "fix: set [audit] flush_interval_ms between 1 and 1000",
            ],
        );
    }
    s.write_config(&format!(
        "{CONFIG}[audit]\nkey_use_durability = \"deferred\"\nflush_interval_ms = 5\n"
    ));
    let out = s.kmsd("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    s.write_config(&format!(
        "{CONFIG}[audit]\nkey_use_durability = \"sometimes\"\n"
    ));
    assert!(!s.kmsd("check-config").status.success());
}

#[test]
fn a_postgres_store_is_connected_to_and_its_failure_reported_without_the_password() {
    let s = Setup::new();
    // Nothing listens on port 1.
    s.edit_config(
        "store = \"kms.db\"",
        "store = \"postgres://kms:pg-secret@127.0.0.1:1/kms\"",
    );
    let problems = s.problems();
    assert_has(
        &problems,
        &[
            "store: the PostgreSQL store cannot be opened as a kmsd store",
            "error connecting to server",
        ],
    );
    assert!(!problems.contains("pg-secret"), "{problems}");
    // A reachable empty database: kmsd init makes it a store, then no problem is left.
    if let Some(db) = kms_testkit::ScratchDb::from_env() {
        s.edit_config("store = \"kms.db\"", &format!("store = \"{}\"", db.url));
        assert_has(&s.problems(), &["holds no kmsd store yet", "kmsd init"]);
        Store::create(Path::new(&db.url)).unwrap();
        let out = s.kmsd("check-config");
        assert!(out.status.success(), "{}", s.problems());
    }
}

/// Issue 20, item 8: what others could change — the configuration, the client CA file, a
/// directory of kmsd's files — or read — a private key such as quick start's CA key — is a
/// problem, for `kmsd check-config` and for `kmsd serve`.
#[test]
fn files_others_may_change_and_keys_others_may_read_are_problems() {
    let cases: [(&str, u32, &str, &str); 4] = [
        (
            "kmsd.toml",
            0o666,
            "the configuration",
            "is writable by group or others (mode 666)",
        ),
        (
            "ca.pem",
            0o666,
            "tls.client_ca",
            "is writable by group or others (mode 666)",
        ),
        (
            ".",
            0o777,
            "directory",
            "is writable by group or others (mode 777)",
        ),
        (
            "ca.key",
            0o644,
            "private key",
            "may be read by group or others (mode 644)",
        ),
    ];
    for (name, mode, what, why) in cases {
        let s = Setup::new();
        s.chmod(name, mode);
        let problems = s.problems();
        assert_has(&problems, &[what, why]);
        let fix = if name == "ca.key" {
            "fix: chmod 600"
        } else {
            "fix: chmod go-w"
        };
        assert_has(&problems, &[fix]);
        let out = s.kmsd("serve");
        assert!(!out.status.success(), "{name}: kmsd serve started");
        assert_has(&String::from_utf8_lossy(&out.stderr), &[why]);
        s.chmod(name, if name == "." { 0o700 } else { 0o600 });
    }
}
