//! `project`: a projection's throughput (MODEL-LANGUAGE.md §13), in events
//! folded per second, against `replay` of the same events into the Board
//! state in the same run.
//!
//! One board stream of N events (N = 20,000; `--quick` 2,000): card-added
//! (a quarter of them, so the board grows to N/4 cards), card-moved,
//! card-labelled and priority-changed on cards picked at random, and a
//! board-named now and then. Both verbs take the same JSON text and decode
//! every event; `replay` folds them into the state, `project` through
//! `board-screen` (inline: two tables, an insert and a counter update per
//! card-added) and `board-activity` (async: a feed whose prefix update ages
//! every earlier entry of the board, so its cost grows with each board's
//! feed; it is measured with the events spread over 100 boards, against
//! replaying each board's stream).

use eventfold::{Domain, Source};
use serde_json::json;

use crate::common::{fmt_int, load, timed, Lcg};

fn board() -> Domain {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/board-unversioned.model");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Domain::compile(&[Source::new("board.model", text)]).expect("the board compiles")
}

const LANES: [&str; 3] = ["todo", "doing", "done"];

/// The board's events as `replay` takes them and as `project` does.
fn events(n: usize) -> (String, String) {
    let mut rng = Lcg(7);
    let mut cards = 0u64;
    let mut replay = Vec::with_capacity(n);
    let mut project = Vec::with_capacity(n);
    for i in 0..n {
        let pick = if cards == 0 { 0 } else { rng.below(8) };
        let card = |rng: &mut Lcg| format!("c{}", rng.below(cards));
        let (ty, data) = match pick {
            0 | 1 => {
                cards += 1;
                (
                    "card-added",
                    json!({"id": format!("c{}", cards - 1), "title": "a card", "lane": "todo", "priority": "normal"}),
                )
            }
            2 | 3 => (
                "card-moved",
                json!({"id": card(&mut rng), "lane": LANES[i % 3]}),
            ),
            4 | 5 => (
                "card-labelled",
                json!({"id": card(&mut rng), "label": format!("l{}", i % 5)}),
            ),
            6 => (
                "priority-changed",
                json!({"id": card(&mut rng), "priority": "high"}),
            ),
            _ => ("board-named", json!({"title": format!("Board {i}")})),
        };
        replay.push(json!({"type": ty, "data": data}));
        project.push(json!({"model": "Board", "id": "b1", "type": ty, "data": data}));
    }
    (
        serde_json::Value::Array(replay).to_string(),
        serde_json::Value::Array(project).to_string(),
    )
}

pub fn run(quick: bool) -> bool {
    let n = if quick { 2_000 } else { 20_000 };
    println!(
        "## project: board projections against replay, {n} events ({})",
        load()
    );
    let d = board();
    let (replay_events, project_events) = events(n);
    let rate = |secs: f64, n: usize| n as f64 / secs;
    let (state, wall, cpu) = timed(|| d.replay_json("Board", &replay_events, None));
    let state = state.expect("the events replay");
    let replay_rate = rate(cpu.max(1e-9), n);
    println!(
        "replay into the Board state: {} events/s (cpu), {:.1} ms wall, {} bytes of state",
        fmt_int(replay_rate),
        wall * 1e3,
        fmt_int(state.len() as f64)
    );
    let (rows, wall, cpu) = timed(|| d.project_json("board-screen", &project_events, None));
    let rows = rows.expect("the events project");
    let screen_rate = rate(cpu.max(1e-9), n);
    println!(
        "project board-screen:        {} events/s (cpu), {:.1} ms wall, {} bytes of rows; {:.2}x the time of replay",
        fmt_int(screen_rate),
        wall * 1e3,
        fmt_int(rows.len() as f64),
        replay_rate / screen_rate
    );
    // The feed: every entry ages the board's earlier ones (a prefix
    // update), so its cost grows with each board's feed: the same number of
    // events spread over 100 boards, against replaying each board's stream.
    let boards = 100;
    let per_board: Vec<(String, String)> = (0..boards).map(|_| events(n / boards)).collect();
    let project_all: Vec<serde_json::Value> = per_board
        .iter()
        .enumerate()
        .flat_map(|(b, (_, p))| {
            let mut list: Vec<serde_json::Value> = serde_json::from_str(p).expect("JSON");
            for e in &mut list {
                e["id"] = json!(format!("b{b}"));
            }
            list
        })
        .collect();
    let project_all = serde_json::Value::Array(project_all).to_string();
    let (_, _, replay_cpu) = timed(|| {
        for (r, _) in &per_board {
            d.replay_json("Board", r, None).expect("replay");
        }
    });
    let (_, wall, cpu) = timed(|| {
        d.project_json("board-activity", &project_all, None)
            .expect("project")
    });
    println!(
        "project board-activity over {boards} boards: {} events/s (cpu), {:.1} ms wall; {:.2}x the time of replay of each board's stream",
        fmt_int(rate(cpu.max(1e-9), n)),
        wall * 1e3,
        cpu / replay_cpu.max(1e-9)
    );
    let (_, _, screen_cpu) = timed(|| {
        d.project_json("board-screen", &project_all, None)
            .expect("project")
    });
    println!(
        "project board-screen over {boards} boards:   {} events/s (cpu); {:.2}x the time of replay of each board's stream",
        fmt_int(rate(screen_cpu.max(1e-9), n)),
        screen_cpu / replay_cpu.max(1e-9)
    );
    true
}
