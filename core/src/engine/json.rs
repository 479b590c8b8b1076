//! The `*_json` twins of the write and load calls, for the bindings, and
//! the hand-written result writers.

use serde::Serialize;
use serde_json::Value as Json;

use super::execute::Answer;
use super::{Engine, ExecuteOptions};
use crate::error::Result;

impl Engine {
    /// `options`: `{"expected_version", "command_id", "metadata", "now",
    /// "correlation_id", "causation_id"}`, all optional. Returns
    /// `{"stream", "version", "events": [...]}`.
    pub fn execute_json(
        &self,
        model: &str,
        id: &str,
        command: &str,
        options: Option<&str>,
    ) -> Result<String> {
        self.check_open()?;
        let command = self.current().domain.parse_json(command)?;
        let options = match options {
            Some(text) => ExecuteOptions::from_json(&self.current().domain.parse_json(text)?)?,
            None => ExecuteOptions::default(),
        };
        let done = self.execute_answer(model, id, &command, &options)?;
        let mut out = String::with_capacity(320);
        write_executed(&mut out, &done);
        Ok(out)
    }

    /// `requests`: `[{"model", "id", "command", "options"?}, ...]`. Returns
    /// an array of what `execute_json` returns.
    pub fn execute_many_json(&self, requests: &str) -> Result<String> {
        self.check_open()?;
        let requests =
            super::ExecuteRequest::many_from_json(self.current().domain.parse_json(requests)?)?;
        Ok(executed_json(&self.execute_many_answers(&requests)?))
    }

    /// `{"state", "version"}`.
    pub fn load_json(&self, model: &str, id: &str) -> Result<String> {
        Ok(to_json(&self.load(model, id)?))
    }

    pub fn query_json(
        &self,
        model: &str,
        id: &str,
        name: &str,
        args: Option<&str>,
    ) -> Result<String> {
        self.check_open()?;
        let args = match args {
            Some(text) => self.current().domain.parse_json(text)?,
            None => Json::Null,
        };
        Ok(self.query(model, id, name, &args)?.to_json_string())
    }
}

pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Results of `execute_many` as JSON: see [`write_executed`].
fn executed_json(results: &[Answer]) -> String {
    let mut out = String::with_capacity(results.len() * 320 + 2);
    out.push('[');
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_executed(&mut out, r);
    }
    out.push(']');
    out
}

/// A result of `execute` as JSON: what `Serialize` writes for it, with each
/// event's data and metadata copied as they were stored (never parsed or
/// serialised again).
fn write_executed(out: &mut String, answer: &Answer) {
    let r = &answer.executed;
    let q = |out: &mut String, s: &str| {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    };
    out.push_str("{\"stream\":");
    q(out, &r.stream);
    out.push_str(&format!(
        ",\"version\":{},\"position\":{},\"events\":[",
        r.version, r.position
    ));
    for (k, e) in r.events.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"id\":");
        q(out, &e.id);
        out.push_str(",\"stream\":");
        q(out, &e.stream);
        out.push_str(&format!(
            ",\"version\":{},\"position\":{},\"type\":",
            e.version, e.position
        ));
        q(out, &e.event_type);
        out.push_str(&format!(",\"schema\":{},\"data\":", e.schema));
        match answer.data.as_ref().and_then(|d| d.get(k)) {
            Some(text) => out.push_str(text),
            None => out.push_str(&e.data.to_json_string()),
        }
        out.push_str(",\"metadata\":");
        out.push_str(e.metadata.as_str());
        out.push('}');
    }
    out.push_str("]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Domain, EngineOptions, ExecuteRequest};

    fn engine() -> Engine {
        let domain = Domain::compile(&[crate::Source::new(
            "t.model",
            "model T { state { n: int } command go(s: string, f: float = 0.1) { emit went(s, n: 1, f); emit went(s, n: 2, f) } event went(s: string, n: int, f: float) { set n = n + 1 } }",
        )])
        .unwrap();
        Engine::open("memory:", domain, EngineOptions::default()).unwrap()
    }

    fn command() -> Json {
        serde_json::json!({"type": "go", "data": {"s": "é\"\u{1}", "f": 1e-7}, "id": "c1", "metadata": {"who": "me", "z": "\u{7f}\\"}})
    }

    #[test]
    fn results_are_written_as_serde_writes_them() {
        let e = engine();
        let done = e
            .execute_answer("T", "a", &command(), &ExecuteOptions::default())
            .unwrap();
        let mut written = String::new();
        write_executed(&mut written, &done);
        assert_eq!(written, serde_json::to_string(&done.executed).unwrap());
        let many = vec![done.clone(), done];
        let executed: Vec<_> = many.iter().map(|a| &a.executed).collect();
        assert_eq!(
            executed_json(&many),
            serde_json::to_string(&executed).unwrap()
        );
    }

    /// The data text in a result is the text the store holds, for a new
    /// command, for a batch, and for the repeat of a recorded one.
    #[test]
    fn results_hold_the_data_text_as_stored() {
        let e = engine();
        let stored = |stream: &str| -> Vec<String> {
            e.inner
                .store
                .read_stream(stream, 1, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|r| r.data)
                .collect()
        };
        let first = e
            .execute_answer("T", "a", &command(), &ExecuteOptions::default())
            .unwrap();
        assert_eq!(first.data.as_deref(), Some(&stored("T-a")[..]));
        let again = e
            .execute_answer("T", "a", &command(), &ExecuteOptions::default())
            .unwrap();
        assert_eq!(again.data, first.data);
        assert_eq!(again.executed, first.executed);
        let request = |id: &str| ExecuteRequest {
            model: "T".into(),
            id: id.into(),
            command: command(),
            options: ExecuteOptions::default(),
        };
        let batch = e
            .execute_many_answers(&[request("b"), request("c")])
            .unwrap();
        assert_eq!(batch[0].data.as_deref(), Some(&stored("T-b")[..]));
        assert_eq!(batch[1].data.as_deref(), Some(&stored("T-c")[..]));
        let json = e
            .execute_json("T", "d", &command().to_string(), None)
            .unwrap();
        for text in stored("T-d") {
            assert!(
                json.contains(&format!("\"data\":{text},")),
                "{text} in {json}"
            );
        }
    }
}
