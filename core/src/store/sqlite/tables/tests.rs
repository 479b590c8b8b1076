//! `SqliteRows` against `MemoryRows`, the oracle: the same operations give
//! the same answers and the same rows, and the tables are plain SQL tables.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::tables::MemoryRows;
use crate::value::Shape;
use crate::{Domain, Source};

/// One table with a key column of every key kind and a column of every
/// other type.
const ALL_TYPES: &str = r#"
model M {
  state { n: int = 0 }
  enum Prio { low, high }
  record Pair { a: int; b: timestamp }
  command c() { emit e() }
  event e() { set n = n + 1 }
}

table every_type {
  key s: string
  key i: int
  key b: bool
  key at: timestamp
  key p: M.Prio
  f: float
  d: duration
  times: list<timestamp>
  counts: map<string, int>
  pair: M.Pair?
  note: string?
  on: bool = false
}

projection fill inline {
  on M.e {
    delete every_type["x"]
  }
}
"#;

fn domain(src: &str) -> Domain {
    Domain::compile(&[Source::new("m.model", src)]).unwrap()
}

/// A migrated store in memory.
fn store() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    super::super::schema::migrate(&conn, Path::new(":memory:"), StdDuration::from_secs(5)).unwrap();
    conn
}

fn ts(second: i64, nanos: u32) -> Value {
    Value::Timestamp(Timestamp::new(second, nanos).unwrap())
}

/// The values each key column draws from: `(s, i, b, at, p)`.
type KeyPool = (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>);

fn key_pool() -> KeyPool {
    let s = ["", "a", "a\0", "ab", "b", "Z", "é", "\u{10000}", "\u{ffff}"]
        .iter()
        .map(|s| Value::str(s))
        .collect();
    let i = [i64::MIN, -3, 0, 2, 10, i64::MAX]
        .into_iter()
        .map(Value::Int)
        .collect();
    let b = vec![Value::Bool(false), Value::Bool(true)];
    let at = vec![
        // Year 1, before 1970, and two that differ only past the
        // microsecond: after the cut they are one key.
        ts(Timestamp::MIN.as_second(), 0),
        ts(-1, 999_999_999),
        ts(0, 0),
        ts(1_767_225_600, 120_000_000),
        ts(1_767_225_600, 120_000_999),
        ts(Timestamp::MAX.as_second(), 999_999_999),
    ];
    let p = vec![Value::Enum("low".into()), Value::Enum("high".into())];
    (s, i, b, at, p)
}

/// Keys over a few values per column, drawn from [`key_pool`]: many keys
/// then share leading columns, so every column's order decides somewhere.
fn keys_strategy() -> impl Strategy<Value = Vec<Vec<Value>>> {
    let (s, i, b, at, p) = key_pool();
    let few = |pool: Vec<Value>, n: usize| proptest::sample::subsequence(pool, 1..=n);
    (few(s, 3), few(i, 3), few(b, 2), few(at, 3), few(p, 2)).prop_flat_map(|(s, i, b, at, p)| {
        let key = (
            proptest::sample::select(s),
            proptest::sample::select(i),
            proptest::sample::select(b),
            proptest::sample::select(at),
            proptest::sample::select(p),
        )
            .prop_map(|(s, i, b, at, p)| vec![s, i, b, at, p]);
        proptest::collection::vec(key, 1..12)
    })
}

/// Rows whose keys come from `keys`, so that inserts meet taken keys.
fn row_strategy(
    shape: Arc<Shape>,
    pair: Arc<Shape>,
    keys: Vec<Vec<Value>>,
) -> impl Strategy<Value = Value> {
    let float = proptest::sample::select(vec![0.0, -0.0, -1.5, 3.0, 1e300, -2.5e-300, 0.1]);
    let nanos = proptest::sample::select(vec![
        0i128,
        1,
        999,
        1_500,
        -1_999,
        86_400_000_000_000,
        -3_000_000_001,
    ]);
    let time =
        (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| ts(s, n));
    let times = proptest::collection::vec(time.clone(), 0..3);
    let counts = proptest::collection::btree_map("[a-c\u{e9}]{0,2}", any::<i64>(), 0..3);
    let opt_pair = proptest::option::of((any::<i64>(), time));
    let note = proptest::option::of("[ a\"'\\\\\u{e9}\u{1f600}]{0,4}");
    (
        proptest::sample::select(keys),
        float,
        nanos,
        times,
        counts,
        opt_pair,
        note,
        any::<bool>(),
    )
        .prop_map(move |(key, f, d, times, counts, pair_v, note, on)| {
            let mut fields = key;
            fields.push(Value::Float(f));
            fields.push(Value::Duration(
                crate::value::Duration::from_nanos(d).unwrap(),
            ));
            fields.push(Value::list(times));
            fields.push(Value::Map(
                counts
                    .into_iter()
                    .map(|(k, v)| (crate::value::Str::from(k.as_str()), Value::Int(v)))
                    .collect(),
            ));
            fields.push(match pair_v {
                Some((a, b)) => Value::record(pair.clone(), vec![Value::Int(a), b]),
                None => Value::Null,
            });
            fields.push(note.map_or(Value::Null, |n| Value::str(&n)));
            fields.push(Value::Bool(on));
            Value::record(shape.clone(), fields)
        })
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Value),
    Upsert(Value),
    Get(Vec<Value>),
    Has(Vec<Value>),
    Keys(Vec<Value>),
    Delete(Vec<Value>),
    /// A whole key and the (non-key) columns to set.
    Update(Vec<Value>, Vec<(u32, Value)>),
}

fn op_strategy(
    shape: Arc<Shape>,
    pair: Arc<Shape>,
    keys: Vec<Vec<Value>>,
) -> impl Strategy<Value = Op> {
    let key = || proptest::sample::select(keys.clone());
    let prefix = || {
        (key(), 0usize..=5).prop_map(|(mut k, n)| {
            k.truncate(n);
            k
        })
    };
    prop_oneof![
        3 => row_strategy(shape.clone(), pair.clone(), keys.clone()).prop_map(Op::Insert),
        2 => row_strategy(shape.clone(), pair.clone(), keys.clone()).prop_map(Op::Upsert),
        1 => key().prop_map(Op::Get),
        1 => key().prop_map(Op::Has),
        1 => prefix().prop_map(Op::Keys),
        1 => prefix().prop_map(Op::Delete),
        2 => (key(), row_strategy(shape.clone(), pair.clone(), keys.clone()), any::<u8>()).prop_map(|(k, row, mask)| {
            let Value::Record(r) = row else { unreachable!() };
            // The non-key columns are 5 to 11; the top bit gives them in
            // the other order, as a handler may name them.
            let mut set: Vec<(u32, Value)> = (5u32..12)
                .filter(|c| mask & (1 << (c - 5)) != 0)
                .map(|c| (c, r.fields[c as usize].clone()))
                .collect();
            if mask & 0x80 != 0 {
                set.reverse();
            }
            Op::Update(k, set)
        }),
    ]
}

fn texts(rows: &[Value]) -> Vec<String> {
    rows.iter().map(Value::to_json_string).collect()
}

/// Runs one operation on a store and writes its answer as text.
fn apply(rows: &mut dyn RowStore, table: &Table, op: &Op) -> String {
    match op {
        Op::Insert(r) => format!("{:?}", rows.insert(table, r.clone()).unwrap()),
        Op::Upsert(r) => format!("{:?}", rows.upsert(table, r.clone()).unwrap()),
        Op::Get(k) => rows
            .get(table, k)
            .unwrap()
            .map_or("none".into(), |r| r.to_json_string()),
        Op::Has(k) => format!("{}", rows.has(table, k).unwrap()),
        Op::Keys(k) => {
            let keys = rows.keys(table, k).unwrap();
            format!("{:?}", keys.iter().map(|k| texts(k)).collect::<Vec<_>>())
        }
        Op::Delete(k) => format!("{}", rows.delete(table, k).unwrap()),
        Op::Update(k, set) => format!("{}", rows.update(table, k, set).unwrap()),
    }
}

/// Creates every projection's tables, as an engine does at open.
fn create_all(conn: &Connection, read: &ReadSide) -> Result<()> {
    use crate::store::readside::ReadSideTx;
    let mut side = super::super::readside::SqliteReadSide { conn };
    for p in &read.projections {
        let names: Vec<String> = p
            .writes
            .iter()
            .map(|&t| read.tables[t as usize].name.to_string())
            .collect();
        side.create_tables(read, p, &names, &p.fingerprint)?;
    }
    Ok(())
}

fn all_types() -> (Domain, Connection) {
    let d = domain(ALL_TYPES);
    let conn = store();
    create_all(&conn, d.read_side()).unwrap();
    (d, conn)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The oracle: every answer and, after every step, every row (in key
    /// order, values equal and written alike) are those of `MemoryRows`.
    #[test]
    fn sqlite_rows_answer_as_memory_rows(ops in {
        let d = domain(ALL_TYPES);
        let read = d.read_side();
        let shape = read.tables[0].shape.clone();
        let pair = read.types.records.iter().find(|r| &*r.shape.name == "M.Pair")
            .or_else(|| read.types.records.iter().find(|r| r.shape.name.ends_with("Pair")))
            .unwrap().shape.clone();
        // A few keys per case, so that rows meet and replace each other.
        keys_strategy().prop_flat_map(move |keys| {
            proptest::collection::vec(op_strategy(shape.clone(), pair.clone(), keys), 1..60)
        })
    }) {
        let (d, conn) = all_types();
        let read = d.read_side();
        let table = &read.tables[0];
        let mut memory = MemoryRows::default();
        let mut sql = SqliteRows::new(&conn, read);
        for (n, op) in ops.iter().enumerate() {
            let want = apply(&mut memory, table, op);
            let got = apply(&mut sql, table, op);
            prop_assert_eq!(&got, &want, "step {}: {:?}", n, op);
            let (m, s) = (memory.scan(table).unwrap(), sql.scan(table).unwrap());
            prop_assert_eq!(&s, &m, "rows after step {}", n);
            prop_assert_eq!(texts(&s), texts(&m));
        }
    }
}

#[test]
fn the_table_is_plain_sql_with_the_declared_types() {
    let (d, conn) = all_types();
    let read = d.read_side();
    let table = &read.tables[0];
    let info: Vec<(String, String, bool, i64)> = conn
        .prepare(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('every_type') ORDER BY cid",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let want = [
        ("s", "TEXT", true, 1),
        ("i", "INTEGER", true, 2),
        ("b", "INTEGER", true, 3),
        ("at", "TEXT", true, 4),
        ("p", "TEXT", true, 5),
        ("f", "REAL", true, 0),
        ("d", "TEXT", true, 0),
        ("times", "TEXT", true, 0),
        ("counts", "TEXT", true, 0),
        ("pair", "TEXT", false, 0),
        ("note", "TEXT", false, 0),
        ("on", "INTEGER", true, 0),
    ];
    let got: Vec<(&str, &str, bool, i64)> = info
        .iter()
        .map(|(n, t, nn, pk)| (n.as_str(), t.as_str(), *nn, *pk))
        .collect();
    assert_eq!(got, want);

    let pair = read
        .types
        .records
        .iter()
        .find(|r| r.shape.name.ends_with("Pair"))
        .unwrap()
        .shape
        .clone();
    let row = Value::record(
        table.shape.clone(),
        vec![
            Value::str("x"),
            Value::Int(7),
            Value::Bool(true),
            Value::Timestamp(parse_timestamp("2026-01-02T03:04:05.120000789Z").unwrap()),
            Value::Enum("high".into()),
            Value::Float(2.0),
            Value::Duration(crate::value::parse_duration("-1.5000019s").unwrap()),
            Value::list([ts(0, 1_999)]),
            Value::Map(
                [("b", 2), ("a", 1)]
                    .into_iter()
                    .map(|(k, v)| (crate::value::Str::from(k), Value::Int(v)))
                    .collect(),
            ),
            Value::record(pair, vec![Value::Int(1), ts(0, 0)]),
            Value::Null,
            Value::Bool(false),
        ],
    );
    let mut rows = SqliteRows::new(&conn, read);
    assert!(rows.insert(table, row).unwrap());
    type Plain = (
        String,
        i64,
        i64,
        String,
        String,
        f64,
        String,
        String,
        String,
        String,
    );
    let plain: Plain = conn
        .query_row(
            "SELECT s, i, b, at, p, f, d, times, counts, pair FROM every_type",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        plain,
        (
            "x".into(),
            7,
            1,
            "2026-01-02T03:04:05.120000Z".into(),
            "high".into(),
            2.0,
            "-1.500001s".into(),
            r#"["1970-01-01T00:00:00.000001Z"]"#.into(),
            r#"{"a":1,"b":2}"#.into(),
            r#"{"a":1,"b":"1970-01-01T00:00:00Z"}"#.into(),
        )
    );
    let kinds: String = conn
        .query_row(
            "SELECT typeof(s) || typeof(i) || typeof(b) || typeof(at) || typeof(p) || typeof(f) \
             || typeof(d) || typeof(times) || typeof(counts) || typeof(pair) || typeof(note) \
             || typeof(\"on\") FROM every_type",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        kinds,
        "textintegerintegertexttextrealtexttexttexttextnullinteger"
    );
    // NOT NULL holds for host code too.
    let e = conn
        .execute(
            "INSERT INTO every_type (s, i, b, at, p, f, d, times, counts) \
             VALUES ('y', 1, 0, 't', 'low', NULL, '0s', '[]', '{}')",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("NOT NULL"), "{e}");
}

#[test]
fn timestamps_are_six_digit_text_so_text_order_is_time_order() {
    let t = |s: &str| format_timestamp_micros(parse_timestamp(s).unwrap());
    assert_eq!(t("2026-01-02T03:04:05.12Z"), "2026-01-02T03:04:05.120000Z");
    assert_eq!(t("2026-01-02T03:04:05Z"), "2026-01-02T03:04:05.000000Z");
    assert_eq!(
        t("2026-01-02T03:04:05.123456999Z"),
        "2026-01-02T03:04:05.123456Z"
    );
    assert_eq!(t("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00.000000Z");
    assert_eq!(
        t("1969-12-31T23:59:59.9999999Z"),
        "1969-12-31T23:59:59.999999Z"
    );
    assert_eq!(
        t("9999-12-31T23:59:59.999999999Z"),
        "9999-12-31T23:59:59.999999Z"
    );
    assert_eq!(
        t("2026-01-02T04:04:05+01:00"),
        "2026-01-02T03:04:05.000000Z"
    );
}

#[test]
fn identifiers_are_quoted() {
    assert_eq!(quote("order"), "\"order\"");
    assert_eq!(quote("a\"b"), "\"a\"\"b\"");
}

fn shared(relative: &str) -> String {
    let path = crate::scenario::shared_path(relative).unwrap_or_else(|e| panic!("{e}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn board() -> String {
    shared("scenarios/v1/board.model")
}

/// Folding the board projection scenarios' events onto SQL tables gives
/// what folding them onto `MemoryRows` gives: the same tables, or the same
/// error.
#[test]
fn the_board_projections_fold_onto_sql_tables_as_in_memory() {
    let d = domain(&board());
    let cases: serde_json::Value =
        serde_json::from_str(&shared("scenarios/v1/board-projection.scenarios.json")).unwrap();
    let mut compared = 0;
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let projection = case["projection"].as_str().unwrap();
        let given = &case["given"];
        let mut memory = MemoryRows::default();
        let want = d.project_onto(projection, given, &mut memory);
        let conn = store();
        create_all(&conn, d.read_side()).unwrap();
        let mut sql = SqliteRows::new(&conn, d.read_side());
        let got = d.project_onto(projection, given, &mut sql);
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                assert_eq!(g, w, "{name}");
                if let Some(rows) = case.get("rows") {
                    let g: serde_json::Value = serde_json::from_str(g).unwrap();
                    assert_eq!(&g, rows, "{name}: the scenario's rows");
                }
                compared += 1;
            }
            (Err(w), Err(g)) => {
                assert_eq!(
                    (g.code(), g.to_string()),
                    (w.code(), w.to_string()),
                    "{name}"
                )
            }
            _ => panic!("{name}: memory gave {want:?}, SQL gave {got:?}"),
        }
    }
    assert!(compared > 20, "only {compared} cases folded");
}

#[test]
fn tables_are_recorded_with_their_projection() {
    let d = domain(&board());
    let conn = store();
    create_all(&conn, d.read_side()).unwrap();
    let owned: Vec<(String, String)> = conn
        .prepare("SELECT sql_name, projection FROM eventfold_projection_tables ORDER BY sql_name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in &d.read_side().tables {
        assert!(
            owned
                .iter()
                .any(|(n, p)| **n == *t.name && Some(p.as_str()) == t.writer.as_deref()),
            "{} in {owned:?}",
            t.name
        );
    }
}

#[test]
fn a_table_of_the_application_is_never_taken() {
    let d = domain(&board());
    let conn = store();
    conn.execute_batch("CREATE TABLE Boards (x INTEGER)")
        .unwrap();
    let e = create_all(&conn, d.read_side()).unwrap_err();
    assert_eq!(e.code(), "store_error");
    assert!(e.to_string().contains("not eventfold's"), "{e}");
}

#[test]
fn rows_written_in_a_transaction_go_with_it() {
    let (d, mut conn) = all_types();
    let read = d.read_side();
    let table = &read.tables[0];
    let keys = keys_of_every_kind();
    let row = |n: usize| {
        let mut fields = keys[n].clone();
        fields.extend([
            Value::Float(1.0),
            Value::Duration(crate::value::parse_duration("1s").unwrap()),
            Value::list([]),
            Value::Map(Default::default()),
            Value::Null,
            Value::Null,
            Value::Bool(true),
        ]);
        Value::record(table.shape.clone(), fields)
    };
    {
        let tx = conn.transaction().unwrap();
        let mut rows = SqliteRows::new(&tx, read);
        assert!(rows.insert(table, row(0)).unwrap());
        assert_eq!(rows.scan(table).unwrap().len(), 1);
        // Dropped without commit: rolled back.
    }
    assert!(SqliteRows::new(&conn, read).scan(table).unwrap().is_empty());
    let tx = conn.transaction().unwrap();
    assert!(SqliteRows::new(&tx, read).insert(table, row(1)).unwrap());
    tx.commit().unwrap();
    assert_eq!(
        SqliteRows::new(&conn, read).scan(table).unwrap(),
        vec![row(1)]
    );
}

#[test]
fn a_cell_changed_outside_the_engine_is_reported_not_misread() {
    let (d, conn) = all_types();
    let read = d.read_side();
    let table = &read.tables[0];
    let mut fields = keys_of_every_kind()[0].clone();
    fields.extend([
        Value::Float(1.0),
        Value::Duration(crate::value::parse_duration("1s").unwrap()),
        Value::list([]),
        Value::Map(Default::default()),
        Value::Null,
        Value::Null,
        Value::Bool(true),
    ]);
    let mut rows = SqliteRows::new(&conn, read);
    rows.insert(table, Value::record(table.shape.clone(), fields))
        .unwrap();
    for (set, what) in [
        ("\"on\" = 2", "column on"),
        ("p = 'medium'", "column p"),
        ("times = '[1]'", "column times"),
    ] {
        conn.execute_batch("SAVEPOINT s").unwrap();
        conn.execute(&format!("UPDATE every_type SET {set}"), [])
            .unwrap();
        let e = SqliteRows::new(&conn, read).scan(table).unwrap_err();
        assert_eq!(e.code(), "store_error", "{set}");
        assert!(e.to_string().contains(what), "{set}: {e}");
        assert!(e.to_string().contains("rebuild"), "{set}: {e}");
        conn.execute_batch("ROLLBACK TO s; RELEASE s").unwrap();
    }
}

/// One key whose columns hold values of every kind.
fn keys_of_every_kind() -> Vec<Vec<Value>> {
    vec![
        vec![
            Value::str("a"),
            Value::Int(1),
            Value::Bool(false),
            ts(0, 0),
            Value::Enum("low".into()),
        ],
        vec![
            Value::str("b"),
            Value::Int(2),
            Value::Bool(true),
            ts(1, 5_000),
            Value::Enum("high".into()),
        ],
    ]
}
