//! The bounded TTLV decoder. Recursion is bounded by [`Limits::max_depth`], the item count by
//! [`Limits::max_items`], and every length is checked against the bytes that hold it before
//! anything is copied, so no input can make it panic or allocate more than a small multiple of
//! its own size.

use super::Tag;
use super::{Item, ItemType, Limits, TtlvError, Value};

/// Decodes one TTLV item that fills `input` exactly, within [`Limits::DEFAULT`].
pub fn decode(input: &[u8]) -> Result<Item, TtlvError> {
    decode_with(input, &Limits::DEFAULT)
}

/// Decodes one TTLV item that fills `input` exactly, within `limits`.
pub fn decode_with(input: &[u8], limits: &Limits) -> Result<Item, TtlvError> {
    if input.len() > limits.max_message {
        return Err(TtlvError::TooLarge {
            length: input.len() as u64,
            limit: limits.max_message,
        });
    }
    let mut decoder = Decoder {
        input,
        limits,
        items: 0,
    };
    let (item, end) = decoder.item(0, input.len(), 1)?;
    if end < input.len() {
        return Err(TtlvError::TrailingBytes {
            offset: end,
            count: input.len() - end,
        });
    }
    Ok(item)
}

/// The tag and the leading items of the structure `input` starts with, decoded one by one up to
/// the first that fails: what can be read of a message whose TTLV is broken further on. `None`
/// when not even the structure's header is there.
pub(crate) fn decode_prefix(input: &[u8], limits: &Limits) -> Option<(Tag, Vec<Item>)> {
    let header = input.get(..8)?;
    if ItemType::from_code(header[3]) != Some(ItemType::Structure) {
        return None;
    }
    let tag = Tag(u32::from_be_bytes([0, header[0], header[1], header[2]]));
    let declared = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let end = input.len().min(declared.saturating_add(8));
    let mut decoder = Decoder {
        input: &input[..end],
        limits,
        items: 1,
    };
    let mut items = Vec::new();
    let mut at = 8;
    while at < end {
        match decoder.item(at, end, 2) {
            Ok((item, next)) => {
                items.push(item);
                at = next;
            }
            Err(_) => break,
        }
    }
    Some((tag, items))
}

struct Decoder<'a> {
    input: &'a [u8],
    limits: &'a Limits,
    items: usize,
}

/// Rounds a value length up to the 8-byte boundary its padding ends on.
fn padded(len: usize) -> usize {
    len.div_ceil(8).saturating_mul(8)
}

impl Decoder<'_> {
    /// Checks that `[offset, end)` lies within `limit`: the end of the input for the outermost
    /// item (else the input is truncated), the end of the enclosing structure for the others
    /// (whose own span was checked against the input already).
    fn span(offset: usize, end: usize, limit: usize, depth: usize) -> Result<(), TtlvError> {
        match end.checked_sub(limit) {
            None | Some(0) => Ok(()),
            Some(needed) if depth == 1 => Err(TtlvError::Truncated { offset, needed }),
            Some(excess) => Err(TtlvError::Overrun { offset, excess }),
        }
    }

    /// Decodes the item whose header starts at `offset`; returns it and the offset after its
    /// padding. `limit` is where the enclosing structure (or the input) ends.
    fn item(
        &mut self,
        offset: usize,
        limit: usize,
        depth: usize,
    ) -> Result<(Item, usize), TtlvError> {
        if depth > self.limits.max_depth {
            return Err(TtlvError::TooDeep {
                offset,
                limit: self.limits.max_depth,
            });
        }
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(TtlvError::TooManyItems {
                offset,
                limit: self.limits.max_items,
            });
        }
        let body = offset.saturating_add(8);
        Self::span(offset, body, limit, depth)?;
        let header = &self.input[offset..body];
        let tag = Tag(u32::from_be_bytes([0, header[0], header[1], header[2]]));
        let code = header[3];
        let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let item_type = ItemType::from_code(code).ok_or(TtlvError::UnknownType { offset, code })?;
        let len = length as usize;
        let length_ok = match item_type.fixed_len() {
            Some(fixed) => len == fixed,
            None => {
                !matches!(item_type, ItemType::Structure | ItemType::BigInteger)
                    || len.is_multiple_of(8)
            }
        };
        if !length_ok {
            return Err(TtlvError::WrongLength {
                offset,
                item_type,
                length,
            });
        }
        let value_end = body.saturating_add(len);
        Self::span(offset, value_end, limit, depth)?;
        let end = body.saturating_add(padded(len));
        if end > limit {
            return Err(TtlvError::BadPadding { offset });
        }
        if self.input[value_end..end].iter().any(|&b| b != 0) {
            return Err(TtlvError::NonZeroPadding { offset });
        }
        let raw = &self.input[body..value_end];
        let value = match item_type {
            ItemType::Structure => Value::Structure(self.children(body, value_end, depth)?),
            ItemType::Integer => Value::Integer(i32::from_be_bytes(word4(raw))),
            ItemType::Enumeration => Value::Enumeration(u32::from_be_bytes(word4(raw))),
            ItemType::Interval => Value::Interval(u32::from_be_bytes(word4(raw))),
            ItemType::LongInteger => Value::LongInteger(i64::from_be_bytes(word8(raw))),
            ItemType::DateTime => Value::DateTime(i64::from_be_bytes(word8(raw))),
            ItemType::DateTimeExtended => Value::DateTimeExtended(i64::from_be_bytes(word8(raw))),
            ItemType::Boolean => match u64::from_be_bytes(word8(raw)) {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                value => return Err(TtlvError::BadBoolean { offset, value }),
            },
            ItemType::BigInteger => Value::BigInteger(raw.to_vec()),
            ItemType::ByteString => Value::ByteString(raw.to_vec()),
            ItemType::TextString => match std::str::from_utf8(raw) {
                Ok(text) => Value::TextString(text.to_owned()),
                Err(_) => return Err(TtlvError::InvalidUtf8 { offset, tag }),
            },
        };
        Ok((Item { tag, value }, end))
    }

    /// Decodes the items of a structure whose value is `[start, end)`.
    fn children(&mut self, start: usize, end: usize, depth: usize) -> Result<Vec<Item>, TtlvError> {
        let mut items = Vec::new();
        let mut at = start;
        while at < end {
            let (item, next) = self.item(at, end, depth + 1)?;
            items.push(item);
            at = next;
        }
        Ok(items)
    }
}

/// The 4 bytes of a value whose length was checked to be 4.
fn word4(raw: &[u8]) -> [u8; 4] {
    let mut word = [0; 4];
    word.copy_from_slice(&raw[..4]);
    word
}

/// The 8 bytes of a value whose length was checked to be 8.
fn word8(raw: &[u8]) -> [u8; 8] {
    let mut word = [0; 8];
    word.copy_from_slice(&raw[..8]);
    word
}
