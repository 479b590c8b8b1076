//! Expressions: names, fields, strings and operators.

use super::*;

impl<'d> ModelChecker<'d> {
    // ---- expressions ----

    pub(super) fn expr(&mut self, scope: &mut Scope, e: &ast::Expr) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let span = e.span;
        if scope.place == Place::Projection {
            if let Some(read) = self.table_read(scope, e) {
                return read;
            }
        }
        match &e.kind {
            ExprKind::Null => (ir::Expr::Const(Value::Null), Type::Null),
            ExprKind::Bool(b) => (ir::Expr::Const(Value::Bool(*b)), Type::Bool),
            ExprKind::Int(i) => (ir::Expr::Const(Value::Int(*i)), Type::Int),
            ExprKind::Float(f) => {
                if !f.is_finite() {
                    self.error(span, "this float literal is too large to be finite");
                    return bad;
                }
                (ir::Expr::Const(Value::Float(*f)), Type::Float)
            }
            ExprKind::Str(parts) => self.string(scope, parts),
            ExprKind::List(items) => {
                let mut ty = Type::Unknown;
                let mut out = Vec::new();
                for item in items {
                    let (x, t) = self.expr(scope, item);
                    match ty.unify(&t) {
                        Some(u) => ty = u,
                        None => {
                            let (a, b) = (self.tname(&ty), self.tname(&t));
                            self.error(item.span, format!("a list holds one type: this item is {b}, the ones before are {a}"));
                            ty = Type::Error;
                        }
                    }
                    out.push(x);
                }
                (fold_list(out), Type::List(Box::new(ty)))
            }
            ExprKind::Map(entries) => {
                let mut ty = Type::Unknown;
                let mut out = Vec::new();
                for (k, v) in entries {
                    let (kx, kt) = self.expr(scope, k);
                    if !matches!(kt, Type::String | Type::Error) {
                        let found = self.tname(&kt);
                        self.error(k.span, format!("map keys are strings, but this is {found}"));
                    }
                    let (vx, vt) = self.expr(scope, v);
                    match ty.unify(&vt) {
                        Some(u) => ty = u,
                        None => {
                            let (a, b) = (self.tname(&ty), self.tname(&vt));
                            self.error(v.span, format!("a map holds one type of value: this one is {b}, the ones before are {a}"));
                            ty = Type::Error;
                        }
                    }
                    out.push((kx, vx));
                }
                (fold_map(out), Type::Map(Box::new(ty)))
            }
            ExprKind::Record { name, fields } => {
                let idx = match self.type_names.get(&name.name) {
                    Some(TypeRef::Record(i)) => *i,
                    Some(TypeRef::Enum(_)) => {
                        self.error(
                            name.span,
                            format!(
                                "`{}` is an enum, not a record; write `{}.member`",
                                name.name, name.name
                            ),
                        );
                        return bad;
                    }
                    None => {
                        let hint =
                            self.hint(&name.name, |c| c.type_names.keys().map(String::as_str));
                        self.error(name.span, format!("unknown record `{}`{hint}", name.name));
                        for f in fields {
                            self.expr(scope, &f.value);
                        }
                        return bad;
                    }
                };
                let rec_fields = self.types.records[idx].fields.clone();
                let shape = self.types.records[idx].shape.clone();
                let values = self.arguments(
                    scope,
                    &rec_fields,
                    fields,
                    name,
                    &format!("record {}", name.name),
                );
                (fold_record(shape, values), Type::Record(idx))
            }
            ExprKind::Name(ident) => self.name(scope, ident),
            ExprKind::EnumMember { ty, member } => match self.type_names.get(&ty.name) {
                Some(TypeRef::Enum(i)) => {
                    let en = &self.types.enums[*i];
                    match en.index.get(member.name.as_str()) {
                        Some(m) => (
                            ir::Expr::Const(Value::Enum(en.members[*m as usize].clone())),
                            Type::Enum(*i),
                        ),
                        None => {
                            let hint = self.hint(&member.name, |c| {
                                c.types.enums[*i].members.iter().map(|m| &**m)
                            });
                            let en = &self.types.enums[*i];
                            let msg = format!("{} has no member `{}`{hint}", en.name, member.name);
                            self.error(member.span, msg);
                            bad
                        }
                    }
                }
                Some(TypeRef::Record(_)) => {
                    self.error(ty.span, format!("`{}` is a record, not an enum", ty.name));
                    bad
                }
                None => {
                    self.error(ty.span, format!("unknown enum `{}`", ty.name));
                    bad
                }
            },
            ExprKind::Unary { op, expr } => {
                let (x, t) = self.expr(scope, expr);
                match (op, &t) {
                    (_, Type::Error) => bad,
                    (UnaryOp::Not, Type::Bool) => {
                        (ir::Expr::Unary(Unary::Not, Box::new(x), span), Type::Bool)
                    }
                    (UnaryOp::Neg, Type::Int) => {
                        (ir::Expr::Unary(Unary::NegInt, Box::new(x), span), Type::Int)
                    }
                    (UnaryOp::Neg, Type::Float) => match x {
                        ir::Expr::Const(Value::Float(f)) => {
                            (ir::Expr::Const(Value::Float(-f)), Type::Float)
                        }
                        x => (
                            ir::Expr::Unary(Unary::NegFloat, Box::new(x), span),
                            Type::Float,
                        ),
                    },
                    (UnaryOp::Neg, Type::Duration) => match x {
                        ir::Expr::Const(Value::Duration(d)) => {
                            (ir::Expr::Const(Value::Duration(-d)), Type::Duration)
                        }
                        x => (
                            ir::Expr::Unary(Unary::NegDuration, Box::new(x), span),
                            Type::Duration,
                        ),
                    },
                    (UnaryOp::Not, _) => {
                        let found = self.tname(&t);
                        self.error(
                            expr.span,
                            format!("`!` negates a bool, but this is {found}"),
                        );
                        bad
                    }
                    (UnaryOp::Neg, _) => {
                        let found = self.tname(&t);
                        self.error(
                            expr.span,
                            format!(
                                "`-` negates an int, a float or a duration, but this is {found}"
                            ),
                        );
                        bad
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(scope, *op, lhs, rhs, span),
            ExprKind::Cond {
                cond,
                then,
                otherwise,
            } => {
                let (c, ct) = self.expr(scope, cond);
                self.expect_bool(&ct, cond.span, "the condition of `? :`");
                let (a, at) = self.expr(scope, then);
                let (b, bt) = self.expr(scope, otherwise);
                match at.unify(&bt) {
                    Some(t) => (ir::Expr::Cond(Box::new(c), Box::new(a), Box::new(b)), t),
                    None => {
                        let (x, y) = (self.tname(&at), self.tname(&bt));
                        self.error(then.span, format!("both branches of `? :` must have one type, but they are {x} and {y}"));
                        bad
                    }
                }
            }
            ExprKind::Field { target, field } => {
                let (t, tt) = self.expr(scope, target);
                self.field(t, &tt, field)
            }
            ExprKind::Index { target, index } => {
                let (t, tt) = self.expr(scope, target);
                let (i, it) = self.expr(scope, index);
                match &tt {
                    Type::Error => bad,
                    Type::Map(v) => {
                        if !it.fits(&Type::String) || it == Type::Null {
                            let found = self.tname(&it);
                            self.error(
                                index.span,
                                format!("a map is indexed by a string, but this is {found}"),
                            );
                        }
                        (
                            ir::Expr::MapGet(Box::new(t), Box::new(i), span),
                            (**v).clone(),
                        )
                    }
                    Type::List(v) => {
                        if !it.fits(&Type::Int) || it == Type::Null {
                            let found = self.tname(&it);
                            self.error(
                                index.span,
                                format!("a list is indexed by an int, but this is {found}"),
                            );
                        }
                        (
                            ir::Expr::ListIndex(Box::new(t), Box::new(i), span),
                            (**v).clone(),
                        )
                    }
                    other => {
                        let found = self.tname(other);
                        self.error(target.span, format!("only a list or a map can be indexed with `[]`, but this is {found}"));
                        bad
                    }
                }
            }
            ExprKind::Call { func, args } => self.call(scope, func, args, span),
            ExprKind::Method {
                target,
                method,
                args,
            } => self.method(scope, target, method, args, span),
        }
    }

    pub(super) fn string(&mut self, scope: &mut Scope, parts: &[ast::StrPart]) -> (ir::Expr, Type) {
        let mut out = Vec::new();
        for part in parts {
            match part {
                ast::StrPart::Lit(text) => out.push(Part::Lit(text.clone())),
                ast::StrPart::Expr(e) => {
                    let (x, t) = self.expr(scope, e);
                    if !formattable(t.unwrap_optional()) {
                        let found = self.tname(&t);
                        self.error(e.span, format!("{found} cannot be written into a string; interpolate a field or a `size()` of it"));
                    }
                    out.push(Part::Expr(x));
                }
            }
        }
        match out.as_slice() {
            [] => (ir::Expr::Const(Value::str("")), Type::String),
            [Part::Lit(text)] => (ir::Expr::Const(Value::str(text)), Type::String),
            _ => (ir::Expr::Interpolate(out), Type::String),
        }
    }

    pub(super) fn name(&mut self, scope: &mut Scope, ident: &Ident) -> (ir::Expr, Type) {
        let name = ident.name.as_str();
        if let Some(l) = scope.locals.iter().rev().find(|l| l.name == name) {
            return (ir::Expr::Local(l.slot), l.ty.clone());
        }
        if let Some(&i) = scope.param_index.get(name) {
            return (ir::Expr::Param(i), scope.params[i as usize].ty.clone());
        }
        if scope.place == Place::Projection {
            return self.projection_name(scope, ident);
        }
        let sees_state = !matches!(scope.place, Place::Default | Place::Upcast);
        if scope.place == Place::Upcast {
            if let Some(why) = self.unseen_in_upcast(name) {
                self.error(ident.span, why);
                return (ir::Expr::Const(Value::Null), Type::Error);
            }
        }
        if sees_state {
            if let Some(i) = self.record_index[self.state_record]
                .get(name)
                .map(|i| *i as usize)
            {
                return (
                    ir::Expr::StateField(i as u32),
                    self.state_fields[i].ty.clone(),
                );
            }
        }
        match (name, scope.place) {
            ("state", _) if sees_state => {
                return (ir::Expr::State, Type::Record(self.state_record));
            }
            ("now", Place::Command) => return (ir::Expr::Now, Type::Timestamp),
            ("meta", Place::Command) => return (ir::Expr::Meta, Type::Map(Box::new(Type::String))),
            ("now" | "meta", place) => {
                let why = match place {
                    Place::Event => "an event sees only the state and its own fields, so that replay gives the same state every time",
                    Place::Default => "a default is a constant",
                    _ => "only a command sees it",
                };
                self.error(ident.span, format!("`{name}` is not visible here: {why}"));
                return (ir::Expr::Const(Value::Null), Type::Error);
            }
            _ => {}
        }
        if scope.place == Place::Default {
            self.error(
                ident.span,
                format!("a default must be a constant, so it cannot use `{name}`"),
            );
            return (ir::Expr::Const(Value::Null), Type::Error);
        }
        let hint = self.hint(name, |c| {
            let locals = scope.locals.iter().map(|l| l.name.as_str());
            let params = scope.params.iter().map(|p| &*p.name);
            locals
                .chain(params)
                .chain(c.state_fields.iter().map(|f| &*f.name))
        });
        self.error(ident.span, format!("unknown name `{name}`{hint}"));
        (ir::Expr::Const(Value::Null), Type::Error)
    }

    pub(super) fn field(&mut self, target: ir::Expr, ty: &Type, field: &Ident) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        match ty {
            Type::Error => bad,
            Type::Record(r) => {
                let rec = &self.types.records[*r];
                match self.record_index[*r]
                    .get(field.name.as_str())
                    .map(|i| *i as usize)
                {
                    Some(i) => (
                        ir::Expr::Field(Box::new(target), i as u32),
                        rec.fields[i].ty.clone(),
                    ),
                    None => {
                        let hint = self.hint(&field.name, |c| {
                            c.types.records[*r].fields.iter().map(|f| &*f.name)
                        });
                        let rec = &self.types.records[*r];
                        let what = if *r == self.state_record {
                            "the state".to_string()
                        } else {
                            rec.shape.name.to_string()
                        };
                        self.error(
                            field.span,
                            format!("{what} has no field `{}`{hint}", field.name),
                        );
                        bad
                    }
                }
            }
            Type::Map(v) => (
                ir::Expr::MapGet(
                    Box::new(target),
                    Box::new(ir::Expr::Const(Value::str(&field.name))),
                    field.span,
                ),
                (**v).clone(),
            ),
            Type::Optional(_) | Type::Null => {
                let found = self.tname(ty);
                self.error(
                    field.span,
                    format!("this value is {found} and may be null; unwrap it with `.orValue(default)` before reading `.{}`", field.name),
                );
                bad
            }
            other => {
                let found = self.tname(other);
                self.error(
                    field.span,
                    format!("{found} has no fields, so `.{}` cannot be read", field.name),
                );
                bad
            }
        }
    }

    pub(super) fn binary(
        &mut self,
        scope: &mut Scope,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let (l, lt) = self.expr(scope, lhs);
        let (r, rt) = self.expr(scope, rhs);
        if lt == Type::Error || rt == Type::Error {
            return bad;
        }
        let bin = |b: Binary, l: ir::Expr, r: ir::Expr| {
            ir::Expr::Binary(b, Box::new(l), Box::new(r), span)
        };
        let sym = op.symbol();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for (t, e) in [(&lt, lhs), (&rt, rhs)] {
                    if *t != Type::Bool {
                        let found = self.tname(t);
                        self.error(e.span, format!("`{sym}` joins bools, but this is {found}"));
                        return bad;
                    }
                }
                let x = if op == BinaryOp::And {
                    ir::Expr::And(Box::new(l), Box::new(r))
                } else {
                    ir::Expr::Or(Box::new(l), Box::new(r))
                };
                (x, Type::Bool)
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let comparable = lt == Type::Null || rt == Type::Null || lt.unify(&rt).is_some();
                if !comparable {
                    let (a, b) = (self.tname(&lt), self.tname(&rt));
                    self.error(
                        lhs.span,
                        format!(
                            "`{sym}` compares two values of one type, but these are {a} and {b}{}",
                            conversion_hint(&lt, &rt)
                        ),
                    );
                    return bad;
                }
                let b = if op == BinaryOp::Eq {
                    Binary::Eq
                } else {
                    Binary::Ne
                };
                (bin(b, l, r), Type::Bool)
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordered = matches!(
                    lt.unify(&rt),
                    Some(
                        Type::Int
                            | Type::Float
                            | Type::String
                            | Type::Timestamp
                            | Type::Duration
                            | Type::Bool
                    )
                );
                if !ordered {
                    let (a, b) = (self.tname(&lt), self.tname(&rt));
                    self.error(
                        lhs.span,
                        format!("`{sym}` orders two ints, floats, strings, timestamps, durations or bools of one type, but these are {a} and {b}{}", conversion_hint(&lt, &rt)),
                    );
                    return bad;
                }
                let b = match op {
                    BinaryOp::Lt => Binary::Lt,
                    BinaryOp::Le => Binary::Le,
                    BinaryOp::Gt => Binary::Gt,
                    _ => Binary::Ge,
                };
                (bin(b, l, r), Type::Bool)
            }
            BinaryOp::In => match &rt {
                Type::List(item) if lt.unify(item).is_some() || lt == Type::Null => {
                    (bin(Binary::InList, l, r), Type::Bool)
                }
                Type::Map(_) if lt == Type::String => (bin(Binary::InMap, l, r), Type::Bool),
                Type::Map(_) => {
                    let found = self.tname(&lt);
                    self.error(
                        lhs.span,
                        format!("`in` a map tests for a key, a string, but this is {found}"),
                    );
                    bad
                }
                Type::List(_) => {
                    let (a, b) = (self.tname(&lt), self.tname(&rt));
                    self.error(lhs.span, format!("cannot look for {a} in {b}"));
                    bad
                }
                other => {
                    let found = self.tname(other);
                    self.error(
                        rhs.span,
                        format!("`in` looks into a list or a map, but this is {found}"),
                    );
                    bad
                }
            },
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let unified = lt.unify(&rt);
                let choice = match (op, &unified) {
                    (BinaryOp::Add, Some(Type::Int)) => Some((Binary::AddInt, Type::Int)),
                    (BinaryOp::Add, Some(Type::Float)) => Some((Binary::AddFloat, Type::Float)),
                    (BinaryOp::Add, Some(Type::String)) => Some((Binary::AddStr, Type::String)),
                    (BinaryOp::Add, Some(t @ Type::List(_))) => Some((Binary::AddList, t.clone())),
                    (BinaryOp::Sub, Some(Type::Int)) => Some((Binary::SubInt, Type::Int)),
                    (BinaryOp::Sub, Some(Type::Float)) => Some((Binary::SubFloat, Type::Float)),
                    (BinaryOp::Mul, Some(Type::Int)) => Some((Binary::MulInt, Type::Int)),
                    (BinaryOp::Mul, Some(Type::Float)) => Some((Binary::MulFloat, Type::Float)),
                    (BinaryOp::Div, Some(Type::Int)) => Some((Binary::DivInt, Type::Int)),
                    (BinaryOp::Div, Some(Type::Float)) => Some((Binary::DivFloat, Type::Float)),
                    (BinaryOp::Rem, Some(Type::Int)) => Some((Binary::RemInt, Type::Int)),
                    _ => time_op(op, &lt, &rt),
                };
                match choice {
                    Some((b, t)) => (bin(b, l, r), t),
                    None => {
                        let (a, b) = (self.tname(&lt), self.tname(&rt));
                        let what = match op {
                            BinaryOp::Add => {
                                "adds two ints, two floats, two durations or a duration to a timestamp, joins two strings or two lists"
                            }
                            BinaryOp::Sub => {
                                "takes two ints, two floats, two durations, two timestamps or a duration from a timestamp"
                            }
                            BinaryOp::Rem => "takes two ints",
                            _ => "takes two ints or two floats",
                        };
                        self.error(
                            lhs.span,
                            format!(
                                "`{sym}` {what}, but these are {a} and {b}{}",
                                conversion_hint(&lt, &rt)
                            ),
                        );
                        bad
                    }
                }
            }
        }
    }
}

/// `+` and `-` on timestamps and durations (§14); sides of other types
/// are not these.
fn time_op(op: BinaryOp, lt: &Type, rt: &Type) -> Option<(Binary, Type)> {
    use Type::{Duration as D, Timestamp as T};
    Some(match (op, lt, rt) {
        (BinaryOp::Add, T, D) => (Binary::AddTimestampDuration, T),
        (BinaryOp::Add, D, T) => (Binary::AddDurationTimestamp, T),
        (BinaryOp::Add, D, D) => (Binary::AddDurations, D),
        (BinaryOp::Sub, T, D) => (Binary::SubTimestampDuration, T),
        (BinaryOp::Sub, T, T) => (Binary::SubTimestamps, D),
        (BinaryOp::Sub, D, D) => (Binary::SubDurations, D),
        _ => return None,
    })
}
