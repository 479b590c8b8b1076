//! W1: 2.5N commands over N streams of one todo each, in memory; each
//! command a load, a decide and an append. First a create on every stream,
//! then 1.5N text changes and completions on streams picked at random.
//!
//! The baseline is the same aggregate by hand (`native.rs`) over a
//! hand-written store in the manner of cqrs-es's `MemStore`: a map of
//! streams, each a `Vec` of envelopes (sequence, payload, metadata); a
//! command clones its stream's events, folds them into a fresh state,
//! proposes, and appends behind a sequence check. cqrs-es did 895k
//! commands/s on this machine. Budget: the engine at 900k commands/s.

use std::collections::HashMap;
use std::sync::RwLock;

use eventfold::{Engine, EngineOptions, ExecuteOptions};
use serde_json::{json, Value as Json};

use crate::common::{self, fmt_int, Lcg};
use crate::native;

/// What cqrs-es did on this machine (its `MemStore`, the same workload).
const CQRS_ES: f64 = 895_000.0;
const BUDGET: f64 = 900_000.0;

/// One stored event, as cqrs-es's `EventEnvelope`.
#[derive(Debug, Clone)]
struct Envelope {
    #[allow(dead_code)] // kept, as a store keeps it
    aggregate_id: String,
    #[allow(dead_code)]
    sequence: usize,
    payload: native::Event,
    #[allow(dead_code)]
    metadata: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct MemStore {
    streams: RwLock<HashMap<String, Vec<Envelope>>>,
}

impl MemStore {
    fn execute(&self, id: &str, command: &native::Command) -> Vec<Envelope> {
        let history = self
            .streams
            .read()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default();
        let mut state = native::State::default();
        for e in &history {
            native::accept(&mut state, &e.payload);
        }
        let events = native::propose(&state, command).expect("accepted");
        let mut streams = self.streams.write().unwrap();
        let stream = streams.entry(id.to_string()).or_default();
        assert_eq!(stream.len(), history.len(), "no other writer");
        let committed: Vec<Envelope> = events
            .into_iter()
            .map(|payload| Envelope {
                aggregate_id: id.to_string(),
                sequence: stream.len() + 1,
                payload,
                metadata: HashMap::new(),
            })
            .collect();
        stream.extend(committed.iter().cloned());
        committed
    }
}

/// The commands, both ways: (stream id, native, JSON).
pub(crate) fn workload(n: usize) -> Vec<(String, native::Command, Json)> {
    let mut rng = Lcg(2024);
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n * 5 / 2);
    for i in 0..n {
        out.push((
            format!("s{i}"),
            native::Command::CreateNew {
                id: "t".into(),
                text: format!("task {i}"),
            },
            json!({"type": "create-new", "data": {"id": "t", "text": format!("task {i}")}}),
        ));
    }
    for k in 0..n * 3 / 2 {
        let i = rng.below(n as u64) as usize;
        let id = format!("s{i}");
        if rng.below(2) == 0 {
            done[i] = !done[i];
            let completed = done[i];
            out.push((
                id,
                native::Command::ChangeCompleted {
                    id: "t".into(),
                    completed,
                },
                json!({"type": "change-completed", "data": {"id": "t", "completed": completed}}),
            ));
        } else {
            let text = format!("changed {k}");
            out.push((
                id,
                native::Command::ChangeText {
                    id: "t".into(),
                    new_text: text.clone(),
                },
                json!({"type": "change-text", "data": {"id": "t", "new_text": text}}),
            ));
        }
    }
    out
}

/// The best of each, over rounds: commands per wall second and per CPU
/// second of this thread.
#[derive(Default)]
struct Best {
    wall: f64,
    cpu: f64,
}

impl Best {
    fn add(&mut self, n: usize, wall: f64, cpu: f64) {
        self.wall = self.wall.max(n as f64 / wall);
        self.cpu = self.cpu.max(n as f64 / cpu.max(1e-9));
    }
}

/// Prints the table; returns whether the engine is within budget.
pub fn run(quick: bool) -> bool {
    let n = 10_000;
    let rounds = if quick { 1 } else { 5 };
    let work = workload(n);
    println!(
        "W1: {} commands over {} one-todo streams, in memory, best of {rounds}, alternated ({})",
        fmt_int(work.len() as f64),
        fmt_int(n as f64),
        common::load()
    );
    // W1 is the aggregate's work; the example's inline projection, which
    // writes a row per command, is timed beside it.
    let alone = common::domain_without_read_side();
    let (mut baseline, mut engine, mut inline) =
        (Best::default(), Best::default(), Best::default());
    for _ in 0..rounds {
        let store = MemStore::default();
        let ((), wall, cpu) = common::timed(|| {
            for (id, c, _) in &work {
                std::hint::black_box(store.execute(id, c));
            }
        });
        baseline.add(work.len(), wall, cpu);
        drop(store);

        for (domain, best) in [(&alone, &mut engine), (&common::domain(), &mut inline)] {
            let e =
                Engine::open("memory:", domain.clone(), EngineOptions::default()).expect("open");
            let o = ExecuteOptions::default();
            let ((), wall, cpu) = common::timed(|| {
                for (id, _, c) in &work {
                    std::hint::black_box(e.execute("Todos", id, c, &o).expect("execute"));
                }
            });
            best.add(work.len(), wall, cpu);
            assert_eq!(e.streams(Some("Todos")).expect("streams").len(), n);
        }
    }
    println!(
        "{:<46} | {:>10} | {:>6} | {:>12} | {:>6}",
        "", "cmd/s", "ratio", "cmd/CPU-s", "ratio"
    );
    println!(
        "{:<46} | {:>10} | {:>6} | {:>12} | {:>6}",
        "baseline (by hand, the cqrs-es MemStore way)",
        fmt_int(baseline.wall),
        "1.00",
        fmt_int(baseline.cpu),
        "1.00"
    );
    for (label, best) in [
        ("engine, memory store", &engine),
        ("  and the example's inline projection", &inline),
    ] {
        println!(
            "{:<46} | {:>10} | {:>6.2} | {:>12} | {:>6}",
            label,
            fmt_int(best.wall),
            best.wall / baseline.wall,
            fmt_int(best.cpu),
            format!("{:.2}", best.cpu / baseline.cpu)
        );
    }
    println!(
        "{:<46} | {:>10} |",
        "cqrs-es MemStore (measured before, unloaded)",
        fmt_int(CQRS_ES)
    );
    // Per CPU-second: other programs' turns do not count.
    let within = engine.cpu >= BUDGET;
    println!(
        "  budget {} commands per CPU-second: {}",
        fmt_int(BUDGET),
        if within { "within" } else { "UNDER" }
    );
    within
}
