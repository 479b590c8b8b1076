//! The little the editor needs to know about a value's type: enough to
//! follow `.field` to its record and to list the methods that apply. The
//! checker stays the judge of what is well typed; where this cannot tell,
//! it says `Unknown` and the editor offers less.

use crate::language::ast::{TypeExpr, TypeKind};
use crate::types::Type;

/// (model, qualifier, name) → the model that declares the type, and
/// whether it is an enum.
pub(crate) type Resolve<'a> =
    dyn Fn(Option<usize>, Option<&str>, &str) -> Option<(usize, bool)> + 'a;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Prim(&'static str),
    List(Box<Ty>),
    Map(Box<Ty>),
    Opt(Box<Ty>),
    /// A record of model `.0` named `.1`.
    Record(usize, String),
    Enum(usize, String),
    /// The whole state of model `.0` (`state`).
    State(usize),
    /// A row of table `.0` (`row`, `t.get(k)`).
    Row(usize),
    /// The table `.0` itself, in a projection (`t.get`, `t.has`).
    Table(usize),
    /// `stream` or `event` in a projection handler.
    Builtin(&'static str),
    Unknown,
}

impl Ty {
    /// A declared type, its names looked up in model `model` with
    /// `resolve` (model, name) → the model that declares it and whether it
    /// is an enum.
    pub(crate) fn of(t: &TypeExpr, model: Option<usize>, resolve: &Resolve) -> Ty {
        match &t.kind {
            TypeKind::String => Ty::Prim("string"),
            TypeKind::Int => Ty::Prim("int"),
            TypeKind::Float => Ty::Prim("float"),
            TypeKind::Bool => Ty::Prim("bool"),
            TypeKind::Timestamp => Ty::Prim("timestamp"),
            TypeKind::Duration => Ty::Prim("duration"),
            TypeKind::List(i) => Ty::List(Box::new(Ty::of(i, model, resolve))),
            TypeKind::Map(_, v) => Ty::Map(Box::new(Ty::of(v, model, resolve))),
            TypeKind::Optional(i) => Ty::Opt(Box::new(Ty::of(i, model, resolve))),
            TypeKind::Named(n) => named(resolve(model, None, &n.name), &n.name),
            TypeKind::Qualified(m, n) => named(resolve(model, Some(&m.name), &n.name), &n.name),
        }
    }

    /// The type the builtins table knows it by, for the methods on it.
    pub(crate) fn as_type(&self) -> Option<Type> {
        Some(match self {
            Ty::Prim("string") => Type::String,
            Ty::Prim("int") => Type::Int,
            Ty::Prim("float") => Type::Float,
            Ty::Prim("bool") => Type::Bool,
            Ty::Prim("timestamp") => Type::Timestamp,
            Ty::Prim("duration") => Type::Duration,
            Ty::List(_) => Type::List(Box::new(Type::Unknown)),
            Ty::Map(_) => Type::Map(Box::new(Type::Unknown)),
            Ty::Opt(_) => Type::Optional(Box::new(Type::Unknown)),
            _ => return None,
        })
    }

    pub(crate) fn text(&self, model_name: &dyn Fn(usize) -> String) -> String {
        match self {
            Ty::Prim(p) => p.to_string(),
            Ty::List(i) => format!("list<{}>", i.text(model_name)),
            Ty::Map(v) => format!("map<string, {}>", v.text(model_name)),
            Ty::Opt(i) => format!("{}?", i.text(model_name)),
            Ty::Record(_, n) | Ty::Enum(_, n) => n.clone(),
            Ty::State(m) => format!("{} state", model_name(*m)),
            Ty::Row(_) => "row".into(),
            Ty::Table(_) => "table".into(),
            Ty::Builtin(b) => b.to_string(),
            Ty::Unknown => "?".into(),
        }
    }

    /// What an element of a `for` or a macro over this is.
    pub(crate) fn item(&self) -> Ty {
        match self {
            Ty::List(i) => (**i).clone(),
            Ty::Map(_) => Ty::Prim("string"),
            _ => Ty::Unknown,
        }
    }

    pub(crate) fn unwrap_opt(&self) -> &Ty {
        match self {
            Ty::Opt(i) => i,
            t => t,
        }
    }
}

fn named(found: Option<(usize, bool)>, name: &str) -> Ty {
    match found {
        Some((m, false)) => Ty::Record(m, name.to_string()),
        Some((m, true)) => Ty::Enum(m, name.to_string()),
        None => Ty::Unknown,
    }
}
