//! Model changes across processes, on one SQLite file (issue 14): `migrate
//! plan` and `apply` while two writer processes keep going, one with
//! `on_model_change: follow` and one with `fail`; and an apply killed again
//! and again, which leaves the old model active or the new one, never a mix.
//!
//! Children are this test binary again, running the ignored test `child`
//! that `EVENTFOLD_MIGRATE_CHILD` turns on. Nothing waits on time: the
//! parent waits for lines from its children, and a kill lands wherever it
//! lands (every outcome is checked).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use eventfold::engine::{EngineOptions, ExecuteOptions, ExecuteRequest, OnModelChange};
use eventfold::{Domain, Engine, Source};
use serde_json::{json, Value as Json};

const V1: &str = r#"
model Todos {
  state { todos: map<string, Todo>; added: int }
  record Todo { id: string; text: string }
  command add(id: string, text: string) {
    reject duplicate "todo ${id} exists" if id in todos
    emit created(id, text)
  }
  event created(id: string, text: string) {
    set todos[id] = Todo{id, text}
    set added = added + 1
  }
}
"#;

const V2: &str = r#"
model Todos {
  enum Priority { low, normal, high }
  state { todos: map<string, Todo>; added: int }
  record Todo { id: string; text: string; priority: Priority }
  command add(id: string, text: string, priority: Priority = Priority.high) {
    reject duplicate "todo ${id} exists" if id in todos
    emit created(id, text, priority)
  }
  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
    set added = added + 1
  }
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: Priority.normal)
  }
}

table todo_rows {
  key list: string
  key id: string
  priority: Todos.Priority
}

projection todo-rows inline {
  on Todos.created {
    insert todo_rows(list: stream.id, id, priority)
  }
}
"#;

/// After the switch, a following writer writes this many more commands.
const AFTER_SWITCH: usize = 30;

fn domain(text: &str) -> Domain {
    Domain::compile(&[Source::new("todos.model", text)]).unwrap()
}

static COUNT: AtomicUsize = AtomicUsize::new(0);

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "eventfold-migrate-procs-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn url(&self) -> String {
        format!(
            "sqlite:{}?synchronous=normal",
            self.0.join("s.db").display()
        )
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(on_change: OnModelChange) -> EngineOptions {
    EngineOptions {
        on_model_change: on_change,
        ..EngineOptions::default()
    }
}

fn add(id: String, list: usize) -> ExecuteRequest {
    ExecuteRequest {
        model: "Todos".into(),
        id: format!("l{}", list % 13),
        command: json!({"type": "add", "data": {"id": id, "text": "x"}}),
        options: ExecuteOptions::default(),
    }
}

/// Writes `n` todos over thirteen lists.
fn fill(engine: &Engine, n: usize) {
    let requests: Vec<ExecuteRequest> = (0..n).map(|i| add(format!("p{i}"), i)).collect();
    for chunk in requests.chunks(200) {
        engine.execute_many(chunk).unwrap();
    }
}

/// A child process, killed when dropped (a failed test leaves none).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(role: &str, url: &str) -> (Proc, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EVENTFOLD_MIGRATE_CHILD", format!("{role} {url}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (Proc(child), lines)
}

/// The next line that starts with `want`.
fn wait_line(lines: &mut Lines<BufReader<ChildStdout>>, want: &str) -> String {
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with(want) {
            return line;
        }
        seen.push(line);
    }
    panic!("the child ended before it said {want}, after: {seen:?}");
}

/// The child: a writer (`follow`, `fail`) that adds todos and prints each
/// one it wrote, or an applier (`apply`).
#[test]
#[ignore = "run by the other tests as a child process"]
fn child() {
    let Ok(spec) = std::env::var("EVENTFOLD_MIGRATE_CHILD") else {
        return;
    };
    let (role, url) = spec.split_once(' ').unwrap();
    // Ends the harness's "test child ... " line: every line below is whole.
    println!();
    match role {
        "follow" | "fail" => {
            let on_change = if role == "follow" {
                OnModelChange::Follow
            } else {
                OnModelChange::Fail
            };
            let engine = Engine::open(url, domain(V1), options(on_change)).unwrap();
            let mut after_switch = 0;
            for n in 0.. {
                let r = add(format!("{role}{n}"), n);
                match engine.execute("Todos", &r.id, &r.command, &r.options) {
                    Ok(done) => {
                        let e = &done.events[0];
                        println!("wrote {} {} {} {}", e.stream, e.version, e.id, e.schema);
                        if n == 0 {
                            println!("ready");
                        }
                        if e.schema == 2 {
                            after_switch += 1;
                            if after_switch == AFTER_SWITCH {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        println!("error {}", e.code());
                        break;
                    }
                }
            }
            println!("done");
        }
        "apply" => {
            let engine = match Engine::open_active(url, EngineOptions::default()) {
                Ok(e) => e,
                Err(e) => return println!("error {e}"),
            };
            println!("applying");
            let applied = engine
                .migrate_apply_with_progress(&domain(V2), &mut |stage, done, total| {
                    println!("stage {stage} {done} {total}")
                })
                .unwrap();
            println!("applied {}", applied.position);
        }
        other => panic!("unknown role {other}"),
    }
}

/// Every stream's state under `engine` equals a full replay of its events
/// under `text`'s model, and the rows equal `project` over every event.
fn assert_consistent(engine: &Engine, text: &str) {
    let d = domain(text);
    for s in engine.streams(Some("Todos")).unwrap() {
        let events = engine.read_stream_json(&s.stream, None).unwrap();
        let replayed: Json =
            serde_json::from_str(&d.replay_json("Todos", &events, None).unwrap()).unwrap();
        let id = &s.stream["Todos-".len()..];
        let loaded = engine.load("Todos", id).unwrap();
        assert_eq!(loaded.state.to_json(), replayed, "stream {}", s.stream);
        assert_eq!(loaded.version, s.version);
    }
    if text == V2 {
        let events: Json = serde_json::from_str(&engine.read_all_json(None).unwrap()).unwrap();
        let input: Vec<Json> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let stream = e["stream"].as_str().unwrap();
                json!({"model": "Todos", "id": &stream["Todos-".len()..], "type": e["type"],
                       "schema": e["schema"], "data": e["data"], "version": e["version"],
                       "position": e["position"], "event_id": e["id"]})
            })
            .collect();
        let oracle = d.project("todo-rows", &Json::Array(input), None).unwrap();
        let rows: Json =
            serde_json::from_str(&engine.rows_json("todo_rows", None).unwrap()).unwrap();
        assert_eq!(rows, oracle["todo_rows"]);
    }
}

fn active_revision(engine: &Engine) -> Vec<String> {
    engine
        .model_versions()
        .unwrap()
        .into_iter()
        .filter(|v| v.active && v.model == "Todos")
        .map(|v| v.revision)
        .collect()
}

#[test]
fn plan_and_apply_while_a_following_and_a_failing_writer_process_keep_going() {
    let dir = TempDir::new();
    let url = dir.url();
    let setup = Engine::open(&url, domain(V1), EngineOptions::default()).unwrap();
    fill(&setup, 3000);
    drop(setup);
    let (_follow, mut follow_out) = spawn("follow", &url);
    let (_fail, mut fail_out) = spawn("fail", &url);
    wait_line(&mut follow_out, "ready");
    wait_line(&mut fail_out, "ready");

    let tool = Engine::open_active(&url, EngineOptions::default()).unwrap();
    let plan = tool.migrate_plan(&domain(V2)).unwrap();
    assert!(plan.ok, "{plan:?}");
    assert!(plan.replay.streams >= 13);
    let applied = tool.migrate_apply(&domain(V2)).unwrap();
    assert!(applied.pause_millis <= applied.millis);

    // Each writer's lines: what it wrote, and how it ended.
    let mut written: HashMap<(String, u64), (String, u32)> = HashMap::new();
    let mut endings = BTreeMap::new();
    for (name, out) in [("follow", &mut follow_out), ("fail", &mut fail_out)] {
        let mut last = String::new();
        for line in out.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("wrote ") {
                let parts: Vec<&str> = rest.split(' ').collect();
                written.insert(
                    (parts[0].to_string(), parts[1].parse().unwrap()),
                    (parts[2].to_string(), parts[3].parse().unwrap()),
                );
            } else if line.starts_with("error") || line == "done" {
                if line == "done" {
                    break;
                }
                last = line;
            }
        }
        endings.insert(name, last);
    }
    assert_eq!(endings["fail"], "error model_changed");
    assert_eq!(
        endings["follow"], "",
        "the follower ended after {AFTER_SWITCH} writes under v2"
    );

    let check = Engine::open(&url, domain(V2), EngineOptions::default()).unwrap();
    assert_eq!(
        active_revision(&check),
        vec![eventfold::engine::revision(&domain(V2), "Todos").unwrap()]
    );
    // No acknowledged event lost: each is stored, with its id and schema.
    let raw: Vec<Json> =
        serde_json::from_str(&check.read_all_json(Some(r#"{"raw": true}"#)).unwrap()).unwrap();
    let stored: HashMap<(String, u64), (&str, u64, u64)> = raw
        .iter()
        .map(|e| {
            (
                (
                    e["stream"].as_str().unwrap().to_string(),
                    e["version"].as_u64().unwrap(),
                ),
                (
                    e["id"].as_str().unwrap(),
                    e["schema"].as_u64().unwrap(),
                    e["position"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    for (key, (id, schema)) in &written {
        let (sid, sschema, _) = stored
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} was acknowledged and is not stored"));
        assert_eq!((*sid, *sschema), (id.as_str(), u64::from(*schema)));
    }
    // No event of the old model after the switch, and some of the new.
    for e in &raw {
        if e["position"].as_u64().unwrap() > applied.position {
            assert_eq!(e["schema"], 2, "{e}");
        }
    }
    assert!(written.values().filter(|(_, s)| *s == 2).count() >= AFTER_SWITCH);
    assert_consistent(&check, V2);
}

#[test]
fn an_apply_killed_anywhere_leaves_one_model_active_and_a_later_apply_finishes() {
    let dir = TempDir::new();
    let url = dir.url();
    let setup = Engine::open(&url, domain(V1), EngineOptions::default()).unwrap();
    fill(&setup, 4000);
    drop(setup);
    let v1 = eventfold::engine::revision(&domain(V1), "Todos").unwrap();
    let v2 = eventfold::engine::revision(&domain(V2), "Todos").unwrap();
    let mut outcomes = Vec::new();
    for round in 0..12 {
        let (mut child, mut out) = spawn("apply", &url);
        wait_line(&mut out, "applying");
        // Kill it further on each round: among the snapshots, the shadows,
        // at the switch; wherever that lands.
        for _ in 0..round * 2 {
            if wait_line(&mut out, "").starts_with("applied") {
                break;
            }
        }
        let _ = child.0.kill();
        let _ = child.0.wait();
        let look = Engine::open_active(
            &url,
            EngineOptions {
                run_projections: false,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let active = active_revision(&look);
        assert_eq!(active.len(), 1, "one active version of Todos");
        if active[0] == v2 {
            assert_consistent(&look, V2);
            outcomes.push("new");
            break;
        }
        assert_eq!(active[0], v1);
        // The old model still writes, and reads right.
        let writer = Engine::open(&url, domain(V1), EngineOptions::default()).unwrap();
        writer
            .execute_many(&[add(format!("r{round}"), round)])
            .unwrap();
        assert_consistent(&writer, V1);
        outcomes.push("old");
    }
    // Whatever the kills left, an apply to the end finishes the change.
    let tool = Engine::open_active(&url, EngineOptions::default()).unwrap();
    tool.migrate_apply(&domain(V2)).unwrap();
    assert_eq!(active_revision(&tool), vec![v2]);
    assert_consistent(&tool, V2);
    eprintln!("where the kills left the store: {outcomes:?}");
    assert!(!outcomes.is_empty());
}
