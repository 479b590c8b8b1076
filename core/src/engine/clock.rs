//! `recorded_at`, written fast: every command stamps its events, and
//! formatting a date is most of the cost of a stamp. The date and the time
//! of day change once a second, so they are formatted once a second (per
//! thread); only the fraction is written per call.

use std::cell::RefCell;

use crate::value::Timestamp;

thread_local! {
    /// The last whole second formatted, and its text without the `Z`.
    static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// Now, as `value::format_timestamp` writes it: RFC 3339 in UTC, with only
/// the digits of the fraction that are needed.
pub(crate) fn recorded_at() -> String {
    format(Timestamp::now())
}

fn format(t: Timestamp) -> String {
    let (secs, nanos) = (t.as_second(), t.subsec_nanosecond());
    let mut out = String::with_capacity(32);
    SECOND.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0 != secs {
            // The value formatter's text of the whole second, less its `Z`.
            let whole = Timestamp::new(secs, 0).unwrap_or(t);
            cell.1 = crate::value::format_timestamp(whole);
            cell.1.pop();
            cell.0 = secs;
        }
        out.push_str(&cell.1);
    });
    if nanos != 0 {
        let mut digits = [b'0'; 9];
        let mut n = nanos;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let len = 9 - digits.iter().rev().take_while(|&&d| d == b'0').count();
        out.push('.');
        out.extend(digits[..len].iter().map(|&d| d as char));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_the_value_formatter_writes() {
        for (s, n) in [
            (0, 0),
            (1_764_547_200, 0),
            (1_764_547_200, 500_000_000),
            (1_764_547_200, 123_456_789),
            (1_764_547_201, 1),
            (-62_135_596_800, 0),
            (-1, 500_000_000),
            (253_402_300_799, 999_999_999),
        ] {
            let t = Timestamp::new(s, n).unwrap();
            assert_eq!(format(t), crate::value::format_timestamp(t), "{s}.{n}");
            // Again, from the cached second.
            assert_eq!(format(t), crate::value::format_timestamp(t), "{s}.{n}");
        }
    }
}
