//! The read side on the command line (MODEL-LANGUAGE.md §13, ARCHITECTURE.md
//! "Projections and tables", "Subscriptions"): `tables`, `rows`,
//! `projections`, `rebuild`, `subscriptions` and `parked`.
//!
//! Each listing is an aligned table when stdout is a terminal and JSON
//! Lines (one object a line, as the engine writes it) in a pipe, or
//! always with `--json`. The engine does the work; this module only turns
//! arguments into the verbs' options and their JSON into lines.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use eventfold::{Engine, Error};
use serde_json::value::RawValue;
use serde_json::{json, Value as Json};

use crate::grid::{cell, Grid};
use crate::term::{self, Layout};

/// Rows asked of the engine per call while paging through a table.
const PAGE: usize = 1000;

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: format!("the engine wrote JSON the CLI cannot read: {e}"),
    }
}

fn parse(text: &str) -> Result<Json, Error> {
    serde_json::from_str(text).map_err(internal)
}

/// The elements of a JSON array as the engine wrote them, byte for byte.
fn elements(text: &str) -> Result<Vec<&RawValue>, Error> {
    serde_json::from_str(text).map_err(internal)
}

/// Writes one line; `false` once the reader of stdout has gone away (a
/// closed pipe ends a listing quietly, as `head` expects).
fn put(out: &mut impl Write, line: &str) -> bool {
    writeln!(out, "{line}").is_ok()
}

/// The table's entry of `describe` (columns with their types, key,
/// projection), if the domain has that table.
fn described(engine: &Engine, table: &str) -> Option<Json> {
    let d = engine.domain().describe();
    d["tables"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == table)
        .cloned()
}

/// The SQL a store holds its tables in: what `tables` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sql {
    /// SQLite's, and the memory store's (which keeps rows as SQLite would).
    Sqlite,
    Postgres,
}

impl Sql {
    /// The SQL of the store at `url`.
    pub fn of(url: &str) -> Sql {
        if eventfold::store::is_postgres(url) {
            Sql::Postgres
        } else {
            Sql::Sqlite
        }
    }

    fn name(self) -> &'static str {
        match self {
            Sql::Sqlite => "SQLite",
            Sql::Postgres => "PostgreSQL",
        }
    }
}

/// How many rows a table has, paging so no more than a page is held.
fn count_rows(engine: &Engine, table: &str, key: &[String]) -> Result<u64, Error> {
    let mut n = 0u64;
    let mut after: Option<Json> = None;
    loop {
        let mut options = json!({"limit": PAGE});
        if let Some(a) = &after {
            options["after"] = a.clone();
        }
        let page = parse(&engine.rows_json(table, Some(&options.to_string()))?)?;
        let page = page.as_array().cloned().unwrap_or_default();
        n += page.len() as u64;
        if page.len() < PAGE {
            return Ok(n);
        }
        after = page.last().map(|row| key_of(row, key));
    }
}

/// The whole key of a row object: its key columns' values, in key order.
fn key_of(row: &Json, key: &[String]) -> Json {
    Json::Array(key.iter().map(|k| row[k.as_str()].clone()).collect())
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `eventfold tables`: each table with its columns (model and SQL types,
/// SQLite's or PostgreSQL's), key, projection and row count.
pub fn tables(engine: &Engine, json_out: bool, url: &str) -> Result<(), Error> {
    let sql = Sql::of(url);
    let domain = engine.domain();
    let d = domain.describe();
    let modes: Vec<(String, String)> = d["projections"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap_or("").to_string(),
                        p["mode"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let tables = d["tables"].as_array().cloned().unwrap_or_default();
    if tables.is_empty() && !json_out {
        println!("(no tables in this domain)");
    }
    for (i, t) in tables.iter().enumerate() {
        let name = t["name"].as_str().unwrap_or("");
        let key = strings(&t["key"]);
        let rows = count_rows(engine, name, &key)?;
        let projection = t["projection"].as_str().unwrap_or("");
        let mode = modes
            .iter()
            .find(|(p, _)| p == projection)
            .map(|(_, m)| m.as_str())
            .unwrap_or("");
        // The store's own mapping of each column's type (§13).
        let sql_types = eventfold::store::column_sql_types(url, &domain, name).unwrap_or_default();
        let columns: Vec<Json> = t["columns"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let ty = c["type"].as_str().unwrap_or("");
                json!({
                    "name": c["name"],
                    "type": ty,
                    "sql_type": sql_types.get(i).copied().unwrap_or(""),
                    "key": c["key"],
                    "optional": c["optional"],
                    "default": c["default"],
                })
            })
            .collect();
        if json_out {
            let line = json!({
                "name": name,
                "projection": projection,
                "mode": mode,
                "key": key,
                "columns": columns,
                "rows": rows,
            });
            if !put(&mut out, &line.to_string()) {
                return Ok(());
            }
            continue;
        }
        if i > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "{name}: {rows} row{}, key ({}), written by {projection} ({mode})",
            crate::plural(rows as usize),
            key.join(", ")
        );
        let mut g =
            Grid::new(["column", "type", sql.name(), "key", "default"]).painted(term::stdout());
        for c in &columns {
            let sql = if c["optional"] == true {
                c["sql_type"].as_str().unwrap_or("").to_string()
            } else {
                format!("{} NOT NULL", c["sql_type"].as_str().unwrap_or(""))
            };
            let default = match &c["default"] {
                Json::Null => String::new(),
                v => v.to_string(),
            };
            g.push_text(vec![
                cell(&c["name"]),
                cell(&c["type"]),
                sql,
                if c["key"] == true {
                    "key".into()
                } else {
                    "".into()
                },
                default,
            ]);
        }
        let _ = write!(out, "{}", g.render("  "));
    }
    Ok(())
}

/// A key value typed for its column: the command line gives text, so an
/// `int` column's value is read as an integer and a `bool` column's as a
/// bool; anything else is a string (timestamps and enum members are
/// written as strings too). Text that is not of the column's type goes on
/// as a string, and the engine says what is wrong with it at its path.
fn key_value(text: &str, ty: Option<&str>) -> Json {
    match ty {
        Some("int") => text
            .parse::<i64>()
            .map_or_else(|_| json!(text), |n| json!(n)),
        Some("bool") => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        _ => json!(text),
    }
}

/// What `rows` was asked for.
#[derive(Debug)]
pub struct RowsArgs<'a> {
    pub table: &'a str,
    pub key: &'a [String],
    pub after: &'a [String],
    pub limit: Option<usize>,
    pub layout: Layout,
}

/// `eventfold rows`: the rows of a table in key order, paged from the
/// engine a thousand at a time (so a pipe starts at once and memory stays
/// flat); a terminal gets them as one aligned table.
pub fn rows(engine: &Engine, a: &RowsArgs<'_>) -> Result<(), Error> {
    let t = described(engine, a.table);
    let key_columns: Vec<String> = t.as_ref().map(|t| strings(&t["key"])).unwrap_or_default();
    let key_types: Vec<Option<String>> = key_columns
        .iter()
        .map(|k| {
            t.as_ref()?["columns"]
                .as_array()?
                .iter()
                .find(|c| c["name"] == k.as_str())
                .and_then(|c| c["type"].as_str().map(str::to_string))
        })
        .collect();
    let typed = |values: &[String]| -> Json {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| key_value(v, key_types.get(i).and_then(|t| t.as_deref())))
            .collect()
    };
    let prefix = typed(a.key);
    let mut after = (!a.after.is_empty()).then(|| typed(a.after));
    let mut left = a.limit;
    let json_out = a.layout.json_lines();
    let mut out = std::io::stdout().lock();
    let mut grid: Option<Grid> = None;
    loop {
        let page_size = left.map_or(PAGE, |l| l.min(PAGE));
        let mut options = json!({"key": prefix, "limit": page_size});
        if let Some(after) = &after {
            options["after"] = after.clone();
        }
        let text = engine.rows_json(a.table, Some(&options.to_string()))?;
        let page = elements(&text)?;
        if json_out {
            for row in &page {
                if !put(&mut out, row.get()) {
                    return Ok(());
                }
            }
            let _ = out.flush();
        }
        let last = page.last().map(|r| parse(r.get())).transpose()?;
        if !json_out {
            for row in &page {
                let row = parse(row.get())?;
                let g = grid.get_or_insert_with(|| {
                    Grid::new(row.as_object().into_iter().flat_map(|o| o.keys().cloned()))
                        .painted(term::stdout())
                });
                g.push_json(row.as_object().into_iter().flat_map(|o| o.values()));
            }
        }
        let got = page.len();
        left = left.map(|l| l - got);
        if got < page_size || left == Some(0) {
            break;
        }
        after = last.map(|row| key_of(&row, &key_columns));
    }
    if !json_out {
        match grid {
            Some(g) => {
                let _ = write!(out, "{}", g.render(""));
                let _ = writeln!(out, "({} row{})", g.len(), crate::plural(g.len()));
            }
            None => {
                let _ = writeln!(out, "(no rows)");
            }
        }
    }
    Ok(())
}

/// `eventfold projections`: each projection's mode, status, position, lag,
/// parked events and error.
pub fn projections(engine: &Engine, layout: Layout) -> Result<(), Error> {
    let text = engine.projections_json()?;
    let mut out = std::io::stdout().lock();
    if layout.json_lines() {
        for p in elements(&text)? {
            if !put(&mut out, p.get()) {
                break;
            }
        }
        return Ok(());
    }
    let list = parse(&text)?;
    let list = list.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        let _ = writeln!(out, "(no projections in this domain)");
        return Ok(());
    }
    let mut g = Grid::new([
        "projection",
        "mode",
        "status",
        "position",
        "lag",
        "parked",
        "error",
    ])
    .painted(term::stdout());
    for p in &list {
        let mut status = cell(&p["status"]);
        if let Some(r) = p["rebuild"].as_object() {
            status = format!(
                "{status} ({} of {})",
                cell(&r["position"]).trim(),
                cell(&r["head"]).trim()
            );
        }
        let error = match &p["error"] {
            Json::Null => String::new(),
            e => format!(
                "{} at position {}: {}",
                cell(&e["code"]),
                cell(&e["position"]),
                cell(&e["message"])
            ),
        };
        g.push_text(vec![
            cell(&p["name"]),
            cell(&p["mode"]),
            status,
            cell(&p["position"]),
            cell(&p["lag"]),
            cell(&p["parked"]),
            error,
        ]);
    }
    let _ = write!(out, "{}", g.render(""));
    Ok(())
}

/// `eventfold rebuild`: rebuilds a projection from the first event, with a
/// progress bar on a terminal (stderr) and a plain line per tenth in a
/// pipe; then what it did.
pub fn rebuild(engine: &Engine, projection: &str, json: bool) -> Result<(), Error> {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    // Made at the first report, when the head (its length) is known.
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut tenths_told = None;
    let done = engine.rebuild_with_progress(projection, &mut |reached, head| {
        if terminal {
            let bar = bar.get_or_insert_with(|| {
                indicatif::ProgressBar::new(head).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} rebuilding {msg} [{bar:40}] position {pos}/{len} ({per_sec}, {eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                )
                .with_message(projection.to_string())
            });
            bar.set_length(head);
            bar.set_position(reached.min(head));
            return;
        }
        // A line at each tenth of the way (and the first), not per batch.
        let tenth = (reached * 10).checked_div(head).unwrap_or(10);
        if tenths_told != Some(tenth) {
            tenths_told = Some(tenth);
            eprintln!("rebuilding {projection}: position {reached} of {head}");
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if json || !std::io::stdout().is_terminal() {
        let line = json!({
            "projection": done.projection,
            "position": done.position,
            "events": done.events,
            "millis": done.millis,
            "pause_millis": done.pause_millis,
        });
        println!("{line}");
    } else {
        println!(
            "rebuilt {} from {} event{} to position {} in {:.2?} (writes paused {:.1} ms for the swap)",
            done.projection,
            done.events,
            crate::plural(done.events as usize),
            done.position,
            started.elapsed(),
            done.pause_millis
        );
    }
    Ok(())
}

/// `eventfold subscriptions`: names, checkpoints, lag, parked events,
/// filters and whether a consumer holds one now.
pub fn subscriptions(engine: &Engine, layout: Layout) -> Result<(), Error> {
    let text = engine.subscriptions_json()?;
    let mut out = std::io::stdout().lock();
    if layout.json_lines() {
        for s in elements(&text)? {
            if !put(&mut out, s.get()) {
                break;
            }
        }
        return Ok(());
    }
    let list = parse(&text)?;
    let list = list.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        let _ = writeln!(out, "(no subscriptions in this store)");
        return Ok(());
    }
    let filter = |v: &Json| {
        let names = strings(v);
        if names.is_empty() {
            "all".to_string()
        } else {
            names.join(",")
        }
    };
    let mut g = Grid::new([
        "subscription",
        "checkpoint",
        "lag",
        "parked",
        "active",
        "models",
        "types",
    ])
    .painted(term::stdout());
    for s in &list {
        g.push_text(vec![
            cell(&s["name"]),
            cell(&s["checkpoint"]),
            cell(&s["lag"]),
            cell(&s["parked"]),
            if s["active"] == true { "yes" } else { "no" }.into(),
            filter(&s["models"]),
            filter(&s["types"]),
        ]);
    }
    let _ = write!(out, "{}", g.render(""));
    Ok(())
}

/// `eventfold parked NAME`: the events a subscription or projection set
/// aside, oldest first.
pub fn parked(engine: &Engine, name: &str, layout: Layout) -> Result<(), Error> {
    let text = engine.parked_json(name)?;
    let mut out = std::io::stdout().lock();
    if layout.json_lines() {
        for p in elements(&text)? {
            if !put(&mut out, p.get()) {
                break;
            }
        }
        return Ok(());
    }
    let list = parse(&text)?;
    let list = list.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        let _ = writeln!(out, "(nothing parked under {name})");
        return Ok(());
    }
    let mut g = Grid::new([
        "position",
        "stream",
        "version",
        "type",
        "parked_at",
        "reason",
    ])
    .painted(term::stdout());
    for p in &list {
        let e = &p["event"];
        g.push_text(vec![
            cell(&p["position"]),
            cell(&e["stream"]),
            cell(&e["version"]),
            cell(&e["type"]),
            cell(&p["parked_at"]),
            cell(&p["reason"]),
        ]);
    }
    let _ = write!(out, "{}", g.render(""));
    let _ = writeln!(
        out,
        "({} parked event{})",
        list.len(),
        crate::plural(list.len())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_of_a_store_url() {
        assert_eq!(Sql::of("postgresql://u@h/db"), Sql::Postgres);
        assert_eq!(Sql::of("sqlite:app.db"), Sql::Sqlite);
    }

    #[test]
    fn key_values_take_their_column_type() {
        assert_eq!(key_value("42", Some("int")), json!(42));
        assert_eq!(key_value("4x", Some("int")), json!("4x"));
        assert_eq!(key_value("true", Some("bool")), json!(true));
        assert_eq!(key_value("42", Some("string")), json!("42"));
        assert_eq!(key_value("x", None), json!("x"));
    }
}
