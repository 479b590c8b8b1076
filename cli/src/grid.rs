//! An aligned text table for a terminal, as `psql` prints one: a header, a
//! rule, a line per row, numbers to the right. Widths count terminal
//! columns (`unicode-width`), so wide characters keep the columns straight.

use std::fmt::Write as _;

use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

use crate::term::Paint;

/// Rows of cells under a header; each cell already text.
#[derive(Debug, Default)]
pub struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns whose every cell is a number, aligned right.
    right: Vec<bool>,
    /// The header bold and the rule dim, when on.
    paint: Paint,
}

impl Grid {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Grid {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        let right = vec![true; header.len()];
        Grid {
            header,
            rows: Vec::new(),
            right,
            paint: Paint::default(),
        }
    }

    /// The same grid, its header and rule styled with `paint` (the paint
    /// of stdout: plain in a pipe or under `NO_COLOR`).
    pub fn painted(mut self, paint: Paint) -> Grid {
        self.paint = paint;
        self
    }

    /// Adds a row of JSON values (see [`cell`]); numbers stay right-aligned
    /// only while every cell of their column is one (or empty).
    pub fn push_json<'a>(&mut self, values: impl IntoIterator<Item = &'a Json>) {
        let cells: Vec<(String, bool)> = values
            .into_iter()
            .map(|v| (cell(v), v.is_number() || v.is_null()))
            .collect();
        for (i, (_, numeric)) in cells.iter().enumerate() {
            if !numeric {
                if let Some(r) = self.right.get_mut(i) {
                    *r = false;
                }
            }
        }
        self.rows.push(cells.into_iter().map(|(c, _)| c).collect());
    }

    /// Adds a row of text cells; a column of digits (or empty cells) is
    /// aligned right.
    pub fn push_text(&mut self, cells: Vec<String>) {
        for (i, c) in cells.iter().enumerate() {
            let digits = c.strip_prefix('-').unwrap_or(c);
            if !digits.chars().all(|ch| ch.is_ascii_digit()) {
                if let Some(r) = self.right.get_mut(i) {
                    *r = false;
                }
            }
        }
        self.rows.push(cells);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The table, each line starting with `indent`, without a trailing
    /// count (callers say what the rows are).
    pub fn render(&self, indent: &str) -> String {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, c) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(c.width());
            }
        }
        let mut out = String::new();
        let line =
            |out: &mut String, cells: &[String], right: &[bool], style: &dyn Fn(&str) -> String| {
                let mut text = String::from(indent);
                for (i, w) in widths.iter().enumerate() {
                    let c = cells.get(i).map(String::as_str).unwrap_or("");
                    let pad = " ".repeat(w.saturating_sub(c.width()));
                    if i > 0 {
                        text.push_str("  ");
                    }
                    if right.get(i).copied().unwrap_or(false) {
                        text.push_str(&pad);
                        text.push_str(c);
                    } else {
                        text.push_str(c);
                        if i + 1 < n {
                            text.push_str(&pad);
                        }
                    }
                }
                let text = text.trim_end();
                // The indent stays unstyled.
                let body = style(&text[indent.len().min(text.len())..]);
                let _ = writeln!(out, "{indent}{body}");
            };
        let left = vec![false; n];
        let p = self.paint;
        line(&mut out, &self.header, &left, &|t| p.bold(t));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule, &left, &|t| p.dim(t));
        for row in &self.rows {
            line(&mut out, row, &self.right, &|t| t.to_string());
        }
        out
    }
}

/// A value as a cell: a string as its text (control characters escaped so
/// a row stays on its line), null as nothing (as `psql` shows NULL), any
/// other value as its JSON.
pub fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if c.is_control() {
                    out.extend(c.escape_default());
                } else {
                    out.push(c);
                }
            }
            out
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_line_up_and_numbers_go_right() {
        let mut g = Grid::new(["name", "n", "note"]);
        g.push_json(&[json!("milk"), json!(12), json!(null)]);
        g.push_json(&[json!("bread and butter"), json!(3), json!(true)]);
        assert_eq!(
            g.render(""),
            "name              n   note\n\
             ----------------  --  ----\n\
             milk              12\n\
             bread and butter   3  true\n"
        );
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn wide_characters_count_two_columns_and_newlines_are_escaped() {
        let mut g = Grid::new(["a", "b"]);
        g.push_json(&[json!("日本"), json!("x")]);
        g.push_json(&[json!("two\nlines"), json!("y")]);
        let out = g.render("  ");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[2], "  日本        x");
        assert_eq!(lines[3], "  two\\nlines  y");
    }

    #[test]
    fn text_cells_of_digits_go_right() {
        let mut g = Grid::new(["name", "lag"]);
        g.push_text(vec!["a".into(), "1200".into()]);
        g.push_text(vec!["b".into(), "7".into()]);
        assert_eq!(
            g.render(""),
            "name  lag\n----  ----\na     1200\nb        7\n"
        );
    }

    #[test]
    fn a_painted_grid_styles_its_header_and_rule_only() {
        let mut g = Grid::new(["a"]).painted(Paint { on: true });
        g.push_json(&[json!("x")]);
        assert_eq!(
            g.render("  "),
            "  \x1b[1ma\x1b[0m\n  \x1b[2m-\x1b[0m\n  x\n"
        );
    }

    #[test]
    fn a_column_with_any_text_is_left_aligned() {
        let mut g = Grid::new(["v"]);
        g.push_json(&[json!(1)]);
        g.push_json(&[json!("long text")]);
        assert_eq!(g.render(""), "v\n---------\n1\nlong text\n");
    }
}
