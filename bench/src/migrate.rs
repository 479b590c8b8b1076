//! `migrate`: the upgrade of a wave-1 store (schema 1) of 1,000,000 events
//! to the current schema, timed as the first open by the current code.
//!
//! The file is built with plain rusqlite and the wave-1 DDL (frozen here,
//! as wave 1 wrote it): 200 streams of two models, event data of about 100
//! bytes, metadata as the engine writes it, a command record for every
//! event and a snapshot per stream.

use std::time::Instant;

use eventfold::store::{sqlite::SqliteStore, ReadFilter, Store, Synchronous};
use rusqlite::{params, Connection};

use crate::common::{Lcg, Scratch};

/// The schema of wave 1 (`PRAGMA user_version = 1`).
const V1: &str = "
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
CREATE TABLE snapshots (
    stream      TEXT    PRIMARY KEY,
    version     INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    checksum    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE commands (
    stream        TEXT    NOT NULL,
    command_id    TEXT    NOT NULL,
    first_version INTEGER NOT NULL,
    last_version  INTEGER NOT NULL,
    PRIMARY KEY (stream, command_id)
) WITHOUT ROWID;
PRAGMA user_version = 1;
";

const STREAMS: u64 = 200;

/// Writes `n` events in schema 1 at `path`, in the order many writers
/// would interleave them.
fn build(path: &std::path::Path, n: u64) {
    let mut conn = Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
        .expect("pragmas");
    conn.execute_batch(V1).expect("v1 schema");
    let tx = conn.transaction().expect("begin");
    let mut versions = vec![0u64; STREAMS as usize];
    let stream = |s: u64| {
        if s.is_multiple_of(2) {
            format!("Todos-list-{s}")
        } else {
            format!("Counter-c-{s}")
        }
    };
    {
        let mut event = tx
            .prepare(
                "INSERT INTO events (id, stream, version, type, data, metadata) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .expect("prepare");
        let mut command = tx
            .prepare("INSERT INTO commands VALUES (?1, ?2, ?3, ?3)")
            .expect("prepare");
        let mut rng = Lcg(7);
        for p in 1..=n {
            let s = rng.below(STREAMS);
            versions[s as usize] += 1;
            let v = versions[s as usize];
            let name = stream(s);
            let (t, data) = if s.is_multiple_of(2) {
                (
                    "created",
                    format!(
                        r#"{{"id":"todo-{v}","text":"write the report for week {} ünï","completed":false}}"#,
                        p % 53
                    ),
                )
            } else {
                (
                    "added",
                    format!(
                        r#"{{"who":"user-{}@example.com with a longer name","by":{}}}"#,
                        p % 977,
                        p % 10
                    ),
                )
            };
            let id = format!("0190{p:012x}-7000-8000-{:012x}", rng.next());
            let cid = format!("cmd-{p}");
            let meta = format!(
                r#"{{"recorded_at":"2026-11-30T10:00:00.{:06}Z","command_id":"{cid}","correlation_id":"corr-{}"}}"#,
                p % 1_000_000,
                p / 10
            );
            event
                .execute(params![id, name, v as i64, t, data, meta])
                .expect("insert event");
            command
                .execute(params![name, cid, v as i64])
                .expect("insert command");
        }
    }
    for (s, &v) in versions.iter().enumerate() {
        let name = stream(s as u64);
        let model = name.split('-').next().unwrap_or("");
        tx.execute(
            "INSERT INTO streams VALUES (?1, ?2, ?3)",
            params![name, model, v as i64],
        )
        .expect("insert stream");
        tx.execute(
            "INSERT INTO snapshots VALUES (?1, ?2, 'fp', '{\"count\":1}', 'sum')",
            params![name, v as i64],
        )
        .expect("insert snapshot");
    }
    tx.commit().expect("commit");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
}

/// Returns false when the migrated store does not hold every event.
pub fn run(quick: bool) -> bool {
    let n: u64 = if quick { 100_000 } else { 1_000_000 };
    let scratch = Scratch::new("migrate");
    let path = scratch.path("v1.sqlite");
    let t = Instant::now();
    build(&path, n);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "migrate: built {n} events in schema 1 ({} MB) in {:.1} s",
        size / 1_000_000,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let store = SqliteStore::open(path.to_str().expect("utf-8 path"), Synchronous::Full)
        .expect("open and migrate");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "migrate: opened (schema 1 -> current) in {secs:.2} s, {:.0} events/s",
        n as f64 / secs
    );
    let head = store.head().expect("head");
    let last = store
        .read_all(&ReadFilter::all(), n, 10)
        .expect("read the last event");
    let counted: i64 = Connection::open(&path)
        .and_then(|c| c.query_row("SELECT count(*) FROM eventfold_events", [], |r| r.get(0)))
        .expect("count");
    store.close().expect("close");
    let ok = head == n && counted as u64 == n && last.len() == 1 && last[0].schema == 1;
    println!(
        "migrate: {} (head {head}, {counted} rows)",
        if ok {
            "every event is there"
        } else {
            "EVENTS LOST"
        }
    );
    ok
}
