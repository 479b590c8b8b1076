//! The read side's syntax (MODEL-LANGUAGE.md §13): tables, projections,
//! their statements, and the words that stay names everywhere else.

use super::*;
use crate::language::ast::ProjectionMode;

#[test]
fn a_table_a_projection_and_their_statements() {
    let f = ok("table t {\n  /// The id.\n  key id: string\n  key: int = 1\n  s: M.Size?\n}\n\n/// P.\nprojection in-list async {\n  /// On a.\n  on M.on-hold {\n    insert t(id, key: 2)\n    upsert t(id)\n    update t[id, 1](key: row.key + 1)\n    delete t[id]\n    let x = event.position + stream.version\n    let y = stream.model\n  }\n}\n");
    let t = &f.tables[0];
    assert_eq!(t.name.name, "t");
    assert!(t.columns[0].key.is_some());
    assert_eq!(t.columns[0].field.doc.as_deref(), Some("The id."));
    assert_eq!(t.columns[1].field.name.name, "key");
    assert!(t.columns[1].key.is_none());
    assert!(
        matches!(&t.columns[2].field.ty.kind, TypeKind::Optional(inner)
        if matches!(&inner.kind, TypeKind::Qualified(m, n) if m.name == "M" && n.name == "Size"))
    );
    let p = &f.projections[0];
    assert_eq!(p.name.name, "in-list");
    assert_eq!(p.doc.as_deref(), Some("P."));
    assert_eq!(p.mode, ProjectionMode::Async);
    let h = &p.handlers[0];
    assert_eq!(
        (h.model.name.as_str(), h.event.name.as_str()),
        ("M", "on-hold")
    );
    assert_eq!(h.doc.as_deref(), Some("On a."));
    let kinds: Vec<&str> = h
        .body
        .stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Insert { upsert: false, .. } => "insert",
            StmtKind::Insert { upsert: true, .. } => "upsert",
            StmtKind::Update { keys, .. } if keys.len() == 2 => "update",
            StmtKind::Delete { .. } => "delete",
            StmtKind::Let { .. } => "let",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["insert", "upsert", "update", "delete", "let", "let"]
    );
}

#[test]
fn the_new_words_are_names_everywhere_else() {
    let f = ok("model M {\n  state {\n    table: int\n    key: string\n    on: bool\n    projection: int\n  }\n  command delete(id: string) {\n    let update = table + projection\n    emit inserted(insert: update)\n  }\n  event inserted(insert: int) {\n    set table = insert\n  }\n}\n");
    assert_eq!(f.models.len(), 1);
    assert!(f.tables.is_empty() && f.projections.is_empty());
}

#[test]
fn a_projection_without_a_mode_and_a_broken_handler_are_reported_and_reading_goes_on() {
    let src = "projection p {\n  on M.a {\n    upsert t(\n  }\n  on M.b {\n    delete t[x]\n  }\n}\ntable t {\n  key x: string\n}\nmodel M {}\n";
    let (f, d) = parse(0, src);
    let lines: Vec<usize> = d.iter().map(|d| line_col(src, d).0).collect();
    assert_eq!(lines, vec![1, 4], "{d:#?}");
    assert!(has(&d, "the mode of projection `p`"), "{d:#?}");
    assert_eq!(f.projections[0].handlers.len(), 2, "both handlers are kept");
    assert_eq!(f.tables.len(), 1);
    assert_eq!(f.models.len(), 1);
}

#[test]
fn a_model_left_open_ends_at_a_table() {
    let src = "model M {\n  state {\n    a: int\n  }\n\ntable t {\n  key a: string\n}\n";
    let (f, d) = parse(0, src);
    assert!(has(&d, "`}` to close model `M`"), "{d:#?}");
    assert_eq!(f.tables.len(), 1);
}

#[test]
fn qualified_literals_read_as_one_type_name() {
    let x = e("M.Size.small");
    assert!(
        matches!(&x.kind, ExprKind::EnumMember { ty, member } if ty.name == "M.Size" && member.name == "small")
    );
    let x = e("M.Line{sku, qty: 1}");
    assert!(matches!(&x.kind, ExprKind::Record { name, .. } if name.name == "M.Line"));
    let x = e("stream.model");
    assert!(matches!(&x.kind, ExprKind::Field { field, .. } if field.name == "model"));
}
