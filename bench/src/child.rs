//! The hidden `child` subcommand: this binary re-executed to play one part
//! in a bench that needs other processes (`contention`, `group`, `crash`,
//! `postgres`).
//! `eventfold-bench child ROLE ARGS...`.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventfold::{Engine, EngineOptions, ExecuteOptions};
use serde_json::json;

use crate::common;

pub fn run(args: &[String]) -> i32 {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(0) {
        "adder" => adder(arg(1), arg(2), arg(3).parse().expect("count"), arg(4)),
        "group" => group(
            arg(1),
            arg(2).parse().expect("threads"),
            arg(3).parse().expect("seconds"),
            arg(4) == "same",
        ),
        "writer" => crate::crash::writer(arg(1), arg(2)),
        "pg-engine" | "pg-raw" => crate::postgres::child(arg(0), &args[1..]),
        other => {
            eprintln!("unknown child role {other:?}");
            2
        }
    }
}

/// `adder URL NAME COUNT ACKS`: opens the engine, says `ready`, waits for
/// a line on stdin, then runs COUNT `add`s on `Counter-hot` without
/// `expected_version`, writing each acknowledged version to ACKS. Prints
/// `done OK FAILED`; the first failures go to stderr.
fn adder(url: &str, name: &str, count: u64, acks: &str) -> i32 {
    let e = Engine::open(url, common::domain(), EngineOptions::default()).expect("open");
    let mut out = std::fs::File::create(acks).expect("acks file");
    println!("ready");
    let mut go = String::new();
    let _ = std::io::stdin().lock().read_line(&mut go);
    let command = json!({"type": "add", "data": {"who": name}});
    let o = ExecuteOptions::default();
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..count {
        match e.execute("Counter", "hot", &command, &o) {
            Ok(r) => {
                ok += 1;
                writeln!(out, "{}", r.version).expect("ack");
            }
            Err(err) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("  {name}: {err}");
                }
            }
        }
    }
    println!("done {ok} {failed}");
    let _ = e.close();
    0
}

/// `group URL THREADS SECONDS own|same`: THREADS threads `add` for SECONDS
/// (each on its own stream, or all on one), then prints
/// `done COMMANDS SECONDS FAILED`.
fn group(url: &str, threads: usize, seconds: f64, same: bool) -> i32 {
    let e = Engine::open(
        url,
        common::domain_without_read_side(),
        EngineOptions::default(),
    )
    .expect("open");
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (e, done, failed) = (e.clone(), done.clone(), failed.clone());
            std::thread::spawn(move || {
                let id = if same {
                    "g".to_string()
                } else {
                    format!("g{t}")
                };
                let command = json!({"type": "add", "data": {"who": format!("t{t}")}});
                let o = ExecuteOptions::default();
                while Instant::now() < deadline {
                    match e.execute("Counter", &id, &command, &o) {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a writer thread");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "done {} {secs} {}",
        done.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );
    let _ = e.close();
    0
}
