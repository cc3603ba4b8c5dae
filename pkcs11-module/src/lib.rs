//! `libkms_pkcs11.so`: a PKCS#11 module whose keys live in kmsd.
//!
//! Layers, outermost first:
//! - [`ffi`] — the C edge: one shim per `C_*` function (panic guard, pointer checks, copy in/out);
//!   the only `unsafe` code;
//! - [`token`] — slots, sessions, login, object handles, operation state machines;
//! - [`attr`] and [`mech`] — attribute codec and rules; hashing, signature schemes and local
//!   public-key work, on kms-api's mechanism table;
//! - [`client`] — the typed HTTPS client of kmsd.
//!
//! Errors are one type, [`error::Error`], mapped to `CK_RV` in one place; [`log`] writes what
//! the C calls did, when asked to.

pub mod attr;
pub mod check;
pub mod client;
pub mod config;
pub mod error;
pub mod ffi;
pub mod log;
pub mod mech;
pub mod token;
