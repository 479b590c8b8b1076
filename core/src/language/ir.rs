//! The evaluable form a checked model is lowered to.
//!
//! Names are resolved to slots and field indexes, operators are specialised
//! by type (`AddInt`, `AddStr`, ...), and literals without names are folded
//! into constants, so the evaluator does no lookups by name and no type
//! tests beyond the ones that can fail at run time.

use std::sync::Arc;

pub use super::builtins::Builtin;

use super::ast::Span;
use crate::types::{FieldType, Type, Types};
use crate::value::{Shape, Str, Value};

#[derive(Debug, Clone)]
pub enum Expr {
    Const(Value),
    /// A `let`, loop or macro variable: a slot of the frame.
    Local(u32),
    /// A param of the command, event or query, by index: read from the data
    /// record itself, so entering a handler copies nothing.
    Param(u32),
    /// A field of the state, by index.
    StateField(u32),
    /// The whole state (`state`).
    State,
    Now,
    Meta,
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// A record literal, one expression per field in declared order (left-out
    /// fields are constants).
    Record(Arc<Shape>, Vec<Expr>),
    /// An interpolated string.
    Interpolate(Vec<Part>),
    Unary(Unary, Box<Expr>, Span),
    Binary(Binary, Box<Expr>, Box<Expr>, Span),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A field of a record, by index.
    Field(Box<Expr>, u32),
    /// `m[k]` and `m.k` on a map: an error when the key is absent.
    MapGet(Box<Expr>, Box<Expr>, Span),
    ListIndex(Box<Expr>, Box<Expr>, Span),
    Call(Builtin, Vec<Expr>, Span),
    Macro(Box<Macro>),
    /// A read of a projection's table (§13).
    Table(Box<super::readside::TableRead>),
}

impl Expr {
    /// Rewrites the tree bottom-up: `f` may replace any node.
    pub fn rewrite(&mut self, f: &mut impl FnMut(&Expr) -> Option<Expr>) {
        match self {
            Expr::Const(_)
            | Expr::Local(_)
            | Expr::Param(_)
            | Expr::StateField(_)
            | Expr::State
            | Expr::Now
            | Expr::Meta => {}
            Expr::List(items) => items.iter_mut().for_each(|e| e.rewrite(f)),
            Expr::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.rewrite(f);
                v.rewrite(f);
            }),
            Expr::Record(_, fields) => fields.iter_mut().for_each(|e| e.rewrite(f)),
            Expr::Interpolate(parts) => parts.iter_mut().for_each(|p| {
                if let Part::Expr(e) = p {
                    e.rewrite(f)
                }
            }),
            Expr::Unary(_, e, _) | Expr::Field(e, _) => e.rewrite(f),
            Expr::Binary(_, a, b, _)
            | Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::MapGet(a, b, _)
            | Expr::ListIndex(a, b, _) => {
                a.rewrite(f);
                b.rewrite(f);
            }
            Expr::Cond(a, b, c) => {
                a.rewrite(f);
                b.rewrite(f);
                c.rewrite(f);
            }
            Expr::Call(_, args, _) => args.iter_mut().for_each(|e| e.rewrite(f)),
            Expr::Macro(m) => {
                m.target.rewrite(f);
                m.body.rewrite(f);
            }
            Expr::Table(t) => t.keys.iter_mut().for_each(|e| e.rewrite(f)),
        }
        if let Some(new) = f(self) {
            *self = new;
        }
    }
}

#[derive(Debug, Clone)]
pub enum Part {
    Lit(String),
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unary {
    Not,
    NegInt,
    NegFloat,
    NegDuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    AddInt,
    AddFloat,
    AddStr,
    AddList,
    SubInt,
    SubFloat,
    MulInt,
    MulFloat,
    DivInt,
    DivFloat,
    RemInt,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    InList,
    InMap,
    /// `timestamp + duration` and kin (§14), each its own op so the
    /// evaluator tests no types.
    AddTimestampDuration,
    AddDurationTimestamp,
    SubTimestampDuration,
    SubTimestamps,
    AddDurations,
    SubDurations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

#[derive(Debug, Clone)]
pub struct Macro {
    pub kind: MacroKind,
    /// Over a map's keys rather than a list's items.
    pub over_map: bool,
    pub target: Expr,
    pub slot: u32,
    /// Over a map held in a stable place (a state field or a variable), the
    /// slot that also receives each key's value: `m[k]` in the body reads it
    /// instead of looking the key up again.
    pub value_slot: Option<u32>,
    /// Whether the body reads the item variable at all (after `m[k]` became
    /// the value slot, it often does not).
    pub bind_item: bool,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Let(u32, Expr),
    Reject {
        reason: Option<Str>,
        message: Expr,
        unless: bool,
        cond: Expr,
    },
    /// Every field of the event, in declared order. `event` indexes the
    /// model's events; in an upcast it may also name an upcast's shape, as
    /// `events.len() + i` for upcast `i` (see [`Model::shape`]).
    Emit {
        event: usize,
        fields: Vec<Expr>,
        span: Span,
    },
    Set {
        place: Place,
        value: Expr,
    },
    Remove {
        place: Place,
    },
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        otherwise: Vec<Stmt>,
    },
    For {
        slot: u32,
        over_map: bool,
        iter: Expr,
        body: Vec<Stmt>,
        span: Span,
    },
    /// A write of a projection's table (§13).
    Table(Box<super::readside::TableWrite>),
}

/// Where `set` and `remove` write: a state field, then record fields, map
/// keys and list indexes.
#[derive(Debug, Clone)]
pub struct Place {
    pub field: u32,
    pub segments: Vec<Segment>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Segment {
    Field(u32),
    Key(Expr),
    Index(Expr),
}

/// A command, an event or an upcast.
#[derive(Debug, Clone)]
pub struct Handler {
    pub name: Str,
    pub doc: Option<String>,
    /// The version of an event's or upcast's shape (§12); 1 for a command.
    pub version: u32,
    pub params: Vec<FieldType>,
    /// The shape of the `data` record.
    pub shape: Arc<Shape>,
    pub body: Vec<Stmt>,
    /// Slots for the variables of the body (params are read from the data).
    pub frame_size: u32,
    /// Events a command may emit, in the order they first appear.
    pub emits: Vec<Str>,
    /// `(reason, message as written)` of every `reject`, in order.
    pub rejections: Vec<(Option<Str>, String)>,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub name: Str,
    pub doc: Option<String>,
    pub params: Vec<FieldType>,
    pub shape: Arc<Shape>,
    pub ty: Type,
    pub body: Expr,
    pub frame_size: u32,
}

#[derive(Debug, Clone)]
pub struct Invariant {
    pub text: String,
    pub doc: Option<String>,
    pub expr: Expr,
    pub frame_size: u32,
}

/// One model, checked and lowered.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: Str,
    pub doc: Option<String>,
    pub types: Types,
    pub state_shape: Arc<Shape>,
    pub state_fields: Vec<FieldType>,
    pub initial_state: Value,
    pub commands: Vec<Handler>,
    pub events: Vec<Handler>,
    pub queries: Vec<Query>,
    pub invariants: Vec<Invariant>,
    /// The upcasts, in declared order (§12).
    pub upcasts: Vec<Upcast>,
    /// How each stored (type, schema) is read: resolved when compiled.
    pub reads: super::versions::Reads,
}

pub use super::versions::Upcast;

impl Model {
    pub fn command(&self, name: &str) -> Option<&Handler> {
        // Names made by the core share the handler's string: try the pointer first.
        self.commands
            .iter()
            .find(|c| std::ptr::eq(&*c.name, name))
            .or_else(|| self.commands.iter().find(|c| &*c.name == name))
    }

    pub fn event_index(&self, name: &str) -> Option<usize> {
        self.events
            .iter()
            .position(|e| std::ptr::eq(&*e.name, name))
            .or_else(|| self.events.iter().position(|e| &*e.name == name))
    }

    /// The shape an `emit` names: an event, or past the events an upcast
    /// (see [`Stmt::Emit`]).
    pub fn shape(&self, index: usize) -> &Handler {
        match self.events.get(index) {
            Some(h) => h,
            None => &self.upcasts[index - self.events.len()].handler,
        }
    }

    pub fn query(&self, name: &str) -> Option<&Query> {
        self.queries.iter().find(|q| &*q.name == name)
    }
}
