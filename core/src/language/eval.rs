//! The evaluator of the lowered form: expressions, command blocks (propose)
//! and event blocks (accept).
//!
//! Every expression node and every macro or loop iteration costs one step of
//! a budget, and a builtin that walks a value costs a step per item (or per
//! [`BYTES_PER_STEP`] bytes of a string) it touches, so no model can make a
//! call run long; every string, list, map and record built counts its bytes
//! against a memory budget, and one value is capped in size, so none can
//! exhaust memory.

use std::cmp::Ordering;
use std::sync::Arc;

use regex::RegexBuilder;

use super::ast::Span;
use super::calendar;
use super::ir::{
    Binary, Builtin, Expr, Macro, MacroKind, Model, Part, Place, Segment, Stmt, Unary,
};
use super::source::SourceMap;
use crate::error::Error;
use crate::limits::Limits;
use crate::value::{parse_duration, parse_timestamp, Fields, Map, Str, Value};

/// Errors are boxed inside the evaluator: they are rare, and a small
/// `Result` keeps every `eval` return cheap.
pub(crate) type Result<T> = std::result::Result<T, Box<Error>>;

/// Bytes of a string a builtin reads or writes for one step of work.
/// (Copying or comparing that many takes about as long as evaluating a node.)
const BYTES_PER_STEP: usize = 512;

/// What one item of a built list, map or record counts against
/// `max_memory`: the slot it takes.
const ITEM_BYTES: usize = std::mem::size_of::<Value>();

/// The steps of reading or writing a string of `len` bytes.
#[inline]
fn text_steps(len: usize) -> u64 {
    (len / BYTES_PER_STEP) as u64
}

/// An event as propose makes it and accept takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: Str,
    /// A record of the event's fields, in declared order.
    pub data: Value,
}

/// The running state of one evaluation.
pub(crate) struct Machine<'a> {
    pub model: &'a Model,
    pub sources: &'a SourceMap,
    pub limits: &'a Limits,
    pub state: Value,
    pub frame: smallvec::SmallVec<[Value; 8]>,
    /// The record of the running handler's params.
    pub args: Value,
    pub now: Option<crate::value::Timestamp>,
    pub meta: Value,
    pub steps: u64,
    /// Bytes built so far, against `max_memory` (nothing is subtracted when
    /// a value is dropped: the count bounds the work of allocating too).
    pub built: usize,
    pub events: Vec<Event>,
    /// The shape each of `events` was emitted as ([`Model::shape`]), kept
    /// only while upcasts run (`track_targets`): an upcast's emits may name
    /// an older shape, upcast again (§12). Commands pay nothing for it.
    pub targets: Vec<usize>,
    pub track_targets: bool,
    /// A projection's tables and their rows, while a handler runs (§13).
    pub read: Option<&'a crate::language::readside::ReadSide>,
    pub rows: Option<&'a mut (dyn crate::tables::RowStore + 'a)>,
}

/// Running projection handlers: reads and writes of tables.
#[path = "project.rs"]
mod project;

impl<'a> Machine<'a> {
    pub fn new(model: &'a Model, sources: &'a SourceMap, limits: &'a Limits, state: Value) -> Self {
        Machine {
            model,
            sources,
            limits,
            state,
            frame: smallvec::SmallVec::new(),
            args: Value::Null,
            now: None,
            meta: Value::Map(Map::new()),
            steps: 0,
            built: 0,
            events: Vec::new(),
            targets: Vec::new(),
            track_targets: false,
            read: None,
            rows: None,
        }
    }

    /// Enters a handler: its params, and room for its variables.
    pub fn enter(&mut self, args: &Value, frame_size: u32) {
        self.args = args.clone();
        self.frame.clear();
        self.frame.resize(frame_size as usize, Value::Null);
    }

    fn param(&self, index: u32) -> &Value {
        match &self.args {
            Value::Record(r) => &r.fields[index as usize],
            _ => &Value::Null,
        }
    }

    fn fault(&self, span: Span, message: impl std::fmt::Display) -> Box<Error> {
        Box::new(Error::evaluation(format!(
            "{message} (at {})",
            self.sources.locate(span)
        )))
    }

    #[inline]
    fn step(&mut self) -> Result<()> {
        self.work(1)
    }

    /// `units` steps of work: a node, or the items a builtin touches.
    #[inline]
    fn work(&mut self, units: u64) -> Result<()> {
        self.steps += units;
        if self.steps > self.limits.max_steps {
            return Err(self.out_of_steps());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn out_of_steps(&self) -> Box<Error> {
        Box::new(Error::limit(
            "max_steps",
            format!(
                "the evaluation took more than {} steps (a step is an expression, an iteration, or an item a builtin such as `keys` or `in` goes through); work on less data at once or raise the limit",
                self.limits.max_steps
            ),
        ))
    }

    /// `bytes` more built: a string, or the items of a list, map or record.
    #[inline]
    fn build(&mut self, bytes: usize) -> Result<()> {
        self.built = self.built.saturating_add(bytes);
        if self.built > self.limits.max_memory {
            return Err(self.out_of_memory());
        }
        Ok(())
    }

    /// Items of a list, map or record built.
    #[inline]
    fn build_items(&mut self, items: usize) -> Result<()> {
        self.build(items.saturating_mul(ITEM_BYTES))
    }

    #[cold]
    #[inline(never)]
    fn out_of_memory(&self) -> Box<Error> {
        Box::new(Error::limit(
            "max_memory",
            format!(
                "the evaluation built more than {} bytes of strings, lists, maps and records; build smaller values (fewer or shorter ones in a loop) or raise the limit",
                self.limits.max_memory
            ),
        ))
    }

    fn state_field(&self, index: u32) -> &Value {
        match &self.state {
            Value::Record(r) => &r.fields[index as usize],
            _ => &Value::Null,
        }
    }

    pub fn eval(&mut self, expr: &Expr) -> Result<Value> {
        self.step()?;
        Ok(match expr {
            Expr::Const(v) => v.clone(),
            Expr::Local(slot) => self.frame[*slot as usize].clone(),
            Expr::Param(index) => self.param(*index).clone(),
            Expr::StateField(index) => self.state_field(*index).clone(),
            Expr::State => self.state.clone(),
            Expr::Now => self.now.map_or(Value::Null, Value::Timestamp),
            Expr::Meta => self.meta.clone(),
            Expr::List(items) => {
                self.build_items(items.len())?;
                let mut out = imbl::Vector::new();
                for item in items {
                    out.push_back(self.eval(item)?);
                }
                Value::List(Arc::new(out))
            }
            Expr::Map(entries) => {
                self.build_items(2 * entries.len())?;
                let mut out = Map::new();
                for (k, v) in entries {
                    let Value::String(key) = self.eval(k)? else {
                        unreachable!("map keys are checked to be strings")
                    };
                    out.insert(key, self.eval(v)?);
                }
                Value::Map(out)
            }
            Expr::Record(shape, fields) => {
                self.build_items(fields.len())?;
                let mut values = Fields::with_capacity(fields.len());
                for f in fields {
                    values.push(self.eval(f)?);
                }
                Value::record(shape.clone(), values)
            }
            Expr::Interpolate(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Lit(text) => out.push_str(text),
                        Part::Expr(e) => {
                            let v = self.eval(e)?;
                            v.format_into(&mut out);
                        }
                    }
                    self.check_len(out.len())?;
                }
                self.build(out.len())?;
                self.work(text_steps(out.len()))?;
                Value::String(out.into())
            }
            Expr::Unary(op, e, span) => {
                let v = self.eval(e)?;
                match (op, v) {
                    (Unary::Not, Value::Bool(b)) => Value::Bool(!b),
                    (Unary::NegInt, Value::Int(i)) => Value::Int(
                        i.checked_neg()
                            .ok_or_else(|| self.fault(*span, format!("-({i}) overflows int")))?,
                    ),
                    (Unary::NegFloat, Value::Float(f)) => Value::Float(-f),
                    (Unary::NegDuration, Value::Duration(d)) => Value::Duration(-d),
                    (_, v) => return Err(self.mismatch(*span, &v)),
                }
            }
            Expr::Binary(Binary::InMap, l, r, span) => {
                if let (Some(Value::String(k)), Some(Value::Map(m))) = (self.read(l), self.read(r))
                {
                    return Ok(Value::Bool(m.contains_key(k)));
                }
                let key = self.eval(l)?;
                match (&key, self.read(r)) {
                    (Value::String(k), Some(Value::Map(m))) => Value::Bool(m.contains_key(k)),
                    _ => {
                        let r = self.eval(r)?;
                        self.binary(Binary::InMap, key, r, *span)?
                    }
                }
            }
            Expr::Binary(op, l, r, span) => {
                let l = self.eval(l)?;
                let r = self.eval(r)?;
                self.binary(*op, l, r, *span)?
            }
            Expr::And(l, r) => match self.eval(l)? {
                Value::Bool(false) => Value::Bool(false),
                _ => self.eval(r)?,
            },
            Expr::Or(l, r) => match self.eval(l)? {
                Value::Bool(true) => Value::Bool(true),
                _ => self.eval(r)?,
            },
            Expr::Cond(c, a, b) => match self.eval(c)? {
                Value::Bool(true) => self.eval(a)?,
                _ => self.eval(b)?,
            },
            Expr::Field(target, index) => match self.read(target) {
                Some(Value::Record(r)) => r.fields[*index as usize].clone(),
                Some(_) => Value::Null,
                None => match self.eval(target)? {
                    Value::Record(r) => r.fields[*index as usize].clone(),
                    // Only a checked optional chain reaches here with null.
                    _ => Value::Null,
                },
            },
            Expr::MapGet(target, key, span) => {
                if let Some(v) = self.read(expr) {
                    return Ok(v.clone());
                }
                let k = self.eval(key)?;
                if let (Some(Value::Map(m)), Value::String(k)) = (self.read(target), &k) {
                    if let Some(v) = m.get(k) {
                        return Ok(v.clone());
                    }
                }
                let m = self.eval(target)?;
                match (&m, &k) {
                    (Value::Map(m), Value::String(k)) => match m.get(k) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(self.fault(
                                *span,
                                format!(
                                    "no key {} in the map; test with `in` first or use `.get(key, default)`",
                                    quote(k)
                                ),
                            ))
                        }
                    },
                    _ => return Err(self.mismatch(*span, &m)),
                }
            }
            Expr::ListIndex(target, index, span) => {
                let l = self.eval(target)?;
                let i = self.eval(index)?;
                match (&l, &i) {
                    (Value::List(l), Value::Int(i)) => {
                        match usize::try_from(*i).ok().and_then(|i| l.get(i)) {
                            Some(v) => v.clone(),
                            None => {
                                return Err(self.fault(
                                    *span,
                                    format!(
                                        "index {i} is out of range for a list of {} items",
                                        l.len()
                                    ),
                                ))
                            }
                        }
                    }
                    _ => return Err(self.mismatch(*span, &l)),
                }
            }
            Expr::Call(builtin, args, span) => {
                let mut values: smallvec::SmallVec<[Value; 3]> = smallvec::SmallVec::new();
                for a in args {
                    values.push(self.eval(a)?);
                }
                self.call(builtin, values, *span)?
            }
            Expr::Macro(m) => self.run_macro(m)?,
            Expr::Table(t) => self.table_read(t)?,
        })
    }

    /// A value that is already stored (a variable, the state, a field of
    /// them), read by reference so that reading a field or a map entry does
    /// not clone the record or map around it.
    fn read<'s>(&'s self, e: &'s Expr) -> Option<&'s Value> {
        match e {
            Expr::Local(slot) => self.frame.get(*slot as usize),
            Expr::Param(index) => Some(self.param(*index)),
            Expr::StateField(index) => Some(self.state_field(*index)),
            Expr::State => Some(&self.state),
            Expr::Const(v) => Some(v),
            Expr::Field(target, index) => match self.read(target)? {
                Value::Record(r) => r.fields.get(*index as usize),
                _ => None,
            },
            Expr::MapGet(target, key, _) => {
                let Value::Map(m) = self.read(target)? else {
                    return None;
                };
                m.get(self.read(key)?.as_str()?)
            }
            _ => None,
        }
    }

    /// Evaluates a body that only reads (fields, constants, comparisons,
    /// logic) with `item` standing in slot `vs`, by reference: a scan over a
    /// large map then touches no reference count, which would otherwise
    /// write to every record it passes. `None`: not such a body, or it would
    /// fail; the caller evaluates it the ordinary way.
    fn peek(&self, e: &Expr, vs: u32, item: &Value) -> Option<Value> {
        Some(match e {
            Expr::Const(v) => v.clone(),
            Expr::Unary(Unary::Not, x, _) => match self.peek(x, vs, item)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => return None,
            },
            Expr::And(a, b) => match self.peek(a, vs, item)? {
                Value::Bool(false) => Value::Bool(false),
                Value::Bool(true) => self.peek(b, vs, item)?,
                _ => return None,
            },
            Expr::Or(a, b) => match self.peek(a, vs, item)? {
                Value::Bool(true) => Value::Bool(true),
                Value::Bool(false) => self.peek(b, vs, item)?,
                _ => return None,
            },
            Expr::Binary(
                op @ (Binary::Eq | Binary::Ne | Binary::Lt | Binary::Le | Binary::Gt | Binary::Ge),
                a,
                b,
                _,
            ) => {
                let (a, b) = (self.peek_ref(a, vs, item)?, self.peek_ref(b, vs, item)?);
                if costly(a) || costly(b) {
                    // Comparing them is work to count: the ordinary way.
                    return None;
                }
                Value::Bool(match op {
                    Binary::Eq => a == b,
                    Binary::Ne => a != b,
                    _ => {
                        let ord = self.order(a, b, Span::default()).ok()?;
                        match op {
                            Binary::Lt => ord.is_some_and(Ordering::is_lt),
                            Binary::Le => ord.is_some_and(Ordering::is_le),
                            Binary::Gt => ord.is_some_and(Ordering::is_gt),
                            _ => ord.is_some_and(Ordering::is_ge),
                        }
                    }
                })
            }
            other => match self.peek_ref(other, vs, item)? {
                v @ (Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null) => v.clone(),
                _ => return None,
            },
        })
    }

    fn peek_ref<'s>(&'s self, e: &'s Expr, vs: u32, item: &'s Value) -> Option<&'s Value> {
        match e {
            Expr::Local(slot) if *slot == vs => Some(item),
            Expr::Field(target, index) => match self.peek_ref(target, vs, item)? {
                Value::Record(r) => r.fields.get(*index as usize),
                _ => None,
            },
            // Not through `read`: slot `vs` is not bound while peeking, so
            // `m2[m[k]]` would read the previous key's value there.
            Expr::MapGet(target, key, _) => {
                let Value::Map(m) = self.peek_ref(target, vs, item)? else {
                    return None;
                };
                m.get(self.peek_ref(key, vs, item)?.as_str()?)
            }
            other => self.read(other),
        }
    }

    fn mismatch(&self, span: Span, v: &Value) -> Box<Error> {
        Box::new(Error::Internal {
            message: format!(
                "a checked expression produced an unexpected {} (at {})",
                kind(v),
                self.sources.locate(span)
            ),
        })
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len > self.limits.max_value_size {
            return Err(Box::new(Error::limit(
                "max_value_size",
                format!(
                    "a string or list grew past {} bytes or items",
                    self.limits.max_value_size
                ),
            )));
        }
        Ok(())
    }

    fn finite(&self, f: f64, span: Span, what: &str) -> Result<Value> {
        if f.is_finite() {
            Ok(Value::Float(f))
        } else {
            Err(self.fault(span, format!("{what} is not a finite float")))
        }
    }

    fn binary(&mut self, op: Binary, l: Value, r: Value, span: Span) -> Result<Value> {
        use Value::{Bool, Float, Int};
        let overflow = |this: &Self, sym: &str, a: i64, b: i64| {
            this.fault(span, format!("{a} {sym} {b} overflows int"))
        };
        Ok(match (op, l, r) {
            (Binary::AddInt, Int(a), Int(b)) => {
                Int(a.checked_add(b).ok_or_else(|| overflow(self, "+", a, b))?)
            }
            (Binary::SubInt, Int(a), Int(b)) => {
                Int(a.checked_sub(b).ok_or_else(|| overflow(self, "-", a, b))?)
            }
            (Binary::MulInt, Int(a), Int(b)) => {
                Int(a.checked_mul(b).ok_or_else(|| overflow(self, "*", a, b))?)
            }
            (Binary::DivInt | Binary::RemInt, Int(_), Int(0)) => {
                return Err(self.fault(span, "division by zero"))
            }
            (Binary::DivInt, Int(a), Int(b)) => {
                Int(a.checked_div(b).ok_or_else(|| overflow(self, "/", a, b))?)
            }
            (Binary::RemInt, Int(a), Int(b)) => {
                Int(a.checked_rem(b).ok_or_else(|| overflow(self, "%", a, b))?)
            }
            (Binary::AddFloat, Float(a), Float(b)) => self.finite(a + b, span, "the sum")?,
            (Binary::SubFloat, Float(a), Float(b)) => self.finite(a - b, span, "the difference")?,
            (Binary::MulFloat, Float(a), Float(b)) => self.finite(a * b, span, "the product")?,
            (Binary::DivFloat, Float(a), Float(b)) => {
                if b == 0.0 {
                    return Err(self.fault(span, "division by zero"));
                }
                self.finite(a / b, span, "the quotient")?
            }
            (Binary::AddStr, Value::String(a), Value::String(b)) => {
                self.check_len(a.len() + b.len())?;
                self.build(a.len() + b.len())?;
                self.work(text_steps(a.len() + b.len()))?;
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                Value::String(s.into())
            }
            (Binary::AddList, Value::List(a), Value::List(b)) => {
                self.check_len(a.len() + b.len())?;
                // The left list is shared, not copied: only the right is new.
                self.build_items(b.len())?;
                self.work(b.len() as u64)?;
                let mut a = a;
                Arc::make_mut(&mut a).append((*b).clone());
                Value::List(a)
            }
            (Binary::Eq, a, b) => {
                self.compare_work(&a, &b)?;
                Bool(a == b)
            }
            (Binary::Ne, a, b) => {
                self.compare_work(&a, &b)?;
                Bool(a != b)
            }
            (Binary::Lt | Binary::Le | Binary::Gt | Binary::Ge, a, b) => {
                self.compare_work(&a, &b)?;
                let ord = self.order(&a, &b, span)?;
                Bool(ord.is_some_and(|o| match op {
                    Binary::Lt => o.is_lt(),
                    Binary::Le => o.is_le(),
                    Binary::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }))
            }
            (Binary::InList, x, Value::List(l)) => {
                self.work(l.len() as u64)?;
                if !matches!(
                    x,
                    Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null
                ) {
                    // Each item may be compared with a big value.
                    self.work(l.len() as u64 * weight(&x, self.limits.max_steps))?;
                }
                Bool(l.iter().any(|item| *item == x))
            }
            (Binary::InMap, Value::String(k), Value::Map(m)) => Bool(m.contains_key(&k)),
            (Binary::AddTimestampDuration, Value::Timestamp(t), Value::Duration(d))
            | (Binary::AddDurationTimestamp, Value::Duration(d), Value::Timestamp(t)) => {
                Value::Timestamp(calendar::add(t, d).map_err(|m| self.fault(span, m))?)
            }
            (Binary::SubTimestampDuration, Value::Timestamp(t), Value::Duration(d)) => {
                Value::Timestamp(calendar::sub(t, d).map_err(|m| self.fault(span, m))?)
            }
            (Binary::SubTimestamps, Value::Timestamp(a), Value::Timestamp(b)) => {
                Value::Duration(calendar::between(a, b).map_err(|m| self.fault(span, m))?)
            }
            (Binary::AddDurations, Value::Duration(a), Value::Duration(b)) => {
                Value::Duration(calendar::add_durations(a, b).map_err(|m| self.fault(span, m))?)
            }
            (Binary::SubDurations, Value::Duration(a), Value::Duration(b)) => {
                Value::Duration(calendar::sub_durations(a, b).map_err(|m| self.fault(span, m))?)
            }
            (_, l, _) => return Err(self.mismatch(span, &l)),
        })
    }

    /// The work of comparing two values for equality: nothing for scalars,
    /// the smaller one's size for strings, lists, maps and records (a
    /// comparison stops at the shorter).
    #[inline]
    fn compare_work(&mut self, a: &Value, b: &Value) -> Result<()> {
        use Value::{List, Map, Record, String};
        if matches!(a, String(_) | List(_) | Map(_) | Record(_))
            && matches!(b, String(_) | List(_) | Map(_) | Record(_))
        {
            let cap = self.limits.max_steps;
            let w = weight(a, cap).min(weight(b, cap));
            self.work(w)?;
        }
        Ok(())
    }

    /// The order of two values; floats by IEEE 754, as CEL does: `-0.0` and
    /// `0.0` are equal, and NaN (which no value holds, but a float compare
    /// must not assume it) is unordered, so every ordering with it is false.
    fn order(&self, a: &Value, b: &Value, span: Span) -> Result<Option<Ordering>> {
        Ok(Some(match (a, b) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => return Ok(a.partial_cmp(b)),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Null, _) | (_, Value::Null) => {
                return Err(self.fault(
                    span,
                    "cannot order null; unwrap it with `.orValue(default)`",
                ))
            }
            _ => return Err(self.mismatch(span, a)),
        }))
    }

    fn call(
        &mut self,
        builtin: &Builtin,
        mut args: smallvec::SmallVec<[Value; 3]>,
        span: Span,
    ) -> Result<Value> {
        let arg =
            |args: &mut smallvec::SmallVec<[Value; 3]>, i: usize| std::mem::take(&mut args[i]);
        let text = |v: &Value| -> Str {
            match v {
                Value::String(s) => s.clone(),
                _ => Str::from(""),
            }
        };
        // The work of the builtins that walk their argument; `size` of a
        // list or map is a step, `keys` of a map a step per key.
        match (builtin, args.first()) {
            (
                Builtin::Size
                | Builtin::Int
                | Builtin::Float
                | Builtin::Timestamp
                | Builtin::Duration
                | Builtin::Contains
                | Builtin::StartsWith
                | Builtin::EndsWith
                | Builtin::LowerAscii
                | Builtin::UpperAscii
                | Builtin::Trim
                | Builtin::Matches(_),
                Some(Value::String(s)),
            ) => {
                let pattern = match (builtin, args.get(1)) {
                    (Builtin::Matches(None), Some(Value::String(p))) => p.len() * 16,
                    _ => 0,
                };
                self.work(text_steps(s.len() + pattern))?;
            }
            (Builtin::Keys | Builtin::Values, Some(Value::Map(m))) => {
                self.work(m.len() as u64)?;
                self.build_items(m.len())?;
            }
            (
                Builtin::SumInt
                | Builtin::SumFloat
                | Builtin::SumDuration
                | Builtin::Min
                | Builtin::Max,
                Some(Value::List(l)),
            ) => self.work(l.len() as u64)?,
            (Builtin::String, Some(v @ (Value::List(_) | Value::Map(_) | Value::Record(_)))) => {
                let w = weight(v, self.limits.max_steps);
                self.work(w)?;
            }
            _ => {}
        }
        let out = match builtin {
            Builtin::Size => match &args[0] {
                Value::String(s) => Value::Int(s.chars().count() as i64),
                Value::List(l) => Value::Int(l.len() as i64),
                Value::Map(m) => Value::Int(m.len() as i64),
                v => return Err(self.mismatch(span, v)),
            },
            Builtin::Int => match arg(&mut args, 0) {
                Value::Int(i) => Value::Int(i),
                Value::Float(f) => {
                    let t = f.trunc();
                    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
                        Value::Int(t as i64)
                    } else {
                        return Err(self.fault(
                            span,
                            format!(
                                "{} is out of the range of int",
                                crate::value::format_float(f)
                            ),
                        ));
                    }
                }
                Value::String(s) => Value::Int(parse_int(&s).ok_or_else(|| {
                    self.fault(
                        span,
                        format!(
                            "{} is not an int: write an optional sign and decimal digits",
                            quote(&s)
                        ),
                    )
                })?),
                Value::Timestamp(t) => Value::Int(t.as_second()),
                Value::Duration(d) => Value::Int(d.whole_seconds()),
                v => return Err(self.mismatch(span, &v)),
            },
            Builtin::Float => match arg(&mut args, 0) {
                Value::Float(f) => Value::Float(f),
                Value::Int(i) => Value::Float(i as f64),
                Value::String(s) => match parse_float(&s) {
                    Some(f) => self.finite(f, span, "the number")?,
                    None => {
                        return Err(
                            self.fault(span, format!("{} is not a float literal", quote(&s)))
                        )
                    }
                },
                v => return Err(self.mismatch(span, &v)),
            },
            Builtin::String => match arg(&mut args, 0) {
                Value::String(s) => Value::String(s),
                v => Value::String(v.format().unwrap_or_default().into()),
            },
            Builtin::Timestamp => match arg(&mut args, 0) {
                Value::Timestamp(t) => Value::Timestamp(t),
                Value::String(s) => {
                    Value::Timestamp(parse_timestamp(&s).map_err(|m| self.fault(span, m))?)
                }
                v => return Err(self.mismatch(span, &v)),
            },
            Builtin::Duration => match arg(&mut args, 0) {
                Value::Duration(d) => Value::Duration(d),
                Value::String(s) => {
                    Value::Duration(parse_duration(&s).map_err(|m| self.fault(span, m))?)
                }
                v => return Err(self.mismatch(span, &v)),
            },
            Builtin::SumDuration => {
                let Value::List(l) = &args[0] else {
                    return Err(self.mismatch(span, &args[0]));
                };
                let mut total = crate::value::Duration::ZERO;
                for v in l.iter() {
                    if let Value::Duration(d) = v {
                        total = total.checked_add(*d).ok_or_else(|| {
                            self.fault(span, "the sum is out of the range of a duration")
                        })?;
                    }
                }
                Value::Duration(total)
            }
            Builtin::TimestampPart(part) => match (&args[0], args.get(1)) {
                (Value::Timestamp(t), zone) => {
                    let zone = match zone {
                        Some(Value::String(z)) => Some(&**z),
                        _ => None,
                    };
                    Value::Int(
                        calendar::timestamp_part(*t, *part, zone)
                            .map_err(|m| self.fault(span, m))?,
                    )
                }
                (v, _) => return Err(self.mismatch(span, v)),
            },
            Builtin::DurationPart(part) => match &args[0] {
                Value::Duration(d) => Value::Int(calendar::duration_part(*d, *part)),
                v => return Err(self.mismatch(span, v)),
            },
            Builtin::Keys => match &args[0] {
                Value::Map(m) => Value::list(m.keys().map(|k| Value::String(k.clone()))),
                v => return Err(self.mismatch(span, v)),
            },
            Builtin::Values => match &args[0] {
                Value::Map(m) => Value::list(m.values().cloned()),
                v => return Err(self.mismatch(span, v)),
            },
            Builtin::SumInt => {
                let Value::List(l) = &args[0] else {
                    return Err(self.mismatch(span, &args[0]));
                };
                let mut total: i64 = 0;
                for v in l.iter() {
                    if let Value::Int(i) = v {
                        total = total
                            .checked_add(*i)
                            .ok_or_else(|| self.fault(span, "the sum overflows int"))?;
                    }
                }
                Value::Int(total)
            }
            Builtin::SumFloat => {
                let Value::List(l) = &args[0] else {
                    return Err(self.mismatch(span, &args[0]));
                };
                // From `0.0`, as §6 says for an empty list: `Iterator::sum`
                // starts from `-0.0`, which would print as `-0.0`.
                let total: f64 = l
                    .iter()
                    .map(|v| if let Value::Float(f) = v { *f } else { 0.0 })
                    .fold(0.0, |a, b| a + b);
                self.finite(total, span, "the sum")?
            }
            Builtin::Min | Builtin::Max => {
                let Value::List(l) = &args[0] else {
                    return Err(self.mismatch(span, &args[0]));
                };
                let mut best: Option<&Value> = None;
                for v in l.iter() {
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let ord = self.order(v, b, span)?;
                            // The first of equal items (`0.0`, `-0.0`) wins.
                            let better = if matches!(builtin, Builtin::Min) {
                                ord.is_some_and(Ordering::is_lt)
                            } else {
                                ord.is_some_and(Ordering::is_gt)
                            };
                            if better {
                                v
                            } else {
                                b
                            }
                        }
                    });
                }
                match best {
                    Some(v) => v.clone(),
                    None => {
                        let name = if matches!(builtin, Builtin::Min) {
                            "min"
                        } else {
                            "max"
                        };
                        return Err(self.fault(span, format!("{name}() of an empty list")));
                    }
                }
            }
            Builtin::Contains => Value::Bool(text(&args[0]).contains(&*text(&args[1]))),
            Builtin::StartsWith => Value::Bool(text(&args[0]).starts_with(&*text(&args[1]))),
            Builtin::EndsWith => Value::Bool(text(&args[0]).ends_with(&*text(&args[1]))),
            Builtin::LowerAscii => Value::String(text(&args[0]).to_ascii_lowercase().into()),
            Builtin::UpperAscii => Value::String(text(&args[0]).to_ascii_uppercase().into()),
            Builtin::Trim => {
                let s = text(&args[0]);
                let t = s.trim();
                if t.len() == s.len() {
                    Value::String(s)
                } else {
                    Value::String(t.into())
                }
            }
            Builtin::Matches(compiled) => {
                let subject = text(&args[0]);
                let matched = match compiled {
                    Some(re) => re.is_match(&subject),
                    None => {
                        let pattern = text(&args[1]);
                        let re = RegexBuilder::new(&pattern)
                            .size_limit(1 << 20)
                            .build()
                            .map_err(|e| {
                                self.fault(span, format!("invalid regular expression: {e}"))
                            })?;
                        re.is_match(&subject)
                    }
                };
                Value::Bool(matched)
            }
            Builtin::OrValue => match arg(&mut args, 0) {
                Value::Null => arg(&mut args, 1),
                v => v,
            },
            Builtin::GetOr => match (&args[0], &args[1]) {
                (Value::Map(m), Value::String(k)) => match m.get(k) {
                    Some(v) => v.clone(),
                    None => arg(&mut args, 2),
                },
                (v, _) => return Err(self.mismatch(span, v)),
            },
        };
        // The strings the builtins build (`string`, `lowerAscii`, ...).
        if let (
            Builtin::String | Builtin::LowerAscii | Builtin::UpperAscii | Builtin::Trim,
            Value::String(s),
        ) = (builtin, &out)
        {
            self.check_len(s.len())?;
            self.build(s.len())?;
        }
        Ok(out)
    }

    fn run_macro(&mut self, m: &Macro) -> Result<Value> {
        let target = self.eval(&m.target)?;
        let mut out = imbl::Vector::new();
        let mut count = 0usize;
        // One step of the macro: `Some(result)` when it is decided early.
        // `item` makes the item; it is only bound when the body reads it.
        let mut visit = |this: &mut Self,
                         item: &dyn Fn() -> Value,
                         value: Option<&Value>|
         -> Result<Option<Value>> {
            this.step()?;
            let slot = m.slot as usize;
            if m.bind_item {
                this.frame[slot] = item();
            }
            let peeked = match (m.value_slot, value) {
                (Some(vs), Some(v)) => this.peek(&m.body, vs, v),
                _ => None,
            };
            let v = match peeked {
                Some(v) => v,
                None => {
                    if let (Some(vs), Some(v)) = (m.value_slot, value) {
                        this.frame[vs as usize] = v.clone();
                    }
                    this.eval(&m.body)?
                }
            };
            match m.kind {
                MacroKind::All if v == Value::Bool(false) => return Ok(Some(v)),
                MacroKind::Exists if v == Value::Bool(true) => return Ok(Some(v)),
                MacroKind::ExistsOne if v == Value::Bool(true) => count += 1,
                MacroKind::Map => {
                    this.build_items(1)?;
                    out.push_back(v)
                }
                MacroKind::Filter if v == Value::Bool(true) => {
                    this.build_items(1)?;
                    out.push_back(if m.bind_item {
                        std::mem::take(&mut this.frame[slot])
                    } else {
                        item()
                    })
                }
                _ => {}
            }
            Ok(None)
        };
        match (&target, m.over_map) {
            (Value::List(l), false) => {
                for item in l.iter() {
                    if let Some(done) = visit(self, &|| item.clone(), None)? {
                        return Ok(done);
                    }
                }
            }
            (Value::Map(map), true) => {
                for (k, v) in map.iter() {
                    if let Some(done) = visit(self, &|| Value::String(k.clone()), Some(v))? {
                        return Ok(done);
                    }
                }
            }
            _ => return Err(self.mismatch(m.span, &target)),
        }
        Ok(match m.kind {
            MacroKind::All => Value::Bool(true),
            MacroKind::Exists => Value::Bool(false),
            MacroKind::ExistsOne => Value::Bool(count == 1),
            MacroKind::Map | MacroKind::Filter => Value::List(Arc::new(out)),
        })
    }

    /// Runs a block. `Err(Rejected)` stops a command.
    pub fn run(&mut self, stmts: &[Stmt]) -> Result<()> {
        for stmt in stmts {
            self.step()?;
            match stmt {
                Stmt::Let(slot, e) => {
                    let v = self.eval(e)?;
                    self.frame[*slot as usize] = v;
                }
                Stmt::Reject {
                    reason,
                    message,
                    unless,
                    cond,
                } => {
                    let fired = self.eval(cond)? == Value::Bool(!unless);
                    if fired {
                        let message = match self.eval(message)? {
                            Value::String(s) => s.to_string(),
                            _ => String::new(),
                        };
                        return Err(Box::new(Error::Rejected {
                            reason: reason.as_ref().map(|r| r.to_string()),
                            message,
                        }));
                    }
                }
                Stmt::Emit {
                    event,
                    fields,
                    span,
                } => {
                    if self.events.len() >= self.limits.max_events {
                        return Err(Box::new(Error::limit(
                            "max_events",
                            format!(
                                "a command emitted more than {} events (at {})",
                                self.limits.max_events,
                                self.sources.locate(*span)
                            ),
                        )));
                    }
                    let handler = self.model.shape(*event);
                    let mut values = Fields::with_capacity(fields.len());
                    for f in fields {
                        values.push(self.eval(f)?);
                    }
                    self.events.push(Event {
                        name: handler.name.clone(),
                        data: Value::record(handler.shape.clone(), values),
                    });
                    if self.track_targets {
                        self.targets.push(*event);
                    }
                }
                Stmt::Set { place, value } => {
                    let v = self.eval(value)?;
                    self.write(place, Some(v))?;
                }
                Stmt::Remove { place } => self.write(place, None)?,
                Stmt::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = false;
                    for (cond, body) in branches {
                        if self.eval(cond)? == Value::Bool(true) {
                            self.run(body)?;
                            taken = true;
                            break;
                        }
                    }
                    if !taken {
                        self.run(otherwise)?;
                    }
                }
                Stmt::For {
                    slot,
                    over_map,
                    iter,
                    body,
                    span,
                } => {
                    let target = self.eval(iter)?;
                    if let Value::List(l) = &target {
                        self.build_items(l.len())?;
                    } else if let Value::Map(m) = &target {
                        self.build_items(m.len())?;
                    }
                    let items: Vec<Value> = match (target, over_map) {
                        (Value::List(l), false) => l.iter().cloned().collect(),
                        (Value::Map(m), true) => {
                            m.keys().map(|k| Value::String(k.clone())).collect()
                        }
                        (v, _) => return Err(self.mismatch(*span, &v)),
                    };
                    for item in items {
                        self.step()?;
                        self.frame[*slot as usize] = item;
                        self.run(body)?;
                    }
                }
                Stmt::Table(w) => self.table_write(w)?,
            }
        }
        Ok(())
    }

    /// `set` (with a value) or `remove` (without) at a place of the state.
    fn write(&mut self, place: &Place, value: Option<Value>) -> Result<()> {
        // Evaluate every key and index first: they read the state as it is.
        let mut keys: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::new();
        for seg in &place.segments {
            keys.push(match seg {
                Segment::Field(i) => Value::Int(*i as i64),
                Segment::Key(e) | Segment::Index(e) => self.eval(e)?,
            });
        }
        let span = place.span;
        let sources = self.sources;
        let fault = |message: String| {
            Box::new(Error::evaluation(format!(
                "{message} (at {})",
                sources.locate(span)
            )))
        };
        let Value::Record(state) = &mut self.state else {
            return Err(fault("the model has no state".into()));
        };
        let mut slot = &mut Arc::make_mut(state).fields[place.field as usize];
        let last = place.segments.len();
        for (i, (seg, key)) in place.segments.iter().zip(keys).enumerate() {
            let is_last = i + 1 == last;
            match (seg, slot, key) {
                (Segment::Field(f), Value::Record(r), _) => {
                    slot = &mut Arc::make_mut(r).fields[*f as usize];
                }
                (Segment::Key(_), Value::Map(m), Value::String(k)) => {
                    if is_last {
                        match value {
                            Some(v) => {
                                m.insert(k, v);
                            }
                            None => {
                                m.remove(&k);
                            }
                        }
                        return Ok(());
                    }
                    slot = m.get_mut(&k).ok_or_else(|| {
                        fault(format!(
                            "no key {} in the map to write into; create the entry first",
                            quote(&k)
                        ))
                    })?;
                }
                (Segment::Index(_), Value::List(l), Value::Int(index)) => {
                    let l = Arc::make_mut(l);
                    let len = l.len();
                    let Some(i) = usize::try_from(index).ok().filter(|i| *i < len) else {
                        return Err(fault(format!(
                            "index {index} is out of range for a list of {len} items"
                        )));
                    };
                    if is_last {
                        match value {
                            Some(v) => l[i] = v,
                            None => {
                                l.remove(i);
                            }
                        }
                        return Ok(());
                    }
                    slot = &mut l[i];
                }
                (_, Value::Null, _) => {
                    return Err(fault("cannot write into null".into()));
                }
                _ => {
                    return Err(Box::new(Error::Internal {
                        message: format!(
                            "a checked place does not fit the state (at {})",
                            sources.locate(span)
                        ),
                    }))
                }
            }
        }
        match value {
            Some(v) => *slot = v,
            None => {
                return Err(fault(
                    "only a map entry or a list item can be removed".into(),
                ))
            }
        }
        Ok(())
    }
}

/// The work of walking a value: a step per item of a list, entry of a map
/// or field of a record, and per [`BYTES_PER_STEP`] bytes of a string,
/// nested ones included. It stops counting at `cap`, so that weighing a
/// value is never more work than the budget it is weighed against.
fn weight(v: &Value, cap: u64) -> u64 {
    fn walk(v: &Value, total: &mut u64, cap: u64) {
        if *total >= cap {
            return;
        }
        match v {
            Value::String(s) => *total += text_steps(s.len()),
            Value::List(l) => {
                *total += l.len() as u64;
                for item in l.iter() {
                    if *total >= cap {
                        return;
                    }
                    if !is_scalar(item) {
                        walk(item, total, cap);
                    }
                }
            }
            Value::Map(m) => {
                *total += m.len() as u64;
                for (k, item) in m.iter() {
                    if *total >= cap {
                        return;
                    }
                    *total += text_steps(k.len());
                    if !is_scalar(item) {
                        walk(item, total, cap);
                    }
                }
            }
            Value::Record(r) => {
                *total += r.fields.len() as u64;
                for item in r.fields.iter() {
                    if !is_scalar(item) {
                        walk(item, total, cap);
                    }
                }
            }
            _ => {}
        }
    }
    let mut total = 0;
    walk(v, &mut total, cap);
    total.min(cap)
}

/// A value whose comparison is more than a step of work.
fn costly(v: &Value) -> bool {
    match v {
        Value::String(s) => s.len() > BYTES_PER_STEP,
        Value::List(_) | Value::Map(_) | Value::Record(_) => true,
        _ => false,
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
            | Value::Enum(_)
    )
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "string",
        Value::Timestamp(_) => "timestamp",
        Value::Duration(_) => "duration",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Record(_) => "record",
        Value::Enum(_) => "enum",
    }
}

fn quote(s: &str) -> String {
    let short: String = s.chars().take(64).collect();
    serde_json::to_string(&short).unwrap_or_default()
}

/// `int(s)`: an optional sign and decimal digits, nothing else.
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `float(s)`: a float literal as the language writes it, with an optional
/// sign (no `inf`, no `NaN`).
fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_counts_nested_items_and_stops_at_the_cap() {
        let inner = Value::list((0..10).map(Value::Int));
        let outer = Value::list((0..100).map(|_| inner.clone()));
        // 100 items, each a list of 10.
        assert_eq!(weight(&outer, u64::MAX), 100 + 100 * 10);
        assert_eq!(weight(&outer, 50), 50);
        assert_eq!(weight(&Value::str(&"x".repeat(5 * BYTES_PER_STEP)), 100), 5);
        assert_eq!(weight(&Value::Int(7), 100), 0);
    }

    #[test]
    fn int_parsing_takes_a_sign_and_digits_only() {
        assert_eq!(parse_int("-42"), Some(-42));
        assert_eq!(parse_int("+7"), Some(7));
        for bad in ["", "-", "1.0", " 1", "1e3", "0x10", "99999999999999999999"] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn float_parsing_takes_literals_only() {
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("-2e3"), Some(-2000.0));
        assert_eq!(parse_float("7"), Some(7.0));
        for bad in ["inf", "NaN", "", ".", "1e", "e5", "1.5x", "infinity"] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
    }
}
