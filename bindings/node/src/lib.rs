//! The native half of the `eventfold` npm package.
//!
//! It only moves JSON text between V8 and the core's `*_json` methods:
//! index.js turns JS values into JSON text (`JSON.stringify`, measured faster
//! than walking the values through N-API, and exact for integers past 2^32,
//! which napi's serde conversion turns into floats) and parses the results
//! back, with BigInt for integers past 2^53 (found by [`exact`], which marks
//! the texts that need index.js's exact parser or writer). Store calls that
//! return a Promise run on the engine's own threads ([`pool`]); every call,
//! sync or async, runs in the core's panic guard (`eventfold::ffi::guard`),
//! so a panic becomes an `internal` error, never an abort. Errors reach JS
//! as `Error` objects with `code` and their fields set ([`errors`]).

// napi-derive expands every `#[napi]` item into unsafe FFI glue.
#![allow(unsafe_code)]

/// Rust allocations through mimalloc (docs/deployment.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod errors;
mod exact;
mod pool;
mod subscription;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use eventfold::{Domain, Engine, EngineOptions, Error, Source};
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use eventfold::ffi::guard;

fn call<T>(env: &Env, f: impl FnOnce() -> eventfold::Result<T>) -> napi::Result<T> {
    guard(f).map_err(|e| errors::to_js(env, &e))
}

/// A call that gives JSON text back, marked for index.js when it needs the
/// exact parser.
fn call_json(env: &Env, f: impl FnOnce() -> eventfold::Result<String>) -> napi::Result<String> {
    call(env, f).map(exact::output)
}

/// Engine options as index.js hands them over (JSON text, snake_case
/// keys), parsed by the core.
fn engine_options(domain: &Domain, text: Option<&str>) -> eventfold::Result<EngineOptions> {
    match text {
        Some(t) => EngineOptions::from_json(&domain.parse_json(t)?),
        None => Ok(EngineOptions::default()),
    }
}

/// The JSON arguments of a call from index.js: each as the core takes it, or
/// `None` when one may hold an integer that `JSON.stringify` rounded (the
/// call then answers [`exact::RETRY`]).
fn inputs<const N: usize>(texts: [Option<String>; N]) -> Option<[Option<String>; N]> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for (slot, text) in out.iter_mut().zip(texts) {
        *slot = match text {
            Some(t) => Some(exact::input(t)?),
            None => None,
        };
    }
    Some(out)
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
    pub fn compile(env: Env, names: Vec<String>, texts: Vec<String>) -> napi::Result<NativeDomain> {
        call(&env, || {
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

    /// Reads the model files in core (`Domain::compile_files`): a file that
    /// cannot be read is an `io_error` whose `path` names it.
    #[napi(factory)]
    pub fn compile_files(env: Env, paths: Vec<String>) -> napi::Result<NativeDomain> {
        call(&env, || {
            Ok(NativeDomain {
                inner: Domain::compile_files(&paths)?,
            })
        })
    }

    #[napi]
    pub fn models(&self, env: Env) -> napi::Result<Vec<String>> {
        call(&env, || {
            Ok(self.inner.models().into_iter().map(String::from).collect())
        })
    }

    #[napi]
    pub fn describe(&self, env: Env) -> napi::Result<String> {
        call_json(&env, || Ok(self.inner.describe().to_string()))
    }

    #[napi]
    pub fn describe_markdown(&self, env: Env) -> napi::Result<String> {
        call(&env, || Ok(self.inner.describe_markdown()))
    }

    #[napi]
    pub fn initial_state(&self, env: Env, model: String) -> napi::Result<String> {
        call_json(&env, || self.inner.initial_state_json(&model))
    }

    #[napi]
    pub fn propose(
        &self,
        env: Env,
        model: String,
        state: Option<String>,
        command: String,
        now: Option<String>,
    ) -> napi::Result<String> {
        let Some([state, Some(command)]) = inputs([state, Some(command)]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || {
            self.inner
                .propose_json(&model, state.as_deref(), &command, now.as_deref())
        })
    }

    #[napi]
    pub fn accept(
        &self,
        env: Env,
        model: String,
        state: Option<String>,
        event: String,
    ) -> napi::Result<String> {
        let Some([state, Some(event)]) = inputs([state, Some(event)]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || {
            self.inner.accept_json(&model, state.as_deref(), &event)
        })
    }

    #[napi]
    pub fn replay(
        &self,
        env: Env,
        model: String,
        events: String,
        state: Option<String>,
    ) -> napi::Result<String> {
        let Some([Some(events), state]) = inputs([Some(events), state]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || {
            self.inner.replay_json(&model, &events, state.as_deref())
        })
    }

    #[napi]
    pub fn query(
        &self,
        env: Env,
        model: String,
        state: Option<String>,
        name: String,
        args: Option<String>,
    ) -> napi::Result<String> {
        let Some([state, args]) = inputs([state, args]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || {
            self.inner
                .query_json(&model, state.as_deref(), &name, args.as_deref())
        })
    }

    /// A stored event (with its `schema`) as the current model reads it:
    /// the JSON array of events it becomes.
    #[napi]
    pub fn upcast(&self, env: Env, model: String, event: String) -> napi::Result<String> {
        let Some([Some(event)]) = inputs([Some(event)]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || self.inner.upcast_json(&model, &event))
    }

    /// The projection's tables after folding `events` onto `tables`
    /// (`None`: empty).
    #[napi]
    pub fn project(
        &self,
        env: Env,
        projection: String,
        events: String,
        tables: Option<String>,
    ) -> napi::Result<String> {
        let Some([Some(events), tables]) = inputs([Some(events), tables]) else {
            return Ok(exact::RETRY.into());
        };
        call_json(&env, || {
            self.inner
                .project_json(&projection, &events, tables.as_deref())
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
    Rows(String, Option<String>),
    Projections,
    WaitFor(u64, Option<String>),
    Rebuild(String),
    /// The domain to move the store to, and the options.
    MigratePlan(Domain, Option<String>),
    MigrateApply(Domain, Option<String>),
    ModelVersions,
    Subscriptions,
    Parked(String),
    Close,
    /// Closing a borrowed handle: the engine stays open for its owner.
    Nothing,
    /// Any call on a borrowed handle after its close.
    Released,
    Panic,
}

impl Op {
    /// A call that, on a store without I/O, only computes for about as
    /// long as one command: the command path, not a rebuild or a wait.
    fn computes_only(&self) -> bool {
        matches!(
            self,
            Op::Execute { .. } | Op::ExecuteMany(_) | Op::Load(..) | Op::Query { .. }
        )
    }

    /// The op with its JSON texts as the core takes them, or `None` when
    /// one must be written again exactly (see [`inputs`]).
    fn checked_inputs(self) -> Option<Op> {
        let one = |t: Option<String>| -> Option<Option<String>> {
            match t {
                Some(t) => exact::input(t).map(Some),
                None => Some(None),
            }
        };
        Some(match self {
            Op::Execute {
                model,
                id,
                command,
                options,
            } => Op::Execute {
                model,
                id,
                command: exact::input(command)?,
                options: one(options)?,
            },
            Op::ExecuteMany(requests) => Op::ExecuteMany(exact::input(requests)?),
            Op::Query {
                model,
                id,
                name,
                args,
            } => Op::Query {
                model,
                id,
                name,
                args: one(args)?,
            },
            Op::ReadStream(stream, options) => Op::ReadStream(stream, one(options)?),
            Op::ReadAll(options) => Op::ReadAll(one(options)?),
            Op::Streams(options) => Op::Streams(one(options)?),
            Op::Rows(table, options) => Op::Rows(table, one(options)?),
            Op::WaitFor(position, options) => Op::WaitFor(position, one(options)?),
            Op::MigratePlan(next, options) => Op::MigratePlan(next, one(options)?),
            Op::MigrateApply(next, options) => Op::MigrateApply(next, one(options)?),
            other => other,
        })
    }
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
        Op::Rows(table, options) => engine.rows_json(&table, options.as_deref()),
        Op::Projections => engine.projections_json(),
        Op::WaitFor(position, options) => engine.wait_for_json(position, options.as_deref()),
        Op::Rebuild(projection) => engine.rebuild_json(&projection),
        Op::MigratePlan(next, options) => engine.migrate_plan_json(&next, options.as_deref()),
        Op::MigrateApply(next, options) => engine.migrate_apply_json(&next, options.as_deref()),
        Op::ModelVersions => engine.model_versions_json(),
        Op::Subscriptions => engine.subscriptions_json(),
        Op::Parked(name) => engine.parked_json(&name),
        Op::Close => engine.close().map(|()| "null".to_string()),
        Op::Nothing => Ok("null".to_string()),
        Op::Released => Err(released()),
        Op::Panic => panic!("a panic on purpose, to test that it is caught"),
    }
}

/// What a call on a borrowed engine handle gives after its close.
fn released() -> Error {
    Error::StoreError {
        kind: eventfold::error::StoreErrorKind::Closed,
        message: "this engine handle is closed: take a new one with Engine.fromShared".into(),
    }
}

/// An engine call on libuv's thread pool, as every Promise call ran before
/// [`pool`]: kept for `bench/node`, which compares the two in one run.
#[derive(Debug)]
pub struct Call {
    engine: Engine,
    op: Option<Op>,
}

impl Task for Call {
    type Output = eventfold::Result<String>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let engine = &self.engine;
        let op = self.op.take();
        Ok(guard(|| {
            let op = op.ok_or_else(|| Error::Internal {
                message: "a task ran twice".into(),
            })?;
            run(engine, op)
        })
        .map(exact::output))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<String> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

/// Opening touches the store (SQLite creates and migrates its file), so it
/// too runs off the main thread.
#[derive(Debug)]
pub struct Open {
    store: String,
    domain: Domain,
    options: Option<String>,
}

impl Task for Open {
    type Output = eventfold::Result<Engine>;
    type JsValue = NativeEngine;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| {
            let options = engine_options(&self.domain, self.options.as_deref())?;
            Engine::open(&self.store, self.domain.clone(), options)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<NativeEngine> {
        output
            .map(NativeEngine::new)
            .map_err(|e| errors::to_js(&env, &e))
    }
}

/// A domain over a store (`Engine` in index.js). Each store call has an
/// async form (a Promise, run on the thread pool) and a `*Sync` twin.
#[napi]
#[derive(Debug)]
pub struct NativeEngine {
    inner: Engine,
    /// The threads of its Promise calls, started at the first one.
    pool: pool::Pool,
    /// The threads of its calls that wait (`waitFor`, `rebuild`), apart, so
    /// that a wait never holds up a command.
    waits: pool::Pool,
    /// Its id in [`shared`] once shared with other threads.
    share_id: Mutex<Option<u32>>,
    /// A handle from [`NativeEngine::from_shared`]: closing it lets go of
    /// the engine (it is `released`) and leaves the engine open for its owner.
    borrowed: bool,
    released: AtomicBool,
}

impl NativeEngine {
    fn new(inner: Engine) -> NativeEngine {
        NativeEngine {
            inner,
            pool: pool::Pool::default(),
            waits: pool::Pool::for_waits(WAIT_THREADS),
            share_id: Mutex::new(None),
            borrowed: false,
            released: AtomicBool::new(false),
        }
    }
}

/// Threads of an engine's pool for waits at most: so many `waitFor`s wait
/// at once; one more starts when one of them is done.
const WAIT_THREADS: usize = 16;

/// A position from index.js (decimal text: it may pass 2^53).
fn parse_position(text: &str) -> eventfold::Result<u64> {
    text.parse().map_err(|_| Error::InvalidCommand {
        path: "position".into(),
        message: format!("`{text}` is no position: give a non-negative integer below 2^64"),
    })
}

/// Engines shared with worker threads, by id. A worker cannot receive a
/// native object, but it can receive a number; the engine itself is
/// `Send + Sync`. An entry lives until the owner (the handle that shared it)
/// closes the engine.
fn shared() -> &'static Mutex<HashMap<u32, Engine>> {
    static SHARED: OnceLock<Mutex<HashMap<u32, Engine>>> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[napi]
impl NativeEngine {
    #[napi(ts_return_type = "Promise<NativeEngine>")]
    pub fn open(store: String, domain: &NativeDomain, options: Option<String>) -> AsyncTask<Open> {
        AsyncTask::new(Open {
            store,
            domain: domain.inner.clone(),
            options,
        })
    }

    #[napi(factory)]
    pub fn open_sync(
        env: Env,
        store: String,
        domain: &NativeDomain,
        options: Option<String>,
    ) -> napi::Result<NativeEngine> {
        call(&env, || {
            let options = engine_options(&domain.inner, options.as_deref())?;
            Ok(NativeEngine::new(Engine::open(
                &store,
                domain.inner.clone(),
                options,
            )?))
        })
    }

    /// Registers the engine for [`NativeEngine::from_shared`] in other
    /// threads; sharing again gives the same id.
    #[napi]
    pub fn share(&self, env: Env) -> napi::Result<u32> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        call(&env, || {
            let mut id = lock(&self.share_id);
            if let Some(id) = *id {
                return Ok(id);
            }
            let new = NEXT.fetch_add(1, Ordering::Relaxed);
            lock(shared()).insert(new, self.inner.clone());
            *id = Some(new);
            Ok(new)
        })
    }

    /// The engine another thread shared as `id`.
    #[napi(factory)]
    pub fn from_shared(env: Env, id: u32) -> napi::Result<NativeEngine> {
        call(&env, || {
            let engine = lock(shared())
                .get(&id)
                .cloned()
                .ok_or_else(|| Error::StoreError {
                    kind: eventfold::error::StoreErrorKind::Closed,
                    message: format!(
                        "no shared engine {id}: it was closed, or shared in another process"
                    ),
                })?;
            Ok(NativeEngine {
                inner: engine,
                pool: pool::Pool::default(),
                waits: pool::Pool::for_waits(WAIT_THREADS),
                share_id: Mutex::new(Some(id)),
                borrowed: true,
                released: AtomicBool::new(false),
            })
        })
    }

    /// The engine's domain, for an engine that came from another thread.
    #[napi]
    pub fn domain(&self) -> NativeDomain {
        NativeDomain {
            inner: self.inner.domain(),
        }
    }

    /// The engine's domain if it is no longer `held` (it followed a model
    /// change, or applied one), else `None`: so index.js hands out one
    /// Domain object for as long as the engine runs it.
    #[napi]
    pub fn domain_unless(&self, held: &NativeDomain) -> Option<NativeDomain> {
        let now = self.inner.domain();
        // Clones of a compiled domain share one allocation, so the same
        // `Limits` is the same domain (the core has no other identity).
        if std::ptr::eq(now.limits(), held.inner.limits()) {
            None
        } else {
            Some(NativeDomain { inner: now })
        }
    }

    /// What `close` does first: a borrowed handle lets go (and the close
    /// itself becomes a no-op); the owner ends the sharing, so that later
    /// `from_shared` calls fail, and then closes the engine.
    fn close_op(&self) -> Op {
        if self.borrowed {
            self.released.store(true, Ordering::Release);
            return Op::Nothing;
        }
        if let Some(id) = lock(&self.share_id).take() {
            lock(shared()).remove(&id);
        }
        Op::Close
    }

    /// A released handle answers every call as a closed engine would.
    fn checked(&self, op: Op) -> Op {
        if self.borrowed && self.released.load(Ordering::Acquire) {
            Op::Released
        } else {
            op
        }
    }

    fn task(&self, env: Env, op: Op) -> napi::Result<Unknown<'static>> {
        self.task_on(&self.pool, env, self.checked(op))
    }

    fn task_as_is(&self, env: Env, op: Op) -> napi::Result<Unknown<'static>> {
        self.task_on(&self.pool, env, op)
    }

    /// A call that may wait long, on the threads for waits.
    fn wait_task(&self, env: Env, op: Op) -> napi::Result<Unknown<'static>> {
        self.task_on(&self.waits, env, self.checked(op))
    }

    /// A Promise of the op's JSON text, run on `pool`'s threads; or
    /// [`exact::RETRY`] at once. On a store that does no I/O (`memory:`)
    /// the command path runs at once on this thread and returns a settled
    /// Promise: a hand-off to a worker and back cost twice the command.
    fn task_on(&self, pool: &pool::Pool, env: Env, op: Op) -> napi::Result<Unknown<'static>> {
        let here = op.computes_only() && !self.inner.does_io();
        let raw = match op.checked_inputs() {
            None => {
                // SAFETY: a string made on this thread, in its env.
                unsafe { ToNapiValue::to_napi_value(env.raw(), exact::RETRY)? }
            }
            Some(op) if here => {
                pool::settled(&env, guard(|| run(&self.inner, op)).map(exact::output))?
            }
            Some(op) => {
                let engine = self.inner.clone();
                pool.spawn(&env, move || guard(|| run(&engine, op)).map(exact::output))?
            }
        };
        // SAFETY: a value of this env, handed straight back to JS.
        unsafe { Unknown::from_napi_value(env.raw(), raw) }
    }

    fn now(&self, env: &Env, op: Op) -> napi::Result<String> {
        self.now_as_is(env, self.checked(op))
    }

    fn now_as_is(&self, env: &Env, op: Op) -> napi::Result<String> {
        let Some(op) = op.checked_inputs() else {
            return Ok(exact::RETRY.into());
        };
        call_json(env, || run(&self.inner, op))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn execute(
        &self,
        env: Env,
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.task(
            env,
            Op::Execute {
                model,
                id,
                command,
                options,
            },
        )
    }

    /// For `bench/node` only: `execute` on libuv's thread pool (an
    /// `AsyncTask` a call), the way it ran before the engine had threads of
    /// its own. Takes texts from index.js's exact writer.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn execute_on_libuv_pool(
        &self,
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    ) -> AsyncTask<Call> {
        AsyncTask::new(Call {
            engine: self.inner.clone(),
            op: Some(self.checked(Op::Execute {
                model,
                id,
                command,
                options,
            })),
        })
    }

    #[napi]
    pub fn execute_sync(
        &self,
        env: Env,
        model: String,
        id: String,
        command: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(
            &env,
            Op::Execute {
                model,
                id,
                command,
                options,
            },
        )
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn execute_many(&self, env: Env, requests: String) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::ExecuteMany(requests))
    }

    #[napi]
    pub fn execute_many_sync(&self, env: Env, requests: String) -> napi::Result<String> {
        self.now(&env, Op::ExecuteMany(requests))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn load(&self, env: Env, model: String, id: String) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Load(model, id))
    }

    #[napi]
    pub fn load_sync(&self, env: Env, model: String, id: String) -> napi::Result<String> {
        self.now(&env, Op::Load(model, id))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn query(
        &self,
        env: Env,
        model: String,
        id: String,
        name: String,
        args: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.task(
            env,
            Op::Query {
                model,
                id,
                name,
                args,
            },
        )
    }

    #[napi]
    pub fn query_sync(
        &self,
        env: Env,
        model: String,
        id: String,
        name: String,
        args: Option<String>,
    ) -> napi::Result<String> {
        self.now(
            &env,
            Op::Query {
                model,
                id,
                name,
                args,
            },
        )
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn read_stream(
        &self,
        env: Env,
        stream: String,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::ReadStream(stream, options))
    }

    #[napi]
    pub fn read_stream_sync(
        &self,
        env: Env,
        stream: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(&env, Op::ReadStream(stream, options))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn read_all(&self, env: Env, options: Option<String>) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::ReadAll(options))
    }

    #[napi]
    pub fn read_all_sync(&self, env: Env, options: Option<String>) -> napi::Result<String> {
        self.now(&env, Op::ReadAll(options))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn streams(&self, env: Env, options: Option<String>) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Streams(options))
    }

    #[napi]
    pub fn streams_sync(&self, env: Env, options: Option<String>) -> napi::Result<String> {
        self.now(&env, Op::Streams(options))
    }

    /// Rows of a table in key order (`options`: `key`, `after`, `limit`).
    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn rows(
        &self,
        env: Env,
        table: String,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Rows(table, options))
    }

    #[napi]
    pub fn rows_sync(
        &self,
        env: Env,
        table: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(&env, Op::Rows(table, options))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn projections(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Projections)
    }

    #[napi]
    pub fn projections_sync(&self, env: Env) -> napi::Result<String> {
        self.now(&env, Op::Projections)
    }

    /// `"true"` once the projections reach `position` (decimal text),
    /// `"false"` at the timeout.
    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn wait_for(
        &self,
        env: Env,
        position: String,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        let position = call(&env, || parse_position(&position))?;
        self.wait_task(env, Op::WaitFor(position, options))
    }

    #[napi]
    pub fn wait_for_sync(
        &self,
        env: Env,
        position: String,
        options: Option<String>,
    ) -> napi::Result<String> {
        let position = call(&env, || parse_position(&position))?;
        self.now(&env, Op::WaitFor(position, options))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn rebuild(&self, env: Env, projection: String) -> napi::Result<Unknown<'static>> {
        self.wait_task(env, Op::Rebuild(projection))
    }

    #[napi]
    pub fn rebuild_sync(&self, env: Env, projection: String) -> napi::Result<String> {
        self.now(&env, Op::Rebuild(projection))
    }

    /// What moving the store to `next` would do (`options`: `differences`),
    /// on the threads for waits: it replays every affected stream.
    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn migrate_plan(
        &self,
        env: Env,
        next: &NativeDomain,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.wait_task(env, Op::MigratePlan(next.inner.clone(), options))
    }

    #[napi]
    pub fn migrate_plan_sync(
        &self,
        env: Env,
        next: &NativeDomain,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(&env, Op::MigratePlan(next.inner.clone(), options))
    }

    /// Moves the store to `next` (it builds snapshots and projections, so
    /// it too runs on the threads for waits); the engine then runs `next`.
    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn migrate_apply(
        &self,
        env: Env,
        next: &NativeDomain,
        options: Option<String>,
    ) -> napi::Result<Unknown<'static>> {
        self.wait_task(env, Op::MigrateApply(next.inner.clone(), options))
    }

    #[napi]
    pub fn migrate_apply_sync(
        &self,
        env: Env,
        next: &NativeDomain,
        options: Option<String>,
    ) -> napi::Result<String> {
        self.now(&env, Op::MigrateApply(next.inner.clone(), options))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn model_versions(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::ModelVersions)
    }

    #[napi]
    pub fn model_versions_sync(&self, env: Env) -> napi::Result<String> {
        self.now(&env, Op::ModelVersions)
    }

    /// A subscription (`options`: `from`, `models`, `types`, written by
    /// index.js's exact writer); on libuv's pool, as it is made once.
    #[napi(ts_return_type = "Promise<NativeSubscription>")]
    pub fn subscribe(
        &self,
        name: String,
        options: Option<String>,
    ) -> AsyncTask<subscription::Subscribe> {
        AsyncTask::new(subscription::Subscribe::new(
            self.inner.clone(),
            self.borrowed && self.released.load(Ordering::Acquire),
            name,
            options,
        ))
    }

    #[napi]
    pub fn subscribe_sync(
        &self,
        env: Env,
        name: String,
        options: Option<String>,
    ) -> napi::Result<subscription::NativeSubscription> {
        let mut task = subscription::Subscribe::new(
            self.inner.clone(),
            self.borrowed && self.released.load(Ordering::Acquire),
            name,
            options,
        );
        let output = task.compute()?;
        task.resolve(env, output)
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn subscriptions(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Subscriptions)
    }

    #[napi]
    pub fn subscriptions_sync(&self, env: Env) -> napi::Result<String> {
        self.now(&env, Op::Subscriptions)
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn parked(&self, env: Env, name: String) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Parked(name))
    }

    #[napi]
    pub fn parked_sync(&self, env: Env, name: String) -> napi::Result<String> {
        self.now(&env, Op::Parked(name))
    }

    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn close(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task_as_is(env, self.close_op())
    }

    #[napi]
    pub fn close_sync(&self, env: Env) -> napi::Result<String> {
        self.now_as_is(&env, self.close_op())
    }

    /// For the tests: a panic inside a call, on this thread or in the pool.
    #[napi(ts_return_type = "Promise<string> | string")]
    pub fn panic_for_test(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task(env, Op::Panic)
    }

    #[napi]
    pub fn panic_for_test_sync(&self, env: Env) -> napi::Result<String> {
        self.now(&env, Op::Panic)
    }
}

/// For the tests: a panic in a Domain call (which needs no store).
#[napi]
pub fn panic_for_test(env: Env) -> napi::Result<()> {
    call(&env, || {
        panic!("a panic on purpose, to test that it is caught")
    })
}
