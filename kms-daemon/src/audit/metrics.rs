//! What the audit writer counts: one `kmsd_operations_total` per record (and a login failure per
//! refused login), with label values that stay bounded whatever clients send.

use crate::metrics;
use crate::store::db::Db;
use std::collections::BTreeSet;

/// Token labels found in the token table, so that the audit writer asks the store once per
/// token rather than once per record. Bounded: past [`KNOWN_TOKENS_MAX`] labels it asks again.
static KNOWN_TOKENS: parking_lot::RwLock<BTreeSet<String>> =
    parking_lot::RwLock::new(BTreeSet::new());
const KNOWN_TOKENS_MAX: usize = 1024;

/// The token label to use for `token`: itself if the token table has (or had) it, else
/// `unknown`.
pub fn token_label(conn: &Db<'_>, token: Option<&str>) -> String {
    let Some(t) = token else {
        return "none".to_owned();
    };
    if KNOWN_TOKENS.read().contains(t) {
        return t.to_owned();
    }
    match crate::store::tokens::get(conn, t) {
        Ok(Some(_)) => {
            let mut known = KNOWN_TOKENS.write();
            if known.len() < KNOWN_TOKENS_MAX {
                known.insert(t.to_owned());
            }
            t.to_owned()
        }
        _ => "unknown".to_owned(),
    }
}

/// The mechanism label: a name kmsd knows, `none`, or `other` (an unknown number).
pub fn mechanism_label(mechanism: Option<&str>) -> &str {
    match mechanism {
        None => "none",
        Some(m) if m.starts_with("CKM_0x") => "other",
        Some(m) => m,
    }
}

/// Records an audited operation (called by the audit writer, inside the store transaction).
pub fn record_operation(conn: &Db<'_>, e: &super::Event) {
    let token = token_label(conn, e.token.as_deref());
    let mechanism = mechanism_label(e.mechanism.as_deref());
    metrics::OPERATIONS.inc(&[&e.action, mechanism, &e.outcome, &token]);
    if e.action == "login" && e.outcome != "ok" {
        metrics::LOGIN_FAILURES.inc(&[&token, &e.outcome]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tokens::{self, TokenRow};

    #[test]
    fn labels_are_bounded() {
        assert_eq!(mechanism_label(Some("CKM_0x80001234")), "other");
        assert_eq!(mechanism_label(Some("CKM_ECDSA")), "CKM_ECDSA");
        assert_eq!(mechanism_label(None), "none");
        let (_scratch, store) = crate::store::testing::fresh();
        let row = TokenRow {
            label: "known".into(),
            serial: "0".into(),
            user_pin_hash: None,
            so_pin_hash: String::new(),
            user_failures: 0,
            so_failures: 0,
            admitted: None,
        };
        store.tx(|tx| tokens::insert(tx, &row, 0)).unwrap();
        store
            .read(|c| {
                assert_eq!(token_label(c, Some("known")), "known");
                assert_eq!(token_label(c, Some("made-up-by-a-client")), "unknown");
                assert_eq!(token_label(c, None), "none");
                Ok(())
            })
            .unwrap();
    }
}
