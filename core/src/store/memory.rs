//! An in-memory store: the same contract as SQLite, gone with the process.
//! One mutex over everything: appends are atomic and ordered by construction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::{closed, Append, CommandRecord, Conflict, RawEvent, Snapshot, Store, Visit};
use crate::error::Result;

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Option<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The global log; position `p` is at index `p - 1`.
    log: Vec<RawEvent>,
    /// Sorted by name, for `streams`.
    streams: BTreeMap<String, StreamData>,
    snapshots: HashMap<String, Snapshot>,
    commands: HashMap<(String, String), CommandRecord>,
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
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> Result<T>) -> Result<T> {
        // A panic while holding the lock cannot leave a half-made append:
        // every change is pushed only after all checks passed.
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(inner) => f(inner),
            None => Err(closed()),
        }
    }
}

impl Store for MemoryStore {
    fn version(&self, stream: &str) -> Result<u64> {
        self.with(|s| Ok(s.streams.get(stream).map_or(0, |d| d.events.len() as u64)))
    }

    fn append(
        &self,
        appends: &[Append],
        snapshots: &[Snapshot],
    ) -> Result<std::result::Result<Vec<u64>, Conflict>> {
        self.with(|s| {
            // Check every expected version first (a batch may touch one
            // stream several times), then apply: all or nothing.
            let mut versions: HashMap<&str, u64> = HashMap::new();
            for (index, a) in appends.iter().enumerate() {
                let current = *versions.entry(&a.stream).or_insert_with(|| {
                    s.streams
                        .get(&a.stream)
                        .map_or(0, |d| d.events.len() as u64)
                });
                if current != a.expected_version {
                    return Ok(Err(Conflict {
                        index,
                        expected: a.expected_version,
                        actual: current,
                    }));
                }
                if let Some(id) = &a.command_id {
                    if !a.events.is_empty()
                        && s.commands.contains_key(&(a.stream.clone(), id.clone()))
                    {
                        return Ok(Err(Conflict {
                            index,
                            expected: a.expected_version,
                            actual: current,
                        }));
                    }
                }
                versions.insert(&a.stream, current + a.events.len() as u64);
            }
            let mut firsts = Vec::with_capacity(appends.len());
            for a in appends {
                firsts.push(if a.events.is_empty() {
                    0
                } else {
                    s.log.len() as u64 + 1
                });
                if a.events.is_empty() {
                    continue;
                }
                let data = s.streams.entry(a.stream.clone()).or_default();
                if data.model.is_empty() {
                    data.model = a.model.clone();
                }
                let first_version = data.events.len() as u64 + 1;
                for e in &a.events {
                    let position = s.log.len() as u64 + 1;
                    data.events.push(s.log.len());
                    s.log.push(RawEvent {
                        position,
                        id: e.id.clone(),
                        stream: a.stream.clone(),
                        version: data.events.len() as u64,
                        event_type: e.event_type.clone(),
                        data: e.data.clone(),
                        metadata: e.metadata.clone(),
                    });
                }
                if let Some(id) = &a.command_id {
                    s.commands.insert(
                        (a.stream.clone(), id.clone()),
                        CommandRecord {
                            first_version,
                            last_version: data.events.len() as u64,
                        },
                    );
                }
            }
            for snap in snapshots {
                s.snapshots.insert(snap.stream.clone(), snap.clone());
            }
            Ok(Ok(firsts))
        })
    }

    fn fold(&self, stream: &str, after_version: u64, visit: &mut Visit<'_>) -> Result<()> {
        // Copies out under the lock, folds outside it, so that a slow fold
        // never holds up writers.
        let events: Vec<(u64, String, String)> = self.with(|s| {
            Ok(s.streams.get(stream).map_or_else(Vec::new, |d| {
                d.events
                    .iter()
                    .skip(after_version as usize)
                    .map(|&i| {
                        let e = &s.log[i];
                        (e.version, e.event_type.clone(), e.data.clone())
                    })
                    .collect()
            }))
        })?;
        for (v, t, d) in &events {
            visit(*v, t, d)?;
        }
        Ok(())
    }

    fn read_stream(&self, stream: &str, from_version: u64, limit: usize) -> Result<Vec<RawEvent>> {
        self.with(|s| {
            Ok(s.streams.get(stream).map_or_else(Vec::new, |d| {
                d.events
                    .iter()
                    .skip(from_version.saturating_sub(1) as usize)
                    .take(limit)
                    .map(|&i| s.log[i].clone())
                    .collect()
            }))
        })
    }

    fn read_all(&self, from_position: u64, limit: usize) -> Result<Vec<RawEvent>> {
        self.with(|s| {
            Ok(s.log
                .iter()
                .skip(from_position.saturating_sub(1) as usize)
                .take(limit)
                .cloned()
                .collect())
        })
    }

    fn streams(&self, model: Option<&str>) -> Result<Vec<(String, u64)>> {
        self.with(|s| {
            Ok(s.streams
                .iter()
                .filter(|(_, d)| model.is_none_or(|m| d.model == m))
                .map(|(name, d)| (name.clone(), d.events.len() as u64))
                .collect())
        })
    }

    fn command(&self, stream: &str, command_id: &str) -> Result<Option<CommandRecord>> {
        self.with(|s| {
            Ok(s.commands
                .get(&(stream.to_string(), command_id.to_string()))
                .copied())
        })
    }

    fn snapshot(&self, stream: &str) -> Result<Option<Snapshot>> {
        self.with(|s| Ok(s.snapshots.get(stream).cloned()))
    }

    fn save_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        self.with(|s| {
            s.snapshots
                .insert(snapshot.stream.clone(), snapshot.clone());
            Ok(())
        })
    }

    fn close(&self) -> Result<()> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *guard = None;
        Ok(())
    }
}
