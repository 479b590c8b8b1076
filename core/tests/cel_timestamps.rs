//! Google's CEL conformance cases for timestamps and durations
//! (`fixtures/cel/timestamps.json`, transcribed from cel-spec; the file
//! names its source), each run as a one-query model through the public
//! Domain API. Where MODEL-LANGUAGE.md §14 deliberately differs from CEL,
//! the case says so in its `note` and expects our answer.

use eventfold::{Domain, Error, Source};
use serde_json::Value as Json;

fn cases() -> Vec<Json> {
    let text = include_str!("fixtures/cel/timestamps.json");
    let doc: Json = serde_json::from_str(text).expect("the fixture is JSON");
    doc["cases"].as_array().expect("a list of cases").clone()
}

fn model(case: &Json) -> String {
    let params = case["params"].as_str().unwrap_or("");
    format!(
        "model C {{\n  query q({params}): {} = {}\n}}\n",
        case["type"].as_str().expect("a type"),
        case["expr"].as_str().expect("an expression")
    )
}

#[test]
fn the_cel_conformance_cases_pass() {
    let (mut ran, mut skipped, mut failures) = (0, 0, Vec::new());
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        if case.get("skip").is_some() {
            skipped += 1;
            continue;
        }
        ran += 1;
        let src = model(&case);
        let compiled = Domain::compile(&[Source::new("c.model", &src)]);
        let outcome = match (&compiled, case.get("ours")) {
            (Ok(d), None) => match d.query_json("C", None, "q", None) {
                Ok(got) => {
                    let want = case["result"].to_string();
                    (got == want)
                        .then_some(())
                        .ok_or(format!("{got}, want {want}"))
                }
                Err(e) => Err(format!("failed: {e}")),
            },
            (Ok(d), Some(ours)) => {
                assert_eq!(ours["when"], "evaluate", "{name}");
                match d.query_json("C", None, "q", None) {
                    Err(e @ Error::EvaluationError { .. }) => {
                        let contains = ours["contains"].as_str().unwrap();
                        e.to_string()
                            .contains(contains)
                            .then_some(())
                            .ok_or(format!("`{e}` does not say `{contains}`"))
                    }
                    other => Err(format!("expected an evaluation error, got {other:?}")),
                }
            }
            (Err(e), _) => Err(format!("does not compile: {e}\n{src}")),
        };
        if let Err(why) = outcome {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 78 cases in all: the type() and timestamp(int) ones do not apply.
    assert_eq!((ran, skipped), (72, 6));
}

/// Where MODEL-LANGUAGE.md §14 deliberately goes past CEL, each with what
/// CEL would say: these are ours, not cel-spec's.
#[test]
fn where_we_differ_from_cel_on_purpose() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // CEL has no `d` unit: its duration("14d") is an error.
        (
            "duration",
            r#"duration("14d")"#,
            r#""1209600s""#,
            "d is 24 hours",
        ),
        // CEL has no int(duration): it is a "no such overload" error there.
        (
            "int",
            r#"int(duration("-1.5s"))"#,
            "-1",
            "int(d) agrees with getSeconds()",
        ),
        // CEL's range ends near ±292 years (int64 nanoseconds); ours is
        // google.protobuf.Duration's, about ±10,000 years.
        (
            "duration",
            r#"duration("315576000000.999999999s")"#,
            r#""315576000000.999999999s""#,
            "the wider range",
        ),
        (
            "duration",
            r#"timestamp("9999-12-31T23:59:59.999999999Z") - timestamp("0001-01-01T00:00:00Z")"#,
            r#""315537897599.999999999s""#,
            "any two timestamps are a duration apart",
        ),
    ];
    for (ty, expr, want, why) in cases {
        let src = format!("model C {{\n  query q(): {ty} = {expr}\n}}\n");
        let d = Domain::compile(&[Source::new("c.model", &src)]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&d.query_json("C", None, "q", None).unwrap(), want, "{why}");
    }
}
