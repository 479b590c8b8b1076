//! Bad input never crashes, hangs or loses data: each of these gives a
//! clean error with a stable code.

use eventfold::{Domain, Error, Limits, Source};

const ACCOUNT: &str = include_str!("../../examples/todos/todos.model");

fn todos() -> Domain {
    Domain::compile(&[Source::new("todos.model", ACCOUNT)]).unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("should fail").code()
}

#[test]
fn ten_thousand_nested_brackets_in_json_are_a_limit() {
    let d = todos();
    let deep = "[".repeat(10_000);
    assert_eq!(
        code(d.propose_json("Todos", None, &deep, None)),
        "limit_exceeded"
    );
    let closed = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        code(d.propose_json("Todos", None, &closed, None)),
        "limit_exceeded"
    );
    // 65 levels is past the default of 64; 64 is within it.
    let d65 = format!(
        "{{\"type\":\"create-new\",\"data\":{}1{}}}",
        "[".repeat(64),
        "]".repeat(64)
    );
    assert_eq!(
        code(d.propose_json("Todos", None, &d65, None)),
        "limit_exceeded"
    );
    let d64 = format!(
        "{{\"type\":\"create-new\",\"data\":{{\"id\":\"a\",\"text\":{}1{}}}}}",
        "[".repeat(62),
        "]".repeat(62)
    );
    assert_eq!(
        code(d.propose_json("Todos", None, &d64, None)),
        "invalid_command"
    );
}

#[test]
fn ten_thousand_nested_brackets_in_a_model_are_a_diagnostic() {
    let src = format!(
        "model M {{\n  query q(): int = {}1{}\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(
        code(Domain::compile(&[Source::new("deep.model", src)])),
        "model_error"
    );
    let src = format!(
        "model M {{\n  query q(): list<int> = {}\n}}\n",
        "[".repeat(10_000)
    );
    assert_eq!(
        code(Domain::compile(&[Source::new("deep.model", src)])),
        "model_error"
    );
}

#[test]
fn integers_past_64_bits_are_refused_not_rounded() {
    let d = todos();
    for big in [
        "9223372036854775808",
        "18446744073709551616",
        "123456789012345678901234567890",
        "-9223372036854775809",
    ] {
        let cmd = format!(r#"{{"type":"create-new","data":{{"id":{big},"text":"x"}}}}"#);
        let err = d.propose_json("Todos", None, &cmd, None).unwrap_err();
        assert_eq!(err.code(), "invalid_command", "{big}");
    }
    let model = "model C {\n state { n: int }\n command add(n: int) { emit added(n) }\n event added(n: int) { set n = n }\n}";
    let c = Domain::compile(&[Source::new("c.model", model)]).unwrap();
    for big in ["9223372036854775808", "1e400", "1.0", "1e3"] {
        let cmd = format!(r#"{{"type":"add","data":{{"n":{big}}}}}"#);
        let err = c.propose_json("C", None, &cmd, None).unwrap_err();
        assert!(
            matches!(err.code(), "invalid_command" | "invalid_json"),
            "{big}: {err}"
        );
    }
    let ok = c
        .propose_json(
            "C",
            None,
            r#"{"type":"add","data":{"n":-9223372036854775808}}"#,
            None,
        )
        .unwrap();
    assert_eq!(
        ok,
        r#"[{"type":"added","data":{"n":-9223372036854775808}}]"#
    );
}

#[test]
fn invalid_utf8_is_invalid_json() {
    let d = todos();
    let bytes = b"{\"type\":\"create-new\",\"data\":{\"id\":\"\xff\xfe\",\"text\":\"x\"}}";
    assert_eq!(code(d.parse_json_bytes(bytes)), "invalid_json");
    let lone = b"\"\xed\xa0\x80\"";
    assert_eq!(code(d.parse_json_bytes(lone)), "invalid_json");
    // An escaped lone surrogate is refused by the JSON reader too.
    assert_eq!(code(d.parse_json(r#""\ud800""#)), "invalid_json");
}

#[test]
fn a_20_mib_string_is_a_limit() {
    let d = todos();
    let text = "x".repeat(20 * 1024 * 1024);
    let cmd = format!(r#"{{"type":"create-new","data":{{"id":"a","text":"{text}"}}}}"#);
    assert_eq!(
        code(d.propose_json("Todos", None, &cmd, None)),
        "limit_exceeded"
    );
}

#[test]
fn a_model_file_past_one_mib_is_a_limit() {
    let src = format!("model M {{}}\n//{}\n", "x".repeat(1024 * 1024));
    assert_eq!(
        code(Domain::compile(&[Source::new("big.model", src)])),
        "limit_exceeded"
    );
}

const GREEDY: &str = r#"
model G {
  state {
    items: list<int>
    text: string
  }
  command fill(n: int) {
    for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
      for j in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
        for k in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
          for l in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] {
            emit filled(n: i)
          }
        }
      }
    }
  }
  command spin() {
    reject "too many" if items.all(x, items.all(y, items.all(z, x + y + z >= 0)))
  }
  command grow(times: list<int>) {
    emit grown(times)
  }
  event filled(n: int) {
    set items = items + [n]
  }
  event grown(times: list<int>) {
    for t in times {
      set text = text + text + "ab"
    }
  }
  query pairs(): int = size(items.filter(x, items.exists(y, y == x + 1000000)))
}
"#;

fn greedy() -> Domain {
    Domain::compile(&[Source::new("greedy.model", GREEDY)]).unwrap()
}

#[test]
fn more_than_ten_thousand_events_is_a_limit() {
    let err = greedy()
        .propose_json("G", None, r#"{"type":"fill","data":{"n":1}}"#, None)
        .unwrap_err();
    assert_eq!(err.code(), "limit_exceeded");
    assert_eq!(err.to_json()["limit"], "max_events");
}

#[test]
fn a_long_comprehension_runs_out_of_steps() {
    let d = greedy();
    let items: Vec<String> = (0..1200).map(|i| i.to_string()).collect();
    let state = format!(r#"{{"items":[{}],"text":""}}"#, items.join(","));
    let err = d
        .propose_json("G", Some(&state), r#"{"type":"spin"}"#, None)
        .unwrap_err();
    assert_eq!(err.to_json()["limit"], "max_steps");
    let err = d.query_json("G", Some(&state), "pairs", None).unwrap_err();
    assert_eq!(err.to_json()["limit"], "max_steps");
}

#[test]
fn a_string_that_doubles_in_a_loop_is_a_limit() {
    let d = greedy();
    let times: Vec<String> = (0..64).map(|i| i.to_string()).collect();
    let cmd = format!(
        r#"{{"type":"grow","data":{{"times":[{}]}}}}"#,
        times.join(",")
    );
    let err = d.propose_json("G", None, &cmd, None).unwrap_err();
    assert_eq!(err.code(), "limit_exceeded");
}

#[test]
fn limits_can_be_configured() {
    let limits = Limits {
        max_input_bytes: 64,
        ..Limits::default()
    };
    let d = Domain::compile_with_limits(&[Source::new("todos.model", ACCOUNT)], limits).unwrap();
    let cmd = r#"{"type":"create-new","data":{"id":"a","text":"a text that makes this longer than 64 bytes"}}"#;
    assert_eq!(
        code(d.propose_json("Todos", None, cmd, None)),
        "limit_exceeded"
    );
}

#[test]
fn garbage_model_sources_never_panic() {
    let samples = [
        "",
        "model",
        "model {",
        "model M { state { x: } }",
        "model M { command",
        "\"",
        "/// doc\n",
        "model M { query q(): int = 1 +",
        "model M { event e() { set } }",
        "model M { enum E { } }",
        "model M { command c() { emit } }",
        "model M { state { a: map<int, string> } }",
        "model M { query q(): int = \"${\" }",
        "model M { query q(): string = \"\\u{110000}\" }",
        "model M{query q():int=-9223372036854775808}",
        "model M{query q():int=9223372036854775808}",
        "\u{0}\u{1}\u{7f}é😀",
        "model M { record R { a: R } state { r: R? } }",
    ];
    for s in samples {
        let _ = Domain::compile(&[Source::new("g.model", s)]);
    }
}

#[test]
fn nesting_just_under_the_cap_compiles_and_runs() {
    let depth = 190;
    let src = format!(
        "model M {{\n  state {{ n: int }}\n  query q(): int = {}n + 1{}\n  query l(): int = size({}1{})\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth),
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let d = Domain::compile(&[Source::new("deep.model", src)]).unwrap();
    assert_eq!(d.query_json("M", None, "q", None).unwrap(), "1");
    assert_eq!(d.query_json("M", None, "l", None).unwrap(), "1");
}
