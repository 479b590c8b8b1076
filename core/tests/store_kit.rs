//! The store test kit (`eventfold::store::testkit`) on every store here.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use eventfold::store::{memory::MemoryStore, sqlite::SqliteStore, testkit, Store, Synchronous};

#[test]
fn memory_passes_the_kit() {
    testkit::run_all(&|| Box::new(MemoryStore::new()) as Box<dyn Store>);
}

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sqlite_passes_the_kit() {
    let dir = TempDir(std::env::temp_dir().join(format!("eventfold-kit-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let next = AtomicUsize::new(0);
    testkit::run_all(&|| {
        let path = dir
            .0
            .join(format!("{}.db", next.fetch_add(1, Ordering::Relaxed)));
        Box::new(SqliteStore::open(path.to_str().unwrap(), Synchronous::Normal).unwrap())
            as Box<dyn Store>
    });
}

mod pg;

#[test]
fn postgres_passes_the_kit() {
    let Some(first) = pg::Schema::new("kit") else {
        return;
    };
    // A schema per store the kit asks for; all dropped at the end.
    let schemas = std::sync::Mutex::new(vec![]);
    testkit::run_all(&|| {
        let s = pg::Schema::new("kit").unwrap();
        let store = eventfold::store::open(&s.url()).unwrap();
        schemas.lock().unwrap().push(s);
        store
    });
    drop(first);
}

mod laws {
    //! Laws over random histories: memory and SQLite, given the same
    //! writes, hold the same events and answer every filtered, paged read
    //! alike; pages of any size, read on from one past the last position,
    //! add up to the whole filtered log.

    use super::TempDir;
    use eventfold::store::{
        memory::MemoryStore, sqlite::SqliteStore, Append, NewEvent, RawEvent, ReadFilter, Store,
        Synchronous,
    };
    use proptest::prelude::*;

    const MODELS: [&str; 3] = ["A", "B", "A-b"];
    const TYPES: [&str; 3] = ["x", "y", "z"];

    /// A write: (stream index, types of its events, fails after appending).
    type Write = (usize, Vec<usize>, bool);

    fn apply(s: &dyn Store, writes: &[Write], tag: &str) {
        for (n, (stream, types, fails)) in writes.iter().enumerate() {
            let model = MODELS[stream % MODELS.len()];
            let name = format!("{model}-{stream}");
            let out = s.write(&mut |w| {
                let v = w.version(&name)?;
                w.append(&[Append {
                    stream: name.clone(),
                    model: model.into(),
                    expected_version: v,
                    events: types
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| NewEvent {
                            id: format!("{tag}-{n}-{i}"),
                            event_type: TYPES[t].into(),
                            schema: (i % 2 + 1) as u32,
                            data: format!(r#"{{"n":{n},"i":{i}}}"#),
                            metadata: "{}".into(),
                        })
                        .collect(),
                    command_id: None,
                }])?;
                if *fails {
                    Err(eventfold::Error::store(
                        eventfold::StoreErrorKind::Io,
                        "fails on purpose",
                    ))
                } else {
                    Ok(())
                }
            });
            assert_eq!(out.is_err(), *fails);
        }
    }

    /// Events without their ids (which differ by store).
    fn shape(events: Vec<RawEvent>) -> Vec<(u64, String, u64, String, u32, String)> {
        events
            .into_iter()
            .map(|e| {
                (
                    e.position,
                    e.stream,
                    e.version,
                    e.event_type,
                    e.schema,
                    e.data,
                )
            })
            .collect()
    }

    fn paged(s: &dyn Store, filter: &ReadFilter, page: usize) -> Vec<RawEvent> {
        let mut out: Vec<RawEvent> = Vec::new();
        loop {
            let from = out.last().map_or(1, |e| e.position + 1);
            let next = s.read_all(filter, from, page).unwrap();
            if next.is_empty() {
                return out;
            }
            assert!(next.len() <= page);
            out.extend(next);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        #[test]
        fn memory_and_sqlite_read_alike(
            writes in prop::collection::vec(
                (0usize..5, prop::collection::vec(0usize..3, 0..4), prop::bool::weighted(0.2)),
                0..25,
            ),
            models in prop::collection::vec(0usize..3, 0..3),
            types in prop::collection::vec(0usize..3, 0..3),
            page in 1usize..6,
        ) {
            let dir = TempDir(std::env::temp_dir().join(format!(
                "eventfold-kit-law-{}-{}",
                std::process::id(),
                writes.len() * 1000 + page * 100 + models.len() * 10 + types.len()
            )));
            std::fs::create_dir_all(&dir.0).unwrap();
            let path = dir.0.join(format!("{}.db", rand_name(&writes)));
            let memory = MemoryStore::new();
            let sqlite = SqliteStore::open(path.to_str().unwrap(), Synchronous::Normal).unwrap();
            apply(&memory, &writes, "m");
            apply(&sqlite, &writes, "s");
            let filter = ReadFilter {
                models: models.iter().map(|&m| MODELS[m].to_string()).collect(),
                types: types.iter().map(|&t| TYPES[t].to_string()).collect(),
            };
            let all_m = memory.read_all(&ReadFilter::all(), 1, usize::MAX).unwrap();
            let whole = memory.read_all(&filter, 1, usize::MAX).unwrap();
            // The filter passes what its lists say, by the stream's model.
            let want: Vec<RawEvent> = all_m
                .iter()
                .filter(|e| {
                    let model = e.stream.rsplit_once('-').map_or("", |(m, _)| m);
                    filter.passes(model, &e.event_type)
                })
                .cloned()
                .collect();
            prop_assert_eq!(&whole, &want);
            prop_assert_eq!(shape(paged(&memory, &filter, page)), shape(whole.clone()));
            prop_assert_eq!(shape(paged(&sqlite, &filter, page)), shape(whole));
            prop_assert_eq!(
                shape(sqlite.read_all(&ReadFilter::all(), 1, usize::MAX).unwrap()),
                shape(all_m)
            );
            prop_assert_eq!(sqlite.head().unwrap(), memory.head().unwrap());
            prop_assert_eq!(sqlite.streams(None).unwrap(), memory.streams(None).unwrap());
            sqlite.close().unwrap();
        }
    }

    /// A file name from the history, so that shrinking reruns get their own.
    fn rand_name(writes: &[Write]) -> String {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        format!("{}-{}", writes.len(), N.fetch_add(1, Ordering::Relaxed))
    }
}
