//! Snapshots, off the command path.
//!
//! A hot stream lives in the cache and needs no snapshot; one is worth
//! writing only for the next cold load. So a command never serialises a
//! state: when a stream's events since its last snapshot outweigh the state
//! (in bytes, and at least `snapshot_every` of them), the engine hands a
//! cheap clone of the state to a thread of its own, which writes the
//! snapshot unless it came out larger than what it saves a cold load from
//! reading (the stored snapshot and the events since). Its size is
//! remembered, so the next one waits until the events outweigh it again:
//! the bytes serialised stay within twice the bytes of events written,
//! whatever the size of the state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::store::{Snapshot, Store};
use crate::value::Value;

/// What the engine knows of a stream's snapshots, shared by the cache
/// entry and the snapshot thread. Byte counts are of event data, counted
/// from when the state was loaded.
#[derive(Debug, Default)]
pub(crate) struct SnapshotInfo {
    /// Bytes of the last state serialised (written or not): the cost of the
    /// next one, about.
    last_len: AtomicU64,
    /// Bytes of the snapshot in the store (0: none known).
    stored_len: AtomicU64,
    /// The event bytes counted when the stored snapshot was taken.
    stored_at: AtomicU64,
    /// A snapshot of the stream is queued or being written.
    pending: AtomicBool,
}

/// How far a cached state is from its stream's last snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct SnapshotCost {
    /// Bytes of event data folded or appended since the state was loaded.
    bytes: u64,
    /// The version and byte count when a snapshot was last asked for.
    offered_version: u64,
    offered_at: u64,
    info: Arc<SnapshotInfo>,
}

impl SnapshotCost {
    /// A state loaded at `version`, from a snapshot of `stored_len` bytes
    /// (0: from the first event, no snapshot).
    pub fn loaded(version: u64, stored_len: u64) -> SnapshotCost {
        let info = SnapshotInfo::default();
        info.last_len.store(stored_len, Ordering::Relaxed);
        info.stored_len.store(stored_len, Ordering::Relaxed);
        SnapshotCost {
            bytes: 0,
            offered_version: version,
            offered_at: 0,
            info: Arc::new(info),
        }
    }

    pub fn add(&mut self, data_bytes: usize) {
        self.bytes += data_bytes as u64;
    }

    /// Whether a snapshot is worth its cost now: `every` events since the
    /// last one asked for, and more bytes of events since then than the
    /// last state serialised (so the work of snapshots stays within the
    /// work of writing events).
    fn due(&self, version: u64, every: u64) -> bool {
        every > 0
            && version >= self.offered_version + every
            && self.bytes - self.offered_at >= self.info.last_len.load(Ordering::Relaxed)
            && !self.info.pending.load(Ordering::Acquire)
    }

    /// What a cold load reads today besides the events after `version`:
    /// the stored snapshot and the events since it. A new snapshot larger
    /// than that saves nothing.
    fn replaces(&self) -> u64 {
        self.info.stored_len.load(Ordering::Relaxed)
            + (self.bytes - self.info.stored_at.load(Ordering::Relaxed))
    }
}

enum Job {
    Write {
        snapshot: Pending,
        info: Arc<SnapshotInfo>,
    },
    Flush(mpsc::Sender<()>),
}

struct Pending {
    model_fingerprint: String,
    stream: String,
    version: u64,
    state: Value,
    /// What a cold load reads instead, today (see [`SnapshotCost::replaces`]).
    replaces: u64,
    /// The event bytes counted at `version`.
    at: u64,
}

/// How many times `snapshot_every` a state still in the cache waits.
pub(crate) const HOT: u64 = 10;

/// Snapshots queued beyond this are dropped (and asked for again later):
/// a slow disk never makes memory grow.
const QUEUE: usize = 64;

/// The thread that writes snapshots.
pub(crate) struct Snapshotter {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    every: u64,
}

impl std::fmt::Debug for Snapshotter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshotter")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Snapshotter {
    /// `every` 0: never snapshot (no thread is started).
    pub fn start(store: Arc<dyn Store>, every: u64) -> Snapshotter {
        let (jobs, thread) = if every == 0 {
            (None, None)
        } else {
            let (tx, rx) = mpsc::sync_channel(QUEUE);
            let thread = std::thread::Builder::new()
                .name("eventfold-snapshots".into())
                .spawn(move || run(&*store, rx))
                .ok();
            // Without the thread, simply no snapshots: they are never needed.
            (thread.is_some().then_some(tx), thread)
        };
        Snapshotter {
            jobs: Mutex::new(jobs),
            thread: Mutex::new(thread),
            every,
        }
    }

    /// Queues a snapshot of `state` when it is due, and then restarts the
    /// count of `cost`. A `hot` state stays in the cache, where it needs no
    /// snapshot: it waits for [`HOT`] times the events (a crash then costs
    /// a longer replay, never a wrong state); it gets the usual one when it
    /// leaves the cache or the engine closes.
    pub fn offer(
        &self,
        fingerprint: &str,
        stream: &str,
        version: u64,
        state: &Value,
        cost: &mut SnapshotCost,
        hot: bool,
    ) {
        let every = if hot {
            self.every.saturating_mul(HOT)
        } else {
            self.every
        };
        if !cost.due(version, every) {
            return;
        }
        let guard = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(jobs) = guard.as_ref() else { return };
        cost.info.pending.store(true, Ordering::Release);
        let job = Job::Write {
            snapshot: Pending {
                model_fingerprint: fingerprint.to_string(),
                stream: stream.to_string(),
                version,
                state: state.clone(),
                replaces: cost.replaces(),
                at: cost.bytes,
            },
            info: cost.info.clone(),
        };
        match jobs.try_send(job) {
            Ok(()) => {
                cost.offered_version = version;
                cost.offered_at = cost.bytes;
            }
            // Busy or gone: ask again at a later command.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                cost.info.pending.store(false, Ordering::Release);
            }
        }
    }

    /// Returns once every snapshot queued before the call is written.
    pub fn flush(&self) {
        let sender = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(jobs) = sender {
            let (done, wait) = mpsc::channel();
            if jobs.send(Job::Flush(done)).is_ok() {
                let _ = wait.recv();
            }
        }
    }

    /// Writes what is queued, then stops the thread.
    pub fn stop(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn run(store: &dyn Store, jobs: Receiver<Job>) {
    for job in jobs {
        match job {
            Job::Flush(done) => {
                let _ = done.send(());
            }
            Job::Write { snapshot, info } => {
                // About the last one's size: a state of 100,000 todos (6
                // MB) written into a growing buffer spent two thirds of its
                // time in the kernel, zeroing each larger buffer's pages.
                let last = info.last_len.load(Ordering::Relaxed) as usize;
                let state = snapshot
                    .state
                    .to_json_string_with_capacity(last.saturating_add(last / 8).max(64));
                let len = state.len() as u64;
                info.last_len.store(len, Ordering::Relaxed);
                // Never one larger than what it saves a cold load reading.
                if len <= snapshot.replaces {
                    let snap = Snapshot {
                        checksum: checksum(
                            &snapshot.stream,
                            snapshot.version,
                            &snapshot.model_fingerprint,
                            &state,
                        ),
                        stream: snapshot.stream,
                        version: snapshot.version,
                        fingerprint: snapshot.model_fingerprint,
                        state,
                    };
                    // Best effort: a snapshot saves time, it is never needed.
                    if store.save_snapshot(&snap).is_ok() {
                        info.stored_len.store(len, Ordering::Relaxed);
                        info.stored_at.store(snapshot.at, Ordering::Relaxed);
                    }
                }
                info.pending.store(false, Ordering::Release);
            }
        }
    }
}

/// Checksum of a snapshot: a damaged state text (a torn page, a hand edit)
/// fails it and the snapshot is ignored, even when it still decodes.
pub(crate) fn checksum(stream: &str, version: u64, fingerprint: &str, state: &str) -> String {
    let mut h = Sha256::new();
    h.update(stream.as_bytes());
    h.update([0]);
    h.update(version.to_le_bytes());
    h.update(fingerprint.as_bytes());
    h.update([0]);
    h.update(state.as_bytes());
    super::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_needs_enough_events_and_more_bytes_than_the_last_state() {
        let mut c = SnapshotCost::loaded(0, 1000);
        for _ in 0..10 {
            c.add(50);
        }
        assert!(!c.due(10, 11), "too few events");
        assert!(
            !c.due(10, 10),
            "500 bytes of events do not outweigh a 1000-byte state"
        );
        for _ in 0..10 {
            c.add(50);
        }
        assert!(c.due(20, 10));
        assert!(!c.due(20, 0), "0 turns snapshots off");
        assert_eq!(
            c.replaces(),
            2000,
            "the stored snapshot and the events since"
        );
        c.info.pending.store(true, Ordering::Release);
        assert!(!c.due(20, 10), "one at a time per stream");
    }
}
