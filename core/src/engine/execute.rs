//! The write path: commands run in group commits, inside the store's write
//! transaction, each job between savepoints.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState as FastHash;
use serde_json::Value as Json;

use std::sync::Arc;

use super::load::Reader;
use super::models::Current;
use super::projections::has_inline;
use super::{
    clock, metadata, Engine, Entry, ExecuteOptions, ExecuteRequest, Executed, Metadata, StoredEvent,
};
use crate::error::{Error, Result};
use crate::store::{Ahead, Append, CommandRecord, NewEvent, WriteTx};
use crate::value::Value;

mod decided;
use decided::{Decided, Outcome, Waiting};

impl Engine {
    /// Loads the stream `Model-id`, proposes the command, appends its events
    /// atomically.
    ///
    /// A command that emits no events appends nothing and is not recorded
    /// for idempotency (running it again changes nothing either). A rejected
    /// command is not recorded: a retry with the same id runs again.
    pub fn execute(
        &self,
        model: &str,
        id: &str,
        command: &Json,
        options: &ExecuteOptions,
    ) -> Result<Executed> {
        Ok(self.execute_answer(model, id, command, options)?.executed)
    }

    /// `execute`, with the stored text of each event's data.
    pub(super) fn execute_answer(
        &self,
        model: &str,
        id: &str,
        command: &Json,
        options: &ExecuteOptions,
    ) -> Result<Answer> {
        self.check_open()?;
        let mut out = self.following(|cur| {
            Ok(Job {
                requests: vec![self.prepare(cur, model, id, command, options)?],
                many: false,
                current: cur.clone(),
            })
        })?;
        out.pop().ok_or_else(|| Error::Internal {
            message: "a command got no result".into(),
        })
    }

    /// Submits the job `make` prepares under what the engine runs; with
    /// `on_model_change: follow`, a `model_changed` switches the engine to
    /// the store's active model and prepares and submits the job again
    /// (a few times at most: each time, another process applied a change).
    fn following(&self, make: impl Fn(&Arc<Current>) -> Result<Job>) -> Result<Vec<Answer>> {
        let follow = self.inner.options.on_model_change == super::OnModelChange::Follow;
        let mut tries = 0;
        loop {
            let cur = self.current();
            match self.submit(make(&cur)?) {
                // The engine itself switched since (its own `migrate
                // apply`): prepare the job again under what it runs now.
                Err(Error::ModelChanged { .. })
                    if tries < 3 && !Arc::ptr_eq(&cur, &self.current()) =>
                {
                    tries += 1;
                }
                Err(Error::ModelChanged { model, .. }) if follow && tries < 3 => {
                    tries += 1;
                    self.follow(&model)?;
                }
                other => return other,
            }
        }
    }

    /// Many commands in one transaction: all of them are appended, or none.
    /// A command sees the state its predecessors in the batch left; a
    /// rejection of any fails the whole batch (its message names which).
    pub fn execute_many(&self, requests: &[ExecuteRequest]) -> Result<Vec<Executed>> {
        let answers = self.execute_many_answers(requests)?;
        Ok(answers.into_iter().map(|a| a.executed).collect())
    }

    /// `execute_many`, with the stored text of each event's data.
    pub(super) fn execute_many_answers(&self, requests: &[ExecuteRequest]) -> Result<Vec<Answer>> {
        self.check_open()?;
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        self.following(|cur| {
            let mut prepared = Vec::with_capacity(requests.len());
            for (i, r) in requests.iter().enumerate() {
                prepared.push(
                    self.prepare(cur, &r.model, &r.id, &r.command, &r.options)
                        .map_err(|e| at_request(e, i))?,
                );
            }
            Ok(Job {
                requests: prepared,
                many: true,
                current: cur.clone(),
            })
        })
    }

    /// What a command recorded for idempotency returned the first time.
    /// Its events are read back as every stored event is, and their data
    /// is written as stored when each stored event is one event.
    fn recorded(
        &self,
        cur: &Current,
        tx: &mut dyn WriteTx,
        stream: &str,
        rec: CommandRecord,
    ) -> Result<Answer> {
        let n = (rec.last_version + 1).saturating_sub(rec.first_version) as usize;
        let raw = tx.read_stream(stream, rec.first_version, n)?;
        let mut events = Vec::with_capacity(raw.len());
        for e in &raw {
            self.typed(&cur.domain, e, &mut events)?;
        }
        let data = (events.len() == raw.len()).then(|| raw.into_iter().map(|e| e.data).collect());
        Ok(Answer {
            executed: Executed {
                stream: stream.to_string(),
                version: rec.last_version,
                position: events.last().map_or(0, |e| e.position),
                events,
            },
            data,
        })
    }

    /// Runs a job in a group commit: see [`group`].
    fn submit(&self, job: Job) -> Result<Vec<Answer>> {
        self.inner
            .group
            .submit(job, &mut |jobs| self.run_group(jobs))
    }

    /// One write transaction for a group of jobs. Each job runs between
    /// savepoints, so its failure (a rejection, an error) undoes its own
    /// writes only; a lone job (one command, or one `execute_many`) needs
    /// none: its failure rolls back the transaction, which wrote nothing
    /// else. On SQLite a savepoint copies each page it changes into a
    /// subjournal. If the commit fails, every job that had succeeded gets
    /// that error.
    fn run_group(&self, jobs: &[Job]) -> Vec<Result<Vec<Answer>>> {
        let lone = jobs.len() == 1;
        let mut results: Vec<Option<Result<Vec<Answer>>>> = jobs.iter().map(|_| None).collect();
        let mut work: HashMap<String, Work, FastHash> = HashMap::default();
        let recorded_at = clock::recorded_at();
        let many = jobs.iter().map(|j| j.requests.len()).sum::<usize>() > 1;
        // Without inline projections a job writes nothing but its events:
        // the group's wait and go to the store in one append, and a job
        // that fails has nothing to undo, so needs no savepoint.
        let defer = !lone && jobs.iter().all(|j| !has_inline(&j.current.domain));
        let written = self.inner.store.write(&mut |tx| {
            // Only the store's active model versions may append (issue 14).
            let seen = self.active_in(tx)?;
            if many && tx.reads_ahead() {
                self.read_ahead(tx, jobs)?;
            }
            let mut waiting = Waiting::default();
            for (j, job) in jobs.iter().enumerate() {
                let models = job.requests.iter().map(|p| p.model.as_str());
                if let Err(e) = seen.check(&job.current, models) {
                    results[j] = Some(Err(e));
                    continue;
                }
                let mut appended = Vec::new();
                if defer {
                    // A command id that a waiting job records is looked up
                    // in the store: append what waits first.
                    if waiting.records_any(job) {
                        waiting.append(tx, &mut results)?;
                    }
                    match self.decide_job(tx, job, &mut work, &mut appended, &recorded_at) {
                        Ok(decided) => waiting.push(j, decided),
                        // The transaction may be gone with the statement
                        // that failed: the group fails with it.
                        Err(e @ Error::StoreError { .. }) => return Err(e),
                        Err(e) => {
                            forget_failed(&mut work, &appended);
                            // A state dropped here reloads from the store,
                            // which must hold what the jobs before wrote.
                            waiting.append(tx, &mut results)?;
                            results[j] = Some(Err(e));
                        }
                    }
                    continue;
                }
                if lone {
                    results[j] = Some(Ok(self.run_job(
                        tx,
                        job,
                        &mut work,
                        &mut appended,
                        &recorded_at,
                    )?));
                    continue;
                }
                tx.savepoint()?;
                match self.run_job(tx, job, &mut work, &mut appended, &recorded_at) {
                    Ok(done) => {
                        tx.release_savepoint()?;
                        results[j] = Some(Ok(done));
                    }
                    Err(e) => {
                        tx.rollback_to_savepoint()?;
                        forget_failed(&mut work, &appended);
                        results[j] = Some(Err(e));
                    }
                }
            }
            waiting.append(tx, &mut results)
        });
        match &written {
            Ok(()) => {
                // Acknowledged: the states match the store; keep them.
                for (stream, mut w) in work {
                    if w.dirty {
                        // Without a cache it leaves at once: not hot.
                        let hot = self.inner.cache.is_some();
                        self.offer_snapshot(&stream, &mut w.entry, hot);
                    }
                    self.put(stream, w.entry);
                }
            }
            Err(e) => {
                // A state changed here holds changes the store refused:
                // drop it (it reloads when next needed). One left alone (a
                // rejection leaves its state as it was) goes back.
                for (stream, w) in work {
                    if !w.dirty && !w.entry.state.is_null() {
                        self.put(stream, w.entry);
                    }
                }
                for r in &mut results {
                    if !matches!(r, Some(Err(_))) {
                        *r = Some(Err(e.clone()));
                    }
                }
            }
        }
        // Every job has its result: set as it ran, or the write's error.
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::Internal {
                        message: "a command of a group was not run".into(),
                    })
                })
            })
            .collect()
    }

    /// Names to the store every stream the group loads, so that one whose
    /// reads cross a network reads them all in a few round trips (see
    /// [`WriteTx::read_ahead`]): the cached ones need their versions only.
    fn read_ahead(&self, tx: &mut dyn WriteTx, jobs: &[Job]) -> Result<()> {
        let mut seen: HashSet<&str, FastHash> = HashSet::default();
        let mut ahead = Vec::new();
        {
            let cache = self
                .inner
                .cache
                .as_ref()
                .map(|c| c.lock().unwrap_or_else(|e| e.into_inner()));
            for job in jobs {
                for p in &job.requests {
                    if !seen.insert(p.stream.as_str()) {
                        continue;
                    }
                    let cached = cache
                        .as_ref()
                        .is_some_and(|c| c.contains(p.stream.as_str()));
                    let fingerprint = job.current.fingerprints.get(&p.model).map_or("", |f| &**f);
                    ahead.push(Ahead {
                        stream: &p.stream,
                        cold: (!cached).then_some(fingerprint),
                    });
                }
            }
        }
        tx.read_ahead(&ahead)
    }

    /// The commands of one job, inside the write transaction: each sees the
    /// state its predecessors left, and their events are appended at the
    /// end, in one go. `appended` gets the streams whose states it changed.
    fn run_job(
        &self,
        tx: &mut dyn WriteTx,
        job: &Job,
        work: &mut HashMap<String, Work, FastHash>,
        appended: &mut Vec<String>,
        recorded_at: &str,
    ) -> Result<Vec<Answer>> {
        let decided = self.decide_job(tx, job, work, appended, recorded_at)?;
        let firsts = if decided.appends.is_empty() {
            Vec::new()
        } else {
            let firsts = tx.append(&decided.appends)?;
            // In this job's savepoint: a handler failure fails this job.
            let domain = &job.current.domain;
            if has_inline(domain) {
                let mut appended = Vec::new();
                for (a, &first) in decided.appends.iter().zip(&firsts) {
                    for (k, e) in a.events.iter().enumerate() {
                        appended.push(crate::store::RawEvent {
                            position: first + k as u64,
                            id: e.id.clone(),
                            stream: a.stream.clone(),
                            version: a.expected_version + k as u64 + 1,
                            event_type: e.event_type.clone(),
                            schema: e.schema,
                            data: e.data.clone(),
                            metadata: e.metadata.clone(),
                        });
                    }
                }
                self.run_inline(domain, tx, &appended)?;
            }
            firsts
        };
        Ok(decided.answers(&firsts))
    }

    /// What `run_job` decides before it appends: each command proposed on
    /// the state its predecessors left, and the events it makes. Nothing is
    /// written.
    fn decide_job(
        &self,
        tx: &mut dyn WriteTx,
        job: &Job,
        work: &mut HashMap<String, Work, FastHash>,
        appended: &mut Vec<String>,
        recorded_at: &str,
    ) -> Result<Decided> {
        let cur = &*job.current;
        let domain = &cur.domain;
        let at = |e: Error, i: usize| if job.many { at_request(e, i) } else { e };
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(job.requests.len());
        let mut appends: Vec<Append> = Vec::new();
        let mut in_job: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, p) in job.requests.iter().enumerate() {
            if let Some(cid) = &p.command_id {
                if let Some(&j) = in_job.get(&(p.stream.as_str(), cid.as_str())) {
                    outcomes.push(Outcome::Same(j));
                    continue;
                }
                if let Some(rec) = tx.command(&p.stream, cid)? {
                    outcomes.push(Outcome::Done(self.recorded(cur, tx, &p.stream, rec)?));
                    continue;
                }
            }
            if !work.contains_key(&p.stream) {
                let mut reader = Reader::Tx(&mut *tx);
                let (key, entry) = match self.take_cached(&p.stream) {
                    Some((key, e)) => (
                        key,
                        self.catch_up(cur, &mut reader, &p.model, &p.stream, e)?,
                    ),
                    None => (
                        p.stream.clone(),
                        self.load_cold(cur, &mut reader, &p.model, &p.stream)?,
                    ),
                };
                work.insert(
                    key,
                    Work {
                        entry,
                        dirty: false,
                    },
                );
            }
            let w = work.get_mut(&p.stream).expect("just loaded");
            if let Some(expected) = p.options.expected_version {
                if w.entry.version != expected {
                    let actual = w.entry.version;
                    return Err(at(Error::VersionConflict { expected, actual }, i));
                }
            }
            let events = domain
                .decide_in_place(&p.model, &mut w.entry.state, &p.command, p.options.now)
                .map_err(|e| at(e, i))?;
            if events.is_empty() {
                outcomes.push(Outcome::Done(Answer {
                    executed: Executed {
                        stream: p.stream.clone(),
                        version: w.entry.version,
                        position: 0,
                        events: Vec::new(),
                    },
                    data: Some(Vec::new()),
                }));
                continue;
            }
            let metadata = event_metadata(p, recorded_at);
            let mut stored = Vec::with_capacity(events.len());
            let mut new = Vec::with_capacity(events.len());
            // The events of a command share its metadata's text.
            let model = domain.model(&p.model).map_err(|e| at(e, i))?;
            for (k, ev) in events.into_iter().enumerate() {
                // Each event is stored at the version of its shape (§12).
                let schema = model
                    .event_index(&ev.name)
                    .map_or(1, |e| model.events[e].version);
                let id = new_id();
                let event_type = ev.name.to_string();
                let data = ev.data.to_json_string();
                w.entry.cost.add(data.len());
                new.push(NewEvent {
                    id: id.clone(),
                    event_type: event_type.clone(),
                    schema,
                    data,
                    metadata: metadata.as_str().to_string(),
                });
                stored.push(StoredEvent {
                    id,
                    stream: p.stream.clone(),
                    version: w.entry.version + k as u64 + 1,
                    position: 0,
                    event_type,
                    schema,
                    data: ev.data,
                    metadata: metadata.clone(),
                });
            }
            appends.push(Append {
                stream: p.stream.clone(),
                model: p.model.clone(),
                expected_version: w.entry.version,
                events: new,
                command_id: p.command_id.clone(),
            });
            w.entry.version += stored.len() as u64;
            w.dirty = true;
            appended.push(p.stream.clone());
            if let Some(cid) = &p.command_id {
                in_job.insert((p.stream.as_str(), cid.as_str()), i);
            }
            outcomes.push(Outcome::Appended {
                append: appends.len() - 1,
                executed: Executed {
                    stream: p.stream.clone(),
                    version: w.entry.version,
                    position: 0,
                    events: stored,
                },
            });
        }
        Ok(Decided { outcomes, appends })
    }

    fn prepare(
        &self,
        cur: &Current,
        model: &str,
        id: &str,
        command: &Json,
        options: &ExecuteOptions,
    ) -> Result<Prepared> {
        let domain = &cur.domain;
        let stream = self.stream_for(domain, model, id)?;
        let mut parsed = domain.command(model, command)?;
        let command_id = options.command_id.clone().or_else(|| parsed.id.clone());
        // The caller's metadata, as stored: the command's own, then the
        // options' over it. The model sees the string values as `meta`.
        let mut metadata = serde_json::Map::new();
        if let Some(Json::Object(m)) = command.get("metadata") {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(m) = &options.metadata {
            metadata.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Value::Map(meta) = &mut parsed.metadata {
                for (k, v) in m {
                    if let Json::String(s) = v {
                        meta.insert(k.as_str().into(), Value::str(s));
                    }
                }
            }
        }
        Ok(Prepared {
            model: model.to_string(),
            stream,
            command: parsed,
            command_id,
            options: options.clone(),
            metadata,
        })
    }
}

/// The commands of one caller: one `execute`, or one `execute_many`
/// (all of it or none).
pub(super) struct Job {
    requests: Vec<Prepared>,
    /// Errors name the command of the batch that failed.
    many: bool,
    /// What the engine ran when the job was prepared: the job runs under
    /// it, whatever the engine switched to since.
    current: Arc<Current>,
}

/// A state taken out of the cache for a group.
struct Work {
    entry: Entry,
    /// Events were appended to it in this group.
    dirty: bool,
}

/// A request checked and ready to run, owned: a group's leader may run it
/// on another thread than its caller's.
struct Prepared {
    model: String,
    stream: String,
    command: crate::Command,
    command_id: Option<String>,
    options: ExecuteOptions,
    metadata: serde_json::Map<String, Json>,
}

/// What a command's caller gets: its result, and the JSON text of each
/// event's data as it was stored, which `execute_json` writes as it is
/// instead of serialising the data again (`None`: serialise it).
#[derive(Clone)]
pub(super) struct Answer {
    pub(super) executed: Executed,
    pub(super) data: Option<Vec<String>>,
}

/// `recorded_at`, `command_id`, `correlation_id`, `causation_id`, then the
/// caller's keys. The correlation and causation ids default to those in the
/// caller's metadata, then to the command id (the first command of a
/// conversation is its own cause).
fn event_metadata(p: &Prepared, recorded_at: &str) -> Metadata {
    let caller = |k: &str| match p.metadata.get(k) {
        Some(Json::String(s)) => Some(s.as_str()),
        _ => None,
    };
    // A command without an id gets one, so that its events are tied
    // together; only the caller's ids are kept for idempotent retries.
    let generated;
    let command_id = match &p.command_id {
        Some(id) => id.as_str(),
        None => {
            generated = new_id();
            generated.as_str()
        }
    };
    let correlation = p
        .options
        .correlation_id
        .as_deref()
        .or_else(|| caller("correlation_id"))
        .unwrap_or(command_id);
    let causation = p
        .options
        .causation_id
        .as_deref()
        .or_else(|| caller("causation_id"))
        .unwrap_or(command_id);
    metadata::write(
        &[
            ("recorded_at", recorded_at),
            ("command_id", command_id),
            ("correlation_id", correlation),
            ("causation_id", causation),
        ],
        &p.metadata,
    )
}

/// A UUIDv7 as text (written straight into its buffer, not through `fmt`).
/// A v7 UUID from this thread's counter: `Uuid::now_v7` shares one
/// counter behind a mutex across the process, which costs a lock an id.
/// Ids stay ordered within a thread; positions, not ids, order the log.
fn new_id() -> String {
    use uuid::timestamp::context::{ContextV7, ThreadLocalContext};
    thread_local! {
        static CONTEXT: ContextV7 = const { ContextV7::new() };
    }
    let at = uuid::Timestamp::now(ThreadLocalContext::new(&CONTEXT));
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v7(at)
        .hyphenated()
        .encode_lower(&mut buf)
        .to_string()
}

/// Drops the states a failed job left behind: those it appended to hold
/// what it did not keep, and a failed accept leaves none at all.
fn forget_failed(work: &mut HashMap<String, Work, FastHash>, appended: &[String]) {
    work.retain(|s, w| !appended.contains(s) && !w.entry.state.is_null());
}

fn at_request(e: Error, index: usize) -> Error {
    let prefix = |m: String| format!("command {index}: {m}");
    match e {
        Error::Rejected { reason, message } => Error::Rejected {
            reason,
            message: prefix(message),
        },
        Error::InvalidCommand { path, message } => Error::InvalidCommand {
            path,
            message: prefix(message),
        },
        Error::UnknownCommand { message } => Error::UnknownCommand {
            message: prefix(message),
        },
        Error::UnknownModel { message } => Error::UnknownModel {
            message: prefix(message),
        },
        Error::EvaluationError { message } => Error::EvaluationError {
            message: prefix(message),
        },
        other => other,
    }
}
