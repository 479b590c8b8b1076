//! Laws of upcasting (§12) that hold for every history: replaying stored
//! events of old shapes equals replaying what `upcast` makes of them, and
//! `upcast` of a current event gives it back with its defaults written.

use eventfold::{Domain, Source};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// A card's event at three versions, a split, a drop and a rename.
const CARDS: &str = r#"
model Cards {
  state {
    cards: map<string, Card>
    dropped: int
  }

  record Card {
    title: string
    lane: string
  }

  event added@3(id: string, title: string, lane: string = "todo") {
    set cards[id] = Card{title, lane}
  }

  upcast added@2(id: string, title: string) {
    emit added(id, title)
  }

  upcast added@1(id: string) {
    emit added@2(id, title: "card ${id}")
  }

  upcast created@1(key: string) {
    emit added@1(id: key)
  }

  event moved(id: string, lane: string) {
    if id in cards {
      set cards[id].lane = lane
    }
  }

  upcast finished@1(ids: list<string>) {
    for id in ids {
      emit moved(id, lane: "done")
    }
  }

  upcast viewed@1(id: string) {
  }

  event cleared() {
    set cards = {}
  }
}
"#;

fn domain() -> Domain {
    Domain::compile(&[Source::new("cards.model", CARDS)]).unwrap()
}

fn stored() -> impl Strategy<Value = Json> {
    let id = prop::sample::select(vec!["a", "b", "c", "é"]);
    let ids = prop::collection::vec(id.clone(), 0..4);
    prop_oneof![
        (
            id.clone(),
            "[a-z ]{0,6}",
            proptest::option::of("[a-z]{1,5}")
        )
            .prop_map(|(id, t, lane)| {
                let mut data = json!({"id": id, "title": t});
                if let Some(l) = lane {
                    data["lane"] = json!(l);
                }
                json!({"type": "added", "schema": 3, "data": data})
            }),
        (id.clone(), "[a-z ]{0,6}").prop_map(
            |(id, t)| json!({"type": "added", "schema": 2, "data": {"id": id, "title": t}})
        ),
        id.clone()
            .prop_map(|id| json!({"type": "added", "schema": 1, "data": {"id": id}})),
        id.clone()
            .prop_map(|id| json!({"type": "created", "data": {"key": id}})),
        (id.clone(), "[a-z]{1,5}")
            .prop_map(|(id, l)| json!({"type": "moved", "data": {"id": id, "lane": l}})),
        ids.prop_map(|ids| json!({"type": "finished", "schema": 1, "data": {"ids": ids}})),
        id.prop_map(|id| json!({"type": "viewed", "schema": 1, "data": {"id": id}})),
        Just(json!({"type": "cleared"})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn replay_of_old_shapes_equals_replay_of_their_upcasts(history in prop::collection::vec(stored(), 0..30)) {
        let d = domain();
        let direct = d.replay_json("Cards", &Json::Array(history.clone()).to_string(), None).unwrap();
        let mut upcast = Vec::new();
        for e in &history {
            let out: Json = serde_json::from_str(&d.upcast_json("Cards", &e.to_string()).unwrap()).unwrap();
            upcast.extend(out.as_array().unwrap().iter().cloned());
        }
        // Every event `upcast` gives is current: upcasting it again changes nothing.
        for e in &upcast {
            let again: Json = serde_json::from_str(&d.upcast_json("Cards", &e.to_string()).unwrap()).unwrap();
            prop_assert_eq!(&again, &json!([e]));
        }
        let folded = d.replay_json("Cards", &Json::Array(upcast).to_string(), None).unwrap();
        prop_assert_eq!(direct, folded);
    }

    #[test]
    fn upcast_of_a_current_event_gives_it_back_with_its_defaults(id in "[a-z]{1,4}", title in "[a-z ]{0,6}", lane in proptest::option::of("[a-z]{1,5}")) {
        let d = domain();
        let mut data = json!({"id": id, "title": title});
        if let Some(l) = &lane {
            data["lane"] = json!(l);
        }
        let out: Json = serde_json::from_str(&d.upcast_json("Cards", &json!({"type": "added", "data": data}).to_string()).unwrap()).unwrap();
        let lane = lane.unwrap_or_else(|| "todo".into());
        prop_assert_eq!(out, json!([{"type": "added", "schema": 3, "data": {"id": id, "title": title, "lane": lane}}]));
    }
}

#[test]
fn accept_folds_every_event_one_stored_event_reads_as() {
    let d = domain();
    let state = d
        .replay_json(
            "Cards",
            r#"[{"type":"added","schema":1,"data":{"id":"a"}},{"type":"created","schema":1,"data":{"key":"b"}}]"#,
            None,
        )
        .unwrap();
    let after = d
        .accept_json(
            "Cards",
            Some(&state),
            r#"{"type":"finished","schema":1,"data":{"ids":["a","b"]}}"#,
        )
        .unwrap();
    assert_eq!(
        after,
        r#"{"cards":{"a":{"title":"card a","lane":"done"},"b":{"title":"card b","lane":"done"}},"dropped":0}"#
    );
}

#[test]
fn schema_faults_are_invalid_event_at_schema_and_unknown_versions_unknown_event() {
    let d = domain();
    for bad in [json!(0), json!(-1), json!(1.5), json!("2"), json!(null)] {
        let e = d
            .upcast_json(
                "Cards",
                &json!({"type": "added", "schema": bad, "data": {}}).to_string(),
            )
            .unwrap_err();
        assert_eq!(e.code(), "invalid_event", "{bad}");
        assert_eq!(e.to_json()["path"], "schema", "{bad}");
    }
    for (t, schema) in [
        ("added", 4u64),
        ("viewed", 2),
        ("nothing", 1),
        ("added", 1 << 40),
    ] {
        let e = d
            .upcast_json(
                "Cards",
                &json!({"type": t, "schema": schema, "data": {}}).to_string(),
            )
            .unwrap_err();
        assert_eq!(e.code(), "unknown_event", "{t}@{schema}: {e}");
    }
    // In replay the message names the event's index.
    let e = d
        .replay_json(
            "Cards",
            r#"[{"type":"cleared"},{"type":"added","schema":1,"data":{"id":7}}]"#,
            None,
        )
        .unwrap_err();
    assert_eq!(e.to_json()["path"], "data.id");
    assert!(e.to_string().contains("event 1"), "{e}");
    // A left-out schema of a retired name is its highest upcast's.
    let out = d
        .upcast_json("Cards", r#"{"type":"viewed","data":{"id":"a"}}"#)
        .unwrap();
    assert_eq!(out, "[]");
}

#[test]
fn an_upcast_that_fails_names_the_stored_event() {
    let d = Domain::compile(&[Source::new(
        "n.model",
        "model N {\n  state { n: int }\n  event set-to(n: int) {\n    set n = n\n  }\n  \
         upcast typed@1(s: string) {\n    emit set-to(n: int(s))\n  }\n}\n",
    )])
    .unwrap();
    assert_eq!(
        d.upcast_json("N", r#"{"type":"typed","data":{"s":"42"}}"#)
            .unwrap(),
        r#"[{"type":"set-to","schema":1,"data":{"n":42}}]"#
    );
    let e = d
        .upcast_json("N", r#"{"type":"typed","data":{"s":"x"}}"#)
        .unwrap_err();
    assert_eq!(e.code(), "evaluation_error");
    assert!(
        e.to_string()
            .contains("model N: reading `typed` at schema 1"),
        "{e}"
    );
    let e = d
        .replay_json("N", r#"[{"type":"typed","data":{"s":"x"}}]"#, None)
        .unwrap_err();
    let message = e.to_json()["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("event 0: model N: "), "{message}");
}
