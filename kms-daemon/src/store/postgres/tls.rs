//! TLS to PostgreSQL: rustls on the aws-lc-rs provider, the server verified against a CA file and
//! by its name (libpq's `sslmode=verify-full`), with `tls-server-end-point` channel binding for
//! SCRAM-SHA-256-PLUS and an optional client certificate.
//!
//! The store URL takes libpq's parameter names ([`Transport::from_url`]):
//! `postgres://kms@db.example:5432/kms?sslmode=verify-full&sslrootcert=/etc/kms/pg-ca.pem`
//! (`sslcert` and `sslkey` add a client certificate). Without `sslmode`, or with
//! `sslmode=disable`, the connection is in clear, which kmsd allows only to a loopback address
//! or a Unix socket. The modes that do not verify the server (`allow`, `prefer`, `require`,
//! `verify-ca`) are refused: key material and PIN hashes cross this connection.
//!
//! Written here rather than taken from `tokio-postgres-rustls`: that crate brings `ring` as a
//! second cryptographic library into kmsd, whose every primitive is aws-lc-rs.

use crate::error::{Error, Result};
use crate::pem;
use ::postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use ::postgres::Socket;
use rustls::pki_types::ServerName;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How kmsd reaches its PostgreSQL server.
#[derive(Clone)]
pub enum Transport {
    /// In clear: loopback or a Unix socket only.
    Clear,
    /// TLS, the server verified.
    Tls(RustlsConnect),
}

/// The TLS parameters of a store URL, in libpq's names.
#[derive(Debug, Default, PartialEq, Eq)]
struct Params {
    mode: Option<String>,
    root_cert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl Transport {
    /// Takes the TLS parameters out of `url`: the URL left for the PostgreSQL client, and how to
    /// connect.
    pub fn from_url(url: &str) -> Result<(String, Transport)> {
        let (rest, params) = split(url)?;
        let transport = match params.mode.as_deref() {
            None | Some("disable") => {
                if params.root_cert.is_some() || params.cert.is_some() || params.key.is_some() {
                    return Err(Error::Config(
                        "store URL: sslrootcert, sslcert and sslkey need sslmode=verify-full"
                            .into(),
                    ));
                }
                Transport::Clear
            }
            Some("verify-full") => Transport::Tls(RustlsConnect::new(&params)?),
            Some(other) => {
                return Err(Error::Config(format!(
                    "store URL: sslmode={other} is not supported: kmsd verifies its PostgreSQL \
                     server, use sslmode=verify-full with sslrootcert=<CA file> (or no sslmode \
                     for a loopback address or a Unix socket)"
                )))
            }
        };
        Ok((rest, transport))
    }

    /// Refuses a connection in clear to anything but a loopback address or a Unix socket.
    pub fn check_hosts(&self, config: &::postgres::Config) -> Result<()> {
        if matches!(self, Transport::Tls(_)) {
            return Ok(());
        }
        use ::postgres::config::Host;
        let remote = config.get_hosts().iter().find_map(|h| match h {
            Host::Tcp(name) if !is_loopback(name) => Some(name.clone()),
            _ => None,
        });
        let remote = remote.or_else(|| {
            config
                .get_hostaddrs()
                .iter()
                .find(|a| !a.is_loopback())
                .map(ToString::to_string)
        });
        match remote {
            Some(host) => Err(Error::Config(format!(
                "store URL: {host} is not a loopback address; a PostgreSQL server on another \
                 host needs TLS: add ?sslmode=verify-full&sslrootcert=<CA file>"
            ))),
            None => Ok(()),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// `url` without the TLS parameters, and those parameters.
fn split(url: &str) -> Result<(String, Params)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Params::default()));
    };
    let mut params = Params::default();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decoded(value)?;
        let path = || PathBuf::from(&value);
        match key {
            "sslmode" => params.mode = Some(value.clone()),
            "sslrootcert" => params.root_cert = Some(path()),
            "sslcert" => params.cert = Some(path()),
            "sslkey" => params.key = Some(path()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, params))
}

fn percent_decoded(s: &str) -> Result<String> {
    let bad = || Error::Config("store URL: a parameter value is not percent-encoded UTF-8".into());
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next().ok_or_else(bad)?, bytes.next().ok_or_else(bad)?];
            let hex = std::str::from_utf8(&hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// Makes a TLS connection per PostgreSQL connection.
#[derive(Clone)]
pub struct RustlsConnect(Arc<rustls::ClientConfig>);

impl RustlsConnect {
    fn new(params: &Params) -> Result<RustlsConnect> {
        let ca = params.root_cert.as_ref().ok_or_else(|| {
            Error::Config("store URL: sslmode=verify-full needs sslrootcert=<CA file>".into())
        })?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| Error::Config(format!("TLS versions: {e}")))?
            .with_root_certificates(pem::roots(ca)?);
        let config = match (&params.cert, &params.key) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(pem::certificates(cert)?, pem::private_key(key)?)
                .map_err(|e| {
                    Error::Config(format!(
                        "store URL: client certificate {}: {e}",
                        cert.display()
                    ))
                })?,
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(Error::Config(
                    "store URL: sslcert and sslkey go together".into(),
                ))
            }
        };
        Ok(RustlsConnect(Arc::new(config)))
    }
}

impl MakeTlsConnect<Socket> for RustlsConnect {
    type Stream = PgTlsStream;
    type TlsConnect = Connect;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> std::result::Result<Connect, Self::Error> {
        Ok(Connect {
            config: self.0.clone(),
            name: ServerName::try_from(domain.to_owned())?,
        })
    }
}

/// One TLS handshake with the server named `name`.
pub struct Connect {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

type Handshake = Pin<Box<dyn Future<Output = io::Result<PgTlsStream>> + Send>>;

impl TlsConnect<Socket> for Connect {
    type Stream = PgTlsStream;
    type Error = io::Error;
    type Future = Handshake;

    fn connect(self, socket: Socket) -> Handshake {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.config);
            let stream = connector.connect(self.name, socket).await?;
            Ok(PgTlsStream(Box::new(stream)))
        })
    }
}

/// A TLS connection to PostgreSQL.
pub struct PgTlsStream(Box<tokio_rustls::client::TlsStream<Socket>>);

impl TlsStream for PgTlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, conn) = self.0.get_ref();
        conn.peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| server_end_point(cert))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

/// RFC 5929 `tls-server-end-point`: the server certificate hashed with the hash of its signature
/// algorithm (SHA-256 for MD5 and SHA-1). None for an algorithm without one hash (RSASSA-PSS,
/// EdDSA): SCRAM then runs without channel binding, as libpq does.
fn server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::digest;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).ok()?;
    let alg = match parsed.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.2" => &digest::SHA256,
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => &digest::SHA384,
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => &digest::SHA512,
        _ => return None,
    };
    Some(digest::digest(alg, cert).as_ref().to_vec())
}

impl AsyncRead for PgTlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PgTlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        match Transport::from_url(url) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{url} accepted"),
        }
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let (rest, p) = split(
            "postgres://kms@db:5432/kms?sslmode=verify-full&application_name=kmsd&sslrootcert=/etc/a%20b.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://kms@db:5432/kms?application_name=kmsd");
        assert_eq!(p.mode.as_deref(), Some("verify-full"));
        assert_eq!(p.root_cert, Some(PathBuf::from("/etc/a b.pem")));
        let (rest, p) = split("postgres://kms@127.0.0.1/kms").unwrap();
        assert_eq!(
            (rest.as_str(), p),
            ("postgres://kms@127.0.0.1/kms", Params::default())
        );
    }

    #[test]
    fn modes_that_do_not_verify_the_server_are_refused() {
        for mode in ["allow", "prefer", "require", "verify-ca"] {
            let e = refusal(&format!("postgres://kms@db/kms?sslmode={mode}"));
            assert!(
                e.contains(&format!("sslmode={mode} is not supported")),
                "{e}"
            );
        }
        let e = refusal("postgres://kms@db/kms?sslmode=verify-full");
        assert!(e.contains("needs sslrootcert"), "{e}");
        let e = refusal("postgres://kms@db/kms?sslrootcert=/ca.pem");
        assert!(e.contains("need sslmode=verify-full"), "{e}");
        let e =
            refusal("postgres://kms@db/kms?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn clear_connections_go_to_loopback_or_a_socket_only() {
        let check = |url: &str| {
            let (rest, t) = Transport::from_url(url).unwrap();
            t.check_hosts(&rest.parse().unwrap())
        };
        for ok in [
            "postgres://kms@127.0.0.1:5432/kms",
            "postgres://kms@localhost/kms",
            "postgres://kms@[::1]:5432/kms",
            "postgres://kms@%2Fvar%2Frun%2Fpostgresql/kms",
            "postgres://kms@127.0.0.1/kms?sslmode=disable",
        ] {
            check(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for remote in [
            "postgres://kms@db.example:5432/kms",
            "postgres://kms@10.0.0.5/kms",
            "postgres://kms@localhost,10.0.0.5/kms",
        ] {
            let e = check(remote).unwrap_err().to_string();
            assert!(e.contains("needs TLS"), "{remote}: {e}");
        }
    }

    #[test]
    fn channel_binding_hashes_with_the_signature_hash() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["db".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().to_vec();
        let expected = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, &der);
        assert_eq!(server_end_point(&der).unwrap(), expected.as_ref());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["db".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(server_end_point(cert.der()), None);
    }
}
