//! LSP positions (line, character) to byte offsets and back. Characters
//! are UTF-16 code units unless the client takes UTF-8 (LSP 3.17).

use eventfold::ide::TextRange;
use lsp_types as lt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it (no conversion), else UTF-16, which
    /// every client understands.
    pub fn negotiate(init: &lt::InitializeParams) -> Encoding {
        let offered = init
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        match offered {
            Some(encs) if encs.contains(&lt::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lt::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lt::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lt::PositionEncodingKind::UTF16,
        }
    }
}

/// Where each line starts in one text.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str, encoding: Encoding) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            text,
            starts,
            encoding,
        }
    }

    pub fn position(&self, offset: u32) -> lt::Position {
        let offset = (offset as usize).min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = match self.encoding {
            Encoding::Utf8 => end - start,
            Encoding::Utf16 => self.text[start..end].encode_utf16().count(),
        };
        lt::Position::new(line as u32, col as u32)
    }

    pub fn range(&self, r: TextRange) -> lt::Range {
        lt::Range::new(self.position(r.start), self.position(r.end))
    }

    /// The byte offset of a position; past the end of a line is its end.
    pub fn offset(&self, p: lt::Position) -> u32 {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len() as u32;
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(self.text.len(), |e| e - 1);
        let line = &self.text[start..end.max(start)];
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= p.character as usize {
                return (start + i) as u32;
            }
            units += match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        (start + line.len()) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_code_units() {
        let text = "a\n\u{1F600}b\nc";
        let ix = LineIndex::new(text, Encoding::Utf16);
        let b = text.find('b').unwrap() as u32;
        assert_eq!(ix.position(b), lt::Position::new(1, 2));
        assert_eq!(ix.offset(lt::Position::new(1, 2)), b);
        let ix8 = LineIndex::new(text, Encoding::Utf8);
        assert_eq!(ix8.position(b), lt::Position::new(1, 4));
        assert_eq!(ix.offset(lt::Position::new(9, 0)), text.len() as u32);
    }
}
