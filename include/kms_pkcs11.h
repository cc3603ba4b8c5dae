/*
 * kms_pkcs11.h — vendor-defined PKCS#11 constants of libkms_pkcs11.so (kms-pkcs11).
 *
 * Include after the standard PKCS#11 headers (pkcs11.h / pkcs11t.h). Every value here lies in
 * the vendor range and carries the prefix 0x4B4D ("KM") after the vendor bit, so it cannot
 * collide with another vendor's constants by accident. The values are checked against the Rust
 * constants in kms-api (crate kms_api::vendor) by softhsm-tests/tests/header.rs.
 */
#ifndef KMS_PKCS11_H
#define KMS_PKCS11_H

/* Base of this product's vendor-defined values. */
#define CKA_KMS_VENDOR_BASE 0xCB4D0000UL

/*
 * CKA_KMS_OBJECT_ID (byte array, read-only): kmsd's identifier of the object, the one named in
 * kmsd's audit records and by `kmsd` administration commands. Present on every object.
 */
#define CKA_KMS_OBJECT_ID (CKA_KMS_VENDOR_BASE + 0x0001UL)

#endif /* KMS_PKCS11_H */
