#![cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
//! A syntax tree back to source text.
//!
//! [`print`] writes the canonical form of a model file: 2-space indentation,
//! one member, field or statement per line, a blank line between members,
//! expressions on one line with the fewest parentheses that keep their
//! meaning. Reading the output back with [`super::parser::parse`] gives the
//! same tree apart from spans (compare with [`strip_spans`]) for every tree
//! the parser can produce.

use super::ast::{
    Arg, BinaryOp, Block, EnumDecl, Expr, ExprKind, Field, File, HandlerDecl, Member, Model, Path,
    PathSegment, Projection, Span, Stmt, StmtKind, StrPart, Table, TypeExpr, TypeKind, UnaryOp,
    Version,
};

pub(crate) mod comments;
mod expr;
mod read_side;

use expr::{args, expr, key_list, string_lit};

/// The canonical source text of `file`.
pub fn print(file: &File) -> String {
    let mut p = Printer::default();
    p.file(file);
    p.out
}

/// [`print`] with the comments of `lexed` (the tokens of the text `file`
/// was read from) put back.
pub(crate) fn print_with_comments(file: &File, src: &str, lexed: &super::lexer::Lexed) -> String {
    let mut p = Printer {
        cm: Some(comments::Comments::new(src, lexed)),
        ..Printer::default()
    };
    p.file(file);
    p.flush_all();
    p.out
}

impl Printer {
    /// The models, tables and projections in source order (a tree
    /// without spans: models, then tables, then projections), a blank line
    /// between two.
    fn file(&mut self, file: &File) {
        enum Top<'a> {
            Model(&'a Model),
            Table(&'a Table),
            Projection(&'a Projection),
        }
        let mut items: Vec<(u32, Top)> = Vec::new();
        items.extend(
            file.models
                .iter()
                .map(|m| (m.name.span.start, Top::Model(m))),
        );
        items.extend(
            file.tables
                .iter()
                .map(|t| (t.name.span.start, Top::Table(t))),
        );
        items.extend(
            file.projections
                .iter()
                .map(|p| (p.name.span.start, Top::Projection(p))),
        );
        items.sort_by_key(|(at, _)| *at);
        for (i, (_, item)) in items.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            match item {
                Top::Model(m) => self.model(m),
                Top::Table(t) => self.table(t),
                Top::Projection(p) => self.projection(p),
            }
        }
    }
}

/// One expression, on one line.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e, 0);
    out
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
    cm: Option<comments::Comments>,
}

impl Printer {
    fn pad(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn line(&mut self, text: &str) {
        self.pad();
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn doc(&mut self, doc: &Option<String>) {
        if let Some(doc) = doc {
            for l in doc.split('\n') {
                if l.is_empty() {
                    self.line("///");
                } else {
                    self.line(&format!("/// {l}"));
                }
            }
        }
    }
    fn model(&mut self, m: &Model) {
        self.anchor_doc(m.name.span.start, &m.doc);
        self.doc(&m.doc);
        let close = self.close_of(m.name.span.end);
        if m.members.is_empty() && !close.is_some_and(|c| self.comments_in(m.name.span.end, c)) {
            self.line(&format!("model {} {{}}", m.name.name));
            return;
        }
        self.line(&format!("model {} {{", m.name.name));
        self.indent += 1;
        for (i, member) in m.members.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.member(member);
        }
        if let Some(c) = close {
            self.anchor(c);
        }
        self.indent -= 1;
        self.line("}");
    }

    fn member(&mut self, m: &Member) {
        match m {
            Member::State(s) => {
                self.anchor_doc(s.keyword.start, &s.doc);
                self.doc(&s.doc);
                self.fields("state", &s.fields, s.keyword.end);
            }
            Member::Record(r) => {
                self.anchor_doc(r.name.span.start, &r.doc);
                self.doc(&r.doc);
                self.fields(
                    &format!("record {}", r.name.name),
                    &r.fields,
                    r.name.span.end,
                );
            }
            Member::Enum(e) => self.enum_decl(e),
            Member::Command(h) => self.handler("command", h),
            Member::Event(h) => self.handler("event", h),
            Member::Upcast(h) => self.handler("upcast", h),
            Member::Query(q) => {
                self.anchor_doc(q.name.span.start, &q.doc);
                self.doc(&q.doc);
                self.pad();
                self.out.push_str("query ");
                self.out.push_str(&q.name.name);
                self.params(&q.params, q.name.span.end, q.ty.span.start);
                self.out.push_str(": ");
                ty(&mut self.out, &q.ty);
                self.out.push_str(" = ");
                expr(&mut self.out, &q.body, 0);
                self.out.push('\n');
            }
            Member::Invariant(inv) => {
                self.anchor_doc(inv.keyword.start, &inv.doc);
                self.doc(&inv.doc);
                self.pad();
                self.out.push_str("invariant ");
                string_lit(&mut self.out, &[StrPart::Lit(inv.text.clone())]);
                self.out.push_str(": ");
                expr(&mut self.out, &inv.expr, 0);
                self.out.push('\n');
            }
        }
    }

    fn fields(&mut self, head: &str, fields: &[Field], at: u32) {
        let close = self.close_of(at);
        if fields.is_empty() && !close.is_some_and(|c| self.comments_in(at, c)) {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for f in fields {
            self.anchor_doc(f.name.span.start, &f.doc);
            self.doc(&f.doc);
            self.pad();
            field(&mut self.out, f);
            self.out.push('\n');
        }
        if let Some(c) = close {
            self.anchor(c);
        }
        self.indent -= 1;
        self.line("}");
    }

    fn enum_decl(&mut self, e: &EnumDecl) {
        self.anchor_doc(e.name.span.start, &e.doc);
        self.doc(&e.doc);
        let close = self.close_of(e.name.span.end);
        let commented = close.is_some_and(|c| self.comments_in(e.name.span.end, c));
        if e.members.iter().all(|m| m.doc.is_none()) && !commented {
            let names: Vec<&str> = e.members.iter().map(|m| m.name.name.as_str()).collect();
            self.line(&format!("enum {} {{ {} }}", e.name.name, names.join(", ")));
            return;
        }
        self.line(&format!("enum {} {{", e.name.name));
        self.indent += 1;
        for m in &e.members {
            self.anchor_doc(m.name.span.start, &m.doc);
            self.doc(&m.doc);
            self.line(&format!("{},", m.name.name));
        }
        if let Some(c) = close {
            self.anchor(c);
        }
        self.indent -= 1;
        self.line("}");
    }

    /// `(a: int, b: string)`, or one param per line when some have docs.
    /// `from..to` is where the params are in the source.
    fn params(&mut self, params: &[Field], from: u32, to: u32) {
        let commented = !params.is_empty() && self.comments_in(from, to);
        if params.iter().all(|p| p.doc.is_none()) && !commented {
            self.out.push('(');
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                field(&mut self.out, p);
            }
            self.out.push(')');
            return;
        }
        self.out.push_str("(\n");
        self.indent += 1;
        for p in params {
            self.anchor_doc(p.name.span.start, &p.doc);
            self.doc(&p.doc);
            self.pad();
            field(&mut self.out, p);
            self.out.push_str(",\n");
        }
        self.anchor(to);
        self.indent -= 1;
        self.pad();
        self.out.push(')');
    }

    fn handler(&mut self, keyword: &str, h: &HandlerDecl) {
        self.anchor_doc(h.name.span.start, &h.doc);
        self.doc(&h.doc);
        self.pad();
        self.out.push_str(keyword);
        self.out.push(' ');
        self.out.push_str(&h.name.name);
        version(&mut self.out, h.version);
        self.params(&h.params, h.name.span.end, h.body.span.start);
        self.out.push(' ');
        self.block(&h.body);
        self.out.push('\n');
    }

    /// `{`, the statements, `}` (no newline after it).
    fn block(&mut self, b: &Block) {
        let close = b.span.end.saturating_sub(1);
        if b.stmts.is_empty() && !self.comments_in(b.span.start, close) {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        self.indent += 1;
        for s in &b.stmts {
            self.anchor_doc(s.keyword.start, &None);
            self.stmt(s);
        }
        self.anchor(close);
        self.indent -= 1;
        self.pad();
        self.out.push('}');
    }

    fn stmt(&mut self, s: &Stmt) {
        self.pad();
        let out = &mut self.out;
        match &s.kind {
            StmtKind::Let { name, value } => {
                out.push_str("let ");
                out.push_str(&name.name);
                out.push_str(" = ");
                expr(out, value, 0);
            }
            StmtKind::Reject {
                reason,
                message,
                unless,
                cond,
            } => {
                out.push_str("reject ");
                if let Some(r) = reason {
                    out.push_str(&r.name);
                    out.push(' ');
                }
                match &message.kind {
                    ExprKind::Str(parts) => string_lit(out, parts),
                    // Not from the parser; keep the output readable.
                    _ => string_lit(out, &[StrPart::Expr(message.clone())]),
                }
                out.push_str(if *unless { " unless " } else { " if " });
                expr(out, cond, 0);
            }
            StmtKind::Emit {
                event,
                version,
                args,
            } => {
                out.push_str("emit ");
                out.push_str(&event.name);
                self::version(out, *version);
                out.push('(');
                self::args(out, args);
                out.push(')');
            }
            StmtKind::Set { path, value } => {
                out.push_str("set ");
                self::path(out, path);
                out.push_str(" = ");
                expr(out, value, 0);
            }
            StmtKind::Remove { path } => {
                out.push_str("remove ");
                self::path(out, path);
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (i, (cond, body)) in branches.iter().enumerate() {
                    self.out.push_str(if i == 0 { "if " } else { " else if " });
                    expr(&mut self.out, cond, 0);
                    self.out.push(' ');
                    self.block(body);
                }
                if let Some(b) = otherwise {
                    self.out.push_str(" else ");
                    self.block(b);
                }
            }
            StmtKind::For { var, iter, body } => {
                out.push_str("for ");
                out.push_str(&var.name);
                out.push_str(" in ");
                expr(out, iter, 0);
                self.out.push(' ');
                self.block(body);
            }
            StmtKind::Insert {
                table,
                args,
                upsert,
            } => {
                out.push_str(if *upsert { "upsert " } else { "insert " });
                out.push_str(&table.name);
                out.push('(');
                self::args(out, args);
                out.push(')');
            }
            StmtKind::Update { table, keys, args } => {
                out.push_str("update ");
                out.push_str(&table.name);
                key_list(out, keys);
                out.push('(');
                self::args(out, args);
                out.push(')');
            }
            StmtKind::Delete { table, keys } => {
                out.push_str("delete ");
                out.push_str(&table.name);
                key_list(out, keys);
            }
        }
        self.out.push('\n');
    }
}

fn field(out: &mut String, f: &Field) {
    out.push_str(&f.name.name);
    out.push_str(": ");
    ty(out, &f.ty);
    if let Some(d) = &f.default {
        out.push_str(" = ");
        expr(out, d, 0);
    }
}

fn ty(out: &mut String, t: &TypeExpr) {
    match &t.kind {
        TypeKind::String => out.push_str("string"),
        TypeKind::Int => out.push_str("int"),
        TypeKind::Float => out.push_str("float"),
        TypeKind::Bool => out.push_str("bool"),
        TypeKind::Timestamp => out.push_str("timestamp"),
        TypeKind::Duration => out.push_str("duration"),
        TypeKind::Qualified(m, t) => {
            out.push_str(&m.name);
            out.push('.');
            out.push_str(&t.name);
        }
        TypeKind::List(item) => {
            out.push_str("list<");
            ty(out, item);
            out.push('>');
        }
        TypeKind::Map(k, v) => {
            out.push_str("map<");
            ty(out, k);
            out.push_str(", ");
            ty(out, v);
            out.push('>');
        }
        TypeKind::Named(n) => out.push_str(&n.name),
        TypeKind::Optional(inner) => {
            ty(out, inner);
            out.push('?');
        }
    }
}

fn path(out: &mut String, p: &Path) {
    out.push_str(&p.root.name);
    for s in &p.segments {
        match s {
            PathSegment::Field(f) => {
                out.push('.');
                out.push_str(&f.name);
            }
            PathSegment::Index(e) => {
                out.push('[');
                expr(out, e, 0);
                out.push(']');
            }
        }
    }
}

/// `@N` after an event's name, when one is written (§12).
fn version(out: &mut String, v: Option<Version>) {
    if let Some(v) = v {
        out.push('@');
        out.push_str(&v.value.to_string());
    }
}

// ----- span-insensitive comparison -----

/// Sets every span in `file` to [`Span::default`], so that trees read from
/// different text compare equal when they mean the same.
pub fn strip_spans(file: &mut File) {
    for m in &mut file.models {
        m.name.span = Span::default();
        for member in &mut m.members {
            strip_member(member);
        }
    }
    for t in &mut file.tables {
        t.name.span = Span::default();
        for c in &mut t.columns {
            c.key = c.key.map(|_| Span::default());
            strip_field(&mut c.field);
        }
    }
    for p in &mut file.projections {
        p.name.span = Span::default();
        for h in &mut p.handlers {
            h.keyword = Span::default();
            h.model.span = Span::default();
            h.event.span = Span::default();
            strip_block(&mut h.body);
        }
    }
}

fn strip_member(m: &mut Member) {
    match m {
        Member::State(s) => {
            s.keyword = Span::default();
            s.fields.iter_mut().for_each(strip_field);
        }
        Member::Record(r) => {
            r.name.span = Span::default();
            r.fields.iter_mut().for_each(strip_field);
        }
        Member::Enum(e) => {
            e.name.span = Span::default();
            for m in &mut e.members {
                m.name.span = Span::default();
            }
        }
        Member::Command(h) | Member::Event(h) | Member::Upcast(h) => {
            h.name.span = Span::default();
            if let Some(v) = &mut h.version {
                v.span = Span::default();
            }
            h.params.iter_mut().for_each(strip_field);
            strip_block(&mut h.body);
        }
        Member::Query(q) => {
            q.name.span = Span::default();
            q.params.iter_mut().for_each(strip_field);
            strip_type(&mut q.ty);
            strip_expr_spans(&mut q.body);
        }
        Member::Invariant(i) => {
            i.keyword = Span::default();
            strip_expr_spans(&mut i.expr);
        }
    }
}

fn strip_field(f: &mut Field) {
    f.name.span = Span::default();
    strip_type(&mut f.ty);
    if let Some(d) = &mut f.default {
        strip_expr_spans(d);
    }
}

/// [`strip_spans`] for one type.
pub fn strip_type(t: &mut TypeExpr) {
    t.span = Span::default();
    match &mut t.kind {
        TypeKind::List(a) | TypeKind::Optional(a) => strip_type(a),
        TypeKind::Map(a, b) => {
            strip_type(a);
            strip_type(b);
        }
        TypeKind::Named(n) => n.span = Span::default(),
        TypeKind::Qualified(m, n) => {
            m.span = Span::default();
            n.span = Span::default();
        }
        TypeKind::String
        | TypeKind::Int
        | TypeKind::Float
        | TypeKind::Bool
        | TypeKind::Timestamp
        | TypeKind::Duration => {}
    }
}

fn strip_block(b: &mut Block) {
    b.span = Span::default();
    for s in &mut b.stmts {
        s.keyword = Span::default();
        match &mut s.kind {
            StmtKind::Let { name, value } => {
                name.span = Span::default();
                strip_expr_spans(value);
            }
            StmtKind::Reject {
                reason,
                message,
                cond,
                ..
            } => {
                if let Some(r) = reason {
                    r.span = Span::default();
                }
                strip_expr_spans(message);
                strip_expr_spans(cond);
            }
            StmtKind::Emit {
                event,
                version,
                args,
            } => {
                event.span = Span::default();
                if let Some(v) = version {
                    v.span = Span::default();
                }
                args.iter_mut().for_each(strip_arg);
            }
            StmtKind::Set { path, value } => {
                strip_path(path);
                strip_expr_spans(value);
            }
            StmtKind::Remove { path } => strip_path(path),
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    strip_expr_spans(c);
                    strip_block(b);
                }
                if let Some(b) = otherwise {
                    strip_block(b);
                }
            }
            StmtKind::For { var, iter, body } => {
                var.span = Span::default();
                strip_expr_spans(iter);
                strip_block(body);
            }
            StmtKind::Insert { table, args, .. } => {
                table.span = Span::default();
                args.iter_mut().for_each(strip_arg);
            }
            StmtKind::Update { table, keys, args } => {
                table.span = Span::default();
                keys.iter_mut().for_each(strip_expr_spans);
                args.iter_mut().for_each(strip_arg);
            }
            StmtKind::Delete { table, keys } => {
                table.span = Span::default();
                keys.iter_mut().for_each(strip_expr_spans);
            }
        }
    }
}

fn strip_path(p: &mut Path) {
    p.root.span = Span::default();
    for s in &mut p.segments {
        match s {
            PathSegment::Field(f) => f.span = Span::default(),
            PathSegment::Index(e) => strip_expr_spans(e),
        }
    }
}

fn strip_arg(a: &mut Arg) {
    a.name.span = Span::default();
    strip_expr_spans(&mut a.value);
}

/// [`strip_spans`] for one expression.
pub fn strip_expr_spans(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Float(_) => {}
        ExprKind::Str(parts) => {
            for p in parts {
                if let StrPart::Expr(e) = p {
                    strip_expr_spans(e);
                }
            }
        }
        ExprKind::List(items) => items.iter_mut().for_each(strip_expr_spans),
        ExprKind::Map(entries) => {
            for (k, v) in entries {
                strip_expr_spans(k);
                strip_expr_spans(v);
            }
        }
        ExprKind::Record { name, fields } => {
            name.span = Span::default();
            fields.iter_mut().for_each(strip_arg);
        }
        ExprKind::Name(n) => n.span = Span::default(),
        ExprKind::EnumMember { ty, member } => {
            ty.span = Span::default();
            member.span = Span::default();
        }
        ExprKind::Unary { expr, .. } => strip_expr_spans(expr),
        ExprKind::Binary { lhs, rhs, .. } => {
            strip_expr_spans(lhs);
            strip_expr_spans(rhs);
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => {
            strip_expr_spans(cond);
            strip_expr_spans(then);
            strip_expr_spans(otherwise);
        }
        ExprKind::Field { target, field } => {
            strip_expr_spans(target);
            field.span = Span::default();
        }
        ExprKind::Index { target, index } => {
            strip_expr_spans(target);
            strip_expr_spans(index);
        }
        ExprKind::Call { func, args } => {
            func.span = Span::default();
            args.iter_mut().for_each(strip_expr_spans);
        }
        ExprKind::Method {
            target,
            method,
            args,
        } => {
            strip_expr_spans(target);
            method.span = Span::default();
            args.iter_mut().for_each(strip_expr_spans);
        }
    }
}

#[cfg(test)]
pub(crate) mod strategy;
#[cfg(test)]
mod tests;
