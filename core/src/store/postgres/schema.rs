//! The PostgreSQL schema and its migrations.
//!
//! The numbers are SQLite's (`../sqlite/schema.rs`): a store at schema `n`
//! holds the same tables and columns on both, in each one's types. Only the
//! path to version 1 differs: SQLite's first files named their tables
//! `events`, `streams`, ...; PostgreSQL shares a schema with the
//! application's tables, so it has used the `eventfold_` names from the
//! start (an application's own `events` table never clashes).
//!
//! `eventfold_schema` holds the version: the number of migrations run. Each
//! migration runs in one transaction under an advisory lock of the schema,
//! and reads the version again once it holds it: when several processes
//! open a fresh or old schema at once, the first migrates and the others
//! find it done. A schema of a higher version than this code knows was
//! written by a newer eventfold and is refused rather than misread.
//!
//! Text that is compared or sorted (streams, names, keys) is `COLLATE "C"`:
//! byte order, as SQLite and the memory store sort, whatever the database's
//! locale.

use postgres::Client;

use super::{err, quote, Keys};
use crate::error::{Error, Result, StoreErrorKind};

/// One step: `MIGRATIONS[i]` takes a schema from version `i` to `i + 1`.
/// Append only: a migration, once released, never changes.
struct Migration {
    what: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        what: "create the event, stream, snapshot and command tables",
        sql: V1,
    },
    Migration {
        what: "add the schema and model columns of events",
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

/// Version 1. Positions are taken from `eventfold_positions` under the
/// store's write lock (see `postgres.rs`): a counter row, updated in the
/// appending transaction, so positions are dense (a rollback undoes its
/// update), in commit order, and never given twice, even after an event is
/// gone (SQLite's `AUTOINCREMENT` keeps the same promise with
/// `sqlite_sequence`). Event data and metadata are the engine's canonical JSON
/// text, kept byte for byte (`jsonb` would reorder keys and rewrite
/// numbers); cast them (`data::jsonb`) to query them in SQL.
const V1: &str = r#"
CREATE TABLE eventfold_events (
    position BIGINT PRIMARY KEY,
    id       TEXT   NOT NULL,
    stream   TEXT   COLLATE "C" NOT NULL,
    version  BIGINT NOT NULL,
    type     TEXT   COLLATE "C" NOT NULL,
    data     TEXT   NOT NULL,
    metadata TEXT   NOT NULL
);
CREATE UNIQUE INDEX eventfold_events_by_id ON eventfold_events (id);
CREATE TABLE eventfold_positions (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT  NOT NULL
);
INSERT INTO eventfold_positions (id, last) VALUES (1, 0);
CREATE UNIQUE INDEX eventfold_events_by_stream ON eventfold_events (stream, version);
CREATE TABLE eventfold_streams (
    stream  TEXT   COLLATE "C" PRIMARY KEY,
    model   TEXT   COLLATE "C" NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX eventfold_streams_by_model ON eventfold_streams (model, stream);
CREATE TABLE eventfold_snapshots (
    stream      TEXT   COLLATE "C" PRIMARY KEY,
    version     BIGINT NOT NULL,
    fingerprint TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    checksum    TEXT   NOT NULL
);
CREATE TABLE eventfold_commands (
    stream        TEXT   COLLATE "C" NOT NULL,
    command_id    TEXT   COLLATE "C" NOT NULL,
    first_version BIGINT NOT NULL,
    last_version  BIGINT NOT NULL,
    PRIMARY KEY (stream, command_id)
);
"#;

/// Version 2: each event's model and the version of its shape (§12).
const V2: &str = r#"
ALTER TABLE eventfold_events ADD COLUMN model TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE eventfold_events ADD COLUMN schema INTEGER NOT NULL DEFAULT 1;
UPDATE eventfold_events e SET model = s.model FROM eventfold_streams s WHERE s.stream = e.stream;
ALTER TABLE eventfold_events ALTER COLUMN model DROP DEFAULT;
ALTER TABLE eventfold_events ALTER COLUMN schema DROP DEFAULT;
"#;

/// Version 3: the read side, as SQLite's version 3 says. `lease_until` is
/// Unix milliseconds.
const V3: &str = r#"
CREATE TABLE eventfold_projections (
    name               TEXT    COLLATE "C" PRIMARY KEY,
    mode               TEXT    NOT NULL CHECK (mode IN ('inline', 'async')),
    fingerprint        TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('live', 'stopped')),
    position           BIGINT  NOT NULL,
    error              TEXT,
    error_position     BIGINT,
    shadow_fingerprint TEXT,
    shadow_position    BIGINT,
    lease_owner        TEXT,
    lease_until        BIGINT
);
CREATE TABLE eventfold_projection_tables (
    sql_name    TEXT COLLATE "C" PRIMARY KEY,
    projection  TEXT COLLATE "C" NOT NULL,
    table_name  TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE INDEX eventfold_projection_tables_by_projection
    ON eventfold_projection_tables (projection, fingerprint);
"#;

/// Version 4: subscriptions, parked events and leases, as SQLite's
/// version 4 says. `models` and `types` are JSON arrays of names.
const V4: &str = r#"
CREATE TABLE eventfold_subscriptions (
    name       TEXT   COLLATE "C" PRIMARY KEY,
    checkpoint BIGINT NOT NULL,
    models     TEXT   NOT NULL,
    types      TEXT   NOT NULL,
    created_at TEXT   NOT NULL
);
CREATE TABLE eventfold_parked (
    name      TEXT   COLLATE "C" NOT NULL,
    position  BIGINT NOT NULL,
    event_id  TEXT   NOT NULL,
    stream    TEXT   NOT NULL,
    version   BIGINT NOT NULL,
    type      TEXT   NOT NULL,
    reason    TEXT   NOT NULL,
    parked_at TEXT   NOT NULL,
    PRIMARY KEY (name, position)
);
CREATE TABLE eventfold_leases (
    name     TEXT   COLLATE "C" PRIMARY KEY,
    owner    TEXT   NOT NULL,
    until_ms BIGINT NOT NULL
);
"#;

/// Version 5: the model registry, and a snapshot per (stream, model
/// version), as SQLite's version 5 says.
const V5: &str = r#"
CREATE TABLE eventfold_sources (
    hash  TEXT COLLATE "C" PRIMARY KEY,
    files TEXT NOT NULL
);
CREATE TABLE eventfold_models (
    model         TEXT    COLLATE "C" NOT NULL,
    revision      TEXT    COLLATE "C" NOT NULL,
    fingerprint   TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    registered_at TEXT    NOT NULL,
    activated_at  TEXT,
    active        BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (model, revision)
);
CREATE UNIQUE INDEX eventfold_models_active ON eventfold_models (model) WHERE active;
CREATE TABLE eventfold_registry (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO eventfold_registry (id, generation) VALUES (1, 0);
ALTER TABLE eventfold_snapshots DROP CONSTRAINT eventfold_snapshots_pkey;
ALTER TABLE eventfold_snapshots ADD PRIMARY KEY (stream, fingerprint);
CREATE INDEX eventfold_snapshots_by_fingerprint ON eventfold_snapshots (fingerprint);
"#;

fn too_new(schema: &str, version: i64) -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: format!(
            "schema {schema} has eventfold schema version {version}, written by a newer \
             eventfold; this one knows versions up to {VERSION}: upgrade eventfold to open it"
        ),
    }
}

/// The version of the schema (0: no eventfold tables yet), read inside the
/// migration's transaction.
fn current(c: &mut Client) -> std::result::Result<i64, postgres::Error> {
    let exists = c
        .query_one("SELECT to_regclass('eventfold_schema') IS NOT NULL", &[])?
        .get::<_, bool>(0);
    if !exists {
        return Ok(0);
    }
    Ok(c.query_one("SELECT version FROM eventfold_schema", &[])?
        .get::<_, i64>(0))
}

/// Creates the schema `schema` if needed and brings it to [`VERSION`], one
/// migration at a time. `c` has `search_path` set to `schema`.
pub(super) fn migrate(c: &mut Client, schema: &str, keys: &Keys) -> Result<()> {
    let (k1, k2) = keys.migrate;
    // CREATE SCHEMA IF NOT EXISTS races with itself (two processes can both
    // find it missing): under the lock, one makes it and the other sees it.
    let setup = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({k1}, {k2}); \
         CREATE SCHEMA IF NOT EXISTS {schema}; \
         CREATE TABLE IF NOT EXISTS {schema}.eventfold_schema (version BIGINT NOT NULL); \
         INSERT INTO {schema}.eventfold_schema (version) \
           SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM {schema}.eventfold_schema); \
         COMMIT",
        schema = quote(schema)
    );
    c.batch_execute(&setup)
        .map_err(|e| err(&format!("cannot create schema {schema}"), e))?;
    let version =
        current(c).map_err(|e| err(&format!("cannot read the version of schema {schema}"), e))?;
    if version > VERSION {
        return Err(too_new(schema, version));
    }
    for (from, m) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let to = from as i64 + 1;
        let step = (|| {
            c.batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({k1}, {k2})"))?;
            // Another process may have run it while this one waited.
            let now = current(c)?;
            if now < to {
                c.batch_execute(m.sql)?;
                c.execute("UPDATE eventfold_schema SET version = $1", &[&to])?;
            }
            c.batch_execute("COMMIT")?;
            Ok::<i64, postgres::Error>(now)
        })();
        match step {
            Ok(found) if found > VERSION => return Err(too_new(schema, found)),
            Ok(_) => {}
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK");
                return Err(err(
                    &format!(
                        "cannot migrate schema {schema} from version {from} to {to} ({})",
                        m.what
                    ),
                    e,
                ));
            }
        }
    }
    Ok(())
}
