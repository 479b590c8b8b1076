//! What the compiler refuses, and where it says so (beyond the shared
//! `check.scenarios.json`). Each case: a source, then `(line, column, text)`
//! of every diagnostic expected, in order.

mod golden;

use eventfold::{Domain, Error, Source};
use golden::refused;

#[test]
fn names_and_declarations() {
    refused(
        "model M {\n  command go() {}\n  command go() {}\n}\n",
        &[(3, 11, "go")],
    );
    refused(
        "model M {\n  state {\n    a: int\n    a: string\n  }\n}\n",
        &[(4, 5, "a")],
    );
    refused("model M {\n  enum E { a, b, a }\n}\n", &[(2, 18, "a")]);
    refused(
        "model M {\n  record R { x: int }\n  enum R { a }\n}\n",
        &[(3, 8, "R")],
    );
    refused("model M {\n  command if() {}\n}\n", &[(2, 11, "keyword")]);
    refused(
        "model M {\n  state { s: Status }\n  enum Status { open }\n}\n",
        &[(2, 11, "default")],
    );
    refused(
        "model M {\n  state { n: int = size(\"ab\") }\n}\n",
        &[(2, 20, "constant")],
    );
}

#[test]
fn types() {
    refused(
        "model M {\n  query q(): bool = 1 == 1.0\n}\n",
        &[(2, 21, "int")],
    );
    refused(
        "model M {\n  query q(): bool = 1 < 2 < 3\n}\n",
        &[(2, 27, "")],
    );
    refused(
        "model M {\n  state { m: map<int, string> }\n}\n",
        &[(2, 18, "string")],
    );
    refused(
        "model M {\n  query q(): string = string([1])\n}\n",
        &[(2, 30, "list")],
    );
    refused(
        "model M {\n  state { n: int? }\n  query q(): int = n + 1\n}\n",
        &[(3, 20, "orValue")],
    );
    refused(
        "model M {\n  state { n: int? }\n  query q(): int = n.orValue(0) + 1\n}\n",
        &[],
    );
    refused(
        "model M {\n  enum E { a }\n  query q(): E = E.b\n}\n",
        &[(3, 20, "b")],
    );
    refused(
        "model M {\n  record R { x: int  y: int }\n  query q(): R = R{x: 1}\n}\n"
            .replace("int  y", "int\n y")
            .as_str(),
        &[(4, 18, "y")],
    );
    refused(
        "model M {\n  query q(): int = [1, \"a\"][0]\n}\n",
        &[(2, 24, "string")],
    );
    refused(
        "model M {\n  query q(): int = nope(1)\n}\n",
        &[(2, 20, "nope")],
    );
    refused(
        "model M {\n  query q(): int = \"a\".lenght()\n}\n",
        &[(2, 24, "lenght")],
    );
    refused(
        "model M {\n  query q(): list<int> = [1].map(x, x).map(x, x)\n}\n",
        &[],
    );
}

#[test]
fn statements_where_they_may_stand() {
    refused(
        "model M {\n  event e() {\n    emit e()\n  }\n}\n",
        &[(3, 5, "emit")],
    );
    refused("model M {\n  state { m: map<string, int> }\n  command c() {\n    remove m[\"a\"]\n  }\n}\n", &[(4, 5, "remove")]);
    refused(
        "model M {\n  state { n: int }\n  event e() {\n    remove n\n  }\n}\n",
        &[(4, 5, "remove")],
    );
    refused(
        "model M {\n  command c() {\n    reject invariant \"no\" if true\n  }\n}\n",
        &[(3, 12, "reserved")],
    );
    refused(
        "model M {\n  event e() {\n    if 1 {\n    }\n  }\n}\n",
        &[(3, 8, "bool")],
    );
    refused(
        "model M {\n  event e() {\n    for x in 1 {\n    }\n  }\n}\n",
        &[(3, 14, "list")],
    );
    refused(
        "model M {\n  state { n: int }\n  event e() {\n    set m = 1\n  }\n}\n",
        &[(4, 9, "m")],
    );
    refused(
        "model M {\n  event e(x: int) {\n    let y = meta\n  }\n}\n",
        &[(3, 13, "meta")],
    );
    refused(
        "model M {\n  command c(x: int) {\n    for i in [1] {\n      let x = i\n      let i = 2\n    }\n  }\n}\n",
        &[(5, 11, "i")],
    );
}

#[test]
fn every_problem_in_every_file_is_reported() {
    let files = [
        Source::new("a.model", "model A {\n  query q(): int = x\n}\n"),
        Source::new("b.model", "model B {\n  query q(): int = y\n}\n"),
    ];
    let Err(Error::ModelError {
        diagnostics,
        rendered,
    }) = Domain::compile(&files)
    else {
        panic!()
    };
    let at: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{}:{}:{}", d.file, d.line, d.column))
        .collect();
    assert_eq!(at, ["a.model:2:20", "b.model:2:20"]);
    assert!(
        rendered.contains("a.model:2:20") && rendered.contains("b.model:2:20"),
        "{rendered}"
    );
    assert!(rendered.contains('^'), "{rendered}");
}
