//! Core errors as JS `Error` objects with their fields as properties: `code`
//! and every field of the core's table (`path`, `reason`, `expected`, ...),
//! set here, so that index.js never reads them out of a message. index.js
//! then gives each the class of its code (`RejectedError`, ...).

use eventfold::Error;
use napi::bindgen_prelude::*;
use napi::{sys, Env};
use serde_json::Value as Json;

/// The largest integer a JS number holds exactly; past it, a BigInt.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// The `Error` object of `e`, made in `env` (on its JS thread).
pub(crate) fn error_object(env: &Env, e: &Error) -> napi::Result<sys::napi_value> {
    let mut object: Object<'_> = env.create_error(napi::Error::from_reason(e.message()))?;
    let Json::Object(fields) = e.to_json() else {
        return Err(napi::Error::from_reason("an error's JSON is an object"));
    };
    for (key, value) in fields {
        if key == "message" {
            continue;
        }
        match value.as_u64() {
            Some(n) if n > MAX_SAFE => object.set_named_property(&key, BigInt::from(n))?,
            _ => object.set_named_property(&key, env.to_js_value(&value)?)?,
        }
    }
    // SAFETY: an object of this env, handed straight to Node-API.
    unsafe { ToNapiValue::to_napi_value(env.raw(), object) }
}

/// The error a `#[napi]` function returns (or a task rejects with) for
/// `e`: it holds the `Error` object of `e`, which napi-rs throws as it is.
/// Only on the JS thread of `env`.
pub(crate) fn to_js(env: &Env, e: &Error) -> napi::Error {
    match error_object(env, e) {
        // SAFETY: a value of this env, on its thread.
        Ok(raw) => match unsafe { Unknown::from_napi_value(env.raw(), raw) } {
            Ok(value) => napi::Error::from(value),
            Err(failed) => failed,
        },
        Err(failed) => failed,
    }
}

/// The core's table of codes and fields as JSON text (index.js builds its
/// error classes from it).
#[napi_derive::napi]
pub fn error_table() -> String {
    eventfold::error::table_json().to_string()
}

/// For the tests: throws the core's example error of `code`
/// (`Error::examples`), with every field of the table set.
#[napi_derive::napi]
pub fn throw_example_for_test(env: Env, code: String) -> napi::Result<()> {
    let example = Error::examples()
        .into_iter()
        .find(|e| e.code() == code)
        .ok_or_else(|| napi::Error::from_reason(format!("no example of `{code}`")))?;
    Err(to_js(&env, &example))
}
