#!/usr/bin/env python3
"""Writes differential TTLV vectors made by PyKMIP itself into tests/vectors/.

Each vector is one request or response message that PyKMIP's own `kmip.core.messages` classes
encode, for KMIP 1.0, 1.1, 1.2, 1.3, 1.4 and 2.0 (an operation is written only in the versions
that have it). `tests/pykmip_vectors.rs` decodes every file with kms-kmip and checks that it
encodes back to the same bytes.

Not run by CI: the vectors are committed. To make them again, from the workspace root:

    python3 -m venv target/kmip-py && target/kmip-py/bin/pip install PyKMIP==0.11.0
    target/kmip-py/bin/python kms-daemon/kmip/tests/gen_pykmip_vectors.py

File names: <version>-<operation>-<request|response>.hex, one line of lowercase hex.
"""

import pathlib

from kmip.core import attributes as core_attributes
from kmip.core import enums, misc, objects, primitives
from kmip.core.factories.attributes import AttributeFactory
from kmip.core.messages import contents, messages, payloads
from kmip.core.utils import BytearrayStream
from kmip.pie import factory as pie_factory
from kmip.pie import objects as pie_objects

OUT = pathlib.Path(__file__).resolve().parent / "vectors"
V = enums.KMIPVersion
VERSIONS = {
    "1.0": (V.KMIP_1_0, 1, 0),
    "1.1": (V.KMIP_1_1, 1, 1),
    "1.2": (V.KMIP_1_2, 1, 2),
    "1.3": (V.KMIP_1_3, 1, 3),
    "1.4": (V.KMIP_1_4, 1, 4),
    "2.0": (V.KMIP_2_0, 2, 0),
}
ATTR = AttributeFactory()
OBJECTS = pie_factory.ObjectFactory()
UID = "b4faee10-aa2a-4446-8ad4-0881f3422959"
TIME = 1_700_000_000


def attr(kind, value, index=None):
    a = ATTR.create_attribute(kind, value)
    if index is not None:
        a.attribute_index = objects.Attribute.AttributeIndex(index)
    return a


def template(*attrs, kind=objects.TemplateAttribute):
    return kind(attributes=list(attrs))


def aes_template():
    return template(
        attr(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.AES),
        attr(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 256),
        attr(
            enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
            [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
        ),
        attr(enums.AttributeType.NAME, "disk-key"),
    )


def crypto_params(**fields):
    return core_attributes.CryptographicParameters(**fields)


def request(version, items):
    kmip_version, major, minor = VERSIONS[version]
    credential = objects.Credential(
        credential_type=enums.CredentialType.USERNAME_AND_PASSWORD,
        credential_value=objects.UsernamePasswordCredential(username="alice", password="secret"),
    )
    header = messages.RequestHeader(
        protocol_version=contents.ProtocolVersion(major, minor),
        authentication=contents.Authentication([credential]),
        batch_count=contents.BatchCount(len(items)),
    )
    batch = []
    for n, (operation, payload) in enumerate(items):
        batch.append(
            messages.RequestBatchItem(
                operation=contents.Operation(operation),
                unique_batch_item_id=contents.UniqueBatchItemID(bytes([n + 1])) if len(items) > 1 else None,
                request_payload=payload,
            )
        )
    return encode(messages.RequestMessage(request_header=header, batch_items=batch), kmip_version)


def response(version, operation, payload, failure=None):
    kmip_version, major, minor = VERSIONS[version]
    header = messages.ResponseHeader(
        protocol_version=contents.ProtocolVersion(major, minor),
        time_stamp=contents.TimeStamp(TIME),
        batch_count=contents.BatchCount(1),
    )
    if failure is None:
        item = messages.ResponseBatchItem(
            operation=contents.Operation(operation),
            result_status=contents.ResultStatus(enums.ResultStatus.SUCCESS),
            response_payload=payload,
        )
    else:
        item = messages.ResponseBatchItem(
            operation=contents.Operation(operation),
            result_status=contents.ResultStatus(enums.ResultStatus.OPERATION_FAILED),
            result_reason=contents.ResultReason(failure),
            result_message=contents.ResultMessage("refused"),
        )
    return encode(messages.ResponseMessage(response_header=header, batch_items=[item]), kmip_version)


def encode(message, kmip_version):
    stream = BytearrayStream()
    message.write(stream, kmip_version=kmip_version)
    return bytes(stream.buffer)


def requests(version):
    """(name, [(operation, payload)]) pairs for the request side."""
    op = enums.Operation
    v2 = version == "2.0"
    yield "create", [(op.CREATE, payloads.CreateRequestPayload(enums.ObjectType.SYMMETRIC_KEY, aes_template()))]
    common = template(
        attr(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.RSA),
        attr(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 2048),
        kind=objects.CommonTemplateAttribute,
    )
    private = template(
        attr(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK, [enums.CryptographicUsageMask.SIGN]),
        kind=objects.PrivateKeyTemplateAttribute,
    )
    public = template(
        attr(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK, [enums.CryptographicUsageMask.VERIFY]),
        kind=objects.PublicKeyTemplateAttribute,
    )
    yield "create_key_pair", [(op.CREATE_KEY_PAIR, payloads.CreateKeyPairRequestPayload(common, private, public))]
    key = pie_objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 128, bytes(range(16)))
    yield "register_symmetric", [
        (op.REGISTER, payloads.RegisterRequestPayload(enums.ObjectType.SYMMETRIC_KEY, aes_template(), OBJECTS.convert(key)))
    ]
    secret = pie_objects.SecretData(b"correct horse", enums.SecretDataType.PASSWORD)
    yield "register_secret", [
        (op.REGISTER, payloads.RegisterRequestPayload(enums.ObjectType.SECRET_DATA, template(), OBJECTS.convert(secret)))
    ]
    cert = pie_objects.X509Certificate(bytes.fromhex("3082010a0282010100"))
    yield "register_certificate", [
        (op.REGISTER, payloads.RegisterRequestPayload(enums.ObjectType.CERTIFICATE, template(), OBJECTS.convert(cert)))
    ]
    opaque = pie_objects.OpaqueObject(b"\x00\x01opaque", enums.OpaqueDataType.NONE)
    yield "register_opaque", [
        (op.REGISTER, payloads.RegisterRequestPayload(enums.ObjectType.OPAQUE_DATA, template(), OBJECTS.convert(opaque)))
    ]
    yield "get", [(op.GET, payloads.GetRequestPayload(unique_identifier=UID, key_format_type=enums.KeyFormatType.RAW))]
    wrap = objects.KeyWrappingSpecification(
        wrapping_method=enums.WrappingMethod.ENCRYPT,
        encryption_key_information=objects.EncryptionKeyInformation(
            unique_identifier="kek-1",
            cryptographic_parameters=crypto_params(block_cipher_mode=enums.BlockCipherMode.NIST_KEY_WRAP),
        ),
        encoding_option=enums.EncodingOption.NO_ENCODING,
    )
    yield "get_wrapped", [(op.GET, payloads.GetRequestPayload(unique_identifier=UID, key_wrapping_specification=wrap))]
    yield "get_attributes", [
        (op.GET_ATTRIBUTES, payloads.GetAttributesRequestPayload(UID, ["State", "Name", "Cryptographic Length"]))
    ]
    yield "get_attribute_list", [(op.GET_ATTRIBUTE_LIST, payloads.GetAttributeListRequestPayload(UID))]
    locate_attrs = [
        attr(enums.AttributeType.NAME, "disk-key"),
        attr(enums.AttributeType.OBJECT_TYPE, enums.ObjectType.SYMMETRIC_KEY),
        attr(enums.AttributeType.STATE, enums.State.ACTIVE),
    ]
    yield "locate", [(op.LOCATE, payloads.LocateRequestPayload(maximum_items=10, offset_items=2, attributes=locate_attrs))]
    yield "activate", [(op.ACTIVATE, payloads.ActivateRequestPayload(attributes_uid(UID)))]
    reason = objects.RevocationReason(code=enums.RevocationReasonCode.KEY_COMPROMISE, message="lost laptop")
    yield "revoke", [
        (
            op.REVOKE,
            payloads.RevokeRequestPayload(
                unique_identifier=attributes_uid(UID),
                revocation_reason=reason,
                compromise_occurrence_date=primitives.DateTime(TIME, enums.Tags.COMPROMISE_OCCURRENCE_DATE),
            ),
        )
    ]
    yield "destroy", [(op.DESTROY, payloads.DestroyRequestPayload(attributes_uid(UID)))]
    gcm = crypto_params(
        block_cipher_mode=enums.BlockCipherMode.GCM,
        cryptographic_algorithm=enums.CryptographicAlgorithm.AES,
        tag_length=16,
    )
    yield "encrypt", [
        (
            op.ENCRYPT,
            payloads.EncryptRequestPayload(UID, gcm, b"plaintext", b"\x01" * 12, auth_additional_data=b"aad"),
        )
    ]
    yield "decrypt", [
        (
            op.DECRYPT,
            payloads.DecryptRequestPayload(UID, gcm, b"ciphertext", b"\x01" * 12, b"aad", b"\x02" * 16),
        )
    ]
    pss = crypto_params(
        padding_method=enums.PaddingMethod.PSS,
        hashing_algorithm=enums.HashingAlgorithm.SHA_256,
        cryptographic_algorithm=enums.CryptographicAlgorithm.RSA,
    )
    yield "sign", [(op.SIGN, payloads.SignRequestPayload(UID, pss, b"message"))]
    yield "signature_verify", [
        (op.SIGNATURE_VERIFY, payloads.SignatureVerifyRequestPayload(UID, pss, b"message", signature_data=b"\x05" * 32))
    ]
    hmac = crypto_params(cryptographic_algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
    yield "mac", [(op.MAC, payloads.MACRequestPayload(attributes_uid(UID), hmac, obj_data(b"message")))]
    # PyKMIP 0.11 writes a 1.x Template-Attribute even in a 2.0 Re-key (2.0 has Attributes there):
    # the 2.0 vector goes without one.
    yield "rekey", [(op.REKEY, payloads.RekeyRequestPayload(UID, 0, None if v2 else template()))]
    derivation = core_attributes.DerivationParameters(
        cryptographic_parameters=crypto_params(hashing_algorithm=enums.HashingAlgorithm.SHA_256),
        salt=b"salt",
        iteration_count=10000,
    )
    yield "derive_key", [
        (
            op.DERIVE_KEY,
            payloads.DeriveKeyRequestPayload(
                enums.ObjectType.SYMMETRIC_KEY, [UID], enums.DerivationMethod.PBKDF2, derivation, aes_template()
            ),
        )
    ]
    yield "query", [
        (op.QUERY, payloads.QueryRequestPayload([enums.QueryFunction.QUERY_OPERATIONS, enums.QueryFunction.QUERY_OBJECTS]))
    ]
    yield "discover_versions", [
        (op.DISCOVER_VERSIONS, payloads.DiscoverVersionsRequestPayload([contents.ProtocolVersion(1, 2)]))
    ]
    yield "check", [(op.CHECK, payloads.CheckRequestPayload(UID, 500, 4, 3600))]
    yield "get_usage_allocation", [(op.GET_USAGE_ALLOCATION, payloads.GetUsageAllocationRequestPayload(UID, 5))]
    if v2:
        new = objects.NewAttribute(attribute=core_attributes.ContactInformation("ops@example.com"))
        yield "set_attribute", [(op.SET_ATTRIBUTE, payloads.SetAttributeRequestPayload(UID, new))]
        yield "modify_attribute", [
            (
                op.MODIFY_ATTRIBUTE,
                payloads.ModifyAttributeRequestPayload(
                    UID,
                    current_attribute=objects.CurrentAttribute(core_attributes.ContactInformation("old")),
                    new_attribute=objects.NewAttribute(core_attributes.ContactInformation("new")),
                ),
            )
        ]
        reference = objects.AttributeReference(vendor_identification="Acme", attribute_name="x-tier")
        yield "delete_attribute", [
            (op.DELETE_ATTRIBUTE, payloads.DeleteAttributeRequestPayload(UID, attribute_reference=reference))
        ]
    else:
        yield "modify_attribute", [
            (op.MODIFY_ATTRIBUTE, payloads.ModifyAttributeRequestPayload(UID, attr(enums.AttributeType.NAME, "renamed", 0)))
        ]
        yield "delete_attribute", [
            (op.DELETE_ATTRIBUTE, payloads.DeleteAttributeRequestPayload(UID, attribute_name="Contact Information", attribute_index=0))
        ]
    # A batch: Create then Activate through the ID Placeholder.
    yield "batch_create_activate", [
        (op.CREATE, payloads.CreateRequestPayload(enums.ObjectType.SYMMETRIC_KEY, aes_template())),
        (op.ACTIVATE, payloads.ActivateRequestPayload()),
    ]


def attributes_uid(uid):
    return core_attributes.UniqueIdentifier(uid)


def obj_data(data):
    return objects.Data(data)


def responses(version):
    """(name, operation, payload) triples for the response side."""
    op = enums.Operation
    v2 = version == "2.0"
    yield "create", op.CREATE, payloads.CreateResponsePayload(enums.ObjectType.SYMMETRIC_KEY, UID)
    yield "create_key_pair", op.CREATE_KEY_PAIR, payloads.CreateKeyPairResponsePayload("priv-1", "pub-1")
    yield "register", op.REGISTER, payloads.RegisterResponsePayload(UID)
    key = pie_objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 256, bytes(range(32)))
    yield "get", op.GET, payloads.GetResponsePayload(enums.ObjectType.SYMMETRIC_KEY, UID, OBJECTS.convert(key))
    found = [
        attr(enums.AttributeType.STATE, enums.State.ACTIVE),
        attr(enums.AttributeType.NAME, "disk-key", None if v2 else 0),
        attr(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 256),
    ]
    yield "get_attributes", op.GET_ATTRIBUTES, payloads.GetAttributesResponsePayload(UID, found)
    yield "get_attribute_list", op.GET_ATTRIBUTE_LIST, payloads.GetAttributeListResponsePayload(
        UID, ["State", "Name", "Cryptographic Algorithm"]
    )
    yield "locate", op.LOCATE, payloads.LocateResponsePayload(located_items=3, unique_identifiers=[UID, "k-2"])
    yield "activate", op.ACTIVATE, payloads.ActivateResponsePayload(attributes_uid(UID))
    yield "revoke", op.REVOKE, payloads.RevokeResponsePayload(attributes_uid(UID))
    yield "destroy", op.DESTROY, payloads.DestroyResponsePayload(attributes_uid(UID))
    yield "encrypt", op.ENCRYPT, payloads.EncryptResponsePayload(UID, b"ciphertext", b"\x01" * 12, b"\x02" * 16)
    yield "decrypt", op.DECRYPT, payloads.DecryptResponsePayload(UID, b"plaintext")
    yield "sign", op.SIGN, payloads.SignResponsePayload(UID, b"\x05" * 64)
    yield "signature_verify", op.SIGNATURE_VERIFY, payloads.SignatureVerifyResponsePayload(
        UID, enums.ValidityIndicator.VALID
    )
    yield "mac", op.MAC, payloads.MACResponsePayload(attributes_uid(UID), obj_mac(b"\x07" * 32))
    yield "rekey", op.REKEY, payloads.RekeyResponsePayload("k-2")
    yield "derive_key", op.DERIVE_KEY, payloads.DeriveKeyResponsePayload("k-3")
    yield "query", op.QUERY, payloads.QueryResponsePayload(
        operations=[op.CREATE, op.GET, op.ENCRYPT],
        object_types=[enums.ObjectType.SYMMETRIC_KEY, enums.ObjectType.PRIVATE_KEY],
        vendor_identification="kms-pkcs11",
    )
    yield "discover_versions", op.DISCOVER_VERSIONS, payloads.DiscoverVersionsResponsePayload(
        [contents.ProtocolVersion(2, 0), contents.ProtocolVersion(1, 4), contents.ProtocolVersion(1, 2)]
    )
    yield "check", op.CHECK, payloads.CheckResponsePayload(UID, 500)
    yield "get_usage_allocation", op.GET_USAGE_ALLOCATION, payloads.GetUsageAllocationResponsePayload(UID)
    if v2:
        yield "set_attribute", op.SET_ATTRIBUTE, payloads.SetAttributeResponsePayload(UID)
        yield "modify_attribute", op.MODIFY_ATTRIBUTE, payloads.ModifyAttributeResponsePayload(UID)
        yield "delete_attribute", op.DELETE_ATTRIBUTE, payloads.DeleteAttributeResponsePayload(UID)
    else:
        renamed = attr(enums.AttributeType.NAME, "renamed", 0)
        yield "modify_attribute", op.MODIFY_ATTRIBUTE, payloads.ModifyAttributeResponsePayload(UID, renamed)
        contact = attr(enums.AttributeType.CONTACT_INFORMATION, "ops@example.com", 0)
        yield "delete_attribute", op.DELETE_ATTRIBUTE, payloads.DeleteAttributeResponsePayload(UID, contact)


def obj_mac(data):
    return objects.MACData(data)


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.hex"):
        old.unlink()
    written = 0
    for version in VERSIONS:
        for name, items in requests(version):
            write(f"{version}-{name}-request", request(version, items))
            written += 1
        for name, operation, payload in responses(version):
            write(f"{version}-{name}-response", response(version, operation, payload))
            written += 1
        write(f"{version}-get-failure-response", response(version, enums.Operation.GET, None, enums.ResultReason.ITEM_NOT_FOUND))
        written += 1
    print(f"{written} vectors in {OUT}")


def write(name, data):
    (OUT / f"{name}.hex").write_text(data.hex() + "\n")


if __name__ == "__main__":
    main()
