//! The engine: a [`Domain`] over a [`Store`](crate::store::Store). It loads
//! state (cache, snapshots, replay), runs commands, appends their events
//! atomically with optimistic concurrency, and reads them back.
//!
//! Every binding calls the `*_json` methods: JSON text in, JSON text out,
//! errors as [`Error`] (`{code, message, ...}` through `Error::to_json`).

use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::value::Value;
use crate::Domain;

/// How an engine behaves; `Default` gives sensible values.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Streams whose state is kept in memory (LRU).
    pub cache_capacity: usize,
    /// A snapshot is written every this many events of a stream (0: never).
    pub snapshot_every: u64,
    /// Attempts for a command that loses a race, without `expected_version`.
    pub max_attempts: u32,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            cache_capacity: 10_000,
            snapshot_every: 100,
            max_attempts: 5,
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
    pub now: Option<jiff::Timestamp>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// A UUIDv7.
    pub id: String,
    /// `Model-id`.
    pub stream: String,
    /// 1-based, contiguous per stream.
    pub version: u64,
    /// Global, unique and increasing.
    pub position: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: Value,
    /// `recorded_at`, `command_id`, `correlation_id`, `causation_id`, and
    /// the caller's keys.
    pub metadata: serde_json::Map<String, Json>,
}

/// What `execute` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Executed {
    pub stream: String,
    /// The stream's version after the command.
    pub version: u64,
    pub events: Vec<StoredEvent>,
}

/// What `load` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loaded {
    pub state: Value,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamInfo {
    pub stream: String,
    pub version: u64,
}

/// One command of an `execute_many` batch.
#[derive(Debug, Clone)]
pub struct ExecuteRequest {
    pub model: String,
    pub id: String,
    pub command: Json,
    pub options: ExecuteOptions,
}

/// A domain over a store. `Send + Sync`: share it between threads (it is
/// cheap to clone); commands on one stream are serialised without lost
/// updates.
#[derive(Debug, Clone)]
pub struct Engine {
    _private: (),
}

impl Engine {
    /// Opens an engine on a store: `memory:`, `sqlite:PATH` (with
    /// `?synchronous=normal` to trade durability of the last transactions
    /// for speed).
    pub fn open(_store: &str, _domain: Domain, _options: EngineOptions) -> Result<Engine> {
        Err(Error::StoreError {
            message: "the engine is not built yet".into(),
        })
    }

    pub fn domain(&self) -> &Domain {
        unimplemented!()
    }

    /// Loads the stream `Model-id`, proposes the command, appends its events
    /// atomically.
    pub fn execute(
        &self,
        _model: &str,
        _id: &str,
        _command: &Json,
        _options: &ExecuteOptions,
    ) -> Result<Executed> {
        unimplemented!()
    }

    /// Many commands in one transaction: all of them are appended, or none.
    pub fn execute_many(&self, _requests: &[ExecuteRequest]) -> Result<Vec<Executed>> {
        unimplemented!()
    }

    pub fn load(&self, _model: &str, _id: &str) -> Result<Loaded> {
        unimplemented!()
    }

    pub fn query(&self, _model: &str, _id: &str, _name: &str, _args: &Json) -> Result<Value> {
        unimplemented!()
    }

    pub fn read_stream(
        &self,
        _stream: &str,
        _from_version: Option<u64>,
        _limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        unimplemented!()
    }

    pub fn read_all(
        &self,
        _from_position: Option<u64>,
        _limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        unimplemented!()
    }

    pub fn streams(&self, _model: Option<&str>) -> Result<Vec<StreamInfo>> {
        unimplemented!()
    }

    /// After `close`, every call is a `store_error` saying the engine is
    /// closed. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        unimplemented!()
    }

    // ---- JSON text in and out, for the bindings ----

    /// `options`: `{"expected_version", "command_id", "metadata", "now",
    /// "correlation_id", "causation_id"}`, all optional. Returns
    /// `{"stream", "version", "events": [...]}`.
    pub fn execute_json(
        &self,
        _model: &str,
        _id: &str,
        _command: &str,
        _options: Option<&str>,
    ) -> Result<String> {
        unimplemented!()
    }

    /// `requests`: `[{"model", "id", "command", "options"?}, ...]`. Returns
    /// an array of what `execute_json` returns.
    pub fn execute_many_json(&self, _requests: &str) -> Result<String> {
        unimplemented!()
    }

    /// `{"state", "version"}`.
    pub fn load_json(&self, _model: &str, _id: &str) -> Result<String> {
        unimplemented!()
    }

    pub fn query_json(
        &self,
        _model: &str,
        _id: &str,
        _name: &str,
        _args: Option<&str>,
    ) -> Result<String> {
        unimplemented!()
    }

    /// `options`: `{"from_version", "limit"}`. Returns an array of stored events.
    pub fn read_stream_json(&self, _stream: &str, _options: Option<&str>) -> Result<String> {
        unimplemented!()
    }

    /// `options`: `{"from_position", "limit"}`.
    pub fn read_all_json(&self, _options: Option<&str>) -> Result<String> {
        unimplemented!()
    }

    /// `options`: `{"model"}`. Returns `[{"stream", "version"}, ...]`.
    pub fn streams_json(&self, _options: Option<&str>) -> Result<String> {
        unimplemented!()
    }
}
