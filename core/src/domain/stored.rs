//! The one door through which stored events reach a model: loading and
//! catching up a state, replaying a stream, `read_stream` and `read_all`,
//! the repeat of an idempotent command, and the domain's own `accept` and
//! `replay` of events handed in as JSON all call [`EventReader::read`].
//!
//! A stored event is its type, its `schema` (the version of its shape, §8)
//! and its data. A current (type, schema) is one model event, decoded
//! against its declaration; an older one is decoded against its upcast's
//! params and upcast (MODEL-LANGUAGE.md §12), here and nowhere else. One
//! stored event may then become no model event, one, or several, which is
//! why the events are handed to a callback instead of returned.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::language::eval::{Event, Machine};
use crate::language::ir::{Handler, Model};
use crate::language::source::SourceMap;
use crate::language::versions::Read;
use crate::limits::Limits;
use crate::types::text::{self, Fault};
use crate::types::DecodeError;
use crate::value::Value;

/// An event's data: the text a store holds (decoded on the fast path), or
/// JSON a caller already parsed (the domain's verbs).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Data<'a> {
    Text(&'a str),
    Json(&'a Json),
}

/// Why a stored event did not reach the model. Each caller words it for
/// where the event came from ([`Unread::at`] for a stream's events).
#[derive(Debug)]
pub(crate) enum Unread {
    /// The model declares no event of this type.
    UnknownType,
    /// The model declares the type, but not at this schema.
    UnknownSchema,
    /// The data is not JSON.
    NotJson(serde_json::Error),
    /// The data does not fit the event's declaration.
    Invalid(DecodeError),
    /// An upcast failed while it ran (`evaluation_error`, `limit_exceeded`).
    Upcast(Error),
    /// The callback's own error, as it was.
    Emit(Error),
}

/// Reads the stored events of one model. Keep one for a run of events (a
/// stream's fold): it remembers the last event type it found.
pub(crate) struct EventReader<'m> {
    model: &'m Model,
    /// Where upcasts report faults, and the limits they run within.
    sources: &'m SourceMap,
    limits: &'m Limits,
    /// Streams repeat a few event types: the current event found last.
    last: Option<usize>,
    /// Where a fault stands; built only on the way out of an error.
    path: String,
    /// Runs upcasts; made at the first old event and kept for the next.
    machine: Option<Machine<'m>>,
    /// The shapes still to read of one stored event, and their data.
    todo: Vec<(usize, Value)>,
}

impl<'m> EventReader<'m> {
    pub(crate) fn new(
        model: &'m Model,
        sources: &'m SourceMap,
        limits: &'m Limits,
    ) -> EventReader<'m> {
        EventReader {
            model,
            sources,
            limits,
            last: None,
            path: String::new(),
            machine: None,
            todo: Vec::new(),
        }
    }

    /// How `event_type` at `schema` is read: one lookup in the plan the
    /// compiler made (the current event found last is tried first).
    fn find(&self, event_type: &str, schema: u32) -> std::result::Result<Read, Unread> {
        let m = self.model;
        if let Some(i) = self.last {
            let h = &m.events[i];
            if h.version == schema && &*h.name == event_type {
                return Ok(Read::Current(i));
            }
        }
        m.reads.find(event_type, schema).ok_or_else(|| {
            if m.reads.newest(event_type).is_some() {
                Unread::UnknownSchema
            } else {
                Unread::UnknownType
            }
        })
    }

    /// The model events that one stored event is: `emit` is called for
    /// each, in order, each at its current version. An old shape is run
    /// through its upcast, and whatever that emits through theirs, until
    /// current; one chain shares one budget of evaluation steps (§10), as
    /// one event's accept does.
    pub(crate) fn read(
        &mut self,
        event_type: &str,
        schema: u32,
        data: Data<'_>,
        emit: &mut impl FnMut(Event) -> Result<()>,
    ) -> std::result::Result<(), Unread> {
        let m = self.model;
        match self.find(event_type, schema)? {
            Read::Current(i) => {
                self.last = Some(i);
                let h = &m.events[i];
                let data = self.decode(h, data)?;
                emit(Event {
                    name: h.name.clone(),
                    data,
                })
                .map_err(Unread::Emit)
            }
            Read::Upcast(u) => {
                let data = self.decode(&m.upcasts[u].handler, data)?;
                self.upcast(m.events.len() + u, data, emit)
            }
        }
    }

    /// Runs the upcast of shape `first` on `data`, then the upcasts of what
    /// it emits, depth first so that the order is the order of the emits.
    fn upcast(
        &mut self,
        first: usize,
        data: Value,
        emit: &mut impl FnMut(Event) -> Result<()>,
    ) -> std::result::Result<(), Unread> {
        let m = self.model;
        let current = m.events.len();
        let (sources, limits) = (self.sources, self.limits);
        let machine = self
            .machine
            .get_or_insert_with(|| Machine::new(m, sources, limits, Value::Null));
        machine.track_targets = true;
        // One budget for the whole chain of one stored event.
        machine.steps = 0;
        machine.built = 0;
        let todo = &mut self.todo;
        todo.clear();
        let mut next = Some((first, data));
        while let Some((shape, data)) = next.take().or_else(|| todo.pop()) {
            if shape < current {
                emit(Event {
                    name: m.events[shape].name.clone(),
                    data,
                })
                .map_err(Unread::Emit)?;
                continue;
            }
            let h = &m.upcasts[shape - current].handler;
            machine.events.clear();
            machine.targets.clear();
            machine.enter(&data, h.frame_size);
            machine.run(&h.body).map_err(|e| Unread::Upcast(*e))?;
            // The common chain, one event per step, goes on without the stack.
            if machine.events.len() == 1 {
                let e = machine.events.pop().map(|e| e.data);
                next = machine.targets.pop().zip(e);
                continue;
            }
            // Reversed, so that the first emitted is read first.
            todo.extend(
                machine
                    .targets
                    .drain(..)
                    .zip(machine.events.drain(..))
                    .rev()
                    .map(|(t, e)| (t, e.data)),
            );
        }
        Ok(())
    }

    /// The data of a stored event, checked against the shape it was stored
    /// as (§8: `invalid_event` at its path).
    fn decode(&mut self, h: &Handler, data: Data<'_>) -> std::result::Result<Value, Unread> {
        let m = self.model;
        self.path.clear();
        self.path.push_str("data");
        Ok(match data {
            Data::Text(text) => {
                text::decode_fields(&m.types, &h.shape, &h.params, text, &mut self.path, |t| {
                    serde_json::from_str(t)
                })
                .map_err(|fault| match fault {
                    Fault::Json(e) => Unread::NotJson(e),
                    Fault::Decode(e) => Unread::Invalid(e),
                })?
            }
            Data::Json(json) => m
                .types
                .decode_fields(json, &h.shape, &h.params, &mut self.path)
                .map_err(Unread::Invalid)?,
        })
    }
}

impl Unread {
    /// The error for an event of a stream: `at` names it (`stream Todos-1
    /// version 3`). An unknown type or schema is `unknown_event`, data that
    /// does not fit `invalid_event` at its path.
    pub(crate) fn at(self, at: &str, model: &str, event_type: &str, schema: u32) -> Error {
        match self {
            Unread::UnknownType => Error::UnknownEvent {
                message: format!(
                    "{at} holds event `{event_type}` (schema {schema}), which model {model} does not declare"
                ),
            },
            Unread::UnknownSchema => Error::UnknownEvent {
                message: format!(
                    "{at} holds event `{event_type}` at schema {schema}, which model {model} does not \
                     declare; declare `upcast {event_type}@{schema}(...)` to read it"
                ),
            },
            Unread::Upcast(e) => at_upcast(e, at, event_type, schema),
            Unread::NotJson(e) => Error::InvalidEvent {
                path: "data".into(),
                message: format!("{at}: stored data is not JSON: {e}"),
            },
            Unread::Invalid(e) => Error::InvalidEvent {
                path: e.path,
                message: format!("{at}: {}", e.message),
            },
            Unread::Emit(e) => e,
        }
    }
}

/// An upcast's run-time failure, naming the stored event it read.
pub(crate) fn at_upcast(e: Error, at: &str, event_type: &str, schema: u32) -> Error {
    let lead = format!("{at}: reading `{event_type}` at schema {schema}");
    match e {
        Error::EvaluationError { message } => Error::EvaluationError {
            message: format!("{lead}: {message}"),
        },
        Error::LimitExceeded { limit, message } => Error::LimitExceeded {
            limit,
            message: format!("{lead}: {message}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, Source};

    fn domain() -> Domain {
        Domain::compile(&[Source::new(
            "c.model",
            "model C { state { n: int } command go() { emit went(by: 1) } \
             event went(by: int) { set n = n + by } event reset() { set n = 0 } }",
        )])
        .unwrap()
    }

    fn read(d: &Domain, t: &str, schema: u32, data: &str) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        let mut r = d.reader(d.model("C").unwrap());
        r.read(t, schema, Data::Text(data), &mut |e| {
            out.push(e);
            Ok(())
        })
        .map_err(|u| u.at("stream C-1 version 2", "C", t, schema))?;
        Ok(out)
    }

    #[test]
    fn a_current_stored_event_is_one_model_event() {
        let d = domain();
        let events = read(&d, "went", 1, r#"{"by":3}"#).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].to_json_string(),
            r#"{"type":"went","data":{"by":3}}"#
        );
        assert_eq!(read(&d, "reset", 1, "{}").unwrap().len(), 1);
        // Text and parsed JSON give the same event.
        let mut r = d.reader(d.model("C").unwrap());
        let json = serde_json::json!({"by": 3});
        let mut from_json = Vec::new();
        r.read("went", 1, Data::Json(&json), &mut |e| {
            from_json.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(from_json[0].data, events[0].data);
    }

    #[test]
    fn faults_name_the_event_and_what_is_wrong() {
        let d = domain();
        let e = read(&d, "gone", 1, "{}").unwrap_err();
        assert_eq!(e.code(), "unknown_event");
        assert!(e.to_string().contains("stream C-1 version 2"), "{e}");
        assert!(e.to_string().contains("`gone` (schema 1)"), "{e}");
        let e = read(&d, "went", 2, r#"{"by":3}"#).unwrap_err();
        assert_eq!(e.code(), "unknown_event");
        assert!(e.to_string().contains("schema 2"), "{e}");
        match read(&d, "went", 1, r#"{"by":"x"}"#).unwrap_err() {
            Error::InvalidEvent { path, message } => {
                assert_eq!(path, "data.by");
                assert!(message.starts_with("stream C-1 version 2: "), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match read(&d, "went", 1, "{").unwrap_err() {
            Error::InvalidEvent { path, message } => {
                assert_eq!(path, "data");
                assert!(message.contains("not JSON"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Three versions of `went`, a dropped `seen`, and `spun`, whose upcast
    /// takes a thousand steps.
    const VERSIONED: &str = "model V {\n state { n: int }\n event went@3(by: int, why: string = \"\") {\n set n = n + by\n }\n \
             upcast went@2(by: int) {\n emit went(by)\n }\n upcast went@1(times: int) {\n \
             for i in [1, 2, 3] {\n if i <= times {\n emit went@2(by: 1)\n }\n }\n }\n \
             upcast seen@1() {\n }\n upcast spun@1(n: int) {\n for i in [1,2,3,4,5,6,7,8,9,10] {\n \
             for j in [1,2,3,4,5,6,7,8,9,10] {\n for k in [1,2,3,4,5,6,7,8,9,10] {\n \
             emit seen@1()\n }\n }\n }\n }\n}\n";

    fn versioned() -> Domain {
        Domain::compile(&[Source::new("v.model", VERSIONED)]).unwrap()
    }

    fn read_v(d: &Domain, t: &str, schema: u32, data: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        d.reader(d.model("V").unwrap())
            .read(t, schema, Data::Text(data), &mut |e| {
                out.push(e.to_json_string());
                Ok(())
            })
            .map_err(|u| u.at("stream V-1 version 1", "V", t, schema))?;
        Ok(out)
    }

    #[test]
    fn an_old_shape_is_upcast_until_current_in_the_order_it_emits() {
        let d = versioned();
        let went = r#"{"type":"went","data":{"by":1,"why":""}}"#;
        assert_eq!(
            read_v(&d, "went", 1, r#"{"times":2}"#).unwrap(),
            [went, went]
        );
        assert_eq!(read_v(&d, "went", 2, r#"{"by":1}"#).unwrap(), [went]);
        assert_eq!(read_v(&d, "went", 3, r#"{"by":1}"#).unwrap(), [went]);
        assert!(read_v(&d, "went", 1, r#"{"times":0}"#).unwrap().is_empty());
        assert!(read_v(&d, "seen", 1, "{}").unwrap().is_empty());
        // Checked against the shape it was stored as.
        let e = read_v(&d, "went", 2, r#"{"by":1,"why":"x"}"#).unwrap_err();
        assert_eq!(e.to_json()["path"], "data.why");
        let e = read_v(&d, "went", 4, r#"{"by":1}"#).unwrap_err();
        assert_eq!(e.code(), "unknown_event");
        assert!(e.to_string().contains("stream V-1 version 1"), "{e}");
        assert!(e.to_string().contains("schema 4"), "{e}");
        let e = read_v(&d, "seen", 2, "{}").unwrap_err();
        assert_eq!(e.code(), "unknown_event");
    }

    #[test]
    fn upcasts_run_within_the_step_limit() {
        let limits = crate::Limits {
            max_steps: 500,
            ..crate::Limits::default()
        };
        let d = Domain::compile_with_limits(&[Source::new("v.model", VERSIONED)], limits).unwrap();
        let e = read_v(&d, "spun", 1, r#"{"n":1}"#).unwrap_err();
        assert_eq!(e.code(), "limit_exceeded", "{e}");
        assert!(e.to_string().contains("reading `spun` at schema 1"), "{e}");
        // The default limit lets it finish.
        assert!(read_v(&versioned(), "spun", 1, r#"{"n":1}"#)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn an_error_of_the_callback_comes_back_as_it_is() {
        let d = domain();
        let mut r = d.reader(d.model("C").unwrap());
        let e = r
            .read("went", 1, Data::Text(r#"{"by":1}"#), &mut |_| {
                Err(Error::EvaluationError {
                    message: "boom".into(),
                })
            })
            .unwrap_err();
        assert!(
            matches!(e, Unread::Emit(Error::EvaluationError { .. })),
            "{e:?}"
        );
    }
}
