//! Event versions and upcasts (MODEL-LANGUAGE.md §12) through the core
//! scenario runner: the board model of `scenarios/v1/` and the upcast cases
//! of `v1/check.scenarios.json`.

use std::path::{Path, PathBuf};

use eventfold::scenario;
use serde_json::{json, Value as Json};

fn v1(file: &str) -> PathBuf {
    scenario::shared_path(&format!("scenarios/v1/{file}")).unwrap_or_else(|e| panic!("{e}"))
}

/// A directory of its own for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventfold-upcasts-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `board.model`, without its tables and projections (§13) while this
/// branch of the compiler does not read them: they are after the model and
/// take no part in what these cases test. Once the compiler reads them the
/// whole file is used as it is.
fn board_source() -> String {
    let text = std::fs::read_to_string(v1("board.model")).unwrap();
    if eventfold::Domain::compile(&[eventfold::Source::new("board.model", text.as_str())]).is_ok() {
        return text;
    }
    let cut = text
        .find("\n/// One row per card")
        .or_else(|| text.find("\ntable "))
        .expect("board.model has its tables after the model");
    text[..cut].to_string()
}

fn run(path: &Path) -> scenario::Report {
    let report = scenario::run_file(path);
    for f in &report.failures {
        eprintln!(
            "FAIL {} / {}\n  expected: {}\n  got:      {}",
            f.file, f.case, f.expected, f.got
        );
    }
    report
}

#[test]
fn the_board_scenarios_pass() {
    let dir = scratch("board");
    std::fs::write(dir.join("board.model"), board_source()).unwrap();
    std::fs::copy(v1("board.scenarios.json"), dir.join("board.scenarios.json")).unwrap();
    let report = run(&dir.join("board.scenarios.json"));
    assert!(report.passed >= 40, "only {} cases ran", report.passed);
    assert_eq!(report.failed(), 0, "{} cases failed", report.failed());
}

#[test]
fn the_upcast_check_cases_pass() {
    let spec: Json =
        serde_json::from_str(&std::fs::read_to_string(v1("check.scenarios.json")).unwrap())
            .unwrap();
    let cases: Vec<Json> = spec["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let source = c["source"].as_str().unwrap_or("");
            !source.contains("\ntable ")
                && !source.contains("projection ")
                && (source.contains("upcast") || source.contains('@'))
        })
        .cloned()
        .collect();
    assert!(cases.len() >= 7, "found only {} upcast cases", cases.len());
    let dir = scratch("check");
    let file = dir.join("upcast-check.scenarios.json");
    std::fs::write(
        &file,
        json!({"description": "the upcast cases of v1/check", "cases": cases}).to_string(),
    )
    .unwrap();
    let report = run(&file);
    assert_eq!(report.passed, cases.len());
    assert_eq!(report.failed(), 0);
}

#[test]
fn describe_shows_versions_and_upcasts() {
    let src = board_source();
    let d =
        eventfold::Domain::compile(&[eventfold::Source::new("board.model", src.as_str())]).unwrap();
    let j = d.describe();
    let board = &j["models"][0];
    let event = |name: &str| {
        board["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(event("card-added")["version"], 2);
    assert_eq!(event("card-moved")["version"], 1);
    let upcasts = board["upcasts"].as_array().unwrap();
    assert_eq!(upcasts.len(), 6);
    assert_eq!(upcasts[0]["name"], "card-added");
    assert_eq!(upcasts[0]["version"], 1);
    assert_eq!(upcasts[0]["fields"][1]["name"], "title");
    assert_eq!(
        upcasts[0]["emits"],
        json!([{"name": "card-added", "version": 2}])
    );
    assert_eq!(
        upcasts[1]["emits"],
        json!([{"name": "card-added", "version": 1}])
    );
    let finished = upcasts
        .iter()
        .find(|u| u["name"] == "card-finished")
        .unwrap();
    assert_eq!(
        finished["emits"],
        json!([{"name": "card-moved", "version": 1}, {"name": "priority-changed", "version": 1}])
    );
    assert!(finished["doc"]
        .as_str()
        .unwrap()
        .starts_with("Finishing a card"));
    let viewed = upcasts.iter().find(|u| u["name"] == "card-viewed").unwrap();
    assert_eq!(viewed["emits"], json!([]));
    let md = d.describe_markdown();
    assert!(md.contains("| `card-added@2` |"), "{md}");
    assert!(md.contains("### Upcasts"), "{md}");
    assert!(
        md.contains("| `task-created@1` | `id: string`, `text: string` | `card-added@1` |"),
        "{md}"
    );
    assert!(
        md.contains("| `card-viewed@1` | `id: string`, `by: string` | no event |"),
        "{md}"
    );
}

/// Events a command emits are stored at their current version, and read
/// back as such; a stored old shape reads upcast, with its `schema` current.
#[test]
fn the_engine_stores_and_reads_events_at_their_current_version() {
    use eventfold::engine::{Engine, EngineOptions};
    let src = board_source();
    let domain =
        eventfold::Domain::compile(&[eventfold::Source::new("board.model", src.as_str())]).unwrap();
    let engine = Engine::open("memory:", domain, EngineOptions::default()).unwrap();
    let out = engine
        .execute_json(
            "Board",
            "b1",
            r#"{"type":"add-card","data":{"id":"a","title":"Spec"}}"#,
            None,
        )
        .unwrap();
    let out: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(out["events"][0]["schema"], 2, "{out}");
    let read: Json =
        serde_json::from_str(&engine.read_stream_json("Board-b1", None).unwrap()).unwrap();
    assert_eq!(read[0]["schema"], 2, "{read}");
    let typed = engine.read_stream("Board-b1", None, None).unwrap();
    assert_eq!(typed[0].schema, 2);
}

/// Old shapes written by an earlier model are read upcast by load, by the
/// typed reads (one stored event as several, sharing its position), and by
/// the commands that run on the state they give.
#[test]
fn the_engine_reads_old_shapes_through_upcasts() {
    use eventfold::engine::{Engine, EngineOptions};
    use eventfold::store::{self, Append, NewEvent};
    use std::sync::Arc;
    let src = board_source();
    let domain =
        eventfold::Domain::compile(&[eventfold::Source::new("board.model", src.as_str())]).unwrap();
    let store: Arc<dyn store::Store> = Arc::from(store::open("memory:").unwrap());
    let event = |n: u32, t: &str, schema: u32, data: &str| NewEvent {
        id: format!("00000000-0000-7000-8000-00000000000{n}"),
        event_type: t.into(),
        schema,
        data: data.into(),
        metadata: r#"{"recorded_at":"2026-01-01T00:00:00Z"}"#.into(),
    };
    store
        .write(&mut |tx| {
            tx.append(&[Append {
                stream: "Board-b1".into(),
                model: "Board".into(),
                expected_version: 0,
                events: vec![
                    event(1, "task-created", 1, r#"{"id":"a","text":"Old"}"#),
                    event(2, "card-finished", 1, r#"{"id":"a"}"#),
                    event(3, "card-viewed", 1, r#"{"id":"a","by":"ann"}"#),
                ],
                command_id: None,
            }])
            .map(|_| ())
        })
        .unwrap();
    let engine = Engine::with_store(store, domain, EngineOptions::default()).unwrap();
    let loaded = engine.load("Board", "b1").unwrap();
    assert_eq!(loaded.version, 3);
    assert_eq!(
        loaded.state.to_json_string(),
        r#"{"title":"","cards":{"a":{"id":"a","title":"Old","lane":"done","priority":"low","labels":[]}}}"#
    );
    let typed = engine.read_stream("Board-b1", None, None).unwrap();
    let seen: Vec<(u64, u64, &str, u32)> = typed
        .iter()
        .map(|e| (e.version, e.position, e.event_type.as_str(), e.schema))
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, "card-added", 2),
            (2, 2, "card-moved", 1),
            (2, 2, "priority-changed", 1),
        ]
    );
    assert_eq!(typed[1].id, typed[2].id);
    let rejected = engine
        .execute_json(
            "Board",
            "b1",
            r#"{"type":"finish-card","data":{"id":"a"}}"#,
            None,
        )
        .unwrap_err();
    assert_eq!(rejected.code(), "rejected");
}
