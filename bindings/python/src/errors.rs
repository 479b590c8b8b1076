//! Errors of the core as Python exceptions: one class per code, under
//! `EventfoldError`, defined in `eventfold/_errors.py` (so that they have
//! real `__init__`s, pickle, and read well in stubs).

use std::panic::{catch_unwind, AssertUnwindSafe};

use eventfold::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

/// Runs core work, turning a panic into `internal`: no panic crosses into
/// Python.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        Err(Error::Internal {
            message: format!("eventfold panicked: {what}"),
        })
    })
}

/// The exception for an error: its class by code, built with the fields of
/// `Error::to_json` as positional arguments (the order of `_errors.py`).
pub(crate) fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    match build(py, &error) {
        Ok(err) => err,
        // Only when `eventfold._errors` cannot be imported at all.
        Err(e) => PyRuntimeError::new_err(format!(
            "{} (and eventfold._errors failed: {e})",
            error.to_json()
        )),
    }
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    static BY_CODE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let by_code = BY_CODE.import(py, "eventfold._errors", "BY_CODE")?;
    let class = by_code
        .get_item(error.code())?
        .ok_or_else(|| PyRuntimeError::new_err(format!("no class for {}", error.code())))?;
    let json = error.to_json();
    let message = error.message();
    let field = |name: &str| crate::convert::json_to_py(py, &json[name]);
    let args = match error {
        Error::Rejected { reason, .. } => PyTuple::new(
            py,
            [
                message.into_pyobject(py)?.into_any(),
                reason.into_pyobject(py)?,
            ],
        )?,
        Error::InvalidCommand { path, .. } | Error::InvalidEvent { path, .. } => PyTuple::new(
            py,
            [
                message.into_pyobject(py)?.into_any(),
                path.into_pyobject(py)?.into_any(),
            ],
        )?,
        Error::ModelError { .. } => PyTuple::new(
            py,
            [message.into_pyobject(py)?.into_any(), field("diagnostics")?],
        )?,
        Error::VersionConflict { expected, actual } => PyTuple::new(
            py,
            [
                message.into_pyobject(py)?.into_any(),
                expected.into_pyobject(py)?.into_any(),
                actual.into_pyobject(py)?.into_any(),
            ],
        )?,
        Error::LimitExceeded { limit, .. } => PyTuple::new(
            py,
            [
                message.into_pyobject(py)?.into_any(),
                limit.into_pyobject(py)?.into_any(),
            ],
        )?,
        _ => PyTuple::new(py, [message.into_pyobject(py)?.into_any()])?,
    };
    Ok(PyErr::from_value(class.call1(args)?))
}
