//! What a plan shows of a change: the ubiquitous language's differences
//! (from `describe`), and the difference between two folded states.

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// One declaration added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageChange {
    pub model: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// `model`, `state`, `record`, `enum`, `command`, `event`, `upcast`,
    /// `query` or `invariant`.
    pub kind: &'static str,
    /// Its name; an event's or upcast's with its version, `created@2`.
    pub name: String,
}

/// One value that differs between two states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChange {
    /// Dotted, from the state's top: `todos.a1.priority`.
    pub path: String,
    pub before: Json,
    pub after: Json,
}

/// The sections of a described model, each keyed by name, and what kind of
/// declaration it holds.
const SECTIONS: &[(&str, &str)] = &[
    ("records", "record"),
    ("enums", "enum"),
    ("commands", "command"),
    ("events", "event"),
    ("upcasts", "upcast"),
    ("queries", "query"),
    ("invariants", "invariant"),
];

/// The differences between two described models (`describe`'s entries),
/// docs left out: they are not the language.
pub(crate) fn language(model: &str, old: Option<&Json>, new: &Json) -> Vec<LanguageChange> {
    let change = |change, kind, name: String| LanguageChange {
        model: model.to_string(),
        change,
        kind,
        name,
    };
    let Some(old) = old else {
        return vec![change("added", "model", model.to_string())];
    };
    let mut out = Vec::new();
    if undoc(&old["state"]) != undoc(&new["state"]) {
        out.push(change("changed", "state", "state".into()));
    }
    for (section, kind) in SECTIONS {
        let before = keyed(&old[*section]);
        let after = keyed(&new[*section]);
        for (name, item) in &after {
            match before.iter().find(|(n, _)| n == name) {
                None => out.push(change("added", kind, name.clone())),
                Some((_, was)) if undoc(was) != undoc(item) => {
                    out.push(change("changed", kind, name.clone()))
                }
                Some(_) => {}
            }
        }
        for (name, _) in &before {
            if !after.iter().any(|(n, _)| n == name) {
                out.push(change("removed", kind, name.clone()));
            }
        }
    }
    out
}

/// The items of a section by name (`name@version` for versioned ones,
/// an invariant by its text).
fn keyed(section: &Json) -> Vec<(String, &Json)> {
    section
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let name = match (i.get("name").and_then(Json::as_str), i.get("version")) {
                        (Some(n), Some(v)) => format!("{n}@{v}"),
                        (Some(n), None) => n.to_string(),
                        (None, _) => i
                            .get("text")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    };
                    (name, i)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A described item without its docs, at any depth.
fn undoc(v: &Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != "doc")
                .map(|(k, v)| (k.clone(), undoc(v)))
                .collect::<Map<_, _>>(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(undoc).collect()),
        other => other.clone(),
    }
}

/// Where two states differ, at most `max` places, objects compared key by
/// key and anything else whole.
pub(crate) fn states(before: &Json, after: &Json, max: usize) -> Vec<StateChange> {
    let mut out = Vec::new();
    walk(String::new(), before, after, max, &mut out);
    out
}

fn walk(path: String, before: &Json, after: &Json, max: usize, out: &mut Vec<StateChange>) {
    if out.len() >= max || before == after {
        return;
    }
    if let (Json::Object(b), Json::Object(a)) = (before, after) {
        let at = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        for (k, bv) in b {
            walk(at(k), bv, a.get(k).unwrap_or(&Json::Null), max, out);
        }
        for (k, av) in a {
            if !b.contains_key(k) {
                walk(at(k), &Json::Null, av, max, out);
            }
        }
        return;
    }
    out.push(StateChange {
        path,
        before: before.clone(),
        after: after.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_name_each_differing_place() {
        let before = json!({"todos": {"a": {"text": "x", "done": false}}, "n": 1});
        let after =
            json!({"todos": {"a": {"text": "x", "done": false, "priority": "normal"}}, "n": 2});
        let got = states(&before, &after, 10);
        assert_eq!(
            got,
            vec![
                StateChange {
                    path: "todos.a.priority".into(),
                    before: Json::Null,
                    after: json!("normal")
                },
                StateChange {
                    path: "n".into(),
                    before: json!(1),
                    after: json!(2)
                },
            ]
        );
        assert_eq!(states(&before, &after, 1).len(), 1);
        assert!(states(&before, &before, 10).is_empty());
    }

    #[test]
    fn language_leaves_docs_out_and_keys_versions() {
        let old = json!({"state": [], "events": [{"name": "created", "version": 1, "doc": "a"}],
                         "commands": [{"name": "add", "doc": "x"}]});
        let new = json!({"state": [], "events": [{"name": "created", "version": 2}],
                         "upcasts": [{"name": "created", "version": 1}],
                         "commands": [{"name": "add", "doc": "y"}]});
        let got: Vec<(&str, &str, String)> = language("T", Some(&old), &new)
            .into_iter()
            .map(|c| (c.change, c.kind, c.name))
            .collect();
        assert_eq!(
            got,
            vec![
                ("added", "event", "created@2".to_string()),
                ("removed", "event", "created@1".to_string()),
                ("added", "upcast", "created@1".to_string()),
            ]
        );
        assert_eq!(language("T", None, &new)[0].kind, "model");
    }
}
