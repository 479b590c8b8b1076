//! What the compiler refuses about event versions and upcasts (§12), and
//! where it says so, beyond the shared `v1/check.scenarios.json`. Each case:
//! a source, then `(line, column, text)` of every diagnostic expected, in
//! order.

mod golden;

use golden::{compiles, refused};

#[test]
fn versions_are_declared_once_and_upcasts_are_older() {
    refused(
        "model M {\n  event placed@2(n: int) {}\n  upcast placed@1(n: int) {}\n  upcast placed@1(n: int) {}\n}\n",
        &[(4, 10, "placed@1")],
    );
    refused(
        "model M {\n  event placed@2(n: int) {}\n  upcast placed@2(n: int) {}\n}\n",
        &[(3, 10, "upcast placed@1")],
    );
    refused(
        "model M {\n  event placed(n: int) {}\n  upcast placed@1(n: int) {}\n}\n",
        &[(3, 10, "event placed@2")],
    );
    refused(
        "model M {\n  event placed@3(n: int) {}\n  upcast placed@5() {}\n}\n",
        &[(3, 10, "at version 3")],
    );
    // A retired name may have any versions.
    compiles("model M {\n  upcast old@7() {}\n  upcast old@2() {}\n}\n");
}

#[test]
fn versions_are_whole_numbers_from_one() {
    refused(
        "model M {\n  event placed@0(n: int) {}\n}\n",
        &[(2, 16, "from 1")],
    );
    refused(
        "model M {\n  event placed@99999999999(n: int) {}\n}\n",
        &[(2, 16, "from 1")],
    );
    refused(
        "model M {\n  upcast placed(n: int) {}\n}\n",
        &[(2, 16, "`@`")],
    );
    refused(
        "model M {\n  event placed@x(n: int) {}\n}\n",
        &[(2, 16, "version number")],
    );
}

#[test]
fn a_cycle_is_reported_once_at_its_first_upcast() {
    refused(
        "model M {\n  upcast a@1() {\n    emit a@1()\n  }\n}\n",
        &[(2, 10, "cycle")],
    );
    // b, then a, then c are declared; the cycle a -> c -> b -> a is
    // reported at b, the first of them in the file.
    refused(
        "model M {\n  upcast b@1() {\n    emit a@1()\n  }\n  upcast a@1() {\n    emit c@1()\n  }\n  \
         upcast c@1() {\n    emit b@1()\n  }\n}\n",
        &[(2, 10, "b@1")],
    );
    // Two cycles, two diagnostics; what only leads into a cycle is not on it.
    refused(
        "model M {\n  upcast in-a@1() {\n    emit x@1()\n  }\n  upcast x@1() {\n    emit x@2()\n  }\n  \
         upcast x@2() {\n    emit x@1()\n  }\n  upcast y@1() {\n    if true {\n      emit y@1()\n    }\n  }\n}\n",
        &[(5, 10, "x@1"), (11, 10, "y@1")],
    );
    // A diamond is no cycle.
    compiles(
        "model M {\n  event e(n: int) {}\n  upcast a@1() {\n    emit b@1()\n    emit c@1()\n  }\n  \
         upcast b@1() {\n    emit d@1()\n  }\n  upcast c@1() {\n    emit d@1()\n  }\n  upcast d@1() {\n    emit e(n: 1)\n  }\n}\n",
    );
}

#[test]
fn an_upcast_block_holds_let_if_for_and_emit_and_sees_its_params() {
    refused(
        "model M {\n  state {\n    n: int\n    m: map<string, int>\n  }\n  event e@2(n: int) {}\n  \
         upcast e@1(n: int) {\n    reject \"no\" if n < 0\n    set n = 1\n    remove m[\"a\"]\n    emit e(n)\n  }\n}\n",
        &[
            (8, 5, "may not stand in an upcast"),
            (9, 5, "may not stand in an upcast"),
            (10, 5, "may not stand in an upcast"),
        ],
    );
    refused(
        "model M {\n  state {\n    count: int\n  }\n  event e(n: int) {}\n  \
         upcast old@1(by: int) {\n    emit e(n: count + now + size(meta) + size(state))\n  }\n}\n",
        &[
            (7, 15, "field of the state"),
            (7, 23, "`now`"),
            (7, 34, "`meta`"),
            (7, 47, "`state`"),
        ],
    );
    compiles(
        "model M {\n  event e(n: int) {}\n  upcast old@1(ns: list<int>, skip: bool = false) {\n    \
         let total = sum(ns)\n    if !skip {\n      for n in ns {\n        emit e(n)\n      }\n    } else {\n      \
         emit e(n: total)\n    }\n  }\n}\n",
    );
}

#[test]
fn emit_names_a_current_event_or_an_upcasts_shape() {
    // In an upcast: a version that nothing declares, at the version.
    refused(
        "model M {\n  event e@3(n: int) {}\n  upcast e@1(n: int) {\n    emit e@2(n)\n  }\n}\n",
        &[(4, 12, "e@1")],
    );
    // A retired name has no current version: name one.
    refused(
        "model M {\n  event e(n: int) {}\n  upcast old@2() {\n    emit e(n: 1)\n  }\n  \
         upcast newer@1() {\n    emit old()\n  }\n}\n",
        &[(7, 10, "old@2")],
    );
    // In a command, only the current version, and only a current event.
    refused(
        "model M {\n  event e@2(n: int) {}\n  upcast e@1(n: int) {\n    emit e(n)\n  }\n  \
         command go() {\n    emit e@1(n: 1)\n    emit e@2(n: 1)\n  }\n}\n",
        &[(7, 12, "version 2")],
    );
    refused(
        "model M {\n  event e(n: int) {}\n  upcast old@1() {\n    emit e(n: 1)\n  }\n  \
         command go() {\n    emit old()\n  }\n}\n",
        &[(7, 10, "retired")],
    );
    refused(
        "model M {\n  event went(n: int) {}\n  upcast old@1() {\n    emit wnet(n: 1)\n  }\n}\n",
        &[(4, 10, "did you mean `went`")],
    );
    // The args are checked against the version named.
    refused(
        "model M {\n  event e@2(n: int, m: int) {}\n  upcast e@1(n: int) {\n    emit e(n)\n  }\n  \
         upcast f@1(n: string) {\n    emit e@1(n)\n  }\n}\n",
        &[(4, 10, "needs `m`"), (7, 14, "is int")],
    );
    // emit stays out of events.
    refused(
        "model M {\n  event e@2(n: int) {\n    emit e(n)\n  }\n}\n",
        &[(3, 5, "command or an upcast")],
    );
}

#[test]
fn upcast_is_a_keyword_only_where_a_member_begins() {
    compiles(
        "model M {\n  state {\n    upcast: int\n    flag: bool\n  }\n  record R {\n    upcast: string\n  }\n  \
         command go(upcast: int) {\n    let xs = [upcast]\n    if upcast in xs {\n      emit went(upcast)\n    }\n  }\n  \
         event went(upcast: int) {\n    set upcast = upcast\n  }\n  query q(): bool = flag &&\n    upcast > 0\n  \
         query r(): R = R{\n    upcast: \"x\"}\n  upcast went@0() {}\n}\n"
            .replace("  upcast went@0() {}\n", "")
            .as_str(),
    );
    // After a query's expression, a line that starts with `upcast` is one.
    compiles(
        "model M {\n  event e@2() {}\n  query q(): int = 1\n  upcast e@1() {\n    emit e()\n  }\n}\n",
    );
}
