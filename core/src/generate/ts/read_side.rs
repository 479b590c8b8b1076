//! `read-side.ts`: each table's row, key and reader; each projection's
//! tables; `ReadSide`.

use super::*;

/// The type name of a table's row: `todo_rows` → `TodoRow`, `boards` → `BoardsRow`.
fn row_name(t: &TableSchema) -> String {
    let p = pascal(&t.name);
    match p.strip_suffix("Rows") {
        Some(stem) if !stem.is_empty() => format!("{stem}Row"),
        _ => format!("{p}Row"),
    }
}

pub(super) fn read_side(schema: &Schema) -> (String, Vec<String>) {
    let mut t = Types::new("");
    let mut o = Out::new("  ");
    let mut names: Vec<String> = Vec::new();
    for table in &schema.tables {
        let row = row_name(table);
        let tp = pascal(&table.name);
        names.push(row.clone());
        docs(
            &mut o,
            &[
                table.doc.as_deref(),
                Some(&format!(
                    "A row of `{}`: every column, in declared order.",
                    table.name
                )),
            ],
        );
        interface(&mut o, &row, |o| {
            for c in &table.columns {
                doc(o, c.doc.as_deref());
                o.line(format!("{}: {}", field_name(&c.name), t.out(&c.ty)));
            }
        });
        let key_types: Vec<String> = table
            .key
            .iter()
            .map(|k| {
                let c = table
                    .columns
                    .iter()
                    .find(|c| &c.name == k)
                    .expect("a key is a column");
                t.key(&c.ty)
            })
            .collect();
        let key = format!("{tp}Key");
        names.push(key.clone());
        doc(
            &mut o,
            Some(&format!("The whole key of `{}`, in key order.", table.name)),
        );
        let parts: Vec<String> = table
            .key
            .iter()
            .zip(&key_types)
            .map(|(k, ty)| format!("{}: {ty}", escape(k.clone(), RESERVED, "_")))
            .collect();
        o.line(format!("export type {key} = [{}]", parts.join(", ")));
        let opts = format!("{tp}Options");
        names.push(opts.clone());
        doc(
            &mut o,
            Some(&format!("Which rows of `{}` to read.", table.name)),
        );
        interface(&mut o, &opts, |o| {
            o.line("/** A prefix of the key's values, in key order; a lone value is the first. */");
            let mut prefixes: Vec<String> = Vec::new();
            if let Some(first) = key_types.first() {
                prefixes.push(first.clone());
            }
            for n in 1..=key_types.len() {
                prefixes.push(format!("[{}]", key_types[..n].join(", ")));
            }
            if !prefixes.is_empty() {
                o.line(format!("key?: {}", prefixes.join(" | ")));
                o.line(
                    "/** A whole key: the rows after it (to page on from the last row read). */",
                );
                o.line(format!("after?: {key}"));
            }
            o.line("/** At most so many rows. */");
            o.line("limit?: number");
        });
        let class = format!("{tp}Table");
        names.push(class.clone());
        docs(
            &mut o,
            &[
                table.doc.as_deref(),
                Some(&format!("Typed reads of `{}`.", table.name)),
            ],
        );
        o.line(format!("export class {class} {{")).indent();
        o.line(format!("static readonly table = {}", lit(&table.name)));
        o.line("constructor(readonly engine: Engine) {}");
        o.line("/** Rows in key order. */");
        o.line(format!("rows(options?: {opts}): Promise<{row}[]> {{"))
            .indent()
            .line(format!(
                "return this.engine.rows<{row}>({}, options)",
                lit(&table.name)
            ))
            .dedent()
            .line("}");
        o.line(format!("rowsSync(options?: {opts}): {row}[] {{"))
            .indent()
            .line(format!(
                "return this.engine.rowsSync<{row}>({}, options)",
                lit(&table.name)
            ))
            .dedent()
            .line("}");
        o.dedent().line("}");
        o.blank();
    }
    for p in &schema.projections {
        let pp = pascal(&p.name);
        let tables = format!("{pp}Tables");
        names.push(tables.clone());
        let d = format!(
            "The tables `{}` ({}) writes, as `domain.project` returns them.",
            p.name, p.mode
        );
        docs(&mut o, &[p.doc.as_deref(), Some(&d)]);
        interface(&mut o, &tables, |o| {
            for w in &p.writes {
                if let Some(tb) = schema.tables.iter().find(|t| &t.name == w) {
                    o.line(format!("{}: {}[]", field_name(w), row_name(tb)));
                }
            }
        });
    }
    let pnames: Vec<String> = schema.projections.iter().map(|p| lit(&p.name)).collect();
    names.push("ProjectionName".into());
    o.line("/** The projections of the domain. */");
    o.line(format!(
        "export type ProjectionName = {}",
        if pnames.is_empty() {
            "never".to_string()
        } else {
            pnames.join(" | ")
        }
    ));
    o.blank();
    names.push("ReadSide".into());
    o.line("/** Every table of the domain over an engine, and its projections. */");
    o.line("export class ReadSide {").indent();
    for table in &schema.tables {
        doc(&mut o, table.doc.as_deref());
        o.line(format!(
            "readonly {}: {}Table",
            camel(&table.name),
            pascal(&table.name)
        ));
    }
    o.line("constructor(readonly engine: Engine) {").indent();
    for table in &schema.tables {
        o.line(format!(
            "this.{} = new {}Table(engine)",
            camel(&table.name),
            pascal(&table.name)
        ));
    }
    o.dedent().line("}");
    o.line("/** Each projection's status. */");
    o.line("projections(): Promise<ProjectionStatus[]> {")
        .indent()
        .line("return this.engine.projections()")
        .dedent()
        .line("}");
    o.line("/** Read-your-writes for async projections (`position`: what `execute` returned). */");
    o.line("waitFor(position: number | bigint, options?: { projection?: ProjectionName; timeout?: number }): Promise<boolean> {")
        .indent()
        .line("return this.engine.waitFor(position, options)")
        .dedent()
        .line("}");
    o.dedent().line("}");
    if !schema.projections.is_empty() {
        o.blank();
        names.push("project".into());
        o.line("/** The tables of a projection after folding `events` (pure: `domain.project`, typed). */");
        for p in &schema.projections {
            o.line(format!(
                "export function project(domain: Domain, projection: {}, events: ProjectEvent[], tables?: Partial<{}Tables> | null): {}Tables",
                lit(&p.name),
                pascal(&p.name),
                pascal(&p.name)
            ));
        }
        o.line("export function project(domain: Domain, projection: ProjectionName, events: ProjectEvent[], tables?: { [table: string]: object[] } | null): object {")
            .indent()
            .line("return domain.project(projection, events, tables)")
            .dedent()
            .line("}");
    }
    let mut head = Out::new("  ");
    head.line(format!("// {}", banner()));
    head.line("/** The read side: every table's rows, and the projections that write them. */");
    let mut types = vec!["Engine", "ProjectionStatus"];
    if !schema.projections.is_empty() {
        types.extend(["Domain", "ProjectEvent"]);
    }
    t.header(&mut head, &types, &[]);
    head.blank();
    (head.finish() + &o.finish(), names)
}
