//! Two kmsd replicas on one PostgreSQL store (runs with `KMS_TEST_PG`): concurrent creations and
//! signatures through both leave one audit chain (no fork, no gap, no duplicate seq), and
//! parallel wrong PINs through both lock the token after exactly `max_pin_failures` in total.

mod common;

use common::*;
use std::collections::HashSet;
use std::path::PathBuf;

fn client_of(addr: &str, dir: &std::path::Path) -> Client {
    Client::new(addr, Some(tls_identity(dir)), &dir.join("ca.pem"))
}

#[test]
fn two_replicas_share_one_chain_and_one_pin_counter() {
    if !on_postgres() {
        kms_testkit::skipped("needs PostgreSQL (set KMS_TEST_PG)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut a = Kmsd::start_in(dir.path());
    let mut b = a.replica();
    let addrs = [a.addr.clone(), b.addr.clone()];

    // Creations and signatures from 6 threads, alternating between the replicas.
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let addr = addrs[t % 2].clone();
            let dir: PathBuf = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut c = client_of(&addr, &dir);
                assert_eq!(c.login(USER_PIN).status, 200);
                let mut ids = Vec::new();
                for _ in 0..5 {
                    let id = generate_signing_pair(&c);
                    for _ in 0..3 {
                        let r = ecdsa_sign(&c, &id);
                        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                    }
                    ids.push(id);
                }
                ids
            })
        })
        .collect();
    let ids: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 6 * 5);

    // Each replica sees the keys the other made.
    let mut cb = client_of(&b.addr, dir.path());
    assert_eq!(cb.login(USER_PIN).status, 200);
    for id in &ids {
        assert_eq!(ecdsa_sign(&cb, id).status, 200);
    }

    // One chain: 6 logins + 30 pairs (2 records each) + 90 + 30 signatures + 1 login, verified.
    let out = kmsd_with_stdin(dir.path(), &["audit", "verify"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n: usize = text
        .trim()
        .strip_prefix("audit chain OK: ")
        .and_then(|t| t.strip_suffix(" records"))
        .unwrap_or_else(|| panic!("{text}"))
        .parse()
        .unwrap();
    assert!(n >= 6 + 30 * 2 + 90 + 1 + 30, "{n} records");

    // Parallel wrong PINs through both replicas: exactly max - 1 are "incorrect", the attempt
    // that reaches max and every later one "locked".
    let max = 10;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let addr = addrs[t % 2].clone();
            let dir: PathBuf = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut codes = Vec::new();
                for _ in 0..6 {
                    let mut c = client_of(&addr, &dir);
                    codes.push(c.login("000000").code());
                }
                codes
            })
        })
        .collect();
    let codes: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let incorrect = codes.iter().filter(|c| *c == "pin_incorrect").count();
    let locked = codes.iter().filter(|c| *c == "pin_locked").count();
    assert_eq!((incorrect, locked), (max - 1, 24 - (max - 1)), "{codes:?}");
    for addr in &addrs {
        let mut c = client_of(addr, dir.path());
        assert_eq!(c.login(USER_PIN).code(), "pin_locked");
    }
    b.stop();
    a.stop();
}
