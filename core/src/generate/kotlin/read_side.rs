//! The read side's file: table rows and the typed table readers.

use super::*;

pub(super) fn read_side_file(g: &Gen) -> String {
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/** The domain's tables, by name. */");
    o.line("object Tables {").indent();
    for t in &g.schema.tables {
        o.block_doc(t.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "const val {}: String = {}",
            screaming(&t.name),
            lit(&t.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The domain's projections, by name (for [Engine.rebuild], [Engine.waitFor]). */");
    o.line("object Projections {").indent();
    for p in &g.schema.projections {
        o.block_doc(p.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "const val {}: String = {}",
            screaming(&p.name),
            lit(&p.name)
        ));
    }
    o.dedent().line("}");
    o.blank();
    for t in &g.schema.tables {
        let fields: Vec<Field> = columns(t);
        let name = row_name(&t.name);
        let doc = match &t.doc {
            Some(d) => format!("A row of `{}`.\n\n{d}", t.name),
            None => format!("A row of `{}`.", t.name),
        };
        g.data_class(&mut o, Some(&doc), &name, &fields, false, "", &mut |o| {
            g.map_members(o, &name, &fields, false, "toMap", "");
            o.blank();
            o.line("/** The row's key, in key order (for `after`). */");
            let keys: Vec<String> = t
                .key
                .iter()
                .filter_map(|k| fields.iter().find(|f| &f.name == k))
                .map(|f| g.encode(&prop(&f.name), &f.ty, 0))
                .collect();
            o.line(format!(
                "fun key(): List<Any?> = listOf({})",
                keys.join(", ")
            ));
        });
        o.blank();
    }
    o.line("/** The tables over an [Engine], typed; [suspending] has the same reads as `suspend` functions. */");
    o.line("class ReadSide(val engine: Engine) {").indent();
    o.line("val suspending: Suspending get() = Suspending()");
    o.blank();
    read_methods(g, &mut o, false);
    o.blank();
    o.line("inner class Suspending {").indent();
    read_methods(g, &mut o, true);
    o.dedent().line("}");
    o.dedent().line("}");
    o.finish()
}

pub(super) fn read_methods(g: &Gen, o: &mut Out, suspend: bool) {
    let (fun, eng) = if suspend {
        ("suspend fun", "engine.suspending")
    } else {
        ("fun", "engine")
    };
    for t in &g.schema.tables {
        let fields = columns(t);
        let row = row_name(&t.name);
        let keys: Vec<&Field> = t
            .key
            .iter()
            .filter_map(|k| fields.iter().find(|f| &f.name == k))
            .collect();
        let mut params: Vec<String> = keys
            .iter()
            .map(|f| {
                let t = g.ty(&f.ty);
                let t = if t.ends_with('?') { t } else { t + "?" };
                format!("{}: {t} = null", prop(&f.name))
            })
            .collect();
        params.push(format!("after: {row}? = null"));
        params.push("limit: Int? = null".into());
        o.line(format!(
            "/** Rows of `{}` in key order: those whose key starts with the key values given (leading ones, in key order), after [after], at most [limit]. */",
            t.name
        ));
        o.line(format!(
            "{fun} {}({}): List<{row}> {{",
            camel(&t.name),
            params.join(", ")
        ))
        .indent();
        o.line("val key = ArrayList<Any?>()");
        let mut gap = Vec::new();
        for f in &keys {
            let ty = Ty::Optional {
                inner: Box::new(f.ty.clone()),
            };
            let p = prop(&f.name);
            let prev = gap.join(" || ");
            if prev.is_empty() {
                o.line(format!(
                    "if ({p} != null) key.add({})",
                    g.encode(&p, &ty, 0)
                ));
            } else {
                o.line(format!("if ({p} != null) {{")).indent();
                o.line(format!(
                    "require(!({prev})) {{ \"give the key values of `{}` in key order\" }}",
                    t.name
                ));
                o.line(format!("key.add({})", g.encode(&p, &ty, 0)));
                o.dedent().line("}");
            }
            gap.push(format!("{p} == null"));
        }
        o.line(format!(
            "return {eng}.rows({}, key, after?.key(), limit).map {{ {row}.fromMap(it) }}",
            lit(&t.name)
        ));
        o.dedent().line("}");
        o.blank();
    }
}
