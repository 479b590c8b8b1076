//! A small writer for generated code: lines at an indent, and doc
//! comments in each language's style.

/// Text built line by line at a current indent.
#[derive(Debug, Default)]
pub struct Out {
    buf: String,
    indent: usize,
    unit: &'static str,
}

impl Out {
    /// `unit` is one level of indent (`"  "`, `"    "`).
    pub fn new(unit: &'static str) -> Out {
        Out {
            buf: String::new(),
            indent: 0,
            unit,
        }
    }

    /// One line at the current indent (an empty `s` is a blank line).
    pub fn line(&mut self, s: impl AsRef<str>) -> &mut Out {
        let s = s.as_ref();
        if !s.is_empty() {
            for _ in 0..self.indent {
                self.buf.push_str(self.unit);
            }
            self.buf.push_str(s);
        }
        self.buf.push('\n');
        self
    }

    pub fn blank(&mut self) -> &mut Out {
        self.line("")
    }

    pub fn indent(&mut self) -> &mut Out {
        self.indent += 1;
        self
    }

    pub fn dedent(&mut self) -> &mut Out {
        self.indent = self.indent.saturating_sub(1);
        self
    }

    /// `doc` as a block comment: `open` (`/**`), each line after `mid`
    /// (` * `), then `close` (` */`); a one-line doc on one line. Nothing
    /// when `doc` is `None`. `*/` inside the doc is broken up so it cannot
    /// end the comment.
    pub fn block_doc(&mut self, doc: Option<&str>, open: &str, mid: &str, close: &str) -> &mut Out {
        let Some(doc) = doc else { return self };
        let doc = doc.replace("*/", "*\u{200b}/");
        let lines: Vec<&str> = doc.lines().collect();
        if lines.len() == 1 {
            return self.line(format!("{open} {} {}", lines[0], close.trim_start()));
        }
        self.line(open);
        for l in lines {
            self.line(format!("{mid}{l}").trim_end());
        }
        self.line(close)
    }

    /// `doc` with `prefix` (`# `, `/// `) before each line.
    pub fn line_doc(&mut self, doc: Option<&str>, prefix: &str) -> &mut Out {
        if let Some(doc) = doc {
            for l in doc.lines() {
                self.line(format!("{prefix}{l}").trim_end());
            }
        }
        self
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_and_indent() {
        let mut o = Out::new("  ");
        o.block_doc(Some("One line."), "/**", " * ", " */");
        o.line("a {").indent();
        o.block_doc(Some("Two\nlines, with */ inside."), "/**", " * ", " */");
        o.line("b").dedent().line("}");
        o.line_doc(Some("x\n\ny"), "# ");
        assert_eq!(
            o.finish(),
            "/** One line. */\na {\n  /**\n   * Two\n   * lines, with *\u{200b}/ inside.\n   */\n  b\n}\n# x\n#\n# y\n"
        );
    }
}
