//! Every shared scenario file, through the Domain API.

use std::path::PathBuf;

use eventfold::scenario;

/// The shared scenarios, or a failure that says what is missing and how to
/// point to it (`EVENTFOLD_SHARED`).
fn shared() -> PathBuf {
    scenario::shared_path("scenarios").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shared_scenario_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared())
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", shared().display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".scenarios.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "found only {files:?}");
    let mut report = scenario::Report::default();
    for f in &files {
        report.merge(scenario::run_file(f));
    }
    for f in &report.failures {
        eprintln!(
            "FAIL {} / {}\n  expected: {}\n  got:      {}",
            f.file, f.case, f.expected, f.got
        );
    }
    assert!(report.passed >= 80, "only {} cases ran", report.passed);
    assert_eq!(
        report.failed(),
        0,
        "{} scenario cases failed",
        report.failed()
    );
}

#[test]
fn the_todo_example_scenarios_pass() {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/todos/todos.scenarios.json");
    let report = scenario::run_file(&file);
    for f in &report.failures {
        eprintln!(
            "FAIL {} / {}\n  expected: {}\n  got:      {}",
            f.file, f.case, f.expected, f.got
        );
    }
    assert!(report.passed > 0);
    assert_eq!(report.failed(), 0);
    // Every case is listed once, by name, as passed.
    assert_eq!(report.cases.len(), report.passed);
    assert!(report
        .cases
        .iter()
        .all(|c| c.passed && !c.name.is_empty() && c.file == file.display().to_string()));
}

/// Version 1's durations and the calendar (§14): every case of the shared
/// time file, with the bundled time zone database.
#[test]
fn the_v1_time_scenarios_pass() {
    let file = shared().join("v1/time.scenarios.json");
    let report = scenario::run_file(&file);
    for f in &report.failures {
        eprintln!(
            "FAIL {} / {}\n  expected: {}\n  got:      {}",
            f.file, f.case, f.expected, f.got
        );
    }
    assert!(report.passed >= 27, "only {} cases ran", report.passed);
    assert_eq!(report.failed(), 0);
}
