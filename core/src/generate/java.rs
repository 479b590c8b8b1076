//! Java (`--lang java`, Java 17+): records for commands, events, state,
//! records and table rows; sealed interfaces for the command and event
//! unions; enums for the model's enums and for the reasons a command may
//! reject with; Javadoc from the model's `///` docs; and a typed facade over
//! the JVM skin (`dev.eventfold.Engine`), with blocking methods and
//! `CompletableFuture` ones (`...Async`).
//!
//! Layout: one class per model in `<package>` (default
//! `eventfold.generated`), `Todos.java`, holding its types as nested types
//! (`Todos.CreateNew`, `Todos.Event`, ...) and being the facade itself
//! (`new Todos(engine).stream("id")`); the read side in `ReadSide.java`.
//! Values are converted to and from the skin's `Map`/`List` values by
//! generated code (`toMap`/`fromMap`), with no reflection.

use super::kotlin::{base_package, columns, row_name, TypeNames};
use super::names::{camel, screaming};
use super::schema::{CommandSchema, EventSchema, Field, ModelSchema, QuerySchema, Ty};
use super::{banner, File, Options, Out, Schema};

pub(super) const KEYWORDS: &[&str] = &[
    "abstract",
    "assert",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extends",
    "final",
    "finally",
    "float",
    "for",
    "goto",
    "if",
    "implements",
    "import",
    "instanceof",
    "int",
    "interface",
    "long",
    "native",
    "new",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "short",
    "static",
    "strictfp",
    "super",
    "switch",
    "synchronized",
    "this",
    "throw",
    "throws",
    "transient",
    "try",
    "void",
    "volatile",
    "while",
    "true",
    "false",
    "null",
    "var",
    "record",
    "yield",
    "sealed",
    "permits",
];

/// Accessor names the generated types declare themselves.
const TAKEN: &[&str] = &[
    "type", "data", "reasons", "toMap", "key", "wire", "hashCode", "toString", "equals",
    "getClass", "notify", "wait",
];

fn prop(name: &str) -> String {
    let c = camel(name);
    if KEYWORDS.contains(&c.as_str()) || TAKEN.contains(&c.as_str()) {
        c + "_"
    } else {
        c
    }
}

/// A Java string literal.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const RESERVED: &[&str] = &[
    "Command", "Event", "State", "Reason", "Stream", "Wire", "Typed", "Engine", "Domain", "Map",
    "List", "Object", "String", "Long", "Double", "Boolean",
];

struct Gen<'a> {
    schema: &'a Schema,
    base: String,
    current: Option<&'a str>,
    names: Vec<(String, TypeNames)>,
}

impl<'a> Gen<'a> {
    fn names_of(&self, model: &str) -> Option<&TypeNames> {
        self.names.iter().find(|(m, _)| m == model).map(|(_, n)| n)
    }

    fn qualified(&self, model: &str, short: &str) -> String {
        if self.current == Some(model) {
            short.to_string()
        } else {
            format!("{}.{model}.{short}", self.base)
        }
    }

    /// The Java type; `boxed` for a type argument or a nullable value.
    fn ty(&self, ty: &Ty, boxed: bool) -> String {
        let prim = |p: &str, b: &str| if boxed { b.to_string() } else { p.to_string() };
        match ty {
            Ty::String => "String".into(),
            Ty::Duration => "java.time.Duration".into(),
            Ty::Int => prim("long", "Long"),
            Ty::Float => prim("double", "Double"),
            Ty::Bool => prim("boolean", "Boolean"),
            Ty::Timestamp => "java.time.Instant".into(),
            Ty::List { item } => format!("List<{}>", self.ty(item, true)),
            Ty::Map { value } => format!("Map<String, {}>", self.ty(value, true)),
            Ty::Record { model, name } => match self.names_of(model) {
                Some(n) => self.qualified(model, n.record(name)),
                None => "Map<String, Object>".into(),
            },
            Ty::Enum { model, name } => match self.names_of(model) {
                Some(n) => self.qualified(model, n.enumeration(name)),
                None => "String".into(),
            },
            Ty::Optional { inner } => self.ty(inner, true),
            Ty::Json => "Object".into(),
        }
    }

    fn is_primitive(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Int | Ty::Float | Ty::Bool)
    }

    fn decode(&self, e: &str, ty: &Ty, depth: usize) -> String {
        let x = format!("x{depth}");
        match ty {
            Ty::String => format!("(String) {e}"),
            Ty::Duration => format!("Wire.duration((String) {e})"),
            Ty::Int => format!("((Number) {e}).longValue()"),
            Ty::Float => format!("((Number) {e}).doubleValue()"),
            Ty::Bool => format!("(Boolean) {e}"),
            Ty::Timestamp => format!("java.time.OffsetDateTime.parse((String) {e}).toInstant()"),
            Ty::List { item } => format!(
                "Wire.list((List<?>) {e}, {x} -> {})",
                self.decode(&x, item, depth + 1)
            ),
            Ty::Map { value } => format!(
                "Wire.map((Map<?, ?>) {e}, {x} -> {})",
                self.decode(&x, value, depth + 1)
            ),
            Ty::Record { model, .. } => match self.names_of(model) {
                Some(_) => format!("{}.fromMap((Map<?, ?>) {e})", self.ty(ty, false)),
                None => format!("Wire.map((Map<?, ?>) {e}, {x} -> (Object) {x})"),
            },
            Ty::Enum { model, .. } => match self.names_of(model) {
                Some(_) => format!("{}.fromWire((String) {e})", self.ty(ty, false)),
                None => format!("(String) {e}"),
            },
            Ty::Optional { inner } => format!(
                "Wire.opt({e}, {x} -> {})",
                self.boxed(&self.decode(&x, inner, depth + 1), inner)
            ),
            Ty::Json => e.to_string(),
        }
    }

    /// A primitive-valued expression, boxed for a lambda returning a type argument.
    fn boxed(&self, expr: &str, ty: &Ty) -> String {
        match ty {
            Ty::Int => format!("(Long) {expr}"),
            Ty::Float => format!("(Double) {expr}"),
            _ => expr.to_string(),
        }
    }

    fn encode(&self, e: &str, ty: &Ty, depth: usize) -> String {
        let x = format!("x{depth}");
        match ty {
            Ty::String | Ty::Int | Ty::Float | Ty::Bool | Ty::Json => e.to_string(),
            Ty::Timestamp => format!("{e}.toString()"),
            Ty::Duration => format!("Wire.durationText({e})"),
            Ty::List { item } => format!(
                "Wire.list({e}, {x} -> (Object) {})",
                self.encode(&x, item, depth + 1)
            ),
            Ty::Map { value } => format!(
                "Wire.map({e}, {x} -> (Object) {})",
                self.encode(&x, value, depth + 1)
            ),
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
                    format!("Wire.opt({e}, {x} -> (Object) {conv})")
                }
            }
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

    /// `public record Name(components) implements ... { body }`.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        o: &mut Out,
        doc: Option<&str>,
        name: &str,
        fields: &[Field],
        input: bool,
        implements: &str,
        body: &mut dyn FnMut(&mut Out),
    ) {
        let mut d = doc.unwrap_or("").to_string();
        for f in fields {
            let fd = f.doc.as_deref().unwrap_or(if input && !f.required {
                "may be null: the model's default"
            } else {
                ""
            });
            if !fd.is_empty() {
                if !d.is_empty() {
                    d.push('\n');
                }
                d.push_str(&format!(
                    "@param {} {}",
                    prop(&f.name),
                    fd.replace('\n', " ")
                ));
            }
        }
        o.block_doc((!d.is_empty()).then_some(d.as_str()), "/**", " * ", " */");
        let comps: Vec<String> = fields
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    self.ty(&self.field_type(f, input), false),
                    prop(&f.name)
                )
            })
            .collect();
        o.line(format!(
            "public record {name}({}){implements} {{",
            comps.join(", ")
        ))
        .indent();
        let checks: Vec<&Field> = fields
            .iter()
            .filter(|f| {
                let t = self.field_type(f, input);
                !t.is_optional() && !self.is_primitive(&t) && t != Ty::Json
            })
            .collect();
        if !checks.is_empty() {
            o.line(format!("public {name} {{")).indent();
            for f in checks {
                o.line(format!(
                    "Objects.requireNonNull({}, {});",
                    prop(&f.name),
                    lit(&format!("{name}.{}", prop(&f.name)))
                ));
            }
            o.dedent().line("}");
            o.blank();
        }
        // A shorter constructor without the fields a caller may leave out.
        if input && fields.iter().any(|f| !f.required) && fields.iter().any(|f| f.required) {
            let req: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
            let ps: Vec<String> = req
                .iter()
                .map(|f| format!("{} {}", self.ty(&f.ty, false), prop(&f.name)))
                .collect();
            let args: Vec<String> = fields
                .iter()
                .map(|f| {
                    if f.required {
                        prop(&f.name)
                    } else {
                        "null".into()
                    }
                })
                .collect();
            o.line("/** With the model's defaults for the rest. */");
            o.line(format!("public {name}({}) {{", ps.join(", ")))
                .indent();
            o.line(format!("this({});", args.join(", ")));
            o.dedent().line("}");
            o.blank();
        }
        body(o);
        o.dedent().line("}");
    }

    fn to_map(&self, o: &mut Out, fields: &[Field], input: bool, method: &str, over: bool) {
        if over {
            o.line("@Override");
        }
        o.line(format!("public Map<String, Object> {method}() {{"))
            .indent();
        o.line("Map<String, Object> m = new LinkedHashMap<>();");
        for f in fields {
            let ty = self.field_type(f, input);
            let v = self.encode(&prop(&f.name), &ty, 0);
            if input && !f.required {
                o.line(format!(
                    "if ({} != null) m.put({}, {v});",
                    prop(&f.name),
                    lit(&f.name)
                ));
            } else {
                o.line(format!("m.put({}, {v});", lit(&f.name)));
            }
        }
        o.line("return m;");
        o.dedent().line("}");
    }

    fn write_from_map(&self, o: &mut Out, name: &str, fields: &[Field], input: bool) {
        o.line("/** The value from the engine's {@code Map}; a missing or mistyped field is a ClassCastException or NullPointerException. */");
        o.line(format!("public static {name} fromMap(Map<?, ?> m) {{"))
            .indent();
        let args: Vec<String> = fields
            .iter()
            .map(|f| {
                let ty = self.field_type(f, input);
                self.decode(&format!("m.get({})", lit(&f.name)), &ty, 0)
            })
            .collect();
        if args.is_empty() {
            o.line(format!("return new {name}();"));
        } else {
            o.line(format!("return new {name}(")).indent();
            let n = args.len();
            for (i, a) in args.into_iter().enumerate() {
                o.line(if i + 1 < n { format!("{a},") } else { a });
            }
            o.dedent().line(");");
        }
        o.dedent().line("}");
    }
}

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let base = base_package(options);
    let names = schema
        .models
        .iter()
        .map(|m| {
            let mut reserved: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
            reserved.push(m.name.clone());
            (m.name.clone(), TypeNames::of(m, &reserved))
        })
        .collect();
    let mut g = Gen {
        schema,
        base: base.clone(),
        current: None,
        names,
    };
    let dir = base.replace('.', "/");
    let mut files = Vec::new();
    for m in &schema.models {
        g.current = Some(m.name.as_str());
        files.push(File {
            path: format!("{dir}/{}.java", m.name),
            contents: model_file(&g, m),
        });
    }
    if !schema.tables.is_empty() || !schema.projections.is_empty() {
        g.current = None;
        files.push(File {
            path: format!("{dir}/ReadSide.java"),
            contents: read_side_file(&g),
        });
    }
    files.push(File {
        path: format!("{dir}/Wire.java"),
        contents: wire_file(&base),
    });
    files
}

fn header(o: &mut Out, package: &str) {
    o.line(format!("// {}", banner()));
    o.line(format!("package {package};"));
    o.blank();
    o.line("import dev.eventfold.Domain;");
    o.line("import dev.eventfold.Engine;");
    o.line("import dev.eventfold.EventfoldException;");
    o.line("import dev.eventfold.ExecuteOptions;");
    o.line("import dev.eventfold.StoredEvent;");
    o.line("import dev.eventfold.Typed;");
    o.line("import dev.eventfold.TypedEvent;");
    o.line("import dev.eventfold.TypedExecuted;");
    o.line("import dev.eventfold.TypedLoaded;");
    o.line("import java.util.Arrays;");
    o.line("import java.util.Collections;");
    o.line("import java.util.EnumSet;");
    o.line("import java.util.LinkedHashMap;");
    o.line("import java.util.List;");
    o.line("import java.util.Map;");
    o.line("import java.util.Objects;");
    o.line("import java.util.Set;");
    o.line("import java.util.concurrent.CompletableFuture;");
    o.blank();
}

fn wire_file(base: &str) -> String {
    let mut o = Out::new("    ");
    o.line(format!("// {}", banner()));
    o.line(format!("package {base};"));
    o.blank();
    o.line("import java.util.ArrayList;");
    o.line("import java.util.Collections;");
    o.line("import java.util.LinkedHashMap;");
    o.line("import java.util.List;");
    o.line("import java.util.Map;");
    o.line("import java.util.function.Function;");
    o.blank();
    o.line("/** Conversions the generated types share: lists and maps element by element, in order. */");
    o.line("public final class Wire {").indent();
    o.line("private Wire() {}");
    o.blank();
    o.line("/** {@code f} of {@code v}, or null for null. */");
    o.line("public static <A, B> B opt(A v, Function<? super A, ? extends B> f) {")
        .indent()
        .line("return v == null ? null : f.apply(v);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** Each item through {@code f}, in order (unmodifiable). */");
    o.line("public static <A, B> List<B> list(List<A> v, Function<? super A, ? extends B> f) {")
        .indent()
        .line("List<B> out = new ArrayList<>(v.size());")
        .line("for (A x : v) {")
        .indent()
        .line("out.add(f.apply(x));")
        .dedent()
        .line("}")
        .line("return Collections.unmodifiableList(out);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** Each value through {@code f}, keys as text, in order (unmodifiable). */");
    o.line("public static <A, B> Map<String, B> map(Map<?, A> v, Function<? super A, ? extends B> f) {")
        .indent()
        .line("Map<String, B> out = new LinkedHashMap<>();")
        .line("for (Map.Entry<?, A> e : v.entrySet()) {")
        .indent()
        .line("out.put((String) e.getKey(), f.apply(e.getValue()));")
        .dedent()
        .line("}")
        .line("return Collections.unmodifiableMap(out);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** A duration from its text on the boundary: whole seconds, fraction digits only as needed, {@code s} ({@code 5400s}, {@code 1.5s}). */");
    o.line("public static java.time.Duration duration(String text) {")
        .indent()
        .line("String n = text.endsWith(\"s\") ? text.substring(0, text.length() - 1) : text;")
        .line("java.math.BigInteger[] parts = new java.math.BigDecimal(n).movePointRight(9).toBigIntegerExact()")
        .line("        .divideAndRemainder(java.math.BigInteger.valueOf(1_000_000_000L));")
        .line("return java.time.Duration.ofSeconds(parts[0].longValue(), parts[1].longValue());")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** A duration as the engine takes it: seconds, with a fraction when it has one. */");
    o.line("public static String durationText(java.time.Duration d) {")
        .indent()
        .line("return java.math.BigDecimal.valueOf(d.getSeconds()).add(java.math.BigDecimal.valueOf(d.getNano(), 9))")
        .line("        .stripTrailingZeros().toPlainString() + \"s\";")
        .dedent()
        .line("}");
    o.dedent().line("}");
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

fn model_file(g: &Gen, m: &ModelSchema) -> String {
    let n = g.names_of(&m.name).expect("names of every model");
    let mn = &m.name;
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/**");
    o.line(format!(" * The model {mn}: its types, nested ({{@code {mn}.Event}}, {{@code {mn}.State}}, ...), and a typed"));
    o.line(format!(" * facade over an {{@link Engine}}: {{@code new {mn}(engine).stream(\"id\")}} is the stream {{@code {mn}-id}}."));
    o.line(
        " * Every call goes through the engine; this class only names and converts. A rejection",
    );
    o.line(format!(" * is {{@link EventfoldException.Rejected}}; {{@code {mn}.Reason.of(e)}} is its typed reason."));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("public final class {mn} {{")).indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("public static final String NAME = {};", lit(mn)));
    o.blank();
    o.line("private final Engine engine;");
    o.blank();
    o.line(format!("public {mn}(Engine engine) {{"))
        .indent()
        .line("this.engine = Objects.requireNonNull(engine, \"engine\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("public Engine engine() {")
        .indent()
        .line("return engine;")
        .dedent()
        .line("}");
    o.blank();

    for e in &m.enums {
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = n.enumeration(&e.name);
        o.line(format!("public enum {name} {{")).indent();
        let k = e.members.len();
        for (i, mem) in e.members.iter().enumerate() {
            o.block_doc(mem.doc.as_deref(), "/**", " * ", " */");
            o.line(format!(
                "{}({}){}",
                screaming(&mem.name),
                lit(&mem.name),
                if i + 1 < k { "," } else { ";" }
            ));
        }
        if k == 0 {
            o.line(";");
        }
        enum_body(&mut o, name);
        o.dedent().line("}");
        o.blank();
    }

    for r in &m.records {
        let name = n.record(&r.name);
        g.record(
            &mut o,
            r.doc.as_deref(),
            name,
            &r.fields,
            false,
            "",
            &mut |o| {
                g.to_map(o, &r.fields, false, "toMap", false);
                o.blank();
                g.write_from_map(o, name, &r.fields, false);
            },
        );
        o.blank();
    }

    let sdoc = format!("The state of a {mn} stream: every field is always present.");
    g.record(
        &mut o,
        Some(&sdoc),
        "State",
        &m.state,
        false,
        "",
        &mut |o| {
            g.to_map(o, &m.state, false, "toMap", false);
            o.blank();
            g.write_from_map(o, "State", &m.state, false);
        },
    );
    o.blank();

    // Reasons.
    o.line(format!("/** Every reason a {mn} command may reject with ({{@link EventfoldException.Rejected#getReason()}}). */"));
    o.line("public enum Reason {").indent();
    let reasons = m.reasons();
    let k = reasons.len();
    for (i, r) in reasons.iter().enumerate() {
        o.line(format!(
            "{}({}){}",
            screaming(r),
            lit(r),
            if i + 1 < k { "," } else { ";" }
        ));
    }
    if k == 0 {
        o.line(";");
    }
    enum_body(&mut o, "Reason");
    o.blank();
    o.line("/** The reason of a rejection; null for a {@code reject} without one (or a reason this model does not declare). */");
    o.line("public static Reason of(EventfoldException.Rejected rejected) {")
        .indent();
    o.line("for (Reason r : values()) {").indent();
    o.line("if (r.wire.equals(rejected.getReason())) {")
        .indent()
        .line("return r;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.line("return null;");
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();

    // Commands.
    let permits = |list: Vec<&str>| {
        if list.is_empty() {
            String::new()
        } else {
            format!(" permits {}", list.join(", "))
        }
    };
    o.line(format!(
        "/** A command of {mn}: {{@code {{type, data}}}} for the engine. */"
    ));
    o.line(format!(
        "public sealed interface Command{} {{",
        permits(m.commands.iter().map(|c| n.command(&c.name)).collect())
    ))
    .indent();
    o.line("/** The command's name in the model ({@code create-new}). */");
    o.line("String type();");
    o.blank();
    o.line("/** The reasons this command may reject with. */");
    o.line("Set<Reason> reasons();");
    o.blank();
    o.line("/** The command's params as the engine takes them. */");
    o.line("Map<String, Object> data();");
    o.blank();
    o.line("/** {@code {type, data}}, for {@link Engine#execute} and {@link Domain#propose}. */");
    o.line("default Map<String, Object> toMap() {")
        .indent()
        .line("Map<String, Object> m = new LinkedHashMap<>();")
        .line("m.put(\"type\", type());")
        .line("m.put(\"data\", data());")
        .line("return m;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.blank();
    for c in &m.commands {
        let name = n.command(&c.name);
        g.record(
            &mut o,
            c.doc.as_deref(),
            name,
            &c.params,
            true,
            " implements Command",
            &mut |o| {
                o.line(format!(
                    "public static final String TYPE = {};",
                    lit(&c.name)
                ));
                o.blank();
                let rs: Vec<String> = command_reasons(c)
                    .iter()
                    .map(|r| format!("Reason.{}", screaming(r)))
                    .collect();
                o.line(format!(
                    "/** The reasons {} may reject with, in declared order. */",
                    c.name
                ));
                let set = if rs.is_empty() {
                    "EnumSet.noneOf(Reason.class)".to_string()
                } else {
                    format!("EnumSet.of({})", rs.join(", "))
                };
                o.line(format!(
                    "public static final Set<Reason> REASONS = Collections.unmodifiableSet({set});"
                ));
                o.blank();
                o.line("@Override");
                o.line("public String type() {")
                    .indent()
                    .line("return TYPE;")
                    .dedent()
                    .line("}");
                o.blank();
                o.line("@Override");
                o.line("public Set<Reason> reasons() {")
                    .indent()
                    .line("return REASONS;")
                    .dedent()
                    .line("}");
                o.blank();
                g.to_map(o, &c.params, true, "data", true);
            },
        );
        o.blank();
    }

    // Events.
    o.line(format!(
        "/** An event of {mn}, at its current version, as a stream records it. */"
    ));
    o.line(format!(
        "public sealed interface Event{} {{",
        permits(m.events.iter().map(|e| n.event(&e.name)).collect())
    ))
    .indent();
    o.line("/** The event's name in the model ({@code created}). */");
    o.line("String type();");
    o.blank();
    o.line("/** The event's fields as the engine gives them. */");
    o.line("Map<String, Object> data();");
    o.blank();
    o.line("/** {@code {type, data}}, for {@link Domain#accept} and {@link Domain#replay}. */");
    o.line("default Map<String, Object> toMap() {")
        .indent()
        .line("Map<String, Object> m = new LinkedHashMap<>();")
        .line("m.put(\"type\", type());")
        .line("m.put(\"data\", data());")
        .line("return m;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The event of {@code type} with {@code data}; IllegalArgumentException for a type the model does not have. */");
    o.line("static Event fromMap(String type, Map<?, ?> data) {")
        .indent();
    o.line("return switch (type) {").indent();
    for e in &m.events {
        o.line(format!(
            "case {} -> {}.fromMap(data);",
            lit(&e.name),
            n.event(&e.name)
        ));
    }
    o.line(format!(
        "default -> throw new IllegalArgumentException(\"{mn} has no event \" + type);"
    ));
    o.dedent().line("};");
    o.dedent().line("}");
    o.blank();
    o.line("/** A stored event's type and data, decoded. */");
    o.line("static Event from(StoredEvent stored) {")
        .indent()
        .line("return fromMap(stored.getType(), stored.getData());")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.blank();
    for e in &m.events {
        event_record(g, &mut o, e, n.event(&e.name));
        o.blank();
    }

    facade(g, &mut o, m, n);
    o.dedent().line("}");
    o.finish()
}

fn enum_body(o: &mut Out, name: &str) {
    o.blank();
    o.line("/** The member's name in the model. */");
    o.line("public final String wire;");
    o.blank();
    o.line(format!("{name}(String wire) {{"))
        .indent()
        .line("this.wire = wire;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The member named {@code wire} in the model; IllegalArgumentException for another name. */");
    o.line(format!("public static {name} fromWire(String wire) {{"))
        .indent();
    o.line(format!("for ({name} v : values()) {{")).indent();
    o.line("if (v.wire.equals(wire)) {")
        .indent()
        .line("return v;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.line(format!(
        "throw new IllegalArgumentException(\"no {name} member \" + wire);"
    ));
    o.dedent().line("}");
}

fn event_record(g: &Gen, o: &mut Out, e: &EventSchema, name: &str) {
    g.record(
        o,
        e.doc.as_deref(),
        name,
        &e.fields,
        false,
        " implements Event",
        &mut |o| {
            o.line(format!(
                "public static final String TYPE = {};",
                lit(&e.name)
            ));
            o.blank();
            o.line("/** The version of the event's shape. */");
            o.line(format!("public static final long SCHEMA = {};", e.version));
            o.blank();
            o.line("@Override");
            o.line("public String type() {")
                .indent()
                .line("return TYPE;")
                .dedent()
                .line("}");
            o.blank();
            g.to_map(o, &e.fields, false, "data", true);
            o.blank();
            g.write_from_map(o, name, &e.fields, false);
        },
    );
}

fn query_parts(g: &Gen, q: &QuerySchema) -> (String, String) {
    let params: Vec<String> = q
        .params
        .iter()
        .map(|f| format!("{} {}", g.ty(&g.field_type(f, true), false), prop(&f.name)))
        .collect();
    let names: Vec<String> = q.params.iter().map(|f| prop(&f.name)).collect();
    (params.join(", "), names.join(", "))
}

fn facade(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames) {
    o.line("/** The stream {@code NAME-id}. */");
    o.line("public Stream stream(String id) {")
        .indent()
        .line("return new Stream(id);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** One stream of the model: each call blocks, and has an {@code ...Async} twin that runs on the engine's executor. */");
    o.line("public final class Stream {").indent();
    o.line("private final String streamId;");
    o.blank();
    o.line("Stream(String streamId) {")
        .indent()
        .line("this.streamId = Objects.requireNonNull(streamId, \"id\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's id (without the model's name). */");
    o.line("public String id() {")
        .indent()
        .line("return streamId;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** Executes {@code command} on this stream: the events it appended, decoded. */");
    o.line("public TypedExecuted<Event> execute(Command command, ExecuteOptions options) {")
        .indent()
        .line("return Typed.typed(engine.execute(NAME, streamId, command.toMap(), options), Event::from);")
        .dedent()
        .line("}");
    o.blank();
    o.line("public TypedExecuted<Event> execute(Command command) {")
        .indent()
        .line("return execute(command, new ExecuteOptions());")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** {@link #execute} on the engine's executor. */");
    o.line("public CompletableFuture<TypedExecuted<Event>> executeAsync(Command command, ExecuteOptions options) {")
        .indent()
        .line("return engine.executeAsync(NAME, streamId, command.toMap(), options).thenApply(r -> Typed.typed(r, Event::from));")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<TypedExecuted<Event>> executeAsync(Command command) {")
        .indent()
        .line("return executeAsync(command, new ExecuteOptions());")
        .dedent()
        .line("}");
    for c in &m.commands {
        let name = n.command(&c.name);
        let f = camel(&c.name);
        let f = if KEYWORDS.contains(&f.as_str()) {
            f + "_"
        } else {
            f
        };
        for (suffix, ret, call) in [
            ("", "TypedExecuted<Event>", "execute"),
            (
                "Async",
                "CompletableFuture<TypedExecuted<Event>>",
                "executeAsync",
            ),
        ] {
            o.blank();
            o.block_doc(c.doc.as_deref(), "/**", " * ", " */");
            o.line(format!(
                "public {ret} {f}{suffix}({name} command, ExecuteOptions options) {{"
            ))
            .indent()
            .line(format!("return {call}(command, options);"))
            .dedent()
            .line("}");
            o.blank();
            o.line(format!("public {ret} {f}{suffix}({name} command) {{"))
                .indent()
                .line(format!("return {call}(command, new ExecuteOptions());"))
                .dedent()
                .line("}");
        }
    }
    o.blank();
    o.line("/** The stream's state and version (0: no events yet). */");
    o.line("public TypedLoaded<State> load() {")
        .indent()
        .line("return Typed.typed(engine.load(NAME, streamId), State::fromMap);")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<TypedLoaded<State>> loadAsync() {")
        .indent()
        .line("return engine.loadAsync(NAME, streamId).thenApply(r -> Typed.typed(r, State::fromMap));")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's state. */");
    o.line("public State state() {")
        .indent()
        .line("return load().getState();")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<State> stateAsync() {")
        .indent()
        .line("return loadAsync().thenApply(TypedLoaded::getState);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's events, in order, decoded. */");
    o.line("public List<TypedEvent<Event>> events() {")
        .indent()
        .line("return Wire.list(engine.readStream(NAME + \"-\" + streamId), e -> Typed.typed(e, Event::from));")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<List<TypedEvent<Event>>> eventsAsync() {")
        .indent()
        .line("return engine.readStreamAsync(NAME + \"-\" + streamId).thenApply(es -> Wire.list(es, e -> Typed.typed(e, Event::from)));")
        .dedent()
        .line("}");
    for q in &m.queries {
        let (params, _names) = query_parts(g, q);
        let ret = g.ty(&q.returns, true);
        let f = camel(&q.name);
        let f = if KEYWORDS.contains(&f.as_str()) {
            f + "_"
        } else {
            f
        };
        let args = if q.params.is_empty() {
            "null".to_string()
        } else {
            "args".to_string()
        };
        let build_args = |o: &mut Out| {
            if !q.params.is_empty() {
                o.line("Map<String, Object> args = new LinkedHashMap<>();");
                for p in &q.params {
                    let ty = g.field_type(p, true);
                    let v = g.encode(&prop(&p.name), &ty, 0);
                    if !p.required {
                        o.line(format!(
                            "if ({} != null) args.put({}, {v});",
                            prop(&p.name),
                            lit(&p.name)
                        ));
                    } else {
                        o.line(format!("args.put({}, {v});", lit(&p.name)));
                    }
                }
            }
        };
        let conv = g.boxed(&g.decode("r", &q.returns, 0), &q.returns);
        o.blank();
        o.block_doc(q.doc.as_deref(), "/**", " * ", " */");
        o.line(format!("public {ret} {f}({params}) {{")).indent();
        build_args(o);
        o.line(format!(
            "Object r = engine.query(NAME, streamId, {}, {args});",
            lit(&q.name)
        ));
        o.line(format!("return {conv};"));
        o.dedent().line("}");
        o.blank();
        o.line(format!(
            "public CompletableFuture<{ret}> {f}Async({params}) {{"
        ))
        .indent();
        build_args(o);
        o.line(format!(
            "return engine.queryAsync(NAME, streamId, {}, {args}).thenApply(r -> {conv});",
            lit(&q.name)
        ));
        o.dedent().line("}");
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The events {@code command} emits on {@code state} (null: the initial state), with no store; or {@link EventfoldException.Rejected}. */");
    o.line("public static List<Event> propose(Domain domain, State state, Command command) {")
        .indent()
        .line("return Wire.list(domain.propose(NAME, state == null ? null : state.toMap(), command.toMap()),")
        .line("        e -> Event.fromMap((String) e.get(\"type\"), (Map<?, ?>) e.get(\"data\")));")
        .dedent()
        .line("}");
    o.blank();
    o.line(
        "/** The state after {@code events}, in order, from the initial state, with no store. */",
    );
    o.line("public static State replay(Domain domain, List<? extends Event> events) {")
        .indent()
        .line("return State.fromMap(domain.replay(NAME, Wire.list(events, Event::toMap)));")
        .dedent()
        .line("}");
}

fn read_side_file(g: &Gen) -> String {
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/** The domain's tables over an {@link Engine}, typed: each read blocks, and has an {@code ...Async} twin. */");
    o.line("public final class ReadSide {").indent();
    o.line("private final Engine engine;");
    o.blank();
    o.line("public ReadSide(Engine engine) {")
        .indent()
        .line("this.engine = Objects.requireNonNull(engine, \"engine\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The domain's tables, by name. */");
    o.line("public static final class Tables {").indent();
    o.line("private Tables() {}");
    for t in &g.schema.tables {
        o.block_doc(t.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "public static final String {} = {};",
            screaming(&t.name),
            lit(&t.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The domain's projections, by name (for {@link Engine#rebuild}, {@link Engine#waitFor}). */");
    o.line("public static final class Projections {").indent();
    o.line("private Projections() {}");
    for p in &g.schema.projections {
        o.block_doc(p.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "public static final String {} = {};",
            screaming(&p.name),
            lit(&p.name)
        ));
    }
    o.dedent().line("}");
    for t in &g.schema.tables {
        let fields = columns(t);
        let row = row_name(&t.name);
        let doc = match &t.doc {
            Some(d) => format!("A row of {{@code {}}}.\n\n{d}", t.name),
            None => format!("A row of {{@code {}}}.", t.name),
        };
        let keys: Vec<&Field> = t
            .key
            .iter()
            .filter_map(|k| fields.iter().find(|f| &f.name == k))
            .collect();
        o.blank();
        g.record(&mut o, Some(&doc), &row, &fields, false, "", &mut |o| {
            g.to_map(o, &fields, false, "toMap", false);
            o.blank();
            g.write_from_map(o, &row, &fields, false);
            o.blank();
            o.line("/** The row's key, in key order (for {@code after}). */");
            let ks: Vec<String> = keys
                .iter()
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            o.line("public List<Object> key() {")
                .indent()
                .line(format!("return Arrays.asList({});", ks.join(", ")))
                .dedent()
                .line("}");
        });
        let f = camel(&t.name);
        o.blank();
        o.line(format!(
            "/** Rows of {{@code {}}} in key order: those whose key starts with {{@code key}} (leading key values, in key order; empty: all), after {{@code after}} (null: from the first), at most {{@code limit}} (null: all). */",
            t.name
        ));
        o.line(format!("public List<{row}> {f}(List<Object> key, {row} after, Integer limit) {{"))
            .indent()
            .line(format!(
                "return Wire.list(engine.rows({}, key, after == null ? null : after.key(), limit), {row}::fromMap);",
                lit(&t.name)
            ))
            .dedent()
            .line("}");
        o.blank();
        o.line(format!("public CompletableFuture<List<{row}>> {f}Async(List<Object> key, {row} after, Integer limit) {{"))
            .indent()
            .line(format!(
                "return engine.rowsAsync({}, key, after == null ? null : after.key(), limit).thenApply(rs -> Wire.list(rs, {row}::fromMap));",
                lit(&t.name)
            ))
            .dedent()
            .line("}");
        // One overload per key prefix: todoRows(), todoRows(listId), ...
        for k in 0..=keys.len() {
            let ps: Vec<String> = keys[..k]
                .iter()
                .map(|f| format!("{} {}", g.ty(&f.ty, false), prop(&f.name)))
                .collect();
            let vs: Vec<String> = keys[..k]
                .iter()
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            let key = format!("Arrays.asList({})", vs.join(", "));
            for (suffix, ret) in [
                ("", format!("List<{row}>")),
                ("Async", format!("CompletableFuture<List<{row}>>")),
            ] {
                o.blank();
                o.line(format!("public {ret} {f}{suffix}({}) {{", ps.join(", ")))
                    .indent()
                    .line(format!("return {f}{suffix}({key}, null, null);"))
                    .dedent()
                    .line("}");
            }
        }
    }
    o.dedent().line("}");
    o.finish()
}

#[cfg(test)]
mod tests {
    use crate::generate::{generate, Lang, Options};
    use crate::{Domain, Source};

    #[test]
    fn todos_in_java() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/todos/todos.model"
        ))
        .unwrap();
        let d = Domain::compile(&[Source::new("todos.model", text)]).unwrap();
        let files = generate(&d, Lang::Java, &Options::default());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "eventfold/generated/Todos.java",
                "eventfold/generated/ReadSide.java",
                "eventfold/generated/Wire.java"
            ]
        );
        let m = &files[0].contents;
        assert!(m.starts_with("// Generated by eventfold "), "{m}");
        for line in [
            "package eventfold.generated;",
            "public final class Todos {",
            "public record Todo(String id, String text, boolean completed) {",
            "public record CreateNew(String id, String text) implements Command {",
            "public record ClearDone() implements Command {",
            "public sealed interface Event permits Created, TextChanged, CompletedChanged, Deleted, DoneCleared {",
            "public record DoneCleared(List<String> ids) implements Event {",
            "DUPLICATE(\"duplicate\"),",
            "public TypedExecuted<Event> createNew(CreateNew command) {",
            "public CompletableFuture<TypedExecuted<Event>> createNewAsync(CreateNew command) {",
            "public Todo getTodo(String id) {",
            "public Long remaining() {",
        ] {
            assert!(m.contains(line), "missing {line:?} in\n{m}");
        }
        let r = &files[1].contents;
        for line in [
            "public record TodoRowsRow(String listId, String id, String text, boolean completed, java.time.Instant doneAt) {",
            "public List<TodoRowsRow> todoRows(String listId) {",
            "public static final String TODO_ROWS = \"todo_rows\";",
        ] {
            assert!(r.contains(line), "missing {line:?} in\n{r}");
        }
        assert_eq!(files, generate(&d, Lang::Java, &Options::default()));
    }
}
