"""PyKMIP's ProxyKmipClient against kmsd's KMIP listener, over mutual TLS.

Usage: pykmip_client.py CONFIG PASSWORD MODULE_KEY_LABEL

CONFIG is the pykmip.conf `kmsd quickstart` writes (host, port, client certificate, CA,
username = the token's label); PASSWORD is the token's user PIN. MODULE_KEY_LABEL names an AES
key the test generated through the PKCS#11 module (sensitive, as the module makes them): it must
be found by Locate and its Get refused; MODULE_KEY_LABEL-ec and MODULE_KEY_LABEL-ec-pub name an
EC P-256 pair the module generated, which KMIP signs and verifies with. Prints `ok: <step>` per step that passed, and
`created: <label> <uid>` for objects the test then uses through the module; exits non-zero at the
first failure.
"""

import os
import sys

from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from kmip import enums
from kmip.core import enums as core_enums
from kmip.core import exceptions as core_exceptions
from kmip.core.factories import attributes as attr_factory
from kmip.pie import client as pie_client
from kmip.pie import exceptions

config, password, module_label = sys.argv[1], sys.argv[2], sys.argv[3]


def connect(with_password):
    if with_password:
        c = pie_client.ProxyKmipClient(config="client", config_file=config, password=password)
    else:
        # The same connection settings without the username: no Credential is sent.
        import configparser
        p = configparser.ConfigParser()
        p.read(config)
        s = p["client"]
        c = pie_client.ProxyKmipClient(hostname=s["host"], port=int(s["port"]), cert=s["certfile"],
                                       key=s["keyfile"], ca=s["ca_certs"], config_file="/dev/null")
    c.open()
    return c


def ok(step):
    print("ok: " + step, flush=True)


def refused(fn, reason):
    try:
        fn()
    except (exceptions.KmipOperationFailure, core_exceptions.OperationFailure) as e:
        assert e.reason == reason, (e.reason, e.message)
        return e
    raise AssertionError("not refused")


f = attr_factory.AttributeFactory()
suffix = os.urandom(4).hex()
c = connect(True)

# Query and Discover Versions (through the proxy under the client).
q = c.proxy.query(query_functions=[core_enums.QueryFunction.QUERY_OPERATIONS, core_enums.QueryFunction.QUERY_OBJECTS])
assert q.result_status.value == core_enums.ResultStatus.SUCCESS, q.result_reason
ops = {int(getattr(o.value, "value", o.value)) for o in q.operations}
assert core_enums.Operation.CREATE.value in ops and core_enums.Operation.SIGN.value in ops, ops
assert core_enums.Operation.DERIVE_KEY.value not in ops, "Query lists only what is served"
dv = c.proxy.discover_versions()
assert dv.result_status.value == core_enums.ResultStatus.SUCCESS
assert (1, 2) in [(v.major, v.minor) for v in dv.protocol_versions]
ok("query and discover versions")

# AES: Create, Get Attributes, Activate, Encrypt / Decrypt (CBC and GCM), Get (clear key).
aes_name = "kmip-aes-" + suffix
aes = c.create(enums.CryptographicAlgorithm.AES, 256, name=aes_name,
               cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT])
attrs = {a.attribute_name.value: a.attribute_value for a in c.get_attributes(aes)[1]}
assert attrs["Cryptographic Algorithm"].value == enums.CryptographicAlgorithm.AES, attrs
assert attrs["Cryptographic Length"].value == 256
assert attrs["Name"].name_value.value == aes_name
assert attrs["State"].value == enums.State.ACTIVE
names = c.get_attribute_list(aes)
assert "Cryptographic Usage Mask" in names and "Unique Identifier" in names, names
c.activate(aes)
key = c.get(aes).value
assert len(key) == 32
cbc = {"block_cipher_mode": enums.BlockCipherMode.CBC, "padding_method": enums.PaddingMethod.PKCS5,
       "cryptographic_algorithm": enums.CryptographicAlgorithm.AES}
message = b"KMIP and PKCS#11: one object world"
ct, iv = c.encrypt(message, uid=aes, cryptographic_parameters=cbc)
d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
u = padding.PKCS7(128).unpadder()
assert u.update(d.update(ct) + d.finalize()) + u.finalize() == message
assert c.decrypt(ct, uid=aes, cryptographic_parameters=cbc, iv_counter_nonce=iv) == message
ok("AES create, attributes, activate, encrypt/decrypt, get")

# The Name is CKA_LABEL: modified and deleted over KMIP; the other attributes are kmsd's.
renamed = aes_name + "-renamed"
c.modify_attribute(aes, attribute=f.create_attribute(enums.AttributeType.NAME, renamed))
assert c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, renamed)]) == [aes]
c.delete_attribute(aes, attribute_name="Name", attribute_index=0)
assert c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, renamed)]) == []
c.modify_attribute(aes, attribute=f.create_attribute(enums.AttributeType.NAME, aes_name))
refused(lambda: c.modify_attribute(aes, attribute=f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 128)),
        enums.ResultReason.PERMISSION_DENIED)
ok("name modified and deleted; other attributes refused")

# HMAC: Create, MAC (checked against the key Get returns).
mac_key = c.create(enums.CryptographicAlgorithm.HMAC_SHA256, 256, name="kmip-hmac-" + suffix,
                   cryptographic_usage_mask=[enums.CryptographicUsageMask.MAC_GENERATE, enums.CryptographicUsageMask.MAC_VERIFY])
uid, tag = c.mac(b"data to authenticate", uid=mac_key, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
h = hmac.HMAC(c.get(mac_key).value, hashes.SHA256())
h.update(b"data to authenticate")
assert h.finalize() == tag
ok("HMAC create and MAC")

# RSA and EC pairs: Create Key Pair, Sign, checked with the public key Get returns.
public_keys = {}
for alg, length, label in [(enums.CryptographicAlgorithm.RSA, 2048, "rsa"), (enums.CryptographicAlgorithm.EC, 256, "ec")]:
    pub, priv = c.create_key_pair(alg, length, public_name="kmip-%s-pub-%s" % (label, suffix),
                                  private_name="kmip-%s-%s" % (label, suffix),
                                  public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
                                  private_usage_mask=[enums.CryptographicUsageMask.SIGN])
    params = {"hashing_algorithm": enums.HashingAlgorithm.SHA_256}
    if alg == enums.CryptographicAlgorithm.RSA:
        params["padding_method"] = enums.PaddingMethod.PKCS1v15
        params["cryptographic_algorithm"] = enums.CryptographicAlgorithm.RSA
    else:
        params["cryptographic_algorithm"] = enums.CryptographicAlgorithm.ECDSA
    signature = c.sign(b"signed over KMIP", uid=priv, cryptographic_parameters=params)
    spki = c.get(pub).value
    public_keys[pub] = spki
    valid = c.signature_verify(b"signed over KMIP", signature, pub, cryptographic_parameters=params)
    assert valid == enums.ValidityIndicator.VALID, valid
    invalid = c.signature_verify(b"signed over KMIP!", signature, pub, cryptographic_parameters=params)
    assert invalid == enums.ValidityIndicator.INVALID, invalid
    public = serialization.load_der_public_key(spki)
    if alg == enums.CryptographicAlgorithm.RSA:
        public.verify(signature, b"signed over KMIP", rsa_padding.PKCS1v15(), hashes.SHA256())
    else:
        public.verify(signature, b"signed over KMIP", ec.ECDSA(hashes.SHA256()))
    print("created: kmip-%s-%s %s" % (label, suffix, priv), flush=True)
ok("RSA-2048 and EC P-256 key pairs, sign, signature verify, public key get")

# Register: a symmetric key the client brings, then used over KMIP; Get gives it back.
from kmip.pie import objects
brought = os.urandom(16)
registered = c.register(objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 128, brought,
                                             masks=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
                                             name="kmip-registered-" + suffix))
ecb = {"block_cipher_mode": enums.BlockCipherMode.ECB, "padding_method": enums.PaddingMethod.NONE,
       "cryptographic_algorithm": enums.CryptographicAlgorithm.AES}
ct, _ = c.encrypt(b"sixteen byte blk", uid=registered, cryptographic_parameters=ecb)
e = Cipher(algorithms.AES(brought), modes.ECB()).encryptor()
assert ct == e.update(b"sixteen byte blk") + e.finalize()
assert c.get(registered).value == brought
ok("register a symmetric key, encrypt with it, get it back")

# Locate: by name, by object type and algorithm, with Maximum Items and Offset Items.
found = c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, aes_name)])
assert found == [aes], found
keys = c.locate(attributes=[f.create_attribute(enums.AttributeType.OBJECT_TYPE, enums.ObjectType.SYMMETRIC_KEY),
                            f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.AES)])
assert aes in keys and mac_key not in keys, keys
assert len(c.locate(maximum_items=1)) == 1
everything = c.locate()
assert c.locate(offset_items=1) == everything[1:]
ok("locate by name, type, algorithm, maximum and offset items")

# The module's key: found by name, its attributes read, its material refused (sensitive).
module_key = c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, module_label)])
assert len(module_key) == 1, module_key
attrs = {a.attribute_name.value: a.attribute_value for a in c.get_attributes(module_key[0])[1]}
assert attrs["Cryptographic Algorithm"].value == enums.CryptographicAlgorithm.AES
refused(lambda: c.get(module_key[0]), enums.ResultReason.PERMISSION_DENIED)
# The module's EC pair (labels MODULE_KEY_LABEL-ec and -ec-pub): KMIP signs with it within its
# policy and verifies with its public key; its private key is not returned either.
ec_priv = c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, module_label + "-ec"),
                               f.create_attribute(enums.AttributeType.OBJECT_TYPE, enums.ObjectType.PRIVATE_KEY)])
ec_pub = c.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, module_label + "-ec-pub")])
assert len(ec_priv) == 1 and len(ec_pub) == 1, (ec_priv, ec_pub)
ecdsa = {"cryptographic_algorithm": enums.CryptographicAlgorithm.ECDSA, "hashing_algorithm": enums.HashingAlgorithm.SHA_256}
signature = c.sign(b"signed over KMIP with the module's key", uid=ec_priv[0], cryptographic_parameters=ecdsa)
assert c.signature_verify(b"signed over KMIP with the module's key", signature, ec_pub[0],
                          cryptographic_parameters=ecdsa) == enums.ValidityIndicator.VALID
refused(lambda: c.get(ec_priv[0]), enums.ResultReason.PERMISSION_DENIED)
ok("module key located, attributes read, get refused; module EC key signs over KMIP")

# Revoke (compromise) and Destroy; a destroyed key is gone.
c.revoke(enums.RevocationReasonCode.KEY_COMPROMISE, aes, revocation_message="test")
attrs = {a.attribute_name.value: a.attribute_value for a in c.get_attributes(aes)[1]}
assert attrs["State"].value == enums.State.COMPROMISED, attrs["State"]
c.destroy(aes)
refused(lambda: c.get_attributes(aes), enums.ResultReason.ITEM_NOT_FOUND)
ok("revoke and destroy")
c.close()

# No credential: no login, so nothing that needs the user PIN; private objects are not seen
# (as by a PKCS#11 session that has not logged in), public keys are.
anon = connect(False)
refused(lambda: anon.create(enums.CryptographicAlgorithm.AES, 128), enums.ResultReason.PERMISSION_DENIED)
refused(lambda: anon.get(mac_key), enums.ResultReason.ITEM_NOT_FOUND)
for pub, spki in public_keys.items():
    assert anon.get(pub).value == spki
assert mac_key not in anon.locate()
anon.close()

# A wrong password: authentication fails (and counts towards the PIN lockout).
bad = pie_client.ProxyKmipClient(config="client", config_file=config, password="wrong-pin-000")
bad.open()
refused(lambda: bad.create(enums.CryptographicAlgorithm.AES, 128), enums.ResultReason.AUTHENTICATION_NOT_SUCCESSFUL)
bad.close()
ok("without credential: public keys only; with a wrong password: refused")
