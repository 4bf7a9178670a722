//! Errors of the client, carrying what the server said.

use orgusers_api::{ErrorBody, ErrorResponse};
use serde::de::DeserializeOwned;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error in the OpenAI envelope.
    #[error("{} (HTTP {status}{})", error.message, request_id.as_deref().map(|id| format!(", request {id}")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// The envelope's `error` object: message, type, param, code.
        error: Box<ErrorBody>,
        /// The `x-request-id` of the answer.
        request_id: Option<String>,
    },
    /// The answer could not be read as the expected JSON.
    #[error("unexpected answer (HTTP {status}{}): {message}", request_id.as_deref().map(|id| format!(", request {id}")).unwrap_or_default())]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        message: String,
        /// The `x-request-id` of the answer.
        request_id: Option<String>,
    },
    /// The request could not be sent or its answer not received (connection, timeout).
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The client is not configured right.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Http(e) => e.status().map(|s| s.as_u16()),
            Self::Config(_) => None,
        }
    }

    /// The request id of the answer, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } | Self::Decode { request_id, .. } => request_id.as_deref(),
            Self::Http(_) | Self::Config(_) => None,
        }
    }

    /// The OpenAI error object, for errors in the envelope.
    pub fn api_error(&self) -> Option<&ErrorBody> {
        match self {
            Self::Api { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}

/// Reads an answer: the body as `T` on 2xx, an [`Error`] otherwise.
pub(crate) async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            status,
            message: e.to_string(),
            request_id,
        });
    }
    match serde_json::from_slice::<ErrorResponse>(&bytes) {
        Ok(envelope) => Err(Error::Api {
            status,
            error: Box::new(envelope.error),
            request_id,
        }),
        Err(_) => Err(Error::Decode {
            status,
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            request_id,
        }),
    }
}
