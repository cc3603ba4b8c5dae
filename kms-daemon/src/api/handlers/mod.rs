//! Route handlers, grouped by resource.

pub mod keys;
pub mod misc;
pub mod objects;
pub mod tokens;

use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::keys::idempotent::{self, Created};
use crate::state::{AppState, Services};
use crate::store::Dialect;
use axum::http::Uri;
use serde::Serialize;

/// Runs a service call (store, argon2, private-key operations: work that blocks). On a
/// connection thread (`server`) it runs right here, delaying only its own connection, when the
/// store is SQLite; a PostgreSQL store's blocking client starts a runtime of its own, which
/// cannot run inside the connection's, so that work goes to the main runtime's blocking pool,
/// as does any call from outside a connection thread.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Services) -> Result<T> + Send + 'static,
) -> Result<T> {
    let pool = match crate::runtime::main_runtime() {
        Some(_) if state.store.dialect() == Dialect::Sqlite => return f(state),
        Some(main) => main,
        None => tokio::runtime::Handle::current(),
    };
    let s = state.clone();
    pool.spawn_blocking(move || f(&s))
        .await
        .map_err(|_| Error::Internal("worker task failed".into()))?
}

/// A creation request as its handler received it.
pub struct Creation<Req> {
    /// Who asks.
    pub caller: Caller,
    /// The request URI (its path is part of the idempotency fingerprint).
    pub uri: Uri,
    /// The token.
    pub token: String,
    /// The audit action of the creation.
    pub action: &'static str,
    /// The body.
    pub req: Req,
}

/// Runs a creation on the blocking pool, at most once per idempotency key
/// (`keys::idempotent`): a retry with the caller's key gets the first answer again.
pub async fn create_once<Req, R>(
    state: &AppState,
    c: Creation<Req>,
    f: impl FnOnce(&Services, &Caller, &str, &Req) -> Result<R> + Send + 'static,
) -> Result<R>
where
    Req: Serialize + Send + 'static,
    R: Created + Send + 'static,
{
    blocking(state, move |svc| {
        let request = idempotent::Request {
            path: c.uri.path(),
            token: &c.token,
            action: c.action,
        };
        idempotent::once(svc, c.caller, request, &c.req, |caller| {
            f(svc, caller, &c.token, &c.req)
        })
    })
    .await
}
