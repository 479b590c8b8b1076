//! The one door through which stored events reach a model: loading and
//! catching up a state, replaying a stream, `read_stream` and `read_all`,
//! the repeat of an idempotent command, and the domain's own `accept` and
//! `replay` of events handed in as JSON all call [`EventReader::read`].
//!
//! A stored event is its type, its `schema` (the version of its shape, §8)
//! and its data. Today every event has one version, so a stored event is
//! one model event, decoded against its declaration. Upcasts
//! (MODEL-LANGUAGE.md §12) go here and nowhere else: one stored event may
//! then become no model event, one, or several, which is why the events
//! are handed to a callback instead of returned.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::language::ir::Model;
use crate::types::text::{self, Fault};
use crate::types::DecodeError;

/// The schema of every event written so far: until a model declares event
/// versions (§12), each event is at version 1.
pub(crate) const CURRENT_SCHEMA: u32 = 1;

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
    /// The callback's own error, as it was.
    Emit(Error),
}

/// Reads the stored events of one model. Keep one for a run of events (a
/// stream's fold): it remembers the last event type it found.
#[derive(Debug)]
pub(crate) struct EventReader<'m> {
    model: &'m Model,
    /// Streams repeat a few event types: the handler found last.
    last: Option<usize>,
    /// Where a fault stands; built only on the way out of an error.
    path: String,
}

impl<'m> EventReader<'m> {
    pub(crate) fn new(model: &'m Model) -> EventReader<'m> {
        EventReader {
            model,
            last: None,
            path: String::new(),
        }
    }

    /// The model events that one stored event is: `emit` is called for
    /// each, in order (today exactly once).
    pub(crate) fn read(
        &mut self,
        event_type: &str,
        schema: u32,
        data: Data<'_>,
        emit: &mut impl FnMut(Event) -> Result<()>,
    ) -> std::result::Result<(), Unread> {
        let m = self.model;
        let index = match self.last {
            Some(i) if &*m.events[i].name == event_type => i,
            _ => {
                let i = m.event_index(event_type).ok_or(Unread::UnknownType)?;
                self.last = Some(i);
                i
            }
        };
        if schema != CURRENT_SCHEMA {
            return Err(Unread::UnknownSchema);
        }
        let h = &m.events[index];
        self.path.clear();
        self.path.push_str("data");
        let data = match data {
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
        };
        emit(Event {
            name: h.name.clone(),
            data,
        })
        .map_err(Unread::Emit)
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
                    "{at} holds event `{event_type}` at schema {schema}; model {model} declares only \
                     version {CURRENT_SCHEMA} of it (older versions need an upcast)"
                ),
            },
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
        let mut r = EventReader::new(d.model("C").unwrap());
        r.read(t, schema, Data::Text(data), &mut |e| {
            out.push(e);
            Ok(())
        })
        .map_err(|u| u.at("stream C-1 version 2", "C", t, schema))?;
        Ok(out)
    }

    #[test]
    fn a_stored_event_is_one_model_event_today() {
        let d = domain();
        let events = read(&d, "went", 1, r#"{"by":3}"#).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].to_json_string(),
            r#"{"type":"went","data":{"by":3}}"#
        );
        assert_eq!(read(&d, "reset", 1, "{}").unwrap().len(), 1);
        // Text and parsed JSON give the same event.
        let mut r = EventReader::new(d.model("C").unwrap());
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

    #[test]
    fn an_error_of_the_callback_comes_back_as_it_is() {
        let d = domain();
        let mut r = EventReader::new(d.model("C").unwrap());
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
