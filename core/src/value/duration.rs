//! The `duration` value (MODEL-LANGUAGE.md §14): a signed span of time to
//! the nanosecond, its text form, and the strings `duration()` reads.
//!
//! Exact throughout: no float touches a duration, so `"1.000000001s"` is
//! one second and one nanosecond and every value prints back as itself.

use std::fmt::Write as _;

/// Nanoseconds in a second.
const NANOS: i128 = 1_000_000_000;

/// A span from -315,576,000,000.999999999s to 315,576,000,000.999999999s,
/// both included: google.protobuf.Duration's range, so the difference of
/// any two timestamps fits.
///
/// Held as whole seconds rounded down and the nanoseconds after them (as
/// [`super::Timestamp`] is), so that the derived order is the order of
/// length and a value takes 16 bytes, not the 16-aligned 16 of an `i128`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    second: i64,
    /// Always below 1,000,000,000, also for a negative duration.
    nanosecond: u32,
}

/// The longest duration, in nanoseconds (the shortest is its negation).
const MAX_NANOS: i128 = 315_576_000_000 * NANOS + 999_999_999;

impl Duration {
    pub const ZERO: Duration = Duration {
        second: 0,
        nanosecond: 0,
    };
    /// 315,576,000,000.999999999s.
    pub const MAX: Duration = Duration {
        second: 315_576_000_000,
        nanosecond: 999_999_999,
    };
    /// -315,576,000,000.999999999s.
    pub const MIN: Duration = Duration {
        second: -315_576_000_001,
        nanosecond: 1,
    };

    /// `None` outside the range.
    pub fn from_nanos(nanos: i128) -> Option<Duration> {
        if !(-MAX_NANOS..=MAX_NANOS).contains(&nanos) {
            return None;
        }
        Some(Duration {
            second: nanos.div_euclid(NANOS) as i64,
            nanosecond: nanos.rem_euclid(NANOS) as u32,
        })
    }

    pub fn as_nanos(self) -> i128 {
        i128::from(self.second) * NANOS + i128::from(self.nanosecond)
    }

    /// Whole seconds, truncated toward zero: `int(d)` and `getSeconds()`.
    pub fn whole_seconds(self) -> i64 {
        (self.as_nanos() / NANOS) as i64
    }

    /// The milliseconds within the last second, with the duration's sign
    /// (CEL's `getMilliseconds()`: -1.5s gives -500).
    pub fn subsec_millis(self) -> i64 {
        ((self.as_nanos() % NANOS) / 1_000_000) as i64
    }

    /// `None` only for a sum outside the range.
    pub fn checked_add(self, other: Duration) -> Option<Duration> {
        Duration::from_nanos(self.as_nanos() + other.as_nanos())
    }

    pub fn checked_sub(self, other: Duration) -> Option<Duration> {
        Duration::from_nanos(self.as_nanos() - other.as_nanos())
    }
}

impl std::ops::Neg for Duration {
    type Output = Duration;

    /// Never fails: the range is symmetric.
    fn neg(self) -> Duration {
        Duration::from_nanos(-self.as_nanos()).expect("the range is symmetric")
    }
}

/// `string(d)` and the JSON form: a sign, the whole seconds, the fraction's
/// digits without trailing zeros, `s` (`"5400s"`, `"-1.5s"`, `"0s"`).
pub fn format_duration(d: Duration) -> String {
    let mut out = String::with_capacity(24);
    format_duration_into(d, &mut out);
    out
}

pub(crate) fn format_duration_into(d: Duration, out: &mut String) {
    let nanos = d.as_nanos();
    if nanos < 0 {
        out.push('-');
    }
    let abs = nanos.unsigned_abs();
    let (whole, frac) = (abs / NANOS as u128, (abs % NANOS as u128) as u32);
    let _ = write!(out, "{whole}");
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('s');
}

/// Nanoseconds per unit `duration()` reads: Go's units and `d`.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    })
}

/// Reads what Go's `time.ParseDuration` reads, with `d` for 24 hours and
/// the range of [`Duration`] in place of Go's: an optional sign, then one
/// or more decimal numbers, each with an optional fraction and a unit
/// (`"1h30m"`, `"-1.5s"`, `".5ms"`, `"14d"`), or `"0"` alone.
///
/// Fractions are exact: the digits Go would keep (as many as fit in 63
/// bits) are kept, the rest dropped, and the nanoseconds truncated.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let shown = || text.chars().take(64).collect::<String>();
    let bad = |why: &str| {
        format!(
            "`{}` is not a duration: {why}; write numbers with units h, m, s, ms, us, ns or d, such as 1h30m, 1.5s or 14d",
            shown()
        )
    };
    let out_of_range = || {
        format!(
            "`{}` is out of the range of a duration, -315576000000.999999999s to 315576000000.999999999s",
            shown()
        )
    };
    let (negative, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(bad("it is empty"));
    }
    // Far past the range, yet with room for one more unit's worth.
    const CAP: u128 = 1 << 100;
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(bad("each part starts with a number"));
        }
        // The whole part.
        let mut i = 0;
        let mut whole: u128 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            whole = whole * 10 + u128::from(b[i] - b'0');
            if whole > CAP {
                return Err(out_of_range());
            }
            i += 1;
        }
        let pre = i > 0;
        // The fraction: digits while they fit in 63 bits, as Go keeps them.
        let (mut frac, mut scale, mut post) = (0u128, 1u128, false);
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let mut full = false;
            while i < b.len() && b[i].is_ascii_digit() {
                post = true;
                if !full {
                    let next = frac * 10 + u128::from(b[i] - b'0');
                    if frac > (i64::MAX as u128) / 10 || next > 1u128 << 63 {
                        full = true;
                    } else {
                        frac = next;
                        scale *= 10;
                    }
                }
                i += 1;
            }
        }
        if !pre && !post {
            return Err(bad("a point needs digits beside it"));
        }
        // The unit: everything up to the next number.
        let start = i;
        while i < b.len() && !(b[i] == b'.' || b[i].is_ascii_digit()) {
            i += 1;
        }
        if i == start {
            return Err(bad("each number needs a unit"));
        }
        let unit_text = &s[start..i];
        let Some(unit) = unit_nanos(unit_text) else {
            return Err(bad(&format!(
                "`{}` is not a unit",
                unit_text.chars().take(16).collect::<String>()
            )));
        };
        total += whole * unit + frac * unit / scale;
        if total > CAP {
            return Err(out_of_range());
        }
        s = &s[i..];
    }
    let nanos = i128::try_from(total).map_err(|_| out_of_range())?;
    Duration::from_nanos(if negative { -nanos } else { nanos }).ok_or_else(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> i128 {
        parse_duration(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .as_nanos()
    }

    #[test]
    fn reads_what_go_reads() {
        // Go's own table (time/time_test.go, parseDurationTests), in ns.
        let cases: &[(&str, i128)] = &[
            ("0", 0),
            ("5s", 5 * NANOS),
            ("30s", 30 * NANOS),
            ("1478s", 1478 * NANOS),
            ("-5s", -5 * NANOS),
            ("+5s", 5 * NANOS),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * NANOS),
            ("5.6s", 5 * NANOS + 600_000_000),
            ("5.s", 5 * NANOS),
            (".5s", 500_000_000),
            ("1.0s", NANOS),
            ("1.00s", NANOS),
            ("1.004s", NANOS + 4_000_000),
            ("1.0040s", NANOS + 4_000_000),
            ("100.00100s", 100 * NANOS + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * NANOS),
            ("15m", 15 * 60 * NANOS),
            ("16h", 16 * 3600 * NANOS),
            ("3h30m", (3 * 3600 + 30 * 60) * NANOS),
            ("10.5s4m", 4 * 60 * NANOS + 10_500_000_000),
            ("-2m3.4s", -(2 * 60 * NANOS + 3_400_000_000)),
            (
                "1h2m3s4ms5us6ns",
                3600 * NANOS + 2 * 60 * NANOS + 3 * NANOS + 4_000_000 + 5_000 + 6,
            ),
            (
                "39h9m14.425s",
                (39 * 3600 + 9 * 60 + 14) * NANOS + 425_000_000,
            ),
            ("52763797000ns", 52_763_797_000),
            // Go rounds through a float and gets 20m; exact truncation is
            // a nanosecond short.
            ("0.3333333333333333333h", 1_199_999_999_999),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", 9_223_372_036_854_775_807),
            ("9223372036854775.807us", 9_223_372_036_854_775_807),
            ("9223372036s854ms775us807ns", 9_223_372_036_854_775_807),
            ("-9223372036854775808ns", -9_223_372_036_854_775_808),
            ("0.100000000000000000000h", 360 * NANOS),
            ("0.830103483285477580700h", 2_988_372_539_827),
        ];
        for &(s, want) in cases {
            assert_eq!(p(s), want, "{s}");
        }
    }

    #[test]
    fn days_fractions_and_exactness() {
        assert_eq!(p("14d"), 14 * 86_400 * NANOS);
        assert_eq!(p("2d12h"), 216_000 * NANOS);
        assert_eq!(p("1.000000001s"), NANOS + 1);
        assert_eq!(p("0.1h"), 360 * NANOS);
        assert_eq!(p("1.5d"), 129_600 * NANOS);
        // Past the nanosecond: truncated, never rounded.
        assert_eq!(p("1.9999999999s"), 2 * NANOS - 1);
        assert_eq!(p("-1.9999999999s"), -(2 * NANOS - 1));
        // Digits past what 63 bits hold are dropped, as Go drops them.
        assert_eq!(p("1.00000000000000000000000000000000000001s"), NANOS);
    }

    #[test]
    fn refuses_what_go_refuses() {
        for s in [
            "",
            "3",
            "-",
            "+",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d ",
            " 1d",
            "1 d",
            "3000000h3",
            "1.5 hours",
            "P14D",
            "PT1H",
            "1e3s",
            "1_000s",
            "1S",
            "1H",
            "1sec",
            "--1s",
            "+-1s",
            "1h-30m",
            "0s0",
            "1,5s",
            "\u{2212}1s",
        ] {
            assert!(parse_duration(s).is_err(), "{s:?} parsed");
        }
        let e = parse_duration("1.5 hours").unwrap_err();
        assert!(
            e.contains("`1.5 hours` is not a duration") && e.contains("` hours` is not a unit"),
            "{e}"
        );
    }

    #[test]
    fn the_range_ends_are_included_and_one_past_is_not() {
        assert_eq!(
            parse_duration("315576000000.999999999s").unwrap(),
            Duration::MAX
        );
        assert_eq!(
            parse_duration("-315576000000.999999999s").unwrap(),
            Duration::MIN
        );
        assert_eq!(-Duration::MIN, Duration::MAX);
        for s in [
            "315576000001s",
            "-315576000001s",
            "315576000000.999999999s1ns",
            "3652501d",
            "99999999999999999999999999999999999999999h",
            "320000000000s",
        ] {
            let e = parse_duration(s).unwrap_err();
            assert!(e.contains("out of the range"), "{s}: {e}");
        }
        assert_eq!(p("3650000d"), 315_360_000_000 * NANOS);
        assert_eq!(p("3652500d"), 315_576_000_000 * NANOS);
        assert_eq!(Duration::from_nanos(MAX_NANOS + 1), None);
        assert_eq!(Duration::from_nanos(-MAX_NANOS - 1), None);
        assert_eq!(
            Duration::MAX.checked_add(Duration::from_nanos(1).unwrap()),
            None
        );
        assert_eq!(
            Duration::MIN.checked_sub(Duration::from_nanos(1).unwrap()),
            None
        );
    }

    #[test]
    fn writes_seconds_and_only_the_digits_needed() {
        let f = |s: &str| format_duration(parse_duration(s).unwrap());
        assert_eq!(f("1h30m"), "5400s");
        assert_eq!(f("-1.5s"), "-1.5s");
        assert_eq!(f("28d1ns"), "2419200.000000001s");
        assert_eq!(f("0"), "0s");
        assert_eq!(f("-0s"), "0s");
        assert_eq!(f("-1ns"), "-0.000000001s");
        assert_eq!(f("120ms"), "0.12s");
        assert_eq!(format_duration(Duration::MAX), "315576000000.999999999s");
        assert_eq!(format_duration(Duration::MIN), "-315576000000.999999999s");
    }

    #[test]
    fn a_duration_is_no_larger_than_a_timestamp() {
        // So adding it did not grow `Value`, which every slot holds.
        assert!(std::mem::size_of::<Duration>() <= std::mem::size_of::<super::super::Timestamp>());
        assert_eq!(std::mem::align_of::<Duration>(), 8);
    }

    #[test]
    fn order_and_parts_follow_the_sign() {
        let d = |s| parse_duration(s).unwrap();
        assert!(d("-1.5s") < d("-1s") && d("-1s") < d("0s") && d("0s") < d("1ns"));
        assert!(Duration::MIN < Duration::MAX);
        assert_eq!(d("-1.5s").subsec_millis(), -500);
        assert_eq!(d("-1.5s").whole_seconds(), -1);
        assert_eq!(d("123.321456789s").subsec_millis(), 321);
        assert_eq!(d("1.5s").whole_seconds(), 1);
    }
}
