//! `eventfold fmt`: model files in canonical form.

use crate::error::{Error, Result};
use crate::language::source::{Source, SourceMap};

/// The canonical form of the model file `text` (named `name` in
/// diagnostics): 2-space indentation, one member, field or statement a
/// line, every comment and doc kept. Formatting it again changes nothing.
/// A file that does not parse is an [`Error::ModelError`] with the same
/// diagnostics as [`crate::Domain::compile`] gives; only syntax matters.
pub fn format_source(name: &str, text: &str) -> Result<String> {
    crate::language::format::format(text).map_err(|mut diags| {
        let map = SourceMap::new(&[Source::new(name, text)]);
        diags.sort_by_key(|d| (d.span.file, d.span.start));
        let diags = SourceMap::cap(diags, crate::Limits::default().max_diagnostics);
        Error::ModelError {
            diagnostics: diags.iter().map(|d| map.diagnostic(d)).collect(),
            rendered: map.render(&diags),
        }
    })
}
