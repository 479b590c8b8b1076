//! The file of one model: its types and its typed facade.

use super::*;

pub(super) fn model_files(n: &Names, m: &ModelSchema) -> Vec<File> {
    let mname = pascal(&m.name);
    let mut o = Out::new("  ");
    let mut s = Out::new("  ");
    header(&mut o);
    s.line(format!("# {}", banner()));
    o.blank();
    o.line("require \"eventfold\"");
    o.blank();
    let depth = open_modules(&mut o, &n.model_mod(&m.name));
    let sdepth = open_modules(&mut s, &n.model_mod(&m.name));
    comment(&mut o, m.doc.as_deref());
    o.line(format!("NAME = {}", rstr(&m.name)));
    s.line("NAME: String");

    for e in &m.enums {
        o.blank();
        comment(&mut o, e.doc.as_deref());
        o.line(format!("module {}", pascal(&e.name)));
        o.indent();
        s.blank();
        let lits: Vec<String> = e.members.iter().map(|m| rstr(&m.name)).collect();
        s.line(format!(
            "type {} = {}",
            alias_name(&e.name),
            lits.join(" | ")
        ));
        s.line(format!("module {}", pascal(&e.name)));
        s.indent();
        for mem in &e.members {
            comment(&mut o, mem.doc.as_deref());
            o.line(format!("{} = {}", screaming(&mem.name), rstr(&mem.name)));
            s.line(format!("{}: {}", screaming(&mem.name), rstr(&mem.name)));
        }
        o.line(format!(
            "VALUES = [{}].freeze",
            e.members
                .iter()
                .map(|m| screaming(&m.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s.line(format!("VALUES: Array[{}]", alias_name(&e.name)));
        o.dedent();
        o.line("end");
        s.dedent();
        s.line("end");
    }
    for r in &m.records {
        value_class(
            &mut o,
            &mut s,
            n,
            &pascal(&r.name),
            r.doc.as_deref(),
            &r.fields,
            false,
            &[],
        );
    }
    let state = format!("{mname}State");
    let state_doc = format!("The state of a {} stream.", m.name);
    value_class(
        &mut o,
        &mut s,
        n,
        &state,
        Some(&state_doc),
        &m.state,
        false,
        &[],
    );

    let rejection = format!("{mname}Rejection");
    let reasons = m.reasons();
    o.blank();
    o.line(format!(
        "# The reasons a {} command may reject with (RejectedError#reason).",
        m.name
    ));
    o.line(format!("module {rejection}"));
    o.indent();
    s.blank();
    s.line(format!(
        "type reason = {}",
        if reasons.is_empty() {
            "bot".to_string()
        } else {
            reasons
                .iter()
                .map(|r| rstr(r))
                .collect::<Vec<_>>()
                .join(" | ")
        }
    ));
    s.line(format!("module {rejection}"));
    s.indent();
    for r in &reasons {
        o.line(format!("{} = {}", screaming(r), rstr(r)));
        s.line(format!("{}: {}", screaming(r), rstr(r)));
    }
    o.line(format!(
        "ALL = [{}].freeze",
        reasons
            .iter()
            .map(|r| screaming(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.line("ALL: Array[reason]");
    o.blank();
    o.line("# The reason of a rejection of this model, or nil.");
    o.line("def self.of(error) = ALL.include?(error.reason) ? error.reason : nil");
    s.line("def self.of: (::Eventfold::RejectedError) -> reason?");
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");

    for c in &m.commands {
        let mut d = c.doc.clone().unwrap_or_default();
        let rs: Vec<String> = c
            .reasons()
            .iter()
            .map(|r| format!("{rejection}::{}", screaming(r)))
            .collect();
        if !rs.is_empty() {
            if !d.is_empty() {
                d.push('\n');
            }
            d.push_str(&format!("May reject with {}.", rs.join(", ")));
        }
        let consts = vec![("TYPE".to_string(), rstr(&c.name), "String".to_string())];
        value_class(
            &mut o,
            &mut s,
            n,
            &pascal(&c.name),
            Some(&d).filter(|d| !d.is_empty()).map(|d| d.as_str()),
            &c.params,
            true,
            &consts,
        );
    }
    for e in &m.events {
        let consts = vec![
            ("TYPE".to_string(), rstr(&e.name), "String".to_string()),
            (
                "VERSION".to_string(),
                e.version.to_string(),
                "Integer".to_string(),
            ),
        ];
        value_class(
            &mut o,
            &mut s,
            n,
            &event_class(m, &e.name),
            e.doc.as_deref(),
            &e.fields,
            false,
            &consts,
        );
    }
    let union: Vec<String> = m.events.iter().map(|e| event_class(m, &e.name)).collect();
    let events = format!("{mname}Events");
    o.blank();
    o.line(format!(
        "# Reads {} events from what the engine returns.",
        m.name
    ));
    o.line(format!("module {events}"));
    o.indent();
    o.line("def self.from_h(event)");
    o.indent();
    o.line("data = event.fetch(\"data\", {})");
    o.line("case event[\"type\"]");
    for e in &m.events {
        o.line(format!(
            "when {} then {}.from_h(data)",
            rstr(&e.name),
            event_class(m, &e.name)
        ));
    }
    o.line(format!(
        "else raise ArgumentError, \"not a {} event: #{{event['type'].inspect}}\"",
        m.name
    ));
    o.line("end");
    o.dedent();
    o.line("end");
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!(
        "type event = {}",
        if union.is_empty() {
            "bot".to_string()
        } else {
            union.join(" | ")
        }
    ));
    s.line(format!("module {events}"));
    s.indent()
        .line("def self.from_h: (Hash[String, untyped]) -> event")
        .dedent();
    s.line("end");

    let executed = format!("{mname}Executed");
    o.blank();
    o.line(format!(
        "# What a {} command did: the stream, its new version, the global position of its",
        m.name
    ));
    o.line(
        "# last event (0: none; for Engine#wait_for), its typed events, and the events as stored.",
    );
    o.line(format!("class {executed}"));
    o.indent();
    o.line("attr_reader :stream, :version, :position, :events, :stored");
    o.blank();
    o.line("def initialize(stream:, version:, position:, events:, stored:)");
    o.indent();
    o.line("@stream = stream");
    o.line("@version = version");
    o.line("@position = position");
    o.line("@events = events.freeze");
    o.line("@stored = stored.freeze");
    o.line("freeze");
    o.dedent();
    o.line("end");
    o.blank();
    o.line("def self.from_h(hash)");
    o.indent();
    o.line(format!(
        "new(stream: hash[\"stream\"], version: hash[\"version\"], position: hash[\"position\"], events: hash[\"events\"].map {{ |e| {events}.from_h(e) }}, stored: hash[\"events\"])"
    ));
    o.dedent();
    o.line("end");
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!("class {executed}"));
    s.indent();
    s.line("attr_reader stream: String");
    s.line("attr_reader version: Integer");
    s.line("attr_reader position: Integer");
    s.line("attr_reader events: Array[event]");
    s.line("attr_reader stored: Array[Hash[String, untyped]]");
    s.line("def initialize: (stream: String, version: Integer, position: Integer, events: Array[event], stored: Array[Hash[String, untyped]]) -> void");
    s.line("def self.from_h: (Hash[String, untyped]) -> instance");
    s.dedent();
    s.line("end");

    // Facade.
    let model_class = format!("{mname}Model");
    let stream_class = format!("{mname}Stream");
    o.blank();
    o.line(format!(
        "# The {} model on an engine: `{model_class}.new(engine).stream(\"kitchen\")`.",
        m.name
    ));
    o.line(format!("class {model_class}"));
    o.indent();
    o.line("attr_reader :engine");
    o.blank();
    o.line("def initialize(engine)");
    o.indent().line("@engine = engine").line("freeze").dedent();
    o.line("end");
    o.blank();
    o.line(format!("# The stream `{}-id`.", m.name));
    o.line(format!("def stream(id) = {stream_class}.new(@engine, id)"));
    o.dedent();
    o.line("end");
    s.blank();
    s.line(format!("class {model_class}"));
    s.indent();
    s.line("attr_reader engine: ::Eventfold::Engine");
    s.line("def initialize: (::Eventfold::Engine) -> void");
    s.line(format!("def stream: (String id) -> {stream_class}"));
    s.dedent();
    s.line("end");

    o.blank();
    o.line(format!(
        "# One {} stream: a method per command and query, and its state.",
        m.name
    ));
    o.line(format!("class {stream_class}"));
    o.indent();
    o.line("attr_reader :engine, :id");
    o.blank();
    o.line("def initialize(engine, id)");
    o.indent()
        .line("@engine = engine")
        .line("@id = id")
        .line("freeze")
        .dedent();
    o.line("end");
    o.blank();
    o.line("# The current state (the initial one for a new stream).");
    o.line(format!(
        "def state = {state}.from_h(@engine.load(NAME, @id)[\"state\"])"
    ));
    o.blank();
    o.line("# The stream's version: how many events it holds (0: none yet).");
    o.line("def version = @engine.load(NAME, @id)[\"version\"]");
    s.blank();
    s.line(format!("class {stream_class}"));
    s.indent();
    s.line("attr_reader engine: ::Eventfold::Engine");
    s.line("attr_reader id: String");
    s.line("def initialize: (::Eventfold::Engine, String) -> void");
    s.line(format!("def state: () -> {state}"));
    s.line("def version: () -> Integer");
    let taken = ["state", "version", "id", "engine", "initialize"];
    let mut methods: Vec<String> = Vec::new();
    for c in &m.commands {
        let cls = pascal(&c.name);
        let mut meth = snake(&c.name);
        if taken.contains(&meth.as_str()) || KEYWORDS.contains(&meth.as_str()) {
            meth.push_str("_command");
        }
        methods.push(meth.clone());
        o.blank();
        comment(&mut o, c.doc.as_deref());
        o.line(
            "# Options as Engine#execute; raises Eventfold::RejectedError (see #{rejection}.of)."
                .replace("#{rejection}", &rejection),
        );
        let arg = if c.data_optional() {
            format!("command = {cls}.new")
        } else {
            "command".to_string()
        };
        o.line(format!("def {meth}({arg}, **options)"));
        o.indent();
        o.line(format!(
            "raise TypeError, \"{meth} takes a {cls}, not #{{command.class}}\" unless command.is_a?({cls})"
        ));
        o.blank();
        o.line(format!(
            "{executed}.from_h(@engine.execute(NAME, @id, {{ \"type\" => {cls}::TYPE, \"data\" => command.to_h }}, **options))"
        ));
        o.dedent();
        o.line("end");
        let q = if c.data_optional() { "?" } else { "" };
        s.line(format!(
            "def {meth}: ({q}{cls} command, **untyped options) -> {executed}"
        ));
    }
    for q in &m.queries {
        let mut meth = snake(&q.name);
        if taken.contains(&meth.as_str())
            || methods.contains(&meth)
            || KEYWORDS.contains(&meth.as_str())
        {
            meth.push_str("_query");
        }
        o.blank();
        comment(&mut o, q.doc.as_deref());
        let params: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                if f.required {
                    format!("{}:", f.name)
                } else {
                    format!("{}: nil", f.name)
                }
            })
            .collect();
        if params.is_empty() {
            o.line(format!("def {meth}"));
        } else {
            o.line(format!("def {meth}({})", params.join(", ")));
        }
        o.indent();
        o.line("args = {}");
        for f in &q.params {
            let v = local(&f.name);
            if f.required {
                o.line(format!(
                    "args[{}] = {}",
                    rstr(&f.name),
                    to_json(&f.ty, &v, 0)
                ));
            } else {
                let t = Ty::Optional {
                    inner: Box::new(f.ty.clone()),
                };
                o.line(format!(
                    "args[{}] = {} unless {v}.nil?",
                    rstr(&f.name),
                    to_json(&t, &v, 0)
                ));
            }
        }
        o.line(format!(
            "result = @engine.query(NAME, @id, {}, args)",
            rstr(&q.name)
        ));
        o.line(from_json(n, &q.returns, "result", 0));
        o.dedent();
        o.line("end");
        let sp: Vec<String> = q
            .params
            .iter()
            .map(|f| {
                if f.required {
                    format!("{}: {}", f.name, rbs(n, &f.ty))
                } else {
                    format!(
                        "?{}: {}",
                        f.name,
                        rbs(
                            n,
                            &Ty::Optional {
                                inner: Box::new(f.ty.clone())
                            }
                        )
                    )
                }
            })
            .collect();
        s.line(format!(
            "def {meth}: ({}) -> {}",
            sp.join(", "),
            rbs(n, &q.returns)
        ));
    }
    o.dedent();
    o.line("end");
    s.dedent();
    s.line("end");
    close_modules(&mut o, depth);
    close_modules(&mut s, sdepth);
    let stem = snake(&m.name);
    vec![
        File {
            path: format!("{stem}.rb"),
            contents: o.finish(),
        },
        File {
            path: format!("{stem}.rbs"),
            contents: s.finish(),
        },
    ]
}
