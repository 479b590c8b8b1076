//! The source files of a domain: where a span stands (line and column in code
//! points) and how a diagnostic is shown to a person.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::NoColor};

use super::ast::{Diag, Span};
use crate::error::Diagnostic;

/// One model file as given to `compile`.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// A model file read from disk, named by its path as given: an
    /// `io_error` naming the file when it is missing, unreadable, a folder
    /// or not UTF-8. Every skin's `from_files` comes here, so the error is
    /// the same everywhere.
    pub fn read(path: impl AsRef<std::path::Path>) -> crate::Result<Source> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, &e))?;
        Ok(Source::new(path.display().to_string(), text))
    }
}

#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(Source, Vec<usize>)>,
}

impl SourceMap {
    /// The files, in the order they were given.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.files.iter().map(|(s, _)| s)
    }

    pub fn new(sources: &[Source]) -> SourceMap {
        let files = sources
            .iter()
            .map(|s| {
                let starts = std::iter::once(0)
                    .chain(s.text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                (s.clone(), starts)
            })
            .collect();
        SourceMap { files }
    }

    pub fn name(&self, file: u32) -> &str {
        self.files.get(file as usize).map_or("?", |f| &f.0.name)
    }

    /// 1-based line and column (in code points) of a span's start.
    pub fn line_column(&self, span: Span) -> (u32, u32) {
        let Some((source, starts)) = self.files.get(span.file as usize) else {
            return (1, 1);
        };
        let offset = (span.start as usize).min(source.text.len());
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let line_start = starts[line - 1];
        let column = source
            .text
            .get(line_start..offset)
            .map_or(0, |t| t.chars().count());
        (line as u32, column as u32 + 1)
    }

    /// `file:line:column`, for runtime errors.
    pub fn locate(&self, span: Span) -> String {
        let (line, column) = self.line_column(span);
        format!("{}:{line}:{column}", self.name(span.file))
    }

    pub fn diagnostic(&self, diag: &Diag) -> Diagnostic {
        let (line, column) = self.line_column(diag.span);
        Diagnostic {
            file: self.name(diag.span.file).to_string(),
            line,
            column,
            message: diag.message.clone(),
        }
    }

    /// Every diagnostic as `error: message`, `file:line:column`, the source
    /// line and a caret under the spot. A long line is shown as a window
    /// around the spot, so that each diagnostic renders in bounded space.
    pub fn render(&self, diags: &[Diag]) -> String {
        let config = term::Config::default();
        let mut out = NoColor::new(Vec::new());
        for diag in diags {
            let excerpt = self.excerpt(diag.span);
            let report = Report::error()
                .with_message(&diag.message)
                .with_labels(vec![Label::primary((), excerpt.label.clone())]);
            if term::emit_to_write_style(&mut out, &config, &excerpt, &report).is_err() {
                let d = self.diagnostic(diag);
                out.get_mut()
                    .extend_from_slice(format!("error: {d}\n").as_bytes());
            }
        }
        String::from_utf8_lossy(&out.into_inner()).into_owned()
    }

    /// The line of a span, cut to [`EXCERPT_BEFORE`] code points before its
    /// start and [`EXCERPT_AFTER`] after it, with `…` where it was cut.
    fn excerpt(&self, span: Span) -> Excerpt<'_> {
        let (line, column) = self.line_column(span);
        let name = self.name(span.file);
        let Some((source, starts)) = self.files.get(span.file as usize) else {
            return Excerpt {
                name,
                line,
                first_column: 1,
                text: String::new(),
                prefix: 0,
                label: 0..0,
            };
        };
        let text = source.text.as_str();
        let boundary = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = boundary(span.start as usize);
        let line_start = starts[line as usize - 1];
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let full = text[line_start..line_end].trim_end_matches('\r');
        let line_end = line_start + full.len();
        let start = start.min(line_end);
        let end = boundary(span.end as usize).clamp(start, line_end);
        // Back EXCERPT_BEFORE code points from the start, on from its end.
        let from = text[line_start..start]
            .char_indices()
            .rev()
            .nth(EXCERPT_BEFORE - 1)
            .map_or(line_start, |(i, _)| line_start + i);
        let to = text[end..line_end]
            .char_indices()
            .nth(EXCERPT_AFTER)
            .map_or(line_end, |(i, _)| end + i);
        let (head, tail) = (from > line_start, to < line_end);
        let mut shown = String::with_capacity(to - from + 8);
        if head {
            shown.push_str(ELLIPSIS);
        }
        let prefix = shown.len();
        shown.push_str(&text[from..to]);
        if tail {
            shown.push_str(ELLIPSIS);
        }
        let first_column = (column as usize)
            .saturating_sub(text[from..start].chars().count())
            .max(1);
        Excerpt {
            name,
            line,
            first_column,
            text: shown,
            prefix,
            label: prefix + start - from..prefix + end - from,
        }
    }

    /// Keeps the first `max` diagnostics of each file (sorted by file and
    /// position) and puts one more in place of the rest, saying how many
    /// were left out, at the first of them.
    pub fn cap(diags: Vec<Diag>, max: usize) -> Vec<Diag> {
        let mut out = Vec::with_capacity(diags.len().min(max + 1));
        let mut i = 0;
        while i < diags.len() {
            let file = diags[i].span.file;
            let n = diags[i..]
                .iter()
                .take_while(|d| d.span.file == file)
                .count();
            out.extend(diags[i..i + n.min(max)].iter().cloned());
            if n > max {
                let more = n - max;
                out.push(Diag::new(
                    diags[i + max].span,
                    format!(
                        "and {more} more problem{} in this file, from here on; only the first {max} are reported: fix those and check again",
                        if more == 1 { "" } else { "s" }
                    ),
                ));
            }
            i += n;
        }
        out
    }
}

/// How much of a long line a rendered diagnostic shows, in code points.
const EXCERPT_BEFORE: usize = 40;
const EXCERPT_AFTER: usize = 40;
const ELLIPSIS: &str = "…";

/// One line of a file, or a window of it, as codespan reads it: line and
/// columns are those of the whole file.
struct Excerpt<'a> {
    name: &'a str,
    line: u32,
    /// The column of the first code point shown after the ellipsis.
    first_column: usize,
    text: String,
    /// Bytes of the leading ellipsis.
    prefix: usize,
    label: Range<usize>,
}

impl<'a> Files<'a> for Excerpt<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), _byte_index: usize) -> Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _line_index: usize) -> Result<usize, FilesError> {
        Ok(self.line as usize)
    }

    fn column_number(
        &'a self,
        (): (),
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let at = byte_index.clamp(self.prefix, self.text.len());
        let shown = self
            .text
            .get(self.prefix..at)
            .map_or(0, |t| t.chars().count());
        Ok(self.first_column + shown)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, FilesError> {
        if line_index == 0 {
            Ok(0..self.text.len())
        } else {
            Err(FilesError::LineTooLarge {
                given: line_index,
                max: 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_code_points() {
        let map = SourceMap::new(&[Source::new("m.model", "ab\n  éé x\n")]);
        let x = "ab\n  éé x".find('x').unwrap();
        assert_eq!(map.line_column(Span::new(0, x, x + 1)), (2, 6));
        assert_eq!(map.locate(Span::new(0, 0, 1)), "m.model:1:1");
    }

    #[test]
    fn rendering_shows_the_line_and_a_caret() {
        let map = SourceMap::new(&[Source::new(
            "m.model",
            "model M {\n  query q(): int = cuont\n}\n",
        )]);
        let at = 29;
        let text = map.render(&[Diag::new(Span::new(0, at, at + 5), "unknown name `cuont`")]);
        assert!(text.contains("m.model:2:20"), "{text}");
        assert!(text.contains("query q(): int = cuont"), "{text}");
        assert!(text.contains("^^^^^"), "{text}");
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_spot() {
        let line = format!(
            "  query q(): int = {}cuont{}",
            "1 + ".repeat(50),
            " + 1".repeat(50)
        );
        let src = format!("model M {{\n{line}\n}}\n");
        let at = src.find("cuont").unwrap();
        let map = SourceMap::new(&[Source::new("m.model", src.as_str())]);
        let text = map.render(&[Diag::new(Span::new(0, at, at + 5), "unknown name `cuont`")]);
        let expected = "\
error: unknown name `cuont`
  ┌─ m.model:2:220
  │
2 │ …1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + cuont + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1…
  │                                          ^^^^^

";
        assert_eq!(text, expected);
    }

    #[test]
    fn the_window_counts_code_points_and_stops_at_the_line_end() {
        let src = "model M {\n  query q(): string = \"éééééééééééééééééééééééééééééééééééééééééééééé\" + cuont\n}\n";
        let at = src.find("cuont").unwrap();
        let map = SourceMap::new(&[Source::new("m.model", src)]);
        let text = map.render(&[Diag::new(Span::new(0, at, at + 5), "unknown name `cuont`")]);
        assert!(text.contains("m.model:2:74"), "{text}");
        assert!(text.contains("…éééé"), "{text}");
        assert!(text.contains("\" + cuont\n"), "{text}");
    }

    #[test]
    fn odd_spans_render_without_panicking() {
        let src = "model M {\r\n  query q(): string = \"é\"\r\n}";
        let map = SourceMap::new(&[Source::new("m.model", src)]);
        let e = src.find('é').unwrap();
        for (start, end) in [(e + 1, e + 2), (src.len(), src.len() + 5), (9, 200), (0, 0)] {
            let text = map.render(&[Diag::new(Span::new(0, start, end), "odd")]);
            assert!(text.starts_with("error: odd"), "{text}");
        }
        let text = map.render(&[Diag::new(Span::new(3, 0, 1), "no such file")]);
        assert!(text.starts_with("error: no such file"), "{text}");
    }

    #[test]
    fn the_diagnostics_of_a_file_are_capped_with_a_count_of_the_rest() {
        let d = |file, start| Diag::new(Span::new(file, start, start + 1), "bad");
        let mut diags: Vec<Diag> = (0..5).map(|i| d(0, i)).collect();
        diags.extend((0..2).map(|i| d(1, i)));
        let capped = SourceMap::cap(diags, 3);
        let messages: Vec<(u32, u32, &str)> = capped
            .iter()
            .map(|d| {
                (
                    d.span.file,
                    d.span.start,
                    &d.message[..d.message.len().min(20)],
                )
            })
            .collect();
        assert_eq!(
            messages,
            [
                (0, 0, "bad"),
                (0, 1, "bad"),
                (0, 2, "bad"),
                (0, 3, "and 2 more problems "),
                (1, 0, "bad"),
                (1, 1, "bad")
            ]
        );
    }
}
