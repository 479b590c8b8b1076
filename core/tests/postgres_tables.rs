//! The projections' tables on PostgreSQL, through the engine: rows of every
//! column type read back exactly as on SQLite and in memory (the same
//! values, the same canonical JSON, in the same key order), inline and
//! async, paged and rebuilt; a taken key fails its command as on SQLite;
//! the application's own table of a projection's name is never taken.
//!
//! Needs the test server (`EVENTFOLD_TEST_POSTGRES`, see `pg/mod.rs`);
//! without one each test passes with a note.

use std::time::Duration;

use eventfold::{Domain, Engine, EngineOptions, Error, ExecuteOptions, Source};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

mod pg;
mod scratch;
use scratch::TempDir;

/// A table with a key column of every key kind and a column of every
/// other type, written inline and (a copy) async.
const MODEL: &str = r#"
model Box {
  state { n: int = 0 }

  enum Size { small, large }

  record Part {
    zeta: int
    at: timestamp
    span: duration?
  }

  command put(key: string, i: int, f: float, flag: bool, at: timestamp, span: duration,
      size: Size, times: list<timestamp>, weights: map<string, float>, part: Part?, note: string?) {
    emit was-put(key, i, f, flag, at, span, size, times, weights, part, note)
  }

  command add(key: string, i: int) {
    emit was-added(key, i)
  }

  command drop(key: string) {
    emit dropped(key)
  }

  event was-put(key: string, i: int, f: float, flag: bool, at: timestamp, span: duration,
      size: Size, times: list<timestamp>, weights: map<string, float>, part: Part?, note: string?) {
    set n = n + 1
  }

  event was-added(key: string, i: int) {
    set n = n + 1
  }

  event dropped(key: string) {
    set n = n + 1
  }
}

table cells {
  key key: string
  key flag: bool
  key at: timestamp
  key size: Box.Size
  key i: int
  f: float
  span: duration
  times: list<timestamp>
  weights: map<string, float>
  part: Box.Part?
  note: string?
  version: int
}

table cells_async {
  key key: string
  key flag: bool
  key at: timestamp
  key size: Box.Size
  key i: int
  f: float
  span: duration
  times: list<timestamp>
  weights: map<string, float>
  part: Box.Part?
  note: string?
  version: int
}

/// Plain inserts: a taken key is an evaluation_error.
table added {
  key key: string
  key i: int
}

projection fill inline {
  on Box.was-put {
    upsert cells(key, flag, at, size, i, f, span, times, weights, part, note, version: stream.version)
  }
  on Box.dropped {
    delete cells[key]
  }
  on Box.was-added {
    insert added(key, i)
  }
}

projection fill-async async {
  on Box.was-put {
    upsert cells_async(key, flag, at, size, i, f, span, times, weights, part, note,
      version: stream.version)
  }
  on Box.dropped {
    delete cells_async[key]
  }
}
"#;

fn domain() -> Domain {
    Domain::compile(&[Source::new("box.model", MODEL)]).unwrap()
}

/// A `put` of `data`, with empty `times` and `weights` unless given.
fn put(data: Json) -> Json {
    let mut full = json!({"times": [], "weights": {}});
    for (k, v) in data.as_object().unwrap() {
        full[k] = v.clone();
    }
    json!({"type": "put", "data": full})
}

/// Values at the edges of every type: code points that sort otherwise in
/// most locales, the ends of int, float, timestamp and duration, digits
/// past the microsecond, zeros with a sign, JSON whose keys JSONB orders
/// otherwise, escapes.
fn edge_commands() -> Vec<(&'static str, Json)> {
    let max = "315576000000.999999999s";
    vec![
        (
            "a",
            put(json!({"key": "", "i": i64::MIN, "f": 1e300, "flag": false,
            "at": "0001-01-01T00:00:00Z", "span": max, "size": "small"})),
        ),
        (
            "a",
            put(json!({"key": "Z", "i": i64::MAX, "f": 2.0, "flag": true,
            "at": "9999-12-31T23:59:59.999999999Z", "span": "1h", "size": "large"})),
        ),
        (
            "b",
            put(json!({"key": "é", "i": 0, "f": -0.0, "flag": false,
            "at": "1969-12-31T23:59:59.9999995Z", "span": "1.0000019s", "size": "large",
            "part": {"zeta": 0, "at": "1970-01-01T00:00:00Z"}})),
        ),
        (
            "b",
            put(json!({"key": "\u{10000}", "i": 2, "f": 0.1, "flag": true,
            "at": "2026-01-02T04:04:05.123456789+01:00", "span": "-0.0000009s", "size": "small",
            "note": ""})),
        ),
        (
            "c",
            put(
                json!({"key": "\u{ffff}", "i": -3, "f": 123456789.125, "flag": false,
            "at": "2026-01-02T03:04:05.123456Z", "span": "0s", "size": "small"}),
            ),
        ),
        (
            "c",
            put(json!({"key": "a b", "i": 10, "f": -2.5e-300, "flag": true,
            "at": "2026-01-02T03:04:05.123456Z", "span": "86400.000001s", "size": "large"})),
        ),
        // Replaces a row whole (an upsert) under a key whose timestamp
        // differs from the first one's only past the microsecond: the same
        // key once cut.
        (
            "a",
            put(json!({"key": "Z", "i": i64::MAX, "f": 5e-324, "flag": true,
            "at": "9999-12-31T23:59:59.999999Z", "span": "-315576000000.999999999s",
            "size": "large",
            "times": ["1969-12-31T23:59:59.9999995Z", "2026-01-02T04:04:05.123456789+01:00"],
            "weights": {"bb": -0.0, "a": 1e-300, "": 2.5, "ccc": 1.7976931348623157e308},
            "part": {"zeta": -1, "at": "2000-01-01T00:00:00.0000001Z", "span": "14d"},
            "note": "quote\" back\\slash \u{1} \n \u{1f600}"})),
        ),
        (
            "a",
            put(json!({"key": "a", "i": 1, "f": 1.0, "flag": false,
            "at": "2026-01-02T03:04:05.1234561Z", "span": "1s", "size": "small"})),
        ),
        (
            "a",
            put(json!({"key": "a", "i": 1, "f": 3.0, "flag": false,
            "at": "2026-01-02T03:04:05.1234569Z", "span": "2s", "size": "small"})),
        ),
        (
            "a",
            put(json!({"key": "A", "i": 1, "f": 1.0, "flag": false,
            "at": "2026-01-02T03:04:05Z", "span": "1s", "size": "small"})),
        ),
        ("b", json!({"type": "drop", "data": {"key": "a b"}})),
    ]
}

fn options() -> EngineOptions {
    EngineOptions::default()
}

fn execute(engine: &Engine, id: &str, command: &Json) -> Result<u64, Error> {
    Ok(engine
        .execute("Box", id, command, &ExecuteOptions::default())?
        .position)
}

fn wait(engine: &Engine, position: u64) {
    assert!(engine
        .wait_for(position, None, Duration::from_secs(120))
        .unwrap());
}

/// Everything the engine answers about the tables, as text: every row of
/// each, and pages by key prefix, after a key and with a limit.
fn answers(engine: &Engine) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["cells", "cells_async", "added"] {
        out.push(engine.rows_json(table, None).unwrap());
    }
    for options in [
        json!({"key": ["Z"]}),
        json!({"key": ["a", false]}),
        json!({"after": ["a", false, "2026-01-02T03:04:05.123456Z", "small", 1], "limit": 3}),
        json!({"after": ["", false, "0001-01-01T00:00:00Z", "small", -9], "limit": 2}),
        json!({"key": ["Z", true, "9999-12-31T23:59:59.999999Z"]}),
        json!({"limit": 0}),
    ] {
        out.push(
            engine
                .rows_json("cells", Some(&options.to_string()))
                .unwrap_or_else(|e| format!("{}: {e}", e.code())),
        );
    }
    out
}

/// The answers after `commands` on a store, and each command's outcome.
fn run_on(url: &str, commands: &[(&str, Json)]) -> (Vec<String>, Vec<String>) {
    let engine = Engine::open(url, domain(), options()).unwrap();
    let mut outcomes = Vec::new();
    let mut last = 0;
    for (id, c) in commands {
        match execute(&engine, id, c) {
            Ok(p) => {
                last = last.max(p);
                outcomes.push("ok".to_string());
            }
            Err(e) => outcomes.push(format!("{}: {e}", e.code())),
        }
    }
    wait(&engine, last);
    let got = answers(&engine);
    // A rebuild from the first event gives the same rows.
    for p in ["fill", "fill-async"] {
        engine.rebuild(p).unwrap();
    }
    assert_eq!(answers(&engine), got, "{url}: rows after a rebuild");
    engine.close().unwrap();
    (got, outcomes)
}

#[test]
fn rows_of_every_column_type_read_as_on_sqlite_and_in_memory() {
    let Some(schema) = pg::Schema::new("tables_edges") else {
        return;
    };
    let commands = edge_commands();
    let dir = TempDir::new("pg-tables");
    let memory = run_on("memory:", &commands);
    let sqlite = run_on(&dir.url(), &commands);
    let postgres = run_on(&schema.url(), &commands);
    assert_eq!(sqlite, memory);
    assert_eq!(postgres.1, sqlite.1, "the commands' outcomes");
    for (n, (p, s)) in postgres.0.iter().zip(&sqlite.0).enumerate() {
        assert_eq!(p, s, "answer {n}");
    }
    // The values came out as §4 writes them.
    let rows: Json = serde_json::from_str(&postgres.0[0]).unwrap();
    let z = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "Z")
        .unwrap();
    assert_eq!(z["at"], "9999-12-31T23:59:59.999999Z");
    assert_eq!(
        z["version"], 3,
        "replaced whole by the later put of the same key"
    );
    assert_eq!(
        z["weights"].to_string(),
        r#"{"":2.5,"a":1e-300,"bb":0.0,"ccc":1.7976931348623157e+308}"#
    );
    assert_eq!(
        z["part"].to_string(),
        r#"{"zeta":-1,"at":"2000-01-01T00:00:00Z","span":"1209600s"}"#
    );
    assert_eq!(
        z["times"].to_string(),
        r#"["1969-12-31T23:59:59.999999Z","2026-01-02T03:04:05.123456Z"]"#
    );
    assert_eq!(z["span"], "-315576000000.999999s");
    let first = &rows[0];
    assert_eq!(first["key"], "");
    assert_eq!(first["span"], "315576000000.999999s");
    assert_eq!(first["f"], 1e300);
    let keys: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["", "A", "Z", "a", "é", "\u{ffff}", "\u{10000}"]);
}

#[test]
fn a_taken_key_fails_its_command_as_on_sqlite_and_the_next_one_goes_on() {
    let Some(schema) = pg::Schema::new("tables_taken") else {
        return;
    };
    let add = |key: &str, i: i64| json!({"type": "add", "data": {"key": key, "i": i}});
    let commands = vec![
        ("a", add("x", 1)),
        ("a", add("x", 1)),
        ("b", add("x", 2)),
        ("b", add("x", 1)),
        ("c", add("y", 1)),
    ];
    let dir = TempDir::new("pg-tables");
    let sqlite = run_on(&dir.url(), &commands);
    let postgres = run_on(&schema.url(), &commands);
    assert_eq!(postgres, sqlite);
    assert!(
        postgres.1[1].starts_with("evaluation_error"),
        "{:?}",
        postgres.1
    );
    assert_eq!(postgres.1[4], "ok");
    assert_eq!(
        serde_json::from_str::<Json>(&postgres.0[2]).unwrap(),
        json!([{"key": "x", "i": 1}, {"key": "x", "i": 2}, {"key": "y", "i": 1}])
    );
}

#[test]
fn a_table_of_the_application_is_never_taken() {
    let Some(schema) = pg::Schema::new("tables_foreign") else {
        return;
    };
    let mut c = schema.client();
    c.batch_execute(&format!(
        "CREATE SCHEMA {0}; CREATE TABLE {0}.cells (mine TEXT); \
         INSERT INTO {0}.cells VALUES ('keep me')",
        schema.name
    ))
    .unwrap();
    let e = match Engine::open(&schema.url(), domain(), options()) {
        Err(e) => e,
        Ok(engine) => {
            // Opened: the inline projection must then refuse to write.
            let e = execute(
                &engine,
                "a",
                &put(json!({"key": "k", "i": 1, "f": 1.0, "flag": true,
                    "at": "2026-01-01T00:00:00Z", "span": "1s", "size": "small"})),
            )
            .unwrap_err();
            engine.close().unwrap();
            e
        }
    };
    assert_eq!(e.code(), "store_error");
    assert!(e.to_string().contains("not eventfold's"), "{e}");
    let kept: Vec<String> = c
        .query(&format!("SELECT mine FROM {}.cells", schema.name), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kept, ["keep me"]);
}

fn value_command() -> impl Strategy<Value = (String, Json)> {
    let key = prop::sample::select(vec!["", "a", "B", "é", "\u{10000}"]);
    let float = prop_oneof![
        prop::sample::select(vec![0.0, -0.0, 1e300, 5e-324, 0.1, -1.5]),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ];
    let time = (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| {
        // RFC 3339 through the engine's own formatting would need its
        // internals: build the text here (UTC, nine digits).
        let days = s.div_euclid(86_400);
        let secs = s.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{n:09}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    });
    let max: i128 = 315_576_000_000_999_999_999;
    let span = (-max..=max).prop_map(|n| {
        let sign = if n < 0 { "-" } else { "" };
        let n = n.unsigned_abs();
        format!("{sign}{}.{:09}s", n / 1_000_000_000, n % 1_000_000_000)
    });
    let weights = prop::collection::btree_map("[a-c]{0,3}", float.clone(), 0..4);
    (
        prop::sample::select(vec!["a", "b"]),
        key,
        any::<i64>(),
        float,
        any::<bool>(),
        time.clone(),
        span.clone(),
        prop::sample::select(vec!["small", "large"]),
        prop::collection::vec(time.clone(), 0..3),
        weights,
        prop::option::of((any::<i64>(), time, prop::option::of(span))),
    )
        .prop_map(
            |(id, key, i, f, flag, at, span, size, times, weights, part)| {
                let part =
                    part.map(|(zeta, at, span)| json!({"zeta": zeta, "at": at, "span": span}));
                let c = put(
                    json!({"key": key, "i": i % 3, "f": f, "flag": flag, "at": at,
                    "span": span, "size": size, "times": times, "weights": weights,
                    "part": part}),
                );
                (id.to_string(), c)
            },
        )
}

/// Days since 1970-01-01 as a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Any values, any order of writes: PostgreSQL answers as SQLite does.
    #[test]
    fn any_values_read_as_on_sqlite(commands in prop::collection::vec(value_command(), 1..12)) {
        let Some(schema) = pg::Schema::new("tables_any") else { return Ok(()) };
        let commands: Vec<(&str, Json)> =
            commands.iter().map(|(id, c)| (id.as_str(), c.clone())).collect();
        let dir = TempDir::new("pg-tables");
        let sqlite = run_on(&dir.url(), &commands);
        let postgres = run_on(&schema.url(), &commands);
        prop_assert_eq!(postgres, sqlite);
    }
}
