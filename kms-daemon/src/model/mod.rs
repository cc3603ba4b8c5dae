//! The object model: stored objects and their attributes, the attribute rules of PKCS#11, the
//! KMIP life cycle and use policy, calendar dates, and the AAD that binds them to sealed
//! material. Pure data and rules: nothing here reads the store or touches key material.

pub mod aad;
pub mod dates;
pub mod lifecycle;
pub mod object;
pub mod op;
pub mod template;
pub mod usage;
