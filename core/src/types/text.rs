//! The one way JSON text becomes typed values ([`decode_fields`]): stored
//! events, snapshots, and states handed in as text all come through here.
//!
//! It first decodes the text straight into typed values, with no
//! `serde_json::Value` (an `IndexMap` per object, hashed keys) built and
//! dropped on the way. That fast path only has to be right when the text
//! fits its type: on any mismatch it gives up, and the same text is decoded
//! again by the precise decoder ([`Types::decode_fields`]) for the error that
//! says where and what. Each rule of the fast path mirrors one of the precise
//! decoder's; the property test below holds them together.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

use crate::types::{DecodeError, FieldType, Type, Types};
use crate::value::{parse_timestamp, Fields, Map, Shape, Str, Value};

/// Why text did not decode: it is not JSON (as `parse` said), or it does
/// not fit the declared fields (where, and what to fix).
#[derive(Debug)]
pub(crate) enum Fault<E> {
    Json(E),
    Decode(DecodeError),
}

/// Decodes JSON text holding `fields` (an event's data, a state). On the
/// fast path nothing but the value is built; only text that does not fit
/// is parsed by `parse` (which may apply input limits) and decoded
/// precisely, with `path` naming where it stands (`data`, `state`).
pub(crate) fn decode_fields<E>(
    types: &Types,
    shape: &Arc<Shape>,
    fields: &[FieldType],
    text: &str,
    path: &mut String,
    parse: impl FnOnce(&str) -> Result<Json, E>,
) -> Result<Value, Fault<E>> {
    if let Some(value) = fast_fields(types, shape, fields, text) {
        return Ok(value);
    }
    let json = parse(text).map_err(Fault::Json)?;
    types
        .decode_fields(&json, shape, fields, path)
        .map_err(Fault::Decode)
}

/// The fast path: the value, or `None` when the text does not fit.
fn fast_fields(
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
            Type::Duration => crate::value::parse_duration(s)
                .map(Value::Duration)
                .map_err(|_| mismatch()),
            Type::Enum(e) => {
                let en = &self.types.enums[*e];
                en.index
                    .get(s)
                    .map(|&m| Value::Enum(en.members[m as usize].clone()))
                    .ok_or_else(mismatch)
            }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::language::ir::Model;
    use crate::{Domain, Source};

    const MODEL: &str = r#"
model Kinds {
  state { n: int }
  enum Color { red, green }
  record Item {
    sku: string
    qty: int = 1
    note: string?
  }
  record Crate {
    items: list<Item>
    tags: map<string, Color?>
    inner: Item?
    at: timestamp
  }
  command go() { emit all(s: "x", i: 1, f: 1.5, b: true, t: now, c: Color.red, l: [1], m: {"a": 2}, r: Item{sku: "a"}, o: null, lr: [], mr: {}) }
  event all(s: string, i: int, f: float, b: bool, t: timestamp, c: Color, l: list<int>, m: map<string, int>, r: Item, o: Item?, lr: list<Item>, mr: map<string, list<Color?>>) {
    set n = n + 1
  }
}
"#;

    fn domain() -> Domain {
        Domain::compile(&[Source::new("k.model", MODEL)]).unwrap()
    }

    fn precise(
        types: &Types,
        shape: &Arc<Shape>,
        fields: &[FieldType],
        text: &str,
    ) -> Result<Value, String> {
        let json: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut path = String::from("data");
        types
            .decode_fields(&json, shape, fields, &mut path)
            .map_err(|e| format!("{}: {}", e.path, e.message))
    }

    /// The fast path and the precise decoder agree on `text`: the same
    /// value where both decode, and the fast one never takes what the
    /// precise one refuses, nor refuses what it takes.
    fn agree(
        types: &Types,
        shape: &Arc<Shape>,
        fields: &[FieldType],
        text: &str,
    ) -> Result<Option<Value>, TestCaseError> {
        let fail = |m: String| Err(TestCaseError::fail(m));
        let fast = fast_fields(types, shape, fields, text);
        match (fast, precise(types, shape, fields, text)) {
            (Some(f), Ok(p)) => {
                if f != p || f.to_json_string() != p.to_json_string() {
                    return fail(format!("fast {f:?} but precise {p:?}: {text}"));
                }
                Ok(Some(f))
            }
            (Some(_), Err(e)) => fail(format!("fast took what precise refused ({e}): {text}")),
            (None, Ok(_)) => fail(format!("fast refused what precise took: {text}")),
            (None, Err(_)) => Ok(None),
        }
    }

    fn one_field(ty: Type) -> (Arc<Shape>, Vec<FieldType>) {
        let shape = Arc::new(Shape {
            name: "T".into(),
            fields: vec!["v".into()],
        });
        let field = FieldType {
            name: "v".into(),
            ty,
            default: None,
            doc: None,
        };
        (shape, vec![field])
    }

    fn record(m: &Model, name: &str) -> usize {
        m.types
            .records
            .iter()
            .position(|r| &*r.shape.name == name)
            .unwrap()
    }

    /// Any declared type, nested a few levels.
    fn any_type(m: &Model) -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![
            Just(Type::String),
            Just(Type::Int),
            Just(Type::Float),
            Just(Type::Bool),
            Just(Type::Timestamp),
            Just(Type::Duration),
            Just(Type::Enum(0)),
            Just(Type::Record(record(m, "Item"))),
            Just(Type::Record(record(m, "Crate"))),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| Type::List(Box::new(t))),
                inner.clone().prop_map(|t| Type::Map(Box::new(t))),
                inner.prop_map(Type::optional),
            ]
        })
    }

    fn timestamp() -> impl Strategy<Value = String> {
        (
            1900i32..2200,
            1u32..13,
            1u32..29,
            0u32..24,
            0u32..60,
            0u32..60,
            prop::option::of(0u32..1_000_000_000),
            prop_oneof![Just("Z"), Just("+02:00"), Just("-11:30")],
        )
            .prop_map(|(y, mo, d, h, mi, s, ns, off)| {
                let frac = ns.map_or(String::new(), |n| format!(".{n:09}"));
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
            })
    }

    /// JSON that fits `ty`, written as a caller might (fields that may be
    /// left out sometimes are, keys in any order).
    fn json_for(types: &Types, ty: &Type) -> BoxedStrategy<Json> {
        match ty {
            Type::String => any::<String>().prop_map(Json::from).boxed(),
            Type::Int => prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN)]
                .prop_map(Json::from)
                .boxed(),
            Type::Float => prop_oneof![
                any::<f64>().prop_filter("finite", |f| f.is_finite()),
                Just(-0.0),
                Just(5e-324),
                Just(f64::MAX),
                any::<i32>().prop_map(f64::from),
            ]
            .prop_map(Json::from)
            .boxed(),
            Type::Bool => any::<bool>().prop_map(Json::from).boxed(),
            Type::Timestamp => timestamp().prop_map(Json::from).boxed(),
            Type::Duration => prop_oneof![
                (-315_576_000_000_999_999_999i128..=315_576_000_000_999_999_999).prop_map(|n| {
                    crate::value::format_duration(crate::value::Duration::from_nanos(n).unwrap())
                }),
                prop::sample::select(vec!["0", "1h30m", "-1.5s", "14d", "2d12h", ".5ms", "12µs"])
                    .prop_map(String::from),
            ]
            .prop_map(Json::from)
            .boxed(),
            Type::Enum(e) => {
                let members: Vec<Json> = types.enums[*e]
                    .members
                    .iter()
                    .map(|m| Json::from(&**m))
                    .collect();
                prop::sample::select(members).boxed()
            }
            Type::List(item) => prop::collection::vec(json_for(types, item), 0..4)
                .prop_map(Json::Array)
                .boxed(),
            Type::Map(item) => {
                prop::collection::btree_map(any::<String>(), json_for(types, item), 0..4)
                    .prop_map(|m| Json::Object(m.into_iter().collect()))
                    .boxed()
            }
            Type::Optional(inner) => prop_oneof![Just(Json::Null), json_for(types, inner)].boxed(),
            Type::Record(r) => {
                let fields: Vec<BoxedStrategy<Option<Json>>> = types.records[*r]
                    .fields
                    .iter()
                    .map(|f| {
                        let value = json_for(types, &f.ty);
                        if f.may_be_omitted() {
                            prop::option::of(value).boxed()
                        } else {
                            value.prop_map(Some).boxed()
                        }
                    })
                    .collect();
                let names: Vec<String> = types.records[*r]
                    .fields
                    .iter()
                    .map(|f| f.name.to_string())
                    .collect();
                (fields, any::<bool>())
                    .prop_map(move |(values, reverse)| {
                        let mut pairs: Vec<(String, Json)> = names
                            .iter()
                            .cloned()
                            .zip(values)
                            .filter_map(|(k, v)| v.map(|v| (k, v)))
                            .collect();
                        if reverse {
                            pairs.reverse();
                        }
                        Json::Object(pairs.into_iter().collect())
                    })
                    .boxed()
            }
            Type::Null | Type::Unknown | Type::Error => Just(Json::Null).boxed(),
        }
    }

    /// One change to well-typed JSON that may make it ill-typed.
    #[derive(Debug, Clone)]
    enum Change {
        /// Replace the `n`th node (in pre-order) by this.
        Replace(usize, Json),
        /// Add a key to the `n`th object.
        AddKey(usize, String),
        /// Drop the first key of the `n`th object.
        DropKey(usize),
    }

    fn change() -> impl Strategy<Value = Change> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            any::<i64>().prop_map(Json::from),
            Just(Json::from(u64::MAX)),
            Just(Json::from(i64::MAX as u64 + 1)),
            Just(Json::from(1.5)),
            Just(Json::from(2.0)),
            Just(Json::from("blue")),
            Just(Json::from("red")),
            Just(Json::from("yesterday")),
            Just(Json::from("2026-01-02T03:04:05Z")),
            Just(Json::Array(vec![])),
            Just(Json::Object(Default::default())),
            Just(serde_json::json!({"sku": "a"})),
        ];
        prop_oneof![
            (any::<usize>(), leaf).prop_map(|(n, j)| Change::Replace(n, j)),
            (
                any::<usize>(),
                prop_oneof![Just("zz".to_string()), any::<String>()]
            )
                .prop_map(|(n, k)| Change::AddKey(n, k)),
            any::<usize>().prop_map(Change::DropKey),
        ]
    }

    /// Applies `change` to the node it names; `seen` counts the nodes (or
    /// the objects) passed so far.
    fn apply(json: &mut Json, change: &Change, seen: &mut usize, total: usize) -> bool {
        let here = *seen;
        let is_object = json.is_object();
        match change {
            Change::Replace(n, with) => {
                *seen += 1;
                if here == n % total {
                    *json = with.clone();
                    return true;
                }
            }
            Change::AddKey(n, _) | Change::DropKey(n) if is_object => {
                *seen += 1;
                if here == n % total {
                    let Json::Object(o) = json else { return false };
                    match change {
                        Change::AddKey(_, _) => {
                            o.insert(key_of(change), Json::from(1));
                        }
                        _ => {
                            if let Some(k) = o.keys().next().cloned() {
                                o.shift_remove(&k);
                            }
                        }
                    }
                    return true;
                }
            }
            _ => {}
        }
        match json {
            Json::Array(items) => items.iter_mut().any(|j| apply(j, change, seen, total)),
            Json::Object(o) => o.values_mut().any(|j| apply(j, change, seen, total)),
            _ => false,
        }
    }

    fn key_of(change: &Change) -> String {
        match change {
            Change::AddKey(_, k) => k.clone(),
            _ => String::new(),
        }
    }

    fn count(json: &Json, objects_only: bool) -> usize {
        let me = usize::from(!objects_only || json.is_object());
        me + match json {
            Json::Array(items) => items.iter().map(|j| count(j, objects_only)).sum(),
            Json::Object(o) => o.values().map(|j| count(j, objects_only)).sum(),
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Well-typed JSON decodes the same both ways, and its canonical
        /// text (what the engine stores) decodes back to the same value.
        #[test]
        fn the_fast_path_agrees_on_well_typed_text(
            (ty, json) in {
                let m = domain().model("Kinds").unwrap().clone();
                let types = m.types.clone();
                any_type(&m).prop_flat_map(move |ty| {
                    let types = types.clone();
                    (Just(ty.clone()), json_for(&types, &ty))
                })
            }
        ) {
            let d = domain();
            let m = d.model("Kinds").unwrap();
            let (shape, fields) = one_field(ty);
            let text = serde_json::to_string(&serde_json::json!({ "v": json })).unwrap();
            let value = agree(&m.types, &shape, &fields, &text)?;
            let value = value.ok_or_else(|| TestCaseError::fail(format!("well-typed text refused: {text}")))?;
            let canonical = value.to_json_string();
            let again = agree(&m.types, &shape, &fields, &canonical)?;
            prop_assert_eq!(again.as_ref(), Some(&value));
            prop_assert_eq!(again.map(|v| v.to_json_string()), Some(canonical));
        }

        /// JSON one change away from well-typed (a wrong leaf, an unknown
        /// or missing key): both ways accept it or both refuse it.
        #[test]
        fn the_fast_path_refuses_what_the_precise_one_refuses(
            (ty, json, change) in {
                let m = domain().model("Kinds").unwrap().clone();
                let types = m.types.clone();
                any_type(&m).prop_flat_map(move |ty| {
                    let types = types.clone();
                    (Just(ty.clone()), json_for(&types, &ty), change())
                })
            }
        ) {
            let d = domain();
            let m = d.model("Kinds").unwrap();
            let (shape, fields) = one_field(ty);
            let mut json = serde_json::json!({ "v": json });
            let objects = matches!(change, Change::AddKey(..) | Change::DropKey(_));
            let total = count(&json, objects);
            apply(&mut json, &change, &mut 0, total);
            let text = serde_json::to_string(&json).unwrap();
            agree(&m.types, &shape, &fields, &text)?;
        }
    }

    /// Texts a generator does not write: escapes, big and odd numbers,
    /// duplicate keys, trailing text.
    #[test]
    fn edge_cases_agree() {
        let d = domain();
        let m = d.model("Kinds").unwrap();
        let h = &m.events[m.event_index("all").unwrap()];
        let good = r#"{"s":"x\u00e9\n\ud83d\ude00\"\\\/","i":-3,"f":2,"b":false,"t":"2026-01-02T03:04:05.5Z","c":"green","l":[1,2],"m":{"a":1,"a":2,"b":3},"r":{"sku":"k","note":null},"o":{"sku":"z","qty":4,"note":"n"},"lr":[{"sku":"q"}],"mr":{"x":["red",null]}}"#;
        let mut cases = vec![good.to_string()];
        for (from, to) in [
            (r#""i":-3"#, r#""i":1.0"#),
            (r#""i":-3"#, r#""i":1e2"#),
            (r#""i":-3"#, r#""i":-0"#),
            (r#""i":-3"#, r#""i":9223372036854775808"#),
            (r#""i":-3"#, r#""i":9223372036854775807"#),
            (r#""i":-3"#, r#""i":-9223372036854775808"#),
            (r#""i":-3"#, r#""i":-9223372036854775809"#),
            (r#""i":-3"#, r#""i":123456789012345678901234567890"#),
            (r#""f":2"#, r#""f":1e400"#),
            (r#""f":2"#, r#""f":-0.0"#),
            (r#""f":2"#, r#""f":1.7976931348623157e308"#),
            (r#""f":2"#, r#""f":5e-324"#),
            (r#""f":2"#, r#""f":18446744073709551616"#),
            (r#""f":2"#, r#""f":"2""#),
            (r#""c":"green""#, r#""c":"blue""#),
            (r#""c":"green""#, r#""c":null"#),
            (r#""c":"green""#, r#""c":"gr\u0065en""#),
            (r#""t":"2026-01-02T03:04:05.5Z""#, r#""t":"yesterday""#),
            (
                r#""t":"2026-01-02T03:04:05.5Z""#,
                r#""t":"2026-02-30T00:00:00Z""#,
            ),
            (r#""r":{"sku":"k","note":null}"#, r#""r":{"note":null}"#),
            (
                r#""r":{"sku":"k","note":null}"#,
                r#""r":{"sku":"k","extra":1}"#,
            ),
            (
                r#""r":{"sku":"k","note":null}"#,
                r#""r":{"sku":"k","sku":"j"}"#,
            ),
            (r#""r":{"sku":"k","note":null}"#, r#""r":null"#),
            (r#""o":{"sku":"z","qty":4,"note":"n"}"#, r#""o":null"#),
            (r#""o":{"sku":"z","qty":4,"note":"n"}"#, r#""o":[]"#),
            (r#""l":[1,2]"#, r#""l":[1,"2"]"#),
            (r#""l":[1,2]"#, r#""l":[1,null]"#),
            (r#""l":[1,2]"#, r#""l":{}"#),
            (r#""mr":{"x":["red",null]}"#, r#""mr":{"x":"red"}"#),
            (r#""mr":{"x":["red",null]}"#, r#""mr":{"\u0000 \"":[]}"#),
            (r#""s":"x\u00e9\n\ud83d\ude00\"\\\/","#, ""),
            (r#""b":false"#, r#""b":false,"zz":1"#),
            (r#""b":false"#, r#""b":0"#),
        ] {
            assert!(good.contains(from), "{from}");
            cases.push(good.replacen(from, to, 1));
        }
        cases.extend(["[]", "null", "{}", "", "{", "\"x\""].map(String::from));
        cases.push(format!("{good} x"));
        cases.push(format!(" {good}\n"));
        let mut refused = 0;
        for text in &cases {
            if agree(&m.types, &h.shape, &h.params, text)
                .unwrap()
                .is_none()
            {
                refused += 1;
            }
        }
        assert!(agree(&m.types, &h.shape, &h.params, good)
            .unwrap()
            .is_some());
        assert!(refused > cases.len() / 2, "most of the cases are faults");
    }

    /// What the caller sees: the value on the fast path, and otherwise the
    /// precise error at its path, or the parser's fault.
    #[test]
    fn decode_fields_gives_the_precise_error() {
        let d = domain();
        let m = d.model("Kinds").unwrap();
        let i = record(m, "Item");
        let rec = &m.types.records[i];
        let mut path = String::from("data");
        let parse = |t: &str| serde_json::from_str::<Json>(t);
        let ok = decode_fields(
            &m.types,
            &rec.shape,
            &rec.fields,
            r#"{"sku":"a"}"#,
            &mut path,
            parse,
        );
        assert_eq!(
            ok.unwrap().to_json_string(),
            r#"{"sku":"a","qty":1,"note":null}"#
        );
        let bad = decode_fields(
            &m.types,
            &rec.shape,
            &rec.fields,
            r#"{"sku":"a","qty":1.5}"#,
            &mut path,
            parse,
        );
        match bad {
            Err(Fault::Decode(e)) => assert_eq!(e.path, "data.qty"),
            other => panic!("{other:?}"),
        }
        assert_eq!(path, "data");
        let bad = decode_fields(&m.types, &rec.shape, &rec.fields, "{", &mut path, parse);
        assert!(matches!(bad, Err(Fault::Json(_))), "{bad:?}");
    }
}
