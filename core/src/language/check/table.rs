//! The types a table's columns see (MODEL-LANGUAGE.md §13): one universe of
//! types, a copy of every model's records and enums (named `Model.Type`),
//! plus each table's row record and the `stream` and `event` records.
//! [`Import`] copies them into a handler's checker.

use std::collections::{HashMap, HashSet};

use super::projection::ReadCtx;
use super::*;

/// Where a universe type came from: a model's own type, by index.
#[derive(Clone, Copy)]
struct Origin {
    model: usize,
    local: usize,
}

pub(super) struct Universe {
    pub(super) types: Types,
    record_origin: Vec<Option<Origin>>,
    enum_origin: Vec<Option<Origin>>,
    /// `Model.Type` names.
    pub(super) dotted: HashMap<String, TypeRef>,
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

pub(super) fn universe(models: &[ir::Model]) -> Universe {
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

pub(super) fn field(name: &str, ty: Type) -> FieldType {
    FieldType {
        name: name.into(),
        ty,
        default: None,
        doc: None,
    }
}

pub(super) fn push_record(
    u: &mut Universe,
    name: &str,
    fields: Vec<FieldType>,
) -> (usize, Arc<Shape>) {
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

/// A column's type as written, in canonical form (`list<Board.Card>`).
pub(super) fn type_text(t: &ast::TypeExpr) -> String {
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

/// Copies universe types into a handler's checker, each once.
pub(super) struct Import {
    model: usize,
    records: HashMap<usize, usize>,
    enums: HashMap<usize, usize>,
}

impl Import {
    pub(super) fn new(model: usize) -> Import {
        Import {
            model,
            records: HashMap::new(),
            enums: HashMap::new(),
        }
    }

    pub(super) fn ty(&mut self, u: &Universe, c: &mut ModelChecker, t: &Type) -> Type {
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

impl ModelChecker<'_> {
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
}
