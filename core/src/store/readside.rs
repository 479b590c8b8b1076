//! What the store keeps for projections (MODEL-LANGUAGE.md §13): their
//! tables' rows, live or shadow, and one row of bookkeeping each
//! (`eventfold_projections` on SQLite).
//!
//! The store knows the tables only through the domain's [`ReadSide`],
//! which the engine hands it; it never decides what a row holds. Every
//! method runs inside a transaction: the append's (inline projections, see
//! [`super::WriteTx::read_side`]) or one of its own
//! ([`super::Store::read_side`]: an async batch, a rebuild step, a read).

use super::{RawEvent, ReadFilter};
use crate::error::Result;
use crate::language::readside::{Projection, ReadSide};
use crate::tables::RowStore;

/// A projection's bookkeeping row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProjectionRow {
    pub name: String,
    /// `inline` or `async`, as the model that made the live tables said.
    pub mode: String,
    /// Of the projection whose rows the live tables hold.
    pub fingerprint: String,
    /// The last global position folded into the live tables (0: none),
    /// committed with the rows.
    pub position: u64,
    /// Why the projection stopped (`{"code", "message"}` JSON), and at which
    /// position; `None` while it runs.
    pub error: Option<String>,
    pub error_position: Option<u64>,
    /// While a rebuild runs: the fingerprint the shadow tables are built
    /// for, and the last position folded into them.
    pub shadow_fingerprint: Option<String>,
    pub shadow_position: u64,
    /// The engine that runs it (`host:pid:id`), and until when (Unix
    /// milliseconds) unless it renews.
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
}

impl ProjectionRow {
    /// Is the lease held, at `now` (Unix milliseconds), by a live runner?
    pub fn lease_live(&self, now: i64) -> bool {
        match (&self.lease_owner, self.lease_until) {
            (Some(owner), Some(until)) => until > now && crate::store::owner_alive(owner),
            _ => false,
        }
    }
}

/// The SQL name of a shadow table: eventfold's prefix, so that it can never
/// be an application's table (§13 forbids table names that begin with it).
pub(crate) fn shadow_name(table: &str) -> String {
    format!("eventfold_shadow_{table}")
}

/// Projection work inside one store transaction.
pub(crate) trait ReadSideTx {
    /// The position of the last committed (or, in this transaction,
    /// appended) event.
    fn head(&mut self) -> Result<u64>;

    /// Like [`super::Store::read_all`], inside the transaction.
    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>>;

    /// [`ReadSideTx::read_all`] into `out`, which is cleared first. A runner
    /// that reads batch after batch keeps one buffer: a thousand events'
    /// worth of memory, freed and taken again each batch, cost it more than
    /// the copy of the rows (glibc consolidates its free lists on each).
    fn read_all_into(
        &mut self,
        filter: &ReadFilter,
        from: u64,
        limit: usize,
        out: &mut Vec<RawEvent>,
    ) -> Result<()> {
        *out = self.read_all(filter, from, limit)?;
        Ok(())
    }

    /// How many events lie past `position`: a projection's lag.
    fn count_after(&mut self, position: u64) -> Result<u64>;

    fn projection(&mut self, name: &str) -> Result<Option<ProjectionRow>>;

    /// Writes the row (insert or replace).
    fn put_projection(&mut self, row: &ProjectionRow) -> Result<()>;

    /// Creates the tables `p` writes, `names[i]` for `p.writes[i]`, empty:
    /// any table of that name eventfold made before is dropped first. A
    /// name taken by a table that is not eventfold's is refused.
    fn create_tables(
        &mut self,
        read: &ReadSide,
        p: &Projection,
        names: &[String],
        fingerprint: &str,
    ) -> Result<()>;

    /// Drops tables eventfold made (a name it does not own is left alone).
    fn drop_tables(&mut self, names: &[String]) -> Result<()>;

    /// Renames eventfold's tables `from[i]` to `to[i]`, dropping any table
    /// of eventfold's under the new name first: the swap of a rebuild.
    fn rename_tables(&mut self, from: &[String], to: &[String], fingerprint: &str) -> Result<()>;

    /// Runs `work` over the domain's tables, table `t` stored under
    /// `names[t.index]`.
    fn with_rows(
        &mut self,
        read: &ReadSide,
        names: &[String],
        work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()>;
}

/// The SQL names of a domain's tables: their own, except those `shadow`
/// writes, which take their shadow names.
pub(crate) fn table_names(read: &ReadSide, shadow: Option<&Projection>) -> Vec<String> {
    read.tables
        .iter()
        .map(|t| match shadow {
            Some(p) if p.writes.contains(&t.index) => shadow_name(&t.name),
            _ => t.name.to_string(),
        })
        .collect()
}
