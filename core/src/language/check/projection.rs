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

use super::table::{field, push_record, type_text, universe, Import};
use super::*;
use crate::language::ast::{Projection as AstProjection, Table as AstTable};
use crate::language::readside::{Projection, ProjectionHandler, ReadSide, Table};

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
    pub(super) projection: Str,
    /// Every table of the domain, its types in the handler checker's.
    pub(super) tables: Vec<TableView>,
    pub(super) by_name: HashMap<Str, usize>,
    /// The tables this projection writes (its statements name them).
    pub(super) writes: HashSet<usize>,
    stream_slot: u32,
    event_slot: u32,
    stream_ty: Type,
    event_ty: Type,
}

pub(super) struct TableView {
    pub(super) name: Str,
    pub(super) columns: Vec<FieldType>,
    pub(super) key: Vec<u32>,
    pub(super) row_ty: Type,
    pub(super) writer: Option<Str>,
}

/// Hidden names of the `stream` and `event` slots: no `let` can spell them.
const STREAM_LOCAL: &str = "\u{0}stream";
const EVENT_LOCAL: &str = "\u{0}event";

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
pub(crate) fn collect_writes<'a>(b: &'a ast::Block, out: &mut Vec<(Span, &'a Ident)>) {
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

    pub(super) fn handler_ctx(&self) -> Option<&HandlerCtx> {
        match self.read.as_deref() {
            Some(ReadCtx::Handler(h)) => Some(h),
            _ => None,
        }
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
}
