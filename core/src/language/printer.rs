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

/// The canonical source text of `file`.
pub fn print(file: &File) -> String {
    let mut p = Printer::default();
    for (i, m) in file.models.iter().enumerate() {
        if i > 0 {
            p.out.push('\n');
        }
        p.model(m);
    }
    for (i, t) in file.tables.iter().enumerate() {
        if i > 0 || !file.models.is_empty() {
            p.out.push('\n');
        }
        p.table(t);
    }
    for (i, pr) in file.projections.iter().enumerate() {
        if i > 0 || !file.models.is_empty() || !file.tables.is_empty() {
            p.out.push('\n');
        }
        p.projection(pr);
    }
    p.out
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

    fn table(&mut self, t: &Table) {
        self.doc(&t.doc);
        if t.columns.is_empty() {
            self.line(&format!("table {} {{}}", t.name.name));
            return;
        }
        self.line(&format!("table {} {{", t.name.name));
        self.indent += 1;
        for c in &t.columns {
            self.doc(&c.field.doc);
            self.pad();
            if c.key.is_some() {
                self.out.push_str("key ");
            }
            field(&mut self.out, &c.field);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line("}");
    }

    fn projection(&mut self, p: &Projection) {
        self.doc(&p.doc);
        let head = format!("projection {} {}", p.name.name, p.mode.word());
        if p.handlers.is_empty() {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for (i, h) in p.handlers.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.doc(&h.doc);
            self.pad();
            self.out
                .push_str(&format!("on {}.{} ", h.model.name, h.event.name));
            self.block(&h.body);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line("}");
    }

    fn model(&mut self, m: &Model) {
        self.doc(&m.doc);
        if m.members.is_empty() {
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
        self.indent -= 1;
        self.line("}");
    }

    fn member(&mut self, m: &Member) {
        match m {
            Member::State(s) => {
                self.doc(&s.doc);
                self.fields("state", &s.fields);
            }
            Member::Record(r) => {
                self.doc(&r.doc);
                self.fields(&format!("record {}", r.name.name), &r.fields);
            }
            Member::Enum(e) => self.enum_decl(e),
            Member::Command(h) => self.handler("command", h),
            Member::Event(h) => self.handler("event", h),
            Member::Upcast(h) => self.handler("upcast", h),
            Member::Query(q) => {
                self.doc(&q.doc);
                self.pad();
                self.out.push_str("query ");
                self.out.push_str(&q.name.name);
                self.params(&q.params);
                self.out.push_str(": ");
                ty(&mut self.out, &q.ty);
                self.out.push_str(" = ");
                expr(&mut self.out, &q.body, 0);
                self.out.push('\n');
            }
            Member::Invariant(inv) => {
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

    fn fields(&mut self, head: &str, fields: &[Field]) {
        if fields.is_empty() {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for f in fields {
            self.doc(&f.doc);
            self.pad();
            field(&mut self.out, f);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line("}");
    }

    fn enum_decl(&mut self, e: &EnumDecl) {
        self.doc(&e.doc);
        if e.members.iter().all(|m| m.doc.is_none()) {
            let names: Vec<&str> = e.members.iter().map(|m| m.name.name.as_str()).collect();
            self.line(&format!("enum {} {{ {} }}", e.name.name, names.join(", ")));
            return;
        }
        self.line(&format!("enum {} {{", e.name.name));
        self.indent += 1;
        for m in &e.members {
            self.doc(&m.doc);
            self.line(&format!("{},", m.name.name));
        }
        self.indent -= 1;
        self.line("}");
    }

    /// `(a: int, b: string)`, or one param per line when some have docs.
    fn params(&mut self, params: &[Field]) {
        if params.iter().all(|p| p.doc.is_none()) {
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
            self.doc(&p.doc);
            self.pad();
            field(&mut self.out, p);
            self.out.push_str(",\n");
        }
        self.indent -= 1;
        self.pad();
        self.out.push(')');
    }

    fn handler(&mut self, keyword: &str, h: &HandlerDecl) {
        self.doc(&h.doc);
        self.pad();
        self.out.push_str(keyword);
        self.out.push(' ');
        self.out.push_str(&h.name.name);
        version(&mut self.out, h.version);
        self.params(&h.params);
        self.out.push(' ');
        self.block(&h.body);
        self.out.push('\n');
    }

    /// `{`, the statements, `}` (no newline after it).
    fn block(&mut self, b: &Block) {
        if b.stmts.is_empty() {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        self.indent += 1;
        for s in &b.stmts {
            self.stmt(s);
        }
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

/// `[k1, ..., kj]` of `update` and `delete`.
fn key_list(out: &mut String, keys: &[Expr]) {
    out.push('[');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, k, 0);
    }
    out.push(']');
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

/// `name: value`, or `name` alone when the value is that name.
fn args(out: &mut String, args: &[Arg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&a.name.name);
        if !matches!(&a.value.kind, ExprKind::Name(n) if n.name == a.name.name) {
            out.push_str(": ");
            expr(out, &a.value, 0);
        }
    }
}

/// Binding strength: 0 `? :`, 1 `||`, 2 `&&`, 3 comparisons, 4 `+ -`,
/// 5 `* / %`, 6 unary, 7 postfix and primary.
fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In => 3,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 5,
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Cond { .. } => 0,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary { .. } => 6,
        _ => 7,
    }
}

/// Whether `e` prints starting with a non-negative integer literal: a `-`
/// before it would fold into the literal.
fn starts_with_int(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(v) => *v >= 0,
        ExprKind::Field { target, .. }
        | ExprKind::Index { target, .. }
        | ExprKind::Method { target, .. } => prec(target) >= 7 && starts_with_int(target),
        _ => false,
    }
}

/// Prints `e`, in parentheses when it binds less tightly than `min`.
fn expr(out: &mut String, e: &Expr, min: u8) {
    let parens = prec(e) < min;
    if parens {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Int(v) => out.push_str(&v.to_string()),
        ExprKind::Float(f) => out.push_str(&float(*f)),
        ExprKind::Str(parts) => string_lit(out, parts),
        ExprKind::List(items) => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        ExprKind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(out, k, 0);
                out.push_str(": ");
                expr(out, v, 0);
            }
            out.push('}');
        }
        ExprKind::Record { name, fields } => {
            out.push_str(&name.name);
            out.push('{');
            args(out, fields);
            out.push('}');
        }
        ExprKind::Name(n) => out.push_str(&n.name),
        ExprKind::EnumMember { ty, member } => {
            out.push_str(&ty.name);
            out.push('.');
            out.push_str(&member.name);
        }
        ExprKind::Unary { op, expr: inner } => {
            match op {
                UnaryOp::Not => out.push('!'),
                UnaryOp::Neg => out.push('-'),
            }
            if *op == UnaryOp::Neg && starts_with_int(inner) && prec(inner) >= 6 {
                // `-(5)`: a bare `-5` would read back as the literal -5.
                out.push('(');
                expr(out, inner, 0);
                out.push(')');
            } else {
                expr(out, inner, 6);
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = binary_prec(*op);
            // Comparisons do not chain: both sides need parentheses.
            let lhs_min = if p == 3 { p + 1 } else { p };
            expr(out, lhs, lhs_min);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            expr(out, rhs, p + 1);
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => {
            expr(out, cond, 1);
            out.push_str(" ? ");
            expr(out, then, 1);
            out.push_str(" : ");
            expr(out, otherwise, 0);
        }
        ExprKind::Field { target, field } => {
            expr(out, target, 7);
            out.push('.');
            out.push_str(&field.name);
        }
        ExprKind::Index { target, index } => {
            expr(out, target, 7);
            out.push('[');
            expr(out, index, 0);
            out.push(']');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
        ExprKind::Method {
            target,
            method,
            args,
        } => {
            expr(out, target, 7);
            out.push('.');
            out.push_str(&method.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
    }
    if parens {
        out.push(')');
    }
}

fn list(out: &mut String, items: &[Expr]) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, e, 0);
    }
}

/// A float as the shortest text that reads back to it, always with a `.` or
/// an exponent so that it stays a float.
fn float(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) || !f.is_finite() {
        s
    } else {
        s + ".0"
    }
}

fn string_lit(out: &mut String, parts: &[StrPart]) {
    out.push('"');
    for (i, part) in parts.iter().enumerate() {
        match part {
            StrPart::Lit(text) => {
                let next_is_brace =
                    matches!(parts.get(i + 1), Some(StrPart::Lit(t)) if t.starts_with('{'));
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        '$' if chars.peek() == Some(&'{')
                            || (chars.peek().is_none() && next_is_brace) =>
                        {
                            out.push_str("\\$")
                        }
                        c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", u32::from(c))),
                        c => out.push(c),
                    }
                }
            }
            StrPart::Expr(e) => {
                out.push_str("${");
                expr(out, e, 0);
                out.push('}');
            }
        }
    }
    out.push('"');
}

// ----- span-insensitive comparison -----

/// Sets every span in `file` to [`Span::default`], so that trees read from
/// different text compare equal when they mean the same.
/// `@N` after an event's name, when one is written (§12).
fn version(out: &mut String, v: Option<Version>) {
    if let Some(v) = v {
        out.push('@');
        out.push_str(&v.value.to_string());
    }
}

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
mod tests {
    use super::super::ast::{
        Column, EnumMember, Ident, InvariantDecl, OnHandler, ProjectionMode, QueryDecl, RecordDecl,
        StateDecl,
    };
    use super::super::lexer::is_keyword;
    use super::super::parser::{parse, parse_expr};
    use super::*;
    use proptest::prelude::*;

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

    fn parsed(src: &str) -> File {
        let (mut f, d) = parse(0, src);
        assert!(d.is_empty(), "diagnostics for\n{src}\n{d:#?}");
        strip_spans(&mut f);
        f
    }

    fn assert_round_trip(file: &File) {
        let printed = print(file);
        let again = parsed(&printed);
        let mut want = file.clone();
        strip_spans(&mut want);
        assert_eq!(want, again, "printed:\n{printed}");
        assert_eq!(print(&again), printed, "printing is stable");
    }

    #[test]
    fn shared_models_round_trip() {
        for src in [todos(), account(), cart()] {
            assert_round_trip(&parsed(src));
        }
    }

    #[test]
    fn todos_prints_like_the_source() {
        // The shared model is already in canonical form except for blank
        // lines between one-line queries.
        let printed = print(&parsed(todos()));
        let squeeze = |s: &str| {
            s.lines()
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(squeeze(&printed), squeeze(todos()));
    }

    fn expr_round_trip(src: &str) -> String {
        let (e, d) = parse_expr(0, src);
        assert!(d.is_empty(), "{src}: {d:#?}");
        let mut e = e.unwrap();
        strip_expr_spans(&mut e);
        let printed = print_expr(&e);
        let (again, d) = parse_expr(0, &printed);
        assert!(d.is_empty(), "{printed}: {d:#?}");
        let mut again = again.unwrap();
        strip_expr_spans(&mut again);
        assert_eq!(e, again, "{src} printed as {printed}");
        printed
    }

    #[test]
    fn expressions_print_with_needed_parentheses_only() {
        for (src, want) in [
            ("(a + b) * c", "(a + b) * c"),
            ("a + (b * c)", "a + b * c"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a - b) - c", "a - b - c"),
            ("(a < b) == c", "(a < b) == c"),
            ("a == (b < c)", "a == (b < c)"),
            (
                "(a ? b : c) ? (d ? e : f) : g ? h : i",
                "(a ? b : c) ? (d ? e : f) : g ? h : i",
            ),
            ("-(5)", "-(5)"),
            ("-(5).x", "-(5.x)"),
            ("-(5.x)", "-(5.x)"),
            ("(-5).x", "-5.x"),
            ("- -5", "--5"),
            ("-(-(5))", "--(5)"),
            ("-1.5", "-1.5"),
            ("!(a && b)", "!(a && b)"),
            ("(!a).b", "(!a).b"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("1e100 + 2.0 + .5", "1e100 + 2.0 + 0.5"),
            (
                "{\"k\": [1, 2], (a ? b : c): Todo{id, text: t}}",
                "{\"k\": [1, 2], a ? b : c: Todo{id, text: t}}",
            ),
            ("Status.open.name", "Status.open.name"),
            ("size(x)[0].m(1, 2)", "size(x)[0].m(1, 2)"),
            ("x in [1] && !y || z", "x in [1] && !y || z"),
        ] {
            assert_eq!(expr_round_trip(src), want, "{src}");
        }
    }

    #[test]
    fn strings_print_escaped() {
        for (src, want) in [
            (r#""a\"b\\c\nd\te\rf""#, r#""a\"b\\c\nd\te\rf""#),
            (r#""\${x} $ {} $""#, r#""\${x} $ {} $""#),
            (r#""${x}${"${y}"}$${z}""#, r#""${x}${"${y}"}$${z}""#),
            ("\"\\u{1}é\\u{1F600}\"", "\"\\u{1}é\u{1F600}\""),
            (r#""""#, r#""""#),
        ] {
            assert_eq!(expr_round_trip(src), want, "{src}");
        }
        // Adjacent literal parts (not from the parser) still print safely.
        let e = Expr {
            kind: ExprKind::Str(vec![StrPart::Lit("a$".into()), StrPart::Lit("{b}".into())]),
            span: Span::default(),
        };
        assert_eq!(print_expr(&e), r#""a\${b}""#);
    }

    #[test]
    fn floats_stay_floats() {
        for f in [
            0.0,
            1.0,
            1e15,
            1e16,
            1e20,
            1.5e-7,
            123.456,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            let s = float(f);
            let (e, d) = parse_expr(0, &s);
            assert!(d.is_empty(), "{s}: {d:?}");
            assert_eq!(e.unwrap().kind, ExprKind::Float(f), "{s}");
        }
    }

    #[test]
    fn docs_and_layout() {
        let src = "/// M\n///\n///  indented\nmodel M {\n  /// S\n  state {\n    /// a\n    a: int = 1\n  }\n\n  enum E {\n    /// x\n    x,\n    y,\n  }\n\n  command go(\n    /// p\n    p: int,\n    q: string? = null,\n  ) {\n    if p > 0 {\n      emit went(p)\n    } else if p < 0 {\n    } else {\n      for i in [1] {\n        remove s[i].f\n      }\n    }\n  }\n\n  event went(p: int) {}\n\n  invariant \"ok \\${x}\": true\n}\n\nmodel N {}\n";
        let f = parsed(src);
        assert_eq!(
            print(&f),
            src.replace("} else if p < 0 {\n    }", "} else if p < 0 {}")
        );
        assert_round_trip(&f);
    }

    // ----- random trees -----

    fn id(name: impl Into<String>) -> Ident {
        Ident {
            name: name.into(),
            span: Span::default(),
        }
    }

    fn ex(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    fn snake() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !is_keyword(s))
    }

    fn pascal() -> impl Strategy<Value = String> {
        "[A-Z][A-Za-z0-9]{0,5}"
    }

    fn kebab() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,3}){0,2}".prop_filter("not a keyword", |s| !is_keyword(s))
    }

    fn doc() -> impl Strategy<Value = Option<String>> {
        proptest::option::weighted(0.3, "[ -~]{0,12}(\n[ -~]{0,12}){0,2}")
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z \"\\\\${}]{1,8}",
            "\\PC{1,6}",
            Just("\n\t\r\u{0}".to_string()),
        ]
    }

    /// Literal parts merged and never empty, as the parser makes them.
    fn normalize(parts: Vec<StrPart>) -> Vec<StrPart> {
        let mut out: Vec<StrPart> = Vec::new();
        for p in parts {
            match (out.last_mut(), p) {
                (_, StrPart::Lit(t)) if t.is_empty() => {}
                (Some(StrPart::Lit(prev)), StrPart::Lit(t)) => prev.push_str(&t),
                (_, p) => out.push(p),
            }
        }
        out
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            Just(ex(ExprKind::Null)),
            any::<bool>().prop_map(|b| ex(ExprKind::Bool(b))),
            any::<i64>().prop_map(|v| ex(ExprKind::Int(v))),
            (0i64..20).prop_map(|v| ex(ExprKind::Int(v))),
            prop_oneof![
                any::<f64>().prop_filter("finite, not negative", |f| f.is_finite()
                    && f.is_sign_positive()),
                Just(0.5),
                Just(1e20)
            ]
            .prop_map(|f| ex(ExprKind::Float(f))),
            proptest::option::of(text()).prop_map(|t| ex(ExprKind::Str(normalize(
                t.into_iter().map(StrPart::Lit).collect()
            )))),
            snake().prop_map(|n| ex(ExprKind::Name(id(n)))),
            Just(ex(ExprKind::Name(id("state")))),
            (pascal(), snake()).prop_map(|(t, m)| ex(ExprKind::EnumMember {
                ty: id(t),
                member: id(m)
            })),
        ]
    }

    fn arg(value: impl Strategy<Value = Expr>) -> impl Strategy<Value = Arg> {
        (snake(), value, any::<bool>()).prop_map(|(n, v, short)| Arg {
            name: id(n.clone()),
            value: if short { ex(ExprKind::Name(id(n))) } else { v },
        })
    }

    fn expr_tree() -> impl Strategy<Value = Expr> {
        let binops = [
            BinaryOp::Or,
            BinaryOp::And,
            BinaryOp::Eq,
            BinaryOp::Ne,
            BinaryOp::Lt,
            BinaryOp::Le,
            BinaryOp::Gt,
            BinaryOp::Ge,
            BinaryOp::In,
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Rem,
        ];
        leaf().prop_recursive(5, 48, 4, move |inner| {
            let small = || proptest::collection::vec(inner.clone(), 0..3);
            prop_oneof![
                (
                    prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                    inner.clone()
                )
                    .prop_map(|(op, e)| ex(ExprKind::Unary {
                        op,
                        expr: Box::new(e)
                    })),
                (
                    prop::sample::select(binops.to_vec()),
                    inner.clone(),
                    inner.clone()
                )
                    .prop_map(|(op, l, r)| ex(ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r)
                    })),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| ex(
                    ExprKind::Cond {
                        cond: Box::new(c),
                        then: Box::new(t),
                        otherwise: Box::new(o)
                    }
                )),
                (inner.clone(), snake()).prop_map(|(t, f)| ex(ExprKind::Field {
                    target: Box::new(t),
                    field: id(f)
                })),
                (inner.clone(), inner.clone()).prop_map(|(t, i)| ex(ExprKind::Index {
                    target: Box::new(t),
                    index: Box::new(i)
                })),
                (snake(), small()).prop_map(|(f, args)| ex(ExprKind::Call { func: id(f), args })),
                (inner.clone(), snake(), small()).prop_map(|(t, m, args)| ex(ExprKind::Method {
                    target: Box::new(t),
                    method: id(m),
                    args
                })),
                small().prop_map(|items| ex(ExprKind::List(items))),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3)
                    .prop_map(|e| ex(ExprKind::Map(e))),
                (
                    pascal(),
                    proptest::collection::vec(arg(inner.clone()), 0..3)
                )
                    .prop_map(|(n, fields)| ex(ExprKind::Record {
                        name: id(n),
                        fields
                    })),
                proptest::collection::vec(
                    prop_oneof![
                        text().prop_map(StrPart::Lit),
                        inner.clone().prop_map(StrPart::Expr)
                    ],
                    0..4
                )
                .prop_map(|parts| ex(ExprKind::Str(normalize(parts)))),
            ]
        })
    }

    fn type_tree() -> impl Strategy<Value = TypeExpr> {
        let t = |kind| TypeExpr {
            kind,
            span: Span::default(),
        };
        let leaf = prop_oneof![
            Just(t(TypeKind::String)),
            Just(t(TypeKind::Int)),
            Just(t(TypeKind::Float)),
            Just(t(TypeKind::Bool)),
            Just(t(TypeKind::Timestamp)),
            Just(t(TypeKind::Duration)),
            pascal().prop_map(move |n| t(TypeKind::Named(id(n)))),
            (pascal(), pascal()).prop_map(move |(m, n)| t(TypeKind::Qualified(id(m), id(n)))),
        ];
        leaf.prop_recursive(3, 8, 2, move |inner| {
            prop_oneof![
                inner
                    .clone()
                    .prop_map(move |i| t(TypeKind::List(Box::new(i)))),
                (inner.clone(), inner.clone())
                    .prop_map(move |(k, v)| t(TypeKind::Map(Box::new(k), Box::new(v)))),
                inner.prop_map(move |i| t(TypeKind::Optional(Box::new(i)))),
            ]
        })
    }

    fn field_strategy() -> impl Strategy<Value = Field> {
        (
            doc(),
            snake(),
            type_tree(),
            proptest::option::weighted(0.3, expr_tree()),
        )
            .prop_map(|(doc, n, ty, default)| Field {
                doc,
                name: id(n),
                ty,
                default,
            })
    }

    fn version_strategy() -> impl Strategy<Value = Option<Version>> {
        proptest::option::of(prop_oneof![1..4u32, Just(u32::MAX)]).prop_map(|v| {
            v.map(|value| Version {
                value,
                span: Span::default(),
            })
        })
    }

    fn path_strategy() -> impl Strategy<Value = Path> {
        (
            prop_oneof![snake(), Just("state".to_string())],
            proptest::collection::vec(
                prop_oneof![
                    snake().prop_map(|f| PathSegment::Field(id(f))),
                    expr_tree().prop_map(PathSegment::Index)
                ],
                0..3,
            ),
        )
            .prop_map(|(root, segments)| Path {
                root: id(root),
                segments,
            })
    }

    fn str_expr() -> impl Strategy<Value = Expr> {
        proptest::collection::vec(
            prop_oneof![
                text().prop_map(StrPart::Lit),
                expr_tree().prop_map(StrPart::Expr)
            ],
            0..3,
        )
        .prop_map(|parts| ex(ExprKind::Str(normalize(parts))))
    }

    fn stmt_leaf() -> impl Strategy<Value = StmtKind> {
        prop_oneof![
            (snake(), expr_tree()).prop_map(|(n, value)| StmtKind::Let { name: id(n), value }),
            (
                proptest::option::of(snake()),
                str_expr(),
                any::<bool>(),
                expr_tree()
            )
                .prop_map(|(r, message, unless, cond)| {
                    StmtKind::Reject {
                        reason: r.map(id),
                        message,
                        unless,
                        cond,
                    }
                }),
            (
                kebab(),
                version_strategy(),
                proptest::collection::vec(arg(expr_tree()), 0..3)
            )
                .prop_map(|(e, version, args)| StmtKind::Emit {
                    event: id(e),
                    version,
                    args
                }),
            (path_strategy(), expr_tree()).prop_map(|(path, value)| StmtKind::Set { path, value }),
            path_strategy().prop_map(|path| StmtKind::Remove { path }),
            (
                snake(),
                proptest::collection::vec(arg(expr_tree()), 0..3),
                any::<bool>()
            )
                .prop_map(|(t, args, upsert)| StmtKind::Insert {
                    table: id(t),
                    args,
                    upsert
                }),
            (
                snake(),
                proptest::collection::vec(expr_tree(), 1..3),
                proptest::collection::vec(arg(expr_tree()), 0..3)
            )
                .prop_map(|(t, keys, args)| StmtKind::Update {
                    table: id(t),
                    keys,
                    args
                }),
            (snake(), proptest::collection::vec(expr_tree(), 1..3))
                .prop_map(|(t, keys)| StmtKind::Delete { table: id(t), keys }),
        ]
    }

    fn block_of(stmts: Vec<StmtKind>) -> Block {
        Block {
            stmts: stmts
                .into_iter()
                .map(|kind| Stmt {
                    kind,
                    keyword: Span::default(),
                })
                .collect(),
            span: Span::default(),
        }
    }

    fn stmt_tree() -> impl Strategy<Value = StmtKind> {
        stmt_leaf().prop_recursive(3, 16, 3, |inner| {
            let block = proptest::collection::vec(inner.clone(), 0..3).prop_map(block_of);
            prop_oneof![
                (
                    proptest::collection::vec((expr_tree(), block.clone()), 1..3),
                    proptest::option::of(block.clone())
                )
                    .prop_map(|(branches, otherwise)| StmtKind::If {
                        branches,
                        otherwise
                    }),
                (snake(), expr_tree(), block).prop_map(|(v, iter, body)| StmtKind::For {
                    var: id(v),
                    iter,
                    body
                }),
            ]
        })
    }

    fn member_strategy() -> impl Strategy<Value = Member> {
        let fields = || proptest::collection::vec(field_strategy(), 0..3);
        let body = || proptest::collection::vec(stmt_tree(), 0..3).prop_map(block_of);
        prop_oneof![
            (doc(), fields()).prop_map(|(doc, fields)| Member::State(StateDecl {
                doc,
                keyword: Span::default(),
                fields
            })),
            (doc(), pascal(), fields()).prop_map(|(doc, n, fields)| Member::Record(RecordDecl {
                doc,
                name: id(n),
                fields
            })),
            (
                doc(),
                pascal(),
                proptest::collection::vec((doc(), snake()), 1..4)
            )
                .prop_map(|(doc, n, ms)| {
                    Member::Enum(EnumDecl {
                        doc,
                        name: id(n),
                        members: ms
                            .into_iter()
                            .map(|(doc, m)| EnumMember { doc, name: id(m) })
                            .collect(),
                    })
                }),
            (doc(), kebab(), version_strategy(), fields(), body(), 0..3u8).prop_map(
                |(doc, n, version, params, body, kind)| {
                    let mut h = HandlerDecl {
                        doc,
                        name: id(n),
                        version,
                        params,
                        body,
                    };
                    match kind {
                        0 => {
                            h.version = None;
                            Member::Command(h)
                        }
                        1 => Member::Event(h),
                        _ => {
                            h.version.get_or_insert(Version {
                                value: 1,
                                span: Span::default(),
                            });
                            Member::Upcast(h)
                        }
                    }
                }
            ),
            (doc(), kebab(), fields(), type_tree(), expr_tree()).prop_map(
                |(doc, n, params, ty, body)| Member::Query(QueryDecl {
                    doc,
                    name: id(n),
                    params,
                    ty,
                    body
                })
            ),
            (doc(), text(), expr_tree()).prop_map(|(doc, text, expr)| Member::Invariant(
                InvariantDecl {
                    doc,
                    keyword: Span::default(),
                    text,
                    expr
                }
            )),
        ]
    }

    fn file_strategy() -> impl Strategy<Value = File> {
        proptest::collection::vec(
            (
                doc(),
                pascal(),
                proptest::collection::vec(member_strategy(), 0..4),
            )
                .prop_map(|(doc, n, members)| Model {
                    doc,
                    name: id(n),
                    members,
                }),
            0..3,
        )
        .prop_flat_map(|models| {
            let column = (
                proptest::option::of(Just(Span::default())),
                field_strategy(),
            )
                .prop_map(|(key, field)| Column { key, field });
            let table = (doc(), snake(), proptest::collection::vec(column, 0..3)).prop_map(
                |(doc, n, columns)| Table {
                    doc,
                    name: id(n),
                    columns,
                },
            );
            let handler = (
                doc(),
                pascal(),
                kebab(),
                proptest::collection::vec(stmt_tree(), 0..3).prop_map(block_of),
            )
                .prop_map(|(doc, m, e, body)| OnHandler {
                    doc,
                    keyword: Span::default(),
                    model: id(m),
                    event: id(e),
                    body,
                });
            let projection = (
                doc(),
                kebab(),
                any::<bool>(),
                proptest::collection::vec(handler, 0..3),
            )
                .prop_map(|(doc, n, inline, handlers)| Projection {
                    doc,
                    name: id(n),
                    mode: if inline {
                        ProjectionMode::Inline
                    } else {
                        ProjectionMode::Async
                    },
                    handlers,
                });
            (
                Just(models),
                proptest::collection::vec(table, 0..2),
                proptest::collection::vec(projection, 0..2),
            )
        })
        .prop_map(|(models, tables, projections)| File {
            models,
            tables,
            projections,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn expressions_round_trip(e in expr_tree()) {
            let printed = print_expr(&e);
            let (again, d) = parse_expr(0, &printed);
            prop_assert!(d.is_empty(), "{}: {:?}", printed, d);
            let mut again = again.unwrap();
            strip_expr_spans(&mut again);
            prop_assert_eq!(&e, &again, "printed: {}", printed);
        }

        #[test]
        fn files_round_trip(f in file_strategy()) {
            let printed = print(&f);
            let (mut again, d) = parse(0, &printed);
            prop_assert!(d.is_empty(), "{}: {:?}", printed, d);
            strip_spans(&mut again);
            prop_assert_eq!(&f, &again, "printed:\n{}", printed);
        }
    }
}
