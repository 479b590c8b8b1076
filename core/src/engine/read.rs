//! Reading events back: typed, or as JSON copied as stored.

use serde_json::Value as Json;

use super::json::to_json;
use super::{Engine, Metadata, StoredEvent, StreamInfo};
use crate::domain::stored::{Data, Unread};
use crate::error::{Error, Result};
use crate::options::ReadOptions;
use crate::store::{self, RawEvent};
use crate::value::Value;

impl Engine {
    /// Events of a stream from `from_version` (default 1), at most `limit`.
    pub fn read_stream(
        &self,
        stream: &str,
        from_version: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        self.check_open()?;
        let raw = self.inner.store.read_stream(
            stream,
            from_version.unwrap_or(1),
            limit.unwrap_or(usize::MAX),
        )?;
        self.typed_all(&raw)
    }

    /// Events of every stream from `from_position` (default 1), in order.
    pub fn read_all(
        &self,
        from_position: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        self.read_all_filtered(&store::ReadFilter::all(), from_position, limit)
    }

    /// Like [`Engine::read_all`], only the events that pass `filter`.
    pub fn read_all_filtered(
        &self,
        filter: &store::ReadFilter,
        from_position: Option<u64>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>> {
        self.check_open()?;
        let raw = self.inner.store.read_all(
            filter,
            from_position.unwrap_or(1),
            limit.unwrap_or(usize::MAX),
        )?;
        self.typed_all(&raw)
    }

    fn typed_all(&self, raw: &[RawEvent]) -> Result<Vec<StoredEvent>> {
        let cur = self.current();
        let mut out = Vec::with_capacity(raw.len());
        for e in raw {
            self.typed(&cur.domain, e, &mut out)?;
        }
        Ok(out)
    }

    pub fn streams(&self, model: Option<&str>) -> Result<Vec<StreamInfo>> {
        self.check_open()?;
        Ok(self
            .inner
            .store
            .streams(model)?
            .into_iter()
            .map(|(stream, version)| StreamInfo { stream, version })
            .collect())
    }

    /// The events a stored event is, pushed onto `out`: its data typed
    /// through [`EventReader`] when the domain has its model (the longest
    /// model name that prefixes the stream), else read as plain JSON, as it
    /// is when the model does not declare it or it does not fit.
    /// `domain` is the one the caller runs under (read once per call, not
    /// per event).
    pub(super) fn typed(
        &self,
        domain: &crate::Domain,
        e: &RawEvent,
        out: &mut Vec<StoredEvent>,
    ) -> Result<()> {
        let damaged = |what: &str| Error::StoreError {
            kind: crate::error::StoreErrorKind::Corrupt,
            message: format!(
                "event {} (stream {}, version {}) has damaged {what}",
                e.position, e.stream, e.version
            ),
        };
        let metadata = Metadata::from_json_text(&e.metadata).ok_or_else(|| damaged("metadata"))?;
        let model = domain.stream_model(&e.stream).map(|(_, m)| m);
        let stored = |event_type: String, schema: u32, data: Value| StoredEvent {
            id: e.id.clone(),
            stream: e.stream.clone(),
            version: e.version,
            position: e.position,
            event_type,
            schema,
            data,
            metadata: metadata.clone(),
        };
        if let Some(m) = model {
            let before = out.len();
            let read =
                domain
                    .reader(m)
                    .read(&e.event_type, e.schema, Data::Text(&e.data), &mut |event| {
                        let schema = m
                            .event_index(&event.name)
                            .map_or(1, |i| m.events[i].version);
                        out.push(stored(event.name.to_string(), schema, event.data));
                        Ok(())
                    });
            match read {
                Ok(()) => return Ok(()),
                Err(Unread::Emit(e) | Unread::Upcast(e)) => return Err(e),
                // Not the model's (any longer): shown as plain JSON.
                Err(_) => out.truncate(before),
            }
        }
        let json: Json = serde_json::from_str(&e.data).map_err(|_| damaged("data"))?;
        out.push(stored(e.event_type.clone(), e.schema, plain_value(&json)));
        Ok(())
    }

    /// Stored events as JSON, as every reader sees them (§12): one stored
    /// at its event's current version is copied as stored, byte for byte;
    /// an older one is written as the events its upcasts make of it.
    fn events_json(&self, raw: &[RawEvent]) -> Result<String> {
        let cur = self.current();
        let current = |e: &RawEvent| match cur.domain.stream_model(&e.stream).map(|(_, m)| m) {
            // Current, or a name the model does not read at all (shown as
            // stored); a retired name or an older version is upcast.
            Some(m) => match m.event_index(&e.event_type) {
                Some(i) => m.events[i].version == e.schema,
                None => m.reads.find(&e.event_type, e.schema).is_none(),
            },
            None => true,
        };
        if raw.iter().all(current) {
            return raw_events_json(raw);
        }
        let mut out = String::with_capacity(raw.len() * 256 + 2);
        out.push('[');
        let mut first = true;
        for chunk in raw.chunk_by(|a, b| current(a) == current(b)) {
            let text = if current(&chunk[0]) {
                raw_events_json(chunk)?
            } else {
                to_json(&self.typed_all(chunk)?)
            };
            let inner = &text[1..text.len() - 1];
            if !inner.is_empty() {
                if !first {
                    out.push(',');
                }
                out.push_str(inner);
                first = false;
            }
        }
        out.push(']');
        Ok(out)
    }

    pub(super) fn options_json(&self, options: Option<&str>) -> Result<Json> {
        options.map_or(Ok(Json::Null), |t| self.current().domain.parse_json(t))
    }

    /// `options`: `{"from_version", "limit", "raw"}`. Returns an array of
    /// stored events, upcast to their current versions (§12); an event
    /// stored at its current version has its data and metadata written as
    /// stored, byte for byte. With `raw`, every event is as stored: its
    /// type, schema and data as written, none upcast.
    pub fn read_stream_json(&self, stream: &str, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let o = ReadOptions::stream_from_json(&self.options_json(options)?)?;
        let raw = self.inner.store.read_stream(
            stream,
            o.from.unwrap_or(1),
            o.limit.unwrap_or(usize::MAX),
        )?;
        if o.raw {
            return raw_events_json(&raw);
        }
        self.events_json(&raw)
    }

    /// `options`: `{"from_position", "limit", "models", "types", "raw"}`;
    /// the filters keep events of any of the models and any of the types;
    /// `raw` as for [`Engine::read_stream_json`].
    pub fn read_all_json(&self, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let o = ReadOptions::all_from_json(&self.options_json(options)?)?;
        let filter = store::ReadFilter {
            models: o.models.unwrap_or_default(),
            types: o.types.unwrap_or_default(),
        };
        let raw = self.inner.store.read_all(
            &filter,
            o.from.unwrap_or(1),
            o.limit.unwrap_or(usize::MAX),
        )?;
        if o.raw {
            return raw_events_json(&raw);
        }
        self.events_json(&raw)
    }

    /// `options`: `{"model"}`. Returns `[{"stream", "version"}, ...]`.
    pub fn streams_json(&self, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let model = crate::options::streams_from_json(&self.options_json(options)?)?;
        Ok(to_json(&self.streams(model.as_deref())?))
    }
}

/// Stored events as JSON, data and metadata copied as stored.
pub(super) fn raw_events_json(events: &[RawEvent]) -> Result<String> {
    let mut out = String::with_capacity(events.len() * 256 + 2);
    out.push('[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (what, text) in [("data", &e.data), ("metadata", &e.metadata)] {
            if serde_json::from_str::<&serde_json::value::RawValue>(text).is_err() {
                return Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Corrupt,
                    message: format!(
                        "event {} (stream {}, version {}) has damaged {what}",
                        e.position, e.stream, e.version
                    ),
                });
            }
        }
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        out.push_str(&format!(
            "{{\"id\":{},\"stream\":{},\"version\":{},\"position\":{},\"type\":{},\"schema\":{},\"data\":{},\"metadata\":{}}}",
            q(&e.id),
            q(&e.stream),
            e.version,
            e.position,
            q(&e.event_type),
            e.schema,
            e.data,
            e.metadata
        ));
    }
    out.push(']');
    Ok(out)
}

/// JSON as a value with no declared type to read it by (an event of a
/// model this domain does not have).
fn plain_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(items.iter().map(plain_value)),
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (crate::value::Str::from(k.as_str()), plain_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::{self, Append, NewEvent, Store};
    use crate::{Domain, Engine, EngineOptions, Error, Source};

    /// An engine over a store holding `events` in stream `C-1`, written
    /// behind the engine's back as another program (or an older model)
    /// might have.
    fn engine_over(events: &[(&str, &str)]) -> Engine {
        let domain = Domain::compile(&[Source::new(
            "c.model",
            "model C { state { n: int } command go() { emit went(by: 1) } \
             event went(by: int) { set n = n + by } }",
        )])
        .unwrap();
        let store: Arc<dyn Store> = Arc::from(store::open("memory:").unwrap());
        let new: Vec<NewEvent> = events
            .iter()
            .enumerate()
            .map(|(i, (t, d))| NewEvent {
                id: format!("id-{i}"),
                event_type: t.to_string(),
                schema: 1,
                data: d.to_string(),
                metadata: "{}".into(),
            })
            .collect();
        store
            .write(&mut |tx| {
                tx.append(&[Append {
                    stream: "C-1".into(),
                    model: "C".into(),
                    expected_version: 0,
                    events: new.clone(),
                    command_id: None,
                }])
                .map(|_| ())
            })
            .unwrap();
        Engine::with_store(store, domain, EngineOptions::default()).unwrap()
    }

    #[test]
    fn stored_events_are_read_typed_or_as_plain_json() {
        let e = engine_over(&[
            ("went", r#"{"by":2}"#),
            ("retired", r#"{"x":[1,"a"]}"#),
            ("went", r#"{"by":"two"}"#),
        ]);
        let read = e.read_stream("C-1", None, None).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].data.to_json_string(), r#"{"by":2}"#);
        assert_eq!(read[1].event_type, "retired");
        assert_eq!(read[1].data.to_json_string(), r#"{"x":[1,"a"]}"#);
        assert_eq!(read[2].data.to_json_string(), r#"{"by":"two"}"#);
        assert_eq!(e.read_all(None, None).unwrap(), read);
    }

    /// §12: every reader sees events upcast; one already current is
    /// copied as stored.
    #[test]
    fn the_json_readers_upcast_old_events() {
        let domain = Domain::compile(&[Source::new(
            "c.model",
            "model C { state { n: int } command go() { emit went(by: 1, why: \"\") } \
             event went@2(by: int, why: string) { set n = n + by } \
             upcast went@1(by: int) { emit went@2(by, why: \"old\") } }",
        )])
        .unwrap();
        let store: Arc<dyn Store> = Arc::from(store::open("memory:").unwrap());
        let event = |i: u32, schema: u32, data: &str| NewEvent {
            id: format!("id-{i}"),
            event_type: "went".into(),
            schema,
            data: data.into(),
            metadata: "{}".into(),
        };
        store
            .write(&mut |tx| {
                tx.append(&[Append {
                    stream: "C-1".into(),
                    model: "C".into(),
                    expected_version: 0,
                    events: vec![
                        event(0, 1, r#"{"by":2}"#),
                        event(1, 2, r#"{ "by":3,"why":"now"}"#),
                    ],
                    command_id: None,
                }])
                .map(|_| ())
            })
            .unwrap();
        let e = Engine::with_store(store, domain, EngineOptions::default()).unwrap();
        let all: serde_json::Value = serde_json::from_str(&e.read_all_json(None).unwrap()).unwrap();
        assert_eq!(all[0]["schema"], 2);
        assert_eq!(all[0]["data"], serde_json::json!({"by": 2, "why": "old"}));
        assert_eq!(all[1]["schema"], 2);
        let text = e.read_stream_json("C-1", None).unwrap();
        assert!(
            text.contains(r#"{ "by":3,"why":"now"}"#),
            "as stored: {text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            all
        );
    }

    #[test]
    fn loading_names_the_stored_event_that_does_not_fit() {
        let e = engine_over(&[("went", r#"{"by":2}"#), ("retired", "{}")]);
        let err = e.load("C", "1").unwrap_err();
        assert_eq!(err.code(), "unknown_event");
        assert!(err.to_string().contains("stream C-1 version 2"), "{err}");
        let e = engine_over(&[("went", r#"{"by":2.5}"#)]);
        match e.load("C", "1").unwrap_err() {
            Error::InvalidEvent { path, message } => {
                assert_eq!(path, "data.by");
                assert!(message.starts_with("stream C-1 version 1: "), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn damaged_data_is_a_corrupt_store() {
        let e = engine_over(&[("retired", "{not json")]);
        let err = e.read_stream("C-1", None, None).unwrap_err();
        assert_eq!(err.code(), "store_error");
        assert!(err.to_string().contains("damaged data"), "{err}");
    }
}
