//! The KMIP life cycle of a key and its use policy (KMIP 2.1 §3.22 "State", §6 "Object life
//! cycle"; security rules §3.3 "Scheduled destruction").
//!
//! Stored state and effective state. The store keeps the state an administrator (or creation)
//! set; the *effective* state applies the validity window on top of it, so that a key becomes
//! active at its activation date and deactivated at its deactivation date without anyone
//! writing to the store:
//!
//! | stored | effective |
//! |---|---|
//! | `active` | `pre_active` before `not_before`, `deactivated` from `not_after` on, else `active` |
//! | `pre_active` | as `active` once `not_before` has passed; `pre_active` while there is none |
//! | `deactivated`, `compromised`, `destroyed` | the same |
//!
//! What each effective state allows (KMIP: deactivated and compromised keys may only process
//! cryptographically protected information, never protect new information):
//!
//! | state | sign, encrypt, wrap, derive | decrypt, verify (HMAC here; public keys in the module), unwrap |
//! |---|---|---|
//! | active | yes (usage flags permitting) | yes |
//! | deactivated, compromised | no: `key_not_active` | yes |
//! | pre-active, destroyed | no: `key_not_active` | no: `key_not_active` |
//!
//! Administrative transitions ([`Transition`], KMIP 2.1 §6 numbering): activate (1, 2:
//! pre-active → active), deactivate (6: active → deactivated), revoke (4, 5, 8: pre-active,
//! active or deactivated → compromised), destroy (3, 7, 10: anything not destroyed → destroyed,
//! after the waiting period; an active key is deactivated on the way, recorded as such).
//!
//! Policy on top of the usage flags: `max_uses` (every use counts, in the transaction of its
//! audit record, so the count is exact under concurrency), `principals` (client certificate
//! identities whose token-user login may use, change, copy or destroy the key; none listed =
//! any), the window above, and `CKA_ALLOWED_MECHANISMS` (checked with the usage flags in
//! `keys::usage::check_key`). A key with any of this policy, or not active, is never wrapped
//! ([`Lifecycle::check_export`]): the policy would not travel with the wrapped copy.
//!
//! Integrity (security R18): everything here but the use counter and the compromise reason is
//! bound into the AAD of the sealed material ([`Lifecycle::bind`]), so a row whose state,
//! window, principals or limit was edited in the database fails to open. A key with the
//! default life cycle (active, no window, no policy) adds nothing to the AAD, so keys sealed
//! before schema v3 still open.

use super::dates::{ck_date, ck_date_start, DAY_MS};
use super::object::AttrMap;
use super::op::Op;
use crate::ck::*;
use crate::error::{Error, Result};
use kms_api::vendor;
use kms_api::AttrValue;

/// A KMIP life-cycle state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// Not usable yet.
    PreActive,
    /// Usable as the usage flags allow.
    #[default]
    Active,
    /// Only processes protected data (decrypt, unwrap, verify).
    Deactivated,
    /// Revoked: only processes protected data.
    Compromised,
    /// Material erased.
    Destroyed,
}

impl State {
    /// Every state, in KMIP order.
    pub const ALL: [State; 5] = [
        State::PreActive,
        State::Active,
        State::Deactivated,
        State::Compromised,
        State::Destroyed,
    ];

    /// The name stored and printed (`pre_active` …).
    pub fn as_str(self) -> &'static str {
        match self {
            State::PreActive => "pre_active",
            State::Active => "active",
            State::Deactivated => "deactivated",
            State::Compromised => "compromised",
            State::Destroyed => "destroyed",
        }
    }

    /// The state named `s`; an unknown name is an integrity failure of the row.
    pub fn parse(s: &str) -> Result<State> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::IntegrityFailure("unknown life-cycle state in the store".into()))
    }

    /// The `CKA_KMS_STATE` value (KMIP 2.1 State enumeration).
    pub fn ck_value(self) -> u64 {
        match self {
            State::PreActive => vendor::CK_KMS_STATE_PRE_ACTIVE,
            State::Active => vendor::CK_KMS_STATE_ACTIVE,
            State::Deactivated => vendor::CK_KMS_STATE_DEACTIVATED,
            State::Compromised => vendor::CK_KMS_STATE_COMPROMISED,
            State::Destroyed => vendor::CK_KMS_STATE_DESTROYED,
        }
    }
}

/// An administrative state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Pre-active → active.
    Activate,
    /// Active → deactivated.
    Deactivate,
    /// Pre-active, active or deactivated → compromised.
    Revoke,
}

impl Transition {
    /// The audit action of this change.
    pub fn action(self) -> &'static str {
        match self {
            Transition::Activate => "key.activate",
            Transition::Deactivate => "key.deactivate",
            Transition::Revoke => "key.revoke",
        }
    }
}

/// The life cycle and use policy of one object (schema v3 columns of `objects`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// The stored state.
    pub state: State,
    /// Activation date, ms since the epoch (inclusive).
    pub not_before: Option<i64>,
    /// Deactivation date, ms since the epoch (exclusive).
    pub not_after: Option<i64>,
    /// Most uses allowed.
    pub max_uses: Option<u64>,
    /// Uses so far (not bound in the AAD: it changes with every use).
    pub uses: u64,
    /// Client identities allowed to use the key; `None` = any logged-in user.
    pub principals: Option<Vec<String>>,
    /// When destruction was scheduled for (or, once destroyed, when it happened).
    pub destroy_at: Option<i64>,
    /// Why the key was revoked (non-secret text given by the administrator).
    pub reason: Option<String>,
}

impl Lifecycle {
    /// The state that applies at `now` (module doc).
    pub fn effective(&self, now: i64) -> State {
        let by_window = || {
            if self.not_before.is_some_and(|t| now < t) {
                State::PreActive
            } else if self.not_after.is_some_and(|t| now >= t) {
                State::Deactivated
            } else {
                State::Active
            }
        };
        match self.state {
            State::Active => by_window(),
            State::PreActive if self.not_before.is_some_and(|t| now >= t) => by_window(),
            s => s,
        }
    }

    /// Whether destruction is scheduled (or done): the object is gone for PKCS#11.
    pub fn is_gone(&self) -> bool {
        self.destroy_at.is_some() || self.state == State::Destroyed
    }

    /// Checks one use of the key for `op` by client `identity` at `now`: state, principal, and
    /// the usage count (module doc).
    pub fn check_use(&self, op: Op, identity: &str, now: i64) -> Result<()> {
        if self.destroy_at.is_some() {
            return Err(Error::KeyNotActive(
                "the key is destroyed or scheduled for destruction",
            ));
        }
        let state = self.effective(now);
        if !op.contract().allowed_in_state(state.ck_value()) {
            return Err(Error::KeyNotActive(match state {
                State::PreActive => "the key is not active yet",
                State::Destroyed => "the key is destroyed",
                _ => "a deactivated or compromised key only decrypts, verifies and unwraps",
            }));
        }
        if let Some(list) = &self.principals {
            if !list.iter().any(|p| p == identity) {
                return Err(Error::KeyFunctionNotPermitted(
                    "this client identity may not use the key",
                ));
            }
        }
        if self.max_uses.is_some_and(|max| self.uses >= max) {
            return Err(Error::KeyFunctionNotPermitted(
                "the key's usage limit is reached",
            ));
        }
        Ok(())
    }

    /// Checks that `identity` may change, copy or destroy the key (`C_SetAttributeValue`,
    /// `C_CopyObject`, `C_DestroyObject`): when the key lists principals, only they may —
    /// `action_prohibited` for anyone else. (The administrator's `kmsd key …` commands are not
    /// bound by this.)
    pub fn check_principal(&self, identity: &str) -> Result<()> {
        match &self.principals {
            Some(list) if !list.iter().any(|p| p == identity) => Err(Error::ActionProhibited(
                "only the key's principals may change, copy or destroy it",
            )),
            _ => Ok(()),
        }
    }

    /// The export rule of `C_WrapKey` at `now` (issue 20, item 2). A standard wrapped blob
    /// (RFC 3394/5649, RSA-OAEP) carries no attributes, so whatever unwraps it gets a key with
    /// none of this policy: a key leaves kmsd only while it is active and has no policy to lose.
    /// A key in any other state is `key_not_active` (a deactivated key protects no new data and
    /// a compromised one is not spread); one with principals, a usage limit or a validity
    /// window is `key_unextractable`, whoever asks — its principals too.
    pub fn check_export(&self, now: i64) -> Result<()> {
        if self.is_gone() || self.effective(now) != State::Active {
            return Err(Error::KeyNotActive("only an active key can be wrapped"));
        }
        if self.principals.is_some() {
            return Err(Error::KeyUnextractable(
                "a key bound to principals is never wrapped",
            ));
        }
        if self.max_uses.is_some() {
            return Err(Error::KeyUnextractable(
                "a key with a usage limit is never wrapped",
            ));
        }
        if self.not_before.is_some() || self.not_after.is_some() {
            return Err(Error::KeyUnextractable(
                "a key with a validity window is never wrapped",
            ));
        }
        Ok(())
    }

    /// The export rule at creation: an extractable secret or private key may not get a validity
    /// window (`CKA_START_DATE`/`CKA_END_DATE` through `C_GenerateKey`, `C_CreateObject`,
    /// `C_CopyObject` or `C_SetAttributeValue`), since [`Lifecycle::check_export`] would refuse
    /// every wrap of it: `template_inconsistent` now rather than a surprise at use.
    pub fn check_extractable_window(&self, class: u64, attrs: &AttrMap) -> Result<()> {
        let extractable = attrs.get(&CKA_EXTRACTABLE).and_then(AttrValue::as_bool) == Some(true);
        let windowed = self.not_before.is_some() || self.not_after.is_some();
        if matches!(class, CKO_SECRET_KEY | CKO_PRIVATE_KEY) && extractable && windowed {
            return Err(Error::TemplateInconsistent(
                "an extractable key cannot have a validity window (it could never be wrapped): \
                 leave CKA_START_DATE and CKA_END_DATE empty, or set CKA_EXTRACTABLE=FALSE"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Applies an administrative transition at `now`, or refuses it (`action_prohibited`)
    /// when KMIP has no such transition from the current state.
    pub fn apply(&mut self, t: Transition, now: i64, reason: Option<&str>) -> Result<()> {
        if self.is_gone() {
            return Err(Error::ActionProhibited(
                "the key is destroyed or scheduled for destruction",
            ));
        }
        let from = self.effective(now);
        match (t, from) {
            (Transition::Activate, State::PreActive) => {
                self.state = State::Active;
                self.not_before = Some(now);
                if self.not_after.is_some_and(|t| t <= now) {
                    self.not_after = None;
                }
            }
            (Transition::Deactivate, State::Active) => {
                self.state = State::Deactivated;
                self.not_after = Some(now);
            }
            (Transition::Revoke, State::PreActive | State::Active | State::Deactivated) => {
                self.state = State::Compromised;
                self.reason = reason.map(str::to_owned);
            }
            (Transition::Activate, _) => {
                return Err(Error::ActionProhibited(
                    "only a pre-active key can be activated",
                ))
            }
            (Transition::Deactivate, _) => {
                return Err(Error::ActionProhibited(
                    "only an active key can be deactivated",
                ))
            }
            (Transition::Revoke, _) => {
                return Err(Error::ActionProhibited("the key is already compromised"))
            }
        }
        Ok(())
    }

    /// Appends what the AAD binds (module doc); nothing for the default life cycle.
    pub fn bind(&self, aad: &mut Vec<u8>) {
        let plain = Lifecycle {
            uses: self.uses,
            reason: self.reason.clone(),
            ..Lifecycle::default()
        };
        if *self == plain {
            return;
        }
        aad.extend_from_slice(b"kmsd-life-v1");
        aad.extend_from_slice(self.state.as_str().as_bytes());
        aad.push(0);
        for t in [self.not_before, self.not_after] {
            aad.extend_from_slice(&t.unwrap_or(i64::MIN).to_be_bytes());
        }
        aad.extend_from_slice(&self.max_uses.unwrap_or(u64::MAX).to_be_bytes());
        aad.push(u8::from(self.destroy_at.is_some()));
        match &self.principals {
            None => aad.extend_from_slice(&u32::MAX.to_be_bytes()),
            Some(list) => {
                aad.extend_from_slice(&(list.len() as u32).to_be_bytes());
                for p in list {
                    aad.extend_from_slice(&(p.len() as u32).to_be_bytes());
                    aad.extend_from_slice(p.as_bytes());
                }
            }
        }
    }

    /// Sets the window from `CKA_START_DATE`/`CKA_END_DATE` of a key's attributes: the key is
    /// usable from 00:00 UTC of the start date to the end of the end date (an empty date is no
    /// bound). An impossible date is `attribute_value_invalid`; an end before the start is
    /// `template_inconsistent`.
    pub fn window_from(attrs: &AttrMap) -> Result<(Option<i64>, Option<i64>)> {
        let bound = |ty| -> Result<Option<i64>> {
            match attrs.get(&ty) {
                Some(AttrValue::Date(d)) if !d.is_empty() => ck_date_start(d)
                    .map(Some)
                    .ok_or(Error::AttributeValueInvalid(ty)),
                _ => Ok(None),
            }
        };
        let not_before = bound(CKA_START_DATE)?;
        let not_after = bound(CKA_END_DATE)?.map(|t| t + DAY_MS);
        if let (Some(b), Some(a)) = (not_before, not_after) {
            if a <= b {
                return Err(Error::TemplateInconsistent(
                    "CKA_END_DATE is before CKA_START_DATE".into(),
                ));
            }
        }
        Ok((not_before, not_after))
    }

    /// Narrows the window to the dates of `attrs` (`C_SetAttributeValue`, `C_CopyObject`): the
    /// application may move the start later and the end earlier, never widen what an
    /// administrator or the creator set (`attribute_read_only`).
    pub fn narrow_to(&mut self, attrs: &AttrMap) -> Result<()> {
        let (nb, na) = Lifecycle::window_from(attrs)?;
        if self
            .not_before
            .is_some_and(|old| nb.is_none_or(|new| new < old))
        {
            return Err(Error::AttributeReadOnly(CKA_START_DATE));
        }
        if self
            .not_after
            .is_some_and(|old| na.is_none_or(|new| new > old))
        {
            return Err(Error::AttributeReadOnly(CKA_END_DATE));
        }
        self.not_before = nb;
        self.not_after = na;
        Ok(())
    }

    /// Writes the window back as `CKA_START_DATE`/`CKA_END_DATE` (after an administrator set
    /// it), so that the PKCS#11 attributes always show it; no bound = no date attribute.
    pub fn window_to(&self, attrs: &mut AttrMap) {
        let mut put = |ty, v: Option<i64>| match v {
            Some(t) => {
                attrs.insert(ty, AttrValue::Date(ck_date(t)));
            }
            None => {
                attrs.remove(&ty);
            }
        };
        put(CKA_START_DATE, self.not_before);
        put(CKA_END_DATE, self.not_after.map(|t| t - 1));
    }
}

/// Whether objects of this class have a life cycle (keys).
pub fn has_lifecycle(class: u64) -> bool {
    matches!(class, CKO_PRIVATE_KEY | CKO_SECRET_KEY | CKO_PUBLIC_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * DAY_MS;

    fn window(nb: Option<i64>, na: Option<i64>) -> Lifecycle {
        Lifecycle {
            not_before: nb,
            not_after: na,
            ..Lifecycle::default()
        }
    }

    #[test]
    fn the_window_drives_the_effective_state() {
        assert_eq!(window(None, None).effective(NOW), State::Active);
        assert_eq!(window(Some(NOW + 1), None).effective(NOW), State::PreActive);
        assert_eq!(window(Some(NOW), None).effective(NOW), State::Active);
        assert_eq!(window(None, Some(NOW)).effective(NOW), State::Deactivated);
        assert_eq!(window(None, Some(NOW + 1)).effective(NOW), State::Active);
        let never_activated = Lifecycle {
            state: State::PreActive,
            ..Lifecycle::default()
        };
        assert_eq!(never_activated.effective(NOW), State::PreActive);
        let dated = Lifecycle {
            state: State::PreActive,
            not_before: Some(NOW - 1),
            ..Lifecycle::default()
        };
        assert_eq!(dated.effective(NOW), State::Active);
        let revoked = Lifecycle {
            state: State::Compromised,
            ..window(None, None)
        };
        assert_eq!(revoked.effective(NOW), State::Compromised);
    }

    #[test]
    fn each_state_allows_what_kmip_allows() {
        let all = [
            Op::Sign,
            Op::Encrypt,
            Op::Wrap,
            Op::Derive,
            Op::Decrypt,
            Op::Verify,
            Op::Unwrap,
        ];
        for state in State::ALL {
            let l = Lifecycle {
                state,
                ..Lifecycle::default()
            };
            for op in all {
                let allowed = match state {
                    State::Active => true,
                    State::Deactivated | State::Compromised => op.processes_protected_data(),
                    State::PreActive | State::Destroyed => false,
                };
                let r = l.check_use(op, "CN=a", NOW);
                match allowed {
                    true => assert!(r.is_ok(), "{state:?} {op:?}"),
                    false => assert!(
                        matches!(r, Err(Error::KeyNotActive(_))),
                        "{state:?} {op:?}: {r:?}"
                    ),
                }
            }
        }
        assert!(Op::Decrypt.processes_protected_data() && Op::Unwrap.processes_protected_data());
    }

    #[test]
    fn transitions_follow_kmip() {
        use Transition::*;
        let run = |state, t| {
            let mut l = Lifecycle {
                state,
                ..Lifecycle::default()
            };
            l.apply(t, NOW, Some("key leaked"))
                .map(|_| l.effective(NOW))
        };
        assert_eq!(run(State::PreActive, Activate).unwrap(), State::Active);
        assert_eq!(run(State::Active, Deactivate).unwrap(), State::Deactivated);
        for from in [State::PreActive, State::Active, State::Deactivated] {
            assert_eq!(run(from, Revoke).unwrap(), State::Compromised, "{from:?}");
        }
        for (from, t) in [
            (State::Active, Activate),
            (State::Deactivated, Activate),
            (State::Compromised, Activate),
            (State::PreActive, Deactivate),
            (State::Deactivated, Deactivate),
            (State::Compromised, Deactivate),
            (State::Compromised, Revoke),
            (State::Destroyed, Revoke),
            (State::Destroyed, Activate),
        ] {
            assert!(
                matches!(run(from, t), Err(Error::ActionProhibited(_))),
                "{from:?} {t:?}"
            );
        }
        let mut scheduled = Lifecycle {
            destroy_at: Some(NOW),
            ..Lifecycle::default()
        };
        assert!(scheduled.apply(Deactivate, NOW, None).is_err());
        // Activating a key dated in the future makes it active now.
        let mut future = window(Some(NOW + DAY_MS), None);
        future.apply(Activate, NOW, None).unwrap();
        assert_eq!(future.effective(NOW), State::Active);
    }

    #[test]
    fn principals_and_usage_count() {
        let mut l = Lifecycle {
            principals: Some(vec!["CN=a".into()]),
            max_uses: Some(2),
            ..Lifecycle::default()
        };
        assert!(l.check_use(Op::Sign, "CN=a", NOW).is_ok());
        assert!(matches!(
            l.check_use(Op::Sign, "CN=b", NOW),
            Err(Error::KeyFunctionNotPermitted(_))
        ));
        l.uses = 2;
        assert!(matches!(
            l.check_use(Op::Sign, "CN=a", NOW),
            Err(Error::KeyFunctionNotPermitted(_))
        ));
    }

    #[test]
    fn the_aad_binds_policy_but_not_the_counter() {
        let aad = |l: &Lifecycle| {
            let mut v = Vec::new();
            l.bind(&mut v);
            v
        };
        assert!(aad(&Lifecycle::default()).is_empty());
        let counted = Lifecycle {
            uses: 7,
            reason: Some("x".into()),
            ..Lifecycle::default()
        };
        assert!(aad(&counted).is_empty());
        let variants = [
            Lifecycle {
                state: State::Compromised,
                ..Lifecycle::default()
            },
            window(Some(1), None),
            window(None, Some(1)),
            Lifecycle {
                max_uses: Some(1),
                ..Lifecycle::default()
            },
            Lifecycle {
                principals: Some(vec![]),
                ..Lifecycle::default()
            },
            Lifecycle {
                destroy_at: Some(1),
                ..Lifecycle::default()
            },
        ];
        for (i, a) in variants.iter().enumerate() {
            assert!(!aad(a).is_empty());
            for b in &variants[i + 1..] {
                assert_ne!(aad(a), aad(b));
            }
        }
    }

    #[test]
    fn dates_map_to_the_window_and_only_narrow() {
        let date = |s: &str| AttrValue::Date(s.into());
        let mut attrs = AttrMap::new();
        attrs.insert(CKA_START_DATE, date("20260101"));
        attrs.insert(CKA_END_DATE, date("20261231"));
        let (nb, na) = Lifecycle::window_from(&attrs).unwrap();
        assert_eq!(nb, ck_date_start("20260101"));
        assert_eq!(na, ck_date_start("20270101"));
        let mut l = window(nb, na);
        let mut back = AttrMap::new();
        l.window_to(&mut back);
        assert_eq!(back, attrs);

        let mut narrower = attrs.clone();
        narrower.insert(CKA_END_DATE, date("20260630"));
        l.narrow_to(&narrower).unwrap();
        assert_eq!(l.not_after, ck_date_start("20260701"));
        let mut wider = attrs.clone();
        wider.insert(CKA_END_DATE, date(""));
        assert!(matches!(
            l.narrow_to(&wider),
            Err(Error::AttributeReadOnly(t)) if t == CKA_END_DATE
        ));
        wider.insert(CKA_START_DATE, date("20251231"));
        assert!(matches!(
            l.narrow_to(&wider),
            Err(Error::AttributeReadOnly(t)) if t == CKA_START_DATE
        ));
        attrs.insert(CKA_END_DATE, date("20251231"));
        assert!(matches!(
            Lifecycle::window_from(&attrs),
            Err(Error::TemplateInconsistent(_))
        ));
        attrs.insert(CKA_END_DATE, date("20260231"));
        assert!(matches!(
            Lifecycle::window_from(&attrs),
            Err(Error::AttributeValueInvalid(_))
        ));
    }
}
