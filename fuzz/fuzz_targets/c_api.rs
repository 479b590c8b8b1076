//! The C entry points with arbitrary bytes: a NUL byte splits the input into
//! the string arguments (missing ones are passed as NULL, bytes that are not
//! UTF-8 as they are). The first byte picks the call (`'8'` upcast, whose
//! events must each upcast to themselves; `'9'` project). Every call returns a
//! status of the table, and writes NULL or well-formed JSON; an error's
//! `code` is the one its status stands for, and never `internal` (a panic
//! caught at the boundary). Engines run over `memory:`.
#![no_main]
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The C ABI, compiled from its source into this target: the C crate is a
/// cdylib and staticlib only, and an rlib of it would share the file name
/// `libeventfold.rlib` with the core's in the root workspace.
#[path = "../../bindings/c/src/lib.rs"]
#[allow(dead_code)]
mod ffi;

use ffi::*;

/// The shared board model of version 1 (§12, §13): upcasts, drops, splits,
/// tables and two projections, for ops 8 and 9.
const BOARD: &str = include_str!("../models/board.model");

/// The four example models and the board as one domain, compiled through
/// the C API.
fn domain() -> *const eventfold_domain {
    struct Handle(*mut eventfold_domain);
    // SAFETY: a domain is immutable and may be shared between threads.
    unsafe impl Send for Handle {}
    unsafe impl Sync for Handle {}
    static DOMAIN: OnceLock<Handle> = OnceLock::new();
    DOMAIN
        .get_or_init(|| {
            let sources: Vec<_> = eventfold_fuzz::MODELS[..4]
                .iter()
                .map(|(name, _, text)| serde_json::json!({"name": name, "text": text}))
                .chain([serde_json::json!({"name": "board.model", "text": BOARD})])
                .collect();
            let sources = CString::new(serde_json::Value::from(sources).to_string()).unwrap();
            let mut d = null_mut();
            let mut out = null_mut();
            // SAFETY: valid pointers to locals.
            let status = unsafe { eventfold_domain_compile(sources.as_ptr(), &mut d, &mut out) };
            assert_eq!(status, 0, "the examples compile");
            Handle(d)
        })
        .0
}

/// The string arguments: present ones as C strings, absent ones NULL.
struct Args(Vec<CString>);

impl Args {
    fn get(&self, i: usize) -> *const c_char {
        self.0.get(i).map_or(null(), |s| s.as_ptr())
    }
    /// An optional argument: empty means NULL.
    fn opt(&self, i: usize) -> *const c_char {
        match self.0.get(i) {
            Some(s) if !s.as_bytes().is_empty() => s.as_ptr(),
            _ => null(),
        }
    }
}

/// Checks what a call gave and frees it. `may_be_null`: the call writes
/// NULL on success (compile, open, close).
fn check(status: c_int, out: *mut c_char, may_be_null: bool) -> Option<serde_json::Value> {
    let code = eventfold_status_code(status);
    assert!(!code.is_null(), "status {status} is not in the table");
    // SAFETY: a static NUL-terminated string of the library.
    let code = unsafe { CStr::from_ptr(code) }.to_str().unwrap();
    if out.is_null() {
        assert!(
            status == 0 && may_be_null,
            "status {status} ({code}) without JSON"
        );
        return None;
    }
    // SAFETY: a string of the library, freed once, after it is read.
    let text = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("the library writes UTF-8")
        .to_string();
    unsafe { eventfold_string_free(out) };
    let json = eventfold_fuzz::well_formed(&text);
    if status != 0 {
        assert_eq!(json["code"], code, "status {status} with {text}");
        assert_ne!(code, "internal", "{text}");
        assert!(json["message"].is_string(), "{text}");
    }
    Some(json)
}

fuzz_target!(|data: &[u8]| {
    let Some((&op, rest)) = data.split_first() else {
        return;
    };
    let args = Args(
        rest.split(|&b| b == 0)
            .map(|part| CString::new(part).expect("split at NUL"))
            .collect(),
    );
    let d = domain();
    let mut out = null_mut();
    // SAFETY: every pointer is NULL, a live handle, or a C string of `args`.
    unsafe {
        // Modulo 16, so that the ASCII digits of the seeds pick ops 0-9.
        match op % 16 {
            0 => {
                let mut compiled = null_mut();
                let status = eventfold_domain_compile(args.get(0), &mut compiled, &mut out);
                check(status, out, true);
                assert_eq!(status == 0, !compiled.is_null());
                if !compiled.is_null() {
                    check(eventfold_domain_models(compiled, &mut out), out, false);
                    check(eventfold_domain_describe(compiled, &mut out), out, false);
                    eventfold_domain_free(compiled);
                }
            }
            1 => {
                let s = eventfold_domain_propose(
                    d,
                    args.get(0),
                    args.opt(1),
                    args.get(2),
                    args.opt(3),
                    &mut out,
                );
                check(s, out, false);
            }
            2 => {
                let s = eventfold_domain_accept(d, args.get(0), args.opt(1), args.get(2), &mut out);
                check(s, out, false);
            }
            3 => {
                let s = eventfold_domain_replay(d, args.get(0), args.get(1), args.opt(2), &mut out);
                check(s, out, false);
            }
            4 => {
                let s = eventfold_domain_query(
                    d,
                    args.get(0),
                    args.opt(1),
                    args.get(2),
                    args.opt(3),
                    &mut out,
                );
                check(s, out, false);
            }
            5 => {
                let s = eventfold_domain_initial_state(d, args.get(0), &mut out);
                check(s, out, false);
            }
            6 => {
                check(eventfold_limits(&mut out), out, false);
                let status = rest.first().map_or(0, |&b| b as c_int) - 8;
                let code = eventfold_status_code(status);
                // Status 0 is ok, then one per code of the core's table.
                let known = 0..=eventfold::Error::CODES.len() as c_int;
                assert_eq!(code.is_null(), !known.contains(&status));
                assert!(!eventfold_version().is_null());
            }
            8 => {
                let s = eventfold_domain_upcast(d, args.get(0), args.get(1), &mut out);
                if let Some(events) = check(s, out, false).filter(|_| s == 0) {
                    upcast_gives_current_events(d, args.get(0), &events);
                }
            }
            9 => {
                let s = eventfold_domain_project(d, args.get(0), args.get(1), args.opt(2), &mut out);
                if let Some(tables) = check(s, out, false).filter(|_| s == 0) {
                    assert!(tables.is_object(), "project gives an object of tables: {tables}");
                }
            }
            _ => engine(d, &args),
        }
    }
});

/// What `upcast` gives is a list of events at their current version: each
/// upcasts to itself.
///
/// # Safety
/// `d` is a live domain; `model` NULL or a C string.
unsafe fn upcast_gives_current_events(
    d: *const eventfold_domain,
    model: *const c_char,
    events: &serde_json::Value,
) {
    let list = events.as_array().expect("upcast gives an array");
    for event in list {
        let text = CString::new(event.to_string()).unwrap();
        let mut out = null_mut();
        // SAFETY: as the caller's.
        let s = unsafe { eventfold_domain_upcast(d, model, text.as_ptr(), &mut out) };
        let again = check(s, out, false);
        assert_eq!(s, 0, "a current event upcasts: {event}");
        assert_eq!(
            again,
            Some(serde_json::Value::Array(vec![event.clone()])),
            "a current event upcasts to itself"
        );
    }
}

/// An engine over `memory:` (options from the first argument), then one
/// call per further argument: its first byte picks the call, `\x01`
/// separates that call's own arguments.
unsafe fn engine(d: *const eventfold_domain, args: &Args) {
    let mut e = null_mut();
    let mut out = null_mut();
    let store = CString::new("memory:").unwrap();
    let status = unsafe { eventfold_engine_open(store.as_ptr(), d, args.opt(0), &mut e, &mut out) };
    check(status, out, true);
    if e.is_null() {
        return;
    }
    for call in args.0.iter().skip(1).take(16) {
        let Some((&verb, rest)) = call.as_bytes().split_first() else {
            continue;
        };
        let a = Args(
            rest.split(|&b| b == 1)
                .map(|p| CString::new(p).expect("no NUL inside"))
                .collect(),
        );
        // SAFETY: `e` is live until freed below; the rest as above.
        let (status, may_be_null) = unsafe {
            match verb % 8 {
                0 => (
                    eventfold_engine_execute(e, a.get(0), a.get(1), a.get(2), a.opt(3), &mut out),
                    false,
                ),
                1 => (eventfold_engine_execute_many(e, a.get(0), &mut out), false),
                2 => (
                    eventfold_engine_load(e, a.get(0), a.get(1), &mut out),
                    false,
                ),
                3 => (
                    eventfold_engine_query(e, a.get(0), a.get(1), a.get(2), a.opt(3), &mut out),
                    false,
                ),
                4 => (
                    eventfold_engine_read_stream(e, a.get(0), a.opt(1), &mut out),
                    false,
                ),
                5 => (eventfold_engine_read_all(e, a.opt(0), &mut out), false),
                6 => (eventfold_engine_streams(e, a.opt(0), &mut out), false),
                _ => (eventfold_engine_close(e, &mut out), true),
            }
        };
        check(status, out, may_be_null);
    }
    // SAFETY: the handle from `eventfold_engine_open`, freed once.
    unsafe { eventfold_engine_free(e) };
}
