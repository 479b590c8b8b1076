//! The lowered form of the read side (MODEL-LANGUAGE.md §13): tables,
//! projections and their handlers, and the two IR nodes that read and
//! write rows.

use std::sync::Arc;

use super::ast::{ProjectionMode, Span};
use super::ir::{Expr, Stmt};
use crate::types::{FieldType, Types};
use crate::value::{Shape, Str};

/// The tables and projections of a domain, checked and lowered.
#[derive(Debug, Clone)]
pub struct ReadSide {
    /// Every record and enum of every model, copied, plus each table's row
    /// record: the types of the tables' columns live here.
    pub types: Types,
    pub tables: Vec<Table>,
    pub projections: Vec<Projection>,
    /// The records a handler sees as `stream` and `event`.
    pub stream_shape: Arc<Shape>,
    pub event_shape: Arc<Shape>,
}

impl Default for ReadSide {
    fn default() -> Self {
        let empty = || {
            Arc::new(Shape {
                name: "".into(),
                fields: Vec::new(),
            })
        };
        ReadSide {
            types: Types::default(),
            tables: Vec::new(),
            projections: Vec::new(),
            stream_shape: empty(),
            event_shape: empty(),
        }
    }
}

impl ReadSide {
    pub fn projection(&self, name: &str) -> Option<&Projection> {
        self.projections.iter().find(|p| &*p.name == name)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| &*t.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: Str,
    pub doc: Option<String>,
    /// Its place in [`ReadSide::tables`]: how a row store finds it.
    pub index: u32,
    /// In declared order; types index [`ReadSide::types`].
    pub columns: Vec<FieldType>,
    /// Each column's type as `describe` writes it (`Board.Priority`).
    pub column_types: Vec<String>,
    /// The key columns, by index into `columns`, in declared order.
    pub key: Vec<u32>,
    /// The shape of a row: one field per column.
    pub shape: Arc<Shape>,
    /// The row record in [`ReadSide::types`].
    pub row: usize,
    /// The projection that writes it (none only in a domain that did not
    /// compile).
    pub writer: Option<Str>,
    pub span: Span,
}

impl Table {
    pub fn is_key(&self, column: usize) -> bool {
        self.key.contains(&(column as u32))
    }
}

#[derive(Debug, Clone)]
pub struct Projection {
    pub name: Str,
    pub doc: Option<String>,
    pub mode: ProjectionMode,
    pub handlers: Vec<ProjectionHandler>,
    /// The tables it writes, by index, in the domain's declared order.
    pub writes: Vec<u32>,
    /// Over its own text and its tables' declarations (`fingerprint.rs`).
    pub fingerprint: String,
}

impl Projection {
    pub fn handler(&self, model: usize, event: &str) -> Option<&ProjectionHandler> {
        self.handlers
            .iter()
            .find(|h| h.model == model && &*h.event == event)
    }
}

#[derive(Debug, Clone)]
pub struct ProjectionHandler {
    /// The model, by index in the domain, and the event's name.
    pub model: usize,
    pub model_name: Str,
    pub event: Str,
    pub body: Vec<Stmt>,
    pub frame_size: u32,
    /// The frame slots that hold `stream` and `event`.
    pub stream_slot: u32,
    pub event_slot: u32,
}

/// `t.has(k...)`, `t.get(k...)` and `t.get(k...).c`.
#[derive(Debug, Clone)]
pub struct TableRead {
    pub table: u32,
    pub keys: Vec<Expr>,
    pub op: ReadOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOp {
    Has,
    Get,
    /// One column of the row, by index; `null` without a row.
    Column(u32),
}

/// `insert`, `upsert`, `update` and `delete`.
#[derive(Debug, Clone)]
pub struct TableWrite {
    pub table: u32,
    pub op: WriteOp,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Every column, in declared order (left-out ones are constants).
    Insert {
        row: Vec<Expr>,
        upsert: bool,
    },
    /// The first `keys.len()` key columns; each named column and its value;
    /// the frame slot that holds `row` while a value is evaluated, and
    /// whether any value reads it (if none does, a whole key's row is
    /// changed in place, without being read first).
    Update {
        keys: Vec<Expr>,
        set: Vec<(u32, Expr)>,
        row_slot: u32,
        reads_row: bool,
    },
    Delete {
        keys: Vec<Expr>,
    },
}
