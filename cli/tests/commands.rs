//! The `eventfold` command as a user runs it: exit codes, what goes to
//! stdout and stderr, and pipelines.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn eventfold(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventfold"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const TODOS: &str = "examples/todos/todos.model";

#[test]
fn check_passes_a_good_model_and_fails_a_bad_one_with_every_problem() {
    let ok = eventfold(&["check", TODOS], None);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("Todos"));

    let dir = std::env::temp_dir().join(format!("eventfold-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.model");
    std::fs::write(
        &bad,
        "model M {\n  query a(): int = nope_one\n  query b(): int = nope_two\n}\n",
    )
    .unwrap();
    let out = eventfold(&["check", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.model:2:20") && err.contains("bad.model:3:20"),
        "{err}"
    );
    assert!(
        err.contains("query a(): int = nope_one") && err.contains("^^^^^^^^"),
        "{err}"
    );
    assert!(err.contains("2 problems"), "{err}");
}

#[test]
fn describe_prints_json_and_markdown() {
    let json = eventfold(&["describe", TODOS], None);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["models"][0]["commands"][0]["name"], "create-new");
    let md = eventfold(&["describe", TODOS, "--format", "markdown"], None);
    assert!(text(&md.stdout).contains("#### `create-new`"));
}

#[test]
fn test_reports_a_summary_and_fails_on_a_failing_case() {
    let ok = eventfold(&["test", "examples/todos/todos.scenarios.json"], None);
    assert!(ok.status.success());
    let out = text(&ok.stdout);
    assert!(
        out.lines().any(|l| l.ends_with("passed, 0 failed")),
        "{out}"
    );

    let dir = std::env::temp_dir().join(format!("eventfold-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join(TODOS), dir.join("todos.model")).unwrap();
    let scenario = serde_json::json!({
        "description": "one right, one wrong",
        "files": ["todos.model"],
        "model": "Todos",
        "cases": [
            {"name": "right", "given": [], "state": {"todos": {}}},
            {"name": "wrong", "given": [], "when": {"type": "create-new", "data": {"id": "a", "text": "x"}},
             "then": {"events": [{"type": "created", "data": {"id": "a", "text": "y", "completed": false}}]}}
        ]
    });
    let file = dir.join("mixed.scenarios.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let bad = eventfold(&["test", file.to_str().unwrap()], None);
    assert_eq!(bad.status.code(), Some(1));
    let out = text(&bad.stdout);
    assert!(out.contains("FAIL") && out.contains("wrong"), "{out}");
    assert!(out.contains("expected") && out.contains("\"y\""), "{out}");
    assert!(out.lines().any(|l| l == "1 passed, 1 failed"), "{out}");
}

#[test]
fn propose_and_replay_compose_in_a_pipeline() {
    let cmd = r#"{"type": "create-new", "data": {"id": "a", "text": "Buy milk"}}"#;
    let events = eventfold(&["propose", "--model", TODOS, "Todos"], Some(cmd));
    assert!(events.status.success(), "{}", text(&events.stderr));
    assert_eq!(
        text(&events.stdout).trim(),
        r#"[{"type":"created","data":{"id":"a","text":"Buy milk","completed":false}}]"#
    );
    let state = eventfold(
        &["replay", "--model", TODOS, "Todos"],
        Some(&text(&events.stdout)),
    );
    assert_eq!(
        text(&state.stdout).trim(),
        r#"{"todos":{"a":{"id":"a","text":"Buy milk","completed":false}}}"#
    );
    // One event per line works as well.
    let lines = "{\"type\":\"created\",\"data\":{\"id\":\"a\",\"text\":\"x\",\"completed\":true}}\n{\"type\":\"deleted\",\"data\":{\"id\":\"a\"}}\n";
    let state = eventfold(&["replay", "--model", TODOS, "Todos", "-"], Some(lines));
    assert_eq!(text(&state.stdout).trim(), r#"{"todos":{}}"#);
}

#[test]
fn a_rejection_is_an_error_on_stderr_as_json() {
    let state = r#"{"todos":{"a":{"id":"a","text":"x","completed":false}}}"#;
    let cmd = r#"{"type": "create-new", "data": {"id": "a", "text": "again"}}"#;
    let out = eventfold(
        &["propose", "--model", TODOS, "Todos", "--state", state, cmd],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        err,
        serde_json::json!({"code": "rejected", "message": "todo a already exists", "reason": "duplicate"})
    );
    let bad = eventfold(&["propose", "--model", TODOS, "Todos", "{not json"], None);
    let err: serde_json::Value = serde_json::from_slice(&bad.stderr).unwrap();
    assert_eq!(err["code"], "invalid_json");
}
