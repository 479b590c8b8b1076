//! The `projection` case (scenarios README, "Version 1 cases"): `given`
//! folded through `project` onto `tables`, compared with `rows` or
//! `then.error`. A mismatch is told as a diff: which tables and rows (by
//! key) differ, and in which columns.

use serde_json::Value as Json;

use super::{describe_error, same, Outcome};
use crate::Domain;

pub(super) fn projection_case(domain: &Domain, case: &Json) -> Outcome {
    let name = case["projection"].as_str().unwrap_or_default();
    let given = case
        .get("given")
        .cloned()
        .unwrap_or(Json::Array(Vec::new()));
    let tables = case.get("tables");
    let want_error = &case["then"]["error"];
    let got = match domain.project(name, &given, tables) {
        Ok(rows) => rows,
        Err(e) => {
            if want_error.is_null() {
                return Err((format!("rows {}", case["rows"]), describe_error(&e)));
            }
            let mut ok = want_error["code"] == e.code();
            if let Some(path) = want_error.get("path") {
                ok &= e.to_json().get("path") == Some(path);
            }
            return if ok {
                Ok(())
            } else {
                Err((format!("error {want_error}"), describe_error(&e)))
            };
        }
    };
    if !want_error.is_null() {
        return Err((format!("error {want_error}"), format!("rows {got}")));
    }
    let want = &case["rows"];
    if same(&got, want) {
        return Ok(());
    }
    Err((format!("rows {want}"), diff(domain, want, &got)))
}

/// What differs between the expected and the actual tables, line by line.
pub(crate) fn diff(domain: &Domain, want: &Json, got: &Json) -> String {
    let mut out = Vec::new();
    let empty = serde_json::Map::new();
    let (w, g) = (
        want.as_object().unwrap_or(&empty),
        got.as_object().unwrap_or(&empty),
    );
    for (table, rows) in w {
        let Some(got_rows) = g.get(table) else {
            out.push(format!(
                "table {table}: expected, but project did not return it"
            ));
            continue;
        };
        let key = domain.table_key(table).unwrap_or_default();
        let key_of = |row: &Json| -> String {
            let parts: Vec<String> = key.iter().map(|k| row[k].to_string()).collect();
            format!("[{}]", parts.join(", "))
        };
        let empty_rows = Vec::new();
        let want_rows = rows.as_array().unwrap_or(&empty_rows);
        let got_rows = got_rows.as_array().unwrap_or(&empty_rows);
        for wr in want_rows {
            let k = key_of(wr);
            match got_rows.iter().find(|gr| key_of(gr) == k) {
                None => out.push(format!("table {table}: row {k} is missing")),
                Some(gr) if !same(wr, gr) => {
                    let mut cols = Vec::new();
                    let wobj = wr.as_object().unwrap_or(&empty);
                    let gobj = gr.as_object().unwrap_or(&empty);
                    for (c, wv) in wobj {
                        match gobj.get(c) {
                            Some(gv) if same(wv, gv) => {}
                            Some(gv) => cols.push(format!("{c}: expected {wv}, got {gv}")),
                            None => cols.push(format!("{c}: expected {wv}, got no such column")),
                        }
                    }
                    for c in gobj.keys().filter(|c| !wobj.contains_key(*c)) {
                        cols.push(format!("{c}: not expected, got {}", gobj[c]));
                    }
                    out.push(format!("table {table}: row {k}: {}", cols.join("; ")));
                }
                Some(_) => {}
            }
        }
        for gr in got_rows {
            let k = key_of(gr);
            if !want_rows.iter().any(|wr| key_of(wr) == k) {
                out.push(format!("table {table}: row {k} is not expected: {gr}"));
            }
        }
        let order = |rows: &[Json]| rows.iter().map(&key_of).collect::<Vec<_>>();
        if out.is_empty() && order(want_rows) != order(got_rows) {
            out.push(format!(
                "table {table}: rows in the order {}, expected {}",
                order(got_rows).join(" "),
                order(want_rows).join(" ")
            ));
        }
    }
    for table in g.keys().filter(|t| !w.contains_key(*t)) {
        out.push(format!("table {table}: not expected, got {}", g[table]));
    }
    if out.is_empty() {
        out.push(format!("rows {got}"));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;
    use serde_json::json;

    #[test]
    fn a_diff_names_the_table_the_row_by_key_and_the_columns() {
        let d = Domain::compile(&[Source::new(
            "m.model",
            "model M {\n  event e(id: string) {\n  }\n}\n\ntable t {\n  key id: string\n  n: int = 0\n  s: string = \"\"\n}\n\nprojection p inline {\n  on M.e {\n    upsert t(id)\n  }\n}\n",
        )])
        .unwrap();
        let want = json!({"t": [{"id": "a", "n": 1, "s": ""}, {"id": "b", "n": 0, "s": ""}]});
        let got = json!({"t": [{"id": "a", "n": 2, "s": ""}, {"id": "c", "n": 0, "s": ""}]});
        let text = diff(&d, &want, &got);
        assert!(text.contains("row [\"a\"]: n: expected 1, got 2"), "{text}");
        assert!(text.contains("row [\"b\"] is missing"), "{text}");
        assert!(text.contains("row [\"c\"] is not expected"), "{text}");
    }
}
