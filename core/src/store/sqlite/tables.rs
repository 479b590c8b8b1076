//! A domain's tables as real SQL tables in the SQLite file
//! (MODEL-LANGUAGE.md §13), and the record of which projection owns them.
//!
//! - [`create_table_sql`] writes a table's DDL: columns in declared order,
//!   the SQLite types of §13, `NOT NULL` on every non-optional column, a
//!   primary key over the key columns. `WITHOUT ROWID`: the rows live in
//!   the key's own B-tree, so a lookup or an insert walks one tree, not a
//!   rowid table and its key index. Every ORM and `sqlite3` still reads
//!   them as any other table.
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
use std::fmt::Write as _;

use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{params_from_iter, CachedStatement, Connection, Statement, ToSql};

use super::err;
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{ReadSide, Table};
use crate::store::sql::{self, quote};
use crate::tables::{stored_row, truncate_time, update_by_rewrite, update_columns, RowStore};
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
    let _ = write!(
        sql,
        "    PRIMARY KEY ({})\n) WITHOUT ROWID",
        keys.join(", ")
    );
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

/// A value bound as [`to_sql`] binds it, strings without a copy.
struct Bound<'v>(&'v Value);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::String(s) | Value::Enum(s) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            v => ToSqlOutput::Owned(to_sql(v)),
        })
    }
}

/// A stored cell back into a typed value of column `column` of `table`.
fn from_sql(types: &Types, table: &Table, column: usize, cell: ValueRef<'_>) -> Result<Value> {
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
    let cell = match cell {
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Cell::Text(text),
            Err(_) => return Err(bad("text that is not UTF-8".into())),
        },
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Integer(i),
        ValueRef::Real(f) => Cell::Real(f),
        ValueRef::Blob(_) => return Err(bad("a blob".into())),
    };
    Ok(match (ty, cell) {
        (_, Cell::Null) if c.ty.is_optional() => Value::Null,
        (Type::Int, Cell::Integer(i)) => Value::Int(i),
        (Type::Bool, Cell::Integer(i @ (0 | 1))) => Value::Bool(i == 1),
        (Type::Float, Cell::Real(f)) => Value::Float(f),
        // SQLite may hand back an integral REAL as an integer.
        (Type::Float, Cell::Integer(i)) => Value::Float(i as f64),
        (Type::String, Cell::Text(s)) => Value::str(s),
        (Type::Enum(e), Cell::Text(s)) if types.enums[*e].index.contains_key(s) => {
            Value::Enum(s.into())
        }
        (Type::Timestamp, Cell::Text(s)) => {
            Value::Timestamp(parse_timestamp(s).map_err(|e| bad(format!("`{s}` ({e})")))?)
        }
        (Type::Duration, Cell::Text(s)) => {
            Value::Duration(parse_duration(s).map_err(|e| bad(format!("`{s}` ({e})")))?)
        }
        (Type::List(_) | Type::Map(_) | Type::Record(_), Cell::Text(s)) => {
            let json: serde_json::Value =
                serde_json::from_str(s).map_err(|e| bad(format!("text that is not JSON ({e})")))?;
            let mut path = String::new();
            types.decode(&json, ty, &mut path).map_err(|e| {
                bad(format!(
                    "JSON that does not fit ({}: {})",
                    e.path, e.message
                ))
            })?
        }
        (_, other) => return Err(bad(other.kind().into())),
    })
}

/// A cell as SQLite holds it, its text borrowed from the statement.
#[derive(Clone, Copy)]
enum Cell<'r> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'r str),
}

impl Cell<'_> {
    /// Its SQL type, as a message names it.
    fn kind(self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Integer(_) => "Integer",
            Cell::Real(_) => "Real",
            Cell::Text(_) => "Text",
        }
    }
}

/// Which statement of [`SqliteRows`]: (table, kind, key values or the set
/// columns).
type StatementId = (u32, u8, usize);

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
    /// The statements prepared so far, by (table, statement, key values),
    /// held while these rows live: a batch of events runs the same few
    /// over and over, and each run only binds and steps.
    statements: RefCell<Vec<(StatementId, CachedStatement<'c>)>>,
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
            statements: RefCell::default(),
        }
    }

    /// Runs `run` on the statement `kind` over `table` with `n` key
    /// values, whose text `make` writes the first time.
    fn with_statement<T>(
        &self,
        table: &Table,
        kind: u8,
        n: usize,
        make: impl FnOnce() -> String,
        run: impl FnOnce(&mut Statement<'c>) -> Result<T>,
    ) -> Result<T> {
        let id = (table.index, kind, n);
        let mut statements = self.statements.borrow_mut();
        let at = match statements.iter().position(|(k, _)| *k == id) {
            Some(at) => at,
            None => {
                let context = || format!("cannot use table {}", table.name);
                let stmt = self
                    .conn
                    .prepare_cached(&make())
                    .map_err(|e| err(&context(), e))?;
                statements.push((id, stmt));
                statements.len() - 1
            }
        };
        run(&mut statements[at].1)
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

    fn row_cells<'r>(table: &Table, row: &'r Value) -> Result<Vec<Bound<'r>>> {
        match row {
            Value::Record(r) if r.fields.len() == table.columns.len() => {
                Ok(r.fields.iter().map(Bound).collect())
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

    /// Rows of `stmt` (selecting every column) as records of the table.
    fn rows_of(
        &self,
        table: &Table,
        stmt: &mut Statement<'_>,
        keys: &[Value],
    ) -> Result<Vec<Value>> {
        let context = || format!("cannot read table {}", table.name);
        let mut rows = stmt
            .query(params_from_iter(keys.iter().map(Bound)))
            .map_err(|e| err(&context(), e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| err(&context(), e))? {
            let mut fields = Vec::with_capacity(table.columns.len());
            for i in 0..table.columns.len() {
                let cell = row.get_ref(i).map_err(|e| err(&context(), e))?;
                fields.push(from_sql(&self.read.types, table, i, cell)?);
            }
            out.push(Value::record(table.shape.clone(), fields));
        }
        Ok(out)
    }

    /// Rows of `sql`, a statement made once (`scan`, `page`).
    fn query_rows(&self, table: &Table, sql: &str, keys: &[Value]) -> Result<Vec<Value>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| err(&format!("cannot read table {}", table.name), e))?;
        self.rows_of(table, &mut stmt, keys)
    }

    /// Runs statement `kind` (see [`SqliteRows::with_statement`]) with
    /// `cells`: how many rows it changed.
    fn execute(
        &self,
        table: &Table,
        kind: u8,
        n: usize,
        make: impl FnOnce() -> String,
        cells: impl IntoIterator<Item = impl ToSql>,
    ) -> Result<usize> {
        self.with_statement(table, kind, n, make, |stmt| {
            stmt.execute(params_from_iter(cells))
                .map_err(|e| err(&format!("cannot write table {}", table.name), e))
        })
    }
}

impl RowStore for SqliteRows<'_> {
    fn get(&self, table: &Table, key: &[Value]) -> Result<Option<Value>> {
        Self::check_prefix(table, key, true)?;
        let make = || {
            format!(
                "SELECT {} FROM {}{}",
                sql::column_list(table),
                self.name(table),
                Self::where_prefix(table, key.len())
            )
        };
        self.with_statement(table, 0, key.len(), make, |stmt| {
            Ok(self.rows_of(table, stmt, key)?.pop())
        })
    }

    fn has(&self, table: &Table, key: &[Value]) -> Result<bool> {
        Self::check_prefix(table, key, true)?;
        let make = || {
            format!(
                "SELECT 1 FROM {}{}",
                self.name(table),
                Self::where_prefix(table, key.len())
            )
        };
        self.with_statement(table, 1, key.len(), make, |stmt| {
            stmt.exists(params_from_iter(key.iter().map(Bound)))
                .map_err(|e| err(&format!("cannot read table {}", table.name), e))
        })
    }

    fn insert(&mut self, table: &Table, row: Value) -> Result<bool> {
        let row = stored_row(row);
        let cells = Self::row_cells(table, &row)?;
        let make = || self.insert_sql(table, "DO NOTHING");
        Ok(self.execute(table, 2, 0, make, cells)? == 1)
    }

    fn upsert(&mut self, table: &Table, row: Value) -> Result<()> {
        let row = stored_row(row);
        let cells = Self::row_cells(table, &row)?;
        let make = || {
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
        };
        self.execute(table, 3, 0, make, cells)?;
        Ok(())
    }

    /// One `UPDATE` of the named columns; its statement is kept by which
    /// columns it sets (a table of more than 64 columns reads and writes
    /// the whole row instead).
    fn update(&mut self, table: &Table, key: &[Value], set: &[(u32, Value)]) -> Result<bool> {
        Self::check_prefix(table, key, true)?;
        if set.is_empty() {
            return self.has(table, key);
        }
        let Some((set, columns)) = update_columns(table, set) else {
            return update_by_rewrite(self, table, key, set);
        };
        let make = || {
            let assign: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(i, (c, _))| {
                    format!("{} = ?{}", quote(&table.columns[*c as usize].name), i + 1)
                })
                .collect();
            let filter: Vec<String> = sql::key_columns(table)
                .enumerate()
                .map(|(i, k)| format!("{k} = ?{}", set.len() + i + 1))
                .collect();
            format!(
                "UPDATE {} SET {} WHERE {}",
                self.name(table),
                assign.join(", "),
                filter.join(" AND ")
            )
        };
        let values: Vec<Value> = set.iter().map(|(_, v)| stored_row(v.clone())).collect();
        let cells = values.iter().chain(key).map(Bound);
        Ok(self.execute(table, 6, columns as usize, make, cells)? == 1)
    }

    fn keys(&self, table: &Table, prefix: &[Value]) -> Result<Vec<Vec<Value>>> {
        Self::check_prefix(table, prefix, false)?;
        let make = || {
            format!(
                "SELECT {} FROM {}{}{}",
                sql::key_columns(table).collect::<Vec<_>>().join(", "),
                self.name(table),
                Self::where_prefix(table, prefix.len()),
                Self::order_by(table)
            )
        };
        self.with_statement(table, 4, prefix.len(), make, |stmt| {
            let context = || format!("cannot read table {}", table.name);
            let mut rows = stmt
                .query(params_from_iter(prefix.iter().map(Bound)))
                .map_err(|e| err(&context(), e))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(|e| err(&context(), e))? {
                let mut key = Vec::with_capacity(table.key.len());
                for (i, &k) in table.key.iter().enumerate() {
                    let cell = row.get_ref(i).map_err(|e| err(&context(), e))?;
                    key.push(from_sql(&self.read.types, table, k as usize, cell)?);
                }
                out.push(key);
            }
            Ok(out)
        })
    }

    fn delete(&mut self, table: &Table, prefix: &[Value]) -> Result<u64> {
        Self::check_prefix(table, prefix, false)?;
        let make = || {
            format!(
                "DELETE FROM {}{}",
                self.name(table),
                Self::where_prefix(table, prefix.len())
            )
        };
        Ok(self.execute(table, 5, prefix.len(), make, prefix.iter().map(Bound))? as u64)
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
