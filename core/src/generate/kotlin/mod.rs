//! Kotlin (`--lang kotlin`): data classes for commands, events, state,
//! records and table rows; sealed interfaces for the command and event
//! unions; enum classes for the model's enums and for the reasons a
//! command may reject with; KDoc from the model's `///` docs; and a typed
//! facade over the JVM skin (`dev.eventfold.Engine`), blocking and
//! `suspend`.
//!
//! Layout: each model in its own package, `<package>.<model lowercased>`
//! (`eventfold.generated.todos`), in one file `<Model>.kt`; the read side
//! (tables, projections) in `<package>` itself, `ReadSide.kt`. Every value
//! is converted to and from the skin's `Map`/`List` values by generated
//! code (`toMap`/`fromMap`), with no reflection.

use super::names::{camel, pascal, screaming};
use super::schema::{CommandSchema, EventSchema, Field, ModelSchema, QuerySchema, TableSchema, Ty};
use super::{banner, File, Options, Out, Schema};

mod model;
mod read_side;
#[cfg(test)]
mod tests;

use model::*;
use read_side::*;

pub(super) const DEFAULT_PACKAGE: &str = "eventfold.generated";

const KEYWORDS: &[&str] = &[
    "as",
    "break",
    "class",
    "continue",
    "do",
    "else",
    "false",
    "for",
    "fun",
    "if",
    "in",
    "interface",
    "is",
    "null",
    "object",
    "package",
    "return",
    "super",
    "this",
    "throw",
    "true",
    "try",
    "typealias",
    "typeof",
    "val",
    "var",
    "when",
    "while",
];

/// The type names of one model, kept apart from each other and from the
/// names the generator itself adds (`TodosCommand`, `TodosModel`, ...).
pub(super) struct TypeNames {
    pub records: Vec<(String, String)>,
    pub enums: Vec<(String, String)>,
    pub commands: Vec<(String, String)>,
    pub events: Vec<(String, String)>,
}

impl TypeNames {
    /// `reserved`: names the generator uses in the same scope.
    pub(super) fn of(m: &ModelSchema, reserved: &[String]) -> TypeNames {
        let mut taken: Vec<String> = reserved.to_vec();
        let mut pick = |name: &str, suffix: &str| {
            let mut n = pascal(name);
            if taken.contains(&n) {
                n.push_str(suffix);
            }
            while taken.contains(&n) {
                n.push('_');
            }
            taken.push(n.clone());
            (name.to_string(), n)
        };
        let records = m.records.iter().map(|r| pick(&r.name, "Record")).collect();
        let enums = m.enums.iter().map(|e| pick(&e.name, "Enum")).collect();
        let commands = m
            .commands
            .iter()
            .map(|c| pick(&c.name, "Command"))
            .collect();
        let events = m.events.iter().map(|e| pick(&e.name, "Event")).collect();
        TypeNames {
            records,
            enums,
            commands,
            events,
        }
    }

    fn find<'a>(list: &'a [(String, String)], name: &str) -> &'a str {
        list.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("Any")
    }

    pub(super) fn record(&self, name: &str) -> &str {
        Self::find(&self.records, name)
    }
    pub(super) fn enumeration(&self, name: &str) -> &str {
        Self::find(&self.enums, name)
    }
    pub(super) fn command(&self, name: &str) -> &str {
        Self::find(&self.commands, name)
    }
    pub(super) fn event(&self, name: &str) -> &str {
        Self::find(&self.events, name)
    }
}

/// The base package, checked to be dotted identifiers (else the default).
pub(super) fn base_package(options: &Options) -> String {
    match &options.package {
        Some(p)
            if !p.is_empty()
                && p.split('.').all(|s| {
                    !s.is_empty()
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !s.starts_with(|c: char| c.is_ascii_digit())
                }) =>
        {
            p.clone()
        }
        _ => DEFAULT_PACKAGE.to_string(),
    }
}

/// A model's package segment: its name lowercased, out of the keywords.
pub(super) fn model_segment(model: &str) -> String {
    let s: String = model
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase();
    if KEYWORDS.contains(&s.as_str()) || super::java::KEYWORDS.contains(&s.as_str()) {
        s + "_"
    } else {
        s
    }
}

/// A field's property name: camel case, backticked when a keyword.
fn prop(name: &str) -> String {
    let c = camel(name);
    if KEYWORDS.contains(&c.as_str()) {
        format!("`{c}`")
    } else {
        c
    }
}

/// A Kotlin string literal.
pub(super) fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Gen<'a> {
    schema: &'a Schema,
    base: String,
    /// The model whose file is being written (`None`: the read side).
    current: Option<&'a str>,
    names: Vec<(String, TypeNames)>,
}

impl<'a> Gen<'a> {
    fn names_of(&self, model: &str) -> Option<&TypeNames> {
        self.names.iter().find(|(m, _)| m == model).map(|(_, n)| n)
    }

    /// A record or enum name as written from the current file.
    fn qualified(&self, model: &str, short: &str) -> String {
        if self.current == Some(model) {
            short.to_string()
        } else {
            format!("{}.{}.{short}", self.base, model_segment(model))
        }
    }

    fn ty(&self, ty: &Ty) -> String {
        match ty {
            Ty::String => "String".into(),
            Ty::Duration => "java.time.Duration".into(),
            Ty::Int => "Long".into(),
            Ty::Float => "Double".into(),
            Ty::Bool => "Boolean".into(),
            Ty::Timestamp => "java.time.Instant".into(),
            Ty::List { item } => format!("List<{}>", self.ty(item)),
            Ty::Map { value } => format!("Map<String, {}>", self.ty(value)),
            Ty::Record { model, name } => match self.names_of(model) {
                Some(n) => self.qualified(model, n.record(name)),
                None => "Map<String, Any?>".into(),
            },
            Ty::Enum { model, name } => match self.names_of(model) {
                Some(n) => self.qualified(model, n.enumeration(name)),
                None => "String".into(),
            },
            Ty::Optional { inner } => {
                let t = self.ty(inner);
                if t.ends_with('?') {
                    t
                } else {
                    t + "?"
                }
            }
            Ty::Json => "Any?".into(),
        }
    }

    /// The Kotlin value of the skin's value `e` (an `Any?`) of type `ty`.
    fn decode(&self, e: &str, ty: &Ty, depth: usize) -> String {
        let x = format!("x{depth}");
        match ty {
            Ty::String => format!("{e} as String"),
            Ty::Duration => format!("durationOf({e} as String)"),
            Ty::Int => format!("({e} as Number).toLong()"),
            Ty::Float => format!("({e} as Number).toDouble()"),
            Ty::Bool => format!("{e} as Boolean"),
            Ty::Timestamp => format!("java.time.OffsetDateTime.parse({e} as String).toInstant()"),
            Ty::List { item } => format!(
                "({e} as List<*>).map {{ {x} -> {} }}",
                self.decode(&x, item, depth + 1)
            ),
            Ty::Map { value } => format!(
                "({e} as Map<*, *>).entries.associate {{ {x} -> ({x}.key as String) to {} }}",
                self.decode(&format!("{x}.value"), value, depth + 1)
            ),
            Ty::Record { model, .. } => match self.names_of(model) {
                Some(_) => format!("{}.fromMap({e} as Map<*, *>)", self.ty(ty)),
                None => format!("({e} as Map<*, *>).entries.associate {{ {x} -> ({x}.key as String) to {x}.value }}"),
            },
            Ty::Enum { model, .. } => match self.names_of(model) {
                Some(_) => format!("{}.fromWire({e} as String)", self.ty(ty)),
                None => format!("{e} as String"),
            },
            Ty::Optional { inner } => format!(
                "{e}?.let {{ {x} -> {} }}",
                self.decode(&x, inner, depth + 1)
            ),
            Ty::Json => e.to_string(),
        }
    }

    /// The skin's value (for a `Map`/`List`) of the Kotlin value `e`.
    fn encode(&self, e: &str, ty: &Ty, depth: usize) -> String {
        let x = format!("x{depth}");
        match ty {
            Ty::String | Ty::Int | Ty::Float | Ty::Bool | Ty::Json => e.to_string(),
            Ty::Timestamp => format!("{e}.toString()"),
            Ty::Duration => format!("durationText({e})"),
            Ty::List { item } => {
                let inner = self.encode(&x, item, depth + 1);
                if inner == x {
                    e.to_string()
                } else {
                    format!("{e}.map {{ {x} -> {inner} }}")
                }
            }
            Ty::Map { value } => {
                let inner = self.encode(&format!("{x}.value"), value, depth + 1);
                if inner == format!("{x}.value") {
                    e.to_string()
                } else {
                    format!("{e}.mapValues {{ {x} -> {inner} }}")
                }
            }
            Ty::Record { model, .. } => match self.names_of(model) {
                Some(_) => format!("{e}.toMap()"),
                None => e.to_string(),
            },
            Ty::Enum { model, .. } => match self.names_of(model) {
                Some(_) => format!("{e}.wire"),
                None => e.to_string(),
            },
            Ty::Optional { inner } => {
                let conv = self.encode(&x, inner, depth + 1);
                if conv == x {
                    e.to_string()
                } else {
                    format!("{e}?.let {{ {x} -> {conv} }}")
                }
            }
        }
    }

    /// A field as a constructor property; input fields a caller may leave
    /// out are nullable with `null` as default (the core fills the default).
    fn param(&self, f: &Field, input: bool) -> String {
        let t = self.ty(&f.ty);
        if input && !f.required {
            let t = if t.ends_with('?') { t } else { t + "?" };
            format!("val {}: {t} = null", prop(&f.name))
        } else {
            format!("val {}: {t}", prop(&f.name))
        }
    }

    fn field_type(&self, f: &Field, input: bool) -> Ty {
        if input {
            f.input_ty()
        } else {
            f.ty.clone()
        }
    }

    /// `data class Name(fields) : supertypes { body }`, or a `data object`
    /// when there is no field. `body` writes members inside.
    #[allow(clippy::too_many_arguments)]
    fn data_class(
        &self,
        o: &mut Out,
        doc: Option<&str>,
        name: &str,
        fields: &[Field],
        input: bool,
        supers: &str,
        body: &mut dyn FnMut(&mut Out),
    ) {
        o.block_doc(doc, "/**", " * ", " */");
        if fields.is_empty() {
            o.line(format!("data object {name}{supers} {{")).indent();
        } else {
            o.line(format!("data class {name}(")).indent();
            for f in fields {
                o.block_doc(f.doc.as_deref(), "/**", " * ", " */");
                o.line(format!("{},", self.param(f, input)));
            }
            o.dedent().line(format!("){supers} {{")).indent();
        }
        body(o);
        o.dedent().line("}");
    }

    /// `fun toMap()` body lines and `fromMap` for a set of fields.
    fn map_members(
        &self,
        o: &mut Out,
        name: &str,
        fields: &[Field],
        input: bool,
        fun: &str,
        over: &str,
    ) {
        o.line("/** The value as the engine takes it. */");
        if fields.is_empty() {
            o.line(format!("{over}fun {fun}(): Map<String, Any?> = emptyMap()"));
        } else {
            o.line(format!("{over}fun {fun}(): Map<String, Any?> {{"))
                .indent();
            o.line("val m = LinkedHashMap<String, Any?>()");
            for f in fields {
                let ty = if input && !f.required {
                    non_null(&f.ty)
                } else {
                    f.ty.clone()
                };
                let v = self.encode(&prop(&f.name), &ty, 0);
                if input && !f.required {
                    o.line(format!(
                        "if ({} != null) m[{}] = {v}",
                        prop(&f.name),
                        lit(&f.name)
                    ));
                } else {
                    o.line(format!("m[{}] = {v}", lit(&f.name)));
                }
            }
            o.line("return m");
            o.dedent().line("}");
        }
        o.blank();
        open_companion(o, fields);
        o.line("/** The value from the engine's `Map`; a missing or mistyped field is a [ClassCastException] or [NullPointerException]. */");
        o.line("@JvmStatic");
        if fields.is_empty() {
            o.line(format!(
                "fun fromMap(@Suppress(\"UNUSED_PARAMETER\") m: Map<*, *>): {name} = {name}"
            ));
        } else {
            o.line(format!("fun fromMap(m: Map<*, *>): {name} ="))
                .indent();
            o.line(format!("{name}(")).indent();
            for f in fields {
                let ty = self.field_type(f, input);
                o.line(format!(
                    "{},",
                    self.decode(&format!("m[{}]", lit(&f.name)), &ty, 0)
                ));
            }
            o.dedent().line(")");
            o.dedent();
        }
        close_companion(o, fields);
    }
}

/// The type of a value known not to be null (after an `if (x != null)`).
fn non_null(ty: &Ty) -> Ty {
    match ty {
        Ty::Optional { inner } => (**inner).clone(),
        t => t.clone(),
    }
}

/// A `companion object {` for a class; nothing for a `data object`, whose
/// members go in the object itself.
fn open_companion(o: &mut Out, fields: &[Field]) {
    if !fields.is_empty() {
        o.line("companion object {").indent();
    }
}

fn close_companion(o: &mut Out, fields: &[Field]) {
    if !fields.is_empty() {
        o.dedent().line("}");
    }
}

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let base = base_package(options);
    let names = schema
        .models
        .iter()
        .map(|m| {
            let reserved: Vec<String> = [
                "Command", "Event", "State", "Reason", "Model", "Executed", "Loaded",
            ]
            .iter()
            .map(|s| format!("{}{s}", m.name))
            .collect();
            (m.name.clone(), TypeNames::of(m, &reserved))
        })
        .collect();
    let mut g = Gen {
        schema,
        base: base.clone(),
        current: None,
        names,
    };
    let mut files = Vec::new();
    for m in &schema.models {
        g.current = Some(m.name.as_str());
        let seg = model_segment(&m.name);
        files.push(File {
            path: format!("{}/{seg}/{}.kt", base.replace('.', "/"), m.name),
            contents: model_file(&g, m, &seg),
        });
    }
    if !schema.tables.is_empty() || !schema.projections.is_empty() {
        g.current = None;
        files.push(File {
            path: format!("{}/ReadSide.kt", base.replace('.', "/")),
            contents: read_side_file(&g),
        });
    }
    files
}

fn header(o: &mut Out, package: &str) {
    o.line(format!("// {}", banner()));
    o.line("@file:Suppress(\"RedundantVisibilityModifier\", \"unused\", \"ktlint\")");
    o.blank();
    o.line(format!("package {package}"));
    o.blank();
    o.line("import dev.eventfold.Domain");
    o.line("import dev.eventfold.Engine");
    o.line("import dev.eventfold.EventfoldException");
    o.line("import dev.eventfold.ExecuteOptions");
    o.line("import dev.eventfold.StoredEvent");
    o.line("import dev.eventfold.TypedEvent");
    o.line("import dev.eventfold.TypedExecuted");
    o.line("import dev.eventfold.TypedLoaded");
    o.line("import dev.eventfold.typed");
    o.blank();
    o.line("// A duration crosses as text: whole seconds, fraction digits only as needed, `s` (`5400s`, `1.5s`).");
    o.line("private fun durationOf(text: String): java.time.Duration {")
        .indent();
    o.line("val nanos = java.math.BigDecimal(text.removeSuffix(\"s\")).movePointRight(9).toBigIntegerExact()");
    o.line("val parts = nanos.divideAndRemainder(java.math.BigInteger.valueOf(1_000_000_000L))");
    o.line("return java.time.Duration.ofSeconds(parts[0].toLong(), parts[1].toLong())");
    o.dedent().line("}");
    o.blank();
    o.line("private fun durationText(d: java.time.Duration): String =")
        .indent();
    o.line("java.math.BigDecimal.valueOf(d.seconds).add(java.math.BigDecimal.valueOf(d.nano.toLong(), 9)).stripTrailingZeros().toPlainString() + \"s\"");
    o.dedent().blank();
}

pub(super) fn row_name(table: &str) -> String {
    format!("{}Row", pascal(table))
}

pub(super) fn columns(t: &TableSchema) -> Vec<Field> {
    t.columns
        .iter()
        .map(|c| Field {
            name: c.name.clone(),
            ty: c.ty.clone(),
            required: true,
            default: None,
            doc: c.doc.clone(),
        })
        .collect()
}
