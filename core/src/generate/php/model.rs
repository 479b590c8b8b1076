//! The file of one model: its types and its typed facade.

use super::*;

pub(super) fn model_file(n: &Names, m: &ModelSchema) -> File {
    let mname = pascal(&m.name);
    let mut o = Out::new("    ");
    o.line("<?php");
    o.blank();
    o.line(format!("// {}", banner()));
    o.blank();
    o.line("declare(strict_types=1);");
    o.blank();
    o.line(format!("namespace {};", n.model_ns(&m.name)));
    o.blank();
    o.line("use Eventfold\\Engine;");
    o.line("use Eventfold\\Exception\\RejectedException;");

    for e in &m.enums {
        o.blank();
        docblock(&mut o, e.doc.as_deref());
        o.line(format!("enum {}: string", class_name(&e.name)));
        o.line("{");
        o.indent();
        for mem in &e.members {
            docblock(&mut o, mem.doc.as_deref());
            o.line(format!(
                "case {} = {};",
                class_name(&mem.name),
                php_string(&mem.name)
            ));
        }
        o.dedent();
        o.line("}");
    }
    for r in &m.records {
        o.blank();
        value_class(
            &mut o,
            n,
            &class_name(&r.name),
            r.doc.as_deref(),
            &r.fields,
            false,
            &[],
        );
    }
    o.blank();
    let state = format!("{mname}State");
    let state_doc = format!(
        "The state of a {} stream.{}",
        m.name,
        m.doc
            .as_deref()
            .map(|d| format!("\n\n{d}"))
            .unwrap_or_default()
    );
    value_class(&mut o, n, &state, Some(&state_doc), &m.state, false, &[]);

    // Reasons.
    let reasons = m.reasons();
    let rejection = format!("{mname}Rejection");
    o.blank();
    o.line(format!(
        "/** The reasons a {} command may reject with (`RejectedException::$reason`). */",
        m.name
    ));
    o.line(format!("enum {rejection}: string"));
    o.line("{");
    o.indent();
    for r in &reasons {
        o.line(format!("case {} = {};", class_name(r), php_string(r)));
    }
    if !reasons.is_empty() {
        o.blank();
    }
    o.line("/** The reason of a rejection of this model, or null (a `reject` without one). */");
    o.line("public static function of(RejectedException $e): ?self");
    o.line("{");
    o.indent()
        .line("return $e->reason === null ? null : self::tryFrom($e->reason);")
        .dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Commands.
    for c in &m.commands {
        o.blank();
        let mut d = c.doc.clone().unwrap_or_default();
        let rs: Vec<String> = c
            .reasons()
            .iter()
            .map(|r| format!("{rejection}::{}", class_name(r)))
            .collect();
        if !rs.is_empty() {
            if !d.is_empty() {
                d.push_str("\n\n");
            }
            d.push_str(&format!("May reject with {}.", rs.join(", ")));
        }
        let consts = vec![format!("public const TYPE = {};", php_string(&c.name))];
        value_class(
            &mut o,
            n,
            &class_name(&c.name),
            Some(&d).filter(|d| !d.is_empty()).map(|s| s.as_str()),
            &c.params,
            true,
            &consts,
        );
    }
    // Events.
    for e in &m.events {
        o.blank();
        let consts = vec![
            format!("public const TYPE = {};", php_string(&e.name)),
            format!("public const VERSION = {};", e.version),
        ];
        value_class(
            &mut o,
            n,
            &event_class(m, &e.name),
            e.doc.as_deref(),
            &e.fields,
            false,
            &consts,
        );
    }
    let union: Vec<String> = m.events.iter().map(|e| event_class(m, &e.name)).collect();
    let union_ty = if union.is_empty() {
        "never".to_string()
    } else {
        union.join("|")
    };
    let events = format!("{mname}Events");
    o.blank();
    o.line(format!(
        "/** Reads {} events from what the engine returns. */",
        m.name
    ));
    o.line(format!("final class {events}"));
    o.line("{");
    o.indent();
    o.line("/** @param array<string, mixed> $event `{type, data, ...}`, a stored event or a proposed one */");
    o.line(format!(
        "public static function fromArray(array $event): {}",
        if union.is_empty() { "never" } else { &union_ty }
    ));
    o.line("{");
    o.indent();
    o.line("$data = $event['data'] ?? [];");
    o.line("return match ($event['type'] ?? null) {");
    o.indent();
    for e in &m.events {
        o.line(format!(
            "{} => {}::fromArray($data),",
            php_string(&e.name),
            event_class(m, &e.name)
        ));
    }
    o.line(format!(
        "default => throw new \\UnexpectedValueException('not a {} event: ' . json_encode($event['type'] ?? null)),",
        m.name
    ));
    o.dedent();
    o.line("};");
    o.dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Executed.
    let executed = format!("{mname}Executed");
    o.blank();
    o.line(format!(
        "/** What a {} command did: the stream, its new version, and the events. */",
        m.name
    ));
    o.line(format!("final readonly class {executed}"));
    o.line("{");
    o.indent();
    o.line("/**");
    o.line(" * @param string $stream `Model-id`");
    o.line(
        " * @param int $position the global position of the last event (0: none), for `waitFor`",
    );
    o.line(format!(" * @param list<{union_ty}> $events"));
    o.line(" * @param list<array<string, mixed>> $stored the events as stored: id, version, position, metadata ...");
    o.line(" */");
    o.line("public function __construct(");
    o.indent();
    o.line("public string $stream,");
    o.line("public int $version,");
    o.line("public int $position,");
    o.line("public array $events,");
    o.line("public array $stored,");
    o.dedent();
    o.line(") {");
    o.line("}");
    o.blank();
    o.line("/** @param array{stream: string, version: int, position: int, events: list<array<string, mixed>>} $a */");
    o.line("public static function fromArray(array $a): self");
    o.line("{");
    o.indent();
    o.line(format!(
        "return new self($a['stream'], $a['version'], $a['position'], array_map({events}::fromArray(...), $a['events']), $a['events']);"
    ));
    o.dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    // Facade.
    let model_class = format!("{mname}Model");
    let stream_class = format!("{mname}Stream");
    o.blank();
    o.line("/**");
    o.line(format!(
        " * The {} model on an engine: `(new {model_class}($engine))->stream('kitchen')`.",
        m.name
    ));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("final readonly class {model_class}"));
    o.line("{");
    o.indent();
    o.line(format!("public const NAME = {};", php_string(&m.name)));
    o.blank();
    o.line("public function __construct(public Engine $engine)");
    o.line("{");
    o.line("}");
    o.blank();
    o.line(format!("/** The stream `{}-$id`. */", m.name));
    o.line(format!(
        "public function stream(string $id): {stream_class}"
    ));
    o.line("{");
    o.indent()
        .line(format!("return new {stream_class}($this->engine, $id);"))
        .dedent();
    o.line("}");
    o.dedent();
    o.line("}");

    o.blank();
    o.line(format!(
        "/** One {} stream: a method per command and query, and its state. */",
        m.name
    ));
    o.line(format!("final readonly class {stream_class}"));
    o.line("{");
    o.indent();
    o.line("public function __construct(public Engine $engine, public string $id)");
    o.line("{");
    o.line("}");
    o.blank();
    o.line("/** The current state (the initial one for a new stream). */");
    o.line(format!("public function state(): {state}"));
    o.line("{");
    o.indent()
        .line(format!(
            "return {state}::fromArray($this->engine->load({model_class}::NAME, $this->id)['state']);"
        ))
        .dedent();
    o.line("}");
    o.blank();
    o.line("/** The stream's version: how many events it holds (0: none yet). */");
    o.line("public function version(): int");
    o.line("{");
    o.indent()
        .line(format!(
            "return $this->engine->load({model_class}::NAME, $this->id)['version'];"
        ))
        .dedent();
    o.line("}");
    let reserved_methods = ["state", "version", "__construct"];
    for c in &m.commands {
        o.blank();
        let cls = class_name(&c.name);
        let mut meth = camel(&c.name);
        if reserved_methods.contains(&meth.as_str()) || RESERVED.contains(&meth.as_str()) {
            meth.push_str("Command");
        }
        o.line("/**");
        if let Some(d) = &c.doc {
            for l in d.lines() {
                o.line(format!(" * {l}").trim_end());
            }
            o.line(" *");
        }
        o.line(" * @param array<string, mixed> $options `expected_version`, `command_id`, `metadata`, ... (Engine::execute)");
        o.line(
            " * @throws RejectedException when the model refuses: {@see ".to_string()
                + &rejection
                + "::of()}",
        );
        o.line(" */");
        let arg = if c.data_optional() {
            format!("{cls} $command = new {cls}()")
        } else {
            format!("{cls} $command")
        };
        o.line(format!(
            "public function {meth}({arg}, array $options = []): {executed}"
        ));
        o.line("{");
        o.indent();
        o.line(format!(
            "return {executed}::fromArray($this->engine->execute({model_class}::NAME, $this->id, ['type' => {cls}::TYPE, 'data' => $command->toArray()], $options));"
        ));
        o.dedent();
        o.line("}");
    }
    for q in &m.queries {
        o.blank();
        let mut meth = camel(&q.name);
        if reserved_methods.contains(&meth.as_str())
            || m.commands.iter().any(|c| camel(&c.name) == meth)
            || RESERVED.contains(&meth.as_str())
        {
            meth.push_str("Query");
        }
        let mut params: Vec<&Field> = q.params.iter().filter(|f| f.required).collect();
        params.extend(q.params.iter().filter(|f| !f.required));
        o.line("/**");
        if let Some(d) = &q.doc {
            for l in d.lines() {
                o.line(format!(" * {l}").trim_end());
            }
            o.line(" *");
        }
        for f in &params {
            let mut t = doc(n, &f.ty);
            if !f.required && !t.ends_with("|null") && t != "mixed" {
                t.push_str("|null");
            }
            o.line(format!(" * @param {t} ${}", prop(&f.name)));
        }
        o.line(format!(" * @return {}", doc(n, &q.returns)));
        o.line(" */");
        let sig: Vec<String> = params
            .iter()
            .map(|f| {
                let mut t = native(n, &f.ty);
                if !f.required && !t.starts_with('?') && t != "mixed" {
                    t = format!("?{t}");
                }
                let d = if f.required { "" } else { " = null" };
                format!("{t} ${}{d}", prop(&f.name))
            })
            .collect();
        o.line(format!(
            "public function {meth}({}): {}",
            sig.join(", "),
            native(n, &q.returns)
        ));
        o.line("{");
        o.indent();
        o.line("$args = [];");
        for f in &q.params {
            let v = format!("${}", prop(&f.name));
            if f.required {
                o.line(format!("$args['{}'] = {};", f.name, to_json(&f.ty, &v, 0)));
            } else {
                let t = Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                };
                o.line(format!("if ({v} !== null) {{"));
                o.indent()
                    .line(format!("$args['{}'] = {};", f.name, to_json(&t, &v, 0)))
                    .dedent();
                o.line("}");
            }
        }
        o.line(format!(
            "$r = $this->engine->query({model_class}::NAME, $this->id, {}, $args);",
            php_string(&q.name)
        ));
        o.line(format!("return {};", from_json(n, &q.returns, "$r", 0)));
        o.dedent();
        o.line("}");
    }
    o.dedent();
    o.line("}");
    File {
        path: format!("{mname}.php"),
        contents: o.finish(),
    }
}
