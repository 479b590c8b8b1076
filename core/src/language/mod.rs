//! The model language: read (`lexer`, `parser`), checked and lowered
//! (`check` into `ir`), and run (`eval`).

pub mod ast;
pub mod builtins;
pub mod calendar;
pub mod check;
pub mod eval;
pub(crate) mod fingerprint;
pub mod format;
pub mod ir;
pub mod lexer;
pub mod parser;
/// The parser's round-trip oracle, and the formatter's printer.
pub mod printer;
pub mod readside;
pub mod source;
pub mod versions;
