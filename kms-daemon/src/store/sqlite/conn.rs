//! [`crate::store::db::Db`] on SQLite: statements are prepared once per connection (`prepare_cached`).

use crate::error::{Error, Result};
use crate::store::db::{Params, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

/// Statements kept prepared per connection (the store has fewer distinct ones).
pub(super) const STATEMENT_CACHE: usize = 256;

struct Bind<'a>(Value<'a>);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn bind<'p>(params: Params<'p>) -> impl Iterator<Item = Bind<'p>> {
    params.iter().map(|p| Bind(p.param()))
}

pub(in crate::store) fn value<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Value<'r>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|_| Error::IntegrityFailure("stored text is not UTF-8".into()))?,
        ),
        ValueRef::Blob(b) => Value::Blob(b),
        ValueRef::Real(_) => {
            return Err(Error::IntegrityFailure("stored column is a float".into()))
        }
    })
}

pub(in crate::store) fn execute(conn: &Connection, sql: &str, params: Params<'_>) -> Result<usize> {
    let mut st = conn.prepare_cached(sql)?;
    Ok(st.execute(rusqlite::params_from_iter(bind(params)))?)
}

/// The rows of a query mapped by `f`, at most `limit` of them.
pub(in crate::store) fn query<T>(
    conn: &Connection,
    sql: &str,
    params: Params<'_>,
    limit: Option<usize>,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(bind(params)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(r)?);
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(out)
}
