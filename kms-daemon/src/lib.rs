//! kmsd: the key-management daemon behind `libkms_pkcs11.so`.
//!
//! The binary (`src/main.rs`) only parses the command line; everything else lives here so that
//! tests can call the router ([`api::app`]) and the services directly.
//!
//! Layers, outside in: [`server`] (mutual TLS accept loop) → [`api`] (router, extractors, the one
//! error response) → services in [`auth`] and [`keys`] (policy, vault, store and audit meet there,
//! inside one transaction) → [`crypto`] and [`vault`] (the only code that sees key material in
//! clear) → [`store`] (SQLite) and [`audit`] (hash-chained records).

#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod ck;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod health;
pub mod keys;
pub mod kmip;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod pem;
pub mod pki;
pub mod preflight;
pub mod runtime;
pub mod secret_file;
pub mod server;
pub mod state;
pub mod store;
pub mod vault;

pub use error::{Error, Result};
