//! The return code of a failed `cryptoki` call, for assertions.

use cryptoki::error::{Error, RvError};

/// What [`rv`] takes: a `cryptoki` error, or the result of a call that must have failed.
pub trait Failure {
    /// The error; panics (at the caller) when the call succeeded.
    fn into_error(self) -> Error;
}

impl Failure for Error {
    fn into_error(self) -> Error {
        self
    }
}

impl<T: std::fmt::Debug> Failure for Result<T, Error> {
    #[track_caller]
    fn into_error(self) -> Error {
        self.unwrap_err()
    }
}

/// The PKCS#11 return code of a failed call: `rv(session.sign(…))` or `rv(error)`; panics when
/// the call succeeded or failed otherwise than with a return code.
#[track_caller]
pub fn rv(failure: impl Failure) -> RvError {
    match failure.into_error() {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}
