//! A model's declarations: its members, fields and types, handlers and
//! queries.

use super::*;

impl<'d> ModelChecker<'d> {
    pub(super) fn model(mut self, model: &ast::Model) -> ir::Model {
        use ast::Member;
        // 1. Type names, so that every member can refer to every type.
        for member in &model.members {
            let (name, r) = match member {
                Member::Record(r) => {
                    let idx = self.types.records.len();
                    self.types.records.push(RecordType {
                        shape: Arc::new(Shape {
                            name: r.name.name.as_str().into(),
                            fields: Vec::new(),
                        }),
                        fields: Vec::new(),
                        doc: r.doc.clone(),
                    });
                    self.record_index.push(HashMap::new());
                    (&r.name, TypeRef::Record(idx))
                }
                Member::Enum(e) => {
                    let idx = self.types.enums.len();
                    let mut members: Vec<Str> = Vec::new();
                    let mut member_docs = Vec::new();
                    let mut index: HashMap<Str, u32> = HashMap::new();
                    for m in &e.members {
                        let name: Str = m.name.name.as_str().into();
                        if index.contains_key(&name) {
                            self.error(
                                m.name.span,
                                format!("`{}` is already a member of {}", m.name.name, e.name.name),
                            );
                            continue;
                        }
                        index.insert(name.clone(), members.len() as u32);
                        members.push(name);
                        member_docs.push(m.doc.clone());
                    }
                    self.types.enums.push(EnumType {
                        name: e.name.name.as_str().into(),
                        members,
                        member_docs,
                        doc: e.doc.clone(),
                        index,
                    });
                    (&e.name, TypeRef::Enum(idx))
                }
                _ => continue,
            };
            if self.type_names.contains_key(&name.name) {
                self.error(
                    name.span,
                    format!(
                        "a type named `{}` is already declared in this model",
                        name.name
                    ),
                );
                continue;
            }
            self.type_names.insert(name.name.clone(), r);
        }
        // The state is a record of its own, named after the model.
        self.state_record = self.types.records.len();
        self.types.records.push(RecordType {
            shape: Arc::new(Shape {
                name: model.name.name.as_str().into(),
                fields: Vec::new(),
            }),
            fields: Vec::new(),
            doc: None,
        });
        self.record_index.push(HashMap::new());

        // 2. Record fields, then the state's.
        let mut record_idx = 0;
        for member in &model.members {
            if let Member::Record(r) = member {
                let what = format!("record {}", r.name.name);
                let fields = self.fields(&r.fields, &what);
                let rec = &mut self.types.records[record_idx];
                rec.shape = Arc::new(Shape {
                    name: r.name.name.as_str().into(),
                    fields: fields.iter().map(|f| f.name.clone()).collect(),
                });
                rec.fields = fields;
                self.record_index[record_idx] = index_of(&rec.fields);
                record_idx += 1;
            }
        }
        let mut state_doc = None;
        let mut state_seen = false;
        for member in &model.members {
            if let Member::State(s) = member {
                if state_seen {
                    self.error(
                        s.keyword,
                        "a model has one `state` block; merge the fields into the first one",
                    );
                    continue;
                }
                state_seen = true;
                state_doc = s.doc.clone();
                self.state_fields = self.fields(&s.fields, "the state");
                for (f, decl) in self.state_fields.iter().zip(&s.fields) {
                    if f.default.is_none() && zero_value(&f.ty).is_none() && f.ty != Type::Error {
                        let ty = f.ty.display(&self.types).to_string();
                        self.diags.push(Diag::new(
                            decl.name.span,
                            format!(
                                "state field `{}` of type {ty} has no zero value: give it a default (`= ...`) or make it optional (`{ty}?`)",
                                f.name
                            ),
                        ));
                    }
                }
            }
        }
        let _ = state_doc;
        let state_shape = Arc::new(Shape {
            name: model.name.name.as_str().into(),
            fields: self.state_fields.iter().map(|f| f.name.clone()).collect(),
        });
        self.types.records[self.state_record].shape = state_shape.clone();
        self.types.records[self.state_record].fields = self.state_fields.clone();
        self.record_index[self.state_record] = index_of(&self.state_fields);
        let initial_state = Value::record(
            state_shape.clone(),
            self.state_fields
                .iter()
                .map(|f| {
                    f.default
                        .clone()
                        .or_else(|| zero_value(&f.ty))
                        .unwrap_or(Value::Null)
                })
                .collect::<crate::value::Fields>(),
        );

        // 3. Event signatures, so commands can emit events declared after them.
        let mut seen_events: HashMap<String, ()> = HashMap::new();
        let mut event_decls = Vec::new();
        for member in &model.members {
            if let Member::Event(e) = member {
                if seen_events.insert(e.name.name.clone(), ()).is_some() {
                    self.error(
                        e.name.span,
                        format!(
                            "an event named `{}` is already declared in this model",
                            e.name.name
                        ),
                    );
                    continue;
                }
                let params = self.fields(&e.params, &format!("event {}", e.name.name));
                self.event_index
                    .insert(e.name.name.as_str().into(), self.events.len() as u32);
                self.events.push(EventSig {
                    name: e.name.name.as_str().into(),
                    params,
                });
                self.event_version(e);
                event_decls.push(e);
            }
        }
        self.upcast_signatures(model);

        // 4. Bodies.
        let mut events = Vec::new();
        for (i, decl) in event_decls.iter().enumerate() {
            let params = self.events[i].params.clone();
            events.push(self.handler(decl, params, Place::Event));
        }
        let upcasts = self.upcasts(model);
        let reads = self.reads(&upcasts);
        let mut commands = Vec::new();
        let mut queries = Vec::new();
        let mut invariants = Vec::new();
        let mut seen_commands: HashMap<String, ()> = HashMap::new();
        let mut seen_queries: HashMap<String, ()> = HashMap::new();
        for member in &model.members {
            match member {
                Member::Command(c) => {
                    if seen_commands.insert(c.name.name.clone(), ()).is_some() {
                        self.error(
                            c.name.span,
                            format!(
                                "a command named `{}` is already declared in this model",
                                c.name.name
                            ),
                        );
                        continue;
                    }
                    let params = self.fields(&c.params, &format!("command {}", c.name.name));
                    commands.push(self.handler(c, params, Place::Command));
                }
                Member::Query(q) => {
                    if seen_queries.insert(q.name.name.clone(), ()).is_some() {
                        self.error(
                            q.name.span,
                            format!(
                                "a query named `{}` is already declared in this model",
                                q.name.name
                            ),
                        );
                        continue;
                    }
                    queries.push(self.query(q));
                }
                Member::Invariant(inv) => {
                    let mut scope = Scope::new(Place::Invariant, &[]);
                    let (expr, ty) = self.expr(&mut scope, &inv.expr);
                    self.expect_bool(&ty, inv.expr.span, "an invariant");
                    invariants.push(ir::Invariant {
                        text: inv.text.clone(),
                        doc: inv.doc.clone(),
                        expr,
                        frame_size: scope.frame_size,
                    });
                }
                _ => {}
            }
        }
        let doc = match (&model.doc, state_doc) {
            (Some(d), _) => Some(d.clone()),
            (None, d) => d,
        };
        ir::Model {
            name: model.name.name.as_str().into(),
            doc,
            types: self.types,
            state_shape,
            state_fields: self.state_fields,
            initial_state,
            commands,
            events,
            queries,
            invariants,
            upcasts,
            reads,
        }
    }

    /// Declared fields or params: unique names, known types, constant
    /// defaults of the right type.
    pub(super) fn fields(&mut self, decls: &[ast::Field], owner: &str) -> Vec<FieldType> {
        let mut out: Vec<FieldType> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for decl in decls {
            let ty = self.resolve_type(&decl.ty);
            let default = decl.default.as_ref().and_then(|d| {
                let mut scope = Scope::new(Place::Default, &[]);
                let (expr, dty) = self.expr(&mut scope, d);
                if !dty.fits(&ty) {
                    let (found, want) = (self.tname(&dty), self.tname(&ty));
                    self.error(
                        d.span,
                        format!("the default of `{}` is {found}, but its type is {want}", decl.name.name),
                    );
                    return None;
                }
                match const_value(&expr) {
                    Some(v) => Some(v),
                    None => {
                        if dty != Type::Error {
                            self.error(
                                d.span,
                                "a default must be a constant: a literal, an enum member, or a list, map or record of those",
                            );
                        }
                        None
                    }
                }
            });
            if !seen.insert(decl.name.name.as_str()) {
                self.error(
                    decl.name.span,
                    format!("`{}` is declared twice in {owner}", decl.name.name),
                );
                continue;
            }
            out.push(FieldType {
                name: decl.name.name.as_str().into(),
                ty,
                default,
                doc: decl.doc.clone(),
            });
        }
        out
    }

    pub(super) fn resolve_type(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            TypeKind::String => Type::String,
            TypeKind::Int => Type::Int,
            TypeKind::Float => Type::Float,
            TypeKind::Bool => Type::Bool,
            TypeKind::Timestamp => Type::Timestamp,
            TypeKind::Duration => Type::Duration,
            TypeKind::List(item) => Type::List(Box::new(self.resolve_type(item))),
            TypeKind::Map(key, value) => {
                if key.kind != TypeKind::String {
                    self.error(
                        key.span,
                        "map keys are always strings: write `map<string, T>`",
                    );
                }
                Type::Map(Box::new(self.resolve_type(value)))
            }
            TypeKind::Optional(inner) => Type::optional(self.resolve_type(inner)),
            TypeKind::Qualified(model, ty) => self.qualified_type(model, ty),
            TypeKind::Named(name) => match self.type_names.get(&name.name) {
                Some(TypeRef::Record(i)) => Type::Record(*i),
                Some(TypeRef::Enum(i)) => Type::Enum(*i),
                None => {
                    if self.named_outside_model(name) {
                        return Type::Error;
                    }
                    let hint = self.hint(&name.name, |c| c.type_names.keys().map(String::as_str));
                    self.error(
                        name.span,
                        format!(
                            "unknown type `{}`{hint}; declare it with `record {}` or `enum {}` in this model",
                            name.name, name.name, name.name
                        ),
                    );
                    Type::Error
                }
            },
        }
    }

    pub(super) fn handler(
        &mut self,
        decl: &ast::HandlerDecl,
        params: Vec<FieldType>,
        place: Place,
    ) -> ir::Handler {
        self.emits.clear();
        self.emitted.clear();
        self.rejections.clear();
        let mut scope = Scope::new(place, &params);
        let body = self.block(&mut scope, &decl.body);
        let frame_size = scope.frame_size;
        ir::Handler {
            name: decl.name.name.as_str().into(),
            doc: decl.doc.clone(),
            version: decl.version.map_or(1, |v| v.value),
            shape: Arc::new(Shape {
                name: decl.name.name.as_str().into(),
                fields: params.iter().map(|f| f.name.clone()).collect(),
            }),
            params,
            body,
            frame_size,
            emits: std::mem::take(&mut self.emits),
            rejections: std::mem::take(&mut self.rejections),
        }
    }

    pub(super) fn query(&mut self, q: &ast::QueryDecl) -> ir::Query {
        let params = self.fields(&q.params, &format!("query {}", q.name.name));
        let ty = self.resolve_type(&q.ty);
        let mut scope = Scope::new(Place::Query, &params);
        let (body, found) = self.expr(&mut scope, &q.body);
        if !found.fits(&ty) {
            let (found, want) = (self.tname(&found), self.tname(&ty));
            self.error(
                q.body.span,
                format!(
                    "query `{}` is declared to return {want}, but its expression is {found}",
                    q.name.name
                ),
            );
        }
        let frame_size = scope.frame_size;
        ir::Query {
            name: q.name.name.as_str().into(),
            doc: q.doc.clone(),
            shape: Arc::new(Shape {
                name: q.name.name.as_str().into(),
                fields: params.iter().map(|f| f.name.clone()).collect(),
            }),
            params,
            ty,
            body,
            frame_size,
        }
    }

    pub(super) fn path_text(&self, p: &ast::Path) -> String {
        let end = match p.segments.last() {
            Some(ast::PathSegment::Field(f)) => f.span.end,
            Some(ast::PathSegment::Index(e)) => e.span.end + 1,
            None => p.root.span.end,
        };
        self.text(Span { end, ..p.root.span }).to_string()
    }

    pub(super) fn expect_bool(&mut self, ty: &Type, span: Span, what: &str) {
        if !matches!(ty, Type::Bool | Type::Error) {
            let found = self.tname(ty);
            self.error(span, format!("{what} must be a bool, but this is {found}"));
        }
    }
}
