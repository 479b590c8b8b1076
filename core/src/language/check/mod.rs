//! The checker: resolves every name, checks every type and where each
//! statement may stand, and lowers what it checked into the evaluable form of
//! `ir.rs` in the same walk.
//!
//! It reports every problem it finds, not just the first: an expression that
//! fails to check gets the type `Error`, which fits everywhere, so one
//! mistake gives one diagnostic.

use std::collections::HashMap;
use std::sync::Arc;

use regex::RegexBuilder;

use super::ast::{self, BinaryOp, Diag, ExprKind, Ident, Span, StmtKind, TypeKind, UnaryOp};
use super::builtins::formattable;
use super::ir::{self, Binary, Builtin, MacroKind, Part, Segment, Unary};
use crate::types::{EnumType, FieldType, RecordType, Type, Types};
use crate::value::{Map, Shape, Str, Value};

mod call;
mod decl;
mod expr;
mod hint;
mod lower;
mod projection;
mod stmt;
mod table;
mod table_access;
mod upcast;

pub(crate) use projection::collect_writes;
pub use projection::read_side;

use hint::*;
use lower::*;

/// How many problems of a domain get a "did you mean" hint.
const MAX_SUGGESTIONS: usize = 100;

/// Checks the parsed files of a domain and lowers each model.
///
/// `sources` are the texts the files were parsed from, by file index: the
/// checker quotes them in messages and in `describe`.
pub fn check(files: &[ast::File], sources: &[&str], diags: &mut Vec<Diag>) -> Vec<ir::Model> {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut models = Vec::new();
    for model in files.iter().flat_map(|f| &f.models) {
        if let Some(first) = seen.get(model.name.name.as_str()) {
            let _ = first;
            diags.push(Diag::new(
                model.name.span,
                format!(
                    "a model named `{}` is already declared in this domain; give each model its own name",
                    model.name.name
                ),
            ));
            continue;
        }
        seen.insert(&model.name.name, model.name.span);
        models.push(ModelChecker::new(diags, sources).model(model));
    }
    models
}

/// Where an expression or statement stands: it decides which names and
/// statements are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Command,
    Event,
    Query,
    Invariant,
    /// An upcast's block (§12): sees only its params.
    Upcast,
    /// A `= default`: a constant.
    Default,
    /// A projection's handler (§13).
    Projection,
}

#[derive(Debug, Clone, Copy)]
enum TypeRef {
    Record(usize),
    Enum(usize),
}

struct Local {
    name: String,
    ty: Type,
    slot: u32,
}

/// The names an expression can see.
struct Scope<'p> {
    place: Place,
    params: &'p [FieldType],
    /// Where each param stands, so that a use is found in constant time.
    param_index: HashMap<Str, u32>,
    locals: Vec<Local>,
    next_slot: u32,
    frame_size: u32,
}

impl<'p> Scope<'p> {
    fn new(place: Place, params: &'p [FieldType]) -> Self {
        Scope {
            place,
            params,
            param_index: index_of(params),
            locals: Vec::new(),
            next_slot: 0,
            frame_size: 0,
        }
    }

    fn mark(&self) -> (usize, u32) {
        (self.locals.len(), self.next_slot)
    }

    fn reset(&mut self, mark: (usize, u32)) {
        self.locals.truncate(mark.0);
        self.next_slot = mark.1;
    }
}

struct EventSig {
    name: Str,
    params: Vec<FieldType>,
}

struct ModelChecker<'d> {
    diags: &'d mut Vec<Diag>,
    sources: &'d [&'d str],
    types: Types,
    type_names: HashMap<String, TypeRef>,
    state_fields: Vec<FieldType>,
    /// Index of the state's own record type in `types.records`.
    state_record: usize,
    events: Vec<EventSig>,
    /// Name indexes, so that checking stays linear in the size of the file
    /// however long a record or list of events is (an enum keeps its own):
    /// the fields of each record (by index in `types.records`), and the
    /// events.
    record_index: Vec<HashMap<Str, u32>>,
    event_index: HashMap<Str, u32>,
    /// Events a command emits and its rejections, gathered while checking it.
    emits: Vec<Str>,
    /// The events in `emits`, by index, to keep each once without a search.
    emitted: std::collections::HashSet<usize>,
    rejections: Vec<(Option<Str>, String)>,
    /// Event versions and upcasts (§12).
    versions: upcast::Versions,
    /// Checking a table or a projection's handler (`projection.rs`).
    read: Option<Box<projection::ReadCtx>>,
}

impl<'d> ModelChecker<'d> {
    fn new(diags: &'d mut Vec<Diag>, sources: &'d [&'d str]) -> Self {
        ModelChecker {
            diags,
            sources,
            types: Types::default(),
            type_names: HashMap::new(),
            state_fields: Vec::new(),
            state_record: 0,
            events: Vec::new(),
            record_index: Vec::new(),
            event_index: HashMap::new(),
            emits: Vec::new(),
            emitted: std::collections::HashSet::new(),
            rejections: Vec::new(),
            versions: upcast::Versions::default(),
            read: None,
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diag::new(span, message));
    }

    /// The source text of a span.
    fn text(&self, span: Span) -> &str {
        self.sources
            .get(span.file as usize)
            .and_then(|s| s.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }

    /// A "did you mean" hint for an unknown name, for the first
    /// [`MAX_SUGGESTIONS`] problems only: each one compares the name with
    /// every candidate, so hints for all of a file full of unknown names
    /// would make checking quadratic.
    fn hint<'k, I: IntoIterator<Item = &'k str>>(
        &'k self,
        name: &str,
        known: impl FnOnce(&'k Self) -> I,
    ) -> String {
        if self.diags.len() >= MAX_SUGGESTIONS {
            return String::new();
        }
        suggest(name, known(self))
    }

    fn tname(&self, ty: &Type) -> String {
        ty.display(&self.types).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(
            suggest("cuont", ["count", "amount"]),
            "; did you mean `count`?"
        );
        assert_eq!(suggest("zzz", ["count"]), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    /// Every slot a macro's body may write (the variables of macros inside
    /// it) differs from the slots it reads while it runs: its own variable
    /// and the value of `m[k]` (issue 10).
    #[test]
    fn a_map_macros_value_slot_is_not_reused_inside_its_body() {
        let src = "model W {\n state {\n m: map<string, int>\n xs: list<int>\n }\n \
                   query q(): list<bool> = m.map(k, xs.exists(x, m.all(j, x == m[k] + m[j])))\n}\n";
        let (file, diags) = super::super::parser::parse(0, src);
        assert!(diags.is_empty());
        let mut diags = Vec::new();
        let models = check(&[file], &[src], &mut diags);
        assert!(diags.is_empty(), "{}", diags.len());
        let mut macros = Vec::new();
        let mut body = models[0].queries[0].body.clone();
        body.rewrite(&mut |e| {
            if let ir::Expr::Macro(m) = e {
                macros.push((m.slot, m.value_slot));
            }
            None
        });
        // Bottom-up: `m.all(j, ...)`, `xs.exists(x, ...)`, `m.map(k, ...)`.
        let [(j, jv), (x, None), (k, Some(kv))] = macros[..] else {
            panic!("unexpected macros {macros:?}");
        };
        let inner = [Some(j), jv, Some(x)];
        assert!(
            !inner.contains(&Some(k)) && !inner.contains(&Some(kv)),
            "{macros:?}"
        );
        assert!(jv.is_some() && jv != Some(x), "{macros:?}");
    }
}
