//! Completion: what may be typed at a place, from the scope around it.
//!
//! The text being typed seldom parses, so the place is read from the line
//! before the cursor (`emit `, `insert t(`, `x.`, `on `), and the names from
//! the handler around it, which the parser kept: it recovers line by line.

use super::index::{fields_of, Binding, DefKind, Index, Place, Walker};
use super::ty::Ty;
use super::Analysis;
use crate::language::builtins;
use crate::language::parser;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Def(DefKind),
    Method,
    Function,
    Keyword,
    Type,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// The type or declaration, for the editor's detail line.
    pub detail: String,
}

const STATEMENT_WORDS: &[&str] = &[
    "let", "if", "else", "for", "in", "reject", "unless", "emit", "set", "remove",
];
const PROJECTION_WORDS: &[&str] = &[
    "let", "if", "else", "for", "in", "insert", "upsert", "update", "delete",
];
const MEMBER_WORDS: &[&str] = &[
    "state",
    "record",
    "enum",
    "command",
    "event",
    "upcast",
    "query",
    "invariant",
];
const TOP_WORDS: &[&str] = &["model", "table", "projection"];
const TYPE_WORDS: &[&str] = &[
    "string",
    "int",
    "float",
    "bool",
    "timestamp",
    "duration",
    "list",
    "map",
];

pub(super) fn complete(a: &Analysis, file: u32, offset: u32) -> Vec<Completion> {
    let text = a.text(file);
    let offset = (offset as usize).min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    // The word being typed is replaced by the editor: look before it.
    let word_start = line
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + 1);
    let before = &line[..word_start];
    let ix = &a.index;
    let scope = ix
        .scopes
        .iter()
        .filter(|s| {
            s.range.file == file
                && s.range.start as usize <= offset
                && offset <= s.range.end as usize
        })
        .min_by_key(|s| s.range.end - s.range.start);
    let model = scope
        .and_then(|s| s.model)
        .or_else(|| model_around(ix, file, offset as u32));
    let mut out = Vec::new();
    let trimmed = before.trim_start();

    // `on Model.event` in a projection.
    if let Some(rest) = trimmed.strip_prefix("on ") {
        let rest = rest.trim();
        if let Some(m) = rest.strip_suffix('.') {
            if let Some(&mi) = ix.model_by_name.get(m) {
                events(ix, mi, &mut out);
            }
        } else if rest.is_empty() {
            for m in &ix.models {
                for (e, (d, _)) in sorted(&m.events) {
                    out.push(Completion {
                        label: format!("{}.{}", m.name, e),
                        kind: CompletionKind::Def(DefKind::Event),
                        detail: ix.defs[*d].detail.clone(),
                    });
                }
            }
        }
        return out;
    }
    if trimmed == "emit " || trimmed == "emit" {
        if let Some(m) = model {
            events(ix, m, &mut out);
        }
        return out;
    }
    if matches!(trimmed, "insert " | "upsert " | "update " | "delete ") {
        for t in &ix.tables {
            def_item(ix, t.def, &mut out);
        }
        return out;
    }
    // Inside the parentheses of `emit e(`, `insert t(`, `Name{`.
    if let Some(fields) = open_args(ix, model, line, word_start) {
        for (_, d, _) in fields {
            def_item(ix, d, &mut out);
        }
        // A value may also be written there, after `name:`.
        if !before.trim_end().ends_with(':') {
            return out;
        }
    }
    if let Some(recv) = before.strip_suffix('.') {
        let recv = receiver(recv);
        if recv.is_empty() {
            return out;
        }
        // `Enum.member`, or `Model.Enum` / `Model.Record` in the read side.
        if parser::is_pascal(recv) {
            if let Some(m) = model {
                if let Some(ms) = ix.models[m].members.get(recv) {
                    for (_, d) in ms {
                        def_item(ix, *d, &mut out);
                    }
                    return out;
                }
            }
            if let Some(&mi) = ix.model_by_name.get(recv) {
                for (_, (d, _)) in sorted(&ix.models[mi].types) {
                    def_item(ix, *d, &mut out);
                }
                return out;
            }
            if let Some((m, e)) = recv.split_once('.') {
                if let Some(ms) = ix
                    .model_by_name
                    .get(m)
                    .and_then(|&mi| ix.models[mi].members.get(e))
                {
                    for (_, d) in ms {
                        def_item(ix, *d, &mut out);
                    }
                }
                return out;
            }
        }
        let ty = receiver_type(ix, scope, model, offset, recv);
        members(ix, &ty, &mut out);
        return out;
    }
    // A type after `name:` in a declaration.
    let in_body = scope.is_some_and(|s| {
        offset > s.range.start as usize && brace_before(text, s.range.start as usize, offset)
    });
    if !in_body && (before.trim_end().ends_with(':') || before.trim_end().ends_with('<')) {
        for w in TYPE_WORDS {
            out.push(keyword(w, CompletionKind::Type));
        }
        if let Some(m) = model {
            for (_, (d, _)) in sorted(&ix.models[m].types) {
                def_item(ix, *d, &mut out);
            }
        }
        return out;
    }
    match scope {
        Some(s) if in_body => {
            let mut seen = std::collections::HashSet::new();
            for (n, d, _, visible) in s.locals.iter().rev() {
                if visible.start as usize <= offset
                    && offset <= visible.end as usize
                    && seen.insert(n.clone())
                {
                    def_item(ix, *d, &mut out);
                }
            }
            for (n, d, _) in &s.names {
                if seen.insert(n.clone()) {
                    def_item(ix, *d, &mut out);
                }
            }
            for &t in &s.tables {
                def_item(ix, ix.tables[t].def, &mut out);
            }
            match s.place {
                Place::Command => {
                    for w in ["state", "now", "meta"] {
                        out.push(keyword(w, CompletionKind::Keyword));
                    }
                }
                Place::Event | Place::Query => out.push(keyword("state", CompletionKind::Keyword)),
                Place::Projection => {
                    for w in ["stream", "event"] {
                        out.push(keyword(w, CompletionKind::Keyword));
                    }
                }
                Place::Upcast => {}
            }
            for f in builtins::function_names() {
                out.push(keyword(f, CompletionKind::Function));
            }
            if let Some(m) = model {
                for (_, (d, _)) in sorted(&ix.models[m].types) {
                    def_item(ix, *d, &mut out);
                }
            }
            if before.trim().is_empty() {
                let words = if s.place == Place::Projection {
                    PROJECTION_WORDS
                } else {
                    STATEMENT_WORDS
                };
                for w in words {
                    out.push(keyword(w, CompletionKind::Keyword));
                }
            }
            for w in ["true", "false", "null"] {
                out.push(keyword(w, CompletionKind::Keyword));
            }
        }
        _ => {
            let words = if model.is_some() {
                MEMBER_WORDS
            } else {
                TOP_WORDS
            };
            for w in words {
                out.push(keyword(w, CompletionKind::Keyword));
            }
        }
    }
    out
}

fn sorted<V>(m: &std::collections::HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

fn keyword(w: &str, kind: CompletionKind) -> Completion {
    Completion {
        label: w.to_string(),
        kind,
        detail: String::new(),
    }
}

fn def_item(ix: &Index, d: usize, out: &mut Vec<Completion>) {
    let def = &ix.defs[d];
    out.push(Completion {
        label: def.name.clone(),
        kind: CompletionKind::Def(def.kind),
        detail: def.detail.clone(),
    });
}

fn events(ix: &Index, m: usize, out: &mut Vec<Completion>) {
    for (_, (d, _)) in sorted(&ix.models[m].events) {
        def_item(ix, *d, out);
    }
}

/// The model whose declaration holds `offset`.
fn model_around(ix: &Index, file: u32, offset: u32) -> Option<usize> {
    ix.models.iter().position(|m| {
        let r = ix.defs[m.def].range;
        r.file == file && r.start <= offset && offset <= r.end + 2
    })
}

/// Whether a `{` stands between `from` and `to`: the cursor is in the body,
/// not in the params.
fn brace_before(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|t| t.contains('{') || t.contains('='))
}

/// The expression before a `.`: names, `.`, and balanced `(...)`, `[...]`.
fn receiver(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = b.len();
    let mut depth = 0i32;
    while i > 0 {
        let c = b[i - 1];
        match c {
            b')' | b']' => depth += 1,
            b'(' | b'[' if depth > 0 => depth -= 1,
            b'(' | b'[' => break,
            _ if depth > 0 => {}
            b'.' | b'_' => {}
            _ if c.is_ascii_alphanumeric() => {}
            _ => break,
        }
        i -= 1;
    }
    &s[i..]
}

/// The fields still to give in the `(` or `{` the cursor is in, if any.
fn open_args(
    ix: &Index,
    model: Option<usize>,
    line: &str,
    word_start: usize,
) -> Option<Vec<Binding>> {
    let before = &line[..word_start];
    let mut depth = 0i32;
    let mut open = None;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' | '}' | ']' => depth += 1,
            '(' | '{' | '[' if depth > 0 => depth -= 1,
            '(' | '{' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
    }
    let open = open?;
    // Inside a value (after `name:`), not a field name, unless a `,` came after.
    let inside = &before[open + 1..];
    let last = inside.rsplit(',').next().unwrap_or("");
    if last.contains(':') && !last.trim_end().ends_with(':') {
        return None;
    }
    let head = before[..open].trim_end();
    let head = if head.ends_with(']') {
        head[..head.rfind('[')?].trim_end()
    } else {
        head
    };
    let name_start = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '@'))
        .map_or(0, |i| i + 1);
    let name = &head[name_start..];
    let word = head[..name_start].trim_end();
    let word = word
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    let fields = match word {
        "emit" => {
            let (ev, v) = match name.split_once('@') {
                Some((e, v)) => (e, v.parse::<u32>().ok()),
                None => (name, None),
            };
            let versions = &ix.models[model?].events.get(ev)?.1;
            let fs = match v {
                Some(v) => versions.iter().find(|(x, _)| *x == v),
                None => versions.last(),
            };
            fs?.1.clone()
        }
        "insert" | "upsert" | "update" => ix.tables[*ix.table_by_name.get(name)?].columns.clone(),
        _ if parser::is_pascal(name) && before[open..].starts_with('{') => {
            ix.models[model?].fields.get(name)?.clone()
        }
        _ => return None,
    };
    let given: Vec<&str> = inside
        .split(',')
        .filter_map(|a| a.split(':').next())
        .map(str::trim)
        .collect();
    Some(
        fields
            .into_iter()
            .filter(|(n, ..)| !given[..given.len().saturating_sub(1)].contains(&n.as_str()))
            .collect(),
    )
}

/// The type of the receiver text `recv` in the scope around `offset`.
fn receiver_type(
    ix: &Index,
    scope: Option<&super::index::Scope>,
    model: Option<usize>,
    offset: usize,
    recv: &str,
) -> Ty {
    let (Some(e), _) = parser::parse_expr(0, recv) else {
        return Ty::Unknown;
    };
    let mut env: Vec<(String, Option<usize>, Ty)> = Vec::new();
    let mut tables = Vec::new();
    if let Some(s) = scope {
        tables = s.tables.clone();
        if s.place == Place::Projection {
            env.push(("stream".into(), None, Ty::Builtin("stream")));
            env.push(("event".into(), None, Ty::Builtin("event")));
            for &t in &s.tables {
                env.push((
                    ix.tables[t].name.clone(),
                    Some(ix.tables[t].def),
                    Ty::Table(t),
                ));
            }
        }
        env.extend(
            s.names
                .iter()
                .rev()
                .map(|(n, d, t)| (n.clone(), Some(*d), t.clone())),
        );
        for (n, d, t, v) in &s.locals {
            if v.start as usize <= offset && offset <= v.end as usize {
                env.push((n.clone(), Some(*d), t.clone()));
            }
        }
    }
    // A scratch copy: the walk records uses and locals, not wanted here.
    let mut scratch = ix.clone();
    let mut w = Walker {
        ix: &mut scratch,
        model,
        locals: Vec::new(),
        tables,
    };
    w.expr(&e, &mut env)
}

/// Fields and methods after `x.` for a value of type `ty`.
fn members(ix: &Index, ty: &Ty, out: &mut Vec<Completion>) {
    for (n, d, t) in fields_of(ix, ty) {
        match d {
            Some(d) => def_item(ix, d, out),
            None => out.push(Completion {
                label: n,
                kind: CompletionKind::Def(DefKind::RecordField),
                detail: t.text(&|m| ix.models[m].name.clone()),
            }),
        }
    }
    match ty {
        Ty::Table(_) => {
            for m in ["get", "has"] {
                out.push(keyword(m, CompletionKind::Method));
            }
        }
        _ => {
            if let Some(t) = ty.as_type() {
                for m in builtins::method_names_on(&t) {
                    out.push(keyword(m, CompletionKind::Method));
                }
                if matches!(ty, Ty::Opt(_)) {
                    out.push(keyword("orValue", CompletionKind::Method));
                }
            }
        }
    }
}
