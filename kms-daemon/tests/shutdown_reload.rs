//! Signals of a real kmsd: SIGTERM during a workload (requests already sent are answered, none
//! is cut off; kmsd exits 0) and SIGHUP after the server certificate and client CA files were
//! replaced (new handshakes see the new certificate; an open connection keeps working; a reload
//! with broken files is refused and the certificate in force stays).

mod common;

use common::*;
use kms_daemon::ck::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::json;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// What became of one attempt of a worker.
#[derive(Debug)]
enum Outcome {
    /// The connection was not taken (kmsd had stopped accepting): nothing was sent.
    NotAccepted,
    /// The request was sent and answered.
    Answered(u16),
    /// The request was sent and the connection failed before a full response.
    CutOff(String),
}

#[test]
fn sigterm_answers_every_request_already_sent_then_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let c = Arc::new(c);
    // RSA-3072 key generation: slow enough to be in flight when the signal arrives.
    let body = serde_json::to_vec(&json!({
        "mechanism": {"mechanism": CKM_RSA_PKCS_KEY_PAIR_GEN},
        "public_template": [a_ulong(CKA_MODULUS_BITS, 3072), a_bool(CKA_TOKEN, true)],
        "private_template": [a_bool(CKA_TOKEN, true)],
    }))
    .unwrap();
    let path = format!("/v1/tokens/{TOKEN}/keys/generate-pair");
    let (sent_tx, sent_rx) = mpsc::channel();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (c, body, path, sent) = (c.clone(), body.clone(), path.clone(), sent_tx.clone());
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                loop {
                    let Ok(mut conn) = c.connect() else {
                        outcomes.push(Outcome::NotAccepted);
                        return outcomes;
                    };
                    let _ = sent.send(());
                    outcomes.push(match conn.send("POST", &path, &body, false) {
                        Ok(r) => Outcome::Answered(r.status),
                        Err(e) => Outcome::CutOff(e.to_string()),
                    });
                }
            })
        })
        .collect();
    // Once a request is on its way (handshake done, then sent), ask kmsd to stop.
    sent_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a worker connected");
    d.signal("TERM");
    let outcomes: Vec<Outcome> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let status = d.wait_for_exit();
    assert!(status.success(), "kmsd exited with {status}");
    let cut: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::CutOff(e) => Some(e.clone()),
            Outcome::Answered(s) if *s != 200 => Some(format!("status {s}")),
            _ => None,
        })
        .collect();
    assert!(cut.is_empty(), "requests cut off or refused: {cut:?}");
    assert!(
        outcomes.iter().any(|o| matches!(o, Outcome::Answered(200))),
        "{outcomes:?}"
    );
    // Every worker ended because kmsd stopped accepting, not because a request failed.
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::NotAccepted))
            .count(),
        3
    );
}

fn first_cert(path: &Path) -> Vec<u8> {
    CertificateDer::pem_file_iter(path)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

fn serial(der: &[u8]) -> Vec<u8> {
    let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
    c.raw_serial().to_vec()
}

/// Polls (at most 60 s) until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..600 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not within 60 s: {what}");
}

#[test]
fn sighup_reloads_the_certificate_without_dropping_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_with(
        dir.path(),
        &Options {
            rust_log: Some("info"),
            capture_stderr: true,
        },
    );
    let a = dir.path();
    let old_cert = first_cert(&a.join("server.pem"));

    // A kept-alive connection made before the reload.
    let old_client = d.client();
    let mut open = old_client.connect().unwrap();
    assert_eq!(open.peer_certificate(), old_cert);
    assert_eq!(
        open.send("GET", "/v1/health", b"", true).unwrap().status,
        200
    );

    // A second PKI: its server certificate and key replace ours; the client CA file trusts both.
    let b = tempfile::tempdir().unwrap();
    kms_daemon::pki::create(b.path()).unwrap();
    let new_cert = first_cert(&b.path().join("server.pem"));
    assert_ne!(serial(&new_cert), serial(&old_cert));
    let both = [
        std::fs::read_to_string(a.join("ca.pem")).unwrap(),
        std::fs::read_to_string(b.path().join("ca.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(a.join("ca.pem"), both).unwrap();
    std::fs::copy(b.path().join("server.pem"), a.join("server.pem")).unwrap();
    std::fs::copy(b.path().join("server.key"), a.join("server.key")).unwrap();
    d.signal("HUP");

    // New handshakes get the new certificate; a client of the new PKI is accepted.
    let new_client = Client::new(
        &d.addr,
        Some(tls_identity(b.path())),
        &b.path().join("ca.pem"),
    );
    eventually("a handshake with the new certificate", || {
        new_client
            .connect()
            .is_ok_and(|c| c.peer_certificate() == new_cert)
    });
    let mut conn = new_client.connect().unwrap();
    assert_eq!(serial(&conn.peer_certificate()), serial(&new_cert));
    assert_eq!(
        conn.send("GET", "/v1/tokens", b"", false).unwrap().status,
        200
    );
    // A client that trusts only the old CA no longer completes a handshake…
    assert!(old_client.raw("GET", "/v1/health", b"").is_err());
    // …and the connection opened before the reload still works.
    assert_eq!(
        open.send("GET", "/v1/health", b"", true).unwrap().status,
        200
    );

    // A reload with a broken key is refused; the new certificate stays in force.
    std::fs::write(a.join("server.key"), b"not a key").unwrap();
    d.signal("HUP");
    eventually("the refused reload is logged", || {
        d.stderr_lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("TLS reload refused"))
    });
    let conn = new_client.connect().unwrap();
    assert_eq!(conn.peer_certificate(), new_cert);
    d.stop();
}
