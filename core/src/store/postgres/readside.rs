//! [`ReadSideTx`] on one PostgreSQL connection, inside whatever transaction
//! it is in: the append's (inline projections commit with their events) or
//! a read-side transaction of its own. SQLite's (`../sqlite/readside.rs`)
//! in PostgreSQL's SQL.
//!
//! PostgreSQL aborts a whole transaction at its first failed statement, so
//! nothing here tries a statement to see whether it fails: whether a table
//! exists and whether eventfold owns it are asked first.
//!
//! Table names are matched exactly: PostgreSQL folds nothing inside quotes,
//! so `Todo_rows` and `todo_rows` are two tables there (SQLite compares
//! them without case, `COLLATE NOCASE`). A model's table names are
//! snake_case, and every name eventfold records is the one it created.

use postgres::error::SqlState;
use postgres::types::Type;

use super::conn::Conn;
use super::tables::{check_names, create_table_sql, PgRows};
use super::{err, head, int_sql, quote, read_all};
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{Projection, ReadSide};
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter};
use crate::tables::RowStore;

/// The read side over one connection.
pub(super) struct PgReadSide<'c> {
    pub(super) c: &'c mut Conn,
}

impl PgReadSide<'_> {
    /// Is this SQL table one eventfold made (for some projection)?
    fn owned(&mut self, name: &str) -> Result<bool> {
        let c = &mut *self.c;
        c.prepared(
            "SELECT 1 FROM eventfold_projection_tables WHERE sql_name = $1",
            &[Type::TEXT],
        )
        .and_then(|s| c.client.query_opt(&s, &[&name]))
        .map(|r| r.is_some())
        .map_err(|e| err("cannot read eventfold_projection_tables", e))
    }

    /// Does the store's schema hold anything of this name? Tables, views,
    /// indexes and sequences share one namespace there: any of them takes
    /// the name from a new table.
    fn exists(&mut self, name: &str) -> Result<bool> {
        let c = &mut *self.c;
        c.prepared(
            "SELECT 1 FROM pg_catalog.pg_class r \
             JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
             WHERE n.nspname = current_schema() AND r.relname = $1",
            &[Type::TEXT],
        )
        .and_then(|s| c.client.query_opt(&s, &[&name]))
        .map(|r| r.is_some())
        .map_err(|e| err("cannot read the schema", e))
    }

    fn batch(&mut self, sql: &str, context: &str) -> Result<()> {
        self.c.client.batch_execute(sql).map_err(|e| {
            if e.code() == Some(&SqlState::DEPENDENT_OBJECTS_STILL_EXIST) {
                let why = e
                    .as_db_error()
                    .map(|d| match d.detail() {
                        Some(detail) => format!("{} ({detail})", d.message()),
                        None => d.message().to_string(),
                    })
                    .unwrap_or_default();
                Error::StoreError {
                    kind: StoreErrorKind::Unavailable,
                    message: format!(
                        "{context}: {why}; eventfold drops and replaces its tables when a \
                         projection is rebuilt, and never drops what the application made: \
                         drop the views or foreign keys over the table, or make them over a \
                         table of the application's own"
                    ),
                }
            } else {
                err(context, e)
            }
        })
    }

    fn drop_owned(&mut self, name: &str) -> Result<()> {
        if !self.owned(name)? {
            return Ok(());
        }
        let context = format!("cannot drop table {name}");
        self.batch(&format!("DROP TABLE IF EXISTS {}", quote(name)), &context)?;
        let c = &mut *self.c;
        c.prepared(
            "DELETE FROM eventfold_projection_tables WHERE sql_name = $1",
            &[Type::TEXT],
        )
        .and_then(|s| c.client.execute(&s, &[&name]))
        .map_err(|e| err(&context, e))?;
        Ok(())
    }

    /// A table of the schema that eventfold did not make is the
    /// application's: never dropped, never written.
    fn refuse_foreign(&mut self, name: &str, projection: &str) -> Result<()> {
        if self.exists(name)? && !self.owned(name)? {
            return Err(Error::StoreError {
                kind: StoreErrorKind::Unavailable,
                message: format!(
                    "the store already has a table `{name}` that is not eventfold's; projection \
                     {projection} writes a table of that name: rename the table in the model or \
                     in the database"
                ),
            });
        }
        Ok(())
    }

    /// Gives the renamed table's primary key the name PostgreSQL gives a
    /// new table's (`todo_rows_pkey`), when that name is free: after a swap
    /// the table looks as if made under its own name.
    fn rename_primary_key(&mut self, table: &str) -> Result<()> {
        let wanted = format!("{table}_pkey");
        if wanted.len() > 63 || self.exists(&wanted)? {
            return Ok(());
        }
        let c = &mut *self.c;
        let found = c
            .prepared(
                "SELECT k.conname::text FROM pg_catalog.pg_constraint k \
                 JOIN pg_catalog.pg_class r ON r.oid = k.conrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
                 WHERE n.nspname = current_schema() AND r.relname = $1 AND k.contype = 'p'",
                &[Type::TEXT],
            )
            .and_then(|s| c.client.query_opt(&s, &[&table]))
            .map_err(|e| err(&format!("cannot read the primary key of {table}"), e))?;
        if let Some(row) = found {
            let old: String = row.get(0);
            self.batch(
                &format!(
                    "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                    quote(table),
                    quote(&old),
                    quote(&wanted)
                ),
                &format!("cannot rename the primary key of {table}"),
            )?;
        }
        Ok(())
    }
}

impl ReadSideTx for PgReadSide<'_> {
    fn head(&mut self) -> Result<u64> {
        head(self.c)
    }

    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>> {
        read_all(self.c, filter, from, limit)
    }

    fn count_after(&mut self, position: u64) -> Result<u64> {
        let c = &mut *self.c;
        c.prepared(
            "SELECT count(*) FROM eventfold_events WHERE position > $1",
            &[Type::INT8],
        )
        .and_then(|s| c.client.query_one(&s, &[&int_sql(position)]))
        .map(|r| r.get::<_, i64>(0).max(0) as u64)
        .map_err(|e| err("cannot count events", e))
    }

    fn projection(&mut self, name: &str) -> Result<Option<ProjectionRow>> {
        let c = &mut *self.c;
        let row = c
            .prepared(
                "SELECT mode, fingerprint, position, error, error_position, shadow_fingerprint, \
                 shadow_position, lease_owner, lease_until FROM eventfold_projections \
                 WHERE name = $1",
                &[Type::TEXT],
            )
            .and_then(|s| c.client.query_opt(&s, &[&name]))
            .map_err(|e| err("cannot read eventfold_projections", e))?;
        let Some(r) = row else {
            return Ok(None);
        };
        let read = || -> std::result::Result<ProjectionRow, postgres::Error> {
            Ok(ProjectionRow {
                name: name.to_string(),
                mode: r.try_get(0)?,
                fingerprint: r.try_get(1)?,
                position: r.try_get::<_, i64>(2)?.max(0) as u64,
                error: r.try_get(3)?,
                error_position: r.try_get::<_, Option<i64>>(4)?.map(|p| p.max(0) as u64),
                shadow_fingerprint: r.try_get(5)?,
                shadow_position: r.try_get::<_, Option<i64>>(6)?.unwrap_or(0).max(0) as u64,
                lease_owner: r.try_get(7)?,
                // BIGINT here (SQLite's is text): Unix milliseconds.
                lease_until: r.try_get(8)?,
            })
        };
        read()
            .map(Some)
            .map_err(|e| err("cannot read eventfold_projections", e))
    }

    fn put_projection(&mut self, row: &ProjectionRow) -> Result<()> {
        // The schema knows `live` and `stopped`; a rebuild is a live row
        // with a shadow.
        let status = if row.error.is_some() {
            "stopped"
        } else {
            "live"
        };
        let c = &mut *self.c;
        c.prepared(
            "INSERT INTO eventfold_projections (name, mode, fingerprint, status, position, \
             error, error_position, shadow_fingerprint, shadow_position, lease_owner, lease_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, \
             fingerprint = excluded.fingerprint, status = excluded.status, \
             position = excluded.position, error = excluded.error, \
             error_position = excluded.error_position, \
             shadow_fingerprint = excluded.shadow_fingerprint, \
             shadow_position = excluded.shadow_position, \
             lease_owner = excluded.lease_owner, lease_until = excluded.lease_until",
            &[
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
            ],
        )
        .and_then(|s| {
            c.client.execute(
                &s,
                &[
                    &row.name,
                    &row.mode,
                    &row.fingerprint,
                    &status,
                    &int_sql(row.position),
                    &row.error,
                    &row.error_position.map(int_sql),
                    &row.shadow_fingerprint,
                    &int_sql(row.shadow_position),
                    &row.lease_owner,
                    &row.lease_until,
                ],
            )
        })
        .map(|_| ())
        .map_err(|e| err("cannot write eventfold_projections", e))
    }

    fn create_tables(
        &mut self,
        read: &ReadSide,
        p: &Projection,
        names: &[String],
        fingerprint: &str,
    ) -> Result<()> {
        let context = format!("cannot create the tables of projection {}", p.name);
        // Every name is checked before any table is made.
        for (&t, name) in p.writes.iter().zip(names) {
            check_names(&read.tables[t as usize], name)?;
        }
        for (&t, name) in p.writes.iter().zip(names) {
            self.refuse_foreign(name, &p.name)?;
            self.drop_owned(name)?;
            let table = &read.tables[t as usize];
            self.batch(&create_table_sql(table, name), &context)?;
            let c = &mut *self.c;
            c.prepared(
                "INSERT INTO eventfold_projection_tables \
                 (sql_name, projection, table_name, fingerprint) VALUES ($1, $2, $3, $4)",
                &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT],
            )
            .and_then(|s| {
                c.client
                    .execute(&s, &[name, &&*p.name, &&*table.name, &fingerprint])
            })
            .map_err(|e| err(&context, e))?;
        }
        Ok(())
    }

    fn drop_tables(&mut self, names: &[String]) -> Result<()> {
        for name in names {
            self.drop_owned(name)?;
        }
        Ok(())
    }

    fn rename_tables(&mut self, from: &[String], to: &[String], fingerprint: &str) -> Result<()> {
        for (old, new) in from.iter().zip(to) {
            self.refuse_foreign(new, "being swapped in")?;
            self.drop_owned(new)?;
            let context = format!("cannot rename table {old} to {new}");
            self.batch(
                &format!("ALTER TABLE {} RENAME TO {}", quote(old), quote(new)),
                &context,
            )?;
            let c = &mut *self.c;
            c.prepared(
                "UPDATE eventfold_projection_tables SET sql_name = $2, fingerprint = $3 \
                 WHERE sql_name = $1",
                &[Type::TEXT, Type::TEXT, Type::TEXT],
            )
            .and_then(|s| c.client.execute(&s, &[old, new, &fingerprint]))
            .map_err(|e| err(&context, e))?;
            self.rename_primary_key(new)?;
        }
        Ok(())
    }

    fn with_rows(
        &mut self,
        read: &ReadSide,
        names: &[String],
        work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()> {
        let mut rows = PgRows::with_names(self.c, read, names.to_vec());
        work(&mut rows)
    }
}
