//! Vendor-defined constants, mirrored in `include/kms_pkcs11.h` for C users (a test compiles the
//! header and compares the values).

/// Base of this product's vendor-defined values: `CKA_VENDOR_DEFINED | 0x4B4D0000` ("KM").
pub const CKA_KMS_VENDOR_BASE: u64 = 0x8000_0000 | 0x4B4D_0000;

/// kmsd's identifier of an object (byte array, read-only; the id in audit records).
pub const CKA_KMS_OBJECT_ID: u64 = CKA_KMS_VENDOR_BASE + 0x0001;

/// The KMIP life-cycle state of a key (`CK_ULONG`, read-only; one of the `CK_KMS_STATE_*`
/// values, numbered as KMIP 2.1's State enumeration). Present on every key object; the state
/// kmsd enforces when the key is used (a validity window is already applied: a key before its
/// `CKA_START_DATE` shows pre-active, after its `CKA_END_DATE` deactivated).
pub const CKA_KMS_STATE: u64 = CKA_KMS_VENDOR_BASE + 0x0002;

/// The primary version of a key's material (`CK_ULONG`, read-only; 1 until an administrator
/// rotates the key with `kmsd key rotate`). New signatures, MACs and encryptions use the primary
/// version; MAC verification, AES-GCM decryption and AES key-wrap unwrapping also accept what
/// an older version made. Present on every key object.
pub const CKA_KMS_KEY_VERSION: u64 = CKA_KMS_VENDOR_BASE + 0x0003;

/// Pre-active: the key may not be used yet (activation date in the future, or never activated).
pub const CK_KMS_STATE_PRE_ACTIVE: u64 = 1;
/// Active: the key does what its usage attributes allow.
pub const CK_KMS_STATE_ACTIVE: u64 = 2;
/// Deactivated: only decrypt, verify and unwrap (what protects existing data).
pub const CK_KMS_STATE_DEACTIVATED: u64 = 3;
/// Compromised: only decrypt, verify and unwrap, as deactivated; revoked by an administrator.
pub const CK_KMS_STATE_COMPROMISED: u64 = 4;
/// Destroyed: the material is erased; the key does nothing (never visible through PKCS#11).
pub const CK_KMS_STATE_DESTROYED: u64 = 5;

/// Every vendor constant with its C name, for the header check.
pub const ALL: &[(&str, u64)] = &[
    ("CKA_KMS_VENDOR_BASE", CKA_KMS_VENDOR_BASE),
    ("CKA_KMS_OBJECT_ID", CKA_KMS_OBJECT_ID),
    ("CKA_KMS_STATE", CKA_KMS_STATE),
    ("CKA_KMS_KEY_VERSION", CKA_KMS_KEY_VERSION),
    ("CK_KMS_STATE_PRE_ACTIVE", CK_KMS_STATE_PRE_ACTIVE),
    ("CK_KMS_STATE_ACTIVE", CK_KMS_STATE_ACTIVE),
    ("CK_KMS_STATE_DEACTIVATED", CK_KMS_STATE_DEACTIVATED),
    ("CK_KMS_STATE_COMPROMISED", CK_KMS_STATE_COMPROMISED),
    ("CK_KMS_STATE_DESTROYED", CK_KMS_STATE_DESTROYED),
];
