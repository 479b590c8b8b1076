//! The suite every [`Store`] must pass (feature `testkit`): give
//! [`run_all`] a factory of fresh, empty stores and it checks the whole
//! contract of the trait, naming each check that failed.
//!
//! `core/tests/store_kit.rs` runs it for memory and SQLite; a new store
//! (PostgreSQL) runs it the same way. No check depends on timing: waits use
//! long timeouts and assert on what they return, never on how long they
//! took.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::{
    lease_owner, Append, CommandRecord, NewEvent, RawEvent, ReadFilter, Snapshot, Store,
    SubscriptionRow,
};
use crate::error::{Error, Result, StoreErrorKind};

/// Makes a fresh, empty store.
pub type Factory<'a> = dyn Fn() -> Box<dyn Store> + Sync + 'a;

/// One check of the kit.
pub type Check = fn(&Factory<'_>);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("append_read_fold", append_read_fold),
    ("versions_contiguous", versions_contiguous),
    ("positions_unique_increasing", positions_unique_increasing),
    ("read_all_filters_and_pages", read_all_filters_and_pages),
    ("read_stream_bounds", read_stream_bounds),
    ("streams_by_model", streams_by_model),
    ("commands", commands),
    ("snapshot_rules", snapshot_rules),
    ("savepoint_rollback", savepoint_rollback),
    ("failed_write_rolls_back", failed_write_rolls_back),
    ("closed", closed),
    ("head_and_wait", head_and_wait),
    ("wait_wakes_on_commit", wait_wakes_on_commit),
    ("wait_wakes_on_close", wait_wakes_on_close),
    (
        "concurrent_writers_and_reader",
        concurrent_writers_and_reader,
    ),
    // Subscriptions, parking and leases (issue 13).
    ("leases", leases),
    ("leases_of_gone_processes", leases_of_gone_processes),
    ("leases_race", leases_race),
    ("acks_race", acks_race),
    ("parking", parking),
    ("subscription_rows", subscription_rows),
    ("readers_closed", readers_closed),
    ("wake_ends_a_wait", wake_ends_a_wait),
    // The model registry (issue 14).
    ("registry", registry),
    ("stored_shapes", stored_shapes),
];

/// Runs every check on stores from `factory`; panics naming those that
/// failed, with their messages.
pub fn run_all(factory: &Factory<'_>) {
    let mut failed = Vec::new();
    for (name, check) in CHECKS {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(factory)));
        if let Err(panic) = out {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{name}: {message}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} store checks failed:\n{}",
        failed.len(),
        CHECKS.len(),
        failed.join("\n")
    );
}

/// A fresh event id: unique in the process, as ids must be in a store.
fn id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "kit-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn event(event_type: &str, schema: u32, data: &str) -> NewEvent {
    NewEvent {
        id: id(),
        event_type: event_type.into(),
        schema,
        data: data.into(),
        metadata: r#"{"by":"kit","ünï":"çødé 🎉"}"#.into(),
    }
}

/// Appends `events` to `stream` after its current version, read inside the
/// write; returns the first position.
fn append(
    store: &dyn Store,
    stream: &str,
    model: &str,
    events: Vec<NewEvent>,
    command_id: Option<&str>,
) -> Result<u64> {
    let mut first = 0;
    store.write(&mut |w| {
        let expected_version = w.version(stream)?;
        let a = Append {
            stream: stream.into(),
            model: model.into(),
            expected_version,
            events: events.clone(),
            command_id: command_id.map(str::to_string),
        };
        first = w.append(&[a])?[0];
        Ok(())
    })?;
    Ok(first)
}

/// `n` events of type `t` with data `{"n": i}`.
fn events(t: &str, n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| event(t, 1, &format!(r#"{{"n":{i}}}"#)))
        .collect()
}

fn all(store: &dyn Store) -> Vec<RawEvent> {
    store.read_all(&ReadFilter::all(), 1, usize::MAX).unwrap()
}

fn kind(e: &Error) -> Option<StoreErrorKind> {
    match e {
        Error::StoreError { kind, .. } => Some(*kind),
        _ => None,
    }
}

fn append_read_fold(f: &Factory<'_>) {
    let s = f();
    let evs = vec![
        event(
            "opened",
            1,
            r#"{"owner":"Zoë 日本","big":9223372036854775807}"#,
        ),
        event("deposited", 2, r#"{"amount":-1.5e300}"#),
        event("deposited", 1, r#"{"amount":0}"#),
    ];
    let first = append(&*s, "Account-a", "Account", evs.clone(), None).unwrap();
    assert_eq!(first, 1);
    assert_eq!(s.version("Account-a").unwrap(), 3);
    assert_eq!(s.version("Account-none").unwrap(), 0);
    let read = s.read_stream("Account-a", 1, usize::MAX).unwrap();
    assert_eq!(read.len(), 3);
    for (i, (r, e)) in read.iter().zip(&evs).enumerate() {
        assert_eq!(r.id, e.id);
        assert_eq!(r.stream, "Account-a");
        assert_eq!(r.version, i as u64 + 1);
        assert_eq!(r.position, i as u64 + 1);
        assert_eq!(r.event_type, e.event_type);
        assert_eq!(r.schema, e.schema, "the schema is kept");
        assert_eq!(r.data, e.data, "data text is kept byte for byte");
        assert_eq!(r.metadata, e.metadata);
    }
    assert_eq!(all(&*s), read);
    let mut seen = Vec::new();
    s.fold("Account-a", 1, &mut |v, t, schema, d| {
        seen.push((v, t.to_string(), schema, d.to_string()));
        Ok(())
    })
    .unwrap();
    let want: Vec<_> = read[1..]
        .iter()
        .map(|r| (r.version, r.event_type.clone(), r.schema, r.data.clone()))
        .collect();
    assert_eq!(seen, want, "fold after version 1");
    // The same inside a write.
    let mut inside = Vec::new();
    s.write(&mut |w| {
        assert_eq!(w.version("Account-a")?, 3);
        w.fold("Account-a", 0, &mut |v, _, _, _| {
            inside.push(v);
            Ok(())
        })?;
        assert_eq!(w.read_stream("Account-a", 2, 1)?, read[1..2].to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(inside, vec![1, 2, 3]);
    // A visitor's error stops the fold and is returned.
    let mut calls = 0;
    let out = s.fold("Account-a", 0, &mut |_, _, _, _| {
        calls += 1;
        Err(Error::store(StoreErrorKind::Io, "stop"))
    });
    assert!(out.is_err());
    assert_eq!(calls, 1);
}

fn versions_contiguous(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 2), None).unwrap();
    append(&*s, "T-1", "T", events("e", 3), None).unwrap();
    // An append over a version that is not the stream's is refused and
    // writes nothing.
    let stale = s.write(&mut |w| {
        w.append(&[Append {
            stream: "T-1".into(),
            model: "T".into(),
            expected_version: 2,
            events: events("e", 1),
            command_id: None,
        }])
        .map(|_| ())
    });
    assert!(kind(&stale.unwrap_err()).is_some(), "a store_error");
    let versions: Vec<u64> = s
        .read_stream("T-1", 1, usize::MAX)
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);
    assert_eq!(s.version("T-1").unwrap(), 5);
}

fn positions_unique_increasing(f: &Factory<'_>) {
    let s = f();
    let mut firsts = Vec::new();
    for i in 0..6 {
        let stream = format!("T-{}", i % 3);
        firsts.push(append(&*s, &stream, "T", events("e", i % 3 + 1), None).unwrap());
    }
    let log = all(&*s);
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    let want: Vec<u64> = (1..=log.len() as u64).collect();
    assert_eq!(positions, want, "positions 1, 2, 3... in commit order");
    // Each append's first position is where its events start.
    let mut at = 1;
    for (i, first) in firsts.iter().enumerate() {
        assert_eq!(*first, at, "first position of append {i}");
        at += (i % 3 + 1) as u64;
    }
    // Several appends in one write: consecutive, in order; none for an
    // empty one.
    let mut got = Vec::new();
    s.write(&mut |w| {
        let a = |stream: &str, n, v| Append {
            stream: stream.into(),
            model: "T".into(),
            expected_version: v,
            events: events("e", n),
            command_id: None,
        };
        let (v0, v1) = (w.version("T-0")?, w.version("T-1")?);
        got = w.append(&[a("T-0", 2, v0), a("T-1", 0, v1), a("T-1", 1, v1)])?;
        Ok(())
    })
    .unwrap();
    let next = log.len() as u64 + 1;
    assert_eq!(got, vec![next, 0, next + 2]);
    assert_eq!(s.head().unwrap(), next + 2);
}

fn read_all_filters_and_pages(f: &Factory<'_>) {
    let s = f();
    let mut v = Vec::new();
    for i in 0..12 {
        let (model, t) = match i % 3 {
            0 => ("Account", "opened"),
            1 => ("Account", "deposited"),
            _ => ("Cart", "opened"),
        };
        append(
            &*s,
            &format!("{model}-{}", i % 2),
            model,
            events(t, 1),
            None,
        )
        .unwrap();
        v.push((model, t));
    }
    let filter = |models: &[&str], types: &[&str]| ReadFilter {
        models: models.iter().map(|m| m.to_string()).collect(),
        types: types.iter().map(|t| t.to_string()).collect(),
    };
    let positions = |fl: &ReadFilter, from, limit| -> Vec<u64> {
        s.read_all(fl, from, limit)
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect()
    };
    let want = |pass: &dyn Fn(&str, &str) -> bool| -> Vec<u64> {
        (1..=12)
            .filter(|&p| pass(v[p as usize - 1].0, v[p as usize - 1].1))
            .collect()
    };
    let cases: Vec<(ReadFilter, Vec<u64>)> = vec![
        (ReadFilter::all(), want(&|_, _| true)),
        (filter(&["Account"], &[]), want(&|m, _| m == "Account")),
        (filter(&["Cart"], &[]), want(&|m, _| m == "Cart")),
        (filter(&[], &["opened"]), want(&|_, t| t == "opened")),
        (
            filter(&["Account"], &["opened"]),
            want(&|m, t| m == "Account" && t == "opened"),
        ),
        (
            filter(&["Account", "Cart"], &["deposited", "opened"]),
            want(&|_, _| true),
        ),
        (filter(&["Nobody"], &[]), vec![]),
        (filter(&[], &["nothing"]), vec![]),
    ];
    for (fl, expected) in &cases {
        assert_eq!(&positions(fl, 1, usize::MAX), expected, "filter {fl:?}");
        assert_eq!(positions(fl, 0, usize::MAX), *expected, "from 0 is from 1");
        // Paging by 2 from one past the last position gives the same.
        let mut paged = Vec::new();
        let mut from = 1;
        loop {
            let page = positions(fl, from, 2);
            assert!(page.len() <= 2);
            match page.last() {
                Some(&last) => from = last + 1,
                None => break,
            }
            paged.extend(page);
        }
        assert_eq!(&paged, expected, "paged, filter {fl:?}");
        let tail: Vec<u64> = expected.iter().copied().filter(|&p| p >= 7).collect();
        assert_eq!(positions(fl, 7, usize::MAX), tail, "from 7, filter {fl:?}");
    }
    assert!(positions(&ReadFilter::all(), 13, 10).is_empty());
    assert!(positions(&ReadFilter::all(), u64::MAX, 10).is_empty());
    assert!(positions(&ReadFilter::all(), 1, 0).is_empty());
}

fn read_stream_bounds(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 5), None).unwrap();
    append(&*s, "T-2", "T", events("e", 2), None).unwrap();
    let versions = |from, limit| -> Vec<u64> {
        s.read_stream("T-1", from, limit)
            .unwrap()
            .iter()
            .map(|e| e.version)
            .collect()
    };
    assert_eq!(versions(1, usize::MAX), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        versions(0, usize::MAX),
        vec![1, 2, 3, 4, 5],
        "from 0 is from 1"
    );
    assert_eq!(versions(3, usize::MAX), vec![3, 4, 5]);
    assert_eq!(versions(2, 2), vec![2, 3]);
    assert_eq!(versions(5, 10), vec![5]);
    assert!(versions(6, 10).is_empty());
    assert!(versions(1, 0).is_empty());
    assert!(versions(u64::MAX, 10).is_empty());
    assert!(s.read_stream("T-none", 1, 10).unwrap().is_empty());
}

fn streams_by_model(f: &Factory<'_>) {
    let s = f();
    append(&*s, "Cart-x", "Cart", events("e", 2), None).unwrap();
    append(&*s, "Account-b", "Account", events("e", 1), None).unwrap();
    append(&*s, "Account-a", "Account", events("e", 3), None).unwrap();
    // A model name with `-` in it is told apart by the stored model.
    append(&*s, "Account-x-1", "Account-x", events("e", 1), None).unwrap();
    let all = s.streams(None).unwrap();
    assert_eq!(
        all,
        vec![
            ("Account-a".to_string(), 3),
            ("Account-b".to_string(), 1),
            ("Account-x-1".to_string(), 1),
            ("Cart-x".to_string(), 2)
        ]
    );
    let accounts = s.streams(Some("Account")).unwrap();
    assert_eq!(
        accounts,
        vec![("Account-a".to_string(), 3), ("Account-b".to_string(), 1)]
    );
    assert!(s.streams(Some("Nobody")).unwrap().is_empty());
}

fn commands(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 2), Some("c1")).unwrap();
    append(&*s, "T-1", "T", events("e", 3), Some("c2")).unwrap();
    let rec = |first_version, last_version| {
        Some(CommandRecord {
            first_version,
            last_version,
        })
    };
    assert_eq!(s.command("T-1", "c1").unwrap(), rec(1, 2));
    assert_eq!(s.command("T-1", "c2").unwrap(), rec(3, 5));
    assert_eq!(s.command("T-1", "c3").unwrap(), None);
    assert_eq!(s.command("T-2", "c1").unwrap(), None, "by stream");
    // The same id on another stream is another command.
    append(&*s, "T-2", "T", events("e", 1), Some("c1")).unwrap();
    assert_eq!(s.command("T-2", "c1").unwrap(), rec(1, 1));
    // An id already recorded on the stream is refused, and nothing of that
    // write stays.
    let again = append(&*s, "T-1", "T", events("e", 1), Some("c1"));
    assert!(kind(&again.unwrap_err()).is_some(), "a store_error");
    assert_eq!(s.version("T-1").unwrap(), 5);
    assert_eq!(s.command("T-1", "c1").unwrap(), rec(1, 2));
    // An append without events records nothing.
    append(&*s, "T-1", "T", vec![], Some("c9")).unwrap();
    assert_eq!(s.command("T-1", "c9").unwrap(), None);
    s.write(&mut |w| {
        assert_eq!(w.command("T-1", "c2")?, rec(3, 5));
        Ok(())
    })
    .unwrap();
}

fn snapshot_rules(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 10), None).unwrap();
    let snap = |version: u64, fingerprint: &str| Snapshot {
        stream: "T-1".into(),
        version,
        fingerprint: fingerprint.into(),
        state: format!(r#"{{"at":{version},"fp":"{fingerprint}"}}"#),
        checksum: format!("sum-{version}-{fingerprint}"),
    };
    assert_eq!(s.snapshot("T-1", "a").unwrap(), None);
    s.save_snapshot(&snap(5, "a")).unwrap();
    assert_eq!(s.snapshot("T-1", "a").unwrap(), Some(snap(5, "a")));
    // Newer replaces.
    s.save_snapshot(&snap(8, "a")).unwrap();
    assert_eq!(s.snapshot("T-1", "a").unwrap(), Some(snap(8, "a")));
    // Older, same model: kept the newer.
    s.save_snapshot(&snap(6, "a")).unwrap();
    assert_eq!(s.snapshot("T-1", "a").unwrap(), Some(snap(8, "a")));
    // The same version again replaces (a rebuild).
    let mut rebuilt = snap(8, "a");
    rebuilt.state = r#"{"rebuilt":true}"#.into();
    s.save_snapshot(&rebuilt).unwrap();
    assert_eq!(s.snapshot("T-1", "a").unwrap(), Some(rebuilt.clone()));
    // Another model version (fingerprint) keeps its own beside it: a
    // migration builds the new one's while the old one's serve.
    s.save_snapshot(&snap(3, "b")).unwrap();
    assert_eq!(s.snapshot("T-1", "b").unwrap(), Some(snap(3, "b")));
    assert_eq!(s.snapshot("T-1", "a").unwrap(), Some(rebuilt.clone()));
    // A stored one past the stream's end is damaged: an older one replaces.
    s.save_snapshot(&snap(40, "b")).unwrap();
    assert_eq!(s.snapshot("T-1", "b").unwrap(), Some(snap(40, "b")));
    s.save_snapshot(&snap(9, "b")).unwrap();
    assert_eq!(s.snapshot("T-1", "b").unwrap(), Some(snap(9, "b")));
    // Streams keep their own.
    assert_eq!(s.snapshot("T-2", "b").unwrap(), None);
    // Many at once follow the same rules.
    s.save_snapshots(&[snap(2, "c"), snap(4, "c"), snap(3, "c")])
        .unwrap();
    assert_eq!(s.snapshot("T-1", "c").unwrap(), Some(snap(4, "c")));
    s.delete_snapshots("c").unwrap();
    // Deleting one version's leaves the other's.
    assert_eq!(s.delete_snapshots("a").unwrap(), 1);
    assert_eq!(s.snapshot("T-1", "a").unwrap(), None);
    assert_eq!(s.snapshot("T-1", "b").unwrap(), Some(snap(9, "b")));
    s.write(&mut |w| {
        assert_eq!(w.snapshot("T-1", "b")?, Some(snap(9, "b")));
        Ok(())
    })
    .unwrap();
}

fn savepoint_rollback(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 1), None).unwrap();
    s.write(&mut |w| {
        let one = |w: &mut dyn super::WriteTx, stream: &str, command: &str| -> Result<()> {
            let v = w.version(stream)?;
            w.append(&[Append {
                stream: stream.into(),
                model: "T".into(),
                expected_version: v,
                events: events(command, 1),
                command_id: Some(command.into()),
            }])
            .map(|_| ())
        };
        w.savepoint()?;
        one(w, "T-1", "kept")?;
        w.release_savepoint()?;
        w.savepoint()?;
        one(w, "T-1", "undone")?;
        one(w, "T-new", "undone")?;
        assert_eq!(w.version("T-1")?, 3);
        w.rollback_to_savepoint()?;
        assert_eq!(w.version("T-1")?, 2, "rolled back inside the write");
        assert_eq!(w.version("T-new")?, 0);
        assert_eq!(w.command("T-1", "undone")?, None);
        w.savepoint()?;
        one(w, "T-1", "after")?;
        w.release_savepoint()
    })
    .unwrap();
    let types: Vec<String> = all(&*s).into_iter().map(|e| e.event_type).collect();
    assert_eq!(types, vec!["e", "kept", "after"]);
    let positions: Vec<u64> = all(&*s).iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        vec![1, 2, 3],
        "no hole where the undone events were"
    );
    assert_eq!(s.version("T-1").unwrap(), 3);
    assert_eq!(s.version("T-new").unwrap(), 0);
    assert!(s.streams(None).unwrap().iter().all(|(n, _)| n != "T-new"));
    assert_eq!(s.command("T-1", "undone").unwrap(), None);
    assert!(s.command("T-1", "after").unwrap().is_some());
}

fn failed_write_rolls_back(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 2), Some("first")).unwrap();
    let out = s.write(&mut |w| {
        let v = w.version("T-1")?;
        w.append(&[
            Append {
                stream: "T-1".into(),
                model: "T".into(),
                expected_version: v,
                events: events("lost", 2),
                command_id: Some("lost".into()),
            },
            Append {
                stream: "T-2".into(),
                model: "T".into(),
                expected_version: 0,
                events: events("lost", 1),
                command_id: Some("lost".into()),
            },
        ])?;
        Err(Error::store(StoreErrorKind::Io, "the work failed"))
    });
    let e = out.unwrap_err().to_string();
    assert!(
        e.contains("the work failed"),
        "the work's error is returned: {e}"
    );
    assert_eq!(s.version("T-1").unwrap(), 2);
    assert_eq!(s.version("T-2").unwrap(), 0);
    assert_eq!(s.command("T-1", "lost").unwrap(), None);
    assert_eq!(s.command("T-2", "lost").unwrap(), None);
    assert_eq!(s.streams(None).unwrap(), vec![("T-1".to_string(), 2)]);
    assert_eq!(s.head().unwrap(), 2);
    assert_eq!(all(&*s).len(), 2);
    // And the store goes on: the same id can be recorded now.
    append(&*s, "T-2", "T", events("e", 1), Some("lost")).unwrap();
    assert_eq!(s.version("T-2").unwrap(), 1);
    assert_eq!(s.head().unwrap(), 3);
}

fn closed(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 1), None).unwrap();
    s.close().unwrap();
    s.close().unwrap();
    let snap = Snapshot {
        stream: "T-1".into(),
        version: 1,
        fingerprint: "a".into(),
        state: "{}".into(),
        checksum: "x".into(),
    };
    let outs: Vec<(&str, Result<()>)> = vec![
        ("write", s.write(&mut |_| Ok(()))),
        ("version", s.version("T-1").map(|_| ())),
        ("fold", s.fold("T-1", 0, &mut |_, _, _, _| Ok(()))),
        ("read_stream", s.read_stream("T-1", 1, 10).map(|_| ())),
        (
            "read_all",
            s.read_all(&ReadFilter::all(), 1, 10).map(|_| ()),
        ),
        ("streams", s.streams(None).map(|_| ())),
        ("command", s.command("T-1", "c").map(|_| ())),
        ("snapshot", s.snapshot("T-1", "a").map(|_| ())),
        ("save_snapshot", s.save_snapshot(&snap)),
        ("head", s.head().map(|_| ())),
        ("wait", s.wait(0, Duration::from_secs(86_400)).map(|_| ())),
    ];
    for (call, out) in outs {
        match out {
            Err(e) => assert_eq!(kind(&e), Some(StoreErrorKind::Closed), "{call}: {e}"),
            Ok(()) => panic!("{call} worked on a closed store"),
        }
    }
}

fn head_and_wait(f: &Factory<'_>) {
    let s = f();
    assert_eq!(s.head().unwrap(), 0);
    // Nothing new: the timeout ends it, with the head as it is.
    assert_eq!(s.wait(0, Duration::ZERO).unwrap(), 0);
    append(&*s, "T-1", "T", events("e", 3), None).unwrap();
    assert_eq!(s.head().unwrap(), 3);
    // Already past: at once, whatever the timeout.
    assert_eq!(s.wait(0, Duration::from_secs(86_400)).unwrap(), 3);
    assert_eq!(s.wait(2, Duration::from_secs(86_400)).unwrap(), 3);
    assert_eq!(s.wait(3, Duration::ZERO).unwrap(), 3);
    assert_eq!(s.wait(u64::MAX, Duration::from_millis(1)).unwrap(), 3);
    // A write that appends nothing, or fails, moves nothing.
    append(&*s, "T-1", "T", vec![], None).unwrap();
    let _ = s.write(&mut |_| Err(Error::store(StoreErrorKind::Io, "no")));
    assert_eq!(s.head().unwrap(), 3);
}

fn wait_wakes_on_commit(f: &Factory<'_>) {
    let s: Arc<dyn Store> = Arc::from(f());
    append(&*s, "T-1", "T", events("e", 2), None).unwrap();
    let ready = Arc::new(Barrier::new(2));
    let waiter = {
        let (s, ready) = (s.clone(), ready.clone());
        // A day: a store that never wakes hangs here instead of passing.
        std::thread::spawn(move || {
            ready.wait();
            s.wait(2, Duration::from_secs(86_400))
        })
    };
    ready.wait();
    append(&*s, "T-2", "T", events("e", 1), None).unwrap();
    let woke = waiter.join().unwrap().unwrap();
    assert_eq!(woke, 3, "woken with the new head");
}

fn wait_wakes_on_close(f: &Factory<'_>) {
    let s: Arc<dyn Store> = Arc::from(f());
    let ready = Arc::new(Barrier::new(2));
    let waiter = {
        let (s, ready) = (s.clone(), ready.clone());
        std::thread::spawn(move || {
            ready.wait();
            s.wait(0, Duration::from_secs(86_400))
        })
    };
    ready.wait();
    s.close().unwrap();
    let out = waiter.join().unwrap();
    assert_eq!(kind(&out.unwrap_err()), Some(StoreErrorKind::Closed));
}

fn concurrent_writers_and_reader(f: &Factory<'_>) {
    const WRITERS: usize = 4;
    const WRITES: usize = 40;
    let s: Arc<dyn Store> = Arc::from(f());
    // Every write: 1 to 3 events to the writer's own stream, and every
    // third also one to a shared stream, in the same write.
    let sizes = |w: usize, i: usize| (w + i) % 3 + 1;
    let total: u64 = (0..WRITERS)
        .flat_map(|w| (0..WRITES).map(move |i| (sizes(w, i) + usize::from(i % 3 == 0)) as u64))
        .sum();
    // The writers, the reader and this thread start together.
    let start = Arc::new(Barrier::new(WRITERS + 2));
    let reader = {
        let (s, start) = (s.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            let mut seen = Vec::new();
            let mut last = 0;
            // Until the event this thread appends once the writers are done
            // (so that a failed writer fails the check, never hangs it).
            loop {
                s.wait(last, Duration::from_secs(86_400)).unwrap();
                for e in s.read_all(&ReadFilter::all(), last + 1, 7).unwrap() {
                    assert!(e.position > last, "position {} after {last}", e.position);
                    last = e.position;
                    if e.event_type == "end" {
                        return seen;
                    }
                    seen.push(e.position);
                }
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (s, start) = (s.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..WRITES {
                    s.write(&mut |tx| {
                        let own = format!("W-{w}");
                        let mut appends = vec![Append {
                            stream: own.clone(),
                            model: "W".into(),
                            expected_version: tx.version(&own)?,
                            events: events(&format!("w{w}"), sizes(w, i)),
                            command_id: Some(format!("c{i}")),
                        }];
                        if i % 3 == 0 {
                            appends.push(Append {
                                stream: "W-shared".into(),
                                model: "W".into(),
                                expected_version: tx.version("W-shared")?,
                                events: events(&format!("w{w}"), 1),
                                command_id: None,
                            });
                        }
                        tx.append(&appends).map(|_| ())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    start.wait();
    let failed = writers.into_iter().filter_map(|w| w.join().err()).count();
    append(&*s, "W-end", "End", vec![event("end", 1, "{}")], None).unwrap();
    let seen = reader.join().unwrap();
    assert_eq!(failed, 0, "writers failed");
    let want: Vec<u64> = (1..=total).collect();
    assert_eq!(seen, want, "the reader saw every position once, in order");
    let mut log = all(&*s);
    assert_eq!(log.pop().map(|e| e.event_type), Some("end".to_string()));
    assert_eq!(log.len() as u64, total);
    let ids: BTreeSet<&str> = log.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), log.len(), "no event twice");
    let mut versions: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &log {
        versions.entry(&e.stream).or_default().push(e.version);
    }
    for (stream, v) in versions {
        let want: Vec<u64> = (1..=v.len() as u64).collect();
        assert_eq!(v, want, "versions of {stream}");
    }
    assert_eq!(s.head().unwrap(), total + 1);
}

// ---- Subscriptions, parking and leases (issue 13) ----

const TTL: Duration = Duration::from_secs(86_400);

fn leases(f: &Factory<'_>) {
    let s = f();
    let (a, b) = (lease_owner(), lease_owner());
    assert_eq!(s.lease("L").unwrap(), None);
    assert!(s.take_lease("L", &a, TTL).unwrap(), "a free lease is taken");
    assert!(!s.take_lease("L", &b, TTL).unwrap(), "a held lease is not");
    assert!(s.take_lease("L", &a, TTL).unwrap(), "its holder renews it");
    assert_eq!(s.lease("L").unwrap().unwrap().owner, a);
    // Another name is another lease.
    assert!(s.take_lease("M", &b, TTL).unwrap());
    // Only the holder releases it.
    s.release_lease("L", &b).unwrap();
    assert!(!s.take_lease("L", &b, TTL).unwrap());
    s.release_lease("L", &a).unwrap();
    assert_eq!(s.lease("L").unwrap(), None);
    assert!(
        s.take_lease("L", &b, TTL).unwrap(),
        "a released lease is free"
    );
    // An expired one is free too (a ttl of 0 ends at once).
    assert!(s.take_lease("N", &a, Duration::ZERO).unwrap());
    assert!(
        s.take_lease("N", &b, TTL).unwrap(),
        "an expired lease is free"
    );
    assert_eq!(s.lease("N").unwrap().unwrap().owner, b);
    s.release_lease("nothing", &a).unwrap();
}

fn leases_of_gone_processes(f: &Factory<'_>) {
    let s = f();
    // A process of this host that exited (and was reaped): its lease is
    // free at once, whatever its ttl.
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("run `true`");
    let pid = child.id();
    child.wait().unwrap();
    let me = lease_owner();
    let mut parts = me.splitn(3, ':');
    let host = parts.next().unwrap();
    let gone = format!("{host}:{pid}:gone");
    assert!(s.take_lease("L", &gone, TTL).unwrap());
    assert!(
        s.take_lease("L", &me, TTL).unwrap(),
        "a dead holder frees it"
    );
    assert_eq!(s.lease("L").unwrap().unwrap().owner, me);
    // One of another host is held until it expires.
    assert!(s
        .take_lease("M", &format!("elsewhere:{pid}:x"), TTL)
        .unwrap());
    assert!(!s.take_lease("M", &me, TTL).unwrap());
}

/// Owners racing for one lease, all at once: exactly one wins it, whether
/// it was missing, expired, or held by a process that is gone. (On a
/// store of many connections, such as PostgreSQL, each racer works in a
/// transaction of its own, as separate processes would.)
fn leases_race(f: &Factory<'_>) {
    const RACERS: usize = 6;
    let s: Arc<dyn Store> = Arc::from(f());
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("run `true`");
    let pid = child.id();
    child.wait().unwrap();
    let me = lease_owner();
    let host = me.split(':').next().unwrap();
    let gone = format!("{host}:{pid}:gone");
    let expired = lease_owner();
    for round in 0..6 {
        let name = format!("L{round}");
        match round % 3 {
            0 => {}
            1 => assert!(s.take_lease(&name, &expired, Duration::ZERO).unwrap()),
            _ => assert!(s.take_lease(&name, &gone, TTL).unwrap()),
        }
        let start = Arc::new(Barrier::new(RACERS));
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                let (s, start, name) = (s.clone(), start.clone(), name.clone());
                std::thread::spawn(move || {
                    let owner = lease_owner();
                    start.wait();
                    let won = s.take_lease(&name, &owner, TTL).unwrap();
                    (owner, won)
                })
            })
            .collect();
        let outs: Vec<(String, bool)> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let winners: Vec<&String> = outs
            .iter()
            .filter(|(_, won)| *won)
            .map(|(o, _)| o)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: one winner, not {winners:?}"
        );
        assert_eq!(
            &s.lease(&name).unwrap().unwrap().owner,
            winners[0],
            "round {round}"
        );
    }
}

/// Acks and re-subscriptions racing on one subscription (a row made by
/// whichever comes first): the checkpoint ends at the highest position any
/// of them wrote, never lower.
fn acks_race(f: &Factory<'_>) {
    const RACERS: u64 = 6;
    const ACKS: u64 = 20;
    let s: Arc<dyn Store> = Arc::from(f());
    let start = Arc::new(Barrier::new(RACERS as usize));
    let racers: Vec<_> = (0..RACERS)
        .map(|r| {
            let (s, start) = (s.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..ACKS {
                    // Racers interleave high and low positions.
                    let position = if (r + i) % 2 == 0 { i * RACERS + r } else { r };
                    s.ack("sub", position).unwrap();
                    if i % 5 == 0 {
                        s.put_subscription(&SubscriptionRow {
                            name: "sub".into(),
                            checkpoint: i,
                            models: vec![],
                            types: vec![],
                            created_at: "2026-01-02T03:04:05Z".into(),
                        })
                        .unwrap();
                    }
                }
            })
        })
        .collect();
    for r in racers {
        r.join().unwrap();
    }
    let highest = (0..RACERS)
        .flat_map(|r| {
            (0..ACKS)
                .filter(move |i| (r + i) % 2 == 0)
                .map(move |i| i * RACERS + r)
        })
        .max()
        .unwrap();
    let row = s.subscription("sub").unwrap().unwrap();
    assert_eq!(row.checkpoint, highest, "the highest ack wins");
    assert_eq!(s.subscriptions().unwrap().len(), 1);
}

fn parking(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 3), None).unwrap();
    let stored = all(&*s);
    assert_eq!(s.parked("sub").unwrap(), vec![]);
    assert_eq!(s.parked_count("sub").unwrap(), 0);
    s.park("sub", &stored[2], "third").unwrap();
    s.park("sub", &stored[0], "first ünï").unwrap();
    // Twice: the first row stays.
    s.park("sub", &stored[0], "again").unwrap();
    s.park("other", &stored[1], "x").unwrap();
    let parked = s.parked("sub").unwrap();
    assert_eq!(parked.len(), 2);
    assert_eq!(s.parked_count("sub").unwrap(), 2);
    assert_eq!(parked[0].position, stored[0].position, "oldest first");
    assert_eq!(parked[0].reason, "first ünï");
    assert_eq!(parked[0].name, "sub");
    assert_eq!(parked[0].event, stored[0], "the event as stored");
    assert_eq!(parked[1].event, stored[2]);
    assert!(
        parked[0].parked_at.ends_with('Z') && parked[0].parked_at.len() >= 20,
        "parked_at is a timestamp: {}",
        parked[0].parked_at
    );
    assert_eq!(s.parked_count("other").unwrap(), 1);
    assert_eq!(s.parked("nobody").unwrap(), vec![]);
}

fn subscription_rows(f: &Factory<'_>) {
    let s = f();
    assert_eq!(s.subscription("a").unwrap(), None);
    assert_eq!(s.subscriptions().unwrap(), vec![]);
    let row = SubscriptionRow {
        name: "b".into(),
        checkpoint: 5,
        models: vec!["Todo".into()],
        types: vec![],
        created_at: "2026-01-02T03:04:05Z".into(),
    };
    s.put_subscription(&row).unwrap();
    assert_eq!(s.subscription("b").unwrap().as_ref(), Some(&row));
    // Again: new filters, the checkpoint never back, the first created_at.
    s.put_subscription(&SubscriptionRow {
        checkpoint: 2,
        models: vec![],
        types: vec!["x".into(), "y".into()],
        created_at: "2027-01-01T00:00:00Z".into(),
        ..row.clone()
    })
    .unwrap();
    let now = s.subscription("b").unwrap().unwrap();
    assert_eq!(now.checkpoint, 5);
    assert_eq!(now.models, Vec::<String>::new());
    assert_eq!(now.types, vec!["x".to_string(), "y".to_string()]);
    assert_eq!(now.created_at, row.created_at);
    // Acks move it forward only.
    s.ack("b", 9).unwrap();
    s.ack("b", 7).unwrap();
    assert_eq!(s.subscription("b").unwrap().unwrap().checkpoint, 9);
    // An ack of a name without a row makes one, without filters.
    s.ack("a", 3).unwrap();
    let a = s.subscription("a").unwrap().unwrap();
    assert_eq!((a.checkpoint, a.models.len(), a.types.len()), (3, 0, 0));
    let names: Vec<String> = s
        .subscriptions()
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["a", "b"], "by name");
}

fn readers_closed(f: &Factory<'_>) {
    let s = f();
    append(&*s, "T-1", "T", events("e", 1), None).unwrap();
    let event = all(&*s).remove(0);
    s.close().unwrap();
    let row = SubscriptionRow {
        name: "a".into(),
        checkpoint: 0,
        models: vec![],
        types: vec![],
        created_at: "2026-01-02T03:04:05Z".into(),
    };
    let outs: Vec<(&str, Result<()>)> = vec![
        ("take_lease", s.take_lease("L", "o", TTL).map(|_| ())),
        ("release_lease", s.release_lease("L", "o")),
        ("lease", s.lease("L").map(|_| ())),
        ("park", s.park("a", &event, "r")),
        ("parked", s.parked("a").map(|_| ())),
        ("parked_count", s.parked_count("a").map(|_| ())),
        ("subscription", s.subscription("a").map(|_| ())),
        ("put_subscription", s.put_subscription(&row)),
        ("subscriptions", s.subscriptions().map(|_| ())),
        ("ack", s.ack("a", 1)),
    ];
    for (call, out) in outs {
        match out {
            Err(e) => assert_eq!(kind(&e), Some(StoreErrorKind::Closed), "{call}: {e}"),
            Ok(()) => panic!("{call} worked on a closed store"),
        }
    }
    // Waking a closed store's waiters is harmless.
    s.wake();
}

fn wake_ends_a_wait(f: &Factory<'_>) {
    let s: Arc<dyn Store> = Arc::from(f());
    append(&*s, "T-1", "T", events("e", 2), None).unwrap();
    let waiter = {
        let s = s.clone();
        // A day: only a wake (or a commit, which this check never makes)
        // ends it.
        std::thread::spawn(move || s.wait(2, Duration::from_secs(86_400)))
    };
    // The waiter may not be waiting yet when a wake comes: wake until it
    // has returned.
    while !waiter.is_finished() {
        s.wake();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(waiter.join().unwrap().unwrap(), 2, "the head as it is");
    // A wake with nobody waiting changes nothing for the next wait.
    s.wake();
    assert_eq!(s.wait(2, Duration::ZERO).unwrap(), 2);
}

// ---- The model registry (issue 14) ----

fn registry(f: &Factory<'_>) {
    use crate::store::{Activate, NewVersion, SourceFiles};
    let s = f();
    let files = |h: &str| SourceFiles {
        hash: h.into(),
        files: format!(r#"[{{"name":"{h}.model","text":"model {h}"}}]"#),
    };
    let v = |model: &str, rev: &str| NewVersion {
        model: model.into(),
        revision: rev.into(),
        fingerprint: format!("fp-{rev}"),
    };
    let active = |s: &dyn Store| -> Vec<(String, String)> {
        let mut a: Vec<_> = s
            .model_versions()
            .unwrap()
            .into_iter()
            .filter(|x| x.active)
            .map(|x| (x.model, x.revision))
            .collect();
        a.sort();
        a
    };
    let pair = |m: &str, r: &str| (m.to_string(), r.to_string());
    assert!(s.model_versions().unwrap().is_empty());
    // First use: active.
    let g1 = s
        .register(
            &files("one"),
            &[v("A", "a1"), v("B", "b1")],
            Activate::Unseen,
            "t1",
        )
        .unwrap();
    assert_eq!(active(&*s), vec![pair("A", "a1"), pair("B", "b1")]);
    assert_eq!(s.model_source("one").unwrap(), Some(files("one").files));
    assert_eq!(s.model_source("none").unwrap(), None);
    // Again: nothing changes.
    let again = s
        .register(
            &files("one"),
            &[v("A", "a1"), v("B", "b1")],
            Activate::Unseen,
            "t2",
        )
        .unwrap();
    assert_eq!(again, g1);
    // A version never seen replaces the active one; a seen one stays.
    let g2 = s
        .register(
            &files("two"),
            &[v("A", "a2"), v("B", "b1")],
            Activate::Unseen,
            "t3",
        )
        .unwrap();
    assert!(g2 > g1);
    assert_eq!(active(&*s), vec![pair("A", "a2"), pair("B", "b1")]);
    s.register(&files("one"), &[v("A", "a1")], Activate::Unseen, "t4")
        .unwrap();
    assert_eq!(active(&*s), vec![pair("A", "a2"), pair("B", "b1")]);
    // Unclaimed: registered, active only for a model without one.
    s.register(
        &files("three"),
        &[v("A", "a3"), v("C", "c1")],
        Activate::Unclaimed,
        "t5",
    )
    .unwrap();
    assert_eq!(
        active(&*s),
        vec![pair("A", "a2"), pair("B", "b1"), pair("C", "c1")]
    );
    let all = s.model_versions().unwrap();
    let a: Vec<&str> = all
        .iter()
        .filter(|x| x.model == "A")
        .map(|x| x.revision.as_str())
        .collect();
    assert_eq!(a, vec!["a1", "a2", "a3"], "oldest first");
    let a3 = all.iter().find(|x| x.revision == "a3").unwrap();
    assert_eq!(
        (a3.activated_at.as_deref(), a3.registered_at.as_str()),
        (None, "t5")
    );
    assert_eq!(
        (a3.fingerprint.as_str(), a3.source.as_str()),
        ("fp-a3", "three")
    );
    // Activation inside a write moves the generation; a rollback undoes it.
    let before = s.write_generation();
    let failed = s.write(&mut |w| {
        assert!(w.activate("A", "a3", "t6")?);
        Err(Error::Internal {
            message: "undo".into(),
        })
    });
    assert!(failed.is_err());
    assert_eq!(active(&*s)[0], pair("A", "a2"));
    assert_eq!(s.write_generation(), before);
    s.write(&mut |w| {
        assert!(!w.activate("A", "nope", "t6")?, "an unknown version");
        assert!(w.activate("A", "a3", "t6")?);
        let act = w.active_versions()?;
        assert!(act.iter().any(|x| x.model == "A" && x.revision == "a3"));
        Ok(())
    })
    .unwrap();
    assert!(s.write_generation() > before);
    assert_eq!(active(&*s)[0], pair("A", "a3"));
    let a3 = s
        .model_versions()
        .unwrap()
        .into_iter()
        .find(|x| x.revision == "a3")
        .unwrap();
    assert_eq!(a3.activated_at.as_deref(), Some("t6"));
}

fn stored_shapes(f: &Factory<'_>) {
    let s = f();
    assert!(s.stored_shapes().unwrap().is_empty());
    let mut evs = events("e", 3);
    evs.push(event("e", 2, "{}"));
    evs.push(event("f", 1, "{}"));
    append(&*s, "A-1", "A", evs, None).unwrap();
    append(&*s, "B-1", "B", events("e", 2), None).unwrap();
    let got: Vec<(String, String, u32, u64)> = s
        .stored_shapes()
        .unwrap()
        .into_iter()
        .map(|x| (x.model, x.event_type, x.schema, x.events))
        .collect();
    let want = [
        ("A", "e", 1, 3),
        ("A", "e", 2, 1),
        ("A", "f", 1, 1),
        ("B", "e", 1, 2),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(m, t, v, n)| (m.to_string(), t.to_string(), *v, *n))
        .collect();
    assert_eq!(got, want);
}

/// The registry's generation, as a writer sees it.
trait Generation {
    fn write_generation(&self) -> u64;
}

impl<S: Store + ?Sized> Generation for S {
    fn write_generation(&self) -> u64 {
        let mut g = 0;
        self.write(&mut |w| {
            g = w.registry_generation()?;
            Ok(())
        })
        .unwrap();
        g
    }
}
