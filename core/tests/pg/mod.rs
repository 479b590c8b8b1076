//! The PostgreSQL server of the tests: `make test` starts a throwaway
//! cluster and sets `EVENTFOLD_TEST_POSTGRES` to its URL (and
//! `EVENTFOLD_REQUIRE_POSTGRES`, so that a test never passes by skipping
//! there). Each test works in a schema of its own, dropped when done.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The server's URL, or `None` (with a note) when no server was given and
/// none is required.
pub fn server() -> Option<String> {
    match std::env::var("EVENTFOLD_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("EVENTFOLD_REQUIRE_POSTGRES").is_some() => {
            panic!("EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not")
        }
        _ => {
            eprintln!("no PostgreSQL server (EVENTFOLD_TEST_POSTGRES): skipped");
            None
        }
    }
}

/// A schema of its own on the test server, dropped with everything in it.
pub struct Schema {
    pub base: String,
    pub name: String,
}

impl Schema {
    /// A new schema named after `prefix`, this process and a count, or
    /// `None` without a server.
    pub fn new(prefix: &str) -> Option<Schema> {
        let base = server()?;
        let name = format!(
            "t_{prefix}_{}_{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let s = Schema { base, name };
        s.drop_schema();
        Some(s)
    }

    /// The store URL for this schema, with `extra` options (`a=b&c=d`).
    pub fn url_with(&self, extra: &str) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        let mut url = format!("{}{sep}schema={}", self.base, self.name);
        if !extra.is_empty() {
            url.push('&');
            url.push_str(extra);
        }
        url
    }

    pub fn url(&self) -> String {
        self.url_with("")
    }

    /// A plain client on the server, for looking behind the store.
    pub fn client(&self) -> postgres::Client {
        let base = self.base.split('?').next().unwrap();
        postgres::Client::connect(base, postgres::NoTls).expect("connect to the test server")
    }

    fn drop_schema(&self) {
        let mut c = self.client();
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        self.drop_schema();
    }
}
