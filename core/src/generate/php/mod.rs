//! `--lang php`: `final readonly class`es (PHP 8.2) with typed constructor
//! properties and docblocks for every command, event, state, record and
//! table row; backed enums for enums and rejection reasons; and a typed
//! facade over `Eventfold\Engine`:
//!
//! ```php
//! $todos = new TodosModel($engine);
//! $done = $todos->stream('kitchen')->createNew(new CreateNew(id: 'a', text: 'x'));
//! foreach ($done->events as $event) { /* Created|TextChanged|... */ }
//! ```
//!
//! PHP checks types at run time: with `declare(strict_types=1)` (every
//! generated file has it) a wrong named argument is an `Error` ("Unknown
//! named parameter"), a missing one an `ArgumentCountError` and a wrong
//! type a `TypeError`, at the `new`, before anything reaches the engine.
//! The docblocks carry what PHP's own types cannot (`list<string>`,
//! `array<string, Todo>`) for static analysers and editors.
//!
//! Layout: `--package` is the namespace (default `Eventfold\Generated`);
//! each model's classes are in `<Model>.php` under `namespace
//! <package>\<Model>`, the read side's in `ReadSide.php` under
//! `<package>`; `autoload.php` requires them all. The facade only names
//! and converts: every call goes through `Eventfold\Engine`.

use super::names::{camel, pascal, screaming};
use super::schema::{Field, ModelSchema, TableSchema, Ty};
use super::{banner, File, Options, Out, Schema};

mod model;
mod read_side;
#[cfg(test)]
mod tests;

const DEFAULT_NS: &str = "Eventfold\\Generated";

/// Words PHP does not take as a class, method or enum case name.
const RESERVED: &[&str] = &[
    "abstract",
    "and",
    "array",
    "as",
    "break",
    "callable",
    "case",
    "catch",
    "class",
    "clone",
    "const",
    "continue",
    "declare",
    "default",
    "do",
    "echo",
    "else",
    "elseif",
    "empty",
    "enddeclare",
    "endfor",
    "endforeach",
    "endif",
    "endswitch",
    "endwhile",
    "enum",
    "eval",
    "exit",
    "extends",
    "final",
    "finally",
    "fn",
    "for",
    "foreach",
    "function",
    "global",
    "goto",
    "if",
    "implements",
    "include",
    "instanceof",
    "insteadof",
    "interface",
    "isset",
    "list",
    "match",
    "namespace",
    "new",
    "or",
    "print",
    "private",
    "protected",
    "public",
    "readonly",
    "require",
    "return",
    "static",
    "switch",
    "throw",
    "trait",
    "try",
    "unset",
    "use",
    "var",
    "while",
    "xor",
    "yield",
    "self",
    "parent",
    "bool",
    "int",
    "float",
    "string",
    "mixed",
    "void",
    "null",
    "true",
    "false",
    "object",
    "iterable",
    "never",
];

fn class_name(name: &str) -> String {
    let p = pascal(name);
    if RESERVED.contains(&p.to_ascii_lowercase().as_str()) {
        p + "_"
    } else {
        p
    }
}

/// Where a model's classes live, and what each of its names is called.
struct Names {
    ns: String,
}

impl Names {
    fn model_ns(&self, model: &str) -> String {
        format!("{}\\{}", self.ns, pascal(model))
    }
    /// The fully qualified name of a record or enum declared by `model`
    /// (`""`: the read side's own).
    fn fq(&self, model: &str, name: &str) -> String {
        if model.is_empty() {
            format!("\\{}\\{}", self.ns, class_name(name))
        } else {
            format!("\\{}\\{}", self.model_ns(model), class_name(name))
        }
    }
}

/// Class names of a model's events: the event's own, with `Event` added
/// when a command, record or enum of the model already has it.
fn event_class(m: &ModelSchema, event: &str) -> String {
    let n = class_name(event);
    let taken = m.commands.iter().any(|c| class_name(&c.name) == n)
        || m.records.iter().any(|r| class_name(&r.name) == n)
        || m.enums.iter().any(|e| class_name(&e.name) == n)
        || n == format!("{}State", pascal(&m.name));
    if taken {
        n + "Event"
    } else {
        n
    }
}

/// PHP's own type of a value (what a property is declared as).
fn native(n: &Names, t: &Ty) -> String {
    match t {
        Ty::String | Ty::Timestamp | Ty::Duration => "string".into(),
        Ty::Int => "int".into(),
        Ty::Float => "float".into(),
        Ty::Bool => "bool".into(),
        Ty::List { .. } | Ty::Map { .. } => "array".into(),
        Ty::Record { model, name } | Ty::Enum { model, name } => n.fq(model, name),
        Ty::Optional { inner } => match native(n, inner).as_str() {
            "mixed" => "mixed".into(),
            s => format!("?{s}"),
        },
        Ty::Json => "mixed".into(),
    }
}

/// The docblock type (Psalm/PHPStan syntax): lists and maps with items.
fn doc(n: &Names, t: &Ty) -> String {
    match t {
        Ty::List { item } => format!("list<{}>", doc(n, item)),
        Ty::Map { value } => format!("array<string, {}>", doc(n, value)),
        Ty::Optional { inner } => match inner.as_ref() {
            Ty::Json => "mixed".into(),
            i => format!("{}|null", doc(n, i)),
        },
        other => native(n, other),
    }
}

/// Whether a docblock says more than the native type.
fn needs_doc(t: &Ty) -> bool {
    match t {
        Ty::List { .. } | Ty::Map { .. } => true,
        Ty::Optional { inner } => needs_doc(inner),
        _ => false,
    }
}

/// An expression turning JSON-decoded `e` into a value of `t`.
fn from_json(n: &Names, t: &Ty, e: &str, depth: usize) -> String {
    match t {
        Ty::String | Ty::Timestamp | Ty::Duration | Ty::Int | Ty::Bool | Ty::Json => e.into(),
        // A whole float may arrive as a JSON integer.
        Ty::Float => format!("(float) {e}"),
        Ty::List { item } | Ty::Map { value: item } => {
            let v = format!("$v{depth}");
            let inner = from_json(n, item, &v, depth + 1);
            if inner == v {
                e.into()
            } else {
                format!("array_map(static fn ($v{depth}) => {inner}, {e})")
            }
        }
        Ty::Record { model, name } => format!("{}::fromArray({e})", n.fq(model, name)),
        Ty::Enum { model, name } => format!("{}::from({e})", n.fq(model, name)),
        Ty::Optional { inner } => {
            let i = from_json(n, inner, e, depth);
            if i == e {
                e.into()
            } else {
                format!("({e} === null ? null : {i})")
            }
        }
    }
}

/// An expression turning a value `e` of `t` into JSON-encodable data.
fn to_json(t: &Ty, e: &str, depth: usize) -> String {
    match t {
        Ty::String | Ty::Timestamp | Ty::Duration | Ty::Int | Ty::Bool | Ty::Json | Ty::Float => {
            e.into()
        }
        Ty::List { item } | Ty::Map { value: item } => {
            let v = format!("$v{depth}");
            let inner = to_json(item, &v, depth + 1);
            if inner == v {
                e.into()
            } else {
                format!("array_map(static fn ($v{depth}) => {inner}, {e})")
            }
        }
        Ty::Record { .. } => format!("{e}->toArray()"),
        Ty::Enum { .. } => format!("{e}->value"),
        Ty::Optional { inner } => {
            let i = to_json(inner, e, depth);
            if i == e {
                e.into()
            } else {
                format!("({e} === null ? null : {i})")
            }
        }
    }
}

fn prop(name: &str) -> String {
    // Properties may be called anything but `this`.
    if name == "this" {
        "this_".into()
    } else {
        name.to_string()
    }
}

/// A value of fields: `final readonly class` with a typed constructor,
/// `toArray()` and `fromArray()`. `lenient` fields (input that may be
/// left out) are nullable with a null default, after the required ones,
/// and left out of `toArray()` when null, so the model's default applies.
fn value_class(
    o: &mut Out,
    n: &Names,
    name: &str,
    doc_text: Option<&str>,
    fields: &[Field],
    lenient: bool,
    consts: &[String],
) {
    o.line("/**");
    if let Some(d) = doc_text {
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
        o.line(" *");
    }
    o.line(" * @psalm-immutable");
    o.line(" */");
    o.line(format!("final readonly class {name}"));
    o.line("{");
    o.indent();
    for c in consts {
        o.line(c);
    }
    if !consts.is_empty() {
        o.blank();
    }
    let optional = |f: &Field| lenient && !f.required;
    let mut ordered: Vec<&Field> = fields.iter().filter(|f| !optional(f)).collect();
    ordered.extend(fields.iter().filter(|f| optional(f)));
    if ordered.is_empty() {
        o.line("public function __construct()");
        o.line("{");
        o.line("}");
    } else {
        let documented = |f: &Field| needs_doc(&f.ty) || f.doc.is_some() || optional(f);
        if ordered.iter().any(|f| documented(f)) {
            o.line("/**");
        }
        for f in ordered.iter().filter(|f| documented(f)) {
            let mut t = doc(n, &f.ty);
            if optional(f) && !t.ends_with("|null") && t != "mixed" {
                t.push_str("|null");
            }
            let mut line = format!(" * @param {t} ${}", prop(&f.name));
            if let Some(d) = &f.doc {
                line.push(' ');
                line.push_str(&d.lines().collect::<Vec<_>>().join(" "));
            }
            if optional(f) {
                line.push_str(" (null: the model's default)");
            }
            o.line(line);
        }
        if ordered.iter().any(|f| documented(f)) {
            o.line(" */");
        }
        o.line("public function __construct(");
        o.indent();
        for f in &ordered {
            let mut t = native(n, &f.ty);
            if optional(f) && !t.starts_with('?') && t != "mixed" {
                t = format!("?{t}");
            }
            let default = if optional(f) { " = null" } else { "" };
            o.line(format!("public {t} ${}{default},", prop(&f.name)));
        }
        o.dedent();
        o.line(") {");
        o.line("}");
    }
    o.blank();
    o.line("/** @return array<string, mixed> the JSON shape the engine takes and gives */");
    o.line("public function toArray(): array");
    o.line("{");
    o.indent();
    if fields.iter().any(&optional) {
        o.line("$a = [];");
        for f in fields {
            let v = format!("$this->{}", prop(&f.name));
            let conv = to_json(&f.ty, &v, 0);
            if optional(f) {
                let conv = to_json(
                    &Ty::Optional {
                        inner: Box::new(f.ty.clone()),
                    },
                    &v,
                    0,
                );
                o.line(format!("if ({v} !== null) {{"));
                o.indent()
                    .line(format!("$a['{}'] = {conv};", f.name))
                    .dedent();
                o.line("}");
            } else {
                o.line(format!("$a['{}'] = {conv};", f.name));
            }
        }
        o.line("return $a;");
    } else if fields.is_empty() {
        o.line("return [];");
    } else {
        o.line("return [");
        o.indent();
        for f in fields {
            let v = format!("$this->{}", prop(&f.name));
            o.line(format!("'{}' => {},", f.name, to_json(&f.ty, &v, 0)));
        }
        o.dedent();
        o.line("];");
    }
    o.dedent();
    o.line("}");
    o.blank();
    o.line("/** @param array<string, mixed> $a the JSON shape, decoded */");
    o.line("public static function fromArray(array $a): self");
    o.line("{");
    o.indent();
    if fields.is_empty() {
        o.line("return new self();");
    } else {
        o.line("return new self(");
        o.indent();
        for f in fields {
            let get = if f.required && !f.ty.is_optional() {
                format!("$a['{}']", f.name)
            } else {
                format!("$a['{}'] ?? null", f.name)
            };
            let ty = if get.ends_with("?? null") && !f.ty.is_optional() {
                Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                }
            } else {
                f.ty.clone()
            };
            let e = from_json(n, &ty, &format!("({get})"), 0);
            o.line(format!("{}: {e},", prop(&f.name)));
        }
        o.dedent();
        o.line(");");
    }
    o.dedent();
    o.line("}");
    o.dedent();
    o.line("}");
}

fn php_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn docblock(o: &mut Out, text: Option<&str>) {
    o.block_doc(text, "/**", " * ", " */");
}

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let ns = options
        .package
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_NS)
        .trim_matches('\\')
        .replace('.', "\\");
    let n = Names { ns };
    let mut files: Vec<File> = schema
        .models
        .iter()
        .map(|m| model::model_file(&n, m))
        .collect();
    files.push(read_side::read_side_file(&n, schema));
    let mut auto = Out::new("    ");
    auto.line("<?php");
    auto.blank();
    auto.line(format!("// {}", banner()));
    auto.blank();
    auto.line("declare(strict_types=1);");
    auto.blank();
    auto.line("// Requires every generated file (Eventfold\\ itself must be loadable already).");
    for f in &files {
        auto.line(format!("require_once __DIR__ . '/{}';", f.path));
    }
    files.push(File {
        path: "autoload.php".into(),
        contents: auto.finish(),
    });
    files
}
