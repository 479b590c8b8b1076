//! The source files of a domain: where a span stands (line and column in code
//! points) and how a diagnostic is shown to a person.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
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
}

#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(Source, Vec<usize>)>,
}

impl SourceMap {
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
    /// line and a caret under the spot.
    pub fn render(&self, diags: &[Diag]) -> String {
        let mut files = SimpleFiles::new();
        for (source, _) in &self.files {
            files.add(source.name.as_str(), source.text.as_str());
        }
        let config = term::Config::default();
        let mut out = NoColor::new(Vec::new());
        for diag in diags {
            let file = diag.span.file as usize;
            let text_len = self.files.get(file).map_or(0, |f| f.0.text.len());
            let start = (diag.span.start as usize).min(text_len);
            let end = (diag.span.end as usize).clamp(start, text_len);
            let report = Report::error()
                .with_message(&diag.message)
                .with_labels(vec![Label::primary(file, start..end)]);
            if term::emit_to_write_style(&mut out, &config, &files, &report).is_err() {
                let d = self.diagnostic(diag);
                out.get_mut()
                    .extend_from_slice(format!("error: {d}\n").as_bytes());
            }
        }
        String::from_utf8_lossy(&out.into_inner()).into_owned()
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
}
