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
