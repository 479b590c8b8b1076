//! The todo app of docs/guides/rust.md, on the embedded SQLite store:
//! `cargo run -p eventfold --example todo_app` (from the repository root).

use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions};
use serde_json::json;

fn main() -> Result<(), Error> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let domain = Domain::compile_files(&[format!("{root}/examples/todos/todos.model")])?;
    let dir = std::env::temp_dir().join(format!("eventfold-todo-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    let store = format!("sqlite:{}", dir.join("todos.db").display());
    let engine = Engine::open(&store, domain, EngineOptions::default())?;

    let none = ExecuteOptions::default();
    let add =
        |id: &str, text: &str| json!({"type": "create-new", "data": {"id": id, "text": text}});
    let done = engine.execute("Todos", "groceries", &add("a", "Buy milk"), &none)?;
    println!("{} is at version {}", done.stream, done.version);
    engine.execute("Todos", "groceries", &add("b", "Buy bread"), &none)?;
    let complete = json!({"type": "change-completed", "data": {"id": "a", "completed": true}});
    engine.execute("Todos", "groceries", &complete, &none)?;

    match engine.execute("Todos", "groceries", &add("a", "Again"), &none) {
        Err(Error::Rejected { reason, message }) => {
            println!("rejected ({}): {message}", reason.unwrap_or_default())
        }
        other => panic!("a duplicate id must be rejected, got {other:?}"),
    }

    let remaining = engine.query("Todos", "groceries", "remaining", &json!({}))?;
    println!("remaining: {}", remaining.to_json());
    for row in engine
        .rows_json("todo_rows", Some(r#"{"key": ["groceries"]}"#))?
        .lines()
    {
        println!("{row}");
    }
    engine.close()?;
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    Ok(())
}
