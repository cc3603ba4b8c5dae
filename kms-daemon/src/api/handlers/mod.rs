//! Route handlers, grouped by resource.

pub mod keys;
pub mod misc;
pub mod objects;
pub mod tokens;

use crate::error::{Error, Result};
use crate::state::{AppState, Services};

/// Runs a service call on the blocking pool (SQLite, argon2, RSA never run on the async workers).
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Services) -> Result<T> + Send + 'static,
) -> Result<T> {
    let s = state.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(|_| Error::Internal("worker task failed".into()))?
}
