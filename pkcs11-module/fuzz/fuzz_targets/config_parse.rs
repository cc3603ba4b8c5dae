//! The module's TOML configuration: any text is refused or accepted, never a panic; what is
//! accepted obeys the documented rules.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = kms_pkcs11::config::Config::parse(text) {
        for s in &c.slots {
            assert!(!s.token.is_empty() && s.token.len() <= 32);
            assert!(!s.endpoints.is_empty());
            assert!(s.endpoints.iter().all(|e| e.starts_with("https://")));
        }
        assert!(c.timeouts.connect_ms > 0 && c.timeouts.request_ms > 0);
    }
});
