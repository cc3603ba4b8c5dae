//! `kms-pkcs11-check [--config FILE] [--pin-env VAR]`: checks, step by step, what
//! libkms_pkcs11.so would meet with this configuration (default: `$KMS_PKCS11_CONFIG`, else
//! `/etc/kms-pkcs11/config.toml`). With `--pin-env VAR` it also logs in with the user PIN held in
//! environment variable VAR (a PIN is never taken on the command line, where `ps` shows it).
//! Exit status 0 when every step passes, 1 otherwise, 2 on a usage error.

use kms_api::SecretBytes;
use kms_pkcs11::config::{CONFIG_ENV, DEFAULT_CONFIG_PATH};
use std::path::PathBuf;
use std::process::ExitCode;
use zeroize::Zeroizing;

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "kms-pkcs11-check: {problem}\nusage: kms-pkcs11-check [--config FILE] [--pin-env VAR]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut config = std::env::var_os(CONFIG_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH));
    let mut pin = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--config", Some(v)) => config = PathBuf::from(v),
            ("--pin-env", Some(var)) => match std::env::var(&var) {
                Ok(p) => pin = Some(SecretBytes(Zeroizing::new(p.into_bytes()))),
                Err(_) => return usage(&format!("environment variable {var} is not set")),
            },
            ("--help" | "-h", _) => return usage("checks a kms-pkcs11 module configuration"),
            (other, _) => return usage(&format!("unexpected argument {other}")),
        }
    }
    println!("kms-pkcs11-check: {}", config.display());
    let report = kms_pkcs11::check::run(&config, pin.as_ref());
    print!("{}", report.render());
    match report.problems() {
        0 => {
            println!("all checks passed");
            ExitCode::SUCCESS
        }
        n => {
            println!("{n} problem(s) found");
            ExitCode::FAILURE
        }
    }
}
