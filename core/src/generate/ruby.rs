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

fn model_files(n: &Names, m: &ModelSchema) -> Vec<File> {
    let mname = pascal(&m.name);
    let mut o = Out::new("  ");
    let mut s = Out::new("  ");
    header(&mut o);
    s.line(format!("# {}", banner()));
    o.blank();
    o.line("require \"eventfold\"");
    o.blank();
    let depth = open_modules(&mut o, &n.model_mod(&m.name));
    let sdepth = open_modules(&mut s, &n.model_mod(&m.name));
    comment(&mut o, m.doc.as_deref());
    o.line(format!("NAME = {}", rstr(&m.name)));
    s.line("NAME: String");

    for e in &m.enums {
        o.blank();
        comment(&mut o, e.doc.as_deref());
        o.line(format!("module {}", pascal(&e.name)));
        o.indent();
        s.blank();
        let lits: Vec<String> = e.members.iter().map(|m| rstr(&m.name)).collect();
        s.line(format!(
            "type {} = {}",
            alias_name(&e.name),
            lits.join(" | ")
        ));
        s.line(format!("module {}", pascal(&e.name)));
        s.indent();
        for mem in &e.members {
            comment(&mut o, mem.doc.as_deref());
            o.line(format!("{} = {}", screaming(&mem.name), rstr(&mem.name)));
            s.line(format!("{}: {}", screaming(&mem.name), rstr(&mem.name)));
        }
        o.line(format!(
            "VALUES = [{}].freeze",
            e.members
                .iter()
                .map(|m| screaming(&m.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s.line(format!("VALUES: Array[{}]", alias_name(&e.name)));
        o.dedent();
        o.line("end");
        s.dedent();
        s.line("end");
    }
    for r in &m.records {
        value_class(
            &mut o,
            &mut s,
            n,
            &pascal(&r.name),
            r.doc.as_deref(),
            &r.fields,
            false,
            &[],
        );
    }
    let state = format!("{mname}State");
    let state_doc = format!("The state of a {} stream.", m.name);
    value_class(
        &mut o,
        &mut s,
        n,
        &state,
        Some(&state_doc),
        &m.state,
        false,
        &[],
    );

    let rejection = format!("{mname}Rejection");
    let reasons = m.reasons();
    o.blank();
    o.line(format!(
        "# The reasons a {} command may reject with (RejectedError#reason).",
        m.name
    ));
    o.line(format!("module {rejection}"));
    o.indent();
    s.blank();
    s.line(format!(
        "type reason = {}",
        if reasons.is_empty() {
            "bot".to_string()
        } else {
            reasons
                .iter()
                .map(|r| rstr(r))
                .collect::<Vec<_>>()
                .join(" | ")
        }
    ));
    s.line(format!("module {rejection}"));
    s.indent();
    for r in &reasons {
        o.line(format!("{} = {}", screaming(r), rstr(r)));
        s.line(format!("{}: {}", screaming(r), rstr(r)));
    }
    o.line(format!(
        "ALL = [{}].freeze",
        reasons
            .iter()
            .map(|r| screaming(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.line("ALL: Array[reason]");
    o.blank();
    o.line("# The reason of a rejection of this model, or nil.");
    o.line("def self.of(error) = ALL.include?(error.reason) ? error.reason : nil");
    s.line("def self.of: (::Eventfold::RejectedError) -> reason?");
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");

    for c in &m.commands {
        let mut d = c.doc.clone().unwrap_or_default();
        let mut rs: Vec<String> = Vec::new();
        for r in c.rejections.iter().filter_map(|r| r.reason.as_deref()) {
            let x = format!("{rejection}::{}", screaming(r));
            if !rs.contains(&x) {
                rs.push(x);
            }
        }
        if !rs.is_empty() {
            if !d.is_empty() {
                d.push('\n');
            }
            d.push_str(&format!("May reject with {}.", rs.join(", ")));
        }
        let consts = vec![("TYPE".to_string(), rstr(&c.name), "String".to_string())];
        value_class(
            &mut o,
            &mut s,
            n,
            &pascal(&c.name),
            Some(&d).filter(|d| !d.is_empty()).map(|d| d.as_str()),
            &c.params,
            true,
            &consts,
        );
    }
    for e in &m.events {
        let consts = vec![
            ("TYPE".to_string(), rstr(&e.name), "String".to_string()),
            (
                "VERSION".to_string(),
                e.version.to_string(),
                "Integer".to_string(),
            ),
        ];
        value_class(
            &mut o,
            &mut s,
            n,
            &event_class(m, &e.name),
            e.doc.as_deref(),
            &e.fields,
            false,
            &consts,
        );
    }
    let union: Vec<String> = m.events.iter().map(|e| event_class(m, &e.name)).collect();
    let events = format!("{mname}Events");
    o.blank();
    o.line(format!(
        "# Reads {} events from what the engine returns.",
        m.name
    ));
    o.line(format!("module {events}"));
    o.indent();
    o.line("def self.from_h(event)");
    o.indent();
    o.line("data = event.fetch(\"data\", {})");
    o.line("case event[\"type\"]");
    for e in &m.events {
        o.line(format!(
            "when {} then {}.from_h(data)",
            rstr(&e.name),
            event_class(m, &e.name)
        ));
    }
    o.line(format!(
        "else raise ArgumentError, \"not a {} event: #{{event['type'].inspect}}\"",
        m.name
    ));
    o.line("end");
    o.dedent();
    o.line("end");
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!(
        "type event = {}",
        if union.is_empty() {
            "bot".to_string()
        } else {
            union.join(" | ")
        }
    ));
    s.line(format!("module {events}"));
    s.indent()
        .line("def self.from_h: (Hash[String, untyped]) -> event")
        .dedent();
    s.line("end");

    let executed = format!("{mname}Executed");
    o.blank();
    o.line(format!(
        "# What a {} command did: the stream, its new version, the global position of its",
        m.name
    ));
    o.line(
        "# last event (0: none; for Engine#wait_for), its typed events, and the events as stored.",
    );
    o.line(format!("class {executed}"));
    o.indent();
    o.line("attr_reader :stream, :version, :position, :events, :stored");
    o.blank();
    o.line("def initialize(stream:, version:, position:, events:, stored:)");
    o.indent();
    o.line("@stream = stream");
    o.line("@version = version");
    o.line("@position = position");
    o.line("@events = events.freeze");
    o.line("@stored = stored.freeze");
    o.line("freeze");
    o.dedent();
    o.line("end");
    o.blank();
    o.line("def self.from_h(hash)");
    o.indent();
    o.line(format!(
        "new(stream: hash[\"stream\"], version: hash[\"version\"], position: hash[\"position\"], events: hash[\"events\"].map {{ |e| {events}.from_h(e) }}, stored: hash[\"events\"])"
    ));
    o.dedent();
    o.line("end");
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!("class {executed}"));
    s.indent();
    s.line("attr_reader stream: String");
    s.line("attr_reader version: Integer");
    s.line("attr_reader position: Integer");
    s.line("attr_reader events: Array[event]");
    s.line("attr_reader stored: Array[Hash[String, untyped]]");
    s.line("def initialize: (stream: String, version: Integer, position: Integer, events: Array[event], stored: Array[Hash[String, untyped]]) -> void");
    s.line("def self.from_h: (Hash[String, untyped]) -> instance");
    s.dedent();
    s.line("end");

    // Facade.
    let model_class = format!("{mname}Model");
    let stream_class = format!("{mname}Stream");
    o.blank();
    o.line(format!(
        "# The {} model on an engine: `{model_class}.new(engine).stream(\"kitchen\")`.",
        m.name
    ));
    o.line(format!("class {model_class}"));
    o.indent();
    o.line("attr_reader :engine");
    o.blank();
    o.line("def initialize(engine)");
    o.indent().line("@engine = engine").line("freeze").dedent();
    o.line("end");
    o.blank();
    o.line(format!("# The stream `{}-id`.", m.name));
    o.line(format!("def stream(id) = {stream_class}.new(@engine, id)"));
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!("class {model_class}"));
    s.indent();
    s.line("attr_reader engine: ::Eventfold::Engine");
    s.line("def initialize: (::Eventfold::Engine) -> void");
    s.line(format!("def stream: (String id) -> {stream_class}"));
    s.dedent();
    s.line("end");

    o.blank();
    o.line(format!(
        "# One {} stream: a method per command and query, and its state.",
        m.name
    ));
    o.line(format!("class {stream_class}"));
    o.indent();
    o.line("attr_reader :engine, :id");
    o.blank();
    o.line("def initialize(engine, id)");
    o.indent()
        .line("@engine = engine")
        .line("@id = id")
        .line("freeze")
        .dedent();
    o.line("end");
    o.blank();
    o.line("# The current state (the initial one for a new stream).");
    o.line(format!(
        "def state = {state}.from_h(@engine.load(NAME, @id)[\"state\"])"
    ));
    o.blank();
    o.line("# The stream's version: how many events it holds (0: none yet).");
    o.line("def version = @engine.load(NAME, @id)[\"version\"]");
    s.blank();
    s.line(format!("class {stream_class}"));
    s.indent();
    s.line("attr_reader engine: ::Eventfold::Engine");
    s.line("attr_reader id: String");
    s.line("def initialize: (::Eventfold::Engine, String) -> void");
    s.line(format!("def state: () -> {state}"));
    s.line("def version: () -> Integer");
    let taken = ["state", "version", "id", "engine", "initialize"];
    let mut methods: Vec<String> = Vec::new();
    for c in &m.commands {
        let cls = pascal(&c.name);
        let mut meth = snake(&c.name);
        if taken.contains(&meth.as_str()) || KEYWORDS.contains(&meth.as_str()) {
            meth.push_str("_command");
        }
        methods.push(meth.clone());
        o.blank();
        comment(&mut o, c.doc.as_deref());
        o.line(
            "# Options as Engine#execute; raises Eventfold::RejectedError (see #{rejection}.of)."
                .replace("#{rejection}", &rejection),
        );
        let arg = if c.data_optional() {
            format!("command = {cls}.new")
        } else {
            "command".to_string()
        };
        o.line(format!("def {meth}({arg}, **options)"));
        o.indent();
        o.line(format!(
            "raise TypeError, \"{meth} takes a {cls}, not #{{command.class}}\" unless command.is_a?({cls})"
        ));
        o.blank();
        o.line(format!(
            "{executed}.from_h(@engine.execute(NAME, @id, {{ \"type\" => {cls}::TYPE, \"data\" => command.to_h }}, **options))"
        ));
        o.dedent();
        o.line("end");
        let q = if c.data_optional() { "?" } else { "" };
        s.line(format!(
            "def {meth}: ({q}{cls} command, **untyped options) -> {executed}"
        ));
    }
    for q in &m.queries {
        let mut meth = snake(&q.name);
        if taken.contains(&meth.as_str())
            || methods.contains(&meth)
            || KEYWORDS.contains(&meth.as_str())
        {
            meth.push_str("_query");
        }
        o.blank();
        comment(&mut o, q.doc.as_deref());
        let params: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                if f.required {
                    format!("{}:", f.name)
                } else {
                    format!("{}: nil", f.name)
                }
            })
            .collect();
        if params.is_empty() {
            o.line(format!("def {meth}"));
        } else {
            o.line(format!("def {meth}({})", params.join(", ")));
        }
        o.indent();
        o.line("args = {}");
        for f in &q.params {
            let v = local(&f.name);
            if f.required {
                o.line(format!(
                    "args[{}] = {}",
                    rstr(&f.name),
                    to_json(&f.ty, &v, 0)
                ));
            } else {
                let t = Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                };
                o.line(format!(
                    "args[{}] = {} unless {v}.nil?",
                    rstr(&f.name),
                    to_json(&t, &v, 0)
                ));
            }
        }
        o.line(format!(
            "result = @engine.query(NAME, @id, {}, args)",
            rstr(&q.name)
        ));
        o.line(from_json(n, &q.returns, "result", 0));
        o.dedent();
        o.line("end");
        let sp: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                if f.required {
                    format!("{}: {}", f.name, rbs(n, &f.ty))
                } else {
                    format!(
                        "?{}: {}",
                        f.name,
                        rbs(
                            n,
                            &Ty::Optional {
                                inner: Box::new(f.ty.clone())
                            }
                        )
                    )
                }
            })
            .collect();
        s.line(format!(
            "def {meth}: ({}) -> {}",
            sp.join(", "),
            rbs(n, &q.returns)
        ));
    }
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");
    close_modules(&mut o, depth);
    close_modules(&mut s, sdepth);
    let stem = snake(&m.name);
    vec![
        File {
            path: format!("{stem}.rb"),
            contents: o.finish(),
        },
        File {
            path: format!("{stem}.rbs"),
            contents: s.finish(),
        },
    ]
}

fn read_side_files(n: &Names, schema: &Schema) -> Vec<File> {
    let mut o = Out::new("  ");
    let mut s = Out::new("  ");
    header(&mut o);
    s.line(format!("# {}", banner()));
    o.blank();
    o.line("require \"eventfold\"");
    for m in &schema.models {
        o.line(format!("require_relative \"{}\"", snake(&m.name)));
    }
    o.blank();
    let depth = open_modules(&mut o, &n.root);
    let sdepth = open_modules(&mut s, &n.root);
    o.line("# The names of the domain's projections.");
    o.line("module Projections");
    o.indent();
    s.line("module Projections");
    s.indent();
    for p in &schema.projections {
        let mut d = p.doc.clone().unwrap_or_default();
        if !d.is_empty() {
            d.push('\n');
        }
        d.push_str(&format!("{}; writes {}.", p.mode, p.writes.join(", ")));
        comment(&mut o, Some(&d));
        o.line(format!("{} = {}", screaming(&p.name), rstr(&p.name)));
        s.line(format!("{}: String", screaming(&p.name)));
    }
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");
    for t in &schema.tables {
        let fields: Vec<Field> = t
            .columns
            .iter()
            .map(|c| Field {
                name: c.name.clone(),
                ty: c.ty.clone(),
                required: true,
                default: None,
                doc: c.doc.clone(),
            })
            .collect();
        let row = format!("{}Row", pascal(&t.name));
        let mut d = format!("A row of `{}`", t.name);
        if let Some(p) = &t.projection {
            d.push_str(&format!(" (written by the projection `{p}`)"));
        }
        d.push('.');
        if let Some(td) = &t.doc {
            d.push('\n');
            d.push_str(td);
        }
        value_class(&mut o, &mut s, n, &row, Some(&d), &fields, false, &[]);
        let table = format!("{}Table", pascal(&t.name));
        o.blank();
        o.line(format!(
            "# The table `{}`, read through the engine (key: {}).",
            t.name,
            t.key.join(", ")
        ));
        o.line(format!("class {table}"));
        o.indent();
        o.line(format!("NAME = {}", rstr(&t.name)));
        o.blank();
        o.line("attr_reader :engine");
        o.blank();
        o.line("def initialize(engine)");
        o.indent().line("@engine = engine").line("freeze").dedent();
        o.line("end");
        o.blank();
        o.line("# The rows in key order; `key:` a prefix of the key values, `after:` a whole key.");
        o.line("def rows(key: nil, after: nil, limit: nil)");
        o.indent();
        o.line(format!(
            "@engine.rows(NAME, key: key, after: after, limit: limit).map {{ |r| {row}.from_h(r) }}"
        ));
        o.dedent();
        o.line("end");
        o.dedent();
        o.line("end");
        s.blank();
        s.line(format!("class {table}"));
        s.indent();
        s.line("NAME: String");
        s.line("attr_reader engine: ::Eventfold::Engine");
        s.line("def initialize: (::Eventfold::Engine) -> void");
        s.line(format!(
            "def rows: (?key: untyped, ?after: Array[untyped]?, ?limit: Integer?) -> Array[{row}]"
        ));
        s.dedent();
        s.line("end");
    }
    close_modules(&mut o, depth);
    close_modules(&mut s, sdepth);
    vec![
        File {
            path: "read_side.rb".into(),
            contents: o.finish(),
        },
        File {
            path: "read_side.rbs".into(),
            contents: s.finish(),
        },
    ]
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
        files.extend(model_files(&n, m));
    }
    files.extend(read_side_files(&n, schema));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, Source};

    fn gen(text: &str, package: Option<&str>) -> Vec<File> {
        let d = Domain::compile(&[Source::new("m.model", text)]).expect("compiles");
        super::super::generate(
            &d,
            super::super::Lang::Ruby,
            &Options {
                package: package.map(str::to_string),
            },
        )
    }

    #[test]
    fn todos_classes_signatures_and_facade() {
        let files = gen(
            include_str!("../../../examples/todos/todos.model"),
            Some("App"),
        );
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "todos.rb",
                "todos.rbs",
                "read_side.rb",
                "read_side.rbs",
                "eventfold_generated.rb"
            ]
        );
        let rb = &files[0].contents;
        assert!(rb.starts_with("# Generated by eventfold"));
        for want in [
            "module App\n  module Todos\n",
            "    class CreateNew\n",
            "      TYPE = \"create-new\"",
            "      def initialize(id:, text:)",
            "raise TypeError, \"CreateNew#id: expected String, got #{id.inspect}\" unless id.is_a?(String)",
            "      def create_new(command, **options)",
            "      def clear_done(command = ClearDone.new, **options)",
            "      DUPLICATE = \"duplicate\"",
            "      def get_todo(id:)",
            "        (result.nil? ? nil : ::App::Todos::Todo.from_h(result))",
        ] {
            assert!(rb.contains(want), "missing {want:?} in\n{rb}");
        }
        let sig = &files[1].contents;
        for want in [
            "def initialize: (id: String, text: String) -> void",
            "attr_reader todos: Hash[String, ::App::Todos::Todo]",
            "type event = Created | TextChanged | CompletedChanged | Deleted | DoneCleared",
            "type reason = \"duplicate\" | \"blank\" | \"missing\"",
            "def get_todo: (id: String) -> ::App::Todos::Todo?",
        ] {
            assert!(sig.contains(want), "missing {want:?} in\n{sig}");
        }
        assert!(files[2].contents.contains("class TodoRowsRow"));
        assert!(files[2].contents.contains("TODO_BOARD = \"todo-board\""));
        assert_eq!(
            files,
            gen(
                include_str!("../../../examples/todos/todos.model"),
                Some("App")
            )
        );
    }

    #[test]
    fn enums_defaults_and_package() {
        let files = gen(
            "model M { state { n: int }\n enum P { low, high }\n command c(by: int = 1, p: P = P.low) { emit e(by) }\n event e(by: int) { set n = n + by } }",
            None,
        );
        let rb = &files[0].contents;
        assert!(
            rb.contains("module Eventfold\n  module Generated\n    module M\n"),
            "{rb}"
        );
        assert!(rb.contains("def initialize(by: nil, p: nil)"), "{rb}");
        assert!(rb.contains("h[\"by\"] = @by unless @by.nil?"), "{rb}");
        assert!(rb.contains("VALUES = [LOW, HIGH].freeze"), "{rb}");
        assert!(
            files[1].contents.contains("type p_t = \"low\" | \"high\""),
            "{}",
            files[1].contents
        );
    }

    /// A model change (a command added) only adds lines: every line of the
    /// old output is still there, in order.
    #[test]
    fn a_model_change_touches_only_what_changed() {
        let old_text = include_str!("../../../examples/todos/todos.model");
        let new_text = old_text.replacen(
            "  /// Take every done todo off the list at once.",
            "  /// Put a todo back on top.\n  command bump(id: string) {\n    reject missing \"no todo ${id}\" unless id in todos\n    emit deleted(id)\n  }\n\n  /// Take every done todo off the list at once.",
            1,
        );
        assert_ne!(old_text, new_text);
        let gen = |t: &str| {
            let d =
                crate::Domain::compile(&[crate::Source::new("todos.model", t)]).expect("compiles");
            super::super::generate(&d, super::super::Lang::Ruby, &Options::default())
        };
        let (old, new) = (gen(old_text), gen(&new_text));
        assert_eq!(old.len(), new.len());
        for (o, n) in old.iter().zip(&new) {
            let mut rest = n.contents.lines();
            for line in o.contents.lines() {
                assert!(
                    rest.any(|l| l == line),
                    "{}: the line {line:?} changed or moved",
                    o.path
                );
            }
        }
        assert!(new.iter().any(|f| f.contents.contains("bump")));
    }
}
