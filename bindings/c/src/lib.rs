//! The C ABI of eventfold, and the ground the PHP and Ruby packages stand on.
//!
//! Every function returns an `int` status (`EVENTFOLD_OK`, or one
//! `EVENTFOLD_ERR_*` per error code) and writes JSON text to `*out`: the
//! result on success, `{code, message, ...}` on failure. The caller owns that
//! string and frees it with `eventfold_string_free`.
//!
//! The header `include/eventfold.h` is generated from this file by cbindgen
//! (`cbindgen.toml`); the test `header_is_current` fails when it is stale.

// An FFI crate cannot avoid raw pointers: this is the one crate of the
// workspace that may use `unsafe`, each use next to the NULL check it needs.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, CStr, CString};

use eventfold::ffi::guard;
use eventfold::{Domain, Engine, EngineOptions, Error, Source, StoreErrorKind, Subscription};
use serde_json::Value as Json;

/// What every function returns: `EVENTFOLD_OK`, or the error code of the
/// JSON written to `*out` (one status per code of MODEL-LANGUAGE.md §9).
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum eventfold_status {
    EVENTFOLD_OK = 0,
    /// A `reject` fired, or an invariant failed: `reason`, `message`.
    EVENTFOLD_ERR_REJECTED = 1,
    /// Input is not JSON; also a NULL pointer or text that is not UTF-8.
    EVENTFOLD_ERR_INVALID_JSON = 2,
    /// A command (or a query's arguments) of the wrong shape: `path`.
    EVENTFOLD_ERR_INVALID_COMMAND = 3,
    EVENTFOLD_ERR_UNKNOWN_COMMAND = 4,
    /// An event of the wrong shape given to accept or replay: `path`.
    EVENTFOLD_ERR_INVALID_EVENT = 5,
    EVENTFOLD_ERR_UNKNOWN_EVENT = 6,
    EVENTFOLD_ERR_UNKNOWN_MODEL = 7,
    EVENTFOLD_ERR_UNKNOWN_QUERY = 8,
    /// The model does not compile: `diagnostics`.
    EVENTFOLD_ERR_MODEL_ERROR = 9,
    EVENTFOLD_ERR_EVALUATION_ERROR = 10,
    /// An append lost a race: `expected`, `actual`.
    EVENTFOLD_ERR_VERSION_CONFLICT = 11,
    /// Input or work past a limit: `limit`.
    EVENTFOLD_ERR_LIMIT_EXCEEDED = 12,
    /// The store failed, or the engine is closed: `kind` (`busy`,
    /// `unavailable`, `corrupt`, `closed`, `io`).
    EVENTFOLD_ERR_STORE_ERROR = 13,
    /// A bug in eventfold (a caught panic); please report it.
    EVENTFOLD_ERR_INTERNAL = 14,
    /// The store runs a newer model than this engine: `model`.
    EVENTFOLD_ERR_MODEL_CHANGED = 15,
    EVENTFOLD_ERR_UNKNOWN_TABLE = 16,
    EVENTFOLD_ERR_UNKNOWN_PROJECTION = 17,
    /// A file given by path is missing or unreadable: `path` names it.
    EVENTFOLD_ERR_IO_ERROR = 18,
}

fn status_of(e: &Error) -> eventfold_status {
    use eventfold_status::*;
    match e {
        Error::Rejected { .. } => EVENTFOLD_ERR_REJECTED,
        Error::InvalidJson { .. } => EVENTFOLD_ERR_INVALID_JSON,
        Error::InvalidCommand { .. } => EVENTFOLD_ERR_INVALID_COMMAND,
        Error::UnknownCommand { .. } => EVENTFOLD_ERR_UNKNOWN_COMMAND,
        Error::InvalidEvent { .. } => EVENTFOLD_ERR_INVALID_EVENT,
        Error::UnknownEvent { .. } => EVENTFOLD_ERR_UNKNOWN_EVENT,
        Error::UnknownModel { .. } => EVENTFOLD_ERR_UNKNOWN_MODEL,
        Error::UnknownQuery { .. } => EVENTFOLD_ERR_UNKNOWN_QUERY,
        Error::ModelError { .. } => EVENTFOLD_ERR_MODEL_ERROR,
        Error::EvaluationError { .. } => EVENTFOLD_ERR_EVALUATION_ERROR,
        Error::VersionConflict { .. } => EVENTFOLD_ERR_VERSION_CONFLICT,
        Error::LimitExceeded { .. } => EVENTFOLD_ERR_LIMIT_EXCEEDED,
        Error::StoreError { .. } => EVENTFOLD_ERR_STORE_ERROR,
        Error::Internal { .. } => EVENTFOLD_ERR_INTERNAL,
        Error::ModelChanged { .. } => EVENTFOLD_ERR_MODEL_CHANGED,
        Error::UnknownTable { .. } => EVENTFOLD_ERR_UNKNOWN_TABLE,
        Error::UnknownProjection { .. } => EVENTFOLD_ERR_UNKNOWN_PROJECTION,
        Error::IoError { .. } => EVENTFOLD_ERR_IO_ERROR,
    }
}

/// A compiled domain. Immutable: share it between threads freely. Free it
/// with `eventfold_domain_free`; engines opened on it keep their own copy.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct eventfold_domain {
    domain: Domain,
}

/// A domain over an event store. Any number of threads may call it at once.
/// After `eventfold_engine_close` every call fails with
/// `EVENTFOLD_ERR_STORE_ERROR`; the handle stays valid until
/// `eventfold_engine_free`.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct eventfold_engine {
    engine: Engine,
}

// ---- the edge: pointers in, JSON out ----

/// A required C string argument, checked for NULL and UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(bad_arg(format!("`{name}` is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        bad_arg(format!(
            "`{name}` is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// An optional C string argument: NULL means absent.
///
/// # Safety
/// As [`text`].
unsafe fn opt_text<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(ptr, name) }.map(Some)
    }
}

fn bad_arg(message: String) -> Error {
    Error::InvalidJson { message }
}

/// A domain argument, checked for NULL; `name` is the parameter's name in
/// the error (`domain`, or `next` for the model a migration goes to).
///
/// # Safety
/// `ptr` is NULL or a live handle from `eventfold_domain_compile`.
unsafe fn domain_ref<'a>(ptr: *const eventfold_domain, name: &str) -> Result<&'a Domain, Error> {
    // SAFETY: NULL checked; otherwise a live handle by contract.
    unsafe { ptr.as_ref() }
        .map(|d| &d.domain)
        .ok_or_else(|| bad_arg(format!("`{name}` is NULL")))
}

/// # Safety
/// `ptr` is NULL or a live handle from `eventfold_engine_open`.
unsafe fn engine_ref<'a>(ptr: *const eventfold_engine) -> Result<&'a Engine, Error> {
    // SAFETY: NULL checked; otherwise a live handle by contract.
    // A closed engine answers every call with `store_error` itself.
    let handle = unsafe { ptr.as_ref() }.ok_or_else(|| bad_arg("`engine` is NULL".into()))?;
    Ok(&handle.engine)
}

fn into_c(s: String) -> *mut c_char {
    // JSON escapes NUL, so this fails only on a bug; say so rather than abort.
    CString::new(s)
        .unwrap_or_else(|_| {
            CString::new(r#"{"code":"internal","message":"a string held a NUL byte"}"#)
                .expect("literal has no NUL")
        })
        .into_raw()
}

/// Runs `body` with panics caught, writes its JSON (or NULL) or its error
/// to `*out`, and returns the status.
///
/// # Safety
/// `out` is NULL or writable.
unsafe fn run(
    out: *mut *mut c_char,
    body: impl FnOnce() -> Result<Option<String>, Error>,
) -> c_int {
    if out.is_null() {
        // Nowhere to put the result or the error: refuse to do the work.
        return eventfold_status::EVENTFOLD_ERR_INVALID_JSON as c_int;
    }
    // SAFETY: `out` is non-NULL and writable by contract; cleared first so
    // that a caller never frees a stale pointer.
    unsafe { *out = std::ptr::null_mut() };
    let result = guard(body);
    let (status, text) = match result {
        Ok(text) => (eventfold_status::EVENTFOLD_OK, text.map(into_c)),
        Err(e) => (status_of(&e), Some(into_c(e.to_json().to_string()))),
    };
    // SAFETY: as above.
    unsafe { *out = text.unwrap_or(std::ptr::null_mut()) };
    status as c_int
}

/// Runs `make` as `run` does and writes the handle it gives to `*slot`
/// (NULL on any failure): the one shape of every function that creates a
/// handle. `what` names the slot in the error for a NULL one.
///
/// # Safety
/// `slot` and `out` are NULL or writable.
unsafe fn create<T>(
    slot: *mut *mut T,
    what: &str,
    out: *mut *mut c_char,
    make: impl FnOnce() -> Result<T, Error>,
) -> c_int {
    // SAFETY: NULL is checked before every write.
    unsafe { put(slot, None) };
    unsafe {
        run(out, || {
            if slot.is_null() {
                return Err(bad_arg(format!("`{what}` (the handle to write) is NULL")));
            }
            let value = make()?;
            put(slot, Some(value));
            Ok(None)
        })
    }
}

/// Writes a new handle to `*slot` (NULL on failure).
///
/// # Safety
/// `slot` is NULL or writable.
unsafe fn put<T>(slot: *mut *mut T, value: Option<T>) {
    if !slot.is_null() {
        let ptr = value.map_or(std::ptr::null_mut(), |v| Box::into_raw(Box::new(v)));
        // SAFETY: non-NULL and writable by contract.
        unsafe { *slot = ptr };
    }
}

// ---- strings and versions ----

/// Frees a string written to `*out` by any function of this library.
/// NULL is a no-op. Never pass it a string from anywhere else.
///
/// # Safety
/// `s` is NULL or a string from this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn eventfold_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` by contract.
        let _ = guard(|| {
            drop(unsafe { CString::from_raw(s) });
            Ok(())
        });
    }
}

/// The library's version, e.g. `"0.1.0"`. A static string: do not free it.
#[no_mangle]
pub extern "C" fn eventfold_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The error code that a status stands for (`"rejected"`, ...), `"ok"` for
/// 0, or NULL for a number that is no status. A static string: do not
/// free it.
#[no_mangle]
pub extern "C" fn eventfold_status_code(status: c_int) -> *const c_char {
    // One NUL-terminated name per status, in the order of the enum (new
    // codes are added at its end, so no status changes its number); a test
    // checks it against the core's table.
    const CODES: [&str; 19] = [
        "ok\0",
        "rejected\0",
        "invalid_json\0",
        "invalid_command\0",
        "unknown_command\0",
        "invalid_event\0",
        "unknown_event\0",
        "unknown_model\0",
        "unknown_query\0",
        "model_error\0",
        "evaluation_error\0",
        "version_conflict\0",
        "limit_exceeded\0",
        "store_error\0",
        "internal\0",
        "model_changed\0",
        "unknown_table\0",
        "unknown_projection\0",
        "io_error\0",
    ];
    usize::try_from(status)
        .ok()
        .and_then(|i| CODES.get(i))
        .map_or(std::ptr::null(), |s| s.as_ptr().cast())
}

/// The limits of MODEL-LANGUAGE.md §10 that this library's domains and
/// engines run with, as JSON: `{"max_input_bytes", "max_input_depth",
/// "max_source_bytes", "max_steps", "max_events", "max_value_size"}`. A
/// binding that converts its own values to JSON (PHP's arrays, Ruby's
/// hashes) reads `max_input_depth` here, so that it stops walking a value
/// nested too deeply where the core would, instead of keeping a copy of the
/// number.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn eventfold_limits(out: *mut *mut c_char) -> c_int {
    unsafe {
        run(out, || {
            let l = eventfold::Limits::default();
            Ok(Some(
                serde_json::json!({
                    "max_input_bytes": l.max_input_bytes,
                    "max_input_depth": l.max_input_depth,
                    "max_source_bytes": l.max_source_bytes,
                    "max_steps": l.max_steps,
                    "max_events": l.max_events,
                    "max_value_size": l.max_value_size,
                })
                .to_string(),
            ))
        })
    }
}

/// Every error code with the fields it carries besides `code` and
/// `message` (MODEL-LANGUAGE.md §9), as the core keeps it: `[{"code",
/// "fields", "doc"}, ...]`, in table order; the entry of `store_error` also
/// lists its `kinds`. PHP and Ruby check their exception classes against it.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn eventfold_error_table(out: *mut *mut c_char) -> c_int {
    unsafe { run(out, || Ok(Some(eventfold::error::table_json().to_string()))) }
}

// ---- Domain: pure, no store ----

/// Compiles model files into a domain. `sources` is a JSON array
/// `[{"name": "todos.model", "text": "model Todos { ... }"}, ...]`; the
/// names appear in diagnostics. On success `*domain` is the new handle and
/// `*out` is NULL; on failure `*domain` is NULL and `*out` the error
/// (`model_error` carries every diagnostic).
///
/// # Safety
/// Pointers are NULL or valid; `sources` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_compile(
    sources: *const c_char,
    domain: *mut *mut eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(domain, "domain", out, || {
            let compiled = Domain::compile(&parse_sources(text(sources, "sources")?)?)?;
            Ok(eventfold_domain { domain: compiled })
        })
    }
}

/// Reads model files and compiles them into a domain: `paths` holds
/// `count` NUL-terminated paths (named in diagnostics as given). A file
/// that cannot be read is `EVENTFOLD_ERR_IO_ERROR`, whose `path` names it;
/// nothing is compiled then. Otherwise as `eventfold_domain_compile`.
///
/// # Safety
/// Pointers are NULL or valid; `paths` holds `count` NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_compile_files(
    paths: *const *const c_char,
    count: usize,
    domain: *mut *mut eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(domain, "domain", out, || {
            if paths.is_null() && count > 0 {
                return Err(bad_arg("`paths` is NULL".into()));
            }
            let mut list = Vec::with_capacity(count);
            for i in 0..count {
                // SAFETY: `paths` holds `count` pointers by the contract.
                let p = *paths.add(i);
                list.push(text(p, &format!("paths[{i}]"))?);
            }
            let compiled = Domain::compile_files(&list)?;
            Ok(eventfold_domain { domain: compiled })
        })
    }
}

/// Compiles one model file given as text, named `name` in diagnostics (a
/// NULL name is `model`): no JSON to build. Otherwise as
/// `eventfold_domain_compile`.
///
/// # Safety
/// Pointers are NULL or valid; `name` and `source` are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_compile_text(
    name: *const c_char,
    source: *const c_char,
    domain: *mut *mut eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(domain, "domain", out, || {
            let name = if name.is_null() {
                "model"
            } else {
                text(name, "name")?
            };
            let compiled = Domain::compile(&[Source::new(name, text(source, "source")?)])?;
            Ok(eventfold_domain { domain: compiled })
        })
    }
}

fn parse_sources(text: &str) -> Result<Vec<Source>, Error> {
    let shape =
        || bad_arg(r#"`sources` must be a JSON array of {"name": ..., "text": ...}"#.into());
    let json: Json = serde_json::from_str(text).map_err(|e| bad_arg(format!("`sources`: {e}")))?;
    let Json::Array(items) = json else {
        return Err(shape());
    };
    items
        .into_iter()
        .map(|item| match item {
            Json::Object(mut o) => match (o.remove("name"), o.remove("text")) {
                (Some(Json::String(name)), Some(Json::String(text))) if o.is_empty() => {
                    Ok(Source::new(name, text))
                }
                _ => Err(shape()),
            },
            _ => Err(shape()),
        })
        .collect()
}

/// Frees a domain. NULL is a no-op.
///
/// # Safety
/// `domain` is NULL or a handle not yet freed.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_free(domain: *mut eventfold_domain) {
    if !domain.is_null() {
        // SAFETY: from `Box::into_raw` in `eventfold_domain_compile`.
        let _ = guard(|| {
            drop(unsafe { Box::from_raw(domain) });
            Ok(())
        });
    }
}

/// The names of the domain's models: `["Todos", ...]`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_models(
    domain: *const eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let models = domain_ref(domain, "domain")?.models();
            Ok(Some(serde_json::to_string(&models).map_err(internal)?))
        })
    }
}

/// The whole ubiquitous language as JSON: each model with its state,
/// records, enums, commands (params, events, rejections), events (with
/// their `version`), upcasts, queries, invariants and docs; and the
/// domain's `tables`, `projections` and `tzdb` (the time zone release).
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_describe(
    domain: *const eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            Ok(Some(domain_ref(domain, "domain")?.describe().to_string()))
        })
    }
}

/// The state of a new stream of `model`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_initial_state(
    domain: *const eventfold_domain,
    model: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.initial_state_json(text(model, "model")?)?))
        })
    }
}

/// Runs a command on a state: `*out` is the JSON array of its events, or a
/// `rejected` error. `state` NULL means the initial state; `command` is
/// `{"type", "data", "id"?, "metadata"?}`; `now` (RFC 3339, NULL: the
/// clock) is the time the model sees.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_propose(
    domain: *const eventfold_domain,
    model: *const c_char,
    state: *const c_char,
    command: *const c_char,
    now: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.propose_json(
                text(model, "model")?,
                opt_text(state, "state")?,
                text(command, "command")?,
                opt_text(now, "now")?,
            )?))
        })
    }
}

/// The state after one event (`{"type", "schema"?, "data"}`); `state` NULL
/// means the initial state. An event of an older `schema` is upcast first,
/// and every event it becomes is folded (MODEL-LANGUAGE.md §12).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_accept(
    domain: *const eventfold_domain,
    model: *const c_char,
    state: *const c_char,
    event: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.accept_json(
                text(model, "model")?,
                opt_text(state, "state")?,
                text(event, "event")?,
            )?))
        })
    }
}

/// The state after a JSON array of events, folded in order over `state`
/// (NULL: the initial state). Each event may name its `schema`, as in
/// `eventfold_domain_accept`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_replay(
    domain: *const eventfold_domain,
    model: *const c_char,
    events: *const c_char,
    state: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.replay_json(
                text(model, "model")?,
                text(events, "events")?,
                opt_text(state, "state")?,
            )?))
        })
    }
}

/// A stored event as the current `model` reads it (MODEL-LANGUAGE.md
/// §12): `event` is `{"type", "schema"?, "data"?}` (a left-out `schema` is
/// the newest version of that name); `*out` is the JSON array of the events
/// it becomes, none, one or several, each `{"type", "schema", "data"}` at
/// its current version. A `schema` that is not an int >= 1 is
/// `EVENTFOLD_ERR_INVALID_EVENT` at `schema`; a version the model does not
/// declare is `EVENTFOLD_ERR_UNKNOWN_EVENT`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_upcast(
    domain: *const eventfold_domain,
    model: *const c_char,
    event: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.upcast_json(
                text(model, "model")?,
                text(event, "event")?,
            )?))
        })
    }
}

/// The tables of `projection` after folding `events` in order onto
/// `tables` (MODEL-LANGUAGE.md §13). `events` is a JSON array of
/// `{"model", "id", "type", "data", "schema"?, "version"?, "position"?,
/// "recorded_at"?, "metadata"?, "event_id"?}`; `tables` (NULL: every table
/// empty) is `{"table_name": [rows]}`. `*out` is `{"table_name": [rows in
/// key order]}` for every table the projection writes. A name the domain
/// does not declare is `EVENTFOLD_ERR_UNKNOWN_PROJECTION`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_project(
    domain: *const eventfold_domain,
    projection: *const c_char,
    events: *const c_char,
    tables: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.project_json(
                text(projection, "projection")?,
                text(events, "events")?,
                opt_text(tables, "tables")?,
            )?))
        })
    }
}

/// The value of the query `name` on a state (NULL: the initial state);
/// `args` is a JSON object of its params (NULL: none).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_domain_query(
    domain: *const eventfold_domain,
    model: *const c_char,
    state: *const c_char,
    name: *const c_char,
    args: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let d = domain_ref(domain, "domain")?;
            Ok(Some(d.query_json(
                text(model, "model")?,
                opt_text(state, "state")?,
                text(name, "name")?,
                opt_text(args, "args")?,
            )?))
        })
    }
}

// ---- Engine: a domain over a store ----

/// Opens an engine on a store: `"memory:"`, `"sqlite:PATH"` (add
/// `?synchronous=normal` to trade the durability of the last transactions
/// for speed), or `"postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME"`
/// (docs/postgres.md). `options` (NULL: defaults) is `{"cache_capacity",
/// "snapshot_every", "max_attempts", "run_projections",
/// "on_projection_error", "on_model_change"}`, each optional:
/// `run_projections` (default true) starts the runner of async projections
/// and rebuilds in this engine; `on_projection_error` is `"stop"` (default)
/// or `"park"`, what an async projection does with an event its handler
/// fails on; `on_model_change` is `"fail"` (default) or `"follow"`, what an
/// append does once another engine has made a newer model the store's
/// active one: fail with `EVENTFOLD_ERR_MODEL_CHANGED` (nothing written), or
/// switch this engine to the active model and run the command with it. A
/// model the store has never seen is registered and becomes its active
/// version. The engine keeps its own reference to the domain. On success
/// `*engine` is the new handle and `*out` NULL; on failure `*engine` is
/// NULL and `*out` the error.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_open(
    store: *const c_char,
    domain: *const eventfold_domain,
    options: *const c_char,
    engine: *mut *mut eventfold_engine,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(engine, "engine", out, || {
            let store = text(store, "store")?;
            let d = domain_ref(domain, "domain")?.clone();
            let options = match opt_text(options, "options")? {
                Some(text) => EngineOptions::from_json(
                    &d.parse_json(text)
                        .map_err(|e| bad_arg(format!("`options` is not JSON: {}", e.message())))?,
                )?,
                None => EngineOptions::default(),
            };
            let opened = Engine::open(store, d, options)?;
            Ok(eventfold_engine { engine: opened })
        })
    }
}

/// The domain this engine runs now: the one it was opened with, or the one
/// it switched to after `eventfold_engine_migrate_apply` or after following
/// a model change (`on_model_change: "follow"`). On success `*domain` is a
/// new handle, to free with `eventfold_domain_free`, and `*out` NULL; on
/// failure (a closed engine: `EVENTFOLD_ERR_STORE_ERROR`) `*domain` is NULL
/// and `*out` the error.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_domain(
    engine: *const eventfold_engine,
    domain: *mut *mut eventfold_domain,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(domain, "domain", out, || {
            let e = engine_ref(engine)?;
            // Reading the domain touches no store, so the engine does not
            // check itself; a closed one answers as every other call does.
            if e.is_closed() {
                return Err(Error::StoreError {
                    kind: StoreErrorKind::Closed,
                    message: "the engine is closed: open a new one to go on".into(),
                });
            }
            Ok(eventfold_domain { domain: e.domain() })
        })
    }
}

/// Runs a command on the stream `model-id` and appends its events
/// atomically. `options` (NULL: none) is `{"expected_version",
/// "command_id", "metadata", "now", "correlation_id", "causation_id"}`.
/// `*out` is `{"stream", "version", "position", "events": [...]}`:
/// `position` is the global position of the command's last event (0 when it
/// appended none), the one to give `eventfold_engine_wait_for`. May block
/// on the store.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_execute(
    engine: *const eventfold_engine,
    model: *const c_char,
    id: *const c_char,
    command: *const c_char,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.execute_json(
                text(model, "model")?,
                text(id, "id")?,
                text(command, "command")?,
                opt_text(options, "options")?,
            )?))
        })
    }
}

/// Many commands in one transaction, all appended or none: `requests` is
/// `[{"model", "id", "command", "options"?}, ...]`; `*out` an array of what
/// `eventfold_engine_execute` gives.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_execute_many(
    engine: *const eventfold_engine,
    requests: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.execute_many_json(text(requests, "requests")?)?))
        })
    }
}

/// The current state of the stream `model-id`: `{"state", "version"}`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_load(
    engine: *const eventfold_engine,
    model: *const c_char,
    id: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.load_json(text(model, "model")?, text(id, "id")?)?))
        })
    }
}

/// A query on the current state of the stream `model-id`; `args` NULL:
/// none.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_query(
    engine: *const eventfold_engine,
    model: *const c_char,
    id: *const c_char,
    name: *const c_char,
    args: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.query_json(
                text(model, "model")?,
                text(id, "id")?,
                text(name, "name")?,
                opt_text(args, "args")?,
            )?))
        })
    }
}

/// The stored events of one stream (`"Model-id"`), in order, upcast to the
/// current model. `options` (NULL: all) is `{"from_version", "limit",
/// "raw"}`: with `"raw": true` the events are exactly as stored, one per
/// stored row, with the `type`, `schema` and `data` they were written with.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_read_stream(
    engine: *const eventfold_engine,
    stream: *const c_char,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.read_stream_json(
                text(stream, "stream")?,
                opt_text(options, "options")?,
            )?))
        })
    }
}

/// Every stored event, in global order, upcast to the current model.
/// `options` (NULL: all) is `{"from_position", "limit", "raw"}`; `raw` as
/// in `eventfold_engine_read_stream`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_read_all(
    engine: *const eventfold_engine,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.read_all_json(opt_text(options, "options")?)?))
        })
    }
}

/// The streams with their versions: `[{"stream", "version"}, ...]`.
/// `options` (NULL: every model) is `{"model"}`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_streams(
    engine: *const eventfold_engine,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.streams_json(opt_text(options, "options")?)?))
        })
    }
}

// ---- the read side: tables, projections, subscriptions ----

/// The rows of `table`, in key order, each a JSON object of every column in
/// declared order: `[{"list_id": ..., "id": ..., ...}, ...]`. `options`
/// (NULL: every row) is `{"key": [v, ...], "after": [v, ...], "limit": n}`:
/// `key` a prefix of the key values in key order (a lone value is a prefix
/// of one), `after` a whole key (the rows after it). An undeclared table is
/// `EVENTFOLD_ERR_UNKNOWN_TABLE`; a bad option `EVENTFOLD_ERR_INVALID_COMMAND`
/// with `path` at it (`options.key[1]`).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_rows(
    engine: *const eventfold_engine,
    table: *const c_char,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.rows_json(
                text(table, "table")?,
                opt_text(options, "options")?,
            )?))
        })
    }
}

/// Every projection of the domain, in domain order: `[{"name", "mode"
/// ("inline" | "async"), "status" ("live" | "rebuilding" | "stopped"),
/// "position", "lag", "parked", "error" (null | {"code", "message",
/// "position"}), "rebuild" (null | {"position", "head"})}, ...]`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_projections(
    engine: *const eventfold_engine,
    out: *mut *mut c_char,
) -> c_int {
    unsafe { run(out, || Ok(Some(engine_ref(engine)?.projections_json()?))) }
}

/// Read-your-writes: blocks until every async projection (or the one named
/// in `options`) has folded every event up to `position` (the `position`
/// of an execute result). `options` (NULL: all, 30 s) is `{"projection",
/// "timeout"}` with `timeout` in milliseconds. `*out` is `true`, or `false`
/// at the timeout. A projection stopped below `position` fails at once with
/// its stored error; an undeclared name is
/// `EVENTFOLD_ERR_UNKNOWN_PROJECTION`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_wait_for(
    engine: *const eventfold_engine,
    position: u64,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(
                e.wait_for_json(position, opt_text(options, "options")?)?,
            ))
        })
    }
}

/// Rebuilds a projection's tables from the first event, in shadow tables
/// while the live ones answer reads, then swaps them in. Blocks until done.
/// `*out` is `{"projection", "position", "events", "millis",
/// "pause_millis"}`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_rebuild(
    engine: *const eventfold_engine,
    projection: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.rebuild_json(text(projection, "projection")?)?))
        })
    }
}

/// A durable subscription of host code to the store's events. Any thread may
/// call it, but one consumer of a name runs at a time across processes (a
/// lease in the store): a second handle of the same name polls `[]` until
/// the first is closed or its process dies. Free it with
/// `eventfold_subscription_free`.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct eventfold_subscription {
    subscription: Subscription,
}

/// # Safety
/// `ptr` is NULL or a live handle from `eventfold_engine_subscribe`.
unsafe fn subscription_ref<'a>(
    ptr: *const eventfold_subscription,
) -> Result<&'a Subscription, Error> {
    // SAFETY: NULL checked; otherwise a live handle by contract.
    unsafe { ptr.as_ref() }
        .map(|s| &s.subscription)
        .ok_or_else(|| bad_arg("`subscription` is NULL".into()))
}

/// Subscribes `name` to the store's events. `options` (NULL: defaults) is
/// `{"from": "start" | "end" | position, "models": [...], "types": [...]}`:
/// a subscription that already has a checkpoint resumes after it (`from`
/// counts only for a new one); the filters given replace the stored ones.
/// On success `*subscription` is the new handle and `*out` NULL; on failure
/// `*subscription` is NULL and `*out` the error.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_subscribe(
    engine: *const eventfold_engine,
    name: *const c_char,
    options: *const c_char,
    subscription: *mut *mut eventfold_subscription,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        create(subscription, "subscription", out, || {
            let e = engine_ref(engine)?;
            let made = e.subscribe_json(text(name, "name")?, opt_text(options, "options")?)?;
            Ok(eventfold_subscription { subscription: made })
        })
    }
}

/// Up to `max` events after the last one this handle delivered (a new
/// handle starts after the durable checkpoint), waiting up to `timeout_ms`
/// milliseconds for the first: `[{"id", "stream", "version", "position",
/// "type", "schema", "data", "metadata"}, ...]`, upcast to the current
/// model (the events one stored event becomes share its position). `[]` at
/// the timeout, while another consumer holds the name, or when another
/// thread closes the handle. The events stay unacknowledged until
/// `eventfold_subscription_ack`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_subscription_poll(
    subscription: *const eventfold_subscription,
    max: usize,
    timeout_ms: u64,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let s = subscription_ref(subscription)?;
            Ok(Some(s.poll_json(
                max,
                std::time::Duration::from_millis(timeout_ms),
            )?))
        })
    }
}

/// Stores the checkpoint durably: every event up to `position` is done, and
/// a later handle of this name starts after it (the checkpoint never moves
/// back). A position this handle has not delivered is
/// `EVENTFOLD_ERR_INVALID_COMMAND` at `position`. `*out` is NULL on success.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_subscription_ack(
    subscription: *const eventfold_subscription,
    position: u64,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            subscription_ref(subscription)?.ack(position)?;
            Ok(None)
        })
    }
}

/// Keeps the event at `position` in the store's parked events with
/// `reason` (see `eventfold_engine_parked`), and acknowledges it. `*out` is
/// NULL on success.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_subscription_park(
    subscription: *const eventfold_subscription,
    position: u64,
    reason: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let s = subscription_ref(subscription)?;
            s.park(position, text(reason, "reason")?)?;
            Ok(None)
        })
    }
}

/// Releases the name's lease: a poll blocked in another thread returns `[]`
/// at once, and every later call fails with `EVENTFOLD_ERR_STORE_ERROR`.
/// Closing twice is fine. `*out` is NULL on success. The handle still needs
/// `eventfold_subscription_free`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_subscription_close(
    subscription: *const eventfold_subscription,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            subscription_ref(subscription)?.close()?;
            Ok(None)
        })
    }
}

/// Frees a subscription, closing it first if needed. NULL is a no-op. No
/// other thread may be using it (close it first to wake a blocked poll).
///
/// # Safety
/// `subscription` is NULL or a handle not yet freed.
#[no_mangle]
pub unsafe extern "C" fn eventfold_subscription_free(subscription: *mut eventfold_subscription) {
    if !subscription.is_null() {
        // SAFETY: from `Box::into_raw` in `eventfold_engine_subscribe`.
        let _ = guard(|| {
            let handle = unsafe { Box::from_raw(subscription) };
            handle.subscription.close()
        });
    }
}

/// Every subscription of the store: `[{"name", "checkpoint", "lag",
/// "parked", "models", "types", "active"}, ...]`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_subscriptions(
    engine: *const eventfold_engine,
    out: *mut *mut c_char,
) -> c_int {
    unsafe { run(out, || Ok(Some(engine_ref(engine)?.subscriptions_json()?))) }
}

/// The parked events of a subscription or a projection, oldest first:
/// `[{"name", "position", "reason", "parked_at", "event": {stored
/// event}}, ...]`; `[]` for a name with nothing parked, or none at all.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_parked(
    engine: *const eventfold_engine,
    name: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            Ok(Some(e.parked_json(text(name, "name")?)?))
        })
    }
}

// ---- model changes: plan, apply, versions ----

/// What moving this engine's store to the models of `next` would do, run
/// against the store without changing it: `*out` is `{"ok", "models",
/// "language", "blocking", "replay": {"streams", "events", "failed",
/// "different", "differences"}, "projections"}`. `ok` is false when a stored
/// (type, schema) is unreadable by `next` (`blocking`) or a stream fails to
/// replay (`replay.failed`). `options` (NULL: defaults) is `{"differences":
/// N}`, how many differing streams are shown with their difference (default
/// 5). Blocks while every affected stream is replayed.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_migrate_plan(
    engine: *const eventfold_engine,
    next: *const eventfold_domain,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            let next = domain_ref(next, "next")?;
            Ok(Some(
                e.migrate_plan_json(next, opt_text(options, "options")?)?,
            ))
        })
    }
}

/// Makes `next` the store's active models, live: builds its snapshots and
/// projection shadows while this engine keeps serving, holds writers off
/// only for the last catch-up, and switches in one transaction; then this
/// engine runs `next`. `options` is NULL or `{}`. `*out` is `{"models",
/// "snapshots", "projections", "events", "caught_up", "position", "millis",
/// "pause_millis"}`. A plan that is not `ok` is refused with the error of
/// its first blocking item (`EVENTFOLD_ERR_UNKNOWN_EVENT` for an unreadable
/// stored event), and nothing is switched. Other engines on the store learn
/// of it at their next append (engine option `on_model_change`).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_migrate_apply(
    engine: *const eventfold_engine,
    next: *const eventfold_domain,
    options: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            let e = engine_ref(engine)?;
            let next = domain_ref(next, "next")?;
            Ok(Some(
                e.migrate_apply_json(next, opt_text(options, "options")?)?,
            ))
        })
    }
}

/// Every model version registered in the store: `[{"model", "revision",
/// "fingerprint", "active", "registered_at", "activated_at"}, ...]`
/// (`activated_at` null for a version never active).
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_model_versions(
    engine: *const eventfold_engine,
    out: *mut *mut c_char,
) -> c_int {
    unsafe { run(out, || Ok(Some(engine_ref(engine)?.model_versions_json()?))) }
}

/// Closes the store. Every later call on the handle fails with
/// `EVENTFOLD_ERR_STORE_ERROR`; closing twice is fine. `*out` is NULL on
/// success. The handle still needs `eventfold_engine_free`.
///
/// # Safety
/// Pointers are NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_close(
    engine: *const eventfold_engine,
    out: *mut *mut c_char,
) -> c_int {
    unsafe {
        run(out, || {
            // SAFETY: NULL checked; otherwise a live handle by contract.
            let handle = engine
                .as_ref()
                .ok_or_else(|| bad_arg("`engine` is NULL".into()))?;
            // Closing twice is fine: the engine keeps that rule.
            handle.engine.close()?;
            Ok(None)
        })
    }
}

/// Frees an engine, closing it first if needed. NULL is a no-op. No other
/// thread may be using it.
///
/// # Safety
/// `engine` is NULL or a handle not yet freed.
#[no_mangle]
pub unsafe extern "C" fn eventfold_engine_free(engine: *mut eventfold_engine) {
    if !engine.is_null() {
        // SAFETY: from `Box::into_raw` in `eventfold_engine_open`.
        let _ = guard(|| {
            let handle = unsafe { Box::from_raw(engine) };
            handle.engine.close()
        });
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `body` through the boundary: its status and its `*out`.
    fn through(body: impl FnOnce() -> Result<Option<String>, Error>) -> (c_int, Option<String>) {
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: `out` is a local, writable slot.
        let status = unsafe { run(&mut out, body) };
        let text = (!out.is_null()).then(|| {
            // SAFETY: written by `run`, freed right after.
            let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
            unsafe { eventfold_string_free(out) };
            s
        });
        (status, text)
    }

    #[test]
    fn a_panic_becomes_internal() {
        let (status, text) = through(|| panic!("boom"));
        assert_eq!(status, eventfold_status::EVENTFOLD_ERR_INTERNAL as c_int);
        let json: Json = serde_json::from_str(&text.unwrap()).unwrap();
        assert_eq!(json["code"], "internal");
        assert!(json["message"].as_str().unwrap().contains("boom"));
    }

    #[test]
    fn every_code_of_the_table_has_its_status_and_fields() {
        let examples = Error::examples();
        assert_eq!(examples.len(), eventfold::error::TABLE.len());
        for (e, spec) in examples.into_iter().zip(eventfold::error::TABLE) {
            let (status, text) = through(|| Err(e));
            // SAFETY: a static string from the library.
            let name = unsafe { CStr::from_ptr(eventfold_status_code(status)) };
            assert_eq!(name.to_str().unwrap(), spec.code);
            let json: Json = serde_json::from_str(&text.unwrap()).unwrap();
            assert_eq!(json["code"], spec.code);
            for field in spec.fields {
                assert!(
                    !json[field].is_null(),
                    "{} carries {field}: {json}",
                    spec.code
                );
            }
        }
        assert!(!eventfold_status_code(0).is_null());
        assert!(eventfold_status_code(19).is_null());
    }

    #[test]
    fn the_error_table_is_the_cores() {
        let (status, text) = through(|| {
            let mut out = std::ptr::null_mut();
            // SAFETY: a local slot.
            let s = unsafe { eventfold_error_table(&mut out) };
            assert_eq!(s, 0);
            // SAFETY: written by the call, freed right after.
            let t = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
            unsafe { eventfold_string_free(out) };
            Ok(Some(t))
        });
        assert_eq!(status, 0);
        let json: Json = serde_json::from_str(&text.unwrap()).unwrap();
        assert_eq!(json, eventfold::error::table_json());
    }

    #[test]
    fn success_without_a_result_writes_null() {
        assert_eq!(through(|| Ok(None)), (0, None));
        assert_eq!(through(|| Ok(Some("[]".into()))), (0, Some("[]".into())));
    }
}
