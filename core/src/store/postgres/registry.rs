//! The model registry on PostgreSQL (schema 5): `eventfold_sources`,
//! `eventfold_models` and the one-row `eventfold_registry`, as SQLite keeps
//! them (`../sqlite/registry.rs`).
//!
//! `register` and `activate_version` run under the store's write lock (a
//! registration's own transaction, or a write's), so deciding which version
//! is active never races another process. Inserts still say
//! `ON CONFLICT DO NOTHING`: a failed statement would abort the
//! transaction, and files or a version already known are no error.

use postgres::types::Type;

use super::conn::Conn;
use super::err;
use crate::error::Result;
use crate::store::registry::{Activate, ModelVersion, NewVersion, SourceFiles, StoredShape};

fn version_of(r: &postgres::Row) -> Result<ModelVersion, postgres::Error> {
    Ok(ModelVersion {
        model: r.try_get(0)?,
        revision: r.try_get(1)?,
        fingerprint: r.try_get(2)?,
        source: r.try_get(3)?,
        active: r.try_get(4)?,
        registered_at: r.try_get(5)?,
        activated_at: r.try_get(6)?,
    })
}

pub(super) fn register(
    c: &mut Conn,
    source: &SourceFiles,
    versions: &[NewVersion],
    activate: Activate,
    at: &str,
) -> Result<u64> {
    let s = c
        .prepared(
            "INSERT INTO eventfold_sources (hash, files) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[Type::TEXT, Type::TEXT],
        )
        .and_then(|s| c.client.execute(&s, &[&source.hash, &source.files]));
    s.map_err(|e| err("cannot register model files", e))?;
    for v in versions {
        let added = c
            .prepared(
                "INSERT INTO eventfold_models (model, revision, fingerprint, source, registered_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT],
            )
            .and_then(|s| {
                c.client.execute(
                    &s,
                    &[&v.model, &v.revision, &v.fingerprint, &source.hash, &at],
                )
            })
            .map_err(|e| err("cannot register a model version", e))?
            == 1;
        let claimed = c
            .prepared(
                "SELECT 1 FROM eventfold_models WHERE model = $1 AND active",
                &[Type::TEXT],
            )
            .and_then(|s| c.client.query_opt(&s, &[&v.model]))
            .map_err(|e| err("cannot read the model registry", e))?
            .is_some();
        let on = match activate {
            Activate::Unseen => added || !claimed,
            Activate::Unclaimed => !claimed,
        };
        if on {
            activate_version(c, &v.model, &v.revision, at)?;
        }
    }
    generation(c)
}

pub(super) fn generation(c: &mut Conn) -> Result<u64> {
    c.prepared(
        "SELECT generation FROM eventfold_registry WHERE id = 1",
        &[],
    )
    .and_then(|s| c.client.query_opt(&s, &[]))
    .and_then(|r| r.map(|r| r.try_get::<_, i64>(0)).transpose())
    .map(|g| g.unwrap_or(0).max(0) as u64)
    .map_err(|e| err("cannot read the model registry", e))
}

/// Makes `revision` the active version of `model` (false when it is not
/// registered). The old one is switched off first: the partial unique
/// index allows one active version per model at every statement.
pub(super) fn activate_version(
    c: &mut Conn,
    model: &str,
    revision: &str,
    at: &str,
) -> Result<bool> {
    let known = c
        .prepared(
            "SELECT 1 FROM eventfold_models WHERE model = $1 AND revision = $2",
            &[Type::TEXT, Type::TEXT],
        )
        .and_then(|s| c.client.query_opt(&s, &[&model, &revision]))
        .map_err(|e| err("cannot read the model registry", e))?
        .is_some();
    if !known {
        return Ok(false);
    }
    let fail = |e| err("cannot activate a model version", e);
    let s = c
        .prepared(
            "UPDATE eventfold_models SET active = false \
             WHERE model = $1 AND active AND revision <> $2",
            &[Type::TEXT, Type::TEXT],
        )
        .map_err(fail)?;
    c.client.execute(&s, &[&model, &revision]).map_err(fail)?;
    let s = c
        .prepared(
            "UPDATE eventfold_models SET active = true, activated_at = $3 \
             WHERE model = $1 AND revision = $2 AND NOT active",
            &[Type::TEXT, Type::TEXT, Type::TEXT],
        )
        .map_err(fail)?;
    c.client
        .execute(&s, &[&model, &revision, &at])
        .map_err(fail)?;
    let s = c
        .prepared(
            "UPDATE eventfold_registry SET generation = generation + 1 WHERE id = 1",
            &[],
        )
        .map_err(fail)?;
    c.client.execute(&s, &[]).map_err(fail)?;
    Ok(true)
}

fn versions(c: &mut Conn, sql: &'static str) -> Result<Vec<ModelVersion>> {
    let fail = |e| err("cannot read the model registry", e);
    let s = c.prepared(sql, &[]).map_err(fail)?;
    c.client
        .query(&s, &[])
        .map_err(fail)?
        .iter()
        .map(version_of)
        .collect::<Result<_, _>>()
        .map_err(fail)
}

pub(super) fn active_versions(c: &mut Conn) -> Result<Vec<ModelVersion>> {
    versions(
        c,
        "SELECT model, revision, fingerprint, source, active, registered_at, activated_at \
         FROM eventfold_models WHERE active ORDER BY model",
    )
}

pub(super) fn model_versions(c: &mut Conn) -> Result<Vec<ModelVersion>> {
    versions(
        c,
        "SELECT model, revision, fingerprint, source, active, registered_at, activated_at \
         FROM eventfold_models ORDER BY model, registered_at, revision",
    )
}

pub(super) fn model_source(c: &mut Conn, hash: &str) -> Result<Option<String>> {
    c.prepared(
        "SELECT files FROM eventfold_sources WHERE hash = $1",
        &[Type::TEXT],
    )
    .and_then(|s| c.client.query_opt(&s, &[&hash]))
    .and_then(|r| r.map(|r| r.try_get(0)).transpose())
    .map_err(|e| err("cannot read model files", e))
}

pub(super) fn stored_shapes(c: &mut Conn) -> Result<Vec<StoredShape>> {
    let fail = |e| err("cannot read the stored event types", e);
    let s = c
        .prepared(
            "SELECT model, type, schema, count(*) FROM eventfold_events \
             GROUP BY model, type, schema ORDER BY model, type, schema",
            &[],
        )
        .map_err(fail)?;
    c.client
        .query(&s, &[])
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(StoredShape {
                model: r.try_get(0)?,
                event_type: r.try_get(1)?,
                schema: r.try_get::<_, i32>(2)?.max(0) as u32,
                events: r.try_get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(fail)
}
