//! What an editor asks of a workspace of model files: problems, the
//! outline, what a name means and where it is used, and what may be typed
//! at a place.
//!
//! Everything here is in byte offsets into the files given to
//! [`Analysis::new`]; a language server converts them to its positions at
//! its edge (`eventfold lsp`). An analysis is cheap to rebuild: an editor
//! makes a new one after every edit.

use crate::language::ast::{self, Diag, Span};
use crate::language::{check, parser};

mod complete;
mod index;
mod ty;

pub use complete::{Completion, CompletionKind};
pub use index::{Def, DefKind};

/// A byte range in file `file` (an index into the files of the analysis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextRange {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl From<Span> for TextRange {
    fn from(s: Span) -> TextRange {
        TextRange {
            file: s.file,
            start: s.start,
            end: s.end,
        }
    }
}

/// A problem, as `eventfold check` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub range: TextRange,
    pub message: String,
}

/// One entry of the outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub kind: DefKind,
    /// The whole declaration.
    pub range: TextRange,
    /// Its name.
    pub selection: TextRange,
    pub children: Vec<Symbol>,
}

/// What hovering a name shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub range: TextRange,
    /// Markdown: the declaration, where it is declared, and its `///` docs.
    pub markdown: String,
}

/// Replace `range` with `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct TextEdit {
    pub range: TextRange,
    pub text: String,
}

/// One analysed workspace: every model file, read, checked and indexed.
#[derive(Debug)]
pub struct Analysis {
    names: Vec<String>,
    texts: Vec<String>,
    problems: Vec<Problem>,
    index: index::Index,
}

impl Analysis {
    /// Reads and checks `files` (name, text) as one domain, as
    /// `Domain::compile` does: the checker runs when every file parses.
    pub fn new(files: Vec<(String, String)>) -> Analysis {
        let mut diags: Vec<Diag> = Vec::new();
        let (names, texts): (Vec<String>, Vec<String>) = files.into_iter().unzip();
        let asts: Vec<ast::File> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (f, d) = parser::parse(i as u32, t);
                diags.extend(d);
                f
            })
            .collect();
        if diags.is_empty() {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let models = check::check(&asts, &refs, &mut diags);
            check::read_side(&asts, &refs, &models, &mut diags);
        }
        diags.sort_by_key(|d| (d.span.file, d.span.start));
        let problems = diags
            .into_iter()
            .map(|d| Problem {
                range: d.span.into(),
                message: d.message,
            })
            .collect();
        let index = index::Index::build(&asts);
        Analysis {
            names,
            texts,
            problems,
            index,
        }
    }

    pub fn file_count(&self) -> usize {
        self.texts.len()
    }

    pub fn file_name(&self, file: u32) -> &str {
        &self.names[file as usize]
    }

    pub fn text(&self, file: u32) -> &str {
        &self.texts[file as usize]
    }

    /// The problems of file `file`, by position.
    pub fn problems(&self, file: u32) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.range.file == file)
    }

    /// The outline of a file: models with their members, tables with their
    /// columns, projections with their handlers.
    pub fn symbols(&self, file: u32) -> Vec<Symbol> {
        self.index.outline(file)
    }

    /// Every declaration whose name contains `query` (case-insensitive),
    /// across the workspace.
    pub fn workspace_symbols(&self, query: &str) -> Vec<&Def> {
        let q = query.to_lowercase();
        self.index
            .defs
            .iter()
            .filter(|d| d.kind.is_global() && d.name.to_lowercase().contains(&q))
            .collect()
    }

    /// The declaration the name at `offset` of `file` stands for.
    pub fn definition(&self, file: u32, offset: u32) -> Option<&Def> {
        self.index.def_at(file, offset)
    }

    /// Every place the name at `offset` is used, its declaration first.
    pub fn references(&self, file: u32, offset: u32) -> Vec<TextRange> {
        match self.index.def_id_at(file, offset) {
            Some(id) => self.index.uses_of(id),
            None => Vec::new(),
        }
    }

    pub fn hover(&self, file: u32, offset: u32) -> Option<Hover> {
        let (range, id) = self.index.use_at(file, offset)?;
        let def = &self.index.defs[id];
        let mut md = format!("```eventfold\n{}\n```\n", def.detail);
        let (line, _) = self.line_col(def.name_range);
        md.push_str(&format!(
            "\n{} in {}, line {}",
            def.kind.describe(),
            self.file_name(def.name_range.file),
            line + 1
        ));
        if let Some(c) = &def.container {
            md.push_str(&format!(" (in `{c}`)"));
        }
        if let Some(doc) = &def.doc {
            md.push_str("\n\n---\n\n");
            md.push_str(doc);
        }
        Some(Hover {
            range,
            markdown: md,
        })
    }

    /// The edits that rename the name at `offset` to `new_name` everywhere:
    /// `Err` says why it cannot be renamed, or why the new name does not fit.
    pub fn rename(&self, file: u32, offset: u32, new_name: &str) -> Result<Vec<TextEdit>, String> {
        let id = self
            .index
            .def_id_at(file, offset)
            .ok_or_else(|| "there is no declared name here to rename".to_string())?;
        let def = &self.index.defs[id];
        def.kind.accepts_name(new_name)?;
        if crate::language::lexer::is_keyword(new_name) {
            return Err(format!("`{new_name}` is a keyword; choose another name"));
        }
        Ok(self
            .index
            .uses_of(id)
            .into_iter()
            .map(|range| TextEdit {
                range,
                text: new_name.to_string(),
            })
            .collect())
    }

    /// What may be typed at `offset` of `file`.
    pub fn completions(&self, file: u32, offset: u32) -> Vec<Completion> {
        complete::complete(self, file, offset)
    }

    /// 0-based line and byte column of a range's start.
    fn line_col(&self, r: TextRange) -> (usize, usize) {
        let text = self.text(r.file);
        let start = (r.start as usize).min(text.len());
        let before = &text[..start];
        let line = before.matches('\n').count();
        let col = start - before.rfind('\n').map_or(0, |i| i + 1);
        (line, col)
    }
}

#[cfg(test)]
mod tests;
