//! Expressions, by precedence climbing.

use super::*;

impl<'a> Parser<'a> {
    // ----- expressions -----
    //
    // Every level of nesting in the source goes through `expr`, `binary`,
    // `unary`, `primary` and one helper; they are kept small (messages are
    // built in cold functions) so that `MAX_DEPTH` levels fit in a small
    // stack even in debug builds.

    /// A whole expression: `cond ? then : otherwise` or an operator chain.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
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
    pub(super) fn cond_rest(&mut self, cond: Expr) -> PResult<Expr> {
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

    pub(super) fn binop(&self) -> Option<(BinaryOp, u8)> {
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
    pub(super) fn binary(&mut self, min: u8) -> PResult<Expr> {
        let r = self.unary();
        match r {
            Ok(lhs) if self.binop().is_some_and(|(_, p)| p >= min) => self.binary_rest(lhs, min),
            r => r,
        }
    }

    pub(super) fn binary_rest(&mut self, mut lhs: Expr, min: u8) -> PResult<Expr> {
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
    pub(super) fn chained_comparison(&mut self, op: BinaryOp, next: BinaryOp) {
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

    pub(super) fn at_prefix_op(&self) -> bool {
        match self.peek() {
            Tok::Bang => true,
            // `-` right before an integer literal belongs to it.
            Tok::Minus => !matches!(self.peek_second(), Tok::Int(_)),
            _ => false,
        }
    }

    /// Prefix operators, then a primary with its postfix operators.
    pub(super) fn unary(&mut self) -> PResult<Expr> {
        if self.at_prefix_op() {
            return self.prefixed();
        }
        let r = self.primary();
        match r {
            Ok(e) if matches!(self.peek(), Tok::Dot | Tok::LBracket) => self.postfix_rest(e),
            r => r,
        }
    }

    pub(super) fn prefixed(&mut self) -> PResult<Expr> {
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
    pub(super) fn postfix_rest(&mut self, mut e: Expr) -> PResult<Expr> {
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
    pub(super) fn member_access(&mut self, target: Expr) -> PResult<Expr> {
        self.advance();
        self.skip_newlines();
        self.enter()?;
        // Methods keep CEL's spelling (`startsWith`, `orValue`), so only a
        // field must be snake_case.
        // After `.`, any name may stand, a keyword included (`stream.model`).
        let name = match self.peek_tok().clone() {
            Token {
                tok: Tok::Kw(k),
                span,
                ..
            } => {
                self.bump();
                Ident {
                    name: k.to_string(),
                    span,
                }
            }
            _ => self.name_token("field or method name", "unit_price")?,
        };
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
    pub(super) fn index(&mut self, target: Expr) -> PResult<Expr> {
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
    pub(super) fn call_args(&mut self, func: &str) -> PResult<(Vec<Expr>, Span)> {
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
    pub(super) fn call_args_expected(&mut self, func: &str) {
        self.expected(&format!("`,` or `)` to close the arguments of `{func}`"));
    }

    pub(super) fn int_literal(
        &mut self,
        magnitude: Option<u64>,
        negative: bool,
        span: Span,
    ) -> Expr {
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

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        // One call site: a small frame on the path of every nesting level.
        let f: fn(&mut Self) -> PResult<Expr> = match self.peek() {
            Tok::Int(_) | Tok::Float(_) | Tok::Kw(Kw::True | Kw::False | Kw::Null | Kw::State) => {
                Self::literal
            }
            // `event.field` in a projection handler (§13); a lone `event`
            // still starts a member, so recovery finds it.
            Tok::Kw(Kw::Event) if self.peek_second() == &Tok::Dot => Self::literal,
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

    pub(super) fn no_expr(&mut self) -> PResult<Expr> {
        Err(self.expected("an expression"))
    }

    pub(super) fn literal(&mut self) -> PResult<Expr> {
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
            // The event a projection handler runs for (§13).
            Tok::Kw(Kw::Event) => ExprKind::Name(Ident {
                name: "event".to_string(),
                span,
            }),
            _ => ExprKind::Null,
        };
        self.advance();
        Ok(Expr { kind, span })
    }

    pub(super) fn string_expr(&mut self) -> PResult<Expr> {
        self.string(None)
    }

    /// A name: a variable, a call, a record literal or an enum member.
    pub(super) fn named(&mut self) -> PResult<Expr> {
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
    pub(super) fn negative_int(&mut self) -> PResult<Expr> {
        let minus = self.advance();
        let Tok::Int(m) = *self.peek() else {
            return Err(self.expected("an expression"));
        };
        let lit = self.advance();
        Ok(self.int_literal(m, true, minus.to(lit)))
    }

    /// A snake_case name: a variable, or a call `f(args)`.
    pub(super) fn name_led(&mut self, id: Ident) -> PResult<Expr> {
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
    pub(super) fn type_led(&mut self, mut id: Ident) -> PResult<Expr> {
        self.check_shape(&id, "type name", Shape::Pascal);
        // `Model.Type.member` and `Model.Type{...}`: a model's enum member or
        // record named from outside it (§13). The tree keeps `Model.Type`
        // as one name.
        if self.at(&Tok::Dot) {
            let i = self.next_index();
            if let Some(Tok::Ident(ty)) = self.toks.get(i + 1).map(|t| &t.tok) {
                if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                    let span = self.toks[i + 1].span;
                    let name = format!("{}.{ty}", id.name);
                    self.pos = i + 2;
                    self.check_shape(
                        &Ident {
                            name: ty.clone(),
                            span,
                        },
                        "type name",
                        Shape::Pascal,
                    );
                    id = Ident {
                        name,
                        span: id.span.to(span),
                    };
                }
            }
        }
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
    pub(super) fn lone_type_name(&mut self, id: &Ident) {
        let name = &id.name;
        self.error_at(
            id.span,
            format!(
                "`{name}` is a type name: write `{name}{{field: value}}` for a record or \
                 `{name}.member` for an enum member (variables are snake_case)"
            ),
        );
    }

    pub(super) fn paren(&mut self) -> PResult<Expr> {
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

    pub(super) fn list(&mut self) -> PResult<Expr> {
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

    pub(super) fn map(&mut self) -> PResult<Expr> {
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
    pub(super) fn map_entry(&mut self) -> PResult<(Expr, Expr)> {
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
    pub(super) fn string(&mut self, mut interps: Option<&mut Vec<Span>>) -> PResult<Expr> {
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
    pub(super) fn interpolation(&mut self) -> PResult<Option<Expr>> {
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
    pub(super) fn skip_interp(&mut self) {
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
