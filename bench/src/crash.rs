//! The crash test, run long: writer processes are SIGKILLed mid-load, two
//! at a time, over and over (`--kills N`, default 2,000), on SQLite FULL.
//! Each writer runs four threads at once (so that commits can be grouped):
//! `execute_many` of 1 to 8 Counter adds over four streams, single
//! `execute`s, and Todos creates and toggles; a snapshot every 10 or 100
//! events (half the writers each), so that snapshots are written and read.
//! After each acknowledged result, a writer appends it as one JSON line to
//! its own file before going on.
//!
//! Every `--check-every K` kills (default 50) and at the end, checks:
//! `PRAGMA integrity_check` on a read-only connection; every acknowledged
//! event present, byte for byte; no batch torn (each event carries its
//! batch's id and size); versions contiguous per stream and equal to the
//! stream's version; positions unique and increasing; event ids unique;
//! every state, loaded through a fresh engine (snapshot and tail), equal to
//! its full replay. Exits non-zero on any violation.
//!
//! The short version in `make test` is `killed_writers_lose_no_acknowledged_event`
//! in core/tests/engine.rs; this is the same approach, longer and wider.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventfold::{Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Executed};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value as Json};

use crate::common::{self, fmt_int, Lcg, Scratch};

const THREADS: usize = 4;
const WRITERS_AT_ONCE: usize = 2;

/// The body of a writer process (`child writer URL ACKS`); it never ends
/// by itself but on a panic.
pub fn writer(url: &str, acks: &str) -> i32 {
    let pid = std::process::id() as u64;
    let options = EngineOptions {
        snapshot_every: if pid.is_multiple_of(2) { 10 } else { 100 },
        ..EngineOptions::default()
    };
    let e = Engine::open(url, common::domain(), options).expect("open");
    let acks = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(acks)
            .expect("acks file"),
    ));
    let threads: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let (e, acks) = (e.clone(), acks.clone());
            std::thread::spawn(move || write_loop(&e, &acks, pid * 16 + t))
        })
        .collect();
    for t in threads {
        t.join().expect("a writer thread panicked");
    }
    1
}

fn request(model: &str, id: String, command: Json, batch: &str, size: u64) -> ExecuteRequest {
    let mut metadata = serde_json::Map::new();
    metadata.insert("batch".into(), json!(batch));
    metadata.insert("size".into(), json!(size));
    ExecuteRequest {
        model: model.into(),
        id,
        command,
        options: ExecuteOptions {
            metadata: Some(metadata),
            ..ExecuteOptions::default()
        },
    }
}

fn write_loop(e: &Engine, acks: &Mutex<std::fs::File>, seed: u64) {
    let mut rng = Lcg(seed);
    // Todos this thread created and saw acknowledged, and whether done.
    let mut mine: Vec<(String, String, bool)> = Vec::new();
    loop {
        let batch = uuid::Uuid::now_v7().to_string();
        let roll = rng.below(10);
        let result: eventfold::Result<Vec<Executed>> = if roll < 5 {
            // A batch over the counters; the events of one batch carry
            // its size, so that a torn one shows.
            let size = 1 + rng.below(8);
            let requests: Vec<ExecuteRequest> = (0..size)
                .map(|i| {
                    request(
                        "Counter",
                        format!("crash{}", rng.below(4)),
                        json!({"type": "add", "data": {"who": format!("{batch}/{i}"), "by": i}}),
                        &batch,
                        size,
                    )
                })
                .collect();
            e.execute_many(&requests)
        } else {
            let r = if roll < 8 {
                request(
                    "Counter",
                    format!("crash{}", rng.below(4)),
                    json!({"type": "add", "data": {"who": batch}}),
                    &batch,
                    1,
                )
            } else if mine.is_empty() || rng.below(2) == 0 {
                let list = format!("list{}", rng.below(2));
                request(
                    "Todos",
                    list,
                    json!({"type": "create-new", "data": {"id": batch, "text": format!("task {batch}")}}),
                    &batch,
                    1,
                )
            } else {
                let i = rng.below(mine.len() as u64) as usize;
                mine[i].2 = !mine[i].2;
                request(
                    "Todos",
                    mine[i].0.clone(),
                    json!({"type": "change-completed", "data": {"id": mine[i].1, "completed": mine[i].2}}),
                    &batch,
                    1,
                )
            };
            let is_create = r.command["type"] == "create-new";
            let (list, id) = (r.id.clone(), batch.clone());
            let out = e
                .execute(&r.model, &r.id, &r.command, &r.options)
                .map(|x| vec![x]);
            if is_create && out.is_ok() {
                mine.push((list, id, false));
            }
            out
        };
        // A lost race (after the engine's retries) is not acknowledged:
        // nothing to check, and the writer goes on.
        if let Ok(done) = result {
            let line = format!("{}\n", serde_json::to_string(&done).expect("json"));
            acks.lock()
                .unwrap_or_else(|e| e.into_inner())
                .write_all(line.as_bytes())
                .expect("ack");
        }
    }
}

/// What the checks have seen so far.
#[derive(Default)]
struct Acked {
    /// Acknowledged events by id, as the writer was given them.
    events: HashMap<String, Json>,
    /// Ack files read in full (their writer is dead).
    read: HashSet<PathBuf>,
    torn_lines: usize,
}

impl Acked {
    fn read(&mut self, file: &Path) -> Result<(), String> {
        if !self.read.insert(file.to_path_buf()) {
            return Ok(());
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            return Ok(()); // the writer died before its first ack
        };
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let parsed = line
                .strip_suffix('\n')
                .and_then(|l| serde_json::from_str::<Json>(l).ok());
            let Some(batch) = parsed else {
                // Only the last line may be torn by the kill: it was
                // never acknowledged.
                if i + 1 == lines.len() {
                    self.torn_lines += 1;
                    continue;
                }
                return Err(format!("{}: line {} is not JSON", file.display(), i + 1));
            };
            for executed in batch.as_array().into_iter().flatten() {
                for ev in executed["events"].as_array().into_iter().flatten() {
                    let id = ev["id"].as_str().unwrap_or_default().to_string();
                    self.events.insert(id, ev.clone());
                }
            }
        }
        Ok(())
    }
}

/// Everything the module doc lists; `Err` names the first violation.
fn check(path: &Path, url: &str, acked: &Acked) -> Result<(usize, usize, usize), String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open read-only: {e}"))?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("integrity_check: {e}"))?;
    if ok != "ok" {
        return Err(format!("integrity_check says {ok}"));
    }
    let snapshots: i64 = conn
        .query_row("SELECT count(*) FROM eventfold_snapshots", [], |r| r.get(0))
        .map_err(|e| format!("snapshots: {e}"))?;
    drop(conn);

    let e = Engine::open(url, common::domain(), EngineOptions::default())
        .map_err(|e| format!("open: {e}"))?;
    let stored = e
        .read_all(None, None)
        .map_err(|e| format!("read_all: {e}"))?;
    let mut by_id: HashMap<&str, &eventfold::StoredEvent> = HashMap::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    let mut batches: HashMap<String, (u64, u64)> = HashMap::new();
    let mut last_position = 0;
    for ev in &stored {
        if ev.position <= last_position {
            return Err(format!("position {} after {last_position}", ev.position));
        }
        last_position = ev.position;
        if by_id.insert(&ev.id, ev).is_some() {
            return Err(format!("event id {} twice", ev.id));
        }
        let v = versions.entry(&ev.stream).or_insert(0);
        if ev.version != *v + 1 {
            return Err(format!("{}: version {} after {}", ev.stream, ev.version, v));
        }
        *v = ev.version;
        let meta = ev.metadata.to_map();
        let batch = meta.get("batch").and_then(Json::as_str);
        let size = meta.get("size").and_then(Json::as_u64);
        let (Some(batch), Some(size)) = (batch, size) else {
            return Err(format!("event {} has no batch", ev.id));
        };
        batches.entry(batch.to_string()).or_insert((0, size)).0 += 1;
    }
    for (batch, (got, size)) in &batches {
        if got != size {
            return Err(format!("batch {batch} is torn: {got} of {size} events"));
        }
    }
    let streams = e.streams(None).map_err(|e| format!("streams: {e}"))?;
    if streams.len() != versions.len() {
        return Err(format!(
            "{} streams listed, {} have events",
            streams.len(),
            versions.len()
        ));
    }
    for s in &streams {
        if versions.get(s.stream.as_str()) != Some(&s.version) {
            return Err(format!(
                "{} is at version {}, its events say {:?}",
                s.stream,
                s.version,
                versions.get(s.stream.as_str())
            ));
        }
    }
    for (id, ev) in &acked.events {
        let Some(got) = by_id.get(id.as_str()) else {
            return Err(format!("acknowledged event {id} is lost"));
        };
        let got = serde_json::to_value(got).map_err(|e| e.to_string())?;
        if got != *ev {
            return Err(format!("acknowledged event {id} differs: {got} vs {ev}"));
        }
    }
    for stream in versions.keys() {
        let (model, id) = stream.split_once('-').ok_or("a stream without a model")?;
        let events: Vec<eventfold::Event> = e
            .read_stream(stream, None, None)
            .map_err(|e| format!("read_stream: {e}"))?
            .iter()
            .map(|s| {
                e.domain().event(
                    model,
                    &json!({"type": s.event_type, "data": s.data.to_json()}),
                )
            })
            .collect::<eventfold::Result<_>>()
            .map_err(|e| format!("an event of {stream}: {e}"))?;
        let replayed = e
            .domain()
            .replay(model, events.iter(), None)
            .map_err(|e| format!("replay of {stream}: {e}"))?;
        let loaded = e
            .load(model, id)
            .map_err(|e| format!("load {stream}: {e}"))?;
        if loaded.state != replayed {
            return Err(format!("{stream}: the loaded state is not its replay"));
        }
    }
    let _ = e.close();
    Ok((stored.len(), versions.len(), snapshots as usize))
}

pub fn run(quick: bool, kills: Option<usize>, check_every: Option<usize>) -> bool {
    let kills = kills.unwrap_or(if quick { 40 } else { 2000 });
    let check_every = check_every.unwrap_or(50).max(1);
    let dir = Scratch::new("crash");
    let path = dir.path("crash.db");
    // FULL, the default: what a user gets.
    let url = common::sqlite_url(&path, None);
    Engine::open(&url, common::domain(), EngineOptions::default())
        .expect("open")
        .close()
        .expect("close");
    println!(
        "Crash test: {kills} SIGKILLs of writers ({WRITERS_AT_ONCE} at once, {THREADS} threads each), SQLite FULL, checked every {check_every} kills ({})",
        common::load()
    );
    let started = Instant::now();
    let mut acked = Acked::default();
    let mut rng = Lcg(7);
    let (mut killed, mut died, mut checks) = (0, 0, 0);
    let mut files = Vec::new();
    let mut last = (0, 0, 0);
    let mut since_check = 0;
    while killed < kills {
        let mut writers: Vec<_> = (0..WRITERS_AT_ONCE)
            .map(|w| {
                let acks = dir.path(&format!("acks-{killed}-{w}.jsonl"));
                files.push(acks.clone());
                common::child("writer", &[url.clone(), acks.display().to_string()])
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("spawn a writer")
            })
            .collect();
        // Long enough to be writing (start-up takes some), short enough
        // to be anywhere in it; the two die at different moments.
        for w in &mut writers {
            std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
            let _ = w.kill(); // SIGKILL
        }
        for mut w in writers {
            let status = w.wait().expect("wait");
            if status.signal() != Some(9) {
                died += 1;
                eprintln!("  a writer ended by itself: {status}");
            }
            killed += 1;
            since_check += 1;
        }
        if since_check >= check_every || killed >= kills {
            since_check = 0;
            checks += 1;
            let outcome = files
                .iter()
                .try_for_each(|f| acked.read(f))
                .and_then(|_| check(&path, &url, &acked));
            match outcome {
                Ok(x) => last = x,
                Err(violation) => {
                    println!("  VIOLATION after {killed} kills: {violation}");
                    if std::env::var_os("EVENTFOLD_BENCH_KEEP").is_some() {
                        println!("  the file is kept: {}", path.display());
                    }
                    return false;
                }
            }
            if !quick && checks % 10 == 0 {
                eprintln!(
                    "  {killed} kills, {} events, {:.0} s",
                    fmt_int(last.0 as f64),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let (events, streams, snapshots) = last;
    println!(
        "  {killed} kills in {:.0} s, {checks} checks: {} events stored over {streams} streams ({snapshots} with a snapshot), {} acknowledged",
        started.elapsed().as_secs_f64(),
        fmt_int(events as f64),
        fmt_int(acked.events.len() as f64)
    );
    println!(
        "  0 acknowledged events lost, 0 torn batches, versions contiguous, positions increasing, integrity ok, every state its replay; {} torn ack lines (never acknowledged); {died} writers ended by themselves",
        acked.torn_lines
    );
    died == 0
}

#[cfg(test)]
mod tests {
    //! The checks must see what they look for: a file where a batch was
    //! torn, or an acknowledged event went missing, fails them.

    use super::*;

    /// A file with one acknowledged batch of three adds, and its acks.
    fn setup(name: &str) -> (Scratch, PathBuf, String, Acked) {
        let dir = Scratch::new(name);
        let path = dir.path("c.db");
        let url = common::sqlite_url(&path, Some("normal"));
        let e = Engine::open(&url, common::domain(), EngineOptions::default()).unwrap();
        let requests: Vec<ExecuteRequest> = (0..3)
            .map(|i| {
                request(
                    "Counter",
                    format!("c{}", i % 2),
                    json!({"type": "add"}),
                    "b1",
                    3,
                )
            })
            .collect();
        let done = e.execute_many(&requests).unwrap();
        e.close().unwrap();
        let acks = dir.path("acks.jsonl");
        std::fs::write(
            &acks,
            format!("{}\n{{\"torn", serde_json::to_string(&done).unwrap()),
        )
        .unwrap();
        let mut acked = Acked::default();
        acked.read(&acks).unwrap();
        (dir, path, url, acked)
    }

    #[test]
    fn a_whole_file_passes() {
        let (_dir, path, url, acked) = setup("crash-ok");
        assert_eq!(acked.events.len(), 3);
        assert_eq!(acked.torn_lines, 1);
        assert_eq!(check(&path, &url, &acked).unwrap().0, 3);
    }

    #[test]
    fn a_torn_batch_fails() {
        let (_dir, path, url, acked) = setup("crash-torn");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "DELETE FROM eventfold_events WHERE position = (SELECT max(position) FROM eventfold_events);
             UPDATE eventfold_streams SET version = version - 1 WHERE stream = 'Counter-c0';",
        )
        .unwrap();
        drop(c);
        let err = check(&path, &url, &acked).unwrap_err();
        assert!(err.contains("torn"), "{err}");
    }

    #[test]
    fn a_lost_acknowledged_event_fails() {
        let (_dir, path, url, mut acked) = setup("crash-lost");
        let mut ghost = acked.events.values().next().unwrap().clone();
        ghost["id"] = json!("0190-not-stored");
        acked.events.insert("0190-not-stored".into(), ghost);
        let err = check(&path, &url, &acked).unwrap_err();
        assert!(err.contains("lost"), "{err}");
    }
}
