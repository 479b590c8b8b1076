//! `postgres://user:pass@host:port/db?schema=NAME&...` (or `postgresql://`):
//! eventfold's own options are taken out of the query, and the rest is
//! rust-postgres's connection string (libpq's URL form).

use std::time::Duration;

use postgres::Config;

use crate::error::{Error, Result, StoreErrorKind};

/// How to open a PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Where to connect, as rust-postgres reads the URL, without
    /// eventfold's options.
    pub config: Config,
    /// The schema that holds eventfold's tables and the projections' (made
    /// when missing). Default `public`.
    pub schema: String,
    /// Connections kept by this process (`pool_size`, default 10).
    pub pool_size: u32,
    /// How long a call waits for a free connection, or for the server to
    /// come back, before it fails with `store_error` (`pool_timeout`,
    /// milliseconds; default 30 s).
    pub pool_timeout: Duration,
    /// How long a writer waits for the store's write lock before it fails
    /// with a `busy` store error (`busy_timeout`, milliseconds, as on
    /// SQLite; default 30 s).
    pub busy_timeout: Duration,
    /// The URL with its password hidden, for messages.
    pub shown: String,
}

/// The options of the URL's query that are eventfold's, not the driver's.
const OURS: &str = "schema, pool_size, pool_timeout (ms) and busy_timeout (ms)";

fn bad(url: &str, why: String) -> Error {
    Error::StoreError {
        kind: StoreErrorKind::Unavailable,
        message: format!("store URL `{url}`: {why}"),
    }
}

/// The URL with the password of its user part replaced by `***`.
pub(crate) fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Is `name` a schema name eventfold accepts: a plain SQL identifier, so
/// that it reads the same quoted or not?
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
        && !name.starts_with("pg_")
}

fn millis(url: &str, key: &str, value: &str) -> Result<Duration> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            bad(
                url,
                format!("{key}={value} is not a number of milliseconds"),
            )
        })
}

/// Reads a `postgres://` or `postgresql://` URL.
pub fn parse(url: &str) -> Result<PostgresOptions> {
    let shown = hide_password(url);
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut options = PostgresOptions {
        config: Config::new(),
        schema: "public".into(),
        pool_size: 10,
        pool_timeout: Duration::from_secs(30),
        busy_timeout: Duration::from_secs(30),
        shown: shown.clone(),
    };
    let mut rest: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "schema" => {
                if !valid_schema(value) {
                    return Err(bad(
                        &shown,
                        format!(
                            "schema `{value}` is not a plain lower-case SQL name \
                             (letters, digits and _, not starting with pg_)"
                        ),
                    ));
                }
                options.schema = value.to_string();
            }
            "pool_size" => {
                options.pool_size = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        bad(
                            &shown,
                            format!("pool_size={value} is not a number from 1 to 1000"),
                        )
                    })?
            }
            "pool_timeout" => options.pool_timeout = millis(&shown, key, value)?,
            "busy_timeout" => options.busy_timeout = millis(&shown, key, value)?,
            "sslmode" if !matches!(value, "disable" | "prefer") => {
                return Err(bad(
                    &shown,
                    format!(
                        "sslmode={value}: this build of eventfold speaks to PostgreSQL without \
                         TLS; use sslmode=disable on a trusted network, or a local TLS proxy"
                    ),
                ))
            }
            _ => rest.push(pair),
        }
    }
    let driver = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config: Config = driver.parse().map_err(|e| {
        bad(
            &shown,
            format!(
                "{e}; besides eventfold's own options ({OURS}), the query takes the driver's \
                 (connect_timeout, application_name, options, keepalives, target_session_attrs, \
                 host, port, user, password, dbname)"
            ),
        )
    })?;
    if config.get_hosts().is_empty() {
        return Err(bad(
            &shown,
            "it names no host; write postgres://user:pass@host:port/db".into(),
        ));
    }
    if config.get_application_name().is_none() {
        config.application_name("eventfold");
    }
    // Every connection works in the store's schema, and waits for a lock
    // (the write lock above all) at most busy_timeout.
    let mut server = format!(
        "-c search_path={} -c lock_timeout={}",
        options.schema,
        options.busy_timeout.as_millis()
    );
    if let Some(own) = config.get_options() {
        server = format!("{own} {server}");
    }
    config.options(&server);
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    options.config = config;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_out_eventfold_options() {
        let o = parse(
            "postgres://u:secret@localhost:5433/db?schema=app_1&pool_size=4&pool_timeout=500\
             &busy_timeout=250&application_name=x",
        )
        .unwrap();
        assert_eq!(o.schema, "app_1");
        assert_eq!(o.pool_size, 4);
        assert_eq!(o.pool_timeout, Duration::from_millis(500));
        assert_eq!(o.busy_timeout, Duration::from_millis(250));
        assert_eq!(o.config.get_application_name(), Some("x"));
        assert_eq!(o.config.get_dbname(), Some("db"));
        assert_eq!(o.config.get_ports(), &[5433]);
        assert!(o
            .config
            .get_options()
            .unwrap()
            .contains("search_path=app_1"));
        assert!(!o.shown.contains("secret"));
        let o = parse("postgresql://u@localhost/db").unwrap();
        assert_eq!(o.schema, "public");
        assert_eq!(o.pool_size, 10);
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for url in [
            "postgres://u:pw@h/db?schema=Bad-Name",
            "postgres://u:pw@h/db?schema=pg_catalog",
            "postgres://u:pw@h/db?pool_size=0",
            "postgres://u:pw@h/db?pool_timeout=soon",
            "postgres://u:pw@h/db?sslmode=require",
            "postgres://u:pw@h/db?colour=blue",
        ] {
            let e = parse(url).unwrap_err();
            assert_eq!(e.code(), "store_error", "{url}");
            assert!(!e.to_string().contains(":pw@"), "{e}");
        }
    }
}
