//! Tokens to a syntax tree.
use super::ast::{Diag, File};

/// Parses one model file. `file` is its index in the domain (it goes into
/// every span). Syntax errors are all reported; the tree holds what parsed.
pub fn parse(_file: u32, _src: &str) -> (File, Vec<Diag>) {
    (File::default(), Vec::new())
}
