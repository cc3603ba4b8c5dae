//! config_parse: the module's TOML configuration.

use kms_pkcs11::config::Config;
use kms_testkit::seeds::Seeds;

const SLOT: &str = r#"[[slots]]
token = "kms-default"
endpoints = ["https://127.0.0.1:7443"]
ca_file = "ca.pem"
cert_file = "client.pem"
key_file = "client.key"
"#;

pub(crate) fn config_parse(s: &mut Seeds) {
    let mut add = |name: &str, text: String| {
        let accepted = Config::parse(&text).is_ok();
        assert_eq!(name.starts_with("accepted-"), accepted, "{name}:\n{text}");
        s.add(name, text.into_bytes());
    };
    add("accepted-empty-no-slot", String::new());
    add("accepted-one-slot", SLOT.into());
    add(
        "accepted-replicas-pin-timeouts-log",
        format!(
            "{}server_cert_sha256 = \"AB:CD:{}\"\n\n[timeouts]\nconnect_ms = 1\nrequest_ms = \
             9223372036854775807\n\n[log]\nlevel = \"debug\"\nfile = \"/var/log/kms-pkcs11.log\"\n",
            SLOT.replace(
                r#"["https://127.0.0.1:7443"]"#,
                r#"["https://10.0.0.1:7443", "https://kmsd-2.example:7443", "https://[::1]:7443"]"#
            ),
            "00".repeat(30)
        ),
    );
    add(
        "accepted-two-slots",
        format!("{SLOT}\n{}", SLOT.replace("kms-default", "second")),
    );
    add(
        "accepted-label-32-bytes-multibyte",
        SLOT.replace("kms-default", &"é".repeat(16)),
    );
    add(
        "accepted-inline-table-array",
        "slots = [{ token = \"t\", endpoints = [\"https://h:1\"], ca_file = 'c', cert_file = \
         'c', key_file = 'k' }]\n"
            .into(),
    );
    add("accepted-log-only", "[log]\nlevel = \"off\"\n".into());
    add(
        "refused-label-33-bytes",
        SLOT.replace("kms-default", &"x".repeat(33)),
    );
    add("refused-empty-label", SLOT.replace("kms-default", ""));
    add(
        "refused-no-endpoint",
        SLOT.replace(r#"["https://127.0.0.1:7443"]"#, "[]"),
    );
    add(
        "refused-plain-http-endpoint",
        SLOT.replace("https://", "http://"),
    );
    add(
        "refused-second-endpoint-not-https",
        SLOT.replace(
            r#"["https://127.0.0.1:7443"]"#,
            r#"["https://a:1", "unix:///run/kmsd.sock"]"#,
        ),
    );
    add(
        "refused-zero-connect-timeout",
        format!("{SLOT}\n[timeouts]\nconnect_ms = 0\n"),
    );
    add(
        "refused-zero-request-timeout",
        "[timeouts]\nrequest_ms = 0\n".into(),
    );
    add(
        "refused-negative-timeout",
        "[timeouts]\nconnect_ms = -5\n".into(),
    );
    add(
        "refused-unknown-top-level-key",
        format!("{SLOT}pin = \"1234\"\n"),
    );
    add(
        "refused-unknown-section",
        format!("{SLOT}\n[cache]\nttl_ms = 10\n"),
    );
    add(
        "refused-missing-key-file",
        SLOT.replace("key_file = \"client.key\"\n", ""),
    );
    add(
        "refused-endpoints-as-string",
        SLOT.replace(
            r#"["https://127.0.0.1:7443"]"#,
            r#""https://127.0.0.1:7443""#,
        ),
    );
    add(
        "refused-slots-as-table",
        SLOT.replace("[[slots]]", "[slots]"),
    );
    add(
        "refused-unterminated-array",
        "[[slots]]\nendpoints = [\"https://a:1\"\n".into(),
    );
    add(
        "refused-invalid-escape",
        SLOT.replace("kms-default", "kms\\qdefault"),
    );
}
