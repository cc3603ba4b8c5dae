//! Vendor-defined constants, mirrored in `include/kms_pkcs11.h` for C users (a test compiles the
//! header and compares the values).

/// Base of this product's vendor-defined values: `CKA_VENDOR_DEFINED | 0x4B4D0000` ("KM").
pub const CKA_KMS_VENDOR_BASE: u64 = 0x8000_0000 | 0x4B4D_0000;

/// kmsd's identifier of an object (byte array, read-only; the id in audit records).
pub const CKA_KMS_OBJECT_ID: u64 = CKA_KMS_VENDOR_BASE + 0x0001;

/// Every vendor constant with its C name, for the header check.
pub const ALL: &[(&str, u64)] = &[
    ("CKA_KMS_VENDOR_BASE", CKA_KMS_VENDOR_BASE),
    ("CKA_KMS_OBJECT_ID", CKA_KMS_OBJECT_ID),
];
