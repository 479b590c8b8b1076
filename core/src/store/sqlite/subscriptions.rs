//! Subscriptions, parked events and leases on SQLite (schema version 4,
//! see `schema.rs`). Every write is one statement on the writer
//! connection (atomic on its own), except taking a lease: a read and a
//! write in one `BEGIN IMMEDIATE`, so two processes never both win it.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{err, int_sql};
use crate::error::{Error, Result, StoreErrorKind};
use crate::store::readers::{now_ms, stamp, until_ms};
use crate::store::{Lease, Parked, RawEvent, SubscriptionRow};

fn lease_row(c: &Connection, name: &str) -> Result<Option<Lease>> {
    c.prepare_cached("SELECT owner, until_ms FROM eventfold_leases WHERE name = ?1")
        .and_then(|mut s| {
            s.query_row([name], |r| {
                Ok(Lease {
                    owner: r.get(0)?,
                    until_ms: r.get::<_, i64>(1)?.max(0) as u64,
                })
            })
            .optional()
        })
        .map_err(|e| err(&format!("cannot read lease {name}"), e))
}

pub(super) fn lease(c: &Connection, name: &str) -> Result<Option<Lease>> {
    lease_row(c, name)
}

pub(super) fn take_lease(
    conn: &mut Connection,
    name: &str,
    owner: &str,
    ttl: Duration,
) -> Result<bool> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err("cannot begin taking a lease", e))?;
    let free = lease_row(&tx, name)?.is_none_or(|l| l.free_for(owner, now_ms()));
    if !free {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO eventfold_leases (name, owner, until_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms",
    )
    .and_then(|mut s| s.execute(params![name, owner, int_sql(until_ms(ttl))]))
    .map_err(|e| err(&format!("cannot take lease {name}"), e))?;
    tx.commit()
        .map_err(|e| err(&format!("cannot take lease {name}"), e))?;
    Ok(true)
}

pub(super) fn release_lease(c: &Connection, name: &str, owner: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM eventfold_leases WHERE name = ?1 AND owner = ?2")
        .and_then(|mut s| s.execute([name, owner]))
        .map(|_| ())
        .map_err(|e| err(&format!("cannot release lease {name}"), e))
}

pub(super) fn park(c: &Connection, name: &str, event: &RawEvent, reason: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO eventfold_parked \
         (name, position, event_id, stream, version, type, reason, parked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name, position) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(params![
            name,
            int_sql(event.position),
            event.id,
            event.stream,
            int_sql(event.version),
            event.event_type,
            reason,
            stamp()
        ])
    })
    .map(|_| ())
    .map_err(|e| {
        err(
            &format!("cannot park event {} for {name}", event.position),
            e,
        )
    })
}

pub(super) fn parked(c: &Connection, name: &str) -> Result<Vec<Parked>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT p.position, p.reason, p.parked_at, e.position, e.id, e.stream, e.version, \
                    e.type, e.schema, e.data, e.metadata \
             FROM eventfold_parked p LEFT JOIN eventfold_events e ON e.position = p.position \
             WHERE p.name = ?1 ORDER BY p.position",
        )
        .map_err(|e| err("cannot read parked events", e))?;
    let rows = stmt
        .query_map([name], |r| {
            let position = r.get::<_, i64>(0)?.max(0) as u64;
            let event = match r.get::<_, Option<i64>>(3)? {
                None => None,
                Some(_) => Some(RawEvent {
                    position,
                    id: r.get(4)?,
                    stream: r.get(5)?,
                    version: r.get::<_, i64>(6)?.max(0) as u64,
                    event_type: r.get(7)?,
                    schema: r.get(8)?,
                    data: r.get(9)?,
                    metadata: r.get(10)?,
                }),
            };
            Ok((
                position,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                event,
            ))
        })
        .map_err(|e| err("cannot read parked events", e))?;
    let mut out = Vec::new();
    for row in rows {
        let (position, reason, parked_at, event) =
            row.map_err(|e| err("cannot read parked events", e))?;
        // eventfold never deletes an event: a parked one that is gone was
        // removed by hand.
        let event = event.ok_or_else(|| Error::StoreError {
            kind: StoreErrorKind::Corrupt,
            message: format!(
                "event {position}, parked by {name}, is no longer in eventfold_events: \
                 the store was changed by hand"
            ),
        })?;
        out.push(Parked {
            name: name.to_string(),
            position,
            reason,
            parked_at,
            event,
        });
    }
    Ok(out)
}

pub(super) fn parked_count(c: &Connection, name: &str) -> Result<u64> {
    c.prepare_cached("SELECT count(*) FROM eventfold_parked WHERE name = ?1")
        .and_then(|mut s| s.query_row([name], |r| r.get::<_, i64>(0)))
        .map(|n| n.max(0) as u64)
        .map_err(|e| err("cannot count parked events", e))
}

fn names(text: &str, name: &str, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|_| Error::StoreError {
        kind: StoreErrorKind::Corrupt,
        message: format!(
            "subscription {name} has damaged {column} (`{text}`, not a JSON array of names)"
        ),
    })
}

fn subscription_rows(c: &Connection, name: Option<&str>) -> Result<Vec<SubscriptionRow>> {
    let sql = match name {
        Some(_) => {
            "SELECT name, checkpoint, models, types, created_at FROM eventfold_subscriptions \
             WHERE name = ?1"
        }
        None => {
            "SELECT name, checkpoint, models, types, created_at FROM eventfold_subscriptions \
             ORDER BY name"
        }
    };
    let mut stmt = c
        .prepare_cached(sql)
        .map_err(|e| err("cannot read subscriptions", e))?;
    let map = |r: &rusqlite::Row<'_>| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?.max(0) as u64,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    };
    let rows: Vec<_> = match name {
        Some(n) => stmt.query_map([n], map),
        None => stmt.query_map([], map),
    }
    .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
    .map_err(|e| err("cannot read subscriptions", e))?;
    rows.into_iter()
        .map(|(name, checkpoint, models, types, created_at)| {
            Ok(SubscriptionRow {
                models: names(&models, &name, "models")?,
                types: names(&types, &name, "types")?,
                name,
                checkpoint,
                created_at,
            })
        })
        .collect()
}

pub(super) fn subscription(c: &Connection, name: &str) -> Result<Option<SubscriptionRow>> {
    Ok(subscription_rows(c, Some(name))?.pop())
}

pub(super) fn subscriptions(c: &Connection) -> Result<Vec<SubscriptionRow>> {
    subscription_rows(c, None)
}

pub(super) fn put_subscription(c: &Connection, row: &SubscriptionRow) -> Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "INSERT INTO eventfold_subscriptions (name, checkpoint, models, types, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET \
           checkpoint = max(checkpoint, excluded.checkpoint), \
           models = excluded.models, types = excluded.types",
    )
    .and_then(|mut s| {
        s.execute(params![
            row.name,
            int_sql(row.checkpoint),
            json(&row.models),
            json(&row.types),
            row.created_at
        ])
    })
    .map(|_| ())
    .map_err(|e| err(&format!("cannot write subscription {}", row.name), e))
}

pub(super) fn ack(c: &Connection, name: &str, position: u64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO eventfold_subscriptions (name, checkpoint, models, types, created_at) \
         VALUES (?1, ?2, '[]', '[]', ?3) ON CONFLICT (name) DO UPDATE SET \
           checkpoint = max(checkpoint, excluded.checkpoint)",
    )
    .and_then(|mut s| s.execute(params![name, int_sql(position), stamp()]))
    .map(|_| ())
    .map_err(|e| err(&format!("cannot store the checkpoint of {name}"), e))
}
