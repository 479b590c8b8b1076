//! eventfold: event-sourced aggregates written once in a small model language.
pub mod language;
