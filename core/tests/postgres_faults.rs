//! Faults of a PostgreSQL store under load (issue 15, item 5): a server
//! restart with `pg_ctl -m immediate`, `pg_terminate_backend` on the
//! engine's connections, a pool far smaller than its callers, and writer
//! processes under a subscriber that checks for gaps.
//!
//! Writers execute commands with ids of their own and retry one that fails
//! with `store_error` (`unavailable` or `busy`) with the same id until it
//! is acknowledged: the retry of a command whose commit did happen returns
//! the first result and appends nothing. The fault comes once the writers
//! have had some number of commands acknowledged (a condition, not a
//! time). After each: every acknowledged command's event is stored exactly
//! once and nothing else is; every stream's state equals a fold of its
//! events; every projection's rows equal the rows of a rebuild (and what
//! the model's handlers give, computed here by hand).
//!
//! The restart crashes the whole server, so it runs alone: it holds
//! [`SERVER`] for writing, every other test here for reading.

mod pg;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex, RwLock};
use std::time::Duration;

use eventfold::{
    Domain, Engine, EngineOptions, Error, ExecuteOptions, Source, StoreErrorKind, StoredEvent,
    SubscribeOptions,
};
use serde_json::{json, Value as Json};

const MODEL: &str = r#"
model Account {
  state {
    balance: int
    deposits: int
  }
  command deposit(amount: int) {
    emit deposited(amount)
  }
  event deposited(amount: int) {
    set balance = balance + amount
    set deposits = deposits + 1
  }
}

table balances {
  key account: string
  balance: int = 0
  deposits: int = 0
  version: int = 0
}

/// In the transaction that stores the event.
projection balances-inline inline {
  on Account.deposited {
    if !balances.has(stream.id) {
      insert balances(account: stream.id)
    }
    update balances[stream.id](balance: row.balance + amount, deposits: row.deposits + 1,
      version: stream.version)
  }
}

table ledger {
  key account: string
  total: int = 0
  entries: int = 0
  last_position: int = 0
}

/// Caught up by the runner, in batches of its own.
projection ledger-async async {
  on Account.deposited {
    if !ledger.has(stream.id) {
      insert ledger(account: stream.id)
    }
    update ledger[stream.id](total: row.total + amount, entries: row.entries + 1,
      last_position: event.position)
  }
}
"#;

/// The streams the writers share: several writers meet on each.
const ACCOUNTS: usize = 7;
/// Failed attempts a command may take before the test gives up: only a
/// bug gets there (a call waits up to `pool_timeout` for the server).
const ATTEMPTS: usize = 2000;
/// The pause before a retry.
const PAUSE: Duration = Duration::from_millis(10);
/// Long enough that only a bug reaches it.
const LONG: Duration = Duration::from_secs(300);

/// Held for writing by the test that restarts the server, for reading by
/// every other: a restart would fail their calls too.
static SERVER: RwLock<()> = RwLock::new(());

fn shared_server() -> std::sync::RwLockReadGuard<'static, ()> {
    SERVER.read().unwrap_or_else(|e| e.into_inner())
}

fn domain() -> Domain {
    Domain::compile(&[Source::new("account.model", MODEL)]).unwrap()
}

fn open(url: &str) -> Engine {
    Engine::open(url, domain(), EngineOptions::default()).unwrap()
}

/// An engine that reads the store afresh: no cache, no runner.
fn open_cold(url: &str, progress: &Progress) -> Engine {
    let options = EngineOptions {
        cache_capacity: 0,
        run_projections: false,
        ..EngineOptions::default()
    };
    retry("open", progress, || {
        Engine::open(url, domain(), options.clone())
    })
}

/// One acknowledged command, as `execute` answered it.
#[derive(Debug, Clone, PartialEq)]
struct Ack {
    command_id: String,
    stream: String,
    version: u64,
    position: u64,
    event_id: String,
}

/// What the writers have had acknowledged, and the store errors they met.
#[derive(Default)]
struct Progress {
    acks: Mutex<Vec<Ack>>,
    acked: Condvar,
    /// Writers that ended (ok or not): a wait for more acks ends with them.
    ended: Mutex<usize>,
    errors: Mutex<Vec<(StoreErrorKind, String)>>,
    noted: Condvar,
}

impl Progress {
    fn ack(&self, ack: Ack) {
        self.acks.lock().unwrap().push(ack);
        self.acked.notify_all();
    }

    fn count(&self) -> usize {
        self.acks.lock().unwrap().len()
    }

    fn ended(&self) {
        *self.ended.lock().unwrap() += 1;
        // The waiter holds `acks`' lock while it looks at `ended`.
        let _acks = self.acks.lock().unwrap();
        self.acked.notify_all();
    }

    /// Waits until `n` commands are acknowledged (or every one of
    /// `writers` has ended, which a failing writer does).
    fn wait_for(&self, n: usize, writers: usize) {
        let acks = self.acks.lock().unwrap();
        let (acks, timeout) = self
            .acked
            .wait_timeout_while(acks, LONG, |a| {
                a.len() < n && *self.ended.lock().unwrap() < writers
            })
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "the writers had only {} of {n} commands acknowledged after {LONG:?}",
            acks.len()
        );
    }

    fn note(&self, kind: StoreErrorKind, message: &str) {
        self.errors
            .lock()
            .unwrap()
            .push((kind, message.to_string()));
        self.noted.notify_all();
    }

    /// Waits until a call has failed with a store error of `kind`.
    fn wait_for_error(&self, kind: StoreErrorKind) {
        let errors = self.errors.lock().unwrap();
        let (_errors, timeout) = self
            .noted
            .wait_timeout_while(errors, LONG, |e| !e.iter().any(|(k, _)| *k == kind))
            .unwrap();
        assert!(!timeout.timed_out(), "no call failed {kind} in {LONG:?}");
    }

    fn errors(&self) -> Vec<(StoreErrorKind, String)> {
        self.errors.lock().unwrap().clone()
    }
}

/// `f` until it succeeds, retrying a `store_error` of kind `unavailable`
/// or `busy` (noted in `progress`) after a short pause; any other error,
/// or too many, fails the test.
fn retry<T>(what: &str, progress: &Progress, mut f: impl FnMut() -> Result<T, Error>) -> T {
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        match f() {
            Ok(v) => return v,
            Err(Error::StoreError { kind, message })
                if matches!(kind, StoreErrorKind::Unavailable | StoreErrorKind::Busy) =>
            {
                progress.note(kind, &message);
                last = message;
                std::thread::sleep(PAUSE);
            }
            Err(e) => panic!("{what}: {} {e}", e.code()),
        }
    }
    panic!("{what}: still failing after {ATTEMPTS} attempts: {last}");
}

/// Each command of a load: its id, its account and its amount.
fn command(tag: &str, writer: usize, n: usize) -> (String, String, i64) {
    (
        format!("{tag}-w{writer}-{n}"),
        format!("a{}", (writer * 3 + n) % ACCOUNTS),
        1 + ((writer * 7 + n * 5) % 9) as i64,
    )
}

/// Executes one command, retried with its id until acknowledged.
fn deposit(engine: &Engine, progress: &Progress, tag: &str, writer: usize, n: usize) -> Ack {
    let (cid, account, amount) = command(tag, writer, n);
    let options = ExecuteOptions {
        command_id: Some(cid.clone()),
        ..ExecuteOptions::default()
    };
    let cmd = json!({"type": "deposit", "data": {"amount": amount}});
    let done = retry(&format!("command {cid}"), progress, || {
        engine.execute("Account", &account, &cmd, &options)
    });
    assert_eq!(done.events.len(), 1, "{cid}: {done:?}");
    let e = &done.events[0];
    let ack = Ack {
        command_id: cid,
        stream: done.stream.clone(),
        version: e.version,
        position: e.position,
        event_id: e.id.clone(),
    };
    progress.ack(ack.clone());
    ack
}

/// `writers` threads of `per_writer` commands each on `engine`, with
/// `fault` run beside them (it waits on `progress` for its moment).
fn load(
    engine: &Engine,
    progress: &Progress,
    tag: &str,
    writers: usize,
    per_writer: usize,
    fault: impl FnOnce(),
) {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    struct Ended<'a>(&'a Progress);
                    impl Drop for Ended<'_> {
                        fn drop(&mut self) {
                            self.0.ended();
                        }
                    }
                    let _ended = Ended(progress);
                    for n in 0..per_writer {
                        deposit(engine, progress, tag, w, n);
                    }
                })
            })
            .collect();
        fault();
        for h in handles {
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
}

fn command_id(e: &StoredEvent) -> String {
    match e.metadata.get("command_id") {
        Some(Json::String(s)) => s,
        other => panic!("event {} has no command id: {other:?}", e.position),
    }
}

fn rows(engine: &Engine, table: &str, progress: &Progress) -> Vec<Json> {
    let text = retry(&format!("rows of {table}"), progress, || {
        engine.rows_json(table, None)
    });
    serde_json::from_str(&text).unwrap()
}

/// Rows sorted by their key, so that they compare whatever order the
/// server's collation gives.
fn by_account(mut rows: Vec<Json>) -> Vec<Json> {
    rows.sort_by(|a, b| a["account"].as_str().cmp(&b["account"].as_str()));
    rows
}

/// Everything that must hold after a load whose acknowledged commands are
/// `progress`'s: the events, the states, the rows. Reads are retried like
/// the writers' commands (an application would), and `progress` notes the
/// errors they met.
fn check(engine: &Engine, url: &str, progress: &Progress) {
    let acks = progress.acks.lock().unwrap().clone();
    let events = retry("read_all", progress, || engine.read_all(None, None));

    // (a) Each acknowledged command's event, stored once, as acknowledged;
    // nothing else stored.
    let mut by_command: HashMap<String, Vec<&StoredEvent>> = HashMap::new();
    for e in &events {
        by_command.entry(command_id(e)).or_default().push(e);
    }
    let mut acked: HashMap<&str, &Ack> = HashMap::new();
    for a in &acks {
        assert!(
            acked.insert(&a.command_id, a).is_none(),
            "{} was acknowledged twice",
            a.command_id
        );
        let stored = by_command.get(&a.command_id).unwrap_or_else(|| {
            panic!("{} was acknowledged and is not stored: {a:?}", a.command_id)
        });
        assert_eq!(
            stored.len(),
            1,
            "{} is stored {} times",
            a.command_id,
            stored.len()
        );
        let e = stored[0];
        assert_eq!(
            (&e.stream, e.version, e.position, &e.id),
            (&a.stream, a.version, a.position, &a.event_id),
            "{}: the acknowledgement and the store disagree",
            a.command_id
        );
    }
    for cid in by_command.keys() {
        assert!(
            acked.contains_key(cid.as_str()),
            "{cid} is stored and was never acknowledged"
        );
    }
    assert_eq!(
        events.len(),
        acked.len(),
        "events against acknowledged commands"
    );
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "positions are dense"
    );

    // (b) Each stream's state is the fold of its events, in this engine
    // (whose cache lived through the faults) and in a cold one.
    let mut folded: BTreeMap<String, (i64, u64, u64)> = BTreeMap::new();
    let mut expected_ledger: BTreeMap<String, (i64, u64, u64)> = BTreeMap::new();
    for e in &events {
        let amount = e.data.to_json()["amount"].as_i64().unwrap();
        let id = e.stream.strip_prefix("Account-").unwrap().to_string();
        let f = folded.entry(id.clone()).or_default();
        f.0 += amount;
        f.1 += 1;
        assert_eq!(e.version, f.1, "{}: versions are dense", e.stream);
        f.2 = e.version;
        let l = expected_ledger.entry(id).or_default();
        l.0 += amount;
        l.1 += 1;
        l.2 = e.position;
    }
    let cold = open_cold(url, progress);
    let streams = retry("streams", progress, || engine.streams(Some("Account")));
    assert_eq!(streams.len(), folded.len());
    for s in &streams {
        let id = s.stream.strip_prefix("Account-").unwrap();
        let (balance, deposits, version) = folded[id];
        assert_eq!(s.version, version, "{}", s.stream);
        let want = json!({"balance": balance, "deposits": deposits});
        for (which, e) in [("the writers' engine", engine), ("a cold engine", &cold)] {
            let loaded = retry("load", progress, || e.load("Account", id));
            assert_eq!(loaded.state.to_json(), want, "{} in {which}", s.stream);
            assert_eq!(loaded.version, version, "{} in {which}", s.stream);
        }
    }
    cold.close().unwrap();

    // (c) Rows: what the handlers give, and what a rebuild gives.
    let balances: Vec<Json> = folded
        .iter()
        .map(|(a, (balance, deposits, version))| {
            json!({"account": a, "balance": balance, "deposits": deposits, "version": version})
        })
        .collect();
    let ledger: Vec<Json> = expected_ledger
        .iter()
        .map(|(a, (total, entries, last))| {
            json!({"account": a, "total": total, "entries": entries, "last_position": last})
        })
        .collect();
    let head = events.len() as u64;
    let reached = retry("wait_for", progress, || {
        engine.wait_for(head, Some("ledger-async"), LONG)
    });
    assert!(reached, "ledger-async did not reach {head} in {LONG:?}");
    for (projection, table, expected) in [
        ("balances-inline", "balances", &balances),
        ("ledger-async", "ledger", &ledger),
    ] {
        let before = rows(engine, table, progress);
        assert_eq!(
            &by_account(before.clone()),
            expected,
            "{table} against its handlers"
        );
        let rebuilt = retry(&format!("rebuild {projection}"), progress, || {
            engine.rebuild(projection)
        });
        assert_eq!(rebuilt.position, head, "{projection}");
        assert_eq!(
            rows(engine, table, progress),
            before,
            "{table} after a rebuild"
        );
    }
}

fn kinds(errors: &[(StoreErrorKind, String)]) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (k, _) in errors {
        *out.entry(k.as_str()).or_default() += 1;
    }
    out
}

/// The backends of `application_name` on the server (the pool's and the
/// listener's).
fn backends(client: &mut postgres::Client, app: &str) -> Vec<String> {
    client
        .query(
            "SELECT coalesce(query, '') FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&app],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits until the engine's listener is connected again (a backend of
/// `app` whose last statement is `LISTEN`): wake-ups came back.
fn wait_for_listener(schema: &pg::Schema, app: &str) {
    let mut client = schema.client();
    for _ in 0..(LONG.as_millis() / 50) {
        if backends(&mut client, app)
            .iter()
            .any(|q| q.starts_with("LISTEN"))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the listener of {app} did not reconnect in {LONG:?}");
}

#[test]
fn server_restart_mid_load() {
    // Taken first, so that the schema is made and dropped while it is held.
    let _alone = SERVER.write().unwrap_or_else(|e| e.into_inner());
    let Some(schema) = pg::Schema::new("restart") else {
        return;
    };
    let state = match std::env::var("EVENTFOLD_TEST_PG_STATE") {
        Ok(s) if !s.is_empty() => s,
        _ => {
            assert!(
                std::env::var_os("EVENTFOLD_REQUIRE_POSTGRES").is_none(),
                "EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_PG_STATE is not: \
                 make test sets both (tests/postgres/with_cluster.sh)"
            );
            eprintln!(
                "server_restart_mid_load: skipped, it restarts the server and so needs the \
                 throwaway cluster of tests/postgres/with_cluster.sh (EVENTFOLD_TEST_PG_STATE)"
            );
            return;
        }
    };
    let app = schema.name.clone();
    let url = schema.url_with(&format!("application_name={app}"));
    let engine = open(&url);
    let progress = Progress::default();
    const WRITERS: usize = 6;
    const PER_WRITER: usize = 60;
    let restarts = [80, 220];
    load(&engine, &progress, "restart", WRITERS, PER_WRITER, || {
        for at in restarts {
            progress.wait_for(at, WRITERS);
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let out = Command::new("bash")
                .args(["tests/postgres/cluster.sh", "restart", &state, "immediate"])
                .current_dir(&root)
                .output()
                .expect("run tests/postgres/cluster.sh");
            assert!(
                out.status.success(),
                "cluster.sh restart failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!(
                "restarted the server at {} acknowledged commands",
                progress.count()
            );
        }
    });
    let errors = progress.errors();
    eprintln!("store errors the writers retried: {:?}", kinds(&errors));
    for (kind, message) in &errors {
        assert_eq!(*kind, StoreErrorKind::Unavailable, "{message}");
    }
    assert_eq!(progress.count(), WRITERS * PER_WRITER);
    wait_for_listener(&schema, &app);
    check(&engine, &url, &progress);
    engine.close().unwrap();
}

#[test]
fn terminated_backends_mid_load() {
    // Taken first, so that the schema is dropped while it is held.
    let _shared = shared_server();
    let Some(schema) = pg::Schema::new("terminate") else {
        return;
    };
    // Only this engine's connections carry this name, the listener's too.
    let app = schema.name.clone();
    let url = schema.url_with(&format!("application_name={app}"));
    let engine = open(&url);
    let progress = Progress::default();
    const WRITERS: usize = 6;
    const PER_WRITER: usize = 60;
    let mut terminated = Vec::new();
    load(&engine, &progress, "terminate", WRITERS, PER_WRITER, || {
        let mut client = schema.client();
        for at in [30, 90, 150, 210, 270, 330] {
            progress.wait_for(at, WRITERS);
            let n = client
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    &[&app],
                )
                .unwrap()
                .iter()
                .filter(|r| r.get::<_, bool>(0))
                .count();
            terminated.push(n);
        }
    });
    let errors = progress.errors();
    eprintln!(
        "terminated backends per round: {terminated:?}; store errors the writers retried: {:?}",
        kinds(&errors)
    );
    // The first round finds at least the listener, connected since open.
    assert!(terminated[0] > 0, "{terminated:?}");
    for (kind, message) in &errors {
        assert_eq!(*kind, StoreErrorKind::Unavailable, "{message}");
    }
    assert_eq!(progress.count(), WRITERS * PER_WRITER);
    wait_for_listener(&schema, &app);
    check(&engine, &url, &progress);
    engine.close().unwrap();
}

/// Readers beside the writers: rows of both tables and every event, until
/// `done`.
fn readers(engine: &Engine, progress: &Progress, done: &Mutex<bool>) {
    let mut round = 0usize;
    while !*done.lock().unwrap() {
        match round % 3 {
            0 => drop(rows(engine, "balances", progress)),
            1 => drop(rows(engine, "ledger", progress)),
            _ => drop(retry("read_all", progress, || {
                engine.read_all(None, Some(500))
            })),
        }
        round += 1;
    }
}

#[test]
fn full_pool_under_load() {
    // Taken first, so that the schema is dropped while it is held.
    let _shared = shared_server();
    let Some(schema) = pg::Schema::new("pool") else {
        return;
    };
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 40;
    const READERS: usize = 3;
    let progress = Progress::default();
    // Phase 1: two connections for eight writers, three readers and the
    // runner, and time enough to wait: everything completes, nothing fails.
    let url = schema.url_with("pool_size=2&pool_timeout=300000");
    let engine = open(&url);
    let done = Mutex::new(false);
    std::thread::scope(|s| {
        let r: Vec<_> = (0..READERS)
            .map(|_| s.spawn(|| readers(&engine, &progress, &done)))
            .collect();
        load(&engine, &progress, "wait", WRITERS, PER_WRITER, || {});
        *done.lock().unwrap() = true;
        for h in r {
            h.join().unwrap();
        }
    });
    assert_eq!(
        progress.errors(),
        vec![],
        "with time enough to wait for a connection, nothing fails"
    );
    assert_eq!(progress.count(), WRITERS * PER_WRITER);
    check(&engine, &url, &progress);
    engine.close().unwrap();

    // Phase 2: a pool_timeout that the pool's two connections outlast:
    // the test's own client locks the events table mid-load, so that two
    // calls hold both connections waiting for it and the next call's wait
    // for a connection runs out. It fails busy, naming pool_size; retried,
    // it succeeds once the lock is gone (given up at the first such
    // failure). The timeout still lets an open make its first connection
    // (SCRAM takes ~100 ms in a debug build), and busy_timeout outlasts
    // the table lock.
    let url = schema.url_with("pool_size=2&pool_timeout=1000&busy_timeout=300000");
    let engine = retry("open", &progress, || {
        Engine::open(&url, domain(), EngineOptions::default())
    });
    let done = Mutex::new(false);
    std::thread::scope(|s| {
        let r: Vec<_> = (0..READERS)
            .map(|_| s.spawn(|| readers(&engine, &progress, &done)))
            .collect();
        load(&engine, &progress, "short", WRITERS, PER_WRITER, || {
            progress.wait_for(WRITERS * PER_WRITER + 60, WRITERS);
            let mut client = schema.client();
            let mut tx = client.transaction().unwrap();
            tx.batch_execute(&format!(
                "LOCK TABLE {}.eventfold_events IN ACCESS EXCLUSIVE MODE",
                schema.name
            ))
            .unwrap();
            progress.wait_for_error(StoreErrorKind::Busy);
            tx.commit().unwrap();
        });
        *done.lock().unwrap() = true;
        for h in r {
            h.join().unwrap();
        }
    });
    let errors = progress.errors();
    eprintln!("phase 2: store errors retried: {:?}", kinds(&errors));
    assert!(!errors.is_empty(), "a call waited out pool_timeout");
    for (kind, message) in &errors {
        assert_eq!(*kind, StoreErrorKind::Busy, "{message}");
        assert!(
            message.contains("pool_size"),
            "a busy pool says what to raise: {message}"
        );
    }
    assert_eq!(progress.count(), 2 * WRITERS * PER_WRITER);
    check(&engine, &url, &progress);
    engine.close().unwrap();
}

/// An engine dropped without `close`, or whose open failed, leaves no
/// connection behind: a full pool's callers retry opens, and each open
/// that failed must not keep a slot of the server (its listener's).
#[test]
fn a_dropped_engine_leaves_no_connection() {
    let _shared = shared_server();
    let Some(schema) = pg::Schema::new("dropped") else {
        return;
    };
    let app = schema.name.clone();
    let url = schema.url_with(&format!("application_name={app}"));
    let progress = Progress::default();
    for n in 0..3 {
        let engine = open(&url);
        deposit(&engine, &progress, "dropped", 0, n);
        drop(engine);
    }
    let mut client = schema.client();
    for _ in 0..(LONG.as_millis() / 50) {
        if backends(&mut client, &app).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "dropped engines left connections: {:?}",
        backends(&mut client, &app)
    );
}

/// A child process, killed when dropped (a failed test leaves none).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CHILDREN: usize = 4;
const PER_CHILD: usize = 80;

/// A writer process: `EVENTFOLD_PGFAULTS_CHILD` is `URL TAG`; it prints
/// `acked COMMAND_ID STREAM VERSION POSITION EVENT_ID` for each command
/// acknowledged, then `done`.
#[test]
#[ignore = "run by writer_processes_and_a_gap_checking_subscriber as a child process"]
fn child() {
    let Ok(spec) = std::env::var("EVENTFOLD_PGFAULTS_CHILD") else {
        return;
    };
    let (url, tag) = spec.split_once(' ').unwrap();
    // Ends the harness's "test child ... " line: every line below is whole.
    println!();
    let engine = open(url);
    let progress = Progress::default();
    // Two threads of its own, so that its commands share group commits.
    std::thread::scope(|s| {
        for w in 0..2 {
            let (engine, progress) = (&engine, &progress);
            s.spawn(move || {
                for n in 0..PER_CHILD / 2 {
                    let a = deposit(engine, progress, tag, w, n);
                    println!(
                        "acked {} {} {} {} {}",
                        a.command_id, a.stream, a.version, a.position, a.event_id
                    );
                }
            });
        }
    });
    engine.close().unwrap();
    println!("done");
}

#[test]
fn writer_processes_and_a_gap_checking_subscriber() {
    // Taken first, so that the schema is dropped while it is held.
    let _shared = shared_server();
    let Some(schema) = pg::Schema::new("procs") else {
        return;
    };
    let url = schema.url();
    // Made before the children open it, and subscribed from the start.
    let engine = open(&url);
    let progress = Progress::default();
    let sub = engine
        .subscribe("gaps", &SubscribeOptions::default())
        .unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|c| {
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("EVENTFOLD_PGFAULTS_CHILD", format!("{url} proc{c}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            let out = BufReader::new(child.stdout.take().unwrap());
            (Proc(child), out)
        })
        .collect();
    let ended = Mutex::new(0usize);
    let mut delivered: Vec<u64> = Vec::new();
    std::thread::scope(|s| {
        let mut procs = Vec::new();
        for (proc, out) in children {
            procs.push(proc);
            let (progress, ended) = (&progress, &ended);
            s.spawn(move || {
                let mut done = false;
                for line in out.lines() {
                    let line = line.unwrap();
                    if let Some(rest) = line.strip_prefix("acked ") {
                        let p: Vec<&str> = rest.split(' ').collect();
                        progress.ack(Ack {
                            command_id: p[0].into(),
                            stream: p[1].into(),
                            version: p[2].parse().unwrap(),
                            position: p[3].parse().unwrap(),
                            event_id: p[4].into(),
                        });
                    } else if line == "done" {
                        done = true;
                    }
                }
                *ended.lock().unwrap() += 1;
                assert!(done, "a writer process ended before it said done");
            });
        }
        // The subscriber: each delivered position is one past the last.
        loop {
            let finished = *ended.lock().unwrap() == CHILDREN;
            let batch = retry("poll", &progress, || {
                sub.poll(50, Duration::from_millis(200))
            });
            for e in &batch {
                let last = delivered.last().copied().unwrap_or(0);
                assert_eq!(e.position, last + 1, "a gap or a repeat after {last}");
                delivered.push(e.position);
            }
            if let Some(e) = batch.last() {
                retry("ack", &progress, || sub.ack(e.position));
            } else if finished {
                let last = delivered.last().copied().unwrap_or(0);
                let more = retry("read_all", &progress, || {
                    engine.read_all(Some(last + 1), Some(1))
                });
                if more.is_empty() {
                    break;
                }
            }
        }
        for mut p in procs {
            let status = p.0.wait().unwrap();
            assert!(status.success(), "a writer process failed: {status}");
        }
    });
    assert_eq!(progress.count(), CHILDREN * PER_CHILD);
    assert_eq!(
        delivered,
        (1..=(CHILDREN * PER_CHILD) as u64).collect::<Vec<_>>()
    );
    let mut acked: Vec<u64> = progress
        .acks
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.position)
        .collect();
    acked.sort_unstable();
    assert_eq!(
        acked, delivered,
        "the subscriber saw every acknowledged event once"
    );
    drop(sub);
    check(&engine, &url, &progress);
    engine.close().unwrap();
}
