//! The file of one model: its types and its typed facade.

use super::*;

pub(super) fn model_file(g: &Gen, m: &ModelSchema, seg: &str) -> String {
    let n = g.names_of(&m.name).expect("names of every model");
    let mut o = Out::new("    ");
    header(&mut o, &format!("{}.{seg}", g.base));
    let mn = &m.name;
    let reason = format!("{mn}Reason");
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");

    // Enums.
    for e in &m.enums {
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = n.enumeration(&e.name);
        o.line(format!("enum class {name}(val wire: String) {{"))
            .indent();
        for mem in &e.members {
            o.block_doc(mem.doc.as_deref(), "/**", " * ", " */");
            o.line(format!("{}({}),", screaming(&mem.name), lit(&mem.name)));
        }
        o.line(";");
        o.blank();
        o.line("companion object {").indent();
        o.line("/** The member named [wire] in the model; [IllegalArgumentException] for another name. */");
        o.line("@JvmStatic");
        o.line(format!(
            "fun fromWire(wire: String): {name} = entries.firstOrNull {{ it.wire == wire }} ?: throw IllegalArgumentException(\"no {name} member \" + wire)"
        ));
        o.dedent().line("}");
        o.dedent().line("}");
        o.blank();
    }

    // Records.
    for r in &m.records {
        let name = n.record(&r.name);
        g.data_class(
            &mut o,
            r.doc.as_deref(),
            name,
            &r.fields,
            false,
            "",
            &mut |o| {
                g.map_members(o, name, &r.fields, false, "toMap", "");
            },
        );
        o.blank();
    }

    // State.
    let state_doc = format!("The state of a {mn} stream: every field is always present.");
    g.data_class(
        &mut o,
        Some(&state_doc),
        &state,
        &m.state,
        false,
        "",
        &mut |o| {
            g.map_members(o, &state, &m.state, false, "toMap", "");
        },
    );
    o.blank();

    // Reasons.
    let reasons = m.reasons();
    o.line(format!("/** Every reason a {mn} command may reject with ([EventfoldException.Rejected.reason]). */"));
    o.line(format!("enum class {reason}(val wire: String) {{"))
        .indent();
    for r in &reasons {
        o.line(format!("{}({}),", screaming(r), lit(r)));
    }
    o.line(";");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The reason of a rejection, or `null` for a `reject` without one (or a reason this model does not declare). */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun of(rejected: EventfoldException.Rejected): {reason}? = entries.firstOrNull {{ it.wire == rejected.reason }}"
    ));
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    o.line(format!(
        "/** This model's reason of a rejection (null: none, or not one of {mn}'s). */"
    ));
    o.line(format!(
        "val EventfoldException.Rejected.{}Reason: {reason}? get() = {reason}.of(this)",
        camel(mn)
    ));
    o.blank();

    // Commands.
    o.line(format!(
        "/** A command of {mn}: `{{type, data}}` for the engine. */"
    ));
    o.line(format!("sealed interface {command} {{")).indent();
    o.line("/** The command's name in the model (`create-new`). */");
    o.line("val type: String");
    o.blank();
    o.line("/** The reasons this command may reject with. */");
    o.line(format!("val reasons: Set<{reason}>"));
    o.blank();
    o.line("/** The command's params as the engine takes them. */");
    o.line("fun data(): Map<String, Any?>");
    o.blank();
    o.line("/** `{type, data}`, for [Engine.execute] and [Domain.propose]. */");
    o.line("fun toMap(): Map<String, Any?> = mapOf(\"type\" to type, \"data\" to data())");
    o.dedent().line("}");
    o.blank();
    for c in &m.commands {
        let name = n.command(&c.name);
        let supers = format!(" : {command}");
        g.data_class(
            &mut o,
            c.doc.as_deref(),
            name,
            &c.params,
            true,
            &supers,
            &mut |o| {
                o.line("override val type: String get() = TYPE");
                o.blank();
                o.line(format!(
                    "override val reasons: Set<{reason}> get() = REASONS"
                ));
                o.blank();
                cmd_data(g, o, c);
                o.blank();
                open_companion(o, &c.params);
                o.line(format!("const val TYPE: String = {}", lit(&c.name)));
                o.blank();
                let rs: Vec<String> = c
                    .reasons()
                    .iter()
                    .map(|r| format!("{reason}.{}", screaming(r)))
                    .collect();
                o.line(format!("/** The reasons {} may reject with. */", c.name));
                o.line("@JvmField");
                o.line(format!(
                    "val REASONS: Set<{reason}> = setOf({})",
                    rs.join(", ")
                ));
                close_companion(o, &c.params);
            },
        );
        o.blank();
    }

    // Events.
    o.line(format!(
        "/** An event of {mn}, at its current version, as a stream records it. */"
    ));
    o.line(format!("sealed interface {event} {{")).indent();
    o.line("/** The event's name in the model (`created`). */");
    o.line("val type: String");
    o.blank();
    o.line("/** The event's fields as the engine gives them. */");
    o.line("fun data(): Map<String, Any?>");
    o.blank();
    o.line("/** `{type, data}`, for [Domain.accept] and [Domain.replay]. */");
    o.line("fun toMap(): Map<String, Any?> = mapOf(\"type\" to type, \"data\" to data())");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The event of [type] with [data]; [IllegalArgumentException] for a type the model does not have. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun fromMap(type: String, data: Map<*, *>): {event} ="
    ))
    .indent();
    o.line("when (type) {").indent();
    for e in &m.events {
        o.line(format!(
            "{} -> {}.fromMap(data)",
            lit(&e.name),
            n.event(&e.name)
        ));
    }
    o.line(format!(
        "else -> throw IllegalArgumentException(\"{mn} has no event \" + type)"
    ));
    o.dedent().line("}");
    o.dedent();
    o.blank();
    o.line("/** A stored event's type and data, decoded. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun from(stored: StoredEvent): {event} = fromMap(stored.type, stored.data)"
    ));
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    for e in &m.events {
        event_class(g, &mut o, e, n.event(&e.name), &event);
        o.blank();
    }

    facade(g, &mut o, m, n);
    o.finish()
}

pub(super) fn cmd_data(g: &Gen, o: &mut Out, c: &CommandSchema) {
    if c.params.is_empty() {
        o.line("override fun data(): Map<String, Any?> = emptyMap()");
        return;
    }
    o.line("override fun data(): Map<String, Any?> {").indent();
    o.line("val m = LinkedHashMap<String, Any?>()");
    for f in &c.params {
        let ty = if f.required {
            f.ty.clone()
        } else {
            non_null(&f.ty)
        };
        let v = g.encode(&prop(&f.name), &ty, 0);
        if !f.required {
            o.line(format!(
                "if ({} != null) m[{}] = {v}",
                prop(&f.name),
                lit(&f.name)
            ));
        } else {
            o.line(format!("m[{}] = {v}", lit(&f.name)));
        }
    }
    o.line("return m");
    o.dedent().line("}");
}

pub(super) fn event_class(g: &Gen, o: &mut Out, e: &EventSchema, name: &str, union: &str) {
    let supers = format!(" : {union}");
    g.data_class(
        o,
        e.doc.as_deref(),
        name,
        &e.fields,
        false,
        &supers,
        &mut |o| {
            o.line("override val type: String get() = TYPE");
            o.blank();
            if e.fields.is_empty() {
                o.line("override fun data(): Map<String, Any?> = emptyMap()");
            } else {
                o.line("override fun data(): Map<String, Any?> {").indent();
                o.line("val m = LinkedHashMap<String, Any?>()");
                for f in &e.fields {
                    o.line(format!(
                        "m[{}] = {}",
                        lit(&f.name),
                        g.encode(&prop(&f.name), &f.ty, 0)
                    ));
                }
                o.line("return m");
                o.dedent().line("}");
            }
            o.blank();
            open_companion(o, &e.fields);
            o.line(format!("const val TYPE: String = {}", lit(&e.name)));
            o.blank();
            o.line("/** The version of the event's shape. */");
            o.line(format!("const val SCHEMA: Long = {}", e.version));
            o.blank();
            o.line("@JvmStatic");
            if e.fields.is_empty() {
                o.line(format!(
                    "fun fromMap(@Suppress(\"UNUSED_PARAMETER\") data: Map<*, *>): {name} = {name}"
                ));
            } else {
                o.line(format!("fun fromMap(data: Map<*, *>): {name} ="))
                    .indent();
                o.line(format!("{name}(")).indent();
                for f in &e.fields {
                    o.line(format!(
                        "{},",
                        g.decode(&format!("data[{}]", lit(&f.name)), &f.ty, 0)
                    ));
                }
                o.dedent().line(")");
                o.dedent();
            }
            close_companion(o, &e.fields);
        },
    );
}

/// A query's Kotlin parameters, its args map expression, and its result.
pub(super) fn query_parts(g: &Gen, q: &QuerySchema) -> (String, String, String, String) {
    let params: Vec<String> = q
        .params
        .iter()
        .map(|f| {
            let p = g.param(f, true);
            p.trim_start_matches("val ").to_string()
        })
        .collect();
    let args = if q.params.is_empty() {
        "null".to_string()
    } else {
        let entries: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                let ty = g.field_type(f, true);
                format!("{} to {}", lit(&f.name), g.encode(&prop(&f.name), &ty, 0))
            })
            .collect();
        if q.params.iter().all(|f| f.required) {
            format!("mapOf({})", entries.join(", "))
        } else {
            format!(
                "mapOf({}).filterValues {{ it != null }}",
                entries.join(", ")
            )
        }
    };
    let ret = g.ty(&q.returns);
    let conv = g.decode("r", &q.returns, 0);
    (params.join(", "), args, ret, conv)
}

pub(super) fn facade(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames) {
    let mn = &m.name;
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");
    o.line("/**");
    o.line(format!(" * {mn} over an [Engine], typed: `{mn}Model(engine).stream(\"id\")` is the stream `{mn}-id`."));
    o.line(" * Every call goes through the engine; this class only names and converts.");
    o.line(" * A rejection is [EventfoldException.Rejected]; its typed reason is");
    o.line(format!(" * `e.{}Reason`.", camel(mn)));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("class {mn}Model(val engine: Engine) {{"))
        .indent();
    o.line(format!("/** The stream `{mn}-[id]`. */"));
    o.line("fun stream(id: String): Stream = Stream(id)");
    o.blank();
    o.line(
        "/** One stream of the model; [suspending] has the same calls as `suspend` functions. */",
    );
    o.line("inner class Stream(val streamId: String) {")
        .indent();
    o.line("/** The same calls, as `suspend` functions: each suspends the caller while the engine works on its executor. */");
    o.line("val suspending: Suspending get() = Suspending()");
    o.blank();
    stream_methods(g, o, m, n, false);
    o.blank();
    o.line("inner class Suspending {").indent();
    stream_methods(g, o, m, n, true);
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();
    o.line("companion object {").indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("const val NAME: String = {}", lit(mn)));
    o.blank();
    o.line("/** The events [command] emits on [state] (null: the initial state), with no store; or [EventfoldException.Rejected]. */");
    o.line("@JvmStatic");
    o.line("@JvmOverloads");
    o.line(format!(
        "fun propose(domain: Domain, state: {state}?, command: {command}, now: java.time.Instant? = null): List<{event}> ="
    ))
    .indent();
    o.line("domain.propose(NAME, state?.toMap(), command.toMap(), now).map { e ->")
        .indent();
    o.line(format!(
        "{event}.fromMap(e[\"type\"] as String, e[\"data\"] as Map<*, *>)"
    ));
    o.dedent().line("}");
    o.dedent();
    o.blank();
    o.line("/** The state after [events], in order, from the initial state, with no store. */");
    o.line("@JvmStatic");
    o.line(format!(
        "fun replay(domain: Domain, events: List<{event}>): {state} ="
    ))
    .indent()
    .line(format!(
        "{state}.fromMap(domain.replay(NAME, events.map {{ it.toMap() }}))"
    ))
    .dedent();
    o.dedent().line("}");
    o.dedent().line("}");
}

pub(super) fn stream_methods(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames, suspend: bool) {
    let mn = &m.name;
    let command = format!("{mn}Command");
    let event = format!("{mn}Event");
    let state = format!("{mn}State");
    let (fun, eng) = if suspend {
        ("suspend fun", "engine.suspending")
    } else {
        ("fun", "engine")
    };
    o.line("/** Executes [command] on this stream: the events it appended, decoded. */");
    o.line(format!(
        "{fun} execute(command: {command}, options: ExecuteOptions = ExecuteOptions()): TypedExecuted<{event}> ="
    ))
    .indent()
    .line(format!("{eng}.execute(NAME, streamId, command.toMap(), options).typed {{ {event}.from(it) }}"))
    .dedent();
    for c in &m.commands {
        let name = n.command(&c.name);
        o.blank();
        o.block_doc(c.doc.as_deref(), "/**", " * ", " */");
        o.line(format!(
            "{fun} {}(command: {name}, options: ExecuteOptions = ExecuteOptions()): TypedExecuted<{event}> = execute(command, options)",
            camel(&c.name)
        ));
    }
    o.blank();
    o.line("/** The stream's state and version (0: no events yet). */");
    o.line(format!(
        "{fun} load(): TypedLoaded<{state}> = {eng}.load(NAME, streamId).typed {{ {state}.fromMap(it) }}"
    ));
    o.blank();
    o.line("/** The stream's state. */");
    o.line(format!("{fun} state(): {state} = load().state"));
    o.blank();
    o.line("/** The stream's events, in order, decoded. */");
    o.line(format!(
        "{fun} events(): List<TypedEvent<{event}>> = {eng}.readStream(NAME + \"-\" + streamId).map {{ it.typed {{ e -> {event}.from(e) }} }}"
    ));
    for q in &m.queries {
        let (params, args, ret, conv) = query_parts(g, q);
        o.blank();
        o.block_doc(q.doc.as_deref(), "/**", " * ", " */");
        o.line(format!("{fun} {}({params}): {ret} {{", camel(&q.name)))
            .indent();
        o.line(format!(
            "val r = {eng}.query(NAME, streamId, {}, {args})",
            lit(&q.name)
        ));
        o.line(format!("return {conv}"));
        o.dedent().line("}");
    }
}
