//! Wakes [`Store::wait`](super::Store::wait)ers of this process when a
//! write commits: a commit counter under a mutex, and a condvar.
//!
//! The counter, not the head, is what waiters watch: a waiter reads the
//! counter, then the store's head, then sleeps only while the counter is
//! unchanged, so a commit between its read of the head and its sleep is
//! never missed. The head itself is always read from the store, so the
//! counter is only a hint and a write rolled back after all costs a
//! spurious wake-up, never a wrong answer.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::closed;
use crate::error::Result;

#[derive(Debug, Default)]
pub(crate) struct Notifier {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    commits: u64,
    closed: bool,
    /// Bumped by [`Notifier::wake`]: a waiter that sees it change returns.
    wakes: u64,
    /// Threads asleep in [`Notifier::wait`]. A notify is a system call even
    /// with nobody waiting, and a commit with no waiter skips it.
    waiting: usize,
}

impl Notifier {
    /// Called after every commit that appended events.
    pub(crate) fn committed(&self) {
        let mut s = self.lock();
        s.commits += 1;
        if s.waiting > 0 {
            self.changed.notify_all();
        }
    }

    /// Wakes every waiter with a `closed` error, now and later.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// Makes every wait in progress return now, with the head as it is.
    pub(crate) fn wake(&self) {
        self.lock().wakes += 1;
        self.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The loop of `Store::wait`: `head` reads the store's head.
    pub(crate) fn wait(
        &self,
        after_position: u64,
        timeout: Duration,
        head: impl Fn() -> Result<u64>,
    ) -> Result<u64> {
        // An unreachable deadline (a timeout of years) waits for ever.
        let deadline = Instant::now().checked_add(timeout);
        let (mut seen, wakes) = {
            let s = self.lock();
            if s.closed {
                return Err(closed());
            }
            (s.commits, s.wakes)
        };
        loop {
            let h = head()?;
            if h > after_position {
                return Ok(h);
            }
            let mut s = self.lock();
            while s.commits == seen && !s.closed {
                if s.wakes != wakes {
                    drop(s);
                    return head();
                }
                let left = match deadline {
                    Some(d) => d.saturating_duration_since(Instant::now()),
                    None => Duration::from_secs(3600),
                };
                if left.is_zero() {
                    // Timed out: the head as it is now, with other
                    // processes' commits.
                    drop(s);
                    return head();
                }
                s.waiting += 1;
                s = self
                    .changed
                    .wait_timeout(s, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                s.waiting -= 1;
            }
            if s.closed {
                return Err(closed());
            }
            seen = s.commits;
        }
    }
}
