//! The TLS configuration of the listener ([`tls_config`]: rustls with the aws-lc-rs provider, a
//! required client certificate, TLS 1.3 only unless `allow_tls12`), the configuration in force,
//! and its reload on SIGHUP.
//!
//! Each accepted connection takes the configuration current at its handshake; a reload swaps it
//! for one read anew from the `[tls]` files (server certificate chain, key, client CA), so new
//! handshakes use the new certificate while established connections keep theirs. A reload whose
//! files have a problem ([`crate::preflight::tls_problems`]) is refused and the configuration in
//! force stays.
//!
//! Client certificates are verified by rustls's WebPKI verifier (chain to `client_ca`, validity,
//! `clientAuth` where an ExtendedKeyUsage is present) and then by [`ClientPolicy`]: a certificate
//! must also have an identity kmsd can name and be meant for client authentication
//! ([`crate::auth::identity::check_client_certificate`]), or the handshake fails.

use crate::config::TlsConfig;
use crate::error::{Error, Result};
use crate::pem;
use crate::preflight::{tls_problems, Problem};
use parking_lot::RwLock;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::UnixTime;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};
use std::sync::Arc;

/// The `[tls]` files and the server configuration made from them.
#[derive(Debug)]
pub struct TlsState {
    files: TlsConfig,
    profile: Profile,
    current: RwLock<Arc<ServerConfig>>,
}

/// Which listener a configuration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The `/v1` HTTPS API: TLS 1.3 (and 1.2 when `allow_tls12`), ALPN `http/1.1`.
    Api,
    /// The KMIP listener (`[kmip]`): TLS 1.2 and 1.3 whatever `allow_tls12` says (KMIP clients
    /// such as PyKMIP default to TLS 1.2), no ALPN; the same certificate, client CA and client
    /// certificate rules.
    Kmip,
}

impl TlsState {
    /// Reads the files once, for the `/v1` API.
    pub fn load(files: &TlsConfig) -> Result<TlsState> {
        TlsState::load_for(files, Profile::Api)
    }

    /// Reads the files once, for `profile`'s listener.
    pub fn load_for(files: &TlsConfig, profile: Profile) -> Result<TlsState> {
        Ok(TlsState {
            files: files.clone(),
            profile,
            current: RwLock::new(config_for(files, profile)?),
        })
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.read().clone()
    }

    /// Reads the files again and, if they have no problem, puts them in force. On `Err` the
    /// configuration in force is unchanged.
    pub fn reload(&self) -> std::result::Result<(), Vec<Problem>> {
        let problems = tls_problems(&self.files);
        if !problems.is_empty() {
            return Err(problems);
        }
        let fresh = config_for(&self.files, self.profile).map_err(|e: Error| {
            vec![Problem {
                what: e.to_string(),
                fix: "correct the [tls] files, then send SIGHUP again".into(),
            }]
        })?;
        *self.current.write() = fresh;
        Ok(())
    }
}

/// The rustls server configuration of the `/v1` API for `tls`.
pub fn tls_config(tls: &TlsConfig) -> Result<Arc<ServerConfig>> {
    config_for(tls, Profile::Api)
}

/// The rustls server configuration of `profile`'s listener for `tls`.
pub fn config_for(tls: &TlsConfig, profile: Profile) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = pem::certificates(&tls.cert)?;
    let key = pem::private_key(&tls.key)?;
    let roots = pem::roots(&tls.client_ca)?;
    let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Config(format!("client certificate verifier: {e}")))?;
    let verifier = Arc::new(ClientPolicy { inner: webpki });
    let versions: &[&'static rustls::SupportedProtocolVersion] =
        if tls.allow_tls12 || profile == Profile::Kmip {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13]
        };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| Error::Config(format!("TLS versions: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| Error::Config(format!("server certificate {}: {e}", tls.cert.display())))?;
    if profile == Profile::Api {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Ok(Arc::new(config))
}

/// The client-certificate verifier: WebPKI's chain check, then kmsd's own rules for a client
/// certificate (module doc). A refusal is an invalid-certificate error: the handshake fails
/// with a TLS alert and is counted in `kmsd_tls_handshake_failures_total`.
#[derive(Debug)]
struct ClientPolicy {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for ClientPolicy {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        crate::auth::identity::check_client_certificate(end_entity.as_ref()).map_err(|why| {
            tracing::info!(reason = why, "client certificate refused");
            rustls::Error::InvalidCertificate(CertificateError::InvalidPurpose)
        })?;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
