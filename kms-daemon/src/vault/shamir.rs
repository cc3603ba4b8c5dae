//! Shamir secret sharing of the 32-byte master key over GF(256), k of n.
//!
//! Written here rather than taken from a crate: the whole scheme is a polynomial per byte and
//! Lagrange interpolation at 0 (about 60 lines), the field arithmetic below has no
//! secret-dependent branch or table lookup, and it keeps every share in a `Zeroizing` buffer.
//!
//! A share's text form is `kmsd-share-1-XX-<64 hex>-<8 hex>`: the x coordinate, the 32 bytes of
//! y, and a checksum (the first 4 bytes of SHA-256 over a label, x and y) so that a mistyped
//! share is named as such instead of silently producing a wrong key.

use crate::error::{Error, Result};
use zeroize::Zeroizing;

const PREFIX: &str = "kmsd-share-1-";
const CHECKSUM_LABEL: &[u8] = b"kmsd share checksum v1";

/// One share: its x coordinate (1..=255) and y bytes.
pub struct Share {
    /// The x coordinate, never 0.
    pub x: u8,
    /// One y byte per secret byte.
    pub y: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Share(x = {})", self.x)
    }
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, without branches on the values.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    for _ in 0..8 {
        p ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    p
}

/// The multiplicative inverse (a^254); 0 maps to 0.
fn inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e > 0 {
        if e & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    result
}

/// Splits `secret` into `n` shares, any `k` of which give it back (2 <= k <= n <= 255).
pub fn split(secret: &[u8], k: u8, n: u8) -> Result<Vec<Share>> {
    if k < 2 || n < k {
        return Err(Error::Config(format!(
            "shares: need 2 <= threshold <= shares <= 255 (got threshold {k}, shares {n})"
        )));
    }
    let mut shares: Vec<Share> = (1..=n)
        .map(|x| Share {
            x,
            y: Zeroizing::new(vec![0u8; secret.len()]),
        })
        .collect();
    let mut coeffs = Zeroizing::new(vec![0u8; usize::from(k)]);
    for (i, &s) in secret.iter().enumerate() {
        coeffs[0] = s;
        crate::crypto::rng::fill(&mut coeffs[1..])?;
        for share in &mut shares {
            // Horner: c0 + x(c1 + x(c2 + ...)).
            let mut acc = 0u8;
            for &c in coeffs.iter().rev() {
                acc = mul(acc, share.x) ^ c;
            }
            share.y[i] = acc;
        }
    }
    Ok(shares)
}

/// Interpolates the secret at x = 0 from shares with distinct, non-zero x of equal length.
pub fn combine(shares: &[Share]) -> Result<Zeroizing<Vec<u8>>> {
    let Some(first) = shares.first() else {
        return Err(Error::BadRequest("no shares".into()));
    };
    for (i, s) in shares.iter().enumerate() {
        if s.x == 0 || s.y.len() != first.y.len() {
            return Err(Error::BadRequest("malformed share".into()));
        }
        if shares[..i].iter().any(|t| t.x == s.x) {
            return Err(Error::BadRequest(format!("share {} given twice", s.x)));
        }
    }
    let mut out = Zeroizing::new(vec![0u8; first.y.len()]);
    for (i, si) in shares.iter().enumerate() {
        // Lagrange basis at 0: prod over j != i of x_j / (x_j - x_i); minus is xor here.
        let mut basis = 1u8;
        for (j, sj) in shares.iter().enumerate() {
            if i != j {
                basis = mul(basis, mul(sj.x, inv(sj.x ^ si.x)));
            }
        }
        for (o, &y) in out.iter_mut().zip(si.y.iter()) {
            *o ^= mul(basis, y);
        }
    }
    Ok(out)
}

fn checksum(x: u8, y: &[u8]) -> [u8; 4] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(CHECKSUM_LABEL);
    ctx.update(&[x]);
    ctx.update(y);
    let d = ctx.finish();
    let mut out = [0u8; 4];
    out.copy_from_slice(&d.as_ref()[..4]);
    out
}

impl Share {
    /// The text form printed at init and typed at unseal.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{PREFIX}{:02x}-{}-{}",
            self.x,
            Zeroizing::new(hex::encode(self.y.as_slice())).as_str(),
            hex::encode(checksum(self.x, &self.y))
        ))
    }

    /// Parses the text form; a wrong checksum is reported as a mistyped share. Errors never
    /// quote the input.
    pub fn parse(text: &str) -> Result<Share> {
        let bad = |why: &str| Error::BadRequest(format!("not a valid kmsd share: {why}"));
        let text = text.trim().to_ascii_lowercase();
        let text = Zeroizing::new(text);
        let rest = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("it must start with kmsd-share-1-"))?;
        let mut parts = rest.split('-');
        let (Some(x), Some(y), Some(sum), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(
                "expected kmsd-share-1-XX-<64 hex digits>-<8 hex digits>",
            ));
        };
        let x = u8::from_str_radix(x, 16)
            .ok()
            .filter(|&x| x != 0)
            .ok_or_else(|| bad("the share number is not 01..ff"))?;
        let y = Zeroizing::new(hex::decode(y).map_err(|_| bad("the share value is not hex"))?);
        if y.len() != 32 {
            return Err(bad("the share value must be 64 hex digits"));
        }
        let sum = hex::decode(sum).map_err(|_| bad("the checksum is not hex"))?;
        if sum.as_slice() != checksum(x, &y) {
            return Err(Error::BadRequest(format!(
                "share {x}: checksum mismatch, the share was mistyped"
            )));
        }
        Ok(Share { x, y })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse_and_known_product() {
        // The AES field: 0x53 * 0xCA = 1 (FIPS-197 example).
        assert_eq!(mul(0x53, 0xca), 1);
        assert_eq!(mul(0x57, 0x83), 0xc1);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn any_k_shares_give_the_secret_and_fewer_do_not() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 3, 5).unwrap();
        let pick = |idx: &[usize]| -> Vec<Share> {
            idx.iter()
                .map(|&i| Share::parse(&shares[i].to_text()).unwrap())
                .collect()
        };
        for idx in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            assert_eq!(combine(&pick(&idx)).unwrap().as_slice(), secret.as_slice());
        }
        assert_ne!(
            combine(&pick(&[0, 1])).unwrap().as_slice(),
            secret.as_slice()
        );
        assert!(combine(&pick(&[0, 0, 1])).is_err());
        assert!(split(&secret, 1, 3).is_err());
        assert!(split(&secret, 4, 3).is_err());
    }

    #[test]
    fn a_mistyped_share_is_named() {
        let shares = split(&[9u8; 32], 2, 3).unwrap();
        let text = shares[1].to_text();
        // Change one hex digit of the value.
        let mut typo = text.as_bytes().to_vec();
        let pos = PREFIX.len() + 5;
        typo[pos] = if typo[pos] == b'0' { b'1' } else { b'0' };
        let err = Share::parse(std::str::from_utf8(&typo).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("share 2: checksum mismatch"), "{err}");
        assert!(!err.contains(&text[PREFIX.len() + 3..]), "quotes the share");
        assert!(Share::parse("hello").is_err());
        assert!(Share::parse(&text.to_uppercase()).is_ok());
    }
}
