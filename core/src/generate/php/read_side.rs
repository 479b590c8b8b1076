//! The read side's file: table rows and the typed table readers.

use super::*;

fn table_row_class(t: &TableSchema) -> String {
    format!("{}Row", class_name(&t.name))
}

pub(super) fn read_side_file(n: &Names, schema: &Schema) -> File {
    let mut o = Out::new("    ");
    o.line("<?php");
    o.blank();
    o.line(format!("// {}", banner()));
    o.blank();
    o.line("declare(strict_types=1);");
    o.blank();
    o.line(format!("namespace {};", n.ns));
    o.blank();
    o.line("use Eventfold\\Engine;");
    for t in &schema.tables {
        o.blank();
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
        let row = table_row_class(t);
        let doc_text = format!(
            "A row of `{}`{}.{}",
            t.name,
            t.projection
                .as_deref()
                .map(|p| format!(" (written by the projection `{p}`)"))
                .unwrap_or_default(),
            t.doc
                .as_deref()
                .map(|d| format!("\n\n{d}"))
                .unwrap_or_default()
        );
        value_class(&mut o, n, &row, Some(&doc_text), &fields, false, &[]);
        o.blank();
        let table = format!("{}Table", class_name(&t.name));
        let key_doc: Vec<String> = t
            .key
            .iter()
            .filter_map(|k| t.columns.iter().find(|c| &c.name == k))
            .map(|c| format!("{} {}", doc(n, &c.ty), c.name))
            .collect();
        o.line(format!(
            "/** The table `{}`, read through the engine. */",
            t.name
        ));
        o.line(format!("final readonly class {table}"));
        o.line("{");
        o.indent();
        o.line(format!("public const NAME = {};", php_string(&t.name)));
        o.blank();
        o.line("public function __construct(public Engine $engine)");
        o.line("{");
        o.line("}");
        o.blank();
        o.line("/**");
        o.line(format!(
            " * The rows in key order ({}).",
            key_doc.join(", ")
        ));
        o.line(" *");
        o.line(" * @param mixed $key a prefix of the key values, in key order (a lone value: the first)");
        o.line(" * @param list<mixed>|null $after a whole key: the rows after it");
        o.line(format!(" * @return list<{row}>"));
        o.line(" */");
        o.line("public function rows(mixed $key = null, ?array $after = null, ?int $limit = null): array");
        o.line("{");
        o.indent();
        o.line(format!(
            "return array_map({row}::fromArray(...), $this->engine->rows(self::NAME, key: $key, after: $after, limit: $limit));"
        ));
        o.dedent();
        o.line("}");
        o.dedent();
        o.line("}");
    }
    o.blank();
    o.line("/** The names of the domain's projections. */");
    o.line("final class Projections");
    o.line("{");
    o.indent();
    for p in &schema.projections {
        let mut d = p.doc.clone().unwrap_or_default();
        if !d.is_empty() {
            d.push_str("\n\n");
        }
        d.push_str(&format!("{}; writes {}.", p.mode, p.writes.join(", ")));
        docblock(&mut o, Some(&d));
        o.line(format!(
            "public const {} = {};",
            screaming(&p.name),
            php_string(&p.name)
        ));
    }
    o.dedent();
    o.line("}");
    File {
        path: "ReadSide.php".into(),
        contents: o.finish(),
    }
}
