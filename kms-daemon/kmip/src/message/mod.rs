//! Request and response messages: headers, batch items, and the typed payloads they carry.

mod error;
mod header;
mod request;
mod response;

pub use error::{BatchItemStub, MessageError, MessageErrorKind};
pub use header::{Authentication, Credential, CredentialValue, RequestHeader, ResponseHeader};
pub use request::{RequestBatchItem, RequestMessage};
pub use response::{ResponseBatchItem, ResponseMessage};
