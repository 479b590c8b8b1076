//! `model-change`: `migrate apply` on a SQLite store of N events (N =
//! 1,000,000; `--quick` 100,000) while a writer keeps going (issue 14).
//!
//! The store holds 10,000 `Cards` streams written by version 1, with an
//! inline projection; version 2 adds a field to the event (an upcast reads
//! the old ones) and a column to the projection's table, so apply builds a
//! snapshot of every stream and the projection's shadow from the first
//! event. A writer thread on its own engine (`on_model_change: follow`)
//! runs commands one by one:
//! - first alone, for a baseline of its rate;
//! - then during apply, at full speed: the whole time, the pause (the
//!   switch's transaction), and the writer's rate against the baseline;
//! - then on a copy of the same store, throttled to a few commands a
//!   second, so that it adds under 1,000 events during the build: the pause
//!   there has the budget, under 100 ms.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventfold::engine::{Applied, OnModelChange};
use eventfold::{Domain, Engine, EngineOptions, ExecuteOptions, ExecuteRequest, Source};
use serde_json::json;

use crate::common::{fmt_int, load, sqlite_url, Lcg, Scratch};

const PAUSE_BUDGET_MS: f64 = 100.0;
const STREAMS: usize = 10_000;

const V1: &str = r#"
model Cards {
  state { cards: map<string, Card> }
  record Card { title: string; lane: string }
  command add(id: string, title: string) { emit added(id, title) }
  command move(id: string, lane: string) {
    reject missing "no card ${id}" unless id in cards
    emit moved(id, lane)
  }
  event added(id: string, title: string) { set cards[id] = Card{title, lane: "todo"} }
  event moved(id: string, lane: string) { set cards[id].lane = lane }
}

table card_rows {
  key board: string
  key id: string
  lane: string
}

projection card-rows inline {
  on Cards.added { insert card_rows(board: stream.id, id, lane: "todo") }
  on Cards.moved { update card_rows[stream.id, id](lane) }
}
"#;

const V2: &str = r#"
model Cards {
  state { cards: map<string, Card> }
  record Card { title: string; lane: string; rank: int }
  command add(id: string, title: string, rank: int = 1) { emit added(id, title, rank) }
  command move(id: string, lane: string) {
    reject missing "no card ${id}" unless id in cards
    emit moved(id, lane)
  }
  event added@2(id: string, title: string, rank: int) {
    set cards[id] = Card{title, lane: "todo", rank}
  }
  upcast added@1(id: string, title: string) { emit added@2(id, title, rank: 0) }
  event moved(id: string, lane: string) { set cards[id].lane = lane }
}

table card_rows {
  key board: string
  key id: string
  lane: string
  rank: int = 0
}

projection card-rows inline {
  on Cards.added { insert card_rows(board: stream.id, id, lane: "todo", rank) }
  on Cards.moved { update card_rows[stream.id, id](lane) }
}
"#;

fn domain(text: &str) -> Domain {
    Domain::compile(&[Source::new("cards.model", text)]).expect("cards compile")
}

/// The `i`-th command: adds, then moves of the two cards every board
/// starts with (never rejected, so a batch of them never fails).
fn command(i: u64, rng: &mut Lcg) -> ExecuteRequest {
    let board = i % STREAMS as u64;
    let made = i / STREAMS as u64;
    let command = if made < 2 || rng.below(3) == 0 {
        json!({"type": "add", "data": {"id": format!("c{made}"), "title": "a card"}})
    } else {
        let lane = ["todo", "doing", "done"][rng.below(3) as usize];
        json!({"type": "move", "data": {"id": format!("c{}", rng.below(2)), "lane": lane}})
    };
    ExecuteRequest {
        model: "Cards".into(),
        id: format!("b{board}"),
        command,
        options: ExecuteOptions::default(),
    }
}

fn fill(url: &str, n: u64) {
    let engine = Engine::open(url, domain(V1), EngineOptions::default()).expect("open");
    let mut rng = Lcg(3);
    let mut i = 0;
    while i < n {
        let batch: Vec<ExecuteRequest> = (i..(i + 1000).min(n))
            .map(|k| command(k, &mut rng))
            .collect();
        engine.execute_many(&batch).expect("fill");
        i += batch.len() as u64;
    }
    engine.close().expect("close");
}

/// A writer on its own engine: commands one by one until `stop`, each
/// `pace` apart; `done` counts them.
fn writer(
    url: String,
    pace: Duration,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let options = EngineOptions {
            on_model_change: OnModelChange::Follow,
            ..EngineOptions::default()
        };
        let engine = Engine::open(&url, domain(V1), options).expect("writer");
        let mut rng = Lcg(17);
        let mut i = 10_000_000u64;
        while !stop.load(Ordering::Acquire) {
            let r = command(i % 2_000_000, &mut rng);
            // A duplicate add is no error: the model has no such check.
            let _ = engine.execute(&r.model, &r.id, &r.command, &r.options);
            done.fetch_add(1, Ordering::Relaxed);
            i += 1;
            if !pace.is_zero() {
                std::thread::sleep(pace);
            }
        }
        engine.close().expect("close");
    })
}

/// Commands per second of the writer alone, over `secs`.
fn baseline(url: &str, secs: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let w = writer(url.to_string(), Duration::ZERO, stop.clone(), done.clone());
    // Let it open and warm up first.
    while done.load(Ordering::Relaxed) < 100 {
        std::thread::yield_now();
    }
    let (from, t) = (done.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(secs));
    let rate = (done.load(Ordering::Relaxed) - from) as f64 / t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Release);
    w.join().expect("writer");
    rate
}

/// `migrate apply` of V2 while a writer with `pace` runs: what it did, and
/// how many commands the writer ran during it.
fn apply_under(url: &str, pace: Duration) -> (Applied, u64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let w = writer(url.to_string(), pace, stop.clone(), done.clone());
    while done.load(Ordering::Relaxed) < 10 {
        std::thread::yield_now();
    }
    let tool = Engine::open_active(url, EngineOptions::default()).expect("open active");
    let (from, t) = (done.load(Ordering::Relaxed), Instant::now());
    // When each stage began, to say where the time goes.
    let mut stages: Vec<(String, f64)> = Vec::new();
    let applied = tool
        .migrate_apply_with_progress(&domain(V2), &mut |stage, _, _| {
            if stages.last().is_none_or(|(s, _)| s != stage) {
                stages.push((stage.to_string(), t.elapsed().as_secs_f64() * 1000.0));
            }
        })
        .expect("apply");
    let split: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(i, (s, at))| {
            let end = stages.get(i + 1).map_or(applied.millis, |n| n.1);
            format!("{s} {:.0} ms", end - at)
        })
        .collect();
    println!("  stages: {}", split.join(", "));
    let during = done.load(Ordering::Relaxed) - from;
    let secs = t.elapsed().as_secs_f64();
    // A few more under the new model, then stop.
    let after = done.load(Ordering::Relaxed);
    while done.load(Ordering::Relaxed) < after + 10 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Release);
    w.join().expect("writer");
    // Every stream reads under the new model, and the writer followed it.
    let raw = tool
        .read_all_json(Some(
            &json!({"raw": true, "from_position": applied.position + 1}).to_string(),
        ))
        .expect("read");
    assert!(
        !raw.contains("\"schema\":1,") || !raw.contains("\"type\":\"added\",\"schema\":1"),
        "no added@1 after the switch"
    );
    tool.close().expect("close");
    (applied, during, during as f64 / secs)
}

pub fn run(quick: bool) -> bool {
    let n: u64 = if quick { 100_000 } else { 1_000_000 };
    let dir = Scratch::new("model-change");
    let first = dir.path("a.db");
    let url = sqlite_url(&first, Some("normal"));
    println!(
        "\n== model-change: migrate apply on {} events while a writer goes on ({}) ==",
        fmt_int(n as f64),
        load()
    );
    let t = Instant::now();
    fill(&url, n);
    println!(
        "filled {} events over {STREAMS} streams in {:.1} s",
        fmt_int(n as f64),
        t.elapsed().as_secs_f64()
    );
    // A copy for the throttled run (the writer adds to the first).
    let second = dir.path("b.db");
    std::fs::copy(&first, &second).expect("copy");
    let throttled_url = sqlite_url(&second, Some("normal"));

    let alone = baseline(&url, if quick { 1.0 } else { 3.0 });
    let (applied, during, rate) = apply_under(&url, Duration::ZERO);
    println!(
        "full-speed writer: apply took {:.0} ms ({} snapshots, {} events read), pause {:.1} ms ({} events caught up)",
        applied.millis, fmt_int(applied.snapshots as f64), fmt_int(applied.events as f64), applied.pause_millis, applied.caught_up
    );
    println!(
        "  the writer ran {} commands during it: {}/s, against {}/s alone ({:.2}x)",
        fmt_int(during as f64),
        fmt_int(rate),
        fmt_int(alone),
        rate / alone
    );
    let (slow, slow_during, _) = apply_under(&throttled_url, Duration::from_millis(20));
    let within = slow.pause_millis < PAUSE_BUDGET_MS;
    println!(
        "throttled writer ({} commands during the build, under 1,000): apply took {:.0} ms, pause {:.1} ms (budget under {PAUSE_BUDGET_MS} ms){}",
        fmt_int(slow_during as f64), slow.millis, slow.pause_millis, if within { "" } else { "  MISSED" }
    );
    within && slow_during < 1000
}
