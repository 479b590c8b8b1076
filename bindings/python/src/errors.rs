//! Errors of the core as Python exceptions: one class per code, under
//! `EventfoldError`, defined in `eventfold/_errors.py` (so that they have
//! real `__init__`s, pickle, and read well in stubs). Each class takes the
//! message and, by name, the fields of its code in the core's table.

use eventfold::Error;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

/// The exception for an error: its class by code, built with the message
/// and the fields of `Error::to_json` as keyword arguments.
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
    let kwargs = PyDict::new(py);
    if let serde_json::Value::Object(fields) = error.to_json() {
        for (key, value) in fields {
            if key != "code" && key != "message" {
                kwargs.set_item(&key, crate::convert::json_to_py(py, &value)?)?;
            }
        }
    }
    let args = PyTuple::new(py, [error.message()])?;
    Ok(PyErr::from_value(class.call(args, Some(&kwargs))?))
}

/// The core's table of codes and fields, as JSON text (for the tests and
/// for tools that list the errors).
#[pyfunction]
pub(crate) fn _error_table() -> String {
    eventfold::error::table_json().to_string()
}

/// For the tests: raises the core's example error of `code`, converted as
/// every error is.
#[pyfunction]
pub(crate) fn _raise_example(py: Python<'_>, code: &str) -> PyResult<()> {
    let example = Error::examples()
        .into_iter()
        .find(|e| e.code() == code)
        .ok_or_else(|| PyValueError::new_err(format!("no example of `{code}`")))?;
    Err(to_py_err(py, example))
}
