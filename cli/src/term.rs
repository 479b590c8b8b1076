//! What the CLI prints for a person and what for a program: colour (on a
//! terminal, unless `NO_COLOR`; `--color` decides over both) and the
//! layout of listings (an aligned table on a terminal, JSON Lines in a
//! pipe; `--table` and `--json` decide over that).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

/// `--color`: when to colour what the CLI prints.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    // On a terminal, unless `NO_COLOR` is set (and not empty);
    // `CLICOLOR_FORCE` (set, not `0`) colours a pipe too.
    #[default]
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Sets the choice of `--color`, once, before anything is printed.
pub fn set_color(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether to colour a stream that is (or is not) a terminal, given the
/// choice and the environment's `NO_COLOR` and `CLICOLOR_FORCE`
/// (no-color.org; NO_COLOR wins over CLICOLOR_FORCE, the flag over both).
pub fn decide(
    choice: ColorChoice,
    no_color: Option<OsString>,
    force: Option<OsString>,
    terminal: bool,
) -> bool {
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set(&no_color) => false,
        ColorChoice::Auto if set(&force) && force.as_deref() != Some("0".as_ref()) => true,
        ColorChoice::Auto => terminal,
    }
}

fn colour(terminal: bool) -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        std::env::var_os("NO_COLOR"),
        std::env::var_os("CLICOLOR_FORCE"),
        terminal,
    )
}

/// The paint for what goes to stdout.
pub fn stdout() -> Paint {
    Paint {
        on: colour(std::io::stdout().is_terminal()),
    }
}

/// The paint for what goes to stderr.
pub fn stderr() -> Paint {
    Paint {
        on: colour(std::io::stderr().is_terminal()),
    }
}

/// ANSI styles, or none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    pub fn green(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn red(&self, t: &str) -> String {
        self.wrap("31", t)
    }
    pub fn bold_red(&self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    pub fn cyan(&self, t: &str) -> String {
        self.wrap("36", t)
    }
}

/// How a listing prints: `--json` or `--table`, else by what stdout is.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct Layout {
    /// JSON Lines (one object a line) even on a terminal.
    #[arg(long, conflicts_with = "layout_table")]
    pub json: bool,
    /// An aligned table even in a pipe.
    #[arg(long = "table", id = "layout_table")]
    pub table: bool,
}

impl Layout {
    /// Whether to print JSON Lines rather than a table.
    pub fn json_lines(&self) -> bool {
        self.json || (!self.table && !std::io::stdout().is_terminal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn colour_follows_the_flag_then_no_color_then_the_terminal() {
        use ColorChoice::*;
        assert!(decide(Auto, None, None, true));
        assert!(!decide(Auto, None, None, false));
        assert!(!decide(Auto, os("1"), None, true));
        // An empty NO_COLOR is as if unset.
        assert!(decide(Auto, os(""), None, true));
        assert!(decide(Auto, None, os("1"), false));
        assert!(!decide(Auto, None, os("0"), false));
        assert!(!decide(Auto, os("1"), os("1"), true));
        assert!(decide(Always, os("1"), None, false));
        assert!(!decide(Never, None, os("1"), true));
    }

    #[test]
    fn paint_off_is_plain_text() {
        let p = Paint { on: false };
        assert_eq!(p.bold("x"), "x");
        let p = Paint { on: true };
        assert_eq!(p.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(p.red(""), "");
    }
}
