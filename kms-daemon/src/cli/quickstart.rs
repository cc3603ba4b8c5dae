//! `kmsd quickstart --dir DIR`: a ready development setup, served in the foreground.
//!
//! A new DIR gets a dev CA, server, client and admin certificates, the master key, the store, one
//! token that admits the client and admin certificates' identities (no other certificate of the
//! CA sees it), and `kmsd.toml`, whose `[auth] so_identities` lists the admin certificate's
//! identity (`CN=kms-admin`: only it may log in as SO, security R17). PINs are given with
//! `--user-pin-from`/`--so-pin-from` (env:NAME, file:PATH or stdin), or generated and printed
//! once. An existing DIR is reused as it is
//! (keys survive restarts, PINs unchanged, `kmsd.toml` never rewritten; a DIR made before admin
//! certificates existed stays without one). After binding, `DIR/pkcs11.toml` (and, when DIR has
//! the admin certificate, `DIR/pkcs11-admin.toml`, the same with the admin certificate) is
//! (re)written with the actual address and lines are printed for scripts and tests to parse:
//! `kmsd listening on https://ADDR`, `kmsd metrics on http://ADDR/metrics` (unless `[metrics]` is
//! disabled; a new DIR's config asks for a free port), the module config export and the module
//! path, then one naming the admin configuration when there is one.

use super::secret_input::{read_pin, PinSource};
use super::serve::{
    bind, bind_kmip, bind_metrics, local_addr, refuse_on_problems, serve_on, Listeners,
};
use crate::auth::tokens::create_token;
use crate::config::{AuthConfig, Config, KmipConfig, LogConfig, MetricsConfig, TlsConfig};
use crate::error::{Error, Result};
use crate::pki;
use crate::store::Store;
use crate::vault::Vault;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Default listen address.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 7443));

/// `kmsd quickstart` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for every file of the setup (created if new, reused if not).
    #[arg(long)]
    pub dir: PathBuf,
    /// Listen address (default 127.0.0.1:7443, or a free port if that is busy).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Label of the token created in a new DIR.
    #[arg(long, default_value = "kms-default")]
    pub token: String,
    /// User PIN for a new DIR on the command line, visible in `ps` while kmsd serves: prefer
    /// --user-pin-from (default: random, printed once).
    #[arg(long)]
    pub user_pin: Option<String>,
    /// Where to read the user PIN for a new DIR: env:NAME, file:PATH (mode 0600) or stdin.
    #[arg(long, value_name = "SOURCE", conflicts_with = "user_pin")]
    pub user_pin_from: Option<PinSource>,
    /// SO PIN for a new DIR on the command line, visible in `ps` while kmsd serves: prefer
    /// --so-pin-from (default: random, printed once).
    #[arg(long)]
    pub so_pin: Option<String>,
    /// Where to read the SO PIN for a new DIR: env:NAME, file:PATH (mode 0600) or stdin (after
    /// the user PIN's line when both come from stdin).
    #[arg(long, value_name = "SOURCE", conflicts_with = "so_pin")]
    pub so_pin_from: Option<PinSource>,
    /// The store of a new DIR: a PostgreSQL URL (`postgres://user@host:port/db`, an empty
    /// database) for a first replica that others join with `kmsd serve --config DIR/kmsd.toml
    /// --listen ADDR`; default: the SQLite file DIR/kms.db.
    #[arg(long)]
    pub store: Option<PathBuf>,
}

fn random_pin() -> Result<Zeroizing<String>> {
    loop {
        let b = crate::crypto::rng::secret::<4>()?;
        let v = u32::from_be_bytes(*b);
        if v < 4_200_000_000 {
            return Ok(Zeroizing::new(format!("{:08}", v % 100_000_000)));
        }
    }
}

fn config_for(dir: &Path, so_identities: Vec<String>, store: Option<&Path>, token: &str) -> Config {
    Config {
        listen: DEFAULT_LISTEN,
        store: store.map_or_else(|| dir.join("kms.db"), Path::to_path_buf),
        master_key_file: dir.join("master.key"),
        master_key: Default::default(),
        shutdown_timeout_secs: 10,
        tls: TlsConfig {
            cert: dir.join(pki::SERVER_CERT),
            key: dir.join(pki::SERVER_KEY),
            client_ca: dir.join(pki::CA_CERT),
            allow_tls12: false,
        },
        auth: AuthConfig {
            so_identities,
            ..AuthConfig::default()
        },
        log: LogConfig::default(),
        lifecycle: Default::default(),
        policy: Default::default(),
        limits: Default::default(),
        audit: Default::default(),
        // Port 0: a free port at each start (printed), so several setups run side by side.
        metrics: MetricsConfig {
            enabled: true,
            listen: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
        },
        // KMIP on a free port too, acting on the quick start's token.
        kmip: Some(KmipConfig {
            listen: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
            token: token.to_owned(),
            max_message_bytes: 1 << 20,
        }),
    }
}

fn create(dir: &Path, args: &Args) -> Result<()> {
    let given_user = read_pin(
        "user PIN",
        args.user_pin_from.as_ref(),
        args.user_pin.as_deref(),
    )?;
    let given_so = read_pin("SO PIN", args.so_pin_from.as_ref(), args.so_pin.as_deref())?;
    pki::create(dir)?;
    let admin = pki::identity_of_file(&dir.join(pki::ADMIN_CERT))?;
    let client = pki::identity_of_file(&dir.join(pki::CLIENT_CERT))?;
    let cfg = config_for(dir, vec![admin.clone()], args.store.as_deref(), &args.token);
    Vault::create_master_key_file(&cfg.master_key_file)?;
    let store = Store::create(&cfg.store)?;
    let generated = (given_user.is_none(), given_so.is_none());
    let user_pin = given_user.map_or_else(random_pin, Ok)?;
    let so_pin = given_so.map_or_else(random_pin, Ok)?;
    create_token(
        &store,
        &args.token,
        user_pin.as_bytes(),
        so_pin.as_bytes(),
        Some(vec![client, admin]),
    )?;
    let text = format!(
        "# kmsd configuration written by `kmsd quickstart` (development only).\n\
         # [auth] so_identities: client identities allowed to log in as SO (here the admin\n\
         # certificate admin.pem; the module uses it through pkcs11-admin.toml).\n{}",
        cfg.to_toml()?
    );
    pki::write_public(&dir.join("kmsd.toml"), &text)?;
    println!(
        "created token {:?} (admits client.pem and admin.pem)",
        args.token
    );
    if generated.0 {
        println!("user PIN: {} (shown once)", user_pin.as_str());
    }
    if generated.1 {
        println!("SO PIN: {} (shown once)", so_pin.as_str());
    }
    Ok(())
}

/// Writes the address kmsd listens on into the top-level `listen` line of `kmsd.toml` (the rest
/// of the file, comments included, stays as it is), so that `kmsd serve --config` on the
/// directory later listens where the module configuration points.
fn record_listen(config_path: &Path, addr: SocketAddr) -> Result<()> {
    let io = |e| Error::io(format!("updating {}", config_path.display()), e);
    let text = std::fs::read_to_string(config_path).map_err(io)?;
    let mut in_table = false;
    let mut replaced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            in_table |= line.trim_start().starts_with('[');
            if !in_table && !replaced && line.trim_start().starts_with("listen") {
                replaced = true;
                format!("listen = \"{addr}\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !replaced {
        return Err(Error::Config(format!(
            "{} has no top-level listen setting",
            config_path.display()
        )));
    }
    std::fs::write(config_path, lines.join("\n") + "\n").map_err(io)
}

/// The module configuration for this setup, with the actual address.
pub fn module_config(dir: &Path, token: &str, addr: SocketAddr) -> String {
    module_config_with(dir, token, addr, pki::CLIENT_CERT, pki::CLIENT_KEY)
}

/// The module configuration for this setup with the admin (SO) certificate.
pub fn admin_module_config(dir: &Path, token: &str, addr: SocketAddr) -> String {
    module_config_with(dir, token, addr, pki::ADMIN_CERT, pki::ADMIN_KEY)
}

fn module_config_with(dir: &Path, token: &str, addr: SocketAddr, cert: &str, key: &str) -> String {
    let q = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
    let t = toml::Value::String(token.to_owned()).to_string();
    format!(
        "[[slots]]\ntoken = {t}\nendpoints = [\"https://{addr}\"]\nca_file = {}\ncert_file = {}\nkey_file = {}\n\n\
         [timeouts]\nconnect_ms = 2000\nrequest_ms = 5000\n",
        q(&dir.join(pki::CA_CERT)),
        q(&dir.join(cert)),
        q(&dir.join(key)),
    )
}

/// A PyKMIP client configuration (`[client]` section) for this setup's KMIP listener: the
/// client certificate, the CA, and the token's label as the username (the user PIN is the
/// password; it is not written here).
pub fn pykmip_config(dir: &Path, token: &str, addr: SocketAddr) -> String {
    format!(
        "[client]\nhost = {}\nport = {}\ncertfile = {}\nkeyfile = {}\nca_certs = {}\n\
         ssl_version = PROTOCOL_SSLv23\nusername = {token}\n",
        addr.ip(),
        addr.port(),
        dir.join(pki::CLIENT_CERT).display(),
        dir.join(pki::CLIENT_KEY).display(),
        dir.join(pki::CA_CERT).display(),
    )
}

fn module_path() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("libkms_pkcs11.so")))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "build it with: cargo build --release -p kms-pkcs11".to_owned())
}

fn first_token(cfg: &Config, preferred: &str) -> Result<String> {
    let store = Store::open(&cfg.store)?;
    let rows = store.read(crate::store::tokens::list)?;
    Ok(rows
        .iter()
        .find(|r| r.label == preferred)
        .or_else(|| rows.first())
        .map(|r| r.label.clone())
        .unwrap_or_else(|| preferred.to_owned()))
}

/// The subcommand.
pub fn run(args: &Args) -> Result<()> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::io(format!("creating {}", args.dir.display()), e))?;
    let dir = args
        .dir
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", args.dir.display()), e))?;
    let config_path = dir.join("kmsd.toml");
    let created = !config_path.exists();
    if created {
        create(&dir, args)?;
    } else {
        println!("reusing {} (PINs unchanged)", dir.display());
    }
    let cfg = Config::load(&config_path)?;
    crate::logging::init(&cfg.log);
    refuse_on_problems(&cfg, &config_path)?;
    let listener = match args.listen {
        Some(addr) => bind(addr)?,
        None => match std::net::TcpListener::bind(cfg.listen) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                bind((Ipv4Addr::LOCALHOST, 0).into())?
            }
            Err(e) => return Err(Error::io(format!("binding {}", cfg.listen), e)),
        },
    };
    let addr = local_addr(&listener)?;
    // A new directory's kmsd.toml names the address its first run listened on; an existing
    // one is left as its owner wrote it.
    if created && addr != cfg.listen {
        record_listen(&config_path, addr)?;
    }
    let metrics = bind_metrics(&cfg, true)?;
    let metrics_addr = metrics.as_ref().map(local_addr).transpose()?;
    let kmip = bind_kmip(&cfg)?;
    let kmip_addr = kmip.as_ref().map(local_addr).transpose()?;
    let token = first_token(&cfg, &args.token)?;
    let module_cfg = dir.join("pkcs11.toml");
    pki::write_public(&module_cfg, &module_config(&dir, &token, addr))?;
    let has_admin = dir.join(pki::ADMIN_CERT).exists() && dir.join(pki::ADMIN_KEY).exists();
    let admin_cfg = dir.join("pkcs11-admin.toml");
    if has_admin {
        pki::write_public(&admin_cfg, &admin_module_config(&dir, &token, addr))?;
    }
    let pykmip_cfg = dir.join("pykmip.conf");
    if let (Some(k), Some(kc)) = (kmip_addr, &cfg.kmip) {
        pki::write_public(&pykmip_cfg, &pykmip_config(&dir, &kc.token, k))?;
    }
    // The lines tests and users wait for are printed once kmsd can take a signal and a request.
    let listeners = Listeners {
        api: listener,
        metrics,
        kmip,
    };
    serve_on(&cfg, listeners, || {
        let mut out = std::io::stdout().lock();
        writeln!(out, "kmsd listening on https://{addr}")
            .and_then(|_| match metrics_addr {
                Some(m) => writeln!(out, "kmsd metrics on http://{m}/metrics"),
                None => Ok(()),
            })
            .and_then(|_| match kmip_addr {
                Some(k) => writeln!(
                    out,
                    "kmsd kmip on {k} (PyKMIP client config: {})",
                    pykmip_cfg.display()
                ),
                None => Ok(()),
            })
            .and_then(|_| writeln!(out, "export KMS_PKCS11_CONFIG={}", module_cfg.display()))
            .and_then(|_| writeln!(out, "module: {}", module_path()))
            .and_then(|_| {
                if has_admin {
                    writeln!(out, "SO (admin) module config: {}", admin_cfg.display())
                } else {
                    Ok(())
                }
            })
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("stdout", e))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_config_shape() {
        let text = module_config(
            Path::new("/abs/dir"),
            "kms-default",
            "127.0.0.1:7443".parse().unwrap(),
        );
        assert_eq!(
            text,
            "[[slots]]\ntoken = \"kms-default\"\nendpoints = [\"https://127.0.0.1:7443\"]\n\
             ca_file = \"/abs/dir/ca.pem\"\ncert_file = \"/abs/dir/client.pem\"\nkey_file = \"/abs/dir/client.key\"\n\n\
             [timeouts]\nconnect_ms = 2000\nrequest_ms = 5000\n"
        );
        assert_eq!(random_pin().unwrap().len(), 8);
        let admin = admin_module_config(
            Path::new("/abs/dir"),
            "kms-default",
            "127.0.0.1:7443".parse().unwrap(),
        );
        assert_eq!(
            admin,
            text.replace("client.pem", "admin.pem")
                .replace("client.key", "admin.key")
        );
    }

    #[test]
    fn new_dir_lists_the_admin_identity_for_so() {
        let dir = tempfile::tempdir().unwrap();
        let args = Args {
            dir: dir.path().to_path_buf(),
            listen: None,
            token: "t".into(),
            user_pin: Some("123456".into()),
            user_pin_from: None,
            so_pin: Some("87654321".into()),
            so_pin_from: None,
            store: None,
        };
        create(dir.path(), &args).unwrap();
        let cfg = Config::load(&dir.path().join("kmsd.toml")).unwrap();
        assert_eq!(cfg.auth.so_identities, ["CN=kms-admin"]);
        assert!(dir.path().join(pki::ADMIN_KEY).exists());
    }
}
