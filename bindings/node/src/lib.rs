//! The native half of the `eventfold` npm package.
//!
//! It only moves JSON text between V8 and the core's `*_json` methods:
//! index.js turns JS values into JSON text (`JSON.stringify`, measured faster
//! than walking the values through N-API, and exact for integers past 2^32,
//! which napi's serde conversion turns into floats) and parses the results
//! back, with BigInt for integers past 2^53. Store calls run on libuv's
//! thread pool as `AsyncTask`s; every call, sync or async, is wrapped in
//! `catch_unwind`, so a panic becomes an `internal` error, never an abort.

// napi-derive expands every `#[napi]` item into unsafe FFI glue.
#![allow(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use eventfold::{Domain, Engine, EngineOptions, Error, Source};
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

/// A failed call reaches index.js as a JS `Error` whose message is this
/// marker followed by the core's error JSON (`{code, message, ...}`);
/// index.js rebuilds it as an `EventfoldError`.
const MARK: &str = "\u{1}eventfold:";

fn to_napi(e: Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{MARK}{}", e.to_json()))
}

/// Runs `f`, turning a panic into `internal`.
fn guard<T>(f: impl FnOnce() -> eventfold::Result<T>) -> eventfold::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Error::Internal { message })
    })
}

fn call<T>(f: impl FnOnce() -> eventfold::Result<T>) -> napi::Result<T> {
    guard(f).map_err(to_napi)
}

/// Compiled models (`Domain` in index.js). Pure and synchronous.
#[napi]
#[derive(Debug)]
pub struct NativeDomain {
    inner: Domain,
}

#[napi]
impl NativeDomain {
    /// `names[i]` is the file name of `texts[i]`, for diagnostics.
    #[napi(factory)]
    pub fn compile(names: Vec<String>, texts: Vec<String>) -> napi::Result<NativeDomain> {
        call(|| {
            let sources: Vec<Source> = names
                .into_iter()
                .zip(texts)
                .map(|(name, text)| Source::new(name, text))
                .collect();
            Ok(NativeDomain {
                inner: Domain::compile(&sources)?,
            })
        })
    }

    #[napi]
    pub fn models(&self) -> napi::Result<Vec<String>> {
        call(|| Ok(self.inner.models().into_iter().map(String::from).collect()))
    }

    #[napi]
    pub fn describe(&self) -> napi::Result<String> {
        call(|| Ok(self.inner.describe().to_string()))
    }

    #[napi]
    pub fn describe_markdown(&self) -> napi::Result<String> {
        call(|| Ok(self.inner.describe_markdown()))
    }

    #[napi]
    pub fn initial_state(&self, model: String) -> napi::Result<String> {
        call(|| self.inner.initial_state_json(&model))
    }

    #[napi]
    pub fn propose(
        &self,
        model: String,
        state: Option<String>,
        command: String,
        now: Option<String>,
    ) -> napi::Result<String> {
        call(|| {
            self.inner
                .propose_json(&model, state.as_deref(), &command, now.as_deref())
        })
    }

    #[napi]
    pub fn accept(
        &self,
        model: String,
        state: Option<String>,
        event: String,
    ) -> napi::Result<String> {
        call(|| self.inner.accept_json(&model, state.as_deref(), &event))
    }

    #[napi]
    pub fn replay(
        &self,
        model: String,
        events: String,
        state: Option<String>,
    ) -> napi::Result<String> {
        call(|| self.inner.replay_json(&model, &events, state.as_deref()))
    }

    #[napi]
    pub fn query(
        &self,
        model: String,
        state: Option<String>,
        name: String,
        args: Option<String>,
    ) -> napi::Result<String> {
        call(|| {
            self.inner
                .query_json(&model, state.as_deref(), &name, args.as_deref())
        })
    }
}

/// One engine call, as data, so that the sync and the async twin share it.
#[derive(Debug)]
enum Op {
    Execute {
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    },
    ExecuteMany(String),
    Load(String, String),
    Query {
        model: String,
        id: String,
        name: String,
        args: Option<String>,
    },
    ReadStream(String, Option<String>),
    ReadAll(Option<String>),
    Streams(Option<String>),
    Close,
    Panic,
}

fn run(engine: &Engine, op: Op) -> eventfold::Result<String> {
    match op {
        Op::Execute {
            model,
            id,
            command,
            options,
        } => engine.execute_json(&model, &id, &command, options.as_deref()),
        Op::ExecuteMany(requests) => engine.execute_many_json(&requests),
        Op::Load(model, id) => engine.load_json(&model, &id),
        Op::Query {
            model,
            id,
            name,
            args,
        } => engine.query_json(&model, &id, &name, args.as_deref()),
        Op::ReadStream(stream, options) => engine.read_stream_json(&stream, options.as_deref()),
        Op::ReadAll(options) => engine.read_all_json(options.as_deref()),
        Op::Streams(options) => engine.streams_json(options.as_deref()),
        Op::Close => engine.close().map(|()| "null".to_string()),
        Op::Panic => panic!("a panic on purpose, to test that it is caught"),
    }
}

/// An engine call on libuv's thread pool; its Promise resolves to JSON text.
#[derive(Debug)]
pub struct Call {
    engine: Engine,
    op: Option<Op>,
}

impl Task for Call {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        let op = self.op.take().expect("a task runs once");
        call(|| run(&self.engine, op))
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Opening touches the store (SQLite creates and migrates its file), so it
/// too runs off the main thread.
#[derive(Debug)]
pub struct Open {
    store: String,
    domain: Domain,
    options: EngineOptions,
}

impl Task for Open {
    type Output = Engine;
    type JsValue = NativeEngine;

    fn compute(&mut self) -> napi::Result<Engine> {
        call(|| Engine::open(&self.store, self.domain.clone(), self.options.clone()))
    }

    fn resolve(&mut self, _env: Env, inner: Engine) -> napi::Result<NativeEngine> {
        Ok(NativeEngine { inner })
    }
}

/// `undefined` keeps the core's default; index.js has checked the numbers.
#[napi(object)]
#[derive(Debug)]
pub struct OpenOptions {
    pub cache_capacity: Option<f64>,
    pub snapshot_every: Option<f64>,
    pub max_attempts: Option<f64>,
}

fn engine_options(options: Option<OpenOptions>) -> EngineOptions {
    let mut out = EngineOptions::default();
    if let Some(o) = options {
        if let Some(n) = o.cache_capacity {
            out.cache_capacity = n as usize;
        }
        if let Some(n) = o.snapshot_every {
            out.snapshot_every = n as u64;
        }
        if let Some(n) = o.max_attempts {
            out.max_attempts = n as u32;
        }
    }
    out
}

/// A domain over a store (`Engine` in index.js). Each store call has an
/// async form (a Promise, run on the thread pool) and a `*Sync` twin.
#[napi]
#[derive(Debug)]
pub struct NativeEngine {
    inner: Engine,
}

#[napi]
impl NativeEngine {
    #[napi(ts_return_type = "Promise<NativeEngine>")]
    pub fn open(
        store: String,
        domain: &NativeDomain,
        options: Option<OpenOptions>,
    ) -> AsyncTask<Open> {
        AsyncTask::new(Open {
            store,
            domain: domain.inner.clone(),
            options: engine_options(options),
        })
    }

    #[napi(factory)]
    pub fn open_sync(
        store: String,
        domain: &NativeDomain,
        options: Option<OpenOptions>,
    ) -> napi::Result<NativeEngine> {
        call(|| {
            Ok(NativeEngine {
                inner: Engine::open(&store, domain.inner.clone(), engine_options(options))?,
            })
        })
    }

    fn task(&self, op: Op) -> AsyncTask<Call> {
        AsyncTask::new(Call {
            engine: self.inner.clone(),
            op: Some(op),
        })
    }

    fn now(&self, op: Op) -> napi::Result<String> {
        call(|| run(&self.inner, op))
    }

    #[napi]
    pub fn execute(
        &self,
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    ) -> AsyncTask<Call> {
        self.task(Op::Execute {
            model,
            id,
            command,
            options,
        })
    }

    #[napi]
    pub fn execute_sync(
        &self,
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(Op::Execute {
            model,
            id,
            command,
            options,
        })
    }

    #[napi]
    pub fn execute_many(&self, requests: String) -> AsyncTask<Call> {
        self.task(Op::ExecuteMany(requests))
    }

    #[napi]
    pub fn execute_many_sync(&self, requests: String) -> napi::Result<String> {
        self.now(Op::ExecuteMany(requests))
    }

    #[napi]
    pub fn load(&self, model: String, id: String) -> AsyncTask<Call> {
        self.task(Op::Load(model, id))
    }

    #[napi]
    pub fn load_sync(&self, model: String, id: String) -> napi::Result<String> {
        self.now(Op::Load(model, id))
    }

    #[napi]
    pub fn query(
        &self,
        model: String,
        id: String,
        name: String,
        args: Option<String>,
    ) -> AsyncTask<Call> {
        self.task(Op::Query {
            model,
            id,
            name,
            args,
        })
    }

    #[napi]
    pub fn query_sync(
        &self,
        model: String,
        id: String,
        name: String,
        args: Option<String>,
    ) -> napi::Result<String> {
        self.now(Op::Query {
            model,
            id,
            name,
            args,
        })
    }

    #[napi]
    pub fn read_stream(&self, stream: String, options: Option<String>) -> AsyncTask<Call> {
        self.task(Op::ReadStream(stream, options))
    }

    #[napi]
    pub fn read_stream_sync(
        &self,
        stream: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(Op::ReadStream(stream, options))
    }

    #[napi]
    pub fn read_all(&self, options: Option<String>) -> AsyncTask<Call> {
        self.task(Op::ReadAll(options))
    }

    #[napi]
    pub fn read_all_sync(&self, options: Option<String>) -> napi::Result<String> {
        self.now(Op::ReadAll(options))
    }

    #[napi]
    pub fn streams(&self, options: Option<String>) -> AsyncTask<Call> {
        self.task(Op::Streams(options))
    }

    #[napi]
    pub fn streams_sync(&self, options: Option<String>) -> napi::Result<String> {
        self.now(Op::Streams(options))
    }

    #[napi]
    pub fn close(&self) -> AsyncTask<Call> {
        self.task(Op::Close)
    }

    #[napi]
    pub fn close_sync(&self) -> napi::Result<String> {
        self.now(Op::Close)
    }

    /// For the tests: a panic inside a call, on this thread or in the pool.
    #[napi]
    pub fn panic_for_test(&self) -> AsyncTask<Call> {
        self.task(Op::Panic)
    }

    #[napi]
    pub fn panic_for_test_sync(&self) -> napi::Result<String> {
        self.now(Op::Panic)
    }
}

/// For the tests: a panic in a Domain call (which needs no store).
#[napi]
pub fn panic_for_test() -> napi::Result<()> {
    call(|| panic!("a panic on purpose, to test that it is caught"))
}
