//! Sealed start with the real binary: a kmsd whose master key comes from a passphrase or from
//! shares starts sealed (API 503 `sealed` but for health, `/readyz` 503, `kmsd_sealed 1`), and
//! `kmsd unseal` over the local socket unseals it; a wrong passphrase, a mistyped share and a
//! wrong share combination are refused and leave it sealed.

mod common;

use common::*;
use std::path::Path;

const PASSPHRASE: &str = "a long and unguessable phrase";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A quick-start directory whose master key is re-made with `source` by `kmsd init INIT_ARGS`
/// (stdin `init_stdin`), with token kms-default re-created; returns init's stdout.
fn setup(dir: &Path, source: &str, init_args: &[&str], init_stdin: &str) -> String {
    Kmsd::start_in(dir).stop();
    remove_store(dir);
    let _ = std::fs::remove_file(dir.join("master.key"));
    let cfg = dir.join("kmsd.toml");
    let toml = std::fs::read_to_string(&cfg).unwrap();
    assert!(toml.contains("source = \"file\""), "{toml}");
    std::fs::write(
        &cfg,
        toml.replace("source = \"file\"", &format!("source = \"{source}\"")),
    )
    .unwrap();
    let mut args = vec!["init"];
    args.extend_from_slice(init_args);
    let init = kmsd_with_stdin(dir, &args, init_stdin);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let token = kmsd_with_stdin(
        dir,
        &[
            "token",
            "create",
            "--label",
            TOKEN,
            "--user-pin",
            USER_PIN,
            "--so-pin",
            SO_PIN,
            "--allow-any",
        ],
        "",
    );
    assert!(token.status.success(), "{}", text(&token.stderr));
    text(&init.stdout)
}

fn start_logged(dir: &Path) -> Kmsd {
    Kmsd::start_with(
        dir,
        &Options {
            rust_log: Some("info"),
            capture_stderr: true,
        },
    )
}

fn assert_sealed(d: &Kmsd) {
    let c = d.client();
    for (method, path) in [
        ("GET", "/v1/tokens".to_owned()),
        ("POST", format!("/v1/tokens/{TOKEN}/login")),
        ("POST", "/v1/no/such/route".to_owned()),
    ] {
        let body = (method == "POST").then(|| login_body(USER_PIN));
        let r = c.call(method, &path, body);
        assert_eq!(r.status, 503, "{method} {path}");
        assert_eq!(r.code(), "sealed", "{method} {path}");
    }
    assert_eq!(c.call("GET", "/v1/health", None).status, 200);
    let (status, body) = d.ops_get("/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("master_key: failed: sealed"), "{body}");
    assert_eq!(d.metric("kmsd_sealed"), 1.0);
}

/// Logs in, makes a P-256 key pair and signs with it: the vault works.
fn assert_unsealed_and_signing(d: &Kmsd) -> String {
    let (status, body) = d.ops_get("/readyz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(d.metric("kmsd_sealed"), 0.0);
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let id = generate_signing_pair(&c);
    let r = ecdsa_sign(&c, &id);
    assert_eq!(r.status, 200, "{}", text(&r.body));
    id
}

/// Stops kmsd and checks that none of `secrets` reached its log.
fn assert_no_secret_logged(mut d: Kmsd, secrets: &[&str]) {
    let log = d.stop_and_collect_stderr().join("\n");
    assert!(log.contains("kmsd unsealed"), "{log}");
    for s in secrets {
        assert!(!log.contains(s), "a secret reached the log");
    }
}

#[test]
fn passphrase_unseal() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "passphrase", &[], &format!("{PASSPHRASE}\n"));
    let record = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert!(record.contains("\"passphrase\""), "{record}");
    let d = start_logged(dir.path());
    assert_sealed(&d);
    {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        // Next to the store file; with a PostgreSQL store, next to the master key record.
        let socket = if on_postgres() {
            "master.key.unseal.sock"
        } else {
            "kms.db.unseal.sock"
        };
        let meta = std::fs::metadata(dir.path().join(socket)).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    let wrong = kmsd_with_stdin(dir.path(), &["unseal"], "a long but wrong passphrase\n");
    assert!(!wrong.status.success());
    let err = text(&wrong.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(
        !err.contains("but wrong"),
        "the passphrase was echoed: {err}"
    );
    assert_sealed(&d);
    let empty = kmsd_with_stdin(dir.path(), &["unseal"], "");
    assert!(text(&empty.stderr).contains("no passphrase on stdin"));

    let right = kmsd_with_stdin(dir.path(), &["unseal"], &format!("{PASSPHRASE}\n"));
    assert!(right.status.success(), "{}", text(&right.stderr));
    assert!(text(&right.stdout).contains("kmsd unsealed"));
    let id = assert_unsealed_and_signing(&d);
    let again = kmsd_with_stdin(dir.path(), &["unseal"], "");
    assert!(text(&again.stdout).contains("already unsealed"));
    // An administration command that reseals a key asks for the passphrase itself.
    let deactivate = ["key", "deactivate", "--id", id.as_str()];
    let wrong = kmsd_with_stdin(dir.path(), &deactivate, "a long but wrong passphrase\n");
    assert!(
        text(&wrong.stderr).contains("wrong passphrase"),
        "{}",
        text(&wrong.stderr)
    );
    let right = kmsd_with_stdin(dir.path(), &deactivate, &format!("{PASSPHRASE}\n"));
    assert!(right.status.success(), "{}", text(&right.stderr));
    assert!(text(&right.stdout).contains("deactivated"));
    assert_no_secret_logged(d, &[PASSPHRASE, "but wrong"]);
}

#[test]
fn shares_two_of_three() {
    let dir = tempfile::tempdir().unwrap();
    let out = setup(
        dir.path(),
        "shares",
        &["--shares", "3", "--threshold", "2"],
        "",
    );
    let shares: Vec<String> = out
        .lines()
        .filter_map(|l| {
            l.strip_prefix("share ")?
                .split_once(": ")
                .map(|(_, s)| s.to_owned())
        })
        .collect();
    assert_eq!(shares.len(), 3, "{out}");
    // A well-formed share (valid checksum) of another master key, with x = 2.
    let foreign = kms_daemon::vault::shamir::split(&[1u8; 32], 2, 3).unwrap();
    let foreign = foreign[1].to_text().to_string();
    let mut typo = shares[1].clone().into_bytes();
    let last = typo.len() - 10;
    typo[last] = if typo[last] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();

    let d = start_logged(dir.path());
    assert_sealed(&d);

    let mistyped = kmsd_with_stdin(dir.path(), &["unseal"], &format!("{typo}\n"));
    assert!(!mistyped.status.success());
    let err = text(&mistyped.stderr);
    assert!(err.contains("share 2: checksum mismatch"), "{err}");

    let partial = kmsd_with_stdin(dir.path(), &["unseal"], &format!("{}\n", shares[0]));
    assert!(!partial.status.success());
    assert!(text(&partial.stderr).contains("1 of 2 shares given"));
    assert_sealed(&d);
    // The held share plus a foreign one: refused, progress cleared.
    let wrong = kmsd_with_stdin(dir.path(), &["unseal"], &format!("{foreign}\n"));
    assert!(!wrong.status.success());
    let err = text(&wrong.stderr);
    assert!(err.contains("do not combine to the master key"), "{err}");
    assert_sealed(&d);

    let right = kmsd_with_stdin(
        dir.path(),
        &["unseal"],
        &format!("{}\n{}\n", shares[2], shares[0]),
    );
    assert!(right.status.success(), "{}", text(&right.stderr));
    assert!(text(&right.stderr).contains("share accepted (1 of 2)"));
    assert_unsealed_and_signing(&d);
    let secrets: Vec<&str> = shares
        .iter()
        .chain([&foreign, &typo])
        .map(|s| &s[16..40])
        .collect();
    assert_no_secret_logged(d, &secrets);
}

#[test]
fn init_refuses_bad_share_arguments() {
    let dir = tempfile::tempdir().unwrap();
    Kmsd::start_in(dir.path()).stop();
    // A file source already initialised: --shares is refused, and so is a second init.
    let out = kmsd_with_stdin(
        dir.path(),
        &["init", "--shares", "3", "--threshold", "2"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("are for [master_key] source = \"shares\""));
    let cfg = dir.path().join("kmsd.toml");
    let toml = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        toml.replace("source = \"file\"", "source = \"shares\""),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("master.key")).unwrap();
    let out = kmsd_with_stdin(dir.path(), &["init"], "");
    assert!(text(&out.stderr).contains("needs --shares N --threshold K"));
    let out = kmsd_with_stdin(
        dir.path(),
        &["init", "--shares", "2", "--threshold", "3"],
        "",
    );
    assert!(
        text(&out.stderr).contains("threshold <= shares"),
        "{}",
        text(&out.stderr)
    );
    let out = kmsd_with_stdin(dir.path(), &["unseal"], "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("master.key"),
        "{}",
        text(&out.stderr)
    );
}
