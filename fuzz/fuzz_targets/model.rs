//! The lexer, parser and checker on arbitrary model texts: never a panic, a
//! hang or unbounded memory; a refusal is `model_error` whose diagnostics
//! point inside the text. A NUL byte splits the input into files compiled as
//! one domain. What compiles is described and its queries and commands
//! without data are run, within the limits.
#![no_main]

use eventfold::{Domain, Source};
use eventfold_fuzz::{check_compile_error, check_error, fuzz_limits, well_formed, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Arbitrary UTF-8 as it is, other bytes through the lossy decoding.
    let text = String::from_utf8_lossy(data);
    let sources: Vec<Source> = text
        .split('\0')
        .take(3)
        .enumerate()
        .map(|(i, t)| Source::new(format!("f{i}.model"), t))
        .collect();
    let d = match Domain::compile_with_limits(&sources, fuzz_limits()) {
        Ok(d) => d,
        Err(e) => return check_compile_error(&e, &sources),
    };
    let describe = d.describe();
    well_formed(&describe.to_string());
    let _ = d.describe_markdown();
    for (i, model) in d.models().into_iter().enumerate() {
        well_formed(&d.initial_state_json(model).expect("a model of the domain"));
        let m = &describe["models"][i];
        assert_eq!(m["name"], model);
        for q in m["queries"].as_array().into_iter().flatten() {
            let name = q["name"].as_str().expect("a query name");
            match d.query_json(model, None, name, None) {
                Ok(out) => drop(well_formed(&out)),
                Err(e) => check_error(&e, &[]),
            }
        }
        for c in m["commands"].as_array().into_iter().flatten() {
            let command = serde_json::json!({"type": c["name"]}).to_string();
            match d.propose_json(model, None, &command, Some(NOW)) {
                Ok(out) => drop(well_formed(&out)),
                Err(e) => check_error(&e, &[]),
            }
        }
    }
});
