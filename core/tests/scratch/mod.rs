//! A folder of its own for one test's files, removed when dropped: shared
//! by the test files that open SQLite stores (`mod scratch;`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNT: AtomicUsize = AtomicUsize::new(0);

pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty folder named after `prefix`, this process and a count.
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "eventfold-{prefix}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The URL of a SQLite store `s.db` in it, with `synchronous=normal`
    /// (the tests here are not about power cuts).
    pub fn url(&self) -> String {
        format!(
            "sqlite:{}?synchronous=normal",
            self.0.join("s.db").display()
        )
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
