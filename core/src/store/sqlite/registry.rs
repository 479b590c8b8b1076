//! The model registry on SQLite (schema 5): `eventfold_sources`,
//! `eventfold_models` and the one-row `eventfold_registry`.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::err;
use crate::error::Result;
use crate::store::registry::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};

const COLUMNS: &str = "model, revision, fingerprint, source, active, registered_at, activated_at";

fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        model: r.get(0)?,
        revision: r.get(1)?,
        fingerprint: r.get(2)?,
        source: r.get(3)?,
        active: r.get::<_, i64>(4)? == 1,
        registered_at: r.get(5)?,
        activated_at: r.get(6)?,
    })
}

pub(super) fn register(
    conn: &mut Connection,
    source: &SourceFiles,
    versions: &[NewVersion],
    activate: Activate,
    at: &str,
) -> Result<u64> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| err("cannot begin a write", e))?;
    tx.prepare_cached(
        "INSERT INTO eventfold_sources (hash, files) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )
    .and_then(|mut s| s.execute(params![source.hash, source.files]))
    .map_err(|e| err("cannot register model files", e))?;
    for v in versions {
        let added = tx
            .prepare_cached(
                "INSERT INTO eventfold_models (model, revision, fingerprint, source, registered_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![v.model, v.revision, v.fingerprint, source.hash, at])
            })
            .map_err(|e| err("cannot register a model version", e))?
            == 1;
        let claimed = tx
            .prepare_cached("SELECT 1 FROM eventfold_models WHERE model = ?1 AND active = 1")
            .and_then(|mut s| s.exists([&v.model]))
            .map_err(|e| err("cannot read the model registry", e))?;
        let on = match activate {
            Activate::Unseen => added || !claimed,
            Activate::Unclaimed => !claimed,
        };
        if on {
            activate_version(&tx, &v.model, &v.revision, at)?;
        }
    }
    let generation = generation(&tx)?;
    tx.commit().map_err(|e| err("cannot commit", e))?;
    Ok(generation)
}

pub(super) fn generation(c: &Connection) -> Result<u64> {
    c.prepare_cached("SELECT generation FROM eventfold_registry WHERE id = 1")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .optional()
        .map(|g| g.unwrap_or(0) as u64)
        .map_err(|e| err("cannot read the model registry", e))
}

pub(super) fn activate_version(
    c: &Connection,
    model: &str,
    revision: &str,
    at: &str,
) -> Result<bool> {
    let known = c
        .prepare_cached("SELECT 1 FROM eventfold_models WHERE model = ?1 AND revision = ?2")
        .and_then(|mut s| s.exists([model, revision]))
        .map_err(|e| err("cannot read the model registry", e))?;
    if !known {
        return Ok(false);
    }
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| {
        c.prepare_cached(sql)
            .and_then(|mut s| s.execute(p))
            .map_err(|e| err("cannot activate a model version", e))
    };
    run(
        "UPDATE eventfold_models SET active = 0 WHERE model = ?1 AND active = 1 AND revision <> ?2",
        &[&model, &revision],
    )?;
    run(
        "UPDATE eventfold_models SET active = 1, activated_at = ?3 \
         WHERE model = ?1 AND revision = ?2 AND active = 0",
        &[&model, &revision, &at],
    )?;
    run(
        "UPDATE eventfold_registry SET generation = generation + 1 WHERE id = 1",
        &[],
    )?;
    Ok(true)
}

pub(super) fn active_versions(c: &Connection) -> Result<Vec<ModelVersion>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM eventfold_models WHERE active = 1 ORDER BY model"
    ))
    .and_then(|mut s| s.query_map([], version_row)?.collect())
    .map_err(|e| err("cannot read the model registry", e))
}

pub(super) fn model_versions(c: &Connection) -> Result<Vec<ModelVersion>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM eventfold_models ORDER BY model, registered_at, revision"
    ))
    .and_then(|mut s| s.query_map([], version_row)?.collect())
    .map_err(|e| err("cannot read the model registry", e))
}

pub(super) fn model_source(c: &Connection, hash: &str) -> Result<Option<String>> {
    c.prepare_cached("SELECT files FROM eventfold_sources WHERE hash = ?1")
        .and_then(|mut s| s.query_row([hash], |r| r.get(0)).optional())
        .map_err(|e| err("cannot read model files", e))
}

pub(super) fn stored_shapes(c: &Connection) -> Result<Vec<StoredShape>> {
    c.prepare_cached(
        "SELECT model, type, schema, count(*) FROM eventfold_events \
         GROUP BY model, type, schema ORDER BY model, type, schema",
    )
    .and_then(|mut s| {
        s.query_map([], |r| {
            Ok(StoredShape {
                model: r.get(0)?,
                event_type: r.get(1)?,
                schema: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                events: r.get::<_, i64>(3)? as u64,
            })
        })?
        .collect()
    })
    .map_err(|e| err("cannot read the stored event types", e))
}

pub(super) fn delete_snapshots(c: &Connection, fingerprint: &str) -> Result<u64> {
    c.prepare_cached("DELETE FROM eventfold_snapshots WHERE fingerprint = ?1")
        .and_then(|mut s| s.execute([fingerprint]))
        .map(|n| n as u64)
        .map_err(|e| err("cannot delete snapshots", e))
}
