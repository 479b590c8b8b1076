//! Readers of a PostgreSQL store never skip an event (issue 15, item 3),
//! and wake on `LISTEN`/`NOTIFY` (item 4).
//!
//! Sixteen writers, each on a store (and so a pool) of its own as separate
//! processes would be, append to shared streams, some rolling back, each
//! holding its transaction open a little before it commits. A catch-up
//! reader on yet another store goes on from one past the last position it
//! saw, as subscriptions and async projections do, while they write. It
//! must see every committed position exactly once, in order, and nothing
//! that rolled back.

mod pg;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventfold::store::{self, Append, NewEvent, ReadFilter, Store};

const WRITERS: usize = 16;
const WRITES: usize = 30;
const STREAMS: usize = 8;

/// A small deterministic generator: each writer its own sequence.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn events(writer: usize, write: usize, n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| NewEvent {
            id: format!("{writer}-{write}-{i}-{}", std::process::id()),
            event_type: "noted".into(),
            schema: 1,
            data: format!(r#"{{"w":{writer},"n":{write},"i":{i}}}"#),
            metadata: "{}".into(),
        })
        .collect()
}

#[test]
fn no_reader_skips() {
    let Some(schema) = pg::Schema::new("skips") else {
        return;
    };
    let url = schema.url();
    // Open one first, so that the schema is made once.
    let reader: Box<dyn Store> = store::open(&url).unwrap();
    let committed = Arc::new(Mutex::new(BTreeSet::<u64>::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = url.clone();
            let committed = committed.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let s = store::open(&url).unwrap();
                let mut rng = Lcg(w as u64 + 1);
                for n in 0..WRITES {
                    let stream = format!("Log-{}", rng.next(STREAMS as u64));
                    let count = 1 + rng.next(3) as usize;
                    let fails = rng.next(7) == 0;
                    let delay = Duration::from_micros(rng.next(3000));
                    let mut taken = Vec::new();
                    let out = s.write(&mut |tx| {
                        let v = tx.version(&stream)?;
                        let first = tx.append(&[Append {
                            stream: stream.clone(),
                            model: "Log".into(),
                            expected_version: v,
                            events: events(w, n, count),
                            command_id: None,
                        }])?[0];
                        taken = (first..first + count as u64).collect();
                        // The commit waits, with the transaction open.
                        std::thread::sleep(delay);
                        if fails {
                            Err(eventfold::Error::store(
                                eventfold::StoreErrorKind::Io,
                                "rolled back on purpose",
                            ))
                        } else {
                            Ok(())
                        }
                    });
                    assert_eq!(out.is_err(), fails, "{out:?}");
                    if !fails {
                        committed.lock().unwrap().extend(taken.iter().copied());
                    }
                }
                s.close().unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    // The catch-up reader, in pages of 7, woken by the writers' commits.
    let mut seen: Vec<u64> = Vec::new();
    loop {
        let finished = done.load(Ordering::SeqCst) == WRITERS;
        let last = seen.last().copied().unwrap_or(0);
        let page = reader.read_all(&ReadFilter::all(), last + 1, 7).unwrap();
        for e in &page {
            assert!(
                e.position > seen.last().copied().unwrap_or(0),
                "out of order at {}",
                e.position
            );
            seen.push(e.position);
        }
        if page.is_empty() {
            if finished {
                break;
            }
            reader.wait(last, Duration::from_millis(200)).unwrap();
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    let committed = committed.lock().unwrap().clone();
    let seen_set: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(seen_set.len(), seen.len(), "a position was delivered twice");
    assert_eq!(
        seen_set, committed,
        "the reader missed or invented positions"
    );
    // Rolled-back writes leave no gap: positions are dense.
    assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
    // And every stream's versions are contiguous.
    for (stream, version) in reader.streams(None).unwrap() {
        let events = reader.read_stream(&stream, 1, usize::MAX).unwrap();
        let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
        assert_eq!(versions, (1..=version).collect::<Vec<_>>(), "{stream}");
    }
    reader.close().unwrap();
}

/// A commit of one store wakes a waiter of another (another process, as
/// far as the server can tell) by NOTIFY: the wait returns woken, long
/// before its timeout could end it.
#[test]
fn a_commit_elsewhere_wakes_a_waiter() {
    let Some(schema) = pg::Schema::new("wakes") else {
        return;
    };
    let waiter = Arc::new(store::open(&schema.url()).unwrap());
    let writer = store::open(&schema.url()).unwrap();
    for round in 0..3u64 {
        let w = waiter.clone();
        // Long enough that only a wake-up, never the timeout, ends it.
        let timeout = Duration::from_secs(600);
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let head = w.wait(round, timeout).unwrap();
            (head, start.elapsed())
        });
        writer
            .write(&mut |tx| {
                let v = tx.version("Log-1")?;
                tx.append(&[Append {
                    stream: "Log-1".into(),
                    model: "Log".into(),
                    expected_version: v,
                    events: events(0, round as usize, 1),
                    command_id: None,
                }])?;
                Ok(())
            })
            .unwrap();
        let (head, waited) = t.join().unwrap();
        assert_eq!(head, round + 1);
        assert!(waited < timeout, "woken by the commit, not by the timeout");
    }
    waiter.close().unwrap();
    writer.close().unwrap();
}
