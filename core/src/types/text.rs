//! Decoding of JSON text straight into typed values, for hot paths (loading
//! stored events and snapshots, states handed in as text): no
//! `serde_json::Value` (an `IndexMap` per object, hashed keys) is built and
//! dropped on the way.
//!
//! It only has to be right when the text fits its type: on any mismatch it
//! gives up (`None`), and the caller decodes the same text with
//! [`Types::decode_fields`](super::Types::decode_fields) for the precise
//! error. Each rule mirrors that function's, and a test holds them together.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::types::{FieldType, Type, Types};
use crate::value::{parse_timestamp, Fields, Map, Shape, Str, Value};

/// The data of an event or a record, or `None` when it does not fit.
pub(crate) fn fields(
    types: &Types,
    shape: &Arc<Shape>,
    fields: &[FieldType],
    text: &str,
) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = FieldsSeed {
        types,
        shape,
        fields,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

fn mismatch<E: de::Error>() -> E {
    E::custom("does not fit its type")
}

struct FieldsSeed<'a> {
    types: &'a Types,
    shape: &'a Arc<Shape>,
    fields: &'a [FieldType],
}

impl<'de> DeserializeSeed<'de> for FieldsSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut slots: smallvec::SmallVec<[Option<Value>; 8]> =
            smallvec::smallvec![None; self.fields.len()];
        while let Some(index) = map.next_key_seed(FieldIndex(self.fields))? {
            let ty = &self.fields[index].ty;
            slots[index] = Some(map.next_value_seed(Typed {
                types: self.types,
                ty,
            })?);
        }
        let mut values = Fields::with_capacity(self.fields.len());
        for (slot, field) in slots.into_iter().zip(self.fields) {
            values.push(match slot {
                Some(v) => v,
                None if field.may_be_omitted() => field.omitted_value(),
                None => return Err(mismatch()),
            });
        }
        Ok(Value::record(self.shape.clone(), values))
    }
}

/// A key, as the index of the field it names.
struct FieldIndex<'a>(&'a [FieldType]);

impl<'de> DeserializeSeed<'de> for FieldIndex<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|f| *f.name == *key)
            .ok_or_else(mismatch)
    }
}

/// A value of a declared type.
#[derive(Clone, Copy)]
struct Typed<'a> {
    types: &'a Types,
    ty: &'a Type,
}

impl<'de> DeserializeSeed<'de> for Typed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.ty.unwrap_optional() {
            Type::Record(r) => {
                let rec = &self.types.records[*r];
                if self.ty.is_optional() {
                    return d.deserialize_any(self);
                }
                FieldsSeed {
                    types: self.types,
                    shape: &rec.shape,
                    fields: &rec.fields,
                }
                .deserialize(d)
            }
            _ => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Typed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of its declared type")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        if self.ty.is_optional() {
            Ok(Value::Null)
        } else {
            Err(mismatch())
        }
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.ty.unwrap_optional() {
            Type::Bool => Ok(Value::Bool(b)),
            _ => Err(mismatch()),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        match self.ty.unwrap_optional() {
            Type::Int => Ok(Value::Int(i)),
            Type::Float => Ok(Value::Float(i as f64)),
            _ => Err(mismatch()),
        }
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        match self.ty.unwrap_optional() {
            Type::Int => i64::try_from(u).map(Value::Int).map_err(|_| mismatch()),
            Type::Float => Ok(Value::Float(u as f64)),
            _ => Err(mismatch()),
        }
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        match self.ty.unwrap_optional() {
            Type::Float if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(mismatch()),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        match self.ty.unwrap_optional() {
            Type::String => Ok(Value::String(Str::from(s))),
            Type::Timestamp => parse_timestamp(s)
                .map(Value::Timestamp)
                .map_err(|_| mismatch()),
            Type::Enum(e) => self.types.enums[*e]
                .members
                .iter()
                .find(|m| ***m == *s)
                .map(|m| Value::Enum(m.clone()))
                .ok_or_else(mismatch),
            _ => Err(mismatch()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Type::List(item) = self.ty.unwrap_optional() else {
            return Err(mismatch());
        };
        let item = Typed {
            types: self.types,
            ty: item,
        };
        let mut out = imbl::Vector::new();
        while let Some(v) = seq.next_element_seed(item)? {
            out.push_back(v);
        }
        Ok(Value::List(Arc::new(out)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        match self.ty.unwrap_optional() {
            Type::Map(item) => {
                let item = Typed {
                    types: self.types,
                    ty: item,
                };
                let mut out = Map::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let v = map.next_value_seed(item)?;
                    out.insert(Str::from(&*k), v);
                }
                Ok(Value::Map(out))
            }
            Type::Record(r) => {
                let rec = &self.types.records[*r];
                FieldsSeed {
                    types: self.types,
                    shape: &rec.shape,
                    fields: &rec.fields,
                }
                .visit_map(map)
            }
            _ => Err(mismatch()),
        }
    }
}
