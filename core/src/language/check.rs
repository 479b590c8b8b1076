//! The checker: resolves every name, checks every type and where each
//! statement may stand, and lowers what it checked into the evaluable form of
//! `ir.rs` in the same walk.
//!
//! It reports every problem it finds, not just the first: an expression that
//! fails to check gets the type `Error`, which fits everywhere, so one
//! mistake gives one diagnostic.

use std::collections::HashMap;
use std::sync::Arc;

use regex::RegexBuilder;

use super::ast::{self, BinaryOp, Diag, ExprKind, Ident, Span, StmtKind, TypeKind, UnaryOp};
use super::ir::{self, Binary, Builtin, MacroKind, Part, Segment, Unary};
use crate::types::{EnumType, FieldType, RecordType, Type, Types};
use crate::value::{Map, Shape, Str, Value};

/// How many problems of a domain get a "did you mean" hint.
const MAX_SUGGESTIONS: usize = 100;

/// Checks the parsed files of a domain and lowers each model.
///
/// `sources` are the texts the files were parsed from, by file index: the
/// checker quotes them in messages and in `describe`.
pub fn check(files: &[ast::File], sources: &[&str], diags: &mut Vec<Diag>) -> Vec<ir::Model> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut models = Vec::new();
    for model in files.iter().flat_map(|f| &f.models) {
        if let Some(first) = seen.get(model.name.name.as_str()) {
            let _ = first;
            diags.push(Diag::new(
                model.name.span,
                format!(
                    "a model named `{}` is already declared in this domain; give each model its own name",
                    model.name.name
                ),
            ));
            continue;
        }
        seen.insert(&model.name.name, model.name.span);
        models.push(ModelChecker::new(diags, sources).model(model));
    }
    models
}

/// Where an expression or statement stands: it decides which names and
/// statements are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Command,
    Event,
    Query,
    Invariant,
    /// A `= default`: a constant.
    Default,
}

#[derive(Debug, Clone, Copy)]
enum TypeRef {
    Record(usize),
    Enum(usize),
}

struct Local {
    name: String,
    ty: Type,
    slot: u32,
}

/// The names an expression can see.
struct Scope<'p> {
    place: Place,
    params: &'p [FieldType],
    /// Where each param stands, so that a use is found in constant time.
    param_index: HashMap<Str, u32>,
    locals: Vec<Local>,
    next_slot: u32,
    frame_size: u32,
}

impl<'p> Scope<'p> {
    fn new(place: Place, params: &'p [FieldType]) -> Self {
        Scope {
            place,
            params,
            param_index: index_of(params),
            locals: Vec::new(),
            next_slot: 0,
            frame_size: 0,
        }
    }

    fn mark(&self) -> (usize, u32) {
        (self.locals.len(), self.next_slot)
    }

    fn reset(&mut self, mark: (usize, u32)) {
        self.locals.truncate(mark.0);
        self.next_slot = mark.1;
    }
}

struct EventSig {
    name: Str,
    params: Vec<FieldType>,
}

struct ModelChecker<'d> {
    diags: &'d mut Vec<Diag>,
    sources: &'d [&'d str],
    types: Types,
    type_names: HashMap<String, TypeRef>,
    state_fields: Vec<FieldType>,
    /// Index of the state's own record type in `types.records`.
    state_record: usize,
    events: Vec<EventSig>,
    /// Name indexes, so that checking stays linear in the size of the file
    /// however long a record or list of events is (an enum keeps its own):
    /// the fields of each record (by index in `types.records`), and the
    /// events.
    record_index: Vec<HashMap<Str, u32>>,
    event_index: HashMap<Str, u32>,
    /// Events a command emits and its rejections, gathered while checking it.
    emits: Vec<Str>,
    /// The events in `emits`, by index, to keep each once without a search.
    emitted: std::collections::HashSet<usize>,
    rejections: Vec<(Option<Str>, String)>,
}

impl<'d> ModelChecker<'d> {
    fn new(diags: &'d mut Vec<Diag>, sources: &'d [&'d str]) -> Self {
        ModelChecker {
            diags,
            sources,
            types: Types::default(),
            type_names: HashMap::new(),
            state_fields: Vec::new(),
            state_record: 0,
            events: Vec::new(),
            record_index: Vec::new(),
            event_index: HashMap::new(),
            emits: Vec::new(),
            emitted: std::collections::HashSet::new(),
            rejections: Vec::new(),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diag::new(span, message));
    }

    /// The source text of a span.
    fn text(&self, span: Span) -> &str {
        self.sources
            .get(span.file as usize)
            .and_then(|s| s.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }

    /// A "did you mean" hint for an unknown name, for the first
    /// [`MAX_SUGGESTIONS`] problems only: each one compares the name with
    /// every candidate, so hints for all of a file full of unknown names
    /// would make checking quadratic.
    fn hint<'k, I: IntoIterator<Item = &'k str>>(
        &'k self,
        name: &str,
        known: impl FnOnce(&'k Self) -> I,
    ) -> String {
        if self.diags.len() >= MAX_SUGGESTIONS {
            return String::new();
        }
        suggest(name, known(self))
    }

    fn tname(&self, ty: &Type) -> String {
        ty.display(&self.types).to_string()
    }

    fn model(mut self, model: &ast::Model) -> ir::Model {
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
                event_decls.push(e);
            }
        }

        // 4. Bodies.
        let mut events = Vec::new();
        for (i, decl) in event_decls.iter().enumerate() {
            let params = self.events[i].params.clone();
            events.push(self.handler(decl, params, Place::Event));
        }
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
        }
    }

    /// Declared fields or params: unique names, known types, constant
    /// defaults of the right type.
    fn fields(&mut self, decls: &[ast::Field], owner: &str) -> Vec<FieldType> {
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

    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.kind {
            TypeKind::String => Type::String,
            TypeKind::Int => Type::Int,
            TypeKind::Float => Type::Float,
            TypeKind::Bool => Type::Bool,
            TypeKind::Timestamp => Type::Timestamp,
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
            TypeKind::Named(name) => match self.type_names.get(&name.name) {
                Some(TypeRef::Record(i)) => Type::Record(*i),
                Some(TypeRef::Enum(i)) => Type::Enum(*i),
                None => {
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

    fn handler(
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

    fn query(&mut self, q: &ast::QueryDecl) -> ir::Query {
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

    fn path_text(&self, p: &ast::Path) -> String {
        let end = match p.segments.last() {
            Some(ast::PathSegment::Field(f)) => f.span.end,
            Some(ast::PathSegment::Index(e)) => e.span.end + 1,
            None => p.root.span.end,
        };
        self.text(Span { end, ..p.root.span }).to_string()
    }

    fn expect_bool(&mut self, ty: &Type, span: Span, what: &str) {
        if !matches!(ty, Type::Bool | Type::Error) {
            let found = self.tname(ty);
            self.error(span, format!("{what} must be a bool, but this is {found}"));
        }
    }

    // ---- statements ----

    fn block(&mut self, scope: &mut Scope, block: &ast::Block) -> Vec<ir::Stmt> {
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
    fn declare(&mut self, scope: &mut Scope, name: &Ident, ty: Type) -> u32 {
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

    fn stmt(&mut self, scope: &mut Scope, stmt: &ast::Stmt) -> Option<ir::Stmt> {
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
                if !in_command {
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
            StmtKind::Emit { event, args } => {
                if !in_command {
                    self.error(
                        stmt.keyword,
                        "`emit` may only stand in a command; an event changes the state with `set` and `remove`",
                    );
                }
                self.emit(scope, event, args)
            }
            StmtKind::Set { path, value } => {
                if scope.place != Place::Event {
                    self.error(
                        stmt.keyword,
                        "`set` may only stand in an event; a command changes the state by emitting events",
                    );
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
                if scope.place != Place::Event {
                    self.error(
                        stmt.keyword,
                        "`remove` may only stand in an event; a command changes the state by emitting events",
                    );
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

    fn emit(&mut self, scope: &mut Scope, event: &Ident, args: &[ast::Arg]) -> Option<ir::Stmt> {
        let Some(index) = self
            .event_index
            .get(event.name.as_str())
            .map(|i| *i as usize)
        else {
            let hint = self.hint(&event.name, |c| c.events.iter().map(|e| &*e.name));
            self.error(
                event.span,
                format!(
                    "unknown event `{}`{hint}; declare it with `event {}(...) {{ ... }}`",
                    event.name, event.name
                ),
            );
            for a in args {
                self.expr(scope, &a.value);
            }
            return None;
        };
        let params = self.events[index].params.clone();
        let fields = self.arguments(
            scope,
            &params,
            args,
            event,
            &format!("event `{}`", event.name),
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
    fn arguments(
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
    fn place(&mut self, scope: &mut Scope, path: &ast::Path) -> Option<(ir::Place, Type)> {
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

    // ---- expressions ----

    fn expr(&mut self, scope: &mut Scope, e: &ast::Expr) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let span = e.span;
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
                            format!("`-` negates an int or a float, but this is {found}"),
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

    fn string(&mut self, scope: &mut Scope, parts: &[ast::StrPart]) -> (ir::Expr, Type) {
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

    fn name(&mut self, scope: &mut Scope, ident: &Ident) -> (ir::Expr, Type) {
        let name = ident.name.as_str();
        if let Some(l) = scope.locals.iter().rev().find(|l| l.name == name) {
            return (ir::Expr::Local(l.slot), l.ty.clone());
        }
        if let Some(&i) = scope.param_index.get(name) {
            return (ir::Expr::Param(i), scope.params[i as usize].ty.clone());
        }
        let sees_state = scope.place != Place::Default;
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
            ("state", p) if p != Place::Default => {
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

    fn field(&mut self, target: ir::Expr, ty: &Type, field: &Ident) -> (ir::Expr, Type) {
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

    fn binary(
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
                    Some(Type::Int | Type::Float | Type::String | Type::Timestamp | Type::Bool)
                );
                if !ordered {
                    let (a, b) = (self.tname(&lt), self.tname(&rt));
                    self.error(
                        lhs.span,
                        format!("`{sym}` orders two ints, floats, strings, timestamps or bools of one type, but these are {a} and {b}{}", conversion_hint(&lt, &rt)),
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
                    _ => None,
                };
                match choice {
                    Some((b, t)) => (bin(b, l, r), t),
                    None => {
                        let (a, b) = (self.tname(&lt), self.tname(&rt));
                        let what = match op {
                            BinaryOp::Add => {
                                "adds two ints or two floats, joins two strings or two lists"
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

    fn call(
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

    fn method(
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
    fn macro_call(
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

/// Two reads of one stable place: the same state field or variable.
fn same_place(a: &ir::Expr, b: &ir::Expr) -> bool {
    match (a, b) {
        (ir::Expr::StateField(x), ir::Expr::StateField(y))
        | (ir::Expr::Local(x), ir::Expr::Local(y))
        | (ir::Expr::Param(x), ir::Expr::Param(y)) => x == y,
        _ => false,
    }
}

/// Types `string(x)` and `${x}` can write.
fn formattable(t: &Type) -> bool {
    matches!(
        t,
        Type::String
            | Type::Int
            | Type::Float
            | Type::Bool
            | Type::Timestamp
            | Type::Enum(_)
            | Type::Null
            | Type::Error
    )
}

fn conversion_hint(a: &Type, b: &Type) -> &'static str {
    match (a, b) {
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => {
            "; convert one side with `float(x)` or `int(x)`"
        }
        (Type::Optional(_), _) | (_, Type::Optional(_)) => {
            "; unwrap the optional side with `.orValue(default)`"
        }
        _ => "",
    }
}

/// The zero value of a state field's type, where it has one (§4).
fn zero_value(t: &Type) -> Option<Value> {
    Some(match t {
        Type::String => Value::str(""),
        Type::Int => Value::Int(0),
        Type::Float => Value::Float(0.0),
        Type::Bool => Value::Bool(false),
        Type::List(_) => Value::list([]),
        Type::Map(_) => Value::Map(Map::new()),
        Type::Optional(_) | Type::Null => Value::Null,
        _ => return None,
    })
}

/// The value of a constant expression: literals, and lists, maps and
/// records of them.
fn const_value(e: &ir::Expr) -> Option<Value> {
    match e {
        ir::Expr::Const(v) => Some(v.clone()),
        ir::Expr::Unary(Unary::NegInt, x, _) => match const_value(x)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            _ => None,
        },
        ir::Expr::Unary(Unary::NegFloat, x, _) => match const_value(x)? {
            Value::Float(f) => Some(Value::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

/// Lists, maps and records of constants become constants themselves.
fn fold_list(items: Vec<ir::Expr>) -> ir::Expr {
    let consts: Option<Vec<Value>> = items.iter().map(const_value).collect();
    match consts {
        Some(values) => ir::Expr::Const(Value::list(values)),
        None => ir::Expr::List(items),
    }
}

fn fold_map(entries: Vec<(ir::Expr, ir::Expr)>) -> ir::Expr {
    let consts: Option<Vec<(Value, Value)>> = entries
        .iter()
        .map(|(k, v)| Some((const_value(k)?, const_value(v)?)))
        .collect();
    match consts {
        Some(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                if let Value::String(k) = k {
                    map.insert(k, v);
                }
            }
            ir::Expr::Const(Value::Map(map))
        }
        None => ir::Expr::Map(entries),
    }
}

fn fold_record(shape: Arc<Shape>, fields: Vec<ir::Expr>) -> ir::Expr {
    match fields.iter().map(const_value).collect::<Option<Vec<_>>>() {
        Some(values) => {
            ir::Expr::Const(Value::record(shape, crate::value::Fields::from_vec(values)))
        }
        None => ir::Expr::Record(shape, fields),
    }
}

/// Where each field stands by name. With a name declared twice, the first:
/// the duplicate is reported and left out of the checked fields anyway.
fn index_of(fields: &[FieldType]) -> HashMap<Str, u32> {
    let mut index = HashMap::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        index.entry(f.name.clone()).or_insert(i as u32);
    }
    index
}

/// "; did you mean `count`?" when a known name is one or two edits away.
fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance in code points, without allocating for short names
/// (it runs once per candidate of a hint).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: smallvec::SmallVec<[char; 32]> = a.chars().collect();
    let b: smallvec::SmallVec<[char; 32]> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        // Farther than any hint looks; the exact figure does not matter.
        return a.len().abs_diff(b.len());
    }
    let mut prev: smallvec::SmallVec<[usize; 33]> = (0..=b.len()).collect();
    let mut cur: smallvec::SmallVec<[usize; 33]> = smallvec::smallvec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(
            suggest("cuont", ["count", "amount"]),
            "; did you mean `count`?"
        );
        assert_eq!(suggest("zzz", ["count"]), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    /// Every slot a macro's body may write (the variables of macros inside
    /// it) differs from the slots it reads while it runs: its own variable
    /// and the value of `m[k]` (issue 10).
    #[test]
    fn a_map_macros_value_slot_is_not_reused_inside_its_body() {
        let src = "model W {\n state {\n m: map<string, int>\n xs: list<int>\n }\n \
                   query q(): list<bool> = m.map(k, xs.exists(x, m.all(j, x == m[k] + m[j])))\n}\n";
        let (file, diags) = super::super::parser::parse(0, src);
        assert!(diags.is_empty());
        let mut diags = Vec::new();
        let models = check(&[file], &[src], &mut diags);
        assert!(diags.is_empty(), "{}", diags.len());
        let mut macros = Vec::new();
        let mut body = models[0].queries[0].body.clone();
        body.rewrite(&mut |e| {
            if let ir::Expr::Macro(m) = e {
                macros.push((m.slot, m.value_slot));
            }
            None
        });
        // Bottom-up: `m.all(j, ...)`, `xs.exists(x, ...)`, `m.map(k, ...)`.
        let [(j, jv), (x, None), (k, Some(kv))] = macros[..] else {
            panic!("unexpected macros {macros:?}");
        };
        let inner = [Some(j), jv, Some(x)];
        assert!(
            !inner.contains(&Some(k)) && !inner.contains(&Some(kv)),
            "{macros:?}"
        );
        assert!(jv.is_some() && jv != Some(x), "{macros:?}");
    }
}
