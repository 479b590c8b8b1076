//! The statements and reads of a projection handler (MODEL-LANGUAGE.md
//! §13), run by the [`Machine`] over its [`RowStore`]. Every key value,
//! column value and visited row costs steps, so a handler's work counts
//! against the limits of §10 for its event.

use super::*;
use crate::language::readside::{ReadOp, Table, TableRead, TableWrite, WriteOp};
use crate::tables::RowStore;

impl<'a> Machine<'a> {
    fn table(&self, index: u32) -> &'a Table {
        let read = self
            .read
            .expect("a projection handler runs with its tables");
        &read.tables[index as usize]
    }

    fn rows(&mut self) -> &mut (dyn RowStore + 'a) {
        self.rows
            .as_deref_mut()
            .expect("a projection handler runs with its rows")
    }

    fn key_values(&mut self, keys: &[Expr]) -> Result<Vec<Value>> {
        keys.iter().map(|k| self.eval(k)).collect()
    }

    pub(super) fn table_read(&mut self, r: &TableRead) -> Result<Value> {
        let table = self.table(r.table);
        let key = self.key_values(&r.keys)?;
        if r.op == ReadOp::Has {
            return Ok(Value::Bool(self.rows().has(table, &key).map_err(Box::new)?));
        }
        let row = self.rows().get(table, &key).map_err(Box::new)?;
        Ok(match (r.op, row) {
            (ReadOp::Has, row) => Value::Bool(row.is_some()),
            (_, None) => Value::Null,
            (ReadOp::Get, Some(row)) => row,
            (ReadOp::Column(c), Some(Value::Record(row))) => row.fields[c as usize].clone(),
            (ReadOp::Column(_), Some(_)) => Value::Null,
        })
    }

    pub(super) fn table_write(&mut self, w: &TableWrite) -> Result<()> {
        let table = self.table(w.table);
        match &w.op {
            WriteOp::Insert { row, upsert } => {
                self.build_items(row.len())?;
                let mut values = Fields::with_capacity(row.len());
                for e in row {
                    values.push(self.eval(e)?);
                }
                let row = Value::record(table.shape.clone(), values);
                if *upsert {
                    self.rows().upsert(table, row).map_err(Box::new)?;
                } else if !self.rows().insert(table, row.clone()).map_err(Box::new)? {
                    let key: Vec<String> = table
                        .key
                        .iter()
                        .map(|&k| match &row {
                            Value::Record(r) => r.fields[k as usize].to_json_string(),
                            _ => String::new(),
                        })
                        .collect();
                    return Err(self.fault(
                        w.span,
                        format!(
                            "table {} already has a row with the key [{}]; test for it with `{}.has(...)` first, or write `upsert` to replace it",
                            table.name,
                            key.join(", "),
                            table.name
                        ),
                    ));
                }
            }
            WriteOp::Update {
                keys,
                set,
                row_slot,
                reads_row,
            } => {
                let prefix = self.key_values(keys)?;
                if !*reads_row && prefix.len() == table.key.len() {
                    return self.update_in_place(table, &prefix, set);
                }
                // A whole key names at most one row: `get` below finds it.
                let matching = if prefix.len() == table.key.len() {
                    vec![prefix]
                } else {
                    self.rows().keys(table, &prefix).map_err(Box::new)?
                };
                for key in matching {
                    self.step()?;
                    // The row as it is now: earlier rows of this statement
                    // may have changed what it reads, never this row.
                    let Some(Value::Record(old)) =
                        self.rows().get(table, &key).map_err(Box::new)?
                    else {
                        continue;
                    };
                    self.frame[*row_slot as usize] = Value::Record(old.clone());
                    let mut fields = old.fields.clone();
                    for (c, e) in set {
                        fields[*c as usize] = self.eval(e)?;
                    }
                    self.build_items(fields.len())?;
                    let row = Value::record(table.shape.clone(), fields);
                    self.rows().upsert(table, row).map_err(Box::new)?;
                }
            }
            WriteOp::Delete { keys } => {
                let prefix = self.key_values(keys)?;
                let gone = self.rows().delete(table, &prefix).map_err(Box::new)?;
                self.work(gone)?;
            }
        }
        Ok(())
    }

    /// `update` of one whole key whose values do not read `row`: one
    /// statement, no read. The values are worked out first. Where there is
    /// no row, neither their failure nor their work counts, as when the
    /// row is read first and nothing is worked out.
    fn update_in_place(&mut self, table: &Table, key: &[Value], set: &[(u32, Expr)]) -> Result<()> {
        self.step()?;
        let spent = (self.steps, self.built);
        let values: Result<Vec<(u32, Value)>> =
            set.iter().map(|(c, e)| Ok((*c, self.eval(e)?))).collect();
        let updated = match values {
            Ok(values) => self.rows().update(table, key, &values).map_err(Box::new)?,
            Err(e) if self.rows().has(table, key).map_err(Box::new)? => return Err(e),
            Err(_) => false,
        };
        if updated {
            self.build_items(table.columns.len())
        } else {
            (self.steps, self.built) = spent;
            Ok(())
        }
    }
}
