//! Tokens to a syntax tree.
//!
//! A hand-written recursive descent parser over the tokens of
//! [`super::lexer`]. It reports every syntax error it meets and recovers at
//! the nearest list it is reading (the statements of a block, the fields of a
//! state or record, the params of a handler, the members of a model, the
//! models of a file), so one run lists them all. Nesting is capped at
//! [`MAX_DEPTH`] levels so that no input can overflow the stack.
//!
//! Newlines: a newline ends a statement or field unless the construct is
//! incomplete. The parser keeps a stack saying whether newlines currently
//! matter (they do not inside `(...)`, `[...]`, `{...}` literals and `${...}`;
//! they do in blocks and field lists) and skips them explicitly after a
//! binary operator, `?`, `:`, `=` and `,`.

use std::collections::BTreeMap;

use super::ast::{
    Arg, BinaryOp, Block, Diag, EnumDecl, EnumMember, Expr, ExprKind, Field, File, HandlerDecl,
    Ident, InvariantDecl, Member, Model, Path, PathSegment, QueryDecl, RecordDecl, Span, StateDecl,
    Stmt, StmtKind, StrPart, TypeExpr, TypeKind, UnaryOp, Version,
};
use super::lexer::{self, Keyword as Kw, Tok, Token};

mod cursor;
mod decl;
mod expr;
mod projection;
mod stmt;

/// How deeply brackets, blocks, types and operator chains may nest.
pub const MAX_DEPTH: u32 = 200;

/// Diagnostics the lexer and the parser keep for one file; at the next one
/// reading stops, so a file of garbage costs bounded memory. Far more than
/// a report shows (`Limits::max_diagnostics`), which then says how many
/// more there were.
pub const MAX_KEPT_DIAGNOSTICS: usize = 10_000;

/// The last diagnostic kept, where reading stopped.
pub(crate) fn too_many() -> String {
    format!(
        "more than {MAX_KEPT_DIAGNOSTICS} problems: stopped reading the file here; fix the ones before it first"
    )
}

/// Parses one model file. `file` is its index in the domain (it goes into
/// every span). Syntax errors are all reported; the tree holds what parsed.
/// Diagnostics come sorted by position.
pub fn parse(file: u32, src: &str) -> (File, Vec<Diag>) {
    let mut p = Parser::new(file, src);
    let file = p.file();
    (file, p.finish())
}

/// Parses a lone expression (for tools and tests). `None` when it could not
/// be read at all; diagnostics as for [`parse`].
pub fn parse_expr(file: u32, src: &str) -> (Option<Expr>, Vec<Diag>) {
    let mut p = Parser::new(file, src);
    p.nl.push(false);
    let e = match p.peek() {
        Tok::Eof => {
            p.expected("an expression");
            None
        }
        _ => p.expr().ok(),
    };
    if e.is_some() && !p.at(&Tok::Eof) {
        p.expected("the end of the expression");
    }
    (e, p.finish())
}

/// An error was reported; the caller recovers.
#[derive(Debug)]
struct Stop;

type PResult<T> = Result<T, Stop>;

/// The shape a name must have where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Pascal,
    Snake,
}

pub(crate) fn is_pascal(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_uppercase()) && cs.all(|c| c.is_ascii_alphanumeric())
}

pub(crate) fn is_snake(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn is_kebab(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.split('-').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The words of a name, lowercased: `createNew`, `create_new`,
/// `Create-New` all give `create`, `new`.
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// "a" or "an" before `what`.
fn article(what: &str) -> &'static str {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn to_snake(s: &str) -> String {
    words(s).join("_")
}

fn to_kebab(s: &str) -> String {
    words(s).join("-")
}

fn to_pascal(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// What a recovery skips to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recover {
    /// The next model.
    Model,
    /// The next member of the model (or its closing `}`).
    Member,
    /// The end of the statement or field: a newline or `;`, or the `}` of
    /// the enclosing block.
    Line,
    /// The next param: `,` `;` `)` or the `{` of the block.
    Param,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    docs: BTreeMap<u32, String>,
    pos: usize,
    diags: Vec<Diag>,
    /// Whether newlines end things here (top of the stack).
    nl: Vec<bool>,
    depth: u32,
    /// Nested too deeply: the parser stops (every `peek` sees the end).
    fatal: bool,
}

/// What a list of `name: value` arguments belongs to, for messages.
#[derive(Debug, Clone, Copy)]
enum ArgsOf<'x> {
    /// `emit name(...)`
    Emit(&'x str),
    /// `Name{...}`
    Record(&'x str),
    /// `insert t(...)`, `upsert t(...)`, `update t[...](...)`
    Row(&'x str),
}

fn binary_node(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

#[cfg(test)]
mod tests;
