//! Group commit: commands from many threads share one write transaction,
//! and so one fsync.
//!
//! A caller queues its job. If no thread is leading, it leads: it takes
//! every job waiting, runs them all in one transaction, hands each caller
//! its own result, and passes the lead to the first caller still queued
//! (or drops it). Each caller waits on a slot of its own, so a leader wakes
//! only the callers it answered and the next leader, never the whole
//! queue. A lone thread leads its own job at once: no queue, no hand-off.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};

/// A queue of jobs `J`, each answered with a `Result<T>`.
pub(crate) struct Group<J, T> {
    state: Mutex<State<J, T>>,
}

struct State<J, T> {
    queue: Vec<(Arc<Slot<T>>, J)>,
    /// A thread is running a group, or has been handed the lead.
    leading: bool,
}

/// Where one queued caller waits.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
    wake: Condvar,
}

struct SlotState<T> {
    result: Option<Result<T>>,
    /// This caller is to lead the next group.
    lead: bool,
}

impl<T> Slot<T> {
    fn new() -> Slot<T> {
        Slot {
            state: Mutex::new(SlotState {
                result: None,
                lead: false,
            }),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<J, T> Default for Group<J, T> {
    fn default() -> Self {
        Group {
            state: Mutex::new(State {
                queue: Vec::new(),
                leading: false,
            }),
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
            self.pass_lead();
            return match outcome {
                Ok(results) => results
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Err(no_result())),
                Err(_) => Err(panicked()),
            };
        }
        let slot = Arc::new(Slot::new());
        st.queue.push((slot.clone(), job));
        let lead_now = !st.leading;
        if lead_now {
            st.leading = true;
        }
        drop(st);
        if !lead_now {
            let mut s = slot.lock();
            loop {
                if let Some(r) = s.result.take() {
                    return r;
                }
                if s.lead {
                    break;
                }
                s = slot.wake.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        }
        // Leading: the queue holds this caller's own job too.
        let batch = std::mem::take(&mut self.lock().queue);
        let (slots, jobs): (Vec<Arc<Slot<T>>>, Vec<J>) = batch.into_iter().unzip();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(&jobs)));
        let mut results: Vec<Result<T>> = match outcome {
            Ok(results) => results,
            Err(_) => slots.iter().map(|_| Err(panicked())).collect(),
        };
        results.resize_with(slots.len(), || Err(no_result()));
        let mut mine = None;
        for (s, r) in slots.iter().zip(results) {
            if Arc::ptr_eq(s, &slot) {
                mine = Some(r);
                continue;
            }
            s.lock().result = Some(r);
            s.wake.notify_one();
        }
        self.pass_lead();
        mine.unwrap_or_else(|| Err(no_result()))
    }

    /// Hands the lead to the first caller queued, or drops it.
    fn pass_lead(&self) {
        let mut st = self.lock();
        match st.queue.first() {
            Some((next, _)) => {
                next.lock().lead = true;
                next.wake.notify_one();
            }
            None => st.leading = false,
        }
    }
}

fn no_result() -> Error {
    Error::Internal {
        message: "a command of a group got no result".into(),
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
