//! `postgres`: the measurements of issue 15 against a PostgreSQL server
//! (`EVENTFOLD_BENCH_POSTGRES`, else `EVENTFOLD_TEST_POSTGRES`). Each
//! measurement works in a fresh schema of its own (`bench_..._PID`),
//! dropped after it (`EVENTFOLD_BENCH_KEEP=1` keeps it).
//!
//! - **w1**: W1 (`w1.rs`: 2.5N commands over N one-todo streams, one
//!   `execute` each, so one command a transaction unless the engine groups
//!   them) from 1, 4 and 16 threads of one engine and from 4 processes on
//!   one schema. Each thread or process owns the streams `i % T == t` and
//!   runs their commands in the workload's order, so no command waits on
//!   another's stream and every command emits one event. The baseline, in
//!   the same run and alternated with it, is the same events written with
//!   the same driver (`postgres`) and no engine: a table shaped like
//!   `eventfold_events`, one `BEGIN; INSERT` of one row`; COMMIT` each, from
//!   as many connections as the engine had threads or processes, the rows
//!   built before the clock starts. Budget: the engine at 0.7x the raw
//!   inserts at 16 threads. For scale, at 16 threads and 4 processes, the
//!   raw inserts again under one advisory lock held to each commit, as the
//!   store's write lock is.
//! - **batch**: `execute_many` of 100 commands (the W1 commands in order),
//!   one thread. Budget: 100,000 events/s. For scale, the same rows
//!   written raw, 100 to a transaction in one `INSERT ... unnest`.
//! - **replay**: one Counter stream of 1,000,000 events written with
//!   `execute_many` of 1,000 (no snapshots), then loaded cold by a fresh
//!   engine, twice. Budget: 500,000 events/s folded. For scale, the driver
//!   alone reading the same rows (the engine's fold query).
//! - **lag**: a subscription polls while 16 threads run W1 on their own
//!   streams; an event's lag is from the moment its writer's `execute`
//!   returned (matched by position) to the moment `poll` handed it over.
//!   p50 and p99; no budget.
//!
//! The models are Todos without its inline projection (the baseline writes
//! no projection row) and Counter. Figures are wall time; the client's CPU
//! (this process, or the children's) is beside them, but the server's is
//! not counted and shares the same cores.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::{Client, Config, NoTls};
use eventfold::{
    Engine, EngineOptions, ExecuteOptions, ExecuteRequest, SubscribeFrom, SubscribeOptions,
};
use serde_json::{json, Value as Json};

use crate::common::{self, fmt_int};

const W1_BUDGET: f64 = 0.7;
const BATCH_BUDGET: f64 = 100_000.0;
const REPLAY_BUDGET: f64 = 500_000.0;
const THREADS: [usize; 3] = [1, 4, 16];
const PROCESSES: usize = 4;
const LAG_WRITERS: usize = 16;
const HOW: &str =
    "bash tests/postgres/with_cluster.sh cargo run --release -p eventfold-bench -- postgres";

pub struct Outcome {
    pub correct: bool,
    pub within: bool,
}

// ---- The server, schemas and URLs ----

/// The server's URL from the environment.
fn server() -> Option<String> {
    ["EVENTFOLD_BENCH_POSTGRES", "EVENTFOLD_TEST_POSTGRES"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// eventfold's own options of a store URL, which the driver refuses.
const OURS: [&str; 4] = ["schema", "pool_size", "pool_timeout", "busy_timeout"];

/// The URL without its query, and the query's `key=value` pairs.
fn split(url: &str) -> (&str, Vec<(&str, &str)>) {
    match url.split_once('?') {
        Some((base, query)) => (
            base,
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect(),
        ),
        None => (url, Vec::new()),
    }
}

fn join(base: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return base.to_string();
    }
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{base}?{}", q.join("&"))
}

/// The store URL of `schema` on the server of `url` (its other options
/// kept).
fn store_url(url: &str, schema: &str) -> String {
    let (base, mut pairs) = split(url);
    pairs.retain(|(k, _)| *k != "schema");
    pairs.push(("schema", schema));
    join(base, &pairs)
}

/// The driver's configuration for `url`, without eventfold's options.
fn driver(url: &str) -> Config {
    let (base, mut pairs) = split(url);
    pairs.retain(|(k, _)| !OURS.contains(k));
    join(base, &pairs)
        .parse()
        .unwrap_or_else(|e| panic!("the server URL does not parse: {e}"))
}

/// The URL with its password hidden, for the header.
fn shown(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A fresh schema, dropped with everything in it when this is dropped.
struct Schema {
    name: String,
    url: String,
    config: Config,
}

impl Schema {
    fn new(server: &str, tag: &str) -> Schema {
        let name = format!("bench_{tag}_{}", std::process::id());
        let s = Schema {
            url: store_url(server, &name),
            config: driver(server),
            name,
        };
        s.sql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", s.name));
        s
    }

    fn client(&self) -> Client {
        connect(&self.config)
    }

    fn sql(&self, sql: &str) {
        self.client()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `SELECT count(*)` of one of the schema's tables.
    fn count(&self, table: &str) -> i64 {
        self.client()
            .query_one(&format!("SELECT count(*) FROM {}.{table}", self.name), &[])
            .expect("count")
            .get(0)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if std::env::var_os("EVENTFOLD_BENCH_KEEP").is_none() {
            if let Ok(mut c) = self.config.connect(NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
            }
        }
    }
}

fn connect(config: &Config) -> Client {
    config
        .connect(NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the PostgreSQL server: {e}"))
}

fn open(url: &str, options: EngineOptions) -> Engine {
    Engine::open(url, common::domain_without_read_side(), options)
        .unwrap_or_else(|e| panic!("Engine::open: {e}"))
}

// ---- The W1 workload, both ways ----

/// A W1 command: its stream id, the command, and the event row the raw
/// baseline writes for it.
struct Item {
    id: String,
    command: Json,
    row: Row,
}

/// One row of the raw table, its text made before the clock starts.
struct Row {
    id: String,
    stream: String,
    version: i64,
    event_type: &'static str,
    data: String,
    metadata: String,
}

fn items(n: usize) -> Vec<Item> {
    let mut versions: HashMap<String, i64> = HashMap::new();
    crate::w1::workload(n)
        .into_iter()
        .map(|(id, _, command)| {
            let d = &command["data"];
            let (event_type, data) = match command["type"].as_str() {
                Some("create-new") => (
                    "created",
                    json!({"id": d["id"], "text": d["text"], "completed": false}),
                ),
                Some("change-text") => (
                    "text-changed",
                    json!({"id": d["id"], "new_text": d["new_text"]}),
                ),
                _ => (
                    "completed-changed",
                    json!({"id": d["id"], "completed": d["completed"]}),
                ),
            };
            let v = versions.entry(id.clone()).or_insert(0);
            *v += 1;
            let row = Row {
                id: uuid::Uuid::now_v7().to_string(),
                stream: format!("Todos-{id}"),
                version: *v,
                event_type,
                data: data.to_string(),
                metadata: json!({
                    "recorded_at": "2026-12-01T12:00:00.000000Z",
                    "command_id": uuid::Uuid::now_v7().to_string(),
                    "correlation_id": uuid::Uuid::now_v7().to_string(),
                })
                .to_string(),
            };
            Item { id, command, row }
        })
        .collect()
}

/// The indexes of the items whose stream `s{i}` has `i % parts == part`,
/// in order.
fn part(items: &[Item], part: usize, parts: usize) -> Vec<usize> {
    (0..items.len())
        .filter(|&k| {
            items[k].id[1..]
                .parse::<usize>()
                .expect("a W1 stream is s{i}")
                % parts
                == part
        })
        .collect()
}

/// The raw table: `eventfold_events`'s columns and unique indexes, the
/// position from a sequence.
fn raw_table(schema: &Schema) {
    schema.sql(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.events (
             position BIGSERIAL PRIMARY KEY,
             id       TEXT   NOT NULL,
             stream   TEXT   COLLATE \"C\" NOT NULL,
             version  BIGINT NOT NULL,
             type     TEXT   COLLATE \"C\" NOT NULL,
             data     TEXT   NOT NULL,
             metadata TEXT   NOT NULL,
             model    TEXT   COLLATE \"C\" NOT NULL,
             schema   INTEGER NOT NULL
         );
         CREATE UNIQUE INDEX ON {s}.events (id);
         CREATE UNIQUE INDEX ON {s}.events (stream, version);",
        s = schema.name
    ));
}

const RAW_INSERT: &str =
    "INSERT INTO {s}.events (id, stream, version, type, data, metadata, model, schema) \
     VALUES ($1, $2, $3, $4, $5, $6, 'Todos', 1)";

/// The advisory lock key of a raw schema's writes (`lock`), as the store
/// takes one per schema.
fn lock_key(schema: &str) -> i32 {
    schema
        .bytes()
        .fold(0i32, |h, b| h.wrapping_mul(31).wrapping_add(i32::from(b)))
}

/// Writes the rows `which` of `items`, one transaction each; with `lock`,
/// each transaction first takes the schema's advisory lock in the round
/// trip of its `BEGIN`, as the store's writes do.
fn raw_insert(client: &mut Client, schema: &str, items: &[Item], which: &[usize], lock: bool) {
    let insert = client
        .prepare(&RAW_INSERT.replace("{s}", schema))
        .expect("prepare the insert");
    let begin = format!(
        "BEGIN; SELECT pg_advisory_xact_lock(15, {})",
        lock_key(schema)
    );
    for &k in which {
        let r = &items[k].row;
        let params: [&(dyn ::postgres::types::ToSql + Sync); 6] = [
            &r.id,
            &r.stream,
            &r.version,
            &r.event_type,
            &r.data,
            &r.metadata,
        ];
        if lock {
            client.batch_execute(&begin).expect("BEGIN and lock");
            client.execute(&insert, &params).expect("INSERT");
            client.batch_execute("COMMIT").expect("COMMIT");
        } else {
            let mut tx = client.transaction().expect("BEGIN");
            tx.execute(&insert, &params).expect("INSERT");
            tx.commit().expect("COMMIT");
        }
    }
}

/// Runs `which` on the engine; the number of failed commands.
fn engine_run(e: &Engine, items: &[Item], which: &[usize]) -> u64 {
    let o = ExecuteOptions::default();
    let mut failed = 0;
    for &k in which {
        if let Err(err) = e.execute("Todos", &items[k].id, &items[k].command, &o) {
            failed += 1;
            if failed <= 3 {
                eprintln!("  a command failed: {err}");
            }
        }
    }
    failed
}

/// Wall and CPU seconds of `threads` threads, thread `t` running
/// `work(t)` once all are ready (their setup is not timed).
fn in_threads<S: Send>(
    threads: usize,
    setup: impl Fn(usize) -> S + Sync,
    work: impl Fn(usize, S) -> u64 + Sync,
) -> (f64, f64, u64) {
    let ready = Barrier::new(threads + 1);
    let done = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (ready, done, setup, work) = (&ready, &done, &setup, &work);
                scope.spawn(move || {
                    let s = setup(t);
                    ready.wait();
                    let failed = work(t, s);
                    done.wait();
                    failed
                })
            })
            .collect();
        ready.wait();
        let (c, t) = (common::cpu(), Instant::now());
        done.wait();
        let (wall, cpu) = (t.elapsed().as_secs_f64(), common::cpu() - c);
        let failed = handles
            .into_iter()
            .map(|h| h.join().expect("a bench thread"))
            .sum();
        (wall, cpu, failed)
    })
}

/// Wall seconds from the start of `procs` children (`child ROLE ARGS PART
/// PROCS`, each ready first) to the last one's end; their CPU seconds in
/// all; their failures.
fn in_processes(role: &str, args: &[String], procs: usize) -> (f64, f64, u64) {
    let mut children: Vec<_> = (0..procs)
        .map(|p| {
            let mut a = args.to_vec();
            a.extend([p.to_string(), procs.to_string()]);
            common::child(role, &a)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn a child")
        })
        .collect();
    let mut outs: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout")))
        .collect();
    for out in &mut outs {
        let mut line = String::new();
        out.read_line(&mut line).expect("ready");
        assert_eq!(line.trim(), "ready", "a child did not start");
    }
    let t = Instant::now();
    for c in &mut children {
        c.stdin
            .take()
            .expect("stdin")
            .write_all(b"go\n")
            .expect("go");
    }
    let (mut cpu, mut failed) = (0.0, 0);
    for (mut c, mut out) in children.into_iter().zip(outs) {
        let mut line = String::new();
        out.read_line(&mut line).expect("done");
        let status = c.wait().expect("wait");
        let f: Vec<&str> = line.split_whitespace().collect();
        match (status.success(), f.as_slice()) {
            (true, ["done", c, n]) => {
                cpu += c.parse::<f64>().unwrap_or(0.0);
                failed += n.parse::<u64>().unwrap_or(1);
            }
            _ => {
                eprintln!("  a child failed: {status}, said {line:?}");
                failed += 1;
            }
        }
    }
    (t.elapsed().as_secs_f64(), cpu, failed)
}

/// The hidden children of `w1`: `pg-engine URL N PART PARTS` and `pg-raw
/// URL SCHEMA N LOCK PART PARTS` (`LOCK`: `lock` or `plain`). Each says `ready`, waits for a line, runs its
/// part, and prints `done CPU-SECONDS FAILED`.
pub fn child(role: &str, args: &[String]) -> i32 {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize| arg(i).parse::<usize>().expect("a number");
    let go = || {
        println!("ready");
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        common::cpu()
    };
    let (cpu, failed) = match role {
        "pg-engine" => {
            let (n, p, parts) = (num(1), num(2), num(3));
            let items = items(n);
            let which = part(&items, p, parts);
            let e = open(arg(0), EngineOptions::default());
            let c = go();
            let failed = engine_run(&e, &items, &which);
            let cpu = common::cpu() - c;
            let _ = e.close();
            (cpu, failed)
        }
        "pg-raw" => {
            let (n, p, parts) = (num(2), num(4), num(5));
            let items = items(n);
            let which = part(&items, p, parts);
            let mut client = connect(&driver(arg(0)));
            let c = go();
            raw_insert(&mut client, arg(1), &items, &which, arg(3) == "lock");
            (common::cpu() - c, 0)
        }
        other => {
            eprintln!("unknown child role {other:?}");
            return 2;
        }
    };
    println!("done {cpu} {failed}");
    0
}

// ---- 1. W1 ----

/// One case's figures: commands/s and client CPU µs per command.
struct Figure {
    rate: f64,
    cpu_us: f64,
}

fn figure(commands: usize, wall: f64, cpu: f64) -> Figure {
    Figure {
        rate: commands as f64 / wall,
        cpu_us: cpu / commands as f64 * 1e6,
    }
}

/// The engine's W1 from `threads` threads (or `procs` processes).
fn w1_engine(
    server: &str,
    items: &[Item],
    n: usize,
    threads: usize,
    procs: bool,
) -> (Figure, bool) {
    let schema = Schema::new(server, "w1_engine");
    let (wall, cpu, failed) = if procs {
        // The schema first, so that the children only open it.
        open(&schema.url, EngineOptions::default())
            .close()
            .expect("close");
        in_processes("pg-engine", &[schema.url.clone(), n.to_string()], threads)
    } else {
        let e = open(&schema.url, EngineOptions::default());
        let parts: Vec<Vec<usize>> = (0..threads).map(|t| part(items, t, threads)).collect();
        let out = in_threads(threads, |_| (), |t, ()| engine_run(&e, items, &parts[t]));
        e.close().expect("close");
        out
    };
    let (events, streams) = (
        schema.count("eventfold_events"),
        schema.count("eventfold_streams"),
    );
    let correct = failed == 0 && events == items.len() as i64 && streams == n as i64;
    if !correct {
        eprintln!(
            "  WRONG: {failed} failed commands, {events} events (of {}), {streams} streams (of {n})",
            items.len()
        );
    }
    (figure(items.len(), wall, cpu), correct)
}

/// The raw inserts from `conns` connections (threads, or processes).
fn w1_raw(
    server: &str,
    items: &[Item],
    n: usize,
    conns: usize,
    procs: bool,
    lock: bool,
) -> (Figure, bool) {
    let schema = Schema::new(server, "w1_raw");
    raw_table(&schema);
    let (wall, cpu, failed) = if procs {
        in_processes(
            "pg-raw",
            &[
                schema.url.clone(),
                schema.name.clone(),
                n.to_string(),
                (if lock { "lock" } else { "plain" }).to_string(),
            ],
            conns,
        )
    } else {
        let parts: Vec<Vec<usize>> = (0..conns).map(|t| part(items, t, conns)).collect();
        in_threads(
            conns,
            |_| schema.client(),
            |t, mut client| {
                raw_insert(&mut client, &schema.name, items, &parts[t], lock);
                0
            },
        )
    };
    let rows = schema.count("events");
    let correct = failed == 0 && rows == items.len() as i64;
    if !correct {
        eprintln!("  WRONG: {rows} raw rows of {}", items.len());
    }
    (figure(items.len(), wall, cpu), correct)
}

fn w1(server: &str, quick: bool, out: &mut Outcome) {
    let n = if quick { 1_000 } else { 10_000 };
    let items = items(n);
    println!(
        "W1 on PostgreSQL: {} commands over {} one-todo streams, one execute each; raw: one \
         BEGIN/INSERT/COMMIT each ({})",
        fmt_int(items.len() as f64),
        fmt_int(n as f64),
        common::load()
    );
    println!(
        "{:<12} | {:>12} | {:>11} | {:>12} | {:>11} | {:>6}",
        "clients", "engine cmd/s", "client µs/c", "raw insert/s", "client µs/i", "ratio"
    );
    let cases: Vec<(usize, bool)> = THREADS
        .iter()
        .map(|&t| (t, false))
        .chain([(PROCESSES, true)])
        .collect();
    let mut scale = Vec::new();
    for (clients, procs) in cases {
        let (raw, ok_raw) = w1_raw(server, &items, n, clients, procs, false);
        let (engine, ok_engine) = w1_engine(server, &items, n, clients, procs);
        out.correct &= ok_raw && ok_engine;
        let ratio = engine.rate / raw.rate;
        let name = if procs {
            format!("{clients} processes")
        } else if clients == 1 {
            "1 thread".to_string()
        } else {
            format!("{clients} threads")
        };
        println!(
            "{name:<12} | {:>12} | {:>11.1} | {:>12} | {:>11.1} | {ratio:>5.2}x",
            fmt_int(engine.rate),
            engine.cpu_us,
            fmt_int(raw.rate),
            raw.cpu_us,
        );
        if clients == 16 || procs {
            let (locked, ok) = w1_raw(server, &items, n, clients, procs, true);
            out.correct &= ok;
            scale.push((name.clone(), raw.rate, engine.rate, locked.rate));
        }
        if clients == 16 && !procs {
            let within = ratio >= W1_BUDGET;
            out.within &= within;
            println!(
                "  budget: the engine at {W1_BUDGET}x the raw inserts at 16 threads or more: {}",
                if within { "within" } else { "UNDER" }
            );
        }
    }
    // What the store's one write lock costs by itself: the same raw
    // inserts, each transaction holding one advisory lock to its commit.
    println!("  for scale, the raw inserts each under one advisory lock held to the commit:");
    println!(
        "  {:<12} | {:>15} | {:>11} | {:>15}",
        "clients", "locked insert/s", "against raw", "engine against"
    );
    for (name, raw, engine, locked) in scale {
        println!(
            "  {name:<12} | {:>15} | {:>10.2}x | {:>14.2}x",
            fmt_int(locked),
            locked / raw,
            engine / locked
        );
    }
}

// ---- 2. execute_many of 100 ----

fn batch(server: &str, quick: bool, out: &mut Outcome) {
    let n = if quick { 1_000 } else { 10_000 };
    let items = items(n);
    let requests: Vec<Vec<ExecuteRequest>> = items
        .chunks(100)
        .map(|c| {
            c.iter()
                .map(|i| ExecuteRequest {
                    model: "Todos".into(),
                    id: i.id.clone(),
                    command: i.command.clone(),
                    options: ExecuteOptions::default(),
                })
                .collect()
        })
        .collect();
    println!(
        "execute_many of 100 on PostgreSQL: the {} W1 commands in {} batches, one thread ({})",
        fmt_int(items.len() as f64),
        requests.len(),
        common::load()
    );
    let schema = Schema::new(server, "batch");
    let e = open(&schema.url, EngineOptions::default());
    let mut events = 0;
    let ((), wall, cpu) = common::timed(|| {
        for b in &requests {
            match e.execute_many(b) {
                Ok(done) => events += done.iter().map(|d| d.events.len()).sum::<usize>(),
                Err(err) => {
                    eprintln!("  a batch failed: {err}");
                    out.correct = false;
                }
            }
        }
    });
    e.close().expect("close");
    out.correct &= events == items.len() && schema.count("eventfold_events") == events as i64;
    drop(schema);

    // For scale: the rows raw, 100 a transaction, one statement each.
    let schema = Schema::new(server, "batch_raw");
    raw_table(&schema);
    let mut client = schema.client();
    let insert = client
        .prepare(&format!(
            "INSERT INTO {}.events (id, stream, version, type, data, metadata, model, schema) \
             SELECT a, b, c, d, e, f, 'Todos', 1 FROM unnest($1::text[], $2::text[], $3::int8[], \
             $4::text[], $5::text[], $6::text[]) AS t(a, b, c, d, e, f)",
            schema.name
        ))
        .expect("prepare");
    type Cols<'a> = (
        Vec<&'a str>,
        Vec<&'a str>,
        Vec<i64>,
        Vec<&'a str>,
        Vec<&'a str>,
        Vec<&'a str>,
    );
    let cols: Vec<Cols> = items
        .chunks(100)
        .map(|c| {
            let rows: Vec<&Row> = c.iter().map(|i| &i.row).collect();
            (
                rows.iter().map(|r| r.id.as_str()).collect(),
                rows.iter().map(|r| r.stream.as_str()).collect(),
                rows.iter().map(|r| r.version).collect(),
                rows.iter().map(|r| r.event_type).collect(),
                rows.iter().map(|r| r.data.as_str()).collect(),
                rows.iter().map(|r| r.metadata.as_str()).collect(),
            )
        })
        .collect();
    let ((), raw_wall, raw_cpu) = common::timed(|| {
        for (a, b, c, d, e, f) in &cols {
            let mut tx = client.transaction().expect("BEGIN");
            tx.execute(&insert, &[a, b, c, d, e, f]).expect("INSERT");
            tx.commit().expect("COMMIT");
        }
    });
    out.correct &= schema.count("events") == items.len() as i64;
    let rate = events as f64 / wall;
    let raw_rate = items.len() as f64 / raw_wall;
    println!("{:<40} | {:>10} | {:>11}", "", "events/s", "client µs/e");
    println!(
        "{:<40} | {:>10} | {:>11.1}",
        "engine, execute_many of 100",
        fmt_int(rate),
        cpu / events.max(1) as f64 * 1e6
    );
    println!(
        "{:<40} | {:>10} | {:>11.1}",
        "raw, 100 rows a transaction (for scale)",
        fmt_int(raw_rate),
        raw_cpu / items.len() as f64 * 1e6
    );
    let within = rate >= BATCH_BUDGET;
    out.within &= within;
    println!(
        "  budget {} events/s: {}",
        fmt_int(BATCH_BUDGET),
        if within { "within" } else { "UNDER" }
    );
}

// ---- 3. Replay ----

fn replay(server: &str, quick: bool, out: &mut Outcome) {
    let n: usize = if quick { 100_000 } else { 1_000_000 };
    let schema = Schema::new(server, "replay");
    let quiet = EngineOptions {
        snapshot_every: 0,
        ..EngineOptions::default()
    };
    let e = open(&schema.url, quiet.clone());
    let batch: Vec<ExecuteRequest> = (0..1000)
        .map(|k| ExecuteRequest {
            model: "Counter".into(),
            id: "big".into(),
            command: json!({"type": "add", "data": {"who": format!("w{k}")}}),
            options: ExecuteOptions::default(),
        })
        .collect();
    let t = Instant::now();
    let mut written = 0;
    while written < n {
        let take = (n - written).min(batch.len());
        e.execute_many(&batch[..take]).expect("fill the stream");
        written += take;
    }
    let fill = t.elapsed().as_secs_f64();
    e.close().expect("close");
    // A cold load folds every event: no snapshot may be left to start from.
    schema.sql(&format!("DELETE FROM {}.eventfold_snapshots", schema.name));
    println!(
        "replay on PostgreSQL: one Counter stream of {} events (written in {fill:.1} s by \
         execute_many of 1,000: {} events/s), loaded cold by a fresh engine ({})",
        fmt_int(n as f64),
        fmt_int(n as f64 / fill),
        common::load()
    );
    println!(
        "{:<44} | {:>10} | {:>11} | {:>8}",
        "", "events/s", "client µs/e", "seconds"
    );
    let mut best = 0.0f64;
    for round in 1..=2 {
        let e = open(&schema.url, quiet.clone());
        let (loaded, wall, cpu) = common::timed(|| e.load("Counter", "big"));
        let loaded = loaded.expect("load");
        out.correct &= loaded.version == n as u64;
        e.close().expect("close");
        let rate = n as f64 / wall;
        best = best.max(rate);
        println!(
            "{:<44} | {:>10} | {:>11.2} | {wall:>8.2}",
            format!("engine, cold load, round {round}"),
            fmt_int(rate),
            cpu / n as f64 * 1e6
        );
    }
    // For scale: the driver alone, the engine's fold query, no fold.
    let mut client = schema.client();
    let stmt = client
        .prepare(&format!(
            "SELECT version, type, schema, data FROM {}.eventfold_events \
             WHERE stream = $1 AND version > $2 ORDER BY version",
            schema.name
        ))
        .expect("prepare");
    let (rows, wall, cpu) = common::timed(|| {
        let params: [&(dyn ::postgres::types::ToSql + Sync); 2] = [&"Counter-big", &0i64];
        let mut rows = client.query_raw(&stmt, params).expect("query");
        let mut count = 0usize;
        while let Some(row) = rows.next().expect("a row") {
            let d: &str = row.get(3);
            std::hint::black_box(d);
            count += 1;
        }
        count
    });
    out.correct &= rows == n;
    println!(
        "{:<44} | {:>10} | {:>11.2} | {wall:>8.2}",
        "driver alone, the same query (for scale)",
        fmt_int(n as f64 / wall),
        cpu / n as f64 * 1e6
    );
    let within = best >= REPLAY_BUDGET;
    out.within &= within;
    println!(
        "  budget {} events/s folded: {}",
        fmt_int(REPLAY_BUDGET),
        if within { "within" } else { "UNDER" }
    );
}

// ---- 4. Subscription lag ----

fn lag(server: &str, quick: bool, out: &mut Outcome) {
    let n = if quick { 1_000 } else { 10_000 };
    let items = items(n);
    let total = items.len();
    let schema = Schema::new(server, "lag");
    let e = open(&schema.url, EngineOptions::default());
    let sub = e
        .subscribe(
            "bench-lag",
            &SubscribeOptions {
                from: SubscribeFrom::End,
                ..SubscribeOptions::default()
            },
        )
        .expect("subscribe");
    // Nanoseconds since `base` + 1 (0: not yet), by position - 1.
    let base = Instant::now();
    let stamp = || base.elapsed().as_nanos() as u64 + 1;
    let committed: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
    let delivered: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
    let parts: Vec<Vec<usize>> = (0..LAG_WRITERS)
        .map(|t| part(&items, t, LAG_WRITERS))
        .collect();
    let mut stray = 0u64;
    let (wall, failed) = std::thread::scope(|scope| {
        // The subscriber: takes the lease and waits before the writers go.
        let consumer = scope.spawn(|| {
            let mut seen = 0usize;
            let mut stray = 0u64;
            let deadline = Instant::now() + Duration::from_secs(600);
            while seen < total && Instant::now() < deadline {
                let page = sub.poll(1000, Duration::from_secs(1)).expect("poll");
                let now = stamp();
                for ev in &page {
                    match delivered.get((ev.position as usize).wrapping_sub(1)) {
                        Some(d) => {
                            d.store(now, Ordering::Relaxed);
                            seen += 1;
                        }
                        None => stray += 1,
                    }
                }
                if let Some(last) = page.last() {
                    sub.ack(last.position).expect("ack");
                }
            }
            (seen, stray)
        });
        let t = Instant::now();
        let writers: Vec<_> = parts
            .iter()
            .map(|which| {
                let (e, items, committed) = (&e, &items, &committed);
                scope.spawn(move || {
                    let o = ExecuteOptions::default();
                    let mut failed = 0u64;
                    for &k in which {
                        match e.execute("Todos", &items[k].id, &items[k].command, &o) {
                            Ok(r) => {
                                let now = stamp();
                                if let Some(c) =
                                    committed.get((r.position as usize).wrapping_sub(1))
                                {
                                    c.store(now, Ordering::Relaxed);
                                }
                            }
                            Err(_) => failed += 1,
                        }
                    }
                    failed
                })
            })
            .collect();
        let failed: u64 = writers
            .into_iter()
            .map(|w| w.join().expect("a writer"))
            .sum();
        let wall = t.elapsed().as_secs_f64();
        let (seen, s) = consumer.join().expect("the subscriber");
        stray = s;
        if seen < total {
            eprintln!("  the subscription delivered {seen} of {total} events");
        }
        (wall, failed)
    });
    sub.close().expect("close the subscription");
    e.close().expect("close");
    let mut lags = Vec::with_capacity(total);
    let (mut early, mut missing) = (0u64, 0u64);
    for (c, d) in committed.iter().zip(&delivered) {
        let (c, d) = (c.load(Ordering::Relaxed), d.load(Ordering::Relaxed));
        if c == 0 || d == 0 {
            missing += 1;
            continue;
        }
        if d < c {
            early += 1;
        }
        lags.push(d.saturating_sub(c) as f64 / 1e3);
    }
    lags.sort_by(f64::total_cmp);
    let at =
        |q: f64| lags.get(((lags.len() as f64 * q) as usize).min(lags.len().saturating_sub(1)));
    out.correct &= failed == 0 && missing == 0 && stray == 0;
    println!(
        "subscription lag on PostgreSQL: {LAG_WRITERS} threads run the {} W1 commands ({} \
         commands/s) while a subscription polls (1,000 a page, an ack a page) ({})",
        fmt_int(total as f64),
        fmt_int(total as f64 / wall),
        common::load()
    );
    if let (Some(p50), Some(p99), Some(max)) = (at(0.5), at(0.99), lags.last()) {
        println!(
            "{:<34} | {:>9} | {:>9} | {:>9}",
            "", "p50 µs", "p99 µs", "max µs"
        );
        println!(
            "{:<34} | {:>9} | {:>9} | {:>9}",
            "execute returned to poll returned",
            fmt_int(*p50),
            fmt_int(*p99),
            fmt_int(*max)
        );
    }
    println!(
        "  {} events matched; {early} handed over before their execute returned (lag 0); {missing} \
         unmatched; {failed} failed commands",
        fmt_int(lags.len() as f64)
    );
}

/// Prints every table; `--only=w1|batch|replay|lag` runs one.
pub fn run(quick: bool, only: Option<&str>) -> Outcome {
    let mut out = Outcome {
        correct: true,
        within: true,
    };
    let Some(server) = server() else {
        println!(
            "postgres: no server (set EVENTFOLD_BENCH_POSTGRES or EVENTFOLD_TEST_POSTGRES to a \
             postgres:// URL), or run it with a throwaway cluster:\n  {HOW}"
        );
        return out;
    };
    if let Err(e) = driver(&server).connect(NoTls) {
        println!("postgres: cannot connect to {}: {e}", shown(&server));
        out.correct = false;
        return out;
    }
    println!("postgres: against {}", shown(&server));
    let on = |what: &str| only.is_none_or(|o| o == what);
    if on("w1") {
        w1(&server, quick, &mut out);
    }
    if on("batch") {
        batch(&server, quick, &mut out);
    }
    if on("replay") {
        replay(&server, quick, &mut out);
    }
    if on("lag") {
        lag(&server, quick, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            store_url("postgres://a:b@h:1/db?pool_size=4&schema=x", "bench_1"),
            "postgres://a:b@h:1/db?pool_size=4&schema=bench_1"
        );
        assert_eq!(
            store_url("postgres://h/db", "s"),
            "postgres://h/db?schema=s"
        );
        let c = driver("postgres://a:b@h:1/db?schema=x&pool_size=4&connect_timeout=5");
        assert_eq!(c.get_dbname(), Some("db"));
        assert_eq!(shown("postgres://a:b@h:1/db"), "postgres://a:***@h:1/db");
    }
}
