//! The store commands and the demo, as a user runs them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/todos/todos.model");

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp(name: &str) -> Dir {
    let dir = std::env::temp_dir().join(format!("eventfold-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

fn eventfold(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventfold"))
        .args(args)
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_runs_twice_and_goes_on() {
    let dir = temp("demo");
    let first = eventfold(&dir.0, &["demo"], "");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = text(&first);
    assert!(out.contains("rejected (blank)"), "{out}");
    assert!(out.contains("rejected (duplicate)"), "{out}");
    assert!(out.contains("State of Todos-demo at version 5"), "{out}");
    // The inline projection's table, after the commands: the one todo left.
    let table = out
        .split("Table todo_rows")
        .nth(1)
        .unwrap_or_else(|| panic!("no table in {out}"));
    let rows: Vec<&str> = table
        .lines()
        .skip(3)
        .take_while(|l| !l.contains("row"))
        .collect();
    assert_eq!(rows.len(), 1, "{table}");
    assert!(
        rows[0].split_whitespace().collect::<Vec<_>>()
            == ["demo", "t2", "Write", "the", "quarterly", "report", "false"],
        "{table}"
    );
    assert!(table.contains("(1 row)"), "{table}");
    assert!(!out.contains('\x1b'), "no colour when not on a terminal");
    assert!(dir.0.join("eventfold-demo.db").exists());
    let second = eventfold(&dir.0, &["demo"], "");
    assert!(second.status.success());
    let out = text(&second);
    assert!(out.contains("at version 5"), "{out}");
    assert!(out.contains("State of Todos-demo at version 10"), "{out}");
    assert!(out.contains("(2 rows)"), "{out}");
}

#[test]
fn exec_state_query_events_streams_replay() {
    let dir = temp("store");
    let store = "sqlite:app.db";
    let create = r#"{"type": "create-new", "data": {"id": "a", "text": "milk"}}"#;
    let out = eventfold(
        &dir.0,
        &[
            "exec",
            "--store",
            store,
            "-m",
            MODEL,
            "Todos",
            "home",
            create,
            "--command-id",
            "c1",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first: serde_json::Value = serde_json::from_str(text(&out).trim()).unwrap();
    assert_eq!(first["version"], 1);
    // A retry with the same command id returns the first result.
    let again = eventfold(
        &dir.0,
        &[
            "exec",
            "--store",
            store,
            "-m",
            MODEL,
            "Todos",
            "home",
            create,
            "--command-id",
            "c1",
        ],
        "",
    );
    assert_eq!(text(&again).trim(), text(&out).trim());
    // One command per line; a rejected one is reported and the rest go on.
    let lines = [
        r#"{"type": "create-new", "data": {"id": "b", "text": "bread"}}"#,
        create,
        r#"{"type": "change-completed", "data": {"id": "b", "completed": true}}"#,
    ]
    .join("\n");
    let out = eventfold(
        &dir.0,
        &["exec", "--store", store, "-m", MODEL, "Todos", "home", "-"],
        &lines,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).lines().count(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate"));
    let conflict = eventfold(
        &dir.0,
        &[
            "exec",
            "--store",
            store,
            "-m",
            MODEL,
            "Todos",
            "home",
            create,
            "--expected-version",
            "1",
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("version_conflict"));

    let state = eventfold(
        &dir.0,
        &["state", "--store", store, "-m", MODEL, "Todos", "home"],
        "",
    );
    let state: serde_json::Value = serde_json::from_str(text(&state).trim()).unwrap();
    assert_eq!(state["version"], 3);
    let remaining = eventfold(
        &dir.0,
        &[
            "query",
            "--store",
            store,
            "-m",
            MODEL,
            "Todos",
            "home",
            "remaining",
        ],
        "",
    );
    assert_eq!(text(&remaining).trim(), "1");
    let events = eventfold(&dir.0, &["events", "--store", store], "");
    assert_eq!(text(&events).lines().count(), 3);
    let tail = eventfold(
        &dir.0,
        &["events", "Todos-home", "--from", "3", "--store", store],
        "",
    );
    let tail: serde_json::Value = serde_json::from_str(text(&tail).trim()).unwrap();
    assert_eq!(tail["type"], "completed-changed");
    let streams = eventfold(&dir.0, &["streams", "--store", store], "");
    assert_eq!(
        text(&streams).trim(),
        r#"{"stream":"Todos-home","version":3}"#
    );
    let replay = eventfold(&dir.0, &["replay", "--store", store, "-m", MODEL], "");
    assert!(replay.status.success());
    assert!(
        text(&replay).contains("1 stream (3 events)"),
        "{}",
        text(&replay)
    );
    // The pure fold still reads events from stdin.
    let fold = eventfold(&dir.0, &["replay", "-m", MODEL, "Todos"], &text(&events));
    let folded: serde_json::Value = serde_json::from_str(text(&fold).trim()).unwrap();
    assert_eq!(folded, state["state"]);
}

#[test]
fn errors_lists_the_core_table() {
    let dir = temp("errors");
    let out = eventfold(&dir.0, &["errors", "--json"], "");
    assert!(out.status.success());
    let table: serde_json::Value = serde_json::from_str(&text(&out)).unwrap();
    assert_eq!(table, eventfold::error::table_json());
    let out = text(&eventfold(&dir.0, &["errors"], ""));
    for spec in eventfold::error::TABLE {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(spec.code))
            .unwrap_or_else(|| panic!("no line for {}: {out}", spec.code));
        assert!(spec.fields.iter().all(|f| line.contains(f)), "{line}");
    }
}
