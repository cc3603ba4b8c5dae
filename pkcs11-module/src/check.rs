//! `kms-pkcs11-check`: what an application would meet when it loads the module, step by step —
//! the configuration the module would load, each slot's credentials, and for every endpoint the
//! TCP connection, the TLS handshake (kmsd's certificate against `ca_file`, this client's
//! certificate against kmsd's client CA), kmsd's health, the token, and optionally a login.
//! Each step passes or fails with what to do about it; the first thing to run when an
//! application says "token not present".

use crate::client::http::Endpoint;
use crate::client::{tls, DaemonClient};
use crate::config::{Config, SlotConfig};
use crate::error::Error;
use kms_api::msg::UserType;
use kms_api::{ErrorCode, SecretBytes};
use rustls::{ClientConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What was checked.
    pub what: String,
    /// `None` when it passed; else what went wrong and how to fix it.
    pub problem: Option<String>,
    /// What was found (when it passed).
    pub detail: String,
}

/// All steps, in order.
#[derive(Debug, Default)]
pub struct Report {
    /// Steps run.
    pub steps: Vec<Step>,
}

impl Report {
    fn pass(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        self.steps.push(Step {
            what: what.into(),
            problem: None,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, what: impl Into<String>, problem: impl Into<String>) {
        self.steps.push(Step {
            what: what.into(),
            problem: Some(problem.into()),
            detail: String::new(),
        });
    }

    /// Number of failed steps.
    pub fn problems(&self) -> usize {
        self.steps.iter().filter(|s| s.problem.is_some()).count()
    }

    /// The report as text, one line per step.
    pub fn render(&self) -> String {
        let width = self.steps.iter().map(|s| s.what.len()).max().unwrap_or(0);
        let mut out = String::new();
        for s in &self.steps {
            let (tag, text) = match &s.problem {
                None => ("PASS", s.detail.as_str()),
                Some(p) => ("FAIL", p.as_str()),
            };
            out.push_str(&format!("  {tag}  {:width$}  {text}\n", s.what));
        }
        out
    }
}

/// Runs every step for the configuration at `path`; with `pin`, also logs in as the user.
pub fn run(path: &Path, pin: Option<&SecretBytes>) -> Report {
    let mut report = Report::default();
    let config = match Config::from_file(path) {
        Ok(c) => c,
        Err(e) => {
            report.fail(
                "configuration",
                format!(
                    "{e} (the module reads ${} or {})",
                    crate::config::CONFIG_ENV,
                    crate::config::DEFAULT_CONFIG_PATH
                ),
            );
            return report;
        }
    };
    if config.slots.is_empty() {
        report.fail(
            "configuration",
            "no [[slots]]: the module would show no token",
        );
        return report;
    }
    report.pass(
        "configuration",
        format!("{} slot(s) in {}", config.slots.len(), path.display()),
    );
    let timeout = Duration::from_millis(config.timeouts.connect_ms);
    for (i, slot) in config.slots.iter().enumerate() {
        check_slot(&mut report, i, slot, &config, timeout, pin);
    }
    report
}

fn check_slot(
    report: &mut Report,
    i: usize,
    slot: &SlotConfig,
    config: &Config,
    timeout: Duration,
    pin: Option<&SecretBytes>,
) {
    let label = format!("slot {i} ({})", slot.token);
    let tls = match tls::client_config(slot) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            report.fail(format!("{label} credentials"), e);
            return;
        }
    };
    match key_file_exposure(&slot.key_file) {
        Some(mode) => report.fail(
            format!("{label} credentials"),
            format!(
                "{} is readable by others (mode {mode:o}): chmod 600 {}",
                slot.key_file.display(),
                slot.key_file.display()
            ),
        ),
        None => report.pass(
            format!("{label} credentials"),
            "CA, client certificate and key load and fit",
        ),
    }
    let mut reachable = false;
    for url in &slot.endpoints {
        let endpoint = match Endpoint::parse(url) {
            Ok(e) => e,
            Err(e) => {
                report.fail(url.clone(), e);
                continue;
            }
        };
        reachable |= check_endpoint(report, url, &endpoint, &tls, timeout);
    }
    if !reachable {
        return;
    }
    let client = match DaemonClient::new(slot, config.timeouts, "kms-pkcs11-check") {
        Ok(c) => c,
        Err(e) => {
            report.fail(format!("{label} client"), e);
            return;
        }
    };
    match client.token_info() {
        Ok(t) => report.pass(
            format!("{label} token"),
            format!(
                "present (serial {}), user PIN {}",
                t.serial,
                if t.user_pin_initialized {
                    "set"
                } else {
                    "not set: the SO must run C_InitPIN"
                }
            ),
        ),
        Err(e) => {
            let why = match e {
                Error::Ck(_) => format!(
                    "kmsd has no token {:?} for this certificate: create it (kmsd token create \
                     --label {} --allow SUBJECT), admit this certificate's subject (kmsd token \
                     admit --label {} --allow …), or fix `token` in the configuration",
                    slot.token, slot.token, slot.token
                ),
                other => explain(&other),
            };
            report.fail(format!("{label} token"), why);
            return;
        }
    }
    if let Some(pin) = pin {
        match client.login(UserType::User, pin.clone()) {
            Ok(resp) => {
                let _ = client.logout(&resp.session);
                report.pass(format!("{label} user login"), "the PIN is accepted");
            }
            Err(e) => report.fail(format!("{label} user login"), explain(&e)),
        }
    }
}

/// The group/other permission bits of a private key file, if any are set.
fn key_file_exposure(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// TCP, TLS and kmsd's health on one endpoint; true if kmsd answered.
fn check_endpoint(
    report: &mut Report,
    url: &str,
    endpoint: &Endpoint,
    tls: &Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> bool {
    let started = Instant::now();
    let addrs: Vec<_> = match endpoint.authority().to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            report.fail(
                format!("{url} address"),
                format!("cannot resolve {}: {e}", endpoint.authority()),
            );
            return false;
        }
    };
    let Some(tcp) = addrs
        .iter()
        .find_map(|a| TcpStream::connect_timeout(a, timeout).ok())
    else {
        report.fail(
            format!("{url} connect"),
            "nothing accepts connections there: is kmsd running (`kmsd serve` prints \
             \"kmsd listening on …\"), and is the endpoint its address?",
        );
        return false;
    };
    report.pass(
        format!("{url} connect"),
        format!("TCP in {:.1} ms", started.elapsed().as_secs_f64() * 1e3),
    );
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let conn = match ClientConnection::new(tls.clone(), endpoint.server_name().clone()) {
        Ok(c) => c,
        Err(e) => {
            report.fail(format!("{url} TLS"), tls_hint(&e));
            return false;
        }
    };
    let mut stream = StreamOwned::new(conn, tcp);
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        kms_api::Route::Health.template(),
        endpoint.authority()
    );
    let mut answer = Vec::new();
    let exchanged = stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.read_to_end(&mut answer));
    if let Err(e) = exchanged {
        let problem = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map_or_else(|| format!("TLS failed: {e}"), tls_hint);
        report.fail(format!("{url} TLS"), problem);
        return false;
    }
    report.pass(
        format!("{url} TLS"),
        "TLS 1.3; kmsd's certificate verified; this client's accepted",
    );
    let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).to_string();
    if head.starts_with("HTTP/1.1 200") {
        report.pass(format!("{url} health"), "kmsd answers");
        true
    } else {
        let status = head.lines().next().unwrap_or("no answer").to_string();
        report.fail(
            format!("{url} health"),
            format!("kmsd answered {status:?}: see kmsd's log"),
        );
        false
    }
}

/// What a TLS failure means for the configuration.
fn tls_hint(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let fix = match e {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            "kmsd's certificate is not issued by ca_file: set ca_file to the CA that signed it \
             (quickstart: DIR/ca.pem)"
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the endpoint's host is not a name in kmsd's certificate: use a name or address it \
             was issued for"
        }
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => "kmsd's certificate is outside its validity period (or this clock is wrong)",
        E::InvalidCertificate(C::ApplicationVerificationFailure) => {
            "kmsd's certificate is not the pinned one: update server_cert_sha256 \
             (openssl x509 -noout -fingerprint -sha256 -in server.pem) or remove it"
        }
        E::AlertReceived(A::CertificateRequired) => {
            "kmsd requires a client certificate: set cert_file and key_file"
        }
        E::AlertReceived(
            A::UnknownCA | A::BadCertificate | A::CertificateUnknown | A::DecryptError,
        ) => {
            "kmsd refused this client certificate: it must be issued by kmsd's client CA \
             (quickstart: DIR/client.pem)"
        }
        E::AlertReceived(A::CertificateExpired) => "kmsd says this client certificate expired",
        E::AlertReceived(A::ProtocolVersion) => "kmsd does not speak TLS 1.3",
        _ => "see kmsd's log for its side of the handshake",
    };
    format!("{e}: {fix}")
}

/// A failure of a kmsd call, for a person.
fn explain(e: &Error) -> String {
    match e {
        Error::Daemon(ErrorCode::PinIncorrect) => "kmsd says the PIN is incorrect".into(),
        Error::Daemon(ErrorCode::PinLocked) => {
            "the user PIN is locked: the SO must reset it (C_InitPIN)".into()
        }
        Error::Daemon(ErrorCode::UserPinNotInitialized) => {
            "the user PIN is not set: the SO must run C_InitPIN".into()
        }
        Error::Daemon(code) => format!("kmsd refused: {}", crate::log::code_name(*code)),
        Error::Device(d) => format!("no usable answer from kmsd: {d}"),
        Error::Ck(rv) => format!("refused: {}", crate::log::rv_name(*rv)),
    }
}
