//! The one error envelope of the API, `{"error":{"code":…,"message":…}}`, and the one mapping
//! from the app layer's [`Code`] to an HTTP status ([`status_of`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use soleflip_app::{code_of, Code};

/// The HTTP status of a code. The one place this mapping is made.
pub fn status_of(code: Code) -> StatusCode {
    match code {
        Code::InvalidInput => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Conflict | Code::ConfirmationRequired => StatusCode::CONFLICT,
        Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Code::Drift | Code::ChecksumMismatch | Code::Corrupt => StatusCode::CONFLICT,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::MissingDependency | Code::Unexpected => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Envelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The app layer's stable code word (`invalid_input`, `not_found`, `unauthenticated`, ...).
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "sign in first: no valid session or token",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(Code::Forbidden, "your role does not allow this")
    }

    /// An app-layer error: its code decides the status; an unexpected one is logged here, once,
    /// and answered without its text.
    pub fn from_app<E>(error: E) -> Self
    where
        E: std::error::Error + 'static,
    {
        let code = code_of(&error);
        if status_of(code).is_server_error() {
            tracing::error!(code = %code, error = %format!("{:#}", anyhow_chain(&error)), "request failed");
            return Self::new(code, "internal error; it has been logged");
        }
        Self::new(code, error.to_string())
    }
}

fn anyhow_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let body = Envelope {
            error: ErrorBody {
                code: self.code.as_str().to_string(),
                message: self.message,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_only_internal_ones_are_5xx() {
        for code in [
            Code::InvalidInput,
            Code::NotFound,
            Code::Unauthenticated,
            Code::Forbidden,
            Code::RateLimited,
            Code::TooLarge,
        ] {
            assert!(status_of(code).is_client_error(), "{code}");
        }
        assert_eq!(
            status_of(Code::Unexpected),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn an_unexpected_error_answers_500_without_its_internals() {
        let inner = std::io::Error::other("password=hunter2 at /srv/secret/path");
        let e = ApiError::from_app(inner);
        assert_eq!(status_of(e.code), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !e.message.contains("hunter2") && !e.message.contains("/srv"),
            "{}",
            e.message
        );
    }
}
