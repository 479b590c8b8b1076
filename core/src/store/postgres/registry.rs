//! The model registry on PostgreSQL.
//!
//! PLACEHOLDER: being written (helper pgsubs); every function fails for now.

use super::conn::Conn;
use crate::error::{Error, Result, StoreErrorKind};
use crate::store::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};

fn not_yet() -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: "the model registry on PostgreSQL is not built yet".into(),
    }
}

pub(super) fn register(
    _c: &mut Conn,
    _source: &SourceFiles,
    _versions: &[NewVersion],
    _activate: Activate,
    _at: &str,
) -> Result<u64> {
    Err(not_yet())
}
pub(super) fn generation(_c: &mut Conn) -> Result<u64> {
    Err(not_yet())
}
pub(super) fn activate_version(
    _c: &mut Conn,
    _model: &str,
    _revision: &str,
    _at: &str,
) -> Result<bool> {
    Err(not_yet())
}
pub(super) fn active_versions(_c: &mut Conn) -> Result<Vec<ModelVersion>> {
    Err(not_yet())
}
pub(super) fn model_versions(_c: &mut Conn) -> Result<Vec<ModelVersion>> {
    Err(not_yet())
}
pub(super) fn model_source(_c: &mut Conn, _hash: &str) -> Result<Option<String>> {
    Err(not_yet())
}
pub(super) fn stored_shapes(_c: &mut Conn) -> Result<Vec<StoredShape>> {
    Err(not_yet())
}
