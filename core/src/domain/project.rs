//! `project`: a projection's tables after folding events onto them
//! (MODEL-LANGUAGE.md §13, scenarios README "Version 1 cases").
//!
//! Every event goes through the stored-event door (`stored.rs`),
//! as replay's do, so it is checked and upcast (§12)
//! whether or not a handler takes it. The handlers run over typed rows in a
//! [`MemoryRows`]; JSON is met only on the way in and out.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::{list, read_envelope, truncate, Domain};
use crate::error::{Error, Result};
use crate::language::eval::{Event, Machine};
use crate::language::ir::Model;
use crate::language::readside::{Projection, ReadSide, Table};
use crate::tables::{MemoryRows, RowStore};
use crate::value::{parse_timestamp, Map, Str, Timestamp, Value};

/// `recorded_at` of an event that does not give one.
const DEFAULT_RECORDED_AT: &str = "2026-01-01T00:00:00Z";

/// The keys a `project` event may hold.
const EVENT_KEYS: [&str; 10] = [
    "model",
    "id",
    "type",
    "data",
    "schema",
    "version",
    "position",
    "recorded_at",
    "metadata",
    "event_id",
];

impl Domain {
    /// The lowered tables and projections.
    pub(crate) fn read_side(&self) -> &ReadSide {
        &self.inner.read
    }

    /// The names of the projections, in declaration order.
    pub fn projections(&self) -> Vec<&str> {
        self.inner
            .read
            .projections
            .iter()
            .map(|p| &*p.name)
            .collect()
    }

    /// The names of the tables, in declaration order.
    pub fn tables(&self) -> Vec<&str> {
        self.inner.read.tables.iter().map(|t| &*t.name).collect()
    }

    /// The key columns of a table, in declared order.
    pub fn table_key(&self, table: &str) -> Option<Vec<&str>> {
        let t = self.inner.read.table(table)?;
        Some(
            t.key
                .iter()
                .map(|&k| &*t.columns[k as usize].name)
                .collect(),
        )
    }

    fn projection_named(&self, name: &str) -> Result<&Projection> {
        self.inner
            .read
            .projection(name)
            .ok_or_else(|| Error::UnknownProjection {
                message: format!(
                    "no projection `{}` in this domain; it has {}",
                    truncate(name),
                    list(self.inner.read.projections.iter().map(|p| &*p.name))
                ),
            })
    }

    /// The fingerprint of a projection: over its own text and its tables'
    /// declarations. When it changes, the projection's tables are rebuilt
    /// from the first event.
    pub fn projection_fingerprint(&self, projection: &str) -> Result<String> {
        Ok(self.projection_named(projection)?.fingerprint.clone())
    }

    /// Folds `events` (a JSON array) through `projection` onto `tables`
    /// (`{"table": [rows]}`, empty when `None`); gives every table the
    /// projection writes, rows in key order.
    pub fn project(&self, projection: &str, events: &Json, tables: Option<&Json>) -> Result<Json> {
        let text = self.project_value(projection, events, tables)?;
        serde_json::from_str(&text).map_err(|e| Error::Internal {
            message: format!("project wrote JSON it cannot read back: {e}"),
        })
    }

    /// `project` over JSON text: the tables as canonical JSON, in the
    /// domain's table order, each row's columns in declared order.
    pub fn project_json(
        &self,
        projection: &str,
        events: &str,
        tables: Option<&str>,
    ) -> Result<String> {
        let p = self.projection_named(projection)?;
        let events = self.parse_json(events)?;
        let tables = match tables {
            Some(text) => Some(self.parse_json(text)?),
            None => None,
        };
        self.fold(p, &events, tables.as_ref())
    }

    fn project_value(
        &self,
        projection: &str,
        events: &Json,
        tables: Option<&Json>,
    ) -> Result<String> {
        let p = self.projection_named(projection)?;
        self.fold(p, events, tables)
    }

    fn fold(&self, p: &Projection, events: &Json, tables: Option<&Json>) -> Result<String> {
        let read = &self.inner.read;
        let mut rows = MemoryRows::default();
        if let Some(tables) = tables {
            load_tables(read, p, tables, &mut rows)?;
        }
        self.fold_onto(p, events, &mut rows)
    }

    /// `project` onto any row store (the engine's SQL tables too): folds
    /// `events` through `projection` and gives its tables as `project` does.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn project_onto(
        &self,
        projection: &str,
        events: &Json,
        rows: &mut dyn RowStore,
    ) -> Result<String> {
        let p = self.projection_named(projection)?;
        self.fold_onto(p, events, rows)
    }

    fn fold_onto(&self, p: &Projection, events: &Json, rows: &mut dyn RowStore) -> Result<String> {
        let read = &self.inner.read;
        let Json::Array(events) = events else {
            return Err(Error::InvalidEvent {
                path: String::new(),
                message: format!(
                    "project takes an array of events, not {}",
                    crate::types::describe_json(events)
                ),
            });
        };
        let mut versions: HashMap<(String, String), i64> = HashMap::new();
        let default_time = parse_timestamp(DEFAULT_RECORDED_AT).expect("a valid default");
        for (i, json) in events.iter().enumerate() {
            self.fold_one(p, json, i, default_time, &mut versions, rows)
                .map_err(|e| at_place(e, i))?;
        }
        // Out: every table the projection writes, in the domain's order.
        let mut out = String::from("{");
        for (n, &t) in p.writes.iter().enumerate() {
            let table = &read.tables[t as usize];
            if n > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(&*table.name).expect("a string serialises"));
            out.push_str(":[");
            for (r, row) in rows.scan(table)?.iter().enumerate() {
                if r > 0 {
                    out.push(',');
                }
                out.push_str(&row.to_json_string());
            }
            out.push(']');
        }
        out.push('}');
        Ok(out)
    }

    /// One event of the list (at `index`, from 0) through the door and the
    /// projection's handler.
    fn fold_one(
        &self,
        p: &Projection,
        json: &Json,
        index: usize,
        default_time: Timestamp,
        versions: &mut HashMap<(String, String), i64>,
        rows: &mut dyn RowStore,
    ) -> Result<()> {
        let invalid = |path: &str, message: String| Error::InvalidEvent {
            path: path.to_string(),
            message,
        };
        let (envelope, name) = super::envelope(json, "event", &EVENT_KEYS)
            .map_err(|(path, message)| invalid(&path, message))?;
        let model_name = match envelope.get("model") {
            Some(Json::String(m)) => m.as_str(),
            Some(other) => {
                return Err(invalid(
                    "model",
                    format!(
                        "`model` must be a string naming a model, not {}",
                        crate::types::describe_json(other)
                    ),
                ))
            }
            None => {
                return Err(invalid(
                    "model",
                    "`model` is required: the model whose stream holds the event".into(),
                ))
            }
        };
        let model_index = self
            .inner
            .models
            .iter()
            .position(|m| &*m.name == model_name);
        let m = self.model(model_name)?;
        let model_index = model_index.expect("found by name");
        let string_of = |key: &str, default: &str| -> Result<String> {
            match envelope.get(key) {
                None => Ok(default.to_string()),
                Some(Json::String(s)) => Ok(s.clone()),
                Some(other) => Err(invalid(
                    key,
                    format!(
                        "`{key}` must be a string, not {}",
                        crate::types::describe_json(other)
                    ),
                )),
            }
        };
        let int_of = |key: &str, min: i64| -> Result<Option<i64>> {
            match envelope.get(key) {
                None => Ok(None),
                Some(v) => match v.as_i64() {
                    Some(n) if n >= min => Ok(Some(n)),
                    _ => Err(invalid(
                        key,
                        format!(
                            "`{key}` must be an int of at least {min}, not {}",
                            crate::types::describe_json(v)
                        ),
                    )),
                },
            }
        };
        let id = match envelope.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(other) => {
                return Err(invalid(
                    "id",
                    format!(
                        "`id` must be a string, the aggregate's id, not {}",
                        crate::types::describe_json(other)
                    ),
                ))
            }
            None => {
                return Err(invalid(
                    "id",
                    "`id` is required: the aggregate's id (the stream is `Model-id`)".into(),
                ))
            }
        };
        // Counted before upcasting: one stored event is one version.
        let counted = versions
            .entry((model_name.to_string(), id.clone()))
            .or_insert(0);
        *counted += 1;
        let version = int_of("version", 1)?.unwrap_or(*counted);
        let position = int_of("position", 1)?.unwrap_or(index as i64 + 1);
        let recorded_at = match envelope.get("recorded_at") {
            None => default_time,
            Some(Json::String(s)) => parse_timestamp(s).map_err(|e| invalid("recorded_at", e))?,
            Some(other) => {
                return Err(invalid(
                    "recorded_at",
                    format!(
                        "`recorded_at` must be an RFC 3339 timestamp string, not {}",
                        crate::types::describe_json(other)
                    ),
                ))
            }
        };
        let metadata = match envelope.get("metadata") {
            None => Map::new(),
            Some(Json::Object(o)) => o
                .iter()
                .filter(|(k, _)| k.as_str() != "recorded_at")
                .filter_map(|(k, v)| v.as_str().map(|s| (Str::from(k.as_str()), Value::str(s))))
                .collect(),
            Some(other) => {
                return Err(invalid(
                    "metadata",
                    format!(
                        "`metadata` must be an object, not {}",
                        crate::types::describe_json(other)
                    ),
                ))
            }
        };
        let event_id = string_of("event_id", "")?;
        let read = &self.inner.read;
        let stream = Value::record(
            read.stream_shape.clone(),
            vec![
                Value::String(m.name.clone()),
                Value::str(&id),
                Value::str(&format!("{}-{id}", m.name)),
                Value::Int(version),
            ],
        );
        let event = Value::record(
            read.event_shape.clone(),
            vec![
                Value::str(&event_id),
                Value::Int(position),
                Value::Timestamp(recorded_at),
                Value::Map(metadata),
            ],
        );
        read_envelope(&mut self.reader(m), m, envelope, name, &mut |e: Event| {
            self.handle(p, model_index, &e, &stream, &event, rows)
        })
    }

    /// Runs the projection's handler of one (current) event, if it has one.
    fn handle(
        &self,
        p: &Projection,
        model_index: usize,
        e: &Event,
        stream: &Value,
        event: &Value,
        rows: &mut dyn RowStore,
    ) -> Result<()> {
        let Some(h) = p.handler(model_index, &e.name) else {
            return Ok(());
        };
        let inner = &self.inner;
        let m = &inner.models[model_index];
        let mut machine = Machine::new(m, &inner.sources, &inner.limits, Value::Null);
        machine.read = Some(&inner.read);
        machine.rows = Some(rows);
        machine.enter(&e.data, h.frame_size);
        machine.frame[h.stream_slot as usize] = stream.clone();
        machine.frame[h.event_slot as usize] = event.clone();
        machine.run(&h.body).map_err(|e| *e)
    }

    /// The models whose events `projection` handles, for a store filter.
    pub(crate) fn projection_models(&self, p: &Projection) -> Vec<String> {
        let mut models: Vec<String> = p
            .handlers
            .iter()
            .map(|h| h.model_name.to_string())
            .collect();
        models.sort();
        models.dedup();
        models
    }

    /// The model of a stream `Model-id`, with its index: the longest model
    /// name that prefixes it (a model name may itself hold `-`).
    pub(crate) fn stream_model(&self, stream: &str) -> Option<(usize, &Model)> {
        self.inner
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                stream.len() > m.name.len() + 1
                    && stream.starts_with(&*m.name)
                    && stream.as_bytes()[m.name.len()] == b'-'
            })
            .max_by_key(|(_, m)| m.name.len())
    }

    /// Folds one stored event through `p` onto `rows`, as `project` does
    /// with the same event: read through the stored-event door (upcast to
    /// current), then the handler of each event it is. An event of a model
    /// the domain lacks, or that its model cannot read, passes by when `p`
    /// has no handler for its type; otherwise it fails as replay would.
    pub(crate) fn project_stored(
        &self,
        p: &Projection,
        raw: &crate::store::RawEvent,
        rows: &mut dyn RowStore,
    ) -> Result<()> {
        let inner = &self.inner;
        let Some((model_index, m)) = self.stream_model(&raw.stream) else {
            return Ok(());
        };
        if !p.handlers.iter().any(|h| h.model == model_index) {
            return Ok(());
        }
        let at = || {
            format!(
                "event {} (stream {}, version {})",
                raw.position, raw.stream, raw.version
            )
        };
        let metadata = super::metadata::read(&raw.metadata).ok_or_else(|| Error::StoreError {
            kind: crate::error::StoreErrorKind::Corrupt,
            message: format!("{} has damaged metadata", at()),
        })?;
        let recorded_at = match &metadata.recorded_at {
            Some(text) => parse_timestamp(text).map_err(|e| Error::StoreError {
                kind: crate::error::StoreErrorKind::Corrupt,
                message: format!("{} has a damaged recorded_at: {e}", at()),
            })?,
            None => parse_timestamp(DEFAULT_RECORDED_AT).expect("a valid default"),
        };
        let read = &inner.read;
        let stream = Value::record(
            read.stream_shape.clone(),
            vec![
                Value::String(m.name.clone()),
                Value::str(&raw.stream[m.name.len() + 1..]),
                Value::str(&raw.stream),
                Value::Int(raw.version as i64),
            ],
        );
        let event = Value::record(
            read.event_shape.clone(),
            vec![
                Value::str(&raw.id),
                Value::Int(raw.position as i64),
                Value::Timestamp(recorded_at),
                Value::Map(metadata.strings),
            ],
        );
        let mut reader = self.reader(m);
        let out = reader.read(
            &raw.event_type,
            raw.schema,
            super::stored::Data::Text(&raw.data),
            &mut |e: Event| self.handle(p, model_index, &e, &stream, &event, rows),
        );
        match out {
            Ok(()) => Ok(()),
            Err(super::stored::Unread::Emit(e)) => Err(e),
            Err(unread) => {
                if p.handler(model_index, &raw.event_type).is_none()
                    && matches!(
                        unread,
                        super::stored::Unread::UnknownType | super::stored::Unread::UnknownSchema
                    )
                {
                    return Ok(());
                }
                Err(unread.at(&at(), &m.name, &raw.event_type, raw.schema))
            }
        }
    }
}

/// The message of an error names the event's place in the list (from 1).
fn at_place(e: Error, index: usize) -> Error {
    let place = |message: String| format!("event {} of the list: {message}", index + 1);
    match e {
        Error::InvalidEvent { path, message } => Error::InvalidEvent {
            path,
            message: place(message),
        },
        Error::UnknownEvent { message } => Error::UnknownEvent {
            message: place(message),
        },
        Error::UnknownModel { message } => Error::UnknownModel {
            message: place(message),
        },
        Error::EvaluationError { message } => Error::EvaluationError {
            message: place(message),
        },
        Error::LimitExceeded { limit, message } => Error::LimitExceeded {
            limit,
            message: place(message),
        },
        other => other,
    }
}

/// The rows `project` starts from: `{"table": [rows]}`, only tables the
/// projection writes, each row checked against the columns. A fault is
/// `invalid_event` at `tables.t[i].column`: the tables are the projection's
/// state, and replay reports a bad state so too.
fn load_tables(
    read: &ReadSide,
    p: &Projection,
    tables: &Json,
    rows: &mut MemoryRows,
) -> Result<()> {
    let invalid = |path: String, message: String| Error::InvalidEvent { path, message };
    let Json::Object(tables) = tables else {
        return Err(invalid(
            "tables".into(),
            format!(
                "tables are an object like {{\"table\": [rows]}}, not {}",
                crate::types::describe_json(tables)
            ),
        ));
    };
    for (name, list_json) in tables {
        let table: Option<&Table> = p
            .writes
            .iter()
            .map(|&t| &read.tables[t as usize])
            .find(|t| *t.name == **name);
        let Some(table) = table else {
            let writes = list(p.writes.iter().map(|&t| &*read.tables[t as usize].name));
            return Err(match read.table(name) {
                Some(_) => invalid(
                    format!("tables.{name}"),
                    format!(
                        "projection {} does not write table `{name}`; it writes {writes}",
                        p.name
                    ),
                ),
                None => Error::UnknownTable {
                    message: format!(
                        "no table `{}` in this domain; projection {} writes {writes}",
                        truncate(name),
                        p.name
                    ),
                },
            });
        };
        let Json::Array(items) = list_json else {
            return Err(invalid(
                format!("tables.{name}"),
                format!(
                    "the rows of table {name} are an array, not {}",
                    crate::types::describe_json(list_json)
                ),
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let mut path = format!("tables.{name}[{i}]");
            let row = read
                .types
                .decode_fields(item, &table.shape, &table.columns, &mut path)
                .map_err(|e| invalid(e.path, format!("table {name}: {}", e.message)))?;
            if !rows.insert(table, row)? {
                return Err(invalid(
                    format!("tables.{name}[{i}]"),
                    format!("table {name} holds two rows with the key of row {i}; a key identifies one row"),
                ));
            }
        }
    }
    Ok(())
}
