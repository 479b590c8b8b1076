//! Comments back into printed text, for the formatter.
//!
//! The printer calls [`Printer::anchor`] before each member, field, enum
//! member, param, statement, projection handler and closing `}` with that
//! construct's source position; the comments before it come out there.
//! An own-line comment is printed on its own line at the current indent;
//! one that trailed code is appended to the last printed line.

use super::super::lexer::{Comment, Lexed, Tok};
use super::Printer;

pub(crate) struct Comments {
    list: Vec<Comment>,
    /// Printed, or a `///` the tree holds as a doc.
    done: Vec<bool>,
    next: usize,
    /// Byte offset of each line's start.
    line_starts: Vec<u32>,
    /// Line `i` holds only whitespace.
    blank: Vec<bool>,
    /// `{` start → matching `}` start, sorted by the `{`.
    braces: Vec<(u32, u32)>,
    /// `out.len()` right after the last comment printed.
    last_end: Option<usize>,
    /// The source line of the last comment printed on its own line.
    last_line: Option<u32>,
}

impl Comments {
    pub(crate) fn new(src: &str, lexed: &Lexed) -> Comments {
        let mut line_starts = vec![0u32];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        let blank = src.split('\n').map(|l| l.trim().is_empty()).collect();
        let mut braces = Vec::new();
        let mut stack = Vec::new();
        for t in &lexed.tokens {
            match t.tok {
                Tok::LBrace => stack.push(t.span.start),
                Tok::RBrace => {
                    if let Some(open) = stack.pop() {
                        braces.push((open, t.span.start));
                    }
                }
                _ => {}
            }
        }
        braces.sort_unstable();
        Comments {
            done: vec![false; lexed.comments.len()],
            list: lexed.comments.clone(),
            next: 0,
            line_starts,
            blank,
            braces,
            last_end: None,
            last_line: None,
        }
    }

    fn line_of(&self, pos: u32) -> u32 {
        (self.line_starts.partition_point(|&s| s <= pos) - 1) as u32
    }

    /// The `///` lines directly above line `line` are the tree's doc.
    fn take_doc(&mut self, pos: u32) {
        let mut line = self.line_of(pos);
        while line > 0 {
            line -= 1;
            match self.list.iter().position(|c| c.doc && c.line == line) {
                Some(i) => self.done[i] = true,
                None => break,
            }
        }
    }
}

impl Printer {
    /// Prints the comments before `pos`. `doc` is the construct's doc, when
    /// `pos` starts a declaration.
    pub(super) fn anchor_doc(&mut self, pos: u32, doc: &Option<String>) {
        if doc.is_some() {
            if let Some(c) = &mut self.cm {
                c.take_doc(pos);
            }
        }
        self.anchor(pos);
        // A blank line after an own-line comment group stays.
        if let Some(c) = &self.cm {
            let gap = c
                .last_line
                .is_some_and(|l| c.blank.get(l as usize + 1) == Some(&true));
            if gap
                && c.last_end == Some(self.out.len().saturating_sub(1))
                && !self.out.ends_with("\n\n")
            {
                self.out.push('\n');
            }
        }
        // A `///` comment printed right above a declaration would become its
        // doc: keep a blank line between them.
        if let Some(c) = &self.cm {
            if c.last_end == Some(self.out.len().saturating_sub(1)) && self.out.ends_with('\n') {
                let line_start = self.out[..self.out.len() - 1]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let last = self.out[line_start..].trim_start();
                if last.starts_with("///") && !last.starts_with("////") {
                    self.out.push('\n');
                }
            }
        }
    }

    /// Prints the comments before `pos`.
    pub(super) fn anchor(&mut self, pos: u32) {
        let Some(mut c) = self.cm.take() else {
            return;
        };
        while c.next < c.list.len() && c.list[c.next].span.start < pos {
            let i = c.next;
            c.next += 1;
            if !c.done[i] {
                c.done[i] = true;
                self.emit(&mut c, i);
            }
        }
        self.cm = Some(c);
    }

    /// Prints every comment left.
    pub(super) fn flush_all(&mut self) {
        self.anchor(u32::MAX);
    }

    /// Whether a comment not printed yet starts in `from..to`.
    pub(super) fn comments_in(&self, from: u32, to: u32) -> bool {
        self.cm.as_ref().is_some_and(|c| {
            c.list
                .iter()
                .enumerate()
                .any(|(i, k)| !c.done[i] && k.span.start >= from && k.span.start < to)
        })
    }

    /// The `}` matching the first `{` at or after `pos`.
    pub(super) fn close_of(&self, pos: u32) -> Option<u32> {
        let c = self.cm.as_ref()?;
        let i = c.braces.partition_point(|&(o, _)| o < pos);
        c.braces.get(i).map(|&(_, close)| close)
    }

    fn emit(&mut self, c: &mut Comments, i: usize) {
        let k = &c.list[i];
        let content_end = self.out.trim_end_matches('\n').len();
        let after_comment = c.last_end == Some(content_end);
        if k.line_has_token && content_end > 0 && !after_comment {
            let tail = self.out[content_end..].to_string();
            self.out.truncate(content_end);
            self.out.push(' ');
            self.out.push_str(&k.text);
            c.last_end = Some(self.out.len());
            c.last_line = None;
            self.out.push_str(&tail);
            return;
        }
        let blank_before = k.line > 0 && c.blank[k.line as usize - 1];
        if blank_before
            && !self.out.is_empty()
            && !self.out.ends_with("\n\n")
            && !self.out.ends_with("{\n")
            && !self.out.ends_with("(\n")
        {
            self.out.push('\n');
        }
        self.pad();
        self.out.push_str(&k.text);
        c.last_end = Some(self.out.len());
        c.last_line = Some(k.line);
        self.out.push('\n');
    }
}
