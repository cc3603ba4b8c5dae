//! Identities that cannot be confused, client certificates meant for clients, and token
//! admission (issue 20, items 4–6), as raw HTTPS requests to a real kmsd with certificates of
//! its quick-start CA: subjects that used to print alike are different identities, principals
//! and `so_identities` match the canonical (RFC 4514) form whoever wrote them, a certificate
//! without digitalSignature is refused at the handshake, and a token exists only for the
//! identities it admits — with guesses at tokens one cannot see rate-limited per identity.

mod common;

use common::attacker::{id, ok, refused};
use common::*;
use kms_daemon::ck::*;
use kms_testkit::pki::rcgen::{DnType, DnValue, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use kms_testkit::pki::{issue_client_cert, CertSpec};
use serde_json::{json, Value};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn utf8(s: &str) -> DnValue {
    DnValue::Utf8String(s.into())
}

fn t61(s: &str) -> DnValue {
    DnValue::TeletexString(s.try_into().unwrap())
}

/// `kmsd token admit` for the quick-start token: its client and admin, and `more`.
fn admit(d: &Kmsd, more: &[&str]) {
    let mut args = vec!["token", "admit", "--label", TOKEN];
    for who in ["CN=kms-client", "CN=kms-admin"].iter().chain(more) {
        args.extend(["--allow", who]);
    }
    let (ok, out) = d.admin(&args);
    assert!(ok, "kmsd token admit: {out}");
}

/// A token AES key of `c` that encrypts (GCM); its id.
fn aes_key(c: &Client) -> String {
    let r = c.call(
        "POST",
        &path("keys/generate"),
        Some(json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN},
                    "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true),
                                 a_bool(CKA_ENCRYPT, true), a_bool(CKA_DECRYPT, true)]})),
    );
    id(&ok(&r))
}

/// The actors of the audit records of `action` on token `token`, in order.
fn actors(d: &Kmsd, action: &str, token: &str) -> Vec<String> {
    let (ok, out) = d.admin(&["audit", "export", "--token", token]);
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["action"] == action)
        .map(|r| r["actor"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn subjects_that_printed_alike_are_different_identities() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    // One CN holding ", O=Example" and the two attributes CN=app1, O=Example; two T61String
    // CNs (which used to print as the same parse error).
    let certs: [(&str, Vec<(DnType, DnValue)>); 4] = [
        ("comma", vec![(DnType::CommonName, utf8("app1, O=Example"))]),
        (
            "two",
            vec![
                (DnType::CommonName, utf8("app1")),
                (DnType::OrganizationName, utf8("Example")),
            ],
        ),
        ("t61a", vec![(DnType::CommonName, t61("alice"))]),
        ("t61b", vec![(DnType::CommonName, t61("bob"))]),
    ];
    // Each tries a token no one has: the audit record of the refusal names who tried.
    for (name, subject) in &certs {
        issue_client_cert(dir.path(), name, &CertSpec::subject(subject.clone()));
        let r = d
            .client_as(name)
            .call("POST", "/v1/tokens/nope/login", Some(login_body(USER_PIN)));
        assert_eq!(r.code(), "token_not_found", "{name}");
    }
    let seen = actors(&d, "login", "nope");
    assert_eq!(seen.len(), 4, "{seen:?}");
    for (i, a) in seen.iter().enumerate() {
        for b in &seen[i + 1..] {
            assert_ne!(a, b, "two certificates, one identity: {seen:?}");
        }
    }
    assert_eq!(seen[0], "CN=app1\\, O=Example");
    assert_eq!(seen[1], "O=Example,CN=app1");
    assert!(seen[2].starts_with("CN=#14"), "{seen:?}");

    // With all of them admitted, one's login session is not another's.
    admit(&d, &seen.iter().map(String::as_str).collect::<Vec<_>>());
    for (owner, thief) in [("comma", "two"), ("t61a", "t61b")] {
        let mut c = d.client_as(owner);
        assert_eq!(c.login(USER_PIN).status, 200, "{owner}");
        let mut t = d.client_as(thief);
        t.bearer = c.bearer.clone();
        let r = t.call("POST", &path("objects/find"), Some(json!({"template": []})));
        refused(
            &r,
            401,
            "unauthenticated",
            &format!("{thief} with {owner}'s session"),
        );
    }
    d.stop();
}

#[test]
fn principals_and_so_identities_match_the_canonical_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    // An SO identity written in another case and spacing still names admin.pem.
    d.set_option("so_identities", r#"[" cn = kms-admin "]"#);
    let mut so = d.admin_client();
    assert_eq!(
        so.login_as("so", SO_PIN).status,
        200,
        "SO from \" cn = kms-admin \""
    );

    // "app1" is O=Example then CN=app1 in its DER sequence: RFC 4514 says CN=app1,O=Example.
    let app1 = vec![
        (DnType::OrganizationName, utf8("Example")),
        (DnType::CommonName, utf8("app1")),
    ];
    issue_client_cert(dir.path(), "app1", &CertSpec::subject(app1));
    let comma = vec![(DnType::CommonName, utf8("app1,O=Example"))];
    issue_client_cert(dir.path(), "comma", &CertSpec::subject(comma));
    admit(&d, &["CN=app1,O=Example", "CN=app1\\,O=Example"]);

    let mut owner = d.client();
    assert_eq!(owner.login(USER_PIN).status, 200);
    let key = aes_key(&owner);
    // As README writes it, in another case and spacing.
    let (set, out) = d.admin(&[
        "key",
        "set-policy",
        "--id",
        &key,
        "--principal",
        "cn=app1, o=Example",
    ]);
    assert!(set, "{out}");
    let mut app = d.client_as("app1");
    assert_eq!(app.login(USER_PIN).status, 200);
    let r = gcm(&app, &key, "encrypt", b"for app1 only");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut literal = d.client_as("comma");
    assert_eq!(literal.login(USER_PIN).status, 200);
    let r = gcm(&literal, &key, "encrypt", b"not for a CN with a comma");
    refused(&r, 403, "key_function_not_permitted", "CN=app1\\,O=Example");
    let (bad, out) = d.admin(&["key", "set-policy", "--id", &key, "--principal", "app1"]);
    assert!(!bad, "a principal that is no DN is refused: {out}");
    d.stop();
}

#[test]
fn client_certificates_must_be_meant_for_client_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let spec = |ku: Vec<KeyUsagePurpose>, eku: Vec<ExtendedKeyUsagePurpose>| CertSpec {
        key_usages: ku,
        extended_key_usages: eku,
        ..CertSpec::cn("usage-test")
    };
    let cases = [
        (
            "cert-sign-only",
            spec(vec![KeyUsagePurpose::KeyCertSign], vec![]),
            false,
        ),
        (
            "server-only",
            spec(
                vec![KeyUsagePurpose::DigitalSignature],
                vec![ExtendedKeyUsagePurpose::ServerAuth],
            ),
            false,
        ),
        ("no-extensions", spec(vec![], vec![]), true),
        // A subject kmsd cannot name: no identity, no connection.
        ("no-subject", CertSpec::subject(vec![]), false),
        (
            "signing-client",
            spec(
                vec![KeyUsagePurpose::DigitalSignature],
                vec![ExtendedKeyUsagePurpose::ClientAuth],
            ),
            true,
        ),
    ];
    let failures = "kmsd_tls_handshake_failures_total";
    let before = d.metric(failures);
    for (name, spec, accepted) in &cases {
        issue_client_cert(dir.path(), name, spec);
        let r = d.client_as(name).raw("GET", "/v1/tokens", b"");
        match accepted {
            true => assert_eq!(r.expect(name).status, 200, "{name}"),
            false => assert!(r.is_err(), "{name} was served: {:?}", r.map(|r| r.status)),
        }
    }
    assert_eq!(d.metric(failures) - before, 3.0, "each refusal counted");
    d.stop();
}

#[test]
fn a_token_exists_only_for_the_identities_it_admits() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    issue_client_cert(dir.path(), "outsider", &CertSpec::cn("outsider"));
    let mut c = d.client();
    let listed = ok(&c.call("GET", "/v1/tokens", None));
    assert_eq!(listed["tokens"][0]["label"], TOKEN);

    let mut out = d.client_as("outsider");
    let listed = ok(&out.call("GET", "/v1/tokens", None));
    assert_eq!(listed["tokens"], json!([]), "the outsider sees no token");
    refused(
        &out.login(USER_PIN),
        404,
        "token_not_found",
        "the right PIN",
    );
    refused(
        &out.login("00000000"),
        404,
        "token_not_found",
        "a wrong PIN",
    );
    let r = out.call("POST", &path("objects/find"), Some(json!({"template": []})));
    refused(&r, 404, "token_not_found", "find");
    let r = out.call(
        "POST",
        &path("set-pin"),
        Some(json!({"old_pin": b64(USER_PIN.as_bytes()), "new_pin": b64(b"99998888")})),
    );
    refused(&r, 404, "token_not_found", "C_SetPIN");
    let info = ok(&c.call("GET", "/v1/tokens", None));
    assert_eq!(
        info["tokens"][0]["user_pin_count_low"], false,
        "no guess of the outsider counted"
    );

    // Admitted, it logs in; dropped again, its session ends with it.
    admit(&d, &["CN=outsider"]);
    assert_eq!(out.login(USER_PIN).status, 200);
    assert_eq!(
        out.call("POST", &path("objects/find"), Some(json!({"template": []})))
            .status,
        200
    );
    admit(&d, &[]);
    let r = out.call("POST", &path("objects/find"), Some(json!({"template": []})));
    assert!(matches!(r.status, 401 | 404), "{}", r.status);
    assert_eq!(
        c.login(USER_PIN).status,
        200,
        "the admitted client still logs in"
    );

    // A token is made with an explicit admission, shown by `token list`.
    let (made, text) = d.admin(&[
        "token",
        "create",
        "--label",
        "closed",
        "--user-pin-from",
        "env:NO_SUCH_VAR",
        "--so-pin-from",
        "env:NO_SUCH_VAR",
    ]);
    assert!(!made && text.contains("--allow"), "{text}");
    let (_, list) = d.admin(&["token", "list"]);
    assert!(
        list.contains(r#"admits=["CN=kms-client", "CN=kms-admin"]"#),
        "{list}"
    );
    d.stop();
}

#[test]
fn guesses_at_tokens_one_cannot_see_are_rate_limited_per_identity() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    d.set_option("unknown_token_logins_per_minute", "3");
    issue_client_cert(dir.path(), "prober", &CertSpec::cn("prober"));
    let mut p = d.client_as("prober");
    let mut codes = Vec::new();
    for i in 0..5 {
        // The closed quick-start token and labels no token has share one budget.
        let token = if i % 2 == 0 { TOKEN } else { "no-such-token" };
        let r = p.call(
            "POST",
            &format!("/v1/tokens/{token}/login"),
            Some(login_body(USER_PIN)),
        );
        codes.push(r.code());
    }
    assert_eq!(codes[..3], vec!["token_not_found"; 3], "{codes:?}");
    assert_eq!(codes[3..], vec!["too_many_requests"; 2], "{codes:?}");
    let r = p.login(USER_PIN);
    refused(&r, 429, "too_many_requests", "still over budget");
    // Another identity is not held back.
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    assert_eq!(
        d.metric(r#"kmsd_limit_refusals_total{limit="unknown_token"}"#),
        3.0
    );
    d.stop();
}
