//! The client identity of a TLS client certificate: the principal every front end and every
//! policy (token admission, `so_identities`, key principals) compares.

/// The client identity of a certificate: its subject DN in RFC 4514 form, as x509-parser
/// prints it. Computed once per connection, so every comparison sees one normal form.
pub fn identity_of(cert: &[u8]) -> Option<String> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    let dn = c.subject().to_string();
    (!dn.is_empty()).then_some(dn)
}
