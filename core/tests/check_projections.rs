//! What the compiler refuses in tables and projections (MODEL-LANGUAGE.md
//! §13), and where it says so: golden diagnostics beyond the shared
//! `v1/check.scenarios.json`. Each case: a source, then `(line, column,
//! text)` of every diagnostic expected, in order.

mod golden;

use golden::{compiles as accepted, refused};

const MODEL: &str = "model M {
  enum Size { small, large }
  record Item { sku: string; qty: int }
  event added(id: string, n: int, size: Size, at: timestamp) {
  }
  event moved(id: string, to: string) {
  }
}
";

/// `MODEL`, then `rest` from line 9.
fn with(rest: &str) -> String {
    format!("{MODEL}{rest}")
}

#[test]
fn tables_are_named_keyed_and_typed() {
    // Line 9 on: the read side.
    refused(
        &with("table t {\n  key id: string\n}\ntable t {\n  key id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(12, 7, "already declared")],
    );
    refused(
        &with("table t {\n  key id: string\n  id: int\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(11, 3, "declared twice")],
    );
    refused(
        &with("table t {\n  id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(9, 7, "no key")],
    );
    refused(
        &with("table t {\n  key id: list<string>\n}\nprojection p inline {\n  on M.added {\n    upsert t(id: [id])\n  }\n}\n"),
        &[(10, 7, "string, int, bool, timestamp or enum")],
    );
    refused(
        &with("table t {\n  key id: string\n  n: int = size(\"x\")\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(11, 12, "constant")],
    );
    refused(
        &with("table t {\n  key id: string\n  s: Size\n}\nprojection p inline {\n  on M.added {\n    upsert t(id, s: size)\n  }\n}\n"),
        &[(11, 6, "as in `M.Size`")],
    );
    refused(
        &with("table t {\n  key id: string\n  s: M.Sise\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(11, 8, "did you mean `Size`")],
    );
    refused(
        &with("table t {\n  key id: string\n  s: N.Size\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(11, 6, "no model `N`")],
    );
    refused(
        &with("table t {\n  key id: string\n}\n"),
        &[(9, 7, "no projection writes table `t`")],
    );
    // Keys of every allowed type, qualified types and their literals.
    accepted(&with(
        "table t {\n  key id: string\n  key n: int\n  key on: bool\n  key at: timestamp\n  key size: M.Size\n  items: list<M.Item> = [M.Item{sku: \"a\", qty: 1}]\n  big: M.Size = M.Size.large\n}\nprojection p inline {\n  on M.added {\n    upsert t(id, n, on: n > 0, at, size, items: [M.Item{sku: id, qty: n}], big: size == M.Size.small ? M.Size.large : M.Size.small)\n  }\n}\n",
    ));
}

#[test]
fn projections_and_handlers() {
    refused(
        &with("table t {\n  key id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n}\nprojection p async {\n}\n"),
        &[(17, 12, "already declared")],
    );
    refused(
        &with("table t {\n  key id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n  }\n  on M.added {\n  }\n}\n"),
        &[(16, 8, "at most one handler")],
    );
    refused(
        &with("table t {\n  key id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id)\n    reject \"no\" if true\n    set x = 1\n    remove x[1]\n  }\n}\n"),
        &[(15, 5, "reject"), (16, 5, "set"), (17, 5, "remove")],
    );
    // The statements of a handler may not stand in a model.
    refused(
        "model M {\n  event e(id: string) {\n    insert t(id)\n  }\n}\n",
        &[(3, 5, "projection's handler")],
    );
    // An event field named like a handler's own names.
    refused(
        "model M {\n  event e(stream: string) {\n  }\n}\ntable t {\n  key id: string\n}\nprojection p inline {\n  on M.e {\n    upsert t(id: stream)\n  }\n}\n",
        &[(9, 8, "`stream`")],
    );
    refused(
        &with("table t {\n  key id: string\n}\nprojection p inline {\n  on M.added {\n    upsert t(id: now)\n  }\n}\n"),
        &[(14, 18, "unknown name `now`")],
    );
    // Missing a mode is a syntax error; so is a bad handler.
    refused(
        &with("table t {\n  key id: string\n}\nprojection p {\n  on M.added {\n    upsert t(id)\n  }\n}\n"),
        &[(12, 14, "mode")],
    );
}

#[test]
fn writes_are_checked_against_the_columns() {
    let t = "table t {\n  key id: string\n  key n: int\n  label: string = \"\"\n  note: string?\n  title: string\n}\n";
    // Lines 9-15 the table, 16 the projection, 17 the handler, 18 on.
    let p = |body: &str| {
        with(&format!(
            "{t}projection p inline {{\n  on M.added {{\n{body}    upsert t(id, n, title: \"\")\n  }}\n}}\n"
        ))
    };
    refused(&p("    insert t(id, n)\n"), &[(18, 12, "`title`")]);
    refused(
        &p("    insert t(id, n: \"x\", title: \"\")\n"),
        &[(18, 21, "int")],
    );
    refused(
        &p("    update t[id, n, 3](title: \"\")\n"),
        &[(18, 21, "2 key columns")],
    );
    refused(
        &p("    update t[id](n: 1, colour: \"red\")\n"),
        &[(18, 18, "key column"), (18, 24, "colour")],
    );
    refused(&p("    update t[n](title: \"\")\n"), &[(18, 14, "string")]);
    refused(
        &p("    delete q[id]\n"),
        &[(18, 12, "unknown table `q`; did you mean `t`?")],
    );
    refused(
        &p("    let x = t.has(id)\n    let y = t.get(id, n, n)\n"),
        &[(18, 15, "whole key"), (19, 26, "2 key columns")],
    );
    // `t.get(...).c` is a `C?`.
    refused(
        &p("    let x = t.get(id, n).title + \"!\"\n"),
        &[(18, 13, "string?")],
    );
    refused(
        &p("    let x = t.get(id, n).size\n"),
        &[(18, 26, "no column `size`")],
    );
    refused(&p("    let x = t\n"), &[(18, 13, "is a table")]);
    accepted(&p(
        "    if !t.has(id, n) {\n      insert t(id, n, title: stream.model + stream.name)\n    }\n    update t[id](label: row.label + t.get(id, n).title.orValue(\"\"), note: event.metadata.get(\"x\", null))\n    upsert t(id, n: stream.version + event.position, title: string(event.recorded_at))\n    delete t[id, n]\n    delete t[id]\n",
    ));
}

#[test]
fn contextual_words_stay_names_elsewhere() {
    accepted(
        "model M {\n  state {\n    table: int\n    projection: string\n    on: bool\n    insert: int\n  }\n  command update(table: int) {\n    emit inserted(table)\n  }\n  event inserted(table: int) {\n    set table = table\n  }\n}\n\ntable key {\n  key key: string\n  inline: int = 0\n}\n\nprojection in-list async {\n  on M.inserted {\n    upsert key(key: stream.id, inline: table)\n  }\n}\n",
    );
}
