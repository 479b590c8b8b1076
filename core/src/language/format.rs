//! The formatter: a model file in canonical form (the printer's), with
//! every comment kept.

use super::ast::Diag;
use super::{lexer, parser, printer};

/// `src` in canonical form, or the syntax errors that stop it being read.
/// Only syntax matters: a file whose types are wrong is formatted.
pub fn format(src: &str) -> Result<String, Vec<Diag>> {
    let (file, diags) = parser::parse(0, src);
    if !diags.is_empty() {
        return Err(diags);
    }
    let lexed = lexer::lex(0, src);
    Ok(printer::print_with_comments(&file, src, &lexed))
}

#[cfg(test)]
mod tests;
