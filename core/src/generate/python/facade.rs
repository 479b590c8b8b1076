//! The typed facades of a model: over `Domain`, and a stream and the model over
//! `Engine` and `AsyncEngine`.

use super::*;

fn query_method(o: &mut Out, q: &QuerySchema, ctx: Ctx<'_>, prefix: &str, call: &str) {
    let (sig, required, optional) = params(&q.params, ctx);
    let r = query_result(q);
    let mut all_sig = vec!["self".to_string()];
    all_sig.extend(
        prefix
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(String::from),
    );
    if !sig.is_empty() {
        all_sig.push("*".into());
        all_sig.extend(sig);
    }
    o.line(format!(
        "{}def {}({}) -> {r}:",
        if call.starts_with("await") {
            "async "
        } else {
            ""
        },
        method(&q.name),
        all_sig.join(", ")
    ))
    .indent();
    docstring(
        o,
        Some(
            q.doc
                .as_deref()
                .unwrap_or(&format!("The query `{}`.", q.name)),
        ),
    );
    build_data(o, "args", "Dict[str, Any]", &required, &optional);
    o.line(format!(
        "return cast({r}, {})",
        call.replace("NAME", &lit(&q.name))
    ));
    o.dedent().blank();
}

pub(super) fn domain_facade(o: &mut Out, m: &ModelSchema, n: &Names, ctx: Ctx<'_>) {
    let p = pascal(&m.name);
    o.line(format!("class {p}Domain:")).indent();
    docstring(
        o,
        Some(&format!(
            "The pure verbs of `{}` over a ``Domain``, typed: no store.",
            m.name
        )),
    );
    o.blank();
    o.line("__slots__ = (\"domain\",)");
    o.blank();
    o.line("def __init__(self, domain: eventfold.Domain) -> None:")
        .indent();
    o.line("self.domain = domain").dedent().blank();
    o.line(format!("def initial_state(self) -> {}:", n.state))
        .indent();
    o.line(format!(
        "return cast({}, self.domain.initial_state(MODEL))",
        n.state
    ))
    .dedent()
    .blank();
    o.line(format!(
        "def propose(self, state: Optional[{}], command: {}, *, now: Optional[eventfold.Time] = None) -> List[{}]:",
        n.state, n.command, n.event
    ))
    .indent();
    docstring(o, Some("The events the command gives on the state (None: the initial state); raises ``eventfold.Rejected``."));
    o.line(format!(
        "return cast(List[{}], self.domain.propose(MODEL, state, command, now=now))",
        n.event
    ))
    .dedent()
    .blank();
    o.line(format!(
        "def replay(self, events: Sequence[{}], state: Optional[{}] = None) -> {}:",
        n.event, n.state, n.state
    ))
    .indent();
    docstring(
        o,
        Some("The events folded over the state (None: the initial state)."),
    );
    o.line(format!(
        "return cast({}, self.domain.replay(MODEL, events, state))",
        n.state
    ))
    .dedent()
    .blank();
    for q in &m.queries {
        query_method(
            o,
            q,
            ctx,
            &format!("state: Optional[{}]", n.state),
            "self.domain.query(MODEL, state, NAME, args)",
        );
    }
    o.dedent().blank();
}

pub(super) fn stream_facade(o: &mut Out, m: &ModelSchema, n: &Names, ctx: Ctx<'_>, is_async: bool) {
    let p = pascal(&m.name);
    let (class, engine, asy, aw) = if is_async {
        (
            format!("Async{p}Stream"),
            "eventfold.AsyncEngine",
            "async ",
            "await ",
        )
    } else {
        (format!("{p}Stream"), "eventfold.Engine", "", "")
    };
    o.line(format!("class {class}:")).indent();
    docstring(
        o,
        Some(&format!(
            "The stream `{}-<id>` of an ``{}``: one method per command and query{}.",
            m.name,
            engine,
            if is_async {
                ", each a coroutine run off the event loop"
            } else {
                ""
            }
        )),
    );
    o.blank();
    o.line("__slots__ = (\"engine\", \"id\")");
    o.blank();
    o.line(format!(
        "def __init__(self, engine: {engine}, id: str) -> None:"
    ))
    .indent();
    o.line("self.engine = engine");
    o.line("self.id = id").dedent().blank();
    o.line("@property");
    o.line("def stream(self) -> str:").indent();
    o.line("\"\"\"The stream's name, ``Model-id``.\"\"\"");
    o.line("return f\"{MODEL}-{self.id}\"").dedent().blank();
    o.line(format!(
        "{asy}def execute(self, command: {}, options: Optional[eventfold.ExecuteOptions] = None) -> {}:",
        n.command, n.executed
    ))
    .indent();
    docstring(
        o,
        Some("Runs a command on this stream and appends its events atomically. ``options``: ``expected_version``, ``command_id``, ``metadata``, ``now``, ``correlation_id``, ``causation_id``."),
    );
    o.line("o: eventfold.ExecuteOptions = options or {}");
    o.line(format!("done = {aw}self.engine.execute(")).indent();
    o.line("MODEL,");
    o.line("self.id,");
    o.line("command,");
    for opt in [
        "expected_version",
        "command_id",
        "metadata",
        "now",
        "correlation_id",
        "causation_id",
    ] {
        o.line(format!("{opt}=o.get({}),", lit(opt)));
    }
    o.dedent().line(")");
    o.line(format!("return cast({}, done)", n.executed))
        .dedent()
        .blank();
    for c in &m.commands {
        let (sig, required, optional) = params(&c.params, ctx);
        let mut all_sig = vec!["self".to_string(), "*".to_string()];
        all_sig.extend(sig);
        all_sig.push("options: Optional[eventfold.ExecuteOptions] = None".into());
        o.line(format!(
            "{asy}def {}({}) -> {}:",
            method(&c.name),
            all_sig.join(", "),
            n.executed
        ))
        .indent();
        docstring(o, Some(&command_doc(c)));
        build_data(o, "data", &command_data(c), &required, &optional);
        o.line(format!(
            "return {aw}self.execute({{\"type\": {}, \"data\": data}}, options)",
            lit(&c.name)
        ));
        o.dedent().blank();
    }
    o.line(format!("{asy}def load(self) -> {}:", n.loaded))
        .indent();
    o.line("\"\"\"The state and version of this stream.\"\"\"");
    o.line(format!(
        "return cast({}, {aw}self.engine.load(MODEL, self.id))",
        n.loaded
    ))
    .dedent()
    .blank();
    o.line(format!("{asy}def state(self) -> {}:", n.state))
        .indent();
    o.line("\"\"\"The state of this stream (the initial state when it has no event).\"\"\"");
    o.line(format!("return ({aw}self.load())[\"state\"]"))
        .dedent()
        .blank();
    o.line(format!("{asy}def events(self, *, from_version: Optional[int] = None, limit: Optional[int] = None) -> List[{}]:", n.stored)).indent();
    o.line("\"\"\"The events of this stream, in order, upcast to the current model.\"\"\"");
    o.line(format!(
        "return cast(List[{}], {aw}self.engine.read_stream(self.stream, from_version=from_version, limit=limit))",
        n.stored
    ))
    .dedent()
    .blank();
    for q in &m.queries {
        query_method(
            o,
            q,
            ctx,
            "",
            &format!("{aw}self.engine.query(MODEL, self.id, NAME, args)"),
        );
    }
    o.dedent().blank();
}

pub(super) fn model_facade(o: &mut Out, m: &ModelSchema, n: &Names, is_async: bool) {
    let p = pascal(&m.name);
    let (class, stream, engine, asy, aw) = if is_async {
        (
            format!("Async{p}Model"),
            format!("Async{p}Stream"),
            "eventfold.AsyncEngine",
            "async ",
            "await ",
        )
    } else {
        (
            format!("{p}Model"),
            format!("{p}Stream"),
            "eventfold.Engine",
            "",
            "",
        )
    };
    o.line(format!("class {class}:")).indent();
    let mut doc = m.doc.clone().map(|d| d + "\n\n").unwrap_or_default();
    doc.push_str(&format!(
        "`{}` over an ``{engine}``: ``stream(id)`` for one stream's commands and queries.",
        m.name
    ));
    docstring(o, Some(&doc));
    o.blank();
    o.line("__slots__ = (\"engine\",)");
    o.blank();
    o.line(format!("def __init__(self, engine: {engine}) -> None:"))
        .indent();
    o.line("self.engine = engine").dedent().blank();
    o.line(format!("def stream(self, id: str) -> {stream}:"))
        .indent();
    o.line(format!("\"\"\"The stream `{}-<id>`.\"\"\"", m.name));
    o.line(format!("return {stream}(self.engine, id)"))
        .dedent()
        .blank();
    o.line(format!("def domain(self) -> {p}Domain:")).indent();
    o.line("\"\"\"The pure verbs of the model, over the engine's domain.\"\"\"");
    o.line(format!("return {p}Domain(self.engine.domain)"))
        .dedent()
        .blank();
    o.line(format!(
        "{asy}def streams(self) -> List[eventfold.StreamInfo]:"
    ))
    .indent();
    o.line(format!(
        "\"\"\"Every `{}` stream, with its version.\"\"\"",
        m.name
    ));
    o.line(format!("return {aw}self.engine.streams(model=MODEL)"))
        .dedent();
    o.dedent().blank().blank();
    let _ = n;
}
