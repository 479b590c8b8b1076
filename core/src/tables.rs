//! Where a projection's rows live while it folds events (MODEL-LANGUAGE.md
//! §13).
//!
//! The evaluator reads and writes rows only through [`RowStore`], so the
//! same handlers run over the in-memory [`MemoryRows`] of `project` and,
//! in the engine, over real SQL tables. A row is a record of the table's
//! columns in declared order; a key is the values of the key columns in
//! declared order.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::language::readside::Table;
use crate::value::{Fields, Timestamp, Value};

/// A key in memory: its values encoded so that byte order is key order
/// (§13), and a prefix of whole leading columns is a byte prefix:
/// - bools one byte, `false` first;
/// - ints 8 bytes big-endian with the sign bit flipped;
/// - strings and enum members their UTF-8 (whose byte order is code point
///   order), each 0 byte escaped as `0 FF` and the end marked `0 0`;
/// - timestamps, truncated to the microsecond, the second as an int and
///   the nanosecond 4 bytes big-endian.
///
/// One compare is one `memcmp`, over bytes held in the map's own node when
/// the key is short: a big table's lookups chase no pointers per column.
pub(crate) type Key = smallvec::SmallVec<[u8; 24]>;

/// Appends the encoding of one key value to `out`.
fn encode_key_part(v: &Value, out: &mut Key) -> Result<()> {
    match v {
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int(i) => out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes()),
        Value::String(s) | Value::Enum(s) => {
            for &b in s.as_bytes() {
                out.push(b);
                if b == 0 {
                    out.push(0xFF);
                }
            }
            out.extend_from_slice(&[0, 0]);
        }
        Value::Timestamp(t) => {
            let t = truncate_time(*t);
            out.extend_from_slice(&((t.as_second() as u64) ^ (1 << 63)).to_be_bytes());
            out.extend_from_slice(&t.subsec_nanosecond().to_be_bytes());
        }
        other => {
            return Err(Error::evaluation(format!(
                "a key value must be a string, int, bool, timestamp or enum member, not {}",
                other.to_json_string()
            )))
        }
    }
    Ok(())
}

/// The rows of a domain's tables. Every method takes the table it acts on;
/// `key` and `prefix` hold values of the first key columns, in order.
pub(crate) trait RowStore {
    /// The row with this whole key.
    fn get(&self, table: &Table, key: &[Value]) -> Result<Option<Value>>;

    fn has(&self, table: &Table, key: &[Value]) -> Result<bool> {
        Ok(self.get(table, key)?.is_some())
    }

    /// Adds a row; `false` (and nothing changed) when its key is taken.
    fn insert(&mut self, table: &Table, row: Value) -> Result<bool>;

    /// Adds a row, replacing whole any row with its key.
    fn upsert(&mut self, table: &Table, row: Value) -> Result<()>;

    /// Sets the columns `set` (index, value) of the row with this whole
    /// key, if there is one: whether there was.
    fn update(&mut self, table: &Table, key: &[Value], set: &[(u32, Value)]) -> Result<bool> {
        update_by_rewrite(self, table, key, set)
    }

    /// The keys of the rows that start with `prefix`, in key order (an
    /// `update` visits them one after another).
    fn keys(&self, table: &Table, prefix: &[Value]) -> Result<Vec<Vec<Value>>>;

    /// Deletes the rows that start with `prefix`; how many there were.
    fn delete(&mut self, table: &Table, prefix: &[Value]) -> Result<u64>;

    /// Every row of the table, in key order.
    fn scan(&self, table: &Table) -> Result<Vec<Value>>;

    /// The rows that start with `prefix` and come after the whole key
    /// `after`, in key order, at most `limit`: the engine's `rows` verb.
    fn page(
        &self,
        table: &Table,
        prefix: &[Value],
        after: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Value>>;
}

/// [`RowStore::update`] as a read of the row and a write of all of it.
pub(crate) fn update_by_rewrite<R: RowStore + ?Sized>(
    rows: &mut R,
    table: &Table,
    key: &[Value],
    set: &[(u32, Value)],
) -> Result<bool> {
    let Some(Value::Record(old)) = rows.get(table, key)? else {
        return Ok(false);
    };
    rows.upsert(table, with_set(table, &old.fields, set))?;
    Ok(true)
}

/// The row of `fields` with the columns `set` (index, value) set.
fn with_set(table: &Table, fields: &Fields, set: &[(u32, Value)]) -> Value {
    let mut fields = fields.clone();
    for (c, v) in set {
        fields[*c as usize] = v.clone();
    }
    Value::record(table.shape.clone(), fields)
}

/// The columns an `update` in SQL sets, in column order, and their
/// bitmask: a store keeps one statement per set of columns, so its
/// parameters go in column order whatever order the handler named them in.
/// `None` for a table of more than 64 columns (no mask): it is updated by
/// [`update_by_rewrite`].
pub(crate) fn update_columns<'s>(
    table: &Table,
    set: &'s [(u32, Value)],
) -> Option<(Vec<&'s (u32, Value)>, u64)> {
    if table.columns.len() > 64 {
        return None;
    }
    let mut set: Vec<&(u32, Value)> = set.iter().collect();
    set.sort_unstable_by_key(|(c, _)| *c);
    let columns = set.iter().fold(0u64, |m, (c, _)| m | 1 << c);
    Some((set, columns))
}

/// Digits past the microsecond are dropped (toward the past) wherever a
/// timestamp is written to a table, so every store holds the same rows.
pub(crate) fn truncate_time(t: Timestamp) -> Timestamp {
    let nanos = t.subsec_nanosecond();
    Timestamp::new(t.as_second(), nanos - nanos % 1_000).unwrap_or(t)
}

/// [`truncate_time`] inside a value: lists, maps and records too.
pub(crate) fn truncate_times(v: Value) -> Value {
    match v {
        Value::Timestamp(t) => Value::Timestamp(truncate_time(t)),
        // From the written form (§14): a negative duration moves toward
        // zero, which integer division does.
        Value::Duration(d) => Value::Duration(
            crate::value::Duration::from_nanos(d.as_nanos() / 1_000 * 1_000).unwrap_or(d),
        ),
        Value::List(l) if l.iter().any(holds_time) => {
            Value::List(Arc::new(l.iter().cloned().map(truncate_times).collect()))
        }
        Value::Map(m) if m.values().any(holds_time) => {
            Value::Map(m.into_iter().map(|(k, v)| (k, truncate_times(v))).collect())
        }
        Value::Record(r) if r.fields.iter().any(holds_time) => Value::record(
            r.shape.clone(),
            r.fields
                .iter()
                .cloned()
                .map(truncate_times)
                .collect::<Fields>(),
        ),
        other => other,
    }
}

/// A row as every store holds it: [`truncate_times`], and every float's
/// `-0.0` as `0.0`, inside list, map and record columns too. SQL keeps no
/// sign on a zero (SQLite writes an integral REAL as an integer), and
/// neither does PostgreSQL's JSONB (its numbers are `numeric`), so every
/// store drops it alike.
pub(crate) fn stored_row(row: Value) -> Value {
    let row = truncate_times(row);
    if holds_negative_zero(&row) {
        positive_zeros(row)
    } else {
        row
    }
}

fn holds_negative_zero(v: &Value) -> bool {
    match v {
        Value::Float(f) => *f == 0.0 && f.is_sign_negative(),
        Value::List(l) => l.iter().any(holds_negative_zero),
        Value::Map(m) => m.values().any(holds_negative_zero),
        Value::Record(r) => r.fields.iter().any(holds_negative_zero),
        _ => false,
    }
}

fn positive_zeros(v: Value) -> Value {
    match v {
        // `0.0 == -0.0`: both come out as `0.0`.
        Value::Float(f) => Value::Float(if f == 0.0 { 0.0 } else { f }),
        Value::List(l) if l.iter().any(holds_negative_zero) => {
            Value::List(Arc::new(l.iter().cloned().map(positive_zeros).collect()))
        }
        Value::Map(m) if m.values().any(holds_negative_zero) => {
            Value::Map(m.into_iter().map(|(k, v)| (k, positive_zeros(v))).collect())
        }
        Value::Record(r) if r.fields.iter().any(holds_negative_zero) => Value::record(
            r.shape.clone(),
            r.fields
                .iter()
                .cloned()
                .map(positive_zeros)
                .collect::<Fields>(),
        ),
        other => other,
    }
}

fn holds_time(v: &Value) -> bool {
    match v {
        Value::Timestamp(t) => t.subsec_nanosecond() % 1_000 != 0,
        Value::Duration(d) => d.as_nanos() % 1_000 != 0,
        Value::List(l) => l.iter().any(holds_time),
        Value::Map(m) => m.values().any(holds_time),
        Value::Record(r) => r.fields.iter().any(holds_time),
        _ => false,
    }
}

fn key_of(table: &Table, row: &Value) -> Result<Key> {
    let Value::Record(r) = row else {
        return Err(Error::Internal {
            message: format!("a row of table {} is not a record", table.name),
        });
    };
    encode_key(table.key.iter().map(|&k| &r.fields[k as usize]))
}

fn key_from(values: &[Value]) -> Result<Key> {
    encode_key(values)
}

fn encode_key<'v>(values: impl IntoIterator<Item = &'v Value>) -> Result<Key> {
    let mut key = Key::new();
    for v in values {
        encode_key_part(v, &mut key)?;
    }
    Ok(key)
}

/// The rows of one table in memory, in key order.
pub(crate) type MemoryTable = BTreeMap<Key, Value>;

/// How to undo one change to [`MemoryRows`]: the row that the key held
/// before it, if any.
#[derive(Debug, Clone)]
pub(crate) struct RowUndo {
    /// The table, by [`Table::index`].
    pub(crate) table: u32,
    key: Key,
    old: Option<Value>,
}

impl RowUndo {
    /// Puts back in `rows` (the table [`RowUndo::table`] names) what the
    /// change replaced.
    pub(crate) fn undo(self, rows: &mut MemoryTable) {
        match self.old {
            Some(row) => {
                rows.insert(self.key, row);
            }
            None => {
                rows.remove(&self.key);
            }
        }
    }
}

/// Rows in memory, one ordered map per table (by [`Table::index`]): what
/// `project` folds over, and the memory store's tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryRows {
    tables: BTreeMap<u32, MemoryTable>,
    /// Kept for the memory store: how to undo each change, oldest first.
    /// A transaction that fails plays it backwards, instead of keeping a
    /// copy of the tables it started from.
    journal: Option<Vec<RowUndo>>,
}

impl MemoryRows {
    /// Over tables held elsewhere (the memory store's), by table index,
    /// keeping a journal of the changes.
    pub(crate) fn journaled(tables: impl IntoIterator<Item = (u32, MemoryTable)>) -> MemoryRows {
        MemoryRows {
            tables: tables.into_iter().collect(),
            journal: Some(Vec::new()),
        }
    }

    /// Gives the tables back, by table index, and the journal.
    pub(crate) fn into_parts(self) -> (BTreeMap<u32, MemoryTable>, Vec<RowUndo>) {
        (self.tables, self.journal.unwrap_or_default())
    }

    /// Notes that `key` of `table` held `old` (when keeping a journal).
    fn changed(journal: &mut Option<Vec<RowUndo>>, table: u32, key: &Key, old: Option<Value>) {
        if let Some(j) = journal {
            j.push(RowUndo {
                table,
                key: key.clone(),
                old,
            });
        }
    }

    fn rows(&self, table: &Table) -> Option<&MemoryTable> {
        self.tables.get(&table.index)
    }

    /// The keys of one table that start with `prefix`, in order.
    fn range<'s>(
        rows: &'s MemoryTable,
        prefix: &'s Key,
    ) -> impl Iterator<Item = (&'s Key, &'s Value)> + 's {
        rows.range::<Key, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }
}

impl RowStore for MemoryRows {
    fn get(&self, table: &Table, key: &[Value]) -> Result<Option<Value>> {
        let key = key_from(key)?;
        Ok(self.rows(table).and_then(|r| r.get(&key)).cloned())
    }

    fn insert(&mut self, table: &Table, row: Value) -> Result<bool> {
        let row = stored_row(row);
        let key = key_of(table, &row)?;
        let rows = self.tables.entry(table.index).or_default();
        if rows.contains_key(&key) {
            return Ok(false);
        }
        Self::changed(&mut self.journal, table.index, &key, None);
        rows.insert(key, row);
        Ok(true)
    }

    fn upsert(&mut self, table: &Table, row: Value) -> Result<()> {
        let row = stored_row(row);
        let key = key_of(table, &row)?;
        let rows = self.tables.entry(table.index).or_default();
        if self.journal.is_some() {
            let old = rows.insert(key.clone(), row);
            Self::changed(&mut self.journal, table.index, &key, old);
        } else {
            rows.insert(key, row);
        }
        Ok(())
    }

    /// In place: one lookup, and the key is not worked out again.
    fn update(&mut self, table: &Table, key: &[Value], set: &[(u32, Value)]) -> Result<bool> {
        let key = key_from(key)?;
        let Some(slot) = self
            .tables
            .get_mut(&table.index)
            .and_then(|rows| rows.get_mut(&key))
        else {
            return Ok(false);
        };
        let Value::Record(old) = &*slot else {
            return Err(Error::Internal {
                message: format!("a row of table {} is not a record", table.name),
            });
        };
        let new = stored_row(with_set(table, &old.fields, set));
        let old = std::mem::replace(slot, new);
        Self::changed(&mut self.journal, table.index, &key, Some(old));
        Ok(true)
    }

    fn keys(&self, table: &Table, prefix: &[Value]) -> Result<Vec<Vec<Value>>> {
        let prefix = key_from(prefix)?;
        let Some(rows) = self.rows(table) else {
            return Ok(Vec::new());
        };
        Ok(Self::range(rows, &prefix)
            .map(|(_, row)| match row {
                Value::Record(r) => table
                    .key
                    .iter()
                    .map(|&k| r.fields[k as usize].clone())
                    .collect(),
                _ => Vec::new(),
            })
            .collect())
    }

    fn delete(&mut self, table: &Table, prefix: &[Value]) -> Result<u64> {
        let whole = prefix.len() == table.key.len();
        let prefix = key_from(prefix)?;
        let rows = self.tables.entry(table.index).or_default();
        if whole {
            // A whole key's encoding is no other key's prefix: one row at
            // most, found without a scan (a `for` over thousands of ids
            // deletes them one by one).
            let old = rows.remove(&prefix);
            let found = old.is_some();
            if found {
                Self::changed(&mut self.journal, table.index, &prefix, old);
            }
            return Ok(u64::from(found));
        }
        let doomed: Vec<Key> = Self::range(rows, &prefix).map(|(k, _)| k.clone()).collect();
        for k in &doomed {
            let old = rows.remove(k);
            Self::changed(&mut self.journal, table.index, k, old);
        }
        Ok(doomed.len() as u64)
    }

    fn scan(&self, table: &Table) -> Result<Vec<Value>> {
        Ok(self
            .rows(table)
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default())
    }

    fn page(
        &self,
        table: &Table,
        prefix: &[Value],
        after: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Value>> {
        let prefix = key_from(prefix)?;
        let after = after.map(key_from).transpose()?;
        let Some(rows) = self.rows(table) else {
            return Ok(Vec::new());
        };
        let start = match &after {
            Some(a) if *a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(&prefix),
        };
        Ok(rows
            .range::<Key, _>((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .take(limit)
            .map(|(_, v)| v.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Shape;

    fn table() -> Table {
        Table {
            name: "t".into(),
            doc: None,
            index: 0,
            columns: Vec::new(),
            column_types: Vec::new(),
            key: vec![0, 1],
            shape: Arc::new(Shape {
                name: "t".into(),
                fields: vec!["a".into(), "b".into(), "c".into()],
            }),
            row: 0,
            writer: None,
            span: Default::default(),
        }
    }

    fn row(t: &Table, a: &str, b: i64, c: i64) -> Value {
        Value::record(
            t.shape.clone(),
            vec![Value::str(a), Value::Int(b), Value::Int(c)],
        )
    }

    #[test]
    fn rows_are_in_key_order_and_prefixes_select_whole_leading_columns() {
        let t = table();
        let mut m = MemoryRows::default();
        for (a, b) in [("b", 2), ("a", 10), ("a", 9), ("ab", 1), ("é", 0)] {
            assert!(m.insert(&t, row(&t, a, b, 0)).unwrap());
        }
        assert!(!m.insert(&t, row(&t, "a", 9, 5)).unwrap(), "a taken key");
        let keys: Vec<String> = m
            .scan(&t)
            .unwrap()
            .iter()
            .map(|r| r.to_json_string())
            .collect();
        assert_eq!(keys[0], r#"{"a":"a","b":9,"c":0}"#);
        assert_eq!(keys[1], r#"{"a":"a","b":10,"c":0}"#);
        assert_eq!(keys[2], r#"{"a":"ab","b":1,"c":0}"#);
        assert_eq!(keys[4], r#"{"a":"é","b":0,"c":0}"#);
        // "a" selects a/9 and a/10, never ab/1.
        assert_eq!(m.keys(&t, &[Value::str("a")]).unwrap().len(), 2);
        assert_eq!(m.delete(&t, &[Value::str("a")]).unwrap(), 2);
        assert_eq!(m.scan(&t).unwrap().len(), 3);
        assert_eq!(m.delete(&t, &[Value::str("zz")]).unwrap(), 0);
        m.upsert(&t, row(&t, "b", 2, 7)).unwrap();
        let got = m
            .get(&t, &[Value::str("b"), Value::Int(2)])
            .unwrap()
            .unwrap();
        assert_eq!(got.to_json_string(), r#"{"a":"b","b":2,"c":7}"#);
    }

    #[test]
    fn a_whole_key_deletes_its_row_alone_and_the_journal_puts_it_back() {
        let t = table();
        let mut filled = MemoryRows::default();
        for (a, b) in [("a", 1), ("a", 2), ("a\0", 1), ("ab", 1)] {
            assert!(filled.insert(&t, row(&t, a, b, 0)).unwrap());
        }
        let before = filled.scan(&t).unwrap();
        // The deletes alone are journaled.
        let mut m = MemoryRows::journaled(filled.into_parts().0);
        let whole = |a: &str, b: i64| [Value::str(a), Value::Int(b)];
        assert_eq!(m.delete(&t, &whole("a", 1)).unwrap(), 1);
        assert_eq!(m.delete(&t, &whole("a", 1)).unwrap(), 0, "gone already");
        assert_eq!(m.delete(&t, &whole("a", 3)).unwrap(), 0, "never there");
        let left: Vec<String> = m
            .scan(&t)
            .unwrap()
            .iter()
            .map(|r| r.to_json_string())
            .collect();
        assert_eq!(
            left,
            [
                r#"{"a":"a","b":2,"c":0}"#,
                r#"{"a":"a\u0000","b":1,"c":0}"#,
                r#"{"a":"ab","b":1,"c":0}"#
            ]
        );
        let (mut tables, journal) = m.into_parts();
        for u in journal.into_iter().rev() {
            u.undo(tables.get_mut(&0).unwrap());
        }
        let back = MemoryRows::journaled(tables);
        let texts = |rows: Vec<Value>| rows.iter().map(|r| r.to_json_string()).collect::<Vec<_>>();
        assert_eq!(texts(back.scan(&t).unwrap()), texts(before));
        assert_eq!(
            back.get(&t, &whole("a", 1))
                .unwrap()
                .map(|r| r.to_json_string()),
            Some(r#"{"a":"a","b":1,"c":0}"#.to_string())
        );
    }

    #[test]
    fn a_float_drops_the_sign_of_zero_also_inside_values() {
        let shape = Arc::new(Shape {
            name: "t".into(),
            fields: vec!["f".into(), "l".into(), "m".into()],
        });
        let row = Value::record(
            shape,
            vec![
                Value::Float(-0.0),
                Value::list([Value::Float(-0.0), Value::Float(-1.5)]),
                Value::Map(
                    [(crate::value::Str::from("a"), Value::Float(-0.0))]
                        .into_iter()
                        .collect(),
                ),
            ],
        );
        assert_eq!(
            stored_row(row).to_json_string(),
            r#"{"f":0.0,"l":[0.0,-1.5],"m":{"a":0.0}}"#
        );
    }

    #[test]
    fn timestamps_keep_microseconds_also_inside_values() {
        let t = Timestamp::new(10, 123_456_789).unwrap();
        assert_eq!(truncate_time(t), Timestamp::new(10, 123_456_000).unwrap());
        let before = Timestamp::new(-10, 999_999_999).unwrap();
        assert_eq!(
            truncate_time(before),
            Timestamp::new(-10, 999_999_000).unwrap()
        );
        let v = Value::list([Value::Timestamp(t)]);
        assert_eq!(
            truncate_times(v),
            Value::list([Value::Timestamp(Timestamp::new(10, 123_456_000).unwrap())])
        );
    }

    #[test]
    fn durations_keep_microseconds_moving_toward_zero() {
        let d = |s: &str| Value::Duration(crate::value::parse_duration(s).unwrap());
        assert_eq!(truncate_times(d("1.000001999s")), d("1.000001s"));
        assert_eq!(truncate_times(d("-1.000001999s")), d("-1.000001s"));
        assert_eq!(truncate_times(d("-0.000000999s")), d("0s"));
        let m = Value::list([d("2.5s"), d("0.0000005s")]);
        assert_eq!(truncate_times(m), Value::list([d("2.5s"), d("0s")]));
    }
}
