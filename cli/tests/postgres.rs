//! Every store command of the CLI against a `postgres://` store: exec,
//! state, query, events (and `--follow`, woken by another process's commit
//! through LISTEN/NOTIFY), streams, replay, rows, tables (with the
//! PostgreSQL types the store created, read from the catalog), projections,
//! rebuild, subscriptions, parked, migrate plan/apply/status, and the demo.
//! Each test runs on a fresh schema of the test server
//! (`EVENTFOLD_TEST_POSTGRES`), dropped when it ends; without a server the
//! tests are skipped, unless `EVENTFOLD_REQUIRE_POSTGRES` is set.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, Source};
use serde_json::{json, Value as Json};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/todos/todos.model");

// ------------------------------------------------ the server (as core/tests/pg)

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The server's URL, or `None` (with a note) when no server was given and
/// none is required.
fn server() -> Option<String> {
    match std::env::var("EVENTFOLD_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("EVENTFOLD_REQUIRE_POSTGRES").is_some() => {
            panic!("EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not")
        }
        _ => {
            eprintln!("no PostgreSQL server (EVENTFOLD_TEST_POSTGRES): skipped");
            None
        }
    }
}

/// A schema of its own on the test server and a folder to run the CLI in,
/// both gone when the test ends.
struct Store {
    base: String,
    schema: String,
    url: String,
    dir: PathBuf,
}

impl Store {
    fn new(name: &str) -> Option<Store> {
        let base = server()?;
        let schema = format!(
            "t_cli_{}_{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}schema={schema}");
        let dir = std::env::temp_dir().join(format!("eventfold-cli-pg-{name}-{schema}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let s = Store {
            base,
            schema,
            url,
            dir,
        };
        s.drop_schema();
        Some(s)
    }

    /// A plain client on the server, for looking behind the store.
    fn client(&self) -> postgres::Client {
        let base = self.base.split('?').next().unwrap();
        postgres::Client::connect(base, postgres::NoTls).expect("connect to the test server")
    }

    fn drop_schema(&self) {
        let mut c = self.client();
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }

    /// The store's arguments, `--store URL -m todos.model`, after `args`.
    fn with_store<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = args.to_vec();
        all.extend(["--store", &self.url, "-m", MODEL]);
        all
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_eventfold"));
        c.args(args)
            .current_dir(&self.dir)
            .env_remove("EVENTFOLD_STORE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self.command(args).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, "");
        assert!(
            out.status.success(),
            "eventfold {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must exit 1; its error, as the JSON on stderr.
    fn fails(&self, args: &[&str]) -> Json {
        let out = self.run(args, "");
        assert_eq!(
            out.status.code(),
            Some(1),
            "eventfold {args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        parse(&String::from_utf8_lossy(&out.stderr))
    }

    /// Every stored event, as `eventfold events` prints them.
    fn events(&self) -> Vec<Json> {
        lines(&self.ok(&["events", "--store", &self.url]))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.drop_schema();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn parse(text: &str) -> Json {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn lines(text: &str) -> Vec<Json> {
    text.lines().map(parse).collect()
}

// ------------------------------------------------------------------ helpers

/// Commands on two lists, touching every handler of `todo-board`.
fn fill(s: &Store) {
    let script = [
        (
            "home",
            json!({"type": "create-new", "data": {"id": "milk", "text": "Buy milk"}}),
        ),
        (
            "home",
            json!({"type": "create-new", "data": {"id": "bread", "text": "Bread"}}),
        ),
        (
            "work",
            json!({"type": "create-complete", "data": {"id": "mail", "text": "Answer mail"}}),
        ),
        (
            "home",
            json!({"type": "change-text", "data": {"id": "bread", "new_text": "Rye bread"}}),
        ),
        (
            "home",
            json!({"type": "change-completed", "data": {"id": "milk", "completed": true}}),
        ),
        (
            "work",
            json!({"type": "create-new", "data": {"id": "report", "text": "Write the report"}}),
        ),
        ("work", json!({"type": "clear-done"})),
        (
            "home",
            json!({"type": "create-new", "data": {"id": "eggs", "text": "Eggs"}}),
        ),
        ("home", json!({"type": "delete", "data": {"id": "eggs"}})),
        (
            "work",
            json!({"type": "create-new", "data": {"id": "plan", "text": "Plan the week"}}),
        ),
    ];
    let mut position = 0;
    for (list, cmd) in script {
        let cmd = cmd.to_string();
        let result = parse(&s.ok(&s.with_store(&["exec", "Todos", list, &cmd])));
        let p = result["position"]
            .as_u64()
            .expect("execute gives a position");
        assert!(p > position, "positions grow: {result}");
        position = p;
    }
}

fn domain() -> Domain {
    let text = std::fs::read_to_string(MODEL).unwrap();
    Domain::compile(&[Source::new("todos.model", text)]).unwrap()
}

/// A stored event (as `eventfold events` prints it) in the form `project`
/// takes.
fn project_input(e: &Json) -> Json {
    let (model, id) = e["stream"].as_str().unwrap().split_once('-').unwrap();
    json!({
        "model": model,
        "id": id,
        "type": e["type"],
        "schema": e["schema"],
        "data": e["data"],
        "version": e["version"],
        "position": e["position"],
        "recorded_at": e["metadata"]["recorded_at"],
        "metadata": e["metadata"],
        "event_id": e["id"],
    })
}

/// What `project` makes of every event in the store: the oracle of rows.
fn projected(s: &Store) -> Vec<Json> {
    let input = Json::Array(s.events().iter().map(project_input).collect());
    let tables = domain().project("todo-board", &input, None).unwrap();
    tables["todo_rows"].as_array().unwrap().clone()
}

// -------------------------------------------------------------------- tests

#[test]
fn exec_state_query_events_streams_and_replay() {
    let Some(s) = Store::new("exec") else { return };
    let create = r#"{"type": "create-new", "data": {"id": "a", "text": "milk"}}"#;
    let exec = |more: &[&str]| {
        let mut args = s.with_store(&["exec", "Todos", "home"]);
        args.extend(more);
        s.run(&args, "")
    };
    let first = exec(&[create, "--command-id", "c1"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let result = parse(&String::from_utf8_lossy(&first.stdout));
    assert_eq!(result["version"], 1);
    // A retry with the same command id returns the first result.
    let again = exec(&[create, "--command-id", "c1"]);
    assert_eq!(again.stdout, first.stdout);
    // One command per line; a rejected one is reported and the rest go on.
    let script = [
        r#"{"type": "create-new", "data": {"id": "b", "text": "bread"}}"#,
        create,
        r#"{"type": "change-completed", "data": {"id": "b", "completed": true}}"#,
    ]
    .join("\n");
    let out = s.run(&s.with_store(&["exec", "Todos", "home", "-"]), &script);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate"));
    let conflict = exec(&[create, "--expected-version", "1"]);
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("version_conflict"));

    let state = parse(&s.ok(&s.with_store(&["state", "Todos", "home"])));
    assert_eq!(state["version"], 3);
    assert_eq!(
        s.ok(&s.with_store(&["query", "Todos", "home", "remaining"]))
            .trim(),
        "1"
    );
    let events = s.events();
    assert_eq!(
        events
            .iter()
            .map(|e| e["position"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let tail = lines(&s.ok(&["events", "Todos-home", "--from", "3", "--store", &s.url]));
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0]["type"], "completed-changed");
    assert_eq!(
        s.ok(&["streams", "--store", &s.url]).trim(),
        r#"{"stream":"Todos-home","version":3}"#
    );
    let replay = s.ok(&s.with_store(&["replay"]));
    assert!(replay.contains("1 stream (3 events)"), "{replay}");
}

#[test]
fn rows_tables_projections_and_rebuild() {
    let Some(s) = Store::new("rows") else { return };
    fill(&s);
    let expected = projected(&s);
    assert_eq!(expected.len(), 4, "{expected:?}");
    let out = s.ok(&s.with_store(&["rows", "todo_rows"]));
    let want: Vec<String> = expected.iter().map(Json::to_string).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    let home = lines(&s.ok(&s.with_store(&["rows", "todo_rows", "--key", "home"])));
    let home_rows: Vec<Json> = expected
        .iter()
        .filter(|r| r["list_id"] == "home")
        .cloned()
        .collect();
    assert_eq!(home, home_rows);
    let page = lines(&s.ok(&s.with_store(&[
        "rows",
        "todo_rows",
        "--after",
        "home",
        "--after",
        "bread",
        "--limit",
        "2",
    ])));
    assert_eq!(page, expected[1..3].to_vec());
    let e = s.fails(&s.with_store(&["rows", "todo_row"]));
    assert_eq!(e["code"], "unknown_table", "{e}");

    let tables = lines(&s.ok(&s.with_store(&["tables"])));
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0]["name"], "todo_rows");
    assert_eq!(tables[0]["rows"], 4);
    assert_eq!(tables[0]["key"], json!(["list_id", "id"]));
    assert_eq!(catalog(&s, "todo_rows"), columns_shown(&tables[0]));

    let head = s.events().len() as u64;
    let ps = lines(&s.ok(&s.with_store(&["projections"])));
    assert_eq!(ps.len(), 1);
    assert_eq!(
        (
            &ps[0]["name"],
            &ps[0]["mode"],
            &ps[0]["status"],
            &ps[0]["lag"]
        ),
        (
            &json!("todo-board"),
            &json!("inline"),
            &json!("live"),
            &json!(0)
        )
    );
    assert_eq!(ps[0]["position"], head);
    let rebuilt = parse(&s.ok(&s.with_store(&["rebuild", "todo-board"])));
    assert_eq!(rebuilt["projection"], "todo-board");
    assert_eq!(rebuilt["position"], head);
    assert_eq!(s.ok(&s.with_store(&["rows", "todo_rows"])), out);
    let e = s.fails(&s.with_store(&["rebuild", "todo-bored"]));
    assert_eq!(e["code"], "unknown_projection", "{e}");
}

/// Columns as `tables` shows them: name, SQL type, NOT NULL, key.
fn columns_shown(table: &Json) -> Vec<(String, String, bool, bool)> {
    table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["sql_type"].as_str().unwrap().to_string(),
                c["optional"] == false,
                c["key"] == true,
            )
        })
        .collect()
}

/// The same, as the store created the table: from PostgreSQL's catalog,
/// type names as DDL writes them.
fn catalog(s: &Store, table: &str) -> Vec<(String, String, bool, bool)> {
    let mut c = s.client();
    let rows = c
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    COALESCE(a.attnum = ANY(i.indkey), false)
               FROM pg_attribute a
               JOIN pg_class t ON t.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
               LEFT JOIN pg_index i ON i.indrelid = t.oid AND i.indisprimary
              WHERE n.nspname = $1 AND t.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&s.schema, &table],
        )
        .unwrap();
    assert!(!rows.is_empty(), "no table {table} in schema {}", s.schema);
    rows.iter()
        .map(|r| {
            let ty: String = r.get(1);
            let ddl = match ty.as_str() {
                "timestamp with time zone" => "TIMESTAMPTZ".to_string(),
                other => other.to_uppercase(),
            };
            (r.get(0), ddl, r.get(2), r.get(3))
        })
        .collect()
}

#[test]
fn tables_shows_every_postgres_type_the_store_creates() {
    let Some(s) = Store::new("types") else { return };
    let model = r#"
model Board {
  enum Priority { low, high }
  record Tag { name: string }
  state { n: int }
  command add(id: string, n: int) { emit added(id, n) }
  event added(id: string, n: int) { set n = n + 1 }
}

table cards {
  key id: string
  key n: int
  priority: Board.Priority = Board.Priority.low
  tag: Board.Tag?
  tags: list<string> = []
  counts: map<string, int> = {}
  at: timestamp?
  took: duration?
  score: float = 0.5
  done: bool = false
}

projection cards-view inline {
  on Board.added { insert cards(id, n) }
}
"#;
    std::fs::write(s.dir.join("board.model"), model).unwrap();
    let cmd = json!({"type": "add", "data": {"id": "c1", "n": 7}}).to_string();
    s.ok(&[
        "exec",
        "--store",
        &s.url,
        "-m",
        "board.model",
        "Board",
        "b",
        &cmd,
    ]);
    let tables = lines(&s.ok(&["tables", "--store", &s.url, "-m", "board.model"]));
    assert_eq!(tables[0]["rows"], 1);
    let shown = columns_shown(&tables[0]);
    assert_eq!(catalog(&s, "cards"), shown);
    let types: Vec<&str> = shown.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        types,
        [
            "TEXT",
            "BIGINT",
            "TEXT",
            "JSONB",
            "JSONB",
            "JSONB",
            "TIMESTAMPTZ",
            "INTERVAL",
            "DOUBLE PRECISION",
            "BOOLEAN"
        ]
    );
    let rows = lines(&s.ok(&[
        "rows",
        "cards",
        "--key",
        "c1",
        "--key",
        "7",
        "--store",
        &s.url,
        "-m",
        "board.model",
    ]));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0]["priority"], &rows[0]["done"]),
        (&json!("low"), &json!(false))
    );
}

#[test]
fn subscriptions_and_parked_events() {
    let Some(s) = Store::new("subs") else { return };
    fill(&s);
    assert_eq!(s.ok(&["subscriptions", "--store", &s.url]), "");
    {
        let engine = Engine::open(&s.url, domain(), EngineOptions::default()).unwrap();
        let sub = engine
            .subscribe_json("mailer", Some(r#"{"models": ["Todos"]}"#))
            .unwrap();
        let events: Vec<Json> =
            serde_json::from_str(&sub.poll_json(3, Duration::from_secs(60)).unwrap()).unwrap();
        assert_eq!(events.len(), 3);
        sub.ack(events[1]["position"].as_u64().unwrap()).unwrap();
        sub.park(events[2]["position"].as_u64().unwrap(), "no address")
            .unwrap();
        sub.close().unwrap();
        engine.close().unwrap();
    }
    let head = s.events().len() as u64;
    let subs = lines(&s.ok(&["subscriptions", "--store", &s.url]));
    assert_eq!(subs.len(), 1, "{subs:?}");
    let sub = &subs[0];
    assert_eq!(sub["name"], "mailer");
    assert_eq!(sub["checkpoint"], 3);
    assert_eq!(sub["lag"], head - 3);
    assert_eq!(sub["parked"], 1);
    assert_eq!(sub["models"], json!(["Todos"]));
    assert_eq!(sub["active"], false);
    let parked = lines(&s.ok(&["parked", "mailer", "--store", &s.url]));
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0]["position"], 3);
    assert_eq!(parked[0]["reason"], "no address");
    assert_eq!(parked[0]["event"]["stream"], "Todos-work");
    assert_eq!(s.ok(&["parked", "nobody", "--store", &s.url]), "");
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines a child prints, read on a thread of their own.
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line; the bound only turns a hang into a failure.
fn next_line(rx: &mpsc::Receiver<String>) -> Json {
    let line = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("events --follow printed the line");
    parse(&line)
}

#[test]
fn events_follow_prints_what_another_process_commits_later() {
    let Some(s) = Store::new("follow") else {
        return;
    };
    fill(&s);
    let stored = s.events();
    let mut all = Killed(
        s.command(&["events", "--follow", "--store", &s.url])
            .spawn()
            .unwrap(),
    );
    let mut home = Killed(
        s.command(&[
            "events",
            "Todos-home",
            "--from",
            "3",
            "--follow",
            "--store",
            &s.url,
        ])
        .spawn()
        .unwrap(),
    );
    let all_lines = line_reader(&mut all.0);
    let home_lines = line_reader(&mut home.0);
    // What was stored is printed first: so both have read the store.
    for e in &stored {
        assert_eq!(&next_line(&all_lines), e);
    }
    for e in stored
        .iter()
        .filter(|e| e["stream"] == "Todos-home" && e["version"].as_u64() >= Some(3))
    {
        assert_eq!(&next_line(&home_lines), e);
    }
    // Another process commits; both followers print it, woken by NOTIFY.
    let cmd = json!({"type": "create-new", "data": {"id": "tea", "text": "Tea"}}).to_string();
    let result = parse(&s.ok(&s.with_store(&["exec", "Todos", "home", &cmd])));
    let new = next_line(&all_lines);
    assert_eq!(new["data"]["id"], "tea");
    assert_eq!(new["position"], result["position"]);
    assert_eq!(next_line(&home_lines), new);
    // Many commands in one process, and one of another stream: the one
    // following all prints each in order, the other only its stream's.
    let script: Vec<String> = (0..5)
        .map(|i| {
            json!({"type": "create-new", "data": {"id": format!("t{i}"), "text": "x"}}).to_string()
        })
        .collect();
    let out = s.run(
        &s.with_store(&["exec", "Todos", "work", "-"]),
        &script.join("\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cmd = json!({"type": "create-new", "data": {"id": "jam", "text": "Jam"}}).to_string();
    s.ok(&s.with_store(&["exec", "Todos", "home", &cmd]));
    for i in 0..5 {
        assert_eq!(next_line(&all_lines)["data"]["id"], format!("t{i}"));
    }
    assert_eq!(next_line(&all_lines)["data"]["id"], "jam");
    assert_eq!(next_line(&home_lines)["data"]["id"], "jam");
    // Every position once, in order, none skipped.
    let positions: Vec<u64> = s
        .events()
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>());
}

/// Notes, as first deployed; the second version gives each a priority and
/// reads the notes stored before through an upcast.
const V1: &str = r#"model Notes {
  state { notes: map<string, Note> }
  record Note {
    id: string
    text: string
  }
  command add(id: string, text: string) { emit created(id, text) }
  event created(id: string, text: string) { set notes[id] = Note{id, text} }
}
"#;

const V2: &str = r#"model Notes {
  state { notes: map<string, Note> }
  record Note {
    id: string
    text: string
    priority: string
  }
  command add(id: string, text: string) { emit created(id, text, priority: "high") }
  event created@2(id: string, text: string, priority: string) {
    set notes[id] = Note{id, text, priority}
  }
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: "normal")
  }
}
"#;

#[test]
fn migrate_plan_apply_and_status() {
    let Some(s) = Store::new("migrate") else {
        return;
    };
    std::fs::write(s.dir.join("v1.model"), V1).unwrap();
    std::fs::write(s.dir.join("v2.model"), V2).unwrap();
    for id in ["a", "b", "c"] {
        let cmd =
            json!({"type": "add", "data": {"id": id, "text": format!("note {id}")}}).to_string();
        s.ok(&[
            "exec", "--store", &s.url, "-m", "v1.model", "Notes", id, &cmd,
        ]);
    }
    let versions = || parse(&s.ok(&["migrate", "status", "--store", &s.url, "--json"]));
    let before = versions();
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}");
    let v1 = before[0]["revision"].as_str().unwrap().to_string();

    let plan = parse(&s.ok(&[
        "migrate", "plan", "--store", &s.url, "-m", "v2.model", "--json",
    ]));
    assert_eq!(plan["ok"], true, "{plan}");
    assert_eq!(plan["models"][0]["from"], v1.as_str());
    assert_eq!(plan["replay"]["streams"], 3, "{plan}");
    assert_eq!(plan["replay"]["different"], 3, "{plan}");
    assert_eq!(versions(), before, "a plan registers nothing");

    let applied = parse(&s.ok(&[
        "migrate", "apply", "--store", &s.url, "-m", "v2.model", "--json",
    ]));
    let v2 = applied["models"][0]["to"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    let after = versions();
    let active: Vec<&Json> = after
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["active"] == true)
        .collect();
    assert_eq!(active.len(), 1, "{after}");
    assert_eq!(active[0]["revision"], v2.as_str());
    let status = s.ok(&["migrate", "status", "--store", &s.url]);
    assert!(status.starts_with("model  revision"), "{status}");

    let state = parse(&s.ok(&["state", "--store", &s.url, "-m", "v2.model", "Notes", "a"]));
    assert_eq!(
        state["state"]["notes"]["a"]["priority"], "normal",
        "{state}"
    );
    let cmd = json!({"type": "add", "data": {"id": "d", "text": "late"}}).to_string();
    let e = s.fails(&[
        "exec", "--store", &s.url, "-m", "v1.model", "Notes", "d", &cmd,
    ]);
    assert_eq!(e["code"], "model_changed", "{e}");
}

#[test]
fn demo_runs_twice_and_never_shows_the_password() {
    let Some(s) = Store::new("demo") else { return };
    let first = s.run(&["demo", "--store", &s.url], "");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(out.contains("rejected (duplicate)"), "{out}");
    assert!(out.contains("State of Todos-demo at version 5"), "{out}");
    assert!(out.contains("(1 row)"), "{out}");
    if let Some(password) = password_of(&s.base) {
        assert!(!out.contains(&format!(":{password}@")), "{out}");
    }
    let second = s.ok(&["demo", "--store", &s.url]);
    assert!(
        second.contains("State of Todos-demo at version 10"),
        "{second}"
    );
    assert!(second.contains("(2 rows)"), "{second}");
}

/// The password of a `postgres://user:password@host/...` URL.
fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let user = authority.rsplit_once('@')?.0;
    Some(user.split_once(':')?.1)
}

#[test]
fn a_bad_url_is_a_store_error_of_kind_unavailable_without_the_password() {
    // Needs no server: port 1 of this machine refuses at once.
    let dir = std::env::temp_dir();
    for url in [
        "postgres://ann:s3cret-pw@127.0.0.1:1/db",
        "postgresql://ann:s3cret-pw@127.0.0.1/db?schema=Bad-Name",
    ] {
        for args in [
            vec!["events", "--store", url],
            vec![
                "exec",
                "--store",
                url,
                "-m",
                MODEL,
                "Todos",
                "l",
                r#"{"type": "clear-done"}"#,
            ],
            vec!["demo", "--store", url],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_eventfold"))
                .args(&args)
                .current_dir(&dir)
                .env_remove("EVENTFOLD_STORE")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("s3cret-pw"), "{stderr}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret-pw"));
            let e = parse(&stderr);
            assert_eq!(
                (&e["code"], &e["kind"]),
                (&json!("store_error"), &json!("unavailable")),
                "{e}"
            );
            assert!(e["message"].as_str().unwrap().contains("ann:***@"), "{e}");
        }
    }
}
