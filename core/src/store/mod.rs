//! Where events live. A [`Store`] keeps streams of events with optimistic
//! concurrency, snapshots and the results of commands (for idempotent
//! retries). It knows nothing of models: events are JSON text, typed only by
//! the engine above it.
//!
//! Three stores: [`memory::MemoryStore`] (tests, throwaway work),
//! [`sqlite::SqliteStore`], the embedded default, and
//! [`postgres::PostgresStore`], for many processes on many machines.
//! [`testkit`] (feature `testkit`) is the suite every store must pass.

pub mod memory;
mod notify;
pub mod postgres;
pub(crate) mod readers;
pub(crate) mod readside;
pub mod registry;
mod sql;
pub mod sqlite;
#[cfg(feature = "testkit")]
pub mod testkit;

use std::time::Duration;

use crate::error::{Error, Result, StoreErrorKind};

/// An event to append; its stream and version come from its [`Append`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// A UUIDv7.
    pub id: String,
    pub event_type: String,
    /// The version of the event's shape (MODEL-LANGUAGE.md §8, §12), always
    /// at least 1: what an upcast starts from when it reads the event back.
    pub schema: u32,
    /// Canonical JSON text of the event's data.
    pub data: String,
    /// JSON text of an object.
    pub metadata: String,
}

/// The events of one command for one stream, appended after
/// `expected_version`.
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
    /// The version of the event's shape when it was written (see
    /// [`NewEvent::schema`]).
    pub schema: u32,
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

/// Which events [`Store::read_all`] returns: those of any of `models` and
/// of any of `types`; an empty list does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFilter {
    pub models: Vec<String>,
    pub types: Vec<String>,
}

impl ReadFilter {
    /// Every event.
    pub fn all() -> ReadFilter {
        ReadFilter::default()
    }

    /// Does an event of this model and type pass?
    pub fn passes(&self, model: &str, event_type: &str) -> bool {
        (self.models.is_empty() || self.models.iter().any(|m| m == model))
            && (self.types.is_empty() || self.types.iter().any(|t| t == event_type))
    }
}

/// Versions `first..=last` of a stream were appended by a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRecord {
    pub first_version: u64,
    pub last_version: u64,
}

/// Visits `(version, type, schema, data)` of stored events, in version
/// order; `schema` is the version of the event's shape (see
/// [`NewEvent::schema`]).
pub type Visit<'a> = dyn FnMut(u64, &str, u32, &str) -> Result<()> + 'a;

/// A stream that a group of commands is about to load: see
/// [`WriteTx::read_ahead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ahead<'a> {
    pub stream: &'a str,
    /// For a stream the engine does not hold, the fingerprint of the
    /// snapshots it looks for: its snapshot and the events after it are
    /// read too.
    pub cold: Option<&'a str>,
}

/// The work done inside one write transaction: see [`Store::write`].
pub type WriteFn<'a> = dyn FnMut(&mut dyn WriteTx) -> Result<()> + 'a;

/// What the engine can read and do while it holds a store's write lock.
///
/// Reads see every committed event of every writer, plus what this
/// transaction wrote: nobody else can append until it ends. That is what
/// lets the engine decide inside the write: the version it reads is the
/// version it writes over, so a command without `expected_version` never
/// loses a race.
pub trait WriteTx {
    /// The stream's current version (0: no events), as its events say.
    fn version(&mut self, stream: &str) -> Result<u64>;

    /// Like [`Store::fold`], inside the transaction.
    fn fold(&mut self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()>;

    /// Whether [`WriteTx::read_ahead`] saves anything here: the engine
    /// names the streams only to a store that says so.
    fn reads_ahead(&self) -> bool {
        false
    }

    /// Reads at once what loading each of `streams` asks next: its
    /// version and, for a cold one, its snapshot and the events after it.
    /// A store whose every read is a round trip to a server answers those
    /// calls from what it read, for each stream until this transaction
    /// appends to it; one whose reads are cheap ignores it. A hint: a call
    /// it did not read ahead for reads the store.
    fn read_ahead(&mut self, streams: &[Ahead<'_>]) -> Result<()> {
        let _ = streams;
        Ok(())
    }

    /// Like [`Store::read_stream`], inside the transaction.
    fn read_stream(
        &mut self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>>;

    /// Like [`Store::command`], inside the transaction.
    fn command(&mut self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>>;

    /// Like [`Store::snapshot`], inside the transaction.
    fn snapshot(&mut self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>>;

    /// Appends each command's events at `expected_version + 1`, which the
    /// caller read with [`WriteTx::version`] in this transaction (appends to
    /// one stream follow each other), and records their command ids.
    /// Returns the global position of the first event of each append (0 for
    /// one without events). A version already taken means the store was
    /// changed behind the write lock: a `store_error`, never an overwrite.
    fn append(&mut self, appends: &[Append]) -> Result<Vec<u64>>;

    /// Marks a point that [`WriteTx::rollback_to_savepoint`] returns to, so
    /// that one command of a group can fail without undoing the others. One
    /// level: a new savepoint replaces the last.
    fn savepoint(&mut self) -> Result<()>;

    /// Keeps what was written since the savepoint.
    fn release_savepoint(&mut self) -> Result<()>;

    /// Undoes what was written since the savepoint.
    fn rollback_to_savepoint(&mut self) -> Result<()>;

    /// The projections' tables and bookkeeping, inside this transaction:
    /// inline projections write their rows here, so that the rows commit
    /// with the events or not at all. Savepoints cover them too.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn read_side(&mut self) -> &mut dyn readside::ReadSideTx;

    // ---- The model registry (issue 14; `registry.rs`) ----

    /// Goes up with every activation: a writer that saw this generation
    /// knows the active versions have not changed since.
    fn registry_generation(&mut self) -> Result<u64>;

    /// The active version of each model.
    fn active_versions(&mut self) -> Result<Vec<ModelVersion>>;

    /// Makes `revision` (registered) the active version of `model`, stamped
    /// `at`, and moves the generation on. False, changing nothing, when the
    /// version is not registered.
    fn activate(&mut self, model: &str, revision: &str, at: &str) -> Result<bool>;
}

/// The work done inside one read-side transaction: see [`Store::read_side`].
#[allow(private_interfaces)]
pub type ReadSideFn<'a> = dyn FnMut(&mut dyn readside::ReadSideTx) -> Result<()> + 'a;

/// A durable, ordered home for streams of events.
///
/// Implementations must:
/// - run [`Store::write`] under one write lock that spans threads and
///   processes, and commit all of it or none;
/// - keep each stream's versions contiguous from 1;
/// - give every event a global position that is unique, increasing in
///   commit order, and never reused, even after the event is gone;
/// - never let a reader skip a committed event: once a reader sees position
///   `p + k`, every committed event before it is visible too, so a reader
///   that goes on from the last position it saw ([`Store::read_all`] from
///   `last + 1`) sees every event exactly once. Memory and SQLite hold one
///   writer at a time and make its positions visible at once, when it
///   commits, so this follows; PostgreSQL takes positions under its write
///   lock, so they commit in order too (see [`postgres`]);
/// - wake [`Store::wait`] when a write of this process commits.
///
/// [`testkit`] (feature `testkit`) checks all of this.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Runs `work` in one write transaction: the store's write lock is
    /// taken first (SQLite `BEGIN IMMEDIATE`), so everything `work` reads
    /// stays true until the commit. `Ok` from `work` commits (one fsync for
    /// everything it appended); an error rolls all of it back and is
    /// returned.
    fn write(&self, work: &mut WriteFn<'_>) -> Result<()>;

    /// The current version of a stream (0: no events).
    fn version(&self, stream: &str) -> Result<u64>;

    /// Feeds the events of a stream after `after_version` to `visit`, in
    /// order. The fast path of loading state: no allocation per event.
    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()>;

    /// Events of a stream from `from_version` (inclusive), at most `limit`.
    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>>;

    /// Events of every stream that pass `filter`, from `from_position`
    /// (inclusive), in position order, at most `limit`. Page on with
    /// `from_position` one past the last position returned.
    fn read_all(
        &self,
        filter: &ReadFilter,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>>;

    /// The position of the last committed event (0: none).
    fn head(&self) -> Result<u64>;

    /// Returns as soon as an event past `after_position` is committed, with
    /// the head, or at `timeout` with the head as it is then (which may
    /// still be `after_position`). Commits of this process wake it at once;
    /// those of other processes (SQLite) are seen at the next call, so a
    /// reader across processes polls with a short timeout. PostgreSQL wakes
    /// on LISTEN/NOTIFY, across processes. Closing the store wakes it with a `closed`
    /// error.
    fn wait(&self, after_position: u64, timeout: Duration) -> Result<u64>;

    /// Streams with their versions, sorted by name; only those of `model`
    /// when given.
    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>>;

    /// The versions a command with this id appended to the stream.
    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>>;

    /// The latest snapshot of a stream made by the model of this
    /// fingerprint, if any. Each model version keeps its own, so a
    /// migration builds the new one's while the old one's serve.
    fn snapshot(&self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>>;

    /// Keeps a snapshot, unless the stored one of the same fingerprint is
    /// newer (and still valid).
    fn save_snapshot(&self, snapshot: &Snapshot) -> Result<()>;

    /// Keeps each of `snapshots` as [`Store::save_snapshot`] does, in one
    /// transaction where the store has them: what a migration's build uses,
    /// so that thousands of snapshots do not each wait for the write lock
    /// while writers go on.
    fn save_snapshots(&self, snapshots: &[Snapshot]) -> Result<()> {
        snapshots.iter().try_for_each(|s| self.save_snapshot(s))
    }

    /// Removes every snapshot made under `fingerprint` (a model version no
    /// longer active); returns how many.
    fn delete_snapshots(&self, fingerprint: &str) -> Result<u64>;

    /// Releases the store; later calls fail with a `store_error`.
    fn close(&self) -> Result<()>;

    /// Whether a call can wait on I/O: a disk or a server. The memory
    /// store's calls only compute (and may wait briefly for its lock).
    fn does_io(&self) -> bool {
        true
    }

    /// Runs `work` in one transaction over the projections' tables and
    /// bookkeeping: with `write`, under the store's write lock (an async
    /// batch, a step of a rebuild, its swap), committed when `work` returns
    /// `Ok`; without, a consistent read that writes nothing.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn read_side(&self, write: bool, work: &mut ReadSideFn<'_>) -> Result<()>;

    // ---- Subscriptions, parking and leases (issue 13; `readers.rs`) ----

    /// Takes or renews the lease `name` for `owner` until `ttl` from now.
    /// True when `owner` holds it now: it was free, expired, already
    /// `owner`'s, or held by a process of this host that is gone
    /// ([`owner_alive`]), so a crashed holder never blocks the next one for
    /// a whole `ttl`. False while another live owner holds it.
    fn take_lease(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool>;

    /// Gives the lease up, if `owner` holds it; else does nothing.
    fn release_lease(&self, name: &str, owner: &str) -> Result<()>;

    /// The lease `name` as stored (it may have expired), if any.
    fn lease(&self, name: &str) -> Result<Option<Lease>>;

    /// Keeps `event` in `eventfold_parked` under `name` with `reason`,
    /// stamped now. Parking a position twice keeps the first row.
    fn park(&self, name: &str, event: &RawEvent, reason: &str) -> Result<()>;

    /// The events parked under `name`, oldest position first.
    fn parked(&self, name: &str) -> Result<Vec<Parked>>;

    /// How many events are parked under `name`.
    fn parked_count(&self, name: &str) -> Result<u64>;

    /// A subscription's row, if it exists.
    fn subscription(&self, name: &str) -> Result<Option<SubscriptionRow>>;

    /// Creates the row, or replaces the filters of an existing one. An
    /// existing checkpoint only moves forward (to `row.checkpoint` when that
    /// is higher), and `created_at` stays the first one.
    fn put_subscription(&self, row: &SubscriptionRow) -> Result<()>;

    /// Every subscription, by name.
    fn subscriptions(&self) -> Result<Vec<SubscriptionRow>>;

    /// Durably moves the checkpoint of subscription `name` to `position`,
    /// never back (a lower position does nothing). A name without a row gets
    /// one, without filters.
    fn ack(&self, name: &str, position: u64) -> Result<()>;

    /// Makes every [`Store::wait`] of this process in progress return now,
    /// with the head as it is (perhaps still its `after_position`): what a
    /// subscription's `close` uses to end a blocked poll. A waiter that
    /// wants to go on simply waits again.
    fn wake(&self);

    // ---- The model registry (issue 14; `registry.rs`) ----

    /// Records `versions`, compiled from `source`, in one transaction:
    /// versions already registered are left as they are, and `activate`
    /// says which become active (stamped `at`). Returns the generation
    /// after it.
    fn register(
        &self,
        source: &SourceFiles,
        versions: &[NewVersion],
        activate: Activate,
        at: &str,
    ) -> Result<u64>;

    /// Every registered version, by model, oldest first.
    fn model_versions(&self) -> Result<Vec<ModelVersion>>;

    /// The files of a registered source (JSON `[{"name", "text"}]`).
    fn model_source(&self, hash: &str) -> Result<Option<String>>;

    /// How many events of each (model, type, schema) are stored.
    fn stored_shapes(&self) -> Result<Vec<StoredShape>>;
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

/// Opens a store from its URL: `memory:`,
/// `sqlite:PATH[?synchronous=full|normal&busy_timeout=MS]` or
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME&pool_size=N&...]`
/// (see [`postgres::url`]).
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    open_url(url, true)
}

/// Like [`open`], for a caller that only reads: a `sqlite:` URL whose file
/// does not exist is a `store_error` of kind `unavailable` naming the file,
/// and nothing is created (not the file, nor its `-wal` and `-shm`). Other
/// URLs open as with [`open`].
pub fn open_existing(url: &str) -> Result<Box<dyn Store>> {
    open_url(url, false)
}

fn open_url(url: &str, create: bool) -> Result<Box<dyn Store>> {
    if url == "memory:" || url == "memory://" {
        return Ok(Box::new(memory::MemoryStore::new()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut options = sqlite::SqliteOptions::default();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let bad = || Error::StoreError {
                kind: StoreErrorKind::Unavailable,
                message: format!(
                    "unknown option `{pair}` in store URL `{url}`; the options are \
                     synchronous=full|normal and busy_timeout=MILLISECONDS"
                ),
            };
            match pair.split_once('=') {
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("full") => {
                    options.synchronous = Synchronous::Full
                }
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("normal") => {
                    options.synchronous = Synchronous::Normal
                }
                Some(("busy_timeout", v)) => {
                    options.busy_timeout = Duration::from_millis(v.parse().map_err(|_| bad())?)
                }
                _ => return Err(bad()),
            }
        }
        if path.is_empty() {
            return Err(Error::StoreError {
                kind: StoreErrorKind::Unavailable,
                message: format!("store URL `{url}` names no file; write sqlite:PATH"),
            });
        }
        if !create && !std::path::Path::new(path).exists() {
            return Err(Error::StoreError {
                kind: StoreErrorKind::Unavailable,
                message: format!(
                    "no store at {path}: the file does not exist (reading creates none; \
                     check the path, or write to the store first)"
                ),
            });
        }
        return Ok(Box::new(sqlite::SqliteStore::open_with(path, &options)?));
    }
    if is_postgres(url) {
        return Ok(Box::new(postgres::PostgresStore::open(url)?));
    }
    Err(Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: format!(
            "unknown store URL `{}`; use memory:, sqlite:PATH or \
             postgres://USER:PASSWORD@HOST:PORT/DATABASE?schema=NAME",
            url.chars().take(200).collect::<String>()
        ),
    })
}

/// Is `url` a PostgreSQL store's (`postgres://` or `postgresql://`)?
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A store URL as it may be printed: a PostgreSQL URL's password hidden
/// (`postgres://user:***@host/db`), any other URL as it is.
pub fn shown_url(url: &str) -> String {
    if is_postgres(url) {
        postgres::url::hide_password(url)
    } else {
        url.to_string()
    }
}

/// The SQL type of each column of `domain`'s table `table` in the store at
/// `url`, in declared order (MODEL-LANGUAGE.md §13: SQLite's, which the
/// memory store mirrors, or PostgreSQL's): what `eventfold tables` shows.
/// `None` when the domain has no such table.
pub fn column_sql_types(
    url: &str,
    domain: &crate::Domain,
    table: &str,
) -> Option<Vec<&'static str>> {
    let t = domain
        .read_side()
        .tables
        .iter()
        .find(|t| &*t.name == table)?;
    let postgres = is_postgres(url);
    Some(
        t.columns
            .iter()
            .map(|c| {
                if postgres {
                    postgres::tables::sql_type(&c.ty)
                } else {
                    sqlite::tables::sql_type(&c.ty)
                }
            })
            .collect(),
    )
}

pub(crate) fn closed() -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Closed,
        message: "the engine is closed: open a new one to go on".into(),
    }
}

// ---- Subscriptions, parking and leases (issue 13) ----

pub use readers::{lease_owner, owner_alive, Lease, Parked, SubscriptionRow};

// ---- The model registry (issue 14) ----

pub use registry::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};
