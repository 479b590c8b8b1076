//! The read side from the command line: `tables`, `rows`, `projections`,
//! `rebuild`, `subscriptions`, `parked` and `events --follow`, over a store
//! made by `eventfold exec`. The oracle for rows is the pure
//! `Domain::project` over the store's own events.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, Source};
use serde_json::{json, Value as Json};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/todos/todos.model");
const STORE: &str = "sqlite:app.db";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp(name: &str) -> Dir {
    let dir =
        std::env::temp_dir().join(format!("eventfold-cli-read-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eventfold"));
    c.args(args)
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn eventfold(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command(dir, args).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs a command that must succeed; its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = eventfold(dir, args, "");
    assert!(
        out.status.success(),
        "eventfold {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exit code 1; its error as JSON (the
/// CLI writes errors as JSON when stderr is not a terminal).
fn fails(dir: &Path, args: &[&str]) -> Json {
    let out = eventfold(dir, args, "");
    assert_eq!(
        out.status.code(),
        Some(1),
        "eventfold {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "stderr is not one JSON error ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn lines(text: &str) -> Vec<Json> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Every store command takes these.
fn with_store<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--store", STORE, "-m", MODEL]);
    all
}

/// Commands on two lists, touching every handler of `todo-board`.
fn fill(dir: &Path) {
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
        let out = ok(dir, &with_store(&["exec", "Todos", list, &cmd.to_string()]));
        let result: Json = serde_json::from_str(out.trim()).unwrap();
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
/// takes (scenarios README, "Version 1 cases").
fn project_input(e: &Json) -> Json {
    let stream = e["stream"].as_str().unwrap();
    let (model, id) = stream.split_once('-').unwrap();
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

/// What `project` makes of every event in the store.
fn projected(dir: &Path) -> Vec<Json> {
    let events = lines(&ok(dir, &["events", "--store", STORE]));
    let input = Json::Array(events.iter().map(project_input).collect());
    let tables = domain().project("todo-board", &input, None).unwrap();
    tables["todo_rows"].as_array().unwrap().clone()
}

#[test]
fn rows_in_a_pipe_are_json_lines_equal_to_project() {
    let dir = temp("rows");
    fill(&dir.0);
    let expected = projected(&dir.0);
    assert_eq!(expected.len(), 4, "{expected:?}");
    let out = ok(&dir.0, &with_store(&["rows", "todo_rows"]));
    // Line for line, as canonical JSON with the columns in declared order.
    let want: Vec<String> = expected.iter().map(Json::to_string).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
    let forced = ok(&dir.0, &with_store(&["rows", "todo_rows", "--json"]));
    assert_eq!(forced, out);

    // A key prefix, a page after a whole key, a limit.
    let home = ok(&dir.0, &with_store(&["rows", "todo_rows", "--key", "home"]));
    let home_rows: Vec<Json> = expected
        .iter()
        .filter(|r| r["list_id"] == "home")
        .cloned()
        .collect();
    assert_eq!(lines(&home), home_rows);
    let one = ok(
        &dir.0,
        &with_store(&["rows", "todo_rows", "--key", "home", "--key", "milk"]),
    );
    assert_eq!(lines(&one), vec![home_rows[1].clone()]);
    let page = ok(
        &dir.0,
        &with_store(&[
            "rows",
            "todo_rows",
            "--after",
            "home",
            "--after",
            "bread",
            "--limit",
            "2",
        ]),
    );
    assert_eq!(lines(&page), expected[1..3].to_vec());
    let none = ok(
        &dir.0,
        &with_store(&["rows", "todo_rows", "--key", "nobody"]),
    );
    assert_eq!(none, "");
}

#[test]
fn rows_pages_through_a_table_longer_than_a_page() {
    let dir = temp("long");
    // More rows than the CLI asks the engine for at once (1,000); one
    // stdin of commands runs them in one process.
    let commands: Vec<String> = (0..1203)
        .map(|i| {
            json!({"type": "create-new", "data": {"id": format!("t{i:05}"), "text": "x"}})
                .to_string()
        })
        .collect();
    // Without an fsync per command: durability is not what this tests.
    let out = eventfold(
        &dir.0,
        &[
            "exec",
            "--store",
            "sqlite:app.db?synchronous=normal",
            "-m",
            MODEL,
            "Todos",
            "big",
            "-",
        ],
        &commands.join("\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = lines(&ok(&dir.0, &with_store(&["rows", "todo_rows"])));
    assert_eq!(all.len(), 1203);
    let ids: Vec<&str> = all.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "in key order, none twice");
    assert_eq!(all, projected(&dir.0));
    let limited = lines(&ok(
        &dir.0,
        &with_store(&["rows", "todo_rows", "--limit", "1001"]),
    ));
    assert_eq!(limited, all[..1001].to_vec());
    let tables = lines(&ok(&dir.0, &with_store(&["tables"])));
    assert_eq!(tables[0]["rows"], 1203);
}

#[test]
fn unknown_tables_and_projections_fail_with_their_code() {
    let dir = temp("unknown");
    fill(&dir.0);
    let e = fails(&dir.0, &with_store(&["rows", "todo_row"]));
    assert_eq!(e["code"], "unknown_table", "{e}");
    assert!(e["message"].as_str().unwrap().contains("todo_rows"), "{e}");
    let e = fails(&dir.0, &with_store(&["rebuild", "todo-bored"]));
    assert_eq!(e["code"], "unknown_projection", "{e}");
    assert!(e["message"].as_str().unwrap().contains("todo-board"), "{e}");
    // A key past the table's key columns is a bad option, at its path.
    let e = fails(
        &dir.0,
        &with_store(&[
            "rows",
            "todo_rows",
            "--key",
            "a",
            "--key",
            "b",
            "--key",
            "c",
        ]),
    );
    assert_eq!(e["code"], "invalid_command", "{e}");
    assert!(
        e["path"].as_str().unwrap().starts_with("options.key"),
        "{e}"
    );
    // Nothing parked under an unknown name is an empty list, not an error.
    assert_eq!(ok(&dir.0, &["parked", "nobody", "--store", STORE]), "");
}

#[test]
fn tables_lists_columns_with_the_sql_types_the_store_created() {
    let dir = temp("tables");
    fill(&dir.0);
    let out = lines(&ok(&dir.0, &with_store(&["tables"])));
    assert_eq!(out.len(), 1);
    let t = &out[0];
    assert_eq!(t["name"], "todo_rows");
    assert_eq!(t["projection"], "todo-board");
    assert_eq!(t["mode"], "inline");
    assert_eq!(t["key"], json!(["list_id", "id"]));
    assert_eq!(t["rows"], 4);
    // The SQL types as the engine created them in the file, read with
    // plain SQLite.
    let db = rusqlite::Connection::open(dir.0.join("app.db")).unwrap();
    let mut q = db
        .prepare(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('todo_rows') ORDER BY cid",
        )
        .unwrap();
    let sql: Vec<(String, String, bool, bool)> = q
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? > 0))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let ours: Vec<(String, String, bool, bool)> = t["columns"]
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
        .collect();
    assert_eq!(ours, sql);
    let count: i64 = db
        .query_row("SELECT count(*) FROM todo_rows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(t["rows"], count);
}

#[test]
fn projections_and_rebuild() {
    let dir = temp("projections");
    fill(&dir.0);
    let head = lines(&ok(&dir.0, &["events", "--store", STORE])).len() as u64;
    let ps = lines(&ok(&dir.0, &with_store(&["projections"])));
    assert_eq!(ps.len(), 1);
    let p = &ps[0];
    assert_eq!(p["name"], "todo-board");
    assert_eq!(p["mode"], "inline");
    assert_eq!(p["status"], "live");
    assert_eq!(p["position"], head);
    assert_eq!(p["lag"], 0);
    assert_eq!(p["parked"], 0);
    assert_eq!(p["error"], Json::Null);

    let before = ok(&dir.0, &with_store(&["rows", "todo_rows"]));
    let out = eventfold(&dir.0, &with_store(&["rebuild", "todo-board"]), "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["projection"], "todo-board");
    assert_eq!(done["position"], head);
    assert!(
        done["millis"].is_number() && done["pause_millis"].is_number(),
        "{done}"
    );
    // In a pipe, progress is plain lines on stderr, no bar.
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(progress.contains("rebuilding todo-board"), "{progress}");
    assert!(!progress.contains('\x1b'), "{progress}");
    assert_eq!(ok(&dir.0, &with_store(&["rows", "todo_rows"])), before);
    let ps = lines(&ok(&dir.0, &with_store(&["projections"])));
    assert_eq!(ps[0]["status"], "live");
    assert_eq!(ps[0]["position"], head);
}

#[test]
fn reading_without_the_model_leaves_the_tables_alone() {
    let dir = temp("no-model");
    fill(&dir.0);
    let before = ok(&dir.0, &with_store(&["rows", "todo_rows"]));
    // An engine over a domain without the projection only reads events.
    ok(&dir.0, &["events", "--store", STORE]);
    ok(&dir.0, &["subscriptions", "--store", STORE]);
    assert_eq!(ok(&dir.0, &with_store(&["rows", "todo_rows"])), before);
    assert_eq!(
        lines(&ok(&dir.0, &with_store(&["projections"])))[0]["lag"],
        0
    );
}

#[test]
fn subscriptions_and_parked_events() {
    let dir = temp("subs");
    fill(&dir.0);
    assert_eq!(ok(&dir.0, &["subscriptions", "--store", STORE]), "");
    {
        let url = format!("sqlite:{}", dir.0.join("app.db").display());
        let engine = Engine::open(&url, domain(), EngineOptions::default()).unwrap();
        let sub = engine
            .subscribe_json("mailer", Some(r#"{"models": ["Todos"]}"#))
            .unwrap();
        let events: Vec<Json> =
            serde_json::from_str(&sub.poll_json(3, Duration::from_secs(30)).unwrap()).unwrap();
        assert_eq!(events.len(), 3);
        sub.ack(events[1]["position"].as_u64().unwrap()).unwrap();
        sub.park(events[2]["position"].as_u64().unwrap(), "no address")
            .unwrap();
        sub.close().unwrap();
        engine.close().unwrap();
    }
    let head = lines(&ok(&dir.0, &["events", "--store", STORE])).len() as u64;
    let subs = lines(&ok(&dir.0, &["subscriptions", "--store", STORE]));
    assert_eq!(subs.len(), 1, "{subs:?}");
    let s = &subs[0];
    assert_eq!(s["name"], "mailer");
    assert_eq!(s["checkpoint"], 3);
    assert_eq!(s["lag"], head - 3);
    assert_eq!(s["parked"], 1);
    assert_eq!(s["models"], json!(["Todos"]));
    assert_eq!(s["active"], false);
    let parked = lines(&ok(&dir.0, &["parked", "mailer", "--store", STORE]));
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0]["name"], "mailer");
    assert_eq!(parked[0]["position"], 3);
    assert_eq!(parked[0]["reason"], "no address");
    assert_eq!(parked[0]["event"]["position"], 3);
    assert_eq!(parked[0]["event"]["stream"], "Todos-work");
    // And as a person reads them.
    let Some(subs) = on_a_terminal(&dir.0, &["subscriptions", "--store", STORE]) else {
        return;
    };
    let row: Vec<&str> = subs.lines().nth(2).unwrap().split_whitespace().collect();
    let lag = (head - 3).to_string();
    assert_eq!(
        row,
        ["mailer", "3", &lag, "1", "no", "Todos", "all"],
        "{subs}"
    );
    let parked = on_a_terminal(&dir.0, &["parked", "mailer", "--store", STORE]).unwrap();
    let row: Vec<&str> = parked.lines().nth(2).unwrap().split_whitespace().collect();
    assert_eq!(row[..4], ["3", "Todos-work", "1", "created"], "{parked}");
    assert_eq!(row[5..], ["no", "address"], "{parked}");
    assert!(parked.ends_with("(1 parked event)\n"), "{parked}");
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
    serde_json::from_str(&line).unwrap()
}

#[test]
fn events_follow_prints_an_event_committed_after_it_started() {
    let dir = temp("follow");
    fill(&dir.0);
    let stored = lines(&ok(&dir.0, &["events", "--store", STORE]));
    let mut all = Killed(
        command(&dir.0, &["events", "--follow", "--store", STORE])
            .spawn()
            .unwrap(),
    );
    let mut home = Killed(
        command(
            &dir.0,
            &[
                "events",
                "Todos-home",
                "--from",
                "3",
                "--follow",
                "--store",
                STORE,
            ],
        )
        .spawn()
        .unwrap(),
    );
    let all_lines = line_reader(&mut all.0);
    let home_lines = line_reader(&mut home.0);
    // What was stored is printed first: so both have read the store.
    for e in &stored {
        assert_eq!(&next_line(&all_lines), e);
    }
    let home_before: Vec<&Json> = stored
        .iter()
        .filter(|e| e["stream"] == "Todos-home" && e["version"].as_u64() >= Some(3))
        .collect();
    for e in home_before {
        assert_eq!(&next_line(&home_lines), e);
    }
    // Another process commits; both followers print it.
    let cmd = json!({"type": "create-new", "data": {"id": "tea", "text": "Tea"}}).to_string();
    let result: Json =
        serde_json::from_str(ok(&dir.0, &with_store(&["exec", "Todos", "home", &cmd])).trim())
            .unwrap();
    let new = next_line(&all_lines);
    assert_eq!(new["type"], "created");
    assert_eq!(new["data"]["id"], "tea");
    assert_eq!(new["position"], result["position"]);
    assert_eq!(next_line(&home_lines), new);
    // An event of another stream reaches only the one following all.
    let cmd = json!({"type": "create-new", "data": {"id": "call", "text": "Call"}}).to_string();
    ok(&dir.0, &with_store(&["exec", "Todos", "work", &cmd]));
    let cmd = json!({"type": "create-new", "data": {"id": "jam", "text": "Jam"}}).to_string();
    ok(&dir.0, &with_store(&["exec", "Todos", "home", &cmd]));
    assert_eq!(next_line(&all_lines)["data"]["id"], "call");
    assert_eq!(next_line(&all_lines)["data"]["id"], "jam");
    assert_eq!(next_line(&home_lines)["data"]["id"], "jam");
}

/// Runs the command with stdout on a terminal (a pseudo-terminal of
/// util-linux `script`); `None` where `script` is not installed.
fn on_a_terminal(dir: &Path, args: &[&str]) -> Option<String> {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_eventfold"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let out = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

#[test]
fn on_a_terminal_the_listings_are_aligned_tables() {
    let dir = temp("terminal");
    fill(&dir.0);
    let Some(rows) = on_a_terminal(&dir.0, &with_store(&["rows", "todo_rows", "--key", "home"]))
    else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["list_id", "id", "text", "completed", "done_at"],
        "{rows}"
    );
    assert!(lines[1].starts_with("-------  -----  "), "{rows}");
    assert_eq!(
        lines[2].trim_end(),
        "home     bread  Rye bread  false",
        "{rows}"
    );
    assert!(
        lines[3].starts_with("home     milk   Buy milk   true       20"),
        "{rows}"
    );
    assert_eq!(lines[4], "(2 rows)", "{rows}");
    // --json wins over the terminal.
    let json = on_a_terminal(&dir.0, &with_store(&["rows", "todo_rows", "--json"])).unwrap();
    assert_eq!(json, ok(&dir.0, &with_store(&["rows", "todo_rows"])));
    let tables = on_a_terminal(&dir.0, &with_store(&["tables"])).unwrap();
    assert!(
        tables
            .starts_with("todo_rows: 4 rows, key (list_id, id), written by todo-board (inline)\n"),
        "{tables}"
    );
    assert!(
        tables.contains("  completed  bool        INTEGER NOT NULL       false\n"),
        "{tables}"
    );
    let projections = on_a_terminal(&dir.0, &with_store(&["projections"])).unwrap();
    let last = projections.lines().nth(2).unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["todo-board", "inline", "live", "10", "0", "0"],
        "{projections}"
    );
}

#[test]
fn a_look_with_a_changed_model_leaves_the_live_projection_alone() {
    let dir = temp("changed");
    fill(&dir.0);
    let text = std::fs::read_to_string(MODEL).unwrap();
    let changed = text.replace(
        "  on Todos.deleted {",
        "  on Todos.deleted {\n    // a changed handler: a new fingerprint",
    );
    assert_ne!(changed, text);
    let file = dir.0.join("changed.model");
    std::fs::write(&file, changed).unwrap();
    let file = file.to_str().unwrap();
    ok(&dir.0, &["rows", "todo_rows", "--store", STORE, "-m", file]);
    let ps = lines(&ok(&dir.0, &with_store(&["projections"])));
    assert_eq!(ps[0]["status"], "live", "{ps:?}");
}

#[test]
fn key_values_on_the_command_line_take_their_column_type() {
    let dir = temp("typed-keys");
    let model = r#"
model Counter {
  state { n: int }
  command add(by: int) { emit added(by) }
  event added(by: int) { set n = n + by }
}

table adds {
  key by: int
  key big: bool
  count: int = 0
}

projection adds-view inline {
  on Counter.added {
    if adds.has(by, by > 10) {
      update adds[by, by > 10](count: row.count + 1)
    } else {
      insert adds(by, big: by > 10, count: 1)
    }
  }
}
"#;
    std::fs::write(dir.0.join("counter.model"), model).unwrap();
    let m = ["--store", STORE, "-m", "counter.model"];
    for by in [5, 42, 5, -3] {
        let cmd = json!({"type": "add", "data": {"by": by}}).to_string();
        let mut args = vec!["exec", "Counter", "c"];
        args.extend(m);
        args.push(&cmd);
        ok(&dir.0, &args);
    }
    let rows = |extra: &[&str]| {
        let mut args = vec!["rows", "adds"];
        args.extend(extra);
        args.extend(m);
        lines(&ok(&dir.0, &args))
    };
    assert_eq!(
        rows(&[]),
        [
            json!({"by": -3, "big": false, "count": 1}),
            json!({"by": 5, "big": false, "count": 2}),
            json!({"by": 42, "big": true, "count": 1}),
        ]
    );
    assert_eq!(
        rows(&["--key", "5"]),
        [json!({"by": 5, "big": false, "count": 2})]
    );
    assert_eq!(
        rows(&["--key", "42", "--key", "true"]),
        [json!({"by": 42, "big": true, "count": 1})]
    );
    assert_eq!(rows(&["--key", "42", "--key", "false"]), Vec::<Json>::new());
    assert_eq!(rows(&["--after", "-3", "--after", "false"]).len(), 2);
    let mut args = vec!["rows", "adds", "--key", "five"];
    args.extend(m);
    let e = fails(&dir.0, &args);
    assert_eq!(e["code"], "invalid_command", "{e}");
    assert_eq!(e["path"], "options.key[0]", "{e}");
}
