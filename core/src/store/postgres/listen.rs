//! Wake-ups across processes: one thread per store `LISTEN`s on the
//! schema's channel, on a connection of its own, and wakes this process's
//! waiters (the [`Notifier`]) whenever any writer's commit notifies.
//!
//! Nothing polls the database: the thread blocks on the connection's
//! socket. It looks up from it every [`STOP_CHECK`] only to see whether its
//! store has closed. When the connection is lost, waiters are woken (they
//! read the head again, so an event committed meanwhile is never missed),
//! and the thread reconnects with a growing pause.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls};

use super::err;
use crate::error::{Error, Result, StoreErrorKind};
use crate::store::notify::Notifier;

/// How often the thread checks whether its store closed.
const STOP_CHECK: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub(super) struct Listener {
    stop: Arc<AtomicBool>,
    /// `None` once stopped.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    /// Listens on `client` (already connected), reconnecting with `config`.
    pub(super) fn start(
        mut client: Client,
        config: Config,
        channel: String,
        notifier: Arc<Notifier>,
    ) -> Result<Listener> {
        client
            .batch_execute(&format!("LISTEN {channel}"))
            .map_err(|e| err("cannot listen for commits", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("eventfold-listen".into())
            .spawn(move || run(client, &config, &channel, &notifier, &stopped))
            .map_err(|e| Error::StoreError {
                kind: StoreErrorKind::Io,
                message: format!("cannot start the listener thread: {e}"),
            })?;
        Ok(Listener {
            stop,
            thread: Some(thread),
        })
    }

    /// Ends the thread; it closes its connection on its way out.
    pub(super) fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    /// A store dropped without `close` (an engine whose open failed, one
    /// never closed) stops its listener too: the thread ends within
    /// [`STOP_CHECK`] and closes its connection, which would otherwise
    /// outlive the store and use up the server's connection slots.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn run(mut client: Client, config: &Config, channel: &str, notifier: &Notifier, stop: &AtomicBool) {
    loop {
        // Listening until the connection fails or the store closes.
        loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let got = {
                let mut notes = client.notifications();
                let first = notes.timeout_iter(STOP_CHECK).next();
                // What else already arrived: one wake-up for all of it.
                first.and_then(|n| n.map_or(Ok(false), |_| notes.iter().count().map(|_| true)))
            };
            match got {
                Ok(true) => notifier.committed(),
                Ok(false) => {}
                Err(_) => break,
            }
        }
        // Lost: wake the waiters, then connect again.
        notifier.committed();
        let mut pause = Duration::from_millis(50);
        client = loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let again = config
                .connect(NoTls)
                .and_then(|mut c| c.batch_execute(&format!("LISTEN {channel}")).map(|()| c));
            match again {
                Ok(c) => break c,
                Err(_) => {
                    // Sleep in steps, so that a close is not kept waiting.
                    let mut left = pause;
                    while !left.is_zero() && !stop.load(Ordering::Acquire) {
                        let step = left.min(STOP_CHECK);
                        std::thread::sleep(step);
                        left -= step;
                    }
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        };
        // Commits may have happened while it was away.
        notifier.committed();
    }
}
