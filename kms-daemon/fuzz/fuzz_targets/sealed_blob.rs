//! Sealed key material read back from a tampered store: any blob under any AAD opens only if it
//! is exactly what was sealed, else fails — never a panic. Each input also seals its own bytes
//! and checks that one flipped bit anywhere in blob or AAD is refused.
#![no_main]

use kms_daemon::vault::Vault;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn vault() -> &'static Vault {
    static V: OnceLock<Vault> = OnceLock::new();
    V.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kmsd-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("master.key");
        if !path.exists() {
            Vault::create_master_key_file(&path).unwrap();
        }
        Vault::load(&path).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let v = vault();
    let split = data.first().map_or(0, |b| *b as usize).min(data.len());
    let (aad, blob) = data.split_at(split);
    let _ = v.open(aad, blob);
    let sealed = v.seal(aad, blob).unwrap();
    assert_eq!(v.open(aad, &sealed).unwrap().as_slice(), blob);
    if let Some(last) = data.last() {
        let mut tampered = sealed.clone();
        let i = *last as usize % tampered.len();
        tampered[i] ^= 1;
        assert!(v.open(aad, &tampered).is_err(), "a flipped bit in the blob");
        let mut other = aad.to_vec();
        other.push(*last);
        assert!(v.open(&other, &sealed).is_err(), "another AAD");
    }
});
