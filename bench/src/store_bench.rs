//! The engine over SQLite: appends (one command per transaction with FULL
//! and NORMAL sync, and `execute_many` in batches of 100), replay of a
//! 1,000,000-event stream folded into state, and execute on a hot (cached)
//! and a cold stream.
//!
//! Files go to a fresh folder under the system's temp folder (set
//! `EVENTFOLD_BENCH_DIR` to measure another disk), removed at the end.

use std::path::{Path, PathBuf};
use std::time::Instant;

use eventfold::{Domain, Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Source};
use serde_json::{json, Value as Json};

const MODEL: &str = include_str!("../../examples/todos/todos.model");

fn domain() -> Domain {
    Domain::compile(&[Source::new("todos.model", MODEL)]).expect("the todo model compiles")
}

/// CPU seconds this process has used (user + system), from /proc; the
/// machine may be shared, and wall time then counts other programs' turns.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'.
    (ticks(11) + ticks(12)) / 100.0
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn url(dir: &Path, name: &str, sync: &str) -> String {
    format!("sqlite:{}?synchronous={sync}", dir.join(name).display())
}

/// The Todos mix as JSON commands: 30% create, 30% change-completed, 10%
/// change-text, 30% delete, over the todos still there: the list stays
/// near its size (the mix of `core_bench`), so a long stream is a long
/// history of a list of ordinary size, not one ever-growing list. Every
/// command emits one event.
struct Mix {
    rng: u64,
    /// The todos still there, and whether each is done.
    live: Vec<(String, bool)>,
    next: u64,
}

impl Mix {
    fn new(seed: u64) -> Mix {
        Mix {
            rng: seed,
            live: Vec::new(),
            next: 0,
        }
    }

    fn roll(&mut self) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.rng >> 33
    }

    fn command(&mut self) -> Json {
        let op = self.roll() % 10;
        if op < 3 || self.live.is_empty() {
            let id = format!("t{}", self.next);
            self.next += 1;
            self.live.push((id.clone(), false));
            return json!({"type": "create-new", "data": {"id": id, "text": format!("task number {}", self.next)}});
        }
        let i = (self.roll() as usize) % self.live.len();
        let id = self.live[i].0.clone();
        if op < 6 {
            // Always a change, so that every command emits one event.
            let completed = !self.live[i].1;
            self.live[i].1 = completed;
            json!({"type": "change-completed", "data": {"id": id, "completed": completed}})
        } else if op < 7 {
            json!({"type": "change-text", "data": {"id": id, "new_text": format!("changed {}", self.roll())}})
        } else {
            self.live.swap_remove(i);
            json!({"type": "delete", "data": {"id": id}})
        }
    }
}

fn options(snapshot_every: u64, cache_capacity: usize) -> EngineOptions {
    EngineOptions {
        snapshot_every,
        cache_capacity,
        ..EngineOptions::default()
    }
}

fn create(i: u64) -> Json {
    json!({"type": "create-new", "data": {"id": format!("t{i}"), "text": format!("task number {i}")}})
}

/// One command per transaction: bounded by the disk's fsync under FULL.
fn single_appends(dir: &Path, sync: &str, n: u64) -> f64 {
    let e = Engine::open(
        &url(dir, &format!("single-{sync}.db"), sync),
        domain(),
        EngineOptions::default(),
    )
    .expect("open");
    let o = ExecuteOptions::default();
    let t = Instant::now();
    for i in 0..n {
        e.execute("Todos", &format!("list{}", i % 10), &create(i), &o)
            .expect("execute");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// `execute_many` in batches of 100 commands of the Todos mix, over
/// `spread` lists: 1, each batch to one list (a bulk import), or 100, each
/// command to another list (a batch of unrelated work, which touches a page
/// of the stream index per list). Default options: a snapshot every 100
/// events of a list, written in the batch's transaction.
fn batched_appends(dir: &Path, sync: &str, batches: u64, spread: u64) -> (f64, f64) {
    let e = Engine::open(
        &url(dir, &format!("batched-{sync}-{spread}.db"), sync),
        domain(),
        EngineOptions::default(),
    )
    .expect("open");
    // The requests are made before the clock starts: what is timed is the
    // engine's work.
    let mut mixes: Vec<Mix> = (0..100).map(|k| Mix::new(k + 1)).collect();
    let all: Vec<Vec<ExecuteRequest>> = (0..batches)
        .map(|b| {
            (0..100)
                .map(|k| {
                    let list = if spread == 1 { b % 100 } else { k };
                    ExecuteRequest {
                        model: "Todos".into(),
                        id: format!("list{list}"),
                        command: mixes[list as usize].command(),
                        options: ExecuteOptions::default(),
                    }
                })
                .collect()
        })
        .collect();
    let mut events = 0;
    let t = Instant::now();
    let cpu = cpu_seconds();
    for requests in &all {
        events += e
            .execute_many(requests)
            .expect("batch")
            .iter()
            .map(|r| r.events.len())
            .sum::<usize>();
    }
    let cpu = cpu_seconds() - cpu;
    (
        events as f64 / t.elapsed().as_secs_f64(),
        events as f64 / cpu.max(0.01),
    )
}

/// Writes `n` events of the Todos mix to one stream, then loads it cold
/// (no cache, no snapshot): read, decoded and folded.
fn replay(dir: &Path, n: u64) -> (f64, f64, usize) {
    let url = url(dir, "replay.db", "normal");
    let e = Engine::open(&url, domain(), options(0, 10)).expect("open");
    let mut mix = Mix::new(42);
    let mut written = 0;
    while written < n {
        let requests: Vec<ExecuteRequest> = (0..1000.min(n - written).max(1))
            .map(|_| ExecuteRequest {
                model: "Todos".into(),
                id: "big".into(),
                command: mix.command(),
                options: ExecuteOptions::default(),
            })
            .collect();
        // A change to what a todo already is emits nothing: count events.
        written += e
            .execute_many(&requests)
            .expect("batch")
            .iter()
            .map(|r| r.events.len() as u64)
            .sum::<u64>();
    }
    e.close().expect("close");
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut size = 0;
    let rounds: usize = std::env::var("EVENTFOLD_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for _ in 0..rounds {
        let cold = Engine::open(&url, domain(), options(0, 10)).expect("open");
        let t = Instant::now();
        let cpu = cpu_seconds();
        let loaded = cold.load("Todos", "big").expect("load");
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - cpu);
        assert_eq!(loaded.version, n);
        size = match loaded.state.as_record().and_then(|r| r.get("todos")) {
            Some(eventfold::Value::Map(m)) => m.len(),
            _ => 0,
        };
        cold.close().expect("close");
    }
    (n as f64 / best, n as f64 / best_cpu.max(0.01), size)
}

/// Execute on one stream whose state is cached (SQLite, then the memory
/// store: the engine's own cost), and on streams that are not (a cache of
/// one, 200 lists of 150 todos in turn: each command loads its list's
/// snapshot and the events after it).
fn hot_and_cold(dir: &Path, n: u64) -> (f64, f64, f64) {
    let url = url(dir, "hotcold.db", "normal");
    let setup = Engine::open(&url, domain(), options(100, 1000)).expect("open");
    for b in 0..150 {
        let requests: Vec<ExecuteRequest> = (0..200)
            .map(|k| ExecuteRequest {
                model: "Todos".into(),
                id: format!("cold{k}"),
                command: create(b),
                options: ExecuteOptions::default(),
            })
            .collect();
        setup.execute_many(&requests).expect("setup");
    }
    setup.close().expect("close");
    let o = ExecuteOptions::default();
    let hot_us = hot(&url, n);
    let memory_us = hot("memory:", n);
    let cold = Engine::open(&url, domain(), options(100, 1)).expect("open");
    let t = Instant::now();
    for i in 0..n {
        cold.execute("Todos", &format!("cold{}", i % 200), &create(1000 + i), &o)
            .expect("cold");
    }
    let cold_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    (hot_us, cold_us, memory_us)
}

/// µs per command of the Todos mix on one cached stream.
fn hot(url: &str, n: u64) -> f64 {
    let o = ExecuteOptions::default();
    let engine = Engine::open(url, domain(), options(100, 1000)).expect("open");
    let mut mix = Mix::new(7);
    let commands: Vec<Json> = (0..=n).map(|_| mix.command()).collect();
    engine
        .execute("Todos", "hot", &commands[0], &o)
        .expect("warm");
    let t = Instant::now();
    for c in &commands[1..] {
        engine.execute("Todos", "hot", c, &o).expect("hot");
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    engine.close().expect("close");
    us
}

pub fn run(quick: bool, only: Option<&str>) {
    let on = |name: &str| only.is_none_or(|o| o == name);
    let base = std::env::var_os("EVENTFOLD_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = Dir(base.join(format!("eventfold-bench-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("bench folder");
    let scale = if quick { 10 } else { 1 };
    println!("SQLite store ({}), Todos model", dir.0.display());
    if on("single") {
        let full = single_appends(&dir.0, "full", 500 / scale);
        println!("  one command per transaction, synchronous=FULL:   {full:>10.0} events/s");
        let normal = single_appends(&dir.0, "normal", 5000 / scale);
        println!("  one command per transaction, synchronous=NORMAL: {normal:>10.0} events/s");
    }
    if on("batched") {
        // `EVENTFOLD_BENCH_CASE=normal-1` runs one case (for a profiler).
        let case = std::env::var("EVENTFOLD_BENCH_CASE").ok();
        for sync in ["full", "normal"] {
            for spread in [1, 100] {
                if case
                    .as_ref()
                    .is_some_and(|c| *c != format!("{sync}-{spread}"))
                {
                    continue;
                }
                let (rate, per_cpu) = batched_appends(&dir.0, sync, 1000 / scale, spread);
                println!(
                    "  execute_many, batches of 100, {:<6}, {:<10} {rate:>10.0} events/s   ({per_cpu:.0} per CPU-second)",
                    sync.to_uppercase(),
                    if spread == 1 {
                        "one list:"
                    } else {
                        "100 lists:"
                    }
                );
            }
        }
    }
    if on("replay") {
        let n = 1_000_000 / scale;
        let (replay, per_cpu, todos) = replay(&dir.0, n);
        println!("  replay of a {n}-event stream, folded:       {replay:>10.0} events/s   ({per_cpu:.0} per CPU-second; budget 1,000,000; {todos} todos at the end)");
    }
    if on("execute") {
        let (hot, cold, memory) = hot_and_cold(&dir.0, 2000 / scale);
        println!("  execute on a hot (cached) stream, NORMAL:        {hot:>10.1} µs/command");
        println!("  execute on a cold stream (snapshot + tail):      {cold:>10.1} µs/command");
        println!("  execute on a hot stream, memory store:           {memory:>10.1} µs/command");
    }
}
