//! The model language: read (`lexer`, `parser`), checked (`check`), and
//! lowered to an evaluable form (`compile`).

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod printer;
