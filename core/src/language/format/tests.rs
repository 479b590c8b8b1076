use super::format;
use crate::language::ast::File;
use crate::language::parser::parse;
use crate::language::printer::strategy::file_strategy;
use crate::language::printer::{print, strip_spans};
use proptest::prelude::*;

fn fmt(src: &str) -> String {
    match format(src) {
        Ok(out) => out,
        Err(d) => panic!("does not parse:\n{src}\n{d:#?}"),
    }
}

fn tree(src: &str) -> File {
    let (mut f, d) = parse(0, src);
    assert!(d.is_empty(), "diagnostics for\n{src}\n{d:#?}");
    strip_spans(&mut f);
    f
}

/// Formatting keeps the tree and every comment, and changes nothing the
/// second time.
fn assert_sound(src: &str) -> String {
    let out = fmt(src);
    assert_eq!(tree(&out), tree(src), "the tree changed:\n{out}");
    assert_eq!(fmt(&out), out, "not idempotent:\n{out}");
    for c in crate::language::lexer::lex(0, src).comments {
        assert!(out.contains(&c.text), "lost {:?}:\n{out}", c.text);
    }
    out
}

#[test]
fn every_placement_is_kept() {
    let src = "\
// header comment

/// The list.
model Todo { // after the model's brace
  // before state
  state {
    title: string // why
    // before done
    done: bool = false
    // end of state
  }

  enum Color { red, // r
    green }

  /// Add one.
  command add(title: string, // the title
    n: int) {
    // first
    let x = 1 // trailing let
    reject \"empty\" if title == \"\" // trailing reject

    // after a blank line
    emit added(title: title, n: [1, // inside a list
      2])
    if x > 1 {
      // inside if
    } else {
      set title = title // in else
    }
    // before close
  }

  event added(title: string, n: list<int>) {
    set title = title
  }
  // last in model
}
// end of file
";
    let want = "\
// header comment

/// The list.
model Todo { // after the model's brace
  // before state
  state {
    title: string // why
    // before done
    done: bool = false
    // end of state
  }

  enum Color {
    red, // r
    green,
  }

  /// Add one.
  command add(
    title: string, // the title
    n: int,
  ) {
    // first
    let x = 1 // trailing let
    reject \"empty\" if title == \"\" // trailing reject

    // after a blank line
    emit added(title, n: [1, 2]) // inside a list
    if x > 1 {
      // inside if
    } else {
      set title = title // in else
    }
    // before close
  }

  event added(title: string, n: list<int>) {
    set title = title
  }
  // last in model
}
// end of file
";
    assert_eq!(assert_sound(src), want);
}

#[test]
fn two_trailing_comments_on_one_printed_line_stay_apart() {
    let src = "model M {\n  query q(): list<int> = [1, // one\n    2, // two\n    3]\n}\n";
    let out = assert_sound(src);
    assert_eq!(
        out,
        "model M {\n  query q(): list<int> = [1, 2, 3] // one\n  // two\n}\n"
    );
}

#[test]
fn a_stray_doc_line_does_not_become_a_doc() {
    // `///` above a statement documents nothing: it stays a comment, and
    // is not moved onto a declaration.
    let src = "model M {\n  state {\n    n: int\n  }\n\n  command c() {\n    /// stray\n  }\n\n  /// stray two\n\n  command d() {}\n}\n";
    let out = assert_sound(src);
    assert!(out.contains("/// stray\n"), "{out}");
    assert!(out.contains("/// stray two\n\n"), "{out}");
}

#[test]
fn quadruple_slash_and_empty_bodies_keep_their_comments() {
    let src = "//// banner\nmodel M {\n  state {\n    // nothing yet\n  }\n\n  command c() {\n    // todo\n  }\n}\n";
    let out = assert_sound(src);
    assert_eq!(out, src);
}

#[test]
fn tables_and_projections_keep_comments() {
    let src = "model M {\n  state {\n    n: int\n  }\n\n  event e() {\n    set n = 1\n  }\n}\n\n// the read side\ntable t { // rows\n  key id: string // the key\n  // more\n  n: int\n}\n\nprojection p inline {\n  // handlers\n  on M.e {\n    insert t(id: \"a\", n: 1) // one row\n  }\n  // done\n}\n";
    let out = assert_sound(src);
    assert_eq!(out, src);
}

#[test]
fn a_syntax_error_is_reported_not_formatted() {
    let d = format("model M {\n  state {\n    n int\n  }\n}\n").unwrap_err();
    assert!(!d.is_empty());
}

#[test]
fn crlf_comments_lose_only_the_carriage_return() {
    let out = assert_sound("model M { // a\r\n  state {\r\n    n: int // b\r\n  }\r\n}\r\n");
    assert_eq!(out, "model M { // a\n  state {\n    n: int // b\n  }\n}\n");
}

/// `text` with a comment at the end of some lines and on its own line
/// before others, by `picks` (one per line: 0 nothing, 1 trailing, 2 own
/// line, 3 both).
fn with_comments(text: &str, picks: &[u8]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut texts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let pick = picks.get(i).copied().unwrap_or(0);
        let indent = &line[..line.len() - line.trim_start().len()];
        if pick & 2 != 0 {
            let c = format!("// own {i}");
            out.push_str(&format!("{indent}{c}\n"));
            texts.push(c);
        }
        out.push_str(line);
        // A trailing comment only after code (a `///` line would take it in).
        if pick & 1 != 0 && !line.trim().is_empty() && !line.trim_start().starts_with("//") {
            let c = format!("// trail {i} /// x");
            out.push_str(&format!(" {c}"));
            texts.push(c);
        }
        out.push('\n');
    }
    (out, texts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_idempotent_and_keeps_the_tree(f in file_strategy()) {
        let text = print(&f);
        let once = fmt(&text);
        prop_assert_eq!(&once, &text, "printed text is already formatted");
        prop_assert_eq!(fmt(&once), once.clone());
        prop_assert_eq!(tree(&once), tree(&text));
    }

    #[test]
    fn comments_anywhere_survive(f in file_strategy(), picks in prop::collection::vec(0u8..4, 0..200)) {
        let (text, comments) = with_comments(&print(&f), &picks);
        let once = fmt(&text);
        for c in &comments {
            prop_assert!(once.contains(c.as_str()), "lost {:?} from\n{}\nin\n{}", c, text, once);
        }
        prop_assert_eq!(fmt(&once), once.clone(), "not idempotent from\n{}", text);
        prop_assert_eq!(tree(&once), tree(&text), "tree changed from\n{}\nto\n{}", text, once);
    }

    #[test]
    fn messy_layout_formats_back(f in file_strategy()) {
        // Blank lines everywhere (but under a `///` line, which would end
        // the doc) and no indentation: the same text once formatted.
        let text = print(&f);
        let messy: String = text
            .lines()
            .map(|l| {
                let l = l.trim_start();
                if l.starts_with("///") { format!("{l}\n") } else { format!("{l}\n\n") }
            })
            .collect();
        prop_assert_eq!(fmt(&messy), text);
    }
}

#[test]
fn top_level_declarations_keep_their_order_and_docs() {
    let src = "model M {\n  state {\n    n: int\n  }\n\n  event e() {\n    set n = 1\n  }\n}\n\ntable a {\n  key id: string\n}\n\n/// Fills a.\nprojection p inline {\n  on M.e {\n    insert a(id: \"x\")\n  }\n}\n\n/// Second table.\ntable b {\n  key id: string // k\n}\n";
    assert_eq!(assert_sound(src), src);
}
