//! `eventfold migrate plan|apply|status` (ARCHITECTURE.md "Model changes,
//! live", MODEL-LANGUAGE.md §12): what deploying new model files would do
//! to a store, doing it, and the model versions a store has registered.
//!
//! The engine does the work (`migrate_plan`, `migrate_apply`,
//! `model_versions_json`); this module turns its JSON into text for people.
//! With `--json` the engine's JSON is printed as it gives it. Unlike the
//! read side's listings, the text is printed in a pipe too: a plan is a
//! report to read before a deploy, and scripts ask for `--json`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

use eventfold::store::Store;
use eventfold::{Domain, Engine, Error};
use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

use crate::grid::{cell, Grid};
use crate::plural;

/// How many differing streams a plan shows with their difference, unless
/// `--differences` says otherwise (the engine's own default).
pub const DIFFERENCES: usize = 5;

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: format!("the engine wrote JSON the CLI cannot read: {e}"),
    }
}

fn parse(text: &str) -> Result<Json, Error> {
    serde_json::from_str(text).map_err(internal)
}

/// `eventfold migrate plan`: the plan of moving `engine` (the store's
/// active models) to `next`, as text or the engine's JSON; exit 1 when
/// `migrate apply` would refuse it. With stderr on a terminal the replay
/// shows a progress bar there; in a pipe nothing but the plan is printed.
pub fn plan(
    engine: &Engine,
    next: &Domain,
    differences: usize,
    json: bool,
) -> Result<ExitCode, Error> {
    let terminal = std::io::stderr().is_terminal();
    // Made at the first report, when the number of streams is known.
    let mut bar: Option<indicatif::ProgressBar> = None;
    let plan = engine.migrate_plan_with_progress(next, differences, &mut |done, total| {
        if !terminal {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            indicatif::ProgressBar::new(total).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} replaying with the new model [{bar:40}] {pos}/{len} streams ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            )
        });
        bar.set_length(total);
        bar.set_position(done.min(total));
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let plan = plan?;
    // The very text `migrate_plan_json` gives: it serializes the same plan.
    let text = serde_json::to_string(&plan).map_err(internal)?;
    if json {
        println!("{text}");
    } else {
        print!("{}", render_plan(&parse(&text)?));
    }
    Ok(if plan.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `eventfold migrate apply`: applies the plan of moving to `next` (the
/// engine refuses a blocking one with its first item's error) and says
/// what it did.
/// With stderr on a terminal, a bar there follows its stages: the new
/// snapshots (streams), the projections' shadow tables (positions of the
/// head), then the switch.
pub fn apply(engine: &Engine, next: &Domain, json: bool) -> Result<ExitCode, Error> {
    let terminal = std::io::stderr().is_terminal();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut stage = String::new();
    let applied = engine.migrate_apply_with_progress(next, &mut |now, done, total| {
        if !terminal {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            indicatif::ProgressBar::new(total).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:40}] {pos}/{len} ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            )
        });
        if now != stage {
            stage = now.to_string();
            bar.reset();
            bar.set_message(match now {
                "snapshots" => "building the new snapshots, streams".to_string(),
                "projections" => "building the projections' shadow tables, position".into(),
                "switch" => "switching (writes paused)".into(),
                other => other.to_string(),
            });
        }
        bar.set_length(total);
        bar.set_position(done.min(total));
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // The very text `migrate_apply_json` gives: it serializes the same result.
    let text = serde_json::to_string(&applied?).map_err(internal)?;
    if json {
        println!("{text}");
    } else {
        print!("{}", render_applied(&parse(&text)?));
    }
    Ok(ExitCode::SUCCESS)
}

/// `eventfold migrate status`: every model version registered in the
/// store, by model, oldest first. It reads the registry from the store, as
/// `Engine::model_versions_json` does (the same JSON), without opening an
/// engine: that needs the active models to compile as one domain, and a
/// store that no model has written to yet, or whose models come from
/// several sets of files, has a status too.
pub fn status(store: &dyn Store, json: bool) -> Result<ExitCode, Error> {
    let text = serde_json::to_string(&store.model_versions()?).map_err(internal)?;
    if json {
        println!("{text}");
    } else {
        print!("{}", render_versions(&parse(&text)?));
    }
    Ok(ExitCode::SUCCESS)
}

/// How many hex digits of a revision or fingerprint the text shows (as
/// `git log --oneline` shortens a commit).
const SHORT: usize = 12;

/// A revision or fingerprint shortened for people; null (no version yet)
/// as `(none)`.
fn short(v: &Json) -> String {
    match v.as_str() {
        Some(s) => s.chars().take(SHORT).collect(),
        None if v.is_null() => "(none)".into(),
        None => cell(v),
    }
}

fn list(v: &Json) -> &[Json] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn count(v: &Json) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Rows of cells aligned in columns under no header, each line starting
/// with `indent`; widths count terminal columns.
fn aligned(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; n];
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.width());
        }
    }
    for row in rows {
        let mut line = String::from(indent);
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            line.push_str(&" ".repeat(widths[i].saturating_sub(c.width())));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// `code: message` of a failure the plan lists.
fn failure(item: &Json) -> String {
    format!("{}: {}", cell(&item["code"]), cell(&item["message"]))
}

/// The plan as text: its sections in the order a reviewer reads them, then
/// one line saying whether `migrate apply` would go ahead.
pub fn render_plan(plan: &Json) -> String {
    let mut out = String::new();

    let _ = writeln!(out, "models:");
    let models: Vec<Vec<String>> = list(&plan["models"])
        .iter()
        .map(|m| {
            let change = if m["from"] == m["to"] {
                "unchanged".to_string()
            } else {
                format!("{} → {}", short(&m["from"]), short(&m["to"]))
            };
            let replay = if m["replay"] == true {
                "its streams replay"
            } else {
                "no replay"
            };
            vec![cell(&m["model"]), change, replay.into()]
        })
        .collect();
    section(&mut out, &models);

    let _ = writeln!(out, "language changes:");
    let language: Vec<Vec<String>> = list(&plan["language"])
        .iter()
        .map(|c| {
            vec![
                cell(&c["model"]),
                cell(&c["change"]),
                cell(&c["kind"]),
                cell(&c["name"]),
            ]
        })
        .collect();
    section(&mut out, &language);

    let _ = writeln!(out, "blocking:");
    let blocking: Vec<Vec<String>> = list(&plan["blocking"])
        .iter()
        .map(|b| {
            let events = count(&b["events"]);
            vec![
                cell(&b["model"]),
                format!("{}@{}", cell(&b["type"]), cell(&b["schema"])),
                format!("{events} stored event{}", plural(events as usize)),
                failure(b),
            ]
        })
        .collect();
    section(&mut out, &blocking);

    let replay = &plan["replay"];
    let (streams, events) = (count(&replay["streams"]), count(&replay["events"]));
    let _ = writeln!(
        out,
        "replay: {streams} stream{}, {events} event{}",
        plural(streams as usize),
        plural(events as usize)
    );
    let failed = list(&replay["failed"]);
    let _ = writeln!(
        out,
        "  failed: {}",
        if failed.is_empty() {
            "none".to_string()
        } else {
            failed.len().to_string()
        }
    );
    let rows: Vec<Vec<String>> = failed
        .iter()
        .map(|f| vec![cell(&f["stream"]), failure(f)])
        .collect();
    aligned(&mut out, "    ", &rows);
    let different = count(&replay["different"]);
    let shown = list(&replay["differences"]);
    let _ = write!(
        out,
        "  different: {}",
        if different == 0 {
            "none".to_string()
        } else {
            different.to_string()
        }
    );
    if (shown.len() as u64) < different {
        let _ = write!(out, " ({} shown; --differences N shows more)", shown.len());
    }
    let _ = writeln!(out);
    for d in shown {
        let _ = writeln!(out, "    {}", cell(&d["stream"]));
        for c in list(&d["changes"]) {
            let _ = writeln!(
                out,
                "      {}: {} → {}",
                cell(&c["path"]),
                c.get("before").unwrap_or(&Json::Null),
                c.get("after").unwrap_or(&Json::Null)
            );
        }
    }

    let _ = writeln!(out, "projections to rebuild:");
    let projections: Vec<Vec<String>> = list(&plan["projections"])
        .iter()
        .map(|p| vec![cell(&p["name"]), cell(&p["change"]), projection_rows(p)])
        .collect();
    section(&mut out, &projections);

    let blocking = list(&plan["blocking"]).len();
    if plan["ok"] == true && list(&plan["models"]).is_empty() {
        let _ = writeln!(
            out,
            "ok: the store runs these models already; nothing to apply"
        );
    } else if plan["ok"] == true {
        let _ = writeln!(
            out,
            "ok: `eventfold migrate apply` can switch to these models"
        );
    } else {
        let _ = writeln!(
            out,
            "not ok: {blocking} blocking item{}, {} failing stream{}; `eventfold migrate apply` refuses this plan",
            plural(blocking),
            failed.len(),
            plural(failed.len())
        );
    }
    out
}

/// The rows of a section, or `none`.
/// How a projection's tables would change (`todo_rows: 3 → 2 rows (+0
/// −1 ~0)`), or the error it fails with; empty when the plan says neither.
fn projection_rows(p: &Json) -> String {
    if !p["error"].is_null() {
        return format!("fails: {}", failure(&p["error"]));
    }
    list(&p["tables"])
        .iter()
        .map(|t| {
            format!(
                "{}: {} → {} rows (+{} −{} ~{})",
                cell(&t["table"]),
                t["before"],
                t["after"],
                t["added"],
                t["removed"],
                t["changed"]
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn section(out: &mut String, rows: &[Vec<String>]) {
    if rows.is_empty() {
        let _ = writeln!(out, "  none");
    } else {
        aligned(out, "  ", rows);
    }
}

/// What `migrate apply` did, as text: the models switched, what was built,
/// the whole time and how long writers were held off.
pub fn render_applied(applied: &Json) -> String {
    let mut out = String::new();
    let switched: Vec<Vec<String>> = list(&applied["models"])
        .iter()
        .map(|m| {
            vec![
                cell(&m["model"]),
                format!("{} → {}", short(&m["from"]), short(&m["to"])),
            ]
        })
        .collect();
    let _ = writeln!(out, "switched:");
    section(&mut out, &switched);
    let snapshots = count(&applied["snapshots"]);
    let events = count(&applied["events"]);
    let caught_up = count(&applied["caught_up"]);
    let projections: Vec<String> = list(&applied["projections"]).iter().map(cell).collect();
    let _ = writeln!(
        out,
        "built {snapshots} snapshot{} and rebuilt {}, reading {events} event{}",
        plural(snapshots as usize),
        if projections.is_empty() {
            "no projection".to_string()
        } else {
            format!(
                "projection{} {}",
                plural(projections.len()),
                projections.join(", ")
            )
        },
        plural(events as usize)
    );
    let _ = writeln!(
        out,
        "caught up {caught_up} event{} written meanwhile, to position {}",
        plural(caught_up as usize),
        cell(&applied["position"])
    );
    let _ = writeln!(
        out,
        "done in {:.1} ms; writes paused {:.1} ms",
        applied["millis"].as_f64().unwrap_or(0.0),
        applied["pause_millis"].as_f64().unwrap_or(0.0)
    );
    out
}

/// The registered model versions as a table, the active one of each model
/// marked `*`.
pub fn render_versions(versions: &Json) -> String {
    let versions = list(versions);
    if versions.is_empty() {
        return "(no model versions registered in this store)\n".into();
    }
    let mut g = Grid::new([
        "model",
        "revision",
        "fingerprint",
        "active",
        "registered_at",
        "activated_at",
    ]);
    for v in versions {
        g.push_text(vec![
            cell(&v["model"]),
            short(&v["revision"]),
            short(&v["fingerprint"]),
            if v["active"] == true { "*" } else { "" }.into(),
            cell(&v["registered_at"]),
            cell(&v["activated_at"]),
        ]);
    }
    g.render("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan() -> Json {
        json!({
            "ok": false,
            "models": [{"model": "Todos", "from": "0123456789abcdef0123", "to": "fedcba9876543210fedc", "replay": true}],
            "language": [
                {"model": "Todos", "change": "added", "kind": "event", "name": "created@2"},
                {"model": "Todos", "change": "changed", "kind": "upcast", "name": "created@1"}
            ],
            "blocking": [{"model": "Todos", "type": "todo-added", "schema": 1, "events": 12,
                          "code": "unknown_event", "message": "no upcast"}],
            "replay": {"streams": 200, "events": 1000,
                       "failed": [{"stream": "Todos-a", "code": "evaluation_error", "message": "boom"}],
                       "different": 3,
                       "differences": [{"stream": "Todos-b", "changes": [
                           {"path": "todos.x.priority", "before": null, "after": "normal"}]}]},
            "projections": [{"name": "todo-board", "change": "changed"}]
        })
    }

    #[test]
    fn a_plan_reads_section_by_section() {
        let text = render_plan(&plan());
        let want = "\
models:
  Todos  0123456789ab → fedcba987654  its streams replay
language changes:
  Todos  added    event   created@2
  Todos  changed  upcast  created@1
blocking:
  Todos  todo-added@1  12 stored events  unknown_event: no upcast
replay: 200 streams, 1000 events
  failed: 1
    Todos-a  evaluation_error: boom
  different: 3 (1 shown; --differences N shows more)
    Todos-b
      todos.x.priority: null → \"normal\"
projections to rebuild:
  todo-board  changed
not ok: 1 blocking item, 1 failing stream; `eventfold migrate apply` refuses this plan
";
        assert_eq!(text, want);
    }

    #[test]
    fn a_projection_shows_how_its_rows_would_change_or_why_it_fails() {
        let rows = projection_rows(&json!({"name": "p", "change": "changed", "tables": [
            {"table": "t", "before": 3, "after": 2, "added": 0, "removed": 1, "changed": 0}]}));
        assert_eq!(rows, "t: 3 → 2 rows (+0 −1 ~0)");
        let fails = projection_rows(&json!({"name": "p", "change": "new",
            "error": {"code": "evaluation_error", "message": "boom"}}));
        assert_eq!(fails, "fails: evaluation_error: boom");
        assert_eq!(
            projection_rows(&json!({"name": "p", "change": "removed"})),
            ""
        );
    }

    #[test]
    fn an_empty_ok_plan_says_none_and_ok() {
        let text = render_plan(&json!({
            "ok": true,
            "models": [{"model": "Todos", "from": null, "to": "fedcba9876543210", "replay": false}],
            "language": [], "blocking": [],
            "replay": {"streams": 0, "events": 0, "failed": [], "different": 0, "differences": []},
            "projections": []
        }));
        assert!(
            text.contains("Todos  (none) → fedcba987654  no replay"),
            "{text}"
        );
        assert!(text.contains("blocking:\n  none\n"), "{text}");
        assert!(
            text.contains("  failed: none\n  different: none\n"),
            "{text}"
        );
        assert!(text.ends_with("ok: `eventfold migrate apply` can switch to these models\n"));
    }

    #[test]
    fn applied_reports_the_pause() {
        let text = render_applied(&json!({
            "models": [{"model": "Todos", "from": "0123456789abcdef", "to": "fedcba9876543210"}],
            "snapshots": 200, "projections": ["todo-board"], "events": 1000,
            "caught_up": 3, "position": 1003, "millis": 812.44, "pause_millis": 4.2
        }));
        assert_eq!(
            text,
            "switched:\n  Todos  0123456789ab → fedcba987654\n\
             built 200 snapshots and rebuilt projection todo-board, reading 1000 events\n\
             caught up 3 events written meanwhile, to position 1003\n\
             done in 812.4 ms; writes paused 4.2 ms\n"
        );
    }

    #[test]
    fn versions_mark_the_active_one() {
        let text = render_versions(&json!([
            {"model": "Todos", "revision": "0123456789abcdef", "fingerprint": "aaaabbbbccccdddd",
             "active": false, "registered_at": "2026-12-01T10:00:00Z", "activated_at": "2026-12-01T10:00:00Z"},
            {"model": "Todos", "revision": "fedcba9876543210", "fingerprint": "1111222233334444",
             "active": true, "registered_at": "2026-12-01T11:00:00Z", "activated_at": "2026-12-01T11:05:00Z"}
        ]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "model  revision      fingerprint   active  registered_at         activated_at"
        );
        assert!(lines[2].starts_with("Todos  0123456789ab  aaaabbbbcccc          2026"));
        assert!(lines[3].starts_with("Todos  fedcba987654  111122223333  *       2026"));
        assert_eq!(
            render_versions(&json!([])),
            "(no model versions registered in this store)\n"
        );
    }
}
