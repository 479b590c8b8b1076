//! Subscriptions on every store (PostgreSQL given a test server): delivery in position order with filters,
//! where a new subscription starts, durable acks, redelivery from the
//! checkpoint, one consumer per name, closing, parking, and a crash test
//! that SIGKILLs a consuming child process again and again.
//!
//! No test waits for time to pass: each waits for a condition (a poll that
//! returns events, a line from a child, a thread that ends). The long
//! timeouts only turn a bug into a failure instead of a hang.
//!
//! The crash test re-runs this test binary with `EVENTFOLD_SUB_CHILD` set:
//! `child_consumer` then consumes and acks, printing what it does.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use eventfold::{
    Domain, Engine, EngineOptions, ExecuteOptions, StoredEvent, SubscribeFrom, SubscribeOptions,
    Subscription,
};
use serde_json::{json, Value as Json};

const MODELS: &str = r#"
model Counter {
  state {
    count: int
    note: string
  }
  command add(by: int = 1) {
    emit added(by)
  }
  command mark(note: string) {
    emit marked(note)
  }
  event added(by: int) {
    set count = count + by
  }
  event marked(note: string) {
    set note = note
  }
}

model Other {
  state {
    n: int
  }
  command go() {
    emit went(n: 1)
  }
  event went(n: int) {
    set n = n + n
  }
}
"#;

/// Long enough that only a bug reaches it.
const LONG: Duration = Duration::from_secs(120);

fn domain() -> Domain {
    Domain::compile(&[eventfold::Source::new("m.model", MODELS)]).unwrap()
}

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// A folder of its own under the system's temp folder, removed when
/// dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

mod pg;

/// A store URL, and what keeps its file or PostgreSQL schema.
struct Store {
    url: String,
    _dir: Option<TempDir>,
    _schema: Option<pg::Schema>,
}

fn sqlite(name: &str) -> Store {
    let dir = std::env::temp_dir().join(format!(
        "eventfold-subs-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Store {
        url: format!(
            "sqlite:{}?synchronous=normal",
            dir.join(format!("{name}.db")).display()
        ),
        _dir: Some(TempDir(dir)),
        _schema: None,
    }
}

/// A fresh PostgreSQL schema, when a test server is given.
fn postgres(name: &str) -> Option<Store> {
    let schema = pg::Schema::new(&format!("subs_{name}"))?;
    Some(Store {
        url: schema.url(),
        _dir: None,
        _schema: Some(schema),
    })
}

/// Stores that other processes can open too: a fresh SQLite file, and a
/// fresh PostgreSQL schema when a server is given.
fn shared(name: &str) -> Vec<Store> {
    std::iter::once(sqlite(name))
        .chain(postgres(name))
        .collect()
}

/// A fresh memory store, a fresh SQLite file, and a fresh PostgreSQL
/// schema when a server is given.
fn stores(name: &str) -> Vec<Store> {
    let mut all = vec![Store {
        url: "memory:".into(),
        _dir: None,
        _schema: None,
    }];
    all.extend(shared(name));
    all
}

fn open(url: &str) -> Engine {
    Engine::open(url, domain(), EngineOptions::default()).unwrap()
}

fn add(e: &Engine, id: &str) -> u64 {
    let done = e
        .execute(
            "Counter",
            id,
            &json!({"type": "add", "data": {}}),
            &ExecuteOptions::default(),
        )
        .unwrap();
    done.events.last().unwrap().position
}

fn mark(e: &Engine, id: &str) -> u64 {
    let done = e
        .execute(
            "Counter",
            id,
            &json!({"type": "mark", "data": {"note": "n"}}),
            &ExecuteOptions::default(),
        )
        .unwrap();
    done.events.last().unwrap().position
}

fn go(e: &Engine, id: &str) -> u64 {
    let done = e
        .execute(
            "Other",
            id,
            &json!({"type": "go", "data": {}}),
            &ExecuteOptions::default(),
        )
        .unwrap();
    done.events.last().unwrap().position
}

fn subscribe(e: &Engine, name: &str, options: SubscribeOptions) -> Subscription {
    e.subscribe(name, &options).unwrap()
}

fn positions(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

/// Everything the subscription delivers now, in pages of `page`.
fn drain(s: &Subscription, page: usize) -> Vec<StoredEvent> {
    let mut out = Vec::new();
    loop {
        let next = s.poll(page, Duration::ZERO).unwrap();
        if next.is_empty() {
            return out;
        }
        assert!(next.len() <= page);
        out.extend(next);
    }
}

fn listed(e: &Engine) -> Vec<Json> {
    let text = e.subscriptions_json().unwrap();
    serde_json::from_str::<Json>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn code(e: &eventfold::Error) -> &'static str {
    e.code()
}

#[test]
fn delivery_is_in_position_order_and_filtered() {
    for store in stores("filters") {
        let e = open(&store.url);
        let mut all = Vec::new();
        for i in 0..6 {
            all.push(add(&e, &format!("c{}", i % 2)));
            all.push(go(&e, "o"));
            if i % 3 == 0 {
                all.push(mark(&e, "c0"));
            }
        }
        let every = subscribe(&e, "every", SubscribeOptions::default());
        let got = drain(&every, 4);
        assert_eq!(positions(&got), all, "{}", store.url);
        assert_eq!(
            e.read_all(None, None).unwrap(),
            got,
            "delivered as the engine reads them"
        );

        let only = |name: &str, models: &[&str], types: &[&str]| {
            let s = subscribe(
                &e,
                name,
                SubscribeOptions {
                    models: Some(models.iter().map(|m| m.to_string()).collect()),
                    types: Some(types.iter().map(|t| t.to_string()).collect()),
                    ..SubscribeOptions::default()
                },
            );
            drain(&s, 3)
        };
        let counters = only("counters", &["Counter"], &[]);
        assert_eq!(counters.len(), 8);
        assert!(counters.iter().all(|ev| ev.stream.starts_with("Counter-")));
        let marks = only("marks", &[], &["marked"]);
        assert_eq!(marks.len(), 2);
        assert!(marks.iter().all(|ev| ev.event_type == "marked"));
        let both = only("both", &["Counter", "Other"], &["added", "went"]);
        assert_eq!(both.len(), 12);
        for list in [&counters, &marks, &both] {
            let p = positions(list);
            assert!(p.windows(2).all(|w| w[0] < w[1]), "in order: {p:?}");
        }
        // Events written after a page are delivered by the next poll.
        let later = add(&e, "c0");
        go(&e, "o");
        let more = every.poll(10, Duration::ZERO).unwrap();
        assert_eq!(positions(&more), [later, later + 1]);
        // A new handle starts after the checkpoint (none acked: from the
        // first), and filters not given stay as they were stored.
        let counted = subscribe(&e, "counters", SubscribeOptions::default());
        let again = drain(&counted, 100);
        assert_eq!(again.len(), 9);
        assert!(again.iter().all(|ev| ev.stream.starts_with("Counter-")));
        e.close().unwrap();
    }
}

#[test]
fn where_a_new_subscription_starts() {
    for store in stores("from") {
        let e = open(&store.url);
        for i in 0..5 {
            add(&e, &format!("c{i}"));
        }
        let start = subscribe(&e, "start", SubscribeOptions::default());
        assert_eq!(positions(&start.poll(2, Duration::ZERO).unwrap()), [1, 2]);
        let end = subscribe(
            &e,
            "end",
            SubscribeOptions {
                from: SubscribeFrom::End,
                ..SubscribeOptions::default()
            },
        );
        assert_eq!(end.poll(10, Duration::ZERO).unwrap(), vec![]);
        let at = subscribe(
            &e,
            "at",
            SubscribeOptions {
                from: SubscribeFrom::Position(3),
                ..SubscribeOptions::default()
            },
        );
        assert_eq!(positions(&at.poll(10, Duration::ZERO).unwrap()), [3, 4, 5]);
        let six = add(&e, "x");
        assert_eq!(positions(&end.poll(10, LONG).unwrap()), [six]);
        // An existing subscription resumes at its checkpoint, whatever
        // `from` now says.
        at.ack(4).unwrap();
        at.close().unwrap();
        let again = e.subscribe_json("at", Some(r#"{"from": "end"}"#)).unwrap();
        assert_eq!(positions(&again.poll(10, Duration::ZERO).unwrap()), [5, 6]);
        // Position 0 and 1 are both the first event.
        let zero = e.subscribe_json("zero", Some(r#"{"from": 0}"#)).unwrap();
        assert_eq!(positions(&zero.poll(1, Duration::ZERO).unwrap()), [1]);
        // Past the head: delivered once written.
        let ahead = e.subscribe_json("ahead", Some(r#"{"from": 8}"#)).unwrap();
        assert_eq!(ahead.poll(10, Duration::ZERO).unwrap(), vec![]);
        add(&e, "y");
        add(&e, "y");
        assert_eq!(positions(&ahead.poll(10, LONG).unwrap()), [8]);
        e.close().unwrap();
    }
}

#[test]
fn acks_are_durable_across_engines() {
    for store in shared("durable") {
        let e = open(&store.url);
        for i in 0..6 {
            add(&e, &format!("c{i}"));
        }
        let s = subscribe(&e, "d", SubscribeOptions::default());
        assert_eq!(s.poll(4, Duration::ZERO).unwrap().len(), 4);
        s.ack(3).unwrap();
        // Never back.
        s.ack(2).unwrap();
        e.close().unwrap();
        assert!(s.is_closed(), "the engine closes its subscriptions");

        let e = open(&store.url);
        let rows = listed(&e);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "d");
        assert_eq!(rows[0]["checkpoint"], 3);
        assert_eq!(rows[0]["lag"], 3);
        assert_eq!(rows[0]["parked"], 0);
        assert_eq!(rows[0]["active"], false);
        assert_eq!(rows[0]["models"], json!([]));
        let s = subscribe(&e, "d", SubscribeOptions::default());
        assert_eq!(positions(&s.poll(10, Duration::ZERO).unwrap()), [4, 5, 6]);
        assert_eq!(listed(&e)[0]["active"], true, "a consumer holds it");
        s.close().unwrap();
        assert_eq!(listed(&e)[0]["active"], false, "released by close");
    }
}

#[test]
fn a_new_handle_redelivers_from_the_checkpoint() {
    for store in stores("redeliver") {
        let e = open(&store.url);
        for i in 0..5 {
            add(&e, &format!("c{i}"));
        }
        let s = subscribe(&e, "r", SubscribeOptions::default());
        assert_eq!(
            positions(&s.poll(10, Duration::ZERO).unwrap()),
            [1, 2, 3, 4, 5]
        );
        s.ack(2).unwrap();
        drop(s);
        let s = subscribe(&e, "r", SubscribeOptions::default());
        assert_eq!(positions(&s.poll(10, Duration::ZERO).unwrap()), [3, 4, 5]);
        e.close().unwrap();
    }
}

/// A writer thread appends while the consumer polls, acks, and now and
/// then drops its handle and subscribes again: every handle starts one
/// past the durable checkpoint and goes on one position at a time, and
/// every position is seen.
#[test]
fn a_consumer_never_skips_a_position_while_a_writer_appends() {
    const EVENTS: u64 = 400;
    for store in stores("writer") {
        let e = open(&store.url);
        let writer = {
            let e = e.clone();
            std::thread::spawn(move || {
                for i in 0..EVENTS {
                    add(&e, &format!("w{}", i % 7));
                }
            })
        };
        let mut seen = BTreeSet::new();
        let mut handles = 0;
        let mut last_acked = 0;
        'outer: loop {
            let s = subscribe(&e, "w", SubscribeOptions::default());
            handles += 1;
            let mut expect = last_acked + 1;
            for _ in 0..5 {
                let got = s.poll(13, LONG).unwrap();
                assert!(!got.is_empty(), "no events within {LONG:?}");
                for ev in &got {
                    assert_eq!(ev.position, expect, "{}: one position at a time", store.url);
                    expect += 1;
                    seen.insert(ev.position);
                }
                // Ack most of the page: the rest comes again.
                let ack = got[got.len() * 2 / 3].position;
                s.ack(ack).unwrap();
                last_acked = ack;
                if seen.len() as u64 == EVENTS {
                    break 'outer;
                }
            }
        }
        writer.join().unwrap();
        assert_eq!(seen, (1..=EVENTS).collect::<BTreeSet<_>>(), "{}", store.url);
        assert!(handles > 1);
        e.close().unwrap();
    }
}

#[test]
fn one_consumer_per_name() {
    for store in stores("lease") {
        let e = open(&store.url);
        for i in 0..4 {
            add(&e, &format!("c{i}"));
        }
        let first = subscribe(&e, "one", SubscribeOptions::default());
        assert_eq!(first.poll(2, Duration::ZERO).unwrap().len(), 2);
        first.ack(1).unwrap();
        let second = subscribe(&e, "one", SubscribeOptions::default());
        // The first holds the lease: the second gets nothing, however long
        // it waits.
        assert_eq!(second.poll(10, Duration::ZERO).unwrap(), vec![]);
        assert_eq!(second.poll(10, Duration::from_millis(120)).unwrap(), vec![]);
        // Another name is not held.
        let other = subscribe(&e, "two", SubscribeOptions::default());
        assert_eq!(other.poll(10, Duration::ZERO).unwrap().len(), 4);
        // A poll waiting for the lease gets the events once the first
        // closes: from the checkpoint.
        let ready = Arc::new(Barrier::new(2));
        let waiter = {
            let ready = ready.clone();
            std::thread::spawn(move || {
                ready.wait();
                let got = second.poll(10, LONG).unwrap();
                (second, got)
            })
        };
        ready.wait();
        first.close().unwrap();
        let (second, got) = waiter.join().unwrap();
        assert_eq!(positions(&got), [2, 3, 4], "{}", store.url);
        second.close().unwrap();
        e.close().unwrap();
    }
}

#[test]
fn close_ends_a_blocked_poll_and_later_calls_fail() {
    for store in stores("close") {
        let e = open(&store.url);
        add(&e, "c");
        let s = Arc::new(subscribe(
            &e,
            "c",
            SubscribeOptions {
                from: SubscribeFrom::End,
                ..SubscribeOptions::default()
            },
        ));
        let ready = Arc::new(Barrier::new(2));
        let poller = {
            let (s, ready) = (s.clone(), ready.clone());
            std::thread::spawn(move || {
                ready.wait();
                // A day: only the close ends it.
                s.poll(10, Duration::from_secs(86_400))
            })
        };
        ready.wait();
        s.close().unwrap();
        match poller.join().unwrap() {
            Ok(events) => assert_eq!(events, vec![]),
            // The close came before the poll began.
            Err(err) => assert_eq!(code(&err), "store_error"),
        }
        assert!(s.is_closed());
        s.close().unwrap();
        for err in [
            s.poll(1, Duration::ZERO).map(|_| ()).unwrap_err(),
            s.ack(0).unwrap_err(),
            s.park(1, "x").unwrap_err(),
        ] {
            assert_eq!(code(&err), "store_error");
            assert!(
                err.to_string().contains("subscription c is closed"),
                "{err}"
            );
        }
        // Closing the engine ends a blocked poll too.
        let s = Arc::new(subscribe(
            &e,
            "d",
            SubscribeOptions {
                from: SubscribeFrom::End,
                ..SubscribeOptions::default()
            },
        ));
        let poller = {
            let (s, ready) = (s.clone(), ready.clone());
            std::thread::spawn(move || {
                ready.wait();
                s.poll(10, Duration::from_secs(86_400))
            })
        };
        ready.wait();
        e.close().unwrap();
        match poller.join().unwrap() {
            Ok(events) => assert_eq!(events, vec![]),
            Err(err) => assert_eq!(code(&err), "store_error"),
        }
        assert!(s.is_closed());
    }
}

#[test]
fn park_keeps_the_event_and_acks_it() {
    for store in stores("park") {
        let e = open(&store.url);
        for i in 0..3 {
            add(&e, &format!("c{i}"));
        }
        let s = subscribe(&e, "p", SubscribeOptions::default());
        assert_eq!(s.poll(10, Duration::ZERO).unwrap().len(), 3);
        s.park(2, "cannot handle ünï").unwrap();
        s.park(2, "again").unwrap();
        let parked: Json = serde_json::from_str(&e.parked_json("p").unwrap()).unwrap();
        let parked = parked.as_array().unwrap();
        assert_eq!(parked.len(), 1, "parking twice keeps one row");
        assert_eq!(parked[0]["name"], "p");
        assert_eq!(parked[0]["position"], 2);
        assert_eq!(parked[0]["reason"], "cannot handle ünï");
        assert!(parked[0]["parked_at"].as_str().unwrap().ends_with('Z'));
        let stored: Json = serde_json::from_str(
            &e.read_all_json(Some(r#"{"from_position": 2, "limit": 1}"#))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(parked[0]["event"], stored[0], "the event as stored");
        let rows = listed(&e);
        assert_eq!(rows[0]["checkpoint"], 2, "parking acks");
        assert_eq!(rows[0]["parked"], 1);
        assert_eq!(e.parked_json("nobody").unwrap(), "[]");
        // Only what was delivered can be acked or parked.
        for err in [s.ack(4).unwrap_err(), s.park(4, "x").unwrap_err()] {
            assert_eq!(code(&err), "invalid_command", "{err}");
            assert!(
                err.to_string().contains("has not delivered position 4"),
                "{err}"
            );
        }
        e.close().unwrap();
    }
}

#[test]
fn json_verbs_and_their_faults() {
    let e = open("memory:");
    add(&e, "c");
    let s = e
        .subscribe_json("j", Some(r#"{"models": ["Counter"], "types": ["added"]}"#))
        .unwrap();
    assert_eq!(s.name(), "j");
    let events: Json = serde_json::from_str(&s.poll_json(10, Duration::ZERO).unwrap()).unwrap();
    let keys: Vec<&str> = events[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "stream", "version", "position", "type", "schema", "data", "metadata"]
    );
    assert_eq!(events[0]["data"], json!({"by": 1}));
    let rows = listed(&e);
    assert_eq!(rows[0]["models"], json!(["Counter"]));
    assert_eq!(rows[0]["types"], json!(["added"]));
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "checkpoint",
            "lag",
            "parked",
            "models",
            "types",
            "active"
        ]
    );
    for (name, options, path) in [
        ("x", r#"{"from": "later"}"#, "options.from"),
        ("x", r#"{"models": "Counter"}"#, "options.models"),
        ("x", r#"{"start": 1}"#, "options.start"),
        ("", "{}", "name"),
        ("a\u{0}b", "{}", "name"),
    ] {
        match e.subscribe_json(name, Some(options)) {
            Err(eventfold::Error::InvalidCommand { path: p, message }) => {
                assert_eq!(p, path, "{options}: {message}")
            }
            other => panic!("{options}: {other:?}"),
        }
    }
    assert_eq!(
        code(&e.subscribe_json("x", Some("{nope")).unwrap_err()),
        "invalid_json"
    );
    e.close().unwrap();
    assert_eq!(code(&e.subscriptions_json().unwrap_err()), "store_error");
    assert_eq!(
        code(&e.subscribe_json("x", None).map(|_| ()).unwrap_err()),
        "store_error"
    );
}

// ---- the crash test ----

const CRASH_EVENTS_PER_RUN: u64 = 40;
const CRASH_RUNS: u64 = 8;

/// Not a test of its own: the consumer the crash test kills. It prints
/// `got P` for each event it is given and `acked P` once an ack returned,
/// and `done` when it has seen `EVENTFOLD_SUB_LAST`.
#[test]
#[ignore = "run by a_killed_consumer_resumes_from_its_checkpoint"]
fn child_consumer() {
    let Ok(url) = std::env::var("EVENTFOLD_SUB_CHILD") else {
        return;
    };
    let last: u64 = std::env::var("EVENTFOLD_SUB_LAST")
        .unwrap()
        .parse()
        .unwrap();
    let e = open(&url);
    let s = subscribe(&e, "crash", SubscribeOptions::default());
    let mut out = std::io::stdout().lock();
    // The harness wrote `test child_consumer ... ` without a newline.
    writeln!(out).unwrap();
    loop {
        let got = s.poll(7, LONG).unwrap();
        assert!(!got.is_empty(), "no events within {LONG:?}");
        for ev in &got {
            writeln!(out, "got {}", ev.position).unwrap();
        }
        out.flush().unwrap();
        let end = got.last().unwrap().position;
        s.ack(end).unwrap();
        writeln!(out, "acked {end}").unwrap();
        out.flush().unwrap();
        if end >= last {
            writeln!(out, "done").unwrap();
            out.flush().unwrap();
            return;
        }
    }
}

/// A child process, killed when dropped (a failing test leaves none
/// behind).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_consumer(url: &str, last: u64) -> Child {
    Child(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "child_consumer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("EVENTFOLD_SUB_CHILD", url)
            .env("EVENTFOLD_SUB_LAST", last.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

/// A consumer in another process holds the name while it lives; once it
/// is killed, this process takes over at once (no wait for the lease to
/// expire) from its checkpoint.
#[test]
fn a_live_consumer_in_another_process_holds_the_name() {
    for store in shared("other") {
        let e = open(&store.url);
        for i in 0..10 {
            add(&e, &format!("o{i}"));
        }
        let mut child = spawn_consumer(&store.url, u64::MAX);
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        // Wait until it has acked all ten.
        loop {
            let line = lines.next().expect("the child ended").unwrap();
            if line == "acked 10" {
                break;
            }
        }
        let mine = subscribe(&e, "crash", SubscribeOptions::default());
        let eleven = add(&e, "o");
        assert_eq!(mine.poll(10, Duration::ZERO).unwrap(), vec![]);
        assert_eq!(mine.poll(10, Duration::from_millis(200)).unwrap(), vec![]);
        assert_eq!(listed(&e)[0]["active"], true);
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        // Its checkpoint is 10 or 11 (it may have acked the new one): one more
        // event, so that there is something past it either way.
        let twelve = add(&e, "o");
        let got = positions(&mine.poll(10, LONG).unwrap());
        assert!(
            got == [eleven, twelve] || got == [twelve],
            "after the killed consumer's checkpoint: {got:?}"
        );
        e.close().unwrap();
    }
}

fn checkpoint(url: &str) -> u64 {
    let e = open(url);
    let rows = listed(&e);
    e.close().unwrap();
    rows.iter()
        .find(|r| r["name"] == "crash")
        .map_or(0, |r| r["checkpoint"].as_u64().unwrap())
}

#[test]
fn a_killed_consumer_resumes_from_its_checkpoint() {
    for store in shared("crash") {
        let url = store.url.clone();
        let writer = open(&url);
        let total = CRASH_EVENTS_PER_RUN * (CRASH_RUNS + 1);
        let mut seen = BTreeSet::new();
        let mut n: u64 = 11;
        for run in 0..=CRASH_RUNS {
            for i in 0..CRASH_EVENTS_PER_RUN {
                add(&writer, &format!("k{}", i % 5));
            }
            let head = CRASH_EVENTS_PER_RUN * (run + 1);
            let from = checkpoint(&url);
            let mut child = spawn_consumer(&url, total);
            let lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
            // Kill it once it acked somewhere past the checkpoint, short of
            // what there is (the last run goes to the end).
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let kill_at = if run == CRASH_RUNS {
                None
            } else {
                Some(from + 1 + (n >> 33) % (head - from))
            };
            let mut expect = from + 1;
            let mut acked = from;
            let mut done = false;
            let mut killed = false;
            for line in lines {
                let line = line.unwrap();
                if let Some(p) = line.strip_prefix("got ") {
                    let p: u64 = p.parse().unwrap();
                    assert_eq!(p, expect, "run {run}: from the checkpoint, one at a time");
                    expect += 1;
                    seen.insert(p);
                } else if let Some(p) = line.strip_prefix("acked ") {
                    acked = p.parse().unwrap();
                    if !killed && kill_at.is_some_and(|k| acked >= k) {
                        // SIGKILL; then read on to the end of what it wrote
                        // before it died.
                        child.0.kill().unwrap();
                        killed = true;
                    }
                } else if line == "done" {
                    done = true;
                }
            }
            let status = child.0.wait().unwrap();
            if kill_at.is_none() {
                assert!(done && status.success(), "the last run ends: {status}");
            }
            // What was acked is durable; more may be (acked, not yet printed),
            // but never what was not delivered.
            let stored = checkpoint(&url);
            assert!(
                stored >= acked,
                "run {run}: checkpoint {stored} < acked {acked}"
            );
            assert!(
                stored < expect,
                "run {run}: checkpoint {stored} past delivery"
            );
        }
        assert_eq!(
            seen,
            (1..=total).collect::<BTreeSet<_>>(),
            "nothing skipped"
        );
        assert_eq!(checkpoint(&url), total);
        writer.close().unwrap();
    }
}
