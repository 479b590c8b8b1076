//! The parser's cursor over the tokens: peeking and eating, diagnostics,
//! the nesting cap and recovery.

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn new(file: u32, src: &'a str) -> Parser<'a> {
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

    pub(super) fn finish(mut self) -> Vec<Diag> {
        self.diags.sort_by_key(|d| d.span.start);
        self.diags.dedup_by_key(|d| d.span.start);
        self.diags
    }

    // ----- tokens -----

    pub(super) fn eof_index(&self) -> usize {
        self.toks.len() - 1
    }

    pub(super) fn nl_matters(&self) -> bool {
        self.nl.last().copied().unwrap_or(true)
    }

    /// Index of the next token, past newlines where they do not matter.
    pub(super) fn next_index(&self) -> usize {
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

    pub(super) fn peek_tok(&self) -> &Token {
        &self.toks[self.next_index()]
    }

    pub(super) fn peek(&self) -> &Tok {
        &self.peek_tok().tok
    }

    /// The token right after the next one (no newline skipping).
    pub(super) fn peek_second(&self) -> &Tok {
        let i = (self.next_index() + 1).min(self.eof_index());
        &self.toks[i].tok
    }

    /// The very next token, newlines included.
    pub(super) fn peek_raw(&self) -> &Tok {
        if self.fatal {
            return &Tok::Eof;
        }
        &self.toks[self.pos].tok
    }

    pub(super) fn at(&self, t: &Tok) -> bool {
        self.peek() == t
    }

    pub(super) fn at_kw(&self, k: Kw) -> bool {
        *self.peek() == Tok::Kw(k)
    }

    pub(super) fn bump(&mut self) -> Token {
        let i = self.next_index();
        let t = self.toks[i].clone();
        self.pos = if i < self.eof_index() { i + 1 } else { i };
        t
    }

    /// Moves past the next token; returns its span.
    pub(super) fn advance(&mut self) -> Span {
        let i = self.next_index();
        self.pos = if i < self.eof_index() { i + 1 } else { i };
        self.toks[i].span
    }

    pub(super) fn eat(&mut self, t: &Tok) -> Option<Span> {
        if self.at(t) {
            Some(self.advance())
        } else {
            None
        }
    }

    /// Skips newlines; returns whether there were any.
    pub(super) fn skip_newlines(&mut self) -> bool {
        let start = self.pos;
        if !self.fatal {
            while self.toks[self.pos].tok == Tok::Newline {
                self.pos += 1;
            }
        }
        self.pos != start
    }

    /// Skips newlines and `;`.
    /// Whether a braced list ends here: past its `}`, or at the end of the
    /// file or the next member, where the missing `}` is reported as
    /// `expected` says.
    pub(super) fn closed(&mut self, expected: &str) -> bool {
        match self.peek() {
            Tok::RBrace => {
                self.bump();
                true
            }
            Tok::Eof => {
                self.expected(expected);
                true
            }
            _ if self.at_member() => {
                self.expected(expected);
                true
            }
            _ => false,
        }
    }

    pub(super) fn skip_separators(&mut self) {
        if !self.fatal {
            while matches!(self.toks[self.pos].tok, Tok::Newline | Tok::Semi) {
                self.pos += 1;
            }
        }
    }

    /// The end of the token before the current position.
    pub(super) fn prev_end(&self) -> Span {
        let i = self.pos.saturating_sub(1);
        let s = self.toks[i].span;
        Span { start: s.end, ..s }
    }

    /// Whether token `i` starts a member of a model (or a model): where a
    /// block, field list or statement certainly ended. `state` counts only
    /// before `{`, since `state.owner` is an expression.
    pub(super) fn member_kw_at(&self, i: usize) -> bool {
        match self.toks[i].tok {
            Tok::Kw(Kw::State) => self.toks.get(i + 1).map(|t| &t.tok) == Some(&Tok::LBrace),
            Tok::Kw(k) => k.starts_member(),
            Tok::Ident(_) => self.upcast_at(i) || self.read_side_at(i),
            _ => false,
        }
    }

    /// Whether token `i` is `upcast` opening a member: the lexer then read
    /// the name after it as one kebab token (§2, `upcast` is a keyword only
    /// at the start of a model member).
    pub(super) fn upcast_at(&self, i: usize) -> bool {
        matches!(&self.toks[i].tok, Tok::Ident(w) if w == "upcast")
            && matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::Kebab(_)))
    }

    /// Whether the next token starts a member (see [`Self::member_kw_at`]).
    pub(super) fn at_member(&self) -> bool {
        self.member_kw_at(self.next_index())
    }

    // ----- diagnostics -----

    pub(super) fn error_at(&mut self, span: Span, msg: impl Into<String>) {
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

    pub(super) fn describe(&self, t: &Token) -> String {
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
    pub(super) fn expected(&mut self, what: &str) -> Stop {
        let t = self.peek_tok().clone();
        if !t.synthetic {
            let msg = format!("expected {what}, found {}", self.describe(&t));
            self.error_at(t.span, msg);
        }
        Stop
    }

    pub(super) fn expect(&mut self, t: &Tok, what: &str) -> PResult<Span> {
        match self.eat(t) {
            Some(span) => Ok(span),
            None => Err(self.expected(what)),
        }
    }

    // ----- depth and recovery -----

    /// One level deeper; past [`MAX_DEPTH`] the parse stops.
    pub(super) fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            self.too_deep();
            return Err(Stop);
        }
        self.depth += 1;
        Ok(())
    }

    #[cold]
    #[inline(never)]
    pub(super) fn too_deep(&mut self) {
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
    pub(super) fn mark(&self) -> (u32, usize) {
        (self.depth, self.nl.len())
    }

    pub(super) fn reset(&mut self, mark: (u32, usize)) {
        self.depth = mark.0;
        self.nl.truncate(mark.1);
    }

    /// Skips tokens up to where `mode` may go on (not consuming the token
    /// it stops at). The loops that call it make sure they progress.
    pub(super) fn recover(&mut self, mode: Recover) {
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
                Tok::Ident(_) if member => mode != Recover::Member || braces == 0,
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
}
