"""PyKCS11 against kms-pkcs11: list, generate RSA and EC keys, sign, verify, find by CKA_ID.

Usage: python3 pykcs11_client.py MODULE TOKEN PIN   (prints one "ok: ..." line per step)
"""
import sys

import PyKCS11 as P

module, token, pin = sys.argv[1:4]
lib = P.PyKCS11Lib()
lib.load(module)
slots = [s for s in lib.getSlotList(tokenPresent=True) if lib.getTokenInfo(s).label.strip() == token]
assert len(slots) == 1, "token not found"
print("ok: token listed")
s = lib.openSession(slots[0], P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION)
s.login(pin)
pub, priv = s.generateKeyPair(
    [(P.CKA_CLASS, P.CKO_PUBLIC_KEY), (P.CKA_KEY_TYPE, P.CKK_RSA), (P.CKA_TOKEN, True),
     (P.CKA_MODULUS_BITS, 2048), (P.CKA_VERIFY, True), (P.CKA_ID, (0x31,))],
    [(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_KEY_TYPE, P.CKK_RSA), (P.CKA_TOKEN, True),
     (P.CKA_SIGN, True), (P.CKA_ID, (0x31,))],
    mecha=P.MechanismRSAGENERATEKEYPAIR)
print("ok: RSA key pair generated")
found = s.findObjects([(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_ID, (0x31,))])
assert len(found) == 1, "private key not found by CKA_ID"
mech = P.Mechanism(P.CKM_SHA256_RSA_PKCS)
sig = s.sign(found[0], b"data from python", mech)
assert s.verify(pub, b"data from python", sig, mech), "RSA signature does not verify"
assert not s.verify(pub, b"other data", sig, mech), "a wrong message verifies"
print("ok: RSA signature verifies")
ec_params = bytes([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])
ec_pub, ec_priv = s.generateKeyPair(
    [(P.CKA_CLASS, P.CKO_PUBLIC_KEY), (P.CKA_KEY_TYPE, P.CKK_EC), (P.CKA_TOKEN, False),
     (P.CKA_EC_PARAMS, ec_params), (P.CKA_VERIFY, True)],
    [(P.CKA_CLASS, P.CKO_PRIVATE_KEY), (P.CKA_KEY_TYPE, P.CKK_EC), (P.CKA_TOKEN, False), (P.CKA_SIGN, True)],
    mecha=P.MechanismECGENERATEKEYPAIR)
ecdsa = P.Mechanism(P.CKM_ECDSA_SHA256)
sig = s.sign(ec_priv, b"data from python", ecdsa)
assert len(sig) == 64 and s.verify(ec_pub, b"data from python", sig, ecdsa), "ECDSA"
print("ok: ECDSA signature verifies")
s.logout()
s.closeSession()
