//! Snapshots, off the command path.
//!
//! A hot stream lives in the cache and needs no snapshot; one is worth
//! writing only for the next cold load. So a command never serialises a
//! state: when a stream's events since its last snapshot outweigh the state
//! (in bytes, and at least `snapshot_every` of them), the engine hands a
//! cheap clone of the state to a thread of its own, which writes the
//! snapshot unless it came out larger than the events it saves. Its size is
//! remembered, so the next one waits until the events outweigh it again:
//! the work of snapshots stays proportional to the events written, whatever
//! the size of the state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::store::{Snapshot, Store};
use crate::value::Value;

/// What the engine knows of a stream's snapshots, shared by the cache
/// entry and a snapshot being written.
#[derive(Debug, Default)]
pub(crate) struct SnapshotInfo {
    /// Bytes of the last snapshot written or read (0: none yet).
    state_bytes: AtomicU64,
    /// A snapshot of the stream is queued or being written.
    pending: AtomicBool,
}

/// How far a cached state is from its stream's last snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct SnapshotCost {
    /// Events folded or appended since the last snapshot.
    pub events: u64,
    /// Bytes of their data.
    pub bytes: u64,
    pub info: Arc<SnapshotInfo>,
}

impl SnapshotCost {
    /// Starting from a snapshot of `state_bytes` bytes (0: none).
    pub fn from_snapshot(state_bytes: u64) -> SnapshotCost {
        let info = SnapshotInfo::default();
        info.state_bytes.store(state_bytes, Ordering::Relaxed);
        SnapshotCost {
            events: 0,
            bytes: 0,
            info: Arc::new(info),
        }
    }

    pub fn add(&mut self, data_bytes: usize) {
        self.events += 1;
        self.bytes += data_bytes as u64;
    }

    /// Whether a snapshot now saves more than it costs.
    fn due(&self, every: u64) -> bool {
        every > 0
            && self.events >= every
            && self.bytes >= self.info.state_bytes.load(Ordering::Relaxed)
            && !self.info.pending.load(Ordering::Acquire)
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
    /// Bytes of the events this snapshot saves a cold load from reading.
    saves: u64,
}

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
    /// count of `cost`.
    pub fn offer(
        &self,
        fingerprint: &str,
        stream: &str,
        version: u64,
        state: &Value,
        cost: &mut SnapshotCost,
    ) {
        if !cost.due(self.every) {
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
                saves: cost.bytes,
            },
            info: cost.info.clone(),
        };
        match jobs.try_send(job) {
            Ok(()) => {
                cost.events = 0;
                cost.bytes = 0;
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
                let state = snapshot.state.to_json_string();
                info.state_bytes
                    .store(state.len() as u64, Ordering::Relaxed);
                // Never one larger than the events it saves reading.
                if state.len() as u64 <= snapshot.saves {
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
                    let _ = store.save_snapshot(&snap);
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
    fn due_needs_enough_events_and_more_bytes_than_the_state() {
        let mut c = SnapshotCost::from_snapshot(1000);
        for _ in 0..10 {
            c.add(50);
        }
        assert!(!c.due(11), "too few events");
        assert!(
            !c.due(10),
            "500 bytes of events do not outweigh a 1000-byte state"
        );
        for _ in 0..10 {
            c.add(50);
        }
        assert!(c.due(10));
        assert!(!c.due(0), "0 turns snapshots off");
        c.info.pending.store(true, Ordering::Release);
        assert!(!c.due(10), "one at a time per stream");
    }
}
