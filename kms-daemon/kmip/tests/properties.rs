//! Properties over generated input: arbitrary items round-trip; arbitrary bytes, and mutations of
//! real messages, never make a decoder panic; whatever decodes is canonical (it encodes back to
//! the very bytes) and a decoded request re-encodes to one that decodes the same.

use std::fs;
use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;

use kms_kmip::ttlv::{decode, decode_with};
use kms_kmip::{Item, Limits, RequestMessage, ResponseMessage, Tag, Value};

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        (0x42_0001u32..0x42_0170).prop_map(Tag),
        (0u32..0x0100_0000).prop_map(Tag)
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        (0usize..4)
            .prop_flat_map(|words| vec(any::<u8>(), words * 8))
            .prop_map(Value::BigInteger),
        any::<u32>().prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,24}".prop_map(Value::TextString),
        vec(any::<u8>(), 0..40).prop_map(Value::ByteString),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = (tag(), leaf()).prop_map(|(tag, value)| Item::new(tag, value));
    leaf.prop_recursive(6, 96, 8, |inner| {
        (tag(), vec(inner, 0..8)).prop_map(|(tag, items)| Item::structure(tag, items))
    })
}

/// Every committed message (PyKMIP's vectors and the test cases'), as bytes.
fn messages() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for dir in ["vectors", "golden"] {
        for entry in fs::read_dir(root.join(dir)).expect("dir") {
            let text = fs::read_to_string(entry.expect("entry").path()).expect("read");
            out.push(hex::decode(text.trim()).expect("hex"));
        }
    }
    out.sort();
    out
}

/// Every decoder on `bytes`: none may panic; TTLV that decodes is canonical; a request that
/// decodes re-encodes to one that decodes the same.
fn check_all(bytes: &[u8]) {
    if let Ok(item) = decode(bytes) {
        assert_eq!(item.to_bytes(), bytes);
    }
    if let Ok(request) = RequestMessage::decode(bytes) {
        if let Ok(again) = request.encode() {
            assert_eq!(RequestMessage::decode(&again).as_ref(), Ok(&request));
        }
    }
    if let Ok(response) = ResponseMessage::decode(bytes) {
        if let Ok(again) = response.encode() {
            assert_eq!(ResponseMessage::decode(&again).as_ref(), Ok(&response));
        }
    }
}

proptest! {
    #[test]
    fn items_round_trip(item in item()) {
        let bytes = item.to_bytes();
        prop_assert_eq!(bytes.len(), item.encoded_len());
        prop_assert_eq!(bytes.len() % 8, 0);
        prop_assert_eq!(decode(&bytes), Ok(item));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        check_all(&bytes);
    }

    #[test]
    fn arbitrary_items_as_messages_never_panic(items in vec(item(), 0..4), request in any::<bool>()) {
        let tag = if request { Tag::REQUEST_MESSAGE } else { Tag::RESPONSE_MESSAGE };
        check_all(&Item::structure(tag, items).to_bytes());
    }

    #[test]
    fn mutated_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let all = messages();
        let mut bytes = pick.get(&all).clone();
        for (at, byte) in &flips {
            let i = at.index(bytes.len());
            bytes[i] = *byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        check_all(&bytes);
    }

    #[test]
    fn tight_limits_refuse_cleanly(item in item(), depth in 1usize..4, items in 1usize..16) {
        let limits = Limits { max_message: 256, max_depth: depth, max_items: items };
        if let Ok(back) = decode_with(&item.to_bytes(), &limits) {
            prop_assert_eq!(back, item);
        }
    }
}
