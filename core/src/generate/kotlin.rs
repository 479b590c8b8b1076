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
        if input && !f.required && !f.ty.is_optional() {
            Ty::Optional {
                inner: Box::new(f.ty.clone()),
            }
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

fn model_file(g: &Gen, m: &ModelSchema, seg: &str) -> String {
    let n = g.names_of(&m.name).expect("names of every model");
    let mut o = Out::new("    ");
    header(&mut o, &format!("{}.{seg}", g.base));
    let mn = &m.name;
    let reason = format!("{mn}Reason");
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");

    // Enums.
    for e in &m.enums {
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = n.enumeration(&e.name);
        o.line(format!("enum class {name}(val wire: String) {{"))
            .indent();
        for mem in &e.members {
            o.block_doc(mem.doc.as_deref(), "/**", " * ", " */");
            o.line(format!("{}({}),", screaming(&mem.name), lit(&mem.name)));
        }
        o.line(";");
        o.blank();
        o.line("companion object {").indent();
        o.line("/** The member named [wire] in the model; [IllegalArgumentException] for another name. */");
        o.line("@JvmStatic");
        o.line(format!(
            "fun fromWire(wire: String): {name} = entries.firstOrNull {{ it.wire == wire }} ?: throw IllegalArgumentException(\"no {name} member \" + wire)"
        ));
        o.dedent().line("}");
        o.dedent().line("}");
        o.blank();
    }

    // Records.
    for r in &m.records {
        let name = n.record(&r.name);
        g.data_class(
            &mut o,
            r.doc.as_deref(),
            name,
            &r.fields,
            false,
            "",
            &mut |o| {
                g.map_members(o, name, &r.fields, false, "toMap", "");
            },
        );
        o.blank();
    }

    // State.
    let state_doc = format!("The state of a {mn} stream: every field is always present.");
    g.data_class(
        &mut o,
        Some(&state_doc),
        &state,
        &m.state,
        false,
        "",
        &mut |o| {
            g.map_members(o, &state, &m.state, false, "toMap", "");
        },
    );
    o.blank();

    // Reasons.
    let reasons = m.reasons();
    o.line(format!("/** Every reason a {mn} command may reject with ([EventfoldException.Rejected.reason]). */"));
    o.line(format!("enum class {reason}(val wire: String) {{"))
        .indent();
    for r in &reasons {
        o.line(format!("{}({}),", screaming(r), lit(r)));
    }
    o.line(";");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The reason of a rejection, or `null` for a `reject` without one (or a reason this model does not declare). */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun of(rejected: EventfoldException.Rejected): {reason}? = entries.firstOrNull {{ it.wire == rejected.reason }}"
    ));
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    o.line(format!(
        "/** This model's reason of a rejection (null: none, or not one of {mn}'s). */"
    ));
    o.line(format!(
        "val EventfoldException.Rejected.{}Reason: {reason}? get() = {reason}.of(this)",
        camel(mn)
    ));
    o.blank();

    // Commands.
    o.line(format!(
        "/** A command of {mn}: `{{type, data}}` for the engine. */"
    ));
    o.line(format!("sealed interface {command} {{")).indent();
    o.line("/** The command's name in the model (`create-new`). */");
    o.line("val type: String");
    o.blank();
    o.line("/** The reasons this command may reject with. */");
    o.line(format!("val reasons: Set<{reason}>"));
    o.blank();
    o.line("/** The command's params as the engine takes them. */");
    o.line("fun data(): Map<String, Any?>");
    o.blank();
    o.line("/** `{type, data}`, for [Engine.execute] and [Domain.propose]. */");
    o.line("fun toMap(): Map<String, Any?> = mapOf(\"type\" to type, \"data\" to data())");
    o.dedent().line("}");
    o.blank();
    for c in &m.commands {
        let name = n.command(&c.name);
        let supers = format!(" : {command}");
        g.data_class(
            &mut o,
            c.doc.as_deref(),
            name,
            &c.params,
            true,
            &supers,
            &mut |o| {
                o.line("override val type: String get() = TYPE");
                o.blank();
                o.line(format!(
                    "override val reasons: Set<{reason}> get() = REASONS"
                ));
                o.blank();
                cmd_data(g, o, c);
                o.blank();
                open_companion(o, &c.params);
                o.line(format!("const val TYPE: String = {}", lit(&c.name)));
                o.blank();
                let rs: Vec<String> = command_reasons(c)
                    .iter()
                    .map(|r| format!("{reason}.{}", screaming(r)))
                    .collect();
                o.line(format!("/** The reasons {} may reject with. */", c.name));
                o.line("@JvmField");
                o.line(format!(
                    "val REASONS: Set<{reason}> = setOf({})",
                    rs.join(", ")
                ));
                close_companion(o, &c.params);
            },
        );
        o.blank();
    }

    // Events.
    o.line(format!(
        "/** An event of {mn}, at its current version, as a stream records it. */"
    ));
    o.line(format!("sealed interface {event} {{")).indent();
    o.line("/** The event's name in the model (`created`). */");
    o.line("val type: String");
    o.blank();
    o.line("/** The event's fields as the engine gives them. */");
    o.line("fun data(): Map<String, Any?>");
    o.blank();
    o.line("/** `{type, data}`, for [Domain.accept] and [Domain.replay]. */");
    o.line("fun toMap(): Map<String, Any?> = mapOf(\"type\" to type, \"data\" to data())");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The event of [type] with [data]; [IllegalArgumentException] for a type the model does not have. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun fromMap(type: String, data: Map<*, *>): {event} ="
    ))
    .indent();
    o.line("when (type) {").indent();
    for e in &m.events {
        o.line(format!(
            "{} -> {}.fromMap(data)",
            lit(&e.name),
            n.event(&e.name)
        ));
    }
    o.line(format!(
        "else -> throw IllegalArgumentException(\"{mn} has no event \" + type)"
    ));
    o.dedent().line("}");
    o.dedent();
    o.blank();
    o.line("/** A stored event's type and data, decoded. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun from(stored: StoredEvent): {event} = fromMap(stored.type, stored.data)"
    ));
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    for e in &m.events {
        event_class(g, &mut o, e, n.event(&e.name), &event);
        o.blank();
    }

    facade(g, &mut o, m, n);
    o.finish()
}

fn command_reasons(c: &CommandSchema) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in c.rejections.iter().filter_map(|r| r.reason.as_deref()) {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

fn cmd_data(g: &Gen, o: &mut Out, c: &CommandSchema) {
    if c.params.is_empty() {
        o.line("override fun data(): Map<String, Any?> = emptyMap()");
        return;
    }
    o.line("override fun data(): Map<String, Any?> {").indent();
    o.line("val m = LinkedHashMap<String, Any?>()");
    for f in &c.params {
        let ty = if f.required {
            f.ty.clone()
        } else {
            non_null(&f.ty)
        };
        let v = g.encode(&prop(&f.name), &ty, 0);
        if !f.required {
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

fn event_class(g: &Gen, o: &mut Out, e: &EventSchema, name: &str, union: &str) {
    let supers = format!(" : {union}");
    g.data_class(
        o,
        e.doc.as_deref(),
        name,
        &e.fields,
        false,
        &supers,
        &mut |o| {
            o.line("override val type: String get() = TYPE");
            o.blank();
            if e.fields.is_empty() {
                o.line("override fun data(): Map<String, Any?> = emptyMap()");
            } else {
                o.line("override fun data(): Map<String, Any?> {").indent();
                o.line("val m = LinkedHashMap<String, Any?>()");
                for f in &e.fields {
                    o.line(format!(
                        "m[{}] = {}",
                        lit(&f.name),
                        g.encode(&prop(&f.name), &f.ty, 0)
                    ));
                }
                o.line("return m");
                o.dedent().line("}");
            }
            o.blank();
            open_companion(o, &e.fields);
            o.line(format!("const val TYPE: String = {}", lit(&e.name)));
            o.blank();
            o.line("/** The version of the event's shape. */");
            o.line(format!("const val SCHEMA: Long = {}", e.version));
            o.blank();
            o.line("@JvmStatic");
            if e.fields.is_empty() {
                o.line(format!(
                    "fun fromMap(@Suppress(\"UNUSED_PARAMETER\") data: Map<*, *>): {name} = {name}"
                ));
            } else {
                o.line(format!("fun fromMap(data: Map<*, *>): {name} ="))
                    .indent();
                o.line(format!("{name}(")).indent();
                for f in &e.fields {
                    o.line(format!(
                        "{},",
                        g.decode(&format!("data[{}]", lit(&f.name)), &f.ty, 0)
                    ));
                }
                o.dedent().line(")");
                o.dedent();
            }
            close_companion(o, &e.fields);
        },
    );
}

/// A query's Kotlin parameters, its args map expression, and its result.
fn query_parts(g: &Gen, q: &QuerySchema) -> (String, String, String, String) {
    let params: Vec<String> = q
        .params
        .iter()
        .map(|f| {
            let p = g.param(f, true);
            p.trim_start_matches("val ").to_string()
        })
        .collect();
    let args = if q.params.is_empty() {
        "null".to_string()
    } else {
        let entries: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                let ty = g.field_type(f, true);
                format!("{} to {}", lit(&f.name), g.encode(&prop(&f.name), &ty, 0))
            })
            .collect();
        if q.params.iter().all(|f| f.required) {
            format!("mapOf({})", entries.join(", "))
        } else {
            format!(
                "mapOf({}).filterValues {{ it != null }}",
                entries.join(", ")
            )
        }
    };
    let ret = g.ty(&q.returns);
    let conv = g.decode("r", &q.returns, 0);
    (params.join(", "), args, ret, conv)
}

fn facade(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames) {
    let mn = &m.name;
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");
    o.line("/**");
    o.line(format!(" * {mn} over an [Engine], typed: `{mn}Model(engine).stream(\"id\")` is the stream `{mn}-id`."));
    o.line(" * Every call goes through the engine; this class only names and converts.");
    o.line(" * A rejection is [EventfoldException.Rejected]; its typed reason is");
    o.line(format!(" * `e.{}Reason`.", camel(mn)));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("class {mn}Model(val engine: Engine) {{"))
        .indent();
    o.line(format!("/** The stream `{mn}-[id]`. */"));
    o.line("fun stream(id: String): Stream = Stream(id)");
    o.blank();
    o.line(
        "/** One stream of the model; [suspending] has the same calls as `suspend` functions. */",
    );
    o.line("inner class Stream(val streamId: String) {")
        .indent();
    o.line("/** The same calls, as `suspend` functions: each suspends the caller while the engine works on its executor. */");
    o.line("val suspending: Suspending get() = Suspending()");
    o.blank();
    stream_methods(g, o, m, n, false);
    o.blank();
    o.line("inner class Suspending {").indent();
    stream_methods(g, o, m, n, true);
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("const val NAME: String = {}", lit(mn)));
    o.blank();
    o.line("/** The events [command] emits on [state] (null: the initial state), with no store; or [EventfoldException.Rejected]. */");
    o.line("@JvmStatic");
    o.line("@JvmOverloads");
    o.line(format!(
        "fun propose(domain: Domain, state: {state}?, command: {command}, now: java.time.Instant? = null): List<{event}> ="
    ))
    .indent();
    o.line("domain.propose(NAME, state?.toMap(), command.toMap(), now).map { e ->")
        .indent();
    o.line(format!(
        "{event}.fromMap(e[\"type\"] as String, e[\"data\"] as Map<*, *>)"
    ));
    o.dedent().line("}");
    o.dedent();
    o.blank();
    o.line("/** The state after [events], in order, from the initial state, with no store. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun replay(domain: Domain, events: List<{event}>): {state} ="
    ))
    .indent()
    .line(format!(
        "{state}.fromMap(domain.replay(NAME, events.map {{ it.toMap() }}))"
    ))
    .dedent();
    o.dedent().line("}");
    o.dedent().line("}");
}

fn stream_methods(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames, suspend: bool) {
    let mn = &m.name;
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");
    let (fun, eng) = if suspend {
        ("suspend fun", "engine.suspending")
    } else {
        ("fun", "engine")
    };
    o.line("/** Executes [command] on this stream: the events it appended, decoded. */");
    o.line(format!(
        "{fun} execute(command: {command}, options: ExecuteOptions = ExecuteOptions()): TypedExecuted<{event}> ="
    ))
    .indent()
    .line(format!("{eng}.execute(NAME, streamId, command.toMap(), options).typed {{ {event}.from(it) }}"))
    .dedent();
    for c in &m.commands {
        let name = n.command(&c.name);
        o.blank();
        o.block_doc(c.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "{fun} {}(command: {name}, options: ExecuteOptions = ExecuteOptions()): TypedExecuted<{event}> = execute(command, options)",
            camel(&c.name)
        ));
    }
    o.blank();
    o.line("/** The stream's state and version (0: no events yet). */");
    o.line(format!(
        "{fun} load(): TypedLoaded<{state}> = {eng}.load(NAME, streamId).typed {{ {state}.fromMap(it) }}"
    ));
    o.blank();
    o.line("/** The stream's state. */");
    o.line(format!("{fun} state(): {state} = load().state"));
    o.blank();
    o.line("/** The stream's events, in order, decoded. */");
    o.line(format!(
        "{fun} events(): List<TypedEvent<{event}>> = {eng}.readStream(NAME + \"-\" + streamId).map {{ it.typed {{ e -> {event}.from(e) }} }}"
    ));
    for q in &m.queries {
        let (params, args, ret, conv) = query_parts(g, q);
        o.blank();
        o.block_doc(q.doc.as_deref(), "/**", " * ", " */");
        o.line(format!("{fun} {}({params}): {ret} {{", camel(&q.name)))
            .indent();
        o.line(format!(
            "val r = {eng}.query(NAME, streamId, {}, {args})",
            lit(&q.name)
        ));
        o.line(format!("return {conv}"));
        o.dedent().line("}");
    }
}

fn read_side_file(g: &Gen) -> String {
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/** The domain's tables, by name. */");
    o.line("object Tables {").indent();
    for t in &g.schema.tables {
        o.block_doc(t.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "const val {}: String = {}",
            screaming(&t.name),
            lit(&t.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The domain's projections, by name (for [Engine.rebuild], [Engine.waitFor]). */");
    o.line("object Projections {").indent();
    for p in &g.schema.projections {
        o.block_doc(p.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "const val {}: String = {}",
            screaming(&p.name),
            lit(&p.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    for t in &g.schema.tables {
        let fields: Vec<Field> = columns(t);
        let name = row_name(&t.name);
        let doc = match &t.doc {
            Some(d) => format!("A row of `{}`.\n\n{d}", t.name),
            None => format!("A row of `{}`.", t.name),
        };
        g.data_class(&mut o, Some(&doc), &name, &fields, false, "", &mut |o| {
            g.map_members(o, &name, &fields, false, "toMap", "");
            o.blank();
            o.line("/** The row's key, in key order (for `after`). */");
            let keys: Vec<String> = t
                .key
                .iter()
                .filter_map(|k| fields.iter().find(|f| &f.name == k))
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            o.line(format!(
                "fun key(): List<Any?> = listOf({})",
                keys.join(", ")
            ));
        });
        o.blank();
    }
    o.line("/** The tables over an [Engine], typed; [suspending] has the same reads as `suspend` functions. */");
    o.line("class ReadSide(val engine: Engine) {").indent();
    o.line("val suspending: Suspending get() = Suspending()");
    o.blank();
    read_methods(g, &mut o, false);
    o.blank();
    o.line("inner class Suspending {").indent();
    read_methods(g, &mut o, true);
    o.dedent().line("}");
    o.dedent().line("}");
    o.finish()
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

fn read_methods(g: &Gen, o: &mut Out, suspend: bool) {
    let (fun, eng) = if suspend {
        ("suspend fun", "engine.suspending")
    } else {
        ("fun", "engine")
    };
    for t in &g.schema.tables {
        let fields = columns(t);
        let row = row_name(&t.name);
        let keys: Vec<&Field> = t
            .key
            .iter()
            .filter_map(|k| fields.iter().find(|f| &f.name == k))
            .collect();
        let mut params: Vec<String> = keys
            .iter()
            .map(|f| {
                let t = g.ty(&f.ty);
                let t = if t.ends_with('?') { t } else { t + "?" };
                format!("{}: {t} = null", prop(&f.name))
            })
            .collect();
        params.push(format!("after: {row}? = null"));
        params.push("limit: Int? = null".into());
        o.line(format!(
            "/** Rows of `{}` in key order: those whose key starts with the key values given (leading ones, in key order), after [after], at most [limit]. */",
            t.name
        ));
        o.line(format!(
            "{fun} {}({}): List<{row}> {{",
            camel(&t.name),
            params.join(", ")
        ))
        .indent();
        o.line("val key = ArrayList<Any?>()");
        let mut gap = Vec::new();
        for f in &keys {
            let ty = Ty::Optional {
                inner: Box::new(f.ty.clone()),
            };
            let p = prop(&f.name);
            let prev = gap.join(" || ");
            if prev.is_empty() {
                o.line(format!(
                    "if ({p} != null) key.add({})",
                    g.encode(&p, &ty, 0)
                ));
            } else {
                o.line(format!("if ({p} != null) {{")).indent();
                o.line(format!(
                    "require(!({prev})) {{ \"give the key values of `{}` in key order\" }}",
                    t.name
                ));
                o.line(format!("key.add({})", g.encode(&p, &ty, 0)));
                o.dedent().line("}");
            }
            gap.push(format!("{p} == null"));
        }
        o.line(format!(
            "return {eng}.rows({}, key, after?.key(), limit).map {{ {row}.fromMap(it) }}",
            lit(&t.name)
        ));
        o.dedent().line("}");
        o.blank();
    }
}

#[cfg(test)]
mod tests {
    use crate::generate::{generate, Lang, Options};
    use crate::{Domain, Source};

    fn todos() -> Domain {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/todos/todos.model"
        ))
        .unwrap();
        Domain::compile(&[Source::new("todos.model", text)]).unwrap()
    }

    #[test]
    fn todos_in_kotlin() {
        let files = generate(&todos(), Lang::Kotlin, &Options::default());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "eventfold/generated/todos/Todos.kt",
                "eventfold/generated/ReadSide.kt"
            ]
        );
        let m = &files[0].contents;
        assert!(m.starts_with("// Generated by eventfold "), "{m}");
        for line in [
            "package eventfold.generated.todos",
            "data class Todo(",
            "data class CreateNew(",
            "    val newText: String,",
            ") : TodosCommand {",
            "data object ClearDone : TodosCommand {",
            "sealed interface TodosEvent {",
            "enum class TodosReason(val wire: String) {",
            "    DUPLICATE(\"duplicate\"),",
            "/** Put a new todo on the list. */",
            "class TodosModel(val engine: Engine) {",
            "fun getTodo(id: String): Todo? {",
            "suspend fun createNew(command: CreateNew, options: ExecuteOptions = ExecuteOptions()): TypedExecuted<TodosEvent> = execute(command, options)",
        ] {
            assert!(m.contains(line), "missing {line:?} in\n{m}");
        }
        let r = &files[1].contents;
        for line in [
            "package eventfold.generated",
            "data class TodoRowsRow(",
            "    val doneAt: java.time.Instant?,",
            "fun todoRows(listId: String? = null, id: String? = null, after: TodoRowsRow? = null, limit: Int? = null): List<TodoRowsRow> {",
            "const val TODO_BOARD: String = \"todo-board\"",
        ] {
            assert!(r.contains(line), "missing {line:?} in\n{r}");
        }
    }

    #[test]
    fn a_model_change_touches_only_what_changed() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/todos/todos.model"
        ))
        .unwrap();
        let changed = text.replacen(
            "  /// How many todos are not done yet.",
            "  /// How many todos there are.\n  query total(): int = size(todos)\n  /// How many todos are not done yet.",
            1,
        );
        assert_ne!(text, changed);
        let before = Domain::compile(&[Source::new("todos.model", text)]).unwrap();
        let after = Domain::compile(&[Source::new("todos.model", changed)]).unwrap();
        for lang in [Lang::Kotlin, Lang::Java] {
            let a = generate(&before, lang, &Options::default());
            let b = generate(&after, lang, &Options::default());
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.path, y.path);
                if x.path.ends_with("/Todos.kt") || x.path.ends_with("/Todos.java") {
                    // Only lines added: every line of before is still there, in order.
                    let mut rest = y.contents.lines();
                    for line in x.contents.lines() {
                        assert!(rest.any(|l| l == line), "{lang}: {line:?} changed");
                    }
                    assert!(y.contents.contains("total("), "{lang}");
                } else {
                    assert_eq!(x.contents, y.contents, "{lang}: {}", x.path);
                }
            }
        }
    }

    #[test]
    fn deterministic_and_packaged() {
        let d = todos();
        let a = generate(&d, Lang::Kotlin, &Options::default());
        let b = generate(&d, Lang::Kotlin, &Options::default());
        assert_eq!(a, b);
        let p = generate(
            &d,
            Lang::Kotlin,
            &Options {
                package: Some("com.acme.app".into()),
            },
        );
        assert_eq!(p[0].path, "com/acme/app/todos/Todos.kt");
        assert!(p[0].contents.contains("package com.acme.app.todos\n"));
    }
}
