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

/*
 * ulDeviceError in CK_SESSION_INFO: why the last call on the session failed when kmsd refused it
 * (kmsd's stable error code, as in its logs and audit records), 0 when it did not. The same names
 * appear in the module's log. Numbers are never reused.
 */
#define KMS_DEVICE_ERROR_BAD_REQUEST 1UL
#define KMS_DEVICE_ERROR_UNAUTHENTICATED 2UL
#define KMS_DEVICE_ERROR_USER_NOT_LOGGED_IN 3UL
#define KMS_DEVICE_ERROR_PIN_INCORRECT 4UL
#define KMS_DEVICE_ERROR_PIN_LOCKED 5UL
#define KMS_DEVICE_ERROR_PIN_LEN_RANGE 6UL
#define KMS_DEVICE_ERROR_USER_TYPE_INVALID 7UL
#define KMS_DEVICE_ERROR_USER_PIN_NOT_INITIALIZED 8UL
#define KMS_DEVICE_ERROR_TOKEN_NOT_FOUND 9UL
#define KMS_DEVICE_ERROR_OBJECT_NOT_FOUND 10UL
#define KMS_DEVICE_ERROR_KEY_FUNCTION_NOT_PERMITTED 11UL
#define KMS_DEVICE_ERROR_KEY_TYPE_INCONSISTENT 12UL
#define KMS_DEVICE_ERROR_KEY_SIZE_RANGE 13UL
#define KMS_DEVICE_ERROR_MECHANISM_INVALID 14UL
#define KMS_DEVICE_ERROR_MECHANISM_PARAM_INVALID 15UL
#define KMS_DEVICE_ERROR_ATTRIBUTE_TYPE_INVALID 16UL
#define KMS_DEVICE_ERROR_ATTRIBUTE_VALUE_INVALID 17UL
#define KMS_DEVICE_ERROR_ATTRIBUTE_READ_ONLY 18UL
#define KMS_DEVICE_ERROR_ATTRIBUTE_SENSITIVE 19UL
#define KMS_DEVICE_ERROR_TEMPLATE_INCOMPLETE 20UL
#define KMS_DEVICE_ERROR_TEMPLATE_INCONSISTENT 21UL
#define KMS_DEVICE_ERROR_ACTION_PROHIBITED 22UL
#define KMS_DEVICE_ERROR_DATA_LEN_RANGE 23UL
#define KMS_DEVICE_ERROR_DATA_INVALID 24UL
#define KMS_DEVICE_ERROR_ENCRYPTED_DATA_INVALID 25UL
#define KMS_DEVICE_ERROR_ENCRYPTED_DATA_LEN_RANGE 26UL
#define KMS_DEVICE_ERROR_SIGNATURE_INVALID 27UL
#define KMS_DEVICE_ERROR_SIGNATURE_LEN_RANGE 28UL
#define KMS_DEVICE_ERROR_KEY_UNEXTRACTABLE 29UL
#define KMS_DEVICE_ERROR_TOO_MANY_REQUESTS 30UL
#define KMS_DEVICE_ERROR_SEALED 31UL
#define KMS_DEVICE_ERROR_INTEGRITY_FAILURE 32UL
#define KMS_DEVICE_ERROR_INTERNAL 33UL
#define KMS_DEVICE_ERROR_KEY_NOT_ACTIVE 34UL
#define KMS_DEVICE_ERROR_AUDIT_UNAVAILABLE 35UL
#define KMS_DEVICE_ERROR_IDEMPOTENCY_CONFLICT 36UL
#define KMS_DEVICE_ERROR_CURVE_NOT_SUPPORTED 37UL
#define KMS_DEVICE_ERROR_SESSION_LIMIT 38UL
#define KMS_DEVICE_ERROR_SESSION_EXISTS 39UL
#define KMS_DEVICE_ERROR_REQUEST_TIMEOUT 40UL
#define KMS_DEVICE_ERROR_OPERATION_UNKNOWN 41UL
#define KMS_DEVICE_ERROR_OBJECT_LIMIT 42UL
/* kmsd unreachable, TLS refused, timed out, or a malformed answer. */
#define KMS_DEVICE_ERROR_TRANSPORT 0x100UL

/*
 * CKA_KMS_STATE (CK_ULONG, read-only): the KMIP life-cycle state kmsd enforces for a key, one of
 * the CK_KMS_STATE_* values below (numbered as KMIP 2.1's State enumeration). Present on every
 * key object. A key before its CKA_START_DATE shows PRE_ACTIVE, after its CKA_END_DATE
 * DEACTIVATED. A key whose state forbids the operation for good (destroyed; deactivated or
 * compromised for encrypt, sign, wrap, derive) is refused at C_*Init with
 * CKR_KEY_FUNCTION_NOT_PERMITTED; a state only kmsd sees at use (changed since, or a validity
 * window) makes C_Encrypt, C_Sign ... return CKR_FUNCTION_FAILED with ulDeviceError =
 * KMS_DEVICE_ERROR_KEY_NOT_ACTIVE.
 */
#define CKA_KMS_STATE (CKA_KMS_VENDOR_BASE + 0x0002UL)
/*
 * CKA_KMS_KEY_VERSION (CK_ULONG, read-only): the primary version of the key's material, 1 until
 * an administrator rotates the key (`kmsd key rotate`, secret keys). New MACs and encryptions use
 * the primary version; MAC verification, AES-GCM decryption and AES key-wrap unwrapping also
 * accept what an older version made. The object handle and CKA_ID stay the same.
 */
#define CKA_KMS_KEY_VERSION (CKA_KMS_VENDOR_BASE + 0x0003UL)

/* Not usable yet: activation date in the future, or never activated. */
#define CK_KMS_STATE_PRE_ACTIVE 1UL
/* Usable as its usage attributes (CKA_SIGN, CKA_DECRYPT ...) allow. */
#define CK_KMS_STATE_ACTIVE 2UL
/* Only decrypt, verify and unwrap: protects no new data. */
#define CK_KMS_STATE_DEACTIVATED 3UL
/* Revoked by an administrator: only decrypt, verify and unwrap. */
#define CK_KMS_STATE_COMPROMISED 4UL
/* Material erased; never visible through PKCS#11 (administration tools only). */
#define CK_KMS_STATE_DESTROYED 5UL

#endif /* KMS_PKCS11_H */
