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
