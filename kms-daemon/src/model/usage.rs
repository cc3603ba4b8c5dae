//! A key's usage flags, decided at creation: the defaults of the flags a template does not name,
//! and the role separation of security rule R1 refused there, not at use.
//!
//! The flags form roles: signing (`CKA_SIGN`/`CKA_VERIFY`), ciphering (`CKA_ENCRYPT`/
//! `CKA_DECRYPT`), key transport (`CKA_WRAP`/`CKA_UNWRAP`) and derivation (`CKA_DERIVE`). A
//! template asks for the roles of the flags it gives as true — for a key pair, what either
//! half's template gives. A flag the template does not name is then true when its role was
//! asked for, false otherwise; a template that asks for no role gets the data roles of its key
//! type ([`default_roles`]), never key transport. So `{CKA_WRAP, CKA_UNWRAP}` makes a wrapping
//! key that does not also encrypt, `{CKA_ENCRYPT}` a key that decrypts too, and `{}` a key for
//! data only.
//!
//! A key that would both wrap and decrypt, or both unwrap and encrypt — on one key or across the
//! two halves of a pair — is refused at creation ([`check_separated`], `template_inconsistent`):
//! it could be made to decrypt what it wrapped (attacks T1, T2, T6).

use super::object::AttrMap;
use crate::ck::*;
use crate::error::{Error, Result};
use kms_api::AttrValue;

/// A set of roles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles(u8);

/// Each role and its flags.
const ROLES: [(Roles, &[u64]); 4] = [
    (Roles::SIGNING, &[CKA_SIGN, CKA_VERIFY]),
    (Roles::CIPHERING, &[CKA_ENCRYPT, CKA_DECRYPT]),
    (Roles::TRANSPORT, &[CKA_WRAP, CKA_UNWRAP]),
    (Roles::DERIVING, &[CKA_DERIVE]),
];

impl Roles {
    /// `CKA_SIGN`, `CKA_VERIFY`.
    pub const SIGNING: Roles = Roles(1);
    /// `CKA_ENCRYPT`, `CKA_DECRYPT`.
    pub const CIPHERING: Roles = Roles(2);
    /// `CKA_WRAP`, `CKA_UNWRAP`.
    pub const TRANSPORT: Roles = Roles(4);
    /// `CKA_DERIVE`.
    pub const DERIVING: Roles = Roles(8);

    fn with(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    fn has(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }
}

/// The role of a usage flag.
fn role_of(ty: u64) -> Option<Roles> {
    ROLES
        .iter()
        .find(|(_, flags)| flags.contains(&ty))
        .map(|(role, _)| *role)
}

fn named_true(map: &AttrMap, ty: u64) -> bool {
    map.get(&ty).and_then(AttrValue::as_bool) == Some(true)
}

/// The roles a key of `key_type` gets when its template asks for none: a MAC key signs, an AES
/// key ciphers, an RSA key (or pair) signs and ciphers, an EC or Edwards key signs.
pub fn default_roles(key_type: u64) -> Roles {
    match key_type {
        CKK_AES => Roles::CIPHERING,
        CKK_RSA => Roles::SIGNING.with(Roles::CIPHERING),
        _ => Roles::SIGNING,
    }
}

/// Whether some mechanism of the table serves the usage flag `ty` with a key of `key_type`.
fn servable(ty: u64, key_type: u64) -> bool {
    kms_api::mech::table::MECHANISMS
        .iter()
        .any(|m| m.key_type == Some(key_type) && m.ops.iter().any(|op| op.usage() == Some(ty)))
}

/// The roles `templates` (one key's, or both halves of a pair) ask for: those with a flag given
/// as true that `key_type` can serve; none asked → [`default_roles`]. (OpenSC's `pkcs11-tool
/// --keygen` names ENCRYPT and DECRYPT for every secret key, a MAC key included: that key still
/// signs.)
pub fn requested(templates: &[&AttrMap], key_type: u64) -> Roles {
    let asked = templates
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(ty, v)| v.as_bool() == Some(true) && servable(**ty, key_type))
        .filter_map(|(ty, _)| role_of(*ty))
        .fold(Roles::default(), Roles::with);
    if asked == Roles::default() {
        default_roles(key_type)
    } else {
        asked
    }
}

/// Gives each usage flag that `map` does not name and the key has (`has`: the attribute rules
/// of its class) its default: true when its role is in `roles`.
pub fn fill(has: impl Fn(u64) -> bool, roles: Roles, map: &mut AttrMap) {
    for (role, flags) in ROLES {
        for &ty in flags {
            if has(ty) {
                map.entry(ty).or_insert(AttrValue::Bool(roles.has(role)));
            }
        }
    }
}

/// R1 at creation: refuses (`template_inconsistent`) a key whose filled-in flags would both
/// wrap and decrypt, or unwrap and encrypt — `halves` is the key, or the two halves of a pair.
pub fn check_separated(halves: &[&AttrMap]) -> Result<()> {
    let any = |ty| halves.iter().any(|m| named_true(m, ty));
    if (any(CKA_WRAP) && any(CKA_DECRYPT)) || (any(CKA_UNWRAP) && any(CKA_ENCRYPT)) {
        return Err(Error::TemplateInconsistent(
            "a key (or key pair) may not both wrap and decrypt, or unwrap and encrypt (R1)".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(flags: &[(u64, bool)]) -> AttrMap {
        flags
            .iter()
            .map(|&(ty, v)| (ty, AttrValue::Bool(v)))
            .collect()
    }

    fn has(class: u64, key_type: u64) -> impl Fn(u64) -> bool {
        move |ty| super::super::template::change_rule(ty, class, Some(key_type)).is_some()
    }

    fn filled(class: u64, key_type: u64, given: &[(u64, bool)]) -> AttrMap {
        let mut m = map(given);
        let roles = requested(&[&m], key_type);
        fill(has(class, key_type), roles, &mut m);
        m
    }

    fn on(m: &AttrMap) -> Vec<u64> {
        let mut v: Vec<u64> = m
            .iter()
            .filter(|(_, v)| v.as_bool() == Some(true))
            .map(|(ty, _)| *ty)
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn named_roles_decide_the_unnamed_flags() {
        let aes = |given: &[(u64, bool)]| on(&filled(CKO_SECRET_KEY, CKK_AES, given));
        assert_eq!(aes(&[]), [CKA_ENCRYPT, CKA_DECRYPT]);
        assert_eq!(
            aes(&[(CKA_WRAP, true), (CKA_UNWRAP, true)]),
            [CKA_WRAP, CKA_UNWRAP]
        );
        assert_eq!(aes(&[(CKA_WRAP, true)]), [CKA_WRAP, CKA_UNWRAP]);
        assert_eq!(aes(&[(CKA_ENCRYPT, true)]), [CKA_ENCRYPT, CKA_DECRYPT]);
        assert_eq!(aes(&[(CKA_ENCRYPT, false)]), [CKA_DECRYPT]);
        let mac = on(&filled(CKO_SECRET_KEY, CKK_GENERIC_SECRET, &[]));
        assert_eq!(mac, [CKA_SIGN, CKA_VERIFY]);
        // What pkcs11-tool names for a MAC key it generates: the key still signs.
        let tool = &[(CKA_ENCRYPT, true), (CKA_DECRYPT, true)];
        let mac = on(&filled(CKO_SECRET_KEY, CKK_GENERIC_SECRET, tool));
        assert_eq!(mac, [CKA_ENCRYPT, CKA_DECRYPT, CKA_SIGN, CKA_VERIFY]);
        let rsa_private = on(&filled(CKO_PRIVATE_KEY, CKK_RSA, &[]));
        assert_eq!(rsa_private, [CKA_DECRYPT, CKA_SIGN]);
        let ec_private = on(&filled(CKO_PRIVATE_KEY, CKK_EC, &[(CKA_DERIVE, true)]));
        assert_eq!(ec_private, [CKA_DERIVE]);
    }

    #[test]
    fn a_pair_follows_what_either_half_asks() {
        let public = map(&[(CKA_WRAP, true)]);
        let private = map(&[]);
        let roles = requested(&[&public, &private], CKK_RSA);
        assert_eq!(roles, Roles::TRANSPORT);
        let (mut public, mut private) = (public, private);
        fill(has(CKO_PUBLIC_KEY, CKK_RSA), roles, &mut public);
        fill(has(CKO_PRIVATE_KEY, CKK_RSA), roles, &mut private);
        assert_eq!(on(&public), [CKA_WRAP]);
        assert_eq!(on(&private), [CKA_UNWRAP]);
        assert!(check_separated(&[&public, &private]).is_ok());
    }

    #[test]
    fn explicit_wrap_and_decrypt_is_refused() {
        let all = filled(
            CKO_SECRET_KEY,
            CKK_AES,
            &[
                (CKA_ENCRYPT, true),
                (CKA_DECRYPT, true),
                (CKA_WRAP, true),
                (CKA_UNWRAP, true),
            ],
        );
        assert!(matches!(
            check_separated(&[&all]),
            Err(Error::TemplateInconsistent(_))
        ));
        let public = map(&[(CKA_WRAP, true)]);
        let private = map(&[(CKA_DECRYPT, true)]);
        assert!(check_separated(&[&public, &private]).is_err());
        let public = map(&[(CKA_ENCRYPT, true)]);
        let private = map(&[(CKA_UNWRAP, true)]);
        assert!(check_separated(&[&public, &private]).is_err());
    }
}
