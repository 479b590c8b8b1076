//! The runner of async projections and of rebuilds: one thread per engine
//! (option `run_projections`), and the `rebuild` verb.
//!
//! - **Batches**: a projection folds up to [`BATCH`] events in one write
//!   transaction that also moves its position, so every event changes the
//!   rows exactly once, whatever crashes. Far behind the head (a new
//!   projection over a long log, a rebuild) it folds [`CATCH_UP`] at a
//!   time: a batch writes each page it changed once, at its commit, and
//!   ten times the events share many more of their pages.
//! - **One runner per projection across processes**: each batch renews, in
//!   its own transaction, a lease on the projection's row. Another engine
//!   finds it held and leaves the projection alone; a lease whose process is
//!   gone, or whose term ran out, is taken over.
//! - **Poison events**: a handler failure undoes the batch; the batch is then
//!   folded again up to that event, which either stops the projection
//!   (`stop`) or is parked and passed (`park`).
//! - **Rebuilds** fold from the first event into shadow tables, in batches,
//!   while the live ones answer reads; the batch that finds nothing more to
//!   fold holds the write lock anyway, so it swaps the tables in the same
//!   transaction: the pause is one short batch.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::projections::{live_names, shadow_names, swap_in, written_names};
use super::{Engine, OnProjectionError, Shared};
use crate::error::{Error, Result};
use crate::language::ast::ProjectionMode;
use crate::language::readside::Projection;
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter};
use crate::Domain;

/// Events folded per transaction.
const BATCH: usize = 1000;
/// Events folded per transaction by a projection more than this many
/// events behind the head. Over a 1,000,000-event store on SQLite this
/// took the fold from about 200,000 to about 265,000 events/s
/// (bench/README.md, "readside"); a writer then waits up to one such batch
/// (about 40 ms there) for the write lock.
const CATCH_UP: usize = 10_000;
/// A rebuild swaps its tables in once at most this many events are left
/// to fold: the swap holds the write lock for those only.
const SWAP_AT: usize = 100;
/// How long a lease lasts unless renewed.
const LEASE_TERM: Duration = Duration::from_secs(15);
/// An idle runner renews its leases this often, so that it keeps them.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long the runner waits on the store's wake-up before it looks again
/// (commits of other processes are seen only by looking).
const IDLE_LOOK: Duration = Duration::from_millis(100);

/// What one round of the runner found.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    /// Some projection folded events: look again at once.
    worked: bool,
    /// Some projection folds commits as they come (a live async one, or a
    /// rebuild): wake on every commit. Without one (inline projections
    /// only) the runner only looks, every [`IDLE_LOOK`], for a rebuild
    /// that another engine asked for; a commit does not wake it, so
    /// writers share no lock with it.
    follows: bool,
}

impl Round {
    /// Nothing folded, but commits matter: wake on the next one.
    const WAITING: Round = Round {
        worked: false,
        follows: true,
    };
}

impl std::ops::BitOrAssign for Round {
    fn bitor_assign(&mut self, other: Round) {
        self.worked |= other.worked;
        self.follows |= other.follows;
    }
}

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rebuilt {
    pub projection: String,
    /// The position the new tables reached.
    pub position: u64,
    /// Events read from the store.
    pub events: u64,
    pub millis: f64,
    /// How long the last batch and the swap held the write lock.
    pub pause_millis: f64,
}

/// The engine's side of its runner: the lease owner name, the thread, and
/// the progress that `wait_for` waits on.
pub(super) struct Runner {
    pub(super) owner: String,
    progress: Mutex<u64>,
    moved: Condvar,
    stop: AtomicBool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Held while a projection is folded in this engine (by the runner, a
    /// rebuild or a migration), by name: the domain may change.
    busy: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// A batch's events, kept between batches (see
    /// [`ReadSideTx::read_all_into`]); a fold takes it and gives it back.
    events: Mutex<Vec<RawEvent>>,
}

impl Runner {
    pub(super) fn new() -> Runner {
        Runner {
            owner: crate::store::lease_owner(),
            progress: Mutex::new(0),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
            thread: Mutex::new(None),
            busy: Mutex::default(),
            events: Mutex::default(),
        }
    }

    /// The lock that one fold of projection `name` at a time holds.
    pub(super) fn busy(&self, name: &str) -> Arc<Mutex<()>> {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    pub(super) fn progress(&self) -> u64 {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn moved_on(&self) {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.moved.notify_all();
    }

    /// Waits until progress passes `seen`, or `timeout`.
    pub(super) fn wait_progress(&self, seen: u64, timeout: Duration) {
        let guard = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.moved.wait_timeout_while(guard, timeout, |p| {
            *p == seen && !self.stop.load(Ordering::Acquire)
        });
    }

    /// Starts the thread (once).
    pub(super) fn start(&self, shared: Weak<Shared>) -> Result<()> {
        let handle = std::thread::Builder::new()
            .name("eventfold-projections".into())
            .spawn(move || run(shared))
            .map_err(|e| Error::StoreError {
                kind: crate::error::StoreErrorKind::Io,
                message: format!("cannot start the projection runner: {e}"),
            })?;
        *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        Ok(())
    }

    /// Stops the thread and waits for it: its batch in flight commits or
    /// rolls back first.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.moved.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            h.thread().unpark();
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// The batch buffer, empty, until the guard drops.
    fn events(&self) -> Events<'_> {
        let events = std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()));
        Events {
            runner: self,
            events,
        }
    }
}

/// [`Runner::events`]: gives the buffer back, emptied, when dropped.
struct Events<'r> {
    runner: &'r Runner,
    events: Vec<RawEvent>,
}

impl std::ops::Deref for Events<'_> {
    type Target = Vec<RawEvent>;
    fn deref(&self) -> &Vec<RawEvent> {
        &self.events
    }
}

impl std::ops::DerefMut for Events<'_> {
    fn deref_mut(&mut self) -> &mut Vec<RawEvent> {
        &mut self.events
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        *self.runner.events.lock().unwrap_or_else(|e| e.into_inner()) = events;
    }
}

/// The runner's loop: fold what is behind, then wait for new events.
fn run(shared: Weak<Shared>) {
    let mut renewed = Instant::now();
    loop {
        let Some(inner) = shared.upgrade() else {
            return;
        };
        let engine = Engine { inner };
        if engine.inner.runner.stopping() || engine.is_closed() {
            return;
        }
        let renew = renewed.elapsed() >= RENEW_EVERY;
        if renew {
            renewed = Instant::now();
        }
        // A store error (busy, I/O) is tried again after a pause; a closed
        // store ends the loop at the check above.
        let round = engine.run_once(renew).unwrap_or(Round::WAITING);
        if round.worked {
            continue;
        }
        if round.follows {
            let head = engine.inner.store.head().unwrap_or(0);
            let store = engine.inner.store.clone();
            drop(engine);
            // Wakes at once on a commit of this process.
            let _ = store.wait(head, IDLE_LOOK);
        } else {
            drop(engine);
            // `stop` unparks it.
            std::thread::park_timeout(IDLE_LOOK);
        }
    }
}

impl Engine {
    /// One round over the projections.
    fn run_once(&self, renew: bool) -> Result<Round> {
        let domain = self.domain();
        let read = domain.read_side();
        let mut round = Round::default();
        for p in &read.projections {
            if self.inner.runner.stopping() {
                break;
            }
            let busy = self.inner.runner.busy(&p.name);
            let _busy = busy.lock().unwrap_or_else(|e| e.into_inner());
            round |= self.step(&domain, p, renew)?;
        }
        Ok(round)
    }

    /// One batch of one projection, if it is this engine's to run and has
    /// work: a rebuild step, or (async) a batch of the live tables.
    fn step(&self, domain: &Domain, p: &Projection, renew: bool) -> Result<Round> {
        let Some(row) = self.projection_row(p)? else {
            return Ok(Round::default());
        };
        let rebuilding = row.shadow_fingerprint.as_deref() == Some(&p.fingerprint);
        let live_async = p.mode == ProjectionMode::Async
            && row.fingerprint == p.fingerprint
            && row.error.is_none()
            && row.shadow_fingerprint.as_deref() != Some(&p.fingerprint);
        if !rebuilding && !live_async {
            return Ok(Round::default());
        }
        let held_by_other = row.lease_live(now_ms())
            && row.lease_owner.as_deref() != Some(&self.inner.runner.owner);
        if held_by_other {
            // Its holder folds it; this one looks again for a lapsed lease.
            return Ok(Round::default());
        }
        let head = self.inner.store.head()?;
        let behind = if rebuilding {
            true
        } else {
            row.position < head
        };
        if !behind {
            if renew {
                self.renew_lease(p)?;
            }
            return Ok(Round::WAITING);
        }
        let worked = if rebuilding {
            let mut noop = |_: u64, _: u64| {};
            let done = self.rebuild_step(domain, p, &mut Stats::default(), &mut noop)?;
            !matches!(done, Step::Idle)
        } else {
            self.batch(domain, p)? > 0
        };
        Ok(Round {
            worked,
            follows: true,
        })
    }

    fn projection_row(&self, p: &Projection) -> Result<Option<ProjectionRow>> {
        let mut row = None;
        self.inner.store.read_side(false, &mut |tx| {
            row = tx.projection(&p.name)?;
            Ok(())
        })?;
        Ok(row)
    }

    /// Takes or renews the lease inside `tx`: `false` when another live
    /// engine holds it.
    fn lease(&self, row: &mut ProjectionRow) -> bool {
        let me = &self.inner.runner.owner;
        let now = now_ms();
        if row.lease_owner.as_deref() != Some(me) && row.lease_live(now) {
            return false;
        }
        row.lease_owner = Some(me.clone());
        row.lease_until = Some(now + LEASE_TERM.as_millis() as i64);
        true
    }

    fn renew_lease(&self, p: &Projection) -> Result<()> {
        self.inner.store.read_side(true, &mut |tx| {
            if let Some(mut row) = tx.projection(&p.name)? {
                if self.lease(&mut row) {
                    tx.put_projection(&row)?;
                }
            }
            Ok(())
        })
    }

    /// Gives up this engine's leases (at close), so another takes over at
    /// once.
    pub(super) fn release_leases(&self) -> Result<()> {
        let domain = self.domain();
        let read = domain.read_side();
        let me = &self.inner.runner.owner;
        self.inner.store.read_side(true, &mut |tx| {
            for p in &read.projections {
                if let Some(mut row) = tx.projection(&p.name)? {
                    if row.lease_owner.as_deref() == Some(me) {
                        row.lease_owner = None;
                        row.lease_until = None;
                        tx.put_projection(&row)?;
                    }
                }
            }
            Ok(())
        })
    }

    /// One batch of an async projection's live tables: how many events
    /// were read (0: nothing to do, or not this engine's).
    fn batch(&self, domain: &Domain, p: &Projection) -> Result<usize> {
        let names = live_names(domain.read_side());
        let mut skip: HashSet<u64> = HashSet::new();
        let mut stop: Option<(u64, String)> = None;
        loop {
            let mut poison = None;
            let mut read_count = 0;
            let written = self.inner.store.read_side(true, &mut |tx| {
                read_count = 0;
                let Some(mut row) = tx.projection(&p.name)? else {
                    return Ok(());
                };
                if row.fingerprint != p.fingerprint
                    || row.error.is_some()
                    || row.shadow_fingerprint.as_deref() == Some(&p.fingerprint)
                    || !self.lease(&mut row)
                {
                    return Ok(());
                }
                let stop_before = stop.as_ref().map(|s| s.0);
                let (n, position) = self.fold_pass(
                    domain,
                    tx,
                    p,
                    &names,
                    row.position,
                    stop_before,
                    &skip,
                    &mut poison,
                )?;
                read_count = n;
                row.position = position;
                if let Some((at, error)) = &stop {
                    row.error = Some(error.clone());
                    row.error_position = Some(*at);
                }
                tx.put_projection(&row)
            });
            match (written, poison) {
                (Ok(()), _) => {
                    self.inner.runner.moved_on();
                    return Ok(read_count);
                }
                (Err(_), Some((bad, e))) => self.poisoned(p, &bad, &e, &mut skip, &mut stop)?,
                (Err(e), None) => return Err(e),
            }
        }
    }

    /// A handler failed on `bad`: park it and pass it by, or stop there,
    /// as the engine's `on_projection_error` says; the batch is then folded
    /// again.
    fn poisoned(
        &self,
        p: &Projection,
        bad: &RawEvent,
        e: &Error,
        skip: &mut HashSet<u64>,
        stop: &mut Option<(u64, String)>,
    ) -> Result<()> {
        match self.inner.options.on_projection_error {
            OnProjectionError::Park => {
                self.inner.store.park(&p.name, bad, &error_text(e))?;
                skip.insert(bad.position);
            }
            OnProjectionError::Stop => *stop = Some((bad.position, error_json(e))),
        }
        Ok(())
    }

    /// Folds the next batch of events past `after` onto the tables
    /// `names`, passing over `skip` and stopping before `stop_before`.
    /// Returns how many events were read and the position reached. A
    /// handler failure is handed back in `poison`, with an error that rolls
    /// the transaction back (its rows are half written).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fold_pass(
        &self,
        domain: &Domain,
        tx: &mut dyn ReadSideTx,
        p: &Projection,
        names: &[String],
        after: u64,
        stop_before: Option<u64>,
        skip: &HashSet<u64>,
        poison: &mut Option<(RawEvent, Error)>,
    ) -> Result<(usize, u64)> {
        let head = tx.head()?;
        let filter = ReadFilter {
            models: domain.projection_models(p),
            types: Vec::new(),
        };
        let mut events = self.inner.runner.events();
        let limit = if head.saturating_sub(after) > CATCH_UP as u64 {
            CATCH_UP
        } else {
            BATCH
        };
        tx.read_all_into(&filter, after + 1, limit, &mut events)?;
        let read = domain.read_side();
        let mut reached = if events.len() == limit {
            events.last().map_or(head, |e| e.position)
        } else {
            head
        };
        tx.with_rows(read, names, &mut |rows| {
            for e in events.iter() {
                if stop_before == Some(e.position) {
                    reached = e.position - 1;
                    return Ok(());
                }
                if skip.contains(&e.position) {
                    continue;
                }
                if let Err(err) = domain.project_stored(p, e, rows) {
                    if matches!(err, Error::StoreError { .. } | Error::Internal { .. }) {
                        return Err(err);
                    }
                    let message = format!(
                        "projection {} failed at position {}: {err}",
                        p.name, e.position
                    );
                    *poison = Some((e.clone(), err));
                    return Err(Error::EvaluationError { message });
                }
            }
            Ok(())
        })?;
        Ok((events.len(), reached))
    }

    /// One step of a rebuild into the shadow tables: a batch, or, once
    /// caught up, the swap (in the same transaction, under the write lock).
    fn rebuild_step(
        &self,
        domain: &Domain,
        p: &Projection,
        stats: &mut Stats,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Step> {
        let read = domain.read_side();
        let names = shadow_names(read, p);
        let mut skip: HashSet<u64> = HashSet::new();
        let mut stop: Option<(u64, String)> = None;
        loop {
            let mut poison = None;
            let mut step = Step::Idle;
            let mut seen = (0, 0);
            let started = Instant::now();
            let written = self.inner.store.read_side(true, &mut |tx| {
                step = Step::Idle;
                let Some(mut row) = tx.projection(&p.name)? else {
                    return Ok(());
                };
                if row.shadow_fingerprint.as_deref() != Some(&p.fingerprint)
                    || !self.lease(&mut row)
                {
                    return Ok(());
                }
                let stop_before = stop.as_ref().map(|s| s.0);
                // The swap folds the last few events only: the pause it
                // makes writers take stays short.
                let head = tx.head()?;
                let last_step = head.saturating_sub(row.shadow_position) <= SWAP_AT as u64;
                let (n, position) = self.fold_pass(
                    domain,
                    tx,
                    p,
                    &names,
                    row.shadow_position,
                    stop_before,
                    &skip,
                    &mut poison,
                )?;
                seen = (n as u64, position);
                if let Some((at, error)) = &stop {
                    // The new projection cannot fold the history: the
                    // shadow goes, the live tables stay, and it stops.
                    tx.drop_tables(&written_names(read, p, true))?;
                    row.shadow_fingerprint = None;
                    row.shadow_position = 0;
                    row.error = Some(error.clone());
                    row.error_position = Some(*at);
                    step = Step::Stopped;
                } else if last_step && position >= head {
                    swap_in(tx, read, p, &mut row, position)?;
                    step = Step::Swapped;
                } else {
                    row.shadow_position = position;
                    step = Step::Folded;
                }
                tx.put_projection(&row)?;
                progress(position, head);
                Ok(())
            });
            match (written, poison) {
                (Ok(()), _) => {
                    stats.events += seen.0;
                    if matches!(step, Step::Swapped | Step::Stopped) {
                        stats.pause_millis = started.elapsed().as_secs_f64() * 1000.0;
                    }
                    self.inner.runner.moved_on();
                    return Ok(step);
                }
                (Err(_), Some((bad, e))) => self.poisoned(p, &bad, &e, &mut skip, &mut stop)?,
                (Err(e), None) => return Err(e),
            }
        }
    }

    /// Rebuilds a projection's tables from the first event, in shadow
    /// tables while the live ones answer reads, then swaps them in.
    pub fn rebuild(&self, projection: &str) -> Result<Rebuilt> {
        self.rebuild_with_progress(projection, &mut |_, _| {})
    }

    /// `rebuild`, telling `progress` (position reached, head) after each
    /// batch.
    pub fn rebuild_with_progress(
        &self,
        projection: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Rebuilt> {
        self.check_open()?;
        let domain = self.domain();
        let read = domain.read_side();
        let p = super::projections::projection_named(read, projection)?;
        let started = Instant::now();
        let busy = self.inner.runner.busy(&p.name);
        let _busy = busy.lock().unwrap_or_else(|e| e.into_inner());
        let mut ours = false;
        self.inner.store.read_side(true, &mut |tx| {
            let mut row = tx
                .projection(&p.name)?
                .unwrap_or_else(|| ProjectionRow::new(p));
            ours = self.lease(&mut row);
            super::projections::start_shadow(tx, read, p, &mut row)?;
            tx.put_projection(&row)
        })?;
        let mut stats = Stats::default();
        if ours {
            loop {
                match self.rebuild_step(&domain, p, &mut stats, progress)? {
                    Step::Folded => continue,
                    Step::Swapped => break,
                    Step::Stopped => return Err(self.stopped_error(p)?),
                    Step::Idle => {
                        return Err(Error::StoreError {
                            kind: crate::error::StoreErrorKind::Busy,
                            message: format!(
                                "projection {} was taken over by another engine during its \
                                 rebuild; it goes on there",
                                p.name
                            ),
                        })
                    }
                }
            }
        } else {
            self.await_rebuild(p, progress)?;
        }
        let row = self
            .projection_row(p)?
            .unwrap_or_else(|| ProjectionRow::new(p));
        Ok(Rebuilt {
            projection: p.name.to_string(),
            position: row.position,
            events: stats.events,
            millis: started.elapsed().as_secs_f64() * 1000.0,
            pause_millis: stats.pause_millis,
        })
    }

    /// Another engine runs the projection: it rebuilds the shadow marked
    /// for it; wait until it swaps, failing when it makes no progress.
    fn await_rebuild(&self, p: &Projection, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
        let mut last = (0, Instant::now());
        loop {
            let row = self
                .projection_row(p)?
                .unwrap_or_else(|| ProjectionRow::new(p));
            if row.error.is_some() {
                return Err(self.stopped_error(p)?);
            }
            if row.shadow_fingerprint.as_deref() != Some(&p.fingerprint) {
                return Ok(());
            }
            let head = self.inner.store.head()?;
            progress(row.shadow_position, head);
            if row.shadow_position != last.0 {
                last = (row.shadow_position, Instant::now());
            } else if last.1.elapsed() > LEASE_TERM * 2 {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Busy,
                    message: format!(
                        "projection {} is run by another engine ({}), which does not rebuild \
                         it: open that engine with this model, or stop it",
                        p.name,
                        row.lease_owner.as_deref().unwrap_or("unknown")
                    ),
                });
            }
            let seen = self.inner.runner.progress();
            self.inner.runner.wait_progress(seen, IDLE_LOOK);
            self.check_open()?;
        }
    }

    fn stopped_error(&self, p: &Projection) -> Result<Error> {
        let row = self
            .projection_row(p)?
            .unwrap_or_else(|| ProjectionRow::new(p));
        Ok(super::projections::stored_error(&p.name, &row))
    }

    /// `rebuild`, as JSON.
    pub fn rebuild_json(&self, projection: &str) -> Result<String> {
        Ok(super::json::to_json(&self.rebuild(projection)?))
    }
}

fn error_json(e: &Error) -> String {
    let mut j = e.to_json();
    if let serde_json::Value::Object(o) = &mut j {
        o.retain(|k, _| k == "code" || k == "message" || k == "limit");
    }
    j.to_string()
}

fn error_text(e: &Error) -> String {
    format!("{}: {e}", e.code())
}

#[derive(Default)]
struct Stats {
    events: u64,
    pause_millis: f64,
}

enum Step {
    /// Not this engine's, or nothing to rebuild.
    Idle,
    /// A batch folded into the shadow.
    Folded,
    /// Swapped in.
    Swapped,
    /// The new projection failed on an event and stopped.
    Stopped,
}
