//! Expressions: precedence, literals, strings and newlines.

use super::*;

#[test]
fn precedence() {
    use BinaryOp::*;
    assert_eq!(
        e("a || b && c"),
        bin(Or, name("a"), bin(And, name("b"), name("c")))
    );
    assert_eq!(
        e("a && b == c"),
        bin(And, name("a"), bin(Eq, name("b"), name("c")))
    );
    assert_eq!(
        e("a == b + c"),
        bin(Eq, name("a"), bin(Add, name("b"), name("c")))
    );
    assert_eq!(
        e("a + b * c"),
        bin(Add, name("a"), bin(Mul, name("b"), name("c")))
    );
    assert_eq!(
        e("a - b - c"),
        bin(Sub, bin(Sub, name("a"), name("b")), name("c"))
    );
    assert_eq!(
        e("a / b % c"),
        bin(Rem, bin(Div, name("a"), name("b")), name("c"))
    );
    assert_eq!(
        e("x in l && y"),
        bin(And, bin(In, name("x"), name("l")), name("y"))
    );
    assert_eq!(
        e("!a.b"),
        x(ExprKind::Unary {
            op: UnaryOp::Not,
            expr: Box::new(x(ExprKind::Field {
                target: Box::new(name("a")),
                field: n("b")
            }))
        })
    );
    assert_eq!(
        e("-a * b"),
        bin(
            Mul,
            x(ExprKind::Unary {
                op: UnaryOp::Neg,
                expr: Box::new(name("a"))
            }),
            name("b")
        )
    );
    // `? :` is lowest and right-associative.
    let c = |a, b, c| {
        x(ExprKind::Cond {
            cond: Box::new(a),
            then: Box::new(b),
            otherwise: Box::new(c),
        })
    };
    assert_eq!(
        e("a || b ? c : d ? e : f"),
        c(
            bin(Or, name("a"), name("b")),
            name("c"),
            c(name("d"), name("e"), name("f"))
        )
    );
    // Postfix chains and calls.
    assert_eq!(
        e("size(values(m).filter(t, t.done)[0])"),
        x(ExprKind::Call {
            func: n("size"),
            args: vec![x(ExprKind::Index {
                target: Box::new(x(ExprKind::Method {
                    target: Box::new(x(ExprKind::Call {
                        func: n("values"),
                        args: vec![name("m")]
                    })),
                    method: n("filter"),
                    args: vec![
                        name("t"),
                        x(ExprKind::Field {
                            target: Box::new(name("t")),
                            field: n("done")
                        })
                    ]
                })),
                index: Box::new(int(0))
            })]
        })
    );
    assert_eq!(
        e("(a + b) * c"),
        bin(Mul, bin(Add, name("a"), name("b")), name("c"))
    );
    assert_eq!(
        e("state.owner").kind,
        ExprKind::Field {
            target: Box::new(name("state")),
            field: n("owner")
        }
    );
    assert_eq!(
        e("string(1)").kind,
        ExprKind::Call {
            func: n("string"),
            args: vec![int(1)]
        }
    );
}

#[test]
fn comparisons_do_not_chain() {
    for src in ["a < b < c", "a == b == c", "a in b in c", "a < b + 1 >= c"] {
        let d = e_err(src);
        assert!(has(&d, "comparisons do not chain"), "{src}: {d:#?}");
    }
    e("(a < b) == c");
    e("a < b && b < c");
}

#[test]
fn literals() {
    assert_eq!(e("1_000"), int(1000));
    assert_eq!(e("-9223372036854775808"), int(i64::MIN));
    assert_eq!(e("9223372036854775807"), int(i64::MAX));
    assert_eq!(e("-5"), int(-5));
    assert_eq!(e("3 - 5"), bin(BinaryOp::Sub, int(3), int(5)));
    assert_eq!(e("3 - -5"), bin(BinaryOp::Sub, int(3), int(-5)));
    assert_eq!(
        e("-(5)"),
        x(ExprKind::Unary {
            op: UnaryOp::Neg,
            expr: Box::new(int(5))
        })
    );
    assert_eq!(
        e("- -5"),
        x(ExprKind::Unary {
            op: UnaryOp::Neg,
            expr: Box::new(int(-5))
        })
    );
    assert_eq!(
        e("-1.5"),
        x(ExprKind::Unary {
            op: UnaryOp::Neg,
            expr: Box::new(x(ExprKind::Float(1.5)))
        })
    );
    assert_eq!(e(".5"), x(ExprKind::Float(0.5)));
    assert_eq!(e("1E+2"), x(ExprKind::Float(100.0)));
    assert_eq!(e("true").kind, ExprKind::Bool(true));
    assert_eq!(e("null").kind, ExprKind::Null);
    assert_eq!(e("[1, 2,]").kind, ExprKind::List(vec![int(1), int(2)]));
    assert_eq!(e("[]").kind, ExprKind::List(vec![]));
    assert_eq!(e("{}").kind, ExprKind::Map(vec![]));
    assert_eq!(
        e("{\"k\": 1, k2: 2,}").kind,
        ExprKind::Map(vec![
            (x(ExprKind::Str(vec![StrPart::Lit("k".into())])), int(1)),
            (name("k2"), int(2))
        ])
    );
    assert_eq!(
        e("Todo{id: 1, text,}").kind,
        ExprKind::Record {
            name: n("Todo"),
            fields: vec![
                Arg {
                    name: n("id"),
                    value: int(1)
                },
                Arg {
                    name: n("text"),
                    value: name("text")
                }
            ]
        }
    );
    assert_eq!(
        e("Status.open").kind,
        ExprKind::EnumMember {
            ty: n("Status"),
            member: n("open")
        }
    );
    assert_eq!(e("\"\"").kind, ExprKind::Str(vec![]));
}

#[test]
fn int_range() {
    for src in [
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999999",
    ] {
        let d = e_err(src);
        assert!(has(&d, "integer literal out of range"), "{src}: {d:#?}");
        assert_eq!(d[0].span.start, 0);
    }
    // Not folded: the magnitude alone is out of range.
    let d = e_err("-(9223372036854775808)");
    assert!(has(&d, "integer literal out of range"));
}

#[test]
fn strings_and_interpolation() {
    let src = r#""a ${x + size("${y}")} \${z} \u{1F600}\"""#;
    let (ex, d) = parse_expr(7, src);
    assert!(d.is_empty(), "{d:#?}");
    let ex = ex.unwrap();
    assert_eq!(ex.span, Span::new(7, 0, src.len()));
    let ExprKind::Str(parts) = &ex.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], StrPart::Lit("a ".into()));
    assert_eq!(parts[2], StrPart::Lit(" ${z} \u{1F600}\"".into()));
    let StrPart::Expr(inner) = &parts[1] else {
        panic!()
    };
    assert_eq!(
        &src[inner.span.start as usize..inner.span.end as usize],
        "x + size(\"${y}\")"
    );
    let ExprKind::Binary { rhs, .. } = &inner.kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &rhs.kind else {
        panic!()
    };
    let ExprKind::Str(inner_parts) = &args[0].kind else {
        panic!()
    };
    let StrPart::Expr(y) = &inner_parts[0] else {
        panic!()
    };
    assert_eq!(&src[y.span.start as usize..y.span.end as usize], "y");
    // Braces inside `${}`.
    let ex = e(r#""${ {"k": 1}["k"] }""#);
    let ExprKind::Str(parts) = ex.kind else {
        panic!()
    };
    assert!(matches!(
        &parts[0],
        StrPart::Expr(Expr {
            kind: ExprKind::Index { .. },
            ..
        })
    ));
    // Errors.
    assert!(has(
        &e_err(r#""${}""#),
        "expected an expression inside `${}`"
    ));
    assert!(has(
        &e_err(r#""${a b}""#),
        "expected `}` to close `${`, found `b`"
    ));
    assert!(has(&e_err(r#""\q""#), "invalid escape"));
    assert!(has(&e_err("\"abc"), "unterminated string"));
    assert!(has(&e_err("\"\\u{110000}\""), "not a Unicode scalar"));
}

#[test]
fn invariant_text_must_be_plain() {
    let m = one_model("model M {\n  invariant \"a \\${b}\": true\n}\n");
    let Member::Invariant(inv) = &m.members[0] else {
        panic!()
    };
    assert_eq!(inv.text, "a ${b}");
    let src = "model M {\n  invariant \"a ${b}\": true\n}\n";
    let d = errs(src);
    assert!(has(&d, "must be a plain string"));
    assert_eq!(line_col(src, &d[0]), (2, 16));
}

#[test]
fn newline_rules() {
    // Continuations after binary operators, `?`, `:`, `=` and `,`, and
    // inside brackets.
    let src = "model M {
  state {
    customer: string?
    total: int = 1 +
      2
    m: map<string, int> = {
      \"a\": 1,
      \"b\": 2
    }
  }
  query q(
    a: int
    b: int
  ): int = a >
    b ?
    1 :
    2
  command go(id: string) {
    let x = [
      1,
      2
    ]
    emit went(
      id,
      n: size(
        x)
    ); let y = 1
    if x == [] {
    }
    else if y > 1 { } else
    {
    }
    reject bad \"no\" if
      y > 3
  }
}
";
    let m = one_model(src);
    let Member::State(st) = &m.members[0] else {
        panic!()
    };
    assert_eq!(st.fields.len(), 3);
    assert!(matches!(st.fields[0].ty.kind, TypeKind::Optional(_)));
    assert!(st.fields[0].default.is_none());
    let Member::Query(q) = &m.members[1] else {
        panic!()
    };
    assert_eq!(q.params.len(), 2, "a newline separates params");
    assert!(matches!(q.body.kind, ExprKind::Cond { .. }));
    let stmts = stmts_of_first_handler(&m);
    assert_eq!(stmts.len(), 5);
    let StmtKind::If {
        branches,
        otherwise,
    } = &stmts[3].kind
    else {
        panic!()
    };
    assert_eq!(branches.len(), 2);
    assert!(otherwise.is_some());

    // A newline ends the statement: the next line is not a continuation.
    let d = errs("model M {\n  command go() {\n    let x = a\n      + b\n  }\n}\n");
    assert!(has(&d, "expected a statement"), "{d:#?}");
    let d = errs("model M {\n  command go() {\n    let x = f\n    (b)\n  }\n}\n");
    assert!(has(&d, "expected a statement"), "{d:#?}");
    // Two statements on a line need `;`.
    let d = errs("model M {\n  command go() {\n    let x = 1 let y = 2\n  }\n}\n");
    assert!(
        has(
            &d,
            "expected a new line or `;` after the statement, found the keyword `let`"
        ),
        "{d:#?}"
    );
    ok("model M {\n  command go() {\n    let x = 1; let y = 2;\n  }\n}\n");
    // Fields end at newlines.
    let d = errs("model M {\n  state {\n    a: int b: int\n  }\n}\n");
    assert!(
        has(&d, "expected a new line or `;` after the field, found `b`"),
        "{d:#?}"
    );
    ok("model M {\n  state { a: int; b: int }\n}\n");
    // `list<int>=` splits `>=`.
    let m = one_model("model M {\n  state {\n    l: list<int>= [1]\n  }\n}\n");
    let Member::State(st) = &m.members[0] else {
        panic!()
    };
    assert!(st.fields[0].default.is_some());
}
