//! A syntax tree back to source text.
