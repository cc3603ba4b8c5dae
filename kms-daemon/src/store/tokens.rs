//! `tokens` rows: label, serial, PIN hashes, the durable failure counters (security R16) and
//! the identities the token admits (schema v8; `auth::tokens` documents admission).

use crate::error::{Error, Result};
use crate::store::db::{params, Db, Row};
use kms_api::msg::UserType;

/// One token.
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// Label (also its name in paths).
    pub label: String,
    /// Serial number (≤ 16 characters).
    pub serial: String,
    /// argon2id PHC string of the user PIN, if set.
    pub user_pin_hash: Option<String>,
    /// argon2id PHC string of the SO PIN.
    pub so_pin_hash: String,
    /// Wrong user PINs since the last success.
    pub user_failures: u32,
    /// Wrong SO PINs since the last success.
    pub so_failures: u32,
    /// The client identities (canonical form) the token admits; `None`: every identity of the
    /// client CA (tokens made before schema v8, or with `--allow-any`).
    pub admitted: Option<Vec<String>>,
}

impl TokenRow {
    /// The failure counter of `user_type`.
    pub fn failures(&self, user_type: UserType) -> u32 {
        match user_type {
            UserType::User => self.user_failures,
            UserType::So => self.so_failures,
        }
    }

    /// Whether the token admits client `identity`.
    pub fn admits(&self, identity: &str) -> bool {
        self.admitted
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == identity))
    }

    /// The PIN hash of `user_type`.
    pub fn pin_hash(&self, user_type: UserType) -> Option<&str> {
        match user_type {
            UserType::User => self.user_pin_hash.as_deref(),
            UserType::So => Some(&self.so_pin_hash),
        }
    }
}

const COLUMNS: &str =
    "label, serial, user_pin_hash, so_pin_hash, user_failures, so_failures, admitted";

fn from_row(r: &Row<'_>) -> Result<TokenRow> {
    let admitted: Option<String> = r.get(6)?;
    Ok(TokenRow {
        label: r.get(0)?,
        serial: r.get(1)?,
        user_pin_hash: r.get(2)?,
        so_pin_hash: r.get(3)?,
        user_failures: r.get(4)?,
        so_failures: r.get(5)?,
        admitted: admitted
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|_| Error::IntegrityFailure("unreadable token admission list".into()))
            })
            .transpose()?,
    })
}

fn admitted_text(admitted: Option<&[String]>) -> Result<Option<String>> {
    admitted
        .map(|list| serde_json::to_string(list).map_err(|e| Error::Internal(e.to_string())))
        .transpose()
}

/// The token with this label.
pub fn get(db: &Db<'_>, label: &str) -> Result<Option<TokenRow>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM tokens WHERE label = ?1"),
        params![label],
        from_row,
    )
}

/// The token with this label, its row locked until the transaction ends ([`Db::for_update`]):
/// the PIN check reads the failure counter and counts a failure as one step on every replica.
pub fn get_locked(db: &Db<'_>, label: &str) -> Result<Option<TokenRow>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM tokens WHERE label = ?1{}",
            db.for_update()
        ),
        params![label],
        from_row,
    )
}

/// Every token, in label order.
pub fn list(db: &Db<'_>) -> Result<Vec<TokenRow>> {
    db.query_all(
        &format!("SELECT {COLUMNS} FROM tokens ORDER BY label"),
        params![],
        from_row,
    )
}

/// Inserts a new token.
pub fn insert(db: &Db<'_>, t: &TokenRow, now_ms: i64) -> Result<()> {
    let admitted = admitted_text(t.admitted.as_deref())?;
    db.execute(
        &format!(
            "INSERT INTO tokens ({COLUMNS}, created_at) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6)"
        ),
        params![
            t.label,
            t.serial,
            t.user_pin_hash,
            t.so_pin_hash,
            admitted,
            now_ms
        ],
    )?;
    Ok(())
}

/// Replaces the identities the token admits (`None`: every identity).
pub fn set_admitted(db: &Db<'_>, label: &str, admitted: Option<&[String]>) -> Result<()> {
    let admitted = admitted_text(admitted)?;
    db.execute(
        "UPDATE tokens SET admitted = ?2 WHERE label = ?1",
        params![label, admitted],
    )?;
    Ok(())
}

fn column(user_type: UserType) -> &'static str {
    match user_type {
        UserType::User => "user_failures",
        UserType::So => "so_failures",
    }
}

/// Atomically adds one failure and returns the new count.
pub fn add_failure(db: &Db<'_>, label: &str, user_type: UserType) -> Result<u32> {
    let col = column(user_type);
    db.query_one(
        &format!("UPDATE tokens SET {col} = {col} + 1 WHERE label = ?1 RETURNING {col}"),
        params![label],
        |r| r.get(0),
    )
}

/// Resets the failure counter after a successful login.
pub fn reset_failures(db: &Db<'_>, label: &str, user_type: UserType) -> Result<()> {
    db.execute(
        &format!(
            "UPDATE tokens SET {} = 0 WHERE label = ?1",
            column(user_type)
        ),
        params![label],
    )?;
    Ok(())
}

/// Stores a new PIN hash for `user_type` and resets its failure counter (C_SetPIN, C_InitPIN).
pub fn set_pin_hash(db: &Db<'_>, label: &str, user_type: UserType, hash: &str) -> Result<()> {
    let sql = match user_type {
        UserType::User => {
            "UPDATE tokens SET user_pin_hash = ?2, user_failures = 0 WHERE label = ?1"
        }
        UserType::So => "UPDATE tokens SET so_pin_hash = ?2, so_failures = 0 WHERE label = ?1",
    };
    db.execute(sql, params![label, hash])?;
    Ok(())
}

/// Forgets the user PIN (`C_InitToken`): the user cannot log in until the SO sets a new one.
pub fn clear_user_pin(db: &Db<'_>, label: &str) -> Result<()> {
    db.execute(
        "UPDATE tokens SET user_pin_hash = NULL, user_failures = 0 WHERE label = ?1",
        params![label],
    )?;
    Ok(())
}

/// Deletes a token and its objects (their rows; the caller ended its login sessions and checked
/// that no key material is left).
pub fn delete(db: &Db<'_>, label: &str) -> Result<()> {
    db.execute("DELETE FROM objects WHERE token = ?1", params![label])?;
    db.execute("DELETE FROM tokens WHERE label = ?1", params![label])?;
    Ok(())
}
