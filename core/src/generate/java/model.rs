//! The file of one model: its types and its typed facade.

use super::*;

pub(super) fn model_file(g: &Gen, m: &ModelSchema) -> String {
    let n = g.names_of(&m.name).expect("names of every model");
    let mn = &m.name;
    let mut o = Out::new("    ");
    header(&mut o, &g.base);
    o.line("/**");
    o.line(format!(" * The model {mn}: its types, nested ({{@code {mn}.Event}}, {{@code {mn}.State}}, ...), and a typed"));
    o.line(format!(" * facade over an {{@link Engine}}: {{@code new {mn}(engine).stream(\"id\")}} is the stream {{@code {mn}-id}}."));
    o.line(
        " * Every call goes through the engine; this class only names and converts. A rejection",
    );
    o.line(format!(" * is {{@link EventfoldException.Rejected}}; {{@code {mn}.Reason.of(e)}} is its typed reason."));
    if let Some(d) = &m.doc {
        o.line(" *");
        for l in d.lines() {
            o.line(format!(" * {l}").trim_end());
        }
    }
    o.line(" */");
    o.line(format!("public final class {mn} {{")).indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("public static final String NAME = {};", lit(mn)));
    o.blank();
    o.line("private final Engine engine;");
    o.blank();
    o.line(format!("public {mn}(Engine engine) {{"))
        .indent()
        .line("this.engine = Objects.requireNonNull(engine, \"engine\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("public Engine engine() {")
        .indent()
        .line("return engine;")
        .dedent()
        .line("}");
    o.blank();

    for e in &m.enums {
        o.block_doc(e.doc.as_deref(), "/**", " * ", " */");
        let name = n.enumeration(&e.name);
        o.line(format!("public enum {name} {{")).indent();
        let k = e.members.len();
        for (i, mem) in e.members.iter().enumerate() {
            o.block_doc(mem.doc.as_deref(), "/**", " * ", " */");
            o.line(format!(
                "{}({}){}",
                screaming(&mem.name),
                lit(&mem.name),
                if i + 1 < k { "," } else { ";" }
            ));
        }
        if k == 0 {
            o.line(";");
        }
        enum_body(&mut o, name);
        o.dedent().line("}");
        o.blank();
    }

    for r in &m.records {
        let name = n.record(&r.name);
        g.record(
            &mut o,
            r.doc.as_deref(),
            name,
            &r.fields,
            false,
            "",
            &mut |o| {
                g.to_map(o, &r.fields, false, "toMap", false);
                o.blank();
                g.write_from_map(o, name, &r.fields, false);
            },
        );
        o.blank();
    }

    let sdoc = format!("The state of a {mn} stream: every field is always present.");
    g.record(
        &mut o,
        Some(&sdoc),
        "State",
        &m.state,
        false,
        "",
        &mut |o| {
            g.to_map(o, &m.state, false, "toMap", false);
            o.blank();
            g.write_from_map(o, "State", &m.state, false);
        },
    );
    o.blank();

    // Reasons.
    o.line(format!("/** Every reason a {mn} command may reject with ({{@link EventfoldException.Rejected#getReason()}}). */"));
    o.line("public enum Reason {").indent();
    let reasons = m.reasons();
    let k = reasons.len();
    for (i, r) in reasons.iter().enumerate() {
        o.line(format!(
            "{}({}){}",
            screaming(r),
            lit(r),
            if i + 1 < k { "," } else { ";" }
        ));
    }
    if k == 0 {
        o.line(";");
    }
    enum_body(&mut o, "Reason");
    o.blank();
    o.line("/** The reason of a rejection; null for a {@code reject} without one (or a reason this model does not declare). */");
    o.line("public static Reason of(EventfoldException.Rejected rejected) {")
        .indent();
    o.line("for (Reason r : values()) {").indent();
    o.line("if (r.wire.equals(rejected.getReason())) {")
        .indent()
        .line("return r;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.line("return null;");
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();

    // Commands.
    // No `permits` list: the records that implement it are in this one
    // compilation unit, which makes them the permitted ones (JLS 8.1.6),
    // and a new command or event then adds lines and changes none. A
    // sealed interface must have one, so with none it is a plain one.
    let sealed = |list: Vec<&str>| if list.is_empty() { "" } else { "sealed " };
    o.line(format!(
        "/** A command of {mn}: {{@code {{type, data}}}} for the engine. */"
    ));
    o.line(format!(
        "public {}interface Command {{",
        sealed(m.commands.iter().map(|c| n.command(&c.name)).collect())
    ))
    .indent();
    o.line("/** The command's name in the model ({@code create-new}). */");
    o.line("String type();");
    o.blank();
    o.line("/** The reasons this command may reject with. */");
    o.line("Set<Reason> reasons();");
    o.blank();
    o.line("/** The command's params as the engine takes them. */");
    o.line("Map<String, Object> data();");
    o.blank();
    o.line("/** {@code {type, data}}, for {@link Engine#execute} and {@link Domain#propose}. */");
    o.line("default Map<String, Object> toMap() {")
        .indent()
        .line("Map<String, Object> m = new LinkedHashMap<>();")
        .line("m.put(\"type\", type());")
        .line("m.put(\"data\", data());")
        .line("return m;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.blank();
    for c in &m.commands {
        let name = n.command(&c.name);
        g.record(
            &mut o,
            c.doc.as_deref(),
            name,
            &c.params,
            true,
            " implements Command",
            &mut |o| {
                o.line(format!(
                    "public static final String TYPE = {};",
                    lit(&c.name)
                ));
                o.blank();
                let rs: Vec<String> = c
                    .reasons()
                    .iter()
                    .map(|r| format!("Reason.{}", screaming(r)))
                    .collect();
                o.line(format!(
                    "/** The reasons {} may reject with, in declared order. */",
                    c.name
                ));
                let set = if rs.is_empty() {
                    "EnumSet.noneOf(Reason.class)".to_string()
                } else {
                    format!("EnumSet.of({})", rs.join(", "))
                };
                o.line(format!(
                    "public static final Set<Reason> REASONS = Collections.unmodifiableSet({set});"
                ));
                o.blank();
                o.line("@Override");
                o.line("public String type() {")
                    .indent()
                    .line("return TYPE;")
                    .dedent()
                    .line("}");
                o.blank();
                o.line("@Override");
                o.line("public Set<Reason> reasons() {")
                    .indent()
                    .line("return REASONS;")
                    .dedent()
                    .line("}");
                o.blank();
                g.to_map(o, &c.params, true, "data", true);
            },
        );
        o.blank();
    }

    // Events.
    o.line(format!(
        "/** An event of {mn}, at its current version, as a stream records it. */"
    ));
    o.line(format!(
        "public {}interface Event {{",
        sealed(m.events.iter().map(|e| n.event(&e.name)).collect())
    ))
    .indent();
    o.line("/** The event's name in the model ({@code created}). */");
    o.line("String type();");
    o.blank();
    o.line("/** The event's fields as the engine gives them. */");
    o.line("Map<String, Object> data();");
    o.blank();
    o.line("/** {@code {type, data}}, for {@link Domain#accept} and {@link Domain#replay}. */");
    o.line("default Map<String, Object> toMap() {")
        .indent()
        .line("Map<String, Object> m = new LinkedHashMap<>();")
        .line("m.put(\"type\", type());")
        .line("m.put(\"data\", data());")
        .line("return m;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The event of {@code type} with {@code data}; IllegalArgumentException for a type the model does not have. */");
    o.line("static Event fromMap(String type, Map<?, ?> data) {")
        .indent();
    o.line("return switch (type) {").indent();
    for e in &m.events {
        o.line(format!(
            "case {} -> {}.fromMap(data);",
            lit(&e.name),
            n.event(&e.name)
        ));
    }
    o.line(format!(
        "default -> throw new IllegalArgumentException(\"{mn} has no event \" + type);"
    ));
    o.dedent().line("};");
    o.dedent().line("}");
    o.blank();
    o.line("/** A stored event's type and data, decoded. */");
    o.line("static Event from(StoredEvent stored) {")
        .indent()
        .line("return fromMap(stored.getType(), stored.getData());")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.blank();
    for e in &m.events {
        event_record(g, &mut o, e, n.event(&e.name));
        o.blank();
    }

    facade(g, &mut o, m, n);
    o.dedent().line("}");
    o.finish()
}

pub(super) fn enum_body(o: &mut Out, name: &str) {
    o.blank();
    o.line("/** The member's name in the model. */");
    o.line("public final String wire;");
    o.blank();
    o.line(format!("{name}(String wire) {{"))
        .indent()
        .line("this.wire = wire;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The member named {@code wire} in the model; IllegalArgumentException for another name. */");
    o.line(format!("public static {name} fromWire(String wire) {{"))
        .indent();
    o.line(format!("for ({name} v : values()) {{")).indent();
    o.line("if (v.wire.equals(wire)) {")
        .indent()
        .line("return v;")
        .dedent()
        .line("}");
    o.dedent().line("}");
    o.line(format!(
        "throw new IllegalArgumentException(\"no {name} member \" + wire);"
    ));
    o.dedent().line("}");
}

pub(super) fn event_record(g: &Gen, o: &mut Out, e: &EventSchema, name: &str) {
    g.record(
        o,
        e.doc.as_deref(),
        name,
        &e.fields,
        false,
        " implements Event",
        &mut |o| {
            o.line(format!(
                "public static final String TYPE = {};",
                lit(&e.name)
            ));
            o.blank();
            o.line("/** The version of the event's shape. */");
            o.line(format!("public static final long SCHEMA = {};", e.version));
            o.blank();
            o.line("@Override");
            o.line("public String type() {")
                .indent()
                .line("return TYPE;")
                .dedent()
                .line("}");
            o.blank();
            g.to_map(o, &e.fields, false, "data", true);
            o.blank();
            g.write_from_map(o, name, &e.fields, false);
        },
    );
}

pub(super) fn query_parts(g: &Gen, q: &QuerySchema) -> (String, String) {
    let params: Vec<String> = q
        .params
        .iter()
        .map(|f| format!("{} {}", g.ty(&g.field_type(f, true), false), prop(&f.name)))
        .collect();
    let names: Vec<String> = q.params.iter().map(|f| prop(&f.name)).collect();
    (params.join(", "), names.join(", "))
}

pub(super) fn facade(g: &Gen, o: &mut Out, m: &ModelSchema, n: &TypeNames) {
    o.line("/** The stream {@code NAME-id}. */");
    o.line("public Stream stream(String id) {")
        .indent()
        .line("return new Stream(id);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** One stream of the model: each call blocks, and has an {@code ...Async} twin that runs on the engine's executor. */");
    o.line("public final class Stream {").indent();
    o.line("private final String streamId;");
    o.blank();
    o.line("Stream(String streamId) {")
        .indent()
        .line("this.streamId = Objects.requireNonNull(streamId, \"id\");")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's id (without the model's name). */");
    o.line("public String id() {")
        .indent()
        .line("return streamId;")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** Executes {@code command} on this stream: the events it appended, decoded. */");
    o.line("public TypedExecuted<Event> execute(Command command, ExecuteOptions options) {")
        .indent()
        .line("return Typed.typed(engine.execute(NAME, streamId, command.toMap(), options), Event::from);")
        .dedent()
        .line("}");
    o.blank();
    o.line("public TypedExecuted<Event> execute(Command command) {")
        .indent()
        .line("return execute(command, new ExecuteOptions());")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** {@link #execute} on the engine's executor. */");
    o.line("public CompletableFuture<TypedExecuted<Event>> executeAsync(Command command, ExecuteOptions options) {")
        .indent()
        .line("return engine.executeAsync(NAME, streamId, command.toMap(), options).thenApply(r -> Typed.typed(r, Event::from));")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<TypedExecuted<Event>> executeAsync(Command command) {")
        .indent()
        .line("return executeAsync(command, new ExecuteOptions());")
        .dedent()
        .line("}");
    for c in &m.commands {
        let name = n.command(&c.name);
        let f = camel(&c.name);
        let f = if KEYWORDS.contains(&f.as_str()) {
            f + "_"
        } else {
            f
        };
        for (suffix, ret, call) in [
            ("", "TypedExecuted<Event>", "execute"),
            (
                "Async",
                "CompletableFuture<TypedExecuted<Event>>",
                "executeAsync",
            ),
        ] {
            o.blank();
            o.block_doc(c.doc.as_deref(), "/**", " * ", " */");
            o.line(format!(
                "public {ret} {f}{suffix}({name} command, ExecuteOptions options) {{"
            ))
            .indent()
            .line(format!("return {call}(command, options);"))
            .dedent()
            .line("}");
            o.blank();
            o.line(format!("public {ret} {f}{suffix}({name} command) {{"))
                .indent()
                .line(format!("return {call}(command, new ExecuteOptions());"))
                .dedent()
                .line("}");
        }
    }
    o.blank();
    o.line("/** The stream's state and version (0: no events yet). */");
    o.line("public TypedLoaded<State> load() {")
        .indent()
        .line("return Typed.typed(engine.load(NAME, streamId), State::fromMap);")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<TypedLoaded<State>> loadAsync() {")
        .indent()
        .line("return engine.loadAsync(NAME, streamId).thenApply(r -> Typed.typed(r, State::fromMap));")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's state. */");
    o.line("public State state() {")
        .indent()
        .line("return load().getState();")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<State> stateAsync() {")
        .indent()
        .line("return loadAsync().thenApply(TypedLoaded::getState);")
        .dedent()
        .line("}");
    o.blank();
    o.line("/** The stream's events, in order, decoded. */");
    o.line("public List<TypedEvent<Event>> events() {")
        .indent()
        .line("return Wire.list(engine.readStream(NAME + \"-\" + streamId), e -> Typed.typed(e, Event::from));")
        .dedent()
        .line("}");
    o.blank();
    o.line("public CompletableFuture<List<TypedEvent<Event>>> eventsAsync() {")
        .indent()
        .line("return engine.readStreamAsync(NAME + \"-\" + streamId).thenApply(es -> Wire.list(es, e -> Typed.typed(e, Event::from)));")
        .dedent()
        .line("}");
    for q in &m.queries {
        let (params, _names) = query_parts(g, q);
        let ret = g.ty(&q.returns, true);
        let f = camel(&q.name);
        let f = if KEYWORDS.contains(&f.as_str()) {
            f + "_"
        } else {
            f
        };
        let args = if q.params.is_empty() {
            "null".to_string()
        } else {
            "args".to_string()
        };
        let build_args = |o: &mut Out| {
            if !q.params.is_empty() {
                o.line("Map<String, Object> args = new LinkedHashMap<>();");
                for p in &q.params {
                    let ty = g.field_type(p, true);
                    let v = g.encode(&prop(&p.name), &ty, 0);
                    if !p.required {
                        o.line(format!(
                            "if ({} != null) args.put({}, {v});",
                            prop(&p.name),
                            lit(&p.name)
                        ));
                    } else {
                        o.line(format!("args.put({}, {v});", lit(&p.name)));
                    }
                }
            }
        };
        let conv = g.boxed(&g.decode("r", &q.returns, 0), &q.returns);
        o.blank();
        o.block_doc(q.doc.as_deref(), "/**", " * ", " */");
        o.line(format!("public {ret} {f}({params}) {{")).indent();
        build_args(o);
        o.line(format!(
            "Object r = engine.query(NAME, streamId, {}, {args});",
            lit(&q.name)
        ));
        o.line(format!("return {conv};"));
        o.dedent().line("}");
        o.blank();
        o.line(format!(
            "public CompletableFuture<{ret}> {f}Async({params}) {{"
        ))
        .indent();
        build_args(o);
        o.line(format!(
            "return engine.queryAsync(NAME, streamId, {}, {args}).thenApply(r -> {conv});",
            lit(&q.name)
        ));
        o.dedent().line("}");
    }
    o.dedent().line("}");
    o.blank();
    o.line("/** The events {@code command} emits on {@code state} (null: the initial state), with no store; or {@link EventfoldException.Rejected}. */");
    o.line("public static List<Event> propose(Domain domain, State state, Command command) {")
        .indent()
        .line("return Wire.list(domain.propose(NAME, state == null ? null : state.toMap(), command.toMap()),")
        .line("        e -> Event.fromMap((String) e.get(\"type\"), (Map<?, ?>) e.get(\"data\")));")
        .dedent()
        .line("}");
    o.blank();
    o.line(
        "/** The state after {@code events}, in order, from the initial state, with no store. */",
    );
    o.line("public static State replay(Domain domain, List<? extends Event> events) {")
        .indent()
        .line("return State.fromMap(domain.replay(NAME, Wire.list(events, Event::toMap)));")
        .dedent()
        .line("}");
}
