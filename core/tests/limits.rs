//! The limits of issue 10: large but legal files compile in time linear in
//! their size, a file full of mistakes gives a bounded report, and every
//! evaluation is bounded in memory and in work, with `limit_exceeded`.

use eventfold::{Domain, Error, Source};

fn compile(name: &str, text: String) -> Domain {
    assert!(
        text.len() <= 1024 * 1024,
        "{name} has {} bytes, past the file limit",
        text.len()
    );
    match Domain::compile(&[Source::new(name, text)]) {
        Ok(d) => d,
        Err(e) => panic!("{name} should compile: {e}"),
    }
}

// ----- compiling is linear -----

#[test]
fn an_enum_of_100000_members_compiles() {
    let n = 100_000;
    let mut text = String::from("model M {\n  enum E {\n");
    for i in 0..n {
        text.push_str(&format!("m{i},"));
        if i % 16 == 15 {
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "  }}\n  state {{ e: E = E.m0 }}\n  query last(): E = E.m{}\n  command pick(picks: list<E>) {{ emit picked(picks) }}\n  event picked(picks: list<E>) {{ set e = picks[0] }}\n}}\n",
        n - 1
    ));
    let d = compile("enum.model", text);
    assert_eq!(d.query_json("M", None, "last", None).unwrap(), "\"m99999\"");
    // Members given as input are found without a search each.
    let picks: Vec<String> = (0..n).rev().map(|i| format!("\"m{i}\"")).collect();
    let cmd = format!(
        r#"{{"type":"pick","data":{{"picks":[{}]}}}}"#,
        picks.join(",")
    );
    assert!(d.propose_json("M", None, &cmd, None).is_ok());
    let err = d
        .propose_json(
            "M",
            None,
            r#"{"type":"pick","data":{"picks":["zz"]}}"#,
            None,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_command");
    let message = err.message();
    assert!(message.ends_with("and 99980 more"), "{message}");
    assert!(message.len() < 500, "{message}");
}

#[test]
fn twenty_thousand_state_fields_each_read_once_compile() {
    let n = 20_000;
    let mut text = String::from("model M {\n  state {\n");
    for i in 0..n {
        text.push_str(&format!("    f{i}: int\n"));
    }
    let all: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    text.push_str(&format!(
        "  }}\n  query all(): int = sum([{}])\n}}\n",
        all.join(", ")
    ));
    let d = compile("fields.model", text);
    assert_eq!(d.query_json("M", None, "all", None).unwrap(), "0");
}

#[test]
fn a_command_of_10000_params_emitting_them_all_compiles() {
    let n = 10_000;
    let params: Vec<String> = (0..n).map(|i| format!("p{i}: int")).collect();
    let args: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let text = format!(
        "model M {{\n  state {{ n: int }}\n  command c({ps}) {{\n    emit e({args})\n  }}\n  event e({ps}) {{\n    set n = p{last}\n  }}\n}}\n",
        ps = params.join(", "),
        args = args.join(", "),
        last = n - 1
    );
    let d = compile("params.model", text);
    let data: Vec<String> = (0..n).map(|i| format!("\"p{i}\":{i}")).collect();
    let cmd = format!("{{\"type\":\"c\",\"data\":{{{}}}}}", data.join(","));
    let events = d.propose_json("M", None, &cmd, None).unwrap();
    assert!(events.contains("\"p9999\":9999"), "{}", &events[..200]);
}

#[test]
fn ten_thousand_commands_and_events_compile() {
    let n = 10_000;
    let mut text = String::from("model M {\n  state { n: int }\n  command all() {\n");
    for i in 0..n {
        text.push_str(&format!("    emit e{i}()\n"));
    }
    text.push_str("  }\n");
    for i in 0..n {
        text.push_str(&format!(
            "  command c{i}(x: int) {{ emit e{i}() }}\n  event e{i}() {{ set n = {i} }}\n"
        ));
    }
    text.push_str("}\n");
    let d = compile("commands.model", text);
    let events = d
        .propose_json("M", None, r#"{"type":"c9999","data":{"x":1}}"#, None)
        .unwrap();
    assert!(events.contains("e9999"), "{events}");
}

#[test]
fn long_expressions_compile() {
    // A list of 100,000 items, and a string of 20,000 interpolations.
    let items: Vec<String> = (0..100_000).map(|i| (i % 10).to_string()).collect();
    let parts: String = (0..20_000).map(|_| "${n}").collect();
    let text = format!(
        "model M {{\n  state {{ n: int }}\n  query total(): int = sum([{}])\n  query text(): int = size(\"{parts}\")\n}}\n",
        items.join(",")
    );
    let d = compile("long.model", text);
    assert_eq!(d.query_json("M", None, "total", None).unwrap(), "450000");
    assert_eq!(d.query_json("M", None, "text", None).unwrap(), "20000");
}

// ----- a bounded report of a bad file -----

/// The diagnostics and the rendered text of a file that does not compile.
fn problems(name: &str, text: String) -> (Vec<eventfold::Diagnostic>, String, serde_json::Value) {
    let err = Domain::compile(&[Source::new(name, text)]).expect_err("should not compile");
    let json = err.to_json();
    match err {
        Error::ModelError {
            diagnostics,
            rendered,
        } => (diagnostics, rendered, json),
        other => panic!("expected model_error, got {other}"),
    }
}

#[test]
fn eight_thousand_stray_braces_give_a_hundred_diagnostics_and_a_count() {
    let text = format!("model M {{\n  command c({}\n", "}".repeat(8000));
    let (diags, rendered, json) = problems("braces.model", text);
    assert_eq!(diags.len(), 101);
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 101);
    let last = &diags[100];
    assert_eq!((last.line, last.column), (2, 113));
    assert!(
        last.message
            .starts_with("and 7902 more problems in this file"),
        "{}",
        last.message
    );
    let tail = &rendered[rendered.rfind("error:").unwrap()..];
    assert_eq!(
        tail,
        "\
error: and 7902 more problems in this file, from here on; only the first 100 are reported: fix those and check again
  ┌─ braces.model:2:113
  │
2 │ …}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}…
  │                                          ^

"
    );
    assert!(rendered.len() < 40_000, "{} bytes", rendered.len());
}

/// Deterministic garbage: punctuation, names and quotes on one line.
fn garbage(bytes: usize) -> String {
    let alphabet = b"{}()[]<>=+-*/.,:;\"x1 ?!";
    let mut seed: u64 = 7;
    (0..bytes)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            alphabet[(seed >> 33) as usize % alphabet.len()] as char
        })
        .collect()
}

#[test]
fn a_hundred_kilobytes_of_garbage_on_one_line_gives_a_bounded_report() {
    for text in [
        format!("model M {{\n  query q(): int = {}\n}}\n", garbage(102_000)),
        format!("model M {{\n  command c({}\n", garbage(102_000)),
        format!(
            "model M {{\n  query q(): int = {}\n}}\n",
            "@".repeat(1_000_000)
        ),
    ] {
        let (diags, rendered, _) = problems("fuzz.model", text);
        assert!(diags.len() <= 101, "{}", diags.len());
        // Each diagnostic shows at most a window of about 80 code points.
        assert!(rendered.len() < 101 * 1024, "{} bytes", rendered.len());
    }
}

#[test]
fn a_megabyte_of_bad_characters_stops_the_lexer_and_is_counted() {
    let text = format!(
        "model M {{\n  query q(): int = {}\n}}\n",
        // `@` is a token since event versions (§12); `#` is none.
        "#".repeat(1_000_000)
    );
    let (diags, _, _) = problems("hash.model", text);
    assert_eq!(diags.len(), 101);
    // The lexer keeps 10,000 and one saying where it stopped.
    assert!(
        diags[100].message.starts_with("and 9901 more problems"),
        "{}",
        diags[100].message
    );
}

#[test]
fn a_file_of_unknown_names_checks_quickly_with_hints_for_the_first_only() {
    // 30,000 state fields and 50,000 unknown names: a hint for each would
    // compare every name with every field.
    let mut text = String::from("model M {\n  state {\n");
    for i in 0..30_000 {
        text.push_str(&format!("    f{i}: int\n"));
    }
    let unknown: Vec<String> = (0..50_000).map(|i| format!("g{i}")).collect();
    text.push_str(&format!(
        "  }}\n  query q(): list<int> = [{}]\n}}\n",
        unknown.join(",")
    ));
    assert!(text.len() <= 1024 * 1024);
    let (diags, _, _) = problems("names.model", text);
    assert_eq!(diags.len(), 101);
    assert_eq!(diags[0].message, "unknown name `g0`; did you mean `f0`?");
    assert!(diags[100].message.starts_with("and 49900 more problems"));
}

// ----- every evaluation is bounded in memory and in work -----

const BIG: &str = r#"
model Big {
  state {
    s: string
    items: list<int>
    m: map<string, int>
    names: list<string>
  }
  query copies(): int = size(items.map(a, s + s + s + s))
  query key-counts(): int = sum(items.map(a, size(keys(m))))
  query joined(): int = size(items.map(a, "${s}${s}"))
  query shouts(): int = size(items.map(a, s.upperAscii()))
  query lookups(): int = size(items.filter(a, s in names))
  query same(): int = size(items.filter(a, names == names))
  query small(): int = sum(items.map(a, size(keys(m)) + size(s + "!")))
}
"#;

fn big_state(string_bytes: usize, items: usize, keys: usize, names: usize) -> String {
    let s = "x".repeat(string_bytes);
    let items: Vec<String> = (0..items).map(|i| i.to_string()).collect();
    let m: Vec<String> = (0..keys).map(|i| format!("\"k{i}\":{i}")).collect();
    let names: Vec<String> = (0..names).map(|i| format!("\"{s}{i}\"")).collect();
    format!(
        r#"{{"s":"{s}","items":[{}],"m":{{{}}},"names":[{}]}}"#,
        items.join(","),
        m.join(","),
        names.join(",")
    )
}

fn limit_hit(d: &Domain, state: &str, query: &str) -> String {
    let err = d
        .query_json("Big", Some(state), query, None)
        .expect_err("should pass a limit");
    assert_eq!(err.code(), "limit_exceeded", "{err}");
    err.to_json()["limit"].as_str().unwrap().to_string()
}

fn big() -> Domain {
    Domain::compile(&[Source::new("big.model", BIG)]).unwrap()
}

#[test]
fn copies_of_a_megabyte_string_in_a_loop_pass_the_memory_budget() {
    let d = big();
    let state = big_state(1_000_000, 400, 0, 0);
    assert_eq!(limit_hit(&d, &state, "copies"), "max_memory");
    assert_eq!(limit_hit(&d, &state, "joined"), "max_memory");
    assert_eq!(limit_hit(&d, &state, "shouts"), "max_memory");
}

#[test]
fn the_keys_of_a_large_map_in_a_loop_pass_the_step_budget() {
    let d = big();
    let state = big_state(1, 1000, 100_000, 0);
    assert_eq!(limit_hit(&d, &state, "key-counts"), "max_steps");
}

#[test]
fn comparing_big_values_in_a_loop_passes_the_step_budget() {
    let d = big();
    // 100 names of 10 KB: each `in` compares the string with each of them.
    let state = big_state(10_000, 10_000, 0, 100);
    assert_eq!(limit_hit(&d, &state, "lookups"), "max_steps");
    assert_eq!(limit_hit(&d, &state, "same"), "max_steps");
}

#[test]
fn the_same_queries_on_small_values_stay_within_the_limits() {
    let d = big();
    let state = big_state(100, 1000, 100, 10);
    for (query, result) in [
        ("copies", "1000"),
        ("key-counts", "100000"),
        ("lookups", "0"),
        ("same", "1000"),
        ("small", "201000"),
    ] {
        assert_eq!(
            d.query_json("Big", Some(&state), query, None).unwrap(),
            result,
            "{query}"
        );
    }
}

#[test]
fn the_memory_budget_can_be_configured() {
    let limits = eventfold::Limits {
        // Four copies of 100 bytes built per item: 900 bytes and a slot.
        max_memory: 3000,
        ..eventfold::Limits::default()
    };
    let d = Domain::compile_with_limits(&[Source::new("big.model", BIG)], limits).unwrap();
    let state = big_state(100, 3, 0, 0);
    assert_eq!(
        d.query_json("Big", Some(&state), "copies", None).unwrap(),
        "3"
    );
    let state = big_state(100, 4, 0, 0);
    assert_eq!(limit_hit(&d, &state, "copies"), "max_memory");
}

#[test]
fn clearing_100000_done_todos_stays_within_the_limits() {
    let d = Domain::compile(&[Source::new(
        "todos.model",
        include_str!("../../examples/todos/todos.model"),
    )])
    .unwrap();
    let todos: Vec<String> = (0..100_000)
        .map(|i| format!(r#""t{i}":{{"id":"t{i}","text":"todo number {i}","completed":true}}"#))
        .collect();
    let state = format!(r#"{{"todos":{{{}}}}}"#, todos.join(","));
    let events = d
        .propose_json("Todos", Some(&state), r#"{"type":"clear-done"}"#, None)
        .unwrap();
    assert!(events.contains("t99999"));
}
