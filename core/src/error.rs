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
    /// The store holds events of a newer model than this engine runs
    /// (ARCHITECTURE.md, model changes): upgrade the engine's model files.
    #[error("model changed ({model}): {message}")]
    ModelChanged { model: String, message: String },
    /// No such table in the domain (MODEL-LANGUAGE.md §13).
    #[error("{message}")]
    UnknownTable { message: String },
    /// No such projection in the domain.
    #[error("{message}")]
    UnknownProjection { message: String },
    /// A file the caller named could not be read (a model file, a
    /// scenario file): `path` is the file as given, and the message names
    /// it too (see [`Error::io`]).
    #[error("{message}")]
    IoError { path: String, message: String },
    #[error("internal error (a bug in eventfold, please report it): {message}")]
    Internal { message: String },
}

/// One code of the error table: what it carries besides `code` and
/// `message`, and when it is raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSpec {
    pub code: &'static str,
    /// The fields `Error::to_json` adds for this code, in order.
    pub fields: &'static [&'static str],
    pub doc: &'static str,
}

/// Every error code with its fields (MODEL-LANGUAGE.md §9), in the order of
/// that table: the one list every binding maps and tests against.
pub const TABLE: &[ErrorSpec] = &[
    ErrorSpec { code: "rejected", fields: &["reason"], doc: "a `reject` fired, or an invariant failed (`reason` is then `invariant`)" },
    ErrorSpec { code: "invalid_json", fields: &[], doc: "input is not JSON (the message has the line and column)" },
    ErrorSpec { code: "invalid_command", fields: &["path"], doc: "a command, a query's arguments or an option of the wrong shape: missing or unknown field, wrong type" },
    ErrorSpec { code: "unknown_command", fields: &[], doc: "no such command in the model" },
    ErrorSpec { code: "invalid_event", fields: &["path"], doc: "an event of the wrong shape given to accept or replay" },
    ErrorSpec { code: "unknown_event", fields: &[], doc: "no such event in the model" },
    ErrorSpec { code: "unknown_model", fields: &[], doc: "no such model in the domain" },
    ErrorSpec { code: "unknown_query", fields: &[], doc: "no such query" },
    ErrorSpec { code: "model_error", fields: &["diagnostics"], doc: "the model files do not compile: every diagnostic ({file, line, column, message})" },
    ErrorSpec { code: "evaluation_error", fields: &[], doc: "an expression failed at run time (overflow, missing map key, ...)" },
    ErrorSpec { code: "version_conflict", fields: &["expected", "actual"], doc: "the stream was not at the expected version" },
    ErrorSpec { code: "limit_exceeded", fields: &["limit"], doc: "input or work past a configured limit (`limit` names it)" },
    ErrorSpec { code: "store_error", fields: &["kind"], doc: "the store failed; `kind` is busy, unavailable, corrupt, closed or io" },
    ErrorSpec { code: "model_changed", fields: &["model"], doc: "the store runs a newer model than this engine" },
    ErrorSpec { code: "unknown_table", fields: &[], doc: "no such table in the domain" },
    ErrorSpec { code: "unknown_projection", fields: &[], doc: "no such projection in the domain" },
    ErrorSpec { code: "io_error", fields: &["path"], doc: "a file given by path (a model or scenario file) is missing or unreadable; `path` names it" },
    ErrorSpec { code: "internal", fields: &[], doc: "a bug in eventfold (a caught panic); please report it" },
];

/// The table as JSON: `[{"code", "fields", "doc"}, ...]`; the entry of
/// `store_error` also lists its `kinds`.
pub fn table_json() -> Json {
    Json::Array(
        TABLE
            .iter()
            .map(|s| {
                let mut o = json!({ "code": s.code, "fields": s.fields, "doc": s.doc });
                if s.code == "store_error" {
                    let kinds: Vec<&str> = StoreErrorKind::ALL.iter().map(|k| k.as_str()).collect();
                    o["kinds"] = json!(kinds);
                }
                o
            })
            .collect(),
    )
}

/// The message field of an error (by reference or mutably, as `$e` is),
/// for the codes that carry one as text: one list for `message` and
/// `with_message`.
macro_rules! message_field {
    ($e:expr) => {
        match $e {
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
            | Error::ModelChanged { message, .. }
            | Error::UnknownTable { message }
            | Error::UnknownProjection { message }
            | Error::IoError { message, .. }
            | Error::Internal { message } => Some(message),
            Error::ModelError { .. } | Error::VersionConflict { .. } => None,
        }
    };
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
            Error::ModelChanged { .. } => "model_changed",
            Error::UnknownTable { .. } => "unknown_table",
            Error::UnknownProjection { .. } => "unknown_projection",
            Error::IoError { .. } => "io_error",
            Error::Internal { .. } => "internal",
        }
    }

    /// Every code, in the order of [`TABLE`].
    pub const CODES: [&'static str; TABLE.len()] = {
        let mut out = [""; TABLE.len()];
        let mut i = 0;
        while i < TABLE.len() {
            out[i] = TABLE[i].code;
            i += 1;
        }
        out
    };

    /// One error of each code, in the order of [`TABLE`], with every field
    /// set: for the bindings' tests that check their mapping of each code
    /// and field.
    pub fn examples() -> Vec<Error> {
        let m = |s: &str| s.to_string();
        vec![
            Error::Rejected {
                reason: Some(m("missing")),
                message: m("no todo a"),
            },
            Error::InvalidJson {
                message: m("expected value at line 1 column 1"),
            },
            Error::InvalidCommand {
                path: m("data.text"),
                message: m("is required"),
            },
            Error::UnknownCommand {
                message: m("no command `x` in Todos"),
            },
            Error::InvalidEvent {
                path: m("data.id"),
                message: m("expected a string"),
            },
            Error::UnknownEvent {
                message: m("no event `x` in Todos"),
            },
            Error::UnknownModel {
                message: m("no model `X`; the models are Todos"),
            },
            Error::UnknownQuery {
                message: m("no query `x` in Todos"),
            },
            Error::ModelError {
                diagnostics: vec![Diagnostic {
                    file: m("a.model"),
                    line: 1,
                    column: 2,
                    message: m("unknown name `x`"),
                }],
                rendered: m("a.model:1:2: unknown name `x`"),
            },
            Error::EvaluationError {
                message: m("integer overflow"),
            },
            Error::VersionConflict {
                expected: 3,
                actual: 4,
            },
            Error::LimitExceeded {
                limit: m("max_input_depth"),
                message: m("nested too deeply"),
            },
            Error::StoreError {
                kind: StoreErrorKind::Busy,
                message: m("the store is busy"),
            },
            Error::ModelChanged {
                model: m("Todos"),
                message: m("the store runs a newer Todos"),
            },
            Error::UnknownTable {
                message: m("no table `x`"),
            },
            Error::UnknownProjection {
                message: m("no projection `x`"),
            },
            Error::IoError {
                path: m("todos.model"),
                message: m("cannot read todos.model: no such file (check the path)"),
            },
            Error::Internal {
                message: m("a panic was caught: boom"),
            },
        ]
    }

    /// The same error, code and fields kept, with its message rewritten
    /// by `f` (a model error keeps its diagnostics and message as they are).
    pub fn with_message(mut self, f: impl FnOnce(&str) -> String) -> Error {
        if let Some(message) = self.message_mut() {
            *message = f(message);
        }
        self
    }

    /// The message field of the codes that carry one as text.
    fn message_mut(&mut self) -> Option<&mut String> {
        message_field!(self)
    }

    /// The message a user reads: for most codes the text of the error itself.
    pub fn message(&self) -> String {
        match message_field!(self) {
            Some(message) => message.clone(),
            None => self.to_string(),
        }
    }

    /// The error as it crosses the JSON boundary: `{code, message, ...}`.
    pub fn to_json(&self) -> Json {
        let mut out = json!({ "code": self.code(), "message": self.message() });
        let extra = match self {
            Error::Rejected { reason, .. } => json!({ "reason": reason }),
            Error::InvalidCommand { path, .. }
            | Error::InvalidEvent { path, .. }
            | Error::IoError { path, .. } => {
                json!({ "path": path })
            }
            Error::ModelError { diagnostics, .. } => json!({ "diagnostics": diagnostics }),
            Error::VersionConflict { expected, actual } => {
                json!({ "expected": expected, "actual": actual })
            }
            Error::LimitExceeded { limit, .. } => json!({ "limit": limit }),
            Error::StoreError { kind, .. } => json!({ "kind": kind.as_str() }),
            Error::ModelChanged { model, .. } => json!({ "model": model }),
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

    /// An `io_error` for a file the caller named: the message says which
    /// file and what to check.
    pub fn io(path: impl AsRef<std::path::Path>, err: &std::io::Error) -> Error {
        let path = path.as_ref().display().to_string();
        let hint = match err.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file (check the path, relative to the current folder)".to_string()
            }
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (check the file's mode)".to_string()
            }
            std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
            _ if std::path::Path::new(&path).is_dir() => "it is a folder, not a file".to_string(),
            _ => err.to_string(),
        };
        Error::IoError {
            message: format!("cannot read {path}: {hint}"),
            path,
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

    #[test]
    fn the_table_matches_every_variant() {
        let examples = Error::examples();
        assert_eq!(examples.len(), TABLE.len());
        // MODEL-LANGUAGE.md §9's 17 codes, and `io_error` (issue 16).
        assert_eq!(TABLE.len(), 18);
        for (e, spec) in examples.iter().zip(TABLE) {
            assert_eq!(e.code(), spec.code);
            let json = e.to_json();
            let keys: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            let mut want = vec!["code", "message"];
            want.extend(spec.fields);
            let (mut keys, mut want) = (keys, want);
            keys.sort_unstable();
            want.sort_unstable();
            assert_eq!(keys, want, "the fields of {}", spec.code);
            assert!(spec.fields.iter().all(|f| !json[f].is_null()), "{json}");
        }
        let mut codes = Error::CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len(), "codes are unique");
    }

    #[test]
    fn the_table_as_json_lists_the_store_error_kinds() {
        let table = table_json();
        let store = table
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == "store_error")
            .unwrap();
        assert_eq!(store["fields"], json!(["kind"]));
        assert_eq!(
            store["kinds"],
            json!(["busy", "unavailable", "corrupt", "closed", "io"])
        );
        assert_eq!(table[0]["code"], "rejected");
    }
}
