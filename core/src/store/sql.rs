//! SQL text that both SQL stores write alike: quoted names and the column
//! lists of a projection's table. Placeholders differ (`?1` on SQLite,
//! `$1` on PostgreSQL), so each store builds its statements around these.

use crate::language::readside::Table;

/// A SQL identifier, quoted (the same on SQLite and PostgreSQL).
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every column of `table`, quoted, in declared order.
pub(crate) fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key columns of `table`, quoted, in key order.
pub(crate) fn key_columns(table: &Table) -> impl Iterator<Item = String> + '_ {
    table
        .key
        .iter()
        .map(|&k| quote(&table.columns[k as usize].name))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_double_their_quotes() {
        assert_eq!(quote("todo_rows"), "\"todo_rows\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
