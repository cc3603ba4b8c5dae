//! The client identity of a TLS client certificate: the principal every front end and every
//! policy (token admission, `so_identities`, key principals) compares.
//!
//! **One canonical form.** An identity is the certificate's subject DN in the string form of
//! RFC 4514, computed from the *parsed* DN — never from a display string — so that two different
//! names can never print alike:
//!
//! - RDNs from the last of the sequence to the first, separated by `,` (RFC 4514 §2.1); the
//!   attributes of a multi-valued RDN joined by `+`, in sorted order;
//! - the attribute type by its RFC 4514 §3 short name (`CN`, `L`, `ST`, `O`, `OU`, `C`,
//!   `STREET`, `DC`, `UID`), any other as its dotted OID;
//! - a value of a string type (UTF8String, PrintableString, IA5String, NumericString,
//!   VisibleString, BMPString, UniversalString) as its characters, with `"` `+` `,` `;` `<` `>`
//!   `\` escaped by a backslash, a leading space or `#` and a trailing space escaped, and control
//!   characters written `\HH` (§2.4); a value of any other type — a T61String among them, whose
//!   character set is not well defined — as `#` and the hex of its DER encoding (§2.4).
//!
//! So `CN=app1\, O=Example` (one CN that holds a comma) and `CN=app1,O=Example` (two attributes)
//! are different identities, and two certificates with different T61String names are two
//! identities. A certificate whose subject is empty or does not parse has no identity and is
//! refused at the TLS handshake, as is one whose KeyUsage lacks `digitalSignature` or whose
//! ExtendedKeyUsage lacks `clientAuth` ([`check_client_certificate`]).
//!
//! Identities written by people (`kmsd key set-policy --principal`, `[auth] so_identities`,
//! `kmsd token create --allow`) are read as RFC 4514 strings ([`canonical`]: types in any case
//! or as OIDs, spaces around separators ignored, `\`-escapes and `#hex` values understood) and
//! stored in the canonical form, so `cn=app1, o=Example` names the certificate whose identity is
//! `CN=app1,O=Example`. Values compare exactly (case and inner spaces count).

use x509_parser::asn1_rs::{Any, Class, FromDer as _, Tag};
use x509_parser::certificate::X509Certificate;

/// One attribute value: characters, or the DER encoding of a value with no string form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Text(String),
    Der(Vec<u8>),
}

/// A DN as RFC 4514 orders it (the last RDN of the sequence first): each RDN its attributes.
type Dn = Vec<Vec<(String, Value)>>;

/// RFC 4514 §3 short names and their OIDs.
const SHORT_NAMES: [(&str, &str); 9] = [
    ("CN", "2.5.4.3"),
    ("L", "2.5.4.7"),
    ("ST", "2.5.4.8"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("C", "2.5.4.6"),
    ("STREET", "2.5.4.9"),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("UID", "0.9.2342.19200300.100.1.1"),
];

/// The canonical name of an attribute type given as a dotted OID.
fn type_of_oid(oid: &str) -> String {
    SHORT_NAMES
        .iter()
        .find(|(_, o)| *o == oid)
        .map_or_else(|| oid.to_owned(), |(n, _)| (*n).to_owned())
}

/// The client identity of a certificate (DER): its subject DN in the canonical form (module
/// doc); `None` when the certificate or its subject does not parse, the subject is empty, or a
/// string value is not valid in its encoding.
pub fn identity_of(cert: &[u8]) -> Option<String> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    identity_of_parsed(&c)
}

fn identity_of_parsed(c: &X509Certificate<'_>) -> Option<String> {
    let mut dn: Dn = Vec::new();
    for rdn in c.subject().iter() {
        let mut attrs = Vec::new();
        for atv in rdn.iter() {
            let ty = type_of_oid(&atv.attr_type().to_id_string());
            attrs.push((ty, value_of(atv.attr_value())?));
        }
        if attrs.is_empty() {
            return None;
        }
        dn.push(attrs);
    }
    dn.reverse();
    render(dn)
}

/// Checks a client certificate beyond its chain (which rustls has verified): it has an identity,
/// and it is meant for TLS client authentication — a KeyUsage extension, if present, includes
/// `digitalSignature` (the client signs the handshake), and an ExtendedKeyUsage extension, if
/// present, includes `clientAuth` (or `anyExtendedKeyUsage`). Returns the identity, or why not.
pub fn check_client_certificate(cert: &[u8]) -> Result<String, &'static str> {
    let (_, c) = x509_parser::parse_x509_certificate(cert)
        .map_err(|_| "the client certificate does not parse")?;
    let identity =
        identity_of_parsed(&c).ok_or("the client certificate's subject is empty or malformed")?;
    match c.key_usage() {
        Ok(None) => {}
        Ok(Some(ku)) if ku.value.digital_signature() => {}
        Ok(Some(_)) => return Err("the client certificate's KeyUsage lacks digitalSignature"),
        Err(_) => return Err("the client certificate's KeyUsage is malformed"),
    }
    match c.extended_key_usage() {
        Ok(None) => {}
        Ok(Some(eku)) if eku.value.client_auth || eku.value.any => {}
        Ok(Some(_)) => return Err("the client certificate's ExtendedKeyUsage lacks clientAuth"),
        Err(_) => return Err("the client certificate's ExtendedKeyUsage is malformed"),
    }
    Ok(identity)
}

/// A value as the canonical form keeps it: the characters of a string type, else its DER.
fn value_of(v: &Any<'_>) -> Option<Value> {
    if v.header.class() != Class::Universal || v.header.is_constructed() {
        return Some(Value::Der(der_of(v)));
    }
    string_value(v.tag(), v.data).map(|r| r.map_or_else(|| Value::Der(der_of(v)), Value::Text))
}

fn der_of(v: &Any<'_>) -> Vec<u8> {
    der(v.header.class(), v.header.is_constructed(), v.tag(), v.data)
}

/// The characters of a universal string type: `Some(Some(text))`; `Some(None)` for a type with
/// no string form here (T61String, OCTET STRING …); `None` for a string type whose bytes are
/// not valid in its encoding.
fn string_value(tag: Tag, data: &[u8]) -> Option<Option<String>> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(|s| Some(s.to_owned())),
        Tag::BmpString => {
            let pairs = data.chunks_exact(2);
            if !pairs.remainder().is_empty() {
                return None;
            }
            let units = pairs.map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
                .map(Some)
        }
        Tag::UniversalString => {
            let quads = data.chunks_exact(4);
            if !quads.remainder().is_empty() {
                return None;
            }
            quads
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()
                .map(Some)
        }
        _ => Some(None),
    }
}

/// The DER encoding of one element (identifier, definite length, contents).
fn der(class: Class, constructed: bool, tag: Tag, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    let first = ((class as u8) << 6) | (u8::from(constructed) << 5);
    if tag.0 < 31 {
        out.push(first | tag.0 as u8);
    } else {
        out.push(first | 31);
        let mut groups = Vec::new();
        let mut t = tag.0;
        loop {
            groups.push((t & 0x7f) as u8);
            t >>= 7;
            if t == 0 {
                break;
            }
        }
        for (i, g) in groups.iter().enumerate().rev() {
            out.push(if i == 0 { *g } else { g | 0x80 });
        }
    }
    if data.len() < 128 {
        out.push(data.len() as u8);
    } else {
        let len = (data.len() as u64).to_be_bytes();
        let skip = len.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(data);
    out
}

/// The canonical string of a DN (RFC 4514 order already); `None` when it is empty.
fn render(mut dn: Dn) -> Option<String> {
    if dn.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, rdn) in dn.iter_mut().enumerate() {
        rdn.sort();
        if i > 0 {
            out.push(',');
        }
        for (j, (ty, value)) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(ty);
            out.push('=');
            match value {
                Value::Text(s) => escape_into(s, &mut out),
                Value::Der(d) => {
                    out.push('#');
                    out.push_str(&hex::encode(d));
                }
            }
        }
    }
    Some(out)
}

/// RFC 4514 §2.4 escaping, plus `\HH` for control characters (so an identity is one printable
/// line in logs and audit records).
fn escape_into(s: &str, out: &mut String) {
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// An identity written by a person (RFC 4514 string) in the canonical form (module doc), or why
/// it cannot be read.
pub fn canonical(text: &str) -> Result<String, String> {
    let bad = |why: &str| format!("{text:?} is not a distinguished name (RFC 4514): {why}");
    let mut dn: Dn = vec![Vec::new()];
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    loop {
        // type
        let start = i;
        while i < chars.len() && chars[i] != '=' && chars[i] != ',' && chars[i] != '+' {
            i += 1;
        }
        let ty: String = chars[start..i].iter().collect::<String>().trim().to_owned();
        if i >= chars.len() || chars[i] != '=' || ty.is_empty() {
            return Err(bad("an attribute needs TYPE=VALUE"));
        }
        i += 1;
        let ty = type_of_text(&ty).ok_or_else(|| bad("unknown attribute type"))?;
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let value = if chars.get(i) == Some(&'#') {
            i += 1;
            let start = i;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            let hex_text: String = chars[start..i].iter().collect();
            let bytes = hex::decode(&hex_text).map_err(|_| bad("bad #hex value"))?;
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            value_of_der(&bytes).ok_or_else(|| bad("a #hex value must be one DER element"))?
        } else {
            let (s, next) = unescape(&chars, i).map_err(&bad)?;
            i = next;
            Value::Text(s)
        };
        if let Some(rdn) = dn.last_mut() {
            rdn.push((ty, value));
        }
        match chars.get(i) {
            None => break,
            Some(',' | ';') => dn.push(Vec::new()),
            Some('+') => {}
            Some(_) => return Err(bad("unexpected character")),
        }
        i += 1;
    }
    if dn.iter().any(Vec::is_empty) {
        return Err(bad("empty RDN"));
    }
    render(dn).ok_or_else(|| bad("empty"))
}

/// `list` (identities written in a configuration or on a command line) in the canonical form; an
/// entry that is no distinguished name is a configuration error naming `setting`.
pub fn canonical_list(list: &[String], setting: &str) -> crate::Result<Vec<String>> {
    list.iter()
        .map(|s| canonical(s).map_err(|e| crate::Error::Config(format!("{setting}: {e}"))))
        .collect()
}

/// Whether `identity` (canonical, from the TLS edge) is one of `list` (as written in the
/// configuration, e.g. `[auth] so_identities`): each entry is compared in its canonical form; an
/// entry that does not parse names no one (`kmsd check-config` and `kmsd serve` report it).
pub fn is_listed(list: &[String], identity: &str) -> bool {
    list.iter()
        .any(|entry| canonical(entry).is_ok_and(|c| c == identity))
}

/// A type written by a person: a short name in any case, or a dotted OID (`oid.` prefix
/// allowed).
fn type_of_text(ty: &str) -> Option<String> {
    if let Some((name, _)) = SHORT_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(ty)) {
        return Some((*name).to_owned());
    }
    let oid = ty
        .strip_prefix("oid.")
        .or_else(|| ty.strip_prefix("OID."))
        .unwrap_or(ty);
    let ok = !oid.is_empty()
        && oid.split('.').count() >= 2
        && oid
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| type_of_oid(oid))
}

/// A `#hex` value: one DER element, kept as characters when it is a string type (so that
/// `CN=#0c0461707031` names the same certificate as `CN=app1`).
fn value_of_der(bytes: &[u8]) -> Option<Value> {
    let (rest, any) = Any::from_der(bytes).ok()?;
    if !rest.is_empty() {
        return None;
    }
    value_of(&any)
}

/// Reads an escaped string value from `chars[i..]` up to an unescaped `,` `;` `+` or the end;
/// unescaped spaces at its start and end are dropped. Returns the value and where it stopped.
fn unescape(chars: &[char], mut i: usize) -> Result<(String, usize), &'static str> {
    let mut bytes: Vec<u8> = Vec::new();
    // Bytes up to here are kept even if they are spaces (escaped or followed by text).
    let mut keep = 0;
    while i < chars.len() && !matches!(chars[i], ',' | ';' | '+') {
        let c = chars[i];
        if c == '\\' {
            let next = *chars
                .get(i + 1)
                .ok_or("a value ends with a lone backslash")?;
            if next.is_ascii_hexdigit() {
                let lo = *chars.get(i + 2).ok_or("bad \\HH escape")?;
                let pair: String = [next, lo].iter().collect();
                bytes.push(u8::from_str_radix(&pair, 16).map_err(|_| "bad \\HH escape")?);
                i += 3;
            } else {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
                i += 2;
            }
            keep = bytes.len();
            continue;
        }
        if matches!(c, '"' | '<' | '>') {
            return Err("a special character must be escaped with a backslash");
        }
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        if c != ' ' {
            keep = bytes.len();
        }
        i += 1;
    }
    bytes.truncate(keep);
    let s = String::from_utf8(bytes).map_err(|_| "a value is not valid UTF-8")?;
    Ok((s, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_identities_are_canonical() {
        for (written, canon) in [
            ("CN=kms-admin", "CN=kms-admin"),
            ("cn=app1, o=Example", "CN=app1,O=Example"),
            (" CN = app1 ,O=Example ", "CN=app1,O=Example"),
            ("2.5.4.3=app1;OID.2.5.4.10=Example", "CN=app1,O=Example"),
            ("CN=app1\\, O=Example", "CN=app1\\, O=Example"),
            ("CN=a\\2cb", "CN=a\\,b"),
            ("O=x+CN=y", "CN=y+O=x"),
            ("CN=\\ padded\\ ", "CN=\\ padded\\ "),
            ("CN=#0c0461707031", "CN=app1"),
            ("CN=#14056162636465", "CN=#14056162636465"),
            ("CN=\\#hash", "CN=\\#hash"),
            ("2.5.4.5=123", "2.5.4.5=123"),
        ] {
            assert_eq!(canonical(written).as_deref(), Ok(canon), "{written}");
            assert_eq!(
                canonical(canon).as_deref(),
                Ok(canon),
                "{canon} is a fixed point"
            );
        }
        for bad in [
            "",
            "CN",
            "=x",
            "CN=a,",
            "CN=a\\",
            "CN=#zz",
            "XX=a",
            "CN=a\"b",
            "CN=a,,O=b",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn certificate_names_render_in_rfc4514_order_with_escapes() {
        use rcgen::{CertificateParams, DnType, DnValue, KeyPair};
        let cert = |dn: &[(DnType, DnValue)]| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.distinguished_name = rcgen::DistinguishedName::new();
            for (t, v) in dn {
                p.distinguished_name.push(t.clone(), v.clone());
            }
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            p.self_signed(&key).unwrap().der().to_vec()
        };
        let utf8 = |s: &str| DnValue::Utf8String(s.into());
        let comma = cert(&[(DnType::CommonName, utf8("app1, O=Example"))]);
        let two = cert(&[
            (DnType::OrganizationName, utf8("Example")),
            (DnType::CommonName, utf8("app1")),
        ]);
        assert_eq!(
            identity_of(&comma).unwrap(),
            "CN=app1\\, O=Example",
            "one CN holding a comma"
        );
        assert_eq!(identity_of(&two).unwrap(), "CN=app1,O=Example");
        assert_eq!(
            canonical("CN=app1,O=Example").unwrap(),
            identity_of(&two).unwrap()
        );
        let t61 = |s: &str| {
            cert(&[(
                DnType::CommonName,
                DnValue::TeletexString(s.try_into().unwrap()),
            )])
        };
        let (a, b) = (identity_of(&t61("alice")), identity_of(&t61("bob")));
        assert!(a.as_deref().unwrap().starts_with("CN=#14"), "{a:?}");
        assert_ne!(a, b, "two T61String names are two identities");
    }
}
