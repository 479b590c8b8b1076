//! A projection handler's reads of its tables (`t.get(...)`, `t.has(...)`)
//! and its writes (`insert`, `upsert`, `update`, `delete`), MODEL-LANGUAGE.md
//! §13.

use super::*;
use crate::language::readside::{ReadOp, TableRead, TableWrite, WriteOp};

impl ModelChecker<'_> {
    /// `t.has(...)`, `t.get(...)` and `t.get(...).c` in a handler; `None`
    /// when `e` is none of them.
    pub(super) fn table_read(
        &mut self,
        scope: &mut Scope,
        e: &ast::Expr,
    ) -> Option<(ir::Expr, Type)> {
        let (call, column) = match &e.kind {
            ExprKind::Field { target, field } => (&**target, Some(field)),
            _ => (e, None),
        };
        let ExprKind::Method {
            target,
            method,
            args,
        } = &call.kind
        else {
            return None;
        };
        let ExprKind::Name(t) = &target.kind else {
            return None;
        };
        if !matches!(method.name.as_str(), "has" | "get") {
            return None;
        }
        if column.is_some() && method.name != "get" {
            return None;
        }
        if scope.locals.iter().any(|l| l.name == t.name)
            || scope.param_index.contains_key(t.name.as_str())
        {
            return None;
        }
        let h = self.handler_ctx()?;
        let ti = *h.by_name.get(t.name.as_str())?;
        let bad = (ir::Expr::Const(Value::Null), Type::Error);
        if !h.writes.contains(&ti) {
            let by = match &h.tables[ti].writer {
                Some(w) => format!(" (projection `{w}` writes it)"),
                None => String::new(),
            };
            let msg = format!(
                "projection `{}` does not write table `{}`, so it may not read it{by}: a projection reads only the tables it writes, so that rebuilding it gives the same rows",
                h.projection, t.name
            );
            self.error(t.span, msg);
            for a in args {
                self.expr(scope, a);
            }
            return Some(bad);
        }
        let key: Vec<(Str, Type)> = h.tables[ti]
            .key
            .iter()
            .map(|&k| {
                let c = &h.tables[ti].columns[k as usize];
                (c.name.clone(), c.ty.clone())
            })
            .collect();
        let row_ty = h.tables[ti].row_ty.clone();
        let columns = h.tables[ti].columns.clone();
        let name = h.tables[ti].name.clone();
        let keys = self.key_values(scope, &name, &key, args, method, true);
        let op = match (method.name.as_str(), column) {
            ("has", _) => ReadOp::Has,
            (_, None) => ReadOp::Get,
            (_, Some(c)) => match columns.iter().position(|f| *f.name == *c.name) {
                Some(i) => ReadOp::Column(i as u32),
                None => {
                    let hint = self.hint(&c.name, |_| columns.iter().map(|f| &*f.name));
                    self.error(
                        c.span,
                        format!("table `{name}` has no column `{}`{hint}", c.name),
                    );
                    return Some(bad);
                }
            },
        };
        let ty = match op {
            ReadOp::Has => Type::Bool,
            ReadOp::Get => Type::optional(row_ty),
            ReadOp::Column(i) => Type::optional(columns[i as usize].ty.clone()),
        };
        let read = TableRead {
            table: ti as u32,
            keys,
            op,
        };
        Some((ir::Expr::Table(Box::new(read)), ty))
    }

    /// The key values of a read (`exact`: all of them) or of an `update` or
    /// `delete` (the first j).
    fn key_values(
        &mut self,
        scope: &mut Scope,
        table: &str,
        key: &[(Str, Type)],
        args: &[ast::Expr],
        at: &Ident,
        exact: bool,
    ) -> Vec<ir::Expr> {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let (x, t) = self.expr(scope, a);
            if let Some((name, want)) = key.get(i) {
                if !t.fits(want) || t == Type::Null {
                    let (found, want) = (self.tname(&t), self.tname(want));
                    self.error(
                        a.span,
                        format!(
                            "key column `{name}` of table `{table}` is {want}, but this is {found}"
                        ),
                    );
                }
            }
            out.push(x);
        }
        let names = key
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if args.len() > key.len() {
            self.error(
                args[key.len()].span,
                format!(
                    "table `{table}` has {} key column{} ({names}), but {} values are given",
                    key.len(),
                    if key.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            );
        } else if exact && args.len() < key.len() {
            self.error(
                at.span,
                format!(
                    "`{}` takes the whole key of table `{table}`: {} value{} ({names}), but {} {} given",
                    at.name,
                    key.len(),
                    if key.len() == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "is" } else { "are" }
                ),
            );
        }
        out
    }

    /// `insert`, `upsert`, `update` and `delete`.
    pub(super) fn table_stmt(&mut self, scope: &mut Scope, stmt: &ast::Stmt) -> Option<ir::Stmt> {
        let (word, table) = match &stmt.kind {
            StmtKind::Insert { table, upsert, .. } => {
                (if *upsert { "upsert" } else { "insert" }, table)
            }
            StmtKind::Update { table, .. } => ("update", table),
            StmtKind::Delete { table, .. } => ("delete", table),
            _ => return None,
        };
        let Some(h) = self.handler_ctx() else {
            self.error(
                stmt.keyword,
                format!("`{word}` may only stand in a projection's handler (`on Model.event {{ ... }}`); a model changes its state with events"),
            );
            return None;
        };
        let Some(&ti) = h.by_name.get(table.name.as_str()) else {
            let hint = self.hint(&table.name, |c| {
                c.handler_ctx()
                    .into_iter()
                    .flat_map(|h| h.tables.iter().map(|t| &*t.name))
            });
            let advice = if hint.is_empty() {
                format!(
                    "; declare it with `table {} {{ key id: string ... }}`",
                    table.name
                )
            } else {
                hint
            };
            self.error(
                table.span,
                format!("unknown table `{}`{advice}", table.name),
            );
            return None;
        };
        let view = &h.tables[ti];
        let columns = view.columns.clone();
        let key_cols = view.key.clone();
        let row_ty = view.row_ty.clone();
        let name = view.name.clone();
        let key: Vec<(Str, Type)> = key_cols
            .iter()
            .map(|&k| {
                (
                    columns[k as usize].name.clone(),
                    columns[k as usize].ty.clone(),
                )
            })
            .collect();
        let op = match &stmt.kind {
            StmtKind::Insert { args, upsert, .. } => {
                let row = self.arguments(scope, &columns, args, table, &format!("table {name}"));
                let missing: Vec<String> = key
                    .iter()
                    .filter(|(k, _)| !args.iter().any(|a| *a.name.name == **k))
                    .filter(|(k, _)| {
                        // Without a default, `arguments` reported it already.
                        columns.iter().any(|c| c.name == *k && c.may_be_omitted())
                    })
                    .map(|(k, _)| format!("`{k}`"))
                    .collect();
                if !missing.is_empty() {
                    self.error(
                        table.span,
                        format!(
                            "`{word}` gives every key column of table `{name}`; {} is missing",
                            missing.join(", ")
                        ),
                    );
                }
                WriteOp::Insert {
                    row,
                    upsert: *upsert,
                }
            }
            StmtKind::Update { keys, args, .. } => {
                let keys = self.key_values(scope, &name, &key, keys, table, false);
                let mark = scope.mark();
                // `row` shadows every other name inside the parentheses.
                let row_slot = scope.next_slot;
                scope.next_slot += 1;
                scope.frame_size = scope.frame_size.max(scope.next_slot);
                scope.locals.push(Local {
                    name: "row".to_string(),
                    ty: row_ty,
                    slot: row_slot,
                });
                let mut set: Vec<(u32, ir::Expr)> = Vec::new();
                for a in args {
                    let (x, t) = self.expr(scope, &a.value);
                    let Some(i) = columns.iter().position(|c| *c.name == *a.name.name) else {
                        let hint = self.hint(&a.name.name, |_| columns.iter().map(|c| &*c.name));
                        self.error(
                            a.name.span,
                            format!("table `{name}` has no column `{}`{hint}", a.name.name),
                        );
                        continue;
                    };
                    if key_cols.contains(&(i as u32)) {
                        self.error(
                            a.name.span,
                            format!(
                                "`{}` is a key column of table `{name}` and cannot be updated: a row keeps its key (delete it and insert another)",
                                a.name.name
                            ),
                        );
                        continue;
                    }
                    if set.iter().any(|(c, _)| *c == i as u32) {
                        self.error(a.name.span, format!("`{}` is given twice", a.name.name));
                        continue;
                    }
                    if !t.fits(&columns[i].ty) {
                        let (found, want) = (self.tname(&t), self.tname(&columns[i].ty));
                        self.error(
                            a.value.span,
                            format!(
                                "column `{}` of table `{name}` is {want}, but this is {found}",
                                a.name.name
                            ),
                        );
                    }
                    set.push((i as u32, x));
                }
                scope.reset(mark);
                let mut reads_row = false;
                for (_, x) in &set {
                    x.clone().rewrite(&mut |e| {
                        reads_row |= matches!(e, ir::Expr::Local(s) if *s == row_slot);
                        None
                    });
                }
                WriteOp::Update {
                    keys,
                    set,
                    row_slot,
                    reads_row,
                }
            }
            StmtKind::Delete { keys, .. } => {
                let keys = self.key_values(scope, &name, &key, keys, table, false);
                WriteOp::Delete { keys }
            }
            _ => return None,
        };
        Some(ir::Stmt::Table(Box::new(TableWrite {
            table: ti as u32,
            op,
            span: stmt.keyword,
        })))
    }
}
