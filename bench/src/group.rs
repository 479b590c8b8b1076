//! Group commit on SQLite FULL: 1, 4, 16 and 64 threads of one process,
//! each `add`ing to its own stream, then all to one stream. Each case runs
//! in a child process for a fixed time, twice: once plain (its rate) and
//! once under `strace -f -c` (its fsync and fdatasync calls per command;
//! the engine has no count of its commits). Budget: 16 threads at 10x the
//! rate of one, on their own streams (one thread runs first and last, and
//! the mean of the two is the baseline).

use std::process::Stdio;

use crate::common::{self, fmt_int, Scratch};

const BUDGET: f64 = 10.0;

/// (commands, seconds, failed) as the child printed them.
fn parse(out: &[u8]) -> Option<(f64, f64, u64)> {
    let text = String::from_utf8_lossy(out);
    let line = text.lines().find(|l| l.starts_with("done "))?;
    let f: Vec<&str> = line.split_whitespace().collect();
    Some((
        f.get(1)?.parse().ok()?,
        f.get(2)?.parse().ok()?,
        f.get(3)?.parse().ok()?,
    ))
}

/// One case: (commands/s, failed, fsyncs per command if counted).
fn one(
    dir: &Scratch,
    threads: usize,
    same: bool,
    secs: f64,
    strace: bool,
) -> (f64, u64, Option<f64>) {
    let mode = if same { "same" } else { "own" };
    let run = |traced: bool| {
        let db = dir.path(&format!("group-{threads}-{mode}-{traced}.db"));
        let mut cmd = common::child(
            "group",
            &[
                common::sqlite_url(&db, None),
                threads.to_string(),
                secs.to_string(),
                mode.into(),
            ],
        );
        let summary = dir.path(&format!("strace-{threads}-{mode}.txt"));
        if traced {
            cmd = common::under_strace(&cmd, &summary);
        }
        let out = cmd.stdout(Stdio::piped()).output().expect("run a child");
        let parsed = parse(&out.stdout).unwrap_or_else(|| {
            panic!("the group child failed: {}", out.status);
        });
        (
            parsed,
            traced.then(|| common::fsyncs_in(&summary)).flatten(),
        )
    };
    let ((n, s, failed), _) = run(false);
    let per_command = if strace {
        let ((tn, _, _), fsyncs) = run(true);
        fsyncs.map(|f| f as f64 / tn.max(1.0))
    } else {
        None
    };
    (n / s, failed, per_command)
}

pub fn run(quick: bool) -> bool {
    let dir = Scratch::new("group");
    let secs = if quick { 1.0 } else { 3.0 };
    let strace = common::have_strace();
    println!(
        "Group commit: SQLite FULL, threads of one process, {secs} s a case{} ({})",
        if strace {
            ""
        } else {
            " (no strace here: fsyncs not counted)"
        },
        common::load()
    );
    println!(
        "{:<12} | {:>7} | {:>10} | {:>8} | {:>8} | {:>12}",
        "streams", "threads", "cmd/s", "vs 1", "failures", "fsyncs/cmd"
    );
    let mut ok = true;
    for same in [false, true] {
        // One thread runs first and again last: the disk's fsync time
        // drifts with the other programs' writes, and the mean of the two
        // is the baseline of the ratios.
        let rows: Vec<(String, f64, u64, Option<f64>)> = [1, 4, 16, 64, 1]
            .iter()
            .enumerate()
            .map(|(i, &threads)| {
                let again = i == 4;
                let (rate, failed, fsyncs) = one(&dir, threads, same, secs, strace && !again);
                let label = if again {
                    "1 again".to_string()
                } else {
                    threads.to_string()
                };
                (label, rate, failed, fsyncs)
            })
            .collect();
        let base = (rows[0].1 + rows[4].1) / 2.0;
        for (threads, rate, failed, fsyncs) in &rows {
            let speedup = rate / base;
            if !same && threads == "16" {
                ok &= speedup >= BUDGET;
            }
            println!(
                "{:<12} | {threads:>7} | {:>10} | {speedup:>7.2}x | {failed:>8} | {:>12}",
                if same { "one for all" } else { "one each" },
                fmt_int(*rate),
                fsyncs.map_or("-".into(), |f| format!("{f:.2}"))
            );
        }
    }
    println!(
        "  16 threads on their own streams at {BUDGET}x one thread: {}",
        if ok { "within" } else { "UNDER" }
    );
    ok
}
