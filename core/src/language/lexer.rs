//! Source text to tokens.
