//! `--lang c`: one header of constants, the names a C program passes to
//! the C ABI (`include/eventfold.h`) and compares what it reads against:
//! models, commands and their params, events and their fields and
//! versions, queries, rejection reasons, enum members, tables and their
//! columns, projections. No structs: a C caller builds and reads JSON
//! itself (with jansson, say), and these names keep its string literals
//! in one checked place. A misspelt constant is a compile error; a
//! misspelt literal was a runtime `unknown_command`.
//!
//! Every constant is a `#define` of a string literal (or an integer for a
//! version), prefixed with `--package` in screaming case when given, so
//! the header is valid C89 through C23 and C++ alike and costs nothing
//! when unused.

use super::names::{pascal, screaming};
use super::schema::{Field, ModelSchema, Ty};
use super::{banner, File, Options, Out, Schema};

pub(super) fn emit(schema: &Schema, options: &Options) -> Vec<File> {
    let prefix = match options.package.as_deref() {
        Some(p) if !p.is_empty() => format!("{}_", screaming(p)),
        _ => String::new(),
    };
    let stem = match (options.package.as_deref(), schema.models.as_slice()) {
        (Some(p), _) if !p.is_empty() => super::names::snake(p),
        (_, [one]) => super::names::snake(&one.name),
        _ => "domain".to_string(),
    };
    let guard = format!("EVENTFOLD_GENERATED_{}_H", screaming(&stem));
    let mut o = Out::new("  ");
    o.line(format!("/* {} */", banner()));
    o.line("/*");
    o.line(" * Names of the domain for the C ABI (include/eventfold.h): pass them");
    o.line(" * as command and query names, JSON keys and table names, and compare");
    o.line(" * event types and rejection reasons against them.");
    o.line(" */");
    o.line(format!("#ifndef {guard}"));
    o.line(format!("#define {guard}"));
    for m in &schema.models {
        model(&mut o, &prefix, m);
    }
    if !schema.tables.is_empty() || !schema.projections.is_empty() {
        o.blank();
        o.line("/* The read side. */");
    }
    for t in &schema.tables {
        o.blank();
        let name = format!("{prefix}TABLE_{}", screaming(&t.name));
        o.block_doc(t.doc.as_deref(), "/**", " * ", " */");
        define(&mut o, &name, &t.name);
        for c in &t.columns {
            let what = if c.key { "key column" } else { "column" };
            let doc = match &c.doc {
                Some(d) => format!("{d}\n({what}, {})", ty(&c.ty)),
                None => format!("{} {what}, {}.", t.name, ty(&c.ty)),
            };
            o.block_doc(Some(&doc), "/**", " * ", " */");
            define(
                &mut o,
                &format!("{name}_COL_{}", screaming(&c.name)),
                &c.name,
            );
        }
    }
    for p in &schema.projections {
        o.blank();
        let mut doc = p.doc.clone().unwrap_or_default();
        if !doc.is_empty() {
            doc.push('\n');
        }
        doc.push_str(&format!("({}; writes {})", p.mode, p.writes.join(", ")));
        o.block_doc(Some(&doc), "/**", " * ", " */");
        define(
            &mut o,
            &format!("{prefix}PROJECTION_{}", screaming(&p.name)),
            &p.name,
        );
    }
    o.blank();
    o.line(format!("#endif /* {guard} */"));
    vec![File {
        path: format!("{stem}.h"),
        contents: o.finish(),
    }]
}

fn model(o: &mut Out, prefix: &str, m: &ModelSchema) {
    let p = format!("{prefix}{}", screaming(&m.name));
    o.blank();
    o.line(format!("/* Model {} */", m.name));
    o.block_doc(m.doc.as_deref(), "/**", " * ", " */");
    define(o, &format!("{p}_MODEL"), &m.name);
    for f in &m.state {
        field_doc(o, f, "state field");
        define(o, &format!("{p}_STATE_F_{}", screaming(&f.name)), &f.name);
    }
    for r in &m.records {
        o.blank();
        o.block_doc(r.doc.as_deref(), "/**", " * ", " */");
        let name = format!("{p}_RECORD_{}", screaming(&r.name));
        define(o, &name, &r.name);
        for f in &r.fields {
            field_doc(o, f, "field");
            define(o, &format!("{name}_F_{}", screaming(&f.name)), &f.name);
        }
    }
    for e in &m.enums {
        o.blank();
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = format!("{p}_ENUM_{}", screaming(&e.name));
        define(o, &name, &e.name);
        for mem in &e.members {
            o.block_doc(mem.doc.as_deref(), "/**", " * ", " */");
            define(o, &format!("{name}_{}", screaming(&mem.name)), &mem.name);
        }
    }
    for c in &m.commands {
        o.blank();
        let mut doc = c.doc.clone().unwrap_or_default();
        let reasons = c.reasons();
        let mut extra = Vec::new();
        if !c.emits.is_empty() {
            extra.push(format!("Emits {}.", c.emits.join(", ")));
        }
        if !reasons.is_empty() {
            extra.push(format!(
                "May reject with {}.",
                reasons
                    .iter()
                    .map(|r| format!("{p}_REASON_{}", screaming(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !extra.is_empty() {
            if !doc.is_empty() {
                doc.push('\n');
            }
            doc.push_str(&extra.join("\n"));
        }
        o.block_doc(
            Some(&doc).filter(|d| !d.is_empty()).map(|d| d.as_str()),
            "/**",
            " * ",
            " */",
        );
        let name = format!("{p}_CMD_{}", screaming(&c.name));
        define(o, &name, &c.name);
        for f in &c.params {
            field_doc(o, f, "param");
            define(o, &format!("{name}_F_{}", screaming(&f.name)), &f.name);
        }
    }
    for e in &m.events {
        o.blank();
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = format!("{p}_EVENT_{}", screaming(&e.name));
        define(o, &name, &e.name);
        o.line(format!("#define {name}_VERSION {}", e.version));
        for f in &e.fields {
            field_doc(o, f, "field");
            define(o, &format!("{name}_F_{}", screaming(&f.name)), &f.name);
        }
    }
    for q in &m.queries {
        o.blank();
        let doc = match &q.doc {
            Some(d) => format!("{d}\n(returns {})", ty(&q.returns)),
            None => format!("Returns {}.", ty(&q.returns)),
        };
        o.block_doc(Some(&doc), "/**", " * ", " */");
        let name = format!("{p}_QUERY_{}", screaming(&q.name));
        define(o, &name, &q.name);
        for f in &q.params {
            field_doc(o, f, "param");
            define(o, &format!("{name}_F_{}", screaming(&f.name)), &f.name);
        }
    }
    let reasons = m.reasons();
    if !reasons.is_empty() {
        o.blank();
        o.line(format!(
            "/* The reasons a {} command may reject with (`reason` of a rejected error). */",
            m.name
        ));
        for r in reasons {
            define(o, &format!("{p}_REASON_{}", screaming(r)), r);
        }
    }
}

fn field_doc(o: &mut Out, f: &Field, what: &str) {
    let mut tail = format!("{what}, {}", ty(&f.ty));
    if !f.required {
        tail.push_str(", may be left out");
    }
    let doc = match &f.doc {
        Some(d) => format!("{d}\n({tail})"),
        None => format!("`{}`: {tail}.", f.name),
    };
    o.block_doc(Some(&doc), "/**", " * ", " */");
}

fn define(o: &mut Out, name: &str, value: &str) {
    o.line(format!("#define {name} \"{}\"", c_string(value)));
}

/// Model names are identifiers and never need escaping; this is the guard.
fn c_string(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
        }
    }
    out
}

/// The type as the model writes it, for doc comments.
fn ty(t: &Ty) -> String {
    match t {
        Ty::String => "string".into(),
        Ty::Int => "int".into(),
        Ty::Float => "float".into(),
        Ty::Bool => "bool".into(),
        Ty::Timestamp => "timestamp (RFC 3339 text)".into(),
        Ty::Duration => "duration (text like 1h30m)".into(),
        Ty::List { item } => format!("list<{}>", ty(item)),
        Ty::Map { value } => format!("map<string, {}>", ty(value)),
        Ty::Record { name, .. } => pascal(name),
        Ty::Enum { name, .. } => pascal(name),
        Ty::Optional { inner } => format!("{}?", ty(inner)),
        Ty::Json => "JSON".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Domain;

    fn todos() -> Domain {
        let text = include_str!("../../../examples/todos/todos.model");
        Domain::compile(&[crate::Source::new("todos.model", text)]).expect("todos compiles")
    }

    #[test]
    fn todos_header_has_names_and_reasons() {
        let files = super::super::generate(&todos(), super::super::Lang::C, &Options::default());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "todos.h");
        let h = &files[0].contents;
        assert!(h.starts_with("/* Generated by eventfold"));
        for want in [
            "#ifndef EVENTFOLD_GENERATED_TODOS_H",
            "#define TODOS_MODEL \"Todos\"",
            " * Put a new todo on the list.",
            "#define TODOS_CMD_CREATE_NEW \"create-new\"",
            "#define TODOS_CMD_CHANGE_TEXT_F_NEW_TEXT \"new_text\"",
            "#define TODOS_EVENT_CREATED \"created\"",
            "#define TODOS_EVENT_CREATED_VERSION 1",
            "#define TODOS_QUERY_ALL_TODOS \"all-todos\"",
            "#define TODOS_REASON_DUPLICATE \"duplicate\"",
            "#define TODOS_REASON_MISSING \"missing\"",
            "#define TABLE_TODO_ROWS \"todo_rows\"",
            "#define TABLE_TODO_ROWS_COL_DONE_AT \"done_at\"",
            "#define PROJECTION_TODO_BOARD \"todo-board\"",
            "May reject with TODOS_REASON_DUPLICATE, TODOS_REASON_BLANK.",
        ] {
            assert!(h.contains(want), "missing {want} in\n{h}");
        }
        assert!(h.ends_with("#endif /* EVENTFOLD_GENERATED_TODOS_H */\n"));
        // Same input, same bytes.
        let again = super::super::generate(&todos(), super::super::Lang::C, &Options::default());
        assert_eq!(files, again);
    }

    #[test]
    fn package_prefixes_every_name() {
        let opts = Options {
            package: Some("app".into()),
        };
        let files = super::super::generate(&todos(), super::super::Lang::C, &opts);
        assert_eq!(files[0].path, "app.h");
        let h = &files[0].contents;
        assert!(h.contains("#define APP_TODOS_CMD_DELETE \"delete\""));
        assert!(h.contains("#define APP_TABLE_TODO_ROWS \"todo_rows\""));
        assert!(!h.contains("#define TODOS_"));
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(c_string("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(c_string("é"), "\\303\\251");
    }
}
