//! The write path: deciding inside the store's write transaction, group
//! commit, and snapshots off the command path, on every store (PostgreSQL
//! given a test server).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use eventfold::store::{memory::MemoryStore, Store};
use eventfold::{Domain, Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Source};
use serde_json::{json, Value as Json};

const COUNTER: &str = r#"
model Counter {
  state {
    count: int
    names: list<string>
  }
  command add(who: string = "", by: int = 1) {
    reject negative "by must not be negative" if by < 0
    emit added(who, by)
  }
  event added(who: string, by: int) {
    set count = count + by
  }
  /// Keeps three copies of each name: a state that outgrows its events.
  command remember(who: string) {
    emit remembered(who)
  }
  event remembered(who: string) {
    set names = names + [who, who, who]
  }
  /// Its event fails as it is accepted (a division by zero).
  command break() {
    emit broke()
  }
  event broke() {
    set count = count / 0
  }
  /// Keeps each name once: a state that grows with its events.
  command note(who: string) {
    emit noted(who)
  }
  event noted(who: string) {
    set names = names + [who]
  }
}
"#;

fn domain() -> Domain {
    Domain::compile(&[Source::new("counter.model", COUNTER)]).unwrap()
}

static COUNT: AtomicUsize = AtomicUsize::new(0);

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "eventfold-write-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn add(who: &str, by: i64) -> Json {
    json!({"type": "add", "data": {"who": who, "by": by}})
}

fn count(e: &Engine, id: &str) -> i64 {
    let state = e.load("Counter", id).unwrap().state.to_json();
    state["count"].as_i64().unwrap()
}

mod pg;

/// Every store, FULL sync for SQLite (what a user gets, and where group
/// commit matters), and PostgreSQL when a test server is given.
fn each_store(f: impl Fn(&str)) {
    f("memory:");
    let dir = temp_dir();
    f(&format!("sqlite:{}", dir.0.join("w.db").display()));
    if let Some(schema) = pg::Schema::new("write") {
        f(&schema.url());
    }
}

#[test]
fn threads_on_their_own_streams_and_on_one_stream_lose_nothing() {
    each_store(|url| {
        let e = Engine::open(url, domain(), EngineOptions::default()).unwrap();
        let threads = 16;
        let per = 25;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (e, barrier, url) = (e.clone(), barrier.clone(), url.to_string());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut versions = Vec::new();
                    for i in 0..per {
                        let own = e
                            .execute(
                                "Counter",
                                &format!("t{t}"),
                                &add("me", 1),
                                &Default::default(),
                            )
                            .unwrap();
                        assert_eq!(own.version, i + 1, "{url}: own stream");
                        let shared = e
                            .execute("Counter", "shared", &add("all", 1), &Default::default())
                            .unwrap();
                        versions.push(shared.version);
                    }
                    versions
                })
            })
            .collect();
        let mut versions: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        versions.sort_unstable();
        let n = (threads as u64) * per;
        assert_eq!(
            versions,
            (1..=n).collect::<Vec<_>>(),
            "{url}: one version each"
        );
        assert_eq!(count(&e, "shared"), n as i64);
        for t in 0..threads {
            assert_eq!(count(&e, &format!("t{t}")), per as i64);
        }
        // Positions are unique and increasing in the log.
        let all = e.read_all(None, None).unwrap();
        assert_eq!(all.len() as u64, 2 * n);
        assert!(all.windows(2).all(|w| w[0].position < w[1].position));
        e.close().unwrap();
    });
}

#[test]
fn a_rejection_or_a_failed_batch_in_a_group_fails_only_its_own_caller() {
    each_store(|url| {
        let e = Engine::open(url, domain(), EngineOptions::default()).unwrap();
        let threads = 8;
        let rounds = 20;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (e, barrier) = (e.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut ok = 0;
                    for r in 0..rounds {
                        // Odd threads send a batch whose last command is
                        // rejected: none of it may land.
                        if t % 2 == 1 && r % 2 == 0 {
                            let batch: Vec<ExecuteRequest> = [1, 1, -1]
                                .iter()
                                .map(|&by| ExecuteRequest {
                                    model: "Counter".into(),
                                    id: "shared".into(),
                                    command: add("batch", by),
                                    options: ExecuteOptions::default(),
                                })
                                .collect();
                            let err = e.execute_many(&batch).unwrap_err();
                            assert_eq!(err.code(), "rejected");
                            assert!(err.message().starts_with("command 2: "), "{err}");
                        } else if t % 2 == 1 {
                            let err = e
                                .execute("Counter", "shared", &add("x", -5), &Default::default())
                                .unwrap_err();
                            assert_eq!(err.code(), "rejected");
                        } else {
                            e.execute("Counter", "shared", &add("y", 1), &Default::default())
                                .unwrap();
                            ok += 1;
                        }
                    }
                    ok
                })
            })
            .collect();
        let ok: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(count(&e, "shared"), ok, "{url}");
        assert_eq!(e.load("Counter", "shared").unwrap().version, ok as u64);
        // A cold engine reads the same from the store.
        if url != "memory:" {
            let cold = Engine::open(url, domain(), EngineOptions::default()).unwrap();
            assert_eq!(count(&cold, "shared"), ok, "{url}");
        }
    });
}

#[test]
fn a_batch_whose_event_fails_leaves_a_usable_state_behind() {
    each_store(|url| {
        let e = Engine::open(url, domain(), EngineOptions::default()).unwrap();
        e.execute("Counter", "b", &add("a", 1), &Default::default())
            .unwrap();
        // A batch is not a lone command: it runs between savepoints, and
        // the failed accept leaves no state of its own in the cache.
        let batch: Vec<ExecuteRequest> = [("other", add("b", 1)), ("b", json!({"type": "break"}))]
            .into_iter()
            .map(|(id, command)| ExecuteRequest {
                model: "Counter".into(),
                id: id.into(),
                command,
                options: ExecuteOptions::default(),
            })
            .collect();
        let err = e.execute_many(&batch).unwrap_err();
        assert_eq!(err.code(), "evaluation_error", "{url}: {err}");
        let done = e
            .execute("Counter", "b", &add("c", 1), &Default::default())
            .unwrap();
        assert_eq!(done.version, 2, "{url}");
        assert_eq!(count(&e, "b"), 2, "{url}");
    });
}

#[test]
fn expected_version_is_checked_inside_the_write() {
    each_store(|url| {
        let e = Engine::open(url, domain(), EngineOptions::default()).unwrap();
        let other = Engine::open(url, domain(), EngineOptions::default()).unwrap();
        let same_store = url != "memory:";
        e.execute("Counter", "v", &add("a", 1), &Default::default())
            .unwrap();
        if same_store {
            // Another engine (another process, as far as the cache knows)
            // writes behind this one's back.
            other
                .execute("Counter", "v", &add("b", 1), &Default::default())
                .unwrap();
            let conflict = e
                .execute(
                    "Counter",
                    "v",
                    &add("c", 1),
                    &ExecuteOptions {
                        expected_version: Some(1),
                        ..Default::default()
                    },
                )
                .unwrap_err();
            assert_eq!(conflict.code(), "version_conflict");
            assert_eq!(conflict.to_json()["actual"], 2);
            // Without it, the command runs on the caught-up state.
            let done = e
                .execute("Counter", "v", &add("d", 1), &Default::default())
                .unwrap();
            assert_eq!(done.version, 3);
            assert_eq!(count(&e, "v"), 3);
        }
    });
}

/// Runs SQL on a store behind the engine's back.
type Damage<'a> = Box<dyn Fn(&str) + 'a>;

#[test]
fn a_damaged_streams_row_does_not_stop_appends() {
    let dir = temp_dir();
    let path = dir.0.join("d.db");
    let sqlite = format!("sqlite:{}?synchronous=normal", path.display());
    let schema = pg::Schema::new("write_damaged");
    let mut stores: Vec<(String, Damage<'_>)> = vec![(
        sqlite,
        Box::new(|sql: &str| {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(sql).unwrap();
        }),
    )];
    if let Some(schema) = &schema {
        stores.push((
            schema.url(),
            Box::new(|sql: &str| {
                let mut c = schema.client();
                c.batch_execute(&format!("SET search_path TO {}; {sql}", schema.name))
                    .unwrap();
            }),
        ));
    }
    for (url, damage_with) in stores {
        let e = Engine::open(&url, domain(), EngineOptions::default()).unwrap();
        for _ in 0..3 {
            e.execute("Counter", "d", &add("a", 1), &Default::default())
                .unwrap();
        }
        e.close().unwrap();
        for damage in [
            "UPDATE eventfold_streams SET version = 99",
            "UPDATE eventfold_streams SET version = 0",
            "DELETE FROM eventfold_streams",
        ] {
            damage_with(damage);
            let e = Engine::open(&url, domain(), EngineOptions::default()).unwrap();
            let before = e.load("Counter", "d").unwrap().version;
            let done = e
                .execute("Counter", "d", &add("a", 1), &Default::default())
                .unwrap();
            assert_eq!(done.version, before + 1, "{url}: {damage}");
            let listed = e.streams(Some("Counter")).unwrap();
            assert_eq!(
                listed[0].version, done.version,
                "{url}: {damage}: the row is mended"
            );
            e.close().unwrap();
        }
    }
}

#[test]
fn a_snapshot_is_never_larger_than_the_events_it_saves() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let options = EngineOptions {
        snapshot_every: 5,
        ..EngineOptions::default()
    };
    let e = Engine::with_store(store.clone(), domain(), options.clone()).unwrap();
    for i in 0..60 {
        e.execute(
            "Counter",
            "big",
            &json!({"type": "remember", "data": {"who": format!("name-{i}")}}),
            &Default::default(),
        )
        .unwrap();
        e.execute("Counter", "small", &add("a", 1), &Default::default())
            .unwrap();
        e.flush_snapshots();
    }
    assert!(
        store
            .snapshot("Counter-big", &counter_fp())
            .unwrap()
            .is_none(),
        "the state holds three times its events: no snapshot pays"
    );
    let small = store
        .snapshot("Counter-small", &counter_fp())
        .unwrap()
        .expect("a snapshot");
    assert!(small.version >= 5 && small.version <= 60);
    assert!(small.state.len() < 60 * 10);
    // Cold engines read both right, with and without the snapshot.
    let cold = Engine::with_store(store, domain(), options).unwrap();
    assert_eq!(count(&cold, "small"), 60);
    let big = cold.load("Counter", "big").unwrap();
    assert_eq!(big.version, 60);
    assert_eq!(big.state.to_json()["names"].as_array().unwrap().len(), 180);
}

#[test]
fn snapshots_follow_the_cost_of_a_growing_state() {
    // One stream whose state grows with every event (a todo list): the
    // bytes serialised for snapshots stay within twice the bytes of events
    // written, whatever the size of the state (a snapshot is due once the
    // events since the last outweigh it, and each is at most the last plus
    // those events).
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let e = Engine::with_store(store.clone(), domain(), EngineOptions::default()).unwrap();
    let mut written = 0u64;
    let mut snapshots = 0u64;
    let mut last = 0;
    for i in 0..3000 {
        let who = format!("{i:08}");
        let note = json!({"type": "note", "data": {"who": who}});
        written += e
            .execute("Counter", "grow", &note, &Default::default())
            .unwrap()
            .events[0]
            .data
            .to_json_string()
            .len() as u64;
        e.flush_snapshots();
        if let Some(s) = store.snapshot("Counter-grow", &counter_fp()).unwrap() {
            if s.version != last {
                last = s.version;
                snapshots += s.state.len() as u64;
            }
        }
    }
    // Hot in the cache, a state waits for ten times `snapshot_every`.
    assert!(last >= 2000, "snapshots keep up: the last at {last}");
    assert!(
        snapshots <= 2 * written,
        "{snapshots} bytes of snapshots for {written} bytes of events"
    );
}

/// The fingerprint the engine gives Counter's snapshots.
fn counter_fp() -> String {
    eventfold::engine::fingerprint(&domain(), "Counter").unwrap()
}
