//! The options of `Engine::open`, `execute`, `execute_many`'s requests,
//! `read_stream`, `read_all` and `streams`, parsed from JSON in one place
//! for every binding and the CLI.
//!
//! Each skin hands its options over as JSON (a host object converted to
//! JSON, or typed arguments written as JSON) and never checks them itself,
//! so a mistake gives the same error in every language: `invalid_command`,
//! with `path` at the option (`options.limit`) and a message that says
//! what to fix (the known keys for an unknown one, the type wanted, the
//! range allowed). Keys are snake_case; a skin whose callers write
//! camelCase renames the keys before it hands them over.

use serde_json::{Map, Value as Json};

use crate::engine::{EngineOptions, ExecuteOptions, ExecuteRequest};
use crate::error::{Error, Result};
use crate::value::parse_timestamp;

/// The keys of `Engine::open` options.
pub const ENGINE_KEYS: &[&str] = &[
    "cache_capacity",
    "snapshot_every",
    "max_attempts",
    "run_projections",
    "on_projection_error",
    "on_model_change",
];
/// The keys of `execute` options.
pub const EXECUTE_KEYS: &[&str] = &[
    "expected_version",
    "command_id",
    "metadata",
    "now",
    "correlation_id",
    "causation_id",
];
/// The keys of one request of `execute_many`.
pub const REQUEST_KEYS: &[&str] = &["model", "id", "command", "options"];
/// The keys of `streams` options.
pub const STREAMS_KEYS: &[&str] = &["model"];
/// The keys of `read_stream` options.
pub const READ_STREAM_KEYS: &[&str] = &["from_version", "limit", "raw"];
/// The keys of `read_all` options.
pub const READ_ALL_KEYS: &[&str] = &["from_position", "limit", "models", "types", "raw"];
/// The keys of `rows` options.
pub const ROWS_KEYS: &[&str] = &["key", "after", "limit"];
/// The keys of `wait_for` options.
pub const WAIT_KEYS: &[&str] = &["projection", "timeout"];
/// The keys of `migrate_plan` options.
pub const MIGRATE_PLAN_KEYS: &[&str] = &["differences"];
/// The keys of `migrate_apply` options: none yet.
pub const MIGRATE_APPLY_KEYS: &[&str] = &[];
/// The most differing streams a plan shows with their changes.
pub const MAX_DIFFERENCES: u64 = 10_000;

/// Options of `rows`: a prefix of key values, a whole key to page after,
/// and at most how many rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowsOptions {
    pub key: Vec<Json>,
    pub after: Option<Vec<Json>>,
    pub limit: Option<usize>,
}

/// Options of `wait_for`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitOptions {
    pub projection: Option<String>,
    pub timeout: Option<std::time::Duration>,
}

/// Options of a read: `read_stream` (`from` is a version) or `read_all`
/// (`from` is a position, and the filters apply). `None`: from the start,
/// no limit, every model and type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The first version (of a stream) or position (of the store) to read.
    pub from: Option<u64>,
    /// At most this many events.
    pub limit: Option<usize>,
    /// `read_all` only: events of these models only.
    pub models: Option<Vec<String>>,
    /// `read_all` only: events of these types only.
    pub types: Option<Vec<String>>,
    /// Events as stored, not upcast: one per stored row, with its type,
    /// schema and data as written.
    pub raw: bool,
}

/// The fault of one option, at `path`.
fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::InvalidCommand {
        path: path.to_string(),
        message: message.into(),
    }
}

/// The options object at `at`: `null` is none; anything else but an object
/// is a fault. Unknown keys are faults that list the known ones.
fn object<'a>(json: &'a Json, at: &str, keys: &[&str]) -> Result<Option<&'a Map<String, Json>>> {
    let o = match json {
        Json::Null => return Ok(None),
        Json::Object(o) => o,
        other => {
            return Err(invalid(
                at,
                format!(
                    "options are an object of {}, not {}",
                    keys.join(", "),
                    kind(other)
                ),
            ))
        }
    };
    if let Some(k) = o.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(invalid(
            &format!("{at}.{k}"),
            if keys.is_empty() {
                format!("unknown option `{k}`; these options have no keys yet")
            } else {
                format!("unknown option `{k}`; the options are {}", keys.join(", "))
            },
        ));
    }
    Ok(Some(o))
}

/// What a JSON value is, for messages.
fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The value of `key`, `None` when absent or `null`.
fn field<'a>(o: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    o.get(key).filter(|v| !v.is_null())
}

/// A non-negative int of at most `max`.
fn uint(o: &Map<String, Json>, at: &str, key: &str, max: u64) -> Result<Option<u64>> {
    let Some(v) = field(o, key) else {
        return Ok(None);
    };
    let path = format!("{at}.{key}");
    match v.as_u64() {
        Some(n) if n <= max => Ok(Some(n)),
        Some(n) => Err(invalid(&path, format!("`{key}` is at most {max}, not {n}"))),
        None => Err(invalid(
            &path,
            format!("`{key}` is a non-negative int, not {v}"),
        )),
    }
}

fn string(o: &Map<String, Json>, at: &str, key: &str) -> Result<Option<String>> {
    match field(o, key) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(
            &format!("{at}.{key}"),
            format!("`{key}` is a string, not {}", kind(v)),
        )),
    }
}

fn strings(o: &Map<String, Json>, at: &str, key: &str) -> Result<Option<Vec<String>>> {
    let Some(v) = field(o, key) else {
        return Ok(None);
    };
    let wrong = || {
        invalid(
            &format!("{at}.{key}"),
            format!("`{key}` is an array of names, not {v}"),
        )
    };
    let Json::Array(items) = v else {
        return Err(wrong());
    };
    items
        .iter()
        .map(|i| i.as_str().map(String::from).ok_or_else(wrong))
        .collect::<Result<_>>()
        .map(Some)
}

fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl EngineOptions {
    /// Options of `Engine::open`: `{"cache_capacity", "snapshot_every",
    /// "max_attempts"}`, each optional (`null` keeps the default).
    pub fn from_json(json: &Json) -> Result<EngineOptions> {
        let mut out = EngineOptions::default();
        let Some(o) = object(json, "options", ENGINE_KEYS)? else {
            return Ok(out);
        };
        let at = "options";
        if let Some(n) = uint(o, at, "cache_capacity", usize::MAX as u64)? {
            out.cache_capacity = usize_of(n);
        }
        if let Some(n) = uint(o, at, "snapshot_every", u64::MAX)? {
            out.snapshot_every = n;
        }
        if let Some(n) = uint(o, at, "max_attempts", u32::MAX.into())? {
            out.max_attempts = n as u32;
        }
        match field(o, "run_projections") {
            None => {}
            Some(Json::Bool(b)) => out.run_projections = *b,
            Some(v) => {
                return Err(invalid(
                    "options.run_projections",
                    format!("`run_projections` is a bool, not {}", kind(v)),
                ))
            }
        }
        match string(o, at, "on_projection_error")?.as_deref() {
            None => {}
            Some("stop") => out.on_projection_error = crate::engine::OnProjectionError::Stop,
            Some("park") => out.on_projection_error = crate::engine::OnProjectionError::Park,
            Some(other) => {
                return Err(invalid(
                    "options.on_projection_error",
                    format!(
                        "`on_projection_error` is \"stop\" or \"park\", not \"{}\"",
                        other.chars().take(100).collect::<String>()
                    ),
                ))
            }
        }
        match string(o, at, "on_model_change")?.as_deref() {
            None => {}
            Some("fail") => out.on_model_change = crate::engine::OnModelChange::Fail,
            Some("follow") => out.on_model_change = crate::engine::OnModelChange::Follow,
            Some(other) => {
                return Err(invalid(
                    "options.on_model_change",
                    format!(
                        "`on_model_change` is \"fail\" or \"follow\", not \"{}\"",
                        other.chars().take(100).collect::<String>()
                    ),
                ))
            }
        }
        Ok(out)
    }
}

impl ExecuteOptions {
    /// Options of `execute`: `{"expected_version", "command_id",
    /// "metadata", "now", "correlation_id", "causation_id"}`, each optional.
    pub fn from_json(json: &Json) -> Result<ExecuteOptions> {
        ExecuteOptions::from_json_at(json, "options")
    }

    /// The same, with faults named at `{at}.KEY` (`requests[2].options`).
    pub fn from_json_at(json: &Json, at: &str) -> Result<ExecuteOptions> {
        let Some(o) = object(json, at, EXECUTE_KEYS)? else {
            return Ok(ExecuteOptions::default());
        };
        let now = match string(o, at, "now")? {
            None => None,
            Some(s) => Some(parse_timestamp(&s).map_err(|m| invalid(&format!("{at}.now"), m))?),
        };
        let metadata = match field(o, "metadata") {
            None => None,
            Some(Json::Object(m)) => Some(m.clone()),
            Some(v) => {
                return Err(invalid(
                    &format!("{at}.metadata"),
                    format!("`metadata` is an object, not {}", kind(v)),
                ))
            }
        };
        Ok(ExecuteOptions {
            expected_version: uint(o, at, "expected_version", u64::MAX)?,
            command_id: string(o, at, "command_id")?,
            metadata,
            now,
            correlation_id: string(o, at, "correlation_id")?,
            causation_id: string(o, at, "causation_id")?,
        })
    }
}

impl ExecuteRequest {
    /// The requests of `execute_many`: `[{"model", "id", "command",
    /// "options"?}, ...]`, faults named at `requests[i].KEY`.
    pub fn many_from_json(json: Json) -> Result<Vec<ExecuteRequest>> {
        let Json::Array(items) = json else {
            return Err(invalid(
                "",
                "execute_many takes an array of {\"model\", \"id\", \"command\", \"options\"}",
            ));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| ExecuteRequest::from_json(item, &format!("requests[{i}]")))
            .collect()
    }

    /// One request, at `at`; `command` is taken out of `item` as it is.
    pub fn from_json(item: Json, at: &str) -> Result<ExecuteRequest> {
        let Json::Object(mut o) = item else {
            return Err(invalid(
                at,
                "a request is {\"model\", \"id\", \"command\", \"options\"}",
            ));
        };
        if let Some(k) = o.keys().find(|k| !REQUEST_KEYS.contains(&k.as_str())) {
            return Err(invalid(
                &format!("{at}.{k}"),
                format!("unknown key `{k}`; a request holds model, id, command and options"),
            ));
        }
        let required = |key: &str| {
            string(&o, at, key)?.ok_or_else(|| {
                invalid(
                    &format!("{at}.{key}"),
                    format!("`{key}` is a string and required"),
                )
            })
        };
        let model = required("model")?;
        let id = required("id")?;
        let command = o
            .remove("command")
            .ok_or_else(|| invalid(&format!("{at}.command"), "`command` is required"))?;
        let options = match o.get("options") {
            Some(j) => ExecuteOptions::from_json_at(j, &format!("{at}.options"))?,
            None => ExecuteOptions::default(),
        };
        Ok(ExecuteRequest {
            model,
            id,
            command,
            options,
        })
    }
}

/// Options of `streams`: `{"model"}`, the model whose streams to list
/// (`None`: every stream).
pub fn streams_from_json(json: &Json) -> Result<Option<String>> {
    match object(json, "options", STREAMS_KEYS)? {
        None => Ok(None),
        Some(o) => string(o, "options", "model"),
    }
}

impl ReadOptions {
    /// Options of `read_stream`: `{"from_version", "limit"}`.
    pub fn stream_from_json(json: &Json) -> Result<ReadOptions> {
        let Some(o) = object(json, "options", READ_STREAM_KEYS)? else {
            return Ok(ReadOptions::default());
        };
        Ok(ReadOptions {
            from: uint(o, "options", "from_version", u64::MAX)?,
            limit: uint(o, "options", "limit", u64::MAX)?.map(usize_of),
            models: None,
            types: None,
            raw: flag(o, "raw")?,
        })
    }

    /// Options of `read_all`: `{"from_position", "limit", "models",
    /// "types"}`; `models` and `types` are arrays of names.
    pub fn all_from_json(json: &Json) -> Result<ReadOptions> {
        let Some(o) = object(json, "options", READ_ALL_KEYS)? else {
            return Ok(ReadOptions::default());
        };
        Ok(ReadOptions {
            from: uint(o, "options", "from_position", u64::MAX)?,
            limit: uint(o, "options", "limit", u64::MAX)?.map(usize_of),
            models: strings(o, "options", "models")?,
            types: strings(o, "options", "types")?,
            raw: flag(o, "raw")?,
        })
    }
}

/// A bool option, false when left out.
fn flag(o: &Map<String, Json>, key: &str) -> Result<bool> {
    match field(o, key) {
        None => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(v) => Err(invalid(
            &format!("options.{key}"),
            format!("`{key}` is a bool, not {}", kind(v)),
        )),
    }
}

/// A key given as JSON: an array of values, or one value alone.
fn key_list(o: &Map<String, Json>, key: &str) -> Option<Vec<Json>> {
    field(o, key).map(|v| match v {
        Json::Array(items) => items.clone(),
        one => vec![one.clone()],
    })
}

impl RowsOptions {
    /// Options of `rows`: `{"key", "after", "limit"}`; `key` and `after`
    /// are arrays of key values in key order (one value may stand alone).
    pub fn from_json(json: &Json) -> Result<RowsOptions> {
        let Some(o) = object(json, "options", ROWS_KEYS)? else {
            return Ok(RowsOptions::default());
        };
        Ok(RowsOptions {
            key: key_list(o, "key").unwrap_or_default(),
            after: key_list(o, "after"),
            limit: uint(o, "options", "limit", u64::MAX)?.map(usize_of),
        })
    }
}

impl WaitOptions {
    /// Options of `wait_for`: `{"projection", "timeout"}`, the timeout in
    /// milliseconds.
    pub fn from_json(json: &Json) -> Result<WaitOptions> {
        let Some(o) = object(json, "options", WAIT_KEYS)? else {
            return Ok(WaitOptions::default());
        };
        Ok(WaitOptions {
            projection: string(o, "options", "projection")?,
            timeout: uint(o, "options", "timeout", u64::MAX)?.map(std::time::Duration::from_millis),
        })
    }
}

/// Options of `migrate_plan`: `{"differences": N}`, how many differing
/// streams are shown with their changes (at most [`MAX_DIFFERENCES`]).
pub fn migrate_plan_differences(json: &Json) -> Result<Option<usize>> {
    match object(json, "options", MIGRATE_PLAN_KEYS)? {
        None => Ok(None),
        Some(o) => Ok(uint(o, "options", "differences", MAX_DIFFERENCES)?.map(usize_of)),
    }
}

/// Options of `migrate_apply`: `{}` or null; it takes no keys yet.
pub fn migrate_apply_options(json: &Json) -> Result<()> {
    object(json, "options", MIGRATE_APPLY_KEYS).map(|_| ())
}

/// The keys of each kind of options as JSON, for skins that document them
/// or rename them: `{"engine": [...], "execute": [...], "request": [...],
/// "read_stream": [...], "read_all": [...], "streams": [...]}`.
pub fn keys_json() -> Json {
    serde_json::json!({
        "engine": ENGINE_KEYS,
        "execute": EXECUTE_KEYS,
        "request": REQUEST_KEYS,
        "read_stream": READ_STREAM_KEYS,
        "read_all": READ_ALL_KEYS,
        "streams": STREAMS_KEYS,
        "rows": ROWS_KEYS,
        "wait_for": WAIT_KEYS,
        "migrate_plan": MIGRATE_PLAN_KEYS,
        "migrate_apply": MIGRATE_APPLY_KEYS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fault(r: Result<impl std::fmt::Debug>) -> (String, String) {
        match r.unwrap_err() {
            Error::InvalidCommand { path, message } => (path, message),
            other => panic!("expected invalid_command, got {other:?}"),
        }
    }

    #[test]
    fn requests_and_streams_options_fault_at_their_key() {
        let many = ExecuteRequest::many_from_json(json!([
            {"model": "M", "id": "a", "command": {"type": "t"}, "options": {"command_id": "k"}}
        ]))
        .unwrap();
        assert_eq!(many[0].command, json!({"type": "t"}));
        assert_eq!(many[0].options.command_id.as_deref(), Some("k"));
        let ok = json!({"model": "M", "id": "a", "command": {}});
        for (bad, path) in [
            (json!({"model": "M"}), ""),
            (json!([ok, {"model": "M", "command": {}}]), "requests[1].id"),
            (
                json!([{"model": 1, "id": "a", "command": {}}]),
                "requests[0].model",
            ),
            (json!([{"model": "M", "id": "a"}]), "requests[0].command"),
            (
                json!([{"model": "M", "id": "a", "command": {}, "x": 1}]),
                "requests[0].x",
            ),
            (
                json!([{"model": "M", "id": "a", "command": {}, "options": {"limit": 1}}]),
                "requests[0].options.limit",
            ),
        ] {
            assert_eq!(fault(ExecuteRequest::many_from_json(bad)).0, path);
        }
        assert_eq!(streams_from_json(&Json::Null).unwrap(), None);
        assert_eq!(
            streams_from_json(&json!({"model": "Todos"}))
                .unwrap()
                .as_deref(),
            Some("Todos")
        );
        assert_eq!(
            fault(streams_from_json(&json!({"models": "Todos"}))).0,
            "options.models"
        );
        assert_eq!(
            fault(streams_from_json(&json!({"model": 3}))).0,
            "options.model"
        );
        assert_eq!(fault(streams_from_json(&json!([]))).0, "options");
    }

    #[test]
    fn engine_options_take_defaults_and_values() {
        let d = EngineOptions::default();
        let o = EngineOptions::from_json(&Json::Null).unwrap();
        assert_eq!(o.cache_capacity, d.cache_capacity);
        let o = EngineOptions::from_json(
            &json!({"cache_capacity": 0, "snapshot_every": 7, "max_attempts": null}),
        )
        .unwrap();
        assert_eq!((o.cache_capacity, o.snapshot_every), (0, 7));
        assert_eq!(o.max_attempts, d.max_attempts);
    }

    #[test]
    fn engine_option_faults_say_what_to_fix() {
        let (path, message) = fault(EngineOptions::from_json(&json!({"cache": 1})));
        assert_eq!(path, "options.cache");
        assert!(message.contains("cache_capacity, snapshot_every, max_attempts"));
        let (path, message) = fault(EngineOptions::from_json(&json!({"cache_capacity": -1})));
        assert_eq!(path, "options.cache_capacity");
        assert!(message.contains("non-negative int"), "{message}");
        let (_, message) = fault(EngineOptions::from_json(
            &json!({"max_attempts": 1u64 << 40}),
        ));
        assert!(message.contains("at most 4294967295"), "{message}");
        let (path, message) = fault(EngineOptions::from_json(&json!([1])));
        assert_eq!(path, "options");
        assert!(message.contains("not an array"), "{message}");
    }

    #[test]
    fn execute_options_parse_every_key() {
        let o = ExecuteOptions::from_json(&json!({
            "expected_version": 3, "command_id": "c", "metadata": {"k": 1},
            "now": "2026-01-02T03:04:05Z", "correlation_id": "x", "causation_id": null
        }))
        .unwrap();
        assert_eq!(o.expected_version, Some(3));
        assert_eq!(o.command_id.as_deref(), Some("c"));
        assert_eq!(o.metadata.unwrap()["k"], 1);
        assert!(o.now.is_some());
        assert_eq!(o.causation_id, None);
    }

    #[test]
    fn execute_option_faults_name_the_option() {
        let (path, message) = fault(ExecuteOptions::from_json(&json!({"expectedversion": 1})));
        assert_eq!(path, "options.expectedversion");
        assert!(message.contains(&EXECUTE_KEYS.join(", ")), "{message}");
        let (path, _) = fault(ExecuteOptions::from_json_at(
            &json!({"expected_version": -1}),
            "requests[2].options",
        ));
        assert_eq!(path, "requests[2].options.expected_version");
        let (path, _) = fault(ExecuteOptions::from_json(&json!({"now": "yesterday"})));
        assert_eq!(path, "options.now");
        let (path, message) = fault(ExecuteOptions::from_json(&json!({"metadata": [1]})));
        assert_eq!(path, "options.metadata");
        assert!(message.contains("an object, not an array"));
        let (path, _) = fault(ExecuteOptions::from_json(&json!({"command_id": 5})));
        assert_eq!(path, "options.command_id");
    }

    #[test]
    fn read_options_of_a_stream_and_of_all() {
        let o = ReadOptions::stream_from_json(&json!({"from_version": 2, "limit": 5})).unwrap();
        assert_eq!((o.from, o.limit), (Some(2), Some(5)));
        let (path, message) = fault(ReadOptions::stream_from_json(&json!({"from_position": 2})));
        assert_eq!(path, "options.from_position");
        assert!(message.contains("from_version, limit"));
        let o = ReadOptions::all_from_json(
            &json!({"from_position": 9, "models": ["Todos"], "types": ["created"]}),
        )
        .unwrap();
        assert_eq!(o.from, Some(9));
        assert_eq!(o.models, Some(vec!["Todos".to_string()]));
        assert_eq!(o.types, Some(vec!["created".to_string()]));
        let (path, _) = fault(ReadOptions::all_from_json(&json!({"models": "Todos"})));
        assert_eq!(path, "options.models");
        let (path, _) = fault(ReadOptions::all_from_json(&json!({"limit": "x"})));
        assert_eq!(path, "options.limit");
        assert_eq!(
            ReadOptions::all_from_json(&Json::Null).unwrap(),
            ReadOptions::default()
        );
    }
}

// ---- Subscriptions (issue 13) ----

/// The keys of `subscribe` options.
pub const SUBSCRIBE_KEYS: &[&str] = &["from", "models", "types"];

/// Where a new subscription starts. One that already has a checkpoint
/// resumes there, whatever this says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubscribeFrom {
    /// The first event.
    #[default]
    Start,
    /// After the last event committed when it subscribes.
    End,
    /// This position, inclusive.
    Position(u64),
}

/// Options of `subscribe`: `{"from": "start" | "end" | position,
/// "models": [...], "types": [...]}`. A filter given replaces the stored
/// one; `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeOptions {
    pub from: SubscribeFrom,
    pub models: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
}

impl SubscribeOptions {
    pub fn from_json(json: &Json) -> Result<SubscribeOptions> {
        let Some(o) = object(json, "options", SUBSCRIBE_KEYS)? else {
            return Ok(SubscribeOptions::default());
        };
        let from = match field(o, "from") {
            None => SubscribeFrom::Start,
            Some(Json::String(s)) if s == "start" => SubscribeFrom::Start,
            Some(Json::String(s)) if s == "end" => SubscribeFrom::End,
            Some(v) => match v.as_u64() {
                Some(p) => SubscribeFrom::Position(p),
                None => {
                    return Err(invalid(
                        "options.from",
                        format!(
                            "`from` is \"start\", \"end\" or a position (a non-negative int), \
                             not {v}"
                        ),
                    ))
                }
            },
        };
        Ok(SubscribeOptions {
            from,
            models: strings(o, "options", "models")?,
            types: strings(o, "options", "types")?,
        })
    }
}

#[cfg(test)]
mod subscribe_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscribe_options_parse_and_fault_at_their_key() {
        assert_eq!(
            SubscribeOptions::from_json(&Json::Null).unwrap(),
            SubscribeOptions::default()
        );
        let o = SubscribeOptions::from_json(&json!({"from": "end", "models": ["Todo"]})).unwrap();
        assert_eq!(o.from, SubscribeFrom::End);
        assert_eq!(o.models, Some(vec!["Todo".to_string()]));
        assert_eq!(o.types, None);
        let o = SubscribeOptions::from_json(&json!({"from": 7, "types": []})).unwrap();
        assert_eq!(o.from, SubscribeFrom::Position(7));
        assert_eq!(o.types, Some(vec![]));
        for (bad, path) in [
            (json!({"from": "later"}), "options.from"),
            (json!({"from": -1}), "options.from"),
            (json!({"from": "3"}), "options.from"),
            (json!({"models": "Todo"}), "options.models"),
            (json!({"types": [1]}), "options.types"),
            (json!({"form": "end"}), "options.form"),
            (json!([1]), "options"),
        ] {
            match SubscribeOptions::from_json(&bad).unwrap_err() {
                Error::InvalidCommand { path: p, message } => {
                    assert_eq!(p, path, "{bad}: {message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
