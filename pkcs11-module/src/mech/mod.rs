//! Mechanisms: the registry (what `C_GetMechanismList`/`Info` report and which parameters each
//! takes), hashing, the signature schemes, and the public-key operations done in the module.

pub mod digest;
pub mod public;
pub mod registry;
pub mod scheme;

pub use digest::HashAlg;
pub use registry::{spec, ParamKind, MECHANISMS};
pub use scheme::{KeyFamily, SigKind, SigScheme};
