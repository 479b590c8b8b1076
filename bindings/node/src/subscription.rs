//! A subscription (`Subscription` in index.js): `poll`, `ack`, `park` and
//! `close`, each a Promise on the subscription's own threads (a `poll` waits
//! up to its timeout, and must hold up neither the engine's commands nor
//! another subscription) with a `*Sync` twin. index.js builds the
//! `for await` iteration on them.

use std::sync::Arc;
use std::time::Duration;

use eventfold::ffi::guard;
use eventfold::{Engine, Error, Subscription};
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use crate::{call, call_json, errors, exact, parse_position, pool, released};

/// Threads of a subscription at most: a `poll` that waits, with `ack`s and
/// a `close` beside it.
const THREADS: usize = 4;

/// `Engine.subscribe`: made on libuv's pool, since opening one reads (and
/// may write) the subscription's row in the store.
#[derive(Debug)]
pub struct Subscribe {
    engine: Engine,
    /// The handle that asked is a released borrowed one: fail as closed.
    released: bool,
    name: String,
    options: Option<String>,
}

impl Subscribe {
    pub(crate) fn new(
        engine: Engine,
        released: bool,
        name: String,
        options: Option<String>,
    ) -> Subscribe {
        Subscribe {
            engine,
            released,
            name,
            options,
        }
    }
}

impl Task for Subscribe {
    type Output = eventfold::Result<Subscription>;
    type JsValue = NativeSubscription;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(guard(|| {
            if self.released {
                return Err(released());
            }
            // index.js writes these options with its exact writer, so they
            // are taken as they are.
            let options = match self.options.take() {
                Some(text) => Some(exact::input(text).ok_or_else(|| Error::Internal {
                    message: "subscribe options must come from index.js's exact writer".into(),
                })?),
                None => None,
            };
            self.engine.subscribe_json(&self.name, options.as_deref())
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<NativeSubscription> {
        output
            .map(|inner| NativeSubscription {
                inner: Arc::new(inner),
                // Its own threads: a `close` (or an `ack`) runs beside a
                // `poll` that waits.
                pool: pool::Pool::for_waits(THREADS),
            })
            .map_err(|e| errors::to_js(&env, &e))
    }
}

#[napi]
pub struct NativeSubscription {
    inner: Arc<Subscription>,
    pool: pool::Pool,
}

impl std::fmt::Debug for NativeSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeSubscription")
            .field("name", &self.inner.name())
            .finish()
    }
}

/// How long a poll waits: `timeout_ms` milliseconds, a negative or NaN one
/// as zero (index.js has checked it already).
fn timeout(timeout_ms: f64) -> Duration {
    Duration::try_from_secs_f64(timeout_ms / 1000.0).unwrap_or(if timeout_ms > 0.0 {
        Duration::MAX
    } else {
        Duration::ZERO
    })
}

impl NativeSubscription {
    /// A Promise of `work`'s JSON text, run on the subscription's threads.
    fn task(
        &self,
        env: Env,
        work: impl FnOnce(&Subscription) -> eventfold::Result<String> + Send + 'static,
    ) -> napi::Result<Unknown<'static>> {
        let inner = self.inner.clone();
        let raw = self
            .pool
            .spawn(&env, move || guard(|| work(&inner)).map(exact::output))?;
        // SAFETY: a value of this env, handed straight back to JS.
        unsafe { Unknown::from_napi_value(env.raw(), raw) }
    }
}

#[napi]
impl NativeSubscription {
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Up to `max` events, waiting up to `timeout_ms` for the first.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn poll(&self, env: Env, max: u32, timeout_ms: f64) -> napi::Result<Unknown<'static>> {
        let wait = timeout(timeout_ms);
        self.task(env, move |s| s.poll_json(max as usize, wait))
    }

    #[napi]
    pub fn poll_sync(&self, env: Env, max: u32, timeout_ms: f64) -> napi::Result<String> {
        call_json(&env, || {
            self.inner.poll_json(max as usize, timeout(timeout_ms))
        })
    }

    /// Everything up to `position` (decimal text) is done.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn ack(&self, env: Env, position: String) -> napi::Result<Unknown<'static>> {
        let position = call(&env, || parse_position(&position))?;
        self.task(env, move |s| s.ack(position).map(|()| "null".into()))
    }

    #[napi]
    pub fn ack_sync(&self, env: Env, position: String) -> napi::Result<String> {
        call(&env, || {
            self.inner
                .ack(parse_position(&position)?)
                .map(|()| "null".into())
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn park(
        &self,
        env: Env,
        position: String,
        reason: String,
    ) -> napi::Result<Unknown<'static>> {
        let position = call(&env, || parse_position(&position))?;
        self.task(env, move |s| {
            s.park(position, &reason).map(|()| "null".into())
        })
    }

    #[napi]
    pub fn park_sync(&self, env: Env, position: String, reason: String) -> napi::Result<String> {
        call(&env, || {
            self.inner
                .park(parse_position(&position)?, &reason)
                .map(|()| "null".into())
        })
    }

    /// Releases the lease; a poll waiting meanwhile gives [] at once.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn close(&self, env: Env) -> napi::Result<Unknown<'static>> {
        self.task(env, |s| s.close().map(|()| "null".into()))
    }

    #[napi]
    pub fn close_sync(&self, env: Env) -> napi::Result<String> {
        call(&env, || self.inner.close().map(|()| "null".into()))
    }
}
