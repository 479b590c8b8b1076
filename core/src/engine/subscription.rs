//! Subscriptions: stored events, upcast, delivered to host code in global
//! position order, at least once, from a durable checkpoint, with one
//! consumer per name at a time (ARCHITECTURE.md, "Subscriptions").
//!
//! How, and why:
//! - **The checkpoint** is the last position the host acknowledged, in the
//!   store (`eventfold_subscriptions`). A handle delivers on from where it
//!   last delivered; a new one (or one that lost its lease) starts after
//!   the checkpoint, so whatever was delivered but not acknowledged comes
//!   again: at least once, never a gap. Positions are never skipped because
//!   the store never lets a reader see a position before every earlier one
//!   (the `Store` contract), and a handle reads on from one past the last
//!   position it saw, or past the head it read before an empty page.
//! - **One consumer per name**: a lease in the store
//!   (`subscription:NAME`), taken at the first poll and renewed as polls and
//!   acks go by (every [`RENEW_AFTER`], for a [`LEASE_TTL`]). A poll that
//!   cannot take it waits (within its timeout) and returns `[]`. A holder
//!   whose process is gone frees it at once (`Lease::free_for`).
//! - **Waking**: a poll waits in `Store::wait`, which a commit of this
//!   process ends at once; a commit of another process (SQLite) is seen at
//!   the next slice of [`SLICE`], the same wait again. `close` ends a
//!   blocked poll with `Store::wake`. A poll waiting for the lease is woken
//!   by any release in this process, and tries again every slice for those
//!   of other processes. There is no sleep: every pause is a wait that an
//!   event ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::json::to_json;
use super::{Engine, StoredEvent};
use crate::error::{Error, Result, StoreErrorKind};
use crate::options::{SubscribeFrom, SubscribeOptions};
use crate::store::{self, ReadFilter, SubscriptionRow};

/// How long a lease lasts past its last renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(15);
/// A held lease is renewed by the first poll or ack this long after the
/// last renewal (a renewal is a write; once per poll would cost an fsync
/// per batch).
pub const RENEW_AFTER: Duration = Duration::from_secs(5);
/// The longest a poll waits before it looks again at what other processes
/// did (their commits, their leases).
pub const SLICE: Duration = Duration::from_millis(50);

/// A consumer of one subscription. `Send + Sync`: poll from one thread,
/// close from another. Polls of one handle run one at a time.
#[derive(Debug)]
pub struct Subscription {
    inner: Arc<Handle>,
}

#[derive(Debug)]
struct Handle {
    engine: Engine,
    name: String,
    /// `subscription:NAME`.
    lease: String,
    /// This handle's own owner: two handles of one process are two owners.
    owner: String,
    /// What the store reads: the models only. Types are matched after
    /// upcasting (`types`), so an old event that now reads as a wanted
    /// type is delivered, and one that reads as another is not.
    filter: ReadFilter,
    /// The event types delivered (empty: every one).
    types: Vec<String>,
    closed: AtomicBool,
    /// The next position to read; `None`: one past the durable checkpoint,
    /// read once the lease is held.
    cursor: Mutex<Option<u64>>,
    held: Mutex<Held>,
    /// The last position this handle delivered (what `ack` and `park` may
    /// name).
    delivered: AtomicU64,
}

#[derive(Debug, Default)]
struct Held {
    held: bool,
    renewed: Option<Instant>,
}

/// The engine's open handles, closed with it.
#[derive(Debug, Default)]
pub(super) struct Registry {
    handles: Mutex<Vec<Weak<Handle>>>,
}

impl Registry {
    fn add(&self, handle: &Arc<Handle>) {
        let mut h = lock(&self.handles);
        h.retain(|w| w.strong_count() > 0);
        h.push(Arc::downgrade(handle));
    }

    /// Closes every open handle (their leases are released while the store
    /// is still open).
    pub(super) fn close_all(&self) {
        let handles: Vec<_> = lock(&self.handles).drain(..).collect();
        for h in handles.iter().filter_map(Weak::upgrade) {
            let _ = h.close();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Leases released in this process: a poll waiting for one is woken by
/// the next release instead of its slice running out.
static RELEASES: Mutex<u64> = Mutex::new(0);
static RELEASED: Condvar = Condvar::new();

fn releases() -> u64 {
    *lock(&RELEASES)
}

fn released() {
    *lock(&RELEASES) += 1;
    RELEASED.notify_all();
}

/// Waits up to `timeout` for a release after `seen` (or a close: it counts
/// as one).
fn wait_release(seen: u64, timeout: Duration) {
    let count = lock(&RELEASES);
    if *count == seen {
        let _ = RELEASED.wait_timeout_while(count, timeout, |c| *c == seen);
    }
}

fn closed_subscription(name: &str) -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Closed,
        message: format!("subscription {name} is closed: subscribe again to go on"),
    }
}

impl Handle {
    fn store(&self) -> &dyn store::Store {
        &*self.engine.inner.store
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_subscription(&self.name));
        }
        self.engine.check_open()
    }

    /// Holds the lease now: takes it, or renews it when due. False while
    /// another owner holds it, or once closed.
    fn hold_lease(&self) -> Result<bool> {
        let mut held = lock(&self.held);
        if self.closed.load(Ordering::Acquire) {
            return Ok(false);
        }
        if held.held && held.renewed.is_some_and(|r| r.elapsed() < RENEW_AFTER) {
            return Ok(true);
        }
        let got = self
            .store()
            .take_lease(&self.lease, &self.owner, LEASE_TTL)?;
        held.held = got;
        held.renewed = got.then(Instant::now);
        Ok(got)
    }

    /// Renews a held lease when due; takes none.
    fn renew(&self) -> Result<()> {
        let held = lock(&self.held).held;
        if held {
            self.hold_lease()?;
        }
        Ok(())
    }

    fn check_delivered(&self, position: u64) -> Result<()> {
        let delivered = self.delivered.load(Ordering::Acquire);
        if position > delivered {
            return Err(Error::InvalidCommand {
                path: "position".into(),
                message: format!(
                    "subscription {} has not delivered position {position} (the last it \
                     delivered is {delivered}): ack or park the position of an event poll returned",
                    self.name
                ),
            });
        }
        Ok(())
    }

    fn poll(&self, max: usize, timeout: Duration) -> Result<Vec<StoredEvent>> {
        self.check_open()?;
        // An unreachable deadline (a timeout of years) waits for ever.
        let deadline = Instant::now().checked_add(timeout);
        let left = || {
            deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        let mut cursor = lock(&self.cursor);
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Ok(Vec::new());
            }
            let seen = releases();
            if !self.hold_lease()? {
                // Whoever holds it now may ack past where this handle was:
                // start again after the checkpoint once it is back.
                *cursor = None;
                let wait = left().min(SLICE);
                if wait.is_zero() {
                    return Ok(Vec::new());
                }
                wait_release(seen, wait);
                continue;
            }
            let store = self.store();
            let next = match *cursor {
                Some(n) => n,
                None => store
                    .subscription(&self.name)?
                    .map_or(0, |r| r.checkpoint)
                    .saturating_add(1),
            };
            *cursor = Some(next);
            if max == 0 {
                return Ok(Vec::new());
            }
            // Every position up to `head` is visible once it is read, so an
            // empty (or short) page means none up to it passes the filter.
            let head = store.head()?;
            let raw = store.read_all(&self.filter, next, max)?;
            if let Some(last) = raw.last() {
                let domain = self.engine.domain();
                let mut out = Vec::with_capacity(raw.len());
                for (i, e) in raw.iter().enumerate() {
                    let before = out.len();
                    let typed = self.engine.typed(&domain, e, &mut out);
                    if typed.is_ok() && !self.types.is_empty() {
                        let these = out.split_off(before);
                        out.extend(
                            these
                                .into_iter()
                                .filter(|ev| self.types.contains(&ev.event_type)),
                        );
                    }
                    if let Err(err) = typed {
                        out.truncate(before);
                        if i == 0 {
                            // The host may park (or ack) it to go on.
                            self.delivered.fetch_max(e.position, Ordering::AcqRel);
                            return Err(err);
                        }
                        // Those before it now; it fails on the next poll.
                        *cursor = Some(e.position);
                        self.delivered
                            .fetch_max(raw[i - 1].position, Ordering::AcqRel);
                        if out.is_empty() {
                            continue;
                        }
                        return Ok(out);
                    }
                }
                let after = last.position.saturating_add(1);
                *cursor = Some(if raw.len() < max {
                    after.max(head.saturating_add(1))
                } else {
                    after
                });
                self.delivered.fetch_max(last.position, Ordering::AcqRel);
                if !out.is_empty() {
                    return Ok(out);
                }
                // The page upcast to nothing the host wants: read on.
                continue;
            }
            *cursor = Some(next.max(head.saturating_add(1)));
            let wait = left().min(SLICE);
            if wait.is_zero() {
                return Ok(Vec::new());
            }
            match store.wait(head, wait) {
                Ok(_) => {}
                Err(_) if self.closed.load(Ordering::Acquire) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            }
        }
    }

    fn ack(&self, position: u64) -> Result<()> {
        self.check_open()?;
        self.check_delivered(position)?;
        if position == 0 {
            return Ok(());
        }
        self.store().ack(&self.name, position)?;
        self.renew()
    }

    fn park(&self, position: u64, reason: &str) -> Result<()> {
        self.check_open()?;
        self.check_delivered(position)?;
        let store = self.store();
        let event = store
            .read_all(&ReadFilter::all(), position, 1)?
            .into_iter()
            .find(|e| e.position == position)
            .ok_or_else(|| Error::InvalidCommand {
                path: "position".into(),
                message: format!("no event is stored at position {position}: park the position of an event poll returned"),
            })?;
        store.park(&self.name, &event, reason)?;
        store.ack(&self.name, position)?;
        self.renew()
    }

    fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // A poll blocked in the store, or waiting for the lease, returns.
        self.store().wake();
        released();
        let mut held = lock(&self.held);
        let out = if held.held {
            held.held = false;
            self.store().release_lease(&self.lease, &self.owner)
        } else {
            Ok(())
        };
        drop(held);
        released();
        match out {
            // The store went first (the engine was closed): the lease ends
            // with its ttl, or at once since this process's handle is gone.
            Err(Error::StoreError {
                kind: StoreErrorKind::Closed,
                ..
            }) => Ok(()),
            other => other,
        }
    }
}

impl Subscription {
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Up to `max` events after the last one this handle delivered (a new
    /// handle starts after the durable checkpoint), waiting up to `timeout`
    /// for the first. Several events that one stored event upcasts to share
    /// its position and come together, so a page may hold a few more than
    /// `max`. `[]` at the timeout, while another consumer holds the name,
    /// or when `close` is called meanwhile.
    pub fn poll(&self, max: usize, timeout: Duration) -> Result<Vec<StoredEvent>> {
        self.inner.poll(max, timeout)
    }

    /// [`Subscription::poll`] as a JSON array of stored events:
    /// `[{"id","stream","version","position","type","schema","data","metadata"}]`.
    pub fn poll_json(&self, max: usize, timeout: Duration) -> Result<String> {
        Ok(to_json(&self.poll(max, timeout)?))
    }

    /// Stores the checkpoint durably: everything up to `position` is done.
    /// A position this handle has not delivered is an `invalid_command`; 0
    /// does nothing; the checkpoint never moves back.
    pub fn ack(&self, position: u64) -> Result<()> {
        self.inner.ack(position)
    }

    /// Keeps the (stored) event at `position` in `eventfold_parked` with
    /// `reason`, and acks it. Parking a position twice keeps the first.
    pub fn park(&self, position: u64, reason: &str) -> Result<()> {
        self.inner.park(position, reason)
    }

    /// Releases the lease; a poll blocked in another thread returns `[]`
    /// at once; later calls fail with `store_error`. Twice is fine.
    pub fn close(&self) -> Result<()> {
        self.inner.close()
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let _ = self.inner.close();
    }
}

/// A row of `subscriptions_json`.
#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    checkpoint: u64,
    /// Positions between the checkpoint and the head (whether or not they
    /// pass the filters: counting those would read them all).
    lag: u64,
    parked: u64,
    models: &'a [String],
    types: &'a [String],
    /// A live consumer holds its lease now.
    active: bool,
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 1024 || name.contains('\0') {
        return Err(Error::InvalidCommand {
            path: "name".into(),
            message: "the name of a subscription is 1 to 1024 bytes of text, without NUL".into(),
        });
    }
    Ok(())
}

impl Engine {
    /// Opens a consumer of subscription `name`, creating the subscription
    /// (its checkpoint from `options.from`) when it is new; one that exists
    /// resumes at its checkpoint. The filters given replace the stored
    /// ones; those not given stay. `types` applies to events as upcast
    /// (what the host reads), `models` to the stored stream's model.
    pub fn subscribe(&self, name: &str, options: &SubscribeOptions) -> Result<Subscription> {
        self.check_open()?;
        check_name(name)?;
        let store = &*self.inner.store;
        let row = match store.subscription(name)? {
            Some(old) => SubscriptionRow {
                models: options.models.clone().unwrap_or(old.models),
                types: options.types.clone().unwrap_or(old.types),
                ..old
            },
            None => SubscriptionRow {
                name: name.to_string(),
                checkpoint: match options.from {
                    SubscribeFrom::Start => 0,
                    SubscribeFrom::End => store.head()?,
                    SubscribeFrom::Position(p) => p.saturating_sub(1),
                },
                models: options.models.clone().unwrap_or_default(),
                types: options.types.clone().unwrap_or_default(),
                created_at: store::readers::stamp(),
            },
        };
        store.put_subscription(&row)?;
        let handle = Arc::new(Handle {
            engine: self.clone(),
            name: name.to_string(),
            lease: format!("subscription:{name}"),
            owner: store::lease_owner(),
            filter: ReadFilter {
                models: row.models,
                types: Vec::new(),
            },
            types: row.types,
            closed: AtomicBool::new(false),
            cursor: Mutex::new(None),
            held: Mutex::new(Held::default()),
            delivered: AtomicU64::new(0),
        });
        self.inner.subscriptions.add(&handle);
        Ok(Subscription { inner: handle })
    }

    /// `options`: `{"from": "start" (default) | "end" | position
    /// (inclusive), "models": [...], "types": [...]}`.
    pub fn subscribe_json(&self, name: &str, options: Option<&str>) -> Result<Subscription> {
        self.check_open()?;
        let options = match options {
            Some(text) => SubscribeOptions::from_json(&self.current().domain.parse_json(text)?)?,
            None => SubscribeOptions::default(),
        };
        self.subscribe(name, &options)
    }

    /// `[{"name", "checkpoint", "lag", "parked", "models", "types",
    /// "active"}]`, by name.
    pub fn subscriptions_json(&self) -> Result<String> {
        self.check_open()?;
        let store = &*self.inner.store;
        let head = store.head()?;
        let now = store::readers::now_ms();
        let rows = store.subscriptions()?;
        let mut listed = Vec::with_capacity(rows.len());
        for r in &rows {
            listed.push(Listed {
                name: &r.name,
                checkpoint: r.checkpoint,
                lag: head.saturating_sub(r.checkpoint),
                parked: store.parked_count(&r.name)?,
                models: &r.models,
                types: &r.types,
                active: store
                    .lease(&format!("subscription:{}", r.name))?
                    .is_some_and(|l| l.active(now)),
            });
        }
        Ok(to_json(&listed))
    }

    /// Parked events of a subscription or projection, oldest first:
    /// `[{"name", "position", "reason", "parked_at", "event"}]`, the event
    /// as stored (data and metadata byte for byte, not upcast). A name with
    /// nothing parked, or unknown, gives `[]`.
    pub fn parked_json(&self, name: &str) -> Result<String> {
        self.check_open()?;
        let parked = self.inner.store.parked(name)?;
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = String::from("[");
        for (i, p) in parked.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let event = super::read::raw_events_json(std::slice::from_ref(&p.event))?;
            out.push_str(&format!(
                "{{\"name\":{},\"position\":{},\"reason\":{},\"parked_at\":{},\"event\":{}}}",
                q(&p.name),
                p.position,
                q(&p.reason),
                q(&p.parked_at),
                &event[1..event.len() - 1]
            ));
        }
        out.push(']');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, EngineOptions, Source};

    fn engine() -> Engine {
        let domain = Domain::compile(&[Source::new(
            "c.model",
            "model C { state { n: int } command go() { emit went(by: 1) } \
             event went(by: int) { set n = n + by } }",
        )])
        .unwrap();
        let e = Engine::open("memory:", domain, EngineOptions::default()).unwrap();
        for _ in 0..3 {
            e.execute_json("C", "1", r#"{"type": "go", "data": {}}"#, None)
                .unwrap();
        }
        e
    }

    fn positions(events: &[StoredEvent]) -> Vec<u64> {
        events.iter().map(|e| e.position).collect()
    }

    /// A handle whose lease was taken over (it stalled past its ttl) starts
    /// again after the checkpoint once it has the lease back: whoever held
    /// it may have acked past it, or not as far.
    #[test]
    fn a_handle_that_lost_its_lease_restarts_at_the_checkpoint() {
        let e = engine();
        let s = e.subscribe("s", &SubscribeOptions::default()).unwrap();
        assert_eq!(positions(&s.poll(10, Duration::ZERO).unwrap()), [1, 2, 3]);
        s.ack(1).unwrap();
        let store = &*e.inner.store;
        let h = &*s.inner;
        store.release_lease(&h.lease, &h.owner).unwrap();
        assert!(store.take_lease(&h.lease, "thief", LEASE_TTL).unwrap());
        // Its renewal is due: it finds the lease gone.
        lock(&h.held).renewed = None;
        assert_eq!(s.poll(10, Duration::ZERO).unwrap(), vec![]);
        assert!(!lock(&h.held).held);
        store.release_lease(&h.lease, "thief").unwrap();
        assert_eq!(positions(&s.poll(10, Duration::ZERO).unwrap()), [2, 3]);
    }

    /// Stored events an upcast splits, drops or keeps: the host sees what
    /// the model reads them as, and the type filter applies to that.
    #[test]
    fn upcast_events_share_a_position_and_are_filtered_as_read() {
        let domain = Domain::compile(&[Source::new(
            "u.model",
            "model U {\n state { n: int }\n command go() { emit moved(by: 1) }\n \
             event moved(by: int) { set n = n + by }\n \
             event flagged(on: bool) { set n = n }\n \
             upcast split@1(by: int) {\n emit moved(by)\n emit flagged(on: true)\n }\n \
             upcast gone@1(x: int) {\n }\n}\n",
        )])
        .unwrap();
        let store: Arc<dyn store::Store> = Arc::from(store::open("memory:").unwrap());
        let new: Vec<store::NewEvent> = [
            ("split", r#"{"by":2}"#),
            ("gone", r#"{"x":1}"#),
            ("moved", r#"{"by":3}"#),
        ]
        .iter()
        .enumerate()
        .map(|(i, (t, d))| store::NewEvent {
            id: format!("id-{i}"),
            event_type: t.to_string(),
            schema: 1,
            data: d.to_string(),
            metadata: "{}".into(),
        })
        .collect();
        store
            .write(&mut |tx| {
                tx.append(&[store::Append {
                    stream: "U-1".into(),
                    model: "U".into(),
                    expected_version: 0,
                    events: new.clone(),
                    command_id: None,
                }])
                .map(|_| ())
            })
            .unwrap();
        let e = Engine::with_store(store, domain, EngineOptions::default()).unwrap();
        let all = e.subscribe("all", &SubscribeOptions::default()).unwrap();
        let got = all.poll(10, Duration::ZERO).unwrap();
        let seen: Vec<(u64, &str)> = got
            .iter()
            .map(|ev| (ev.position, ev.event_type.as_str()))
            .collect();
        assert_eq!(seen, [(1, "moved"), (1, "flagged"), (3, "moved")]);
        assert_eq!(got, e.read_all(None, None).unwrap());
        // Pages of one stored event: the split one comes whole, the dropped
        // one is read past.
        let paged = e.subscribe("paged", &SubscribeOptions::default()).unwrap();
        assert_eq!(positions(&paged.poll(1, Duration::ZERO).unwrap()), [1, 1]);
        assert_eq!(positions(&paged.poll(1, Duration::ZERO).unwrap()), [3]);
        let only = |name: &str, t: &str| {
            let s = e
                .subscribe(
                    name,
                    &SubscribeOptions {
                        types: Some(vec![t.to_string()]),
                        ..SubscribeOptions::default()
                    },
                )
                .unwrap();
            s.poll(10, Duration::ZERO).unwrap()
        };
        let flagged = only("flagged", "flagged");
        assert_eq!(positions(&flagged), [1]);
        assert_eq!(flagged[0].event_type, "flagged");
        assert_eq!(positions(&only("moved", "moved")), [1, 3]);
        assert_eq!(
            only("split", "split"),
            vec![],
            "the stored type is read as others"
        );
    }

    #[test]
    fn names_are_checked() {
        let e = engine();
        for bad in ["", "a\0b", &"x".repeat(1025)] {
            let err = e.subscribe(bad, &SubscribeOptions::default()).unwrap_err();
            assert_eq!(err.code(), "invalid_command", "{bad:?}");
        }
        assert!(e
            .subscribe("ünï:code", &SubscribeOptions::default())
            .is_ok());
    }

    #[test]
    fn max_zero_takes_the_lease_and_delivers_nothing() {
        let e = engine();
        let s = e.subscribe("z", &SubscribeOptions::default()).unwrap();
        assert_eq!(s.poll(0, Duration::ZERO).unwrap(), vec![]);
        assert!(lock(&s.inner.held).held);
        assert_eq!(s.poll(1, Duration::ZERO).unwrap().len(), 1);
    }
}
