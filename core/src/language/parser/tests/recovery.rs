//! Statements, names, types, docs, and recovery from errors.

use super::*;

#[test]
fn statements() {
    let src = "model M {
  event e(a: int) {
    let v = a
    reject \"no\" unless v > 0
    emit x-y()
    set s.f[a].g = 1
    remove s[a]
    for i in l {
      set t = i
    }
    if a { } else if b { }
  }
}
";
    let m = one_model(src);
    let stmts = stmts_of_first_handler(&m);
    let kw: Vec<&str> = stmts
        .iter()
        .map(|s| &src[s.keyword.start as usize..s.keyword.end as usize])
        .collect();
    assert_eq!(kw, ["let", "reject", "emit", "set", "remove", "for", "if"]);
    let StmtKind::Reject {
        reason: None,
        unless: true,
        ..
    } = &stmts[1].kind
    else {
        panic!("{:?}", stmts[1])
    };
    let StmtKind::Set { path, .. } = &stmts[3].kind else {
        panic!()
    };
    assert_eq!(path.root.name, "s");
    assert_eq!(path.segments.len(), 3);
    assert!(matches!(&path.segments[1], PathSegment::Index(_)));
}

#[test]
fn kebab_names() {
    let m = one_model(
        "model M {\n  command in-list() {\n    emit if-else()\n  }\n  query a-1(): int = 1\n}\n",
    );
    let Member::Command(c) = &m.members[0] else {
        panic!()
    };
    assert_eq!(c.name.name, "in-list");
    let d = errs("model M {\n  command in() {}\n}\n");
    assert!(
        has(&d, "`in` is a keyword and cannot be the name of a command"),
        "{d:#?}"
    );
    let d = errs("model M {\n  command CreateNew() {}\n}\n");
    assert!(has(&d, "must be kebab-case"), "{d:#?}");
    assert!(has(&d, "`create-new`"), "{d:#?}");
    let d = errs("model M {\n  event done_it() {}\n}\n");
    assert!(has(&d, "such as `done-it`"), "{d:#?}");
    let d = errs("model M {\n  command go() {\n    emit Went()\n  }\n}\n");
    assert!(
        has(&d, "the event name `Went` must be kebab-case"),
        "{d:#?}"
    );
}

#[test]
fn name_shapes() {
    let src = "model foo {\n  state {\n    Count: int\n  }\n  record line_item {}\n  enum Status { Open }\n}\n";
    let d = errs(src);
    assert!(has(&d, "the model name `foo` must be PascalCase"), "{d:#?}");
    assert!(
        has(&d, "the field name `Count` must be snake_case"),
        "{d:#?}"
    );
    assert!(has(&d, "such as `count`"), "{d:#?}");
    assert!(has(&d, "such as `LineItem`"), "{d:#?}");
    assert!(
        has(&d, "the enum member name `Open` must be snake_case"),
        "{d:#?}"
    );
    assert_eq!(d.len(), 4);
    assert_eq!(line_col(src, &d[1]), (3, 5));
    let d = e_err("fooBar + 1");
    assert!(
        has(
            &d,
            "the name `fooBar` must be snake_case, such as `foo_bar`"
        ) || has(&d, "such as `foo_bar`"),
        "{d:#?}"
    );
    let d = e_err("Foo + 1");
    assert!(has(&d, "`Foo` is a type name"), "{d:#?}");
    let d = errs("model M {\n  state {\n    in: int\n  }\n}\n");
    assert!(
        has(&d, "found the keyword `in`, which cannot be used as a name"),
        "{d:#?}"
    );
}

#[test]
fn types() {
    let m = one_model(
        "model M {\n  state {\n    a: map<string, list<Todo?>>?\n    b: timestamp\n  }\n}\n",
    );
    let Member::State(st) = &m.members[0] else {
        panic!()
    };
    let TypeKind::Optional(inner) = &st.fields[0].ty.kind else {
        panic!()
    };
    let TypeKind::Map(k, v) = &inner.kind else {
        panic!()
    };
    assert_eq!(k.kind, TypeKind::String);
    let TypeKind::List(item) = &v.kind else {
        panic!()
    };
    assert!(
        matches!(&item.kind, TypeKind::Optional(t) if matches!(&t.kind, TypeKind::Named(n) if n.name == "Todo"))
    );
    let d = errs("model M {\n  query q(a: ): int = 1\n}\n");
    assert!(
        has(
            &d,
            "expected a type such as `int`, `string` or `list<T>`, found `)`"
        ),
        "{d:#?}"
    );
    let d = errs("model M {\n  state {\n    a: integer\n  }\n}\n");
    assert!(has(&d, "found `integer`"), "{d:#?}");
    let d = errs("model M {\n  state {\n    a: list<int\n  }\n}\n");
    assert!(has(&d, "expected `>` to close `list<`"), "{d:#?}");
}

#[test]
fn docs() {
    let src = "/// Model doc\n///second line\n///\nmodel M {\n  /// state doc\n  state {\n    /// field doc\n    a: int\n    b: int /// not a doc\n  }\n\n  /// stray doc, then a blank line\n\n  /// enum doc\n  enum E {\n    /// member doc\n    x,\n    y\n  }\n  /// ignored: not before a declaration\n}\n";
    let m = one_model(src);
    assert_eq!(m.doc.as_deref(), Some("Model doc\nsecond line\n"));
    let Member::State(st) = &m.members[0] else {
        panic!()
    };
    assert_eq!(st.doc.as_deref(), Some("state doc"));
    assert_eq!(st.fields[0].doc.as_deref(), Some("field doc"));
    assert_eq!(st.fields[1].doc, None);
    let Member::Enum(en) = &m.members[1] else {
        panic!()
    };
    assert_eq!(en.doc.as_deref(), Some("enum doc"));
    assert_eq!(en.members[0].doc.as_deref(), Some("member doc"));
    assert_eq!(en.members[1].doc, None);
    // A doc on a one-line declaration goes to its first token only.
    let m = one_model("model M {\n  /// s\n  state { a: int }\n}\n");
    let Member::State(st) = &m.members[0] else {
        panic!()
    };
    assert_eq!(st.doc.as_deref(), Some("s"));
    assert_eq!(st.fields[0].doc, None);
    // Docs inside blocks and expressions are ignored.
    ok("model M {\n  command go() {\n    /// what\n    let x = [\n      /// item\n      1\n    ]\n  }\n}\n");
}

#[test]
fn several_models() {
    let f = ok("model A {}\n\nmodel B {\n}\nmodel C { state {} }");
    assert_eq!(f.models.len(), 3);
}

#[test]
fn recovery_reports_every_error() {
    let src = "model M {
  command a() {
    let = 1
    emit ok()
  }
  command b(x int) {
    emit ok()
  }
  query c(): int = 1 +
  event d() {
    set x = )
    set y = 2
  }
  record R {
    f: int
    g int
  }
}
model N {
  state {
    a: int
  }
  event ok() { set a = a + }
}
";
    let (f, d) = parse(0, src);
    let lines: Vec<usize> = d.iter().map(|d| line_col(src, d).0).collect();
    assert_eq!(lines, vec![3, 6, 10, 11, 16, 23], "{d:#?}");
    assert!(has(
        &d,
        "expected a `let` name such as `unit_price`, found `=`"
    ));
    assert!(has(
        &d,
        "expected `:` and a type after `x`, as in `x: int`, found `int`"
    ));
    assert!(has(&d, "expected an expression, found the keyword `event`"));
    assert!(has(&d, "expected an expression, found `)`"));
    assert!(has(&d, "expected `:` and a type after `g`"));
    assert!(has(&d, "expected an expression, found `}`"));
    // The parts that parsed are there.
    assert_eq!(f.models.len(), 2);
    let names: Vec<&str> = f.models[0]
        .members
        .iter()
        .map(|m| match m {
            Member::Command(h) | Member::Event(h) => h.name.name.as_str(),
            Member::Record(r) => r.name.name.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["a", "b", "d", "R"]);
    let Member::Event(ev) = &f.models[0].members[2] else {
        panic!()
    };
    assert_eq!(
        ev.body.stmts.len(),
        1,
        "the statement after the bad one is kept"
    );
}

#[test]
fn two_errors_in_two_members() {
    let src = "model M {\n  query a(): int = (1 +\n  query b(): int = 2 * * 3\n}\n";
    let d = errs(src);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(line_col(src, &d[0]).0, 3);
    let src = "model M {\n  command a() {\n    emit x(,)\n  }\n  command b() {\n    let y = [1 2]\n  }\n}\n";
    let d = errs(src);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(has(
        &d,
        "expected `,` or `]` to close the list, found the number `2`"
    ));
    assert_eq!(line_col(src, &d[1]), (6, 16));
}

#[test]
fn missing_braces() {
    let src = "model M {\n  command go() {\n    emit went()\n  event went() {}\n}\n";
    let (f, d) = parse(0, src);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0]
        .message
        .contains("expected `}` to close the block of command `go`, found the keyword `event`"));
    assert_eq!(f.models[0].members.len(), 2);
    let src = "model A {\n  state {}\nmodel B {}\n";
    let (f, d) = parse(0, src);
    assert!(has(
        &d,
        "expected `}` to close model `A`, found the keyword `model`"
    ));
    assert_eq!(f.models.len(), 2);
    let d = errs("model M {\n  state {\n    a: int\n  command go() {}\n}\n");
    assert!(
        has(
            &d,
            "expected `}` to close the state, found the keyword `command`"
        ),
        "{d:#?}"
    );
    let d = errs("x = 1\nmodel M {}\n");
    assert!(has(&d, "expected `model`"), "{d:#?}");
    let d = errs("model M {\n  command go() {\n  }\n  }\n}\n");
    assert!(has(&d, "expected `model`"), "{d:#?}");
    let d = errs("model M {\n  command go() {\n    else { }\n  }\n}\n");
    assert!(has(&d, "`else` without `if`"), "{d:#?}");
    let d = errs("model M {\n  command go() {\n    x = 1\n  }\n}\n");
    assert!(has(&d, "write `set x = ...`"), "{d:#?}");
    let d = errs("model M {\n  enum E {}\n}\n");
    assert!(has(&d, "needs at least one member"), "{d:#?}");
}

#[test]
fn state_is_an_expression_too() {
    let src = "model M {\n  command go() {\n    let x = )\n    let y = state.owner\n    set state.owner = 1\n  }\n}\n";
    let (f, d) = parse(0, src);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(stmts_of_first_handler(&f.models[0]).len(), 2);
    // After an error, recovery does not mistake `state.` for a member.
    let src = "model M {\n  command go() {\n    let x = 1 + * state.a\n    emit e()\n  }\n}\n";
    let (f, d) = parse(0, src);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(stmts_of_first_handler(&f.models[0]).len(), 1);
}

#[test]
fn reject_reason_invariant_is_reserved() {
    let src = "model M {\n  command go() {\n    reject invariant \"no\" if true\n  }\n}\n";
    let d = errs(src);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("`invariant` is reserved"));
    assert_eq!(line_col(src, &d[0]), (3, 12));
}

fn deep_ok_or_err(src: &str) {
    let (_, d) = parse(0, src);
    assert!(has(&d, "nested too deeply"), "{d:#?}");
    assert!(d.len() <= 3, "{d:#?}");
}

#[test]
fn deep_nesting_does_not_overflow() {
    let n = 10_000;
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{", "}"),
        ("-(", ")"),
        ("\"${", "}\""),
        ("f(", ")"),
        ("a[", "]"),
    ] {
        let src = format!(
            "model M {{\n  query q(): int = {}1{}\n}}\n",
            open.repeat(n),
            close.repeat(n)
        );
        deep_ok_or_err(&src);
        let src = format!("model M {{\n  query q(): int = {}\n", open.repeat(n));
        deep_ok_or_err(&src);
    }
    for op in ["!", "-", "- "] {
        deep_ok_or_err(&format!(
            "model M {{\n  query q(): int = {}x\n}}\n",
            op.repeat(n)
        ));
    }
    for op in ["+", "*", " && ", " in "] {
        deep_ok_or_err(&format!(
            "model M {{\n  query q(): int = x{}\n}}\n",
            format!("{op}x").repeat(n)
        ));
    }
    for op in [".f", "[0]", ".m()"] {
        deep_ok_or_err(&format!(
            "model M {{\n  query q(): int = x{}\n}}\n",
            op.repeat(n)
        ));
    }
    deep_ok_or_err(&format!(
        "model M {{\n  query q(): int = {}1\n}}\n",
        "x ? 1 : ".repeat(n)
    ));
    deep_ok_or_err(&format!(
        "model M {{\n  state {{\n    a: {}int{}\n  }}\n}}\n",
        "list<".repeat(n),
        ">".repeat(n)
    ));
    deep_ok_or_err(&format!(
        "model M {{\n  state {{\n    a: int{}\n  }}\n}}\n",
        "?".repeat(n)
    ));
    deep_ok_or_err(&format!(
        "model M {{\n  command go() {{\n{}\n  }}\n}}\n",
        "if x {\n".repeat(n)
    ));
    deep_ok_or_err(&format!(
        "model M {{\n  command go() {{\n{}{}\n  }}\n}}\n",
        "for x in y {\n".repeat(n),
        "}".repeat(n)
    ));
    // Moderate nesting is fine.
    let src = format!(
        "model M {{\n  query q(): int = {}1{}\n}}\n",
        "(".repeat(50),
        ")".repeat(50)
    );
    ok(&src);
}

#[test]
fn deep_nesting_in_a_small_stack() {
    // The limit must hold well within a 2 MiB thread stack.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let src = format!(
                "model M {{\n  query q(): int = {}\n}}\n",
                "[(".repeat(5_000)
            );
            deep_ok_or_err(&src);
            let src = format!(
                "model M {{\n  command go() {{\n{}\n}}\n}}\n",
                "if [(a)] { let x = \"${[(".repeat(1_000)
            );
            let _ = parse(0, &src);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn diagnostics_point_at_the_offending_token() {
    let src = "model M {\n  query q(): int = é + )\n}\n";
    let d = errs(src);
    assert_eq!(line_col(src, &d[0]), (2, 20));
    assert!(d[0].message.contains("unexpected character `é`"));
    let src = "model M {\n  query q(): string = \"é\" + )\n}\n";
    let d = errs(src);
    assert_eq!(line_col(src, &d[0]), (2, 29));
    assert!(d[0].message.contains("found `)`"));
}

#[test]
fn spans_carry_the_file() {
    let (f, d) = parse(9, "model M { query q(): int = a + b }");
    assert!(d.is_empty());
    assert_eq!(f.models[0].name.span, Span::new(9, 6, 7));
    let Member::Query(q) = &f.models[0].members[0] else {
        panic!()
    };
    assert_eq!(q.body.span, Span::new(9, 27, 32));
}

/// A small deterministic generator, for fuzzing without extra crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_models_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let pieces = [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "${",
        "\n",
        ",",
        ":",
        "?",
        "-",
        "=",
        "if ",
        "else ",
        "emit ",
        "command ",
        "model ",
        "é",
        "\\",
        "///",
        "1_",
        "9999999999999999999999",
        "<",
        ">",
        "state",
        ".",
        "\u{0}",
    ];
    for src in [todos(), account(), cart()] {
        for _ in 0..150 {
            let mut s = src.to_string();
            for _ in 0..1 + rng.below(4) {
                let mut at = rng.below(s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.below(3) {
                    0 => s.insert_str(at, pieces[rng.below(pieces.len())]),
                    1 => {
                        let mut end = (at + 1 + rng.below(8)).min(s.len());
                        while !s.is_char_boundary(end) {
                            end += 1;
                        }
                        s.replace_range(at..end, "");
                    }
                    _ => s.truncate(at),
                }
            }
            let (_, d) = parse(0, &s);
            for diag in &d {
                assert!(
                    s.is_char_boundary(diag.span.start as usize),
                    "{s:?}: {diag:?}"
                );
                assert!((diag.span.start as usize) <= s.len());
            }
        }
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn random_text_never_panics(s in "\\PC{0,80}") {
            let (_, d) = parse(0, &s);
            for diag in &d {
                prop_assert!(s.is_char_boundary(diag.span.start as usize));
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let s = String::from_utf8_lossy(&bytes);
            let _ = parse(0, &s);
        }

        #[test]
        fn random_tokens_never_panic(toks in proptest::collection::vec(proptest::sample::select(vec![
            "model", "M", "{", "}", "(", ")", "[", "]", "state", "command", "go", "event",
            "emit", "query", "x", ":", "int", "list", "<", ">", "?", "=", "\n", ",", ";",
            "\"", "${", "if", "else", "for", "in", "reject", "set", "remove", "let", "-", "1",
            "+", "!", ".", "Status", "///", "//", "invariant", "enum", "record", "&&", "==",
        ]), 0..60)) {
            let s = toks.join(" ");
            let (f, d) = parse(0, &s);
            if d.is_empty() {
                // Whatever parses cleanly must print and re-parse to the same tree.
                let printed = crate::language::printer::print(&f);
                let (mut g, d2) = parse(0, &printed);
                prop_assert!(d2.is_empty(), "{printed}: {d2:?}");
                let mut f = f;
                strip_spans(&mut f);
                strip_spans(&mut g);
                prop_assert_eq!(f, g);
            }
        }
    }
}
