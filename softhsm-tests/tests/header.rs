//! `include/kms_pkcs11.h` declares the same vendor constants as the Rust code: compile it with
//! the system C compiler and compare every value.

use std::process::Command;

#[test]
fn header_values_match_the_rust_constants() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut expected: Vec<(&str, u64)> = kms_api::vendor::ALL.to_vec();
    let device_errors: Vec<(String, u64)> = kms_api::error::ERRORS
        .iter()
        .map(|f| (f.code.device_error_name(), f.device_error))
        .collect();
    expected.extend(device_errors.iter().map(|(name, n)| (name.as_str(), *n)));
    expected.push((
        "KMS_DEVICE_ERROR_TRANSPORT",
        kms_api::error::DEVICE_ERROR_TRANSPORT,
    ));
    let mut c = String::from("#include <stdio.h>\n#include \"kms_pkcs11.h\"\nint main(void) {\n");
    for (name, _) in &expected {
        c.push_str(&format!(
            "    printf(\"{name} %lu\\n\", (unsigned long)({name}));\n"
        ));
    }
    c.push_str("    return 0;\n}\n");
    let src = dir.path().join("check.c");
    let exe = dir.path().join("check");
    std::fs::write(&src, c).unwrap();
    let include = root.join("include");
    let cc = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Werror", "-I"])
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("a C compiler (cc)");
    assert!(
        cc.status.success(),
        "header does not compile: {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
    for (name, value) in &expected {
        let line = format!("{name} {value}");
        assert!(
            out.lines().any(|l| l == line),
            "{name}: header says {out:?}, Rust says {value}"
        );
    }
    let header = std::fs::read_to_string(include.join("kms_pkcs11.h")).unwrap();
    let declared = header
        .lines()
        .filter(|l| l.starts_with("#define CK") || l.starts_with("#define KMS_DEVICE_ERROR_"))
        .count();
    assert_eq!(
        declared,
        expected.len(),
        "every constant in the header is checked"
    );
}
