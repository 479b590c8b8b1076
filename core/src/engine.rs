//! The engine: a [`Domain`] over a [`Store`]. It loads
//! state (cache, snapshots, replay), runs commands, appends their events
//! atomically with optimistic concurrency, and reads them back.
//!
//! Every binding calls the `*_json` methods: JSON text in, JSON text out,
//! errors as [`Error`] (`{code, message, ...}` through `Error::to_json`).
//!
//! The choices, and why:
//! - **Correctness rests on the store**, not on the engine's memory: every
//!   append names the version its state was at, and the store refuses it
//!   when the stream moved (in this process or another). The cache and the
//!   locks only make the common case fast.
//! - **In place**: a stream's state is taken out of the LRU cache under the
//!   stream's lock, so the command changes a value held alone (no copy of
//!   the persistent maps), and goes back only once the store acknowledged
//!   the events. Any failure drops it; it is reloaded when next needed.
//! - **Lost races** (another process wrote): without `expected_version`
//!   the command runs again on fresh state, up to `max_attempts`, with a
//!   short random pause; with it, the conflict is reported at once.
//! - **Idempotency**: a caller's command id is recorded with the versions
//!   its events took, in the append's transaction; a repeat reads those
//!   events back, so it returns the first result byte for byte.
//! - **Snapshots** every `snapshot_every` events, written in the append's
//!   transaction, with the model's [`fingerprint`] and a checksum. Anything
//!   doubtful about one (another model, a damaged text, a version past the
//!   stream's end, a table that cannot be read) means a replay from the
//!   first event: slower, never wrong.
//! - **Loading** decodes stored JSON straight into typed values (module
//!   `fast`), with no intermediate `serde_json::Value` per event.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;
use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::store::{self, Append, CommandRecord, Conflict, NewEvent, RawEvent, Snapshot, Store};
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
///
/// How a command runs (see [`Engine::execute`]): the stream's lock is taken
/// (one of a fixed set of striped locks, so memory stays bounded), its state
/// is taken *out* of the LRU cache so that it is held alone and changes in
/// place, the command is decided on it, and its events are appended with the
/// version the state was at. Only when the store acknowledges the append is
/// the state put back; on any failure it is dropped and later reloaded, so
/// the cache never holds a state the store does not.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Shared>,
}

struct Shared {
    domain: Domain,
    store: Arc<dyn Store>,
    options: EngineOptions,
    /// Hot states by stream; `None` when `cache_capacity` is 0.
    cache: Option<Mutex<LruCache<String, Entry>>>,
    locks: Box<[Mutex<()>]>,
    /// Fingerprint of each model, by name.
    fingerprints: HashMap<String, String>,
    closed: AtomicBool,
}

/// A state and the version of the stream it reflects.
struct Entry {
    state: Value,
    version: u64,
}

/// Enough stripes that unrelated streams rarely share one.
const LOCK_STRIPES: usize = 1024;

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

/// Checksum of a snapshot: a damaged state text (a torn page, a hand edit)
/// fails it and the snapshot is ignored, even when it still decodes.
fn checksum(stream: &str, version: u64, fingerprint: &str, state: &str) -> String {
    let mut h = Sha256::new();
    h.update(stream.as_bytes());
    h.update([0]);
    h.update(version.to_le_bytes());
    h.update(fingerprint.as_bytes());
    h.update([0]);
    h.update(state.as_bytes());
    hex(&h.finalize())
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
            fingerprints.insert(m.to_string(), fingerprint(&domain, m)?);
        }
        let cache = NonZeroUsize::new(options.cache_capacity).map(|n| Mutex::new(LruCache::new(n)));

        Ok(Engine {
            inner: Arc::new(Shared {
                domain,
                store,
                options,
                cache,
                locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
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
        let request = ExecuteRequest {
            model: model.to_string(),
            id: id.to_string(),
            command: command.clone(),
            options: options.clone(),
        };
        let mut out = self.run(std::slice::from_ref(&request), false)?;
        Ok(out.pop().expect("one result per request"))
    }

    /// Many commands in one transaction: all of them are appended, or none.
    /// A command sees the state its predecessors in the batch left; a
    /// rejection of any fails the whole batch (its message names which).
    pub fn execute_many(&self, requests: &[ExecuteRequest]) -> Result<Vec<Executed>> {
        if requests.is_empty() {
            self.check_open()?;
            return Ok(Vec::new());
        }
        self.run(requests, true)
    }

    /// The current state of a stream and its version (0 and the initial
    /// state for a stream without events).
    pub fn load(&self, model: &str, id: &str) -> Result<Loaded> {
        self.check_open()?;
        let stream = self.stream_for(model, id)?;
        let _guard = self.lock(&stream);
        let entry = self.current_entry(model, &stream)?;
        let loaded = Loaded {
            state: entry.state.clone(),
            version: entry.version,
        };
        self.put(&stream, entry);
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

    /// After `close`, every call is a `store_error` saying the engine is
    /// closed. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
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
            let _guard = self.lock(stream);
            let start = Entry {
                state: self.inner.domain.initial_state(m)?,
                version: 0,
            };
            let base = done;
            let entry = self.fold_onto(m, stream, start, &mut |v| {
                if v % 4096 == 0 {
                    progress(base + v, total);
                }
            })?;
            done = base + entry.version;
            progress(done, total);
            self.save_snapshot(m, stream, &entry)?;
            self.put(stream, entry);
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
            Some(text) => execute_options(&self.inner.domain.parse_json(text)?, "options")?,
            None => ExecuteOptions::default(),
        };
        Ok(to_json(&self.execute(model, id, &command, &options)?))
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
        Ok(to_json(&self.execute_many(&requests)?))
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
        let o = self.read_options(options, &["from_version", "limit"])?;
        let raw = self.inner.store.read_stream(
            stream,
            o.get("from_version").copied().unwrap_or(1),
            o.get("limit").map_or(usize::MAX, |&l| l as usize),
        )?;
        raw_events_json(&raw)
    }

    /// `options`: `{"from_position", "limit"}`.
    pub fn read_all_json(&self, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let o = self.read_options(options, &["from_position", "limit"])?;
        let raw = self.inner.store.read_all(
            o.get("from_position").copied().unwrap_or(1),
            o.get("limit").map_or(usize::MAX, |&l| l as usize),
        )?;
        raw_events_json(&raw)
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

    fn stripe(&self, stream: &str) -> usize {
        let mut h = std::hash::DefaultHasher::new();
        stream.hash(&mut h);
        (h.finish() % LOCK_STRIPES as u64) as usize
    }

    fn lock(&self, stream: &str) -> MutexGuard<'_, ()> {
        // A panic under the lock leaves no half-state behind (the state was
        // taken out of the cache), so a poisoned lock is safe to reuse.
        self.inner.locks[self.stripe(stream)]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a stream's state out of the cache, or loads it. It may be
    /// behind the store when another process wrote since.
    fn take(&self, model: &str, stream: &str) -> Result<Entry> {
        if let Some(cache) = &self.inner.cache {
            if let Some(e) = cache.lock().unwrap_or_else(|e| e.into_inner()).pop(stream) {
                return Ok(e);
            }
        }
        self.load_cold(model, stream)
    }

    /// A stream's state, caught up with the store.
    fn current_entry(&self, model: &str, stream: &str) -> Result<Entry> {
        let entry = self.take(model, stream)?;
        self.catch_up(model, stream, entry)
    }

    /// Folds the events another process appended since `entry` was made.
    fn catch_up(&self, model: &str, stream: &str, entry: Entry) -> Result<Entry> {
        let stored = self.inner.store.version(stream)?;
        match stored.cmp(&entry.version) {
            std::cmp::Ordering::Equal => Ok(entry),
            std::cmp::Ordering::Greater => self.fold_onto(model, stream, entry, &mut |_| {}),
            // The store went back (a file replaced under us): start over.
            std::cmp::Ordering::Less => self.load_cold(model, stream),
        }
    }

    fn put(&self, stream: &str, entry: Entry) {
        if let Some(cache) = &self.inner.cache {
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(stream.to_string(), entry);
        }
    }

    /// The latest usable snapshot plus the events after it. A snapshot of
    /// another model (fingerprint), a damaged one (checksum, decoding) or
    /// one past the stream's end is ignored: replay from the start.
    fn load_cold(&self, model: &str, stream: &str) -> Result<Entry> {
        let domain = &self.inner.domain;
        let mut start = None;
        // A snapshot that cannot be read, even for a damaged table, is no
        // snapshot: the events decide.
        if let Ok(Some(snap)) = self.inner.store.snapshot(stream) {
            start = self.usable_snapshot(model, &snap);
        }
        let from_snapshot = start.is_some();
        let entry = match start {
            Some(e) => e,
            None => Entry {
                state: domain.initial_state(model)?,
                version: 0,
            },
        };
        let snap_version = entry.version;
        let entry = self.fold_onto(model, stream, entry, &mut |_| {})?;
        if from_snapshot && entry.version == snap_version && snap_version > 0 {
            // Nothing after the snapshot: make sure it is not past the end.
            if self.inner.store.version(stream)? != snap_version {
                let initial = Entry {
                    state: domain.initial_state(model)?,
                    version: 0,
                };
                return self.fold_onto(model, stream, initial, &mut |_| {});
            }
        }
        let every = self.inner.options.snapshot_every;
        if every > 0 && entry.version - snap_version >= every {
            // Best effort: a snapshot saves time later, it is never needed.
            let _ = self.save_snapshot(model, stream, &entry);
        }
        Ok(entry)
    }

    fn usable_snapshot(&self, model: &str, snap: &Snapshot) -> Option<Entry> {
        let fp = self.inner.fingerprints.get(model)?;
        if &snap.fingerprint != fp
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
        })
    }

    fn save_snapshot(&self, model: &str, stream: &str, entry: &Entry) -> Result<()> {
        match self.snapshot_of(model, stream, entry) {
            Some(snap) => self.inner.store.save_snapshot(&snap),
            None => Ok(()),
        }
    }

    /// The snapshot of a state (`None` for a model not in the domain).
    fn snapshot_of(&self, model: &str, stream: &str, entry: &Entry) -> Option<Snapshot> {
        let fp = self.inner.fingerprints.get(model)?;
        let state = entry.state.to_json_string();
        Some(Snapshot {
            checksum: checksum(stream, entry.version, fp, &state),
            stream: stream.to_string(),
            version: entry.version,
            fingerprint: fp.clone(),
            state,
        })
    }

    /// Folds the stored events after `entry.version` onto it: decoding each
    /// event's data straight from its text against the event's declared
    /// params, with no envelope built per event.
    fn fold_onto(
        &self,
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
        } = entry;
        let mut path = String::new();
        // Streams repeat a few event types: remember the last one found.
        let mut last: Option<(String, usize)> = None;
        self.inner.store.fold(stream, version, &mut |v, t, d| {
            if v != version + 1 {
                return Err(Error::StoreError {
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
            tick(v);
            Ok(())
        })?;
        Ok(Entry { state, version })
    }

    /// What a command recorded for idempotency returned the first time.
    fn recorded(&self, stream: &str, rec: CommandRecord) -> Result<Executed> {
        let n = (rec.last_version + 1).saturating_sub(rec.first_version) as usize;
        let raw = self.inner.store.read_stream(stream, rec.first_version, n)?;
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
            message: format!(
                "event {} (stream {}, version {}) has damaged {what}",
                e.position, e.stream, e.version
            ),
        };
        let json: Json = serde_json::from_str(&e.data).map_err(|_| damaged("data"))?;
        let metadata = match serde_json::from_str(&e.metadata) {
            Ok(Json::Object(m)) => m,
            _ => return Err(damaged("metadata")),
        };
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

    fn read_options(&self, options: Option<&str>, keys: &[&str]) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        let Some(text) = options else { return Ok(out) };
        let json = self.inner.domain.parse_json(text)?;
        let o = match json {
            Json::Null => return Ok(out),
            Json::Object(o) => o,
            _ => return Err(invalid_option("options", "options are an object")),
        };
        for (k, v) in o {
            if !keys.contains(&k.as_str()) {
                return Err(invalid_option(
                    &format!("options.{k}"),
                    &format!("unknown option `{k}`; the options are {}", keys.join(", ")),
                ));
            }
            match v {
                Json::Null => {}
                v => {
                    let n = v.as_u64().ok_or_else(|| {
                        invalid_option(&format!("options.{k}"), "expected a non-negative int")
                    })?;
                    out.insert(k, n);
                }
            }
        }
        Ok(out)
    }

    /// Executes requests: one transaction for all of them. `many` only
    /// changes how errors name the command that failed.
    fn run(&self, requests: &[ExecuteRequest], many: bool) -> Result<Vec<Executed>> {
        self.check_open()?;
        let at = |e: Error, i: usize| if many { at_request(e, i) } else { e };
        let mut prepared = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            prepared.push(self.prepare(r).map_err(|e| at(e, i))?);
        }
        // Lock every stream of the batch, in one order, so that two batches
        // never wait on each other.
        let mut stripes: Vec<usize> = prepared.iter().map(|p| self.stripe(&p.stream)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let _guards: Vec<MutexGuard<'_, ()>> = stripes
            .iter()
            .map(|&i| {
                self.inner.locks[i]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
            })
            .collect();
        let strict = prepared
            .iter()
            .any(|p| p.options.expected_version.is_some());
        let max_attempts = self.inner.options.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&prepared, &at)? {
                Ok(results) => return Ok(results),
                Err(conflict) => {
                    if strict || attempt >= max_attempts {
                        // An idempotent retry that lost to its own first
                        // run (another process) gets that run's result.
                        if !many {
                            let p = &prepared[0];
                            if let Some(cid) = &p.command_id {
                                if let Some(rec) = self.inner.store.command(&p.stream, cid)? {
                                    return Ok(vec![self.recorded(&p.stream, rec)?]);
                                }
                            }
                        }
                        let e = Error::VersionConflict {
                            expected: conflict.expected,
                            actual: conflict.actual,
                        };
                        return Err(if many { at(e, conflict.index) } else { e });
                    }
                    // Lost to another process: step aside a random moment,
                    // longer each time, so that racers stop colliding.
                    let jitter = uuid::Uuid::now_v7().as_u128() as u64 % 250;
                    std::thread::sleep(std::time::Duration::from_micros(
                        jitter * u64::from(attempt),
                    ));
                }
            }
        }
    }

    fn prepare<'r>(&self, r: &'r ExecuteRequest) -> Result<Prepared<'r>> {
        let domain = &self.inner.domain;
        let stream = self.stream_for(&r.model, &r.id)?;
        let mut command = domain.command(&r.model, &r.command)?;
        let command_id = r.options.command_id.clone().or_else(|| command.id.clone());
        // The caller's metadata, as stored: the command's own, then the
        // options' over it. The model sees the string values as `meta`.
        let mut metadata = serde_json::Map::new();
        if let Some(Json::Object(m)) = r.command.get("metadata") {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(m) = &r.options.metadata {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Value::Map(meta) = &mut command.metadata {
                for (k, v) in m {
                    if let Json::String(s) = v {
                        meta.insert(k.as_str().into(), Value::str(s));
                    }
                }
            }
        }
        Ok(Prepared {
            model: &r.model,
            stream,
            command,
            command_id,
            options: &r.options,
            metadata,
        })
    }

    /// One try at a batch. `Ok(Err(conflict))`: the store moved under us;
    /// every state touched was dropped, so a retry starts from the store.
    fn attempt(
        &self,
        prepared: &[Prepared<'_>],
        at: &dyn Fn(Error, usize) -> Error,
    ) -> Result<std::result::Result<Vec<Executed>, Conflict>> {
        let domain = &self.inner.domain;
        let store = &self.inner.store;
        // States taken out of the cache for this batch, by stream.
        let mut work: HashMap<&str, Entry> = HashMap::new();
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(prepared.len());
        let mut appends: Vec<Append> = Vec::new();
        let mut in_batch: HashMap<(&str, &str), usize> = HashMap::new();
        // Streams whose state this batch changed.
        let mut dirty: HashSet<&str> = HashSet::new();
        let recorded_at = crate::value::format_timestamp(crate::value::Timestamp::now());
        let result = (|| -> Result<Option<Conflict>> {
            for (i, p) in prepared.iter().enumerate() {
                if let Some(cid) = &p.command_id {
                    if let Some(&j) = in_batch.get(&(p.stream.as_str(), cid.as_str())) {
                        outcomes.push(Outcome::Same(j));
                        continue;
                    }
                    if let Some(rec) = store.command(&p.stream, cid)? {
                        outcomes.push(Outcome::Done(self.recorded(&p.stream, rec)?));
                        continue;
                    }
                }
                if !work.contains_key(p.stream.as_str()) {
                    let e = self.take(p.model, &p.stream)?;
                    work.insert(&p.stream, e);
                }
                let entry = work.get_mut(p.stream.as_str()).expect("just inserted");
                if let Some(expected) = p.options.expected_version {
                    if entry.version != expected {
                        // The cache may be behind another process.
                        let e = work.remove(p.stream.as_str()).expect("present");
                        let e = self.catch_up(p.model, &p.stream, e)?;
                        let actual = e.version;
                        work.insert(&p.stream, e);
                        if actual != expected {
                            return Ok(Some(Conflict {
                                index: i,
                                expected,
                                actual,
                            }));
                        }
                    }
                }
                let entry = work.get_mut(p.stream.as_str()).expect("present");
                let events = domain
                    .decide_in_place(p.model, &mut entry.state, &p.command, p.options.now)
                    .map_err(|e| at(e, i))?;
                if events.is_empty() {
                    outcomes.push(Outcome::Done(Executed {
                        stream: p.stream.clone(),
                        version: entry.version,
                        events: Vec::new(),
                    }));
                    continue;
                }
                let metadata = event_metadata(p, &recorded_at);
                let metadata_text = serde_json::to_string(&metadata).unwrap_or_default();
                let mut stored = Vec::with_capacity(events.len());
                let mut new = Vec::with_capacity(events.len());
                let count = events.len();
                // The events of a command share its metadata: the last one
                // takes it, the others a copy (most commands emit one).
                let mut metadata = Some(metadata);
                for (k, ev) in events.into_iter().enumerate() {
                    let id = new_id();
                    let event_type = ev.name.to_string();
                    new.push(NewEvent {
                        id: id.clone(),
                        event_type: event_type.clone(),
                        data: ev.data.to_json_string(),
                        metadata: metadata_text.clone(),
                    });
                    let metadata = if k + 1 == count {
                        metadata.take().unwrap_or_default()
                    } else {
                        metadata.clone().unwrap_or_default()
                    };
                    stored.push(StoredEvent {
                        id,
                        stream: p.stream.clone(),
                        version: entry.version + k as u64 + 1,
                        position: 0,
                        event_type,
                        data: ev.data,
                        metadata,
                    });
                }
                appends.push(Append {
                    stream: p.stream.clone(),
                    model: p.model.to_string(),
                    expected_version: entry.version,
                    events: new,
                    command_id: p.command_id.clone(),
                });
                entry.version += stored.len() as u64;
                dirty.insert(&p.stream);
                if let Some(cid) = &p.command_id {
                    in_batch.insert((p.stream.as_str(), cid.as_str()), i);
                }
                outcomes.push(Outcome::Appended {
                    append: appends.len() - 1,
                    executed: Executed {
                        stream: p.stream.clone(),
                        version: entry.version,
                        events: stored,
                    },
                });
            }
            if appends.is_empty() {
                return Ok(None);
            }
            // Snapshots of the streams that crossed a multiple of
            // `snapshot_every` go in the same transaction as their events:
            // one commit (one fsync under FULL), and never a snapshot of
            // events that were not kept.
            let mut snapshots = Vec::new();
            if let Some(every) = NonZeroU64::new(self.inner.options.snapshot_every) {
                let mut seen: HashSet<&str> = HashSet::new();
                for a in &appends {
                    if !seen.insert(a.stream.as_str()) {
                        continue;
                    }
                    let Some(entry) = work.get(a.stream.as_str()) else {
                        continue;
                    };
                    if a.expected_version / every != entry.version / every {
                        snapshots.extend(self.snapshot_of(&a.model, &a.stream, entry));
                    }
                }
            }
            match store.append(&appends, &snapshots)? {
                Ok(firsts) => {
                    for o in &mut outcomes {
                        if let Outcome::Appended { append, executed } = o {
                            for (k, e) in executed.events.iter_mut().enumerate() {
                                e.position = firsts[*append] + k as u64;
                            }
                        }
                    }
                    Ok(None)
                }
                Err(c) => {
                    // Name the request, not the append, that lost.
                    let index = outcomes
                        .iter()
                        .position(
                            |o| matches!(o, Outcome::Appended { append, .. } if *append == c.index),
                        )
                        .unwrap_or(0);
                    Ok(Some(Conflict { index, ..c }))
                }
            }
        })();
        match result {
            Ok(None) => {
                // Acknowledged: the states match the store; keep them.
                for p in prepared {
                    if let Some(entry) = work.remove(p.stream.as_str()) {
                        self.put(&p.stream, entry);
                    }
                }
                let mut results: Vec<Executed> = Vec::with_capacity(outcomes.len());
                for o in outcomes {
                    let r = match o {
                        Outcome::Done(e) | Outcome::Appended { executed: e, .. } => e,
                        Outcome::Same(j) => results[j].clone(),
                    };
                    results.push(r);
                }
                Ok(Ok(results))
            }
            // A state this batch changed holds changes the store refused:
            // drop it (it reloads from the store when next needed). One
            // left alone (a rejection leaves its state as it was) goes back.
            failed => {
                for (stream, entry) in work {
                    if !dirty.contains(stream) && !entry.state.is_null() {
                        self.put(stream, entry);
                    }
                }
                match failed {
                    Ok(Some(conflict)) => Ok(Err(conflict)),
                    Err(e) => Err(e),
                    Ok(None) => unreachable!("handled above"),
                }
            }
        }
    }
}

/// A request checked and ready to run.
struct Prepared<'r> {
    model: &'r str,
    stream: String,
    command: crate::Command,
    command_id: Option<String>,
    options: &'r ExecuteOptions,
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
fn event_metadata(p: &Prepared<'_>, recorded_at: &str) -> serde_json::Map<String, Json> {
    let mut out = serde_json::Map::with_capacity(4 + p.metadata.len());
    let caller = |k: &str| match p.metadata.get(k) {
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    };
    out.insert("recorded_at".into(), Json::String(recorded_at.to_string()));
    // A command without an id gets one, so that its events are tied
    // together; only the caller's ids are kept for idempotent retries.
    let command_id = p.command_id.clone().unwrap_or_else(new_id);
    out.insert("command_id".into(), Json::String(command_id.clone()));
    let correlation = p
        .options
        .correlation_id
        .clone()
        .or_else(|| caller("correlation_id"))
        .unwrap_or_else(|| command_id.clone());
    let causation = p
        .options
        .causation_id
        .clone()
        .or_else(|| caller("causation_id"))
        .unwrap_or(command_id);
    out.insert("correlation_id".into(), Json::String(correlation));
    out.insert("causation_id".into(), Json::String(causation));
    for (k, v) in &p.metadata {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
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

/// Parses `{"expected_version", "command_id", "metadata", "now",
/// "correlation_id", "causation_id"}`; faults at `{at}.KEY`.
fn execute_options(json: &Json, at: &str) -> Result<ExecuteOptions> {
    let mut out = ExecuteOptions::default();
    let o = match json {
        Json::Null => return Ok(out),
        Json::Object(o) => o,
        _ => return Err(invalid_option(at, "options are an object")),
    };
    let string = |k: &str, v: &Json| match v {
        Json::String(s) => Ok(Some(s.clone())),
        Json::Null => Ok(None),
        _ => Err(invalid_option(
            &format!("{at}.{k}"),
            &format!("`{k}` is a string"),
        )),
    };
    for (k, v) in o {
        match k.as_str() {
            "expected_version" => {
                out.expected_version = match v {
                    Json::Null => None,
                    v => Some(v.as_u64().ok_or_else(|| {
                        invalid_option(
                            &format!("{at}.expected_version"),
                            "`expected_version` is a non-negative int",
                        )
                    })?),
                }
            }
            "command_id" => out.command_id = string(k, v)?,
            "correlation_id" => out.correlation_id = string(k, v)?,
            "causation_id" => out.causation_id = string(k, v)?,
            "now" => {
                out.now = string(k, v)?
                    .map(|s| {
                        crate::value::parse_timestamp(&s)
                            .map_err(|m| invalid_option(&format!("{at}.now"), &m))
                    })
                    .transpose()?
            }
            "metadata" => {
                out.metadata = match v {
                    Json::Null => None,
                    Json::Object(m) => Some(m.clone()),
                    _ => {
                        return Err(invalid_option(
                            &format!("{at}.metadata"),
                            "`metadata` is an object",
                        ))
                    }
                }
            }
            _ => {
                return Err(invalid_option(
                    &format!("{at}.{k}"),
                    &format!(
                        "unknown option `{k}`; the options are expected_version, command_id, \
                         metadata, now, correlation_id, causation_id"
                    ),
                ))
            }
        }
    }
    Ok(out)
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
        Some(j) => execute_options(j, &format!("{at}.options"))?,
        None => ExecuteOptions::default(),
    };
    Ok(ExecuteRequest {
        model,
        id,
        command,
        options,
    })
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
