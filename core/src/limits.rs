//! The limits of MODEL-LANGUAGE.md §10. Past one: `limit_exceeded`, never a
//! crash or a hang.

/// Each limit can be configured; [`Limits::default`] gives the documented
/// defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one JSON input.
    pub max_input_bytes: usize,
    /// Nesting of arrays and objects in one JSON input.
    pub max_input_depth: usize,
    /// Bytes of one model file.
    pub max_source_bytes: usize,
    /// Evaluation steps for one command, event, query or invariant check:
    /// one per node and per iteration, and one per item (or 512 bytes of a
    /// string) a builtin goes through, so that steps bound the time.
    pub max_steps: u64,
    /// Events emitted by one command.
    pub max_events: usize,
    /// Bytes of a string, or items of a list, built while evaluating.
    pub max_value_size: usize,
    /// Bytes of strings, lists, maps and records built by one evaluation,
    /// all of them, counted as they are built (an item of a list, map or
    /// record counts the size of a value slot).
    pub max_memory: usize,
    /// Diagnostics reported for one model file; past them, one more says
    /// how many were left out.
    pub max_diagnostics: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 16 * 1024 * 1024,
            max_input_depth: 64,
            max_source_bytes: 1024 * 1024,
            max_steps: 1_000_000,
            max_events: 10_000,
            max_value_size: 16 * 1024 * 1024,
            max_memory: 64 * 1024 * 1024,
            max_diagnostics: 100,
        }
    }
}
