//! Contention: 2, 4, 8 and 16 processes `add` to one SQLite stream at once,
//! without `expected_version` (the engine retries a lost race on fresh
//! state), 200 commands each, on synchronous FULL (the default) and
//! NORMAL. Reports throughput, failures (budget: 0), and checks that the
//! stream's final count is the number of acknowledged commands and that no
//! version was acknowledged twice (the run fails if not).

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Instant;

use eventfold::{Engine, EngineOptions};

use crate::common::{self, fmt_int, Scratch};

pub struct Outcome {
    pub correct: bool,
    pub within: bool,
}

/// One run of `procs` processes: (commands/s, acknowledged, failed,
/// whether the final state counts every acknowledged command).
fn one(dir: &Scratch, sync: Option<&str>, procs: usize, each: u64) -> (f64, u64, u64, bool) {
    let tag = format!("{}-{procs}", sync.unwrap_or("full"));
    let db = dir.path(&format!("contention-{tag}.db"));
    let url = common::sqlite_url(&db, sync);
    // The file and its schema first, so that what is timed is the race.
    Engine::open(&url, common::domain(), EngineOptions::default())
        .expect("open")
        .close()
        .expect("close");
    let mut children: Vec<_> = (0..procs)
        .map(|p| {
            let acks = dir.path(&format!("acks-{tag}-{p}.txt"));
            let child = common::child(
                "adder",
                &[
                    url.clone(),
                    format!("p{p}"),
                    each.to_string(),
                    acks.display().to_string(),
                ],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn a child");
            (acks, child)
        })
        .collect();
    let mut outs: Vec<_> = children
        .iter_mut()
        .map(|(_, c)| BufReader::new(c.stdout.take().expect("stdout")))
        .collect();
    for out in &mut outs {
        let mut line = String::new();
        out.read_line(&mut line).expect("ready");
        assert_eq!(line.trim(), "ready", "a child did not start");
    }
    let t = Instant::now();
    for (_, c) in &mut children {
        c.stdin
            .take()
            .expect("stdin")
            .write_all(b"go\n")
            .expect("go");
    }
    let (mut ok, mut failed) = (0u64, 0u64);
    let mut versions = Vec::new();
    for ((acks, mut c), mut out) in children.into_iter().zip(outs) {
        let mut line = String::new();
        out.read_line(&mut line).expect("done");
        let status = c.wait().expect("wait");
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        if !status.success() || f.len() != 2 {
            eprintln!("  a child failed: {status}, said {line:?}");
            failed += each;
            continue;
        }
        ok += f[0];
        failed += f[1];
        for l in std::fs::read_to_string(&acks).expect("acks").lines() {
            versions.push(l.parse::<u64>().expect("a version"));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let e = Engine::open(&url, common::domain(), EngineOptions::default()).expect("open");
    let loaded = e.load("Counter", "hot").expect("load");
    let count = loaded
        .state
        .as_record()
        .and_then(|r| r.get("count"))
        .map(|c| c.to_json())
        .and_then(|c| c.as_u64())
        .unwrap_or(0);
    versions.sort_unstable();
    let unique = versions.windows(2).all(|w| w[0] < w[1]);
    let correct =
        count == ok && loaded.version == ok && unique && versions == (1..=ok).collect::<Vec<_>>();
    if !correct {
        eprintln!(
            "  WRONG: {ok} acknowledged, count {count}, version {}, versions unique: {unique}",
            loaded.version
        );
    }
    let _ = e.close();
    (ok as f64 / secs, ok, failed, correct)
}

pub fn run(quick: bool) -> Outcome {
    let dir = Scratch::new("contention");
    let each = if quick { 50 } else { 200 };
    println!(
        "Contention: N processes, one SQLite stream, no expected_version, {each} adds each ({})",
        common::load()
    );
    println!(
        "{:<7} | {:>5} | {:>10} | {:>7} | {:>8} | {:>7}",
        "sync", "procs", "cmd/s", "acked", "failures", "state"
    );
    let mut out = Outcome {
        correct: true,
        within: true,
    };
    for sync in [None, Some("normal")] {
        for procs in [2, 4, 8, 16] {
            let (rate, ok, failed, correct) = one(&dir, sync, procs, each);
            out.correct &= correct;
            out.within &= failed == 0;
            println!(
                "{:<7} | {procs:>5} | {:>10} | {:>7} | {:>8} | {:>7}",
                sync.unwrap_or("full").to_uppercase(),
                fmt_int(rate),
                ok,
                failed,
                if correct { "ok" } else { "WRONG" }
            );
        }
    }
    println!(
        "  failures budget 0: {}; final state counts every acknowledged command: {}",
        if out.within { "within" } else { "OVER" },
        if out.correct { "yes" } else { "NO" }
    );
    out
}
