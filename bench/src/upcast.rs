//! `upcast`: replay through a three-version upcast chain (MODEL-LANGUAGE.md
//! §12) against the same history already current, in the same run.
//!
//! The model's `added` is at version 3; version 2 upcasts to it and
//! version 1 to version 2, so each old event is read through two upcasts.
//! The old history is N `added@1` events; the baseline is what they read
//! as, N `added@3` events, so every replay must give the same state. Two
//! cases, best of 5 rounds alternated (`--quick`: 1), in CPU time of the
//! process: `Domain::replay_json` of the whole history as text (the old
//! text is shorter, so its parse is cheaper), and the events already
//! parsed, each read (`Domain::upcast` or `Domain::event`) and accepted,
//! which leaves out the parse and shows what the upcasts cost; then the
//! path every stored event takes, a cold load from SQLite by the engine of
//! one stream of the N events (a fresh engine each round, no snapshot),
//! decoded straight from the stored text through one reader.
//!
//! Budget (issues 12 and 14): the load of the old stream within 1.5x of the
//! current one's.

use std::sync::Arc;

use eventfold::engine::{Engine, EngineOptions};
use eventfold::store::{self, Append, NewEvent, Store};
use eventfold::{Domain, Limits, Source};
use serde_json::Value as Json;

use crate::common::{cpu, fmt_int, load, sqlite_url, Scratch};

const MODEL: &str = r#"
model Cards {
  state {
    cards: map<string, Card>
  }

  record Card {
    title: string
    lane: string
    rank: int
  }

  event added@3(id: string, title: string, lane: string, rank: int = 0) {
    set cards[id] = Card{title, lane, rank}
  }

  /// Before lanes.
  upcast added@2(id: string, title: string) {
    emit added(id, title, lane: "todo")
  }

  /// Before titles.
  upcast added@1(id: string) {
    emit added@2(id, title: "card ${id}")
  }
}
"#;

/// Runs the case; returns whether the budget held.
pub fn run(quick: bool) -> bool {
    let n: usize = if quick { 20_000 } else { 200_000 };
    let rounds = if quick { 1 } else { 5 };
    // The current history is about 19 MB of JSON: past the default input limit.
    let limits = Limits {
        max_input_bytes: 64 << 20,
        ..Limits::default()
    };
    let domain =
        Domain::compile_with_limits(&[Source::new("cards.model", MODEL)], limits).expect("model");
    let mut old = String::from("[");
    let mut current = String::from("[");
    for i in 0..n {
        if i > 0 {
            old.push(',');
            current.push(',');
        }
        let id = format!("c{}", i % 1000);
        old.push_str(&format!(
            r#"{{"type":"added","schema":1,"data":{{"id":"{id}"}}}}"#
        ));
        current.push_str(&format!(
            r#"{{"type":"added","schema":3,"data":{{"id":"{id}","title":"card {id}","lane":"todo","rank":0}}}}"#
        ));
    }
    old.push(']');
    current.push(']');
    println!(
        "\n== upcast: replay of {n} events through a three-version chain ({}) ==",
        load()
    );
    println!(
        "JSON: the old history is {} bytes, the current one {} bytes",
        fmt_int(old.len() as f64),
        fmt_int(current.len() as f64)
    );
    let old_events: Vec<Json> = match serde_json::from_str(&old) {
        Ok(Json::Array(a)) => a,
        _ => unreachable!("written above"),
    };
    let current_events: Vec<Json> = match serde_json::from_str(&current) {
        Ok(Json::Array(a)) => a,
        _ => unreachable!("written above"),
    };
    // (old, current) best CPU seconds of: replay_json of the text; and the
    // parsed events, each read (`upcast` / `event`) and accepted.
    let mut text = (f64::MAX, f64::MAX);
    let mut parsed = (f64::MAX, f64::MAX);
    let mut states = Vec::new();
    for _ in 0..rounds {
        let t = cpu();
        states.push(
            domain
                .replay_json("Cards", &current, None)
                .expect("current replay"),
        );
        text.1 = text.1.min(cpu() - t);
        let t = cpu();
        states.push(domain.replay_json("Cards", &old, None).expect("old replay"));
        text.0 = text.0.min(cpu() - t);
        let t = cpu();
        let mut state = None;
        for j in &current_events {
            let e = domain.event("Cards", j).expect("current event");
            state = Some(domain.replay("Cards", [&e], state).expect("accept"));
        }
        parsed.1 = parsed.1.min(cpu() - t);
        states.push(state.expect("events").to_json_string());
        let t = cpu();
        let mut state = None;
        for j in &old_events {
            let events = domain.upcast("Cards", j).expect("old event");
            state = Some(domain.replay("Cards", &events, state).expect("accept"));
        }
        parsed.0 = parsed.0.min(cpu() - t);
        states.push(state.expect("events").to_json_string());
    }
    // A cold load of one stream of the N events, each round by a fresh
    // engine (no cache, no snapshot): the path every stored event takes.
    let mut loads = (f64::MAX, f64::MAX);
    let dir = Scratch::new("upcast");
    let old_store = stream_of(&dir, "old.db", n, |id| (1, format!(r#"{{"id":"{id}"}}"#)));
    let current_store = stream_of(&dir, "current.db", n, |id| {
        (
            3,
            format!(r#"{{"id":"{id}","title":"card {id}","lane":"todo","rank":0}}"#),
        )
    });
    for _ in 0..rounds {
        let (state, secs) = cold_load(&domain, &current_store);
        loads.1 = loads.1.min(secs);
        states.push(state);
        let (state, secs) = cold_load(&domain, &old_store);
        loads.0 = loads.0.min(secs);
        states.push(state);
    }
    assert!(
        states.iter().all(|s| *s == states[0]),
        "the upcast history must fold to the same state"
    );
    let rate = |secs: f64| fmt_int(n as f64 / secs);
    println!("                               current (@3)   old (@1, 2 upcasts)   ratio");
    println!(
        "replay_json of the text   {:>14}/CPU-s {:>14}/CPU-s   {:.2}x",
        rate(text.1),
        rate(text.0),
        text.0 / text.1
    );
    println!(
        "parsed, read and accepted {:>14}/CPU-s {:>14}/CPU-s   {:.2}x",
        rate(parsed.1),
        rate(parsed.0),
        parsed.0 / parsed.1
    );
    let ratio = loads.0 / loads.1;
    println!(
        "SQLite load of a stream   {:>14}/CPU-s {:>14}/CPU-s   {ratio:.2}x",
        rate(loads.1),
        rate(loads.0)
    );
    let within = ratio <= 1.5;
    println!(
        "budget: the load of the old stream at most 1.5x the current one's: {ratio:.2}x{}",
        if within { "" } else { "  MISSED" }
    );
    within
}

/// A SQLite store holding one stream `Cards-1` of `n` events `added`,
/// each `(schema, data)` of its card id.
fn stream_of(
    dir: &Scratch,
    file: &str,
    n: usize,
    event: impl Fn(&str) -> (u32, String),
) -> Arc<dyn Store> {
    let url = sqlite_url(&dir.path(file), Some("normal"));
    let store: Arc<dyn Store> = Arc::from(store::open(&url).expect("sqlite store"));
    let events: Vec<NewEvent> = (0..n)
        .map(|i| {
            let (schema, data) = event(&format!("c{}", i % 1000));
            NewEvent {
                id: format!("00000000-0000-7000-8000-{i:012}"),
                event_type: "added".into(),
                schema,
                data,
                metadata: r#"{"recorded_at":"2026-01-01T00:00:00Z"}"#.into(),
            }
        })
        .collect();
    store
        .write(&mut |tx| {
            tx.append(&[Append {
                stream: "Cards-1".into(),
                model: "Cards".into(),
                expected_version: 0,
                events: events.clone(),
                command_id: None,
            }])
            .map(|_| ())
        })
        .expect("append");
    store
}

/// The state of `Cards-1` as a fresh engine loads it, and the CPU seconds.
fn cold_load(domain: &Domain, store: &Arc<dyn Store>) -> (String, f64) {
    let options = EngineOptions {
        snapshot_every: u64::MAX,
        ..EngineOptions::default()
    };
    let engine = Engine::with_store(store.clone(), domain.clone(), options).expect("engine");
    let t = cpu();
    let loaded = engine.load("Cards", "1").expect("load");
    let secs = cpu() - t;
    (loaded.state.to_json_string(), secs)
}
