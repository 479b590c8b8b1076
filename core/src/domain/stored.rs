//! The one door through which stored events reach a model: loading and
//! catching up a state, replaying a stream, `read_stream` and `read_all`,
//! and the repeat of an idempotent command all call [`EventReader::read`].
//!
//! A stored event is its type, its `schema` (the version of its shape, §8)
//! and its data as text. Today every event has one version, so a stored
//! event is one model event, decoded against its declaration. Upcasts
//! (MODEL-LANGUAGE.md §12) go here and nowhere else: one stored event may
//! then become no model event, one, or several, which is why the events
//! are handed to a callback instead of returned.

use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::language::ir::Model;
use crate::types::text::{self, Fault};

/// The schema of every event written so far: until a model declares event
/// versions (§12), each event is at version 1.
pub(crate) const CURRENT_SCHEMA: u32 = 1;

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
    /// each, in order (today exactly once). `at` names the event for error
    /// messages (`stream Todos-1 version 3`); it is only called on a fault.
    /// A type or schema the model does not declare is `unknown_event`, data
    /// that does not fit its declaration `invalid_event`; an error of
    /// `emit` is returned as it is.
    pub(crate) fn read(
        &mut self,
        event_type: &str,
        schema: u32,
        data: &str,
        at: &dyn Fn() -> String,
        emit: &mut impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let m = self.model;
        let index = match self.last {
            Some(i) if &*m.events[i].name == event_type => i,
            _ => {
                let i = m.event_index(event_type).ok_or_else(|| Error::UnknownEvent {
                    message: format!(
                        "{} holds event `{event_type}` (schema {schema}), which model {} does not declare",
                        at(),
                        m.name
                    ),
                })?;
                self.last = Some(i);
                i
            }
        };
        if schema != CURRENT_SCHEMA {
            return Err(Error::UnknownEvent {
                message: format!(
                    "{} holds event `{event_type}` at schema {schema}; model {} declares only \
                     version {CURRENT_SCHEMA} of it (older versions need an upcast)",
                    at(),
                    m.name
                ),
            });
        }
        let h = &m.events[index];
        self.path.clear();
        self.path.push_str("data");
        let data = text::decode_fields(&m.types, &h.shape, &h.params, data, &mut self.path, |t| {
            serde_json::from_str(t)
        })
        .map_err(|fault| match fault {
            Fault::Json(e) => Error::InvalidEvent {
                path: "data".into(),
                message: format!("{}: stored data is not JSON: {e}", at()),
            },
            Fault::Decode(e) => Error::InvalidEvent {
                path: e.path,
                message: format!("{}: {}", at(), e.message),
            },
        })?;
        emit(Event {
            name: h.name.clone(),
            data,
        })
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
        r.read(
            t,
            schema,
            data,
            &|| "stream C-1 version 2".into(),
            &mut |e| {
                out.push(e);
                Ok(())
            },
        )?;
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
            .read("went", 1, r#"{"by":1}"#, &|| String::new(), &mut |_| {
                Err(Error::EvaluationError {
                    message: "boom".into(),
                })
            })
            .unwrap_err();
        assert!(matches!(e, Error::EvaluationError { .. }), "{e:?}");
    }
}
