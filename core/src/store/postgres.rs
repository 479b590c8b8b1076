//! PostgreSQL, for more than one machine: many processes share one store
//! (docs/postgres.md).
//!
//! - **Connections**: the synchronous client of rust-postgres (`postgres`)
//!   in an r2d2 pool, both by rust-postgres's maintainers. The core runs on
//!   threads, not an async runtime, and both are made for exactly that.
//!   Pool settings come from the URL ([`url`]).
//! - **The write lock**: every [`Store::write`] is one transaction that
//!   first takes a transaction-level advisory lock of the store's schema
//!   (`pg_advisory_xact_lock`), held until it commits or rolls back. It is
//!   the store's one write lock across threads, processes and machines, as
//!   `BEGIN IMMEDIATE` is SQLite's: what the engine reads inside the write
//!   (a stream's version, the registry) stays true until the commit, so it
//!   decides inside the write and never loses a race. Many commands of a
//!   process share one such transaction (group commit), so the lock is
//!   taken once per group, not per command.
//! - **No reader ever skips an event.** Positions come from a counter row
//!   (`eventfold_positions`), moved only under the write lock, in the
//!   appending transaction: a writer's positions are
//!   above those of every writer that held the lock before it, and
//!   PostgreSQL makes a transaction visible before it releases its locks
//!   (`CommitTransaction` ends the transaction in the proc array, then
//!   releases its locks). So when a reader's snapshot holds position `p`,
//!   every transaction that wrote below `p` has already committed and is in
//!   that snapshot. Positions commit in order: no transaction in flight can
//!   ever commit below a position a reader has seen, and `read_all` from one
//!   past the last position seen misses nothing. A rolled-back write leaves
//!   no gap either (a sequence would: `nextval` is not undone), so positions
//!   are dense, as on SQLite, and, the counter never going back, a position
//!   is never given twice. This is the guarantee that a transaction-id
//!   gate (`pg_snapshot_xmin`, as Marten and Emmett use) gives readers of a
//!   sequence whose transactions commit out of order; here nothing commits
//!   out of order, because the write lock that deciding inside the write
//!   needs anyway also orders the commits. The `no_reader_skips` test checks
//!   it with 16 writers whose commits are delayed on purpose.
//! - **Wake-ups**: a commit that appended sends `NOTIFY` on the schema's
//!   channel, in its transaction (delivered at commit). A listener thread
//!   per store `LISTEN`s on its own connection and wakes this process's
//!   [`Store::wait`]ers ([`listen`]): no reader polls the database.
//! - **Faults**: a lost connection fails the call in flight with a
//!   `store_error` of kind `unavailable`; the pool drops the connection and
//!   makes new ones. A write whose `BEGIN` fails on a dead pooled connection
//!   (nothing sent yet) goes on with another one. A commit whose answer is
//!   lost may or may not have happened: the caller retries with its command
//!   id, which makes the retry safe.

mod ahead;
mod conn;
mod listen;
mod readside;
mod registry;
mod schema;
mod subscriptions;
pub(crate) mod tables;
pub mod url;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};

use self::conn::{Conn, Manager};
pub use self::url::PostgresOptions;
use super::notify::Notifier;
use super::{
    closed, Append, CommandRecord, RawEvent, ReadFilter, Snapshot, Store, Visit, WriteFn, WriteTx,
};
use super::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};
use super::{Lease, Parked, SubscriptionRow};
use crate::error::{Error, Result, StoreErrorKind};

type Pool = r2d2::Pool<Manager>;
type Pooled = r2d2::PooledConnection<Manager>;

/// The advisory lock keys and the notification channel of one schema: two
/// stores in different schemas of one database never wait for each other
/// (unless their names hash alike, which costs only waiting).
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) migrate: (i32, i32),
    pub(crate) channel: String,
    /// `BEGIN` and the write lock, in one round trip.
    begin_locked: String,
    /// [`Keys::begin_locked`], then the registry's generation: how every
    /// [`Store::write`] starts.
    begin_write: String,
    /// How a write that appended ends: the `NOTIFY` goes with the commit.
    commit_notify: String,
}

impl Keys {
    fn of(schema: &str) -> Keys {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(format!("eventfold:{schema}").as_bytes());
        let space = i32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]);
        let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        let channel = format!("eventfold_{hex}");
        let begin_locked = format!("BEGIN; SELECT pg_advisory_xact_lock({space}, 1)");
        Keys {
            migrate: (space, 2),
            begin_write: format!(
                "{begin_locked}; SELECT generation FROM eventfold_registry WHERE id = 1"
            ),
            begin_locked,
            commit_notify: format!("NOTIFY {channel}; COMMIT"),
            channel,
        }
    }
}

pub(crate) use super::sql::quote;

/// A store error for a failed PostgreSQL call, with the server's message.
pub(crate) fn err(context: &str, e: postgres::Error) -> Error {
    let kind = kind_of(&e);
    let why = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({})", db.message(), detail),
            None => db.message().to_string(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    };
    let hint = match kind {
        StoreErrorKind::Unavailable => "; the server is unreachable or went away: retry (with the same command id) once it is back",
        StoreErrorKind::Busy => "; another writer held the lock too long: retry",
        _ => "",
    };
    Error::StoreError {
        kind,
        message: format!("{context}: {why}{hint}"),
    }
}

/// What a PostgreSQL failure means to a caller.
pub(crate) fn kind_of(e: &postgres::Error) -> StoreErrorKind {
    if e.is_closed() {
        return StoreErrorKind::Unavailable;
    }
    let Some(code) = e.code() else {
        // No SQLSTATE: the socket, the protocol, or a value that did not
        // convert. A broken connection is by far the likeliest.
        return if std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()) {
            StoreErrorKind::Unavailable
        } else {
            StoreErrorKind::Io
        };
    };
    let class = &code.code()[..2];
    if *code == SqlState::LOCK_NOT_AVAILABLE
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::QUERY_CANCELED
        || *code == SqlState::TOO_MANY_CONNECTIONS
    {
        StoreErrorKind::Busy
    } else if class == "08"
        || class == "28"
        || class == "3D"
        || class == "57"
        || *code == SqlState::INSUFFICIENT_PRIVILEGE
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION
    {
        StoreErrorKind::Unavailable
    } else if class == "XX" || class == "22" || class == "42" {
        StoreErrorKind::Corrupt
    } else {
        StoreErrorKind::Io
    }
}

/// Did the call fail because the connection is gone (so that nothing it
/// sent took effect when it was the first statement)?
fn connection_lost(e: &postgres::Error) -> bool {
    kind_of(e) == StoreErrorKind::Unavailable
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// A version or position as PostgreSQL's `bigint`: past `i64::MAX` is past
/// every row.
pub(crate) fn int_sql(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn limit_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[derive(Debug)]
pub struct PostgresStore {
    /// `None` once closed.
    pool: RwLock<Option<Pool>>,
    options: PostgresOptions,
    keys: Keys,
    notifier: Arc<Notifier>,
    listener: Mutex<Option<listen::Listener>>,
    closed: AtomicBool,
}

impl PostgresStore {
    /// Opens the store at `url` (see [`url::parse`]): connects, creates or
    /// migrates the schema, starts the listener.
    pub fn open(url: &str) -> Result<PostgresStore> {
        PostgresStore::open_with(url::parse(url)?)
    }

    /// Like [`PostgresStore::open`], from parsed options.
    pub fn open_with(options: PostgresOptions) -> Result<PostgresStore> {
        let keys = Keys::of(&options.schema);
        let fail = |e| {
            err(
                &format!("cannot connect to PostgreSQL at {}", options.shown),
                e,
            )
        };
        // One connection of its own migrates, then listens.
        let mut first = options.config.connect(postgres::NoTls).map_err(fail)?;
        schema::migrate(&mut first, &options.schema, &keys)?;
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(0))
            // A dead connection is found by its first statement and
            // replaced (see `write`), not by a round trip per checkout.
            .test_on_check_out(false)
            .connection_timeout(options.pool_timeout)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager {
                config: options.config.clone(),
            });
        let notifier = Arc::new(Notifier::default());
        let listener = listen::Listener::start(
            first,
            options.config.clone(),
            keys.channel.clone(),
            notifier.clone(),
        )?;
        Ok(PostgresStore {
            pool: RwLock::new(Some(pool)),
            options,
            keys,
            notifier,
            listener: Mutex::new(Some(listener)),
            closed: AtomicBool::new(false),
        })
    }

    /// The schema this store works in.
    pub fn schema(&self) -> &str {
        &self.options.schema
    }

    /// A connection of the pool, waiting up to `pool_timeout` for one.
    fn conn(&self) -> Result<Pooled> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let pool = self
            .pool
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(closed)?;
        pool.get().map_err(|e| {
            let (kind, why) = match e.to_string() {
                // r2d2 reports the last connection error, if there was one.
                t if t.contains("timed out waiting for connection") && !t.contains(": ") => {
                    let open = pool.state().connections;
                    let why = if open >= self.options.pool_size {
                        format!(
                            "every one of the {} connections of the pool stayed busy for {} ms: \
                             raise pool_size or pool_timeout in the store URL",
                            self.options.pool_size,
                            self.options.pool_timeout.as_millis()
                        )
                    } else {
                        format!(
                            "no connection of the pool came free within {} ms, and a new one \
                             ({open} of pool_size={} are open) took longer to make: raise \
                             pool_timeout in the store URL (it must exceed the time to connect)",
                            self.options.pool_timeout.as_millis(),
                            self.options.pool_size
                        )
                    };
                    (StoreErrorKind::Busy, why)
                }
                t => (
                    StoreErrorKind::Unavailable,
                    format!(
                        "cannot connect to PostgreSQL at {} within {} ms: {t}",
                        self.options.shown,
                        self.options.pool_timeout.as_millis()
                    ),
                ),
            };
            Error::StoreError { kind, message: why }
        })
    }

    /// Runs `f` on a connection of the pool. When it fails because its
    /// connection is gone (before it had any effect: a read, or the first
    /// statement of a transaction), it runs again on another, as many times
    /// as the pool could hold dead connections (after a server restart, all
    /// of them are), then once more on a new one. Any other failure rolls
    /// back what the connection had begun.
    fn on_live_conn<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<(Pooled, T)> {
        let attempts = self.options.pool_size as usize + 1;
        for attempt in 1.. {
            let mut conn = self.conn()?;
            match f(&mut conn) {
                Ok(v) => return Ok((conn, v)),
                Err(e) if connection_lost(&e) && attempt < attempts => conn.broken = true,
                Err(e) => {
                    if conn.client.batch_execute("ROLLBACK").is_err() {
                        conn.broken = true;
                    }
                    return Err(err(what, e));
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// A read: see [`PostgresStore::on_live_conn`].
    fn read<T>(
        &self,
        what: &str,
        f: impl FnMut(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        self.on_live_conn(what, f).map(|(_, v)| v)
    }

    /// A connection inside the transaction that `sql` begins (and locks).
    fn begin(&self, sql: &str) -> Result<Pooled> {
        self.on_live_conn("cannot begin a transaction", |c| {
            c.client.batch_execute(sql)
        })
        .map(|(conn, ())| conn)
    }

    /// A connection inside `BEGIN`, holding the write lock, with the
    /// registry's generation read in the same round trip (the engine checks
    /// it in every write).
    fn begin_write(&self) -> Result<(Pooled, Option<u64>)> {
        self.on_live_conn("cannot begin a write", |c| {
            let messages = c.client.simple_query(&self.keys.begin_write)?;
            Ok(messages.iter().find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) if r.columns()[0].name() == "generation" => {
                    r.get(0).and_then(|g| g.parse::<u64>().ok())
                }
                _ => None,
            }))
        })
    }

    /// Ends a transaction begun by [`PostgresStore::begin`]: commits when
    /// `out` is `Ok`, else rolls back and returns the error.
    fn finish<T>(conn: &mut Conn, out: Result<T>, commit: &str) -> Result<T> {
        match out {
            Ok(v) => match conn.client.batch_execute(commit) {
                Ok(()) => Ok(v),
                Err(e) => {
                    conn.broken = true;
                    Err(err("cannot commit", e))
                }
            },
            Err(e) => {
                if conn.client.batch_execute("ROLLBACK").is_err() {
                    conn.broken = true;
                }
                Err(e)
            }
        }
    }

    /// `f`'s one statement on a connection, outside any transaction
    /// (autocommit: one round trip instead of three). Each of these is
    /// idempotent (a read, a forward-only checkpoint, an insert that keeps
    /// the first row), so one that fails because its connection was gone
    /// runs once more on another.
    fn auto<T>(&self, mut f: impl FnMut(&mut Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        match f(&mut conn) {
            Err(Error::StoreError {
                kind: StoreErrorKind::Unavailable,
                ..
            }) if conn.client.is_closed() => {
                conn.broken = true;
                drop(conn);
                f(&mut *self.conn()?)
            }
            out => out,
        }
    }

    /// One write transaction of `f`'s work on the connection, under the
    /// write lock when `lock`.
    fn transact<T>(&self, lock: bool, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut conn = if lock {
            self.begin(&self.keys.begin_locked)?
        } else {
            self.begin("BEGIN")?
        };
        let out = f(&mut conn);
        PostgresStore::finish(&mut conn, out, "COMMIT")
    }
}

impl Store for PostgresStore {
    fn write(&self, work: &mut WriteFn<'_>) -> Result<()> {
        let (mut conn, generation) = self.begin_write()?;
        let mut tx = PgTx {
            side: readside::PgReadSide { c: &mut conn },
            savepoint: Savepoint::None,
            release_owed: false,
            generation,
            appended: false,
            ahead: ahead::ReadAhead::default(),
        };
        let out = work(&mut tx);
        let appended = tx.appended;
        // The NOTIFY is queued in the transaction and sent at its commit,
        // to every listener of the schema, this process's included.
        let commit = if appended {
            self.keys.commit_notify.as_str()
        } else {
            "COMMIT"
        };
        PostgresStore::finish(&mut conn, out, commit)?;
        if appended {
            // This process's waiters need not wait for the round trip.
            self.notifier.committed();
        }
        Ok(())
    }

    fn version(&self, stream: &str) -> Result<u64> {
        self.read("cannot read a stream's version", |c| version(c, stream))
    }

    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        // Like `read`, while no event has reached `visit` yet (after one
        // has, a retry would visit it twice).
        let attempts = self.options.pool_size as usize + 1;
        for attempt in 1.. {
            let mut conn = self.conn()?;
            let mut visited = false;
            let mut counting = |v: u64, t: &str, s: u32, d: &str| {
                visited = true;
                visit(v, t, s, d)
            };
            match fold(&mut conn, stream, after_version, &mut counting) {
                Err(Error::StoreError {
                    kind: StoreErrorKind::Unavailable,
                    ..
                }) if !visited && attempt < attempts && conn.client.is_closed() => {
                    conn.broken = true
                }
                out => return out,
            }
        }
        unreachable!("the loop returns")
    }

    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>> {
        self.read("cannot read events", |c| {
            read_stream(c, stream, from_version, limit)
        })
    }

    fn read_all(
        &self,
        filter: &ReadFilter,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        self.read("cannot read events", |c| {
            read_all_raw(c, filter, from_position, limit)
        })
    }

    fn head(&self) -> Result<u64> {
        self.read("cannot read the head position", head_raw)
    }

    fn wait(&self, after_position: u64, timeout: Duration) -> Result<u64> {
        self.notifier.wait(after_position, timeout, || self.head())
    }

    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>> {
        self.read("cannot list streams", |c| {
            let rows = match model {
                Some(m) => c.client.query_typed(
                    "SELECT stream, version FROM eventfold_streams WHERE model = $1 ORDER BY stream",
                    &[(&m, Type::TEXT)],
                )?,
                None => c.client.query_typed(
                    "SELECT stream, version FROM eventfold_streams ORDER BY stream",
                    &[],
                )?,
            };
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64))
                .collect())
        })
    }

    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        self.read("cannot read a command's result", |c| {
            command(c, stream, command_id)
        })
    }

    fn snapshot(&self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        self.read("cannot read a snapshot", |c| {
            snapshot(c, stream, fingerprint)
        })
    }

    fn save_snapshot(&self, snap: &Snapshot) -> Result<()> {
        self.read("cannot save a snapshot", |c| upsert_snapshot(c, snap))
    }

    fn save_snapshots(&self, snapshots: &[Snapshot]) -> Result<()> {
        self.transact(false, |c| {
            snapshots
                .iter()
                .try_for_each(|s| upsert_snapshot(c, s))
                .map_err(|e| err("cannot save snapshots", e))
        })
    }

    fn delete_snapshots(&self, fingerprint: &str) -> Result<u64> {
        self.read("cannot delete snapshots", |c| {
            c.client.execute_typed(
                "DELETE FROM eventfold_snapshots WHERE fingerprint = $1",
                &[(&fingerprint, Type::TEXT)],
            )
        })
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        self.notifier.close();
        if let Some(l) = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            l.stop();
        }
        // Idle connections close now; one still in use closes when its
        // call returns it.
        self.pool.write().unwrap_or_else(|e| e.into_inner()).take();
        Ok(())
    }

    #[allow(private_interfaces)]
    fn read_side(&self, write: bool, work: &mut super::ReadSideFn<'_>) -> Result<()> {
        if write {
            return self.transact(true, |c| work(&mut readside::PgReadSide { c }));
        }
        // One snapshot of the database for the whole read.
        let mut conn = self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let out = work(&mut readside::PgReadSide { c: &mut conn });
        PostgresStore::finish(&mut conn, out, "COMMIT")
    }

    // ---- Subscriptions, parking and leases (issue 13) ----

    fn take_lease(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
        self.transact(false, |c| subscriptions::take_lease(c, name, owner, ttl))
    }

    fn release_lease(&self, name: &str, owner: &str) -> Result<()> {
        self.auto(|c| subscriptions::release_lease(c, name, owner))
    }

    fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.auto(|c| subscriptions::lease(c, name))
    }

    fn park(&self, name: &str, event: &RawEvent, reason: &str) -> Result<()> {
        self.auto(|c| subscriptions::park(c, name, event, reason))
    }

    fn parked(&self, name: &str) -> Result<Vec<Parked>> {
        self.auto(|c| subscriptions::parked(c, name))
    }

    fn parked_count(&self, name: &str) -> Result<u64> {
        self.auto(|c| subscriptions::parked_count(c, name))
    }

    fn subscription(&self, name: &str) -> Result<Option<SubscriptionRow>> {
        self.auto(|c| subscriptions::subscription(c, name))
    }

    fn put_subscription(&self, row: &SubscriptionRow) -> Result<()> {
        self.auto(|c| subscriptions::put_subscription(c, row))
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionRow>> {
        self.auto(subscriptions::subscriptions)
    }

    fn ack(&self, name: &str, position: u64) -> Result<()> {
        self.auto(|c| subscriptions::ack(c, name, position))
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
        // Under the write lock: a writer checks the active versions inside
        // its own write, so an activation must not slip in beside one.
        self.transact(true, |c| {
            registry::register(c, source, versions, activate, at)
        })
    }

    fn model_versions(&self) -> Result<Vec<ModelVersion>> {
        self.auto(registry::model_versions)
    }

    fn model_source(&self, hash: &str) -> Result<Option<String>> {
        self.auto(|c| registry::model_source(c, hash))
    }

    fn stored_shapes(&self) -> Result<Vec<StoredShape>> {
        self.auto(registry::stored_shapes)
    }
}

/// The savepoint of a [`PgTx`]: sent to the server only before the first
/// write under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    None,
    /// Asked for, not sent yet: nothing was written since.
    Asked,
    /// Sent: undoing it needs `ROLLBACK TO`.
    Open,
}

/// The write transaction of [`PostgresStore::write`]: inside `BEGIN`,
/// holding the write lock.
struct PgTx<'c> {
    /// The connection, reached through the read side that inline
    /// projections write with.
    side: readside::PgReadSide<'c>,
    /// Where the savepoint of [`WriteTx::savepoint`] stands.
    savepoint: Savepoint,
    /// A savepoint was released here but not yet on the server: its
    /// `RELEASE` goes with the next `SAVEPOINT` (or is made moot by the
    /// commit), saving a round trip per command of a group.
    release_owed: bool,
    /// The registry's generation, read with the write lock (valid until
    /// this transaction activates a version).
    generation: Option<u64>,
    /// Did this transaction append any event?
    appended: bool,
    /// What [`WriteTx::read_ahead`] read, for the loads that follow.
    ahead: ahead::ReadAhead,
}

impl PgTx<'_> {
    fn c(&mut self) -> &mut Conn {
        self.side.c
    }

    /// Sends the savepoint asked for, now that something will be written
    /// under it (a command that only reads, or is rejected, never costs
    /// one), with the `RELEASE` owed from the last.
    fn open_savepoint(&mut self) -> Result<()> {
        if self.savepoint != Savepoint::Asked {
            return Ok(());
        }
        let sql = if std::mem::take(&mut self.release_owed) {
            "RELEASE eventfold_command; SAVEPOINT eventfold_command"
        } else {
            "SAVEPOINT eventfold_command"
        };
        self.batch(sql, "cannot set a savepoint")?;
        self.savepoint = Savepoint::Open;
        Ok(())
    }

    fn batch(&mut self, sql: &str, what: &str) -> Result<()> {
        self.c().client.batch_execute(sql).map_err(|e| err(what, e))
    }
}

impl WriteTx for PgTx<'_> {
    fn version(&mut self, stream: &str) -> Result<u64> {
        if let Some(v) = self.ahead.version(stream) {
            return Ok(v);
        }
        version(self.c(), stream).map_err(|e| err("cannot read a stream's version", e))
    }

    fn fold(&mut self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        if self.ahead.fold(stream, after_version, visit)? {
            return Ok(());
        }
        fold(self.c(), stream, after_version, visit)
    }

    fn reads_ahead(&self) -> bool {
        true
    }

    fn read_ahead(&mut self, streams: &[super::Ahead<'_>]) -> Result<()> {
        if streams.is_empty() {
            return Ok(());
        }
        self.ahead.read(&mut *self.side.c, streams)
    }

    fn read_stream(
        &mut self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        read_stream(self.c(), stream, from_version, limit).map_err(|e| err("cannot read events", e))
    }

    fn command(&mut self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        command(self.c(), stream, command_id).map_err(|e| err("cannot read a command's result", e))
    }

    fn snapshot(&mut self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        if let Some(found) = self.ahead.snapshot(stream, fingerprint) {
            return Ok(found);
        }
        snapshot(self.c(), stream, fingerprint).map_err(|e| err("cannot read a snapshot", e))
    }

    fn append(&mut self, appends: &[Append]) -> Result<Vec<u64>> {
        for a in appends {
            self.ahead.forget(&a.stream);
        }
        let total: usize = appends.iter().map(|a| a.events.len()).sum();
        let mut firsts = vec![0; appends.len()];
        if total == 0 {
            return Ok(firsts);
        }
        self.open_savepoint()?;
        // Column arrays, one statement for every event of every append.
        let mut ids = Vec::with_capacity(total);
        let mut streams = Vec::with_capacity(total);
        let mut versions = Vec::with_capacity(total);
        let mut models = Vec::with_capacity(total);
        let mut types = Vec::with_capacity(total);
        let mut schemas = Vec::with_capacity(total);
        let mut datas = Vec::with_capacity(total);
        let mut metas = Vec::with_capacity(total);
        let (mut c_streams, mut c_ids, mut c_first, mut c_last) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Each stream's row once, at its last version here (one statement
        // cannot upsert a row twice).
        let mut rows: HashMap<&str, (&str, i64)> = HashMap::new();
        for a in appends {
            if a.events.is_empty() {
                continue;
            }
            for (i, e) in a.events.iter().enumerate() {
                ids.push(e.id.as_str());
                streams.push(a.stream.as_str());
                versions.push(int_sql(a.expected_version + i as u64 + 1));
                models.push(a.model.as_str());
                types.push(e.event_type.as_str());
                schemas.push(i32::try_from(e.schema).unwrap_or(i32::MAX));
                datas.push(e.data.as_str());
                metas.push(e.metadata.as_str());
            }
            let last = int_sql(a.expected_version + a.events.len() as u64);
            if let Some(id) = &a.command_id {
                c_streams.push(a.stream.as_str());
                c_ids.push(id.as_str());
                c_first.push(int_sql(a.expected_version + 1));
                c_last.push(last);
            }
            let row = rows
                .entry(a.stream.as_str())
                .or_insert((a.model.as_str(), last));
            row.1 = row.1.max(last);
        }
        let (s_names, (s_models, s_versions)): (Vec<&str>, (Vec<&str>, Vec<i64>)) =
            rows.into_iter().unzip();
        // One statement, one round trip: the position counter moves by the
        // whole batch, the events take the positions after its old value in
        // the arrays' order, and the command records and stream rows are
        // written beside them.
        let c = &mut *self.side.c;
        let out = c
            .prepared(
                "WITH taken AS (UPDATE eventfold_positions SET last = last + $9 \
                   RETURNING last - $9 AS base), \
                 recorded AS (INSERT INTO eventfold_commands \
                   (stream, command_id, first_version, last_version) \
                   SELECT * FROM unnest($10::text[], $11::text[], $12::int8[], $13::int8[])), \
                 listed AS (INSERT INTO eventfold_streams (stream, model, version) \
                   SELECT * FROM unnest($14::text[], $15::text[], $16::int8[]) \
                   ON CONFLICT (stream) DO UPDATE SET version = excluded.version) \
                 INSERT INTO eventfold_events \
                 (position, id, stream, version, model, type, schema, data, metadata) \
                 SELECT taken.base + e.n, e.id, e.stream, e.version, e.model, e.type, e.schema, \
                   e.data, e.metadata \
                 FROM taken, unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], \
                   $6::int4[], $7::text[], $8::text[]) \
                   WITH ORDINALITY AS e(id, stream, version, model, type, schema, data, metadata, n) \
                 RETURNING position",
                &[
                    Type::TEXT_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::INT8_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::INT4_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::INT8,
                    Type::TEXT_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::INT8_ARRAY,
                    Type::INT8_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::TEXT_ARRAY,
                    Type::INT8_ARRAY,
                ],
            )
            .and_then(|s| {
                let count = total as i64;
                let params: [&(dyn ToSql + Sync); 16] = [
                    &ids, &streams, &versions, &models, &types, &schemas, &datas, &metas, &count,
                    &c_streams, &c_ids, &c_first, &c_last, &s_names, &s_models, &s_versions,
                ];
                c.client.query(&s, &params)
            });
        let rows = match out {
            Ok(rows) => rows,
            // A version, event id or command id already taken: what this
            // transaction read was not what is stored. Under the write
            // lock, only damage can do that.
            Err(e) if is_unique_violation(&e) => {
                let db = e.as_db_error();
                let what = match db.and_then(|d| d.constraint()) {
                    Some("eventfold_commands_pkey") => {
                        "a command id of this write is already recorded on its stream"
                    }
                    _ => "a version or event id of this write is already stored",
                };
                return Err(Error::StoreError {
                    kind: StoreErrorKind::Corrupt,
                    message: format!(
                        "{what} ({}): the store is damaged or was changed inside a write",
                        db.and_then(|d| d.detail()).unwrap_or("")
                    ),
                });
            }
            Err(e) => return Err(err("cannot append events", e)),
        };
        let first = rows.iter().map(|r| r.get::<_, i64>(0)).min();
        let (Some(first), true) = (first, rows.len() == total) else {
            return Err(Error::StoreError {
                kind: StoreErrorKind::Corrupt,
                message: format!(
                    "appended {total} events but {} positions came back: eventfold_positions \
                     is missing its row",
                    rows.len()
                ),
            });
        };
        let mut next = first.max(0) as u64;
        for (index, a) in appends.iter().enumerate() {
            if !a.events.is_empty() {
                firsts[index] = next;
                next += a.events.len() as u64;
            }
        }
        self.appended = true;
        Ok(firsts)
    }

    fn savepoint(&mut self) -> Result<()> {
        if self.savepoint == Savepoint::Open {
            // A new savepoint replaces the last: keep what it holds.
            self.release_owed = true;
        }
        self.savepoint = Savepoint::Asked;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.savepoint, Savepoint::None) {
            Savepoint::Open => self.release_owed = true,
            Savepoint::Asked | Savepoint::None => {}
        }
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.savepoint, Savepoint::None) == Savepoint::Open {
            self.batch(
                "ROLLBACK TO eventfold_command; RELEASE eventfold_command",
                "cannot roll back to a savepoint",
            )?;
        }
        Ok(())
    }

    /// Inline projections write here after their command's append, so
    /// its savepoint is on the server by then (see `open_savepoint`).
    fn read_side(&mut self) -> &mut dyn crate::store::readside::ReadSideTx {
        &mut self.side
    }

    fn registry_generation(&mut self) -> Result<u64> {
        match self.generation {
            Some(g) => Ok(g),
            None => registry::generation(self.c()),
        }
    }

    fn active_versions(&mut self) -> Result<Vec<ModelVersion>> {
        registry::active_versions(self.c())
    }

    fn activate(&mut self, model: &str, revision: &str, at: &str) -> Result<bool> {
        self.generation = None;
        registry::activate_version(self.c(), model, revision, at)
    }
}

/// A stream's version is its last event's (see SQLite's `version`).
fn version(c: &mut Conn, stream: &str) -> Result<u64, postgres::Error> {
    let s = c.prepared(
        "SELECT coalesce(max(version), 0) FROM eventfold_events WHERE stream = $1",
        &[Type::TEXT],
    )?;
    let v: i64 = c.client.query_one(&s, &[&stream])?.get(0);
    Ok(v.max(0) as u64)
}

/// Streams the rows to `visit` as they arrive: a stream of a million
/// events is never held in memory at once.
fn fold(c: &mut Conn, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
    let fail = |e| err("cannot read events", e);
    let s = c
        .prepared(
            "SELECT version, type, schema, data FROM eventfold_events \
             WHERE stream = $1 AND version > $2 ORDER BY version",
            &[Type::TEXT, Type::INT8],
        )
        .map_err(fail)?;
    let after = int_sql(after_version);
    let params: [&(dyn ToSql + Sync); 2] = [&stream, &after];
    let mut rows = c.client.query_raw(&s, params).map_err(fail)?;
    while let Some(row) = rows.next().map_err(fail)? {
        let version: i64 = row.try_get(0).map_err(fail)?;
        let t: &str = row.try_get(1).map_err(fail)?;
        let schema: i32 = row.try_get(2).map_err(fail)?;
        let d: &str = row.try_get(3).map_err(fail)?;
        visit(version.max(0) as u64, t, schema.max(0) as u32, d)?;
    }
    Ok(())
}

fn event_of(r: &postgres::Row) -> Result<RawEvent, postgres::Error> {
    Ok(RawEvent {
        position: r.try_get::<_, i64>(0)?.max(0) as u64,
        id: r.try_get(1)?,
        stream: r.try_get(2)?,
        version: r.try_get::<_, i64>(3)?.max(0) as u64,
        event_type: r.try_get(4)?,
        schema: r.try_get::<_, i32>(5)?.max(0) as u32,
        data: r.try_get(6)?,
        metadata: r.try_get(7)?,
    })
}

fn read_stream(
    c: &mut Conn,
    stream: &str,
    from_version: u64,
    limit: usize,
) -> Result<Vec<RawEvent>, postgres::Error> {
    let s = c.prepared(
        "SELECT position, id, stream, version, type, schema, data, metadata FROM eventfold_events \
         WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3",
        &[Type::TEXT, Type::INT8, Type::INT8],
    )?;
    c.client
        .query(&s, &[&stream, &int_sql(from_version), &limit_sql(limit)])?
        .iter()
        .map(event_of)
        .collect()
}

fn command(
    c: &mut Conn,
    stream: &str,
    command_id: &str,
) -> Result<Option<CommandRecord>, postgres::Error> {
    let s = c.prepared(
        "SELECT first_version, last_version FROM eventfold_commands \
         WHERE stream = $1 AND command_id = $2",
        &[Type::TEXT, Type::TEXT],
    )?;
    Ok(c.client
        .query_opt(&s, &[&stream, &command_id])?
        .map(|r| CommandRecord {
            first_version: r.get::<_, i64>(0).max(0) as u64,
            last_version: r.get::<_, i64>(1).max(0) as u64,
        }))
}

fn snapshot(
    c: &mut Conn,
    stream: &str,
    fingerprint: &str,
) -> Result<Option<Snapshot>, postgres::Error> {
    let s = c.prepared(
        "SELECT version, fingerprint, state, checksum FROM eventfold_snapshots \
         WHERE stream = $1 AND fingerprint = $2",
        &[Type::TEXT, Type::TEXT],
    )?;
    Ok(c.client
        .query_opt(&s, &[&stream, &fingerprint])?
        .and_then(|r| {
            let version: i64 = r.get(0);
            (version >= 0).then(|| Snapshot {
                stream: stream.to_string(),
                version: version as u64,
                fingerprint: r.get(1),
                state: r.get(2),
                checksum: r.get(3),
            })
        }))
}

/// Keeps a snapshot unless the stored one of the same model version is
/// newer and not past the stream's end (a damaged one is replaced).
fn upsert_snapshot(c: &mut Conn, snap: &Snapshot) -> Result<(), postgres::Error> {
    let s = c.prepared(
        "INSERT INTO eventfold_snapshots (stream, version, fingerprint, state, checksum) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (stream, fingerprint) DO UPDATE SET version = excluded.version, \
           state = excluded.state, checksum = excluded.checksum \
         WHERE excluded.version >= eventfold_snapshots.version \
            OR eventfold_snapshots.version > \
               (SELECT coalesce(max(version), 0) FROM eventfold_events WHERE stream = excluded.stream)",
        &[Type::TEXT, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT],
    )?;
    c.client.execute(
        &s,
        &[
            &snap.stream,
            &int_sql(snap.version),
            &snap.fingerprint,
            &snap.state,
            &snap.checksum,
        ],
    )?;
    Ok(())
}

/// The last committed position. Positions commit in order (see the
/// module's doc), so every position up to it is committed or a gap.
fn head_raw(c: &mut Conn) -> Result<u64, postgres::Error> {
    let s = c.prepared(
        "SELECT coalesce(max(position), 0) FROM eventfold_events",
        &[],
    )?;
    Ok(c.client.query_one(&s, &[])?.get::<_, i64>(0).max(0) as u64)
}

pub(crate) fn head(c: &mut Conn) -> Result<u64> {
    head_raw(c).map_err(|e| err("cannot read the head position", e))
}

/// `read_all` in position order, the filter's lists as `= ANY` (one
/// statement per shape of filter, each prepared once per connection).
fn read_all_raw(
    c: &mut Conn,
    filter: &ReadFilter,
    from: u64,
    limit: usize,
) -> Result<Vec<RawEvent>, postgres::Error> {
    const ALL: &str = "SELECT position, id, stream, version, type, schema, data, metadata \
         FROM eventfold_events WHERE position >= $1 ORDER BY position LIMIT $2";
    const MODELS: &str = "SELECT position, id, stream, version, type, schema, data, metadata \
         FROM eventfold_events WHERE position >= $1 AND model = ANY($3) ORDER BY position LIMIT $2";
    const TYPES: &str = "SELECT position, id, stream, version, type, schema, data, metadata \
         FROM eventfold_events WHERE position >= $1 AND type = ANY($3) ORDER BY position LIMIT $2";
    const BOTH: &str = "SELECT position, id, stream, version, type, schema, data, metadata \
         FROM eventfold_events WHERE position >= $1 AND model = ANY($3) AND type = ANY($4) \
         ORDER BY position LIMIT $2";
    let from = int_sql(from);
    let limit = limit_sql(limit);
    let base = [Type::INT8, Type::INT8];
    let rows = match (filter.models.is_empty(), filter.types.is_empty()) {
        (true, true) => {
            let s = c.prepared(ALL, &base)?;
            c.client.query(&s, &[&from, &limit])?
        }
        (false, true) => {
            let s = c.prepared(MODELS, &[Type::INT8, Type::INT8, Type::TEXT_ARRAY])?;
            c.client.query(&s, &[&from, &limit, &filter.models])?
        }
        (true, false) => {
            let s = c.prepared(TYPES, &[Type::INT8, Type::INT8, Type::TEXT_ARRAY])?;
            c.client.query(&s, &[&from, &limit, &filter.types])?
        }
        (false, false) => {
            let s = c.prepared(
                BOTH,
                &[Type::INT8, Type::INT8, Type::TEXT_ARRAY, Type::TEXT_ARRAY],
            )?;
            c.client
                .query(&s, &[&from, &limit, &filter.models, &filter.types])?
        }
    };
    rows.iter().map(event_of).collect()
}

pub(crate) fn read_all(
    c: &mut Conn,
    filter: &ReadFilter,
    from: u64,
    limit: usize,
) -> Result<Vec<RawEvent>> {
    read_all_raw(c, filter, from, limit).map_err(|e| err("cannot read events", e))
}
