//! `readside`: the figures of issue 13 (the read side), on SQLite.
//!
//! - **inline cost**: the same Todos commands with the inline `todo-board`
//!   projection and without it (the model's text up to its first `table`),
//!   in alternating rounds of the same run. Budget: at most 1.3x.
//! - **async throughput**: a store of N events (N = 1,000,000; `--quick`
//!   100,000) written without projections, then opened with `todo-board`
//!   as an async projection; the time until `wait_for` the head. Budget: at
//!   least 200,000 events/s.
//! - **rebuild**: `rebuild` of that projection over the same N events; its
//!   time, and the pause at the swap (budget: under 50 ms).
//!
//! `EVENTFOLD_BENCH_READSIDE_STORE=path` keeps the filled store at `path`
//! (with its size in the name) and copies it for later runs.

use std::time::{Duration, Instant};

use eventfold::{Domain, Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Source};
use serde_json::json;

use crate::common::{cpu, fmt_int, sqlite_url, Lcg, Scratch, TODOS};

const INLINE_BUDGET: f64 = 1.3;
const ASYNC_BUDGET: f64 = 200_000.0;
const PAUSE_BUDGET_MS: f64 = 50.0;

fn with_projection(mode: &str) -> Domain {
    let text = TODOS.replace(
        "projection todo-board inline",
        &format!("projection todo-board {mode}"),
    );
    Domain::compile(&[Source::new("todos.model", text)]).expect("todos compile")
}

fn without_projection() -> Domain {
    let plain = crate::common::todos_without_read_side();
    Domain::compile(&[Source::new("todos.model", plain)]).expect("todos compile")
}

/// The `i`-th command of the workload over `lists` lists: creates, then
/// completions and text changes of todos already created.
fn command(i: usize, lists: usize, rng: &mut Lcg) -> (String, serde_json::Value) {
    let list = format!("l{}", i % lists);
    let made = i / lists;
    let c = if made < 4 || rng.below(10) < 5 {
        json!({"type": "create-new", "data": {"id": format!("t{made}"), "text": "buy milk"}})
    } else if rng.below(2) == 0 {
        let t = rng.below(made as u64 / 2);
        json!({"type": "change-completed", "data": {"id": format!("t{t}"), "completed": rng.below(2) == 0}})
    } else {
        let t = rng.below(made as u64 / 2);
        json!({"type": "change-text", "data": {"id": format!("t{t}"), "new_text": format!("text {i}")}})
    };
    (list, c)
}

/// Seconds to run `n` commands one by one on a fresh store.
fn run_commands(domain: Domain, n: usize, dir: &Scratch, name: &str) -> f64 {
    let url = sqlite_url(&dir.path(name), std::env::var("EF_SYNC").ok().as_deref());
    let engine = Engine::open(&url, domain, EngineOptions::default()).expect("open");
    let mut rng = Lcg(11);
    let start = Instant::now();
    for i in 0..n {
        let (list, c) = command(i, 200, &mut rng);
        let _ = engine.execute("Todos", &list, &c, &ExecuteOptions::default());
    }
    let secs = start.elapsed().as_secs_f64();
    engine.close().expect("close");
    secs
}

fn inline_cost(quick: bool) -> bool {
    let n = if quick { 2_000 } else { 20_000 };
    let dir = Scratch::new("readside-inline");
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..3 {
        without.push(run_commands(
            without_projection(),
            n,
            &dir,
            &format!("plain{round}.db"),
        ));
        with.push(run_commands(
            with_projection("inline"),
            n,
            &dir,
            &format!("inline{round}.db"),
        ));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (w, wo) = (median(&mut with), median(&mut without));
    let ratio = w / wo;
    let sync = std::env::var("EF_SYNC").unwrap_or_else(|_| "full, the default".into());
    println!("readside inline: {n} commands on SQLite (synchronous={sync}), median of 3 rounds");
    println!(
        "  without the projection: {} commands/s; with inline todo-board: {} commands/s; {ratio:.2}x (budget {INLINE_BUDGET}x)",
        fmt_int(n as f64 / wo),
        fmt_int(n as f64 / w)
    );
    ratio <= INLINE_BUDGET
}

/// A store of `n` events or a few more, written in batches without
/// projections; how many.
fn fill(url: &str, n: usize) -> u64 {
    let engine = Engine::open(url, without_projection(), EngineOptions::default()).expect("open");
    let mut rng = Lcg(5);
    let (mut i, mut written) = (0, 0u64);
    while written < n as u64 {
        let batch: Vec<ExecuteRequest> = (i..i + 1000)
            .map(|k| {
                let (list, c) = command(k, 10_000, &mut rng);
                ExecuteRequest {
                    model: "Todos".into(),
                    id: list,
                    command: c,
                    options: ExecuteOptions::default(),
                }
            })
            .collect();
        i += 1000;
        // A rejected command (its todo was never made) fails its batch;
        // the batch is then run one by one.
        match engine.execute_many(&batch) {
            Ok(done) => written += done.iter().map(|d| d.events.len() as u64).sum::<u64>(),
            Err(_) => {
                for r in &batch {
                    if let Ok(d) = engine.execute(&r.model, &r.id, &r.command, &r.options) {
                        written += d.events.len() as u64;
                    }
                }
            }
        }
    }
    engine.close().expect("close");
    written
}

/// [`fill`] once into `kept` (a store file kept between runs, whose name
/// says its size), then a copy of it at `path` for this run: the async and
/// rebuild figures can then be taken again without the fill's minutes.
fn kept_fill(kept: &std::path::Path, path: &std::path::Path, url: &str, n: usize) -> u64 {
    let kept = kept.with_extension(format!("{n}.db"));
    let count = kept.with_extension("count");
    if let Ok(text) = std::fs::read_to_string(&count) {
        if let (Ok(events), Ok(_)) = (text.trim().parse(), std::fs::copy(&kept, path)) {
            return events;
        }
    }
    let events = fill(url, n);
    std::fs::copy(path, &kept).expect("keep the filled store");
    std::fs::write(&count, events.to_string()).expect("keep its count");
    events
}

/// CPU seconds used so far by this process's threads named `name` (as
/// the kernel keeps it: its first 15 bytes), from /proc.
fn thread_cpu(name: &str) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut total = 0.0;
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !name.starts_with(&stat[open + 1..close]) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of stat, 12 and 13 here.
        let f = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        total += (f(11) + f(12)) / ticks;
    }
    total
}

fn async_and_rebuild(quick: bool) -> bool {
    let n = if quick { 100_000 } else { 1_000_000 };
    let dir = Scratch::new("readside-async");
    let url = sqlite_url(&dir.path("big.db"), Some("normal"));
    let fill_start = Instant::now();
    let events = match std::env::var_os("EVENTFOLD_BENCH_READSIDE_STORE") {
        Some(kept) => kept_fill(std::path::Path::new(&kept), &dir.path("big.db"), &url, n),
        None => fill(&url, n),
    };
    println!(
        "readside async: {} events written in {:.1} s",
        fmt_int(events as f64),
        fill_start.elapsed().as_secs_f64()
    );
    let (c0, start) = (cpu(), Instant::now());
    let engine =
        Engine::open(&url, with_projection("async"), EngineOptions::default()).expect("open");
    let head = engine
        .read_all(None, None)
        .map(|e| e.last().map_or(0, |e| e.position))
        .unwrap_or(0);
    let reached = engine
        .wait_for(head, None, Duration::from_secs(3600))
        .expect("wait_for");
    let (secs, cpu_secs) = (start.elapsed().as_secs_f64(), cpu() - c0);
    let runner = thread_cpu("eventfold-projections");
    assert!(reached, "the projection reached the head");
    let rate = events as f64 / secs;
    println!(
        "  todo-board async from position 0: {} events/s wall ({secs:.2} s; {cpu_secs:.2} s CPU in all), {} events per CPU second of the runner thread (budget {} events/s)",
        fmt_int(rate),
        fmt_int(events as f64 / runner),
        fmt_int(ASYNC_BUDGET)
    );
    let done = engine.rebuild("todo-board").expect("rebuild");
    println!(
        "  rebuild of todo-board over {} events: {:.2} s, pause at the swap {:.2} ms (budget {PAUSE_BUDGET_MS} ms)",
        fmt_int(done.events as f64),
        done.millis / 1000.0,
        done.pause_millis
    );
    engine.close().expect("close");
    rate >= ASYNC_BUDGET && done.pause_millis < PAUSE_BUDGET_MS
}

pub fn run(quick: bool) -> bool {
    let a = std::env::var_os("EVENTFOLD_BENCH_ASYNC_ONLY").is_some() || inline_cost(quick);
    let b = async_and_rebuild(quick);
    a && b
}
