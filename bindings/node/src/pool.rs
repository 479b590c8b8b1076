//! The engine's own threads for its Promise calls, and one wake-up of the JS
//! thread for many finished calls.
//!
//! An `AsyncTask` on libuv's pool cost about three context switches a
//! command: the pool thread woke for each task, and the JS thread woke for
//! each result. Here each engine has a few threads of its own that wait on
//! its queue; one that has just finished a call keeps watching the queue for
//! a short while before it sleeps, so a caller that awaits one command after
//! the other finds it awake. Finished calls go to a queue of the JS thread,
//! which a single threadsafe function drains: one wake-up resolves every
//! Promise whose call finished meanwhile.
//!
//! A Promise is created and settled on the JS thread only (its
//! `napi_deferred` merely travels through the worker as a pointer); the
//! threadsafe function keeps the event loop alive only while a call is
//! pending, as a libuv task did.

// Raw Node-API calls: napi-rs's own Promise type makes a threadsafe
// function per Promise, which is the cost this module removes.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use napi::{sys, Env};

/// How long a worker that has just finished keeps looking for the next call
/// before it sleeps: longer than the JS thread takes to settle one Promise
/// and make the next call, far shorter than a command on a durable store.
const LINGER: Duration = Duration::from_micros(50);

/// Threads of a pool at most, by default: as many calls as libuv's pool ran
/// at once.
const MAX_THREADS: usize = 4;

/// A `napi_deferred`, moved through a worker and back, never used there.
struct Deferred(sys::napi_deferred);
// SAFETY: the pointer is only dereferenced by Node-API on the JS thread
// that created it, in `drain`.
unsafe impl Send for Deferred {}

/// A finished call: its Promise and what settles it.
struct Done {
    deferred: Deferred,
    /// The result's text, or the error to reject with.
    result: Result<String, eventfold::Error>,
}

/// What the workers of every engine share with one JS thread.
struct Inbox {
    /// The finished calls, to the JS thread (a channel: no lock that the JS
    /// thread and a worker could wait on each other for).
    done: mpsc::Sender<Done>,
    /// Whether Node still has the threadsafe function (false once it
    /// finalised it: its env is gone); held while calling it.
    alive: Mutex<bool>,
    /// A wake-up is on its way: a finished call need not send another.
    scheduled: AtomicBool,
    tsfn: TsfnPtr,
}

struct TsfnPtr(sys::napi_threadsafe_function);
// SAFETY: a threadsafe function is made to be called from any thread; it is
// only called while `Inbox::alive` says that Node has not finalised it.
unsafe impl Send for TsfnPtr {}
unsafe impl Sync for TsfnPtr {}

impl Inbox {
    fn deliver(&self, done: Done) {
        if self.done.send(done).is_err() {
            return; // the JS thread is gone, and its Promises with it
        }
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            let alive = crate::lock(&self.alive);
            if *alive {
                // Under the lock, so Node cannot finalise it meanwhile.
                // SAFETY: a live threadsafe function (see above).
                unsafe {
                    sys::napi_call_threadsafe_function(
                        self.tsfn.0,
                        ptr::null_mut(),
                        sys::ThreadsafeFunctionCallMode::nonblocking,
                    );
                }
            }
        }
    }
}

/// The JS thread's side: its inbox and the count of pending Promises.
struct Local {
    inbox: Arc<Inbox>,
    done: mpsc::Receiver<Done>,
    env: sys::napi_env,
    pending: Cell<usize>,
}

thread_local! {
    static LOCAL: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
}

fn local(env: &Env) -> napi::Result<Rc<Local>> {
    if let Some(l) = LOCAL.with(|l| l.borrow().clone()) {
        return Ok(l);
    }
    let raw_env = env.raw();
    let mut name = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    let text = "eventfold";
    // SAFETY: Node-API calls on the JS thread, with its env.
    unsafe {
        check(sys::napi_create_string_utf8(
            raw_env,
            text.as_ptr().cast(),
            text.len() as isize,
            &mut name,
        ))?;
        check(sys::napi_create_threadsafe_function(
            raw_env,
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            ptr::null_mut(),
            Some(finalize),
            ptr::null_mut(),
            Some(drain),
            &mut tsfn,
        ))?;
        // Idle, it must not keep the process alive; a pending call refs it.
        check(sys::napi_unref_threadsafe_function(raw_env, tsfn))?;
    }
    let (sender, receiver) = mpsc::channel();
    let local = Rc::new(Local {
        inbox: Arc::new(Inbox {
            done: sender,
            alive: Mutex::new(true),
            scheduled: AtomicBool::new(false),
            tsfn: TsfnPtr(tsfn),
        }),
        done: receiver,
        env: raw_env,
        pending: Cell::new(0),
    });
    LOCAL.with(|l| *l.borrow_mut() = Some(local.clone()));
    Ok(local)
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!(
            "a Node-API call failed with status {status}"
        )))
    }
}

/// Node finalises the threadsafe function when its env goes away.
unsafe extern "C" fn finalize(_env: sys::napi_env, _data: *mut c_void, _hint: *mut c_void) {
    LOCAL.with(|l| {
        if let Some(local) = l.borrow_mut().take() {
            *crate::lock(&local.inbox.alive) = false;
            // Dropping `local` drops the receiver: later results are dropped.
        }
    });
}

/// On the JS thread: settles every Promise whose call has finished.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() {
        return; // the env is being torn down
    }
    let Some(local) = LOCAL.with(|l| l.borrow().clone()) else {
        return;
    };
    // Cleared before taking the queue: a call that finishes after the take
    // sends a wake-up of its own.
    local.inbox.scheduled.store(false, Ordering::Release);
    let done: Vec<Done> = local.done.try_iter().collect();
    // Settling runs no JS here (the continuations run once this returns), so
    // the count may drop first.
    let left = local.pending.get().saturating_sub(done.len());
    local.pending.set(left);
    for d in done {
        // SAFETY: on the JS thread of `env`, each deferred settled once.
        unsafe { settle(env, d) };
    }
    if left == 0 {
        // SAFETY: on the JS thread.
        unsafe { sys::napi_unref_threadsafe_function(env, local.inbox.tsfn.0) };
    }
}

/// # Safety
/// On the JS thread of `env`; `d.deferred` not yet settled.
unsafe fn settle(env: sys::napi_env, d: Done) {
    // SAFETY: Node-API calls on the JS thread.
    unsafe {
        match d.result {
            Ok(text) => {
                let mut value = ptr::null_mut();
                sys::napi_create_string_utf8(
                    env,
                    text.as_ptr().cast(),
                    text.len() as isize,
                    &mut value,
                );
                sys::napi_resolve_deferred(env, d.deferred.0, value);
            }
            Err(e) => {
                let error = match crate::errors::error_object(&Env::from_raw(env), &e) {
                    Ok(error) => error,
                    // Only when the env is going away: a plain Error then.
                    Err(_) => {
                        let (mut text, mut error) = (ptr::null_mut(), ptr::null_mut());
                        let message = e.message();
                        sys::napi_create_string_utf8(
                            env,
                            message.as_ptr().cast(),
                            message.len() as isize,
                            &mut text,
                        );
                        sys::napi_create_error(env, ptr::null_mut(), text, &mut error);
                        error
                    }
                };
                sys::napi_reject_deferred(env, d.deferred.0, error);
            }
        }
    }
}

/// A Promise settled at once with `result`: for a call cheaper to run on
/// the JS thread than to hand to a worker and back.
pub(crate) fn settled(
    env: &Env,
    result: Result<String, eventfold::Error>,
) -> napi::Result<sys::napi_value> {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: on the JS thread, with its env; the deferred is settled once,
    // here.
    unsafe {
        check(sys::napi_create_promise(
            env.raw(),
            &mut deferred,
            &mut promise,
        ))?;
        settle(
            env.raw(),
            Done {
                deferred: Deferred(deferred),
                result,
            },
        );
    }
    Ok(promise)
}

/// One call for a worker: the work, and where its result goes.
struct Job {
    work: Box<dyn FnOnce() -> Result<String, eventfold::Error> + Send>,
    deferred: Deferred,
    inbox: Arc<Inbox>,
}

/// An engine's threads and their queue. Dropped with the JS object of the
/// engine: the threads finish the calls queued and end.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    /// Threads it starts at most.
    max_threads: usize,
}

impl Default for Pool {
    fn default() -> Pool {
        Pool::with_max_threads(MAX_THREADS)
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pool")
    }
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Jobs queued, readable without the lock by a lingering worker.
    queued: AtomicUsize,
    /// A pool for calls that wait (see [`Pool::for_waits`]): a worker with
    /// nothing to do ends rather than sleeps.
    waits: bool,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Workers not running a job (lingering or asleep).
    idle: usize,
    /// Workers asleep on `wake`.
    asleep: usize,
    closed: bool,
}

impl Drop for Pool {
    fn drop(&mut self) {
        crate::lock(&self.shared.state).closed = true;
        self.shared.wake.notify_all();
    }
}

impl Pool {
    /// A pool of at most `n` threads (at least one).
    fn with_max_threads(n: usize) -> Pool {
        Pool {
            shared: Arc::default(),
            max_threads: n.max(1),
        }
    }

    /// A pool of at most `n` threads for calls that may wait long
    /// (`waitFor`, `rebuild`, a subscription's `poll`), apart from the
    /// engine's commands. Each call queued gets a worker of its own while
    /// there are fewer than `n` (one that has just finished, or a new
    /// thread), so a call never waits behind another that waits (a `close`
    /// behind the `poll` it must end, say); a worker with nothing left to do
    /// ends once it has lingered.
    pub(crate) fn for_waits(n: usize) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                waits: true,
                ..Shared::default()
            }),
            max_threads: n.max(1),
        }
    }

    /// Runs `work` on one of the engine's threads: a Promise of its text.
    pub(crate) fn spawn(
        &self,
        env: &Env,
        work: impl FnOnce() -> Result<String, eventfold::Error> + Send + 'static,
    ) -> napi::Result<sys::napi_value> {
        let local = local(env)?;
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        // SAFETY: on the JS thread, with its env.
        unsafe {
            check(sys::napi_create_promise(
                local.env,
                &mut deferred,
                &mut promise,
            ))?;
        }
        if local.pending.get() == 0 {
            // SAFETY: on the JS thread.
            unsafe {
                check(sys::napi_ref_threadsafe_function(
                    local.env,
                    local.inbox.tsfn.0,
                ))?
            };
        }
        local.pending.set(local.pending.get() + 1);
        let job = Job {
            work: Box::new(work),
            deferred: Deferred(deferred),
            inbox: local.inbox.clone(),
        };
        let mut state = crate::lock(&self.shared.state);
        state.jobs.push_back(job);
        self.shared.queued.fetch_add(1, Ordering::Release);
        // Workers that will take the job by themselves: the idle ones (a
        // pool for waits has none asleep).
        let short = if self.shared.waits {
            state.jobs.len() > state.idle
        } else {
            state.idle == 0
        };
        if short && state.threads < self.max_threads {
            state.threads += 1;
            state.idle += 1;
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("eventfold".into())
                .spawn(move || work_loop(&shared));
            if spawned.is_err() {
                state.threads -= 1;
                state.idle -= 1;
                if state.threads == 0 {
                    // No thread to run it: run it here rather than never.
                    let job = state.jobs.pop_back().expect("just queued");
                    self.shared.queued.fetch_sub(1, Ordering::Release);
                    drop(state);
                    run(job);
                    return Ok(promise);
                }
            }
        } else if state.asleep > 0 && state.asleep >= state.idle {
            // Every idle worker sleeps: wake one (a lingering one would
            // have taken the job by itself).
            self.shared.wake.notify_one();
        }
        Ok(promise)
    }
}

fn run(job: Job) {
    let result = (job.work)();
    job.inbox.deliver(Done {
        deferred: job.deferred,
        result,
    });
}

fn work_loop(shared: &Shared) {
    let mut state = crate::lock(&shared.state);
    loop {
        if let Some(job) = state.jobs.pop_front() {
            shared.queued.fetch_sub(1, Ordering::Release);
            state.idle -= 1;
            drop(state);
            let result = (job.work)();
            // Idle from here: a call made while it lingers is left to it.
            // Counted before the result goes, so that the JS thread, woken
            // by it, never waits for this lock to make its next call.
            crate::lock(&shared.state).idle += 1;
            job.inbox.deliver(Done {
                deferred: job.deferred,
                result,
            });
            linger(shared);
            state = lock_yielding(&shared.state);
            continue;
        }
        if state.closed || shared.waits {
            state.threads -= 1;
            state.idle -= 1;
            return;
        }
        state.asleep += 1;
        state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
        state.asleep -= 1;
    }
}

/// Takes the lock without sleeping on it: the JS thread holds it only to
/// queue a call, and would otherwise have to wake this thread on its way out.
fn lock_yielding<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    loop {
        match m.try_lock() {
            Ok(guard) => return guard,
            Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
}

/// Watches the queue for a short while before the worker sleeps, yielding
/// the core to any thread that wants it (the JS thread first of all, on a
/// busy machine) rather than spinning on it.
fn linger(shared: &Shared) {
    let start = Instant::now();
    while shared.queued.load(Ordering::Acquire) == 0 {
        if start.elapsed() > LINGER {
            return;
        }
        std::thread::yield_now();
    }
}
