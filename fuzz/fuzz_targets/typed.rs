//! The typed generator (see `src/typed.rs`): every generated model must
//! compile; its commands, run twice, must give the same JSON; the events
//! they emit must fold by `accept` into the state `decide` gave, and replay
//! into the final state; each probe must give the same value as a query and
//! inside a command; an engine over `memory:` without a cache (each command
//! loads the stream from its snapshot and stored events) must give the same
//! events, errors and final state.
#![no_main]

use arbitrary::Unstructured;
use eventfold::{events_to_json, Domain, Engine, EngineOptions, Event, Source};
use eventfold_fuzz::typed::{Case, Gen};
use eventfold_fuzz::{check_error, fuzz_limits, script::fold, well_formed, NOW};
use libfuzzer_sys::fuzz_target;

/// What a call may fail with: data is generated well typed, so never
/// `invalid_command`.
const ALLOWED: &[&str] = &["rejected", "evaluation_error", "limit_exceeded"];

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let case = Gen::new(&mut u).case();
    if std::env::var_os("EVENTFOLD_FUZZ_DUMP").is_some() {
        eprintln!("{}\n{:?}", case.source, case.calls);
    }
    let d = Domain::compile_with_limits(
        &[Source::new("g.model", case.source.as_str())],
        fuzz_limits(),
    )
    .unwrap_or_else(|e| {
        panic!(
            "a generated well-typed model does not compile: {e}\n{}",
            case.source
        )
    });
    let first = run(&d, &case);
    let second = run(&d, &case);
    assert_eq!(first.0, second.0, "two runs differ\n{}", case.source);
    through_engine(&d, &case, &first.1, &first.2);
});

/// What one call gave: its events as JSON, or its error code.
type Outcome = Result<String, &'static str>;

/// The same calls through an engine over `memory:` that caches nothing and
/// snapshots after every command: each call loads the stream from the
/// store, through the decoder of stored events and snapshots.
fn through_engine(d: &Domain, case: &Case, outcomes: &[Outcome], state: &str) {
    let options = EngineOptions {
        cache_capacity: 0,
        snapshot_every: 1,
        ..EngineOptions::default()
    };
    let engine = Engine::open("memory:", d.clone(), options).expect("a memory store opens");
    let now = format!(r#"{{"now":"{NOW}"}}"#);
    for ((_, call), want) in case.calls.iter().zip(outcomes) {
        let got = engine.execute_json("G", "s", call, Some(&now));
        engine.flush_snapshots();
        match (got, want) {
            (Ok(out), Ok(events)) => {
                let got = well_formed(&out);
                let want = well_formed(events);
                let got: Vec<_> = got["events"]
                    .as_array()
                    .expect("events")
                    .iter()
                    .map(|e| serde_json::json!({"type": e["type"], "data": e["data"]}))
                    .collect();
                assert_eq!(
                    serde_json::Value::from(got),
                    want,
                    "the engine and the domain differ on {call}\n{}",
                    case.source
                );
            }
            (Err(e), Err(code)) => {
                assert_eq!(e.code(), *code, "{e} on {call}\n{}", case.source)
            }
            (got, want) => panic!("engine {got:?}, domain {want:?} on {call}\n{}", case.source),
        }
    }
    let loaded = well_formed(&engine.load_json("G", "s").expect("the stream loads"));
    assert_eq!(
        loaded["state"],
        well_formed(state),
        "the engine's state differs\n{}",
        case.source
    );
    engine.close().expect("the engine closes");
}

/// Runs the calls from the initial state: the transcript of what each
/// gave, each call's outcome, and the final state as JSON.
fn run(d: &Domain, case: &Case) -> (String, Vec<Outcome>, String) {
    let model = "G";
    let now = eventfold::value::parse_timestamp(NOW).ok();
    let mut state = d.initial_state(model).expect("model G");
    let mut kept: Vec<Event> = Vec::new();
    let mut transcript = String::new();
    let mut outcomes = Vec::new();
    for (_, call) in &case.calls {
        probe(d, case, &state);
        let state_json = state.to_json_string();
        let command = d
            .parse_json(call)
            .and_then(|j| d.command(model, &j))
            .unwrap_or_else(|e| panic!("generated data {call} refused: {e}\n{}", case.source));
        let decided = d.decide(model, state.clone(), &command, now);
        let twin = d.propose_json(model, Some(&state_json), call, Some(NOW));
        match (decided, twin) {
            (Ok(decision), Ok(twin)) => {
                let events = events_to_json(&decision.events);
                assert_eq!(events, twin, "{call}\n{}", case.source);
                well_formed(&twin);
                let folded = fold(d, model, state.clone(), &decision.events);
                assert_eq!(
                    folded, decision.state,
                    "accepting the events of {call}\n{}",
                    case.source
                );
                transcript.push_str(&events);
                outcomes.push(Ok(events));
                kept.extend(decision.events);
                state = decision.state;
            }
            (Err(a), Err(b)) => {
                check_error(&a, ALLOWED);
                assert_eq!(a.code(), b.code(), "{a} / {b}\n{}", case.source);
                transcript.push_str(&a.to_json().to_string());
                outcomes.push(Err(a.code()));
            }
            (a, b) => panic!(
                "value API {a:?}, JSON API {b:?} for {call}\n{}",
                case.source
            ),
        }
        transcript.push('\n');
        transcript.push_str(&state.to_json_string());
        transcript.push('\n');
    }
    probe(d, case, &state);
    let replayed = d
        .replay(model, &kept, None)
        .unwrap_or_else(|e| panic!("the kept events do not replay: {e}\n{}", case.source));
    assert_eq!(
        replayed, state,
        "replay of the kept events\n{}",
        case.source
    );
    let twin = d
        .replay_json(model, &events_to_json(&kept), None)
        .unwrap_or_else(|e| {
            panic!(
                "the kept events do not replay as JSON: {e}\n{}",
                case.source
            )
        });
    assert_eq!(twin, state.to_json_string(), "{}", case.source);
    (transcript, outcomes, twin)
}

/// Each probe's query, and the same expression emitted by `probe`, agree.
fn probe(d: &Domain, case: &Case, state: &eventfold::Value) {
    let now = eventfold::value::parse_timestamp(NOW).ok();
    let command = d
        .command("G", &serde_json::json!({"type": "probe"}))
        .expect("probe takes no data");
    let emitted = d.propose("G", state, &command, now);
    let queries: Vec<_> = case
        .probes
        .iter()
        .map(|(q, _)| d.query("G", state, q, &serde_json::Value::Null))
        .collect();
    for r in &queries {
        if let Err(e) = r {
            check_error(e, &["evaluation_error", "limit_exceeded"]);
        }
    }
    let limited = |e: &eventfold::Error| e.code() == "limit_exceeded";
    if emitted.as_ref().err().is_some_and(limited)
        || queries
            .iter()
            .any(|r| r.as_ref().err().is_some_and(limited))
    {
        return;
    }
    match emitted {
        Ok(events) => {
            let json = well_formed(&events_to_json(&events));
            for ((q, v), r) in case.probes.iter().zip(&queries) {
                let value = r.as_ref().unwrap_or_else(|e| {
                    panic!(
                        "query {q} fails ({e}) where probe gives {}\n{}",
                        json[0]["data"][v], case.source
                    )
                });
                assert_eq!(
                    json[0]["data"][v],
                    value.to_json(),
                    "probe {v} and query {q} differ\nstate {}\n{}",
                    state.to_json_string(),
                    case.source
                );
            }
        }
        Err(e) => {
            check_error(&e, &["evaluation_error"]);
            assert!(
                queries.iter().any(|r| r.is_err()),
                "probe fails ({e}) where every query succeeds\nstate {}\n{}",
                state.to_json_string(),
                case.source
            );
        }
    }
}
