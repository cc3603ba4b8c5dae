//! kmsd's PostgreSQL store over TLS (runs with `KMS_TEST_PG` and `KMS_TEST_PG_CA`, the CA of the
//! test cluster's server certificate, which `.ci/test-all` makes): kmsd serves from a store
//! reached with `sslmode=verify-full`, every connection it holds is TLS (PostgreSQL's own
//! `pg_stat_ssl` says so), and `kmsd check-config` refuses a server certificate from another
//! CA, the modes that do not verify the server, and a remote server in clear.

mod common;

use common::*;

/// The CA of the test cluster's server certificate.
const CA_ENV: &str = "KMS_TEST_PG_CA";

/// Replaces the `store` line of kmsd.toml (kmsd not running).
fn set_store(k: &Kmsd, url: &str) {
    let cfg = std::fs::read_to_string(k.config()).unwrap();
    let cfg: Vec<String> = cfg
        .lines()
        .map(|l| match l.starts_with("store = ") {
            true => format!("store = {url:?}"),
            false => l.to_owned(),
        })
        .collect();
    std::fs::write(k.config(), cfg.join("\n") + "\n").unwrap();
}

/// (TLS connections, clear connections) PostgreSQL has open to database `db`.
fn connections_to(db: &str) -> (i64, i64) {
    let admin = std::env::var(kms_testkit::PG_ENV).unwrap();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)
             FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1",
            &[&db],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

#[test]
fn kmsd_serves_from_a_store_reached_over_verified_tls() {
    let ca = std::env::var(CA_ENV).ok().filter(|v| !v.is_empty());
    let (true, Some(ca)) = (on_postgres(), ca) else {
        kms_testkit::skipped("needs PostgreSQL with TLS (set KMS_TEST_PG and KMS_TEST_PG_CA)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut k = Kmsd::start_in(dir.path());
    let plain = store_location(dir.path()).to_str().unwrap().to_owned();
    let db = plain.rsplit('/').next().unwrap().to_owned();
    // The server certificate names localhost and 127.0.0.1.
    let tls = format!("{plain}?sslmode=verify-full&sslrootcert={ca}")
        .replace("@127.0.0.1:", "@localhost:");

    k.stop();
    set_store(&k, &tls);
    let (ok, out) = k.admin(&["check-config"]);
    assert!(ok, "{out}");
    k.restart();
    let mut c = Client::new(
        &k.addr,
        Some(tls_identity(dir.path())),
        &dir.path().join("ca.pem"),
    );
    assert_eq!(c.login(USER_PIN).status, 200);
    let id = generate_signing_pair(&c);
    assert_eq!(ecdsa_sign(&c, &id).status, 200);
    let (secure, clear) = connections_to(&db);
    assert!(secure > 0 && clear == 0, "TLS {secure}, clear {clear}");
    k.stop();

    // A server certificate from another CA (kmsd's own quick-start CA here) is refused.
    let other_ca = dir.path().join("ca.pem");
    set_store(&k, &tls.replace(&ca, other_ca.to_str().unwrap()));
    let (ok, out) = k.admin(&["check-config"]);
    assert!(!ok && out.contains("certificate"), "{out}");
    // Modes that do not verify the server, and a remote server in clear, are refused before
    // any connection.
    set_store(&k, &tls.replace("verify-full", "require"));
    let (ok, out) = k.admin(&["check-config"]);
    assert!(
        !ok && out.contains("sslmode=require is not supported"),
        "{out}"
    );
    set_store(&k, &plain.replace("@127.0.0.1:", "@192.0.2.1:"));
    let (ok, out) = k.admin(&["check-config"]);
    assert!(!ok && out.contains("needs TLS"), "{out}");
}
