//! call_sequence: one byte per C call (`% 16`), followed by the bytes that call reads, in the
//! order the target reads them. kmsd is unreachable there: calls that need it fail with
//! CKR_DEVICE_ERROR; everything else (initialisation, slots, sessions, digests, mechanism
//! information, the argument checks) runs for real.

use kms_testkit::seeds::Seeds;

/// A length around what the call needs (the target's `Input::len`).
#[derive(Clone, Copy)]
enum Len {
    Zero = 0,
    One = 1,
    NeededMinusOne = 2,
    Needed = 3,
    Huge = 4,
}

/// A handle (the target's `Input::handle`): one the module gave (index), 0, or another value.
#[derive(Clone, Copy)]
enum H {
    Given(u8),
    Zero,
    Random(u8),
}

impl H {
    fn byte(self) -> u8 {
        match self {
            H::Given(i) => {
                assert!(i < 128);
                i
            }
            H::Zero => 128,
            H::Random(b) => {
                assert!(b >= 160);
                b
            }
        }
    }
}

/// One call and its arguments.
enum C {
    Finalize,
    Initialize,
    SlotList {
        len: Len,
        buffer: bool,
    },
    OpenSession {
        rw: bool,
    },
    CloseSession(H),
    SessionInfo {
        info: bool,
        session: H,
    },
    /// `None`: CKM_SHA256; `Some(b)`: mechanism `b << 4`.
    DigestInit {
        mechanism: Option<u8>,
        session: H,
    },
    Digest {
        len: Len,
        buffer: bool,
        session: H,
    },
    DigestUpdate {
        session: H,
        len: Len,
    },
    DigestFinal {
        len: Len,
        session: H,
    },
    FindInit {
        len: Len,
        attributes: u8,
        session: H,
    },
    FindObjects {
        session: H,
        len: Len,
    },
    FindFinal(H),
    /// Attribute type `ty`; `buffer` None: a NULL pValue.
    GetAttribute {
        ty: u8,
        buffer: Option<Len>,
        session: H,
        object: H,
    },
    /// Mechanism `mechanism * 3`.
    SignInit {
        mechanism: u8,
        session: H,
        key: H,
    },
    /// Mechanism `mechanism << 2`.
    MechanismInfo {
        mechanism: u8,
    },
}

fn encode_calls(calls: &[C]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in calls {
        match *c {
            C::Finalize => out.push(0),
            C::Initialize => out.push(1),
            C::SlotList { len, buffer } => out.extend([2, len as u8, u8::from(buffer)]),
            // Slot 0: the handle byte 0 picks the only "known" slot, 0.
            C::OpenSession { rw } => out.extend([3, u8::from(rw), 0]),
            C::CloseSession(h) => out.extend([4, h.byte()]),
            C::SessionInfo { info, session } => out.extend([5, u8::from(info), session.byte()]),
            C::DigestInit { mechanism, session } => match mechanism {
                None => out.extend([6, 1, session.byte()]),
                Some(m) => out.extend([6, 0, m, session.byte()]),
            },
            C::Digest {
                len,
                buffer,
                session,
            } => out.extend([7, len as u8, u8::from(buffer), session.byte()]),
            C::DigestUpdate { session, len } => out.extend([8, session.byte(), len as u8]),
            C::DigestFinal { len, session } => out.extend([9, len as u8, session.byte()]),
            C::FindInit {
                len,
                attributes,
                session,
            } => out.extend([10, len as u8, attributes, session.byte()]),
            C::FindObjects { session, len } => out.extend([11, session.byte(), len as u8]),
            C::FindFinal(h) => out.extend([12, h.byte()]),
            C::GetAttribute {
                ty,
                buffer,
                session,
                object,
            } => {
                out.extend([13, ty]);
                match buffer {
                    None => out.push(0),
                    Some(len) => out.extend([1, len as u8]),
                }
                out.extend([session.byte(), object.byte()]);
            }
            C::SignInit {
                mechanism,
                session,
                key,
            } => out.extend([14, mechanism, session.byte(), key.byte()]),
            C::MechanismInfo { mechanism } => out.extend([15, mechanism]),
        }
    }
    out
}

pub(crate) fn call_sequence(s: &mut Seeds) {
    use C::*;
    let s0 = H::Given(0);
    let sha = |session| DigestInit {
        mechanism: None,
        session,
    };
    let mut add = |name: &str, calls: Vec<C>| s.add(name, encode_calls(&calls));
    add("initialize-twice", vec![Initialize, Initialize]);
    add(
        "finalize-twice-then-initialize",
        vec![
            Finalize,
            Finalize,
            Initialize,
            SlotList {
                len: Len::Needed,
                buffer: true,
            },
        ],
    );
    add(
        "slot-list-size-query",
        vec![SlotList {
            len: Len::Zero,
            buffer: false,
        }],
    );
    add(
        "slot-list-buffer-too-small",
        vec![SlotList {
            len: Len::NeededMinusOne,
            buffer: true,
        }],
    );
    add(
        "slot-list-huge-count",
        vec![SlotList {
            len: Len::Huge,
            buffer: true,
        }],
    );
    add(
        "open-read-only-session-and-info",
        vec![
            OpenSession { rw: false },
            SessionInfo {
                info: true,
                session: s0,
            },
        ],
    );
    add(
        "session-info-null-pointer",
        vec![
            OpenSession { rw: true },
            SessionInfo {
                info: false,
                session: s0,
            },
        ],
    );
    add(
        "close-session-twice",
        vec![
            OpenSession { rw: true },
            CloseSession(s0),
            CloseSession(s0),
            SessionInfo {
                info: true,
                session: s0,
            },
        ],
    );
    add(
        "close-handle-zero-and-random",
        vec![CloseSession(H::Zero), CloseSession(H::Random(200))],
    );
    add(
        "digest-sha256-exact-buffer",
        vec![
            OpenSession { rw: false },
            sha(s0),
            Digest {
                len: Len::Needed,
                buffer: true,
                session: s0,
            },
        ],
    );
    add(
        "digest-size-query-then-digest",
        vec![
            OpenSession { rw: false },
            sha(s0),
            Digest {
                len: Len::Zero,
                buffer: false,
                session: s0,
            },
            Digest {
                len: Len::Needed,
                buffer: true,
                session: s0,
            },
        ],
    );
    add(
        "digest-buffer-one-short-then-retry",
        vec![
            OpenSession { rw: false },
            sha(s0),
            Digest {
                len: Len::NeededMinusOne,
                buffer: true,
                session: s0,
            },
            Digest {
                len: Len::Huge,
                buffer: true,
                session: s0,
            },
        ],
    );
    add(
        "digest-update-then-final",
        vec![
            OpenSession { rw: false },
            sha(s0),
            DigestUpdate {
                session: s0,
                len: Len::Needed,
            },
            DigestUpdate {
                session: s0,
                len: Len::Zero,
            },
            DigestFinal {
                len: Len::NeededMinusOne,
                session: s0,
            },
            DigestFinal {
                len: Len::Needed,
                session: s0,
            },
        ],
    );
    add(
        "digest-single-part-after-update",
        vec![
            OpenSession { rw: false },
            sha(s0),
            DigestUpdate {
                session: s0,
                len: Len::One,
            },
            Digest {
                len: Len::Needed,
                buffer: true,
                session: s0,
            },
        ],
    );
    add(
        "digest-init-twice",
        vec![
            OpenSession { rw: false },
            sha(s0),
            sha(s0),
            DigestFinal {
                len: Len::Needed,
                session: s0,
            },
        ],
    );
    add(
        "digest-without-init",
        vec![
            OpenSession { rw: false },
            Digest {
                len: Len::Needed,
                buffer: true,
                session: s0,
            },
            DigestFinal {
                len: Len::Needed,
                session: s0,
            },
        ],
    );
    add(
        "digest-init-unknown-mechanism",
        vec![
            OpenSession { rw: false },
            DigestInit {
                mechanism: Some(0xFF),
                session: s0,
            },
        ],
    );
    add(
        "find-with-daemon-unreachable",
        vec![
            OpenSession { rw: false },
            FindInit {
                len: Len::Needed,
                attributes: 1,
                session: s0,
            },
            FindObjects {
                session: s0,
                len: Len::Needed,
            },
            FindFinal(s0),
        ],
    );
    add(
        "find-objects-without-init",
        vec![
            OpenSession { rw: true },
            FindObjects {
                session: s0,
                len: Len::Huge,
            },
            FindFinal(s0),
        ],
    );
    add(
        "get-attribute-unknown-object",
        vec![
            OpenSession { rw: false },
            GetAttribute {
                ty: 3,
                buffer: Some(Len::Needed),
                session: s0,
                object: H::Random(255),
            },
            GetAttribute {
                ty: 0,
                buffer: None,
                session: s0,
                object: H::Zero,
            },
        ],
    );
    add(
        "sign-init-bad-key-and-mechanism",
        vec![
            OpenSession { rw: false },
            SignInit {
                mechanism: 0x5B,
                session: s0,
                key: H::Random(161),
            },
        ],
    );
    add(
        "mechanism-info-sweep",
        (0..24)
            .map(|m| MechanismInfo { mechanism: m * 11 })
            .collect(),
    );
    add(
        "finalize-with-open-sessions-then-use",
        vec![
            OpenSession { rw: true },
            OpenSession { rw: false },
            sha(H::Given(1)),
            Finalize,
            Digest {
                len: Len::Needed,
                buffer: true,
                session: H::Given(1),
            },
            Initialize,
            SessionInfo {
                info: true,
                session: H::Given(1),
            },
        ],
    );
    add(
        "calls-after-finalize",
        vec![
            Finalize,
            OpenSession { rw: true },
            sha(s0),
            MechanismInfo { mechanism: 0x64 },
        ],
    );
}
