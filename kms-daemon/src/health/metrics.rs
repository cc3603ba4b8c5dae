//! The `/metrics` exposition: kmsd's counters and histograms ([`crate::metrics`]), the build
//! info, and the gauges computed at scrape time from the store (objects by token, class, key
//! type, lifetime and state).

use crate::ck::*;
use crate::metrics::registry;
use crate::metrics::*;
use crate::model::lifecycle::State;
use crate::store::db::params;
use crate::store::Store;
use std::fmt::Write as _;

fn class_name(class: u64) -> &'static str {
    match class {
        CKO_DATA => "data",
        CKO_CERTIFICATE => "certificate",
        CKO_PUBLIC_KEY => "public_key",
        CKO_PRIVATE_KEY => "private_key",
        CKO_SECRET_KEY => "secret_key",
        _ => "other",
    }
}

fn key_type_name(key_type: Option<u64>) -> &'static str {
    match key_type {
        None => "none",
        Some(CKK_RSA) => "rsa",
        Some(CKK_EC) => "ec",
        Some(CKK_AES) => "aes",
        Some(CKK_GENERIC_SECRET) => "generic_secret",
        Some(_) => "other",
    }
}

/// `kmsd_objects{token,class,key_type,lifetime}`: counted from the store at scrape time.
fn render_objects(out: &mut String, store: &Store) -> crate::Result<()> {
    let rows = store.read(|conn| {
        conn.query_all(
            "SELECT token, class, key_type, ephemeral_owner IS NOT NULL, state, count(*) \
             FROM objects GROUP BY token, class, key_type, ephemeral_owner IS NOT NULL, state \
             ORDER BY 1, 2, 3, 4, 5",
            params![],
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<i64>(1)?,
                    r.get::<Option<i64>>(2)?,
                    r.get::<bool>(3)?,
                    r.get::<String>(4)?,
                    r.get::<i64>(5)?,
                ))
            },
        )
    })?;
    let name = "kmsd_objects";
    registry::header(
        out,
        name,
        "Objects in the store, by token, class, key type, lifetime (token or session object) and \
         life-cycle state.",
        "gauge",
    );
    let mut totals = std::collections::BTreeMap::<Vec<String>, i64>::new();
    for (token, class, key_type, session, state, n) in rows {
        let state = State::parse(&state)
            .map_or("unknown", |s| s.as_str())
            .to_owned();
        let values = vec![
            token,
            class_name(class as u64).to_owned(),
            key_type_name(key_type.map(|k| k as u64)).to_owned(),
            if session { "session" } else { "token" }.to_owned(),
            state,
        ];
        *totals.entry(values).or_insert(0) += n;
    }
    for (values, n) in totals {
        let labels = registry::label_text(
            &["token", "class", "key_type", "lifetime", "state"],
            &values,
            None,
        );
        let _ = writeln!(out, "{name}{labels} {n}");
    }
    Ok(())
}

/// The whole exposition: counters and histograms, `kmsd_build_info`, `kmsd_sealed`, and the
/// store gauges (omitted, with `kmsd_store_up 0`, when the store cannot be read).
pub fn render(store: &Store, sealed: bool, in_flight: u64) -> String {
    let mut out = String::new();
    registry::header(
        &mut out,
        "kmsd_build_info",
        "Build information; the value is always 1.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "kmsd_build_info{} 1",
        registry::label_text(&["version"], &[env!("CARGO_PKG_VERSION").to_owned()], None)
    );
    registry::header(
        &mut out,
        "kmsd_sealed",
        "1 while kmsd is sealed (the master key not given yet: kmsd unseal), else 0.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_sealed {}", u8::from(sealed));
    registry::header(
        &mut out,
        "kmsd_requests_in_flight",
        "API requests admitted and not finished yet, all identities together.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_requests_in_flight {in_flight}");
    registry::header(
        &mut out,
        "kmsd_audit_chain_broken",
        "1 once kmsd found its audit chain broken (a record changed, removed or inserted since \
         it was written: see kmsd's log and run kmsd audit verify), else 0.",
        "gauge",
    );
    let broken = crate::metrics::AUDIT_CHAIN_BROKEN.load(std::sync::atomic::Ordering::Relaxed);
    let _ = writeln!(out, "kmsd_audit_chain_broken {}", u8::from(broken));
    HTTP_REQUESTS.render(&mut out);
    REQUEST_DURATION.render(&mut out);
    OPERATIONS.render(&mut out);
    LOGIN_FAILURES.render(&mut out);
    PIN_LOCKOUTS.render(&mut out);
    LIMIT_REFUSALS.render(&mut out);
    TLS_HANDSHAKE_FAILURES.render(&mut out);
    STORE_TX_DURATION.render(&mut out);
    STORE_RETRIES.render(&mut out);
    AUDIT_WRITE_DURATION.render(&mut out);
    let mut objects = String::new();
    let up = match render_objects(&mut objects, store) {
        Ok(()) => 1,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the store could not be read");
            0
        }
    };
    registry::header(
        &mut out,
        "kmsd_store_up",
        "1 if the store answered the scrape's queries, else 0.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_store_up {up}");
    out.push_str(&objects);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_the_gauges() {
        let (_scratch, store) = crate::store::testing::fresh();
        crate::auth::tokens::create_token(&store, "known", b"123456", b"12345678", None).unwrap();
        let text = render(&store, false, 3);
        assert!(text.contains("kmsd_requests_in_flight 3\n"), "{text}");
        assert!(text.contains("kmsd_store_up 1\n"), "{text}");
        assert!(text.contains("kmsd_sealed 0\n"), "{text}");
        assert!(render(&store, true, 0).contains("kmsd_sealed 1\n"));
        assert!(text.contains("# TYPE kmsd_objects gauge\n"), "{text}");
        assert!(
            text.contains(&format!(
                "kmsd_build_info{{version=\"{}\"}} 1\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
    }
}
