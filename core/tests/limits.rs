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
        "  }}\n  state {{ e: E = E.m0 }}\n  query last(): E = E.m{}\n}}\n",
        n - 1
    ));
    let d = compile("enum.model", text);
    assert_eq!(d.query_json("M", None, "last", None).unwrap(), "\"m99999\"");
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

#[allow(dead_code)]
fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("should fail").code()
}
