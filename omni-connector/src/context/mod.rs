//! The sync context.
