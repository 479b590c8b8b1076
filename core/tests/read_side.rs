//! The engine's read side on both stores: its rows always equal what the
//! pure `project` gives over the stored events (the oracle of every test
//! here), inline rows commit with their events, async ones catch up, and
//! rebuilds, poison events and changed projections come out the same.

use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, Source};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

mod pg;
mod scratch;
use scratch::TempDir;

fn shared(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/scenarios")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn board() -> Domain {
    Domain::compile(&[Source::new("board.model", shared("v1/board.model"))]).unwrap()
}

fn todos() -> Domain {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.model"),
    )
    .unwrap();
    Domain::compile(&[Source::new("todos.model", &text)]).unwrap()
}

fn options() -> EngineOptions {
    EngineOptions::default()
}

/// The stored events, as `project` takes them.
fn project_input(engine: &Engine) -> Json {
    let events: Json = serde_json::from_str(&engine.read_all_json(None).unwrap()).unwrap();
    let domain = engine.domain();
    let models = domain.models();
    Json::Array(
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let stream = e["stream"].as_str().unwrap();
                let model = models
                    .iter()
                    .filter(|m| stream.starts_with(&format!("{m}-")))
                    .max_by_key(|m| m.len())
                    .unwrap();
                let mut metadata = e["metadata"].clone();
                let recorded_at = metadata["recorded_at"].clone();
                metadata.as_object_mut().unwrap().remove("recorded_at");
                json!({
                    "model": model,
                    "id": &stream[model.len() + 1..],
                    "type": e["type"],
                    "schema": e["schema"],
                    "data": e["data"],
                    "version": e["version"],
                    "position": e["position"],
                    "recorded_at": recorded_at,
                    "metadata": metadata,
                    "event_id": e["id"],
                })
            })
            .collect(),
    )
}

/// What `project` gives for `projection` over the stored events.
fn oracle(engine: &Engine, projection: &str) -> Json {
    engine
        .domain()
        .project(projection, &project_input(engine), None)
        .unwrap()
}

/// The engine's rows of every table `projection` writes.
fn rows(engine: &Engine, projection: &str) -> Json {
    let expected = oracle(engine, projection);
    let mut out = serde_json::Map::new();
    for table in expected.as_object().unwrap().keys() {
        let rows: Json = serde_json::from_str(&engine.rows_json(table, None).unwrap()).unwrap();
        out.insert(table.clone(), rows);
    }
    Json::Object(out)
}

fn run(engine: &Engine, id: &str, command: Json) -> Result<u64, Error> {
    Ok(engine
        .execute("Board", id, &command, &ExecuteOptions::default())?
        .position)
}

fn some_board_commands(engine: &Engine) -> u64 {
    let mut last = 0;
    for (id, c) in [
        (
            "b1",
            json!({"type": "name-board", "data": {"title": "Home"}}),
        ),
        (
            "b1",
            json!({"type": "add-card", "data": {"id": "c1", "title": "Milk"}}),
        ),
        (
            "b1",
            json!({"type": "add-card", "data": {"id": "c2", "title": "Eggs", "priority": "high"}}),
        ),
        (
            "b2",
            json!({"type": "name-board", "data": {"title": "Work"}}),
        ),
        (
            "b1",
            json!({"type": "move-card", "data": {"id": "c1", "lane": "doing"}}),
        ),
        (
            "b1",
            json!({"type": "label-card", "data": {"id": "c2", "label": "shop"}}),
        ),
        ("b1", json!({"type": "finish-card", "data": {"id": "c2"}})),
        (
            "b2",
            json!({"type": "add-card", "data": {"id": "c1", "title": "Mail"}}),
        ),
        ("b1", json!({"type": "archive-card", "data": {"id": "c1"}})),
    ] {
        last = run(engine, id, c).unwrap();
    }
    last
}

fn wait(engine: &Engine, position: u64) {
    assert!(engine
        .wait_for(position, None, Duration::from_secs(120))
        .unwrap());
}

fn each_store(test: impl Fn(&str)) {
    test("memory:");
    let dir = TempDir::new("read-side");
    test(&dir.url());
    if let Some(schema) = pg::Schema::new("read_side") {
        test(&schema.url());
    }
}

/// The URL of store `n` of memory, SQLite (in `dir`) and PostgreSQL (in
/// `schema`, when there is a test server; else SQLite again).
fn store_url(n: u8, dir: &TempDir, schema: &Option<pg::Schema>) -> String {
    match (n, schema) {
        (0, _) => "memory:".to_string(),
        (2, Some(s)) => s.url(),
        _ => dir.url(),
    }
}

#[test]
fn inline_and_async_rows_equal_project() {
    each_store(|url| {
        let engine = Engine::open(url, board(), options()).unwrap();
        let last = some_board_commands(&engine);
        // Inline: there at once, without waiting.
        assert_eq!(
            rows(&engine, "board-screen"),
            oracle(&engine, "board-screen")
        );
        wait(&engine, last);
        assert_eq!(
            rows(&engine, "board-activity"),
            oracle(&engine, "board-activity")
        );
        let status: Json = serde_json::from_str(&engine.projections_json().unwrap()).unwrap();
        for p in status.as_array().unwrap() {
            assert_eq!(p["status"], "live", "{p}");
            assert_eq!(p["position"], last, "{p}");
            assert_eq!(p["lag"], 0, "{p}");
        }
        engine.close().unwrap();
    });
}

#[test]
fn rows_page_by_key_prefix_and_after() {
    let engine = Engine::open("memory:", board(), options()).unwrap();
    some_board_commands(&engine);
    let all: Json = serde_json::from_str(&engine.rows_json("card_rows", None).unwrap()).unwrap();
    let b1: Json = serde_json::from_str(
        &engine
            .rows_json("card_rows", Some(r#"{"key": "b1"}"#))
            .unwrap(),
    )
    .unwrap();
    let expected: Vec<&Json> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["board_id"] == "b1")
        .collect();
    assert_eq!(b1.as_array().unwrap().iter().collect::<Vec<_>>(), expected);
    let first = &all[0];
    let after = json!({"after": [first["board_id"], first["card_id"]], "limit": 1});
    let next: Json = serde_json::from_str(
        &engine
            .rows_json("card_rows", Some(&after.to_string()))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(next, json!([all[1]]));
    match engine.rows_json("no_such", None).unwrap_err() {
        Error::UnknownTable { message } => assert!(message.contains("card_rows"), "{message}"),
        other => panic!("{other:?}"),
    }
    match engine
        .rows_json("card_rows", Some(r#"{"key": [1]}"#))
        .unwrap_err()
    {
        Error::InvalidCommand { path, .. } => assert_eq!(path, "options.key[0]"),
        other => panic!("{other:?}"),
    }
}

/// A model whose inline handler fails on a second `opened`: the insert
/// finds its row taken.
fn strict(mode: &str) -> Domain {
    let text = format!(
        r#"
model Acct {{
  state {{ n: int }}
  command open(tag: string) {{ emit opened(tag) }}
  event opened(tag: string) {{ set n = n + 1 }}
}}
table accts {{
  key tag: string
  n: int = 0
}}
projection acct-rows {mode} {{
  on Acct.opened {{
    insert accts(tag)
  }}
}}
"#
    );
    Domain::compile(&[Source::new("acct.model", &text)]).unwrap()
}

/// Runs a command on stream `id` of `Acct`: the position of its event.
fn acct(engine: &Engine, id: &str, command: Json) -> Result<u64, Error> {
    Ok(engine
        .execute("Acct", id, &command, &ExecuteOptions::default())?
        .position)
}

fn open_tag(engine: &Engine, id: &str, tag: &str) -> Result<u64, Error> {
    acct(engine, id, json!({"type": "open", "data": {"tag": tag}}))
}

#[test]
fn a_failing_inline_handler_fails_its_command_and_stores_nothing() {
    each_store(|url| {
        let engine = Engine::open(url, strict("inline"), options()).unwrap();
        open_tag(&engine, "a", "x").unwrap();
        let e = open_tag(&engine, "b", "x").unwrap_err();
        assert_eq!(e.code(), "evaluation_error", "{e}");
        assert_eq!(engine.read_all(None, None).unwrap().len(), 1);
        assert_eq!(engine.load("Acct", "b").unwrap().version, 0);
        open_tag(&engine, "b", "y").unwrap();
        assert_eq!(
            serde_json::from_str::<Json>(&engine.rows_json("accts", None).unwrap()).unwrap(),
            json!([{"tag": "x", "n": 0}, {"tag": "y", "n": 0}])
        );
    });
}

#[test]
fn a_poison_event_stops_an_async_projection_or_is_parked() {
    each_store(|url| {
        let engine = Engine::open(url, strict("async"), options()).unwrap();
        open_tag(&engine, "a", "x").unwrap();
        let bad = open_tag(&engine, "b", "x").unwrap();
        let last = open_tag(&engine, "c", "z").unwrap();
        let e = engine
            .wait_for(last, None, Duration::from_secs(120))
            .unwrap_err();
        assert_eq!(e.code(), "evaluation_error", "{e}");
        let status: Json = serde_json::from_str(&engine.projections_json().unwrap()).unwrap();
        assert_eq!(status[0]["status"], "stopped", "{status}");
        assert_eq!(status[0]["error"]["position"], bad, "{status}");
        assert_eq!(status[0]["position"], bad - 1, "{status}");
        engine.close().unwrap();
    });
    let dir = TempDir::new("read-side");
    let mut park = options();
    park.on_projection_error = eventfold::OnProjectionError::Park;
    let engine = Engine::open(&dir.url(), strict("async"), park).unwrap();
    open_tag(&engine, "a", "x").unwrap();
    open_tag(&engine, "b", "x").unwrap();
    let last = open_tag(&engine, "c", "z").unwrap();
    wait(&engine, last);
    assert_eq!(
        serde_json::from_str::<Json>(&engine.rows_json("accts", None).unwrap()).unwrap(),
        json!([{"tag": "x", "n": 0}, {"tag": "z", "n": 0}])
    );
}

/// `update` of a whole key whose values do not read `row` changes the row
/// in place; a value that fails counts only when the row is there, as if
/// the row were read first.
fn divider(mode: &str) -> Domain {
    let text = format!(
        r#"
model Acct {{
  state {{ n: int }}
  command open(tag: string) {{ emit opened(tag) }}
  command poke(tag: string, by: int) {{ emit poked(tag, by) }}
  event opened(tag: string) {{ set n = n + 1 }}
  event poked(tag: string, by: int) {{ set n = n + 1 }}
}}
table accts {{
  key tag: string
  n: int = 0
  note: string? = null
}}
projection acct-rows {mode} {{
  on Acct.opened {{
    insert accts(tag)
  }}
  on Acct.poked {{
    update accts[tag](n: 100 / by, note: "poked")
  }}
}}
"#
    );
    Domain::compile(&[Source::new("acct.model", &text)]).unwrap()
}

fn poke(engine: &Engine, tag: &str, by: i64) -> Result<u64, Error> {
    acct(
        engine,
        "a",
        json!({"type": "poke", "data": {"tag": tag, "by": by}}),
    )
}

#[test]
fn an_update_in_place_fails_only_where_the_row_is() {
    each_store(|url| {
        let engine = Engine::open(url, divider("inline"), options()).unwrap();
        open_tag(&engine, "a", "x").unwrap();
        poke(&engine, "x", 4).unwrap();
        // No row `y`: its value is never needed.
        poke(&engine, "y", 0).unwrap();
        let e = poke(&engine, "x", 0).unwrap_err();
        assert_eq!(e.code(), "evaluation_error", "{e}");
        assert!(e.to_string().contains("division by zero"), "{e}");
        let want = json!({"accts": [{"tag": "x", "n": 25, "note": "poked"}]});
        assert_eq!(rows(&engine, "acct-rows"), want, "{url}");
        assert_eq!(oracle(&engine, "acct-rows"), want, "{url}");
        engine.close().unwrap();

        // Over the same events where the store keeps them (the memory
        // store starts again).
        let engine = Engine::open(url, divider("async"), options()).unwrap();
        if engine.read_all(None, None).unwrap().is_empty() {
            open_tag(&engine, "a", "x").unwrap();
        }
        let last = poke(&engine, "x", 5).unwrap();
        wait(&engine, last);
        let want = json!({"accts": [{"tag": "x", "n": 20, "note": "poked"}]});
        assert_eq!(rows(&engine, "acct-rows"), want, "{url}");
        assert_eq!(oracle(&engine, "acct-rows"), want, "{url}");
        let bad = poke(&engine, "x", 0).unwrap();
        let e = engine
            .wait_for(bad, None, Duration::from_secs(120))
            .unwrap_err();
        assert_eq!(e.code(), "evaluation_error", "{e}");
        engine.close().unwrap();
    });
}

#[test]
fn a_rebuild_gives_the_same_rows_and_a_changed_projection_is_rebuilt() {
    each_store(|url| {
        let engine = Engine::open(url, board(), options()).unwrap();
        let last = some_board_commands(&engine);
        wait(&engine, last);
        let before = rows(&engine, "board-screen");
        let done = engine.rebuild("board-screen").unwrap();
        assert_eq!(done.position, last);
        assert_eq!(rows(&engine, "board-screen"), before);
        let done = engine.rebuild("board-activity").unwrap();
        assert_eq!(done.position, last);
        assert_eq!(
            rows(&engine, "board-activity"),
            oracle(&engine, "board-activity")
        );
    });
    // A changed projection, on reopening the file.
    let dir = TempDir::new("read-side");
    let engine = Engine::open(&dir.url(), board(), options()).unwrap();
    let last = some_board_commands(&engine);
    wait(&engine, last);
    engine.close().unwrap();
    let changed = shared("v1/board.model").replace(
        "update card_rows[stream.id, id](lane, moved_at",
        "update card_rows[stream.id, id](lane: lane + \"!\", moved_at",
    );
    let domain = Domain::compile(&[Source::new("board.model", &changed)]).unwrap();
    let engine = Engine::open(&dir.url(), domain, options()).unwrap();
    wait(&engine, last);
    assert_eq!(
        rows(&engine, "board-screen"),
        oracle(&engine, "board-screen")
    );
    assert!(rows(&engine, "board-screen").to_string().contains("done!"));
}

#[test]
fn a_new_inline_projection_over_stored_events_is_built_before_it_serves() {
    let dir = TempDir::new("read-side");
    let plain = Domain::compile(&[Source::new(
        "t.model",
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.model"),
        )
        .unwrap()
        .split("\ntable ")
        .next()
        .unwrap()
        .to_string(),
    )])
    .unwrap();
    let engine = Engine::open(&dir.url(), plain, options()).unwrap();
    for i in 0..30 {
        engine
            .execute(
                "Todos",
                "l1",
                &json!({"type": "create-new", "data": {"id": format!("t{i}"), "text": "x"}}),
                &ExecuteOptions::default(),
            )
            .unwrap();
    }
    engine.close().unwrap();
    let engine = Engine::open(&dir.url(), todos(), options()).unwrap();
    let last = engine
        .execute(
            "Todos",
            "l1",
            &json!({"type": "create-new", "data": {"id": "last", "text": "y"}}),
            &ExecuteOptions::default(),
        )
        .unwrap()
        .position;
    wait(&engine, last);
    assert_eq!(rows(&engine, "todo-board"), oracle(&engine, "todo-board"));
    assert_eq!(
        serde_json::from_str::<Json>(&engine.rows_json("todo_rows", None).unwrap())
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        31
    );
}

fn board_command() -> impl Strategy<Value = (String, Json)> {
    let id = prop::sample::select(vec!["b1", "b2", "b3"]);
    let card = prop::sample::select(vec!["c1", "c2", "c3", "c4"]);
    let lane = prop::sample::select(vec!["todo", "doing", "done", "nowhere"]);
    let title = prop::sample::select(vec!["A", "B", " "]);
    (id, card, lane, title, 0..8u8).prop_map(|(id, card, lane, title, kind)| {
        let c = match kind {
            0 => json!({"type": "name-board", "data": {"title": title}}),
            1 | 2 => {
                json!({"type": "add-card", "data": {"id": card, "title": title, "lane": lane}})
            }
            3 => json!({"type": "move-card", "data": {"id": card, "lane": lane}}),
            4 => json!({"type": "finish-card", "data": {"id": card}}),
            5 => json!({"type": "label-card", "data": {"id": card, "label": title}}),
            6 => json!({"type": "archive-card", "data": {"id": card}}),
            _ => json!({"type": "reset-board"}),
        };
        (id.to_string(), c)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The law: after any commands, the engine's rows (inline at once,
    /// async after `wait_for`) equal `project` over the stored events.
    #[test]
    fn engine_rows_equal_project(commands in prop::collection::vec(board_command(), 1..40), store in 0..3u8) {
        let dir = TempDir::new("read-side");
        let schema = if store == 2 { pg::Schema::new("read_side_board") } else { None };
        let url = store_url(store, &dir, &schema);
        let engine = Engine::open(&url, board(), options()).unwrap();
        let mut last = 0;
        for (id, c) in &commands {
            if let Ok(p) = run(&engine, id, c.clone()) {
                last = last.max(p);
            }
        }
        prop_assert_eq!(rows(&engine, "board-screen"), oracle(&engine, "board-screen"));
        wait(&engine, last);
        prop_assert_eq!(rows(&engine, "board-activity"), oracle(&engine, "board-activity"));
        engine.close().unwrap();
    }
}

#[test]
fn events_of_a_writer_without_the_projection_are_folded_by_the_next_command() {
    let dir = TempDir::new("read-side");
    let with = Engine::open(&dir.url(), todos(), options()).unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.model"),
    )
    .unwrap();
    let plain = Domain::compile(&[Source::new(
        "t.model",
        text.split("\ntable ").next().unwrap().to_string(),
    )])
    .unwrap();
    let without = Engine::open(&dir.url(), plain, options()).unwrap();
    let create = |e: &Engine, id: &str| {
        e.execute(
            "Todos",
            "l",
            &json!({"type": "create-new", "data": {"id": id, "text": id}}),
            &ExecuteOptions::default(),
        )
        .unwrap()
    };
    create(&with, "a");
    create(&without, "b");
    create(&without, "c");
    create(&with, "d");
    let got: Json = serde_json::from_str(&with.rows_json("todo_rows", None).unwrap()).unwrap();
    let ids: Vec<&str> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(rows(&with, "todo-board"), oracle(&with, "todo-board"));
}

/// Todos with `todo-board` both inline (as the example has it) and as an
/// async copy writing a copy of its table.
fn todos_both() -> Domain {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.model"),
    )
    .unwrap();
    let read_side = &text[text.find("\ntable ").unwrap()..];
    let copy = read_side.replace("todo_rows", "todo_rows_async").replace(
        "projection todo-board inline",
        "projection todo-board-async async",
    );
    Domain::compile(&[Source::new("todos.model", format!("{text}\n{copy}"))]).unwrap()
}

fn todo_command() -> impl Strategy<Value = (String, Json)> {
    let list = prop::sample::select(vec!["l1", "l2"]);
    let todo = prop::sample::select(vec!["t1", "t2", "t3"]);
    (list, todo, any::<bool>(), 0..6u8).prop_map(|(list, todo, flag, kind)| {
        let c = match kind {
            0 | 1 => json!({"type": "create-new", "data": {"id": todo, "text": "a"}}),
            2 => json!({"type": "create-complete", "data": {"id": todo, "text": "b"}}),
            3 => json!({"type": "change-completed", "data": {"id": todo, "completed": flag}}),
            4 => json!({"type": "change-text", "data": {"id": todo, "new_text": "c"}}),
            _ if flag => json!({"type": "delete", "data": {"id": todo}}),
            _ => json!({"type": "clear-done"}),
        };
        (list.to_string(), c)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The same law over the todo model, inline and async.
    #[test]
    fn todo_rows_equal_project(commands in prop::collection::vec(todo_command(), 1..40), store in 0..3u8) {
        let dir = TempDir::new("read-side");
        let schema = if store == 2 { pg::Schema::new("read_side_todos") } else { None };
        let url = store_url(store, &dir, &schema);
        let engine = Engine::open(&url, todos_both(), options()).unwrap();
        let mut last = 0;
        for (list, c) in &commands {
            if let Ok(done) = engine.execute("Todos", list, c, &ExecuteOptions::default()) {
                last = last.max(done.position);
            }
        }
        prop_assert_eq!(rows(&engine, "todo-board"), oracle(&engine, "todo-board"));
        wait(&engine, last);
        prop_assert_eq!(rows(&engine, "todo-board-async"), oracle(&engine, "todo-board-async"));
        engine.close().unwrap();
    }
}

#[test]
fn a_look_with_a_changed_model_leaves_the_live_projection_alone() {
    let dir = TempDir::new("read-side");
    let engine = Engine::open(&dir.url(), board(), options()).unwrap();
    let last = some_board_commands(&engine);
    let changed = shared("v1/board.model").replace(
        "update card_rows[stream.id, id](lane, moved_at",
        "update card_rows[stream.id, id](lane: lane + \"!\", moved_at",
    );
    let look = Engine::open(
        &dir.url(),
        Domain::compile(&[Source::new("board.model", changed)]).unwrap(),
        EngineOptions {
            run_projections: false,
            ..options()
        },
    )
    .unwrap();
    let seen: Json = serde_json::from_str(&look.projections_json().unwrap()).unwrap();
    assert_eq!(seen[0]["status"], "rebuilding", "{seen}");
    look.close().unwrap();
    // The engine on the live model goes on as before.
    assert!(engine
        .wait_for(last, Some("board-screen"), Duration::ZERO)
        .unwrap());
    let status: Json = serde_json::from_str(&engine.projections_json().unwrap()).unwrap();
    assert_eq!(status[0]["status"], "live", "{status}");
    run(
        &engine,
        "b9",
        json!({"type": "name-board", "data": {"title": "New"}}),
    )
    .unwrap();
    assert_eq!(
        rows(&engine, "board-screen"),
        oracle(&engine, "board-screen")
    );
}
