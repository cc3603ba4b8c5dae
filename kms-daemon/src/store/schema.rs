//! Schema migrations, tracked in `schema_version`. Each entry of [`MIGRATIONS`] brings the schema
//! from version `i` to `i + 1`; they are applied in order, each in its own transaction.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};

/// Version 1: tokens, objects, login sessions, audit.
const V1: &str = "
CREATE TABLE tokens (
    label          TEXT PRIMARY KEY,
    serial         TEXT NOT NULL,
    user_pin_hash  TEXT,
    so_pin_hash    TEXT NOT NULL,
    user_failures  INTEGER NOT NULL DEFAULT 0,
    so_failures    INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE TABLE objects (
    id               TEXT PRIMARY KEY,
    token            TEXT NOT NULL REFERENCES tokens(label),
    class            INTEGER NOT NULL,
    key_type         INTEGER,
    is_private       INTEGER NOT NULL,
    ephemeral_owner  TEXT,
    attrs            TEXT NOT NULL,
    sealed           BLOB,
    created_at       INTEGER NOT NULL
);
CREATE INDEX objects_by_token ON objects(token, created_at);
CREATE TABLE login_sessions (
    id_hash     BLOB PRIMARY KEY,
    token       TEXT NOT NULL REFERENCES tokens(label),
    identity    TEXT NOT NULL,
    user_type   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    ts_ms       INTEGER NOT NULL,
    request_id  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    token       TEXT,
    action      TEXT NOT NULL,
    object_id   TEXT,
    mechanism   TEXT,
    outcome     TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
-- Append-only by construction; the hash chain detects edits that bypass these triggers.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
";

/// The migrations, oldest first.
const MIGRATIONS: &[&str] = &[V1];

/// The schema version a fully migrated store has.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// The store's schema version (0 for an empty file).
pub fn version(conn: &Connection) -> Result<u32> {
    let has_table: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has_table.is_none() {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?)
}

/// Applies every migration the store lacks.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let current = version(conn)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i as u32 + 1],
        )?;
        tx.commit()?;
    }
    Ok(())
}
