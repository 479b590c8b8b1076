//! Laws that hold for every input: replay is accept folded over the events,
//! and values survive JSON round trips.

use eventfold::{Domain, Event, Source, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const TODOS: &str = include_str!("../../examples/todos/todos.model");

fn todos() -> Domain {
    Domain::compile(&[Source::new("todos.model", TODOS)]).unwrap()
}

/// Commands over a small set of ids, so that they hit existing todos often.
fn command() -> impl Strategy<Value = Json> {
    let id = prop::sample::select(vec!["a", "b", "c", "d", "é", "Z"]);
    prop_oneof![
        (id.clone(), "[a-z ]{0,8}")
            .prop_map(|(id, text)| json!({"type": "create-new", "data": {"id": id, "text": text}})),
        (id.clone(), "[a-z ]{0,8}").prop_map(
            |(id, text)| json!({"type": "create-complete", "data": {"id": id, "text": text}})
        ),
        (id.clone(), any::<bool>()).prop_map(
            |(id, c)| json!({"type": "change-completed", "data": {"id": id, "completed": c}})
        ),
        (id.clone(), "[a-z]{1,8}")
            .prop_map(|(id, t)| json!({"type": "change-text", "data": {"id": id, "new_text": t}})),
        id.prop_map(|id| json!({"type": "delete", "data": {"id": id}})),
        Just(json!({"type": "clear-done"})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Replaying `given` plus the proposed events equals accepting them one
    /// by one, and equals the state `decide` returned.
    #[test]
    fn replay_equals_folded_accepts(commands in prop::collection::vec(command(), 0..40)) {
        let d = todos();
        let mut state = d.initial_state("Todos").unwrap();
        let mut stepwise = state.clone();
        let mut log: Vec<Event> = Vec::new();
        for c in &commands {
            let cmd = d.command("Todos", c).unwrap();
            match d.decide("Todos", state.clone(), &cmd, None) {
                Ok(decision) => {
                    for e in &decision.events {
                        stepwise = d.accept("Todos", stepwise, e).unwrap();
                    }
                    log.extend(decision.events);
                    state = decision.state;
                    prop_assert_eq!(&stepwise, &state);
                }
                Err(e) => prop_assert_eq!(e.code(), "rejected"),
            }
        }
        let replayed = d.replay("Todos", &log, None).unwrap();
        prop_assert_eq!(&replayed, &state);
        // The same through JSON text, as every binding does it.
        let text = eventfold::events_to_json(&log);
        prop_assert_eq!(d.replay_json("Todos", &text, None).unwrap(), state.to_json_string());
    }
}

const SHAPES: &str = r#"
model Shapes {
  enum Colour { red, green, blue }
  record Item {
    n: int
    tags: list<string>
    weight: float?
  }
  state {
    i: int
    f: float
    s: string
    b: bool
    t: timestamp?
    c: Colour = Colour.red
    l: list<int>
    m: map<string, Item>
    o: list<string?>
  }
}
"#;

fn timestamp() -> impl Strategy<Value = String> {
    // Years 0001 to 9999, any nanosecond.
    (
        -62_135_596_800i64..=253_402_300_799i64,
        0u32..1_000_000_000u32,
    )
        .prop_map(|(s, n)| {
            let t = eventfold::value::Timestamp::new(s, n).unwrap();
            eventfold::value::format_timestamp(t)
        })
}

fn item() -> impl Strategy<Value = Json> {
    (
        any::<i64>(),
        prop::collection::vec(".{0,6}", 0..3),
        prop::option::of(any::<f64>().prop_filter("finite", |f| f.is_finite())),
    )
        .prop_map(|(n, tags, w)| json!({"n": n, "tags": tags, "weight": w}))
}

fn state() -> impl Strategy<Value = Json> {
    (
        any::<i64>(),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        ".{0,12}",
        any::<bool>(),
        prop::option::of(timestamp()),
        prop::sample::select(vec!["red", "green", "blue"]),
        prop::collection::vec(any::<i64>(), 0..5),
        prop::collection::btree_map(".{0,5}", item(), 0..4),
        prop::collection::vec(prop::option::of("[a-z]{0,3}"), 0..4),
    )
        .prop_map(|(i, f, s, b, t, c, l, m, o)| json!({"i": i, "f": f, "s": s, "b": b, "t": t, "c": c, "l": l, "m": m, "o": o}))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Decoding, writing and decoding again gives the same value and the
    /// same canonical text.
    #[test]
    fn values_survive_json_round_trips(input in state()) {
        let d = Domain::compile(&[Source::new("shapes.model", SHAPES)]).unwrap();
        let value: Value = d.state("Shapes", &input).unwrap();
        let text = value.to_json_string();
        let again = d.state("Shapes", &d.parse_json(&text).unwrap()).unwrap();
        prop_assert_eq!(&again, &value);
        prop_assert_eq!(again.to_json_string(), text.clone());
        // The canonical text is the same JSON as the input, up to key order
        // and float spelling.
        let reparsed: Json = serde_json::from_str(&text).unwrap();
        prop_assert!(eventfold::scenario::same(&reparsed, &input), "{} vs {}", text, input);
    }
}
