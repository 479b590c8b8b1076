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
    Stmt, StmtKind, StrPart, TypeExpr, TypeKind, UnaryOp,
};
use super::lexer::{self, Keyword as Kw, Tok, Token};

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
    let models = p.file();
    (File { models }, p.finish())
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

impl<'a> Parser<'a> {
    fn new(file: u32, src: &'a str) -> Parser<'a> {
        let lexed = lexer::lex(file, src);
        Parser {
            src,
            toks: lexed.tokens,
            docs: lexed.docs,
            pos: 0,
            diags: lexed.diags,
            nl: vec![true],
            depth: 0,
            fatal: false,
        }
    }

    fn finish(mut self) -> Vec<Diag> {
        self.diags.sort_by_key(|d| d.span.start);
        self.diags.dedup_by_key(|d| d.span.start);
        self.diags
    }

    // ----- tokens -----

    fn eof_index(&self) -> usize {
        self.toks.len() - 1
    }

    fn nl_matters(&self) -> bool {
        self.nl.last().copied().unwrap_or(true)
    }

    /// Index of the next token, past newlines where they do not matter.
    fn next_index(&self) -> usize {
        if self.fatal {
            return self.eof_index();
        }
        let mut i = self.pos;
        if !self.nl_matters() {
            while self.toks[i].tok == Tok::Newline {
                i += 1;
            }
        }
        i
    }

    fn peek_tok(&self) -> &Token {
        &self.toks[self.next_index()]
    }

    fn peek(&self) -> &Tok {
        &self.peek_tok().tok
    }

    /// The token right after the next one (no newline skipping).
    fn peek_second(&self) -> &Tok {
        let i = (self.next_index() + 1).min(self.eof_index());
        &self.toks[i].tok
    }

    /// The very next token, newlines included.
    fn peek_raw(&self) -> &Tok {
        if self.fatal {
            return &Tok::Eof;
        }
        &self.toks[self.pos].tok
    }

    fn at(&self, t: &Tok) -> bool {
        self.peek() == t
    }

    fn at_kw(&self, k: Kw) -> bool {
        *self.peek() == Tok::Kw(k)
    }

    fn bump(&mut self) -> Token {
        let i = self.next_index();
        let t = self.toks[i].clone();
        self.pos = if i < self.eof_index() { i + 1 } else { i };
        t
    }

    /// Moves past the next token; returns its span.
    fn advance(&mut self) -> Span {
        let i = self.next_index();
        self.pos = if i < self.eof_index() { i + 1 } else { i };
        self.toks[i].span
    }

    fn eat(&mut self, t: &Tok) -> Option<Span> {
        if self.at(t) {
            Some(self.advance())
        } else {
            None
        }
    }

    /// Skips newlines; returns whether there were any.
    fn skip_newlines(&mut self) -> bool {
        let start = self.pos;
        if !self.fatal {
            while self.toks[self.pos].tok == Tok::Newline {
                self.pos += 1;
            }
        }
        self.pos != start
    }

    /// Skips newlines and `;`.
    fn skip_separators(&mut self) {
        if !self.fatal {
            while matches!(self.toks[self.pos].tok, Tok::Newline | Tok::Semi) {
                self.pos += 1;
            }
        }
    }

    /// The end of the token before the current position.
    fn prev_end(&self) -> Span {
        let i = self.pos.saturating_sub(1);
        let s = self.toks[i].span;
        Span { start: s.end, ..s }
    }

    /// Whether token `i` starts a member of a model (or a model): where a
    /// block, field list or statement certainly ended. `state` counts only
    /// before `{`, since `state.owner` is an expression.
    fn member_kw_at(&self, i: usize) -> bool {
        match self.toks[i].tok {
            Tok::Kw(Kw::State) => self.toks.get(i + 1).map(|t| &t.tok) == Some(&Tok::LBrace),
            Tok::Kw(k) => k.starts_member(),
            _ => false,
        }
    }

    /// Whether the next token starts a member (see [`Self::member_kw_at`]).
    fn at_member(&self) -> bool {
        self.member_kw_at(self.next_index())
    }

    // ----- diagnostics -----

    fn error_at(&mut self, span: Span, msg: impl Into<String>) {
        if self.fatal {
            return;
        }
        if self
            .diags
            .last()
            .is_some_and(|d| d.span.start == span.start)
        {
            return;
        }
        if self.diags.len() >= MAX_KEPT_DIAGNOSTICS {
            // (The lexer may have stopped keeping them already.)
            if self.diags.len() == MAX_KEPT_DIAGNOSTICS {
                self.diags.push(Diag::new(span, too_many()));
            }
            self.fatal = true;
            return;
        }
        self.diags.push(Diag::new(span, msg));
    }

    fn describe(&self, t: &Token) -> String {
        match &t.tok {
            Tok::Eof => "the end of the file".to_string(),
            Tok::Newline => "the end of the line".to_string(),
            Tok::Ident(s) | Tok::Kebab(s) => format!("`{s}`"),
            Tok::Kw(k) => format!("the keyword `{k}`"),
            Tok::Int(_) | Tok::Float(_) => {
                let text = self
                    .src
                    .get(t.span.start as usize..t.span.end as usize)
                    .unwrap_or("");
                let short: String = text.chars().take(24).collect();
                format!("the number `{short}`")
            }
            Tok::StrStart => "a string".to_string(),
            Tok::StrText(_) => "the text of a string".to_string(),
            Tok::StrEnd => "the end of the string".to_string(),
            Tok::InterpEnd => "the `}` that closes `${`".to_string(),
            other => format!("`{}`", other.punct().unwrap_or("?")),
        }
    }

    /// Reports "expected WHAT, found ..." at the next token.
    fn expected(&mut self, what: &str) -> Stop {
        let t = self.peek_tok().clone();
        if !t.synthetic {
            let msg = format!("expected {what}, found {}", self.describe(&t));
            self.error_at(t.span, msg);
        }
        Stop
    }

    fn expect(&mut self, t: &Tok, what: &str) -> PResult<Span> {
        match self.eat(t) {
            Some(span) => Ok(span),
            None => Err(self.expected(what)),
        }
    }

    // ----- depth and recovery -----

    /// One level deeper; past [`MAX_DEPTH`] the parse stops.
    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            self.too_deep();
            return Err(Stop);
        }
        self.depth += 1;
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self) {
        if !self.fatal {
            let span = self.peek_tok().span;
            self.error_at(
                span,
                format!(
                    "nested too deeply: more than {MAX_DEPTH} levels of brackets, blocks, \
                     types or operators; split it up, for example with `let`"
                ),
            );
            self.fatal = true;
        }
    }

    /// The depth and newline mode, to restore after an item of a list
    /// (whether it parsed or not: an error leaves them where it happened).
    fn mark(&self) -> (u32, usize) {
        (self.depth, self.nl.len())
    }

    fn reset(&mut self, mark: (u32, usize)) {
        self.depth = mark.0;
        self.nl.truncate(mark.1);
    }

    /// Skips tokens up to where `mode` may go on (not consuming the token
    /// it stops at). The loops that call it make sure they progress.
    fn recover(&mut self, mode: Recover) {
        if self.fatal {
            return;
        }
        let mut braces = 0u32;
        let mut parens = 0u32;
        loop {
            let member = self.member_kw_at(self.pos);
            let tok = &self.toks[self.pos].tok;
            let top = braces == 0 && parens == 0;
            let stop = match tok {
                Tok::Eof | Tok::Kw(Kw::Model) => true,
                Tok::Kw(_) if member => match mode {
                    Recover::Model => false,
                    Recover::Member => braces == 0,
                    Recover::Line | Recover::Param => true,
                },
                // An unclosed `(` does not hide the `}` of the block.
                Tok::RBrace => braces == 0 && mode != Recover::Model,
                Tok::Newline => mode == Recover::Line && top,
                Tok::Semi => matches!(mode, Recover::Line | Recover::Param) && top,
                Tok::Comma | Tok::RParen => mode == Recover::Param && top,
                Tok::LBrace => mode == Recover::Param && parens == 0,
                _ => false,
            };
            if stop {
                break;
            }
            match tok {
                Tok::LBrace => braces += 1,
                Tok::RBrace => braces = braces.saturating_sub(1),
                Tok::LParen | Tok::LBracket => parens += 1,
                Tok::RParen | Tok::RBracket => parens = parens.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    // ----- names -----

    fn name_token(&mut self, what: &str, example: &str) -> PResult<Ident> {
        let t = self.peek_tok();
        if let Tok::Ident(name) = &t.tok {
            let id = Ident {
                name: name.clone(),
                span: t.span,
            };
            self.bump();
            return Ok(id);
        }
        self.name_expected(what, example);
        Err(Stop)
    }

    #[cold]
    #[inline(never)]
    fn name_expected(&mut self, what: &str, example: &str) {
        let t = self.peek_tok().clone();
        match &t.tok {
            Tok::Kw(k) => {
                if !t.synthetic {
                    self.error_at(
                        t.span,
                        format!(
                            "expected {} {what} such as `{example}`, found the keyword `{k}`, \
                             which cannot be used as a name",
                            article(what)
                        ),
                    );
                }
            }
            _ => {
                self.expected(&format!("{} {what} such as `{example}`", article(what)));
            }
        }
    }

    /// A name that must have `shape`; a wrong shape is reported but the
    /// name is kept.
    fn ident(&mut self, what: &str, shape: Shape) -> PResult<Ident> {
        let example = match shape {
            Shape::Pascal => "Todo",
            Shape::Snake => "unit_price",
        };
        let id = self.name_token(what, example)?;
        self.check_shape(&id, what, shape);
        Ok(id)
    }

    fn check_shape(&mut self, id: &Ident, what: &str, shape: Shape) {
        let fine = match shape {
            Shape::Pascal => is_pascal(&id.name),
            Shape::Snake => is_snake(&id.name),
        };
        if !fine {
            self.bad_shape(id, what, shape);
        }
    }

    #[cold]
    #[inline(never)]
    fn bad_shape(&mut self, id: &Ident, what: &str, shape: Shape) {
        let msg = match shape {
            Shape::Pascal => format!(
                "the {what} `{}` must be PascalCase (a capital letter, then letters and \
                 digits), such as `{}`",
                id.name,
                to_pascal(&id.name)
            ),
            Shape::Snake => format!(
                "the {what} `{}` must be snake_case (lowercase letters, digits and `_`), \
                 such as `{}`",
                id.name,
                to_snake(&id.name)
            ),
        };
        self.error_at(id.span, msg);
    }

    /// The kebab-case name after `command`, `event`, `query` or `emit`.
    fn kebab(&mut self, what: &str) -> PResult<Ident> {
        let t = self.peek_tok().clone();
        let name = match &t.tok {
            Tok::Kebab(name) | Tok::Ident(name) => name.clone(),
            _ => {
                return Err(self.expected(&format!(
                    "the name of the {what}, in kebab-case such as `create-new`"
                )))
            }
        };
        self.bump();
        if lexer::is_keyword(&name) {
            self.error_at(
                t.span,
                format!(
                    "`{name}` is a keyword and cannot be the name of a {what}; choose another \
                     name (a keyword may be one part of it, as in `{name}-item`)"
                ),
            );
        } else if !is_kebab(&name) {
            let suggestion = to_kebab(&name);
            let suggestion = if is_kebab(&suggestion) {
                suggestion
            } else {
                "create-new".to_string()
            };
            self.error_at(
                t.span,
                format!(
                    "the {what} name `{name}` must be kebab-case (lowercase words joined by \
                     `-`), such as `{suggestion}`"
                ),
            );
        }
        Ok(Ident { name, span: t.span })
    }

    /// The `///` documentation of the declaration starting at token `idx`:
    /// the doc lines directly above it, when it is the first token of its
    /// line.
    fn doc_for(&self, idx: usize) -> Option<String> {
        let tok = &self.toks[idx];
        if idx > 0 && self.toks[idx - 1].line >= tok.line {
            return None;
        }
        let mut lines = Vec::new();
        let mut l = tok.line;
        while l > 0 {
            match self.docs.get(&(l - 1)) {
                Some(d) => {
                    lines.push(d.as_str());
                    l -= 1;
                }
                None => break,
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    // ----- file and models -----

    fn file(&mut self) -> Vec<Model> {
        let mut models = Vec::new();
        let mark = self.mark();
        loop {
            self.skip_separators();
            let from = self.pos;
            match self.peek() {
                Tok::Eof => break,
                Tok::Kw(Kw::Model) => match self.model() {
                    Ok(m) => models.push(m),
                    Err(Stop) => self.recover(Recover::Model),
                },
                _ => {
                    self.expected("`model` and a model name, as in `model Todos {`");
                    self.recover(Recover::Model);
                }
            }
            self.reset(mark);
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        models
    }

    fn model(&mut self) -> PResult<Model> {
        let doc = self.doc_for(self.next_index());
        let kw = self.bump();
        let name = match self.ident("model name", Shape::Pascal) {
            Ok(n) => n,
            // Read the members anyway when the `{` is there.
            Err(Stop) if self.at(&Tok::LBrace) => Ident {
                name: String::new(),
                span: kw.span,
            },
            Err(Stop) => return Err(Stop),
        };
        self.expect(
            &Tok::LBrace,
            &format!("`{{` to open the body of model `{}`", name.name),
        )?;
        let members = self.members(&name.name);
        Ok(Model { doc, name, members })
    }

    fn members(&mut self, model: &str) -> Vec<Member> {
        let mut members = Vec::new();
        let mark = self.mark();
        loop {
            self.skip_separators();
            let from = self.pos;
            match self.peek() {
                Tok::RBrace => {
                    self.bump();
                    break;
                }
                Tok::Eof | Tok::Kw(Kw::Model) => {
                    self.expected(&format!("`}}` to close model `{model}`"));
                    break;
                }
                Tok::Kw(k) if k.starts_member() => match self.member() {
                    Ok(m) => members.push(m),
                    Err(Stop) => self.recover(Recover::Member),
                },
                _ => {
                    self.expected(&format!(
                        "a member of model `{model}` (`state`, `record`, `enum`, `command`, \
                         `event`, `query` or `invariant`) or `}}` to close it"
                    ));
                    self.recover(Recover::Member);
                }
            }
            self.reset(mark);
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        members
    }

    fn member(&mut self) -> PResult<Member> {
        let doc = self.doc_for(self.next_index());
        let kw = self.bump();
        let Tok::Kw(k) = kw.tok else {
            return Err(Stop);
        };
        match k {
            Kw::State => {
                self.expect(&Tok::LBrace, "`{` to open the state, as in `state {`")?;
                let fields = self.fields("the state");
                Ok(Member::State(StateDecl {
                    doc,
                    keyword: kw.span,
                    fields,
                }))
            }
            Kw::Record => {
                let name = self.ident("record name", Shape::Pascal)?;
                self.expect(
                    &Tok::LBrace,
                    &format!("`{{` to open the fields of record `{}`", name.name),
                )?;
                let fields = self.fields(&format!("record `{}`", name.name));
                Ok(Member::Record(RecordDecl { doc, name, fields }))
            }
            Kw::Enum => {
                let name = self.ident("enum name", Shape::Pascal)?;
                self.expect(
                    &Tok::LBrace,
                    &format!("`{{` to open the members of enum `{}`", name.name),
                )?;
                let members = self.enum_members(&name)?;
                Ok(Member::Enum(EnumDecl { doc, name, members }))
            }
            Kw::Command | Kw::Event => {
                let what = if k == Kw::Command { "command" } else { "event" };
                let name = self.kebab(what)?;
                let owner = format!("{what} `{}`", name.name);
                let params = self.params(&owner)?;
                let body = self.block(&format!("the block of {owner}"))?;
                let decl = HandlerDecl {
                    doc,
                    name,
                    params,
                    body,
                };
                Ok(if k == Kw::Command {
                    Member::Command(decl)
                } else {
                    Member::Event(decl)
                })
            }
            Kw::Query => {
                let name = self.kebab("query")?;
                let owner = format!("query `{}`", name.name);
                let params = self.params(&owner)?;
                self.expect(
                    &Tok::Colon,
                    &format!("`:` and the result type of {owner}, as in `: int`"),
                )?;
                let ty = self.ty()?;
                self.expect(
                    &Tok::Assign,
                    &format!("`=` and the value of {owner}, as in `= size(items)`"),
                )?;
                self.skip_newlines();
                let body = self.expr()?;
                Ok(Member::Query(QueryDecl {
                    doc,
                    name,
                    params,
                    ty,
                    body,
                }))
            }
            Kw::Invariant => {
                if !self.at(&Tok::StrStart) {
                    return Err(self.expected(
                        "the text of the invariant, a string such as `\"balance must not be negative\"`",
                    ));
                }
                let text = self.plain_string("the text of an invariant")?;
                self.expect(
                    &Tok::Colon,
                    "`:` and the condition of the invariant, as in `invariant \"...\": balance >= 0`",
                )?;
                self.skip_newlines();
                let expr = self.expr()?;
                Ok(Member::Invariant(InvariantDecl {
                    doc,
                    keyword: kw.span,
                    text,
                    expr,
                }))
            }
            _ => Err(Stop),
        }
    }

    /// A string literal without interpolation; returns its text.
    fn plain_string(&mut self, what: &str) -> PResult<String> {
        let mut interps = Vec::new();
        let e = self.string(Some(&mut interps))?;
        for span in interps {
            self.error_at(
                span,
                format!(
                    "{what} must be a plain string: `${{...}}` is not allowed here (write `\\${{` \
                     for a literal `${{`)"
                ),
            );
        }
        let mut text = String::new();
        if let ExprKind::Str(parts) = e.kind {
            for p in parts {
                if let StrPart::Lit(s) = p {
                    text.push_str(&s);
                }
            }
        }
        Ok(text)
    }

    /// The fields of a state or record, after its `{`, through its `}`.
    fn fields(&mut self, owner: &str) -> Vec<Field> {
        self.nl.push(true);
        let mark = self.mark();
        let mut fields = Vec::new();
        loop {
            self.skip_separators();
            let from = self.pos;
            match self.peek() {
                Tok::RBrace => {
                    self.bump();
                    break;
                }
                Tok::Eof => {
                    self.expected(&format!("`}}` to close {owner}"));
                    break;
                }
                _ if self.at_member() => {
                    self.expected(&format!("`}}` to close {owner}"));
                    break;
                }
                _ => {}
            }
            match self.field("field name") {
                Ok(f) => {
                    fields.push(f);
                    self.reset(mark);
                    if !self.at_line_end() {
                        self.expected("a new line or `;` after the field");
                        self.recover(Recover::Line);
                    }
                }
                Err(Stop) => self.recover(Recover::Line),
            }
            self.reset(mark);
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        self.nl.pop();
        fields
    }

    /// At the end of a statement or field: a newline, `;`, `}` or the end.
    fn at_line_end(&self) -> bool {
        match self.peek_raw() {
            Tok::Newline | Tok::Semi | Tok::RBrace | Tok::Eof => true,
            _ => !self.fatal && self.member_kw_at(self.pos),
        }
    }

    /// `name: type (= default)?`
    fn field(&mut self, what: &str) -> PResult<Field> {
        let doc = self.doc_for(self.next_index());
        let name = self.ident(what, Shape::Snake)?;
        if self.eat(&Tok::Colon).is_none() {
            return Err(self.expected(&format!(
                "`:` and a type after `{}`, as in `{}: int`",
                name.name, name.name
            )));
        }
        let ty = self.ty()?;
        let default = if self.eat(&Tok::Assign).is_some() {
            self.skip_newlines();
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Field {
            doc,
            name,
            ty,
            default,
        })
    }

    fn enum_members(&mut self, name: &Ident) -> PResult<Vec<EnumMember>> {
        let open = self.toks[self.pos.saturating_sub(1)].span;
        self.nl.push(false);
        let mut members = Vec::new();
        loop {
            if self.eat(&Tok::RBrace).is_some() {
                break;
            }
            if matches!(self.peek(), Tok::Eof) || self.at_member() {
                return Err(self.expected(&format!("`}}` to close enum `{}`", name.name)));
            }
            let doc = self.doc_for(self.next_index());
            let m = self.ident("enum member name", Shape::Snake)?;
            members.push(EnumMember { doc, name: m });
            if self.eat(&Tok::Comma).is_none() && !self.at(&Tok::RBrace) {
                return Err(self.expected(&format!("`,` or `}}` to close enum `{}`", name.name)));
            }
        }
        self.nl.pop();
        if members.is_empty() {
            self.error_at(
                open,
                format!("enum `{}` needs at least one member", name.name),
            );
        }
        Ok(members)
    }

    /// `( params )` of a command, event or query.
    fn params(&mut self, owner: &str) -> PResult<Vec<Field>> {
        if self.eat(&Tok::LParen).is_none() {
            return Err(self.expected(&format!(
                "`(` and the params of {owner}, as in `(id: string)` or `()`"
            )));
        }
        self.nl.push(false);
        let mark = self.mark();
        let mut params = Vec::new();
        loop {
            if self.eat(&Tok::RParen).is_some() {
                break;
            }
            let from = self.pos;
            match self.peek() {
                Tok::Eof | Tok::LBrace => {
                    self.expected(&format!("`)` to close the params of {owner}"));
                    break;
                }
                _ if self.at_member() => {
                    self.expected(&format!("`)` to close the params of {owner}"));
                    break;
                }
                _ => {}
            }
            match self.field("param name") {
                Ok(f) => {
                    params.push(f);
                    self.reset(mark);
                    let newline = self.peek_raw() == &Tok::Newline;
                    if self.eat(&Tok::Comma).is_some()
                        || self.eat(&Tok::Semi).is_some()
                        || self.at(&Tok::RParen)
                        || newline
                    {
                        continue;
                    }
                    self.expected(&format!("`,` or `)` to close the params of {owner}"));
                    self.recover(Recover::Param);
                }
                Err(Stop) => {
                    self.reset(mark);
                    self.recover(Recover::Param);
                }
            }
            if matches!(self.peek_raw(), Tok::Comma | Tok::Semi) {
                self.pos += 1;
            }
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        self.nl.pop();
        Ok(params)
    }

    // ----- types -----

    fn ty(&mut self) -> PResult<TypeExpr> {
        self.enter()?;
        let t = self.peek_tok();
        let span = t.span;
        let kind = match &t.tok {
            Tok::Ident(name) => match name.as_str() {
                "string" => TypeKind::String,
                "int" => TypeKind::Int,
                "float" => TypeKind::Float,
                "bool" => TypeKind::Bool,
                "timestamp" => TypeKind::Timestamp,
                "list" | "map" => {
                    let is_map = name == "map";
                    self.bump();
                    let mut ty = self.generic_type(is_map, span)?;
                    self.optional_suffix(&mut ty)?;
                    self.depth -= 1;
                    return Ok(ty);
                }
                _ if name.starts_with(|c: char| c.is_ascii_uppercase()) => TypeKind::Named(Ident {
                    name: name.clone(),
                    span,
                }),
                _ => {
                    self.type_expected();
                    return Err(Stop);
                }
            },
            _ => {
                self.type_expected();
                return Err(Stop);
            }
        };
        self.bump();
        if let TypeKind::Named(id) = &kind {
            self.check_shape(id, "type name", Shape::Pascal);
        }
        let mut ty = TypeExpr { kind, span };
        self.optional_suffix(&mut ty)?;
        self.depth -= 1;
        Ok(ty)
    }

    #[cold]
    #[inline(never)]
    fn type_expected(&mut self) {
        const WHAT: &str = "a type such as `int`, `string` or `list<T>`";
        let t = self.peek_tok().clone();
        if let Tok::Ident(name) = &t.tok {
            self.error_at(
                t.span,
                format!(
                    "expected {WHAT}, found `{name}` (the types are `string`, `int`, `float`, \
                     `bool`, `timestamp`, `list<T>`, `map<string, T>`, record and enum names, \
                     and `T?`)"
                ),
            );
        } else {
            self.expected(WHAT);
        }
    }

    /// `<T>` or `<K, V>` after `list` or `map` (at `start`).
    fn generic_type(&mut self, is_map: bool, start: Span) -> PResult<TypeExpr> {
        let open = if is_map {
            "`<` after `map`, as in `map<string, int>`"
        } else {
            "`<` after `list`, as in `list<int>`"
        };
        self.expect(&Tok::Lt, open)?;
        self.skip_newlines();
        let first = self.ty()?;
        let kind = if is_map {
            self.skip_newlines();
            self.expect(
                &Tok::Comma,
                "`,` between the key and value types, as in `map<string, int>`",
            )?;
            self.skip_newlines();
            let value = self.ty()?;
            TypeKind::Map(Box::new(first), Box::new(value))
        } else {
            TypeKind::List(Box::new(first))
        };
        let close = self.close_angle(if is_map {
            "`>` to close `map<`"
        } else {
            "`>` to close `list<`"
        })?;
        Ok(TypeExpr {
            kind,
            span: start.to(close),
        })
    }

    /// `T?` (the `?` must stand on the same line: it is not an operator).
    fn optional_suffix(&mut self, ty: &mut TypeExpr) -> PResult<()> {
        let saved = self.depth;
        while self.peek_raw() == &Tok::Question {
            let q = self.advance();
            self.enter()?;
            let span = ty.span.to(q);
            let inner = std::mem::replace(
                ty,
                TypeExpr {
                    kind: TypeKind::Bool,
                    span,
                },
            );
            ty.kind = TypeKind::Optional(Box::new(inner));
        }
        self.depth = saved;
        Ok(())
    }

    /// The `>` of `list<...>`/`map<...>`; splits a `>=` (as in
    /// `x: list<int>= [1]`) into `>` and `=`.
    fn close_angle(&mut self, what: &str) -> PResult<Span> {
        self.skip_newlines();
        let i = self.next_index();
        match self.toks[i].tok {
            Tok::Gt => Ok(self.advance()),
            Tok::Ge => {
                let s = self.toks[i].span;
                self.toks[i].tok = Tok::Assign;
                self.toks[i].span = Span {
                    start: s.start + 1,
                    ..s
                };
                self.pos = i;
                Ok(Span {
                    end: s.start + 1,
                    ..s
                })
            }
            _ => Err(self.expected(what)),
        }
    }

    // ----- blocks and statements -----

    /// `{ stmt* }`; `owner` names it in messages ("the block of command `go`").
    fn block(&mut self, owner: &str) -> PResult<Block> {
        let Some(open) = self.eat(&Tok::LBrace) else {
            self.block_expected("`{` to open", owner);
            return Err(Stop);
        };
        self.enter()?;
        self.nl.push(true);
        let mark = self.mark();
        let mut stmts = Vec::new();
        let end;
        loop {
            self.skip_separators();
            let from = self.pos;
            match self.peek() {
                Tok::RBrace => {
                    end = self.advance();
                    break;
                }
                Tok::Eof => {
                    self.block_expected("`}` to close", owner);
                    end = self.peek_tok().span;
                    break;
                }
                _ if self.at_member() => {
                    self.block_expected("`}` to close", owner);
                    end = self.prev_end();
                    break;
                }
                _ => {}
            }
            match self.stmt() {
                Ok(s) => {
                    stmts.push(s);
                    self.reset(mark);
                    if !self.at_line_end() {
                        self.expected("a new line or `;` after the statement");
                        self.recover(Recover::Line);
                    }
                }
                Err(Stop) => {
                    self.reset(mark);
                    self.recover(Recover::Line);
                }
            }
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        self.nl.pop();
        self.depth -= 1;
        Ok(Block {
            stmts,
            span: open.to(end),
        })
    }

    #[cold]
    #[inline(never)]
    fn block_expected(&mut self, what: &str, owner: &str) {
        self.expected(&format!("{what} {owner}"));
    }

    fn stmt(&mut self) -> PResult<Stmt> {
        // One call site: a small frame on the path of nested blocks.
        let f: fn(&mut Self) -> PResult<StmtKind> = match self.peek() {
            Tok::Kw(Kw::If) => Self::if_stmt,
            Tok::Kw(Kw::For) => Self::for_stmt,
            Tok::Kw(Kw::Let) => Self::let_stmt,
            Tok::Kw(Kw::Reject) => Self::reject_stmt,
            Tok::Kw(Kw::Emit) => Self::emit_stmt,
            Tok::Kw(Kw::Set) => Self::set_stmt,
            Tok::Kw(Kw::Remove) => Self::remove_stmt,
            Tok::Kw(Kw::Else) => Self::else_without_if,
            _ => Self::no_stmt,
        };
        let keyword = self.peek_tok().span;
        let kind = f(self)?;
        Ok(Stmt { kind, keyword })
    }

    fn no_stmt(&mut self) -> PResult<StmtKind> {
        self.stmt_expected();
        Err(Stop)
    }

    #[cold]
    #[inline(never)]
    fn stmt_expected(&mut self) {
        let t = self.peek_tok().clone();
        if t.synthetic {
            return;
        }
        let found = self.describe(&t);
        let hint = match t.tok {
            Tok::Ident(_) if self.peek_second() == &Tok::Assign => {
                " (write `set x = ...` to change the state, or `let x = ...` for a local name)"
            }
            _ => "",
        };
        self.error_at(
            t.span,
            format!(
                "expected a statement (`let`, `reject`, `emit`, `set`, `remove`, `if` or \
                 `for`), found {found}{hint}"
            ),
        );
    }

    fn let_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let name = self.ident("`let` name", Shape::Snake)?;
        if self.eat(&Tok::Assign).is_none() {
            return Err(self.expected(&format!("`=` and a value after `let {}`", name.name)));
        }
        self.skip_newlines();
        let value = self.expr()?;
        Ok(StmtKind::Let { name, value })
    }

    fn reject_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let reason = match self.peek() {
            Tok::Ident(_) => Some(self.ident("rejection reason", Shape::Snake)?),
            Tok::Kw(Kw::Invariant) => {
                let span = self.advance();
                self.error_at(
                    span,
                    "the rejection reason `invariant` is reserved for failed invariants; \
                     choose another reason",
                );
                Some(Ident {
                    name: "invariant".to_string(),
                    span,
                })
            }
            _ => None,
        };
        if !self.at(&Tok::StrStart) {
            return Err(self.expected(
                "the message of the rejection, a string such as `\"not allowed\"` \
                 (optionally after a snake_case reason)",
            ));
        }
        let message = self.string(None)?;
        let unless = if self.eat(&Tok::Kw(Kw::If)).is_some() {
            false
        } else if self.eat(&Tok::Kw(Kw::Unless)).is_some() {
            true
        } else {
            return Err(self.expected("`if` or `unless` and a condition after the message"));
        };
        self.skip_newlines();
        let cond = self.expr()?;
        Ok(StmtKind::Reject {
            reason,
            message,
            unless,
            cond,
        })
    }

    fn emit_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let event = self.kebab("event")?;
        if self.eat(&Tok::LParen).is_none() {
            return Err(self.expected(&format!(
                "`(` and the fields of event `{}`, as in `emit {}(id)` or `emit {}()`",
                event.name, event.name, event.name
            )));
        }
        let args = self.args(ArgsOf::Emit(&event.name))?;
        Ok(StmtKind::Emit { event, args })
    }

    fn set_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let path = self.path()?;
        self.expect(
            &Tok::Assign,
            "`=` and the new value after the path of `set`",
        )?;
        self.skip_newlines();
        let value = self.expr()?;
        Ok(StmtKind::Set { path, value })
    }

    fn remove_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let path = self.path()?;
        Ok(StmtKind::Remove { path })
    }

    #[cold]
    #[inline(never)]
    fn else_without_if(&mut self) -> PResult<StmtKind> {
        let t = self.peek_tok();
        if !t.synthetic {
            let span = t.span;
            self.error_at(
                span,
                "`else` without `if`: `else` must follow the `}` of an `if` block",
            );
        }
        Err(Stop)
    }

    fn for_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let var = self.ident("loop variable", Shape::Snake)?;
        if self.eat(&Tok::Kw(Kw::In)).is_none() {
            return Err(self.expected(&format!(
                "`in` after `for {}`, as in `for {} in items {{`",
                var.name, var.name
            )));
        }
        let iter = self.expr()?;
        let body = self.block("the body of the `for` loop")?;
        Ok(StmtKind::For { var, iter, body })
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let cond = self.expr()?;
        let body = self.block("the `if` block")?;
        let mut branches = vec![(cond, body)];
        let otherwise = self.else_chain(&mut branches)?;
        Ok(StmtKind::If {
            branches,
            otherwise,
        })
    }

    /// `else if c {...}`* and `else {...}` after the `}` of an `if`, on the
    /// same or a later line.
    fn else_chain(&mut self, branches: &mut Vec<(Expr, Block)>) -> PResult<Option<Block>> {
        loop {
            let save = self.pos;
            self.skip_newlines();
            if self.peek_raw() != &Tok::Kw(Kw::Else) {
                self.pos = save;
                return Ok(None);
            }
            self.advance();
            self.skip_newlines();
            if self.peek_raw() != &Tok::Kw(Kw::If) {
                return Ok(Some(self.block("the `else` block")?));
            }
            self.advance();
            let cond = self.expr()?;
            let body = self.block("the `else if` block")?;
            branches.push((cond, body));
        }
    }

    /// `root(.field | [index])*` of `set` and `remove`.
    fn path(&mut self) -> PResult<Path> {
        let root = if self.at_kw(Kw::State) {
            let span = self.advance();
            Ident {
                name: "state".to_string(),
                span,
            }
        } else {
            self.ident("state field name", Shape::Snake)?
        };
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    let f = self.ident("field name", Shape::Snake)?;
                    segments.push(PathSegment::Field(f));
                }
                Tok::LBracket => {
                    self.bump();
                    self.nl.push(false);
                    let index = self.expr()?;
                    self.expect(&Tok::RBracket, "`]` to close the index")?;
                    self.nl.pop();
                    segments.push(PathSegment::Index(index));
                }
                _ => break,
            }
        }
        Ok(Path { root, segments })
    }

    /// `name: value` or `name`, separated by `,`, after the opening token,
    /// through the closing one.
    fn args(&mut self, of: ArgsOf<'_>) -> PResult<Vec<Arg>> {
        let close = match of {
            ArgsOf::Emit(_) => Tok::RParen,
            ArgsOf::Record(_) => Tok::RBrace,
        };
        self.nl.push(false);
        let mut args = Vec::new();
        loop {
            if self.eat(&close).is_some() {
                break;
            }
            let name = match self.peek() {
                Tok::Ident(_) | Tok::Kw(_) => self.ident("field name", Shape::Snake)?,
                _ => {
                    self.args_expected(of, "`name: value`, a name, or");
                    return Err(Stop);
                }
            };
            let value = if self.eat(&Tok::Colon).is_some() {
                self.skip_newlines();
                self.expr()?
            } else {
                Expr {
                    kind: ExprKind::Name(name.clone()),
                    span: name.span,
                }
            };
            args.push(Arg { name, value });
            if self.eat(&Tok::Comma).is_none() && !self.at(&close) {
                self.args_expected(of, "`,` or");
                return Err(Stop);
            }
        }
        self.nl.pop();
        Ok(args)
    }

    #[cold]
    #[inline(never)]
    fn args_expected(&mut self, of: ArgsOf<'_>, what: &str) {
        let close = match of {
            ArgsOf::Emit(e) => format!("`)` to close `emit {e}(`"),
            ArgsOf::Record(r) => format!("`}}` to close the record `{r}{{`"),
        };
        self.expected(&format!("{what} {close}"));
    }

    // ----- expressions -----
    //
    // Every level of nesting in the source goes through `expr`, `binary`,
    // `unary`, `primary` and one helper; they are kept small (messages are
    // built in cold functions) so that `MAX_DEPTH` levels fit in a small
    // stack even in debug builds.

    /// A whole expression: `cond ? then : otherwise` or an operator chain.
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.binary(1);
        let r = match r {
            Ok(cond) if self.at(&Tok::Question) => self.cond_rest(cond),
            r => r,
        };
        self.depth -= 1;
        r
    }

    /// `? then : otherwise` after `cond`.
    fn cond_rest(&mut self, cond: Expr) -> PResult<Expr> {
        self.bump();
        self.skip_newlines();
        // As in CEL, the `?` branch is an `||` chain; the other one may be
        // another conditional.
        let then = self.binary(1)?;
        let save = self.pos;
        self.skip_newlines();
        if !self.at(&Tok::Colon) {
            self.pos = save;
            return Err(self.expected(
                "`:` and the value when the condition is false, as in `c ? a : b` \
                 (a conditional inside the `?` branch needs parentheses)",
            ));
        }
        self.bump();
        self.skip_newlines();
        let otherwise = self.expr()?;
        let span = cond.span.to(otherwise.span);
        Ok(Expr {
            kind: ExprKind::Cond {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        })
    }

    fn binop(&self) -> Option<(BinaryOp, u8)> {
        Some(match self.peek() {
            Tok::OrOr => (BinaryOp::Or, 1),
            Tok::AndAnd => (BinaryOp::And, 2),
            Tok::EqEq => (BinaryOp::Eq, 3),
            Tok::NotEq => (BinaryOp::Ne, 3),
            Tok::Lt => (BinaryOp::Lt, 3),
            Tok::Le => (BinaryOp::Le, 3),
            Tok::Gt => (BinaryOp::Gt, 3),
            Tok::Ge => (BinaryOp::Ge, 3),
            Tok::Kw(Kw::In) => (BinaryOp::In, 3),
            Tok::Plus => (BinaryOp::Add, 4),
            Tok::Minus => (BinaryOp::Sub, 4),
            Tok::Star => (BinaryOp::Mul, 5),
            Tok::Slash => (BinaryOp::Div, 5),
            Tok::Percent => (BinaryOp::Rem, 5),
            _ => return None,
        })
    }

    /// Operators of precedence `min` and up (precedence climbing; 1 `||`,
    /// 2 `&&`, 3 comparisons, 4 `+ -`, 5 `* / %`).
    fn binary(&mut self, min: u8) -> PResult<Expr> {
        let r = self.unary();
        match r {
            Ok(lhs) if self.binop().is_some_and(|(_, p)| p >= min) => self.binary_rest(lhs, min),
            r => r,
        }
    }

    fn binary_rest(&mut self, mut lhs: Expr, min: u8) -> PResult<Expr> {
        let saved = self.depth;
        let mut chained = false;
        while let Some((op, prec)) = self.binop() {
            if prec < min {
                break;
            }
            self.advance();
            self.skip_newlines();
            // Every operator nests the tree one level deeper.
            self.enter()?;
            let rhs = self.binary(prec + 1)?;
            if prec == 3 && !chained {
                if let Some((next, 3)) = self.binop() {
                    self.chained_comparison(op, next);
                    chained = true;
                }
            }
            lhs = binary_node(op, lhs, rhs);
        }
        self.depth = saved;
        Ok(lhs)
    }

    #[cold]
    #[inline(never)]
    fn chained_comparison(&mut self, op: BinaryOp, next: BinaryOp) {
        let at = self.peek_tok().span;
        let (a, b) = (op.symbol(), next.symbol());
        self.error_at(
            at,
            format!(
                "comparisons do not chain: `x {a} y {b} z` is not allowed; write \
                 `x {a} y && y {b} z`, or use parentheses"
            ),
        );
    }

    fn at_prefix_op(&self) -> bool {
        match self.peek() {
            Tok::Bang => true,
            // `-` right before an integer literal belongs to it.
            Tok::Minus => !matches!(self.peek_second(), Tok::Int(_)),
            _ => false,
        }
    }

    /// Prefix operators, then a primary with its postfix operators.
    fn unary(&mut self) -> PResult<Expr> {
        if self.at_prefix_op() {
            return self.prefixed();
        }
        let r = self.primary();
        match r {
            Ok(e) if matches!(self.peek(), Tok::Dot | Tok::LBracket) => self.postfix_rest(e),
            r => r,
        }
    }

    fn prefixed(&mut self) -> PResult<Expr> {
        let saved = self.depth;
        let mut ops = Vec::new();
        while self.at_prefix_op() {
            let op = if self.at(&Tok::Bang) {
                UnaryOp::Not
            } else {
                UnaryOp::Neg
            };
            let span = self.advance();
            self.skip_newlines();
            self.enter()?;
            ops.push((op, span));
        }
        let mut e = self.primary()?;
        if matches!(self.peek(), Tok::Dot | Tok::LBracket) {
            e = self.postfix_rest(e)?;
        }
        while let Some((op, span)) = ops.pop() {
            let span = span.to(e.span);
            e = Expr {
                kind: ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            };
        }
        self.depth = saved;
        Ok(e)
    }

    /// `.field`, `.method(args)` and `[index]` after `e`.
    fn postfix_rest(&mut self, mut e: Expr) -> PResult<Expr> {
        let saved = self.depth;
        loop {
            e = match self.peek() {
                Tok::Dot => self.member_access(e)?,
                Tok::LBracket => self.index(e)?,
                _ => break,
            };
        }
        self.depth = saved;
        Ok(e)
    }

    /// `.field` or `.method(args)` after `target`.
    fn member_access(&mut self, target: Expr) -> PResult<Expr> {
        self.advance();
        self.skip_newlines();
        self.enter()?;
        // Methods keep CEL's spelling (`startsWith`, `orValue`), so only a
        // field must be snake_case.
        let name = self.name_token("field or method name", "unit_price")?;
        if !self.at(&Tok::LParen) {
            self.check_shape(&name, "field name", Shape::Snake);
            let span = target.span.to(name.span);
            return Ok(Expr {
                kind: ExprKind::Field {
                    target: Box::new(target),
                    field: name,
                },
                span,
            });
        }
        self.advance();
        let (args, close) = self.call_args(&name.name)?;
        let span = target.span.to(close);
        Ok(Expr {
            kind: ExprKind::Method {
                target: Box::new(target),
                method: name,
                args,
            },
            span,
        })
    }

    /// `[index]` after `target`.
    fn index(&mut self, target: Expr) -> PResult<Expr> {
        self.advance();
        self.enter()?;
        self.nl.push(false);
        let index = self.expr()?;
        if !self.at(&Tok::RBracket) {
            return Err(self.expected("`]` to close the index"));
        }
        let close = self.advance();
        self.nl.pop();
        let span = target.span.to(close);
        Ok(Expr {
            kind: ExprKind::Index {
                target: Box::new(target),
                index: Box::new(index),
            },
            span,
        })
    }

    /// Arguments of a call, after `(`, through `)`.
    fn call_args(&mut self, func: &str) -> PResult<(Vec<Expr>, Span)> {
        self.nl.push(false);
        let mut args = Vec::new();
        loop {
            if let Some(close) = self.eat(&Tok::RParen) {
                self.nl.pop();
                return Ok((args, close));
            }
            args.push(self.expr()?);
            if self.eat(&Tok::Comma).is_none() && !self.at(&Tok::RParen) {
                self.call_args_expected(func);
                return Err(Stop);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn call_args_expected(&mut self, func: &str) {
        self.expected(&format!("`,` or `)` to close the arguments of `{func}`"));
    }

    fn int_literal(&mut self, magnitude: Option<u64>, negative: bool, span: Span) -> Expr {
        let value = match (magnitude, negative) {
            (Some(m), false) => i64::try_from(m).ok(),
            (Some(m), true) => 0i64.checked_sub_unsigned(m),
            (None, _) => None,
        };
        let value = value.unwrap_or_else(|| {
            let limit = if negative {
                "the smallest int is -9223372036854775808"
            } else {
                "the largest int is 9223372036854775807"
            };
            self.error_at(
                span,
                format!("integer literal out of range: {limit} (ints are 64-bit)"),
            );
            0
        });
        Expr {
            kind: ExprKind::Int(value),
            span,
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        // One call site: a small frame on the path of every nesting level.
        let f: fn(&mut Self) -> PResult<Expr> = match self.peek() {
            Tok::Int(_) | Tok::Float(_) | Tok::Kw(Kw::True | Kw::False | Kw::Null | Kw::State) => {
                Self::literal
            }
            Tok::Minus => Self::negative_int,
            Tok::StrStart => Self::string_expr,
            Tok::Ident(_) => Self::named,
            Tok::LParen => Self::paren,
            Tok::LBracket => Self::list,
            Tok::LBrace => Self::map,
            _ => Self::no_expr,
        };
        f(self)
    }

    fn no_expr(&mut self) -> PResult<Expr> {
        Err(self.expected("an expression"))
    }

    fn literal(&mut self) -> PResult<Expr> {
        let t = self.peek_tok();
        let span = t.span;
        let kind = match t.tok {
            Tok::Int(m) => {
                self.advance();
                return Ok(self.int_literal(m, false, span));
            }
            Tok::Float(f) => ExprKind::Float(f),
            Tok::Kw(Kw::True) => ExprKind::Bool(true),
            Tok::Kw(Kw::False) => ExprKind::Bool(false),
            Tok::Kw(Kw::State) => ExprKind::Name(Ident {
                name: "state".to_string(),
                span,
            }),
            _ => ExprKind::Null,
        };
        self.advance();
        Ok(Expr { kind, span })
    }

    fn string_expr(&mut self) -> PResult<Expr> {
        self.string(None)
    }

    /// A name: a variable, a call, a record literal or an enum member.
    fn named(&mut self) -> PResult<Expr> {
        let t = self.peek_tok();
        let Tok::Ident(name) = &t.tok else {
            return self.no_expr();
        };
        let id = Ident {
            name: name.clone(),
            span: t.span,
        };
        self.advance();
        if id.name.starts_with(|c: char| c.is_ascii_uppercase()) {
            self.type_led(id)
        } else {
            self.name_led(id)
        }
    }

    /// `-` and an integer literal: one literal.
    fn negative_int(&mut self) -> PResult<Expr> {
        let minus = self.advance();
        let Tok::Int(m) = *self.peek() else {
            return Err(self.expected("an expression"));
        };
        let lit = self.advance();
        Ok(self.int_literal(m, true, minus.to(lit)))
    }

    /// A snake_case name: a variable, or a call `f(args)`.
    fn name_led(&mut self, id: Ident) -> PResult<Expr> {
        self.check_shape(&id, "name", Shape::Snake);
        if !self.at(&Tok::LParen) {
            let span = id.span;
            return Ok(Expr {
                kind: ExprKind::Name(id),
                span,
            });
        }
        self.bump();
        let (args, close) = self.call_args(&id.name)?;
        let span = id.span.to(close);
        Ok(Expr {
            kind: ExprKind::Call { func: id, args },
            span,
        })
    }

    /// A PascalCase name: a record `Todo{...}` or an enum member `Status.open`.
    fn type_led(&mut self, id: Ident) -> PResult<Expr> {
        self.check_shape(&id, "type name", Shape::Pascal);
        if self.at(&Tok::LBrace) {
            self.bump();
            let fields = self.args(ArgsOf::Record(&id.name))?;
            let span = id.span.to(self.prev_end());
            return Ok(Expr {
                kind: ExprKind::Record { name: id, fields },
                span,
            });
        }
        if self.at(&Tok::Dot) {
            self.bump();
            self.skip_newlines();
            let member = self.ident("enum member name", Shape::Snake)?;
            let span = id.span.to(member.span);
            return Ok(Expr {
                kind: ExprKind::EnumMember { ty: id, member },
                span,
            });
        }
        self.lone_type_name(&id);
        Err(Stop)
    }

    #[cold]
    #[inline(never)]
    fn lone_type_name(&mut self, id: &Ident) {
        let name = &id.name;
        self.error_at(
            id.span,
            format!(
                "`{name}` is a type name: write `{name}{{field: value}}` for a record or \
                 `{name}.member` for an enum member (variables are snake_case)"
            ),
        );
    }

    fn paren(&mut self) -> PResult<Expr> {
        let open = self.advance();
        self.nl.push(false);
        let mut e = self.expr()?;
        if !self.at(&Tok::RParen) {
            return Err(self.expected("`)` to close `(`"));
        }
        let close = self.advance();
        self.nl.pop();
        e.span = open.to(close);
        Ok(e)
    }

    fn list(&mut self) -> PResult<Expr> {
        let open = self.advance();
        self.nl.push(false);
        let mut items = Vec::new();
        loop {
            if let Some(close) = self.eat(&Tok::RBracket) {
                self.nl.pop();
                return Ok(Expr {
                    kind: ExprKind::List(items),
                    span: open.to(close),
                });
            }
            items.push(self.expr()?);
            if self.eat(&Tok::Comma).is_none() && !self.at(&Tok::RBracket) {
                return Err(self.expected("`,` or `]` to close the list"));
            }
        }
    }

    fn map(&mut self) -> PResult<Expr> {
        let open = self.advance();
        self.nl.push(false);
        let mut entries = Vec::new();
        loop {
            if let Some(close) = self.eat(&Tok::RBrace) {
                self.nl.pop();
                return Ok(Expr {
                    kind: ExprKind::Map(entries),
                    span: open.to(close),
                });
            }
            entries.push(self.map_entry()?);
            if self.eat(&Tok::Comma).is_none() && !self.at(&Tok::RBrace) {
                return Err(self.expected("`,` or `}` to close the map"));
            }
        }
    }

    /// `key: value` in a map literal.
    fn map_entry(&mut self) -> PResult<(Expr, Expr)> {
        let key = self.expr()?;
        if !self.at(&Tok::Colon) {
            return Err(self.expected("`:` and a value after the map key, as in `{\"k\": v}`"));
        }
        self.advance();
        self.skip_newlines();
        let value = self.expr()?;
        Ok((key, value))
    }

    /// A string literal. `interps`, when given, collects where each `${`
    /// stands.
    fn string(&mut self, mut interps: Option<&mut Vec<Span>>) -> PResult<Expr> {
        let open = self.expect(&Tok::StrStart, "a string")?;
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut end = open;
        loop {
            if self.fatal {
                return Err(Stop);
            }
            let t = &self.toks[self.pos];
            let span = t.span;
            match &t.tok {
                Tok::StrText(s) => {
                    lit.push_str(s);
                    self.pos += 1;
                }
                Tok::InterpStart => {
                    self.pos += 1;
                    if let Some(v) = interps.as_deref_mut() {
                        v.push(span);
                    }
                    if !lit.is_empty() {
                        parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                    }
                    if let Some(e) = self.interpolation()? {
                        parts.push(StrPart::Expr(e));
                    }
                }
                Tok::StrEnd => {
                    end = span;
                    self.pos += 1;
                    break;
                }
                _ => break,
            }
        }
        if !lit.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Ok(Expr {
            kind: ExprKind::Str(parts),
            span: open.to(end),
        })
    }

    /// The expression of `${...}`, after `${`, through its `}`. An error in
    /// it is reported and skipped (`Ok(None)`), unless the parse stops.
    fn interpolation(&mut self) -> PResult<Option<Expr>> {
        let mark = self.mark();
        self.nl.push(false);
        let r = if self.at(&Tok::InterpEnd) {
            Err(self.expected("an expression inside `${}`"))
        } else {
            self.expr()
        };
        self.reset(mark);
        if self.fatal {
            return Err(Stop);
        }
        let e = r.ok();
        if e.is_some() && self.toks[self.pos].tok == Tok::InterpEnd {
            self.pos += 1;
            return Ok(e);
        }
        if e.is_some() {
            self.expected("`}` to close `${`");
        }
        self.skip_interp();
        Ok(e)
    }

    /// Skips to just past the `}` that closes the current `${`.
    fn skip_interp(&mut self) {
        let mut depth = 0u32;
        loop {
            match self.toks[self.pos].tok {
                Tok::Eof => return,
                Tok::InterpStart => depth += 1,
                Tok::InterpEnd => {
                    if depth == 0 {
                        self.pos += 1;
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }
}

/// What a list of `name: value` arguments belongs to, for messages.
#[derive(Debug, Clone, Copy)]
enum ArgsOf<'x> {
    /// `emit name(...)`
    Emit(&'x str),
    /// `Name{...}`
    Record(&'x str),
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
mod tests {
    use super::super::printer::{strip_expr_spans, strip_spans};
    use super::*;

    /// The shared models, read at run time: without `../shared` (or
    /// `EVENTFOLD_SHARED`), the tests that use them fail saying so.
    fn shared(relative: &str) -> String {
        crate::scenario::read_shared(relative).unwrap_or_else(|e| panic!("{e}"))
    }
    fn todos() -> &'static str {
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| shared("scenarios/todos.model"))
    }
    fn account() -> &'static str {
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| shared("scenarios/account.model"))
    }
    fn cart() -> &'static str {
        static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| shared("scenarios/cart.model"))
    }

    fn ok(src: &str) -> File {
        let (f, d) = parse(0, src);
        assert!(d.is_empty(), "unexpected diagnostics for {src:?}: {d:#?}");
        f
    }

    fn errs(src: &str) -> Vec<Diag> {
        let (_, d) = parse(0, src);
        assert!(!d.is_empty(), "expected diagnostics for {src:?}");
        d
    }

    fn has(diags: &[Diag], needle: &str) -> bool {
        diags.iter().any(|d| d.message.contains(needle))
    }

    /// 1-based (line, column in code points) of a diagnostic.
    fn line_col(src: &str, d: &Diag) -> (usize, usize) {
        let before = &src[..d.span.start as usize];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
        (line, col)
    }

    fn e(src: &str) -> Expr {
        let (e, d) = parse_expr(0, src);
        assert!(d.is_empty(), "unexpected diagnostics for {src:?}: {d:#?}");
        let mut e = e.unwrap();
        strip_expr_spans(&mut e);
        e
    }

    fn e_err(src: &str) -> Vec<Diag> {
        let (_, d) = parse_expr(0, src);
        assert!(!d.is_empty(), "expected diagnostics for {src:?}");
        d
    }

    fn n(name: &str) -> Ident {
        Ident {
            name: name.into(),
            span: Span::default(),
        }
    }

    fn x(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    fn name(s: &str) -> Expr {
        x(ExprKind::Name(n(s)))
    }

    fn int(v: i64) -> Expr {
        x(ExprKind::Int(v))
    }

    fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
        x(ExprKind::Binary {
            op,
            lhs: Box::new(l),
            rhs: Box::new(r),
        })
    }

    fn one_model(src: &str) -> Model {
        let mut f = ok(src);
        assert_eq!(f.models.len(), 1);
        f.models.remove(0)
    }

    fn stmts_of_first_handler(m: &Model) -> &[Stmt] {
        for mem in &m.members {
            if let Member::Command(h) | Member::Event(h) = mem {
                return &h.body.stmts;
            }
        }
        panic!("no handler")
    }

    #[test]
    fn shared_models_parse_cleanly() {
        for (src, name, members) in [
            (todos(), "Todos", 18),
            (account(), "Account", 12),
            (cart(), "Cart", 16),
        ] {
            let f = ok(src);
            assert_eq!(f.models.len(), 1);
            assert_eq!(f.models[0].name.name, name);
            assert_eq!(f.models[0].members.len(), members, "{name}");
        }
    }

    #[test]
    fn todos_details() {
        let f = ok(todos());
        let m = &f.models[0];
        assert_eq!(
            m.doc.as_deref(),
            Some("A list of things to do, after the todo model of the original design notes.")
        );
        let Member::State(state) = &m.members[0] else {
            panic!()
        };
        assert_eq!(state.doc, None);
        assert_eq!(
            &todos()[state.keyword.start as usize..state.keyword.end as usize],
            "state"
        );
        assert_eq!(
            state.fields[0].doc.as_deref(),
            Some("Every todo on the list, by id.")
        );
        assert_eq!(state.fields[0].name.name, "todos");
        let Member::Record(r) = &m.members[1] else {
            panic!()
        };
        assert_eq!(r.doc.as_deref(), Some("One thing to do."));
        let Member::Command(c) = &m.members[2] else {
            panic!()
        };
        assert_eq!(c.name.name, "create-new");
        assert_eq!(c.doc.as_deref(), Some("Put a new todo on the list."));
        assert_eq!(
            &todos()[c.name.span.start as usize..c.name.span.end as usize],
            "create-new"
        );
        let StmtKind::Reject {
            reason,
            message,
            unless,
            cond,
        } = &c.body.stmts[0].kind
        else {
            panic!()
        };
        assert_eq!(reason.as_ref().unwrap().name, "duplicate");
        assert!(!unless);
        let ExprKind::Str(parts) = &message.kind else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
        let StrPart::Expr(id) = &parts[1] else {
            panic!()
        };
        // The interpolated expression points into the file.
        assert_eq!(&todos()[id.span.start as usize..id.span.end as usize], "id");
        assert!(matches!(
            cond.kind,
            ExprKind::Binary {
                op: BinaryOp::In,
                ..
            }
        ));
        let StmtKind::Emit { event, args } = &c.body.stmts[2].kind else {
            panic!()
        };
        assert_eq!(event.name, "created");
        assert_eq!(args.len(), 3);
        assert_eq!(args[0].value.kind, ExprKind::Name(args[0].name.clone()));
        assert_eq!(
            &todos()[c.body.stmts[2].keyword.start as usize..][..4],
            "emit"
        );
    }

    #[test]
    fn check_cases_that_are_syntactically_fine() {
        // The check scenarios whose errors belong to the checker must parse.
        for src in [
            "model M {\n  command go() {\n    emit gone()\n  }\n}\n",
            "model M {\n  state {\n    count: int\n  }\n  command bump() {\n    set count = count + 1\n  }\n}\n",
            "model M {\n  event bumped() {\n    reject \"no\" if true\n  }\n}\n",
            "model M {\n  query q(): int = cuont\n}\n",
            "model M {\n  command go() {\n    let x = 1\n    let x = 2\n  }\n}\n",
            "model M {\n  state {\n    items: list<Thing>\n  }\n}\n",
            "model M {\n}\nmodel M {\n}\n",
            "",
            "// nothing here\n\n",
        ] {
            ok(src);
        }
        // Statement keywords are where the checker reports them.
        let src = "model M {\n  state {\n    count: int\n  }\n  command bump() {\n    set count = count + 1\n  }\n}\n";
        let m = one_model(src);
        let s = &stmts_of_first_handler(&m)[0];
        assert_eq!(line_col(src, &Diag::new(s.keyword, "")), (6, 5));
        let src = "model M {\n  query q(): int = cuont\n}\n";
        let m = one_model(src);
        let Member::Query(q) = &m.members[0] else {
            panic!()
        };
        assert_eq!(line_col(src, &Diag::new(q.body.span, "")), (2, 20));
    }

    #[test]
    fn check_scenario_sources() {
        // Of the compile cases, only the unclosed block is a syntax error;
        // the others are the checker's to refuse.
        let json: serde_json::Value =
            serde_json::from_str(&shared("scenarios/check.scenarios.json")).unwrap();
        let mut seen = 0;
        for case in json["cases"].as_array().unwrap() {
            let Some(src) = case["source"].as_str() else {
                continue;
            };
            seen += 1;
            let (_, d) = parse(0, src);
            let name = case["name"].as_str().unwrap();
            if name.contains("unclosed block") {
                assert_eq!(d.len(), 1, "{name}: {d:#?}");
                assert!(d[0]
                    .message
                    .contains("expected `}` to close the block of command `go`"));
            } else {
                assert!(d.is_empty(), "{name}: {d:#?}");
            }
        }
        assert!(seen >= 10);
    }

    #[test]
    fn crlf_sources() {
        for src in [todos(), account(), cart()] {
            let (mut a, d) = parse(0, src);
            assert!(d.is_empty());
            let (mut b, d) = parse(0, &src.replace('\n', "\r\n"));
            assert!(d.is_empty(), "{d:#?}");
            strip_spans(&mut a);
            strip_spans(&mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn unclosed_block() {
        let src = "model M {\n  command go() {\n    emit went()\n";
        let d = errs(src);
        assert!(
            has(
                &d,
                "expected `}` to close the block of command `go`, found the end of the file"
            ),
            "{d:#?}"
        );
        assert_eq!(d[0].span.start as usize, src.len());
    }

    #[test]
    fn precedence() {
        use BinaryOp::*;
        assert_eq!(
            e("a || b && c"),
            bin(Or, name("a"), bin(And, name("b"), name("c")))
        );
        assert_eq!(
            e("a && b == c"),
            bin(And, name("a"), bin(Eq, name("b"), name("c")))
        );
        assert_eq!(
            e("a == b + c"),
            bin(Eq, name("a"), bin(Add, name("b"), name("c")))
        );
        assert_eq!(
            e("a + b * c"),
            bin(Add, name("a"), bin(Mul, name("b"), name("c")))
        );
        assert_eq!(
            e("a - b - c"),
            bin(Sub, bin(Sub, name("a"), name("b")), name("c"))
        );
        assert_eq!(
            e("a / b % c"),
            bin(Rem, bin(Div, name("a"), name("b")), name("c"))
        );
        assert_eq!(
            e("x in l && y"),
            bin(And, bin(In, name("x"), name("l")), name("y"))
        );
        assert_eq!(
            e("!a.b"),
            x(ExprKind::Unary {
                op: UnaryOp::Not,
                expr: Box::new(x(ExprKind::Field {
                    target: Box::new(name("a")),
                    field: n("b")
                }))
            })
        );
        assert_eq!(
            e("-a * b"),
            bin(
                Mul,
                x(ExprKind::Unary {
                    op: UnaryOp::Neg,
                    expr: Box::new(name("a"))
                }),
                name("b")
            )
        );
        // `? :` is lowest and right-associative.
        let c = |a, b, c| {
            x(ExprKind::Cond {
                cond: Box::new(a),
                then: Box::new(b),
                otherwise: Box::new(c),
            })
        };
        assert_eq!(
            e("a || b ? c : d ? e : f"),
            c(
                bin(Or, name("a"), name("b")),
                name("c"),
                c(name("d"), name("e"), name("f"))
            )
        );
        // Postfix chains and calls.
        assert_eq!(
            e("size(values(m).filter(t, t.done)[0])"),
            x(ExprKind::Call {
                func: n("size"),
                args: vec![x(ExprKind::Index {
                    target: Box::new(x(ExprKind::Method {
                        target: Box::new(x(ExprKind::Call {
                            func: n("values"),
                            args: vec![name("m")]
                        })),
                        method: n("filter"),
                        args: vec![
                            name("t"),
                            x(ExprKind::Field {
                                target: Box::new(name("t")),
                                field: n("done")
                            })
                        ]
                    })),
                    index: Box::new(int(0))
                })]
            })
        );
        assert_eq!(
            e("(a + b) * c"),
            bin(Mul, bin(Add, name("a"), name("b")), name("c"))
        );
        assert_eq!(
            e("state.owner").kind,
            ExprKind::Field {
                target: Box::new(name("state")),
                field: n("owner")
            }
        );
        assert_eq!(
            e("string(1)").kind,
            ExprKind::Call {
                func: n("string"),
                args: vec![int(1)]
            }
        );
    }

    #[test]
    fn comparisons_do_not_chain() {
        for src in ["a < b < c", "a == b == c", "a in b in c", "a < b + 1 >= c"] {
            let d = e_err(src);
            assert!(has(&d, "comparisons do not chain"), "{src}: {d:#?}");
        }
        e("(a < b) == c");
        e("a < b && b < c");
    }

    #[test]
    fn literals() {
        assert_eq!(e("1_000"), int(1000));
        assert_eq!(e("-9223372036854775808"), int(i64::MIN));
        assert_eq!(e("9223372036854775807"), int(i64::MAX));
        assert_eq!(e("-5"), int(-5));
        assert_eq!(e("3 - 5"), bin(BinaryOp::Sub, int(3), int(5)));
        assert_eq!(e("3 - -5"), bin(BinaryOp::Sub, int(3), int(-5)));
        assert_eq!(
            e("-(5)"),
            x(ExprKind::Unary {
                op: UnaryOp::Neg,
                expr: Box::new(int(5))
            })
        );
        assert_eq!(
            e("- -5"),
            x(ExprKind::Unary {
                op: UnaryOp::Neg,
                expr: Box::new(int(-5))
            })
        );
        assert_eq!(
            e("-1.5"),
            x(ExprKind::Unary {
                op: UnaryOp::Neg,
                expr: Box::new(x(ExprKind::Float(1.5)))
            })
        );
        assert_eq!(e(".5"), x(ExprKind::Float(0.5)));
        assert_eq!(e("1E+2"), x(ExprKind::Float(100.0)));
        assert_eq!(e("true").kind, ExprKind::Bool(true));
        assert_eq!(e("null").kind, ExprKind::Null);
        assert_eq!(e("[1, 2,]").kind, ExprKind::List(vec![int(1), int(2)]));
        assert_eq!(e("[]").kind, ExprKind::List(vec![]));
        assert_eq!(e("{}").kind, ExprKind::Map(vec![]));
        assert_eq!(
            e("{\"k\": 1, k2: 2,}").kind,
            ExprKind::Map(vec![
                (x(ExprKind::Str(vec![StrPart::Lit("k".into())])), int(1)),
                (name("k2"), int(2))
            ])
        );
        assert_eq!(
            e("Todo{id: 1, text,}").kind,
            ExprKind::Record {
                name: n("Todo"),
                fields: vec![
                    Arg {
                        name: n("id"),
                        value: int(1)
                    },
                    Arg {
                        name: n("text"),
                        value: name("text")
                    }
                ]
            }
        );
        assert_eq!(
            e("Status.open").kind,
            ExprKind::EnumMember {
                ty: n("Status"),
                member: n("open")
            }
        );
        assert_eq!(e("\"\"").kind, ExprKind::Str(vec![]));
    }

    #[test]
    fn int_range() {
        for src in [
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999",
        ] {
            let d = e_err(src);
            assert!(has(&d, "integer literal out of range"), "{src}: {d:#?}");
            assert_eq!(d[0].span.start, 0);
        }
        // Not folded: the magnitude alone is out of range.
        let d = e_err("-(9223372036854775808)");
        assert!(has(&d, "integer literal out of range"));
    }

    #[test]
    fn strings_and_interpolation() {
        let src = r#""a ${x + size("${y}")} \${z} \u{1F600}\"""#;
        let (ex, d) = parse_expr(7, src);
        assert!(d.is_empty(), "{d:#?}");
        let ex = ex.unwrap();
        assert_eq!(ex.span, Span::new(7, 0, src.len()));
        let ExprKind::Str(parts) = &ex.kind else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], StrPart::Lit("a ".into()));
        assert_eq!(parts[2], StrPart::Lit(" ${z} \u{1F600}\"".into()));
        let StrPart::Expr(inner) = &parts[1] else {
            panic!()
        };
        assert_eq!(
            &src[inner.span.start as usize..inner.span.end as usize],
            "x + size(\"${y}\")"
        );
        let ExprKind::Binary { rhs, .. } = &inner.kind else {
            panic!()
        };
        let ExprKind::Call { args, .. } = &rhs.kind else {
            panic!()
        };
        let ExprKind::Str(inner_parts) = &args[0].kind else {
            panic!()
        };
        let StrPart::Expr(y) = &inner_parts[0] else {
            panic!()
        };
        assert_eq!(&src[y.span.start as usize..y.span.end as usize], "y");
        // Braces inside `${}`.
        let ex = e(r#""${ {"k": 1}["k"] }""#);
        let ExprKind::Str(parts) = ex.kind else {
            panic!()
        };
        assert!(matches!(
            &parts[0],
            StrPart::Expr(Expr {
                kind: ExprKind::Index { .. },
                ..
            })
        ));
        // Errors.
        assert!(has(
            &e_err(r#""${}""#),
            "expected an expression inside `${}`"
        ));
        assert!(has(
            &e_err(r#""${a b}""#),
            "expected `}` to close `${`, found `b`"
        ));
        assert!(has(&e_err(r#""\q""#), "invalid escape"));
        assert!(has(&e_err("\"abc"), "unterminated string"));
        assert!(has(&e_err("\"\\u{110000}\""), "not a Unicode scalar"));
    }

    #[test]
    fn invariant_text_must_be_plain() {
        let m = one_model("model M {\n  invariant \"a \\${b}\": true\n}\n");
        let Member::Invariant(inv) = &m.members[0] else {
            panic!()
        };
        assert_eq!(inv.text, "a ${b}");
        let src = "model M {\n  invariant \"a ${b}\": true\n}\n";
        let d = errs(src);
        assert!(has(&d, "must be a plain string"));
        assert_eq!(line_col(src, &d[0]), (2, 16));
    }

    #[test]
    fn newline_rules() {
        // Continuations after binary operators, `?`, `:`, `=` and `,`, and
        // inside brackets.
        let src = "model M {
  state {
    customer: string?
    total: int = 1 +
      2
    m: map<string, int> = {
      \"a\": 1,
      \"b\": 2
    }
  }
  query q(
    a: int
    b: int
  ): int = a >
    b ?
    1 :
    2
  command go(id: string) {
    let x = [
      1,
      2
    ]
    emit went(
      id,
      n: size(
        x)
    ); let y = 1
    if x == [] {
    }
    else if y > 1 { } else
    {
    }
    reject bad \"no\" if
      y > 3
  }
}
";
        let m = one_model(src);
        let Member::State(st) = &m.members[0] else {
            panic!()
        };
        assert_eq!(st.fields.len(), 3);
        assert!(matches!(st.fields[0].ty.kind, TypeKind::Optional(_)));
        assert!(st.fields[0].default.is_none());
        let Member::Query(q) = &m.members[1] else {
            panic!()
        };
        assert_eq!(q.params.len(), 2, "a newline separates params");
        assert!(matches!(q.body.kind, ExprKind::Cond { .. }));
        let stmts = stmts_of_first_handler(&m);
        assert_eq!(stmts.len(), 5);
        let StmtKind::If {
            branches,
            otherwise,
        } = &stmts[3].kind
        else {
            panic!()
        };
        assert_eq!(branches.len(), 2);
        assert!(otherwise.is_some());

        // A newline ends the statement: the next line is not a continuation.
        let d = errs("model M {\n  command go() {\n    let x = a\n      + b\n  }\n}\n");
        assert!(has(&d, "expected a statement"), "{d:#?}");
        let d = errs("model M {\n  command go() {\n    let x = f\n    (b)\n  }\n}\n");
        assert!(has(&d, "expected a statement"), "{d:#?}");
        // Two statements on a line need `;`.
        let d = errs("model M {\n  command go() {\n    let x = 1 let y = 2\n  }\n}\n");
        assert!(
            has(
                &d,
                "expected a new line or `;` after the statement, found the keyword `let`"
            ),
            "{d:#?}"
        );
        ok("model M {\n  command go() {\n    let x = 1; let y = 2;\n  }\n}\n");
        // Fields end at newlines.
        let d = errs("model M {\n  state {\n    a: int b: int\n  }\n}\n");
        assert!(
            has(&d, "expected a new line or `;` after the field, found `b`"),
            "{d:#?}"
        );
        ok("model M {\n  state { a: int; b: int }\n}\n");
        // `list<int>=` splits `>=`.
        let m = one_model("model M {\n  state {\n    l: list<int>= [1]\n  }\n}\n");
        let Member::State(st) = &m.members[0] else {
            panic!()
        };
        assert!(st.fields[0].default.is_some());
    }

    #[test]
    fn statements() {
        let src = "model M {
  event e(a: int) {
    let v = a
    reject \"no\" unless v > 0
    emit x-y()
    set s.f[a].g = 1
    remove s[a]
    for i in l {
      set t = i
    }
    if a { } else if b { }
  }
}
";
        let m = one_model(src);
        let stmts = stmts_of_first_handler(&m);
        let kw: Vec<&str> = stmts
            .iter()
            .map(|s| &src[s.keyword.start as usize..s.keyword.end as usize])
            .collect();
        assert_eq!(kw, ["let", "reject", "emit", "set", "remove", "for", "if"]);
        let StmtKind::Reject {
            reason: None,
            unless: true,
            ..
        } = &stmts[1].kind
        else {
            panic!("{:?}", stmts[1])
        };
        let StmtKind::Set { path, .. } = &stmts[3].kind else {
            panic!()
        };
        assert_eq!(path.root.name, "s");
        assert_eq!(path.segments.len(), 3);
        assert!(matches!(&path.segments[1], PathSegment::Index(_)));
    }

    #[test]
    fn kebab_names() {
        let m = one_model("model M {\n  command in-list() {\n    emit if-else()\n  }\n  query a-1(): int = 1\n}\n");
        let Member::Command(c) = &m.members[0] else {
            panic!()
        };
        assert_eq!(c.name.name, "in-list");
        let d = errs("model M {\n  command in() {}\n}\n");
        assert!(
            has(&d, "`in` is a keyword and cannot be the name of a command"),
            "{d:#?}"
        );
        let d = errs("model M {\n  command CreateNew() {}\n}\n");
        assert!(has(&d, "must be kebab-case"), "{d:#?}");
        assert!(has(&d, "`create-new`"), "{d:#?}");
        let d = errs("model M {\n  event done_it() {}\n}\n");
        assert!(has(&d, "such as `done-it`"), "{d:#?}");
        let d = errs("model M {\n  command go() {\n    emit Went()\n  }\n}\n");
        assert!(
            has(&d, "the event name `Went` must be kebab-case"),
            "{d:#?}"
        );
    }

    #[test]
    fn name_shapes() {
        let src = "model foo {\n  state {\n    Count: int\n  }\n  record line_item {}\n  enum Status { Open }\n}\n";
        let d = errs(src);
        assert!(has(&d, "the model name `foo` must be PascalCase"), "{d:#?}");
        assert!(
            has(&d, "the field name `Count` must be snake_case"),
            "{d:#?}"
        );
        assert!(has(&d, "such as `count`"), "{d:#?}");
        assert!(has(&d, "such as `LineItem`"), "{d:#?}");
        assert!(
            has(&d, "the enum member name `Open` must be snake_case"),
            "{d:#?}"
        );
        assert_eq!(d.len(), 4);
        assert_eq!(line_col(src, &d[1]), (3, 5));
        let d = e_err("fooBar + 1");
        assert!(
            has(
                &d,
                "the name `fooBar` must be snake_case, such as `foo_bar`"
            ) || has(&d, "such as `foo_bar`"),
            "{d:#?}"
        );
        let d = e_err("Foo + 1");
        assert!(has(&d, "`Foo` is a type name"), "{d:#?}");
        let d = errs("model M {\n  state {\n    in: int\n  }\n}\n");
        assert!(
            has(&d, "found the keyword `in`, which cannot be used as a name"),
            "{d:#?}"
        );
    }

    #[test]
    fn types() {
        let m = one_model(
            "model M {\n  state {\n    a: map<string, list<Todo?>>?\n    b: timestamp\n  }\n}\n",
        );
        let Member::State(st) = &m.members[0] else {
            panic!()
        };
        let TypeKind::Optional(inner) = &st.fields[0].ty.kind else {
            panic!()
        };
        let TypeKind::Map(k, v) = &inner.kind else {
            panic!()
        };
        assert_eq!(k.kind, TypeKind::String);
        let TypeKind::List(item) = &v.kind else {
            panic!()
        };
        assert!(
            matches!(&item.kind, TypeKind::Optional(t) if matches!(&t.kind, TypeKind::Named(n) if n.name == "Todo"))
        );
        let d = errs("model M {\n  query q(a: ): int = 1\n}\n");
        assert!(
            has(
                &d,
                "expected a type such as `int`, `string` or `list<T>`, found `)`"
            ),
            "{d:#?}"
        );
        let d = errs("model M {\n  state {\n    a: integer\n  }\n}\n");
        assert!(has(&d, "found `integer`"), "{d:#?}");
        let d = errs("model M {\n  state {\n    a: list<int\n  }\n}\n");
        assert!(has(&d, "expected `>` to close `list<`"), "{d:#?}");
    }

    #[test]
    fn docs() {
        let src = "/// Model doc\n///second line\n///\nmodel M {\n  /// state doc\n  state {\n    /// field doc\n    a: int\n    b: int /// not a doc\n  }\n\n  /// stray doc, then a blank line\n\n  /// enum doc\n  enum E {\n    /// member doc\n    x,\n    y\n  }\n  /// ignored: not before a declaration\n}\n";
        let m = one_model(src);
        assert_eq!(m.doc.as_deref(), Some("Model doc\nsecond line\n"));
        let Member::State(st) = &m.members[0] else {
            panic!()
        };
        assert_eq!(st.doc.as_deref(), Some("state doc"));
        assert_eq!(st.fields[0].doc.as_deref(), Some("field doc"));
        assert_eq!(st.fields[1].doc, None);
        let Member::Enum(en) = &m.members[1] else {
            panic!()
        };
        assert_eq!(en.doc.as_deref(), Some("enum doc"));
        assert_eq!(en.members[0].doc.as_deref(), Some("member doc"));
        assert_eq!(en.members[1].doc, None);
        // A doc on a one-line declaration goes to its first token only.
        let m = one_model("model M {\n  /// s\n  state { a: int }\n}\n");
        let Member::State(st) = &m.members[0] else {
            panic!()
        };
        assert_eq!(st.doc.as_deref(), Some("s"));
        assert_eq!(st.fields[0].doc, None);
        // Docs inside blocks and expressions are ignored.
        ok("model M {\n  command go() {\n    /// what\n    let x = [\n      /// item\n      1\n    ]\n  }\n}\n");
    }

    #[test]
    fn several_models() {
        let f = ok("model A {}\n\nmodel B {\n}\nmodel C { state {} }");
        assert_eq!(f.models.len(), 3);
    }

    #[test]
    fn recovery_reports_every_error() {
        let src = "model M {
  command a() {
    let = 1
    emit ok()
  }
  command b(x int) {
    emit ok()
  }
  query c(): int = 1 +
  event d() {
    set x = )
    set y = 2
  }
  record R {
    f: int
    g int
  }
}
model N {
  state {
    a: int
  }
  event ok() { set a = a + }
}
";
        let (f, d) = parse(0, src);
        let lines: Vec<usize> = d.iter().map(|d| line_col(src, d).0).collect();
        assert_eq!(lines, vec![3, 6, 10, 11, 16, 23], "{d:#?}");
        assert!(has(
            &d,
            "expected a `let` name such as `unit_price`, found `=`"
        ));
        assert!(has(
            &d,
            "expected `:` and a type after `x`, as in `x: int`, found `int`"
        ));
        assert!(has(&d, "expected an expression, found the keyword `event`"));
        assert!(has(&d, "expected an expression, found `)`"));
        assert!(has(&d, "expected `:` and a type after `g`"));
        assert!(has(&d, "expected an expression, found `}`"));
        // The parts that parsed are there.
        assert_eq!(f.models.len(), 2);
        let names: Vec<&str> = f.models[0]
            .members
            .iter()
            .map(|m| match m {
                Member::Command(h) | Member::Event(h) => h.name.name.as_str(),
                Member::Record(r) => r.name.name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["a", "b", "d", "R"]);
        let Member::Event(ev) = &f.models[0].members[2] else {
            panic!()
        };
        assert_eq!(
            ev.body.stmts.len(),
            1,
            "the statement after the bad one is kept"
        );
    }

    #[test]
    fn two_errors_in_two_members() {
        let src = "model M {\n  query a(): int = (1 +\n  query b(): int = 2 * * 3\n}\n";
        let d = errs(src);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert_eq!(line_col(src, &d[0]).0, 3);
        let src = "model M {\n  command a() {\n    emit x(,)\n  }\n  command b() {\n    let y = [1 2]\n  }\n}\n";
        let d = errs(src);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(has(
            &d,
            "expected `,` or `]` to close the list, found the number `2`"
        ));
        assert_eq!(line_col(src, &d[1]), (6, 16));
    }

    #[test]
    fn missing_braces() {
        let src = "model M {\n  command go() {\n    emit went()\n  event went() {}\n}\n";
        let (f, d) = parse(0, src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains(
            "expected `}` to close the block of command `go`, found the keyword `event`"
        ));
        assert_eq!(f.models[0].members.len(), 2);
        let src = "model A {\n  state {}\nmodel B {}\n";
        let (f, d) = parse(0, src);
        assert!(has(
            &d,
            "expected `}` to close model `A`, found the keyword `model`"
        ));
        assert_eq!(f.models.len(), 2);
        let d = errs("model M {\n  state {\n    a: int\n  command go() {}\n}\n");
        assert!(
            has(
                &d,
                "expected `}` to close the state, found the keyword `command`"
            ),
            "{d:#?}"
        );
        let d = errs("x = 1\nmodel M {}\n");
        assert!(has(&d, "expected `model`"), "{d:#?}");
        let d = errs("model M {\n  command go() {\n  }\n  }\n}\n");
        assert!(has(&d, "expected `model`"), "{d:#?}");
        let d = errs("model M {\n  command go() {\n    else { }\n  }\n}\n");
        assert!(has(&d, "`else` without `if`"), "{d:#?}");
        let d = errs("model M {\n  command go() {\n    x = 1\n  }\n}\n");
        assert!(has(&d, "write `set x = ...`"), "{d:#?}");
        let d = errs("model M {\n  enum E {}\n}\n");
        assert!(has(&d, "needs at least one member"), "{d:#?}");
    }

    #[test]
    fn state_is_an_expression_too() {
        let src = "model M {\n  command go() {\n    let x = )\n    let y = state.owner\n    set state.owner = 1\n  }\n}\n";
        let (f, d) = parse(0, src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(stmts_of_first_handler(&f.models[0]).len(), 2);
        // After an error, recovery does not mistake `state.` for a member.
        let src = "model M {\n  command go() {\n    let x = 1 + * state.a\n    emit e()\n  }\n}\n";
        let (f, d) = parse(0, src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(stmts_of_first_handler(&f.models[0]).len(), 1);
    }

    #[test]
    fn reject_reason_invariant_is_reserved() {
        let src = "model M {\n  command go() {\n    reject invariant \"no\" if true\n  }\n}\n";
        let d = errs(src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains("`invariant` is reserved"));
        assert_eq!(line_col(src, &d[0]), (3, 12));
    }

    fn deep_ok_or_err(src: &str) {
        let (_, d) = parse(0, src);
        assert!(has(&d, "nested too deeply"), "{d:#?}");
        assert!(d.len() <= 3, "{d:#?}");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 10_000;
        for (open, close) in [
            ("(", ")"),
            ("[", "]"),
            ("{", "}"),
            ("-(", ")"),
            ("\"${", "}\""),
            ("f(", ")"),
            ("a[", "]"),
        ] {
            let src = format!(
                "model M {{\n  query q(): int = {}1{}\n}}\n",
                open.repeat(n),
                close.repeat(n)
            );
            deep_ok_or_err(&src);
            let src = format!("model M {{\n  query q(): int = {}\n", open.repeat(n));
            deep_ok_or_err(&src);
        }
        for op in ["!", "-", "- "] {
            deep_ok_or_err(&format!(
                "model M {{\n  query q(): int = {}x\n}}\n",
                op.repeat(n)
            ));
        }
        for op in ["+", "*", " && ", " in "] {
            deep_ok_or_err(&format!(
                "model M {{\n  query q(): int = x{}\n}}\n",
                format!("{op}x").repeat(n)
            ));
        }
        for op in [".f", "[0]", ".m()"] {
            deep_ok_or_err(&format!(
                "model M {{\n  query q(): int = x{}\n}}\n",
                op.repeat(n)
            ));
        }
        deep_ok_or_err(&format!(
            "model M {{\n  query q(): int = {}1\n}}\n",
            "x ? 1 : ".repeat(n)
        ));
        deep_ok_or_err(&format!(
            "model M {{\n  state {{\n    a: {}int{}\n  }}\n}}\n",
            "list<".repeat(n),
            ">".repeat(n)
        ));
        deep_ok_or_err(&format!(
            "model M {{\n  state {{\n    a: int{}\n  }}\n}}\n",
            "?".repeat(n)
        ));
        deep_ok_or_err(&format!(
            "model M {{\n  command go() {{\n{}\n  }}\n}}\n",
            "if x {\n".repeat(n)
        ));
        deep_ok_or_err(&format!(
            "model M {{\n  command go() {{\n{}{}\n  }}\n}}\n",
            "for x in y {\n".repeat(n),
            "}".repeat(n)
        ));
        // Moderate nesting is fine.
        let src = format!(
            "model M {{\n  query q(): int = {}1{}\n}}\n",
            "(".repeat(50),
            ")".repeat(50)
        );
        ok(&src);
    }

    #[test]
    fn deep_nesting_in_a_small_stack() {
        // The limit must hold well within a 2 MiB thread stack.
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let src = format!(
                    "model M {{\n  query q(): int = {}\n}}\n",
                    "[(".repeat(5_000)
                );
                deep_ok_or_err(&src);
                let src = format!(
                    "model M {{\n  command go() {{\n{}\n}}\n}}\n",
                    "if [(a)] { let x = \"${[(".repeat(1_000)
                );
                let _ = parse(0, &src);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn diagnostics_point_at_the_offending_token() {
        let src = "model M {\n  query q(): int = é + )\n}\n";
        let d = errs(src);
        assert_eq!(line_col(src, &d[0]), (2, 20));
        assert!(d[0].message.contains("unexpected character `é`"));
        let src = "model M {\n  query q(): string = \"é\" + )\n}\n";
        let d = errs(src);
        assert_eq!(line_col(src, &d[0]), (2, 29));
        assert!(d[0].message.contains("found `)`"));
    }

    #[test]
    fn spans_carry_the_file() {
        let (f, d) = parse(9, "model M { query q(): int = a + b }");
        assert!(d.is_empty());
        assert_eq!(f.models[0].name.span, Span::new(9, 6, 7));
        let Member::Query(q) = &f.models[0].members[0] else {
            panic!()
        };
        assert_eq!(q.body.span, Span::new(9, 27, 32));
    }

    /// A small deterministic generator, for fuzzing without extra crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn mutated_models_never_panic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let pieces = [
            "{",
            "}",
            "(",
            ")",
            "[",
            "]",
            "\"",
            "${",
            "\n",
            ",",
            ":",
            "?",
            "-",
            "=",
            "if ",
            "else ",
            "emit ",
            "command ",
            "model ",
            "é",
            "\\",
            "///",
            "1_",
            "9999999999999999999999",
            "<",
            ">",
            "state",
            ".",
            "\u{0}",
        ];
        for src in [todos(), account(), cart()] {
            for _ in 0..150 {
                let mut s = src.to_string();
                for _ in 0..1 + rng.below(4) {
                    let mut at = rng.below(s.len() + 1);
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    match rng.below(3) {
                        0 => s.insert_str(at, pieces[rng.below(pieces.len())]),
                        1 => {
                            let mut end = (at + 1 + rng.below(8)).min(s.len());
                            while !s.is_char_boundary(end) {
                                end += 1;
                            }
                            s.replace_range(at..end, "");
                        }
                        _ => s.truncate(at),
                    }
                }
                let (_, d) = parse(0, &s);
                for diag in &d {
                    assert!(
                        s.is_char_boundary(diag.span.start as usize),
                        "{s:?}: {diag:?}"
                    );
                    assert!((diag.span.start as usize) <= s.len());
                }
            }
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

            #[test]
            fn random_text_never_panics(s in "\\PC{0,80}") {
                let (_, d) = parse(0, &s);
                for diag in &d {
                    prop_assert!(s.is_char_boundary(diag.span.start as usize));
                }
            }

            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
                let s = String::from_utf8_lossy(&bytes);
                let _ = parse(0, &s);
            }

            #[test]
            fn random_tokens_never_panic(toks in proptest::collection::vec(proptest::sample::select(vec![
                "model", "M", "{", "}", "(", ")", "[", "]", "state", "command", "go", "event",
                "emit", "query", "x", ":", "int", "list", "<", ">", "?", "=", "\n", ",", ";",
                "\"", "${", "if", "else", "for", "in", "reject", "set", "remove", "let", "-", "1",
                "+", "!", ".", "Status", "///", "//", "invariant", "enum", "record", "&&", "==",
            ]), 0..60)) {
                let s = toks.join(" ");
                let (f, d) = parse(0, &s);
                if d.is_empty() {
                    // Whatever parses cleanly must print and re-parse to the same tree.
                    let printed = super::super::super::printer::print(&f);
                    let (mut g, d2) = parse(0, &printed);
                    prop_assert!(d2.is_empty(), "{printed}: {d2:?}");
                    let mut f = f;
                    strip_spans(&mut f);
                    strip_spans(&mut g);
                    prop_assert_eq!(f, g);
                }
            }
        }
    }
}
