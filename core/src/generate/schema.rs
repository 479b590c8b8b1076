//! The model as the generators see it: every name, type and doc of a
//! domain, resolved and language-neutral. Each emitter (`ts.rs`,
//! `python.rs`, ...) only turns this into text, so no emitter reads the
//! syntax tree or the IR, and all of them agree on what a model declares.

use serde::Serialize;

use crate::language::ir;
use crate::language::readside::ReadSide;
use crate::types::{FieldType, Type, Types};
use crate::value::Value;

/// A whole domain: its models, then its read side (MODEL-LANGUAGE.md §13).
#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    pub models: Vec<ModelSchema>,
    pub tables: Vec<TableSchema>,
    pub projections: Vec<ProjectionSchema>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelSchema {
    pub name: String,
    pub doc: Option<String>,
    /// The state's fields: every one is always present in a state.
    pub state: Vec<Field>,
    pub records: Vec<RecordSchema>,
    pub enums: Vec<EnumSchema>,
    pub commands: Vec<CommandSchema>,
    /// The current events (an upcast's older shapes are not here: a reader
    /// only ever sees current events).
    pub events: Vec<EventSchema>,
    pub queries: Vec<QuerySchema>,
}

impl ModelSchema {
    /// Every reason any command may reject with, once each, in declared
    /// order (`invariant` last when the model has an invariant).
    pub fn reasons(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in self.commands.iter().flat_map(CommandSchema::reasons) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordSchema {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumSchema {
    pub name: String,
    pub doc: Option<String>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandSchema {
    pub name: String,
    pub doc: Option<String>,
    pub params: Vec<Field>,
    /// The events it may emit, by name.
    pub emits: Vec<String>,
    /// Every rejection it may give, the model's invariants included
    /// (`reason: "invariant"`).
    pub rejections: Vec<Rejection>,
}

impl CommandSchema {
    /// Whether a caller may leave `data` out: no param is required.
    pub fn data_optional(&self) -> bool {
        self.params.iter().all(|p| !p.required)
    }

    /// The reasons it may reject with, once each, in declared order: what
    /// every generator writes as the command's union or enum of reasons.
    pub fn reasons(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in self.rejections.iter().filter_map(|r| r.reason.as_deref()) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// `None` for a `reject` without a reason.
    pub reason: Option<String>,
    /// The message as written, `${...}` and all.
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventSchema {
    pub name: String,
    /// The version of its shape (§12): 1 unless declared `name@N`.
    pub version: u32,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuerySchema {
    pub name: String,
    pub doc: Option<String>,
    pub params: Vec<Field>,
    pub returns: Ty,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSchema {
    pub name: String,
    pub doc: Option<String>,
    /// In declared order; every column is present in a row read back
    /// (an optional one as null).
    pub columns: Vec<Column>,
    /// The key's columns, in order.
    pub key: Vec<String>,
    /// The projection that writes it.
    pub projection: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    pub ty: Ty,
    pub key: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectionSchema {
    pub name: String,
    /// `inline` or `async`.
    pub mode: String,
    pub doc: Option<String>,
    /// `(model, event)` pairs it handles.
    pub handles: Vec<(String, String)>,
    pub writes: Vec<String>,
}

/// A field, param or column: `required` is false when input may leave it
/// out (it has a default or is optional); output always has it.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    /// The default as JSON, when declared.
    pub default: Option<serde_json::Value>,
    pub doc: Option<String>,
}

impl Field {
    /// Its type where input may leave it out: `T?` for a field with a
    /// default (a caller passes nothing, and the model's default applies).
    pub fn input_ty(&self) -> Ty {
        if !self.required && !self.ty.is_optional() {
            Ty::Optional {
                inner: Box::new(self.ty.clone()),
            }
        } else {
            self.ty.clone()
        }
    }
}

/// A type as the generators see it: records and enums by the model that
/// declares them, so that two models' `Item`s stay apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ty {
    String,
    Int,
    Float,
    Bool,
    /// RFC 3339 text on the boundary.
    Timestamp,
    /// Text on the boundary (`1h30m`, §14).
    Duration,
    List {
        item: Box<Ty>,
    },
    /// Keys are always strings.
    Map {
        value: Box<Ty>,
    },
    Record {
        model: String,
        name: String,
    },
    Enum {
        model: String,
        name: String,
    },
    Optional {
        inner: Box<Ty>,
    },
    /// Only in a type no declaration can have (`[]` with nothing to infer
    /// from); emitters write their "any JSON" type.
    Json,
}

impl Ty {
    pub fn is_optional(&self) -> bool {
        matches!(self, Ty::Optional { .. })
    }
}

/// Where each record and enum of a [`Types`] table was declared.
struct Origins {
    records: Vec<(String, String)>,
    enums: Vec<(String, String)>,
}

impl Origins {
    /// A model's own table: everything is its own.
    fn of_model(m: &ir::Model) -> Origins {
        Origins {
            records: m
                .types
                .records
                .iter()
                .map(|r| (m.name.to_string(), r.shape.name.to_string()))
                .collect(),
            enums: m
                .types
                .enums
                .iter()
                .map(|e| (m.name.to_string(), e.name.to_string()))
                .collect(),
        }
    }

    /// The read side's table holds every model's records and enums, in
    /// model order (`check/table.rs`, `universe`), then the tables' rows.
    fn of_read_side(models: &[ir::Model], read: &ReadSide) -> Origins {
        let mut o = Origins {
            records: Vec::new(),
            enums: Vec::new(),
        };
        for m in models {
            let mine = Origins::of_model(m);
            o.records.extend(mine.records);
            o.enums.extend(mine.enums);
        }
        for r in read.types.records.iter().skip(o.records.len()) {
            o.records.push((String::new(), r.shape.name.to_string()));
        }
        o
    }

    fn ty(&self, ty: &Type) -> Ty {
        match ty {
            Type::String => Ty::String,
            Type::Int => Ty::Int,
            Type::Float => Ty::Float,
            Type::Bool => Ty::Bool,
            Type::Timestamp => Ty::Timestamp,
            Type::Duration => Ty::Duration,
            Type::List(t) => Ty::List {
                item: Box::new(self.ty(t)),
            },
            Type::Map(t) => Ty::Map {
                value: Box::new(self.ty(t)),
            },
            Type::Record(i) => {
                let (model, name) = self.records[*i].clone();
                Ty::Record { model, name }
            }
            Type::Enum(i) => {
                let (model, name) = self.enums[*i].clone();
                Ty::Enum { model, name }
            }
            Type::Optional(t) => Ty::Optional {
                inner: Box::new(self.ty(t)),
            },
            Type::Null | Type::Unknown | Type::Error => Ty::Json,
        }
    }

    fn field(&self, f: &FieldType) -> Field {
        Field {
            name: f.name.to_string(),
            ty: self.ty(&f.ty),
            required: !f.may_be_omitted(),
            default: f.default.as_ref().map(Value::to_json),
            doc: f.doc.clone(),
        }
    }

    fn fields(&self, fields: &[FieldType]) -> Vec<Field> {
        fields.iter().map(|f| self.field(f)).collect()
    }
}

pub(crate) fn schema(models: &[ir::Model], read: &ReadSide) -> Schema {
    Schema {
        models: models.iter().map(model).collect(),
        tables: tables(models, read),
        projections: read
            .projections
            .iter()
            .map(|p| ProjectionSchema {
                name: p.name.to_string(),
                mode: p.mode.word().to_string(),
                doc: p.doc.clone(),
                handles: p
                    .handlers
                    .iter()
                    .map(|h| (h.model_name.to_string(), h.event.to_string()))
                    .collect(),
                writes: p
                    .writes
                    .iter()
                    .map(|&t| read.tables[t as usize].name.to_string())
                    .collect(),
            })
            .collect(),
    }
}

fn model(m: &ir::Model) -> ModelSchema {
    let o = Origins::of_model(m);
    let types: &Types = &m.types;
    let invariants = m.invariants.iter().map(|i| Rejection {
        reason: Some("invariant".into()),
        message: i.text.clone(),
    });
    let invariants: Vec<Rejection> = invariants.collect();
    ModelSchema {
        name: m.name.to_string(),
        doc: m.doc.clone(),
        state: o.fields(&m.state_fields),
        records: types
            .records
            .iter()
            // The last record is the state's own.
            .take(types.records.len().saturating_sub(1))
            .map(|r| RecordSchema {
                name: r.shape.name.to_string(),
                doc: r.doc.clone(),
                fields: o.fields(&r.fields),
            })
            .collect(),
        enums: types
            .enums
            .iter()
            .map(|e| EnumSchema {
                name: e.name.to_string(),
                doc: e.doc.clone(),
                members: e
                    .members
                    .iter()
                    .zip(&e.member_docs)
                    .map(|(n, d)| Member {
                        name: n.to_string(),
                        doc: d.clone(),
                    })
                    .collect(),
            })
            .collect(),
        commands: m
            .commands
            .iter()
            .map(|c| CommandSchema {
                name: c.name.to_string(),
                doc: c.doc.clone(),
                params: o.fields(&c.params),
                emits: c.emits.iter().map(|e| e.to_string()).collect(),
                rejections: c
                    .rejections
                    .iter()
                    .map(|(reason, message)| Rejection {
                        reason: reason.as_ref().map(|r| r.to_string()),
                        message: message.clone(),
                    })
                    .chain(invariants.iter().cloned())
                    .collect(),
            })
            .collect(),
        events: m
            .events
            .iter()
            .map(|e| EventSchema {
                name: e.name.to_string(),
                version: e.version,
                doc: e.doc.clone(),
                fields: o.fields(&e.params),
            })
            .collect(),
        queries: m
            .queries
            .iter()
            .map(|q| QuerySchema {
                name: q.name.to_string(),
                doc: q.doc.clone(),
                params: o.fields(&q.params),
                returns: o.ty(&q.ty),
            })
            .collect(),
    }
}

fn tables(models: &[ir::Model], read: &ReadSide) -> Vec<TableSchema> {
    let o = Origins::of_read_side(models, read);
    read.tables
        .iter()
        .map(|t| TableSchema {
            name: t.name.to_string(),
            doc: t.doc.clone(),
            columns: t
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| Column {
                    name: c.name.to_string(),
                    ty: o.ty(&c.ty),
                    key: t.is_key(i),
                    doc: c.doc.clone(),
                })
                .collect(),
            key: t
                .key
                .iter()
                .map(|&k| t.columns[k as usize].name.to_string())
                .collect(),
            projection: t.writer.as_ref().map(|w| w.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn schema_of(text: &str) -> Schema {
        crate::Domain::compile(&[Source::new("t.model", text)])
            .unwrap()
            .schema()
    }

    const TWO_MODELS: &str = r#"
/// Lists.
model Lists {
  state {
    items: map<string, Item>
    tags: list<Tag>
    due: timestamp?
    every: duration = duration("1h")
  }
  /// One item.
  record Item {
    text: string
    score: float
  }
  enum Tag {
    red,
    /// unused
    green
  }
  /// Add one.
  command add(id: string, text: string, tag: Tag = Tag.red, note: string?) {
    reject taken "taken" if id in items
    emit added(id, text)
  }
  command clear() {
    emit cleared()
  }
  event added(id: string, text: string) {
    set items[id] = Item{text, score: 0.0}
  }
  event cleared() {
    set items = {}
  }
  query get(id: string): Item? = items.get(id, null)
  invariant "at most 3": size(items) <= 3
}
model Other {
  state {
    items: map<string, Item>
  }
  record Item {
    n: int
  }
  command put(id: string) {
    emit put(id)
  }
  event put(id: string) {
    set items[id] = Item{n: 1}
  }
}
table item_rows {
  key list_id: string
  key id: string
  text: string
  tag: Lists.Tag?
  item: Other.Item?
}
projection rows inline {
  on Lists.added {
    insert item_rows(list_id: stream.id, id, text)
  }
}
"#;

    #[test]
    fn names_types_and_docs_are_resolved_by_their_model() {
        let s = schema_of(TWO_MODELS);
        let lists = &s.models[0];
        assert_eq!(lists.name, "Lists");
        assert_eq!(lists.doc.as_deref(), Some("Lists."));
        let state: Vec<(&str, &Ty)> = lists.state.iter().map(|f| (&*f.name, &f.ty)).collect();
        let item = Ty::Record {
            model: "Lists".into(),
            name: "Item".into(),
        };
        assert_eq!(
            state[0],
            (
                "items",
                &Ty::Map {
                    value: Box::new(item.clone())
                }
            )
        );
        assert_eq!(
            state[2].1,
            &Ty::Optional {
                inner: Box::new(Ty::Timestamp)
            }
        );
        assert_eq!(state[3].1, &Ty::Duration);
        // The state's own record is not a record of the model.
        assert_eq!(
            lists.records.iter().map(|r| &*r.name).collect::<Vec<_>>(),
            ["Item"]
        );
        assert_eq!(lists.enums[0].members[1].doc.as_deref(), Some("unused"));
        let add = &lists.commands[0];
        assert_eq!(add.doc.as_deref(), Some("Add one."));
        let required: Vec<(&str, bool)> =
            add.params.iter().map(|p| (&*p.name, p.required)).collect();
        assert_eq!(
            required,
            [
                ("id", true),
                ("text", true),
                ("tag", false),
                ("note", false)
            ]
        );
        assert_eq!(add.params[2].default, Some(serde_json::json!("red")));
        assert_eq!(add.emits, ["added"]);
        let reasons: Vec<Option<&str>> =
            add.rejections.iter().map(|r| r.reason.as_deref()).collect();
        assert_eq!(reasons, [Some("taken"), Some("invariant")]);
        assert!(lists.commands[1].data_optional() && !add.data_optional());
        assert_eq!(lists.reasons(), ["taken", "invariant"]);
        assert_eq!(
            lists.queries[0].returns,
            Ty::Optional {
                inner: Box::new(item)
            }
        );
        // The other model's `Item` is its own.
        assert_eq!(
            s.models[1].state[0].ty,
            Ty::Map {
                value: Box::new(Ty::Record {
                    model: "Other".into(),
                    name: "Item".into()
                })
            }
        );
    }

    #[test]
    fn tables_name_the_model_of_each_column_type() {
        let s = schema_of(TWO_MODELS);
        let t = &s.tables[0];
        assert_eq!(t.key, ["list_id", "id"]);
        assert_eq!(t.projection.as_deref(), Some("rows"));
        let cols: Vec<(&str, bool)> = t.columns.iter().map(|c| (&*c.name, c.key)).collect();
        assert_eq!(
            cols,
            [
                ("list_id", true),
                ("id", true),
                ("text", false),
                ("tag", false),
                ("item", false)
            ]
        );
        assert_eq!(
            t.columns[3].ty,
            Ty::Optional {
                inner: Box::new(Ty::Enum {
                    model: "Lists".into(),
                    name: "Tag".into()
                })
            }
        );
        assert_eq!(
            t.columns[4].ty,
            Ty::Optional {
                inner: Box::new(Ty::Record {
                    model: "Other".into(),
                    name: "Item".into()
                })
            }
        );
        let p = &s.projections[0];
        assert_eq!((&*p.name, &*p.mode), ("rows", "inline"));
        assert_eq!(p.handles, [("Lists".to_string(), "added".to_string())]);
        assert_eq!(p.writes, ["item_rows"]);
    }
}
