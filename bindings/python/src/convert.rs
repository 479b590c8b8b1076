//! Python values <-> JSON text, the one conversion of this binding.
//!
//! The core speaks JSON text (the `*_json` methods). Rather than
//! `json.dumps`/`json.loads` in a Python layer, the conversion is done here:
//! it is 1.4x to 4x faster (`bench/python/convert_bench.py`), it names the
//! path of a value that JSON cannot hold, and it bounds nesting so that a
//! self-referencing list is an error, not a stack overflow.

use std::borrow::Cow;
use std::io::Write as _;

use eventfold::{Error, Limits};
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

// ---------------------------------------------------------------- Python -> JSON

/// An argument that is a document (a command, an event, a state, query
/// args): a dict or list, or JSON text already (`str`, `bytes`,
/// `bytearray`), passed through as is.
pub(crate) fn document(obj: &Bound<'_, PyAny>, limits: &Limits) -> Result<String, Error> {
    if let Ok(s) = obj.cast::<PyString>() {
        return text(s)
            .map(Cow::into_owned)
            .map_err(|_| Error::InvalidJson {
                message: "the JSON text holds a lone surrogate, which is not valid Unicode".into(),
            });
    }
    let bytes = if let Ok(b) = obj.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        b.to_vec()
    } else {
        return value(obj, limits);
    };
    String::from_utf8(bytes).map_err(|e| Error::InvalidJson {
        message: format!(
            "the input is not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Any JSON-able value: dict (or other `Mapping`) with `str` keys, list,
/// tuple, str, int, float, bool, None, and an aware `datetime` (RFC 3339).
pub(crate) fn value(obj: &Bound<'_, PyAny>, limits: &Limits) -> Result<String, Error> {
    let mut w = Writer {
        out: Vec::with_capacity(128),
        max_depth: limits.max_input_depth,
        max_bytes: limits.max_input_bytes,
    };
    w.write(obj, 0).map_err(|f| f.into_error(limits))?;
    // Only str data and ASCII punctuation were written.
    String::from_utf8(w.out).map_err(|e| Error::Internal {
        message: format!("the JSON written is not UTF-8: {e}"),
    })
}

/// A model or query name, a stream id: a `str` that must be valid Unicode.
pub(crate) fn name(obj: &Bound<'_, PyString>) -> Result<String, Error> {
    text(obj)
        .map(Cow::into_owned)
        .map_err(|_| Error::InvalidJson {
            message: "a name holds a lone surrogate, which is not valid Unicode".into(),
        })
}

/// Fails only on a lone surrogate.
fn text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    s.to_cow()
}

struct Writer {
    out: Vec<u8>,
    max_depth: usize,
    max_bytes: usize,
}

/// Why a value could not be written, and where (innermost segment first).
struct Fault {
    path: Vec<String>,
    kind: FaultKind,
}

enum FaultKind {
    NotJson(String),
    TooDeep,
    TooBig,
}

impl Fault {
    fn not_json(message: impl Into<String>) -> Fault {
        Fault {
            path: Vec::new(),
            kind: FaultKind::NotJson(message.into()),
        }
    }

    fn at(mut self, segment: impl FnOnce() -> String) -> Fault {
        self.path.push(segment());
        self
    }

    fn into_error(self, limits: &Limits) -> Error {
        let mut path = String::new();
        for seg in self.path.iter().rev() {
            if !seg.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(seg);
        }
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        match self.kind {
            FaultKind::NotJson(message) => Error::InvalidJson {
                message: format!("cannot turn the value{at} into JSON: {message}"),
            },
            FaultKind::TooDeep => Error::LimitExceeded {
                limit: "max_input_depth".into(),
                message: format!(
                    "the input nests deeper than {} levels",
                    limits.max_input_depth
                ),
            },
            FaultKind::TooBig => Error::LimitExceeded {
                limit: "max_input_bytes".into(),
                message: format!("the input has more than {} bytes", limits.max_input_bytes),
            },
        }
    }
}

type Written = Result<(), Fault>;

impl Writer {
    fn write(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> Written {
        if self.out.len() > self.max_bytes {
            return Err(Fault {
                path: Vec::new(),
                kind: FaultKind::TooBig,
            });
        }
        if let Ok(s) = obj.cast::<PyString>() {
            self.string(s)
        } else if obj.is_none() {
            self.out.extend_from_slice(b"null");
            Ok(())
        } else if let Ok(b) = obj.cast_exact::<PyBool>() {
            self.out
                .extend_from_slice(if b.is_true() { b"true" } else { b"false" });
            Ok(())
        } else if let Ok(i) = obj.cast::<PyInt>() {
            self.int(i)
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            self.float(f.value())
        } else if let Ok(d) = obj.cast::<PyDict>() {
            self.enter(depth)?;
            self.out.push(b'{');
            for (i, (k, v)) in d.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.entry(&k, &v, depth)?;
            }
            self.out.push(b'}');
            Ok(())
        } else if let Ok(l) = obj.cast::<PyList>() {
            self.enter(depth)?;
            self.out.push(b'[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.write(&v, depth + 1)
                    .map_err(|f| f.at(|| format!("[{i}]")))?;
            }
            self.out.push(b']');
            Ok(())
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.enter(depth)?;
            self.out.push(b'[');
            for (i, v) in t.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.write(&v, depth + 1)
                    .map_err(|f| f.at(|| format!("[{i}]")))?;
            }
            self.out.push(b']');
            Ok(())
        } else {
            self.other(obj, depth)
        }
    }

    fn enter(&self, depth: usize) -> Written {
        if depth >= self.max_depth {
            Err(Fault {
                path: Vec::new(),
                kind: FaultKind::TooDeep,
            })
        } else {
            Ok(())
        }
    }

    fn entry(&mut self, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>, depth: usize) -> Written {
        let Ok(key) = k.cast::<PyString>() else {
            return Err(Fault::not_json(format!(
                "object keys are str, not {} ({})",
                type_name(k),
                short_repr(k)
            )));
        };
        self.string(key)?;
        self.out.push(b':');
        self.write(v, depth + 1).map_err(|f| {
            f.at(|| match key.to_cow() {
                Ok(k) => k.into_owned(),
                Err(_) => key.to_string_lossy().into_owned(),
            })
        })
    }

    fn string(&mut self, s: &Bound<'_, PyString>) -> Written {
        match text(s) {
            Ok(t) => {
                escape(&mut self.out, &t);
                Ok(())
            }
            Err(e) if e.is_instance_of::<PyUnicodeEncodeError>(s.py()) => Err(Fault::not_json(
                "the string holds a lone surrogate (such as \"\\ud800\"), which is not valid Unicode",
            )),
            Err(e) => Err(Fault::not_json(e.to_string())),
        }
    }

    fn int(&mut self, i: &Bound<'_, PyInt>) -> Written {
        if let Ok(n) = i.extract::<i64>() {
            let _ = write!(self.out, "{n}");
            return Ok(());
        }
        // Past 64 bits the number is still written, so that the core names
        // the param in its error (or takes it for a float param), as long
        // as a float can hold it; a larger int can be no JSON number.
        let bits = i
            .call_method0("bit_length")
            .and_then(|b| b.extract::<u64>())
            .unwrap_or(u64::MAX);
        if bits <= 1000 {
            if let Ok(digits) = i.str() {
                self.out
                    .extend_from_slice(digits.to_string_lossy().as_bytes());
                return Ok(());
            }
        }
        Err(Fault::not_json(format!(
            "an int of {bits} bits is out of range (ints are 64-bit, floats end near 1e308)"
        )))
    }

    fn float(&mut self, f: f64) -> Written {
        if !f.is_finite() {
            return Err(Fault::not_json(format!(
                "{f} is not a JSON number (only finite floats are)"
            )));
        }
        // serde_json writes the shortest round-trip form, with `.0` on whole
        // numbers so that the core still sees a float.
        let _ = serde_json::to_writer(&mut self.out, &f);
        Ok(())
    }

    /// The rarer kinds: a `Mapping` that is not a dict, an aware datetime.
    fn other(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> Written {
        let py = obj.py();
        static MAPPING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let python_fault = |e: PyErr| Fault::not_json(e.to_string());
        let mapping = MAPPING
            .import(py, "collections.abc", "Mapping")
            .map_err(python_fault)?;
        if obj.is_instance(mapping).map_err(python_fault)? {
            self.enter(depth)?;
            self.out.push(b'{');
            let items = obj.call_method0("items").map_err(python_fault)?;
            for (i, item) in items.try_iter().map_err(python_fault)?.enumerate() {
                let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                    item.and_then(|it| it.extract()).map_err(python_fault)?;
                if i > 0 {
                    self.out.push(b',');
                }
                self.entry(&k, &v, depth)?;
            }
            self.out.push(b'}');
            return Ok(());
        }
        let datetime = DATETIME
            .import(py, "datetime", "datetime")
            .map_err(python_fault)?;
        if obj.is_instance(datetime).map_err(python_fault)? {
            let text = timestamp(obj).map_err(Fault::not_json)?;
            escape(&mut self.out, &text);
            return Ok(());
        }
        Err(Fault::not_json(format!(
            "{} ({}) is not JSON; give dicts, lists, str, int, float, bool or None",
            type_name(obj),
            short_repr(obj)
        )))
    }
}

/// An aware `datetime` (or an RFC 3339 `str`) as RFC 3339 text.
pub(crate) fn timestamp(obj: &Bound<'_, PyAny>) -> Result<String, String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return text(s)
            .map(Cow::into_owned)
            .map_err(|_| "the time holds a lone surrogate".to_string());
    }
    let offset = obj.call_method0("utcoffset").map_err(|_| {
        format!(
            "expected a datetime or an RFC 3339 str, not {}",
            type_name(obj)
        )
    })?;
    if offset.is_none() {
        return Err(
            "a naive datetime has no time zone; give an aware one (such as datetime.now(timezone.utc))"
                .into(),
        );
    }
    obj.call_method0("isoformat")
        .and_then(|s| s.extract::<String>())
        .map_err(|e| e.to_string())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "an object".into())
}

fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    let r = obj
        .repr()
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "?".into());
    let mut out: String = r.chars().take(40).collect();
    if out.len() < r.len() {
        out.push('…');
    }
    out
}

/// A JSON string literal, by serde_json's escaping rules.
fn escape(out: &mut Vec<u8>, s: &str) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(out, s);
}

// ---------------------------------------------------------------- JSON -> Python

/// JSON text from the core as Python values, built while parsing (no
/// intermediate tree).
pub(crate) fn to_py<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = Seed(py)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            crate::errors::to_py_err(
                py,
                Error::Internal {
                    message: format!("eventfold returned JSON it cannot read back: {e}"),
                },
            )
        })?;
    Ok(value)
}

/// A `serde_json::Value` (errors, `describe`) as Python values.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    json: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &json.to_string())
}

#[derive(Clone, Copy)]
struct Seed<'py>(Python<'py>);

impl<'de, 'py> DeserializeSeed<'de> for Seed<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for Seed<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.0.None().into_bound(self.0))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0)
            .map(Bound::into_any)
            .unwrap_or_else(|e| match e {}))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into_pyobject(self.0)
            .map(Bound::into_any)
            .unwrap_or_else(|e| match e {}))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.0, v).into_any())
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(self)? {
            list.append(item).map_err(serde::de::Error::custom)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.0);
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            let value = map.next_value_seed(self)?;
            dict.set_item(key, value)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(dict.into_any())
    }
}

struct KeySeed<'py>(Python<'py>);

impl<'de, 'py> DeserializeSeed<'de> for KeySeed<'py> {
    type Value = Bound<'py, PyString>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'py> Visitor<'de> for KeySeed<'py> {
    type Value = Bound<'py, PyString>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0, v))
    }
}
