//! `upcast`: replay through a three-version upcast chain (MODEL-LANGUAGE.md
//! §12) against the same history already current, in the same run.
//!
//! The model's `added` is at version 3; version 2 upcasts to it and
//! version 1 to version 2, so each old event is read through two upcasts.
//! The old history is N `added@1` events; the baseline is what they read
//! as, N `added@3` events, so both replays must give the same state. Both
//! go through `Domain::replay_json`, the public replay, best of 5 rounds
//! alternated (`--quick`: 1), in CPU time of the process.
//!
//! Budget: the old history within 1.5x of the current one.

use eventfold::{Domain, Source};

use crate::common::{cpu, fmt_int, load};

const MODEL: &str = r#"
model Cards {
  state {
    cards: map<string, Card>
  }

  record Card {
    title: string
    lane: string
    rank: int
  }

  event added@3(id: string, title: string, lane: string, rank: int = 0) {
    set cards[id] = Card{title, lane, rank}
  }

  /// Before lanes.
  upcast added@2(id: string, title: string) {
    emit added(id, title, lane: "todo")
  }

  /// Before titles.
  upcast added@1(id: string) {
    emit added@2(id, title: "card ${id}")
  }
}
"#;

/// Runs the case; returns whether the budget held.
pub fn run(quick: bool) -> bool {
    let n: usize = if quick { 20_000 } else { 200_000 };
    let rounds = if quick { 1 } else { 5 };
    let domain = Domain::compile(&[Source::new("cards.model", MODEL)]).expect("model");
    let mut old = String::from("[");
    let mut current = String::from("[");
    for i in 0..n {
        if i > 0 {
            old.push(',');
            current.push(',');
        }
        let id = format!("c{}", i % 1000);
        old.push_str(&format!(
            r#"{{"type":"added","schema":1,"data":{{"id":"{id}"}}}}"#
        ));
        current.push_str(&format!(
            r#"{{"type":"added","schema":3,"data":{{"id":"{id}","title":"card {id}","lane":"todo","rank":0}}}}"#
        ));
    }
    old.push(']');
    current.push(']');
    println!(
        "\n== upcast: replay of {n} events through a three-version chain ({}) ==",
        load()
    );
    let (mut best_old, mut best_current) = (f64::MAX, f64::MAX);
    let mut states = (String::new(), String::new());
    for _ in 0..rounds {
        let t = cpu();
        states.1 = domain
            .replay_json("Cards", &current, None)
            .expect("current replay");
        best_current = best_current.min(cpu() - t);
        let t = cpu();
        states.0 = domain.replay_json("Cards", &old, None).expect("old replay");
        best_old = best_old.min(cpu() - t);
    }
    assert_eq!(
        states.0, states.1,
        "the upcast history must fold to the same state"
    );
    let ratio = best_old / best_current;
    println!(
        "current (@3):        {:>12} events/CPU-s",
        fmt_int(n as f64 / best_current)
    );
    println!(
        "old (@1, 2 upcasts): {:>12} events/CPU-s",
        fmt_int(n as f64 / best_old)
    );
    let within = ratio <= 1.5;
    println!(
        "ratio old/current: {ratio:.2}x (budget 1.5x){}",
        if within { "" } else { "  MISSED" }
    );
    within
}
