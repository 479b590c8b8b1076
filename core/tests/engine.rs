//! The engine over every store: one behavioural suite run against memory,
//! SQLite and PostgreSQL (given a test server), then concurrency (threads and processes), idempotency,
//! snapshots and the crash test.
//!
//! The tests that need other processes re-run this test binary with
//! `EVENTFOLD_CHILD` set: `child_process` then plays the part it names.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventfold::store::{memory::MemoryStore, Store};
use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, ExecuteRequest, Source};
use serde_json::{json, Value as Json};

const TODOS: &str = include_str!("../../examples/todos/todos.model");

const COUNTER: &str = r#"
model Counter {
  state {
    count: int
    last: string
  }
  command add(who: string = "", by: int = 1) {
    reject negative "by must not be negative" if by < 0
    emit added(who, by)
  }
  command nothing() {
  }
  event added(who: string, by: int) {
    set count = count + by
    set last = who
  }
  query total(): int = count
}
"#;

fn domain() -> Domain {
    Domain::compile(&[
        Source::new("todos.model", TODOS),
        Source::new("counter.model", COUNTER),
    ])
    .unwrap()
}

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// A fresh SQLite file in a folder of its own under the system's temp
/// folder, removed when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn dir(&self) -> &std::path::Path {
        self.0.parent().unwrap()
    }

    fn url(&self) -> String {
        format!("sqlite:{}?synchronous=normal", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.dir());
    }
}

fn temp_db(name: &str) -> TempDb {
    let dir = std::env::temp_dir().join(format!(
        "eventfold-tests-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDb(dir.join(format!("{name}.db")))
}

fn open(url: &str) -> Engine {
    Engine::open(url, domain(), EngineOptions::default()).unwrap()
}

fn opts() -> ExecuteOptions {
    ExecuteOptions::default()
}

fn create(id: &str, text: &str) -> Json {
    json!({"type": "create-new", "data": {"id": id, "text": text}})
}

fn add(who: &str) -> Json {
    json!({"type": "add", "data": {"who": who}})
}

// ---- the behavioural suite, once per store ----

fn suite(url: &str) {
    let e = open(url);
    behaviour_execute_and_read(&e);
    behaviour_rejections(&e);
    behaviour_expected_version(&e);
    behaviour_idempotency(&e);
    behaviour_batches(&e);
    behaviour_json(&e);
    behaviour_close(&e);
}

#[test]
fn suite_on_memory() {
    suite("memory:");
}

mod pg;

/// A fresh PostgreSQL schema when a test server is given.
fn postgres(prefix: &str) -> Option<pg::Schema> {
    pg::Schema::new(prefix)
}

#[test]
fn suite_on_postgres() {
    if let Some(schema) = postgres("engine_suite") {
        suite(&schema.url());
    }
}

#[test]
fn suite_on_sqlite() {
    let db = temp_db("suite");
    suite(&db.url());
}

fn behaviour_execute_and_read(e: &Engine) {
    let r = e
        .execute("Todos", "home", &create("a", "milk"), &opts())
        .unwrap();
    assert_eq!(r.stream, "Todos-home");
    assert_eq!(r.version, 1);
    assert_eq!(r.events.len(), 1);
    let ev = &r.events[0];
    assert_eq!(ev.event_type, "created");
    assert_eq!(ev.version, 1);
    assert!(ev.position >= 1);
    assert_eq!(uuid::Uuid::parse_str(&ev.id).unwrap().get_version_num(), 7);
    assert_eq!(
        ev.data.to_json_string(),
        r#"{"id":"a","text":"milk","completed":false}"#
    );
    for key in [
        "recorded_at",
        "command_id",
        "correlation_id",
        "causation_id",
    ] {
        assert!(ev.metadata.contains_key(key), "metadata has {key}");
    }
    e.execute("Todos", "home", &create("b", "bread"), &opts())
        .unwrap();
    let r = e
        .execute(
            "Todos",
            "home",
            &json!({"type": "change-completed", "data": {"id": "a", "completed": true}}),
            &opts(),
        )
        .unwrap();
    assert_eq!(r.version, 3);
    let loaded = e.load("Todos", "home").unwrap();
    assert_eq!(loaded.version, 3);
    assert_eq!(
        e.query("Todos", "home", "remaining", &Json::Null)
            .unwrap()
            .to_json_string(),
        "1"
    );
    let events = e.read_stream("Todos-home", None, None).unwrap();
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let tail = e.read_stream("Todos-home", Some(2), Some(1)).unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].version, 2);
    // The same events, replayed by the pure domain, give the loaded state.
    let typed: Vec<_> = events
        .iter()
        .map(|s| {
            e.domain()
                .event(
                    "Todos",
                    &json!({"type": s.event_type, "data": s.data.to_json()}),
                )
                .unwrap()
        })
        .collect();
    let replayed = e.domain().replay("Todos", typed.iter(), None).unwrap();
    assert_eq!(replayed, loaded.state);

    e.execute("Counter", "c1", &add("x"), &opts()).unwrap();
    let all = e.read_all(None, None).unwrap();
    let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(all.len(), 4);
    let streams = e.streams(None).unwrap();
    assert_eq!(
        streams
            .iter()
            .map(|s| (s.stream.as_str(), s.version))
            .collect::<Vec<_>>(),
        vec![("Counter-c1", 1), ("Todos-home", 3)]
    );
    assert_eq!(e.streams(Some("Counter")).unwrap().len(), 1);
    // A stream without events: version 0 and the initial state.
    let empty = e.load("Todos", "nobody").unwrap();
    assert_eq!(empty.version, 0);
    assert_eq!(empty.state, e.domain().initial_state("Todos").unwrap());
    // A command without events appends nothing.
    let r = e
        .execute("Counter", "c1", &json!({"type": "nothing"}), &opts())
        .unwrap();
    assert_eq!((r.version, r.events.len()), (1, 0));
}

fn behaviour_rejections(e: &Engine) {
    let before = e.load("Todos", "home").unwrap();
    let err = e
        .execute("Todos", "home", &create("a", "again"), &opts())
        .unwrap_err();
    assert_eq!(err.code(), "rejected");
    assert_eq!(err.to_json()["reason"], "duplicate");
    assert_eq!(e.load("Todos", "home").unwrap(), before);
    let err = e
        .execute("Todos", "home", &json!({"type": "fly"}), &opts())
        .unwrap_err();
    assert_eq!(err.code(), "unknown_command");
    let err = e.execute("Nope", "x", &add("a"), &opts()).unwrap_err();
    assert_eq!(err.code(), "unknown_model");
    let err = e.execute("Counter", "", &add("a"), &opts()).unwrap_err();
    assert_eq!(err.code(), "invalid_command");
    // The state is still good after a rejection (it was left in place).
    let r = e
        .execute("Todos", "home", &create("c", "eggs"), &opts())
        .unwrap();
    assert_eq!(r.version, before.version + 1);
}

fn behaviour_expected_version(e: &Engine) {
    let v = e.load("Counter", "ev").unwrap().version;
    assert_eq!(v, 0);
    let o = |v| ExecuteOptions {
        expected_version: Some(v),
        ..opts()
    };
    e.execute("Counter", "ev", &add("a"), &o(0)).unwrap();
    let err = e.execute("Counter", "ev", &add("b"), &o(0)).unwrap_err();
    assert_eq!(
        err,
        Error::VersionConflict {
            expected: 0,
            actual: 1
        }
    );
    assert_eq!(err.to_json()["actual"], 1);
    e.execute("Counter", "ev", &add("c"), &o(1)).unwrap();
    assert_eq!(e.load("Counter", "ev").unwrap().version, 2);
}

fn behaviour_idempotency(e: &Engine) {
    let o = ExecuteOptions {
        command_id: Some("cmd-1".into()),
        ..opts()
    };
    let first = e.execute("Counter", "idem", &add("a"), &o).unwrap();
    let again = e.execute("Counter", "idem", &add("a"), &o).unwrap();
    assert_eq!(first, again);
    assert_eq!(e.load("Counter", "idem").unwrap().version, 1);
    assert_eq!(first.events[0].metadata.get("command_id").unwrap(), "cmd-1");
    // The id in the command's envelope works the same.
    let cmd = json!({"type": "add", "id": "cmd-2", "data": {"who": "b"}});
    let first = e.execute("Counter", "idem", &cmd, &opts()).unwrap();
    assert_eq!(e.execute("Counter", "idem", &cmd, &opts()).unwrap(), first);
    assert_eq!(e.load("Counter", "idem").unwrap().version, 2);
    // Even with an expected version that has moved on.
    let stale = ExecuteOptions {
        expected_version: Some(0),
        ..o.clone()
    };
    assert_eq!(
        e.execute("Counter", "idem", &add("a"), &stale)
            .unwrap()
            .version,
        1
    );
    // The same id on another stream is another command.
    let other = e.execute("Counter", "idem2", &add("a"), &o).unwrap();
    assert_eq!(other.stream, "Counter-idem2");
}

fn behaviour_batches(e: &Engine) {
    let req = |id: &str, cmd: Json| ExecuteRequest {
        model: "Counter".into(),
        id: id.into(),
        command: cmd,
        options: opts(),
    };
    let out = e
        .execute_many(&[
            req("b1", add("a")),
            req("b2", add("b")),
            req("b1", add("c")),
        ])
        .unwrap();
    assert_eq!(
        out.iter()
            .map(|r| (r.stream.as_str(), r.version))
            .collect::<Vec<_>>(),
        vec![("Counter-b1", 1), ("Counter-b2", 1), ("Counter-b1", 2)]
    );
    let positions: Vec<u64> = out.iter().map(|r| r.events[0].position).collect();
    assert!(positions.windows(2).all(|w| w[0] + 1 == w[1]));
    // One rejection: nothing of the batch is appended.
    let bad = json!({"type": "add", "data": {"by": -1}});
    let err = e
        .execute_many(&[req("b1", add("d")), req("b3", add("e")), req("b1", bad)])
        .unwrap_err();
    assert_eq!(err.code(), "rejected");
    assert!(err.message().contains("command 2"), "{}", err.message());
    assert_eq!(e.load("Counter", "b1").unwrap().version, 2);
    assert_eq!(e.load("Counter", "b3").unwrap().version, 0);
    assert_eq!(
        e.load("Counter", "b1")
            .unwrap()
            .state
            .as_record()
            .unwrap()
            .get("count")
            .unwrap()
            .to_json_string(),
        "2"
    );
    // A stale expected version in a batch: conflict, nothing appended.
    let mut stale = req("b2", add("f"));
    stale.options.expected_version = Some(0);
    let err = e.execute_many(&[req("b1", add("g")), stale]).unwrap_err();
    assert_eq!(err.code(), "version_conflict");
    assert_eq!(e.load("Counter", "b1").unwrap().version, 2);
    // The same command id twice in a batch runs once.
    let mut r1 = req("b4", add("h"));
    r1.options.command_id = Some("same".into());
    let out = e.execute_many(&[r1.clone(), r1]).unwrap();
    assert_eq!(out[0], out[1]);
    assert_eq!(e.load("Counter", "b4").unwrap().version, 1);
    assert!(e.execute_many(&[]).unwrap().is_empty());
}

fn behaviour_json(e: &Engine) {
    let out = e
        .execute_json(
            "Counter",
            "js",
            r#"{"type": "add", "data": {"who": "j"}}"#,
            Some(r#"{"metadata": {"user": "ann", "n": 3}, "correlation_id": "corr", "command_id": "k1"}"#),
        )
        .unwrap();
    let out: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(out["version"], 1);
    let meta = &out["events"][0]["metadata"];
    assert_eq!(meta["user"], "ann");
    assert_eq!(meta["n"], 3);
    assert_eq!(meta["correlation_id"], "corr");
    assert_eq!(meta["causation_id"], "k1");
    assert_eq!(meta["command_id"], "k1");
    let read = e.read_stream_json("Counter-js", None).unwrap();
    let read: Json = serde_json::from_str(&read).unwrap();
    assert_eq!(read[0], out["events"][0]);
    let loaded: Json = serde_json::from_str(&e.load_json("Counter", "js").unwrap()).unwrap();
    assert_eq!(
        loaded,
        json!({"state": {"count": 1, "last": "j"}, "version": 1})
    );
    assert_eq!(e.query_json("Counter", "js", "total", None).unwrap(), "1");
    let streams: Json =
        serde_json::from_str(&e.streams_json(Some(r#"{"model": "Counter"}"#)).unwrap()).unwrap();
    assert!(streams
        .as_array()
        .unwrap()
        .contains(&json!({"stream": "Counter-js", "version": 1})));
    let all: Json = serde_json::from_str(
        &e.read_all_json(Some(r#"{"from_position": 2, "limit": 3}"#))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["position"], 2);
    // Filters: every event of the store passes through exactly one of the
    // two model filters, and the type filter keeps only its type.
    let every: Json = serde_json::from_str(&e.read_all_json(None).unwrap()).unwrap();
    let every = every.as_array().unwrap();
    let of = |options: &str| -> Vec<Json> {
        let out: Json = serde_json::from_str(&e.read_all_json(Some(options)).unwrap()).unwrap();
        out.as_array().unwrap().clone()
    };
    let counters = of(r#"{"models": ["Counter"]}"#);
    let todos = of(r#"{"models": ["Todos"]}"#);
    assert!(!counters.is_empty() && !todos.is_empty());
    assert_eq!(counters.len() + todos.len(), every.len());
    assert!(counters
        .iter()
        .all(|ev| ev["stream"].as_str().unwrap().starts_with("Counter-")));
    let added = of(r#"{"types": ["added"], "models": ["Counter", "Todos"]}"#);
    assert_eq!(
        added.len(),
        counters.len(),
        "every Counter event is `added`"
    );
    assert!(of(r#"{"types": ["no-such-type"]}"#).is_empty());
    let positions: Vec<u64> = counters
        .iter()
        .map(|ev| ev["position"].as_u64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in position order"
    );
    let paged = of(&format!(
        r#"{{"models": ["Counter"], "from_position": {}, "limit": 2}}"#,
        positions[1]
    ));
    assert_eq!(paged, counters[1..3.min(counters.len())].to_vec());
    let many = e
        .execute_many_json(r#"[{"model": "Counter", "id": "js", "command": {"type": "add"}, "options": {"expected_version": 1}}]"#)
        .unwrap();
    let many: Json = serde_json::from_str(&many).unwrap();
    assert_eq!(many[0]["version"], 2);
    for (bad, code) in [
        (e.execute_json("Counter", "js", "{", None), "invalid_json"),
        (
            e.execute_json(
                "Counter",
                "js",
                r#"{"type": "add"}"#,
                Some(r#"{"expected_version": -1}"#),
            ),
            "invalid_command",
        ),
        (
            e.execute_json(
                "Counter",
                "js",
                r#"{"type": "add"}"#,
                Some(r#"{"nope": 1}"#),
            ),
            "invalid_command",
        ),
        (
            e.read_stream_json("Counter-js", Some(r#"{"limit": "x"}"#)),
            "invalid_command",
        ),
        (
            e.execute_many_json(r#"{"model": "Counter"}"#),
            "invalid_command",
        ),
        (
            e.read_all_json(Some(r#"{"models": "Counter"}"#)),
            "invalid_command",
        ),
    ] {
        assert_eq!(bad.unwrap_err().code(), code);
    }
}

fn behaviour_close(e: &Engine) {
    let clone = e.clone();
    e.close().unwrap();
    e.close().unwrap();
    let checks: Vec<Result<(), Error>> = vec![
        clone
            .execute("Counter", "x", &add("a"), &opts())
            .map(|_| ()),
        clone.execute_many(&[]).map(|_| ()),
        clone.load("Counter", "x").map(|_| ()),
        clone
            .query("Counter", "x", "total", &Json::Null)
            .map(|_| ()),
        clone.read_stream("Counter-x", None, None).map(|_| ()),
        clone.read_all(None, None).map(|_| ()),
        clone.streams(None).map(|_| ()),
        clone.execute_json("Counter", "x", "{}", None).map(|_| ()),
        clone.read_all_json(None).map(|_| ()),
    ];
    for c in checks {
        let err = c.unwrap_err();
        assert_eq!(err.code(), "store_error");
        assert!(err.message().contains("closed"), "{}", err.message());
    }
}

#[test]
fn engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Arc<dyn Store>>();
}

#[test]
fn a_bad_store_url_is_a_clear_error() {
    for url in [
        "postgres://x",
        "sqlite:",
        "sqlite:/tmp/x.db?synchronous=maybe",
        "",
    ] {
        let err = Engine::open(url, domain(), EngineOptions::default()).unwrap_err();
        assert_eq!(err.code(), "store_error", "{url}");
    }
    let dir = temp_db("dir");
    let err = Engine::open(
        &format!("sqlite:{}", dir.dir().display()),
        domain(),
        EngineOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "store_error");
}

// ---- threads ----

fn eight_threads(url: &str) {
    let e = open(url);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..40 {
                    e.execute("Counter", "shared", &add(&format!("t{t}")), &opts())
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let loaded = e.load("Counter", "shared").unwrap();
    assert_eq!(loaded.version, 320);
    assert_eq!(
        loaded
            .state
            .as_record()
            .unwrap()
            .get("count")
            .unwrap()
            .to_json_string(),
        "320"
    );
    let versions: Vec<u64> = e
        .read_stream("Counter-shared", None, None)
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, (1..=320).collect::<Vec<_>>());
}

#[test]
fn eight_threads_on_one_stream_lose_no_update_in_memory() {
    eight_threads("memory:");
}

#[test]
fn eight_threads_on_one_stream_lose_no_update_on_sqlite() {
    let db = temp_db("threads");
    eight_threads(&db.url());
}

#[test]
fn eight_threads_on_one_stream_lose_no_update_on_postgres() {
    if let Some(schema) = postgres("engine_threads") {
        eight_threads(&schema.url());
    }
}

/// Two engines on one store (as two processes would be): their caches go
/// stale, and the store's version check catches it.
#[test]
fn two_engines_on_one_file_stay_consistent() {
    let db = temp_db("two");
    let schema = postgres("engine_two");
    for url in std::iter::once(db.url()).chain(schema.as_ref().map(pg::Schema::url)) {
        let a = open(&url);
        let b = open(&url);
        a.execute("Counter", "s", &add("a"), &opts()).unwrap();
        assert_eq!(b.load("Counter", "s").unwrap().version, 1);
        b.execute("Counter", "s", &add("b"), &opts()).unwrap();
        // `a` holds version 1 in its cache; it retries on fresh state.
        let r = a.execute("Counter", "s", &add("a"), &opts()).unwrap();
        assert_eq!(r.version, 3);
        let stale = ExecuteOptions {
            expected_version: Some(3),
            ..opts()
        };
        b.execute("Counter", "s", &add("b"), &stale).unwrap();
        assert_eq!(a.load("Counter", "s").unwrap().version, 4);
        let err = a.execute("Counter", "s", &add("a"), &stale).unwrap_err();
        assert_eq!(
            err,
            Error::VersionConflict {
                expected: 3,
                actual: 4
            }
        );
    }
}

// ---- snapshots ----

const COUNTER_TIMES_TEN: &str = r#"
model Counter {
  state {
    count: int
    last: string
  }
  command add(who: string = "", by: int = 1) {
    emit added(who, by)
  }
  event added(who: string, by: int) {
    set count = count + by * 10
    set last = who
  }
}
"#;

fn count(e: &Engine, id: &str) -> String {
    e.load("Counter", id)
        .unwrap()
        .state
        .as_record()
        .unwrap()
        .get("count")
        .unwrap()
        .to_json_string()
}

fn snapshot_options() -> EngineOptions {
    EngineOptions {
        snapshot_every: 10,
        ..EngineOptions::default()
    }
}

#[test]
fn snapshots_are_taken_and_used() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    // Without a cache every state leaves at once, so it gets its snapshots
    // as they fall due (a cached one waits: it needs none while hot).
    let uncached = EngineOptions {
        cache_capacity: 0,
        ..snapshot_options()
    };
    let e = Engine::with_store(store.clone(), domain(), uncached).unwrap();
    for _ in 0..25 {
        e.execute("Counter", "s", &add("a"), &opts()).unwrap();
        // Written in the background: wait for each, to know which exist.
        e.flush_snapshots();
    }
    let snap = store
        .snapshot("Counter-s", &counter_fp())
        .unwrap()
        .expect("a snapshot");
    assert_eq!(snap.version, 20);
    // A fresh engine (cold cache) starts from the snapshot.
    let cold = Engine::with_store(store, domain(), snapshot_options()).unwrap();
    assert_eq!(count(&cold, "s"), "25");
    assert_eq!(cold.load("Counter", "s").unwrap().version, 25);
}

#[test]
fn a_changed_model_ignores_old_snapshots() {
    let db = temp_db("fingerprint");
    changed_model_ignores_old_snapshots(&db.url(), &|| {
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.query_row("SELECT version FROM eventfold_snapshots", [], |r| r.get(0))
            .unwrap()
    });
    if let Some(schema) = postgres("engine_fingerprint") {
        changed_model_ignores_old_snapshots(&schema.url(), &|| {
            let sql = format!("SELECT version FROM {}.eventfold_snapshots", schema.name);
            schema.client().query_one(&sql, &[]).unwrap().get(0)
        });
    }
}

/// `stored_version`: the version of the one snapshot in the store.
fn changed_model_ignores_old_snapshots(url: &str, stored_version: &dyn Fn() -> i64) {
    let e = Engine::open(url, domain(), snapshot_options()).unwrap();
    for _ in 0..25 {
        e.execute("Counter", "s", &add("a"), &opts()).unwrap();
    }
    // The stream is hot (cached) all along: it gets its snapshot as the
    // engine closes.
    e.close().unwrap();
    assert_eq!(stored_version(), 25, "close writes the snapshots due");
    let changed = Domain::compile(&[Source::new("c.model", COUNTER_TIMES_TEN)]).unwrap();
    assert_ne!(
        eventfold::engine::fingerprint(&changed, "Counter").unwrap(),
        eventfold::engine::fingerprint(&domain(), "Counter").unwrap()
    );
    let e2 = Engine::open(url, changed, snapshot_options()).unwrap();
    // From the snapshot it would be 25: wrong.
    assert_eq!(count(&e2, "s"), "250");
    e2.close().unwrap();
    // And back: the old model replays too (the snapshot is now the new one's).
    let e3 = Engine::open(url, domain(), snapshot_options()).unwrap();
    assert_eq!(count(&e3, "s"), "25");
}

#[test]
fn a_corrupted_snapshot_falls_back_to_replay() {
    let db = temp_db("corrupt");
    let (path, url) = (db.path(), db.url());
    let e = Engine::open(&url, domain(), snapshot_options()).unwrap();
    for _ in 0..25 {
        e.execute("Counter", "s", &add("a"), &opts()).unwrap();
    }
    e.close().unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    for (sql, what) in [
        (
            "UPDATE eventfold_snapshots SET state = '{not json'",
            "not JSON",
        ),
        (
            r#"UPDATE eventfold_snapshots SET state = '{"count":999,"last":"a"}'"#,
            "valid JSON, wrong state",
        ),
        (
            r#"UPDATE eventfold_snapshots SET state = '{"count":"x"}'"#,
            "wrong type",
        ),
        ("UPDATE eventfold_snapshots SET state = x'00ff'", "a blob"),
        (
            "UPDATE eventfold_snapshots SET version = 100",
            "past the end",
        ),
        (
            "UPDATE eventfold_snapshots SET checksum = 'x'",
            "bad checksum",
        ),
        ("UPDATE eventfold_snapshots SET fingerprint = NULL", "null"),
        ("DELETE FROM eventfold_snapshots", "gone"),
    ] {
        // Start each time from a good snapshot.
        let e = Engine::open(&url, domain(), snapshot_options()).unwrap();
        e.rebuild_snapshots(None, &mut |_, _| {}).unwrap();
        e.close().unwrap();
        conn.execute_batch(sql).ok();
        let e = Engine::open(&url, domain(), snapshot_options()).unwrap();
        assert_eq!(count(&e, "s"), "25", "{what}");
        assert_eq!(e.load("Counter", "s").unwrap().version, 25, "{what}");
        e.close().unwrap();
    }
    // Even without a snapshots table, loads replay and appends go on.
    conn.execute_batch("DROP TABLE eventfold_snapshots")
        .unwrap();
    let e = Engine::open(&url, domain(), snapshot_options()).unwrap();
    assert_eq!(count(&e, "s"), "25");
    for _ in 0..10 {
        e.execute("Counter", "s", &add("a"), &opts()).unwrap();
    }
    assert_eq!(count(&e, "s"), "35");
}

// ---- processes ----

fn child(role: &str, url: &str, out: &std::path::Path, extra: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("EVENTFOLD_CHILD", role)
    .env("EVENTFOLD_URL", url)
    .env("EVENTFOLD_OUT", out)
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// Not a test of its own: the body of the child processes.
#[test]
fn child_process() {
    let Ok(role) = std::env::var("EVENTFOLD_CHILD") else {
        return;
    };
    let url = std::env::var("EVENTFOLD_URL").unwrap();
    let out = std::env::var("EVENTFOLD_OUT").unwrap();
    let mut acks = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out)
        .unwrap();
    match role.as_str() {
        "racer" => racer(&url, &mut acks),
        "writer" => writer(&url, &mut acks),
        "adder" => adder(&url, &mut acks),
        other => panic!("unknown role {other}"),
    }
}

const RACE_TARGET: u64 = 60;

/// Appends to one stream with `expected_version` until it holds
/// `RACE_TARGET` events; writes each version it won.
fn racer(url: &str, acks: &mut std::fs::File) {
    let me = std::env::var("EVENTFOLD_NAME").unwrap();
    let e = open(url);
    loop {
        let v = e.load("Counter", "race").unwrap().version;
        if v >= RACE_TARGET {
            return;
        }
        let o = ExecuteOptions {
            expected_version: Some(v),
            ..opts()
        };
        match e.execute("Counter", "race", &add(&me), &o) {
            Ok(r) => writeln!(acks, "{}", r.version).unwrap(),
            Err(Error::VersionConflict { expected, actual }) => {
                assert_eq!(expected, v);
                assert!(actual > v);
            }
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn four_processes_race_with_expected_version() {
    let db = temp_db("race");
    four_racers(&db.url(), db.dir());
}

#[test]
fn four_processes_race_with_expected_version_on_postgres() {
    if let Some(schema) = postgres("engine_race") {
        four_racers(&schema.url(), temp_db("race").dir());
    }
}

/// Four racer processes on the store at `url`, writing their wins to files
/// in `dir`.
fn four_racers(url: &str, dir: &std::path::Path) {
    open(url).close().unwrap();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let out = dir.join(format!("racer{i}.txt"));
            let child = child("racer", url, &out, &[("EVENTFOLD_NAME", format!("p{i}"))])
                .spawn()
                .unwrap();
            (format!("p{i}"), out, child)
        })
        .collect();
    let mut winner: BTreeMap<u64, String> = BTreeMap::new();
    for (name, out, mut child) in children {
        assert!(child.wait().unwrap().success());
        for line in std::fs::read_to_string(out).unwrap().lines() {
            let v: u64 = line.parse().unwrap();
            assert!(
                winner.insert(v, name.clone()).is_none(),
                "version {v} won twice"
            );
        }
    }
    assert_eq!(
        winner.keys().copied().collect::<Vec<_>>(),
        (1..=RACE_TARGET).collect::<Vec<_>>()
    );
    let e = open(url);
    let events = e.read_stream("Counter-race", None, None).unwrap();
    assert_eq!(events.len() as u64, RACE_TARGET);
    for ev in &events {
        let who = ev
            .data
            .as_record()
            .unwrap()
            .get("who")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(winner[&ev.version], who, "version {}", ev.version);
    }
}

const ADDS: u64 = 40;

/// Adds to one stream without `expected_version`: lost races are retried
/// by the engine on fresh state.
fn adder(url: &str, acks: &mut std::fs::File) {
    let me = std::env::var("EVENTFOLD_NAME").unwrap();
    let e = open(url);
    for _ in 0..ADDS {
        let r = e.execute("Counter", "adders", &add(&me), &opts()).unwrap();
        writeln!(acks, "{}", r.version).unwrap();
    }
}

#[test]
fn four_processes_without_expected_version_lose_no_update() {
    let db = temp_db("adders");
    // No file yet: the four create it at once.
    four_adders(&db.url(), db.dir());
}

#[test]
fn four_processes_without_expected_version_lose_no_update_on_postgres() {
    // No schema yet: the four create it at once.
    if let Some(schema) = postgres("engine_adders") {
        four_adders(&schema.url(), temp_db("adders").dir());
    }
}

/// Four adder processes on the store at `url`, writing their versions to
/// files in `dir`.
fn four_adders(url: &str, dir: &std::path::Path) {
    let children: Vec<_> = (0..4)
        .map(|i| {
            let out = dir.join(format!("adder{i}.txt"));
            let child = child("adder", url, &out, &[("EVENTFOLD_NAME", format!("p{i}"))])
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    let mut versions = Vec::new();
    for (out, mut child) in children {
        assert!(child.wait().unwrap().success(), "every command succeeds");
        for line in std::fs::read_to_string(out).unwrap().lines() {
            versions.push(line.parse::<u64>().unwrap());
        }
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=4 * ADDS).collect::<Vec<_>>());
    let e = open(url);
    assert_eq!(count(&e, "adders"), (4 * ADDS).to_string());
}

/// Writes batches of 1 to 4 commands over a few streams until killed; after
/// each commit, one line of the acknowledged result.
fn writer(url: &str, acks: &mut std::fs::File) {
    let e = Engine::open(
        url,
        domain(),
        EngineOptions {
            snapshot_every: 7,
            ..EngineOptions::default()
        },
    )
    .unwrap();
    let mut n: u64 = std::process::id() as u64;
    loop {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let size = 1 + (n >> 33) % 4;
        let batch = uuid::Uuid::now_v7().to_string();
        let requests: Vec<ExecuteRequest> = (0..size)
            .map(|i| {
                let stream = (n >> (40 + i)) % 3;
                let mut metadata = serde_json::Map::new();
                metadata.insert("batch".into(), json!(batch));
                metadata.insert("size".into(), json!(size));
                ExecuteRequest {
                    model: "Counter".into(),
                    id: format!("crash{stream}"),
                    command: json!({"type": "add", "data": {"who": format!("{batch}/{i}"), "by": i}}),
                    options: ExecuteOptions {
                        metadata: Some(metadata),
                        ..opts()
                    },
                }
            })
            .collect();
        let done = e.execute_many(&requests).unwrap();
        let line = serde_json::to_string(&done).unwrap();
        acks.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
}

#[test]
fn killed_writers_lose_no_acknowledged_event() {
    let db = temp_db("crash");
    let path = db.path();
    // FULL, the default: what a user gets.
    let url = format!("sqlite:{}", path.display());
    let acks_path = db.dir().join("acks.jsonl");
    kill_writers(&url, &acks_path);
    let conn = rusqlite::Connection::open(path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(conn);
    check_acknowledged(&url, &acks_path);
}

#[test]
fn killed_writers_lose_no_acknowledged_event_on_postgres() {
    if let Some(schema) = postgres("engine_crash") {
        let db = temp_db("crash");
        let acks_path = db.dir().join("acks.jsonl");
        kill_writers(&schema.url(), &acks_path);
        check_acknowledged(&schema.url(), &acks_path);
    }
}

/// Starts writer processes on `url` and SIGKILLs them, again and again;
/// they write what was acknowledged to `acks_path`.
fn kill_writers(url: &str, acks_path: &std::path::Path) {
    open(url).close().unwrap();
    let kills = 50;
    let started = Instant::now();
    let mut n: u64 = 7;
    let size = || std::fs::metadata(acks_path).map_or(0, |m| m.len());
    for _ in 0..kills {
        let before = size();
        let mut child = child("writer", url, acks_path, &[]).spawn().unwrap();
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Once it is writing (its first acknowledgement is in the file:
        // start-up takes long on a loaded machine, a PostgreSQL one the
        // longest), kill it anywhere in what follows.
        let waiting = Instant::now();
        while size() == before && waiting.elapsed() < Duration::from_secs(120) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis((n >> 33) % 90));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    eprintln!("{kills} kills in {:?}", started.elapsed());
}

/// Every event acknowledged in `acks_path` is in the store at `url`, which
/// holds no partial batch, and whose states equal a replay.
fn check_acknowledged(url: &str, acks_path: &std::path::Path) {
    let e = Engine::open(url, domain(), snapshot_options()).unwrap();
    let stored: Json = serde_json::from_str(&e.read_all_json(None).unwrap()).unwrap();
    let stored = stored.as_array().unwrap();
    assert!(!stored.is_empty(), "the writers wrote nothing");
    let by_id: HashMap<&str, &Json> = stored
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    assert_eq!(by_id.len(), stored.len(), "event ids are unique");

    // Every acknowledged event is there, byte for byte.
    let text = std::fs::read_to_string(acks_path).unwrap();
    let mut acked = 0;
    for line in text.lines() {
        // The last line may be torn by the kill: it was never acknowledged.
        let Ok(batch) = serde_json::from_str::<Json>(line) else {
            continue;
        };
        for executed in batch.as_array().unwrap() {
            for ev in executed["events"].as_array().unwrap() {
                let got = by_id
                    .get(ev["id"].as_str().unwrap())
                    .expect("acknowledged event present");
                assert_eq!(
                    serde_json::to_string(got).unwrap(),
                    serde_json::to_string(ev).unwrap()
                );
                acked += 1;
            }
        }
    }
    assert!(acked > 0, "no acknowledged event to check");

    // Positions increase; versions are contiguous; no batch is partial.
    let positions: Vec<u64> = stored
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let mut versions: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut batches: HashMap<&str, (u64, u64)> = HashMap::new();
    for ev in stored {
        versions
            .entry(ev["stream"].as_str().unwrap())
            .or_default()
            .push(ev["version"].as_u64().unwrap());
        let b = batches
            .entry(ev["metadata"]["batch"].as_str().unwrap())
            .or_insert((0, ev["metadata"]["size"].as_u64().unwrap()));
        b.0 += 1;
    }
    for (stream, v) in &versions {
        assert_eq!(*v, (1..=v.len() as u64).collect::<Vec<_>>(), "{stream}");
    }
    for (batch, (got, size)) in &batches {
        assert_eq!(got, size, "batch {batch} is partial");
    }
    // States from snapshots and the cache equal a replay from the events.
    let seen: HashSet<&str> = versions.keys().copied().collect();
    for stream in seen {
        let id = stream.strip_prefix("Counter-").unwrap();
        let events: Vec<_> = e
            .read_stream(stream, None, None)
            .unwrap()
            .iter()
            .map(|s| {
                e.domain()
                    .event(
                        "Counter",
                        &json!({"type": s.event_type, "data": s.data.to_json()}),
                    )
                    .unwrap()
            })
            .collect();
        let replayed = e.domain().replay("Counter", events.iter(), None).unwrap();
        assert_eq!(e.load("Counter", id).unwrap().state, replayed, "{stream}");
    }
    eprintln!("{} events stored, {acked} acknowledged", stored.len());
}

#[test]
fn no_cache_and_no_snapshots_still_work() {
    let db = temp_db("nocache");
    let schema = postgres("engine_nocache");
    let urls = ["memory:".to_string(), db.url()]
        .into_iter()
        .chain(schema.as_ref().map(pg::Schema::url));
    for url in urls {
        let e = Engine::open(
            &url,
            domain(),
            EngineOptions {
                cache_capacity: 0,
                snapshot_every: 0,
                max_attempts: 0,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        for _ in 0..12 {
            e.execute("Counter", "n", &add("a"), &opts()).unwrap();
        }
        assert_eq!(count(&e, "n"), "12", "{url}");
        let err = e
            .execute(
                "Counter",
                "n",
                &json!({"type": "add", "data": {"by": -1}}),
                &opts(),
            )
            .unwrap_err();
        assert_eq!(err.code(), "rejected");
        assert_eq!(e.load("Counter", "n").unwrap().version, 12);
    }
}

/// The fingerprint the engine gives Counter's snapshots.
fn counter_fp() -> String {
    eventfold::engine::fingerprint(&domain(), "Counter").unwrap()
}

/// A batch over cold streams, some with snapshots, one longer than what a
/// store reads ahead at once (PostgreSQL: 10,000 events), and one stream
/// twice: every result and state is what a full replay gives.
fn batches_load_cold_streams_right(open: &dyn Fn(EngineOptions) -> Engine) {
    let req = |id: &str| ExecuteRequest {
        model: "Counter".into(),
        id: id.into(),
        command: add("x"),
        options: opts(),
    };
    let fill = |e: &Engine, id: &str, n: usize| {
        let all: Vec<ExecuteRequest> = (0..n).map(|_| req(id)).collect();
        for chunk in all.chunks(1000) {
            e.execute_many(chunk).unwrap();
        }
    };
    // The long stream without snapshots: its events after 0 are all read.
    let plain = EngineOptions {
        cache_capacity: 0,
        snapshot_every: 0,
        ..EngineOptions::default()
    };
    let e = open(plain.clone());
    fill(&e, "long", 10_050);
    drop(e);
    // The others with snapshots every 10, written as each state leaves.
    let snapshots = EngineOptions {
        cache_capacity: 0,
        ..snapshot_options()
    };
    let e = open(snapshots.clone());
    for (id, n) in [("c3", 3), ("c15", 15), ("c25", 25)] {
        for _ in 0..n {
            e.execute("Counter", id, &add("x"), &opts()).unwrap();
        }
    }
    e.flush_snapshots();
    drop(e);
    // Cold, in an order that puts streams before, at and after the long
    // one, and one stream twice.
    let e = open(snapshots);
    let ids = ["c3", "c15", "long", "c25", "new", "c3"];
    let out = e
        .execute_many(&ids.iter().map(|id| req(id)).collect::<Vec<_>>())
        .unwrap();
    let versions: Vec<u64> = out.iter().map(|r| r.version).collect();
    assert_eq!(versions, vec![4, 16, 10_051, 26, 1, 5]);
    drop(e);
    let replay = open(plain);
    for (id, n) in [
        ("c3", 5),
        ("c15", 16),
        ("long", 10_051),
        ("c25", 26),
        ("new", 1),
    ] {
        assert_eq!(count(&replay, id), n.to_string(), "stream {id}");
    }
}

#[test]
fn batches_load_cold_streams_right_on_every_store() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    batches_load_cold_streams_right(&|o| Engine::with_store(store.clone(), domain(), o).unwrap());
    let db = temp_db("cold-batches");
    batches_load_cold_streams_right(&|o| Engine::open(&db.url(), domain(), o).unwrap());
    if let Some(schema) = postgres("engine_cold_batches") {
        batches_load_cold_streams_right(&|o| Engine::open(&schema.url(), domain(), o).unwrap());
    }
}
