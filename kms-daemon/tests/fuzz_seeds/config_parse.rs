//! config_parse: kmsd.toml text.

use kms_daemon::config::{Config, LogFormat, MasterKeySource};
use kms_testkit::seeds::Seeds;

/// The smallest configuration kmsd accepts.
const MINIMAL: &str = r#"listen = "127.0.0.1:7443"
store = "kms.db"
master_key_file = "master.key"

[tls]
cert = "server.pem"
key = "server.key"
client_ca = "client-ca.pem"
"#;

fn config(c: &Config) -> Vec<u8> {
    toml::to_string(c).unwrap().into_bytes()
}

pub(crate) fn config_parse(s: &mut Seeds) {
    let parse = |text: &str| toml::from_str::<Config>(text);
    let base: Config = parse(MINIMAL).unwrap();
    s.add("accepted-minimal", MINIMAL.as_bytes().to_vec());
    s.add("accepted-minimal-with-defaults-written-out", config(&base));

    let mut c = base.clone();
    c.listen = "[::1]:7443".parse().unwrap();
    c.store = "postgres://kms@db.example:5432/kms".into();
    c.shutdown_timeout_secs = 30;
    c.tls.allow_tls12 = true;
    c.auth.max_pin_failures = 3;
    c.auth.session_idle_timeout_secs = 600;
    c.auth.so_identities = vec!["CN=kms-admin".into(), "CN=ops,O=Example Corp".into()];
    c.log.level = "kms_daemon=debug,info".into();
    c.log.format = LogFormat::Json;
    c.lifecycle.destroy_wait_secs = 0;
    c.policy.legacy_rsa_signatures = true;
    c.policy.public_token_objects_without_login = true;
    c.metrics.enabled = false;
    c.metrics.listen = "0.0.0.0:0".parse().unwrap();
    c.limits.max_sessions_per_identity = 1;
    c.limits.max_inflight_per_identity = 1;
    c.limits.max_session_objects_per_identity = 1;
    c.limits.max_connections = 1;
    c.audit.key_use_durability = kms_daemon::config::store::Durability::Deferred;
    c.audit.flush_interval_ms = 1000;
    s.add("accepted-every-section-changed", config(&c));
    let mut c = base.clone();
    c.master_key.source = MasterKeySource::Passphrase;
    c.master_key.unseal_timeout_secs = 60;
    c.log.format = LogFormat::Logfmt;
    s.add("accepted-passphrase-source", config(&c));
    let mut c = base.clone();
    c.master_key.source = MasterKeySource::Shares;
    s.add("accepted-shares-source", config(&c));

    let add = |s: &mut Seeds, name: &str, text: String| {
        let accepted = parse(&text).is_ok();
        assert_eq!(name.starts_with("accepted-"), accepted, "{name}: {text}");
        s.add(name, text.into_bytes());
    };
    add(
        s,
        "accepted-inline-tables-and-comments",
        r#"# kmsd
listen = "127.0.0.1:7443" # loopback
store = '/var/lib/kmsd/kms.db'
master_key_file = """/etc/kmsd/master.key"""
tls = { cert = "s.pem", key = "s.key", client_ca = "ca.pem" }
auth = { so_identities = ["CN=a\u00e9"] }
"#
        .into(),
    );
    add(
        s,
        "accepted-dotted-keys",
        MINIMAL.replace(
            "[tls]\n",
            "audit.flush_interval_ms = 1\nlimits.max_connections = 8\n\n[tls]\n",
        ),
    );
    add(s, "refused-empty", String::new());
    add(
        s,
        "refused-unknown-key",
        format!("{MINIMAL}listen_unix = \"/run/kmsd.sock\"\n"),
    );
    add(
        s,
        "refused-unknown-section",
        format!("{MINIMAL}\n[kmip]\nlisten = \"0.0.0.0:5696\"\n"),
    );
    add(
        s,
        "refused-no-tls-section",
        MINIMAL.split("[tls]").next().unwrap().into(),
    );
    add(
        s,
        "refused-listen-without-port",
        MINIMAL.replace("127.0.0.1:7443", "localhost"),
    );
    add(
        s,
        "refused-unknown-master-key-source",
        format!("{MINIMAL}\n[master_key]\nsource = \"hsm\"\n"),
    );
    add(
        s,
        "refused-negative-pin-failures",
        format!("{MINIMAL}\n[auth]\nmax_pin_failures = -1\n"),
    );
    add(
        s,
        "refused-pin-failures-over-u32",
        format!("{MINIMAL}\n[auth]\nmax_pin_failures = 4294967296\n"),
    );
    add(
        s,
        "refused-bool-as-string",
        format!("{MINIMAL}allow_tls12 = \"yes\"\n"),
    );
    add(
        s,
        "refused-duplicate-key",
        format!("{MINIMAL}\n[auth]\nmax_pin_failures = 3\nmax_pin_failures = 4\n"),
    );
    add(
        s,
        "refused-unterminated-string",
        "listen = \"127.0.0.1:7443\nstore = 1\n".into(),
    );
    add(
        s,
        "refused-unknown-log-format",
        format!("{MINIMAL}\n[log]\nformat = \"xml\"\n"),
    );
    add(
        s,
        "refused-unknown-durability",
        format!("{MINIMAL}\n[audit]\nkey_use_durability = \"never\"\n"),
    );
    add(
        s,
        "refused-table-redefined",
        format!("{MINIMAL}\n[tls]\ncert = \"other.pem\"\n"),
    );
}
