//! The static types of the model language, the record and enum tables of a
//! model, and the decoding of JSON input against a declared type (§4, §8).

use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;

pub(crate) mod text;

use crate::value::{parse_duration, parse_timestamp, Map, Shape, Str, Value};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Int,
    Float,
    Bool,
    Timestamp,
    Duration,
    List(Box<Type>),
    /// `map<string, V>`: keys are always strings.
    Map(Box<Type>),
    /// Index into [`Types::records`].
    Record(usize),
    /// Index into [`Types::enums`].
    Enum(usize),
    Optional(Box<Type>),
    /// The type of `null`: fits every optional type.
    Null,
    /// The item type of `[]` or `{}` with nothing to infer it from: it fits
    /// every type.
    Unknown,
    /// An expression that already failed to check; it fits everything, so one
    /// mistake gives one diagnostic.
    Error,
}

impl Type {
    pub fn optional(inner: Type) -> Type {
        match inner {
            Type::Optional(_) | Type::Null | Type::Error => inner,
            other => Type::Optional(Box::new(other)),
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Null)
    }

    /// `T` for `T?`, the type itself otherwise.
    pub fn unwrap_optional(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// Whether a value of type `self` may stand where `target` is declared.
    pub fn fits(&self, target: &Type) -> bool {
        match (self, target) {
            (Type::Error, _) | (_, Type::Error) | (Type::Unknown, _) => true,
            (Type::Null, Type::Optional(_)) => true,
            (Type::Optional(a), Type::Optional(b)) => a.fits(b),
            (a, Type::Optional(b)) => a.fits(b),
            (Type::List(a), Type::List(b)) | (Type::Map(a), Type::Map(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }

    /// The one type both fit, if any: the type of `[a, b]`, `c ? a : b`,
    /// and the common type of the sides of `==` and `+`.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        Some(match (self, other) {
            (Type::Error, _) | (_, Type::Error) => Type::Error,
            (Type::Unknown, t) | (t, Type::Unknown) => t.clone(),
            (Type::Null, Type::Null) => Type::Null,
            (Type::Null, t) | (t, Type::Null) => Type::optional(t.clone()),
            (Type::Optional(a), Type::Optional(b)) => Type::optional(a.unify(b)?),
            (Type::Optional(a), b) | (b, Type::Optional(a)) => Type::optional(a.unify(b)?),
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.unify(b)?)),
            (Type::Map(a), Type::Map(b)) => Type::Map(Box::new(a.unify(b)?)),
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }

    /// The type as a model file writes it, naming records and enums.
    pub fn display<'a>(&'a self, types: &'a Types) -> impl fmt::Display + 'a {
        TypeName { ty: self, types }
    }
}

struct TypeName<'a> {
    ty: &'a Type,
    types: &'a Types,
}

impl fmt::Display for TypeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = |ty| TypeName {
            ty,
            types: self.types,
        };
        match self.ty {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Duration => f.write_str("duration"),
            Type::List(t) if **t == Type::Unknown => f.write_str("an empty list"),
            Type::Map(t) if **t == Type::Unknown => f.write_str("an empty map"),
            Type::List(t) => write!(f, "list<{}>", sub(t)),
            Type::Map(t) => write!(f, "map<string, {}>", sub(t)),
            Type::Record(i) => f.write_str(
                self.types
                    .records
                    .get(*i)
                    .map_or("record", |r| &*r.shape.name),
            ),
            Type::Enum(i) => f.write_str(self.types.enums.get(*i).map_or("enum", |e| &*e.name)),
            Type::Optional(t) => write!(f, "{}?", sub(t)),
            Type::Null => f.write_str("null"),
            Type::Unknown => f.write_str("any"),
            Type::Error => f.write_str("?"),
        }
    }
}

/// A declared field of a record, state, command, event or query.
#[derive(Debug, Clone)]
pub struct FieldType {
    pub name: Str,
    pub ty: Type,
    /// The `= default`, already evaluated.
    pub default: Option<Value>,
    pub doc: Option<String>,
}

impl FieldType {
    /// May be left out of input and literals: it has a default or is optional.
    pub fn may_be_omitted(&self) -> bool {
        self.default.is_some() || self.ty.is_optional()
    }

    /// What a left-out field takes.
    pub fn omitted_value(&self) -> Value {
        self.default.clone().unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone)]
pub struct RecordType {
    pub shape: Arc<Shape>,
    pub fields: Vec<FieldType>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: Str,
    pub members: Vec<Str>,
    pub member_docs: Vec<Option<String>>,
    pub doc: Option<String>,
    /// Where each member stands in `members`: a member is found in
    /// constant time however many there are.
    pub index: std::collections::HashMap<Str, u32>,
}

/// How many members of an enum a message lists.
const MEMBERS_LISTED: usize = 20;

/// The records and enums of one model.
#[derive(Debug, Clone, Default)]
pub struct Types {
    pub records: Vec<RecordType>,
    pub enums: Vec<EnumType>,
}

/// Input that does not fit its declared type: where, and what to fix.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

impl Types {
    /// Decodes `json` as a value of `ty`. `path` names where `json` stands
    /// (`data.ids[2]`); it is restored before returning.
    pub fn decode(&self, json: &Json, ty: &Type, path: &mut String) -> Result<Value, DecodeError> {
        let fail = |path: &String, message: String| {
            Err(DecodeError {
                path: path.clone(),
                message,
            })
        };
        let expected = |path: &String| {
            fail(
                path,
                format!(
                    "expected {}, found {}",
                    article(&ty.display(self).to_string()),
                    describe_json(json)
                ),
            )
        };
        match (ty, json) {
            (Type::Optional(_), Json::Null) => Ok(Value::Null),
            (Type::Optional(inner), _) => self.decode(json, inner, path),
            (_, Json::Null) => fail(
                path,
                format!(
                    "expected {}, found null (only an optional type, `T?`, takes null)",
                    article(&ty.display(self).to_string())
                ),
            ),
            (Type::String, Json::String(s)) => Ok(Value::String(Str::from(s.as_str()))),
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Type::Int, Json::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Value::Int(i)),
                None if n.is_u64() => fail(
                    path,
                    format!("{n} is outside the range of a 64-bit int"),
                ),
                None => fail(
                    path,
                    format!("expected an int, found {n}: an int has no fraction or exponent and fits in 64 bits"),
                ),
            },
            (Type::Float, Json::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(Value::Float(f)),
                _ => fail(path, format!("{n} is not a finite float")),
            },
            (Type::Timestamp, Json::String(s)) => match parse_timestamp(s) {
                Ok(t) => Ok(Value::Timestamp(t)),
                Err(message) => fail(path, message),
            },
            (Type::Duration, Json::String(s)) => match parse_duration(s) {
                Ok(d) => Ok(Value::Duration(d)),
                Err(message) => fail(path, message),
            },
            (Type::Enum(e), Json::String(s)) => {
                let en = &self.enums[*e];
                match en.index.get(s.as_str()) {
                    Some(&m) => Ok(Value::Enum(en.members[m as usize].clone())),
                    None => fail(
                        path,
                        format!(
                            "`{}` is not a member of {}; expected one of {}{}",
                            s.chars().take(64).collect::<String>(),
                            en.name,
                            en.members
                                .iter()
                                .take(MEMBERS_LISTED)
                                .map(|m| format!("`{m}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            match en.members.len().saturating_sub(MEMBERS_LISTED) {
                                0 => String::new(),
                                more => format!(" and {more} more"),
                            }
                        ),
                    ),
                }
            }
            (Type::List(item), Json::Array(items)) => {
                let mut out = imbl::Vector::new();
                for (i, j) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let v = self.decode(j, item, path);
                    path.truncate(len);
                    out.push_back(v?);
                }
                Ok(Value::List(Arc::new(out)))
            }
            (Type::Map(item), Json::Object(entries)) => {
                let mut out = Map::new();
                for (k, j) in entries {
                    let len = path.len();
                    push_key(path, k);
                    let v = self.decode(j, item, path);
                    path.truncate(len);
                    out.insert(Str::from(k.as_str()), v?);
                }
                Ok(Value::Map(out))
            }
            (Type::Record(r), Json::Object(_)) => {
                let rec = &self.records[*r];
                self.decode_fields(json, &rec.shape, &rec.fields, path)
            }
            _ => expected(path),
        }
    }

    /// Decodes a JSON object holding `fields` (a record, the state, a
    /// command's or an event's data): every required field present, nothing
    /// unknown, left-out fields taking their default or null.
    pub fn decode_fields(
        &self,
        json: &Json,
        shape: &Arc<Shape>,
        fields: &[FieldType],
        path: &mut String,
    ) -> Result<Value, DecodeError> {
        let Json::Object(object) = json else {
            return Err(DecodeError {
                path: path.clone(),
                message: format!("expected an object, found {}", describe_json(json)),
            });
        };
        for key in object.keys() {
            if !fields.iter().any(|f| *f.name == **key) {
                let len = path.len();
                push_key(path, key);
                let err = DecodeError {
                    path: path.clone(),
                    message: if fields.is_empty() {
                        format!("unknown field `{key}`: {} takes no fields", shape.name)
                    } else {
                        format!(
                            "unknown field `{key}`; {} has {}",
                            shape.name,
                            fields
                                .iter()
                                .map(|f| format!("`{}`", f.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                };
                path.truncate(len);
                return Err(err);
            }
        }
        let mut values = crate::value::Fields::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            let len = path.len();
            let value = match field_of(object, i, &field.name) {
                // The key goes into the path only on the way out of an
                // error: on the happy path, no path is built.
                Some(j) => self
                    .decode(j, &field.ty, path)
                    .map_err(|e| e.under(len, &field.name)),
                None if field.may_be_omitted() => Ok(field.omitted_value()),
                None => {
                    push_key(path, &field.name);
                    let err = DecodeError {
                        path: path.clone(),
                        message: format!(
                            "`{}` is required ({})",
                            field.name,
                            field.ty.display(self)
                        ),
                    };
                    path.truncate(len);
                    Err(err)
                }
            };
            values.push(value?);
        }
        Ok(Value::record(shape.clone(), values))
    }
}

/// The value of field `name`, the `i`th declared: a small object is
/// searched in order (its keys usually come in the declared order), which
/// beats hashing the key; a large one is looked up.
fn field_of<'j>(
    object: &'j serde_json::Map<String, Json>,
    i: usize,
    name: &str,
) -> Option<&'j Json> {
    if object.len() > 8 {
        return object.get(name);
    }
    let mut entries = object.iter();
    if let Some((k, v)) = entries.clone().nth(i) {
        if k == name {
            return Some(v);
        }
    }
    entries.find(|(k, _)| *k == name).map(|(_, v)| v)
}

impl DecodeError {
    /// The error of a field's value, its path (made without the field's
    /// key, from a path `len` long) put under the key.
    fn under(mut self, len: usize, key: &str) -> DecodeError {
        let rest = self.path.split_off(len);
        push_key(&mut self.path, key);
        if !rest.is_empty() && !rest.starts_with(['.', '[']) {
            self.path.push('.');
        }
        self.path.push_str(&rest);
        self
    }
}

/// Appends `.key`, or `["key"]` when the key is not a plain name.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(key).unwrap_or_default());
        path.push(']');
    }
}

fn article(noun: &str) -> String {
    if noun.starts_with("an ") || noun == "null" {
        return noun.to_string();
    }
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}

/// "a string", "the number 1.5", ...: what the input held instead.
pub(crate) fn describe_json(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the bool {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Json::String(_) => "a string".into(),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types() -> Types {
        Types {
            records: vec![RecordType {
                shape: Arc::new(Shape {
                    name: "Line".into(),
                    fields: vec!["sku".into(), "note".into()],
                }),
                fields: vec![
                    FieldType {
                        name: "sku".into(),
                        ty: Type::String,
                        default: None,
                        doc: None,
                    },
                    FieldType {
                        name: "note".into(),
                        ty: Type::optional(Type::String),
                        default: None,
                        doc: None,
                    },
                ],
                doc: None,
            }],
            enums: vec![],
        }
    }

    fn decode(json: Json, ty: Type) -> Result<Value, DecodeError> {
        let mut path = String::from("data");
        let out = types().decode(&json, &ty, &mut path);
        assert_eq!(path, "data", "the path is restored");
        out
    }

    #[test]
    fn ints_refuse_fractions_exponents_and_big_numbers() {
        assert_eq!(decode(json!(5), Type::Int).unwrap(), Value::Int(5));
        for bad in [json!(1.5), json!(1e2), json!(u64::MAX), json!("5")] {
            assert!(decode(bad, Type::Int).is_err());
        }
        let big: Json = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert!(decode(big, Type::Int).is_err());
    }

    #[test]
    fn floats_take_integers_too() {
        assert_eq!(decode(json!(2), Type::Float).unwrap(), Value::Float(2.0));
    }

    #[test]
    fn errors_name_their_path() {
        let err = decode(
            json!([{"sku": "a"}, {"sku": 3}]),
            Type::List(Box::new(Type::Record(0))),
        )
        .unwrap_err();
        assert_eq!(err.path, "data[1].sku");
        let err = decode(json!({"sku": "a", "x": 1}), Type::Record(0)).unwrap_err();
        assert_eq!(err.path, "data.x");
        let err = decode(json!({"a b": 1}), Type::Map(Box::new(Type::String))).unwrap_err();
        assert_eq!(err.path, "data[\"a b\"]");
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let v = decode(json!({"sku": "a"}), Type::Record(0)).unwrap();
        assert_eq!(v.to_json_string(), r#"{"sku":"a","note":null}"#);
        assert!(decode(json!({"note": "x"}), Type::Record(0)).is_err());
    }

    #[test]
    fn unify_and_fits() {
        let int_list = Type::List(Box::new(Type::Int));
        let empty = Type::List(Box::new(Type::Unknown));
        assert_eq!(empty.unify(&int_list), Some(int_list.clone()));
        assert_eq!(
            Type::Int.unify(&Type::Null),
            Some(Type::optional(Type::Int))
        );
        assert_eq!(Type::Int.unify(&Type::Float), None);
        assert!(Type::Int.fits(&Type::optional(Type::Int)));
        assert!(!Type::optional(Type::Int).fits(&Type::Int));
        assert!(empty.fits(&int_list));
    }
}
