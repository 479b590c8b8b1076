//! The model registry (ARCHITECTURE.md "Model changes, live"): every
//! version of each model that wrote to a store, with its files and
//! fingerprint, and which one is active.
//!
//! The store keeps rows; what they mean is the engine's (`engine/models.rs`):
//! an engine registers its models when it opens, checks its model against
//! the active one inside every write, and `migrate apply` switches the
//! active versions in one transaction.

use serde::Serialize;

/// One registered version of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelVersion {
    pub model: String,
    /// Names the version: a hash of everything the model declares (see
    /// `language::fingerprint::revision`).
    pub revision: String,
    /// What its snapshots carry.
    pub fingerprint: String,
    /// The hash of its files in the registry ([`crate::store::Store::model_source`]).
    #[serde(skip)]
    pub source: String,
    pub active: bool,
    pub registered_at: String,
    pub activated_at: Option<String>,
}

/// A version to register: see [`crate::store::Store::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub model: String,
    pub revision: String,
    pub fingerprint: String,
}

/// The files a set of versions was compiled from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFiles {
    /// Lowercase hex SHA-256 of `files`.
    pub hash: String,
    /// JSON `[{"name", "text"}]`.
    pub files: String,
}

/// Which registered versions become active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activate {
    /// A version the store has never seen becomes its model's active one,
    /// as does any version of a model without one: what opening an engine
    /// does.
    Unseen,
    /// Only a model without an active version gets one: what `migrate
    /// apply` does before it builds, so that the switch stays its own.
    Unclaimed,
}

/// How many stored events of a model have a type and schema: what `migrate
/// plan` checks against the new model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShape {
    pub model: String,
    pub event_type: String,
    pub schema: u32,
    pub events: u64,
}

/// Deactivates whatever else is active for `model` and activates
/// `revision`, in a list of rows the memory store keeps.
pub(crate) fn activate_in(
    rows: &mut [ModelVersion],
    model: &str,
    revision: &str,
    at: &str,
) -> bool {
    if !rows
        .iter()
        .any(|r| r.model == model && r.revision == revision)
    {
        return false;
    }
    for r in rows.iter_mut().filter(|r| r.model == model) {
        let on = r.revision == revision;
        if on && !r.active {
            r.activated_at = Some(at.to_string());
        }
        r.active = on;
    }
    true
}
