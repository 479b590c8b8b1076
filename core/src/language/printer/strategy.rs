//! Property-test strategies: random trees the parser can produce, for the
//! round-trip tests.

use super::super::ast::{
    Arg, BinaryOp, Block, Column, EnumDecl, EnumMember, Expr, ExprKind, Field, File, HandlerDecl,
    Ident, InvariantDecl, Member, Model, OnHandler, Path, PathSegment, Projection, ProjectionMode,
    QueryDecl, RecordDecl, Span, StateDecl, Stmt, StmtKind, StrPart, Table, TypeExpr, TypeKind,
    UnaryOp, Version,
};
use super::super::lexer::is_keyword;
use proptest::prelude::*;

fn id(name: impl Into<String>) -> Ident {
    Ident {
        name: name.into(),
        span: Span::default(),
    }
}

fn ex(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn snake() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| !is_keyword(s))
}

fn pascal() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9]{0,5}"
}

fn kebab() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,3}){0,2}".prop_filter("not a keyword", |s| !is_keyword(s))
}

fn doc() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.3, "[ -~]{0,12}(\n[ -~]{0,12}){0,2}")
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z \"\\\\${}]{1,8}",
        "\\PC{1,6}",
        Just("\n\t\r\u{0}".to_string()),
    ]
}

/// Literal parts merged and never empty, as the parser makes them.
fn normalize(parts: Vec<StrPart>) -> Vec<StrPart> {
    let mut out: Vec<StrPart> = Vec::new();
    for p in parts {
        match (out.last_mut(), p) {
            (_, StrPart::Lit(t)) if t.is_empty() => {}
            (Some(StrPart::Lit(prev)), StrPart::Lit(t)) => prev.push_str(&t),
            (_, p) => out.push(p),
        }
    }
    out
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(ex(ExprKind::Null)),
        any::<bool>().prop_map(|b| ex(ExprKind::Bool(b))),
        any::<i64>().prop_map(|v| ex(ExprKind::Int(v))),
        (0i64..20).prop_map(|v| ex(ExprKind::Int(v))),
        prop_oneof![
            any::<f64>().prop_filter("finite, not negative", |f| f.is_finite()
                && f.is_sign_positive()),
            Just(0.5),
            Just(1e20)
        ]
        .prop_map(|f| ex(ExprKind::Float(f))),
        proptest::option::of(text()).prop_map(|t| ex(ExprKind::Str(normalize(
            t.into_iter().map(StrPart::Lit).collect()
        )))),
        snake().prop_map(|n| ex(ExprKind::Name(id(n)))),
        Just(ex(ExprKind::Name(id("state")))),
        (pascal(), snake()).prop_map(|(t, m)| ex(ExprKind::EnumMember {
            ty: id(t),
            member: id(m)
        })),
    ]
}

fn arg(value: impl Strategy<Value = Expr>) -> impl Strategy<Value = Arg> {
    (snake(), value, any::<bool>()).prop_map(|(n, v, short)| Arg {
        name: id(n.clone()),
        value: if short { ex(ExprKind::Name(id(n))) } else { v },
    })
}

pub(super) fn expr_tree() -> impl Strategy<Value = Expr> {
    let binops = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::In,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];
    leaf().prop_recursive(5, 48, 4, move |inner| {
        let small = || proptest::collection::vec(inner.clone(), 0..3);
        prop_oneof![
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                inner.clone()
            )
                .prop_map(|(op, e)| ex(ExprKind::Unary {
                    op,
                    expr: Box::new(e)
                })),
            (
                prop::sample::select(binops.to_vec()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, l, r)| ex(ExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                })),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| ex(
                ExprKind::Cond {
                    cond: Box::new(c),
                    then: Box::new(t),
                    otherwise: Box::new(o)
                }
            )),
            (inner.clone(), snake()).prop_map(|(t, f)| ex(ExprKind::Field {
                target: Box::new(t),
                field: id(f)
            })),
            (inner.clone(), inner.clone()).prop_map(|(t, i)| ex(ExprKind::Index {
                target: Box::new(t),
                index: Box::new(i)
            })),
            (snake(), small()).prop_map(|(f, args)| ex(ExprKind::Call { func: id(f), args })),
            (inner.clone(), snake(), small()).prop_map(|(t, m, args)| ex(ExprKind::Method {
                target: Box::new(t),
                method: id(m),
                args
            })),
            small().prop_map(|items| ex(ExprKind::List(items))),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..3)
                .prop_map(|e| ex(ExprKind::Map(e))),
            (
                pascal(),
                proptest::collection::vec(arg(inner.clone()), 0..3)
            )
                .prop_map(|(n, fields)| ex(ExprKind::Record {
                    name: id(n),
                    fields
                })),
            proptest::collection::vec(
                prop_oneof![
                    text().prop_map(StrPart::Lit),
                    inner.clone().prop_map(StrPart::Expr)
                ],
                0..4
            )
            .prop_map(|parts| ex(ExprKind::Str(normalize(parts)))),
        ]
    })
}

fn type_tree() -> impl Strategy<Value = TypeExpr> {
    let t = |kind| TypeExpr {
        kind,
        span: Span::default(),
    };
    let leaf = prop_oneof![
        Just(t(TypeKind::String)),
        Just(t(TypeKind::Int)),
        Just(t(TypeKind::Float)),
        Just(t(TypeKind::Bool)),
        Just(t(TypeKind::Timestamp)),
        Just(t(TypeKind::Duration)),
        pascal().prop_map(move |n| t(TypeKind::Named(id(n)))),
        (pascal(), pascal()).prop_map(move |(m, n)| t(TypeKind::Qualified(id(m), id(n)))),
    ];
    leaf.prop_recursive(3, 8, 2, move |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(move |i| t(TypeKind::List(Box::new(i)))),
            (inner.clone(), inner.clone())
                .prop_map(move |(k, v)| t(TypeKind::Map(Box::new(k), Box::new(v)))),
            inner.prop_map(move |i| t(TypeKind::Optional(Box::new(i)))),
        ]
    })
}

fn field_strategy() -> impl Strategy<Value = Field> {
    (
        doc(),
        snake(),
        type_tree(),
        proptest::option::weighted(0.3, expr_tree()),
    )
        .prop_map(|(doc, n, ty, default)| Field {
            doc,
            name: id(n),
            ty,
            default,
        })
}

fn version_strategy() -> impl Strategy<Value = Option<Version>> {
    proptest::option::of(prop_oneof![1..4u32, Just(u32::MAX)]).prop_map(|v| {
        v.map(|value| Version {
            value,
            span: Span::default(),
        })
    })
}

fn path_strategy() -> impl Strategy<Value = Path> {
    (
        prop_oneof![snake(), Just("state".to_string())],
        proptest::collection::vec(
            prop_oneof![
                snake().prop_map(|f| PathSegment::Field(id(f))),
                expr_tree().prop_map(PathSegment::Index)
            ],
            0..3,
        ),
    )
        .prop_map(|(root, segments)| Path {
            root: id(root),
            segments,
        })
}

fn str_expr() -> impl Strategy<Value = Expr> {
    proptest::collection::vec(
        prop_oneof![
            text().prop_map(StrPart::Lit),
            expr_tree().prop_map(StrPart::Expr)
        ],
        0..3,
    )
    .prop_map(|parts| ex(ExprKind::Str(normalize(parts))))
}

fn stmt_leaf() -> impl Strategy<Value = StmtKind> {
    prop_oneof![
        (snake(), expr_tree()).prop_map(|(n, value)| StmtKind::Let { name: id(n), value }),
        (
            proptest::option::of(snake()),
            str_expr(),
            any::<bool>(),
            expr_tree()
        )
            .prop_map(|(r, message, unless, cond)| {
                StmtKind::Reject {
                    reason: r.map(id),
                    message,
                    unless,
                    cond,
                }
            }),
        (
            kebab(),
            version_strategy(),
            proptest::collection::vec(arg(expr_tree()), 0..3)
        )
            .prop_map(|(e, version, args)| StmtKind::Emit {
                event: id(e),
                version,
                args
            }),
        (path_strategy(), expr_tree()).prop_map(|(path, value)| StmtKind::Set { path, value }),
        path_strategy().prop_map(|path| StmtKind::Remove { path }),
        (
            snake(),
            proptest::collection::vec(arg(expr_tree()), 0..3),
            any::<bool>()
        )
            .prop_map(|(t, args, upsert)| StmtKind::Insert {
                table: id(t),
                args,
                upsert
            }),
        (
            snake(),
            proptest::collection::vec(expr_tree(), 1..3),
            proptest::collection::vec(arg(expr_tree()), 0..3)
        )
            .prop_map(|(t, keys, args)| StmtKind::Update {
                table: id(t),
                keys,
                args
            }),
        (snake(), proptest::collection::vec(expr_tree(), 1..3))
            .prop_map(|(t, keys)| StmtKind::Delete { table: id(t), keys }),
    ]
}

fn block_of(stmts: Vec<StmtKind>) -> Block {
    Block {
        stmts: stmts
            .into_iter()
            .map(|kind| Stmt {
                kind,
                keyword: Span::default(),
            })
            .collect(),
        span: Span::default(),
    }
}

fn stmt_tree() -> impl Strategy<Value = StmtKind> {
    stmt_leaf().prop_recursive(3, 16, 3, |inner| {
        let block = proptest::collection::vec(inner.clone(), 0..3).prop_map(block_of);
        prop_oneof![
            (
                proptest::collection::vec((expr_tree(), block.clone()), 1..3),
                proptest::option::of(block.clone())
            )
                .prop_map(|(branches, otherwise)| StmtKind::If {
                    branches,
                    otherwise
                }),
            (snake(), expr_tree(), block).prop_map(|(v, iter, body)| StmtKind::For {
                var: id(v),
                iter,
                body
            }),
        ]
    })
}

fn member_strategy() -> impl Strategy<Value = Member> {
    let fields = || proptest::collection::vec(field_strategy(), 0..3);
    let body = || proptest::collection::vec(stmt_tree(), 0..3).prop_map(block_of);
    prop_oneof![
        (doc(), fields()).prop_map(|(doc, fields)| Member::State(StateDecl {
            doc,
            keyword: Span::default(),
            fields
        })),
        (doc(), pascal(), fields()).prop_map(|(doc, n, fields)| Member::Record(RecordDecl {
            doc,
            name: id(n),
            fields
        })),
        (
            doc(),
            pascal(),
            proptest::collection::vec((doc(), snake()), 1..4)
        )
            .prop_map(|(doc, n, ms)| {
                Member::Enum(EnumDecl {
                    doc,
                    name: id(n),
                    members: ms
                        .into_iter()
                        .map(|(doc, m)| EnumMember { doc, name: id(m) })
                        .collect(),
                })
            }),
        (doc(), kebab(), version_strategy(), fields(), body(), 0..3u8).prop_map(
            |(doc, n, version, params, body, kind)| {
                let mut h = HandlerDecl {
                    doc,
                    name: id(n),
                    version,
                    params,
                    body,
                };
                match kind {
                    0 => {
                        h.version = None;
                        Member::Command(h)
                    }
                    1 => Member::Event(h),
                    _ => {
                        h.version.get_or_insert(Version {
                            value: 1,
                            span: Span::default(),
                        });
                        Member::Upcast(h)
                    }
                }
            }
        ),
        (doc(), kebab(), fields(), type_tree(), expr_tree()).prop_map(
            |(doc, n, params, ty, body)| Member::Query(QueryDecl {
                doc,
                name: id(n),
                params,
                ty,
                body
            })
        ),
        (doc(), text(), expr_tree()).prop_map(|(doc, text, expr)| Member::Invariant(
            InvariantDecl {
                doc,
                keyword: Span::default(),
                text,
                expr
            }
        )),
    ]
}

pub(crate) fn file_strategy() -> impl Strategy<Value = File> {
    proptest::collection::vec(
        (
            doc(),
            pascal(),
            proptest::collection::vec(member_strategy(), 0..4),
        )
            .prop_map(|(doc, n, members)| Model {
                doc,
                name: id(n),
                members,
            }),
        0..3,
    )
    .prop_flat_map(|models| {
        let column = (
            proptest::option::of(Just(Span::default())),
            field_strategy(),
        )
            .prop_map(|(key, field)| Column { key, field });
        let table = (doc(), snake(), proptest::collection::vec(column, 0..3)).prop_map(
            |(doc, n, columns)| Table {
                doc,
                name: id(n),
                columns,
            },
        );
        let handler = (
            doc(),
            pascal(),
            kebab(),
            proptest::collection::vec(stmt_tree(), 0..3).prop_map(block_of),
        )
            .prop_map(|(doc, m, e, body)| OnHandler {
                doc,
                keyword: Span::default(),
                model: id(m),
                event: id(e),
                body,
            });
        let projection = (
            doc(),
            kebab(),
            any::<bool>(),
            proptest::collection::vec(handler, 0..3),
        )
            .prop_map(|(doc, n, inline, handlers)| Projection {
                doc,
                name: id(n),
                mode: if inline {
                    ProjectionMode::Inline
                } else {
                    ProjectionMode::Async
                },
                handlers,
            });
        (
            Just(models),
            proptest::collection::vec(table, 0..2),
            proptest::collection::vec(projection, 0..2),
        )
    })
    .prop_map(|(models, tables, projections)| File {
        models,
        tables,
        projections,
    })
}
