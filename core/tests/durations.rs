//! Durations and the calendar (MODEL-LANGUAGE.md §14) as a model sees
//! them: what the compiler refuses and where, what evaluation gives, and
//! the laws that hold for every duration and timestamp.

use eventfold::{Domain, Error, Source};
use proptest::prelude::*;

fn diagnostics(src: &str) -> Vec<(u32, u32, String)> {
    match Domain::compile(&[Source::new("m.model", src)]) {
        Ok(_) => vec![],
        Err(Error::ModelError { diagnostics, .. }) => diagnostics
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect(),
        Err(e) => panic!("not a model error: {e}"),
    }
}

/// Every diagnostic of `src`, in order: `(line, column, text it contains)`.
#[track_caller]
fn refused(src: &str, expected: &[(u32, u32, &str)]) {
    let got = diagnostics(src);
    assert_eq!(got.len(), expected.len(), "for:\n{src}\ngot: {got:#?}");
    for ((line, col, msg), (el, ec, etext)) in got.iter().zip(expected) {
        assert_eq!((line, col), (el, ec), "{msg}");
        assert!(msg.contains(etext), "`{msg}` should mention `{etext}`");
    }
}

fn query(d: &Domain, name: &str, args: &str) -> Result<String, Error> {
    d.query_json("T", None, name, Some(args))
}

fn domain(src: &str) -> Domain {
    Domain::compile(&[Source::new("t.model", src)]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_compiler_refuses_misused_time_where_it_stands() {
    // A bad literal in a default is found when the model is compiled, at
    // the literal: a default must be a value.
    refused(
        "model M {\n  state { d: duration = duration(\"1.5 hours\") }\n}\n",
        &[(2, 34, "` hours` is not a unit")],
    );
    refused(
        "model M {\n  command c(d: duration = duration(\"320000000000s\")) {}\n}\n",
        &[(2, 36, "out of the range of a duration")],
    );
    refused(
        "model M {\n  state { due: timestamp = timestamp(\"2026-02-30T00:00:00Z\") }\n}\n",
        &[(2, 38, "not an RFC 3339 timestamp")],
    );
    // An int is not a duration: say how to make one.
    refused(
        "model M {\n  query q(at: timestamp): timestamp = at + 3600\n}\n",
        &[(2, 39, "make the int a duration")],
    );
    refused(
        "model M {\n  query q(a: timestamp, b: timestamp): timestamp = a + b\n}\n",
        &[(2, 52, "a duration to a timestamp")],
    );
    refused(
        "model M {\n  query q(d: duration, t: timestamp): timestamp = d - t\n}\n",
        &[(2, 51, "a duration from a timestamp")],
    );
    refused(
        "model M {\n  query q(d: duration): bool = d < 5\n}\n",
        &[(2, 32, "durations")],
    );
    refused(
        "model M {\n  query q(s: string): string = -s\n}\n",
        &[(2, 33, "a float or a duration")],
    );
    // Accessors: what they are called on, and what they take.
    refused(
        "model M {\n  query q(d: duration): int = d.getFullYear()\n}\n",
        &[(2, 33, "duration has no method `getFullYear`")],
    );
    refused(
        "model M {\n  query q(d: duration): int = d.getHours(\"UTC\")\n}\n",
        &[(2, 33, "`getHours` takes 0 arguments, but 1 is given")],
    );
    refused(
        "model M {\n  query q(t: timestamp): int = t.getHours(\"UTC\", \"+01:00\")\n}\n",
        &[(2, 34, "`getHours` takes 0 or 1 arguments, but 2 are given")],
    );
    refused(
        "model M {\n  query q(t: timestamp): int = t.getDayOfWeek(1)\n}\n",
        &[(2, 47, "a time zone is a string")],
    );
    refused(
        "model M {\n  query q(t: timestamp): int = t.getDayofWeek()\n}\n",
        &[(2, 34, "did you mean `getDayOfWeek`")],
    );
    refused(
        "model M {\n  query q(l: list<timestamp>): timestamp = sum(l)\n}\n",
        &[(2, 48, "a list of ints, floats or durations")],
    );
    refused(
        "model M {\n  query q(): duration = duration(5)\n}\n",
        &[(2, 34, "a duration string")],
    );
    // A default must still be a constant.
    refused(
        "model M {\n  command c(by: duration = duration(string(1) + \"h\")) { }\n}\n",
        &[(2, 28, "a default must be a constant")],
    );
}

#[test]
fn duration_is_a_type_only_where_a_type_stands() {
    // A version 0 model may name a field, a param or a let `duration`.
    let src = r#"
model T {
  state { duration: int }
  command c(duration: int) {
    let d = duration + 1
    emit e(duration: d)
  }
  event e(duration: int) { set duration = duration }
  query q(): int = duration
  query both(duration: int): duration = duration(string(duration) + "m")
}
"#;
    let d = domain(src);
    assert_eq!(query(&d, "q", "{}").unwrap(), "0");
    assert_eq!(
        query(&d, "both", r#"{"duration": 90}"#).unwrap(),
        r#""5400s""#
    );
}

#[test]
fn defaults_and_zero_values_are_constants() {
    let src = r#"
model T {
  state { spent: duration  since: timestamp = timestamp("2026-01-01T00:00:00+01:00") }
  command c(by: duration = duration("1h30m"), back: duration = -duration("1ms")) {
    emit e(by, back)
  }
  event e(by: duration, back: duration) { set spent = spent + by + back }
  query since(): timestamp = since
}
"#
    .replace("duration  since", "duration\n since");
    let d = domain(&src);
    assert_eq!(
        d.propose_json("T", None, r#"{"type":"c","data":{}}"#, None)
            .unwrap(),
        r#"[{"type":"e","data":{"by":"5400s","back":"-0.001s"}}]"#
    );
    assert_eq!(
        query(&d, "since", "{}").unwrap(),
        r#""2025-12-31T23:00:00Z""#
    );
}

#[test]
fn arithmetic_accessors_and_lists() {
    let d = domain(
        r#"
model T {
  query add(t: timestamp, d: duration): timestamp = t + d
  query add-left(t: timestamp, d: duration): timestamp = d + t
  query sub(t: timestamp, d: duration): timestamp = t - d
  query between(a: timestamp, b: timestamp): duration = a - b
  query plus(a: duration, b: duration): duration = a + b
  query minus(a: duration, b: duration): duration = a - b
  query neg(a: duration): duration = -a
  query int(a: duration): int = int(a)
  query same(a: duration): duration = duration(a)
  query sum(l: list<duration>): duration = sum(l)
  query min(l: list<duration>): duration = min(l)
  query max(l: list<timestamp>): timestamp = max(l)
  query parts(a: duration): list<int> = [a.getHours(), a.getMinutes(), a.getSeconds(), a.getMilliseconds()]
  query at(t: timestamp, zone: string): list<int> = [t.getFullYear(zone), t.getMonth(zone), t.getDate(zone), t.getDayOfWeek(zone), t.getHours(zone), t.getMinutes(zone)]
  query text(a: duration): string = "took ${a}, ${string(a)}"
  query order(a: duration, b: duration): list<bool> = [a < b, a <= b, a == b, a != b, a > b, a >= b]
}
"#,
    );
    let q =
        |name: &str, args: &str| query(&d, name, args).unwrap_or_else(|e| panic!("{name}: {e}"));
    let t = r#""2026-03-29T00:30:00Z""#;
    assert_eq!(
        q("add", &format!(r#"{{"t":{t},"d":"1d"}}"#)),
        r#""2026-03-30T00:30:00Z""#
    );
    assert_eq!(
        q("add-left", &format!(r#"{{"t":{t},"d":"-1ns"}}"#)),
        r#""2026-03-29T00:29:59.999999999Z""#
    );
    assert_eq!(
        q("sub", &format!(r#"{{"t":{t},"d":"90m"}}"#)),
        r#""2026-03-28T23:00:00Z""#
    );
    assert_eq!(
        q(
            "between",
            r#"{"a":"2026-03-02T09:15:00Z","b":"2026-03-16T10:45:30.5Z"}"#
        ),
        r#""-1215030.5s""#
    );
    assert_eq!(q("plus", r#"{"a":"1.999999999s","b":"1ns"}"#), r#""2s""#);
    assert_eq!(q("minus", r#"{"a":"1s","b":"1.5s"}"#), r#""-0.5s""#);
    assert_eq!(
        q("neg", r#"{"a":"-315576000000.999999999s"}"#),
        r#""315576000000.999999999s""#
    );
    // Whole seconds, toward zero, as getSeconds() gives them.
    assert_eq!(q("int", r#"{"a":"-1.9s"}"#), "-1");
    assert_eq!(q("same", r#"{"a":"2d"}"#), r#""172800s""#);
    assert_eq!(q("sum", r#"{"l":[]}"#), r#""0s""#);
    assert_eq!(q("sum", r#"{"l":["1h","30m","-0.5s"]}"#), r#""5399.5s""#);
    assert_eq!(q("min", r#"{"l":["1h","-1ns","0"]}"#), r#""-0.000000001s""#);
    assert_eq!(
        q(
            "max",
            r#"{"l":["2026-01-01T00:00:00Z","2026-01-01T00:00:00.1+00:00"]}"#
        ),
        r#""2026-01-01T00:00:00.1Z""#
    );
    assert_eq!(
        q("parts", r#"{"a":"-3h59m59.999s"}"#),
        "[-3,-239,-14399,-999]"
    );
    // Berlin moves to summer time at 01:00 UTC on 29 March 2026.
    assert_eq!(
        q("at", &format!(r#"{{"t":{t},"zone":"Europe/Berlin"}}"#)),
        "[2026,2,29,0,1,30]"
    );
    assert_eq!(
        q(
            "at",
            r#"{"t":"2026-03-29T01:30:00Z","zone":"Europe/Berlin"}"#
        ),
        "[2026,2,29,0,3,30]"
    );
    assert_eq!(
        q("at", &format!(r#"{{"t":{t},"zone":"-01:00"}}"#)),
        "[2026,2,28,6,23,30]"
    );
    assert_eq!(q("text", r#"{"a":"1m0.25s"}"#), r#""took 60.25s, 60.25s""#);
    assert_eq!(
        q("order", r#"{"a":"-2s","b":"-1s"}"#),
        "[true,true,false,true,false,false]"
    );
}

#[test]
fn out_of_range_and_bad_zones_are_evaluation_errors_that_say_what_to_fix() {
    let d = domain(
        r#"
model T {
  query add(t: timestamp, d: duration): timestamp = t + d
  query plus(a: duration, b: duration): duration = a + b
  query sum(l: list<duration>): duration = sum(l)
  query parse(s: string): duration = duration(s)
  query hour(t: timestamp, zone: string): int = t.getHours(zone)
  query too-long(): duration = duration("320000000000s")
  query no-unit(): duration = duration("1.5 hours")
  query no-day(): timestamp = timestamp("2026-02-30T00:00:00Z")
}
"#,
    );
    let fails = |name: &str, args: &str, says: &str| {
        let e = query(&d, name, args).unwrap_err();
        assert_eq!(e.code(), "evaluation_error", "{name} {args}: {e}");
        assert!(
            e.to_string().contains(says),
            "{name} {args}: `{e}` should say `{says}`"
        );
    };
    // A bad literal outside a default compiles, and fails if and when it
    // runs, as CEL's conformance tests and §6 say.
    fails("too-long", "{}", "out of the range of a duration");
    fails("no-unit", "{}", "is not a unit");
    fails("no-day", "{}", "RFC 3339");
    fails(
        "add",
        r#"{"t":"9999-12-31T23:59:59Z","d":"1s"}"#,
        "out of the range of a timestamp",
    );
    fails(
        "add",
        r#"{"t":"0001-01-01T00:00:00Z","d":"-1ns"}"#,
        "out of the range of a timestamp",
    );
    fails(
        "plus",
        r#"{"a":"315576000000s","b":"1s"}"#,
        "out of the range of a duration",
    );
    fails(
        "sum",
        r#"{"l":["315576000000s","1s","-1s"]}"#,
        "out of the range of a duration",
    );
    fails("parse", r#"{"s":"1h 30m"}"#, "is not a duration");
    fails("parse", r#"{"s":""}"#, "is empty");
    fails(
        "hour",
        r#"{"t":"2026-01-01T00:00:00Z","zone":""}"#,
        "the time zone is empty",
    );
    fails(
        "hour",
        r#"{"t":"2026-01-01T00:00:00Z","zone":"Mars/Olympus"}"#,
        "unknown time zone",
    );
    fails(
        "hour",
        r#"{"t":"2026-01-01T00:00:00Z","zone":"europe/berlin"}"#,
        "did you mean \"Europe/Berlin\"",
    );
    fails(
        "hour",
        r#"{"t":"2026-01-01T00:00:00Z","zone":"+25:00"}"#,
        "hh 00 to 23",
    );
    // As input, a duration is a string `duration()` reads, refused at its path.
    for bad in [r#"5400"#, r#""PT1H""#, r#""315576000001s""#, r#"null"#] {
        let e = query(&d, "plus", &format!(r#"{{"a":"1s","b":{bad}}}"#)).unwrap_err();
        assert_eq!(e.code(), "invalid_command", "{bad}: {e}");
        assert!(e.to_string().contains("b"), "{e}");
    }
}

#[test]
fn describe_names_the_time_zone_release() {
    let d = domain("model T {\n  state { d: duration }\n}\n");
    let json = d.describe();
    let release = json["tzdb"].as_str().expect("a tzdb release");
    assert!(
        release.len() == 5 && release[..4].parse::<u32>().is_ok_and(|y| y >= 2024),
        "{release}"
    );
    assert_eq!(json["models"][0]["state"][0]["type"], "duration");
    assert!(d
        .describe_markdown()
        .contains(&format!("release {release} of the IANA")));
}

fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Anywhere in the range, written as `string(d)` writes it.
        (-315_576_000_000_999_999_999i128..=315_576_000_000_999_999_999).prop_map(|n| {
            let sign = if n < 0 { "-" } else { "" };
            let n = n.unsigned_abs();
            format!("{sign}{}.{:09}s", n / 1_000_000_000, n % 1_000_000_000)
        }),
        // Or as a person writes it.
        (-100_000i64..100_000, 0u32..24, 0u32..60, 0u32..1000)
            .prop_map(|(d, h, m, ms)| format!("{d}d{h}h{m}m{ms}ms")),
    ]
}

fn timestamp_text() -> impl Strategy<Value = String> {
    (-62_135_596_800i64..=253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| {
        let t = eventfold::value::Timestamp::new(s, n).expect("in range");
        eventfold::value::format_timestamp(t)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// `duration(string(d)) == d`; `d + (-d) == 0s`; `(t + d) - t == d`
    /// whenever `t + d` is in range, and an evaluation error when not.
    #[test]
    fn the_laws_of_durations_hold(d in duration_text(), t in timestamp_text()) {
        thread_local! {
            static DOMAIN: Domain = domain(r#"
model T {
  query round-trip(d: duration): bool = duration(string(d)) == d
  query cancel(d: duration): bool = d + (-d) == duration("0s")
  query back(t: timestamp, d: duration): bool = (t + d) - t == d
}
"#);
        }
        DOMAIN.with(|dom| {
            let one = format!(r#"{{"d":"{d}"}}"#);
            prop_assert_eq!(query(dom, "round-trip", &one).unwrap(), "true");
            prop_assert_eq!(query(dom, "cancel", &one).unwrap(), "true");
            match query(dom, "back", &format!(r#"{{"t":"{t}","d":"{d}"}}"#)) {
                Ok(v) => prop_assert_eq!(v, "true"),
                Err(e) => {
                    prop_assert_eq!(e.code(), "evaluation_error");
                    prop_assert!(e.to_string().contains("out of the range of a timestamp"));
                }
            }
            Ok(())
        })?;
    }
}

/// The worked example of docs/model-language.md §18 compiles and gives
/// what the chapter says it gives.
#[test]
fn the_worked_example_of_the_docs_runs() {
    let doc = include_str!("../../docs/model-language.md");
    let chapter = doc
        .split("### Worked example: a due date 14 days out")
        .nth(1)
        .expect("the worked example");
    let src = chapter.split("```").nth(1).expect("its model");
    let d = Domain::compile(&[Source::new("loan.model", src)]).unwrap_or_else(|e| panic!("{e}"));
    let lend = |now: &str| {
        d.propose_json(
            "Loan",
            None,
            r#"{"type":"lend","data":{"member":"ann"}}"#,
            Some(now),
        )
    };
    assert_eq!(
        lend("2026-03-02T09:15:00Z").unwrap(),
        r#"[{"type":"lent","data":{"member":"ann","at":"2026-03-02T09:15:00Z","due":"2026-03-16T09:15:00Z"}}]"#
    );
    assert!(lend("2026-03-20T10:00:00Z")
        .unwrap()
        .contains(r#""due":"2026-04-03T10:00:00Z""#));
    let closed = lend("2026-03-07T23:30:00Z").unwrap_err();
    assert!(
        matches!(&closed, Error::Rejected { reason, .. } if reason.as_deref() == Some("closed")),
        "{closed}"
    );
    let lent = r#"[{"type":"lent","data":{"member":"ann","at":"2026-03-02T09:15:00Z","due":"2026-03-16T09:15:00Z"}}]"#;
    let state = d.replay_json("Loan", lent, None).unwrap();
    assert_eq!(
        d.propose_json(
            "Loan",
            Some(&state),
            r#"{"type":"give-back"}"#,
            Some("2026-03-18T10:15:00Z")
        )
        .unwrap(),
        r#"[{"type":"returned","data":{"kept":"1386000s","fee":150}}]"#
    );
    assert_eq!(
        d.query_json(
            "Loan",
            Some(&state),
            "left",
            Some(r#"{"at":"2026-03-16T10:45:30.5Z"}"#)
        )
        .unwrap(),
        r#""-5430.5s""#
    );
}
