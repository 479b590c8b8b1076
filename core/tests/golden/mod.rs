//! Golden diagnostics, shared by the checker's test files: compile one
//! source and compare every diagnostic's `(line, column, text)`, in order.

use eventfold::{Domain, Error, Source};

/// Every diagnostic of `src` (as `m.model`): none when it compiles.
pub fn diagnostics(src: &str) -> Vec<(u32, u32, String)> {
    match Domain::compile(&[Source::new("m.model", src)]) {
        Ok(_) => vec![],
        Err(Error::ModelError { diagnostics, .. }) => diagnostics
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect(),
        Err(e) => panic!("not a model error: {e}"),
    }
}

/// `src` is refused with exactly these diagnostics, in order; each message
/// mentions its text (case-insensitive).
#[track_caller]
pub fn refused(src: &str, expected: &[(u32, u32, &str)]) {
    let got = diagnostics(src);
    assert_eq!(got.len(), expected.len(), "for:\n{src}\ngot: {got:#?}");
    for ((line, col, msg), (el, ec, etext)) in got.iter().zip(expected) {
        assert_eq!((line, col), (el, ec), "{msg}");
        assert!(
            msg.to_lowercase().contains(&etext.to_lowercase()),
            "`{msg}` should mention `{etext}`"
        );
    }
}

/// `src` compiles without a diagnostic.
#[track_caller]
#[allow(dead_code)]
pub fn compiles(src: &str) {
    let got = diagnostics(src);
    assert!(got.is_empty(), "for:\n{src}\ngot: {got:#?}");
}
