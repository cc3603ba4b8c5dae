//! The key service: generate, import, find, change, copy, destroy, use, wrap, unwrap and derive
//! keys.
//!
//! Policy, vault, store and audit meet here. Each operation resolves the caller's login, reads
//! what it needs, releases the store, does its crypto, then writes the change together with its
//! audit record in one transaction. Refusals are audited too (outcome = the error code).

pub mod access;
pub mod admin;
pub mod change;
pub mod copy;
pub mod create;
pub mod derive;
pub mod destroy;
pub mod export;
pub mod generate;
pub mod idempotent;
pub mod manage;
pub mod mechanism;
pub mod new_object;
pub mod reinit;
pub mod roles;
pub mod stream;
pub mod usage;
pub mod versions;
pub mod wrap;
