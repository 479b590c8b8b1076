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
use super::schema::{EventSchema, Field, ModelSchema, QuerySchema, Ty};
use super::{banner, File, Options, Out, Schema};

mod model;
mod read_side;
#[cfg(test)]
mod tests;

use model::*;
use read_side::*;

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
        if input {
            f.input_ty()
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
