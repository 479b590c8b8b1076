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

fn model_file(n: &Names, m: &ModelSchema) -> File {
    let mname = pascal(&m.name);
    let mut o = Out::new("    ");
    o.line("<?php");
    o.blank();
    o.line(format!("// {}", banner()));
    o.blank();
    o.line("declare(strict_types=1);");
    o.blank();
    o.line(format!("namespace {};", n.model_ns(&m.name)));
    o.blank();
    o.line("use Eventfold\\Engine;");
    o.line("use Eventfold\\Exception\\RejectedException;");

    for e in &m.enums {
        o.blank();
        docblock(&mut o, e.doc.as_deref());
        o.line(format!("enum {}: string", class_name(&e.name)));
        o.line("{");
        o.indent();
        for mem in &e.members {
            docblock(&mut o, mem.doc.as_deref());
            o.line(format!(
                "case {} = {};",
                class_name(&mem.name),
                php_string(&mem.name)
            ));
        }
        o.dedent();
        o.line("}");
    }
    for r in &m.records {
        o.blank();
        value_class(
            &mut o,
            n,
            &class_name(&r.name),
            r.doc.as_deref(),
            &r.fields,
            false,
            &[],
        );
    }
    o.blank();
    let state = format!("{mname}State");
    let state_doc = format!(
        "The state of a {} stream.{}",
        m.name,
        m.doc
            .as_deref()
            .map(|d| format!("\n\n{d}"))
            .unwrap_or_default()
    );
    value_class(&mut o, n, &state, Some(&state_doc), &m.state, false, &[]);

    // Reasons.
    let reasons = m.reasons();
    let rejection = format!("{mname}Rejection");
    o.blank();
    o.line(format!(
        "/** The reasons a {} command may reject with (`RejectedException::$reason`). */",
        m.name
    ));
    o.line(format!("enum {rejection}: string"));
    o.line("{");
    o.indent();
    for r in &reasons {
        o.line(format!("case {} = {};", class_name(r), php_string(r)));
    }
    if !reasons.is_empty() {
        o.blank();
    }
    o.line("/** The reason of a rejection of this model, or null (a `reject` without one). */");
    o.line("public static function of(RejectedException $e): ?self");
    o.line("{");
    o.indent()
        .line("return $e->reason === null ? null : self::tryFrom($e->reason);")
        .dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Commands.
    for c in &m.commands {
        o.blank();
        let mut d = c.doc.clone().unwrap_or_default();
        let rs: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for r in c.rejections.iter().filter_map(|r| r.reason.as_deref()) {
                let s = format!("{rejection}::{}", class_name(r));
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            v
        };
        if !rs.is_empty() {
            if !d.is_empty() {
                d.push_str("\n\n");
            }
            d.push_str(&format!("May reject with {}.", rs.join(", ")));
        }
        let consts = vec![format!("public const TYPE = {};", php_string(&c.name))];
        value_class(
            &mut o,
            n,
            &class_name(&c.name),
            Some(&d).filter(|d| !d.is_empty()).map(|s| s.as_str()),
            &c.params,
            true,
            &consts,
        );
    }
    // Events.
    for e in &m.events {
        o.blank();
        let consts = vec![
            format!("public const TYPE = {};", php_string(&e.name)),
            format!("public const VERSION = {};", e.version),
        ];
        value_class(
            &mut o,
            n,
            &event_class(m, &e.name),
            e.doc.as_deref(),
            &e.fields,
            false,
            &consts,
        );
    }
    let union: Vec<String> = m.events.iter().map(|e| event_class(m, &e.name)).collect();
    let union_ty = if union.is_empty() {
        "never".to_string()
    } else {
        union.join("|")
    };
    let events = format!("{mname}Events");
    o.blank();
    o.line(format!(
        "/** Reads {} events from what the engine returns. */",
        m.name
    ));
    o.line(format!("final class {events}"));
    o.line("{");
    o.indent();
    o.line("/** @param array<string, mixed> $event `{type, data, ...}`, a stored event or a proposed one */");
    o.line(format!(
        "public static function fromArray(array $event): {}",
        if union.is_empty() { "never" } else { &union_ty }
    ));
    o.line("{");
    o.indent();
    o.line("$data = $event['data'] ?? [];");
    o.line("return match ($event['type'] ?? null) {");
    o.indent();
    for e in &m.events {
        o.line(format!(
            "{} => {}::fromArray($data),",
            php_string(&e.name),
            event_class(m, &e.name)
        ));
    }
    o.line(format!(
        "default => throw new \\UnexpectedValueException('not a {} event: ' . json_encode($event['type'] ?? null)),",
        m.name
    ));
    o.dedent();
    o.line("};");
    o.dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Executed.
    let executed = format!("{mname}Executed");
    o.blank();
    o.line(format!(
        "/** What a {} command did: the stream, its new version, and the events. */",
        m.name
    ));
    o.line(format!("final readonly class {executed}"));
    o.line("{");
    o.indent();
    o.line("/**");
    o.line(" * @param string $stream `Model-id`");
    o.line(
        " * @param int $position the global position of the last event (0: none), for `waitFor`",
    );
    o.line(format!(" * @param list<{union_ty}> $events"));
    o.line(" * @param list<array<string, mixed>> $stored the events as stored: id, version, position, metadata ...");
    o.line(" */");
    o.line("public function __construct(");
    o.indent();
    o.line("public string $stream,");
    o.line("public int $version,");
    o.line("public int $position,");
    o.line("public array $events,");
    o.line("public array $stored,");
    o.dedent();
    o.line(") {");
    o.line("}");
    o.blank();
    o.line("/** @param array{stream: string, version: int, position: int, events: list<array<string, mixed>>} $a */");
    o.line("public static function fromArray(array $a): self");
    o.line("{");
    o.indent();
    o.line(format!(
        "return new self($a['stream'], $a['version'], $a['position'], array_map({events}::fromArray(...), $a['events']), $a['events']);"
    ));
    o.dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Facade.
    let model_class = format!("{mname}Model");
    let stream_class = format!("{mname}Stream");
    o.blank();
    o.line("/**");
    o.line(format!(
        " * The {} model on an engine: `(new {model_class}($engine))->stream('kitchen')`.",
        m.name
    ));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("final readonly class {model_class}"));
    o.line("{");
    o.indent();
    o.line(format!("public const NAME = {};", php_string(&m.name)));
    o.blank();
    o.line("public function __construct(public Engine $engine)");
    o.line("{");
    o.line("}");
    o.blank();
    o.line(format!("/** The stream `{}-$id`. */", m.name));
    o.line(format!(
        "public function stream(string $id): {stream_class}"
    ));
    o.line("{");
    o.indent()
        .line(format!("return new {stream_class}($this->engine, $id);"))
        .dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    o.blank();
    o.line(format!(
        "/** One {} stream: a method per command and query, and its state. */",
        m.name
    ));
    o.line(format!("final readonly class {stream_class}"));
    o.line("{");
    o.indent();
    o.line("public function __construct(public Engine $engine, public string $id)");
    o.line("{");
    o.line("}");
    o.blank();
    o.line("/** The current state (the initial one for a new stream). */");
    o.line(format!("public function state(): {state}"));
    o.line("{");
    o.indent()
        .line(format!(
            "return {state}::fromArray($this->engine->load({model_class}::NAME, $this->id)['state']);"
        ))
        .dedent();
    o.line("}");
    o.blank();
    o.line("/** The stream's version: how many events it holds (0: none yet). */");
    o.line("public function version(): int");
    o.line("{");
    o.indent()
        .line(format!(
            "return $this->engine->load({model_class}::NAME, $this->id)['version'];"
        ))
        .dedent();
    o.line("}");
    let reserved_methods = ["state", "version", "__construct"];
    for c in &m.commands {
        o.blank();
        let cls = class_name(&c.name);
        let mut meth = camel(&c.name);
        if reserved_methods.contains(&meth.as_str()) || RESERVED.contains(&meth.as_str()) {
            meth.push_str("Command");
        }
        o.line("/**");
        if let Some(d) = &c.doc {
            for l in d.lines() {
                o.line(format!(" * {l}").trim_end());
            }
            o.line(" *");
        }
        o.line(" * @param array<string, mixed> $options `expected_version`, `command_id`, `metadata`, ... (Engine::execute)");
        o.line(
            " * @throws RejectedException when the model refuses: {@see ".to_string()
                + &rejection
                + "::of()}",
        );
        o.line(" */");
        let arg = if c.data_optional() {
            format!("{cls} $command = new {cls}()")
        } else {
            format!("{cls} $command")
        };
        o.line(format!(
            "public function {meth}({arg}, array $options = []): {executed}"
        ));
        o.line("{");
        o.indent();
        o.line(format!(
            "return {executed}::fromArray($this->engine->execute({model_class}::NAME, $this->id, ['type' => {cls}::TYPE, 'data' => $command->toArray()], $options));"
        ));
        o.dedent();
        o.line("}");
    }
    for q in &m.queries {
        o.blank();
        let mut meth = camel(&q.name);
        if reserved_methods.contains(&meth.as_str())
            || m.commands.iter().any(|c| camel(&c.name) == meth)
            || RESERVED.contains(&meth.as_str())
        {
            meth.push_str("Query");
        }
        let mut params: Vec<&Field> = q.params.iter().filter(|f| f.required).collect();
        params.extend(q.params.iter().filter(|f| !f.required));
        o.line("/**");
        if let Some(d) = &q.doc {
            for l in d.lines() {
                o.line(format!(" * {l}").trim_end());
            }
            o.line(" *");
        }
        for f in &params {
            let mut t = doc(n, &f.ty);
            if !f.required && !t.ends_with("|null") && t != "mixed" {
                t.push_str("|null");
            }
            o.line(format!(" * @param {t} ${}", prop(&f.name)));
        }
        o.line(format!(" * @return {}", doc(n, &q.returns)));
        o.line(" */");
        let sig: Vec<String> = params
            .iter()
            .map(|f| {
                let mut t = native(n, &f.ty);
                if !f.required && !t.starts_with('?') && t != "mixed" {
                    t = format!("?{t}");
                }
                let d = if f.required { "" } else { " = null" };
                format!("{t} ${}{d}", prop(&f.name))
            })
            .collect();
        o.line(format!(
            "public function {meth}({}): {}",
            sig.join(", "),
            native(n, &q.returns)
        ));
        o.line("{");
        o.indent();
        o.line("$args = [];");
        for f in &q.params {
            let v = format!("${}", prop(&f.name));
            if f.required {
                o.line(format!("$args['{}'] = {};", f.name, to_json(&f.ty, &v, 0)));
            } else {
                let t = Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                };
                o.line(format!("if ({v} !== null) {{"));
                o.indent()
                    .line(format!("$args['{}'] = {};", f.name, to_json(&t, &v, 0)))
                    .dedent();
                o.line("}");
            }
        }
        o.line(format!(
            "$r = $this->engine->query({model_class}::NAME, $this->id, {}, $args);",
            php_string(&q.name)
        ));
        o.line(format!("return {};", from_json(n, &q.returns, "$r", 0)));
        o.dedent();
        o.line("}");
    }
    o.dedent();
    o.line("}");
    File {
        path: format!("{mname}.php"),
        contents: o.finish(),
    }
}

fn table_row_class(t: &TableSchema) -> String {
    format!("{}Row", class_name(&t.name))
}

fn read_side_file(n: &Names, schema: &Schema) -> File {
    let mut o = Out::new("    ");
    o.line("<?php");
    o.blank();
    o.line(format!("// {}", banner()));
    o.blank();
    o.line("declare(strict_types=1);");
    o.blank();
    o.line(format!("namespace {};", n.ns));
    o.blank();
    o.line("use Eventfold\\Engine;");
    for t in &schema.tables {
        o.blank();
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
        let row = table_row_class(t);
        let doc_text = format!(
            "A row of `{}`{}.{}",
            t.name,
            t.projection
                .as_deref()
                .map(|p| format!(" (written by the projection `{p}`)"))
                .unwrap_or_default(),
            t.doc
                .as_deref()
                .map(|d| format!("\n\n{d}"))
                .unwrap_or_default()
        );
        value_class(&mut o, n, &row, Some(&doc_text), &fields, false, &[]);
        o.blank();
        let table = format!("{}Table", class_name(&t.name));
        let key_doc: Vec<String> = t
            .key
            .iter()
            .filter_map(|k| t.columns.iter().find(|c| &c.name == k))
            .map(|c| format!("{} {}", doc(n, &c.ty), c.name))
            .collect();
        o.line(format!(
            "/** The table `{}`, read through the engine. */",
            t.name
        ));
        o.line(format!("final readonly class {table}"));
        o.line("{");
        o.indent();
        o.line(format!("public const NAME = {};", php_string(&t.name)));
        o.blank();
        o.line("public function __construct(public Engine $engine)");
        o.line("{");
        o.line("}");
        o.blank();
        o.line("/**");
        o.line(format!(
            " * The rows in key order ({}).",
            key_doc.join(", ")
        ));
        o.line(" *");
        o.line(" * @param mixed $key a prefix of the key values, in key order (a lone value: the first)");
        o.line(" * @param list<mixed>|null $after a whole key: the rows after it");
        o.line(format!(" * @return list<{row}>"));
        o.line(" */");
        o.line("public function rows(mixed $key = null, ?array $after = null, ?int $limit = null): array");
        o.line("{");
        o.indent();
        o.line(format!(
            "return array_map({row}::fromArray(...), $this->engine->rows(self::NAME, key: $key, after: $after, limit: $limit));"
        ));
        o.dedent();
        o.line("}");
        o.dedent();
        o.line("}");
    }
    o.blank();
    o.line("/** The names of the domain's projections. */");
    o.line("final class Projections");
    o.line("{");
    o.indent();
    for p in &schema.projections {
        let mut d = p.doc.clone().unwrap_or_default();
        if !d.is_empty() {
            d.push_str("\n\n");
        }
        d.push_str(&format!("{}; writes {}.", p.mode, p.writes.join(", ")));
        docblock(&mut o, Some(&d));
        o.line(format!(
            "public const {} = {};",
            screaming(&p.name),
            php_string(&p.name)
        ));
    }
    o.dedent();
    o.line("}");
    File {
        path: "ReadSide.php".into(),
        contents: o.finish(),
    }
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
    let mut files: Vec<File> = schema.models.iter().map(|m| model_file(&n, m)).collect();
    files.push(read_side_file(&n, schema));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, Source};

    fn gen(text: &str, package: Option<&str>) -> Vec<File> {
        let d = Domain::compile(&[Source::new("m.model", text)]).expect("compiles");
        super::super::generate(
            &d,
            super::super::Lang::Php,
            &Options {
                package: package.map(str::to_string),
            },
        )
    }

    #[test]
    fn todos_classes_and_facade() {
        let files = gen(
            include_str!("../../../examples/todos/todos.model"),
            Some("App"),
        );
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["Todos.php", "ReadSide.php", "autoload.php"]);
        let t = &files[0].contents;
        assert!(t.starts_with("<?php\n\n// Generated by eventfold"));
        for want in [
            "namespace App\\Todos;",
            "final readonly class CreateNew",
            "public const TYPE = 'create-new';",
            "public string $id,",
            "final readonly class Todo\n",
            "@param array<string, \\App\\Todos\\Todo> $todos Every todo on the list, by id.",
            "todos: array_map(static fn ($v0) => \\App\\Todos\\Todo::fromArray($v0), ($a['todos'])),",
            "enum TodosRejection: string",
            "case Duplicate = 'duplicate';",
            "public function createNew(CreateNew $command, array $options = []): TodosExecuted",
            "public function clearDone(ClearDone $command = new ClearDone(), array $options = []): TodosExecuted",
            "@param list<Created|TextChanged|CompletedChanged|Deleted|DoneCleared> $events",
            "public function getTodo(string $id): ?\\App\\Todos\\Todo",
            "@return list<\\App\\Todos\\Todo>",
            "'created' => Created::fromArray($data),",
        ] {
            assert!(t.contains(want), "missing {want:?} in\n{t}");
        }
        let r = &files[1].contents;
        assert!(r.contains("final readonly class TodoRowsRow"), "{r}");
        assert!(r.contains("public ?string $done_at,"), "{r}");
        assert!(r.contains("public const TODO_BOARD = 'todo-board';"), "{r}");
        assert_eq!(
            files,
            gen(
                include_str!("../../../examples/todos/todos.model"),
                Some("App")
            )
        );
    }

    #[test]
    fn defaults_are_nullable_and_left_out() {
        let files = gen(
            "model M { state { n: int }\n enum P { low, high }\n command c(by: int = 1, p: P = P.low) { emit e(by) }\n event e(by: int) { set n = n + by } }",
            None,
        );
        let t = &files[0].contents;
        assert!(t.contains("namespace Eventfold\\Generated\\M;"), "{t}");
        assert!(t.contains("public ?int $by = null,"), "{t}");
        assert!(
            t.contains("public ?\\Eventfold\\Generated\\M\\P $p = null,"),
            "{t}"
        );
        assert!(
            t.contains("$a['p'] = ($this->p === null ? null : $this->p->value);"),
            "{t}"
        );
        assert!(t.contains("case Low = 'low';"), "{t}");
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
            super::super::generate(&d, super::super::Lang::Php, &Options::default())
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
