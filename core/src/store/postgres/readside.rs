//! [`ReadSideTx`] on one PostgreSQL connection, inside whatever transaction
//! it is in: the append's (inline projections commit with their events) or
//! a read-side transaction of its own.
//!
//! PLACEHOLDER: being written (helper pgread); every method fails for now.

use super::conn::Conn;
use super::{head, read_all};
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{Projection, ReadSide};
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter};
use crate::tables::RowStore;

/// The read side over one connection.
pub(super) struct PgReadSide<'c> {
    pub(super) c: &'c mut Conn,
}

fn not_yet() -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: "projections on PostgreSQL are not built yet".into(),
    }
}

impl ReadSideTx for PgReadSide<'_> {
    fn head(&mut self) -> Result<u64> {
        head(self.c)
    }

    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>> {
        read_all(self.c, filter, from, limit)
    }

    fn count_after(&mut self, _position: u64) -> Result<u64> {
        Err(not_yet())
    }

    fn projection(&mut self, _name: &str) -> Result<Option<ProjectionRow>> {
        Err(not_yet())
    }

    fn put_projection(&mut self, _row: &ProjectionRow) -> Result<()> {
        Err(not_yet())
    }

    fn create_tables(
        &mut self,
        _read: &ReadSide,
        _p: &Projection,
        _names: &[String],
        _fingerprint: &str,
    ) -> Result<()> {
        Err(not_yet())
    }

    fn drop_tables(&mut self, _names: &[String]) -> Result<()> {
        Err(not_yet())
    }

    fn rename_tables(
        &mut self,
        _from: &[String],
        _to: &[String],
        _fingerprint: &str,
    ) -> Result<()> {
        Err(not_yet())
    }

    fn with_rows(
        &mut self,
        _read: &ReadSide,
        _names: &[String],
        _work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()> {
        Err(not_yet())
    }
}
