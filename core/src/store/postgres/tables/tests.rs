//! `PgRows` against `MemoryRows` (the oracle) and `SqliteRows`: the same
//! operations give the same answers and the same rows, value for value and
//! byte for byte in canonical JSON, and the tables are plain SQL tables of
//! the types §13 names.
//!
//! The pure tests always run; the others need the test server
//! (`EVENTFOLD_TEST_POSTGRES`) and pass with a note without one, unless
//! `EVENTFOLD_REQUIRE_POSTGRES` is set. Each works in a schema of its own
//! inside one transaction that is never committed, and drops the schema.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::store::postgres::readside::PgReadSide;
use crate::store::postgres::{schema, url, Keys};
use crate::store::readside::ReadSideTx;
use crate::store::sqlite::tables::SqliteRows;
use crate::tables::MemoryRows;
use crate::value::{parse_duration, parse_timestamp};
use crate::{Domain, Source};

/// A key column of every key kind and columns of every other type, with
/// JSON whose keys JSONB orders otherwise (`zeta` before `b`, keys of
/// several lengths) and floats that `numeric` writes otherwise.
const ALL_TYPES: &str = r#"
model M {
  state { n: int = 0 }
  enum Prio { low, high }
  record Pair { zeta: int; b: timestamp; span: duration? }
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
  floats: map<string, float>
  pair: M.Pair?
  note: string?
  on: bool = false
  prio: M.Prio?
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

fn ts(second: i64, nanos: u32) -> Value {
    Value::Timestamp(Timestamp::new(second, nanos).unwrap())
}

fn dur(nanos: i128) -> Value {
    Value::Duration(Duration::from_nanos(nanos).unwrap())
}

// ---- Pure: no server ----

#[test]
fn the_ddl_has_the_types_of_section_13() {
    let d = domain(ALL_TYPES);
    let table = &d.read_side().tables[0];
    assert_eq!(
        create_table_sql(table, "every_type"),
        "CREATE TABLE \"every_type\" (\n    \"s\" TEXT COLLATE \"C\" NOT NULL,\n    \
         \"i\" BIGINT NOT NULL,\n    \"b\" BOOLEAN NOT NULL,\n    \"at\" TIMESTAMPTZ NOT NULL,\n    \
         \"p\" TEXT COLLATE \"C\" NOT NULL,\n    \"f\" DOUBLE PRECISION NOT NULL,\n    \
         \"d\" INTERVAL NOT NULL,\n    \"times\" JSONB NOT NULL,\n    \"counts\" JSONB NOT NULL,\n    \
         \"floats\" JSONB NOT NULL,\n    \"pair\" JSONB,\n    \"note\" TEXT,\n    \
         \"on\" BOOLEAN NOT NULL,\n    \"prio\" TEXT,\n    \
         PRIMARY KEY (\"s\", \"i\", \"b\", \"at\", \"p\")\n)"
    );
}

#[test]
fn timestamps_are_microseconds_since_2000_cut_toward_the_past() {
    let t = |s: &str| timestamp_micros(parse_timestamp(s).unwrap());
    assert_eq!(t("2000-01-01T00:00:00Z"), 0);
    assert_eq!(t("2000-01-01T00:00:00.000001999Z"), 1);
    assert_eq!(t("1999-12-31T23:59:59.9999999Z"), -1);
    assert_eq!(t("1970-01-01T00:00:00Z"), -946_684_800_000_000);
    for (s, n) in [
        (Timestamp::MIN.as_second(), 0),
        (-1, 999_999_999),
        (0, 0),
        (1_767_225_600, 120_000_999),
        (Timestamp::MAX.as_second(), 999_999_999),
    ] {
        let at = Timestamp::new(s, n).unwrap();
        assert_eq!(
            timestamp_of_micros(timestamp_micros(at)),
            Some(truncate_time(at)),
            "{s}.{n}"
        );
    }
    // PostgreSQL's `infinity` and years past 9999 are no timestamp.
    assert_eq!(timestamp_of_micros(i64::MAX), None);
    assert_eq!(timestamp_of_micros(i64::MIN), None);
    assert_eq!(
        timestamp_of_micros(timestamp_micros(Timestamp::MAX) + 1),
        None
    );
}

#[test]
fn durations_are_microseconds_cut_toward_zero_over_the_whole_range() {
    let d = |s: &str| parse_duration(s).unwrap();
    assert_eq!(duration_micros(d("-1.5000019s")), -1_500_001);
    assert_eq!(duration_micros(d("1.5000019s")), 1_500_001);
    assert_eq!(duration_micros(d("-0.000000999s")), 0);
    assert_eq!(duration_micros(Duration::MAX), 315_576_000_000_999_999);
    assert_eq!(duration_micros(Duration::MIN), -315_576_000_000_999_999);
    for x in [Duration::MAX, Duration::MIN, d("14d"), d("-2.000003s")] {
        let cut = crate::tables::truncate_times(Value::Duration(x));
        assert_eq!(
            duration_of_interval(duration_micros(x), 0, 0).map(Value::Duration),
            Some(cut)
        );
    }
    // Days are 24 hours (an `UPDATE` of the application may write them);
    // months have no fixed length.
    assert_eq!(duration_of_interval(5, 2, 0), Some(d("172800.000005s")));
    assert_eq!(duration_of_interval(0, 0, 1), None);
    assert_eq!(duration_of_interval(i64::MAX, 0, 0), None);
}

#[test]
fn cells_go_in_binary_format() {
    let bytes = |c: Cell, ty: PgType| {
        let mut out = BytesMut::new();
        let null = c.to_sql(&ty, &mut out).unwrap();
        (matches!(null, IsNull::Yes), out.to_vec())
    };
    assert_eq!(
        bytes(Cell::Interval(-2), PgType::INTERVAL),
        (
            false,
            vec![255, 255, 255, 255, 255, 255, 255, 254, 0, 0, 0, 0, 0, 0, 0, 0]
        )
    );
    assert_eq!(
        bytes(Cell::Json("[1]".into()), PgType::JSONB),
        (false, vec![1, b'[', b'1', b']'])
    );
    assert_eq!(bytes(Cell::Null, PgType::TEXT), (true, vec![]));
    assert_eq!(bytes(Cell::Bool(true), PgType::BOOL), (false, vec![1]));
}

#[test]
fn a_string_holding_nul_is_refused_before_it_is_sent() {
    assert!(Cell::of(&Value::str("a\0")).is_err());
    let m = Value::Map([(Str::from("k\0"), Value::Int(1))].into_iter().collect());
    assert_eq!(Cell::of(&m).unwrap_err().code(), "evaluation_error");
    assert!(Cell::of(&Value::list([Value::str("ok")])).is_ok());
}

#[test]
fn names_postgresql_would_cut_or_find_in_its_catalog_are_refused() {
    let with_table = |name: &str| {
        domain(&ALL_TYPES.replace("every_type", name))
            .read_side()
            .tables[0]
            .clone()
    };
    let ok = "t".repeat(46);
    let t = with_table(&ok);
    assert!(check_names(&t, &ok).is_ok());
    assert!(check_names(&t, &shadow_name(&ok)).is_ok());
    let long = "t".repeat(47);
    let e = check_names(&with_table(&long), &long).unwrap_err();
    assert!(e.to_string().contains("at most 46 bytes"), "{e}");
    let e = check_names(&with_table("pg_stats"), "pg_stats").unwrap_err();
    assert!(e.to_string().contains("pg_"), "{e}");
}

// ---- On the test server ----

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// A fresh, migrated schema and one connection inside a transaction.
struct Pg {
    conn: Option<Conn>,
    options: url::PostgresOptions,
}

impl Pg {
    fn new() -> Option<Pg> {
        let base = match std::env::var("EVENTFOLD_TEST_POSTGRES") {
            Ok(u) if !u.is_empty() => u,
            _ if std::env::var_os("EVENTFOLD_REQUIRE_POSTGRES").is_some() => {
                panic!("EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not")
            }
            _ => {
                eprintln!("no PostgreSQL server (EVENTFOLD_TEST_POSTGRES): skipped");
                return None;
            }
        };
        let name = format!(
            "t_pgrows_{}_{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let sep = if base.contains('?') { '&' } else { '?' };
        let options = url::parse(&format!("{base}{sep}schema={name}")).unwrap();
        let mut client = options.config.connect(postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .unwrap();
        schema::migrate(&mut client, &name, &Keys::of(&name)).unwrap();
        client.batch_execute("BEGIN").unwrap();
        Some(Pg {
            conn: Some(Conn::new(client)),
            options,
        })
    }

    fn conn(&mut self) -> &mut Conn {
        self.conn.as_mut().unwrap()
    }

    fn side(&mut self) -> PgReadSide<'_> {
        PgReadSide { c: self.conn() }
    }

    fn rows<'a>(&'a mut self, read: &'a ReadSide) -> PgRows<'a> {
        let names = read.tables.iter().map(|t| t.name.to_string()).collect();
        PgRows::with_names(self.conn(), read, names)
    }

    fn sql(&mut self, sql: &str) {
        self.conn().client.batch_execute(sql).unwrap();
    }

    /// Creates every projection's tables, as an engine does at open.
    fn create_all(&mut self, read: &ReadSide) -> Result<()> {
        let mut side = self.side();
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
}

impl Drop for Pg {
    fn drop(&mut self) {
        drop(self.conn.take());
        if let Ok(mut c) = self.options.config.connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                self.options.schema
            ));
        }
    }
}

/// The same tables in SQLite, in memory.
fn sqlite_of(read: &ReadSide) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for t in &read.tables {
        conn.execute_batch(&crate::store::sqlite::tables::create_table_sql(t, &t.name))
            .unwrap();
    }
    conn
}

/// The values each key column draws from: `(s, i, b, at, p)`. Strings
/// whose code point order is not their order in most locales (`Z` before
/// `a`, `é` after `z`, a character past the BMP after U+FFFF).
fn key_pool() -> Vec<Vec<Value>> {
    vec![
        [
            "",
            "a",
            "ab",
            "b",
            "Z",
            "z",
            "é",
            "\u{10000}",
            "\u{ffff}",
            "a b",
            "A",
        ]
        .iter()
        .map(|s| Value::str(s))
        .collect(),
        [i64::MIN, -3, 0, 2, 10, i64::MAX]
            .into_iter()
            .map(Value::Int)
            .collect(),
        vec![Value::Bool(false), Value::Bool(true)],
        vec![
            ts(Timestamp::MIN.as_second(), 0),
            ts(-1, 999_999_999),
            ts(0, 0),
            ts(946_684_799, 999_999_000),
            ts(1_767_225_600, 120_000_000),
            // Differs from the one above only past the microsecond.
            ts(1_767_225_600, 120_000_999),
            ts(Timestamp::MAX.as_second(), 999_999_999),
        ],
        vec![Value::Enum("low".into()), Value::Enum("high".into())],
    ]
}

fn keys_strategy() -> impl Strategy<Value = Vec<Vec<Value>>> {
    let pools = key_pool();
    let few = |pool: &Vec<Value>, n: usize| proptest::sample::subsequence(pool.clone(), 1..=n);
    (
        few(&pools[0], 4),
        few(&pools[1], 3),
        few(&pools[2], 2),
        few(&pools[3], 3),
        few(&pools[4], 2),
    )
        .prop_flat_map(|(s, i, b, at, p)| {
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

fn float_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::sample::select(vec![
            0.0,
            -0.0,
            -1.5,
            3.0,
            0.1,
            1e300,
            -2.5e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e16,
            1e21,
            123_456_789.125,
        ]),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

fn duration_strategy() -> impl Strategy<Value = Value> {
    let max = Duration::MAX.as_nanos();
    prop_oneof![
        proptest::sample::select(vec![
            0i128,
            1,
            999,
            1_500,
            -1_999,
            86_400_000_000_000,
            -3_000_000_001,
            max,
            -max,
        ]),
        -max..=max,
    ]
    .prop_map(dur)
}

fn time_strategy() -> impl Strategy<Value = Value> {
    (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| ts(s, n))
}

fn row_strategy(read: &ReadSide, keys: Vec<Vec<Value>>) -> impl Strategy<Value = Value> {
    let shape = read.tables[0].shape.clone();
    let pair = read
        .types
        .records
        .iter()
        .find(|r| r.shape.name.ends_with("Pair"))
        .unwrap()
        .shape
        .clone();
    let times = proptest::collection::vec(time_strategy(), 0..3);
    let counts = proptest::collection::btree_map("[a-c\u{e9}]{0,3}", any::<i64>(), 0..4);
    let floats = proptest::collection::btree_map("[a-c]{0,3}", float_strategy(), 0..4);
    let opt_pair = proptest::option::of((
        any::<i64>(),
        time_strategy(),
        proptest::option::of(duration_strategy()),
    ));
    let note = proptest::option::of("[ a\"'\\\\\u{e9}\u{1f600}\u{1}\n]{0,4}");
    let prio = proptest::option::of(proptest::sample::select(vec!["low", "high"]));
    (
        proptest::sample::select(keys),
        float_strategy(),
        duration_strategy(),
        times,
        counts,
        floats,
        opt_pair,
        note,
        any::<bool>(),
        prio,
    )
        .prop_map(
            move |(key, f, d, times, counts, floats, pair_v, note, on, prio)| {
                let mut fields = key;
                fields.push(Value::Float(f));
                fields.push(d);
                fields.push(Value::list(times));
                fields.push(Value::Map(
                    counts
                        .into_iter()
                        .map(|(k, v)| (Str::from(k.as_str()), Value::Int(v)))
                        .collect(),
                ));
                fields.push(Value::Map(
                    floats
                        .into_iter()
                        .map(|(k, v)| (Str::from(k.as_str()), Value::Float(v)))
                        .collect(),
                ));
                fields.push(match pair_v {
                    Some((a, b, span)) => Value::record(
                        pair.clone(),
                        vec![Value::Int(a), b, span.unwrap_or(Value::Null)],
                    ),
                    None => Value::Null,
                });
                fields.push(note.map_or(Value::Null, |n| Value::str(&n)));
                fields.push(Value::Bool(on));
                fields.push(prio.map_or(Value::Null, |p| Value::Enum(p.into())));
                Value::record(shape.clone(), fields)
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Value),
    Upsert(Value),
    Get(Vec<Value>),
    Has(Vec<Value>),
    Keys(Vec<Value>),
    Delete(Vec<Value>),
    Page(Vec<Value>, Option<Vec<Value>>, usize),
    /// A whole key and the (non-key) columns to set.
    Update(Vec<Value>, Vec<(u32, Value)>),
}

fn op_strategy(read: &ReadSide, keys: Vec<Vec<Value>>) -> impl Strategy<Value = Op> {
    let key = || proptest::sample::select(keys.clone());
    let prefix = || {
        (key(), 0usize..=5).prop_map(|(mut k, n)| {
            k.truncate(n);
            k
        })
    };
    prop_oneof![
        3 => row_strategy(read, keys.clone()).prop_map(Op::Insert),
        2 => row_strategy(read, keys.clone()).prop_map(Op::Upsert),
        1 => key().prop_map(Op::Get),
        1 => key().prop_map(Op::Has),
        1 => prefix().prop_map(Op::Keys),
        1 => prefix().prop_map(Op::Delete),
        1 => (prefix(), proptest::option::of(key()), 0usize..4)
            .prop_map(|(p, a, n)| Op::Page(p, a, n)),
        2 => (key(), row_strategy(read, keys.clone()), any::<u16>()).prop_map(|(k, row, mask)| {
            let Value::Record(r) = row else { unreachable!() };
            // The non-key columns are 5 to 13; the top bit gives them in
            // the other order, as a handler may name them.
            let mut set: Vec<(u32, Value)> = (5u32..14)
                .filter(|c| mask & (1 << (c - 5)) != 0)
                .map(|c| (c, r.fields[c as usize].clone()))
                .collect();
            if mask & 0x8000 != 0 {
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
        Op::Page(p, after, n) => {
            format!(
                "{:?}",
                texts(&rows.page(table, p, after.as_deref(), *n).unwrap())
            )
        }
        Op::Update(k, set) => format!("{}", rows.update(table, k, set).unwrap()),
    }
}

fn all_types_ops() -> impl Strategy<Value = Vec<Op>> {
    keys_strategy().prop_flat_map(|keys| {
        let d = domain(ALL_TYPES);
        proptest::collection::vec(op_strategy(d.read_side(), keys), 1..50)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every answer and, after every step, every row (in key order, values
    /// equal and written alike) are those of `MemoryRows` and of
    /// `SqliteRows`.
    #[test]
    fn postgres_rows_answer_as_memory_and_sqlite_rows(ops in all_types_ops()) {
        let Some(mut pg) = Pg::new() else { return Ok(()) };
        let d = domain(ALL_TYPES);
        let read = d.read_side();
        let table = &read.tables[0];
        pg.create_all(read).unwrap();
        let lite = sqlite_of(read);
        let mut memory = MemoryRows::default();
        let mut sqlite = SqliteRows::new(&lite, read);
        let mut rows = pg.rows(read);
        for (n, op) in ops.iter().enumerate() {
            let want = apply(&mut memory, table, op);
            prop_assert_eq!(&apply(&mut sqlite, table, op), &want, "SQLite, step {}: {:?}", n, op);
            prop_assert_eq!(&apply(&mut rows, table, op), &want, "step {}: {:?}", n, op);
            let (m, s, p) = (
                memory.scan(table).unwrap(),
                sqlite.scan(table).unwrap(),
                rows.scan(table).unwrap(),
            );
            prop_assert_eq!(&s, &m, "SQLite rows after step {}", n);
            prop_assert_eq!(&p, &m, "rows after step {}", n);
            prop_assert_eq!(texts(&p), texts(&s));
        }
    }
}

/// A row of `every_type` with `key` and plain values in the other columns.
fn plain_row(read: &ReadSide, key: Vec<Value>) -> Value {
    let mut fields = key;
    fields.extend([
        Value::Float(1.0),
        dur(1_000_000_000),
        Value::list([]),
        Value::Map(Default::default()),
        Value::Map(Default::default()),
        Value::Null,
        Value::Null,
        Value::Bool(true),
        Value::Null,
    ]);
    Value::record(read.tables[0].shape.clone(), fields)
}

fn key(s: &str, i: i64) -> Vec<Value> {
    vec![
        Value::str(s),
        Value::Int(i),
        Value::Bool(false),
        ts(0, 0),
        Value::Enum("low".into()),
    ]
}

#[test]
fn the_table_is_plain_sql_with_the_declared_types() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    let info: Vec<(String, String, bool, Option<String>)> = pg
        .conn()
        .client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable = 'NO', \
             collation_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'every_type' \
             ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let c = Some("C".to_string());
    let want = [
        ("s", "text", true, c.clone()),
        ("i", "bigint", true, None),
        ("b", "boolean", true, None),
        ("at", "timestamp with time zone", true, None),
        ("p", "text", true, c),
        ("f", "double precision", true, None),
        ("d", "interval", true, None),
        ("times", "jsonb", true, None),
        ("counts", "jsonb", true, None),
        ("floats", "jsonb", true, None),
        ("pair", "jsonb", false, None),
        ("note", "text", false, None),
        ("on", "boolean", true, None),
        ("prio", "text", false, None),
    ];
    let got: Vec<(&str, &str, bool, Option<String>)> = info
        .iter()
        .map(|(n, t, nn, col)| (n.as_str(), t.as_str(), *nn, col.clone()))
        .collect();
    assert_eq!(got, want);
    let pk: Vec<String> = pg
        .conn()
        .client
        .query(
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = 'every_type'::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey, a.attnum)",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(pk, ["s", "i", "b", "at", "p"]);

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
            Value::Duration(parse_duration("-1.5000019s").unwrap()),
            Value::list([ts(0, 1_999)]),
            Value::Map(
                [("bb", 2), ("a", 1)]
                    .into_iter()
                    .map(|(k, v)| (Str::from(k), Value::Int(v)))
                    .collect(),
            ),
            Value::Map(
                [(Str::from("x"), Value::Float(1e300))]
                    .into_iter()
                    .collect(),
            ),
            Value::record(pair, vec![Value::Int(1), ts(0, 0), Value::Null]),
            Value::Null,
            Value::Bool(false),
            Value::Enum("low".into()),
        ],
    );
    assert!(pg.rows(read).insert(table, row.clone()).unwrap());
    // What psql or an ORM sees, whatever the session's settings.
    pg.sql("SET LOCAL TimeZone = 'Asia/Kolkata'; SET LOCAL IntervalStyle = 'iso_8601'");
    let plain = pg
        .conn()
        .client
        .query_one(
            "SELECT s, i, b, (at AT TIME ZONE 'UTC')::text, p, f, d::text, times::text, \
             counts::text, pair ->> 'zeta', note IS NULL, \"on\", prio, \
             d = interval '-1.500001 seconds', floats ->> 'x' FROM every_type",
            &[],
        )
        .unwrap();
    assert_eq!(plain.get::<_, String>(0), "x");
    assert_eq!(plain.get::<_, i64>(1), 7);
    assert!(plain.get::<_, bool>(2));
    assert_eq!(plain.get::<_, String>(3), "2026-01-02 03:04:05.12");
    assert_eq!(plain.get::<_, String>(4), "high");
    assert_eq!(plain.get::<_, f64>(5), 2.0);
    assert_eq!(plain.get::<_, String>(6), "PT-1.500001S");
    assert_eq!(
        plain.get::<_, String>(7),
        r#"["1970-01-01T00:00:00.000001Z"]"#
    );
    assert_eq!(plain.get::<_, String>(8), r#"{"a": 1, "bb": 2}"#);
    assert_eq!(plain.get::<_, String>(9), "1");
    assert!(plain.get::<_, bool>(10));
    assert!(!plain.get::<_, bool>(11));
    assert_eq!(plain.get::<_, String>(12), "low");
    assert!(plain.get::<_, bool>(13));
    assert_eq!(plain.get::<_, String>(14).len(), 301);
    // And it reads back as written, under any session settings.
    let back = pg.rows(read).scan(table).unwrap();
    assert_eq!(back, vec![stored_row(row)]);
    assert_eq!(
        back[0].to_json_string(),
        "{\"s\":\"x\",\"i\":7,\"b\":true,\"at\":\"2026-01-02T03:04:05.12Z\",\"p\":\"high\",\
         \"f\":2.0,\"d\":\"-1.500001s\",\"times\":[\"1970-01-01T00:00:00.000001Z\"],\
         \"counts\":{\"a\":1,\"bb\":2},\"floats\":{\"x\":1e+300},\
         \"pair\":{\"zeta\":1,\"b\":\"1970-01-01T00:00:00Z\",\"span\":null},\"note\":null,\
         \"on\":false,\"prio\":\"low\"}"
    );
    // NOT NULL holds for the application's code too (in a savepoint: the
    // failed statement would end the transaction).
    pg.sql("SAVEPOINT s");
    let e = pg
        .conn()
        .client
        .batch_execute(
            "INSERT INTO every_type (s, i, b, at, p, f, d, times, counts, floats) \
             VALUES ('y', 1, false, now(), 'low', NULL, '0s', '[]', '{}', '{}')",
        )
        .unwrap_err();
    let e = e.as_db_error().unwrap().message().to_string();
    assert!(e.contains("null value"), "{e}");
    pg.sql("ROLLBACK TO s");
}

#[test]
fn the_longest_durations_and_the_ends_of_time_keep_every_microsecond() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    let lite = sqlite_of(read);
    let mut sqlite = SqliteRows::new(&lite, read);
    let mut rows = pg.rows(read);
    let max = Duration::MAX.as_nanos();
    for (n, (nanos, at)) in [
        (max, ts(Timestamp::MAX.as_second(), 999_999_999)),
        (-max, ts(Timestamp::MIN.as_second(), 0)),
        (max - 1_000, ts(-1, 1_000)),
        (-1, ts(946_684_799, 999_999_999)),
        (400 * 365 * 86_400 * 1_000_000_000 + 123_456_789, ts(0, 999)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut key = key("k", n as i64);
        key[3] = at;
        let Value::Record(mut r) = plain_row(read, key) else {
            unreachable!()
        };
        Arc::make_mut(&mut r).fields[6] = dur(nanos);
        let row = Value::Record(r);
        assert!(sqlite.insert(table, row.clone()).unwrap());
        assert!(rows.insert(table, row).unwrap());
    }
    let (s, p) = (sqlite.scan(table).unwrap(), rows.scan(table).unwrap());
    assert_eq!(p, s);
    assert_eq!(texts(&p), texts(&s));
    assert_eq!(
        p[1].as_record().unwrap().get("d").unwrap().to_json_string(),
        "\"-315576000000.999999s\""
    );
}

#[test]
fn an_insert_of_a_taken_key_is_false_and_the_transaction_goes_on() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    let mut rows = pg.rows(read);
    assert!(rows.insert(table, plain_row(read, key("a", 1))).unwrap());
    assert!(!rows.insert(table, plain_row(read, key("a", 1))).unwrap());
    let e = rows
        .insert(table, plain_row(read, key("nul\0", 1)))
        .unwrap_err();
    assert_eq!(e.code(), "evaluation_error");
    // Nothing failed on the server: the transaction still works.
    assert!(rows.insert(table, plain_row(read, key("b", 1))).unwrap());
    assert_eq!(rows.scan(table).unwrap().len(), 2);
}

#[test]
fn rows_are_in_code_point_order_whatever_the_locale() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    let mut rows = pg.rows(read);
    let words = [
        "b",
        "a",
        "B",
        "A",
        "é",
        "e",
        "\u{10000}",
        "\u{ffff}",
        "a b",
        "ab",
        "",
    ];
    for w in words {
        assert!(rows.insert(table, plain_row(read, key(w, 0))).unwrap());
    }
    let got: Vec<String> = rows
        .scan(table)
        .unwrap()
        .iter()
        .map(|r| {
            r.as_record().unwrap().fields[0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut want: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    // A page after a key continues in that order.
    let page = rows.page(table, &[], Some(&key("B", 0)), 2).unwrap();
    let first = |r: &Value| {
        r.as_record().unwrap().fields[0]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(page.iter().map(first).collect::<Vec<_>>(), ["a", "a b"]);
}

fn shared(relative: &str) -> String {
    let path = crate::scenario::shared_path(relative).unwrap_or_else(|e| panic!("{e}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Folding the board projection scenarios' events onto PostgreSQL tables
/// gives what folding them onto `MemoryRows` gives: the same tables, or
/// the same error.
#[test]
fn the_board_projections_fold_onto_sql_tables_as_in_memory() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(&shared("scenarios/v1/board.model"));
    let cases: serde_json::Value =
        serde_json::from_str(&shared("scenarios/v1/board-projection.scenarios.json")).unwrap();
    let mut compared = 0;
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let projection = case["projection"].as_str().unwrap();
        let given = &case["given"];
        let mut memory = MemoryRows::default();
        let want = d.project_onto(projection, given, &mut memory);
        // Fresh tables for each case, in a savepoint undone after it.
        pg.sql("SAVEPOINT one_case");
        pg.create_all(d.read_side()).unwrap();
        let got = d.project_onto(projection, given, &mut pg.rows(d.read_side()));
        pg.sql("ROLLBACK TO one_case");
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                assert_eq!(g, w, "{name}");
                compared += 1;
            }
            (Err(w), Err(g)) => assert_eq!(
                (g.code(), g.to_string()),
                (w.code(), w.to_string()),
                "{name}"
            ),
            _ => panic!("{name}: memory gave {want:?}, PostgreSQL gave {got:?}"),
        }
    }
    assert!(compared > 20, "only {compared} cases folded");
}

#[test]
fn tables_are_recorded_and_a_table_of_the_application_is_never_taken() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(&shared("scenarios/v1/board.model"));
    let read = d.read_side();
    // Names are exact on PostgreSQL: the application's "Boards" is another
    // table than eventfold's boards.
    pg.sql("CREATE TABLE \"Boards\" (x INTEGER); INSERT INTO \"Boards\" VALUES (1)");
    pg.create_all(read).unwrap();
    let owned: Vec<(String, String)> = pg
        .conn()
        .client
        .query(
            "SELECT sql_name, projection FROM eventfold_projection_tables ORDER BY sql_name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for t in &read.tables {
        assert!(
            owned
                .iter()
                .any(|(n, p)| **n == *t.name && Some(p.as_str()) == t.writer.as_deref()),
            "{} in {owned:?}",
            t.name
        );
    }
    // Dropping or creating again never touches the application's table.
    let all: Vec<String> = read.tables.iter().map(|t| t.name.to_string()).collect();
    let mut with_foreign = all.clone();
    with_foreign.push("Boards".into());
    pg.side().drop_tables(&with_foreign).unwrap();
    pg.create_all(read).unwrap();
    pg.side().drop_tables(&all).unwrap();

    // A table, a view or an index of the application under a table's name
    // is refused, and left as it was.
    for (make, undo) in [
        ("CREATE TABLE boards (x INTEGER)", "DROP TABLE boards"),
        ("CREATE VIEW boards AS SELECT 1 AS x", "DROP VIEW boards"),
        ("CREATE INDEX boards ON \"Boards\" (x)", "DROP INDEX boards"),
    ] {
        pg.sql(make);
        let e = pg.create_all(read).unwrap_err();
        assert_eq!(e.code(), "store_error", "{make}");
        assert!(e.to_string().contains("not eventfold's"), "{make}: {e}");
        pg.sql(undo);
        pg.create_all(read).unwrap();
        pg.side().drop_tables(&all).unwrap();
    }
    let n: i64 = pg
        .conn()
        .client
        .query_one("SELECT count(*) FROM \"Boards\"", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_rebuild_swaps_shadow_tables_in_under_their_own_names() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    let p = &read.projections[0];
    pg.create_all(read).unwrap();
    assert!(pg
        .rows(read)
        .insert(table, plain_row(read, key("live", 1)))
        .unwrap());
    let shadow = vec![shadow_name(&table.name)];
    let live = vec![table.name.to_string()];
    for round in 0..3 {
        pg.side().create_tables(read, p, &shadow, "new").unwrap();
        let mut rows = PgRows::with_names(pg.conn(), read, shadow.clone());
        assert!(rows
            .insert(table, plain_row(read, key("shadow", round)))
            .unwrap());
        pg.side().rename_tables(&shadow, &live, "new").unwrap();
        let got = pg.rows(read).scan(table).unwrap();
        assert_eq!(got, vec![stored_row(plain_row(read, key("shadow", round)))]);
        // It looks as if made under its own name.
        let names: Vec<String> = pg
            .conn()
            .client
            .query(
                "SELECT relname::text FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace \
                 WHERE n.nspname = current_schema() AND relname LIKE '%every_type%' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(names, ["every_type", "every_type_pkey"], "round {round}");
        let recorded: Vec<(String, String)> = pg
            .conn()
            .client
            .query(
                "SELECT sql_name, fingerprint FROM eventfold_projection_tables",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(recorded, [("every_type".to_string(), "new".to_string())]);
    }
}

#[test]
fn a_view_of_the_application_over_a_table_stops_its_drop_with_a_clear_error() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    pg.create_all(read).unwrap();
    pg.sql("CREATE VIEW mine AS SELECT s FROM every_type");
    let e = pg.side().drop_tables(&["every_type".into()]).unwrap_err();
    assert_eq!(e.code(), "store_error");
    assert!(
        e.to_string()
            .contains("never drops what the application made"),
        "{e}"
    );
}

#[test]
fn rows_written_in_a_transaction_go_with_it() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    pg.sql("COMMIT; BEGIN");
    assert!(pg
        .rows(read)
        .insert(table, plain_row(read, key("a", 0)))
        .unwrap());
    pg.sql("ROLLBACK; BEGIN");
    assert!(pg.rows(read).scan(table).unwrap().is_empty());
    assert!(pg
        .rows(read)
        .insert(table, plain_row(read, key("b", 0)))
        .unwrap());
    pg.sql("COMMIT; BEGIN");
    assert_eq!(
        pg.rows(read).scan(table).unwrap(),
        vec![stored_row(plain_row(read, key("b", 0)))]
    );
}

#[test]
fn a_cell_changed_outside_the_engine_is_reported_not_misread() {
    let Some(mut pg) = Pg::new() else { return };
    let d = domain(ALL_TYPES);
    let read = d.read_side();
    let table = &read.tables[0];
    pg.create_all(read).unwrap();
    assert!(pg
        .rows(read)
        .insert(table, plain_row(read, key("a", 0)))
        .unwrap());
    for (set, what) in [
        ("UPDATE every_type SET p = 'medium'", "column p"),
        ("UPDATE every_type SET times = '[1]'", "column times"),
        ("UPDATE every_type SET d = interval '1 month'", "column d"),
        ("UPDATE every_type SET at = 'infinity'", "column at"),
        ("UPDATE every_type SET f = 'NaN'", "column f"),
        (
            "ALTER TABLE every_type ALTER COLUMN \"on\" TYPE integer USING 1",
            "column on",
        ),
    ] {
        pg.sql("SAVEPOINT s");
        pg.sql(set);
        let e = pg.rows(read).scan(table).unwrap_err();
        assert_eq!(e.code(), "store_error", "{set}");
        assert!(e.to_string().contains(what), "{set}: {e}");
        assert!(e.to_string().contains("rebuild"), "{set}: {e}");
        pg.sql("ROLLBACK TO s");
    }
    // Days are 24 hours: an application's `+ interval '1 day'` reads.
    pg.sql("UPDATE every_type SET d = d + interval '1 day'");
    let row = pg.rows(read).scan(table).unwrap().pop().unwrap();
    assert_eq!(
        row.as_record().unwrap().get("d"),
        Some(&dur(86_401_000_000_000))
    );
}

#[test]
fn the_bookkeeping_row_round_trips() {
    let Some(mut pg) = Pg::new() else { return };
    let mut side = pg.side();
    assert_eq!(side.projection("p").unwrap(), None);
    let mut row = crate::store::readside::ProjectionRow {
        name: "p".into(),
        mode: "async".into(),
        fingerprint: "f1".into(),
        position: 7,
        error: None,
        error_position: None,
        shadow_fingerprint: Some("f2".into()),
        shadow_position: 3,
        lease_owner: Some("host:1:a".into()),
        lease_until: Some(1_767_225_600_123),
    };
    side.put_projection(&row).unwrap();
    assert_eq!(side.projection("p").unwrap(), Some(row.clone()));
    row.error = Some(r#"{"code":"evaluation_error","message":"x"}"#.into());
    row.error_position = Some(8);
    row.lease_owner = None;
    row.lease_until = None;
    side.put_projection(&row).unwrap();
    assert_eq!(side.projection("p").unwrap(), Some(row));
    assert_eq!(side.count_after(0).unwrap(), 0);
    let status: String = pg
        .conn()
        .client
        .query_one("SELECT status FROM eventfold_projections", &[])
        .unwrap()
        .get(0);
    assert_eq!(status, "stopped");
}

#[test]
fn identifiers_are_quoted() {
    assert_eq!(quote("order"), "\"order\"");
    assert_eq!(quote("a\"b"), "\"a\"\"b\"");
}
