//! The meaning of the language, feature by feature (MODEL-LANGUAGE.md §4–§7),
//! beyond what the shared scenarios touch.

use eventfold::{Domain, Source};
use serde_json::{json, Value as Json};

fn domain() -> Domain {
    Domain::compile(&[Source::new(
        "language.model",
        include_str!("models/language.model"),
    )])
    .unwrap()
}

fn q(d: &Domain, name: &str) -> Json {
    let text = d
        .query_json("L", None, name, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn text(d: &Domain, name: &str) -> String {
    d.query_json("L", None, name, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn integer_division_truncates_toward_zero() {
    assert_eq!(q(&domain(), "div"), json!([-3, -1, -3, 1]));
}

#[test]
fn float_literals_and_conversions() {
    assert_eq!(
        text(&domain(), "fl"),
        "[2.0,2000.0,0.0025,100.0,3.0,1.25,-200.0]"
    );
}

#[test]
fn string_formats_values_as_json_writes_them() {
    assert_eq!(
        q(&domain(), "strs"),
        json!([
            "1.5",
            "3.0",
            "true",
            "red",
            "null",
            "-5",
            "a2b",
            "${x}",
            "😀",
            "tab\there"
        ])
    );
    assert_eq!(q(&domain(), "interp"), json!("1.5 3.0 true blue null"));
}

#[test]
fn int_conversions_and_sizes_in_code_points() {
    assert_eq!(q(&domain(), "ints"), json!([2, -2, -42, 7, 5, 2, 1]));
    assert_eq!(q(&domain(), "neg"), json!(i64::MIN));
}

#[test]
fn macros_follow_cel() {
    let d = domain();
    assert_eq!(q(&d, "macros"), json!([true, true, false, true, true]));
    assert_eq!(q(&d, "mapped"), json!([20, 30]));
}

#[test]
fn maps_iterate_in_code_point_order() {
    assert_eq!(q(&domain(), "keysvals"), json!(["Z", "a", "b", "é"]));
}

#[test]
fn aggregates() {
    let d = domain();
    assert_eq!(q(&d, "sums"), json!([6, 0, 1, 3]));
    assert_eq!(text(&d, "sumf"), "4.0");
}

#[test]
fn string_functions() {
    let d = domain();
    assert_eq!(q(&d, "strfn"), json!([true, true, true, true, true]));
    assert_eq!(q(&d, "strfn2"), json!(["hello", "HELLO", "x y", "Éa"]));
}

#[test]
fn records_optionals_and_defaults() {
    let d = domain();
    assert_eq!(text(&d, "rec"), r#"{"name":"a","age":7,"nick":null}"#);
    assert_eq!(q(&d, "recnick"), json!("b"));
    assert_eq!(q(&d, "opt"), json!("unset"));
    assert_eq!(q(&d, "getor"), json!([null, 1]));
    assert_eq!(q(&d, "mixed"), json!([1, null]));
}

#[test]
fn comparisons_and_membership() {
    let d = domain();
    assert_eq!(q(&d, "cond"), json!("zero"));
    assert_eq!(q(&d, "inlist"), json!([true, true, false]));
    assert_eq!(q(&d, "tscmp"), json!(true));
    assert_eq!(q(&d, "boolord"), json!(true));
    assert_eq!(q(&d, "strord"), json!(true));
    assert_eq!(q(&d, "enumeq"), json!(true));
    assert_eq!(q(&d, "nullcmp"), json!(true));
}

#[test]
fn timestamps_format_with_only_the_digits_needed() {
    assert_eq!(
        q(&domain(), "ts"),
        json!(["2026-01-02T03:04:05.12Z", "2026-01-02T03:04:05Z"])
    );
}

#[test]
fn lists_and_maps_take_their_type_from_where_they_stand() {
    let d = domain();
    assert_eq!(q(&d, "concat"), json!([1, 2, 3]));
    assert_eq!(q(&d, "emptymap"), json!({}));
    assert_eq!(q(&d, "nested"), json!({"a": [1], "b": []}));
    assert_eq!(q(&d, "statefield"), json!(0));
}

#[test]
fn the_initial_state_uses_zero_values_and_defaults() {
    assert_eq!(
        domain().initial_state_json("L").unwrap(),
        r#"{"n":0,"f":0.0,"s":"","items":[],"m":{},"when":null,"c":"green"}"#
    );
}

/// Runtime failures are evaluation errors that say where.
#[test]
fn runtime_failures_are_evaluation_errors() {
    let src = r#"
model R {
  state { m: map<string, int>  l: list<int> }
  query div0(): int = 1 / 0
  query missing(): int = m["nope"]
  query index(): int = l[3]
  query overflow(): int = 9223372036854775807 + 1
  query neg-overflow(): int = -(-9223372036854775807 - 1)
  query minempty(): int = min(l)
  query bad-int(): int = int("1.5")
  query bad-float(): float = float("inf")
  query bad-ts(): timestamp = timestamp("yesterday")
  query fdiv0(): float = 1.0 / 0.0
  query big-float-to-int(): int = int(1e19)
}
"#;
    let d = Domain::compile(&[Source::new("r.model", src.replace("int>  l", "int>\n l"))]).unwrap();
    for name in [
        "div0",
        "missing",
        "index",
        "overflow",
        "neg-overflow",
        "minempty",
        "bad-int",
        "bad-float",
        "bad-ts",
        "fdiv0",
        "big-float-to-int",
    ] {
        let err = d.query_json("R", None, name, None).unwrap_err();
        assert_eq!(err.code(), "evaluation_error", "{name}: {err}");
        assert!(
            err.message().contains("r.model:"),
            "{name} says where: {}",
            err.message()
        );
    }
}

/// Statements in events see each other's changes; lists can be written and
/// removed by index.
#[test]
fn event_statements_apply_in_order() {
    let src = r#"
model E {
  record Item {
    name: string
    qty: int
  }
  state {
    items: list<Item>
    log: list<string>
    total: int
    tags: map<string, list<string>>
  }
  command add(name: string, qty: int) {
    emit added(name, qty)
  }
  command drop(index: int) {
    emit dropped(index)
  }
  command bump(index: int) {
    emit bumped(index)
  }
  event added(name: string, qty: int) {
    set items = items + [Item{name, qty}]
    set total = total + qty
    set log = log + ["added ${name}, total ${total}"]
    set tags[name] = ["new"]
  }
  event dropped(index: int) {
    set total = total - items[index].qty
    remove items[index]
  }
  event bumped(index: int) {
    set items[index].qty = items[index].qty + 1
    set tags[items[index].name] = tags[items[index].name] + ["bumped"]
  }
}
"#;
    let d = Domain::compile(&[Source::new("e.model", src)]).unwrap();
    let mut state = None::<String>;
    for cmd in [
        json!({"type": "add", "data": {"name": "a", "qty": 2}}),
        json!({"type": "add", "data": {"name": "b", "qty": 3}}),
        json!({"type": "bump", "data": {"index": 0}}),
        json!({"type": "drop", "data": {"index": 0}}),
    ] {
        let events = d
            .propose_json("E", state.as_deref(), &cmd.to_string(), None)
            .unwrap();
        state = Some(d.replay_json("E", &events, state.as_deref()).unwrap());
    }
    assert_eq!(
        state.unwrap(),
        r#"{"items":[{"name":"b","qty":3}],"log":["added a, total 2","added b, total 5"],"total":2,"tags":{"a":["new","bumped"],"b":["new"]}}"#
    );
    let err = d
        .propose_json("E", None, r#"{"type":"drop","data":{"index":0}}"#, None)
        .unwrap_err();
    assert_eq!(err.code(), "evaluation_error");
}

#[test]
fn shadowing_and_state_access() {
    let src = r#"
model S {
  state { owner: string }
  command rename(owner: string) {
    reject same "already ${state.owner}" if owner == state.owner
    emit renamed(owner)
  }
  event renamed(owner: string) {
    set owner = owner
  }
}
"#;
    let d = Domain::compile(&[Source::new("s.model", src)]).unwrap();
    let events = d
        .propose_json(
            "S",
            None,
            r#"{"type":"rename","data":{"owner":"ann"}}"#,
            None,
        )
        .unwrap();
    let state = d.replay_json("S", &events, None).unwrap();
    assert_eq!(state, r#"{"owner":"ann"}"#);
    let err = d
        .propose_json(
            "S",
            Some(&state),
            r#"{"type":"rename","data":{"owner":"ann"}}"#,
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.to_json(),
        json!({"code": "rejected", "message": "already ann", "reason": "same"})
    );
}

#[test]
fn and_or_stop_early_and_conditionals_pick_one_branch() {
    let src = r#"
model B {
  state { m: map<string, int> }
  query a(): bool = "x" in m && m["x"] > 0
  query b(): bool = !("x" in m) || m["x"] > 0
  query c(): int = "x" in m ? m["x"] : -1
  query d(): bool = [1, 2, 3].exists(x, x == 1 || 1 / 0 == 1)
}
"#;
    let d = Domain::compile(&[Source::new("b.model", src)]).unwrap();
    assert_eq!(d.query_json("B", None, "a", None).unwrap(), "false");
    assert_eq!(d.query_json("B", None, "b", None).unwrap(), "true");
    assert_eq!(d.query_json("B", None, "c", None).unwrap(), "-1");
    assert_eq!(d.query_json("B", None, "d", None).unwrap(), "true");
}

#[test]
fn command_input_is_checked_before_any_rule() {
    let src = r#"
model C {
  enum Size { small, large }
  record Line {
    sku: string
    qty: int = 1
  }
  command order(lines: list<Line>, size: Size = Size.small, note: string?, at: timestamp?) {
    emit ordered(count: size(lines), size, note)
  }
  event ordered(count: int, size: Size, note: string?) {}
}
"#;
    let d = Domain::compile(&[Source::new("c.model", src)]).unwrap();
    let ok = d
        .propose_json(
            "C",
            None,
            r#"{"type":"order","data":{"lines":[{"sku":"a"}]}}"#,
            None,
        )
        .unwrap();
    assert_eq!(
        ok,
        r#"[{"type":"ordered","data":{"count":1,"size":"small","note":null}}]"#
    );
    for (data, path) in [
        (r#"{"lines":[{"sku":"a"},{"sku":1}]}"#, "data.lines[1].sku"),
        (r#"{"lines":[],"size":"medium"}"#, "data.size"),
        (r#"{"lines":[],"note":5}"#, "data.note"),
        (r#"{"lines":null}"#, "data.lines"),
        (r#"{"lines":[],"at":"2026-13-01T00:00:00Z"}"#, "data.at"),
        (r#"{}"#, "data.lines"),
    ] {
        let cmd = format!(r#"{{"type":"order","data":{data}}}"#);
        let err = d.propose_json("C", None, &cmd, None).unwrap_err();
        assert_eq!(err.code(), "invalid_command", "{data}");
        assert_eq!(err.to_json()["path"], path, "{data}");
    }
    let err = d
        .propose_json(
            "C",
            None,
            r#"{"type":"order","data":{"lines":[]},"metadata":{"user":1}}"#,
            None,
        )
        .unwrap_err();
    assert_eq!(err.to_json()["path"], "metadata.user");
    let err = d
        .propose_json(
            "C",
            None,
            r#"{"type":"order","data":{"lines":[]},"extra":1}"#,
            None,
        )
        .unwrap_err();
    assert_eq!(err.to_json()["path"], "extra");
    let err = d
        .propose_json("C", None, r#"{"type":5}"#, None)
        .unwrap_err();
    assert_eq!(err.to_json()["path"], "type");
    let err = d
        .propose_json("Nope", None, r#"{"type":"order"}"#, None)
        .unwrap_err();
    assert_eq!(err.code(), "unknown_model");
}

/// A macro inside the body of a macro over a map must not take the slot that
/// holds the outer key's value (issue 10: it gave wrong events, or
/// `internal`), and a read-only body must not read the previous key's value.
#[test]
fn nested_macros_keep_their_own_variables() {
    let src = r#"
model W {
  state {
    m: map<string, int>
    xs: list<int>
    n: map<string, list<int>>
    names: map<string, string>
    flags: map<string, bool>
  }
  command c() { emit e(found: m.map(k, xs.exists(x, x == m[k])), totals: m.map(k, sum(xs.map(x, x)) + m[k])) }
  command deep(limit: int) {
    let base = xs.map(x, x * 10)
    let ks = keys(m)
    emit d(
      picked: m.map(k, n.filter(j, n[j].exists(y, y == m[k] && base.all(b, b > m[k] + limit)))),
      sizes: m.map(k, n.map(j, size(n[j]) + m[k])),
      triple: m.map(k, n.map(j, n[j].map(y, y + m[k] + size(n[j])))),
      pairs: ks.map(k, m.map(j, m[j] * 10 + m[k])),
      counts: n.map(j, m.exists_one(k, n[j].all(y, y >= m[k])))
    )
  }
  event e(found: list<bool>, totals: list<int>) { }
  event d(picked: list<list<string>>, sizes: list<list<int>>, triple: list<list<list<int>>>, pairs: list<list<int>>, counts: list<bool>) { }
  query q(m: map<string, int>, ss: list<string>): list<string> = m.filter(k, ss.map(x, x)[m[k]] == "abc")
  query flagged(): list<string> = names.filter(k, flags[names[k]])
  query flagged-field(): list<string> = names.filter(k, flags[names[k]] == true)
}
"#;
    let d = Domain::compile(&[Source::new("w.model", src)]).unwrap();
    let state = r#"{"m":{"a":1,"b":2},"xs":[5],"n":{"p":[1,3],"q":[2],"r":[]},"names":{"a":"x","b":"y","c":"x"},"flags":{"x":true,"y":false}}"#;
    let events = d
        .propose_json("W", Some(state), r#"{"type":"c"}"#, None)
        .unwrap();
    assert_eq!(
        events,
        r#"[{"type":"e","data":{"found":[false,false],"totals":[6,7]}}]"#
    );
    let events = d
        .propose_json(
            "W",
            Some(state),
            r#"{"type":"deep","data":{"limit":0}}"#,
            None,
        )
        .unwrap();
    let events: Json = serde_json::from_str(&events).unwrap();
    assert_eq!(
        events[0]["data"],
        json!({
            "picked": [["p"], ["q"]],
            "sizes": [[3, 2, 1], [4, 3, 2]],
            "triple": [[[4, 6], [4], []], [[5, 7], [5], []]],
            "pairs": [[11, 21], [12, 22]],
            // p: [1,3] >= 1 only for a; q: [2] >= 1 and >= 2; r: [] for both.
            "counts": [true, false, false]
        })
    );
    let events = d
        .propose_json(
            "W",
            Some(state),
            r#"{"type":"deep","data":{"limit":48}}"#,
            None,
        )
        .unwrap();
    let events: Json = serde_json::from_str(&events).unwrap();
    assert_eq!(events[0]["data"]["picked"], json!([["p"], []]));
    assert_eq!(
        d.query_json("W", None, "q", Some(r#"{"m":{"a":0,"b":0},"ss":["abc"]}"#))
            .unwrap(),
        r#"["a","b"]"#
    );
    assert_eq!(
        d.query_json("W", Some(state), "flagged", None).unwrap(),
        r#"["a","c"]"#
    );
    assert_eq!(
        d.query_json("W", Some(state), "flagged-field", None)
            .unwrap(),
        r#"["a","c"]"#
    );
}

/// Floats compare by IEEE 754, as CEL does: `-0.0` equals `0.0` and neither
/// is below the other, deep inside lists, maps and records too. NaN never
/// becomes a value: every way to make one is an error.
#[test]
fn floats_compare_by_ieee_754() {
    let src = r#"
model F {
  record R { x: float }
  state { m: map<string, float>  z: float  xs: list<float> }
  query cmp(): list<bool> = [-0.0 == 0.0, -0.0 != 0.0, -0.0 < 0.0, 0.0 > -0.0, -0.0 <= 0.0, -0.0 >= 0.0, z == 0.0, z < 0.0]
  query deep(): list<bool> = [[-0.0] == [0.0], {"a": -0.0} == {"a": 0.0}, R{x: -0.0} == R{x: 0.0}, 0.0 in [-0.0], z in xs, [1.0] == [-1.0]]
  query below(): list<string> = m.filter(k, m[k] < 0.0)
  query atmost(): list<string> = m.filter(k, m[k] <= 0.0)
  query minmax(): list<float> = [min([0.0, -0.0]), min([-0.0, 0.0]), max([0.0, -0.0]), max([-0.0, 0.0]), min(xs), max(xs)]
  query sums(): list<float> = [sum(xs.filter(x, false)), sum([-0.0]), sum([-0.0, -0.0]), sum(xs)]
  query signs(): list<string> = [string(-0.0), string(z), string(1e300), "${1e300}"]
  query big(): list<float> = [1e300, 1e-7]
  query nan1(): float = 0.0 / 0.0
  query nan2(): float = float("NaN")
  query inf(): float = 1e308 * 10.0
}
"#;
    let d = Domain::compile(&[Source::new(
        "f.model",
        src.replace("float>  z", "float>\n z")
            .replace("float  xs", "float\n xs"),
    )])
    .unwrap();
    let state = r#"{"m":{"a":-0.0,"b":-1.5,"c":0.0,"d":2.0},"z":-0.0,"xs":[0.0,-0.0]}"#;
    let q = |name: &str| d.query_json("F", Some(state), name, None);
    assert_eq!(
        q("cmp").unwrap(),
        "[true,false,false,false,true,true,true,false]"
    );
    assert_eq!(q("deep").unwrap(), "[true,true,true,true,true,false]");
    assert_eq!(q("below").unwrap(), r#"["b"]"#);
    assert_eq!(q("atmost").unwrap(), r#"["a","b","c"]"#);
    // Of equal items, the first one wins.
    assert_eq!(q("minmax").unwrap(), "[0.0,-0.0,0.0,-0.0,0.0,0.0]");
    assert_eq!(q("sums").unwrap(), "[0.0,0.0,0.0,0.0]");
    // `string(x)` of a float is its JSON text.
    assert_eq!(q("signs").unwrap(), r#"["-0.0","-0.0","1e+300","1e+300"]"#);
    assert_eq!(q("big").unwrap(), "[1e+300,1e-7]");
    for name in ["nan1", "nan2", "inf"] {
        assert_eq!(q(name).unwrap_err().code(), "evaluation_error", "{name}");
    }
    let err = d
        .query_json("F", Some(r#"{"z":NaN}"#), "cmp", None)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_json");
}

/// Timestamps cover years 0001 to 9999 to the nanosecond: they parse, print
/// with only the digits needed, compare, and convert at both ends; past the
/// ends is an `evaluation_error` (in expressions) or refused input.
#[test]
fn timestamps_cover_their_whole_range() {
    let src = r#"
model T {
  state { t: timestamp? }
  query last(): string = string(timestamp("9999-12-31T23:59:59.999999999Z"))
  query first(): string = string(timestamp("0001-01-01T00:00:00Z"))
  query ends(): list<timestamp> = [timestamp("9999-12-31T23:59:59.999999999Z"), timestamp("0001-01-01T00:00:00Z"), timestamp("9999-12-31T22:59:59.5-01:00"), timestamp("0001-01-01T01:00:00+01:00")]
  query order(): list<bool> = [timestamp("9999-12-31T23:59:59.999999999Z") > timestamp("9999-12-31T23:59:59.999999998Z"), timestamp("0001-01-01T00:00:00Z") < timestamp("0001-01-01T00:00:00.000000001Z"), timestamp("9999-12-31T23:59:59.999999999Z") == timestamp("9999-12-31T23:59:59.999999999+00:00")]
  query secs(): list<int> = [int(timestamp("9999-12-31T23:59:59.999999999Z")), int(timestamp("0001-01-01T00:00:00Z")), int(timestamp("1969-12-31T23:59:59.5Z")), int(timestamp("1970-01-01T00:00:00.5Z"))]
  query minmax(): list<timestamp> = [min([timestamp("9999-12-31T23:59:59.999999999Z"), timestamp("0001-01-01T00:00:00Z")]), max([timestamp("0001-01-01T00:00:00Z"), timestamp("9999-12-31T23:59:59.999999999Z")])]
  query state-t(): timestamp? = t
  query past-end(): timestamp = timestamp("9999-12-31T23:59:59.999999999-00:01")
  query before-start(): timestamp = timestamp("0001-01-01T00:00:00+00:01")
  query year-zero(): timestamp = timestamp("0000-12-31T23:59:59Z")
  query year-10000(): timestamp = timestamp("10000-01-01T00:00:00Z")
}
"#;
    let d = Domain::compile(&[Source::new("t.model", src)]).unwrap();
    let q = |name: &str| d.query_json("T", None, name, None);
    assert_eq!(q("last").unwrap(), r#""9999-12-31T23:59:59.999999999Z""#);
    assert_eq!(q("first").unwrap(), r#""0001-01-01T00:00:00Z""#);
    assert_eq!(
        q("ends").unwrap(),
        r#"["9999-12-31T23:59:59.999999999Z","0001-01-01T00:00:00Z","9999-12-31T23:59:59.5Z","0001-01-01T00:00:00Z"]"#
    );
    assert_eq!(q("order").unwrap(), "[true,true,true]");
    // Whole seconds since 1970, rounded down as CEL's int(timestamp) is.
    assert_eq!(q("secs").unwrap(), "[253402300799,-62135596800,-1,0]");
    assert_eq!(
        q("minmax").unwrap(),
        r#"["0001-01-01T00:00:00Z","9999-12-31T23:59:59.999999999Z"]"#
    );
    for name in ["past-end", "before-start", "year-zero", "year-10000"] {
        let err = q(name).unwrap_err();
        assert_eq!(err.code(), "evaluation_error", "{name}: {err}");
    }
    // As input and as `now`, the ends are accepted and written back as given.
    let state = r#"{"t":"9999-12-31T23:59:59.999999999Z"}"#;
    assert_eq!(
        d.query_json("T", Some(state), "state-t", None).unwrap(),
        r#""9999-12-31T23:59:59.999999999Z""#
    );
    let err = d
        .query_json(
            "T",
            Some(r#"{"t":"9999-12-31T23:59:59-00:01"}"#),
            "state-t",
            None,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_command");
    let src = r#"
model N {
  command c() { emit e(at: now) }
  event e(at: timestamp) { }
}
"#;
    let d = Domain::compile(&[Source::new("n.model", src)]).unwrap();
    for at in ["9999-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z"] {
        assert_eq!(
            d.propose_json("N", None, r#"{"type":"c"}"#, Some(at))
                .unwrap(),
            format!(r#"[{{"type":"e","data":{{"at":"{at}"}}}}]"#)
        );
    }
}
