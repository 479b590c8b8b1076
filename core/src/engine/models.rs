//! The engine's models and the store's registry of them (ARCHITECTURE.md
//! "Model changes, live").
//!
//! The choices, and why:
//! - **What an engine runs** is one [`Current`]: the domain with each
//!   model's fingerprint and revision. It is swapped whole (`follow`,
//!   `migrate apply`), and each command runs under the one it was prepared
//!   with, so a command never mixes two models.
//! - **Opening registers** the domain's models with their files. A version
//!   the store has never seen becomes its model's active one (the first
//!   open, or a deploy of new files); a version seen before and since
//!   replaced is not made active again, so an old deploy that comes back
//!   cannot write over the new model.
//! - **The check is inside the write**: each group commit reads the
//!   registry's generation (one row); only when it moved are the active
//!   versions read again. A command whose model is not the active version
//!   fails with `model_changed`, or (`on_model_change: follow`) the engine
//!   compiles the active files from the store, switches to them and runs the
//!   command again. Since the check and the append share the transaction, no
//!   event is written by a model after another replaced it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::{fingerprint, Engine, EngineOptions};
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::source::Source;
use crate::store::{self, Activate, ModelVersion, NewVersion, SourceFiles, Store, WriteTx};
use crate::Domain;

/// How an engine meets a store whose active model is not its own, at its
/// next append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnModelChange {
    /// The command fails with `model_changed` (the default).
    #[default]
    Fail,
    /// Load the active model from the store and run the command with it.
    Follow,
}

/// What an engine runs: a domain and, per model, its fingerprint (for
/// snapshots) and revision (its name in the registry).
#[derive(Debug)]
pub(crate) struct Current {
    pub(crate) domain: Domain,
    pub(crate) fingerprints: HashMap<String, Arc<str>>,
    pub(crate) revisions: HashMap<String, Arc<str>>,
}

impl Current {
    pub(crate) fn new(domain: Domain) -> Result<Current> {
        let mut fingerprints = HashMap::new();
        let mut revisions = HashMap::new();
        for m in domain.models() {
            fingerprints.insert(m.to_string(), Arc::from(fingerprint(&domain, m)?));
            revisions.insert(m.to_string(), Arc::from(revision(&domain, m)?));
        }
        Ok(Current {
            domain,
            fingerprints,
            revisions,
        })
    }

    /// The versions to register, with the files they come from.
    pub(crate) fn registration(&self) -> (SourceFiles, Vec<NewVersion>) {
        let versions = self
            .domain
            .models()
            .into_iter()
            .map(|m| NewVersion {
                model: m.to_string(),
                revision: self.revisions[m].to_string(),
                fingerprint: self.fingerprints[m].to_string(),
            })
            .collect();
        (source_files(&self.domain), versions)
    }
}

/// The revision of a model: its name in the store's registry (see
/// `language::fingerprint::revision`).
pub fn revision(domain: &Domain, model: &str) -> Result<String> {
    Ok(crate::language::fingerprint::revision(domain.model(model)?))
}

/// A domain's files as the registry keeps them.
pub(crate) fn source_files(domain: &Domain) -> SourceFiles {
    let files: Vec<Json> = domain
        .sources()
        .iter()
        .map(|s| json!({"name": s.name, "text": s.text}))
        .collect();
    let files = Json::Array(files).to_string();
    let hash = super::hex(&Sha256::digest(files.as_bytes()));
    SourceFiles { hash, files }
}

/// Compiles files as the registry keeps them.
pub(crate) fn compile_files(files: &str, limits: &crate::Limits) -> Result<Domain> {
    let bad = || Error::StoreError {
        kind: StoreErrorKind::Corrupt,
        message: "a model's files in the store's registry are not a list of {name, text}".into(),
    };
    let parsed: Vec<Json> = serde_json::from_str(files).map_err(|_| bad())?;
    let mut sources = Vec::with_capacity(parsed.len());
    for f in parsed {
        match (
            f.get("name").and_then(Json::as_str),
            f.get("text").and_then(Json::as_str),
        ) {
            (Some(n), Some(t)) => sources.push(Source::new(n, t)),
            _ => return Err(bad()),
        }
    }
    Domain::compile_with_limits(&sources, limits.clone())
}

/// The active versions as the engine last read them, by generation.
#[derive(Debug, Default)]
pub(super) struct Seen {
    generation: Option<u64>,
    active: HashMap<String, String>,
}

pub(super) type SeenCell = Mutex<Seen>;

impl Seen {
    /// `Err(model_changed)` for the first of `models` whose revision under
    /// `current` is not the store's active one.
    pub(super) fn check<'m>(
        &self,
        current: &Current,
        models: impl Iterator<Item = &'m str>,
    ) -> std::result::Result<(), Error> {
        for m in models {
            let (Some(active), Some(mine)) = (self.active.get(m), current.revisions.get(m)) else {
                continue;
            };
            if **mine != *active {
                return Err(model_changed(
                    m,
                    format!(
                        "the store's active version of model {m} is {}, and this engine runs {}: \
                         reopen the engine with the active model's files, or open it with \
                         on_model_change: \"follow\"",
                        short(active),
                        short(mine)
                    ),
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn model_changed(model: &str, message: String) -> Error {
    Error::ModelChanged {
        model: model.to_string(),
        message,
    }
}

impl Engine {
    /// What this engine runs now.
    pub(crate) fn current(&self) -> Arc<Current> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Opens an engine whose domain is the store's active models: for tools
    /// (the CLI's `migrate`) that must not register files of their own.
    pub fn open_active(store: &str, options: EngineOptions) -> Result<Engine> {
        let store: Arc<dyn Store> = Arc::from(store::open(store)?);
        let domain = active_domain(&*store, &crate::Limits::default())?;
        Engine::with_store(store, domain, options)
    }

    /// Registers this engine's models (see the module's doc).
    pub(super) fn register_models(&self) -> Result<()> {
        let current = self.current();
        // A look without models (a tool reading events) has nothing to
        // register, and a look that must not deploy its files registers
        // nothing either.
        if current.revisions.is_empty() || !self.inner.options.register_models {
            return Ok(());
        }
        let (source, versions) = current.registration();
        self.inner.store.register(
            &source,
            &versions,
            Activate::Unseen,
            &super::clock::recorded_at(),
        )?;
        Ok(())
    }

    /// Every registered version as JSON: `[{"model", "revision",
    /// "fingerprint", "active", "registered_at", "activated_at"}]`.
    pub fn model_versions_json(&self) -> Result<String> {
        self.check_open()?;
        let versions = self.inner.store.model_versions()?;
        serde_json::to_string(&versions).map_err(|e| Error::Internal {
            message: format!("cannot write the model versions: {e}"),
        })
    }

    /// Every registered version.
    pub fn model_versions(&self) -> Result<Vec<ModelVersion>> {
        self.check_open()?;
        self.inner.store.model_versions()
    }

    /// Inside a write: the store's active versions, read again only when
    /// the registry's generation moved. Read once per group commit; the
    /// guard is held while its jobs are checked.
    pub(super) fn active_in(&self, tx: &mut dyn WriteTx) -> Result<MutexGuard<'_, Seen>> {
        let mut seen = self.inner.seen.lock().unwrap_or_else(|e| e.into_inner());
        let generation = tx.registry_generation()?;
        if seen.generation != Some(generation) {
            seen.active = tx
                .active_versions()?
                .into_iter()
                .map(|v| (v.model, v.revision))
                .collect();
            seen.generation = Some(generation);
        }
        Ok(seen)
    }

    /// `on_model_change: follow`: compiles the active files of `model` from
    /// the store and runs them from now on.
    pub(super) fn follow(&self, model: &str) -> Result<()> {
        let versions = self.inner.store.model_versions()?;
        let Some(active) = versions.iter().find(|v| v.active && v.model == model) else {
            return Err(model_changed(
                model,
                format!("the store has no active version of model {model} to follow"),
            ));
        };
        let files = self
            .inner
            .store
            .model_source(&active.source)?
            .ok_or_else(|| Error::StoreError {
                kind: StoreErrorKind::Corrupt,
                message: format!(
                    "the registry names files {} for model {model}, and the store has none",
                    short(&active.source)
                ),
            })?;
        let limits = self.current().domain.limits().clone();
        let domain = compile_files(&files, &limits)?;
        self.switch_to(domain)
    }

    /// A read met an event `model` cannot read: with `follow`, and when the
    /// store's active version of `model` is not this engine's, follow it.
    /// True when the engine switched (the read is worth trying again).
    pub(super) fn follow_on_read(&self, model: &str) -> Result<bool> {
        if self.inner.options.on_model_change != OnModelChange::Follow {
            return Ok(false);
        }
        let mine = self.current().revisions.get(model).cloned();
        let active = self
            .inner
            .store
            .model_versions()?
            .into_iter()
            .find(|v| v.active && v.model == model);
        match (active, mine) {
            (Some(a), Some(m)) if *a.revision != *m => {
                self.follow(model)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Runs `domain` from now on: commands prepared before keep theirs and
    /// fail the check if it is no longer active.
    pub(super) fn switch_to(&self, domain: Domain) -> Result<()> {
        self.set_current(Arc::new(Current::new(domain)?));
        self.prepare_projections()
    }

    /// Swaps what the engine runs; returns what it ran.
    pub(super) fn set_current(&self, next: Arc<Current>) -> Arc<Current> {
        std::mem::replace(
            &mut *self
                .inner
                .current
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            next,
        )
    }
}

/// The domain of a store's active models (they must come from one set of
/// files, as `migrate apply` leaves them).
pub(crate) fn active_domain(store: &dyn Store, limits: &crate::Limits) -> Result<Domain> {
    let versions = store.model_versions()?;
    let mut sources: Vec<&str> = versions
        .iter()
        .filter(|v| v.active)
        .map(|v| v.source.as_str())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    match sources.as_slice() {
        [one] => {
            let files = store.model_source(one)?.ok_or_else(|| Error::StoreError {
                kind: StoreErrorKind::Corrupt,
                message: format!(
                    "the registry names files {} and the store has none",
                    short(one)
                ),
            })?;
            compile_files(&files, limits)
        }
        [] => Err(Error::StoreError {
            kind: StoreErrorKind::Unavailable,
            message: "the store has no model registered yet: open it with the model files \
                      (--model FILES) first"
                .into(),
        }),
        _ => Err(Error::StoreError {
            kind: StoreErrorKind::Unavailable,
            message: format!(
                "the store's active models come from {} different sets of files; pass the \
                 model files (--model FILES)",
                sources.len()
            ),
        }),
    }
}

/// The first 12 hex digits: enough for people.
pub(crate) fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
