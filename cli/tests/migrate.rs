//! `eventfold migrate plan|apply|status` as a user runs them, on a SQLite
//! store written by a first model version: the next version reads the
//! stored events through an upcast (and plans, applies, becomes active);
//! a version without that upcast blocks, and apply refuses it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value as Json};

const STORE: &str = "sqlite:app.db";

/// The first version: a note has an id and a text.
const V1: &str = r#"/// Notes, as first deployed.
model Notes {
  state {
    /// Every note, by id.
    notes: map<string, Note>
  }

  /// One note.
  record Note {
    id: string
    text: string
  }

  /// Write a note.
  command add(id: string, text: string) {
    emit created(id, text)
  }

  /// A note was written.
  event created(id: string, text: string) {
    set notes[id] = Note{id, text}
  }
}
"#;

/// The second: a note has a priority; notes stored before read as normal.
const V2: &str = r#"/// Notes with a priority.
model Notes {
  state {
    /// Every note, by id.
    notes: map<string, Note>
  }

  /// One note.
  record Note {
    id: string
    text: string
    priority: string
  }

  /// Write a note.
  command add(id: string, text: string) {
    emit created(id, text, priority: "high")
  }

  /// A note was written.
  event created@2(id: string, text: string, priority: string) {
    set notes[id] = Note{id, text, priority}
  }

  /// Notes stored before priorities.
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: "normal")
  }
}
"#;

/// The second without its upcast: the stored `created@1` is unreadable.
fn v3() -> String {
    let start = V2.find("  /// Notes stored before").unwrap();
    format!("{}\n}}\n", V2[..start].trim_end_matches('\n'))
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A folder with the three model files and a store written by v1: the
/// notes `a`, `b` and `c`, one stream each.
fn store(name: &str) -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "eventfold-cli-migrate-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("v1.model"), V1).unwrap();
    std::fs::write(dir.join("v2.model"), V2).unwrap();
    std::fs::write(dir.join("v3.model"), v3()).unwrap();
    for id in ["a", "b", "c"] {
        let cmd = json!({"type": "add", "data": {"id": id, "text": format!("note {id}")}});
        ok(
            &dir,
            &[
                "exec",
                "--store",
                STORE,
                "-m",
                "v1.model",
                "Notes",
                id,
                &cmd.to_string(),
            ],
        );
    }
    Dir(dir)
}

fn eventfold(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventfold"))
        .args(args)
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"").unwrap();
    child.wait_with_output().unwrap()
}

/// Runs a command that must succeed; its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = eventfold(dir, args);
    assert!(
        out.status.success(),
        "eventfold {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must exit 1; its output.
fn exits_1(dir: &Path, args: &[&str]) -> Output {
    let out = eventfold(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "eventfold {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn parse(text: &str) -> Json {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn migrate<'a>(verb: &'a str, model: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["migrate", verb, "--store", STORE, "-m", model];
    args.extend(more);
    args
}

/// The registered versions, as `migrate status --json` prints them.
fn versions(dir: &Path) -> Vec<Json> {
    let out = ok(dir, &["migrate", "status", "--store", STORE, "--json"]);
    parse(&out).as_array().cloned().unwrap()
}

/// The revision of the active version of Notes.
fn active(dir: &Path) -> String {
    let active: Vec<Json> = versions(dir)
        .into_iter()
        .filter(|v| v["model"] == "Notes" && v["active"] == true)
        .collect();
    assert_eq!(active.len(), 1, "one active version of Notes: {active:?}");
    active[0]["revision"].as_str().unwrap().to_string()
}

#[test]
fn plan_shows_the_upcast_difference_as_text_and_json_and_registers_nothing() {
    let dir = store("plan");
    let v1 = active(&dir.0);
    assert_eq!(versions(&dir.0).len(), 1);

    let plan = parse(&ok(&dir.0, &migrate("plan", "v2.model", &["--json"])));
    assert_eq!(plan["ok"], true, "{plan}");
    let models = plan["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{plan}");
    assert_eq!(models[0]["model"], "Notes");
    assert_eq!(models[0]["from"], v1.as_str());
    let v2 = models[0]["to"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    assert!(
        plan["language"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "upcast" && c["change"] == "added"),
        "the upcast is a language change: {plan}"
    );
    assert_eq!(plan["blocking"], json!([]));
    let replay = &plan["replay"];
    assert_eq!(replay["streams"], 3, "{plan}");
    assert_eq!(replay["events"], 3, "{plan}");
    assert_eq!(replay["failed"], json!([]));
    // Each note gains its priority through the upcast.
    assert_eq!(replay["different"], 3, "{plan}");
    let differences = replay["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 3, "fewer than the default five: {plan}");
    for d in differences {
        let id = d["stream"]
            .as_str()
            .unwrap()
            .strip_prefix("Notes-")
            .unwrap();
        assert!(
            d["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["path"] == format!("notes.{id}.priority")
                    && c["before"].is_null()
                    && c["after"] == "normal"),
            "{d}"
        );
    }

    let text = ok(&dir.0, &migrate("plan", "v2.model", &[]));
    let short = |rev: &str| rev[..12].to_string();
    for want in [
        "models:\n".to_string(),
        format!("  Notes  {} → {}", short(&v1), short(&v2)),
        "language changes:\n".into(),
        "blocking:\n  none\n".into(),
        "replay: 3 streams, 3 events\n  failed: none\n  different: 3\n".into(),
        "    Notes-a\n".into(),
        "      notes.a.priority: null → \"normal\"\n".into(),
        "projections to rebuild:\n  none\n".into(),
    ] {
        assert!(text.contains(&want), "{want:?} not in\n{text}");
    }
    assert!(text.ends_with("ok: `eventfold migrate apply` can switch to these models\n"));

    // A plan opens the store's active model, not the new files: v1 is
    // still the one version, and active.
    assert_eq!(versions(&dir.0).len(), 1);
    assert_eq!(active(&dir.0), v1);
}

#[test]
fn differences_caps_the_streams_shown_and_apply_json_reports() {
    let dir = store("cap");
    let plan = parse(&ok(
        &dir.0,
        &migrate("plan", "v2.model", &["--json", "--differences", "1"]),
    ));
    assert_eq!(plan["replay"]["different"], 3, "{plan}");
    assert_eq!(
        plan["replay"]["differences"].as_array().unwrap().len(),
        1,
        "{plan}"
    );
    let text = ok(
        &dir.0,
        &migrate("plan", "v2.model", &["--differences", "1"]),
    );
    assert!(
        text.contains("  different: 3 (1 shown; --differences N shows more)\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("priority: null → \"normal\"").count(),
        1,
        "{text}"
    );
    let none = ok(
        &dir.0,
        &migrate("plan", "v2.model", &["--differences", "0"]),
    );
    assert!(!none.contains("priority:"), "{none}");

    let applied = parse(&ok(&dir.0, &migrate("apply", "v2.model", &["--json"])));
    let models = applied["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{applied}");
    assert_eq!(models[0]["to"], plan["models"][0]["to"], "{applied}");
    assert_eq!(models[0]["from"], plan["models"][0]["from"], "{applied}");
    assert_eq!(applied["events"], 3, "{applied}");
    assert!(applied["pause_millis"].is_number(), "{applied}");
    assert_eq!(active(&dir.0), plan["models"][0]["to"].as_str().unwrap());
}

#[test]
fn apply_switches_to_v2_and_status_shows_it_active() {
    let dir = store("apply");
    let v1 = active(&dir.0);
    let text = ok(&dir.0, &migrate("apply", "v2.model", &[]));
    assert!(text.starts_with("switched:\n  Notes  "), "{text}");
    assert!(text.contains(&format!("{} → ", &v1[..12])), "{text}");
    assert!(
        text.contains("\nbuilt 3 snapshots and rebuilt no projection, reading 3 events\n"),
        "{text}"
    );
    assert!(text.contains("ms; writes paused "), "{text}");

    let all = versions(&dir.0);
    assert_eq!(all.len(), 2, "{all:?}");
    let old = all.iter().find(|v| v["revision"] == v1.as_str()).unwrap();
    assert_eq!(old["active"], false, "{all:?}");
    let v2 = active(&dir.0);
    assert_ne!(v2, v1);
    let new = all.iter().find(|v| v["revision"] == v2.as_str()).unwrap();
    assert!(new["activated_at"].is_string(), "{new}");

    let status = ok(&dir.0, &["migrate", "status", "--store", STORE]);
    let lines: Vec<&str> = status.lines().collect();
    assert!(lines[0].starts_with("model  revision"), "{status}");
    let row = |rev: &str| {
        *lines
            .iter()
            .find(|l| l.contains(&rev[..12]))
            .unwrap_or_else(|| panic!("{rev} not in\n{status}"))
    };
    assert!(row(&v2).contains(" * "), "{status}");
    assert!(!row(&v1).contains(" * "), "{status}");

    // Planned again, the same files change nothing.
    let again = ok(&dir.0, &migrate("plan", "v2.model", &[]));
    assert!(again.starts_with("models:\n  none\n"), "{again}");
    assert!(
        again.ends_with("ok: the store runs these models already; nothing to apply\n"),
        "{again}"
    );

    // The store now reads as v2 does, and v1 can no longer write.
    let state = parse(&ok(
        &dir.0,
        &["state", "--store", STORE, "-m", "v2.model", "Notes", "a"],
    ));
    assert_eq!(
        state["state"]["notes"]["a"]["priority"], "normal",
        "{state}"
    );
    let cmd = json!({"type": "add", "data": {"id": "d", "text": "late"}}).to_string();
    let late = exits_1(
        &dir.0,
        &[
            "exec", "--store", STORE, "-m", "v1.model", "Notes", "d", &cmd,
        ],
    );
    let err = parse(&String::from_utf8_lossy(&late.stderr));
    assert_eq!(err["code"], "model_changed", "{err}");
}

#[test]
fn a_blocking_plan_exits_1_and_apply_refuses_it_leaving_v1_active() {
    let dir = store("blocking");
    let v1 = active(&dir.0);

    let out = exits_1(&dir.0, &migrate("plan", "v3.model", &["--json"]));
    let plan = parse(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(plan["ok"], false, "{plan}");
    let blocking = plan["blocking"].as_array().unwrap();
    assert_eq!(blocking.len(), 1, "{plan}");
    assert_eq!(blocking[0]["code"], "unknown_event");
    assert_eq!(blocking[0]["type"], "created");
    assert_eq!(blocking[0]["schema"], 1);
    assert_eq!(blocking[0]["events"], 3);

    let out = exits_1(&dir.0, &migrate("plan", "v3.model", &[]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("blocking:\n  Notes  created@1  3 stored events  unknown_event: "),
        "{text}"
    );
    assert!(
        text.ends_with(
            "not ok: 1 blocking item, 0 failing streams; `eventfold migrate apply` refuses this plan\n"
        ),
        "{text}"
    );

    let out = exits_1(&dir.0, &migrate("apply", "v3.model", &[]));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // In a pipe the CLI writes its error as JSON.
    let err = parse(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(err["code"], "unknown_event", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("migrate apply refused:"),
        "{err}"
    );
    assert_eq!(active(&dir.0), v1);
    // v1 still writes.
    let cmd = json!({"type": "add", "data": {"id": "d", "text": "later"}}).to_string();
    ok(
        &dir.0,
        &[
            "exec", "--store", STORE, "-m", "v1.model", "Notes", "d", &cmd,
        ],
    );
}

#[test]
fn status_of_a_store_no_model_wrote_to_is_empty() {
    let dir = store("empty");
    let empty = "sqlite:empty.db";
    // A file that does not exist is no store: status says so, makes none.
    let out = exits_1(&dir.0, &["migrate", "status", "--store", empty]);
    let err = parse(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(err["kind"], "unavailable", "{err}");
    assert!(!dir.0.join("empty.db").exists());
    // A store made, and no model written to it.
    let path = dir.0.join("empty.db");
    drop(eventfold::store::open(&format!("sqlite:{}", path.display())).unwrap());
    let json = ok(&dir.0, &["migrate", "status", "--store", empty, "--json"]);
    assert_eq!(parse(&json), json!([]));
    let text = ok(&dir.0, &["migrate", "status", "--store", empty]);
    assert_eq!(text, "(no model versions registered in this store)\n");
    // A plan needs the store's active models to compare with.
    let out = exits_1(
        &dir.0,
        &["migrate", "plan", "--store", empty, "-m", "v2.model"],
    );
    let err = parse(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(err["code"], "store_error", "{err}");
}

/// Runs `args` with stdout and stderr on a terminal (`script` makes one);
/// `None` where there is no `script`.
fn on_a_terminal(dir: &Path, args: &[&str]) -> Option<(i32, String)> {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_eventfold"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let out = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(dir)
        .env_remove("EVENTFOLD_STORE")
        // The text, not its colour (people.rs tests the colour).
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    Some((out.status.code().unwrap_or(-1), text))
}

#[test]
fn on_a_terminal_plan_and_apply_show_their_progress_then_the_same_text() {
    let dir = store("terminal");
    let Some((code, shown)) = on_a_terminal(&dir.0, &migrate("plan", "v2.model", &[])) else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("replaying with the new model"), "{shown}");
    let text = ok(&dir.0, &migrate("plan", "v2.model", &[]));
    let from = shown.find("models:\n").unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(&shown[from..], text);
    // Apply shows its stages, then what it did.
    let (code, shown) = on_a_terminal(&dir.0, &migrate("apply", "v2.model", &[])).unwrap();
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("building the new snapshots"), "{shown}");
    let from = shown
        .find("switched:\n")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        shown[from..].contains("\nbuilt 3 snapshots and rebuilt no projection, reading 3 events\n"),
        "{shown}"
    );
    // The blocking plan exits 1 there too, and apply's error is for people.
    let (code, _) = on_a_terminal(&dir.0, &migrate("plan", "v3.model", &[])).unwrap();
    assert_eq!(code, 1);
    let (code, err) = on_a_terminal(&dir.0, &migrate("apply", "v3.model", &[])).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("error[unknown_event]: migrate apply refused:"),
        "{err}"
    );
}

#[test]
fn a_look_with_new_files_reads_through_them_and_deploys_nothing() {
    let dir = store("look");
    let v1 = active(&dir.0);
    let state = parse(&ok(
        &dir.0,
        &["state", "--store", STORE, "-m", "v2.model", "Notes", "a"],
    ));
    assert!(state.to_string().contains("normal"), "{state}");
    ok(&dir.0, &["streams", "--store", STORE, "-m", "v2.model"]);
    assert_eq!(active(&dir.0), v1, "a look deployed nothing");
    assert_eq!(versions(&dir.0).len(), 1, "nor registered it");
}
