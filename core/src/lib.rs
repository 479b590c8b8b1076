//! eventfold: event-sourced aggregates written once in a small model
//! language, run the same from every host language.
//!
//! An aggregate is two pure functions: *propose* (command + state → events,
//! or a rejection) and *accept* (state + event → state). A model file
//! declares both, with the state, records, enums, queries and invariants;
//! [`Domain::compile`] checks it and [`Domain`] runs it.

mod describe;
pub mod domain;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod format;
pub mod generate;
pub mod ide;
// The language's internals (syntax tree, checker, IR, evaluator, printer)
// are not part of the API: users compile models through `Domain`. The
// `internals` feature opens them for the fuzz targets and tools that need
// them, with no promise of stability.
#[cfg(feature = "internals")]
pub mod language;
#[cfg(not(feature = "internals"))]
pub(crate) mod language;
pub mod limits;
pub mod options;
pub mod scenario;
pub mod store;
pub(crate) mod tables;
#[cfg(feature = "internals")]
pub mod types;
#[cfg(not(feature = "internals"))]
pub(crate) mod types;
pub mod value;

pub use domain::{events_to_json, Command, Decision, Domain};
pub use engine::{
    Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Executed, Loaded, Metadata,
    OnProjectionError, ProjectionStatus, Rebuilt, StoredEvent, StreamInfo,
};
pub use error::{Diagnostic, Error, ErrorSpec, Result, StoreErrorKind};
pub use language::eval::Event;
pub use language::source::Source;
pub use limits::Limits;
pub use options::ReadOptions;
pub use value::Value;
// Subscriptions (issue 13).
pub use engine::Subscription;
pub use options::{SubscribeFrom, SubscribeOptions};
