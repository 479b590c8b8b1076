//! An in-memory store: the same contract as SQLite, gone with the process.
//! One mutex over everything, held through a whole write: appends are atomic
//! and ordered by construction, and a failed write is undone from its marks.
//! Positions are indexes into one log that only a committed write extends,
//! under that mutex, so a reader never sees a later position before an
//! earlier one.

mod log;
mod readside;

use std::collections::HashMap;

use foldhash::fast::RandomState as FastHash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::notify::Notifier;
use super::{closed, Append, CommandRecord, RawEvent, ReadFilter, Snapshot, Store, Visit, WriteFn};
use super::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};
use super::{Lease, Parked, SubscriptionRow};
use crate::error::{Error, Result};

// Subscriptions, parking and leases (issue 13).
mod readers;

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Option<Inner>>,
    notifier: Notifier,
}

#[derive(Debug, Default)]
struct Inner {
    /// The global log; position `p` is at index `p - 1`.
    log: log::Log,
    streams: HashMap<String, StreamData, FastHash>,
    /// By (stream, fingerprint): each model version keeps its own.
    snapshots: HashMap<(String, String), Snapshot>,
    commands: HashMap<(String, String), CommandRecord, FastHash>,
    /// The command keys recorded by the write in progress, oldest first:
    /// what a rollback removes.
    recorded: Vec<(String, String)>,
    /// The projections' tables and bookkeeping.
    read: readside::ReadSpace,
    // Subscriptions, parking and leases (issue 13).
    readers: readers::Readers,
    /// The model registry (issue 14): versions oldest first, files by
    /// hash, and the generation.
    /// Shared with the marks of the write in progress: a write that
    /// changes no registry row copies none.
    models: Arc<Vec<ModelVersion>>,
    sources: HashMap<String, String>,
    generation: u64,
}

#[derive(Debug, Default)]
struct StreamData {
    model: String,
    /// Index into the log of each version (`version - 1`).
    events: Vec<usize>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore {
            inner: Mutex::new(Some(Inner::default())),
            notifier: Notifier::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> Result<T>) -> Result<T> {
        // A panic while holding the lock leaves no half-made write: a
        // write undoes itself as it unwinds (see `write`).
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(inner) => f(inner),
            None => Err(closed()),
        }
    }
}

impl Inner {
    fn version(&self, stream: &str) -> u64 {
        self.streams
            .get(stream)
            .map_or(0, |d| d.events.len() as u64)
    }

    fn mark(&self) -> Mark {
        Mark {
            log: self.log.len(),
            commands: self.recorded.len(),
            read: self.read.mark(),
            models: self.models.clone(),
            generation: self.generation,
        }
    }

    fn read_all_filtered(&self, filter: &ReadFilter, from: u64, limit: usize) -> Vec<RawEvent> {
        let model = |stream: &str| self.streams.get(stream).map_or("", |d| d.model.as_str());
        self.log
            .iter_from(from.saturating_sub(1) as usize)
            .filter(|e| filter.passes(model(&e.stream), &e.event_type))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Undoes every append made since `mark`, newest first.
    fn rollback(&mut self, mark: Mark) {
        while self.log.len() > mark.log {
            let e = self.log.pop().expect("longer than the mark");
            let emptied = match self.streams.get_mut(&e.stream) {
                Some(d) => {
                    d.events.pop();
                    d.events.is_empty()
                }
                None => false,
            };
            if emptied {
                self.streams.remove(&e.stream);
            }
        }
        for key in self.recorded.drain(mark.commands..) {
            self.commands.remove(&key);
        }
        self.read.undo_to(mark.read);
        self.models = mark.models;
        self.generation = mark.generation;
    }

    fn activate(&mut self, model: &str, revision: &str, at: &str) -> bool {
        let done = super::registry::activate_in(
            &mut Arc::make_mut(&mut self.models)[..],
            model,
            revision,
            at,
        );
        if done {
            self.generation += 1;
        }
        done
    }
}

/// How far a write had gone: what a rollback returns to.
#[derive(Debug, Clone)]
struct Mark {
    log: usize,
    commands: usize,
    /// Where the read side's journal was.
    read: usize,
    /// The registry's rows as they were.
    models: Arc<Vec<ModelVersion>>,
    generation: u64,
}

/// A write transaction: the store's one lock, held from begin to end.
struct MemoryTx<'a> {
    inner: &'a mut Inner,
    savepoint: Option<Mark>,
}

impl MemoryTx<'_> {
    fn append_one(&mut self, a: &Append) -> Result<u64> {
        let s = &mut *self.inner;
        let current = s.version(&a.stream);
        if current != a.expected_version {
            return Err(Error::StoreError {
                kind: crate::error::StoreErrorKind::Corrupt,
                message: format!(
                    "stream {} is at version {current}, not {}: it changed inside a write",
                    a.stream, a.expected_version
                ),
            });
        }
        if a.events.is_empty() {
            return Ok(0);
        }
        if let Some(id) = &a.command_id {
            let key = (a.stream.clone(), id.clone());
            if s.commands.contains_key(&key) {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Corrupt,
                    message: format!("command {id} was already recorded on stream {}", a.stream),
                });
            }
            s.commands.insert(
                key.clone(),
                CommandRecord {
                    first_version: current + 1,
                    last_version: current + a.events.len() as u64,
                },
            );
            s.recorded.push(key);
        }
        let first = s.log.len() as u64 + 1;
        if !s.streams.contains_key(&a.stream) {
            s.streams.insert(
                a.stream.clone(),
                StreamData {
                    model: a.model.clone(),
                    events: Vec::new(),
                },
            );
        }
        let data = s.streams.get_mut(&a.stream).expect("just made");
        for e in &a.events {
            let position = s.log.len() as u64 + 1;
            data.events.push(s.log.len());
            s.log.push(RawEvent {
                position,
                id: e.id.clone(),
                stream: a.stream.clone(),
                version: data.events.len() as u64,
                event_type: e.event_type.clone(),
                schema: e.schema,
                data: e.data.clone(),
                metadata: e.metadata.clone(),
            });
        }
        Ok(first)
    }
}

impl super::WriteTx for MemoryTx<'_> {
    fn version(&mut self, stream: &str) -> Result<u64> {
        Ok(self.inner.version(stream))
    }

    fn fold(&mut self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        let s = &*self.inner;
        if let Some(d) = s.streams.get(stream) {
            for &i in d.events.iter().skip(after_version as usize) {
                let e = &s.log[i];
                visit(e.version, &e.event_type, e.schema, &e.data)?;
            }
        }
        Ok(())
    }

    fn read_stream(
        &mut self,
        stream: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        Ok(read_stream(self.inner, stream, from_version, limit))
    }

    fn command(&mut self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        Ok(self
            .inner
            .commands
            .get(&(stream.to_string(), command_id.to_string()))
            .copied())
    }

    fn snapshot(&mut self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        Ok(self
            .inner
            .snapshots
            .get(&(stream.to_string(), fingerprint.to_string()))
            .cloned())
    }

    fn append(&mut self, appends: &[Append]) -> Result<Vec<u64>> {
        appends.iter().map(|a| self.append_one(a)).collect()
    }

    fn savepoint(&mut self) -> Result<()> {
        self.savepoint = Some(self.inner.mark());
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.savepoint = None;
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        if let Some(mark) = self.savepoint.take() {
            self.inner.rollback(mark);
        }
        Ok(())
    }

    fn registry_generation(&mut self) -> Result<u64> {
        Ok(self.inner.generation)
    }

    fn active_versions(&mut self) -> Result<Vec<ModelVersion>> {
        Ok(self
            .inner
            .models
            .iter()
            .filter(|v| v.active)
            .cloned()
            .collect())
    }

    fn activate(&mut self, model: &str, revision: &str, at: &str) -> Result<bool> {
        Ok(self.inner.activate(model, revision, at))
    }

    fn read_side(&mut self) -> &mut dyn super::readside::ReadSideTx {
        &mut *self.inner
    }
}

fn read_stream(s: &Inner, stream: &str, from_version: u64, limit: usize) -> Vec<RawEvent> {
    s.streams.get(stream).map_or_else(Vec::new, |d| {
        d.events
            .iter()
            .skip(from_version.saturating_sub(1) as usize)
            .take(limit)
            .map(|&i| s.log[i].clone())
            .collect()
    })
}

impl Store for MemoryStore {
    fn write(&self, work: &mut WriteFn<'_>) -> Result<()> {
        let mut appended = false;
        self.with(|s| {
            let begin = s.mark();
            let begin_log = begin.log;
            let mut tx = MemoryTx {
                inner: s,
                savepoint: None,
            };
            // A panic in `work` (caught by the engine) must undo what it
            // appended, as an error does.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut tx)));
            let out = match out {
                Ok(out) => out,
                Err(panic) => {
                    s.rollback(begin);
                    s.recorded.clear();
                    s.read.commit();
                    std::panic::resume_unwind(panic);
                }
            };
            if out.is_err() {
                s.rollback(begin);
            }
            appended = s.log.len() > begin_log;
            // Only the transaction's own changes need undo records.
            s.recorded.clear();
            s.read.commit();
            out
        })?;
        if appended {
            self.notifier.committed();
        }
        Ok(())
    }

    fn version(&self, stream: &str) -> Result<u64> {
        self.with(|s| Ok(s.version(stream)))
    }

    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        // Copies out under the lock, folds outside it, so that a slow fold
        // never holds up writers.
        let events: Vec<(u64, String, u32, String)> = self.with(|s| {
            Ok(s.streams.get(stream).map_or_else(Vec::new, |d| {
                d.events
                    .iter()
                    .skip(after_version as usize)
                    .map(|&i| {
                        let e = &s.log[i];
                        (e.version, e.event_type.clone(), e.schema, e.data.clone())
                    })
                    .collect()
            }))
        })?;
        for (v, t, schema, d) in &events {
            visit(*v, t, *schema, d)?;
        }
        Ok(())
    }

    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>> {
        self.with(|s| Ok(read_stream(s, stream, from_version, limit)))
    }

    fn read_all(
        &self,
        filter: &ReadFilter,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RawEvent>> {
        self.with(|s| Ok(s.read_all_filtered(filter, from_position, limit)))
    }

    fn head(&self) -> Result<u64> {
        self.with(|s| Ok(s.log.len() as u64))
    }

    fn wait(&self, after_position: u64, timeout: Duration) -> Result<u64> {
        self.notifier.wait(after_position, timeout, || self.head())
    }

    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>> {
        // Kept by hash for the write path; sorted here, where it is asked.
        let mut out: Vec<(String, u64)> = self.with(|s| {
            Ok(s.streams
                .iter()
                .filter(|(_, d)| model.is_none_or(|m| d.model == m))
                .map(|(name, d)| (name.clone(), d.events.len() as u64))
                .collect())
        })?;
        out.sort_unstable();
        Ok(out)
    }

    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        self.with(|s| {
            Ok(s.commands
                .get(&(stream.to_string(), command_id.to_string()))
                .copied())
        })
    }

    fn snapshot(&self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        self.with(|s| {
            Ok(s.snapshots
                .get(&(stream.to_string(), fingerprint.to_string()))
                .cloned())
        })
    }

    fn delete_snapshots(&self, fingerprint: &str) -> Result<u64> {
        self.with(|s| {
            let before = s.snapshots.len();
            s.snapshots.retain(|(_, f), _| f != fingerprint);
            Ok((before - s.snapshots.len()) as u64)
        })
    }

    fn save_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        // The rule of the SQLite store: an older snapshot never replaces a
        // newer one of the same model, unless that one is past the end.
        self.with(|s| {
            let end = s.version(&snapshot.stream);
            let key = (snapshot.stream.clone(), snapshot.fingerprint.clone());
            let keep_old = s
                .snapshots
                .get(&key)
                .is_some_and(|old| old.version > snapshot.version && old.version <= end);
            if !keep_old {
                s.snapshots.insert(key, snapshot.clone());
            }
            Ok(())
        })
    }

    #[allow(private_interfaces)]
    fn read_side(&self, _write: bool, work: &mut super::ReadSideFn<'_>) -> Result<()> {
        self.with(|s| {
            let begin = s.read.mark();
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *s)));
            // A reading transaction changes nothing, and so undoes nothing.
            if !matches!(out, Ok(Ok(()))) {
                s.read.undo_to(begin);
            }
            s.read.commit();
            match out {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    fn does_io(&self) -> bool {
        false
    }

    fn close(&self) -> Result<()> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *guard = None;
        drop(guard);
        self.notifier.close();
        Ok(())
    }

    // ---- Subscriptions, parking and leases (issue 13) ----

    fn take_lease(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
        self.with(|s| Ok(s.readers.take_lease(name, owner, ttl)))
    }

    fn release_lease(&self, name: &str, owner: &str) -> Result<()> {
        self.with(|s| {
            s.readers.release_lease(name, owner);
            Ok(())
        })
    }

    fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.with(|s| Ok(s.readers.lease(name)))
    }

    fn park(&self, name: &str, event: &RawEvent, reason: &str) -> Result<()> {
        self.with(|s| {
            s.readers.park(name, event, reason);
            Ok(())
        })
    }

    fn parked(&self, name: &str) -> Result<Vec<Parked>> {
        self.with(|s| Ok(s.readers.parked(name)))
    }

    fn parked_count(&self, name: &str) -> Result<u64> {
        self.with(|s| Ok(s.readers.parked_count(name)))
    }

    fn subscription(&self, name: &str) -> Result<Option<SubscriptionRow>> {
        self.with(|s| Ok(s.readers.subscription(name)))
    }

    fn put_subscription(&self, row: &SubscriptionRow) -> Result<()> {
        self.with(|s| {
            s.readers.put_subscription(row);
            Ok(())
        })
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionRow>> {
        self.with(|s| Ok(s.readers.subscriptions()))
    }

    fn ack(&self, name: &str, position: u64) -> Result<()> {
        self.with(|s| {
            s.readers.ack(name, position);
            Ok(())
        })
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
        self.with(|s| {
            s.sources
                .entry(source.hash.clone())
                .or_insert_with(|| source.files.clone());
            for v in versions {
                let known = s
                    .models
                    .iter()
                    .any(|r| r.model == v.model && r.revision == v.revision);
                if !known {
                    Arc::make_mut(&mut s.models).push(ModelVersion {
                        model: v.model.clone(),
                        revision: v.revision.clone(),
                        fingerprint: v.fingerprint.clone(),
                        source: source.hash.clone(),
                        active: false,
                        registered_at: at.to_string(),
                        activated_at: None,
                    });
                }
                let claimed = s.models.iter().any(|r| r.model == v.model && r.active);
                let on = match activate {
                    Activate::Unseen => !known || !claimed,
                    Activate::Unclaimed => !claimed,
                };
                if on {
                    s.activate(&v.model, &v.revision, at);
                }
            }
            Ok(s.generation)
        })
    }

    fn model_versions(&self) -> Result<Vec<ModelVersion>> {
        self.with(|s| {
            let mut all = (*s.models).clone();
            // Stable: oldest first within a model, as SQLite orders them.
            all.sort_by(|a, b| a.model.cmp(&b.model));
            Ok(all)
        })
    }

    fn model_source(&self, hash: &str) -> Result<Option<String>> {
        self.with(|s| Ok(s.sources.get(hash).cloned()))
    }

    fn stored_shapes(&self) -> Result<Vec<StoredShape>> {
        self.with(|s| {
            let mut counts: std::collections::BTreeMap<(&str, &str, u32), u64> = Default::default();
            for e in s.log.iter() {
                let model = s.streams.get(&e.stream).map_or("", |d| d.model.as_str());
                *counts.entry((model, &e.event_type, e.schema)).or_default() += 1;
            }
            Ok(counts
                .into_iter()
                .map(|((model, t, schema), events)| StoredShape {
                    model: model.to_string(),
                    event_type: t.to_string(),
                    schema,
                    events,
                })
                .collect())
        })
    }
}
