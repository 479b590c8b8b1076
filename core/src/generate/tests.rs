//! Laws every generator keeps, checked for each language at once.

use super::*;
use crate::Source;

const TODOS: &str = include_str!("../../../examples/todos/todos.model");

fn gen(text: &str, lang: Lang) -> Vec<File> {
    let d = Domain::compile(&[Source::new("todos.model", text)]).expect("compiles");
    generate(&d, lang, &Options::default())
}

#[test]
fn the_same_model_gives_the_same_bytes() {
    for lang in Lang::ALL {
        assert_eq!(gen(TODOS, lang), gen(TODOS, lang), "{lang}");
        assert!(!gen(TODOS, lang).is_empty(), "{lang} writes files");
    }
}

#[test]
fn every_file_says_it_is_generated() {
    for lang in Lang::ALL {
        for f in gen(TODOS, lang) {
            let head: String = f.contents.lines().take(3).collect::<Vec<_>>().join("\n");
            assert!(
                head.contains(&banner()) || f.contents.is_empty(),
                "{lang}: {} starts with the banner:\n{head}",
                f.path
            );
        }
    }
}

/// A model change (a command, or a query, added) only adds lines: every
/// line of the old output is still there, in order, so code written
/// against the old types goes on compiling, and a diff shows just what
/// the model added.
#[test]
fn a_model_change_only_adds_lines() {
    let command = TODOS.replacen(
        "  /// Take every done todo off the list at once.",
        "  /// Put a todo back on top.\n  command bump(id: string) {\n    reject missing \"no todo ${id}\" unless id in todos\n    emit deleted(id)\n  }\n\n  /// Take every done todo off the list at once.",
        1,
    );
    let query = TODOS.replacen(
        "  /// How many todos are not done yet.",
        "  /// How many todos there are.\n  query bump-count(): int = size(todos)\n  /// How many todos are not done yet.",
        1,
    );
    for new_text in [command, query] {
        assert_ne!(TODOS, new_text);
        only_adds_lines(&new_text);
    }
}

fn only_adds_lines(new_text: &str) {
    for lang in Lang::ALL {
        let (old, new) = (gen(TODOS, lang), gen(new_text, lang));
        let paths = |fs: &[File]| fs.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&old), paths(&new), "{lang}: the same files");
        for (o, n) in old.iter().zip(&new) {
            let mut rest = n.contents.lines();
            for line in o.contents.lines() {
                assert!(
                    rest.any(|l| l == line),
                    "{lang}: {}: the line {line:?} changed or moved",
                    o.path
                );
            }
        }
        assert!(
            new.iter()
                .any(|f| f.contents.to_lowercase().contains("bump")),
            "{lang} writes the new command"
        );
    }
}
