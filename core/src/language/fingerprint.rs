//! The fingerprint of a model: a hash of only what decides folded state.
//!
//! A snapshot is kept only while its model's fingerprint is unchanged, so a
//! change here forces every stream of the model to be replayed. Hence what
//! is hashed: the lowered event handlers (bodies as IR, param names, types
//! and defaults), the state (fields, types, defaults, initial value), and
//! the records and enums those reach, named rather than numbered so that
//! the order of declarations does not count. Upcasts (§12) are in it too:
//! they decide what old events fold into. Left out, because they do not
//! change folded state: spans, docs, comments, commands, queries,
//! invariants and the crate version.
//!
//! The encoding is explicit (a tag, then lengths before every sequence and
//! string, into SHA-256), never `Debug` text, so a new field on an IR node
//! cannot slip in unnoticed. Changing it on purpose means changing
//! [`FORMAT`], which forces a replay of every stream.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::calendar::Part as TimePart;
use super::ir::{Binary, Builtin, Expr, Handler, Macro, MacroKind, Model, Part, Place, Segment};
use super::ir::{Stmt, Unary};
use crate::types::{FieldType, Type, Types};
use crate::value::{Shape, Value};

/// Names the encoding below; bump it with any deliberate change of it.
const FORMAT: &str = "eventfold-fingerprint v1";

/// The fingerprint of `model`, as lowercase hex SHA-256.
pub(crate) fn fingerprint(model: &Model) -> String {
    let mut e = Encoder::of(model);
    e.str(FORMAT);
    e.str(&model.name);
    e.tag("state");
    e.fields(&model.state_fields);
    e.shape(&model.state_shape);
    e.value(&model.initial_state);
    // Events by name: their order in the file does not count.
    let mut events: Vec<&Handler> = model.events.iter().collect();
    events.sort_by(|a, b| a.name.cmp(&b.name));
    e.tag("events");
    e.len(events.len());
    for ev in events {
        // Version 1, the one an event without `@N` has, adds nothing, so a
        // model of version 0 of the language keeps its fingerprint.
        if ev.version != 1 {
            e.tag("version");
            e.u64(ev.version.into());
        }
        e.handler(ev);
    }
    // By name and version, for the same reason as events.
    let mut upcasts: Vec<&Handler> = model.upcasts.iter().map(|u| &u.handler).collect();
    upcasts.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
    e.tag("upcasts");
    e.len(upcasts.len());
    for u in upcasts {
        e.tag("upcast");
        e.u64(u.version.into());
        e.handler(u);
    }
    e.types_reached();
    let digest = e.hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names the encoding of [`revision`]; bump it with any change of it.
const REVISION_FORMAT: &str = "eventfold-revision v1";

/// The revision of `model`, as lowercase hex SHA-256: its fingerprint plus
/// what decides its commands, queries and invariants. Two files whose model
/// differs only in spans, docs, comments or declaration order have the same
/// revision. The store's registry names a model version by it, and an
/// engine whose revision is not the store's active one may not append
/// (ARCHITECTURE.md "Model changes, live").
pub(crate) fn revision(model: &Model) -> String {
    let mut e = Encoder::of(model);
    e.str(REVISION_FORMAT);
    e.str(&fingerprint(model));
    let mut commands: Vec<&Handler> = model.commands.iter().collect();
    commands.sort_by(|a, b| a.name.cmp(&b.name));
    e.tag("commands");
    e.len(commands.len());
    for c in commands {
        e.handler(c);
    }
    let mut queries: Vec<_> = model.queries.iter().collect();
    queries.sort_by(|a, b| a.name.cmp(&b.name));
    e.tag("queries");
    e.len(queries.len());
    for q in queries {
        e.str(&q.name);
        e.fields(&q.params);
        e.shape(&q.shape);
        e.ty(&q.ty);
        e.expr(&q.body);
        e.u64(q.frame_size.into());
    }
    let mut invariants: Vec<_> = model.invariants.iter().collect();
    invariants.sort_by(|a, b| a.text.cmp(&b.text));
    e.tag("invariants");
    e.len(invariants.len());
    for i in invariants {
        e.str(&i.text);
        e.expr(&i.expr);
        e.u64(i.frame_size.into());
    }
    e.types_reached();
    let digest = e.hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes tags, lengths and values into the hash, and collects the records
/// and enums met on the way (by name) to hash them once at the end.
struct Encoder<'a> {
    hasher: Sha256,
    types: &'a Types,
    records: BTreeMap<&'a str, usize>,
    enums: BTreeMap<&'a str, usize>,
    /// Name and version of each shape an `emit` may name (`Model::shape`).
    shapes: Vec<(&'a str, u32)>,
}

impl<'a> Encoder<'a> {
    /// An encoder for `model`: its types, and what an `emit` names, by
    /// name and version (indexes follow file order).
    fn of(model: &'a Model) -> Self {
        let mut e = Encoder::new(&model.types);
        e.shapes = model
            .events
            .iter()
            .chain(model.upcasts.iter().map(|u| &u.handler))
            .map(|h| (&*h.name, h.version))
            .collect();
        e
    }

    fn new(types: &'a Types) -> Self {
        Encoder {
            hasher: Sha256::new(),
            types,
            records: BTreeMap::new(),
            enums: BTreeMap::new(),
            shapes: Vec::new(),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.hasher.update(b);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// A node's name: what the following fields mean.
    fn tag(&mut self, t: &str) {
        self.str(t);
    }

    fn u64(&mut self, n: u64) {
        self.hasher.update(n.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    fn bool(&mut self, b: bool) {
        self.hasher.update([b as u8]);
    }

    fn handler(&mut self, h: &Handler) {
        self.tag("event");
        self.str(&h.name);
        self.fields(&h.params);
        self.shape(&h.shape);
        self.stmts(&h.body);
        self.u64(h.frame_size.into());
    }

    fn fields(&mut self, fields: &[FieldType]) {
        self.len(fields.len());
        for f in fields {
            self.str(&f.name);
            self.ty(&f.ty);
            match &f.default {
                Some(v) => {
                    self.tag("default");
                    self.value(v);
                }
                None => self.tag("required"),
            }
        }
    }

    fn shape(&mut self, s: &Shape) {
        self.str(&s.name);
        self.len(s.fields.len());
        for f in &s.fields {
            self.str(f);
        }
    }

    /// Records and enums by name, noting them to be hashed at the end.
    fn ty(&mut self, t: &Type) {
        match t {
            Type::String => self.tag("string"),
            Type::Int => self.tag("int"),
            Type::Float => self.tag("float"),
            Type::Bool => self.tag("bool"),
            Type::Timestamp => self.tag("timestamp"),
            Type::Duration => self.tag("duration"),
            Type::List(t) => {
                self.tag("list");
                self.ty(t);
            }
            Type::Map(t) => {
                self.tag("map");
                self.ty(t);
            }
            Type::Optional(t) => {
                self.tag("optional");
                self.ty(t);
            }
            Type::Record(i) => {
                let types = self.types;
                let name = &*types.records[*i].shape.name;
                self.records.insert(name, *i);
                self.tag("record");
                self.str(name);
            }
            Type::Enum(i) => {
                let types = self.types;
                let name = &*types.enums[*i].name;
                self.enums.insert(name, *i);
                self.tag("enum");
                self.str(name);
            }
            Type::Null => self.tag("null"),
            Type::Unknown => self.tag("unknown"),
            Type::Error => self.tag("error"),
        }
    }

    /// The records and enums reached, and those their fields reach, each
    /// once, in name order.
    fn types_reached(&mut self) {
        let mut done = BTreeMap::new();
        self.tag("records");
        loop {
            let next = self
                .records
                .iter()
                .find(|(name, _)| !done.contains_key(*name))
                .map(|(name, i)| (*name, *i));
            let Some((name, i)) = next else { break };
            done.insert(name, ());
            let types = self.types;
            let rec = &types.records[i];
            self.tag("record");
            self.shape(&rec.shape);
            self.fields(&rec.fields);
        }
        // The walk above may reach more enums: list them after it.
        let enums: Vec<usize> = self.enums.values().copied().collect();
        self.tag("enums");
        self.len(enums.len());
        for i in enums {
            let types = self.types;
            let en = &types.enums[i];
            self.str(&en.name);
            // Member order is kept: it is what a member's position means.
            self.len(en.members.len());
            for m in &en.members {
                self.str(m);
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.tag("null"),
            Value::Bool(b) => {
                self.tag("bool");
                self.bool(*b);
            }
            Value::Int(i) => {
                self.tag("int");
                self.hasher.update(i.to_le_bytes());
            }
            Value::Float(f) => {
                self.tag("float");
                self.u64(f.to_bits());
            }
            Value::String(s) => {
                self.tag("string");
                self.str(s);
            }
            Value::Timestamp(t) => {
                self.tag("timestamp");
                self.hasher.update(t.as_second().to_le_bytes());
                self.u64(t.subsec_nanosecond().into());
            }
            Value::Duration(d) => {
                self.tag("duration");
                self.hasher.update(d.as_nanos().to_le_bytes());
            }
            Value::List(items) => {
                self.tag("list");
                self.len(items.len());
                for i in items.iter() {
                    self.value(i);
                }
            }
            Value::Map(m) => {
                self.tag("map");
                self.len(m.len());
                for (k, v) in m.iter() {
                    self.str(k);
                    self.value(v);
                }
            }
            Value::Record(r) => {
                self.tag("record");
                self.shape(&r.shape);
                self.record_named(&r.shape.name);
                self.len(r.fields.len());
                for f in r.fields.iter() {
                    self.value(f);
                }
            }
            Value::Enum(m) => {
                self.tag("member");
                self.str(m);
            }
        }
    }

    fn stmts(&mut self, body: &[Stmt]) {
        self.len(body.len());
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(slot, e) => {
                self.tag("let");
                self.u64((*slot).into());
                self.expr(e);
            }
            Stmt::Reject {
                reason,
                message,
                unless,
                cond,
            } => {
                self.tag("reject");
                match reason {
                    Some(r) => self.str(r),
                    None => self.tag("no reason"),
                }
                self.expr(message);
                self.bool(*unless);
                self.expr(cond);
            }
            Stmt::Emit {
                event,
                fields,
                span: _,
            } => {
                // Only upcasts emit among what is hashed: by name and
                // version, since indexes follow the order of the file.
                self.tag("emit");
                match self.shapes.get(*event).copied() {
                    Some((name, version)) => {
                        self.str(name);
                        self.u64(version.into());
                    }
                    None => self.len(*event),
                }
                self.exprs(fields);
            }
            Stmt::Set { place, value } => {
                self.tag("set");
                self.place(place);
                self.expr(value);
            }
            Stmt::Remove { place } => {
                self.tag("remove");
                self.place(place);
            }
            Stmt::If {
                branches,
                otherwise,
            } => {
                self.tag("if");
                self.len(branches.len());
                for (cond, body) in branches {
                    self.expr(cond);
                    self.stmts(body);
                }
                self.stmts(otherwise);
            }
            Stmt::For {
                slot,
                over_map,
                iter,
                body,
                span: _,
            } => {
                self.tag("for");
                self.u64((*slot).into());
                self.bool(*over_map);
                self.expr(iter);
                self.stmts(body);
            }
            // Only projection handlers write tables; they are fingerprinted
            // by `projection_fingerprint`.
            Stmt::Table(_) => self.tag("table write"),
        }
    }

    fn place(&mut self, p: &Place) {
        let Place {
            field,
            segments,
            span: _,
        } = p;
        self.u64((*field).into());
        self.len(segments.len());
        for s in segments {
            match s {
                Segment::Field(i) => {
                    self.tag("field");
                    self.u64((*i).into());
                }
                Segment::Key(e) => {
                    self.tag("key");
                    self.expr(e);
                }
                Segment::Index(e) => {
                    self.tag("index");
                    self.expr(e);
                }
            }
        }
    }

    fn exprs(&mut self, es: &[Expr]) {
        self.len(es.len());
        for e in es {
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(v) => {
                self.tag("const");
                self.value(v);
            }
            Expr::Local(slot) => {
                self.tag("local");
                self.u64((*slot).into());
            }
            Expr::Param(i) => {
                self.tag("param");
                self.u64((*i).into());
            }
            Expr::StateField(i) => {
                self.tag("state field");
                self.u64((*i).into());
            }
            Expr::State => self.tag("state"),
            Expr::Now => self.tag("now"),
            Expr::Meta => self.tag("meta"),
            Expr::List(items) => {
                self.tag("list");
                self.exprs(items);
            }
            Expr::Map(entries) => {
                self.tag("map");
                self.len(entries.len());
                for (k, v) in entries {
                    self.expr(k);
                    self.expr(v);
                }
            }
            Expr::Record(shape, fields) => {
                self.tag("record");
                self.shape(shape);
                self.record_named(&shape.name);
                self.exprs(fields);
            }
            Expr::Interpolate(parts) => {
                self.tag("interpolate");
                self.len(parts.len());
                for p in parts {
                    match p {
                        Part::Lit(s) => {
                            self.tag("lit");
                            self.str(s);
                        }
                        Part::Expr(e) => {
                            self.tag("expr");
                            self.expr(e);
                        }
                    }
                }
            }
            Expr::Unary(op, a, _span) => {
                self.tag("unary");
                self.tag(unary(*op));
                self.expr(a);
            }
            Expr::Binary(op, a, b, _span) => {
                self.tag("binary");
                self.tag(binary(*op));
                self.expr(a);
                self.expr(b);
            }
            Expr::And(a, b) => {
                self.tag("and");
                self.expr(a);
                self.expr(b);
            }
            Expr::Or(a, b) => {
                self.tag("or");
                self.expr(a);
                self.expr(b);
            }
            Expr::Cond(a, b, c) => {
                self.tag("cond");
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            Expr::Field(a, i) => {
                self.tag("field");
                self.expr(a);
                self.u64((*i).into());
            }
            Expr::MapGet(a, b, _span) => {
                self.tag("map get");
                self.expr(a);
                self.expr(b);
            }
            Expr::ListIndex(a, b, _span) => {
                self.tag("list index");
                self.expr(a);
                self.expr(b);
            }
            Expr::Call(f, args, _span) => {
                self.tag("call");
                self.builtin(f);
                self.exprs(args);
            }
            Expr::Macro(m) => self.macro_(m),
            Expr::Table(_) => self.tag("table read"),
        }
    }

    /// A record met as a shape in the IR: hash its type too (its defaults
    /// decide what a literal leaving fields out holds).
    fn record_named(&mut self, name: &str) {
        let types = self.types;
        if let Some(i) = types.records.iter().position(|r| &*r.shape.name == name) {
            self.records.insert(&types.records[i].shape.name, i);
        }
    }

    fn builtin(&mut self, f: &Builtin) {
        self.tag(builtin_name(f));
        if let Builtin::Matches(re) = f {
            match re {
                Some(re) => self.str(re.as_str()),
                None => self.tag("pattern at run time"),
            }
        }
    }

    fn macro_(&mut self, m: &Macro) {
        let Macro {
            kind,
            over_map,
            target,
            slot,
            value_slot,
            bind_item,
            body,
            span: _,
        } = m;
        self.tag("macro");
        self.tag(match kind {
            MacroKind::All => "all",
            MacroKind::Exists => "exists",
            MacroKind::ExistsOne => "exists_one",
            MacroKind::Map => "map",
            MacroKind::Filter => "filter",
        });
        self.bool(*over_map);
        self.expr(target);
        self.u64((*slot).into());
        match value_slot {
            Some(s) => {
                self.tag("value slot");
                self.u64((*s).into());
            }
            None => self.tag("no value slot"),
        }
        self.bool(*bind_item);
        self.expr(body);
    }
}

/// Spelled out rather than `Debug`, so renaming a variant in the code does
/// not change fingerprints.
fn unary(op: Unary) -> &'static str {
    match op {
        Unary::Not => "not",
        Unary::NegInt => "neg int",
        Unary::NegFloat => "neg float",
        Unary::NegDuration => "neg duration",
    }
}

fn binary(op: Binary) -> &'static str {
    match op {
        Binary::AddInt => "add int",
        Binary::AddFloat => "add float",
        Binary::AddStr => "add string",
        Binary::AddList => "add list",
        Binary::SubInt => "sub int",
        Binary::SubFloat => "sub float",
        Binary::MulInt => "mul int",
        Binary::MulFloat => "mul float",
        Binary::DivInt => "div int",
        Binary::DivFloat => "div float",
        Binary::RemInt => "rem int",
        Binary::Eq => "eq",
        Binary::Ne => "ne",
        Binary::Lt => "lt",
        Binary::Le => "le",
        Binary::Gt => "gt",
        Binary::Ge => "ge",
        Binary::InList => "in list",
        Binary::InMap => "in map",
        Binary::AddTimestampDuration => "add timestamp duration",
        Binary::AddDurationTimestamp => "add duration timestamp",
        Binary::SubTimestampDuration => "sub timestamp duration",
        Binary::SubTimestamps => "sub timestamps",
        Binary::AddDurations => "add durations",
        Binary::SubDurations => "sub durations",
    }
}

fn builtin_name(f: &Builtin) -> &'static str {
    match f {
        Builtin::Size => "size",
        Builtin::Int => "int",
        Builtin::Float => "float",
        Builtin::String => "string",
        Builtin::Timestamp => "timestamp",
        Builtin::Keys => "keys",
        Builtin::Values => "values",
        Builtin::SumInt => "sum int",
        Builtin::SumFloat => "sum float",
        Builtin::Min => "min",
        Builtin::Max => "max",
        Builtin::Contains => "contains",
        Builtin::StartsWith => "startsWith",
        Builtin::EndsWith => "endsWith",
        Builtin::LowerAscii => "lowerAscii",
        Builtin::UpperAscii => "upperAscii",
        Builtin::Trim => "trim",
        Builtin::Matches(_) => "matches",
        Builtin::OrValue => "orValue",
        Builtin::GetOr => "get",
        Builtin::Duration => "duration",
        Builtin::SumDuration => "sum duration",
        Builtin::TimestampPart(p) => p.name(),
        Builtin::DurationPart(p) => match p {
            TimePart::Hours => "duration getHours",
            TimePart::Minutes => "duration getMinutes",
            TimePart::Seconds => "duration getSeconds",
            _ => "duration getMilliseconds",
        },
    }
}

/// The fingerprint of a projection (§13): over its own text (from its name
/// to its last handler) and the text of each table it writes, in the
/// domain's order. A changed handler or table changes it; a change
/// anywhere else (a model, another projection) does not.
pub(crate) fn projection_fingerprint(own: &str, tables: &[&str]) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put("eventfold-projection-fingerprint v1");
    put(own);
    for t in tables {
        put(t);
    }
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
