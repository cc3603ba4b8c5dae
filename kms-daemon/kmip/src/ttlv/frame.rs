//! Framing for a stream (a TLS connection): a message is one structure whose 8-byte header says
//! how long the rest is, so a server reads the header, checks the declared length against the
//! bound, and only then reads (and allocates for) the body.

use std::io::{self, Read};

use super::{ItemType, Limits, TtlvError};

/// Length of an item header: tag (3), type (1), length (4).
pub const HEADER_LEN: usize = 8;

/// The total length (header included) of the message whose first 8 bytes are `header`; refuses a
/// header that is not a structure's, or that declares more than `limits.max_message`.
pub fn frame_length(header: &[u8; HEADER_LEN], limits: &Limits) -> Result<usize, TtlvError> {
    let item_type = ItemType::from_code(header[3]).ok_or(TtlvError::UnknownType {
        offset: 0,
        code: header[3],
    })?;
    if item_type != ItemType::Structure {
        return Err(TtlvError::NotAStructure { found: item_type });
    }
    let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if !length.is_multiple_of(8) {
        return Err(TtlvError::WrongLength {
            offset: 0,
            item_type,
            length,
        });
    }
    let total = HEADER_LEN as u64 + u64::from(length);
    if total > limits.max_message as u64 {
        return Err(TtlvError::TooLarge {
            length: total,
            limit: limits.max_message,
        });
    }
    Ok(HEADER_LEN + length as usize)
}

/// Why [`read_frame`] returned no message.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream failed or ended inside a message.
    #[error("reading a KMIP message: {0}")]
    Io(#[from] io::Error),
    /// The header is not one of a message within the limits; the server closes the connection
    /// (nothing in it can be answered).
    #[error("KMIP message header: {0}")]
    Invalid(#[from] TtlvError),
}

/// Reads one whole message from `reader`: `Ok(None)` on a clean end of stream before its first
/// byte; otherwise the message's bytes, to be given to [`decode`](super::decode) or
/// [`RequestMessage::decode`](crate::RequestMessage::decode).
pub fn read_frame<R: Read>(reader: &mut R, limits: &Limits) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match reader.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let total = frame_length(&header, limits)?;
    let mut message = vec![0u8; total];
    message[..HEADER_LEN].copy_from_slice(&header);
    reader.read_exact(&mut message[HEADER_LEN..])?;
    Ok(Some(message))
}
