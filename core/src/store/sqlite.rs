//! The embedded default: one SQLite file, safe for many threads and many
//! processes at once.
//!
//! - WAL, so readers never wait for the writer and a crash never tears the
//!   file; `synchronous=FULL` by default, so a commit that returned is on
//!   disk (NORMAL on request).
//! - Every write is `BEGIN IMMEDIATE`: the write lock is taken before the
//!   stream's version is read, so the version checked is the version written
//!   over, in this process or any other. `UNIQUE(stream, version)` backs it.
//! - `busy_timeout` makes writers of other processes queue instead of failing.
//! - A thread of its own checkpoints the WAL, so that commits need not:
//!   every second, and when the WAL grew by [`WAL_PAGES`]; the writer's
//!   next commit finishes each, so that the WAL starts over under a steady
//!   load.
//! - The schema is created, versioned and migrated in [`schema`].
//! - One writer at a time, and a commit makes all its positions visible at
//!   once: a reader never sees a position before every earlier one.
//!   `AUTOINCREMENT` never gives a position twice.
//! - `wait` is woken by the commits of this process (a `Notifier`);
//!   other processes' commits are seen when it reads the head again.

mod readside;
// The model registry (issue 14).
mod registry;
mod schema;
pub(crate) mod tables;
// Subscriptions, parking and leases (issue 13).
mod subscriptions;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::notify::Notifier;
use super::{
    closed, Append, CommandRecord, NewEvent, RawEvent, ReadFilter, Snapshot, Store, Synchronous,
    Visit, WriteFn, WriteTx,
};
use super::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};
use super::{Lease, Parked, SubscriptionRow};
use crate::error::{Error, Result, StoreErrorKind};

/// Readers kept open for reuse; more may be opened under load.
const POOL: usize = 8;

/// How to open a SQLite store (the options of a `sqlite:` URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    pub synchronous: Synchronous,
    /// How long a writer waits for another (thread or process) before it
    /// fails with a `busy` store error.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            busy_timeout: BUSY_TIMEOUT,
        }
    }
}

#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    busy: Duration,
    notifier: Notifier,
    closed: AtomicBool,
    writer: Mutex<Option<Connection>>,
    readers: Mutex<Vec<Connection>>,
    checkpointer: Mutex<Option<Checkpointer>>,
}

/// A thread that checkpoints the WAL every [`CHECKPOINT_EVERY`], on its own
/// connection, `PASSIVE`ly: it never blocks a writer or a reader, and skips
/// a turn when another process is checkpointing.
///
/// That alone cannot keep the WAL short under a writer that never pauses:
/// the WAL starts over only once a checkpoint has copied all of it, and the
/// writer adds to it meanwhile. Under a steady run of batches it grew
/// without end (443 MB after 7 s, beside a 125 MB database). So once the
/// thread has copied the bulk, the writer's next commit checkpoints what
/// came in meanwhile, a few pages, while no other writer of this process
/// can commit: that copies everything, and the next write starts the WAL
/// over. A commit that grows the WAL by [`WAL_PAGES`] asks the thread for
/// its turn at once; should the thread not be done by another
/// [`WAL_PAGES`], the writer waits for its turn to end and copies the rest,
/// so the WAL stays within about twice that whatever the thread's pace. A
/// checkpoint of the whole WAL on the writer at every 4,096 pages made a
/// hot command on NORMAL 15-50% slower (`bench store`).
#[derive(Debug)]
struct Checkpointer {
    turns: SyncSender<Turn>,
    /// The thread has copied the bulk: the writer's next commit finishes.
    bulk_done: Arc<AtomicBool>,
    /// Held by whoever checkpoints in this process. SQLite refuses a second
    /// checkpoint at once (`SQLITE_BUSY`, no busy handler), so the writer
    /// that must copy the WAL itself waits here for the thread's turn to end.
    copying: Arc<Mutex<()>>,
    thread: std::thread::JoinHandle<()>,
}

/// What the checkpointer thread is told.
#[derive(Debug)]
enum Turn {
    /// The WAL grew by [`WAL_PAGES`]: checkpoint now.
    Now,
    Stop,
}

const CHECKPOINT_EVERY: Duration = Duration::from_millis(1000);

/// Pages the WAL grows by, after a commit, that call for a checkpoint at
/// once (64 MiB of 4 KiB pages; SQLite's own automatic checkpoint is at
/// 1,000 pages, on the committing writer).
const WAL_PAGES: i32 = 16384;

/// The page cache of the writer connection, in KiB (64 MiB).
const WRITER_CACHE_KIB: u32 = 64 * 1024;

impl Checkpointer {
    fn start(path: &std::path::Path, busy: Duration) -> Result<Checkpointer> {
        let conn = connect(path, busy, false)?;
        // One turn asked for is enough: a commit never waits to ask.
        let (turns, asked) = std::sync::mpsc::sync_channel::<Turn>(1);
        let bulk_done = Arc::new(AtomicBool::new(false));
        let done = bulk_done.clone();
        let copying = Arc::new(Mutex::new(()));
        let copy = copying.clone();
        let thread = std::thread::Builder::new()
            .name("eventfold-checkpoint".into())
            .spawn(move || {
                // Ends when told, or when the store is dropped (the senders go).
                while let Ok(Turn::Now) | Err(RecvTimeoutError::Timeout) =
                    asked.recv_timeout(CHECKPOINT_EVERY)
                {
                    let _held = copy.lock().unwrap_or_else(|e| e.into_inner());
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    done.store(true, Ordering::Release);
                }
            })
            .map_err(|e| Error::StoreError {
                kind: StoreErrorKind::Io,
                message: format!("cannot start the checkpoint thread: {e}"),
            })?;
        Ok(Checkpointer {
            turns,
            bulk_done,
            copying,
            thread,
        })
    }

    /// Has the writer's commits ask for turns and finish them (see the
    /// type's doc). After the pragmas: `wal_autocheckpoint` replaces any
    /// WAL hook.
    fn watch(&self, writer: &mut Connection) -> Result<()> {
        let (turns, bulk_done) = (self.turns.clone(), self.bulk_done.clone());
        let copying = self.copying.clone();
        // The WAL's length when the last turn was asked for.
        let mut asked = 0;
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                if pages < asked {
                    asked = 0; // it started over
                }
                // Best effort, each: a busy checkpoint (another process's)
                // leaves the WAL to a later commit.
                let mut checkpoint = || {
                    let _ = wal.checkpoint_v2(rusqlite::wal::CheckpointMode::PASSIVE);
                };
                if bulk_done.swap(false, Ordering::AcqRel) {
                    // A turn that started since will finish itself next.
                    if let Ok(_held) = copying.try_lock() {
                        checkpoint();
                    }
                } else if pages - asked >= WAL_PAGES {
                    // The turn asked for last is not done, another
                    // WAL_PAGES on (or the thread cannot take one): the
                    // writer waits for the thread's turn to end, then
                    // copies the rest.
                    if asked > 0 || turns.try_send(Turn::Now).is_err() {
                        let _held = copying.lock().unwrap_or_else(|e| e.into_inner());
                        checkpoint();
                    }
                    asked = pages;
                }
                Ok(())
            }))
            .map_err(|e| err("cannot watch the WAL", e))
    }

    fn stop(self) {
        let _ = self.turns.send(Turn::Stop);
        let _ = self.thread.join();
    }
}

fn err(context: &str, e: rusqlite::Error) -> Error {
    Error::StoreError {
        kind: kind_of(&e),
        message: format!("{context}: {e}"),
    }
}

/// What a SQLite failure means to a caller.
fn kind_of(e: &rusqlite::Error) -> StoreErrorKind {
    use rusqlite::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked => StoreErrorKind::Busy,
            C::DatabaseCorrupt | C::NotADatabase => StoreErrorKind::Corrupt,
            C::CannotOpen | C::PermissionDenied | C::ReadOnly | C::NotFound => {
                StoreErrorKind::Unavailable
            }
            _ => StoreErrorKind::Io,
        },
        // A value of the wrong type or a NULL where text belongs: a row
        // that eventfold did not write.
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Io,
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl SqliteStore {
    /// Opens (creating or migrating if needed) the file at `path`.
    pub fn open(path: &str, synchronous: Synchronous) -> Result<SqliteStore> {
        SqliteStore::open_with(
            path,
            &SqliteOptions {
                synchronous,
                ..SqliteOptions::default()
            },
        )
    }

    /// Like [`SqliteStore::open`], with every option.
    pub fn open_with(path: &str, options: &SqliteOptions) -> Result<SqliteStore> {
        let path = PathBuf::from(path);
        let busy = options.busy_timeout;
        let mut writer = connect(&path, busy, true)?;
        let mode = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        // Checkpoints (copying the WAL back into the file, with its fsync)
        // are the checkpointer thread's job, not the committing writer's:
        // a commit then costs its own pages only. Should that thread stop,
        // SQLite still checkpoints when the last connection closes, and a
        // reader never needs a checkpoint to see the data.
        // The writer's page cache holds a projection's catch-up batch (ten
        // thousand events, a page or so each) until its commit writes each
        // page once; SQLite's default of 2 MiB spilled it to the WAL
        // mid-batch, some pages more than once. Pages are taken as needed.
        writer
            .execute_batch(&format!(
                "PRAGMA synchronous = {mode}; PRAGMA wal_autocheckpoint = 0; \
                 PRAGMA cache_size = -{WRITER_CACHE_KIB};"
            ))
            .map_err(|e| err("cannot set up the connection", e))?;
        schema::migrate(&writer, &path, busy)?;
        // Room for an INSERT of each size of chunk, besides the others
        // (the projections' statements among them).
        writer.set_prepared_statement_cache_capacity(ROWS + 256);
        let checkpointer = Checkpointer::start(&path, busy)?;
        checkpointer.watch(&mut writer)?;
        Ok(SqliteStore {
            path,
            busy,
            notifier: Notifier::default(),
            closed: AtomicBool::new(false),
            writer: Mutex::new(Some(writer)),
            readers: Mutex::new(Vec::new()),
            checkpointer: Mutex::new(Some(checkpointer)),
        })
    }

    fn write_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(closed()),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            // Plain connections: memory-mapping the file or a larger page
            // cache measured slower (each write by another connection
            // resets a reader's cache, and a growing file is mapped anew).
            // Never creates the file: one that vanished under an open
            // store (a test's folder removed) is an error, not a new store.
            None => connect(&self.path, self.busy, false)?,
        };
        let out = f(&conn);
        if !self.closed.load(Ordering::Acquire) {
            let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < POOL {
                pool.push(conn);
            }
        }
        out
    }
}

/// How long a writer waits for another (thread or process) before it gives
/// up with a `busy` store error, unless the URL says otherwise.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `f` again while SQLite says the database is busy or locked, up to
/// `timeout`. Switching a new file to WAL and creating the schema
/// can meet a lock that SQLite's busy handler does not wait for (several
/// processes opening a fresh file at once).
fn retry_busy<T>(
    timeout: Duration,
    mut f: impl FnMut() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < timeout =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn connect(path: &std::path::Path, busy: Duration, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| err(&format!("cannot open {}", path.display()), e))?;
    conn.busy_timeout(busy)
        .map_err(|e| err("cannot set busy_timeout", e))?;
    // The event statements, the projections' bookkeeping and a few per
    // table and verb: more than rusqlite's default 16, which would make
    // every write prepare its statements again.
    conn.set_prepared_statement_cache_capacity(256);
    // A stable query plan: otherwise this SQLite (built with STAT4) marks
    // each cached statement expired when its bindings are cleared, and
    // prepares it again on nearly every use.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(|e| err("cannot set the query planner", e))?;
    let mode: String = retry_busy(busy, || {
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
    })
    .map_err(|e| err(&format!("cannot use WAL on {}", path.display()), e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::StoreError {
            kind: StoreErrorKind::Unavailable,
            message: format!(
                "{} cannot use WAL (journal_mode is {mode}); eventfold needs it",
                path.display()
            ),
        });
    }
    Ok(conn)
}

impl Store for SqliteStore {
    fn version(&self, stream: &str) -> Result<u64> {
        self.read(|c| version(c, stream))
    }

    fn write(&self, work: &mut WriteFn<'_>) -> Result<()> {
        let appended = self.write_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| err("cannot begin a write", e))?;
            let before = tx.last_insert_rowid();
            let mut w = SqliteTx {
                conn: &tx,
                side: readside::SqliteReadSide { conn: &tx },
                streams: HashMap::new(),
                savepoint: None,
            };
            work(&mut w)?;
            w.flush_streams()?;
            let appended = tx.last_insert_rowid() != before;
            // An error above drops `tx`: rolled back, nothing written.
            tx.commit().map_err(|e| err("cannot commit", e))?;
            Ok(appended)
        })?;
        if appended {
            self.notifier.committed();
        }
        Ok(())
    }

    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        self.read(|c| fold(c, stream, after_version, visit))
    }

    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>> {
        self.read(|c| read_stream(c, stream, from_version, limit))
    }

    fn read_all(
        &self,
        filter: &ReadFilter,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        self.read(|c| read_all(c, filter, from_position, limit))
    }

    fn head(&self) -> Result<u64> {
        self.read(head)
    }

    fn wait(&self, after_position: u64, timeout: Duration) -> Result<u64> {
        self.notifier
            .wait(after_position, timeout, || self.read(head))
    }

    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let map =
                |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64));
            let out = match model {
                Some(m) => c
                    .prepare_cached(
                        "SELECT stream, version FROM eventfold_streams WHERE model = ?1 ORDER BY stream",
                    )
                    .and_then(|mut s| s.query_map([m], map)?.collect()),
                None => c
                    .prepare_cached("SELECT stream, version FROM eventfold_streams ORDER BY stream")
                    .and_then(|mut s| s.query_map([], map)?.collect()),
            };
            out.map_err(|e| err("cannot list streams", e))
        })
    }

    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        self.read(|c| command(c, stream, command_id))
    }

    fn snapshot(&self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        self.read(|c| snapshot(c, stream, fingerprint))
    }

    fn save_snapshot(&self, snap: &Snapshot) -> Result<()> {
        self.write_conn(|conn| upsert_snapshot(conn, snap))
    }

    fn save_snapshots(&self, snapshots: &[Snapshot]) -> Result<()> {
        self.write_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| err("cannot begin a write", e))?;
            for snap in snapshots {
                upsert_snapshot(&tx, snap)?;
            }
            tx.commit().map_err(|e| err("cannot commit", e))
        })
    }

    fn delete_snapshots(&self, fingerprint: &str) -> Result<u64> {
        self.write_conn(|conn| registry::delete_snapshots(conn, fingerprint))
    }

    #[allow(private_interfaces)]
    fn read_side(&self, write: bool, work: &mut super::ReadSideFn<'_>) -> Result<()> {
        if write {
            return self.write_conn(|conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| err("cannot begin a write", e))?;
                work(&mut readside::SqliteReadSide { conn: &tx })?;
                tx.commit().map_err(|e| err("cannot commit", e))
            });
        }
        self.read(|c| {
            // One snapshot of the file for the whole read.
            let tx = c
                .unchecked_transaction()
                .map_err(|e| err("cannot begin a read", e))?;
            work(&mut readside::SqliteReadSide { conn: &tx })?;
            tx.finish().map_err(|e| err("cannot end a read", e))
        })
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        self.notifier.close();
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(c) = checkpointer {
            c.stop();
        }
        // The last connection to close checkpoints what is left.
        let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(conn) = conn {
            conn.close().map_err(|(_, e)| err("cannot close", e))?;
        }
        Ok(())
    }

    // ---- Subscriptions, parking and leases (issue 13) ----

    fn take_lease(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
        self.write_conn(|c| subscriptions::take_lease(c, name, owner, ttl))
    }

    fn release_lease(&self, name: &str, owner: &str) -> Result<()> {
        self.write_conn(|c| subscriptions::release_lease(c, name, owner))
    }

    fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.read(|c| subscriptions::lease(c, name))
    }

    fn park(&self, name: &str, event: &RawEvent, reason: &str) -> Result<()> {
        self.write_conn(|c| subscriptions::park(c, name, event, reason))
    }

    fn parked(&self, name: &str) -> Result<Vec<Parked>> {
        self.read(|c| subscriptions::parked(c, name))
    }

    fn parked_count(&self, name: &str) -> Result<u64> {
        self.read(|c| subscriptions::parked_count(c, name))
    }

    fn subscription(&self, name: &str) -> Result<Option<SubscriptionRow>> {
        self.read(|c| subscriptions::subscription(c, name))
    }

    fn put_subscription(&self, row: &SubscriptionRow) -> Result<()> {
        self.write_conn(|c| subscriptions::put_subscription(c, row))
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionRow>> {
        self.read(subscriptions::subscriptions)
    }

    fn ack(&self, name: &str, position: u64) -> Result<()> {
        self.write_conn(|c| subscriptions::ack(c, name, position))
    }

    fn wake(&self) {
        self.notifier.wake();
    }

    // ---- The model registry (issue 14) ----

    fn register(
        &self,
        source: &SourceFiles,
        versions: &[NewVersion],
        activate: Activate,
        at: &str,
    ) -> Result<u64> {
        self.write_conn(|c| registry::register(c, source, versions, activate, at))
    }

    fn model_versions(&self) -> Result<Vec<ModelVersion>> {
        self.read(registry::model_versions)
    }

    fn model_source(&self, hash: &str) -> Result<Option<String>> {
        self.read(|c| registry::model_source(c, hash))
    }

    fn stored_shapes(&self) -> Result<Vec<StoredShape>> {
        self.read(registry::stored_shapes)
    }
}

/// Keeps a snapshot unless the stored one of the same model version is
/// newer and not past the stream's end (a damaged one is replaced).
fn upsert_snapshot(conn: &Connection, snap: &Snapshot) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO eventfold_snapshots (stream, version, fingerprint, state, checksum) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (stream, fingerprint) DO UPDATE SET version = excluded.version, \
           state = excluded.state, checksum = excluded.checksum \
         WHERE excluded.version >= eventfold_snapshots.version \
            OR eventfold_snapshots.version > \
               (SELECT coalesce(max(version), 0) FROM eventfold_events WHERE stream = excluded.stream)",
    )
    .and_then(|mut s| {
        s.execute(params![
            snap.stream,
            snap.version as i64,
            snap.fingerprint,
            snap.state,
            snap.checksum
        ])
    })
    .map(|_| ())
    .map_err(|e| err("cannot save a snapshot", e))
}

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A version or position as SQLite's integer: past `i64::MAX` is past every
/// row (a plain `as` would wrap to -1, before every row).
fn int_sql(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn query_events(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<RawEvent>> {
    let mut out = Vec::new();
    query_events_into(c, sql, params, &mut out)?;
    Ok(out)
}

/// [`query_events`], appending to `out`.
fn query_events_into(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    out: &mut Vec<RawEvent>,
) -> Result<()> {
    let mut stmt = c
        .prepare_cached(sql)
        .map_err(|e| err("cannot read events", e))?;
    let mut rows = stmt
        .query(params)
        .map_err(|e| err("cannot read events", e))?;
    let event = |r: &rusqlite::Row<'_>| -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            position: r.get::<_, i64>(0)? as u64,
            id: r.get(1)?,
            stream: r.get(2)?,
            version: r.get::<_, i64>(3)? as u64,
            event_type: r.get(4)?,
            schema: r.get(5)?,
            data: r.get(6)?,
            metadata: r.get(7)?,
        })
    };
    while let Some(r) = rows.next().map_err(|e| err("cannot read events", e))? {
        out.push(event(r).map_err(|e| err("cannot read events", e))?);
    }
    Ok(())
}

/// Rows per multi-row `INSERT`: one statement, bound and stepped once, for
/// many events (batches spend less time in SQLite's statement machinery).
const ROWS: usize = 32;

/// The write transaction of [`SqliteStore::write`], on the writer
/// connection inside `BEGIN IMMEDIATE`.
struct SqliteTx<'c> {
    conn: &'c Connection,
    /// The same connection, for inline projections.
    side: readside::SqliteReadSide<'c>,
    /// The `streams` rows to write at commit, by stream: (model, version).
    /// Kept here so that a hundred appends to one stream write its row once.
    streams: HashMap<String, (String, u64)>,
    /// The pending rows as they were at the savepoint.
    savepoint: Option<HashMap<String, (String, u64)>>,
}

impl SqliteTx<'_> {
    fn flush_streams(&mut self) -> Result<()> {
        if self.streams.is_empty() {
            return Ok(());
        }
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO eventfold_streams (stream, model, version) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (stream) DO UPDATE SET version = excluded.version",
            )
            .map_err(|e| err("cannot prepare", e))?;
        for (stream, (model, version)) in self.streams.drain() {
            upsert
                .execute(params![stream, model, version as i64])
                .map_err(|e| err("cannot update a stream", e))?;
        }
        Ok(())
    }
}

impl WriteTx for SqliteTx<'_> {
    fn version(&mut self, stream: &str) -> Result<u64> {
        version(self.conn, stream)
    }

    fn fold(&mut self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        fold(self.conn, stream, after_version, visit)
    }

    fn read_stream(
        &mut self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        read_stream(self.conn, stream, from_version, limit)
    }

    fn command(&mut self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        command(self.conn, stream, command_id)
    }

    fn snapshot(&mut self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        snapshot(self.conn, stream, fingerprint)
    }

    fn append(&mut self, appends: &[Append]) -> Result<Vec<u64>> {
        let tx = self.conn;
        let mut record = tx
            .prepare_cached(
                "INSERT INTO eventfold_commands (stream, command_id, first_version, last_version) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(|e| err("cannot prepare", e))?;
        // (append, its event, the event's version), in order.
        let mut rows: Vec<(usize, &NewEvent, u64)> = Vec::new();
        for (index, a) in appends.iter().enumerate() {
            if a.events.is_empty() {
                continue;
            }
            let current = a.expected_version;
            for (i, e) in a.events.iter().enumerate() {
                rows.push((index, e, current + i as u64 + 1));
            }
            let last = current + a.events.len() as u64;
            if let Some(id) = &a.command_id {
                match record.execute(params![a.stream, id, (current + 1) as i64, last as i64]) {
                    Ok(_) => {}
                    Err(e) if is_constraint(&e) => {
                        return Err(Error::StoreError {
                            kind: StoreErrorKind::Corrupt,
                            message: format!(
                                "command {id} is already recorded on stream {}: \
                                 the store changed inside a write",
                                a.stream
                            ),
                        })
                    }
                    Err(e) => return Err(err("cannot record a command", e)),
                }
            }
            self.streams
                .insert(a.stream.clone(), (a.model.clone(), last));
        }
        let mut firsts = vec![0; appends.len()];
        for chunk in rows.chunks(ROWS) {
            let mut insert = tx
                .prepare_cached(insert_sql(chunk.len()))
                .map_err(|e| err("cannot prepare", e))?;
            for (r, &(index, e, version)) in chunk.iter().enumerate() {
                let a = &appends[index];
                let at = r * COLUMNS;
                let bound = insert
                    .raw_bind_parameter(at + 1, &e.id)
                    .and_then(|_| insert.raw_bind_parameter(at + 2, &a.stream))
                    .and_then(|_| insert.raw_bind_parameter(at + 3, version as i64))
                    .and_then(|_| insert.raw_bind_parameter(at + 4, &a.model))
                    .and_then(|_| insert.raw_bind_parameter(at + 5, &e.event_type))
                    .and_then(|_| insert.raw_bind_parameter(at + 6, e.schema))
                    .and_then(|_| insert.raw_bind_parameter(at + 7, &e.data))
                    .and_then(|_| insert.raw_bind_parameter(at + 8, &e.metadata));
                bound.map_err(|e| err("cannot append an event", e))?;
            }
            match insert.raw_execute() {
                Ok(_) => {}
                // (stream, version) taken: the versions read in this
                // transaction were not the stored ones. Only damage (a hand
                // edit, a file swapped underneath) can do that.
                Err(e) if is_constraint(&e) => {
                    let a = &appends[chunk[0].0];
                    return Err(Error::StoreError {
                        kind: StoreErrorKind::Corrupt,
                        message: format!(
                            "stream {} already holds version {} (or an event id repeats): \
                             the store is damaged or changed inside a write",
                            a.stream, chunk[0].2
                        ),
                    });
                }
                Err(e) => return Err(err("cannot append an event", e)),
            }
            // The rows of one statement take consecutive positions.
            let last = tx.last_insert_rowid() as u64;
            let first_of_chunk = last + 1 - chunk.len() as u64;
            for (r, &(index, _, version)) in chunk.iter().enumerate() {
                if version == appends[index].expected_version + 1 {
                    firsts[index] = first_of_chunk + r as u64;
                }
            }
        }
        Ok(firsts)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.conn
            .execute_batch("SAVEPOINT eventfold_command")
            .map_err(|e| err("cannot set a savepoint", e))?;
        self.savepoint = Some(self.streams.clone());
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        if self.savepoint.take().is_some() {
            self.conn
                .execute_batch("RELEASE eventfold_command")
                .map_err(|e| err("cannot release a savepoint", e))?;
        }
        Ok(())
    }

    fn read_side(&mut self) -> &mut dyn crate::store::readside::ReadSideTx {
        &mut self.side
    }

    fn registry_generation(&mut self) -> Result<u64> {
        registry::generation(self.conn)
    }

    fn active_versions(&mut self) -> Result<Vec<ModelVersion>> {
        registry::active_versions(self.conn)
    }

    fn activate(&mut self, model: &str, revision: &str, at: &str) -> Result<bool> {
        registry::activate_version(self.conn, model, revision, at)
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        if let Some(streams) = self.savepoint.take() {
            self.streams = streams;
            self.conn
                .execute_batch("ROLLBACK TO eventfold_command; RELEASE eventfold_command")
                .map_err(|e| err("cannot roll back to a savepoint", e))?;
        }
        Ok(())
    }
}

/// A stream's version is its last event's: the `streams` table only lists
/// streams, so a damaged row there can never make appends fail.
fn version(c: &Connection, stream: &str) -> Result<u64> {
    c.prepare_cached("SELECT max(version) FROM eventfold_events WHERE stream = ?1")
        .and_then(|mut s| s.query_row([stream], |r| r.get::<_, Option<i64>>(0)))
        .map(|v| v.unwrap_or(0).max(0) as u64)
        .map_err(|e| err("cannot read a stream's version", e))
}

fn fold(c: &Connection, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
    let mut stmt = c
        .prepare_cached(
            "SELECT version, type, schema, data FROM eventfold_events \
             WHERE stream = ?1 AND version > ?2 ORDER BY version",
        )
        .map_err(|e| err("cannot read events", e))?;
    let mut rows = stmt
        .query(params![stream, int_sql(after_version)])
        .map_err(|e| err("cannot read events", e))?;
    while let Some(row) = rows.next().map_err(|e| err("cannot read events", e))? {
        let version = row
            .get::<_, i64>(0)
            .map_err(|e| err("cannot read events", e))?;
        let t = row
            .get_ref(1)
            .and_then(|v| v.as_str().map_err(Into::into))
            .map_err(|e| err("cannot read an event's type", e))?;
        let schema = row
            .get::<_, u32>(2)
            .map_err(|e| err("cannot read an event's schema", e))?;
        let d = row
            .get_ref(3)
            .and_then(|v| v.as_str().map_err(Into::into))
            .map_err(|e| err("cannot read an event's data", e))?;
        visit(version as u64, t, schema, d)?;
    }
    Ok(())
}

fn read_stream(
    c: &Connection,
    stream: &str,
    from_version: u64,
    limit: usize,
) -> Result<Vec<RawEvent>> {
    query_events(
        c,
        "SELECT position, id, stream, version, type, schema, data, metadata FROM eventfold_events \
         WHERE stream = ?1 AND version >= ?2 ORDER BY version LIMIT ?3",
        params![stream, int_sql(from_version), limit_sql(limit)],
    )
}

fn command(c: &Connection, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
    c.prepare_cached(
        "SELECT first_version, last_version FROM eventfold_commands \
         WHERE stream = ?1 AND command_id = ?2",
    )
    .and_then(|mut s| {
        s.query_row([stream, command_id], |r| {
            Ok(CommandRecord {
                first_version: r.get::<_, i64>(0)? as u64,
                last_version: r.get::<_, i64>(1)? as u64,
            })
        })
        .optional()
    })
    .map_err(|e| err("cannot read a command's result", e))
}

fn snapshot(c: &Connection, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
    let row = c
        .prepare_cached(
            "SELECT version, fingerprint, state, checksum FROM eventfold_snapshots \
             WHERE stream = ?1 AND fingerprint = ?2",
        )
        .and_then(|mut s| {
            s.query_row([stream, fingerprint], |r| {
                // Read leniently: a damaged row is no snapshot, not an
                // error (the engine replays instead).
                let text = |i| {
                    r.get_ref(i)
                        .ok()
                        .and_then(|v| v.as_str().ok().map(str::to_string))
                };
                Ok((r.get::<_, i64>(0).ok(), text(1), text(2), text(3)))
            })
            .optional()
        })
        .map_err(|e| err("cannot read a snapshot", e))?;
    Ok(match row {
        Some((Some(version), Some(fingerprint), Some(state), Some(checksum))) if version >= 0 => {
            Some(Snapshot {
                stream: stream.to_string(),
                version: version as u64,
                fingerprint,
                state,
                checksum,
            })
        }
        _ => None,
    })
}

/// The columns an `INSERT` of events binds per row.
const COLUMNS: usize = 8;

/// `INSERT INTO eventfold_events ... VALUES (...), (...)` for `rows` rows
/// (1 to [`ROWS`]); made once per size, then served from the statement
/// cache.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=ROWS)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|r| {
                        let params: Vec<String> = (1..=COLUMNS)
                            .map(|c| format!("?{}", r * COLUMNS + c))
                            .collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                format!(
                    "INSERT INTO eventfold_events \
                     (id, stream, version, model, type, schema, data, metadata) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows.min(ROWS)]
}

/// The last committed position: `max(position)` is one step down the
/// primary key.
fn head(c: &Connection) -> Result<u64> {
    c.prepare_cached("SELECT coalesce(max(position), 0) FROM eventfold_events")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map(|p| p.max(0) as u64)
        .map_err(|e| err("cannot read the head position", e))
}

/// `read_all`: the filter's lists become `IN (...)` over the rows read in
/// position order.
fn read_all(
    c: &Connection,
    filter: &ReadFilter,
    from_position: u64,
    limit: usize,
) -> Result<Vec<RawEvent>> {
    let mut out = Vec::new();
    read_all_into(c, filter, from_position, limit, &mut out)?;
    Ok(out)
}

/// [`read_all`], appending to `out`.
fn read_all_into(
    c: &Connection,
    filter: &ReadFilter,
    from_position: u64,
    limit: usize,
    out: &mut Vec<RawEvent>,
) -> Result<()> {
    let from = int_sql(from_position);
    let limit = limit_sql(limit);
    // The events in position order (the table's own), filtered as they are
    // read: a page costs the rows it passes over, and paging through the
    // log is linear. No index by model or type (see `schema.rs`: each made
    // every append dearer).
    let mut sql = String::from(
        "SELECT position, id, stream, version, type, schema, data, metadata \
         FROM eventfold_events WHERE position >= ?",
    );
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&from];
    for (column, list) in [("model", &filter.models), ("type", &filter.types)] {
        if !list.is_empty() {
            let marks = vec!["?"; list.len()].join(", ");
            sql.push_str(&format!(" AND {column} IN ({marks})"));
            values.extend(list.iter().map(|v| v as &dyn rusqlite::ToSql));
        }
    }
    sql.push_str(" ORDER BY position LIMIT ?");
    values.push(&limit);
    query_events_into(c, &sql, values.as_slice(), out)
}
