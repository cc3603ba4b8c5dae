//! sealed_blob: the first byte is the AAD's length (the AAD includes that byte), the rest is the
//! blob. The target opens the blob, seals the input itself, and checks that a flipped bit at
//! `last byte % sealed length` and an AAD with the last byte appended are refused.

use cryptoki_sys::*;
use kms_api::AttrValue;
use kms_daemon::model::object::AttrMap;
use kms_testkit::seeds::Seeds;

/// The header of a blob as `Vault::seal` writes it: format, algorithm, KEK version, nonce.
fn blob_header(format: u8, alg: u8, kek_version: u32) -> Vec<u8> {
    let mut h = vec![format, alg];
    h.extend_from_slice(&kek_version.to_be_bytes());
    h.extend_from_slice(&[0x24; 12]);
    h
}

fn sealed_input(aad: &[u8], blob: &[u8]) -> Vec<u8> {
    // The AAD starts with its own length byte.
    let mut out = vec![(aad.len() + 1) as u8];
    out.extend_from_slice(aad);
    out.extend_from_slice(blob);
    out
}

pub(crate) fn sealed_blob(s: &mut Seeds) {
    let mut attrs = AttrMap::new();
    for (ty, v) in [
        (CKA_SENSITIVE, true),
        (CKA_EXTRACTABLE, false),
        (CKA_ENCRYPT, true),
        (CKA_DECRYPT, true),
        (CKA_TOKEN, true),
        (CKA_PRIVATE, true),
    ] {
        attrs.insert(ty as u64, AttrValue::Bool(v));
    }
    // A real AAD is longer than the length byte can say: the seeds use its first 200 bytes, and
    // one whole AAD as the blob (what a tampered row could hold).
    let real_aad = kms_daemon::model::aad::base(
        "6f0c9d2e1a4b4c8d9e0f1a2b3c4d5e6f",
        "kms-default",
        CKO_SECRET_KEY as u64,
        Some(CKK_AES as u64),
        &attrs,
    );
    let aad = &real_aad[..real_aad.len().min(200)];
    let key = [0x11u8; 32];
    let ct_and_tag = [0x5Au8; 48];
    let v1 = |version: u32| [blob_header(1, 1, version), ct_and_tag.to_vec()].concat();

    s.add("empty", vec![]);
    s.add("aad-length-zero-one-byte-blob", vec![0]);
    s.add("aad-only", sealed_input(b"kmsd-aad-v1", b""));
    s.add("kmsd-aad-and-aes-256-value", sealed_input(aad, &key));
    s.add("kmsd-aad-as-blob", sealed_input(b"", &real_aad));
    s.add("blob-v1-kek-version-1", sealed_input(aad, &v1(1)));
    s.add("blob-v1-unknown-kek-version", sealed_input(aad, &v1(9)));
    s.add("blob-v1-kek-version-max", sealed_input(aad, &v1(u32::MAX)));
    let format2 = [blob_header(2, 1, 1), ct_and_tag.to_vec()].concat();
    s.add("blob-unknown-format", sealed_input(aad, &format2));
    let alg2 = [blob_header(1, 2, 1), ct_and_tag.to_vec()].concat();
    s.add("blob-unknown-algorithm", sealed_input(aad, &alg2));
    // HEADER_LEN + 16 bytes of tag is the shortest blob that can open.
    let header = blob_header(1, 1, 1);
    let shortest = [header.clone(), vec![0; 16]].concat();
    s.add("blob-shortest-possible", sealed_input(b"a", &shortest));
    let one_short = [header.clone(), vec![0; 15]].concat();
    s.add("blob-one-byte-too-short", sealed_input(b"a", &one_short));
    s.add("blob-header-only", sealed_input(b"a", &header));
    // The last byte picks the bit the target flips in its own sealed blob: the format byte, the
    // algorithm, the KEK version, the nonce, the ciphertext, the tag.
    for (name, last) in [
        ("tamper-format-byte", 0u8),
        ("tamper-algorithm-byte", 1),
        ("tamper-kek-version", 5),
        ("tamper-nonce", 12),
        ("tamper-ciphertext", 20),
        ("tamper-tag", 49),
    ] {
        let mut blob = vec![0x22; 31];
        blob.push(last);
        s.add(name, sealed_input(b"aad", &blob));
    }
    s.add("rsa-pkcs8-sized-material", sealed_input(aad, &[0x30; 1218]));
    s.add("aad-255-bytes", [vec![255u8], vec![0x41; 300]].concat());
    s.add("binary-aad-and-blob", (0..=255u8).collect());
}
