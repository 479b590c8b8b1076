//! The read side's file: table rows and the typed table readers.

use super::*;

pub(super) fn read_side_file(g: &Gen) -> String {
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/** The domain's tables over an {@link Engine}, typed: each read blocks, and has an {@code ...Async} twin. */");
    o.line("public final class ReadSide {").indent();
    o.line("private final Engine engine;");
    o.blank();
    o.line("public ReadSide(Engine engine) {")
        .indent()
        .line("this.engine = Objects.requireNonNull(engine, \"engine\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The domain's tables, by name. */");
    o.line("public static final class Tables {").indent();
    o.line("private Tables() {}");
    for t in &g.schema.tables {
        o.block_doc(t.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "public static final String {} = {};",
            screaming(&t.name),
            lit(&t.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The domain's projections, by name (for {@link Engine#rebuild}, {@link Engine#waitFor}). */");
    o.line("public static final class Projections {").indent();
    o.line("private Projections() {}");
    for p in &g.schema.projections {
        o.block_doc(p.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "public static final String {} = {};",
            screaming(&p.name),
            lit(&p.name)
        ));
    }
    o.dedent().line("}");
    for t in &g.schema.tables {
        let fields = columns(t);
        let row = row_name(&t.name);
        let doc = match &t.doc {
            Some(d) => format!("A row of {{@code {}}}.\n\n{d}", t.name),
            None => format!("A row of {{@code {}}}.", t.name),
        };
        let keys: Vec<&Field> = t
            .key
            .iter()
            .filter_map(|k| fields.iter().find(|f| &f.name == k))
            .collect();
        o.blank();
        g.record(&mut o, Some(&doc), &row, &fields, false, "", &mut |o| {
            g.to_map(o, &fields, false, "toMap", false);
            o.blank();
            g.write_from_map(o, &row, &fields, false);
            o.blank();
            o.line("/** The row's key, in key order (for {@code after}). */");
            let ks: Vec<String> = keys
                .iter()
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            o.line("public List<Object> key() {")
                .indent()
                .line(format!("return Arrays.asList({});", ks.join(", ")))
                .dedent()
                .line("}");
        });
        let f = camel(&t.name);
        o.blank();
        o.line(format!(
            "/** Rows of {{@code {}}} in key order: those whose key starts with {{@code key}} (leading key values, in key order; empty: all), after {{@code after}} (null: from the first), at most {{@code limit}} (null: all). */",
            t.name
        ));
        o.line(format!("public List<{row}> {f}(List<Object> key, {row} after, Integer limit) {{"))
            .indent()
            .line(format!(
                "return Wire.list(engine.rows({}, key, after == null ? null : after.key(), limit), {row}::fromMap);",
                lit(&t.name)
            ))
            .dedent()
            .line("}");
        o.blank();
        o.line(format!("public CompletableFuture<List<{row}>> {f}Async(List<Object> key, {row} after, Integer limit) {{"))
            .indent()
            .line(format!(
                "return engine.rowsAsync({}, key, after == null ? null : after.key(), limit).thenApply(rs -> Wire.list(rs, {row}::fromMap));",
                lit(&t.name)
            ))
            .dedent()
            .line("}");
        // One overload per key prefix: todoRows(), todoRows(listId), ...
        for k in 0..=keys.len() {
            let ps: Vec<String> = keys[..k]
                .iter()
                .map(|f| format!("{} {}", g.ty(&f.ty, false), prop(&f.name)))
                .collect();
            let vs: Vec<String> = keys[..k]
                .iter()
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            let key = format!("Arrays.asList({})", vs.join(", "));
            for (suffix, ret) in [
                ("", format!("List<{row}>")),
                ("Async", format!("CompletableFuture<List<{row}>>")),
            ] {
                o.blank();
                o.line(format!("public {ret} {f}{suffix}({}) {{", ps.join(", ")))
                    .indent()
                    .line(format!("return {f}{suffix}({key}, null, null);"))
                    .dedent()
                    .line("}");
            }
        }
    }
    o.dedent().line("}");
    o.finish()
}
