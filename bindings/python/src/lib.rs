//! `eventfold._eventfold`: the native module of the `eventfold` Python
//! package. A thin skin over the core's `*_json` methods: Python values are
//! turned into JSON text and back in `convert.rs`, errors become the
//! exception classes of `eventfold/_errors.py` in `errors.rs`, and the GIL
//! is released while the core works, so threads run in parallel.

use eventfold::{EngineOptions, Error, Limits, Source};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyInt, PyString, PyTuple, PyType};
use std::time::Duration;

/// Rust allocations through mimalloc (docs/deployment.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod convert;
mod errors;

use convert::{document, name, to_py};
use errors::to_py_err;
use eventfold::ffi::guard;

/// Runs core work without the GIL, catching panics; errors become
/// exceptions.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    py.detach(|| guard(work)).map_err(|e| to_py_err(py, e))
}

/// Runs core work that returns JSON text, and gives it back as Python
/// values.
fn run_json<'py>(
    py: Python<'py>,
    work: impl FnOnce() -> Result<String, Error> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let json = run(py, work)?;
    to_py(py, &json)
}

fn err<T>(py: Python<'_>, r: Result<T, Error>) -> PyResult<T> {
    r.map_err(|e| to_py_err(py, e))
}

fn opt_doc(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    limits: &Limits,
) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none())
        .map(|o| err(py, document(o, limits)))
        .transpose()
}

/// `now` as RFC 3339 text; faults at `path`.
fn now_arg(py: Python<'_>, now: Option<&Bound<'_, PyAny>>, path: &str) -> PyResult<Option<String>> {
    now.filter(|n| !n.is_none())
        .map(|n| {
            convert::timestamp(n).map_err(|message| {
                to_py_err(
                    py,
                    Error::InvalidCommand {
                        path: path.into(),
                        message,
                    },
                )
            })
        })
        .transpose()
}

/// Options given as keyword arguments, as the JSON object the core parses
/// and checks (`EngineOptions::from_json`, ...): `None`s are left out, and
/// nothing is checked here.
fn options_json(
    py: Python<'_>,
    pairs: &[(&str, Option<&Bound<'_, PyAny>>)],
    limits: &Limits,
) -> PyResult<Option<String>> {
    let dict = PyDict::new(py);
    for (key, value) in pairs {
        if let Some(v) = value.filter(|v| !v.is_none()) {
            dict.set_item(key, v)?;
        }
    }
    if dict.is_empty() {
        return Ok(None);
    }
    err(py, document(dict.as_any(), limits)).map(Some)
}

// ------------------------------------------------------------------ Domain

/// Compiled models: the pure verbs, no store. Immutable, so one Domain may
/// be shared by every thread.
#[derive(Debug)]
#[pyclass(frozen, module = "eventfold", name = "Domain")]
pub struct Domain {
    inner: eventfold::Domain,
}

impl Domain {
    fn from_sources(py: Python<'_>, sources: &Bound<'_, PyAny>) -> PyResult<Domain> {
        let mut list = Vec::new();
        if let Ok(text) = sources.cast::<PyString>() {
            list.push(Source::new("<string>", err(py, name(text))?));
        } else {
            let pairs = if let Ok(d) = sources.cast::<PyDict>() {
                d.items().into_any()
            } else if sources.hasattr("items")? {
                sources.call_method0("items")?
            } else {
                sources.clone()
            };
            for pair in pairs.try_iter()? {
                let (file, text): (Bound<'_, PyString>, Bound<'_, PyString>) = pair?.extract()?;
                list.push(Source::new(err(py, name(&file))?, err(py, name(&text))?));
            }
        }
        let inner = run(py, || eventfold::Domain::compile(&list))?;
        Ok(Domain { inner })
    }
}

#[pymethods]
impl Domain {
    /// Compiles model files: one text, a mapping of file name to text, or
    /// `(file name, text)` pairs. Raises `ModelError` with every diagnostic.
    #[new]
    fn new(py: Python<'_>, sources: &Bound<'_, PyAny>) -> PyResult<Domain> {
        Domain::from_sources(py, sources)
    }

    /// The same as `Domain(sources)`.
    #[staticmethod]
    fn compile(py: Python<'_>, sources: &Bound<'_, PyAny>) -> PyResult<Domain> {
        Domain::from_sources(py, sources)
    }

    /// Reads and compiles model files; their paths name them in diagnostics.
    /// The core reads them (`Domain::compile_files`): a file that cannot be
    /// read raises `IoError` naming it.
    #[staticmethod]
    #[pyo3(signature = (*paths))]
    fn from_files(py: Python<'_>, paths: &Bound<'_, PyTuple>) -> PyResult<Domain> {
        let os = py.import("os")?;
        let mut list: Vec<String> = Vec::new();
        for path in paths.iter() {
            list.push(os.call_method1("fspath", (path,))?.extract()?);
        }
        let inner = run(py, || eventfold::Domain::compile_files(&list))?;
        Ok(Domain { inner })
    }

    /// The names of the models, in declaration order.
    fn models(&self) -> Vec<String> {
        self.inner.models().into_iter().map(String::from).collect()
    }

    /// The whole ubiquitous language: models, state, commands (params, the
    /// events each may emit, its rejection reasons), events, queries,
    /// invariants and docs.
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run_json(py, || Ok(self.inner.describe().to_string()))
    }

    /// The same as a Markdown glossary.
    fn describe_markdown(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.inner.describe_markdown()))
    }

    fn initial_state<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = err(py, name(model))?;
        run_json(py, || self.inner.initial_state_json(&model))
    }

    /// The events a command gives on a state (None: the initial state), or
    /// `Rejected`.
    #[pyo3(signature = (model, state, command, *, now=None))]
    fn propose<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        state: Option<&Bound<'py, PyAny>>,
        command: &Bound<'py, PyAny>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let model = err(py, name(model))?;
        let state = opt_doc(py, state, limits)?;
        let command = err(py, document(command, limits))?;
        let now = now_arg(py, now, "now")?;
        run_json(py, || {
            self.inner
                .propose_json(&model, state.as_deref(), &command, now.as_deref())
        })
    }

    /// The state after one event.
    fn accept<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        state: Option<&Bound<'py, PyAny>>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let model = err(py, name(model))?;
        let state = opt_doc(py, state, limits)?;
        let event = err(py, document(event, limits))?;
        run_json(py, || {
            self.inner.accept_json(&model, state.as_deref(), &event)
        })
    }

    /// Events folded over a state (default: the initial state).
    #[pyo3(signature = (model, events, state=None))]
    fn replay<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        events: &Bound<'py, PyAny>,
        state: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let model = err(py, name(model))?;
        let events = err(py, document(events, limits))?;
        let state = opt_doc(py, state, limits)?;
        run_json(py, || {
            self.inner.replay_json(&model, &events, state.as_deref())
        })
    }

    /// A query on a state (None: the initial state).
    #[pyo3(signature = (model, state, name, args=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        state: Option<&Bound<'py, PyAny>>,
        name: &Bound<'py, PyString>,
        args: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let model = err(py, convert::name(model))?;
        let query = err(py, convert::name(name))?;
        let state = opt_doc(py, state, limits)?;
        let args = opt_doc(py, args, limits)?;
        run_json(py, || {
            self.inner
                .query_json(&model, state.as_deref(), &query, args.as_deref())
        })
    }

    /// A stored event (`type`, `schema`, `data`) as the current model
    /// reads it: the events it becomes, each `{type, schema, data}` at the
    /// current version.
    fn upcast<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let model = err(py, name(model))?;
        let event = err(py, document(event, limits))?;
        run_json(py, || self.inner.upcast_json(&model, &event))
    }

    /// The tables of a projection after folding `events` in order onto
    /// `tables` (None: empty), `{table: [rows in key order]}`.
    #[pyo3(signature = (projection, events, tables=None))]
    fn project<'py>(
        &self,
        py: Python<'py>,
        projection: &Bound<'py, PyString>,
        events: &Bound<'py, PyAny>,
        tables: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = self.inner.limits();
        let projection = err(py, name(projection))?;
        let events = err(py, document(events, limits))?;
        let tables = opt_doc(py, tables, limits)?;
        run_json(py, || {
            self.inner
                .project_json(&projection, &events, tables.as_deref())
        })
    }

    fn __repr__(&self) -> String {
        format!("<eventfold.Domain models={:?}>", self.inner.models())
    }
}

// ------------------------------------------------------------------ Engine

/// A Domain over an event store. Safe to share between threads: the GIL is
/// released while it works, and commands on one stream are serialised
/// without lost updates.
#[derive(Debug)]
#[pyclass(frozen, module = "eventfold", name = "Engine")]
pub struct Engine {
    inner: eventfold::Engine,
    store: String,
}

impl Engine {
    /// The limits of the domain the engine runs now (a model change may
    /// have switched it).
    fn limits(&self) -> Limits {
        self.inner.domain().limits().clone()
    }
}

#[pymethods]
impl Engine {
    /// Opens a store: `"memory:"`, `"sqlite:PATH"` (add
    /// `?synchronous=normal` to trade the durability of the last commits
    /// for speed) or `"postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME"`.
    /// Opening with a model the store has never seen makes it the store's
    /// active version; `on_model_change` says what a later
    /// append does once another one is active (`"fail"` or `"follow"`).
    #[new]
    #[pyo3(signature = (store, domain, *, cache_capacity=None, snapshot_every=None, max_attempts=None,
        run_projections=None, on_projection_error=None, on_model_change=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        domain: &Bound<'_, Domain>,
        cache_capacity: Option<&Bound<'_, PyAny>>,
        snapshot_every: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        run_projections: Option<&Bound<'_, PyAny>>,
        on_projection_error: Option<&Bound<'_, PyAny>>,
        on_model_change: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Engine> {
        // A path (not text) is an SQLite file.
        let store: String = match store.cast::<PyString>() {
            Ok(text) => err(py, name(text))?,
            Err(_) => {
                let path: String = py
                    .import("os")?
                    .call_method1("fspath", (store,))?
                    .extract()?;
                format!("sqlite:{path}")
            }
        };
        let domain = domain.get().inner.clone();
        let options = options_json(
            py,
            &[
                ("cache_capacity", cache_capacity),
                ("snapshot_every", snapshot_every),
                ("max_attempts", max_attempts),
                ("run_projections", run_projections),
                ("on_projection_error", on_projection_error),
                ("on_model_change", on_model_change),
            ],
            domain.limits(),
        )?;
        let inner = run(py, || {
            let options = match options {
                Some(text) => EngineOptions::from_json(&domain.parse_json(&text)?)?,
                None => EngineOptions::default(),
            };
            eventfold::Engine::open(&store, domain, options)
        })?;
        Ok(Engine { inner, store })
    }

    /// The same as `Engine(store, domain, ...)`.
    #[staticmethod]
    #[pyo3(signature = (store, domain, *, cache_capacity=None, snapshot_every=None, max_attempts=None,
        run_projections=None, on_projection_error=None, on_model_change=None))]
    #[allow(clippy::too_many_arguments)]
    fn open(
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        domain: &Bound<'_, Domain>,
        cache_capacity: Option<&Bound<'_, PyAny>>,
        snapshot_every: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        run_projections: Option<&Bound<'_, PyAny>>,
        on_projection_error: Option<&Bound<'_, PyAny>>,
        on_model_change: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Engine> {
        Engine::new(
            py,
            store,
            domain,
            cache_capacity,
            snapshot_every,
            max_attempts,
            run_projections,
            on_projection_error,
            on_model_change,
        )
    }

    /// The domain this engine runs now: another one once it has applied
    /// or followed a model change.
    #[getter]
    fn domain(&self) -> Domain {
        Domain {
            inner: self.inner.domain(),
        }
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Whether a call can wait on I/O (false on `memory:`): `AsyncEngine`
    /// runs the command path of a store without I/O on the loop itself.
    #[getter]
    fn does_io(&self) -> bool {
        self.inner.does_io()
    }

    /// Loads the stream `Model-id`, proposes the command and appends its
    /// events atomically. Returns `{"stream", "version", "events"}`.
    #[pyo3(signature = (model, id, command, *, expected_version=None, command_id=None,
        metadata=None, now=None, correlation_id=None, causation_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        id: &Bound<'py, PyString>,
        command: &Bound<'py, PyAny>,
        expected_version: Option<&Bound<'py, PyAny>>,
        command_id: Option<&Bound<'py, PyAny>>,
        metadata: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
        correlation_id: Option<&Bound<'py, PyAny>>,
        causation_id: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limits = &self.limits();
        let model = err(py, name(model))?;
        let id = err(py, name(id))?;
        let command = err(py, document(command, limits))?;
        // A datetime becomes RFC 3339 text, as JSON has no time.
        let now = now_arg(py, now, "options.now")?.map(|t| PyString::new(py, &t).into_any());
        let options = options_json(
            py,
            &[
                ("expected_version", expected_version),
                ("command_id", command_id),
                ("metadata", metadata),
                ("now", now.as_ref()),
                ("correlation_id", correlation_id),
                ("causation_id", causation_id),
            ],
            limits,
        )?;
        run_json(py, || {
            self.inner
                .execute_json(&model, &id, &command, options.as_deref())
        })
    }

    /// Many commands in one transaction: all are appended, or none.
    /// `requests`: `[{"model", "id", "command", "options"?}, ...]`.
    fn execute_many<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let requests = err(py, document(requests, &self.limits()))?;
        run_json(py, || self.inner.execute_many_json(&requests))
    }

    /// `{"state", "version"}` of the stream `Model-id`.
    fn load<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        id: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = err(py, name(model))?;
        let id = err(py, name(id))?;
        run_json(py, || self.inner.load_json(&model, &id))
    }

    /// A query on the current state of the stream `Model-id`.
    #[pyo3(signature = (model, id, name, args=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, PyString>,
        id: &Bound<'py, PyString>,
        name: &Bound<'py, PyString>,
        args: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = err(py, convert::name(model))?;
        let id = err(py, convert::name(id))?;
        let query = err(py, convert::name(name))?;
        let args = opt_doc(py, args, &self.limits())?;
        run_json(py, || {
            self.inner.query_json(&model, &id, &query, args.as_deref())
        })
    }

    /// The events of one stream, in order: upcast to the current model, or
    /// with `raw=True` each stored row as written.
    #[pyo3(signature = (stream, *, from_version=None, limit=None, raw=None))]
    fn read_stream<'py>(
        &self,
        py: Python<'py>,
        stream: &Bound<'py, PyString>,
        from_version: Option<&Bound<'py, PyAny>>,
        limit: Option<&Bound<'py, PyAny>>,
        raw: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let stream = err(py, name(stream))?;
        let options = options_json(
            py,
            &[
                ("from_version", from_version),
                ("limit", limit),
                ("raw", raw),
            ],
            &self.limits(),
        )?;
        run_json(py, || {
            self.inner.read_stream_json(&stream, options.as_deref())
        })
    }

    /// Every event of the store, in the order of their global position:
    /// upcast, or with `raw=True` as stored.
    #[pyo3(signature = (*, from_position=None, limit=None, raw=None))]
    fn read_all<'py>(
        &self,
        py: Python<'py>,
        from_position: Option<&Bound<'py, PyAny>>,
        limit: Option<&Bound<'py, PyAny>>,
        raw: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options_json(
            py,
            &[
                ("from_position", from_position),
                ("limit", limit),
                ("raw", raw),
            ],
            &self.limits(),
        )?;
        run_json(py, || self.inner.read_all_json(options.as_deref()))
    }

    /// `[{"stream", "version"}, ...]`, of one model or of all.
    #[pyo3(signature = (*, model=None))]
    fn streams<'py>(
        &self,
        py: Python<'py>,
        model: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = model.map(|m| m.as_any().clone());
        let options = options_json(py, &[("model", model.as_ref())], &self.limits())?;
        run_json(py, || self.inner.streams_json(options.as_deref()))
    }

    // -------------------------------------------------------- read side

    /// The rows of a table in key order: `key` a prefix of the key values
    /// (a lone value is a one-value prefix), `after` a whole key to page
    /// from, `limit` at most that many.
    #[pyo3(signature = (table, key=None, after=None, limit=None))]
    fn rows<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyString>,
        key: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
        limit: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = err(py, name(table))?;
        let options = options_json(
            py,
            &[("key", key), ("after", after), ("limit", limit)],
            &self.limits(),
        )?;
        run_json(py, || self.inner.rows_json(&table, options.as_deref()))
    }

    /// Every projection, in domain order: mode, status, position, lag,
    /// parked count, error and rebuild progress.
    fn projections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run_json(py, || self.inner.projections_json())
    }

    /// Waits (without the GIL) until the async projections, or the one
    /// named, have folded every event up to `position`; False at the
    /// timeout (seconds).
    #[pyo3(signature = (position, projection=None, timeout=30.0))]
    fn wait_for(
        &self,
        py: Python<'_>,
        position: u64,
        projection: Option<&Bound<'_, PyAny>>,
        timeout: f64,
    ) -> PyResult<bool> {
        let millis = PyInt::new(py, millis(py, timeout, "timeout")?);
        let options = options_json(
            py,
            &[
                ("projection", projection),
                ("timeout", Some(millis.as_any())),
            ],
            &self.limits(),
        )?;
        let reached = run(py, || {
            self.inner.wait_for_json(position, options.as_deref())
        })?;
        Ok(reached == "true")
    }

    /// Rebuilds a projection's tables from the first event beside the live
    /// ones, then swaps them; blocks (without the GIL) until done.
    fn rebuild<'py>(
        &self,
        py: Python<'py>,
        projection: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let projection = err(py, name(projection))?;
        run_json(py, || self.inner.rebuild_json(&projection))
    }

    /// A subscription of this name: from its durable checkpoint, or when it
    /// is new from `from_` (`"start"`, `"end"` or a position).
    #[pyo3(signature = (name, from_=None, models=None, types=None),
        text_signature = "($self, name, from_='start', models=None, types=None)")]
    fn subscribe<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        from_: Option<&Bound<'py, PyAny>>,
        models: Option<&Bound<'py, PyAny>>,
        types: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = err(py, convert::name(name))?;
        let options = options_json(
            py,
            &[("from", from_), ("models", models), ("types", types)],
            &self.limits(),
        )?;
        let inner = run(py, || self.inner.subscribe_json(&name, options.as_deref()))?;
        let handle = Bound::new(py, SubscriptionHandle { inner })?;
        // The host's iteration (for, async for) is Python code, around the
        // handle.
        static WRAPPER: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        WRAPPER
            .import(py, "eventfold._subscription", "Subscription")?
            .call1((handle,))
    }

    /// Every subscription: checkpoint, lag, parked count, filters, and
    /// whether a consumer holds it now.
    fn subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run_json(py, || self.inner.subscriptions_json())
    }

    /// The parked events of a subscription or projection, oldest first.
    fn parked<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = err(py, convert::name(name))?;
        run_json(py, || self.inner.parked_json(&name))
    }

    // ---------------------------------------------------- model changes

    /// What switching the store to `domain` would do, writing nothing:
    /// the core's plan (differences, blocking stored events, the replay,
    /// the projections to rebuild). Runs without the GIL, like `rebuild`.
    #[pyo3(signature = (domain, differences=None))]
    fn migrate_plan<'py>(
        &self,
        py: Python<'py>,
        domain: &Bound<'py, Domain>,
        differences: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options_json(py, &[("differences", differences)], &self.limits())?;
        let next = &domain.get().inner;
        run_json(py, || {
            self.inner.migrate_plan_json(next, options.as_deref())
        })
    }

    /// Switches the store to `domain` (the core refuses a plan that is not
    /// ok); from then on this engine runs it. Runs without the GIL.
    fn migrate_apply<'py>(
        &self,
        py: Python<'py>,
        domain: &Bound<'py, Domain>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let next = &domain.get().inner;
        run_json(py, || self.inner.migrate_apply_json(next, None))
    }

    /// Every model version registered in the store, and which is active.
    fn model_versions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run_json(py, || self.inner.model_versions_json())
    }

    /// Closes the store; every later call raises `StoreError`. Closing twice
    /// is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.inner.close())
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<eventfold.Engine {:?} {state}>", self.store)
    }
}

// ------------------------------------------------------------ Subscription

/// Seconds as a `Duration`: a number >= 0 (`path` names the argument).
fn seconds(py: Python<'_>, value: f64, path: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        to_py_err(
            py,
            Error::InvalidCommand {
                path: path.into(),
                message: format!("{path} is a number of seconds >= 0, not {value}"),
            },
        )
    })
}

/// Seconds as the whole milliseconds the core's options take, rounded up
/// so that a short timeout still waits.
fn millis(py: Python<'_>, value: f64, path: &str) -> PyResult<u64> {
    let d = seconds(py, value, path)?;
    Ok(u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX))
}

/// The native half of `eventfold.Subscription`: the core's handle, whose
/// calls release the GIL. The Python class around it iterates.
#[pyclass(frozen, module = "eventfold._eventfold", name = "_Subscription")]
pub struct SubscriptionHandle {
    inner: eventfold::Subscription,
}

#[pymethods]
impl SubscriptionHandle {
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Up to `max` events after the last one this handle delivered,
    /// waiting up to `timeout` seconds for the first.
    #[pyo3(signature = (max=100, timeout=1.0))]
    fn poll<'py>(&self, py: Python<'py>, max: usize, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds(py, timeout, "timeout")?;
        run_json(py, || self.inner.poll_json(max, timeout))
    }

    fn ack(&self, py: Python<'_>, position: u64) -> PyResult<()> {
        run(py, || self.inner.ack(position))
    }

    fn park(&self, py: Python<'_>, position: u64, reason: &Bound<'_, PyString>) -> PyResult<()> {
        let reason = err(py, name(reason))?;
        run(py, || self.inner.park(position, &reason))
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.inner.close())
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<eventfold._Subscription {:?} {state}>", self.inner.name())
    }
}

impl std::fmt::Debug for SubscriptionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionHandle")
            .field("name", &self.inner.name())
            .finish_non_exhaustive()
    }
}

// ------------------------------------------------------------------ module

/// Python values as the JSON text the core reads (for benchmarks and
/// tests of the conversion).
#[pyfunction]
fn _to_json(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    err(py, convert::value(value, &Limits::default()))
}

/// JSON text as Python values, as every result is converted.
#[pyfunction]
fn _from_json<'py>(py: Python<'py>, text: String) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &text)
}

#[pymodule]
fn _eventfold(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Domain>()?;
    m.add_class::<Engine>()?;
    m.add_class::<SubscriptionHandle>()?;
    m.add_function(wrap_pyfunction!(_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_error_table, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_raise_example, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
