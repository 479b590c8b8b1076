//! The projections' tables on PostgreSQL (MODEL-LANGUAGE.md §13).
//!
//! PLACEHOLDER: being written (helper pgread).
