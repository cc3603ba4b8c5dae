//! The PostgreSQL schema: the same tables, indexes and constraints as SQLite's migrations
//! ([`crate::store::sqlite::schema`]), step for step, so that both stores report the same schema version.
//! Types: INTEGER → BIGINT, BLOB → BYTEA, TEXT → TEXT; booleans stay integers. `objects` has a
//! `rowid` column of its own (SQLite's implicit one orders rows created in the same
//! millisecond). Migrations run under a session advisory lock, so replicas starting together
//! apply each step once.

use super::conn::PgConn;
use crate::error::{Error, Result};
use crate::store::db::{params, Db};

/// The advisory lock key held while migrating ("kmsd" + 1).
const MIGRATE_LOCK: i64 = 0x6b6d_7364_0001;

/// Version 1: tokens, objects, login sessions, an append-only audit.
const V1: &str = "
CREATE TABLE tokens (
    label          TEXT PRIMARY KEY,
    serial         TEXT NOT NULL,
    user_pin_hash  TEXT,
    so_pin_hash    TEXT NOT NULL,
    user_failures  BIGINT NOT NULL DEFAULT 0,
    so_failures    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);
CREATE TABLE objects (
    rowid            BIGSERIAL NOT NULL UNIQUE,
    id               TEXT PRIMARY KEY,
    token            TEXT NOT NULL REFERENCES tokens(label),
    class            BIGINT NOT NULL,
    key_type         BIGINT,
    is_private       BIGINT NOT NULL,
    ephemeral_owner  TEXT,
    attrs            TEXT NOT NULL,
    sealed           BYTEA,
    created_at       BIGINT NOT NULL
);
CREATE INDEX objects_by_token ON objects(token, created_at);
CREATE TABLE login_sessions (
    id_hash     BYTEA PRIMARY KEY,
    token       TEXT NOT NULL REFERENCES tokens(label),
    identity    TEXT NOT NULL,
    user_type   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);
CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    ts_ms       BIGINT NOT NULL,
    request_id  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    token       TEXT,
    action      TEXT NOT NULL,
    object_id   TEXT,
    mechanism   TEXT,
    outcome     TEXT NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
-- Append-only by construction; the hash chain detects edits that bypass these triggers.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
";

/// Version 2: `audit.detail`.
const V2: &str = "ALTER TABLE audit ADD COLUMN detail TEXT;";

/// Version 3: life cycle and policy columns, key versions.
const V3: &str = "
ALTER TABLE objects ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE objects ADD COLUMN not_before BIGINT;
ALTER TABLE objects ADD COLUMN not_after BIGINT;
ALTER TABLE objects ADD COLUMN max_uses BIGINT;
ALTER TABLE objects ADD COLUMN uses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN principals TEXT;
ALTER TABLE objects ADD COLUMN destroy_at BIGINT;
ALTER TABLE objects ADD COLUMN state_reason TEXT;
ALTER TABLE objects ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE key_versions (
    object_id   TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    sealed      BYTEA,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (object_id, version)
);
CREATE INDEX objects_by_destroy_at ON objects(destroy_at) WHERE destroy_at IS NOT NULL;
CREATE INDEX audit_by_object ON audit(object_id);
";

/// Version 4: master key versions.
const V4: &str = "
CREATE TABLE master_keys (
    version     BIGINT PRIMARY KEY CHECK (version >= 2),
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE master_key_epoch (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    erased_below  BIGINT NOT NULL
);
INSERT INTO master_key_epoch (id, erased_below) VALUES (1, 1);
";

/// Version 5: search keys. No PostgreSQL store predates them, so there is nothing to fill.
const V5: &str = "
ALTER TABLE objects ADD COLUMN label TEXT;
ALTER TABLE objects ADD COLUMN ckid TEXT;
CREATE INDEX objects_by_label ON objects(token, label);
CREATE INDEX objects_by_ckid ON objects(token, ckid);
CREATE INDEX objects_by_class ON objects(token, class);
";

/// Versions 6 (idempotency keys), 7 (search indexes ending with `created_at`), 8 (token
/// admission) and 9 (session objects' creator): portable SQL, the same as SQLite's.
use crate::store::sqlite::schema::{V6, V7, V8, V9};

/// The migrations, oldest first; as many as SQLite's.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

const _: () = assert!(MIGRATIONS.len() == crate::store::LATEST_SCHEMA as usize);

/// The schema version (0 for a database without a kmsd store).
pub(in crate::store) fn version(db: &Db<'_>) -> Result<u32> {
    let tables: i64 = db.query_one(
        "SELECT COUNT(*) FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = 'schema_version'",
        params![],
        |r| r.get(0),
    )?;
    if tables == 0 {
        return Ok(0);
    }
    db.query_one(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        params![],
        |r| r.get(0),
    )
}

/// Applies every migration the database lacks, under the migration lock; returns the version
/// found before. A database newer than this binary is refused.
pub(in crate::store) fn migrate(c: &mut PgConn) -> Result<u32> {
    c.execute_batch(&format!("SELECT pg_advisory_lock({MIGRATE_LOCK})"))?;
    let out = migrate_locked(c);
    let unlocked = c.execute_batch(&format!("SELECT pg_advisory_unlock({MIGRATE_LOCK})"));
    let before = out?;
    unlocked?;
    Ok(before)
}

fn migrate_locked(c: &mut PgConn) -> Result<u32> {
    c.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let before = version(&Db::postgres(c))?;
    if before > crate::store::LATEST_SCHEMA {
        return Err(Error::Config(format!(
            "store schema version {before} is newer than this kmsd supports ({})",
            crate::store::LATEST_SCHEMA
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(before as usize) {
        c.execute_batch(&format!(
            "BEGIN; {sql}; INSERT INTO schema_version (version) VALUES ({}); COMMIT;",
            i + 1
        ))?;
    }
    Ok(before)
}
