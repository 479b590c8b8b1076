//! The CLI for people (issue 16, item 4): the demo's suggestions run from
//! any folder, one way to name a stream, read commands that create
//! nothing, colour and tables on a terminal (forced here with `--color
//! always` and `--table`, since tests run in a pipe), `test -v`, and the
//! errors of `check` and `generate`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/todos/todos.model");
const SCENARIOS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/todos/todos.scenarios.json"
);

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp(name: &str) -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "eventfold-cli-people-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

/// Runs `eventfold ARGS` in `dir` with the colour variables cleared and
/// `env` set.
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eventfold"));
    c.args(args)
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[], "")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "eventfold {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// A command that fails with exit 1 and its error as JSON on stderr (a
/// pipe), never a panic.
fn fails(dir: &Path, args: &[&str]) -> Json {
    let out = run(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "eventfold {args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    serde_json::from_str(err.trim()).unwrap_or_else(|e| panic!("not one JSON error ({e}): {err}"))
}

/// A store with two lists, one of them with a `-` in its id.
fn store(dir: &Path) -> String {
    let url = format!("sqlite:{}", dir.join("app.db").display());
    for (stream, id, text) in [("Todos-home", "a", "milk"), ("Todos-my-list", "b", "bread")] {
        let cmd =
            format!(r#"{{"type": "create-new", "data": {{"id": "{id}", "text": "{text}"}}}}"#);
        ok(dir, &["exec", stream, &cmd, "--store", &url, "-m", MODEL]);
    }
    url
}

#[test]
fn every_command_the_demo_suggests_runs_from_another_folder() {
    let here = temp("demo-here");
    let elsewhere = temp("demo-elsewhere");
    let out = ok(&here.0, &["demo"]);
    assert!(here.0.join("eventfold-demo.model").exists(), "{out}");
    let commands: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  eventfold "))
        .map(str::trim_start)
        .collect();
    assert!(commands.len() >= 4, "{out}");
    // `eventfold` on the PATH, as `cargo install --path cli` puts it.
    let bin = Path::new(env!("CARGO_BIN_EXE_eventfold")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for c in &commands {
        assert!(
            c.contains(&here.0.display().to_string()),
            "a path that is not absolute: {c}"
        );
        let done = Command::new("sh")
            .args(["-c", c])
            .current_dir(&elsewhere.0)
            .env("PATH", &path)
            .env_remove("EVENTFOLD_STORE")
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "`{c}` failed from another folder: {}",
            String::from_utf8_lossy(&done.stderr)
        );
        assert!(!done.stdout.is_empty(), "`{c}` printed nothing");
    }
    // Nothing was made in the other folder.
    assert_eq!(std::fs::read_dir(&elsewhere.0).unwrap().count(), 0);
}

#[test]
fn a_stream_is_named_model_id_or_model_and_id_alike() {
    let dir = temp("streams");
    let url = store(&dir.0);
    let s = ["--store", url.as_str(), "-m", MODEL];
    let with = |words: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        v.extend(s.iter().map(|w| w.to_string()));
        v
    };
    let ok_of = |words: &[&str]| {
        let args = with(words);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&dir.0, &args)
    };
    // state
    let one = ok_of(&["state", "Todos-my-list"]);
    assert_eq!(one, ok_of(&["state", "Todos", "my-list"]));
    let state: Json = serde_json::from_str(one.trim()).unwrap();
    assert_eq!(state["state"]["todos"]["b"]["text"], "bread");
    // query, with and without arguments
    assert_eq!(ok_of(&["query", "Todos-home", "remaining"]).trim(), "1");
    assert_eq!(ok_of(&["query", "Todos", "home", "remaining"]).trim(), "1");
    assert_eq!(
        ok_of(&["query", "Todos-home", "remaining", "{}"]).trim(),
        "1"
    );
    // events
    let events = ok_of(&["events", "Todos-my-list"]);
    assert_eq!(events, ok_of(&["events", "Todos", "my-list"]));
    let e: Json = serde_json::from_str(events.trim()).unwrap();
    assert_eq!(e["stream"], "Todos-my-list");
    // exec, the command from stdin in both forms
    let args = with(&["exec", "Todos", "home"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let line = r#"{"type": "create-new", "data": {"id": "c", "text": "tea"}}"#;
    let out = run_env(&dir.0, &args, &[], line);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ok_of(&["query", "Todos-home", "remaining"]).trim(), "2");
    // A model alone, or a stream without an id, says what to write.
    let args = with(&["state", "Todos"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let e = fails(&dir.0, &args);
    assert_eq!(e["code"], "invalid_command");
    assert!(e["message"].as_str().unwrap().contains("MODEL-ID"), "{e}");
    let args = with(&["state", "Todos-"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(fails(&dir.0, &args)["code"], "invalid_command");
    // An unknown model is the engine's unknown_model.
    let args = with(&["state", "Nope-x"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(fails(&dir.0, &args)["code"], "unknown_model");
}

#[test]
fn a_read_command_on_a_missing_store_file_says_so_and_creates_nothing() {
    let dir = temp("missing");
    let file = dir.0.join("absent.db");
    let url = format!("sqlite:{}", file.display());
    let u = url.as_str();
    let commands: Vec<Vec<&str>> = vec![
        vec!["streams", "--store", u],
        vec!["events", "--store", u],
        vec!["events", "Todos-home", "--store", u],
        vec!["state", "Todos-home", "--store", u, "-m", MODEL],
        vec![
            "query",
            "Todos-home",
            "remaining",
            "--store",
            u,
            "-m",
            MODEL,
        ],
        vec!["tables", "--store", u, "-m", MODEL],
        vec!["rows", "todo_rows", "--store", u, "-m", MODEL],
        vec!["projections", "--store", u, "-m", MODEL],
        vec!["subscriptions", "--store", u],
        vec!["parked", "x", "--store", u],
        vec!["migrate", "status", "--store", u],
    ];
    for args in &commands {
        let e = fails(&dir.0, args);
        assert_eq!(e["code"], "store_error", "{args:?}: {e}");
        assert_eq!(e["kind"], "unavailable", "{args:?}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(&file.display().to_string()) && message.contains("does not exist"),
            "{args:?}: {message}"
        );
        for suffix in ["", "-wal", "-shm"] {
            let made = PathBuf::from(format!("{}{suffix}", file.display()));
            assert!(!made.exists(), "{args:?} made {}", made.display());
        }
    }
    // A relative path too, from the folder the command runs in.
    let e = fails(&dir.0, &["streams", "--store", "sqlite:nothing-here.db"]);
    assert!(e["message"].as_str().unwrap().contains("nothing-here.db"));
    assert!(!dir.0.join("nothing-here.db").exists());
}

#[test]
fn listings_are_tables_with_table_and_json_lines_in_a_pipe() {
    let dir = temp("tables");
    let url = store(&dir.0);
    let u = url.as_str();
    // In a pipe: JSON Lines.
    let lines = ok(&dir.0, &["streams", "--store", u]);
    let parsed: Vec<Json> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0]["stream"], "Todos-home");
    let rows = ok(&dir.0, &["rows", "todo_rows", "--store", u, "-m", MODEL]);
    assert!(rows
        .lines()
        .all(|l| serde_json::from_str::<Json>(l).is_ok()));
    let projections = ok(&dir.0, &["projections", "--store", u, "-m", MODEL]);
    let p: Json = serde_json::from_str(projections.lines().next().unwrap()).unwrap();
    assert_eq!(p["name"], "todo-board");
    // `--table`: the aligned table a terminal gets, plain in a pipe.
    let table = ok(&dir.0, &["streams", "--store", u, "--table"]);
    assert_eq!(
        table,
        "stream         version\n-------------  -------\nTodos-home           1\nTodos-my-list        1\n(2 streams)\n"
    );
    let table = ok(
        &dir.0,
        &["rows", "todo_rows", "--store", u, "-m", MODEL, "--table"],
    );
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("list_id"), "{table}");
    assert!(lines[1].starts_with("-------"), "{table}");
    assert_eq!(lines.last(), Some(&"(2 rows)"), "{table}");
    let table = ok(
        &dir.0,
        &["projections", "--store", u, "-m", MODEL, "--table"],
    );
    assert!(table.starts_with("projection"), "{table}");
    assert!(
        table.lines().nth(2).unwrap().starts_with("todo-board"),
        "{table}"
    );
    assert!(!table.contains('\x1b'));
    // With colour: the header bold, the rule dim, the cells plain.
    let coloured = ok(
        &dir.0,
        &["streams", "--store", u, "--table", "--color", "always"],
    );
    assert!(coloured.starts_with("\x1b[1mstream"), "{coloured:?}");
    assert!(coloured.contains("\x1b[2m----"), "{coloured:?}");
    // `--json` and `--table` together is a usage error (clap's exit 2).
    let both = run(&dir.0, &["streams", "--store", u, "--table", "--json"]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn colour_follows_color_no_color_and_clicolor_force() {
    let dir = temp("colour");
    let args = ["test", SCENARIOS];
    let coloured = |env: &[(&str, &str)], extra: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(extra);
        let out = run_env(&dir.0, &a, env, "");
        assert!(out.status.success());
        stdout(&out).contains('\x1b')
    };
    assert!(!coloured(&[], &[]), "a pipe gets no colour");
    assert!(coloured(&[], &["--color", "always"]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!coloured(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &[]
    ));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
    assert!(coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
    // The demo paints with the same choice.
    let demo = run_env(&dir.0, &["demo", "--color", "always"], &[], "");
    assert!(stdout(&demo).contains("\x1b[1m"));
    let demo = run_env(
        &dir.0,
        &["demo"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        "",
    );
    assert!(!stdout(&demo).contains('\x1b'));
}

#[test]
fn test_verbose_lists_every_case_of_every_file() {
    let dir = temp("verbose");
    std::fs::copy(MODEL, dir.0.join("todos.model")).unwrap();
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
    let mixed = dir.0.join("mixed.scenarios.json");
    std::fs::write(&mixed, scenario.to_string()).unwrap();
    let mixed = mixed.display().to_string();
    let cases: usize = serde_json::from_str::<Json>(&std::fs::read_to_string(SCENARIOS).unwrap())
        .unwrap()["cases"]
        .as_array()
        .unwrap()
        .len();
    let out = run(&dir.0, &["test", "-v", SCENARIOS, &mixed]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
        .collect();
    assert_eq!(listed.len(), cases + 2, "{text}");
    assert_eq!(
        listed
            .iter()
            .filter(|l| l.starts_with(&format!("PASS {SCENARIOS} :: ")))
            .count(),
        cases,
        "{text}"
    );
    assert!(
        listed.contains(&format!("PASS {mixed} :: right").as_str()),
        "{text}"
    );
    assert!(
        listed.contains(&format!("FAIL {mixed} :: wrong").as_str()),
        "{text}"
    );
    assert!(text.contains("expected:"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some(format!("{} passed, 1 failed", cases + 1).as_str())
    );
    // Without -v only the failure is listed.
    let quiet = stdout(&run(&dir.0, &["test", SCENARIOS, &mixed]));
    assert!(!quiet.contains("PASS "), "{quiet}");
    assert!(quiet.contains("FAIL "), "{quiet}");
    // A file that cannot be read is a listed failure too.
    let out = run(&dir.0, &["test", "--verbose", "missing.scenarios.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAIL missing.scenarios.json"), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
}

#[test]
fn check_on_a_missing_file_names_it() {
    let dir = temp("check");
    let e = fails(&dir.0, &["check", "nowhere.model"]);
    assert_eq!(e["code"], "io_error");
    assert_eq!(e["path"], "nowhere.model");
    assert!(
        e["message"].as_str().unwrap().contains("nowhere.model"),
        "{e}"
    );
    // A missing file among good ones, too.
    let e = fails(&dir.0, &["check", MODEL, "also-missing.model"]);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("also-missing.model"));
    // Model files of any command: the same error.
    let e = fails(&dir.0, &["propose", "-m", "gone.model", "Todos", "{}"]);
    assert_eq!(e["code"], "io_error");
}

#[test]
fn generate_names_the_languages_checks_and_makes_its_folder() {
    let dir = temp("generate");
    let e = fails(&dir.0, &["generate", "--lang", "cobol", MODEL, "-o", "out"]);
    assert_eq!(e["code"], "invalid_command");
    let message = e["message"].as_str().unwrap();
    for lang in ["ts", "python", "kotlin", "java", "php", "ruby", "c"] {
        assert!(message.contains(lang), "{message}");
    }
    assert!(message.contains("cobol"), "{message}");
    assert!(
        !dir.0.join("out").exists(),
        "an unknown language writes nothing"
    );
    // A missing model file is the model's io_error, before anything is written.
    let e = fails(
        &dir.0,
        &["generate", "--lang", "ts", "none.model", "-o", "out"],
    );
    assert_eq!(e["code"], "io_error");
    // The folder is made, however deep.
    let out = dir.0.join("a/b/generated");
    let o = out.display().to_string();
    ok(&dir.0, &["generate", "--lang", "ts", MODEL, "-o", &o]);
    assert!(out.is_dir());
    // --check on what was just written: up to date, exit 0, nothing written.
    let before: Vec<_> = walk(&out);
    let checked = ok(
        &dir.0,
        &["generate", "--lang", "ts", MODEL, "-o", &o, "--check"],
    );
    assert!(checked.starts_with("ok:"), "{checked}");
    assert_eq!(walk(&out), before);
    // A stale file (when the generator writes any) fails --check with exit 1.
    if let Some(first) = before.first() {
        std::fs::write(first, "stale").unwrap();
        let stale = run(
            &dir.0,
            &["generate", "--lang", "ts", MODEL, "-o", &o, "--check"],
        );
        assert_eq!(stale.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&stale.stderr).contains("out of date"));
    }
    // --check on an empty folder of its own: exit 0 exactly when the
    // generator writes nothing for the model.
    let empty = dir.0.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = empty.display().to_string();
    let check = run(
        &dir.0,
        &["generate", "--lang", "ts", MODEL, "-o", &e, "--check"],
    );
    assert_eq!(check.status.success(), before.is_empty());
    assert_eq!(
        std::fs::read_dir(&empty).unwrap().count(),
        0,
        "--check writes nothing"
    );
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Runs `eventfold ARGS` with stdout and stderr on a terminal (`script`
/// makes one), with `env`; `None` where there is no `script`.
fn on_a_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<(i32, String)> {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_eventfold"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut c = Command::new("script");
    c.args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    Some((out.status.code().unwrap_or(-1), text))
}

#[test]
fn on_a_terminal_tables_and_errors_are_coloured_unless_no_color() {
    let dir = temp("terminal");
    let url = store(&dir.0);
    let Some((code, shown)) = on_a_terminal(&dir.0, &["streams", "--store", &url], &[]) else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(shown.starts_with("\x1b[1mstream"), "{shown:?}");
    assert!(shown.contains("Todos-my-list        1\n"), "{shown:?}");
    let (_, plain) =
        on_a_terminal(&dir.0, &["streams", "--store", &url], &[("NO_COLOR", "1")]).unwrap();
    assert_eq!(
        plain,
        "stream         version\n-------------  -------\nTodos-home           1\nTodos-my-list        1\n(2 streams)\n"
    );
    // `--json` on a terminal: JSON Lines.
    let (_, json) = on_a_terminal(&dir.0, &["streams", "--store", &url, "--json"], &[]).unwrap();
    assert!(
        json.starts_with(r#"{"stream":"Todos-home","version":1}"#),
        "{json}"
    );
    // Errors read `error[code]: message`, the code in bold red.
    let missing = "sqlite:missing.db";
    let (code, err) = on_a_terminal(&dir.0, &["streams", "--store", missing], &[]).unwrap();
    assert_eq!(code, 1);
    assert!(
        err.starts_with("\x1b[1;31merror[store_error]\x1b[0m: no store at missing.db"),
        "{err:?}"
    );
    let (code, err) =
        on_a_terminal(&dir.0, &["check", "gone.model"], &[("NO_COLOR", "1")]).unwrap();
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error[io_error]: cannot read gone.model"),
        "{err:?}"
    );
    assert!(!dir.0.join("missing.db").exists());
}
