//! Model changes (ARCHITECTURE.md "Model changes, live"; issue 14): the
//! registry, `on_model_change`, raw reads, `migrate plan` and `apply`, on
//! every store (PostgreSQL given a test server).

use std::sync::Arc;

use eventfold::engine::{fingerprint, EngineOptions, ExecuteOptions, OnModelChange};
use eventfold::store::{self, Store};
use eventfold::{Domain, Engine, Error, Source};
use serde_json::{json, Value as Json};

/// Version 1: a todo is created with an id and a text.
const V1: &str = r#"
model Todos {
  state { todos: map<string, Todo> }
  record Todo { id: string; text: string }
  command add(id: string, text: string) {
    reject duplicate "todo ${id} exists" if id in todos
    emit created(id, text)
  }
  event created(id: string, text: string) {
    set todos[id] = Todo{id, text}
  }
}
"#;

/// Version 2: a todo has a priority; stored `created@1` reads as normal.
const V2: &str = r#"
model Todos {
  enum Priority { low, normal, high }
  state { todos: map<string, Todo> }
  record Todo { id: string; text: string; priority: Priority }
  command add(id: string, text: string, priority: Priority = Priority.high) {
    reject duplicate "todo ${id} exists" if id in todos
    emit created(id, text, priority)
  }
  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
  }
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: Priority.normal)
  }
}

table todo_rows {
  key id: string
  text: string
  priority: Todos.Priority
}

projection todo-rows inline {
  on Todos.created {
    insert todo_rows(id, text, priority)
  }
}
"#;

/// Version 3 forgot the upcast: stored `created@1` is unreadable.
const V3: &str = r#"
model Todos {
  enum Priority { low, normal, high }
  state { todos: map<string, Todo> }
  record Todo { id: string; text: string; priority: Priority }
  command add(id: string, text: string, priority: Priority = Priority.high) {
    emit created(id, text, priority)
  }
  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
  }
}
"#;

fn domain(text: &str) -> Domain {
    Domain::compile(&[Source::new("todos.model", text)]).unwrap_or_else(|e| panic!("{e}"))
}

struct Dir(std::path::PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d =
            std::env::temp_dir().join(format!("eventfold-migrate-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn url(&self) -> String {
        format!("sqlite:{}", self.0.join("store.db").display())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

mod pg;

/// What keeps a store's data while a test runs: its folder or its schema.
type Kept = Option<Box<dyn std::any::Any>>;

/// Every store: a memory store shared by the engines of one test, a SQLite
/// file, and a PostgreSQL schema when a test server is given.
fn stores(name: &str) -> Vec<(Arc<dyn Store>, Kept)> {
    let dir = Dir::new(name);
    let sqlite: Arc<dyn Store> = Arc::from(store::open(&dir.url()).unwrap());
    let mut all: Vec<(Arc<dyn Store>, Kept)> = vec![
        (Arc::new(store::memory::MemoryStore::new()), None),
        (sqlite, Some(Box::new(dir))),
    ];
    if let Some(schema) = pg::Schema::new(&format!("migrate_{}", name.replace('-', "_"))) {
        let postgres: Arc<dyn Store> = Arc::from(store::open(&schema.url()).unwrap());
        all.push((postgres, Some(Box::new(schema))));
    }
    all
}

fn open(store: &Arc<dyn Store>, text: &str, on_change: OnModelChange) -> Engine {
    let options = EngineOptions {
        on_model_change: on_change,
        ..EngineOptions::default()
    };
    Engine::with_store(store.clone(), domain(text), options).unwrap()
}

fn add(engine: &Engine, id: &str) -> eventfold::Result<eventfold::engine::Executed> {
    engine.execute(
        "Todos",
        "list",
        &json!({"type": "add", "data": {"id": id, "text": format!("do {id}")}}),
        &ExecuteOptions::default(),
    )
}

fn read(engine: &Engine, raw: bool) -> Vec<Json> {
    let text = engine
        .read_stream_json("Todos-list", Some(&json!({"raw": raw}).to_string()))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn active(engine: &Engine) -> String {
    engine
        .model_versions()
        .unwrap()
        .into_iter()
        .find(|v| v.active && v.model == "Todos")
        .unwrap()
        .revision
}

fn revision(text: &str) -> String {
    eventfold::engine::revision(&domain(text), "Todos").unwrap()
}

#[test]
fn a_store_written_by_v1_reads_through_the_upcasts_of_v2() {
    for (store, _dir) in stores("upcast-read") {
        let e1 = open(&store, V1, OnModelChange::Fail);
        add(&e1, "a").unwrap();
        drop(e1);
        let e2 = open(&store, V2, OnModelChange::Fail);
        let state = e2.load("Todos", "list").unwrap().state.to_json();
        assert_eq!(state["todos"]["a"]["priority"], "normal");
        let upcast = read(&e2, false);
        assert_eq!(
            (
                upcast[0]["schema"].clone(),
                upcast[0]["data"]["priority"].clone()
            ),
            (json!(2), json!("normal"))
        );
        let raw = read(&e2, true);
        assert_eq!(raw[0]["schema"], 1);
        assert_eq!(raw[0]["data"], json!({"id": "a", "text": "do a"}));
        // A new command writes the current version.
        add(&e2, "b").unwrap();
        assert_eq!(read(&e2, true)[1]["schema"], 2);
        // Opening with files never seen made them active.
        assert_eq!(active(&e2), revision(V2));
    }
}

#[test]
fn raw_is_a_bool() {
    let store: Arc<dyn Store> = Arc::new(store::memory::MemoryStore::new());
    let e = open(&store, V1, OnModelChange::Fail);
    let err = e
        .read_stream_json("Todos-list", Some(r#"{"raw": 1}"#))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_command");
    let err = e.read_all_json(Some(r#"{"raw": "yes"}"#)).unwrap_err();
    assert_eq!(err.code(), "invalid_command");
}

#[test]
fn plan_lists_the_language_replay_and_projections_and_blocks_what_cannot_be_read() {
    for (store, _dir) in stores("plan") {
        let e1 = open(&store, V1, OnModelChange::Fail);
        add(&e1, "a").unwrap();
        add(&e1, "b").unwrap();
        let plan: Json =
            serde_json::from_str(&e1.migrate_plan_json(&domain(V2), None).unwrap()).unwrap();
        assert_eq!(plan["ok"], true, "{plan:#}");
        assert_eq!(plan["models"][0]["model"], "Todos");
        assert_eq!(plan["models"][0]["from"], json!(revision(V1)));
        assert_eq!(plan["models"][0]["to"], json!(revision(V2)));
        let language: Vec<(String, String, String)> = plan["language"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["change"].as_str().unwrap().into(),
                    c["kind"].as_str().unwrap().into(),
                    c["name"].as_str().unwrap().into(),
                )
            })
            .collect();
        for want in [
            ("added", "event", "created@2"),
            ("added", "upcast", "created@1"),
            ("added", "enum", "Priority"),
            ("changed", "command", "add"),
        ] {
            assert!(
                language
                    .iter()
                    .any(|c| (c.0.as_str(), c.1.as_str(), c.2.as_str()) == want),
                "{want:?} in {language:?}"
            );
        }
        assert_eq!(plan["replay"]["streams"], 1);
        assert_eq!(plan["replay"]["events"], 2);
        assert_eq!(plan["replay"]["different"], 1);
        let changes = &plan["replay"]["differences"][0]["changes"];
        assert!(
            changes
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["path"] == "todos.a.priority" && c["after"] == "normal"),
            "{changes}"
        );
        assert_eq!(
            plan["projections"],
            json!([{"name": "todo-rows", "change": "new", "tables": [
                {"table": "todo_rows", "before": 0, "after": 2, "added": 2, "removed": 0, "changed": 0}
            ]}])
        );
        // `differences` caps what is shown, not what is counted.
        let capped: Json = serde_json::from_str(
            &e1.migrate_plan_json(&domain(V2), Some(r#"{"differences": 0}"#))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (
                capped["replay"]["different"].clone(),
                capped["replay"]["differences"].clone()
            ),
            (json!(1), json!([]))
        );
        assert_eq!(
            e1.migrate_plan_json(&domain(V2), Some(r#"{"nope": 1}"#))
                .unwrap_err()
                .code(),
            "invalid_command"
        );

        // Blocking: v3 cannot read `created@1`.
        let plan = e1.migrate_plan(&domain(V3)).unwrap();
        assert!(!plan.ok);
        assert_eq!(plan.blocking.len(), 1);
        assert_eq!(
            (
                plan.blocking[0].event_type.as_str(),
                plan.blocking[0].schema,
                plan.blocking[0].events
            ),
            ("created", 1, 2)
        );
        let err = e1.migrate_apply(&domain(V3)).unwrap_err();
        assert_eq!(err.code(), "unknown_event");
        assert!(
            err.to_string().starts_with("migrate apply refused:"),
            "{err}"
        );
        // Nothing switched: v1 is active and writes on.
        assert_eq!(active(&e1), revision(V1));
        add(&e1, "c").unwrap();
        // Plan wrote nothing.
        assert_eq!(read(&e1, true).len(), 3);
    }
}

#[test]
fn apply_switches_the_store_fail_engines_fail_and_following_ones_follow() {
    for (store, _dir) in stores("apply") {
        let writer = open(&store, V1, OnModelChange::Fail);
        let failing = open(&store, V1, OnModelChange::Fail);
        let following = open(&store, V1, OnModelChange::Follow);
        add(&writer, "a").unwrap();
        add(&failing, "b").unwrap();
        add(&following, "c").unwrap();
        let applied = writer.migrate_apply(&domain(V2)).unwrap();
        assert_eq!(applied.models.len(), 1);
        assert_eq!(applied.models[0].to, revision(V2));
        assert_eq!(applied.snapshots, 1);
        assert_eq!(applied.projections, vec!["todo-rows".to_string()]);
        assert!(applied.pause_millis >= 0.0 && applied.pause_millis <= applied.millis);
        assert_eq!(active(&writer), revision(V2));
        // The applier runs v2 itself.
        add(&writer, "d").unwrap();
        // A v1 engine that fails: nothing written.
        let err = add(&failing, "e").unwrap_err();
        assert_eq!(err.code(), "model_changed");
        assert!(matches!(&err, Error::ModelChanged { model, .. } if model == "Todos"));
        // A v1 engine cannot read `created@2`; one that follows switches
        // when it meets it, even on a read.
        assert_eq!(
            failing.load("Todos", "list").unwrap_err().code(),
            "unknown_event"
        );
        let seen = following.load("Todos", "list").unwrap();
        assert_eq!(seen.state.to_json()["todos"]["d"]["priority"], "high");
        assert_eq!(
            following
                .domain()
                .event_version("Todos", "created")
                .unwrap(),
            2
        );
        // And runs v2 from now on.
        let done = add(&following, "f").unwrap();
        assert_eq!(done.events[0].schema, 2);
        assert_eq!(
            following
                .domain()
                .event_version("Todos", "created")
                .unwrap(),
            2
        );
        let raw = read(&writer, true);
        let schemas: Vec<i64> = raw.iter().map(|e| e["schema"].as_i64().unwrap()).collect();
        assert_eq!(schemas, vec![1, 1, 1, 2, 2]);
        // The projection was built from every event, and goes on inline.
        let rows: Json =
            serde_json::from_str(&writer.rows_json("todo_rows", None).unwrap()).unwrap();
        let prios: Vec<(&str, &str)> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r["priority"].as_str().unwrap()))
            .collect();
        assert_eq!(
            prios,
            vec![
                ("a", "normal"),
                ("b", "normal"),
                ("c", "normal"),
                ("d", "high"),
                ("f", "high")
            ]
        );
        // A v1 engine opened again is not made active again.
        let stale = open(&store, V1, OnModelChange::Fail);
        assert_eq!(add(&stale, "g").unwrap_err().code(), "model_changed");
        assert_eq!(active(&writer), revision(V2));
        // Applying again changes nothing.
        let again = writer.migrate_apply(&domain(V2)).unwrap();
        assert!(again.models.is_empty() && again.projections.is_empty());
    }
}

#[test]
fn apply_builds_snapshots_under_the_new_fingerprint_and_drops_the_old() {
    for (store, _dir) in stores("snapshots") {
        let e = open(&store, V1, OnModelChange::Fail);
        for i in 0..30 {
            add(&e, &format!("t{i}")).unwrap();
        }
        e.rebuild_snapshots(None, &mut |_, _| {}).unwrap();
        let old = fingerprint(&domain(V1), "Todos").unwrap();
        let new = fingerprint(&domain(V2), "Todos").unwrap();
        assert!(store.snapshot("Todos-list", &old).unwrap().is_some());
        e.migrate_apply(&domain(V2)).unwrap();
        let snap = store
            .snapshot("Todos-list", &new)
            .unwrap()
            .expect("a new snapshot");
        assert_eq!(snap.version, 30);
        assert!(
            snap.state.contains("\"priority\":\"normal\""),
            "{}",
            snap.state
        );
        assert!(store.snapshot("Todos-list", &old).unwrap().is_none());
        // A fresh v2 engine loads from it, and the state is a full replay's.
        let cold = open(&store, V2, OnModelChange::Fail);
        let loaded = cold.load("Todos", "list").unwrap();
        assert_eq!(loaded.version, 30);
        let replayed = domain(V2)
            .replay_json(
                "Todos",
                &cold.read_stream_json("Todos-list", None).unwrap(),
                None,
            )
            .unwrap();
        assert_eq!(
            loaded.state.to_json(),
            serde_json::from_str::<Json>(&replayed).unwrap()
        );
    }
}

/// Three versions of one event: `todo-added@1` was renamed `created@1`,
/// which became `created@2`.
const RENAMED: &str = r#"
model Todos {
  enum Priority { low, normal, high }
  state { todos: map<string, Todo> }
  record Todo { id: string; text: string; priority: Priority }
  command add(id: string, text: string) { emit created(id, text, priority: Priority.low) }
  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
  }
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: Priority.normal)
  }
  upcast todo-added@1(id: string, title: string) {
    emit created@1(id, text: title)
  }
}
"#;

const ADDED: &str = r#"
model Todos {
  state { todos: map<string, string> }
  command add(id: string, text: string) { emit todo-added(id, title: text) }
  event todo-added(id: string, title: string) { set todos[id] = title }
}
"#;

/// An upcast that drops the events of a retired name.
const DROPPING: &str = r#"
model Todos {
  state { todos: map<string, string> }
  command add(id: string, text: string) { emit created(id, text) }
  event created(id: string, text: string) { set todos[id] = text }
  upcast todo-added@1(id: string, title: string) {
    if title != "" {
      emit created(id, text: title)
    }
  }
}
"#;

#[test]
fn a_rename_across_three_versions_and_an_upcast_that_drops_events() {
    for (store, _dir) in stores("rename") {
        let old = open(&store, ADDED, OnModelChange::Fail);
        add(&old, "a").unwrap();
        old.execute(
            "Todos",
            "list",
            &json!({"type": "add", "data": {"id": "b", "text": ""}}),
            &ExecuteOptions::default(),
        )
        .unwrap();
        let plan = old.migrate_plan(&domain(RENAMED)).unwrap();
        assert!(plan.ok, "{plan:?}");
        old.migrate_apply(&domain(RENAMED)).unwrap();
        let events = read(&old, false);
        assert_eq!(
            events
                .iter()
                .map(|e| (e["type"].clone(), e["schema"].clone()))
                .collect::<Vec<_>>(),
            vec![(json!("created"), json!(2)); 2]
        );
        assert_eq!(
            events[0]["data"],
            json!({"id": "a", "text": "do a", "priority": "normal"})
        );
        assert_eq!(read(&old, true)[0]["type"], "todo-added");

        // Dropping: the empty title reads as no event at all.
        let dropping = open(&store, DROPPING, OnModelChange::Fail);
        let state = dropping.load("Todos", "list").unwrap();
        assert_eq!(state.version, 2, "the stream keeps its version");
        assert_eq!(state.state.to_json()["todos"], json!({"a": "do a"}));
        assert_eq!(read(&dropping, false).len(), 1);
        assert_eq!(read(&dropping, true).len(), 2);
    }
}

#[test]
fn on_model_change_is_fail_or_follow() {
    let store: Arc<dyn Store> = Arc::new(store::memory::MemoryStore::new());
    let err = Engine::open_json_options(&store, r#"{"on_model_change": "sometimes"}"#);
    assert_eq!(err.code(), "invalid_command");
    assert!(err.to_string().contains("on_model_change"), "{err}");
}

trait OpenJson {
    fn open_json_options(store: &Arc<dyn Store>, options: &str) -> Error;
}

impl OpenJson for Engine {
    fn open_json_options(_store: &Arc<dyn Store>, options: &str) -> Error {
        EngineOptions::from_json(&serde_json::from_str(options).unwrap()).unwrap_err()
    }
}

#[test]
fn open_active_runs_the_store_s_models() {
    let (dir, empty) = (Dir::new("active"), Dir::new("active-empty"));
    let schemas = pg::Schema::new("migrate_active").zip(pg::Schema::new("migrate_active_empty"));
    let urls = std::iter::once((dir.url(), empty.url()))
        .chain(schemas.as_ref().map(|(s, e)| (s.url(), e.url())));
    for (url, empty) in urls {
        let e = Engine::open(&url, domain(V1), EngineOptions::default()).unwrap();
        add(&e, "a").unwrap();
        e.close().unwrap();
        let tool = Engine::open_active(&url, EngineOptions::default()).unwrap();
        assert_eq!(tool.domain().models(), vec!["Todos"]);
        assert_eq!(tool.load("Todos", "list").unwrap().version, 1);
        tool.close().unwrap();
        let err = Engine::open_active(&empty, EngineOptions::default()).unwrap_err();
        assert_eq!(err.code(), "store_error", "{url}");
    }
}

#[test]
fn a_look_that_does_not_register_deploys_nothing() {
    for (store, _dir) in stores("look") {
        let e1 = open(&store, V1, OnModelChange::Fail);
        add(&e1, "a").unwrap();
        let look = Engine::with_store(
            store.clone(),
            domain(V2),
            EngineOptions {
                register_models: false,
                run_projections: false,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        // It reads through its upcasts, and registers nothing.
        assert_eq!(look.load("Todos", "list").unwrap().version, 1);
        assert_eq!(active(&e1), revision(V1));
        assert_eq!(look.model_versions().unwrap().len(), 1);
        add(&e1, "b").unwrap();
        // Nor does an engine without models.
        let empty = Domain::compile(&[]).unwrap();
        let tool = Engine::with_store(store.clone(), empty, EngineOptions::default()).unwrap();
        assert_eq!(tool.model_versions().unwrap().len(), 1);
    }
}

#[test]
fn an_engine_s_own_commands_go_on_through_its_apply() {
    for (store, _dir) in stores("own") {
        let e = open(&store, V1, OnModelChange::Fail);
        add(&e, "first").unwrap();
        let writer = {
            let e = e.clone();
            std::thread::spawn(move || {
                // Every one succeeds, before, during and after the switch.
                for i in 0..300 {
                    add(&e, &format!("w{i}")).unwrap_or_else(|err| panic!("command {i}: {err}"));
                }
            })
        };
        let applied = e.migrate_apply(&domain(V2)).unwrap();
        writer.join().unwrap();
        let raw = read(&e, true);
        assert_eq!(raw.len(), 301);
        for ev in &raw {
            if ev["position"].as_u64().unwrap() > applied.position {
                assert_eq!(ev["schema"], 2, "{ev}");
            }
        }
    }
}

/// V2 again, whose projection keeps only the high-priority todos.
fn v2_high_only() -> String {
    V2.replace(
        "    insert todo_rows(id, text, priority)",
        "    if priority == Todos.Priority.high {\n      insert todo_rows(id, text, priority)\n    }",
    )
}

#[test]
fn plan_says_how_a_changed_projection_s_rows_would_change() {
    for (store, _dir) in stores("rows") {
        let e = open(&store, V1, OnModelChange::Fail);
        add(&e, "a").unwrap();
        e.migrate_apply(&domain(V2)).unwrap();
        add(&e, "b").unwrap();
        add(&e, "c").unwrap();
        // a (normal, upcast), b and c (high) are live; the new projection
        // keeps b and c only.
        let high = domain(&v2_high_only());
        let plan: Json = serde_json::from_str(&e.migrate_plan_json(&high, None).unwrap()).unwrap();
        assert_eq!(plan["ok"], true, "{plan:#}");
        assert_eq!(
            plan["projections"],
            json!([{"name": "todo-rows", "change": "changed", "tables": [
                {"table": "todo_rows", "before": 3, "after": 2, "added": 0, "removed": 1, "changed": 0}
            ]}])
        );
        // A projection that fails on the stored events is not ok.
        let failing = V2.replace(
            "    insert todo_rows(id, text, priority)",
            "    insert todo_rows(id, text, priority)\n    insert todo_rows(id, text, priority)",
        );
        let plan = e.migrate_plan(&domain(&failing)).unwrap();
        assert!(!plan.ok);
        let error = plan.projections[0].error.as_ref().expect("an error");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("fails under the new model"),
            "{error}"
        );
    }
}
