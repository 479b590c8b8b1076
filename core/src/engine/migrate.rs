//! `migrate plan` and `migrate apply` (ARCHITECTURE.md "Model changes,
//! live"): a model change as a routine, live operation.
//!
//! - **Plan** reads only. It compares the store's active versions with the
//!   new domain: the language's differences, every stored (type, schema)
//!   the new model cannot read (blocking), a replay of every stream whose
//!   model's fingerprint changes under both models (failures and differing
//!   states), and the projections that must rebuild.
//! - **Apply** refuses what plan would call not ok. It registers the new
//!   versions (inactive), builds their snapshots and the projections'
//!   shadow tables while the old model keeps serving, then, in one write
//!   transaction, folds what was written meanwhile into the shadows, swaps
//!   them in and switches the active versions. Writers wait only for that
//!   transaction, whose work is the events written during the build. A
//!   crash before it leaves the old model active; the transaction commits
//!   whole or not at all, so never a mix.

mod diff;

pub use diff::{LanguageChange, StateChange};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value as Json;

use super::load::{fold_onto, initial, snapshot_of, Reader};
use super::models::{compile_files, Current};
use super::projections::{shadow_names, start_shadow, swap_in};
use super::{Engine, Entry};
use crate::error::{Error, Result};
use crate::language::readside::Projection;
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{Activate, ModelVersion};
use crate::tables::RowStore;
use crate::Domain;

/// How many differing streams a plan shows with their changes by default.
pub const DIFFERENCES: usize = 5;
/// At most this many changed places are shown per stream.
const CHANGES_PER_STREAM: usize = 20;
/// A shadow is swapped in, in the switch, once at most this many events
/// are left to fold into it.
const SWITCH_AT: u64 = 100;
/// Snapshots written per transaction while apply builds.
const SNAPSHOTS_PER_WRITE: usize = 500;

/// A model whose version changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelChange {
    pub model: String,
    /// The active revision, `None` for a model the store has not seen.
    pub from: Option<String>,
    pub to: String,
    /// Its fingerprint changes: its streams are replayed and get new
    /// snapshots.
    pub replay: bool,
}

/// A stored (type, schema) that the new model cannot read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocking {
    pub model: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema: u32,
    pub events: u64,
    pub code: &'static str,
    pub message: String,
}

/// A stream that fails to replay under the new model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failed {
    pub stream: String,
    pub code: &'static str,
    pub message: String,
}

/// A stream whose state differs under the new model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub stream: String,
    pub changes: Vec<StateChange>,
}

/// The replay of the affected streams.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Replay {
    pub streams: u64,
    pub events: u64,
    pub failed: Vec<Failed>,
    /// How many streams' states differ.
    pub different: u64,
    /// The first few of them, with where they differ.
    pub differences: Vec<Difference>,
}

/// A projection whose tables change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionChange {
    pub name: String,
    /// `new`, `changed` or `removed`.
    pub change: &'static str,
    /// In a plan, for a new or changed one: how each of its tables' rows
    /// would change, rebuilt from every stored event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableChange>,
    /// In a plan: the error the new projection fails with on the stored
    /// events (`{"code", "message"}`); apply would refuse it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Json>,
}

/// How a table's rows would change, by key, against the live rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableChange {
    pub table: String,
    pub before: u64,
    pub after: u64,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// What `migrate_plan` finds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Nothing blocks and no stream fails: apply would go ahead.
    pub ok: bool,
    pub models: Vec<ModelChange>,
    pub language: Vec<LanguageChange>,
    pub blocking: Vec<Blocking>,
    pub replay: Replay,
    pub projections: Vec<ProjectionChange>,
}

/// A model switched by `migrate_apply`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Switched {
    pub model: String,
    pub from: Option<String>,
    pub to: String,
}

/// What `migrate_apply` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub models: Vec<Switched>,
    /// Snapshots built under the new fingerprints.
    pub snapshots: u64,
    /// Projections rebuilt and swapped in.
    pub projections: Vec<String>,
    /// Events read to build them.
    pub events: u64,
    /// Events written during the build, folded in the switch.
    pub caught_up: u64,
    /// The head when the switch committed.
    pub position: u64,
    pub millis: f64,
    /// How long writers were held off: the switch's transaction.
    pub pause_millis: f64,
}

/// The store's side of a change: the active versions, and the old domain
/// of each model (compiled from the registry's files).
struct Before {
    active: HashMap<String, ModelVersion>,
    domains: HashMap<String, Arc<Current>>,
}

impl Engine {
    /// The plan of a change to `next`: see the module's doc.
    pub fn migrate_plan(&self, next: &Domain) -> Result<Plan> {
        self.migrate_plan_with_progress(next, DIFFERENCES, &mut |_, _| {})
    }

    /// `migrate_plan`, showing up to `differences` differing streams, and
    /// telling `progress(streams done, streams total)` as it replays.
    pub fn migrate_plan_with_progress(
        &self,
        next: &Domain,
        differences: usize,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Plan> {
        self.check_open()?;
        let next = Current::new(next.clone())?;
        let before = self.before(&next)?;
        let models = changes(&next, &before);
        let mut language = Vec::new();
        let described = next.domain.describe();
        for m in &models {
            let old = before.domains.get(&m.model).map(|c| c.domain.describe());
            let old_model = old.as_ref().and_then(|d| model_of(d, &m.model)).cloned();
            if let Some(new_model) = model_of(&described, &m.model) {
                language.extend(diff::language(&m.model, old_model.as_ref(), new_model));
            }
        }
        let blocking = self.blocking(&next)?;
        let blocked: HashSet<&str> = blocking.iter().map(|b| b.model.as_str()).collect();
        let mut replay = Replay::default();
        let replayed: Vec<&ModelChange> = models
            .iter()
            .filter(|m| m.replay && !blocked.contains(m.model.as_str()))
            .collect();
        let mut streams = Vec::new();
        for m in &replayed {
            for (s, _) in self.inner.store.streams(Some(&m.model))? {
                streams.push((m.model.clone(), s));
            }
        }
        let total = streams.len() as u64;
        progress(0, total);
        for (i, (model, stream)) in streams.iter().enumerate() {
            replay.streams += 1;
            let after = match self.replay_under(&next, model, stream) {
                Ok(e) => e,
                Err(e) => {
                    replay.failed.push(Failed {
                        stream: stream.clone(),
                        code: e.code(),
                        message: e.to_string(),
                    });
                    progress(i as u64 + 1, total);
                    continue;
                }
            };
            replay.events += after.version;
            // Under the old model (none: the initial state of nothing).
            let old_state = match before.domains.get(model) {
                Some(old) => self
                    .replay_under(old, model, stream)
                    .map(|e| e.state.to_json())
                    .unwrap_or(Json::Null),
                None => Json::Null,
            };
            let new_state = after.state.to_json();
            if old_state != new_state {
                replay.different += 1;
                if replay.differences.len() < differences {
                    replay.differences.push(Difference {
                        stream: stream.clone(),
                        changes: diff::states(&old_state, &new_state, CHANGES_PER_STREAM),
                    });
                }
            }
            progress(i as u64 + 1, total);
        }
        let mut projections = self.projection_changes(&next, &before)?;
        for change in projections.iter_mut().filter(|c| c.change != "removed") {
            let p = next
                .domain
                .read_side()
                .projection(&change.name)
                .expect("a change names one of the domain's projections");
            let old = before
                .domains
                .values()
                .find(|c| c.domain.read_side().projection(&p.name).is_some());
            match self.preview_rows(&next, p, old.map(|c| &**c))? {
                Ok(tables) => change.tables = tables,
                Err(e) => {
                    let mut j = e.to_json();
                    if let Json::Object(o) = &mut j {
                        o.retain(|k, _| k == "code" || k == "message");
                    }
                    change.error = Some(j);
                }
            }
        }
        let projections_ok = projections.iter().all(|c| c.error.is_none());
        Ok(Plan {
            ok: blocking.is_empty() && replay.failed.is_empty() && projections_ok,
            models,
            language,
            blocking,
            replay,
            projections,
        })
    }

    /// `migrate_plan` as JSON; `options` `{"differences": N}`.
    pub fn migrate_plan_json(&self, next: &Domain, options: Option<&str>) -> Result<String> {
        let differences = crate::options::migrate_plan_differences(&self.options_json(options)?)?
            .unwrap_or(DIFFERENCES);
        let plan = self.migrate_plan_with_progress(next, differences, &mut |_, _| {})?;
        Ok(super::json::to_json(&plan))
    }

    /// Switches the store to `next`: see the module's doc. Afterwards this
    /// engine runs `next`.
    pub fn migrate_apply(&self, next: &Domain) -> Result<Applied> {
        self.migrate_apply_with_progress(next, &mut |_, _, _| {})
    }

    /// `migrate_apply`, telling `progress(stage, done, total)` as it goes:
    /// stage `snapshots` (streams), `projections` (events folded into the
    /// shadows, of the head), then `switch` once, just before the switch.
    pub fn migrate_apply_with_progress(
        &self,
        next: &Domain,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<Applied> {
        self.check_open()?;
        let started = Instant::now();
        let next = Arc::new(Current::new(next.clone())?);
        let before = self.before(&next)?;
        let models = changes(&next, &before);
        if let Some(b) = self.blocking(&next)?.into_iter().next() {
            return Err(refused(Error::UnknownEvent { message: b.message }));
        }
        // Registered, not active: the switch is below.
        let (source, versions) = next.registration();
        self.inner.store.register(
            &source,
            &versions,
            Activate::Unclaimed,
            &super::clock::recorded_at(),
        )?;
        let mut applied = Applied {
            models: Vec::new(),
            snapshots: 0,
            projections: Vec::new(),
            events: 0,
            caught_up: 0,
            position: 0,
            millis: 0.0,
            pause_millis: 0.0,
        };
        // The new snapshots, while the old model serves.
        let mut streams = Vec::new();
        for m in models.iter().filter(|m| m.replay) {
            for (stream, _) in self.inner.store.streams(Some(&m.model))? {
                streams.push((m, stream));
            }
        }
        let total = streams.len() as u64;
        progress("snapshots", 0, total);
        let mut pending = Vec::with_capacity(SNAPSHOTS_PER_WRITE);
        for (done, (m, stream)) in streams.into_iter().enumerate() {
            let entry = self
                .replay_under(&next, &m.model, &stream)
                .map_err(|e| refused(at_stream(e, &stream)))?;
            applied.events += entry.version;
            pending.extend(snapshot_of(&next, &m.model, &stream, &entry));
            if pending.len() == SNAPSHOTS_PER_WRITE {
                self.inner.store.save_snapshots(&pending)?;
                applied.snapshots += pending.len() as u64;
                pending.clear();
            }
            progress("snapshots", done as u64 + 1, total);
        }
        self.inner.store.save_snapshots(&pending)?;
        applied.snapshots += pending.len() as u64;
        // The projections' shadows, while the live tables serve.
        let rebuilt = self.projection_changes(&next, &before)?;
        let read = next.domain.read_side();
        let mut building: Vec<&Projection> = Vec::new();
        for change in rebuilt.iter().filter(|c| c.change != "removed") {
            let p = read
                .projection(&change.name)
                .expect("a change names one of the domain's projections");
            applied.events += self.build_shadow(&next.domain, p, progress)?;
            building.push(p);
        }
        progress("switch", 0, 1);
        // The switch: one transaction, the only pause writers see.
        let at = super::clock::recorded_at();
        let mut caught_up = 0;
        let mut position = 0;
        let paused = Instant::now();
        let mut before_switch = None;
        let switched = self.inner.store.write(&mut |tx| {
            caught_up = 0;
            for p in &building {
                caught_up += self.swap_shadow(&next.domain, p, tx.read_side())?;
            }
            for m in &models {
                tx.activate(&m.model, &m.to, &at)?;
            }
            position = tx.read_side().head()?;
            // This engine switches under the write lock, so that none of
            // its own commands meets the new model with the old one: one
            // prepared before fails the check and is prepared again.
            before_switch = Some(self.set_current(next.clone()));
            Ok(())
        });
        if let Err(e) = switched {
            if let Some(old) = before_switch {
                self.set_current(old);
            }
            return Err(e);
        }
        applied.pause_millis = paused.elapsed().as_secs_f64() * 1000.0;
        applied.caught_up = caught_up;
        applied.position = position;
        self.prepare_projections()?;
        // The old versions' snapshots are of no more use.
        for m in models.iter().filter(|m| m.replay) {
            if let Some(old) = before.active.get(&m.model) {
                self.inner.store.delete_snapshots(&old.fingerprint)?;
            }
        }
        applied.models = models
            .into_iter()
            .map(|m| Switched {
                model: m.model,
                from: m.from,
                to: m.to,
            })
            .collect();
        applied.projections = building.iter().map(|p| p.name.to_string()).collect();
        applied.millis = started.elapsed().as_secs_f64() * 1000.0;
        Ok(applied)
    }

    /// `migrate_apply` as JSON; `options` takes no keys yet.
    pub fn migrate_apply_json(&self, next: &Domain, options: Option<&str>) -> Result<String> {
        crate::options::migrate_apply_options(&self.options_json(options)?)?;
        Ok(super::json::to_json(&self.migrate_apply(next)?))
    }

    /// The active versions of `next`'s models and their old domains.
    fn before(&self, next: &Current) -> Result<Before> {
        let mut active = HashMap::new();
        let mut by_source: HashMap<String, Arc<Current>> = HashMap::new();
        let mut domains = HashMap::new();
        let limits = next.domain.limits().clone();
        let mine = self.current();
        let (my_source, _) = mine.registration();
        for v in self.inner.store.model_versions()? {
            if !v.active || !next.revisions.contains_key(&v.model) {
                continue;
            }
            let old = match by_source.get(&v.source) {
                Some(c) => c.clone(),
                None => {
                    let c = if v.source == my_source.hash {
                        mine.clone()
                    } else {
                        let files = self
                            .inner
                            .store
                            .model_source(&v.source)?
                            .unwrap_or_default();
                        Arc::new(Current::new(compile_files(&files, &limits)?)?)
                    };
                    by_source.insert(v.source.clone(), c.clone());
                    c
                }
            };
            if old.revisions.contains_key(&v.model) {
                domains.insert(v.model.clone(), old);
            }
            active.insert(v.model.clone(), v);
        }
        Ok(Before { active, domains })
    }

    /// Every stored (type, schema) of `next`'s models that it cannot read.
    fn blocking(&self, next: &Current) -> Result<Vec<Blocking>> {
        let mut out = Vec::new();
        for shape in self.inner.store.stored_shapes()? {
            let Ok(model) = next.domain.model(&shape.model) else {
                continue;
            };
            if model.reads.find(&shape.event_type, shape.schema).is_some() {
                continue;
            }
            let message = format!(
                "{} stored event(s) of model {} are `{}` at schema {}, which the new model \
                 neither declares nor upcasts: add `upcast {}@{}(...)` to the model",
                shape.events,
                shape.model,
                shape.event_type,
                shape.schema,
                shape.event_type,
                shape.schema
            );
            out.push(Blocking {
                model: shape.model,
                event_type: shape.event_type,
                schema: shape.schema,
                events: shape.events,
                code: "unknown_event",
                message,
            });
        }
        Ok(out)
    }

    /// A stream's state replayed from its first event under `cur`.
    fn replay_under(&self, cur: &Current, model: &str, stream: &str) -> Result<Entry> {
        let start = initial(cur, model)?;
        let mut reader = Reader::Store(&*self.inner.store);
        fold_onto(cur, &mut reader, model, stream, start, &mut |_| {})
    }

    /// The projections whose tables `next` changes.
    fn projection_changes(&self, next: &Current, before: &Before) -> Result<Vec<ProjectionChange>> {
        let read = next.domain.read_side();
        let mut rows: HashMap<String, Option<ProjectionRow>> = HashMap::new();
        let mut old_names: Vec<String> = Vec::new();
        for c in before.domains.values() {
            for p in &c.domain.read_side().projections {
                if !old_names.iter().any(|n| **n == *p.name) {
                    old_names.push(p.name.to_string());
                }
            }
        }
        self.inner.store.read_side(false, &mut |tx| {
            rows.clear();
            for p in &read.projections {
                rows.insert(p.name.to_string(), tx.projection(&p.name)?);
            }
            Ok(())
        })?;
        let mut out = Vec::new();
        for p in &read.projections {
            let change = match rows.get(&*p.name).cloned().flatten() {
                None => "new",
                Some(row) if row.fingerprint != p.fingerprint || row.error.is_some() => "changed",
                Some(_) => continue,
            };
            out.push(ProjectionChange {
                name: p.name.to_string(),
                change,
                tables: Vec::new(),
                error: None,
            });
        }
        for name in old_names {
            if read.projection(&name).is_none() {
                out.push(ProjectionChange {
                    name,
                    change: "removed",
                    tables: Vec::new(),
                    error: None,
                });
            }
        }
        Ok(out)
    }

    /// How `p`'s tables would change, rebuilt under `next` from every
    /// stored event in memory, counted by key against the live rows (read
    /// with the old domain's tables, when it has the projection and its
    /// tables are live). `Ok(Err(..))`: the projection fails on an event.
    fn preview_rows(
        &self,
        next: &Current,
        p: &Projection,
        old: Option<&Current>,
    ) -> Result<std::result::Result<Vec<TableChange>, Error>> {
        let read = next.domain.read_side();
        let mut rows = crate::tables::MemoryRows::default();
        let filter = crate::store::ReadFilter {
            models: next.domain.projection_models(p),
            types: Vec::new(),
        };
        let mut from = 1;
        loop {
            let page = self.inner.store.read_all(&filter, from, 1000)?;
            let Some(last) = page.last().map(|e| e.position) else {
                break;
            };
            for e in &page {
                if let Err(err) = next.domain.project_stored(p, e, &mut rows) {
                    if matches!(err, Error::StoreError { .. } | Error::Internal { .. }) {
                        return Err(err);
                    }
                    return Ok(Err(err.with_message(|m| {
                        format!(
                            "projection {} fails under the new model at position {} (stream {}, \
                             version {}): {m}",
                            p.name, e.position, e.stream, e.version
                        )
                    })));
                }
            }
            from = last + 1;
        }
        let mut out = Vec::new();
        for &t in &p.writes {
            let table = &read.tables[t as usize];
            let after: Vec<Json> = rows.scan(table)?.iter().map(|r| r.to_json()).collect();
            let before = self.live_rows(old, &p.name, &table.name)?;
            let key = |row: &Json| -> Vec<Json> {
                table
                    .key
                    .iter()
                    .map(|&k| row[&*table.columns[k as usize].name].clone())
                    .collect()
            };
            let was: HashMap<String, &Json> = before
                .iter()
                .map(|r| (Json::Array(key(r)).to_string(), r))
                .collect();
            let mut change = TableChange {
                table: table.name.to_string(),
                before: before.len() as u64,
                after: after.len() as u64,
                added: 0,
                removed: 0,
                changed: 0,
            };
            let mut kept = 0;
            for r in &after {
                match was.get(&Json::Array(key(r)).to_string()) {
                    None => change.added += 1,
                    Some(old) => {
                        kept += 1;
                        if *old != r {
                            change.changed += 1;
                        }
                    }
                }
            }
            change.removed = change.before - kept;
            out.push(change);
        }
        Ok(Ok(out))
    }

    /// The live rows of `table`, as the old domain's projection `name`
    /// wrote them (none when it has no live tables).
    fn live_rows(&self, old: Option<&Current>, name: &str, table: &str) -> Result<Vec<Json>> {
        let Some(old) = old else {
            return Ok(Vec::new());
        };
        let old_read = old.domain.read_side();
        let (Some(p), Some(t)) = (old_read.projection(name), old_read.table(table)) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.inner.store.read_side(false, &mut |tx| {
            out.clear();
            let live = tx
                .projection(name)?
                .is_some_and(|row| row.fingerprint == p.fingerprint);
            if !live || t.writer.as_deref() != Some(name) {
                return Ok(());
            }
            let names = super::projections::live_names(old_read);
            tx.with_rows(old_read, &names, &mut |rows| {
                out = rows.scan(t)?.iter().map(|r| r.to_json()).collect();
                Ok(())
            })
        })?;
        Ok(out)
    }

    /// Builds `p`'s shadow tables until at most [`SWITCH_AT`] events are
    /// left; returns how many events it read. A shadow already being built
    /// for `p` (an apply that crashed, or an engine that runs `next`) goes
    /// on from where it is.
    fn build_shadow(
        &self,
        domain: &Domain,
        p: &Projection,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<u64> {
        let read = domain.read_side();
        self.inner.store.read_side(true, &mut |tx| {
            let mut row = match tx.projection(&p.name)? {
                Some(row) => row,
                None => {
                    // Nothing live yet: the swap makes the shadow live.
                    let mut row = ProjectionRow::new(p);
                    row.fingerprint = String::new();
                    row
                }
            };
            if row.shadow_fingerprint.as_deref() != Some(&p.fingerprint) {
                start_shadow(tx, read, p, &mut row)?;
            }
            tx.put_projection(&row)
        })?;
        let names = shadow_names(read, p);
        let mut events = 0;
        loop {
            let (mut reached, mut head) = (0, 0);
            self.inner.store.read_side(true, &mut |tx| {
                let (n, position) = self.fold_shadow(domain, p, &names, tx)?;
                events += n;
                (reached, head) = (position, tx.head()?);
                Ok(())
            })?;
            progress("projections", reached, head);
            if head.saturating_sub(reached) <= SWITCH_AT {
                return Ok(events);
            }
        }
    }

    /// One batch into `p`'s shadow: (events read, position reached).
    fn fold_shadow(
        &self,
        domain: &Domain,
        p: &Projection,
        names: &[String],
        tx: &mut dyn ReadSideTx,
    ) -> Result<(u64, u64)> {
        let Some(mut row) = tx.projection(&p.name)? else {
            return Err(moved_on(p));
        };
        if row.shadow_fingerprint.as_deref() != Some(&p.fingerprint) {
            return Err(moved_on(p));
        }
        let mut poison = None;
        let folded = self.fold_pass(
            domain,
            tx,
            p,
            names,
            row.shadow_position,
            None,
            &HashSet::new(),
            &mut poison,
        );
        let (n, position) = match (folded, poison) {
            (Ok(done), _) => done,
            (Err(_), Some((bad, e))) => {
                return Err(refused(Error::EvaluationError {
                    message: format!(
                        "projection {} fails under the new model at position {} (stream {}, \
                         version {}): {e}",
                        p.name, bad.position, bad.stream, bad.version
                    ),
                }))
            }
            (Err(e), None) => return Err(e),
        };
        row.shadow_position = position;
        tx.put_projection(&row)?;
        Ok((n as u64, position))
    }

    /// Inside the switch: folds what is left into `p`'s shadow and swaps it
    /// in. Returns how many events it folded.
    fn swap_shadow(&self, domain: &Domain, p: &Projection, tx: &mut dyn ReadSideTx) -> Result<u64> {
        let read = domain.read_side();
        let names = shadow_names(read, p);
        let mut folded = 0;
        loop {
            let (n, position) = self.fold_shadow(domain, p, &names, tx)?;
            folded += n;
            if position >= tx.head()? {
                break;
            }
        }
        let Some(mut row) = tx.projection(&p.name)? else {
            return Err(moved_on(p));
        };
        let position = row.shadow_position;
        swap_in(tx, read, p, &mut row, position)?;
        tx.put_projection(&row)?;
        Ok(folded)
    }
}

/// The models of `next` whose version is not the active one.
fn changes(next: &Current, before: &Before) -> Vec<ModelChange> {
    let mut out = Vec::new();
    for m in next.domain.models() {
        let to = next.revisions[m].to_string();
        let old = before.active.get(m);
        if old.is_some_and(|v| v.revision == to) {
            continue;
        }
        out.push(ModelChange {
            model: m.to_string(),
            from: old.map(|v| v.revision.clone()),
            replay: old.is_none_or(|v| v.fingerprint != *next.fingerprints[m]),
            to,
        });
    }
    out
}

fn model_of<'d>(described: &'d Json, model: &str) -> Option<&'d Json> {
    described["models"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == model)
}

/// An error of a refused apply, with its code kept.
fn refused(e: Error) -> Error {
    e.with_message(|m| {
        format!("migrate apply refused: {m}; nothing was switched (run migrate plan to see all)")
    })
}

fn at_stream(e: Error, stream: &str) -> Error {
    e.with_message(|m| format!("stream {stream} fails under the new model: {m}"))
}

fn moved_on(p: &Projection) -> Error {
    Error::StoreError {
        kind: crate::error::StoreErrorKind::Busy,
        message: format!(
            "projection {} was rebuilt or changed by another engine during the migration; \
             run migrate apply again",
            p.name
        ),
    }
}
