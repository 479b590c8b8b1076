//! The JVM binding of eventfold, through UniFFI.
//!
//! This crate is the whole Rust side: two objects over the core's JSON
//! boundary (`*_json` methods: JSON text in, JSON text out) and one error
//! enum, one variant per code of MODEL-LANGUAGE.md §9. UniFFI generates the
//! Kotlin for it (package `dev.eventfold.ffi`); the idiomatic Kotlin and Java
//! API (`dev.eventfold.Domain`, `Engine`, `EventfoldException`) is a thin
//! layer on top, in `src/main/kotlin`.
//!
//! No field is named `message`: UniFFI's Kotlin exceptions inherit
//! `Throwable.message`, and a field of that name breaks the generated code.
//! The text of an error is `detail`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, Error, Source, Subscription};

/// Rust allocations through mimalloc (docs/deployment.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

uniffi::setup_scaffolding!();

/// A problem in a model file; lines and columns are 1-based, columns count
/// code points.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiDiagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub detail: String,
}

/// Every failure, one variant per code of §9, with that code's fields.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    #[error("{detail}")]
    Rejected {
        reason: Option<String>,
        detail: String,
    },
    #[error("{detail}")]
    InvalidJson { detail: String },
    #[error("{detail}")]
    InvalidCommand { path: String, detail: String },
    #[error("{detail}")]
    UnknownCommand { detail: String },
    #[error("{detail}")]
    InvalidEvent { path: String, detail: String },
    #[error("{detail}")]
    UnknownEvent { detail: String },
    #[error("{detail}")]
    UnknownModel { detail: String },
    #[error("{detail}")]
    UnknownQuery { detail: String },
    /// `detail` is every diagnostic with its source line and a caret.
    #[error("{detail}")]
    ModelError {
        diagnostics: Vec<FfiDiagnostic>,
        detail: String,
    },
    #[error("{detail}")]
    EvaluationError { detail: String },
    #[error("{detail}")]
    VersionConflict {
        expected: u64,
        actual: u64,
        detail: String,
    },
    #[error("{detail}")]
    LimitExceeded { limit: String, detail: String },
    /// `kind`: `busy`, `unavailable`, `corrupt`, `closed` or `io`.
    #[error("{detail}")]
    StoreError { kind: String, detail: String },
    #[error("{detail}")]
    ModelChanged { model: String, detail: String },
    #[error("{detail}")]
    UnknownTable { detail: String },
    #[error("{detail}")]
    UnknownProjection { detail: String },
    /// `path`: the file that could not be read.
    #[error("{detail}")]
    IoError { path: String, detail: String },
    #[error("{detail}")]
    Internal { detail: String },
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        let detail = e.message();
        match e {
            Error::Rejected { reason, message } => FfiError::Rejected {
                reason,
                detail: message,
            },
            Error::InvalidJson { .. } => FfiError::InvalidJson { detail },
            Error::InvalidCommand { path, message } => FfiError::InvalidCommand {
                path,
                detail: message,
            },
            Error::UnknownCommand { .. } => FfiError::UnknownCommand { detail },
            Error::InvalidEvent { path, message } => FfiError::InvalidEvent {
                path,
                detail: message,
            },
            Error::UnknownEvent { .. } => FfiError::UnknownEvent { detail },
            Error::UnknownModel { .. } => FfiError::UnknownModel { detail },
            Error::UnknownQuery { .. } => FfiError::UnknownQuery { detail },
            Error::ModelError { diagnostics, .. } => FfiError::ModelError {
                diagnostics: diagnostics
                    .into_iter()
                    .map(|d| FfiDiagnostic {
                        file: d.file,
                        line: d.line,
                        column: d.column,
                        detail: d.message,
                    })
                    .collect(),
                detail,
            },
            Error::EvaluationError { .. } => FfiError::EvaluationError { detail },
            Error::VersionConflict { expected, actual } => FfiError::VersionConflict {
                expected,
                actual,
                detail,
            },
            Error::LimitExceeded { limit, message } => FfiError::LimitExceeded {
                limit,
                detail: message,
            },
            Error::StoreError { kind, .. } => FfiError::StoreError {
                kind: kind.as_str().into(),
                detail,
            },
            Error::ModelChanged { model, message } => FfiError::ModelChanged {
                model,
                detail: message,
            },
            Error::UnknownTable { .. } => FfiError::UnknownTable { detail },
            Error::UnknownProjection { .. } => FfiError::UnknownProjection { detail },
            Error::IoError { path, message } => FfiError::IoError {
                path,
                detail: message,
            },
            Error::Internal { .. } => FfiError::Internal { detail },
        }
    }
}

type Result<T, E = FfiError> = std::result::Result<T, E>;

/// Runs one call of the binding in the core's panic guard: a panic becomes
/// `internal`, never an abort of the JVM. (UniFFI catches panics too, but as
/// an untyped exception.)
fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T> {
    eventfold::ffi::guard(f).map_err(FfiError::from)
}

/// The core's table of error codes and the fields each carries, as JSON
/// (`[{"code", "fields", "doc"}, ...]`): the Kotlin tests check
/// `EventfoldException` against it.
#[uniffi::export]
pub fn error_table() -> String {
    eventfold::error::table_json().to_string()
}

/// For the tests: the core's example error of `code` (`Error::examples`),
/// with every field set, as every error crosses.
#[uniffi::export]
pub fn throw_example_for_test(code: String) -> Result<()> {
    let example = Error::examples()
        .into_iter()
        .find(|e| e.code() == code)
        .unwrap_or_else(|| Error::Internal {
            message: format!("no example of `{code}`"),
        });
    Err(example.into())
}

fn closed(what: &str) -> Error {
    Error::StoreError {
        kind: eventfold::error::StoreErrorKind::Closed,
        message: format!("the {what} is closed"),
    }
}

/// One model file: its name (for diagnostics) and its text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiSource {
    pub name: String,
    pub text: String,
}

// The arguments of the hot calls travel as one record each. UniFFI's Kotlin
// side allocates a native buffer (an FFI call and two JNA structures) per
// argument, so one record per call roughly halves the cost of a call
// (measured: `propose_json` about 1.8x faster than with four arguments).

/// `propose`: the state (`None`: the initial state), the command, `now` (RFC 3339).
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiPropose {
    pub model: String,
    pub state: Option<String>,
    pub command: String,
    pub now: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiAccept {
    pub model: String,
    pub state: Option<String>,
    pub event: String,
}

/// `replay`: a JSON array of events, folded over the state.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiReplay {
    pub model: String,
    pub events: String,
    pub state: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiQuery {
    pub model: String,
    pub state: Option<String>,
    pub name: String,
    pub args: Option<String>,
}

/// `upcast`: a stored event (`{"type", "schema"?, "data"?}`) of `model`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiUpcast {
    pub model: String,
    pub event: String,
}

/// `project`: a JSON array of events folded through `projection` onto
/// `tables` (`{"table": [rows]}`; `None`: empty).
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiProject {
    pub projection: String,
    pub events: String,
    pub tables: Option<String>,
}

/// `execute` on the stream `model-id`; `options` as `Engine::execute_json` reads them.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiExecute {
    pub model: String,
    pub id: String,
    pub command: String,
    pub options: Option<String>,
}

/// A query on the current state of the stream `model-id`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiStreamQuery {
    pub model: String,
    pub id: String,
    pub name: String,
    pub args: Option<String>,
}

/// Compiled models. Safe to share between threads; `close_domain` drops the
/// compiled models at once instead of at the next garbage collection.
#[derive(Debug, uniffi::Object)]
pub struct FfiDomain {
    inner: Mutex<Option<Domain>>,
}

impl FfiDomain {
    /// A clone of the domain (an `Arc`), so no lock is held while it runs.
    fn get(&self) -> Result<Domain, Error> {
        match self.inner.lock() {
            Ok(guard) => guard.clone().ok_or_else(|| closed("domain")),
            Err(poisoned) => poisoned
                .into_inner()
                .clone()
                .ok_or_else(|| closed("domain")),
        }
    }
}

#[uniffi::export]
impl FfiDomain {
    #[uniffi::constructor]
    pub fn compile(sources: Vec<FfiSource>) -> Result<Arc<Self>> {
        guard(|| {
            let sources: Vec<Source> = sources
                .into_iter()
                .map(|s| Source::new(s.name, s.text))
                .collect();
            Ok(Arc::new(FfiDomain {
                inner: Mutex::new(Some(Domain::compile(&sources)?)),
            }))
        })
    }

    /// Reads and compiles model files, in core (`Domain::compile_files`):
    /// a file that cannot be read is `io_error`, naming it.
    #[uniffi::constructor]
    pub fn compile_files(paths: Vec<String>) -> Result<Arc<Self>> {
        guard(|| {
            Ok(Arc::new(FfiDomain {
                inner: Mutex::new(Some(Domain::compile_files(&paths)?)),
            }))
        })
    }

    pub fn models(&self) -> Result<Vec<String>> {
        guard(|| Ok(self.get()?.models().into_iter().map(String::from).collect()))
    }

    pub fn describe_json(&self) -> Result<String> {
        guard(|| Ok(self.get()?.describe().to_string()))
    }

    pub fn describe_markdown(&self) -> Result<String> {
        guard(|| Ok(self.get()?.describe_markdown()))
    }

    pub fn initial_state_json(&self, model: String) -> Result<String> {
        guard(|| self.get()?.initial_state_json(&model))
    }

    pub fn propose_json(&self, call: FfiPropose) -> Result<String> {
        guard(|| {
            self.get()?.propose_json(
                &call.model,
                call.state.as_deref(),
                &call.command,
                call.now.as_deref(),
            )
        })
    }

    pub fn accept_json(&self, call: FfiAccept) -> Result<String> {
        guard(|| {
            self.get()?
                .accept_json(&call.model, call.state.as_deref(), &call.event)
        })
    }

    pub fn replay_json(&self, call: FfiReplay) -> Result<String> {
        guard(|| {
            self.get()?
                .replay_json(&call.model, &call.events, call.state.as_deref())
        })
    }

    pub fn query_json(&self, call: FfiQuery) -> Result<String> {
        guard(|| {
            self.get()?.query_json(
                &call.model,
                call.state.as_deref(),
                &call.name,
                call.args.as_deref(),
            )
        })
    }

    /// A JSON array of `{"type", "schema", "data"}`: the events the stored
    /// event becomes, each at its current version.
    pub fn upcast_json(&self, call: FfiUpcast) -> Result<String> {
        guard(|| self.get()?.upcast_json(&call.model, &call.event))
    }

    /// `{"table": [rows in key order]}` for every table the projection writes.
    pub fn project_json(&self, call: FfiProject) -> Result<String> {
        guard(|| {
            self.get()?
                .project_json(&call.projection, &call.events, call.tables.as_deref())
        })
    }

    /// Drops the compiled models; later calls are a `store_error`. Twice is
    /// fine. (Not `close`: the generated Kotlin class has its own, which
    /// frees the handle.)
    pub fn close_domain(&self) {
        let taken = match self.inner.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        drop(taken);
    }
}

/// A domain over a store. Safe to share between threads: commands on one
/// stream are serialised by the core without lost updates.
#[derive(Debug, uniffi::Object)]
pub struct FfiEngine {
    inner: Engine,
}

#[uniffi::export]
impl FfiEngine {
    /// `store`: `memory:`, `sqlite:PATH` (`?synchronous=normal` to trade the
    /// durability of the last transactions for speed) or `postgres://...`.
    #[uniffi::constructor]
    pub fn open(
        store: String,
        domain: Arc<FfiDomain>,
        options: Option<String>,
    ) -> Result<Arc<Self>> {
        guard(|| {
            let domain = domain.get()?;
            // JSON, checked by the core as in every binding.
            let options = match options {
                Some(text) => EngineOptions::from_json(&domain.parse_json(&text)?)?,
                None => EngineOptions::default(),
            };
            let inner = Engine::open(&store, domain, options)?;
            Ok(Arc::new(FfiEngine { inner }))
        })
    }

    pub fn execute_json(&self, call: FfiExecute) -> Result<String> {
        guard(|| {
            self.inner.execute_json(
                &call.model,
                &call.id,
                &call.command,
                call.options.as_deref(),
            )
        })
    }

    pub fn execute_many_json(&self, requests: String) -> Result<String> {
        guard(|| self.inner.execute_many_json(&requests))
    }

    pub fn load_json(&self, model: String, id: String) -> Result<String> {
        guard(|| self.inner.load_json(&model, &id))
    }

    pub fn query_json(&self, call: FfiStreamQuery) -> Result<String> {
        guard(|| {
            self.inner
                .query_json(&call.model, &call.id, &call.name, call.args.as_deref())
        })
    }

    pub fn read_stream_json(&self, stream: String, options: Option<String>) -> Result<String> {
        guard(|| self.inner.read_stream_json(&stream, options.as_deref()))
    }

    pub fn read_all_json(&self, options: Option<String>) -> Result<String> {
        guard(|| self.inner.read_all_json(options.as_deref()))
    }

    pub fn streams_json(&self, options: Option<String>) -> Result<String> {
        guard(|| self.inner.streams_json(options.as_deref()))
    }

    /// Later calls are a `store_error`. Twice is fine.
    pub fn close_engine(&self) -> Result<()> {
        guard(|| self.inner.close())
    }

    // The read side (issue 13): each call is the core's `*_json` verb as is.

    /// Rows of `table` in key order; `options`: `{"key", "after", "limit"}`.
    pub fn rows_json(&self, table: String, options: Option<String>) -> Result<String> {
        guard(|| self.inner.rows_json(&table, options.as_deref()))
    }

    pub fn projections_json(&self) -> Result<String> {
        guard(|| self.inner.projections_json())
    }

    /// `"true"` once the projections reached `position`, `"false"` at the
    /// timeout; `options`: `{"projection", "timeout"}` (milliseconds).
    /// Blocks the calling thread only: no lock of the JVM is held.
    pub fn wait_for_json(&self, position: u64, options: Option<String>) -> Result<String> {
        guard(|| self.inner.wait_for_json(position, options.as_deref()))
    }

    /// Blocks until the rebuild swapped its tables in.
    pub fn rebuild_json(&self, projection: String) -> Result<String> {
        guard(|| self.inner.rebuild_json(&projection))
    }

    /// `options`: `{"from", "models", "types"}`.
    pub fn subscribe_json(
        &self,
        name: String,
        options: Option<String>,
    ) -> Result<Arc<FfiSubscription>> {
        guard(|| {
            let inner = self.inner.subscribe_json(&name, options.as_deref())?;
            Ok(Arc::new(FfiSubscription { inner }))
        })
    }

    pub fn subscriptions_json(&self) -> Result<String> {
        guard(|| self.inner.subscriptions_json())
    }

    pub fn parked_json(&self, name: String) -> Result<String> {
        guard(|| self.inner.parked_json(&name))
    }

    // Model changes (issue 14): each call is the core's `*_json` verb as is.

    /// What switching the store to `next` would do; `options`: `{"differences"}`.
    /// Blocks while it replays the affected streams.
    pub fn migrate_plan_json(
        &self,
        next: Arc<FfiDomain>,
        options: Option<String>,
    ) -> Result<String> {
        guard(|| {
            self.inner
                .migrate_plan_json(&next.get()?, options.as_deref())
        })
    }

    /// Switches the store to `next`, live; afterwards this engine runs it.
    /// `options`: `{}` (none yet).
    pub fn migrate_apply_json(
        &self,
        next: Arc<FfiDomain>,
        options: Option<String>,
    ) -> Result<String> {
        guard(|| {
            self.inner
                .migrate_apply_json(&next.get()?, options.as_deref())
        })
    }

    /// Every model version registered in the store, the active ones marked.
    pub fn model_versions_json(&self) -> Result<String> {
        guard(|| self.inner.model_versions_json())
    }
}

/// One consumer of a named subscription. Safe to share between threads:
/// `close_subscription` from one wakes a `poll_json` blocked in another.
#[derive(uniffi::Object)]
pub struct FfiSubscription {
    inner: Subscription,
}

impl std::fmt::Debug for FfiSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiSubscription")
            .field("name", &self.inner.name())
            .finish()
    }
}

#[uniffi::export]
impl FfiSubscription {
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Up to `max` events after the last one this handle delivered, waiting
    /// up to `timeout_ms` for the first: a JSON array of stored events.
    pub fn poll_json(&self, max: u64, timeout_ms: u64) -> Result<String> {
        guard(|| {
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            self.inner.poll_json(max, Duration::from_millis(timeout_ms))
        })
    }

    pub fn ack(&self, position: u64) -> Result<()> {
        guard(|| self.inner.ack(position))
    }

    pub fn park(&self, position: u64, reason: String) -> Result<()> {
        guard(|| self.inner.park(position, &reason))
    }

    /// Releases the lease and wakes a blocked poll; later calls are a
    /// `store_error`. Twice is fine. (Not `close`: the generated Kotlin
    /// class has its own, which frees the handle.)
    pub fn close_subscription(&self) -> Result<()> {
        guard(|| self.inner.close())
    }

    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTER: &str = r#"
      model Counter {
        state { count: int }
        command bump(by: int = 1) { emit bumped(by) }
        event bumped(by: int) { set count = count + by }
      }
    "#;

    fn domain() -> Arc<FfiDomain> {
        FfiDomain::compile(vec![FfiSource {
            name: "counter.model".into(),
            text: COUNTER.into(),
        }])
        .unwrap()
    }

    #[test]
    fn errors_keep_their_fields() {
        let d = domain();
        let err = d
            .propose_json(FfiPropose {
                model: "Counter".into(),
                state: None,
                command: r#"{"type":"bump","data":{"by":"x"}}"#.into(),
                now: None,
            })
            .unwrap_err();
        assert!(matches!(err, FfiError::InvalidCommand { ref path, .. } if path == "data.by"));
        let err = FfiDomain::compile(vec![FfiSource {
            name: "bad.model".into(),
            text: "model X { state { a: nope } }".into(),
        }])
        .unwrap_err();
        let FfiError::ModelError { diagnostics, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(diagnostics[0].file, "bad.model");
    }

    #[test]
    fn every_code_of_the_table_has_its_variant() {
        for (e, spec) in Error::examples().into_iter().zip(eventfold::error::TABLE) {
            let name = format!("{:?}", FfiError::from(e));
            let variant: String = spec
                .code
                .split('_')
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            assert!(name.starts_with(&variant), "{} is {name}", spec.code);
            for field in spec.fields {
                assert!(
                    name.contains(&format!("{field}: ")),
                    "{name} carries {field}"
                );
            }
        }
    }

    #[test]
    fn upcast_and_project_cross_with_their_codes() {
        let d = domain();
        let upcast = |event: &str| {
            d.upcast_json(FfiUpcast {
                model: "Counter".into(),
                event: event.into(),
            })
        };
        assert_eq!(
            upcast(r#"{"type":"bumped","data":{"by":2}}"#).unwrap(),
            r#"[{"type":"bumped","schema":1,"data":{"by":2}}]"#
        );
        let err = upcast(r#"{"type":"bumped","schema":0,"data":{"by":2}}"#).unwrap_err();
        assert!(matches!(err, FfiError::InvalidEvent { ref path, .. } if path == "schema"));
        let err = upcast(r#"{"type":"bumped","schema":7,"data":{"by":2}}"#).unwrap_err();
        assert!(matches!(err, FfiError::UnknownEvent { .. }), "{err:?}");
        let err = d
            .project_json(FfiProject {
                projection: "nope".into(),
                events: "[]".into(),
                tables: None,
            })
            .unwrap_err();
        assert!(
            matches!(err, FfiError::UnknownProjection { ref detail } if detail.contains("nope"))
        );
    }

    #[test]
    fn the_read_side_crosses_with_its_codes() {
        let d = FfiDomain::compile(vec![FfiSource {
            name: "counter.model".into(),
            text: format!(
                "{COUNTER}\ntable bumps {{ key id: string\n by: int }}\n\
                 projection bump-rows inline {{ on Counter.bumped {{ upsert bumps(id: stream.id, by) }} }}"
            ),
        }])
        .unwrap();
        let e = FfiEngine::open("memory:".into(), d, None).unwrap();
        let done = e
            .execute_json(FfiExecute {
                model: "Counter".into(),
                id: "a".into(),
                command: r#"{"type":"bump","data":{"by":2}}"#.into(),
                options: None,
            })
            .unwrap();
        assert!(done.contains(r#""position":1"#), "{done}");
        assert_eq!(
            e.rows_json("bumps".into(), None).unwrap(),
            r#"[{"id":"a","by":2}]"#
        );
        let err = e.rows_json("nope".into(), None).unwrap_err();
        assert!(matches!(err, FfiError::UnknownTable { .. }), "{err:?}");
        assert_eq!(e.wait_for_json(1, None).unwrap(), "true");

        let sub = e.subscribe_json("s".into(), None).unwrap();
        assert_eq!(sub.name(), "s");
        let events = sub.poll_json(10, 0).unwrap();
        assert!(events.contains(r#""position":1"#), "{events}");
        sub.ack(1).unwrap();
        // A close from another thread ends a poll that waits for more.
        let waiting = {
            let sub = Arc::clone(&sub);
            std::thread::spawn(move || sub.poll_json(10, 600_000))
        };
        sub.close_subscription().unwrap();
        // Blocked already: it returns no events; not yet polling: closed.
        match waiting.join().unwrap() {
            Ok(out) => assert_eq!(out, "[]"),
            Err(FfiError::StoreError { kind, .. }) => assert_eq!(kind, "closed"),
            Err(other) => panic!("{other:?}"),
        }
        assert!(sub.is_closed());
        sub.close_subscription().unwrap();
        let err = sub.poll_json(1, 0).unwrap_err();
        assert!(
            matches!(err, FfiError::StoreError { ref kind, .. } if kind == "closed"),
            "{err:?}"
        );
        assert!(e
            .subscriptions_json()
            .unwrap()
            .contains(r#""checkpoint":1"#));
        assert_eq!(e.parked_json("s".into()).unwrap(), "[]");
    }

    #[test]
    fn model_changes_cross_with_their_codes() {
        let e = FfiEngine::open("memory:".into(), domain(), None).unwrap();
        e.execute_json(FfiExecute {
            model: "Counter".into(),
            id: "a".into(),
            command: r#"{"type":"bump"}"#.into(),
            options: None,
        })
        .unwrap();
        let versions = e.model_versions_json().unwrap();
        assert!(versions.contains(r#""active":true"#), "{versions}");
        // A next version with no upcast of the stored `bumped@1`: blocking, and refused.
        let next = FfiDomain::compile(vec![FfiSource {
            name: "counter.model".into(),
            text: COUNTER.replace("event bumped(", "event bumped@2("),
        }])
        .unwrap();
        let plan = e.migrate_plan_json(Arc::clone(&next), None).unwrap();
        assert!(plan.contains(r#""ok":false"#), "{plan}");
        let err = e.migrate_apply_json(next, None).unwrap_err();
        assert!(
            matches!(err, FfiError::UnknownEvent { ref detail } if detail.starts_with("migrate apply refused:")),
            "{err:?}"
        );
        let err = e
            .migrate_apply_json(domain(), Some(r#"{"nope":1}"#.into()))
            .unwrap_err();
        assert!(matches!(err, FfiError::InvalidCommand { .. }), "{err:?}");
        let err = FfiEngine::open(
            "memory:".into(),
            domain(),
            Some(r#"{"on_model_change":"sideways"}"#.into()),
        )
        .unwrap_err();
        assert!(
            matches!(err, FfiError::InvalidCommand { ref path, .. } if path == "options.on_model_change"),
            "{err:?}"
        );
    }

    #[test]
    fn a_panic_becomes_internal() {
        let err = guard::<()>(|| panic!("boom")).unwrap_err();
        assert!(matches!(err, FfiError::Internal { ref detail } if detail.contains("boom")));
    }

    #[test]
    fn calls_after_close_are_a_clear_error() {
        let d = domain();
        d.close_domain();
        d.close_domain();
        let err = d.models().unwrap_err();
        assert!(
            matches!(err, FfiError::StoreError { ref kind, ref detail } if kind == "closed" && detail.contains("closed"))
        );
    }
}
