//! A compiled domain: the pure verbs of the architecture (`compile`,
//! `models`, `describe`, `initial_state`, `propose`, `accept`, `replay`,
//! `query`), over [`Value`]s and over JSON text.

mod json;
mod metadata;
mod project;
pub(crate) mod stored;

pub use json::events_to_json;
use json::{
    decode_data, envelope, events_from_json, list, metadata, parse_json, read_envelope, read_json,
    state_from_json, truncate, StateFor,
};
use stored::EventReader;

use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::language::eval::{Event, Machine};
use crate::language::ir::{self, Model};
use crate::language::source::{Source, SourceMap};
use crate::language::{check, parser};
use crate::limits::Limits;
use crate::types::text::Fault;
use crate::value::{parse_timestamp, Str, Value};

/// A command as `propose` takes it: its data checked against the params.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub name: Str,
    /// A record of the command's params, defaults filled in.
    pub data: Value,
    /// The caller's id for the command, for idempotent retries.
    pub id: Option<String>,
    /// `map<string, string>`, what the model sees as `meta`.
    pub metadata: Value,
}

/// The outcome of a command: its events and the state after them.
#[derive(Debug, Clone)]
pub struct Decision {
    pub events: Vec<Event>,
    pub state: Value,
}

/// Compiled models. Cheap to clone and safe to share between threads.
#[derive(Debug, Clone)]
pub struct Domain {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    models: Vec<Model>,
    /// Tables and projections (§13, `domain/project.rs`).
    read: crate::language::readside::ReadSide,
    sources: SourceMap,
    limits: Limits,
}

impl Domain {
    /// Compiles model files (name and text each) into one domain.
    ///
    /// ```
    /// use eventfold::{Domain, Source};
    /// let domain = Domain::compile(&[Source::new("counter.model", r#"
    ///   model Counter {
    ///     state { count: int }
    ///     command bump(by: int = 1) { emit bumped(by) }
    ///     event bumped(by: int) { set count = count + by }
    ///   }
    /// "#)]).unwrap();
    /// let events = domain
    ///     .propose_json("Counter", None, r#"{"type": "bump", "data": {"by": 2}}"#, None)
    ///     .unwrap();
    /// assert_eq!(events, r#"[{"type":"bumped","data":{"by":2}}]"#);
    /// ```
    pub fn compile(sources: &[Source]) -> Result<Domain> {
        Domain::compile_with_limits(sources, Limits::default())
    }

    /// Reads model files and compiles them: an `io_error` names the first
    /// file that cannot be read (nothing is compiled then).
    pub fn compile_files<P: AsRef<std::path::Path>>(paths: &[P]) -> Result<Domain> {
        Domain::compile_files_with_limits(paths, Limits::default())
    }

    pub fn compile_files_with_limits<P: AsRef<std::path::Path>>(
        paths: &[P],
        limits: Limits,
    ) -> Result<Domain> {
        let sources = paths.iter().map(Source::read).collect::<Result<Vec<_>>>()?;
        Domain::compile_with_limits(&sources, limits)
    }

    pub fn compile_with_limits(sources: &[Source], limits: Limits) -> Result<Domain> {
        for s in sources {
            if s.text.len() > limits.max_source_bytes {
                return Err(Error::limit(
                    "max_source_bytes",
                    format!(
                        "model file {} has {} bytes; the limit is {}",
                        s.name,
                        s.text.len(),
                        limits.max_source_bytes
                    ),
                ));
            }
        }
        let map = SourceMap::new(sources);
        let mut diags = Vec::new();
        let files: Vec<_> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (file, d) = parser::parse(i as u32, &s.text);
                diags.extend(d);
                file
            })
            .collect();
        let (models, read) = if diags.is_empty() {
            let texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
            let models = check::check(&files, &texts, &mut diags);
            let read = check::read_side(&files, &texts, &models, &mut diags);
            (models, read)
        } else {
            Default::default()
        };
        if !diags.is_empty() {
            diags.sort_by_key(|d| (d.span.file, d.span.start));
            let diags = SourceMap::cap(diags, limits.max_diagnostics);
            return Err(Error::ModelError {
                diagnostics: diags.iter().map(|d| map.diagnostic(d)).collect(),
                rendered: map.render(&diags),
            });
        }
        Ok(Domain {
            inner: Arc::new(Inner {
                models,
                read,
                sources: map,
                limits,
            }),
        })
    }

    /// The files this domain was compiled from, in the order given: what
    /// the store's model registry keeps, so that another engine can follow
    /// a model change.
    pub fn sources(&self) -> Vec<Source> {
        self.inner.sources.sources().cloned().collect()
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The names of the models, in declaration order.
    pub fn models(&self) -> Vec<&str> {
        self.inner.models.iter().map(|m| &*m.name).collect()
    }

    pub(crate) fn model(&self, name: &str) -> Result<&Model> {
        self.inner
            .models
            .iter()
            .find(|m| &*m.name == name)
            .ok_or_else(|| Error::UnknownModel {
                message: format!(
                    "no model `{name}` in this domain; it has {}",
                    list(self.inner.models.iter().map(|m| &*m.name))
                ),
            })
    }

    /// The whole ubiquitous language as JSON (see `describe.rs`).
    pub fn describe(&self) -> Json {
        let mut out = crate::describe::describe(&self.inner.models);
        crate::describe::read::describe(&mut out, &self.inner.read);
        out
    }

    /// Every name, type and doc of the domain, resolved, for the code
    /// generators ([`crate::generate`]).
    pub fn schema(&self) -> crate::generate::Schema {
        crate::generate::schema::schema(&self.inner.models, &self.inner.read)
    }

    /// The same, as a Markdown glossary for a team's wiki.
    pub fn describe_markdown(&self) -> String {
        crate::describe::markdown(&self.describe())
    }

    pub fn initial_state(&self, model: &str) -> Result<Value> {
        Ok(self.model(model)?.initial_state.clone())
    }

    /// Parses JSON input within the limits: size, depth, valid text.
    pub fn parse_json(&self, text: &str) -> Result<Json> {
        parse_json(text.as_bytes(), &self.inner.limits)
    }

    /// The same from bytes that may not be UTF-8.
    pub fn parse_json_bytes(&self, bytes: &[u8]) -> Result<Json> {
        parse_json(bytes, &self.inner.limits)
    }

    /// Checks a command envelope (`type`, `data`, `id`, `metadata`) and its
    /// data against the command's params.
    pub fn command(&self, model: &str, json: &Json) -> Result<Command> {
        let m = self.model(model)?;
        let invalid = |path: &str, message: String| Error::InvalidCommand {
            path: path.to_string(),
            message,
        };
        let (envelope, name) = envelope(json, "command", &["type", "data", "id", "metadata"])
            .map_err(|(path, message)| invalid(&path, message))?;
        let handler = m.command(name).ok_or_else(|| Error::UnknownCommand {
            message: format!(
                "model {} has no command `{}`; its commands are {}",
                m.name,
                truncate(name),
                list(m.commands.iter().map(|c| &*c.name))
            ),
        })?;
        let id = match envelope.get("id") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(invalid(
                    "id",
                    format!(
                        "`id` must be a string, not {}",
                        crate::types::describe_json(other)
                    ),
                ))
            }
        };
        let metadata = metadata(envelope.get("metadata")).map_err(|(p, msg)| invalid(&p, msg))?;
        let data = decode_data(m, envelope.get("data"), &handler.shape, &handler.params)
            .map_err(|e| invalid(&e.path, e.message))?;
        Ok(Command {
            name: handler.name.clone(),
            data,
            id,
            metadata,
        })
    }

    /// Checks an event (`type`, `data`, `schema`; the keys of a stored
    /// event are allowed and ignored) against its declaration. An older
    /// `schema` is upcast, and must read as exactly one event (else see
    /// [`Self::upcast`]).
    pub fn event(&self, model: &str, json: &Json) -> Result<Event> {
        let mut events = events_from_json(self, self.model(model)?, json)?;
        if events.len() == 1 {
            return Ok(events.remove(0));
        }
        Err(Error::InvalidEvent {
            path: "schema".into(),
            message: format!(
                "this stored event reads as {} events of the current model, not one; read it with `upcast` or fold it with `replay`",
                events.len()
            ),
        })
    }

    /// A stored event (`type`, `schema`, `data`; a left-out `schema` is
    /// the newest version, §8) as the current model reads it: no event,
    /// one, or several, each at its current version (§12).
    pub fn upcast(&self, model: &str, json: &Json) -> Result<Vec<Event>> {
        events_from_json(self, self.model(model)?, json)
    }

    /// The current version of event `name` of `model`: the `schema` every
    /// event it emits or reads as is stored with.
    pub fn event_version(&self, model: &str, name: &str) -> Result<u32> {
        let m = self.model(model)?;
        let i = m.event_index(name).ok_or_else(|| Error::UnknownEvent {
            message: format!("model {} has no event `{}`", m.name, truncate(name)),
        })?;
        Ok(m.events[i].version)
    }

    /// The one door for stored events of model `m` (`stored.rs`).
    pub(crate) fn reader<'d>(&'d self, m: &'d Model) -> EventReader<'d> {
        EventReader::new(m, &self.inner.sources, &self.inner.limits)
    }

    /// Checks a state given as JSON against the model's state. Faults are
    /// reported with `code` (`invalid_command` for propose and query,
    /// `invalid_event` for accept and replay) at a path under `state`.
    pub fn state(&self, model: &str, json: &Json) -> Result<Value> {
        state_from_json(self.model(model)?, json, StateFor::Command)
    }

    /// Runs a command on a state: its events, or a rejection. The events are
    /// accepted on a copy of the state and the invariants checked there.
    pub fn propose(
        &self,
        model: &str,
        state: &Value,
        command: &Command,
        now: Option<crate::value::Timestamp>,
    ) -> Result<Vec<Event>> {
        Ok(self.decide(model, state.clone(), command, now)?.events)
    }

    /// Propose and accept in one: the events and the state after them. The
    /// state is taken by value so that, held only here, it changes in place.
    pub fn decide(
        &self,
        model: &str,
        mut state: Value,
        command: &Command,
        now: Option<crate::value::Timestamp>,
    ) -> Result<Decision> {
        let events = self.decide_in_place(model, &mut state, command, now)?;
        Ok(Decision { events, state })
    }

    /// Propose and accept in one, changing `state` in place: cheap when the
    /// caller holds the only reference to it (a persistent map then changes
    /// without copying).
    ///
    /// On success `state` is the state after the events. On a rejection, an
    /// invalid command or an error in the command's block, it is unchanged.
    /// When an invariant fails it is unchanged too (the model's invariants
    /// make a copy worth keeping). Only when an event fails to apply in a
    /// model without invariants (a bug in the model) is `state` left as
    /// `null`: reload it from the events.
    pub fn decide_in_place(
        &self,
        model: &str,
        state: &mut Value,
        command: &Command,
        now: Option<crate::value::Timestamp>,
    ) -> Result<Vec<Event>> {
        let m = self.model(model)?;
        let handler = m
            .command(&command.name)
            .ok_or_else(|| Error::UnknownCommand {
                message: format!("model {} has no command `{}`", m.name, command.name),
            })?;
        check_shape(&command.data, &handler.shape, || Error::InvalidCommand {
            path: "data".into(),
            message: format!(
                "the data was not made for command `{}` of model {}",
                command.name, m.name
            ),
        })?;
        check_shape(state, &m.state_shape, || Error::InvalidCommand {
            path: "state".into(),
            message: format!("the state is not a state of model {}", m.name),
        })?;
        let inner = &self.inner;
        let mut machine = Machine::new(m, &inner.sources, &inner.limits, std::mem::take(state));
        machine.now = Some(now.unwrap_or_else(crate::value::Timestamp::now));
        machine.meta = command.metadata.clone();
        machine.enter(&command.data, handler.frame_size);
        if let Err(e) = machine.run(&handler.body) {
            *state = machine.state;
            return Err(*e);
        }
        let events = std::mem::take(&mut machine.events);
        if events.is_empty() && m.invariants.is_empty() {
            *state = machine.state;
            return Ok(events);
        }
        let backup = (!m.invariants.is_empty()).then(|| machine.state.clone());
        let outcome = accept_all(m, &mut machine, &events);
        match (outcome, backup) {
            (Ok(()), _) => {
                *state = machine.state;
                Ok(events)
            }
            (Err(e), Some(backup)) => {
                *state = backup;
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// Applies one event to a state. Invariants are not checked: recorded
    /// events are facts.
    pub fn accept(&self, model: &str, state: Value, event: &Event) -> Result<Value> {
        let m = self.model(model)?;
        accept(m, &self.inner, state, event)
    }

    /// Folds events over a state (the initial state when `None`).
    pub fn replay<'e>(
        &self,
        model: &str,
        events: impl IntoIterator<Item = &'e Event>,
        state: Option<Value>,
    ) -> Result<Value> {
        let m = self.model(model)?;
        let mut state = state.unwrap_or_else(|| m.initial_state.clone());
        for event in events {
            state = accept(m, &self.inner, state, event)?;
        }
        Ok(state)
    }

    /// Evaluates a query on a state; `args` is checked against its params
    /// (faults at `args.NAME`).
    pub fn query(&self, model: &str, state: &Value, name: &str, args: &Json) -> Result<Value> {
        let m = self.model(model)?;
        let q = m.query(name).ok_or_else(|| Error::UnknownQuery {
            message: format!(
                "model {} has no query `{}`; its queries are {}",
                m.name,
                truncate(name),
                list(m.queries.iter().map(|q| &*q.name))
            ),
        })?;
        let args = match args {
            Json::Null => Json::Object(Default::default()),
            other => other.clone(),
        };
        let mut path = String::from("args");
        let args = m
            .types
            .decode_fields(&args, &q.shape, &q.params, &mut path)
            .map_err(|e| Error::InvalidCommand {
                path: e.path,
                message: e.message,
            })?;
        check_shape(state, &m.state_shape, || Error::InvalidCommand {
            path: "state".into(),
            message: format!("the state is not a state of model {}", m.name),
        })?;
        let inner = &self.inner;
        let mut machine = Machine::new(m, &inner.sources, &inner.limits, state.clone());
        machine.enter(&args, q.frame_size);
        Ok(machine.eval(&q.body)?)
    }

    // ---- the same verbs over JSON text, for the CLI and the bindings ----

    fn state_arg(&self, m: &Model, state: Option<&str>, code: StateFor) -> Result<Value> {
        let Some(text) = state else {
            return Ok(m.initial_state.clone());
        };
        if text.len() > self.inner.limits.max_input_bytes {
            // Refused by the parser, with the limit's own error.
            return state_from_json(m, &self.parse_json(text)?, code);
        }
        // States are big and usually well formed: decoded straight from
        // the text, and parsed within the limits only when they do not fit.
        let mut path = String::from("state");
        crate::types::text::decode_fields(
            &m.types,
            &m.state_shape,
            &m.state_fields,
            text,
            &mut path,
            |t| self.parse_json(t),
        )
        .map_err(|fault| match fault {
            Fault::Json(e) => e,
            Fault::Decode(e) => code.fault(e),
        })
    }

    /// `propose` over JSON: the state (`None`: the initial state), the
    /// command, and `now` in RFC 3339. Returns the events as a JSON array.
    pub fn propose_json(
        &self,
        model: &str,
        state: Option<&str>,
        command: &str,
        now: Option<&str>,
    ) -> Result<String> {
        let m = self.model(model)?;
        let now = parse_now(now)?;
        let command = self.command(model, &self.parse_json(command)?)?;
        let state = self.state_arg(m, state, StateFor::Command)?;
        let events = self.decide(model, state, &command, now)?.events;
        Ok(events_to_json(&events))
    }

    /// `accept` over JSON: the state after one event. An event of an older
    /// `schema` is upcast first, and every event it reads as is folded.
    pub fn accept_json(&self, model: &str, state: Option<&str>, event: &str) -> Result<String> {
        let m = self.model(model)?;
        let events = events_from_json(self, m, &self.parse_json(event)?)?;
        let mut state = self.state_arg(m, state, StateFor::Event)?;
        for event in &events {
            state = accept(m, &self.inner, state, event)?;
        }
        Ok(state.to_json_string())
    }

    /// `upcast` over JSON: a JSON array of `{"type", "schema", "data"}`,
    /// each at its current version.
    pub fn upcast_json(&self, model: &str, event: &str) -> Result<String> {
        let m = self.model(model)?;
        let events = events_from_json(self, m, &self.parse_json(event)?)?;
        let mut out = String::from("[");
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let version = m.event_index(&e.name).map_or(1, |i| m.events[i].version);
            out.push_str(&format!(
                "{{\"type\":{},\"schema\":{version},\"data\":{}}}",
                serde_json::to_string(&*e.name).unwrap_or_default(),
                e.data.to_json_string()
            ));
        }
        out.push(']');
        Ok(out)
    }

    /// `replay` over JSON: a JSON array of events folded over the state.
    pub fn replay_json(&self, model: &str, events: &str, state: Option<&str>) -> Result<String> {
        let m = self.model(model)?;
        let events = match self.parse_json(events)? {
            Json::Array(items) => items,
            other => {
                return Err(Error::InvalidEvent {
                    path: String::new(),
                    message: format!(
                        "replay takes an array of events, not {}",
                        crate::types::describe_json(&other)
                    ),
                })
            }
        };
        let mut state = self.state_arg(m, state, StateFor::Event)?;
        let mut reader = self.reader(m);
        for (i, json) in events.iter().enumerate() {
            let read = read_json(&mut reader, m, json).map_err(|e| at_event(e, i))?;
            for event in &read {
                state = accept(m, &self.inner, state, event).map_err(|e| at_event(e, i))?;
            }
        }
        Ok(state.to_json_string())
    }

    /// `query` over JSON: the value, as JSON text.
    pub fn query_json(
        &self,
        model: &str,
        state: Option<&str>,
        name: &str,
        args: Option<&str>,
    ) -> Result<String> {
        let m = self.model(model)?;
        let state = self.state_arg(m, state, StateFor::Command)?;
        let args = match args {
            Some(text) => self.parse_json(text)?,
            None => Json::Null,
        };
        Ok(self.query(model, &state, name, &args)?.to_json_string())
    }

    pub fn initial_state_json(&self, model: &str) -> Result<String> {
        Ok(self.initial_state(model)?.to_json_string())
    }
}

/// Accepts a command's events on the machine's state, then checks the
/// invariants there.
fn accept_all(m: &Model, machine: &mut Machine, events: &[Event]) -> Result<()> {
    for event in events {
        let index = m
            .event_index(&event.name)
            .expect("emitted events are declared");
        let h = &m.events[index];
        machine.enter(&event.data, h.frame_size);
        machine.run(&h.body)?;
    }
    for inv in &m.invariants {
        machine.frame.clear();
        machine.frame.resize(inv.frame_size as usize, Value::Null);
        if machine.eval(&inv.expr)? != Value::Bool(true) {
            return Err(Error::Rejected {
                reason: Some("invariant".into()),
                message: inv.text.clone(),
            });
        }
    }
    Ok(())
}

fn accept(m: &Model, inner: &Inner, state: Value, event: &Event) -> Result<Value> {
    let index = m
        .event_index(&event.name)
        .ok_or_else(|| Error::UnknownEvent {
            message: format!("model {} has no event `{}`", m.name, truncate(&event.name)),
        })?;
    let h: &ir::Handler = &m.events[index];
    check_shape(&event.data, &h.shape, || Error::InvalidEvent {
        path: "data".into(),
        message: format!(
            "the data was not made for event `{}` of model {}",
            event.name, m.name
        ),
    })?;
    check_shape(&state, &m.state_shape, || Error::InvalidEvent {
        path: "state".into(),
        message: format!("the state is not a state of model {}", m.name),
    })?;
    let mut machine = Machine::new(m, &inner.sources, &inner.limits, state);
    machine.enter(&event.data, h.frame_size);
    machine.run(&h.body)?;
    Ok(machine.state)
}

/// Values handed in by Rust callers must have been made for this model: the
/// evaluator indexes their fields without looking.
fn check_shape(
    value: &Value,
    shape: &Arc<crate::value::Shape>,
    err: impl FnOnce() -> Error,
) -> Result<()> {
    match value {
        Value::Record(r) if Arc::ptr_eq(&r.shape, shape) || *r.shape == **shape => Ok(()),
        _ => Err(err()),
    }
}

fn parse_now(now: Option<&str>) -> Result<Option<crate::value::Timestamp>> {
    now.map(|text| {
        parse_timestamp(text).map_err(|message| Error::InvalidCommand {
            path: "now".into(),
            message,
        })
    })
    .transpose()
}

fn at_event(e: Error, index: usize) -> Error {
    match e {
        Error::InvalidEvent { path, message } => Error::InvalidEvent {
            path,
            message: format!("event {index}: {message}"),
        },
        Error::UnknownEvent { message } => Error::UnknownEvent {
            message: format!("event {index}: {message}"),
        },
        Error::EvaluationError { message } => Error::EvaluationError {
            message: format!("event {index}: {message}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Domain {
        Domain::compile(&[Source::new(
            "c.model",
            "model C { state { n: int } event went(by: int = 1) { set n = n + by } }",
        )])
        .unwrap()
    }

    #[test]
    fn an_event_may_name_its_schema_and_upcast_gives_it_at_the_current_one() {
        let d = domain();
        assert_eq!(
            d.upcast_json("C", r#"{"type": "went", "schema": 1}"#)
                .unwrap(),
            r#"[{"type":"went","schema":1,"data":{"by":1}}]"#
        );
        assert_eq!(
            d.accept_json(
                "C",
                None,
                r#"{"type": "went", "schema": 1, "data": {"by": 2}}"#
            )
            .unwrap(),
            r#"{"n":2}"#
        );
    }

    #[test]
    fn a_schema_that_is_no_version_is_invalid_and_an_undeclared_one_unknown() {
        let d = domain();
        for bad in [r#""1""#, "0", "-1", "1.5", "null"] {
            let e = d
                .upcast_json("C", &format!(r#"{{"type": "went", "schema": {bad}}}"#))
                .unwrap_err();
            assert!(
                matches!(&e, Error::InvalidEvent { path, .. } if path == "schema"),
                "{bad}: {e:?}"
            );
        }
        let e = d
            .replay_json(
                "C",
                r#"[{"type": "went"}, {"type": "went", "schema": 2}]"#,
                None,
            )
            .unwrap_err();
        assert_eq!(e.code(), "unknown_event");
        assert!(e.to_string().contains("event 1"), "{e}");
    }
}
