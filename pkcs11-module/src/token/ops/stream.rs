//! Streamed encryption and decryption with `CKM_AES_ECB`, `CKM_AES_CBC`, `CKM_AES_CBC_PAD` and
//! `CKM_AES_CTR`: each `*Update` sends its whole blocks to kmsd (in parts of at most
//! [`MAX_PART_LEN`] bytes) and returns their output; kmsd keeps no state. The module carries
//! what chains the parts — the last ciphertext block (CBC) or the next counter block (CTR) —
//! and kmsd's ticket ([`kms_api::msg::PartRequest`]), and holds back less than a block (CBC-PAD
//! decryption: up to one whole block, the one that carries the padding). Memory per operation:
//! one block held, one part in flight, and the output of the update being answered.

use crate::client::KeyOp;
use crate::error::{Error, Result};
use crate::token::output::{produce, Out, Outcome, Size};
use crate::token::slot::Slot;
use cryptoki_sys::*;
use kms_api::mech::params::AES_BLOCK_LEN;
use kms_api::mech::table::Kind;
use kms_api::msg::{PartRequest, MAX_PART_LEN};
use kms_api::{Bytes, MechParams, Mechanism, SecretBytes};
use zeroize::Zeroizing;

/// An active streamed operation.
pub struct Stream {
    op: KeyOp,
    kind: Kind,
    key_id: String,
    /// The mechanism as the application gave it; its IV or counter block is replaced by
    /// [`Self::chain`] in each part.
    mechanism: Mechanism,
    /// The IV of the next part (the last ciphertext block so far) or its counter block.
    chain: [u8; AES_BLOCK_LEN],
    /// Input not sent yet: less than a block (CBC-PAD decryption: up to a whole block).
    held: Zeroizing<Vec<u8>>,
    /// kmsd's ticket after the first part.
    ticket: Option<Bytes>,
    /// CTR: the counter has counted every block it can; more input would repeat key stream.
    spent: bool,
    /// The last part's output, when it did not fit the caller's buffer (CBC-PAD decryption).
    pending: Option<Out>,
}

impl Stream {
    /// A streamed `op` with the mechanism `m` of `kind` and key `key_id`, if the mechanism
    /// streams (ECB, CBC, CBC-PAD, CTR: kmsd needs no state between parts).
    pub fn new(op: KeyOp, kind: Kind, key_id: &str, m: &Mechanism) -> Option<Stream> {
        let chain = match (&m.params, kind) {
            (MechParams::None, Kind::AesEcb) => [0; AES_BLOCK_LEN],
            (MechParams::Iv(iv), Kind::AesCbc | Kind::AesCbcPad) => {
                iv.0.as_slice().try_into().ok()?
            }
            (MechParams::Ctr { cb, .. }, Kind::AesCtr) => cb.0.as_slice().try_into().ok()?,
            _ => return None,
        };
        Some(Stream {
            op,
            kind,
            key_id: key_id.to_owned(),
            mechanism: m.clone(),
            chain,
            held: Zeroizing::new(Vec::new()),
            ticket: None,
            spent: false,
            pending: None,
        })
    }

    /// CBC-PAD decryption keeps its last block for `*Final`.
    fn holds_last_block(&self) -> bool {
        self.kind == Kind::AesCbcPad && self.op == KeyOp::Decrypt
    }

    /// How many of `total` bytes (held and new) an update sends now.
    fn sendable(&self, total: usize) -> usize {
        if self.holds_last_block() {
            total.saturating_sub(1) / AES_BLOCK_LEN * AES_BLOCK_LEN
        } else {
            total / AES_BLOCK_LEN * AES_BLOCK_LEN
        }
    }

    /// `C_EncryptUpdate`/`C_DecryptUpdate`: the output of the whole blocks so far, under the
    /// output-length rule (a size query or a short buffer takes no input).
    pub fn update(&mut self, slot: &Slot, part: &[u8], cap: Option<usize>) -> Result<Outcome> {
        let total = self.held.len() + part.len();
        let n = self.sendable(total);
        match cap {
            None => return Ok(Outcome::Len(n)),
            Some(c) if c < n => return Ok(Outcome::TooSmall(n)),
            _ => {}
        }
        let mut out = Zeroizing::new(Vec::with_capacity(n));
        let mut input = part;
        while out.len() < n {
            // The held bytes first, then whole blocks of the input, at most MAX_PART_LEN.
            let want = (n - out.len()).min(MAX_PART_LEN);
            let take = want - self.held.len();
            let mut chunk = std::mem::take(&mut self.held);
            chunk.extend_from_slice(&input[..take]);
            input = &input[take..];
            out.extend_from_slice(&self.send(slot, chunk, false)?);
        }
        self.held.extend_from_slice(input);
        Ok(Outcome::Done(out))
    }

    /// `C_EncryptFinal`/`C_DecryptFinal`: the held bytes (CBC-PAD pads or unpads them; CTR
    /// runs them; ECB and CBC must have none). An operation that never sent a part sends its
    /// (empty) last part, so that kmsd checks and records the use.
    pub fn finish(&mut self, slot: &Slot, cap: Option<usize>) -> Result<Outcome> {
        let held = self.held.len();
        let size = match (self.kind, self.op) {
            // The retry of a last part that did not fit: it was checked and sent already.
            _ if self.pending.is_some() => Size::AtMost(AES_BLOCK_LEN - 1),
            (Kind::AesCbcPad, KeyOp::Encrypt) => Size::Exact(AES_BLOCK_LEN),
            (Kind::AesCbcPad, _) if held != AES_BLOCK_LEN => {
                return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE))
            }
            (Kind::AesCbcPad, _) => Size::AtMost(AES_BLOCK_LEN - 1),
            (Kind::AesCtr, _) => Size::Exact(held),
            (_, KeyOp::Encrypt) if held != 0 => return Err(Error::Ck(CKR_DATA_LEN_RANGE)),
            (_, _) if held != 0 => return Err(Error::Ck(CKR_ENCRYPTED_DATA_LEN_RANGE)),
            _ => Size::Exact(0),
        };
        let mut pending = self.pending.take();
        let outcome = produce(&mut pending, cap, size, || {
            let needed = self.ticket.is_none() || held != 0 || self.kind == Kind::AesCbcPad;
            if !needed {
                return Ok(Zeroizing::new(Vec::new()));
            }
            let last = std::mem::take(&mut self.held);
            self.send(slot, last, true)
        });
        self.pending = pending;
        outcome
    }

    /// One part: kmsd runs `data` from the current chaining value; the chain moves on.
    fn send(&mut self, slot: &Slot, data: Out, last: bool) -> Result<Out> {
        let mut mechanism = self.mechanism.clone();
        match &mut mechanism.params {
            MechParams::Iv(iv) => iv.0 = self.chain.to_vec(),
            MechParams::Ctr { cb, .. } => cb.0 = self.chain.to_vec(),
            _ => {}
        }
        if self.spent && !data.is_empty() {
            return Err(Error::Ck(CKR_DATA_LEN_RANGE));
        }
        let input_tail = tail(&data);
        let blocks = data.len() / AES_BLOCK_LEN;
        let req = PartRequest {
            mechanism,
            data: SecretBytes(data),
            ticket: self.ticket.take(),
            last,
        };
        let resp = slot
            .client
            .key_part(slot.bearer().as_ref(), &self.key_id, self.op, &req)?;
        let out = resp.data.0;
        let expected = match (self.kind, self.op, last) {
            (Kind::AesCbcPad, KeyOp::Encrypt, true) => AES_BLOCK_LEN,
            (Kind::AesCbcPad, KeyOp::Decrypt, true) => out.len().min(AES_BLOCK_LEN - 1),
            _ => req.data.as_ref().len(),
        };
        if out.len() != expected {
            return Err(Error::Device(
                "kmsd answered a part with a wrong length".into(),
            ));
        }
        self.ticket = Some(resp.ticket);
        match (self.kind, self.op) {
            (Kind::AesCbc | Kind::AesCbcPad, KeyOp::Encrypt) => {
                if let Some(t) = tail(&out) {
                    self.chain = t;
                }
            }
            (Kind::AesCbc | Kind::AesCbcPad, _) => {
                if let Some(t) = input_tail {
                    self.chain = t;
                }
            }
            (Kind::AesCtr, _) => {
                let (next, spent) = self.advanced(blocks as u128);
                self.chain = next;
                self.spent |= spent;
            }
            _ => {}
        }
        Ok(out)
    }

    /// The counter block `blocks` blocks on: only the low `counter_bits` bits count (kmsd
    /// refused a part that would go past them); and whether the counter is spent (it reached
    /// 2^counter_bits: the next block would repeat the first's key stream).
    fn advanced(&self, blocks: u128) -> ([u8; AES_BLOCK_LEN], bool) {
        let bits = match self.mechanism.params {
            MechParams::Ctr { counter_bits, .. } => counter_bits.min(128) as u32,
            _ => 128,
        };
        let block = u128::from_be_bytes(self.chain);
        let mask = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let (sum, overflow) = (block & mask).overflowing_add(blocks);
        let spent = overflow || sum > mask;
        let counter = sum & mask;
        (((block & !mask) | counter).to_be_bytes(), spent)
    }
}

/// The last whole block of `data`, if it has one.
fn tail(data: &[u8]) -> Option<[u8; AES_BLOCK_LEN]> {
    let n = data.len() / AES_BLOCK_LEN * AES_BLOCK_LEN;
    data.get(n.checked_sub(AES_BLOCK_LEN)?..n)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(kind: Kind, op: KeyOp, params: MechParams) -> Stream {
        let m = Mechanism {
            mechanism: CKM_AES_CTR as u64,
            params,
        };
        Stream::new(op, kind, "k", &m).unwrap()
    }

    #[test]
    fn counters_move_in_their_low_bits_only() {
        let cb = Bytes([0xff; 16].to_vec());
        let mut s = stream(
            Kind::AesCtr,
            KeyOp::Encrypt,
            MechParams::Ctr {
                counter_bits: 8,
                cb,
            },
        );
        s.chain[15] = 0xfe;
        let (next, spent) = s.advanced(1);
        assert_eq!(next[15], 0xff);
        assert_eq!(next[..15], [0xff; 15]);
        assert!(!spent);
        let (next, spent) = s.advanced(2);
        assert_eq!(
            (next[15], next[14]),
            (0x00, 0xff),
            "the low byte wrapped, alone"
        );
        assert!(spent, "2^8 blocks counted: no more key stream");
        s.chain[15] = 0x01;
        assert_eq!(
            s.advanced(0x10),
            (
                {
                    let mut b = [0xff; 16];
                    b[15] = 0x11;
                    b
                },
                false
            )
        );
    }

    #[test]
    fn cbc_pad_decryption_holds_back_its_last_block() {
        let iv = MechParams::Iv(Bytes(vec![0; 16]));
        let d = stream(Kind::AesCbcPad, KeyOp::Decrypt, iv.clone());
        assert_eq!(d.sendable(16), 0);
        assert_eq!(d.sendable(17), 16);
        assert_eq!(d.sendable(32), 16);
        let e = stream(Kind::AesCbcPad, KeyOp::Encrypt, iv);
        assert_eq!(e.sendable(16), 16);
        assert_eq!(e.sendable(37), 32);
    }

    #[test]
    fn tails_are_whole_blocks() {
        assert_eq!(tail(&[1; 15]), None);
        assert_eq!(tail(&[2; 33]), Some([2; 16]));
    }
}
