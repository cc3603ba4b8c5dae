//! Liveness and readiness, and the plain-HTTP operations listener that serves them with the
//! metrics: `GET /healthz` (the process answers), `GET /readyz` (every [`readiness`] check
//! passes: 200, else 503 naming the failing checks), `GET /metrics` (Prometheus text format).
//!
//! The listener is separate from the mutual-TLS API so that load balancers, systemd and
//! Prometheus need no client certificate; it exposes no key, token data beyond labels, or
//! request content, and is bound to loopback by default (`[metrics] listen`).

pub mod metrics;

use crate::state::{AppState, Services};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;

/// The content type of the Prometheus text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One readiness check and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`store`, `audit`).
    pub name: &'static str,
    /// `Err` with the reason when it failed (no secret: store errors only).
    pub result: Result<(), String>,
}

/// Store reachable: a cheap query on the schema version.
fn store_check(svc: &Services) -> Result<(), String> {
    svc.store
        .schema_version()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Audit writable: an insert into the audit table goes through the store's writer like any
/// audited change (one that selects no row, so nothing is written).
fn audit_check(svc: &Services) -> Result<(), String> {
    svc.store
        .tx(|conn| {
            conn.execute(
                "INSERT INTO audit SELECT * FROM audit WHERE 1 = 0",
                crate::store::db::params![],
            )?;
            Ok(())
        })
        .map_err(|e| e.to_string())
}

/// Unsealed: the master key has been given (`kmsd unseal`), so keys can be used.
fn sealed_check(svc: &Services) -> Result<(), String> {
    if svc.vault.is_sealed() {
        Err("sealed; unseal with kmsd unseal".into())
    } else {
        Ok(())
    }
}

/// Every readiness check, in order.
pub fn readiness(svc: &Services) -> Vec<Check> {
    vec![
        Check {
            name: "master_key",
            result: sealed_check(svc),
        },
        Check {
            name: "store",
            result: store_check(svc),
        },
        Check {
            name: "audit",
            result: audit_check(svc),
        },
    ]
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    let checks = tokio::task::spawn_blocking(move || readiness(&s))
        .await
        .unwrap_or_else(|_| {
            vec![Check {
                name: "worker",
                result: Err("readiness task failed".into()),
            }]
        });
    let mut body = String::new();
    let mut ready = true;
    for c in &checks {
        match &c.result {
            Ok(()) => body.push_str(&format!("{}: ok\n", c.name)),
            Err(e) => {
                ready = false;
                tracing::warn!(check = c.name, error = %e, "readiness check failed");
                body.push_str(&format!("{}: failed: {e}\n", c.name));
            }
        }
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    let text = tokio::task::spawn_blocking(move || {
        metrics::render(&s.store, s.vault.is_sealed(), s.limits.inflight.total())
    })
    .await
    .unwrap_or_default();
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text)
}

/// The operations router: `/healthz`, `/readyz`, `/metrics`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves the operations router on `listener` (plain HTTP/1) until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    if let Err(e) = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "operations listener failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_on_a_fresh_store_and_not_without_an_audit_table() {
        let (scratch, store) = crate::store::testing::fresh();
        let mk = scratch.dir.path().join("mk");
        crate::vault::Vault::create_master_key_file(&mk).unwrap();
        let svc = Services {
            store,
            vault: crate::vault::Vault::load(&mk).unwrap().into(),
            auth: Default::default(),
            lifecycle: Default::default(),
            policy: Default::default(),
            key_cache: Default::default(),
            limits: Default::default(),
            audit: Default::default(),
        };
        let checks = readiness(&svc);
        assert!(checks.iter().all(|c| c.result.is_ok()), "{checks:?}");
        assert_eq!(
            checks.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["master_key", "store", "audit"]
        );
        // A store whose audit table cannot take a record fails the audit check only. (Dropped
        // outside a write batch: a batch cannot commit without the audit table any more, since
        // the audit head is written from it.)
        svc.store
            .read(|c| c.execute_batch("DROP TABLE audit"))
            .unwrap();
        let checks = readiness(&svc);
        assert!(checks[1].result.is_ok());
        assert!(checks[2].result.is_err(), "{checks:?}");
        // A sealed kmsd is not ready, and says why.
        let sealed = Services {
            vault: crate::vault::slot::VaultSlot::sealed(),
            ..svc
        };
        let checks = readiness(&sealed);
        assert!(checks[0].result.as_ref().unwrap_err().contains("sealed"));
    }
}
