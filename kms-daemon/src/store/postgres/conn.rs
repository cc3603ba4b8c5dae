//! [`crate::store::db::Db`] on PostgreSQL: the blocking `postgres` client, a small pool of connections and a
//! per-connection cache of prepared statements, keyed by the SQL as the store writes it.
//!
//! TLS as the store URL says ([`super::tls`]: verified TLS, or in clear to loopback or a Unix
//! socket only). The blocking client runs its own
//! small runtime, so it must never be called from an async task: every store call of the daemon
//! runs in `spawn_blocking` (api::handlers, health, serve's purge loop).

use super::tls::Transport;
use crate::error::{Error, Result};
use crate::store::db::{Params, Value};
use ::postgres::error::SqlState;
use ::postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use ::postgres::{Client, NoTls, Statement};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;

/// Connections kept open when idle.
const MAX_IDLE: usize = 16;
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One PostgreSQL connection and its prepared statements.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// The SQLSTATE of the last statement that failed since [`PgConn::forget_failure`]
    /// (whatever error the caller made of it).
    failed_with: Option<SqlState>,
}

/// `?1 ?2 …` (SQLite's numbered placeholders, outside string literals) as `$1 $2 …`.
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A parameter bound to whatever integer, text or bytes type PostgreSQL inferred for it.
#[derive(Debug)]
struct Bind<'a>(Value<'a>);

impl ToSql for Bind<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                _ => Err(format!("an integer bound to a {ty} parameter").into()),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The parameters to bind. PostgreSQL text cannot hold a NUL character (SQLite's can): such a
/// value, which only a hostile client sends, is refused as invalid data instead of failing in
/// the server as an internal error.
fn binds<'p>(params: Params<'p>) -> Result<Vec<Bind<'p>>> {
    params
        .iter()
        .map(|p| match p.param() {
            Value::Text(s) if s.contains('\0') => Err(Error::DataInvalid),
            v => Ok(Bind(v)),
        })
        .collect()
}

pub(in crate::store) fn value(row: &::postgres::Row, i: usize) -> Result<Value<'_>> {
    let ty = row
        .columns()
        .get(i)
        .ok_or_else(|| Error::Internal(format!("no column {i}")))?
        .type_();
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
    Ok(match *ty {
        Type::INT8 => int(row.try_get(i)?),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::INT2 => int(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(i)?.map(i64::from)),
        Type::BYTEA => row
            .try_get::<_, Option<&[u8]>>(i)?
            .map_or(Value::Null, Value::Blob),
        _ => row
            .try_get::<_, Option<&str>>(i)?
            .map_or(Value::Null, Value::Text),
    })
}

impl PgConn {
    /// Notes the SQLSTATE of a failed statement.
    fn noted<T>(&mut self, r: std::result::Result<T, ::postgres::Error>) -> Result<T> {
        if let Err(e) = &r {
            if let Some(code) = e.code() {
                self.failed_with = Some(code.clone());
            }
        }
        Ok(r?)
    }

    /// Forgets the failures seen so far (at the start of a transaction).
    pub(super) fn forget_failure(&mut self) {
        self.failed_with = None;
    }

    /// Whether a statement since [`PgConn::forget_failure`] failed because PostgreSQL rolled
    /// the transaction back for a conflict with another (a serialization failure, 40001, or a
    /// deadlock, 40P01): the transaction may run again.
    pub(super) fn lost_a_conflict(&self) -> bool {
        self.failed_with.as_ref().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let prepared = self.client.prepare(&placeholders(sql));
        let st = self.noted(prepared)?;
        self.statements.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    pub(in crate::store) fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<usize> {
        let st = self.statement(sql)?;
        let binds = binds(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
        let executed = self.client.execute(&st, &refs);
        let n = self.noted(executed)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(in crate::store) fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Vec<::postgres::Row>> {
        let st = self.statement(sql)?;
        let binds = binds(params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
        let rows = self.client.query(&st, &refs);
        self.noted(rows)
    }

    /// Runs statements without parameters (schema changes, BEGIN/COMMIT).
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let done = self.client.batch_execute(sql);
        self.noted(done)
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// The connections of one PostgreSQL store.
pub struct PgPool {
    config: ::postgres::Config,
    transport: Transport,
    idle: Mutex<Vec<PgConn>>,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may carry a password.
        let db = self.config.get_dbname().unwrap_or("?");
        write!(f, "PgPool({db})")
    }
}

impl PgPool {
    /// A pool for `url` (`postgres://user@host:port/db`, with TLS parameters as
    /// [`Transport::from_url`] reads them); connects on first use.
    pub fn new(url: &str) -> Result<PgPool> {
        let (url, transport) = Transport::from_url(url)?;
        let mut config: ::postgres::Config = url
            .parse()
            .map_err(|e| Error::Config(format!("store URL is not a PostgreSQL URL: {e}")))?;
        transport.check_hosts(&config)?;
        if let Transport::Tls(_) = transport {
            // TLS or no connection: never a fallback to clear text.
            config.ssl_mode(::postgres::config::SslMode::Require);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        Ok(PgPool {
            config,
            transport,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The database name, for messages.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("")
    }

    fn connect(&self) -> Result<PgConn> {
        let client = match &self.transport {
            Transport::Clear => self.config.connect(NoTls),
            Transport::Tls(tls) => self.config.connect(tls.clone()),
        };
        Ok(PgConn {
            client: client?,
            statements: HashMap::new(),
            failed_with: None,
        })
    }

    /// Runs `f` on a pooled connection; a connection that broke is not kept.
    pub fn with<T>(&self, f: impl FnOnce(&mut PgConn) -> Result<T>) -> Result<T> {
        let pooled = self.idle.lock().pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = f(&mut conn);
        if !conn.is_closed() {
            let mut idle = self.idle.lock();
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        out
    }
}

impl Drop for PgPool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut *self.idle.lock());
        if idle.is_empty() {
            return;
        }
        // The blocking client closes its connection with a blocking call, which panics on an
        // async thread (kmsd's services are dropped at the end of its runtime): close them on
        // a thread of their own.
        let _ = std::thread::spawn(move || drop(idle)).join();
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_rewritten_outside_literals() {
        assert_eq!(
            placeholders("UPDATE t SET a = ?12, b = '?1' WHERE c = ?1 AND d IS ?"),
            "UPDATE t SET a = $12, b = '?1' WHERE c = $1 AND d IS ?"
        );
    }
}
