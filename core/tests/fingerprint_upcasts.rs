//! Upcasts are part of a model's fingerprint (§12): a changed upcast means
//! a replay, never a stale snapshot. Their order in the file does not count,
//! nor do their docs.

use eventfold::engine::fingerprint;
use eventfold::{Domain, Source};

const BASE: &str = r#"
model Board {
  state {
    titles: map<string, string>
  }

  event added@2(id: string, title: string) {
    set titles[id] = title
  }

  /// Before titles were required.
  upcast added@1(id: string) {
    emit added(id, title: "untitled")
  }

  upcast created@1(id: string, text: string) {
    emit added@1(id)
  }
}
"#;

fn fp(src: &str) -> String {
    let d = Domain::compile(&[Source::new("b.model", src)]).unwrap();
    fingerprint(&d, "Board").unwrap()
}

fn edit(src: &str, from: &str, to: &str) -> String {
    assert!(src.contains(from), "{from}");
    src.replacen(from, to, 1)
}

#[test]
fn a_changed_upcast_changes_the_fingerprint() {
    let base = fp(BASE);
    for (from, to) in [
        ("title: \"untitled\"", "title: \"(none)\""),
        ("emit added@1(id)", "emit added(id, title: text)"),
        (
            "upcast created@1(id: string, text: string)",
            "upcast created@1(id: string, text: string = \"\")",
        ),
        ("upcast created@1", "upcast made@1"),
        ("event added@2", "event added@3"),
    ] {
        assert_ne!(fp(&edit(BASE, from, to)), base, "{from} -> {to}");
    }
    let without = &BASE[..BASE.find("  upcast created@1").unwrap()];
    assert_ne!(fp(&format!("{without}}}\n")), base, "a removed upcast");
}

#[test]
fn docs_and_the_order_of_upcasts_do_not_count() {
    let base = fp(BASE);
    assert_eq!(
        fp(&edit(
            BASE,
            "/// Before titles were required.",
            "/// Older."
        )),
        base
    );
    let a = BASE.find("  /// Before").unwrap();
    let b = BASE.find("  upcast created@1").unwrap();
    let end = BASE.rfind('}').unwrap();
    let swapped = format!("{}{}{}}}\n", &BASE[..a], &BASE[b..end], &BASE[a..b]);
    assert_eq!(fp(&swapped), base, "{swapped}");
}

#[test]
fn an_event_at_version_one_keeps_the_fingerprint_of_version_zero() {
    let src =
        "model Board {\n  state { n: int }\n  event went(by: int) {\n    set n = n + by\n  }\n}\n";
    let explicit = src.replace("event went(", "event went@1(");
    assert_eq!(fp(src), fp(&explicit));
}
