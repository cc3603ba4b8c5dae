//! kmsd under systemd's `Type=notify` (packaging/kmsd.service): with `NOTIFY_SOCKET` set it
//! says `READY=1` once it serves, `RELOADING=1` then `READY=1` around a SIGHUP reload, and
//! `STOPPING=1` when SIGTERM makes it drain.

mod common;

use common::*;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

fn next(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = sock
        .recv(&mut buf)
        .expect("a notification within the timeout");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn kmsd_tells_systemd_when_it_is_ready_reloading_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = Kmsd::start_in(dir.path());
    k.stop();
    let socket = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut child = Command::new(kms_testkit::kmsd_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(k.config())
        .env("NOTIFY_SOCKET", &socket)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let signal = |name: &str| {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    };
    assert_eq!(next(&sock), "READY=1");
    signal("HUP");
    assert_eq!(next(&sock), "RELOADING=1");
    assert_eq!(next(&sock), "READY=1");
    signal("TERM");
    assert_eq!(next(&sock), "STOPPING=1");
    assert!(child.wait().unwrap().success());
}

/// The shipped unit (`packaging/kmsd.service`) verifies with `systemd-analyze verify` and its
/// exposure level (`systemd-analyze security`) is at most 2.0 of 10.
#[test]
fn the_shipped_unit_verifies_and_is_hardened() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "systemd-analyze is missing; .ci/test-all installs systemd"
        );
        kms_testkit::skipped("systemd-analyze is not installed");
        return;
    }
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/kmsd.service"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kmsd.service");
    // The unit names the installed binary; verify checks that ExecStart exists.
    let kmsd = kms_testkit::kmsd_bin();
    std::fs::write(&path, unit.replace("/usr/bin/kmsd", kmsd.to_str().unwrap())).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("systemd-analyze")
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, out) = run(&["verify", "--man=no"]);
    assert!(ok && out.trim().is_empty(), "systemd-analyze verify: {out}");
    let (ok, out) = run(&["security", "--offline=true", "--threshold=20"]);
    assert!(ok, "exposure above 2.0: {out}");
    assert!(
        out.contains("Overall exposure level for kmsd.service"),
        "{out}"
    );
}
