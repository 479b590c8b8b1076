//! The SQLite schema and its migrations.
//!
//! `PRAGMA user_version` is the schema's version: the number of migrations
//! run. Each migration runs in one transaction (`BEGIN IMMEDIATE`, the
//! migration, the new `user_version`, `COMMIT`), and reads the version again
//! once it holds the write lock: when several processes open the same old
//! file at once, the first migrates and the others find it done. A fresh
//! file runs them all. A file of a higher version than this code knows was
//! written by a newer eventfold and is refused rather than misread.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::{err, retry_busy};
use crate::error::{Error, Result, StoreErrorKind};

/// One step of the schema: `MIGRATIONS[i]` takes a file from version `i` to
/// `i + 1`. Append only: a migration, once released, never changes.
struct Migration {
    /// What it does, for error messages.
    what: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        what: "create the wave-1 tables",
        sql: V1,
    },
    Migration {
        what: "move to eventfold_ tables with schema and model columns",
        sql: V2,
    },
    Migration {
        what: "record projections and the tables they own",
        sql: V3,
    },
    Migration {
        what: "add subscriptions, parked events and leases",
        sql: V4,
    },
    Migration {
        what: "add the model registry and keep a snapshot per model version",
        sql: V5,
    },
];

/// The schema this code writes.
pub(super) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1, as wave 1 made it.
const V1: &str = "
CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL,
    UNIQUE (stream, version)
);
CREATE TABLE streams (
    stream  TEXT    PRIMARY KEY,
    model   TEXT    NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX streams_by_model ON streams (model, stream);
CREATE TABLE snapshots (
    stream      TEXT    PRIMARY KEY,
    version     INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    checksum    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE commands (
    stream        TEXT    NOT NULL,
    command_id    TEXT    NOT NULL,
    first_version INTEGER NOT NULL,
    last_version  INTEGER NOT NULL,
    PRIMARY KEY (stream, command_id)
) WITHOUT ROWID;
";

/// Version 2:
/// - every table under `eventfold_`, so that user tables in the same file
///   never clash with the engine's;
/// - `AUTOINCREMENT` positions: a position is never given twice, even when
///   the last event was removed (by hand: eventfold never deletes);
/// - `schema`, the version of the event's shape (MODEL-LANGUAGE.md §8,
///   §12); every event before this is of shape 1;
/// - `model` on each event, copied from the stream's row: reading by model
///   (`read_all` with a filter) is then one index range, without a join to
///   `eventfold_streams` for every row. It costs a short text per event, and
///   the writer knows it anyway (`Append::model`);
/// - no index by model or type, on purpose: readers of the whole log
///   (`read_all`, subscriptions, projections) go forward from a position, in
///   position order, which is the table's own order; a filter is applied as
///   the rows are read. Any index by (model, ...) or (type, ...) made
///   batched appends about 30% dearer in CPU than schema 1 (`bench store`,
///   both in turns; docs/store.md), and every append pays it. A later
///   numbered migration can add one when a read path needs it.
///
/// The events are copied in position order into the new table and the
/// indexes built after the copy (faster than keeping them up to date row by
/// row); the other tables are only renamed.
const V2: &str = "
CREATE TABLE eventfold_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT    NOT NULL,
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    model    TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    schema   INTEGER NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL
);
INSERT INTO eventfold_events
    (position, id, stream, version, model, type, schema, data, metadata)
    SELECT e.position, e.id, e.stream, e.version, coalesce(s.model, ''), e.type, 1,
           e.data, e.metadata
    FROM events e LEFT JOIN streams s ON s.stream = e.stream
    ORDER BY e.position;
DROP TABLE events;
CREATE UNIQUE INDEX eventfold_events_by_id ON eventfold_events (id);
CREATE UNIQUE INDEX eventfold_events_by_stream ON eventfold_events (stream, version);
DROP INDEX streams_by_model;
ALTER TABLE streams RENAME TO eventfold_streams;
CREATE INDEX eventfold_streams_by_model ON eventfold_streams (model, stream);
ALTER TABLE snapshots RENAME TO eventfold_snapshots;
ALTER TABLE commands RENAME TO eventfold_commands;
";

/// Version 3: the read side (MODEL-LANGUAGE.md §13), see
/// `tables.rs`.
/// - `eventfold_projections`: one row per projection the store has seen.
///   `fingerprint` is that of the live tables; `position` the last global
///   position folded into them (0: none yet), committed with the rows;
///   `status` is `live`, or `stopped` with `error` and `error_position`
///   (a poison event under `on_projection_error: stop`). While a changed
///   projection is rebuilt, `shadow_fingerprint` and `shadow_position` say
///   how far the shadow tables are. `lease_owner` and `lease_until` (a
///   timestamp as tables write it) keep one async runner per projection
///   across processes.
/// - `eventfold_projection_tables`: every SQL table a projection owns, live
///   or shadow, under the fingerprint it was created for. `sql_name` is the
///   key: one owner per SQL table, and a table of the file that is not here
///   is the application's own, never written.
const V3: &str = "
CREATE TABLE eventfold_projections (
    name               TEXT    PRIMARY KEY,
    mode               TEXT    NOT NULL CHECK (mode IN ('inline', 'async')),
    fingerprint        TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('live', 'stopped')),
    position           INTEGER NOT NULL,
    error              TEXT,
    error_position     INTEGER,
    shadow_fingerprint TEXT,
    shadow_position    INTEGER,
    lease_owner        TEXT,
    lease_until        TEXT
) WITHOUT ROWID;
CREATE TABLE eventfold_projection_tables (
    sql_name    TEXT    PRIMARY KEY COLLATE NOCASE,
    projection  TEXT    NOT NULL,
    table_name  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX eventfold_projection_tables_by_projection
    ON eventfold_projection_tables (projection, fingerprint);
";

/// Version 4: subscriptions for host code, and what readers of the whole
/// log share (see `subscriptions.rs`).
/// - `eventfold_subscriptions`: one row per subscription name;
///   `checkpoint` is the last position acknowledged (0: none), moved only
///   forward; `models` and `types` are JSON arrays of names (the filters of
///   the last `subscribe`, `[]`: every one).
/// - `eventfold_parked`: events a subscription or a projection (`name`)
///   set aside with a `reason`. The key (name, position) makes parking
///   idempotent; the event itself stays in `eventfold_events`, and
///   `event_id`, `stream`, `version` and `type` are copied so that the row
///   reads on its own in an SQL shell.
/// - `eventfold_leases`: one consumer or runner per name across processes
///   (`subscription:NAME`, `projection:NAME`): `owner` is
///   `host:pid:uuid`, `until_ms` milliseconds since the Unix epoch.
const V4: &str = "
CREATE TABLE eventfold_subscriptions (
    name       TEXT    PRIMARY KEY,
    checkpoint INTEGER NOT NULL,
    models     TEXT    NOT NULL,
    types      TEXT    NOT NULL,
    created_at TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE eventfold_parked (
    name      TEXT    NOT NULL,
    position  INTEGER NOT NULL,
    event_id  TEXT    NOT NULL,
    stream    TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    parked_at TEXT    NOT NULL,
    PRIMARY KEY (name, position)
) WITHOUT ROWID;
CREATE TABLE eventfold_leases (
    name     TEXT    PRIMARY KEY,
    owner    TEXT    NOT NULL,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Version 5: model changes (ARCHITECTURE.md "Model changes, live"), see
/// `registry.rs`.
/// - `eventfold_sources`: the model files of each registered version, as
///   JSON `[{"name", "text"}]`, by the SHA-256 of that text: what an engine
///   that follows a change compiles.
/// - `eventfold_models`: every version of each model that wrote to the
///   store (`revision`, see `language::fingerprint::revision`), with its
///   fingerprint and files; at most one per model is `active`.
/// - `eventfold_registry`: one row whose `generation` goes up with every
///   activation, so that a writer checks its model with one read of one row
///   per transaction.
/// - `eventfold_snapshots` is keyed by (stream, fingerprint): a migration
///   builds the new model's snapshots while the old model's keep serving.
const V5: &str = "
CREATE TABLE eventfold_sources (
    hash  TEXT PRIMARY KEY,
    files TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE eventfold_models (
    model         TEXT    NOT NULL,
    revision      TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    registered_at TEXT    NOT NULL,
    activated_at  TEXT,
    active        INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    PRIMARY KEY (model, revision)
) WITHOUT ROWID;
CREATE UNIQUE INDEX eventfold_models_active ON eventfold_models (model) WHERE active = 1;
CREATE TABLE eventfold_registry (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO eventfold_registry (id, generation) VALUES (1, 0);
CREATE TABLE eventfold_snapshots_v5 (
    stream      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    PRIMARY KEY (stream, fingerprint)
) WITHOUT ROWID;
INSERT INTO eventfold_snapshots_v5 (stream, fingerprint, version, state, checksum)
    SELECT stream, fingerprint, version, state, checksum FROM eventfold_snapshots;
DROP TABLE eventfold_snapshots;
ALTER TABLE eventfold_snapshots_v5 RENAME TO eventfold_snapshots;
CREATE INDEX eventfold_snapshots_by_fingerprint ON eventfold_snapshots (fingerprint);
";

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn too_new(path: &Path, version: i64) -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: format!(
            "{} has schema version {version}, written by a newer eventfold; \
             this one knows versions up to {VERSION}: upgrade eventfold to open it",
            path.display()
        ),
    }
}

/// Brings the file at `path` to [`VERSION`], one migration at a time.
pub(super) fn migrate(conn: &Connection, path: &Path, busy: Duration) -> Result<()> {
    let version = retry_busy(busy, || user_version(conn)).map_err(|e| {
        err(
            &format!("cannot read the schema version of {}", path.display()),
            e,
        )
    })?;
    if version > VERSION {
        return Err(too_new(path, version));
    }
    for (from, m) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let to = from as i64 + 1;
        let found = retry_busy(busy, || {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let step = (|| {
                // Another process may have run it while this one waited.
                let now = user_version(conn)?;
                if now < to {
                    conn.execute_batch(m.sql)?;
                    conn.execute_batch(&format!("PRAGMA user_version = {to}"))?;
                }
                Ok(now)
            })();
            match step {
                Ok(now) => conn.execute_batch("COMMIT").map(|_| now),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })
        .map_err(|e| {
            err(
                &format!(
                    "cannot migrate {} from schema version {from} to {to} ({})",
                    path.display(),
                    m.what
                ),
                e,
            )
        })?;
        if found > VERSION {
            return Err(too_new(path, found));
        }
    }
    Ok(())
}
