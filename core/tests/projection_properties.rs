//! Folding is associative over splits (MODEL-LANGUAGE.md §13): `project`
//! over e1..en gives the same tables as `project` over e(k+1)..en onto the
//! tables after e1..ek, for every k.

use eventfold::{Domain, Source};
use proptest::prelude::*;

fn board() -> Domain {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/board-unversioned.model");
    Domain::compile(&[Source::new(
        "board.model",
        std::fs::read_to_string(path).unwrap(),
    )])
    .unwrap()
}

/// A board event on one of two boards, over a few card ids, so that
/// updates and prefix deletes meet rows.
fn event() -> impl Strategy<Value = (String, String, serde_json::Value)> {
    let board = prop_oneof![Just("b1"), Just("b2")].prop_map(String::from);
    let card = prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(String::from);
    let lane = prop_oneof![Just("todo"), Just("doing"), Just("done")];
    let kind = (0..8u8, card, lane, prop_oneof![Just("x"), Just("y")]).prop_map(
        |(k, card, lane, label)| match k {
            0 => (
                "board-named",
                serde_json::json!({"title": format!("T{card}")}),
            ),
            1 | 2 => (
                "card-added",
                serde_json::json!({"id": card, "title": "t", "lane": lane, "priority": "normal"}),
            ),
            3 => ("card-moved", serde_json::json!({"id": card, "lane": lane})),
            4 => (
                "card-labelled",
                serde_json::json!({"id": card, "label": label}),
            ),
            5 => ("card-archived", serde_json::json!({"id": card})),
            6 => ("board-reset", serde_json::json!({})),
            _ => ("board-cleared", serde_json::json!({})),
        },
    );
    (board, kind).prop_map(|(b, (t, data))| (b, t.to_string(), data))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn folding_is_associative_over_splits(
        events in proptest::collection::vec(event(), 0..24),
        split in 0usize..25,
    ) {
        let d = board();
        // Positions and versions are given, so that both halves see the
        // envelope the whole list gives.
        let mut versions = std::collections::HashMap::new();
        // A card is added once per board (a second insert of its row is an
        // evaluation error, which is not what this property is about).
        let mut added = std::collections::HashSet::new();
        let events: Vec<_> = events
            .into_iter()
            .filter(|(b, t, data)| t != "card-added" || added.insert((b.clone(), data["id"].to_string())))
            .collect();
        let list: Vec<serde_json::Value> = events
            .iter()
            .enumerate()
            .map(|(i, (b, t, data))| {
                let v = versions.entry(b.clone()).or_insert(0);
                *v += 1;
                serde_json::json!({"model": "Board", "id": b, "type": t, "data": data,
                    "position": i + 1, "version": *v,
                    "recorded_at": format!("2026-01-01T00:00:{:02}.1234567Z", i % 60)})
            })
            .collect();
        let split = split.min(list.len());
        for projection in ["board-screen", "board-activity"] {
            let whole = d.project(projection, &serde_json::Value::Array(list.clone()), None);
            let first = d.project(projection, &serde_json::Value::Array(list[..split].to_vec()), None);
            let parts = first.and_then(|tables| {
                d.project(projection, &serde_json::Value::Array(list[split..].to_vec()), Some(&tables))
            });
            match (whole, parts) {
                (Ok(w), Ok(p)) => prop_assert_eq!(w, p),
                (w, p) => prop_assert!(false, "whole {:?}, in two parts {:?}", w, p),
            }
        }
    }
}
