//! `tables.py`: the rows, keys and a typed read of each table, the
//! projections' names, and `__init__.py`.

use super::*;

fn row_class(t: &TableSchema) -> String {
    let p = pascal(&t.name);
    let base = match p.strip_suffix('s') {
        Some(b) if !b.ends_with('s') && !b.is_empty() => b.to_string(),
        _ => p.clone(),
    };
    if base.ends_with("Row") {
        base
    } else {
        format!("{base}Row")
    }
}

fn column_field(c: &Column) -> Field {
    Field {
        name: c.name.clone(),
        ty: c.ty.clone(),
        required: true,
        default: None,
        doc: c.doc.clone(),
    }
}

pub(super) fn tables_module(schema: &Schema) -> (String, Vec<String>) {
    let mut o = Out::new("    ");
    header(&mut o, "The tables of the read side (their rows, keys and a typed read of each) and the projections that write them.");
    o.line("from typing import Any, Dict, List, Literal, Mapping, NoReturn, Optional, Sequence, Tuple, TypedDict, Union, cast");
    o.blank();
    o.line("import eventfold");
    let mut models: Vec<String> = Vec::new();
    for t in &schema.tables {
        for c in &t.columns {
            collect_models(&c.ty, &mut models);
        }
    }
    models.sort();
    models.dedup();
    if !models.is_empty() {
        o.blank();
        for m in &models {
            o.line(format!("from . import {}", module_name(m)));
        }
    }
    o.blank();
    let mut all: Vec<String> = Vec::new();
    let ctx = Ctx::Tables;
    let projections: Vec<String> = schema.projections.iter().map(|p| p.name.clone()).collect();
    o.line(format!("ProjectionName = {}", literal(&projections)));
    let mut doc = String::from("The projections of the domain.");
    for p in &schema.projections {
        doc.push_str(&format!(
            "\n\n- ``{}`` ({}, writes {}){}",
            p.name,
            p.mode,
            p.writes.join(", "),
            p.doc
                .as_ref()
                .map(|d| format!(": {}", d.replace('\n', " ")))
                .unwrap_or_default()
        ));
    }
    docstring(&mut o, Some(&doc));
    o.line(format!(
        "TableName = {}",
        literal(
            &schema
                .tables
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
        )
    ));
    o.line("\"\"\"The tables of the domain.\"\"\"");
    o.blank().blank();
    all.extend(["ProjectionName".to_string(), "TableName".to_string()]);
    for t in &schema.tables {
        let row = row_class(t);
        let p = pascal(&t.name);
        let fields: Vec<Field> = t.columns.iter().map(column_field).collect();
        let mut doc = t
            .doc
            .clone()
            .unwrap_or_else(|| format!("A row of `{}`.", t.name));
        doc.push_str(&format!(
            "\n\nA row of `{}`: every column, an optional one as None. Key: {}.",
            t.name,
            t.key.join(", ")
        ));
        typed_dict(&mut o, &row, Some(&doc), &fields, ctx, false);
        let key_types: Vec<String> = t
            .key
            .iter()
            .filter_map(|k| t.columns.iter().find(|c| &c.name == k))
            .map(|c| ty(&c.ty, ctx, false))
            .collect();
        let key = format!("{p}Key");
        o.line(format!(
            "{key} = Tuple[{}]",
            if key_types.is_empty() {
                "()".to_string()
            } else {
                key_types.join(", ")
            }
        ));
        o.line(format!(
            "\"\"\"A whole key of `{}`: {}.\"\"\"",
            t.name,
            t.key.join(", ")
        ));
        let mut prefixes: Vec<String> = vec!["None".into()];
        if let Some(first) = key_types.first() {
            prefixes.push(first.clone());
        }
        for i in 1..=key_types.len() {
            prefixes.push(format!("Tuple[{}]", key_types[..i].join(", ")));
        }
        let prefix = format!("{p}KeyPrefix");
        o.line(format!("{prefix} = Union[{}]", prefixes.join(", ")));
        o.line(format!(
            "\"\"\"A prefix of a key of `{}`: one value, or a tuple of the first values (None: every row).\"\"\"",
            t.name
        ));
        o.blank().blank();
        all.extend([row.clone(), key.clone(), prefix.clone()]);
        for is_async in [false, true] {
            let (class, engine, asy, aw) = if is_async {
                (
                    format!("Async{p}Table"),
                    "eventfold.AsyncEngine",
                    "async ",
                    "await ",
                )
            } else {
                (format!("{p}Table"), "eventfold.Engine", "", "")
            };
            o.line(format!("class {class}:")).indent();
            docstring(
                &mut o,
                Some(&format!(
                    "The table `{}` of an ``{engine}``, written by {}.",
                    t.name,
                    t.projection
                        .as_deref()
                        .map(|p| format!("the projection `{p}`"))
                        .unwrap_or_else(|| "no projection".into())
                )),
            );
            o.blank();
            o.line(format!("NAME = {}", lit(&t.name)));
            o.line("__slots__ = (\"engine\",)");
            o.blank();
            o.line(format!("def __init__(self, engine: {engine}) -> None:"))
                .indent();
            o.line("self.engine = engine").dedent().blank();
            o.line(format!(
                "{asy}def rows(self, key: {prefix} = None, *, after: Optional[{key}] = None, limit: Optional[int] = None) -> List[{row}]:"
            ))
            .indent();
            docstring(&mut o, Some("The rows in key order; ``key``: a prefix of the key; ``after``: a whole key, the rows after it; ``limit``: at most that many."));
            o.line("prefix: Any = list(key) if isinstance(key, tuple) else key");
            o.line(format!(
                "return cast(List[{row}], {aw}self.engine.rows(self.NAME, prefix, None if after is None else list(after), limit))"
            ))
            .dedent()
            .blank();
            o.line(format!(
                "{asy}def get(self, key: {key}) -> Optional[{row}]:"
            ))
            .indent();
            o.line("\"\"\"The row with this whole key, or None.\"\"\"");
            o.line(format!("rows = {aw}self.rows(key, limit=1)"));
            o.line("return rows[0] if rows else None").dedent();
            o.dedent().blank().blank();
            all.push(class);
        }
    }
    for is_async in [false, true] {
        let (class, engine, prefix) = if is_async {
            ("AsyncTables", "eventfold.AsyncEngine", "Async")
        } else {
            ("Tables", "eventfold.Engine", "")
        };
        o.line(format!("class {class}:")).indent();
        docstring(
            &mut o,
            Some(&format!(
                "Every table of the domain over an ``{engine}``, one attribute each."
            )),
        );
        o.blank();
        let slots: Vec<String> = schema
            .tables
            .iter()
            .map(|t| lit(&method(&t.name)))
            .collect();
        o.line(format!(
            "__slots__ = ({}{})",
            slots.join(", "),
            if slots.len() == 1 { "," } else { "" }
        ));
        o.blank();
        o.line(format!("def __init__(self, engine: {engine}) -> None:"))
            .indent();
        for t in &schema.tables {
            o.line(format!(
                "self.{} = {prefix}{}Table(engine)",
                method(&t.name),
                pascal(&t.name)
            ));
        }
        if schema.tables.is_empty() {
            o.line("pass");
        }
        o.dedent().dedent().blank().blank();
        all.push(class.to_string());
    }
    o.line("__all__ = [").indent();
    for a in &all {
        o.line(format!("{},", lit(a)));
    }
    o.dedent().line("]");
    (o.finish(), all)
}

fn collect_models(t: &Ty, out: &mut Vec<String>) {
    match t {
        Ty::Record { model, .. } | Ty::Enum { model, .. } if !model.is_empty() => {
            out.push(model.clone())
        }
        Ty::List { item: inner } | Ty::Map { value: inner } | Ty::Optional { inner } => {
            collect_models(inner, out)
        }
        _ => {}
    }
}

pub(super) fn init_module(schema: &Schema, exports: &[(String, Vec<String>)]) -> String {
    let mut o = Out::new("    ");
    let models: Vec<String> = schema
        .models
        .iter()
        .map(|m| format!("`{}`", m.name))
        .collect();
    header(
        &mut o,
        &format!(
            "Typed definitions and facades of the models {} over the ``eventfold`` package.\n\nEach model has its module; every name only one module defines is here too.",
            models.join(", ")
        ),
    );
    let mut all = Vec::new();
    for (module, names) in exports {
        let unique: Vec<&String> = names
            .iter()
            .filter(|n| exports.iter().filter(|(_, ns)| ns.contains(n)).count() == 1)
            .collect();
        o.line(format!("from . import {module}"));
        all.push(module.clone());
        if unique.is_empty() {
            continue;
        }
        o.line(format!("from .{module} import (")).indent();
        for n in &unique {
            o.line(format!("{n} as {n},"));
            all.push(n.to_string());
        }
        o.dedent().line(")");
    }
    o.blank();
    o.line("__all__ = [").indent();
    for a in &all {
        o.line(format!("{},", lit(a)));
    }
    o.dedent().line("]");
    o.finish()
}
