//! One model's file: records, enums, state, commands, events, reasons,
//! queries, and the `XModel`/`XStream`/`XDomain` classes.

use super::*;

pub(super) fn model_file(m: &ModelSchema) -> (String, Vec<String>) {
    let p = pascal(&m.name);
    let mut t = Types::new(&m.name);
    let mut o = Out::new("  ");
    let mut names: Vec<String> = Vec::new();
    let name = |names: &mut Vec<String>, n: String| {
        names.push(n.clone());
        n
    };

    // Records and enums.
    for e in &m.enums {
        let n = name(&mut names, pascal(&e.name));
        doc(&mut o, e.doc.as_deref());
        o.line(format!("export const {n} = {{")).indent();
        for mem in &e.members {
            doc(&mut o, mem.doc.as_deref());
            o.line(format!("{}: {},", field_name(&mem.name), lit(&mem.name)));
        }
        o.dedent().line("} as const");
        doc(&mut o, e.doc.as_deref());
        o.line(format!("export type {n} = (typeof {n})[keyof typeof {n}]"));
        o.blank();
    }
    for r in &m.records {
        let n = name(&mut names, pascal(&r.name));
        doc(&mut o, r.doc.as_deref());
        interface(&mut o, &n, |o| out_fields(o, &mut t, &r.fields));
        let d = format!("`{n}` as a command or query takes it.");
        doc(&mut o, Some(&d));
        interface(&mut o, &name(&mut names, format!("{n}Input")), |o| {
            in_fields(o, &mut t, &r.fields)
        });
        o.blank();
    }

    // State.
    let state = name(&mut names, format!("{p}State"));
    docs(
        &mut o,
        &[
            Some(&format!("The state of a `{}` stream.", m.name)),
            m.doc.as_deref(),
        ],
    );
    interface(&mut o, &state, |o| out_fields(o, &mut t, &m.state));
    o.blank();

    // Commands.
    for c in &m.commands {
        let cp = pascal(&c.name);
        let data = name(&mut names, command_data(c));
        docs(
            &mut o,
            &[
                c.doc.as_deref(),
                Some(&format!("The data of `{}`.", c.name)),
            ],
        );
        if c.params.is_empty() {
            o.line(format!("export type {data} = Record<string, never>"));
        } else {
            interface(&mut o, &data, |o| in_fields(o, &mut t, &c.params));
        }
        doc(&mut o, c.doc.as_deref());
        let q = if c.data_optional() { "?" } else { "" };
        o.line(format!(
            "export type {} = Omit<Command<{}, {data}>, 'data'> & {{ data{q}: {data} }}",
            name(&mut names, format!("{cp}Command")),
            lit(&c.name)
        ));
        let rd = rejections_doc(c);
        docs(
            &mut o,
            &[
                Some(&format!("The reasons `{}` may reject with.", c.name)),
                rd.as_deref(),
            ],
        );
        o.line(format!(
            "export type {} = {}",
            name(&mut names, format!("{cp}Reason")),
            reasons_type(c)
        ));
        o.blank();
    }
    let command_union = name(&mut names, format!("{p}Command"));
    doc(
        &mut o,
        Some(&format!("Every command of `{}`, by `type`.", m.name)),
    );
    o.line(format!("export type {command_union} ="));
    o.indent();
    if m.commands.is_empty() {
        o.line("never");
    }
    for c in &m.commands {
        o.line(format!("| {}Command", pascal(&c.name)));
    }
    o.dedent();
    let reasons = name(&mut names, format!("{p}Reasons"));
    doc(
        &mut o,
        Some("The reasons each command may reject with, by command."),
    );
    interface(&mut o, &reasons, |o| {
        for c in &m.commands {
            o.line(format!("{}: {}Reason", lit(&c.name), pascal(&c.name)));
        }
    });
    let reason = name(&mut names, format!("{p}Reason"));
    doc(
        &mut o,
        Some("Any reason a command of the model may reject with."),
    );
    o.line(format!("export type {reason} = {reasons}[keyof {reasons}]"));
    let reason_values = name(
        &mut names,
        format!("{}_REASONS", snake(&m.name).to_uppercase()),
    );
    doc(
        &mut o,
        Some("The same, as values (`null`: a `reject` without a reason)."),
    );
    o.line(format!(
        "export const {reason_values}: {{ readonly [C in keyof {reasons}]: ReadonlyArray<{reasons}[C]> }} = {{"
    ));
    o.indent();
    for c in &m.commands {
        let mut rs: Vec<String> = Vec::new();
        for r in &c.rejections {
            let s = r
                .reason
                .as_deref()
                .map(lit)
                .unwrap_or_else(|| "null".into());
            if !rs.contains(&s) {
                rs.push(s);
            }
        }
        o.line(format!("{}: [{}],", lit(&c.name), rs.join(", ")));
    }
    o.dedent().line("}");
    o.blank();

    // Events.
    for e in &m.events {
        let ep = pascal(&e.name);
        let data = name(&mut names, format!("{ep}EventData"));
        docs(
            &mut o,
            &[
                e.doc.as_deref(),
                Some(&format!(
                    "The data of `{}` (version {} of its shape).",
                    e.name, e.version
                )),
            ],
        );
        if e.fields.is_empty() {
            o.line(format!("export type {data} = Record<string, never>"));
        } else {
            interface(&mut o, &data, |o| out_fields(o, &mut t, &e.fields));
        }
        doc(&mut o, e.doc.as_deref());
        o.line(format!(
            "export type {} = DomainEvent<{}, {data}>",
            name(&mut names, format!("{ep}Event")),
            lit(&e.name)
        ));
        o.blank();
    }
    let event_union = name(&mut names, format!("{p}Event"));
    doc(
        &mut o,
        Some(&format!("Every event of `{}`, by `type`.", m.name)),
    );
    o.line(format!("export type {event_union} ="));
    o.indent();
    if m.events.is_empty() {
        o.line("never");
    }
    for e in &m.events {
        o.line(format!("| {}Event", pascal(&e.name)));
    }
    o.dedent();
    let stored = name(&mut names, format!("{p}StoredEvent"));
    doc(
        &mut o,
        Some(&format!(
            "An event of `{}` as the store keeps it: `type` narrows `data`.",
            m.name
        )),
    );
    o.line(format!("export type {stored} ="));
    o.indent();
    if m.events.is_empty() {
        o.line("never");
    }
    for e in &m.events {
        o.line(format!(
            "| StoredEvent<{}, {}EventData>",
            lit(&e.name),
            pascal(&e.name)
        ));
    }
    o.dedent();
    let stored_of = name(&mut names, format!("{p}StoredEventOf"));
    doc(&mut o, Some("The stored events of the types given."));
    o.line(format!(
        "export type {stored_of}<T extends {event_union}['type']> = Extract<{stored}, {{ type: T }}>"
    ));
    o.blank();

    // Queries.
    for q in &m.queries {
        if q.params.is_empty() {
            continue;
        }
        let args = name(&mut names, query_args(q));
        docs(
            &mut o,
            &[
                q.doc.as_deref(),
                Some(&format!("The arguments of `{}`.", q.name)),
            ],
        );
        interface(&mut o, &args, |o| in_fields(o, &mut t, &q.params));
    }
    let results = name(&mut names, format!("{p}QueryResults"));
    doc(&mut o, Some("What each query returns, by name."));
    interface(&mut o, &results, |o| {
        for q in &m.queries {
            doc(o, q.doc.as_deref());
            o.line(format!("{}: {}", lit(&q.name), t.out(&q.returns)));
        }
    });
    o.blank();

    let (cmds, qs) = method_names(m);
    let executed = |c: &CommandSchema| -> String {
        let mut emits: Vec<String> = Vec::new();
        for e in &c.emits {
            let e = e.split('@').next().unwrap_or(e);
            let l = lit(e);
            if !emits.contains(&l) && m.events.iter().any(|x| x.name == e) {
                emits.push(l);
            }
        }
        if emits.is_empty() {
            "Executed<never>".into()
        } else {
            format!("Executed<{stored_of}<{}>>", emits.join(" | "))
        }
    };
    let model_lit = lit(&m.name);

    // The stream class.
    let stream_class = name(&mut names, format!("{p}Stream"));
    docs(
        &mut o,
        &[
            Some(&format!(
                "One `{}` stream (`{}-<id>`) of an engine: a method per command and per query.",
                m.name, m.name
            )),
            m.doc.as_deref(),
        ],
    );
    o.line(format!("export class {stream_class} {{")).indent();
    o.line("constructor(")
        .indent()
        .line("readonly engine: Engine,")
        .line("/** The stream's id: the part after `Model-`. */")
        .line("readonly id: string,")
        .dedent()
        .line(") {}");
    o.blank();
    o.line(format!(
        "/** `{}-<id>`, as stored events name it. */",
        m.name
    ));
    o.line(format!(
        "get name(): string {{ return `{}-${{this.id}}` }}",
        m.name
    ));
    o.blank();
    o.line("/** Any command of the model. */");
    o.line(format!(
        "execute(command: {command_union}, options?: ExecuteOptions): Promise<Executed<{stored}>> {{"
    ));
    o.indent()
        .line(format!(
            "return this.engine.execute<{stored}>({model_lit}, this.id, command, options)"
        ))
        .dedent()
        .line("}");
    for (c, method) in m.commands.iter().zip(&cmds) {
        let data = command_data(c);
        let rd = rejections_doc(c);
        docs(&mut o, &[c.doc.as_deref(), rd.as_deref()]);
        let q = if c.data_optional() { "?" } else { "" };
        o.line(format!(
            "{method}(data{q}: {data}, options?: ExecuteOptions): Promise<{}> {{",
            executed(c)
        ))
        .indent();
        let ty = lit(&c.name);
        let cmd = if c.data_optional() {
            format!("data === undefined ? {{ type: {ty} }} : {{ type: {ty}, data }}")
        } else {
            format!("{{ type: {ty}, data }}")
        };
        o.line(format!("const command: {}Command = {cmd}", pascal(&c.name)));
        o.line(format!(
            "return this.engine.execute({model_lit}, this.id, command, options)"
        ));
        o.dedent().line("}");
    }
    o.blank();
    o.line("/** The state and the stream's version. */");
    o.line(format!("load(): Promise<Loaded<{state}>> {{"))
        .indent()
        .line(format!(
            "return this.engine.load<{state}>({model_lit}, this.id)"
        ))
        .dedent()
        .line("}");
    o.line("/** The state alone. */");
    o.line(format!("async state(): Promise<{state}> {{"))
        .indent()
        .line("return (await this.load()).state")
        .dedent()
        .line("}");
    o.line("/** The stream's events, upcast to their current shapes. */");
    o.line(format!(
        "events(options?: ReadStreamOptions): Promise<{stored}[]> {{"
    ))
    .indent()
    .line(format!(
        "return this.engine.readStream<{stored}>(this.name, options)"
    ))
    .dedent()
    .line("}");
    for (q, method) in m.queries.iter().zip(&qs) {
        doc(&mut o, q.doc.as_deref());
        let ret = t.out(&q.returns);
        if q.params.is_empty() {
            o.line(format!("{method}(): Promise<{ret}> {{"))
                .indent()
                .line(format!(
                    "return this.engine.query<{ret}>({model_lit}, this.id, {})",
                    lit(&q.name)
                ));
        } else {
            let q_opt = if q.params.iter().all(|p| !p.required) {
                "?"
            } else {
                ""
            };
            o.line(format!(
                "{method}(args{q_opt}: {}): Promise<{ret}> {{",
                query_args(q)
            ))
            .indent()
            .line(format!(
                "return this.engine.query<{ret}>({model_lit}, this.id, {}, args)",
                lit(&q.name)
            ));
        }
        o.dedent().line("}");
    }
    o.dedent().line("}");
    o.blank();

    // The model class.
    let model_class = name(&mut names, format!("{p}Model"));
    docs(
        &mut o,
        &[
            Some(&format!(
                "The `{}` model over an engine: `new {model_class}(engine).stream(id)`.",
                m.name
            )),
            m.doc.as_deref(),
        ],
    );
    o.line(format!("export class {model_class} {{")).indent();
    o.line("/** The model's name, as the engine knows it. */");
    o.line(format!("static readonly model = {model_lit}"));
    o.line("constructor(readonly engine: Engine) {}");
    o.blank();
    o.line("/** The stream of this id. */");
    o.line(format!("stream(id: string): {stream_class} {{"))
        .indent()
        .line(format!("return new {stream_class}(this.engine, id)"))
        .dedent()
        .line("}");
    o.line("/** The model's streams, with their versions. */");
    o.line("streams(): Promise<StreamInfo[]> {")
        .indent()
        .line(format!(
            "return this.engine.streams({{ model: {model_lit} }})"
        ))
        .dedent()
        .line("}");
    o.line("/** The pure verbs over the engine's domain. */");
    o.line(format!("get domain(): {p}Domain {{"))
        .indent()
        .line(format!("return new {p}Domain(this.engine.domain)"))
        .dedent()
        .line("}");
    o.line("/**");
    o.line(" * Whether `e` is a rejection by a command of this model (of `command` when");
    o.line(" * given, its reason one that command may give): narrows `e.reason`.");
    o.line(" */");
    o.line(format!(
        "static isRejection<C extends keyof {reasons} = keyof {reasons}>(e: unknown, command?: C): e is Rejected<{reasons}[C]> {{"
    ))
    .indent();
    o.line("if (!(e instanceof RejectedError)) return false");
    o.line(format!(
        "const allowed: ReadonlyArray<string | null> = command === undefined ? Object.values({reason_values}).flat() : {reason_values}[command]"
    ));
    o.line("return allowed.includes(e.reason)");
    o.dedent().line("}");
    o.dedent().line("}");
    o.blank();

    // The pure verbs.
    let domain_class = name(&mut names, format!("{p}Domain"));
    doc(
        &mut o,
        Some(&format!(
            "The pure verbs of `{}` over a `Domain`: no store, synchronous.",
            m.name
        )),
    );
    o.line(format!("export class {domain_class} {{")).indent();
    o.line("constructor(readonly domain: Domain) {}");
    o.blank();
    o.line(format!("initialState(): {state} {{"))
        .indent()
        .line(format!(
            "return this.domain.initialState<{state}>({model_lit})"
        ))
        .dedent()
        .line("}");
    o.line("/** The events a command gives on a state (`null`: the initial state); throws `RejectedError`. */");
    o.line(format!(
        "propose(state: {state} | null, command: {command_union}, options?: ProposeOptions): {event_union}[] {{"
    ))
    .indent()
    .line(format!("return this.domain.propose<{event_union}>({model_lit}, state, command, options)"))
    .dedent()
    .line("}");
    o.line("/** The state after one event. */");
    o.line(format!(
        "accept(state: {state} | null, event: {event_union}): {state} {{"
    ))
    .indent()
    .line(format!(
        "return this.domain.accept<{state}>({model_lit}, state, event)"
    ))
    .dedent()
    .line("}");
    o.line("/** Events folded over a state (default: the initial state). */");
    o.line(format!(
        "replay(events: {event_union}[], state?: {state} | null): {state} {{"
    ))
    .indent()
    .line(format!(
        "return this.domain.replay<{state}>({model_lit}, events, state)"
    ))
    .dedent()
    .line("}");
    o.line("/** A query on a state. */");
    o.line(format!(
        "query<Q extends keyof {results}>(state: {state} | null, name: Q, args?: object): {results}[Q] {{"
    ))
    .indent()
    .line(format!("return this.domain.query<{results}[Q]>({model_lit}, state, name, args)"))
    .dedent()
    .line("}");
    o.dedent().line("}");

    let mut eventfold_types = vec![
        "Command",
        "DomainEvent",
        "StoredEvent",
        "Executed",
        "Engine",
        "Domain",
        "ExecuteOptions",
        "Loaded",
        "ProposeOptions",
        "ReadStreamOptions",
        "StreamInfo",
    ];
    if m.commands.is_empty() {
        eventfold_types.retain(|n| *n != "Command");
    }
    if m.events.is_empty() {
        eventfold_types.retain(|n| *n != "DomainEvent" && *n != "StoredEvent");
    }
    t.common.insert("Rejected");
    let mut head = Out::new("  ");
    head.line(format!("// {}", banner()));
    docs(
        &mut head,
        &[Some(&format!("The model `{}`.", m.name)), m.doc.as_deref()],
    );
    t.header(&mut head, &eventfold_types, &["RejectedError"]);
    head.blank();
    (head.finish() + &o.finish(), names)
}
