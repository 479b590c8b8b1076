//! Event versions and upcasts (§12): the versions each name is declared at,
//! what an `emit e@k` names, the bodies of upcasts, cycles among them, and
//! the read plan of the lowered model.

use std::collections::HashSet;

use super::*;
use crate::language::versions::{Read, Reads};

/// An upcast's signature, known before any body is checked.
pub(super) struct UpcastSig {
    name: Str,
    version: u32,
    params: Vec<FieldType>,
    /// Its declaration, by index in the model's members.
    member: usize,
}

/// What the checker knows about versions while it walks one model.
#[derive(Default)]
pub(super) struct Versions {
    /// The current version of each event, by index in `events`.
    event_versions: Vec<u32>,
    sigs: Vec<UpcastSig>,
    /// `(name, version)` to index in `sigs`.
    index: HashMap<(Str, u32), u32>,
    /// `(name, version)` the upcast being checked emits, first appearance
    /// order, each once.
    emits: Vec<(Str, u32)>,
    emitted: HashSet<(Str, u32)>,
}

/// `name@version`, for messages.
fn at(name: &str, version: u32) -> String {
    format!("{name}@{version}")
}

impl<'d> ModelChecker<'d> {
    /// Records the current version of the event just pushed to `events`.
    pub(super) fn event_version(&mut self, decl: &ast::HandlerDecl) {
        let v = decl.version.map_or(1, |v| v.value);
        self.versions.event_versions.push(v);
    }

    /// The signatures of the model's upcasts: each name and version at most
    /// once, and below the current event's version.
    pub(super) fn upcast_signatures(&mut self, model: &ast::Model) {
        for (member, m) in model.members.iter().enumerate() {
            let ast::Member::Upcast(u) = m else { continue };
            let version = u.version.map_or(1, |v| v.value);
            let name: Str = u.name.name.as_str().into();
            if let Some(&e) = self.event_index.get(&name) {
                let current = self.versions.event_versions[e as usize];
                if version >= current {
                    let why = if version == current {
                        format!("version {version} of `{name}` is the current event itself")
                    } else {
                        format!("the current event `{name}` is at version {current}")
                    };
                    let fix = if current > 1 {
                        format!(
                            "an upcast reads an older version, from 1 to {}: write `upcast {}`, or declare the new shape with `event {}`",
                            current - 1,
                            at(&name, current - 1),
                            at(&name, version.saturating_add(1).max(current + 1))
                        )
                    } else {
                        format!(
                            "an upcast reads an older version, so give the event a newer one (`event {}(...)`) and let this upcast read version {version}",
                            at(&name, version + 1)
                        )
                    };
                    self.error(
                        u.name.span,
                        format!(
                            "upcast `{}` is not older than its event: {why}; {fix}",
                            at(&name, version)
                        ),
                    );
                    continue;
                }
            }
            if self.versions.index.contains_key(&(name.clone(), version)) {
                self.error(
                    u.name.span,
                    format!(
                        "`{}` is already declared by an upcast in this model; a name and version has one declaration, so remove or renumber this one",
                        at(&name, version)
                    ),
                );
                continue;
            }
            let params = self.fields(&u.params, &format!("upcast {}", at(&name, version)));
            self.versions
                .index
                .insert((name.clone(), version), self.versions.sigs.len() as u32);
            self.versions.sigs.push(UpcastSig {
                name,
                version,
                params,
                member,
            });
        }
    }

    /// What `emit e@k` (or `emit e`) names where it stands: the index of
    /// [`ir::Stmt::Emit`] and the fields. `None` after a diagnostic.
    pub(super) fn emit_target(
        &mut self,
        place: Place,
        event: &Ident,
        version: Option<ast::Version>,
    ) -> Option<(usize, Vec<FieldType>)> {
        let name = event.name.as_str();
        let current = self.event_index.get(name).map(|i| *i as usize);
        let upcast_versions = || -> Vec<u32> {
            let mut v: Vec<u32> = self
                .versions
                .sigs
                .iter()
                .filter(|s| &*s.name == name)
                .map(|s| s.version)
                .collect();
            v.sort_unstable();
            v
        };
        match (current, version) {
            (Some(i), None) => Some((i, self.events[i].params.clone())),
            (Some(i), Some(v)) if v.value == self.versions.event_versions[i] => {
                Some((i, self.events[i].params.clone()))
            }
            (current, Some(v)) if place == Place::Upcast => {
                let key = (Str::from(name), v.value);
                if let Some(&u) = self.versions.index.get(&key) {
                    let params = self.versions.sigs[u as usize].params.clone();
                    return Some((self.events.len() + u as usize, params));
                }
                let mut known = upcast_versions();
                if let Some(i) = current {
                    known.push(self.versions.event_versions[i]);
                }
                if known.is_empty() {
                    self.unknown_emit(event);
                    return None;
                }
                known.sort_unstable();
                let known = known
                    .iter()
                    .map(|k| format!("`{}`", at(name, *k)))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    v.span,
                    format!(
                        "`{}` is neither the current event nor an upcast's shape; the versions of `{name}` are {known}",
                        at(name, v.value)
                    ),
                );
                None
            }
            (Some(i), Some(v)) => {
                let c = self.versions.event_versions[i];
                self.error(
                    v.span,
                    format!(
                        "a command emits the current version of an event, and `{name}` is at version {c}: write `emit {name}(...)` or `emit {}(...)`",
                        at(name, c)
                    ),
                );
                None
            }
            (None, _) if !upcast_versions().is_empty() => {
                let newest = upcast_versions().last().copied().unwrap_or(1);
                let message = if place == Place::Upcast {
                    format!(
                        "`{name}` has no current event, only upcasts: name the version you mean, as in `emit {}(...)`",
                        at(name, newest)
                    )
                } else {
                    format!(
                        "`{name}` is a retired event: only upcasts read it, and a command emits current events; declare `event {name}(...)` to emit it again"
                    )
                };
                self.error(event.span, message);
                None
            }
            (None, _) => {
                self.unknown_emit(event);
                None
            }
        }
    }

    /// Why a name an upcast cannot see is not there: the state, its
    /// fields, `now` and `meta`. `None` for a name that is simply unknown.
    pub(super) fn unseen_in_upcast(&self, name: &str) -> Option<String> {
        let field = self.record_index[self.state_record].contains_key(name);
        if !(field || matches!(name, "state" | "now" | "meta")) {
            return None;
        }
        let what = if field {
            format!("`{name}` is a field of the state, and")
        } else {
            format!("`{name}` is not visible here:")
        };
        Some(format!(
            "unknown name `{name}`: {what} an upcast sees only its own params (no state, `now` or `meta`), so that every reader reads a stored event the same way; add it as a param if the stored event holds it"
        ))
    }

    fn unknown_emit(&mut self, event: &Ident) {
        let hint = self.hint(&event.name, |c| {
            c.events
                .iter()
                .map(|e| &*e.name)
                .chain(c.versions.sigs.iter().map(|s| &*s.name))
        });
        self.error(
            event.span,
            format!(
                "unknown event `{}`{hint}; declare it with `event {}(...) {{ ... }}`",
                event.name, event.name
            ),
        );
    }

    /// Notes what an upcast emits, for `describe`.
    pub(super) fn upcast_emits(&mut self, index: usize) {
        let (name, version) = if index < self.events.len() {
            (
                self.events[index].name.clone(),
                self.versions.event_versions[index],
            )
        } else {
            let s = &self.versions.sigs[index - self.events.len()];
            (s.name.clone(), s.version)
        };
        if self.versions.emitted.insert((name.clone(), version)) {
            self.versions.emits.push((name, version));
        }
    }

    /// The checked upcasts, in declared order, then cycles among them.
    pub(super) fn upcasts(&mut self, model: &ast::Model) -> Vec<ir::Upcast> {
        let mut out = Vec::with_capacity(self.versions.sigs.len());
        for i in 0..self.versions.sigs.len() {
            let sig = &self.versions.sigs[i];
            let ast::Member::Upcast(decl) = &model.members[sig.member] else {
                continue;
            };
            let params = sig.params.clone();
            self.versions.emits.clear();
            self.versions.emitted.clear();
            let handler = self.handler(decl, params, Place::Upcast);
            out.push(ir::Upcast {
                handler,
                emits: std::mem::take(&mut self.versions.emits),
            });
        }
        self.cycles(model, &out);
        out
    }

    /// A cycle among upcasts is reported once, at the name of the upcast
    /// on it declared first. Tarjan's algorithm, without recursion: a chain
    /// of thousands of upcasts must not overflow the stack.
    fn cycles(&mut self, model: &ast::Model, upcasts: &[ir::Upcast]) {
        let n_events = self.events.len();
        let edges: Vec<Vec<usize>> = upcasts
            .iter()
            .map(|u| {
                let mut to = Vec::new();
                emitted_shapes(&u.handler.body, &mut |i| {
                    if i >= n_events {
                        to.push(i - n_events);
                    }
                });
                to
            })
            .collect();
        let n = upcasts.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next = 0;
        let mut cyclic: Vec<usize> = Vec::new();
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut work = vec![(root, 0usize)];
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut e)) = work.last_mut() {
                if let Some(&w) = edges[v].get(*e) {
                    *e += 1;
                    if index[w] == usize::MAX {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 || edges[v].contains(&v) {
                        cyclic.extend(component.iter().min());
                    }
                }
            }
        }
        cyclic.sort_unstable();
        for first in cyclic {
            let sig = &self.versions.sigs[first];
            let ast::Member::Upcast(decl) = &model.members[sig.member] else {
                continue;
            };
            let me = at(&sig.name, sig.version);
            self.error(
                decl.name.span,
                format!(
                    "upcast `{me}` is on a cycle: what it emits is upcast again and leads back to `{me}`, so reading it would never end; make one upcast on the cycle emit a current event"
                ),
            );
        }
    }

    /// How each (type, schema) the model declares is read.
    pub(super) fn reads(&self, upcasts: &[ir::Upcast]) -> Reads {
        let mut reads = Reads::default();
        for (i, e) in self.events.iter().enumerate() {
            reads.add(&e.name, self.versions.event_versions[i], Read::Current(i));
        }
        for (i, u) in upcasts.iter().enumerate() {
            reads.add(&u.handler.name, u.handler.version, Read::Upcast(i));
        }
        reads
    }
}

/// Calls `f` with the target of every `emit` in `stmts`.
fn emitted_shapes(stmts: &[ir::Stmt], f: &mut impl FnMut(usize)) {
    for s in stmts {
        match s {
            ir::Stmt::Emit { event, .. } => f(*event),
            ir::Stmt::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    emitted_shapes(b, f);
                }
                emitted_shapes(otherwise, f);
            }
            ir::Stmt::For { body, .. } => emitted_shapes(body, f),
            _ => {}
        }
    }
}
