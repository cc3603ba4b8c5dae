//! `kmsd serve --config FILE [--listen ADDR]`, and the serving loop quickstart shares.

use crate::config::{check_secret_file, Config};
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::{now_ms, objects, sessions};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Session objects older than this are purged at start.
const EPHEMERAL_MAX_AGE_MS: i64 = 24 * 3600 * 1000;

/// How often keys whose destruction is due are erased (`keys::destroy::sweep`).
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Erases keys whose waiting period is over, every `interval`, off the async threads. A failed
/// sweep is logged and tried again next time (the keys stay unusable meanwhile).
async fn sweep_every(services: Arc<Services>, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let svc = services.clone();
        match tokio::task::spawn_blocking(move || crate::keys::destroy::sweep(&svc)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(destroyed_keys = n, "scheduled destructions done"),
            Ok(Err(e)) => tracing::error!(error = %e, "destruction sweep failed"),
            Err(e) => tracing::error!(error = %e, "destruction sweep panicked"),
        }
    }
}

/// Sets up logging to stderr: `RUST_LOG` if set, else the configured level.
pub fn init_logging(level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Binds `addr` (a std listener, so the caller learns the port before serving).
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr).map_err(|e| Error::io(format!("binding {addr}"), e))
}

/// Checks files, opens the services, and serves on `listener` until SIGTERM/SIGINT. `ready`
/// runs once the signal handlers are in place, just before the first connection is accepted.
pub fn serve_on(
    cfg: &Config,
    listener: std::net::TcpListener,
    ready: impl FnOnce() -> Result<()>,
) -> Result<()> {
    check_secret_file(&cfg.master_key_file)?;
    check_secret_file(&cfg.tls.key)?;
    let tls = crate::server::tls_config(&cfg.tls)?;
    let services = Services::open(cfg)?;
    let idle_ms =
        i64::try_from(cfg.auth.session_idle_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let (purged, idle) = services.store.tx(|tx| {
        Ok((
            objects::purge_ephemeral(tx, now_ms() - EPHEMERAL_MAX_AGE_MS)?,
            sessions::purge_idle(tx, now_ms().saturating_sub(idle_ms))?,
        ))
    })?;
    let destroyed = crate::keys::destroy::sweep(&services)?;
    tracing::info!(
        purged_session_objects = purged,
        expired_logins = idle,
        destroyed_keys = destroyed,
        "store opened"
    );
    let services = Arc::new(services);
    let router = crate::api::app(services.clone());
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("listener", e))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the runtime", e))?;
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| Error::io("listener", e))?;
        let shutdown =
            crate::server::shutdown_signal().map_err(|e| Error::io("signal handlers", e))?;
        ready()?;
        let sweeper = tokio::spawn(sweep_every(services, SWEEP_INTERVAL));
        let served = crate::server::serve(listener, tls, router, shutdown).await;
        sweeper.abort();
        served
    })
}

/// The subcommand.
pub fn run(config: &Path, listen: Option<SocketAddr>) -> Result<()> {
    let cfg = Config::load(config)?;
    init_logging(&cfg.log.level);
    let addr = listen.unwrap_or(cfg.listen);
    let listener = bind(addr)?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("listener", e))?;
    serve_on(&cfg, listener, || {
        tracing::info!(%local, "kmsd listening");
        Ok(())
    })
}
