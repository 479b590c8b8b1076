//! Subscriptions, parked events and leases on PostgreSQL (schema version 4,
//! see `schema.rs`), as SQLite keeps them (`../sqlite/subscriptions.rs`).
//!
//! Each call runs in a transaction `postgres.rs` opened, without the
//! store's write lock: processes run these side by side, so every write is
//! one statement whose `ON CONFLICT` settles a race with another process
//! (a failed statement would abort the transaction, so none is caught).
//! A checkpoint only moves forward (`GREATEST`), whichever writer commits
//! last. Taking a lease locks its row (see [`take_lease`]).

use std::time::Duration;

use postgres::types::Type;

use super::conn::Conn;
use super::{err, int_sql};
use crate::error::{Error, Result, StoreErrorKind};
use crate::store::readers::{now_ms, stamp, until_ms};
use crate::store::{owner_alive, Lease, Parked, RawEvent, SubscriptionRow};

pub(super) fn lease(c: &mut Conn, name: &str) -> Result<Option<Lease>> {
    let fail = |e| err(&format!("cannot read lease {name}"), e);
    let s = c
        .prepared(
            "SELECT owner, until_ms FROM eventfold_leases WHERE name = $1",
            &[Type::TEXT],
        )
        .map_err(fail)?;
    let row = c.client.query_opt(&s, &[&name]).map_err(fail)?;
    row.map(|r| {
        Ok(Lease {
            owner: r.try_get(0)?,
            until_ms: r.try_get::<_, i64>(1)?.max(0) as u64,
        })
    })
    .transpose()
    .map_err(fail)
}

/// One upsert takes the lease when it is missing, expired or `owner`'s
/// (the renewal every heartbeat makes: one round trip). When it is not,
/// the upsert has still locked the row (PostgreSQL locks a conflicting row
/// whether or not its `WHERE` holds), so the holder read next stays the
/// holder until this transaction ends: if it is a process of this host
/// that is gone, the lease is taken over from it, and no other process can
/// take it in between.
pub(super) fn take_lease(c: &mut Conn, name: &str, owner: &str, ttl: Duration) -> Result<bool> {
    let fail = |e| err(&format!("cannot take lease {name}"), e);
    let until = int_sql(until_ms(ttl));
    let now = int_sql(now_ms());
    let s = c
        .prepared(
            "INSERT INTO eventfold_leases (name, owner, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
             WHERE eventfold_leases.owner = excluded.owner OR eventfold_leases.until_ms <= $4 \
             RETURNING owner",
            &[Type::TEXT, Type::TEXT, Type::INT8, Type::INT8],
        )
        .map_err(fail)?;
    if c.client
        .query_opt(&s, &[&name, &owner, &until, &now])
        .map_err(fail)?
        .is_some()
    {
        return Ok(true);
    }
    let s = c
        .prepared(
            "SELECT owner FROM eventfold_leases WHERE name = $1 FOR UPDATE",
            &[Type::TEXT],
        )
        .map_err(fail)?;
    let holder: Option<String> = c
        .client
        .query_opt(&s, &[&name])
        .map_err(fail)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(fail)?;
    let Some(holder) = holder else {
        // The row is locked by this transaction, so it cannot be gone; if
        // it is, someone deleted it by hand: the lease is free.
        return insert_lease(c, name, owner, until);
    };
    if owner_alive(&holder) {
        return Ok(false);
    }
    let s = c
        .prepared(
            "UPDATE eventfold_leases SET owner = $2, until_ms = $3 WHERE name = $1 AND owner = $4",
            &[Type::TEXT, Type::TEXT, Type::INT8, Type::TEXT],
        )
        .map_err(fail)?;
    let n = c
        .client
        .execute(&s, &[&name, &owner, &until, &holder])
        .map_err(fail)?;
    Ok(n == 1)
}

/// Takes a lease whose row is missing, unless another process made it
/// first (then it is theirs).
fn insert_lease(c: &mut Conn, name: &str, owner: &str, until: i64) -> Result<bool> {
    let fail = |e| err(&format!("cannot take lease {name}"), e);
    let s = c
        .prepared(
            "INSERT INTO eventfold_leases (name, owner, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
            &[Type::TEXT, Type::TEXT, Type::INT8],
        )
        .map_err(fail)?;
    let n = c
        .client
        .execute(&s, &[&name, &owner, &until])
        .map_err(fail)?;
    Ok(n == 1)
}

pub(super) fn release_lease(c: &mut Conn, name: &str, owner: &str) -> Result<()> {
    let fail = |e| err(&format!("cannot release lease {name}"), e);
    let s = c
        .prepared(
            "DELETE FROM eventfold_leases WHERE name = $1 AND owner = $2",
            &[Type::TEXT, Type::TEXT],
        )
        .map_err(fail)?;
    c.client.execute(&s, &[&name, &owner]).map_err(fail)?;
    Ok(())
}

pub(super) fn park(c: &mut Conn, name: &str, event: &RawEvent, reason: &str) -> Result<()> {
    let fail = |e| {
        err(
            &format!("cannot park event {} for {name}", event.position),
            e,
        )
    };
    let s = c
        .prepared(
            "INSERT INTO eventfold_parked \
             (name, position, event_id, stream, version, type, reason, parked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name, position) DO NOTHING",
            &[
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
            ],
        )
        .map_err(fail)?;
    c.client
        .execute(
            &s,
            &[
                &name,
                &int_sql(event.position),
                &event.id,
                &event.stream,
                &int_sql(event.version),
                &event.event_type,
                &reason,
                &stamp(),
            ],
        )
        .map_err(fail)?;
    Ok(())
}

pub(super) fn parked(c: &mut Conn, name: &str) -> Result<Vec<Parked>> {
    let fail = |e| err("cannot read parked events", e);
    let s = c
        .prepared(
            "SELECT p.position, p.reason, p.parked_at, e.position, e.id, e.stream, e.version, \
                    e.type, e.schema, e.data, e.metadata \
             FROM eventfold_parked p LEFT JOIN eventfold_events e ON e.position = p.position \
             WHERE p.name = $1 ORDER BY p.position",
            &[Type::TEXT],
        )
        .map_err(fail)?;
    let rows = c.client.query(&s, &[&name]).map_err(fail)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let position = r.try_get::<_, i64>(0).map_err(fail)?.max(0) as u64;
        // eventfold never deletes an event: a parked one that is gone was
        // removed by hand.
        if r.try_get::<_, Option<i64>>(3).map_err(fail)?.is_none() {
            return Err(Error::StoreError {
                kind: StoreErrorKind::Corrupt,
                message: format!(
                    "event {position}, parked by {name}, is no longer in eventfold_events: \
                     the store was changed by hand"
                ),
            });
        }
        let event = (|| {
            Ok::<_, postgres::Error>(RawEvent {
                position,
                id: r.try_get(4)?,
                stream: r.try_get(5)?,
                version: r.try_get::<_, i64>(6)?.max(0) as u64,
                event_type: r.try_get(7)?,
                schema: r.try_get::<_, i32>(8)?.max(0) as u32,
                data: r.try_get(9)?,
                metadata: r.try_get(10)?,
            })
        })()
        .map_err(fail)?;
        out.push(Parked {
            name: name.to_string(),
            position,
            reason: r.try_get(1).map_err(fail)?,
            parked_at: r.try_get(2).map_err(fail)?,
            event,
        });
    }
    Ok(out)
}

pub(super) fn parked_count(c: &mut Conn, name: &str) -> Result<u64> {
    let fail = |e| err("cannot count parked events", e);
    let s = c
        .prepared(
            "SELECT count(*) FROM eventfold_parked WHERE name = $1",
            &[Type::TEXT],
        )
        .map_err(fail)?;
    let n: i64 = c
        .client
        .query_one(&s, &[&name])
        .and_then(|r| r.try_get(0))
        .map_err(fail)?;
    Ok(n.max(0) as u64)
}

fn names(text: &str, name: &str, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|_| Error::StoreError {
        kind: StoreErrorKind::Corrupt,
        message: format!(
            "subscription {name} has damaged {column} (`{text}`, not a JSON array of names)"
        ),
    })
}

fn subscription_of(r: &postgres::Row) -> Result<SubscriptionRow> {
    let fail = |e| err("cannot read subscriptions", e);
    let name: String = r.try_get(0).map_err(fail)?;
    let checkpoint = r.try_get::<_, i64>(1).map_err(fail)?.max(0) as u64;
    let models: String = r.try_get(2).map_err(fail)?;
    let types: String = r.try_get(3).map_err(fail)?;
    Ok(SubscriptionRow {
        models: names(&models, &name, "models")?,
        types: names(&types, &name, "types")?,
        checkpoint,
        created_at: r.try_get(4).map_err(fail)?,
        name,
    })
}

pub(super) fn subscription(c: &mut Conn, name: &str) -> Result<Option<SubscriptionRow>> {
    let fail = |e| err("cannot read subscriptions", e);
    let s = c
        .prepared(
            "SELECT name, checkpoint, models, types, created_at FROM eventfold_subscriptions \
             WHERE name = $1",
            &[Type::TEXT],
        )
        .map_err(fail)?;
    c.client
        .query_opt(&s, &[&name])
        .map_err(fail)?
        .as_ref()
        .map(subscription_of)
        .transpose()
}

pub(super) fn subscriptions(c: &mut Conn) -> Result<Vec<SubscriptionRow>> {
    let fail = |e| err("cannot read subscriptions", e);
    let s = c
        .prepared(
            "SELECT name, checkpoint, models, types, created_at FROM eventfold_subscriptions \
             ORDER BY name",
            &[],
        )
        .map_err(fail)?;
    c.client
        .query(&s, &[])
        .map_err(fail)?
        .iter()
        .map(subscription_of)
        .collect()
}

pub(super) fn put_subscription(c: &mut Conn, row: &SubscriptionRow) -> Result<()> {
    let fail = |e| err(&format!("cannot write subscription {}", row.name), e);
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    let s = c
        .prepared(
            "INSERT INTO eventfold_subscriptions (name, checkpoint, models, types, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET \
               checkpoint = GREATEST(eventfold_subscriptions.checkpoint, excluded.checkpoint), \
               models = excluded.models, types = excluded.types",
            &[Type::TEXT, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT],
        )
        .map_err(fail)?;
    c.client
        .execute(
            &s,
            &[
                &row.name,
                &int_sql(row.checkpoint),
                &json(&row.models),
                &json(&row.types),
                &row.created_at,
            ],
        )
        .map_err(fail)?;
    Ok(())
}

pub(super) fn ack(c: &mut Conn, name: &str, position: u64) -> Result<()> {
    let fail = |e| err(&format!("cannot store the checkpoint of {name}"), e);
    let s = c
        .prepared(
            "INSERT INTO eventfold_subscriptions (name, checkpoint, models, types, created_at) \
             VALUES ($1, $2, '[]', '[]', $3) ON CONFLICT (name) DO UPDATE SET \
               checkpoint = GREATEST(eventfold_subscriptions.checkpoint, excluded.checkpoint)",
            &[Type::TEXT, Type::INT8, Type::TEXT],
        )
        .map_err(fail)?;
    c.client
        .execute(&s, &[&name, &int_sql(position), &stamp()])
        .map_err(fail)?;
    Ok(())
}
