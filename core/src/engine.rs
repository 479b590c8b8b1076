//! The engine: a [`Domain`] over a [`Store`]. It loads
//! state (cache, snapshots, replay), runs commands, appends their events
//! atomically with optimistic concurrency, and reads them back.
//!
//! Every binding calls the `*_json` methods: JSON text in, JSON text out,
//! errors as [`Error`] (`{code, message, ...}` through `Error::to_json`).
//!
//! The choices, and why:
//! - **Deciding inside the write.** A command runs inside the store's write
//!   transaction: the write lock is taken, the cached state is caught up
//!   with any events after its version, the command is proposed, and its
//!   events are appended and committed. Nobody else can append in between,
//!   so a command without `expected_version` never fails because others
//!   wrote; with it, a mismatch is an immediate `version_conflict`.
//! - **Group commit** (module `group`): commands arriving from many threads
//!   while a transaction runs share the next one, and so one fsync. Each
//!   runs between savepoints and keeps its own result, error or rejection.
//! - **In place**: a stream's state is taken out of the LRU cache by the
//!   transaction, so the command changes a value held alone (no copy of the
//!   persistent maps), and goes back only once the store committed. Any
//!   failure drops it; it is reloaded when next needed. The cache is only a
//!   head start: every state is caught up inside the write.
//! - **Idempotency**: a caller's command id is recorded with the versions
//!   its events took, in the append's transaction; a repeat reads those
//!   events back, so it returns the first result byte for byte.
//! - **Snapshots** (module `snapshots`) are written off the command path,
//!   by a thread of their own, once the events since the last one outweigh
//!   the state; a state hot in the cache needs none, so it waits longer and
//!   gets one when it leaves the cache or the engine closes. Each carries the model's [`fingerprint`] and a checksum.
//!   Anything doubtful about one (another model, a damaged text, a version
//!   past the stream's end, a table that cannot be read) means a replay
//!   from the first event: slower, never wrong.
//! - **Loading** hands every stored event to the model through one door,
//!   `domain::stored::EventReader` (where upcasts will go), which decodes
//!   its data straight from text into typed values (`types::text`), with
//!   no intermediate `serde_json::Value` per event. `execute_json` writes
//!   each event's data as the very text that was stored.
//!
//! The parts: `options` (how an engine and a command behave), `load`
//! (cache, snapshots, replay), `execute` (the write path), `read` (events
//! back out), `json` (the `*_json` twins for the bindings).

mod clock;
mod execute;
mod group;
mod json;
mod load;
mod metadata;
// Model changes (issue 14).
mod migrate;
mod models;
mod options;
mod projections;
mod read;
mod runner;
mod snapshots;
// Subscriptions (issue 13).
mod subscription;

pub use metadata::Metadata;
pub use migrate::{Applied, Plan};
pub use models::{revision, OnModelChange};
pub use options::{EngineOptions, ExecuteOptions, ExecuteRequest};
pub use projections::{OnProjectionError, ProjectionStatus};
pub use runner::Rebuilt;
// Subscriptions (issue 13).
pub use subscription::Subscription;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use foldhash::fast::RandomState as FastHash;
use lru::LruCache;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::{self, Store};
use crate::value::Value;
use crate::Domain;
use execute::{Answer, Job};
use group::Group;
use snapshots::{SnapshotCost, Snapshotter};

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
    /// The version of the event's shape (§12): the current one, after
    /// upcasting. Several events an upcast made of one stored event share
    /// its id, stream, version, position and metadata.
    pub schema: u32,
    pub data: Value,
    /// `recorded_at`, `command_id`, `correlation_id`, `causation_id`, and
    /// the caller's keys.
    pub metadata: Metadata,
}

/// What `execute` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Executed {
    pub stream: String,
    /// The stream's version after the command.
    pub version: u64,
    /// The global position of the command's last event (0 when it
    /// appended none): what `wait_for` takes, to read this command's
    /// writes in async projections.
    pub position: u64,
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

/// A domain over a store. `Send + Sync`: share it between threads (it is
/// cheap to clone); commands on one stream are serialised without lost
/// updates.
///
/// How a command runs (see [`Engine::execute`]): it joins the next group
/// commit; inside the store's write transaction its stream's state is taken
/// *out* of the LRU cache (so it is held alone and changes in place), caught
/// up with the store, the command is decided on it, and its events are
/// appended. Only when the store commits is the state put back; on any
/// failure it is dropped and later reloaded, so the cache never holds a
/// state the store does not.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Shared>,
}

struct Shared {
    /// What the engine runs; swapped whole by a model change.
    current: RwLock<Arc<models::Current>>,
    /// The store's active model versions, as last read.
    seen: models::SeenCell,
    store: Arc<dyn Store>,
    options: EngineOptions,
    /// Hot states by stream; `None` when `cache_capacity` is 0.
    cache: Option<Mutex<LruCache<String, Entry, FastHash>>>,
    group: Group<Job, Vec<Answer>>,
    snapshots: Snapshotter,
    closed: AtomicBool,
    /// The async projections' runner, and what `wait_for` waits on.
    runner: runner::Runner,
    // Subscriptions (issue 13): the open handles, closed with the engine.
    subscriptions: subscription::Registry,
}

/// A state and the version of the stream it reflects.
#[derive(Clone)]
struct Entry {
    state: Value,
    version: u64,
    /// Of the stream's model, for its snapshots.
    fingerprint: Arc<str>,
    cost: SnapshotCost,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.inner.store)
            .field("options", &self.inner.options)
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The fingerprint of a model, for its snapshots: a hash of only what
/// decides folded state (see `language::fingerprint`), so a doc edit, a new
/// command or a new release keeps the snapshots.
pub fn fingerprint(domain: &Domain, model: &str) -> Result<String> {
    Ok(crate::language::fingerprint::fingerprint(
        domain.model(model)?,
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Engine {
    /// Opens an engine on a store: `memory:`, `sqlite:PATH` (with
    /// `?synchronous=normal` to trade durability of the last transactions
    /// for speed).
    pub fn open(store: &str, domain: Domain, options: EngineOptions) -> Result<Engine> {
        let store = store::open(store)?;
        Engine::with_store(Arc::from(store), domain, options)
    }

    /// An engine over a store made by the caller (a custom [`Store`], or one
    /// a test wants to reach behind the engine's back).
    pub fn with_store(
        store: Arc<dyn Store>,
        domain: Domain,
        options: EngineOptions,
    ) -> Result<Engine> {
        let current = models::Current::new(domain)?;
        let snapshots = Snapshotter::start(store.clone(), options.snapshot_every);
        let cache = NonZeroUsize::new(options.cache_capacity)
            .map(|n| Mutex::new(LruCache::with_hasher(n, FastHash::default())));

        let projections = current.domain.read_side().projections.len();
        let engine = Engine {
            inner: Arc::new(Shared {
                current: RwLock::new(Arc::new(current)),
                seen: Default::default(),
                store,
                options,
                cache,
                group: Group::default(),
                snapshots,
                closed: AtomicBool::new(false),
                runner: runner::Runner::new(),
                subscriptions: subscription::Registry::default(),
            }),
        };
        engine.register_models()?;
        engine.prepare_projections()?;
        if engine.inner.options.run_projections && projections > 0 {
            engine.inner.runner.start(Arc::downgrade(&engine.inner))?;
        }
        Ok(engine)
    }

    /// The domain this engine runs now (another one after it followed a
    /// model change, or applied one).
    pub fn domain(&self) -> Domain {
        self.current().domain.clone()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.inner.options
    }

    /// The name of a stream: `Model-id`.
    pub fn stream_name(model: &str, id: &str) -> String {
        format!("{model}-{id}")
    }

    /// Waits until the snapshots asked for so far are written. They are
    /// written in the background anyway; this is for tests and for a tidy
    /// shutdown.
    pub fn flush_snapshots(&self) {
        self.inner.snapshots.flush();
    }

    /// After `close`, every call is a `store_error` saying the engine is
    /// closed. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        // Subscriptions first, while the engine is still open: a poll in
        // flight then ends as a closed subscription's does, never with the
        // engine's `closed` error; their leases go while the store is open.
        self.inner.subscriptions.close_all();
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // The runner ends its batch in flight; its leases go at once, so
        // another engine takes over without waiting out their term.
        self.inner.runner.stop();
        let _ = self.release_leases();
        // The states leaving the cache get the snapshots due; what is
        // queued is written while the store is still open.
        if let Some(cache) = &self.inner.cache {
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            for (stream, entry) in c.iter_mut() {
                self.offer_snapshot(stream, entry, false);
            }
        }
        self.inner.snapshots.stop();
        if let Some(cache) = &self.inner.cache {
            cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.inner.store.close()
    }

    /// Whether a call of this engine can wait on I/O (false on `memory:`):
    /// a host with an event loop may run the calls of a store that does
    /// none on its own thread instead of handing them to another.
    pub fn does_io(&self) -> bool {
        self.inner.store.does_io()
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            Err(store::closed())
        } else {
            Ok(())
        }
    }

    fn stream_for(&self, domain: &Domain, model: &str, id: &str) -> Result<String> {
        domain.model(model)?;
        if id.is_empty() || id.len() > 1024 || id.contains('\0') {
            return Err(Error::InvalidCommand {
                path: "id".into(),
                message: "the id of a stream is 1 to 1024 bytes of text, without NUL".into(),
            });
        }
        Ok(Engine::stream_name(model, id))
    }
}
