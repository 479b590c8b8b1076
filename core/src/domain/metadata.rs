//! A stored event's metadata text as a projection handler's `event` sees
//! it (MODEL-LANGUAGE.md §13): `recorded_at`, and every other key whose
//! value is a string.
//!
//! An async projection reads this for every event it folds, so it is read
//! in one pass over the text: no JSON tree, no map of raw values parsed a
//! second time, strings borrowed from the text unless they hold escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::value::{Map, Str, Value};

/// What a handler reads of one event's metadata.
pub(crate) struct StoredMetadata<'t> {
    /// The text of `recorded_at`, when it is a string (its last, when the
    /// key is repeated).
    pub(crate) recorded_at: Option<Cow<'t, str>>,
    /// Every other key with a string value; a repeated key keeps its last.
    pub(crate) strings: Map,
}

/// Reads `text`, which must be a JSON object; `None` when it is not.
pub(crate) fn read(text: &str) -> Option<StoredMetadata<'_>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let out = de.deserialize_map(ObjectVisitor).ok()?;
    de.end().ok()?;
    Some(out)
}

/// The keys every command stamps (`engine/metadata.rs`), made once: a key
/// of them costs a reference count, not an allocation.
fn key_str(key: &str) -> Str {
    static STAMPED: std::sync::LazyLock<[Str; 3]> = std::sync::LazyLock::new(|| {
        ["command_id", "correlation_id", "causation_id"].map(Str::from)
    });
    STAMPED
        .iter()
        .find(|k| &***k == key)
        .cloned()
        .unwrap_or_else(|| Str::from(key))
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = StoredMetadata<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut recorded_at = None;
        let mut strings = Map::new();
        while let Some(StringOrOther(key)) = a.next_key()? {
            let StringOrOther(value) = a.next_value()?;
            // A JSON key is always a string.
            let (Some(key), Some(value)) = (key, value) else {
                continue;
            };
            if key == "recorded_at" {
                recorded_at = Some(value);
            } else {
                strings.insert(key_str(&key), Value::str(&value));
            }
        }
        Ok(StoredMetadata {
            recorded_at,
            strings,
        })
    }
}

/// A JSON string, borrowed from the text when it has no escapes, or
/// `None` for any other value, passed over.
struct StringOrOther<'de>(Option<Cow<'de, str>>);

impl<'de> de::Deserialize<'de> for StringOrOther<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrOtherVisitor)
    }
}

struct StringOrOtherVisitor;

impl<'de> Visitor<'de> for StringOrOtherVisitor {
    type Value = StringOrOther<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(StringOrOther(Some(Cow::Borrowed(s))))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(StringOrOther(Some(Cow::Owned(s.to_string()))))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(StringOrOther(Some(Cow::Owned(s))))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(StringOrOther(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(StringOrOther(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(StringOrOther(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(StringOrOther(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(StringOrOther(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(StringOrOther(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(StringOrOther(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value as Json;

    /// What the handler saw before this reader: a JSON tree, its string
    /// values, `recorded_at` apart.
    fn by_tree(text: &str) -> Option<(Option<String>, Map)> {
        let Ok(Json::Object(o)) = serde_json::from_str::<Json>(text) else {
            return None;
        };
        let recorded_at = o
            .get("recorded_at")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let strings = o
            .iter()
            .filter(|(k, _)| k.as_str() != "recorded_at")
            .filter_map(|(k, v)| v.as_str().map(|s| (Str::from(k.as_str()), Value::str(s))))
            .collect();
        Some((recorded_at, strings))
    }

    fn by_reader(text: &str) -> Option<(Option<String>, Map)> {
        read(text).map(|m| (m.recorded_at.map(Cow::into_owned), m.strings))
    }

    #[test]
    fn reads_strings_and_passes_over_the_rest() {
        let text = r#"{"recorded_at":"2026-12-03T15:56:21.015505021Z","command_id":"c\"1",
            "n":3,"f":1.5,"b":true,"z":null,"l":[1,{"a":[]}],"o":{"x":"y"},"tenant":"acme"}"#;
        let m = read(text).expect("an object");
        assert_eq!(
            m.recorded_at.as_deref(),
            Some("2026-12-03T15:56:21.015505021Z")
        );
        let keys: Vec<&str> = m.strings.keys().map(|k| &**k).collect();
        assert_eq!(keys, ["command_id", "tenant"]);
        assert_eq!(m.strings.get("command_id"), Some(&Value::str("c\"1")));
        assert_eq!(by_reader(text), by_tree(text));
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for text in [
            "",
            "[]",
            "\"x\"",
            "{",
            "{}{}",
            "{\"a\":}",
            "{\"a\":1,}",
            "null",
        ] {
            assert!(read(text).is_none(), "{text:?}");
            assert_eq!(by_reader(text), by_tree(text), "{text:?}");
        }
        assert!(read(" {} ").is_some());
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_as_the_tree_does() {
        let text = r#"{"a":"1","recorded_at":"x","a":"2","recorded_at":"y"}"#;
        assert_eq!(by_reader(text), by_tree(text));
    }

    fn json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            "[a-z\"\\\\\u{e9}\n]{0,6}".prop_map(Json::String),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..3)
                    .prop_map(|kv| Json::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The one-pass reader gives what the tree gave, on any object.
        #[test]
        fn equals_the_tree(
            entries in prop::collection::vec(
                (prop_oneof![Just("recorded_at".to_string()), "[a-d_]{1,3}"], json()),
                0..6,
            )
        ) {
            let text = Json::Object(entries.into_iter().collect()).to_string();
            prop_assert_eq!(by_reader(&text), by_tree(&text));
        }
    }
}
