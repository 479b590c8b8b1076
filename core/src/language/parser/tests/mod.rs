use super::super::printer::{strip_expr_spans, strip_spans};
use super::*;

/// The shared models, read at run time: without `../shared` (or
/// `EVENTFOLD_SHARED`), the tests that use them fail saying so.
fn shared(relative: &str) -> String {
    crate::scenario::read_shared(relative).unwrap_or_else(|e| panic!("{e}"))
}
pub(super) fn todos() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/todos.model"))
}
pub(super) fn account() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/account.model"))
}
pub(super) fn cart() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| shared("scenarios/cart.model"))
}

fn ok(src: &str) -> File {
    let (f, d) = parse(0, src);
    assert!(d.is_empty(), "unexpected diagnostics for {src:?}: {d:#?}");
    f
}

fn errs(src: &str) -> Vec<Diag> {
    let (_, d) = parse(0, src);
    assert!(!d.is_empty(), "expected diagnostics for {src:?}");
    d
}

fn has(diags: &[Diag], needle: &str) -> bool {
    diags.iter().any(|d| d.message.contains(needle))
}

/// 1-based (line, column in code points) of a diagnostic.
fn line_col(src: &str, d: &Diag) -> (usize, usize) {
    let before = &src[..d.span.start as usize];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn e(src: &str) -> Expr {
    let (e, d) = parse_expr(0, src);
    assert!(d.is_empty(), "unexpected diagnostics for {src:?}: {d:#?}");
    let mut e = e.unwrap();
    strip_expr_spans(&mut e);
    e
}

fn e_err(src: &str) -> Vec<Diag> {
    let (_, d) = parse_expr(0, src);
    assert!(!d.is_empty(), "expected diagnostics for {src:?}");
    d
}

fn n(name: &str) -> Ident {
    Ident {
        name: name.into(),
        span: Span::default(),
    }
}

fn x(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn name(s: &str) -> Expr {
    x(ExprKind::Name(n(s)))
}

fn int(v: i64) -> Expr {
    x(ExprKind::Int(v))
}

fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    x(ExprKind::Binary {
        op,
        lhs: Box::new(l),
        rhs: Box::new(r),
    })
}

fn one_model(src: &str) -> Model {
    let mut f = ok(src);
    assert_eq!(f.models.len(), 1);
    f.models.remove(0)
}

fn stmts_of_first_handler(m: &Model) -> &[Stmt] {
    for mem in &m.members {
        if let Member::Command(h) | Member::Event(h) = mem {
            return &h.body.stmts;
        }
    }
    panic!("no handler")
}

#[test]
fn shared_models_parse_cleanly() {
    for (src, name, members) in [
        (todos(), "Todos", 18),
        (account(), "Account", 12),
        (cart(), "Cart", 16),
    ] {
        let f = ok(src);
        assert_eq!(f.models.len(), 1);
        assert_eq!(f.models[0].name.name, name);
        assert_eq!(f.models[0].members.len(), members, "{name}");
    }
}

#[test]
fn todos_details() {
    let f = ok(todos());
    let m = &f.models[0];
    assert_eq!(
        m.doc.as_deref(),
        Some("A list of things to do, after the todo model of the original design notes.")
    );
    let Member::State(state) = &m.members[0] else {
        panic!()
    };
    assert_eq!(state.doc, None);
    assert_eq!(
        &todos()[state.keyword.start as usize..state.keyword.end as usize],
        "state"
    );
    assert_eq!(
        state.fields[0].doc.as_deref(),
        Some("Every todo on the list, by id.")
    );
    assert_eq!(state.fields[0].name.name, "todos");
    let Member::Record(r) = &m.members[1] else {
        panic!()
    };
    assert_eq!(r.doc.as_deref(), Some("One thing to do."));
    let Member::Command(c) = &m.members[2] else {
        panic!()
    };
    assert_eq!(c.name.name, "create-new");
    assert_eq!(c.doc.as_deref(), Some("Put a new todo on the list."));
    assert_eq!(
        &todos()[c.name.span.start as usize..c.name.span.end as usize],
        "create-new"
    );
    let StmtKind::Reject {
        reason,
        message,
        unless,
        cond,
    } = &c.body.stmts[0].kind
    else {
        panic!()
    };
    assert_eq!(reason.as_ref().unwrap().name, "duplicate");
    assert!(!unless);
    let ExprKind::Str(parts) = &message.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    let StrPart::Expr(id) = &parts[1] else {
        panic!()
    };
    // The interpolated expression points into the file.
    assert_eq!(&todos()[id.span.start as usize..id.span.end as usize], "id");
    assert!(matches!(
        cond.kind,
        ExprKind::Binary {
            op: BinaryOp::In,
            ..
        }
    ));
    let StmtKind::Emit { event, args, .. } = &c.body.stmts[2].kind else {
        panic!()
    };
    assert_eq!(event.name, "created");
    assert_eq!(args.len(), 3);
    assert_eq!(args[0].value.kind, ExprKind::Name(args[0].name.clone()));
    assert_eq!(
        &todos()[c.body.stmts[2].keyword.start as usize..][..4],
        "emit"
    );
}

#[test]
fn check_cases_that_are_syntactically_fine() {
    // The check scenarios whose errors belong to the checker must parse.
    for src in [
            "model M {\n  command go() {\n    emit gone()\n  }\n}\n",
            "model M {\n  state {\n    count: int\n  }\n  command bump() {\n    set count = count + 1\n  }\n}\n",
            "model M {\n  event bumped() {\n    reject \"no\" if true\n  }\n}\n",
            "model M {\n  query q(): int = cuont\n}\n",
            "model M {\n  command go() {\n    let x = 1\n    let x = 2\n  }\n}\n",
            "model M {\n  state {\n    items: list<Thing>\n  }\n}\n",
            "model M {\n}\nmodel M {\n}\n",
            "",
            "// nothing here\n\n",
        ] {
            ok(src);
        }
    // Statement keywords are where the checker reports them.
    let src = "model M {\n  state {\n    count: int\n  }\n  command bump() {\n    set count = count + 1\n  }\n}\n";
    let m = one_model(src);
    let s = &stmts_of_first_handler(&m)[0];
    assert_eq!(line_col(src, &Diag::new(s.keyword, "")), (6, 5));
    let src = "model M {\n  query q(): int = cuont\n}\n";
    let m = one_model(src);
    let Member::Query(q) = &m.members[0] else {
        panic!()
    };
    assert_eq!(line_col(src, &Diag::new(q.body.span, "")), (2, 20));
}

#[test]
fn check_scenario_sources() {
    // Of the compile cases, only the unclosed block is a syntax error;
    // the others are the checker's to refuse.
    let json: serde_json::Value =
        serde_json::from_str(&shared("scenarios/check.scenarios.json")).unwrap();
    let mut seen = 0;
    for case in json["cases"].as_array().unwrap() {
        let Some(src) = case["source"].as_str() else {
            continue;
        };
        seen += 1;
        let (_, d) = parse(0, src);
        let name = case["name"].as_str().unwrap();
        if name.contains("unclosed block") {
            assert_eq!(d.len(), 1, "{name}: {d:#?}");
            assert!(d[0]
                .message
                .contains("expected `}` to close the block of command `go`"));
        } else {
            assert!(d.is_empty(), "{name}: {d:#?}");
        }
    }
    assert!(seen >= 10);
}

#[test]
fn crlf_sources() {
    for src in [todos(), account(), cart()] {
        let (mut a, d) = parse(0, src);
        assert!(d.is_empty());
        let (mut b, d) = parse(0, &src.replace('\n', "\r\n"));
        assert!(d.is_empty(), "{d:#?}");
        strip_spans(&mut a);
        strip_spans(&mut b);
        assert_eq!(a, b);
    }
}

#[test]
fn unclosed_block() {
    let src = "model M {\n  command go() {\n    emit went()\n";
    let d = errs(src);
    assert!(
        has(
            &d,
            "expected `}` to close the block of command `go`, found the end of the file"
        ),
        "{d:#?}"
    );
    assert_eq!(d[0].span.start as usize, src.len());
}

mod exprs;
mod projection;
mod recovery;
