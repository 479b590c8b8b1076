//! Every declaration of a workspace and every use of one, found by walking
//! the syntax trees with the scoping rules of MODEL-LANGUAGE.md §5 and §13.

use std::collections::HashMap;

use super::ty::Ty;
use super::{Symbol, TextRange};
use crate::language::ast::{
    self, Arg, Block, Expr, ExprKind, Field, HandlerDecl, Ident, Member, PathSegment, Span,
    StmtKind, StrPart, TypeExpr, TypeKind,
};
use crate::language::parser::{is_kebab, is_pascal, is_snake};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    Model,
    Record,
    Enum,
    EnumMember,
    StateField,
    RecordField,
    Param,
    Command,
    Event,
    Query,
    Table,
    Column,
    Projection,
    Local,
}

impl DefKind {
    pub fn describe(self) -> &'static str {
        match self {
            DefKind::Model => "model",
            DefKind::Record => "record",
            DefKind::Enum => "enum",
            DefKind::EnumMember => "enum member",
            DefKind::StateField => "state field",
            DefKind::RecordField => "record field",
            DefKind::Param => "param",
            DefKind::Command => "command",
            DefKind::Event => "event",
            DefKind::Query => "query",
            DefKind::Table => "table",
            DefKind::Column => "column",
            DefKind::Projection => "projection",
            DefKind::Local => "local name",
        }
    }

    /// Whether it is found by name across the workspace (not a local,
    /// a param or a field).
    pub fn is_global(self) -> bool {
        matches!(
            self,
            DefKind::Model
                | DefKind::Record
                | DefKind::Enum
                | DefKind::Command
                | DefKind::Event
                | DefKind::Query
                | DefKind::Table
                | DefKind::Projection
        )
    }

    /// `Err` says what shape a new name for it must have.
    pub(super) fn accepts_name(self, name: &str) -> Result<(), String> {
        let (ok, shape) = match self {
            DefKind::Model | DefKind::Record | DefKind::Enum => (is_pascal(name), "PascalCase"),
            DefKind::Command | DefKind::Event | DefKind::Query | DefKind::Projection => {
                (is_kebab(name), "kebab-case")
            }
            _ => (is_snake(name), "snake_case"),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "a {} name must be {shape}; `{name}` is not",
                self.describe()
            ))
        }
    }
}

/// A declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    pub name_range: TextRange,
    /// The whole declaration.
    pub range: TextRange,
    /// The declaration as one line: `text: string`, `command add(id: string)`.
    pub detail: String,
    pub doc: Option<String>,
    /// The model, record, table or handler it belongs to.
    pub container: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Command,
    Event,
    Query,
    Upcast,
    Projection,
}

/// The names visible in one handler body, for completion.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    pub range: Span,
    pub model: Option<usize>,
    pub place: Place,
    /// Params (or an event's fields in a projection) and state fields, with
    /// their types.
    pub names: Vec<Binding>,
    /// Locals with where they can be seen.
    pub locals: Vec<(String, usize, Ty, Span)>,
    /// Tables a projection handler sees.
    pub tables: Vec<usize>,
}

/// What a model declares, by name.
#[derive(Debug, Default, Clone)]
pub(super) struct ModelInfo {
    pub name: String,
    pub def: usize,
    pub types: HashMap<String, (usize, bool)>,
    pub state: Vec<Binding>,
    /// Record → its fields.
    pub fields: HashMap<String, Vec<Binding>>,
    /// Enum → its members.
    pub members: HashMap<String, Vec<(String, usize)>>,
    /// Event name → its def, and the fields of each version (highest last).
    pub events: HashMap<String, (usize, Vec<Version>)>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct TableInfo {
    pub name: String,
    pub def: usize,
    pub columns: Vec<Binding>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Index {
    pub defs: Vec<Def>,
    /// Every use of a declaration, its own name included.
    pub uses: Vec<(TextRange, usize)>,
    pub models: Vec<ModelInfo>,
    pub model_by_name: HashMap<String, usize>,
    pub tables: Vec<TableInfo>,
    pub table_by_name: HashMap<String, usize>,
    pub scopes: Vec<Scope>,
}

type Env = Vec<(String, Option<usize>, Ty)>;

/// A name, its declaration and its type: a field, a param, a column.
pub(super) type Binding = (String, usize, Ty);

/// One version of an event and its fields.
pub(super) type Version = (u32, Vec<Binding>);

impl Index {
    pub(super) fn build(files: &[ast::File]) -> Index {
        let mut ix = Index::default();
        for f in files {
            for m in &f.models {
                ix.declare_model(m);
            }
            for t in &f.tables {
                ix.declare_table(t);
            }
        }
        let mut mi = 0;
        for f in files {
            for m in &f.models {
                ix.model_bodies(mi, m);
                mi += 1;
            }
            for t in &f.tables {
                for c in &t.columns {
                    ix.type_uses(&c.field.ty, None);
                    if let Some(d) = &c.field.default {
                        ix.walker(None, Place::Projection).expr(d, &mut Env::new());
                    }
                }
            }
            for p in &f.projections {
                ix.projection(p);
            }
        }
        ix
    }

    fn def(&mut self, name: &Ident, kind: DefKind, range: Span, detail: String) -> usize {
        let id = self.defs.len();
        self.defs.push(Def {
            name: name.name.clone(),
            kind,
            name_range: name.span.into(),
            range: name.span.to(range).into(),
            detail,
            doc: None,
            container: None,
        });
        self.uses.push((name.span.into(), id));
        id
    }

    fn with(&mut self, id: usize, doc: &Option<String>, container: Option<&str>) -> usize {
        self.defs[id].doc = doc.clone();
        self.defs[id].container = container.map(str::to_string);
        id
    }

    fn resolver(&self) -> impl Fn(Option<usize>, Option<&str>, &str) -> Option<(usize, bool)> + '_ {
        move |model, qual, name| {
            let m = match qual {
                Some(q) => *self.model_by_name.get(q)?,
                None => model?,
            };
            self.models.get(m)?.types.get(name).map(|(_, e)| (m, *e))
        }
    }

    fn ty(&self, t: &TypeExpr, model: Option<usize>) -> Ty {
        Ty::of(t, model, &self.resolver())
    }

    fn model_name(&self) -> impl Fn(usize) -> String + '_ {
        move |m| {
            self.models
                .get(m)
                .map(|i| i.name.clone())
                .unwrap_or_default()
        }
    }

    fn type_text(&self, t: &TypeExpr, model: Option<usize>) -> String {
        self.ty(t, model).text(&self.model_name())
    }

    fn field_detail(&self, f: &Field, model: Option<usize>) -> String {
        format!("{}: {}", f.name.name, self.type_text(&f.ty, model))
    }

    fn params_text(&self, ps: &[Field], model: usize) -> String {
        ps.iter()
            .map(|p| self.field_detail(p, Some(model)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn declare_model(&mut self, m: &ast::Model) {
        let mi = self.models.len();
        let end = m
            .members
            .iter()
            .map(member_span)
            .fold(m.name.span, Span::to);
        let def = self.def(
            &m.name,
            DefKind::Model,
            end,
            format!("model {}", m.name.name),
        );
        self.with(def, &m.doc, None);
        self.model_by_name.entry(m.name.name.clone()).or_insert(mi);
        self.models.push(ModelInfo {
            name: m.name.name.clone(),
            def,
            ..Default::default()
        });
        // Type names first: fields may name a record declared below.
        for member in &m.members {
            match member {
                Member::Record(r) => {
                    let d = self.def(
                        &r.name,
                        DefKind::Record,
                        fields_span(&r.fields),
                        format!("record {}", r.name.name),
                    );
                    self.with(d, &r.doc, Some(&m.name.name));
                    self.models[mi]
                        .types
                        .insert(r.name.name.clone(), (d, false));
                }
                Member::Enum(e) => {
                    let names: Vec<&str> = e.members.iter().map(|x| x.name.name.as_str()).collect();
                    let span = e
                        .members
                        .iter()
                        .map(|x| x.name.span)
                        .fold(e.name.span, Span::to);
                    let d = self.def(
                        &e.name,
                        DefKind::Enum,
                        span,
                        format!("enum {} {{ {} }}", e.name.name, names.join(", ")),
                    );
                    self.with(d, &e.doc, Some(&m.name.name));
                    self.models[mi].types.insert(e.name.name.clone(), (d, true));
                    let mut ms = Vec::new();
                    for x in &e.members {
                        let md = self.def(
                            &x.name,
                            DefKind::EnumMember,
                            x.name.span,
                            format!("{}.{}", e.name.name, x.name.name),
                        );
                        self.with(md, &x.doc, Some(&e.name.name));
                        ms.push((x.name.name.clone(), md));
                    }
                    self.models[mi].members.insert(e.name.name.clone(), ms);
                }
                _ => {}
            }
        }
        let container = m.name.name.clone();
        for member in &m.members {
            match member {
                Member::State(s) => {
                    let fs = self.fields(&s.fields, DefKind::StateField, mi, &container);
                    self.models[mi].state.extend(fs);
                }
                Member::Record(r) => {
                    let fs = self.fields(&r.fields, DefKind::RecordField, mi, &r.name.name);
                    self.models[mi].fields.insert(r.name.name.clone(), fs);
                }
                Member::Command(h) => {
                    let detail = format!(
                        "command {}({})",
                        h.name.name,
                        self.params_text(&h.params, mi)
                    );
                    let d = self.def(&h.name, DefKind::Command, h.body.span, detail);
                    self.with(d, &h.doc, Some(&container));
                }
                Member::Event(h) => {
                    let v = h.version.map_or(1, |v| v.value);
                    let detail = format!(
                        "event {}{}({})",
                        h.name.name,
                        h.version
                            .map(|v| format!("@{}", v.value))
                            .unwrap_or_default(),
                        self.params_text(&h.params, mi)
                    );
                    let fs = self.fields(&h.params, DefKind::Param, mi, &h.name.name);
                    let existing = self.models[mi].events.get(&h.name.name).map(|e| e.0);
                    let d = match existing {
                        Some(d) => {
                            self.uses.push((h.name.span.into(), d));
                            if v >= self.latest_version(mi, &h.name.name) {
                                self.defs[d].detail = detail;
                            }
                            d
                        }
                        None => {
                            let d = self.def(&h.name, DefKind::Event, h.body.span, detail);
                            self.with(d, &h.doc, Some(&container))
                        }
                    };
                    let e = self.models[mi]
                        .events
                        .entry(h.name.name.clone())
                        .or_insert((d, Vec::new()));
                    e.1.push((v, fs));
                    e.1.sort_by_key(|(v, _)| *v);
                }
                Member::Query(q) => {
                    let detail = format!(
                        "query {}({}): {}",
                        q.name.name,
                        self.params_text(&q.params, mi),
                        self.type_text(&q.ty, Some(mi))
                    );
                    let d = self.def(&q.name, DefKind::Query, q.body.span, detail);
                    self.with(d, &q.doc, Some(&container));
                }
                _ => {}
            }
        }
    }

    fn latest_version(&self, mi: usize, event: &str) -> u32 {
        self.models[mi]
            .events
            .get(event)
            .and_then(|e| e.1.last())
            .map_or(0, |(v, _)| *v)
    }

    fn fields(&mut self, fs: &[Field], kind: DefKind, mi: usize, container: &str) -> Vec<Binding> {
        fs.iter()
            .map(|f| {
                let detail = self.field_detail(f, Some(mi));
                let d = self.def(&f.name, kind, f.ty.span, detail);
                self.with(d, &f.doc, Some(container));
                (f.name.name.clone(), d, self.ty(&f.ty, Some(mi)))
            })
            .collect()
    }

    fn declare_table(&mut self, t: &ast::Table) {
        let ti = self.tables.len();
        let span = t
            .columns
            .iter()
            .map(|c| c.field.ty.span)
            .fold(t.name.span, Span::to);
        let def = self.def(
            &t.name,
            DefKind::Table,
            span,
            format!("table {}", t.name.name),
        );
        self.with(def, &t.doc, None);
        let mut columns = Vec::new();
        for c in &t.columns {
            let detail = format!(
                "{}{}",
                if c.key.is_some() { "key " } else { "" },
                self.field_detail(&c.field, None)
            );
            let d = self.def(&c.field.name, DefKind::Column, c.field.ty.span, detail);
            self.with(d, &c.field.doc, Some(&t.name.name));
            columns.push((c.field.name.name.clone(), d, self.ty(&c.field.ty, None)));
        }
        self.table_by_name.entry(t.name.name.clone()).or_insert(ti);
        self.tables.push(TableInfo {
            name: t.name.name.clone(),
            def,
            columns,
        });
    }

    fn type_uses(&mut self, t: &TypeExpr, model: Option<usize>) {
        match &t.kind {
            TypeKind::List(i) | TypeKind::Optional(i) => self.type_uses(i, model),
            TypeKind::Map(k, v) => {
                self.type_uses(k, model);
                self.type_uses(v, model);
            }
            TypeKind::Named(n) => {
                if let Some(d) = model.and_then(|m| self.models[m].types.get(&n.name)) {
                    self.uses.push((n.span.into(), d.0));
                }
            }
            TypeKind::Qualified(m, n) => {
                if let Some(&mi) = self.model_by_name.get(&m.name) {
                    self.uses.push((m.span.into(), self.models[mi].def));
                    if let Some(d) = self.models[mi].types.get(&n.name) {
                        self.uses.push((n.span.into(), d.0));
                    }
                }
            }
            _ => {}
        }
    }

    fn walker(&mut self, model: Option<usize>, _place: Place) -> Walker<'_> {
        Walker {
            ix: self,
            model,
            locals: Vec::new(),
            tables: Vec::new(),
        }
    }

    fn model_bodies(&mut self, mi: usize, m: &ast::Model) {
        let state: Env = self.models[mi]
            .state
            .iter()
            .map(|(n, d, t)| (n.clone(), Some(*d), t.clone()))
            .collect();
        for member in &m.members {
            match member {
                Member::State(s) => self.field_types(&s.fields, mi),
                Member::Record(r) => self.field_types(&r.fields, mi),
                Member::Command(h) => self.handler(mi, h, Place::Command, &state, None),
                Member::Event(h) => {
                    let v = h.version.map_or(1, |v| v.value);
                    let params = self.models[mi].events[&h.name.name]
                        .1
                        .iter()
                        .find(|(x, _)| *x == v)
                        .map(|(_, fs)| fs.clone())
                        .unwrap_or_default();
                    self.handler(mi, h, Place::Event, &state, Some(params))
                }
                Member::Upcast(h) => {
                    if let Some(&(d, _)) = self.models[mi].events.get(&h.name.name) {
                        self.uses.push((h.name.span.into(), d));
                    }
                    let params = self.fields(&h.params, DefKind::Param, mi, &h.name.name);
                    self.handler(mi, h, Place::Upcast, &Env::new(), Some(params))
                }
                Member::Query(q) => {
                    self.type_uses(&q.ty, Some(mi));
                    let params = self.fields(&q.params, DefKind::Param, mi, &q.name.name);
                    for p in &q.params {
                        self.type_uses(&p.ty, Some(mi));
                    }
                    let mut env = state.clone();
                    env.extend(
                        params
                            .iter()
                            .map(|(n, d, t)| (n.clone(), Some(*d), t.clone())),
                    );
                    let scope_names = params
                        .iter()
                        .chain(&self.models[mi].state)
                        .cloned()
                        .collect();
                    let mut w = self.walker(Some(mi), Place::Query);
                    w.expr(&q.body, &mut env);
                    let locals = std::mem::take(&mut w.locals);
                    self.scopes.push(Scope {
                        range: q.name.span.to(q.body.span),
                        model: Some(mi),
                        place: Place::Query,
                        names: scope_names,
                        locals,
                        tables: Vec::new(),
                    });
                }
                Member::Invariant(inv) => {
                    let mut env = state.clone();
                    self.walker(Some(mi), Place::Query)
                        .expr(&inv.expr, &mut env);
                }
                Member::Enum(_) => {}
            }
        }
    }

    fn field_types(&mut self, fs: &[Field], mi: usize) {
        for f in fs {
            self.type_uses(&f.ty, Some(mi));
            if let Some(d) = &f.default {
                self.walker(Some(mi), Place::Query).expr(d, &mut Env::new());
            }
        }
    }

    fn handler(
        &mut self,
        mi: usize,
        h: &HandlerDecl,
        place: Place,
        state: &Env,
        params: Option<Vec<Binding>>,
    ) {
        for p in &h.params {
            self.type_uses(&p.ty, Some(mi));
        }
        let params = match params {
            Some(p) => p,
            None => self.fields(&h.params, DefKind::Param, mi, &h.name.name),
        };
        for p in &h.params {
            if let Some(d) = &p.default {
                self.walker(Some(mi), Place::Query).expr(d, &mut Env::new());
            }
        }
        let mut env = state.clone();
        env.extend(
            params
                .iter()
                .map(|(n, d, t)| (n.clone(), Some(*d), t.clone())),
        );
        let mut names = params.clone();
        if place != Place::Upcast {
            names.extend(self.models[mi].state.iter().cloned());
        }
        let mut w = self.walker(Some(mi), place);
        w.block(&h.body, &mut env);
        let locals = std::mem::take(&mut w.locals);
        self.scopes.push(Scope {
            range: h.name.span.to(h.body.span),
            model: Some(mi),
            place,
            names,
            locals,
            tables: Vec::new(),
        });
    }

    fn projection(&mut self, p: &ast::Projection) {
        let span = p
            .handlers
            .iter()
            .map(|h| h.body.span)
            .fold(p.name.span, Span::to);
        let d = self.def(
            &p.name,
            DefKind::Projection,
            span,
            format!("projection {} {}", p.name.name, p.mode.word()),
        );
        self.with(d, &p.doc, None);
        // The tables it writes are the tables it may read.
        let mut writes = Vec::new();
        for h in &p.handlers {
            crate::language::check::collect_writes(&h.body, &mut writes);
        }
        let mut tables: Vec<usize> = Vec::new();
        for (_, t) in writes {
            if let Some(&t) = self.table_by_name.get(&t.name) {
                if !tables.contains(&t) {
                    tables.push(t);
                }
            }
        }
        for h in &p.handlers {
            let mi = self.model_by_name.get(&h.model.name).copied();
            let mut fields = Vec::new();
            if let Some(mi) = mi {
                self.uses.push((h.model.span.into(), self.models[mi].def));
                if let Some((ed, versions)) = self.models[mi].events.get(&h.event.name) {
                    self.uses.push((h.event.span.into(), *ed));
                    fields = versions.last().map(|(_, f)| f.clone()).unwrap_or_default();
                }
            }
            let mut env: Env = vec![
                ("stream".into(), None, Ty::Builtin("stream")),
                ("event".into(), None, Ty::Builtin("event")),
            ];
            for &t in &tables {
                let ti = &self.tables[t];
                env.push((ti.name.clone(), Some(ti.def), Ty::Table(t)));
            }
            env.extend(
                fields
                    .iter()
                    .map(|(n, d, t)| (n.clone(), Some(*d), t.clone())),
            );
            let mut w = self.walker(mi, Place::Projection);
            w.tables = tables.clone();
            w.block(&h.body, &mut env);
            let locals = std::mem::take(&mut w.locals);
            self.scopes.push(Scope {
                range: h.keyword.to(h.body.span),
                model: mi,
                place: Place::Projection,
                names: fields,
                locals,
                tables: tables.clone(),
            });
        }
    }

    // ----- queries -----

    /// The use (or declaration) whose name covers `offset`.
    pub(super) fn use_at(&self, file: u32, offset: u32) -> Option<(TextRange, usize)> {
        self.uses
            .iter()
            .filter(|(r, _)| r.file == file && r.start <= offset && offset <= r.end)
            .min_by_key(|(r, _)| r.end - r.start)
            .copied()
    }

    pub(super) fn def_id_at(&self, file: u32, offset: u32) -> Option<usize> {
        self.use_at(file, offset).map(|(_, d)| d)
    }

    pub(super) fn def_at(&self, file: u32, offset: u32) -> Option<&Def> {
        self.def_id_at(file, offset).map(|d| &self.defs[d])
    }

    pub(super) fn uses_of(&self, id: usize) -> Vec<TextRange> {
        let mut out: Vec<TextRange> = self
            .uses
            .iter()
            .filter(|(_, d)| *d == id)
            .map(|(r, _)| *r)
            .collect();
        let decl = self.defs[id].name_range;
        out.sort_by_key(|r| (*r != decl, r.file, r.start));
        out.dedup();
        out
    }

    pub(super) fn outline(&self, file: u32) -> Vec<Symbol> {
        let sym = |d: usize, children: Vec<Symbol>| {
            let def = &self.defs[d];
            Symbol {
                name: def.name.clone(),
                kind: def.kind,
                range: def.range,
                selection: def.name_range,
                children,
            }
        };
        let mut out = Vec::new();
        for (d, def) in self.defs.iter().enumerate() {
            if def.name_range.file != file {
                continue;
            }
            match def.kind {
                DefKind::Model | DefKind::Table | DefKind::Projection => {
                    let children = self
                        .defs
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            c.name_range.file == file
                                && c.container.as_deref() == Some(&def.name)
                                && c.kind != DefKind::Local
                                && c.name_range.start > def.name_range.start
                                && c.name_range.end <= def.range.end
                        })
                        .map(|(i, c)| {
                            let grand = if matches!(c.kind, DefKind::Record | DefKind::Enum) {
                                self.defs
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, g)| {
                                        g.container.as_deref() == Some(&c.name)
                                            && g.name_range.file == file
                                            && g.name_range.start > c.name_range.start
                                            && g.name_range.end <= c.range.end
                                    })
                                    .map(|(gi, _)| sym(gi, Vec::new()))
                                    .collect()
                            } else {
                                Vec::new()
                            };
                            sym(i, grand)
                        })
                        .collect();
                    out.push(sym(d, children));
                }
                _ => {}
            }
        }
        out
    }
}

fn member_span(m: &Member) -> Span {
    match m {
        Member::State(s) => fields_span(&s.fields).to(s.keyword),
        Member::Record(r) => fields_span(&r.fields).to(r.name.span),
        Member::Enum(e) => e
            .members
            .iter()
            .map(|x| x.name.span)
            .fold(e.name.span, Span::to),
        Member::Command(h) | Member::Event(h) | Member::Upcast(h) => h.name.span.to(h.body.span),
        Member::Query(q) => q.name.span.to(q.body.span),
        Member::Invariant(i) => i.keyword.to(i.expr.span),
    }
}

fn fields_span(fs: &[Field]) -> Span {
    let mut it = fs.iter().map(|f| {
        let s = f.name.span.to(f.ty.span);
        f.default.as_ref().map_or(s, |d| s.to(d.span))
    });
    let first = it.next().unwrap_or_default();
    it.fold(first, Span::to)
}

/// Walks one body: resolves names and records their uses.
pub(super) struct Walker<'i> {
    pub ix: &'i mut Index,
    pub model: Option<usize>,
    pub locals: Vec<(String, usize, Ty, Span)>,
    pub tables: Vec<usize>,
}

impl Walker<'_> {
    fn local(&mut self, name: &Ident, ty: Ty, visible: Span, env: &mut Env) {
        let detail = format!("let {}: {}", name.name, ty.text(&self.ix.model_name()));
        let d = self.ix.def(name, DefKind::Local, name.span, detail);
        self.locals
            .push((name.name.clone(), d, ty.clone(), visible));
        env.push((name.name.clone(), Some(d), ty));
    }

    fn block(&mut self, b: &Block, env: &mut Env) {
        let mark = env.len();
        for s in &b.stmts {
            self.stmt(s, b.span, env);
        }
        env.truncate(mark);
    }

    fn stmt(&mut self, s: &ast::Stmt, block: Span, env: &mut Env) {
        match &s.kind {
            StmtKind::Let { name, value } => {
                let ty = self.expr(value, env);
                let visible = Span {
                    start: name.span.end,
                    ..block
                };
                self.local(name, ty, visible, env);
            }
            StmtKind::Reject { message, cond, .. } => {
                self.expr(message, env);
                self.expr(cond, env);
            }
            StmtKind::Emit {
                event,
                version,
                args,
            } => {
                let fields = self.model.and_then(|m| {
                    let (d, versions) = self.ix.models[m].events.get(&event.name)?;
                    let fs = match version {
                        Some(v) => versions.iter().find(|(x, _)| *x == v.value),
                        None => versions.last(),
                    };
                    Some((*d, fs.map(|(_, f)| f.clone()).unwrap_or_default()))
                });
                if let Some((d, _)) = &fields {
                    self.ix.uses.push((event.span.into(), *d));
                }
                let fields = fields.map(|(_, f)| f).unwrap_or_default();
                self.args(args, &fields, env);
            }
            StmtKind::Set { path, .. } | StmtKind::Remove { path } => {
                if let StmtKind::Set { value, .. } = &s.kind {
                    self.expr(value, env);
                }
                // `set` and `remove` always write the state (§5).
                let mut ty = match self.model {
                    Some(m) => {
                        let found = self.ix.models[m]
                            .state
                            .iter()
                            .find(|(n, ..)| *n == path.root.name)
                            .cloned();
                        match found {
                            Some((_, d, t)) => {
                                self.ix.uses.push((path.root.span.into(), d));
                                t
                            }
                            None => Ty::Unknown,
                        }
                    }
                    None => Ty::Unknown,
                };
                for seg in &path.segments {
                    ty = match seg {
                        PathSegment::Field(f) => self.member(&ty, f),
                        PathSegment::Index(i) => {
                            self.expr(i, env);
                            ty.item_of_index()
                        }
                    };
                }
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    self.expr(c, env);
                    self.block(b, env);
                }
                if let Some(b) = otherwise {
                    self.block(b, env);
                }
            }
            StmtKind::For { var, iter, body } => {
                let ty = self.expr(iter, env).item();
                let mark = env.len();
                self.local(var, ty, body.span, env);
                self.block(body, env);
                env.truncate(mark);
            }
            StmtKind::Insert { table, args, .. } => {
                let cols = self.table_use(table);
                self.args(args, &cols, env);
            }
            StmtKind::Update { table, keys, args } => {
                let cols = self.table_use(table);
                for k in keys {
                    self.expr(k, env);
                }
                let ti = self.ix.table_by_name.get(&table.name).copied();
                let mark = env.len();
                env.push(("row".into(), None, ti.map_or(Ty::Unknown, Ty::Row)));
                self.args(args, &cols, env);
                env.truncate(mark);
            }
            StmtKind::Delete { table, keys } => {
                self.table_use(table);
                for k in keys {
                    self.expr(k, env);
                }
            }
        }
    }

    fn table_use(&mut self, table: &Ident) -> Vec<Binding> {
        match self.ix.table_by_name.get(&table.name).copied() {
            Some(t) => {
                let def = self.ix.tables[t].def;
                self.ix.uses.push((table.span.into(), def));
                self.ix.tables[t].columns.clone()
            }
            None => Vec::new(),
        }
    }

    /// `name: value` arguments against the fields they fill.
    fn args(&mut self, args: &[Arg], fields: &[Binding], env: &mut Env) {
        for a in args {
            if let Some((_, d, _)) = fields.iter().find(|(n, ..)| *n == a.name.name) {
                if a.value.span != a.name.span {
                    self.ix.uses.push((a.name.span.into(), *d));
                } else {
                    // Shorthand `name`: the field, and the value named alike.
                    self.ix.uses.push((a.name.span.into(), *d));
                    if let Some(vd) = lookup(env, &a.name.name) {
                        self.ix.uses.push((a.name.span.into(), vd));
                    }
                    continue;
                }
            }
            self.expr(&a.value, env);
        }
    }

    /// `.field` on a value of type `ty`: records the use, gives its type.
    fn member(&mut self, ty: &Ty, field: &Ident) -> Ty {
        let found = fields_of(self.ix, ty)
            .into_iter()
            .find(|(n, ..)| *n == field.name);
        match found {
            Some((_, d, t)) => {
                if let Some(d) = d {
                    self.ix.uses.push((field.span.into(), d));
                }
                t
            }
            None => Ty::Unknown,
        }
    }

    pub(super) fn expr(&mut self, e: &Expr, env: &mut Env) -> Ty {
        match &e.kind {
            ExprKind::Null => Ty::Unknown,
            ExprKind::Bool(_) => Ty::Prim("bool"),
            ExprKind::Int(_) => Ty::Prim("int"),
            ExprKind::Float(_) => Ty::Prim("float"),
            ExprKind::Str(parts) => {
                for p in parts {
                    if let StrPart::Expr(x) = p {
                        self.expr(x, env);
                    }
                }
                Ty::Prim("string")
            }
            ExprKind::List(items) => {
                let mut t = Ty::Unknown;
                for i in items {
                    t = self.expr(i, env);
                }
                Ty::List(Box::new(t))
            }
            ExprKind::Map(entries) => {
                let mut t = Ty::Unknown;
                for (k, v) in entries {
                    self.expr(k, env);
                    t = self.expr(v, env);
                }
                Ty::Map(Box::new(t))
            }
            ExprKind::Record { name, fields } => {
                let rec = self.model.and_then(|m| {
                    let (d, is_enum) = *self.ix.models[m].types.get(&name.name)?;
                    (!is_enum).then_some((m, d))
                });
                let mut cols = Vec::new();
                if let Some((m, d)) = rec {
                    self.ix.uses.push((name.span.into(), d));
                    cols = self.ix.models[m]
                        .fields
                        .get(&name.name)
                        .cloned()
                        .unwrap_or_default();
                }
                self.args(fields, &cols, env);
                rec.map_or(Ty::Unknown, |(m, _)| Ty::Record(m, name.name.clone()))
            }
            ExprKind::Name(id) => match id.name.as_str() {
                _ if lookup(env, &id.name).is_some() => {
                    let (d, t) = lookup_ty(env, &id.name);
                    if let Some(d) = d {
                        self.ix.uses.push((id.span.into(), d));
                    }
                    t
                }
                "state" => self.model.map_or(Ty::Unknown, Ty::State),
                "now" => Ty::Prim("timestamp"),
                "meta" => Ty::Map(Box::new(Ty::Prim("string"))),
                _ => lookup_ty(env, &id.name).1,
            },
            ExprKind::EnumMember { ty, member } => self.enum_member(None, ty, member),
            ExprKind::Unary { expr, .. } => self.expr(expr, env),
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs, env);
                let r = self.expr(rhs, env);
                use ast::BinaryOp::*;
                match op {
                    Or | And | Eq | Ne | Lt | Le | Gt | Ge | In => Ty::Prim("bool"),
                    _ if l == Ty::Unknown => r,
                    _ => l,
                }
            }
            ExprKind::Cond {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, env);
                let t = self.expr(then, env);
                let o = self.expr(otherwise, env);
                if t == Ty::Unknown {
                    o
                } else {
                    t
                }
            }
            ExprKind::Field { target, field } => {
                // `Model.Enum.member` in a table or a projection (§13).
                if let ExprKind::EnumMember {
                    ty: model,
                    member: en,
                } = &target.kind
                {
                    if let Some(&mi) = self.ix.model_by_name.get(&model.name) {
                        if self.ix.models[mi].types.get(&en.name).is_some_and(|t| t.1) {
                            self.ix
                                .uses
                                .push((model.span.into(), self.ix.models[mi].def));
                            return self.enum_member(Some(mi), en, field);
                        }
                    }
                }
                let t = self.expr(target, env);
                self.member(&t, field)
            }
            ExprKind::Index { target, index } => {
                let t = self.expr(target, env);
                self.expr(index, env);
                t.item_of_index()
            }
            ExprKind::Call { func, args } => {
                let ts: Vec<Ty> = args.iter().map(|a| self.expr(a, env)).collect();
                match (func.name.as_str(), ts.first()) {
                    ("values", Some(Ty::Map(v))) => Ty::List(v.clone()),
                    ("keys", _) => Ty::List(Box::new(Ty::Prim("string"))),
                    ("size" | "int", _) => Ty::Prim("int"),
                    ("float", _) => Ty::Prim("float"),
                    ("string", _) => Ty::Prim("string"),
                    ("timestamp", _) => Ty::Prim("timestamp"),
                    ("duration", _) => Ty::Prim("duration"),
                    _ => Ty::Unknown,
                }
            }
            ExprKind::Method {
                target,
                method,
                args,
            } => {
                let t = self.expr(target, env);
                let is_macro = crate::language::builtins::macro_named(&method.name).is_some();
                if is_macro {
                    if let (
                        Some(Expr {
                            kind: ExprKind::Name(var),
                            ..
                        }),
                        Some(body),
                    ) = (args.first(), args.get(1))
                    {
                        let mark = env.len();
                        self.local(var, t.item(), body.span, env);
                        self.expr(body, env);
                        env.truncate(mark);
                        for a in &args[2..] {
                            self.expr(a, env);
                        }
                    } else {
                        for a in args {
                            self.expr(a, env);
                        }
                    }
                } else {
                    for a in args {
                        self.expr(a, env);
                    }
                }
                match (method.name.as_str(), &t) {
                    ("get", Ty::Table(ti)) => Ty::Opt(Box::new(Ty::Row(*ti))),
                    ("filter", _) => t.clone(),
                    ("map", _) => Ty::List(Box::new(Ty::Unknown)),
                    ("orValue", Ty::Opt(i)) => (**i).clone(),
                    ("get", Ty::Map(v)) => (**v).clone(),
                    (
                        "has" | "contains" | "all" | "exists" | "startsWith" | "endsWith"
                        | "matches",
                        _,
                    ) => Ty::Prim("bool"),
                    ("size", _) => Ty::Prim("int"),
                    ("trim" | "lowerAscii" | "upperAscii", _) => Ty::Prim("string"),
                    _ => Ty::Unknown,
                }
            }
        }
    }

    fn enum_member(&mut self, model: Option<usize>, ty: &Ident, member: &Ident) -> Ty {
        let Some(m) = model.or(self.model) else {
            return Ty::Unknown;
        };
        let Some(&(d, true)) = self.ix.models[m].types.get(&ty.name) else {
            return Ty::Unknown;
        };
        self.ix.uses.push((ty.span.into(), d));
        if let Some((_, md)) = self.ix.models[m]
            .members
            .get(&ty.name)
            .and_then(|ms| ms.iter().find(|(n, _)| *n == member.name))
        {
            self.ix.uses.push((member.span.into(), *md));
        }
        Ty::Enum(m, ty.name.clone())
    }
}

impl Ty {
    fn item_of_index(&self) -> Ty {
        match self.unwrap_opt() {
            Ty::List(i) | Ty::Map(i) => (**i).clone(),
            _ => Ty::Unknown,
        }
    }
}

fn builtin_fields(fs: &[(&str, &'static str)]) -> Vec<(String, Option<usize>, Ty)> {
    fs.iter()
        .map(|(n, t)| (n.to_string(), None, Ty::Prim(t)))
        .collect()
}

fn lookup(env: &Env, name: &str) -> Option<usize> {
    env.iter()
        .rev()
        .find(|(n, ..)| n == name)
        .and_then(|(_, d, _)| *d)
}

fn lookup_ty(env: &Env, name: &str) -> (Option<usize>, Ty) {
    env.iter()
        .rev()
        .find(|(n, ..)| n == name)
        .map_or((None, Ty::Unknown), |(_, d, t)| (*d, t.clone()))
}

/// The fields a value of type `ty` has after `.`.
pub(super) fn fields_of(ix: &Index, ty: &Ty) -> Vec<(String, Option<usize>, Ty)> {
    let some = |v: &Vec<Binding>| {
        v.iter()
            .map(|(n, d, t)| (n.clone(), Some(*d), t.clone()))
            .collect()
    };
    match ty.unwrap_opt() {
        Ty::Record(m, r) => ix.models[*m].fields.get(r).map(some).unwrap_or_default(),
        Ty::State(m) => some(&ix.models[*m].state),
        Ty::Row(t) => some(&ix.tables[*t].columns),
        Ty::Builtin("stream") => builtin_fields(&[
            ("model", "string"),
            ("id", "string"),
            ("name", "string"),
            ("version", "int"),
        ]),
        Ty::Builtin("event") => {
            let mut v = builtin_fields(&[
                ("id", "string"),
                ("position", "int"),
                ("recorded_at", "timestamp"),
            ]);
            v.push((
                "metadata".into(),
                None,
                Ty::Map(Box::new(Ty::Prim("string"))),
            ));
            v
        }
        _ => Vec::new(),
    }
}
