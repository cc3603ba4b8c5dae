//! How the administration commands print keys: a table for lists, `key: value` lines for one
//! key, and a stable JSON form (`--json`) for scripts. No secret is ever printed: a key row holds
//! public attributes and policy only.

use crate::ck::*;
use crate::clock::now_ms;
use crate::model::dates::rfc3339;
use crate::model::object::StoredObject;
use kms_api::AttrValue;
use serde::Serialize;

/// One key as the administration commands show it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyView {
    /// kmsd's id (`CKA_KMS_OBJECT_ID`).
    pub id: String,
    /// Token label.
    pub token: String,
    /// `secret`, `private` or `public`.
    pub class: String,
    /// `aes`, `rsa`, `ec` …
    pub key_type: String,
    /// `CKA_LABEL` (lossy UTF-8).
    pub label: String,
    /// The state that applies now (window included).
    pub state: String,
    /// The primary version of the material.
    pub version: u32,
    /// The state as stored.
    pub stored_state: String,
    /// Activation date (RFC 3339), if any.
    pub not_before: Option<String>,
    /// Deactivation date (RFC 3339), if any.
    pub not_after: Option<String>,
    /// Uses so far.
    pub uses: u64,
    /// Most uses allowed, if limited.
    pub max_uses: Option<u64>,
    /// Client identities allowed to use the key; absent = any.
    pub principals: Option<Vec<String>>,
    /// When destruction is scheduled for, or happened.
    pub destroy_at: Option<String>,
    /// Whether the material is still there.
    pub has_material: bool,
    /// Revocation reason.
    pub reason: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

fn class_name(class: u64) -> String {
    match class {
        CKO_SECRET_KEY => "secret".into(),
        CKO_PRIVATE_KEY => "private".into(),
        CKO_PUBLIC_KEY => "public".into(),
        other => format!("0x{other:x}"),
    }
}

fn key_type_name(key_type: Option<u64>) -> String {
    match key_type {
        Some(CKK_AES) => "aes".into(),
        Some(CKK_RSA) => "rsa".into(),
        Some(CKK_EC) => "ec".into(),
        Some(CKK_EC_EDWARDS) => "ec_edwards".into(),
        Some(CKK_GENERIC_SECRET) => "generic_secret".into(),
        Some(other) => format!("0x{other:x}"),
        None => "-".into(),
    }
}

impl KeyView {
    /// The view of a stored key, its state evaluated now.
    pub fn of(o: &StoredObject) -> KeyView {
        let label = match o.attrs.get(&CKA_LABEL) {
            Some(AttrValue::Bytes(b)) => String::from_utf8_lossy(&b.0).into_owned(),
            _ => String::new(),
        };
        KeyView {
            id: o.id.clone(),
            token: o.token.clone(),
            class: class_name(o.class),
            key_type: key_type_name(o.key_type),
            label,
            state: o.life.effective(now_ms()).as_str().into(),
            version: o.version,
            stored_state: o.life.state.as_str().into(),
            not_before: o.life.not_before.map(rfc3339),
            not_after: o.life.not_after.map(rfc3339),
            uses: o.life.uses,
            max_uses: o.life.max_uses,
            principals: o.life.principals.clone(),
            destroy_at: o.life.destroy_at.map(rfc3339),
            has_material: o.sealed.is_some(),
            reason: o.life.reason.clone(),
            created_at: rfc3339(o.created_at),
        }
    }

    /// The state column: the state, and a pending destruction.
    fn state_cell(&self) -> String {
        match (&self.destroy_at, self.stored_state.as_str()) {
            (Some(at), s) if s != "destroyed" => format!("{} (destroy at {at})", self.state),
            _ => self.state.clone(),
        }
    }

    /// `key: value` lines.
    pub fn details(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let uses = match self.max_uses {
            Some(m) => format!("{} of {m}", self.uses),
            None => format!("{} (no limit)", self.uses),
        };
        let principals = match &self.principals {
            Some(p) => p.join("; "),
            None => "any logged-in user".into(),
        };
        let rows = [
            ("id", self.id.clone()),
            ("token", self.token.clone()),
            ("class", self.class.clone()),
            ("key type", self.key_type.clone()),
            ("label", self.label.clone()),
            ("state", self.state_cell()),
            ("stored state", self.stored_state.clone()),
            ("version", self.version.to_string()),
            ("not before", opt(&self.not_before)),
            ("not after", opt(&self.not_after)),
            ("uses", uses),
            ("principals", principals),
            (
                "material",
                if self.has_material {
                    "sealed"
                } else {
                    "erased"
                }
                .into(),
            ),
            ("reason", opt(&self.reason)),
            ("created", self.created_at.clone()),
        ];
        rows.iter().map(|(k, v)| format!("{k:<13} {v}\n")).collect()
    }
}

/// A table with a header row; each column as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

/// The key table of `kmsd key list`.
pub fn key_table(keys: &[KeyView]) -> String {
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.id.clone(),
                k.token.clone(),
                format!("{}/{}", k.class, k.key_type),
                k.state_cell(),
                match k.max_uses {
                    Some(m) => format!("{}/{m}", k.uses),
                    None => k.uses.to_string(),
                },
                k.label.clone(),
            ]
        })
        .collect();
    table(&["ID", "TOKEN", "KIND", "STATE", "USES", "LABEL"], &rows)
}

/// JSON text of `v` (pretty for one object).
pub fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up() {
        let t = table(
            &["ID", "STATE"],
            &[
                vec!["a".into(), "active".into()],
                vec!["long-id".into(), "x".into()],
            ],
        );
        assert_eq!(t, "ID       STATE\na        active\nlong-id  x\n");
    }
}
