//! The evaluator: scripts of commands, events and queries (`src/script.rs`)
//! on the example and scenario models. Never a panic; every error has a
//! documented code; the value API and the JSON API agree; the events kept
//! replay to the state.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eventfold_fuzz::script::run(data));
