//! The memory store's tables and projection bookkeeping: the same contract
//! as SQLite's, in persistent maps, so that a transaction's start (and each
//! savepoint) is a cheap copy that a failure restores.

use std::collections::HashMap;

use super::Inner;
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{Projection, ReadSide};
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter};
use crate::tables::{MemoryRows, MemoryTable, RowStore};

/// What the memory store keeps for projections.
#[derive(Debug, Clone, Default)]
pub(super) struct ReadSpace {
    /// Tables by SQL name (live or shadow).
    tables: HashMap<String, MemoryTable>,
    projections: HashMap<String, ProjectionRow>,
}

impl ReadSideTx for Inner {
    fn head(&mut self) -> Result<u64> {
        Ok(self.log.len() as u64)
    }

    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>> {
        Ok(self.read_all_filtered(filter, from, limit))
    }

    fn count_after(&mut self, position: u64) -> Result<u64> {
        Ok((self.log.len() as u64).saturating_sub(position))
    }

    fn projection(&mut self, name: &str) -> Result<Option<ProjectionRow>> {
        Ok(self.read.projections.get(name).cloned())
    }

    fn put_projection(&mut self, row: &ProjectionRow) -> Result<()> {
        self.read.projections.insert(row.name.clone(), row.clone());
        Ok(())
    }

    fn create_tables(
        &mut self,
        _read: &ReadSide,
        _p: &Projection,
        names: &[String],
        _fingerprint: &str,
    ) -> Result<()> {
        for name in names {
            self.read.tables.insert(name.clone(), MemoryTable::new());
        }
        Ok(())
    }

    fn drop_tables(&mut self, names: &[String]) -> Result<()> {
        for name in names {
            self.read.tables.remove(name);
        }
        Ok(())
    }

    fn rename_tables(&mut self, from: &[String], to: &[String], _fingerprint: &str) -> Result<()> {
        for (old, new) in from.iter().zip(to) {
            let rows = self
                .read
                .tables
                .remove(old)
                .ok_or_else(|| Error::StoreError {
                    kind: StoreErrorKind::Corrupt,
                    message: format!("table {old} is missing: it cannot be swapped in"),
                })?;
            self.read.tables.insert(new.clone(), rows);
        }
        Ok(())
    }

    fn with_rows(
        &mut self,
        read: &ReadSide,
        names: &[String],
        work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()> {
        // The tables move into a `MemoryRows` for the work and back after
        // it: a persistent map moves without a copy.
        let taken = read.tables.iter().filter_map(|t| {
            let name = names.get(t.index as usize)?;
            let rows = self.read.tables.remove(name)?;
            Some((t.index, rows))
        });
        let mut rows = MemoryRows::from_tables(taken.collect::<Vec<_>>());
        let out = work(&mut rows);
        for (index, table) in rows.into_tables() {
            if let Some(name) = names.get(index as usize) {
                self.read.tables.insert(name.clone(), table);
            }
        }
        out
    }
}
