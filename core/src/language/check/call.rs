//! Calls of built-in functions and methods, and macros.

use super::*;
use crate::language::builtins::{self, Misfit, Rule};

impl<'d> ModelChecker<'d> {
    /// `f(x)`: the function comes from the table of builtins, which also
    /// types it and picks the op.
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
        let Some(spec) = builtins::function_named(name) else {
            let hint = suggest(name, builtins::function_names());
            self.error(func.span, format!("unknown function `{name}`{hint}"));
            return bad;
        };
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
        let Rule::Typed { typing, .. } = spec.rule else {
            return bad;
        };
        match typing(std::slice::from_ref(&t), &self.types) {
            // `duration("1h")` and `timestamp("...")` of a literal are
            // constants (§14), read once here. A bad one is a diagnostic
            // only in a default, which must be a value; elsewhere it fails
            // if and when it runs, as §6 says of `1 / 0`.
            Ok((op @ (Builtin::Duration | Builtin::Timestamp), ty)) => {
                match crate::language::calendar::fold_literal(&op, &x) {
                    Some(Ok(v)) => (ir::Expr::Const(v), ty),
                    Some(Err(message)) if scope.place == Place::Default => {
                        self.error(args[0].span, message);
                        bad
                    }
                    _ => (ir::Expr::Call(op, vec![x], span), ty),
                }
            }
            Ok((op, ty)) => (ir::Expr::Call(op, vec![x], span), ty),
            Err(misfit) => {
                let message = match misfit {
                    Misfit::Takes => {
                        let found = self.tname(&t);
                        format!("`{name}` takes {}, but this is {found}", spec.takes)
                    }
                    Misfit::Arg(_, message) => message,
                };
                self.error(args[0].span, message);
                bad
            }
        }
    }

    /// `e.m(...)`: a macro, or a method from the table of builtins, found
    /// by name and the type of `e`.
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
        let (t, tt) = self.expr(scope, target);
        if let Some(kind) = builtins::macro_named(name) {
            return self.macro_call(scope, kind, t, &tt, target, method, args, span);
        }
        let checked: Vec<(ir::Expr, Type)> = args.iter().map(|a| self.expr(scope, a)).collect();
        if tt == Type::Error || checked.iter().any(|(_, t)| *t == Type::Error) {
            return bad;
        }
        let typed = builtins::method_on(name, &tt).and_then(|spec| match spec.rule {
            Rule::Typed {
                arity,
                optional,
                typing,
            } => Some((spec, arity, optional, typing)),
            Rule::Macro(_) => None,
        });
        let Some((spec, arity, optional, typing)) = typed else {
            let found = self.tname(&tt);
            let hint = suggest(name, builtins::method_names_on(tt.unwrap_optional()));
            let extra = if tt.is_optional() {
                "; it may be null, so unwrap it with `.orValue(default)` first"
            } else {
                ""
            };
            self.error(
                method.span,
                format!("{found} has no method `{name}`{hint}{extra}"),
            );
            return bad;
        };
        if checked.len() < arity || checked.len() > arity + optional {
            let counted = match optional {
                0 => arity.to_string(),
                1 => format!("{arity} or {}", arity + 1),
                n => format!("{arity} to {}", arity + n),
            };
            self.error(
                method.span,
                format!(
                    "`{name}` takes {counted} argument{}, but {} {} given",
                    if arity == 1 && optional == 0 { "" } else { "s" },
                    checked.len(),
                    if checked.len() == 1 { "is" } else { "are" }
                ),
            );
            return bad;
        }
        let mut types = Vec::with_capacity(checked.len() + 1);
        types.push(tt.clone());
        types.extend(checked.iter().map(|(_, t)| t.clone()));
        let (op, ty) = match typing(&types, &self.types) {
            Ok(r) => r,
            Err(misfit) => {
                let (i, message) = match misfit {
                    Misfit::Takes => {
                        let found = self.tname(&checked[0].1);
                        (
                            0,
                            format!("`{name}` takes {}, but this is {found}", spec.takes),
                        )
                    }
                    Misfit::Arg(i, message) => (i, message),
                };
                self.error(args[i].span, message);
                return bad;
            }
        };
        // A literal pattern is compiled once, here.
        let op = match (op, &checked[..]) {
            (Builtin::Matches(None), [(ir::Expr::Const(Value::String(p)), _)]) => {
                match RegexBuilder::new(p).size_limit(1 << 20).build() {
                    Ok(re) => Builtin::Matches(Some(Arc::new(re))),
                    Err(e) => {
                        self.error(
                            args[0].span,
                            format!("invalid regular expression (RE2 syntax): {e}"),
                        );
                        return bad;
                    }
                }
            }
            (op, _) => op,
        };
        let mut all = vec![t];
        all.extend(checked.into_iter().map(|(x, _)| x));
        (ir::Expr::Call(op, all, span), ty)
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
