//! The read side across processes and crashes, on one SQLite file: a
//! runner killed mid-batch again and again leaves rows exactly as a clean
//! rebuild makes them; of two processes that both run projections, one
//! holds each projection; a rebuild under write load loses no event.
//!
//! Children are this test binary again, running an ignored test that the
//! environment variable `EVENTFOLD_READ_SIDE_CHILD` turns on. Nothing here
//! waits on time: the parent waits for what it needs to see (a position
//! that moved, a line from a child), and a kill lands wherever it lands.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Source};
use serde_json::{json, Value as Json};

mod scratch;
use scratch::TempDir;

/// The todo model with its projection made async.
fn todos() -> Domain {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.model"),
    )
    .unwrap()
    .replace(
        "projection todo-board inline",
        "projection todo-board async",
    );
    Domain::compile(&[Source::new("todos.model", text)]).unwrap()
}

fn reader(url: &str) -> Engine {
    let options = EngineOptions {
        run_projections: false,
        ..EngineOptions::default()
    };
    Engine::open(url, todos(), options).unwrap()
}

fn status(engine: &Engine) -> Json {
    serde_json::from_str::<Json>(&engine.projections_json().unwrap()).unwrap()[0].clone()
}

/// Writes `n` commands over a few lists, in batches.
fn write(engine: &Engine, from: usize, n: usize) -> u64 {
    let mut last = 0;
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(50) {
        let batch: Vec<ExecuteRequest> = chunk
            .iter()
            .map(|&i| {
                let (command, todo) = if i % 3 == 2 {
                    (
                        json!({"type": "change-completed", "data": {"id": format!("t{}", i - 2), "completed": true}}),
                        i - 2,
                    )
                } else {
                    (
                        json!({"type": "create-new", "data": {"id": format!("t{i}"), "text": format!("todo {i}")}}),
                        i,
                    )
                };
                ExecuteRequest {
                    model: "Todos".into(),
                    id: format!("l{}", todo % 7),
                    command,
                    options: ExecuteOptions::default(),
                }
            })
            .collect();
        let done = engine.execute_many(&batch).unwrap();
        last = done.iter().map(|d| d.position).max().unwrap_or(last);
    }
    last
}

/// What `project` gives over every stored event, and the engine's rows.
fn oracle_and_rows(engine: &Engine) -> (Json, Json) {
    let events: Json = serde_json::from_str(&engine.read_all_json(None).unwrap()).unwrap();
    let input: Vec<Json> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let stream = e["stream"].as_str().unwrap();
            let mut metadata = e["metadata"].clone();
            let recorded_at = metadata["recorded_at"].clone();
            metadata.as_object_mut().unwrap().remove("recorded_at");
            json!({"model": "Todos", "id": &stream["Todos-".len()..], "type": e["type"],
                   "schema": e["schema"], "data": e["data"], "version": e["version"],
                   "position": e["position"], "recorded_at": recorded_at,
                   "metadata": metadata, "event_id": e["id"]})
        })
        .collect();
    let oracle = engine
        .domain()
        .project("todo-board", &Json::Array(input), None)
        .unwrap();
    let rows: Json = serde_json::from_str(&engine.rows_json("todo_rows", None).unwrap()).unwrap();
    (oracle["todo_rows"].clone(), rows)
}

/// A child process, killed when dropped (a failed test leaves none).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Proc {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn spawn(url: &str, role: &str) -> Proc {
    Proc(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("EVENTFOLD_READ_SIDE_CHILD", format!("{role} {url}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

/// Waits for the child's line that says its engine is open.
fn wait_ready(c: &mut Proc) {
    let out = c.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("ready") => break,
            Some(_) => continue,
            None => panic!("the child ended before it was ready"),
        }
    }
    // Keep reading so that the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
}

/// The child: opens an engine that runs projections and keeps it open
/// until killed, or (`rebuild`) rebuilds once and ends.
#[test]
#[ignore = "run by the other tests as a child process"]
fn child() {
    let Ok(spec) = std::env::var("EVENTFOLD_READ_SIDE_CHILD") else {
        return;
    };
    let (role, url) = spec.split_once(' ').unwrap();
    let _engine = Engine::open(url, todos(), EngineOptions::default()).unwrap();
    println!("ready");
    match role {
        "run" => loop {
            std::thread::park();
        },
        other => panic!("unknown role {other}"),
    }
}

/// Waits until the projection's position moves past `from` (or reaches
/// `head`).
fn wait_moved(engine: &Engine, from: u64, head: u64) -> u64 {
    loop {
        let p = status(engine)["position"].as_u64().unwrap();
        if p > from || p >= head {
            return p;
        }
        engine
            .wait_for(p + 1, None, Duration::from_millis(20))
            .unwrap();
    }
}

#[test]
fn a_runner_killed_mid_batch_leaves_rows_exactly_as_a_rebuild() {
    let dir = TempDir::new("read-side-procs");
    let url = dir.url();
    let watch = reader(&url);
    let mut written = 0;
    let mut head = 0;
    for round in 0..8 {
        head = write(&watch, written, 1500);
        written += 1500;
        let mut c = spawn(&url, "run");
        wait_ready(&mut c);
        let before = status(&watch)["position"].as_u64().unwrap();
        // Kill it once it has committed at least one batch this round: the
        // next batch is then in flight, or about to be.
        wait_moved(&watch, before, head);
        if round % 2 == 1 {
            // And sometimes a moment later, wherever that lands.
            std::thread::yield_now();
        }
        c.kill().unwrap();
        c.wait().unwrap();
        let after = status(&watch)["position"].as_u64().unwrap();
        assert!(after <= head);
    }
    // A clean run from where the kills left it.
    let engine = Engine::open(&url, todos(), EngineOptions::default()).unwrap();
    assert!(engine
        .wait_for(head, None, Duration::from_secs(600))
        .unwrap());
    let (oracle, rows) = oracle_and_rows(&engine);
    assert_eq!(rows, oracle);
    assert_eq!(status(&engine)["status"], "live");
    // And a rebuild from the first event gives the same rows.
    engine.rebuild("todo-board").unwrap();
    let (_, rebuilt) = oracle_and_rows(&engine);
    assert_eq!(rebuilt, oracle);
}

#[test]
fn of_two_processes_one_runs_the_projection() {
    let dir = TempDir::new("read-side-procs");
    let url = dir.url();
    let watch = reader(&url);
    let mut a = spawn(&url, "run");
    wait_ready(&mut a);
    let mut b = spawn(&url, "run");
    wait_ready(&mut b);
    let mut runners = std::collections::HashSet::new();
    let mut head = 0;
    for round in 0..5 {
        head = write(&watch, round * 600, 600);
        assert!(watch
            .wait_for(head, None, Duration::from_secs(600))
            .unwrap());
        if let Some(r) = status(&watch)["runner"].as_str() {
            runners.insert(r.to_string());
        }
    }
    assert_eq!(
        runners.len(),
        1,
        "one runner held it throughout: {runners:?}"
    );
    let (oracle, rows) = oracle_and_rows(&watch);
    assert_eq!(rows, oracle);
    // The holder dies; the other takes over at once (its process is gone).
    let holder = runners.into_iter().next().unwrap();
    let pid: u32 = holder.split(':').nth(1).unwrap().parse().unwrap();
    let (mut dead, mut alive) = if a.id() == pid { (a, b) } else { (b, a) };
    dead.kill().unwrap();
    dead.wait().unwrap();
    let head = write(&watch, 9_999, 300).max(head);
    assert!(watch
        .wait_for(head, None, Duration::from_secs(600))
        .unwrap());
    let now = status(&watch)["runner"].as_str().unwrap().to_string();
    assert!(now.contains(&format!(":{}:", alive.id())), "{now}");
    let (oracle, rows) = oracle_and_rows(&watch);
    assert_eq!(rows, oracle);
    alive.kill().unwrap();
    alive.wait().unwrap();
}

#[test]
fn a_rebuild_under_write_load_swaps_without_losing_an_event() {
    let dir = TempDir::new("read-side-procs");
    for url in ["memory:".to_string(), dir.url()] {
        let engine = Engine::open(&url, todos(), EngineOptions::default()).unwrap();
        write(&engine, 0, 3000);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut from = 100_002;
                let mut last = 0;
                // At least a few batches, however fast the rebuild goes.
                while !stop.load(Ordering::Acquire) || from < 100_002 + 51 * 4 {
                    last = write(&engine, from, 51);
                    from += 51;
                }
                last
            })
        };
        let done = engine.rebuild("todo-board").unwrap();
        stop.store(true, Ordering::Release);
        let last = writer.join().unwrap();
        assert!(done.position > 0);
        assert!(engine
            .wait_for(last, None, Duration::from_secs(600))
            .unwrap());
        let (oracle, rows) = oracle_and_rows(&engine);
        assert_eq!(rows, oracle, "{url}");
        engine.close().unwrap();
    }
}
