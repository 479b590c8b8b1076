//! `--lang ruby`: value classes for every command, event, state, record
//! and table row, modules of constants for enums and rejection reasons,
//! RBS signatures beside them, and a typed facade over `Eventfold::Engine`:
//!
//! ```ruby
//! todos = App::Todos::TodosModel.new(engine)
//! done = todos.stream("kitchen").create_new(App::Todos::CreateNew.new(id: "a", text: "x"))
//! done.events.first # => #<App::Todos::Created id="a" ...>
//! ```
//!
//! The classes have `Data`'s interface (keyword-only `new`, readers,
//! `to_h`, `with`, `==`, frozen) written out as plain classes, because
//! `Data.define` needs Ruby 3.2 and Debian 12 ships 3.1. Construction is
//! the check Ruby has: an unknown or missing keyword is an
//! `ArgumentError`, a value of the wrong type a `TypeError` (each field's
//! type is checked in `initialize`); the `.rbs` file says the same for
//! editors and `rbs validate`.
//!
//! Layout: `--package` is the module (default `Eventfold::Generated`);
//! each model's classes are in `<model>.rb` (+ `.rbs`) under
//! `<package>::<Model>`, the read side's in `read_side.rb` under
//! `<package>`; `eventfold_generated.rb` requires them all. The facade only
//! names and converts: every call goes through `Eventfold::Engine`.

use super::names::{pascal, screaming, snake};
use super::schema::{Field, ModelSchema, Ty};
use super::{banner, File, Options, Out, Schema};

mod model;
mod read_side;
#[cfg(test)]
mod tests;

const DEFAULT_MODULE: &str = "Eventfold::Generated";

const KEYWORDS: &[&str] = &[
    "BEGIN",
    "END",
    "alias",
    "and",
    "begin",
    "break",
    "case",
    "class",
    "def",
    "defined?",
    "do",
    "else",
    "elsif",
    "end",
    "ensure",
    "false",
    "for",
    "if",
    "in",
    "module",
    "next",
    "nil",
    "not",
    "or",
    "redo",
    "rescue",
    "retry",
    "return",
    "self",
    "super",
    "then",
    "true",
    "undef",
    "unless",
    "until",
    "when",
    "while",
    "yield",
    "__FILE__",
    "__LINE__",
    "__method__",
];

struct Names {
    root: String,
}

impl Names {
    fn model_mod(&self, model: &str) -> String {
        format!("{}::{}", self.root, pascal(model))
    }
    fn fq(&self, model: &str, name: &str) -> String {
        if model.is_empty() {
            format!("::{}::{}", self.root, pascal(name))
        } else {
            format!("::{}::{}", self.model_mod(model), pascal(name))
        }
    }
    /// The RBS name of an enum's literal union.
    fn enum_alias(&self, model: &str, name: &str) -> String {
        format!("::{}::{}", self.model_mod(model), alias_name(name))
    }
}

fn alias_name(enum_name: &str) -> String {
    format!("{}_t", snake(enum_name))
}

/// How a local that may be a keyword is read.
fn local(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("binding.local_variable_get(:{name})")
    } else {
        name.to_string()
    }
}

/// The method name of a field's reader (a keyword reader works after `.`).
fn reader(name: &str) -> String {
    name.to_string()
}

fn event_class(m: &ModelSchema, event: &str) -> String {
    let n = pascal(event);
    let taken = m.commands.iter().any(|c| pascal(&c.name) == n)
        || m.records.iter().any(|r| pascal(&r.name) == n)
        || m.enums.iter().any(|e| pascal(&e.name) == n)
        || n == format!("{}State", pascal(&m.name));
    if taken {
        n + "Event"
    } else {
        n
    }
}

/// A Ruby expression that is true when `e` is a value of `t`.
fn check(n: &Names, t: &Ty, e: &str, depth: usize) -> String {
    match t {
        Ty::String | Ty::Timestamp | Ty::Duration => format!("{e}.is_a?(String)"),
        Ty::Int => format!("{e}.is_a?(Integer)"),
        Ty::Float => format!("{e}.is_a?(Numeric)"),
        Ty::Bool => format!("(true == {e} || false == {e})"),
        Ty::List { item } => {
            let v = format!("v{depth}");
            format!(
                "({e}.is_a?(Array) && {e}.all? {{ |{v}| {} }})",
                check(n, item, &v, depth + 1)
            )
        }
        Ty::Map { value } => {
            let v = format!("v{depth}");
            format!(
                "({e}.is_a?(Hash) && {e}.all? {{ |k{depth}, {v}| k{depth}.is_a?(String) && {} }})",
                check(n, value, &v, depth + 1)
            )
        }
        Ty::Record { model, name } => format!("{e}.is_a?({})", n.fq(model, name)),
        Ty::Enum { model, name } => format!("{}::VALUES.include?({e})", n.fq(model, name)),
        Ty::Optional { inner } => format!("({e}.nil? || {})", check(n, inner, e, depth)),
        Ty::Json => "true".into(),
    }
}

/// What a type is called in a TypeError.
fn shown(n: &Names, t: &Ty) -> String {
    match t {
        Ty::String => "String".into(),
        Ty::Timestamp => "String (RFC 3339)".into(),
        Ty::Duration => "String (a duration like 1h30m)".into(),
        Ty::Int => "Integer".into(),
        Ty::Float => "Float".into(),
        Ty::Bool => "true or false".into(),
        Ty::List { item } => format!("Array of {}", shown(n, item)),
        Ty::Map { value } => format!("Hash of String to {}", shown(n, value)),
        Ty::Record { model, name } => n.fq(model, name).trim_start_matches("::").to_string(),
        Ty::Enum { model, name } => format!(
            "one of {}::VALUES",
            n.fq(model, name).trim_start_matches("::")
        ),
        Ty::Optional { inner } => format!("nil or {}", shown(n, inner)),
        Ty::Json => "JSON".into(),
    }
}

/// The RBS type.
fn rbs(n: &Names, t: &Ty) -> String {
    match t {
        Ty::String | Ty::Timestamp | Ty::Duration => "String".into(),
        Ty::Int => "Integer".into(),
        Ty::Float => "Float | Integer".into(),
        Ty::Bool => "bool".into(),
        Ty::List { item } => format!("Array[{}]", rbs(n, item)),
        Ty::Map { value } => format!("Hash[String, {}]", rbs(n, value)),
        Ty::Record { model, name } => n.fq(model, name),
        Ty::Enum { model, name } => n.enum_alias(model, name),
        Ty::Optional { inner } => match inner.as_ref() {
            Ty::Float => "(Float | Integer)?".into(),
            i => format!("{}?", rbs(n, i)),
        },
        Ty::Json => "untyped".into(),
    }
}

/// JSON-decoded `e` (string keys) into a value of `t`.
fn from_json(n: &Names, t: &Ty, e: &str, depth: usize) -> String {
    match t {
        Ty::Float => format!("{e}.to_f"),
        Ty::List { item } => {
            let v = format!("v{depth}");
            let i = from_json(n, item, &v, depth + 1);
            if i == v {
                e.into()
            } else {
                format!("{e}.map {{ |{v}| {i} }}")
            }
        }
        Ty::Map { value } => {
            let v = format!("v{depth}");
            let i = from_json(n, value, &v, depth + 1);
            if i == v {
                e.into()
            } else {
                format!("{e}.transform_values {{ |{v}| {i} }}")
            }
        }
        Ty::Record { model, name } => format!("{}.from_h({e})", n.fq(model, name)),
        Ty::Optional { inner } => {
            let i = from_json(n, inner, e, depth);
            if i == e {
                e.into()
            } else {
                format!("({e}.nil? ? nil : {i})")
            }
        }
        _ => e.into(),
    }
}

/// A value `e` of `t` into JSON-encodable data.
fn to_json(t: &Ty, e: &str, depth: usize) -> String {
    match t {
        Ty::List { item } => {
            let v = format!("v{depth}");
            let i = to_json(item, &v, depth + 1);
            if i == v {
                e.into()
            } else {
                format!("{e}.map {{ |{v}| {i} }}")
            }
        }
        Ty::Map { value } => {
            let v = format!("v{depth}");
            let i = to_json(value, &v, depth + 1);
            if i == v {
                e.into()
            } else {
                format!("{e}.transform_values {{ |{v}| {i} }}")
            }
        }
        Ty::Record { .. } => format!("{e}.to_h"),
        Ty::Optional { inner } => {
            let i = to_json(inner, e, depth);
            if i == e {
                e.into()
            } else {
                format!("({e}.nil? ? nil : {i})")
            }
        }
        _ => e.into(),
    }
}

fn comment(o: &mut Out, doc: Option<&str>) {
    o.line_doc(doc, "# ");
}

fn rstr(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('#', "\\#")
    )
}

/// A value class and its signature. `lenient`: input fields that may be
/// left out default to nil and are left out of `to_h` when nil, so the
/// model's default applies.
#[allow(clippy::too_many_arguments)]
fn value_class(
    o: &mut Out,
    sig: &mut Out,
    n: &Names,
    name: &str,
    doc: Option<&str>,
    fields: &[Field],
    lenient: bool,
    consts: &[(String, String, String)],
) {
    let optional = |f: &Field| lenient && !f.required;
    o.blank();
    comment(o, doc);
    o.line(format!("class {name}"));
    o.indent();
    sig.blank();
    sig.line(format!("class {name}"));
    sig.indent();
    for (c, v, t) in consts {
        o.line(format!("{c} = {v}"));
        sig.line(format!("{c}: {t}"));
    }
    if !fields.is_empty() {
        o.line(format!(
            "MEMBERS = %i[{}].freeze",
            fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        sig.line("MEMBERS: Array[Symbol]");
        o.blank();
        for f in fields {
            if let Some(d) = &f.doc {
                comment(o, Some(d));
            }
            o.line(format!("attr_reader :{}", f.name));
            let mut t = rbs(n, &f.ty);
            if optional(f) && !t.ends_with('?') && t != "untyped" {
                t = format!("({t})?");
            }
            sig.line(format!("attr_reader {}: {t}", reader(&f.name)));
        }
    }
    o.blank();
    let params: Vec<String> = fields
        .iter()
        .map(|f| {
            if optional(f) {
                format!("{}: nil", f.name)
            } else {
                format!("{}:", f.name)
            }
        })
        .collect();
    if params.is_empty() {
        o.line("def initialize");
    } else {
        o.line(format!("def initialize({})", params.join(", ")));
    }
    o.indent();
    for f in fields {
        let v = local(&f.name);
        let ty = if optional(f) {
            Ty::Optional {
                inner: Box::new(f.ty.clone()),
            }
        } else {
            f.ty.clone()
        };
        let c = check(n, &ty, &v, 0);
        if c != "true" {
            o.line(format!(
                "raise TypeError, \"{name}#{}: expected {}, got #{{{v}.inspect}}\" unless {c}",
                f.name,
                shown(n, &ty).replace('"', "\\\"")
            ));
        }
        o.line(format!("@{} = {v}", f.name));
    }
    o.line("freeze");
    o.dedent();
    o.line("end");
    let sig_params: Vec<String> = fields
        .iter()
        .map(|f| {
            let mut t = rbs(n, &f.ty);
            if optional(f) {
                if !t.ends_with('?') && t != "untyped" {
                    t = format!("({t})?");
                }
                format!("?{}: {t}", f.name)
            } else {
                format!("{}: {t}", f.name)
            }
        })
        .collect();
    sig.line(format!(
        "def initialize: ({}) -> void",
        sig_params.join(", ")
    ));
    o.blank();
    o.line("# The JSON shape the engine takes and gives (String keys).");
    o.line("def to_h");
    o.indent();
    if fields.iter().any(&optional) {
        o.line("h = {}");
        for f in fields {
            let v = format!("@{}", f.name);
            if optional(f) {
                let ty = Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                };
                o.line(format!(
                    "h[{}] = {} unless {v}.nil?",
                    rstr(&f.name),
                    to_json(&ty, &v, 0)
                ));
            } else {
                o.line(format!("h[{}] = {}", rstr(&f.name), to_json(&f.ty, &v, 0)));
            }
        }
        o.line("h");
    } else if fields.is_empty() {
        o.line("{}");
    } else {
        o.line("{");
        o.indent();
        let last = fields.len() - 1;
        for (i, f) in fields.iter().enumerate() {
            let v = format!("@{}", f.name);
            let comma = if i == last { "" } else { "," };
            o.line(format!(
                "{} => {}{comma}",
                rstr(&f.name),
                to_json(&f.ty, &v, 0)
            ));
        }
        o.dedent();
        o.line("}");
    }
    o.dedent();
    o.line("end");
    sig.line("def to_h: () -> Hash[String, untyped]");
    o.blank();
    o.line("# A copy with some fields changed, as Data#with.");
    o.line("def with(**changes)");
    o.indent();
    if fields.is_empty() {
        o.line("raise ArgumentError, \"unknown keywords: #{changes.keys.join(', ')}\" unless changes.empty?");
        o.blank();
        o.line("self");
    } else {
        o.line("self.class.new(**MEMBERS.to_h { |m| [m, instance_variable_get(:\"@#{m}\")] }, **changes)");
    }
    o.dedent();
    o.line("end");
    sig.line("def with: (**untyped) -> instance");
    o.blank();
    o.line("def ==(other) = other.class == self.class && other.to_h == to_h");
    o.line("alias eql? ==");
    o.line("def hash = [self.class, to_h].hash");
    o.line("def inspect = \"#<#{self.class.name} #{to_h.map { |k, v| \"#{k}=#{v.inspect}\" }.join(' ')}>\"");
    o.line("alias to_s inspect");
    sig.line("def ==: (untyped) -> bool");
    sig.line("def eql?: (untyped) -> bool");
    sig.line("def hash: () -> Integer");
    sig.line("def inspect: () -> String");
    sig.line("def to_s: () -> String");
    o.blank();
    o.line("# From the JSON shape (String keys), as the engine returns it.");
    if fields.is_empty() {
        o.line("def self.from_h(_hash) = new");
    } else {
        o.line("def self.from_h(hash)");
        o.indent();
        o.line("new(");
        o.indent();
        let last = fields.len() - 1;
        for (i, f) in fields.iter().enumerate() {
            let get = format!("hash[{}]", rstr(&f.name));
            let ty = if f.required && !f.ty.is_optional() {
                f.ty.clone()
            } else {
                Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                }
            };
            let comma = if i == last { "" } else { "," };
            o.line(format!("{}: {}{comma}", f.name, from_json(n, &ty, &get, 0)));
        }
        o.dedent();
        o.line(")");
        o.dedent();
        o.line("end");
    }
    sig.line("def self.from_h: (Hash[String, untyped]) -> instance");
    o.dedent();
    o.line("end");
    sig.dedent();
    sig.line("end");
}

fn header(o: &mut Out) {
    o.line(format!("# {}", banner()));
    o.line("# frozen_string_literal: true");
}

/// Opens `module A`, `module B` for `A::B`; returns how many.
fn open_modules(o: &mut Out, path: &str) -> usize {
    let parts: Vec<&str> = path.split("::").collect();
    for p in &parts {
        o.line(format!("module {p}"));
        o.indent();
    }
    parts.len()
}

fn close_modules(o: &mut Out, count: usize) {
    for _ in 0..count {
        o.dedent();
        o.line("end");
    }
}

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let root = options
        .package
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_MODULE)
        .split(['.', ':'])
        .filter(|p| !p.is_empty())
        .map(pascal)
        .collect::<Vec<_>>()
        .join("::");
    let n = Names { root };
    let mut files = Vec::new();
    for m in &schema.models {
        files.extend(model::model_files(&n, m));
    }
    files.extend(read_side::read_side_files(&n, schema));
    let mut all = Out::new("  ");
    header(&mut all);
    all.blank();
    all.line("# Requires every generated file (the eventfold gem must be loadable).");
    for m in &schema.models {
        all.line(format!("require_relative \"{}\"", snake(&m.name)));
    }
    all.line("require_relative \"read_side\"");
    files.push(File {
        path: "eventfold_generated.rb".into(),
        contents: all.finish(),
    });
    files
}
