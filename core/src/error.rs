//! The one error type of eventfold. Every variant has a stable [`Error::code`]
//! (MODEL-LANGUAGE.md §9) that every binding maps one to one.

use serde::Serialize;
use serde_json::{json, Value as Json};

/// A problem in a model file, located in code points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, counted in Unicode code points.
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Why a store failed: the `kind` of a `store_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreErrorKind {
    /// Another writer held the lock for longer than the busy timeout: retry.
    Busy,
    /// The store cannot be reached or opened (a missing directory, a lost
    /// connection, a file of a newer schema, an unknown URL).
    Unavailable,
    /// What is stored is damaged: a hand edit, a swapped file, a torn row.
    Corrupt,
    /// The engine or store was closed by its owner.
    Closed,
    /// Reading or writing failed below the store (disk full, I/O error).
    Io,
}

impl StoreErrorKind {
    /// Every kind, in the order of the error table.
    pub const ALL: [StoreErrorKind; 5] = [
        StoreErrorKind::Busy,
        StoreErrorKind::Unavailable,
        StoreErrorKind::Corrupt,
        StoreErrorKind::Closed,
        StoreErrorKind::Io,
    ];

    /// The kind as it crosses the boundary.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreErrorKind::Busy => "busy",
            StoreErrorKind::Unavailable => "unavailable",
            StoreErrorKind::Corrupt => "corrupt",
            StoreErrorKind::Closed => "closed",
            StoreErrorKind::Io => "io",
        }
    }
}

impl std::fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A `reject` fired, or an invariant failed (`reason` is then `invariant`).
    #[error("rejected{}: {message}", reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Rejected {
        reason: Option<String>,
        message: String,
    },
    #[error("invalid JSON: {message}")]
    InvalidJson { message: String },
    #[error("invalid command at `{path}`: {message}")]
    InvalidCommand { path: String, message: String },
    #[error("{message}")]
    UnknownCommand { message: String },
    #[error("invalid event at `{path}`: {message}")]
    InvalidEvent { path: String, message: String },
    #[error("{message}")]
    UnknownEvent { message: String },
    #[error("{message}")]
    UnknownModel { message: String },
    #[error("{message}")]
    UnknownQuery { message: String },
    /// The model does not compile; `rendered` is every diagnostic with its
    /// source line and a caret, ready for a terminal.
    #[error("the model does not compile ({} problem{}):\n{rendered}", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    ModelError {
        diagnostics: Vec<Diagnostic>,
        rendered: String,
    },
    #[error("evaluation failed: {message}")]
    EvaluationError { message: String },
    #[error("version conflict: expected version {expected}, the stream is at {actual}")]
    VersionConflict { expected: u64, actual: u64 },
    #[error("limit exceeded ({limit}): {message}")]
    LimitExceeded { limit: String, message: String },
    /// The store could not do what was asked; `kind` says why, so a caller
    /// can tell a retry (`busy`, `unavailable`) from a fault (`corrupt`).
    #[error("store error ({kind}): {message}")]
    StoreError {
        kind: StoreErrorKind,
        message: String,
    },
    #[error("internal error (a bug in eventfold, please report it): {message}")]
    Internal { message: String },
}

impl Error {
    /// The stable code of MODEL-LANGUAGE.md §9.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rejected { .. } => "rejected",
            Error::InvalidJson { .. } => "invalid_json",
            Error::InvalidCommand { .. } => "invalid_command",
            Error::UnknownCommand { .. } => "unknown_command",
            Error::InvalidEvent { .. } => "invalid_event",
            Error::UnknownEvent { .. } => "unknown_event",
            Error::UnknownModel { .. } => "unknown_model",
            Error::UnknownQuery { .. } => "unknown_query",
            Error::ModelError { .. } => "model_error",
            Error::EvaluationError { .. } => "evaluation_error",
            Error::VersionConflict { .. } => "version_conflict",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::StoreError { .. } => "store_error",
            Error::Internal { .. } => "internal",
        }
    }

    /// Every code, for bindings that generate one class per code.
    pub const CODES: [&'static str; 14] = [
        "rejected",
        "invalid_json",
        "invalid_command",
        "unknown_command",
        "invalid_event",
        "unknown_event",
        "unknown_model",
        "unknown_query",
        "model_error",
        "evaluation_error",
        "version_conflict",
        "limit_exceeded",
        "store_error",
        "internal",
    ];

    /// The message a user reads: for most codes the text of the error itself.
    pub fn message(&self) -> String {
        match self {
            Error::Rejected { message, .. }
            | Error::InvalidJson { message }
            | Error::InvalidCommand { message, .. }
            | Error::UnknownCommand { message }
            | Error::InvalidEvent { message, .. }
            | Error::UnknownEvent { message }
            | Error::UnknownModel { message }
            | Error::UnknownQuery { message }
            | Error::EvaluationError { message }
            | Error::LimitExceeded { message, .. }
            | Error::StoreError { message, .. }
            | Error::Internal { message } => message.clone(),
            other => other.to_string(),
        }
    }

    /// The error as it crosses the JSON boundary: `{code, message, ...}`.
    pub fn to_json(&self) -> Json {
        let mut out = json!({ "code": self.code(), "message": self.message() });
        let extra = match self {
            Error::Rejected { reason, .. } => json!({ "reason": reason }),
            Error::InvalidCommand { path, .. } | Error::InvalidEvent { path, .. } => {
                json!({ "path": path })
            }
            Error::ModelError { diagnostics, .. } => json!({ "diagnostics": diagnostics }),
            Error::VersionConflict { expected, actual } => {
                json!({ "expected": expected, "actual": actual })
            }
            Error::LimitExceeded { limit, .. } => json!({ "limit": limit }),
            Error::StoreError { kind, .. } => json!({ "kind": kind.as_str() }),
            _ => Json::Null,
        };
        if let (Json::Object(out), Json::Object(extra)) = (&mut out, extra) {
            out.extend(extra);
        }
        out
    }

    pub(crate) fn evaluation(message: impl Into<String>) -> Error {
        Error::EvaluationError {
            message: message.into(),
        }
    }

    /// A `store_error` of this kind.
    pub fn store(kind: StoreErrorKind, message: impl Into<String>) -> Error {
        Error::StoreError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn limit(limit: &str, message: impl Into<String>) -> Error {
        Error::LimitExceeded {
            limit: limit.to_string(),
            message: message.into(),
        }
    }
}

/// The evaluator boxes its errors to keep results small; `?` unboxes them.
impl From<Box<Error>> for Error {
    fn from(e: Box<Error>) -> Error {
        *e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_serialised() {
        let rejected = Error::Rejected {
            reason: Some("missing".into()),
            message: "no todo a".into(),
        };
        assert_eq!(rejected.code(), "rejected");
        assert!(Error::CODES.contains(&rejected.code()));
        assert_eq!(
            rejected.to_json(),
            json!({"code": "rejected", "message": "no todo a", "reason": "missing"})
        );
        let conflict = Error::VersionConflict {
            expected: 3,
            actual: 4,
        };
        assert_eq!(conflict.to_json()["actual"], 4);
        let invalid = Error::InvalidCommand {
            path: "data.text".into(),
            message: "is required".into(),
        };
        assert_eq!(invalid.to_json()["path"], "data.text");
    }
}
