//! Event versions and upcasts, as lowered (MODEL-LANGUAGE.md §12).
//!
//! The checker resolves every name and version when the model is compiled:
//! [`Reads`] says, for each (type, schema) the model can read, whether it is
//! a current event or which upcast reads it, and an upcast's `emit`s index
//! their targets directly (see [`super::ir::Stmt::Emit`]). Reading an old
//! event is then one lookup, and a chain of upcasts is a run of small
//! evaluations with no search by name.

use std::collections::HashMap;

use super::ir::Handler;
use crate::value::Str;

/// One `upcast e@k(...) { ... }`: its params are the fields of version k of
/// `e` as it was stored. `handler.version` is k.
#[derive(Debug, Clone)]
pub struct Upcast {
    pub handler: Handler,
    /// What its `emit`s name, `(event, version)`, in the order they first
    /// appear (for `describe`).
    pub emits: Vec<(Str, u32)>,
}

/// What one stored (type, schema) is to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The current event, by index in the model's events.
    Current(usize),
    /// An older shape, read by the upcast of this index.
    Upcast(usize),
}

/// Every version of one event name the model reads.
#[derive(Debug, Clone, Default)]
struct Versions {
    /// The version a left-out `schema` means (§8): the current event's, or
    /// for a retired name its highest upcast's.
    newest: u32,
    /// By version, ascending.
    reads: Vec<(u32, Read)>,
}

/// How each stored (type, schema) is read.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    by_name: HashMap<Str, Versions>,
}

impl Reads {
    /// Records that `name@version` is read as `read`. A current event sets
    /// the newest version; an upcast only where there is no current event.
    pub fn add(&mut self, name: &str, version: u32, read: Read) {
        let v = self.by_name.entry(name.into()).or_default();
        match v.reads.binary_search_by_key(&version, |(n, _)| *n) {
            Ok(_) => return,
            Err(at) => v.reads.insert(at, (version, read)),
        }
        let has_current = v.reads.iter().any(|(_, r)| matches!(r, Read::Current(_)));
        v.newest = match read {
            Read::Current(_) => version,
            Read::Upcast(_) if !has_current => v.newest.max(version),
            Read::Upcast(_) => v.newest,
        };
    }

    /// How `name` at `schema` is read; `None` when no version of that name
    /// is declared at `schema`.
    pub fn find(&self, name: &str, schema: u32) -> Option<Read> {
        let v = self.by_name.get(name)?;
        v.reads
            .binary_search_by_key(&schema, |(n, _)| *n)
            .ok()
            .map(|i| v.reads[i].1)
    }

    /// The version a left-out `schema` means for `name`, when the model
    /// declares the name at all.
    pub fn newest(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).map(|v| v.newest)
    }

    /// The versions declared for `name`, ascending (for messages).
    pub fn versions(&self, name: &str) -> Vec<u32> {
        self.by_name
            .get(name)
            .map(|v| v.reads.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_is_the_current_one_else_the_highest_upcast() {
        let mut r = Reads::default();
        r.add("a", 1, Read::Upcast(0));
        r.add("a", 3, Read::Current(0));
        r.add("a", 2, Read::Upcast(1));
        assert_eq!(r.newest("a"), Some(3));
        assert_eq!(r.find("a", 2), Some(Read::Upcast(1)));
        assert_eq!(r.find("a", 4), None);
        assert_eq!(r.versions("a"), vec![1, 2, 3]);
        r.add("old", 2, Read::Upcast(2));
        r.add("old", 1, Read::Upcast(3));
        assert_eq!(r.newest("old"), Some(2));
        assert_eq!(r.newest("none"), None);
        assert_eq!(r.find("none", 1), None);
    }
}
