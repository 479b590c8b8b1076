//! Calls of built-in functions and methods, and macros.

use super::*;

impl<'d> ModelChecker<'d> {
    pub(super) fn call(
        &mut self,
        scope: &mut Scope,
        func: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let checked: Vec<(ir::Expr, Type)> = args.iter().map(|a| self.expr(scope, a)).collect();
        let name = func.name.as_str();
        const FUNCTIONS: [&str; 10] = [
            "size",
            "int",
            "float",
            "string",
            "timestamp",
            "keys",
            "values",
            "sum",
            "min",
            "max",
        ];
        if !FUNCTIONS.contains(&name) {
            let hint = suggest(name, FUNCTIONS);
            self.error(func.span, format!("unknown function `{name}`{hint}"));
            return bad;
        }
        if checked.len() != 1 {
            self.error(
                func.span,
                format!(
                    "`{name}` takes one argument, but {} are given",
                    checked.len()
                ),
            );
            return bad;
        }
        let (x, t) = checked.into_iter().next().expect("one argument");
        if t == Type::Error {
            return bad;
        }
        let arg_span = args[0].span;
        let one = |b: Builtin, x: ir::Expr| ir::Expr::Call(b, vec![x], span);
        let result = match (name, &t) {
            ("size", Type::String | Type::List(_) | Type::Map(_)) => {
                Some((one(Builtin::Size, x), Type::Int))
            }
            ("int", Type::Int | Type::Float | Type::String | Type::Timestamp) => {
                Some((one(Builtin::Int, x), Type::Int))
            }
            ("float", Type::Int | Type::Float | Type::String) => {
                Some((one(Builtin::Float, x), Type::Float))
            }
            ("string", t) if formattable(t.unwrap_optional()) => {
                Some((one(Builtin::String, x), Type::String))
            }
            ("timestamp", Type::String | Type::Timestamp) => {
                Some((one(Builtin::Timestamp, x), Type::Timestamp))
            }
            ("keys", Type::Map(_)) => {
                Some((one(Builtin::Keys, x), Type::List(Box::new(Type::String))))
            }
            ("values", Type::Map(v)) => Some((one(Builtin::Values, x), Type::List(v.clone()))),
            ("sum", Type::List(item)) => match **item {
                Type::Int | Type::Unknown => Some((one(Builtin::SumInt, x), Type::Int)),
                Type::Float => Some((one(Builtin::SumFloat, x), Type::Float)),
                _ => None,
            },
            ("min" | "max", Type::List(item))
                if matches!(
                    **item,
                    Type::Int | Type::Float | Type::String | Type::Timestamp | Type::Bool
                ) =>
            {
                let b = if name == "min" {
                    Builtin::Min
                } else {
                    Builtin::Max
                };
                Some((one(b, x), (**item).clone()))
            }
            _ => None,
        };
        match result {
            Some(r) => r,
            None => {
                let found = self.tname(&t);
                let takes = match name {
                    "size" => "a string, a list or a map",
                    "int" => "an int, a float, a string or a timestamp",
                    "float" => "an int, a float or a string",
                    "string" => "a string, int, float, bool, timestamp or enum member (not a list, map or record)",
                    "timestamp" => "an RFC 3339 string",
                    "keys" | "values" => "a map",
                    "sum" => "a list of ints or of floats",
                    _ => "a list of ints, floats, strings, timestamps or bools",
                };
                self.error(
                    arg_span,
                    format!("`{name}` takes {takes}, but this is {found}"),
                );
                bad
            }
        }
    }

    pub(super) fn method(
        &mut self,
        scope: &mut Scope,
        target: &ast::Expr,
        method: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let name = method.name.as_str();
        let macro_kind = match name {
            "all" => Some(MacroKind::All),
            "exists" => Some(MacroKind::Exists),
            "exists_one" => Some(MacroKind::ExistsOne),
            "map" => Some(MacroKind::Map),
            "filter" => Some(MacroKind::Filter),
            _ => None,
        };
        let (t, tt) = self.expr(scope, target);
        if let Some(kind) = macro_kind {
            return self.macro_call(scope, kind, t, &tt, target, method, args, span);
        }
        let checked: Vec<(ir::Expr, Type)> = args.iter().map(|a| self.expr(scope, a)).collect();
        if tt == Type::Error || checked.iter().any(|(_, t)| *t == Type::Error) {
            return bad;
        }
        let arity = |this: &mut Self, n: usize| -> bool {
            if checked.len() != n {
                this.error(
                    method.span,
                    format!(
                        "`{name}` takes {n} argument{}, but {} {} given",
                        if n == 1 { "" } else { "s" },
                        checked.len(),
                        if checked.len() == 1 { "is" } else { "are" }
                    ),
                );
                return false;
            }
            true
        };
        let call = |b: Builtin, t: ir::Expr, rest: Vec<(ir::Expr, Type)>| {
            let mut all = vec![t];
            all.extend(rest.into_iter().map(|(x, _)| x));
            ir::Expr::Call(b, all, span)
        };
        match (name, &tt) {
            ("contains" | "startsWith" | "endsWith" | "matches", Type::String) => {
                if !arity(self, 1) {
                    return bad;
                }
                if checked[0].1 != Type::String {
                    let found = self.tname(&checked[0].1);
                    self.error(
                        args[0].span,
                        format!("`{name}` takes a string, but this is {found}"),
                    );
                    return bad;
                }
                let b = match name {
                    "contains" => Builtin::Contains,
                    "startsWith" => Builtin::StartsWith,
                    "endsWith" => Builtin::EndsWith,
                    _ => {
                        let compiled = match &checked[0].0 {
                            ir::Expr::Const(Value::String(p)) => {
                                match RegexBuilder::new(p).size_limit(1 << 20).build() {
                                    Ok(re) => Some(Arc::new(re)),
                                    Err(e) => {
                                        self.error(
                                            args[0].span,
                                            format!("invalid regular expression (RE2 syntax): {e}"),
                                        );
                                        return bad;
                                    }
                                }
                            }
                            _ => None,
                        };
                        Builtin::Matches(compiled)
                    }
                };
                (call(b, t, checked), Type::Bool)
            }
            ("lowerAscii" | "upperAscii" | "trim", Type::String) => {
                if !arity(self, 0) {
                    return bad;
                }
                let b = match name {
                    "lowerAscii" => Builtin::LowerAscii,
                    "upperAscii" => Builtin::UpperAscii,
                    _ => Builtin::Trim,
                };
                (call(b, t, checked), Type::String)
            }
            ("size", Type::String | Type::List(_) | Type::Map(_)) => {
                if !arity(self, 0) {
                    return bad;
                }
                (call(Builtin::Size, t, checked), Type::Int)
            }
            ("orValue", Type::Optional(_) | Type::Null) => {
                if !arity(self, 1) {
                    return bad;
                }
                let inner = tt.unwrap_optional().clone();
                let inner = if inner == Type::Null {
                    Type::Unknown
                } else {
                    inner
                };
                let dt = checked[0].1.clone();
                match inner.unify(&dt) {
                    Some(u) if !u.is_optional() || dt.is_optional() => {
                        (call(Builtin::OrValue, t, checked), u)
                    }
                    _ => {
                        let (want, found) = (self.tname(&inner), self.tname(&dt));
                        self.error(
                            args[0].span,
                            format!("the default of `orValue` must be {want}, but this is {found}"),
                        );
                        bad
                    }
                }
            }
            ("get", Type::Map(v)) => {
                if !arity(self, 2) {
                    return bad;
                }
                if checked[0].1 != Type::String {
                    let found = self.tname(&checked[0].1);
                    self.error(
                        args[0].span,
                        format!("a map key is a string, but this is {found}"),
                    );
                    return bad;
                }
                let dt = checked[1].1.clone();
                let ty = if dt.fits(v) && !dt.is_optional() {
                    (**v).clone()
                } else if dt.fits(&Type::optional((**v).clone())) {
                    Type::optional((**v).clone())
                } else {
                    let (want, found) = (self.tname(v), self.tname(&dt));
                    self.error(args[1].span, format!("the default of `get` must be {want}, {want}? or null, but this is {found}"));
                    return bad;
                };
                (call(Builtin::GetOr, t, checked), ty)
            }
            _ => {
                let found = self.tname(&tt);
                let known: &[&str] = match tt.unwrap_optional() {
                    Type::String => &[
                        "contains",
                        "startsWith",
                        "endsWith",
                        "matches",
                        "lowerAscii",
                        "upperAscii",
                        "trim",
                        "size",
                    ],
                    Type::List(_) => &["size", "all", "exists", "exists_one", "map", "filter"],
                    Type::Map(_) => &[
                        "size",
                        "get",
                        "all",
                        "exists",
                        "exists_one",
                        "map",
                        "filter",
                    ],
                    _ => &[],
                };
                let hint = suggest(name, known.iter().copied());
                let extra = if tt.is_optional() {
                    "; it may be null, so unwrap it with `.orValue(default)` first"
                } else {
                    ""
                };
                self.error(
                    method.span,
                    format!("{found} has no method `{name}`{hint}{extra}"),
                );
                bad
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn macro_call(
        &mut self,
        scope: &mut Scope,
        kind: MacroKind,
        t: ir::Expr,
        tt: &Type,
        target: &ast::Expr,
        method: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let name = method.name.as_str();
        let var = match args {
            [ast::Expr {
                kind: ExprKind::Name(v),
                ..
            }, _] => v,
            _ => {
                self.error(
                    method.span,
                    format!("`{name}` takes a variable and an expression: `e.{name}(x, ...)`"),
                );
                return bad;
            }
        };
        let (item, over_map) = match tt {
            Type::List(item) => ((**item).clone(), false),
            Type::Map(_) => (Type::String, true),
            Type::Error => (Type::Error, false),
            other => {
                let found = self.tname(other);
                self.error(
                    target.span,
                    format!("`{name}` runs over a list or a map, but this is {found}"),
                );
                (Type::Error, false)
            }
        };
        let mark = scope.mark();
        let slot = self.declare(scope, var, item.clone());
        // `m.filter(k, m[k].done)`: bind each key's value as well, so the
        // body does not look it up again (the map cannot change meanwhile).
        let stable = matches!(
            t,
            ir::Expr::StateField(_) | ir::Expr::Local(_) | ir::Expr::Param(_)
        );
        // The value's slot is live for the whole body, like the key's: take
        // it before the body is checked, or a macro inside the body would
        // take it too and overwrite the value (issue 10).
        let reserved = (over_map && stable).then(|| {
            let vslot = scope.next_slot;
            scope.next_slot += 1;
            scope.frame_size = scope.frame_size.max(scope.next_slot);
            vslot
        });
        let (mut body, bt) = self.expr(scope, &args[1]);
        let mut value_slot = None;
        if let Some(vslot) = reserved {
            let mut used = false;
            body.rewrite(&mut |e| match e {
                ir::Expr::MapGet(m, k, _)
                    if same_place(m, &t) && matches!(**k, ir::Expr::Local(s) if s == slot) =>
                {
                    used = true;
                    Some(ir::Expr::Local(vslot))
                }
                _ => None,
            });
            if used {
                value_slot = Some(vslot);
            }
        }
        let mut bind_item = false;
        body.rewrite(&mut |e| {
            bind_item |= matches!(e, ir::Expr::Local(s) if *s == slot);
            None
        });
        scope.reset(mark);
        if *tt == Type::Error || bt == Type::Error {
            return bad;
        }
        let ty = match kind {
            MacroKind::Map => Type::List(Box::new(bt)),
            MacroKind::Filter => {
                self.expect_bool(&bt, args[1].span, &format!("the condition of `{name}`"));
                Type::List(Box::new(item))
            }
            _ => {
                self.expect_bool(&bt, args[1].span, &format!("the condition of `{name}`"));
                Type::Bool
            }
        };
        (
            ir::Expr::Macro(Box::new(ir::Macro {
                kind,
                over_map,
                target: t,
                slot,
                value_slot,
                bind_item,
                body,
                span,
            })),
            ty,
        )
    }
}
