//! TypeScript (`--lang ts`): types over the `eventfold` npm package
//! (bindings/node/index.d.ts) and a thin typed facade over its `Engine`
//! and `Domain`.
//!
//! Files: `common.ts` (the scalar aliases and `Rejected`), one file per
//! model (`todos.ts`: records, enums, state, commands, events, reasons,
//! queries, `TodosModel`/`TodosStream`/`TodosDomain`), `read-side.ts`
//! (rows, keys, typed table readers, projections), `index.ts` (everything).
//! Output types are what the skin returns (every field present, `null` for
//! an optional one, `int` a `number`); input types (command data, query
//! args, `XInput` records) are what it takes (`?` for a field with a
//! default, `bigint` for an int, `Date` for a timestamp).

use std::collections::{BTreeMap, BTreeSet};

use super::names::{camel, escape, pascal, snake};
use super::schema::{CommandSchema, Field, ModelSchema, QuerySchema, Schema, TableSchema, Ty};
use super::{banner, File, Options, Out};

mod model;
mod read_side;
#[cfg(test)]
mod tests;

use model::model_file;
use read_side::read_side;

/// Words TypeScript will not take as a binding name (a parameter, say).
pub(super) const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "await",
];

/// Members of a model's stream class a command or query method must not shadow.
const STREAM_MEMBERS: &[&str] = &[
    "engine",
    "id",
    "name",
    "execute",
    "load",
    "state",
    "events",
    "constructor",
    "model",
];

/// File stems the generator uses for itself; a model of that name gets `_model`.
const OWN_FILES: &[&str] = &["index", "common"];

pub(super) fn emit(schema: &Schema, _options: &Options) -> Vec<File> {
    let mut files = vec![File {
        path: "common.ts".into(),
        contents: common(),
    }];
    let mut exports: Vec<(String, Vec<String>, String)> = Vec::new();
    for m in &schema.models {
        let (text, names) = model_file(m);
        let stem = module(&m.name);
        files.push(File {
            path: format!("{stem}.ts"),
            contents: text,
        });
        exports.push((stem, names, m.name.clone()));
    }
    if !schema.tables.is_empty() || !schema.projections.is_empty() {
        let (text, names) = read_side(schema);
        files.push(File {
            path: "read-side.ts".into(),
            contents: text,
        });
        exports.push(("read-side".into(), names, "ReadSide".into()));
    }
    files.push(File {
        path: "index.ts".into(),
        contents: index(&exports),
    });
    files
}

/// The module (file stem) of a model.
pub(super) fn module(model: &str) -> String {
    let s = snake(model);
    if OWN_FILES.contains(&s.as_str()) {
        s + "_model"
    } else {
        s
    }
}

pub(super) fn field_name(name: &str) -> String {
    // Field names are snake case identifiers; quote anything else.
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

pub(super) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub(super) fn doc(o: &mut Out, d: Option<&str>) {
    o.block_doc(d, "/**", " * ", " */");
}

pub(super) fn docs(o: &mut Out, parts: &[Option<&str>]) {
    let text: Vec<&str> = parts.iter().flatten().copied().collect();
    if !text.is_empty() {
        doc(o, Some(&text.join("\n\n")));
    }
}

fn common() -> String {
    let mut o = Out::new("  ");
    o.line(format!("// {}", banner()));
    o.line("// What every generated file shares: how the model's scalar types cross the boundary.");
    o.blank();
    o.line("import type { RejectedError } from 'eventfold'");
    o.blank();
    doc(
        &mut o,
        Some("A `timestamp` as eventfold returns it: RFC 3339 text, always UTC with `Z`."),
    );
    o.line("export type Timestamp = string");
    doc(
        &mut o,
        Some("A `timestamp` as eventfold takes it: RFC 3339 text, or a `Date`."),
    );
    o.line("export type TimestampInput = string | Date");
    doc(
        &mut o,
        Some("A `duration` (MODEL-LANGUAGE.md §14): text such as `\"5400s\"`; eventfold takes any form it parses (`\"1h30m\"`, `\"14d\"`) and returns seconds (`\"5400s\"`)."),
    );
    o.line("export type Duration = string");
    doc(
        &mut o,
        Some("An `int` as eventfold takes it: a `number` (an integer), or a `bigint` past 2^53 - 1. It returns a `number`, or a `bigint` past `Number.MAX_SAFE_INTEGER`."),
    );
    o.line("export type IntInput = number | bigint");
    doc(
        &mut o,
        Some("A `RejectedError` whose `reason` is one the command may give (`null`: a `reject` without a reason)."),
    );
    o.line("export type Rejected<Reason extends string | null = string | null> = RejectedError & { readonly reason: Reason }");
    o.finish()
}

/// How types are written, and which other modules they need.
pub(super) struct Types<'a> {
    /// The model whose file this is ("" for the read side).
    here: &'a str,
    /// `(module, name)` imported from other generated modules.
    imports: BTreeSet<(String, String)>,
    /// Names of common.ts used.
    common: BTreeSet<&'static str>,
    /// Whether `JsonValue` is used.
    json: bool,
}

impl<'a> Types<'a> {
    pub(super) fn new(here: &'a str) -> Types<'a> {
        Types {
            here,
            imports: BTreeSet::new(),
            common: BTreeSet::new(),
            json: false,
        }
    }

    pub(super) fn named(&mut self, model: &str, name: String) -> String {
        if model != self.here {
            self.imports.insert((module(model), name.clone()));
        }
        name
    }

    /// The type of a value eventfold returns.
    pub(super) fn out(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::String => "string".into(),
            Ty::Int | Ty::Float => "number".into(),
            Ty::Bool => "boolean".into(),
            Ty::Timestamp => {
                self.common.insert("Timestamp");
                "Timestamp".into()
            }
            Ty::Duration => {
                self.common.insert("Duration");
                "Duration".into()
            }
            Ty::List { item } => array(self.out(item)),
            Ty::Map { value } => format!("{{ [key: string]: {} }}", self.out(value)),
            Ty::Record { model, name } => self.named(model, pascal(name)),
            Ty::Enum { model, name } => self.named(model, pascal(name)),
            Ty::Optional { inner } => format!("{} | null", self.out(inner)),
            Ty::Json => {
                self.json = true;
                "JsonValue".into()
            }
        }
    }

    /// The type of a value eventfold takes.
    pub(super) fn input(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => {
                self.common.insert("IntInput");
                "IntInput".into()
            }
            Ty::Timestamp => {
                self.common.insert("TimestampInput");
                "TimestampInput".into()
            }
            Ty::List { item } => array(self.input(item)),
            Ty::Map { value } => format!("{{ [key: string]: {} }}", self.input(value)),
            Ty::Record { model, name } => self.named(model, format!("{}Input", pascal(name))),
            Ty::Optional { inner } => format!("{} | null", self.input(inner)),
            other => self.out(other),
        }
    }

    /// A key column's value as `rows` takes it.
    pub(super) fn key(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => {
                self.common.insert("IntInput");
                "IntInput".into()
            }
            Ty::Timestamp => {
                self.common.insert("TimestampInput");
                "TimestampInput".into()
            }
            other => self.out(other),
        }
    }

    pub(super) fn header(&self, o: &mut Out, from_eventfold: &[&str], values: &[&str]) {
        let mut types: Vec<&str> = from_eventfold.to_vec();
        if self.json {
            types.push("JsonValue");
        }
        types.sort_unstable();
        types.dedup();
        if !types.is_empty() {
            o.line(format!(
                "import type {{ {} }} from 'eventfold'",
                types.join(", ")
            ));
        }
        if !values.is_empty() {
            o.line(format!(
                "import {{ {} }} from 'eventfold'",
                values.join(", ")
            ));
        }
        if !self.common.is_empty() {
            let c: Vec<&str> = self.common.iter().copied().collect();
            o.line(format!(
                "import type {{ {} }} from './common.js'",
                c.join(", ")
            ));
        }
        let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (m, n) in &self.imports {
            by_module.entry(m).or_default().push(n);
        }
        for (m, names) in by_module {
            o.line(format!(
                "import type {{ {} }} from './{m}.js'",
                names.join(", ")
            ));
        }
    }
}

pub(super) fn array(item: String) -> String {
    if item.contains(' ') {
        format!("Array<{item}>")
    } else {
        format!("{item}[]")
    }
}

/// Fields of an output shape: every one present.
pub(super) fn out_fields(o: &mut Out, t: &mut Types<'_>, fields: &[Field]) {
    for f in fields {
        doc(o, f.doc.as_deref());
        o.line(format!("{}: {}", field_name(&f.name), t.out(&f.ty)));
    }
}

/// Fields of an input shape: `?` where it may be left out.
pub(super) fn in_fields(o: &mut Out, t: &mut Types<'_>, fields: &[Field]) {
    for f in fields {
        let mut d: Vec<String> = f.doc.iter().cloned().collect();
        if let Some(v) = &f.default {
            d.push(format!("Default: `{v}`."));
        }
        let d = d.join("\n\n");
        doc(o, (!d.is_empty()).then_some(d.as_str()));
        let q = if f.required { "" } else { "?" };
        o.line(format!("{}{q}: {}", field_name(&f.name), t.input(&f.ty)));
    }
}

pub(super) fn interface(o: &mut Out, name: &str, body: impl FnOnce(&mut Out)) {
    o.line(format!("export interface {name} {{")).indent();
    body(o);
    o.dedent().line("}");
}

/// The type name of a command's data.
pub(super) fn command_data(c: &CommandSchema) -> String {
    format!("{}Data", pascal(&c.name))
}

pub(super) fn reasons_type(c: &CommandSchema) -> String {
    let mut rs: Vec<String> = Vec::new();
    for r in &c.rejections {
        let s = match &r.reason {
            Some(r) => lit(r),
            None => "null".into(),
        };
        if !rs.contains(&s) {
            rs.push(s);
        }
    }
    if rs.is_empty() {
        "never".into()
    } else {
        rs.join(" | ")
    }
}

pub(super) fn rejections_doc(c: &CommandSchema) -> Option<String> {
    if c.rejections.is_empty() {
        return None;
    }
    let lines: Vec<String> = c
        .rejections
        .iter()
        .map(|r| {
            format!(
                "- `{}`: {}",
                r.reason.as_deref().unwrap_or("null"),
                r.message
            )
        })
        .collect();
    Some(format!(
        "Rejections (`Rejected<{}Reason>`):\n{}",
        pascal(&c.name),
        lines.join("\n")
    ))
}

/// Method names on the stream class: commands, then queries, none shadowing
/// a member or each other.
pub(super) fn method_names(m: &ModelSchema) -> (Vec<String>, Vec<String>) {
    let commands: Vec<String> = m
        .commands
        .iter()
        .map(|c| escape(camel(&c.name), STREAM_MEMBERS, "Command"))
        .collect();
    let queries = m
        .queries
        .iter()
        .map(|q| {
            let n = escape(camel(&q.name), STREAM_MEMBERS, "Query");
            if commands.contains(&n) {
                n + "Query"
            } else {
                n
            }
        })
        .collect();
    (commands, queries)
}

pub(super) fn query_args(q: &QuerySchema) -> String {
    format!("{}Args", pascal(&q.name))
}

fn index(exports: &[(String, Vec<String>, String)]) -> String {
    let mut o = Out::new("  ");
    o.line(format!("// {}", banner()));
    o.line("/** Every generated type and class, from one module. */");
    o.line("export type { Timestamp, TimestampInput, Duration, IntInput, Rejected } from './common.js'");
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, names, _) in exports {
        for n in names {
            *seen.entry(n).or_default() += 1;
        }
    }
    for (m, names, ns) in exports {
        if names.iter().any(|n| seen[n.as_str()] > 1) {
            // Two modules declare the same name: this one is a namespace.
            o.line(format!("export * as {ns} from './{m}.js'"));
        } else {
            o.line(format!("export * from './{m}.js'"));
        }
    }
    o.finish()
}
