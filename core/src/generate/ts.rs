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

/// Words TypeScript will not take as a binding name (a parameter, say).
const RESERVED: &[&str] = &[
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
fn module(model: &str) -> String {
    let s = snake(model);
    if OWN_FILES.contains(&s.as_str()) {
        s + "_model"
    } else {
        s
    }
}

fn field_name(name: &str) -> String {
    // Field names are snake case identifiers; quote anything else.
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn doc(o: &mut Out, d: Option<&str>) {
    o.block_doc(d, "/**", " * ", " */");
}

fn docs(o: &mut Out, parts: &[Option<&str>]) {
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
struct Types<'a> {
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
    fn new(here: &'a str) -> Types<'a> {
        Types {
            here,
            imports: BTreeSet::new(),
            common: BTreeSet::new(),
            json: false,
        }
    }

    fn named(&mut self, model: &str, name: String) -> String {
        if model != self.here {
            self.imports.insert((module(model), name.clone()));
        }
        name
    }

    /// The type of a value eventfold returns.
    fn out(&mut self, ty: &Ty) -> String {
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
    fn input(&mut self, ty: &Ty) -> String {
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
    fn key(&mut self, ty: &Ty) -> String {
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

    fn header(&self, o: &mut Out, from_eventfold: &[&str], values: &[&str]) {
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

fn array(item: String) -> String {
    if item.contains(' ') {
        format!("Array<{item}>")
    } else {
        format!("{item}[]")
    }
}

/// Fields of an output shape: every one present.
fn out_fields(o: &mut Out, t: &mut Types<'_>, fields: &[Field]) {
    for f in fields {
        doc(o, f.doc.as_deref());
        o.line(format!("{}: {}", field_name(&f.name), t.out(&f.ty)));
    }
}

/// Fields of an input shape: `?` where it may be left out.
fn in_fields(o: &mut Out, t: &mut Types<'_>, fields: &[Field]) {
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

fn interface(o: &mut Out, name: &str, body: impl FnOnce(&mut Out)) {
    o.line(format!("export interface {name} {{")).indent();
    body(o);
    o.dedent().line("}");
}

/// The type name of a command's data.
fn command_data(c: &CommandSchema) -> String {
    format!("{}Data", pascal(&c.name))
}

fn reasons_type(c: &CommandSchema) -> String {
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

fn rejections_doc(c: &CommandSchema) -> Option<String> {
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
fn method_names(m: &ModelSchema) -> (Vec<String>, Vec<String>) {
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

fn query_args(q: &QuerySchema) -> String {
    format!("{}Args", pascal(&q.name))
}

fn model_file(m: &ModelSchema) -> (String, Vec<String>) {
    let p = pascal(&m.name);
    let mut t = Types::new(&m.name);
    let mut o = Out::new("  ");
    let mut names: Vec<String> = Vec::new();
    let name = |names: &mut Vec<String>, n: String| {
        names.push(n.clone());
        n
    };

    // Records and enums.
    for e in &m.enums {
        let n = name(&mut names, pascal(&e.name));
        doc(&mut o, e.doc.as_deref());
        o.line(format!("export const {n} = {{")).indent();
        for mem in &e.members {
            doc(&mut o, mem.doc.as_deref());
            o.line(format!("{}: {},", field_name(&mem.name), lit(&mem.name)));
        }
        o.dedent().line("} as const");
        doc(&mut o, e.doc.as_deref());
        o.line(format!("export type {n} = (typeof {n})[keyof typeof {n}]"));
        o.blank();
    }
    for r in &m.records {
        let n = name(&mut names, pascal(&r.name));
        doc(&mut o, r.doc.as_deref());
        interface(&mut o, &n, |o| out_fields(o, &mut t, &r.fields));
        let d = format!("`{n}` as a command or query takes it.");
        doc(&mut o, Some(&d));
        interface(&mut o, &name(&mut names, format!("{n}Input")), |o| {
            in_fields(o, &mut t, &r.fields)
        });
        o.blank();
    }

    // State.
    let state = name(&mut names, format!("{p}State"));
    docs(
        &mut o,
        &[
            Some(&format!("The state of a `{}` stream.", m.name)),
            m.doc.as_deref(),
        ],
    );
    interface(&mut o, &state, |o| out_fields(o, &mut t, &m.state));
    o.blank();

    // Commands.
    for c in &m.commands {
        let cp = pascal(&c.name);
        let data = name(&mut names, command_data(c));
        docs(
            &mut o,
            &[
                c.doc.as_deref(),
                Some(&format!("The data of `{}`.", c.name)),
            ],
        );
        if c.params.is_empty() {
            o.line(format!("export type {data} = Record<string, never>"));
        } else {
            interface(&mut o, &data, |o| in_fields(o, &mut t, &c.params));
        }
        doc(&mut o, c.doc.as_deref());
        let q = if c.data_optional() { "?" } else { "" };
        o.line(format!(
            "export type {} = Omit<Command<{}, {data}>, 'data'> & {{ data{q}: {data} }}",
            name(&mut names, format!("{cp}Command")),
            lit(&c.name)
        ));
        let rd = rejections_doc(c);
        docs(
            &mut o,
            &[
                Some(&format!("The reasons `{}` may reject with.", c.name)),
                rd.as_deref(),
            ],
        );
        o.line(format!(
            "export type {} = {}",
            name(&mut names, format!("{cp}Reason")),
            reasons_type(c)
        ));
        o.blank();
    }
    let command_union = name(&mut names, format!("{p}Command"));
    doc(
        &mut o,
        Some(&format!("Every command of `{}`, by `type`.", m.name)),
    );
    o.line(format!("export type {command_union} ="));
    o.indent();
    if m.commands.is_empty() {
        o.line("never");
    }
    for c in &m.commands {
        o.line(format!("| {}Command", pascal(&c.name)));
    }
    o.dedent();
    let reasons = name(&mut names, format!("{p}Reasons"));
    doc(
        &mut o,
        Some("The reasons each command may reject with, by command."),
    );
    interface(&mut o, &reasons, |o| {
        for c in &m.commands {
            o.line(format!("{}: {}Reason", lit(&c.name), pascal(&c.name)));
        }
    });
    let reason = name(&mut names, format!("{p}Reason"));
    doc(
        &mut o,
        Some("Any reason a command of the model may reject with."),
    );
    o.line(format!("export type {reason} = {reasons}[keyof {reasons}]"));
    let reason_values = name(
        &mut names,
        format!("{}_REASONS", snake(&m.name).to_uppercase()),
    );
    doc(
        &mut o,
        Some("The same, as values (`null`: a `reject` without a reason)."),
    );
    o.line(format!(
        "export const {reason_values}: {{ readonly [C in keyof {reasons}]: ReadonlyArray<{reasons}[C]> }} = {{"
    ));
    o.indent();
    for c in &m.commands {
        let mut rs: Vec<String> = Vec::new();
        for r in &c.rejections {
            let s = r
                .reason
                .as_deref()
                .map(lit)
                .unwrap_or_else(|| "null".into());
            if !rs.contains(&s) {
                rs.push(s);
            }
        }
        o.line(format!("{}: [{}],", lit(&c.name), rs.join(", ")));
    }
    o.dedent().line("}");
    o.blank();

    // Events.
    for e in &m.events {
        let ep = pascal(&e.name);
        let data = name(&mut names, format!("{ep}EventData"));
        docs(
            &mut o,
            &[
                e.doc.as_deref(),
                Some(&format!(
                    "The data of `{}` (version {} of its shape).",
                    e.name, e.version
                )),
            ],
        );
        if e.fields.is_empty() {
            o.line(format!("export type {data} = Record<string, never>"));
        } else {
            interface(&mut o, &data, |o| out_fields(o, &mut t, &e.fields));
        }
        doc(&mut o, e.doc.as_deref());
        o.line(format!(
            "export type {} = DomainEvent<{}, {data}>",
            name(&mut names, format!("{ep}Event")),
            lit(&e.name)
        ));
        o.blank();
    }
    let event_union = name(&mut names, format!("{p}Event"));
    doc(
        &mut o,
        Some(&format!("Every event of `{}`, by `type`.", m.name)),
    );
    o.line(format!("export type {event_union} ="));
    o.indent();
    if m.events.is_empty() {
        o.line("never");
    }
    for e in &m.events {
        o.line(format!("| {}Event", pascal(&e.name)));
    }
    o.dedent();
    let stored = name(&mut names, format!("{p}StoredEvent"));
    doc(
        &mut o,
        Some(&format!(
            "An event of `{}` as the store keeps it: `type` narrows `data`.",
            m.name
        )),
    );
    o.line(format!("export type {stored} ="));
    o.indent();
    if m.events.is_empty() {
        o.line("never");
    }
    for e in &m.events {
        o.line(format!(
            "| StoredEvent<{}, {}EventData>",
            lit(&e.name),
            pascal(&e.name)
        ));
    }
    o.dedent();
    let stored_of = name(&mut names, format!("{p}StoredEventOf"));
    doc(&mut o, Some("The stored events of the types given."));
    o.line(format!(
        "export type {stored_of}<T extends {event_union}['type']> = Extract<{stored}, {{ type: T }}>"
    ));
    o.blank();

    // Queries.
    for q in &m.queries {
        if q.params.is_empty() {
            continue;
        }
        let args = name(&mut names, query_args(q));
        docs(
            &mut o,
            &[
                q.doc.as_deref(),
                Some(&format!("The arguments of `{}`.", q.name)),
            ],
        );
        interface(&mut o, &args, |o| in_fields(o, &mut t, &q.params));
    }
    let results = name(&mut names, format!("{p}QueryResults"));
    doc(&mut o, Some("What each query returns, by name."));
    interface(&mut o, &results, |o| {
        for q in &m.queries {
            doc(o, q.doc.as_deref());
            o.line(format!("{}: {}", lit(&q.name), t.out(&q.returns)));
        }
    });
    o.blank();

    let (cmds, qs) = method_names(m);
    let executed = |c: &CommandSchema| -> String {
        let mut emits: Vec<String> = Vec::new();
        for e in &c.emits {
            let e = e.split('@').next().unwrap_or(e);
            let l = lit(e);
            if !emits.contains(&l) && m.events.iter().any(|x| x.name == e) {
                emits.push(l);
            }
        }
        if emits.is_empty() {
            "Executed<never>".into()
        } else {
            format!("Executed<{stored_of}<{}>>", emits.join(" | "))
        }
    };
    let model_lit = lit(&m.name);

    // The stream class.
    let stream_class = name(&mut names, format!("{p}Stream"));
    docs(
        &mut o,
        &[
            Some(&format!(
                "One `{}` stream (`{}-<id>`) of an engine: a method per command and per query.",
                m.name, m.name
            )),
            m.doc.as_deref(),
        ],
    );
    o.line(format!("export class {stream_class} {{")).indent();
    o.line("constructor(")
        .indent()
        .line("readonly engine: Engine,")
        .line("/** The stream's id: the part after `Model-`. */")
        .line("readonly id: string,")
        .dedent()
        .line(") {}");
    o.blank();
    o.line(format!(
        "/** `{}-<id>`, as stored events name it. */",
        m.name
    ));
    o.line(format!(
        "get name(): string {{ return `{}-${{this.id}}` }}",
        m.name
    ));
    o.blank();
    o.line("/** Any command of the model. */");
    o.line(format!(
        "execute(command: {command_union}, options?: ExecuteOptions): Promise<Executed<{stored}>> {{"
    ));
    o.indent()
        .line(format!(
            "return this.engine.execute<{stored}>({model_lit}, this.id, command, options)"
        ))
        .dedent()
        .line("}");
    for (c, method) in m.commands.iter().zip(&cmds) {
        let data = command_data(c);
        let rd = rejections_doc(c);
        docs(&mut o, &[c.doc.as_deref(), rd.as_deref()]);
        let q = if c.data_optional() { "?" } else { "" };
        o.line(format!(
            "{method}(data{q}: {data}, options?: ExecuteOptions): Promise<{}> {{",
            executed(c)
        ))
        .indent();
        let ty = lit(&c.name);
        let cmd = if c.data_optional() {
            format!("data === undefined ? {{ type: {ty} }} : {{ type: {ty}, data }}")
        } else {
            format!("{{ type: {ty}, data }}")
        };
        o.line(format!("const command: {}Command = {cmd}", pascal(&c.name)));
        o.line(format!(
            "return this.engine.execute({model_lit}, this.id, command, options)"
        ));
        o.dedent().line("}");
    }
    o.blank();
    o.line("/** The state and the stream's version. */");
    o.line(format!("load(): Promise<Loaded<{state}>> {{"))
        .indent()
        .line(format!(
            "return this.engine.load<{state}>({model_lit}, this.id)"
        ))
        .dedent()
        .line("}");
    o.line("/** The state alone. */");
    o.line(format!("async state(): Promise<{state}> {{"))
        .indent()
        .line("return (await this.load()).state")
        .dedent()
        .line("}");
    o.line("/** The stream's events, upcast to their current shapes. */");
    o.line(format!(
        "events(options?: ReadStreamOptions): Promise<{stored}[]> {{"
    ))
    .indent()
    .line(format!(
        "return this.engine.readStream<{stored}>(this.name, options)"
    ))
    .dedent()
    .line("}");
    for (q, method) in m.queries.iter().zip(&qs) {
        doc(&mut o, q.doc.as_deref());
        let ret = t.out(&q.returns);
        if q.params.is_empty() {
            o.line(format!("{method}(): Promise<{ret}> {{"))
                .indent()
                .line(format!(
                    "return this.engine.query<{ret}>({model_lit}, this.id, {})",
                    lit(&q.name)
                ));
        } else {
            let q_opt = if q.params.iter().all(|p| !p.required) {
                "?"
            } else {
                ""
            };
            o.line(format!(
                "{method}(args{q_opt}: {}): Promise<{ret}> {{",
                query_args(q)
            ))
            .indent()
            .line(format!(
                "return this.engine.query<{ret}>({model_lit}, this.id, {}, args)",
                lit(&q.name)
            ));
        }
        o.dedent().line("}");
    }
    o.dedent().line("}");
    o.blank();

    // The model class.
    let model_class = name(&mut names, format!("{p}Model"));
    docs(
        &mut o,
        &[
            Some(&format!(
                "The `{}` model over an engine: `new {model_class}(engine).stream(id)`.",
                m.name
            )),
            m.doc.as_deref(),
        ],
    );
    o.line(format!("export class {model_class} {{")).indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("static readonly model = {model_lit}"));
    o.line("constructor(readonly engine: Engine) {}");
    o.blank();
    o.line("/** The stream of this id. */");
    o.line(format!("stream(id: string): {stream_class} {{"))
        .indent()
        .line(format!("return new {stream_class}(this.engine, id)"))
        .dedent()
        .line("}");
    o.line("/** The model's streams, with their versions. */");
    o.line("streams(): Promise<StreamInfo[]> {")
        .indent()
        .line(format!(
            "return this.engine.streams({{ model: {model_lit} }})"
        ))
        .dedent()
        .line("}");
    o.line("/** The pure verbs over the engine's domain. */");
    o.line(format!("get domain(): {p}Domain {{"))
        .indent()
        .line(format!("return new {p}Domain(this.engine.domain)"))
        .dedent()
        .line("}");
    o.line("/**");
    o.line(" * Whether `e` is a rejection by a command of this model (of `command` when");
    o.line(" * given, its reason one that command may give): narrows `e.reason`.");
    o.line(" */");
    o.line(format!(
        "static isRejection<C extends keyof {reasons} = keyof {reasons}>(e: unknown, command?: C): e is Rejected<{reasons}[C]> {{"
    ))
    .indent();
    o.line("if (!(e instanceof RejectedError)) return false");
    o.line(format!(
        "const allowed: ReadonlyArray<string | null> = command === undefined ? Object.values({reason_values}).flat() : {reason_values}[command]"
    ));
    o.line("return allowed.includes(e.reason)");
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();

    // The pure verbs.
    let domain_class = name(&mut names, format!("{p}Domain"));
    doc(
        &mut o,
        Some(&format!(
            "The pure verbs of `{}` over a `Domain`: no store, synchronous.",
            m.name
        )),
    );
    o.line(format!("export class {domain_class} {{")).indent();
    o.line("constructor(readonly domain: Domain) {}");
    o.blank();
    o.line(format!("initialState(): {state} {{"))
        .indent()
        .line(format!(
            "return this.domain.initialState<{state}>({model_lit})"
        ))
        .dedent()
        .line("}");
    o.line("/** The events a command gives on a state (`null`: the initial state); throws `RejectedError`. */");
    o.line(format!(
        "propose(state: {state} | null, command: {command_union}, options?: ProposeOptions): {event_union}[] {{"
    ))
    .indent()
    .line(format!("return this.domain.propose<{event_union}>({model_lit}, state, command, options)"))
    .dedent()
    .line("}");
    o.line("/** The state after one event. */");
    o.line(format!(
        "accept(state: {state} | null, event: {event_union}): {state} {{"
    ))
    .indent()
    .line(format!(
        "return this.domain.accept<{state}>({model_lit}, state, event)"
    ))
    .dedent()
    .line("}");
    o.line("/** Events folded over a state (default: the initial state). */");
    o.line(format!(
        "replay(events: {event_union}[], state?: {state} | null): {state} {{"
    ))
    .indent()
    .line(format!(
        "return this.domain.replay<{state}>({model_lit}, events, state)"
    ))
    .dedent()
    .line("}");
    o.line("/** A query on a state. */");
    o.line(format!(
        "query<Q extends keyof {results}>(state: {state} | null, name: Q, args?: object): {results}[Q] {{"
    ))
    .indent()
    .line(format!("return this.domain.query<{results}[Q]>({model_lit}, state, name, args)"))
    .dedent()
    .line("}");
    o.dedent().line("}");

    let mut eventfold_types = vec![
        "Command",
        "DomainEvent",
        "StoredEvent",
        "Executed",
        "Engine",
        "Domain",
        "ExecuteOptions",
        "Loaded",
        "ProposeOptions",
        "ReadStreamOptions",
        "StreamInfo",
    ];
    if m.commands.is_empty() {
        eventfold_types.retain(|n| *n != "Command");
    }
    if m.events.is_empty() {
        eventfold_types.retain(|n| *n != "DomainEvent" && *n != "StoredEvent");
    }
    t.common.insert("Rejected");
    let mut head = Out::new("  ");
    head.line(format!("// {}", banner()));
    docs(
        &mut head,
        &[Some(&format!("The model `{}`.", m.name)), m.doc.as_deref()],
    );
    t.header(&mut head, &eventfold_types, &["RejectedError"]);
    head.blank();
    (head.finish() + &o.finish(), names)
}

/// The type name of a table's row: `todo_rows` → `TodoRow`, `boards` → `BoardsRow`.
fn row_name(t: &TableSchema) -> String {
    let p = pascal(&t.name);
    match p.strip_suffix("Rows") {
        Some(stem) if !stem.is_empty() => format!("{stem}Row"),
        _ => format!("{p}Row"),
    }
}

fn read_side(schema: &Schema) -> (String, Vec<String>) {
    let mut t = Types::new("");
    let mut o = Out::new("  ");
    let mut names: Vec<String> = Vec::new();
    for table in &schema.tables {
        let row = row_name(table);
        let tp = pascal(&table.name);
        names.push(row.clone());
        docs(
            &mut o,
            &[
                table.doc.as_deref(),
                Some(&format!(
                    "A row of `{}`: every column, in declared order.",
                    table.name
                )),
            ],
        );
        interface(&mut o, &row, |o| {
            for c in &table.columns {
                doc(o, c.doc.as_deref());
                o.line(format!("{}: {}", field_name(&c.name), t.out(&c.ty)));
            }
        });
        let key_types: Vec<String> = table
            .key
            .iter()
            .map(|k| {
                let c = table
                    .columns
                    .iter()
                    .find(|c| &c.name == k)
                    .expect("a key is a column");
                t.key(&c.ty)
            })
            .collect();
        let key = format!("{tp}Key");
        names.push(key.clone());
        doc(
            &mut o,
            Some(&format!("The whole key of `{}`, in key order.", table.name)),
        );
        let parts: Vec<String> = table
            .key
            .iter()
            .zip(&key_types)
            .map(|(k, ty)| format!("{}: {ty}", escape(k.clone(), RESERVED, "_")))
            .collect();
        o.line(format!("export type {key} = [{}]", parts.join(", ")));
        let opts = format!("{tp}Options");
        names.push(opts.clone());
        doc(
            &mut o,
            Some(&format!("Which rows of `{}` to read.", table.name)),
        );
        interface(&mut o, &opts, |o| {
            o.line("/** A prefix of the key's values, in key order; a lone value is the first. */");
            let mut prefixes: Vec<String> = Vec::new();
            if let Some(first) = key_types.first() {
                prefixes.push(first.clone());
            }
            for n in 1..=key_types.len() {
                prefixes.push(format!("[{}]", key_types[..n].join(", ")));
            }
            if !prefixes.is_empty() {
                o.line(format!("key?: {}", prefixes.join(" | ")));
                o.line(
                    "/** A whole key: the rows after it (to page on from the last row read). */",
                );
                o.line(format!("after?: {key}"));
            }
            o.line("/** At most so many rows. */");
            o.line("limit?: number");
        });
        let class = format!("{tp}Table");
        names.push(class.clone());
        docs(
            &mut o,
            &[
                table.doc.as_deref(),
                Some(&format!("Typed reads of `{}`.", table.name)),
            ],
        );
        o.line(format!("export class {class} {{")).indent();
        o.line(format!("static readonly table = {}", lit(&table.name)));
        o.line("constructor(readonly engine: Engine) {}");
        o.line("/** Rows in key order. */");
        o.line(format!("rows(options?: {opts}): Promise<{row}[]> {{"))
            .indent()
            .line(format!(
                "return this.engine.rows<{row}>({}, options)",
                lit(&table.name)
            ))
            .dedent()
            .line("}");
        o.line(format!("rowsSync(options?: {opts}): {row}[] {{"))
            .indent()
            .line(format!(
                "return this.engine.rowsSync<{row}>({}, options)",
                lit(&table.name)
            ))
            .dedent()
            .line("}");
        o.dedent().line("}");
        o.blank();
    }
    for p in &schema.projections {
        let pp = pascal(&p.name);
        let tables = format!("{pp}Tables");
        names.push(tables.clone());
        let d = format!(
            "The tables `{}` ({}) writes, as `domain.project` returns them.",
            p.name, p.mode
        );
        docs(&mut o, &[p.doc.as_deref(), Some(&d)]);
        interface(&mut o, &tables, |o| {
            for w in &p.writes {
                if let Some(tb) = schema.tables.iter().find(|t| &t.name == w) {
                    o.line(format!("{}: {}[]", field_name(w), row_name(tb)));
                }
            }
        });
    }
    let pnames: Vec<String> = schema.projections.iter().map(|p| lit(&p.name)).collect();
    names.push("ProjectionName".into());
    o.line("/** The projections of the domain. */");
    o.line(format!(
        "export type ProjectionName = {}",
        if pnames.is_empty() {
            "never".to_string()
        } else {
            pnames.join(" | ")
        }
    ));
    o.blank();
    names.push("ReadSide".into());
    o.line("/** Every table of the domain over an engine, and its projections. */");
    o.line("export class ReadSide {").indent();
    for table in &schema.tables {
        doc(&mut o, table.doc.as_deref());
        o.line(format!(
            "readonly {}: {}Table",
            camel(&table.name),
            pascal(&table.name)
        ));
    }
    o.line("constructor(readonly engine: Engine) {").indent();
    for table in &schema.tables {
        o.line(format!(
            "this.{} = new {}Table(engine)",
            camel(&table.name),
            pascal(&table.name)
        ));
    }
    o.dedent().line("}");
    o.line("/** Each projection's status. */");
    o.line("projections(): Promise<ProjectionStatus[]> {")
        .indent()
        .line("return this.engine.projections()")
        .dedent()
        .line("}");
    o.line("/** Read-your-writes for async projections (`position`: what `execute` returned). */");
    o.line("waitFor(position: number | bigint, options?: { projection?: ProjectionName; timeout?: number }): Promise<boolean> {")
        .indent()
        .line("return this.engine.waitFor(position, options)")
        .dedent()
        .line("}");
    o.dedent().line("}");
    if !schema.projections.is_empty() {
        o.blank();
        names.push("project".into());
        o.line("/** The tables of a projection after folding `events` (pure: `domain.project`, typed). */");
        for p in &schema.projections {
            o.line(format!(
                "export function project(domain: Domain, projection: {}, events: ProjectEvent[], tables?: Partial<{}Tables> | null): {}Tables",
                lit(&p.name),
                pascal(&p.name),
                pascal(&p.name)
            ));
        }
        o.line("export function project(domain: Domain, projection: ProjectionName, events: ProjectEvent[], tables?: { [table: string]: object[] } | null): object {")
            .indent()
            .line("return domain.project(projection, events, tables)")
            .dedent()
            .line("}");
    }
    let mut head = Out::new("  ");
    head.line(format!("// {}", banner()));
    head.line("/** The read side: every table's rows, and the projections that write them. */");
    let mut types = vec!["Engine", "ProjectionStatus"];
    if !schema.projections.is_empty() {
        types.extend(["Domain", "ProjectEvent"]);
    }
    t.header(&mut head, &types, &[]);
    head.blank();
    (head.finish() + &o.finish(), names)
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

#[cfg(test)]
mod tests {
    use crate::generate::{generate, Lang, Options};
    use crate::{Domain, Source};

    fn todos() -> Vec<crate::generate::File> {
        let text = include_str!("../../../examples/todos/todos.model");
        let d = Domain::compile(&[Source::new("todos.model", text)]).unwrap();
        generate(&d, Lang::Ts, &Options::default())
    }

    fn file<'a>(files: &'a [crate::generate::File], path: &str) -> &'a str {
        &files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path}"))
            .contents
    }

    #[test]
    fn files_and_banner() {
        let files = todos();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["common.ts", "todos.ts", "read-side.ts", "index.ts"]);
        for f in &files {
            assert!(
                f.contents.starts_with("// Generated by eventfold"),
                "{}",
                f.path
            );
        }
        assert_eq!(files, todos(), "deterministic");
    }

    #[test]
    fn commands_events_and_reasons() {
        let files = todos();
        let t = file(&files, "todos.ts");
        for line in [
            "export interface CreateNewData {",
            "export type CreateNewCommand = Omit<Command<'create-new', CreateNewData>, 'data'> & { data: CreateNewData }",
            "export type ClearDoneCommand = Omit<Command<'clear-done', ClearDoneData>, 'data'> & { data?: ClearDoneData }",
            "export type CreateNewReason = 'duplicate' | 'blank'",
            "export type ClearDoneReason = never",
            "  | StoredEvent<'created', CreatedEventData>",
            "export interface TodosState {",
            "  todos: { [key: string]: Todo }",
            "  createNew(data: CreateNewData, options?: ExecuteOptions): Promise<Executed<TodosStoredEventOf<'created'>>> {",
            "  clearDone(data?: ClearDoneData, options?: ExecuteOptions): Promise<Executed<TodosStoredEventOf<'done-cleared'>>> {",
            "  'get-todo': Todo | null",
            "  getTodo(args: GetTodoArgs): Promise<Todo | null> {",
            "   * Put a new todo on the list.",
            "export class TodosModel {",
        ] {
            assert!(t.contains(line), "missing {line:?} in\n{t}");
        }
        let r = file(&files, "read-side.ts");
        for line in [
            "export interface TodoRow {",
            "  done_at: Timestamp | null",
            "export type TodoRowsKey = [list_id: string, id: string]",
            "  key?: string | [string] | [string, string]",
            "  readonly todoRows: TodoRowsTable",
            "export function project(domain: Domain, projection: 'todo-board', events: ProjectEvent[], tables?: Partial<TodoBoardTables> | null): TodoBoardTables",
        ] {
            assert!(r.contains(line), "missing {line:?} in\n{r}");
        }
        assert!(file(&files, "index.ts").contains("export * from './todos.js'"));
    }

    #[test]
    fn types_of_every_kind() {
        let text = include_str!("../../../bindings/node/test/fixtures/shop.model");
        let d = Domain::compile(&[Source::new("shop.model", text)]).unwrap();
        let files = generate(&d, Lang::Ts, &Options::default());
        let t = file(&files, "order.ts");
        for line in [
            "export const Status = {",
            "  /** Lines may still change. */",
            "  open: 'open',",
            "export type Status = (typeof Status)[keyof typeof Status]",
            "  quantity: number",
            "  quantity: IntInput",
            "  added_at: TimestampInput",
            "  gift?: boolean",
            "  line: LineInput",
            "  grace?: Duration",
            "  note?: string | null",
            "  placed_at: Timestamp | null",
            "  grace: Duration",
            "  extras: { [key: string]: number }",
            "  tags: string[]",
            "  summary(): Promise<Summary> {",
            "  bigLines(args?: BigLinesArgs): Promise<string[]> {",
            "  cancel(data?: CancelData, options?: ExecuteOptions): Promise<Executed<OrderStoredEventOf<'cancelled'>>> {",
            "import type { Duration, IntInput, Rejected, Timestamp, TimestampInput } from './common.js'",
        ] {
            assert!(t.contains(line), "missing {line:?} in\n{t}");
        }
        let r = file(&files, "read-side.ts");
        assert!(
            r.contains("import type { Status } from './order.js'"),
            "{r}"
        );
        assert!(r.contains("  status: Status"), "{r}");
    }
}
