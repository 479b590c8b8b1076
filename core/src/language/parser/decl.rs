//! Names, then the declarations: the file, its models and their members,
//! fields, params and types.

use super::*;

impl<'a> Parser<'a> {
    // ----- names -----

    pub(super) fn name_token(&mut self, what: &str, example: &str) -> PResult<Ident> {
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
    pub(super) fn name_expected(&mut self, what: &str, example: &str) {
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
    pub(super) fn ident(&mut self, what: &str, shape: Shape) -> PResult<Ident> {
        let example = match shape {
            Shape::Pascal => "Todo",
            Shape::Snake => "unit_price",
        };
        let id = self.name_token(what, example)?;
        self.check_shape(&id, what, shape);
        Ok(id)
    }

    pub(super) fn check_shape(&mut self, id: &Ident, what: &str, shape: Shape) {
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
    pub(super) fn bad_shape(&mut self, id: &Ident, what: &str, shape: Shape) {
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
    pub(super) fn kebab(&mut self, what: &str) -> PResult<Ident> {
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
    pub(super) fn doc_for(&self, idx: usize) -> Option<String> {
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

    pub(super) fn file(&mut self) -> File {
        let mut file = File::default();
        let models = &mut file.models;
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
                Tok::Ident(_) if self.read_side_at(self.next_index()) => match self.read_side() {
                    Ok(projection::ReadSide::Table(t)) => file.tables.push(t),
                    Ok(projection::ReadSide::Projection(p)) => file.projections.push(p),
                    Err(Stop) => self.recover(Recover::Model),
                },
                _ => {
                    self.expected(
                        "`model`, `table` or `projection` and a name, as in `model Todos {`",
                    );
                    self.recover(Recover::Model);
                }
            }
            self.reset(mark);
            if self.pos == from && !self.at(&Tok::Eof) {
                self.pos += 1;
            }
        }
        file
    }

    pub(super) fn model(&mut self) -> PResult<Model> {
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

    pub(super) fn members(&mut self, model: &str) -> Vec<Member> {
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
                Tok::Ident(_) if self.read_side_at(self.next_index()) => {
                    self.expected(&format!("`}}` to close model `{model}`"));
                    break;
                }
                Tok::Kw(k) if k.starts_member() => match self.member() {
                    Ok(m) => members.push(m),
                    Err(Stop) => self.recover(Recover::Member),
                },
                Tok::Ident(_) if self.upcast_at(self.next_index()) => match self.upcast() {
                    Ok(m) => members.push(m),
                    Err(Stop) => self.recover(Recover::Member),
                },
                _ => {
                    self.expected(&format!(
                        "a member of model `{model}` (`state`, `record`, `enum`, `command`, \
                         `event`, `upcast`, `query` or `invariant`) or `}}` to close it"
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

    pub(super) fn member(&mut self) -> PResult<Member> {
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
                let version = if k == Kw::Event && self.at(&Tok::At) {
                    Some(self.version(&name)?)
                } else {
                    None
                };
                let owner = format!("{what} `{}`", name.name);
                let params = self.params(&owner)?;
                let body = self.block(&format!("the block of {owner}"))?;
                let decl = HandlerDecl {
                    doc,
                    name,
                    version,
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

    /// `upcast e@k(params) { ... }` (§12), at its `upcast`.
    pub(super) fn upcast(&mut self) -> PResult<Member> {
        let doc = self.doc_for(self.next_index());
        self.advance();
        let name = self.kebab("upcast")?;
        if !self.at(&Tok::At) {
            return Err(self.expected(&format!(
                "`@` and the version of `{}` this upcast reads, as in `upcast {}@1(...)`",
                name.name, name.name
            )));
        }
        let version = Some(self.version(&name)?);
        let owner = format!("upcast `{}`", name.name);
        let params = self.params(&owner)?;
        let body = self.block(&format!("the block of {owner}"))?;
        Ok(Member::Upcast(HandlerDecl {
            doc,
            name,
            version,
            params,
            body,
        }))
    }

    /// `@N` after an event's name: N an int from 1 (§12).
    pub(super) fn version(&mut self, name: &Ident) -> PResult<Version> {
        self.advance();
        let t = self.peek_tok().clone();
        let Tok::Int(n) = t.tok else {
            return Err(self.expected(&format!(
                "a version number after `@`, as in `{}@2`",
                name.name
            )));
        };
        self.bump();
        match n {
            Some(n) if (1..=u64::from(u32::MAX)).contains(&n) => Ok(Version {
                value: n as u32,
                span: t.span,
            }),
            _ => {
                self.error_at(
                    t.span,
                    format!(
                        "a version of `{}` is a whole number from 1 to {}, as in `{}@2`",
                        name.name,
                        u32::MAX,
                        name.name
                    ),
                );
                Ok(Version {
                    value: 1,
                    span: t.span,
                })
            }
        }
    }

    /// A string literal without interpolation; returns its text.
    pub(super) fn plain_string(&mut self, what: &str) -> PResult<String> {
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
    pub(super) fn fields(&mut self, owner: &str) -> Vec<Field> {
        self.nl.push(true);
        let mark = self.mark();
        let mut fields = Vec::new();
        loop {
            self.skip_separators();
            let from = self.pos;
            if self.closed(&format!("`}}` to close {owner}")) {
                break;
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
    pub(super) fn at_line_end(&self) -> bool {
        match self.peek_raw() {
            Tok::Newline | Tok::Semi | Tok::RBrace | Tok::Eof => true,
            _ => !self.fatal && self.member_kw_at(self.pos),
        }
    }

    /// `name: type (= default)?`
    pub(super) fn field(&mut self, what: &str) -> PResult<Field> {
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

    pub(super) fn enum_members(&mut self, name: &Ident) -> PResult<Vec<EnumMember>> {
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
    pub(super) fn params(&mut self, owner: &str) -> PResult<Vec<Field>> {
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

    pub(super) fn ty(&mut self) -> PResult<TypeExpr> {
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
                "duration" => TypeKind::Duration,
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
        let (kind, span) = match kind {
            // `Model.Type`, as a table names a model's record or enum (§13).
            TypeKind::Named(model) if self.peek_raw() == &Tok::Dot => {
                self.bump();
                let ty = self.ident("type name", Shape::Pascal)?;
                let span = span.to(ty.span);
                (TypeKind::Qualified(model, ty), span)
            }
            kind => (kind, span),
        };
        let mut ty = TypeExpr { kind, span };
        self.optional_suffix(&mut ty)?;
        self.depth -= 1;
        Ok(ty)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn type_expected(&mut self) {
        const WHAT: &str = "a type such as `int`, `string` or `list<T>`";
        let t = self.peek_tok().clone();
        if let Tok::Ident(name) = &t.tok {
            self.error_at(
                t.span,
                format!(
                    "expected {WHAT}, found `{name}` (the types are `string`, `int`, `float`, \
                     `bool`, `timestamp`, `duration`, `list<T>`, `map<string, T>`, record and enum names, \
                     and `T?`)"
                ),
            );
        } else {
            self.expected(WHAT);
        }
    }

    /// `<T>` or `<K, V>` after `list` or `map` (at `start`).
    pub(super) fn generic_type(&mut self, is_map: bool, start: Span) -> PResult<TypeExpr> {
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
    pub(super) fn optional_suffix(&mut self, ty: &mut TypeExpr) -> PResult<()> {
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
    pub(super) fn close_angle(&mut self, what: &str) -> PResult<Span> {
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
}
