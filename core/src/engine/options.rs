//! How an engine and a command are told to behave, and their JSON form.

use serde_json::Value as Json;

/// How an engine behaves; `Default` gives sensible values.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Streams whose state is kept in memory (LRU).
    pub cache_capacity: usize,
    /// The fewest events between two snapshots of a stream (0: never). A
    /// snapshot is written, off the command path, once the events since the
    /// last one also outweigh the state in bytes.
    pub snapshot_every: u64,
    /// Kept so that existing callers still compile; no longer used. Deciding
    /// inside the write leaves no lost race to retry.
    pub max_attempts: u32,
    /// This engine runs async projections and rebuilds, in a thread of its
    /// own (one runner per projection across processes: a lease).
    pub run_projections: bool,
    /// What an async projection does with an event its handler fails on.
    pub on_projection_error: super::OnProjectionError,
    /// What a command does when the store's active model is no longer this
    /// engine's (another process ran `migrate apply`).
    pub on_model_change: super::OnModelChange,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            cache_capacity: 10_000,
            snapshot_every: 100,
            max_attempts: 5,
            run_projections: true,
            on_projection_error: super::OnProjectionError::Stop,
            on_model_change: super::OnModelChange::Fail,
        }
    }
}

/// Options of one `execute`.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// The version the stream must be at; a mismatch is an immediate
    /// `version_conflict`.
    pub expected_version: Option<u64>,
    /// The caller's id for the command; a repeated id on a stream returns
    /// the first result and appends nothing. Overrides the command's `id`.
    pub command_id: Option<String>,
    /// Merged over the command's own `metadata`, stored with each event.
    pub metadata: Option<serde_json::Map<String, Json>>,
    /// The time of the command; default: the engine's clock.
    pub now: Option<crate::value::Timestamp>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
}

/// One command of an `execute_many` batch.
#[derive(Debug, Clone)]
pub struct ExecuteRequest {
    pub model: String,
    pub id: String,
    pub command: Json,
    pub options: ExecuteOptions,
}
