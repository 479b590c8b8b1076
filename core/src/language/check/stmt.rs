//! Statements: scopes, `emit` and its arguments, and the places `set` and
//! `remove` write.

use super::*;

impl<'d> ModelChecker<'d> {
    // ---- statements ----

    pub(super) fn block(&mut self, scope: &mut Scope, block: &ast::Block) -> Vec<ir::Stmt> {
        let mark = scope.mark();
        let out = block
            .stmts
            .iter()
            .filter_map(|s| self.stmt(scope, s))
            .collect();
        scope.reset(mark);
        out
    }

    /// Declares a `let`, loop or macro variable; another one of that name
    /// still in scope is an error (a param or state field may be hidden).
    pub(super) fn declare(&mut self, scope: &mut Scope, name: &Ident, ty: Type) -> u32 {
        if scope.locals.iter().any(|l| l.name == name.name) {
            self.error(
                name.span,
                format!(
                    "`{}` is already declared in this scope; choose another name",
                    name.name
                ),
            );
        }
        let slot = scope.next_slot;
        scope.next_slot += 1;
        scope.frame_size = scope.frame_size.max(scope.next_slot);
        scope.locals.push(Local {
            name: name.name.clone(),
            ty,
            slot,
        });
        slot
    }

    pub(super) fn stmt(&mut self, scope: &mut Scope, stmt: &ast::Stmt) -> Option<ir::Stmt> {
        let in_command = scope.place == Place::Command;
        match &stmt.kind {
            StmtKind::Let { name, value } => {
                let (value, ty) = self.expr(scope, value);
                let slot = self.declare(scope, name, ty);
                Some(ir::Stmt::Let(slot, value))
            }
            StmtKind::Reject {
                reason,
                message,
                unless,
                cond,
            } => {
                if scope.place == Place::Upcast {
                    self.error(
                        stmt.keyword,
                        "`reject` may not stand in an upcast: a stored event is a fact, and an upcast only says how it reads now (emit no event to drop it)",
                    );
                } else if !in_command {
                    self.error(
                        stmt.keyword,
                        "`reject` may only stand in a command: an event records what already happened and cannot be refused",
                    );
                }
                if let Some(r) = reason {
                    if r.name == "invariant" {
                        self.error(
                            r.span,
                            "the reason `invariant` is reserved for failed invariants; choose another reason",
                        );
                    }
                }
                let (message_ir, mty) = self.expr(scope, message);
                if !matches!(mty, Type::String | Type::Error) {
                    let found = self.tname(&mty);
                    self.error(
                        message.span,
                        format!("a rejection message must be a string, found {found}"),
                    );
                }
                let (cond_ir, cty) = self.expr(scope, cond);
                self.expect_bool(&cty, cond.span, "the condition of `reject`");
                let reason = reason.as_ref().map(|r| Str::from(r.name.as_str()));
                let written = self.text(message.span);
                let written = written
                    .strip_prefix('"')
                    .and_then(|w| w.strip_suffix('"'))
                    .unwrap_or(written);
                self.rejections.push((reason.clone(), written.to_string()));
                Some(ir::Stmt::Reject {
                    reason,
                    message: message_ir,
                    unless: *unless,
                    cond: cond_ir,
                })
            }
            StmtKind::Emit {
                event,
                version,
                args,
            } => {
                if !in_command && scope.place != Place::Upcast {
                    self.error(
                        stmt.keyword,
                        "`emit` may only stand in a command or an upcast; an event changes the state with `set` and `remove`",
                    );
                }
                self.emit(scope, event, *version, args)
            }
            StmtKind::Set { path, value } => {
                if scope.place == Place::Upcast {
                    self.error(
                        stmt.keyword,
                        "`set` may not stand in an upcast: an upcast sees no state; it emits the events the stored one reads as",
                    );
                } else if scope.place != Place::Event {
                    self.error(
                        stmt.keyword,
                        "`set` may only stand in an event; a command changes the state by emitting events",
                    );
                    if scope.place == Place::Projection {
                        return None;
                    }
                }
                let (value_ir, vty) = self.expr(scope, value);
                let (place, target) = self.place(scope, path)?;
                if !vty.fits(&target) {
                    let (found, want) = (self.tname(&vty), self.tname(&target));
                    self.error(
                        value.span,
                        format!(
                            "cannot set `{}` ({want}) to a value of type {found}",
                            self.path_text(path)
                        ),
                    );
                }
                Some(ir::Stmt::Set {
                    place,
                    value: value_ir,
                })
            }
            StmtKind::Remove { path } => {
                if scope.place == Place::Upcast {
                    self.error(
                        stmt.keyword,
                        "`remove` may not stand in an upcast: an upcast sees no state; it emits the events the stored one reads as",
                    );
                } else if scope.place != Place::Event {
                    self.error(
                        stmt.keyword,
                        "`remove` may only stand in an event; a command changes the state by emitting events",
                    );
                    if scope.place == Place::Projection {
                        return None;
                    }
                }
                let (place, _) = self.place(scope, path)?;
                if !matches!(
                    place.segments.last(),
                    Some(Segment::Key(_) | Segment::Index(_))
                ) {
                    self.error(
                        stmt.keyword,
                        format!(
                            "`remove` takes out a map entry or a list item, and `{}` is neither; to clear an optional field write `set {} = null`",
                            self.path_text(path),
                            self.path_text(path)
                        ),
                    );
                }
                Some(ir::Stmt::Remove { place })
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                let mut out = Vec::new();
                for (cond, body) in branches {
                    let (c, ty) = self.expr(scope, cond);
                    self.expect_bool(&ty, cond.span, "the condition of `if`");
                    let b = self.block(scope, body);
                    out.push((c, b));
                }
                let otherwise = otherwise
                    .as_ref()
                    .map(|b| self.block(scope, b))
                    .unwrap_or_default();
                Some(ir::Stmt::If {
                    branches: out,
                    otherwise,
                })
            }
            StmtKind::Insert { .. } | StmtKind::Update { .. } | StmtKind::Delete { .. } => {
                self.table_stmt(scope, stmt)
            }
            StmtKind::For { var, iter, body } => {
                let (iter_ir, ty) = self.expr(scope, iter);
                let (item, over_map) = match ty.clone() {
                    Type::List(t) => (*t, false),
                    Type::Map(_) => (Type::String, true),
                    Type::Error => (Type::Error, false),
                    other => {
                        let found = self.tname(&other);
                        self.error(
                            iter.span,
                            format!("`for` walks a list or a map, not {found}"),
                        );
                        (Type::Error, false)
                    }
                };
                let mark = scope.mark();
                let slot = self.declare(scope, var, item);
                let body = self.block(scope, body);
                scope.reset(mark);
                Some(ir::Stmt::For {
                    slot,
                    over_map,
                    iter: iter_ir,
                    body,
                    span: iter.span,
                })
            }
        }
    }

    pub(super) fn emit(
        &mut self,
        scope: &mut Scope,
        event: &Ident,
        version: Option<ast::Version>,
        args: &[ast::Arg],
    ) -> Option<ir::Stmt> {
        let Some((index, params)) = self.emit_target(scope.place, event, version) else {
            for a in args {
                self.expr(scope, &a.value);
            }
            return None;
        };
        if scope.place == Place::Upcast {
            self.upcast_emits(index);
        }
        let fields = self.arguments(
            scope,
            &params,
            args,
            event,
            &match version {
                Some(v) => format!("event `{}@{}`", event.name, v.value),
                None => format!("event `{}`", event.name),
            },
        );
        if self.emitted.insert(index) {
            self.emits.push(event.name.as_str().into());
        }
        Some(ir::Stmt::Emit {
            event: index,
            fields,
            span: event.span,
        })
    }

    /// Named arguments against declared fields (of an event or a record):
    /// one expression per field in declared order.
    pub(super) fn arguments(
        &mut self,
        scope: &mut Scope,
        fields: &[FieldType],
        args: &[ast::Arg],
        at: &Ident,
        what: &str,
    ) -> Vec<ir::Expr> {
        let mut given: Vec<Option<ir::Expr>> = vec![None; fields.len()];
        // Linear in the fields, as `given` is: no search per argument.
        let index = if args.len() > 8 {
            index_of(fields)
        } else {
            HashMap::new()
        };
        for arg in args {
            let (value, ty) = self.expr(scope, &arg.value);
            let found = if args.len() > 8 {
                index.get(arg.name.name.as_str()).map(|i| *i as usize)
            } else {
                fields.iter().position(|f| *f.name == *arg.name.name)
            };
            match found {
                None => {
                    let names = fields
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.error(
                        arg.name.span,
                        if fields.is_empty() {
                            format!(
                                "{what} has no field `{}`: it takes no fields",
                                arg.name.name
                            )
                        } else {
                            format!(
                                "{what} has no field `{}`; its fields are {names}",
                                arg.name.name
                            )
                        },
                    );
                }
                Some(i) if given[i].is_some() => {
                    self.error(arg.name.span, format!("`{}` is given twice", arg.name.name));
                }
                Some(i) => {
                    if !ty.fits(&fields[i].ty) {
                        let (found, want) = (self.tname(&ty), self.tname(&fields[i].ty));
                        self.error(
                            arg.value.span,
                            format!(
                                "field `{}` of {what} is {want}, but this is {found}",
                                fields[i].name
                            ),
                        );
                    }
                    given[i] = Some(value);
                }
            }
        }
        let mut missing = Vec::new();
        let out = fields
            .iter()
            .zip(given)
            .map(|(f, g)| match g {
                Some(e) => e,
                None => {
                    if !f.may_be_omitted() {
                        missing.push(format!("`{}` ({})", f.name, self.tname(&f.ty)));
                    }
                    ir::Expr::Const(f.omitted_value())
                }
            })
            .collect();
        if !missing.is_empty() {
            self.error(
                at.span,
                format!("{what} needs {} as well", missing.join(", ")),
            );
        }
        out
    }

    /// The target of `set`/`remove`, with its type. The root is always a
    /// state field, whatever a param of that name may hide.
    pub(super) fn place(
        &mut self,
        scope: &mut Scope,
        path: &ast::Path,
    ) -> Option<(ir::Place, Type)> {
        let Some(field) = self.record_index[self.state_record]
            .get(path.root.name.as_str())
            .map(|i| *i as usize)
        else {
            let hint = self.hint(&path.root.name, |c| c.state_fields.iter().map(|f| &*f.name));
            self.error(
                path.root.span,
                format!(
                    "`{}` is not a field of the state{hint}; `set` and `remove` write the state",
                    path.root.name
                ),
            );
            return None;
        };
        let mut ty = self.state_fields[field].ty.clone();
        let mut segments = Vec::new();
        let mut span = path.root.span;
        for seg in &path.segments {
            if let Type::Optional(_) = ty {
                self.error(
                    span,
                    format!("`{}` may be null, so nothing can be written inside it; set the whole value instead", self.tname(&ty)),
                );
                return None;
            }
            match (seg, &ty) {
                (ast::PathSegment::Field(name), Type::Record(r)) => {
                    let rec = &self.types.records[*r];
                    let Some(i) = self.record_index[*r]
                        .get(name.name.as_str())
                        .map(|i| *i as usize)
                    else {
                        let msg = format!("{} has no field `{}`", rec.shape.name, name.name);
                        self.error(name.span, msg);
                        return None;
                    };
                    ty = rec.fields[i].ty.clone();
                    segments.push(Segment::Field(i as u32));
                    span = name.span;
                }
                (ast::PathSegment::Field(name), Type::Map(v)) => {
                    segments.push(Segment::Key(ir::Expr::Const(Value::str(&name.name))));
                    ty = (**v).clone();
                    span = name.span;
                }
                (ast::PathSegment::Index(e), Type::Map(v)) => {
                    let (k, kt) = self.expr(scope, e);
                    if !kt.fits(&Type::String) {
                        let found = self.tname(&kt);
                        self.error(
                            e.span,
                            format!("a map key is a string, but this is {found}"),
                        );
                    }
                    segments.push(Segment::Key(k));
                    ty = (**v).clone();
                    span = e.span;
                }
                (ast::PathSegment::Index(e), Type::List(v)) => {
                    let (k, kt) = self.expr(scope, e);
                    if !kt.fits(&Type::Int) {
                        let found = self.tname(&kt);
                        self.error(
                            e.span,
                            format!("a list index is an int, but this is {found}"),
                        );
                    }
                    segments.push(Segment::Index(k));
                    ty = (**v).clone();
                    span = e.span;
                }
                (_, Type::Error) => return None,
                (seg, other) => {
                    let at = match seg {
                        ast::PathSegment::Field(n) => n.span,
                        ast::PathSegment::Index(e) => e.span,
                    };
                    let found = self.tname(other);
                    self.error(at, format!("cannot write inside a value of type {found}"));
                    return None;
                }
            }
        }
        let full = path.root.span.to(span);
        Some((
            ir::Place {
                field: field as u32,
                segments,
                span: full,
            },
            ty,
        ))
    }
}
