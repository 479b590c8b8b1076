//! What the fuzz targets share: the models they run (copies in `models/`,
//! so that the crate builds without `../shared`), and the checks that every
//! error they meet is a documented one (MODEL-LANGUAGE.md §9).
//!
//! Only the public API of `eventfold` is used here, so that the targets keep
//! building while the language's internals move.

pub mod script;
pub mod typed;

use std::sync::OnceLock;

use eventfold::{Domain, Error, Limits, Source};

/// The model files the `evaluate`, `decode` and `c_api` targets run, each
/// with the name of its model.
pub const MODELS: &[(&str, &str, &str)] = &[
    (
        "todos.model",
        "Todos",
        include_str!("../models/todos.model"),
    ),
    (
        "order.model",
        "Order",
        include_str!("../models/order.model"),
    ),
    (
        "account.model",
        "Account",
        include_str!("../models/account.model"),
    ),
    ("cart.model", "Cart", include_str!("../models/cart.model")),
    (
        "todos-shared.model",
        "Todos",
        include_str!("../models/todos-shared.model"),
    ),
];

/// One compiled domain per file of [`MODELS`], compiled once per process.
pub fn domains() -> &'static [(Domain, &'static str)] {
    static DOMAINS: OnceLock<Vec<(Domain, &'static str)>> = OnceLock::new();
    DOMAINS.get_or_init(|| {
        MODELS
            .iter()
            .map(|(file, model, text)| {
                let d = Domain::compile(&[Source::new(*file, *text)])
                    .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
                (d, *model)
            })
            .collect()
    })
}

/// The domain and model that a selector byte picks.
pub fn pick(selector: u8) -> (&'static Domain, &'static str) {
    let all = domains();
    let (d, m) = &all[selector as usize % all.len()];
    (d, m)
}

/// The limits for generated and mutated models, below the defaults so that
/// an input ends well within libFuzzer's `-timeout`: a tenth of the steps,
/// and lists of at most 100,000 items. Each evaluation is bounded by the
/// limits, but a state is not: `set l = l + l` doubles a list per event,
/// within every limit, until one event would build more than
/// `max_value_size` items (16 M by default), and writing such a state as
/// JSON, as every call of the harness does, takes seconds.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_steps: 100_000,
        max_value_size: 100_000,
        max_memory: 16 * 1024 * 1024,
        ..Limits::default()
    }
}

/// A fixed `now`, so that every run is deterministic.
pub const NOW: &str = "2026-01-02T03:04:05Z";

/// Panics unless `e` is a documented error with one of `allowed` codes
/// (any code but `internal` when `allowed` is empty), and its JSON form
/// holds its code and a message.
pub fn check_error(e: &Error, allowed: &[&str]) {
    let code = e.code();
    assert!(
        Error::CODES.contains(&code),
        "undocumented error code {code}: {e}"
    );
    assert_ne!(code, "internal", "an internal error: {e}");
    assert!(
        allowed.is_empty() || allowed.contains(&code),
        "error {code} where only {allowed:?} may come: {e}"
    );
    let json = e.to_json();
    assert_eq!(json["code"], code, "{json}");
    assert!(json["message"].is_string(), "{json}");
    let text = json.to_string();
    let back: serde_json::Value = serde_json::from_str(&text).expect("error JSON reparses");
    assert_eq!(back, json);
}

/// Checks a compile failure: `model_error` (or `limit_exceeded` for a file
/// past the size limit), each diagnostic in a file that was given, at a
/// line and column inside that file's text.
pub fn check_compile_error(e: &Error, sources: &[Source]) {
    check_error(e, &["model_error", "limit_exceeded"]);
    let Error::ModelError {
        diagnostics,
        rendered,
    } = e
    else {
        return;
    };
    assert!(!diagnostics.is_empty(), "a model_error without diagnostics");
    assert!(!rendered.is_empty(), "a model_error without a rendering");
    for d in diagnostics {
        let source = sources
            .iter()
            .find(|s| s.name == d.file)
            .unwrap_or_else(|| panic!("a diagnostic in an unknown file: {d}"));
        let lines: Vec<&str> = source.text.split('\n').collect();
        assert!(
            d.line >= 1 && d.line as usize <= lines.len(),
            "line {} outside the {} lines of the text: {d}",
            d.line,
            lines.len()
        );
        let width = lines[d.line as usize - 1].chars().count();
        assert!(
            d.column >= 1 && d.column as usize <= width + 1,
            "column {} outside line {} of {width} code points: {d}",
            d.column,
            d.line
        );
        assert!(!d.message.is_empty(), "an empty diagnostic at {d}");
    }
}

/// Parses JSON that eventfold wrote, or panics: what it writes must be
/// well formed.
pub fn well_formed(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("eventfold wrote bad JSON ({e}): {text}"))
}
