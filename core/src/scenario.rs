//! Given/when/then scenario files (the format of `shared/scenarios/README.md`),
//! run through the Domain API. The CLI's `eventfold test` and the Rust
//! integration tests both use this runner.

use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

use crate::{Domain, Error, Source};

mod projection;

/// The environment variable naming the shared contract's directory (the
/// one holding `design/` and `scenarios/`), for a checkout without
/// `../shared` beside it.
pub const SHARED_ENV: &str = "EVENTFOLD_SHARED";

/// A path in the shared contract (`scenarios/todos.model`): under
/// `$EVENTFOLD_SHARED`, else under the `shared` directory beside this
/// project. For tests, read at run time so that everything else builds and
/// runs without it; the error says what is missing, where it was looked
/// for, and how to point to it.
#[doc(hidden)]
pub fn shared_path(relative: &str) -> Result<PathBuf, String> {
    shared_path_under(std::env::var_os(SHARED_ENV), relative)
}

/// [`shared_path`] with the variable's value given.
fn shared_path_under(var: Option<std::ffi::OsString>, relative: &str) -> Result<PathBuf, String> {
    let (root, from) = match var.filter(|v| !v.is_empty()) {
        Some(dir) => (PathBuf::from(dir), format!("${SHARED_ENV}")),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
            "the default, ../shared beside the project".to_string(),
        ),
    };
    let path = root.join(relative);
    match std::fs::metadata(&path) {
        Ok(_) => Ok(path),
        Err(e) => Err(format!(
            "the shared contract is missing: `{relative}` is not at {} ({from}: {e}). \
             Put the shared directory (with design/ and scenarios/) beside the project as \
             ../shared, or set {SHARED_ENV} to the directory that holds it.",
            path.display()
        )),
    }
}

/// The text of a file of the shared contract; see [`shared_path`].
#[doc(hidden)]
pub fn read_shared(relative: &str) -> Result<String, String> {
    let path = shared_path(relative)?;
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What one case expected and what came out.
#[derive(Debug, Clone)]
pub struct Failure {
    pub file: String,
    pub case: String,
    pub expected: String,
    pub got: String,
}

/// One case as it ran: its file, its name and whether it passed (what
/// `eventfold test -v` lists).
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub name: String,
    pub passed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<Failure>,
    /// Every case, passed or failed, in the order they ran.
    pub cases: Vec<Case>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
        self.cases.extend(other.cases);
    }
}

/// Runs every case of one scenario file. A file that cannot be read at all
/// counts as one failure.
pub fn run_file(path: &Path) -> Report {
    let name = path.display().to_string();
    let whole_file_failure = |got: String| Report {
        passed: 0,
        failures: vec![Failure {
            file: name.clone(),
            case: "(the file itself)".into(),
            expected: "a readable scenario file".into(),
            got,
        }],
        cases: vec![Case {
            file: name.clone(),
            name: "(the file itself)".into(),
            passed: false,
        }],
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return whole_file_failure(format!("cannot read it: {e}")),
    };
    let spec: Json = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => return whole_file_failure(format!("not JSON: {e}")),
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cases = spec["cases"].as_array().cloned().unwrap_or_default();
    let mut report = Report::default();
    if spec.get("model").is_none() {
        for case in &cases {
            record(&mut report, &name, case, check_case(&dir, case));
        }
        return report;
    }
    let files: Vec<PathBuf> = spec["files"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(Json::as_str)
                .map(|f| dir.join(f))
                .collect()
        })
        .unwrap_or_default();
    let domain = match load(&files) {
        Ok(d) => d,
        Err(e) => return whole_file_failure(format!("its models do not compile: {e}")),
    };
    let model = spec["model"].as_str().unwrap_or_default();
    for case in &cases {
        let outcome = if case.get("projection").is_some() {
            projection::projection_case(&domain, case)
        } else {
            model_case(&domain, model, case)
        };
        record(&mut report, &name, case, outcome);
    }
    report
}

fn record(report: &mut Report, file: &str, case: &Json, outcome: Result<(), (String, String)>) {
    let name = case["name"].as_str().unwrap_or("(unnamed)").to_string();
    report.cases.push(Case {
        file: file.to_string(),
        name: name.clone(),
        passed: outcome.is_ok(),
    });
    match outcome {
        Ok(()) => report.passed += 1,
        Err((expected, got)) => report.failures.push(Failure {
            file: file.to_string(),
            case: name,
            expected,
            got,
        }),
    }
}

/// Reads and compiles model files into one domain.
pub fn load(files: &[PathBuf]) -> Result<Domain, Error> {
    Domain::compile_files(files)
}

type Outcome = Result<(), (String, String)>;

fn check_case(dir: &Path, case: &Json) -> Outcome {
    let sources: Vec<Source> = if let Some(src) = case["source"].as_str() {
        vec![Source::new("source.model", src)]
    } else {
        let mut out = Vec::new();
        for f in case["files"].as_array().into_iter().flatten() {
            let f = f.as_str().unwrap_or_default();
            let text = std::fs::read_to_string(dir.join(f))
                .map_err(|e| ("a readable model file".to_string(), format!("{f}: {e}")))?;
            out.push(Source::new(f, text));
        }
        out
    };
    let result = Domain::compile(&sources);
    if case["ok"] == json!(true) {
        return match result {
            Ok(_) => Ok(()),
            Err(e) => Err(("the model compiles".into(), e.to_string())),
        };
    }
    let wanted = case["diagnostics"].as_array().cloned().unwrap_or_default();
    let got = match result {
        Ok(_) => {
            return Err((
                format!("diagnostics {}", Json::Array(wanted)),
                "the model compiled".into(),
            ))
        }
        Err(Error::ModelError { diagnostics, .. }) => diagnostics,
        Err(e) => return Err(("model_error".into(), e.to_json().to_string())),
    };
    // Each wanted diagnostic must match a different reported one.
    let mut used = vec![false; got.len()];
    for w in &wanted {
        let found = got.iter().enumerate().position(|(i, d)| {
            !used[i]
                && w.get("line")
                    .is_none_or(|l| l.as_u64() == Some(u64::from(d.line)))
                && w.get("column")
                    .is_none_or(|c| c.as_u64() == Some(u64::from(d.column)))
                && w.get("contains").is_none_or(|c| {
                    d.message
                        .to_lowercase()
                        .contains(&c.as_str().unwrap_or_default().to_lowercase())
                })
        });
        match found {
            Some(i) => used[i] = true,
            None => {
                let listed: Vec<String> = got.iter().map(|d| d.to_string()).collect();
                return Err((format!("a diagnostic like {w}"), listed.join("\n")));
            }
        }
    }
    Ok(())
}

fn model_case(domain: &Domain, model: &str, case: &Json) -> Outcome {
    let then = &case["then"];
    let expect_error = |err: &Error| -> Outcome {
        let want = &then["error"];
        if want.is_null() {
            return Err((expectation(case), describe_error(err)));
        }
        let mut ok = want["code"] == json!(err.code());
        if let Some(path) = want.get("path") {
            ok &= err.to_json().get("path") == Some(path);
        }
        if ok {
            Ok(())
        } else {
            Err((format!("error {want}"), describe_error(err)))
        }
    };
    if let Some(stored) = case.get("upcast") {
        return upcast_case(domain, model, case, stored).or_else(|e| match e {
            Err(err) => expect_error(&err),
            Ok(mismatch) => Err(mismatch),
        });
    }
    let given = case["given"].as_array().cloned().unwrap_or_default();
    let mut state = match domain.initial_state(model) {
        Ok(s) => s,
        Err(e) => return expect_error(&e),
    };
    for g in &given {
        // `given[i].schema` (§12): an older shape is upcast, and every
        // event it reads as is accepted.
        let applied = domain.upcast(model, g).and_then(|events| {
            events
                .iter()
                .try_fold(state.clone(), |s, event| domain.accept(model, s, event))
        });
        match applied {
            Ok(s) => state = s,
            Err(e) => return expect_error(&e),
        }
    }
    let command_text = match (&case.get("when_raw"), case.get("when")) {
        (Some(Json::String(raw)), _) => Some(raw.clone()),
        (_, Some(when)) => Some(when.to_string()),
        _ => None,
    };
    if let Some(text) = command_text {
        let now = match case["now"].as_str().map(crate::value::parse_timestamp) {
            Some(Err(e)) => return Err(("a valid `now`".into(), e)),
            Some(Ok(t)) => Some(t),
            None => None,
        };
        let decided = domain
            .parse_json(&text)
            .and_then(|json| domain.command(model, &json))
            .and_then(|command| domain.decide(model, state.clone(), &command, now));
        let decision = match decided {
            Ok(d) => d,
            Err(Error::Rejected { reason, message }) if then.get("rejected").is_some() => {
                let got = json!({"reason": reason, "message": message});
                return if same(&got, &then["rejected"]) {
                    Ok(())
                } else {
                    Err((
                        format!("rejected {}", then["rejected"]),
                        format!("rejected {got}"),
                    ))
                };
            }
            Err(e) => return expect_error(&e),
        };
        let events: Vec<Json> = decision
            .events
            .iter()
            .map(|e| json!({"type": &*e.name, "data": e.data.to_json()}))
            .collect();
        let Some(want) = then.get("events") else {
            return Err((expectation(case), format!("events {}", Json::Array(events))));
        };
        if !same(&Json::Array(events.clone()), want) {
            return Err((
                format!("events {want}"),
                format!("events {}", Json::Array(events)),
            ));
        }
        return compare_state(case, &decision.state.to_json());
    }
    if let Some(q) = case.get("query") {
        let name = q["name"].as_str().unwrap_or_default();
        return match domain.query(model, &state, name, &q["args"]) {
            Ok(v) if case.get("result").is_some() => {
                if same(&v.to_json(), &case["result"]) {
                    Ok(())
                } else {
                    Err((
                        format!("result {}", case["result"]),
                        format!("result {}", v.to_json_string()),
                    ))
                }
            }
            Ok(v) => Err((expectation(case), format!("result {}", v.to_json_string()))),
            Err(e) => expect_error(&e),
        };
    }
    if then.get("error").is_some() {
        return Err((
            expectation(case),
            format!("state {}", state.to_json_string()),
        ));
    }
    compare_state(case, &state.to_json())
}

/// An `upcast` case (§12): what `upcast` gives for a stored event, compared
/// with `events` in order, each whole. `Err(Err(e))` is an error of the
/// core, for `then.error`; `Err(Ok(..))` a mismatch.
fn upcast_case(
    domain: &Domain,
    model: &str,
    case: &Json,
    stored: &Json,
) -> Result<(), Result<(String, String), Error>> {
    let got = domain
        .upcast_json(model, &stored.to_string())
        .and_then(|text| domain.parse_json(&text))
        .map_err(Err)?;
    match case.get("events") {
        Some(want) if same(&got, want) => Ok(()),
        Some(want) => Err(Ok((format!("events {want}"), format!("events {got}")))),
        None => Err(Ok((expectation(case), format!("events {got}")))),
    }
}

fn compare_state(case: &Json, state: &Json) -> Outcome {
    match case.get("state") {
        Some(want) if !same(state, want) => {
            Err((format!("state {want}"), format!("state {state}")))
        }
        _ => Ok(()),
    }
}

fn expectation(case: &Json) -> String {
    let then = &case["then"];
    if let Some(e) = then.get("error") {
        format!("error {e}")
    } else if let Some(r) = then.get("rejected") {
        format!("rejected {r}")
    } else if let Some(e) = then.get("events") {
        format!("events {e}")
    } else if let Some(r) = case.get("result") {
        format!("result {r}")
    } else {
        format!("state {}", case["state"])
    }
}

fn describe_error(e: &Error) -> String {
    format!("error {}", e.to_json())
}

/// JSON equality as the scenarios define it: objects without regard to key
/// order, numbers by value.
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_shared_contract_is_named_with_how_to_point_to_it() {
        let missing = std::env::temp_dir().join("eventfold-no-shared-here");
        let e = shared_path_under(Some(missing.clone().into()), "scenarios").unwrap_err();
        assert!(e.contains("`scenarios`"), "{e}");
        assert!(e.contains(&missing.display().to_string()), "{e}");
        assert!(e.contains("$EVENTFOLD_SHARED"), "{e}");
        assert!(e.contains("set EVENTFOLD_SHARED"), "{e}");
    }

    #[test]
    fn the_variable_points_to_the_shared_contract() {
        let dir = std::env::temp_dir().join(format!("eventfold-shared-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("scenarios")).unwrap();
        let found = shared_path_under(Some(dir.clone().into()), "scenarios").unwrap();
        assert_eq!(found, dir.join("scenarios"));
        // An empty variable is no variable: the default is looked at.
        let e = shared_path_under(Some("".into()), "no/such/file");
        assert!(e.unwrap_err().contains("the default"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
