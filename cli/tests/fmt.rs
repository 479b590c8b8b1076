//! `eventfold fmt`: rewriting in place, `--check`, stdin, and a file that
//! does not parse.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn eventfold(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventfold"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eventfold-fmt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Not formatted, with comments; wrong types too (`nope`), which `fmt`
/// does not look at.
const MESSY: &str = "// top\nmodel M {\nstate { n: int // count\n}\n    command bump() { // up\n      set n = nope\n    }\n}\n";
const TIDY: &str = "// top\nmodel M {\n  state {\n    n: int // count\n  }\n\n  command bump() { // up\n    set n = nope\n  }\n}\n";
/// A syntax error: a field with no type.
const BROKEN: &str = "model M {\n  state {\n    n\n  }\n}\n";

#[test]
fn fmt_rewrites_files_that_change_and_leaves_the_rest() {
    let d = dir("rewrite");
    let messy = d.join("messy.model");
    let tidy = d.join("tidy.model");
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&tidy, TIDY).unwrap();
    let out = eventfold(&["fmt", arg(&messy), arg(&tidy)], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);
    assert_eq!(std::fs::read_to_string(&tidy).unwrap(), TIDY);
}

#[test]
fn fmt_check_names_the_files_that_would_change_and_writes_nothing() {
    let d = dir("check");
    let messy = d.join("messy.model");
    let tidy = d.join("tidy.model");
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&tidy, TIDY).unwrap();
    let out = eventfold(&["fmt", "--check", arg(&messy), arg(&tidy)], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("messy.model"), "{stdout}");
    assert!(!stdout.contains("tidy.model"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), MESSY);

    let out = eventfold(&["fmt", "--check", arg(&tidy)], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn a_file_that_does_not_parse_is_reported_like_check_and_left_alone() {
    let d = dir("broken");
    let broken = d.join("broken.model");
    let messy = d.join("messy.model");
    std::fs::write(&broken, BROKEN).unwrap();
    std::fs::write(&messy, MESSY).unwrap();
    let out = eventfold(&["fmt", arg(&broken), arg(&messy)], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let check = eventfold(&["check", arg(&broken)], None);
    assert_eq!(err, text(&check.stderr), "the same report as check");
    assert!(err.contains("broken.model:3:"), "{err}");
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), BROKEN);
    // The other file is still formatted.
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);

    let out = eventfold(&["fmt", "--check", arg(&broken)], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), BROKEN);
}

#[test]
fn fmt_reads_stdin_to_stdout() {
    for args in [&["fmt", "-"][..], &["fmt", "--stdin"][..]] {
        let out = eventfold(args, Some(MESSY));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), TIDY);
    }
    let out = eventfold(&["fmt", "--check", "-"], Some(MESSY));
    assert_eq!(out.status.code(), Some(1));
    let out = eventfold(&["fmt", "--check", "-"], Some(TIDY));
    assert_eq!(out.status.code(), Some(0));
    let out = eventfold(&["fmt", "-"], Some(BROKEN));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("<stdin>:3:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_repository_models_are_formatted() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for f in [
        "examples/todos/todos.model",
        "examples/orders/order.model",
        "fuzz/models/board.model",
        "bindings/node/test/fixtures/shop.model",
    ] {
        files.push(root.join(f).to_str().unwrap().to_string());
    }
    let mut args = vec!["fmt", "--check"];
    args.extend(files.iter().map(String::as_str));
    let out = eventfold(&args, None);
    assert!(
        out.status.success(),
        "not formatted:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
