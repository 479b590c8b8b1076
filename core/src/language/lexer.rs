//! Source text to tokens.
//!
//! The lexer never fails: whatever it cannot read becomes a [`Diag`] and is
//! skipped. Strings come out as a run of tokens (`StrStart`, `StrText`,
//! `InterpStart` ... `InterpEnd`, `StrEnd`), always balanced, so that the
//! parser reads the expressions of `${...}` from the same token stream, with
//! spans in the original file. Newlines are tokens: the parser decides where
//! they end something. `///` lines that stand alone on their line are kept
//! aside, by line, as documentation.

use std::collections::BTreeMap;

use super::ast::{Diag, Span};

/// The reserved words of the language. Type names (`string`, `int`, ...) are
/// not among them: they are ordinary names, recognised in type position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    Model,
    State,
    Record,
    Enum,
    Command,
    Event,
    Query,
    Invariant,
    Let,
    Emit,
    Reject,
    If,
    Unless,
    Else,
    For,
    In,
    Set,
    Remove,
    True,
    False,
    Null,
}

impl Keyword {
    pub const ALL: [Keyword; 21] = [
        Keyword::Model,
        Keyword::State,
        Keyword::Record,
        Keyword::Enum,
        Keyword::Command,
        Keyword::Event,
        Keyword::Query,
        Keyword::Invariant,
        Keyword::Let,
        Keyword::Emit,
        Keyword::Reject,
        Keyword::If,
        Keyword::Unless,
        Keyword::Else,
        Keyword::For,
        Keyword::In,
        Keyword::Set,
        Keyword::Remove,
        Keyword::True,
        Keyword::False,
        Keyword::Null,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Model => "model",
            Keyword::State => "state",
            Keyword::Record => "record",
            Keyword::Enum => "enum",
            Keyword::Command => "command",
            Keyword::Event => "event",
            Keyword::Query => "query",
            Keyword::Invariant => "invariant",
            Keyword::Let => "let",
            Keyword::Emit => "emit",
            Keyword::Reject => "reject",
            Keyword::If => "if",
            Keyword::Unless => "unless",
            Keyword::Else => "else",
            Keyword::For => "for",
            Keyword::In => "in",
            Keyword::Set => "set",
            Keyword::Remove => "remove",
            Keyword::True => "true",
            Keyword::False => "false",
            Keyword::Null => "null",
        }
    }

    /// The keyword spelled `s`, if it is one.
    pub fn lookup(s: &str) -> Option<Keyword> {
        Keyword::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// A keyword that starts a member of a model (or a model): where the
    /// parser resynchronises after an error.
    pub fn starts_member(self) -> bool {
        matches!(
            self,
            Keyword::Model
                | Keyword::State
                | Keyword::Record
                | Keyword::Enum
                | Keyword::Command
                | Keyword::Event
                | Keyword::Query
                | Keyword::Invariant
        )
    }

    /// Keywords after which a kebab-case name is read as one token.
    fn wants_kebab(self) -> bool {
        matches!(
            self,
            Keyword::Command | Keyword::Event | Keyword::Query | Keyword::Emit
        )
    }
}

impl std::fmt::Display for Keyword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `s` is exactly a keyword.
pub fn is_keyword(s: &str) -> bool {
    Keyword::lookup(s).is_some()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword. Its shape
    /// (PascalCase, snake_case) is checked by the parser, which knows what
    /// the position wants.
    Ident(String),
    /// A name right after `command`, `event`, `query` or `emit`:
    /// `[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*`, shape and keyword-ness
    /// checked by the parser.
    Kebab(String),
    Kw(Keyword),
    /// An integer literal's magnitude; `None` when it does not fit in a
    /// `u64` (the parser reports it as out of range).
    Int(Option<u64>),
    Float(f64),
    /// The opening `"` of a string.
    StrStart,
    /// Literal text of a string, escapes resolved.
    StrText(String),
    /// `${` inside a string.
    InterpStart,
    /// The `}` that closes `${`.
    InterpEnd,
    /// The closing `"` of a string.
    StrEnd,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Semi,
    Dot,
    Question,
    /// `@` between an event's name and its version (§12).
    At,
    Assign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Newline,
    Eof,
}

impl Tok {
    /// The spelling of a punctuation token, for messages.
    pub fn punct(&self) -> Option<&'static str> {
        Some(match self {
            Tok::StrStart | Tok::StrEnd => "\"",
            Tok::InterpStart => "${",
            Tok::InterpEnd => "}",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Semi => ";",
            Tok::Dot => ".",
            Tok::Question => "?",
            Tok::At => "@",
            Tok::Assign => "=",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Bang => "!",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    /// 0-based line of the token's first byte.
    pub line: u32,
    /// Made up by the lexer to close an unterminated string (already
    /// reported): the parser reports nothing more about it.
    pub synthetic: bool,
}

/// The lexer's output.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// Always ends with one [`Tok::Eof`] (spanning the end of the source).
    pub tokens: Vec<Token>,
    /// `///` lines, by 0-based line: the text after `///` and one space.
    pub docs: BTreeMap<u32, String>,
    /// Every other `//` comment (ordinary ones, `////` ones, and `///`
    /// after a token), and every `///` line too (with `doc` set), in source
    /// order: the formatter puts them back.
    pub comments: Vec<Comment>,
    pub diags: Vec<Diag>,
}

/// One `//` comment, from `//` to the end of its line (no `\n`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub span: Span,
    /// The exact source text, `//` included (a `\r` before the newline
    /// excluded).
    pub text: String,
    /// 0-based line.
    pub line: u32,
    /// A token comes before it on its line: it trails that code.
    pub line_has_token: bool,
    /// A `///` line in [`Lexed::docs`].
    pub doc: bool,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Inside a string literal whose `"` is at `open`.
    Str { open: usize },
    /// Inside `${...}`; `depth` counts the `{` opened in it.
    Interp { depth: u32 },
}

/// Reads `src` (file number `file`) into tokens.
pub fn lex(file: u32, src: &str) -> Lexed {
    let mut lx = Lexer {
        file,
        src,
        bytes: src.as_bytes(),
        pos: 0,
        line: 0,
        line_has_token: false,
        kebab_next: false,
        modes: Vec::new(),
        out: Lexed::default(),
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    file: u32,
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_has_token: bool,
    kebab_next: bool,
    modes: Vec<Mode>,
    out: Lexed,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// The code point at `at` (a char boundary).
    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        let span = self.span(start, end);
        // A file of garbage could otherwise hold a diagnostic per byte.
        match self.out.diags.len() {
            n if n < super::parser::MAX_KEPT_DIAGNOSTICS => {
                self.out.diags.push(Diag::new(span, msg))
            }
            n if n == super::parser::MAX_KEPT_DIAGNOSTICS => self
                .out
                .diags
                .push(Diag::new(span, super::parser::too_many())),
            _ => {}
        }
    }

    /// Whether the line so far is `on Model` (a projection's handler), so
    /// that the word after this `.` is an event's kebab name.
    fn after_on_model(&self) -> bool {
        let t = &self.out.tokens;
        let n = t.len();
        n >= 2
            && matches!(&t[n - 1].tok, Tok::Ident(m) if m.starts_with(|c: char| c.is_ascii_uppercase()))
            && matches!(&t[n - 2].tok, Tok::Ident(on) if on == "on")
            && (n == 2 || t[n - 3].line < t[n - 2].line)
    }

    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        self.push_token(tok, start, end, false);
    }

    fn push_token(&mut self, tok: Tok, start: usize, end: usize, synthetic: bool) {
        if tok != Tok::Newline {
            self.kebab_next = match &tok {
                Tok::Kw(k) => k.wants_kebab(),
                Tok::Ident(w) if w == "upcast" => self.opens_member(),
                // §13: `projection name` opening a line, `on Model.event`.
                Tok::Ident(w) => w == "projection" && !self.line_has_token,
                Tok::Dot => self.after_on_model(),
                _ => false,
            };
            self.line_has_token = true;
        }
        let span = self.span(start, end);
        let line = self.line;
        self.out.tokens.push(Token {
            tok,
            span,
            line,
            synthetic,
        });
    }

    /// Whether a word here stands where a model member begins: `upcast` is
    /// a keyword only there (§2), so that a field or param named `upcast`
    /// keeps its meaning. A member begins after `{`, `}` or `;`, or first on
    /// a line after a token that ends an expression (a query's or an
    /// invariant's); after an operator or `,` the line continues one.
    fn opens_member(&self) -> bool {
        if !self.modes.is_empty() {
            return false;
        }
        let prev = self
            .out
            .tokens
            .iter()
            .rev()
            .find(|t| t.tok != Tok::Newline)
            .map(|t| &t.tok);
        match prev {
            None | Some(Tok::LBrace | Tok::RBrace | Tok::Semi) => true,
            Some(
                Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::StrEnd
                | Tok::RParen
                | Tok::RBracket
                | Tok::Kw(Keyword::True | Keyword::False | Keyword::Null | Keyword::State),
            ) => !self.line_has_token,
            _ => false,
        }
    }

    fn run(&mut self) {
        if self.src.starts_with('\u{FEFF}') {
            self.pos = '\u{FEFF}'.len_utf8();
        }
        loop {
            match self.modes.last().copied() {
                Some(Mode::Str { open }) => self.string_segment(open),
                _ => {
                    if !self.token() {
                        break;
                    }
                }
            }
        }
        let end = self.src.len();
        self.push(Tok::Eof, end, end);
    }

    /// A string (or an interpolation in it) is cut short by a newline or the
    /// end of the file at `at`: report it once, at the outermost string's
    /// opening quote, and close everything still open.
    fn unterminated(&mut self, at: usize) {
        let open = self.modes.iter().find_map(|m| match m {
            Mode::Str { open } => Some(*open),
            Mode::Interp { .. } => None,
        });
        if let Some(open) = open {
            let what = if at >= self.src.len() {
                "the end of the file"
            } else {
                "the end of the line"
            };
            self.error(
                open,
                open + 1,
                format!(
                    "unterminated string: add the closing `\"` before {what} \
                     (a string cannot span lines; write `\\n` for a line break)"
                ),
            );
        }
        while let Some(mode) = self.modes.pop() {
            let tok = match mode {
                Mode::Str { .. } => Tok::StrEnd,
                Mode::Interp { .. } => Tok::InterpEnd,
            };
            self.push_token(tok, at, at, true);
        }
    }

    /// Reads one token outside of string text. Returns false at the end of
    /// the file.
    fn token(&mut self) -> bool {
        // White space.
        while let Some(b) = self.byte(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\x0c') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let start = self.pos;
        let Some(b) = self.byte(start) else {
            if !self.modes.is_empty() {
                self.unterminated(start);
            }
            return false;
        };
        match b {
            b'\n' => {
                if !self.modes.is_empty() {
                    self.unterminated(start);
                }
                self.push(Tok::Newline, start, start + 1);
                self.pos += 1;
                self.line += 1;
                self.line_has_token = false;
            }
            b'/' if self.byte(start + 1) == Some(b'/') => self.comment(start),
            b'"' => {
                self.push(Tok::StrStart, start, start + 1);
                self.pos += 1;
                self.modes.push(Mode::Str { open: start });
            }
            b'0'..=b'9' => self.number(start),
            b'.' if self.byte(start + 1).is_some_and(|c| c.is_ascii_digit()) => self.number(start),
            _ if is_ident_start(b) => self.word(start),
            _ => self.punct(start, b),
        }
        true
    }

    fn comment(&mut self, start: usize) {
        let end = self.src[start..]
            .find('\n')
            .map_or(self.src.len(), |i| start + i);
        let text = &self.src[start..end];
        let is_doc = text.starts_with("///") && !text.starts_with("////") && !self.line_has_token;
        if is_doc && self.modes.is_empty() {
            let mut doc = &text[3..];
            doc = doc.strip_prefix(' ').unwrap_or(doc);
            doc = doc.strip_suffix('\r').unwrap_or(doc);
            self.out.docs.insert(self.line, doc.to_string());
        }
        if self.modes.is_empty() {
            let text = text.strip_suffix('\r').unwrap_or(text);
            self.out.comments.push(Comment {
                span: self.span(start, start + text.len()),
                text: text.to_string(),
                line: self.line,
                line_has_token: self.line_has_token,
                doc: is_doc,
            });
        }
        self.pos = end;
    }

    fn word(&mut self, start: usize) {
        let mut end = start;
        while self.byte(end).is_some_and(is_ident_char) {
            end += 1;
        }
        if self.kebab_next {
            // One token: `segment(-segment)*`.
            while self.byte(end) == Some(b'-') && self.byte(end + 1).is_some_and(is_ident_char) {
                end += 1;
                while self.byte(end).is_some_and(is_ident_char) {
                    end += 1;
                }
            }
            let text = self.src[start..end].to_string();
            self.push(Tok::Kebab(text), start, end);
        } else {
            let text = &self.src[start..end];
            let tok = match Keyword::lookup(text) {
                Some(k) => Tok::Kw(k),
                None => Tok::Ident(text.to_string()),
            };
            self.push(tok, start, end);
        }
        self.pos = end;
    }

    /// Digits with `_` separators from `at`; returns the end.
    fn digits(&self, mut at: usize) -> usize {
        while self
            .byte(at)
            .is_some_and(|b| b.is_ascii_digit() || b == b'_')
        {
            at += 1;
        }
        at
    }

    fn number(&mut self, start: usize) {
        let mut end = self.digits(start);
        let mut is_float = false;
        if self.byte(end) == Some(b'.') && self.byte(end + 1).is_some_and(|b| b.is_ascii_digit()) {
            is_float = true;
            end = self.digits(end + 1);
        }
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            let after = match self.byte(end + 1) {
                Some(b'+' | b'-') => end + 2,
                _ => end + 1,
            };
            if self.byte(after).is_some_and(|b| b.is_ascii_digit()) {
                is_float = true;
                end = self.digits(after);
            }
        }
        // A number glued to a name (`12abc`, `1e`) is one bad token.
        if self.byte(end).is_some_and(is_ident_char) {
            let mut bad_end = end;
            while self.byte(bad_end).is_some_and(is_ident_char) {
                bad_end += 1;
            }
            let text = &self.src[start..bad_end];
            self.error(
                start,
                bad_end,
                format!("`{text}` is not a valid number; put a space or an operator between a number and a name"),
            );
            self.push(Tok::Int(Some(0)), start, bad_end);
            self.pos = bad_end;
            return;
        }
        let text = &self.src[start..end];
        let bytes = text.as_bytes();
        let misplaced = bytes.iter().enumerate().any(|(i, &b)| {
            b == b'_'
                && !(i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
        });
        if misplaced {
            self.error(
                start,
                end,
                format!("`{text}`: a `_` in a number must stand between two digits, as in `1_000`"),
            );
        }
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        if is_float {
            let value = match clean.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    self.error(
                        start,
                        end,
                        format!("float literal `{text}` is out of range (a float is a 64-bit IEEE number)"),
                    );
                    0.0
                }
            };
            self.push(Tok::Float(value), start, end);
        } else {
            let mut value: Option<u64> = Some(0);
            for d in clean.bytes() {
                value = value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(u64::from(d - b'0')));
            }
            self.push(Tok::Int(value), start, end);
        }
        self.pos = end;
    }

    fn punct(&mut self, start: usize, b: u8) {
        let next = self.byte(start + 1);
        let (tok, len) = match (b, next) {
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b'{', _) => {
                if let Some(Mode::Interp { depth }) = self.modes.last_mut() {
                    *depth += 1;
                }
                (Tok::LBrace, 1)
            }
            (b'}', _) => match self.modes.last_mut() {
                Some(Mode::Interp { depth: 0 }) => {
                    self.modes.pop();
                    (Tok::InterpEnd, 1)
                }
                Some(Mode::Interp { depth }) => {
                    *depth -= 1;
                    (Tok::RBrace, 1)
                }
                _ => (Tok::RBrace, 1),
            },
            (b',', _) => (Tok::Comma, 1),
            (b':', _) => (Tok::Colon, 1),
            (b';', _) => (Tok::Semi, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b'?', _) => (Tok::Question, 1),
            (b'@', _) => (Tok::At, 1),
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'=', _) => (Tok::Assign, 1),
            (b'!', Some(b'=')) => (Tok::NotEq, 2),
            (b'!', _) => (Tok::Bang, 1),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'>', _) => (Tok::Gt, 1),
            (b'&', Some(b'&')) => (Tok::AndAnd, 2),
            (b'|', Some(b'|')) => (Tok::OrOr, 2),
            (b'&', _) => {
                self.error(
                    start,
                    start + 1,
                    "unexpected `&`: the logical and is written `&&`",
                );
                (Tok::AndAnd, 1)
            }
            (b'|', _) => {
                self.error(
                    start,
                    start + 1,
                    "unexpected `|`: the logical or is written `||`",
                );
                (Tok::OrOr, 1)
            }
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            _ => {
                let c = self.char_at(start).unwrap_or('\u{FFFD}');
                let len = c.len_utf8();
                let msg = match c {
                    '\'' => "unexpected `'`: strings are written with double quotes, `\"...\"`"
                        .to_string(),
                    '$' => "unexpected `$` outside of a string: interpolation `${...}` is only \
                            allowed inside `\"...\"`"
                        .to_string(),
                    _ if c.is_control() => {
                        format!("unexpected control character U+{:04X}", u32::from(c))
                    }
                    _ => format!(
                        "unexpected character `{c}`: names use ASCII letters, digits, `_` and `-`"
                    ),
                };
                self.error(start, start + len, msg);
                self.pos = start + len;
                return;
            }
        };
        self.push(tok, start, start + len);
        self.pos = start + len;
    }

    /// Reads string text up to `"`, `${`, or the end of the line.
    fn string_segment(&mut self, _open: usize) {
        let start = self.pos;
        let mut text = String::new();
        loop {
            let at = self.pos;
            let Some(c) = self.char_at(at) else {
                self.flush_text(&mut text, start, at);
                self.unterminated(at);
                return;
            };
            match c {
                '\n' => {
                    self.flush_text(&mut text, start, at);
                    self.unterminated(at);
                    return;
                }
                '"' => {
                    self.flush_text(&mut text, start, at);
                    self.push(Tok::StrEnd, at, at + 1);
                    self.pos = at + 1;
                    self.modes.pop();
                    return;
                }
                '$' if self.byte(at + 1) == Some(b'{') => {
                    self.flush_text(&mut text, start, at);
                    self.push(Tok::InterpStart, at, at + 2);
                    self.pos = at + 2;
                    self.modes.push(Mode::Interp { depth: 0 });
                    return;
                }
                '\\' => self.escape(at, &mut text),
                _ => {
                    text.push(c);
                    self.pos = at + c.len_utf8();
                }
            }
        }
    }

    fn flush_text(&mut self, text: &mut String, start: usize, end: usize) {
        if !text.is_empty() {
            let t = std::mem::take(text);
            self.push(Tok::StrText(t), start, end);
        }
    }

    /// An escape at `at` (the backslash).
    fn escape(&mut self, at: usize, text: &mut String) {
        let Some(c) = self.char_at(at + 1) else {
            // End of file: the string is unterminated, reported by the caller.
            self.pos = at + 1;
            return;
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '$' => Some('$'),
            _ => None,
        };
        if let Some(s) = simple {
            text.push(s);
            self.pos = at + 2;
            return;
        }
        if c == '\n' {
            self.error(
                at,
                at + 1,
                "a `\\` at the end of a line: a string cannot span lines; write `\\n` for a line break",
            );
            self.pos = at + 1;
            return;
        }
        if c != 'u' {
            let shown = if c.is_control() {
                format!("U+{:04X}", u32::from(c))
            } else {
                format!("`\\{c}`")
            };
            self.error(
                at,
                at + 1 + c.len_utf8(),
                format!(
                    "invalid escape {shown} in a string: the escapes are `\\\"` `\\\\` `\\n` `\\t` `\\r` `\\$` and `\\u{{...}}`"
                ),
            );
            self.pos = at + 1 + c.len_utf8();
            return;
        }
        // `\u{hex}`
        let bad = "invalid unicode escape: write `\\u{` with 1 to 6 hex digits and `}`, such as `\\u{1F600}`";
        if self.byte(at + 2) != Some(b'{') {
            self.error(at, at + 2, bad);
            self.pos = at + 2;
            return;
        }
        let digits_start = at + 3;
        let mut end = digits_start;
        while self.byte(end).is_some_and(|b| b.is_ascii_hexdigit()) {
            end += 1;
        }
        let n = end - digits_start;
        if self.byte(end) != Some(b'}') || n == 0 || n > 6 {
            self.error(at, end, bad);
            self.pos = end;
            return;
        }
        let hex = &self.src[digits_start..end];
        let value = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
        match char::from_u32(value) {
            Some(ch) => text.push(ch),
            None => self.error(
                at,
                end + 1,
                format!("`\\u{{{hex}}}` is not a Unicode scalar value (surrogates and values above 10FFFF are not allowed)"),
            ),
        }
        self.pos = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(0, src).tokens.into_iter().map(|t| t.tok).collect()
    }

    fn diags(src: &str) -> Vec<String> {
        lex(0, src).diags.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn punctuation_and_operators() {
        assert_eq!(
            toks("( ) [ ] { } , : ; . ? = == != < <= > >= && || ! + - * / %"),
            vec![
                Tok::LParen,
                Tok::RParen,
                Tok::LBracket,
                Tok::RBracket,
                Tok::LBrace,
                Tok::RBrace,
                Tok::Comma,
                Tok::Colon,
                Tok::Semi,
                Tok::Dot,
                Tok::Question,
                Tok::Assign,
                Tok::EqEq,
                Tok::NotEq,
                Tok::Lt,
                Tok::Le,
                Tok::Gt,
                Tok::Ge,
                Tok::AndAnd,
                Tok::OrOr,
                Tok::Bang,
                Tok::Plus,
                Tok::Minus,
                Tok::Star,
                Tok::Slash,
                Tok::Percent,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn keywords_and_names() {
        assert_eq!(
            toks("model Foo foo_bar string in"),
            vec![
                Tok::Kw(Keyword::Model),
                Tok::Ident("Foo".into()),
                Tok::Ident("foo_bar".into()),
                Tok::Ident("string".into()),
                Tok::Kw(Keyword::In),
                Tok::Eof
            ]
        );
        for k in Keyword::ALL {
            assert_eq!(Keyword::lookup(k.as_str()), Some(k));
        }
    }

    #[test]
    fn kebab_after_keywords_only() {
        assert_eq!(
            toks("command create-new(a - b)"),
            vec![
                Tok::Kw(Keyword::Command),
                Tok::Kebab("create-new".into()),
                Tok::LParen,
                Tok::Ident("a".into()),
                Tok::Minus,
                Tok::Ident("b".into()),
                Tok::RParen,
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("emit in-list()")[1],
            Tok::Kebab("in-list".into()),
            "segments may spell keywords"
        );
        assert_eq!(
            toks("event  // c\n  done-x")[2],
            Tok::Kebab("done-x".into())
        );
        // A dangling `-` is not part of the name.
        assert_eq!(
            toks("query a-(")[1..3],
            [Tok::Kebab("a".into()), Tok::Minus]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(toks("1_000")[0], Tok::Int(Some(1000)));
        assert_eq!(
            toks("9223372036854775808")[0],
            Tok::Int(Some(9_223_372_036_854_775_808))
        );
        assert_eq!(toks("99999999999999999999999")[0], Tok::Int(None));
        assert_eq!(toks("1.5")[0], Tok::Float(1.5));
        assert_eq!(toks(".5")[0], Tok::Float(0.5));
        assert_eq!(toks("2e3")[0], Tok::Float(2000.0));
        assert_eq!(toks("2.5e-3")[0], Tok::Float(0.0025));
        assert_eq!(toks("1E+2")[0], Tok::Float(100.0));
        // `5.x` is a field of 5, not a float.
        assert_eq!(
            toks("5.x"),
            vec![
                Tok::Int(Some(5)),
                Tok::Dot,
                Tok::Ident("x".into()),
                Tok::Eof
            ]
        );
        assert!(diags("1_").iter().any(|m| m.contains("between two digits")));
        assert!(diags("1__0")
            .iter()
            .any(|m| m.contains("between two digits")));
        assert!(diags("12abc")
            .iter()
            .any(|m| m.contains("not a valid number")));
        assert!(diags("1e999").iter().any(|m| m.contains("out of range")));
        assert!(diags("1_000 2e3 .5").is_empty());
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            toks(r#""a\"\\\n\t\r\$\u{1F600}""#),
            vec![
                Tok::StrStart,
                Tok::StrText("a\"\\\n\t\r$\u{1F600}".into()),
                Tok::StrEnd,
                Tok::Eof
            ]
        );
        assert_eq!(
            toks(r#""\${x}""#),
            vec![
                Tok::StrStart,
                Tok::StrText("${x}".into()),
                Tok::StrEnd,
                Tok::Eof
            ]
        );
        assert_eq!(toks(r#""""#), vec![Tok::StrStart, Tok::StrEnd, Tok::Eof]);
        assert!(diags(r#""\q""#)[0].contains("invalid escape `\\q`"));
        assert!(diags(r#""\u{}""#)[0].contains("invalid unicode escape"));
        assert!(diags(r#""\u{1234567}""#)[0].contains("invalid unicode escape"));
        assert!(diags(r#""\u{D800}""#)[0].contains("not a Unicode scalar"));
        assert!(diags(r#""\u12""#)[0].contains("invalid unicode escape"));
    }

    #[test]
    fn interpolation_tokens_nest() {
        let t = toks(r#""a${ {"k": "${x}"} }b""#);
        assert_eq!(
            t,
            vec![
                Tok::StrStart,
                Tok::StrText("a".into()),
                Tok::InterpStart,
                Tok::LBrace,
                Tok::StrStart,
                Tok::StrText("k".into()),
                Tok::StrEnd,
                Tok::Colon,
                Tok::StrStart,
                Tok::InterpStart,
                Tok::Ident("x".into()),
                Tok::InterpEnd,
                Tok::StrEnd,
                Tok::RBrace,
                Tok::InterpEnd,
                Tok::StrText("b".into()),
                Tok::StrEnd,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn unterminated_strings_are_closed() {
        let lx = lex(0, "\"abc ${x\nnext");
        assert_eq!(lx.diags.len(), 1);
        assert!(lx.diags[0].message.contains("unterminated string"));
        assert_eq!(lx.diags[0].span.start, 0);
        let kinds: Vec<Tok> = lx.tokens.iter().map(|t| t.tok.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::StrStart,
                Tok::StrText("abc ".into()),
                Tok::InterpStart,
                Tok::Ident("x".into()),
                Tok::InterpEnd,
                Tok::StrEnd,
                Tok::Newline,
                Tok::Ident("next".into()),
                Tok::Eof
            ]
        );
        assert!(lx.tokens[4].synthetic && lx.tokens[5].synthetic);
        assert!(diags("\"abc")[0].contains("end of the file"));
    }

    #[test]
    fn docs_are_kept_by_line() {
        let lx = lex(
            0,
            "/// one\n///two\n  ///   three\nx /// not a doc\n//// not either\n",
        );
        let docs: Vec<(u32, &str)> = lx.docs.iter().map(|(l, d)| (*l, d.as_str())).collect();
        assert_eq!(docs, vec![(0, "one"), (1, "two"), (2, "  three")]);
    }

    #[test]
    fn spans_and_lines() {
        let lx = lex(3, "a\n  bé\"é\"");
        assert_eq!(lx.diags.len(), 1, "{:?}", lx.diags); // `é` is not a name char
        let t = &lx.tokens;
        assert_eq!(t[0].span, Span::new(3, 0, 1));
        assert_eq!(t[2].span, Span::new(3, 4, 5));
        assert_eq!(t[2].line, 1);
        assert_eq!(t[3].tok, Tok::StrStart);
        assert_eq!(t[3].span.start, 7);
        let eof = t.last().unwrap();
        assert_eq!(eof.span, Span::new(3, 11, 11));
    }

    #[test]
    fn odd_characters_do_not_panic() {
        for src in [
            "é",
            "\u{0}",
            "'x'",
            "$",
            "&",
            "|",
            "\"\\",
            "\"\\u{",
            "\"\\u{12",
            "\u{FEFF}x",
            "\"${",
            "\"${}",
            "}}}",
            "\"${\"${",
        ] {
            let lx = lex(0, src);
            assert_eq!(lx.tokens.last().unwrap().tok, Tok::Eof);
        }
    }
}
