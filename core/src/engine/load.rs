//! Loading a state: the cache, snapshots, and replay or catch-up from the
//! store (as committed, or inside a write).

use std::sync::Arc;

use serde_json::Value as Json;

use super::models::Current;
use super::snapshots::{checksum, SnapshotCost};
use super::{Engine, Entry, Loaded};
use crate::domain::stored::Data;
use crate::error::{Error, Result};
use crate::store::{self, Snapshot, Store, WriteTx};
use crate::types::text;
use crate::value::Value;

impl Engine {
    /// The current state of a stream and its version (0 and the initial
    /// state for a stream without events).
    ///
    /// An engine that follows model changes (`on_model_change: follow`)
    /// and meets an event its model cannot read (`unknown_event`: written
    /// by a newer model) follows the store's active model first, and loads
    /// again with it.
    pub fn load(&self, model: &str, id: &str) -> Result<Loaded> {
        match self.load_once(model, id) {
            Err(Error::UnknownEvent { .. }) if self.follow_on_read(model)? => {
                self.load_once(model, id)
            }
            other => other,
        }
    }

    fn load_once(&self, model: &str, id: &str) -> Result<Loaded> {
        self.check_open()?;
        let cur = self.current();
        let stream = self.stream_for(&cur.domain, model, id)?;
        let mut reader = Reader::Store(&*self.inner.store);
        let entry = match self.cached(&stream) {
            Some(e) => self.catch_up(&cur, &mut reader, model, &stream, e)?,
            None => self.load_cold(&cur, &mut reader, model, &stream)?,
        };
        let loaded = Loaded {
            state: entry.state.clone(),
            version: entry.version,
        };
        self.put(stream, entry);
        Ok(loaded)
    }

    pub fn query(&self, model: &str, id: &str, name: &str, args: &Json) -> Result<Value> {
        let loaded = self.load(model, id)?;
        self.current()
            .domain
            .query(model, &loaded.state, name, args)
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
        let cur = self.current();
        let models: Vec<String> = match model {
            Some(m) => {
                cur.domain.model(m)?;
                vec![m.to_string()]
            }
            None => cur.domain.models().iter().map(|m| m.to_string()).collect(),
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
            let start = initial(&cur, m)?;
            let base = done;
            let mut reader = Reader::Store(&*self.inner.store);
            let mut entry = fold_onto(&cur, &mut reader, m, stream, start, &mut |v| {
                if v % 4096 == 0 {
                    progress(base + v, total);
                }
            })?;
            done = base + entry.version;
            progress(done, total);
            if let Some(snap) = snapshot_of(&cur, m, stream, &entry) {
                self.inner.store.save_snapshot(&snap)?;
                entry.cost = SnapshotCost::loaded(entry.version, snap.state.len() as u64);
            }
            self.put(stream.clone(), entry);
        }
        Ok(streams.len())
    }

    /// Takes a stream's state out of the cache, so that a command changes it
    /// in place (held alone, no copy of the persistent maps).
    pub(super) fn take_cached(&self, stream: &str) -> Option<(String, Entry)> {
        let cache = self.inner.cache.as_ref()?;
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_entry(stream)
    }

    /// A copy of a stream's cached state (cheap: the maps are persistent).
    fn cached(&self, stream: &str) -> Option<Entry> {
        let cache = self.inner.cache.as_ref()?;
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(stream)
            .cloned()
    }

    /// A stream's state, caught up with what `reader` sees.
    pub(super) fn catch_up(
        &self,
        cur: &Current,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
        entry: Entry,
    ) -> Result<Entry> {
        // A state of another model version (the engine switched since).
        // The same `Arc` as a rule: compare the text only when it is not.
        let same = cur
            .fingerprints
            .get(model)
            .is_some_and(|f| Arc::ptr_eq(f, &entry.fingerprint) || *f == entry.fingerprint);
        if !same {
            return self.load_cold(cur, reader, model, stream);
        }
        let stored = reader.version(stream)?;
        match stored.cmp(&entry.version) {
            std::cmp::Ordering::Equal => Ok(entry),
            std::cmp::Ordering::Greater => {
                fold_onto(cur, reader, model, stream, entry, &mut |_| {})
            }
            // The store went back (a file replaced under us): start over.
            std::cmp::Ordering::Less => self.load_cold(cur, reader, model, stream),
        }
    }

    /// Puts a state back in the cache, unless the cache already holds a
    /// newer one (a reader and a writer may both put). A state pushed out
    /// gets its snapshot if one is due.
    pub(super) fn put(&self, stream: String, entry: Entry) {
        let Some(cache) = &self.inner.cache else {
            return;
        };
        let evicted = {
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            let held = c.peek(&stream).map(|old| old.version);
            if held.is_some_and(|v| v > entry.version) {
                return;
            }
            match c.push(stream, entry) {
                // The least recent one went out (not an older one replaced).
                Some(out) if held.is_none() => Some(out),
                _ => None,
            }
        };
        if let Some((k, mut old)) = evicted {
            self.offer_snapshot(&k, &mut old, false);
        }
    }

    pub(super) fn offer_snapshot(&self, stream: &str, entry: &mut Entry, hot: bool) {
        self.inner.snapshots.offer(
            &entry.fingerprint,
            stream,
            entry.version,
            &entry.state,
            &mut entry.cost,
            hot,
        );
    }

    /// The latest usable snapshot plus the events after it. A snapshot of
    /// another model (fingerprint), a damaged one (checksum, decoding) or
    /// one past the stream's end is ignored: replay from the start. Loading
    /// never writes a snapshot: that is the snapshot thread's job.
    pub(super) fn load_cold(
        &self,
        cur: &Current,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
    ) -> Result<Entry> {
        let mut start = None;
        // A snapshot that cannot be read, even for a damaged table, is no
        // snapshot: the events decide.
        let fingerprint = cur.fingerprints.get(model).map_or("", |f| &**f);
        if let Ok(Some(snap)) = reader.snapshot(stream, fingerprint) {
            start = usable_snapshot(cur, model, &snap);
        }
        let from_snapshot = start.is_some();
        let entry = match start {
            Some(e) => e,
            None => initial(cur, model)?,
        };
        let snap_version = entry.version;
        let entry = fold_onto(cur, reader, model, stream, entry, &mut |_| {})?;
        if from_snapshot && entry.version == snap_version && snap_version > 0 {
            // Nothing after the snapshot: make sure it is not past the end.
            if reader.version(stream)? != snap_version {
                let initial = initial(cur, model)?;
                return fold_onto(cur, reader, model, stream, initial, &mut |_| {});
            }
        }
        Ok(entry)
    }
}

pub(super) fn initial(cur: &Current, model: &str) -> Result<Entry> {
    Ok(Entry {
        state: cur.domain.initial_state(model)?,
        version: 0,
        fingerprint: cur
            .fingerprints
            .get(model)
            .cloned()
            .unwrap_or_else(|| Arc::from("")),
        cost: SnapshotCost::loaded(0, 0),
    })
}

fn usable_snapshot(cur: &Current, model: &str, snap: &Snapshot) -> Option<Entry> {
    let fp = cur.fingerprints.get(model)?;
    if snap.fingerprint != **fp
        || snap.checksum != checksum(&snap.stream, snap.version, fp, &snap.state)
    {
        return None;
    }
    // The engine wrote it, so it should fit the state's type; a
    // snapshot that does not is no snapshot.
    let m = cur.domain.model(model).ok()?;
    let mut path = String::from("state");
    let state = text::decode_fields(
        &m.types,
        &m.state_shape,
        &m.state_fields,
        &snap.state,
        &mut path,
        |t| serde_json::from_str::<Json>(t),
    )
    .ok()?;
    Some(Entry {
        state,
        version: snap.version,
        fingerprint: fp.clone(),
        cost: SnapshotCost::loaded(snap.version, snap.state.len() as u64),
    })
}

/// The snapshot of a state (`None` for a model not in the domain).
pub(super) fn snapshot_of(
    cur: &Current,
    model: &str,
    stream: &str,
    entry: &Entry,
) -> Option<Snapshot> {
    let fp = cur.fingerprints.get(model)?;
    let state = entry.state.to_json_string();
    Some(Snapshot {
        checksum: checksum(stream, entry.version, fp, &state),
        stream: stream.to_string(),
        version: entry.version,
        fingerprint: fp.to_string(),
        state,
    })
}

/// Folds the stored events after `entry.version` onto it, each through
/// [`crate::domain::stored::EventReader`] (decoded straight from its text, no envelope built).
pub(super) fn fold_onto(
    cur: &Current,
    reader: &mut Reader<'_, '_>,
    model: &str,
    stream: &str,
    entry: Entry,
    tick: &mut dyn FnMut(u64),
) -> Result<Entry> {
    let domain = &cur.domain;
    let mut events = domain.reader(domain.model(model)?);
    let Entry {
        mut state,
        mut version,
        fingerprint,
        mut cost,
    } = entry;
    reader.fold(stream, version, &mut |v, t, schema, d| {
        if v != version + 1 {
            return Err(Error::StoreError {
                kind: crate::error::StoreErrorKind::Corrupt,
                message: format!(
                    "stream {stream} jumps from version {version} to {v}: the store is damaged"
                ),
            });
        }
        events
            .read(t, schema, Data::Text(d), &mut |event| {
                state = domain.accept(model, std::mem::take(&mut state), &event)?;
                Ok(())
            })
            .map_err(|u| u.at(&format!("stream {stream} version {v}"), model, t, schema))?;
        version = v;
        cost.add(d.len());
        tick(v);
        Ok(())
    })?;
    Ok(Entry {
        state,
        version,
        fingerprint,
        cost,
    })
}

/// Where a load reads: the store as committed, or inside a write.
pub(super) enum Reader<'a, 'b> {
    Store(&'a dyn Store),
    Tx(&'a mut (dyn WriteTx + 'b)),
}

impl Reader<'_, '_> {
    fn version(&mut self, stream: &str) -> Result<u64> {
        match self {
            Reader::Store(s) => s.version(stream),
            Reader::Tx(t) => t.version(stream),
        }
    }

    fn fold(&mut self, stream: &str, after: u64, visit: &mut store::Visit<'_>) -> Result<()> {
        match self {
            Reader::Store(s) => s.fold(stream, after, visit),
            Reader::Tx(t) => t.fold(stream, after, visit),
        }
    }

    fn snapshot(&mut self, stream: &str, fingerprint: &str) -> Result<Option<Snapshot>> {
        match self {
            Reader::Store(s) => s.snapshot(stream, fingerprint),
            Reader::Tx(t) => t.snapshot(stream, fingerprint),
        }
    }
}
