//! Projections in the engine (MODEL-LANGUAGE.md §13, ARCHITECTURE.md
//! "Projections and tables"): their tables in the store, inline ones in
//! the append's transaction, and the read verbs `rows`, `projections` and
//! `wait_for`. The async runner and rebuilds are in `runner`.
//!
//! The choices, and why:
//! - **One bookkeeping row per projection** (`ProjectionRow`): the
//!   fingerprint of the live tables, the last position folded into them
//!   (committed with the rows), a stop error, a shadow being rebuilt, and
//!   the lease of the process that runs it. Every step reads it inside its
//!   transaction, so two engines (or processes) never fold one event twice.
//! - **Inline** projections fold, inside each command's savepoint, every
//!   event past their position: the command's own, and any that a writer
//!   without this projection appended before (so they are never skipped).
//!   A handler failure fails that command only.
//! - A projection new to a store that already holds events, or whose
//!   fingerprint changed, gets **shadow tables** built from the first event
//!   while the live ones answer reads; an inline one is folded only once
//!   its rebuild has swapped in.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value as Json;

use super::Engine;
use crate::error::{Error, Result};
use crate::language::ast::ProjectionMode;
use crate::language::readside::{Projection, ReadSide, Table};
use crate::store::readside::{shadow_name, table_names, ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter, WriteTx};
use crate::value::Value;
use crate::Domain;

/// How a projection's handler failure is met by an async projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnProjectionError {
    /// The projection stops at the event, with its error (the default).
    #[default]
    Stop,
    /// The event is kept in `eventfold_parked` and the projection goes on.
    Park,
}

/// One projection, as `projections` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionStatus {
    pub name: String,
    pub mode: &'static str,
    /// `live`, `rebuilding` or `stopped`.
    pub status: &'static str,
    /// The last global position folded into the live tables.
    pub position: u64,
    /// Events past `position`.
    pub lag: u64,
    pub parked: u64,
    /// Why it stopped: `{"code", "message", "position"}`.
    pub error: Option<Json>,
    /// While rebuilding: `{"position", "head"}`.
    pub rebuild: Option<Json>,
    /// The engine (`host:pid:id`) that runs it, while one does.
    pub runner: Option<String>,
}

pub(super) fn mode_name(mode: ProjectionMode) -> &'static str {
    match mode {
        ProjectionMode::Inline => "inline",
        ProjectionMode::Async => "async",
    }
}

/// The stored error of a stopped projection, as the error it was.
pub(super) fn stored_error(name: &str, row: &ProjectionRow) -> Error {
    let parsed: Json = row
        .error
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Json::Null);
    let code = parsed.get("code").and_then(Json::as_str).unwrap_or("");
    let message = format!(
        "projection {name} stopped at position {}: {}; fix the model and rebuild it",
        row.error_position.unwrap_or(0),
        parsed
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or("an error")
    );
    match code {
        "limit_exceeded" => Error::LimitExceeded {
            limit: parsed
                .get("limit")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            message,
        },
        "invalid_event" => Error::InvalidEvent {
            path: String::new(),
            message,
        },
        "unknown_event" => Error::UnknownEvent { message },
        "store_error" => Error::StoreError {
            kind: crate::error::StoreErrorKind::Corrupt,
            message,
        },
        _ => Error::EvaluationError { message },
    }
}

/// The domain's projection of this name.
pub(super) fn projection_named<'r>(read: &'r ReadSide, name: &str) -> Result<&'r Projection> {
    read.projection(name)
        .ok_or_else(|| Error::UnknownProjection {
            message: format!(
                "no projection `{}` in this domain; it has {}",
                name.chars().take(200).collect::<String>(),
                list(read.projections.iter().map(|p| &*p.name))
            ),
        })
}

fn table_named<'r>(read: &'r ReadSide, name: &str) -> Result<&'r Table> {
    read.table(name).ok_or_else(|| Error::UnknownTable {
        message: format!(
            "no table `{}` in this domain; it has {}",
            name.chars().take(200).collect::<String>(),
            list(read.tables.iter().map(|t| &*t.name))
        ),
    })
}

/// Whether the domain has inline projections (the write path skips the
/// read side when it has none).
pub(super) fn has_inline(domain: &Domain) -> bool {
    domain
        .read_side()
        .projections
        .iter()
        .any(|p| p.mode == ProjectionMode::Inline)
}

impl Engine {
    /// At open: every projection gets its row and tables. A new one on an
    /// empty store (or an async one) starts live at position 0; a new
    /// inline one over stored events, and a changed one, get shadow tables
    /// to rebuild into, and the live ones are left as they are.
    pub(super) fn prepare_projections(&self) -> Result<()> {
        let domain = self.domain();
        let read = domain.read_side();
        if read.projections.is_empty() {
            return Ok(());
        }
        self.inner.store.read_side(true, &mut |tx| {
            for p in &read.projections {
                let live = written_names(read, p, false);
                let head = tx.head()?;
                match tx.projection(&p.name)? {
                    None => {
                        tx.create_tables(read, p, &live, &p.fingerprint)?;
                        let inline = p.mode == ProjectionMode::Inline;
                        let mut row = ProjectionRow::new(p);
                        if inline && head > 0 {
                            // No live rows yet, and none folded: what is
                            // live is "nothing", until the shadow swaps in.
                            row.fingerprint = String::new();
                            start_shadow(tx, read, p, &mut row)?;
                        }
                        tx.put_projection(&row)?;
                    }
                    Some(row) if row.fingerprint == p.fingerprint => {}
                    Some(row) if row.shadow_fingerprint.as_deref() == Some(&p.fingerprint) => {}
                    // Changed: rebuilt by an engine that runs projections. A
                    // look with another model (run_projections off) leaves
                    // the store as it is.
                    Some(mut row) if self.inner.options.run_projections => {
                        start_shadow(tx, read, p, &mut row)?;
                        tx.put_projection(&row)?;
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })
    }

    /// Inline projections, inside a command's savepoint, after its append
    /// of `appended` (in position order): each live one folds every event
    /// past its position, those appended by writers without it first.
    pub(super) fn run_inline(
        &self,
        domain: &Domain,
        tx: &mut dyn WriteTx,
        appended: &[RawEvent],
    ) -> Result<()> {
        let read = domain.read_side();
        let Some(first) = appended.first().map(|e| e.position) else {
            return Ok(());
        };
        let last = appended.last().map_or(first, |e| e.position);
        let names = live_names(read);
        for p in &read.projections {
            if p.mode != ProjectionMode::Inline {
                continue;
            }
            let side = tx.read_side();
            let Some(mut row) = side.projection(&p.name)? else {
                continue;
            };
            if row.fingerprint != p.fingerprint {
                // Being rebuilt for this model, or another model's tables.
                continue;
            }
            // Events before this command's that nobody folded yet.
            let mut gap = Vec::new();
            let mut from = row.position + 1;
            while from < first {
                let filter = ReadFilter {
                    models: domain.projection_models(p),
                    types: Vec::new(),
                };
                let page = side.read_all(&filter, from, INLINE_PAGE)?;
                let before: Vec<RawEvent> =
                    page.into_iter().filter(|e| e.position < first).collect();
                let Some(end) = before.last().map(|e| e.position) else {
                    break;
                };
                from = end + 1;
                gap.extend(before);
            }
            side.with_rows(read, &names, &mut |rows| {
                for e in gap.iter().chain(appended) {
                    domain.project_stored(p, e, rows)?;
                }
                Ok(())
            })?;
            row.position = last;
            side.put_projection(&row)?;
        }
        Ok(())
    }

    /// Rows of a table in key order: `options` `{"key": [...], "after":
    /// [...], "limit": n}`; each row an object of every column in declared
    /// order.
    pub fn rows_json(&self, table: &str, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let domain = self.domain();
        let read = domain.read_side();
        let t = table_named(read, table)?;
        let options = match options {
            Some(text) => domain.parse_json(text)?,
            None => Json::Null,
        };
        let o = crate::options::RowsOptions::from_json(&options)?;
        let prefix = key_values(read, t, &o.key, "options.key", false)?;
        let after = match &o.after {
            Some(a) => Some(key_values(read, t, a, "options.after", true)?),
            None => None,
        };
        let names = table_names(read, None);
        let writer = t.writer.as_deref().and_then(|w| read.projection(w));
        let mut out = String::from("[");
        self.inner.store.read_side(false, &mut |tx| {
            // Live tables another version of the projection made (it is
            // being rebuilt for this one) may not have this table's columns.
            let foreign = match writer {
                Some(p) => tx
                    .projection(&p.name)?
                    .is_some_and(|row| row.fingerprint != p.fingerprint),
                None => false,
            };
            let read_rows = tx.with_rows(read, &names, &mut |rows| {
                let page =
                    rows.page(t, &prefix, after.as_deref(), o.limit.unwrap_or(usize::MAX))?;
                for (i, row) in page.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&row.to_json_string());
                }
                Ok(())
            });
            match read_rows {
                Err(Error::StoreError { .. }) if foreign => Err(Error::StoreError {
                    kind: crate::error::StoreErrorKind::Unavailable,
                    message: format!(
                        "table {} is being rebuilt for this model's projection {}, and the \
                         rows of the one before do not fit its columns; `wait_for` the \
                         rebuild, then read it",
                        t.name,
                        writer.map_or("", |p| &*p.name)
                    ),
                }),
                other => other,
            }
        })?;
        out.push(']');
        Ok(out)
    }

    /// Every projection of the domain, in declaration order.
    pub fn projections(&self) -> Result<Vec<ProjectionStatus>> {
        self.check_open()?;
        let domain = self.domain();
        let read = domain.read_side();
        let mut rows = Vec::new();
        let mut head = 0;
        self.inner.store.read_side(false, &mut |tx| {
            head = tx.head()?;
            rows.clear();
            for p in &read.projections {
                let row = tx.projection(&p.name)?;
                let lag = match &row {
                    Some(r) => tx.count_after(r.position)?,
                    None => tx.count_after(0)?,
                };
                rows.push((row, lag));
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (p, (row, lag)) in read.projections.iter().zip(rows) {
            let parked = self.inner.store.parked_count(&p.name)?;
            let row = row.unwrap_or_else(|| ProjectionRow::new(p));
            let error = row.error.as_deref().map(|text| {
                let mut e: Json = serde_json::from_str(text).unwrap_or(Json::Null);
                if let Json::Object(o) = &mut e {
                    o.insert("position".into(), row.error_position.unwrap_or(0).into());
                }
                e
            });
            let mine = row.shadow_fingerprint.as_deref() == Some(&p.fingerprint);
            // Another model's shadow is not this engine's business; live
            // tables of another model's projection are not this one's rows.
            let status = if row.error.is_some() {
                "stopped"
            } else if mine || row.fingerprint != p.fingerprint {
                "rebuilding"
            } else {
                "live"
            };
            let rebuilding = mine;
            out.push(ProjectionStatus {
                name: p.name.to_string(),
                mode: mode_name(p.mode),
                status,
                position: row.position,
                lag,
                parked,
                error,
                rebuild: rebuilding
                    .then(|| serde_json::json!({"position": row.shadow_position, "head": head})),
                runner: row
                    .lease_owner
                    .clone()
                    .filter(|_| row.lease_live(super::runner::now_ms())),
            });
        }
        Ok(out)
    }

    pub fn projections_json(&self) -> Result<String> {
        Ok(super::json::to_json(&self.projections()?))
    }

    /// Waits until every async projection (or `projection`), and every one
    /// being rebuilt, has folded the events up to `position`: read your
    /// writes. `true` when reached, `false` at `timeout`. A projection
    /// stopped below `position` fails at once with its error.
    pub fn wait_for(
        &self,
        position: u64,
        projection: Option<&str>,
        timeout: Duration,
    ) -> Result<bool> {
        self.check_open()?;
        let domain = self.domain();
        let read = domain.read_side();
        let wanted: Vec<&Projection> = match projection {
            Some(name) => vec![projection_named(read, name)?],
            None => read.projections.iter().collect(),
        };
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.inner.runner.progress();
            let mut reached = true;
            let mut failed = None;
            self.inner.store.read_side(false, &mut |tx| {
                reached = true;
                for p in &wanted {
                    let row = tx.projection(&p.name)?;
                    let Some(row) = row else {
                        reached = false;
                        continue;
                    };
                    let live = row.fingerprint == p.fingerprint
                        && row.shadow_fingerprint.as_deref() != Some(&p.fingerprint);
                    if p.mode == ProjectionMode::Inline && live {
                        continue;
                    }
                    if row.error.is_some() && row.position < position {
                        failed = Some(stored_error(&p.name, &row));
                        return Ok(());
                    }
                    if !live || row.position < position {
                        reached = false;
                    }
                }
                Ok(())
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            if reached {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            // Woken by this engine's runner at once; another process's
            // progress is seen at the next look.
            self.inner
                .runner
                .wait_progress(seen, (deadline - now).min(CROSS_PROCESS_LOOK));
            self.check_open()?;
        }
    }

    /// `wait_for` with `options` `{"projection", "timeout"}` (milliseconds,
    /// default 30000): `"true"` or `"false"`.
    pub fn wait_for_json(&self, position: u64, options: Option<&str>) -> Result<String> {
        self.check_open()?;
        let options = match options {
            Some(text) => self.current().domain.parse_json(text)?,
            None => Json::Null,
        };
        let o = crate::options::WaitOptions::from_json(&options)?;
        let reached = self.wait_for(
            position,
            o.projection.as_deref(),
            o.timeout.unwrap_or(DEFAULT_WAIT),
        )?;
        Ok(reached.to_string())
    }
}

/// Events an inline projection reads per page when it catches up.
const INLINE_PAGE: usize = 1000;
/// How long `wait_for` waits by default.
const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// How often `wait_for` looks again for progress made by another process.
const CROSS_PROCESS_LOOK: Duration = Duration::from_millis(50);

impl ProjectionRow {
    pub(super) fn new(p: &Projection) -> ProjectionRow {
        ProjectionRow {
            name: p.name.to_string(),
            mode: mode_name(p.mode).to_string(),
            fingerprint: p.fingerprint.clone(),
            position: 0,
            error: None,
            error_position: None,
            shadow_fingerprint: None,
            shadow_position: 0,
            lease_owner: None,
            lease_until: None,
        }
    }
}

/// The SQL names of the domain's tables, all live.
pub(super) fn live_names(read: &ReadSide) -> Vec<String> {
    table_names(read, None)
}

/// The SQL names with `p`'s tables under their shadow names.
pub(super) fn shadow_names(read: &ReadSide, p: &Projection) -> Vec<String> {
    table_names(read, Some(p))
}

/// Creates empty shadow tables for `p` and marks `row` as rebuilding them
/// from the first event.
pub(super) fn start_shadow(
    tx: &mut dyn ReadSideTx,
    read: &ReadSide,
    p: &Projection,
    row: &mut ProjectionRow,
) -> Result<()> {
    tx.create_tables(read, p, &written_names(read, p, true), &p.fingerprint)?;
    row.shadow_fingerprint = Some(p.fingerprint.clone());
    row.shadow_position = 0;
    Ok(())
}

/// The SQL names of the tables `p` writes: their own, or (`shadow`) their
/// shadow names.
pub(super) fn written_names(read: &ReadSide, p: &Projection, shadow: bool) -> Vec<String> {
    p.writes
        .iter()
        .map(|&t| {
            let name = &read.tables[t as usize].name;
            if shadow {
                shadow_name(name)
            } else {
                name.to_string()
            }
        })
        .collect()
}

/// Swaps `p`'s shadow tables in for its live ones, and marks `row` live at
/// `position` (the caller puts it): the end of a rebuild, and of a
/// migration's build.
pub(super) fn swap_in(
    tx: &mut dyn ReadSideTx,
    read: &ReadSide,
    p: &Projection,
    row: &mut ProjectionRow,
    position: u64,
) -> Result<()> {
    tx.rename_tables(
        &written_names(read, p, true),
        &written_names(read, p, false),
        &p.fingerprint,
    )?;
    row.fingerprint = p.fingerprint.clone();
    row.mode = mode_name(p.mode).to_string();
    row.position = position;
    row.shadow_fingerprint = None;
    row.shadow_position = 0;
    row.error = None;
    row.error_position = None;
    Ok(())
}

/// Key values given as JSON, typed by the table's key columns: a prefix,
/// or (`whole`) every key column.
fn key_values(
    read: &crate::language::readside::ReadSide,
    t: &Table,
    given: &[Json],
    at: &str,
    whole: bool,
) -> Result<Vec<Value>> {
    let n = t.key.len();
    if given.len() > n || (whole && given.len() != n) {
        return Err(Error::InvalidCommand {
            path: at.to_string(),
            message: format!(
                "table {} has {n} key column{} ({}); give {} value{} in that order",
                t.name,
                if n == 1 { "" } else { "s" },
                t.key
                    .iter()
                    .map(|&k| &*t.columns[k as usize].name)
                    .collect::<Vec<_>>()
                    .join(", "),
                if whole { "all" } else { "at most that many" },
                if n == 1 { "" } else { "s" },
            ),
        });
    }
    given
        .iter()
        .zip(&t.key)
        .enumerate()
        .map(|(i, (v, &k))| {
            let column = &t.columns[k as usize];
            let mut path = format!("{at}[{i}]");
            read.types
                .decode(v, &column.ty, &mut path)
                .map_err(|e| Error::InvalidCommand {
                    path: e.path,
                    message: format!("key column `{}`: {}", column.name, e.message),
                })
        })
        .collect()
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
