//! Random bytes from aws-lc-rs's generator.

use crate::error::{Error, Result};
use zeroize::Zeroizing;

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> Result<()> {
    aws_lc_rs::rand::fill(buf).map_err(|_| Error::Internal("random generator failed".into()))
}

/// `n` random bytes.
pub fn bytes(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    fill(&mut v)?;
    Ok(v)
}

/// `N` random bytes meant to stay secret (wiped on drop).
pub fn secret<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut v = Zeroizing::new([0u8; N]);
    fill(v.as_mut())?;
    Ok(v)
}

/// A random identifier: `n` random bytes as lowercase hex.
pub fn hex_id(n: usize) -> Result<String> {
    Ok(hex::encode(bytes(n)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_differ() {
        let a = super::hex_id(16).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, super::hex_id(16).unwrap());
    }
}
