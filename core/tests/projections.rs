//! The read side (MODEL-LANGUAGE.md §13) through the Domain API: the shared
//! board projections, the projection cases of the shared v1 checks, and
//! behaviours of `project` the shared cases do not pin down.

use std::path::PathBuf;

use eventfold::scenario::{self, Report};
use eventfold::{Domain, Error, Source};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn shared(relative: &str) -> PathBuf {
    scenario::shared_path(relative).unwrap_or_else(|e| panic!("{e}"))
}

fn print(report: &Report) {
    for f in &report.failures {
        eprintln!(
            "FAIL {} / {}\n  expected: {}\n  got:      {}",
            f.file, f.case, f.expected, f.got
        );
    }
}

/// The shared board projection cases over a copy of the board without
/// versions: every case but the ones that store old event versions.
#[test]
fn the_shared_board_projections_pass_over_the_unversioned_board() {
    let text =
        std::fs::read_to_string(shared("scenarios/v1/board-projection.scenarios.json")).unwrap();
    let mut spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    spec["files"] = serde_json::json!([fixture("board-unversioned.model").display().to_string()]);
    let cases = spec["cases"].as_array_mut().unwrap();
    let before = cases.len();
    // Events stored at an older schema need the upcasts of §12.
    cases.retain(|c| !c.to_string().contains("\"schema\""));
    assert!(
        cases.len() + 10 >= before,
        "{} of {before} left",
        cases.len()
    );
    let dir = std::env::temp_dir().join(format!("eventfold-proj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("board-projection.scenarios.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let report = scenario::run_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
    print(&report);
    assert!(report.passed > 10, "only {} cases ran", report.passed);
    assert_eq!(report.failed(), 0);
}

/// The cases of the shared v1 checks that declare tables or projections
/// (the others need the versions and durations of §12 and §14).
#[test]
fn the_shared_projection_checks_pass() {
    let text = std::fs::read_to_string(shared("scenarios/v1/check.scenarios.json")).unwrap();
    let mut spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = spec["cases"].as_array_mut().unwrap();
    cases.retain(|c| {
        let src = c["source"].as_str().unwrap_or_default();
        (src.contains("\ntable ") || src.contains("\nprojection "))
            && !src.contains("upcast ")
            && !src.contains('@')
            && !src.contains("duration")
    });
    let kept = cases.len();
    assert!(kept >= 15, "only {kept} projection checks");
    let dir = std::env::temp_dir().join(format!("eventfold-projcheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("check.scenarios.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let report = scenario::run_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
    print(&report);
    assert_eq!(report.passed, kept);
    assert_eq!(report.failed(), 0);
}

const COUNTS: &str = r#"
model Door {
  state {
    open: bool
  }
  event opened(room: string, at: timestamp) {
    set open = true
  }
  event closed(room: string) {
    set open = false
  }
  event renamed(room: string, to: string) {
  }
}

/// How often each door of each room opened.
table door_counts {
  key room: string
  key door: string
  n: int = 0
  last: timestamp?
  seen: list<timestamp> = []
}

projection doors inline {
  on Door.opened {
    if !door_counts.has(room, stream.id) {
      insert door_counts(room, door: stream.id)
    }
    update door_counts[room, stream.id](n: row.n + 1, last: at, seen: row.seen + [at])
  }
  on Door.closed {
    insert door_counts(room, door: stream.id)
  }
  on Door.renamed {
    update door_counts[room](n: row.n + door_counts.get(room, "a").n.orValue(0))
  }
}
"#;

fn counts() -> Domain {
    Domain::compile(&[Source::new("doors.model", COUNTS)]).unwrap()
}

fn ev(id: &str, ty: &str, data: &str) -> String {
    format!(r#"{{"model": "Door", "id": "{id}", "type": "{ty}", "data": {data}}}"#)
}

#[test]
fn project_folds_rows_in_key_order_and_keeps_microseconds() {
    let d = counts();
    let events = format!(
        "[{}, {}, {}]",
        ev(
            "b",
            "opened",
            r#"{"room": "r1", "at": "2026-07-08T11:10:11.1234567+02:00"}"#
        ),
        ev(
            "a",
            "opened",
            r#"{"room": "r1", "at": "2026-01-01T00:00:00Z"}"#
        ),
        ev(
            "a",
            "opened",
            r#"{"room": "r1", "at": "2026-01-01T00:00:00.5Z"}"#
        ),
    );
    let out = d.project_json("doors", &events, None).unwrap();
    assert_eq!(
        out,
        r#"{"door_counts":[{"room":"r1","door":"a","n":2,"last":"2026-01-01T00:00:00.5Z","seen":["2026-01-01T00:00:00Z","2026-01-01T00:00:00.5Z"]},{"room":"r1","door":"b","n":1,"last":"2026-07-08T09:10:11.123456Z","seen":["2026-07-08T09:10:11.123456Z"]}]}"#
    );
}

#[test]
fn a_prefix_update_sees_the_rows_it_already_changed() {
    let d = counts();
    // Door a is visited first (key order), so door b reads a's new count.
    let tables = r#"{"door_counts": [
        {"room": "r1", "door": "b", "n": 10},
        {"room": "r1", "door": "a", "n": 1},
        {"room": "r2", "door": "a", "n": 7}
    ]}"#;
    let events = format!("[{}]", ev("x", "renamed", r#"{"room": "r1", "to": "y"}"#));
    let out = d.project_json("doors", &events, Some(tables)).unwrap();
    assert_eq!(
        out,
        r#"{"door_counts":[{"room":"r1","door":"a","n":2,"last":null,"seen":[]},{"room":"r1","door":"b","n":12,"last":null,"seen":[]},{"room":"r2","door":"a","n":7,"last":null,"seen":[]}]}"#
    );
}

#[test]
fn project_errors_say_what_and_where() {
    let d = counts();
    let unknown = d.project_json("nope", "[]", None).unwrap_err();
    assert_eq!(unknown.code(), "unknown_projection");
    assert!(unknown.to_string().contains("doors"), "{unknown}");

    // An insert of a key already there, at the second event of the list.
    let events = format!(
        "[{}, {}]",
        ev("a", "closed", r#"{"room": "r1"}"#),
        ev("a", "closed", r#"{"room": "r1"}"#)
    );
    let e = d.project_json("doors", &events, None).unwrap_err();
    assert_eq!(e.code(), "evaluation_error");
    assert!(e.to_string().contains("event 2 of the list"), "{e}");
    assert!(e.to_string().contains("upsert"), "{e}");

    // Every event is checked, handled or not; the path is inside the event.
    let events = format!("[{}]", ev("a", "renamed", r#"{"room": "r1", "to": 3}"#));
    let e = d.project_json("doors", &events, None).unwrap_err();
    let Error::InvalidEvent { path, message } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(path, "data.to");
    assert!(message.starts_with("event 1 of the list"), "{message}");
    let e = d
        .project_json(
            "doors",
            r#"[{"model": "Nope", "id": "a", "type": "x"}]"#,
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), "unknown_model");

    // Input rows are checked against the columns.
    let e = d
        .project_json(
            "doors",
            "[]",
            Some(r#"{"door_counts": [{"room": "r", "door": 1}]}"#),
        )
        .unwrap_err();
    assert_eq!(e.code(), "invalid_event");
    assert_eq!(e.to_json()["path"], "tables.door_counts[0].door");
    let e = d
        .project_json("doors", "[]", Some(r#"{"elsewhere": []}"#))
        .unwrap_err();
    assert_eq!(e.code(), "unknown_table");
    let twice = r#"{"door_counts": [{"room": "r", "door": "a"}, {"room": "r", "door": "a"}]}"#;
    let e = d.project_json("doors", "[]", Some(twice)).unwrap_err();
    assert_eq!(e.to_json()["path"], "tables.door_counts[1]");
}

#[test]
fn stream_and_event_envelopes_default_as_the_readme_says() {
    let src = r#"
model M {
  event e(n: int) {
  }
}
table seen {
  key position: int
  stream_name: string
  version: int
  id: string
  at: timestamp
  who: string?
}
projection log async {
  on M.e {
    insert seen(position: event.position, stream_name: stream.name, version: stream.version,
      id: event.id, at: event.recorded_at, who: event.metadata.get("user", null))
  }
}
"#;
    let d = Domain::compile(&[Source::new("m.model", src)]).unwrap();
    let events = r#"[
        {"model": "M", "id": "1", "type": "e", "data": {"n": 1}},
        {"model": "M", "id": "2", "type": "e", "data": {"n": 1}, "metadata": {"user": "ann", "n": 3}},
        {"model": "M", "id": "1", "type": "e", "data": {"n": 1}, "event_id": "ev-3", "position": 30, "version": 9}
    ]"#;
    let out = d.project_json("log", events, None).unwrap();
    assert_eq!(
        out,
        r#"{"seen":[{"position":1,"stream_name":"M-1","version":1,"id":"","at":"2026-01-01T00:00:00Z","who":null},{"position":2,"stream_name":"M-2","version":1,"id":"","at":"2026-01-01T00:00:00Z","who":"ann"},{"position":30,"stream_name":"M-1","version":9,"id":"ev-3","at":"2026-01-01T00:00:00Z","who":null}]}"#
    );
}

#[test]
fn describe_lists_tables_and_projections() {
    let d = Domain::compile(&[Source::new(
        "board.model",
        std::fs::read_to_string(fixture("board-unversioned.model")).unwrap(),
    )])
    .unwrap();
    let j = d.describe();
    let card_rows = &j["tables"][0];
    assert_eq!(card_rows["name"], "card_rows");
    assert_eq!(
        card_rows["doc"],
        "One row per card of every board, for the board's screen."
    );
    assert_eq!(card_rows["key"], serde_json::json!(["board_id", "card_id"]));
    assert_eq!(card_rows["projection"], "board-screen");
    let priority = &card_rows["columns"][4];
    assert_eq!(
        priority,
        &serde_json::json!({"name": "priority", "type": "Board.Priority", "key": false,
            "optional": false, "default": null, "doc": null})
    );
    assert_eq!(card_rows["columns"][5]["default"], serde_json::json!([]));
    assert_eq!(card_rows["columns"][7]["optional"], true);
    assert_eq!(card_rows["columns"][0]["key"], true);
    let screen = &j["projections"][0];
    assert_eq!(screen["name"], "board-screen");
    assert_eq!(screen["mode"], "inline");
    assert_eq!(screen["writes"], serde_json::json!(["card_rows", "boards"]));
    assert_eq!(
        screen["handles"][0],
        serde_json::json!({"model": "Board", "event": "board-named"})
    );
    assert_eq!(j["projections"][1]["mode"], "async");
    let md = d.describe_markdown();
    assert!(md.contains("## Tables"), "{md}");
    assert!(md.contains("### `card_rows`"), "{md}");
    assert!(
        md.contains("| `priority` | `Board.Priority` |  |  |  |"),
        "{md}"
    );
    assert!(md.contains("### `board-activity` (async"), "{md}");
    assert!(md.contains("- writes: `activity`, `card_labels`"), "{md}");
}

#[test]
fn a_projections_fingerprint_follows_its_text_and_its_tables_only() {
    let board = std::fs::read_to_string(fixture("board-unversioned.model")).unwrap();
    let fp = |src: &str, p: &str| {
        Domain::compile(&[Source::new("b.model", src)])
            .unwrap()
            .projection_fingerprint(p)
            .unwrap()
    };
    let screen = fp(&board, "board-screen");
    let activity = fp(&board, "board-activity");
    assert_ne!(screen, activity);
    assert_eq!(screen.len(), 64);
    // A changed model elsewhere: the same.
    let other_model = board.replace(
        "reject blank \"a board needs a title\"",
        "reject blank \"a title, please\"",
    );
    assert_ne!(other_model, board);
    assert_eq!(fp(&other_model, "board-screen"), screen);
    // A changed handler of board-activity: only its own changes.
    let handler = board.replace("\"moved ${id} to ${lane}\"", "\"moved ${id} into ${lane}\"");
    assert_ne!(handler, board);
    assert_eq!(fp(&handler, "board-screen"), screen);
    assert_ne!(fp(&handler, "board-activity"), activity);
    // A changed table of board-screen.
    let table = board.replace(
        "  cards: int = 0\n",
        "  cards: int = 0\n  archived: int = 0\n",
    );
    assert_ne!(table, board);
    assert_ne!(fp(&table, "board-screen"), screen);
    assert_eq!(fp(&table, "board-activity"), activity);
    // A type a column names: its model's declaration counts.
    let member = board.replace(
        "enum Priority { low, normal, high }",
        "enum Priority { low, normal, high, urgent }",
    );
    assert_ne!(member, board);
    assert_ne!(fp(&member, "board-screen"), screen);
    assert_eq!(fp(&member, "board-activity"), activity);
    let unknown = Domain::compile(&[Source::new("b.model", board.as_str())])
        .unwrap()
        .projection_fingerprint("nope")
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_projection");
}

/// A second domain: two models feed one projection, with an enum column
/// and its literal named from outside the model.
#[test]
fn two_models_feed_one_projection() {
    let d = Domain::compile(&[Source::new(
        "shop.model",
        std::fs::read_to_string(fixture("shop.model")).unwrap(),
    )])
    .unwrap();
    let events = r#"[
        {"model": "Stock", "id": "apple", "type": "received", "data": {"qty": 10}},
        {"model": "Order", "id": "o1", "type": "line-added", "data": {"sku": "apple", "qty": 2}},
        {"model": "Order", "id": "o1", "type": "line-added", "data": {"sku": "pear", "qty": 1}},
        {"model": "Order", "id": "o1", "type": "line-added", "data": {"sku": "apple", "qty": 3}},
        {"model": "Order", "id": "o2", "type": "line-added", "data": {"sku": "apple", "qty": 1}},
        {"model": "Order", "id": "o1", "type": "placed", "data": {}},
        {"model": "Stock", "id": "pear", "type": "received", "data": {"qty": 4}},
        {"model": "Order", "id": "o2", "type": "cancelled"}
    ]"#;
    let out = d.project_json("inventory", events, None).unwrap();
    assert_eq!(
        out,
        concat!(
            r#"{"stock_levels":[{"sku":"apple","on_hand":10,"reserved":6},{"sku":"pear","on_hand":4,"reserved":1}],"#,
            r#""order_lines":[{"order_id":"o1","sku":"apple","qty":5,"status":"placed"},{"order_id":"o1","sku":"pear","qty":1,"status":"placed"},{"order_id":"o2","sku":"apple","qty":1,"status":"cancelled"}]}"#
        )
    );
    // Rows given back as tables fold on the same.
    let more = r#"[{"model": "Stock", "id": "apple", "type": "received", "data": {"qty": 1}}]"#;
    let again = d.project_json("inventory", more, Some(&out)).unwrap();
    assert!(
        again.starts_with(r#"{"stock_levels":[{"sku":"apple","on_hand":11,"#),
        "{again}"
    );
    let e = d
        .project_json(
            "inventory",
            r#"[{"model": "Stock", "id": "a", "type": "sold", "data": {}}]"#,
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), "unknown_event");
}

/// The shared board, with its versions and upcasts (§12): stored events
/// of old shapes reach the handlers upcast.
#[test]
fn the_shared_board_projection_file_passes() {
    let report = scenario::run_file(&shared("scenarios/v1/board-projection.scenarios.json"));
    print(&report);
    assert!(report.passed > 30, "only {} cases ran", report.passed);
    assert_eq!(report.failed(), 0);
}

/// A handler's work counts against `max_steps` for each event, never for
/// the whole list.
#[test]
fn a_handlers_work_counts_against_the_limits_per_event() {
    let limits = eventfold::Limits {
        max_steps: 400,
        ..eventfold::Limits::default()
    };
    let d = Domain::compile_with_limits(&[Source::new("doors.model", COUNTS)], limits).unwrap();
    // Each opened event is a few dozen steps: many of them pass.
    let many: Vec<String> = (0..50)
        .map(|i| {
            ev(
                &format!("d{i}"),
                "opened",
                r#"{"room": "r", "at": "2026-01-01T00:00:00Z"}"#,
            )
        })
        .collect();
    let tables = d
        .project_json("doors", &format!("[{}]", many.join(",")), None)
        .unwrap();
    // One renamed event updates every door of the room: past the limit.
    let e = d
        .project_json(
            "doors",
            &format!("[{}]", ev("x", "renamed", r#"{"room": "r", "to": "y"}"#)),
            Some(&tables),
        )
        .unwrap_err();
    assert_eq!(e.code(), "limit_exceeded", "{e}");
    assert!(e.to_string().contains("event 1 of the list"), "{e}");
}

/// Tallies: each `poked` updates its tag's row and writes the total, both
/// with the same costly value, so each statement costs about the same.
fn tally(limits: eventfold::Limits, update: bool) -> Domain {
    let update = if update {
        "update tallies[tag](n: sum(xs.map(x, x * 2)))"
    } else {
        ""
    };
    let text = format!(
        r#"
model Tally {{
  state {{ n: int = 0 }}
  event poked(tag: string, xs: list<int>) {{ set n = n + 1 }}
}}
table tallies {{
  key tag: string
  n: int = 0
}}
projection tally inline {{
  on Tally.poked {{
    {update}
    upsert tallies(tag: "total", n: sum(xs.map(x, x * 2)))
  }}
}}
"#
    );
    Domain::compile_with_limits(&[Source::new("tally.model", &text)], limits).unwrap()
}

/// An `update` of a key with no row costs its events nothing but its step,
/// though its values are worked out before the row is looked for: the
/// same work counts as when the row was read first.
#[test]
fn an_update_of_a_missing_row_costs_no_work() {
    let xs: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let poke = |tag: &str| {
        format!(
            r#"{{"model": "Tally", "id": "t", "type": "poked", "data": {{"tag": "{tag}", "xs": [{}]}}}}"#,
            xs.join(",")
        )
    };
    let passes = |max_steps: u64, update: bool, events: &str| {
        let limits = eventfold::Limits {
            max_steps,
            ..eventfold::Limits::default()
        };
        tally(limits, update)
            .project_json("tally", events, None)
            .is_ok()
    };
    // The fewest steps the upsert alone needs.
    let one = format!("[{}]", poke("a"));
    let (mut low, mut high) = (1, 1_000_000);
    while low < high {
        let mid = (low + high) / 2;
        if passes(mid, false, &one) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    assert!(low > 300, "the value costs steps: {low}");
    let limit = low + low / 2;
    // `a` has no row: the update's work does not count.
    assert!(passes(limit, true, &one), "limit {limit}");
    // `total` has a row (the first event wrote it): both statements count.
    let two = format!("[{},{}]", poke("a"), poke("total"));
    let limits = eventfold::Limits {
        max_steps: limit,
        ..eventfold::Limits::default()
    };
    let e = tally(limits, true)
        .project_json("tally", &two, None)
        .unwrap_err();
    assert_eq!(e.code(), "limit_exceeded", "{e}");
    assert!(e.to_string().contains("event 2 of the list"), "{e}");
}

/// print -> parse gives the same tree for the read side.
#[test]
fn the_board_prints_and_parses_back() {
    use eventfold::language::{parser, printer};
    let text = std::fs::read_to_string(fixture("board-unversioned.model")).unwrap();
    let (mut first, d) = parser::parse(0, &text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!((first.tables.len(), first.projections.len()), (4, 2));
    let printed = printer::print(&first);
    let (mut again, d) = parser::parse(0, &printed);
    assert!(d.is_empty(), "{d:?}\n{printed}");
    printer::strip_spans(&mut first);
    printer::strip_spans(&mut again);
    assert_eq!(first, again, "{printed}");
    assert!(
        printed.contains("projection board-screen inline {\n  on Board.board-named {"),
        "{printed}"
    );
    assert!(printed.contains("  key board_id: string\n"), "{printed}");
}
