//! Group commit: commands from many threads share one write transaction,
//! and so one fsync.
//!
//! A caller queues its job. If no thread is leading, it leads: it takes
//! every job waiting, runs them all in one transaction, hands each caller
//! its own result, and goes. Jobs queued meanwhile wait for the next
//! leader, one of their own callers. A lone thread leads its own job at
//! once: no hand-off, no wake-up.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};

/// A queue of jobs `J`, each answered with a `Result<T>`.
pub(crate) struct Group<J, T> {
    state: Mutex<State<J, T>>,
    wake: Condvar,
}

struct State<J, T> {
    next: u64,
    queue: Vec<(u64, J)>,
    leading: bool,
    /// Callers blocked on `wake`; nobody to wake saves a syscall.
    waiting: usize,
    done: HashMap<u64, Result<T>>,
}

impl<J, T> Default for Group<J, T> {
    fn default() -> Self {
        Group {
            state: Mutex::new(State {
                next: 0,
                queue: Vec::new(),
                leading: false,
                waiting: 0,
                done: HashMap::new(),
            }),
            wake: Condvar::new(),
        }
    }
}

impl<J, T> Group<J, T> {
    fn lock(&self) -> MutexGuard<'_, State<J, T>> {
        // The state is consistent between statements: a panic elsewhere
        // leaves nothing half-done in it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `job` in a group with whatever else is waiting. `run` gets the
    /// group's jobs in the order they came and returns one result each, in
    /// that order. A panic in `run` answers every job of its group with
    /// `internal` (the transaction was rolled back as it unwound).
    pub(crate) fn submit(&self, job: J, run: &mut dyn FnMut(&[J]) -> Vec<Result<T>>) -> Result<T> {
        let mut st = self.lock();
        if !st.leading && st.queue.is_empty() {
            // Nobody writing: run it now, with no queue and no hand-off.
            st.leading = true;
            drop(st);
            let outcome = catch_unwind(AssertUnwindSafe(|| run(std::slice::from_ref(&job))));
            let mut st = self.lock();
            st.leading = false;
            if st.waiting > 0 {
                self.wake.notify_all();
            }
            drop(st);
            return match outcome {
                Ok(results) => results.into_iter().next().unwrap_or_else(|| {
                    Err(Error::Internal {
                        message: "a command of a group got no result".into(),
                    })
                }),
                Err(_) => Err(panicked()),
            };
        }
        let ticket = st.next;
        st.next += 1;
        st.queue.push((ticket, job));
        loop {
            if let Some(out) = st.done.remove(&ticket) {
                return out;
            }
            if !st.leading {
                st.leading = true;
                let batch = std::mem::take(&mut st.queue);
                drop(st);
                let (tickets, jobs): (Vec<u64>, Vec<J>) = batch.into_iter().unzip();
                let outcome = catch_unwind(AssertUnwindSafe(|| run(&jobs)));
                st = self.lock();
                st.leading = false;
                match outcome {
                    Ok(results) => {
                        debug_assert_eq!(results.len(), tickets.len());
                        let mut results = results.into_iter();
                        for &t in &tickets {
                            let r = results.next().unwrap_or_else(|| {
                                Err(Error::Internal {
                                    message: "a command of a group got no result".into(),
                                })
                            });
                            st.done.insert(t, r);
                        }
                    }
                    Err(_) => {
                        for &t in &tickets {
                            st.done.insert(t, Err(panicked()));
                        }
                    }
                }
                if st.waiting > 0 {
                    self.wake.notify_all();
                }
                continue;
            }
            st.waiting += 1;
            st = self.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            st.waiting -= 1;
        }
    }
}

fn panicked() -> Error {
    Error::Internal {
        message: "a panic while running a group of commands; nothing of the group was committed"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn a_lone_caller_runs_its_own_job() {
        let g: Group<u32, u32> = Group::default();
        let out = g.submit(20, &mut |jobs| jobs.iter().map(|j| Ok(j + 1)).collect());
        assert_eq!(out.unwrap(), 21);
    }

    #[test]
    fn every_caller_of_many_threads_gets_its_own_result() {
        let g: Arc<Group<usize, usize>> = Arc::new(Group::default());
        let threads = 16;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (g, barrier) = (g.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut sum = 0;
                    for k in 0..200 {
                        let job = i * 1000 + k;
                        let r = g.submit(job, &mut |jobs| {
                            jobs.iter()
                                .map(|&j| {
                                    if j % 7 == 0 {
                                        Err(Error::evaluation("seven"))
                                    } else {
                                        Ok(j * 2)
                                    }
                                })
                                .collect()
                        });
                        match r {
                            Ok(v) => {
                                assert_eq!(v, job * 2);
                                sum += 1;
                            }
                            Err(e) => {
                                assert_eq!(job % 7, 0, "{e}");
                            }
                        }
                    }
                    sum
                })
            })
            .collect();
        let ok: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        let expected = (0..threads)
            .flat_map(|i| (0..200).map(move |k| i * 1000 + k))
            .filter(|j| j % 7 != 0)
            .count();
        assert_eq!(ok, expected);
    }

    #[test]
    fn a_panic_answers_its_group_and_the_queue_goes_on() {
        let g: Group<u32, u32> = Group::default();
        let out = g.submit(1, &mut |_| panic!("boom"));
        assert_eq!(out.unwrap_err().code(), "internal");
        let out = g.submit(2, &mut |jobs| jobs.iter().map(|&j| Ok(j)).collect());
        assert_eq!(out.unwrap(), 2);
    }
}
