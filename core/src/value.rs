//! The runtime value of the model language.
//!
//! Maps and lists are persistent (`imbl`): a clone is a reference count, and a
//! change to a uniquely held collection happens in place, so accepting an
//! event costs the same whether the state holds 100 entries or 100,000.
//! Output is canonical JSON (MODEL-LANGUAGE.md §11); input is decoded against
//! a declared type in `types.rs`.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

mod duration;
pub use duration::{format_duration, parse_duration, Duration};

/// Shared, immutable text: map keys, strings and names clone for free.
pub type Str = Arc<str>;
pub type List = imbl::Vector<Value>;
pub type Map = imbl::OrdMap<Str, Value>;
/// A record's fields: up to four live inside the record's one allocation.
pub type Fields = smallvec::SmallVec<[Value; 4]>;

#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    /// Always finite: NaN and infinities are errors where they would arise.
    Float(f64),
    String(Str),
    Timestamp(Timestamp),
    Duration(Duration),
    List(Arc<List>),
    /// Keys iterate in code point order (UTF-8 byte order is the same).
    Map(Map),
    Record(Arc<Record>),
    /// An enum member, by name (types are checked statically).
    Enum(Str),
}

/// The names of a record's fields, shared by every value of the record type.
/// The state of a model is a record too.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    pub name: Str,
    pub fields: Vec<Str>,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub shape: Arc<Shape>,
    /// In declared order, one per `shape.fields`.
    pub fields: Fields,
}

impl Record {
    pub fn get(&self, field: &str) -> Option<&Value> {
        let index = self.shape.fields.iter().position(|f| &**f == field)?;
        self.fields.get(index)
    }
}

impl Value {
    pub fn str(text: &str) -> Value {
        Value::String(Str::from(text))
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(Arc::new(items.into_iter().collect()))
    }

    pub fn record(shape: Arc<Shape>, fields: impl Into<Fields>) -> Value {
        let fields = fields.into();
        debug_assert_eq!(shape.fields.len(), fields.len());
        Value::Record(Arc::new(Record { shape, fields }))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Enum(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Canonical JSON text (§11).
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).expect("a value always serialises")
    }

    /// [`Value::to_json_string`] into a buffer of `capacity` bytes to
    /// begin with. A text of megabytes grown by doubling costs more than
    /// writing it: each larger buffer is fresh memory, which the kernel
    /// zeroes, and the text so far is copied into it.
    pub fn to_json_string_with_capacity(&self, capacity: usize) -> String {
        let mut out = Vec::with_capacity(capacity);
        serde_json::to_writer(&mut out, self).expect("a value always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// The value as a `serde_json::Value` (records lose their declared field
    /// order there; use [`Value::to_json_string`] for canonical text).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a value always serialises")
    }

    /// The text `string(x)` gives and `${x}` interpolates. `None` for lists,
    /// maps and records, which the checker never lets through.
    pub fn format(&self) -> Option<String> {
        let mut out = String::new();
        self.format_into(&mut out).then_some(out)
    }

    pub(crate) fn format_into(&self, out: &mut String) -> bool {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::String(s) | Value::Enum(s) => out.push_str(s),
            Value::Timestamp(t) => format_timestamp_into(*t, out),
            Value::Duration(d) => duration::format_duration_into(*d, out),
            Value::List(_) | Value::Map(_) | Value::Record(_) => return false,
        }
        true
    }
}

impl PartialEq for Value {
    /// Deep equality of two values of one type (the checker guarantees the
    /// types); an int never equals a float.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) | (Value::Enum(a), Value::Enum(b)) => a == b,
            (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::List(a), Value::List(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Map(a), Value::Map(b)) => a.ptr_eq(b) || a == b,
            (Value::Record(a), Value::Record(b)) => {
                Arc::ptr_eq(a, b) || (a.shape.name == b.shape.name && a.fields == b.fields)
            }
            _ => false,
        }
    }
}

/// An instant, to the nanosecond, from 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59.999999999Z (§4, §6): whole seconds since the Unix
/// epoch and the nanoseconds after them.
///
/// Not `jiff::Timestamp`: jiff stops its range a day short of the end of
/// 9999 (so that every offset still gives a civil time), which would refuse
/// the last valid timestamps. jiff still does the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    second: i64,
    /// Always below 1,000,000,000, also before 1970, so that the derived
    /// order is the order of time.
    nanosecond: u32,
}

impl Timestamp {
    /// 0001-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp {
        second: -62_135_596_800,
        nanosecond: 0,
    };
    /// 9999-12-31T23:59:59.999999999Z.
    pub const MAX: Timestamp = Timestamp {
        second: 253_402_300_799,
        nanosecond: 999_999_999,
    };

    /// `None` outside the range or for a nanosecond past 999,999,999.
    pub fn new(second: i64, nanosecond: u32) -> Option<Timestamp> {
        let t = Timestamp { second, nanosecond };
        (nanosecond < 1_000_000_000 && (Self::MIN..=Self::MAX).contains(&t)).then_some(t)
    }

    /// `None` outside the range.
    pub fn from_unix_nanos(nanos: i128) -> Option<Timestamp> {
        let second = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
        Timestamp::new(second, nanos.rem_euclid(1_000_000_000) as u32)
    }

    /// The engine's clock.
    pub fn now() -> Timestamp {
        let t = jiff::Timestamp::now();
        let nanos = t.as_nanosecond();
        Timestamp::from_unix_nanos(nanos).expect("the clock reads a year between 1 and 9999")
    }

    /// Whole seconds since 1970-01-01T00:00:00Z, rounded down (as CEL's
    /// `int(timestamp)`, which is protobuf's `seconds`).
    pub fn as_second(self) -> i64 {
        self.second
    }

    pub fn subsec_nanosecond(self) -> u32 {
        self.nanosecond
    }

    /// The civil date and time in UTC.
    pub fn to_utc(self) -> jiff::civil::DateTime {
        // In range: a `DateTime` spans years -9999 to 9999.
        let since = jiff::SignedDuration::new(self.second, self.nanosecond as i32);
        jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0)
            .checked_add(since)
            .expect("a timestamp is a civil time of years 1 to 9999")
    }
}

/// Shortest text that reads back as the same float, with `.0` on integral
/// values: the JSON form of §4. It is serde_json's own text, so that
/// `string(x)` and `${x}` write exactly what the JSON output holds (`1e+300`;
/// `ryu`, used before, wrote `1e300` there).
pub fn format_float(f: f64) -> String {
    serde_json::to_string(&f).expect("a finite float always serialises")
}

/// RFC 3339 in UTC with `Z`, only the fraction digits needed, no `.` when
/// the fraction is zero: `2026-01-02T03:04:05.12Z`.
pub fn format_timestamp(t: Timestamp) -> String {
    let mut out = String::with_capacity(30);
    format_timestamp_into(t, &mut out);
    out
}

fn format_timestamp_into(t: Timestamp, out: &mut String) {
    let dt = t.to_utc();
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let nanos = dt.subsec_nanosecond();
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
}

/// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction
/// of 1 to 9 digits, then `Z` or `±hh:mm`. Years run from 0001 to 9999.
///
/// The shape is checked here because jiff alone also reads ISO 8601 forms
/// that RFC 3339 does not allow (`2026-11-28 10:30Z`).
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let bad = || {
        format!(
            "`{}` is not an RFC 3339 timestamp such as 2026-11-28T09:30:00Z",
            text.chars().take(64).collect::<String>()
        )
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let shape_ok = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape_ok {
        return Err(bad());
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return Err(bad());
        }
    }
    let offset_ok = match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6)
        }
        _ => false,
    };
    if !offset_ok || &b[0..4] == b"0000" {
        return Err(bad());
    }
    // Every field is ASCII digits now: read them, then check the calendar
    // (the day of the month, leap years) below.
    let num = |range: std::ops::Range<usize>| -> i64 {
        b[range].iter().fold(0, |n, d| n * 10 + i64::from(d - b'0'))
    };
    let nanosecond = if b[19] == b'.' {
        let digits = &text[20..i];
        num(20..i) * 10i64.pow(9 - digits.len() as u32)
    } else {
        0
    };
    // A leap second reads as the second before it, as jiff (used before)
    // and most systems do.
    let second = num(17..19).min(59);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute) = (num(11..13), num(14..16));
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
    {
        // jiff says what is out of range, in its words.
        let e = jiff::civil::DateTime::new(
            year as i16,
            month as i8,
            day as i8,
            hour as i8,
            minute as i8,
            second as i8,
            nanosecond as i32,
        )
        .err()
        .map_or_else(String::new, |e| format!(": {e}"));
        return Err(format!("{}{e}", bad()));
    }
    let offset = match b[i] {
        b'+' | b'-' => {
            let (hours, minutes) = (num(i + 1..i + 3), num(i + 4..i + 6));
            if hours > 23 || minutes > 59 {
                return Err(format!("{}: the offset must be at most 23:59", bad()));
            }
            let sign = if b[i] == b'-' { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
        _ => 0,
    };
    let local_seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Timestamp::new(local_seconds - offset, nanosecond as u32)
        .ok_or_else(|| format!("{}: the year must be from 0001 to 9999 in UTC", bad()))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`): reading a stored event's
/// `recorded_at` is on every fold's path, and jiff's civil arithmetic
/// cost more than the rest of the parse.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(t) | Value::Enum(t) => s.serialize_str(t),
            Value::Timestamp(t) => s.serialize_str(&format_timestamp(*t)),
            Value::Duration(d) => s.serialize_str(&format_duration(*d)),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(map) => {
                let mut out = s.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    out.serialize_entry(&**k, v)?;
                }
                out.end()
            }
            Value::Record(r) => {
                let mut out = s.serialize_map(Some(r.fields.len()))?;
                for (k, v) in r.shape.fields.iter().zip(&r.fields) {
                    out.serialize_entry(&**k, v)?;
                }
                out.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_written_into_a_sized_buffer_is_the_same_text() {
        let shape = Arc::new(Shape {
            name: "T".into(),
            fields: vec!["id".into(), "done".into()],
        });
        let todo =
            |id: &str| Value::record(shape.clone(), vec![Value::str(id), Value::Bool(false)]);
        let map: Map = (0..50)
            .map(|i| (Str::from(format!("t\"{i}é")), todo("x\n")))
            .collect();
        for v in [
            Value::Map(map),
            Value::list([Value::Float(1.5), Value::Null]),
            Value::str(""),
        ] {
            let text = v.to_json_string();
            for capacity in [0, 1, text.len() - 1, text.len(), text.len() * 2] {
                assert_eq!(v.to_json_string_with_capacity(capacity), text);
            }
        }
    }

    #[test]
    fn floats_are_shortest_round_trip_with_a_point() {
        assert_eq!(format_float(3.0), "3.0");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float(-0.0), "-0.0");
        for f in [1e300, 2.5e-7, -1e21, 1e16, 123456789.0, 5e-324, f64::MAX] {
            let v = Value::Float(f);
            assert_eq!(format_float(f), v.to_json_string(), "{f:?}");
            assert_eq!(format_float(f).parse::<f64>().unwrap(), f);
        }
    }

    #[test]
    fn float_equality_is_ieee_also_deep_inside_values() {
        let (pz, nz) = (Value::Float(0.0), Value::Float(-0.0));
        assert_eq!(pz, nz);
        assert_eq!(Value::list([nz.clone()]), Value::list([pz.clone()]));
        let map = |v: &Value| {
            let mut m = Map::new();
            m.insert("a".into(), v.clone());
            Value::Map(m)
        };
        assert_eq!(map(&pz), map(&nz));
        let shape = Arc::new(Shape {
            name: "R".into(),
            fields: vec!["x".into()],
        });
        let rec = |v: &Value| Value::record(shape.clone(), smallvec::smallvec![v.clone()]);
        assert_eq!(rec(&pz), rec(&nz));
        assert_ne!(Value::Float(1.0), Value::Float(-1.0));
        // No value holds NaN, but equality must not claim NaN == NaN.
        assert_ne!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        // Equal, yet each keeps its sign in JSON.
        assert_eq!(nz.to_json_string(), "-0.0");
    }

    #[test]
    fn timestamps_are_utc_with_only_the_digits_needed() {
        let t = parse_timestamp("2026-11-28T10:30:00.500+01:00").unwrap();
        assert_eq!(format_timestamp(t), "2026-11-28T09:30:00.5Z");
        let t = parse_timestamp("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-02T03:04:05Z");
        let t = parse_timestamp("2026-01-02T03:04:05.000000001Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-02T03:04:05.000000001Z");
    }

    #[test]
    fn timestamps_cover_years_1_to_9999_to_the_nanosecond() {
        let last = parse_timestamp("9999-12-31T23:59:59.999999999Z").unwrap();
        assert_eq!(last, Timestamp::MAX);
        assert_eq!(format_timestamp(last), "9999-12-31T23:59:59.999999999Z");
        let first = parse_timestamp("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(first, Timestamp::MIN);
        assert_eq!(format_timestamp(first), "0001-01-01T00:00:00Z");
        assert!(first < last);
        // The same instants through an offset.
        assert_eq!(
            parse_timestamp("9999-12-31T20:29:59.999999999-03:30").unwrap(),
            last
        );
        assert_eq!(parse_timestamp("0001-01-01T05:00:00+05:00").unwrap(), first);
        // Before 1970 the nanoseconds still count forward from a whole second.
        let t = parse_timestamp("1969-12-31T23:59:59.25Z").unwrap();
        assert_eq!((t.as_second(), t.subsec_nanosecond()), (-1, 250_000_000));
        assert_eq!(format_timestamp(t), "1969-12-31T23:59:59.25Z");
        assert!(t < parse_timestamp("1970-01-01T00:00:00Z").unwrap());
        assert_eq!(
            parse_timestamp("2016-12-31T23:59:60Z").unwrap(),
            parse_timestamp("2016-12-31T23:59:59Z").unwrap()
        );
        assert_eq!(Timestamp::new(Timestamp::MAX.as_second() + 1, 0), None);
        assert_eq!(Timestamp::new(0, 1_000_000_000), None);
        assert_eq!(
            Timestamp::from_unix_nanos(-1),
            Timestamp::new(-1, 999_999_999)
        );
        let now = Timestamp::now();
        assert!(Timestamp::MIN < now && now < Timestamp::MAX);
    }

    /// The instant of a civil time at an offset as jiff computes it: what
    /// `parse_timestamp` used before its own day count.
    fn by_jiff(f: (i16, i8, i8, i8, i8, i8, i32), offset: i64) -> Option<Timestamp> {
        let civil = jiff::civil::DateTime::new(f.0, f.1, f.2, f.3, f.4, f.5, f.6).ok()?;
        let epoch = jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
        let local = civil.duration_since(epoch).as_nanos();
        Timestamp::from_unix_nanos(local - i128::from(offset) * 1_000_000_000)
    }

    proptest::proptest! {
        /// Any civil time and offset reads as the instant jiff gives, and
        /// a day past the month's end is refused as jiff refuses it.
        #[test]
        fn timestamps_read_as_jiff_counts_them(
            year in 1i16..=9999,
            month in 1i8..=12,
            day in 1i8..=31,
            hour in 0i8..=23,
            minute in 0i8..=59,
            second in 0i8..=59,
            nanos in proptest::prop_oneof![0i32..1000, 0i32..1_000_000_000],
            offset_minutes in -(23 * 60 + 59)..=(23i64 * 60 + 59),
        ) {
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let (h, m) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
            let text = format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}{sign}{h:02}:{m:02}"
            );
            let want = by_jiff((year, month, day, hour, minute, second, nanos), offset_minutes * 60);
            let got = parse_timestamp(&text).ok();
            proptest::prop_assert_eq!(got, want, "{}", text);
            if let Some(t) = got {
                proptest::prop_assert_eq!(parse_timestamp(&format_timestamp(t)).ok(), Some(t));
            }
        }
    }

    #[test]
    fn timestamps_past_the_ends_are_refused() {
        for bad in [
            "9999-12-31T23:59:59.999999999-00:01",
            "0001-01-01T00:00:00+00:01",
            "0001-01-01T00:59:59.999999999+01:00",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+01:60",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn timestamps_outside_rfc3339_are_refused() {
        for bad in [
            "2026-11-28 10:30Z",
            "2026-11-28T10:30Z",
            "2026-11-28T10:30:00",
            "2026-11-28T10:30:00.Z",
            "2026-11-28T10:30:00.1234567890Z",
            "0000-01-01T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-28T10:30:00+0100",
            "",
            "ééééééééééééééééééééééé",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn maps_serialise_in_code_point_order_records_in_declared_order() {
        let shape = Arc::new(Shape {
            name: "T".into(),
            fields: vec!["z".into(), "a".into()],
        });
        let mut map = Map::new();
        map.insert("b".into(), Value::Int(2));
        map.insert("a".into(), Value::Int(1));
        map.insert("é".into(), Value::Int(3));
        map.insert("Z".into(), Value::Int(0));
        let v = Value::record(
            shape,
            smallvec::smallvec![Value::Map(map), Value::Float(2.0)],
        );
        assert_eq!(
            v.to_json_string(),
            r#"{"z":{"Z":0,"a":1,"b":2,"é":3},"a":2.0}"#
        );
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        let v = Value::str("a\"b\\c\u{1}é😀/");
        assert_eq!(v.to_json_string(), r#""a\"b\\c\u0001é😀/""#);
    }
}
