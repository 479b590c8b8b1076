//! The JSON side of the domain's verbs: the `{"type", "data", ...}`
//! envelopes of commands and events, states, metadata and events handed
//! back as JSON, and JSON text parsed within the limits.

use std::sync::Arc;

use serde_json::Value as Json;

use super::stored::{self, Data, EventReader, Unread};
use super::Domain;
use crate::error::{Error, Result};
use crate::language::eval::Event;
use crate::language::ir::Model;
use crate::limits::Limits;
use crate::types::DecodeError;
use crate::value::{Map, Str, Value};

/// Which verb a state is given to decides the code of its faults.
#[derive(Debug, Clone, Copy)]
pub(super) enum StateFor {
    Command,
    Event,
}

impl StateFor {
    pub(super) fn fault(self, DecodeError { path, message }: DecodeError) -> Error {
        match self {
            StateFor::Command => Error::InvalidCommand { path, message },
            StateFor::Event => Error::InvalidEvent { path, message },
        }
    }
}

pub(super) fn state_from_json(m: &Model, json: &Json, code: StateFor) -> Result<Value> {
    let mut path = String::from("state");
    m.types
        .decode_fields(json, &m.state_shape, &m.state_fields, &mut path)
        .map_err(|e| code.fault(e))
}

/// The model events an event handed in as JSON reads as (§8, §12): its
/// `schema` (left out: the newest version of its type) is upcast through
/// the door every stored event takes.
pub(super) fn events_from_json(d: &Domain, m: &Model, json: &Json) -> Result<Vec<Event>> {
    read_json(&mut d.reader(m), m, json)
}

/// [`events_from_json`] with a reader kept for a run of events (replay).
pub(super) fn read_json(
    reader: &mut EventReader<'_>,
    m: &Model,
    json: &Json,
) -> Result<Vec<Event>> {
    let allowed = [
        "type", "schema", "data", "id", "metadata", "stream", "version", "position",
    ];
    let (envelope, name) = envelope(json, "event", &allowed)
        .map_err(|(path, message)| Error::InvalidEvent { path, message })?;
    let mut events = Vec::new();
    read_envelope(reader, m, envelope, name, &mut |e| {
        events.push(e);
        Ok(())
    })?;
    Ok(events)
}

/// Reads the event of a checked envelope whose `type` is `name`: its
/// `schema` (left out: the newest version of its type, §8) and `data`,
/// through the door every stored event takes; `emit` gets each model event
/// it reads as (§12). `project` shares it, so both name faults alike.
pub(crate) fn read_envelope(
    reader: &mut EventReader<'_>,
    m: &Model,
    envelope: &serde_json::Map<String, Json>,
    name: &str,
    emit: &mut impl FnMut(Event) -> Result<()>,
) -> Result<()> {
    let invalid = |path: &str, message: String| Error::InvalidEvent {
        path: path.to_string(),
        message,
    };
    let unknown_type = || Error::UnknownEvent {
        message: format!(
            "model {} has no event `{}`; its events are {}",
            m.name,
            truncate(name),
            list(m.events.iter().map(|e| &*e.name))
        ),
    };
    let unknown_schema = |schema: &dyn std::fmt::Display| Error::UnknownEvent {
        message: format!(
            "model {} declares no version {schema} of event `{}`; its versions are {} \
             (an older one needs an `upcast {}@{schema}(...)`)",
            m.name,
            truncate(name),
            m.reads
                .versions(name)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            truncate(name)
        ),
    };
    let schema = match envelope.get("schema") {
        None => m.reads.newest(name).ok_or_else(unknown_type)?,
        Some(Json::Number(n)) if n.as_u64().is_some_and(|v| v >= 1) => {
            let v = n.as_u64().unwrap_or(1);
            u32::try_from(v).map_err(|_| unknown_schema(&v))?
        }
        Some(other) => {
            return Err(invalid(
                "schema",
                format!(
                    "`schema` is the version of the event's shape, an int of at least 1, not {}",
                    crate::types::describe_json(other)
                ),
            ))
        }
    };
    let empty = Json::Object(Default::default());
    let data = envelope.get("data").unwrap_or(&empty);
    reader
        .read(name, schema, Data::Json(data), emit)
        .map_err(|unread| match unread {
            Unread::UnknownType => unknown_type(),
            Unread::UnknownSchema => unknown_schema(&schema),
            Unread::Invalid(e) => invalid(&e.path, e.message),
            Unread::NotJson(e) => invalid("data", e.to_string()),
            Unread::Upcast(e) => stored::at_upcast(e, &format!("model {}", m.name), name, schema),
            Unread::Emit(e) => e,
        })
}

/// An envelope's fields and its `type`, or a fault as `(path, message)`.
pub(super) type Envelope<'j> =
    std::result::Result<(&'j serde_json::Map<String, Json>, &'j str), (String, String)>;

/// The checks every `{"type", "data", ...}` envelope gets: an object, known
/// keys only, a string `type`. Faults as `(path, message)`.
pub(super) fn envelope<'j>(json: &'j Json, noun: &str, allowed: &[&str]) -> Envelope<'j> {
    let Json::Object(envelope) = json else {
        return Err((
            String::new(),
            format!(
                "a {noun} is an object like {{\"type\": \"...\", \"data\": {{...}}}}, not {}",
                crate::types::describe_json(json)
            ),
        ));
    };
    if let Some(key) = envelope.keys().find(|k| !allowed.contains(&k.as_str())) {
        let keys = allowed
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err((
            key.clone(),
            format!("unknown key `{key}`; a {noun} holds {keys}"),
        ));
    }
    match envelope.get("type") {
        Some(Json::String(name)) => Ok((envelope, name)),
        Some(other) => Err((
            "type".into(),
            format!(
                "`type` must be a string naming a {noun}, not {}",
                crate::types::describe_json(other)
            ),
        )),
        None => Err((
            "type".into(),
            format!("`type` is required: the name of a {noun}"),
        )),
    }
}

pub(super) fn decode_data(
    m: &Model,
    data: Option<&Json>,
    shape: &Arc<crate::value::Shape>,
    params: &[crate::types::FieldType],
) -> std::result::Result<Value, DecodeError> {
    let empty = Json::Object(Default::default());
    let mut path = String::from("data");
    m.types
        .decode_fields(data.unwrap_or(&empty), shape, params, &mut path)
}

pub(super) fn metadata(json: Option<&Json>) -> std::result::Result<Value, (String, String)> {
    let mut map = Map::new();
    match json {
        None | Some(Json::Null) => {}
        Some(Json::Object(entries)) => {
            for (k, v) in entries {
                match v {
                    Json::String(s) => {
                        map.insert(Str::from(k.as_str()), Value::str(s));
                    }
                    other => {
                        return Err((
                            format!("metadata.{k}"),
                            format!(
                                "metadata values are strings, not {}",
                                crate::types::describe_json(other)
                            ),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err((
                "metadata".into(),
                format!(
                    "`metadata` is an object of strings, not {}",
                    crate::types::describe_json(other)
                ),
            ))
        }
    }
    Ok(Value::Map(map))
}

/// Events as a JSON array of `{"type", "data"}`.
pub fn events_to_json(events: &[Event]) -> String {
    let mut out = String::from("[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&e.to_json_string());
    }
    out.push(']');
    out
}

impl Event {
    /// `{"type":"...","data":{...}}`, canonical.
    pub fn to_json_string(&self) -> String {
        format!(
            "{{\"type\":{},\"data\":{}}}",
            serde_json::to_string(&*self.name).unwrap_or_default(),
            self.data.to_json_string()
        )
    }
}

/// Parses JSON within the limits. Depth past the limit is `limit_exceeded`,
/// malformed text `invalid_json` with line and column.
pub(crate) fn parse_json(bytes: &[u8], limits: &Limits) -> Result<Json> {
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::limit(
            "max_input_bytes",
            format!(
                "the input has {} bytes; the limit is {}",
                bytes.len(),
                limits.max_input_bytes
            ),
        ));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(Error::InvalidJson {
            message: format!("the input is not valid UTF-8 (at byte {})", e.valid_up_to()),
        });
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            Error::limit(
                "max_input_depth",
                format!(
                    "the input nests deeper than {} levels",
                    limits.max_input_depth
                ),
            )
        } else {
            Error::InvalidJson {
                message: e.to_string(),
            }
        }
    })?;
    if depth(&json, limits.max_input_depth + 1) > limits.max_input_depth {
        return Err(Error::limit(
            "max_input_depth",
            format!(
                "the input nests deeper than {} levels",
                limits.max_input_depth
            ),
        ));
    }
    Ok(json)
}

/// Nesting depth of arrays and objects, counted up to `cap`.
fn depth(json: &Json, cap: usize) -> usize {
    if cap == 0 {
        return 0;
    }
    match json {
        Json::Array(items) => 1 + items.iter().map(|j| depth(j, cap - 1)).max().unwrap_or(0),
        Json::Object(map) => 1 + map.values().map(|j| depth(j, cap - 1)).max().unwrap_or(0),
        _ => 0,
    }
}

pub(super) fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

pub(super) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
