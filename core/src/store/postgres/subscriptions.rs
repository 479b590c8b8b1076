//! Subscriptions, parked events and leases on PostgreSQL.
//!
//! PLACEHOLDER: being written (helper pgsubs); every function fails for now.

use std::time::Duration;

use super::conn::Conn;
use crate::error::{Error, Result, StoreErrorKind};
use crate::store::{Lease, Parked, RawEvent, SubscriptionRow};

fn not_yet() -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: "subscriptions on PostgreSQL are not built yet".into(),
    }
}

pub(super) fn lease(_c: &mut Conn, _name: &str) -> Result<Option<Lease>> {
    Err(not_yet())
}
pub(super) fn take_lease(_c: &mut Conn, _name: &str, _owner: &str, _ttl: Duration) -> Result<bool> {
    Err(not_yet())
}
pub(super) fn release_lease(_c: &mut Conn, _name: &str, _owner: &str) -> Result<()> {
    Err(not_yet())
}
pub(super) fn park(_c: &mut Conn, _name: &str, _event: &RawEvent, _reason: &str) -> Result<()> {
    Err(not_yet())
}
pub(super) fn parked(_c: &mut Conn, _name: &str) -> Result<Vec<Parked>> {
    Err(not_yet())
}
pub(super) fn parked_count(_c: &mut Conn, _name: &str) -> Result<u64> {
    Err(not_yet())
}
pub(super) fn subscription(_c: &mut Conn, _name: &str) -> Result<Option<SubscriptionRow>> {
    Err(not_yet())
}
pub(super) fn subscriptions(_c: &mut Conn) -> Result<Vec<SubscriptionRow>> {
    Err(not_yet())
}
pub(super) fn put_subscription(_c: &mut Conn, _row: &SubscriptionRow) -> Result<()> {
    Err(not_yet())
}
pub(super) fn ack(_c: &mut Conn, _name: &str, _position: u64) -> Result<()> {
    Err(not_yet())
}
