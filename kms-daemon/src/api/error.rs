//! The one `IntoResponse` for errors: the status and stable code come from the variant; 5xx
//! bodies are generic (the detail goes to the log, with the request id).

use crate::error::Error;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kms_api::ErrorBody;

/// An error body waiting for its request id (filled in by the request-context middleware).
#[derive(Clone, Debug)]
pub struct PendingError {
    /// The body to send.
    pub body: ErrorBody,
    /// For 5xx: what really happened, for the log only.
    pub detail: Option<String>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (message, detail) = if matches!(self, Error::Sealed) {
            // Expected while sealed, not a failure worth a log line per request.
            (self.to_string(), None)
        } else if status.is_server_error() {
            let generic = match code {
                kms_api::ErrorCode::IntegrityFailure => {
                    "a stored object failed its integrity check"
                }
                kms_api::ErrorCode::AuditUnavailable => "the audit trail cannot take records",
                _ => "internal error",
            };
            (generic.to_owned(), Some(self.to_string()))
        } else {
            (self.to_string(), None)
        };
        let mut resp = status.into_response();
        resp.extensions_mut().insert(PendingError {
            body: ErrorBody {
                code,
                message,
                request_id: None,
            },
            detail,
        });
        resp
    }
}
