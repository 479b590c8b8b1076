//! Tables and projections (MODEL-LANGUAGE.md §13) back to source text.

use super::*;

impl Printer {
    pub(super) fn table(&mut self, t: &Table) {
        self.doc(&t.doc);
        if t.columns.is_empty() {
            self.line(&format!("table {} {{}}", t.name.name));
            return;
        }
        self.line(&format!("table {} {{", t.name.name));
        self.indent += 1;
        for c in &t.columns {
            self.doc(&c.field.doc);
            self.pad();
            if c.key.is_some() {
                self.out.push_str("key ");
            }
            field(&mut self.out, &c.field);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line("}");
    }

    pub(super) fn projection(&mut self, p: &Projection) {
        self.doc(&p.doc);
        let head = format!("projection {} {}", p.name.name, p.mode.word());
        if p.handlers.is_empty() {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for (i, h) in p.handlers.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.doc(&h.doc);
            self.pad();
            self.out
                .push_str(&format!("on {}.{} ", h.model.name, h.event.name));
            self.block(&h.body);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line("}");
    }
}
