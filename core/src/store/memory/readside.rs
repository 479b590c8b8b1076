//! The memory store's tables and projection bookkeeping: the same contract
//! as SQLite's. Each change notes in a journal how to undo it, so that a
//! failed transaction (or savepoint) plays the journal back to where it
//! began, and a transaction that commits copied nothing.

use std::collections::HashMap;

use super::Inner;
use crate::error::{Error, Result, StoreErrorKind};
use crate::language::readside::{Projection, ReadSide};
use crate::store::readside::{ProjectionRow, ReadSideTx};
use crate::store::{RawEvent, ReadFilter};
use crate::tables::{MemoryRows, MemoryTable, RowStore, RowUndo};

/// What the memory store keeps for projections.
#[derive(Debug, Default)]
pub(super) struct ReadSpace {
    /// Tables by SQL name (live or shadow).
    tables: HashMap<String, MemoryTable>,
    projections: HashMap<String, ProjectionRow>,
    /// How to undo the changes of the transaction in progress, oldest
    /// first; emptied when it ends.
    journal: Vec<Undo>,
}

/// One change to a [`ReadSpace`], as it is undone.
#[derive(Debug)]
enum Undo {
    /// What the rows of one `with_rows` held; `names` names its tables
    /// by index.
    Rows {
        names: Vec<String>,
        rows: Vec<RowUndo>,
    },
    /// The table `name` was this (`None`: there was none).
    Table {
        name: String,
        old: Option<MemoryTable>,
    },
    /// Table `from` was renamed `to`, which replaced this.
    Renamed {
        from: String,
        to: String,
        replaced: Option<MemoryTable>,
    },
    /// The row of projection `name` was this.
    Projection {
        name: String,
        old: Option<ProjectionRow>,
    },
}

impl ReadSpace {
    /// Where the journal is: what [`ReadSpace::undo_to`] goes back to.
    pub(super) fn mark(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every change since `mark`, newest first.
    pub(super) fn undo_to(&mut self, mark: usize) {
        while self.journal.len() > mark {
            match self.journal.pop().expect("longer than the mark") {
                Undo::Rows { names, rows } => {
                    for undo in rows.into_iter().rev() {
                        let name = &names[undo.table as usize];
                        if let Some(table) = self.tables.get_mut(name) {
                            undo.undo(table);
                        }
                    }
                }
                Undo::Table { name, old } => {
                    match old {
                        Some(rows) => self.tables.insert(name, rows),
                        None => self.tables.remove(&name),
                    };
                }
                Undo::Renamed { from, to, replaced } => {
                    if let Some(rows) = self.tables.remove(&to) {
                        self.tables.insert(from, rows);
                    }
                    if let Some(rows) = replaced {
                        self.tables.insert(to, rows);
                    }
                }
                Undo::Projection { name, old } => {
                    match old {
                        Some(row) => self.projections.insert(name, row),
                        None => self.projections.remove(&name),
                    };
                }
            }
        }
    }

    /// The transaction committed: nothing is undone any more.
    pub(super) fn commit(&mut self) {
        self.journal.clear();
    }

    fn set_table(&mut self, name: &str, rows: Option<MemoryTable>) {
        let old = match rows {
            Some(rows) => self.tables.insert(name.to_string(), rows),
            None => self.tables.remove(name),
        };
        self.journal.push(Undo::Table {
            name: name.to_string(),
            old,
        });
    }
}

impl ReadSideTx for Inner {
    fn head(&mut self) -> Result<u64> {
        Ok(self.log.len() as u64)
    }

    fn read_all(&mut self, filter: &ReadFilter, from: u64, limit: usize) -> Result<Vec<RawEvent>> {
        Ok(self.read_all_filtered(filter, from, limit))
    }

    fn count_after(&mut self, position: u64) -> Result<u64> {
        Ok((self.log.len() as u64).saturating_sub(position))
    }

    fn projection(&mut self, name: &str) -> Result<Option<ProjectionRow>> {
        Ok(self.read.projections.get(name).cloned())
    }

    fn put_projection(&mut self, row: &ProjectionRow) -> Result<()> {
        let old = self.read.projections.insert(row.name.clone(), row.clone());
        self.read.journal.push(Undo::Projection {
            name: row.name.clone(),
            old,
        });
        Ok(())
    }

    fn create_tables(
        &mut self,
        _read: &ReadSide,
        _p: &Projection,
        names: &[String],
        _fingerprint: &str,
    ) -> Result<()> {
        for name in names {
            self.read.set_table(name, Some(MemoryTable::new()));
        }
        Ok(())
    }

    fn drop_tables(&mut self, names: &[String]) -> Result<()> {
        for name in names {
            self.read.set_table(name, None);
        }
        Ok(())
    }

    fn rename_tables(&mut self, from: &[String], to: &[String], _fingerprint: &str) -> Result<()> {
        for (old, new) in from.iter().zip(to) {
            let rows = self
                .read
                .tables
                .remove(old)
                .ok_or_else(|| Error::StoreError {
                    kind: StoreErrorKind::Corrupt,
                    message: format!("table {old} is missing: it cannot be swapped in"),
                })?;
            let replaced = self.read.tables.insert(new.clone(), rows);
            self.read.journal.push(Undo::Renamed {
                from: old.clone(),
                to: new.clone(),
                replaced,
            });
        }
        Ok(())
    }

    fn with_rows(
        &mut self,
        read: &ReadSide,
        names: &[String],
        work: &mut dyn FnMut(&mut dyn RowStore) -> Result<()>,
    ) -> Result<()> {
        // The tables move into a `MemoryRows` for the work and back after
        // it, with the journal of what it changed.
        let taken: Vec<(u32, MemoryTable)> = read
            .tables
            .iter()
            .filter_map(|t| {
                let name = names.get(t.index as usize)?;
                let rows = self.read.tables.remove(name)?;
                Some((t.index, rows))
            })
            .collect();
        let had: Vec<u32> = taken.iter().map(|(index, _)| *index).collect();
        let mut rows = MemoryRows::journaled(taken);
        let out = work(&mut rows);
        let (tables, undo) = rows.into_parts();
        for (index, table) in tables {
            if let Some(name) = names.get(index as usize) {
                if !had.contains(&index) {
                    // Made by the work: an undo removes it again.
                    self.read.journal.push(Undo::Table {
                        name: name.clone(),
                        old: None,
                    });
                }
                self.read.tables.insert(name.clone(), table);
            }
        }
        if !undo.is_empty() {
            self.read.journal.push(Undo::Rows {
                names: names.to_vec(),
                rows: undo,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    //! The journal against copies: whatever a transaction and its
    //! savepoints change, a rollback leaves exactly the rows a copy taken
    //! at its start holds.

    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use crate::store::memory::MemoryStore;
    use crate::store::readside::table_names;
    use crate::store::Store;
    use crate::value::Value;
    use crate::{Domain, Source};

    const MODEL: &str = r#"
model M {
  state { n: int = 0 }
  command c() { emit e() }
  event e() { set n = n + 1 }
}
table t {
  key s: string
  n: int
}
projection p inline {
  on M.e {
    delete t["x"]
  }
}
"#;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, i64),
        Upsert(u8, i64),
        Update(u8, i64),
        Delete(u8),
        Savepoint,
        Release,
        Rollback,
        /// The table moves to a shadow name and back, as a swap does.
        Swap,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..6, -5i64..5).prop_map(|(k, n)| Op::Insert(k, n)),
            (0u8..6, -5i64..5).prop_map(|(k, n)| Op::Upsert(k, n)),
            (0u8..6, -5i64..5).prop_map(|(k, n)| Op::Update(k, n)),
            (0u8..6).prop_map(Op::Delete),
            Just(Op::Savepoint),
            Just(Op::Release),
            Just(Op::Rollback),
            Just(Op::Swap),
        ]
    }

    type Rows = BTreeMap<String, i64>;

    /// The rows of `t` as the store holds them.
    fn stored(store: &MemoryStore, domain: &Domain) -> Rows {
        let read = domain.read_side();
        let names = table_names(read, None);
        let mut out = Rows::new();
        store
            .read_side(false, &mut |tx| {
                tx.with_rows(read, &names, &mut |rows| {
                    for row in rows.scan(&read.tables[0])? {
                        let Value::Record(r) = row else {
                            panic!("a record")
                        };
                        let (Value::String(s), Value::Int(n)) = (&r.fields[0], &r.fields[1]) else {
                            panic!("a string and an int")
                        };
                        out.insert(s.to_string(), *n);
                    }
                    Ok(())
                })
            })
            .unwrap();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn a_rollback_restores_what_a_copy_holds(
            before in proptest::collection::vec(op(), 0..8),
            ops in proptest::collection::vec(op(), 0..40),
            commit in any::<bool>(),
        ) {
            let domain = Domain::compile(&[Source::new("m.model", MODEL)]).unwrap();
            let read = domain.read_side();
            let table = &read.tables[0];
            let names = table_names(read, None);
            let shadow = vec![format!("{}_shadow", names[0])];
            let store = MemoryStore::new();
            let key = |k: u8| Value::str(&format!("k{k}"));
            let row = |k: u8, n: i64| {
                Value::record(table.shape.clone(), vec![key(k), Value::Int(n)])
            };
            // The oracle: the rows, and a copy at the savepoint (one at a
            // time, as the engine uses them).
            let mut model = Rows::new();
            let mut copy: Option<Rows> = None;
            let mut run = |ops: &[Op], fail: bool, model: &mut Rows| {
                let start = model.clone();
                let out = store.write(&mut |tx| {
                    for op in ops {
                        match op {
                            Op::Savepoint => {
                                tx.savepoint()?;
                                copy = Some(model.clone());
                            }
                            Op::Release => {
                                if copy.take().is_some() {
                                    tx.release_savepoint()?;
                                }
                            }
                            Op::Rollback => {
                                if let Some(copy) = copy.take() {
                                    tx.rollback_to_savepoint()?;
                                    *model = copy;
                                }
                            }
                            Op::Swap => {
                                let side = tx.read_side();
                                side.rename_tables(&names, &shadow, "")?;
                                side.rename_tables(&shadow, &names, "")?;
                            }
                            op => tx.read_side().with_rows(read, &names, &mut |rows| {
                                let name = |k: u8| format!("k{k}");
                                match *op {
                                    Op::Insert(k, n) => {
                                        if rows.insert(table, row(k, n))? {
                                            model.insert(name(k), n);
                                        }
                                    }
                                    Op::Upsert(k, n) => {
                                        rows.upsert(table, row(k, n))?;
                                        model.insert(name(k), n);
                                    }
                                    Op::Update(k, n) => {
                                        let set = [(1, Value::Int(n))];
                                        if rows.update(table, &[key(k)], &set)? {
                                            model.insert(name(k), n);
                                        }
                                    }
                                    Op::Delete(k) => {
                                        rows.delete(table, &[key(k)])?;
                                        model.remove(&name(k));
                                    }
                                    _ => unreachable!(),
                                }
                                Ok(())
                            })?,
                        }
                    }
                    // A savepoint left open ends with the transaction.
                    copy = None;
                    if fail {
                        return Err(crate::Error::Internal { message: "undo".into() });
                    }
                    Ok(())
                });
                if fail {
                    prop_assert!(out.is_err());
                    *model = start;
                } else {
                    prop_assert!(out.is_ok());
                }
                Ok(())
            };
            // The table is made by the first transaction (`with_rows` on a
            // missing one, which a swap needs), then changed by the second.
            let first: Vec<Op> = std::iter::once(Op::Insert(0, 0)).chain(before).collect();
            run(&first, false, &mut model)?;
            prop_assert_eq!(&stored(&store, &domain), &model);
            run(&ops, !commit, &mut model)?;
            prop_assert_eq!(&stored(&store, &domain), &model);
        }
    }
}
