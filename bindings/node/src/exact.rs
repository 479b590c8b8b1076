//! Integers past 2^53 in JSON text, found here rather than by a regular
//! expression in index.js (which cost about a tenth of `executeSync`).
//!
//! A JS number holds every integer up to `Number.MAX_SAFE_INTEGER`
//! (9007199254740991) exactly. Past it:
//! - a result text needs index.js's exact parser (BigInt), so it goes back
//!   marked with [`EXACT`] as its first character;
//! - an input text may hold an integer that `JSON.stringify` rounded
//!   (`2 ** 60` as `1152921504606847000`), so the call answers [`RETRY`]
//!   without doing anything, and index.js makes it again with its exact
//!   writer, whose texts come marked with [`EXACT`] and are taken as they are.

/// The first character of a text that needs, or came from, the exact path.
pub(crate) const EXACT: char = '\u{1}';
/// The answer, in place of a result, to an input that must be written exactly.
pub(crate) const RETRY: &str = "\u{2}";

/// Whether `text` holds an integer (a number with no fraction or exponent,
/// outside a string) beyond `±Number.MAX_SAFE_INTEGER`.
pub(crate) fn has_unsafe_int(text: &str) -> bool {
    let b = text.as_bytes();
    // Most texts have no run of 16 digits at all: a cheap pass says so.
    let mut run = 0usize;
    let mut long = false;
    for &c in b {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 16 {
            long = true;
            break;
        }
    }
    long && precise(b)
}

/// The exact check, token by token, skipping strings.
fn precise(b: &[u8]) -> bool {
    const MAX_SAFE: &[u8] = b"9007199254740991";
    let n = b.len();
    let mut i = 0;
    while i < n {
        match b[i] {
            b'"' => {
                i += 1;
                while i < n && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'0'..=b'9' => {
                let start = i;
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = &b[start..i];
                let float = i < n && matches!(b[i], b'.' | b'e' | b'E');
                if !float
                    && (digits.len() > MAX_SAFE.len()
                        || (digits.len() == MAX_SAFE.len() && digits > MAX_SAFE))
                {
                    return true;
                }
                while i < n && matches!(b[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// An input text from index.js: `Some` text to use, or `None` when the call
/// must answer [`RETRY`].
pub(crate) fn input(mut text: String) -> Option<String> {
    if text.starts_with(EXACT) {
        text.remove(0);
        Some(text)
    } else if has_unsafe_int(&text) {
        None
    } else {
        Some(text)
    }
}

/// A result text for index.js, marked when it needs the exact parser.
pub(crate) fn output(mut text: String) -> String {
    if has_unsafe_int(&text) {
        text.insert(0, EXACT);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_integers_past_the_safe_range() {
        assert!(!has_unsafe_int(
            r#"{"n":9007199254740991,"m":-9007199254740991}"#
        ));
        assert!(has_unsafe_int(r#"{"n":9007199254740992}"#));
        assert!(has_unsafe_int(r#"[-9007199254740992]"#));
        assert!(has_unsafe_int(r#"[1152921504606847000]"#));
        // In a string, or a float: not an integer.
        assert!(!has_unsafe_int(r#"["12345678901234567890"]"#));
        assert!(!has_unsafe_int(r#"["a\"12345678901234567890"]"#));
        assert!(!has_unsafe_int(
            r#"[12345678901234567890.5, 12345678901234567890e3]"#
        ));
        assert!(!has_unsafe_int(r#"[0.12345678901234567890]"#));
        assert!(has_unsafe_int(r#"["\\", 12345678901234567890]"#));
    }

    #[test]
    fn marks() {
        assert_eq!(input("\u{1}[1]".into()).as_deref(), Some("[1]"));
        assert_eq!(input("[1]".into()).as_deref(), Some("[1]"));
        assert_eq!(input("[99999999999999999]".into()), None);
        assert_eq!(output("[1]".into()), "[1]");
        assert_eq!(
            output("[99999999999999999]".into()),
            "\u{1}[99999999999999999]"
        );
    }
}
