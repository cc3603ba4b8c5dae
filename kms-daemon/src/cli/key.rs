//! `kmsd key list|show|activate|deactivate|revoke|destroy|cancel-destroy|rotate|set-policy`: key
//! administration on the local store, safe next to a running `kmsd serve` (see
//! `keys::admin`). Every change is audited with actor `local-admin`; refusals too.

use super::view::{json, key_table, KeyView};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys::admin::{self, PolicyChange};
use crate::model::dates::parse_time;
use crate::model::lifecycle::Transition;
use crate::store::Store;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The config file and output form every key command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// kmsd.toml
    #[arg(long)]
    pub config: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One key: config, output form and the key's id (as `kmsd key list` prints it).
#[derive(Debug, Args)]
pub struct OneKey {
    #[command(flatten)]
    common: Common,
    /// The key's id (CKA_KMS_OBJECT_ID).
    #[arg(long)]
    id: String,
}

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List token keys (all tokens, or one) with their state.
    List {
        #[command(flatten)]
        common: Common,
        /// Only this token's keys.
        #[arg(long)]
        token: Option<String>,
    },
    /// Show one key: state, window, uses, principals.
    Show(OneKey),
    /// Pre-active → active (from now on).
    Activate(OneKey),
    /// Active → deactivated: from now on it only decrypts, verifies and unwraps.
    Deactivate(OneKey),
    /// Mark a key compromised (from pre-active, active or deactivated).
    Revoke {
        #[command(flatten)]
        key: OneKey,
        /// Why (printable text, kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Schedule destruction after the configured waiting period; unusable at once.
    Destroy(OneKey),
    /// Cancel a scheduled destruction that has not happened yet.
    CancelDestroy(OneKey),
    /// New primary material for a secret key; older versions still decrypt (GCM), verify
    /// (HMAC) and unwrap (AES-KW/KWP).
    Rotate(OneKey),
    /// Attach an X.509 certificate (PEM or DER file) to a key: a public certificate object on
    /// the key's token with the key's CKA_ID, as Java, NSS and systemd-cryptenroll look for.
    AttachCert {
        #[command(flatten)]
        key: OneKey,
        /// The certificate file.
        #[arg(long)]
        cert: std::path::PathBuf,
        /// CKA_LABEL of the certificate object (default: the key's label).
        #[arg(long)]
        label: Option<String>,
    },
    /// Change the use policy: usage limit, validity window, principals.
    SetPolicy {
        #[command(flatten)]
        key: OneKey,
        /// Most uses allowed, or `none`.
        #[arg(long)]
        max_uses: Option<String>,
        /// Activation date: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`, ms since the epoch, or `none`.
        #[arg(long)]
        not_before: Option<String>,
        /// Deactivation date (same forms), or `none`.
        #[arg(long)]
        not_after: Option<String>,
        /// A client certificate subject allowed to use the key (repeat for several).
        #[arg(long = "principal")]
        principals: Vec<String>,
        /// Let any logged-in user of the token use the key again.
        #[arg(long, conflicts_with = "principals")]
        any_principal: bool,
    },
}

/// `Some(None)` for `none`, else the parsed value.
fn limit<T>(
    v: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<Option<Option<T>>> {
    v.as_deref()
        .map(|s| match s {
            "none" => Ok(None),
            s => parse(s)
                .map(Some)
                .ok_or_else(|| Error::BadRequest(format!("{what}: cannot read {s:?}"))),
        })
        .transpose()
}

fn print_key(common: &Common, key: &crate::model::object::StoredObject, done: &str) {
    let view = KeyView::of(key);
    if common.json {
        println!("{}", json(&view));
    } else {
        if !done.is_empty() {
            println!("{done}");
        }
        print!("{}", view.details());
    }
}

/// Runs a key subcommand.
pub fn run(cmd: &KeyCommand) -> Result<()> {
    let services = |c: &Common| {
        Config::load(&c.config).and_then(|cfg| crate::cli::unseal::open_services_unsealed(&cfg))
    };
    match cmd {
        KeyCommand::List { common, token } => {
            let store = Store::open(&Config::load(&common.config)?.store)?;
            let keys: Vec<KeyView> = store
                .read(|c| admin::list_keys(c, token.as_deref()))?
                .iter()
                .map(KeyView::of)
                .collect();
            if common.json {
                println!("{}", json(&keys));
            } else {
                print!("{}", key_table(&keys));
            }
        }
        KeyCommand::Show(k) => {
            let store = Store::open(&Config::load(&k.common.config)?.store)?;
            let key = store.read(|c| admin::load_key(c, &k.id))?;
            print_key(&k.common, &key, "");
        }
        KeyCommand::Activate(k) => {
            let key = admin::transition(&services(&k.common)?, &k.id, Transition::Activate, None)?;
            print_key(&k.common, &key, "activated");
        }
        KeyCommand::Deactivate(k) => {
            let key =
                admin::transition(&services(&k.common)?, &k.id, Transition::Deactivate, None)?;
            print_key(&k.common, &key, "deactivated");
        }
        KeyCommand::Revoke { key: k, reason } => {
            let key = admin::transition(
                &services(&k.common)?,
                &k.id,
                Transition::Revoke,
                Some(reason),
            )?;
            print_key(&k.common, &key, "revoked: the key is compromised");
        }
        KeyCommand::Destroy(k) => {
            let key = admin::schedule_destroy(&services(&k.common)?, &k.id)?;
            let done = match &key.life.destroy_at {
                Some(_) if key.sealed.is_some() => {
                    "destruction scheduled (cancel with `kmsd key cancel-destroy`)"
                }
                _ => "destroyed: the material is erased",
            };
            print_key(&k.common, &key, done);
        }
        KeyCommand::AttachCert {
            key: k,
            cert,
            label,
        } => {
            let raw = std::fs::read(cert)
                .map_err(|e| Error::io(format!("reading {}", cert.display()), e))?;
            use rustls_pki_types::pem::PemObject as _;
            let der = match rustls_pki_types::CertificateDer::from_pem_slice(&raw) {
                Ok(c) => c.to_vec(),
                Err(_) => raw,
            };
            let obj = admin::attach_cert(&services(&k.common)?, &k.id, &der, label.as_deref())?;
            if k.common.json {
                println!(
                    "{}",
                    serde_json::json!({"certificate": obj.id, "key": k.id})
                );
            } else {
                println!("certificate {} attached to key {}", obj.id, k.id);
            }
        }
        KeyCommand::Rotate(k) => {
            let key = admin::rotate(&services(&k.common)?, &k.id)?;
            print_key(&k.common, &key, "rotated: a new primary version");
        }
        KeyCommand::CancelDestroy(k) => {
            let key = admin::cancel_destroy(&services(&k.common)?, &k.id)?;
            print_key(&k.common, &key, "destruction cancelled");
        }
        KeyCommand::SetPolicy {
            key: k,
            max_uses,
            not_before,
            not_after,
            principals,
            any_principal,
        } => {
            let change = PolicyChange {
                max_uses: limit(max_uses, |s| s.parse().ok(), "--max-uses")?,
                not_before: limit(not_before, parse_time, "--not-before")?,
                not_after: limit(not_after, parse_time, "--not-after")?,
                principals: match (*any_principal, principals.is_empty()) {
                    (true, _) => Some(None),
                    (false, false) => Some(Some(principals.clone())),
                    (false, true) => None,
                },
            };
            if change == PolicyChange::default() {
                return Err(Error::BadRequest("nothing to change".into()));
            }
            let key = admin::set_policy(&services(&k.common)?, &k.id, &change)?;
            print_key(&k.common, &key, "policy changed");
        }
    }
    Ok(())
}
