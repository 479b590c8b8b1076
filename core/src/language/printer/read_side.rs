//! Tables and projections (MODEL-LANGUAGE.md §13) back to source text.

use super::*;

impl Printer {
    pub(super) fn table(&mut self, t: &Table) {
        self.anchor_doc(t.name.span.start, &t.doc);
        self.doc(&t.doc);
        let close = self.close_of(t.name.span.end);
        if t.columns.is_empty() && !close.is_some_and(|c| self.comments_in(t.name.span.end, c)) {
            self.line(&format!("table {} {{}}", t.name.name));
            return;
        }
        self.line(&format!("table {} {{", t.name.name));
        self.indent += 1;
        for c in &t.columns {
            let at = c.key.map_or(c.field.name.span.start, |k| k.start);
            self.anchor_doc(at, &c.field.doc);
            self.doc(&c.field.doc);
            self.pad();
            if c.key.is_some() {
                self.out.push_str("key ");
            }
            field(&mut self.out, &c.field);
            self.out.push('\n');
        }
        if let Some(c) = close {
            self.anchor(c);
        }
        self.indent -= 1;
        self.line("}");
    }

    pub(super) fn projection(&mut self, p: &Projection) {
        self.anchor_doc(p.name.span.start, &p.doc);
        self.doc(&p.doc);
        let close = self.close_of(p.name.span.end);
        let head = format!("projection {} {}", p.name.name, p.mode.word());
        if p.handlers.is_empty() && !close.is_some_and(|c| self.comments_in(p.name.span.end, c)) {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for (i, h) in p.handlers.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.anchor_doc(h.keyword.start, &h.doc);
            self.doc(&h.doc);
            self.pad();
            self.out
                .push_str(&format!("on {}.{} ", h.model.name, h.event.name));
            self.block(&h.body);
            self.out.push('\n');
        }
        if let Some(c) = close {
            self.anchor(c);
        }
        self.indent -= 1;
        self.line("}");
    }
}
