//! A job's commands decided but not yet appended, and the jobs of a group
//! whose appends wait to go to the store in one call.

use std::collections::HashSet;

use foldhash::fast::RandomState as FastHash;

use super::{Answer, Job};
use crate::engine::Executed;
use crate::error::Result;
use crate::store::{Append, WriteTx};

pub(super) enum Outcome {
    Done(Answer),
    /// The same command id earlier in the batch: its result.
    Same(usize),
    Appended {
        append: usize,
        executed: Executed,
    },
}

/// A job's commands decided, and the events they make, not yet appended.
pub(super) struct Decided {
    pub(super) outcomes: Vec<Outcome>,
    pub(super) appends: Vec<Append>,
}

impl Decided {
    /// The callers' answers, once `appends` were stored from the positions
    /// `firsts` on (one per append).
    pub(super) fn answers(mut self, firsts: &[u64]) -> Vec<Answer> {
        let mut results: Vec<Answer> = Vec::with_capacity(self.outcomes.len());
        for o in self.outcomes {
            let r = match o {
                Outcome::Done(e) => e,
                Outcome::Appended {
                    append,
                    mut executed,
                } => {
                    for (k, e) in executed.events.iter_mut().enumerate() {
                        e.position = firsts[append] + k as u64;
                    }
                    executed.position = executed.events.last().map_or(0, |e| e.position);
                    // The texts just stored are the result's, moved out.
                    let data = self.appends[append]
                        .events
                        .iter_mut()
                        .map(|e| std::mem::take(&mut e.data))
                        .collect();
                    Answer {
                        executed,
                        data: Some(data),
                    }
                }
                Outcome::Same(j) => results[j].clone(),
            };
            results.push(r);
        }
        results
    }
}

/// The decided jobs of a group whose appends wait, to go to the store in
/// one call.
#[derive(Default)]
pub(super) struct Waiting {
    jobs: Vec<(usize, Decided)>,
    /// The (stream, command id) pairs their appends record.
    records: HashSet<(String, String), FastHash>,
}

impl Waiting {
    /// Job `index` of the group waits with what it decided.
    pub(super) fn push(&mut self, index: usize, decided: Decided) {
        for a in &decided.appends {
            if let Some(id) = &a.command_id {
                self.records.insert((a.stream.clone(), id.clone()));
            }
        }
        self.jobs.push((index, decided));
    }

    /// Does `job` name a command id that a waiting append records? Then
    /// the store must hold that record before `job` looks it up.
    pub(super) fn records_any(&self, job: &Job) -> bool {
        !self.records.is_empty()
            && job.requests.iter().any(|p| {
                p.command_id
                    .as_ref()
                    .is_some_and(|id| self.records.contains(&(p.stream.clone(), id.clone())))
            })
    }

    /// Appends what waits, in the jobs' order, and answers each job.
    pub(super) fn append(
        &mut self,
        tx: &mut dyn WriteTx,
        results: &mut [Option<Result<Vec<Answer>>>],
    ) -> Result<()> {
        if self.jobs.is_empty() {
            return Ok(());
        }
        self.records.clear();
        let counts: Vec<usize> = self.jobs.iter().map(|(_, d)| d.appends.len()).collect();
        let mut all = Vec::with_capacity(counts.iter().sum());
        for (_, d) in &mut self.jobs {
            all.append(&mut d.appends);
        }
        let firsts = if all.is_empty() {
            Vec::new()
        } else {
            tx.append(&all)?
        };
        let (mut all, mut at) = (all.into_iter(), 0);
        for ((j, mut d), n) in self.jobs.drain(..).zip(counts) {
            d.appends = all.by_ref().take(n).collect();
            results[j] = Some(Ok(d.answers(&firsts[at..at + n])));
            at += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Job;
    use crate::{Domain, Engine, EngineOptions, ExecuteOptions, Source};
    use serde_json::json;

    const COUNTER: &str = r#"
model Counter {
  state { count: int }
  command add(by: int) {
    reject negative "by must not be negative" if by < 0
    emit added(by)
  }
  event added(by: int) { set count = count + by }
}
"#;

    /// One group, its appends waiting: a rejected batch between two jobs
    /// on its stream, and a command id recorded by a job still waiting.
    fn one_group_on(url: &str) {
        let domain = Domain::compile(&[Source::new("counter.model", COUNTER)]).unwrap();
        let e = Engine::open(url, domain.clone(), EngineOptions::default()).unwrap();
        let cur = e.current();
        let req = |id: &str, by: i64, command_id: Option<&str>| {
            let options = ExecuteOptions {
                command_id: command_id.map(str::to_string),
                ..Default::default()
            };
            let command = json!({"type": "add", "data": {"by": by}});
            e.prepare(&cur, "Counter", id, &command, &options).unwrap()
        };
        let job = |requests: Vec<_>| Job {
            many: requests.len() > 1,
            requests,
            current: cur.clone(),
        };
        let jobs = vec![
            job(vec![req("a", 1, Some("c1"))]),
            job(vec![req("a", 1, Some("c1"))]),
            job(vec![req("a", 10, None)]),
            job(vec![req("a", 2, None), req("a", -1, None)]),
            job(vec![req("a", 3, None)]),
            job(vec![req("b", 5, None)]),
            job(vec![req("a", 4, None)]),
        ];
        let out = e.run_group(&jobs);
        let version = |i: usize| out[i].as_ref().unwrap()[0].executed.version;
        assert_eq!(version(0), 1, "{url}");
        // The same command id: the first one's result, not run again.
        let (first, again) = (&out[0].as_ref().unwrap()[0], &out[1].as_ref().unwrap()[0]);
        assert_eq!(again.executed.version, 1, "{url}");
        assert_eq!(again.executed.position, first.executed.position, "{url}");
        assert_eq!(version(2), 2, "{url}");
        let rejected = out[3].as_ref().err().unwrap();
        assert_eq!(rejected.code(), "rejected", "{url}: {rejected}");
        assert_eq!(version(4), 3, "{url}");
        assert_eq!(version(5), 1, "{url}");
        assert_eq!(version(6), 4, "{url}");
        let positions: Vec<u64> = [0, 2, 4, 5, 6]
            .iter()
            .map(|&i| out[i].as_ref().unwrap()[0].executed.position)
            .collect();
        let stored: Vec<u64> = e
            .read_all(None, None)
            .unwrap()
            .iter()
            .map(|x| x.position)
            .collect();
        assert_eq!(positions, stored, "{url}");
        let count = |engine: &Engine, id: &str| engine.load("Counter", id).unwrap().state.to_json();
        assert_eq!(count(&e, "a"), json!({"count": 18}), "{url}");
        assert_eq!(count(&e, "b"), json!({"count": 5}), "{url}");
        if url != "memory:" {
            // A cold engine reads the same from the store.
            let cold = Engine::open(url, domain, EngineOptions::default()).unwrap();
            assert_eq!(count(&cold, "a"), json!({"count": 18}), "{url}");
        }
    }

    #[test]
    fn a_group_appends_once_and_each_job_gets_its_own_answer() {
        one_group_on("memory:");
        let dir = std::env::temp_dir().join(format!("eventfold-decided-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        one_group_on(&format!("sqlite:{}", dir.join("group.db").display()));
        let _ = std::fs::remove_dir_all(&dir);
        // PostgreSQL when `make test` gives a server: a schema of its own.
        if let Some(base) = std::env::var("EVENTFOLD_TEST_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty())
        {
            let schema = format!("t_decided_{}", std::process::id());
            let drop = || {
                let server = base.split('?').next().unwrap_or(&base);
                let mut c = postgres::Client::connect(server, postgres::NoTls).unwrap();
                c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .unwrap();
            };
            drop();
            let sep = if base.contains('?') { '&' } else { '?' };
            one_group_on(&format!("{base}{sep}schema={schema}"));
            drop();
        }
    }
}
