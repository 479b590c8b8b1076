//! The read side's file: table rows and the typed table readers.

use super::*;

pub(super) fn read_side_files(n: &Names, schema: &Schema) -> Vec<File> {
    let mut o = Out::new("  ");
    let mut s = Out::new("  ");
    header(&mut o);
    s.line(format!("# {}", banner()));
    o.blank();
    o.line("require \"eventfold\"");
    for m in &schema.models {
        o.line(format!("require_relative \"{}\"", snake(&m.name)));
    }
    o.blank();
    let depth = open_modules(&mut o, &n.root);
    let sdepth = open_modules(&mut s, &n.root);
    o.line("# The names of the domain's projections.");
    o.line("module Projections");
    o.indent();
    s.line("module Projections");
    s.indent();
    for p in &schema.projections {
        let mut d = p.doc.clone().unwrap_or_default();
        if !d.is_empty() {
            d.push('\n');
        }
        d.push_str(&format!("{}; writes {}.", p.mode, p.writes.join(", ")));
        comment(&mut o, Some(&d));
        o.line(format!("{} = {}", screaming(&p.name), rstr(&p.name)));
        s.line(format!("{}: String", screaming(&p.name)));
    }
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");
    for t in &schema.tables {
        let fields: Vec<Field> = t
            .columns
            .iter()
            .map(|c| Field {
                name: c.name.clone(),
                ty: c.ty.clone(),
                required: true,
                default: None,
                doc: c.doc.clone(),
            })
            .collect();
        let row = format!("{}Row", pascal(&t.name));
        let mut d = format!("A row of `{}`", t.name);
        if let Some(p) = &t.projection {
            d.push_str(&format!(" (written by the projection `{p}`)"));
        }
        d.push('.');
        if let Some(td) = &t.doc {
            d.push('\n');
            d.push_str(td);
        }
        value_class(&mut o, &mut s, n, &row, Some(&d), &fields, false, &[]);
        let table = format!("{}Table", pascal(&t.name));
        o.blank();
        o.line(format!(
            "# The table `{}`, read through the engine (key: {}).",
            t.name,
            t.key.join(", ")
        ));
        o.line(format!("class {table}"));
        o.indent();
        o.line(format!("NAME = {}", rstr(&t.name)));
        o.blank();
        o.line("attr_reader :engine");
        o.blank();
        o.line("def initialize(engine)");
        o.indent().line("@engine = engine").line("freeze").dedent();
        o.line("end");
        o.blank();
        o.line("# The rows in key order; `key:` a prefix of the key values, `after:` a whole key.");
        o.line("def rows(key: nil, after: nil, limit: nil)");
        o.indent();
        o.line(format!(
            "@engine.rows(NAME, key: key, after: after, limit: limit).map {{ |r| {row}.from_h(r) }}"
        ));
        o.dedent();
        o.line("end");
        o.dedent();
        o.line("end");
        s.blank();
        s.line(format!("class {table}"));
        s.indent();
        s.line("NAME: String");
        s.line("attr_reader engine: ::Eventfold::Engine");
        s.line("def initialize: (::Eventfold::Engine) -> void");
        s.line(format!(
            "def rows: (?key: untyped, ?after: Array[untyped]?, ?limit: Integer?) -> Array[{row}]"
        ));
        s.dedent();
        s.line("end");
    }
    close_modules(&mut o, depth);
    close_modules(&mut s, sdepth);
    vec![
        File {
            path: "read_side.rb".into(),
            contents: o.finish(),
        },
        File {
            path: "read_side.rbs".into(),
            contents: s.finish(),
        },
    ]
}
