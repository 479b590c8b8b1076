//! Placeholder while the ruby generator is written (issue 16).

use super::{File, Options, Schema};

pub(super) fn emit(_schema: &Schema, _options: &Options) -> Vec<File> {
    Vec::new()
}
