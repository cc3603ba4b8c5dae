//! Wire types of the kmsd `/v1` HTTPS API, shared by `kmsd` and `libkms_pkcs11.so`.
//!
//! The vocabulary is PKCS#11's own: attribute types, object classes, key types and mechanisms
//! travel as their numeric `CKA_*`/`CKO_*`/`CKK_*`/`CKM_*` values, so that nothing is lost in a
//! translation. Values are typed ([`AttrValue`]) so that the wire does not depend on the size of
//! a C `CK_ULONG`. Every failure carries a stable [`ErrorCode`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attr;
pub mod bytes;
pub mod curve;
pub mod error;
pub mod mech;
pub mod msg;
pub mod route;
pub mod vendor;

pub use attr::{Attr, AttrKind, AttrValue, Template};
pub use bytes::{Bytes, SecretBytes};
pub use error::{ErrorBody, ErrorCode};
pub use mech::{MechParams, Mechanism};
pub use route::Route;

/// Version prefix of every route.
pub const API_PREFIX: &str = "/v1";

/// Header that carries the login session token (`Authorization: Bearer <token>`).
pub const AUTHORIZATION: &str = "authorization";

/// Header naming the module instance (one per `C_Initialize`); session objects are bound to it.
pub const INSTANCE_HEADER: &str = "x-kms-instance";

/// Header with the idempotency key of a creation (generate, generate a pair, create, copy,
/// unwrap, derive): 16 to 64 characters of `[A-Za-z0-9_-]`, fresh per PKCS#11 call. kmsd keeps
/// (client identity, key) → the created objects for a while, so a retry of the same request
/// returns the first answer instead of creating again.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Shortest PIN a token accepts, in bytes (`CK_TOKEN_INFO.ulMinPinLen`; kmsd and the module check
/// it).
pub const MIN_PIN_LEN: usize = 4;
/// Longest PIN a token accepts, in bytes (`CK_TOKEN_INFO.ulMaxPinLen`).
pub const MAX_PIN_LEN: usize = 64;

/// Header with the request id kmsd assigns; echoed in its log and audit records.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
