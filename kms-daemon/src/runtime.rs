//! Where a request's blocking work runs. The server serves each connection on a thread of its own
//! (`server`), with a single-threaded runtime for its TLS and HTTP; the front ends ask
//! [`main_runtime`] whether they are on such a thread.

thread_local! {
    /// On a connection thread: the main runtime (see [`main_runtime`]).
    static MAIN_RUNTIME: std::cell::RefCell<Option<tokio::runtime::Handle>> =
        const { std::cell::RefCell::new(None) };
}

/// On a connection thread, the main runtime: blocking work may simply run on the connection's
/// thread (it delays only its own connection), except work that must not run inside a runtime
/// (the blocking PostgreSQL client starts one of its own), which goes to the main runtime's
/// blocking pool. `None` elsewhere.
pub fn main_runtime() -> Option<tokio::runtime::Handle> {
    MAIN_RUNTIME.with(|m| m.borrow().clone())
}

/// Marks the current thread as a connection thread of the runtime `main`.
pub fn enter_connection_thread(main: tokio::runtime::Handle) {
    MAIN_RUNTIME.with(|m| *m.borrow_mut() = Some(main));
}
