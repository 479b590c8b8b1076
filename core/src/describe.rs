//! The ubiquitous language of a domain, as data (`describe`) and as a
//! Markdown glossary a team can keep in its wiki.

use serde_json::{json, Value as Json};

use crate::language::ir::{Handler, Model};
use crate::types::{FieldType, Types};

pub(crate) mod read;

pub(crate) fn describe(models: &[Model]) -> Json {
    json!({
        "models": models.iter().map(model).collect::<Vec<_>>(),
        // The time zone data the calendar reads (§14), the same in every
        // binding: a zone's rules change between releases.
        "tzdb": crate::language::calendar::tzdb_release(),
    })
}

fn model(m: &Model) -> Json {
    let types = &m.types;
    let invariant_rejections: Vec<Json> = m
        .invariants
        .iter()
        .map(|i| json!({"reason": "invariant", "message": i.text}))
        .collect();
    json!({
        "name": m.name,
        "doc": m.doc,
        "state": fields(&m.state_fields, types),
        "records": types.records.iter()
            // The last record is the state's own.
            .take(types.records.len().saturating_sub(1))
            .map(|r| json!({"name": r.shape.name, "doc": r.doc, "fields": fields(&r.fields, types)}))
            .collect::<Vec<_>>(),
        "enums": types.enums.iter().map(|e| json!({
            "name": e.name,
            "doc": e.doc,
            "members": e.members.iter().zip(&e.member_docs)
                .map(|(m, d)| json!({"name": m, "doc": d}))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "commands": m.commands.iter().map(|c| command(c, types, &invariant_rejections)).collect::<Vec<_>>(),
        "events": m.events.iter().map(|e| json!({
            "name": e.name,
            "version": e.version,
            "doc": e.doc,
            "fields": fields(&e.params, types),
        })).collect::<Vec<_>>(),
        "upcasts": m.upcasts.iter().map(|u| json!({
            "name": u.handler.name,
            "version": u.handler.version,
            "doc": u.handler.doc,
            "fields": fields(&u.handler.params, types),
            "emits": u.emits.iter()
                .map(|(name, version)| json!({"name": name, "version": version}))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "queries": m.queries.iter().map(|q| json!({
            "name": q.name,
            "doc": q.doc,
            "params": fields(&q.params, types),
            "returns": q.ty.display(types).to_string(),
        })).collect::<Vec<_>>(),
        "invariants": m.invariants.iter().map(|i| json!({"text": i.text, "doc": i.doc})).collect::<Vec<_>>(),
    })
}

fn command(c: &Handler, types: &Types, invariants: &[Json]) -> Json {
    let mut rejections: Vec<Json> = c
        .rejections
        .iter()
        .map(|(reason, message)| json!({"reason": reason, "message": message}))
        .collect();
    rejections.extend(invariants.iter().cloned());
    json!({
        "name": c.name,
        "doc": c.doc,
        "params": fields(&c.params, types),
        "emits": c.emits,
        "rejections": rejections,
    })
}

fn fields(fields: &[FieldType], types: &Types) -> Vec<Json> {
    fields
        .iter()
        .map(|f| {
            let mut out = json!({
                "name": f.name,
                "type": f.ty.display(types).to_string(),
                "required": !f.may_be_omitted(),
            });
            if let Some(d) = &f.default {
                out["default"] = d.to_json();
            }
            out["doc"] = json!(f.doc);
            out
        })
        .collect()
}

/// An event's name, with `@N` when it is past version 1 (§12).
fn versioned(e: &Json) -> String {
    let name = e["name"].as_str().unwrap_or("");
    match e["version"].as_u64() {
        Some(v) if v > 1 => format!("{name}@{v}"),
        _ => name.to_string(),
    }
}

/// A readable glossary: one section per model, a table per kind of member.
pub(crate) fn markdown(describe: &Json) -> String {
    let mut out = String::from("# Domain glossary\n\n");
    let empty = vec![];
    let arr = |j: &Json, k: &str| j[k].as_array().unwrap_or(&empty).clone();
    let text = |j: &Json| j.as_str().unwrap_or("").to_string();
    let doc = |j: &Json| {
        j["doc"]
            .as_str()
            .map(|d| d.replace('\n', " "))
            .unwrap_or_default()
    };
    for m in arr(describe, "models") {
        out.push_str(&format!("## {}\n\n", text(&m["name"])));
        if let Some(d) = m["doc"].as_str() {
            out.push_str(&format!("{d}\n\n"));
        }
        let params = |fields: &[Json]| -> String {
            fields
                .iter()
                .map(|f| {
                    let mut p = format!("`{}: {}`", text(&f["name"]), text(&f["type"]));
                    if let Some(d) = f.get("default") {
                        p.push_str(&format!(" (default `{d}`)"));
                    }
                    p
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let state = arr(&m, "state");
        if !state.is_empty() {
            out.push_str("### State\n\n| field | type | meaning |\n|---|---|---|\n");
            for f in &state {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    text(&f["name"]),
                    text(&f["type"]),
                    doc(f)
                ));
            }
            out.push('\n');
        }
        let records = arr(&m, "records");
        let enums = arr(&m, "enums");
        if !records.is_empty() || !enums.is_empty() {
            out.push_str("### Types\n\n");
            let lead = |j: &Json| match doc(j) {
                d if d.is_empty() => String::new(),
                d => format!(" — {d}"),
            };
            for r in &records {
                let fields = params(&arr(r, "fields"));
                out.push_str(&format!(
                    "- **{}**{}: a record of {fields}.\n",
                    text(&r["name"]),
                    lead(r)
                ));
            }
            for e in &enums {
                let members: Vec<String> = arr(e, "members")
                    .iter()
                    .map(|x| format!("`{}`", text(&x["name"])))
                    .collect();
                out.push_str(&format!(
                    "- **{}**{}: one of {}.\n",
                    text(&e["name"]),
                    lead(e),
                    members.join(", ")
                ));
            }
            out.push('\n');
        }
        let commands = arr(&m, "commands");
        if !commands.is_empty() {
            out.push_str("### Commands\n\nWhat can be asked of it.\n\n");
            for c in &commands {
                out.push_str(&format!("#### `{}`\n\n", text(&c["name"])));
                if !doc(c).is_empty() {
                    out.push_str(&format!("{}\n\n", doc(c)));
                }
                let p = arr(c, "params");
                out.push_str(&format!(
                    "- takes: {}\n",
                    if p.is_empty() {
                        "nothing".into()
                    } else {
                        params(&p)
                    }
                ));
                let emits: Vec<String> = arr(c, "emits")
                    .iter()
                    .map(|e| format!("`{}`", text(e)))
                    .collect();
                out.push_str(&format!(
                    "- may record: {}\n",
                    if emits.is_empty() {
                        "nothing".into()
                    } else {
                        emits.join(", ")
                    }
                ));
                for r in arr(c, "rejections") {
                    let reason = r["reason"].as_str().unwrap_or("(no reason)");
                    out.push_str(&format!(
                        "- may refuse with `{reason}`: “{}”\n",
                        text(&r["message"])
                    ));
                }
                out.push('\n');
            }
        }
        let events = arr(&m, "events");
        if !events.is_empty() {
            out.push_str("### Events\n\nWhat happened to it.\n\n| event | fields | meaning |\n|---|---|---|\n");
            for e in &events {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    versioned(e),
                    params(&arr(e, "fields")),
                    doc(e)
                ));
            }
            out.push('\n');
        }
        let upcasts = arr(&m, "upcasts");
        if !upcasts.is_empty() {
            out.push_str("### Upcasts\n\nHow events stored in an older shape read now.\n\n| stored as | fields | reads as | meaning |\n|---|---|---|---|\n");
            for u in &upcasts {
                let emits: Vec<String> = arr(u, "emits")
                    .iter()
                    .map(|e| format!("`{}@{}`", text(&e["name"]), e["version"]))
                    .collect();
                out.push_str(&format!(
                    "| `{}@{}` | {} | {} | {} |\n",
                    text(&u["name"]),
                    u["version"],
                    params(&arr(u, "fields")),
                    if emits.is_empty() {
                        "no event".into()
                    } else {
                        emits.join(", ")
                    },
                    doc(u)
                ));
            }
            out.push('\n');
        }
        let queries = arr(&m, "queries");
        if !queries.is_empty() {
            out.push_str("### Queries\n\nWhat can be asked about it.\n\n| query | takes | returns | meaning |\n|---|---|---|---|\n");
            for q in &queries {
                out.push_str(&format!(
                    "| `{}` | {} | `{}` | {} |\n",
                    text(&q["name"]),
                    params(&arr(q, "params")),
                    text(&q["returns"]),
                    doc(q)
                ));
            }
            out.push('\n');
        }
        let invariants = arr(&m, "invariants");
        if !invariants.is_empty() {
            out.push_str("### Invariants\n\nAlways true after every command.\n\n");
            for i in &invariants {
                out.push_str(&format!("- {}\n", text(&i["text"])));
            }
            out.push('\n');
        }
    }
    if let Some(release) = describe["tzdb"].as_str() {
        out.push_str(&format!(
            "Time zones are read from release {release} of the IANA time zone database, built in.\n"
        ));
    }
    out.push_str(&read::markdown(describe));
    out
}
