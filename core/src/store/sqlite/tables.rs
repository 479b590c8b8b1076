//! A domain's tables as real SQL tables in the SQLite file
//! (MODEL-LANGUAGE.md §13), and the record of which projection owns them.
//!
//! - [`create_table_sql`] writes a table's DDL: columns in declared order,
//!   the SQLite types of §13, `NOT NULL` on every non-optional column, a
//!   primary key over the key columns. Ordinary rowid tables, so that every
//!   ORM and `sqlite3` reads them as any other table.
//! - [`SqliteRows`] is a [`RowStore`] over one connection (or a
//!   transaction, which derefs to one): inline projections can then write
//!   their rows inside the append's write transaction.
//! - `readside.rs` creates, drops and swaps them, recording each in
//!   `eventfold_projection_tables` (schema version 3) under the
//!   fingerprint it was made for.
//!
//! Values are written so that SQL order is key order: timestamps as text
//! with exactly six fraction digits, bools as 0 and 1, strings and enums as
//! text under SQLite's default BINARY collation (UTF-8 byte order, which is
//! code point order).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use rusqlite::types::Value as Sql;
use rusqlite::{params_from_iter, Connection};

use super::err;
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{ReadSide, Table};
use crate::store::sql::{self, quote};
use crate::tables::{stored_row, truncate_time, RowStore};
use crate::types::{Type, Types};
use crate::value::{format_duration, parse_duration, parse_timestamp, Timestamp, Value};

/// The SQLite type of a column of type `ty` (§13, §14).
pub(crate) fn sql_type(ty: &Type) -> &'static str {
    match ty.unwrap_optional() {
        Type::Int | Type::Bool => "INTEGER",
        Type::Float => "REAL",
        _ => "TEXT",
    }
}

/// `CREATE TABLE IF NOT EXISTS` for `table`, under the SQL name `name`
/// (the table's own name, or a shadow table's during a rebuild).
pub(crate) fn create_table_sql(table: &Table, name: &str) -> String {
    let mut sql = format!("CREATE TABLE IF NOT EXISTS {} (\n", quote(name));
    for c in &table.columns {
        let _ = write!(sql, "    {} {}", quote(&c.name), sql_type(&c.ty));
        if !c.ty.is_optional() {
            sql.push_str(" NOT NULL");
        }
        sql.push_str(",\n");
    }
    let keys: Vec<String> = table
        .key
        .iter()
        .map(|&k| quote(&table.columns[k as usize].name))
        .collect();
    let _ = write!(sql, "    PRIMARY KEY ({})\n)", keys.join(", "));
    sql
}

/// A timestamp as a table holds it: RFC 3339 in UTC with exactly six
/// fraction digits (`2026-01-02T03:04:05.120000Z`), digits past the
/// microsecond dropped. Fixed width, so text order is time order.
pub(crate) fn format_timestamp_micros(t: Timestamp) -> String {
    let dt = truncate_time(t).to_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000
    )
}

/// A value as its column stores it; keys are bound so too, so `=` finds
/// them. Timestamps are cut here; values inside JSON must already be cut
/// to the microsecond ([`stored_row`]).
fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Int(i) => Sql::Integer(*i),
        Value::Float(f) => Sql::Real(*f),
        Value::String(s) | Value::Enum(s) => Sql::Text(s.to_string()),
        Value::Timestamp(t) => Sql::Text(format_timestamp_micros(*t)),
        Value::Duration(d) => Sql::Text(format_duration(*d)),
        Value::List(_) | Value::Map(_) | Value::Record(_) => Sql::Text(v.to_json_string()),
    }
}

/// A stored cell back into a typed value of column `column` of `table`.
fn from_sql(types: &Types, table: &Table, column: usize, cell: Sql) -> Result<Value> {
    let c = &table.columns[column];
    let bad = |what: String| Error::StoreError {
        kind: StoreErrorKind::Corrupt,
        message: format!(
            "column {} of table {} holds {what}, not a {}: the table was changed outside \
             eventfold; rebuild its projection",
            c.name,
            table.name,
            c.ty.display(types)
        ),
    };
    let ty = c.ty.unwrap_optional();
    Ok(match (ty, cell) {
        (_, Sql::Null) if c.ty.is_optional() => Value::Null,
        (Type::Int, Sql::Integer(i)) => Value::Int(i),
        (Type::Bool, Sql::Integer(i @ (0 | 1))) => Value::Bool(i == 1),
        (Type::Float, Sql::Real(f)) => Value::Float(f),
        // SQLite may hand back an integral REAL as an integer.
        (Type::Float, Sql::Integer(i)) => Value::Float(i as f64),
        (Type::String, Sql::Text(s)) => Value::str(&s),
        (Type::Enum(e), Sql::Text(s)) if types.enums[*e].index.contains_key(s.as_str()) => {
            Value::Enum(s.into())
        }
        (Type::Timestamp, Sql::Text(s)) => {
            Value::Timestamp(parse_timestamp(&s).map_err(|e| bad(format!("`{s}` ({e})")))?)
        }
        (Type::Duration, Sql::Text(s)) => {
            Value::Duration(parse_duration(&s).map_err(|e| bad(format!("`{s}` ({e})")))?)
        }
        (Type::List(_) | Type::Map(_) | Type::Record(_), Sql::Text(s)) => {
            let json: serde_json::Value = serde_json::from_str(&s)
                .map_err(|e| bad(format!("text that is not JSON ({e})")))?;
            let mut path = String::new();
            types.decode(&json, ty, &mut path).map_err(|e| {
                bad(format!(
                    "JSON that does not fit ({}: {})",
                    e.path, e.message
                ))
            })?
        }
        (_, other) => return Err(bad(format!("{:?}", other.data_type()))),
    })
}

/// The rows of a domain's tables, in SQL tables of one SQLite connection.
///
/// Every statement runs on `conn` as it is: inside the caller's
/// transaction when there is one, so rows commit with the events.
pub(crate) struct SqliteRows<'c> {
    conn: &'c Connection,
    read: &'c ReadSide,
    /// The SQL name of each table, by [`Table::index`], quoted: the
    /// table's own name, or a shadow table's while it is rebuilt.
    names: Vec<String>,
    /// The text of each statement made so far, by (table, statement, key
    /// values): a batch of events writes the same few over and over.
    texts: RefCell<HashMap<(u32, u8, usize), Rc<str>>>,
}

impl<'c> SqliteRows<'c> {
    /// Over the tables under their own names.
    #[cfg(test)]
    pub(crate) fn new(conn: &'c Connection, read: &'c ReadSide) -> SqliteRows<'c> {
        let names = read.tables.iter().map(|t| t.name.to_string()).collect();
        SqliteRows::with_names(conn, read, names)
    }

    /// Over tables stored under other SQL names (`names[table.index]`).
    pub(crate) fn with_names(
        conn: &'c Connection,
        read: &'c ReadSide,
        names: Vec<String>,
    ) -> SqliteRows<'c> {
        let names = names.iter().map(|n| quote(n)).collect();
        SqliteRows {
            conn,
            read,
            names,
            texts: RefCell::default(),
        }
    }

    /// The statement `kind` over `table` with `n` key values, made by
    /// `make` the first time.
    fn text(&self, table: &Table, kind: u8, n: usize, make: impl FnOnce() -> String) -> Rc<str> {
        self.texts
            .borrow_mut()
            .entry((table.index, kind, n))
            .or_insert_with(|| Rc::from(make()))
            .clone()
    }

    fn name(&self, table: &Table) -> &str {
        &self.names[table.index as usize]
    }

    /// ` WHERE k1 = ?1 AND ...` over the first `n` key columns ("" for 0).
    fn where_prefix(table: &Table, n: usize) -> String {
        let parts: Vec<String> = sql::key_columns(table)
            .take(n)
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    fn order_by(table: &Table) -> String {
        format!(
            " ORDER BY {}",
            sql::key_columns(table).collect::<Vec<_>>().join(", ")
        )
    }

    fn check_prefix(table: &Table, prefix: &[Value], whole: bool) -> Result<()> {
        let ok = if whole {
            prefix.len() == table.key.len()
        } else {
            prefix.len() <= table.key.len()
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Internal {
                message: format!(
                    "table {} has {} key columns, not {}",
                    table.name,
                    table.key.len(),
                    prefix.len()
                ),
            })
        }
    }

    fn row_cells(table: &Table, row: &Value) -> Result<Vec<Sql>> {
        match row {
            Value::Record(r) if r.fields.len() == table.columns.len() => {
                Ok(r.fields.iter().map(to_sql).collect())
            }
            _ => Err(Error::Internal {
                message: format!(
                    "a row of table {} is not a record of its columns",
                    table.name
                ),
            }),
        }
    }

    fn insert_sql(&self, table: &Table, conflict: &str) -> String {
        let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
            self.name(table),
            sql::column_list(table),
            marks.join(", "),
            sql::key_columns(table).collect::<Vec<_>>().join(", ")
        )
    }

    /// Rows of `sql` (selecting every column) as records of the table.
    fn query_rows(&self, table: &Table, sql: &str, keys: &[Value]) -> Result<Vec<Value>> {
        let context = || format!("cannot read table {}", table.name);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| err(&context(), e))?;
        let mut rows = stmt
            .query(params_from_iter(keys.iter().map(to_sql)))
            .map_err(|e| err(&context(), e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| err(&context(), e))? {
            let mut fields = Vec::with_capacity(table.columns.len());
            for i in 0..table.columns.len() {
                let cell: Sql = row.get(i).map_err(|e| err(&context(), e))?;
                fields.push(from_sql(&self.read.types, table, i, cell)?);
            }
            out.push(Value::record(table.shape.clone(), fields));
        }
        Ok(out)
    }

    fn execute(&self, table: &Table, sql: &str, cells: Vec<Sql>) -> Result<usize> {
        let context = || format!("cannot write table {}", table.name);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| err(&context(), e))?;
        stmt.execute(params_from_iter(cells))
            .map_err(|e| err(&context(), e))
    }
}

impl RowStore for SqliteRows<'_> {
    fn get(&self, table: &Table, key: &[Value]) -> Result<Option<Value>> {
        Self::check_prefix(table, key, true)?;
        let sql = self.text(table, 0, key.len(), || {
            format!(
                "SELECT {} FROM {}{}",
                sql::column_list(table),
                self.name(table),
                Self::where_prefix(table, key.len())
            )
        });
        Ok(self.query_rows(table, &sql, key)?.pop())
    }

    fn has(&self, table: &Table, key: &[Value]) -> Result<bool> {
        Self::check_prefix(table, key, true)?;
        let sql = self.text(table, 1, key.len(), || {
            format!(
                "SELECT 1 FROM {}{}",
                self.name(table),
                Self::where_prefix(table, key.len())
            )
        });
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| err(&format!("cannot read table {}", table.name), e))?;
        stmt.exists(params_from_iter(key.iter().map(to_sql)))
            .map_err(|e| err(&format!("cannot read table {}", table.name), e))
    }

    fn insert(&mut self, table: &Table, row: Value) -> Result<bool> {
        let cells = Self::row_cells(table, &stored_row(row))?;
        let sql = self.text(table, 2, 0, || self.insert_sql(table, "DO NOTHING"));
        Ok(self.execute(table, &sql, cells)? == 1)
    }

    fn upsert(&mut self, table: &Table, row: Value) -> Result<()> {
        let cells = Self::row_cells(table, &stored_row(row))?;
        let sql = self.text(table, 3, 0, || {
            let set: Vec<String> = table
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| !table.is_key(*i))
                .map(|(_, c)| format!("{0} = excluded.{0}", quote(&c.name)))
                .collect();
            let conflict = if set.is_empty() {
                "DO NOTHING".to_string()
            } else {
                format!("DO UPDATE SET {}", set.join(", "))
            };
            self.insert_sql(table, &conflict)
        });
        self.execute(table, &sql, cells)?;
        Ok(())
    }

    fn keys(&self, table: &Table, prefix: &[Value]) -> Result<Vec<Vec<Value>>> {
        Self::check_prefix(table, prefix, false)?;
        let sql = self.text(table, 4, prefix.len(), || {
            format!(
                "SELECT {} FROM {}{}{}",
                sql::key_columns(table).collect::<Vec<_>>().join(", "),
                self.name(table),
                Self::where_prefix(table, prefix.len()),
                Self::order_by(table)
            )
        });
        let context = || format!("cannot read table {}", table.name);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| err(&context(), e))?;
        let mut rows = stmt
            .query(params_from_iter(prefix.iter().map(to_sql)))
            .map_err(|e| err(&context(), e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| err(&context(), e))? {
            let mut key = Vec::with_capacity(table.key.len());
            for (i, &k) in table.key.iter().enumerate() {
                let cell: Sql = row.get(i).map_err(|e| err(&context(), e))?;
                key.push(from_sql(&self.read.types, table, k as usize, cell)?);
            }
            out.push(key);
        }
        Ok(out)
    }

    fn delete(&mut self, table: &Table, prefix: &[Value]) -> Result<u64> {
        Self::check_prefix(table, prefix, false)?;
        let sql = self.text(table, 5, prefix.len(), || {
            format!(
                "DELETE FROM {}{}",
                self.name(table),
                Self::where_prefix(table, prefix.len())
            )
        });
        let cells = prefix.iter().map(to_sql).collect();
        Ok(self.execute(table, &sql, cells)? as u64)
    }

    fn scan(&self, table: &Table) -> Result<Vec<Value>> {
        let sql = format!(
            "SELECT {} FROM {}{}",
            sql::column_list(table),
            self.name(table),
            Self::order_by(table)
        );
        self.query_rows(table, &sql, &[])
    }

    fn page(
        &self,
        table: &Table,
        prefix: &[Value],
        after: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Value>> {
        Self::check_prefix(table, prefix, false)?;
        let mut clauses: Vec<String> = sql::key_columns(table)
            .take(prefix.len())
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", i + 1))
            .collect();
        let mut cells: Vec<Value> = prefix.to_vec();
        if let Some(after) = after {
            Self::check_prefix(table, after, true)?;
            // A row value comparison: key order, as the primary key sorts.
            let keys: Vec<String> = sql::key_columns(table).collect();
            let marks: Vec<String> = (0..after.len())
                .map(|i| format!("?{}", cells.len() + i + 1))
                .collect();
            clauses.push(format!("({}) > ({})", keys.join(", "), marks.join(", ")));
            cells.extend(after.iter().cloned());
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {} FROM {}{filter}{} LIMIT {}",
            sql::column_list(table),
            self.name(table),
            Self::order_by(table),
            limit.min(i64::MAX as usize)
        );
        self.query_rows(table, &sql, &cells)
    }
}

#[cfg(test)]
mod tests;
