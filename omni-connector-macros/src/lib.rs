//! Procedural macros for `omni-connector`. Depend on `omni-connector`, which
//! re-exports them; this crate is not meant to be used on its own.
