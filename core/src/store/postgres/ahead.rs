//! Reading ahead for a group of commands ([`WriteTx::read_ahead`]): one
//! round trip for the versions of all its streams and, when some are cold,
//! one for their snapshots and one for the events after them, instead of
//! one to three round trips per stream as each is loaded.
//!
//! What was read stays true until this transaction appends to the stream
//! (the write lock keeps every other writer out), so each answer holds
//! until then; [`ReadAhead::forget`] drops a stream as it is appended to.
//!
//! [`WriteTx::read_ahead`]: crate::store::WriteTx::read_ahead

use std::collections::HashMap;

use postgres::types::Type;

use super::conn::Conn;
use super::{err, int_sql};
use crate::error::Result;
use crate::store::{Ahead, Snapshot, Visit};

/// At most this many events are read ahead in one go. A stream whose
/// events do not all fit is left to its own fold, which streams its rows
/// instead of holding them.
const MAX_EVENTS: usize = 10_000;

/// What one [`WriteTx::read_ahead`](crate::store::WriteTx::read_ahead)
/// read, by stream.
#[derive(Debug, Default)]
pub(super) struct ReadAhead {
    versions: HashMap<String, u64>,
    /// (fingerprint, the snapshot of it, if any).
    snapshots: HashMap<String, (String, Option<Snapshot>)>,
    /// Every event after `after`, in version order.
    events: HashMap<String, Events>,
}

#[derive(Debug)]
struct Events {
    after: u64,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    version: u64,
    event_type: String,
    schema: u32,
    data: String,
}

impl ReadAhead {
    /// Reads ahead for `streams`, adding to what is held.
    pub(super) fn read(&mut self, c: &mut Conn, streams: &[Ahead<'_>]) -> Result<()> {
        let names: Vec<&str> = streams.iter().map(|a| a.stream).collect();
        self.read_versions(c, &names)
            .map_err(|e| err("cannot read the streams' versions", e))?;
        let cold: Vec<(&str, &str)> = streams
            .iter()
            .filter_map(|a| Some((a.stream, a.cold?)))
            .collect();
        if cold.is_empty() {
            return Ok(());
        }
        let after = self
            .read_snapshots(c, &cold)
            .map_err(|e| err("cannot read snapshots", e))?;
        self.read_events(c, &cold, &after)
            .map_err(|e| err("cannot read events", e))
    }

    fn read_versions(&mut self, c: &mut Conn, names: &[&str]) -> Result<(), postgres::Error> {
        let s = c.prepared(
            "SELECT q.stream, coalesce((SELECT max(e.version) FROM eventfold_events e \
               WHERE e.stream = q.stream), 0) \
             FROM unnest($1::text[]) AS q(stream)",
            &[Type::TEXT_ARRAY],
        )?;
        for row in c.client.query(&s, &[&names])? {
            let version: i64 = row.try_get(1)?;
            self.versions.insert(row.try_get(0)?, version.max(0) as u64);
        }
        Ok(())
    }

    /// Reads the snapshots of the cold streams: the version each one's
    /// events are read after (0 without a snapshot).
    fn read_snapshots(
        &mut self,
        c: &mut Conn,
        cold: &[(&str, &str)],
    ) -> Result<Vec<u64>, postgres::Error> {
        let (names, fingerprints): (Vec<&str>, Vec<&str>) = cold.iter().copied().unzip();
        let s = c.prepared(
            "SELECT q.n, s.version, s.state, s.checksum \
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(stream, fingerprint, n) \
             JOIN eventfold_snapshots s \
               ON s.stream = q.stream AND s.fingerprint = q.fingerprint",
            &[Type::TEXT_ARRAY, Type::TEXT_ARRAY],
        )?;
        let mut found: Vec<Option<Snapshot>> = vec![None; cold.len()];
        for row in c.client.query(&s, &[&names, &fingerprints])? {
            let n: i64 = row.try_get(0)?;
            let version: i64 = row.try_get(1)?;
            let Some(i) = place(n, cold.len()) else {
                continue;
            };
            // A damaged version is no snapshot, as `snapshot` reads it.
            if version >= 0 {
                let (stream, fingerprint) = cold[i];
                found[i] = Some(Snapshot {
                    stream: stream.to_string(),
                    version: version as u64,
                    fingerprint: fingerprint.to_string(),
                    state: row.try_get(2)?,
                    checksum: row.try_get(3)?,
                });
            }
        }
        let mut after = Vec::with_capacity(cold.len());
        for (&(stream, fingerprint), snapshot) in cold.iter().zip(found) {
            after.push(snapshot.as_ref().map_or(0, |s| s.version));
            self.snapshots
                .insert(stream.to_string(), (fingerprint.to_string(), snapshot));
        }
        Ok(after)
    }

    /// Reads the events after `after` of each cold stream, in one query of
    /// at most [`MAX_EVENTS`] rows; a stream cut off by the cap keeps none.
    fn read_events(
        &mut self,
        c: &mut Conn,
        cold: &[(&str, &str)],
        after: &[u64],
    ) -> Result<(), postgres::Error> {
        let names: Vec<&str> = cold.iter().map(|(s, _)| *s).collect();
        let after_sql: Vec<i64> = after.iter().map(|&v| int_sql(v)).collect();
        let s = c.prepared(
            "SELECT q.n, e.version, e.type, e.schema, e.data \
             FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS q(stream, after, n) \
             JOIN eventfold_events e ON e.stream = q.stream AND e.version > q.after \
             ORDER BY q.n, e.version \
             LIMIT $3",
            &[Type::TEXT_ARRAY, Type::INT8_ARRAY, Type::INT8],
        )?;
        let limit = (MAX_EVENTS + 1) as i64;
        let mut rows: Vec<Vec<Row>> = cold.iter().map(|_| Vec::new()).collect();
        let mut last = 0;
        let mut count = 0;
        for row in c.client.query(&s, &[&names, &after_sql, &limit])? {
            count += 1;
            let n: i64 = row.try_get(0)?;
            let Some(i) = place(n, cold.len()) else {
                continue;
            };
            last = i;
            if count > MAX_EVENTS {
                break;
            }
            let version: i64 = row.try_get(1)?;
            let schema: i32 = row.try_get(3)?;
            rows[i].push(Row {
                version: version.max(0) as u64,
                event_type: row.try_get(2)?,
                schema: schema.max(0) as u32,
                data: row.try_get(4)?,
            });
        }
        // Cut off: the streams before the last one seen are whole, the
        // last one and those after it unknown.
        let whole = if count > MAX_EVENTS { last } else { cold.len() };
        for (i, rows) in rows.into_iter().enumerate().take(whole) {
            self.events.insert(
                cold[i].0.to_string(),
                Events {
                    after: after[i],
                    rows,
                },
            );
        }
        Ok(())
    }

    /// The stream's version, if read ahead.
    pub(super) fn version(&self, stream: &str) -> Option<u64> {
        self.versions.get(stream).copied()
    }

    /// The stream's snapshot of `fingerprint` (or that it has none), if
    /// read ahead.
    pub(super) fn snapshot(&self, stream: &str, fingerprint: &str) -> Option<Option<Snapshot>> {
        match self.snapshots.get(stream) {
            Some((f, snapshot)) if f == fingerprint => Some(snapshot.clone()),
            _ => None,
        }
    }

    /// Visits the stream's events after `after_version` if all of them
    /// were read ahead: `false` (nothing visited) when they were not.
    pub(super) fn fold(
        &self,
        stream: &str,
        after_version: u64,
        visit: &mut Visit<'_>,
    ) -> Result<bool> {
        let Some(events) = self.events.get(stream) else {
            return Ok(false);
        };
        if after_version < events.after {
            return Ok(false);
        }
        for r in events.rows.iter().filter(|r| r.version > after_version) {
            visit(r.version, &r.event_type, r.schema, &r.data)?;
        }
        Ok(true)
    }

    /// The stream is being appended to: what was read of it is stale.
    pub(super) fn forget(&mut self, stream: &str) {
        self.versions.remove(stream);
        self.snapshots.remove(stream);
        self.events.remove(stream);
    }
}

/// The place in the list of `len` streams of the ordinal `n` (from 1)
/// that `WITH ORDINALITY` gave a row.
fn place(n: i64, len: usize) -> Option<usize> {
    usize::try_from(n - 1).ok().filter(|&i| i < len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_events(after: u64, versions: &[u64]) -> ReadAhead {
        let mut ahead = ReadAhead::default();
        ahead.events.insert(
            "s".into(),
            Events {
                after,
                rows: versions
                    .iter()
                    .map(|&version| Row {
                        version,
                        event_type: "e".into(),
                        schema: 1,
                        data: "{}".into(),
                    })
                    .collect(),
            },
        );
        ahead
            .versions
            .insert("s".into(), versions.last().copied().unwrap_or(after));
        ahead
    }

    fn folded(ahead: &ReadAhead, after: u64) -> Option<Vec<u64>> {
        let mut seen = Vec::new();
        let answered = ahead
            .fold("s", after, &mut |v, _, _, _| {
                seen.push(v);
                Ok(())
            })
            .unwrap();
        answered.then_some(seen)
    }

    #[test]
    fn a_fold_is_answered_only_from_where_the_events_were_read() {
        let ahead = with_events(3, &[4, 5, 6]);
        assert_eq!(folded(&ahead, 3), Some(vec![4, 5, 6]));
        assert_eq!(folded(&ahead, 5), Some(vec![6]));
        // Before the snapshot it was read after: the store must answer.
        assert_eq!(folded(&ahead, 0), None);
        assert!(!ahead.fold("other", 0, &mut |_, _, _, _| Ok(())).unwrap());
    }

    #[test]
    fn an_append_forgets_the_stream() {
        let mut ahead = with_events(0, &[1, 2]);
        ahead.snapshots.insert("s".into(), ("f".into(), None));
        assert_eq!(ahead.version("s"), Some(2));
        assert_eq!(ahead.snapshot("s", "f"), Some(None));
        assert_eq!(ahead.snapshot("s", "another"), None);
        ahead.forget("s");
        assert_eq!(ahead.version("s"), None);
        assert_eq!(ahead.snapshot("s", "f"), None);
        assert_eq!(folded(&ahead, 0), None);
    }
}
