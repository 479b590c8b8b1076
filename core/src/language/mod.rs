//! The model language: read (`lexer`, `parser`), checked and lowered
//! (`check` into `ir`), and run (`eval`).

pub mod ast;
pub mod builtins;
pub mod check;
pub mod eval;
pub(crate) mod fingerprint;
pub mod ir;
pub mod lexer;
pub mod parser;
pub mod printer;
pub mod source;
