//! TTLV unit tests: the encoding examples of KMIP 1.4 §9.1.2, every error kind, and the
//! boundaries of every length and limit.

use super::Tag;
use super::*;

/// The tag the specification's examples use (0x420020).
const T: Tag = Tag(0x420020);

fn hex(text: &str) -> Vec<u8> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '|')
        .collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn round_trip(bytes: &[u8], value: Value) {
    let item = Item::new(T, value);
    assert_eq!(decode(bytes), Ok(item.clone()));
    assert_eq!(item.to_bytes(), bytes);
    assert_eq!(item.encoded_len(), bytes.len());
}

#[test]
fn specification_examples() {
    round_trip(
        &hex("420020 | 02 | 00000004 | 00000008 00000000"),
        Value::Integer(8),
    );
    round_trip(
        &hex("420020 | 03 | 00000008 | 01B69B4BA5749200"),
        Value::LongInteger(123_456_789_000_000_000),
    );
    let big = hex("0000000003FD35EB6BC2DF4618080000");
    round_trip(
        &hex("420020 | 04 | 00000010 | 0000000003FD35EB6BC2DF4618080000"),
        Value::BigInteger(big),
    );
    round_trip(
        &hex("420020 | 05 | 00000004 | 000000FF 00000000"),
        Value::Enumeration(255),
    );
    round_trip(
        &hex("420020 | 06 | 00000008 | 0000000000000001"),
        Value::Boolean(true),
    );
    let text = "420020 | 07 | 0000000B | 48656C6C6F20576F726C64 0000000000";
    round_trip(&hex(text), Value::TextString("Hello World".into()));
    round_trip(
        &hex("420020 | 08 | 00000003 | 010203 0000000000"),
        Value::ByteString(vec![1, 2, 3]),
    );
    round_trip(
        &hex("420020 | 09 | 00000008 | 0000000047DA67F8"),
        Value::DateTime(1_205_495_800),
    );
    round_trip(
        &hex("420020 | 0A | 00000004 | 000D2F00 00000000"),
        Value::Interval(864_000),
    );
    let structure = hex(
        "420020 | 01 | 00000020 | 420004 | 05 | 00000004 | 000000FE 00000000 | 420005 | 02 | 00000004 | 000000FF 00000000",
    );
    let children = vec![
        Item::new(Tag(0x420004), Value::Enumeration(254)),
        Item::new(Tag(0x420005), Value::Integer(255)),
    ];
    round_trip(&structure, Value::Structure(children));
}

#[test]
fn date_time_extended_and_negative_values() {
    round_trip(
        &hex("420020 | 0B | 00000008 | FFFFFFFFFFFFFFFF"),
        Value::DateTimeExtended(-1),
    );
    round_trip(
        &hex("420020 | 02 | 00000004 | FFFFFFFE 00000000"),
        Value::Integer(-2),
    );
}

#[test]
fn big_integers_are_sign_extended_to_eight_bytes() {
    assert_eq!(
        Item::new(T, Value::BigInteger(vec![0x80])).to_bytes(),
        hex("420020 04 00000008 FFFFFFFFFFFFFF80")
    );
    assert_eq!(
        Item::new(T, Value::BigInteger(vec![0x7f])).to_bytes(),
        hex("420020 04 00000008 000000000000007F")
    );
    round_trip(&hex("420020 04 00000000"), Value::BigInteger(Vec::new()));
}

#[test]
fn every_length_of_text_and_bytes_round_trips() {
    for len in 0..=64usize {
        let bytes = Item::new(T, Value::ByteString(vec![0xA5; len])).to_bytes();
        assert_eq!(bytes.len(), 8 + len.div_ceil(8) * 8);
        assert_eq!(
            decode(&bytes).map(|item| item.value),
            Ok(Value::ByteString(vec![0xA5; len]))
        );
        let text = "é".repeat(len / 2) + &"a".repeat(len % 2);
        let bytes = Item::new(T, Value::TextString(text.clone())).to_bytes();
        assert_eq!(
            decode(&bytes).map(|item| item.value),
            Ok(Value::TextString(text))
        );
    }
}

#[test]
fn truncated_header_and_value() {
    let full = Item::new(T, Value::ByteString(vec![7; 9])).to_bytes();
    for cut in 0..8 {
        assert!(
            matches!(
                decode(&full[..cut]),
                Err(TtlvError::Truncated { offset: 0, .. })
            ),
            "cut {cut}"
        );
    }
    assert_eq!(
        decode(&full[..12]),
        Err(TtlvError::Truncated {
            offset: 0,
            needed: 5
        })
    );
    // The 9 value bytes are there but the padding is not.
    assert_eq!(
        decode(&full[..17]),
        Err(TtlvError::BadPadding { offset: 0 })
    );
}

#[test]
fn children_must_fit_their_structure() {
    // A structure of declared length 16 whose child claims 16 bytes of value.
    let bytes = hex("420020 01 00000010 420004 08 00000010 0000000000000000");
    assert_eq!(
        decode(&bytes),
        Err(TtlvError::Overrun {
            offset: 8,
            excess: 8
        })
    );
    // A child whose value fits its structure but whose padding does not.
    let bytes = hex("420020 01 00000010 420004 08 00000009 0000000000000000");
    assert_eq!(
        decode(&bytes),
        Err(TtlvError::Overrun {
            offset: 8,
            excess: 1
        })
    );
    let bytes = hex("420020 01 00000008 420004 08 00000000");
    assert_eq!(
        decode(&bytes).map(|item| item.children().map(<[Item]>::len)),
        Ok(Some(1))
    );
}

#[test]
fn padding_must_be_zero() {
    assert_eq!(
        decode(&hex("420020 02 00000004 00000008 00000001")),
        Err(TtlvError::NonZeroPadding { offset: 0 })
    );
    assert_eq!(
        decode(&hex("420020 07 00000001 41 00000000000080")),
        Err(TtlvError::NonZeroPadding { offset: 0 })
    );
}

#[test]
fn lengths_must_suit_the_type() {
    let cases: &[(u8, u32)] = &[
        (1, 4),
        (2, 8),
        (3, 4),
        (4, 12),
        (5, 8),
        (6, 4),
        (9, 4),
        (0x0A, 8),
        (0x0B, 16),
    ];
    for &(code, length) in cases {
        let mut bytes = hex("420020 00 00000000");
        bytes[3] = code;
        bytes[4..8].copy_from_slice(&length.to_be_bytes());
        bytes.resize(8 + (length as usize).div_ceil(8) * 8, 0);
        let item_type = ItemType::from_code(code).expect("type");
        assert_eq!(
            decode(&bytes),
            Err(TtlvError::WrongLength {
                offset: 0,
                item_type,
                length
            }),
            "type {code}"
        );
    }
}

#[test]
fn unknown_types_booleans_and_utf8() {
    for code in [0x00, 0x0C, 0xFF] {
        let bytes = [0x42, 0x00, 0x20, code, 0, 0, 0, 0];
        assert_eq!(
            decode(&bytes),
            Err(TtlvError::UnknownType { offset: 0, code })
        );
    }
    assert_eq!(
        decode(&hex("420020 06 00000008 0000000000000002")),
        Err(TtlvError::BadBoolean {
            offset: 0,
            value: 2
        })
    );
    let bytes = hex("420020 07 00000002 C328 000000000000");
    assert_eq!(
        decode(&bytes),
        Err(TtlvError::InvalidUtf8 { offset: 0, tag: T })
    );
}

/// `depth` structures nested in each other, the innermost empty.
fn nested(depth: usize) -> Item {
    (1..depth).fold(Item::structure(T, Vec::new()), |inner, _| {
        Item::structure(T, vec![inner])
    })
}

#[test]
fn depth_is_bounded() {
    let limit = Limits::DEFAULT.max_depth;
    assert!(decode(&nested(limit).to_bytes()).is_ok());
    let offset = 8 * limit;
    assert_eq!(
        decode(&nested(limit + 1).to_bytes()),
        Err(TtlvError::TooDeep { offset, limit })
    );
    // Far deeper than the bound still fails cleanly, without exhausting the stack (the bytes are
    // made by hand: an Item this deep would overflow the stack of the test's own drop).
    let depth = 100_000u32;
    let deep: Vec<u8> = (0..depth)
        .flat_map(|i| {
            [0x42, 0x00, 0x20, 0x01]
                .into_iter()
                .chain((8 * (depth - 1 - i)).to_be_bytes())
        })
        .collect();
    assert!(matches!(decode(&deep), Err(TtlvError::TooDeep { .. })));
}

#[test]
fn items_are_bounded() {
    let limits = Limits {
        max_items: 10,
        ..Limits::DEFAULT
    };
    let flat =
        |n: usize| Item::structure(T, vec![Item::new(T, Value::Integer(1)); n - 1]).to_bytes();
    assert!(decode_with(&flat(10), &limits).is_ok());
    assert_eq!(
        decode_with(&flat(11), &limits),
        Err(TtlvError::TooManyItems {
            offset: 8 + 9 * 16,
            limit: 10
        })
    );
}

#[test]
fn size_is_bounded() {
    let limits = Limits {
        max_message: 64,
        ..Limits::DEFAULT
    };
    let with_value = |len: usize| Item::new(T, Value::ByteString(vec![0; len])).to_bytes();
    assert!(decode_with(&with_value(56), &limits).is_ok());
    assert_eq!(
        decode_with(&with_value(57), &limits),
        Err(TtlvError::TooLarge {
            length: 72,
            limit: 64
        })
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = Item::new(T, Value::Integer(1)).to_bytes();
    bytes.push(0);
    assert_eq!(
        decode(&bytes),
        Err(TtlvError::TrailingBytes {
            offset: 16,
            count: 1
        })
    );
    bytes.extend_from_slice(&bytes.clone());
    assert!(matches!(
        decode(&bytes),
        Err(TtlvError::TrailingBytes { .. })
    ));
}

#[test]
fn frame_length_checks_the_header_before_the_body() {
    let limits = Limits::DEFAULT;
    let header = |code: u8, length: u32| {
        let mut h = [0x42, 0x00, 0x78, code, 0, 0, 0, 0];
        h[4..].copy_from_slice(&length.to_be_bytes());
        h
    };
    assert_eq!(frame_length(&header(1, 0), &limits), Ok(8));
    assert_eq!(
        frame_length(&header(1, (1 << 20) - 8), &limits),
        Ok(1 << 20)
    );
    assert_eq!(
        frame_length(&header(1, 1 << 20), &limits),
        Err(TtlvError::TooLarge {
            length: (1 << 20) + 8,
            limit: 1 << 20
        })
    );
    assert_eq!(frame_length(&header(1, u32::MAX - 7), &limits).ok(), None);
    assert_eq!(
        frame_length(&header(1, 12), &limits),
        Err(TtlvError::WrongLength {
            offset: 0,
            item_type: ItemType::Structure,
            length: 12
        })
    );
    assert_eq!(
        frame_length(&header(2, 4), &limits),
        Err(TtlvError::NotAStructure {
            found: ItemType::Integer
        })
    );
    assert_eq!(
        frame_length(&header(0x20, 4), &limits),
        Err(TtlvError::UnknownType {
            offset: 0,
            code: 0x20
        })
    );
}

#[test]
fn read_frame_reads_whole_messages() {
    let message =
        Item::structure(Tag::REQUEST_MESSAGE, vec![Item::new(T, Value::Integer(5))]).to_bytes();
    let mut stream = [message.clone(), message.clone()].concat();
    let mut reader = &stream[..];
    assert_eq!(
        read_frame(&mut reader, &Limits::DEFAULT).ok().flatten(),
        Some(message.clone())
    );
    assert_eq!(
        read_frame(&mut reader, &Limits::DEFAULT).ok().flatten(),
        Some(message.clone())
    );
    assert!(matches!(
        read_frame(&mut reader, &Limits::DEFAULT),
        Ok(None)
    ));
    // A stream that ends inside the header or the body is an I/O error.
    stream.truncate(message.len() + 4);
    let mut reader = &stream[message.len()..];
    assert!(matches!(
        read_frame(&mut reader, &Limits::DEFAULT),
        Err(FrameError::Io(_))
    ));
    let mut reader = &message[..message.len() - 1];
    assert!(matches!(
        read_frame(&mut reader, &Limits::DEFAULT),
        Err(FrameError::Io(_))
    ));
    // An oversized header is refused with only its 8 bytes read.
    let huge = [0x42, 0x00, 0x78, 0x01, 0x7F, 0xFF, 0xFF, 0xF8];
    let mut reader = &huge[..];
    assert!(matches!(
        read_frame(&mut reader, &Limits::DEFAULT),
        Err(FrameError::Invalid(TtlvError::TooLarge { .. }))
    ));
}

#[test]
fn prefix_decoding_stops_at_the_first_broken_item() {
    let good = Item::new(T, Value::Integer(1));
    let mut bytes = Item::structure(
        Tag::REQUEST_MESSAGE,
        vec![good.clone(), good.clone(), good.clone()],
    )
    .to_bytes();
    bytes[8 + 16 + 3] = 0x77; // the second child's type
    assert!(decode(&bytes).is_err());
    assert_eq!(
        decode_prefix(&bytes, &Limits::DEFAULT),
        Some((Tag::REQUEST_MESSAGE, vec![good.clone()]))
    );
    assert_eq!(decode_prefix(&bytes[..7], &Limits::DEFAULT), None);
    assert_eq!(decode_prefix(&good.to_bytes(), &Limits::DEFAULT), None);
}
