//! A domain's tables as real SQL tables in the store's PostgreSQL schema
//! (MODEL-LANGUAGE.md §13, §14), as SQLite has them (`../sqlite/tables.rs`).
//!
//! - [`create_table_sql`] writes a table's DDL: columns in declared order,
//!   the PostgreSQL types of §13, `NOT NULL` on every non-optional column, a
//!   primary key over the key columns. String and enum key columns are
//!   `COLLATE "C"`, so that SQL order is key order (code point order, as
//!   the memory store and SQLite sort) whatever the database's locale.
//! - [`PgRows`] is a [`RowStore`] over one connection, inside whatever
//!   transaction it is in: inline projections write their rows in the
//!   append's transaction.
//! - `readside.rs` creates, drops and swaps them, recording each in
//!   `eventfold_projection_tables`.
//!
//! Cells travel in PostgreSQL's binary format both ways ([`Cell`],
//! [`Raw`]): a timestamp as microseconds since 2000, a duration as an
//! interval of microseconds only (never days or months, whose length
//! PostgreSQL's arithmetic would bend), so every value is exact and no
//! session setting (`DateStyle`, `TimeZone`, `IntervalStyle`) changes what
//! is read. `JSONB` keeps its own key order and writes numbers as
//! `numeric` does (`1e+300` comes back as 301 digits), so a list, map or
//! record is read back through the column's type, as SQLite's JSON text is,
//! and comes out as the same value and the same canonical JSON.
//!
//! Every statement is one round trip (`query_typed`: parse, bind and run
//! together, parameters typed by their columns), none of it is cached on
//! the server: a table's statements differ by table, and a batch of events
//! writes few of them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use bytes::{BufMut, BytesMut};
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type as PgType};

use super::conn::Conn;
use super::err;
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{ReadSide, Table};
use crate::store::readside::shadow_name;
use crate::store::sql::{self, quote};
use crate::tables::{stored_row, truncate_time, update_by_rewrite, update_columns, RowStore};
use crate::types::{Type, Types};
use crate::value::{format_duration, Duration, Str, Timestamp, Value};

/// PostgreSQL's epoch, 2000-01-01T00:00:00Z, in Unix microseconds.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Longest identifier PostgreSQL keeps (`NAMEDATALEN - 1`); a longer one
/// is cut short without an error, which would make two names one.
const MAX_NAME: usize = 63;

/// The PostgreSQL type of a column of type `ty` in DDL (§13, §14).
pub(crate) fn sql_type(ty: &Type) -> &'static str {
    pg_type(ty).1
}

/// The PostgreSQL type of a column of type `ty` (§13, §14), and its name
/// in DDL.
fn pg_type(ty: &Type) -> (PgType, &'static str) {
    match ty.unwrap_optional() {
        Type::Int => (PgType::INT8, "BIGINT"),
        Type::Float => (PgType::FLOAT8, "DOUBLE PRECISION"),
        Type::Bool => (PgType::BOOL, "BOOLEAN"),
        Type::Timestamp => (PgType::TIMESTAMPTZ, "TIMESTAMPTZ"),
        Type::Duration => (PgType::INTERVAL, "INTERVAL"),
        Type::List(_) | Type::Map(_) | Type::Record(_) => (PgType::JSONB, "JSONB"),
        _ => (PgType::TEXT, "TEXT"),
    }
}

/// Can PostgreSQL hold `table` under the SQL name `name`? Names are kept
/// to 63 bytes, and the table's own name to 46 so that its shadow table
/// (`eventfold_shadow_...`) of a rebuild fits too: refused when the table
/// is first made, not at some later rebuild. A name beginning with `pg_`
/// would be found in `pg_catalog` first (which every search path reads
/// before the store's schema), so it is refused as well.
pub(crate) fn check_names(table: &Table, name: &str) -> Result<()> {
    let refuse = |message: String| {
        Err(Error::StoreError {
            kind: StoreErrorKind::Unavailable,
            message,
        })
    };
    let shadow = shadow_name(&table.name);
    for n in [name, &*shadow, &*table.name] {
        if n.len() > MAX_NAME {
            return refuse(format!(
                "table {} needs the SQL name `{n}` ({} bytes), and PostgreSQL keeps names of at \
                 most {MAX_NAME} bytes: shorten the table's name in the model to at most {} \
                 bytes",
                table.name,
                n.len(),
                MAX_NAME - (shadow.len() - table.name.len())
            ));
        }
    }
    if table.name.starts_with("pg_") {
        return refuse(format!(
            "table {}: on PostgreSQL a name beginning with pg_ is the system catalog's: rename \
             the table in the model",
            table.name
        ));
    }
    if let Some(c) = table.columns.iter().find(|c| c.name.len() > MAX_NAME) {
        return refuse(format!(
            "column {} of table {} has a name of {} bytes, and PostgreSQL keeps names of at most \
             {MAX_NAME} bytes: shorten it in the model",
            c.name,
            table.name,
            c.name.len()
        ));
    }
    Ok(())
}

/// `CREATE TABLE` for `table`, under the SQL name `name` (the table's own
/// name, or a shadow table's during a rebuild).
pub(crate) fn create_table_sql(table: &Table, name: &str) -> String {
    let mut sql = format!("CREATE TABLE {} (\n", quote(name));
    for (i, c) in table.columns.iter().enumerate() {
        let (_, ty) = pg_type(&c.ty);
        let _ = write!(sql, "    {} {ty}", quote(&c.name));
        if table.is_key(i) && ty == "TEXT" {
            sql.push_str(" COLLATE \"C\"");
        }
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

/// A timestamp as a `TIMESTAMPTZ` holds it: microseconds since 2000,
/// digits past the microsecond dropped (toward the past).
pub(crate) fn timestamp_micros(t: Timestamp) -> i64 {
    let t = truncate_time(t);
    t.as_second() * 1_000_000 + i64::from(t.subsec_nanosecond() / 1_000) - PG_EPOCH_MICROS
}

/// A `TIMESTAMPTZ`'s microseconds back into a timestamp; `None` outside
/// years 1 to 9999 (or `infinity`).
pub(crate) fn timestamp_of_micros(micros: i64) -> Option<Timestamp> {
    let unix = micros.checked_add(PG_EPOCH_MICROS)?;
    Timestamp::from_unix_nanos(i128::from(unix) * 1_000)
}

/// A duration as an `INTERVAL` holds it: microseconds, truncated toward
/// zero (§14; integer division does). The whole range of §14 (±315,576,000,000 s) fits an
/// interval's 64-bit microseconds with room to spare.
pub(crate) fn duration_micros(d: Duration) -> i64 {
    // In range: |d| < 3.2e17 microseconds.
    (d.as_nanos() / 1_000) as i64
}

/// An `INTERVAL` back into a duration: its microseconds and days (a day
/// is 24 hours, as §14's `d`). Months have no fixed length: `None`, as
/// for a value outside §14's range. eventfold writes neither days nor
/// months; an application's `UPDATE` may.
pub(crate) fn duration_of_interval(micros: i64, days: i32, months: i32) -> Option<Duration> {
    if months != 0 {
        return None;
    }
    let nanos = (i128::from(micros) + i128::from(days) * 86_400_000_000) * 1_000;
    Duration::from_nanos(nanos)
}

/// Does the value hold the character U+0000 anywhere (a map key too)?
/// PostgreSQL's text and JSONB cannot store it.
fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) | Value::Enum(s) => s.contains('\0'),
        Value::List(l) => l.iter().any(holds_nul),
        Value::Map(m) => m.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        Value::Record(r) => r.fields.iter().any(holds_nul),
        _ => false,
    }
}

/// One value bound to a statement, in PostgreSQL's binary format; the
/// statement's parameter types say which (each is its column's type).
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Str),
    /// Microseconds since 2000-01-01T00:00:00Z.
    Time(i64),
    /// Microseconds, no days, no months.
    Interval(i64),
    /// Canonical JSON text.
    Json(String),
}

impl Cell {
    /// The cell of a value: the timestamp and duration cut to the
    /// microsecond here (values inside JSON already are, by
    /// [`stored_row`]).
    fn of(v: &Value) -> Result<Cell> {
        if holds_nul(v) {
            return Err(Error::evaluation(
                "a string holding the character U+0000 cannot be written to a table on \
                 PostgreSQL, whose text cannot hold it: leave it out of the row",
            ));
        }
        Ok(match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Int(i) => Cell::Int(*i),
            Value::Float(f) => Cell::Float(*f),
            Value::String(s) | Value::Enum(s) => Cell::Text(s.clone()),
            Value::Timestamp(t) => Cell::Time(timestamp_micros(*t)),
            Value::Duration(d) => Cell::Interval(duration_micros(*d)),
            Value::List(_) | Value::Map(_) | Value::Record(_) => Cell::Json(v.to_json_string()),
        })
    }
}

impl ToSql for Cell {
    fn to_sql(
        &self,
        _ty: &PgType,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Cell::Null => return Ok(IsNull::Yes),
            Cell::Bool(b) => out.put_u8(u8::from(*b)),
            Cell::Int(i) | Cell::Time(i) => out.put_i64(*i),
            Cell::Float(f) => out.put_f64(*f),
            Cell::Text(s) => out.put_slice(s.as_bytes()),
            Cell::Interval(micros) => {
                out.put_i64(*micros);
                out.put_i32(0); // days
                out.put_i32(0); // months
            }
            Cell::Json(text) => {
                out.put_u8(1); // the version of JSONB's binary format
                out.put_slice(text.as_bytes());
            }
        }
        Ok(IsNull::No)
    }

    /// Every statement here types its parameters by their columns, and
    /// each cell is made for its column: nothing to check.
    fn accepts(_ty: &PgType) -> bool {
        true
    }

    to_sql_checked!();
}

/// A cell as it came: its column's type on the server and its bytes in
/// binary format (`None`: NULL). [`decode`] reads it.
#[derive(Debug)]
struct Raw<'a> {
    ty: PgType,
    bytes: Option<&'a [u8]>,
}

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        ty: &PgType,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw {
            ty: ty.clone(),
            bytes: Some(raw),
        })
    }

    fn from_sql_null(
        ty: &PgType,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw {
            ty: ty.clone(),
            bytes: None,
        })
    }

    fn accepts(_ty: &PgType) -> bool {
        true
    }
}

fn be_i64(b: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

fn be_i32(b: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

/// A stored cell back into a typed value of column `column` of `table`.
fn decode(types: &Types, table: &Table, column: usize, raw: Raw<'_>) -> Result<Value> {
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
    let (want, _) = pg_type(&c.ty);
    if raw.ty != want {
        return Err(bad(format!("values of type {}", raw.ty.name())));
    }
    let Some(b) = raw.bytes else {
        return if c.ty.is_optional() {
            Ok(Value::Null)
        } else {
            Err(bad("NULL".into()))
        };
    };
    let exact = |n: usize| {
        if b.len() == n {
            Ok(())
        } else {
            Err(bad(format!("{} bytes", b.len())))
        }
    };
    let text = || std::str::from_utf8(b).map_err(|_| bad("text that is not UTF-8".into()));
    let ty = c.ty.unwrap_optional();
    Ok(match ty {
        Type::Int => {
            exact(8)?;
            Value::Int(be_i64(b).unwrap_or_default())
        }
        Type::Bool => match b {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => return Err(bad(format!("{b:?}"))),
        },
        Type::Float => {
            exact(8)?;
            let f = f64::from_bits(be_i64(b).unwrap_or_default() as u64);
            if !f.is_finite() {
                return Err(bad(format!("{f}")));
            }
            Value::Float(f)
        }
        Type::String => Value::str(text()?),
        Type::Enum(e) => {
            let s = text()?;
            if !types.enums[*e].index.contains_key(s) {
                return Err(bad(format!("`{s}`")));
            }
            Value::Enum(s.into())
        }
        Type::Timestamp => {
            exact(8)?;
            let micros = be_i64(b).unwrap_or_default();
            Value::Timestamp(
                timestamp_of_micros(micros)
                    .ok_or_else(|| bad("a time outside years 1 to 9999".into()))?,
            )
        }
        Type::Duration => {
            exact(16)?;
            let micros = be_i64(b).unwrap_or_default();
            let days = be_i32(&b[8..]).unwrap_or_default();
            let months = be_i32(&b[12..]).unwrap_or_default();
            Value::Duration(duration_of_interval(micros, days, months).ok_or_else(|| {
                bad(format!(
                    "an interval of {months} months, {days} days and {micros} microseconds \
                     (months have no fixed length, and a duration spans at most {})",
                    format_duration(Duration::MAX)
                ))
            })?)
        }
        Type::List(_) | Type::Map(_) | Type::Record(_) => {
            let json = match b.split_first() {
                Some((1, rest)) => {
                    std::str::from_utf8(rest).map_err(|_| bad("JSON that is not UTF-8".into()))?
                }
                _ => return Err(bad("JSONB of an unknown binary version".into())),
            };
            let json: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| bad(format!("text that is not JSON ({e})")))?;
            let mut path = String::new();
            types.decode(&json, ty, &mut path).map_err(|e| {
                bad(format!(
                    "JSON that does not fit ({}: {})",
                    e.path, e.message
                ))
            })?
        }
        _ => return Err(bad("a value of no column type".into())),
    })
}

/// The kinds of statement [`PgRows`] keeps the text of.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Get,
    Has,
    Insert,
    Upsert,
    Keys,
    Delete,
    Scan,
    Page,
    PageAfter,
    /// By the set of columns it sets.
    Update,
}

/// The rows of a domain's tables, in SQL tables of one PostgreSQL
/// connection.
///
/// Every statement runs on the connection as it is: inside the caller's
/// transaction, so rows commit with the events. No statement here fails
/// on a row's content (an `insert` of a taken key is `ON CONFLICT DO
/// NOTHING`, a string PostgreSQL cannot hold is refused before it is
/// sent): on PostgreSQL a failed statement aborts the whole transaction,
/// so an error here is the transaction's end, never a value to go on from.
pub(crate) struct PgRows<'c> {
    /// `RefCell`: the reads of [`RowStore`] take `&self`, and every
    /// statement needs the client mutably.
    c: RefCell<&'c mut Conn>,
    read: &'c ReadSide,
    /// The SQL name of each table, by [`Table::index`], quoted: the
    /// table's own name, or a shadow table's while it is rebuilt.
    names: Vec<String>,
    /// The text of each statement made so far, by (table, statement, key
    /// values): a batch of events writes the same few over and over.
    texts: RefCell<HashMap<(u32, Kind, usize), Rc<str>>>,
}

impl<'c> PgRows<'c> {
    /// Over tables stored under other SQL names (`names[table.index]`).
    pub(crate) fn with_names(
        c: &'c mut Conn,
        read: &'c ReadSide,
        names: Vec<String>,
    ) -> PgRows<'c> {
        let names = names.iter().map(|n| quote(n)).collect();
        PgRows {
            c: RefCell::new(c),
            read,
            names,
            texts: RefCell::default(),
        }
    }

    /// The statement `kind` over `table` with `n` key values, made by
    /// `make` the first time.
    fn text(&self, table: &Table, kind: Kind, n: usize, make: impl FnOnce() -> String) -> Rc<str> {
        self.texts
            .borrow_mut()
            .entry((table.index, kind, n))
            .or_insert_with(|| Rc::from(make()))
            .clone()
    }

    fn name(&self, table: &Table) -> &str {
        &self.names[table.index as usize]
    }

    /// `k1 = $1 AND ...` over the first `n` key columns, from `$first`.
    fn equal_keys(table: &Table, n: usize, first: usize) -> Vec<String> {
        sql::key_columns(table)
            .take(n)
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", first + i))
            .collect()
    }

    fn where_of(clauses: &[String]) -> String {
        if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
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

    /// Key values as parameters, typed by their key columns.
    fn key_cells(table: &Table, values: &[Value]) -> Result<Vec<(Cell, PgType)>> {
        table
            .key
            .iter()
            .zip(values)
            .map(|(&k, v)| Ok((Cell::of(v)?, pg_type(&table.columns[k as usize].ty).0)))
            .collect()
    }

    fn row_cells(table: &Table, row: &Value) -> Result<Vec<(Cell, PgType)>> {
        match row {
            Value::Record(r) if r.fields.len() == table.columns.len() => r
                .fields
                .iter()
                .zip(&table.columns)
                .map(|(v, c)| Ok((Cell::of(v)?, pg_type(&c.ty).0)))
                .collect(),
            _ => Err(Error::Internal {
                message: format!(
                    "a row of table {} is not a record of its columns",
                    table.name
                ),
            }),
        }
    }

    fn insert_sql(&self, table: &Table, conflict: &str) -> String {
        let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
            self.name(table),
            sql::column_list(table),
            marks.join(", "),
            sql::key_columns(table).collect::<Vec<_>>().join(", ")
        )
    }

    fn query(
        &self,
        table: &Table,
        sql: &str,
        cells: &[(Cell, PgType)],
    ) -> Result<Vec<postgres::Row>> {
        let params: Vec<(&(dyn ToSql + Sync), PgType)> = cells
            .iter()
            .map(|(c, t)| (c as &(dyn ToSql + Sync), t.clone()))
            .collect();
        self.c
            .borrow_mut()
            .client
            .query_typed(sql, &params)
            .map_err(|e| err(&format!("cannot read table {}", table.name), e))
    }

    fn execute(&self, table: &Table, sql: &str, cells: &[(Cell, PgType)]) -> Result<u64> {
        let params: Vec<(&(dyn ToSql + Sync), PgType)> = cells
            .iter()
            .map(|(c, t)| (c as &(dyn ToSql + Sync), t.clone()))
            .collect();
        self.c
            .borrow_mut()
            .client
            .execute_typed(sql, &params)
            .map_err(|e| err(&format!("cannot write table {}", table.name), e))
    }

    /// Rows of `sql` (selecting every column) as records of the table.
    fn query_rows(&self, table: &Table, sql: &str, cells: &[(Cell, PgType)]) -> Result<Vec<Value>> {
        let context = || format!("cannot read table {}", table.name);
        let mut out = Vec::new();
        for row in self.query(table, sql, cells)? {
            let mut fields = Vec::with_capacity(table.columns.len());
            for i in 0..table.columns.len() {
                let raw: Raw<'_> = row.try_get(i).map_err(|e| err(&context(), e))?;
                fields.push(decode(&self.read.types, table, i, raw)?);
            }
            out.push(Value::record(table.shape.clone(), fields));
        }
        Ok(out)
    }
}

impl RowStore for PgRows<'_> {
    fn get(&self, table: &Table, key: &[Value]) -> Result<Option<Value>> {
        Self::check_prefix(table, key, true)?;
        let sql = self.text(table, Kind::Get, key.len(), || {
            format!(
                "SELECT {} FROM {}{}",
                sql::column_list(table),
                self.name(table),
                Self::where_of(&Self::equal_keys(table, key.len(), 1))
            )
        });
        Ok(self
            .query_rows(table, &sql, &Self::key_cells(table, key)?)?
            .pop())
    }

    fn has(&self, table: &Table, key: &[Value]) -> Result<bool> {
        Self::check_prefix(table, key, true)?;
        let sql = self.text(table, Kind::Has, key.len(), || {
            format!(
                "SELECT 1 FROM {}{}",
                self.name(table),
                Self::where_of(&Self::equal_keys(table, key.len(), 1))
            )
        });
        Ok(!self
            .query(table, &sql, &Self::key_cells(table, key)?)?
            .is_empty())
    }

    fn insert(&mut self, table: &Table, row: Value) -> Result<bool> {
        let cells = Self::row_cells(table, &stored_row(row))?;
        let sql = self.text(table, Kind::Insert, 0, || {
            self.insert_sql(table, "DO NOTHING")
        });
        Ok(self.execute(table, &sql, &cells)? == 1)
    }

    fn upsert(&mut self, table: &Table, row: Value) -> Result<()> {
        let cells = Self::row_cells(table, &stored_row(row))?;
        let sql = self.text(table, Kind::Upsert, 0, || {
            let set: Vec<String> = table
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| !table.is_key(*i))
                .map(|(_, c)| format!("{0} = EXCLUDED.{0}", quote(&c.name)))
                .collect();
            let conflict = if set.is_empty() {
                "DO NOTHING".to_string()
            } else {
                format!("DO UPDATE SET {}", set.join(", "))
            };
            self.insert_sql(table, &conflict)
        });
        self.execute(table, &sql, &cells)?;
        Ok(())
    }

    /// One `UPDATE`, one round trip, instead of a read and a rewrite.
    fn update(&mut self, table: &Table, key: &[Value], set: &[(u32, Value)]) -> Result<bool> {
        Self::check_prefix(table, key, true)?;
        if set.is_empty() {
            return self.has(table, key);
        }
        let Some((set, columns)) = update_columns(table, set) else {
            return update_by_rewrite(self, table, key, set);
        };
        let sql = self.text(table, Kind::Update, columns as usize, || {
            let assign: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(i, (c, _))| {
                    format!("{} = ${}", quote(&table.columns[*c as usize].name), i + 1)
                })
                .collect();
            format!(
                "UPDATE {} SET {}{}",
                self.name(table),
                assign.join(", "),
                Self::where_of(&Self::equal_keys(table, key.len(), set.len() + 1))
            )
        });
        let mut cells = Vec::with_capacity(set.len() + key.len());
        for (c, v) in &set {
            let ty = pg_type(&table.columns[*c as usize].ty).0;
            cells.push((Cell::of(&stored_row(v.clone()))?, ty));
        }
        cells.extend(Self::key_cells(table, key)?);
        Ok(self.execute(table, &sql, &cells)? == 1)
    }

    fn keys(&self, table: &Table, prefix: &[Value]) -> Result<Vec<Vec<Value>>> {
        Self::check_prefix(table, prefix, false)?;
        let sql = self.text(table, Kind::Keys, prefix.len(), || {
            format!(
                "SELECT {} FROM {}{}{}",
                sql::key_columns(table).collect::<Vec<_>>().join(", "),
                self.name(table),
                Self::where_of(&Self::equal_keys(table, prefix.len(), 1)),
                Self::order_by(table)
            )
        });
        let context = || format!("cannot read table {}", table.name);
        let mut out = Vec::new();
        for row in self.query(table, &sql, &Self::key_cells(table, prefix)?)? {
            let mut key = Vec::with_capacity(table.key.len());
            for (i, &k) in table.key.iter().enumerate() {
                let raw: Raw<'_> = row.try_get(i).map_err(|e| err(&context(), e))?;
                key.push(decode(&self.read.types, table, k as usize, raw)?);
            }
            out.push(key);
        }
        Ok(out)
    }

    fn delete(&mut self, table: &Table, prefix: &[Value]) -> Result<u64> {
        Self::check_prefix(table, prefix, false)?;
        let sql = self.text(table, Kind::Delete, prefix.len(), || {
            format!(
                "DELETE FROM {}{}",
                self.name(table),
                Self::where_of(&Self::equal_keys(table, prefix.len(), 1))
            )
        });
        self.execute(table, &sql, &Self::key_cells(table, prefix)?)
    }

    fn scan(&self, table: &Table) -> Result<Vec<Value>> {
        let sql = self.text(table, Kind::Scan, 0, || {
            format!(
                "SELECT {} FROM {}{}",
                sql::column_list(table),
                self.name(table),
                Self::order_by(table)
            )
        });
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
        if let Some(after) = after {
            Self::check_prefix(table, after, true)?;
        }
        let n = prefix.len();
        let kind = if after.is_some() {
            Kind::PageAfter
        } else {
            Kind::Page
        };
        let sql = self.text(table, kind, n, || {
            let mut clauses = Self::equal_keys(table, n, 1);
            let mut next = n + 1;
            if after.is_some() {
                // A row value comparison: key order, as the primary key
                // sorts (text key columns by their "C" collation).
                let keys: Vec<String> = sql::key_columns(table).collect();
                let marks: Vec<String> =
                    (0..keys.len()).map(|i| format!("${}", next + i)).collect();
                next += keys.len();
                clauses.push(format!("({}) > ({})", keys.join(", "), marks.join(", ")));
            }
            format!(
                "SELECT {} FROM {}{}{} LIMIT ${next}",
                sql::column_list(table),
                self.name(table),
                Self::where_of(&clauses),
                Self::order_by(table)
            )
        });
        let mut cells = Self::key_cells(table, prefix)?;
        if let Some(after) = after {
            cells.extend(Self::key_cells(table, after)?);
        }
        cells.push((
            Cell::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            PgType::INT8,
        ));
        self.query_rows(table, &sql, &cells)
    }
}

#[cfg(test)]
mod tests;
