//! Loading a state: the cache, snapshots, and replay or catch-up from the
//! store (as committed, or inside a write).

use std::sync::Arc;

use serde_json::Value as Json;

use super::snapshots::{checksum, SnapshotCost};
use super::{Engine, Entry, Loaded};
use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::store::{self, Snapshot, Store, WriteTx};
use crate::value::Value;

impl Engine {
    /// The current state of a stream and its version (0 and the initial
    /// state for a stream without events).
    pub fn load(&self, model: &str, id: &str) -> Result<Loaded> {
        self.check_open()?;
        let stream = self.stream_for(model, id)?;
        let mut reader = Reader::Store(&*self.inner.store);
        let entry = match self.cached(&stream) {
            Some(e) => self.catch_up(&mut reader, model, &stream, e)?,
            None => self.load_cold(&mut reader, model, &stream)?,
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
        self.inner.domain.query(model, &loaded.state, name, args)
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
        let models: Vec<String> = match model {
            Some(m) => {
                self.inner.domain.model(m)?;
                vec![m.to_string()]
            }
            None => self
                .inner
                .domain
                .models()
                .iter()
                .map(|m| m.to_string())
                .collect(),
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
            let start = self.initial(m)?;
            let base = done;
            let mut reader = Reader::Store(&*self.inner.store);
            let mut entry = self.fold_onto(&mut reader, m, stream, start, &mut |v| {
                if v % 4096 == 0 {
                    progress(base + v, total);
                }
            })?;
            done = base + entry.version;
            progress(done, total);
            if let Some(snap) = self.snapshot_of(m, stream, &entry) {
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
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
        entry: Entry,
    ) -> Result<Entry> {
        let stored = reader.version(stream)?;
        match stored.cmp(&entry.version) {
            std::cmp::Ordering::Equal => Ok(entry),
            std::cmp::Ordering::Greater => {
                self.fold_onto(reader, model, stream, entry, &mut |_| {})
            }
            // The store went back (a file replaced under us): start over.
            std::cmp::Ordering::Less => self.load_cold(reader, model, stream),
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
            if c.peek(&stream)
                .is_some_and(|old| old.version > entry.version)
            {
                return;
            }
            match c.push(stream, entry) {
                // The least recent one went out (not an older one replaced).
                Some((k, old)) if !c.contains(&k) => Some((k, old)),
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

    pub(super) fn initial(&self, model: &str) -> Result<Entry> {
        Ok(Entry {
            state: self.inner.domain.initial_state(model)?,
            version: 0,
            fingerprint: self.fingerprint_of(model),
            cost: SnapshotCost::loaded(0, 0),
        })
    }

    fn fingerprint_of(&self, model: &str) -> Arc<str> {
        self.inner
            .fingerprints
            .get(model)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The latest usable snapshot plus the events after it. A snapshot of
    /// another model (fingerprint), a damaged one (checksum, decoding) or
    /// one past the stream's end is ignored: replay from the start. Loading
    /// never writes a snapshot: that is the snapshot thread's job.
    pub(super) fn load_cold(
        &self,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
    ) -> Result<Entry> {
        let mut start = None;
        // A snapshot that cannot be read, even for a damaged table, is no
        // snapshot: the events decide.
        if let Ok(Some(snap)) = reader.snapshot(stream) {
            start = self.usable_snapshot(model, &snap);
        }
        let from_snapshot = start.is_some();
        let entry = match start {
            Some(e) => e,
            None => self.initial(model)?,
        };
        let snap_version = entry.version;
        let entry = self.fold_onto(reader, model, stream, entry, &mut |_| {})?;
        if from_snapshot && entry.version == snap_version && snap_version > 0 {
            // Nothing after the snapshot: make sure it is not past the end.
            if reader.version(stream)? != snap_version {
                let initial = self.initial(model)?;
                return self.fold_onto(reader, model, stream, initial, &mut |_| {});
            }
        }
        Ok(entry)
    }

    fn usable_snapshot(&self, model: &str, snap: &Snapshot) -> Option<Entry> {
        let fp = self.inner.fingerprints.get(model)?;
        if snap.fingerprint != **fp
            || snap.checksum != checksum(&snap.stream, snap.version, fp, &snap.state)
        {
            return None;
        }
        // Straight from text when it fits the state's type (it should:
        // the engine wrote it); the slow path decides otherwise.
        let m = self.inner.domain.model(model).ok()?;
        let state = match crate::types::text::fields(
            &m.types,
            &m.state_shape,
            &m.state_fields,
            &snap.state,
        ) {
            Some(state) => state,
            None => {
                let json: Json = serde_json::from_str(&snap.state).ok()?;
                self.inner.domain.state(model, &json).ok()?
            }
        };
        Some(Entry {
            state,
            version: snap.version,
            fingerprint: fp.clone(),
            cost: SnapshotCost::loaded(snap.version, snap.state.len() as u64),
        })
    }

    /// The snapshot of a state (`None` for a model not in the domain).
    pub(super) fn snapshot_of(&self, model: &str, stream: &str, entry: &Entry) -> Option<Snapshot> {
        let fp = self.inner.fingerprints.get(model)?;
        let state = entry.state.to_json_string();
        Some(Snapshot {
            checksum: checksum(stream, entry.version, fp, &state),
            stream: stream.to_string(),
            version: entry.version,
            fingerprint: fp.to_string(),
            state,
        })
    }

    /// Folds the stored events after `entry.version` onto it: decoding each
    /// event's data straight from its text against the event's declared
    /// params, with no envelope built per event.
    fn fold_onto(
        &self,
        reader: &mut Reader<'_, '_>,
        model: &str,
        stream: &str,
        entry: Entry,
        tick: &mut dyn FnMut(u64),
    ) -> Result<Entry> {
        let domain = &self.inner.domain;
        let m = domain.model(model)?;
        let Entry {
            mut state,
            mut version,
            fingerprint,
            mut cost,
        } = entry;
        let mut path = String::new();
        // Streams repeat a few event types: remember the last one found.
        let mut last: Option<(String, usize)> = None;
        reader.fold(stream, version, &mut |v, t, d| {
            if v != version + 1 {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Corrupt,
                    message: format!(
                        "stream {stream} jumps from version {version} to {v}: the store is damaged"
                    ),
                });
            }
            let index = match &last {
                Some((name, i)) if name == t => *i,
                _ => {
                    let i = m.event_index(t).ok_or_else(|| Error::UnknownEvent {
                        message: format!(
                            "stream {stream} version {v} holds event `{t}`, which model {model} no longer declares"
                        ),
                    })?;
                    last = Some((t.to_string(), i));
                    i
                }
            };
            let h = &m.events[index];
            let data = match crate::types::text::fields(&m.types, &h.shape, &h.params, d) {
                Some(data) => data,
                None => slow_decode(m, h, d, &mut path).map_err(|e| match e {
                    Error::InvalidEvent { path, message } => Error::InvalidEvent {
                        path,
                        message: format!("stream {stream} version {v}: {message}"),
                    },
                    other => other,
                })?,
            };
            let event = Event {
                name: h.name.clone(),
                data,
            };
            state = domain.accept(model, std::mem::take(&mut state), &event)?;
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

    fn snapshot(&mut self, stream: &str) -> Result<Option<Snapshot>> {
        match self {
            Reader::Store(s) => s.snapshot(stream),
            Reader::Tx(t) => t.snapshot(stream),
        }
    }
}

/// Decodes stored data the way input is decoded, for its precise error.
fn slow_decode(
    m: &crate::language::ir::Model,
    h: &crate::language::ir::Handler,
    text: &str,
    path: &mut String,
) -> Result<Value> {
    let json: Json = serde_json::from_str(text).map_err(|e| Error::InvalidEvent {
        path: "data".into(),
        message: format!("stored data is not JSON: {e}"),
    })?;
    path.clear();
    path.push_str("data");
    m.types
        .decode_fields(&json, &h.shape, &h.params, path)
        .map_err(|e| Error::InvalidEvent {
            path: e.path,
            message: e.message,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Domain;
    use crate::Source;

    const MODEL: &str = r#"
model Kinds {
  state { n: int }
  enum Color { red, green }
  record Item {
    sku: string
    qty: int = 1
    note: string?
  }
  command go() { emit all(s: "x", i: 1, f: 1.5, b: true, t: now, c: Color.red, l: [1], m: {"a": 2}, r: Item{sku: "a"}, o: null, lr: [], mr: {}) }
  event all(s: string, i: int, f: float, b: bool, t: timestamp, c: Color, l: list<int>, m: map<string, int>, r: Item, o: Item?, lr: list<Item>, mr: map<string, list<Color?>>) {
    set n = n + 1
  }
}
"#;

    /// The fast decoder agrees with the slow one wherever it answers, and
    /// never accepts what the slow one refuses.
    #[test]
    fn fast_decoding_agrees_with_the_declared_types() {
        let domain = Domain::compile(&[Source::new("k.model", MODEL)]).unwrap();
        let m = domain.model("Kinds").unwrap();
        let h = &m.events[m.event_index("all").unwrap()];
        let good = r#"{"s":"x\u00e9\n","i":-3,"f":2,"b":false,"t":"2026-01-02T03:04:05.5Z","c":"green","l":[1,2],"m":{"a":1,"a":2,"b":3},"r":{"sku":"k","note":null},"o":{"sku":"z","qty":4,"note":"n"},"lr":[{"sku":"q"}],"mr":{"x":["red",null]}}"#;
        let mut cases = vec![good.to_string()];
        for (from, to) in [
            (r#""i":-3"#, r#""i":1.0"#),
            (r#""i":-3"#, r#""i":9223372036854775808"#),
            (r#""i":-3"#, r#""i":9223372036854775807"#),
            (r#""f":2"#, r#""f":1e400"#),
            (r#""f":2"#, r#""f":-0.0"#),
            (r#""c":"green""#, r#""c":"blue""#),
            (r#""c":"green""#, r#""c":null"#),
            (r#""t":"2026-01-02T03:04:05.5Z""#, r#""t":"yesterday""#),
            (r#""r":{"sku":"k","note":null}"#, r#""r":{"note":null}"#),
            (
                r#""r":{"sku":"k","note":null}"#,
                r#""r":{"sku":"k","extra":1}"#,
            ),
            (r#""o":{"sku":"z","qty":4,"note":"n"}"#, r#""o":null"#),
            (r#""l":[1,2]"#, r#""l":[1,"2"]"#),
            (r#""mr":{"x":["red",null]}"#, r#""mr":{"x":"red"}"#),
            (r#""s":"x\u00e9\n","#, ""),
            (r#""b":false"#, r#""b":false,"zz":1"#),
        ] {
            assert!(good.contains(from), "{from}");
            cases.push(good.replacen(from, to, 1));
        }
        cases.push("[]".into());
        cases.push(format!("{good} x"));
        for text in &cases {
            let fast = crate::types::text::fields(&m.types, &h.shape, &h.params, text);
            let mut path = String::new();
            let slow = slow_decode(m, h, text, &mut path);
            match (&fast, &slow) {
                (Some(f), Ok(s)) => assert_eq!(f.to_json_string(), s.to_json_string(), "{text}"),
                (Some(_), Err(e)) => panic!("fast accepted what slow refused ({e}): {text}"),
                (None, Ok(_)) => panic!("fast refused good data: {text}"),
                (None, Err(_)) => {}
            }
        }
        assert!(crate::types::text::fields(&m.types, &h.shape, &h.params, good).is_some());
    }
}
