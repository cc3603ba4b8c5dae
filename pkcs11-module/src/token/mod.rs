//! The token layer: the library's state (slots, sessions, object handles, login) and every
//! PKCS#11 function as a safe method returning `Result`. Nothing here is `unsafe`; the FFI
//! layer converts C arguments into these calls.
//!
//! Layers, each importing only those below it:
//! - [`session`], [`objects`], [`keys`], [`transport`], [`operations`] — the C functions, as
//!   methods of [`SessionRef`] (or of [`Library`] for those that take a slot or close sessions);
//! - [`library`] — the state: slots, the session table, the handle table; [`SessionRef`];
//! - [`ops`] — the cryptographic operations, one file per kind, unaware of sessions;
//! - [`handles`], [`slot`], [`output`] — the handle table, a slot and its login, the
//!   output-length rule.
//!
//! A C call on a session finds it once ([`Library::session`]) and passes the [`SessionRef`]
//! (the session and its slot) to everything it calls.
//!
//! Lock order (outer to inner): the session map → one session → a slot's login → the object
//! table. No lock is held across a round trip to kmsd: operations are taken out of their
//! session, run, and put back.

pub mod handles;
pub mod keys;
pub mod library;
pub mod objects;
pub mod operations;
pub mod ops;
pub mod output;
pub mod session;
pub mod slot;
pub mod transport;

pub use library::{finalize, initialize, library, Library, SessionRef};
