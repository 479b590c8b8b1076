//! One pooled connection: the client, the statements it has prepared, and
//! whether it must be thrown away.
//!
//! r2d2 hands these out ([`Manager`]); `r2d2_postgres`'s manager would do,
//! but a connection here also keeps its prepared statements (a hot
//! statement is parsed once per connection, then costs one round trip with
//! its parameters) and can be marked broken when a rollback fails, which
//! `Client::is_closed` alone does not catch.

use std::collections::HashMap;

use postgres::types::Type;
use postgres::{Client, Config, NoTls, Statement};

/// A connection of the pool.
pub(crate) struct Conn {
    pub(crate) client: Client,
    statements: HashMap<&'static str, Statement>,
    /// Set when the connection's state is unknown (a failed rollback): the
    /// pool drops it instead of handing it out again.
    pub(crate) broken: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("statements", &self.statements.len())
            .field("broken", &self.broken)
            .finish()
    }
}

impl Conn {
    pub(crate) fn new(client: Client) -> Conn {
        Conn {
            client,
            statements: HashMap::new(),
            broken: false,
        }
    }

    /// `sql` prepared on this connection with parameters of `types`, once.
    pub(crate) fn prepared(
        &mut self,
        sql: &'static str,
        types: &[Type],
    ) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare_typed(sql, types)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

/// Makes [`Conn`]s for r2d2 from one configuration.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) config: Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        self.config.connect(NoTls).map(Conn::new)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}
