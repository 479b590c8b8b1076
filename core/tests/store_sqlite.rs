//! The SQLite store beyond the kit: the upgrade of a wave-1 file (the
//! fixture in `fixtures/v1`, made by that code), positions never reused,
//! and each kind of store error it can give.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use eventfold::store::{self, sqlite::SqliteStore, ReadFilter, Store, Synchronous};
use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, Source, StoreErrorKind};
use rusqlite::Connection;
use serde_json::{json, Value as Json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1");

/// A folder of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "eventfold-sqlite-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    /// A copy of the wave-1 fixture.
    fn v1(&self) -> String {
        let path = self.file("v1.sqlite");
        std::fs::copy(Path::new(FIXTURE).join("v1.sqlite"), &path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every row of `sql` as a list of JSON values (integers, reals and text
/// as they are stored).
fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Json>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Json::Null,
                    rusqlite::types::ValueRef::Integer(v) => json!(v),
                    rusqlite::types::ValueRef::Real(v) => json!(v),
                    rusqlite::types::ValueRef::Text(t) => json!(std::str::from_utf8(t).unwrap()),
                    rusqlite::types::ValueRef::Blob(_) => panic!("a blob in {sql}"),
                })
            })
            .collect()
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn user_version(path: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn tables(path: &str) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    rows(
        &conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .into_iter()
    .map(|r| r[0].as_str().unwrap().to_string())
    .collect()
}

/// What a v1 file holds, read with plain SQL before any migration.
struct Dump {
    events: Vec<Vec<Json>>,
    streams: Vec<Vec<Json>>,
    snapshots: Vec<Vec<Json>>,
    commands: Vec<Vec<Json>>,
}

fn dump_v1(path: &str) -> Dump {
    let conn = Connection::open(path).unwrap();
    Dump {
        events: rows(
            &conn,
            "SELECT position, id, stream, version, type, data, metadata FROM events ORDER BY position",
        ),
        streams: rows(&conn, "SELECT stream, model, version FROM streams ORDER BY stream"),
        snapshots: rows(
            &conn,
            "SELECT stream, version, fingerprint, state, checksum FROM snapshots ORDER BY stream",
        ),
        commands: rows(
            &conn,
            "SELECT stream, command_id, first_version, last_version FROM commands \
             ORDER BY stream, command_id",
        ),
    }
}

fn domain() -> Domain {
    let read = |name: &str| std::fs::read_to_string(Path::new(FIXTURE).join(name)).unwrap();
    Domain::compile(&[
        Source::new("todos.model", read("todos.model")),
        Source::new("ledger.model", read("ledger.model")),
    ])
    .unwrap()
}

fn kind(e: &Error) -> Option<StoreErrorKind> {
    match e {
        Error::StoreError { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[test]
fn the_fixture_is_a_wave_1_file() {
    let dir = TempDir::new("fixture");
    let path = dir.v1();
    assert_eq!(user_version(&path), 1);
    assert_eq!(
        tables(&path),
        ["commands", "events", "snapshots", "streams"]
    );
    let d = dump_v1(&path);
    assert_eq!(d.events.len(), 42);
    assert_eq!(d.streams.len(), 6);
    assert_eq!(d.snapshots.len(), 6);
    assert_eq!(d.commands.len(), 30);
    assert!(!Path::new(FIXTURE).join("v1.sqlite-wal").exists());
}

#[test]
fn a_wave_1_file_is_upgraded_with_every_row_intact() {
    let dir = TempDir::new("upgrade");
    let path = dir.v1();
    let before = dump_v1(&path);
    let s = SqliteStore::open(&path, Synchronous::Full).unwrap();

    // Every event, through the store.
    let events = s.read_all(&ReadFilter::all(), 1, usize::MAX).unwrap();
    assert_eq!(events.len(), before.events.len());
    for (e, row) in events.iter().zip(&before.events) {
        let got = vec![
            json!(e.position),
            json!(e.id),
            json!(e.stream),
            json!(e.version),
            json!(e.event_type),
            json!(e.data),
            json!(e.metadata),
        ];
        assert_eq!(&got, row, "event {}", e.position);
        assert_eq!(e.schema, 1, "every migrated event is of shape 1");
    }
    // And by stream, and folded.
    for row in &before.streams {
        let stream = row[0].as_str().unwrap();
        let mine: Vec<&Vec<Json>> = before.events.iter().filter(|e| e[2] == row[0]).collect();
        let read = s.read_stream(stream, 1, usize::MAX).unwrap();
        assert_eq!(read.len(), mine.len());
        assert_eq!(json!(s.version(stream).unwrap()), row[2]);
        let mut folded = Vec::new();
        s.fold(stream, 0, &mut |v, t, schema, d| {
            folded.push(vec![json!(v), json!(t), json!(d)]);
            assert_eq!(schema, 1);
            Ok(())
        })
        .unwrap();
        let want: Vec<Vec<Json>> = mine
            .iter()
            .map(|e| vec![e[3].clone(), e[4].clone(), e[5].clone()])
            .collect();
        assert_eq!(folded, want, "fold of {stream}");
    }
    // Streams, with their models.
    let streams: Vec<Vec<Json>> = s
        .streams(None)
        .unwrap()
        .into_iter()
        .map(|(n, v)| vec![json!(n), json!(v)])
        .collect();
    let want: Vec<Vec<Json>> = before
        .streams
        .iter()
        .map(|r| vec![r[0].clone(), r[2].clone()])
        .collect();
    assert_eq!(streams, want);
    for model in ["Todos", "Ledger"] {
        let of: Vec<Json> = s
            .streams(Some(model))
            .unwrap()
            .into_iter()
            .map(|(n, _)| json!(n))
            .collect();
        let want: Vec<Json> = before
            .streams
            .iter()
            .filter(|r| r[1] == json!(model))
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(of, want, "streams of {model}");
        // The model filter of read_all uses the models of the streams.
        let positions: Vec<Json> = s
            .read_all(
                &ReadFilter {
                    models: vec![model.into()],
                    types: vec![],
                },
                1,
                usize::MAX,
            )
            .unwrap()
            .iter()
            .map(|e| json!(e.position))
            .collect();
        let want: Vec<Json> = before
            .events
            .iter()
            .filter(|e| want.contains(&e[2]))
            .map(|e| e[0].clone())
            .collect();
        assert_eq!(positions, want, "read_all of model {model}");
    }
    // Every snapshot and command record.
    for row in &before.snapshots {
        let snap = s
            .snapshot(row[0].as_str().unwrap(), row[2].as_str().unwrap())
            .unwrap()
            .unwrap();
        let got = vec![
            json!(snap.stream),
            json!(snap.version),
            json!(snap.fingerprint),
            json!(snap.state),
            json!(snap.checksum),
        ];
        assert_eq!(&got, row);
    }
    for row in &before.commands {
        let rec = s
            .command(row[0].as_str().unwrap(), row[1].as_str().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(json!(rec.first_version), row[2]);
        assert_eq!(json!(rec.last_version), row[3]);
    }
    s.close().unwrap();

    // The file itself: the latest version, only eventfold_ tables, the same rows.
    assert_eq!(user_version(&path), 5);
    assert_eq!(
        tables(&path),
        [
            "eventfold_commands",
            "eventfold_events",
            "eventfold_leases",
            "eventfold_models",
            "eventfold_parked",
            "eventfold_projection_tables",
            "eventfold_projections",
            "eventfold_registry",
            "eventfold_snapshots",
            "eventfold_sources",
            "eventfold_streams",
            "eventfold_subscriptions"
        ]
    );
    let conn = Connection::open(&path).unwrap();
    let after = rows(
        &conn,
        "SELECT position, id, stream, version, type, data, metadata FROM eventfold_events \
         ORDER BY position",
    );
    assert_eq!(after, before.events);
    let models = rows(
        &conn,
        "SELECT count(*) FROM eventfold_events e JOIN eventfold_streams s USING (stream) \
         WHERE e.model = s.model AND e.schema = 1",
    );
    assert_eq!(models[0][0], json!(before.events.len()));
    assert_eq!(
        rows(
            &conn,
            "SELECT stream, model, version FROM eventfold_streams ORDER BY stream"
        ),
        before.streams
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT stream, command_id, first_version, last_version FROM eventfold_commands \
             ORDER BY stream, command_id"
        ),
        before.commands
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT stream, version, fingerprint, state, checksum FROM eventfold_snapshots \
             ORDER BY stream"
        ),
        before.snapshots
    );
    let integrity = rows(&conn, "PRAGMA integrity_check");
    assert_eq!(integrity, vec![vec![json!("ok")]]);
}

#[test]
fn the_engine_loads_the_same_states_from_an_upgraded_file_and_appends() {
    let dir = TempDir::new("engine");
    let path = dir.v1();
    let states: serde_json::Map<String, Json> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(FIXTURE).join("v1.states.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(states.len(), 6);
    let engine = Engine::open(
        &format!("sqlite:{path}"),
        domain(),
        EngineOptions::default(),
    )
    .unwrap();
    for (stream, want) in &states {
        let (model, id) = stream.split_once('-').unwrap();
        let got: Json = serde_json::from_str(&engine.load_json(model, id).unwrap()).unwrap();
        assert_eq!(&got, want, "state of {stream}");
    }
    let done = engine
        .execute(
            "Ledger",
            "a",
            &json!({"type": "note-down", "data": {"key": "k9", "amount": 7, "weight": 0.5, "note": "après"}}),
            &ExecuteOptions {
                command_id: Some("after-upgrade".into()),
                ..ExecuteOptions::default()
            },
        )
        .unwrap();
    assert_eq!(done.version, 6);
    // The old command ids still answer: the first result, nothing appended.
    let again = engine
        .execute(
            "Ledger",
            "a",
            &json!({"type": "note-down", "data": {"key": "k0", "amount": 1, "weight": 1.0, "note": "x"}}),
            &ExecuteOptions {
                command_id: Some("rec-a-0".into()),
                ..ExecuteOptions::default()
            },
        )
        .unwrap();
    assert_eq!(again.version, 1);
    let all = engine.read_all(Some(40), None).unwrap();
    let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        vec![40, 41, 42, 43],
        "the new event follows the old ones"
    );
    assert_eq!(all[3].stream, "Ledger-a");
    let ledger = engine
        .read_all_filtered(
            &ReadFilter {
                models: vec!["Ledger".into()],
                types: vec![],
            },
            None,
            None,
        )
        .unwrap();
    assert_eq!(ledger.len(), 16, "15 old Ledger events and the new one");
    assert!(ledger.iter().all(|e| e.stream.starts_with("Ledger-")));
    let changed = engine
        .read_all_filtered(
            &ReadFilter {
                models: vec![],
                types: vec!["text-changed".into(), "done-cleared".into()],
            },
            None,
            None,
        )
        .unwrap();
    let types: Vec<&str> = changed.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["text-changed", "done-cleared"].repeat(3));
    let loaded: Json = serde_json::from_str(&engine.load_json("Ledger", "a").unwrap()).unwrap();
    assert_eq!(loaded["version"], json!(6));
    assert_eq!(loaded["state"]["notes"]["k9"], json!("après"));
    engine.close().unwrap();
}

#[test]
fn several_openers_of_one_old_file_migrate_it_once() {
    let dir = TempDir::new("race");
    let path = dir.v1();
    let before = dump_v1(&path);
    let n = 4;
    let start = Arc::new(Barrier::new(n));
    let openers: Vec<_> = (0..n)
        .map(|_| {
            let (path, start) = (path.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                SqliteStore::open(&path, Synchronous::Full).map(|s| {
                    let count = s.read_all(&ReadFilter::all(), 1, usize::MAX).unwrap().len();
                    s.close().unwrap();
                    count
                })
            })
        })
        .collect();
    for o in openers {
        assert_eq!(o.join().unwrap().unwrap(), before.events.len());
    }
    assert_eq!(user_version(&path), 5);
}

#[test]
fn a_fresh_file_runs_every_migration() {
    let dir = TempDir::new("fresh");
    let path = dir.file("new.db");
    let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    s.close().unwrap();
    assert_eq!(user_version(&path), 5);
    assert_eq!(
        tables(&path),
        [
            "eventfold_commands",
            "eventfold_events",
            "eventfold_leases",
            "eventfold_models",
            "eventfold_parked",
            "eventfold_projection_tables",
            "eventfold_projections",
            "eventfold_registry",
            "eventfold_snapshots",
            "eventfold_sources",
            "eventfold_streams",
            "eventfold_subscriptions"
        ]
    );
}

fn append(s: &dyn Store, stream: &str, n: usize, tag: &str) -> u64 {
    append_data(s, stream, n, tag, "{}")
}

/// `n` events of `data` on `stream`, their ids `tag-i`; the first position.
fn append_data(s: &dyn Store, stream: &str, n: usize, tag: &str, data: &str) -> u64 {
    let mut first = 0;
    s.write(&mut |w| {
        let v = w.version(stream)?;
        first = w.append(&[store::Append {
            stream: stream.into(),
            model: "T".into(),
            expected_version: v,
            events: (0..n)
                .map(|i| store::NewEvent {
                    id: format!("{tag}-{i}"),
                    event_type: "e".into(),
                    schema: 1,
                    data: data.into(),
                    metadata: "{}".into(),
                })
                .collect(),
            command_id: None,
        }])?[0];
        Ok(())
    })
    .unwrap();
    first
}

#[test]
fn a_position_is_never_given_twice() {
    let dir = TempDir::new("autoincrement");
    let path = dir.file("a.db");
    let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    assert_eq!(append(&s, "T-1", 3, "a"), 1);
    // The last event goes behind the store's back.
    let conn = Connection::open(&path).unwrap();
    conn.execute("DELETE FROM eventfold_events WHERE position = 3", [])
        .unwrap();
    drop(conn);
    assert_eq!(s.head().unwrap(), 2);
    let first = append(&s, "T-2", 1, "b");
    assert_eq!(first, 4, "position 3 is not given again");
    s.close().unwrap();
}

#[test]
fn a_file_of_a_newer_schema_is_refused() {
    let dir = TempDir::new("newer");
    let path = dir.file("n.db");
    SqliteStore::open(&path, Synchronous::Normal)
        .unwrap()
        .close()
        .unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let e = SqliteStore::open(&path, Synchronous::Normal).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Unavailable), "{e}");
    assert!(e.to_string().contains("99"), "{e}");
}

#[test]
fn a_file_that_is_no_database_is_corrupt() {
    let dir = TempDir::new("notdb");
    let path = dir.file("text.db");
    std::fs::write(&path, "this is not a database, only text. ".repeat(200)).unwrap();
    let e = SqliteStore::open(&path, Synchronous::Normal).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Corrupt), "{e}");
}

#[test]
fn a_damaged_row_is_corrupt() {
    let dir = TempDir::new("damaged");
    let path = dir.file("d.db");
    let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    append(&s, "T-1", 2, "d");
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE eventfold_events SET data = X'FFFE' WHERE position = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let e = s.read_stream("T-1", 1, 10).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Corrupt), "{e}");
    let e = s.fold("T-1", 0, &mut |_, _, _, _| Ok(())).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Corrupt), "{e}");
    s.close().unwrap();
}

#[test]
fn a_missing_folder_is_unavailable() {
    let dir = TempDir::new("missing");
    let path = dir.file("no/such/folder/x.db");
    let e = SqliteStore::open(&path, Synchronous::Normal).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Unavailable), "{e}");
    let e = store::open(&format!("sqlite:{path}")).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Unavailable), "{e}");
}

#[test]
fn a_bad_url_option_is_unavailable() {
    for url in [
        "sqlite:x.db?busy_timeout=soon",
        "sqlite:x.db?journal=off",
        "sqlite:?synchronous=full",
        "postgres://nowhere",
    ] {
        let e = store::open(url).unwrap_err();
        assert_eq!(kind(&e), Some(StoreErrorKind::Unavailable), "{url}: {e}");
    }
}

#[test]
fn a_writer_held_past_the_busy_timeout_is_busy() {
    let dir = TempDir::new("busy");
    let path = dir.file("b.db");
    let s = store::open(&format!("sqlite:{path}?busy_timeout=20&synchronous=normal")).unwrap();
    append(&*s, "T-1", 1, "before");
    // Another connection takes the write lock and keeps it to the end.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = s.write(&mut |_| Ok(())).unwrap_err();
    assert_eq!(kind(&e), Some(StoreErrorKind::Busy), "{e}");
    // Reads go on (WAL).
    assert_eq!(s.version("T-1").unwrap(), 1);
    other.execute_batch("ROLLBACK").unwrap();
    append(&*s, "T-1", 1, "after");
    assert_eq!(s.version("T-1").unwrap(), 2);
    s.close().unwrap();
}

#[test]
fn wait_sees_the_commits_of_another_connection_at_its_next_call() {
    let dir = TempDir::new("other");
    let path = dir.file("o.db");
    let a = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    // Another store on the same file: what another process would hold.
    let b = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    assert_eq!(a.wait(0, std::time::Duration::ZERO).unwrap(), 0);
    append(&b, "T-1", 2, "other");
    // Not woken (no signal crosses stores), but the next call sees it.
    assert_eq!(a.head().unwrap(), 2);
    assert_eq!(a.wait(0, std::time::Duration::ZERO).unwrap(), 2);
    assert_eq!(
        a.wait(1, std::time::Duration::from_secs(86_400)).unwrap(),
        2
    );
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn open_existing_refuses_a_missing_file_and_creates_nothing() {
    let dir = TempDir::new("existing");
    let path = dir.file("absent.db");
    let Err(e) = store::open_existing(&format!("sqlite:{path}?synchronous=normal")) else {
        panic!("a missing file is an error");
    };
    assert_eq!(kind(&e), Some(StoreErrorKind::Unavailable), "{e}");
    assert!(e.message().contains(&path), "{}", e.message());
    for suffix in ["", "-wal", "-shm"] {
        assert!(!Path::new(&format!("{path}{suffix}")).exists());
    }
    // Once the file exists (written by `open`), `open_existing` reads it.
    drop(store::open(&format!("sqlite:{path}")).unwrap());
    let s = store::open_existing(&format!("sqlite:{path}")).unwrap();
    assert_eq!(s.head().unwrap(), 0);
    assert!(store::open_existing("memory:").is_ok());
}

/// Under a steady load the WAL stays short instead of growing with the
/// data: a commit that grows it by 16,384 pages has the checkpoint thread
/// copy it, and the writer's next commit copies the rest, or the writer
/// copies it all when the thread has not by the next 16,384 pages. Then
/// the next write starts the WAL over, at the start of its file. Before, a
/// writer that never paused kept it growing (the thread never caught up).
#[test]
fn the_wal_stays_short_under_a_writer_that_never_pauses() {
    let dir = TempDir::new("wal-short");
    let path = dir.file("w.db");
    let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    // 500 batches of 100 events of 8 KB: 410 MB.
    let data = format!("{{\"text\":\"{}\"}}", "x".repeat(8 * 1024));
    let batches = 500;
    for b in 0..batches {
        append_data(&s, &format!("T-{b}"), 100, &b.to_string(), &data);
    }
    let wal = std::fs::metadata(format!("{path}-wal")).unwrap().len();
    let written = (batches * 100 * data.len()) as u64;
    // Twice 16,384 frames (a 4 KiB page and a 24-byte header each), once
    // more should the writer's checkpoint meet one of the thread's, and a
    // batch: under 205 MB of the 410 written (468 MB without the hook).
    let bound = (3 * 16384 + 512) * (4096 + 24);
    assert!(
        wal <= bound,
        "the WAL holds {wal} bytes after {written} bytes of events (bound {bound})"
    );
    assert_eq!(s.head().unwrap(), (batches * 100) as u64);
    s.close().unwrap();
    let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    assert_eq!(
        s.head().unwrap(),
        (batches * 100) as u64,
        "every event is there after a reopen"
    );
    s.close().unwrap();
}
