//! The control-socket protocol between `silkctl` and the daemon: one JSON
//! request per line, one JSON response per line.

use serde::{Deserialize, Serialize};

/// Longest request line accepted (a request is a few dozen bytes; this
/// bounds what a misbehaving client can make the daemon buffer).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// An operator request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Daemon status.
    Status,
    /// Reload the configuration file.
    Reload,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// True when the request succeeded.
    pub ok: bool,
    /// What went wrong, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The result.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Response {
    /// A success carrying `data`.
    pub fn ok(data: impl Serialize) -> Self {
        Self {
            ok: true,
            error: None,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
        }
    }

    /// A failure.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            error: Some(message.into()),
            data: serde_json::Value::Null,
        }
    }
}

/// Why a request line was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Longer than [`MAX_REQUEST_BYTES`].
    #[error("request longer than {MAX_REQUEST_BYTES} bytes")]
    TooLong,
    /// Not a valid request.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// Decodes one request line.
pub fn decode_request(line: &[u8]) -> Result<Request, DecodeError> {
    if line.len() > MAX_REQUEST_BYTES {
        return Err(DecodeError::TooLong);
    }
    serde_json::from_slice(line).map_err(|e| DecodeError::Invalid(e.to_string()))
}
