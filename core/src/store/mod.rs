//! Where events live. A [`Store`] keeps streams of events with optimistic
//! concurrency, snapshots and the results of commands (for idempotent
//! retries). It knows nothing of models: events are JSON text, typed only by
//! the engine above it.
//!
//! Two stores: [`memory::MemoryStore`] (tests, throwaway work) and
//! [`sqlite::SqliteStore`], the embedded default.

pub mod memory;
pub mod sqlite;

use crate::error::{Error, Result};

/// An event to append; its stream and version come from its [`Append`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// A UUIDv7.
    pub id: String,
    pub event_type: String,
    /// Canonical JSON text of the event's data.
    pub data: String,
    /// JSON text of an object.
    pub metadata: String,
}

/// The events of one command for one stream, appended only if the stream is
/// still at `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub stream: String,
    /// The model of the stream, kept so that `streams` can filter on it
    /// (a model name may itself contain `-`).
    pub model: String,
    pub expected_version: u64,
    pub events: Vec<NewEvent>,
    /// Recorded with the versions the events take, in the same transaction.
    pub command_id: Option<String>,
}

/// An event as stored, its data and metadata still JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub position: u64,
    pub id: String,
    pub stream: String,
    pub version: u64,
    pub event_type: String,
    pub data: String,
    pub metadata: String,
}

/// A stream's state at a version, as JSON text, with the fingerprint of the
/// model that made it and a checksum over the three.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub stream: String,
    pub version: u64,
    pub fingerprint: String,
    pub state: String,
    pub checksum: String,
}

/// The stream was not at the version the append expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    /// Which [`Append`] of the batch lost.
    pub index: usize,
    pub expected: u64,
    pub actual: u64,
}

/// Versions `first..=last` of a stream were appended by a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRecord {
    pub first_version: u64,
    pub last_version: u64,
}

/// Visits `(version, type, data)` of stored events, in version order.
pub type Visit<'a> = dyn FnMut(u64, &str, &str) -> Result<()> + 'a;

/// A durable, ordered home for streams of events.
///
/// Implementations must: append a batch atomically (all of it or none);
/// check each stream's version inside the write so that two writers (threads
/// or processes) never both win; keep versions contiguous from 1 and global
/// positions unique and increasing in commit order.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The current version of a stream (0: no events).
    fn version(&self, stream: &str) -> Result<u64>;

    /// Appends every batch or none. `Ok(Err(conflict))` when a stream was
    /// not at its expected version; otherwise the global position of the
    /// first event of each append (0 for an append without events).
    /// `snapshots` (of states at the versions this append reaches) are kept
    /// in the same transaction.
    fn append(
        &self,
        appends: &[Append],
        snapshots: &[Snapshot],
    ) -> Result<std::result::Result<Vec<u64>, Conflict>>;

    /// Feeds the events of a stream after `after_version` to `visit`, in
    /// order. The fast path of loading state: no allocation per event.
    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()>;

    /// Events of a stream from `from_version` (inclusive), at most `limit`.
    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>>;

    /// Events of every stream from `from_position` (inclusive), at most
    /// `limit`.
    fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RawEvent>>;

    /// Streams with their versions, sorted by name; only those of `model`
    /// when given.
    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>>;

    /// The versions a command with this id appended to the stream.
    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>>;

    /// The latest snapshot of a stream, if any.
    fn snapshot(&self, stream: &str) -> Result<Option<Snapshot>>;

    /// Keeps a snapshot (replacing an older one of the stream).
    fn save_snapshot(&self, snapshot: &Snapshot) -> Result<()>;

    /// Releases the store; later calls fail with a `store_error`.
    fn close(&self) -> Result<()>;
}

/// How a store URL asks for SQLite to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync on every commit: no acknowledged event is ever lost.
    Full,
    /// fsync at checkpoints: a power cut may lose the last transactions
    /// (never corrupt the file). A process crash loses nothing.
    Normal,
}

/// Opens a store from its URL: `memory:` or `sqlite:PATH[?synchronous=full|normal]`.
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    if url == "memory:" || url == "memory://" {
        return Ok(Box::new(memory::MemoryStore::new()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut sync = Synchronous::Full;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("full") => {
                    sync = Synchronous::Full
                }
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("normal") => {
                    sync = Synchronous::Normal
                }
                _ => {
                    return Err(Error::StoreError {
                        message: format!(
                            "unknown option `{pair}` in store URL `{url}`; \
                             the one option is synchronous=full|normal"
                        ),
                    })
                }
            }
        }
        if path.is_empty() {
            return Err(Error::StoreError {
                message: format!("store URL `{url}` names no file; write sqlite:PATH"),
            });
        }
        return Ok(Box::new(sqlite::SqliteStore::open(path, sync)?));
    }
    Err(Error::StoreError {
        message: format!(
            "unknown store URL `{}`; use memory: or sqlite:PATH",
            url.chars().take(200).collect::<String>()
        ),
    })
}

pub(crate) fn closed() -> Error {
    Error::StoreError {
        message: "the engine is closed: open a new one to go on".into(),
    }
}
