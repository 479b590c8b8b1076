//! The JSON decode of commands, events, states and query arguments against
//! their types, from arbitrary text: deep nesting, huge numbers, duplicate
//! keys, bad UTF-8. The first byte says what the text is, the second picks
//! the model. Errors are `invalid_json`, `invalid_command`, `invalid_event`,
//! `unknown_*` or `limit_exceeded` (or, for a command or event that decodes,
//! what running it may give); a state decodes the same through the fast text
//! path and the precise one.
#![no_main]

use eventfold_fuzz::{check_error, pick, well_formed, NOW};
use libfuzzer_sys::fuzz_target;

const DECODE: &[&str] = &[
    "invalid_json",
    "invalid_command",
    "invalid_event",
    "unknown_command",
    "unknown_event",
    "unknown_query",
    "limit_exceeded",
];
/// What a command or event that decodes may give when it runs.
const RUN: &[&str] = &["rejected", "evaluation_error"];

fuzz_target!(|data: &[u8]| {
    let [kind, selector, rest @ ..] = data else {
        return;
    };
    let (d, model) = pick(*selector);
    let Ok(text) = std::str::from_utf8(rest) else {
        // Bytes that are not UTF-8 are refused as JSON.
        let e = d.parse_json_bytes(rest).expect_err("not UTF-8");
        return check_error(&e, &["invalid_json", "limit_exceeded"]);
    };
    let allowed: Vec<&str> = DECODE.iter().chain(RUN).copied().collect();
    let result = match kind % 5 {
        0 => d.propose_json(model, None, text, Some(NOW)),
        1 => d.accept_json(model, None, text),
        2 => return state(d, model, text),
        3 => d.replay_json(model, text, None),
        _ => {
            let describe = d.describe();
            let queries = describe["models"][0]["queries"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let Some(q) = queries.get(*kind as usize / 5 % queries.len().max(1)) else {
                return;
            };
            d.query_json(model, None, q["name"].as_str().unwrap(), Some(text))
        }
    };
    match result {
        Ok(out) => drop(well_formed(&out)),
        Err(e) => check_error(&e, &allowed),
    }
});

/// A state as text: the fast decoder (`replay_json` takes the text) and the
/// precise one (`Domain::state` on parsed JSON) accept the same texts and
/// give the same state.
fn state(d: &eventfold::Domain, model: &str, text: &str) {
    let precise = d.parse_json(text).and_then(|j| d.state(model, &j));
    let fast = d.replay_json(model, "[]", Some(text));
    match (precise, fast) {
        (Ok(v), Ok(s)) => assert_eq!(v.to_json_string(), s, "state {text}"),
        (Err(a), Err(b)) => {
            check_error(&a, &["invalid_json", "invalid_command", "limit_exceeded"]);
            check_error(&b, &["invalid_json", "invalid_event", "limit_exceeded"]);
        }
        (a, b) => panic!("precise decode {a:?}, fast decode {b:?} of state {text}"),
    }
}
