"""python-pkcs11 against kms-pkcs11: token by label, generate, sign, verify, find by id.

Usage: python3 python_pkcs11_client.py MODULE TOKEN PIN   (prints one "ok: ..." line per step)
"""
import sys

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.util.ec import encode_named_curve_parameters

module, token_label, pin = sys.argv[1:4]
token = pkcs11.lib(module).get_token(token_label=token_label)
print("ok: token found")
with token.open(user_pin=pin, rw=True) as session:
    # python-pkcs11 asks for every capability by default (the public half wraps while the private
    # half decrypts), which kmsd refuses at creation (R1, CKR_TEMPLATE_INCONSISTENT): an
    # application names what the key is for.
    try:
        session.generate_keypair(KeyType.RSA, 2048, id=b"\x33", label="py-all", store=False)
        raise AssertionError("an all-purpose RSA pair was generated")
    except pkcs11.exceptions.TemplateInconsistent:
        print("ok: all-purpose pair refused at creation")
    pub, priv = session.generate_keypair(
        KeyType.RSA, 2048, id=b"\x32", label="py-rsa", store=True,
        capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY)
    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=b"\x32")
    sig = key.sign(b"data", mechanism=Mechanism.SHA256_RSA_PKCS)
    assert pub.verify(b"data", sig, mechanism=Mechanism.SHA256_RSA_PKCS), "RSA verify"
    print("ok: RSA signature verifies")
    params = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
    ec_pub, ec_priv = params.generate_keypair(store=False)
    sig = ec_priv.sign(b"data", mechanism=Mechanism.ECDSA_SHA256)
    assert ec_pub.verify(b"data", sig, mechanism=Mechanism.ECDSA_SHA256), "ECDSA verify"
    print("ok: ECDSA signature verifies")
    labels = {k.label for k in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})}
    assert "py-rsa" in labels, labels
    print("ok: objects found")
