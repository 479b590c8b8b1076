//! `eventfold demo`: the todo example run against a SQLite file in the
//! current folder, shown as a person would read it. Ids of new todos come
//! from the stream's version, so a second run goes on with the same list
//! instead of running into its own `duplicate` rejections. After the
//! commands it shows the list's rows of the `todo_rows` table, which the
//! inline projection `todo-board` wrote in each command's transaction.

use std::io::IsTerminal;
use std::process::ExitCode;

use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, Source, Value};
use serde_json::{json, Value as Json};

const MODEL: &str = include_str!("../../examples/todos/todos.model");
const MODEL_NAME: &str = "examples/todos/todos.model";
const ID: &str = "demo";
const TABLE: &str = "todo_rows";
const PROJECTION: &str = "todo-board";

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn green(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn red(&self, t: &str) -> String {
        self.wrap("31", t)
    }
    fn cyan(&self, t: &str) -> String {
        self.wrap("36", t)
    }
}

pub fn run(store: &str) -> Result<ExitCode, Error> {
    let p = Paint {
        on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let (ok, no, arrow) = if p.on {
        ("✔", "✘ rejected", "▸")
    } else {
        ("ok", "rejected", ">")
    };
    let domain = Domain::compile(&[Source::new(MODEL_NAME, MODEL)])?;
    let engine = Engine::open(store, domain, EngineOptions::default())?;
    // What is printed never shows a PostgreSQL URL's password.
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
    let mut grid = crate::grid::Grid::new(["list_id", "id", "text", "completed", "done_at"]);
    for row in &rows {
        grid.push_json(["list_id", "id", "text", "completed", "done_at"].map(|c| &row[c]));
    }
    print!("{}", grid.render("  "));
    println!("  ({} row{})", rows.len(), crate::plural(rows.len()));
    let total: u64 = engine.streams(None)?.iter().map(|s| s.version).sum();
    println!(
        "\n{} events stored. Run the demo again and the list goes on; look inside with\n  eventfold events {stream} --store {store}\n  eventfold state --store {store} -m {MODEL_NAME} Todos {ID}\n  eventfold rows {TABLE} --store {store} -m {MODEL_NAME}",
        total
    );
    engine.close()?;
    Ok(ExitCode::SUCCESS)
}
