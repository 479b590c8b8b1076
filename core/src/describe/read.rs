//! The read side in `describe` (MODEL-LANGUAGE.md §13): tables with their
//! columns, key and writer, and projections with their mode, the events
//! each handles and the tables each writes.

use serde_json::{json, Value as Json};

use crate::language::readside::ReadSide;

/// Adds `tables` and `projections` to a `describe` object.
pub(crate) fn describe(out: &mut Json, read: &ReadSide) {
    let tables: Vec<Json> = read
        .tables
        .iter()
        .map(|t| {
            let columns: Vec<Json> = t
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({
                        "name": c.name,
                        "type": t.column_types[i],
                        "key": t.is_key(i),
                        "optional": c.ty.is_optional(),
                        "default": c.default.as_ref().map(|d| d.to_json()),
                        "doc": c.doc,
                    })
                })
                .collect();
            json!({
                "name": t.name,
                "doc": t.doc,
                "columns": columns,
                "key": t.key.iter().map(|&k| &*t.columns[k as usize].name).collect::<Vec<_>>(),
                "projection": t.writer,
            })
        })
        .collect();
    let projections: Vec<Json> = read
        .projections
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "mode": p.mode.word(),
                "doc": p.doc,
                "handles": p.handlers.iter()
                    .map(|h| json!({"model": h.model_name, "event": h.event}))
                    .collect::<Vec<_>>(),
                "writes": p.writes.iter()
                    .map(|&t| &*read.tables[t as usize].name)
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    out["tables"] = Json::Array(tables);
    out["projections"] = Json::Array(projections);
}

/// The Markdown of the read side: a section per table and per projection.
pub(crate) fn markdown(describe: &Json) -> String {
    let mut out = String::new();
    let empty = vec![];
    let arr = |j: &Json, k: &str| j[k].as_array().unwrap_or(&empty).clone();
    let text = |j: &Json| j.as_str().unwrap_or("").to_string();
    let doc = |j: &Json| {
        j["doc"]
            .as_str()
            .map(|d| d.replace('\n', " "))
            .unwrap_or_default()
    };
    let tables = arr(describe, "tables");
    if !tables.is_empty() {
        out.push_str("## Tables\n\nMaterialized tables: rows a projection keeps in step with the events, read as ordinary SQL tables.\n\n");
    }
    for t in &tables {
        out.push_str(&format!("### `{}`\n\n", text(&t["name"])));
        if !doc(t).is_empty() {
            out.push_str(&format!("{}\n\n", doc(t)));
        }
        let key: Vec<String> = arr(t, "key")
            .iter()
            .map(|k| format!("`{}`", text(k)))
            .collect();
        out.push_str(&format!(
            "Written by projection `{}`; a row is identified by {}.\n\n",
            text(&t["projection"]),
            key.join(", ")
        ));
        out.push_str("| column | type | key | default | meaning |\n|---|---|---|---|---|\n");
        for c in arr(t, "columns") {
            let default = match &c["default"] {
                Json::Null => String::new(),
                d => format!("`{d}`"),
            };
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {default} | {} |\n",
                text(&c["name"]),
                text(&c["type"]),
                if c["key"] == json!(true) { "key" } else { "" },
                doc(&c)
            ));
        }
        out.push('\n');
    }
    let projections = arr(describe, "projections");
    if !projections.is_empty() {
        out.push_str("## Projections\n\nHow the tables follow the events.\n\n");
    }
    for p in &projections {
        let mode = match p["mode"].as_str() {
            Some("inline") => "inline: in the transaction that stores the events",
            _ => "async: a little behind the events",
        };
        out.push_str(&format!("### `{}` ({mode})\n\n", text(&p["name"])));
        if !doc(p).is_empty() {
            out.push_str(&format!("{}\n\n", doc(p)));
        }
        let handles: Vec<String> = arr(p, "handles")
            .iter()
            .map(|h| format!("`{}.{}`", text(&h["model"]), text(&h["event"])))
            .collect();
        let writes: Vec<String> = arr(p, "writes")
            .iter()
            .map(|t| format!("`{}`", text(t)))
            .collect();
        out.push_str(&format!("- handles: {}\n", handles.join(", ")));
        out.push_str(&format!("- writes: {}\n\n", writes.join(", ")));
    }
    out
}
