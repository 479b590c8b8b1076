//! `describe`: the whole ubiquitous language as data, and as a glossary.

use eventfold::{Domain, Source};
use serde_json::json;

/// A file of the shared contract, read at run time: without it, this
/// test fails saying what is missing and how to point to it.
fn shared(relative: &str) -> String {
    eventfold::scenario::read_shared(relative).unwrap_or_else(|e| panic!("{e}"))
}

fn account() -> Domain {
    Domain::compile(&[Source::new(
        "account.model",
        shared("scenarios/account.model"),
    )])
    .unwrap()
}

#[test]
fn describe_lists_every_member_with_its_docs() {
    let d = account().describe();
    let m = &d["models"][0];
    assert_eq!(m["name"], "Account");
    assert_eq!(m["doc"], "A bank account. Amounts are in cents.");
    assert_eq!(m["enums"][0]["members"].as_array().unwrap().len(), 3);
    let status = &m["state"][0];
    assert_eq!(status["type"], "Status");
    assert_eq!(status["default"], "pending");
    assert_eq!(m["state"][4]["type"], "timestamp?");
    let open = &m["commands"][0];
    assert_eq!(open["name"], "open");
    assert_eq!(open["emits"], json!(["opened"]));
    assert_eq!(
        open["params"][1],
        json!({"name": "overdraft_limit", "type": "int", "required": false, "default": 0, "doc": null})
    );
    let reasons: Vec<&str> = open["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["already_open", "bad_limit", "invariant"]);
    assert_eq!(
        m["commands"][1]["rejections"][0]["message"],
        "account is ${status}"
    );
    assert_eq!(
        m["queries"][0],
        json!({"name": "available", "doc": null, "params": [], "returns": "int"})
    );
    assert_eq!(
        m["invariants"][0]["text"],
        "balance must not fall below the overdraft limit"
    );
    assert_eq!(m["events"].as_array().unwrap().len(), 4);
}

#[test]
fn the_glossary_reads_as_a_document() {
    let md = account().describe_markdown();
    assert!(
        md.starts_with("# Domain glossary\n\n## Account\n\nA bank account."),
        "{md}"
    );
    for part in [
        "### State",
        "### Commands",
        "#### `open`",
        "may refuse with `not_open`: “account is ${status}”",
        "### Events",
        "### Queries",
        "### Invariants",
        "**Status**: one of `pending`, `open`, `closed`.",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
}

#[test]
fn models_are_listed_in_declaration_order() {
    let files = ["todos", "account", "cart"].map(|n| {
        Source::new(
            format!("{n}.model"),
            shared(&format!("scenarios/{n}.model")),
        )
    });
    assert_eq!(
        Domain::compile(&files).unwrap().models(),
        ["Todos", "Account", "Cart"]
    );
}
