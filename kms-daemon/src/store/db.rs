//! One database interface over the store's two backends, SQLite and PostgreSQL.
//!
//! Store code receives a [`Db`] and writes its SQL once: `?1 ?2` positional placeholders (native
//! in SQLite, rewritten to `$1 $2` for PostgreSQL once per statement and cached with it) and
//! portable SQL only (`ON CONFLICT … DO …`, `RETURNING`, `COALESCE`). Parameters and columns are
//! backend-neutral [`Value`]s: integers (booleans are integers), text and bytes, any of them null.
//! Where a statement truly differs, the caller branches on [`Db::dialect`] in that one place.

use super::postgres::conn as postgres;
use super::sqlite::conn as sqlite;

pub use super::postgres::conn::{PgConn, PgPool};

use crate::error::{Error, Result};
use std::cell::RefCell;

/// The SQL dialect behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL (several daemons on one store).
    Postgres,
}

/// A parameter or column value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// An integer (also a boolean: 0 or 1).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A value that can be passed as a statement parameter.
pub trait ToParam {
    /// The value to bind.
    fn param(&self) -> Value<'_>;
}

impl ToParam for i64 {
    fn param(&self) -> Value<'_> {
        Value::Int(*self)
    }
}
impl ToParam for i32 {
    fn param(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl ToParam for u32 {
    fn param(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl ToParam for bool {
    fn param(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl ToParam for str {
    fn param(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl ToParam for String {
    fn param(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl ToParam for [u8] {
    fn param(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl ToParam for Vec<u8> {
    fn param(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<const N: usize> ToParam for [u8; N] {
    fn param(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<T: ToParam + ?Sized> ToParam for &T {
    fn param(&self) -> Value<'_> {
        (**self).param()
    }
}
impl<T: ToParam> ToParam for Option<T> {
    fn param(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToParam::param)
    }
}

/// The parameters of one statement, in placeholder order.
pub type Params<'p> = &'p [&'p dyn ToParam];

/// `params![a, b, …]`: the parameters of one statement (use it as `store::db::params`).
#[macro_export]
macro_rules! db_params {
    ($($p:expr),* $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::ToParam),*] as $crate::store::db::Params<'_>
    };
}
pub use crate::db_params as params;

/// A column type a [`Row`] can be read as.
pub trait FromValue: Sized {
    /// Converts a column value; a null or a value of another kind is an integrity failure.
    fn from_value(v: Value<'_>) -> Result<Self>;
}

fn wrong_type(want: &str) -> Error {
    Error::IntegrityFailure(format!("stored column is not {want}"))
}

impl FromValue for i64 {
    fn from_value(v: Value<'_>) -> Result<Self> {
        match v {
            Value::Int(i) => Ok(i),
            _ => Err(wrong_type("an integer")),
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: Value<'_>) -> Result<Self> {
        u32::try_from(i64::from_value(v)?).map_err(|_| wrong_type("a u32"))
    }
}
impl FromValue for bool {
    fn from_value(v: Value<'_>) -> Result<Self> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl FromValue for String {
    fn from_value(v: Value<'_>) -> Result<Self> {
        match v {
            Value::Text(s) => Ok(s.to_owned()),
            _ => Err(wrong_type("text")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value<'_>) -> Result<Self> {
        match v {
            Value::Blob(b) => Ok(b.to_vec()),
            _ => Err(wrong_type("bytes")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value<'_>) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row.
pub struct Row<'r>(RowRef<'r>);

enum RowRef<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r ::postgres::Row),
}

impl Row<'_> {
    /// Column `i` (from 0) as `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        match &self.0 {
            RowRef::Sqlite(r) => T::from_value(sqlite::value(r, i)?),
            RowRef::Pg(r) => T::from_value(postgres::value(r, i)?),
        }
    }
}

/// A connection (inside a transaction for [`crate::store::Store::tx`]).
pub struct Db<'a>(Conn<'a>);

enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(RefCell<&'a mut PgConn>),
}

impl<'a> Db<'a> {
    /// A SQLite connection.
    pub fn sqlite(conn: &'a rusqlite::Connection) -> Self {
        Db(Conn::Sqlite(conn))
    }

    /// A PostgreSQL connection.
    pub fn postgres(conn: &'a mut PgConn) -> Self {
        Db(Conn::Pg(RefCell::new(conn)))
    }

    /// Which SQL dialect this is.
    pub fn dialect(&self) -> Dialect {
        match self.0 {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Pg(_) => Dialect::Postgres,
        }
    }

    /// The clause that makes a `SELECT` in a transaction lock the rows it reads until the
    /// transaction ends: ` FOR UPDATE` on PostgreSQL, where replicas write concurrently; nothing
    /// on SQLite, where a transaction already holds the one write lock.
    pub fn for_update(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The SQLite connection, for the few things that are SQLite by nature (audit head).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match self.0 {
            Conn::Sqlite(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    /// Runs one statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: Params<'_>) -> Result<usize> {
        match &self.0 {
            Conn::Sqlite(c) => sqlite::execute(c, sql, params),
            Conn::Pg(c) => c.borrow_mut().execute(sql, params),
        }
    }

    /// Runs several statements without parameters (schema changes).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.0 {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(c) => c.borrow_mut().execute_batch(sql),
        }
    }

    /// Every row of a query, each mapped by `f`.
    pub fn query_all<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match &self.0 {
            Conn::Sqlite(c) => sqlite::query(c, sql, params, None, |r| f(&Row(RowRef::Sqlite(r)))),
            Conn::Pg(c) => c
                .borrow_mut()
                .query(sql, params)?
                .iter()
                .map(|r| f(&Row(RowRef::Pg(r))))
                .collect(),
        }
    }

    /// The first row of a query, if any, mapped by `f`.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match &self.0 {
            Conn::Sqlite(c) => {
                Ok(sqlite::query(c, sql, params, Some(1), |r| f(&Row(RowRef::Sqlite(r))))?.pop())
            }
            Conn::Pg(c) => c
                .borrow_mut()
                .query(sql, params)?
                .first()
                .map(|r| f(&Row(RowRef::Pg(r))))
                .transpose(),
        }
    }

    /// The first row of a query, which must exist, mapped by `f`.
    pub fn query_one<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, f)?
            .ok_or_else(|| Error::Internal("a store query returned no row".into()))
    }
}
