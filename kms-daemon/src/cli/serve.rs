//! `kmsd serve --config FILE [--listen ADDR]`, and the serving loop quickstart shares.

use crate::audit::{ChainWatch, Verdict};
use crate::clock::now_ms;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::preflight::{self, bind_problem, refusal, refuse_on, Bind};
use crate::server::tls::TlsState;
use crate::state::Services;
use crate::store::{idempotency, objects, sessions};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Session objects older than this are purged at start.
const EPHEMERAL_MAX_AGE_MS: i64 = 24 * 3600 * 1000;

/// How often keys whose destruction is due are erased (`keys::destroy::sweep`).
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Checks the audit chain ([`ChainWatch`]: all of it the first time, then what was added) and
/// reports a break — an error line (once per break) and `kmsd_audit_chain_broken` 1. kmsd goes
/// on serving: the chain is evidence, and `kmsd audit verify` names what changed.
fn watch_chain(svc: &Services, watch: &ChainWatch) {
    use std::sync::atomic::Ordering;
    let flag = &crate::metrics::AUDIT_CHAIN_BROKEN;
    match watch.check(&svc.store) {
        Ok(Verdict::Ok { .. }) => {
            if flag.swap(false, Ordering::Relaxed) {
                tracing::info!("audit chain verified again");
            }
        }
        Ok(Verdict::Broken { seq, reason }) => {
            if !flag.swap(true, Ordering::Relaxed) {
                tracing::error!(
                    seq,
                    reason = %reason,
                    "audit chain BROKEN: a record was changed, removed or inserted behind kmsd's \
                     back; run kmsd audit verify"
                );
            }
        }
        Err(e) => tracing::error!(error = %e, "the audit chain could not be read to check it"),
    }
}

/// Checks the audit chain ([`watch_chain`]), erases keys whose waiting period is over and
/// forgets expired idempotency keys (`keys::idempotent`), at start and then every `interval`,
/// off the async threads. A failed sweep is logged and tried again next time (the keys stay
/// unusable meanwhile).
async fn sweep_every(services: Arc<Services>, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watch = Arc::new(ChainWatch::default());
    loop {
        tick.tick().await;
        let svc = services.clone();
        let watch = watch.clone();
        // Also follows the keyring, so that erased master key versions leave memory.
        let work = move || {
            watch_chain(&svc, &watch);
            if let Err(e) = svc.vault.refresh(false) {
                tracing::error!(error = %e, "master key versions could not be re-read");
            }
            if let Err(e) = svc.store.tx(|tx| idempotency::sweep(tx, now_ms())) {
                tracing::error!(error = %e, "expired idempotency keys could not be swept");
            }
            crate::keys::destroy::sweep(&svc)
        };
        match tokio::task::spawn_blocking(work).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(destroyed_keys = n, "scheduled destructions done"),
            Ok(Err(e)) => tracing::error!(error = %e, "destruction sweep failed"),
            Err(e) => tracing::error!(error = %e, "destruction sweep panicked"),
        }
    }
}

/// Binds `addr` (a std listener, so the caller learns the port before serving).
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr).map_err(|e| Error::io(format!("binding {addr}"), e))
}

/// Binds the operations listener of `[metrics]`, if enabled. With `fallback_to_free_port`
/// (quickstart), a busy address falls back to a free loopback port.
pub fn bind_metrics(
    cfg: &Config,
    fallback_to_free_port: bool,
) -> Result<Option<std::net::TcpListener>> {
    if !cfg.metrics.enabled {
        return Ok(None);
    }
    match std::net::TcpListener::bind(cfg.metrics.listen) {
        Ok(l) => Ok(Some(l)),
        Err(e) if fallback_to_free_port && e.kind() == std::io::ErrorKind::AddrInUse => {
            bind((std::net::Ipv4Addr::LOCALHOST, 0).into()).map(Some)
        }
        Err(e) => Err(refusal(&[bind_problem(
            "metrics.listen",
            cfg.metrics.listen,
            &e,
        )])),
    }
}

/// Runs the checks of `kmsd check-config` but for the listen addresses (bound next, a failure
/// reported in the same words), and refuses to start, with the same messages, on any problem.
pub fn refuse_on_problems(cfg: &Config, config_path: &Path) -> Result<()> {
    refuse_on(&preflight::check(cfg, config_path, Bind::Skip))
}

/// The bound address of a listener.
pub fn local_addr(l: &std::net::TcpListener) -> Result<SocketAddr> {
    l.local_addr().map_err(|e| Error::io("listener", e))
}

/// The sockets kmsd serves on.
#[derive(Debug)]
pub struct Listeners {
    /// The mutual-TLS API.
    pub api: std::net::TcpListener,
    /// The plain-HTTP operations listener, unless `[metrics] enabled = false`.
    pub metrics: Option<std::net::TcpListener>,
    /// The KMIP listener, when `[kmip]` is configured.
    pub kmip: Option<std::net::TcpListener>,
}

/// Binds the KMIP listener of `[kmip]`, if configured.
pub fn bind_kmip(cfg: &Config) -> Result<Option<std::net::TcpListener>> {
    let Some(kmip) = &cfg.kmip else {
        return Ok(None);
    };
    std::net::TcpListener::bind(kmip.listen)
        .map(Some)
        .map_err(|e| refusal(&[bind_problem("kmip.listen", kmip.listen, &e)]))
}

fn to_tokio(l: std::net::TcpListener) -> Result<tokio::net::TcpListener> {
    l.set_nonblocking(true)
        .map_err(|e| Error::io("listener", e))?;
    tokio::net::TcpListener::from_std(l).map_err(|e| Error::io("listener", e))
}

/// Opens the services and serves on `listeners` until SIGTERM/SIGINT (SIGHUP reloads the TLS
/// files). Callers first run [`refuse_on_problems`]. `ready` runs once the signal handlers are in
/// place, just before the first connection is accepted.
pub fn serve_on(
    cfg: &Config,
    listeners: Listeners,
    ready: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let tls = Arc::new(TlsState::load(&cfg.tls)?);
    let kmip_tls = match &listeners.kmip {
        Some(_) => Some(Arc::new(TlsState::load_for(
            &cfg.tls,
            crate::server::tls::Profile::Kmip,
        )?)),
        None => None,
    };
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
    let unsealer = if services.vault.is_sealed() {
        let timeout = Duration::from_secs(cfg.master_key.unseal_timeout_secs);
        Some(Arc::new(crate::vault::unseal::Unsealer::new(
            crate::vault::slot::load_record(cfg)?,
            timeout,
        )))
    } else {
        None
    };
    let state = Arc::new(services);
    let router = crate::api::app(state.clone());
    let drain = Duration::from_secs(cfg.shutdown_timeout_secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the runtime", e))?;
    rt.block_on(async move {
        let api = to_tokio(listeners.api)?;
        let signal =
            crate::server::shutdown_signal().map_err(|e| Error::io("signal handlers", e))?;
        let reload = crate::server::reload_signal().map_err(|e| Error::io("signal handlers", e))?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let ops = match listeners.metrics {
            Some(l) => Some(tokio::spawn(crate::health::serve(
                to_tokio(l)?,
                state.clone(),
                stopped(),
            ))),
            None => None,
        };
        let unseal = match unsealer {
            Some(u) => {
                let path = crate::server::unseal_socket::unseal_socket_path(cfg);
                let listener = crate::server::unseal_socket::bind(&path)?;
                tracing::warn!(
                    socket = %path.display(),
                    "kmsd is sealed: the API answers 503 until kmsd unseal gives the master key"
                );
                Some(tokio::spawn(crate::server::unseal_socket::serve(
                    listener,
                    path,
                    u,
                    state.clone(),
                    stopped(),
                )))
            }
            None => None,
        };
        let kmip = match (listeners.kmip, kmip_tls, &cfg.kmip) {
            (Some(l), Some(tls), Some(config)) => {
                let shared = crate::server::kmip::Shared {
                    services: state.clone(),
                    config: config.clone(),
                    message_timeout: Duration::from_secs(cfg.limits.request_header_timeout_secs),
                };
                let reload =
                    crate::server::reload_signal().map_err(|e| Error::io("signal handlers", e))?;
                let max = usize::try_from(cfg.limits.max_connections).unwrap_or(usize::MAX);
                Some(tokio::spawn(crate::server::kmip::serve(
                    to_tokio(l)?,
                    tls,
                    shared,
                    max,
                    reload,
                    stopped(),
                )))
            }
            _ => None,
        };
        ready()?;
        crate::server::notify::notify("READY=1");
        let sweeper = tokio::spawn(sweep_every(state.clone(), SWEEP_INTERVAL));
        tokio::spawn(async move {
            signal.await;
            let _ = stop_tx.send(true);
        });
        let limits = crate::server::ConnLimits {
            max_connections: usize::try_from(cfg.limits.max_connections).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(cfg.limits.request_header_timeout_secs),
        };
        let result = crate::server::serve(api, tls, router, reload, stopped(), drain, limits).await;
        sweeper.abort();
        if let Some(kmip) = kmip {
            let _ = tokio::time::timeout(drain, kmip).await;
        }
        if let Some(unseal) = unseal {
            let _ = tokio::time::timeout(drain, unseal).await;
        }
        if let Some(ops) = ops {
            if tokio::time::timeout(drain, ops).await.is_err() {
                tracing::warn!("operations listener did not stop in time");
            }
        }
        result
    })
}

/// The subcommand.
pub fn run(config: &Path, listen: Option<SocketAddr>) -> Result<()> {
    let cfg = Config::load(config)?;
    crate::logging::init(&cfg.log);
    let addr = listen.unwrap_or(cfg.listen);
    refuse_on_problems(&cfg, config)?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| refusal(&[bind_problem("listen", addr, &e)]))?;
    let local = local_addr(&listener)?;
    let metrics = bind_metrics(&cfg, false)?;
    let metrics_addr = metrics.as_ref().map(local_addr).transpose()?;
    let kmip = bind_kmip(&cfg)?;
    let kmip_addr = kmip.as_ref().map(local_addr).transpose()?;
    let listeners = Listeners {
        api: listener,
        metrics,
        kmip,
    };
    serve_on(&cfg, listeners, || {
        match metrics_addr {
            Some(m) => tracing::info!(%local, metrics = %m, "kmsd listening"),
            None => tracing::info!(%local, "kmsd listening (metrics listener disabled)"),
        }
        if let Some(k) = kmip_addr {
            tracing::info!(kmip = %k, "KMIP listening");
        }
        Ok(())
    })
}
