//! `eventfold demo`: the todo example run against a SQLite file in the
//! current folder, shown as a person would read it. Ids of new todos come
//! from the stream's version, so a second run goes on with the same list
//! instead of running into its own `duplicate` rejections. After the
//! commands it shows the list's rows of the `todo_rows` table, which the
//! inline projection `todo-board` wrote in each command's transaction.
//! It writes its model beside the store (`eventfold-demo.model`) and ends
//! with `eventfold` commands, absolute paths in them, that look inside the
//! store from any folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, Source, Value};
use serde_json::{json, Value as Json};

const MODEL: &str = include_str!("../../examples/todos/todos.model");
const MODEL_NAME: &str = "examples/todos/todos.model";
const ID: &str = "demo";
const TABLE: &str = "todo_rows";
const PROJECTION: &str = "todo-board";
/// The demo's copy of its model, written beside a SQLite store (else in
/// the current folder) for the commands it suggests.
const MODEL_FILE: &str = "eventfold-demo.model";

pub fn run(store: &str) -> Result<ExitCode, Error> {
    let p = crate::term::stdout();
    let (ok, no, arrow) = if p.on {
        ("✔", "✘ rejected", "▸")
    } else {
        ("ok", "rejected", ">")
    };
    let domain = Domain::compile(&[Source::new(MODEL_NAME, MODEL)])?;
    let engine = Engine::open(store, domain, EngineOptions::default())?;
    // What is printed never shows a PostgreSQL URL's password.
    let url = store;
    let store = eventfold::store::shown_url(store);
    let before = engine.load("Todos", ID)?;
    let stream = Engine::stream_name("Todos", ID);
    let run = if before.version == 0 {
        "a new list".to_string()
    } else {
        format!("the list as it was left, at version {}", before.version)
    };
    println!(
        "{} the todo list of {MODEL_NAME}, stream {} in {store}, starting from {run}\n",
        p.bold("eventfold demo:"),
        p.bold(&stream)
    );

    // Fresh ids for this run: the stream's version only grows.
    let n = before.version;
    let a = format!("t{}", n + 1);
    let b = format!("t{}", n + 2);
    let c = format!("t{}", n + 3);
    let script = [
        json!({"type": "create-new", "data": {"id": a, "text": "Buy milk"}}),
        json!({"type": "create-new", "data": {"id": b, "text": "Write the report"}}),
        json!({"type": "create-new", "data": {"id": c, "text": "   "}}),
        json!({"type": "change-completed", "data": {"id": a, "completed": true}}),
        json!({"type": "create-new", "data": {"id": a, "text": "Buy milk again"}}),
        json!({"type": "change-text", "data": {"id": b, "new_text": "Write the quarterly report"}}),
        json!({"type": "delete", "data": {"id": "nothing-here"}}),
        json!({"type": "clear-done"}),
    ];
    let mut last_position = 0;
    for command in &script {
        let data = command
            .get("data")
            .map(|d| format!(" {}", p.dim(&d.to_string())));
        println!(
            "{} {}{}",
            p.cyan(arrow),
            p.bold(command["type"].as_str().unwrap_or("?")),
            data.unwrap_or_default()
        );
        match engine.execute("Todos", ID, command, &ExecuteOptions::default()) {
            Ok(done) if done.events.is_empty() => {
                println!(
                    "  {} {}",
                    p.green(ok),
                    p.dim("accepted, no change: no event")
                );
            }
            Ok(done) => {
                for e in &done.events {
                    last_position = last_position.max(e.position);
                    println!(
                        "  {} {} {} {}",
                        p.green(ok),
                        p.green(&e.event_type),
                        e.data.to_json_string(),
                        p.dim(&format!("(version {}, position {})", e.version, e.position))
                    );
                }
            }
            Err(Error::Rejected { reason, message }) => {
                let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                println!("  {}: {message}", p.red(&format!("{no}{reason}")));
            }
            Err(other) => return Err(other),
        }
    }

    let after = engine.load("Todos", ID)?;
    println!(
        "\n{} {} at version {}:",
        p.bold("State of"),
        p.bold(&stream),
        after.version
    );
    let todos = match after.state.as_record().and_then(|r| r.get("todos")) {
        Some(Value::Map(m)) => m.clone(),
        _ => Default::default(),
    };
    if todos.is_empty() {
        println!("  (no todos)");
    }
    for (id, todo) in todos.iter() {
        let r = todo.as_record();
        let text = r
            .and_then(|r| r.get("text"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let done = matches!(r.and_then(|r| r.get("completed")), Some(Value::Bool(true)));
        let mark = if done { "[x]" } else { "[ ]" };
        println!("  {mark} {} {text}", p.dim(&format!("{id:<6}")));
    }
    let remaining = engine.query("Todos", ID, "remaining", &Json::Null)?;
    println!("  remaining: {}", remaining.to_json_string());

    // A store from before the projection existed is rebuilt from its first
    // event, in the background; wait for it so the rows are whole.
    let options = json!({"projection": PROJECTION, "timeout": 60_000}).to_string();
    if engine.wait_for_json(last_position, Some(&options))? != "true" {
        println!("\n(the projection {PROJECTION} is still being rebuilt; try again)");
    }
    let rows = engine.rows_json(TABLE, Some(&json!({"key": [ID]}).to_string()))?;
    let rows: Vec<Json> = serde_json::from_str(&rows).map_err(|e| Error::Internal {
        message: format!("rows wrote JSON the demo cannot read: {e}"),
    })?;
    println!(
        "\n{} {} {}",
        p.bold("Table"),
        p.bold(TABLE),
        p.dim(&format!(
            "(projection {PROJECTION}, inline: written with the events), rows of list {ID}:"
        ))
    );
    let mut grid =
        crate::grid::Grid::new(["list_id", "id", "text", "completed", "done_at"]).painted(p);
    for row in &rows {
        grid.push_json(["list_id", "id", "text", "completed", "done_at"].map(|c| &row[c]));
    }
    print!("{}", grid.render("  "));
    println!("  ({} row{})", rows.len(), crate::plural(rows.len()));
    let total: u64 = engine.streams(None)?.iter().map(|s| s.version).sum();
    engine.close()?;
    let hints = Hints::new(url)?;
    println!(
        "\n{total} events stored. Run the demo again and the list goes on. Look inside, from any folder\n(with `eventfold` on the PATH: `cargo install --path cli`; docs/cli.md):"
    );
    for line in hints.commands(&stream) {
        println!("  {line}");
    }
    if let Some(note) = hints.note {
        println!("{}", p.dim(&note));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the suggested commands name: the store as a URL that works from
/// any folder, and the model file the demo wrote.
struct Hints {
    /// `--store ...`, or nothing when `EVENTFOLD_STORE` must give it.
    store: Option<String>,
    model: PathBuf,
    note: Option<String>,
}

impl Hints {
    fn new(url: &str) -> Result<Hints, Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::io(Path::new("."), &e))?;
        let (store, dir, note) = match sqlite_path(url) {
            Some((path, query)) => {
                let path = cwd.join(path);
                let dir = path.parent().map_or_else(|| cwd.clone(), Path::to_path_buf);
                (Some(format!("sqlite:{}{query}", path.display())), dir, None)
            }
            None if url.starts_with("memory:") => (
                Some(url.to_string()),
                cwd,
                Some("(a memory: store is gone when the command ends: these find nothing; run the demo without --store to keep its events)".to_string()),
            ),
            // A PostgreSQL URL holds a password, which is never printed.
            None => (
                None,
                cwd,
                Some(format!(
                    "(set EVENTFOLD_STORE to the store's URL, {}, with its password)",
                    eventfold::store::shown_url(url)
                )),
            ),
        };
        let model = dir.join(MODEL_FILE);
        if std::fs::read_to_string(&model).ok().as_deref() != Some(MODEL) {
            std::fs::write(&model, MODEL).map_err(|e| Error::io(&model, &e))?;
        }
        Ok(Hints { store, model, note })
    }

    /// The commands, each ready to paste into a shell.
    fn commands(&self, stream: &str) -> Vec<String> {
        let store = self
            .store
            .as_ref()
            .map(|s| format!(" --store {}", shell(s)))
            .unwrap_or_default();
        let m = format!(" -m {}", shell(&self.model.display().to_string()));
        let create =
            json!({"type": "create-new", "data": {"id": "mine", "text": "Call the plumber"}});
        vec![
            format!("eventfold events {stream}{store}"),
            format!("eventfold state {stream}{store}{m}"),
            format!("eventfold rows {TABLE}{store}{m}"),
            format!(
                "eventfold exec {stream} {}{store}{m}",
                shell(&create.to_string())
            ),
        ]
    }
}

/// The file and the `?...` options of a `sqlite:` URL.
fn sqlite_path(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    Some(match rest.find('?') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// A word as a POSIX shell reads it back: as it is when it holds only
/// safe characters, else in single quotes.
fn shell(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
        assert_eq!(shell("/my dir/x"), "'/my dir/x'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell(r#"{"a":1}"#), r#"'{"a":1}'"#);
    }

    #[test]
    fn a_sqlite_url_splits_into_its_file_and_options() {
        assert_eq!(sqlite_path("sqlite:x.db"), Some(("x.db", "")));
        assert_eq!(
            sqlite_path("sqlite://a/b.db?synchronous=normal"),
            Some(("a/b.db", "?synchronous=normal"))
        );
        assert_eq!(sqlite_path("memory:"), None);
    }
}
