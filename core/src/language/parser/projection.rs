//! The read side (MODEL-LANGUAGE.md §13): `table` and `projection`
//! declarations and the four statements of a projection handler.
//!
//! Every word here is contextual (§2): `table` and `projection` only open a
//! top-level declaration (the first token of a line, followed by a name),
//! `key` only before a column's name, `inline`/`async` only after a
//! projection's name, `on` only at the start of a handler, and
//! `insert`/`upsert`/`update`/`delete` only at the start of a statement,
//! before a table's name. Everywhere else they are ordinary names, so every
//! version 0 model keeps its meaning.

use super::*;
use crate::language::ast::{Column, OnHandler, Projection, ProjectionMode, Table};

/// What one top-level declaration of the read side gave.
pub(super) enum ReadSide {
    Table(Table),
    Projection(Projection),
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Parser<'a> {
    /// Whether token `i` opens a top-level `table` or `projection`: the
    /// first token of its line, followed by a name.
    pub(super) fn read_side_at(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        let Tok::Ident(word) = &t.tok else {
            return false;
        };
        if word != "table" && word != "projection" {
            return false;
        }
        let first_on_line = i == 0 || self.toks[i - 1].line < t.line;
        // A projection's kebab name may begin with a keyword (`in-list`).
        let named = match self.toks.get(i + 1).map(|t| &t.tok) {
            Some(Tok::Ident(_) | Tok::Kebab(_)) => true,
            Some(Tok::Kw(_)) => word == "projection",
            _ => false,
        };
        first_on_line && named
    }

    pub(super) fn read_side(&mut self) -> PResult<ReadSide> {
        let doc = self.doc_for(self.next_index());
        let kw = self.bump();
        match &kw.tok {
            Tok::Ident(w) if w == "table" => self.table(doc).map(ReadSide::Table),
            _ => self.projection(doc).map(ReadSide::Projection),
        }
    }

    fn table(&mut self, doc: Option<String>) -> PResult<Table> {
        let name = self.ident("table name", Shape::Snake)?;
        self.expect(
            &Tok::LBrace,
            &format!("`{{` to open the columns of table `{}`", name.name),
        )?;
        let columns = self.columns(&name.name);
        Ok(Table { doc, name, columns })
    }

    /// The columns of a table, after its `{`, through its `}`.
    fn columns(&mut self, table: &str) -> Vec<Column> {
        let owner = format!("table `{table}`");
        self.nl.push(true);
        let mark = self.mark();
        let mut columns = Vec::new();
        loop {
            self.skip_separators();
            let from = self.pos;
            if self.closed(&format!("`}}` to close {owner}")) {
                break;
            }
            let doc = self.doc_for(self.next_index());
            // `key id: string` is a key column; in `key: string`, `key` is
            // the column's name.
            let key = match (self.peek(), self.peek_second()) {
                (Tok::Ident(w), Tok::Ident(_) | Tok::Kw(_)) if w == "key" => Some(self.advance()),
                _ => None,
            };
            match self.field("column name") {
                Ok(mut field) => {
                    field.doc = doc;
                    columns.push(Column { key, field });
                    self.reset(mark);
                    if !self.at_line_end() {
                        self.expected("a new line or `;` after the column");
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
        columns
    }

    fn projection(&mut self, doc: Option<String>) -> PResult<Projection> {
        let name = self.glued_kebab("projection")?;
        let mode = match self.peek() {
            Tok::Ident(w) if w == "inline" => {
                self.bump();
                ProjectionMode::Inline
            }
            Tok::Ident(w) if w == "async" => {
                self.bump();
                ProjectionMode::Async
            }
            _ => {
                self.expected(&format!(
                    "the mode of projection `{}`: `inline` (in the transaction that stores \
                     the events) or `async` (a little behind them), as in `projection {} inline {{`",
                    name.name, name.name
                ));
                ProjectionMode::Inline
            }
        };
        self.expect(
            &Tok::LBrace,
            &format!("`{{` to open the handlers of projection `{}`", name.name),
        )?;
        let handlers = self.on_handlers(&name.name);
        Ok(Projection {
            doc,
            name,
            mode,
            handlers,
        })
    }

    fn on_handlers(&mut self, projection: &str) -> Vec<OnHandler> {
        self.nl.push(true);
        let mark = self.mark();
        let mut handlers = Vec::new();
        loop {
            self.skip_separators();
            let from = self.pos;
            if self.closed(&format!("`}}` to close projection `{projection}`")) {
                break;
            }
            match self.peek() {
                Tok::Ident(w) if w == "on" => match self.on_handler() {
                    Ok(h) => handlers.push(h),
                    Err(Stop) => self.skip_to_handler(),
                },
                _ => {
                    self.expected(&format!(
                        "a handler such as `on Model.event {{`, or `}}` to close projection \
                         `{projection}`"
                    ));
                    self.skip_to_handler();
                }
            }
            self.reset(mark);
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        self.nl.pop();
        handlers
    }

    /// After a broken handler: on to the next `on` that starts a line
    /// outside any braces, or to the `}` of the projection.
    fn skip_to_handler(&mut self) {
        let mut braces = 0u32;
        loop {
            if self.fatal || self.member_kw_at(self.pos) {
                return;
            }
            let t = &self.toks[self.pos];
            match &t.tok {
                Tok::Eof => return,
                Tok::RBrace if braces == 0 => return,
                Tok::RBrace => braces -= 1,
                Tok::LBrace => braces += 1,
                Tok::Ident(w)
                    if w == "on"
                        && braces == 0
                        && self.pos > 0
                        && self.toks[self.pos - 1].line < t.line =>
                {
                    return
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn on_handler(&mut self) -> PResult<OnHandler> {
        let doc = self.doc_for(self.next_index());
        let keyword = self.advance();
        let model = self.ident("model name", Shape::Pascal)?;
        self.expect(
            &Tok::Dot,
            &format!(
                "`.` and the event's name after `on {}`, as in `on {}.created {{`",
                model.name, model.name
            ),
        )?;
        let event = self.glued_kebab("event")?;
        let body = self.block(&format!(
            "the handler of `on {}.{}`",
            model.name, event.name
        ))?;
        Ok(OnHandler {
            doc,
            keyword,
            model,
            event,
            body,
        })
    }

    /// A kebab-case name where the lexer did not read one token (after
    /// `projection` or `on Model.`): the adjacent `word-word` tokens, glued
    /// by their source text.
    pub(super) fn glued_kebab(&mut self, what: &str) -> PResult<Ident> {
        let t = self.peek_tok().clone();
        if !matches!(t.tok, Tok::Ident(_) | Tok::Kw(_) | Tok::Kebab(_)) {
            return Err(self.expected(&format!(
                "the name of the {what}, in kebab-case such as `card-added`"
            )));
        }
        let bytes = self.src.as_bytes();
        let mut end = t.span.end as usize;
        while bytes.get(end) == Some(&b'-') && bytes.get(end + 1).copied().is_some_and(is_name_byte)
        {
            end += 1;
            while bytes.get(end).copied().is_some_and(is_name_byte) {
                end += 1;
            }
        }
        self.bump();
        while !self.fatal
            && self.pos < self.eof_index()
            && (self.toks[self.pos].span.start as usize) < end
        {
            end = end.max(self.toks[self.pos].span.end as usize);
            self.pos += 1;
        }
        let span = Span {
            end: end as u32,
            ..t.span
        };
        let name = self.src[t.span.start as usize..end].to_string();
        if lexer::is_keyword(&name) {
            self.error_at(
                span,
                format!(
                    "`{name}` is a keyword and cannot be the name of {} {what}; choose another \
                     name (a keyword may be one part of it, as in `{name}-item`)",
                    article(what)
                ),
            );
        } else if !is_kebab(&name) {
            let suggestion = to_kebab(&name);
            let suggestion = if is_kebab(&suggestion) {
                suggestion
            } else {
                "card-added".to_string()
            };
            self.error_at(
                span,
                format!(
                    "the {what} name `{name}` must be kebab-case (lowercase words joined by \
                     `-`), such as `{suggestion}`"
                ),
            );
        }
        Ok(Ident { name, span })
    }

    // ----- the statements of a projection handler -----

    /// Whether the next statement is `insert`, `upsert`, `update` or
    /// `delete`: the word, then a table's name.
    pub(super) fn at_table_stmt(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Ident(w) if matches!(w.as_str(), "insert" | "upsert" | "update" | "delete")
        ) && matches!(self.peek_second(), Tok::Ident(_))
    }

    pub(super) fn table_stmt(&mut self) -> PResult<StmtKind> {
        let word = match self.bump().tok {
            Tok::Ident(w) => w,
            _ => return Err(Stop),
        };
        let table = self.ident("table name", Shape::Snake)?;
        let keys = if word == "update" || word == "delete" {
            if self.eat(&Tok::LBracket).is_none() {
                return Err(self.expected(&format!(
                    "`[` and the key of the rows, as in `{word} {}[id]`",
                    table.name
                )));
            }
            self.nl.push(false);
            let mut keys = Vec::new();
            loop {
                keys.push(self.expr()?);
                if self.eat(&Tok::Comma).is_some() {
                    continue;
                }
                self.expect(
                    &Tok::RBracket,
                    "`,` and another key value, or `]` to close the key",
                )?;
                break;
            }
            self.nl.pop();
            keys
        } else {
            Vec::new()
        };
        if word == "delete" {
            return Ok(StmtKind::Delete { table, keys });
        }
        if self.eat(&Tok::LParen).is_none() {
            return Err(self.expected(&format!(
                "`(` and the columns, as in `{word} {}{}(column: value)`",
                table.name,
                if keys.is_empty() { "" } else { "[...]" }
            )));
        }
        let args = self.args(ArgsOf::Row(&table.name))?;
        Ok(match word.as_str() {
            "update" => StmtKind::Update { table, keys, args },
            w => StmtKind::Insert {
                table,
                args,
                upsert: w == "upsert",
            },
        })
    }
}
