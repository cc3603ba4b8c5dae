//! Every route of the `/v1` API, stated once: its method and path template. kmsd's router is
//! built from [`Route::ALL`] and the module's client names the route it calls; the metrics label
//! requests with the template.
//!
//! Every route needs a client certificate from the configured CA (mutual TLS). Routes that touch
//! private objects or use keys also need `Authorization: Bearer <session>` from a login; objects
//! with `CKA_TOKEN=false` are bound to the `x-kms-instance` header of the module that made them.

/// An HTTP method kmsd serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A route, with the request and response types of [`crate::msg`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// → `Health`. Answered while kmsd is sealed too.
    Health,
    /// → `TokenList`.
    Tokens,
    /// `RandomRequest` → `RandomResponse`.
    Random,
    /// `LoginRequest` → `LoginResponse`.
    Login,
    /// → `Empty`.
    Logout,
    /// `SetPinRequest` → `Empty`.
    SetPin,
    /// `InitPinRequest` → `Empty`.
    InitPin,
    /// `InitTokenRequest` → `Empty`.
    InitToken,
    /// `FindRequest` → `ObjectList`.
    FindObjects,
    /// `CreateObjectRequest` → `ObjectInfo`.
    CreateObject,
    /// → `ObjectInfo`.
    GetObject,
    /// → `Empty`.
    DestroyObject,
    /// `SetAttributesRequest` → `ObjectInfo`.
    SetAttributes,
    /// `CopyObjectRequest` → `ObjectInfo`.
    CopyObject,
    /// `CryptoRequest` → `CryptoResponse`.
    Sign,
    /// `VerifyRequest` → `Empty` (MACs, with a secret key).
    Verify,
    /// `CryptoRequest` → `CryptoResponse`.
    Decrypt,
    /// `CryptoRequest` → `CryptoResponse`.
    Encrypt,
    /// `GenerateKeyRequest` → `ObjectInfo`.
    GenerateKey,
    /// `GenerateKeyPairRequest` → `KeyPairInfo`.
    GenerateKeyPair,
    /// `WrapRequest` → `WrapResponse`.
    WrapKey,
    /// `UnwrapRequest` → `ObjectInfo`.
    UnwrapKey,
    /// `DeriveRequest` → `ObjectInfo`.
    DeriveKey,
    /// `PartRequest` → `PartResponse`: one part of a streamed encryption.
    EncryptPart,
    /// `PartRequest` → `PartResponse`: one part of a streamed decryption.
    DecryptPart,
}

/// Each route's method and path template (`{token}` and `{id}` are path parameters).
const ROUTES: &[(Route, Method, &str)] = &[
    (Route::Health, Method::Get, "/v1/health"),
    (Route::Tokens, Method::Get, "/v1/tokens"),
    (Route::Random, Method::Post, "/v1/random"),
    (Route::Login, Method::Post, "/v1/tokens/{token}/login"),
    (Route::Logout, Method::Post, "/v1/tokens/{token}/logout"),
    (Route::SetPin, Method::Post, "/v1/tokens/{token}/set-pin"),
    (Route::InitPin, Method::Post, "/v1/tokens/{token}/init-pin"),
    (
        Route::InitToken,
        Method::Post,
        "/v1/tokens/{token}/init-token",
    ),
    (
        Route::FindObjects,
        Method::Post,
        "/v1/tokens/{token}/objects/find",
    ),
    (
        Route::CreateObject,
        Method::Post,
        "/v1/tokens/{token}/objects",
    ),
    (
        Route::GetObject,
        Method::Get,
        "/v1/tokens/{token}/objects/{id}",
    ),
    (
        Route::DestroyObject,
        Method::Delete,
        "/v1/tokens/{token}/objects/{id}",
    ),
    (
        Route::SetAttributes,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/attributes",
    ),
    (
        Route::CopyObject,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/copy",
    ),
    (
        Route::Sign,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/sign",
    ),
    (
        Route::Verify,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/verify",
    ),
    (
        Route::Decrypt,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/decrypt",
    ),
    (
        Route::Encrypt,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/encrypt",
    ),
    (
        Route::GenerateKey,
        Method::Post,
        "/v1/tokens/{token}/keys/generate",
    ),
    (
        Route::GenerateKeyPair,
        Method::Post,
        "/v1/tokens/{token}/keys/generate-pair",
    ),
    (Route::WrapKey, Method::Post, "/v1/tokens/{token}/keys/wrap"),
    (
        Route::UnwrapKey,
        Method::Post,
        "/v1/tokens/{token}/keys/unwrap",
    ),
    (
        Route::DeriveKey,
        Method::Post,
        "/v1/tokens/{token}/keys/derive",
    ),
    (
        Route::EncryptPart,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/encrypt-part",
    ),
    (
        Route::DecryptPart,
        Method::Post,
        "/v1/tokens/{token}/objects/{id}/decrypt-part",
    ),
];

impl Route {
    /// Every route.
    pub fn all() -> impl Iterator<Item = Route> {
        ROUTES.iter().map(|(r, _, _)| *r)
    }

    fn row(self) -> &'static (Route, Method, &'static str) {
        // ROUTES lists the variants in declaration order.
        &ROUTES[self as usize]
    }

    /// The method.
    pub fn method(self) -> Method {
        self.row().1
    }

    /// The path template, as kmsd's router matches it and its metrics label it.
    pub fn template(self) -> &'static str {
        self.row().2
    }

    /// The path of this route for `token` and object `id` (each percent-encoded; a route
    /// without such a parameter ignores it).
    pub fn path(self, token: &str, id: &str) -> String {
        self.template()
            .replace("{token}", &percent_encode(token))
            .replace("{id}", &percent_encode(id))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3), for path segments.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_variants_and_paths_are_encoded() {
        for (i, (route, _, template)) in ROUTES.iter().enumerate() {
            assert_eq!(*route as usize, i, "{route:?}");
            assert!(template.starts_with(crate::API_PREFIX));
        }
        assert_eq!(
            Route::Login.path("kms default", ""),
            "/v1/tokens/kms%20default/login"
        );
        assert_eq!(
            Route::GetObject.path("t", "ab/c"),
            "/v1/tokens/t/objects/ab%2Fc"
        );
        assert_eq!(Route::Sign.path("t", "ab"), "/v1/tokens/t/objects/ab/sign");
        assert_eq!(Route::Health.path("t", "x"), "/v1/health");
    }
}
