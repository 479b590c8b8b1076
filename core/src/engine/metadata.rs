//! The metadata of a stored event, kept as the JSON text the store holds.
//!
//! Every command stamps its events with metadata; building a JSON map for
//! it, then writing the map out for the store and for the result, and
//! dropping it, cost more than deciding most commands. So the text is
//! written once, shared by the events of a command, and read as JSON only
//! when a caller asks for a key.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

/// `recorded_at`, `command_id`, `correlation_id`, `causation_id`, and the
/// caller's keys, as a JSON object's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata(Arc<str>);

impl Metadata {
    /// From the text of a JSON object; `None` for anything else.
    pub fn from_json_text(text: &str) -> Option<Metadata> {
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(_)) => Some(Metadata(Arc::from(text))),
            _ => None,
        }
    }

    /// The JSON text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value of one key.
    pub fn get(&self, key: &str) -> Option<Json> {
        self.to_map().remove(key)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.to_map().contains_key(key)
    }

    /// Every key, in the order stored.
    pub fn to_map(&self) -> Map<String, Json> {
        match serde_json::from_str(&self.0) {
            Ok(Json::Object(m)) => m,
            _ => Map::new(),
        }
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

/// Writes a metadata object: each `(key, value)` with the value a string,
/// then the caller's other keys. The text is what `serde_json` writes for
/// the same map.
pub(crate) fn write(fixed: &[(&str, &str)], caller: &Map<String, Json>) -> Metadata {
    let mut out = Vec::with_capacity(200);
    out.push(b'{');
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b',');
        }
        first = false;
    };
    for (k, v) in fixed {
        sep(&mut out);
        // Writing a str to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, v);
    }
    for (k, v) in caller {
        if fixed.iter().any(|(f, _)| f == k) {
            continue;
        }
        sep(&mut out);
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, v);
    }
    out.push(b'}');
    // serde_json writes UTF-8 only.
    Metadata(Arc::from(String::from_utf8(out).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_writes_for_the_same_map() {
        let caller = json!({"user": "é\"\n", "n": 1, "command_id": "ignored", "deep": {"a": [1]}});
        let caller = caller.as_object().unwrap();
        let m = write(
            &[
                ("recorded_at", "2026-01-01T00:00:00Z"),
                ("command_id", "c\u{1}"),
            ],
            caller,
        );
        let mut expected = Map::new();
        expected.insert("recorded_at".into(), json!("2026-01-01T00:00:00Z"));
        expected.insert("command_id".into(), json!("c\u{1}"));
        for (k, v) in caller {
            if k != "command_id" {
                expected.insert(k.clone(), v.clone());
            }
        }
        assert_eq!(m.as_str(), serde_json::to_string(&expected).unwrap());
        assert_eq!(m.to_map(), expected);
        assert_eq!(m.get("n"), Some(json!(1)));
        assert!(m.contains_key("deep") && !m.contains_key("nope"));
        assert_eq!(serde_json::to_string(&m).unwrap(), m.as_str());
        assert_eq!(Metadata::from_json_text("[1]"), None);
        assert_eq!(Metadata::from_json_text(m.as_str()), Some(m));
    }
}
