//! Blocks and statements.

use super::*;

impl<'a> Parser<'a> {
    // ----- blocks and statements -----

    /// `{ stmt* }`; `owner` names it in messages ("the block of command `go`").
    pub(super) fn block(&mut self, owner: &str) -> PResult<Block> {
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
    pub(super) fn block_expected(&mut self, what: &str, owner: &str) {
        self.expected(&format!("{what} {owner}"));
    }

    pub(super) fn stmt(&mut self) -> PResult<Stmt> {
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
            Tok::Ident(_) if self.at_table_stmt() => Self::table_stmt,
            _ => Self::no_stmt,
        };
        let keyword = self.peek_tok().span;
        let kind = f(self)?;
        Ok(Stmt { kind, keyword })
    }

    pub(super) fn no_stmt(&mut self) -> PResult<StmtKind> {
        self.stmt_expected();
        Err(Stop)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn stmt_expected(&mut self) {
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

    pub(super) fn let_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let name = self.ident("`let` name", Shape::Snake)?;
        if self.eat(&Tok::Assign).is_none() {
            return Err(self.expected(&format!("`=` and a value after `let {}`", name.name)));
        }
        self.skip_newlines();
        let value = self.expr()?;
        Ok(StmtKind::Let { name, value })
    }

    pub(super) fn reject_stmt(&mut self) -> PResult<StmtKind> {
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

    pub(super) fn emit_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let event = self.kebab("event")?;
        let version = if self.at(&Tok::At) {
            Some(self.version(&event)?)
        } else {
            None
        };
        if self.eat(&Tok::LParen).is_none() {
            return Err(self.expected(&format!(
                "`(` and the fields of event `{}`, as in `emit {}(id)` or `emit {}()`",
                event.name, event.name, event.name
            )));
        }
        let args = self.args(ArgsOf::Emit(&event.name))?;
        Ok(StmtKind::Emit {
            event,
            version,
            args,
        })
    }

    pub(super) fn set_stmt(&mut self) -> PResult<StmtKind> {
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

    pub(super) fn remove_stmt(&mut self) -> PResult<StmtKind> {
        self.advance();
        let path = self.path()?;
        Ok(StmtKind::Remove { path })
    }

    #[cold]
    #[inline(never)]
    pub(super) fn else_without_if(&mut self) -> PResult<StmtKind> {
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

    pub(super) fn for_stmt(&mut self) -> PResult<StmtKind> {
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

    pub(super) fn if_stmt(&mut self) -> PResult<StmtKind> {
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
    pub(super) fn else_chain(
        &mut self,
        branches: &mut Vec<(Expr, Block)>,
    ) -> PResult<Option<Block>> {
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
    pub(super) fn path(&mut self) -> PResult<Path> {
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
    pub(super) fn args(&mut self, of: ArgsOf<'_>) -> PResult<Vec<Arg>> {
        let close = match of {
            ArgsOf::Emit(_) | ArgsOf::Row(_) => Tok::RParen,
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
    pub(super) fn args_expected(&mut self, of: ArgsOf<'_>, what: &str) {
        let close = match of {
            ArgsOf::Emit(e) => format!("`)` to close `emit {e}(`"),
            ArgsOf::Record(r) => format!("`}}` to close the record `{r}{{`"),
            ArgsOf::Row(t) => format!("`)` to close the columns of `{t}`"),
        };
        self.expected(&format!("{what} {close}"));
    }
}
