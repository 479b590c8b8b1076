use super::super::parser::{parse, parse_expr};
use super::expr::float;
use super::strategy::{expr_tree, file_strategy};
use super::*;
use proptest::prelude::*;

/// The shared models, read at run time: without `../shared` (or
/// `EVENTFOLD_SHARED`), the tests that use them fail saying so.
fn shared(relative: &str) -> String {
    crate::scenario::read_shared(relative).unwrap_or_else(|e| panic!("{e}"))
}
fn todos() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/todos.model"))
}
fn account() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/account.model"))
}
fn cart() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/cart.model"))
}

fn parsed(src: &str) -> File {
    let (mut f, d) = parse(0, src);
    assert!(d.is_empty(), "diagnostics for\n{src}\n{d:#?}");
    strip_spans(&mut f);
    f
}

fn assert_round_trip(file: &File) {
    let printed = print(file);
    let again = parsed(&printed);
    let mut want = file.clone();
    strip_spans(&mut want);
    assert_eq!(want, again, "printed:\n{printed}");
    assert_eq!(print(&again), printed, "printing is stable");
}

#[test]
fn shared_models_round_trip() {
    for src in [todos(), account(), cart()] {
        assert_round_trip(&parsed(src));
    }
}

#[test]
fn todos_prints_like_the_source() {
    // The shared model is already in canonical form except for blank
    // lines between one-line queries.
    let printed = print(&parsed(todos()));
    let squeeze = |s: &str| {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(squeeze(&printed), squeeze(todos()));
}

fn expr_round_trip(src: &str) -> String {
    let (e, d) = parse_expr(0, src);
    assert!(d.is_empty(), "{src}: {d:#?}");
    let mut e = e.unwrap();
    strip_expr_spans(&mut e);
    let printed = print_expr(&e);
    let (again, d) = parse_expr(0, &printed);
    assert!(d.is_empty(), "{printed}: {d:#?}");
    let mut again = again.unwrap();
    strip_expr_spans(&mut again);
    assert_eq!(e, again, "{src} printed as {printed}");
    printed
}

#[test]
fn expressions_print_with_needed_parentheses_only() {
    for (src, want) in [
        ("(a + b) * c", "(a + b) * c"),
        ("a + (b * c)", "a + b * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("(a < b) == c", "(a < b) == c"),
        ("a == (b < c)", "a == (b < c)"),
        (
            "(a ? b : c) ? (d ? e : f) : g ? h : i",
            "(a ? b : c) ? (d ? e : f) : g ? h : i",
        ),
        ("-(5)", "-(5)"),
        ("-(5).x", "-(5.x)"),
        ("-(5.x)", "-(5.x)"),
        ("(-5).x", "-5.x"),
        ("- -5", "--5"),
        ("-(-(5))", "--(5)"),
        ("-1.5", "-1.5"),
        ("!(a && b)", "!(a && b)"),
        ("(!a).b", "(!a).b"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("1e100 + 2.0 + .5", "1e100 + 2.0 + 0.5"),
        (
            "{\"k\": [1, 2], (a ? b : c): Todo{id, text: t}}",
            "{\"k\": [1, 2], a ? b : c: Todo{id, text: t}}",
        ),
        ("Status.open.name", "Status.open.name"),
        ("size(x)[0].m(1, 2)", "size(x)[0].m(1, 2)"),
        ("x in [1] && !y || z", "x in [1] && !y || z"),
    ] {
        assert_eq!(expr_round_trip(src), want, "{src}");
    }
}

#[test]
fn strings_print_escaped() {
    for (src, want) in [
        (r#""a\"b\\c\nd\te\rf""#, r#""a\"b\\c\nd\te\rf""#),
        (r#""\${x} $ {} $""#, r#""\${x} $ {} $""#),
        (r#""${x}${"${y}"}$${z}""#, r#""${x}${"${y}"}$${z}""#),
        ("\"\\u{1}é\\u{1F600}\"", "\"\\u{1}é\u{1F600}\""),
        (r#""""#, r#""""#),
    ] {
        assert_eq!(expr_round_trip(src), want, "{src}");
    }
    // Adjacent literal parts (not from the parser) still print safely.
    let e = Expr {
        kind: ExprKind::Str(vec![StrPart::Lit("a$".into()), StrPart::Lit("{b}".into())]),
        span: Span::default(),
    };
    assert_eq!(print_expr(&e), r#""a\${b}""#);
}

#[test]
fn floats_stay_floats() {
    for f in [
        0.0,
        1.0,
        1e15,
        1e16,
        1e20,
        1.5e-7,
        123.456,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ] {
        let s = float(f);
        let (e, d) = parse_expr(0, &s);
        assert!(d.is_empty(), "{s}: {d:?}");
        assert_eq!(e.unwrap().kind, ExprKind::Float(f), "{s}");
    }
}

#[test]
fn docs_and_layout() {
    let src = "/// M\n///\n///  indented\nmodel M {\n  /// S\n  state {\n    /// a\n    a: int = 1\n  }\n\n  enum E {\n    /// x\n    x,\n    y,\n  }\n\n  command go(\n    /// p\n    p: int,\n    q: string? = null,\n  ) {\n    if p > 0 {\n      emit went(p)\n    } else if p < 0 {\n    } else {\n      for i in [1] {\n        remove s[i].f\n      }\n    }\n  }\n\n  event went(p: int) {}\n\n  invariant \"ok \\${x}\": true\n}\n\nmodel N {}\n";
    let f = parsed(src);
    assert_eq!(
        print(&f),
        src.replace("} else if p < 0 {\n    }", "} else if p < 0 {}")
    );
    assert_round_trip(&f);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn expressions_round_trip(e in expr_tree()) {
        let printed = print_expr(&e);
        let (again, d) = parse_expr(0, &printed);
        prop_assert!(d.is_empty(), "{}: {:?}", printed, d);
        let mut again = again.unwrap();
        strip_expr_spans(&mut again);
        prop_assert_eq!(&e, &again, "printed: {}", printed);
    }

    #[test]
    fn files_round_trip(f in file_strategy()) {
        let printed = print(&f);
        let (mut again, d) = parse(0, &printed);
        prop_assert!(d.is_empty(), "{}: {:?}", printed, d);
        strip_spans(&mut again);
        prop_assert_eq!(&f, &again, "printed:\n{}", printed);
    }
}
