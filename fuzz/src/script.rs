//! The input of the `evaluate` target: a small text script, so that the
//! seed corpus can be written from the scenarios and libFuzzer's mutations
//! of it stay readable.
//!
//! The first byte picks a model of [`crate::MODELS`]; every following line
//! is one step on the running state:
//! - `c JSON`: a command, run by `decide`;
//! - `e JSON`: an event, applied by `accept`;
//! - `q NAME JSON`: a query (the JSON is its arguments, may be empty);
//! - `r JSON`: an array of events replayed over the state (not kept).
//!
//! Each step goes through the value API and through its `*_json` twin; both
//! must agree. At the end the events that were kept must replay to the
//! state.

use eventfold::{events_to_json, Domain, Event, Value};

use crate::{check_error, well_formed, NOW};

const COMMAND_ERRORS: &[&str] = &[
    "invalid_json",
    "invalid_command",
    "unknown_command",
    "rejected",
    "evaluation_error",
    "limit_exceeded",
];
const EVENT_ERRORS: &[&str] = &[
    "invalid_json",
    "invalid_event",
    "unknown_event",
    "evaluation_error",
    "limit_exceeded",
];
const QUERY_ERRORS: &[&str] = &[
    "invalid_json",
    "invalid_command",
    "unknown_query",
    "evaluation_error",
    "limit_exceeded",
];

/// Runs a script; panics on a broken law or an undocumented error.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (d, model) = crate::pick(selector);
    let text = String::from_utf8_lossy(rest);
    let mut state = d.initial_state(model).expect("the model exists");
    let mut kept: Vec<Event> = Vec::new();
    let now = eventfold::value::parse_timestamp(NOW).ok();
    for line in text.lines().take(64) {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let state_json = state.to_json_string();
        match verb {
            "c" => {
                let twin = d.propose_json(model, Some(&state_json), arg, Some(NOW));
                let decided = d
                    .parse_json(arg)
                    .and_then(|j| d.command(model, &j))
                    .and_then(|c| d.decide(model, state.clone(), &c, now));
                match (decided, twin) {
                    (Ok(decision), Ok(twin)) => {
                        assert_eq!(events_to_json(&decision.events), twin);
                        well_formed(&twin);
                        let folded = fold(d, model, state.clone(), &decision.events);
                        assert_eq!(folded, decision.state, "accepting the events of {arg}");
                        kept.extend(decision.events);
                        state = decision.state;
                    }
                    (Err(a), Err(b)) => {
                        check_error(&a, COMMAND_ERRORS);
                        assert_eq!(a.code(), b.code(), "{a} / {b}");
                    }
                    (a, b) => panic!("value API {a:?}, JSON API {b:?} for command {arg}"),
                }
            }
            "e" => {
                let twin = d.accept_json(model, Some(&state_json), arg);
                let accepted = d
                    .parse_json(arg)
                    .and_then(|j| d.event(model, &j))
                    .and_then(|e| Ok((d.accept(model, state.clone(), &e)?, e)));
                match (accepted, twin) {
                    (Ok((next, event)), Ok(twin)) => {
                        assert_eq!(next.to_json_string(), twin, "accept of {arg}");
                        well_formed(&twin);
                        kept.push(event);
                        state = next;
                    }
                    (Err(a), Err(b)) => {
                        check_error(&a, EVENT_ERRORS);
                        assert_eq!(a.code(), b.code(), "{a} / {b}");
                    }
                    (a, b) => panic!("value API {a:?}, JSON API {b:?} for event {arg}"),
                }
            }
            "q" => {
                let (name, args) = arg.split_once(' ').unwrap_or((arg, ""));
                let args = (!args.trim().is_empty()).then_some(args);
                let twin = d.query_json(model, Some(&state_json), name, args);
                let json = match args {
                    Some(a) => d.parse_json(a),
                    None => Ok(serde_json::Value::Null),
                };
                let value = json.and_then(|j| d.query(model, &state, name, &j));
                match (value, twin) {
                    (Ok(v), Ok(twin)) => {
                        assert_eq!(v.to_json_string(), twin);
                        well_formed(&twin);
                    }
                    (Err(a), Err(b)) => {
                        check_error(&a, QUERY_ERRORS);
                        assert_eq!(a.code(), b.code(), "{a} / {b}");
                    }
                    (a, b) => panic!("value API {a:?}, JSON API {b:?} for query {arg}"),
                }
            }
            "r" => match d.replay_json(model, arg, Some(&state_json)) {
                Ok(out) => {
                    well_formed(&out);
                }
                Err(e) => check_error(&e, EVENT_ERRORS),
            },
            _ => {}
        }
    }
    let replayed = d.replay(model, &kept, None).expect("kept events replay");
    assert_eq!(replayed, state, "replay of the kept events");
    let twin = d
        .replay_json(model, &events_to_json(&kept), None)
        .expect("kept events replay as JSON");
    assert_eq!(twin, state.to_json_string());
}

/// `accept` of each event in turn.
pub fn fold(d: &Domain, model: &str, mut state: Value, events: &[Event]) -> Value {
    for e in events {
        state = d
            .accept(model, state, e)
            .unwrap_or_else(|err| panic!("an event decide accepted fails to apply: {err}"));
    }
    state
}
