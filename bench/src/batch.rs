//! `execute_many` of 100 commands on SQLite NORMAL, on new streams (each
//! command creates a stream) and on one stream (a create/change/delete
//! mix that keeps its list small), against a hand-written rusqlite store
//! in the same run: the engine's table shape (`events`, `streams`), one
//! `BEGIN IMMEDIATE` transaction a batch, prepared statements, a version
//! read per stream, the events' JSON text serialised before the clock
//! starts, as an application would have it. Budget: the engine at 0.7x of
//! the hand-written store's events/s, on both.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use eventfold::{Engine, EngineOptions, ExecuteOptions, ExecuteRequest};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{json, Value as Json};

use crate::common::{self, fmt_int, Lcg, Scratch};

const BATCH: usize = 100;
const BUDGET: f64 = 0.7;

/// One command and the event it emits, as the application serialised it.
struct Item {
    stream: String,
    command: Json,
    event_type: &'static str,
    data: String,
}

/// `batches` batches: on new streams, each item to a stream of its own; on
/// one stream, the Todos mix of `store_bench` (30% create, 30% toggle,
/// 10% change-text, 30% delete), every command emitting one event.
fn workload(batches: usize, one_stream: bool) -> Vec<Vec<Item>> {
    let mut rng = Lcg(77);
    let mut live: Vec<(String, bool)> = Vec::new();
    let mut next = 0u64;
    (0..batches)
        .map(|b| {
            (0..BATCH)
                .map(|k| {
                    if !one_stream {
                        let text = format!("task number {b}.{k}");
                        return Item {
                            stream: format!("n{b}-{k}"),
                            command: json!({"type": "create-new", "data": {"id": "t", "text": text}}),
                            event_type: "created",
                            data: json!({"id": "t", "text": text, "completed": false}).to_string(),
                        };
                    }
                    let stream = "one".to_string();
                    let op = rng.below(10);
                    if op < 3 || live.is_empty() {
                        next += 1;
                        let id = format!("t{next}");
                        let text = format!("task number {next}");
                        live.push((id.clone(), false));
                        return Item {
                            stream,
                            command: json!({"type": "create-new", "data": {"id": id, "text": text}}),
                            event_type: "created",
                            data: json!({"id": id, "text": text, "completed": false}).to_string(),
                        };
                    }
                    let i = rng.below(live.len() as u64) as usize;
                    let id = live[i].0.clone();
                    if op < 6 {
                        live[i].1 = !live[i].1;
                        let completed = live[i].1;
                        Item {
                            stream,
                            command: json!({"type": "change-completed", "data": {"id": id, "completed": completed}}),
                            event_type: "completed-changed",
                            data: json!({"id": id, "completed": completed}).to_string(),
                        }
                    } else if op < 7 {
                        next += 1;
                        let text = format!("changed {next}");
                        Item {
                            stream,
                            command: json!({"type": "change-text", "data": {"id": id, "new_text": text}}),
                            event_type: "text-changed",
                            data: json!({"id": id, "new_text": text}).to_string(),
                        }
                    } else {
                        live.swap_remove(i);
                        Item {
                            stream,
                            command: json!({"type": "delete", "data": {"id": id}}),
                            event_type: "deleted",
                            data: json!({"id": id}).to_string(),
                        }
                    }
                })
                .collect()
        })
        .collect()
}

/// The engine, default options: events per second and per CPU-second
/// of the process (its checkpointer thread counts). The aggregate alone,
/// as the hand-written store writes events only: the example's inline
/// projection would add a row write to every command.
fn engine(path: &Path, work: &[Vec<Item>]) -> (f64, f64) {
    let e = Engine::open(
        &common::sqlite_url(path, Some("normal")),
        common::domain_without_read_side(),
        EngineOptions::default(),
    )
    .expect("open");
    let requests: Vec<Vec<ExecuteRequest>> = work
        .iter()
        .map(|batch| {
            batch
                .iter()
                .map(|i| ExecuteRequest {
                    model: "Todos".into(),
                    id: i.stream.clone(),
                    command: i.command.clone(),
                    options: ExecuteOptions::default(),
                })
                .collect()
        })
        .collect();
    let mut events = 0;
    let cpu = common::cpu();
    let t = Instant::now();
    for batch in &requests {
        events += e
            .execute_many(batch)
            .expect("batch")
            .iter()
            .map(|r| r.events.len())
            .sum::<usize>();
    }
    let rate = events as f64 / t.elapsed().as_secs_f64();
    let per_cpu = events as f64 / (common::cpu() - cpu).max(1e-6);
    assert_eq!(events, work.len() * BATCH, "one event a command");
    e.close().expect("close");
    (rate, per_cpu)
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL,
    UNIQUE (stream, version)
);
CREATE TABLE streams (
    stream  TEXT    PRIMARY KEY,
    model   TEXT    NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX streams_by_model ON streams (model, stream);
";

/// The hand-written store: events per second and per CPU-second.
fn by_hand(path: &Path, work: &[Vec<Item>]) -> (f64, f64) {
    let mut conn = Connection::open(path).expect("open");
    conn.execute_batch(SCHEMA).expect("schema");
    // What an app would stamp on its events, made once.
    let metadata = json!({"recorded_at": "2026-12-01T08:00:00Z"}).to_string();
    let mut events = 0;
    let cpu = common::cpu();
    let t = Instant::now();
    for batch in work {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut version_of = tx
                .prepare_cached("SELECT version FROM streams WHERE stream = ?1")
                .expect("prepare");
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (id, stream, version, type, data, metadata) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .expect("prepare");
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO streams (stream, model, version) VALUES (?1, 'Todos', ?2) \
                     ON CONFLICT (stream) DO UPDATE SET version = excluded.version",
                )
                .expect("prepare");
            let mut versions: HashMap<&str, i64> = HashMap::new();
            for item in batch {
                let stream = format!("Todos-{}", item.stream);
                let v = match versions.get(item.stream.as_str()) {
                    Some(v) => *v,
                    None => version_of
                        .query_row([&stream], |r| r.get::<_, i64>(0))
                        .optional()
                        .expect("version")
                        .unwrap_or(0),
                } + 1;
                versions.insert(&item.stream, v);
                let id = uuid::Uuid::now_v7().to_string();
                insert
                    .execute(params![id, stream, v, item.event_type, item.data, metadata])
                    .expect("insert");
                events += 1;
            }
            for (s, v) in &versions {
                upsert
                    .execute(params![format!("Todos-{s}"), v])
                    .expect("upsert");
            }
        }
        tx.commit().expect("commit");
    }
    (
        events as f64 / t.elapsed().as_secs_f64(),
        events as f64 / (common::cpu() - cpu).max(1e-6),
    )
}

/// Prints the table; returns whether both cases are within budget.
pub fn run(quick: bool) -> bool {
    let dir = Scratch::new("batch");
    let batches = if quick { 30 } else { 300 };
    let rounds = if quick { 1 } else { 3 };
    println!(
        "execute_many of {BATCH}, SQLite NORMAL, {batches} batches, best of {rounds} ({})",
        common::load()
    );
    println!(
        "{:<12} | {:>12} | {:>12} | {:>6} | {:>14} | {:>14} | {:>6}",
        "case", "engine ev/s", "by hand", "ratio", "engine /CPU-s", "by hand /CPU-s", "ratio"
    );
    let mut ok = true;
    for (name, one) in [("new streams", false), ("one stream", true)] {
        let work = workload(batches, one);
        let (mut e, mut h) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
        for r in 0..rounds {
            // Alternated, so that a change of load hits both.
            let x = engine(&dir.path(&format!("engine-{one}-{r}.db")), &work);
            let y = by_hand(&dir.path(&format!("hand-{one}-{r}.db")), &work);
            e = (e.0.max(x.0), e.1.max(x.1));
            h = (h.0.max(y.0), h.1.max(y.1));
        }
        let (ratio, cpu_ratio) = (e.0 / h.0, e.1 / h.1);
        // Per CPU-second: other programs' turns do not count.
        ok &= cpu_ratio >= BUDGET;
        println!(
            "{name:<12} | {:>12} | {:>12} | {ratio:>5.2}x | {:>14} | {:>14} | {cpu_ratio:>5.2}x {}",
            fmt_int(e.0),
            fmt_int(h.0),
            fmt_int(e.1),
            fmt_int(h.1),
            if cpu_ratio >= BUDGET {
                ""
            } else {
                "(budget 0.7x: UNDER)"
            }
        );
    }
    ok
}
