//! What every binding needs at its boundary and must not write again: the
//! one panic guard. No panic crosses into a host language (ARCHITECTURE.md,
//! binding rules); each entry point of C, Node, Python and the JVM runs its
//! work through [`guard`].

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};

/// Runs `work`, turning a panic into `Error::Internal` whose message is the
/// panic's own. The work's state is not used after a panic (the error is
/// all that leaves), which is why asserting unwind safety is sound here.
pub fn guard<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        Err(Error::Internal {
            message: panic_message(&*payload),
        })
    })
}

/// The text of a panic's payload (`panic!("...")` gives a `&str` or a
/// `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("a panic was caught: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_its_message() {
        let n = 7;
        let e = guard::<()>(|| panic!("boom {n}")).unwrap_err();
        assert_eq!(e.code(), "internal");
        assert_eq!(e.message(), "a panic was caught: boom 7");
        let e = guard::<()>(|| std::panic::panic_any(5u8)).unwrap_err();
        assert!(e.message().contains("without a message"));
    }

    #[test]
    fn results_pass_through() {
        assert_eq!(guard(|| Ok(3)).unwrap(), 3);
        let e = guard::<()>(|| Err(Error::evaluation("x"))).unwrap_err();
        assert_eq!(e.code(), "evaluation_error");
    }
}
