//! The read side (MODEL-LANGUAGE.md §13): tables and projections, checked
//! after every model, and lowered into [`ReadSide`].
//!
//! Tables stand outside every model, so their column types live in one
//! universe of types: a copy of every model's records and enums (named
//! `Model.Type`), plus each table's row record and the `stream` and `event`
//! records. A handler `on M.e` is checked by a [`ModelChecker`] made from
//! model `M` as it was lowered, into whose types the universe is imported:
//! `M`'s own types map back to themselves, so an event field of type
//! `Priority` fits a column of type `M.Priority`.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::language::ast::{Projection as AstProjection, Table as AstTable};
use crate::language::readside::{
    Projection, ProjectionHandler, ReadOp, ReadSide, Table, TableRead, TableWrite, WriteOp,
};

/// Table names the engine keeps for itself.
const RESERVED_PREFIX: &str = "eventfold_";

/// What a checker of the read side knows beyond a model's own checker.
pub(super) enum ReadCtx {
    /// Checking a table's columns: types are named with their model.
    Table,
    /// Checking one handler of a projection.
    Handler(HandlerCtx),
}

pub(super) struct HandlerCtx {
    projection: Str,
    /// Every table of the domain, its types in the handler checker's.
    tables: Vec<TableView>,
    by_name: HashMap<Str, usize>,
    /// The tables this projection writes (its statements name them).
    writes: HashSet<usize>,
    stream_slot: u32,
    event_slot: u32,
    stream_ty: Type,
    event_ty: Type,
}

struct TableView {
    name: Str,
    columns: Vec<FieldType>,
    key: Vec<u32>,
    row_ty: Type,
    writer: Option<Str>,
}

/// Hidden names of the `stream` and `event` slots: no `let` can spell them.
const STREAM_LOCAL: &str = "\u{0}stream";
const EVENT_LOCAL: &str = "\u{0}event";

/// Where a universe type came from: a model's own type, by index.
#[derive(Clone, Copy)]
struct Origin {
    model: usize,
    local: usize,
}

struct Universe {
    types: Types,
    record_origin: Vec<Option<Origin>>,
    enum_origin: Vec<Option<Origin>>,
    /// `Model.Type` names.
    dotted: HashMap<String, TypeRef>,
}

fn remap(t: &Type, r_off: usize, e_off: usize) -> Type {
    match t {
        Type::Record(i) => Type::Record(i + r_off),
        Type::Enum(i) => Type::Enum(i + e_off),
        Type::List(x) => Type::List(Box::new(remap(x, r_off, e_off))),
        Type::Map(x) => Type::Map(Box::new(remap(x, r_off, e_off))),
        Type::Optional(x) => Type::Optional(Box::new(remap(x, r_off, e_off))),
        other => other.clone(),
    }
}

fn universe(models: &[ir::Model]) -> Universe {
    let mut u = Universe {
        types: Types::default(),
        record_origin: Vec::new(),
        enum_origin: Vec::new(),
        dotted: HashMap::new(),
    };
    for (mi, m) in models.iter().enumerate() {
        let (r_off, e_off) = (u.types.records.len(), u.types.enums.len());
        for (i, r) in m.types.records.iter().enumerate() {
            let mut r = r.clone();
            for f in &mut r.fields {
                f.ty = remap(&f.ty, r_off, e_off);
            }
            if !Arc::ptr_eq(&r.shape, &m.state_shape) {
                u.dotted.insert(
                    format!("{}.{}", m.name, r.shape.name),
                    TypeRef::Record(r_off + i),
                );
            }
            u.types.records.push(r);
            u.record_origin.push(Some(Origin {
                model: mi,
                local: i,
            }));
        }
        for (i, en) in m.types.enums.iter().enumerate() {
            u.dotted
                .insert(format!("{}.{}", m.name, en.name), TypeRef::Enum(e_off + i));
            u.types.enums.push(en.clone());
            u.enum_origin.push(Some(Origin {
                model: mi,
                local: i,
            }));
        }
    }
    u
}

fn field(name: &str, ty: Type) -> FieldType {
    FieldType {
        name: name.into(),
        ty,
        default: None,
        doc: None,
    }
}

fn push_record(u: &mut Universe, name: &str, fields: Vec<FieldType>) -> (usize, Arc<Shape>) {
    let shape = Arc::new(Shape {
        name: name.into(),
        fields: fields.iter().map(|f| f.name.clone()).collect(),
    });
    u.types.records.push(RecordType {
        shape: shape.clone(),
        fields,
        doc: None,
    });
    u.record_origin.push(None);
    (u.types.records.len() - 1, shape)
}

/// Checks the tables and projections of a domain whose models are `models`
/// (already checked, in domain order).
pub fn read_side(
    files: &[ast::File],
    sources: &[&str],
    models: &[ir::Model],
    diags: &mut Vec<Diag>,
) -> ReadSide {
    let tables: Vec<&AstTable> = files.iter().flat_map(|f| &f.tables).collect();
    let projections: Vec<&AstProjection> = files.iter().flat_map(|f| &f.projections).collect();
    let mut u = universe(models);
    let (stream_rec, stream_shape) = push_record(
        &mut u,
        "stream",
        vec![
            field("model", Type::String),
            field("id", Type::String),
            field("name", Type::String),
            field("version", Type::Int),
        ],
    );
    let (event_rec, event_shape) = push_record(
        &mut u,
        "event",
        vec![
            field("id", Type::String),
            field("position", Type::Int),
            field("recorded_at", Type::Timestamp),
            field("metadata", Type::Map(Box::new(Type::String))),
        ],
    );

    // 1. Tables.
    let mut out_tables: Vec<Table> = Vec::new();
    let mut table_index: HashMap<&str, usize> = HashMap::new();
    for t in &tables {
        let name = t.name.name.as_str();
        if let Some(rest) = name.strip_prefix(RESERVED_PREFIX) {
            diags.push(Diag::new(
                t.name.span,
                format!(
                    "table `{name}` begins with `{RESERVED_PREFIX}`, which the engine keeps for its own tables; choose another name, such as `{}`",
                    rest
                ),
            ));
        }
        if table_index.contains_key(name) {
            diags.push(Diag::new(
                t.name.span,
                format!("a table named `{name}` is already declared in this domain; give each table its own name"),
            ));
            continue;
        }
        let decls: Vec<ast::Field> = t.columns.iter().map(|c| c.field.clone()).collect();
        let mut c = ModelChecker::new(diags, sources);
        c.types = std::mem::take(&mut u.types);
        c.record_index = c
            .types
            .records
            .iter()
            .map(|r| index_of(&r.fields))
            .collect();
        c.type_names = u.dotted.clone();
        c.state_record = usize::MAX;
        c.read = Some(Box::new(ReadCtx::Table));
        let mut columns = c.fields(&decls, &format!("table {name}"));
        // A default that failed to check was reported: keep the column
        // optional to write, so that its statements say nothing more.
        for f in &mut columns {
            let declared = decls
                .iter()
                .any(|d| *d.name.name == *f.name && d.default.is_some());
            if (declared || f.ty == Type::Error) && f.default.is_none() {
                f.default = Some(Value::Null);
            }
        }
        u.types = std::mem::take(&mut c.types);
        // `fields` leaves out a duplicate: match the columns back by name.
        let mut key = Vec::new();
        for col in &t.columns {
            let Some(i) = columns.iter().position(|f| *f.name == *col.field.name.name) else {
                continue;
            };
            if col.key.is_none() || key.contains(&(i as u32)) {
                continue;
            }
            let ty = &columns[i].ty;
            let fits = matches!(
                ty,
                Type::String
                    | Type::Int
                    | Type::Bool
                    | Type::Timestamp
                    | Type::Enum(_)
                    | Type::Error
            );
            if !fits {
                let shown = ty.display(&u.types).to_string();
                let why = if ty.is_optional() {
                    "a key column is never optional: every row has its key".to_string()
                } else {
                    format!("a key column is a string, int, bool, timestamp or enum, not {shown}")
                };
                diags.push(Diag::new(
                    col.field.name.span,
                    format!(
                        "key column `{}` of table `{name}` is {shown}: {why}",
                        col.field.name.name
                    ),
                ));
            }
            key.push(i as u32);
        }
        if key.is_empty() {
            diags.push(Diag::new(
                t.name.span,
                format!("table `{name}` has no key: mark the columns that identify a row with `key`, as in `key id: string`"),
            ));
        }
        let (row, shape) = push_record(&mut u, name, columns.clone());
        u.types.records[row].doc = t.doc.clone();
        table_index.insert(name, out_tables.len());
        out_tables.push(Table {
            name: name.into(),
            doc: t.doc.clone(),
            index: out_tables.len() as u32,
            column_types: t
                .columns
                .iter()
                .filter(|c| columns.iter().any(|f| *f.name == *c.field.name.name))
                .map(|c| type_text(&c.field.ty))
                .collect(),
            columns,
            key,
            shape,
            row,
            writer: None,
            span: t.name.span,
        });
    }

    // 2. Who writes what: the first projection (in domain order) to write a
    // table owns it; another one's write is reported at its statement.
    let mut seen_projections: HashMap<&str, ()> = HashMap::new();
    let mut writes_of: Vec<HashSet<usize>> = Vec::new();
    for p in &projections {
        let mut writes = HashSet::new();
        for h in &p.handlers {
            let mut stmts = Vec::new();
            collect_writes(&h.body, &mut stmts);
            for (keyword, table) in stmts {
                let Some(&ti) = table_index.get(table.name.as_str()) else {
                    continue;
                };
                writes.insert(ti);
                match &out_tables[ti].writer {
                    None => out_tables[ti].writer = Some(p.name.name.as_str().into()),
                    Some(w) if **w == *p.name.name => {}
                    Some(w) => diags.push(Diag::new(
                        keyword,
                        format!(
                            "table `{}` is written by projection `{w}`; each table is written by exactly one projection, so `{}` may not write it (give it a table of its own)",
                            table.name, p.name.name
                        ),
                    )),
                }
            }
        }
        writes_of.push(writes);
    }
    for t in &out_tables {
        if t.writer.is_none() {
            diags.push(Diag::new(
                t.span,
                format!(
                    "no projection writes table `{}`; write it from a projection's handler (`insert {}(...)`) or remove it",
                    t.name, t.name
                ),
            ));
        }
    }

    // 3. Projections and their handlers.
    let model_index: HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (&*m.name, i))
        .collect();
    let mut out_projections = Vec::new();
    for (p, writes) in projections.iter().zip(writes_of) {
        let pname = p.name.name.as_str();
        if seen_projections.insert(pname, ()).is_some() {
            diags.push(Diag::new(
                p.name.span,
                format!("a projection named `{pname}` is already declared in this domain; give each projection its own name"),
            ));
            continue;
        }
        let mut handled: HashSet<(usize, String)> = HashSet::new();
        let mut handlers = Vec::new();
        for h in &p.handlers {
            let Some(&mi) = model_index.get(h.model.name.as_str()) else {
                let hint = if diags.len() < MAX_SUGGESTIONS {
                    suggest(&h.model.name, models.iter().map(|m| &*m.name))
                } else {
                    String::new()
                };
                diags.push(Diag::new(
                    h.model.span,
                    format!("unknown model `{}`{hint}; a handler names a model of this domain and one of its events, as in `on Todos.created`", h.model.name),
                ));
                continue;
            };
            let m = &models[mi];
            let Some(ei) = m.event_index(&h.event.name) else {
                let hint = if diags.len() < MAX_SUGGESTIONS {
                    suggest(&h.event.name, m.events.iter().map(|e| &*e.name))
                } else {
                    String::new()
                };
                diags.push(Diag::new(
                    h.event.span,
                    format!("model {} has no event `{}`{hint}", m.name, h.event.name),
                ));
                continue;
            };
            if !handled.insert((mi, h.event.name.clone())) {
                diags.push(Diag::new(
                    h.event.span,
                    format!(
                        "projection `{pname}` already handles {}.{}; a projection has at most one handler per event, so merge the two blocks",
                        m.name, h.event.name
                    ),
                ));
                continue;
            }
            let params = m.events[ei].params.clone();
            for f in &params {
                if matches!(&*f.name, "row" | "stream" | "event") {
                    diags.push(Diag::new(
                        h.event.span,
                        format!(
                            "event {}.{} has a field named `{}`, which a projection handler reserves for its own `{}`; rename the field (an upcast keeps old events readable, §12)",
                            m.name, h.event.name, f.name, f.name
                        ),
                    ));
                }
            }
            let views: Vec<TableView> = out_tables
                .iter()
                .map(|t| TableView {
                    name: t.name.clone(),
                    columns: t.columns.clone(),
                    key: t.key.clone(),
                    row_ty: Type::Record(t.row),
                    writer: t.writer.clone(),
                })
                .collect();
            let mut c = ModelChecker::for_model(diags, sources, m);
            let mut import = Import::new(mi);
            for (name, r) in &u.dotted {
                let t = match r {
                    TypeRef::Record(i) => Type::Record(*i),
                    TypeRef::Enum(i) => Type::Enum(*i),
                };
                let local = import.ty(&u, &mut c, &t);
                let r = match local {
                    Type::Record(i) => TypeRef::Record(i),
                    Type::Enum(i) => TypeRef::Enum(i),
                    _ => continue,
                };
                c.type_names.insert(name.clone(), r);
            }
            let views: Vec<TableView> = views
                .into_iter()
                .map(|mut v| {
                    v.row_ty = import.ty(&u, &mut c, &v.row_ty);
                    for col in &mut v.columns {
                        col.ty = import.ty(&u, &mut c, &col.ty);
                    }
                    v
                })
                .collect();
            let stream_ty = import.ty(&u, &mut c, &Type::Record(stream_rec));
            let event_ty = import.ty(&u, &mut c, &Type::Record(event_rec));
            let mut scope = Scope::new(Place::Projection, &params);
            let hidden = |name: &str| Ident {
                name: name.to_string(),
                span: h.keyword,
            };
            let stream_slot = c.declare(&mut scope, &hidden(STREAM_LOCAL), stream_ty.clone());
            let event_slot = c.declare(&mut scope, &hidden(EVENT_LOCAL), event_ty.clone());
            c.read = Some(Box::new(ReadCtx::Handler(HandlerCtx {
                projection: pname.into(),
                by_name: views
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.name.clone(), i))
                    .collect(),
                tables: views,
                writes: writes.clone(),
                stream_slot,
                event_slot,
                stream_ty,
                event_ty,
            })));
            let body = c.block(&mut scope, &h.body);
            handlers.push(ProjectionHandler {
                model: mi,
                model_name: m.name.clone(),
                event: m.events[ei].name.clone(),
                body,
                frame_size: scope.frame_size,
                stream_slot,
                event_slot,
            });
        }
        let mut owned: Vec<u32> = out_tables
            .iter()
            .filter(|t| t.writer.as_deref() == Some(pname))
            .map(|t| t.index)
            .collect();
        owned.sort_unstable();
        out_projections.push(Projection {
            name: pname.into(),
            doc: p.doc.clone(),
            mode: p.mode,
            handlers,
            writes: owned,
            fingerprint: String::new(),
        });
    }
    let mut side = ReadSide {
        types: u.types,
        tables: out_tables,
        projections: out_projections,
        stream_shape,
        event_shape,
    };
    // Fingerprints over the text of each projection and of its tables.
    let table_decls: HashMap<&str, &AstTable> = tables
        .iter()
        .map(|t| (t.name.name.as_str(), *t))
        .rev()
        .collect();
    let prints: Vec<String> = side
        .projections
        .iter()
        .map(|p| {
            let decl = projections
                .iter()
                .find(|d| *d.name.name == *p.name)
                .expect("a lowered projection was declared");
            let own = sources
                .get(decl.name.span.file as usize)
                .map(|s| projection_text(s, decl))
                .unwrap_or_default();
            let tables: Vec<String> = p
                .writes
                .iter()
                .map(|&t| {
                    let table = &side.tables[t as usize];
                    let text = table_decls
                        .get(&*table.name)
                        .and_then(|d| {
                            sources
                                .get(d.name.span.file as usize)
                                .map(|s| table_text(s, d))
                        })
                        .unwrap_or("");
                    // The models' types a column names count too: a new
                    // enum member changes what the rows may hold.
                    let mut types = String::new();
                    let mut seen = HashSet::new();
                    for c in &table.columns {
                        type_decl(&side.types, &c.ty, &mut seen, &mut types);
                    }
                    format!("{text}\n{types}")
                })
                .collect();
            let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
            crate::language::fingerprint::projection_fingerprint(own, &tables)
        })
        .collect();
    for (p, f) in side.projections.iter_mut().zip(prints) {
        p.fingerprint = f;
    }
    side
}

/// The declarations of the records and enums `t` reaches, each once.
fn type_decl(types: &Types, t: &Type, seen: &mut HashSet<(bool, usize)>, out: &mut String) {
    match t {
        Type::Enum(i) if seen.insert((false, *i)) => {
            let e = &types.enums[*i];
            out.push_str(&format!("enum {} {{{}}}\n", e.name, e.members.join(",")));
        }
        Type::Record(i) if seen.insert((true, *i)) => {
            let r = &types.records[*i];
            out.push_str(&format!("record {} {{", r.shape.name));
            for f in &r.fields {
                out.push_str(&format!(
                    "{}:{}={:?};",
                    f.name,
                    f.ty.display(types),
                    f.default.as_ref().map(|d| d.to_json_string())
                ));
            }
            out.push_str("}\n");
            for f in &r.fields {
                type_decl(types, &f.ty, seen, out);
            }
        }
        Type::List(x) | Type::Map(x) | Type::Optional(x) => type_decl(types, x, seen, out),
        _ => {}
    }
}

/// A column's type as written, in canonical form (`list<Board.Card>`).
fn type_text(t: &ast::TypeExpr) -> String {
    match &t.kind {
        TypeKind::String => "string".into(),
        TypeKind::Int => "int".into(),
        TypeKind::Float => "float".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::Timestamp => "timestamp".into(),
        TypeKind::Duration => "duration".into(),
        TypeKind::List(x) => format!("list<{}>", type_text(x)),
        TypeKind::Map(k, v) => format!("map<{}, {}>", type_text(k), type_text(v)),
        TypeKind::Named(n) => n.name.clone(),
        TypeKind::Qualified(m, n) => format!("{}.{}", m.name, n.name),
        TypeKind::Optional(x) => format!("{}?", type_text(x)),
    }
}

/// The source text of a projection declaration, from its name to the `}`
/// of its last handler.
fn projection_text<'s>(src: &'s str, p: &AstProjection) -> &'s str {
    let start = p.name.span.start as usize;
    let end = p
        .handlers
        .last()
        .map_or(p.name.span.end, |h| h.body.span.end) as usize;
    src.get(start..end).unwrap_or("")
}

/// The source text of a table declaration: its name through its last column.
fn table_text<'s>(src: &'s str, t: &AstTable) -> &'s str {
    let start = t.name.span.start as usize;
    let end = t.columns.last().map_or(t.name.span.end, |c| {
        c.field
            .default
            .as_ref()
            .map_or(c.field.ty.span.end, |d| d.span.end)
    }) as usize;
    src.get(start..end).unwrap_or("")
}

/// Every `insert`/`upsert`/`update`/`delete` of a block, nested ones too:
/// the statement's keyword and its table.
fn collect_writes<'a>(b: &'a ast::Block, out: &mut Vec<(Span, &'a Ident)>) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Insert { table, .. }
            | StmtKind::Update { table, .. }
            | StmtKind::Delete { table, .. } => out.push((s.keyword, table)),
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    collect_writes(b, out);
                }
                if let Some(b) = otherwise {
                    collect_writes(b, out);
                }
            }
            StmtKind::For { body, .. } => collect_writes(body, out),
            _ => {}
        }
    }
}

/// Copies universe types into a handler's checker, each once.
struct Import {
    model: usize,
    records: HashMap<usize, usize>,
    enums: HashMap<usize, usize>,
}

impl Import {
    fn new(model: usize) -> Import {
        Import {
            model,
            records: HashMap::new(),
            enums: HashMap::new(),
        }
    }

    fn ty(&mut self, u: &Universe, c: &mut ModelChecker, t: &Type) -> Type {
        match t {
            Type::Record(i) => {
                if let Some(o) = u.record_origin[*i].filter(|o| o.model == self.model) {
                    return Type::Record(o.local);
                }
                if let Some(&l) = self.records.get(i) {
                    return Type::Record(l);
                }
                let l = c.types.records.len();
                self.records.insert(*i, l);
                let src = &u.types.records[*i];
                c.types.records.push(RecordType {
                    shape: src.shape.clone(),
                    fields: Vec::new(),
                    doc: src.doc.clone(),
                });
                c.record_index.push(HashMap::new());
                let fields: Vec<FieldType> = src
                    .fields
                    .iter()
                    .map(|f| FieldType {
                        ty: self.ty(u, c, &f.ty),
                        ..f.clone()
                    })
                    .collect();
                c.record_index[l] = index_of(&fields);
                c.types.records[l].fields = fields;
                Type::Record(l)
            }
            Type::Enum(i) => {
                if let Some(o) = u.enum_origin[*i].filter(|o| o.model == self.model) {
                    return Type::Enum(o.local);
                }
                if let Some(&l) = self.enums.get(i) {
                    return Type::Enum(l);
                }
                let l = c.types.enums.len();
                self.enums.insert(*i, l);
                c.types.enums.push(u.types.enums[*i].clone());
                Type::Enum(l)
            }
            Type::List(x) => Type::List(Box::new(self.ty(u, c, x))),
            Type::Map(x) => Type::Map(Box::new(self.ty(u, c, x))),
            Type::Optional(x) => Type::Optional(Box::new(self.ty(u, c, x))),
            other => other.clone(),
        }
    }
}

impl<'d> ModelChecker<'d> {
    /// A checker that sees model `m` as it was lowered: its types, events
    /// and state fields.
    fn for_model(diags: &'d mut Vec<Diag>, sources: &'d [&'d str], m: &ir::Model) -> Self {
        let mut c = ModelChecker::new(diags, sources);
        c.types = m.types.clone();
        c.record_index = c
            .types
            .records
            .iter()
            .map(|r| index_of(&r.fields))
            .collect();
        for (i, r) in c.types.records.iter().enumerate() {
            if Arc::ptr_eq(&r.shape, &m.state_shape) {
                c.state_record = i;
            } else {
                c.type_names
                    .insert(r.shape.name.to_string(), TypeRef::Record(i));
            }
        }
        for (i, e) in c.types.enums.iter().enumerate() {
            c.type_names.insert(e.name.to_string(), TypeRef::Enum(i));
        }
        c.state_fields = m.state_fields.clone();
        for (i, e) in m.events.iter().enumerate() {
            c.event_index.insert(e.name.clone(), i as u32);
            c.events.push(EventSig {
                name: e.name.clone(),
                params: e.params.clone(),
            });
        }
        c
    }

    fn handler_ctx(&self) -> Option<&HandlerCtx> {
        match self.read.as_deref() {
            Some(ReadCtx::Handler(h)) => Some(h),
            _ => None,
        }
    }

    /// `Model.Type` where a type stands.
    pub(super) fn qualified_type(&mut self, model: &Ident, ty: &Ident) -> Type {
        let dotted = format!("{}.{}", model.name, ty.name);
        match self.type_names.get(&dotted) {
            Some(TypeRef::Record(i)) => return Type::Record(*i),
            Some(TypeRef::Enum(i)) => return Type::Enum(*i),
            None => {}
        }
        if self.read.is_none() {
            self.error(
                model.span,
                format!(
                    "`{dotted}` names a type of another model, which only a table's column may do; inside a model write `{}`",
                    ty.name
                ),
            );
            return Type::Error;
        }
        let prefix = format!("{}.", model.name);
        let known: Vec<String> = self
            .type_names
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .map(|k| k[prefix.len()..].to_string())
            .collect();
        if known.is_empty() && !self.type_names.keys().any(|k| k.starts_with(&prefix)) {
            let models: HashSet<&str> = self
                .type_names
                .keys()
                .filter_map(|k| k.split_once('.').map(|(m, _)| m))
                .collect();
            let hint = self.hint(&model.name, |_| models.iter().copied());
            self.error(
                model.span,
                format!(
                    "no model `{}` with records or enums in this domain{hint}",
                    model.name
                ),
            );
        } else {
            let hint = self.hint(&ty.name, |_| known.iter().map(String::as_str));
            self.error(
                ty.span,
                format!(
                    "model {} has no record or enum `{}`{hint}",
                    model.name, ty.name
                ),
            );
        }
        Type::Error
    }

    /// A plain type name in a table: tables stand outside every model.
    pub(super) fn named_outside_model(&mut self, name: &Ident) -> bool {
        if !matches!(self.read.as_deref(), Some(ReadCtx::Table)) {
            return false;
        }
        let suffix = format!(".{}", name.name);
        let mut owners: Vec<&str> = self
            .type_names
            .keys()
            .filter(|k| k.ends_with(&suffix))
            .map(String::as_str)
            .collect();
        owners.sort_unstable();
        let example = owners
            .first()
            .map_or_else(|| format!("Model.{}", name.name), |o| o.to_string());
        self.error(
            name.span,
            format!(
                "a table stands outside every model, so name the type with its model, as in `{example}`"
            ),
        );
        true
    }

    /// A name in a projection handler, after `let`, loop names and the
    /// event's fields: `stream`, `event`, then the tables.
    pub(super) fn projection_name(&mut self, scope: &Scope, ident: &Ident) -> (ir::Expr, Type) {
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        let Some(h) = self.handler_ctx() else {
            return bad;
        };
        match ident.name.as_str() {
            "stream" => return (ir::Expr::Local(h.stream_slot), h.stream_ty.clone()),
            "event" => return (ir::Expr::Local(h.event_slot), h.event_ty.clone()),
            _ => {}
        }
        if let Some(&t) = h.by_name.get(ident.name.as_str()) {
            let name = h.tables[t].name.clone();
            self.error(
                ident.span,
                format!(
                    "`{name}` is a table: read a row with `{name}.get(key...)` or test for one with `{name}.has(key...)`"
                ),
            );
            return bad;
        }
        let name = ident.name.as_str();
        let hint = self.hint(name, |c| {
            let locals = scope
                .locals
                .iter()
                .map(|l| l.name.as_str())
                .filter(|l| !l.starts_with('\0'));
            let params = scope.params.iter().map(|p| &*p.name);
            let tables = c
                .handler_ctx()
                .into_iter()
                .flat_map(|h| h.writes.iter().map(|&t| &*h.tables[t].name));
            locals
                .chain(params)
                .chain(["stream", "event"])
                .chain(tables)
        });
        self.error(
            ident.span,
            format!("unknown name `{name}`{hint}; a projection handler sees its `let` and loop names, the event's fields, `stream`, `event` and the tables it writes"),
        );
        bad
    }

    /// `t.has(...)`, `t.get(...)` and `t.get(...).c` in a handler; `None`
    /// when `e` is none of them.
    pub(super) fn table_read(
        &mut self,
        scope: &mut Scope,
        e: &ast::Expr,
    ) -> Option<(ir::Expr, Type)> {
        let (call, column) = match &e.kind {
            ExprKind::Field { target, field } => (&**target, Some(field)),
            _ => (e, None),
        };
        let ExprKind::Method {
            target,
            method,
            args,
        } = &call.kind
        else {
            return None;
        };
        let ExprKind::Name(t) = &target.kind else {
            return None;
        };
        if !matches!(method.name.as_str(), "has" | "get") {
            return None;
        }
        if column.is_some() && method.name != "get" {
            return None;
        }
        if scope.locals.iter().any(|l| l.name == t.name)
            || scope.param_index.contains_key(t.name.as_str())
        {
            return None;
        }
        let h = self.handler_ctx()?;
        let ti = *h.by_name.get(t.name.as_str())?;
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        if !h.writes.contains(&ti) {
            let by = match &h.tables[ti].writer {
                Some(w) => format!(" (projection `{w}` writes it)"),
                None => String::new(),
            };
            let msg = format!(
                "projection `{}` does not write table `{}`, so it may not read it{by}: a projection reads only the tables it writes, so that rebuilding it gives the same rows",
                h.projection, t.name
            );
            self.error(t.span, msg);
            for a in args {
                self.expr(scope, a);
            }
            return Some(bad);
        }
        let key: Vec<(Str, Type)> = h.tables[ti]
            .key
            .iter()
            .map(|&k| {
                let c = &h.tables[ti].columns[k as usize];
                (c.name.clone(), c.ty.clone())
            })
            .collect();
        let row_ty = h.tables[ti].row_ty.clone();
        let columns = h.tables[ti].columns.clone();
        let name = h.tables[ti].name.clone();
        let keys = self.key_values(scope, &name, &key, args, method, true);
        let op = match (method.name.as_str(), column) {
            ("has", _) => ReadOp::Has,
            (_, None) => ReadOp::Get,
            (_, Some(c)) => match columns.iter().position(|f| *f.name == *c.name) {
                Some(i) => ReadOp::Column(i as u32),
                None => {
                    let hint = self.hint(&c.name, |_| columns.iter().map(|f| &*f.name));
                    self.error(
                        c.span,
                        format!("table `{name}` has no column `{}`{hint}", c.name),
                    );
                    return Some(bad);
                }
            },
        };
        let ty = match op {
            ReadOp::Has => Type::Bool,
            ReadOp::Get => Type::optional(row_ty),
            ReadOp::Column(i) => Type::optional(columns[i as usize].ty.clone()),
        };
        let read = TableRead {
            table: ti as u32,
            keys,
            op,
        };
        Some((ir::Expr::Table(Box::new(read)), ty))
    }

    /// The key values of a read (`exact`: all of them) or of an `update` or
    /// `delete` (the first j).
    fn key_values(
        &mut self,
        scope: &mut Scope,
        table: &str,
        key: &[(Str, Type)],
        args: &[ast::Expr],
        at: &Ident,
        exact: bool,
    ) -> Vec<ir::Expr> {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let (x, t) = self.expr(scope, a);
            if let Some((name, want)) = key.get(i) {
                if !t.fits(want) || t == Type::Null {
                    let (found, want) = (self.tname(&t), self.tname(want));
                    self.error(
                        a.span,
                        format!(
                            "key column `{name}` of table `{table}` is {want}, but this is {found}"
                        ),
                    );
                }
            }
            out.push(x);
        }
        let names = key
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if args.len() > key.len() {
            self.error(
                args[key.len()].span,
                format!(
                    "table `{table}` has {} key column{} ({names}), but {} values are given",
                    key.len(),
                    if key.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            );
        } else if exact && args.len() < key.len() {
            self.error(
                at.span,
                format!(
                    "`{}` takes the whole key of table `{table}`: {} value{} ({names}), but {} {} given",
                    at.name,
                    key.len(),
                    if key.len() == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "is" } else { "are" }
                ),
            );
        }
        out
    }

    /// `insert`, `upsert`, `update` and `delete`.
    pub(super) fn table_stmt(&mut self, scope: &mut Scope, stmt: &ast::Stmt) -> Option<ir::Stmt> {
        let (word, table) = match &stmt.kind {
            StmtKind::Insert { table, upsert, .. } => {
                (if *upsert { "upsert" } else { "insert" }, table)
            }
            StmtKind::Update { table, .. } => ("update", table),
            StmtKind::Delete { table, .. } => ("delete", table),
            _ => return None,
        };
        let Some(h) = self.handler_ctx() else {
            self.error(
                stmt.keyword,
                format!("`{word}` may only stand in a projection's handler (`on Model.event {{ ... }}`); a model changes its state with events"),
            );
            return None;
        };
        let Some(&ti) = h.by_name.get(table.name.as_str()) else {
            let hint = self.hint(&table.name, |c| {
                c.handler_ctx()
                    .into_iter()
                    .flat_map(|h| h.tables.iter().map(|t| &*t.name))
            });
            let advice = if hint.is_empty() {
                format!(
                    "; declare it with `table {} {{ key id: string ... }}`",
                    table.name
                )
            } else {
                hint
            };
            self.error(
                table.span,
                format!("unknown table `{}`{advice}", table.name),
            );
            return None;
        };
        let view = &h.tables[ti];
        let columns = view.columns.clone();
        let key_cols = view.key.clone();
        let row_ty = view.row_ty.clone();
        let name = view.name.clone();
        let key: Vec<(Str, Type)> = key_cols
            .iter()
            .map(|&k| {
                (
                    columns[k as usize].name.clone(),
                    columns[k as usize].ty.clone(),
                )
            })
            .collect();
        let op = match &stmt.kind {
            StmtKind::Insert { args, upsert, .. } => {
                let row = self.arguments(scope, &columns, args, table, &format!("table {name}"));
                let missing: Vec<String> = key
                    .iter()
                    .filter(|(k, _)| !args.iter().any(|a| *a.name.name == **k))
                    .filter(|(k, _)| {
                        // Without a default, `arguments` reported it already.
                        columns.iter().any(|c| c.name == *k && c.may_be_omitted())
                    })
                    .map(|(k, _)| format!("`{k}`"))
                    .collect();
                if !missing.is_empty() {
                    self.error(
                        table.span,
                        format!(
                            "`{word}` gives every key column of table `{name}`; {} is missing",
                            missing.join(", ")
                        ),
                    );
                }
                WriteOp::Insert {
                    row,
                    upsert: *upsert,
                }
            }
            StmtKind::Update { keys, args, .. } => {
                let keys = self.key_values(scope, &name, &key, keys, table, false);
                let mark = scope.mark();
                // `row` shadows every other name inside the parentheses.
                let row_slot = scope.next_slot;
                scope.next_slot += 1;
                scope.frame_size = scope.frame_size.max(scope.next_slot);
                scope.locals.push(Local {
                    name: "row".to_string(),
                    ty: row_ty,
                    slot: row_slot,
                });
                let mut set: Vec<(u32, ir::Expr)> = Vec::new();
                for a in args {
                    let (x, t) = self.expr(scope, &a.value);
                    let Some(i) = columns.iter().position(|c| *c.name == *a.name.name) else {
                        let hint = self.hint(&a.name.name, |_| columns.iter().map(|c| &*c.name));
                        self.error(
                            a.name.span,
                            format!("table `{name}` has no column `{}`{hint}", a.name.name),
                        );
                        continue;
                    };
                    if key_cols.contains(&(i as u32)) {
                        self.error(
                            a.name.span,
                            format!(
                                "`{}` is a key column of table `{name}` and cannot be updated: a row keeps its key (delete it and insert another)",
                                a.name.name
                            ),
                        );
                        continue;
                    }
                    if set.iter().any(|(c, _)| *c == i as u32) {
                        self.error(a.name.span, format!("`{}` is given twice", a.name.name));
                        continue;
                    }
                    if !t.fits(&columns[i].ty) {
                        let (found, want) = (self.tname(&t), self.tname(&columns[i].ty));
                        self.error(
                            a.value.span,
                            format!(
                                "column `{}` of table `{name}` is {want}, but this is {found}",
                                a.name.name
                            ),
                        );
                    }
                    set.push((i as u32, x));
                }
                scope.reset(mark);
                WriteOp::Update {
                    keys,
                    set,
                    row_slot,
                }
            }
            StmtKind::Delete { keys, .. } => {
                let keys = self.key_values(scope, &name, &key, keys, table, false);
                WriteOp::Delete { keys }
            }
            _ => return None,
        };
        Some(ir::Stmt::Table(Box::new(TableWrite {
            table: ti as u32,
            op,
            span: stmt.keyword,
        })))
    }
}
