//! Python: a package of TypedDicts and a typed facade over the `eventfold`
//! skin, checked by `mypy --strict`.
//!
//! TypedDicts rather than dataclasses: the skin takes and gives plain dicts
//! and lists, and a TypedDict *is* that dict to the type checker, so the
//! facade converts nothing at run time (a `cast` names what the skin gave)
//! and a value read from the engine, a JSON body or a test fixture types
//! the same. A wrong key or a wrong value type is still a `mypy` error.
//!
//! `DIR/<package>/` (default `eventfold_model`) holds one module per model
//! (`todos.py`: enums as `Literal`s, records, state, commands, events,
//! rejection reasons, query results; `TodosModel`/`AsyncTodosModel` over
//! `Engine`/`AsyncEngine` and `TodosDomain` over `Domain`), `tables.py`
//! (rows, keys and a facade per table, projection names), `__init__.py`
//! re-exporting every name that only one module defines, and `py.typed`.

mod facade;
mod tables;
#[cfg(test)]
mod tests;

use facade::{domain_facade, model_facade, stream_facade};
use tables::{init_module, tables_module};

use super::names::{escape, pascal, snake};
use super::schema::{
    Column, CommandSchema, EventSchema, Field, ModelSchema, QuerySchema, TableSchema, Ty,
};
use super::{banner, File, Options, Out, Schema};

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Names a keyword argument of a facade method may not take: the
/// keywords, and the names a method's body uses (`self`, `options`,
/// `data`, `cast`, ...).
const RESERVED_ARGS: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "self",
    "options",
    "cast",
    "data",
    "args",
    "state",
    "o",
    "done",
    "eventfold",
    "key",
    "after",
    "limit",
    "prefix",
    "rows",
];

const DEFAULT_PACKAGE: &str = "eventfold_model";

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let package = options
        .package
        .clone()
        .unwrap_or_else(|| DEFAULT_PACKAGE.to_string());
    let dir = package.replace('.', "/");
    let mut files = Vec::new();
    let mut exports: Vec<(String, Vec<String>)> = Vec::new();
    for m in &schema.models {
        let (text, names) = model_module(m);
        let module = module_name(&m.name);
        files.push(File {
            path: format!("{dir}/{module}.py"),
            contents: text,
        });
        exports.push((module, names));
    }
    let (text, names) = tables_module(schema);
    files.push(File {
        path: format!("{dir}/tables.py"),
        contents: text,
    });
    exports.push(("tables".into(), names));
    files.push(File {
        path: format!("{dir}/__init__.py"),
        contents: init_module(schema, &exports),
    });
    files.push(File {
        path: format!("{dir}/py.typed"),
        contents: String::new(),
    });
    files
}

/// The module of a model: `Todos` → `todos` (`tables` and keywords get
/// `_model`).
fn module_name(model: &str) -> String {
    let s = snake(model);
    if s == "tables" || KEYWORDS.contains(&s.as_str()) {
        s + "_model"
    } else {
        s
    }
}

/// A Python string literal (JSON's escapes are Python's).
fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("a string is JSON")
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !KEYWORDS.contains(&s)
}

/// A keyword argument's name for a field.
fn arg(name: &str) -> String {
    let s = if is_identifier(name) || KEYWORDS.contains(&name) {
        name.to_string()
    } else {
        snake(name)
    };
    escape(s, RESERVED_ARGS, "_")
}

/// A method's name for a command or query: `create-new` → `create_new`.
fn method(name: &str) -> String {
    escape(snake(name), RESERVED_ARGS, "_")
}

/// A docstring (nothing for no doc).
fn docstring(o: &mut Out, doc: Option<&str>) {
    let Some(doc) = doc else { return };
    let doc = doc.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    let lines: Vec<&str> = doc.lines().collect();
    let pad = |s: &str| {
        if s.ends_with('"') {
            format!("{s} ")
        } else {
            s.to_string()
        }
    };
    if lines.len() <= 1 {
        o.line(format!(
            "\"\"\"{}\"\"\"",
            pad(lines.first().copied().unwrap_or(""))
        ));
        return;
    }
    o.line(format!("\"\"\"{}", lines[0]));
    for l in &lines[1..] {
        o.line(l.trim_end());
    }
    o.line("\"\"\"");
}

/// Where a type is written: in its model's module, or in `tables.py`
/// (which names a model's record through its module).
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Model(&'a str),
    Tables,
}

/// `input`: a command's or a query's params, where a list may be any
/// sequence, a map any mapping, and a timestamp a datetime too.
fn ty(t: &Ty, ctx: Ctx<'_>, input: bool) -> String {
    match t {
        Ty::String | Ty::Duration => "str".into(),
        Ty::Timestamp if input => "eventfold.Time".into(),
        Ty::Timestamp => "str".into(),
        Ty::Int => "int".into(),
        Ty::Float => "float".into(),
        Ty::Bool => "bool".into(),
        Ty::List { item } if input => format!("Sequence[{}]", ty(item, ctx, input)),
        Ty::List { item } => format!("List[{}]", ty(item, ctx, input)),
        Ty::Map { value } if input => format!("Mapping[str, {}]", ty(value, ctx, input)),
        Ty::Map { value } => format!("Dict[str, {}]", ty(value, ctx, input)),
        Ty::Record { model, name } | Ty::Enum { model, name } => match ctx {
            Ctx::Model(m) if m == model => pascal(name),
            Ctx::Tables if !model.is_empty() => format!("{}.{}", module_name(model), pascal(name)),
            _ => "Dict[str, Any]".into(),
        },
        Ty::Optional { inner } => format!("Optional[{}]", ty(inner, ctx, input)),
        Ty::Json => "Any".into(),
    }
}

/// A TypedDict of `fields`: required ones in a base class, the others in
/// the class itself (`total=False`); the functional form when a key is
/// not an identifier (`from`, `class`). `input`: the fields of a command
/// or query, where one with a default may be left out.
fn typed_dict(
    o: &mut Out,
    name: &str,
    doc: Option<&str>,
    fields: &[Field],
    ctx: Ctx<'_>,
    input: bool,
) {
    let required: Vec<&Field> = fields.iter().filter(|f| !input || f.required).collect();
    let optional: Vec<&Field> = fields.iter().filter(|f| input && !f.required).collect();
    let functional = fields.iter().any(|f| !is_identifier(&f.name));
    let entries = |fs: &[&Field]| -> String {
        fs.iter()
            .map(|f| format!("{}: {}", lit(&f.name), lit(&ty(&f.ty, ctx, input))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if functional {
        let base = format!("_{name}Required");
        o.line(format!(
            "{base} = TypedDict({}, {{{}}})",
            lit(&base),
            entries(&required)
        ));
        let more = format!("_{name}Optional");
        o.line(format!(
            "{more} = TypedDict({}, {{{}}}, total=False)",
            lit(&more),
            entries(&optional)
        ));
        o.blank().blank();
        o.line(format!("class {name}({base}, {more}):")).indent();
        match doc {
            Some(_) => docstring(o, doc),
            None => {
                o.line("pass");
            }
        }
        o.dedent().blank().blank();
        return;
    }
    let body = |o: &mut Out, fs: &[&Field]| {
        for f in fs {
            o.line(format!("{}: {}", f.name, ty(&f.ty, ctx, input)));
            docstring(o, f.doc.as_deref());
        }
    };
    if optional.is_empty() {
        o.line(format!("class {name}(TypedDict):")).indent();
        docstring(o, doc);
        if doc.is_some() && !required.is_empty() {
            o.blank();
        }
        body(o, &required);
        if doc.is_none() && required.is_empty() {
            o.line("pass");
        }
        o.dedent().blank().blank();
        return;
    }
    let base = format!("_{name}Required");
    o.line(format!("class {base}(TypedDict):")).indent();
    body(o, &required);
    if required.is_empty() {
        o.line("pass");
    }
    o.dedent().blank().blank();
    o.line(format!("class {name}({base}, total=False):"))
        .indent();
    docstring(o, doc);
    if doc.is_some() {
        o.blank();
    }
    body(o, &optional);
    o.dedent().blank().blank();
}

fn union(names: &[String], empty: &str) -> String {
    match names.len() {
        0 => empty.to_string(),
        1 => names[0].clone(),
        // One member a line: a new command or event adds a line and
        // changes none (the law `generate::tests` checks).
        _ => format!(
            "Union[\n{}]",
            names
                .iter()
                .map(|n| format!("    {n},\n"))
                .collect::<String>()
        ),
    }
}

fn literal<S: AsRef<str>>(values: &[S]) -> String {
    if values.is_empty() {
        "NoReturn".into()
    } else {
        format!(
            "Literal[{}]",
            values
                .iter()
                .map(|v| lit(v.as_ref()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn header(o: &mut Out, doc: &str) {
    o.line(format!("# {}", banner()));
    docstring(o, Some(doc));
    o.blank();
    o.line("from __future__ import annotations");
    o.blank();
}

struct Names {
    state: String,
    command: String,
    event: String,
    stored: String,
    executed: String,
    loaded: String,
    reason: String,
}

impl Names {
    fn of(m: &ModelSchema) -> Names {
        let p = pascal(&m.name);
        Names {
            state: format!("{p}State"),
            command: format!("{p}Command"),
            event: format!("{p}Event"),
            stored: format!("{p}StoredEvent"),
            executed: format!("{p}Executed"),
            loaded: format!("{p}Loaded"),
            reason: format!("{p}Reason"),
        }
    }
}

fn command_data(c: &CommandSchema) -> String {
    format!("{}Data", pascal(&c.name))
}

fn command_class(c: &CommandSchema) -> String {
    format!("{}Command", pascal(&c.name))
}

fn event_data(e: &EventSchema) -> String {
    format!("{}Data", pascal(&e.name))
}

fn event_class(e: &EventSchema) -> String {
    format!("{}Event", pascal(&e.name))
}

fn event_stored(e: &EventSchema) -> String {
    format!("{}Stored", pascal(&e.name))
}

fn query_result(q: &QuerySchema) -> String {
    format!("{}Result", pascal(&q.name))
}

/// The docs of a command: the model's, then the reasons it may reject with.
fn command_doc(c: &CommandSchema) -> String {
    let mut doc = c
        .doc
        .clone()
        .unwrap_or_else(|| format!("The command `{}`.", c.name));
    let reasons = c.reasons();
    if !reasons.is_empty() {
        doc.push_str(&format!(
            "\n\nRaises ``eventfold.Rejected`` with ``reason`` {}.",
            reasons
                .iter()
                .map(|r| format!("``{}``", lit(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    doc
}

/// The keyword-only params of a facade method, and the dict literal that
/// builds its `data`: an argument left `None` that may be omitted is left
/// out, so the model's default applies.
fn params(fields: &[Field], ctx: Ctx<'_>) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut sig = Vec::new();
    let mut required = Vec::new();
    let mut optional = Vec::new();
    for f in fields {
        let a = arg(&f.name);
        let t = ty(&f.ty, ctx, true);
        if f.required {
            sig.push(format!("{a}: {t}"));
            required.push(format!("{}: {a}", lit(&f.name)));
        } else {
            let t = if f.ty.is_optional() {
                t
            } else {
                format!("Optional[{t}]")
            };
            sig.push(format!("{a}: {t} = None"));
            optional.push(format!("{}\u{0}{a}", lit(&f.name)));
        }
    }
    (sig, required, optional)
}

/// Lines that build `data` (a TypedDict `class_name`) from the params.
fn build_data(o: &mut Out, var: &str, class_name: &str, required: &[String], optional: &[String]) {
    o.line(format!("{var}: {class_name} = {{{}}}", required.join(", ")));
    for entry in optional {
        let (key, a) = entry.split_once('\u{0}').expect("key and arg");
        o.line(format!("if {a} is not None:")).indent();
        o.line(format!("{var}[{key}] = {a}")).dedent();
    }
}

fn model_module(m: &ModelSchema) -> (String, Vec<String>) {
    let n = Names::of(m);
    let ctx = Ctx::Model(&m.name);
    let p = pascal(&m.name);
    let mut all: Vec<String> = vec!["MODEL".into()];
    let mut o = Out::new("    ");
    let doc = match &m.doc {
        Some(d) => format!(
            "{d}\n\nThe types and the typed facade of the model `{}`.",
            m.name
        ),
        None => format!("The types and the typed facade of the model `{}`.", m.name),
    };
    header(&mut o, &doc);
    o.line("from typing import Any, Dict, List, Literal, Mapping, NoReturn, Optional, Sequence, Tuple, TypedDict, Union, cast");
    o.blank();
    o.line("import eventfold");
    o.blank();
    o.line(format!("MODEL = {}", lit(&m.name)));
    o.line("\"\"\"The model's name, as the engine's verbs take it.\"\"\"");
    o.blank();

    // ---------------------------------------------------------------- enums
    for e in &m.enums {
        let name = pascal(&e.name);
        let members: Vec<String> = e.members.iter().map(|x| x.name.clone()).collect();
        o.line(format!("{name} = {}", literal(&members)));
        let mut doc = e
            .doc
            .clone()
            .unwrap_or_else(|| format!("The enum `{}`.", e.name));
        let documented: Vec<String> = e
            .members
            .iter()
            .filter_map(|x| x.doc.as_ref().map(|d| format!("- ``{}``: {d}", x.name)))
            .collect();
        if !documented.is_empty() {
            doc.push_str("\n\n");
            doc.push_str(&documented.join("\n"));
        }
        docstring(&mut o, Some(&doc));
        o.line(format!(
            "{}_MEMBERS: Tuple[{name}, ...] = ({}{})",
            snake(&e.name).to_uppercase(),
            members
                .iter()
                .map(|x| lit(x))
                .collect::<Vec<_>>()
                .join(", "),
            if members.len() == 1 { "," } else { "" }
        ));
        o.blank();
        all.push(name);
        all.push(format!("{}_MEMBERS", snake(&e.name).to_uppercase()));
    }
    o.blank();

    // -------------------------------------------------------------- records
    for r in &m.records {
        typed_dict(
            &mut o,
            &pascal(&r.name),
            r.doc.as_deref(),
            &r.fields,
            ctx,
            false,
        );
        all.push(pascal(&r.name));
    }
    let state_doc = format!(
        "The state of a `{}` stream: every field is always there.",
        m.name
    );
    typed_dict(&mut o, &n.state, Some(&state_doc), &m.state, ctx, false);
    all.push(n.state.clone());

    // ------------------------------------------------------------- commands
    let mut commands = Vec::new();
    for c in &m.commands {
        let data = command_data(c);
        let class = command_class(c);
        let data_doc = format!("The params of `{}`.", c.name);
        typed_dict(&mut o, &data, Some(&data_doc), &c.params, ctx, true);
        let type_field = format!("type: Literal[{}]", lit(&c.name));
        if c.data_optional() {
            o.line(format!("class _{class}Type(TypedDict):")).indent();
            o.line(&type_field).dedent().blank().blank();
            o.line(format!("class {class}(_{class}Type, total=False):"))
                .indent();
        } else {
            o.line(format!("class {class}(TypedDict):")).indent();
        }
        docstring(&mut o, Some(&command_doc(c)));
        o.blank();
        if !c.data_optional() {
            o.line(type_field);
        }
        o.line(format!("data: {data}"));
        o.dedent().blank().blank();
        let reasons = c.reasons();
        let reason = format!("{}Reason", pascal(&c.name));
        o.line(format!("{reason} = {}", literal(&reasons)));
        o.line(format!(
            "\"\"\"The reasons `{}` may reject with.\"\"\"",
            c.name
        ));
        o.blank().blank();
        all.extend([data, class.clone(), reason]);
        commands.push(class);
    }
    o.line(format!("{} = {}", n.command, union(&commands, "NoReturn")));
    o.line(format!("\"\"\"Every command of `{}`.\"\"\"", m.name));
    all.push(n.command.clone());
    o.blank();
    o.line(format!(
        "{} = {}",
        n.reason,
        literal(
            &m.reasons()
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        )
    ));
    o.line(format!(
        "\"\"\"Every reason a command of `{}` may reject with (``eventfold.Rejected.reason``).\"\"\"",
        m.name
    ));
    all.push(n.reason.clone());
    o.blank().blank();
    let reason_fn = format!("{}_reason", snake(&m.name));
    o.line(format!(
        "def {reason_fn}(error: eventfold.Rejected) -> Optional[{}]:",
        n.reason
    ))
    .indent();
    docstring(
        &mut o,
        Some(&format!(
            "The reason of a rejection by `{}`, typed (None for a ``reject`` without one).",
            m.name
        )),
    );
    o.line(format!("return cast(Optional[{}], error.reason)", n.reason))
        .dedent();
    o.blank().blank();
    all.push(reason_fn);

    // --------------------------------------------------------------- events
    let mut events = Vec::new();
    let mut stored = Vec::new();
    for e in &m.events {
        let data = event_data(e);
        let class = event_class(e);
        let st = event_stored(e);
        typed_dict(
            &mut o,
            &data,
            Some(&format!("The fields of `{}`.", e.name)),
            &e.fields,
            ctx,
            false,
        );
        o.line(format!("class {class}(TypedDict):")).indent();
        let doc = e
            .doc
            .clone()
            .unwrap_or_else(|| format!("The event `{}`.", e.name));
        docstring(&mut o, Some(&format!("{doc}\n\nAs ``propose`` gives it.")));
        o.blank();
        o.line(format!("type: Literal[{}]", lit(&e.name)));
        o.line(format!("data: {data}"));
        o.dedent().blank().blank();
        o.line(format!("class {st}(TypedDict):")).indent();
        docstring(
            &mut o,
            Some(&format!(
                "`{}` as the store keeps it (``execute``, ``read_stream``), at version {} of its shape.",
                e.name, e.version
            )),
        );
        o.blank();
        o.line("id: str");
        o.line("stream: str");
        o.line("version: int");
        o.line("position: int");
        o.line(format!("type: Literal[{}]", lit(&e.name)));
        o.line("schema: int");
        o.line(format!("data: {data}"));
        o.line("metadata: Dict[str, Any]");
        o.dedent().blank().blank();
        all.extend([data, class.clone(), st.clone()]);
        events.push(class);
        stored.push(st);
    }
    o.line(format!("{} = {}", n.event, union(&events, "NoReturn")));
    o.line(format!(
        "\"\"\"Every event of `{}`, as ``propose`` gives it.\"\"\"",
        m.name
    ));
    o.line(format!("{} = {}", n.stored, union(&stored, "NoReturn")));
    o.line(format!(
        "\"\"\"Every event of `{}`, as the store keeps it.\"\"\"",
        m.name
    ));
    o.blank().blank();
    all.extend([n.event.clone(), n.stored.clone()]);

    o.line(format!("class {}(TypedDict):", n.executed)).indent();
    docstring(
        &mut o,
        Some(&format!("What executing a command of `{}` gives.", m.name)),
    );
    o.blank();
    o.line("stream: str");
    o.line("version: int");
    o.line("position: int");
    o.line(format!("events: List[{}]", n.stored));
    o.dedent().blank().blank();
    o.line(format!("class {}(TypedDict):", n.loaded)).indent();
    docstring(
        &mut o,
        Some(&format!("A `{}` stream's state and version.", m.name)),
    );
    o.blank();
    o.line(format!("state: {}", n.state));
    o.line("version: int");
    o.dedent().blank().blank();
    all.extend([n.executed.clone(), n.loaded.clone()]);

    // -------------------------------------------------------------- queries
    for q in &m.queries {
        let r = query_result(q);
        o.line(format!("{r} = {}", ty(&q.returns, ctx, false)));
        o.line(format!("\"\"\"What the query `{}` gives.\"\"\"", q.name));
        all.push(r);
    }
    o.blank().blank();

    // --------------------------------------------------------------- facade
    domain_facade(&mut o, m, &n, ctx);
    for is_async in [false, true] {
        stream_facade(&mut o, m, &n, ctx, is_async);
        model_facade(&mut o, m, &n, is_async);
    }
    all.extend([
        format!("{p}Domain"),
        format!("{p}Stream"),
        format!("{p}Model"),
        format!("Async{p}Stream"),
        format!("Async{p}Model"),
    ]);
    o.line("__all__ = [").indent();
    for a in &all {
        o.line(format!("{},", lit(a)));
    }
    o.dedent().line("]");
    (o.finish(), all)
}
