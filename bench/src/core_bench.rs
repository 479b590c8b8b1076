//! The Todos workload through the core (`Domain::decide`) and through the
//! hand-written aggregate of `native.rs`, at 100, 10,000 and 100,000 todos.

use std::time::Instant;

use eventfold::{Domain, Source, Value};

use crate::native;

const MODEL: &str = include_str!("../../examples/todos/todos.model");

/// A tiny deterministic generator, so both sides run the same commands.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

struct Workload {
    native: Vec<native::Command>,
    core: Vec<eventfold::Command>,
    json: Vec<String>,
}

/// A create/change/delete mix that keeps the list at about its size:
/// 30% create-new, 30% change-completed, 10% change-text, 30% delete.
/// With `hot`, changes and deletes go to the 128 most recent todos (a
/// working set, as people mostly touch what they just wrote); without it,
/// to any todo, uniformly.
/// With `clear`, one command in 50 is clear-done.
fn mix(domain: &Domain, size: usize, len: usize, seed: u64, hot: bool, clear: bool) -> Workload {
    let mut rng = Lcg(seed);
    let mut done = std::collections::HashSet::new();
    let mut live: Vec<String> = (0..size).map(|i| format!("t{i:06}")).collect();
    let mut counter = size;
    let mut w = Workload {
        native: vec![],
        core: vec![],
        json: vec![],
    };
    for _ in 0..len {
        let op = rng.next() % 10;
        let (cmd, json) = if clear && rng.next().is_multiple_of(50) {
            live.retain(|id| !done.contains(id));
            done.clear();
            (
                native::Command::ClearDone,
                serde_json::json!({"type": "clear-done"}),
            )
        } else if op < 3 || live.is_empty() {
            let id = format!("t{counter:06}");
            let text = format!("task number {counter}");
            counter += 1;
            live.push(id.clone());
            let json = serde_json::json!({"type": "create-new", "data": {"id": id, "text": text}});
            (native::Command::CreateNew { id, text }, json)
        } else if op < 6 {
            let id = live[pick(&mut rng, live.len(), hot)].clone();
            let completed = rng.next().is_multiple_of(2);
            if completed {
                done.insert(id.clone());
            } else {
                done.remove(&id);
            }
            let json = serde_json::json!({"type": "change-completed", "data": {"id": id, "completed": completed}});
            (native::Command::ChangeCompleted { id, completed }, json)
        } else if op < 7 {
            let id = live[pick(&mut rng, live.len(), hot)].clone();
            let new_text = format!("changed {}", rng.next() % 1000);
            let json = serde_json::json!({"type": "change-text", "data": {"id": id, "new_text": new_text}});
            (native::Command::ChangeText { id, new_text }, json)
        } else {
            let i = pick(&mut rng, live.len(), hot);
            let id = live.remove(i);
            done.remove(&id);
            let json = serde_json::json!({"type": "delete", "data": {"id": id}});
            (native::Command::Delete { id }, json)
        };
        w.core
            .push(domain.command("Todos", &json).expect("a valid command"));
        w.json.push(json.to_string());
        w.native.push(cmd);
    }
    w
}

fn pick(rng: &mut Lcg, len: usize, hot: bool) -> usize {
    let window = if hot { len.min(128) } else { len };
    len - 1 - (rng.next() as usize) % window
}

fn states(domain: &Domain, size: usize) -> (Value, native::State) {
    let mut core = domain.initial_state("Todos").unwrap();
    let mut nat = native::State::default();
    for i in 0..size {
        let id = format!("t{i:06}");
        let text = format!("task number {i}");
        let completed = false;
        let json = serde_json::json!({"type": "created", "data": {"id": id, "text": text, "completed": completed}});
        core = domain
            .accept("Todos", core, &domain.event("Todos", &json).unwrap())
            .unwrap();
        native::accept(
            &mut nat,
            &native::Event::Created {
                id,
                text,
                completed,
            },
        );
    }
    (core, nat)
}

/// Best of `rounds` timings of `run` on what `setup` made, in ns per
/// command (`run` returns how many it ran). Setup is not timed.
/// `run` hands back what it worked on, so that dropping it is not timed.
fn best<S, T>(
    rounds: usize,
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(S) -> (usize, T),
) -> f64 {
    (0..rounds)
        .map(|_| {
            let input = setup();
            let start = Instant::now();
            let (n, output) = run(input);
            let ns = start.elapsed().as_nanos() as f64 / n as f64;
            drop(output);
            ns
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn run(quick: bool, only: Option<&str>) {
    let domain =
        Domain::compile(&[Source::new("todos.model", MODEL)]).expect("the todo model compiles");
    let now = Some(eventfold::value::parse_timestamp("2026-11-28T09:30:00Z").unwrap());
    let len = if quick { 5_000 } else { 50_000 };
    let rounds = if quick { 2 } else { 5 };
    if only == Some("profile") {
        // The core alone at 100 todos, long enough for a profiler.
        let w = mix(&domain, 100, len, 42, true, false);
        let (core_state, _) = states(&domain, 100);
        let ns = best(
            200,
            || core_state.clone(),
            |mut state| {
                for c in &w.core {
                    state = domain
                        .decide("Todos", state, c, now)
                        .expect("accepted")
                        .state;
                }
                (w.core.len(), state)
            },
        );
        println!("core at 100 todos: {ns:.0} ns per command");
        return;
    }
    for (hot, clear) in [(false, false), (true, false), (true, true)] {
        if only == Some("clear") {
            break;
        }
        let access = match (hot, clear) {
            (false, _) => "changes go to any todo, uniformly",
            (true, false) => "changes go to the 128 most recent todos",
            (true, true) => "the same, and one command in 50 is clear-done",
        };
        println!("Todos workload: create/change/delete mix ({access}), {len} commands a round, best of {rounds} rounds");
        println!(
            "{:>8} | {:>12} | {:>12} | {:>14} | {:>12} | {:>6} | {:>6}",
            "todos", "native ns", "core ns", "copy kept ns", "core+JSON ns", "ratio", "copy"
        );
        let mut core_at = vec![];
        for size in [100usize, 10_000, 100_000] {
            let w = mix(&domain, size, len, 42 + size as u64, hot, clear);
            let (core_state, nat_state) = states(&domain, size);

            let native_ns = best(
                rounds,
                || nat_state.clone(),
                |mut nat| {
                    for c in &w.native {
                        match native::propose(&nat, c) {
                            Ok(events) => events.iter().for_each(|e| native::accept(&mut nat, e)),
                            Err(r) => panic!("unexpected rejection {r:?}"),
                        }
                    }
                    (w.native.len(), nat)
                },
            );

            // The core, holding the state alone (it changes in place).
            let core_ns = best(
                rounds,
                || core_state.clone(),
                |mut state| {
                    for c in &w.core {
                        state = domain
                            .decide("Todos", state, c, now)
                            .expect("accepted")
                            .state;
                    }
                    (w.core.len(), state)
                },
            );
            // The core as the engine uses it: the old state is still held (by a
            // cache) while the command runs, so changes copy their path.
            let shared_ns = best(
                rounds,
                || core_state.clone(),
                |mut state| {
                    for c in &w.core {
                        let next = domain
                            .decide("Todos", state.clone(), c, now)
                            .expect("accepted")
                            .state;
                        state = next;
                    }
                    (w.core.len(), state)
                },
            );
            // With the command as JSON text and the events written back as JSON,
            // as a binding calls the engine (the state stays in memory).
            let json_ns = best(
                rounds,
                || core_state.clone(),
                |mut state| {
                    for c in &w.json {
                        let json = domain.parse_json(c).unwrap();
                        let command = domain.command("Todos", &json).unwrap();
                        let decision = domain
                            .decide("Todos", state, &command, now)
                            .expect("accepted");
                        std::hint::black_box(eventfold::events_to_json(&decision.events));
                        state = decision.state;
                    }
                    (w.json.len(), state)
                },
            );
            core_at.push(core_ns);
            println!(
            "{size:>8} | {native_ns:>12.0} | {core_ns:>12.0} | {shared_ns:>14.0} | {json_ns:>12.0} | {:>5.2}x | {:>5.2}x",
            core_ns / native_ns,
            shared_ns / native_ns
        );
        }
        println!(
            "growth: core at 100,000 todos costs {:.2}x what it costs at 100 (budget 1.5x)",
            core_at[2] / core_at[0]
        );
        println!("(copy kept: the old state is still held, as by the engine's cache; core+JSON: the command parsed from JSON text and the events written back)");
    }
    if only == Some("mix") {
        return;
    }
    println!();
    println!("clear-done with nothing done: a full scan in both implementations (O(n) by the model's own rule)");
    println!(
        "{:>8} | {:>12} | {:>12} | {:>6}",
        "todos", "native ns", "core ns", "ratio"
    );
    let clear = domain
        .command("Todos", &serde_json::json!({"type": "clear-done"}))
        .unwrap();
    for size in [100usize, 10_000, 100_000] {
        let (core_state, nat_state) = states(&domain, size);
        let reps = (2_000_000 / size).clamp(5, 20_000);
        let native_ns = best(
            rounds,
            || (),
            |()| {
                for _ in 0..reps {
                    let events = native::propose(&nat_state, &native::Command::ClearDone).unwrap();
                    std::hint::black_box(events);
                }
                (reps, ())
            },
        );
        let core_ns = best(
            rounds,
            || (),
            |()| {
                for _ in 0..reps {
                    let events = domain.propose("Todos", &core_state, &clear, now).unwrap();
                    std::hint::black_box(events);
                }
                (reps, ())
            },
        );
        println!(
            "{size:>8} | {native_ns:>12.0} | {core_ns:>12.0} | {:>5.2}x",
            core_ns / native_ns
        );
    }
}
