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
//! - **Group commit** (module [`group`]): commands arriving from many threads
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
//! - **Snapshots** (module [`snapshots`]) are written off the command path,
//!   by a thread of their own, once the events since the last one outweigh
//!   the state; a state hot in the cache needs none, so it waits longer and
//!   gets one when it leaves the cache or the engine closes. Each carries the model's [`fingerprint`] and a checksum.
//!   Anything doubtful about one (another model, a damaged text, a version
//!   past the stream's end, a table that cannot be read) means a replay
//!   from the first event: slower, never wrong.
//! - **Loading** decodes stored JSON straight into typed values (module
//!   `types::text`), with no intermediate `serde_json::Value` per event.

mod clock;
mod group;
mod metadata;
mod snapshots;

pub use metadata::Metadata;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use foldhash::fast::RandomState as FastHash;
use lru::LruCache;
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::options::ReadOptions;
use crate::store::{self, Append, CommandRecord, NewEvent, RawEvent, Snapshot, Store, WriteTx};
use crate::value::Value;
use crate::Domain;
use group::Group;
use snapshots::{checksum, SnapshotCost, Snapshotter};

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
    pub now: Option<crate::value::Timestamp>,
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
    pub metadata: Metadata,
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
    domain: Domain,
    store: Arc<dyn Store>,
    options: EngineOptions,
    /// Hot states by stream; `None` when `cache_capacity` is 0.
    cache: Option<Mutex<LruCache<String, Entry, FastHash>>>,
    group: Group<Job, Vec<Executed>>,
    snapshots: Snapshotter,
    /// Fingerprint of each model, by name.
    fingerprints: HashMap<String, Arc<str>>,
    closed: AtomicBool,
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

/// The fingerprint of a model, for its snapshots: SHA-256 over the
/// eventfold version and the model as compiled (its IR, printed with
/// `Debug`). The compiled form is what folds events, so any change that can
/// change a state (an event's body, a default, a field, a type) changes the
/// fingerprint; so do harmless ones (a moved line), which only cost a replay.
/// The IR holds no hash maps, so its printing is the same in every process.
pub fn fingerprint(domain: &Domain, model: &str) -> Result<String> {
    let m = domain.model(model)?;
    let text = format!("eventfold {}\n{:?}", env!("CARGO_PKG_VERSION"), m);
    Ok(hex(&Sha256::digest(text.as_bytes())))
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
        let mut fingerprints = HashMap::new();
        for m in domain.models() {
            fingerprints.insert(m.to_string(), Arc::from(fingerprint(&domain, m)?));
        }
        let snapshots = Snapshotter::start(store.clone(), options.snapshot_every);
        let cache = NonZeroUsize::new(options.cache_capacity)
            .map(|n| Mutex::new(LruCache::with_hasher(n, FastHash::default())));

        Ok(Engine {
            inner: Arc::new(Shared {
                domain,
                store,
                options,
                cache,
                group: Group::default(),
                snapshots,
                fingerprints,
                closed: AtomicBool::new(false),
            }),
        })
    }

    pub fn domain(&self) -> &Domain {
        &self.inner.domain
    }

    pub fn options(&self) -> &EngineOptions {
        &self.inner.options
    }

    /// The name of a stream: `Model-id`.
    pub fn stream_name(model: &str, id: &str) -> String {
        format!("{model}-{id}")
    }

    /// Loads the stream `Model-id`, proposes the command, appends its events
    /// atomically.
    ///
    /// A command that emits no events appends nothing and is not recorded
    /// for idempotency (running it again changes nothing either). A rejected
    /// command is not recorded: a retry with the same id runs again.
    pub fn execute(
        &self,
        model: &str,
        id: &str,
        command: &Json,
        options: &ExecuteOptions,
    ) -> Result<Executed> {
        self.check_open()?;
        let job = Job {
            requests: vec![self.prepare(model, id, command, options)?],
            many: false,
        };
        let mut out = self.submit(job)?;
        out.pop().ok_or_else(|| Error::Internal {
            message: "a command got no result".into(),
        })
    }

    /// Many commands in one transaction: all of them are appended, or none.
    /// A command sees the state its predecessors in the batch left; a
    /// rejection of any fails the whole batch (its message names which).
    pub fn execute_many(&self, requests: &[ExecuteRequest]) -> Result<Vec<Executed>> {
        self.check_open()?;
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let mut prepared = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            prepared.push(
                self.prepare(&r.model, &r.id, &r.command, &r.options)
                    .map_err(|e| at_request(e, i))?,
            );
        }
        self.submit(Job {
            requests: prepared,
            many: true,
        })
    }

    /// The current state of a stream and its version (0 and the initial
    /// state for a stream without events).
    pub fn load(&self, model: &str, id: &str) -> Result<Loaded> {
        self.check_open()?;
        let stream = self.stream_for(model, id)?;
        let mut reader = Reader::Store(&*self.inner.store);
        let entry = match self.cached(&stream) {
            Some(e) => self.catch_up(&mut reader, model, &stream, e)?,
            None => self.load_cold(&mut reader, model, &stream)?,
        };
        let loaded = Loaded {
            state: entry.state.clone(),
            version: entry.version,
        };
        self.put(stream, entry);
        Ok(loaded)
    }

    pub fn query(&self, model: &str, id: &str, name: &str, args: &Json) -> Result<Value> {
        let loaded = self.load(model, id)?;
        self.inner.domain.query(model, &loaded.state, name, args)
    }

    /// Events of a stream from `from_version` (default 1), at most `limit`.
    pub fn read_stream(
        &self,
        stream: &str,
        from_version: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        self.check_open()?;
        let raw = self.inner.store.read_stream(
            stream,
            from_version.unwrap_or(1),
            limit.unwrap_or(usize::MAX),
        )?;
        raw.iter().map(|e| self.typed(e)).collect()
    }

    /// Events of every stream from `from_position` (default 1), in order.
    pub fn read_all(
        &self,
        from_position: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        self.check_open()?;
        let raw = self
            .inner
            .store
            .read_all(from_position.unwrap_or(1), limit.unwrap_or(usize::MAX))?;
        raw.iter().map(|e| self.typed(e)).collect()
    }

    pub fn streams(&self, model: Option<&str>) -> Result<Vec<StreamInfo>> {
        self.check_open()?;
        Ok(self
            .inner
            .store
            .streams(model)?
            .into_iter()
            .map(|(stream, version)| StreamInfo { stream, version })
            .collect())
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
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
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

    /// Replays every stream (of `model`, or of every model of the domain)
    /// from its first event, ignoring snapshots, and writes a fresh snapshot
    /// of each. `progress(events_done, events_total)` is called as it goes.
    /// Returns the number of streams.
    pub fn rebuild_snapshots(
        &self,
        model: Option<&str>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<usize> {
        self.check_open()?;
        let models: Vec<String> = match model {
            Some(m) => {
                self.inner.domain.model(m)?;
                vec![m.to_string()]
            }
            None => self
                .inner
                .domain
                .models()
                .iter()
                .map(|m| m.to_string())
                .collect(),
        };
        let mut streams = Vec::new();
        for m in &models {
            for (s, v) in self.inner.store.streams(Some(m))? {
                streams.push((m.clone(), s, v));
            }
        }
        let total: u64 = streams.iter().map(|s| s.2).sum();
        let mut done = 0;
        progress(0, total);
        for (m, stream, _) in &streams {
            let start = self.initial(m)?;
            let base = done;
            let mut reader = Reader::Store(&*self.inner.store);
            let mut entry = self.fold_onto(&mut reader, m, stream, start, &mut |v| {
                if v % 4096 == 0 {
                    progress(base + v, total);
                }
            })?;
            done = base + entry.version;
            progress(done, total);
            if let Some(snap) = self.snapshot_of(m, stream, &entry) {
                self.inner.store.save_snapshot(&snap)?;
                entry.cost = SnapshotCost::loaded(entry.version, snap.state.len() as u64);
            }
            self.put(stream.clone(), entry);
        }
        Ok(streams.len())
    }

    // ---- JSON text in and out, for the bindings ----

    /// `options`: `{"expected_version", "command_id", "metadata", "now",
    /// "correlation_id", "causation_id"}`, all optional. Returns
    /// `{"stream", "version", "events": [...]}`.
    pub fn execute_json(
        &self,
        model: &str,
        id: &str,
        command: &str,
        options: Option<&str>,
    ) -> Result<String> {
        self.check_open()?;
        let command = self.inner.domain.parse_json(command)?;
        let options = match options {
            Some(text) => ExecuteOptions::from_json(&self.inner.domain.parse_json(text)?)?,
            None => ExecuteOptions::default(),
        };
        let done = self.execute(model, id, &command, &options)?;
        let mut out = String::with_capacity(320);
        write_executed(&mut out, &done);
        Ok(out)
    }

    /// `requests`: `[{"model", "id", "command", "options"?}, ...]`. Returns
    /// an array of what `execute_json` returns.
    pub fn execute_many_json(&self, requests: &str) -> Result<String> {
        self.check_open()?;
        let json = self.inner.domain.parse_json(requests)?;
        let Json::Array(items) = json else {
            return Err(invalid_option(
                "",
                "execute_many takes an array of {\"model\", \"id\", \"command\", \"options\"}",
            ));
        };
        let mut requests = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            requests.push(request_from_json(item, i)?);
        }
        Ok(executed_json(&self.execute_many(&requests)?))
    }

    /// `{"state", "version"}`.
    pub fn load_json(&self, model: &str, id: &str) -> Result<String> {
        Ok(to_json(&self.load(model, id)?))
    }

    pub fn query_json(
        &self,
        model: &str,
        id: &str,
        name: &str,
        args: Option<&str>,
    ) -> Result<String> {
        self.check_open()?;
        let args = match args {
            Some(text) => self.inner.domain.parse_json(text)?,
            None => Json::Null,
        };
        Ok(self.query(model, id, name, &args)?.to_json_string())
    }

    /// `options`: `{"from_version", "limit"}`. Returns an array of stored events.
    /// The data and metadata are written as stored, byte for byte.
    pub fn read_stream_json(&self, stream: &str, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let o = ReadOptions::stream_from_json(&self.options_json(options)?)?;
        let raw = self.inner.store.read_stream(
            stream,
            o.from.unwrap_or(1),
            o.limit.unwrap_or(usize::MAX),
        )?;
        raw_events_json(&raw)
    }

    /// `options`: `{"from_position", "limit"}` (`models` and `types` are
    /// refused until the store filters by them).
    pub fn read_all_json(&self, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let o = ReadOptions::all_from_json(&self.options_json(options)?)?;
        if o.models.is_some() || o.types.is_some() {
            let key = if o.models.is_some() {
                "models"
            } else {
                "types"
            };
            return Err(invalid_option(
                &format!("options.{key}"),
                &format!("read_all cannot filter by `{key}` yet; leave it out"),
            ));
        }
        let raw = self
            .inner
            .store
            .read_all(o.from.unwrap_or(1), o.limit.unwrap_or(usize::MAX))?;
        raw_events_json(&raw)
    }

    fn options_json(&self, options: Option<&str>) -> Result<Json> {
        options.map_or(Ok(Json::Null), |t| self.inner.domain.parse_json(t))
    }

    /// `options`: `{"model"}`. Returns `[{"stream", "version"}, ...]`.
    pub fn streams_json(&self, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let model = match options {
            None => None,
            Some(text) => match self.inner.domain.parse_json(text)? {
                Json::Null => None,
                Json::Object(o) => {
                    if let Some(k) = o.keys().find(|k| k.as_str() != "model") {
                        return Err(invalid_option(
                            &format!("options.{k}"),
                            &format!("unknown option `{k}`; streams takes `model`"),
                        ));
                    }
                    match o.get("model") {
                        None | Some(Json::Null) => None,
                        Some(Json::String(m)) => Some(m.clone()),
                        Some(_) => {
                            return Err(invalid_option(
                                "options.model",
                                "`model` is the name of a model",
                            ))
                        }
                    }
                }
                _ => return Err(invalid_option("options", "options are an object")),
            },
        };
        Ok(to_json(&self.streams(model.as_deref())?))
    }

    // ---- the machinery ----

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

    fn stream_for(&self, model: &str, id: &str) -> Result<String> {
        self.inner.domain.model(model)?;
        if id.is_empty() || id.len() > 1024 || id.contains('\0') {
            return Err(Error::InvalidCommand {
                path: "id".into(),
                message: "the id of a stream is 1 to 1024 bytes of text, without NUL".into(),
            });
        }
        Ok(Engine::stream_name(model, id))
    }

    /// Takes a stream's state out of the cache, so that a command changes it
    /// in place (held alone, no copy of the persistent maps).
    fn take_cached(&self, stream: &str) -> Option<(String, Entry)> {
        let cache = self.inner.cache.as_ref()?;
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_entry(stream)
    }

    /// A copy of a stream's cached state (cheap: the maps are persistent).
    fn cached(&self, stream: &str) -> Option<Entry> {
        let cache = self.inner.cache.as_ref()?;
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(stream)
            .cloned()
    }

    /// A stream's state, caught up with what `reader` sees.
    fn catch_up(
        &self,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
        entry: Entry,
    ) -> Result<Entry> {
        let stored = reader.version(stream)?;
        match stored.cmp(&entry.version) {
            std::cmp::Ordering::Equal => Ok(entry),
            std::cmp::Ordering::Greater => {
                self.fold_onto(reader, model, stream, entry, &mut |_| {})
            }
            // The store went back (a file replaced under us): start over.
            std::cmp::Ordering::Less => self.load_cold(reader, model, stream),
        }
    }

    /// Puts a state back in the cache, unless the cache already holds a
    /// newer one (a reader and a writer may both put). A state pushed out
    /// gets its snapshot if one is due.
    fn put(&self, stream: String, entry: Entry) {
        let Some(cache) = &self.inner.cache else {
            return;
        };
        let evicted = {
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            if c.peek(&stream)
                .is_some_and(|old| old.version > entry.version)
            {
                return;
            }
            match c.push(stream, entry) {
                // The least recent one went out (not an older one replaced).
                Some((k, old)) if !c.contains(&k) => Some((k, old)),
                _ => None,
            }
        };
        if let Some((k, mut old)) = evicted {
            self.offer_snapshot(&k, &mut old, false);
        }
    }

    fn offer_snapshot(&self, stream: &str, entry: &mut Entry, hot: bool) {
        self.inner.snapshots.offer(
            &entry.fingerprint,
            stream,
            entry.version,
            &entry.state,
            &mut entry.cost,
            hot,
        );
    }

    fn initial(&self, model: &str) -> Result<Entry> {
        Ok(Entry {
            state: self.inner.domain.initial_state(model)?,
            version: 0,
            fingerprint: self.fingerprint_of(model),
            cost: SnapshotCost::loaded(0, 0),
        })
    }

    fn fingerprint_of(&self, model: &str) -> Arc<str> {
        self.inner
            .fingerprints
            .get(model)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The latest usable snapshot plus the events after it. A snapshot of
    /// another model (fingerprint), a damaged one (checksum, decoding) or
    /// one past the stream's end is ignored: replay from the start. Loading
    /// never writes a snapshot: that is the snapshot thread's job.
    fn load_cold(&self, reader: &mut Reader<'_, '_>, model: &str, stream: &str) -> Result<Entry> {
        let mut start = None;
        // A snapshot that cannot be read, even for a damaged table, is no
        // snapshot: the events decide.
        if let Ok(Some(snap)) = reader.snapshot(stream) {
            start = self.usable_snapshot(model, &snap);
        }
        let from_snapshot = start.is_some();
        let entry = match start {
            Some(e) => e,
            None => self.initial(model)?,
        };
        let snap_version = entry.version;
        let entry = self.fold_onto(reader, model, stream, entry, &mut |_| {})?;
        if from_snapshot && entry.version == snap_version && snap_version > 0 {
            // Nothing after the snapshot: make sure it is not past the end.
            if reader.version(stream)? != snap_version {
                let initial = self.initial(model)?;
                return self.fold_onto(reader, model, stream, initial, &mut |_| {});
            }
        }
        Ok(entry)
    }

    fn usable_snapshot(&self, model: &str, snap: &Snapshot) -> Option<Entry> {
        let fp = self.inner.fingerprints.get(model)?;
        if snap.fingerprint != **fp
            || snap.checksum != checksum(&snap.stream, snap.version, fp, &snap.state)
        {
            return None;
        }
        // Straight from text when it fits the state's type (it should:
        // the engine wrote it); the slow path decides otherwise.
        let m = self.inner.domain.model(model).ok()?;
        let state = match crate::types::text::fields(
            &m.types,
            &m.state_shape,
            &m.state_fields,
            &snap.state,
        ) {
            Some(state) => state,
            None => {
                let json: Json = serde_json::from_str(&snap.state).ok()?;
                self.inner.domain.state(model, &json).ok()?
            }
        };
        Some(Entry {
            state,
            version: snap.version,
            fingerprint: fp.clone(),
            cost: SnapshotCost::loaded(snap.version, snap.state.len() as u64),
        })
    }

    /// The snapshot of a state (`None` for a model not in the domain).
    fn snapshot_of(&self, model: &str, stream: &str, entry: &Entry) -> Option<Snapshot> {
        let fp = self.inner.fingerprints.get(model)?;
        let state = entry.state.to_json_string();
        Some(Snapshot {
            checksum: checksum(stream, entry.version, fp, &state),
            stream: stream.to_string(),
            version: entry.version,
            fingerprint: fp.to_string(),
            state,
        })
    }

    /// Folds the stored events after `entry.version` onto it: decoding each
    /// event's data straight from its text against the event's declared
    /// params, with no envelope built per event.
    fn fold_onto(
        &self,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
        entry: Entry,
        tick: &mut dyn FnMut(u64),
    ) -> Result<Entry> {
        let domain = &self.inner.domain;
        let m = domain.model(model)?;
        let Entry {
            mut state,
            mut version,
            fingerprint,
            mut cost,
        } = entry;
        let mut path = String::new();
        // Streams repeat a few event types: remember the last one found.
        let mut last: Option<(String, usize)> = None;
        reader.fold(stream, version, &mut |v, t, d| {
            if v != version + 1 {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Corrupt,
                    message: format!(
                        "stream {stream} jumps from version {version} to {v}: the store is damaged"
                    ),
                });
            }
            let index = match &last {
                Some((name, i)) if name == t => *i,
                _ => {
                    let i = m.event_index(t).ok_or_else(|| Error::UnknownEvent {
                        message: format!(
                            "stream {stream} version {v} holds event `{t}`, which model {model} no longer declares"
                        ),
                    })?;
                    last = Some((t.to_string(), i));
                    i
                }
            };
            let h = &m.events[index];
            let data = match crate::types::text::fields(&m.types, &h.shape, &h.params, d) {
                Some(data) => data,
                None => slow_decode(m, h, d, &mut path).map_err(|e| match e {
                    Error::InvalidEvent { path, message } => Error::InvalidEvent {
                        path,
                        message: format!("stream {stream} version {v}: {message}"),
                    },
                    other => other,
                })?,
            };
            let event = Event {
                name: h.name.clone(),
                data,
            };
            state = domain.accept(model, std::mem::take(&mut state), &event)?;
            version = v;
            cost.add(d.len());
            tick(v);
            Ok(())
        })?;
        Ok(Entry {
            state,
            version,
            fingerprint,
            cost,
        })
    }

    /// What a command recorded for idempotency returned the first time.
    fn recorded(&self, tx: &mut dyn WriteTx, stream: &str, rec: CommandRecord) -> Result<Executed> {
        let n = (rec.last_version + 1).saturating_sub(rec.first_version) as usize;
        let raw = tx.read_stream(stream, rec.first_version, n)?;
        Ok(Executed {
            stream: stream.to_string(),
            version: rec.last_version,
            events: raw.iter().map(|e| self.typed(e)).collect::<Result<_>>()?,
        })
    }

    /// A stored event with its data typed by its model when the domain has
    /// it (the longest model name that prefixes the stream), else read as
    /// plain JSON.
    fn typed(&self, e: &RawEvent) -> Result<StoredEvent> {
        let domain = &self.inner.domain;
        let damaged = |what: &str| Error::StoreError {
            kind: crate::error::StoreErrorKind::Corrupt,
            message: format!(
                "event {} (stream {}, version {}) has damaged {what}",
                e.position, e.stream, e.version
            ),
        };
        let json: Json = serde_json::from_str(&e.data).map_err(|_| damaged("data"))?;
        let metadata = Metadata::from_json_text(&e.metadata).ok_or_else(|| damaged("metadata"))?;
        let model = domain
            .models()
            .into_iter()
            .filter(|m| {
                e.stream.len() > m.len() + 1
                    && e.stream.starts_with(m)
                    && e.stream.as_bytes()[m.len()] == b'-'
            })
            .max_by_key(|m| m.len());
        let typed = model.and_then(|m| {
            let m = domain.model(m).ok()?;
            let h = &m.events[m.event_index(&e.event_type)?];
            let mut path = String::from("data");
            m.types
                .decode_fields(&json, &h.shape, &h.params, &mut path)
                .ok()
        });
        Ok(StoredEvent {
            id: e.id.clone(),
            stream: e.stream.clone(),
            version: e.version,
            position: e.position,
            event_type: e.event_type.clone(),
            data: typed.unwrap_or_else(|| plain_value(&json)),
            metadata,
        })
    }

    /// Runs a job in a group commit: see [`group`].
    fn submit(&self, job: Job) -> Result<Vec<Executed>> {
        self.inner
            .group
            .submit(job, &mut |jobs| self.run_group(jobs))
    }

    /// One write transaction for a group of jobs. Each job runs between
    /// savepoints, so its failure (a rejection, an error) undoes its own
    /// writes only; a lone command needs none (its failure rolls back the
    /// transaction, which wrote nothing else). If the commit fails, every
    /// job that had succeeded gets that error.
    fn run_group(&self, jobs: &[Job]) -> Vec<Result<Vec<Executed>>> {
        let lone = jobs.len() == 1 && jobs[0].requests.len() == 1;
        let mut results: Vec<Option<Result<Vec<Executed>>>> = jobs.iter().map(|_| None).collect();
        let mut work: HashMap<String, Work, FastHash> = HashMap::default();
        let recorded_at = clock::recorded_at();
        let written = self.inner.store.write(&mut |tx| {
            for (j, job) in jobs.iter().enumerate() {
                let mut appended = Vec::new();
                if lone {
                    results[j] = Some(Ok(self.run_job(
                        tx,
                        job,
                        &mut work,
                        &mut appended,
                        &recorded_at,
                    )?));
                    continue;
                }
                tx.savepoint()?;
                match self.run_job(tx, job, &mut work, &mut appended, &recorded_at) {
                    Ok(done) => {
                        tx.release_savepoint()?;
                        results[j] = Some(Ok(done));
                    }
                    Err(e) => {
                        tx.rollback_to_savepoint()?;
                        // The states it appended to hold what was just
                        // undone, and a failed accept leaves none at all.
                        work.retain(|s, w| !appended.contains(s) && !w.entry.state.is_null());
                        results[j] = Some(Err(e));
                    }
                }
            }
            Ok(())
        });
        match &written {
            Ok(()) => {
                // Acknowledged: the states match the store; keep them.
                for (stream, mut w) in work {
                    if w.dirty {
                        // Without a cache it leaves at once: not hot.
                        let hot = self.inner.cache.is_some();
                        self.offer_snapshot(&stream, &mut w.entry, hot);
                    }
                    self.put(stream, w.entry);
                }
            }
            Err(e) => {
                // A state changed here holds changes the store refused:
                // drop it (it reloads when next needed). One left alone (a
                // rejection leaves its state as it was) goes back.
                for (stream, w) in work {
                    if !w.dirty && !w.entry.state.is_null() {
                        self.put(stream, w.entry);
                    }
                }
                for r in &mut results {
                    if !matches!(r, Some(Err(_))) {
                        *r = Some(Err(e.clone()));
                    }
                }
            }
        }
        // Every job has its result: set as it ran, or the write's error.
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::Internal {
                        message: "a command of a group was not run".into(),
                    })
                })
            })
            .collect()
    }

    /// The commands of one job, inside the write transaction: each sees the
    /// state its predecessors left, and their events are appended at the
    /// end, in one go. `appended` gets the streams whose states it changed.
    fn run_job(
        &self,
        tx: &mut dyn WriteTx,
        job: &Job,
        work: &mut HashMap<String, Work, FastHash>,
        appended: &mut Vec<String>,
        recorded_at: &str,
    ) -> Result<Vec<Executed>> {
        let domain = &self.inner.domain;
        let at = |e: Error, i: usize| if job.many { at_request(e, i) } else { e };
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(job.requests.len());
        let mut appends: Vec<Append> = Vec::new();
        let mut in_job: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, p) in job.requests.iter().enumerate() {
            if let Some(cid) = &p.command_id {
                if let Some(&j) = in_job.get(&(p.stream.as_str(), cid.as_str())) {
                    outcomes.push(Outcome::Same(j));
                    continue;
                }
                if let Some(rec) = tx.command(&p.stream, cid)? {
                    outcomes.push(Outcome::Done(self.recorded(tx, &p.stream, rec)?));
                    continue;
                }
            }
            if !work.contains_key(&p.stream) {
                let mut reader = Reader::Tx(&mut *tx);
                let (key, entry) = match self.take_cached(&p.stream) {
                    Some((key, e)) => (key, self.catch_up(&mut reader, &p.model, &p.stream, e)?),
                    None => (
                        p.stream.clone(),
                        self.load_cold(&mut reader, &p.model, &p.stream)?,
                    ),
                };
                work.insert(
                    key,
                    Work {
                        entry,
                        dirty: false,
                    },
                );
            }
            let w = work.get_mut(&p.stream).expect("just loaded");
            if let Some(expected) = p.options.expected_version {
                if w.entry.version != expected {
                    let actual = w.entry.version;
                    return Err(at(Error::VersionConflict { expected, actual }, i));
                }
            }
            let events = domain
                .decide_in_place(&p.model, &mut w.entry.state, &p.command, p.options.now)
                .map_err(|e| at(e, i))?;
            if events.is_empty() {
                outcomes.push(Outcome::Done(Executed {
                    stream: p.stream.clone(),
                    version: w.entry.version,
                    events: Vec::new(),
                }));
                continue;
            }
            let metadata = event_metadata(p, recorded_at);
            let mut stored = Vec::with_capacity(events.len());
            let mut new = Vec::with_capacity(events.len());
            // The events of a command share its metadata's text.
            for (k, ev) in events.into_iter().enumerate() {
                let id = new_id();
                let event_type = ev.name.to_string();
                let data = ev.data.to_json_string();
                w.entry.cost.add(data.len());
                new.push(NewEvent {
                    id: id.clone(),
                    event_type: event_type.clone(),
                    data,
                    metadata: metadata.as_str().to_string(),
                });
                stored.push(StoredEvent {
                    id,
                    stream: p.stream.clone(),
                    version: w.entry.version + k as u64 + 1,
                    position: 0,
                    event_type,
                    data: ev.data,
                    metadata: metadata.clone(),
                });
            }
            appends.push(Append {
                stream: p.stream.clone(),
                model: p.model.clone(),
                expected_version: w.entry.version,
                events: new,
                command_id: p.command_id.clone(),
            });
            w.entry.version += stored.len() as u64;
            w.dirty = true;
            appended.push(p.stream.clone());
            if let Some(cid) = &p.command_id {
                in_job.insert((p.stream.as_str(), cid.as_str()), i);
            }
            outcomes.push(Outcome::Appended {
                append: appends.len() - 1,
                executed: Executed {
                    stream: p.stream.clone(),
                    version: w.entry.version,
                    events: stored,
                },
            });
        }
        let firsts = if appends.is_empty() {
            Vec::new()
        } else {
            tx.append(&appends)?
        };
        let mut results: Vec<Executed> = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            let r = match o {
                Outcome::Done(e) => e,
                Outcome::Appended {
                    append,
                    mut executed,
                } => {
                    for (k, e) in executed.events.iter_mut().enumerate() {
                        e.position = firsts[append] + k as u64;
                    }
                    executed
                }
                Outcome::Same(j) => results[j].clone(),
            };
            results.push(r);
        }
        Ok(results)
    }

    fn prepare(
        &self,
        model: &str,
        id: &str,
        command: &Json,
        options: &ExecuteOptions,
    ) -> Result<Prepared> {
        let domain = &self.inner.domain;
        let stream = self.stream_for(model, id)?;
        let mut parsed = domain.command(model, command)?;
        let command_id = options.command_id.clone().or_else(|| parsed.id.clone());
        // The caller's metadata, as stored: the command's own, then the
        // options' over it. The model sees the string values as `meta`.
        let mut metadata = serde_json::Map::new();
        if let Some(Json::Object(m)) = command.get("metadata") {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(m) = &options.metadata {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Value::Map(meta) = &mut parsed.metadata {
                for (k, v) in m {
                    if let Json::String(s) = v {
                        meta.insert(k.as_str().into(), Value::str(s));
                    }
                }
            }
        }
        Ok(Prepared {
            model: model.to_string(),
            stream,
            command: parsed,
            command_id,
            options: options.clone(),
            metadata,
        })
    }
}

/// Where a load reads: the store as committed, or inside a write.
enum Reader<'a, 'b> {
    Store(&'a dyn Store),
    Tx(&'a mut (dyn WriteTx + 'b)),
}

impl Reader<'_, '_> {
    fn version(&mut self, stream: &str) -> Result<u64> {
        match self {
            Reader::Store(s) => s.version(stream),
            Reader::Tx(t) => t.version(stream),
        }
    }

    fn fold(&mut self, stream: &str, after: u64, visit: &mut store::Visit<'_>) -> Result<()> {
        match self {
            Reader::Store(s) => s.fold(stream, after, visit),
            Reader::Tx(t) => t.fold(stream, after, visit),
        }
    }

    fn snapshot(&mut self, stream: &str) -> Result<Option<Snapshot>> {
        match self {
            Reader::Store(s) => s.snapshot(stream),
            Reader::Tx(t) => t.snapshot(stream),
        }
    }
}

/// The commands of one caller: one `execute`, or one `execute_many`
/// (all of it or none).
struct Job {
    requests: Vec<Prepared>,
    /// Errors name the command of the batch that failed.
    many: bool,
}

/// A state taken out of the cache for a group.
struct Work {
    entry: Entry,
    /// Events were appended to it in this group.
    dirty: bool,
}

/// A request checked and ready to run, owned: a group's leader may run it
/// on another thread than its caller's.
struct Prepared {
    model: String,
    stream: String,
    command: crate::Command,
    command_id: Option<String>,
    options: ExecuteOptions,
    metadata: serde_json::Map<String, Json>,
}

enum Outcome {
    Done(Executed),
    /// The same command id earlier in the batch: its result.
    Same(usize),
    Appended {
        append: usize,
        executed: Executed,
    },
}

/// `recorded_at`, `command_id`, `correlation_id`, `causation_id`, then the
/// caller's keys. The correlation and causation ids default to those in the
/// caller's metadata, then to the command id (the first command of a
/// conversation is its own cause).
fn event_metadata(p: &Prepared, recorded_at: &str) -> Metadata {
    let caller = |k: &str| match p.metadata.get(k) {
        Some(Json::String(s)) => Some(s.as_str()),
        _ => None,
    };
    // A command without an id gets one, so that its events are tied
    // together; only the caller's ids are kept for idempotent retries.
    let generated;
    let command_id = match &p.command_id {
        Some(id) => id.as_str(),
        None => {
            generated = new_id();
            generated.as_str()
        }
    };
    let correlation = p
        .options
        .correlation_id
        .as_deref()
        .or_else(|| caller("correlation_id"))
        .unwrap_or(command_id);
    let causation = p
        .options
        .causation_id
        .as_deref()
        .or_else(|| caller("causation_id"))
        .unwrap_or(command_id);
    metadata::write(
        &[
            ("recorded_at", recorded_at),
            ("command_id", command_id),
            ("correlation_id", correlation),
            ("causation_id", causation),
        ],
        &p.metadata,
    )
}

/// A UUIDv7 as text (written straight into its buffer, not through `fmt`).
fn new_id() -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_string()
}

fn at_request(e: Error, index: usize) -> Error {
    let prefix = |m: String| format!("command {index}: {m}");
    match e {
        Error::Rejected { reason, message } => Error::Rejected {
            reason,
            message: prefix(message),
        },
        Error::InvalidCommand { path, message } => Error::InvalidCommand {
            path,
            message: prefix(message),
        },
        Error::UnknownCommand { message } => Error::UnknownCommand {
            message: prefix(message),
        },
        Error::UnknownModel { message } => Error::UnknownModel {
            message: prefix(message),
        },
        Error::EvaluationError { message } => Error::EvaluationError {
            message: prefix(message),
        },
        other => other,
    }
}

fn invalid_option(path: &str, message: &str) -> Error {
    Error::InvalidCommand {
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn request_from_json(item: Json, i: usize) -> Result<ExecuteRequest> {
    let at = format!("requests[{i}]");
    let Json::Object(mut o) = item else {
        return Err(invalid_option(
            &at,
            "a request is {\"model\", \"id\", \"command\", \"options\"}",
        ));
    };
    if let Some(k) = o
        .keys()
        .find(|k| !matches!(k.as_str(), "model" | "id" | "command" | "options"))
    {
        return Err(invalid_option(
            &format!("{at}.{k}"),
            &format!("unknown key `{k}`; a request holds model, id, command and options"),
        ));
    }
    let text = |o: &serde_json::Map<String, Json>, k: &str| match o.get(k) {
        Some(Json::String(s)) => Ok(s.clone()),
        _ => Err(invalid_option(
            &format!("{at}.{k}"),
            &format!("`{k}` is a string and required"),
        )),
    };
    let model = text(&o, "model")?;
    let id = text(&o, "id")?;
    let command = o
        .remove("command")
        .ok_or_else(|| invalid_option(&format!("{at}.command"), "`command` is required"))?;
    let options = match o.get("options") {
        Some(j) => ExecuteOptions::from_json_at(j, &format!("{at}.options"))?,
        None => ExecuteOptions::default(),
    };
    Ok(ExecuteRequest {
        model,
        id,
        command,
        options,
    })
}

/// Results of `execute_many` as JSON: see [`write_executed`].
fn executed_json(results: &[Executed]) -> String {
    let mut out = String::with_capacity(results.len() * 320 + 2);
    out.push('[');
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_executed(&mut out, r);
    }
    out.push(']');
    out
}

/// A result of `execute` as JSON: what `Serialize` writes for it, with each
/// event's metadata copied as written (never parsed and written again).
fn write_executed(out: &mut String, r: &Executed) {
    let q = |out: &mut String, s: &str| {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    };
    out.push_str("{\"stream\":");
    q(out, &r.stream);
    out.push_str(&format!(",\"version\":{},\"events\":[", r.version));
    for (k, e) in r.events.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"id\":");
        q(out, &e.id);
        out.push_str(",\"stream\":");
        q(out, &e.stream);
        out.push_str(&format!(
            ",\"version\":{},\"position\":{},\"type\":",
            e.version, e.position
        ));
        q(out, &e.event_type);
        out.push_str(",\"data\":");
        out.push_str(&e.data.to_json_string());
        out.push_str(",\"metadata\":");
        out.push_str(e.metadata.as_str());
        out.push('}');
    }
    out.push_str("]}");
}

/// Stored events as JSON, data and metadata copied as stored.
fn raw_events_json(events: &[RawEvent]) -> Result<String> {
    let mut out = String::with_capacity(events.len() * 256 + 2);
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (what, text) in [("data", &e.data), ("metadata", &e.metadata)] {
            if serde_json::from_str::<&serde_json::value::RawValue>(text).is_err() {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Corrupt,
                    message: format!(
                        "event {} (stream {}, version {}) has damaged {what}",
                        e.position, e.stream, e.version
                    ),
                });
            }
        }
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        out.push_str(&format!(
            "{{\"id\":{},\"stream\":{},\"version\":{},\"position\":{},\"type\":{},\"data\":{},\"metadata\":{}}}",
            q(&e.id),
            q(&e.stream),
            e.version,
            e.position,
            q(&e.event_type),
            e.data,
            e.metadata
        ));
    }
    out.push(']');
    Ok(out)
}

/// JSON as a value with no declared type to read it by (an event of a
/// model this domain does not have).
fn plain_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(items.iter().map(plain_value)),
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (crate::value::Str::from(k.as_str()), plain_value(v)))
                .collect(),
        ),
    }
}

/// Decodes stored data the way input is decoded, for its precise error.
fn slow_decode(
    m: &crate::language::ir::Model,
    h: &crate::language::ir::Handler,
    text: &str,
    path: &mut String,
) -> Result<Value> {
    let json: Json = serde_json::from_str(text).map_err(|e| Error::InvalidEvent {
        path: "data".into(),
        message: format!("stored data is not JSON: {e}"),
    })?;
    path.clear();
    path.push_str("data");
    m.types
        .decode_fields(&json, &h.shape, &h.params, path)
        .map_err(|e| Error::InvalidEvent {
            path: e.path,
            message: e.message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_written_as_serde_writes_them() {
        let domain = Domain::compile(&[crate::Source::new(
            "t.model",
            "model T { state { n: int } command go(s: string) { emit went(s, n: 1); emit went(s, n: 2) } event went(s: string, n: int) { set n = n + 1 } }",
        )])
        .unwrap();
        let e = Engine::open("memory:", domain, EngineOptions::default()).unwrap();
        let command = serde_json::json!({"type": "go", "data": {"s": "é\"\u{1}"}, "metadata": {"who": "me", "z": "\u{7f}\\"}});
        let done = e
            .execute("T", "a", &command, &ExecuteOptions::default())
            .unwrap();
        let mut written = String::new();
        write_executed(&mut written, &done);
        assert_eq!(written, serde_json::to_string(&done).unwrap());
        let many = vec![done.clone(), done];
        assert_eq!(executed_json(&many), serde_json::to_string(&many).unwrap());
    }
    use crate::Source;

    const MODEL: &str = r#"
model Kinds {
  state { n: int }
  enum Color { red, green }
  record Item {
    sku: string
    qty: int = 1
    note: string?
  }
  command go() { emit all(s: "x", i: 1, f: 1.5, b: true, t: now, c: Color.red, l: [1], m: {"a": 2}, r: Item{sku: "a"}, o: null, lr: [], mr: {}) }
  event all(s: string, i: int, f: float, b: bool, t: timestamp, c: Color, l: list<int>, m: map<string, int>, r: Item, o: Item?, lr: list<Item>, mr: map<string, list<Color?>>) {
    set n = n + 1
  }
}
"#;

    /// The fast decoder agrees with the slow one wherever it answers, and
    /// never accepts what the slow one refuses.
    #[test]
    fn fast_decoding_agrees_with_the_declared_types() {
        let domain = Domain::compile(&[Source::new("k.model", MODEL)]).unwrap();
        let m = domain.model("Kinds").unwrap();
        let h = &m.events[m.event_index("all").unwrap()];
        let good = r#"{"s":"x\u00e9\n","i":-3,"f":2,"b":false,"t":"2026-01-02T03:04:05.5Z","c":"green","l":[1,2],"m":{"a":1,"a":2,"b":3},"r":{"sku":"k","note":null},"o":{"sku":"z","qty":4,"note":"n"},"lr":[{"sku":"q"}],"mr":{"x":["red",null]}}"#;
        let mut cases = vec![good.to_string()];
        for (from, to) in [
            (r#""i":-3"#, r#""i":1.0"#),
            (r#""i":-3"#, r#""i":9223372036854775808"#),
            (r#""i":-3"#, r#""i":9223372036854775807"#),
            (r#""f":2"#, r#""f":1e400"#),
            (r#""f":2"#, r#""f":-0.0"#),
            (r#""c":"green""#, r#""c":"blue""#),
            (r#""c":"green""#, r#""c":null"#),
            (r#""t":"2026-01-02T03:04:05.5Z""#, r#""t":"yesterday""#),
            (r#""r":{"sku":"k","note":null}"#, r#""r":{"note":null}"#),
            (
                r#""r":{"sku":"k","note":null}"#,
                r#""r":{"sku":"k","extra":1}"#,
            ),
            (r#""o":{"sku":"z","qty":4,"note":"n"}"#, r#""o":null"#),
            (r#""l":[1,2]"#, r#""l":[1,"2"]"#),
            (r#""mr":{"x":["red",null]}"#, r#""mr":{"x":"red"}"#),
            (r#""s":"x\u00e9\n","#, ""),
            (r#""b":false"#, r#""b":false,"zz":1"#),
        ] {
            assert!(good.contains(from), "{from}");
            cases.push(good.replacen(from, to, 1));
        }
        cases.push("[]".into());
        cases.push(format!("{good} x"));
        for text in &cases {
            let fast = crate::types::text::fields(&m.types, &h.shape, &h.params, text);
            let mut path = String::new();
            let slow = slow_decode(m, h, text, &mut path);
            match (&fast, &slow) {
                (Some(f), Ok(s)) => assert_eq!(f.to_json_string(), s.to_json_string(), "{text}"),
                (Some(_), Err(e)) => panic!("fast accepted what slow refused ({e}): {text}"),
                (None, Ok(_)) => panic!("fast refused good data: {text}"),
                (None, Err(_)) => {}
            }
        }
        assert!(crate::types::text::fields(&m.types, &h.shape, &h.params, good).is_some());
    }
}
