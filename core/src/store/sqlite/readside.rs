//! [`ReadSideTx`] on one SQLite connection, inside whatever transaction it
//! is in: the append's (inline projections commit with their events) or a
//! read-side transaction of its own.

use rusqlite::{params, Connection, OptionalExtension};

use super::tables::{create_table_sql, SqliteRows};
use super::{err, head, int_sql, read_all, read_all_into};
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{Projection, ReadSide};
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::sql::quote;
use crate::store::{RawEvent, ReadFilter};
use crate::tables::RowStore;

/// The read side over one connection.
pub(super) struct SqliteReadSide<'c> {
    pub(super) conn: &'c Connection,
}

impl SqliteReadSide<'_> {
    /// Is this SQL table one eventfold made (for some projection)?
    fn owned(&self, name: &str) -> Result<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM eventfold_projection_tables WHERE sql_name = ?1 COLLATE NOCASE",
            )
            .and_then(|mut s| s.exists(params![name]))
            .map_err(|e| err("cannot read eventfold_projection_tables", e))
    }

    fn exists(&self, name: &str) -> Result<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            )
            .and_then(|mut s| s.exists(params![name]))
            .map_err(|e| err("cannot read the schema", e))
    }

    fn drop_owned(&self, name: &str) -> Result<()> {
        if !self.owned(name)? {
            return Ok(());
        }
        let fail = |e| err(&format!("cannot drop table {name}"), e);
        self.conn
            .execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(name)))
            .map_err(fail)?;
        self.conn
            .execute(
                "DELETE FROM eventfold_projection_tables WHERE sql_name = ?1 COLLATE NOCASE",
                params![name],
            )
            .map_err(fail)?;
        Ok(())
    }

    /// A table of the file that eventfold did not make is the application's:
    /// never dropped, never written.
    fn refuse_foreign(&self, name: &str, projection: &str) -> Result<()> {
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
}

impl ReadSideTx for SqliteReadSide<'_> {
    fn head(&mut self) -> Result<u64> {
        head(self.conn)
    }

    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>> {
        read_all(self.conn, filter, from, limit)
    }

    fn read_all_into(
        &mut self,
        filter: &ReadFilter,
        from: u64,
        limit: usize,
        out: &mut Vec<RawEvent>,
    ) -> Result<()> {
        out.clear();
        read_all_into(self.conn, filter, from, limit, out)
    }

    fn count_after(&mut self, position: u64) -> Result<u64> {
        self.conn
            .prepare_cached("SELECT count(*) FROM eventfold_events WHERE position > ?1")
            .and_then(|mut s| s.query_row(params![int_sql(position)], |r| r.get::<_, i64>(0)))
            .map(|n| n.max(0) as u64)
            .map_err(|e| err("cannot count events", e))
    }

    fn projection(&mut self, name: &str) -> Result<Option<ProjectionRow>> {
        self.conn
            .prepare_cached(
                "SELECT mode, fingerprint, position, error, error_position, shadow_fingerprint, \
                 shadow_position, lease_owner, lease_until FROM eventfold_projections \
                 WHERE name = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![name], |r| {
                    Ok(ProjectionRow {
                        name: name.to_string(),
                        mode: r.get(0)?,
                        fingerprint: r.get(1)?,
                        position: r.get::<_, i64>(2)?.max(0) as u64,
                        error: r.get(3)?,
                        error_position: r.get::<_, Option<i64>>(4)?.map(|p| p.max(0) as u64),
                        shadow_fingerprint: r.get(5)?,
                        shadow_position: r.get::<_, Option<i64>>(6)?.unwrap_or(0).max(0) as u64,
                        lease_owner: r.get(7)?,
                        // The column is TEXT (schema 3): Unix milliseconds
                        // as digits.
                        lease_until: r.get::<_, Option<String>>(8)?.and_then(|t| t.parse().ok()),
                    })
                })
                .optional()
            })
            .map_err(|e| err("cannot read eventfold_projections", e))
    }

    fn put_projection(&mut self, row: &ProjectionRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO eventfold_projections (name, mode, fingerprint, status, position, \
                 error, error_position, shadow_fingerprint, shadow_position, lease_owner, lease_until) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, \
                 fingerprint = excluded.fingerprint, status = excluded.status, \
                 position = excluded.position, error = excluded.error, \
                 error_position = excluded.error_position, \
                 shadow_fingerprint = excluded.shadow_fingerprint, \
                 shadow_position = excluded.shadow_position, \
                 lease_owner = excluded.lease_owner, lease_until = excluded.lease_until",
            )
            .and_then(|mut s| {
                // The schema knows `live` and `stopped`; a rebuild is a live
                // row with a shadow.
                let status = if row.error.is_some() {
                    "stopped"
                } else {
                    "live"
                };
                s.execute(params![
                    row.name,
                    row.mode,
                    row.fingerprint,
                    status,
                    int_sql(row.position),
                    row.error,
                    row.error_position.map(int_sql),
                    row.shadow_fingerprint,
                    int_sql(row.shadow_position),
                    row.lease_owner,
                    row.lease_until.map(|t| t.to_string()),
                ])
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
        let fail = |e| {
            err(
                &format!("cannot create the tables of projection {}", p.name),
                e,
            )
        };
        for (&t, name) in p.writes.iter().zip(names) {
            self.refuse_foreign(name, &p.name)?;
            self.drop_owned(name)?;
            let table = &read.tables[t as usize];
            self.conn
                .execute_batch(&create_table_sql(table, name))
                .map_err(fail)?;
            self.conn
                .execute(
                    "INSERT INTO eventfold_projection_tables \
                     (sql_name, projection, table_name, fingerprint) VALUES (?1, ?2, ?3, ?4)",
                    params![name, &*p.name, &*table.name, fingerprint],
                )
                .map_err(fail)?;
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
            let fail = |e| err(&format!("cannot rename table {old} to {new}"), e);
            self.conn
                .execute_batch(&format!(
                    "ALTER TABLE {} RENAME TO {}",
                    quote(old),
                    quote(new)
                ))
                .map_err(fail)?;
            self.conn
                .execute(
                    "UPDATE eventfold_projection_tables SET sql_name = ?2, fingerprint = ?3 \
                     WHERE sql_name = ?1 COLLATE NOCASE",
                    params![old, new, fingerprint],
                )
                .map_err(fail)?;
        }
        Ok(())
    }

    fn with_rows(
        &mut self,
        read: &ReadSide,
        names: &[String],
        work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()> {
        let mut rows = SqliteRows::with_names(self.conn, read, names.to_vec());
        work(&mut rows)
    }
}
