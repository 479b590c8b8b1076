use super::*;

const TODOS: &str = include_str!("../../../examples/todos/todos.model");

fn at(text: &str, needle: &str, nth: usize) -> u32 {
    let mut from = 0;
    for _ in 0..nth {
        from += text[from..].find(needle).unwrap() + 1;
    }
    (from + text[from..].find(needle).unwrap()) as u32
}

fn one() -> Analysis {
    Analysis::new(vec![("todos.model".into(), TODOS.into())])
}

#[test]
fn a_clean_file_has_no_problems_and_a_broken_one_has_them_with_ranges() {
    assert_eq!(one().problems(0).count(), 0);
    let bad = TODOS.replacen("todos[id].completed", "todos[id].complete", 1);
    let a = Analysis::new(vec![("t.model".into(), bad.clone())]);
    let p: Vec<_> = a.problems(0).collect();
    assert!(!p.is_empty());
    assert_eq!(
        &bad[p[0].range.start as usize..p[0].range.end as usize],
        "complete"
    );
}

#[test]
fn every_emit_of_an_event_is_a_reference_and_rename_edits_them_all() {
    let a = one();
    let decl = at(TODOS, "event created", 0) + 6;
    let refs = a.references(0, decl);
    assert!(refs.len() >= 2, "{refs:?}");
    for r in &refs {
        assert_eq!(&TODOS[r.start as usize..r.end as usize], "created");
    }
    let emit = at(TODOS, "emit created", 0) + 5;
    assert_eq!(a.definition(0, emit).unwrap().kind, DefKind::Event);
    let edits = a.rename(0, emit, "added").unwrap();
    assert_eq!(edits.len(), refs.len());
    assert!(a.rename(0, emit, "Added").is_err());
}

#[test]
fn hover_shows_the_declaration_and_its_docs() {
    let a = one();
    let use_ = at(TODOS, "todos[id]", 0);
    let h = a.hover(0, use_).unwrap();
    assert!(
        h.markdown.contains("todos: map<string, Todo>"),
        "{}",
        h.markdown
    );
}

#[test]
fn the_outline_lists_models_and_their_members() {
    let a = one();
    let s = a.symbols(0);
    assert_eq!(s[0].kind, DefKind::Model);
    assert!(s[0].children.iter().any(|c| c.kind == DefKind::Command));
    assert!(s[0]
        .children
        .iter()
        .any(|c| c.kind == DefKind::Record && !c.children.is_empty()));
}
